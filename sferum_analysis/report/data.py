"""Everything the report reads from the file system: the processed week and the trend.

This is the only module of ``sferum_analysis.report`` that opens files of processed
weeks (``data/processed/<week>/``, and the earlier weeks' reports for their activity
rule); the builders in the other modules are pure functions of what it returns. The
table of persons (names) is never read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import store
from ..metrics import ActiveRule, same_rule
from ..store import REPORT_TABLES, ProcessedWeek, WeekStore

#: What the report is built from: a processed week without its table of persons (names).
ReportData = ProcessedWeek


def load_report_data(processed_dir: str | Path, week: str) -> ReportData:
    """The processed week's metrics, org metrics, findings, file accounting, stored run
    configuration and the metrics step's decisions (never the table of persons)."""
    directory = Path(processed_dir)
    if not store.has_metrics(directory):
        raise FileNotFoundError(
            f"нет показателей недели {week}: {store.table_path(directory, 'metrics')} "
            "(сначала выполните 01_clean и 02_metrics или sferum run)")
    return store.load(directory, week, REPORT_TABLES)


# ----------------------------------------------------------------------- trends
TREND_COLUMNS = ["org_type", "mo", "staff_total", "registered", "active", "pct_registered",
                 "pct_active", "orgs_expected", "orgs_reported"]


def trend_frame(weeks: WeekStore, week: str, current: pd.DataFrame, *,
                rule: ActiveRule) -> pd.DataFrame:
    """Metrics of every processed week up to ``week``, long: one row per week, type, МО.

    Earlier weeks come from :func:`sferum_analysis.history.history` (the one reader of
    every processed week); ``current`` is this week's ``metrics`` (the run's own, not yet
    moved into place). % active (and ``active``) of a week counted under another or an
    unknown activity rule is left empty: weeks are compared under one rule only.
    """
    from ..history import history

    earlier = weeks.processed_weeks(before=week)
    frames = []
    if earlier:
        long = history(weeks.paths.processed_root, earlier).metrics
        long = long[long["metric"].isin(TREND_COLUMNS)]
        wide = long.pivot(index=["week", "org_type", "mo"], columns="metric", values="value")
        # rows as each week's metrics.parquet lists them (types, then canonical МО order)
        keys = long.drop_duplicates(["week", "org_type", "mo"])[["week", "org_type", "mo"]]
        wide = wide.reindex(pd.MultiIndex.from_frame(keys)).reset_index()
        other_rule = [w for w in earlier if not same_rule(weeks.rule_of(w), rule)]
        wide.loc[wide["week"].isin(other_rule), ["active", "pct_active"]] = pd.NA
        frames.append(wide)
    frames.append(current[TREND_COLUMNS].assign(week=week))
    out = pd.concat(frames, ignore_index=True)
    counts = {c: "Int64" for c in ("staff_total", "registered", "active", "orgs_expected",
                                   "orgs_reported")}
    return out[["week", *TREND_COLUMNS]].astype({
        "week": "string", "org_type": "string", "mo": "string", **counts,
        "pct_registered": "Float64", "pct_active": "Float64"})
