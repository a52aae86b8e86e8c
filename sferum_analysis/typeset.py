"""PDFs typeset with Typst from the published HTML: the МО pages and the week's report.

WeasyPrint lays a page out in pure Python: 0.2–0.35 s for the two A4 pages of one МО and
2.5–3.8 s for the week's report of about 18 pages, on two cores that the run needs for its
notebooks. Typst (the ``typst`` package: the Typst compiler, in Rust) sets the same pages in
a few dozen milliseconds. The HTML stays the one source of what a PDF says: this module
converts the elements the pages are made of (headings, paragraphs, lists, callouts, tables,
the inline SVG and the PNG charts) to Typst markup, every text as a string literal (nothing
in a name can be read as markup), with the print design of ``sferum.css`` and
``site.SITE_CSS`` (A4, the tables' colours and marks, the footer with the page number).

* :func:`to_typst` / :func:`pdf` — a МО page (``site.print_html``). An element with no print
  form raises :class:`Unprintable` (a :class:`PublishError`): a new kind of content must be
  given a print form here, not be dropped from the PDF silently.
* :func:`report_pdf` — the week's report (the nbconvert HTML of ``03_report``). Its
  footer and title are read from the HTML itself. Analysts may write any HTML in the
  notebook's markdown cells: an element with no print form here is not an error there,
  ``publish.print_pdf`` prints that report with WeasyPrint instead (slower, same design).

The PDFs carry no date (``document(date: none)``), so the same HTML gives the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import struct
import tempfile
from pathlib import Path

from .publish import PublishError


class Unprintable(PublishError):
    """The HTML has an element that this module has no print form for."""


#: Elements whose content is set as it is (their own box has no print form).
_TRANSPARENT = frozenset({"main", "body", "html", "span", "div", "thead", "tbody",
                          "figure", "section", "article", "header", "footer", "label"})
#: Elements that are not printed (as in the print rules of the stylesheets, and the head).
_SKIPPED = frozenset({"head", "nav", "script", "style", "title", "meta", "colgroup",
                      "col", "button", "input"})
#: Classes of elements not printed (``display: none`` in the print rules: the table
#: script's filter, the report's list of links to the МО pages).
_PRINT_HIDDEN = frozenset({"table-filter", "mo-links", "screen-only"})
#: Elements in which a text of spaces only is a space between words (elsewhere it is the
#: indentation of the HTML and would make a paragraph of its own).
_INLINE_PARENTS = frozenset({"p", "li", "td", "th", "a", "b", "strong", "em", "i", "span",
                             "h1", "h2", "h3", "h4", "h5", "h6", "code", "caption", "sup",
                             "sub", "small", "s", "del", "u", "label", "figcaption"})

#: Elements inside a line of text (their spaces at both ends are spaces between words).
_INLINE_ELEMENTS = frozenset({"a", "b", "strong", "em", "i", "span", "code", "sup", "sub",
                              "small", "s", "del", "u", "label"})
#: Inline elements and the Typst functions that set them.
_INLINE_WRAPPERS = {"strong": "strong", "b": "strong", "em": "emph", "i": "emph",
                    "sup": "super", "sub": "sub", "s": "strike", "del": "strike",
                    "u": "underline"}

#: Column widths of the organisations' table on paper (``table.orgs`` of the print CSS:
#: name, type, then the export's status and findings; the numbers share the rest).
ORG_COLUMN_WIDTHS = {0: "27%", 1: "4.5%", 7: "10%", 8: "10%"}

#: The text width of A4 with the margins of the print rules (210 − 2 × 15 mm), in pt, and
#: the height a figure may take on a page under its heading.
TEXT_WIDTH_PT = 510.2
FIGURE_HEIGHT_PT = 680.0
#: One CSS pixel in pt.
PX_PT = 0.75

#: Shared by both kinds of document: the page, the footer, the colours of sferum.css.
_COMMON = """\
#set document(date: none, title: {title})
#set page(paper: "a4", margin: (top: 18mm, right: 15mm, bottom: 20mm, left: 15mm),
  footer: context align(center, text(size: 8pt, fill: rgb("#5b6572"))[
    #{footer}#counter(page).display()#" из "#counter(page).final().first()]))
#show heading: set text(fill: rgb("#17375e"))
#show link: set text(fill: rgb("#1f5fa8"))
#show table.cell.where(y: 0): set text(fill: rgb("#17375e"), weight: "bold")
#let callout(body, kind: "") = block(width: 100%,
  fill: if kind == "warning" { rgb("#fff8e6") } else if kind == "danger" { rgb("#fdecec") }
    else { rgb("#eef3f8") },
  inset: (x: 8pt, y: 5pt), breakable: false,
  stroke: (left: 3pt + if kind == "warning" { rgb("#b7791f") }
    else if kind == "danger" { rgb("#b42318") } else { rgb("#17375e") }), body)
"""

#: A МО page: compact (the print rules of ``site.SITE_CSS``), two A4 pages at most.
PREAMBLE = _COMMON + """\
#set text(font: ("DejaVu Sans", "Liberation Sans", "Arial"), size: 8.5pt, lang: "ru",
  fill: rgb("#1d232b"))
#set par(justify: false, leading: 0.5em, spacing: 0.65em)
#show heading: set block(above: 0.9em, below: 0.45em, sticky: true)
#show heading.where(level: 1): it => block(width: 100%, stroke: (bottom: 1.5pt + rgb("#17375e")),
  inset: (bottom: 3pt), below: 0.5em, text(size: 14pt, it.body))
#show heading.where(level: 2): set text(size: 11pt)
#show heading.where(level: 3): set text(size: 9.5pt)
#set list(spacing: 0.45em)
#set table(stroke: 0.6pt + rgb("#c9d1db"), inset: (x: 3pt, y: 1.5pt),
  fill: (_, y) => if y == 0 { rgb("#dde6f0") } else if calc.even(y) { rgb("#f3f6f9") })
#set table.cell(breakable: false)
#show table: set text(size: 7.5pt)
#let note(body) = block(sticky: true, text(size: 7.5pt, fill: rgb("#5b6572"), body))
"""

#: The week's report: the print rules of ``sferum.css`` (10 pt text, 8.5 pt tables).
REPORT_PREAMBLE = _COMMON + """\
#set text(font: ("DejaVu Sans", "Liberation Sans", "Arial"), size: 10pt, lang: "ru",
  fill: rgb("#1d232b"))
#set par(justify: false, leading: 0.6em, spacing: 0.9em)
#show heading: set block(above: 1.3em, below: 0.6em, sticky: true)
#show heading.where(level: 1): it => block(width: 100%, stroke: (bottom: 1.5pt + rgb("#17375e")),
  inset: (bottom: 4pt), above: 0.3em, below: 0.7em, text(size: 16pt, it.body))
#show heading.where(level: 2): set text(size: 13pt)
#show heading.where(level: 3): set text(size: 11pt)
#set list(spacing: 0.5em)
#set table(stroke: 0.6pt + rgb("#c9d1db"), inset: (x: 3.75pt, y: 2.25pt))
#set table.cell(breakable: false)
#show table: set text(size: 8.5pt)
#show raw: set text(font: ("DejaVu Sans Mono", "Liberation Mono"))
#let note(body) = block(text(size: 0.88em, fill: rgb("#5b6572"), body))
"""

#: Row and cell marks of sferum.css: background, text colour, italic, bold.
_MARKS = {
    "total": ('rgb("#e6ecf3")', None, False, True),
    "anomaly": ('rgb("#fbe3e3")', 'rgb("#8f1d1d")', False, False),
    "incomplete": ('rgb("#fff3cd")', 'rgb("#6b4e00")', True, False),
}
_DELTA = {"delta-up": 'rgb("#1e6b34")', "delta-down": 'rgb("#a61b1b")'}
_HEADER_FILL = 'rgb("#dde6f0")'
_ZEBRA_FILL = 'rgb("#f3f6f9")'


def _str(text: str) -> str:
    """``text`` as a Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace(
        "\n", "\\n").replace("\r", "").replace("\t", " ") + '"'


_SPACE = re.compile(r"\s+")
#: A run of this many characters without a space or a hyphen (where a line may break
#: anyway) may be broken anywhere: a name written without spaces would otherwise run over
#: the next cells of its table. Only such runs: the zero-width spaces are in the PDF's
#: text, and a file name or a МО's name with hyphens must stay searchable.
LONG_TOKEN = 25
_BREAKS = "\\s\\-\u2010-\u2014/_"
_LONG_TOKEN = re.compile(rf"[^{_BREAKS}]{{{LONG_TOKEN},}}")
#: The pieces of a text between which a line may break (for the widths of columns).
_WORDS = re.compile(rf"[^{_BREAKS}]+[{_BREAKS}]?")


def _breakable(text: str) -> str:
    """``text`` with a zero-width space between the characters of every long token."""
    return _LONG_TOKEN.sub(lambda m: "\u200b".join(m.group()), text)


#: The inline style properties the pages use (``headline`` of the report), in Typst.
_STYLE = re.compile(r"\s*([a-z-]+)\s*:\s*([^;]+)")
_EM = re.compile(r"([\d.]+)em")
_HEX = re.compile(r"#[0-9a-fA-F]{3,6}")


def _text_style(style: str) -> str:
    """Typst ``text`` arguments of an inline ``style`` (size in em, bold, colour)."""
    args = []
    for name, value in _STYLE.findall(style or ""):
        value = value.strip()
        if name == "font-size" and (m := _EM.fullmatch(value)):
            args.append(f"size: {m.group(1)}em")
        elif name == "font-weight" and value == "bold":
            args.append('weight: "bold"')
        elif name == "color" and _HEX.fullmatch(value):
            args.append(f'fill: rgb("{value}")')
    return ", ".join(args)


def _style_value(style: str, prop: str) -> str | None:
    for name, value in _STYLE.findall(style or ""):
        if name == prop:
            return value.strip()
    return None


_DATA_URL = re.compile(r"data:image/(png|jpeg|svg\+xml);base64,(.*)", re.DOTALL)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


#: The average advance of a character of the report's tables (DejaVu Sans, 8.5 pt) and
#: the cell's inset on both sides, in pt: to tell whether a table fits the page as it is.
_CHAR_PT = 5.6
_CELL_INSET_PT = 7.5
#: A header's words may hyphenate: a column needs room for this many of their characters.
HEADER_WORD = 9
#: The most of the text width a column of names that must not wrap may take on one line.
NOWRAP_SHARE = 0.45


def _auto_widths(table, columns: int, fill: bool) -> str:
    """Column widths of a report table as a browser lays it out (CSS automatic layout).

    Every column gets at least its narrowest form: its longest word (a header's: at most
    :data:`HEADER_WORD` characters, it hyphenates), or the whole text of a cell that must
    not wrap (``white-space: nowrap``: the МО's names; when those do not fit the page
    side by side, or one would take more than :data:`NOWRAP_SHARE` of it, they wrap at
    their spaces and hyphens too). The rest of the text width
    is shared in proportion to how much wider each column's longest text is. A table whose
    texts all fit on one line keeps its natural widths (unless ``fill``, ``width: 100%``:
    then it is stretched in proportion to them). Widths are estimated from the number of
    characters (:data:`_CHAR_PT`), which is all the proportions need.
    """
    least = [0.0] * columns  # nowrap cells whole
    least_words = [0.0] * columns  # every cell by its words
    most = [0.0] * columns
    for tr in table.find_all("tr"):
        header = tr.parent is not None and tr.parent.name == "thead"
        x = 0
        for cell in tr.find_all(["th", "td"]):
            span = int(cell.get("colspan", 1))
            if span == 1 and x < columns:
                text = " ".join(cell.get_text().split())
                word = max((min(len(w.strip()), LONG_TOKEN) for w in _WORDS.findall(text)),
                           default=0)
                if header:
                    word = min(word, HEADER_WORD)
                nowrap = not header and _style_value(cell.get("style"),
                                                     "white-space") == "nowrap"
                least[x] = max(least[x], (len(text) if nowrap else word) * _CHAR_PT
                               + _CELL_INSET_PT)
                least_words[x] = max(least_words[x], word * _CHAR_PT + _CELL_INSET_PT)
                most[x] = max(most[x], len(text) * _CHAR_PT + _CELL_INSET_PT)
            x += span
    if sum(least) > TEXT_WIDTH_PT or any(
            whole > NOWRAP_SHARE * TEXT_WIDTH_PT > words
            for whole, words in zip(least, least_words, strict=True)):
        least = least_words
    if sum(most) <= TEXT_WIDTH_PT:
        if not fill:
            return str(columns)
        widths = most
    elif sum(least) >= TEXT_WIDTH_PT:
        widths = least
    else:
        spare = TEXT_WIDTH_PT - sum(least)
        stretch = sum(m - n for m, n in zip(most, least, strict=True)) or 1.0
        widths = [n + spare * (m - n) / stretch for m, n in zip(most, least, strict=True)]
    return "(" + ", ".join(f"{max(w, 1.0):.0f}fr" for w in widths) + ")"


def _before_table(el) -> bool:
    """Whether the next element after ``el`` (in the order of the page) is a table."""
    node = el
    while node is not None and node.find_next_sibling() is None:
        node = node.parent
    following = node.find_next_sibling() if node is not None else None
    while following is not None and following.name in {"div", "figure"} \
            and "table-scroll" not in (following.get("class") or []):
        following = following.find(True)
    return following is not None and (
        following.name == "table" or "table-scroll" in (following.get("class") or []))


class _Converter:
    """HTML to Typst markup; ``report``: the week's report (images, marks, page breaks)."""

    def __init__(self, report: bool) -> None:
        self.report = report
        self.files: dict[str, bytes] = {}

    # ------------------------------------------------------------------ inline content
    def inline(self, node) -> str:
        """Typst markup of ``node``'s content: text as string literals, inline elements."""
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        pieces: list[tuple[bool, str]] = []  # (is text, text or markup)
        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, PreformattedString):  # comments, the doctype
                    continue
                text = _breakable(_SPACE.sub(" ", str(child)))
                if text == " " and node.name not in _INLINE_PARENTS:
                    continue  # the indentation between blocks
                if text:
                    pieces.append((True, text))
            elif isinstance(child, Tag):
                pieces.append((False, self.element(child)))
        if node.name not in _INLINE_ELEMENTS and pieces:
            # a block's text starts and ends with its first and last word (the newline
            # after <div class="callout"> is no indent)
            if pieces[0][0]:
                pieces[0] = (True, pieces[0][1].lstrip())
            if pieces[-1][0]:
                pieces[-1] = (True, pieces[-1][1].rstrip())
        return "".join(f"#{_str(text)}" if is_text else text
                       for is_text, text in pieces if text)

    # ------------------------------------------------------------------ elements
    def element(self, el) -> str:  # noqa: C901 (one branch per kind of element)
        name = el.name
        classes = el.get("class") or []
        if name in _SKIPPED or _PRINT_HIDDEN.intersection(classes):
            return ""
        if self.report and ("celltag_page-break" in classes or "page-break" in classes):
            return "\n#pagebreak(weak: true)\n" + self._block(el, classes)
        return self._block(el, classes)

    def _block(self, el, classes) -> str:  # noqa: C901
        name = el.name
        if name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            return f"\n#heading(level: {name[1]})[{self.inline(el).strip()}]\n"
        if name == "p" or (name == "div" and ({"note", "callout"} & set(classes))):
            return self._paragraph(el, classes)
        if name in {"ul", "ol"}:
            items = [f"[{self.inline(li).strip()}]" for li in el.find_all("li", recursive=False)]
            return f"\n#{'list' if name == 'ul' else 'enum'}({', '.join(items)})\n"
        if name == "table":
            if "headline" in classes:
                return "\n" + self._headline(el)
            return "\n" + self._table(el)
        if name == "svg":
            return self._svg(el)
        if name == "img" and self.report:
            return self._img(el)
        if name == "a":
            href = el.get("href")
            return f"#link({_str(href)})[{self.inline(el)}]" if href else self.inline(el)
        if name in _INLINE_WRAPPERS:
            return f"#{_INLINE_WRAPPERS[name]}[{self.inline(el)}]"
        if name == "br":
            return "#linebreak()"
        if name == "div" and "trend-pair" in classes:
            figure, table = el.find("figure"), el.find("table")
            return (f"\n#grid(columns: (62mm, 1fr), column-gutter: 5mm, align: top,\n"
                    f"  [{self.inline(figure).strip() if figure else ''}],\n"
                    f"  [{self._table(table) if table else ''}])\n")
        if self.report:
            if name == "figure":
                return f"\n#align(center)[{self.inline(el).strip()}]\n"
            if name == "code":
                return f"#raw({_str(el.get_text())})"
            if name == "pre":
                return ('\n#block(width: 100%, fill: rgb("#f6f8fa"), stroke: 0.6pt + '
                        'rgb("#e1e6eb"), inset: (x: 0.75em, y: 0.5em), text(size: 0.85em, '
                        f"raw(block: true, {_str(el.get_text())})))\n")
            if name == "hr":
                return '\n#line(length: 100%, stroke: 0.75pt + rgb("#c9d1db"))\n'
            if name == "small":
                return f"#text(size: 0.88em)[{self.inline(el)}]"
            if name == "blockquote":
                return ('\n#block(inset: (left: 0.9em), stroke: (left: 2pt + rgb("#c9d1db")))'
                        f"[{self.inline(el).strip()}]\n")
            if name in {"div", "span"} and _text_style(el.get("style")):
                body = self.inline(el)
                text = f"#text({_text_style(el.get('style'))})[{body.strip()}]"
                return f"\n#block[{text}]\n" if name == "div" else text
            if name == "span" and _DELTA.keys() & set(classes):
                colour = _DELTA[next(c for c in classes if c in _DELTA)]
                return f"#text(fill: {colour})[{self.inline(el)}]"
            if name == "div" and el.find(["p", "div", "table", "ul", "ol", "h1", "h2", "h3",
                                          "h4", "figure", "pre"]) is None:
                return f"\n#block[{self.inline(el).strip()}]\n"  # a line of its own
        if name in _TRANSPARENT:
            return self.inline(el)
        raise Unprintable(f"у элемента <{name}> нет вида для печати в Typst")

    def _paragraph(self, el, classes) -> str:
        if self.report and _before_table(el):  # an intro stays on the page of its table
            return f"\n#block(sticky: true)[{self._paragraph_body(el, classes)}]\n"
        return self._paragraph_body(el, classes)

    def _paragraph_body(self, el, classes) -> str:
        body = self.inline(el).strip()
        if "callout" in classes:
            kind = "warning" if "warning" in classes else "danger" if "danger" in classes \
                else ""
            return f"\n#callout(kind: {_str(kind)})[{body}]\n"
        if "incomplete" in classes and self.report:
            body = (f'#block(width: 100%, fill: rgb("#fff3cd"), inset: (x: 3pt, y: 2pt), '
                    f'text(fill: rgb("#6b4e00"), style: "italic")[{body}])')
        if "note" in classes:
            return f"\n#note[{body}]\n"
        if "subtitle" in classes:
            return f"\n#text(fill: rgb(\"#5b6572\"))[{body}]\n"
        return f"\n\n{body}\n\n" if self.report else f"\n{body}\n"

    # ------------------------------------------------------------------ tables
    def _cell_markup(self, cell, header: bool, fill: str | None,
                     mark: tuple | None) -> str:
        classes = cell.get("class") or []
        align = "right" if "num" in classes else "left"
        if header:
            align = "center + bottom"
        args = [f"align: {align}"]
        if cell.get("colspan"):
            args.append(f"colspan: {int(cell['colspan'])}")
        if cell.get("rowspan"):
            args.append(f"rowspan: {int(cell['rowspan'])}")
        body = self.inline(cell).strip()
        if self.report:
            background, colour, italic, bold = next(
                (_MARKS[c] for c in classes if c in _MARKS), None) or mark \
                or (None, None, False, False)
            fill = background or fill
            if fill is not None:
                args.append(f"fill: {fill}")
            text = []
            # the row's mark colours its text over the change's colour (as in sferum.css)
            colour = colour or next((_DELTA[c] for c in classes if c in _DELTA), None)
            if colour:
                text.append(f"fill: {colour}")
            if italic:
                text.append('style: "italic"')
            if bold:
                text.append('weight: "bold"')
            if header and any(len(w) > HEADER_WORD for w in cell.get_text().split()):
                text.append("hyphenate: true")  # a long word of a header; short ones stay
            if text:
                body = f"#text({', '.join(text)})[{body}]"
        return f"table.cell({', '.join(args)})[{body}]"

    def _columns(self, table, first, fill: bool) -> str:
        classes = table.get("class") or []
        columns = sum(int(c.get("colspan", 1)) for c in first.find_all(["th", "td"])) \
            if first else 1
        if "orgs" in classes:
            return "(" + ", ".join(ORG_COLUMN_WIDTHS.get(i, "1fr")
                                   for i in range(columns)) + ")"
        if "figures" in classes:
            return f"(1.6fr, {', '.join(['1fr'] * (columns - 1))})" if columns > 1 else "1"
        cols = table.find_all("col")
        if self.report and cols:
            widths = [_style_value(c.get("style"), "width") for c in cols]
            widths = [w if w and w.endswith("%") else "auto" for w in widths]
            widths += ["auto"] * (columns - len(widths))
            widths = widths[:columns]
            if fill:
                # the full width, shared as the set widths say (CSS's fixed layout);
                # a column without a width gets the average of the others
                set_ = [float(w[:-1]) for w in widths if w != "auto"] or [1.0]
                average = sum(set_) / len(set_)
                widths = [f"{w[:-1]}fr" if w != "auto" else f"{average:g}fr"
                          for w in widths]
            return "(" + ", ".join(widths) + ")"
        if self.report:
            return _auto_widths(table, columns, fill)
        return str(columns)

    def _table(self, table) -> str:
        classes = table.get("class") or []
        head = [tr for tr in table.find_all("tr") if tr.parent.name == "thead"]
        body = [tr for tr in table.find_all("tr") if tr.parent.name != "thead"]
        first = (head or body)[0] if (head or body) else None
        # a report table of the page's width (``width: 100%``)
        full_width = self.report and _style_value(table.get("style"), "width") == "100%"
        widths = self._columns(table, first, full_width)
        cells = []
        header_fill = _HEADER_FILL if self.report else None
        if head:
            cells.append("table.header(" + ", ".join(
                self._cell_markup(c, True, header_fill, None)
                for tr in head for c in tr.find_all(["th", "td"])) + ")")
        for number, tr in enumerate(body, start=1):
            row_classes = tr.get("class") or []
            mark = next((_MARKS[c] for c in row_classes if c in _MARKS), None)
            if self.report and "total" in row_classes:
                cells.append(f'table.hline(y: {len(head) + number - 1}, '
                             'stroke: 1.5pt + rgb("#7a8796"))')
            fill = _ZEBRA_FILL if self.report and number % 2 == 0 else None
            cells.extend(self._cell_markup(c, False, fill, mark)
                         for c in tr.find_all(["th", "td"]))
        caption = table.find("caption")
        before = f"#strong[{self.inline(caption).strip()}]\n" if caption is not None else ""
        # the narrow columns (the header, the export's status, the findings) hyphenate; the
        # names wrap at their spaces (and long tokens anywhere: _breakable)
        size = ("#set text(size: 7pt)\n"
                "#show table.cell.where(y: 0): set text(size: 6.5pt, hyphenate: true)\n"
                "#show table.cell.where(x: 7): set text(hyphenate: true)\n"
                "#show table.cell.where(x: 8): set text(hyphenate: true)\n"
                if "orgs" in classes else "")
        if self.report and (scale := _EM.search(
                _style_value(table.get("style"), "font-size") or "")):
            size = f"#set text(size: {scale.group(1)}em)\n"
        full = "orgs" in classes or "figures" in classes or full_width
        return (f"#block(width: {'100%' if full else 'auto'})[{before}{size}"
                f"#table(columns: {widths},\n  " + ",\n  ".join(cells) + ")]\n")

    def _headline(self, table) -> str:
        """The report's headline boxes (a presentation table of one row)."""
        boxes = []
        for td in table.find_all("td"):
            fill = _style_value(td.get("style"), "background") or "#eef3f8"
            fill = fill if _HEX.fullmatch(fill) else "#eef3f8"
            boxes.append(f'block(width: 100%, fill: rgb("{fill}"), inset: (x: 10pt, y: 7pt))'
                         f"[{self.inline(td).strip()}]")
        return (f"#grid(columns: {len(boxes)} * (1fr,), column-gutter: 6pt,\n  "
                + ",\n  ".join(boxes) + ")\n")

    # ------------------------------------------------------------------ images
    #: SVG attributes in camel case (the HTML parser gives every attribute name in lower
    #: case).
    _SVG_ATTRIBUTES = re.compile(r" (viewbox|preserveaspectratio)=")
    _SVG_NAMES = {"viewbox": "viewBox", "preserveaspectratio": "preserveAspectRatio"}

    def _svg(self, svg) -> str:
        title = svg.find("title")
        alt = f", alt: {_str(title.get_text())}" if title is not None else ""
        markup = self._SVG_ATTRIBUTES.sub(lambda m: f" {self._SVG_NAMES[m.group(1)]}=",
                                          str(svg))
        return f"#image(bytes({_str(markup)}), format: \"svg\", width: 62mm{alt})"

    def _img(self, img) -> str:
        src = str(img.get("src", ""))
        match = _DATA_URL.fullmatch(src.strip())
        if match is None:
            raise PublishError(f"PDF не собран: изображение не встроено в HTML ({src[:80]})")
        kind, payload = match.groups()
        try:
            data = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            raise PublishError("PDF не собран: изображение в HTML повреждено") from None
        ext = {"png": "png", "jpeg": "jpg", "svg+xml": "svg"}[kind]
        name = f"img-{len(self.files)}.{ext}"
        self.files[name] = data
        width = height = None
        if img.get("width") and img.get("height"):
            try:
                width, height = float(img["width"]), float(img["height"])
            except ValueError:
                width = height = None
        if width is None and kind == "png" and (size := _png_size(data)):
            width, height = size  # CSS pixels of an image without dpi
        alt = f", alt: {_str(img['alt'])}" if img.get("alt") else ""
        if width is None or not height:
            return f"#image({_str(name)}, width: 100%{alt})"
        scale = min(1.0, TEXT_WIDTH_PT / (width * PX_PT), FIGURE_HEIGHT_PT / (height * PX_PT))
        return f"#image({_str(name)}, width: {width * PX_PT * scale:.2f}pt{alt})"


def to_typst(html_text: str, *, title: str, footer: str) -> str:
    """The Typst source of a printed МО page (``html_text``: its print HTML)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_text, features="html.parser")
    body = soup.body or soup
    return (PREAMBLE.replace("{title}", _str(title)).replace("{footer}", _str(footer))
            + _Converter(report=False).inline(body) + "\n")


#: The report's footer in its CSS (``publish._css_string``: hex escapes of six digits).
_FOOTER_CSS = re.compile(r'@bottom-center\s*\{\s*content:\s*"((?:[^"\\]|\\.)*)"\s*counter\(page\)')
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")


def report_typst(html_text: str) -> tuple[str, dict[str, bytes]]:
    """The Typst source of the week's report and its images (file name → bytes).

    The title and the footer are the HTML's own (``<title>``, the ``@page`` rule).
    Raises :class:`Unprintable` for an element without a print form here.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_text, features="html.parser")
    title = soup.title.get_text() if soup.title is not None else ""
    footer = ""
    for style in soup.find_all("style"):
        if match := _FOOTER_CSS.search(style.get_text()):
            footer = _CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), match.group(1))
    converter = _Converter(report=True)
    body = converter.inline(soup.body or soup)
    source = (REPORT_PREAMBLE.replace("{title}", _str(title)).replace("{footer}", _str(footer))
              + body + "\n")
    return source, converter.files


@functools.cache
def _compiler():
    """One compiler per process: the system fonts are searched and loaded once (the
    bytes are those of a fresh compiler, tested)."""
    import typst

    return typst.Compiler(font_paths=typst.Fonts())


_PAGE = re.compile(rb"/Type\s*/Page\b")


def pdf(source: str, files: dict[str, bytes] | None = None) -> tuple[bytes, int]:
    """The PDF of a Typst ``source`` and its number of pages; ``files``: the images it
    reads (by name)."""
    import typst

    try:
        if not files:
            data = _compiler().compile(input=source.encode("utf-8"), format="pdf")
        else:
            with tempfile.TemporaryDirectory(prefix="sferum-typeset-") as root:
                for name, content in files.items():
                    (Path(root) / name).write_bytes(content)
                data = _compiler().compile(input=source.encode("utf-8"), format="pdf",
                                           root=root)
    except typst.TypstError as exc:
        raise PublishError(f"PDF не собран (Typst): {exc}") from None
    return data, len(_PAGE.findall(data))


def report_pdf(html_text: str) -> bytes:
    """The week report's PDF (see :func:`report_typst`)."""
    source, files = report_typst(html_text)
    return pdf(source, files)[0]
