"""Tables and charts of the weekly report (``notebooks/03_report.py``).

Every builder is a pure function over the processed week's DataFrames (``metrics``,
``org_metrics``, ``findings``, ``files``) and returns a DataFrame whose column titles
are the Russian titles of the report (the seed presentation's where it has them).
Values stay numbers (percentages as the rounded ``metrics`` values, counts as
integers); :func:`table_html` formats them for the HTML report (decimal comma, narrow
no-break space in thousands, ``—`` for a missing ratio) and the same frames, without
the internal :data:`ROW_CLASS` column (:func:`for_xlsx`), go to the XLSX workbook.

Rows of municipalities with incomplete coverage or with more registered persons than
staff on the register carry the CSS classes ``incomplete`` / ``anomaly`` in
:data:`ROW_CLASS`, a text in :data:`COL_NOTE` (XLSX) and a mark after the МО name in
the HTML (:data:`MARK_INCOMPLETE`, :data:`MARK_ANOMALY`, explained by
:func:`footnotes_html`). Total rows carry ``total``.

Week over week: with the previous reporting week (the latest earlier folder of
``data/raw``, processed — see ``steps.metrics_step``) the ranked tables and the ОО table
get the previous value, the change in percentage points (``▲``/``▼``, classes
``delta-up``/``delta-down``) and the change of rank, all from the ``*_prev`` and
``change_*_pp`` columns of ``metrics`` (the same numbers as ``metrics_mo.csv``).
Trends (:func:`trend_frame`, :func:`trend_chart`, :func:`heatmap_chart`) read the
metrics of every processed week up to the report's. The drill-down annex
(:func:`drilldown_table`, internal edition only) lists organisations, never persons.

Nothing here reads the table of persons: the report never shows a person's name.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from . import municipalities
from .config import is_week_name, parse_week
from .findings import CODES, Level
from .formatting import DASH, fmt_int, fmt_pct, fmt_pp, plural
from .metrics import TOTAL, ActiveRule, exact_ratio, ranked, same_rule
from .registry import ORG_TYPES
from .storage import read_parquet

# ----------------------------------------------------------------------- titles (seed)
DOO, OO = "ДОО", "ОО"

HEADLINE_TITLE = "Сотрудники ДОО в ИКОП «Сферум»"
REGISTERED_TITLE = "% зарегистрированных сотрудников"
ACTIVE_TITLE = "% активности сотрудников"
DISTRICT_TITLE = "Активность педагогов в районах"
CHARTS_TITLE = "Диаграммы"
TRENDS_TITLE = "Динамика по неделям"
QUALITY_TITLE = "Качество данных"
ANNEX_TITLE = "Приложение. Организации, которым стоит позвонить"

COL_RANK = "№"
COL_MO = "МО"
COL_PCT_REGISTERED = "% Зарегистрированных воспитателей"
COL_PCT_ACTIVE = "% Активности воспитателей"
COL_NPP = "№ п/п"
COL_REGISTERED = "Зарегистрировано участников"
COL_ACTIVE = "Активные"
COL_PCT = "% Активности"
COL_NOTE = "Примечание"
COL_CHANGE = "Изменение, п.\u00a0п."
COL_RANK_CHANGE = "Изменение места"
COL_TARGET_GAP = "До цели, п.\u00a0п."
#: Internal column: CSS classes of the row (``total``, ``incomplete``, ``anomaly``).
ROW_CLASS = "_row_class"

REGION_MEAN = "Среднее значение по региону"
REGION_TOTAL = "Итого по региону"

MARK_INCOMPLETE = "*"
MARK_ANOMALY = "†"
MARK_SIGNAL = "‡"

#: Columns shown without thousands separators (ranks and row numbers).
RANK_COLUMNS = frozenset({COL_RANK, COL_NPP, "Строка"})
#: Editions of the report (``sferum run --edition``).
EDITIONS = {"ministry": "Редакция для министерства",
            "internal": "Внутренняя редакция: с приложением по организациям (не для рассылки)"}
UP, DOWN = "\u25b2", "\u25bc"  # ▲ ▼

LEVEL_TITLES = {str(Level.ERROR): "ошибка", str(Level.WARNING): "предупреждение",
                str(Level.INFO): "сведения"}
STATUS_TITLES = {
    "missing_export": "нет файла выгрузки",
    "no_data_for_date": "в выгрузке нет строк за отчётную дату",
    "unreadable": "файл выгрузки не удалось прочитать",
}
#: Weeks in the heat-map (the line charts show every processed week).
HEATMAP_WEEKS = 8
#: Organisations per МО in the drill-down annex with the lowest % active.
DRILLDOWN_PER_MO = 5

#: Resolution of the chart PNGs (the template shows them at their physical size).
CHART_DPI = 200
CHART_WIDTH_IN = 7.0  # fits the A4 text width (180 mm) and the 1000 px screen column
COLOR_BAR = "#17375e"
COLOR_INCOMPLETE = "#d9a520"
COLOR_ANOMALY = "#b42318"
COLOR_SIGNAL = "#1d232b"
COLOR_REGION = "#1d232b"
COLOR_TARGET = "#1e6b34"
COLOR_BELOW = "#b42318"


def date_ru(week: str) -> str:
    """``2024-01-29`` -> ``29.01.2024``."""
    return parse_week(week).strftime("%d.%m.%Y")


def report_title(week: str) -> str:
    return f"Использование ИКОП «Сферум» — неделя по {date_ru(week)}"


def pct_text(value: object) -> str:
    """``90.2`` -> ``90,2 %`` (no-break space); missing -> ``—``."""
    text = fmt_pct(value)
    return text if text == DASH else f"{text}\u00a0%"


# ----------------------------------------------------------------------- loading
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
    from .steps import read_meta

    return ReportData(week=week, meta=read_meta(directory), **tables)


# ----------------------------------------------------------------------- per-МО flags
def _type_block(metrics: pd.DataFrame, org_type: str) -> tuple[pd.DataFrame, pd.Series]:
    """Rows of one type (27 МО) and its total row; zeros when the type is absent."""
    block = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] != TOTAL)]
    totals = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == TOTAL)]
    if block.empty or totals.empty:
        names = municipalities.canonical_names()
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


NOTE_INCOMPLETE = "неполный охват: "
NOTE_ANOMALY = "зарегистрировано больше, чем по реестру: "
NOTE_SIGNAL = "проверьте: "
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
        notes.append(f"{NOTE_INCOMPLETE}выгрузки от {reported} из {expected} "
                     f"{plural(expected, 'организации', 'организаций', 'организаций')}")
    if bool(row["register_exceeded"]):
        classes.append("anomaly")
        notes.append(f"{NOTE_ANOMALY}{fmt_int(row['registered'])} "
                     f"при {fmt_int(row['staff_total'])} по реестру")
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
        {"Показатель": f"Сотрудников {org_type} по реестру", "Человек": total["staff_total"],
         "%": pd.NA, COL_NOTE: "численность по реестру организаций"},
        {"Показатель": "Зарегистрированы в ИКОП «Сферум»", "Человек": total["registered"],
         "%": total["pct_registered"], COL_NOTE: "% — от численности по реестру"},
        {"Показатель": "Активны в ИКОП «Сферум»", "Человек": total["active"],
         "%": total["pct_active"], COL_NOTE: "% — от зарегистрированных"},
    ]
    for row in rows:
        row[ROW_CLASS] = ""
    return _frame(rows, {"Показатель": "string", "Человек": "Int64", "%": "Float64",
                         COL_NOTE: "string", ROW_CLASS: "string"})


def prev_column(prev_week: str) -> str:
    """Title of the previous week's value: ``Неделя по 22.01, %`` (short: narrow column)."""
    return f"Неделя по {date_ru(prev_week)[:5]}, %"


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
    dtypes = {COL_RANK: "Int64", COL_MO: "string", value_col: "Float64"}
    if with_prev:
        dtypes |= {prev_column(prev_week): "Float64", COL_CHANGE: "Float64",
                   COL_RANK_CHANGE: "Int64"}
    if with_target:
        dtypes |= {COL_TARGET_GAP: "Float64"}
    dtypes |= {COL_NOTE: "string", ROW_CLASS: "string"}

    def extra(rec: pd.Series, is_total: bool) -> dict:
        out: dict = {}
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
    order = municipalities.order_of()
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
    order = municipalities.order_of()
    rows = block[block["pct_active"].notna() & (block["pct_active"] < float(target))]
    return sorted(rows["mo"].astype(str), key=order.get)


# ----------------------------------------------------------------------- trends
def trend_frame(processed_root: str | Path, week: str, current: pd.DataFrame, *,
                rule: ActiveRule, reports_root: str | Path | None = None) -> pd.DataFrame:
    """Metrics of every processed week up to ``week``, long: one row per week, type, МО.

    Earlier weeks come from ``<processed_root>/<week>/metrics.parquet``; ``current`` is
    this week's ``metrics`` (the run's own, not yet moved into place). % active (and
    ``active``) of a week counted under another or an unknown activity rule is left
    empty: weeks are compared under one rule only.
    """
    from .steps import stored_rule

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


def trend_weeks(trend: pd.DataFrame) -> list[str]:
    return sorted(set(trend["week"].astype(str)))


def heatmap_frame(trend: pd.DataFrame, value: str = "pct_active", org_type: str = DOO,
                  max_weeks: int = HEATMAP_WEEKS) -> pd.DataFrame:
    """27 МО (canonical order) × the last ``max_weeks`` weeks: ``value`` (% rounded).

    Rows are the official МО names, columns the week names (``YYYY-MM-DD``); a missing
    value (no organisations of the type, zero denominator, other activity rule) is NA.
    """
    weeks = trend_weeks(trend)[-max_weeks:]
    rows = trend[(trend["org_type"] == org_type) & (trend["mo"] != TOTAL)
                 & trend["week"].isin(weeks)]
    table = rows.pivot_table(index="mo", columns="week", values=value, aggfunc="first",
                             dropna=False)
    table = table.reindex(index=municipalities.canonical_names(), columns=weeks)
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
    titles = {w: f"{date_ru(w)}, %" for w in weeks}
    rows = [{COL_MO: mo, **{titles[w]: table.at[mo, w] for w in weeks}, ROW_CLASS: ""}
            for mo in table.index]
    rows.append({COL_MO: REGION_MEAN, **{titles[w]: totals.get(w, pd.NA) for w in weeks},
                 ROW_CLASS: "total"})
    return _frame(rows, {COL_MO: "string", **{t: "Float64" for t in titles.values()},
                         ROW_CLASS: "string"})


# ----------------------------------------------------------------------- drill-down annex
COL_ORG = "Организация"
COL_REASON = "Почему в списке"


def _org_pct(active: int, registered: int) -> float | None:
    from .metrics import pct

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
    order = municipalities.order_of()
    regional = {str(r["org_type"]): r for _, r in metrics[metrics["mo"] == TOTAL].iterrows()}
    flagged: dict[str, list[str]] = {}
    if findings is not None and len(findings):
        for _, f in findings[findings["code"].isin(["identical_counts", "quota_jump"])].iterrows():
            flagged.setdefault(str(f["org_id"]), []).append(str(f["code"]))
    rows = []

    def add(rec: pd.Series, group: int, reason: str, css: str) -> None:
        reported = rec["status"] == "reported"
        rows.append({
            "_mo": order.get(rec["mo"], 99), "_group": group,
            COL_MO: rec["mo"], "Тип": rec["org_type"], COL_ORG: rec["org_name"],
            "ID Сферум": rec["org_id"], "По реестру": rec["staff_total"],
            "Зарегистрировано": rec["registered"] if reported else pd.NA,
            "Активные": rec["active"] if reported else pd.NA,
            "% Активности": _org_pct(rec["active"], rec["registered"]) if reported else pd.NA,
            COL_REASON: reason, ROW_CLASS: css,
        })

    day = date_ru(week)
    orgs = _sorted_orgs(org_metrics)  # within a МО and a group: type, then name
    for _, rec in orgs.iterrows():
        status = str(rec["status"])
        if status == "reported":
            continue
        reason = _missing_reason(rec)
        if reason.startswith("выгрузка устарела"):
            reason += f", а нужна {day} (прислали старую выгрузку?)"
        add(rec, 0, reason, "incomplete")

    codes_text = {"identical_counts": "у большинства сотрудников одинаковое число сообщений",
                  "quota_jump": "счётчики многих сотрудников выросли с нуля ровно до порога"}
    reported = orgs[orgs["status"] == "reported"]
    for _, rec in reported.iterrows():
        codes = flagged.get(str(rec["org_id"]))
        if codes:
            reason = "; ".join(codes_text[c] for c in dict.fromkeys(codes)) + \
                " — проверьте, не накручена ли статистика (см. «Качество данных»)"
            add(rec, 1, reason, "anomaly")

    low = []
    for _, rec in reported.iterrows():
        if int(rec["registered"]) == 0 or str(rec["org_id"]) in flagged:
            continue
        ratio = exact_ratio(int(rec["active"]), int(rec["registered"]))
        if target:
            limit, words = float(target), f"ниже цели {pct_text(round(float(target), 1))}"
        else:
            total = regional.get(str(rec["org_type"]))
            if total is None or pd.isna(total["pct_active"]):
                continue
            limit = float(total["pct_active"])
            words = f"ниже среднего по региону для {rec['org_type']} ({pct_text(limit)})"
        if ratio * 100 >= limit:
            continue
        low.append((rec, ratio, words))
    low.sort(key=lambda t: (order.get(t[0]["mo"], 99), t[1], -int(t[0]["registered"]),
                            str(t[0]["org_id"])))
    taken: dict[str, int] = {}
    for rec, _ratio, words in low:
        if taken.get(rec["mo"], 0) >= per_mo:
            continue
        taken[rec["mo"]] = taken.get(rec["mo"], 0) + 1
        add(rec, 2, f"низкая активность: {words}", "")

    dtypes = {COL_MO: "string", "Тип": "string", COL_ORG: "string", "ID Сферум": "string",
              "По реестру": "Int64", "Зарегистрировано": "Int64", "Активные": "Int64",
              "% Активности": "Float64", COL_REASON: "string", ROW_CLASS: "string"}
    if not rows:
        return _frame([], dtypes)
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["_mo", "_group"], kind="stable")
    return frame.drop(columns=["_mo", "_group"]).reset_index(drop=True).astype(dtypes)


def drilldown_html(table: pd.DataFrame) -> str:
    """The annex as HTML: one small table per МО (the coordinator's list), without the
    МО and register columns (they stay in the XLSX sheet)."""
    if table.empty:
        return '<p class="note">Таких организаций нет.</p>'
    parts = []
    for mo, group in table.groupby(COL_MO, sort=False):
        parts.append(f"<h4>{html.escape(str(mo))}</h4>")
        shown = group.drop(columns=[COL_MO, "По реестру"]).rename(columns={
            "Зарегистрировано": "Зарег.", "Активные": "Актив.", "% Активности": "% актив.",
            "ID Сферум": "ID"})  # short headers: the reason column gets the width
        parts.append(table_html(shown, mark_column=None, col_widths=(6, 33, 10, 8, 8, 8, 27)))
    return "\n".join(parts)


# ----------------------------------------------------------------------- data quality
def _example(rec: pd.Series, limit: int = 90) -> str:
    """Where to look for one finding: ``file, строка N``, else the start of its message."""
    file = "" if pd.isna(rec["file"]) else str(rec["file"])
    if file:
        return f"{file}, строка {int(rec['row'])}" if not pd.isna(rec["row"]) else file
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
        rows.append({"Вид замечания": title, "Уровень": LEVEL_TITLES[str(level)], "Код": code,
                     "Количество": int(n), "Пример": _example(first),
                     ROW_CLASS: "anomaly" if level == Level.ERROR else ""})
    return _frame(rows, {"Вид замечания": "string", "Уровень": "string", "Код": "string",
                         "Количество": "Int64", "Пример": "string", ROW_CLASS: "string"})


#: Findings that point at municipalities or organisations to check (anomalies, padding).
SIGNAL_CODES = ("register_exceeded", *MO_SIGNAL_CODES)


def signals_table(findings: pd.DataFrame, codes: Iterable[str] = SIGNAL_CODES) -> pd.DataFrame:
    """Every finding of ``codes`` (all of them, not a sample): kind, file, row, message."""
    codes = list(codes)
    chosen = findings[findings["code"].isin(codes)] if len(findings) else findings
    rank = {c: i for i, c in enumerate(codes)}
    chosen = chosen.assign(_c=chosen["code"].map(rank)).sort_values("_c", kind="stable")
    rows = [{"Вид замечания": CODES[str(rec["code"])][1], "Код": rec["code"],
             "Файл": "" if pd.isna(rec["file"]) else rec["file"], "Строка": rec["row"],
             "Сообщение": rec["message"], ROW_CLASS: "anomaly"}
            for _, rec in chosen.iterrows()]
    return _frame(rows, {"Вид замечания": "string", "Код": "string", "Файл": "string",
                         "Строка": "Int64", "Сообщение": "string", ROW_CLASS: "string"})


def coverage_mo_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Coverage of every МО (canonical order): per type, organisations in the registry and
    with a usable export, then all types together (%), then the region."""
    types = [t for t in ORG_TYPES if t in set(metrics["org_type"])]
    block = metrics.set_index(["org_type", "mo"])
    dtypes = {COL_MO: "string"}
    for t in types:
        dtypes |= {f"{t} в реестре": "Int64", f"{t} с выгрузкой": "Int64"}
    dtypes |= {"Охват, %": "Float64", ROW_CLASS: "string"}
    rows = []
    for mo in [*municipalities.canonical_names(), TOTAL]:
        row: dict = {COL_MO: REGION_TOTAL if mo == TOTAL else mo}
        expected = reported = 0
        for t in types:
            rec = block.loc[(t, mo)]
            e, r = int(rec["orgs_expected"]), int(rec["orgs_reported"])
            expected, reported = expected + e, reported + r
            row[f"{t} в реестре"], row[f"{t} с выгрузкой"] = e, r
        row["Охват, %"] = _pct(reported, expected)
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
        rows.append({"Тип организаций": org_type, "В реестре": expected,
                     "С выгрузкой": reported, "Без выгрузки": expected - reported,
                     "Охват, %": _pct(reported, expected),
                     ROW_CLASS: "incomplete" if reported < expected else ""})
    expected, reported = len(org_metrics), int((org_metrics["status"] == "reported").sum())
    rows.append({"Тип организаций": "Всего", "В реестре": expected, "С выгрузкой": reported,
                 "Без выгрузки": expected - reported, "Охват, %": _pct(reported, expected),
                 ROW_CLASS: "total"})
    return _frame(rows, {"Тип организаций": "string", "В реестре": "Int64",
                         "С выгрузкой": "Int64", "Без выгрузки": "Int64", "Охват, %": "Float64",
                         ROW_CLASS: "string"})


def _pct(numerator: int, denominator: int) -> float | None:
    from .metrics import pct

    return pct(int(numerator), int(denominator))


def coverage_by_mo_table(metrics: pd.DataFrame, only_incomplete: bool = True) -> pd.DataFrame:
    """Per (type, МО): organisations in the registry and with a usable export."""
    block = metrics[metrics["mo"] != TOTAL]
    if only_incomplete:
        block = block[block["orgs_reported"] < block["orgs_expected"]]
    type_order = {t: i for i, t in enumerate(ORG_TYPES)}
    order = municipalities.order_of()
    block = block.assign(_t=block["org_type"].map(type_order), _o=block["mo"].map(order)) \
        .sort_values(["_t", "_o"], kind="stable")
    rows = [{"Тип": rec["org_type"], COL_MO: rec["mo"], "В реестре": rec["orgs_expected"],
             "С выгрузкой": rec["orgs_reported"],
             "Охват, %": _pct(rec["orgs_reported"], rec["orgs_expected"]),
             ROW_CLASS: "incomplete" if rec["orgs_reported"] < rec["orgs_expected"] else ""}
            for _, rec in block.iterrows()]
    return _frame(rows, {"Тип": "string", COL_MO: "string", "В реестре": "Int64",
                         "С выгрузкой": "Int64", "Охват, %": "Float64", ROW_CLASS: "string"})


def _sorted_orgs(orgs: pd.DataFrame) -> pd.DataFrame:
    type_order = {t: i for i, t in enumerate(ORG_TYPES)}
    return orgs.assign(_t=orgs["org_type"].map(type_order),
                       _o=orgs["mo"].map(municipalities.order_of())) \
        .sort_values(["_t", "_o", "org_name", "org_id"], kind="stable")


def _missing_reason(rec: pd.Series) -> str:
    """Why an organisation has no usable export; a stale file names its last date."""
    status = str(rec["status"])
    last = rec.get("last_date", pd.NA)
    if status == "no_data_for_date" and bool(rec.get("stale", False)) and not pd.isna(last):
        return f"выгрузка устарела: последняя дата в файле {date_ru(str(last))}"
    return STATUS_TITLES.get(status, status)


def missing_exports_table(org_metrics: pd.DataFrame) -> pd.DataFrame:
    """Organisations of the registry without a usable export (names of organisations only)."""
    missing = _sorted_orgs(org_metrics[org_metrics["status"] != "reported"])
    rows = [{"Тип": rec["org_type"], COL_MO: rec["mo"], "Организация": rec["org_name"],
             "ID Сферум": rec["org_id"], "Причина": _missing_reason(rec),
             "Педагогов по реестру": rec["staff_total"], ROW_CLASS: "incomplete"}
            for _, rec in missing.iterrows()]
    return _frame(rows, {"Тип": "string", COL_MO: "string", "Организация": "string",
                         "ID Сферум": "string", "Причина": "string",
                         "Педагогов по реестру": "Int64", ROW_CLASS: "string"})


def anomalies_table(org_metrics: pd.DataFrame) -> pd.DataFrame:
    """Organisations with more registered persons than staff on the register."""
    over = _sorted_orgs(org_metrics[org_metrics["registered"] > org_metrics["staff_total"]])
    rows = [{"Тип": rec["org_type"], COL_MO: rec["mo"], "Организация": rec["org_name"],
             "ID Сферум": rec["org_id"], "Зарегистрировано": rec["registered"],
             "По реестру": rec["staff_total"], ROW_CLASS: "anomaly"}
            for _, rec in over.iterrows()]
    return _frame(rows, {"Тип": "string", COL_MO: "string", "Организация": "string",
                         "ID Сферум": "string", "Зарегистрировано": "Int64",
                         "По реестру": "Int64", ROW_CLASS: "string"})


def findings_list_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Every finding: level, code, kind, file, row, message (messages hold no names)."""
    rows = [{"Уровень": LEVEL_TITLES.get(str(rec["level"]), str(rec["level"])),
             "Код": rec["code"], "Вид замечания": CODES[str(rec["code"])][1]
             if str(rec["code"]) in CODES else str(rec["code"]),
             "Файл": rec["file"] if pd.notna(rec["file"]) else "",
             "Строка": rec["row"], "Сообщение": rec["message"],
             ROW_CLASS: "anomaly" if str(rec["level"]) == str(Level.ERROR) else ""}
            for _, rec in findings.iterrows()]
    return _frame(rows, {"Уровень": "string", "Код": "string", "Вид замечания": "string",
                         "Файл": "string", "Строка": "Int64", "Сообщение": "string",
                         ROW_CLASS: "string"})


def row_accounting_table(files: pd.DataFrame) -> pd.DataFrame:
    """Rows of all files of the week: read = used + not counted + other dates + duplicates
    + rejected. Rows of the reporting date in files of organisations that are not in the
    registry (``unknown_org``) pass the same checks but are not counted: they have a
    column of their own, never «Учтено»."""
    unknown = files["status"].astype("string").eq("unknown_org").fillna(False)
    row = {"Файлов": len(files), "Строк прочитано": int(files["rows_read"].sum()),
           "Учтено": int(files.loc[~unknown, "rows_used"].sum()),
           "Не учтено (организации нет в реестре)": int(files.loc[unknown, "rows_used"].sum()),
           "Других дат": int(files["rows_other_dates"].sum()),
           "Повторов": int(files["rows_duplicate"].sum()),
           "Отклонено": int(files["rows_rejected"].sum()), ROW_CLASS: ""}
    return _frame([row], {**{c: "Int64" for c in row if c != ROW_CLASS}, ROW_CLASS: "string"})


# ----------------------------------------------------------------------- HTML
def for_xlsx(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as it goes to the workbook: without the internal row-class column."""
    return frame.drop(columns=[ROW_CLASS], errors="ignore")


def is_percent_column(column: object) -> bool:
    """``% …``, ``…, %`` and ``%`` columns hold percentages (not the changes in p. p.)."""
    text = str(column)
    return text.startswith("%") or text.endswith(", %")


def is_change_column(column: object) -> bool:
    """Changes in percentage points (``Изменение…``, ``До цели…``), not the rank change."""
    text = str(column)
    return (text.startswith("Изменение") and text != COL_RANK_CHANGE) or text == COL_TARGET_GAP


def delta_text(value: object) -> str:
    """A change in p. p. with its mark: ``▲ +1,5``, ``▼ −0,3``, ``0,0``; missing: ``—``."""
    text = fmt_pp(value)
    if text.startswith("+"):
        return f"{UP}\u00a0{text}"
    if text.startswith("\u2212"):
        return f"{DOWN}\u00a0{text}"
    return text


def rank_change_text(value: object) -> str:
    """Places gained: ``▲ 2`` (moved up two places), ``▼ 1``, ``0``; missing: empty."""
    if pd.isna(value):
        return ""
    v = int(value)
    return f"{UP}\u00a0{v}" if v > 0 else f"{DOWN}\u00a0{-v}" if v < 0 else "0"


def _delta_class(column: str, value: object) -> str:
    if pd.isna(value) or not (is_change_column(column) or column == COL_RANK_CHANGE):
        return ""
    v = round(float(value), 1)  # the shown value decides: a change of 0,0 has no colour
    return "delta-up" if v > 0 else "delta-down" if v < 0 else ""


def _cell_text(column: str, value: object, dtype: object) -> str:
    if column == COL_RANK_CHANGE:
        return rank_change_text(value)
    if column == COL_TARGET_GAP:
        return "" if pd.isna(value) else fmt_pp(value)
    if pd.isna(value):
        return "" if column in RANK_COLUMNS else DASH
    if is_change_column(column):
        return delta_text(value)
    if is_percent_column(column):
        return fmt_pct(value)
    if pd.api.types.is_integer_dtype(dtype):
        return str(int(value)) if column in RANK_COLUMNS else fmt_int(value)
    return str(value)


def _marks(classes: str) -> str:
    marks = []
    if "incomplete" in classes.split():
        marks.append(MARK_INCOMPLETE)
    if "anomaly" in classes.split():
        marks.append(MARK_ANOMALY)
    if "signal" in classes.split():
        marks.append(MARK_SIGNAL)
    return "".join(marks)


def table_html(frame: pd.DataFrame, *, hide: Iterable[str] = (COL_NOTE,),
               mark_column: str | None = COL_MO, caption: str | None = None,
               limit: int | None = None, full_width: bool = False,
               col_widths: Iterable[int] | None = None) -> str:
    """The table as HTML: formatted numbers, row classes, marks after the МО name.

    Columns in ``hide`` (and :data:`ROW_CLASS`) are not shown. Cells of change columns
    (``Изменение…``, :data:`COL_RANK_CHANGE`, :data:`COL_TARGET_GAP`) get ``▲``/``▼`` and
    ``delta-up`` / ``delta-down``. With ``limit`` only the first rows are shown; with
    ``full_width`` the table spans the text width (headers wrap less on A4);
    ``col_widths`` (percentages of the shown columns) fixes the column widths, so that
    several tables of the same kind line up.
    """
    hidden = {ROW_CLASS, *hide}
    columns = [c for c in frame.columns if c not in hidden]
    classes = frame[ROW_CLASS] if ROW_CLASS in frame else pd.Series("", index=frame.index)
    style = ' style="width:100%;font-size:0.84em"' if full_width else ""
    if col_widths is not None:
        style = ' style="width:100%;font-size:0.84em;table-layout:fixed"'
    out = [f'<table class="dataframe sferum-table"{style}>']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    if col_widths is not None:
        out.append("<colgroup>" + "".join(f'<col style="width:{int(w)}%">' for w in col_widths)
                   + "</colgroup>")
    nowrap = ' style="white-space:nowrap"'  # "№ п/п" would break after the slash
    out.append("<thead><tr>" + "".join(
        f"<th{nowrap if c == COL_NPP else ''}>{html.escape(str(c))}</th>" for c in columns)
        + "</tr></thead>")
    out.append("<tbody>")
    shown = frame if limit is None else frame.head(limit)
    for index, rec in shown.iterrows():
        row_classes = str(classes.loc[index] or "").strip()
        cells = []
        for column in columns:
            value = rec[column]
            text = _cell_text(column, value, frame[column].dtype)
            cell_class = _delta_class(column, value)
            if cell_class or column in (COL_RANK_CHANGE, COL_TARGET_GAP) \
                    or (is_change_column(column) and text != DASH):
                cell_class = f"num {cell_class}".strip()  # "▲ +1,5" is not a plain number
            if column == mark_column:
                mark = _marks(row_classes)
                if mark:
                    text = f"{text}\u00a0{mark}"
            attr = f' class="{cell_class}"' if cell_class else ""
            if column == COL_MO:
                attr += ' style="white-space:nowrap"'  # МО names on one line
            cells.append(f"<td{attr}>{html.escape(text)}</td>")
        attr = f' class="{html.escape(row_classes)}"' if row_classes else ""
        out.append(f"<tr{attr}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def footnotes_html(frame: pd.DataFrame, *, brief: bool = False) -> str:
    """One line per mark used in ``frame``: what it means and which МО carry it.

    For example ``* Неполный охват выгрузками … : Мценский район — выгрузки от 1 из 2
    организаций``; with ``brief`` only the names of the МО. Empty when no row is marked.
    """
    if ROW_CLASS not in frame or COL_NOTE not in frame or COL_MO not in frame:
        return ""
    if any(str(c).startswith(("% Зарегистрированных", "% зарег")) for c in frame.columns):
        hint = ("педагоги организаций без выгрузки входят в численность по реестру, "
                "поэтому % зарегистрированных может быть занижен")
    else:
        hint = "значения — только по организациям с выгрузкой"
    lines = []
    for mark, css, prefix, text in (
        (MARK_INCOMPLETE, "incomplete", NOTE_INCOMPLETE, f"Неполный охват выгрузками ({hint})"),
        (MARK_ANOMALY, "anomaly", NOTE_ANOMALY,
         "Зарегистрировано больше сотрудников, чем по реестру (вероятно, устарела "
         "численность в реестре; проверьте)"),
        (MARK_SIGNAL, "signal", NOTE_SIGNAL,
         "Резкое изменение за неделю или признаки накрутки статистики (подробности — в "
         "разделе «Качество данных»; проверьте, прежде чем делать выводы)"),
    ):
        items = []
        for _, rec in frame.iterrows():
            if css not in str(rec[ROW_CLASS] or "").split():
                continue
            details = [part[len(prefix):] for part in str(rec[COL_NOTE] or "").split("; ")
                       if part.startswith(prefix)]
            # the signals' details are in the quality section: names only, the page is full
            items.append(f"{rec[COL_MO]} — {details[0]}" if details and not brief
                         and css != "signal" else str(rec[COL_MO]))
        if items and (brief or css == "signal"):
            lines.append(f"{mark} {text.split(' (')[0]}: " + ", ".join(items) + ".")
        elif items:
            lines.append(f"{mark} {text}: " + "; ".join(items) + ".")
    return "\n".join(f'<p class="note">{html.escape(line)}</p>' for line in lines)


def headline_html(metrics: pd.DataFrame, org_type: str = DOO,
                  prev_week: str | None = None) -> str:
    """The seed's headline: registered N (P %) and active N (P %) in large type; with
    ``prev_week`` also the change in p. p. since that week (▲/▼)."""
    _, total = _type_block(metrics, org_type)
    big = 'style="font-size:2.1em;font-weight:bold;color:#17375e;line-height:1.15"'
    cell = 'style="width:50%;padding:10px 14px;vertical-align:top;background:#eef3f8"'

    def change(by: str) -> str:
        value, before = _prev(total, f"change_{by}_pp"), _prev(total, f"pct_{by}_prev")
        if prev_week is None or pd.isna(value):
            return ""
        css = _delta_class(COL_CHANGE, value)
        return (f'<div class="note"><span class="{css}">{html.escape(delta_text(value))}'
                f"\u00a0п.\u00a0п.</span> к неделе по {date_ru(prev_week)} "
                f"(было {html.escape(pct_text(before))})</div>")

    def card(label: str, n: object, pct: object, of: str, by: str) -> str:
        return (f"<td {cell}><div>{html.escape(label)}</div>"
                f"<div {big}>{html.escape(fmt_int(n))}</div>"
                f'<div><b>{html.escape(pct_text(pct))}</b> {html.escape(of)}</div>'
                f"{change(by)}</td>")

    staff = fmt_int(total["staff_total"])
    return (
        '<table class="headline" style="width:100%;border-collapse:separate;'
        'border-spacing:8px 0"><tbody><tr>'
        + card("Зарегистрированы в ИКОП «Сферум»", total["registered"],
               total["pct_registered"], f"от {staff} сотрудников {org_type} по реестру",
               "registered")
        + card("Активны в ИКОП «Сферум»", total["active"], total["pct_active"],
               "от зарегистрированных", "active")
        + "</tr></tbody></table>")


def title_html(week: str, edition: str = "ministry", prev_week: str | None = None,
               prev_processed: bool = False) -> str:
    """The title: the week, the edition and which week the report compares with."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}")
    if prev_week is None:
        compare = "Предыдущей недели в данных нет: сравнения за неделю нет."
    elif prev_processed:
        compare = f"Сравнение — с предыдущей неделей, по {date_ru(prev_week)}."
    else:
        compare = (f"Предыдущая неделя (по {date_ru(prev_week)}) ещё не обработана: сравнения "
                   "за неделю нет.")
    return (f"<h1>{html.escape(report_title(week))}</h1>"
            f'<p class="edition"><b>{html.escape(EDITIONS[edition])}.</b> '
            f"{html.escape(compare)}</p>")


def coverage_note_html(metrics: pd.DataFrame, org_type: str = DOO) -> str:
    """One line under the headline: how many organisations of the type sent an export."""
    _, total = _type_block(metrics, org_type)
    expected, reported = int(total["orgs_expected"]), int(total["orgs_reported"])
    text = (f"Выгрузки за отчётную дату получены от {fmt_int(reported)} из {fmt_int(expected)} "
            f"{org_type}.")
    if reported < expected:
        return (f'<p class="note incomplete">{html.escape(text)} Педагоги остальных '
                f"{fmt_int(expected - reported)} входят в численность по реестру, но не в число "
                "зарегистрированных (см. «Качество данных»).</p>")
    return f'<p class="note">{html.escape(text)}</p>'


def method_note_html(week: str, rule: ActiveRule, target_pct: float = 0.0,
                     prev_week: str | None = None, compare_active: bool = True) -> str:
    """How the numbers are counted: registered, active, pooled regional values, rounding,
    and — with ``prev_week`` — how the week-over-week changes are counted."""
    day = date_ru(week)
    start = (parse_week(week) - dt.timedelta(days=6)).strftime("%d.%m.%Y")
    items = [
        f"Данные — выгрузки «По учителям» из ИКОП «Сферум» (по одной на организацию); "
        f"учтены строки за отчётную дату {day}. Счётчики сообщений и звонков в них — за 7 "
        f"дней, с {start} по {day}.",
        "<b>Зарегистрированные</b> — сотрудники, которые есть в выгрузке организации за "
        "отчётную дату (один человек в одной организации считается один раз). "
        "<b>% зарегистрированных</b> — от численности педагогов (для ДОО — воспитателей) "
        "по реестру организаций, включая организации без выгрузки.",
        f"<b>Активные</b> — зарегистрированные, у которых {_rule_clause(rule)}. "
        "<b>% активности</b> — от зарегистрированных.",
        "<b>Значения по региону</b> — сводные: сумма по всем организациям региона, делённая "
        "на сумму знаменателей, а не среднее процентов МО.",
        "Проценты округлены до десятых по правилам арифметики (половина — вверх); при нулевом "
        f"знаменателе показан прочерк «{DASH}». Места в рейтингах — по неокруглённым "
        "значениям; при равенстве — в порядке списка МО.",
        f"Отметки: {MARK_INCOMPLETE} — неполный охват выгрузками, {MARK_ANOMALY} — "
        "зарегистрировано больше, чем сотрудников по реестру (см. раздел «Качество данных»).",
    ]
    if prev_week is not None:
        items.append(
            f"<b>Изменение за неделю</b> — к неделе по {date_ru(prev_week)} (предыдущая папка "
            f"выгрузок), в процентных пунктах (п.\u00a0п.): {UP} — рост, {DOWN} — снижение. "
            "«Неделя по …» — значение, опубликованное в отчёте за ту неделю. Изменение "
            "считается по неокруглённым значениям обеих недель и округляется до десятых "
            "(половина — от нуля), поэтому оно может на 0,1 отличаться от разности двух "
            "показанных значений: 10,04\u00a0% и 10,16\u00a0% показаны как 10,0 и 10,2, а "
            "изменение — +0,1. «Изменение места» — на сколько мест МО поднялось "
            f"({UP}) или опустилось ({DOWN}) в рейтинге.")
        if not compare_active:
            items.append("% активности с предыдущей неделей не сравнивается: она посчитана по "
                         "другому или неизвестному правилу активности.")
    if target_pct and target_pct > 0:
        items.append(f"Целевое значение % активности — {pct_text(round(target_pct, 1))}: "
                     "линия на диаграммах; в таблице активности столбец «До цели» — отставание "
                     "МО ниже цели в п.\u00a0п. (со знаком минус).")
    body = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="callout"><b>Как считаются показатели</b><ul>{body}</ul></div>'


def _rule_clause(rule: ActiveRule) -> str:
    text = rule.describe()
    prefix = "активен, если "
    return text[len(prefix):] if text.startswith(prefix) else text


# ----------------------------------------------------------------------- charts
def ranked_chart(table: pd.DataFrame, *, title: str, region_value: object,
                 target: float | None = None, xlabel: str = "%") -> Figure:
    """Horizontal bars of a :func:`ranked_table` (rank 1 on top), reference lines.

    The regional (pooled) value is a dashed line, the optional target a dotted green
    line, and the МО below the target have their name and value in bold red; МО with
    incomplete coverage are amber and hatched, anomalies red, МО with a signal to check
    (:data:`MARK_SIGNAL`) outlined. A matplotlib ``Figure``
    not attached to pyplot (no global state).
    """
    value_col = next(c for c in table.columns if str(c).startswith("%"))
    rows = table[table[ROW_CLASS].fillna("") != "total"].reset_index(drop=True)
    n = len(rows)
    labels, values, colors, hatches, outlined = [], [], [], [], []
    for _, rec in rows.iterrows():
        classes = str(rec[ROW_CLASS] or "").split()
        mark = _marks(" ".join(classes))
        labels.append(f"{rec[COL_MO]} {mark}".strip())
        value = rec[value_col]
        values.append(0.0 if pd.isna(value) else float(value))
        if "anomaly" in classes:
            colors.append(COLOR_ANOMALY)
        elif "incomplete" in classes:
            colors.append(COLOR_INCOMPLETE)
        else:
            colors.append(COLOR_BAR)
        hatches.append("////" if "incomplete" in classes else "")
        outlined.append("signal" in classes)

    rc = {"font.family": "DejaVu Sans", "font.size": 8.5, "svg.hashsalt": "sferum",
          "hatch.linewidth": 0.8, "hatch.color": "white"}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(CHART_WIDTH_IN, max(3.0, 0.25 * n + 1.5)), dpi=CHART_DPI,
                     layout="constrained")
        ax = fig.add_subplot()
        y = list(range(n))
        bars = ax.barh(y, values, color=colors, height=0.68, zorder=2)
        for bar, hatch, outline in zip(bars, hatches, outlined, strict=True):
            if hatch:
                bar.set_hatch(hatch)
            if outline:  # a signal to check: a dark outline (seen on any fill, also on 0)
                bar.set_edgecolor(COLOR_SIGNAL)
                bar.set_linewidth(1.3)
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)  # rank 1 on top, no empty margins
        top = max([100.0, *values, float(target or 0)])
        ax.set_xlim(0, top * 1.08)
        ax.xaxis.set_major_locator(MultipleLocator(20 if top <= 150 else 50))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#d5dbe2", linewidth=0.6, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        below = [bool(target) and not pd.isna(v) and float(v) < float(target)
                 for v in rows[value_col]]
        for i, (_, rec) in enumerate(rows.iterrows()):
            value = rec[value_col]
            ax.text((0 if pd.isna(value) else float(value)) + top * 0.008, i, fmt_pct(value),
                    va="center", ha="left", fontsize=7.5, zorder=5,
                    color=COLOR_BELOW if below[i] else "#1d232b",
                    fontweight="bold" if below[i] else "normal",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6,
                          "alpha": 0.85})
        for tick, is_below in zip(ax.get_yticklabels(), below, strict=True):
            if is_below:
                tick.set_color(COLOR_BELOW)
                tick.set_fontweight("bold")
        handles = []
        if not pd.isna(region_value):
            rv = float(region_value)
            ax.axvline(rv, color=COLOR_REGION, linestyle="--", linewidth=1.1, zorder=4)
            ax.text(rv, 1.005, f"регион {fmt_pct(rv)}", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7.5, color=COLOR_REGION)
            handles.append(Line2D([], [], color=COLOR_REGION, linestyle="--",
                                  label=f"{REGION_MEAN}: {fmt_pct(rv)}"))
        if target:
            near = not pd.isna(region_value) and abs(float(target) - float(region_value)) \
                < top * 0.12  # the two labels would overlap: lift the target's
            ax.axvline(float(target), color=COLOR_TARGET, linestyle=":", linewidth=1.6,
                       zorder=4)
            ax.text(float(target), 1.045 if near else 1.005,
                    f"цель {fmt_pct(round(float(target), 1))}",
                    transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=7.5, color=COLOR_TARGET)
            handles.append(Line2D([], [], color=COLOR_TARGET, linestyle=":", linewidth=1.6,
                                  label=f"Цель: {fmt_pct(round(float(target), 1))}"))
            if any(below):
                handles.append(Line2D([], [], color=COLOR_BELOW, marker="$А$", linestyle="",
                                      markersize=7,
                                      label=f"ниже цели ({sum(below)}): МО красным"))
        if "////" in hatches:
            handles.append(Patch(facecolor=COLOR_INCOMPLETE, hatch="////", edgecolor="white",
                                 label=f"{MARK_INCOMPLETE} неполный охват выгрузками"))
        if COLOR_ANOMALY in colors:
            handles.append(Patch(facecolor=COLOR_ANOMALY,
                                 label=f"{MARK_ANOMALY} зарегистрировано больше, чем по реестру"))
        if any(outlined):
            handles.append(Patch(facecolor="white", edgecolor=COLOR_SIGNAL, linewidth=1.3,
                                 label=f"{MARK_SIGNAL} резкое изменение или признаки накрутки"))
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False,
                       fontsize=8)
        fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                     color="#17375e")
    return fig


def _week_labels(weeks: list[str], years: bool = True) -> list[str]:
    """``DD.MM``; when the weeks span more than one year, the first week and the first
    week of every year get the year on a second line (unless not ``years``: the heat
    map's narrow columns, whose note gives the dates in full)."""
    labels = [date_ru(w)[:5] for w in weeks]
    if years and len({w[:4] for w in weeks}) > 1:
        return [f"{label}\n{w[:4]}" if i == 0 or w[:4] != weeks[i - 1][:4] else label
                for i, (label, w) in enumerate(zip(labels, weeks, strict=True))]
    return labels


def trend_chart(trend: pd.DataFrame, *, target: float | None = None,
                org_types: Iterable[str] = (DOO, OO), title: str = "") -> Figure:
    """Regional (pooled) % registered and % active by week: two panels, one line per type.

    The points are labelled (decimal comma) when there are at most
    :data:`HEATMAP_WEEKS` weeks, otherwise only the last one; the optional target is a
    dotted green line on the activity panel.
    """
    weeks = trend_weeks(trend)
    totals = trend[trend["mo"] == TOTAL]
    types = [t for t in org_types if t in set(totals["org_type"])]
    styles = {DOO: {"color": COLOR_BAR, "linestyle": "-", "marker": "o"},
              OO: {"color": "#2a9d8f", "linestyle": "--", "marker": "s"}}
    rc = {"font.family": "DejaVu Sans", "font.size": 8.5, "svg.hashsalt": "sferum"}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(CHART_WIDTH_IN, 3.3), dpi=CHART_DPI, layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        x = list(range(len(weeks)))
        label_all = len(weeks) <= HEATMAP_WEEKS
        top = 100.0
        for ax, value, panel in ((axes[0], "pct_registered", "% зарегистрированных"),
                                 (axes[1], "pct_active", "% активности")):
            for t in types:
                series = totals[totals["org_type"] == t].set_index("week")[value]
                ys = [series.get(w, pd.NA) for w in weeks]
                pts = [(i, float(v)) for i, v in zip(x, ys, strict=True) if not pd.isna(v)]
                if not pts:
                    continue
                style = styles.get(t, {"color": "#555555", "linestyle": ":", "marker": "^"})
                ax.plot([i for i, _ in pts], [v for _, v in pts], label=t, linewidth=1.6,
                        markersize=4, zorder=3, **style)
                top = max(top, *(v for _, v in pts))
                shown = pts if label_all else pts[-1:]
                for i, v in shown:
                    ax.annotate(fmt_pct(v), (i, v), textcoords="offset points",
                                xytext=(0, 5 if t == DOO else -11), ha="center", fontsize=6.5,
                                color=style["color"])
            if value == "pct_active" and target:
                ax.axhline(float(target), color=COLOR_TARGET, linestyle=":", linewidth=1.4,
                           zorder=2, label=f"цель {fmt_pct(round(float(target), 1))}")
            ax.set_title(panel, fontsize=9, color="#17375e")
            ax.set_xticks(x, _week_labels(weeks))
            if len(weeks) > 10:
                for k, tick in enumerate(ax.get_xticklabels()):
                    tick.set_visible(k % 2 == (len(weeks) - 1) % 2)
            ax.set_xlim(-0.5, len(weeks) - 0.5)
            ax.grid(axis="y", color="#d5dbe2", linewidth=0.6, zorder=0)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        axes[0].set_ylim(0, top * 1.08)
        axes[0].set_ylabel("%")
        handles, labels = axes[1].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside lower center", ncol=len(handles),
                       frameon=False, fontsize=8)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                         color="#17375e")
    return fig


def heatmap_chart(trend: pd.DataFrame, org_type: str = DOO, *,
                  max_weeks: int = HEATMAP_WEEKS, title: str = "") -> Figure:
    """27 МО × the last ``max_weeks`` weeks, % registered and % active side by side.

    Every cell is annotated (decimal comma); the last row is the region (pooled); a
    missing value is a grey cell with ``—``. Colours run from white (0 %) to dark blue
    (100 % and above).
    """
    import numpy as np
    from matplotlib import colormaps

    weeks = trend_weeks(trend)[-max_weeks:]
    names = [*municipalities.canonical_names(), "Регион"]
    totals = trend[(trend["org_type"] == org_type) & (trend["mo"] == TOTAL)].set_index("week")
    cmap = colormaps["Blues"].with_extremes(bad="#eceff2")
    rc = {"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "sferum"}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(CHART_WIDTH_IN, 0.235 * len(names) + 1.3), dpi=CHART_DPI,
                     layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        for ax, value, panel in ((axes[0], "pct_registered", "% зарегистрированных"),
                                 (axes[1], "pct_active", "% активности")):
            table = heatmap_frame(trend, value, org_type, max_weeks)
            region = [totals[value].get(w, pd.NA) if value in totals else pd.NA for w in weeks]
            grid = [[table.at[mo, w] for w in weeks] for mo in table.index] + [region]
            data = np.array([[np.nan if pd.isna(v) else float(v) for v in row] for row in grid])
            image = ax.imshow(np.ma.masked_invalid(np.clip(data, 0, 100)), cmap=cmap, vmin=0,
                              vmax=100, aspect="auto", interpolation="nearest")
            for r, row in enumerate(data):
                for c, v in enumerate(row):
                    dark = not np.isnan(v) and v >= 60
                    ax.text(c, r, DASH if np.isnan(v) else fmt_pct(v), ha="center",
                            va="center", fontsize=6.8,
                            color="white" if dark else "#1d232b",
                            fontweight="bold" if r == len(names) - 1 else "normal")
            ax.axhline(len(names) - 1.5, color="#1d232b", linewidth=1.2)
            ax.set_xticks(range(len(weeks)), _week_labels(weeks, years=False), fontsize=7)
            ax.xaxis.tick_top()
            ax.tick_params(length=0)
            ax.set_title(panel, fontsize=9, color="#17375e")
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[0].set_yticks(range(len(names)), names, fontsize=7.5)
        axes[0].get_yticklabels()[-1].set_fontweight("bold")
        bar = fig.colorbar(image, ax=list(axes), location="bottom", shrink=0.45, aspect=40,
                           pad=0.02, ticks=[0, 20, 40, 60, 80, 100])
        bar.set_label("% (100 и выше — самый тёмный цвет; серым — нет значения)", fontsize=7)
        bar.ax.tick_params(labelsize=7, length=2)
        bar.outline.set_visible(False)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                         color="#17375e")
    return fig


def figure_png(fig: Figure, dpi: int = CHART_DPI) -> bytes:
    """PNG bytes of ``fig`` (pHYs records the dpi; no timestamp: reproducible)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08,
                facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


# ----------------------------------------------------------------------- XLSX
def percent_columns(frames: Iterable[pd.DataFrame]) -> list[str]:
    """Columns shown with one decimal in the workbook (format ``0.0``): percentages and
    changes in percentage points."""
    names: list[str] = []
    for frame in frames:
        names += [str(c) for c in frame.columns
                  if (is_percent_column(c) or is_change_column(c)) and str(c) not in names]
    return names


__all__ = [
    "ACTIVE_TITLE", "ANNEX_TITLE", "CHARTS_TITLE", "COL_ACTIVE", "COL_CHANGE", "COL_MO",
    "COL_NOTE", "COL_NPP", "COL_PCT", "COL_PCT_ACTIVE", "COL_PCT_REGISTERED", "COL_RANK",
    "COL_RANK_CHANGE", "COL_REGISTERED", "COL_TARGET_GAP", "DISTRICT_TITLE", "EDITIONS",
    "HEADLINE_TITLE", "MARK_ANOMALY", "MARK_INCOMPLETE", "MARK_SIGNAL", "PADDING_CODES",
    "QUALITY_TITLE", "REGION_MEAN", "REGION_TOTAL", "REGISTERED_TITLE", "ROW_CLASS",
    "SIGNAL_CODES", "TRENDS_TITLE",
    "ReportData", "anomalies_table", "below_target", "coverage_by_mo_table",
    "coverage_mo_table", "coverage_note_html", "coverage_table", "date_ru", "delta_text",
    "district_table", "drilldown_html", "drilldown_table", "figure_png", "findings_list_table",
    "findings_summary_table", "footnotes_html", "for_xlsx", "headline_html",
    "headline_table", "heatmap_chart", "heatmap_frame", "is_change_column",
    "is_percent_column", "load_report_data", "method_note_html", "missing_exports_table",
    "mo_signals", "percent_columns", "prev_column", "rank_change_text", "ranked_chart",
    "ranked_table", "report_title", "row_accounting_table", "same_rule", "signals_table",
    "table_html", "title_html", "trend_chart", "trend_frame", "trend_table", "trend_weeks",
]
