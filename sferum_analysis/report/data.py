"""Everything the report reads from the file system: the processed week and the trend.

This is the only module of ``sferum_analysis.report`` that opens files of processed
weeks (``data/processed/<week>/``, and the earlier weeks' reports for their activity
rule); the builders in the other modules are pure functions of what it returns. The
table of persons (names) is never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import is_week_name
from ..metrics import ActiveRule, same_rule
from ..storage import read_parquet


@dataclass
class ReportData:
    """What the report is built from; the table of persons (names) is never loaded.

    ``meta`` is the metrics step's ``metrics_meta.json``: the activity rule, the previous
    week (``previous_week``, ``previous_processed``, ``compare_active``), thresholds.
    """

    week: str
    metrics: pd.DataFrame
    org_metrics: pd.DataFrame
    findings: pd.DataFrame
    files: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def prev_week(self) -> str | None:
        """The previous week folder of ``data/raw`` (processed or not), if any."""
        return self.meta.get("previous_week") or None

    @property
    def compared_week(self) -> str | None:
        """The previous week when the metrics are compared with it (it was processed)."""
        return self.prev_week if self.meta.get("previous_processed") else None


def load_report_data(processed_dir: str | Path, week: str) -> ReportData:
    """Read the processed week's metrics, org metrics, findings, file accounting and meta."""
    directory = Path(processed_dir)
    if not (directory / "metrics.parquet").is_file():
        raise FileNotFoundError(
            f"нет показателей недели {week}: {directory / 'metrics.parquet'} "
            "(сначала выполните 01_clean и 02_metrics или sferum run)")
    tables = {name: read_parquet(directory / f"{name}.parquet")
              for name in ("metrics", "org_metrics", "findings", "files")}
    from ..steps import read_meta

    return ReportData(week=week, meta=read_meta(directory), **tables)


# ----------------------------------------------------------------------- trends
def trend_frame(processed_root: str | Path, week: str, current: pd.DataFrame, *,
                rule: ActiveRule, reports_root: str | Path | None = None) -> pd.DataFrame:
    """Metrics of every processed week up to ``week``, long: one row per week, type, МО.

    Earlier weeks come from ``<processed_root>/<week>/metrics.parquet``; ``current`` is
    this week's ``metrics`` (the run's own, not yet moved into place). % active (and
    ``active``) of a week counted under another or an unknown activity rule is left
    empty: weeks are compared under one rule only.
    """
    from ..steps import stored_rule

    root = Path(processed_root)
    frames = []
    names = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and is_week_name(p.name) and p.name < week
                   and (p / "metrics.parquet").is_file()) if root.is_dir() else []
    keep = ["org_type", "mo", "staff_total", "registered", "active", "pct_registered",
            "pct_active", "orgs_expected", "orgs_reported"]
    for name in names:
        frame = read_parquet(root / name / "metrics.parquet")[keep].copy()
        reports_week = Path(reports_root) / name if reports_root else None
        if not same_rule(stored_rule(root / name, reports_week), rule):
            frame["active"] = pd.NA
            frame["pct_active"] = pd.NA
        frames.append(frame.assign(week=name))
    frames.append(current[keep].assign(week=week))
    out = pd.concat(frames, ignore_index=True)
    return out[["week", *keep]].astype({"week": "string", "org_type": "string", "mo": "string",
                                        "active": "Int64", "pct_registered": "Float64",
                                        "pct_active": "Float64"})

