"""The report's charts as jobs, and drawing them ahead in worker processes.

A chart of the report is a :class:`ChartJob`: the name of a function of :mod:`.charts`
and its arguments (DataFrames, numbers, texts), so that another process can draw it. A
chart takes 0.2-0.8 s of matplotlib and the report has three to six of them.
:class:`ChartsAhead` forks two workers from the notebook's process that import
matplotlib and draw the charts, both at once, the costliest (the last shown) first; the
notebook only waits for each PNG as it shows it, and never imports matplotlib itself
(0.7 s). ``sferum run`` makes it before the metrics step (:func:`prepare`), whose one
core leaves the other to the workers' imports; the report's :func:`~.document.
build_report` takes it (:func:`take_prepared`), or makes its own in JupyterLab.

The PNG bytes are the same either way (the same code in the same state: the workers
are forks of the notebook's process). A worker that fails or dies changes nothing but
the time: the chart is drawn again by the notebook (a chart that cannot be drawn fails
there, with the notebook's own traceback).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

#: Worker processes of :class:`ChartsAhead` (the notebook's process waits meanwhile).
CHART_WORKERS = 2


@dataclass(frozen=True, eq=False)
class ChartJob:
    """The chart :mod:`.charts`.``name`` (``*args``, ``**kwargs``); calling it gives
    the PNG bytes (:func:`.charts.figure_png`)."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __call__(self) -> bytes:
        from . import charts

        fig = getattr(charts, self.name)(*self.args, **self.kwargs)
        try:
            return charts.figure_png(fig)
        finally:
            charts.close_figure(fig)


def can_fork() -> bool:
    """A worker can be forked (Linux): elsewhere a worker would start a new
    interpreter and import matplotlib again, longer than the charts it would draw."""
    return sys.platform.startswith("linux") and \
        "fork" in multiprocessing.get_all_start_methods()


def _worker_start() -> None:
    """A worker: ends with the notebook's process; imports matplotlib at once."""
    from ..signals import die_with_parent
    from . import charts  # noqa: F401

    die_with_parent()


class ChartsAhead:
    """Draws charts in :data:`CHART_WORKERS` forked processes. Made before the charts are
    known (the workers are forked at once and import matplotlib meanwhile); :meth:`draw`
    gives them the charts, in the order they are shown, and :meth:`png` waits for one.
    Make it from the main thread (a fork from another thread could copy a lock held by
    the main one)."""

    def __init__(self, workers: int = CHART_WORKERS) -> None:
        self._futures: dict[int, Future] = {}  # id of a job -> its drawing
        self._lock = threading.Lock()
        self._given = False
        self._pool = ProcessPoolExecutor(workers,
                                         mp_context=multiprocessing.get_context("fork"),
                                         initializer=_worker_start)
        weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        for _ in range(workers):  # forks the workers now
            self._pool.submit(int)

    def draw(self, jobs: Sequence[ChartJob]) -> None:
        """Start drawing ``jobs`` (once): the last first (the trend and heat-map charts,
        the costliest, come last), so that the two workers finish at about one time."""
        with self._lock:
            if self._given:
                raise RuntimeError("charts already given")
            self._given = True
            for job in reversed(jobs):
                try:
                    self._futures[id(job)] = self._pool.submit(job)
                except RuntimeError:  # the workers died (BrokenProcessPool): drawn here
                    break
        self._pool.shutdown(wait=False)  # the workers end after the last chart

    def close(self) -> None:
        """No more charts for the workers (those they drew stay available)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def png(self, job: ChartJob) -> bytes:
        """The PNG of ``job``: the workers' (or drawn here if they failed, or were not
        given it)."""
        with self._lock:
            future = self._futures.get(id(job))
        if future is not None:
            try:
                return future.result()
            except Exception:  # noqa: BLE001 - drawn again here, where a failure is seen
                pass
        return job()


#: The workers :func:`prepare` made, until the report takes them.
_prepared: ChartsAhead | None = None


def prepare() -> None:
    """Fork the chart workers now (``sferum run`` asks for it in the week's kernel before
    the metrics step): they import matplotlib while the metrics are computed and the
    report's document is built. Nothing happens where fork is not available; never
    raises (the report then makes its own)."""
    global _prepared
    if _prepared is None and can_fork():
        try:
            _prepared = ChartsAhead()
        except Exception:  # noqa: BLE001 - e.g. no process could be forked: later, or never
            _prepared = None


def take_prepared() -> ChartsAhead | None:
    """The workers :func:`prepare` made (once), or None."""
    global _prepared
    ahead, _prepared = _prepared, None
    return ahead
