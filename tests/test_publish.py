"""Publishing machinery: notebook -> HTML -> PDF, tables -> XLSX (sferum_analysis.publish)."""

from __future__ import annotations

import base64
import io
import logging
import math
import re
import struct
import zipfile
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import openpyxl  # noqa: E402
import pypdf  # noqa: E402

from sferum_analysis import publish  # noqa: E402
from sferum_analysis.publish import (  # noqa: E402
    CONTENT_SECURITY_POLICY,
    SORTABLE_JS,
    TRUSTED_SCRIPT_SHA256,
    PublishError,
    html_to_pdf,
    neutralize_formula,
    notebook_to_html,
    script_sha256,
    write_xlsx,
)

WEEK = "2024-01-29"
TITLE = "ИКОП «Сферум»: неделя 2024-01-29 <черновик>"
HEADING = "Сотрудники ДОО в ИКОП «Сферум»"
PARAMETERS_SOURCE = 'week = "PARAMETERS_CELL_SOURCE"'
INJECTED_SOURCE = 'week = "INJECTED_CELL_SOURCE"'
TABLE_CODE = "import pandas as pd\ndisplay(ranked_table)"
A4_POINTS = (595.28, 841.89)


def _figure(fmt: str) -> bytes:
    """A small bar chart as PNG (150 dpi) or SVG, rendered like a report cell would."""
    rc = {"svg.hashsalt": "sferum", "svg.fonttype": "none", "font.family": "DejaVu Sans"}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(6, 3), dpi=150, layout="constrained")
        ax.barh(["Орёл", "Мценский район", "Ливенский район"], [90.2, 75.5, 60.1])
        ax.set_title("Диаграмма SVG" if fmt == "svg" else "Диаграмма PNG")
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else None
        fig.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
        plt.close(fig)
    return buffer.getvalue()


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def _ranked_table() -> pd.DataFrame:
    return pd.DataFrame({
        "№": [1, 2, 3],
        "МО": ["г. Орёл", "Мценский район", "Ливенский район"],
        "% Зарегистрированных воспитателей": ["90,2", "75,5", "60,1"],
    })


def build_report_notebook() -> nbformat.NotebookNode:
    """A report-like executed notebook with outputs built directly (no kernel needed)."""
    png = _figure("png")
    svg = _figure("svg").decode("utf-8")
    cells = [
        new_markdown_cell(f"# {HEADING}\n\nЗарегистрировано **1 234** (90,2 %)."),
        new_code_cell(PARAMETERS_SOURCE, metadata={"tags": ["parameters"]}),
        new_code_cell(INJECTED_SOURCE, metadata={"tags": ["injected-parameters"]}),
        new_code_cell(TABLE_CODE, execution_count=3, outputs=[
            new_output("display_data", data={
                "text/html": _ranked_table().to_html(index=False),
                "text/plain": "ranked_table",
            }),
            new_output("stream", name="stderr", text="FutureWarning: STDERR_NOISE\n"),
        ]),
        new_code_cell("print('debug')", metadata={"tags": ["remove"]}, outputs=[
            new_output("stream", name="stdout", text="REMOVED_CELL_OUTPUT\n"),
        ]),
        new_code_cell("fig_png", execution_count=4, outputs=[
            new_output("display_data", data={
                "image/png": base64.b64encode(png).decode("ascii"),
                "text/plain": "<Figure size 900x450 with 1 Axes>",
            }),
        ]),
        new_code_cell("fig_svg", execution_count=5, outputs=[
            new_output("display_data", data={
                "image/svg+xml": svg,
                "text/plain": "<Figure size 900x450 with 1 Axes>",
            }),
        ]),
        new_code_cell("note", execution_count=6, outputs=[
            new_output("execute_result", execution_count=6,
                       data={"text/plain": "<script>alert('plain')</script> & 5 < 6"}),
        ]),
        new_markdown_cell('<div class="callout warning">\nОхват неполный: 2 из 27 МО.\n</div>'),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for index, cell in enumerate(nb.cells):  # fixed ids: the notebook is "the same"
        cell["id"] = f"cell-{index}"
    return nb


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("publish")
    ipynb = root / "executed" / "report.ipynb"
    ipynb.parent.mkdir()
    nbformat.write(build_report_notebook(), ipynb)
    html = notebook_to_html(ipynb, root / "out" / "deep" / "sferum.html", title=TITLE, week=WEEK)
    pdf = html_to_pdf(html, root / "out" / "pdf" / "sferum.pdf")
    return {"ipynb": ipynb, "html": html, "pdf": pdf, "root": root}


# --------------------------------------------------------------------------- HTML


def test_html_is_written_where_asked_without_leftovers(published: dict[str, Path]) -> None:
    html = published["html"]
    assert html == published["root"] / "out" / "deep" / "sferum.html"
    assert html.is_file()
    assert [p.name for p in html.parent.iterdir()] == ["sferum.html"]


def test_html_head_is_russian_utf8_with_inline_css(published: dict[str, Path]) -> None:
    text = published["html"].read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert text.startswith("<!DOCTYPE html>")
    assert soup.html["lang"] == "ru"
    assert soup.find("meta", charset=True)["charset"].lower() == "utf-8"
    assert soup.title.string == TITLE
    assert "&lt;черновик&gt;" in text  # the title is escaped
    styles = soup.find_all("style")
    assert len(styles) == 1
    css = styles[0].get_text()
    assert '"DejaVu Sans", "Liberation Sans", Arial, sans-serif' in css
    assert "max-width: 1000px" in css
    assert "size: A4" in css
    assert re.search(r"tr, img, figure[^{]*\{[^}]*break-inside: avoid", css)
    assert re.search(r"thead \{ display: table-header-group; \}", css)
    assert re.search(r"h1, h2, h3[^{]*\{[^}]*break-after: avoid", css)
    footer = re.search(r"@bottom-center \{ content: (.*?); \}", css)
    assert footer, "footer rule with the week is missing"
    assert 'counter(page) " из " counter(pages)' in footer.group(1)
    assert "2024-01-29" in footer.group(1) and "Неделя" in footer.group(1)
    # nothing of the JupyterLab theme
    assert "--jp-" not in text and "jp-Cell" not in text


def test_html_loads_nothing_and_runs_nothing(published: dict[str, Path]) -> None:
    text = published["html"].read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert "<script src" not in text.lower()
    assert _only_the_trusted_script(soup)
    assert soup.find("link") is None
    for tag in soup.find_all(True):
        for attr in ("src", "href", "srcset"):
            value = tag.get(attr)
            if value is not None:
                assert "http" not in str(value).lower(), f"<{tag.name} {attr}={value[:80]}>"
    for url in re.findall(r"url\((.*?)\)", soup.style.get_text()):
        assert url.strip("'\"").startswith("data:")
    assert "@import" not in text
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", text)
    for cdn in ("require.js", "mathjax", "cdnjs", "unpkg", "jsdelivr", "fonts.googleapis"):
        assert cdn not in text.lower()


def test_html_has_no_code_prompts_or_removed_cells(published: dict[str, Path]) -> None:
    text = published["html"].read_text(encoding="utf-8")
    for absent in (PARAMETERS_SOURCE, "PARAMETERS_CELL_SOURCE", "INJECTED_CELL_SOURCE",
                   "import pandas", "display(ranked_table)", "print('debug')",
                   "REMOVED_CELL_OUTPUT", "STDERR_NOISE", "In&nbsp;[", "Out[", "In [",
                   "fig_png", "cell-3"):
        assert absent not in text, absent


def test_html_content_tables_images_and_escaping(published: dict[str, Path]) -> None:
    text = published["html"].read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.h1.get_text(strip=True) == HEADING
    cells = {td.get_text(strip=True): td for td in soup.find_all("td")}
    assert "num" in cells["90,2"]["class"] and "num" in cells["1"]["class"]
    assert "num" not in (cells["г. Орёл"].get("class") or [])
    images = soup.find_all("img")
    assert len(images) == 2
    assert images[0]["src"].startswith("data:image/png;base64,")
    assert images[1]["src"].startswith("data:image/svg+xml;base64,")
    assert all(img.get("alt") for img in images)
    png = base64.b64decode(images[0]["src"].split(",", 1)[1])
    assert png == _figure("png")
    # 150 dpi PNG (900x450 px) is shown at its physical size 6x3 in = 576x288 CSS px
    assert _png_size(png) == (900, 450)
    assert (images[0]["width"], images[0]["height"]) == ("576", "288")
    # text/plain outputs are escaped, never interpreted
    assert "&lt;script&gt;alert('plain')&lt;/script&gt; &amp; 5 &lt; 6" in text
    assert soup.select_one("div.callout.warning").get_text(strip=True).startswith("Охват")


def test_html_is_deterministic(published: dict[str, Path], tmp_path: Path) -> None:
    again = notebook_to_html(published["ipynb"], tmp_path / "again.html", title=TITLE, week=WEEK)
    assert again.read_bytes() == published["html"].read_bytes()


def _only_the_trusted_script(soup: BeautifulSoup) -> bool:
    """The page's one script is the template's table script, the page's last element."""
    scripts = soup.find_all("script")
    return (len(scripts) == 1 and not scripts[0].attrs
            and script_sha256(scripts[0].string) == TRUSTED_SCRIPT_SHA256
            and soup.find_all(True)[-1] is scripts[0])


def test_trusted_script_is_sortable_js_by_its_hash() -> None:
    """The pinned hash is that of static/sortable.js as the template inlines it; the
    Content-Security-Policy lets the browser run that script and nothing else."""
    text = SORTABLE_JS.read_text(encoding="utf-8")
    actual = script_sha256("\n" + text.rstrip("\n") + "\n")
    assert actual == TRUSTED_SCRIPT_SHA256, (
        f"sortable.js changed: set TRUSTED_SCRIPT_SHA256 = {actual!r} in publish.py")
    assert "</script" not in text.lower()
    digest = base64.b64encode(bytes.fromhex(TRUSTED_SCRIPT_SHA256)).decode()
    assert f"script-src 'sha256-{digest}'" in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY.split("script-src")[1]


def test_published_html_has_the_csp_and_the_script_last(published: dict[str, Path]) -> None:
    soup = BeautifulSoup(published["html"].read_text(encoding="utf-8"), "html.parser")
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta is not None and meta["content"] == CONTENT_SECURITY_POLICY
    assert _only_the_trusted_script(soup)


@pytest.mark.parametrize("output_html", [
    "TRUSTED",  # an exact copy of the trusted script in an output is still a script
    "<script>alert(1)</script><p>после</p>",
    "<script>x = 1",  # unclosed: swallows the template's script, whose text then differs
    '<div onclick="alert(1)">x</div>',
    '<svg><script>alert(1)</script></svg>',
])
def test_html_refuses_any_other_script(tmp_path: Path, output_html: str) -> None:
    if output_html == "TRUSTED":
        output_html = ("<script>\n" + SORTABLE_JS.read_text(encoding="utf-8").rstrip("\n")
                       + "\n</script>")
    ipynb = _write_notebook(tmp_path / "s.ipynb", new_code_cell("x", outputs=[
        new_output("display_data", data={"text/html": output_html}),
    ]))
    with pytest.raises(PublishError, match="скрипты"):
        notebook_to_html(ipynb, tmp_path / "s.html", title="t", week=WEEK)
    assert not (tmp_path / "s.html").exists()


def test_tables_are_marked_up_for_screen_readers_and_keyboards(tmp_path: Path) -> None:
    frame = pd.DataFrame({"МО": ["г. Орёл", "г. Ливны"], "% Активности": ["90,2", "—"]})
    ipynb = _write_notebook(
        tmp_path / "t.ipynb", new_markdown_cell("# Отчёт\n\n## Активность"),
        new_code_cell("x", outputs=[new_output("display_data", data={
            "text/html": frame.to_html(index=False) + "<p>По МО</p>"
            + frame.to_html(index=False)})]))
    soup = BeautifulSoup(notebook_to_html(ipynb, tmp_path / "t.html", title="t",
                                          week=WEEK).read_text(), "html.parser")
    heading = soup.find("h2")
    assert heading["id"]
    first, second = soup.find_all("table")
    for table in (first, second):
        assert {th.get("scope") for th in table.select("thead th")} == {"col"}
        assert table["aria-labelledby"] == heading["id"]
        wrapper = table.parent
        assert wrapper.name == "div" and wrapper["class"] == ["table-scroll"]
        assert wrapper["tabindex"] == "0" and wrapper["role"] == "region"
    # two regions under one heading get names of their own (axe: landmark-unique)
    assert first.parent["aria-labelledby"] == heading["id"]
    note = soup.find("p", string="По МО")
    assert second.parent["aria-labelledby"] == f"{heading['id']} {note['id']}"


def _write_notebook(path: Path, *cells: nbformat.NotebookNode) -> Path:
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def test_html_refuses_failed_notebook(tmp_path: Path) -> None:
    ipynb = _write_notebook(tmp_path / "failed.ipynb", new_code_cell("1/0", outputs=[
        new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                   traceback=["ZeroDivisionError"]),
    ]))
    out = tmp_path / "out" / "failed.html"
    with pytest.raises(PublishError, match="ZeroDivisionError"):
        notebook_to_html(ipynb, out, title="t", week=WEEK)
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())


@pytest.mark.parametrize("output_html", [
    '<img src="https://example.org/logo.png">',
    '<script src="https://cdn.example.org/lib.js"></script>',
    "<script>console.log(1)</script>",
    '<link rel="stylesheet" href="//fonts.example.org/css">',
    '<div style="background: url(http://example.org/bg.png)">x</div>',
    '<img src="chart.png">',
])
def test_html_refuses_outputs_that_load_or_run_something(tmp_path: Path,
                                                         output_html: str) -> None:
    ipynb = _write_notebook(tmp_path / "ext.ipynb", new_code_cell("x", outputs=[
        new_output("display_data", data={"text/html": output_html}),
    ]))
    with pytest.raises(PublishError, match="самодостаточным"):
        notebook_to_html(ipynb, tmp_path / "ext.html", title="t", week=WEEK)
    assert not (tmp_path / "ext.html").exists()


@pytest.mark.parametrize("html", [
    '<img src="https://example.org/logo.png">',
    '<script src="https://cdn.example.org/lib.js"></script>',
    "<p>x</p><script>console.log(1)</script>",
    '<link rel="stylesheet" href="//fonts.example.org/css">',
    '<div style="background: url(http://example.org/bg.png)">x</div>',
    '<style>@import "x.css"; p { color: red }</style><p>x</p>',
    '<style>.a { background: url("data:image/png;base64,AA") }</style><img src="chart.png">',
    '<meta http-equiv="Refresh" content="0; url=http://example.org">',
    '<svg><image xlink:href="http://example.org/a.png"/></svg><body onload="x()">',
    '<a href="javascript:alert(1)">x</a><a href="../index.html">y</a><form action="/x">',
    '<img src="data:image/png;base64,AA" alt=""><a href="#top">z</a><p style="">ok</p>',
])
def test_the_pages_check_without_a_tree_finds_what_the_tree_check_finds(html: str) -> None:
    """The site's pages are checked by a scanner (publish.loading_references) rather
    than a BeautifulSoup tree: it must refuse exactly what the tree check refuses."""
    from sferum_analysis.publish import _loading_references, loading_references

    problems, links = loading_references(html)
    assert problems == _loading_references(BeautifulSoup(html, "html.parser"))
    assert links == [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")]
    assert bool(problems) == ("ok</p>" not in html)


@pytest.mark.filterwarnings("ignore:Your element with mimetype")
def test_javascript_and_widget_outputs_are_not_rendered(tmp_path: Path) -> None:
    ipynb = _write_notebook(tmp_path / "js.ipynb", new_code_cell("x", outputs=[
        new_output("display_data", data={
            "application/javascript": "window.JS_OUTPUT = 1",
            "text/html": "<p>HTML_FALLBACK</p>",
        }),
        new_output("display_data", data={"application/javascript": "window.ONLY_JS = 1"}),
    ]))
    text = notebook_to_html(ipynb, tmp_path / "js.html", title="t", week=WEEK).read_text()
    assert "HTML_FALLBACK" in text
    assert "JS_OUTPUT" not in text and "ONLY_JS" not in text
    assert _only_the_trusted_script(BeautifulSoup(text, "html.parser"))


def test_styler_tables_keep_author_classes(tmp_path: Path) -> None:
    """The documented way to mark anomalies and totals: Styler.set_td_classes."""
    frame = pd.DataFrame({"МО": ["г. Орёл", "Ливны", "Итого"], "% Активности": [90.2, 812.5, 70.0]})
    classes = pd.DataFrame("", index=frame.index, columns=frame.columns)
    classes.loc[1, :] = "anomaly"
    classes.loc[2, :] = "total"
    styled = (frame.style.set_uuid("doo").hide(axis="index").format(decimal=",", precision=1)
              .set_td_classes(classes).to_html())
    ipynb = _write_notebook(tmp_path / "s.ipynb", new_code_cell("x", outputs=[
        new_output("display_data", data={"text/html": styled}),
    ]))
    soup = BeautifulSoup(notebook_to_html(ipynb, tmp_path / "s.html", title="t",
                                          week=WEEK).read_text(), "html.parser")
    cells = {td.get_text(strip=True): td["class"] for td in soup.find_all("td")}
    assert {"anomaly", "num"} <= set(cells["812,5"])
    assert {"total", "num"} <= set(cells["70,0"])
    assert "num" not in cells["Ливны"] and "anomaly" in cells["Ливны"]


def test_title_and_week_cannot_break_out_of_html(tmp_path: Path) -> None:
    ipynb = _write_notebook(tmp_path / "w.ipynb", new_markdown_cell("# Отчёт"))
    evil = '"</style><script>alert(1)</script>'
    text = notebook_to_html(ipynb, tmp_path / "w.html", title=evil, week=evil).read_text()
    assert _only_the_trusted_script(BeautifulSoup(text, "html.parser"))
    assert text.count("</style>") == 1
    assert "Неделя \\000022\\00003c/style" in text


def test_external_hyperlinks_are_allowed(tmp_path: Path) -> None:
    ipynb = _write_notebook(tmp_path / "a.ipynb",
                            new_markdown_cell("[Сферум](https://sferum.ru)"))
    text = notebook_to_html(ipynb, tmp_path / "a.html", title="t", week=WEEK).read_text()
    assert 'href="https://sferum.ru"' in text


# --------------------------------------------------------------------------- PDF


def test_pdf_is_a4_with_cyrillic_text_and_footer(published: dict[str, Path]) -> None:
    reader = pypdf.PdfReader(published["pdf"])
    assert len(reader.pages) >= 1
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert HEADING in text
    assert "90,2" in text and "Мценский район" in text
    assert "Неделя 2024-01-29" in text
    assert f"стр. 1 из {len(reader.pages)}" in text
    assert "Диаграмма SVG" in text  # the SVG chart is drawn as vector graphics with text
    assert "PARAMETERS_CELL_SOURCE" not in text and "import pandas" not in text
    assert reader.metadata.title == TITLE


def test_pdf_embeds_dejavu_and_png_at_natural_resolution(published: dict[str, Path]) -> None:
    reader = pypdf.PdfReader(published["pdf"])
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("DejaVuSans" in font.replace("-", "") for font in fonts), fonts
    images = [image for page in reader.pages for image in page.images]
    assert images, "the PNG chart is missing from the PDF"
    png_size = _png_size(_figure("png"))
    assert any(image.image.size == png_size for image in images), png_size


def test_pdf_is_deterministic(published: dict[str, Path], tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Typst warning (an unknown font, say) fails it
        again = html_to_pdf(published["html"], tmp_path / "again.pdf")
    assert again.read_bytes() == published["pdf"].read_bytes()


def test_the_report_pdf_is_typeset_by_typst(published: dict[str, Path]) -> None:
    """The week's report is set by Typst (typeset.report_pdf), not WeasyPrint: the PDF's
    producer says so."""
    reader = pypdf.PdfReader(published["pdf"])
    assert "Typst" in str(reader.metadata.get("/Creator", "")) + str(
        reader.metadata.get("/Producer", "")), reader.metadata
    assert "/CreationDate" not in reader.metadata


def test_an_element_without_a_print_form_is_printed_by_weasyprint(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An analyst's markdown cell may hold HTML the typesetter does not know (here
    <details>): the report is still printed, by WeasyPrint, with the same text, and the
    log names the element."""
    html = tmp_path / "odd.html"
    html.write_text('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
                    "<title>Неделя</title></head><body><h1>Отчёт</h1><details><summary>Подробнее</summary>"
                    "<p>Ливны: 12,5 %</p></details></body></html>", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="sferum_analysis.publish"):
        pdf = html_to_pdf(html, tmp_path / "odd.pdf")
    reader = pypdf.PdfReader(pdf)
    assert "WeasyPrint" in str(reader.metadata.get("/Producer", "")), reader.metadata
    assert "Ливны: 12,5 %" in reader.pages[0].extract_text()
    assert "<details>" in caplog.text and "WeasyPrint" in caplog.text


def test_the_run_is_told_when_the_report_is_printed_by_weasyprint(tmp_path: Path) -> None:
    """The report's publishing job returns the fallback's warning (the run writes it to
    run.log and the console) instead of printing it on the worker's stderr."""
    from sferum_analysis import pipeline

    nb = build_report_notebook()
    nb.cells.append(new_markdown_cell("<details><summary>Подробнее</summary>Ливны</details>"))
    ipynb = tmp_path / "report.ipynb"
    nbformat.write(nb, ipynb)
    notes = pipeline._publish_report(ipynb, tmp_path / "r.html", tmp_path / "r.pdf",
                                     title=TITLE, week=WEEK)
    assert len(notes) == 1 and "<details>" in notes[0] and "WeasyPrint" in notes[0], notes
    assert "Ливны" in "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "r.pdf")
                              .pages)
    plain = tmp_path / "plain.ipynb"  # only what the typesetter knows: no warning
    nbformat.write(build_report_notebook(), plain)
    assert pipeline._publish_report(plain, tmp_path / "p.html", tmp_path / "p.pdf",
                                    title=TITLE, week=WEEK) == []


def test_a_weasyprint_pdf_has_the_same_bytes_after_other_pdfs_of_the_process(
        tmp_path: Path) -> None:
    """The font configuration is shared by the PDFs of a process (publish._font_config):
    what one PDF leaves in it must not change the next one's bytes."""
    from sferum_analysis import publish

    pages = {}
    for name, text in (("a", "Ливны: ДОО 12,5 %"), ("b", "Мценск — ОО, «итого» № 7; ёж")):
        pages[name] = tmp_path / f"{name}.html"
        pages[name].write_text(f'<!DOCTYPE html><html lang="ru"><body><h1>{text}</h1>'
                               f"<table><tr><th>{text}</th><td>1 234</td></tr></table>"
                               "</body></html>", encoding="utf-8")
    publish._font_config.cache_clear()
    alone = publish.weasyprint_pdf(pages["a"])
    publish._font_config.cache_clear()
    publish.weasyprint_pdf(pages["b"])
    after = publish.weasyprint_pdf(pages["a"])
    assert after == alone


def test_pdf_refuses_external_resources(tmp_path: Path) -> None:
    html = tmp_path / "ext.html"
    html.write_text('<!DOCTYPE html><html lang="ru"><body>'
                    '<img src="http://127.0.0.1:9/chart.png"></body></html>', encoding="utf-8")
    with pytest.raises(PublishError):
        html_to_pdf(html, tmp_path / "ext.pdf")
    assert not (tmp_path / "ext.pdf").exists()
    assert list(tmp_path.iterdir()) == [html]


# --------------------------------------------------------------------------- XLSX


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"),
    ("+7 900", "'+7 900"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("г. Орёл", "г. Орёл"),
    ("1+1=2", "1+1=2"),
    ("", ""),
])
def test_neutralize_formula(text: str, expected: str) -> None:
    assert neutralize_formula(text) == expected


def test_csv_text_is_neutralised_after_semicolons_too(tmp_path: Path) -> None:
    """A field with «;» is not quoted in a comma CSV; a «;» reader must not see a formula."""
    import csv

    from sferum_analysis.storage import neutralize_csv_text, write_csv

    assert neutralize_csv_text("report;=1+1;x.csv") == "report;'=1+1;x.csv"
    assert neutralize_csv_text("=a;@b") == "'=a;'@b"
    assert neutralize_csv_text("a; b") == "a; b" and neutralize_csv_text(3) == 3
    assert neutralize_csv_text('g;"=6+6".csv') == 'g;\'"=6+6".csv'  # quoted for a ";" reader
    assert neutralize_csv_text("y;\n=6.csv") == "y;' =6.csv"  # no record break
    assert neutralize_csv_text("\n=1") == "' =1" and neutralize_csv_text("-2") == "'-2"
    out = write_csv(pd.DataFrame({"file": ["report;=1+1;x.csv", "x;=cmd|' /C calc'!A0;x",
                                           'unk g;"=6+6".csv', "unk y;\n=6.csv",
                                           "1 z;\r\n-7+7.csv"],
                                  "n": [1, 2, 3, 4, 5]}), tmp_path / "q.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        cells = [cell for row in csv.reader(fh, delimiter=";") for cell in row]
    assert not [c for c in cells if c.lstrip('" ').startswith(("=", "+", "-", "@"))], cells
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6  # header + 5 records


def test_neutralize_formula_leaves_non_text_alone() -> None:
    assert neutralize_formula(5) == 5  # type: ignore[arg-type]
    assert neutralize_formula(None) is None  # type: ignore[arg-type]


def _tables() -> dict[str, pd.DataFrame]:
    registered = pd.DataFrame({
        "№": [1, 2, 3],
        "МО": ["г. Орёл", "=1+1", "Мценский район"],
        "pct_registered": [90.2, float("nan"), 75.46],
        "registered": pd.array([1234, None, 15], dtype="Int64"),
    })
    district = pd.DataFrame({
        "МО": ["Болховский район", "@cmd"],
        "% Активности": [np.float64(12.5), None],
        "Неделя": [pd.Timestamp("2024-01-29"), pd.NaT],
    })
    return {
        "ДОО: % зарегистрированных": registered,
        "ОО [районы]": district,
        "Очень длинное имя листа, длиннее тридцати одного символа": registered.head(1),
        "Очень длинное имя листа, длиннее тридцати одного символа!": registered.head(2),
    }


@pytest.fixture()
def workbook_path(tmp_path: Path) -> Path:
    return write_xlsx(
        _tables(), tmp_path / "deep" / "sferum.xlsx",
        percent_columns=("pct_registered", "% Активности"),
        title_rows={"ОО [районы]": "Активность педагогов в районах, неделя 2024-01-29"},
    )


def test_xlsx_sheet_names(workbook_path: Path) -> None:
    wb = openpyxl.load_workbook(workbook_path)
    names = wb.sheetnames
    assert names[:2] == ["ДОО_ % зарегистрированных", "ОО _районы_"]
    assert len(names) == 4 and len({n.casefold() for n in names}) == 4
    assert all(len(n) <= 31 for n in names)
    assert names[2] == "Очень длинное имя листа, длинне"
    assert names[3].endswith(" (2)")


def test_xlsx_header_freeze_filter_formats(workbook_path: Path) -> None:
    ws = openpyxl.load_workbook(workbook_path)["ДОО_ % зарегистрированных"]
    header = [c.value for c in ws[1]]
    assert header == ["№", "МО", "pct_registered", "registered"]
    assert all(c.font.bold for c in ws[1])
    assert ws["A1"].fill.fill_type == "solid"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D4"
    assert ws["C2"].value == pytest.approx(90.2) and ws["C2"].number_format == "0.0"
    assert ws["C4"].value == pytest.approx(75.46) and ws["C4"].number_format == "0.0"
    assert isinstance(ws["C2"].value, float)
    assert ws["C3"].value is None  # NaN -> empty cell
    assert ws["D2"].value == 1234 and ws["D3"].value is None
    assert ws["A2"].value == 1 and ws["A2"].number_format == "General"
    assert ws["B3"].value == "'=1+1" and ws["B3"].data_type == "s"
    assert _width(ws, 2) >= len("Мценский район")
    assert _width(ws, 3) >= len("pct_registered")


def _width(ws, column: int) -> float:
    """A column's width as Excel reads it: neighbours of the same width share one
    ``<col min max>`` element, which openpyxl files under the first of them."""
    [width] = [d.width for d in ws.column_dimensions.values() if d.min <= column <= d.max]
    return width


def test_xlsx_title_row_shifts_header(workbook_path: Path) -> None:
    ws = openpyxl.load_workbook(workbook_path)["ОО _районы_"]
    assert ws["A1"].value == "Активность педагогов в районах, неделя 2024-01-29"
    assert ws["A1"].font.bold
    assert [c.value for c in ws[2]] == ["МО", "% Активности", "Неделя"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:C4"
    assert ws["B3"].value == 12.5 and ws["B3"].number_format == "0.0"
    assert ws["B4"].value is None
    assert ws["A4"].value == "'@cmd"
    assert ws["C3"].value.date().isoformat() == "2024-01-29" and ws["C4"].value is None


def test_xlsx_is_deterministic(workbook_path: Path, tmp_path: Path) -> None:
    kwargs = {
        "percent_columns": ("pct_registered", "% Активности"),
        "title_rows": {"ОО [районы]": "Активность педагогов в районах, неделя 2024-01-29"},
    }
    again = write_xlsx(_tables(), tmp_path / "again.xlsx", **kwargs)
    assert again.read_bytes() == workbook_path.read_bytes()
    with zipfile.ZipFile(again) as archive:
        members = archive.infolist()
        assert {info.date_time for info in members} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in members} == {0o644}
        assert {info.compress_type for info in members} == {zipfile.ZIP_DEFLATED}
        assert any(info.filename.startswith("xl/worksheets/") for info in members)
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_xlsx_rejects_unknown_percent_column_and_title(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pct_typo"):
        write_xlsx(_tables(), tmp_path / "x.xlsx", percent_columns=["pct_typo"])
    with pytest.raises(ValueError, match="нет такого"):
        write_xlsx(_tables(), tmp_path / "x.xlsx", title_rows={"нет такого": "x"})
    assert not (tmp_path / "x.xlsx").exists()


def test_xlsx_non_finite_numbers_are_empty(tmp_path: Path) -> None:
    frame = pd.DataFrame({"v": [math.inf, -math.inf, 1.5]})
    ws = openpyxl.load_workbook(write_xlsx({"t": frame}, tmp_path / "t.xlsx")).active
    assert [ws["A2"].value, ws["A3"].value, ws["A4"].value] == [None, None, 1.5]


# --------------------------------------------------------------------------- atomicity


def test_failed_write_keeps_previous_file_and_leaves_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), publish._atomic_output(out) as tmp:
        tmp.write_text("half-written", encoding="utf-8")
        raise RuntimeError("crash")
    assert out.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [out]


def test_xlsx_total_row_is_bold_and_outside_the_autofilter(tmp_path: Path) -> None:
    frame = pd.DataFrame({"№": [1, 2, None], "МО": ["г. Орёл", "г. Ливны", "Итого по региону"],
                          "% Активности": [50.0, 40.0, 45.0]})
    out = write_xlsx({"t": frame}, tmp_path / "t.xlsx", percent_columns=["% Активности"],
                     total_labels=("Итого по региону",))
    ws = openpyxl.load_workbook(out)["t"]
    assert ws.auto_filter.ref == "A1:C3"  # header and the two МО rows, not the total
    assert all(c.font.bold for c in ws[4] if c.value is not None)
    assert not ws["B2"].font.bold
    # without the label the last row is an ordinary row inside the filter
    plain = openpyxl.load_workbook(write_xlsx({"t": frame}, tmp_path / "p.xlsx"))["t"]
    assert plain.auto_filter.ref == "A1:C4" and not plain["B4"].font.bold
