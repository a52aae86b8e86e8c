"""The steps the notebooks run: each reads its inputs, computes, validates and writes.

A notebook is a thin, readable wrapper over one step; the same functions serve tests and
interactive exploration in JupyterLab.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import findings as fnd
from . import quality_checks as qc
from .cleaning import CleanWeek, clean_week, default_workers
from .config import Paths, parse_week
from .metrics import (
    ActiveRule,
    anomaly_findings,
    mo_metrics,
    org_activity,
    same_rule,
    with_previous,
)
from .registry import read_registry
from .storage import (
    PRIVATE_FILE,
    ProcessedWeek,
    load_tables,
    read_parquet,
    write_csv,
    write_json,
    write_tables,
)

#: Finding codes the metrics step adds (dropped first, so that a rerun does not repeat them).
METRICS_CODES = frozenset({"register_exceeded", "sharp_change", "identical_counts",
                           "quota_jump"})
#: What the metrics step decided (rule, previous week, thresholds): next to metrics.parquet.
META_FILE = "metrics_meta.json"


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
    from .schemas import FILES, ORGS, PERSONS, validate  # pandera: only where it validates

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


def previous_week(paths: Paths, week: str) -> str | None:
    """The previous reporting week: the latest week folder in ``data/raw`` before ``week``."""
    earlier = [w for w in paths.weeks() if w < week]
    return earlier[-1] if earlier else None


def is_processed(processed_week_dir: Path) -> bool:
    """Whether a week has processed metrics (``metrics.parquet``)."""
    return (Path(processed_week_dir) / "metrics.parquet").is_file()


def read_meta(processed_week_dir: str | Path) -> dict:
    """``metrics_meta.json`` of a processed week; ``{}`` when absent (weeks processed before
    it existed) or unreadable."""
    try:
        return json.loads((Path(processed_week_dir) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stored_rule(processed_week_dir: str | Path, report_week_dir: str | Path | None = None
                ) -> ActiveRule | None:
    """The activity rule a processed week was counted with: from its ``metrics_meta.json``,
    else from the published ``manifest.json``; None when unknown."""
    rule = ActiveRule.from_dict(read_meta(processed_week_dir).get("active_rule"))
    if rule is None and report_week_dir is not None:
        try:
            manifest = json.loads((Path(report_week_dir) / "manifest.json")
                                  .read_text(encoding="utf-8"))
            rule = ActiveRule.from_dict(manifest.get("active_rule"))
        except (OSError, ValueError, AttributeError):
            rule = None
    return rule


def metrics_step(week: str, processed_dir: str | Path, report_dir: str | Path,
                 rule: ActiveRule, *, data_dir: str | Path | None = None,
                 jump_threshold: float = qc.SHARP_CHANGE_PP) -> ProcessedWeek:
    """Compute per-МО metrics from the processed week; write metrics and quality outputs.

    The previous reporting week (:func:`previous_week`), when it has been processed,
    gives the ``*_prev`` and ``change_*_pp`` columns and the week-over-week checks
    (``sharp_change``, ``quota_jump``); % active is compared only when both weeks were
    counted under the same activity rule. ``report_dir``'s parent is the reports folder
    (where the previous week's manifest is).
    """
    from .schemas import METRICS, validate  # pandera: only where it validates

    paths = Paths.from_dirs(data_dir)
    processed_dir, report_dir = Path(processed_dir), Path(report_dir)
    reporting_date = parse_week(week)
    week_data = load_tables(processed_dir)
    org_metrics = org_activity(week_data.orgs, week_data.persons, rule)
    raw = paths.raw_week(week)
    last = qc.org_last_dates(qc.export_dates(raw, week_data.files)) if raw.is_dir() else {}
    org_metrics["last_date"] = org_metrics["org_id"].map(last).astype("string")
    org_metrics["stale"] = [(status == "no_data_for_date"
                             and qc.is_stale(None if pd.isna(d) else str(d), reporting_date))
                            for status, d in zip(org_metrics["status"], org_metrics["last_date"],
                                                 strict=True)]
    current = validate(mo_metrics(org_metrics), METRICS)

    prev = previous_week(paths, week)
    prev_dir = paths.processed_week(prev) if prev else None
    previous = prev_persons = None
    compare_active = False
    if prev_dir is not None and is_processed(prev_dir):
        previous = read_parquet(prev_dir / "metrics.parquet")
        if (prev_dir / "persons.parquet").is_file():
            prev_persons = read_parquet(prev_dir / "persons.parquet")
        compare_active = same_rule(stored_rule(prev_dir, report_dir.parent / prev), rule)
    metrics = with_previous(current, previous, compare_active=compare_active)

    checks = [
        *anomaly_findings(org_metrics),
        *qc.sharp_change_findings(metrics, previous, jump_threshold,
                                  compare_active=compare_active),
        *qc.identical_counts_findings(week_data.persons, org_metrics),
        *qc.quota_jump_findings(week_data.persons, prev_persons, org_metrics,
                                rule.min_messages, rule.min_calls),
    ]
    base = week_data.findings[~week_data.findings["code"].isin(METRICS_CODES)]
    findings = fnd.sort_findings(pd.concat([base, fnd.to_frame(checks)], ignore_index=True))
    write_tables(processed_dir, {"metrics": metrics, "org_metrics": org_metrics,
                                 "findings": findings})
    write_json({
        "week": week,
        "active_rule": rule.as_dict(),
        "previous_week": prev,
        "previous_processed": previous is not None,
        "compare_active": compare_active,
        "jump_threshold": float(jump_threshold),
        "quota": {"messages": rule.min_messages, "calls": rule.min_calls},
    }, processed_dir / META_FILE)
    os.chmod(processed_dir / META_FILE, PRIVATE_FILE)  # processed files: the owner only
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
