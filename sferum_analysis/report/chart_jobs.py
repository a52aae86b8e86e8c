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


class ChartsAhead:
    """Draws ``jobs`` (in the order they are shown) two at a time: a forked worker
    from the last, :meth:`png` from the first. Start it from the main thread (the fork
    happens here, not in a thread that could copy another thread's held lock)."""

    def __init__(self, jobs: Sequence[ChartJob]):
        from ..signals import die_with_parent
        from . import charts  # noqa: F401 - imported before the fork: the worker has it

        self._jobs = list(jobs)
        self._todo = list(range(len(self._jobs)))  # not started; the worker takes the last
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                         initializer=die_with_parent)
        weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        first = self._submit_next()  # forks the worker
        if first is not None:
            threading.Thread(target=self._feed, args=(first,), daemon=True,
                             name="sferum-charts-ahead").start()

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

    def _feed(self, future: Future) -> None:
        """One chart at a time: the next is given to the worker when it is done with
        the last, so the notebook can still take any chart not yet given."""
        while future is not None:
            future.exception()  # waits; a failure is the notebook's to see (png)
            future = self._submit_next()
        self._pool.shutdown(wait=False)

    def png(self, index: int) -> bytes:
        """The PNG of job ``index``: the worker's, or drawn now if the worker has not
        started it (or failed: drawn again here)."""
        with self._lock:
            future = self._futures.get(index)
            if future is None and index in self._todo:
                self._todo.remove(index)
        if future is not None:
            try:
                return future.result()
            except Exception:  # noqa: BLE001 - drawn again here, where a failure is seen
                pass
        return self._jobs[index]()
