"""The published week: report tables and charts (the report package), HTML, PDF and XLSX of a run.

Fast tests build tiny metrics by hand and check the builders. Slow tests copy the sample
data (``data/raw``; ``SFERUM_SAMPLE_RAW`` may point elsewhere: the registry and the three
latest weeks) into a temporary folder, run ``sferum run`` for the sample week once per
module (it processes the two earlier weeks first: week over week and trends) and read
the published HTML (BeautifulSoup), PDF (pypdf) and XLSX (openpyxl).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import struct
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from test_html_browser import browser, open_page  # noqa: F401  (browser: module fixture)

from sferum_analysis import municipalities
from sferum_analysis import report as rp
from sferum_analysis.findings import Finding, to_frame
from sferum_analysis.metrics import ActiveRule, mo_metrics, with_previous

REPO = Path(__file__).resolve().parents[1]
WEEK = "2024-01-29"
PREVIOUS = "2024-01-22"
NAMES = municipalities.canonical_names()
NNBSP = "\u202f"  # thousands separator
NBSP = "\u00a0"


# ============================================================================ fast: builders
def _orgs() -> pd.DataFrame:
    """ДОО in three МО (one with a missing export, one over its register) and one school."""
    rows = [
        # org_id, org_name, mo, org_type, staff_total, registered, active, status
        ("11", "ДС №1", "г. Орёл", "ДОО", 10, 9, 3, "reported"),
        ("21", "ДС Ливны", "г. Ливны", "ДОО", 4, 5, 5, "reported"),
        ("31", "ДС Болхов", "Болховский район", "ДОО", 6, 6, 0, "reported"),
        ("32", "ДС Болхов-2", "Болховский район", "ДОО", 4, 0, 0, "missing_export"),
        ("41", "СОШ Мценск", "г. Мценск", "ОО", 3, 2, 1, "reported"),
        ("42", "СОШ Урицк", "Урицкий район", "ОО", 1000, 999, 998, "reported"),
    ]
    frame = pd.DataFrame(rows, columns=["org_id", "org_name", "mo", "org_type", "staff_total",
                                        "registered", "active", "status"])
    frame["mo_order"] = frame["mo"].map(municipalities.order_of())
    return frame


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    return mo_metrics(_orgs())


def test_ranked_table_registered(tiny):
    table = rp.ranked_table(tiny, "registered")
    assert list(table.columns) == ["№", "МО", "% Зарегистрированных воспитателей",
                                   "Примечание", rp.ROW_CLASS]
    assert len(table) == 28
    # 5/4 = 125 %, 9/10 = 90 %, 6/10 = 60 %; then the 24 МО without ДОО, canonical, no №
    assert table["МО"].tolist()[:3] == ["г. Ливны", "г. Орёл", "Болховский район"]
    assert table["№"].tolist()[:3] == [1, 2, 3]
    assert table["% Зарегистрированных воспитателей"].tolist()[:3] == [125.0, 90.0, 60.0]
    rest = table.iloc[3:27]
    assert rest["№"].isna().all() and rest["% Зарегистрированных воспитателей"].isna().all()
    assert rest["МО"].tolist() == [n for n in NAMES
                                   if n not in ("г. Ливны", "г. Орёл", "Болховский район")]
    last = table.iloc[-1]
    assert last["МО"] == "Среднее значение по региону" and pd.isna(last["№"])
    assert last["% Зарегистрированных воспитателей"] == 83.3  # pooled: 20 / 24
    assert last[rp.ROW_CLASS] == "total"
    classes = dict(zip(table["МО"], table[rp.ROW_CLASS], strict=True))
    assert classes["г. Ливны"] == "anomaly"
    assert classes["Болховский район"] == "incomplete"
    assert classes["г. Орёл"] == ""
    notes = dict(zip(table["МО"], table["Примечание"], strict=True))
    assert notes["Болховский район"] == "неполный охват: выгрузки от 1 из 2 организаций"
    assert notes["г. Ливны"] == "зарегистрировано больше, чем по реестру: 5 при 4 по реестру"


def test_ranked_table_active(tiny):
    table = rp.ranked_table(tiny, "active")
    assert list(table.columns)[:3] == ["№", "МО", "% Активности воспитателей"]
    assert table["МО"].tolist()[:3] == ["г. Ливны", "г. Орёл", "Болховский район"]
    assert table["% Активности воспитателей"].tolist()[:3] == [100.0, 33.3, 0.0]
    assert table.iloc[-1]["% Активности воспитателей"] == 40.0  # 8 / 20
    with pytest.raises(ValueError):
        rp.ranked_table(tiny, "staff")


def test_district_table(tiny):
    table = rp.district_table(tiny)
    assert list(table.columns)[:5] == ["№ п/п", "МО", "Зарегистрировано участников",
                                       "Активные", "% Активности"]
    assert table["МО"].tolist() == [*NAMES, "Итого по региону"]
    assert table["№ п/п"].tolist()[:27] == list(range(1, 28))
    mtsensk = table[table["МО"] == "г. Мценск"].iloc[0]
    assert (mtsensk["Зарегистрировано участников"], mtsensk["Активные"],
            mtsensk["% Активности"]) == (2, 1, 50.0)
    total = table.iloc[-1]
    assert (total["Зарегистрировано участников"], total["Активные"]) == (1001, 999)
    assert total["% Активности"] == 99.8 and total[rp.ROW_CLASS] == "total"


def test_headline_table_and_html(tiny):
    table = rp.headline_table(tiny)
    assert table["Человек"].tolist() == [24, 20, 8]
    assert table["%"].tolist()[1:] == [83.3, 40.0]
    text = BeautifulSoup(rp.headline_html(tiny), "html.parser").get_text(" ")
    assert f"83,3{NBSP}%" in text and f"40,0{NBSP}%" in text
    big = rp.headline_html(mo_metrics(_orgs().assign(
        staff_total=lambda d: d["staff_total"] * 1000,
        registered=lambda d: d["registered"] * 1000, active=lambda d: d["active"] * 1000)))
    assert f"20{NNBSP}000" in big and f"24{NNBSP}000" in big


def test_table_html_formats_marks_and_classes(tiny):
    table = rp.ranked_table(tiny, "registered")
    soup = BeautifulSoup(rp.table_html(table), "html.parser")
    assert [th.get_text() for th in soup.select("thead th")] == [
        "№", "МО", "% Зарегистрированных воспитателей"]  # the note column is XLSX only
    rows = soup.select("tbody tr")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in rows]
    assert cells[0] == ["1", f"г. Ливны{NBSP}†", "125,0"]
    assert cells[2] == ["3", f"Болховский район{NBSP}*", "60,0"]
    assert cells[3] == ["", "г. Мценск", "—"]
    assert cells[-1] == ["", "Среднее значение по региону", "83,3"]
    assert rows[0]["class"] == ["anomaly"]
    assert rows[2]["class"] == ["incomplete"]
    assert rows[-1]["class"] == ["total"]
    assert not rows[1].get("class")
    notes = BeautifulSoup(rp.footnotes_html(table), "html.parser").find_all("p")
    assert [p.get_text()[0] for p in notes] == ["*", "†"]
    assert "Болховский район — выгрузки от 1 из 2 организаций" in notes[0].get_text()
    assert "г. Ливны — 5 при 4 по реестру" in notes[1].get_text()
    assert rp.footnotes_html(rp.ranked_table(mo_metrics(_orgs().iloc[[0]]), "active")) == ""


def test_counts_use_narrow_no_break_space(tiny):
    html = rp.table_html(rp.district_table(tiny))
    assert f"<td>1{NNBSP}001</td>" in html and "<td>999</td>" in html


def test_missing_type_gives_dashes_not_errors():
    only_schools = mo_metrics(_orgs().query("org_type == 'ОО'"))
    table = rp.ranked_table(only_schools, "registered")
    assert len(table) == 28 and table["% Зарегистрированных воспитателей"].isna().all()
    assert "—" in rp.headline_html(only_schools)


def _earlier() -> pd.DataFrame:
    """The previous week of ``_orgs``: г. Орёл had 8 registered and 4 active."""
    earlier = _orgs()
    earlier.loc[earlier["org_id"] == "11", ["registered", "active"]] = [8, 4]
    return mo_metrics(earlier)


@pytest.fixture(scope="module")
def compared(tiny) -> pd.DataFrame:
    return with_previous(tiny, _earlier())


def test_ranked_table_with_previous_week(compared):
    table = rp.ranked_table(compared, "registered", prev_week=PREVIOUS)
    assert list(table.columns)[:6] == ["№", "МО", "% Зарегистрированных воспитателей",
                                       "Неделя по 22.01, %", "Изменение, п.\u00a0п.",
                                       "Изменение места"]
    orel = table[table["МО"] == "г. Орёл"].iloc[0]
    # 8/10 -> 9/10: +10,0; the rank: 2nd both weeks (Ливны 125 % first)
    assert orel.iloc[2:6].tolist() == [90.0, 80.0, 10.0, 0]
    active = rp.ranked_table(compared, "active", prev_week=PREVIOUS)
    orel = active[active["МО"] == "г. Орёл"].iloc[0]
    # 4/8 = 50,0 -> 3/9 = 33,3: exact change −16,7; Болхов (0 %) stays 3rd
    assert orel.iloc[2:6].tolist() == [33.3, 50.0, -16.7, 0]
    region = active.iloc[-1]
    assert region["МО"] == rp.REGION_MEAN and pd.isna(region["Изменение места"])
    assert region["Неделя по 22.01, %"] == 47.4  # 9 / 19
    soup = BeautifulSoup(rp.table_html(active), "html.parser")
    cells = soup.select("tbody tr")[1].find_all("td")
    assert [c.get_text() for c in cells] == ["2", "г. Орёл", "33,3", "50,0",
                                             "\u25bc\u00a0\u221216,7", "0"]
    assert cells[4]["class"] == ["num", "delta-down"]
    # without a previous week (or without its values): the seed's columns only
    assert list(rp.ranked_table(compared, "registered").columns)[:3] == [
        "№", "МО", "% Зарегистрированных воспитателей"]
    assert "Изменение места" not in rp.ranked_table(with_previous(compared, None), "active",
                                                    prev_week=PREVIOUS).columns


def test_rank_change_and_delta_texts():
    assert rp.delta_text(1.5) == "\u25b2\u00a0+1,5"
    assert rp.delta_text(-0.3) == "\u25bc\u00a0\u22120,3"
    assert rp.delta_text(0.0) == "0,0" and rp.delta_text(pd.NA) == "—"
    assert rp.rank_change_text(2) == "\u25b2\u00a02"
    assert rp.rank_change_text(-1) == "\u25bc\u00a01"
    assert rp.rank_change_text(0) == "0" and rp.rank_change_text(pd.NA) == ""
    frame = pd.DataFrame({"МО": ["a", "b"], "Изменение места": pd.array([3, -2], "Int64"),
                          rp.ROW_CLASS: ["", ""]})
    soup = BeautifulSoup(rp.table_html(frame), "html.parser")
    assert [td["class"] for td in soup.select("td:nth-of-type(2)")] == [
        ["num", "delta-up"], ["num", "delta-down"]]


def test_district_table_with_previous_week(compared):
    table = rp.district_table(compared, prev_week=PREVIOUS)
    assert list(table.columns)[:7] == ["№ п/п", "МО", "Зарегистрировано участников",
                                       "Активные", "% Активности", "Неделя по 22.01, %",
                                       "Изменение, п.\u00a0п."]
    total = table.iloc[-1]
    assert (total["Неделя по 22.01, %"], total["Изменение, п.\u00a0п."]) == (99.8, 0.0)


def test_target_marks_municipalities_below(tiny):
    table = rp.ranked_table(tiny, "active", target=50.0)
    gaps = dict(zip(table["МО"], table["До цели, п.\u00a0п."], strict=True))
    assert gaps["г. Орёл"] == -16.7 and gaps["Болховский район"] == -50.0
    assert pd.isna(gaps["г. Ливны"]) and pd.isna(gaps["г. Мценск"])  # 100 %; no value
    assert gaps[rp.REGION_MEAN] == -10.0
    assert rp.below_target(tiny, 50.0) == ["г. Орёл", "Болховский район"]
    assert rp.below_target(tiny, None) == []
    assert "До цели, п.\u00a0п." not in rp.ranked_table(tiny, "registered", target=50.0)
    html = rp.table_html(table)
    assert '<td class="num delta-down">\u221216,7</td>' in html
    fig = rp.ranked_chart(table, title="t", region_value=40.0, target=50.0)
    red = {t.get_text() for t in fig.axes[0].get_yticklabels()
           if t.get_color() == rp.COLOR_BELOW}
    assert red == {"г. Орёл", "Болховский район *"}


def test_target_gap_in_the_schools_table(tiny):
    table = rp.district_table(tiny, target=60.0)
    gaps = dict(zip(table["МО"], table["До цели, п.\u00a0п."], strict=True))
    assert gaps["г. Мценск"] == -10.0  # 1 of 2 active: 50 %
    assert pd.isna(gaps["Урицкий район"]) and pd.isna(gaps[rp.REGION_TOTAL])  # above it
    assert pd.isna(gaps["г. Орёл"])  # no school there: no value, no gap
    assert "До цели, п.\u00a0п." not in rp.district_table(tiny)


def test_headline_shows_the_change(compared):
    text = BeautifulSoup(rp.headline_html(compared, prev_week=PREVIOUS), "html.parser") \
        .get_text(" ")
    assert "к неделе по 22.01.2024" in text and "+4,2" in text  # 19/24 − 18/24
    assert "к неделе" not in BeautifulSoup(rp.headline_html(compared), "html.parser").get_text()


def test_title_names_edition_and_previous_week():
    soup = BeautifulSoup(rp.title_html(WEEK, "internal", PREVIOUS, True), "html.parser")
    assert soup.h1.get_text() == "Использование ИКОП «Сферум» — неделя по 29.01.2024"
    assert "Внутренняя редакция" in soup.p.get_text() and "по 22.01.2024" in soup.p.get_text()
    pending = rp.title_html(WEEK, "ministry", PREVIOUS, False)
    assert "Редакция для министерства" in pending and "ещё не обработана" in pending
    assert "сравнения за неделю нет" in rp.title_html(WEEK, "ministry", None, False)
    with pytest.raises(ValueError):
        rp.title_html(WEEK, "press")


def test_drilldown_table():
    orgs = _orgs().assign(active=lambda d: d["active"].astype("int64"))
    orgs["last_date"] = pd.array([pd.NA] * 6, dtype="string")
    orgs["stale"] = False
    orgs.loc[orgs["org_id"] == "32", ["status", "last_date", "stale"]] = [
        "no_data_for_date", "2024-01-22", True]
    metrics = mo_metrics(orgs)
    findings = to_frame([Finding("identical_counts", "…", "21.csv", 2, org_id="21")])
    table = rp.drilldown_table(orgs, metrics, WEEK, findings=findings)
    rows = table[["МО", "Организация"]].values.tolist()
    # Ливны: padding; Болхов: stale export first, then 0 % (below the region's 40,0 %);
    # Орёл 33,3 % is below 40,0 % too; the schools: 50 % and 99,9 % vs 99,8 % regional
    assert rows == [["г. Орёл", "ДС №1"], ["г. Ливны", "ДС Ливны"],
                    ["г. Мценск", "СОШ Мценск"],
                    ["Болховский район", "ДС Болхов-2"], ["Болховский район", "ДС Болхов"]]
    reasons = dict(zip(table["Организация"], table["Почему в списке"], strict=True))
    assert reasons["ДС Болхов-2"].startswith("выгрузка устарела: последняя дата в файле "
                                             "22.01.2024, а нужна 29.01.2024")
    assert "одинаковое число сообщений" in reasons["ДС Ливны"]
    assert reasons["ДС Болхов"] == ("низкая активность: ниже среднего по региону для ДОО "
                                   f"(40,0{NBSP}%)")
    assert pd.isna(table.set_index("Организация").at["ДС Болхов-2", "% Активности"])
    with_target = rp.drilldown_table(orgs, metrics, WEEK, target=35.0, per_mo=1)
    assert with_target["Организация"].tolist() == ["ДС №1", "ДС Болхов-2", "ДС Болхов"]
    html = rp.drilldown_html(table)
    assert html.count("<h3>") == 4 and "По реестру" not in html
def test_same_rule():
    assert rp.same_rule(ActiveRule(), ActiveRule("any", 3, 3))
    assert rp.same_rule(ActiveRule("quota", 10, 1), ActiveRule("quota", 10, 1))
    assert not rp.same_rule(ActiveRule("quota", 10, 1), ActiveRule("quota", 5, 1))
    assert not rp.same_rule(ActiveRule(), ActiveRule("quota"))
    assert not rp.same_rule(None, ActiveRule())


def test_quality_tables():
    orgs = _orgs()
    findings = to_frame([
        Finding("unknown_org", "ID в имени файла не найден в реестре", "999.csv"),
        Finding("rejected_row", "строка отклонена: пустое ФИО", "11.csv", 7),
        Finding("rejected_row", "строка отклонена: пустое ФИО", "11.csv", 9),
        Finding("missing_export", "нет файла выгрузки: «ДС Болхов-2»", "", org_id="32"),
    ])
    summary = rp.findings_summary_table(findings)
    assert summary[["Код", "Количество"]].values.tolist() == [
        ["unknown_org", 1], ["missing_export", 1], ["rejected_row", 2]]
    assert summary["Уровень"].tolist() == ["ошибка", "предупреждение", "предупреждение"]
    coverage = rp.coverage_table(orgs)
    assert coverage.values[:, :5].tolist() == [["ДОО", 4, 3, 1, 75.0], ["ОО", 2, 2, 0, 100.0],
                                               ["Всего", 6, 5, 1, 83.3]]
    missing = rp.missing_exports_table(orgs)
    assert missing[["МО", "Организация", "Причина"]].values.tolist() == [
        ["Болховский район", "ДС Болхов-2", "нет файла выгрузки"]]
    anomalies = rp.anomalies_table(orgs)
    assert anomalies[["Организация", "Зарегистрировано", "По реестру"]].values.tolist() == [
        ["ДС Ливны", 5, 4]]
    listing = rp.findings_list_table(findings)
    assert list(rp.for_xlsx(listing).columns) == ["Уровень", "Код", "Вид замечания", "Файл",
                                                  "Строка", "Сообщение"]
    assert listing["Строка"].tolist()[1:3] == [7, 9]
    by_mo = rp.coverage_by_mo_table(mo_metrics(orgs))
    assert by_mo[["Тип", "МО", "В реестре", "С выгрузкой"]].values.tolist() == [
        ["ДОО", "Болховский район", 2, 1]]


def test_chart_is_deterministic_png_with_marks(tiny):
    table = rp.ranked_table(tiny, "registered")
    fig = rp.ranked_chart(table, title="t", region_value=83.3, target=95.0)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["г. Ливны †", "г. Орёл", "Болховский район *"]
    assert len(labels) == 27
    bars = ax.patches[:27]
    assert bars[2].get_hatch() == "////" and bars[1].get_hatch() in (None, "")
    assert [round(b.get_width(), 1) for b in bars[:3]] == [125.0, 90.0, 60.0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Среднее значение по региону: 83,3", "Цель: 95,0",
                      "ниже цели (2): МО красным", "* неполный охват выгрузками",
                      "† зарегистрировано больше, чем по реестру"]
    png = rp.figure_png(fig)
    assert png == rp.figure_png(rp.ranked_chart(table, title="t", region_value=83.3,
                                                target=95.0))
    # pHYs says 200 dpi: the template shows the chart at its physical size, sharp
    at = png.index(b"pHYs")
    per_x, per_y, unit = struct.unpack(">IIB", png[at + 4:at + 13])
    assert unit == 1 and round(per_x * 0.0254) == round(per_y * 0.0254) == rp.CHART_DPI


def test_method_note_names_rule_and_target():
    note = rp.method_note_html(WEEK, ActiveRule("quota", 10, 1), target_pct=50)
    assert "не меньше 10 сообщений" in note and "50,0" in note
    assert "23.01.2024" in note and "29.01.2024" in note
    assert "Цель" not in rp.method_note_html(WEEK, ActiveRule())


# ============================================================================ slow: a real run
def _sample_raw() -> Path:
    return Path(os.environ.get("SFERUM_SAMPLE_RAW") or REPO / "data" / "raw")


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(run_cli, root: Path, week: str):
    return run_cli("run", week, "--data-dir", root / "data", "--reports-dir", root / "reports")


@pytest.fixture(scope="module")
def sample(tmp_path_factory, run_cli):
    raw = _sample_raw()
    if not (raw / WEEK).is_dir() or not (raw / "registry").is_dir():
        pytest.skip(f"the sample data {raw}/{WEEK} and {raw}/registry are missing (make sample)")
    root = tmp_path_factory.mktemp("report")
    shutil.copytree(raw / "registry", root / "data" / "raw" / "registry")
    weeks = sorted(p.name for p in raw.iterdir() if p.is_dir() and p.name[:2] == "20"
                   and p.name <= WEEK)[-3:]  # three weeks: week over week and trends
    for week in weeks:
        shutil.copytree(raw / week, root / "data" / "raw" / week)
    res = _run(run_cli, root, WEEK)  # processes the earlier weeks first
    assert res.returncode == 0, res
    assert [line.split()[1] for line in res.stdout.splitlines() if "опубликована" in line] \
        == weeks
    return root


def _out(root: Path) -> Path:
    return root / "reports" / WEEK


def _metrics_csv(root: Path) -> list[dict[str, str]]:
    with (_out(root) / "metrics_mo.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _doo(root: Path) -> dict[str, dict[str, str]]:
    return {r["mo"]: r for r in _metrics_csv(root) if r["org_type"] == "ДОО"}


@pytest.fixture(scope="module")
def soup(sample) -> BeautifulSoup:
    return BeautifulSoup((_out(sample) / f"sferum_{WEEK}.html").read_text("utf-8"),
                         "html.parser")


def _table_after(soup: BeautifulSoup, heading: str):
    h2 = next(h for h in soup.find_all("h2") if h.get_text(strip=True) == heading)
    return h2.find_next("table")


def _rows(table) -> list[list[str]]:
    return [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.select("tbody tr")]


def _pct(value: str) -> str:
    return value.replace(".", ",") if value else "—"


@pytest.mark.slow
def test_published_files(sample):
    out = _out(sample)
    for name in (f"sferum_{WEEK}.html", f"sferum_{WEEK}.pdf", f"sferum_{WEEK}.xlsx",
                 "metrics_mo.csv", "quality.csv", "notebooks/03_report.ipynb"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_html_headings_and_columns_in_contract_order(soup):
    assert soup.find("h1").get_text(strip=True) == (
        "Орловская область: использование ИКОП «Сферум» — неделя по 29.01.2024")
    headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
    expected = ["Сотрудники ДОО в ИКОП «Сферум»", "% зарегистрированных сотрудников",
                "% активности сотрудников", "Активность педагогов в районах",
                "Диаграмма: % зарегистрированных сотрудников",
                "Диаграмма: % активности сотрудников", "Качество данных"]
    assert [h for h in headings if h in expected] == expected
    assert headings.index("Динамика по неделям") < headings.index("Качество данных")
    assert "Приложение. Организации, которым стоит позвонить" not in headings  # ministry
    change = ["Неделя по 22.01, %", "Изменение, п.\u00a0п."]
    columns = {
        "% зарегистрированных сотрудников": ["№", "МО", "% Зарегистрированных воспитателей",
                                             *change, "Изменение места"],
        "% активности сотрудников": ["№", "МО", "% Активности воспитателей", *change,
                                     "Изменение места"],
        "Активность педагогов в районах": ["№ п/п", "МО", "Зарегистрировано участников",
                                           "Активные", "% Активности", *change],
    }
    for heading, titles in columns.items():
        table = _table_after(soup, heading)
        assert [th.get_text(strip=True) for th in table.select("thead th")] == titles
    edition = soup.find("p", class_="edition").get_text(" ", strip=True)
    assert "Редакция для министерства" in edition and "по 22.01.2024" in edition
    text = soup.get_text(" ")
    for forbidden in ("Traceback", "import ", "rp.", "display(", "nan", "NaN", "<NA>"):
        assert forbidden not in text, forbidden
    # two ranked charts, the tile map, the trend lines, the heat-map (three sample weeks:
    # no sustained-activity chart yet)
    assert len(soup.find_all("img")) == 5


@pytest.mark.slow
def test_headline_numbers(sample, soup):
    h2 = next(h for h in soup.find_all("h2") if h.get_text(strip=True).startswith("Сотрудники"))
    text = h2.find_next("table").get_text(" ")
    assert f"3{NNBSP}725" in text and f"90,2{NBSP}%" in text
    assert f"1{NNBSP}254" in text and f"33,7{NBSP}%" in text
    total = _doo(sample)["total"]
    assert (total["registered"], total["active"]) == ("3725", "1254")


@pytest.mark.slow
@pytest.mark.parametrize(("heading", "by", "region"), [
    ("% зарегистрированных сотрудников", "registered", "90,2"),
    ("% активности сотрудников", "active", "33,7"),
])
def test_ranked_tables_follow_metrics(sample, soup, heading, by, region):
    doo = _doo(sample)
    rows = sorted((r for mo, r in doo.items() if mo != "total"),
                  key=lambda r: (r[f"rank_{by}"] == "", int(r[f"rank_{by}"] or 0),
                                 NAMES.index(r["mo"])))
    table = _table_after(soup, heading)
    got = _rows(table)
    assert len(got) == 28
    flagged = _sharp_change_mo(sample, "ДОО")
    assert flagged, "the sample has sharp changes in ДОО"
    for (n, mo, value, before, change, places), r in zip(got[:27], rows, strict=True):
        assert n == r[f"rank_{by}"]
        assert mo.rstrip(f"{NBSP}*†‡") == r["mo"]
        marks = mo[len(r["mo"]):]
        assert value == _pct(r[f"pct_{by}"])
        incomplete = r["coverage_complete"] == "False"
        assert ("*" in marks) == incomplete, mo
        assert ("‡" in marks) == (r["mo"] in flagged), mo
        # week over week: the previous value and the change from metrics_mo.csv
        assert before == _pct(r[f"pct_{by}_prev"])
        delta = r[f"change_{by}_pp"]
        assert change == (rp.delta_text(float(delta)) if delta else "—")
        if r[f"rank_{by}"] and r[f"rank_{by}_prev"]:
            moved = int(r[f"rank_{by}_prev"]) - int(r[f"rank_{by}"])
            assert places == rp.rank_change_text(moved)
    assert got[-1][:3] == ["", "Среднее значение по региону", region]
    assert _pct(doo["total"][f"pct_{by}"]) == region
    trs = table.select("tbody tr")
    assert trs[-1]["class"] == ["total"]
    for tr, r in zip(trs[:27], rows, strict=True):
        assert ("incomplete" in (tr.get("class") or [])) == (r["coverage_complete"] == "False")
    notes = [n.get_text() for n in table.find_all_next("p", class_="note", limit=2)]
    assert notes[0].startswith("\u25b2/\u25bc — изменение к неделе по 22.01.2024")
    assert notes[1].startswith("*")


def _sharp_change_mo(root: Path, org_type: str) -> set[str]:
    """МО of the week's sharp_change findings (their message begins «ДОО, <МО>:»)."""
    with (_out(root) / "quality.csv").open(encoding="utf-8") as f:
        messages = [r["message"] for r in csv.DictReader(f) if r["code"] == "sharp_change"]
    return {m.split(":")[0].split(", ", 1)[1] for m in messages
            if m.startswith(f"{org_type}, ")}


@pytest.mark.slow
def test_district_table_canonical_with_total(sample, soup):
    schools = {r["mo"]: r for r in _metrics_csv(sample) if r["org_type"] == "ОО"}
    table = _table_after(soup, "Активность педагогов в районах")
    got = _rows(table)
    assert [row[1].rstrip(f"{NBSP}*†‡") for row in got] == [*NAMES, "Итого по региону"]
    flagged = _sharp_change_mo(sample, "ОО")
    assert {row[1].rstrip(f"{NBSP}*†‡") for row in got if "‡" in row[1]} == flagged
    assert [row[0] for row in got] == [str(i) for i in range(1, 28)] + [""]
    for row in got:
        r = schools["total" if row[1] == "Итого по региону" else row[1].rstrip(f"{NBSP}*†‡")]
        assert row[2:6] == [f"{int(r['registered']):,}".replace(",", NNBSP),
                            f"{int(r['active']):,}".replace(",", NNBSP), _pct(r["pct_active"]),
                            _pct(r["pct_active_prev"])]
    assert table.select("tbody tr")[-1]["class"] == ["total"]
    exceeded = [r["mo"] for r in schools.values() if r["register_exceeded"] == "True"]
    assert exceeded, "the sample has a school over its register"
    for mo in exceeded:
        row = next(tr for tr in table.select("tbody tr") if tr.find_all("td")[1]
                   .get_text(strip=True).startswith(mo))
        assert "anomaly" in row["class"] and "†" in row.find_all("td")[1].get_text()


@pytest.mark.slow
def test_quality_section(sample, soup):
    h2 = next(h for h in soup.find_all("h2") if h.get_text(strip=True) == "Качество данных")
    section = "".join(str(s) for s in h2.find_all_next())
    text = BeautifulSoup(section, "html.parser").get_text(" ")
    for title in ("Нет выгрузки организации", "Строка отклонена", "Повтор сотрудника",
                  "Зарегистрировано больше, чем сотрудников в реестре",
                  "Файл организации, которой нет в реестре"):
        assert title in text, title
    assert "Организации без выгрузки" in text and "Как читать" in text
    missing = [r for r in _metrics_csv(sample) if r["mo"] != "total"
               and r["coverage_complete"] == "False"]
    assert missing
    for r in missing:
        assert r["mo"] in text


@pytest.mark.slow
def test_every_mo_pdf_takes_two_a4_pages_at_most(sample):
    """Issue 12: a one- or two-page PDF per МО. г. Орёл has 35 organisations: the PDF
    lists those with the lowest % active first, the page on the site all of them."""
    import pypdf

    folder = _out(sample) / "mo"
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == 27
    for pdf in pdfs:
        assert 1 <= len(pypdf.PdfReader(pdf).pages) <= 2, pdf.name
    page = BeautifulSoup((folder / "01-g-orel.html").read_text("utf-8"), "html.parser")

    def rows(selector: str) -> dict[str, float]:
        out = {}
        for tr in page.select(f"{selector} table.orgs tbody tr"):
            cells = [td.get_text(strip=True) for td in tr.find_all("td")]
            out[tr.th.get_text(strip=True)] = float(cells[5].replace(",", "."))  # % актив.
        return out

    everyone, printed = rows(".screen-only"), rows(".print-only")
    assert len(everyone) == 35 and len(printed) == 15 and set(printed) < set(everyone)
    assert max(printed.values()) <= min(v for k, v in everyone.items() if k not in printed)
    text = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(
        folder / "01-g-orel.pdf").pages).split())
    assert "В PDF — 15 из 35 организаций МО" in text  # they fit the two pages
    assert all(name.split("»")[0] in text for name in printed)


@pytest.mark.slow
def test_pdf_a4_text_and_footer(sample):
    import pypdf

    reader = pypdf.PdfReader(_out(sample) / f"sferum_{WEEK}.pdf")
    assert len(reader.pages) >= 5
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in ("Сотрудники ДОО в ИКОП «Сферум»", "% зарегистрированных сотрудников",
                    "Активность педагогов в районах", "Качество данных"):
        assert heading in text, heading
    assert "90,2" in text and "33,7" in text
    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert f"Неделя {WEEK}" in first and f"Неделя {WEEK}" in last
    assert f"стр. {len(reader.pages)} из {len(reader.pages)}" in last.replace("\n", " ")


@pytest.mark.slow
def test_xlsx_sheets_formats_and_values(sample):
    wb = openpyxl.load_workbook(_out(sample) / f"sferum_{WEEK}.xlsx")
    assert wb.sheetnames[:4] == ["Сотрудники ДОО", "% зарегистрированных", "% активности",
                                 "Активность ОО по районам"]
    assert {"Качество данных", "Замечания", "Без выгрузки", "Охват по МО"} <= set(wb.sheetnames)
    doo = _doo(sample)
    for sheet, column, by in (("% зарегистрированных", "% Зарегистрированных воспитателей",
                               "registered"),
                              ("% активности", "% Активности воспитателей", "active")):
        ws = wb[sheet]
        assert "неделя по 29.01.2024" in ws["A1"].value
        assert "изменения — к неделе по 22.01.2024" in ws["A1"].value
        assert [c.value for c in ws[2]] == ["№", "МО", column, "Неделя по 22.01, %",
                                            "Изменение, п.\u00a0п.", "Изменение места",
                                            "Примечание"]
        data = list(ws.iter_rows(min_row=3, values_only=True))
        assert len(data) == 28
        for rank, mo, value, before, change, _places, _note in data[:27]:
            r = doo[mo]
            assert (rank or "") == (int(r[f"rank_{by}"]) if r[f"rank_{by}"] else "")
            assert value == (float(r[f"pct_{by}"]) if r[f"pct_{by}"] else None)
            assert before == (float(r[f"pct_{by}_prev"]) if r[f"pct_{by}_prev"] else None)
            assert change == (float(r[f"change_{by}_pp"]) if r[f"change_{by}_pp"] else None)
        assert data[-1][1] == "Среднее значение по региону"
        assert data[-1][2] == float(doo["total"][f"pct_{by}"])
        for row in ws.iter_rows(min_row=3, min_col=3, max_col=3):
            if row[0].value is not None:
                assert row[0].number_format == "0.0"
    head = wb["Сотрудники ДОО"]
    values = list(head.iter_rows(min_row=3, values_only=True))
    assert (values[1][1], values[1][2], values[2][1], values[2][2]) == (3725, 90.2, 1254, 33.7)
    assert head["C4"].number_format == "0.0"
    schools = {r["mo"]: r for r in _metrics_csv(sample) if r["org_type"] == "ОО"}
    district = wb["Активность ОО по районам"].iter_rows(min_row=3, max_row=29, values_only=True)
    for i, (n, mo, registered, active, pct, _before, _change, _note) in enumerate(district,
                                                                                 start=1):
        assert (n, mo) == (i, NAMES[i - 1])
        r = schools[mo]
        assert (registered, active) == (int(r["registered"]), int(r["active"]))
        assert pct == (float(r["pct_active"]) if r["pct_active"] else None)
    findings = wb["Замечания"]
    assert [c.value for c in findings[2]] == ["Уровень", "Код", "Вид замечания", "Файл",
                                              "Строка", "Сообщение"]
    with (_out(sample) / "quality.csv").open(encoding="utf-8") as fh:
        assert findings.max_row - 2 == sum(1 for _ in fh) - 1


def _normalise(text: str) -> str:
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def _xlsx_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)


@pytest.mark.slow
def test_no_person_names_anywhere(sample):
    import pypdf

    from sferum_analysis.storage import read_parquet

    persons = read_parquet(sample / "data" / "processed" / WEEK / "persons.parquet")
    names = {_normalise(n) for n in persons["full_name"] if len(_normalise(n)) >= 5}
    assert len(names) > 1000
    out = _out(sample)
    html = (out / f"sferum_{WEEK}.html").read_text("utf-8")
    texts = {
        "html": html + "\n" + BeautifulSoup(html, "html.parser").get_text(" "),
        "pdf": "\n".join(p.extract_text() for p in pypdf.PdfReader(out / f"sferum_{WEEK}.pdf")
                         .pages),
        "xlsx": _xlsx_text(out / f"sferum_{WEEK}.xlsx"),
        "metrics_mo.csv": (out / "metrics_mo.csv").read_text("utf-8"),
        "quality.csv": (out / "quality.csv").read_text("utf-8"),
    }
    for where, text in texts.items():
        haystack = _normalise(text)
        found = sorted(n for n in names if n in haystack)
        assert not found, f"names of people in {where}: {found[:5]}"
    # the executed report notebook in reports/ holds no names either
    notebook = _normalise((out / "notebooks" / "03_report.ipynb").read_text("utf-8"))
    assert not [n for n in names if n in notebook]


@pytest.mark.slow
def test_failed_publication_keeps_the_good_report(sample, tmp_path, monkeypatch, capsys):
    from sferum_analysis import cli, pipeline, publish

    root = tmp_path / "copy"
    shutil.copytree(sample / "data", root / "data")
    shutil.copytree(sample / "reports", root / "reports")
    before = _hashes(root / "reports" / WEEK)
    processed_before = _hashes(root / "data" / "processed" / WEEK)

    def broken(*_args, **_kwargs):
        raise OSError("диск переполнен")

    monkeypatch.setattr(publish, "html_to_pdf", broken)
    monkeypatch.setattr(pipeline._Publisher, "inline", True)  # render here, not in workers
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    code = cli.main(["run", WEEK, "--data-dir", str(root / "data"),
                     "--reports-dir", str(root / "reports")])
    err = capsys.readouterr().err
    assert code == 1
    assert "публикация отчёта" in err and "диск переполнен" in err and "Traceback" not in err
    assert _hashes(root / "reports" / WEEK) == before
    assert _hashes(root / "data" / "processed" / WEEK) == processed_before
    failed = root / "reports" / "failed" / WEEK
    assert (failed / "run.log").is_file() and (failed / "notebooks" / "03_report.ipynb").is_file()
    leftovers = [p.name for d in (root / "reports", root / "data" / "processed")
                 for p in d.iterdir() if p.name.startswith((".staging", ".old"))]
    assert leftovers == []


@pytest.mark.slow
def test_rerun_is_byte_identical(sample, tmp_path, run_cli):
    root = tmp_path / "again"
    shutil.copytree(sample / "data", root / "data")
    shutil.copytree(sample / "reports", root / "reports")
    res = _run(run_cli, root, WEEK)
    assert res.returncode == 0, res
    for name in (f"sferum_{WEEK}.html", f"sferum_{WEEK}.xlsx", f"sferum_{WEEK}.pdf",
                 "metrics_mo.csv", "quality.csv"):
        assert (_out(root) / name).read_bytes() == (_out(sample) / name).read_bytes(), name


# ============================================================================ slow: a browser
@pytest.mark.slow
def test_real_report_in_headless_chromium(sample, browser, tmp_path):  # noqa: F811
    from PIL import Image

    shot = Path(os.environ.get("SFERUM_SCREENSHOT", tmp_path / "report.png"))
    facts = open_page(browser, _out(sample) / f"sferum_{WEEK}.html", shot)
    assert facts["errors"] == []
    assert facts["remote_requests"] == []
    assert facts["lang"] == "ru" and facts["charset"] == "UTF-8"
    assert facts["h1"].strip() == (
        "Орловская область: использование ИКОП «Сферум» — неделя по 29.01.2024")
    assert facts["scripts"] == 1  # only the trusted table script (publish.py)
    assert facts["images"] == 5 and facts["brokenImages"] == 0  # with the tile map
    assert facts["tables"] >= 8
    assert facts["numAlign"] == "right"
    assert "DejaVu Sans" in facts["font"]
    assert not facts["horizontalScroll"]
    image = Image.open(shot).convert("RGB")
    assert image.width == 1280 and image.height > 2000
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50


def test_report_source_has_no_person_table():
    """The report never loads the persons table (names): not in the report package, not in
    03_report."""
    package = sorted((REPO / "sferum_analysis" / "report").glob("*.py"))
    assert package
    for path in (*package, REPO / "notebooks" / "03_report.py"):
        source = path.read_text("utf-8")
        assert "persons" not in re.sub(r'""".*?"""|#.*', "", source, flags=re.S), path
        assert "load_tables" not in source and "full_name" not in source


def test_report_notebook_parameters():
    """The parameters `sferum run` passes to the report notebook (pipeline.run_week)."""
    import nbformat

    nb = nbformat.read(REPO / "notebooks" / "03_report.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", ()))
    declared = {line.split(":")[0].strip() for line in cell.source.splitlines() if line.strip()}
    assert declared == {"week", "data_dir", "processed_dir", "report_dir", "target_pct",
                        "edition"}


def test_row_accounting_keeps_unknown_organisations_out_of_counted_rows():
    """Rows of a file whose organisation is not in the registry are never «Учтено»."""
    files = pd.DataFrame({
        "status": ["used", "unknown_org", "no_data_for_date", "unreadable"],
        "rows_read": [10, 5, 3, 0], "rows_used": [6, 5, 0, 0],
        "rows_other_dates": [2, 0, 1, 0], "rows_duplicate": [1, 0, 0, 0],
        "rows_rejected": [1, 0, 2, 0],
    })
    [row] = rp.row_accounting_table(files).drop(columns=[rp.ROW_CLASS]).to_dict("records")
    assert row == {"Файлов": 4, "Строк прочитано": 18, "Учтено": 6,
                   "Не учтено (организации нет в реестре)": 5, "Других дат": 3,
                   "Повторов": 1, "Отклонено": 3}
    assert row["Строк прочитано"] == sum(v for k, v in row.items()
                                         if k not in ("Файлов", "Строк прочитано"))


def test_signals_mark_their_municipality_in_tables_and_charts(tiny):
    """A sharp change (names its МО) and a padding pattern (names its organisation) put
    ‡ on the МО's rows and outline its bar; other МО and other types stay unmarked."""
    findings = to_frame([
        Finding("sharp_change", "ДОО, г. Орёл: …", org_type="ДОО", mo="г. Орёл"),
        Finding("identical_counts", "…", file="31.csv", row=3, org_id="31"),
        Finding("quota_jump", "…", org_id="31"),
        Finding("duplicate", "…", file="21.csv", row=2, org_id="21"),  # not a signal
        Finding("identical_counts", "…", org_id="999"),  # not in the registry: ignored
    ])
    signals = rp.mo_signals(findings, _orgs())
    assert signals == {
        ("ДОО", "г. Орёл"): ["резкое изменение показателя МО за неделю"],
        ("ДОО", "Болховский район"): [  # two kinds, in the order of the codes
            "одинаковое число сообщений у большинства сотрудников",
            "скачок счётчиков от нуля ровно до порога"],
    }
    table = rp.ranked_table(tiny, "active", signals=signals)
    classes = dict(zip(table["МО"], table[rp.ROW_CLASS], strict=True))
    assert classes["г. Орёл"] == "signal"
    assert classes["Болховский район"] == "incomplete signal"
    assert classes["г. Ливны"] == "anomaly"
    html_text = rp.table_html(table)
    assert f"г. Орёл{NBSP}‡" in html_text and f"Болховский район{NBSP}*‡" in html_text
    assert "‡ Резкое изменение за неделю или признаки накрутки" in rp.footnotes_html(table)
    schools = rp.district_table(tiny, signals=signals)
    assert not schools[rp.ROW_CLASS].str.contains("signal").any()  # ОО has no signal
    fig = rp.ranked_chart(table, title="t", region_value=None)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    outlined = {label for label, bar in zip(labels, ax.patches, strict=False)
                if bar.get_linewidth() > 1}
    assert outlined == {"г. Орёл ‡", "Болховский район *‡"}
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "‡ резкое изменение или признаки накрутки" in legend


@pytest.mark.parametrize(("reported", "expected_text"), [
    (92, "Педагоги организации без выгрузки входят в численность по реестру"),
    (91, "Педагоги остальных 2 организаций входят в численность по реестру"),
    (72, "Педагоги остальных 21 организации входят в численность по реестру"),
    (93, None),
])
def test_the_coverage_note_names_the_organisations_without_an_export(reported, expected_text):
    """«Педагоги остальных 1 организации» read wrong (a black-box check): one
    organisation is named as such, more by their number in the genitive."""
    import pandas as pd

    from sferum_analysis.metrics import TOTAL
    from sferum_analysis.report.html import coverage_note_html

    metrics = pd.DataFrame([{"org_type": "ДОО", "mo": mo, "orgs_expected": 93,
                             "orgs_reported": reported} for mo in ("г. Орёл", TOTAL)])
    note = coverage_note_html(metrics)
    assert f"получены от {reported} из 93 ДОО." in note
    if expected_text is None:
        assert "Педагоги" not in note and "incomplete" not in note
    else:
        assert expected_text in note and "остальных 1 " not in note
