"""Table builders of the weekly report: pure functions over the processed week's frames.

Every builder takes DataFrames (``metrics``, ``org_metrics``, ``findings``, ``files``,
the trend of :func:`~sferum_analysis.report.data.trend_frame`) and returns a DataFrame
whose column titles are the Russian titles of the report (:mod:`.texts`). Values stay
numbers (percentages as the rounded ``metrics`` values, counts as integers);
:func:`~sferum_analysis.report.html.table_html` formats them for the HTML report and the
same frames, without the internal :data:`ROW_CLASS` column, go to the XLSX workbook.

Rows of municipalities with incomplete coverage, with more registered persons than staff
on the register or with a signal to check carry the CSS classes ``incomplete`` /
``anomaly`` / ``signal`` in :data:`ROW_CLASS` and a text in :data:`COL_NOTE`; total rows
carry ``total``. With the previous reporting week the ranked tables and the ОО table get
the previous value, the change in percentage points and the change of rank, all from the
``*_prev`` and ``change_*_pp`` columns of ``metrics``.

Nothing here reads files or the table of persons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from ..config import parse_week
from ..findings import CODES, Level
from ..formatting import DASH, fmt_int, fmt_pct, numbers_by_value, plural
from ..metrics import TOTAL, exact_ratio, ranked
from ..registry import ORG_TYPES
from .texts import (
    ALL_TYPES,
    ANNEX_BELOW_TARGET,
    BELOW_REGION_OF_TYPE,
    CHANGE_PREFIX,
    COL_ACTIVE,
    COL_BY_REGISTER,
    COL_CHANGE,
    COL_CODE,
    COL_COUNT,
    COL_COVERAGE,
    COL_EXAMPLE,
    COL_FILE,
    COL_FILES,
    COL_IN_REGISTRY,
    COL_INDICATOR,
    COL_KIND,
    COL_LEFT,
    COL_LEVEL,
    COL_MESSAGE,
    COL_MISSING_REASON,
    COL_MO,
    COL_NEW,
    COL_NOTE,
    COL_NPP,
    COL_ORG,
    COL_ORG_ID,
    COL_ORG_TYPE,
    COL_PCT,
    COL_PCT_ACTIVE,
    COL_PCT_REGISTERED,
    COL_PCT_SUSTAINED,
    COL_PERCENT,
    COL_PERSONS,
    COL_PREV,
    COL_RANK,
    COL_RANK_CHANGE,
    COL_REASON,
    COL_REGISTERED,
    COL_REGISTERED_N,
    COL_REGISTERED_SHORT,
    COL_ROW,
    COL_ROWS_DUPLICATE,
    COL_ROWS_OTHER_DATES,
    COL_ROWS_READ,
    COL_ROWS_REJECTED,
    COL_ROWS_UNKNOWN,
    COL_ROWS_USED,
    COL_STAFF,
    COL_SUSTAINED,
    COL_TARGET_GAP,
    COL_TYPE,
    COL_TYPE_IN_REGISTRY,
    COL_TYPE_WITH_EXPORT,
    COL_WEEK,
    COL_WITH_EXPORT,
    COL_WITHOUT_EXPORT,
    DOO,
    EXAMPLE_AT,
    FLAG_ANOMALY,
    FLAG_INCOMPLETE,
    HEADLINE_ACTIVE,
    HEADLINE_ACTIVE_NOTE,
    HEADLINE_REGISTERED,
    HEADLINE_REGISTERED_NOTE,
    HEADLINE_STAFF,
    HEADLINE_STAFF_NOTE,
    LEVEL_TITLES,
    LOW_ACTIVITY,
    NOTE_ANOMALY,
    NOTE_INCOMPLETE,
    NOTE_SIGNAL,
    OO,
    ORG_FORMS,
    PADDING_CHECK,
    PADDING_REASONS,
    REGION_MEAN,
    REGION_TOTAL,
    STALE_EXPORT,
    STALE_EXPORT_NEEDED,
    STALE_PREFIX,
    STATUS_TITLES,
)

#: Internal column: CSS classes of the row (``total``, ``incomplete``, ``anomaly``, ``signal``).
ROW_CLASS = "_row_class"
#: Weeks in the heat-map (the line charts show every processed week).
HEATMAP_WEEKS = 8
#: Organisations per МО in the drill-down annex with the lowest % active.
DRILLDOWN_PER_MO = 5


def date_ru(week: str) -> str:
    """``2024-01-29`` -> ``29.01.2024``."""
    return parse_week(week).strftime("%d.%m.%Y")


def pct_text(value: object) -> str:
    """``90.2`` -> ``90,2 %`` (no-break space); missing -> ``—``."""
    text = fmt_pct(value)
    return text if text == DASH else f"{text}\u00a0%"


def is_percent_column(column: object) -> bool:
    """``% …``, ``…, %`` and ``%`` columns hold percentages (not the changes in p. p.)."""
    text = str(column)
    return text.startswith("%") or text.endswith(", %")


def is_change_column(column: object) -> bool:
    """Changes in percentage points (``Изменение…``, ``До цели…``), not the rank change."""
    text = str(column)
    return (text.startswith(CHANGE_PREFIX) and text != COL_RANK_CHANGE) or text == COL_TARGET_GAP




# ----------------------------------------------------------------------- the region's МО
def region_names(metrics: pd.DataFrame) -> list[str]:
    """The region's МО in canonical order, as the metrics frame lists them: ``mo_metrics``
    gives every МО of the region's list, in its order, for every type of organisation. The
    report takes its МО from the week it shows, so it follows whatever list (of any length)
    the week was processed with."""
    rows = metrics.loc[metrics["mo"] != TOTAL, "mo"].astype(str)
    return list(dict.fromkeys(rows))


def region_order(metrics: pd.DataFrame) -> dict[str, int]:
    """Canonical order (1..N) of the region's МО (:func:`region_names`)."""
    return {name: i for i, name in enumerate(region_names(metrics), 1)}


# ----------------------------------------------------------------------- per-МО flags
def _type_block(metrics: pd.DataFrame, org_type: str) -> tuple[pd.DataFrame, pd.Series]:
    """Rows of one type (every МО of the region) and its total row; zeros when the type is
    absent."""
    block = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] != TOTAL)]
    totals = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == TOTAL)]
    if block.empty or totals.empty:
        names = region_names(metrics)
        zeros = {c: 0 for c in ("staff_total", "registered", "active", "orgs_expected",
                                "orgs_reported")}
        block = pd.DataFrame([{"org_type": org_type, "mo": name, **zeros,
                               "pct_registered": pd.NA, "pct_active": pd.NA,
                               "rank_registered": pd.NA, "rank_active": pd.NA,
                               "register_exceeded": False, "coverage_complete": True}
                              for name in names])
        block = block.astype({"pct_registered": "Float64", "pct_active": "Float64",
                              "rank_registered": "Int64", "rank_active": "Int64"})
        total = pd.Series({"org_type": org_type, "mo": TOTAL, **zeros,
                           "pct_registered": pd.NA, "pct_active": pd.NA,
                           "register_exceeded": False, "coverage_complete": True})
        return block, total
    return block, totals.iloc[0]


#: Patterns that suggest statistics padding (per organisation).
PADDING_CODES = ("identical_counts", "quota_jump")
#: Findings that put a mark on their МО in the tables and charts (beside ``anomaly``).
MO_SIGNAL_CODES = ("sharp_change", *PADDING_CODES)

#: (org_type, МО) -> Russian titles of the signals found there (:func:`mo_signals`).
Signals = Mapping[tuple[str, str], list[str]]


def mo_signals(findings: pd.DataFrame, org_metrics: pd.DataFrame) -> dict[tuple[str, str],
                                                                          list[str]]:
    """The МО (per type) with a finding of :data:`MO_SIGNAL_CODES`: a week's sharp change
    (the finding names its type and МО) or a padding pattern in one of its organisations
    (the finding names the organisation). Values are the kinds' short titles, in the
    order of the codes."""
    if findings.empty:
        return {}
    where = org_metrics.set_index("org_id")[["org_type", "mo"]].astype(str)
    out: dict[tuple[str, str], list[str]] = {}
    chosen = findings[findings["code"].isin(MO_SIGNAL_CODES)]
    rank = {c: i for i, c in enumerate(MO_SIGNAL_CODES)}
    for _, rec in chosen.assign(_c=chosen["code"].map(rank)).sort_values(
            "_c", kind="stable").iterrows():
        key = None
        if not pd.isna(rec.get("mo", pd.NA)) and str(rec.get("mo", "")):
            key = (str(rec["org_type"]), str(rec["mo"]))
        elif not pd.isna(rec.get("org_id", pd.NA)) and str(rec["org_id"]) in where.index:
            org = where.loc[str(rec["org_id"])]
            key = (org["org_type"], org["mo"])
        if key is None:
            continue
        title = CODES[str(rec["code"])][1]
        title = title[0].lower() + title[1:]  # "резкое изменение показателя МО за неделю"
        if title not in out.setdefault(key, []):
            out[key].append(title)
    return out


def _flags(row: pd.Series, signals: Signals | None = None) -> tuple[list[str], list[str]]:
    """CSS classes and note parts of one МО row of ``metrics``."""
    classes, notes = [], []
    expected, reported = int(row["orgs_expected"]), int(row["orgs_reported"])
    if reported < expected:
        classes.append("incomplete")
        notes.append(NOTE_INCOMPLETE + FLAG_INCOMPLETE.format(
            reported=reported, expected=expected, orgs=plural(expected, *ORG_FORMS)))
    if bool(row["register_exceeded"]):
        classes.append("anomaly")
        notes.append(NOTE_ANOMALY + FLAG_ANOMALY.format(registered=fmt_int(row["registered"]),
                                                        staff=fmt_int(row["staff_total"])))
    found = (signals or {}).get((str(row["org_type"]), str(row["mo"])))
    if found:
        classes.append("signal")
        notes.append(NOTE_SIGNAL + ", ".join(found))
    return classes, notes


def _frame(rows: list[dict], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(dtypes)).astype(dtypes)


# ----------------------------------------------------------------------- the seed's tables
def headline_table(metrics: pd.DataFrame, org_type: str = DOO) -> pd.DataFrame:
    """Regional headline: registered N (P %) and active N (P %), pooled (the ``total`` row)."""
    _, total = _type_block(metrics, org_type)
    rows = [
        {COL_INDICATOR: HEADLINE_STAFF.format(org_type=org_type), COL_PERSONS: total["staff_total"],
         COL_PERCENT: pd.NA, COL_NOTE: HEADLINE_STAFF_NOTE},
        {COL_INDICATOR: HEADLINE_REGISTERED, COL_PERSONS: total["registered"],
         COL_PERCENT: total["pct_registered"], COL_NOTE: HEADLINE_REGISTERED_NOTE},
        {COL_INDICATOR: HEADLINE_ACTIVE, COL_PERSONS: total["active"],
         COL_PERCENT: total["pct_active"], COL_NOTE: HEADLINE_ACTIVE_NOTE},
    ]
    for row in rows:
        row[ROW_CLASS] = ""
    return _frame(rows, {COL_INDICATOR: "string", COL_PERSONS: "Int64", COL_PERCENT: "Float64",
                         COL_NOTE: "string", ROW_CLASS: "string"})


def prev_column(prev_week: str) -> str:
    """Title of the previous week's value: ``Неделя по 22.01, %`` (short: narrow column)."""
    return COL_PREV.format(day=date_ru(prev_week)[:5])


def _prev(rec: pd.Series, column: str) -> object:
    value = rec.get(column, pd.NA)
    return pd.NA if value is None or pd.isna(value) else value


def _has_prev(block: pd.DataFrame, column: str) -> bool:
    return column in block and bool(block[column].notna().any())


def _rank_change(rec: pd.Series, by: str) -> object:
    """Places gained since the previous week (positive: moved up); NA without both ranks."""
    now, then = rec.get(f"rank_{by}", pd.NA), _prev(rec, f"rank_{by}_prev")
    if pd.isna(now) or pd.isna(then):
        return pd.NA
    return int(then) - int(now)


def ranked_table(metrics: pd.DataFrame, by: str, org_type: str = DOO, *,
                 prev_week: str | None = None, target: float | None = None,
                 signals: Signals | None = None) -> pd.DataFrame:
    """``№ | МО | % …`` ranked by ``registered`` or ``active``, then the regional row.

    Ranks come from ``metrics`` (exact ratio, ties in canonical order); МО without a
    value have no № and come last in canonical order; the last row is
    :data:`REGION_MEAN`, the pooled regional value.

    With ``prev_week`` (and previous values in ``metrics``) three columns follow: the
    previous week's published value, :data:`COL_CHANGE` (``change_*_pp``: from exact
    values) and :data:`COL_RANK_CHANGE` (places gained). With ``target`` (for
    ``active``) :data:`COL_TARGET_GAP` holds ``value − target`` for the МО below the
    target (empty otherwise). МО in ``signals`` (:func:`mo_signals`) are marked
    :data:`MARK_SIGNAL`.
    """
    if by not in ("registered", "active"):
        raise ValueError(f"by must be 'registered' or 'active', got {by!r}")
    value_col = COL_PCT_REGISTERED if by == "registered" else COL_PCT_ACTIVE
    block, total = _type_block(metrics, org_type)
    with_prev = prev_week is not None and _has_prev(block, f"pct_{by}_prev")
    with_target = bool(target) and by == "active"
    with_sustained = by == "active" and has_sustained(block)
    dtypes = {COL_RANK: "Int64", COL_MO: "string", value_col: "Float64"}
    if with_sustained:
        dtypes |= {COL_PCT_SUSTAINED: "Float64"}
    if with_prev:
        dtypes |= {prev_column(prev_week): "Float64", COL_CHANGE: "Float64",
                   COL_RANK_CHANGE: "Int64"}
    if with_target:
        dtypes |= {COL_TARGET_GAP: "Float64"}
    dtypes |= {COL_NOTE: "string", ROW_CLASS: "string"}

    def extra(rec: pd.Series, is_total: bool) -> dict:
        out: dict = {}
        if with_sustained:
            out[COL_PCT_SUSTAINED] = rec["pct_sustained"]
        if with_prev:
            out[prev_column(prev_week)] = _prev(rec, f"pct_{by}_prev")
            out[COL_CHANGE] = _prev(rec, f"change_{by}_pp")
            out[COL_RANK_CHANGE] = pd.NA if is_total else _rank_change(rec, by)
        if with_target:
            out[COL_TARGET_GAP] = _target_gap(rec[f"pct_{by}"], target)
        return out

    rows = []
    for _, rec in ranked(block, org_type, by).iterrows():
        classes, notes = _flags(rec, signals)
        rows.append({COL_RANK: rec[f"rank_{by}"], COL_MO: rec["mo"], value_col: rec[f"pct_{by}"],
                     **extra(rec, False), COL_NOTE: "; ".join(notes),
                     ROW_CLASS: " ".join(classes)})
    rows.append({COL_RANK: pd.NA, COL_MO: REGION_MEAN, value_col: total[f"pct_{by}"],
                 **extra(total, True), COL_NOTE: "", ROW_CLASS: "total"})
    return _frame(rows, dtypes)


def has_sustained(metrics: pd.DataFrame) -> bool:
    """Whether the week has the sustained indicator (three earlier week folders exist)."""
    return "pct_sustained" in metrics and bool(metrics["sustained"].notna().any())


def has_flows(metrics: pd.DataFrame) -> bool:
    """Whether the week has flows of staff (a previous week folder exists)."""
    return "new_registered" in metrics and bool(metrics["new_registered"].notna().any())


def sustained_table(metrics: pd.DataFrame, org_type: str = DOO, *,
                    signals: Signals | None = None) -> pd.DataFrame:
    """``№ п/п | МО | Зарегистрировано | % активности | Устойчиво активные | % устойчиво
    активных | Новые | Выбыли``, canonical order, then the regional row (pooled).

    Columns of an indicator the week does not have (too few earlier weeks) are left out.
    """
    block, total = _type_block(metrics, org_type)
    with_sustained, with_flows = has_sustained(block), has_flows(block)
    dtypes = {COL_NPP: "Int64", COL_MO: "string", COL_REGISTERED_SHORT: "Int64",
              COL_PCT: "Float64"}
    if with_sustained:
        dtypes |= {COL_SUSTAINED: "Int64", COL_PCT_SUSTAINED: "Float64"}
    if with_flows:
        dtypes |= {COL_NEW: "Int64", COL_LEFT: "Int64"}
    dtypes |= {COL_NOTE: "string", ROW_CLASS: "string"}

    def row(rec: pd.Series, number: object, name: str, classes: list[str],
            notes: list[str]) -> dict:
        out = {COL_NPP: number, COL_MO: name, COL_REGISTERED_SHORT: rec["registered"],
               COL_PCT: rec["pct_active"]}
        if with_sustained:
            out |= {COL_SUSTAINED: rec["sustained"], COL_PCT_SUSTAINED: rec["pct_sustained"]}
        if with_flows:
            out |= {COL_NEW: rec["new_registered"], COL_LEFT: rec["left"]}
        return out | {COL_NOTE: "; ".join(notes), ROW_CLASS: " ".join(classes)}

    order = region_order(metrics)
    block = block.assign(_ord=block["mo"].map(order)).sort_values("_ord", kind="stable")
    rows = [row(rec, i, rec["mo"], *_flags(rec, signals))
            for i, (_, rec) in enumerate(block.iterrows(), 1)]
    rows.append(row(total, pd.NA, REGION_TOTAL, ["total"], []))
    return _frame(rows, dtypes)


def by_type(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tables of several org types one under another, with a first column «Тип»."""
    return pd.concat([f.assign(**{COL_TYPE: t})[[COL_TYPE, *f.columns]]
                      for t, f in frames.items()], ignore_index=True)


def _target_gap(value: object, target: float) -> object:
    """``value − target`` (p. p., one decimal) for a value below the target, else NA."""
    below = not pd.isna(value) and float(value) < float(target)
    return round(float(value) - float(target), 1) if below else pd.NA


def district_table(metrics: pd.DataFrame, org_type: str = OO, *,
                   prev_week: str | None = None, signals: Signals | None = None,
                   target: float | None = None) -> pd.DataFrame:
    """``№ п/п | МО | Зарегистрировано участников | Активные | % Активности``, canonical order.

    With ``prev_week`` (and previous values in ``metrics``): the previous week's % active
    and :data:`COL_CHANGE`; with ``target``: :data:`COL_TARGET_GAP` for the МО whose
    % active is below it.
    """
    block, total = _type_block(metrics, org_type)
    with_prev = prev_week is not None and _has_prev(block, "pct_active_prev")
    order = region_order(metrics)
    block = block.assign(_ord=block["mo"].map(order)).sort_values("_ord", kind="stable")
    dtypes = {COL_NPP: "Int64", COL_MO: "string", COL_REGISTERED: "Int64",
              COL_ACTIVE: "Int64", COL_PCT: "Float64"}
    if with_prev:
        dtypes |= {prev_column(prev_week): "Float64", COL_CHANGE: "Float64"}
    if target:
        dtypes |= {COL_TARGET_GAP: "Float64"}
    dtypes |= {COL_NOTE: "string", ROW_CLASS: "string"}

    def extra(rec: pd.Series) -> dict:
        out: dict = {}
        if with_prev:
            out |= {prev_column(prev_week): _prev(rec, "pct_active_prev"),
                    COL_CHANGE: _prev(rec, "change_active_pp")}
        if target:
            out[COL_TARGET_GAP] = _target_gap(rec["pct_active"], target)
        return out

    rows = []
    for n, (_, rec) in enumerate(block.iterrows(), start=1):
        classes, notes = _flags(rec, signals)
        rows.append({COL_NPP: n, COL_MO: rec["mo"], COL_REGISTERED: rec["registered"],
                     COL_ACTIVE: rec["active"], COL_PCT: rec["pct_active"], **extra(rec),
                     COL_NOTE: "; ".join(notes), ROW_CLASS: " ".join(classes)})
    rows.append({COL_NPP: pd.NA, COL_MO: REGION_TOTAL, COL_REGISTERED: total["registered"],
                 COL_ACTIVE: total["active"], COL_PCT: total["pct_active"], **extra(total),
                 COL_NOTE: "", ROW_CLASS: "total"})
    return _frame(rows, dtypes)


def below_target(metrics: pd.DataFrame, target: float | None, org_type: str = DOO) -> list[str]:
    """МО (canonical order) whose % active is below ``target``; МО without a value are not."""
    if not target:
        return []
    block, _ = _type_block(metrics, org_type)
    order = region_order(metrics)
    rows = block[block["pct_active"].notna() & (block["pct_active"] < float(target))]
    return sorted(rows["mo"].astype(str), key=order.get)



def trend_weeks(trend: pd.DataFrame) -> list[str]:
    return sorted(set(trend["week"].astype(str)))


def heatmap_frame(trend: pd.DataFrame, value: str = "pct_active", org_type: str = DOO,
                  max_weeks: int = HEATMAP_WEEKS) -> pd.DataFrame:
    """Every МО of the region (canonical order) × the last ``max_weeks`` weeks: ``value``

    Rows are the official МО names, columns the week names (``YYYY-MM-DD``); a missing
    value (no organisations of the type, zero denominator, other activity rule) is NA.
    """
    weeks = trend_weeks(trend)[-max_weeks:]
    rows = trend[(trend["org_type"] == org_type) & (trend["mo"] != TOTAL)
                 & trend["week"].isin(weeks)]
    table = rows.pivot_table(index="mo", columns="week", values=value, aggfunc="first",
                             dropna=False)
    table = table.reindex(index=region_names(trend[trend["week"] == weeks[-1]]), columns=weeks)
    table.index.name, table.columns.name = COL_MO, None
    return table.astype("Float64")


def trend_table(trend: pd.DataFrame, value: str = "pct_active",
                org_type: str = DOO) -> pd.DataFrame:
    """The heat-map data of every week as a report table: МО, one column per week
    (``29.01.2024, %``), then the regional (pooled) row."""
    weeks = trend_weeks(trend)
    table = heatmap_frame(trend, value, org_type, max_weeks=len(weeks))
    totals = trend[(trend["org_type"] == org_type) & (trend["mo"] == TOTAL)] \
        .set_index("week")[value]
    titles = {w: COL_WEEK.format(day=date_ru(w)) for w in weeks}
    rows = [{COL_MO: mo, **{titles[w]: table.at[mo, w] for w in weeks}, ROW_CLASS: ""}
            for mo in table.index]
    rows.append({COL_MO: REGION_MEAN, **{titles[w]: totals.get(w, pd.NA) for w in weeks},
                 ROW_CLASS: "total"})
    return _frame(rows, {COL_MO: "string", **{t: "Float64" for t in titles.values()},
                         ROW_CLASS: "string"})



# ----------------------------------------------------------------------- drill-down annex


def _org_pct(active: int, registered: int) -> float | None:
    from ..metrics import pct

    return pct(int(active), int(registered))


def drilldown_table(org_metrics: pd.DataFrame, metrics: pd.DataFrame, week: str, *,
                    findings: pd.DataFrame | None = None, target: float | None = None,
                    per_mo: int = DRILLDOWN_PER_MO) -> pd.DataFrame:
    """Per МО (canonical order): organisations a municipal coordinator should call.

    1. Organisations without a usable export: no file, a stale file (its dates end before
       the reporting date: an old download sent again), no rows of the reporting date,
       an unreadable file.
    2. Organisations whose staff look like padded statistics (``identical_counts``,
       ``quota_jump`` in ``findings``).
    3. Up to ``per_mo`` organisations with the lowest % active (exact ratio; ties: more
       registered first) among those below the ``target``, or — without a target —
       below the regional % active of their type.

    Organisations only, never persons.
    """
    order = region_order(metrics)
    regional = {str(r["org_type"]): r for _, r in metrics[metrics["mo"] == TOTAL].iterrows()}
    flagged: dict[str, list[str]] = {}
    if findings is not None and len(findings):
        for _, f in findings[findings["code"].isin(["identical_counts", "quota_jump"])].iterrows():
            flagged.setdefault(str(f["org_id"]), []).append(str(f["code"]))
    rows = []

    def add(rec: pd.Series, group: int, reason: str, css: str) -> None:
        reported = rec["status"] == "reported"
        rows.append({
            "_mo": order.get(rec["mo"], len(order) + 1), "_group": group,
            COL_MO: rec["mo"], COL_TYPE: rec["org_type"], COL_ORG: rec["org_name"],
            COL_ORG_ID: rec["org_id"], COL_BY_REGISTER: rec["staff_total"],
            COL_REGISTERED_N: rec["registered"] if reported else pd.NA,
            COL_ACTIVE: rec["active"] if reported else pd.NA,
            COL_PCT: _org_pct(rec["active"], rec["registered"]) if reported else pd.NA,
            COL_REASON: reason, ROW_CLASS: css,
        })

    day = date_ru(week)
    orgs = _sorted_orgs(org_metrics)  # within a МО and a group: type, then name
    for _, rec in orgs.iterrows():
        status = str(rec["status"])
        if status == "reported":
            continue
        reason = _missing_reason(rec)
        if reason.startswith(STALE_PREFIX):
            reason += STALE_EXPORT_NEEDED.format(day=day)
        add(rec, 0, reason, "incomplete")

    reported = orgs[orgs["status"] == "reported"]
    for _, rec in reported.iterrows():
        codes = flagged.get(str(rec["org_id"]))
        if codes:
            reason = "; ".join(PADDING_REASONS[c] for c in dict.fromkeys(codes)) + PADDING_CHECK
            add(rec, 1, reason, "anomaly")

    low = []
    for _, rec in reported.iterrows():
        if int(rec["registered"]) == 0 or str(rec["org_id"]) in flagged:
            continue
        ratio = exact_ratio(int(rec["active"]), int(rec["registered"]))
        if target:
            limit = float(target)
            words = ANNEX_BELOW_TARGET.format(target=pct_text(round(float(target), 1)))
        else:
            total = regional.get(str(rec["org_type"]))
            if total is None or pd.isna(total["pct_active"]):
                continue
            limit = float(total["pct_active"])
            words = BELOW_REGION_OF_TYPE.format(org_type=rec["org_type"], value=pct_text(limit))
        if ratio * 100 >= limit:
            continue
        low.append((rec, ratio, words))
    low.sort(key=lambda t: (order.get(t[0]["mo"], len(order) + 1), t[1], -int(t[0]["registered"]),
                            str(t[0]["org_id"])))
    taken: dict[str, int] = {}
    for rec, _ratio, words in low:
        if taken.get(rec["mo"], 0) >= per_mo:
            continue
        taken[rec["mo"]] = taken.get(rec["mo"], 0) + 1
        add(rec, 2, LOW_ACTIVITY.format(why=words), "")

    dtypes = {COL_MO: "string", COL_TYPE: "string", COL_ORG: "string", COL_ORG_ID: "string",
              COL_BY_REGISTER: "Int64", COL_REGISTERED_N: "Int64", COL_ACTIVE: "Int64",
              COL_PCT: "Float64", COL_REASON: "string", ROW_CLASS: "string"}
    if not rows:
        return _frame([], dtypes)
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["_mo", "_group"], kind="stable")
    return frame.drop(columns=["_mo", "_group"]).reset_index(drop=True).astype(dtypes)



# ----------------------------------------------------------------------- data quality
def _example(rec: pd.Series, limit: int = 90) -> str:
    """Where to look for one finding: ``file, строка N``, else the start of its message."""
    file = "" if pd.isna(rec["file"]) else str(rec["file"])
    if file:
        return EXAMPLE_AT.format(file=file, row=int(rec["row"])) if not pd.isna(rec["row"]) \
            else file
    message = str(rec["message"])
    return message if len(message) <= limit else message[:limit - 1].rstrip() + "…"


def findings_summary_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by kind (errors on top, then the order of CODES) with an example:
    the first finding of the kind (file and row, or the beginning of its message)."""
    code_order = {code: i for i, code in enumerate(CODES)}
    level_order = {str(Level.ERROR): 0, str(Level.WARNING): 1, str(Level.INFO): 2}
    counts = findings["code"].astype("string").value_counts() if len(findings) else {}
    rows = []
    for code, n in sorted(dict(counts).items(),
                          key=lambda kv: (level_order[str(CODES[kv[0]][0])], code_order[kv[0]])):
        level, title = CODES[code]
        first = findings[findings["code"] == code].iloc[0]
        rows.append({COL_KIND: title, COL_LEVEL: LEVEL_TITLES[str(level)], COL_CODE: code,
                     COL_COUNT: int(n), COL_EXAMPLE: _example(first),
                     ROW_CLASS: "anomaly" if level == Level.ERROR else ""})
    return _frame(rows, {COL_KIND: "string", COL_LEVEL: "string", COL_CODE: "string",
                         COL_COUNT: "Int64", COL_EXAMPLE: "string", ROW_CLASS: "string"})


#: Findings that point at municipalities or organisations to check (anomalies, padding).
SIGNAL_CODES = ("register_exceeded", *MO_SIGNAL_CODES)


def signals_table(findings: pd.DataFrame, codes: Iterable[str] = SIGNAL_CODES) -> pd.DataFrame:
    """Every finding of ``codes`` (all of them, not a sample): kind, file, row, message."""
    codes = list(codes)
    chosen = findings[findings["code"].isin(codes)] if len(findings) else findings
    rank = {c: i for i, c in enumerate(codes)}
    chosen = chosen.assign(_c=chosen["code"].map(rank)).sort_values("_c", kind="stable")
    rows = [{COL_KIND: CODES[str(rec["code"])][1], COL_CODE: rec["code"],
             COL_FILE: "" if pd.isna(rec["file"]) else rec["file"], COL_ROW: rec["row"],
             COL_MESSAGE: rec["message"], ROW_CLASS: "anomaly"}
            for _, rec in chosen.iterrows()]
    return _frame(rows, {COL_KIND: "string", COL_CODE: "string", COL_FILE: "string",
                         COL_ROW: "Int64", COL_MESSAGE: "string", ROW_CLASS: "string"})


def coverage_mo_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Coverage of every МО (canonical order): per type, organisations in the registry and
    with a usable export, then all types together (%), then the region."""
    types = [t for t in ORG_TYPES if t in set(metrics["org_type"])]
    block = metrics.set_index(["org_type", "mo"])
    dtypes = {COL_MO: "string"}
    for t in types:
        dtypes |= {COL_TYPE_IN_REGISTRY.format(org_type=t): "Int64",
                   COL_TYPE_WITH_EXPORT.format(org_type=t): "Int64"}
    dtypes |= {COL_COVERAGE: "Float64", ROW_CLASS: "string"}
    rows = []
    for mo in [*region_names(metrics), TOTAL]:
        row: dict = {COL_MO: REGION_TOTAL if mo == TOTAL else mo}
        expected = reported = 0
        for t in types:
            rec = block.loc[(t, mo)]
            e, r = int(rec["orgs_expected"]), int(rec["orgs_reported"])
            expected, reported = expected + e, reported + r
            row[COL_TYPE_IN_REGISTRY.format(org_type=t)] = e
            row[COL_TYPE_WITH_EXPORT.format(org_type=t)] = r
        row[COL_COVERAGE] = _pct(reported, expected)
        row[ROW_CLASS] = "total" if mo == TOTAL else ("incomplete" if reported < expected
                                                      else "")
        rows.append(row)
    return _frame(rows, dtypes)


def coverage_table(org_metrics: pd.DataFrame) -> pd.DataFrame:
    """Per organisation type: organisations in the registry, with a usable export, %."""
    rows = []
    present = [t for t in ORG_TYPES if t in set(org_metrics["org_type"])]
    for org_type in present:
        orgs = org_metrics[org_metrics["org_type"] == org_type]
        expected = len(orgs)
        reported = int((orgs["status"] == "reported").sum())
        rows.append({COL_ORG_TYPE: org_type, COL_IN_REGISTRY: expected,
                     COL_WITH_EXPORT: reported, COL_WITHOUT_EXPORT: expected - reported,
                     COL_COVERAGE: _pct(reported, expected),
                     ROW_CLASS: "incomplete" if reported < expected else ""})
    expected, reported = len(org_metrics), int((org_metrics["status"] == "reported").sum())
    rows.append({COL_ORG_TYPE: ALL_TYPES, COL_IN_REGISTRY: expected, COL_WITH_EXPORT: reported,
                 COL_WITHOUT_EXPORT: expected - reported, COL_COVERAGE: _pct(reported, expected),
                 ROW_CLASS: "total"})
    return _frame(rows, {COL_ORG_TYPE: "string", COL_IN_REGISTRY: "Int64",
                         COL_WITH_EXPORT: "Int64", COL_WITHOUT_EXPORT: "Int64",
                         COL_COVERAGE: "Float64", ROW_CLASS: "string"})


def _pct(numerator: int, denominator: int) -> float | None:
    from ..metrics import pct

    return pct(int(numerator), int(denominator))


def coverage_by_mo_table(metrics: pd.DataFrame, only_incomplete: bool = True) -> pd.DataFrame:
    """Per (type, МО): organisations in the registry and with a usable export."""
    block = metrics[metrics["mo"] != TOTAL]
    if only_incomplete:
        block = block[block["orgs_reported"] < block["orgs_expected"]]
    type_order = {t: i for i, t in enumerate(ORG_TYPES)}
    order = region_order(metrics)
    block = block.assign(_t=block["org_type"].map(type_order), _o=block["mo"].map(order)) \
        .sort_values(["_t", "_o"], kind="stable")
    rows = [{COL_TYPE: rec["org_type"], COL_MO: rec["mo"], COL_IN_REGISTRY: rec["orgs_expected"],
             COL_WITH_EXPORT: rec["orgs_reported"],
             COL_COVERAGE: _pct(rec["orgs_reported"], rec["orgs_expected"]),
             ROW_CLASS: "incomplete" if rec["orgs_reported"] < rec["orgs_expected"] else ""}
            for _, rec in block.iterrows()]
    return _frame(rows, {COL_TYPE: "string", COL_MO: "string", COL_IN_REGISTRY: "Int64",
                         COL_WITH_EXPORT: "Int64", COL_COVERAGE: "Float64", ROW_CLASS: "string"})


def _sorted_orgs(orgs: pd.DataFrame) -> pd.DataFrame:
    type_order = {t: i for i, t in enumerate(ORG_TYPES)}
    # mo_order: the organisation's place in the region's list (set when it was matched)
    return orgs.assign(_t=orgs["org_type"].map(type_order), _o=orgs["mo_order"]) \
        .sort_values(["_t", "_o", "org_name", "org_id"], kind="stable",
                     key=numbers_by_value("org_name"))


def _missing_reason(rec: pd.Series) -> str:
    """Why an organisation has no usable export; a stale file names its last date."""
    status = str(rec["status"])
    last = rec.get("last_date", pd.NA)
    if status == "no_data_for_date" and bool(rec.get("stale", False)) and not pd.isna(last):
        return STALE_EXPORT.format(day=date_ru(str(last)))
    return STATUS_TITLES.get(status, status)


def missing_exports_table(org_metrics: pd.DataFrame) -> pd.DataFrame:
    """Organisations of the registry without a usable export (names of organisations only)."""
    missing = _sorted_orgs(org_metrics[org_metrics["status"] != "reported"])
    rows = [{COL_TYPE: rec["org_type"], COL_MO: rec["mo"], COL_ORG: rec["org_name"],
             COL_ORG_ID: rec["org_id"], COL_MISSING_REASON: _missing_reason(rec),
             COL_STAFF: rec["staff_total"], ROW_CLASS: "incomplete"}
            for _, rec in missing.iterrows()]
    return _frame(rows, {COL_TYPE: "string", COL_MO: "string", COL_ORG: "string",
                         COL_ORG_ID: "string", COL_MISSING_REASON: "string",
                         COL_STAFF: "Int64", ROW_CLASS: "string"})


def anomalies_table(org_metrics: pd.DataFrame) -> pd.DataFrame:
    """Organisations with more registered persons than staff on the register."""
    over = _sorted_orgs(org_metrics[org_metrics["registered"] > org_metrics["staff_total"]])
    rows = [{COL_TYPE: rec["org_type"], COL_MO: rec["mo"], COL_ORG: rec["org_name"],
             COL_ORG_ID: rec["org_id"], COL_REGISTERED_N: rec["registered"],
             COL_BY_REGISTER: rec["staff_total"], ROW_CLASS: "anomaly"}
            for _, rec in over.iterrows()]
    return _frame(rows, {COL_TYPE: "string", COL_MO: "string", COL_ORG: "string",
                         COL_ORG_ID: "string", COL_REGISTERED_N: "Int64",
                         COL_BY_REGISTER: "Int64", ROW_CLASS: "string"})


def findings_list_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Every finding: level, code, kind, file, row, message (messages hold no names)."""
    rows = [{COL_LEVEL: LEVEL_TITLES.get(str(rec["level"]), str(rec["level"])),
             COL_CODE: rec["code"], COL_KIND: CODES[str(rec["code"])][1]
             if str(rec["code"]) in CODES else str(rec["code"]),
             COL_FILE: rec["file"] if pd.notna(rec["file"]) else "",
             COL_ROW: rec["row"], COL_MESSAGE: rec["message"],
             ROW_CLASS: "anomaly" if str(rec["level"]) == str(Level.ERROR) else ""}
            for _, rec in findings.iterrows()]
    return _frame(rows, {COL_LEVEL: "string", COL_CODE: "string", COL_KIND: "string",
                         COL_FILE: "string", COL_ROW: "Int64", COL_MESSAGE: "string",
                         ROW_CLASS: "string"})


def row_accounting_table(files: pd.DataFrame) -> pd.DataFrame:
    """Rows of all files of the week: read = used + not counted + other dates + duplicates
    + rejected. Rows of the reporting date in files of organisations that are not in the
    registry (``unknown_org``) pass the same checks but are not counted: they have a
    column of their own, never «Учтено»."""
    unknown = files["status"].astype("string").eq("unknown_org").fillna(False)
    row = {COL_FILES: len(files), COL_ROWS_READ: int(files["rows_read"].sum()),
           COL_ROWS_USED: int(files.loc[~unknown, "rows_used"].sum()),
           COL_ROWS_UNKNOWN: int(files.loc[unknown, "rows_used"].sum()),
           COL_ROWS_OTHER_DATES: int(files["rows_other_dates"].sum()),
           COL_ROWS_DUPLICATE: int(files["rows_duplicate"].sum()),
           COL_ROWS_REJECTED: int(files["rows_rejected"].sum()), ROW_CLASS: ""}
    return _frame([row], {**{c: "Int64" for c in row if c != ROW_CLASS}, ROW_CLASS: "string"})


