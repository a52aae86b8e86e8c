"""Repository habits: jupytext sync is a no-op on a fresh copy, the pre-commit hook strips
notebook outputs, the package builds without licence warnings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sferum_analysis.config import NOTEBOOKS_DIR, PROJECT_DIR

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} is not installed")
        return found
    return str(path)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_jupytext_sync_of_the_committed_notebooks_changes_nothing(tmp_path):
    """`jupytext --sync notebooks/*.py` on a fresh clone leaves every file byte-identical."""
    shutil.copy(PROJECT_DIR / "jupytext.toml", tmp_path / "jupytext.toml")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")) + sorted(NOTEBOOKS_DIR.glob("*.py")):
        shutil.copy(path, notebooks / path.name)
    # A fresh clone gives no order of modification times: make the scripts the newer side,
    # as after `git clone` in the worst case, so that the sync rewrites both files.
    for script in notebooks.glob("*.py"):
        script.touch()
    before = _snapshot(tmp_path)
    scripts = [str(p) for p in sorted(notebooks.glob("*.py"))]
    result = subprocess.run([_tool("jupytext"), "--sync", *scripts], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    after = _snapshot(tmp_path)
    changed = sorted(name for name in before if before[name] != after.get(name))
    assert not changed, f"jupytext --sync changed {changed}: commit the synced files"
    assert sorted(after) == sorted(before)


def test_script_header_has_no_volatile_metadata():
    for script in sorted(NOTEBOOKS_DIR.glob("*.py")):
        header = script.read_text("utf-8").split("# ---\n")[1]
        assert "jupytext_version" not in header, script.name
        assert "metadata_filter" not in header, script.name


def test_licence_is_an_spdx_string_for_a_recent_setuptools():
    """A TOML-table licence makes setuptools print a deprecation warning on every install."""
    import tomllib

    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
