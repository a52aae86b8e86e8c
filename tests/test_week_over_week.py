"""Week over week, trends, the drill-down annex, targets and the quality checks, end to end.

A small region is written into a temporary folder with three weeks whose changes,
anomalies and padding patterns are known (see ``WEEKS`` below). ``sferum run`` on the last
week must process the two earlier weeks first, compare with the previous one, and flag
exactly what was constructed. Fast tests check the order in which earlier weeks are
processed (the notebooks replaced by a stub).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from sferum_analysis import pipeline
from sferum_analysis.config import Paths
from sferum_analysis.run_config import RunConfig

W1, W2, W3 = "2024-01-15", "2024-01-22", "2024-01-29"
HEADER = "Дата;ФИО;Тип пол;Связь с;Кол-во сообщений за 7 дней;Кол-во звонков за 7 дней\n"
NBSP = "\u00a0"

REGISTRY = [
    # org_id, name, МО, type, staff_total
    ("101", "ДС «Ромашка»", "г. Орёл", "ДОО", 20),
    ("102", "ДС «Берёзка»", "г. Орёл", "ДОО", 12),
    ("103", "ДС «Колосок»", "г. Орёл", "ДОО", 10),
    ("201", "ДС «Ласточка»", "г. Ливны", "ДОО", 10),
    ("301", "ДС «Солнышко»", "Болховский район", "ДОО", 10),
    ("401", "ДС «Сказка»", "Мценский район", "ДОО", 8),
    ("402", "ДС «Теремок»", "Мценский район", "ДОО", 6),
    ("501", "Школа №1", "Урицкий район", "ОО", 12),
]

SURNAMES = ["Иванова", "Петрова", "Сидорова", "Кузнецова", "Смирнова", "Попова", "Волкова",
            "Соколова", "Лебедева", "Козлова", "Новикова", "Морозова", "Павлова", "Фёдорова",
            "Орлова", "Зайцева", "Белова", "Титова", "Крылова", "Гусева"]
FIRST = {"101": "Анна", "102": "Мария", "103": "Ольга", "201": "Елена", "301": "Алёна",
         "401": "Ирина", "402": "Нина", "501": "Вера"}


def name(org: str, i: int) -> str:
    return f"{SURNAMES[i]} {FIRST[org]} Сергеевна"


def counts(org: str, week: str) -> list[tuple[int, int]]:
    """(messages, calls) of each person of ``org`` in ``week`` (index = person)."""
    late = week == W3
    if org == "101":  # 10 -> 18 registered of 20: г. Орёл % registered +19,0 (sharp_change)
        n, k = (18, 6) if late else (10, 5)
        return [(i + 1, 0) if i < k else (0, 0) for i in range(n)]
    if org == "102":  # this week 9 of 10 with exactly 7 messages (identical_counts)
        if late:
            return [(7, 0)] * 9 + [(0, 0)]
        return [(i + 2, 0) if i < 5 else (0, 0) for i in range(10)]
    if org == "103":  # steady: 9 of 10 active, varied counts (above the target)
        return [(i + 1, i % 2) for i in range(9)] + [(0, 0)]
    if org == "201":  # 11 registered, 10 on the register (register_exceeded), 6 active
        return [(i + 2, 0) if i < 6 else (0, 0) for i in range(11)]
    if org == "301":  # 6 of 8 from ≤ 1 to exactly the quota 10 + 1 (quota_jump)
        rest = [(15, 2), (16, 3)]
        if late:
            return [(10, 1)] * 6 + rest
        return [(0, 0)] * 3 + [(1, 0)] * 3 + rest
    if org == "401":  # no export this week (missing_export)
        return [] if late else [(i + 1, 0) if i < 3 else (0, 0) for i in range(6)]
    if org == "402":  # this week: last week's file sent again (stale)
        return [(4, 0), (5, 0), (0, 0), (0, 0), (0, 0)]
    if org == "501":  # school: 4 -> 6 active of 10 (sharp_change in the ОО table)
        k = 6 if late else 4
        return [(i + 2, 0) if i < k else (0, 0) for i in range(10)]
    raise AssertionError(org)


def write_region(data: Path) -> list[str]:
    """The registry and three weeks; returns every person's name written."""
    registry = data / "raw" / "registry"
    registry.mkdir(parents=True)
    (registry / "organizations.csv").write_text(
        "org_id;org_name;mo;org_type;staff_total\n"
        + "".join(f"{o};{n};{m};{t};{s}\n" for o, n, m, t, s in REGISTRY), encoding="utf-8")
    names = []
    for week in (W1, W2, W3):
        folder = data / "raw" / week
        folder.mkdir(parents=True)
        day = f"{week[8:10]}.{week[5:7]}.{week[0:4]}"
        for org, *_ in REGISTRY:
            if org == "402" and week == W3:
                shutil.copy(data / "raw" / W2 / "402.csv", folder / "402.csv")
                continue
            rows = []
            for i, (messages, calls) in enumerate(counts(org, week)):
                person = name(org, i)
                if org == "301" and i == 0 and week == W3:
                    person = person.upper().replace("Ё", "Е")  # the same person, other spelling
                names.append(person)
                rows.append(f"{day};{person};teacher;0;{messages};{calls}\n")
            if rows:
                (folder / f"{org}.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    return sorted(set(names))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ============================================================================ fast: the order
def test_earlier_weeks_are_processed_first_oldest_first(tmp_path, monkeypatch):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_region(data)
    (data / "raw" / "2024-01-08").mkdir()  # an empty earlier week folder: it is a week too
    paths = Paths(data, reports)
    done: list[str] = []

    def fake_run_one_week(week, paths, config, notify, progress, publish_report=True,
                          keep_registry=False, *, warning="", kernel=None):
        if week == "2024-01-08":
            raise pipeline.StepFailed("очистка выгрузок", tmp_path / "x.ipynb", "сбой")
        done.append(week)
        (paths.processed_week(week)).mkdir(parents=True, exist_ok=True)
        (paths.processed_week(week) / "metrics.parquet").write_bytes(b"")
        return pipeline.RunResult(week, paths.report_week(week), {})

    monkeypatch.setattr(pipeline, "_run_one_week", fake_run_one_week)
    monkeypatch.setattr(pipeline.SharedKernel, "start", lambda self: self)  # no kernel
    lines: list[str] = []
    failed: set[str] = set()
    result = pipeline.run_week(W3, paths, notify=lines.append, failed=failed)
    # the failed oldest week does not stop the later ones; they go without comparison
    assert done == [W1, W2, W3]
    assert [r.week for r in result.previous] == [W1, W2]
    assert failed == {"2024-01-08"}
    assert any("2024-01-08" in line and "не удалось" in line for line in lines)
    # a second run does not try the failed week again, nor the processed ones
    done.clear()
    pipeline.run_week(W3, paths, failed=failed)
    assert done == [W3]


def test_reports_folder_inside_raw_is_refused_before_any_work(tmp_path):
    data = tmp_path / "data"
    write_region(data)
    for reports in (data / "raw", data / "raw" / "out"):
        with pytest.raises(pipeline.UserError, match="внутри папки исходных выгрузок"):
            pipeline.run_week(W3, Paths(data, reports))
    assert sorted(p.name for p in (data / "raw").iterdir()) == [W1, W2, W3, "registry"]
    pipeline.check_folders(Paths(data, tmp_path / "reports"))  # a sibling folder is fine


@pytest.mark.parametrize("inside", [W3, f"failed/{W3}"])
def test_data_folder_inside_a_weeks_report_folder_is_refused(tmp_path, inside):
    """reports/<week> is swapped away and deleted on publishing: it must not hold the data."""
    reports = tmp_path / "reports"
    data = reports / inside / "data"
    write_region(data)
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    with pytest.raises(pipeline.UserError, match="пересекается с папкой данных"):
        pipeline.run_week(W3, Paths(data, reports))
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before
    pipeline.check_folders(Paths(data, reports), W2)  # another week's folder is fine


def _layout(tmp_path: Path, case: str) -> tuple[Path, Path]:
    """A data and a reports folder where publishing week W3 would destroy the exports."""
    reports = tmp_path / "rep"
    data = tmp_path / "data"
    if case in ("staging", "old"):  # leftovers of a killed run that a restart cleans up
        data = reports / f".{'staging' if case == 'staging' else 'old'}-{W3}-1" / "data"
    write_region(data)
    reports.mkdir(parents=True, exist_ok=True)
    if case == "processed-is-raw":
        (data / "processed").symlink_to(data / "raw")
    elif case == "failed-is-raw":
        (reports / "failed").symlink_to(data / "raw")
    elif case == "raw-in-report":
        share = reports / W3 / "share"
        share.mkdir(parents=True)
        (data / "raw").rename(share / "raw")
        (data / "raw").symlink_to(share / "raw")
    elif case == "report-is-raw-week":
        (reports / W3).symlink_to(data / "raw" / W3)
    elif case == "processed-week-is-raw-week":
        (data / "processed").mkdir()
        (data / "processed" / W3).symlink_to(data / "raw" / W3)
    return data, reports


@pytest.mark.parametrize("case", ["processed-is-raw", "failed-is-raw", "raw-in-report",
                                  "staging", "old", "report-is-raw-week",
                                  "processed-week-is-raw-week"])
def test_layouts_where_publishing_would_lose_exports_are_refused(tmp_path, case):
    data, reports = _layout(tmp_path, case)
    raw = (data / "raw").resolve()
    before = sorted(p.relative_to(raw) for p in raw.rglob("*"))
    with pytest.raises(pipeline.UserError):
        pipeline.run_week(W3, Paths(data, reports))
    assert sorted(p.relative_to(raw) for p in raw.rglob("*")) == before
    assert (data / "raw" / W3).is_dir()


def test_a_file_as_reports_or_data_folder_is_refused(tmp_path):
    data = tmp_path / "data"
    write_region(data)
    (tmp_path / "reports.txt").write_text("", encoding="utf-8")
    with pytest.raises(pipeline.UserError, match="это файл, а не папка"):
        pipeline.run_week(W3, Paths(data, tmp_path / "reports.txt"))
    with pytest.raises(pipeline.UserError, match="это файл, а не папка"):
        pipeline.check_folders(Paths(tmp_path / "reports.txt", tmp_path / "reports"))


def test_edition_is_checked():
    with pytest.raises(ValueError, match="параметр edition: допустимо ministry или internal"):
        RunConfig.from_parameters(RunConfig(), edition="press")


# ============================================================================ slow: a real run
@pytest.fixture(scope="module")
def region(tmp_path_factory, run_cli):
    root = tmp_path_factory.mktemp("wow")
    data, reports = root / "data", root / "reports"
    names = write_region(data)
    internal = run_cli("run", W3, "--data-dir", data, "--reports-dir", reports,
                       "--edition", "internal", "--target", "75")
    assert internal.returncode == 0, internal
    kept = root / "internal"
    shutil.copytree(reports / W3, kept)
    ministry = run_cli("run", W3, "--data-dir", data, "--reports-dir", reports)
    assert ministry.returncode == 0, ministry
    return {"root": root, "data": data, "reports": reports, "names": names,
            "internal": kept, "ministry": reports / W3, "stdout": internal.stdout,
            "ministry_stdout": ministry.stdout}


def soup_of(folder: Path, edition: str | None = None) -> BeautifulSoup:
    """The week's report of ``edition`` (default: internal when its files are there, as in
    the copy taken after the internal run; the ministry run keeps them beside its own)."""
    internal = folder / f"sferum_{W3}_internal.html"
    if edition is None:
        edition = "internal" if internal.is_file() else "ministry"
    path = internal if edition == "internal" else folder / f"sferum_{W3}.html"
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def section(soup: BeautifulSoup, heading: str) -> list:
    """The elements after the h2 ``heading`` up to the next h2."""
    h2 = next(h for h in soup.find_all("h2") if h.get_text(strip=True) == heading)
    out = []
    for el in h2.find_all_next():
        if el.name == "h2":
            break
        out.append(el)
    return out


def table_rows(soup: BeautifulSoup, heading: str) -> dict[str, list]:
    table = next(el for el in section(soup, heading) if el.name == "table")
    heads = [th.get_text(strip=True) for th in table.select("thead th")]
    rows = {}
    for tr in table.select("tbody tr"):
        tds = tr.find_all("td")
        rows[tds[1].get_text(strip=True).rstrip(f"{NBSP}*†‡")] = [
            dict(zip(heads, [td.get_text(strip=True) for td in tds], strict=True)), tds]
    return rows


@pytest.mark.slow
def test_earlier_weeks_were_processed_and_published_first(region):
    published = [line.split()[1] for line in region["stdout"].splitlines()
                 if "опубликована" in line]
    assert published == [W1, W2, W3]
    for week in (W1, W2):
        assert (region["reports"] / week / f"sferum_{week}_internal.html").is_file()
        assert json.loads((region["reports"] / week / "manifest.json").read_text("utf-8"))[
            "edition"] == "internal"
    # the ministry run found them processed: only its own week
    assert [line.split()[1] for line in region["ministry_stdout"].splitlines()
            if "опубликована" in line] == [W3]


@pytest.mark.slow
def test_prev_columns_equal_the_previous_weeks_values(region):
    now = read_csv(region["ministry"] / "metrics_mo.csv")
    before = {(r["org_type"], r["mo"]): r for r in read_csv(region["reports"] / W2
                                                              / "metrics_mo.csv")}
    assert {"pct_registered_prev", "pct_active_prev", "rank_registered_prev",
            "rank_active_prev", "change_registered_pp", "change_active_pp"} <= set(now[0])
    for r in now:
        b = before[(r["org_type"], r["mo"])]
        assert r["pct_registered_prev"] == b["pct_registered"], r
        assert r["pct_active_prev"] == b["pct_active"], r
        assert r["rank_registered_prev"] == b["rank_registered"], r
    orel = next(r for r in now if (r["org_type"], r["mo"]) == ("ДОО", "г. Орёл"))
    assert (orel["pct_registered_prev"], orel["pct_registered"],
            orel["change_registered_pp"]) == ("71.4", "90.5", "19.0")
    # the first week has nothing to compare with: empty columns
    first = read_csv(region["reports"] / W1 / "metrics_mo.csv")
    assert all(r["pct_registered_prev"] == "" and r["change_active_pp"] == "" for r in first)


@pytest.mark.slow
def test_quality_findings_exactly_where_constructed(region):
    quality = read_csv(region["ministry"] / "quality.csv")
    by_code: dict[str, list[dict[str, str]]] = {}
    for q in quality:
        by_code.setdefault(q["code"], []).append(q)
    assert sorted((q["message"].split(":")[0]) for q in by_code["sharp_change"]) == [
        "ДОО, Мценский район", "ДОО, г. Орёл", "ОО, Урицкий район"]
    sharp = {q["message"].split(":")[0]: q["message"] for q in by_code["sharp_change"]}
    pp = "\u00a0п.\u00a0п."
    assert f"% зарегистрированных за неделю изменился на +19,0{pp}" in sharp["ДОО, г. Орёл"]
    assert f"−78,6{pp}" in sharp["ДОО, Мценский район"]
    assert f"% активности за неделю изменился на +20,0{pp}" in sharp["ОО, Урицкий район"]
    # Болховский: % active +37,5, but only 8 registered (below the size guard)
    assert not any("Болховский" in m for m in sharp.values())
    identical = by_code["identical_counts"]
    assert [(q["file"], q["row"]) for q in identical] == [("102.csv", "2")]
    assert "у 9 из 10 зарегистрированных" in identical[0]["message"]
    jump = by_code["quota_jump"]
    assert [(q["file"], q["row"]) for q in jump] == [("301.csv", "2")]
    assert "у 6 из 8 сотрудников" in jump[0]["message"]  # the respelt name matched too
    assert [q["message"].split(":")[0] for q in by_code["register_exceeded"]] == [
        "«ДС «Ласточка»» (г. Ливны, ДОО)"]
    assert [q["file"] for q in by_code["no_data_for_date"]] == ["402.csv"]
    assert len(by_code["missing_export"]) == 1 and "Сказка" in by_code["missing_export"][0][
        "message"]
    assert set(by_code) == {"sharp_change", "identical_counts", "quota_jump",
                            "register_exceeded", "no_data_for_date", "missing_export"}
    # the steady earlier week: only the stale register
    assert {q["code"] for q in read_csv(region["reports"] / W2 / "quality.csv")} == {
        "register_exceeded"}


@pytest.mark.slow
def test_report_names_the_previous_week_and_shows_deltas(region):
    soup = soup_of(region["ministry"], "ministry")
    edition = soup.find("p", class_="edition").get_text(" ", strip=True)
    assert "Редакция для министерства" in edition and "по 22.01.2024" in edition
    registered = table_rows(soup, "% зарегистрированных сотрудников")
    orel, tds = registered["г. Орёл"]
    assert orel["№"] == "2" and orel["Неделя по 22.01, %"] == "71,4"
    assert orel["Изменение, п.\u00a0п."] == f"▲{NBSP}+19,0"
    assert orel["Изменение места"] == f"▲{NBSP}2"  # 4th -> 2nd
    assert "delta-up" in tds[4]["class"] and "delta-up" in tds[5]["class"]
    mtsensk, tds = registered["Мценский район"]
    assert mtsensk["Изменение, п.\u00a0п."] == f"▼{NBSP}−78,6"
    assert "delta-down" in tds[4]["class"]
    assert registered["г. Ливны"][0]["Изменение места"] == "0"
    region_row = registered["Среднее значение по региону"][0]
    assert region_row["Неделя по 22.01, %"] == "78,9" and region_row["Изменение места"] == ""
    schools = table_rows(soup, "Активность педагогов в районах")
    assert schools["Урицкий район"][0]["Изменение, п.\u00a0п."] == f"▲{NBSP}+20,0"
    assert schools["Урицкий район"][0]["Неделя по 22.01, %"] == "40,0"
    headline = " ".join(el.get_text(" ") for el in section(soup, "Сотрудники ДОО в ИКОП «Сферум»"))
    assert "к неделе по 22.01.2024" in headline
    notes = soup.get_text(" ")
    assert "неокруглённым значениям" in notes and "Изменение за неделю" in notes


@pytest.mark.slow
def test_trends_section_has_the_charts(region):
    soup = soup_of(region["ministry"], "ministry")
    elements = section(soup, "Динамика по неделям")
    images = [el for el in elements if el.name == "img"]
    assert len(images) == 2  # the regional lines and the heat-map
    assert all(img["src"].startswith("data:image/png;base64,") for img in images)
    text = " ".join(el.get_text(" ") for el in elements if el.name == "p")
    assert "с 15.01.2024 по 29.01.2024 (3)" in text
    wb = openpyxl.load_workbook(region["ministry"] / f"sferum_{W3}.xlsx")
    sheet = wb["Динамика % зарег. ДОО"]
    assert [c.value for c in sheet[2]] == ["МО", "15.01.2024, %", "22.01.2024, %",
                                           "29.01.2024, %"]
    orel = next(row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] == "г. Орёл")
    assert orel[1:] == (71.4, 71.4, 90.5)


@pytest.mark.slow
def test_target_marks_the_right_municipalities(region):
    soup = soup_of(region["internal"])
    active = table_rows(soup, "% активности сотрудников")
    gaps = {mo: row["До цели, п.\u00a0п."] for mo, (row, _) in active.items()}
    assert gaps["г. Орёл"] == "−11,8" and gaps["г. Ливны"] == "−20,5"
    assert gaps["Болховский район"] == "" and gaps["Мценский район"] == ""  # 100 %; no value
    text = " ".join(el.get_text(" ") for el in section(soup, "% активности сотрудников"))
    assert "ниже цели 2 МО" in text
    manifest = json.loads((region["internal"] / "manifest.json").read_text("utf-8"))
    assert manifest["target_pct"] == 75.0 and manifest["previous_week"] == W2
    # the ministry run had no target: no column
    ministry = table_rows(soup_of(region["ministry"], "ministry"), "% активности сотрудников")
    assert "До цели, п.\u00a0п." not in ministry["г. Орёл"][0]


@pytest.mark.slow
def test_internal_edition_has_the_annex_ministry_has_none(region):
    internal, ministry = soup_of(region["internal"]), soup_of(region["ministry"], "ministry")
    title = "Приложение. Организации, которым стоит позвонить"
    assert "Внутренняя редакция" in internal.find("p", class_="edition").get_text()
    annex = section(internal, title)
    by_mo: dict[str, set[str]] = {}
    current = None
    for el in annex:
        if el.name == "h3":
            current = el.get_text(strip=True)
        elif el.name == "tr" and el.find("td"):
            org = el.find_all("td")[1].get_text(strip=True)
            by_mo.setdefault(current, set()).add(org)
    assert by_mo == {
        "г. Орёл": {"ДС «Берёзка»", "ДС «Ромашка»"},   # identical counts; 33,3 % < 75 %
        "г. Ливны": {"ДС «Ласточка»"},                 # 54,5 % < 75 %
        "Болховский район": {"ДС «Солнышко»"},         # quota jump
        "Мценский район": {"ДС «Сказка»", "ДС «Теремок»"},  # missing; stale
        "Урицкий район": {"Школа №1"},                 # 60,0 % < 75 %
    }
    annex_text = " ".join(el.get_text(" ") for el in annex)
    assert "последняя дата в файле 22.01.2024" in annex_text
    assert "ДС «Колосок»" not in annex_text  # 90 % active: nobody needs to call
    assert json.loads((region["internal"] / "manifest.json").read_text("utf-8"))[
        "edition"] == "internal"
    wb = openpyxl.load_workbook(region["internal"] / f"sferum_{W3}_internal.xlsx")
    assert "Приложение организации" in wb.sheetnames
    # the ministry edition: no annex anywhere
    assert not any(h.get_text(strip=True) == title for h in ministry.find_all("h2"))
    assert "Приложение организации" not in openpyxl.load_workbook(
        region["ministry"] / f"sferum_{W3}.xlsx").sheetnames
    assert json.loads((region["ministry"] / "manifest.json").read_text("utf-8"))[
        "edition"] == "ministry"


def _normalise(text: str) -> str:
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).casefold()


@pytest.mark.slow
def test_no_person_names_in_either_edition(region):
    import pypdf

    names = {_normalise(n) for n in region["names"]}
    assert len(names) > 70
    for folder, stem in ((region["internal"], f"sferum_{W3}_internal"),
                         (region["ministry"], f"sferum_{W3}")):
        wb = openpyxl.load_workbook(folder / f"{stem}.xlsx")
        texts = [
            (folder / f"{stem}.html").read_text("utf-8"),
            "\n".join(p.extract_text() for p in pypdf.PdfReader(folder / f"{stem}.pdf").pages),
            "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row
                      if v is not None),
            (folder / "quality.csv").read_text("utf-8"),
            (folder / "metrics_mo.csv").read_text("utf-8"),
        ]
        for text in texts:
            haystack = _normalise(text)
            assert not [n for n in names if n in haystack]
