"""HTML of the weekly report: tables, headline cards, notes, footnotes, section bodies.

:func:`table_html` formats the frames of :mod:`.tables` (decimal comma, narrow no-break
space in thousands, ``—`` for a missing ratio, ``▲``/``▼`` for changes) and puts a mark
after the МО name of marked rows (:data:`~.texts.MARK_INCOMPLETE`,
:data:`~.texts.MARK_ANOMALY`, :data:`~.texts.MARK_SIGNAL`, explained by
:func:`footnotes_html`). The ``*_section_html`` helpers assemble what one cell of
``notebooks/03_report`` shows; :mod:`.document` decides which of them are shown.
Texts come from :mod:`.texts`; values from the data are escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable

import pandas as pd

from ..config import parse_week
from ..formatting import DASH, fmt_int, fmt_pct, fmt_pp, plural
from ..metrics import ActiveRule
from .tables import (
    DRILLDOWN_PER_MO,
    PADDING_CODES,
    ROW_CLASS,
    _prev,
    _type_block,
    date_ru,
    has_flows,
    has_sustained,
    is_change_column,
    is_percent_column,
    pct_text,
)
from .texts import (
    ACTIVE_NOT_COMPARED_NOTE,
    ANNEX_BELOW_REGION,
    ANNEX_BELOW_TARGET,
    ANNEX_CALLOUT,
    ANNEX_NONE,
    ANNEX_SHORT_HEADERS,
    ANNEX_TITLE,
    CHANGES_NOTE,
    CHANGES_NOTE_RANKS,
    COL_BY_REGISTER,
    COL_CHANGE,
    COL_CODE,
    COL_KIND,
    COL_MO,
    COL_NOTE,
    COL_NPP,
    COL_RANK,
    COL_RANK_CHANGE,
    COL_ROW,
    COL_TARGET_GAP,
    COMPARE_NONE,
    COMPARE_PENDING,
    COMPARE_WITH,
    COVERAGE_NOTE,
    COVERAGE_NOTE_REST,
    COVERAGE_NOTE_REST_ONE,
    DOO,
    DOWN,
    EDITIONS,
    FLOWS_NOTE,
    FOOTNOTE_ANOMALY,
    FOOTNOTE_HINT_OTHER,
    FOOTNOTE_HINT_REGISTERED,
    FOOTNOTE_INCOMPLETE,
    FOOTNOTE_SIGNAL,
    HEADLINE_ACTIVE,
    HEADLINE_CHANGE,
    HEADLINE_CHANGE_UNIT,
    HEADLINE_OF_REGISTERED,
    HEADLINE_OF_STAFF,
    HEADLINE_REGISTERED,
    HEATMAP_NOTE,
    HEATMAP_TITLE,
    MARK_ANOMALY,
    MARK_INCOMPLETE,
    MARK_SIGNAL,
    METHOD_ACTIVE,
    METHOD_CHANGES,
    METHOD_DATA,
    METHOD_MARKS,
    METHOD_NOT_COMPARED,
    METHOD_REGION,
    METHOD_REGISTERED,
    METHOD_ROUNDING,
    METHOD_TARGET,
    METHOD_TITLE,
    NOTE_ANOMALY,
    NOTE_INCOMPLETE,
    NOTE_SIGNAL,
    QUALITY_BY_KIND,
    QUALITY_COVERAGE,
    QUALITY_COVERAGE_MO,
    QUALITY_EXAMPLE_NOTE,
    QUALITY_LIST,
    QUALITY_LIST_CUT,
    QUALITY_MISSING,
    QUALITY_NO_MISSING,
    QUALITY_NO_PADDING,
    QUALITY_NO_SIGNALS,
    QUALITY_NONE,
    QUALITY_ROWS,
    QUALITY_ROWS_NOTE,
    QUALITY_SIGNALS,
    QUALITY_SIGNALS_NOTE,
    REGISTERED_COLUMN_PREFIXES,
    REPORT_TITLE,
    RULE_PREFIX,
    SUSTAINED_NOTE,
    SUSTAINED_PENDING,
    SUSTAINED_TYPE_TITLE,
    TARGET_NOTE,
    TRENDS_NOTE,
    TRENDS_OTHER_RULE,
    UNKNOWN_EDITION,
    UP,
)

#: Columns shown without thousands separators (ranks and row numbers).
RANK_COLUMNS = frozenset({COL_RANK, COL_NPP, COL_ROW})


def report_title(week: str, region: str = "") -> str:
    """The report's heading: the region (when known), the platform and the week."""
    title = REPORT_TITLE.format(day=date_ru(week))
    return f"{region}: {title[0].lower()}{title[1:]}" if region else title


def note_html(text: str, css: str = "note") -> str:
    """One paragraph of a note (``text`` is ours, from :mod:`.texts`: not escaped)."""
    return f'<p class="{css}">{text}</p>'


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
    several tables of the same kind line up. The table has ``data-sortable`` (the
    page's table script sorts it by a click on a header and filters long tables) and
    ``<th scope="col">`` headers.
    """
    hidden = {ROW_CLASS, *hide}
    columns = [c for c in frame.columns if c not in hidden]
    classes = frame[ROW_CLASS] if ROW_CLASS in frame else pd.Series("", index=frame.index)
    style = ' style="width:100%;font-size:0.84em"' if full_width else ""
    if col_widths is not None:
        style = ' style="width:100%;font-size:0.84em;table-layout:fixed"'
    # data-sortable: the page's table script makes the columns sortable (and, for long
    # tables, adds a filter); without it, and in the PDF, the table stays as it is
    out = [f'<table class="dataframe sferum-table" data-sortable{style}>']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    if col_widths is not None:
        out.append("<colgroup>" + "".join(f'<col style="width:{int(w)}%">' for w in col_widths)
                   + "</colgroup>")
    nowrap = ' style="white-space:nowrap"'  # "№ п/п" would break after the slash
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{nowrap if c == COL_NPP else ""}>{html.escape(str(c))}</th>'
        for c in columns)
        + "</tr></thead>")
    out.append("<tbody>")
    shown = frame if limit is None else frame.head(limit)
    dtypes = [frame[column].dtype for column in columns]
    # the rows column by column (Python scalars, as a row of iterrows gives them)
    rows = zip(*(shown[column] for column in columns), strict=True) if columns \
        else iter([()] * len(shown))
    for row_class, values in zip(list(classes)[:len(shown)], rows, strict=True):
        row_classes = str(row_class or "").strip()
        cells = []
        for column, value, dtype in zip(columns, values, dtypes, strict=True):
            text = _cell_text(column, value, dtype)
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
    if any(str(c).startswith(REGISTERED_COLUMN_PREFIXES) for c in frame.columns):
        hint = FOOTNOTE_HINT_REGISTERED
    else:
        hint = FOOTNOTE_HINT_OTHER
    lines = []
    for mark, css, prefix, text in (
        (MARK_INCOMPLETE, "incomplete", NOTE_INCOMPLETE, FOOTNOTE_INCOMPLETE.format(hint=hint)),
        (MARK_ANOMALY, "anomaly", NOTE_ANOMALY, FOOTNOTE_ANOMALY),
        (MARK_SIGNAL, "signal", NOTE_SIGNAL, FOOTNOTE_SIGNAL),
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
                f"{HEADLINE_CHANGE_UNIT}</span>"
                + HEADLINE_CHANGE.format(day=date_ru(prev_week),
                                         before=html.escape(pct_text(before))) + "</div>")

    def card(label: str, n: object, pct: object, of: str, by: str) -> str:
        return (f"<td {cell}><div>{html.escape(label)}</div>"
                f"<div {big}>{html.escape(fmt_int(n))}</div>"
                f'<div><b>{html.escape(pct_text(pct))}</b> {html.escape(of)}</div>'
                f"{change(by)}</td>")

    staff = fmt_int(total["staff_total"])
    return (
        '<table class="headline" style="width:100%;border-collapse:separate;'
        'border-spacing:8px 0"><tbody><tr>'
        + card(HEADLINE_REGISTERED, total["registered"],
               total["pct_registered"], HEADLINE_OF_STAFF.format(staff=staff, org_type=org_type),
               "registered")
        + card(HEADLINE_ACTIVE, total["active"], total["pct_active"],
               HEADLINE_OF_REGISTERED, "active")
        + "</tr></tbody></table>")


def title_html(week: str, edition: str = "ministry", prev_week: str | None = None,
               prev_processed: bool = False, *, region: str = "") -> str:
    """The title: the week, the edition and which week the report compares with."""
    if edition not in EDITIONS:
        raise ValueError(UNKNOWN_EDITION.format(editions=", ".join(EDITIONS), edition=edition))
    if prev_week is None:
        compare = COMPARE_NONE
    elif prev_processed:
        compare = COMPARE_WITH.format(day=date_ru(prev_week))
    else:
        compare = COMPARE_PENDING.format(day=date_ru(prev_week))
    return (f"<h1>{html.escape(report_title(week, region))}</h1>"
            f'<p class="edition"><b>{html.escape(EDITIONS[edition])}.</b> '
            f"{html.escape(compare)}</p>")


def coverage_note_html(metrics: pd.DataFrame, org_type: str = DOO) -> str:
    """One line under the headline: how many organisations of the type sent an export."""
    _, total = _type_block(metrics, org_type)
    expected, reported = int(total["orgs_expected"]), int(total["orgs_reported"])
    text = COVERAGE_NOTE.format(reported=fmt_int(reported), expected=fmt_int(expected),
                                org_type=org_type)
    if reported < expected:
        n = expected - reported  # genitive: «остальных 2 организаций», «… 21 организации»
        rest = COVERAGE_NOTE_REST_ONE if n == 1 else COVERAGE_NOTE_REST.format(
            rest=f"{fmt_int(n)} {plural(n, 'организации', 'организаций', 'организаций')}")
        return f'<p class="note incomplete">{html.escape(text)}{rest}</p>'
    return f'<p class="note">{html.escape(text)}</p>'


def method_note_html(week: str, rule: ActiveRule, target_pct: float = 0.0,
                     prev_week: str | None = None, compare_active: bool = True) -> str:
    """How the numbers are counted: registered, active, pooled regional values, rounding,
    and — with ``prev_week`` — how the week-over-week changes are counted."""
    day = date_ru(week)
    start = (parse_week(week) - dt.timedelta(days=6)).strftime("%d.%m.%Y")
    items = [
        METHOD_DATA.format(day=day, start=start),
        METHOD_REGISTERED,
        METHOD_ACTIVE.format(rule=_rule_clause(rule)),
        METHOD_REGION,
        METHOD_ROUNDING.format(dash=DASH),
        METHOD_MARKS.format(incomplete=MARK_INCOMPLETE, anomaly=MARK_ANOMALY),
    ]
    if prev_week is not None:
        items.append(METHOD_CHANGES.format(day=date_ru(prev_week), up=UP, down=DOWN))
        if not compare_active:
            items.append(METHOD_NOT_COMPARED)
    if target_pct and target_pct > 0:
        items.append(METHOD_TARGET.format(target=pct_text(round(target_pct, 1))))
    body = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="callout"><b>{METHOD_TITLE}</b><ul>{body}</ul></div>'


def _rule_clause(rule: ActiveRule) -> str:
    text = rule.describe()
    return text[len(RULE_PREFIX):] if text.startswith(RULE_PREFIX) else text

def drilldown_html(table: pd.DataFrame) -> str:
    """The annex as HTML: one small table per МО (the coordinator's list), without the
    МО and register columns (they stay in the XLSX sheet)."""
    if table.empty:
        return note_html(ANNEX_NONE)
    parts = []
    for mo, group in table.groupby(COL_MO, sort=False):
        parts.append(f"<h3>{html.escape(str(mo))}</h3>")  # under the annex's h2
        shown = group.drop(columns=[COL_MO, COL_BY_REGISTER]).rename(
            columns=ANNEX_SHORT_HEADERS)  # short headers: the reason column gets the width
        parts.append(table_html(shown, mark_column=None, col_widths=(6, 33, 10, 8, 8, 8, 27)))
    return "\n".join(parts)




# ----------------------------------------------------------------------- section bodies
def changes_note_html(table: pd.DataFrame, prev_week: str | None) -> str:
    """The line under a table with week-over-week columns (empty without them)."""
    if COL_CHANGE not in table.columns or prev_week is None:
        return ""
    ranks = CHANGES_NOTE_RANKS if COL_RANK_CHANGE in table.columns else ""
    return note_html(CHANGES_NOTE.format(up=UP, down=DOWN, day=date_ru(prev_week),
                                         ranks=ranks))


def ranked_section_html(table: pd.DataFrame, prev_week: str | None, *,
                        notes: Iterable[str] = (), brief: bool = False) -> str:
    """A section with one table: notes above it, then the table (spanning the page when
    it has week-over-week columns), the changes note and the footnotes."""
    wide = prev_week is not None  # extra columns: span the page so that headers wrap less
    return ("".join(notes) + table_html(table, full_width=wide)
            + changes_note_html(table, prev_week) + footnotes_html(table, brief=brief))


def sustained_note_html(metrics: pd.DataFrame) -> str:
    """Under the activity table: what «% устойчиво активных» means (or when it comes)."""
    from ..indicators import EARLIER_NEEDED, SUSTAINED_MIN_ACTIVE, SUSTAINED_WEEKS

    if not has_sustained(metrics):
        return note_html(SUSTAINED_PENDING.format(earlier=EARLIER_NEEDED))
    return note_html(SUSTAINED_NOTE.format(min_active=SUSTAINED_MIN_ACTIVE,
                                           weeks=SUSTAINED_WEEKS, earlier=EARLIER_NEEDED))


def sustained_section_html(metrics: pd.DataFrame, by_type: dict[str, pd.DataFrame]) -> str:
    """The section on sustained activity and flows: the note, one table per org type."""
    parts = [sustained_note_html(metrics)]
    for org_type, table in by_type.items():
        parts.append(f"<h3>{html.escape(SUSTAINED_TYPE_TITLE.get(org_type, org_type))}</h3>")
        widths = (6, 30, 12, 10, 12, 12, 9, 9)[:len(table.columns) - 2]  # fits A4
        parts.append(table_html(table, col_widths=widths) + footnotes_html(table, brief=True))
    if has_flows(metrics):
        parts.append(note_html(FLOWS_NOTE))
    return "".join(parts)


def active_notes_html(below: int | None, target: float | None, prev_week: str | None,
                      compare_active: bool) -> list[str]:
    """Notes above the activity table: the target (``below`` МО under it) and, when the
    previous week was counted under another activity rule, that it is not compared."""
    parts = []
    if target is not None:
        parts.append(note_html(TARGET_NOTE.format(target=pct_text(round(target, 1)),
                                                  below=below)))
    if prev_week is not None and not compare_active:
        parts.append(note_html(ACTIVE_NOT_COMPARED_NOTE.format(day=date_ru(prev_week))))
    return parts


def trends_note_html(trend: pd.DataFrame, week: str, weeks: list[str]) -> str:
    """Which weeks the trend covers (and that % active of other rules is left out)."""
    note = TRENDS_NOTE.format(first=date_ru(weeks[0]), day=date_ru(week), weeks=len(weeks))
    if trend["pct_active"].isna().any() and not trend.loc[
            trend["week"] == week, "pct_active"].isna().all():
        note += TRENDS_OTHER_RULE
    return note_html(note)


def heatmap_intro_html(shown: list[str], week: str) -> str:
    return (f"<h3>{HEATMAP_TITLE}</h3>"
            + note_html(HEATMAP_NOTE.format(first=date_ru(shown[0]), day=date_ru(week))))


def quality_html(*, summary: pd.DataFrame, coverage: pd.DataFrame,
                 coverage_mo: pd.DataFrame, missing: pd.DataFrame, signals: pd.DataFrame,
                 findings_list: pd.DataFrame, accounting: pd.DataFrame, threshold: float,
                 quota_messages: int, quota_calls: int, list_limit: int) -> str:
    """The body of the «Качество данных» section (its heading and callout are markdown)."""
    parts = [f"<h3>{QUALITY_BY_KIND}</h3>"]
    if summary.empty:
        parts.append(note_html(QUALITY_NONE))
    else:
        parts += [note_html(QUALITY_EXAMPLE_NOTE), table_html(summary, hide=(COL_CODE,))]
    parts += [f"<h3>{QUALITY_COVERAGE}</h3>",
              table_html(coverage, mark_column=None),
              f"<p>{QUALITY_COVERAGE_MO.format(mark=MARK_INCOMPLETE)}</p>",
              table_html(coverage_mo)]
    parts.append(f"<h3>{QUALITY_MISSING}</h3>")
    parts.append(table_html(missing, mark_column=None) if not missing.empty
                 else note_html(QUALITY_NO_MISSING))
    parts += [f"<h3>{QUALITY_SIGNALS}</h3>",
              note_html(QUALITY_SIGNALS_NOTE.format(threshold=fmt_pct(threshold),
                                                    quota_messages=quota_messages,
                                                    quota_calls=quota_calls))]
    parts.append(table_html(signals, hide=(COL_CODE,), mark_column=None) if not signals.empty
                 else note_html(QUALITY_NO_SIGNALS))
    if not signals.empty and not signals[COL_CODE].isin(PADDING_CODES).any():
        parts.append(note_html(QUALITY_NO_PADDING))
    parts += [f"<h3>{QUALITY_ROWS}</h3>", note_html(QUALITY_ROWS_NOTE),
              table_html(accounting)]
    if not findings_list.empty:
        shown = min(list_limit, len(findings_list))
        parts.append(f"<h3>{QUALITY_LIST}</h3>")
        if shown < len(findings_list):
            parts.append(note_html(QUALITY_LIST_CUT.format(shown=shown,
                                                           total=len(findings_list))))
        parts.append(table_html(findings_list, hide=(COL_CODE, COL_KIND), limit=shown))
    return "\n".join(parts)


def annex_html(annex: pd.DataFrame, target: float | None,
               per_mo: int = DRILLDOWN_PER_MO) -> str:
    """The internal edition's annex: heading, warning callout, one table per МО."""
    limit = (ANNEX_BELOW_TARGET.format(target=pct_text(round(target, 1)))
             if target is not None else ANNEX_BELOW_REGION)
    return (f"<h2>{ANNEX_TITLE}</h2>"
            f'<div class="callout warning">{ANNEX_CALLOUT.format(per_mo=per_mo, limit=limit)}'
            "</div>" + drilldown_html(annex))
