"""Notebook parameters are checked with one Russian line; the configuration is stored with
the week and read back by the later steps; archived notebooks re-run as they are."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest
from papermill.exceptions import PapermillExecutionError
from tiny_region import sferum, write_region, write_week

from sferum_analysis.config import NOTEBOOKS_DIR

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("notebook", "name", "value", "message"), [
    ("01_clean.ipynb", "workers", "abc", "параметр workers: нужно целое число, получено 'abc'"),
    ("02_metrics.ipynb", "quota_messages", "ten",
     "параметр quota_messages: нужно целое число, получено 'ten'"),
    ("02_metrics.ipynb", "active_rule", "all", "параметр active_rule: допустимо any или quota"),
    ("03_report.ipynb", "target_pct", "much", "параметр target_pct: нужно число"),
    ("03_report.ipynb", "edition", "press", "параметр edition: допустимо ministry или internal"),
])
def test_a_bad_parameter_fails_with_one_russian_line(tmp_path, notebook, name, value, message):
    with pytest.raises(PapermillExecutionError) as info:
        pm.execute_notebook(str(NOTEBOOKS_DIR / notebook), str(tmp_path / "out.ipynb"),
                            parameters={name: value, "processed_dir": str(tmp_path / "p"),
                                        "report_dir": str(tmp_path / "r")},
                            cwd=str(NOTEBOOKS_DIR), progress_bar=False, kernel_name="python3")
    assert info.value.ename == "ConfigError"
    assert message in info.value.evalue and "\n" not in info.value.evalue


@pytest.fixture(scope="module")
def quota_week(tmp_path_factory):
    root = tmp_path_factory.mktemp("quota")
    data, reports = root / "data", root / "reports"
    write_region(data)
    write_week(data, "2024-01-29", active=2)
    result = sferum("run", "2024-01-29", "--active-rule", "quota", "--quota-messages", "1",
                    "--quota-calls", "0", data=data, reports=reports)
    assert result.returncode == 0, result.stderr
    return data, reports


def test_the_configuration_is_stored_once_and_the_report_describes_its_rule(quota_week):
    data, reports = quota_week
    stored = json.loads((data / "processed/2024-01-29/run_config.json").read_text("utf-8"))
    assert stored["active_rule"] == {"kind": "quota", "min_messages": 1, "min_calls": 0}
    # notebook 03 executed alone (as in JupyterLab) reads the rule the week was counted with
    out = reports / "alone"
    out.mkdir()
    pm.execute_notebook(str(NOTEBOOKS_DIR / "03_report.ipynb"), str(out / "03.ipynb"),
                        parameters={"week": "2024-01-29", "data_dir": str(data),
                                    "report_dir": str(out)},
                        cwd=str(NOTEBOOKS_DIR), progress_bar=False, kernel_name="python3")
    text = (out / "03.ipynb").read_text("utf-8")
    assert "не меньше 1 сообщений" in text and "хотя бы одно сообщение или звонок" not in text


def test_archived_notebooks_re_run_as_they_are(quota_week, tmp_path):
    data, reports = quota_week
    archived = reports / "2024-01-29" / "notebooks"
    csv_before = (reports / "2024-01-29" / "metrics_mo.csv").read_bytes()
    for name in ("01_clean.ipynb", "02_metrics.ipynb", "03_report.ipynb"):
        source = (archived / name).read_text("utf-8")
        assert ".staging-" not in source, name
        pm.execute_notebook(str(archived / name), str(tmp_path / name),
                            cwd=str(NOTEBOOKS_DIR), progress_bar=False, kernel_name="python3")
    assert (reports / "2024-01-29" / "metrics_mo.csv").read_bytes() == csv_before


def test_metrics_step_does_not_read_raw_exports(quota_week, tmp_path, monkeypatch):
    """Everything the metrics step needs was recorded by cleaning (files.last_date)."""
    from sferum_analysis import reading, steps
    from sferum_analysis.store import read_config

    data, _ = quota_week
    opened: list[Path] = []
    monkeypatch.setattr(reading, "read_columns", lambda path, *a, **k: opened.append(path))
    processed = data / "processed" / "2024-01-29"
    steps.metrics_step("2024-01-29", read_config(processed), processed, tmp_path / "r",
                       data_dir=data)
    assert opened == []
