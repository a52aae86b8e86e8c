"""Injection: markup, spreadsheet formulas and hostile paths are data, never code.

* Markup in organisation names (registry), file names and person names is shown as text
  in the published HTML: no ``script`` element, no ``img`` other than the embedded charts,
  no event-handler attribute, and the names appear literally.
* Text cells beginning with ``=``, ``+``, ``-`` or ``@`` are neutralised (a leading ``'``)
  in the XLSX (string cells, never formulas) and in every CSV of ``reports/<week>/``.
* The WEEK argument is a date, never a path: ``..``, ``2024-01-29/../x``, absolute paths,
  impossible dates and an empty string stop the run with one Russian line and exit 1,
  and nothing is written anywhere.
* Papermill parameters (folders) are passed as data: a data folder whose path holds quotes
  and Python code is just a folder; the code never runs.

A file name cannot contain ``/`` on Linux, so file names carry markup without closing tags
(``22 <b>x.csv``, ``<img src=x onerror=alert(4)>.csv``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from sferum_analysis.publish import TRUSTED_SCRIPT_SHA256, script_sha256

WEEK = "2024-01-29"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = "Дата;ФИО;Тип пользователя;Связь с;Кол-во сообщений за 7 дней;Кол-во звонков за 7 дней\n"

ORG_NAMES = {
    "11": "<script>alert(1)</script>",
    "22": "<img src=x onerror=alert(2)>",
    "33": '=HYPERLINK("http://evil.example/","жми")',
    "44": "+cmd|' /C calc'!A0",
    "55": "@SUM(1+1)*cmd|' /C calc'!A0",
    "66": "-2+3+cmd|' /C calc'!A0 &amp; <b>жирная</b>",
    "77": "Школа <b>жирная</b> &amp; «кавычки»",
}
# file name -> person names (markup and formula prefixes in names too)
FILES = {
    "77 <b>x.csv": ["<b>Жирова</b> Анна", "=1+1 Формулова", "<script>alert(3)</script>"],
    "44.csv": ["@Собакина Ия", "+Плюсова Вера"],
    "<i>evil.csv": ["Злая Ева"],
    "<img src=x onerror=alert(4)>.csv": ["Картинкина Ия"],
    '=HYPERLINK("http:evil","x").csv': ["Ссылкина Ия"],
    "-2+3.csv": ["Минусова Ия"],
    "@SUM(1).csv": ["Собачкина Ия"],
    "+1.csv": ["Плюсов Ян"],
}
PERSONS = [p for names in FILES.values() for p in names]
MO = {"11": "г. Орёл", "22": "Ливны", "33": "Мценск", "44": "Урицкий район",
      "55": "Урицкий район", "66": "г. Орёл", "77": "Ливны"}
TYPE = {"11": "ДОО", "22": "ДОО", "33": "ДОО", "44": "ОО", "55": "ОО", "66": "ОО", "77": "ОО"}


def write_hostile_region(data: Path) -> None:
    registry = data / "raw" / "registry"
    registry.mkdir(parents=True)
    with (registry / "organizations.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["ID Сферум", "Наименование", "МО", "Тип", "Численность педагогов"])
        for org_id, name in ORG_NAMES.items():
            writer.writerow([org_id, name, MO[org_id], TYPE[org_id], 4])
    week = data / "raw" / WEEK
    week.mkdir(parents=True)
    for file, names in FILES.items():
        lines = [f"29.01.2024;{name};teacher;0;{k};0\n" for k, name in enumerate(names)]
        (week / file).write_text(HEADER + "".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_paths(tmp_path_factory):
    """Data and reports folders whose paths hold quotes, backslashes and Python code."""
    root = tmp_path_factory.mktemp("hostile")
    marker = root / "pwned"
    data = Path(f"{root}/d/q\"; import os; os.system('touch {marker}')  #")
    reports = Path(f"{root}/r/b\\\"; open('{marker}', 'w')  # '''")
    return data, reports, marker


@pytest.fixture(scope="module")
def hostile_run(hostile_paths, run_cli):
    data, reports, marker = hostile_paths
    write_hostile_region(data)
    # the internal edition: the ministry's report plus the annex listing organisations
    res = run_cli("run", WEEK, "--data-dir", data, "--reports-dir", reports,
                  "--edition", "internal")
    assert not marker.exists(), "code from a folder name was executed"
    assert res.returncode == 0, res
    return reports / WEEK


def _event_attributes(soup: BeautifulSoup) -> list[str]:
    return [f"{el.name}[{attr}]" for el in soup.find_all(True) for attr in el.attrs
            if attr.lower().startswith("on")]


@pytest.mark.slow
def test_markup_is_text_in_the_html(hostile_run):
    html = (hostile_run / f"sferum_{WEEK}_internal.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert [script_sha256(s.string or "") for s in soup.find_all("script")] \
        == [TRUSTED_SCRIPT_SHA256]  # only the trusted table script
    assert soup.find_all(["iframe", "object", "embed", "svg", "link"]) == []
    for img in soup.find_all("img"):  # the charts, embedded
        assert img.get("src", "").startswith("data:image/"), img
    assert _event_attributes(soup) == []
    assert not any(el.get_text() in ("x", "жирная", "evil") for el in soup.find_all(["b", "i"]))
    text = soup.get_text()
    # shown literally (missing exports name their organisation; unknown files their name)
    for shown in (*(ORG_NAMES[k] for k in ("11", "22", "33", "55", "66")), "<i>evil.csv",
                  "<img src=x onerror=alert(4)>.csv"):
        assert shown in text, shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for person in PERSONS:  # never shown at all
        for word in re.findall(r"[А-Яа-яЁё]{4,}|alert\(3\)", person):
            assert word not in text, person


@pytest.mark.slow
def test_xlsx_cells_are_never_formulas(hostile_run):
    wb = openpyxl.load_workbook(hostile_run / f"sferum_{WEEK}_internal.xlsx")
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr"), (ws.title, cell.coordinate)
                    assert not cell.value.startswith(FORMULA_START), (
                        ws.title, cell.coordinate, cell.value)
                    values.append(cell.value)
    text = "\n".join(values)
    for neutralised in ("'" + ORG_NAMES["33"], "'" + ORG_NAMES["55"], "'" + ORG_NAMES["66"],
                        '\'=HYPERLINK("http:evil","x").csv', "'@SUM(1).csv", "'+1.csv",
                        "'-2+3.csv"):
        assert neutralised in values or neutralised in text, neutralised


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_every_csv_output_is_neutralised(hostile_run):
    outputs = sorted(hostile_run.glob("*.csv"))
    assert {"metrics_mo.csv", "quality.csv", "files.csv"} <= {p.name for p in outputs}
    seen = []
    for path in outputs:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if cell.startswith(FORMULA_START):
                        assert _is_number(cell), (path.name, cell)
                    seen.append(cell)
    for neutralised in ('\'=HYPERLINK("http:evil","x").csv', "'@SUM(1).csv", "'+1.csv",
                        "'-2+3.csv"):
        assert neutralised in seen, neutralised
    # Excel with a Russian locale splits at ";": no part may start a formula there either
    for path in outputs:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh, delimiter=";"):
                for cell in row:
                    assert not cell.startswith(("=", "@")), (path.name, cell)
    quality = (hostile_run / "quality.csv").read_text(encoding="utf-8")
    for person in PERSONS:
        assert person not in quality


# ----------------------------------------------------------------------------- WEEK
def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(root.rglob("*"))}


WEEKS = [
    "..", "../..", "2024-01-29/../x", "2024-01-29/..", "../2024-01-29", "/etc", "/tmp/x",
    "2024-02-30", "2023-02-29", "", " 2024-01-29", "2024-01-29\n", "2024-01-29 ", "~",
    "2024-01-29;touch x", "2024-01-29\x00", "２０２４-01-29", "2024-01-29/",
]


def _check_refused(tmp_path: Path, stderr: str, before: dict[str, bytes]) -> None:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("sferum: ошибка: "), stderr
    assert re.search("[а-яё]{4}", lines[0]), stderr
    after = _snapshot(tmp_path)
    after.pop("data/.sferum.lock", None)  # the run lock, inside the data folder
    assert after == before


@pytest.mark.parametrize("week", WEEKS)
def test_week_argument_is_a_date_not_a_path(tmp_path, capsys, week):
    from sferum_analysis.cli import main

    data, reports = tmp_path / "data", tmp_path / "reports"
    write_hostile_region(data)
    (tmp_path / "x").mkdir()  # "2024-01-29/../x" would point here
    before = _snapshot(tmp_path)
    assert main(["run", week, "--data-dir", str(data), "--reports-dir", str(reports)]) == 1
    _check_refused(tmp_path, capsys.readouterr().err, before)


def test_week_argument_from_the_command_line(tmp_path, run_cli):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_hostile_region(data)
    before = _snapshot(tmp_path)
    res = run_cli("run", "2024-01-29/../../../etc", "--data-dir", data, "--reports-dir", reports)
    assert res.returncode == 1, res
    _check_refused(tmp_path, res.stderr, before)


# ----------------------------------------------------------------------------- parameters
@pytest.mark.slow
def test_folder_names_with_quotes_and_code_are_just_folders(hostile_paths, hostile_run):
    """Papermill injects parameters as Python literals, so the run above, whose data and
    reports folders hold quotes, a backslash and Python code in their names, took them as
    folders: published there, and the code never ran."""
    data, reports, marker = hostile_paths
    assert "\"; import os; os.system('touch" in str(data)
    assert "\\\"; open(" in str(reports)
    assert not marker.exists() and not Path("/tmp/pwned").exists()
    assert hostile_run == reports / WEEK
    assert (hostile_run / "metrics_mo.csv").is_file()
    assert (data / "processed" / WEEK / "persons.parquet").is_file()
    executed = (hostile_run / "notebooks" / "01_clean.ipynb").read_text(encoding="utf-8")
    assert "os.system" in executed  # the path is there, as a string literal


# ----------------------------------------------------------------------------- folders
@pytest.mark.parametrize("inside", ["raw", "raw/2024-01-29", "raw/registry"])
def test_reports_folder_inside_raw_is_refused(tmp_path, capsys, inside):
    """Publishing into data/raw would replace the week's exports: refused before any work."""
    from sferum_analysis.cli import main

    data = tmp_path / "data"
    write_hostile_region(data)
    before = _snapshot(tmp_path)
    assert main(["run", WEEK, "--data-dir", str(data), "--reports-dir",
                 str(data / inside)]) == 1
    _check_refused(tmp_path, capsys.readouterr().err, before)


@pytest.mark.slow
def test_reports_folder_equal_to_processed_is_refused(tmp_path, run_cli):
    data = tmp_path / "data"
    write_hostile_region(data)
    before = _snapshot(tmp_path)
    res = run_cli("run", WEEK, "--data-dir", data, "--reports-dir", data / "processed")
    assert res.returncode == 1, res
    _check_refused(tmp_path, res.stderr, before)
