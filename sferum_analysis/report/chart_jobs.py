"""The report's charts as jobs, and drawing them ahead on a second core.

A chart of the report is a :class:`ChartJob`: the name of a function of :mod:`.charts`
and its arguments (DataFrames, numbers, texts), so that another process can draw it. A
chart takes 0.3-0.6 s of matplotlib, the report has three to six of them, and while
the notebook draws them the second core is idle. :class:`ChartsAhead` forks one worker
from the notebook's process that draws the charts from the last one backwards while
the notebook draws them from the first, as it shows them: a chart the worker has not
started is drawn where it is asked for. On two cores the charts take about half the
time.

The PNG bytes are the same either way (the same code in the same state: the worker is
a fork of the notebook's process, made after matplotlib was imported). A worker that
fails or dies changes nothing but the time: the chart is drawn again by the notebook
(a chart that cannot be drawn fails there, with the notebook's own traceback).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field


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
    """The worker: ends with the notebook's process; imports matplotlib while the
    notebook builds the document (the notebook imports it too, for its own charts)."""
    from ..signals import die_with_parent
    from . import charts  # noqa: F401

    die_with_parent()


class ChartsAhead:
    """Draws charts two at a time: a forked worker from the last, :meth:`png` from the
    first. Made before the charts are known (the worker is forked at once and imports
    matplotlib meanwhile); :meth:`draw` gives it the charts, in the order they are
    shown. Make it from the main thread (a fork from another thread could copy a lock
    held by the main one)."""

    def __init__(self) -> None:
        self._jobs: list[ChartJob] = []
        self._index: dict[int, int] = {}  # id of a job -> its position in _jobs
        self._todo: list[int] = []  # not started; the worker takes the last
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_worker_start)
        weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        self._started = self._pool.submit(int)  # forks the worker now

    def draw(self, jobs: Sequence[ChartJob]) -> None:
        """Start drawing ``jobs`` (once)."""
        with self._lock:
            if self._jobs:
                raise RuntimeError("charts already given")
            self._jobs = list(jobs)
            self._index = {id(job): i for i, job in enumerate(self._jobs)}
            self._todo = list(range(len(self._jobs)))
        threading.Thread(target=self._feed, args=(self._started,), daemon=True,
                         name="sferum-charts-ahead").start()

    def close(self) -> None:
        """No more charts for the worker (those it drew stay available)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit_next(self) -> Future | None:
        with self._lock:
            if not self._todo:
                return None
            index = self._todo.pop()
            try:
                future = self._pool.submit(self._jobs[index])
            except RuntimeError:  # the worker died (BrokenProcessPool): the rest here
                self._todo.append(index)
                return None
            self._futures[index] = future
            return future

    def _feed(self, future: Future | None) -> None:
        """One chart at a time: the next is given to the worker when it is done with
        the last, so the notebook can still take any chart not yet given."""
        while future is not None:
            future.exception()  # waits; a failure is the notebook's to see (png)
            future = self._submit_next()
        self._pool.shutdown(wait=False)

    def png(self, job: ChartJob) -> bytes:
        """The PNG of ``job``: the worker's, or drawn now if the worker has not started
        it (or failed: drawn again here; a job not given to :meth:`draw`: drawn here)."""
        with self._lock:
            index = self._index.get(id(job))
            future = self._futures.get(index) if index is not None else None
            if future is None and index in self._todo:
                self._todo.remove(index)
        if future is not None:
            try:
                return future.result()
            except Exception:  # noqa: BLE001 - drawn again here, where a failure is seen
                pass
        return job()
