"""Notebooks are reviewable (no outputs, paired with percent scripts) and run top to bottom."""

from __future__ import annotations

import ast
import json
import os
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from sferum_analysis.config import NOTEBOOKS_DIR, PROJECT_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ())))
            for c in nb.cells]


def test_there_are_notebooks():
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_clean", "02_metrics"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_without_outputs(path: Path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(raw["cells"])
             if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, f"{path.name}: cells with outputs {dirty}; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_paired_and_in_sync(path: Path):
    script = path.with_suffix(".py")
    assert script.is_file(), f"{path.name} has no paired percent script {script.name}"
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"
    from_script = jupytext.read(script)
    assert _cells(from_script) == _cells(nb), (
        f"{path.name} and {script.name} differ: run `jupytext --sync {script}`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_cell_has_annotated_literals_with_help(path: Path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", ())]
    assert len(tagged) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    lines = [ln for ln in tagged[0].source.splitlines() if ln.strip()]
    for line in lines:
        node = ast.parse(line).body[0]
        assert isinstance(node, ast.AnnAssign), line
        assert isinstance(node.value, ast.Constant), f"not a literal: {line}"
        assert "# help:" in line, f"no '# help:' comment: {line}"


@pytest.mark.slow
def test_every_notebook_runs_with_its_defaults(tmp_path):
    """Execute every notebook in order with its default parameters on the sample data."""
    import papermill as pm

    from sferum_analysis.pipeline import _kernel_manager_class

    data = tmp_path / "data"
    shutil.copytree(PROJECT_DIR / "data" / "raw", data / "raw")
    env_before = dict(os.environ)
    os.environ["SFERUM_DATA_DIR"] = str(data)
    os.environ["SFERUM_REPORTS_DIR"] = str(tmp_path / "reports")
    try:
        for path in NOTEBOOKS:
            out = tmp_path / "executed" / path.name
            out.parent.mkdir(exist_ok=True)
            pm.execute_notebook(str(path), str(out), cwd=str(NOTEBOOKS_DIR), progress_bar=False,
                                kernel_manager_class=_kernel_manager_class())
            executed = nbformat.read(out, as_version=4)
            errors = [o for c in executed.cells for o in c.get("outputs", [])
                      if o.get("output_type") == "error"]
            assert not errors, f"{path.name}: {errors[:1]}"
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    assert (tmp_path / "reports" / "2024-01-29" / "metrics_mo.csv").is_file()


def test_shared_kernel_gives_each_notebook_an_empty_namespace(tmp_path, monkeypatch):
    """The run's notebooks share a kernel; the second must not see the first's names."""
    from sferum_analysis import pipeline

    def notebook(name: str, source: str) -> None:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, tmp_path / name)

    notebook("a.ipynb", "import os\nleft_over = os.getpid()")
    notebook("b.ipynb", "import os\nassert 'left_over' not in dir(), 'namespace kept'\n"
                        "pid = os.getpid()")
    monkeypatch.setattr(pipeline, "NOTEBOOKS_DIR", tmp_path)
    with pipeline.SharedKernel() as kernel:
        pipeline._execute("a.ipynb", tmp_path / "out" / "a.ipynb", {}, "a", kernel=kernel)
        pipeline._execute("b.ipynb", tmp_path / "out" / "b.ipynb", {}, "b", kernel=kernel)
    executed = [nbformat.read(tmp_path / "out" / n, as_version=4) for n in ("a.ipynb", "b.ipynb")]
    assert all(not c.get("outputs") for nb in executed for c in nb.cells)  # no error output
    assert not kernel.km.has_kernel  # shut down on leaving the block


def test_the_runs_kernel_starts_with_the_cleaning_modules_and_without_the_debugger(
        tmp_path, monkeypatch):
    """The week's kernel (pipeline.run_kernel) has imported 01_clean's modules before the
    first notebook, does without debugpy and hypothesis, and its own stderr, written
    before the log file was known, ends up in that file."""
    from sferum_analysis import pipeline

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import os, sys\n"
        "assert 'sferum_analysis.steps' in sys.modules, 'not imported at start'\n"
        "assert sys.modules['debugpy'] is None and sys.modules['hypothesis'] is None\n"
        "os.write(2, b'stderr of the kernel process\\n')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "k.ipynb")
    monkeypatch.setattr(pipeline, "NOTEBOOKS_DIR", tmp_path)
    log = tmp_path / "run.log"
    kernel = pipeline.SharedKernel().start()  # before the log's folder exists, as a run
    with kernel:
        pipeline._execute("k.ipynb", tmp_path / "out" / "k.ipynb", {}, "k", kernel=kernel)
        kernel.log_to(log)
    executed = nbformat.read(tmp_path / "out" / "k.ipynb", as_version=4)
    assert not executed.cells[0].get("outputs")  # the assertions held
    assert "stderr of the kernel process" in log.read_text(encoding="utf-8")
    kernel.close()  # a second close does nothing


def test_kernel_command_replaces_only_ipykernels_launcher():
    from sferum_analysis.pipeline import kernel_command

    spec = ["/venv/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f",
            "{connection_file}"]
    assert kernel_command(spec) == ["/venv/bin/python", "-m", "sferum_analysis.run_kernel",
                                    "-f", "{connection_file}"]
    other = ["/opt/conda/bin/python", "-Xfrozen_modules=off", "-m", "other_kernel", "-f", "c"]
    assert kernel_command(other) == other
