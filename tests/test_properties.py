"""Property-based tests: whatever the rows of an export, cleaning never fails or loses a row.

Hypothesis writes exports of random rows (names in any Unicode with ё, odd spaces, markup
and formula prefixes; dates on, around and far from the reporting date or garbage; counts
as ints, floats, text with spaces or commas, garbage, blanks, booleans) as CSV (UTF-8 with
or without BOM, Windows-1251 for the encodable subset; ``;`` or ``,``) and as .xlsx, and
checks for every week:

* :func:`cleaning.clean_week` never raises;
* every file's rows are all accounted for: rows read = the non-blank rows written, and
  read = used + other dates + duplicates + rejected;
* persons are unique per (organisation, person key), each from a used row of its file;
* no quality message quotes a name written in the ФИО column;
* metrics (:func:`metrics.mo_metrics` over :func:`metrics.org_activity`) have active ≤
  registered in every row, registered = the persons of that type, and each ``total`` row
  is the sum of its municipalities with percentages computed from those sums (pooled).

And any registry (random cells, CSV or .xlsx) is either read into a valid table of
organisations with unique ids or refused with a Russian :class:`RegistryError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sferum_analysis import metrics as mt
from sferum_analysis.cleaning import check_accounting, clean_week
from sferum_analysis.reading import _NA_STRINGS
from sferum_analysis.registry import read_registry
from sferum_analysis.schemas import FILES, METRICS, ORGS, PERSONS, validate

D = dt.date(2024, 1, 29)
HEADER = ["Дата", "ФИО", "Тип пользователя", "Связь с родителями",
          "Кол-во сообщений за 7 дней", "Кол-во звонков за 7 дней"]
REGISTRY = ("ID Сферум;Наименование;МО;Тип;Численность педагогов\n"
            "11;ДС 1;г. Орёл;ДОО;3\n"
            "12;ДС 2;Ливны;ДОО;0\n"
            "21;Школа 1;г. Орёл;ОО;40\n")
ORGS_OF_FILES = ["11", "12", "21", "11", "999"]  # 11 twice: two exports; 999: not registered

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ----------------------------------------------------------------------------- strategies
_any_char = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
any_text = st.text(_any_char, max_size=25)
SURNAME_LIST = ["Иванова", "Фёдорова", "Ёлкин", "Соловьёва", "ПЕТРОВ", "Мария-Луиза", "O'Brien",
                "Анна", "Ян", "ёжиков"]
SURNAMES = {s.casefold() for s in SURNAME_LIST}
surname = st.sampled_from(SURNAME_LIST)
spaces = st.sampled_from([" ", "  ", "\u00a0", "\t", " \u202f", "\n"])
real_name = st.builds(lambda parts, sep, pad: pad + sep.join(parts) + pad,
                      st.lists(surname, min_size=1, max_size=3), spaces,
                      st.sampled_from(["", " ", "  "]))
hostile = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=1+1", "=HYPERLINK(\"x\")",
    "+7 999", "-Иванов", "@SUM(A1)", "\"кавычки\"", "a;b,c", "NA", "null", "None", "nan",
    "", "   ", "Дата", "ФИО", "'", "\r\n", "\u2028", "ß", "Ǆ",
])
# separators inside a cell: one such line must not change how the file is split
separators = st.one_of(
    st.text(st.sampled_from(",;\t\"' А"), min_size=1, max_size=12),
    st.builds(lambda parts, sep: sep.join(parts), st.lists(surname, min_size=2, max_size=10),
              st.sampled_from([", ", "; ", ",", ";"])))
names = st.one_of(real_name, real_name, hostile, any_text, separators)

dates_on = st.sampled_from(["29.01.2024", "2024-01-29", " 29.01.2024 ", "29.01.24",
                            "2024-01-29 10:00", "29/01/2024", dt.datetime(2024, 1, 29),
                            dt.datetime(2024, 1, 29, 23, 59), 45320])
dates_other = st.one_of(
    st.dates(dt.date(2023, 1, 1), dt.date(2100, 1, 1)).map(lambda d: d.strftime("%d.%m.%Y")),
    st.sampled_from(["28.01.2024", "30.01.2024", "23.01.2024", dt.datetime(2024, 1, 30)]))
dates_bad = st.one_of(st.sampled_from(["31.02.2024", "", "Дата", "2024.01.29", "29-01-2024",
                                       None, "00.00.0000", "=TODAY()", -1, 10**9]), any_text)
dates = st.one_of(dates_on, dates_on, dates_other, dates_bad)

counts = st.one_of(
    st.integers(0, 60), st.integers(0, 60), st.integers(-5, 5), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(["1 234", "3,0", "2,5", "", " ", "abc", "-1", "1e3", "٣", "²", "0,0",
                     "12\u00a0000", "'5", "=1+1", "+3", "1.5", "007"]),
    any_text)
optional = st.one_of(st.none(), st.just("teacher"), any_text)
link = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["", "x"]))
row = st.tuples(dates, names, optional, link, counts, counts).map(list)
rows = st.lists(row, max_size=12)
# the files of a week: (rows of each file); duplicates are likely across files of org 11
week_files = st.lists(rows, min_size=1, max_size=len(ORGS_OF_FILES))


# ----------------------------------------------------------------------------- writers
def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _encodable(text: str, encoding: str) -> str:
    return text.encode(encoding, "ignore").decode(encoding)


def write_csv(path: Path, data: list[list[object]], encoding: str, sep: str,
              header: list[str] = HEADER) -> list[list[str]]:
    """Write the rows as text cells; return the cells as written."""
    base = "cp1251" if encoding == "cp1251" else "utf-8"
    cells = [[_encodable(_cell_text(v), base) for v in r] for r in data]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(cells)
    path.write_bytes(buf.getvalue().encode(encoding))
    return cells


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)  # Excel has no such number: it arrives as text
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)  # Excel numbers are doubles
    return value


def write_xlsx(path: Path, data: list[list[object]],
               header: list[str] = HEADER) -> list[list[object]]:
    cells = [[_xlsx_value(v) for v in r] for r in data]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r, values in enumerate(cells, start=2):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return cells


def _nonblank_csv(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)


def _nonblank_xlsx(cells: list[object]) -> bool:
    for c in cells:
        if c is None:
            continue
        if isinstance(c, str):
            if c.startswith("=") and len(c) > 1:  # openpyxl writes it as a formula
                return True
            if c.strip() and c not in _NA_STRINGS:
                return True
        elif not (isinstance(c, float) and c != c):
            return True
    return False


# ----------------------------------------------------------------------------- checks
def _registry(folder: Path) -> pd.DataFrame:
    path = folder / "organizations.csv"
    path.write_text(REGISTRY, encoding="utf-8")
    return read_registry(path)


def check_week(week_dir: Path, written: dict[str, int], names_written: set[str],
               registry: pd.DataFrame) -> None:
    clean = clean_week(week_dir, registry, D)  # never raises

    files = clean.files.set_index("file")
    assert check_accounting(clean.files).empty
    validate(clean.files, FILES)
    validate(clean.orgs, ORGS)
    validate(clean.persons, PERSONS)  # unique (org_id, person_key) among others
    for name, n in written.items():
        assert files.loc[name, "rows_read"] == n, (name, files.loc[name].to_dict())
        assert files.loc[name, "status"] != "unreadable", name

    persons = clean.persons
    assert not persons.duplicated(["org_id", "person_key"]).any()
    known = clean.files[clean.files["status"] != "unknown_org"]
    assert known["rows_used"].sum() == len(persons)
    assert set(persons["org_id"]) <= set(registry["org_id"])
    assert (persons["person_key"].str.len() > 0).all()

    # no surname written into the ФИО column is quoted in a quality message
    words = set(re.findall(r"[\w'-]+", "\n".join(clean.findings["message"]).casefold()))
    written = {w for name in names_written for w in re.findall(r"[\w'-]+", name.casefold())}
    assert not (words & written & SURNAMES)

    for rule in (mt.ActiveRule(), mt.ActiveRule("quota", 10, 1)):
        orgs = mt.org_activity(clean.orgs, persons, rule)
        table = validate(mt.mo_metrics(orgs), METRICS)
        assert (table["active"] <= table["registered"]).all()
        for org_type, block in table.groupby("org_type"):
            mos, total = block[block["mo"] != mt.TOTAL], block[block["mo"] == mt.TOTAL]
            assert len(total) == 1 and len(mos) == 27
            total = total.iloc[0]
            for col in ("staff_total", "registered", "active", "orgs_expected",
                        "orgs_reported"):
                assert total[col] == mos[col].sum(), (org_type, col)
            of_type = persons["org_id"].isin(
                registry.loc[registry["org_type"] == org_type, "org_id"])
            assert total["registered"] == of_type.sum()
            assert _same(total["pct_registered"], mt.pct(int(total["registered"]),
                                                          int(total["staff_total"])))
            assert _same(total["pct_active"], mt.pct(int(total["active"]),
                                                      int(total["registered"])))


def _same(value: object, expected: float | None) -> bool:
    return (expected is None and pd.isna(value)) or value == expected


def _run(files: list[list[list[object]]], write) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        registry = _registry(root)
        week = root / "2024-01-29"
        week.mkdir()
        written: dict[str, int] = {}
        names_written: set[str] = set()
        for i, data in enumerate(files):
            name, cells, count = write(week, i, data)
            written[name] = count
            names_written.update(str(r[1]) for r in cells if r[1] is not None)
        check_week(week, written, names_written, registry)


# ----------------------------------------------------------------------------- tests
@SETTINGS
@given(week_files, st.sampled_from(["utf-8", "utf-8-sig"]), st.sampled_from([";", ","]))
def test_csv_utf8_weeks(files, encoding, sep):
    def write(week, i, data):
        name = f"{ORGS_OF_FILES[i]} выгрузка {i}.csv"
        cells = write_csv(week / name, data, encoding, sep)
        return name, cells, sum(map(_nonblank_csv, cells))

    _run(files, write)


@SETTINGS
@given(week_files, st.sampled_from([";", ","]))
def test_csv_cp1251_weeks(files, sep):
    def write(week, i, data):
        name = f"{ORGS_OF_FILES[i]}_{i}.csv"
        cells = write_csv(week / name, data, "cp1251", sep)
        return name, cells, sum(map(_nonblank_csv, cells))

    _run(files, write)


@settings(SETTINGS, max_examples=35)
@given(week_files)
def test_xlsx_weeks(files):
    def write(week, i, data):
        name = f"{ORGS_OF_FILES[i]}-{i}.xlsx"
        cells = write_xlsx(week / name, data)
        return name, cells, sum(map(_nonblank_xlsx, cells))

    _run(files, write)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
                max_size=20),
       st.integers(0, 30), st.integers(0, 5))
def test_metrics_pooled_and_bounded(people, min_messages, min_calls):
    """Metrics straight from persons: active ≤ registered under any quota, pooled totals."""
    with tempfile.TemporaryDirectory() as tmp:
        registry = _registry(Path(tmp))
    org_ids = registry["org_id"].tolist()
    persons = pd.DataFrame({
        "org_id": [org_ids[o % len(org_ids)] for o, _, _ in people],
        "messages_7d": pd.Series([m for _, m, _ in people], dtype="int64"),
        "calls_7d": pd.Series([c for _, _, c in people], dtype="int64"),
    })
    orgs = registry.assign(
        status="reported", files=1,
        registered=registry["org_id"].map(persons["org_id"].value_counts()).fillna(0)
        .astype("int64"))
    for rule in (mt.ActiveRule(), mt.ActiveRule("quota", min_messages, min_calls)):
        table = mt.mo_metrics(mt.org_activity(orgs, persons, rule))
        assert (table["active"] <= table["registered"]).all()
        assert table.loc[table["mo"] == mt.TOTAL, "registered"].sum() == len(persons)
        for _, block in table.groupby("org_type"):
            mos, total = block[block["mo"] != mt.TOTAL], block[block["mo"] == mt.TOTAL].iloc[0]
            assert total["active"] == mos["active"].sum()
            assert total["staff_total"] == mos["staff_total"].sum()
            assert _same(total["pct_active"],
                         mt.pct(int(mos["active"].sum()), int(mos["registered"].sum())))


registry_cell = st.one_of(
    st.none(), any_text, st.integers(-10**20, 10**20), st.floats(), st.booleans(),
    st.sampled_from(["г. Орёл", "Ливны", "Орловский муниципальный ок", "ДОО", "школа",
                     "=1+1", "NA", "  ", "123", "0123", "1e30", "12,0", "1 204",
                     dt.datetime(2024, 1, 1)]))


@SETTINGS
@given(st.lists(st.lists(registry_cell, max_size=7), max_size=6), st.booleans())
def test_registry_is_read_or_refused_with_a_russian_message(rows, as_xlsx):
    """Any registry: a table of organisations, or RegistryError in Russian, nothing else."""
    from sferum_analysis.registry import RegistryError

    header = ["ID Сферум", "Наименование", "МО", "Тип", "Численность педагогов"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"organizations.{'xlsx' if as_xlsx else 'csv'}"
        if as_xlsx:
            write_xlsx(path, rows, header)
        else:
            write_csv(path, rows, "utf-8", ";", header)
        try:
            reg = read_registry(path)
        except RegistryError as exc:
            assert re.search("[а-яё]{4}", str(exc)), exc
            return
    validate(reg, ORGS.remove_columns(["files", "status", "registered"]))
    assert reg["org_id"].is_unique
