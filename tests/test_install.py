"""The package installed as a user would (`pip install .`, not editable) works in a
workspace outside the repository: notebooks, templates and the built-in region travel
inside it, and the nbconvert template is found by name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
WEEK = "2024-01-29"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package installed (not editable) into a prefix of its own, and an environment
    in which that copy, not the repository, is imported."""
    root = tmp_path_factory.mktemp("install")
    prefix = root / "prefix"
    source = root / "source"  # a copy: the build must not write into the repository
    anywhere = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                      ".pytest_cache", ".ruff_cache", ".hypothesis")

    def ignore(folder: str, names: list[str]) -> set[str]:
        top = {"data", "reports", "benchmarks", "tests"} if Path(folder) == REPO else set()
        return set(anywhere(folder, names)) | (top & set(names))

    shutil.copytree(REPO, source, symlinks=True, ignore=ignore)
    # --ignore-installed: with --prefix, pip would otherwise uninstall the project's own
    # (editable) installation from the environment running the tests
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--ignore-installed", "--prefix", str(prefix), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    site = Path(sysconfig.get_path("purelib", vars={"base": str(prefix),
                                                      "platbase": str(prefix)}))
    env = {k: v for k, v in os.environ.items()
           if k not in ("SFERUM_DATA_DIR", "SFERUM_REPORTS_DIR", "PYTHONPATH")}
    env |= {"PYTHONPATH": str(site), "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
            "PATH": f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    return {"prefix": prefix, "site": site, "env": env, "root": root}


def _run(installed, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*args], cwd=cwd, env=installed["env"], capture_output=True,
                          text=True, timeout=900)


def test_the_installed_copy_is_imported_and_carries_its_files(installed):
    out = _run(installed, sys.executable, "-c",
               "import sferum_analysis.config as c; print(c.PACKAGE_DIR); "
               "print(sorted(p.name for p in c.NOTEBOOKS_DIR.glob('*.ipynb')))",
               cwd=installed["root"])
    assert out.returncode == 0, out.stderr
    package_dir, notebooks = out.stdout.splitlines()
    assert Path(package_dir).is_relative_to(installed["site"])
    assert notebooks == str(["01_clean.ipynb", "02_metrics.ipynb", "03_report.ipynb",
                             "10_explore.ipynb", "20_mo.ipynb"])
    assert (Path(package_dir) / "data" / "municipalities.csv").is_file()
    assert (Path(package_dir) / "templates" / "sferum" / "index.html.j2").is_file()


def test_a_workspace_outside_the_repository_runs_a_week(installed):
    ws = installed["root"] / "ws"
    sferum = str(installed["prefix"] / "bin" / "sferum")
    made = _run(installed, sferum, "init", str(ws), "--region", "Орловская область",
                cwd=installed["root"])
    assert made.returncode == 0, made.stderr
    registry = ws / "data" / "raw" / "registry"
    (registry / "organizations.xlsx").unlink()
    shutil.copyfile(REPO / "data" / "raw" / "registry" / "organizations.xlsx",
                    registry / "organizations.xlsx")
    shutil.copytree(REPO / "data" / "raw" / WEEK, ws / "data" / "raw" / WEEK)
    run = _run(installed, sferum, "run", WEEK, cwd=ws / "reports")
    assert run.returncode == 0, run.stderr
    out = ws / "reports" / WEEK
    for name in (f"sferum_{WEEK}.html", f"sferum_{WEEK}.pdf", f"sferum_{WEEK}.xlsx",
                 "metrics_mo.csv", "quality.csv"):
        assert (out / name).is_file(), name
    html = (out / f"sferum_{WEEK}.html").read_text("utf-8")
    assert "Орловская область" in html
    # the seed's pooled regional figures (contract, section 2): 90,2 % and 33,7 %
    assert "90,2" in html and "33,7" in html
    status = _run(installed, sferum, "status", cwd=ws)
    assert status.returncode == 0 and "опубликована" in status.stdout


def test_the_nbconvert_template_is_found_by_name(installed, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Проверка")])
    nbformat.write(nb, tmp_path / "n.ipynb")
    out = _run(installed, sys.executable, "-m", "nbconvert", "--to", "html",
               "--template", "sferum", str(tmp_path / "n.ipynb"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Проверка" in (tmp_path / "n.html").read_text("utf-8")
