"""The weekly run: execute the notebooks with Papermill, then publish atomically.

Everything of a run is written to staging folders next to the final ones
(``data/processed/.staging-<week>-<pid>``, ``reports/.staging-<week>-<pid>``) and only
renamed into place when every step succeeded, so a failed or killed run never leaves a
half-written week in place of a good one. ``data/raw`` is only read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, signals, store
from .config import NOTEBOOKS_DIR, SOURCE_DATE_EPOCH, Paths, parse_week
from .errors import UserError
from .formatting import ERRNO_RU
from .report.texts import EDITION_SHORT as EDITIONS
from .run_config import RunConfig
from .status import (
    STATE_TITLES,
    WeekStatus,
    all_status,
    clear_run_state,
    note_run_week,
    pending_weeks,
    week_status,
    write_run_state,
)
from .storage import read_parquet, write_json
from .store import WeekStore
from .workspace import check_not_files

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("sferum")

# nbformat imports jsonschema, which imports rfc3987_syntax when it is installed (JupyterLab
# brings it) and builds its Lark grammars at import: 1.8 s of CPU in every run, for the
# "iri" string formats that no notebook schema uses. The run does not load it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

CLEAN_NOTEBOOK = "01_clean.ipynb"
METRICS_NOTEBOOK = "02_metrics.ipynb"
REPORT_NOTEBOOK = "03_report.ipynb"
MO_NOTEBOOK = "20_mo.ipynb"


class StepFailed(Exception):
    """A notebook failed; ``notebook`` is the executed copy holding the error."""

    def __init__(self, step: str, notebook: Path, reason: str):
        super().__init__(step, notebook, reason)
        self.step, self.notebook, self.reason = step, notebook, reason

    def __str__(self) -> str:
        return (f"шаг «{self.step}» завершился ошибкой: {self.reason.rstrip('.')}. "
                f"Ноутбук с ошибкой: {self.notebook}")


class NoUsableExport(UserError):
    """The week has no usable export (empty folder, every file unreadable or refused):
    it is not published, and no later week compares with it."""


class FileSystemError(UserError):
    """A file-system error outside the notebooks' own code: the step and the path."""

    def __init__(self, step: str, exc: OSError):
        reason = (os_error_reason(exc.errno, exc.filename, exc.strerror) if exc.errno
                  else str(exc))  # an OSError raised with a message only
        super().__init__(f"шаг «{step}»: {reason}")
        self.step = step




def os_error_reason(number: int | None, path: object = None, text: str | None = None) -> str:
    """«нет места на диске: /path» for an errno and a path (no English, no «[Errno …]»)."""
    import errno as errno_module

    reason = ERRNO_RU.get(errno_module.errorcode.get(number or 0, ""),
                          f"ошибка файловой системы ({text or number})")
    return f"{reason}: {path}" if path else reason


_ERRNO_TEXT = re.compile(r"^\[Errno (\d+)\] [^:]*(?:: '(.*)')?")
_OS_ERRORS = frozenset({"OSError", "IOError", "PermissionError", "FileNotFoundError",
                        "IsADirectoryError", "NotADirectoryError", "FileExistsError"})


def step_reason(ename: str, evalue: str) -> str:
    """The reason of a failed cell for the step's message: an OS error in Russian with its
    path («нет места на диске: /srv/…»), anything else as ``ename: evalue``."""
    match = _ERRNO_TEXT.match(evalue.strip()) if ename in _OS_ERRORS else None
    if match:
        return os_error_reason(int(match.group(1)), match.group(2))
    return f"{ename}: {evalue}".strip()


@dataclass
class RunResult:
    week: str
    report_dir: Path
    counts: dict[str, int]  # findings per level
    #: Earlier weeks processed first by this run (their reports were published too).
    previous: list[RunResult] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.counts.get("error", 0)


Notify = Callable[[str], None]


def kernel_command(argv: list[str]) -> list[str]:
    """The kernel spec's command with :mod:`sferum_analysis.run_kernel` in place of
    ``ipykernel_launcher`` (and without ``-Xfrozen_modules=off``, which only the debugger
    needs); another kernel command is left as it is."""
    if "ipykernel_launcher" not in argv:
        return list(argv)
    return [("sferum_analysis.run_kernel" if arg == "ipykernel_launcher" else arg)
            for arg in argv if arg != "-Xfrozen_modules=off"]


def _kernel_manager_class(stderr: int | None = None):
    """A kernel manager for notebook runs.

    Kernels talk over IPC sockets in a private temporary folder (not TCP ports, and not
    ``kernel-ipc-N`` files in the working directory that parallel runs could share).
    The kernel process's own stderr (not cell output) goes to the file descriptor
    ``stderr`` (:class:`_StderrRelay`: run.log). The kernel is ipykernel's, started by
    :mod:`sferum_analysis.run_kernel` (:func:`kernel_command`).
    """
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    class IPCKernelManager(AsyncKernelManager):
        transport = Unicode("ipc")

        def _ip_default(self) -> str:  # jupyter_client may call it more than once
            if getattr(self, "_socket_dir", None) is None:
                self._socket_dir = tempfile.mkdtemp(prefix="sferum-kernel-")
            return os.path.join(self._socket_dir, "k")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if stderr is not None:
                kw["stderr"] = stderr
            return await super()._async_launch_kernel(kernel_command(kernel_cmd), **kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            socket_dir = getattr(self, "_socket_dir", None)
            if socket_dir and not restart:
                shutil.rmtree(socket_dir, ignore_errors=True)

        cleanup_resources = _async_cleanup_resources

    return IPCKernelManager


#: ``%reset -f`` without its two full garbage collections (0.1-0.3 s each in a kernel
#: holding pandas and matplotlib): every name that is not IPython's own goes, and the
#: output cache (``Out``, ``_``, ``_12``) with it, as ``DisplayHook.flush`` does.
_RESET = """\
def _sferum_reset(ip=get_ipython()):
    hook, ns, hidden = ip.displayhook, ip.user_ns, ip.user_ns_hidden
    for n in range(1, hook.prompt_count + 1):
        hidden.pop(f"_{n}", None)
        ns.pop(f"_{n}", None)
    for name in [n for n in ns if n not in hidden]:
        del ns[name]
    ns["_oh"].clear()
    hook._ = hook.__ = hook.___ = ""
    ns.update({"_": "", "__": "", "___": ""})
_sferum_reset()
"""


#: :meth:`SharedKernel.prepare_charts`: the report's chart workers are forked before the
#: metrics step, and import matplotlib on the core it leaves free.
_PREPARE_CHARTS = '__import__("sferum_analysis.report.chart_jobs", fromlist=["_"]).prepare()'


class _StderrRelay:
    """The kernel process's own stderr (not cell output: a crash in a C extension,
    Python's fatal errors), through a pipe: held until the week's run.log exists
    (:meth:`to`), then appended to it as it comes. The kernel can so start before the
    week's folders are made."""

    def __init__(self) -> None:
        self._read, self.fd = os.pipe()  # the kernel gets ``fd``; closed here once it has it
        self._held: list[bytes] = []
        self._out = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._relay, daemon=True,
                                        name="sferum-kernel-stderr")
        self._thread.start()

    def _relay(self) -> None:
        while chunk := os.read(self._read, 65536):  # b"": the kernel (and its children) ended
            with self._lock:
                if self._out is None:
                    self._held.append(chunk)
                else:
                    with contextlib.suppress(OSError):  # a full disk: nothing to do here
                        self._out.write(chunk)
        os.close(self._read)

    def launched(self) -> None:
        """The kernel has its copy of the pipe: the end of its output is then seen here."""
        os.close(self.fd)

    def to(self, path: Path) -> None:
        with self._lock:
            if self._out is not None:
                self._out.close()
            self._out = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
            self._out.write(b"".join(self._held))
            self._held.clear()

    def close(self) -> None:
        self._thread.join(timeout=5)  # the kernel is gone: what it wrote last is written
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None


class SharedKernel:
    """One kernel for the notebooks of one week, started once.

    Starting a kernel and importing pandas, pyarrow and matplotlib in it costs about two
    seconds; the three notebooks of a week share one kernel instead of paying it three
    times. Each notebook after the first starts with an empty namespace (``%reset``),
    so it sees nothing the previous one defined (imported modules stay loaded). Every
    week gets a kernel of its own, so a rerun executes exactly the same sequence.

    :meth:`start` launches the kernel process and returns while it starts (``sferum
    run`` launches it before its own imports, which then run beside the kernel's);
    ``with`` starts it if needed and shuts it down; the kernel's own stderr goes to
    ``stderr_path`` (or to the file of :meth:`log_to`, once known).
    """

    def __init__(self, stderr_path: Path | None = None):
        self._relay = _StderrRelay()
        if stderr_path is not None:
            self._relay.to(stderr_path)
        self.km = _kernel_manager_class(self._relay.fd)(kernel_name="python3")
        self._clients: list = []
        self._used = False
        self._started = self._closed = False
        #: The asynchronous client that executes the notebooks (:func:`_execute_each`).
        self.notebook_client = None
        client = self.km.client

        def tracked_client(**kw):  # nbclient leaves the clients of a km it does not own open
            kc = client(**kw)
            self._clients.append(kc)
            return kc

        self.km.client = tracked_client

    def start(self) -> SharedKernel:
        from jupyter_core.utils import run_sync

        if not self._started:
            self._started = True
            try:
                # no input history: the run's cells are not the analyst's (and not written
                # to ~/.ipython's SQLite database after every cell)
                run_sync(self.km.start_kernel)(
                    cwd=str(NOTEBOOKS_DIR), extra_arguments=["--HistoryManager.enabled=False"])
            finally:
                self._relay.launched()
        return self

    def log_to(self, path: Path) -> None:
        """The kernel's own stderr from now on (and what it wrote until now) into ``path``."""
        self._relay.to(path)

    def __enter__(self) -> SharedKernel:
        return self.start()

    def fresh_namespace(self, kc) -> None:
        """Empty the namespace before every notebook but the first (``kc``: the client
        that executes the notebook's cells).

        The request is only sent: the kernel handles its requests in order, so the
        notebook's first cell runs after it, and the client that waits for that cell's
        reply and outputs skips those of the reset (a kernel that died in it fails that
        cell). The names the previous notebook defined and its output cache are deleted
        (:data:`_RESET`) without ``%reset -f``'s garbage collections: what the
        previous notebook held goes with its last reference, the kernel's own collector
        takes the rest (a chart's pixels are freed when it is saved).
        """
        if not self._used:
            self._used = True
            return
        kc.execute(_RESET, silent=True, store_history=False)

    def prepare_charts(self) -> None:
        """Have the kernel fork the report's chart workers now (:func:`~.report.
        chart_jobs.prepare`): the request is only sent, and handled before the next
        notebook's first cell, as :meth:`fresh_namespace`'s is; it defines no name."""
        if self.notebook_client is not None:
            self.notebook_client.execute(_PREPARE_CHARTS, silent=True, store_history=False)

    def __exit__(self, *exc: object) -> None:
        """Shut the kernel down (again: nothing)."""
        from jupyter_core.utils import run_sync

        if self._closed:
            return
        self._closed = True
        if not self._started:
            self._relay.launched()
            self._relay.close()
            return
        for kc in self._clients:
            kc.stop_channels()
        try:
            if run_sync(self.km.is_alive)():
                run_sync(self.km.shutdown_kernel)(now=True)
            else:
                run_sync(self.km.cleanup_resources)()
        except RuntimeError:  # already gone
            pass
        self._relay.close()

    close = __exit__


class _StreamToNotify:
    """File-like sink for a kernel's stderr: each complete line goes to ``notify``."""

    def __init__(self, notify: Notify):
        self.notify, self.buffer = notify, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            if line.strip():
                self.notify(line.rstrip())
        return len(text)

    def flush(self) -> None:
        pass


def _execute(notebook: str, out: Path, parameters: dict, step: str,
             progress: Notify | None = None, kernel: SharedKernel | None = None) -> None:
    """Execute one notebook with Papermill: in ``kernel`` (after emptying its namespace)
    as :func:`_execute_each` does, or else in a kernel of its own. ``progress`` gets each
    line the notebook writes to stderr as it comes."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    out.parent.mkdir(parents=True, exist_ok=True)
    if kernel is not None:  # the week's kernel: without papermill's fixed cost
        _execute_each(notebook, [(out, parameters, step)], kernel, progress=progress)
        return
    try:
        pm.execute_notebook(
            str(NOTEBOOKS_DIR / notebook), str(out), parameters=parameters,
            kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=False,
            log_output=False, report_mode=False,
            stderr_file=_StreamToNotify(progress) if progress else None,
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as exc:
        if exc.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel too: the run stops
            raise KeyboardInterrupt from None
        reason = step_reason(exc.ename, exc.evalue)
        raise StepFailed(step, out, reason.splitlines()[0][:300]) from None
    except OSError as exc:  # papermill could not write the executed notebook
        raise FileSystemError(step, exc) from None
    except (DeadKernelError, CellTimeoutError) as exc:
        # the kernel died (out of memory, a crash in a C extension) or hung: papermill
        # leaves the notebook as far as it got; keep at least the source for the analyst
        if not out.exists():
            shutil.copyfile(NOTEBOOKS_DIR / notebook, out)
        reason = "ядро Python остановилось" if isinstance(exc, DeadKernelError) else \
            "ячейка выполнялась слишком долго"
        raise StepFailed(step, out, reason) from None


def _execute_each(notebook: str, runs: list[tuple[Path, dict, str]], kernel: SharedKernel,
                  done: Callable[[Path], None] | None = None,
                  progress: Notify | None = None) -> None:
    """Execute ``notebook`` once per ``(out, parameters, step)`` of ``runs`` in ``kernel``.

    The same as one :func:`_execute` per run (papermill's parameterisation and metadata:
    an injected-parameters cell, ``metadata.papermill``; an empty namespace before each
    run; a failed cell gives the notebook with papermill's error banner and
    :class:`StepFailed`), without papermill's fixed cost per notebook: the notebook is
    read once, one kernel client serves every run, the executed notebook is written once
    (not after every cell) and not validated again. ``done(out)`` is called after each
    run (the caller starts publishing that page while the next one executes).
    ``progress`` gets each line the
    notebooks write to stderr as it comes (papermill's ``stderr_file``). A Ctrl-C that
    reached the kernel stops the run (:class:`KeyboardInterrupt`).
    """
    import copy

    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbformat.v4 import nbjson
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    source = NOTEBOOKS_DIR / notebook
    template = load_notebook_node(str(source))
    stderr = _StreamToNotify(progress) if progress else None

    class Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):  # type: ignore[override]
            content = msg.get("content", {})
            if stderr is not None and msg.get("msg_type") == "stream" \
                    and content.get("name") == "stderr":
                stderr.write(content.get("text", ""))
            return super().output(outs, msg, display_id, cell_index)

    def write(nb, out: Path, step: str) -> None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(nbjson.writes(nb), encoding="utf-8")
        except OSError as exc:  # a full disk, no permission: not the notebook's fault
            raise FileSystemError(step, exc) from None

    async def run_all() -> None:
        kc = kernel.notebook_client
        if kc is None:  # one client for every notebook of the week (closed with the kernel)
            kc = kernel.notebook_client = kernel.km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            kc.allow_stdin = False
        for out, parameters, step in runs:
            nb = parameterize_notebook(copy.deepcopy(template), parameters,
                                       kernel_name="python3", language="python")
            nb = prepare_notebook_metadata(nb, str(source), str(out))
            client = Client(nb, km=kernel.km, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
            client.kc = kc
            kernel.fresh_namespace(kc)
            try:
                for index, cell in enumerate(nb.cells):
                    await client.async_execute_cell(
                        cell, index, execution_count=client.code_cells_executed + 1)
            except CellExecutionError:
                try:
                    raise_for_execution_errors(nb, str(out))  # writes the notebook
                except PapermillExecutionError as exc:
                    if exc.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel too
                        raise KeyboardInterrupt from None
                    reason = step_reason(exc.ename, exc.evalue)
                    raise StepFailed(step, out, reason.splitlines()[0][:300]) from None
                write(nb, out, step)
                raise StepFailed(step, out, "ошибка выполнения ячейки") from None
            except (DeadKernelError, CellTimeoutError) as exc:
                write(nb, out, step)
                reason = "ядро Python остановилось" if isinstance(exc, DeadKernelError) else \
                    "ячейка выполнялась слишком долго"
                raise StepFailed(step, out, reason) from None
            write(nb, out, step)
            if done is not None:
                done(out)

    run_sync(run_all)()


#: The niceness of the publishing workers and their fork server (at least): on two cores
#: the kernel and two workers compete, and the kernel's notebooks are what the last PDFs
#: wait for.
PUBLISHING_NICENESS = 10


def _publish_worker_init() -> None:
    """A publishing worker: below the kernel's priority, with the imports of
    :func:`_publish_report` and :func:`_publish_mo` (already done where the fork server
    forks it; paid here where workers are spawned)."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    if hasattr(os, "nice"):  # not on Windows
        with contextlib.suppress(OSError):  # the kernel, on the critical path, goes first
            os.nice(max(0, PUBLISHING_NICENESS - os.nice(0)))  # forked: the server's already
    import nbconvert  # noqa: F401
    import typst  # noqa: F401


def _publish_report(executed: Path, html_out: Path, pdf_out: Path, **html_args) -> list[str]:
    """The report's HTML and PDF; returns the publisher's warnings (the PDF printed by
    WeasyPrint: an element the typesetter does not know), for the run's log."""
    from . import publish

    notes: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: notes.append(record.getMessage())  # type: ignore[method-assign]
    publish._log.addHandler(handler)
    publish._log.propagate = False  # said by the run, not on a worker's stderr
    try:
        html = publish.notebook_to_html(executed, html_out, **html_args)
        publish.html_to_pdf(html, pdf_out)
    finally:
        publish._log.removeHandler(handler)
        publish._log.propagate = True
    return notes


def _publish_mo(executed: Path, report_dir: Path, slug: str, title: str, footer: str) -> None:
    from . import site

    site.publish_mo_page(executed, report_dir, slug, title=title, footer=footer)


#: A region with a МО this large (K = 50 of the sample: 1,750 organisations in г. Орёл)
#: gains no time from a second worker (the МО PDFs are two pages at most, the long jobs
#: are the pages' HTML and the report), only memory: 40.0 s and 797 MB with two against
#: 39.2 s and 723 MB with one (benchmarks/README.md).
LARGE_MO_ORGS = 1000


def publishing_workers(org_mo: pd.Series) -> int:
    """The most processes that may render the week's HTML and PDF (``org_mo``: МО of
    each organisation); :class:`_Publisher` caps it by the cores.

    One when a МО has over :data:`LARGE_MO_ORGS` organisations (a second worker would
    add memory, not speed), two otherwise.
    """
    largest = int(org_mo.value_counts().max()) if len(org_mo) else 0
    return 1 if largest > LARGE_MO_ORGS else 2


#: Imported once by the process the publishing workers are forked from.
_PUBLISHING_IMPORTS = ["sferum_analysis.pipeline", "sferum_analysis.site",
                       "sferum_analysis.typeset", "bs4", "typst", "nbconvert"]


def _publishing_context():
    """Workers forked from a server process started clean (the run holds zmq sockets
    and threads that a fork of the run itself must not copy) that has imported
    nbconvert and Typst once, for every worker (≈ 2 s of CPU each otherwise)."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows: no fork
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PUBLISHING_IMPORTS)
    return context


#: A publishing worker that died (out of memory, killed) or could not start.
BROKEN_WORKER = "процесс публикации HTML и PDF завершился аварийно (нехватка памяти?)"


class _Publisher:
    """HTML and PDF files rendered by worker processes while the kernel works.

    Rendering is single-threaded and the kernel waits for nothing of it:
    the week report's HTML and PDF are rendered while the МО notebooks execute, and each
    МО page as soon as its notebook is done. Every file is rendered from its own input alone,
    so the bytes are those of rendering them one by one. :meth:`wait` raises
    :class:`StepFailed` for the first job (in submission order) that failed.
    """

    #: Render in this process, one job after the other (tests that replace a renderer).
    inline = False

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self._pool = None
        self._jobs: list[tuple[str, Path, object]] = []

    def limit(self, workers: int) -> None:
        """At most ``workers`` processes (before the first job)."""
        if self._pool is None:
            self.workers = min(self.workers, workers)

    def start(self) -> None:
        if self._pool is None and not self.inline:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.workers, initializer=_publish_worker_init,
                                             mp_context=_publishing_context())
            for _ in range(self.workers):  # start the workers now
                self._pool.submit(int)

    @classmethod
    def prepare(cls) -> None:
        """Start the process the workers are forked from, and its imports, now (while
        the kernel starts and cleans), below the kernel's priority, unless the jobs run
        inline."""
        if not cls.inline and _publishing_context().get_start_method() == "forkserver":
            import multiprocessing.forkserver
            import signal

            # A Ctrl-C reaches every process of the terminal's group and is the run's to
            # handle: the server is started with SIGINT ignored (kept across exec, so
            # also while it imports; its workers inherit it and finish the job at hand
            # while the run shuts them down).
            try:
                previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            except ValueError:  # not the main thread: nothing to protect here
                previous = None
            try:
                multiprocessing.forkserver.ensure_running()
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            # its imports (≈ 1 s of CPU) take what the kernel and the run leave of the
            # two cores, and its workers inherit the priority
            pid = getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)
            if pid and hasattr(os, "setpriority"):
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, pid, PUBLISHING_NICENESS)

    def submit(self, step: str, notebook: Path, fn: Callable, *args, **kw) -> None:
        if self.inline:
            from concurrent.futures import Future

            future: Future = Future()
            try:
                future.set_result(fn(*args, **kw))
            except Exception as exc:  # noqa: BLE001 - raised by wait(), as from a worker
                future.set_exception(exc)
            self._jobs.append((step, notebook, future))
            return
        from concurrent.futures.process import BrokenProcessPool

        self.start()
        try:
            future = self._pool.submit(fn, *args, **kw)
        except BrokenProcessPool:
            self.close()
            raise StepFailed(step, notebook, BROKEN_WORKER) from None
        self._jobs.append((step, notebook, future))

    def wait(self, note: Callable[[str], None] | None = None) -> None:
        """Wait for every job; ``note`` gets each line of a job that returned a list (its
        warnings: :func:`_publish_report`)."""
        from concurrent.futures.process import BrokenProcessPool

        jobs, self._jobs = self._jobs, []
        for step, notebook, future in jobs:
            try:
                result = future.result()
                if note is not None and isinstance(result, list):
                    for line in result:
                        note(line)
            except BrokenProcessPool:
                self.close()
                raise StepFailed(step, notebook, BROKEN_WORKER) from None
            except OSError as exc:  # a full disk, no permission: not the notebook's fault
                self.close()
                raise FileSystemError(step, exc) from None
            except Exception as exc:
                self.close()
                raise StepFailed(step, notebook, f"{type(exc).__name__}: {exc}"[:300]) from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> _Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    import ctypes

    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_in(stage: Path, final: Path) -> None:
    """Put ``stage`` in place of ``final``.

    On Linux the two folders are exchanged in one atomic step: at every instant ``final``
    is either the complete old week or the complete new one. Elsewhere two renames are
    used and :func:`recover` restores the old copy if a crash falls between them.
    """
    if final.exists() and _exchange(stage, final):
        shutil.rmtree(stage)
        return
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(stage, final)
    if old.exists():
        shutil.rmtree(old)


def recover(paths: Paths, week: str) -> None:
    """Bring back a week left half-swapped by a killed run; drop stale staging folders."""
    for root, final in ((paths.processed_root, paths.processed_week(week)),
                        (paths.reports_dir, paths.report_week(week))):
        if not root.is_dir():
            continue
        olds = sorted(root.glob(f".old-{week}-*"))
        if olds and not final.exists():
            os.replace(olds[-1], final)
            olds = olds[:-1]
        for leftover in [*olds, *root.glob(f".staging-{week}-*")]:
            shutil.rmtree(leftover, ignore_errors=True)


class RunLock:
    """One run per data directory at a time (a lock file next to raw/ and processed/)."""

    def __init__(self, paths: Paths):
        from filelock import FileLock

        if not paths.data_dir.is_dir():
            raise UserError(f"нет папки данных: {paths.data_dir}")
        self.path = paths.data_dir / ".sferum.lock"
        self._paths = paths
        self._lock = FileLock(str(self.path), timeout=0)

    def __enter__(self) -> RunLock:
        from filelock import Timeout

        try:
            self._lock.acquire()
        except Timeout:
            raise UserError(f"папку данных {self.path.parent} уже обрабатывает другой запуск "
                            f"(блокировка {self.path}); дождитесь его окончания") from None
        write_run_state(self._paths)  # `sferum status` shows the run in progress
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            clear_run_state(self._paths)
        finally:
            self._lock.release()


def recover_all(paths: Paths) -> None:
    """Clean up after killed runs for every week that left staging or half-swapped
    folders (they may hold names of people). The caller holds the run lock."""
    weeks = {m.group(1) for p in WeekStore(paths).leftovers_all()
             if (m := re.match(r"\.(?:staging|old)-(\d{4}-\d{2}-\d{2})-", p.name))}
    for week in sorted(weeks):
        recover(paths, week)


def _file_logger(path: Path) -> tuple[logging.Logger, logging.Handler]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.handleError = lambda record: None  # a full disk: the step reports it, not logging
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                           "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger(f"sferum.run.{os.getpid()}.{path.parent.name}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    return logger, handler


def _managed(paths: Paths, week: str) -> list[Path]:
    """Folders a run of ``week`` replaces or deletes (as given, not resolved)."""
    weeks = WeekStore(paths)
    return [weeks.processed(week), weeks.report(week), weeks.failed(week),
            *weeks.leftovers(week)]


def _overlap(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def check_folders(paths: Paths, week: str | None = None) -> None:
    """Refuse folders that publishing would destroy or cannot use.

    A reports folder inside ``data/raw`` or ``data/processed`` (publishing would replace
    the exports or the clean tables); ``data/processed`` that is (a link to) ``data/raw``
    or inside it. With ``week``: any folder the run replaces or deletes — the week's
    processed and report folders, ``reports/failed/<week>``, leftovers of killed runs —
    that is a symbolic link, or that is, holds or lies inside the data folder or
    ``data/raw`` (seen through links). A reports or data path that is a file.
    """
    check_not_files(paths)
    raw, reports = paths.raw_dir.resolve(), paths.reports_dir.resolve()
    processed = paths.processed_root.resolve()
    data = paths.data_dir.resolve()
    if reports == raw or reports.is_relative_to(raw):
        raise UserError(f"папка отчётов {reports} находится внутри папки исходных выгрузок "
                        f"{raw}: отчёт заменил бы выгрузки недели. Укажите другую "
                        "--reports-dir")
    if reports == processed or reports.is_relative_to(processed):
        raise UserError(f"папка отчётов {reports} находится внутри папки обработанных данных "
                        f"{processed}: отчёт и очищенные таблицы заменили бы друг друга. "
                        "Укажите другую --reports-dir")
    if _overlap(processed, raw):
        raise UserError(f"папка обработанных данных {paths.processed_root} совпадает с папкой "
                        f"исходных выгрузок {raw} или пересекается с ней (ссылка?): "
                        "обработка заменила бы выгрузки")
    for target in _managed(paths, week) if week is not None else []:
        if target.is_symlink():
            raise UserError(f"{target} — символическая ссылка; запуск заменяет и удаляет эту "
                            "папку, поэтому ссылкой она быть не может. Удалите ссылку")
        resolved = target.resolve()
        if resolved == data or data.is_relative_to(resolved) or _overlap(resolved, raw):
            raise UserError(
                f"папка {target} пересекается с папкой данных {data} или с исходными "
                f"выгрузками {raw}: запуск заменяет и удаляет её, выгрузки были бы потеряны. "
                "Укажите другую --reports-dir или --data-dir")


def _process_previous(week: str, paths: Paths, config: RunConfig, notify: Notify,
                      progress: Notify | None, failed: set[str],
                      keep_registry: bool = False) -> list[RunResult]:
    """Process, oldest first, the earlier weeks of ``data/raw`` that the comparison needs.

    Walks back from ``week`` while the previous week folder has no processed metrics
    and has not failed in this invocation, then runs :func:`run_week` on each, oldest
    first (each then finds its own previous week processed). A week that fails is
    reported and left out: the later weeks are published without comparison with it.
    The caller holds the run lock.
    """
    weeks = WeekStore(paths)
    chain, current = [], week
    while True:
        prev = weeks.previous_week(current)
        if prev is None or prev in failed or weeks.is_processed(prev):
            break
        chain.append(prev)
        current = prev
    results = []
    for prev in reversed(chain):
        notify(f"{week}: предыдущая неделя {prev} ещё не обработана — обрабатываю её первой")
        try:
            results.append(run_week(prev, paths, config, notify, progress, failed=failed,
                                    keep_registry=keep_registry))
        except Exception as exc:  # noqa: BLE001 - reported; the later weeks go on
            failed.add(prev)
            notify(f"{week}: неделю {prev} обработать не удалось ({exc}); отчёты за более "
                   "поздние недели не сравниваются с ней")
    return results


def run_week(week: str, paths: Paths, config: RunConfig | None = None,
             notify: Notify = lambda msg: None, progress: Notify | None = None, *,
             publish_report: bool = True, failed: set[str] | None = None,
             keep_registry: bool = False, warning: str = "") -> RunResult:
    """Process and publish one reporting week. Raises UserError or StepFailed.

    ``config`` is the run's one configuration (:class:`RunConfig`, default: the built-in
    defaults); it is stored with the processed week before the first step, and every
    step reads it from there. An earlier week of ``data/raw`` that has not been processed
    yet is processed first (:func:`_process_previous`), so that the report can compare
    with the previous week. ``notify`` receives one line per step (for the terminal and
    ``run.log``), ``progress`` the notebooks' progress lines (files read). ``failed``
    collects the weeks that failed in this invocation (not tried again as someone's
    previous week). ``keep_registry``: recompute with the registry snapshot of the week's
    earlier processing (``sferum run --pending``), not today's registry. ``warning``: a
    line for the week's ``run.log`` from the caller (its files changed a minute ago).
    """
    config = config or RunConfig()
    failed = set() if failed is None else failed
    parse_week(week)
    check_folders(paths, week)
    # the week's kernel starts (≈ 1.5 s of imports in it) while this process imports
    # pandas and reads the registry
    kernel = SharedKernel().start()
    try:
        from .steps import read_workspace_registry, week_dir

        week_dir(paths, week)
        read_workspace_registry(paths)  # a registry error stops the run before any work
        try:
            earlier = _process_previous(week, paths, config, notify, progress, failed,
                                        keep_registry)
            note_run_week(paths, week)  # for `sferum status`
            result = _run_one_week(week, paths, config, notify, progress, publish_report,
                                   keep_registry, warning=warning, kernel=kernel)
        except BaseException:
            failed.add(week)
            raise
    finally:
        kernel.close()  # if the week did not get to use it
    result.previous = earlier
    return result


def report_title(week: str, config: RunConfig) -> str:
    """The HTML page title: the region, the week and the edition."""
    title = f"{config.region} — ИКОП «Сферум»: отчёт за неделю по {parse_week(week):%d.%m.%Y}"
    if config.edition != "ministry":
        title += f" ({EDITIONS[config.edition]} редакция)"
    return title


def _finalize_notebooks(folder: Path, replacements: dict[str, str]) -> None:
    """Point the archived notebooks' injected parameters (and papermill's record of them)
    at the final folders, not the staging ones, so that
    ``papermill reports/<week>/notebooks/02_metrics.ipynb out.ipynb`` re-runs an archived
    notebook as it is."""
    for path in sorted(folder.glob("*.ipynb")):
        text = original = path.read_text(encoding="utf-8")
        for old, new in replacements.items():  # as JSON spells them inside the notebook
            text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
        if text != original:
            path.write_text(text, encoding="utf-8")


def _exports_in(folder: Path) -> list[Path]:
    """Files of a week folder that cleaning would read (no folders, special or hidden
    files, no other types): none means there is nothing to clean."""
    from .cleaning import is_skipped_file
    from .reading import TABLE_SUFFIXES

    out = []
    for entry in os.scandir(folder):
        if (entry.is_file(follow_symlinks=False) and not is_skipped_file(entry.name)
                and Path(entry.name).suffix.lower() in TABLE_SUFFIXES):
            out.append(Path(entry.path))
    return out


_FILE_STATUS_RU = {"unreadable": "не прочитано", "no_data_for_date": "без строк за "
                   "отчётную дату, которые можно учесть", "unknown_org": "организации нет "
                   "в реестре"}


def _check_usable(processed_dir: Path, week: str, log: Callable[[str], None]) -> None:
    """Refuse a week with no usable export (every file unreadable or refused): the reason
    per file goes to run.log."""
    files = store.read_table(processed_dir, "files", ["file", "status"])
    if (files["status"] == "used").any():
        return
    findings = store.read_table(processed_dir, "findings", ["level", "file", "message"])
    for rec in findings[(findings["file"].fillna("") != "")
                        & (findings["level"] != "info")].head(50).itertuples():
        log(f"{rec.file}: {rec.message}")
    counts = files["status"].value_counts()
    detail = ", ".join(f"{_FILE_STATUS_RU.get(k, k)}: {v}" for k, v in counts.items())
    raise NoUsableExport(f"неделя {week} не опубликована: нет пригодных выгрузок — ни один "
                         f"файл не учтён (файлов: {len(files)}; {detail})")


def _run_one_week(week: str, paths: Paths, config: RunConfig, notify: Notify,
                  progress: Notify | None, publish_report: bool = True,
                  keep_registry: bool = False, *, warning: str = "",
                  kernel: SharedKernel | None = None) -> RunResult:
    recover(paths, week)
    weeks = WeekStore(paths)

    paths.processed_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.reports_dir.mkdir(parents=True, exist_ok=True)
    processed_stage, report_stage = weeks.staging(week)
    for stage in (processed_stage, report_stage):
        shutil.rmtree(stage, ignore_errors=True)
    notebooks_out = report_stage / store.NOTEBOOKS_DIR
    logger, handler = _file_logger(report_stage / store.RUN_LOG_FILE)
    if warning:
        logger.warning(warning)

    def say(message: str) -> None:
        logger.info(message)
        notify(f"{week}: {message}")

    phase = ["подготовка запуска"]  # named in a file-system error

    def step(title: str, notebook: str, *names: str) -> None:
        phase[0] = title
        started = time.monotonic()
        say(f"{title}…")
        _execute(notebook, notebooks_out / notebook, {n: parameters[n] for n in names}, title,
                 progress=lambda line: (logger.info(line), (progress or notify)(f"{week}: {line}")),
                 kernel=kernel)
        say(f"{title}: готово за {time.monotonic() - started:.1f} с")

    # The notebooks get folders only: every setting is read from the stored configuration.
    parameters = {"week": week, "data_dir": str(paths.data_dir),
                  "processed_dir": str(processed_stage), "report_dir": str(report_stage)}
    prev = weeks.previous_week(week)
    mo_pages: list[dict[str, str]] = []
    try:
        say(f"запуск (sferum-analysis {__version__}, правило активности: "
            f"{config.rule.describe()}; редакция: {EDITIONS[config.edition]})")
        if prev is None:
            say("предыдущей недели в data/raw нет: отчёт без сравнения")
        elif not weeks.is_processed(prev):
            say(f"предыдущая неделя {prev} не обработана: отчёт без сравнения с ней")
        elif week_status(paths, prev).state == "changed":
            say(f"входные файлы предыдущей недели {prev} изменились после её обработки: "
                f"сравнение — с опубликованными значениями (обновите: sferum run {prev})")
        # the kernel (matplotlib, nbconvert) and PDF fonts: reruns give the same bytes
        os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        store.write_config(processed_stage, config)
        if keep_registry and store.copy_registry_snapshot(weeks.processed(week),
                                                          processed_stage):
            say("реестр и список МО — те, с которыми неделя была рассчитана (снимок); "
                f"с текущим реестром: sferum run {week}")
        if not _exports_in(weeks.raw(week)):
            raise NoUsableExport(f"неделя {week} не опубликована: нет пригодных выгрузок — "
                                 "в папке недели нет файлов .xlsx, .xls, .csv")
        with kernel or SharedKernel() as kernel, _Publisher() as pub:
            kernel.log_to(report_stage / store.RUN_LOG_FILE)
            # the site's modules are imported while this process waits for the cleaning
            site_import = threading.Thread(target=importlib.import_module,
                                           args=("sferum_analysis.site",), daemon=True)
            site_import.start()
            if publish_report:  # its imports while the kernel starts and cleans
                _Publisher.prepare()
            folders = ("week", "data_dir", "processed_dir")
            step("очистка выгрузок", CLEAN_NOTEBOOK, *folders)
            site_import.join()
            from . import site

            _check_usable(processed_stage, week, logger.info)
            from .cleaning import default_workers

            if publish_report and (config.workers or default_workers()) > 1:
                kernel.prepare_charts()
            step("расчёт показателей", METRICS_NOTEBOOK, *folders, "report_dir")
            if publish_report:
                pub.limit(publishing_workers(
                    store.read_table(processed_stage, "orgs", ["mo"])["mo"]))
                mo_pages = site.mo_pages_of(store.read_table(processed_stage, "metrics", ["mo"]))
                started = time.monotonic()
                # the report first: its HTML and PDF, the longest job, are rendered while
                # the МО notebooks execute, each МО page as soon as its notebook is done
                step("отчёт", REPORT_NOTEBOOK, *folders, "report_dir")
                say("публикация HTML и PDF…")
                pub.submit("публикация отчёта", notebooks_out / REPORT_NOTEBOOK,
                           _publish_report, notebooks_out / REPORT_NOTEBOOK,
                           store.report_file(report_stage, week, "html", config.edition),
                           store.report_file(report_stage, week, "pdf", config.edition),
                           title=report_title(week, config), week=week, region=config.region,
                           footer_note="" if config.edition == "ministry"
                           else f"{EDITIONS[config.edition]} редакция, не для рассылки")
                mo_started = time.monotonic()
                say(f"страницы муниципалитетов ({len(mo_pages)})…")
                runs = {store.mo_notebook(report_stage, page["slug"]): page for page in mo_pages}

                def publish_page(executed: Path) -> None:
                    page = runs[executed]
                    pub.submit("публикация страниц МО", executed, _publish_mo, executed,
                               report_stage, page["slug"],
                               site.mo_page_title(week, page["mo"], config.region),
                               site.mo_page_footer(week, page["mo"], config.region))

                # one notebook per МО, in the week's kernel, each page published meanwhile
                _execute_each(MO_NOTEBOOK, [
                    (out, {**{n: parameters[n] for n in (*folders, "report_dir")},
                           "mo": page["mo"]}, f"страница МО «{page['mo']}»")
                    for out, page in runs.items()], kernel, done=publish_page)
                say("страницы муниципалитетов: ноутбуки за "
                    f"{time.monotonic() - mo_started:.1f} с")
                pub.wait(note=lambda line: say(f"внимание: {line}"))
                say(f"отчёт и страницы муниципалитетов: HTML и PDF готовы через "
                    f"{time.monotonic() - started:.1f} с")
        phase[0] = "запись результатов недели"
        findings = read_parquet(store.table_path(processed_stage, "findings"))
        meta = store.read_meta(processed_stage)
        compared = prev if prev is not None and meta.get("previous_processed") else None
        counts = {str(k): int(v) for k, v in findings["level"].value_counts().items()}
        for folder in (notebooks_out, notebooks_out / store.MO_DIR):
            _finalize_notebooks(folder, {str(processed_stage): str(weeks.processed(week)),
                                         str(report_stage): str(weeks.report(week))})
        processed_fp = store.processed_fingerprint(processed_stage)
        published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        # the other edition of the week stays beside this one (marked stale if its data differ)
        editions = site.carry_other_edition(weeks.report(week), report_stage, week,
                                            config.edition if publish_report else None,
                                            processed_fp, published_at)
        write_json({
            "week": week,
            "inputs": weeks.exports_fingerprint(week),
            # the registry snapshot the week was computed with
            "registry": store.registry_fingerprint(store.registry_snapshot(processed_stage)),
            "processed": processed_fp,
            "active_rule": config.rule.as_dict(),
            "edition": config.edition,
            "target_pct": config.target_pct,
            "jump_threshold": float(config.jump_threshold),
            "region": config.region,
            "previous_week": prev,
            # the week compared with and its metrics then: a later change makes this
            # week's comparison stale (status.comparison_is_stale)
            "compared_week": compared,
            "compared_metrics": store.metrics_fingerprint(weeks.processed(compared))
            if compared else None,
            "version": __version__,
            "findings": counts,
            "published_at": published_at,
            "editions": editions,
            "mo_pages": mo_pages,
        }, report_stage / store.MANIFEST_FILE)
        say("замечания: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
                             or "нет"))
    except (StepFailed, FileSystemError) as exc:  # the run's notebooks and log are kept
        failed_dir = weeks.failed(week)
        if isinstance(exc, StepFailed):
            exc.notebook = failed_dir / store.NOTEBOOKS_DIR / exc.notebook.name
        logger.error(str(exc))
        shutil.rmtree(failed_dir, ignore_errors=True)
        failed_dir.parent.mkdir(parents=True, exist_ok=True)
        handler.close()
        shutil.move(str(report_stage), str(failed_dir))
        shutil.rmtree(processed_stage, ignore_errors=True)
        raise
    except NoUsableExport as exc:  # kept as failed, with the reason: nobody's previous week
        logger.error(str(exc))
        handler.close()
        failed_dir = weeks.failed(week)
        shutil.rmtree(failed_dir, ignore_errors=True)
        failed_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(report_stage), str(failed_dir))
        shutil.rmtree(processed_stage, ignore_errors=True)
        write_json({"week": week, "reason": str(exc),
                    "inputs": weeks.exports_fingerprint(week),
                    "registry": weeks.current_registry_fingerprint()},
                   failed_dir / store.REFUSED_FILE)
        raise
    except BaseException as exc:
        shutil.rmtree(processed_stage, ignore_errors=True)
        shutil.rmtree(report_stage, ignore_errors=True)
        if isinstance(exc, OSError):
            raise FileSystemError(phase[0], exc) from None
        raise
    finally:
        handler.close()
        logger.removeHandler(handler)
    with signals.deferred(week):  # Ctrl-C now waits until the week is in place
        try:
            _swap_in(processed_stage, weeks.processed(week))
            _swap_in(report_stage, weeks.report(week))
        except OSError as exc:
            raise FileSystemError("замена опубликованной недели", exc) from None
        shutil.rmtree(weeks.failed(week), ignore_errors=True)
        if publish_report:
            site.write_index(paths.reports_dir)  # reports/index.html: every published week
    return RunResult(week, weeks.report(week), counts)


__all__ = ["STATE_TITLES", "RunLock", "RunResult", "StepFailed", "UserError", "WeekStatus",
           "all_status", "pending_weeks", "recover", "run_week", "week_status"]
