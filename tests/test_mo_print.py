"""A МО's PDF (issue 12: "a one- or two-page A4 PDF per МО"): a long list of
organisations is printed as the organisations to call first; the page on the site keeps
them all. Orders and counts below are worked out by hand from the frames."""

from __future__ import annotations

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from sferum_analysis import site
from sferum_analysis.report import mo_page


def _orgs(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["org_id", "org_name", "org_type", "status", "stale",
                                        "staff_total", "registered", "active"])
    frame["mo"] = "г. Ливны"
    frame["last_date"] = "2024-01-22"
    return frame


ORGS = _orgs([
    # id, name, type, status, stale, staff, registered, active
    ("1", "ДС «А»", "ДОО", "reported", False, 10, 10, 5),   # 50 % active
    ("2", "ДС «Б»", "ДОО", "reported", False, 10, 8, 2),    # 25 %, 80 % registered
    ("3", "ДС «В»", "ДОО", "missing", False, 12, 0, 0),     # no export: first
    ("4", "ДС «Г»", "ДОО", "reported", True, 10, 10, 9),    # stale: after the missing one
    ("5", "ДС «Д»", "ДОО", "reported", False, 10, 0, 0),    # none registered: first of the rest
    ("6", "Школа № 1", "ОО", "reported", False, 20, 20, 5),  # 25 %, all registered
    ("7", "ДС «Е»", "ДОО", "reported", False, 10, 4, 1),    # 25 %, 40 % registered
])


def test_the_organisations_to_call_first_come_first():
    table = mo_page.org_table(ORGS, pd.DataFrame(), "г. Ливны", ["ДОО", "ОО"])
    # the table's own order: type, then name
    assert list(table.iloc[:, 0]) == ["ДС «А»", "ДС «Б»", "ДС «В»", "ДС «Г»", "ДС «Д»",
                                      "ДС «Е»", "Школа № 1"]
    order = mo_page.attention_order(ORGS, "г. Ливны", ["ДОО", "ОО"])
    names = [table.iloc[i, 0] for i in order]
    # missing; stale; none registered; 25 % active with 40 % registered, with 80 %,
    # with 100 %; 50 %
    assert names == ["ДС «В»", "ДС «Г»", "ДС «Д»", "ДС «Е»", "ДС «Б»", "Школа № 1", "ДС «А»"]


def test_organisations_with_numbers_are_listed_by_the_numbers_value():
    """«№ 6» before «№ 18» before «№ 30» (a black-box check saw 18, 30, 6: text order)."""
    orgs = _orgs([(str(i), f"МБДОУ «Детский сад № {n}»", "ДОО", "missing", False, 10, 0, 0)
                  for i, n in enumerate((18, 30, 6, 102), start=1)])
    table = mo_page.org_table(orgs, pd.DataFrame(), "г. Ливны", ["ДОО", "ОО"])
    assert [name.split("№ ")[1] for name in table.iloc[:, 0]] == ["6»", "18»", "30»", "102»"]
    # the report's list of organisations without an export is in the same order
    from sferum_analysis.report.tables import _sorted_orgs

    listed = _sorted_orgs(orgs.assign(mo_order=0))["org_name"]
    assert [name.split("№ ")[1] for name in listed] == ["6»", "18»", "30»", "102»"]


def test_a_stale_export_is_named_with_its_last_date_after_the_missing_ones():
    """As the run computes it (steps.metrics_step): an export is stale when the file has no
    row of the reporting date and its dates end before it (status no_data_for_date)."""
    orgs = _orgs([
        ("1", "ДС «А»", "ДОО", "no_data_for_date", True, 10, 0, 0),    # an old file
        ("2", "ДС «Б»", "ДОО", "missing_export", False, 10, 0, 0),     # no file
        ("3", "ДС «В»", "ДОО", "no_data_for_date", False, 10, 0, 0),   # no row of the date
        ("4", "ДС «Г»", "ДОО", "reported", False, 10, 5, 1),
    ])
    table = mo_page.org_table(orgs, pd.DataFrame(), "г. Ливны", ["ДОО"])
    assert list(table.iloc[:, 7]) == ["устаревшая (последняя дата 22.01.2024)",
                                      "нет файла выгрузки",
                                      "в выгрузке нет строк за отчётную дату", "есть"]
    order = mo_page.attention_order(orgs, "г. Ливны", ["ДОО"])
    assert [table.iloc[i, 0] for i in order] == ["ДС «Б»", "ДС «В»", "ДС «А»", "ДС «Г»"]


def _page(n: int) -> str:
    rows = [(str(i), f"ДС № {i:02d}", "ДОО", "reported", False, 10, 10, i % 10)
            for i in range(n)]
    table = mo_page.org_table(_orgs(rows), pd.DataFrame(), "г. Ливны", ["ДОО"])
    shown = mo_page.attention_order(_orgs(rows), "г. Ливны", ["ДОО"])[:mo_page.PRINT_ORG_ROWS]
    body = mo_page._orgs_html(table, shown if n > mo_page.PRINT_ORG_ROWS else None,
                              xlsx="02-g-livny.xlsx")
    return site.page_html("Ливны", body, footer="Ливны · стр. ")


def test_a_short_list_is_printed_whole():
    text = _page(mo_page.PRINT_ORG_ROWS)
    assert site.print_html(text) == text
    assert len(BeautifulSoup(text, "html.parser").select("table.orgs tbody tr")) \
        == mo_page.PRINT_ORG_ROWS


def test_a_long_list_is_whole_on_screen_and_short_on_paper():
    text = _page(40)
    page = BeautifulSoup(text, "html.parser")
    assert len(page.select(".screen-only table.orgs tbody tr")) == 40
    printed = BeautifulSoup(site.print_html(text), "html.parser")
    assert not printed.select(".screen-only")
    rows = printed.select("table.orgs tbody tr")
    assert len(rows) == mo_page.PRINT_ORG_ROWS == 15
    # active i % 10 of 10 registered: the four with 0, the four with 1, ... in name order
    assert [r.th.get_text() for r in rows][:5] == ["ДС № 00", "ДС № 10", "ДС № 20",
                                                   "ДС № 30", "ДС № 01"]
    note = printed.select_one(".print-only p.note").get_text()
    assert note.startswith("В PDF — 15 из 40 организаций МО") and "02-g-livny.xlsx" in note
    # fewer rows when they do not fit: the count follows
    shorter = BeautifulSoup(site.print_html(text, 6), "html.parser")
    assert [r.th.get_text() for r in shorter.select("table.orgs tbody tr")] \
        == [r.th.get_text() for r in rows][:6]
    assert shorter.select_one(".print-only p.note").get_text().startswith("В PDF — 6 из 40")


@pytest.mark.slow
def test_the_pdf_keeps_to_its_pages_with_fewer_organisations(tmp_path, monkeypatch):
    import json

    import pypdf

    text = _page(40)
    executed = tmp_path / "mo.ipynb"
    body = text.split('<main class="report">\n', 1)[1].rsplit("\n</main>", 1)[0]
    executed.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {},
                                               "outputs": [{"output_type": "display_data",
                                                            "data": {"text/html": body}}]}]}),
                        encoding="utf-8")
    html, pdf = site.publish_mo_page(executed, tmp_path, "02-g-livny", title="Ливны",
                                     footer="Ливны · стр. ")
    assert len(pypdf.PdfReader(pdf).pages) == 1  # 15 short rows fit one page
    monkeypatch.setattr(site, "PRINT_PAGES", 0)  # nothing fits: down to one organisation
    html, pdf = site.publish_mo_page(executed, tmp_path, "02-g-livny", title="Ливны",
                                     footer="Ливны · стр. ")
    printed = "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert "В PDF — 1 из 40" in " ".join(printed.split())
    assert "ДС № 00" in printed and "ДС № 10" not in printed
    assert len(BeautifulSoup(html.read_text("utf-8"), "html.parser").select(
        ".screen-only table.orgs tbody tr")) == 40  # the page itself is whole
