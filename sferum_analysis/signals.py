"""Ctrl-C and SIGTERM: the run unwinds (its staging folders are removed on the way), except
while a week is being put in place, when the signal waits until the week is published."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM. ``published``: a week that was put in place before the signal
    was acted on (it arrived while the week was being swapped in)."""

    def __init__(self, signum: int, published: str | None = None):
        super().__init__(signum)
        self.signum, self.published = signum, published


_state = {"deferring": 0, "pending": None}


def die_with_parent() -> None:
    """Initializer of a worker process: on Linux, end the worker when the process that
    started it dies (a run killed with SIGKILL would otherwise leave its readers and its
    chart worker running)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def on_signal(signum, frame) -> None:
    if _state["deferring"]:
        _state["pending"] = signum  # acted on when the critical section ends
        return
    # the first signal ends the run; further ones must not cut its clean-up short
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


def install() -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}


@contextlib.contextmanager
def deferred(week: str) -> Iterator[None]:
    """Signals wait while the block runs (the swap of a week's folders and its index); one
    that arrived meanwhile is raised after it, naming ``week`` as published."""
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1
    signum = _state["pending"]
    if signum is not None and not _state["deferring"]:
        _state["pending"] = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        raise Interrupted(signum, published=week)
