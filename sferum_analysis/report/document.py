"""The weekly report as a document: its sections, their order, page breaks, XLSX sheets.

:func:`build_document` turns a processed week (:class:`~.data.ReportData`) and its trend
into a :class:`Document`: the parts (HTML, PNG charts) of every section it shows and the
sheets of the XLSX workbook. ``notebooks/03_report`` calls :func:`build_report` (which
resolves the notebook's parameters and reads the week through :mod:`.data`) and shows
the sections one cell each, in the order of :data:`SECTIONS`; a cell whose section the
document does not have (the annex of the ministry edition, the heat-map before a second
processed week) shows nothing. The notebook keeps the markdown headings and the cell
tags (``page-break``) that :data:`SECTIONS` lists: ``tests/test_document.py`` checks that
the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from ..config import Paths
from ..metrics import TOTAL
from ..run_config import RunConfig
from ..store import WeekStore, report_file
from . import html, tables, tilemap, xlsx
from .chart_jobs import ChartJob, ChartsAhead, can_fork, take_prepared
from .data import ReportData, load_report_data, trend_frame
from .site_texts import MO_PAGES_TITLE
from .texts import (
    ACTIVE_TITLE,
    CHART_ACTIVE,
    CHART_ACTIVE_TITLE,
    CHART_ALT,
    CHART_REGISTERED,
    CHART_REGISTERED_TITLE,
    CHART_SUSTAINED,
    DISTRICT_TITLE,
    DOO,
    EDITIONS,
    EDITIONS_TEXT,
    HEADLINE_TITLE,
    HEATMAP_ALT,
    MAP_NOTE,
    MAP_TITLE,
    OO,
    QUALITY_TITLE,
    REGISTERED_TITLE,
    SHEET_ACTIVE,
    SHEET_ANNEX,
    SHEET_CHANGES,
    SHEET_COVERAGE_MO,
    SHEET_DISTRICT,
    SHEET_FINDINGS,
    SHEET_HEADLINE,
    SHEET_MISSING,
    SHEET_QUALITY,
    SHEET_REGISTERED,
    SHEET_SIGNALS,
    SHEET_SUSTAINED,
    SHEET_TITLES,
    SHEET_TREND_ACTIVE,
    SHEET_TREND_REGISTERED,
    SUSTAINED_TITLE,
    SUSTAINED_TYPE_TITLE,
    TREND_ALT,
    TREND_CHART,
    TRENDS_TITLE,
    TRENDS_TOO_FEW,
    UNKNOWN_EDITION,
)

#: Findings listed in the quality section (all of them are in quality.csv and the XLSX).
FINDINGS_LIST_LIMIT = 40


@dataclass(frozen=True)
class SectionSpec:
    """One section of the report as the notebook lays it out."""

    key: str
    #: The markdown heading (``## …``) of the notebook cell above the section, if any.
    heading: str | None = None
    #: The section starts a new PDF page: the ``page-break`` tag is on its heading cell
    #: (or on its code cell when it has no heading).
    page_break: bool = True
    #: Editions that have the section.
    editions: tuple[str, ...] = tuple(EDITIONS)


#: Every section, in the order of the report.
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("title", page_break=False),
    SectionSpec("headline", HEADLINE_TITLE, page_break=False),
    SectionSpec("registered", REGISTERED_TITLE),
    SectionSpec("active", ACTIVE_TITLE),
    SectionSpec("district", DISTRICT_TITLE),
    SectionSpec("sustained", SUSTAINED_TITLE),
    SectionSpec("chart_registered", CHART_REGISTERED_TITLE),
    SectionSpec("chart_active", CHART_ACTIVE_TITLE),
    SectionSpec("map"),  # only for a region whose municipalities have tile positions
    SectionSpec("trends"),
    SectionSpec("heatmap"),
    SectionSpec("quality", QUALITY_TITLE),
    SectionSpec("mo_pages", MO_PAGES_TITLE, page_break=False),
    SectionSpec("annex", editions=("internal",)),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)


def edition_sections(edition: str) -> tuple[str, ...]:
    """The sections an edition can have, in order (data may leave some empty)."""
    check_edition(edition)
    return tuple(s.key for s in SECTIONS if edition in s.editions)


def check_edition(edition: str) -> None:
    if edition not in EDITIONS:
        raise ValueError(UNKNOWN_EDITION.format(editions=", ".join(EDITIONS), edition=edition))


@dataclass(frozen=True)
class Part:
    """One output of a section: HTML text or a PNG chart (a :class:`~.chart_jobs.
    ChartJob`, drawn when shown); a chart has its text alternative ``alt`` (the ``alt``
    of its ``<img>``)."""

    kind: Literal["html", "png"]
    content: str | ChartJob
    alt: str = ""

    def data(self) -> str | bytes:
        return self.content if isinstance(self.content, str) else self.content()


def _html(text: str) -> Part:
    return Part("html", text)


def _chart(name: str, *args: object, alt: str = "", **kwargs: object) -> Part:
    """A PNG part: the chart :mod:`.charts`.``name`` draws (matplotlib is imported, and
    the chart drawn, only when the part is shown); ``alt``: its text alternative."""
    return Part("png", ChartJob(name, args, kwargs), alt=alt)


@dataclass
class Document:
    """The report of one week: sections (key -> parts, in order) and XLSX sheets."""

    week: str
    edition: str
    sections: dict[str, tuple[Part, ...]]
    sheets: dict[str, pd.DataFrame]
    sheet_titles: dict[str, str]
    #: Where :meth:`write_xlsx` writes the workbook (``report_dir`` of the notebook).
    out_dir: Path | None = None
    #: The charts being drawn ahead (:meth:`draw_ahead`).
    _ahead: ChartsAhead | None = field(default=None, init=False, repr=False)

    def parts(self, key: str) -> tuple[Part, ...]:
        """The parts of a section; none for a section this document does not have."""
        if key not in SECTION_KEYS:
            raise KeyError(f"нет такого раздела отчёта: {key!r}")
        return self.sections.get(key, ())

    def charts(self) -> list[ChartJob]:
        """The document's charts, in the order the sections are shown."""
        return [part.content for key in SECTION_KEYS for part in self.parts(key)
                if isinstance(part.content, ChartJob)]

    def draw_ahead(self, ahead: ChartsAhead | None = None) -> None:
        """Start drawing the charts in worker processes (``ahead``, a
        :class:`~.chart_jobs.ChartsAhead` made before the document, or a new one) before
        they are shown; nothing changes in what :meth:`show` shows."""
        jobs = self.charts()
        if self._ahead is not None or len(jobs) < 2 or not can_fork():
            if ahead is not None:
                ahead.close()
            return
        self._ahead = ahead or ChartsAhead()
        self._ahead.draw(jobs)

    def png(self, part: Part) -> bytes:
        """A chart part's PNG (the one drawn ahead, if it was)."""
        job = part.content  # a ChartJob: the part is a chart
        return job() if self._ahead is None else self._ahead.png(job)  # type: ignore[operator, arg-type]

    def show(self, key: str) -> None:
        """Display a section's parts in the notebook (one output per part)."""
        from IPython.display import HTML, Image, display

        for part in self.parts(key):
            if part.kind == "html":
                display(HTML(part.data()))
            else:  # the template writes metadata "alt" into the <img>
                display(Image(data=self.png(part), format="png"),
                        metadata={"image/png": {"alt": part.alt}} if part.alt else None)

    def xlsx_path(self) -> Path:
        if self.out_dir is None:
            raise ValueError("у документа нет папки отчёта (report_dir)")
        return report_file(self.out_dir, self.week, "xlsx", self.edition)

    def write_xlsx(self) -> Path:
        return xlsx.write_workbook(self.sheets, self.sheet_titles, self.xlsx_path())


def build_document(data: ReportData, trend: pd.DataFrame, config: RunConfig | None = None,
                   *, out_dir: Path | None = None,
                   tiles: Mapping[str, tuple[int, int]] | None = None) -> Document:
    """The report of ``data.week``: every section of the edition, and the XLSX sheets.

    ``trend`` is :func:`~.data.trend_frame` of the week (one week only: no trend
    charts); ``config`` the run configuration (edition, activity rule, target, region,
    jump threshold) — the one stored with the week; ``tiles`` the МО's tile-map
    positions (official name -> (col, row), :meth:`Municipalities.tiles`): with them
    the report has the map section, without them (None or empty) it has none.
    """
    config = config or RunConfig()
    edition, rule, target = config.edition, config.rule, config.target_pct
    check_edition(edition)
    week, metrics = data.week, data.metrics
    day = tables.date_ru(week)
    prev = data.compared_week  # the previous week of data/raw, when it has been processed
    compare_active = bool(data.meta.get("compare_active"))
    weeks = tables.trend_weeks(trend)

    headline = tables.headline_table(metrics)
    signals = tables.mo_signals(data.findings, data.org_metrics)  # МО marked ‡
    registered = tables.ranked_table(metrics, "registered", prev_week=prev, signals=signals)
    active = tables.ranked_table(metrics, "active", prev_week=prev, target=target,
                                 signals=signals)
    district = tables.district_table(metrics, prev_week=prev, signals=signals, target=target)
    doo_total = metrics[(metrics["org_type"] == DOO) & (metrics["mo"] == TOTAL)]
    region_registered = doo_total["pct_registered"].iloc[0] if len(doo_total) else None
    region_active = doo_total["pct_active"].iloc[0] if len(doo_total) else None

    summary = tables.findings_summary_table(data.findings)
    coverage = tables.coverage_table(data.org_metrics)
    coverage_mo = tables.coverage_mo_table(metrics)
    missing = tables.missing_exports_table(data.org_metrics)
    signal_list = tables.signals_table(data.findings)
    findings_list = tables.findings_list_table(data.findings)
    accounting = tables.row_accounting_table(data.files)
    annex = (tables.drilldown_table(data.org_metrics, metrics, week, findings=data.findings,
                                    target=target)
             if "annex" in edition_sections(edition) else None)

    below = len(tables.below_target(metrics, target)) if target is not None else None
    sections: dict[str, tuple[Part, ...]] = {
        "title": (_html(html.title_html(week, edition, data.prev_week, prev is not None,
                                        region=config.region)
                        + html.method_note_html(week, rule, target or 0.0, prev,
                                                compare_active)),),
        "headline": (_html(html.headline_html(metrics, prev_week=prev)
                           + html.coverage_note_html(metrics)),),
        "registered": (_html(html.ranked_section_html(registered, prev)),),
        "active": (_html(html.ranked_section_html(
            active, prev, notes=html.active_notes_html(below, target, prev, compare_active),
            brief=prev is not None)  # brief: the wide table fills the A4 page
            + html.sustained_note_html(metrics)),),
        "district": (_html(html.ranked_section_html(district, prev)),),
        "chart_registered": (_chart("ranked_chart", registered,
                                    title=CHART_REGISTERED.format(day=day),
                                    region_value=region_registered,
                                    alt=CHART_ALT.format(title=CHART_REGISTERED.format(
                                        day=day), table=REGISTERED_TITLE)),),
        "chart_active": (_chart("ranked_chart", active, title=CHART_ACTIVE.format(day=day),
                                region_value=region_active, target=target,
                                alt=CHART_ALT.format(title=CHART_ACTIVE.format(day=day),
                                                     table=ACTIVE_TITLE)),),
    }
    sustained = {t: tables.sustained_table(metrics, t, signals=signals) for t in (DOO, OO)}
    sections["sustained"] = (_html(html.sustained_section_html(metrics, sustained)),)
    if tables.has_sustained(metrics):
        sections["sustained"] += (_chart(
            "sustained_chart", sustained[DOO], title=CHART_SUSTAINED.format(day=day),
            alt=CHART_ALT.format(title=CHART_SUSTAINED.format(day=day),
                                 table=SUSTAINED_TYPE_TITLE[DOO])),)
    panels = tilemap.map_panels(active, registered, tiles)
    if panels is not None:
        sections["map"] = (
            _html(f"<h2>{MAP_TITLE}</h2>"
                  + html.note_html(MAP_NOTE.format(org_type=DOO, day=day))),
            _chart("tile_map_chart", active, registered, dict(tiles or {}), title=MAP_TITLE,
                   alt=tilemap.tile_map_alt(panels)))
    if len(weeks) < 2:
        sections["trends"] = (_html(f"<h2>{TRENDS_TITLE}</h2>"),
                              _html(html.note_html(TRENDS_TOO_FEW)))
    else:
        sections["trends"] = (
            _html(f"<h2>{TRENDS_TITLE}</h2>"), _html(html.trends_note_html(trend, week, weeks)),
            _chart("trend_chart", trend, target=target, title=TREND_CHART,
                   alt=TREND_ALT.format(title=TREND_CHART)))
        sections["heatmap"] = (
            _html(html.heatmap_intro_html(weeks[-tables.HEATMAP_WEEKS:], week)),
            _chart("heatmap_chart", trend, DOO, alt=HEATMAP_ALT))
    sections["quality"] = (_html(html.quality_html(
        summary=summary, coverage=coverage, coverage_mo=coverage_mo, missing=missing,
        signals=signal_list, findings_list=findings_list, accounting=accounting,
        threshold=float(config.jump_threshold),
        quota_messages=rule.min_messages, quota_calls=rule.min_calls,
        list_limit=FINDINGS_LIST_LIMIT)),)
    sections["mo_pages"] = (_html(mo_pages_html(metrics)),)
    if annex is not None:
        sections["annex"] = (_html(html.annex_html(annex, target)),)
    sections = {key: sections[key] for key in SECTION_KEYS if key in sections}

    sheets = {SHEET_HEADLINE: headline, SHEET_REGISTERED: registered, SHEET_ACTIVE: active,
              SHEET_DISTRICT: district, SHEET_SUSTAINED: tables.by_type(sustained)}
    if len(weeks) >= 2:
        sheets[SHEET_TREND_REGISTERED] = tables.trend_table(trend, "pct_registered")
        sheets[SHEET_TREND_ACTIVE] = tables.trend_table(trend, "pct_active")
    sheets |= {SHEET_QUALITY: summary, SHEET_COVERAGE_MO: coverage_mo, SHEET_MISSING: missing,
               SHEET_SIGNALS: signal_list, SHEET_FINDINGS: findings_list}
    if annex is not None:
        sheets[SHEET_ANNEX] = annex
    titles = {name: SHEET_TITLES[name].format(day=day, edition=EDITIONS_TEXT[edition].label)
              for name in sheets}
    if prev is not None:
        for name in (SHEET_REGISTERED, SHEET_ACTIVE, SHEET_DISTRICT):
            titles[name] += SHEET_CHANGES.format(day=tables.date_ru(prev))

    return Document(week=week, edition=edition, sections=sections, sheets=sheets,
                    sheet_titles=titles, out_dir=out_dir)


def mo_pages_html(metrics: pd.DataFrame) -> str:
    """Links to the week's МО pages (``mo/<slug>.html``, written by the same run)."""
    from ..site import mo_pages_html as links

    return links(metrics)


def build_report(*, week: str, data_dir: str = "", processed_dir: str = "",
                 report_dir: str = "", target_pct: float | None = None,
                 edition: str | None = None) -> Document:
    """The document of the report notebook's parameters (the same names and meanings):
    resolves the folders, reads the processed week, the configuration it was processed
    with (``target_pct``/``edition`` given: they override it) and the trend, and builds
    the document, whose charts start being drawn in worker processes (:meth:`Document.
    draw_ahead`: those ``sferum run`` forked before the metrics step, or new ones; not
    with ``workers = 1`` in ``sferum.toml``)."""
    from ..cleaning import default_workers
    from ..steps import region_list, week_config

    paths = Paths.from_dirs(data_dir or None)
    processed = Path(processed_dir) if processed_dir else paths.processed_week(week)
    out_dir = Path(report_dir) if report_dir else paths.report_week(week)
    config = week_config(processed, data_dir, target_pct=target_pct, edition=edition)
    # the chart workers import matplotlib while the document is built (if not done)
    ahead = take_prepared()
    if (config.workers or default_workers()) <= 1 or not can_fork():
        if ahead is not None:
            ahead.close()
        ahead = None
    elif ahead is None:
        ahead = ChartsAhead()
    data = load_report_data(processed, week)
    trend = trend_frame(WeekStore(Paths(paths.data_dir, out_dir.parent)), week, data.metrics,
                        rule=config.rule)
    doc = build_document(data, trend, config, out_dir=out_dir,
                         tiles=region_list(paths).tiles())
    if ahead is not None:
        doc.draw_ahead(ahead)
    return doc
