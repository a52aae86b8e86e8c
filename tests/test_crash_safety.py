"""A killed run never damages the published week; a rerun gives byte-identical outputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from tiny_region import sferum, snapshot, write_region, write_week

from sferum_analysis.pipeline import _swap_in, recover

pytestmark = pytest.mark.slow

WEEK = "2024-01-29"
STABLE_OUTPUTS = ["metrics_mo.csv", "quality.csv", "files.csv"]


@pytest.fixture
def published(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    write_week(data, WEEK, active=1)
    first = sferum("run", WEEK, data=data, reports=reports)
    assert first.returncode == 0, first.stderr
    return data, reports


def _start_run(data, reports):
    return subprocess.Popen(
        [sys.executable, "-m", "sferum_analysis.cli", "run", WEEK, "--data-dir", str(data),
         "--reports-dir", str(reports)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def test_kill_at_any_point_leaves_the_published_week_intact(published):
    data, reports = published
    raw_before = snapshot(data / "raw")
    # change an input so that a completed run would publish different figures
    (data / "raw" / WEEK / "11.csv").write_text(
        (data / "raw" / WEEK / "11.csv").read_text("utf-8").replace(";0;0;0\n", ";0;7;0\n"),
        encoding="utf-8")
    raw_before = snapshot(data / "raw")
    report_before = snapshot(reports / WEEK)
    processed_before = snapshot(data / "processed" / WEEK)

    def complete_new_week(report: dict[str, bytes]) -> bool:
        """The new inputs' figures, with every file a finished run writes."""
        wanted = {"metrics_mo.csv", "quality.csv", "files.csv", "manifest.json", "run.log"}
        return (wanted <= set(report)
                and "ДОО,г. Орёл,4,2,2," in report["metrics_mo.csv"].decode("utf-8"))

    for delay in (0.3, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0):
        proc = _start_run(data, reports)
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its notebook kernel
        proc.wait()
        report_now = snapshot(reports / WEEK)
        if report_now != report_before:
            # killed after the swap (or finished): the new week must be there in full
            assert complete_new_week(report_now), f"half-written report (kill at {delay}s)"
            break
        processed_now = snapshot(data / "processed" / WEEK)
        # processed is swapped in just before the report: old, or complete and new
        assert processed_now == processed_before or set(processed_now) == set(
            processed_before), delay
    assert snapshot(data / "raw") == raw_before  # data/raw is never written

    # the next run cleans up what the killed runs left and publishes the new figures
    rerun = sferum("run", WEEK, data=data, reports=reports)
    assert rerun.returncode == 0, rerun.stderr
    leftovers = [p.name for root in (reports, data / "processed") for p in root.iterdir()
                 if p.name.startswith((".staging-", ".old-"))]
    assert leftovers == []
    metrics = (reports / WEEK / "metrics_mo.csv").read_text("utf-8")
    assert "ДОО,г. Орёл,4,2,2," in metrics


def test_rerun_on_the_same_inputs_is_byte_identical(published):
    data, reports = published
    first_report = snapshot(reports / WEEK)
    first_processed = snapshot(data / "processed" / WEEK)
    again = sferum("run", WEEK, data=data, reports=reports)
    assert again.returncode == 0, again.stderr
    second_report = snapshot(reports / WEEK)
    for name in STABLE_OUTPUTS:
        assert second_report[name] == first_report[name], name
    assert snapshot(data / "processed" / WEEK) == first_processed


def test_processed_week_is_readable_by_the_owner_only(published):
    data, _ = published
    folder = data / "processed" / WEEK
    assert folder.stat().st_mode & 0o077 == 0
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path.name


def test_recover_restores_a_week_left_between_two_renames(tmp_path):
    """Where no atomic exchange exists, a crash between the renames is repaired."""
    reports = tmp_path / "reports"
    data = tmp_path / "data"
    (data / "processed").mkdir(parents=True)
    old = reports / f".old-{WEEK}-12345"
    old.mkdir(parents=True)
    (old / "metrics_mo.csv").write_text("old", encoding="utf-8")
    (reports / f".staging-{WEEK}-12345").mkdir()
    from sferum_analysis.config import Paths

    recover(Paths(data, reports), WEEK)
    assert (reports / WEEK / "metrics_mo.csv").read_text("utf-8") == "old"
    assert sorted(p.name for p in reports.iterdir()) == [WEEK]


def test_swap_in_replaces_the_whole_folder(tmp_path):
    final, stage = tmp_path / "week", tmp_path / "stage"
    final.mkdir()
    (final / "a.csv").write_text("old", encoding="utf-8")
    (final / "gone.csv").write_text("old", encoding="utf-8")
    stage.mkdir()
    (stage / "a.csv").write_text("new", encoding="utf-8")
    _swap_in(stage, final)
    assert snapshot(final) == {"a.csv": b"new"}
    assert not stage.exists()
