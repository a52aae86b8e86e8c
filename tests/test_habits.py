"""Repository habits: jupytext sync is a no-op on a fresh copy, the pre-commit hook strips
notebook outputs, the package builds without licence warnings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
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


def test_pre_commit_hook_strips_notebook_outputs(tmp_path):
    """The nbstripout hook, run by pre-commit as on a commit, removes outputs (a person's
    name printed by a cell must not reach git) and execution counts, keeps the cells."""
    pre_commit = _tool("pre-commit")
    _tool("nbstripout")
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / ".pre-commit-config.yaml", repo)
    source = NOTEBOOKS_DIR / "10_explore.ipynb"
    nb = nbformat.read(source, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 7
    code.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="Иванова Мария Петровна\n")]
    code.metadata["execution"] = {"iopub.status.idle": "2024-01-29T10:00:00Z"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.0"}
    target = repo / "notebooks" / source.name
    nbformat.write(nb, target)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("git", "init", "-q").returncode == 0
    assert run("git", "add", ".").returncode == 0
    result = run(pre_commit, "run", "nbstripout", "--files", f"notebooks/{source.name}")
    assert result.returncode == 1, result.stdout + result.stderr  # "files were modified"
    assert "Иванова" not in target.read_text("utf-8")
    stripped = json.loads(target.read_text("utf-8"))
    code_cells = [c for c in stripped["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code_cells)
    assert "execution" not in code_cells[0]["metadata"]
    assert "language_info" not in stripped["metadata"]
    original = json.loads(source.read_text("utf-8"))
    assert [c["id"] for c in stripped["cells"]] == [c["id"] for c in original["cells"]]
    assert [c["source"] for c in stripped["cells"]] == [c["source"] for c in original["cells"]]
    # A second run finds nothing to strip: the committed notebooks are in this form.
    assert run(pre_commit, "run", "nbstripout", "--files",
               f"notebooks/{source.name}").returncode == 0
    assert target.read_bytes() == source.read_bytes()
