"""The МО pages' PDFs typeset with Typst (sferum_analysis/typeset.py) from their print HTML."""

from __future__ import annotations

import io

import pypdf
import pytest

from sferum_analysis import site, typeset
from sferum_analysis.publish import PublishError
from sferum_analysis.report import svg


def _text(pdf: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(pdf)).pages).split())


def _pdf(body: str, footer: str = "Регион · МО · стр. ") -> tuple[bytes, int]:
    return typeset.pdf(typeset.to_typst(site.page_html("Страница", body, footer=footer),
                                        title="Страница", footer=footer))


def test_text_that_looks_like_markup_is_printed_as_it_is():
    # Typst's markup characters, HTML entities, quotes and backslashes in names
    name = 'МБДОУ «Детский сад № 5» #1 $x$ *a* _b_ [c] <d> @e `f` \\g "h" = - + / ~'
    pdf, pages = _pdf(f"<h1>{site._e(name)}</h1><p>{site._e(name)}</p>")
    assert pages == 1
    assert _text(pdf).count(" ".join(name.split())) == 2


def test_a_page_with_every_element_of_the_mo_pages():
    chart = svg.line_chart([svg.Line([10, 20, 30])], label="г. Ливны, ДОО: динамика")
    body = (
        '<nav class="site-nav"><a href="../index.html">Все недели</a></nav>'
        '<h1>г. Ливны — Орловская область</h1><p class="subtitle">неделя по 29.01.2024</p>'
        "<h2>Показатели</h2><h3>ДОО</h3>"
        '<table class="sferum-table figures"><thead><tr><th scope="col">Показатель</th>'
        '<th scope="col">г. Ливны</th></tr></thead><tbody><tr><th scope="row">Активны</th>'
        '<td class="num">2 080</td></tr></tbody></table>'
        '<div class="trend-pair"><figure class="figure trend">' + chart + "</figure>"
        '<table class="sferum-table trend-table"><thead><tr><th scope="col">Неделя</th>'
        '<th scope="col">% акт. МО</th></tr></thead><tbody><tr><td>22.01.2024</td>'
        '<td class="num">56,2 %</td></tr></tbody></table></div>'
        "<ul><li>ДОО: выгрузки от 80 из 80</li><li>ОО: от <strong>10</strong> из "
        "<em>10</em></li></ul>"
        '<p class="callout warning">Не все прислали выгрузки.</p>'
        '<p class="note">В PDF — <span class="print-count">3</span> из 9 организаций, '
        'все — в <a href="02-g-livny.xlsx">02-g-livny.xlsx</a>.</p>'
    )
    pdf, pages = _pdf(body, footer="Орловская область · г. Ливны · стр. ")
    text = _text(pdf)
    assert pages == 1
    for expected in ("г. Ливны — Орловская область", "Активны 2 080", "22.01.2024 56,2 %",
                     "ДОО: выгрузки от 80 из 80", "ОО: от 10 из 10",
                     "Не все прислали выгрузки.", "В PDF — 3 из 9 организаций",
                     "Орловская область · г. Ливны · стр. 1 из 1"):
        assert expected in text, expected
    assert "Все недели" not in text  # the site's navigation is not printed
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Страница"
    assert "/CreationDate" not in reader.metadata  # same page, same bytes
    links = [a.get_object()["/A"]["/URI"] for a in reader.pages[0]["/Annots"]]
    assert links == ["02-g-livny.xlsx"]


def test_a_long_table_runs_over_pages_with_its_header_and_numbered_pages():
    rows = "".join(f'<tr><th scope="row">ДС № {i:03d}</th><td class="num">{i}</td></tr>'
                   for i in range(150))
    pdf, pages = _pdf('<table class="sferum-table orgs"><thead><tr><th scope="col">'
                      'Организация</th><th scope="col">Тип</th></tr></thead><tbody>'
                      f"{rows}</tbody></table>")
    assert pages == len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2
    per_page = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert all("Организация" in p for p in per_page)  # the header is repeated
    assert f"стр. {pages} из {pages}" in " ".join(per_page[-1].split())
    text = _text(pdf)
    assert all(f"ДС № {i:03d}" in text for i in range(150))


def test_the_same_page_gives_the_same_bytes():
    import typst

    body = "<h1>Один</h1><p>Текст</p>"
    first = _pdf(body)[0]
    _pdf("<h1>Другая страница</h1>")
    assert _pdf(body)[0] == first  # the process's compiler keeps nothing of other pages
    source = typeset.to_typst(site.page_html("Страница", body, footer="стр. "),
                              title="Страница", footer="стр. ")
    assert typst.compile(source.encode("utf-8"), format="pdf") \
        == typeset.pdf(source)[0]  # the same bytes as a fresh compiler's


def test_an_element_without_a_print_form_stops_the_pdf():
    with pytest.raises(PublishError, match="<video>"):
        _pdf("<h1>Страница</h1><video></video>")


def test_a_chart_is_an_svg_image_with_its_title_as_alternative_text():
    chart = svg.line_chart([svg.Line([10, None, 30])], label='ДОО: "динамика"')
    source = typeset.to_typst(site.page_html("С", f"<figure>{chart}</figure>"), title="С",
                              footer="")
    # the parser's lower-case attribute names are given back their SVG case
    assert "viewBox=" in source and "viewbox=" not in source
    assert 'alt: "ДОО: \\"динамика\\""' in source
    assert typeset.pdf(source)[1] == 1


def test_long_words_stay_in_their_cells():
    """A name without spaces breaks anywhere; the findings' column hyphenates (a black-box
    check found «Зарегистрировано» running over the next column)."""
    token = "МБОУ«СредняяОбщеобразовательнаяШколаИмениПушкина»№1"
    assert typeset._breakable(f"{token} г. Орла") == "\u200b".join(token) + " г. Орла"
    assert typeset._breakable("Детский сад № 5") == "Детский сад № 5"  # words as they are
    heads = "".join(f'<th scope="col">{i}</th>' for i in range(9))
    cells = (f'<th scope="row">{token}</th><td>ОО</td>' + '<td class="num">1</td>' * 5
             + "<td>есть</td><td>Зарегистрировано больше, чем сотрудников</td>")
    source = typeset.to_typst(site.page_html("С", (
        f'<table class="sferum-table orgs"><thead><tr>{heads}</tr></thead>'
        f"<tbody><tr>{cells}</tr></tbody></table>")), title="С", footer="")
    assert "#show table.cell.where(x: 8): set text(hyphenate: true)" in source
    pdf, pages = typeset.pdf(source)
    text = "".join(_text(pdf).split()).replace("\u200b", "")  # broken over lines
    assert pages == 1 and token in text and "Зарегистрировано" in text.replace("\xad", "")
