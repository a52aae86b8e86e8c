"""The page of one municipality (``notebooks/20_mo``): its figures beside the region's, its
trend, coverage and organisations.

:func:`build_mo_page` resolves the notebook's parameters, reads the processed week (never
the table of persons) and returns a :class:`MoPage`: the HTML of each section of
:data:`MO_SECTIONS` and the XLSX sheets. The notebook shows the sections one cell each and
writes the workbook; ``sferum run`` turns the executed notebook into
``reports/<week>/mo/<slug>.html`` and ``.pdf`` (:func:`sferum_analysis.site.publish_mo_page`).

Every figure is the one of ``metrics.parquet`` of the week, i.e. of ``metrics_mo.csv``.
The week's tables and the trend are read once per kernel and week: the notebook runs once
per municipality in one shared kernel, and the 26 runs after the first reuse them
(:func:`_week_tables`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import store
from ..config import Paths
from ..findings import CODES
from ..formatting import DASH, fmt_int, fmt_pct, fmt_pp, is_missing, numbers_by_value
from ..metrics import TOTAL
from ..run_config import RunConfig
from ..store import WeekStore
from . import site_texts as t
from . import svg
from .data import load_report_data, trend_frame
from .tables import HEATMAP_WEEKS, date_ru, pct_text
from .texts import STATUS_TITLES

#: Sections of an МО page, in order.
MO_SECTIONS = ("title", "figures", "trend", "coverage", "orgs")
#: Weeks shown in the trend (chart and table).
TREND_WEEKS = HEATMAP_WEEKS
#: Indicators across weeks (contract section 7), shown when the metrics have them.
INDICATOR_ROWS = (("sustained", t.ROW_SUSTAINED, "int"),
                  ("pct_sustained", t.ROW_PCT_SUSTAINED, "pct"),
                  ("new_registered", t.ROW_NEW, "int"),
                  ("left", t.ROW_LEFT, "int"))


@dataclass
class MoPage:
    """The page of one МО of one week."""

    week: str
    mo: str
    slug: str
    region: str
    sections: dict[str, str]
    sheets: dict[str, pd.DataFrame]
    sheet_titles: dict[str, str]
    percent_columns: tuple[str, ...] = ()
    out_dir: Path | None = None
    #: Org types of the page, in order.
    org_types: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return t.MO_TITLE.format(mo=self.mo, region=self.region, day=date_ru(self.week))

    def show(self, key: str) -> None:
        from IPython.display import HTML, display

        if key not in MO_SECTIONS:
            raise KeyError(f"нет такого раздела страницы МО: {key!r}")
        display(HTML(self.sections[key]))

    def xlsx_path(self) -> Path:
        if self.out_dir is None:
            raise ValueError("у страницы нет папки отчёта (report_dir)")
        return store.mo_file(self.out_dir, self.slug, "xlsx")

    def write_xlsx(self) -> Path:
        from ..publish import write_xlsx

        return write_xlsx(self.sheets, self.xlsx_path(), percent_columns=self.percent_columns,
                          title_rows=self.sheet_titles)


# ----------------------------------------------------------------------- reading (cached)
_CACHE: dict[tuple, tuple] = {}


def _signature(paths: Iterable[Path]) -> tuple:
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            out.append((str(p), None))
            continue
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _week_tables(processed: Path, week: str, weeks: WeekStore, config: RunConfig):
    """The week's report data and trend; cached per kernel while no file changed."""
    earlier = weeks.processed_weeks(before=week)
    key = (str(processed), week, config.rule.as_dict().__repr__(), _signature(
        [store.table_path(processed, n) for n in store.REPORT_TABLES]
        + [store.table_path(weeks.processed(w), "metrics") for w in earlier]))
    if key not in _CACHE:
        _CACHE.clear()  # one week at a time
        data = load_report_data(processed, week)
        trend = trend_frame(weeks, week, data.metrics, rule=config.rule)
        _CACHE[key] = (data, trend)
    return _CACHE[key]


def build_mo_page(*, week: str, mo: str, data_dir: str = "", processed_dir: str = "",
                  report_dir: str = "") -> MoPage:
    """The page of the notebook's parameters (same names and meanings as 03_report's;
    ``mo``: the municipality, any accepted spelling; empty: the first of the region's list)."""
    from ..steps import region_list, week_config

    paths = Paths.from_dirs(data_dir or None)
    processed = Path(processed_dir) if processed_dir else paths.processed_week(week)
    out_dir = Path(report_dir) if report_dir else paths.report_week(week)
    config = week_config(processed, data_dir)
    weeks = WeekStore(Paths(paths.data_dir, out_dir.parent))
    data, trend = _week_tables(processed, week, weeks, config)
    names = mo_names(data.metrics)
    if not mo.strip():
        mo = names[0]
    if mo not in names:
        region = region_list(paths)
        try:
            canonical = region.canonicalize(mo)
        except ValueError:
            canonical = None
        if canonical not in names:
            raise ValueError(t.MO_UNKNOWN.format(week=week, mo=mo, suggestions=", ".join(
                region.suggest(mo)) or DASH))
        mo = canonical
    return build_page(week=week, mo=mo, metrics=data.metrics, org_metrics=data.org_metrics,
                      findings=data.findings, trend=trend, config=config, out_dir=out_dir)


#: (metrics frame, its МО names) of the last frame seen.
_NAMES: list = [None, []]


def mo_names(metrics: pd.DataFrame) -> list[str]:
    """The week's municipalities in canonical order (as the metrics list them)."""
    from .tables import region_names

    if _NAMES[0] is not metrics:
        _NAMES[:] = [metrics, region_names(metrics)]
    return list(_NAMES[1])


# ----------------------------------------------------------------------- building
def _e(value: object) -> str:
    return html.escape(str(value))


def _table(columns: list[str], rows: list[list[str]], *, caption: str | None = None,
           row_attrs: list[str] | None = None, css: str = "sferum-table",
           table_attrs: str = "") -> str:
    """A table of already escaped cells; numeric cells are right-aligned."""
    out = [f'<table class="{css}"{table_attrs}>']
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
               + "</tr></thead><tbody>")
    for i, row in enumerate(rows):
        attrs = row_attrs[i] if row_attrs else ""
        cells = [f'<th scope="row">{row[0]}</th>'] + [f'<td class="num">{c}</td>'
                                                       for c in row[1:]]
        out.append(f"<tr{attrs}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _value(value: object, kind: str) -> str:
    if kind == "pct":
        return _e(pct_text(value))
    return _e(fmt_int(value))


#: (metrics frame, {(org_type, mo): position of its first row}) of the last frame seen: the
#: frame is the week's cached one, shared by every МО page (a boolean mask per lookup
#: cost 10 of the 50 ms of a page).
_ROWS: list = [None, {}]


def _row_of(metrics: pd.DataFrame, org_type: str, mo: str) -> pd.Series | None:
    if _ROWS[0] is not metrics:
        positions: dict[tuple[str, str], int] = {}
        for i, key in enumerate(zip(metrics["org_type"], metrics["mo"], strict=True)):
            positions.setdefault(key, i)
        _ROWS[:] = [metrics, positions]
    position = _ROWS[1].get((org_type, mo))
    return None if position is None else metrics.iloc[position]


#: (metrics frame, {org_type: (МО ranked by % registered, by % active)}) of the last frame.
_RANKED: list = [None, {}]


def _ranked(metrics: pd.DataFrame, org_type: str) -> tuple[int, int]:
    """How many МО of ``org_type`` have a rank by % registered and by % active."""
    if _RANKED[0] is not metrics:
        mos = metrics[metrics["mo"] != TOTAL]
        counts = {}
        for kind, rows in mos.groupby("org_type", sort=False, observed=True):
            counts[str(kind)] = tuple(
                int(rows[c].notna().sum()) if c in rows else 0
                for c in ("rank_registered", "rank_active"))
        _RANKED[:] = [metrics, counts]
    return _RANKED[1].get(org_type, (0, 0))


def _rank(row: pd.Series, column: str, n: int) -> str:
    value = row.get(column)
    return DASH if is_missing(value) else _e(t.RANK_OF.format(rank=int(value), n=n))


def _figures_html(metrics: pd.DataFrame, mo: str, org_types: list[str]) -> str:
    out = [f"<h2>{_e(t.MO_FIGURES)}</h2>"]
    for org_type in org_types:
        row, region = _row_of(metrics, org_type, mo), _row_of(metrics, org_type, TOTAL)
        if row is None or region is None:
            continue
        n_reg, n_act = _ranked(metrics, org_type)
        out.append(f'<h3>{_e(t.ORG_TYPE_TITLES.get(org_type, org_type))}</h3>')
        if int(row["orgs_expected"]) == 0:
            out.append(f'<p class="note">{_e(t.MO_NO_ORGS)}</p>')
            continue
        columns = [t.COL_INDICATOR, mo, t.COL_REGION, t.COL_RANK, t.COL_CHANGE, t.COL_RANK_PREV]
        rows, attrs = [], []

        def add(name: str, title: str, kind: str, rank: str = "", change: str = "",
                rank_prev: str = "", row=row, region=region, rows=rows, attrs=attrs) -> None:
            rows.append([_e(title), _value(row.get(name), kind), _value(region.get(name), kind),
                         rank, change, rank_prev])
            attrs.append(f' data-metric="{name}"')

        def prev_rank(column: str, n: int, row=row) -> str:
            return _rank(row, column, n) if column in row.index else DASH

        def change(column: str, row=row) -> str:
            return _e(fmt_pp(row.get(column))) if column in row.index else DASH

        add("staff_total", t.ROW_STAFF, "int", DASH, DASH, DASH)
        add("registered", t.ROW_REGISTERED, "int", DASH, DASH, DASH)
        add("active", t.ROW_ACTIVE, "int", DASH, DASH, DASH)
        add("pct_registered", t.ROW_PCT_REGISTERED, "pct", _rank(row, "rank_registered", n_reg),
            change("change_registered_pp"), prev_rank("rank_registered_prev", n_reg))
        add("pct_active", t.ROW_PCT_ACTIVE, "pct", _rank(row, "rank_active", n_act),
            change("change_active_pp"), prev_rank("rank_active_prev", n_act))
        rows.append([_e(t.ROW_COVERAGE),
                     _e(f"{int(row['orgs_reported'])} / {int(row['orgs_expected'])}"),
                     _e(f"{int(region['orgs_reported'])} / {int(region['orgs_expected'])}"),
                     DASH, DASH, DASH])
        attrs.append(' data-metric="coverage"')
        for name, title, kind in INDICATOR_ROWS:
            if name in metrics.columns:
                add(name, title, kind, DASH, DASH, DASH)
        out.append(_table(columns, rows, row_attrs=attrs, css="sferum-table figures",
                          table_attrs=f' data-org-type="{_e(org_type)}"'))
    return "".join(out)


#: (trend frame, its last :data:`TREND_WEEKS` weeks, {(org_type, mo): (max of
#: orgs_expected, {column: its values in those weeks, None where missing})}) of the last
#: trend frame seen: computed once for every МО page.
_TREND_PARTS: list = [None, (), {}]
_TREND_COLUMNS = ("pct_registered", "pct_active")


def _trend_parts(trend: pd.DataFrame) -> tuple[tuple[str, ...], dict]:
    """The weeks shown, and the series of each (org_type, mo), once per trend frame."""
    if _TREND_PARTS[0] is not trend:
        weeks = tuple(sorted(set(trend["week"]))[-TREND_WEEKS:])
        shown = trend[trend["week"].isin(list(weeks))]
        parts = {}
        for k, g in shown.groupby(["org_type", "mo"], sort=False, observed=True):
            g = g.set_index("week")
            parts[(str(k[0]), str(k[1]))] = (
                int(g["orgs_expected"].max()),
                {c: [g[c].get(w) if w in g.index else None for w in weeks]
                 for c in _TREND_COLUMNS})
        _TREND_PARTS[:] = [trend, weeks, parts]
    return _TREND_PARTS[1], _TREND_PARTS[2]


def _trend_html(trend: pd.DataFrame, mo: str, org_types: list[str], week: str) -> str:
    out = [f"<h2>{_e(t.MO_TREND)}</h2>"]
    weeks, parts = _trend_parts(trend)
    if len(weeks) < 2:
        out.append(f'<p class="note">{_e(t.MO_TREND_ONE)}</p>')
        return "".join(out)
    out.append(f'<p class="note">{_e(t.MO_TREND_NOTE)}</p>')
    missing = (0, {c: [None] * len(weeks) for c in _TREND_COLUMNS})
    for org_type in org_types:
        if (org_type, mo) not in parts:
            continue
        expected, own = parts[(org_type, mo)]
        region = parts.get((org_type, TOTAL), missing)[1]
        if expected == 0:
            continue
        label = t.SPARKLINE_LABEL.format(org_type=f"{mo}, {org_type}", first=date_ru(weeks[0]),
                                         last=date_ru(weeks[-1]))
        chart = svg.line_chart([
            svg.Line(region["pct_registered"], svg.COLOR_REGION, width=1.5),
            svg.Line(region["pct_active"], svg.COLOR_REGION, dashed=True, width=1.5),
            svg.Line(own["pct_registered"], svg.COLOR_MAIN),
            svg.Line(own["pct_active"], svg.COLOR_SECOND, dashed=True),
        ], label=label, width=360, height=100)
        rows = [[_e(date_ru(w)), *(_e(pct_text(v)) for v in (
            own["pct_registered"][i], region["pct_registered"][i],
            own["pct_active"][i], region["pct_active"][i]))]
            for i, w in enumerate(weeks)]
        out.append(f"<h3>{_e(t.ORG_TYPE_TITLES.get(org_type, org_type))}</h3>")
        # the chart and its table side by side where the width allows (always on paper)
        out.append(f'<div class="trend-pair"><figure class="figure trend">{chart}</figure>')
        out.append(_table([t.COL_WEEK, t.COL_MO_REGISTERED, t.COL_REGION_REGISTERED,
                           t.COL_MO_ACTIVE, t.COL_REGION_ACTIVE], rows,
                          css="sferum-table trend-table") + "</div>")
    return "".join(out)


def _coverage_html(metrics: pd.DataFrame, mo: str, org_types: list[str]) -> str:
    out = [f"<h2>{_e(t.MO_COVERAGE)}</h2>", "<ul>"]
    missing = False
    for org_type in org_types:
        row = _row_of(metrics, org_type, mo)
        if row is None or int(row["orgs_expected"]) == 0:
            continue
        expected, reported = int(row["orgs_expected"]), int(row["orgs_reported"])
        missing |= reported < expected
        out.append("<li>" + _e(t.MO_COVERAGE_LINE.format(
            org_type=org_type, reported=reported, expected=expected,
            pct=pct_text(round(100 * reported / expected, 1)))) + "</li>")
    out.append("</ul>")
    note = t.MO_COVERAGE_MISSING if missing else t.MO_COVERAGE_FULL
    out.append(f'<p class="{"callout warning" if missing else "note"}">{_e(note)}</p>')
    return "".join(out)


#: (org_metrics frame, org types, {МО: its rows in the table's order}) of the last frame
#: seen, as :data:`_ROWS`: the frame is sorted and split once for every МО page.
_ORGS: list = [None, (), {}]


def _mo_orgs(org_metrics: pd.DataFrame, mo: str, org_types: list[str]) -> pd.DataFrame:
    """The МО's rows of ``org_metrics`` in the table's order: type, name (numbers by
    their value), id. (The whole frame is sorted once, stably, and then split by МО: the
    same order as sorting each МО's rows.)"""
    if _ORGS[0] is not org_metrics or _ORGS[1] != tuple(org_types):
        type_order = {k: i for i, k in enumerate(org_types)}
        ordered = org_metrics.assign(
            _type=org_metrics["org_type"].map(type_order).fillna(len(type_order))
        ).sort_values(["_type", "org_name", "org_id"], kind="stable",
                      key=numbers_by_value("org_name"))
        groups = {str(k): g for k, g in ordered.groupby("mo", sort=False, observed=True)}
        _ORGS[:] = [org_metrics, tuple(org_types), (groups, ordered.iloc[:0])]
    groups, empty = _ORGS[2]
    return groups.get(mo, empty)


def attention_order(org_metrics: pd.DataFrame, mo: str, org_types: list[str]) -> list[int]:
    """Positions of :func:`org_table`'s rows, the organisations to call first first: no
    export, then a stale one, then the lowest share of active among the registered
    (none registered first), then the lowest share registered; ties keep the table's
    order."""
    orgs = _mo_orgs(org_metrics, mo, org_types)
    if "stale" in orgs:
        stale = orgs["stale"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        stale = [False] * len(orgs)
    # a stale export (an old file: no rows of the reporting date) after no export at all
    export = [1 if late else 0 if status != "reported" else 2
              for status, late in zip(orgs["status"], stale, strict=True)]

    def share(num: pd.Series, den: pd.Series) -> list[float]:
        return [-1.0 if is_missing(d) or int(d) == 0 else int(0 if is_missing(n) else n) / int(d)
                for n, d in zip(num, den, strict=True)]

    keys = pd.DataFrame({"export": export,
                         "active": share(orgs["active"], orgs["registered"]),
                         "registered": share(orgs["registered"], orgs["staff_total"]),
                         "position": range(len(orgs))})
    return keys.sort_values(["export", "active", "registered", "position"],
                            kind="stable")["position"].tolist()


#: (findings frame, {org_id: its finding codes, in order}) of the last frame seen.
_CODES: list = [None, {}]


def _codes_by_org(findings: pd.DataFrame | None) -> dict[str, list[str]]:
    if findings is None or not len(findings) or "org_id" not in findings:
        return {}
    if _CODES[0] is not findings:
        by_org: dict[str, list[str]] = {}
        for org_id, code in findings[["org_id", "code"]].dropna().itertuples(index=False):
            by_org.setdefault(str(org_id), []).append(str(code))
        _CODES[:] = [findings, by_org]
    return _CODES[1]


def org_table(org_metrics: pd.DataFrame, findings: pd.DataFrame, mo: str,
              org_types: list[str]) -> pd.DataFrame:
    """The МО's organisations: figures, export status, findings (never persons)."""
    orgs = _mo_orgs(org_metrics, mo, org_types)
    by_org = _codes_by_org(findings)

    def pct(num: object, den: object) -> object:
        if is_missing(den) or int(den) == 0:
            return None
        from ..metrics import pct as pct_round

        return pct_round(int(num), int(den))

    def export(status: object, stale: object, last_date: object) -> str:
        # stale: the file's dates end before the reporting date (status no_data_for_date)
        if not is_missing(stale) and bool(stale) and not is_missing(last_date):
            return t.EXPORT_STALE.format(date=date_ru(str(last_date)))
        if status != "reported":
            return STATUS_TITLES.get(str(status), str(status))
        return t.EXPORT_OK

    none = [None] * len(orgs)

    def kinds(org_id: str) -> str:
        codes = by_org.get(str(org_id), [])
        counted = {c: codes.count(c) for c in dict.fromkeys(codes)}
        return "; ".join(CODES.get(c, (None, c))[1] + (f" ({n})" if n > 1 else "")
                         for c, n in counted.items())

    table = pd.DataFrame({
        t.COL_ORG: orgs["org_name"].astype(str),
        t.COL_TYPE: orgs["org_type"].astype(str),
        t.COL_STAFF: orgs["staff_total"].astype("Int64"),
        t.COL_REG: orgs["registered"].astype("Int64"),
        t.COL_ACT: orgs["active"].astype("Int64"),
        t.COL_PCT_REG: [pct(r, s) for r, s in zip(orgs["registered"], orgs["staff_total"],
                                                  strict=True)],
        t.COL_PCT_ACT: [pct(a, r) for a, r in zip(orgs["active"], orgs["registered"],
                                                  strict=True)],
        t.COL_EXPORT: [export(*r) for r in zip(
            orgs["status"], orgs["stale"] if "stale" in orgs else none,
            orgs["last_date"] if "last_date" in orgs else none, strict=True)],
        t.COL_FINDINGS: [kinds(o) for o in orgs["org_id"]],
    })
    for column, title in (("sustained", t.COL_SUSTAINED), ("pct_sustained", t.COL_PCT_SUSTAINED),
                          ("new_registered", t.COL_NEW), ("left", t.COL_LEFT)):
        if column in orgs and orgs[column].notna().any():  # all empty: nothing to show
            table[title] = orgs[column].to_numpy()
    for column in (t.COL_PCT_REG, t.COL_PCT_ACT):
        table[column] = table[column].astype("Float64")
    return table.reset_index(drop=True)


ORG_PERCENT_COLUMNS = (t.COL_PCT_REG, t.COL_PCT_ACT, t.COL_PCT_SUSTAINED)


#: Organisations in a МО's PDF at most: with the figures, the trend of eight weeks and
#: the coverage the PDF stays within two A4 pages (tests/test_site.py). A longer list is
#: printed as the :data:`PRINT_ORG_ROWS` organisations to call first
#: (:func:`attention_order`); the page on the site and the XLSX keep every organisation.
PRINT_ORG_ROWS = 15
#: The most A4 pages of a МО's PDF: when long names or findings take more, the PDF lists
#: fewer organisations (:func:`sferum_analysis.site.publish_mo_page`).
PRINT_PAGES = 2
#: Open and close the part of a МО page that is not printed
#: (:func:`sferum_analysis.site.print_html`).
SCREEN_ONLY = '<div class="screen-only">'
SCREEN_ONLY_END = "</div><!--/screen-only-->"


def _orgs_html(table: pd.DataFrame, print_rows: list[int] | None = None,
               xlsx: str = "") -> str:
    """The organisations' section; with ``print_rows`` (positions in ``table``) the full
    table is for the screen and those rows, in that order, are what is printed."""
    out = [f"<h2>{_e(t.MO_ORGS)}</h2>"]
    if table.empty:
        out.append(f'<p class="note">{_e(t.MO_ORGS_EMPTY)}</p>')
        return "".join(out)
    out.append(f'<p class="note">{_e(t.MO_ORGS_NOTE)}</p>')
    if print_rows is None:
        out.append(_org_rows_html(table))
        return "".join(out)
    out.append(SCREEN_ONLY + _org_rows_html(table) + SCREEN_ONLY_END)
    # the count is marked: the PDF may print fewer rows (sferum_analysis.site.print_html)
    note = _e(t.MO_ORGS_PRINTED.format(shown="\0", total=len(table), xlsx=xlsx)).replace(
        "\0", f'<span class="print-count">{len(print_rows)}</span>')
    out.append(f'<div class="print-only"><p class="note">{note}</p>'
               f"{_org_rows_html(table.iloc[print_rows])}</div>")
    return "".join(out)


def _org_rows_html(table: pd.DataFrame) -> str:
    text_columns = {t.COL_ORG, t.COL_TYPE, t.COL_EXPORT, t.COL_FINDINGS}
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in table.columns)
    body = []
    columns = list(table.columns)
    for values in zip(*(table[c].tolist() for c in columns), strict=True):
        cells = []
        for column, value in zip(columns, values, strict=True):
            if column == t.COL_ORG:
                cells.append(f'<th scope="row">{_e(value)}</th>')
            elif column in text_columns:
                cells.append(f"<td>{_e(value) if not is_missing(value) else ''}</td>")
            elif column in ORG_PERCENT_COLUMNS:
                cells.append(f'<td class="num">{_e(fmt_pct(value))}</td>')
            else:
                cells.append(f'<td class="num">{_e(fmt_int(value))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="sferum-table orgs"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _title_html(week: str, mo: str, region: str, edition: str, slug: str) -> str:
    report = f"../{store.report_stem(week, edition)}.html"
    links = [(report, t.MO_BACK_REPORT), (f"../../{store.INDEX_FILE}", t.MO_BACK_INDEX),
             (f"{slug}.pdf", t.MO_PDF), (f"{slug}.xlsx", t.MO_XLSX)]
    nav = " · ".join(f'<a href="{_e(href)}">{_e(text)}</a>' for href, text in links)
    return (f'<nav class="site-nav">{nav}</nav>'
            f"<h1>{_e(t.MO_H1.format(mo=mo, region=region))}</h1>"
            f'<p class="subtitle">{_e(t.MO_SUBTITLE.format(day=date_ru(week)))}</p>')


def figures_sheet(metrics: pd.DataFrame, mo: str, org_types: list[str]) -> pd.DataFrame:
    """The МО's and the region's figures, long: one row per type and indicator."""
    rows = []
    fields = [("staff_total", t.ROW_STAFF), ("registered", t.ROW_REGISTERED),
              ("active", t.ROW_ACTIVE), ("pct_registered", t.ROW_PCT_REGISTERED),
              ("pct_active", t.ROW_PCT_ACTIVE), ("orgs_reported", t.ROW_COVERAGE),
              *[(f, title) for f, title, _ in INDICATOR_ROWS if f in metrics.columns]]
    for org_type in org_types:
        row, region = _row_of(metrics, org_type, mo), _row_of(metrics, org_type, TOTAL)
        if row is None or region is None:
            continue
        for field_name, title in fields:
            rows.append({t.COL_TYPE: org_type, t.COL_INDICATOR: title,
                         "МО": row.get(field_name), t.COL_REGION: region.get(field_name)})
    return pd.DataFrame(rows, columns=[t.COL_TYPE, t.COL_INDICATOR, "МО", t.COL_REGION])


def build_page(*, week: str, mo: str, metrics: pd.DataFrame, org_metrics: pd.DataFrame,
               findings: pd.DataFrame, trend: pd.DataFrame, config: RunConfig | None = None,
               out_dir: Path | None = None) -> MoPage:
    """The page of ``mo`` (an official name of the week's metrics)."""
    config = config or RunConfig()
    slug = store.mo_slugs(mo_names(metrics))[mo]
    org_types = list(dict.fromkeys(str(x) for x in metrics["org_type"]))
    orgs = org_table(org_metrics, findings, mo, org_types)
    sections = {
        "title": _title_html(week, mo, config.region, config.edition, slug),
        "figures": _figures_html(metrics, mo, org_types),
        "trend": _trend_html(trend, mo, org_types, week),
        "coverage": _coverage_html(metrics, mo, org_types),
        "orgs": _orgs_html(orgs, attention_order(org_metrics, mo, org_types)[:PRINT_ORG_ROWS]
                           if len(orgs) > PRINT_ORG_ROWS else None, xlsx=f"{slug}.xlsx"),
    }
    day = date_ru(week)
    sheets = {t.MO_SHEET: orgs, t.MO_SHEET_FIGURES: figures_sheet(metrics, mo, org_types)}
    titles = {t.MO_SHEET: t.MO_SHEET_TITLE.format(mo=mo, day=day),
              t.MO_SHEET_FIGURES: t.MO_SHEET_FIGURES_TITLE.format(mo=mo, day=day)}
    percent = tuple(c for c in ORG_PERCENT_COLUMNS if c in orgs.columns)
    return MoPage(week=week, mo=mo, slug=slug, region=config.region, sections=sections,
                  sheets=sheets, sheet_titles=titles, percent_columns=percent,
                  out_dir=out_dir, org_types=tuple(org_types))
