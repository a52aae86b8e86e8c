"""How many processes render a week's HTML and PDF (memory of large regions)."""

from __future__ import annotations

import pandas as pd

from sferum_analysis import pipeline
from sferum_analysis.pipeline import LARGE_MO_ORGS, _Publisher, publishing_workers


def orgs_of(sizes: dict[str, int]) -> pd.Series:
    return pd.Series([mo for mo, n in sizes.items() for _ in range(n)], dtype="string")


def test_two_workers_for_a_region_of_ordinary_size():
    # the sample region times ten: the largest МО (г. Орёл) has 350 organisations
    assert publishing_workers(orgs_of({"г. Орёл": 350, "г. Ливны": 45})) == 2
    assert publishing_workers(orgs_of({"г. Орёл": LARGE_MO_ORGS})) == 2
    assert publishing_workers(orgs_of({})) == 2


def test_one_worker_when_a_municipality_is_very_large():
    assert publishing_workers(orgs_of({"г. Орёл": LARGE_MO_ORGS + 1, "г. Ливны": 3})) == 1


def test_one_worker_on_one_core(monkeypatch):
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 1)
    pub = _Publisher()
    pub.inline = True  # no processes in this test
    pub.limit(publishing_workers(orgs_of({"г. Орёл": 350})))
    assert pub.workers == 1


def test_a_limit_never_raises_the_number_of_workers():
    pub = _Publisher(workers=1)
    pub.inline = True
    pub.limit(2)
    assert pub.workers == 1
    pub = _Publisher(workers=2)
    pub.inline = True
    pub.limit(1)
    assert pub.workers == 1


def test_a_worker_that_dies_fails_the_step_in_russian(tmp_path):
    """A worker killed mid-job (out of memory) stops the step with a reason, and the
    workers are forked from the fork server with a lower priority than the kernel."""
    import os

    import pytest

    with _Publisher(workers=1) as pub:
        pub.submit("публикация страниц МО", tmp_path / "mo.ipynb", os.nice, 0)
        pub.submit("публикация страниц МО", tmp_path / "mo.ipynb", os._exit, 1)
        first = pub._jobs[0][2].result(timeout=60)
        assert first == os.nice(0) + pipeline.PUBLISHING_NICENESS or first == 19
        with pytest.raises(pipeline.StepFailed) as failed:
            pub.wait()
    assert pipeline.BROKEN_WORKER in str(failed.value)
    assert "BrokenProcessPool" not in str(failed.value)


def test_workers_are_spawned_where_there_is_no_fork(monkeypatch):
    """Windows has no fork server: the workers are spawned (and import for themselves)."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert pipeline._publishing_context().get_start_method() == "spawn"
    pipeline._Publisher.prepare()  # nothing to start
    monkeypatch.undo()
    assert pipeline._publishing_context().get_start_method() == "forkserver"
