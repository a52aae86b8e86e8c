"""Another region, end to end: a workspace made by `sferum init`, filled in with a synthetic
region of 12 МО (two cities first, hyphenated names, variant spellings in the registry),
run from inside the workspace with no folder flags. Every figure is written out by hand
below; no Oryol name may appear anywhere in what is published."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow

WEEK = "2024-03-04"
REGION = "Энская область"
MUNICIPALITIES = [  # order, name, kind, variants
    (1, "г. Усть-Илимск", "городской округ", "Усть-Илимск|город Усть-Илимск"),
    (2, "г. Белокуриха", "городской округ", "Белокуриха"),
    (3, "Алтайский район", "муниципальный район", ""),
    (4, "Бийский район", "муниципальный район", ""),
    (5, "Ельцовский район", "муниципальный район", ""),
    (6, "Змеиногорский район", "муниципальный район", ""),
    (7, "Калманский район", "муниципальный район", ""),
    (8, "Красногорский район", "муниципальный район", ""),
    (9, "Кулундинский район", "муниципальный район", ""),
    (10, "Панкрушихинский район", "муниципальный район", ""),
    (11, "Усть-Калманский район", "муниципальный район", "Усть Калманский"),
    (12, "Чарышский район", "муниципальный район", ""),
]
#: how the registry spells each МО (variants, cut or decorated forms)
REGISTRY_SPELLING = ["Усть-Илимск", "г.Белокуриха", "Алтайский р-н", "Бийский",
                     "БИЙСКИЙ район", "Змеиногорский район", "Калманский", "Красногорский",
                     "Кулундинский район", "Панкрушихинский", "Усть Калманский", "Чарышский"]
ORYOL_NAMES = ("Орёл", "Орел", "Ливны", "Мценск", "Орловск", "Болхов", "Урицк")
HEADER = "Дата;ФИО;Тип пол;Связь с;Кол-во сообщений за 7 дней;Кол-во звонков за 7 дней\n"


def _sferum(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SFERUM_DATA_DIR", "SFERUM_REPORTS_DIR")}
    return subprocess.run([sys.executable, "-m", "sferum_analysis.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=env)


def fill_workspace(root: Path, extra_registry_row: str = "") -> None:
    registry = root / "data" / "raw" / "registry"
    (registry / "organizations.xlsx").unlink()
    with (registry / "municipalities.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order", "name", "kind", "variants"])
        writer.writerows(MUNICIPALITIES)
    lines = ["ID Сферум;Наименование организации;Муниципальное образование;Тип организации;"
             "Численность педагогов"]
    for i, spelling in enumerate(REGISTRY_SPELLING, 1):
        lines.append(f"{100 + i};Детский сад №{i};{spelling};ДОО;10")
    lines += ["201;Школа №1;город Усть-Илимск;ОО;5", "202;Школа №2;Белокуриха;школа;5"]
    if extra_registry_row:
        lines.append(extra_registry_row)
    (registry / "organizations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    week = root / "data" / "raw" / WEEK
    week.mkdir()
    day = "04.03.2024"
    for i in range(1, 13):  # kindergarten i: i registered persons, i // 2 of them active
        rows = [f"{day};Воспитатель {i}-{k} Тестовая;teacher;0;{1 if k < i // 2 else 0};0\n"
                for k in range(i)]
        (week / f"{100 + i} Детский сад.csv").write_text(HEADER + "".join(rows),
                                                        encoding="utf-8")
    school1 = [f"{day};Учитель 1-{k} Тестовый;teacher;0;{3 if k < 2 else 0};0\n"
               for k in range(4)]
    school2 = [f"{day};Учитель 2-{k} Тестовый;teacher;0;0;0\n" for k in range(5)]
    (week / "201.csv").write_text(HEADER + "".join(school1), encoding="utf-8")
    (week / "202.csv").write_text(HEADER + "".join(school2), encoding="utf-8")


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("region") / "ws"
    made = _sferum("init", str(root), "--region", REGION, cwd=root.parent)
    assert made.returncode == 0, made.stderr
    fill_workspace(root)
    run = _sferum("run", WEEK, cwd=root / "data" / "raw")  # anywhere inside the workspace
    assert run.returncode == 0, run.stderr
    return root


def _metrics(root: Path) -> list[dict[str, str]]:
    with (root / "reports" / WEEK / "metrics_mo.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_figure_of_the_kindergartens(region):
    rows = [r for r in _metrics(region) if r["org_type"] == "ДОО"]
    got = [(r["mo"], r["staff_total"], r["registered"], r["active"], r["pct_registered"],
            r["pct_active"], r["orgs_expected"], r["orgs_reported"]) for r in rows]
    assert got == [
        ("г. Усть-Илимск", "10", "1", "0", "10.0", "0.0", "1", "1"),
        ("г. Белокуриха", "10", "2", "1", "20.0", "50.0", "1", "1"),
        ("Алтайский район", "10", "3", "1", "30.0", "33.3", "1", "1"),
        # «Бийский» and «БИЙСКИЙ район» are one МО: orgs 104 (4 and 2) and 105 (5 and 2)
        ("Бийский район", "20", "9", "4", "45.0", "44.4", "2", "2"),
        ("Ельцовский район", "0", "0", "0", "", "", "0", "0"),
        ("Змеиногорский район", "10", "6", "3", "60.0", "50.0", "1", "1"),
        ("Калманский район", "10", "7", "3", "70.0", "42.9", "1", "1"),
        ("Красногорский район", "10", "8", "4", "80.0", "50.0", "1", "1"),
        ("Кулундинский район", "10", "9", "4", "90.0", "44.4", "1", "1"),
        ("Панкрушихинский район", "10", "10", "5", "100.0", "50.0", "1", "1"),
        ("Усть-Калманский район", "10", "11", "5", "110.0", "45.5", "1", "1"),
        ("Чарышский район", "10", "12", "6", "120.0", "50.0", "1", "1"),
        ("total", "120", "78", "36", "65.0", "46.2", "12", "12"),
    ]


def test_every_figure_of_the_schools(region):
    rows = {r["mo"]: r for r in _metrics(region) if r["org_type"] == "ОО"}
    assert list(rows) == [m[1] for m in MUNICIPALITIES] + ["total"]
    assert (rows["г. Усть-Илимск"]["registered"], rows["г. Усть-Илимск"]["active"],
            rows["г. Усть-Илимск"]["pct_active"]) == ("4", "2", "50.0")
    assert (rows["г. Белокуриха"]["registered"], rows["г. Белокуриха"]["active"],
            rows["г. Белокуриха"]["pct_active"]) == ("5", "0", "0.0")
    assert rows["Алтайский район"]["pct_active"] == ""  # no school there
    assert (rows["total"]["staff_total"], rows["total"]["registered"], rows["total"]["active"],
            rows["total"]["pct_registered"], rows["total"]["pct_active"]) == \
        ("10", "9", "2", "90.0", "22.2")


def _soup(root: Path) -> BeautifulSoup:
    html = (root / "reports" / WEEK / f"sferum_{WEEK}.html").read_text("utf-8")
    return BeautifulSoup(html, "html.parser")


def _table_after(soup: BeautifulSoup, heading: str) -> list[list[str]]:
    h2 = next(h for h in soup.find_all("h2") if h.get_text(strip=True) == heading)
    table = h2.find_next("table")
    return [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
            for tr in table.find("tbody").find_all("tr")]


def test_ranking_and_canonical_order_follow_the_regions_list(region):
    soup = _soup(region)
    ranked = [row[1] for row in _table_after(soup, "% зарегистрированных сотрудников")]
    assert [r.rstrip(" \u00a0*†‡") for r in ranked] == [
        "Чарышский район", "Усть-Калманский район", "Панкрушихинский район",
        "Кулундинский район", "Красногорский район", "Калманский район",
        "Змеиногорский район", "Бийский район", "Алтайский район", "г. Белокуриха",
        "г. Усть-Илимск", "Ельцовский район", "Среднее значение по региону"]
    district = [row[1].rstrip(" \u00a0*†‡")
                for row in _table_after(soup, "Активность педагогов в районах")]
    assert district == [m[1] for m in MUNICIPALITIES] + ["Итого по региону"]


def test_the_region_is_named_and_no_oryol_name_appears(region):
    soup = _soup(region)
    assert REGION in soup.title.get_text() and REGION in soup.h1.get_text()
    out = region / "reports" / WEEK
    for path in [*out.glob("sferum_*"), out / "metrics_mo.csv", out / "quality.csv"]:
        if path.suffix == ".pdf":
            import pypdf

            text = "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
            assert REGION in text, "the PDF names the region"
        elif path.suffix == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path)
            text = "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                             for v in row if v is not None)
        else:
            text = path.read_text("utf-8")
        for name in ORYOL_NAMES:
            assert name not in text, (path.name, name)


def test_an_oryol_municipality_in_this_regions_registry_is_refused(tmp_path):
    root = tmp_path / "ws"
    assert _sferum("init", str(root), "--region", REGION, cwd=tmp_path).returncode == 0
    fill_workspace(root, extra_registry_row="301;ДС Орловский;г. Орёл;ДОО;7")
    result = _sferum("run", WEEK, cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "строка 16: неизвестное МО «г. Орёл»" in result.stderr
    suggestions = result.stderr.split("возможно:")[-1]
    assert not any(name in suggestions for name in ORYOL_NAMES)
    assert any(m[1] in suggestions for m in MUNICIPALITIES)
