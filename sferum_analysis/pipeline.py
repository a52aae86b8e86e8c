"""The weekly run: execute the notebooks with Papermill, then publish atomically.

Everything of a run is written to staging folders next to the final ones
(``data/processed/.staging-<week>-<pid>``, ``reports/.staging-<week>-<pid>``) and only
renamed into place when every step succeeded, so a failed or killed run never leaves a
half-written week in place of a good one. ``data/raw`` is only read.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .config import NOTEBOOKS_DIR, Paths, parse_week
from .metrics import ActiveRule
from .registry import read_registry
from .steps import UserError, registry_path, week_dir
from .storage import fingerprint, read_parquet, write_json

log = logging.getLogger("sferum")

CLEAN_NOTEBOOK = "01_clean.ipynb"
METRICS_NOTEBOOK = "02_metrics.ipynb"
MANIFEST = "manifest.json"


class StepFailed(Exception):
    """A notebook failed; ``notebook`` is the executed copy holding the error."""

    def __init__(self, step: str, notebook: Path, reason: str):
        super().__init__(step, notebook, reason)
        self.step, self.notebook, self.reason = step, notebook, reason

    def __str__(self) -> str:
        return (f"шаг «{self.step}» завершился ошибкой: {self.reason}. "
                f"Ноутбук с ошибкой: {self.notebook}")


@dataclass
class RunOptions:
    rule: ActiveRule = field(default_factory=ActiveRule)
    workers: int = 0
    publish: bool = True
    target_pct: float | None = None


@dataclass
class RunResult:
    week: str
    report_dir: Path
    counts: dict[str, int]  # findings per level

    @property
    def errors(self) -> int:
        return self.counts.get("error", 0)


Notify = Callable[[str], None]


def input_files(paths: Paths, week: str) -> list[Path]:
    """The raw files a week's report is built from: the week folder and the registry."""
    files = [p for p in paths.raw_week(week).iterdir() if p.is_file()]
    registry = paths.registry_file()
    return files + ([registry] if registry else [])


def inputs_fingerprint(paths: Paths, week: str) -> dict[str, str]:
    fp = fingerprint(p for p in input_files(paths, week) if p.parent.name == week)
    registry = paths.registry_file()
    if registry:
        fp.update({f"registry/{k}": v for k, v in fingerprint([registry]).items()})
    return fp


def _kernel_manager_class():
    """Kernels talk over local IPC sockets, not TCP (quiet, and nothing listens on a port)."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    class IPCKernelManager(AsyncKernelManager):
        transport = Unicode("ipc")

    return IPCKernelManager


def _execute(notebook: str, out: Path, parameters: dict, step: str) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(NOTEBOOKS_DIR / notebook), str(out), parameters=parameters,
            kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=False,
            log_output=False, report_mode=False, kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as exc:
        reason = f"{exc.ename}: {exc.evalue}".strip()
        raise StepFailed(step, out, reason.splitlines()[0][:300]) from None


def _swap_in(stage: Path, final: Path) -> None:
    """Replace ``final`` by ``stage`` with two renames; the old copy survives a crash."""
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


def run_week(week: str, paths: Paths, options: RunOptions | None = None,
             notify: Notify = lambda msg: None) -> RunResult:
    """Process and publish one reporting week. Raises UserError or StepFailed."""
    options = options or RunOptions()
    parse_week(week)
    week_dir(paths, week)
    read_registry(registry_path(paths))  # a registry error stops the run before any work
    recover(paths, week)

    pid = os.getpid()
    paths.processed_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.reports_dir.mkdir(parents=True, exist_ok=True)
    processed_stage = paths.processed_root / f".staging-{week}-{pid}"
    report_stage = paths.reports_dir / f".staging-{week}-{pid}"
    for stage in (processed_stage, report_stage):
        shutil.rmtree(stage, ignore_errors=True)
    notebooks_out = report_stage / "notebooks"
    common = {"week": week, "data_dir": str(paths.data_dir),
              "processed_dir": str(processed_stage)}
    try:
        notify(f"{week}: очистка выгрузок")
        _execute(CLEAN_NOTEBOOK, notebooks_out / CLEAN_NOTEBOOK,
                 {**common, "workers": options.workers}, "очистка выгрузок")
        notify(f"{week}: расчёт показателей")
        _execute(METRICS_NOTEBOOK, notebooks_out / METRICS_NOTEBOOK,
                 {**common, "report_dir": str(report_stage), "active_rule": options.rule.kind,
                  "quota_messages": options.rule.min_messages,
                  "quota_calls": options.rule.min_calls}, "расчёт показателей")
        findings = read_parquet(processed_stage / "findings.parquet")
        counts = {str(k): int(v) for k, v in findings["level"].value_counts().items()}
        write_json({
            "week": week,
            "inputs": inputs_fingerprint(paths, week),
            "active_rule": vars(options.rule),
            "version": __version__,
            "findings": counts,
            "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }, report_stage / MANIFEST)
    except StepFailed as exc:
        failed = paths.reports_dir / "failed" / week
        shutil.rmtree(failed, ignore_errors=True)
        failed.parent.mkdir(parents=True, exist_ok=True)
        if notebooks_out.is_dir():
            shutil.move(str(notebooks_out), str(failed))
            exc.notebook = failed / exc.notebook.name
        shutil.rmtree(processed_stage, ignore_errors=True)
        shutil.rmtree(report_stage, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(processed_stage, ignore_errors=True)
        shutil.rmtree(report_stage, ignore_errors=True)
        raise
    _swap_in(processed_stage, paths.processed_week(week))
    _swap_in(report_stage, paths.report_week(week))
    shutil.rmtree(paths.reports_dir / "failed" / week, ignore_errors=True)
    return RunResult(week, paths.report_week(week), counts)


def findings_counts(report_dir: Path) -> dict[str, int]:
    quality = report_dir / "quality.csv"
    if not quality.is_file():
        return {}
    frame = pd.read_csv(quality, dtype=str, keep_default_na=False)
    return {str(k): int(v) for k, v in frame["level"].value_counts().items()}


__all__ = ["RunOptions", "RunResult", "StepFailed", "UserError", "recover", "run_week"]
