"""The operator's commands: `run --pending`, `status`, the run lock, logs and progress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_region import HEADER, age, sferum, write_region, write_week

from sferum_analysis.config import Paths
from sferum_analysis.pipeline import RunLock, pending_weeks, week_status

pytestmark = pytest.mark.slow

def published_at(reports: Path, week: str) -> str:
    return json.loads((reports / week / "manifest.json").read_text("utf-8"))["published_at"]


def test_pending_processes_new_and_changed_weeks_only(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, "2024-01-15", active=0)
    write_week(data, "2024-01-22", active=1)
    paths = Paths(data, reports)
    assert pending_weeks(paths) == ["2024-01-15", "2024-01-22"]

    first = sferum("run", "--pending", data=data, reports=reports)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("опубликована") == 2
    assert pending_weeks(paths) == []
    stamp_15 = published_at(reports, "2024-01-15")

    # one changed week, one new week; the up-to-date week is left alone
    (data / "raw" / "2024-01-22" / "11.csv").write_text(
        HEADER + "22.01.2024;Иванова Анна;teacher;0;5;0\n", encoding="utf-8")
    age(data / "raw" / "2024-01-22")  # copied before the quiet period
    write_week(data, "2024-01-29", active=2)
    assert week_status(paths, "2024-01-22").state == "changed"
    assert week_status(paths, "2024-01-29").state == "new"
    status = sferum("status", data=data, reports=reports)
    assert status.returncode == 0
    assert "входные файлы изменились" in status.stdout and "не обработана" in status.stdout
    assert "требуют обработки: 2" in status.stdout

    second = sferum("run", "--pending", data=data, reports=reports)
    assert second.returncode == 0, second.stderr
    done = [line.split()[1] for line in second.stdout.splitlines() if "опубликована" in line]
    assert done == ["2024-01-22", "2024-01-29"]  # oldest first
    assert published_at(reports, "2024-01-15") == stamp_15
    assert pending_weeks(paths) == []

    # the changed week was recomputed from its new file: one person, active
    metrics = (reports / "2024-01-22" / "metrics_mo.csv").read_text("utf-8").splitlines()
    orel = next(line for line in metrics if line.startswith("ДОО,г. Орёл,"))
    assert orel.split(",")[2:5] == ["4", "1", "1"]

    # nothing pending: a calm message and success
    third = sferum("run", "--pending", data=data, reports=reports)
    assert third.returncode == 0
    assert "обрабатывать нечего" in third.stdout

    # processed tables that no longer match the published report (a run killed between
    # its two folder swaps leaves the new processed week beside the old report): pending
    meta = data / "processed" / "2024-01-29" / "run_config.json"
    good = meta.read_bytes()
    meta.write_bytes(good + b" ")  # changed by hand (metrics_meta.json holds no rule)
    assert week_status(paths, "2024-01-29").state == "mismatch"
    assert pending_weeks(paths) == ["2024-01-29"]
    assert "обработка не совпадает с отчётом" in sferum("status", data=data,
                                                       reports=reports).stdout
    meta.write_bytes(good)
    assert pending_weeks(paths) == []

    # logs are kept per week, progress in cron/CI output is line-oriented (no \r)
    log = (reports / "2024-01-29" / "run.log").read_text("utf-8")
    assert "очистка выгрузок" in log and "прочитано файлов: 2 из 2" in log
    assert "\r" not in second.stderr


def test_pending_goes_on_after_a_failed_week_and_exits_nonzero(tmp_path, monkeypatch, capsys):
    from sferum_analysis import cli, pipeline

    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, "2024-01-22", active=1)
    write_week(data, "2024-01-29", active=1)
    real_execute = pipeline._execute

    def failing_execute(notebook, out, parameters, step, progress=None, **kwargs):
        if parameters["week"] == "2024-01-22" and notebook == pipeline.METRICS_NOTEBOOK:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("{}", encoding="utf-8")
            raise pipeline.StepFailed(step, out, "ZeroDivisionError: division by zero")
        return real_execute(notebook, out, parameters, step, progress, **kwargs)

    monkeypatch.setattr(pipeline, "_execute", failing_execute)
    code = cli.main(["run", "--pending", "--data-dir", str(data), "--reports-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == 1
    assert "2024-01-22" in err and "расчёт показателей" in err
    assert (reports / "2024-01-29" / "metrics_mo.csv").is_file()  # the other week went on
    assert not (reports / "2024-01-22").exists()  # no half-written report
    failed = reports / "failed" / "2024-01-22"
    assert (failed / "notebooks" / pipeline.METRICS_NOTEBOOK).is_file()
    assert "ZeroDivisionError" in (failed / "run.log").read_text("utf-8")
    assert week_status(Paths(data, reports), "2024-01-22").state == "failed"
    assert not list((data / "processed").glob(".staging-*"))


def test_lock_prevents_a_second_run_on_the_same_data(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, "2024-01-29", active=1)
    with RunLock(Paths(data, reports)):
        blocked = sferum("run", "2024-01-29", data=data, reports=reports)
    assert blocked.returncode == 1
    assert "другой запуск" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert not (reports / "2024-01-29").exists()
    # released: the run goes through
    assert sferum("run", "2024-01-29", data=data, reports=reports).returncode == 0


def test_status_on_an_empty_data_dir(tmp_path):
    result = sferum("status", data=tmp_path / "data", reports=tmp_path / "reports")
    assert result.returncode == 0
    assert "нет папок недель" in result.stdout


def test_paths_that_are_files_give_one_russian_line(tmp_path):
    data = tmp_path / "data"
    write_region(data)
    write_week(data, "2024-01-29", active=1)
    a_file = tmp_path / "a_file"
    a_file.write_text("", encoding="utf-8")
    for args, kw in ((("status",), {"data": a_file, "reports": tmp_path / "r"}),
                     (("status",), {"data": data, "reports": a_file}),
                     (("run", "2024-01-29"), {"data": data, "reports": a_file / "sub"})):
        result = sferum(*args, **kw)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()[-1:]
        assert line.startswith("sferum: ошибка: ") and str(a_file) in line, line
