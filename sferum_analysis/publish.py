"""Publishing one reporting week: self-contained HTML, A4 PDF and a formatted XLSX.

* :func:`notebook_to_html` renders the executed report notebook with the project's
  nbconvert template ``templates/sferum``: outputs only (no code, no prompts), no
  external resources, every image embedded, CSS inline, and one script only: the
  template's table script (``static/sortable.js``, sortable and filterable tables),
  trusted by its SHA-256 (:data:`TRUSTED_SCRIPT_SHA256`) and allowed by the page's
  Content-Security-Policy by that hash alone; any other script is refused.
* :func:`html_to_pdf` prints that HTML to A4, typeset by Typst (``typeset.py``; footer
  with the week and page numbers as in the ``@page`` rules of the template), or by
  WeasyPrint when the HTML has an element the typesetter does not know.
* :func:`write_xlsx` writes the report tables, one formatted sheet each.
* :func:`neutralize_formula` defuses text that a spreadsheet would run as a formula.

Every function writes the exact ``out`` path it is given (parent directories are
created) through a temporary file in the same directory and :func:`os.replace`, so a
crash never leaves a half-written file behind. The same input gives the same bytes.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import io
import logging
import math
import os
import re
import secrets
import struct
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sferum_analysis.config import SOURCE_DATE_EPOCH, TEMPLATES_DIR
from sferum_analysis.storage import neutralize_formula

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # nbformat costs ~1 s to import; the XLSX writer does not need it
    import nbformat

__all__ = [
    "FONT_STACK",
    "PERCENT_FORMAT",
    "REMOVE_CELL_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "TEMPLATE_NAME",
    "TRUSTED_SCRIPT_SHA256",
    "PublishError",
    "html_to_pdf",
    "print_pdf",
    "weasyprint_pdf",
    "neutralize_formula",
    "notebook_to_html",
    "write_xlsx",
]

#: nbconvert template directory under :data:`sferum_analysis.config.TEMPLATES_DIR`.
TEMPLATE_NAME = "sferum"
#: Cells with one of these tags are dropped from the published report.
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove"})
#: Cells with one of these tags keep nothing of their outputs in the report.
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})
#: Fonts of the report (DejaVu Sans has full Cyrillic and is installed system-wide).
FONT_STACK = '"DejaVu Sans", "Liberation Sans", Arial, sans-serif'
#: Excel number format of percentage columns (values are percents, e.g. 90.2).
PERCENT_FORMAT = "0.0"
#: The page's only script: sortable and filterable tables (inlined by the template).
SORTABLE_JS = TEMPLATES_DIR / TEMPLATE_NAME / "static" / "sortable.js"
#: SHA-256 (hex) of the text of that ``<script>`` element as the template writes it
#: (``"\n" + sortable.js without its last newline + "\n"``). A script with any other
#: text is refused, and the browser runs no other (Content-Security-Policy): a change
#: of sortable.js needs the new hash here (tests/test_publish.py prints it).
TRUSTED_SCRIPT_SHA256 = "3b01a0d6a1da306070f0c353260372eeb5c5732bd59378e464a7b7aefd0bfd1d"
#: What the published page may load or run: embedded images, inline CSS, the script.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{base64.b64encode(bytes.fromhex(TRUSTED_SCRIPT_SHA256)).decode()}'; "
    "base-uri 'none'; form-action 'none'"
)

# Output types the report may show, best first. JavaScript, widgets, Mermaid and PDF
# outputs need scripts or plugins and are never rendered.
_DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/latex",
    "text/plain",
]

# Fixed timestamps so that the same tables give the same XLSX bytes.
_XLSX_TIMESTAMP = dt.datetime(2000, 1, 1)
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


_SHEET_NAME_MAX = 31
_SHEET_ILLEGAL_RE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")

# Text of a table cell that is a number: "90,2", "1 234", "-3.5", "12 %", or a dash.
_NUMBER_TEXT_RE = re.compile(
    r"[+\-\u2212\u2013]?\s?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?\s?%?"
    r"|[\u2014\u2013-]"
)
# Elements that load something or run code: never allowed in the report.
_FORBIDDEN_TAGS = frozenset({
    "script", "link", "iframe", "frame", "frameset", "object", "embed", "applet",
    "base", "audio", "video", "source", "track", "portal", "form",
})
_URL_ATTRIBUTES = ("src", "srcset", "href", "xlink:href", "poster", "data", "background",
                   "action", "formaction", "lowsrc", "ping", "manifest", "longdesc")
_CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)\s*(?P<url>.*?)\1\s*\)|@import", re.IGNORECASE)


class PublishError(ValueError):
    """The report cannot be published as asked (message in Russian, for the operator)."""


# --------------------------------------------------------------------------- files


@contextlib.contextmanager
def _atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; move it onto ``out`` only on success."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask, unlike tempfile (0600): the result is a normal file.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _write_bytes_atomically(out: Path, data: bytes) -> Path:
    with _atomic_output(out) as tmp:
        tmp.write_bytes(data)
    return Path(out)


# --------------------------------------------------------------------------- HTML


def notebook_to_html(executed_ipynb: Path, out_html: Path, *, title: str, week: str,
                     footer_note: str = "", region: str = "") -> Path:
    """Render an executed report notebook to one self-contained HTML file.

    The printed page footer reads ``<region> · Неделя <week> · <footer_note> · стр. N из M``
    (the region and the note, e.g. the edition, are left out when empty).

    Only outputs are shown (no code, no prompts, no stderr); cells tagged
    ``parameters``, ``injected-parameters`` or ``remove`` are dropped, outputs of cells
    tagged ``remove-output`` too. Table cells whose text is a number get the class
    ``num`` (right-aligned). Raises :class:`PublishError` when the notebook has error
    outputs or when the HTML would load anything (script, external or relative URL).
    """
    executed_ipynb = Path(executed_ipynb)
    import nbformat

    nb = nbformat.read(executed_ipynb, as_version=4)
    _refuse_failed_cells(nb, executed_ipynb.name)
    html = _render_html(nb, title=title, week=week, base_dir=executed_ipynb.parent,
                        footer_note=footer_note, region=region)
    return _write_bytes_atomically(Path(out_html), html.encode("utf-8"))


def _refuse_failed_cells(nb: nbformat.NotebookNode, name: str) -> None:
    errors = [
        f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
        for cell in nb.cells if cell.cell_type == "code"
        for output in cell.get("outputs", []) if output.get("output_type") == "error"
    ]
    if errors:
        raise PublishError(
            f"ноутбук {name} выполнен с ошибками, отчёт не публикуется: " + "; ".join(errors)
        )


def _render_html(nb: nbformat.NotebookNode, *, title: str, week: str, base_dir: Path,
                 footer_note: str = "", region: str = "") -> str:
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config({"NbConvertBase": {"display_data_priority": list(_DISPLAY_PRIORITY)}})
    exporter = HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        ),
        enabled=True,
    )
    resources = {
        "metadata": {"name": "report", "path": str(base_dir)},
        "sferum": {
            "title": title,
            "csp": CONTENT_SECURITY_POLICY,
            "footer_css": _css_string(
                (f"{region} · " if region else "") + f"Неделя {week} · "
                + (f"{footer_note} · " if footer_note else "") + "стр. "),
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)

    soup = BeautifulSoup(body, features="html.parser")
    _mark_numeric_cells(soup)
    _size_hidpi_images(soup)
    _accessible_tables(soup)
    problems = _loading_references(soup, trusted=_trusted_script(soup))
    if problems:
        raise PublishError(
            "HTML-отчёт должен быть самодостаточным, а он ссылается на внешние ресурсы "
            "или содержит скрипты: " + ", ".join(problems[:10])
        )
    return str(soup).strip() + "\n"


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string; anything unusual is hex-escaped (6 digits)."""
    safe = " -.,:·()/№_"
    return '"' + "".join(
        ch if ch.isalnum() or ch in safe else f"\\{ord(ch):06x}" for ch in text
    ) + '"'


def _mark_numeric_cells(soup: Any) -> None:
    """Add class ``num`` to table cells (``td``, body ``th``) whose text is a number."""
    for cell in soup.find_all(["td", "th"]):
        if cell.name == "th" and cell.find_parent("thead") is not None:
            continue
        if _NUMBER_TEXT_RE.fullmatch(cell.get_text().strip()):
            classes = list(cell.get("class") or [])
            if "num" not in classes:
                cell["class"] = [*classes, "num"]


def _size_hidpi_images(soup: Any) -> None:
    """Show PNGs rendered above 96 dpi at their physical size, keeping every pixel.

    A chart saved at ``dpi=150`` is 1.5 times larger in pixels than at 96 dpi; its
    ``pHYs`` chunk records the dpi, so the ``<img>`` gets ``width``/``height`` in CSS
    pixels and the browser or WeasyPrint draws all pixels into that box (sharp).
    Images with an explicit size (e.g. Jupyter "retina" output) are left alone.
    """
    prefix = "data:image/png;base64,"
    for img in soup.find_all("img"):
        src = str(img.get("src", ""))
        if not src.startswith(prefix) or img.get("width") or img.get("height"):
            continue
        try:
            size = _png_display_size(base64.b64decode(src[len(prefix):]))
        except (ValueError, struct.error):
            continue
        if size is not None:
            img["width"], img["height"] = str(size[0]), str(size[1])


def _png_display_size(png: bytes) -> tuple[int, int] | None:
    """Size in CSS pixels (96 per inch) of a PNG whose pHYs says more than 96 dpi."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    width, height = struct.unpack(">II", png[16:24])
    position = 8
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"pHYs" and length == 9:
            per_x, per_y, unit = struct.unpack(">IIB", png[position + 8:position + 17])
            dpi_x, dpi_y = per_x * 0.0254, per_y * 0.0254
            if unit == 1 and dpi_x > 96.5 and dpi_y > 96.5:
                return round(width * 96 / dpi_x), round(height * 96 / dpi_y)
            return None
        if kind in (b"IDAT", b"IEND"):  # pHYs, when present, comes before the data
            return None
        position += 12 + length
    return None


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _accessible_tables(soup: Any) -> None:
    """Mark up data tables for screen readers and keyboards (axe-core, WCAG 2.1 AA).

    Header cells get ``scope`` (``col`` in ``thead``, ``row`` in ``tbody``); a table
    without ``<caption>`` or ARIA name is labelled by the heading above it (the heading
    gets an ``id`` ``h-N`` when it has none); and every data table sits in a
    ``div.table-scroll`` — the only element that scrolls sideways on a narrow screen —
    which is focusable (``tabindex="0"``), a named ``region``: keyboard users can scroll
    it (a second table under one heading: named by the heading and the paragraph above
    it). The headline cards (``table.headline``) are layout: ``role="presentation"``.
    """
    used = {str(tag["id"]) for tag in soup.find_all(id=True)}
    regions: set[str] = set()
    counter = 0

    def new_id() -> str:
        nonlocal counter
        while True:
            counter += 1
            if f"h-{counter}" not in used:
                used.add(f"h-{counter}")
                return f"h-{counter}"

    for table in soup.find_all("table"):
        if "headline" in (table.get("class") or []):
            table["role"] = "presentation"
            continue
        for th in table.find_all("th"):
            if not th.get("scope"):
                th["scope"] = "col" if th.find_parent("thead") is not None else "row"
        label: str | None = table.get("aria-labelledby")
        caption = table.find("caption")
        if caption is not None:
            caption["id"] = caption.get("id") or new_id()
            label = label or caption["id"]
        elif not label and not table.get("aria-label"):
            heading = table.find_previous(_HEADINGS)
            if heading is not None:
                heading["id"] = heading.get("id") or new_id()
                table["aria-labelledby"] = label = heading["id"]
        parent = table.parent
        if parent is not None and "table-scroll" in (parent.get("class") or []):
            continue
        if label and label in regions:
            # a second table under the same heading: its region is named by the heading
            # and the paragraph just above it (regions need names of their own)
            note = table.find_previous("p")
            heading = soup.find(id=label)
            if note is not None and heading is not None \
                    and note.find_previous(_HEADINGS) is heading:
                note["id"] = note.get("id") or new_id()
                label = f"{label} {note['id']}"
            else:
                label = None
        if label:
            regions.add(label)
        wrapper = soup.new_tag("div", attrs={"class": "table-scroll", "tabindex": "0"})
        if label or table.get("aria-label"):
            wrapper["role"] = "region"
            if label:
                wrapper["aria-labelledby"] = label
            else:
                wrapper["aria-label"] = table["aria-label"]
        table.wrap(wrapper)


def _is_embedded(url: str) -> bool:
    url = url.strip().lower()
    return url == "" or url.startswith(("data:", "#"))


def script_sha256(text: str) -> str:
    """SHA-256 (hex) of a script's text, as :data:`TRUSTED_SCRIPT_SHA256` is."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _trusted_script(soup: Any) -> Any | None:
    """The template's table script, or None.

    It is the last element of the page (the template writes it after every output, so
    no output can come after it), without attributes, and its text has the SHA-256
    :data:`TRUSTED_SCRIPT_SHA256`. Any other ``<script>``, a copy of this one in an
    output included, is not trusted.
    """
    tags = soup.find_all(True)
    last = tags[-1] if tags else None
    if last is None or last.name != "script" or last.attrs:
        return None
    return last if script_sha256(last.string or "") == TRUSTED_SCRIPT_SHA256 else None


def _tag_problems(name: str, attrs: Mapping[str, str], css: Iterable[str]) -> list[str]:
    """What one tag (``attrs``: its attributes; ``css``: its style texts) would load or
    run."""
    problems: list[str] = []
    if name in _FORBIDDEN_TAGS:
        problems.append(f"<{name}>")
    if name == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
        problems.append('<meta http-equiv="refresh">')
    for attr in attrs:
        if attr.lower().startswith("on"):
            problems.append(f"<{name} {attr}>")
    for attr in _URL_ATTRIBUTES:
        value = attrs.get(attr)
        if value is None:
            continue
        if name == "a" and attr == "href":
            # A hyperlink loads nothing by itself; only script URLs are refused.
            if value.strip().lower().startswith("javascript:"):
                problems.append(f'<a href="{value[:60]}">')
            continue
        if not _is_embedded(value):
            problems.append(f'<{name} {attr}="{value[:60]}">')
    for text in css:
        for match in _CSS_URL_RE.finditer(text):
            url = match.group("url")
            if url is None or not _is_embedded(url):
                problems.append(f"CSS {match.group(0)[:60]}")
    return problems


def _loading_references(soup: Any, trusted: Any | None = None) -> list[str]:
    """Everything in the HTML that would load a resource or run code (the ``trusted``
    script tag, if given, excepted)."""
    problems: list[str] = []
    for tag in soup.find_all(True):
        if trusted is not None and tag is trusted:
            continue
        attrs = {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in tag.attrs.items()}
        css = [attrs.get("style", "")] + ([tag.get_text()] if tag.name == "style" else [])
        problems.extend(_tag_problems(tag.name, attrs, css))
    return problems


def loading_references(text: str) -> tuple[list[str], list[str]]:
    """What an HTML text would load or run (as :func:`_loading_references`, no script
    trusted) and the targets of its links, without building a tree: the site's pages are
    checked on every publish, and a МО page of a large region is mostly one table (a
    third of the time of BeautifulSoup)."""
    from html.parser import HTMLParser

    problems: list[str] = []
    links: list[str] = []

    class Scanner(HTMLParser):
        style: dict[str, str] | None = None
        style_text: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            values = {k: "" if v is None else v for k, v in attrs}
            if tag == "a" and "href" in values:
                links.append(values["href"])
            if tag == "style":  # its text comes next (CDATA), checked at its end
                self.style, self.style_text = values, []
                return
            problems.extend(_tag_problems(tag, values, [values.get("style", "")]))

        def handle_data(self, data: str) -> None:
            if self.style is not None:
                self.style_text.append(data)

        def handle_endtag(self, tag: str) -> None:
            if tag == "style" and self.style is not None:
                values, self.style = self.style, None
                problems.extend(_tag_problems(
                    "style", values, [values.get("style", ""), "".join(self.style_text)]))

    scanner = Scanner(convert_charrefs=True)
    scanner.feed(text)
    scanner.close()
    return problems, links


# --------------------------------------------------------------------------- PDF


@functools.cache
def _font_config() -> Any:
    """One WeasyPrint font configuration per process, shared by its PDFs: Pango's fonts
    and shaping caches are then built once, not once per PDF (≈ 25 % of a МО page's
    time). The pages declare no ``@font-face``, so nothing of one document stays in it
    for the next, and each PDF's bytes are those of rendering it alone (tested)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: Path, out_pdf: Path) -> Path:
    """Print the published HTML to an A4 PDF (:func:`print_pdf`)."""
    return _write_bytes_atomically(Path(out_pdf), print_pdf(html))


def print_pdf(html: Path) -> bytes:
    """The A4 PDF of the published HTML, typeset with Typst
    (:func:`sferum_analysis.typeset.report_pdf`: ≈ 0.1 s for the week's report).

    When the HTML has an element that the typesetter has no print form for (an analyst's
    markdown cell may hold any HTML), the PDF is printed by WeasyPrint instead
    (:func:`weasyprint_pdf`, same design, 2–4 s) and a warning names the element.
    Images must be embedded (``data:`` URLs), anything else raises :class:`PublishError`.
    The same HTML gives the same bytes.
    """
    from . import typeset

    try:
        return typeset.report_pdf(Path(html).read_text(encoding="utf-8"))
    except typeset.Unprintable as exc:
        _log.warning("%s: %s, PDF печатается WeasyPrint (медленнее)", Path(html).name, exc)
    return weasyprint_pdf(html)


def weasyprint_pdf(html: Path) -> bytes:
    """The A4 PDF of the published HTML printed by WeasyPrint (its CSS as it is).

    Only ``data:`` URLs may be fetched (the HTML is self-contained), anything else
    raises :class:`PublishError`. Images are embedded at their natural resolution.
    The PDF carries no dates and a content-derived identifier, so the same HTML gives
    the same bytes. fontTools stamps the embedded font subsets with the time of writing
    unless ``SOURCE_DATE_EPOCH`` is set: it is pinned here for the whole process.
    """
    os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = weasyprint.HTML(filename=str(html), url_fetcher=fetcher, media_type="print")
    try:
        return document.render(font_config=_font_config()).write_pdf(pdf_identifier=True)
    except FatalURLFetchingError as exc:
        raise PublishError(f"PDF не собран: {html} ссылается на внешний ресурс ({exc})") from exc


# --------------------------------------------------------------------------- XLSX


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    out: Path,
    *,
    percent_columns: Iterable[str] = (),
    title_rows: Mapping[str, str] | None = None,
    total_labels: Iterable[str] = (),
) -> Path:
    """Write tables to an XLSX workbook, one formatted sheet per table, in order.

    Sheet names are made valid for Excel (≤ 31 characters, no ``[]:*?/\\``, unique).
    The header is bold on a fill, frozen, with an autofilter over the table; columns
    are as wide as their content; columns named in ``percent_columns`` (any sheet)
    get the number format ``0.0`` (values are percents such as 90.2, stored as
    numbers). Missing values become empty cells; text is passed through
    :func:`neutralize_formula`. ``title_rows`` maps a key of ``sheets`` to a title
    line written above the header. A last row with a cell equal to one of
    ``total_labels`` (e.g. «Итого по региону») is bold and left out of the autofilter
    range, so that sorting the table never mixes it into the ranking. The DataFrame
    index is not written (``reset_index()`` first if it matters).
    """
    import xlsxwriter

    if not sheets:
        raise ValueError("нет ни одной таблицы для XLSX")
    percent = {str(column) for column in percent_columns}
    titles = dict(title_rows or {})
    unknown_titles = sorted(set(titles) - set(sheets))
    if unknown_titles:
        raise ValueError(f"заголовки для несуществующих листов: {unknown_titles}")
    all_columns = {_column_label(c) for df in sheets.values() for c in df.columns}
    unknown_percent = sorted(percent - all_columns)
    if unknown_percent:
        raise ValueError(f"процентных столбцов нет ни в одной таблице: {unknown_percent}")

    buffer = io.BytesIO()
    # cells are written by type (write_string and so on): no text becomes a formula, a
    # number or a link
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False,
                                            "strings_to_urls": False})
    workbook.set_properties({"author": "sferum_analysis", "created": _XLSX_TIMESTAMP})
    formats = _Formats(workbook)
    for (key, frame), name in zip(sheets.items(), _sheet_names(sheets), strict=True):
        _fill_sheet(workbook.add_worksheet(name), formats, frame, percent=percent,
                    title=titles.get(key), total_labels=set(total_labels))
    workbook.close()
    return _write_bytes_atomically(Path(out), _normalize_zip(buffer.getvalue()))


def _zip_member(name: str) -> zipfile.ZipInfo:
    """A zip member with a fixed timestamp and permissions (reruns give the same bytes)."""
    member = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o644 << 16
    return member


def _normalize_zip(data: bytes) -> bytes:
    """Repack a zip with fixed member timestamps and permissions (:func:`_zip_member`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(_zip_member(info.filename), src.read(info.filename))
    return out.getvalue()


def _sheet_names(keys: Iterable[str]) -> list[str]:
    """Valid, unique (case-insensitive) Excel sheet names for ``keys``, in order."""
    names: list[str] = []
    taken: set[str] = set()
    for key in keys:
        base = _SHEET_ILLEGAL_RE.sub("_", str(key)).strip().strip("'").strip() or "Лист"
        if base.casefold() == "history":  # reserved by Excel
            base += "_"
        name = base[:_SHEET_NAME_MAX]
        counter = 1
        while name.casefold() in taken:
            counter += 1
            suffix = f" ({counter})"
            name = base[: _SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _column_label(column: Any) -> str:
    if isinstance(column, tuple):
        return " / ".join(str(part) for part in column if str(part) != "")
    return str(column)


class _Formats:
    """The workbook's cell formats, each made once (XlsxWriter keeps one per use)."""

    HEADER = {"bold": True, "bg_color": "#DDE6F0", "pattern": 1, "align": "center",
              "valign": "vcenter", "text_wrap": True, "border": 1, "border_color": "#9AA5B1"}
    TITLE = {"bold": True, "font_size": 13}

    def __init__(self, workbook: Any):
        self._workbook = workbook
        self._made: dict[tuple, Any] = {}

    def get(self, number_format: str | None = None, bold: bool = False, **extra: Any) -> Any:
        key = (number_format, bold, tuple(sorted(extra.items())))
        if key not in self._made:
            spec = dict(extra)
            if number_format:
                spec["num_format"] = number_format
            if bold:
                spec["bold"] = True
            self._made[key] = self._workbook.add_format(spec) if spec else None
        return self._made[key]


def _fill_sheet(ws: Any, formats: _Formats, frame: pd.DataFrame, *, percent: set[str],
                title: str | None, total_labels: set[str] = frozenset()) -> None:
    header_row = 0  # rows and columns count from 0 in XlsxWriter
    if title is not None:
        ws.write_string(0, 0, _excel_text(title), formats.get(**_Formats.TITLE))
        header_row = 1

    labels = [_column_label(c) for c in frame.columns]
    is_percent = [label in percent for label in labels]
    widths = [min(len(label), 40) for label in labels]
    header = formats.get(**_Formats.HEADER)
    for j, label in enumerate(labels):
        ws.write_string(header_row, j, _excel_text(label), header)

    has_total = len(frame) > 0 and any(
        isinstance(v, str) and v in total_labels for v in frame.iloc[-1].tolist())
    last = header_row + len(frame)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=header_row + 1):
        bold = has_total and i == last
        for j, raw in enumerate(row):
            value, number_format = _excel_value(raw)
            if value is None:
                if bold:
                    ws.write_blank(i, j, None, formats.get(bold=True))
                continue
            if isinstance(value, bool):
                ws.write_boolean(i, j, value, formats.get(number_format, bold))
            elif isinstance(value, int | float):
                if is_percent[j]:
                    number_format = PERCENT_FORMAT
                ws.write_number(i, j, value, formats.get(number_format, bold))
            elif isinstance(value, dt.date):
                ws.write_datetime(i, j, value, formats.get(number_format, bold))
            else:
                ws.write_string(i, j, value, formats.get(number_format, bold))
            widths[j] = max(widths[j], _display_width(value, is_percent[j]))

    for j, width in enumerate(widths):
        ws.set_column(j, j, min(max(width + 2, 8), 60))
    ws.freeze_panes(header_row + 1, 0)
    if labels:
        ws.autofilter(header_row, 0, max(header_row, last - has_total), len(labels) - 1)


#: Control characters an XLSX cell cannot hold (those openpyxl refuses as well).
_ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _excel_text(text: str) -> str:
    return neutralize_formula(_ILLEGAL_CHARACTERS_RE.sub("", text))


def _excel_value(value: Any) -> tuple[Any, str | None]:
    """A cell value an XLSX can store (None = empty cell) and its number format."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None, None
    if isinstance(value, str):
        return _excel_text(value), None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int):
        return value, None
    if isinstance(value, float | Decimal):
        return (float(value), None) if math.isfinite(value) else (None, None)
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return None, None
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(None)
        return stamp.to_pydatetime(), "DD.MM.YYYY HH:MM"
    if isinstance(value, dt.date):
        return value, "DD.MM.YYYY"
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None, None
    return _excel_text(str(value)), None


def _display_width(value: Any, percent: bool) -> int:
    if isinstance(value, float):
        text = f"{value:.1f}" if percent else f"{value:,.2f}".rstrip("0").rstrip(".")
    elif isinstance(value, dt.datetime):
        text = "00.00.0000 00:00"
    elif isinstance(value, dt.date):
        text = "00.00.0000"
    else:
        text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)
