"""The published site (data contract, section 6): ``reports/`` as static pages.

* :func:`write_index` — ``reports/index.html``: every published week, newest first, its
  headline figures, a small trend, links to its files (both editions) and МО pages. Built
  from the published weeks' ``manifest.json`` and ``metrics_mo.csv`` only (no processed
  data, nothing with names), after every publish.
* :func:`publish_mo_page` — ``reports/<week>/mo/<slug>.html`` and ``.pdf`` from the executed
  МО notebook (``notebooks/20_mo``): the outputs of its cells in one page template; no
  nbconvert per page (its exporter costs more than the page itself).
* :func:`carry_other_edition` / :func:`edition_states` — editions side by side: publishing
  one edition of a week keeps the other edition's files; an edition published from other
  data than the week's current data is *stale* («устарела, опубликуйте заново»).

Every page is one HTML file with inline CSS (the report's ``sferum.css`` and a few rules of
the site); links are relative and never leave ``reports/``; nothing is loaded.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd

from . import store
from .config import TEMPLATES_DIR
from .formatting import DASH, fmt_int, fmt_pp, is_missing
from .metrics import TOTAL
from .report import site_texts as t
from .report import svg
from .report.mo_page import PRINT_PAGES, SCREEN_ONLY, SCREEN_ONLY_END
from .report.tables import date_ru, pct_text
from .run_config import EDITIONS, RunConfig
from .status import edition_states

#: Cells with one of these tags are not shown on an МО page.
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove"})
#: Weeks in the index's trend.
INDEX_TREND_WEEKS = 12

SITE_CSS = """
main.report { max-width: 1000px; }
nav.site-nav { font-size: 0.9em; margin: 0 0 0.6em; }
nav.site-nav a { margin-right: 0.2em; }
p.subtitle { color: #5b6572; margin-top: -0.3em; }
.stale { color: #a61b1b; font-weight: bold; }
table.orgs { font-size: 0.8em; width: 100%; }
table.figures th[scope=row], table.orgs th[scope=row] { text-align: left; }
svg.sparkline { display: block; margin: 0.2em 0; }
details > summary { cursor: pointer; }
ul.mo-list { columns: 3; font-size: 0.9em; }
.print-only { display: none; }
div.trend-pair { display: flex; flex-wrap: wrap; align-items: flex-start; column-gap: 1.5em; }
div.trend-pair figure.trend { margin: 0.3em 0 0.6em; }
@media print {
  nav.site-nav { display: none; } ul.mo-list { columns: 2; }
  .screen-only { display: none; } .print-only { display: block; }
  /* a МО page printed from the browser: compact tables, the organisations' one at the
     width (its PDF is set by typeset.py to the same design) */
  table.figures, table.trend-table { font-size: 7.5pt; }
  table.figures th, table.figures td, table.trend-table th, table.trend-table td {
    padding: 1.5px 4px; }
  table.figures { width: 100%; }
  table.orgs { table-layout: fixed; width: 100%; font-size: 7pt; }
  table.orgs th, table.orgs td { padding: 1.5px 3px; overflow-wrap: anywhere; }
  table.orgs thead th { hyphens: auto; font-size: 6.5pt; }
  table.orgs thead th:first-child { width: 27%; }
  table.orgs thead th:nth-child(2) { width: 4.5%; }
  table.orgs thead th:nth-child(8), table.orgs thead th:nth-child(9) { width: 10%; }
  h2 { margin-top: 0.8em; }
  p.note { break-after: avoid; }  /* a note stays with the table it introduces */
  div.trend-pair svg { width: 62mm; height: auto; }
  div.trend-pair { flex-wrap: nowrap; }
}
@media (max-width: 700px) { ul.mo-list { columns: 1; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _css() -> str:
    return (TEMPLATES_DIR / "sferum" / "static" / "sferum.css").read_text(encoding="utf-8")


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string (anything unusual hex-escaped)."""
    safe = " -.,:·()/№_"
    return '"' + "".join(ch if ch.isalnum() or ch in safe else f"\\{ord(ch):06x}"
                         for ch in text) + '"'


def page_html(title: str, body: str, *, footer: str = "") -> str:
    """A whole page: ``lang="ru"``, ``title``, inline CSS, ``body`` (HTML) in ``<main>``.
    ``footer`` is the printed page footer before the page number."""
    page_rule = (f"@page {{ @bottom-center {{ content: {_css_string(footer)} counter(page) "
                 '" из " counter(pages); } }' if footer else "")
    return ("<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>\n{_css()}{SITE_CSS}{page_rule}\n</style>\n"
            f'</head>\n<body>\n<main class="report">\n{body}\n</main>\n</body>\n</html>\n')


def _write_text(path: Path, text: str) -> Path:
    from .publish import _write_bytes_atomically

    return _write_bytes_atomically(Path(path), text.encode("utf-8"))


def _check_self_contained(text: str, what: str) -> None:
    from .publish import PublishError, loading_references

    problems, links = loading_references(text)
    problems += [f'<a href="{href[:60]}">' for href in links
                 if "://" in href or href.startswith("//")]
    if problems:
        raise PublishError(f"{what} ссылается на внешние ресурсы: " + ", ".join(problems[:10]))


# ----------------------------------------------------------------------- МО pages
def notebook_outputs_html(executed_ipynb: Path) -> str:
    """The HTML outputs of an executed notebook's shown cells, in order (cells tagged
    ``parameters``/``injected-parameters``/``remove`` are left out)."""
    nb = json.loads(Path(executed_ipynb).read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if REMOVE_CELL_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                from .publish import PublishError

                raise PublishError(f"ноутбук {Path(executed_ipynb).name} выполнен с ошибкой: "
                                   f"{output.get('ename')}: {output.get('evalue')}")
            data = output.get("data", {})
            if "text/html" in data:
                text = data["text/html"]
                parts.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(parts)


def publish_mo_page(executed_ipynb: Path, report_dir: Path, slug: str, *, title: str,
                    footer: str) -> tuple[Path, Path]:
    """``mo/<slug>.html`` and ``.pdf`` of an executed МО notebook. The PDF (typeset with
    Typst from the page's print HTML: :mod:`~sferum_analysis.typeset`) takes at most
    :data:`~sferum_analysis.report.mo_page.PRINT_PAGES` pages: a list of organisations
    that does not fit is printed shorter."""
    from . import typeset
    from .publish import PublishError, _write_bytes_atomically

    text = page_html(title, notebook_outputs_html(executed_ipynb), footer=footer)
    _check_self_contained(text, f"страница {slug}.html")
    out = _write_text(store.mo_file(report_dir, slug, "html"), text)
    printed = print_html(text)
    while True:
        try:
            source = typeset.to_typst(printed, title=title, footer=footer)
        except typeset.Unprintable as exc:  # the МО pages are ours: a gap here is a bug
            raise PublishError(f"PDF страницы {slug}.html не собран: {exc}") from None
        pdf, pages = typeset.pdf(source)
        shown = len(_PRINT_ROW_RE.findall(printed.partition(_PRINT_ONLY)[2]))
        if pages <= PRINT_PAGES or shown <= 1:
            break
        # fewer organisations, in proportion to the pages over (at least one fewer)
        printed = print_html(text, max(1, min(shown - 1, shown * PRINT_PAGES // pages)))
    return out, _write_bytes_atomically(store.mo_file(report_dir, slug, "pdf"), pdf)


_SCREEN_ONLY_RE = re.compile(re.escape(SCREEN_ONLY) + ".*?" + re.escape(SCREEN_ONLY_END),
                             re.DOTALL)
_PRINT_ONLY = '<div class="print-only">'
_PRINT_ROW = '<tr><th scope="row">'
_PRINT_ROW_RE = re.compile(re.escape(_PRINT_ROW))
_PRINT_COUNT_RE = re.compile(r'(<span class="print-count">)\d+(</span>)')


def print_html(text: str, rows: int | None = None) -> str:
    """A МО page without its parts for the screen only (the full organisations' table of a
    long list): what is printed is the same, and the typesetter gets only what it
    prints. ``rows``: print only the first that many organisations of the list."""
    text = _SCREEN_ONLY_RE.sub("", text)
    if rows is None or _PRINT_ONLY not in text:
        return text
    head, marker, tail = text.partition(_PRINT_ONLY)
    table, end, rest = tail.partition("</tbody>")
    table = _PRINT_ROW.join(table.split(_PRINT_ROW)[:rows + 1])
    return head + marker + _PRINT_COUNT_RE.sub(rf"\g<1>{rows}\2", table, count=1) + end + rest


def mo_page_title(week: str, mo: str, region: str) -> str:
    return t.MO_TITLE.format(mo=mo, region=region, day=date_ru(week))


def mo_page_footer(week: str, mo: str, region: str) -> str:
    return t.MO_FOOTER.format(region=region, mo=mo, day=date_ru(week))


def mo_pages_of(metrics: pd.DataFrame) -> list[dict[str, str]]:
    """``[{"mo": official name, "slug": …}]`` of a week, in canonical order."""
    names = list(dict.fromkeys(str(m) for m in metrics["mo"] if m != TOTAL))
    return [{"mo": name, "slug": slug} for name, slug in store.mo_slugs(names).items()]


def mo_pages_html(metrics: pd.DataFrame) -> str:
    """The week report's section «Страницы муниципалитетов»: a link to every МО page."""
    pages = mo_pages_of(metrics)
    items = "".join(f'<li><a href="{_e(store.mo_href(p["slug"]))}">{_e(p["mo"])}</a></li>'
                    for p in pages)
    # Print (the PDF) gets the names and file names as text: a link in a PDF would point at
    # the folder the PDF was printed in, not where it is read.
    printed = "; ".join(f'{p["mo"]} — {store.mo_href(p["slug"], "pdf")}' for p in pages)
    return ("<style>@media print { ul.mo-links { display: none; } } "
            "@media screen { p.mo-printed { display: none; } } "
            "ul.mo-links { columns: 3; font-size: 0.9em; }</style>"
            f'<p class="note">{_e(t.MO_PAGES_NOTE)}</p><ul class="mo-links">{items}</ul>'
            f'<p class="mo-printed note">{_e(printed)}</p>')


# ----------------------------------------------------------------------- editions
def carry_other_edition(final_dir: Path, stage_dir: Path, week: str, edition: str | None,
                        processed: dict[str, str], published_at: str = "") -> dict[str, dict]:
    """Copy the other edition's files of ``week`` from the published folder into the
    staging one, and return the ``editions`` record of the new manifest.

    ``processed`` is the new run's processed fingerprint; ``edition`` the one this run
    publishes (None: the run publishes no report, every edition present is kept). Each
    edition's record holds the fingerprint of the data it was published from
    (:func:`store.edition_data`) and when.
    The other edition is kept as it is, even when it was published from other data: its
    record then differs from the week's, and :func:`edition_states` calls it stale (the
    index and ``sferum status`` say «устарела, опубликуйте заново»), so it is never
    silently taken for current, and never silently deleted either.
    """
    old = store.read_report_manifest(final_dir)
    records = dict(old.get("editions") or {})
    if not records and old.get("edition"):  # a manifest from before editions side by side
        records = {old["edition"]: {"data": store.edition_data(old.get("processed") or {}),
                                    "published_at": old.get("published_at", "")}}
    out: dict[str, dict] = {}
    for other in EDITIONS:
        if other == edition or other not in records:
            continue
        files = store.edition_files(final_dir, week, other)
        if not all(p.is_file() for p in files):
            continue
        for path in files:
            shutil.copy2(path, stage_dir / path.name)
        out[other] = dict(records[other])
    if edition is not None:
        out[edition] = {"data": store.edition_data(processed), "published_at": published_at}
    return {name: out[name] for name in EDITIONS if name in out}


# ----------------------------------------------------------------------- the index
def _week_entry(reports_dir: Path, week: str) -> dict | None:
    folder = Path(reports_dir) / week
    manifest = store.read_report_manifest(folder)
    try:
        metrics = store.read_metrics_csv(folder)
    except (OSError, ValueError):
        return None
    return {"week": week, "manifest": manifest, "metrics": metrics, "folder": folder}


def _totals(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics[metrics["mo"] == TOTAL]


def _headline_table(entry: dict) -> str:
    rows = []
    for _, r in _totals(entry["metrics"]).iterrows():
        rows.append(
            f'<tr data-org-type="{_e(r["org_type"])}"><th scope="row">{_e(r["org_type"])}</th>'
            f'<td class="num" data-field="registered">{_e(fmt_int(r["registered"]))}</td>'
            f'<td class="num" data-field="pct_registered">{_e(pct_text(r["pct_registered"]))}</td>'
            f'<td class="num" data-field="active">{_e(fmt_int(r["active"]))}</td>'
            f'<td class="num" data-field="pct_active">{_e(pct_text(r["pct_active"]))}</td>'
            f'<td class="num" data-field="change_registered_pp">'
            f'{_e(fmt_pp(r.get("change_registered_pp")))}</td>'
            f'<td class="num" data-field="change_active_pp">'
            f'{_e(fmt_pp(r.get("change_active_pp")))}</td></tr>')
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in (
        t.COL_TYPE, t.COL_REGISTERED_N, t.COL_PCT_REGISTERED, t.COL_ACTIVE_N,
        t.COL_PCT_ACTIVE, t.COL_CHANGE_REGISTERED, t.COL_CHANGE_ACTIVE))
    return (f'<table class="sferum-table headline" data-week="{_e(entry["week"])}"><thead>'
            f'<tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _files_html(entry: dict) -> str:
    week, folder, manifest = entry["week"], entry["folder"], entry["manifest"]
    states = edition_states(manifest)
    items = []
    for edition in EDITIONS:
        files = [p for p in store.edition_files(folder, week, edition) if p.is_file()]
        if not files:
            continue
        links = " ".join(f'<a href="{_e(f"{week}/{p.name}")}">{t.FORMAT_LABEL[p.suffix[1:]]}</a>'
                         for p in files)
        stale = f' <span class="stale">({_e(t.STALE)})</span>' if states.get(edition) else ""
        items.append(f'<li data-edition="{edition}">{_e(t.EDITION_LINK[edition])}: '
                     f"{links}{stale}</li>")
    items.append(f'<li><a href="{_e(f"{week}/{store.METRICS_CSV}")}">{_e(t.INDEX_CSV)}</a></li>')
    pages = manifest.get("mo_pages") or []
    pages = [p for p in pages if store.mo_file(folder, p["slug"], "html").is_file()]
    if pages:
        links = "".join(f'<li><a href="{_e(week + "/" + store.mo_href(p["slug"]))}">'
                        f'{_e(p["mo"])}</a></li>' for p in pages)
        mo = (f'<details><summary>{_e(t.INDEX_MO_PAGES.format(n=len(pages)))}</summary>'
              f'<ul class="mo-list">{links}</ul></details>')
    else:
        mo = f'<p class="note">{_e(t.INDEX_NO_MO_PAGES)}</p>'
    return f'<ul class="files">{"".join(items)}</ul>{mo}'


def _trend_html(entries: list[dict]) -> str:
    weeks = [e for e in reversed(entries[:INDEX_TREND_WEEKS])]  # oldest first
    if len(weeks) < 2:
        return ""
    types = list(dict.fromkeys(str(x) for e in weeks for x in _totals(e["metrics"])["org_type"]))
    out = [f"<h2>{_e(t.INDEX_TREND)}</h2>", f'<p class="note">{_e(t.INDEX_TREND_NOTE)}</p>']
    for org_type in types:
        def value(entry: dict, column: str, org_type: str = org_type) -> object:
            rows = _totals(entry["metrics"])
            rows = rows[rows["org_type"] == org_type]
            return rows[column].iloc[0] if len(rows) and column in rows else None

        reg = [value(e, "pct_registered") for e in weeks]
        act = [value(e, "pct_active") for e in weeks]
        label = t.SPARKLINE_LABEL.format(org_type=org_type, first=date_ru(weeks[0]["week"]),
                                         last=date_ru(weeks[-1]["week"]))
        chart = svg.line_chart([svg.Line(reg, svg.COLOR_MAIN),
                                svg.Line(act, svg.COLOR_SECOND, dashed=True)], label=label)
        head = "".join(f'<th scope="col">{_e(date_ru(e["week"])[:5])}</th>' for e in weeks)
        cells = lambda values: "".join(  # noqa: E731
            f'<td class="num">{_e(pct_text(v) if not is_missing(v) else DASH)}</td>'
            for v in values)
        out.append(f"<h3>{_e(t.ORG_TYPE_TITLES.get(org_type, org_type))}</h3>"
                   f'<figure class="figure trend">{chart}</figure>'
                   f'<table class="sferum-table trend-table"><thead><tr><th scope="col">'
                   f'{_e(t.COL_WEEK)}</th>{head}</tr></thead><tbody>'
                   f'<tr><th scope="row">{_e(t.COL_PCT_REGISTERED)}</th>{cells(reg)}</tr>'
                   f'<tr><th scope="row">{_e(t.COL_PCT_ACTIVE)}</th>{cells(act)}</tr>'
                   "</tbody></table>")
    return "".join(out)


def build_index(reports_dir: Path, region: str | None = None) -> str:
    """The HTML of ``reports/index.html``."""
    entries = [e for w in store.published_weeks(reports_dir)
               if (e := _week_entry(reports_dir, w)) is not None]
    region = region or next((e["manifest"].get("region") for e in entries
                             if e["manifest"].get("region")), None) or RunConfig().region
    body = [f"<h1>{_e(t.INDEX_H1.format(region=region))}</h1>"]
    if not entries:
        body.append(f"<p>{t.INDEX_EMPTY}</p>")
    else:
        body.append(f'<p class="note">{t.INDEX_INTRO}</p>')
        latest = entries[0]
        body.append(f'<h2 id="latest">{_e(t.INDEX_LATEST.format(day=date_ru(latest["week"])))}'
                    f"</h2>{_headline_table(latest)}{_files_html(latest)}")
        body.append(_trend_html(entries))
        body.append(f"<h2>{_e(t.INDEX_WEEKS)}</h2>")
        for entry in entries:
            body.append(f'<section class="week" id="w{_e(entry["week"])}">'
                        f'<h3>{_e(t.INDEX_WEEK.format(day=date_ru(entry["week"])))}</h3>'
                        f"{_headline_table(entry)}{_files_html(entry)}</section>")
        if any(any(edition_states(e["manifest"]).values()) for e in entries):
            body.append(f'<p class="note stale-note">{t.INDEX_STALE_NOTE}</p>')
    body.append(f'<p class="note">{_e(t.INDEX_FOOTER)}</p>')
    return page_html(t.INDEX_TITLE.format(region=region), "\n".join(body))


def write_index(reports_dir: Path, region: str | None = None) -> Path:
    """Write ``reports/index.html`` (atomically) and return its path."""
    text = build_index(reports_dir, region)
    _check_self_contained(text, store.INDEX_FILE)
    return _write_text(store.index_file(reports_dir), text)
