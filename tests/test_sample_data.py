"""The committed synthetic sample in data/raw/ and its generator.

1. ``scripts/make_sample_data.py`` regenerates the sample byte for byte.
2. An independent re-count of the 2024-01-29 week (minimal readers written here with
   openpyxl/xlrd/csv, not the project's package) gives the seed presentation's ДОО tables:
   every rounded percentage, every rank, and the regional 3725 (90,2 %) / 1254 (33,7 %).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
import xlrd

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
SCRIPT = REPO / "scripts" / "make_sample_data.py"
WEEKS = ["2023-12-25", "2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
REGISTRY = Path("registry") / "organizations.xlsx"
D = date(2024, 1, 29)

# municipalities.csv: canonical order, name, variants
MUNICIPALITIES = [
    ("г. Орёл", "г.Орел|г. Орел|г.Орёл|Орёл|Орел|город Орёл|город Орел|"
                "городской округ город Орёл|Г.орел"),
    ("г. Ливны", "г.Ливны|Ливны|город Ливны"),
    ("г. Мценск", "г.Мценск|Мценск|город Мценск"),
    ("Болховский район", "Болховский"),
    ("Верховский район", "Верховский"),
    ("Глазуновский район", "Глазуновский"),
    ("Дмитровский район", "Дмитровский"),
    ("Должанский район", "Должанский"),
    ("Залегощенский район", "Залегощенский|Залогощенский район|Залогощенский|Залегощинский"),
    ("Знаменский район", "Знаменский"),
    ("Колпнянский район", "Колпнянский|Колпянский"),
    ("Корсаковский район", "Корсаковский"),
    ("Краснозоренский район", "Краснозоренский|Красно-Зоренский"),
    ("Кромской район", "Кромской|Кромский район|Кромский"),
    ("Ливенский район", "Ливенский"),
    ("Малоархангельский район", "Малоархангельский"),
    ("Мценский район", "Мценский"),
    ("Новодеревеньковский район", "Новодеревеньковский|Новодеревенковский"),
    ("Новосильский район", "Новосильский"),
    ("Орловский муниципальный округ",
     "Орловский муниципальный ок|Орловский МО|Орловский м.о.|Орловский район|Орловский"),
    ("Покровский район", "Покровский"),
    ("Свердловский район", "Свердловский"),
    ("Сосковский район", "Сосковский"),
    ("Троснянский район", "Троснянский|Тросненский"),
    ("Урицкий район", "Урицкий"),
    ("Хотынецкий район", "Хотынецкий|Хотыненский"),
    ("Шаблыкинский район", "Шаблыкинский"),
]

# seed_doo_registered.csv and seed_doo_active.csv (rank order, as printed)
SEED_REGISTERED = """г.Мценск 100.0; Болховский район 100.0; Верховский район 100.0;
Глазуновский район 100.0; Знаменский район 100.0; Малоархангельский район 100.0;
Новодеревеньковский район 100.0; Сосковский район 100.0; Троснянский район 100.0;
Урицкий район 100.0; г.Орел 98.0; Залогощенский район 97.5; Свердловский район 95.6;
Колпнянский район 94.4; г.Ливны 93.4; Ливенский район 91.7; Покровский район 90.3;
Дмитровский район 90.0; Шаблыкинский район 89.5; Корсаковский район 87.5;
Должанский район 81.8; Кромской район 78.5; Новосильский район 60.0; Хотынецкий район 53.9;
Орловский муниципальный округ 53.9; Краснозоренский район 16.7; Мценский район 13.8"""
SEED_ACTIVE = """Глазуновский район 94.1; Болховский район 87.8; Корсаковский район 85.7;
Должанский район 83.3; Троснянский район 68.4; Покровский район 67.9; Хотынецкий район 66.7;
г.Мценск 63.0; Малоархангельский район 62.5; Ливенский район 62.0; г.Ливны 56.2; г.Орел 27.0;
Новодеревеньковский район 23.5; Кромской район 17.6; Шаблыкинский район 17.6;
Орловский муниципальный округ 12.1; Урицкий район 8.0; Свердловский район 7.7;
Колпнянский район 5.9; Дмитровский район 5.6; Верховский район 3.8; Залогощенский район 2.6;
Знаменский район 0.0; Краснозоренский район 0.0; Мценский район 0.0; Новосильский район 0.0;
Сосковский район 0.0"""
# seed_district_activity.csv: registered per МО, canonical order
SEED_SCHOOL_REGISTERED = [12, 11, 9, 23, 3, 1, 2, 15, 6, 3, 10, 4, 10, 8, 9, 3, 1, 6, 1, 9, 4,
                          21, 1, 9, 4, 7, 3]
SEED_SCHOOL_ACTIVE = [1, 9, 18, 5, 0, 4, 0, 19, 4, 3, 5, 7, 0, 14, 9, 0, 0, 9, 0, 18, 15, 17, 8,
                      2, 5, 1, 0]


def norm(text: object) -> str:
    return " ".join(str(text).split()).replace("ё", "е").replace("Ё", "Е").casefold()


MO_LOOKUP = {norm(v): i for i, (name, variants) in enumerate(MUNICIPALITIES)
             for v in [name, *variants.split("|")]}


def parse_seed(text: str) -> list[tuple[int, int]]:
    """[(canonical index, tenths)] in rank order."""
    out = []
    for item in text.replace("\n", " ").split(";"):
        name, value = item.strip().rsplit(" ", 1)
        out.append((MO_LOOKUP[norm(name)], round(float(value) * 10)))
    return out


def tenths(num: int, den: int) -> int:
    """100 * num / den rounded half-up to one decimal, as integer tenths, exactly."""
    return (2000 * num + den) // (2 * den)


def ranking(pairs: dict[int, tuple[int, int]]) -> list[int]:
    """МО indices by exact ratio num/den descending, ties in canonical order."""
    return sorted(pairs, key=lambda i: (-Fraction(*pairs[i]), i))


# --------------------------------------------------------------------------------------
# minimal independent readers
# --------------------------------------------------------------------------------------

def read_registry(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    header = [norm(h) for h in rows[0]]
    col = {f: header.index(norm(h)) for f, h in [
        ("id", "ID Сферум"), ("mo", "Муниципальное образование"), ("type", "Тип организации"),
        ("staff", "Численность педагогов")]}
    types = {"доо": "ДОО", "детский сад": "ДОО", "оо": "ОО", "школа": "ОО"}
    out = {}
    for r in rows[1:]:
        if not any(v not in (None, "") for v in r):
            continue
        assert isinstance(r[col["id"]], str), "ids must be text cells"
        out[r[col["id"]]] = {"mo": MO_LOOKUP[norm(r[col["mo"]])],
                             "type": types[norm(r[col["type"]])],
                             "staff": int(r[col["staff"]])}
    return out


def sheet_rows(path: Path) -> list[list[object]]:
    """All rows of the file as cell values (dates as date/datetime or text)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
        wb.close()
        return rows
    if suffix == ".xls":
        book = xlrd.open_workbook(path)
        sh = book.sheet_by_index(0)
        rows = []
        for i in range(sh.nrows):
            row = []
            for cell in sh.row(i):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_EMPTY:
                    row.append(None)
                else:
                    row.append(cell.value)
            rows.append(row)
        return rows
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1251")
    first = text.splitlines()[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=sep)]


def to_date(v: object) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(v).strip(), fmt).date()
        except ValueError:
            pass
    return None


def to_count(v: object) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return 0
    if isinstance(v, float):
        return int(v) if v.is_integer() and v >= 0 else None
    if isinstance(v, int):
        return v if v >= 0 else None
    return int(v) if str(v).strip().isdigit() else None


@dataclass
class FileCount:
    persons: dict[str, bool]  # key -> active on D
    rows_on_d: int
    duplicates: list[int]  # 1-based row numbers
    rejected: list[int]


def count_file(path: Path) -> FileCount:
    rows = sheet_rows(path)
    h = next(i for i, r in enumerate(rows) if r and norm(r[0]) == "дата")
    header = [norm(c) if c is not None else "" for c in rows[h]]
    ci = {f: next(k for k, c in enumerate(header) if c.startswith(p)) for f, p in [
        ("date", "дата"), ("name", "фио"), ("msgs", "кол-во сообщений"),
        ("calls", "кол-во звонков")]}
    fc = FileCount({}, 0, [], [])
    for i, r in enumerate(rows[h + 1:], start=h + 2):
        if not r or all(v in (None, "") for v in r):
            continue
        r = list(r) + [None] * (len(header) - len(r))
        day = to_date(r[ci["date"]])
        name = r[ci["name"]]
        m, c = to_count(r[ci["msgs"]]), to_count(r[ci["calls"]])
        if day is None or name is None or not str(name).strip() or m is None or c is None:
            fc.rejected.append(i)
            continue
        if day != D:
            continue
        fc.rows_on_d += 1
        key = norm(name)
        if key in fc.persons:
            fc.duplicates.append(i)
            continue
        fc.persons[key] = m + c >= 1
    return fc


ID_RE = re.compile(r"^(\d+)(?=$|[ _\-.])")


# --------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------

def owned_files(root: Path) -> list[str]:
    files = [REGISTRY.as_posix()]
    for w in WEEKS:
        files += sorted(p.relative_to(root).as_posix() for p in (root / w).iterdir())
    return files


def test_generator_reproduces_committed_sample(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONHASHSEED="random")
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, env=env,
                   capture_output=True)
    expected = owned_files(RAW)
    assert owned_files(tmp_path) == expected
    changed = [rel for rel in expected
               if (tmp_path / rel).read_bytes() != (RAW / rel).read_bytes()]
    assert not changed, f"regenerated files differ: {changed[:5]}"


def file_shape(path: Path) -> str:
    if path.suffix == ".xls":
        return "xls"
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        return "xlsx_text" if re.search(r"<t>\d\d\.\d\d\.\d{4}</t>", xml) else "xlsx_date"
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return "csv_utf8bom"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "csv_1251"
    return "csv_utf8"


def test_every_week_has_every_shape_a_lock_file_and_an_unknown_org() -> None:
    registry_ids = set(read_registry(RAW / REGISTRY))
    for week in WEEKS:
        files = sorted((RAW / week).iterdir())
        locks = [p for p in files if p.name.startswith("~$")]
        exports = [p for p in files if not p.name.startswith("~$")]
        assert len(locks) == 1
        unknown = [p for p in exports if ID_RE.match(p.stem).group(1) not in registry_ids]
        assert len(unknown) == 1
        shapes = Counter(file_shape(p) for p in exports)
        assert set(shapes) == {"xlsx_date", "xlsx_text", "xls", "csv_1251", "csv_utf8bom",
                               "csv_utf8"}, (week, shapes)


def test_fast_xlsx_path_equals_openpyxl_output() -> None:
    # in a subprocess: the script pins openpyxl's serialiser before importing it
    out = subprocess.run([sys.executable, str(SCRIPT), "--check-writer"], check=True,
                         capture_output=True, text=True).stdout
    assert int(out.split()[-2]) >= 5


@pytest.fixture(scope="module")
def week_counts() -> tuple[dict[str, dict], dict[str, FileCount], list[str]]:
    registry = read_registry(RAW / REGISTRY)
    counts: dict[str, FileCount] = {}
    unknown = []
    for path in sorted((RAW / "2024-01-29").iterdir()):
        if path.name.startswith(("~$", ".")):
            continue
        match = ID_RE.match(path.stem)
        if not match or match.group(1) not in registry:
            unknown.append(path.name)
            assert count_file(path).rows_on_d == 5
            continue
        assert match.group(1) not in counts, "one file per organisation"
        counts[match.group(1)] = count_file(path)
    return registry, counts, unknown


def test_registry_shape(week_counts) -> None:
    registry, _, _ = week_counts
    assert 110 <= len(registry) <= 130
    schools = [o for o in registry.values() if o["type"] == "ОО"]
    assert sorted(o["mo"] for o in schools) == list(range(27))
    assert {o["mo"] for o in registry.values() if o["type"] == "ДОО"} == set(range(27))
    ws = openpyxl.load_workbook(RAW / REGISTRY, read_only=True).active
    spellings = {r[2] for r in ws.iter_rows(min_row=2, values_only=True)}
    types = {r[3] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {"г.Орел", "Залогощенский район", "Орловский муниципальный ок", "Кромской"} <= spellings
    assert types == {"ДОО", "детский сад", "ОО", "школа"}


def test_week_traps(week_counts) -> None:
    registry, counts, unknown = week_counts
    assert len(unknown) == 1
    assert sum(len(fc.duplicates) for fc in counts.values()) == 3
    assert sum(len(fc.rejected) for fc in counts.values()) == 2
    doo = [i for i, o in registry.items() if o["type"] == "ДОО"]
    no_file = [i for i in doo if i not in counts]
    no_rows_on_d = [i for i in doo if i in counts and not counts[i].persons]
    assert len(no_file) == 2 and len(no_rows_on_d) == 1
    stale = [i for i, o in registry.items() if o["type"] == "ОО"
             and len(counts[i].persons) > o["staff"]]
    assert len(stale) == 1


def test_doo_tables_match_seed(week_counts) -> None:
    registry, counts, _ = week_counts
    staff = Counter()
    reg = Counter()
    act = Counter()
    for org_id, o in registry.items():
        if o["type"] != "ДОО":
            continue
        staff[o["mo"]] += o["staff"]
        fc = counts.get(org_id)
        if fc:
            reg[o["mo"]] += len(fc.persons)
            act[o["mo"]] += sum(fc.persons.values())
    mos = range(len(MUNICIPALITIES))
    seed_reg = parse_seed(SEED_REGISTERED)
    seed_act = parse_seed(SEED_ACTIVE)
    for i, value in seed_reg:
        assert tenths(reg[i], staff[i]) == value, MUNICIPALITIES[i][0]
    for i, value in seed_act:
        assert tenths(act[i], reg[i]) == value, MUNICIPALITIES[i][0]
    assert ranking({i: (reg[i], staff[i]) for i in mos}) == [i for i, _ in seed_reg]
    assert ranking({i: (act[i], reg[i]) for i in mos}) == [i for i, _ in seed_act]
    total_staff, total_reg, total_act = (sum(c.values()) for c in (staff, reg, act))
    assert (total_reg, total_act) == (3725, 1254)
    assert 4128 <= total_staff <= 4132
    assert tenths(total_reg, total_staff) == 902
    assert tenths(total_act, total_reg) == 337


def test_school_table(week_counts) -> None:
    registry, counts, _ = week_counts
    reg = [0] * 27
    act = [0] * 27
    for org_id, o in registry.items():
        if o["type"] == "ОО":
            reg[o["mo"]] = len(counts[org_id].persons)
            act[o["mo"]] = sum(counts[org_id].persons.values())
    assert reg == SEED_SCHOOL_REGISTERED and sum(reg) == 195
    assert act == [min(a, r) for a, r in zip(SEED_SCHOOL_ACTIVE, reg, strict=True)]
