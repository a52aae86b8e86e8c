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


# --------------------------------------------------------------------------- the report


def _report_html(body: str, footer: str = "Орловская область · Неделя 2024-01-29 · стр. ",
                 title: str = "Отчёт «Сферум»") -> str:
    """A report page as the nbconvert template writes it: the footer in its @page rule."""
    from sferum_analysis.publish import _css_string

    return ('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
            f"<title>{site._e(title)}</title><style>@page {{ @bottom-center {{ content: "
            f'{_css_string(footer)} counter(page) " из " counter(pages); }} }}</style>'
            f'</head><body><main class="report">{body}</main></body></html>')


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_the_report_takes_its_title_and_footer_from_its_html():
    pdf = typeset.report_pdf(_report_html("<h1>Неделя</h1>", title="ИКОП «Сферум» <черновик>"))
    assert pypdf.PdfReader(io.BytesIO(pdf)).metadata.title == "ИКОП «Сферум» <черновик>"
    assert _pages(pdf)[-1].endswith("Орловская область · Неделя 2024-01-29 · стр. 1 из 1")


def test_the_report_breaks_pages_where_its_cells_say_and_hides_the_screen_links():
    body = ('<div class="cell md"><h2>Сотрудники ДОО</h2><p>Первая страница.</p></div>'
            '<div class="cell md celltag_page-break"><h2>% активности</h2></div>'
            '<div class="cell out"><div class="output-html"><ul class="mo-links"><li>'
            '<a href="mo/01-g-orel.html">г. Орёл</a></li></ul><p class="mo-printed note">'
            "г. Орёл — mo/01-g-orel.pdf</p></div></div>")
    pages = _pages(typeset.report_pdf(_report_html(body)))
    assert len(pages) == 2
    assert "Первая страница." in pages[0] and "% активности" not in pages[0]
    assert "% активности" in pages[1] and "г. Орёл — mo/01-g-orel.pdf" in pages[1]
    assert "01-g-orel.html" not in " ".join(pages)  # the list of links is for the screen


def test_the_report_tables_keep_the_mo_names_on_one_line_and_print_every_mark():
    """A wide table is laid out as a browser would: a МО's name (white-space: nowrap)
    on one line, the headers wrap; total, anomaly and incomplete rows, the changes."""
    names = ["Новодеревеньковский район", "Орловский муниципальный округ *‡", "г. Орёл"]
    heads = ["№", "МО", "% Зарегистрированных воспитателей", "Неделя по 22.01, %",
             "Изменение, п. п.", "Изменение места", "Примечание к строке таблицы"]
    rows = "".join(
        f'<tr class="{css}"><td class="num">{i}</td>'
        f'<td style="white-space:nowrap">{name}</td><td class="num">9{i},5</td>'
        f'<td class="num">8{i},0</td><td class="num delta-up">▲ +1{i},5</td>'
        f'<td class="num delta-down">▼ {i}</td><td>неполный охват выгрузками</td></tr>'
        for i, (css, name) in enumerate(zip(("", "incomplete", "anomaly"), names, strict=True),
                                      start=1))
    rows += ('<tr class="total"><td></td><td style="white-space:nowrap">Среднее значение по '
             'региону</td><td class="num">90,2</td><td class="num">87,1</td>'
             '<td class="num">▲ +3,1</td><td></td><td></td></tr>')
    table = ('<div class="table-scroll"><table class="dataframe sferum-table"><thead><tr>'
             + "".join(f'<th scope="col">{h}</th>' for h in heads)
             + f"</tr></thead><tbody>{rows}</tbody></table></div>")
    source, files = typeset.report_typst(_report_html(table))
    assert files == {}
    assert 'table.hline(y: 4, stroke: 1.5pt + rgb("#7a8796"))' in source  # above the total
    assert 'fill: rgb("#fff3cd")' in source and 'fill: rgb("#fbe3e3")' in source
    lines = pypdf.PdfReader(io.BytesIO(typeset.pdf(source, files)[0])).pages[0] \
        .extract_text().splitlines()
    for name in (*names, "Среднее значение по региону"):
        assert any(name in line for line in lines), (name, lines)
    text = " ".join(" ".join(lines).split())
    assert "▲ +11,5" in text and "▼ 3" in text and "неполный охват выгрузками" in text


def test_the_report_charts_are_its_pngs_at_their_size_with_alternative_text():
    import base64

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2), dpi=100)
    ax.bar(["a", "b"], [1, 2])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    png = buffer.getvalue()
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    source, files = typeset.report_typst(_report_html(
        f'<figure class="figure"><img src="{src}" alt="Диаграмма «ДОО»" width="400" '
        'height="200"></figure>'))
    assert list(files.values()) == [png]
    assert 'width: 300.00pt, alt: "Диаграмма «ДОО»"' in source  # 400 CSS px = 300 pt
    images = [i for p in pypdf.PdfReader(io.BytesIO(typeset.pdf(source, files)[0])).pages
              for i in p.images]
    assert [i.image.size for i in images] == [(400, 200)]  # every pixel kept
    with pytest.raises(PublishError, match="не встроено"):
        typeset.report_typst(_report_html('<img src="http://127.0.0.1:9/a.png" alt="x">'))


def test_an_element_without_a_print_form_in_the_report_is_unprintable():
    with pytest.raises(typeset.Unprintable, match="<details>"):
        typeset.report_typst(_report_html("<details><summary>Ещё</summary>текст</details>"))


def test_the_report_prints_what_markdown_cells_are_made_of():
    """What markdown gives (and a few inline elements) has a print form: no WeasyPrint."""
    body = ('<div class="cell md"><p>Площадь м<sup>2</sup>, H<sub>2</sub>O, <s>было</s>, '
            "<u>важно</u>, <small>мелко</small>, <i>курсив</i>, <code>quality.csv</code>"
            "</p><pre>строка 1\n  строка 2</pre><hr><blockquote><p>Цитата</p></blockquote>"
            "<ol><li>первый<ul><li>вложенный</li></ul></li></ol>"
            '<div class="callout danger">Ошибка</div></div>')
    text = " ".join(_pages(typeset.report_pdf(_report_html(body))))
    for expected in ("quality.csv", "строка 1", "строка 2", "Цитата", "первый", "вложенный",
                     "Ошибка", "курсив", "мелко"):
        assert expected in text, expected


def test_file_names_and_hyphenated_names_stay_searchable_in_the_pdf():
    """Zero-width spaces go only into runs without a space or a hyphen (a black-box check
    could not find «6534096-po-uchitelyam.xlsx» in the PDF by search)."""
    names = ["6534096-po-uchitelyam.xlsx", "Городской округ Верхнеуральск-Северо-Западный",
             "2024-01-29/mo/01-gorodskoy-okrug-verkhneuralsk.pdf"]
    for name in names:
        assert typeset._breakable(name) == name
    text = " ".join(_pages(typeset.report_pdf(_report_html(
        "".join(f"<p>{n}</p>" for n in names)))))
    assert "\u200b" not in text and all(n in text for n in names)


def test_a_table_row_is_never_split_over_two_pages():
    rows = "".join(f"<tr><td>начало {i}</td><td>{'слово ' * (40 + 37 * (i % 5))}конец {i}"
                   "</td></tr>" for i in range(40))
    pages = _pages(typeset.report_pdf(_report_html(
        f'<table class="dataframe sferum-table"><thead><tr><th>А</th><th>Б</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>")))
    assert len(pages) >= 2
    for i in range(40):
        assert [f"начало {i} " in p + " " for p in pages] == [f"конец {i} " in p + " "
                                                             for p in pages], i


def test_an_intro_stays_on_the_page_of_its_table_and_a_callout_has_no_indent():
    """A heading and the note under it at the foot of a page, their table on the next
    (a black-box check): the note sticks to its table, wherever the page ends."""
    def body(lines: int) -> str:
        filler = "".join(f"<p>{'Текст абзаца. ' * 30}</p>" for _ in range(9))
        return (f'<div class="cell md">{filler}{"<p>Строка.</p>" * lines}</div>'
                '<div class="cell out"><div class="output-html"><h3>Учёт строк</h3>'
                '<p class="note">Вступление к таблице.</p><div class="table-scroll">'
                '<table class="dataframe sferum-table"><thead><tr><th>Файлов</th></tr>'
                "</thead><tbody><tr><td>119</td></tr></tbody></table></div></div></div>"
                '<div class="cell md"><div class="callout">\nКак читать раздел.</div></div>')

    source, files = typeset.report_typst(_report_html(body(0)))
    assert '#callout(kind: "")[#"Как читать раздел."]' in source
    for lines in range(8):  # the page ends at each place around the note in turn
        for page in _pages(typeset.report_pdf(_report_html(body(lines)))):
            assert ("Вступление к таблице." in page) == ("Файлов 119" in page), lines


def test_long_names_share_a_wide_table_with_its_headers():
    """A МО's name that does not wrap may not take the columns' room: a name longer than
    NOWRAP_SHARE of the text width wraps at its spaces and hyphens, and every header
    keeps room for HEADER_WORD characters (a black-box check saw headers overprint)."""
    from bs4 import BeautifulSoup

    heads = ["№ п/п", "МО", "Зарегистрировано участников", "Активные", "% Активности",
             "Неделя по 04.03, %", "Изменение, п. п."]
    row = ('<tr><td class="num">1</td><td style="white-space:nowrap">Городской округ '
           'Верхнеуральск-Северо-Западный *</td>' + '<td class="num">103</td>' * 5 + "</tr>")
    table = BeautifulSoup('<table><thead><tr>' + "".join(f"<th>{h}</th>" for h in heads)
                          + f"</tr></thead><tbody>{row}</tbody></table>", "html.parser")
    widths = [float(w.strip()[:-2]) for w in
              typeset._auto_widths(table.table, 7, fill=False).strip("()").split(",")]
    assert sum(widths) <= typeset.TEXT_WIDTH_PT + 7
    assert widths[1] <= typeset.NOWRAP_SHARE * typeset.TEXT_WIDTH_PT
    import re

    for width, head in zip(widths, heads, strict=True):  # its longest word, or HEADER_WORD
        word = max(len(w) for w in re.split(r"[\s/-]+", head) if w)
        assert width >= min(word, typeset.HEADER_WORD) * typeset._CHAR_PT, (head, width)


def test_a_row_of_a_mo_page_is_never_split_over_two_pages():
    """The МО's PDF goes to the municipality: a row split over two pages (a black-box
    check found one) is not printed."""
    heads = "".join(f'<th scope="col">{h}</th>' for h in range(9))
    rows = "".join(
        f'<tr><th scope="row">начало {i}</th><td>ДОО</td>' + '<td class="num">1</td>' * 5
        + f"<td>есть</td><td>{'замечание ' * (6 + 9 * (i % 4))}конец {i}</td></tr>"
        for i in range(30))
    pdf, pages = _pdf(f'<table class="sferum-table orgs"><thead><tr>{heads}</tr></thead>'
                      f"<tbody>{rows}</tbody></table>")
    texts = [" ".join(p.extract_text().split()) + " " for p in
             pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert pages >= 2
    for i in range(30):
        assert [f"начало {i} " in t for t in texts] == [f"конец {i} " in t for t in texts], i


def test_only_long_header_words_hyphenate():
    """«Фай-лов», «Стро-ка» in a table with room to spare (a black-box check): a header
    hyphenates only when it has a word longer than HEADER_WORD."""
    source, _ = typeset.report_typst(_report_html(
        '<table class="dataframe sferum-table"><thead><tr><th>Файлов</th><th>Строка</th>'
        "<th>Зарегистрировано участников</th></tr></thead><tbody><tr><td>1</td><td>2</td>"
        "<td>3</td></tr></tbody></table>"))
    header = source[source.index("table.header("):source.index("table.cell(align: left")]
    assert header.count("hyphenate: true") == 1
    assert '[#text(hyphenate: true)[#"Зарегистрировано участников"]]' in header
