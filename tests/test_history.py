"""History of processed weeks: the tidy tables and the exploration analyses.

Expected values are written by hand from the literal tables of this file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sferum_analysis import history as hist
from sferum_analysis import municipalities
from sferum_analysis.indicators import with_indicators
from sferum_analysis.metrics import TOTAL, mo_metrics, pct
from sferum_analysis.store import write_tables

NAMES = municipalities.canonical_names()
ORDER = municipalities.order_of()
MO_A, MO_B = NAMES[0], NAMES[5]
W1, W2, W3 = "2024-01-15", "2024-01-22", "2024-01-29"

# (org_id, org_type, mo, staff_total)
REGISTER = [("1", "ДОО", MO_A, 10), ("2", "ДОО", MO_B, 4), ("3", "ОО", MO_A, 8)]
# week -> {org_id: (status, registered, active)}
WEEKS = {
    W1: {"1": ("reported", 8, 2), "2": ("reported", 4, 0), "3": ("missing_export", 0, 0)},
    W2: {"1": ("reported", 9, 0), "2": ("reported", 4, 0), "3": ("no_data_for_date", 0, 0)},
    W3: {"1": ("reported", 9, 5), "2": ("reported", 3, 1), "3": ("unreadable", 0, 0)},
}


def org_metrics(week: str) -> pd.DataFrame:
    figures = WEEKS[week]
    return pd.DataFrame({
        "org_id": [r[0] for r in REGISTER],
        "org_name": [f"Организация {r[0]}" for r in REGISTER],
        "mo": [r[2] for r in REGISTER],
        "mo_order": [ORDER[r[2]] for r in REGISTER],
        "org_type": [r[1] for r in REGISTER],
        "staff_total": [r[3] for r in REGISTER],
        "registry_row": [2, 3, 4],
        "files": [0 if figures[r[0]][0] == "missing_export" else 1 for r in REGISTER],
        "status": [figures[r[0]][0] for r in REGISTER],
        "registered": [figures[r[0]][1] for r in REGISTER],
        "active": [figures[r[0]][2] for r in REGISTER],
    }).astype({"org_id": "string", "org_name": "string", "mo": "string",
               "org_type": "string", "status": "string"})


@pytest.fixture
def processed(tmp_path):
    """W1, W2 without the indicators, W3 with them; a week folder without metrics and a
    folder that is no week are skipped."""
    root = tmp_path / "processed"
    for week in (W1, W2):
        orgs = org_metrics(week)
        write_tables(root / week, {"metrics": mo_metrics(orgs), "org_metrics": orgs})
    orgs = org_metrics(W3)
    ind = pd.DataFrame({"org_id": ["1", "2", "3"], "sustained": [3, 0, 0],
                        "pct_sustained": [None, None, None], "new_registered": [1, 0, None],
                        "left": [0, 1, None]}).astype(
        {"org_id": "string", "sustained": "Int64", "pct_sustained": "Float64",
         "new_registered": "Int64", "left": "Int64"})
    metrics, orgs = with_indicators(mo_metrics(orgs), orgs, ind)
    write_tables(root / W3, {"metrics": metrics, "org_metrics": orgs})
    write_tables(root / "2024-01-08", {"orgs": org_metrics(W1)})   # cleaned, no metrics
    (root / "notes").mkdir()
    return root


def value(long: pd.DataFrame, week: str, org_type: str, mo: str, metric: str):
    rows = long[(long["week"] == week) & (long["org_type"] == org_type) & (long["mo"] == mo)
                & (long["metric"] == metric)]
    assert len(rows) == 1, rows
    v = rows["value"].iloc[0]
    return None if pd.isna(v) else v


# ----------------------------------------------------------------------------- history
def test_history_long_metrics(processed):
    h = hist.history(processed)
    assert h.weeks == [W1, W2, W3]
    assert h.missing == []
    m = h.metrics
    assert list(m.columns) == ["week", "org_type", "mo", "metric", "value"]
    assert dict(m.dtypes.astype(str)) == {"week": "string", "org_type": "string",
                                          "mo": "string", "metric": "string",
                                          "value": "Float64"}
    base = ["staff_total", "registered", "active", "pct_registered", "pct_active",
            "orgs_expected", "orgs_reported"]
    extra = ["sustained", "pct_sustained", "new_registered", "left"]
    # the indicators only where the week's file has them
    assert list(pd.unique(m.loc[m["week"] == W1, "metric"])) == base
    assert list(pd.unique(m.loc[m["week"] == W3, "metric"])) == base + extra
    rows_per_week = 2 * (len(NAMES) + 1)           # ДОО and ОО, every МО and the total
    assert len(m) == rows_per_week * (7 + 7 + 11)
    # order: week, then the rows of metrics.parquet (canonical), then the metric
    first = m.head(8)
    assert first["mo"].tolist() == [MO_A] * 7 + [NAMES[1]]
    assert first["metric"].tolist() == [*base, "staff_total"]
    # hand-computed values
    assert value(m, W1, "ДОО", MO_A, "pct_active") == 25.0           # 2 / 8
    assert value(m, W3, "ДОО", MO_A, "pct_active") == 55.6           # 5 / 9
    assert value(m, W3, "ДОО", TOTAL, "registered") == 12            # 9 + 3
    assert value(m, W3, "ДОО", TOTAL, "pct_active") == 50.0          # 6 / 12
    assert value(m, W3, "ДОО", MO_A, "sustained") == 3
    assert value(m, W3, "ДОО", MO_A, "pct_sustained") == 33.3        # 3 / 9
    assert value(m, W3, "ДОО", TOTAL, "new_registered") == 1
    assert value(m, W3, "ДОО", TOTAL, "left") == 1
    assert value(m, W3, "ОО", MO_A, "new_registered") is None        # org 3 not compared
    assert value(m, W3, "ОО", MO_A, "pct_active") is None            # 0 registered
    assert value(m, W2, "ОО", TOTAL, "orgs_reported") == 0
    assert value(m, W2, "ОО", TOTAL, "orgs_expected") == 1


def test_history_orgs_table(processed):
    o = hist.history(processed).orgs
    assert list(o.columns) == [
        "week", "org_id", "org_name", "org_type", "mo", "mo_order", "status", "staff_total",
        "registered", "active", "pct_registered", "pct_active", "sustained",
        "pct_sustained", "new_registered", "left"]
    assert o["week"].tolist() == [W1] * 3 + [W2] * 3 + [W3] * 3
    assert o["org_id"].tolist() == ["1", "2", "3"] * 3
    table = [tuple(None if pd.isna(v) else v for v in rec) for rec in o[
        ["week", "org_id", "status", "registered", "active", "pct_registered", "pct_active",
         "sustained", "pct_sustained", "new_registered", "left"]].itertuples(index=False)]
    assert table[0] == (W1, "1", "reported", 8, 2, 80.0, 25.0, None, None, None, None)
    assert table[5] == (W2, "3", "no_data_for_date", 0, 0, 0.0, None, None, None, None, None)
    assert table[6:] == [
        (W3, "1", "reported", 9, 5, 90.0, 55.6, 3, 33.3, 1, 0),
        (W3, "2", "reported", 3, 1, 75.0, 33.3, 0, 0.0, 0, 1),
        (W3, "3", "unreadable", 0, 0, 0.0, None, 0, None, None, None),
    ]
    assert str(o["registered"].dtype) == "Int64" and str(o["pct_active"].dtype) == "Float64"


def test_history_selected_weeks_and_empty_root(processed, tmp_path):
    h = hist.history(processed, weeks=[W3, W1, "2024-01-08", "2024-02-05"])
    assert h.weeks == [W1, W3]
    assert h.missing == ["2024-01-08", "2024-02-05"]
    assert set(h.orgs["week"]) == {W1, W3}
    empty = hist.history(tmp_path / "nothing")
    assert empty.weeks == [] and empty.metrics.empty and empty.orgs.empty
    assert list(empty.metrics.columns) == ["week", "org_type", "mo", "metric", "value"]
    assert hist.mo_changes(empty.metrics).empty
    assert hist.one_off_bursts(empty.orgs).empty
    assert hist.never_exported(empty.orgs).empty


@pytest.mark.parametrize(("n", "d", "expected"), [
    (1, 16, 6.3), (23, 80, 28.8), (3, 2000, 0.2), (141, 2000, 7.1), (1254, 3725, 33.7),
    (1, 2001, 0.0), (1999, 2000, 100.0), (11, 10, 110.0), (0, 5, 0.0), (3, 0, None),
])
def test_pct_array_is_half_up_on_the_exact_ratio(n, d, expected):
    out = hist.pct_array(pd.Series([n]), pd.Series([d]))
    assert (None if pd.isna(out[0]) else out[0]) == expected


def test_pct_array_agrees_with_metrics_pct():
    pairs = [(n, d) for d in range(0, 120) for n in range(0, 2 * d + 2)]
    out = hist.pct_array(pd.Series([p[0] for p in pairs]), pd.Series([p[1] for p in pairs]))
    assert [None if pd.isna(v) else v for v in out] == [pct(n, d) for n, d in pairs]


def test_pivot(processed):
    table = hist.pivot(hist.history(processed).metrics, "pct_active", "ДОО")
    assert list(table.columns) == [W1, W2, W3]
    assert list(table.index) == [*NAMES, TOTAL]
    assert table.loc[MO_B].tolist() == [0.0, 0.0, 33.3]


# ----------------------------------------------------------------------------- changes
def test_mo_changes_pct_from_exact_counts(processed):
    m = hist.history(processed).metrics
    out = hist.mo_changes(m, "pct_active", last_weeks=3)
    assert list(out.columns) == ["org_type", "mo", "week_from", "week_to", "value_from",
                                 "value_to", "change"]
    top = [tuple(r) for r in out.head(2).itertuples(index=False)]
    assert top == [
        ("ДОО", MO_B, W1, W3, 0.0, 33.3, 33.3),    # 0/4 -> 1/3
        ("ДОО", MO_A, W1, W3, 25.0, 55.6, 30.6),   # 2/8 -> 5/9: 30.555… p. p.
    ]
    # the other МО have no registered staff: unknown change, canonical order
    rest = out.iloc[2:]
    assert rest["change"].isna().all()
    assert rest["mo"].tolist() == [n for n in NAMES if n not in (MO_A, MO_B)]
    # the last two weeks only: 0/9 -> 5/9 and 0/4 -> 1/3
    two = hist.mo_changes(m, "pct_active", last_weeks=2)
    assert two.head(2)[["mo", "change"]].values.tolist() == [[MO_A, 55.6], [MO_B, 33.3]]
    assert two["week_from"].iloc[0] == W2


def test_biggest_movers(processed):
    m = hist.history(processed).metrics
    rose, fell = hist.biggest_movers(m, "registered", last_weeks=3)
    assert rose[["mo", "value_from", "value_to", "change"]].values.tolist() == [
        [MO_A, 8.0, 9.0, 1.0]]
    assert fell[["mo", "value_from", "value_to", "change"]].values.tolist() == [
        [MO_B, 4.0, 3.0, -1.0]]
    rose, fell = hist.biggest_movers(m, "pct_registered", last_weeks=3, n=1)
    assert rose[["mo", "change"]].values.tolist() == [[MO_A, 10.0]]     # 80 -> 90
    assert fell[["mo", "change"]].values.tolist() == [[MO_B, -25.0]]    # 100 -> 75
    assert hist.mo_changes(m, "pct_active", last_weeks=1).empty         # one week


# ----------------------------------------------------------------------------- bursts
def orgs_long(rows: list[tuple]) -> pd.DataFrame:
    """(week, org_id, mo, status, registered, active) -> a tidy organisation table."""
    return pd.DataFrame({
        "week": [r[0] for r in rows],
        "org_id": [r[1] for r in rows],
        "org_name": [f"Организация {r[1]}" for r in rows],
        "org_type": ["ДОО"] * len(rows),
        "mo": [r[2] for r in rows],
        "mo_order": [ORDER[r[2]] for r in rows],
        "status": [r[3] for r in rows],
        "registered": [r[4] for r in rows],
        "active": [r[5] for r in rows],
    }).astype({"week": "string", "org_id": "string", "org_name": "string",
               "org_type": "string", "mo": "string", "status": "string",
               "registered": "Int64", "active": "Int64"})


WEEKS5 = ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
R, M = "reported", "missing_export"
# active per week (the first week is outside the 4-week window)
BURST_STORY = {
    #       mo     statuses            active
    "A": (MO_B, [R, R, R, R, R], [9, 0, 0, 0, 5]),         # silent 3 weeks, then active
    "B": (MO_A, [R, R, R, R, R], [0, 3, 0, 0, 4]),         # 1 earlier week: still a burst
    "C": (MO_A, [R, R, R, R, R], [0, 3, 2, 0, 4]),         # 2 earlier weeks: no
    "D": (MO_A, [R, R, R, R, R], [1, 0, 0, 0, 0]),         # not active now
    "E": (MO_B, [R, M, M, M, R], [2, 0, 0, 0, 2]),         # first export in weeks
    "F": (MO_A, [None, None, None, R, R], [0, 0, 0, 0, 1]),  # new in the registry
    "G": (MO_A, [R, R, R, R, R], [0, 1, None, 0, 1]),      # one week unknown
}


def burst_rows() -> list[tuple]:
    rows = []
    for k, week in enumerate(WEEKS5):
        for org, (mo, statuses, active) in BURST_STORY.items():
            if statuses[k] is not None:
                rows.append((week, org, mo, statuses[k], 5, active[k]))
    return rows


def test_one_off_bursts():
    out = hist.one_off_bursts(orgs_long(burst_rows()))
    assert list(out.columns) == hist.BURST_COLUMNS
    # canonical order: MO_A (B, F, G), then MO_B (A, E)
    assert out[["org_id", "active", "earlier_active_weeks",
                "earlier_reported_weeks"]].values.tolist() == [
        ["B", 4, 1, 3], ["F", 1, 0, 1], ["G", 1, 1, 3], ["A", 5, 0, 3], ["E", 2, 0, 0]]
    strict = hist.one_off_bursts(orgs_long(burst_rows()), max_earlier=0)
    assert strict["org_id"].tolist() == ["F", "A", "E"]
    # over the last two weeks: active now and not in the week before
    two = hist.one_off_bursts(orgs_long(burst_rows()), last_weeks=2)
    assert two["org_id"].tolist() == ["B", "C", "F", "G", "A", "E"]
    assert hist.one_off_bursts(orgs_long(burst_rows()), last_weeks=2, max_earlier=0)[
        "org_id"].tolist() == ["B", "C", "F", "G", "A", "E"]


def test_one_off_bursts_need_the_whole_window():
    out = hist.one_off_bursts(orgs_long(burst_rows()), last_weeks=6)
    assert out.empty and list(out.columns) == hist.BURST_COLUMNS


# ----------------------------------------------------------------------------- never exported
def test_never_exported():
    U, N = "unreadable", "no_data_for_date"
    story = {
        "P": [M, N, U, M],            # never: 2 missing, 1 no data, 1 unreadable
        "Q": [M, R, M, M],            # reported once
        "S": [R, M, M, M],            # reported only before the last three weeks
        "T": [M, M, M, None],         # not in the registry any more
    }
    rows = [(week, org, MO_A, statuses[k], 0, 0)
            for k, week in enumerate(WEEKS5[1:]) for org, statuses in story.items()
            if statuses[k] is not None]
    frame = orgs_long(rows)
    out = hist.never_exported(frame)
    assert list(out.columns) == hist.NEVER_COLUMNS
    assert [tuple(r) for r in out[["org_id", "weeks_listed", "weeks_missing_export",
                                   "weeks_no_data_for_date", "weeks_unreadable",
                                   "first_week", "last_week"]].itertuples(index=False)] == [
        ("P", 4, 2, 1, 1, WEEKS5[1], WEEKS5[4])]
    assert hist.never_exported(frame, current_only=False)["org_id"].tolist() == ["P", "T"]
    assert hist.never_exported(frame, last_weeks=3)["org_id"].tolist() == ["P", "S"]
    assert hist.never_exported(frame, last_weeks=3, current_only=False)[
        "org_id"].tolist() == ["P", "S", "T"]


def test_never_exported_over_processed_weeks(processed):
    out = hist.never_exported(hist.history(processed).orgs)
    assert out[["org_id", "org_type", "mo", "weeks_listed", "weeks_missing_export",
                "weeks_no_data_for_date", "weeks_unreadable"]].values.tolist() == [
        ["3", "ОО", MO_A, 3, 1, 1, 1]]


def test_movers_of_a_single_week_are_empty_tables():
    """One processed week: nothing rose or fell (regression: the empty selection lost its
    columns)."""
    metrics = pd.DataFrame({"week": ["2024-01-29"] * 2, "org_type": ["ДОО"] * 2,
                            "mo": ["г. Орёл", "total"], "metric": ["pct_active"] * 2,
                            "value": pd.array([10.0, 10.0], dtype="Float64")})
    rose, fell = hist.biggest_movers(metrics, "pct_active", last_weeks=4)
    assert rose.empty and fell.empty and "mo" in rose.columns and "change" in fell.columns
