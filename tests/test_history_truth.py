"""Published history is the centre's record (issue 14): what is published, what --pending
republishes, which registry a week keeps, comparisons that follow their source, signals
and file-system errors."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tiny_region import HEADER, age, sferum, write_region, write_week

from sferum_analysis.config import Paths

pytestmark = pytest.mark.slow

W1, W2, W3 = "2024-01-15", "2024-01-22", "2024-01-29"


def metrics_row(reports: Path, week: str, org_type: str = "ДОО", mo: str = "г. Орёл") -> dict:
    with (reports / week / "metrics_mo.csv").open(encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["org_type"] == org_type and r["mo"] == mo)


def manifest(reports: Path, week: str) -> dict:
    return json.loads((reports / week / "manifest.json").read_text("utf-8"))


def published(stdout: str) -> list[str]:
    return [line.split()[1] for line in stdout.splitlines() if "опубликована:" in line]


def rewrite(data: Path, week: str, name: str, text: str) -> None:
    (data / "raw" / week / name).write_text(HEADER + text, encoding="utf-8")
    age(data / "raw" / week)


# ------------------------------------------------------------------ 1. no usable export
def test_an_empty_week_is_not_published_even_with_strict(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    (data / "raw" / W3).mkdir(parents=True)
    age(data / "raw" / W3)
    result = sferum("run", W3, "--strict", data=data, reports=reports)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("sferum: ошибка: ") and "нет пригодных выгрузок" in last, last
    assert not (reports / W3).exists()
    # every file unreadable: the same
    (data / "raw" / W3 / "11.csv").write_text("это не выгрузка\n", encoding="utf-8")
    age(data / "raw" / W3)
    result = sferum("run", W3, data=data, reports=reports)
    assert result.returncode == 1 and "нет пригодных выгрузок" in result.stderr
    assert not (reports / W3).exists()
    status = sferum("status", data=data, reports=reports)
    assert "нет пригодных выгрузок" in status.stdout


def test_pending_skips_an_empty_week_and_does_not_compare_with_it(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, W1, active=1)
    (data / "raw" / W2).mkdir()
    age(data / "raw" / W2)
    write_week(data, W3, active=2)
    result = sferum("run", "--pending", data=data, reports=reports)
    assert result.returncode == 1, result.stderr
    assert published(result.stdout) == [W1, W3]
    assert W2 in result.stderr and "нет пригодных выгрузок" in result.stderr
    assert not (reports / W2).exists()
    # the week before the empty one is the comparison base
    row = metrics_row(reports, W3)
    assert row["pct_registered_prev"] == "50.0" and row["pct_active_prev"] == "50.0"
    assert manifest(reports, W3)["compared_week"] == W1
    # nothing changed: the refused week is not retried every night
    again = sferum("run", "--pending", data=data, reports=reports)
    assert again.returncode == 0, again.stderr
    assert "обрабатывать нечего" in again.stdout


def test_a_week_still_being_copied_is_left_for_the_next_pending_run(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    folder = write_week(data, W3, active=1)
    now = time.time()
    os.utime(folder / "11.csv", (now, now))  # a file copied a moment ago
    result = sferum("run", "--pending", data=data, reports=reports)
    assert result.returncode == 0, result.stderr
    assert W3 in result.stderr and "следующем запуске" in result.stderr
    assert not (reports / W3).exists()
    # an explicit run does not wait, but warns
    explicit = sferum("run", W3, data=data, reports=reports)
    assert explicit.returncode == 0, explicit.stderr
    assert "внимание" in explicit.stderr and "мин" in explicit.stderr


def test_quiet_minutes_is_a_run_setting():
    from sferum_analysis.run_config import KEYS, ConfigError, RunConfig, settings_template

    assert RunConfig().quiet_minutes > 0
    assert RunConfig.from_settings({"run": {"quiet_minutes": 0}}).quiet_minutes == 0
    with pytest.raises(ConfigError, match="quiet_minutes"):
        RunConfig.from_settings({"run": {"quiet_minutes": -1}})
    assert any(k.name == "quiet_minutes" for k in KEYS)
    assert "quiet_minutes" in settings_template()


# ------------------------------------------------------------------ 2. every row refused
def test_a_file_whose_every_row_is_rejected_is_an_error(tmp_path):
    from sferum_analysis.cleaning import clean_week
    from sferum_analysis.config import Paths
    from sferum_analysis.steps import read_workspace_registry

    data = tmp_path / "data"
    write_region(data)
    folder = write_week(data, W3, active=1)
    (folder / "11.csv").write_text(
        HEADER + "".join(f"01/29/24;Иванов Пётр{i};teacher;0;1;0\n" for i in range(3))
        + "01/28/24;Иванов Пётр9;teacher;0;1;0\n", encoding="utf-8")
    registry = read_workspace_registry(Paths(data, tmp_path / "r"))
    clean = clean_week(folder, registry, dt.date(2024, 1, 29))
    f = clean.findings
    errors = f[(f["level"] == "error") & (f["file"] == "11.csv")]
    assert len(errors) == 1, f[["level", "code", "message"]]
    message = errors["message"].iloc[0]
    assert "не распознана дата" in message and "4" in message  # the reason and how many
    assert "строка 2" in message and "«01/29/24»" in message  # an example row
    assert "Иванов" not in message  # quality.csv is published: no names


# ------------------------------------------------------------------ 3. registry snapshot
def test_a_registry_change_does_not_rewrite_published_weeks(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, W2, active=1)
    write_week(data, W3, active=1)
    assert sferum("run", "--pending", data=data, reports=reports).returncode == 0
    stamps = {w: manifest(reports, w)["published_at"] for w in (W2, W3)}
    assert (data / "processed" / W2 / "registry" / "organizations.csv").is_file()

    registry = data / "raw" / "registry" / "organizations.csv"
    registry.write_text(registry.read_text("utf-8").replace(";ДОО;4", ";ДОО;5"), "utf-8")
    status = sferum("status", data=data, reports=reports)
    assert "реестр изменился" in status.stdout and "требуют обработки: 0" in status.stdout
    nothing = sferum("run", "--pending", data=data, reports=reports)
    assert "обрабатывать нечего" in nothing.stdout, nothing.stderr
    assert {w: manifest(reports, w)["published_at"] for w in (W2, W3)} == stamps

    # a week whose own exports changed is republished with the registry it was computed with
    rewrite(data, W2, "11.csv", "22.01.2024;Иванова Анна;teacher;0;1;0\n"
                                "22.01.2024;Петрова Мария;teacher;0;1;0\n")
    again = sferum("run", "--pending", data=data, reports=reports)
    assert again.returncode == 0, again.stderr
    assert W2 in published(again.stdout)
    assert metrics_row(reports, W2)["staff_total"] == "4"
    # an explicit run applies today's registry
    explicit = sferum("run", W2, data=data, reports=reports)
    assert explicit.returncode == 0, explicit.stderr
    assert metrics_row(reports, W2)["staff_total"] == "5"


# ------------------------------------------------------------------ 4. stale comparisons
def test_republishing_a_week_makes_the_next_weeks_comparison_pending(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, W2, active=1)
    write_week(data, W3, active=2)
    assert sferum("run", "--pending", data=data, reports=reports).returncode == 0
    assert metrics_row(reports, W3)["pct_active_prev"] == "50.0"

    rewrite(data, W2, "11.csv", "22.01.2024;Иванова Анна;teacher;0;1;0\n"
                                "22.01.2024;Петрова Мария;teacher;0;1;0\n")
    assert sferum("run", W2, data=data, reports=reports).returncode == 0
    status = sferum("status", data=data, reports=reports)
    line = next(li for li in status.stdout.splitlines() if li.startswith(W3))
    assert "сравнение устарело" in line, status.stdout
    assert "требуют обработки: 1" in status.stdout
    rebuilt = sferum("run", "--pending", data=data, reports=reports)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert published(rebuilt.stdout) == [W3]
    assert metrics_row(reports, W3)["pct_active_prev"] == "100.0"
    assert "требуют обработки: 0" in sferum("status", data=data, reports=reports).stdout


# ------------------------------------------------------------------ 5. signals, leftovers
def _wait_for_step(reports: Path, proc, text: str = "расчёт показателей…") -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for log in reports.glob(".staging-*/run.log"):
            if text in log.read_text("utf-8", errors="replace"):
                return
        assert proc.poll() is None, "the run ended before the signal"
        time.sleep(0.05)
    raise AssertionError("the run did not reach the step")


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_signal_ends_the_run_cleanly(tmp_path, how):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, W3, active=1)
    assert sferum("run", W3, data=data, reports=reports).returncode == 0
    before = (reports / W3 / "metrics_mo.csv").read_bytes()
    rewrite(data, W3, "11.csv", "29.01.2024;Иванова Анна;teacher;0;7;0\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sferum_analysis.cli", "run", W3, "--data-dir", str(data),
         "--reports-dir", str(reports)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    _wait_for_step(reports, proc)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # a terminal sends it to the whole group
    else:
        os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err and "Exception" not in err, err
    lines = err.strip().splitlines()
    assert "прерван" in lines[-1] and lines[-1].startswith("sferum: "), err
    assert sum("прерван" in li for li in lines) == 1, err
    leftovers = [p for root in (data / "processed", reports) for p in root.iterdir()
                 if p.name.startswith((".staging-", ".old-"))]
    assert leftovers == []
    assert (reports / W3 / "metrics_mo.csv").read_bytes() == before


def test_status_shows_a_run_in_progress_and_leftovers(tmp_path):
    from sferum_analysis import store

    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, W3, active=1)
    assert sferum("run", W3, data=data, reports=reports).returncode == 0
    leftover = data / "processed" / f".staging-{W3}-999999"
    leftover.mkdir()
    status = sferum("status", data=data, reports=reports)
    assert str(leftover) in status.stdout, status.stdout
    # a run (this test process plays it) working on the week
    (data / store.RUN_STATE_FILE).write_text(json.dumps({"pid": os.getpid(), "week": W3}),
                                            encoding="utf-8")
    status = sferum("status", data=data, reports=reports)
    assert "идёт запуск" in status.stdout, status.stdout
    line = next(li for li in status.stdout.splitlines() if li.startswith(W3))
    assert "опубликована" not in line and "обрабатывается" in line, line


# ------------------------------------------------------------------ 5. file-system errors
def test_a_full_disk_names_the_step_and_the_path_in_russian(tmp_path, monkeypatch, capsys):
    from sferum_analysis import cli, pipeline, publish

    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, W3, active=1)

    def full_disk(html, pdf, *a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(pdf))

    monkeypatch.setattr(publish, "html_to_pdf", full_disk)
    monkeypatch.setattr(pipeline._Publisher, "inline", True)  # render here, not in workers
    code = cli.main(["run", W3, "--data-dir", str(data), "--reports-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert "нет места на диске" in last and "публикация" in last and ".pdf" in last, last
    assert "No space" not in last and "Errno" not in last and "Ноутбук" not in last, last
    assert not (reports / W3).exists()


def test_os_errors_inside_a_notebook_are_told_in_russian():
    from sferum_analysis.pipeline import step_reason

    text = step_reason("OSError", "[Errno 28] No space left on device: '/srv/d/x.parquet'")
    assert text == "нет места на диске: /srv/d/x.parquet"
    assert "нет доступа" in step_reason("PermissionError",
                                        "[Errno 13] Permission denied: '/srv/r'")
    assert step_reason("ValueError", "bad") == "ValueError: bad"


def test_a_fifo_in_a_week_folder_is_skipped_with_its_own_reason(tmp_path):
    from sferum_analysis.cleaning import clean_week
    from sferum_analysis.steps import read_workspace_registry

    data = tmp_path / "data"
    write_region(data)
    folder = write_week(data, W3, active=1)
    os.mkfifo(folder / "22 школа 2.csv")
    done: list = []
    registry = read_workspace_registry(Paths(data, tmp_path / "r"))
    worker = threading.Thread(target=lambda: done.append(
        clean_week(folder, registry, dt.date(2024, 1, 29))), daemon=True)
    worker.start()
    worker.join(30)
    if not done:  # unblock the reader so that the test process can end
        os.close(os.open(folder / "22 школа 2.csv", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("cleaning blocked on a FIFO")
    f = done[0].findings
    row = f[f["file"] == "22 школа 2.csv"]
    assert list(row["code"]) == ["special_file"], row
    assert "канал" in row["message"].iloc[0] and "не найден" not in row["message"].iloc[0]
    assert done[0].orgs.set_index("org_id").loc["22", "registered"] == 1
