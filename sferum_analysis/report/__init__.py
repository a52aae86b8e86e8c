"""The weekly report (``notebooks/03_report``): data, tables, HTML, charts, XLSX, document.

Modules, each named for what it holds:

- :mod:`.data` — :class:`ReportData`, :func:`load_report_data`, :func:`trend_frame`: the
  only reading of processed weeks from the file system;
- :mod:`.tables` — table builders, pure functions over DataFrames;
- :mod:`.html` — HTML of tables, headline, notes, footnotes and section bodies;
- :mod:`.charts` — matplotlib charts and :func:`figure_png` (imported on first use:
  matplotlib takes half a second to import);
- :mod:`.xlsx` — the workbook's sheets: :func:`for_xlsx`, :func:`percent_columns`;
- :mod:`.document` — THE document: sections, their order and page breaks, the sections
  of each edition, the XLSX sheets (:func:`build_document`, :func:`build_report`);
- :mod:`.texts` — every display text: headings, column titles, notes, edition names.

``from sferum_analysis import report as rp`` gives the public names of all of them.
Nothing here reads the table of persons: the report never shows a person's name.
"""

from __future__ import annotations

from importlib import import_module

#: Public names and the module each comes from, imported on first access (PEP 562):
#: importing a light part (``report.texts``) does not import pandas and the report.
_NAMES = {
    **dict.fromkeys((
        "same_rule",
    ), "..metrics"),
    **dict.fromkeys((
        "ReportData", "load_report_data", "trend_frame",
    ), ".data"),
    **dict.fromkeys((
        "Document", "FINDINGS_LIST_LIMIT", "Part", "SECTIONS", "SECTION_KEYS", "SectionSpec",
        "build_document", "build_report", "edition_sections",
    ), ".document"),
    **dict.fromkeys((
        "annex_html", "changes_note_html", "coverage_note_html", "delta_text", "drilldown_html",
        "footnotes_html", "headline_html", "method_note_html", "quality_html", "rank_change_text",
        "report_title", "table_html", "title_html",
    ), ".html"),
    **dict.fromkeys((
        "DRILLDOWN_PER_MO", "HEATMAP_WEEKS", "MO_SIGNAL_CODES", "PADDING_CODES", "ROW_CLASS",
        "SIGNAL_CODES", "anomalies_table", "below_target", "coverage_by_mo_table",
        "coverage_mo_table", "coverage_table", "date_ru", "district_table", "drilldown_table",
        "findings_list_table", "findings_summary_table", "headline_table", "heatmap_frame",
        "is_change_column", "is_percent_column", "missing_exports_table", "mo_signals", "pct_text",
        "prev_column", "ranked_table", "row_accounting_table", "signals_table", "trend_table",
        "trend_weeks",
    ), ".tables"),
    **dict.fromkeys((
        "ACTIVE_TITLE", "ANNEX_TITLE", "CHARTS_TITLE", "COL_ACTIVE", "COL_CHANGE", "COL_MO",
        "COL_NOTE", "COL_NPP", "COL_PCT", "COL_PCT_ACTIVE", "COL_PCT_REGISTERED", "COL_RANK",
        "COL_RANK_CHANGE", "COL_REGISTERED", "COL_TARGET_GAP", "DISTRICT_TITLE", "DOO", "DOWN",
        "EDITIONS", "EDITIONS_TEXT", "EDITION_SHORT", "Edition", "HEADLINE_TITLE", "MARK_ANOMALY",
        "MARK_INCOMPLETE", "MARK_SIGNAL", "OO", "QUALITY_TITLE", "REGION_MEAN", "REGION_TOTAL",
        "REGISTERED_TITLE", "TRENDS_TITLE", "UP",
    ), ".texts"),
    **dict.fromkeys((
        "for_xlsx", "percent_columns", "write_workbook",
    ), ".xlsx"),
}

#: Names of :mod:`.charts`, imported from it on first access (PEP 562).
_CHART_NAMES = frozenset({
    "CHART_DPI", "CHART_WIDTH_IN", "COLOR_ANOMALY", "COLOR_BAR", "COLOR_BELOW",
    "COLOR_INCOMPLETE", "COLOR_REGION", "COLOR_SIGNAL", "COLOR_TARGET", "figure_png",
    "heatmap_chart", "ranked_chart", "trend_chart",
})


def __getattr__(name: str) -> object:
    if name in _NAMES:
        value = getattr(import_module(_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    if name in _CHART_NAMES:
        value = getattr(import_module(f"{__name__}.charts"), name)
        globals()[name] = value
        return value
    if name == "charts":
        return import_module(f"{__name__}.charts")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted([*_NAMES, *_CHART_NAMES])
