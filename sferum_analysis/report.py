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

Nothing here reads the persons table: the report never shows a person's name.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
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
from .metrics import TOTAL, ActiveRule, ranked
from .registry import ORG_TYPES
from .storage import read_parquet

# ----------------------------------------------------------------------- titles (seed)
DOO, OO = "ДОО", "ОО"

HEADLINE_TITLE = "Сотрудники ДОО в ИКОП «Сферум»"
REGISTERED_TITLE = "% зарегистрированных сотрудников"
ACTIVE_TITLE = "% активности сотрудников"
DISTRICT_TITLE = "Активность педагогов в районах"
CHARTS_TITLE = "Диаграммы"
CHANGES_TITLE = "Изменения за неделю"
QUALITY_TITLE = "Качество данных"

COL_RANK = "№"
COL_MO = "МО"
COL_PCT_REGISTERED = "% Зарегистрированных воспитателей"
COL_PCT_ACTIVE = "% Активности воспитателей"
COL_NPP = "№ п/п"
COL_REGISTERED = "Зарегистрировано участников"
COL_ACTIVE = "Активные"
COL_PCT = "% Активности"
COL_NOTE = "Примечание"
#: Internal column: CSS classes of the row (``total``, ``incomplete``, ``anomaly``).
ROW_CLASS = "_row_class"

REGION_MEAN = "Среднее значение по региону"
REGION_TOTAL = "Итого по региону"

MARK_INCOMPLETE = "*"
MARK_ANOMALY = "†"

#: Columns shown without thousands separators (ranks and row numbers).
RANK_COLUMNS = frozenset({COL_RANK, COL_NPP, "Строка"})

LEVEL_TITLES = {str(Level.ERROR): "ошибка", str(Level.WARNING): "предупреждение",
                str(Level.INFO): "сведения"}
STATUS_TITLES = {
    "missing_export": "нет файла выгрузки",
    "no_data_for_date": "в выгрузке нет строк за отчётную дату",
    "unreadable": "файл выгрузки не удалось прочитать",
}

#: Resolution of the chart PNGs (the template shows them at their physical size).
CHART_DPI = 200
CHART_WIDTH_IN = 7.0  # fits the A4 text width (180 mm) and the 1000 px screen column
COLOR_BAR = "#17375e"
COLOR_INCOMPLETE = "#d9a520"
COLOR_ANOMALY = "#b42318"
COLOR_REGION = "#1d232b"
COLOR_TARGET = "#1e6b34"


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
    """What the report is built from; the persons table (names) is never loaded."""

    week: str
    metrics: pd.DataFrame
    org_metrics: pd.DataFrame
    findings: pd.DataFrame
    files: pd.DataFrame


def load_report_data(processed_dir: str | Path, week: str) -> ReportData:
    """Read the processed week's metrics, org metrics, findings and file accounting."""
    directory = Path(processed_dir)
    if not (directory / "metrics.parquet").is_file():
        raise FileNotFoundError(
            f"нет показателей недели {week}: {directory / 'metrics.parquet'} "
            "(сначала выполните 01_clean и 02_metrics или sferum run)")
    tables = {name: read_parquet(directory / f"{name}.parquet")
              for name in ("metrics", "org_metrics", "findings", "files")}
    return ReportData(week=week, **tables)


def previous_week(processed_root: str | Path, week: str) -> str | None:
    """The latest earlier week with processed metrics under ``processed_root``, if any."""
    root = Path(processed_root)
    if not root.is_dir():
        return None
    earlier = sorted(p.name for p in root.iterdir()
                     if p.is_dir() and is_week_name(p.name) and p.name < week
                     and (p / "metrics.parquet").is_file())
    return earlier[-1] if earlier else None


def published_rule(report_week_dir: str | Path) -> ActiveRule | None:
    """The activity rule a published week was computed with (from its manifest.json)."""
    path = Path(report_week_dir) / "manifest.json"
    try:
        rule = json.loads(path.read_text(encoding="utf-8"))["active_rule"]
        return ActiveRule(rule["kind"], int(rule["min_messages"]), int(rule["min_calls"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def same_rule(a: ActiveRule | None, b: ActiveRule | None) -> bool:
    """Whether two activity rules count the same persons as active."""
    if a is None or b is None or a.kind != b.kind:
        return False
    return a.kind == "any" or (a.min_messages, a.min_calls) == (b.min_messages, b.min_calls)


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


def _flags(row: pd.Series) -> tuple[list[str], list[str]]:
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


def ranked_table(metrics: pd.DataFrame, by: str, org_type: str = DOO) -> pd.DataFrame:
    """``№ | МО | % …`` ranked by ``registered`` or ``active``, then the regional row.

    Ranks come from ``metrics`` (exact ratio, ties in canonical order); МО without a
    value have no № and come last in canonical order; the last row is
    :data:`REGION_MEAN`, the pooled regional value.
    """
    if by not in ("registered", "active"):
        raise ValueError(f"by must be 'registered' or 'active', got {by!r}")
    value_col = COL_PCT_REGISTERED if by == "registered" else COL_PCT_ACTIVE
    block, total = _type_block(metrics, org_type)
    rows = []
    for _, rec in ranked(block, org_type, by).iterrows():
        classes, notes = _flags(rec)
        rows.append({COL_RANK: rec[f"rank_{by}"], COL_MO: rec["mo"], value_col: rec[f"pct_{by}"],
                     COL_NOTE: "; ".join(notes), ROW_CLASS: " ".join(classes)})
    rows.append({COL_RANK: pd.NA, COL_MO: REGION_MEAN, value_col: total[f"pct_{by}"],
                 COL_NOTE: "", ROW_CLASS: "total"})
    return _frame(rows, {COL_RANK: "Int64", COL_MO: "string", value_col: "Float64",
                         COL_NOTE: "string", ROW_CLASS: "string"})


def district_table(metrics: pd.DataFrame, org_type: str = OO) -> pd.DataFrame:
    """``№ п/п | МО | Зарегистрировано участников | Активные | % Активности``, canonical order."""
    block, total = _type_block(metrics, org_type)
    order = municipalities.order_of()
    block = block.assign(_ord=block["mo"].map(order)).sort_values("_ord", kind="stable")
    rows = []
    for n, (_, rec) in enumerate(block.iterrows(), start=1):
        classes, notes = _flags(rec)
        rows.append({COL_NPP: n, COL_MO: rec["mo"], COL_REGISTERED: rec["registered"],
                     COL_ACTIVE: rec["active"], COL_PCT: rec["pct_active"],
                     COL_NOTE: "; ".join(notes), ROW_CLASS: " ".join(classes)})
    rows.append({COL_NPP: pd.NA, COL_MO: REGION_TOTAL, COL_REGISTERED: total["registered"],
                 COL_ACTIVE: total["active"], COL_PCT: total["pct_active"], COL_NOTE: "",
                 ROW_CLASS: "total"})
    return _frame(rows, {COL_NPP: "Int64", COL_MO: "string", COL_REGISTERED: "Int64",
                         COL_ACTIVE: "Int64", COL_PCT: "Float64", COL_NOTE: "string",
                         ROW_CLASS: "string"})


# ----------------------------------------------------------------------- week over week
COL_PREV = "неделя по {date}"


def changes_table(current: pd.DataFrame, previous: pd.DataFrame, prev_week: str,
                  week: str, org_type: str = DOO, *, with_active: bool = True) -> pd.DataFrame:
    """Per МО (canonical order) and region: % registered / % active then and now, change.

    Changes are differences of the published (rounded) values, in percentage points.
    Column titles are short (``% зарег., 22.01``, ``% актив.``) so that seven columns fit
    the A4 text width; the full dates belong in the text above the table.
    """
    cur_block, cur_total = _type_block(current, org_type)
    prev_block, prev_total = _type_block(previous, org_type)
    prev_by_mo = {rec["mo"]: rec for _, rec in prev_block.iterrows()}
    then, now = date_ru(prev_week)[:5], date_ru(week)[:5]  # DD.MM: narrow columns
    columns = {COL_MO: "string", f"% зарег., {then}": "Float64",
               f"% зарег., {now}": "Float64", "Изменение зарег., п.\u00a0п.": "Float64"}
    if with_active:
        columns |= {f"% актив., {then}": "Float64", f"% актив., {now}": "Float64",
                    "Изменение актив., п.\u00a0п.": "Float64"}
    columns |= {COL_NOTE: "string", ROW_CLASS: "string"}
    names = list(columns)

    def delta(a: object, b: object) -> object:
        if pd.isna(a) or pd.isna(b):
            return pd.NA
        return round(float(b) - float(a), 1)

    def row(label: str, cur: pd.Series, prev: pd.Series | None, classes: list[str],
            notes: list[str]) -> dict:
        p_reg = prev["pct_registered"] if prev is not None else pd.NA
        p_act = prev["pct_active"] if prev is not None else pd.NA
        values = [label, p_reg, cur["pct_registered"], delta(p_reg, cur["pct_registered"])]
        if with_active:
            values += [p_act, cur["pct_active"], delta(p_act, cur["pct_active"])]
        values += ["; ".join(notes), " ".join(classes)]
        return dict(zip(names, values, strict=True))

    order = municipalities.order_of()
    rows = []
    for _, rec in cur_block.assign(_ord=cur_block["mo"].map(order)).sort_values(
            "_ord", kind="stable").iterrows():
        classes, notes = _flags(rec)
        rows.append(row(rec["mo"], rec, prev_by_mo.get(rec["mo"]), classes, notes))
    rows.append(row(REGION_MEAN, cur_total, prev_total, ["total"], []))
    return _frame(rows, columns)


# ----------------------------------------------------------------------- data quality
def findings_summary_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by kind: level first (errors on top), then the order of CODES."""
    code_order = {code: i for i, code in enumerate(CODES)}
    level_order = {str(Level.ERROR): 0, str(Level.WARNING): 1, str(Level.INFO): 2}
    counts = findings["code"].astype("string").value_counts() if len(findings) else {}
    rows = []
    for code, n in sorted(dict(counts).items(),
                          key=lambda kv: (level_order[str(CODES[kv[0]][0])], code_order[kv[0]])):
        level, title = CODES[code]
        rows.append({"Вид замечания": title, "Уровень": LEVEL_TITLES[str(level)], "Код": code,
                     "Количество": int(n),
                     ROW_CLASS: "anomaly" if level == Level.ERROR else ""})
    return _frame(rows, {"Вид замечания": "string", "Уровень": "string", "Код": "string",
                         "Количество": "Int64", ROW_CLASS: "string"})


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


def missing_exports_table(org_metrics: pd.DataFrame) -> pd.DataFrame:
    """Organisations of the registry without a usable export (names of organisations only)."""
    missing = _sorted_orgs(org_metrics[org_metrics["status"] != "reported"])
    rows = [{"Тип": rec["org_type"], COL_MO: rec["mo"], "Организация": rec["org_name"],
             "ID Сферум": rec["org_id"],
             "Причина": STATUS_TITLES.get(str(rec["status"]), str(rec["status"])),
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
    """Rows of all files of the week: read = used + other dates + duplicates + rejected."""
    columns = {"Файлов": None, "Строк прочитано": "rows_read", "Учтено": "rows_used",
               "Других дат": "rows_other_dates", "Повторов": "rows_duplicate",
               "Отклонено": "rows_rejected"}
    row = {title: (len(files) if src is None else int(files[src].sum()))
           for title, src in columns.items()}
    row[ROW_CLASS] = ""
    return _frame([row], {**{c: "Int64" for c in columns}, ROW_CLASS: "string"})


# ----------------------------------------------------------------------- HTML
def for_xlsx(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as it goes to the workbook: without the internal row-class column."""
    return frame.drop(columns=[ROW_CLASS], errors="ignore")


def is_percent_column(column: object) -> bool:
    """``% …``, ``…, %`` and ``%`` columns hold percentages (not the changes in p. p.)."""
    text = str(column)
    return text.startswith("%") or text.endswith(", %")


def is_change_column(column: object) -> bool:
    return str(column).startswith("Изменение")


def _cell_text(column: str, value: object, dtype: object) -> str:
    if pd.isna(value):
        return "" if column in RANK_COLUMNS else DASH
    if is_change_column(column):
        return fmt_pp(value)
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
    return "".join(marks)


def table_html(frame: pd.DataFrame, *, hide: Iterable[str] = (COL_NOTE,),
               mark_column: str | None = COL_MO, caption: str | None = None,
               limit: int | None = None) -> str:
    """The table as HTML: formatted numbers, row classes, marks after the МО name.

    Columns in ``hide`` (and :data:`ROW_CLASS`) are not shown. Cells of
    ``Изменение…`` columns get ``delta-up`` / ``delta-down``. With ``limit`` only the
    first rows are shown.
    """
    hidden = {ROW_CLASS, *hide}
    columns = [c for c in frame.columns if c not in hidden]
    classes = frame[ROW_CLASS] if ROW_CLASS in frame else pd.Series("", index=frame.index)
    out = ['<table class="dataframe sferum-table">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
               + "</tr></thead>")
    out.append("<tbody>")
    shown = frame if limit is None else frame.head(limit)
    for index, rec in shown.iterrows():
        row_classes = str(classes.loc[index] or "").strip()
        cells = []
        for column in columns:
            value = rec[column]
            text = _cell_text(column, value, frame[column].dtype)
            cell_class = ""
            if is_change_column(column) and not pd.isna(value):
                cell_class = ("delta-up" if float(value) > 0 else
                              "delta-down" if float(value) < 0 else "")
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
    ):
        items = []
        for _, rec in frame.iterrows():
            if css not in str(rec[ROW_CLASS] or "").split():
                continue
            details = [part[len(prefix):] for part in str(rec[COL_NOTE] or "").split("; ")
                       if part.startswith(prefix)]
            items.append(f"{rec[COL_MO]} — {details[0]}" if details and not brief
                         else str(rec[COL_MO]))
        if items and brief:
            lines.append(f"{mark} {text.split(' (')[0]}: " + ", ".join(items) + ".")
        elif items:
            lines.append(f"{mark} {text}: " + "; ".join(items) + ".")
    return "\n".join(f'<p class="note">{html.escape(line)}</p>' for line in lines)


def headline_html(metrics: pd.DataFrame, org_type: str = DOO) -> str:
    """The seed's headline: registered N (P %) and active N (P %) in large type."""
    _, total = _type_block(metrics, org_type)
    big = 'style="font-size:2.1em;font-weight:bold;color:#17375e;line-height:1.15"'
    cell = 'style="width:50%;padding:10px 14px;vertical-align:top;background:#eef3f8"'

    def card(label: str, n: object, pct: object, of: str) -> str:
        return (f"<td {cell}><div>{html.escape(label)}</div>"
                f"<div {big}>{html.escape(fmt_int(n))}</div>"
                f'<div><b>{html.escape(pct_text(pct))}</b> {html.escape(of)}</div></td>')

    staff = fmt_int(total["staff_total"])
    return (
        '<table class="headline" style="width:100%;border-collapse:separate;'
        'border-spacing:8px 0"><tbody><tr>'
        + card("Зарегистрированы в ИКОП «Сферум»", total["registered"],
               total["pct_registered"], f"от {staff} сотрудников {org_type} по реестру")
        + card("Активны в ИКОП «Сферум»", total["active"], total["pct_active"],
               "от зарегистрированных")
        + "</tr></tbody></table>")


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


def method_note_html(week: str, rule: ActiveRule, target_pct: float = 0.0) -> str:
    """How the numbers are counted: registered, active, pooled regional values, rounding."""
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
    if target_pct and target_pct > 0:
        items.append(f"Целевое значение % активности — {pct_text(round(target_pct, 1))} "
                     "(линия на диаграмме).")
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
    line; МО with incomplete coverage are amber and hatched, anomalies red. A
    matplotlib ``Figure`` not attached to pyplot (no global state).
    """
    value_col = next(c for c in table.columns if str(c).startswith("%"))
    rows = table[table[ROW_CLASS].fillna("") != "total"].reset_index(drop=True)
    n = len(rows)
    labels, values, colors, hatches = [], [], [], []
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

    rc = {"font.family": "DejaVu Sans", "font.size": 8.5, "svg.hashsalt": "sferum",
          "hatch.linewidth": 0.8, "hatch.color": "white"}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(CHART_WIDTH_IN, max(3.0, 0.25 * n + 1.5)), dpi=CHART_DPI,
                     layout="constrained")
        ax = fig.add_subplot()
        y = list(range(n))
        bars = ax.barh(y, values, color=colors, height=0.68, zorder=2)
        for bar, hatch in zip(bars, hatches, strict=True):
            if hatch:
                bar.set_hatch(hatch)
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
        for i, (_, rec) in enumerate(rows.iterrows()):
            value = rec[value_col]
            ax.text((0 if pd.isna(value) else float(value)) + top * 0.008, i, fmt_pct(value),
                    va="center", ha="left", fontsize=7.5, color="#1d232b", zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6,
                          "alpha": 0.85})
        handles = []
        if not pd.isna(region_value):
            rv = float(region_value)
            ax.axvline(rv, color=COLOR_REGION, linestyle="--", linewidth=1.1, zorder=4)
            ax.text(rv, 1.005, f"регион {fmt_pct(rv)}", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7.5, color=COLOR_REGION)
            handles.append(Line2D([], [], color=COLOR_REGION, linestyle="--",
                                  label=f"{REGION_MEAN}: {fmt_pct(rv)}"))
        if target:
            ax.axvline(float(target), color=COLOR_TARGET, linestyle=":", linewidth=1.6,
                       zorder=4)
            ax.text(float(target), 1.005, f"цель {fmt_pct(round(float(target), 1))}",
                    transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=7.5, color=COLOR_TARGET)
            handles.append(Line2D([], [], color=COLOR_TARGET, linestyle=":", linewidth=1.6,
                                  label=f"Цель: {fmt_pct(round(float(target), 1))}"))
        if "////" in hatches:
            handles.append(Patch(facecolor=COLOR_INCOMPLETE, hatch="////", edgecolor="white",
                                 label=f"{MARK_INCOMPLETE} неполный охват выгрузками"))
        if COLOR_ANOMALY in colors:
            handles.append(Patch(facecolor=COLOR_ANOMALY,
                                 label=f"{MARK_ANOMALY} зарегистрировано больше, чем по реестру"))
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False,
                       fontsize=8)
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
    "ACTIVE_TITLE", "CHANGES_TITLE", "CHARTS_TITLE", "COL_ACTIVE", "COL_MO", "COL_NOTE",
    "COL_NPP", "COL_PCT", "COL_PCT_ACTIVE", "COL_PCT_REGISTERED", "COL_RANK",
    "COL_REGISTERED", "DISTRICT_TITLE", "HEADLINE_TITLE", "MARK_ANOMALY", "MARK_INCOMPLETE",
    "QUALITY_TITLE", "REGION_MEAN", "REGION_TOTAL", "REGISTERED_TITLE", "ROW_CLASS",
    "ReportData", "anomalies_table", "changes_table", "coverage_by_mo_table",
    "coverage_note_html", "coverage_table", "date_ru", "district_table", "figure_png",
    "findings_list_table",
    "findings_summary_table", "footnotes_html", "for_xlsx", "headline_html",
    "headline_table", "is_change_column", "is_percent_column", "load_report_data",
    "method_note_html", "missing_exports_table",
    "percent_columns", "previous_week", "published_rule", "ranked_chart", "ranked_table",
    "report_title", "row_accounting_table", "same_rule", "table_html",
]
