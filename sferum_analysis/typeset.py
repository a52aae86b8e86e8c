"""The PDF of a МО page, typeset with Typst from the page's print HTML.

WeasyPrint lays a page out in pure Python: 0.2–0.35 s for the two A4 pages of one МО, 27
times a week on two cores. Typst (the ``typst`` package: the Typst compiler, in Rust)
sets the same pages in about 25 ms. The HTML page stays the one source of what a МО's
PDF says: :func:`to_typst` converts the few elements the МО pages are made of (headings,
paragraphs, lists, tables, the inline SVG charts) to Typst markup, every text as a
string literal (nothing in a name can be read as markup), and :func:`pdf` compiles it
with the print design of ``site.SITE_CSS`` (A4, compact tables, the footer with the page
number). An element it does not know raises :class:`PublishError`: a new kind of
content must be given a print form here, not be dropped from the PDF silently.

The PDF carries no date (``document(date: none)``), so the same page gives the same bytes.
"""

from __future__ import annotations

import functools
import re

from .publish import PublishError

#: Elements whose content is set as it is (their own box has no print form).
_TRANSPARENT = frozenset({"main", "body", "html", "span", "div", "thead", "tbody",
                          "figure"})
#: Elements that are not printed (as in ``site.SITE_CSS``'s print rules and the head).
_SKIPPED = frozenset({"head", "nav", "script", "style", "title", "meta"})

#: Column widths of the organisations' table on paper (``table.orgs`` of the print CSS:
#: name, type, then the export's status and findings; the numbers share the rest).
ORG_COLUMN_WIDTHS = {0: "27%", 1: "4.5%", 7: "10%", 8: "10%"}

#: The page and the elements' design, as in the print rules of sferum.css and SITE_CSS.
PREAMBLE = """\
#set document(date: none, title: {title})
#set page(paper: "a4", margin: (top: 18mm, right: 15mm, bottom: 20mm, left: 15mm),
  footer: context align(center, text(size: 8pt, fill: rgb("#5b6572"))[
    #{footer}#counter(page).display()#" из "#counter(page).final().first()]))
#set text(font: ("DejaVu Sans", "Liberation Sans", "Arial"), size: 8.5pt, lang: "ru",
  fill: rgb("#1d232b"))
#set par(justify: false, leading: 0.5em, spacing: 0.65em)
#show heading: set text(fill: rgb("#17375e"))
#show heading: set block(above: 0.9em, below: 0.45em, sticky: true)
#show heading.where(level: 1): it => block(width: 100%, stroke: (bottom: 1.5pt + rgb("#17375e")),
  inset: (bottom: 3pt), below: 0.5em, text(size: 14pt, it.body))
#show heading.where(level: 2): set text(size: 11pt)
#show heading.where(level: 3): set text(size: 9.5pt)
#set list(spacing: 0.45em)
#show link: set text(fill: rgb("#1f5fa8"))
#set table(stroke: 0.6pt + rgb("#c9d1db"), inset: (x: 3pt, y: 1.5pt),
  fill: (_, y) => if y == 0 { rgb("#dde6f0") } else if calc.even(y) { rgb("#f3f6f9") })
#show table: set text(size: 7.5pt)
#show table.cell.where(y: 0): set text(fill: rgb("#17375e"), weight: "bold")
#let note(body) = block(sticky: true, text(size: 7.5pt, fill: rgb("#5b6572"), body))
#let callout(body) = block(width: 100%, fill: rgb("#fff8e6"), inset: (x: 8pt, y: 5pt),
  stroke: (left: 3pt + rgb("#b7791f")), body)
"""


def _str(text: str) -> str:
    """``text`` as a Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace(
        "\n", "\\n").replace("\r", "").replace("\t", " ") + '"'


_SPACE = re.compile(r"\s+")
#: A run of this many characters without a space may be broken anywhere (an address or a
#: name written without spaces would otherwise run over the next cells of its table).
LONG_TOKEN = 25
_LONG_TOKEN = re.compile(rf"\S{{{LONG_TOKEN},}}")


def _breakable(text: str) -> str:
    """``text`` with a zero-width space between the characters of every long token."""
    return _LONG_TOKEN.sub(lambda m: "\u200b".join(m.group()), text)


def _inline(node) -> str:
    """Typst markup of ``node``'s content: text as string literals, inline elements."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    out = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if isinstance(child, PreformattedString):  # comments, the doctype
                continue
            text = _breakable(_SPACE.sub(" ", str(child)))
            if text:
                out.append(f"#{_str(text)}")
        elif isinstance(child, Tag):
            out.append(_element(child))
    return "".join(out)


def _cell(cell) -> str:
    align = "right" if "num" in (cell.get("class") or []) else "left"
    if cell.parent is not None and cell.parent.parent is not None \
            and cell.parent.parent.name == "thead":
        align = "center + bottom"
    span = f", colspan: {int(cell['colspan'])}" if cell.get("colspan") else ""
    return f"table.cell(align: {align}{span})[{_inline(cell).strip()}]"


def _table(table) -> str:
    classes = table.get("class") or []
    head = [tr for tr in table.find_all("tr") if tr.parent.name == "thead"]
    body = [tr for tr in table.find_all("tr") if tr.parent.name != "thead"]
    first = (head or body)[0] if (head or body) else None
    columns = sum(int(c.get("colspan", 1)) for c in first.find_all(["th", "td"])) if first \
        else 1
    widths = str(columns)
    if "orgs" in classes:
        widths = "(" + ", ".join(ORG_COLUMN_WIDTHS.get(i, "1fr") for i in range(columns)) + ")"
    elif "figures" in classes:
        widths = f"(1.6fr, {', '.join(['1fr'] * (columns - 1))})" if columns > 1 else "1"
    cells = []
    if head:
        cells.append("table.header(" + ", ".join(
            _cell(c) for tr in head for c in tr.find_all(["th", "td"]))
            + ")")
    for tr in body:
        cells.extend(_cell(c) for c in tr.find_all(["th", "td"]))
    # the narrow columns (the header, the export's status, the findings) hyphenate; the
    # names wrap at their spaces (and long tokens anywhere: _breakable)
    size = ("#set text(size: 7pt)\n"
            "#show table.cell.where(y: 0): set text(size: 6.5pt, hyphenate: true)\n"
            "#show table.cell.where(x: 7): set text(hyphenate: true)\n"
            "#show table.cell.where(x: 8): set text(hyphenate: true)\n"
            if "orgs" in classes else "")
    width = "100%" if "orgs" in classes or "figures" in classes else "auto"
    return (f"#block(width: {width})[{size}#table(columns: {widths},\n  "
            + ",\n  ".join(cells) + ")]\n")


#: SVG attributes in camel case (the HTML parser gives every attribute name in lower case).
_SVG_ATTRIBUTES = re.compile(r" (viewbox|preserveaspectratio)=")
_SVG_NAMES = {"viewbox": "viewBox", "preserveaspectratio": "preserveAspectRatio"}


def _svg(svg) -> str:
    title = svg.find("title")
    alt = f", alt: {_str(title.get_text())}" if title is not None else ""
    markup = _SVG_ATTRIBUTES.sub(lambda m: f" {_SVG_NAMES[m.group(1)]}=", str(svg))
    return f"#image(bytes({_str(markup)}), format: \"svg\", width: 62mm{alt})"


def _element(el) -> str:
    name = el.name
    classes = el.get("class") or []
    if name in _SKIPPED:
        return ""
    if name in {"h1", "h2", "h3", "h4"}:
        return f"\n#heading(level: {name[1]})[{_inline(el).strip()}]\n"
    if name == "p":
        body = _inline(el).strip()
        if "note" in classes:
            return f"\n#note[{body}]\n"
        if "callout" in classes:
            return f"\n#callout[{body}]\n"
        if "subtitle" in classes:
            return f"\n#text(fill: rgb(\"#5b6572\"))[{body}]\n"
        return f"\n{body}\n"
    if name in {"ul", "ol"}:
        items = [f"[{_inline(li).strip()}]" for li in el.find_all("li", recursive=False)]
        return f"\n#{'list' if name == 'ul' else 'enum'}({', '.join(items)})\n"
    if name == "table":
        return "\n" + _table(el)
    if name == "svg":
        return _svg(el)
    if name == "a":
        href = el.get("href")
        return f"#link({_str(href)})[{_inline(el)}]" if href else _inline(el)
    if name in {"strong", "b"}:
        return f"#strong[{_inline(el)}]"
    if name in {"em", "i"}:
        return f"#emph[{_inline(el)}]"
    if name == "br":
        return "#linebreak()"
    if name == "div" and "trend-pair" in classes:
        figure, table = el.find("figure"), el.find("table")
        return (f"\n#grid(columns: (62mm, 1fr), column-gutter: 5mm, align: top,\n"
                f"  [{_inline(figure).strip() if figure else ''}],\n"
                f"  [{_table(table) if table else ''}])\n")
    if name in _TRANSPARENT:
        return _inline(el)
    raise PublishError(f"PDF страницы МО не собран: у элемента <{name}> нет вида для печати")


def to_typst(html_text: str, *, title: str, footer: str) -> str:
    """The Typst source of a printed page (``html_text``: its print HTML)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_text, features="html.parser")
    body = soup.body or soup
    return (PREAMBLE.replace("{title}", _str(title)).replace("{footer}", _str(footer))
            + _inline(body) + "\n")


@functools.cache
def _compiler():
    """One compiler per process: the system fonts are searched and loaded once (the
    bytes are those of a fresh compiler, tested)."""
    import typst

    return typst.Compiler(font_paths=typst.Fonts())


_PAGE = re.compile(rb"/Type\s*/Page\b")


def pdf(source: str) -> tuple[bytes, int]:
    """The PDF of a Typst ``source`` and its number of pages."""
    import typst

    try:
        data = _compiler().compile(input=source.encode("utf-8"), format="pdf")
    except typst.TypstError as exc:
        raise PublishError(f"PDF страницы МО не собран (Typst): {exc}") from None
    return data, len(_PAGE.findall(data))
