"""The steps the notebooks run: each reads its inputs, computes, validates and writes.

A notebook is a thin, readable wrapper over one step; the same functions serve tests and
interactive exploration in JupyterLab.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import findings as fnd
from .cleaning import CleanWeek, clean_week, default_workers
from .config import Paths, parse_week
from .metrics import ActiveRule, anomaly_findings, mo_metrics, org_activity
from .registry import read_registry
from .schemas import FILES, METRICS, ORGS, PERSONS, validate
from .storage import ProcessedWeek, load_tables, write_csv, write_tables


class UserError(Exception):
    """A problem the user can fix (missing folder, missing registry): Russian message."""


def registry_path(paths: Paths) -> Path:
    path = paths.registry_file()
    if path is None:
        raise UserError(f"не найден реестр организаций: {paths.registry_dir}/organizations.xlsx "
                        "(или .xls, .csv)")
    return path


def week_dir(paths: Paths, week: str) -> Path:
    path = paths.raw_week(week)
    if not path.is_dir():
        raise UserError(f"нет папки недели {week}: {path}")
    return path


def print_progress(done: int, total: int) -> None:
    """Progress of file reading on stderr, about every tenth of the files, one line each."""
    step = max(1, total // 10)
    if done == total or done % step == 0:
        print(f"прочитано файлов: {done} из {total}", file=sys.stderr, flush=True)


def clean_step(week: str, data_dir: str | Path | None = None,
               processed_dir: str | Path | None = None, workers: int = 0,
               progress: Callable[[int, int], None] | None = print_progress) -> CleanWeek:
    """Clean one week's exports and write the processed tables (Parquet)."""
    paths = Paths.from_dirs(data_dir)
    reporting_date = parse_week(week)
    registry = read_registry(registry_path(paths))
    clean = clean_week(week_dir(paths, week), registry, reporting_date,
                       workers=workers or default_workers(), progress=progress)
    tables = {
        "persons": validate(clean.persons, PERSONS),
        "orgs": validate(clean.orgs, ORGS),
        "files": validate(clean.files, FILES),
        "findings": clean.findings,
    }
    write_tables(Path(processed_dir) if processed_dir else paths.processed_week(week), tables)
    return clean


def metrics_step(week: str, processed_dir: str | Path, report_dir: str | Path,
                 rule: ActiveRule) -> ProcessedWeek:
    """Compute per-МО metrics from the processed week; write metrics and quality outputs."""
    processed_dir, report_dir = Path(processed_dir), Path(report_dir)
    week_data = load_tables(processed_dir)
    org_metrics = org_activity(week_data.orgs, week_data.persons, rule)
    metrics = validate(mo_metrics(org_metrics), METRICS)
    findings = fnd.sort_findings(pd.concat(
        [week_data.findings, fnd.to_frame(anomaly_findings(org_metrics))], ignore_index=True))
    write_tables(processed_dir, {"metrics": metrics, "org_metrics": org_metrics,
                                 "findings": findings})
    report_dir.mkdir(parents=True, exist_ok=True)
    write_csv(metrics, report_dir / "metrics_mo.csv")
    write_csv(findings[fnd.COLUMNS], report_dir / "quality.csv")
    write_csv(week_data.files, report_dir / "files.csv")
    week_data.findings, week_data.metrics, week_data.org_metrics = findings, metrics, org_metrics
    return week_data


def load_week(week: str, data_dir: str | Path | None = None) -> ProcessedWeek:
    """Load a processed week for exploration: ``load_week("2024-01-29").metrics``."""
    paths = Paths.from_dirs(data_dir)
    return load_tables(paths.processed_week(week))


def findings_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by level and kind, with the Russian title of each kind."""
    if findings.empty:
        return pd.DataFrame(columns=["level", "code", "title", "count"])
    return (
        findings.groupby(["level", "code"], observed=True).size().rename("count").reset_index()
        .assign(title=lambda d: d["code"].map(fnd.title))
        .pipe(fnd.sort_findings)[["level", "code", "title", "count"]]
    )
