"""Hostile and broken input files: each gives a clear Russian finding, none stops the week.

The corpus is ``tests/bad_inputs/`` (written by ``tests/bad_inputs/make_corpus.py``; the
two 5 MB noise files are generated here, into ``tmp_path``). Every export belongs to its own
organisation of the corpus registry, so one file's behaviour is checked alone.

Behaviour chosen where the data contract is silent:

* a file that cannot be read at all (damaged, not a workbook, password-protected, empty,
  binary noise, a web page saved as .xls, no header row) is an ``unreadable_file`` error
  naming the reason; its organisation counts as without a usable export;
* a real .xls renamed to .xlsx is read by its content (the name does not matter);
* a file with a header and no rows is ``no_data_for_date`` (0 rows read);
* extra columns are ignored; merged header cells keep the value of their first cell (a
  column whose header was swallowed by a merge is treated as absent; only optional
  columns may be lost that way, otherwise the file is unreadable naming the column);
* a header row that lacks a required column names the missing one;
* a formula saved without its value (written by a program, never opened in Excel) is not
  a number: its row is rejected, quoting the formula; with a saved value the value is used;
* counts as text: spaces and no-break spaces between thousands are ignored (``1 234`` →
  1234); a decimal comma is accepted only for an integral value (``3,0`` → 3, ``2,5``
  rejected); negative counts, a minus sign ``−3``, counts above 2³¹−1 and non-finite
  numbers are rejected; counts above 100 000 are used with an ``implausible_count`` warning;
* rows dated after the reporting date are "other dates" (D+1 is in every Sferum export of
  a week); rows dated more than 7 days after it also give one ``future_date`` warning per
  file (first such row, count and latest date);
* a sheet whose filled area would exceed 5 million cells (one stray value in XFD1048576) is
  unreadable naming the far cell, instead of crashing the process;
* a damaged OLE container (an .xls that made the Excel reader loop for ever) is unreadable;
* a NUL inside a CSV damages only its row; a header repeated in the middle of a file (two
  exports pasted together) is one rejected row and the repeated people are duplicates;
* a broken registry (duplicate ids, missing columns) stops the run: exit 1, one Russian
  line naming the rows or columns, no traceback, nothing written.

Row accounting (read = used + other dates + duplicates + rejected) holds for every file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sferum_analysis import findings as fnd
from sferum_analysis.cleaning import check_accounting, clean_week
from sferum_analysis.registry import RegistryError, read_registry
from sferum_analysis.schemas import FILES, ORGS, PERSONS, validate

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
WEEK = "2024-01-29"
D = dt.date(2024, 1, 29)


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _load_generator()

# file -> (status, rows read, used, other dates, duplicates, rejected,
#          {finding code: [rows]}, fragments of the finding messages)
UNREADABLE = ("unreadable", 0, 0, 0, 0, 0)
EXPECTED: dict[str, tuple] = {
    "101 truncated.xlsx": (*UNREADABLE, {"unreadable_file": [None]}, ["повреждён"]),
    "102 not a zip.xlsx": (*UNREADABLE, {"unreadable_file": [None]},
                           ["не является книгой Excel"]),
    "103 password protected.xlsx": (*UNREADABLE, {"unreadable_file": [None]},
                                    ["защищён паролем"]),
    "104 real xls renamed.xlsx": ("used", 3, 2, 1, 0, 0, {}, []),
    "105 empty.xlsx": (*UNREADABLE, {"unreadable_file": [None]}, ["пустой файл"]),
    "106 empty.xls": (*UNREADABLE, {"unreadable_file": [None]}, ["пустой файл"]),
    "107 empty.csv": (*UNREADABLE, {"unreadable_file": [None]}, ["пустой файл"]),
    "108 header only.xlsx": ("no_data_for_date", 0, 0, 0, 0, 0,
                             {"no_data_for_date": [None]}, ["нет строк за 29.01.2024"]),
    "109 header only.csv": ("no_data_for_date", 0, 0, 0, 0, 0,
                            {"no_data_for_date": [None]}, ["нет строк за 29.01.2024"]),
    "110 no fio column.xlsx": (*UNREADABLE, {"unreadable_file": [None]},
                               ["в строке 2 нет колонки «ФИО»"]),
    "111 extra columns.csv": ("used", 3, 2, 1, 0, 0, {}, []),
    "112 merged header.xlsx": ("used", 3, 2, 1, 0, 0, {}, []),
    "113 formulas.xlsx": ("used", 3, 2, 0, 0, 1, {"rejected_row": [4]},
                          ["«=1+1» (формула без сохранённого значения)", "«=0»"]),
    "114 numbers as text.csv": ("used", 6, 4, 0, 0, 2, {"rejected_row": [4, 6]},
                                ["«2,5»", "«12abc»"]),
    "115 numbers as text.xlsx": ("used", 6, 4, 0, 0, 2, {"rejected_row": [5, 7]},
                                 ["«2,5»", "«12abc»"]),
    "116 huge counts.xlsx": ("used", 5, 2, 0, 0, 3,
                             {"rejected_row": [4, 5, 6], "implausible_count": [3]},
                             ["«1000000000000»", "«999999999999999999999999»",
                              "больше 100 000"]),
    "117 negative counts.csv": ("used", 4, 1, 0, 0, 3, {"rejected_row": [2, 3, 4]},
                                ["«-1»", "«-0,5»", "«−3»"]),
    "118 future dates.csv": ("used", 4, 1, 3, 0, 0, {"future_date": [4]},
                             ["2 строки с датой позже 05.02.2024", "29.01.2099"]),
    "119 utf16.csv": ("used", 3, 2, 1, 0, 0, {}, []),
    "120 utf16 be.csv": ("used", 3, 2, 1, 0, 0, {}, []),
    "121 far cell.xlsx": (*UNREADABLE, {"unreadable_file": [None]},
                          ["слишком велик", "XFD1048576"]),
    "122 html as xls.xls": (*UNREADABLE, {"unreadable_file": [None]}, ["веб-страница"]),
    "123 nul bytes.csv": ("used", 200, 198, 1, 0, 1, {"rejected_row": [201]},
                          ["не распознана дата «29.\ufffd\ufffd01.2024»"]),
    "124 bad dates.xlsx": ("used", 5, 3, 0, 0, 2, {"rejected_row": [3, 4]},
                           ["«31.02.2024»", "не распознана дата «»"]),
    "125 data on second sheet.xlsx": ("used", 3, 2, 1, 0, 0, {}, []),
    "126 two exports pasted.csv": ("used", 7, 2, 2, 2, 1,
                                   {"rejected_row": [5], "duplicate": [6, 7]},
                                   ["повтор строки заголовка", "первая запись — в строке 2"]),
    "127 only title.csv": (*UNREADABLE, {"unreadable_file": [None]},
                           ["не найдена строка заголовка"]),
    "128 damaged ole.xls": (*UNREADABLE, {"unreadable_file": [None]}, ["повреждён"]),
    "129 far cell.xls": (*UNREADABLE, {"unreadable_file": [None]},
                         ["лист «Выгрузка» слишком велик: заполнена ячейка IV65536"]),
    "130 noise.xlsx": (*UNREADABLE, {"unreadable_file": [None]},
                       ["не является книгой Excel"]),
    "131 noise.csv": (*UNREADABLE, {"unreadable_file": [None]}, ["двоичные данные"]),
}
ORG_STATUS = {"used": "reported", "unreadable": "unreadable",
              "no_data_for_date": "no_data_for_date"}


def test_every_corpus_file_has_an_expectation():
    assert set(EXPECTED) == set(make_corpus.CORPUS) | set(make_corpus.NOISE)
    committed = {p.name for p in (CORPUS / WEEK).iterdir()}
    assert committed == set(make_corpus.CORPUS)  # the noise files are never committed


def test_committed_corpus_is_what_the_generator_writes(tmp_path):
    written = make_corpus.generate(tmp_path)
    assert written
    for path in written:
        rel = path.relative_to(tmp_path)
        assert (CORPUS / rel).read_bytes() == path.read_bytes(), (
            f"{rel}: run .venv/bin/python tests/bad_inputs/make_corpus.py")
    assert sum(p.stat().st_size for p in written) < 200_000  # the corpus stays small


@pytest.fixture(scope="module")
def registry():
    return read_registry(CORPUS / "registry" / "organizations.csv")


@pytest.fixture(scope="module")
def noise_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("noise")
    paths = make_corpus.write_noise(folder)
    assert [p.stat().st_size for p in paths] == [5 * 1024 * 1024] * 2
    return folder


def _source(name: str, noise_dir: Path) -> Path:
    return noise_dir / name if name in make_corpus.NOISE else CORPUS / WEEK / name


def _messages(clean, code: str) -> list[str]:
    return clean.findings.loc[clean.findings["code"] == code, "message"].tolist()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_one_bad_file(tmp_path, registry, noise_dir, name):
    """Each file alone in a week folder: status, row accounting, findings with file/row."""
    status, read, used, other, dup, rejected, codes, fragments = EXPECTED[name]
    week = tmp_path / WEEK
    week.mkdir()
    shutil.copyfile(_source(name, noise_dir), week / name)
    clean = clean_week(week, registry, D)

    files = clean.files.set_index("file")
    assert files.loc[name, ["status", "rows_read", "rows_used", "rows_other_dates",
                            "rows_duplicate", "rows_rejected"]].tolist() == [
        status, read, used, other, dup, rejected]
    assert check_accounting(clean.files).empty
    validate(clean.files, FILES)
    validate(clean.persons, PERSONS)
    validate(clean.orgs, ORGS)

    org_id = name.split()[0]
    assert clean.orgs.set_index("org_id").loc[org_id, "status"] == ORG_STATUS[status]
    assert len(clean.persons) == used

    mine = clean.findings[clean.findings["file"] == name]
    for code, rows in codes.items():
        got = mine.loc[mine["code"] == code, "row"].tolist()
        assert [None if pd.isna(r) else int(r) for r in got] == rows, (code, got)
    # nothing but the expected kinds of findings about this file
    assert set(mine["code"]) <= set(codes) | {"identical_counts"}, mine
    text = " | ".join(mine["message"])
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    for message in clean.findings["message"]:
        assert re.search("[а-яё]{3}", message.casefold()), message  # Russian, for the user
    assert set(clean.findings["code"]) <= set(fnd.CODES)


def test_values_read_from_odd_cells(tmp_path, registry, noise_dir):
    """Numbers as text, formulas with a saved value, merged headers: the values used."""
    week = tmp_path / WEEK
    week.mkdir()
    for name in ("112 merged header.xlsx", "113 formulas.xlsx", "114 numbers as text.csv",
                 "115 numbers as text.xlsx", "116 huge counts.xlsx", "124 bad dates.xlsx"):
        shutil.copyfile(CORPUS / WEEK / name, week / name)
    persons = clean_week(week, registry, D).persons
    by_org = {org: frame for org, frame in persons.groupby("org_id")}
    assert by_org["112"]["user_type"].tolist() == ["", ""]  # merged away: optional column
    assert by_org["113"]["messages_7d"].tolist() == [1, 2]  # "=1+1" with its saved value 2
    for org in ("114", "115"):
        assert by_org[org]["messages_7d"].tolist() == [1234, 3, 1, 7]
        assert by_org[org]["calls_7d"].tolist() == [0, 0, 1000, 0]
    assert by_org["116"]["messages_7d"].tolist() == [150_000, 1]
    assert by_org["124"]["full_name"].tolist() == [
        "Тестова Анна 3", "Тестова Анна 4", "Тестова Анна 5"]


def test_whole_corpus_in_one_week(tmp_path, registry, noise_dir):
    """All files together (and in parallel workers): the same per-file outcome."""
    week = tmp_path / WEEK
    shutil.copytree(CORPUS / WEEK, week)
    for name in make_corpus.NOISE:
        shutil.copyfile(noise_dir / name, week / name)
    for workers in (1, 2):
        clean = clean_week(week, registry, D, workers=workers)
        assert check_accounting(clean.files).empty
        validate(clean.files, FILES)
        validate(clean.persons, PERSONS)
        got = clean.files.set_index("file")
        for name, (status, read, used, other, dup, rejected, *_) in EXPECTED.items():
            assert got.loc[name, ["status", "rows_read", "rows_used", "rows_other_dates",
                                  "rows_duplicate", "rows_rejected"]].tolist() == [
                status, read, used, other, dup, rejected], name
        # every organisation of the registry has a status; none is silently missing
        assert set(clean.orgs["org_id"]) == set(make_corpus.ORG_IDS)
        assert clean.orgs["status"].notna().all()


# ----------------------------------------------------------------------------- huge sheets
def _xlsx_with_cells(path: Path, cells: str) -> Path:
    """The corpus' header-only workbook with extra cells (raw sheet XML) at the end."""
    shutil.copyfile(CORPUS / WEEK / "108 header only.xlsx", path)
    make_corpus._patch_sheet(path, lambda xml: xml.replace(b"</sheetData>",
                                                           cells.encode() + b"</sheetData>"))
    return path


@pytest.mark.parametrize(("cells", "far"), [
    # Z1 (column 26) and A1048576: 27 million cells from A1
    ('<row r="9"><c r="Z9" t="inlineStr"><is><t>x</t></is></c></row>'
     '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>',
     "Z1048576"),
    # a cell reference written with a tab before r=
    ('<row r="1048576"><c\tr="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
     "XFD1048576"),
])
def test_far_cells_are_refused_before_the_excel_reader(tmp_path, cells, far):
    from sferum_analysis.reading import ReadError, read_grids

    path = _xlsx_with_cells(tmp_path / "1.xlsx", cells)
    with pytest.raises(ReadError, match=f"слишком велик: заполнена ячейка {far}"):
        read_grids(path)


def test_a_long_sheet_within_the_limit_is_read(tmp_path):
    """120 000 rows of 6 columns: beyond row 99 999 the exact extent is computed; read."""
    from sferum_analysis.reading import read_grids

    rows = "".join(f'<row r="{r}"><c r="F{r}"><v>1</v></c></row>' for r in range(3, 120_001))
    path = _xlsx_with_cells(tmp_path / "1.xlsx", rows)
    (grid,) = read_grids(path)
    assert len(grid) == 120_000 and len(grid[0]) == 6


def test_a_shared_strings_bomb_is_refused(tmp_path):
    """Shared strings that decompress to far more than any export (the reader would hold
    them all in memory): refused from the declared size, before the Excel reader."""
    import zipfile

    from sferum_analysis import reading

    path = _xlsx_with_cells(tmp_path / "1.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>')
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * 7_000_000
                    + b"</sst>")
    with pytest.raises(reading.ReadError, match="xl/sharedStrings.xml слишком велика"):
        reading.read_grids(path)


def test_a_zip_bomb_sheet_is_refused(tmp_path, monkeypatch):
    from sferum_analysis import reading

    monkeypatch.setattr(reading, "MAX_SHEET_XML_BYTES", 3 << 20)
    path = _xlsx_with_cells(tmp_path / "1.xlsx", "<row r='5'/>" * 400_000)  # 4.8 MB
    with pytest.raises(reading.ReadError, match="слишком велик: больше 3 МБ"):
        reading.read_grids(path)


# ----------------------------------------------------------------------------- file names
def _non_utf8_week(folder: Path) -> Path:
    """Two files whose names are cp1251 / cp866 bytes (unpacked from a Windows ZIP)."""
    import os

    week = folder / WEEK
    week.mkdir(parents=True)
    data = (CORPUS / WEEK / "111 extra columns.csv").read_bytes()
    for raw in ("111 Детский сад.csv".encode("cp1251"), "Неизвестная.csv".encode("cp866")):
        with open(os.path.join(os.fsencode(week), raw), "wb") as fh:
            fh.write(data)
    return week


def test_file_names_that_are_not_utf8(tmp_path, registry):
    """Shown decoded with a Windows code page; the file is read; tables can be written."""
    from sferum_analysis.storage import write_csv, write_parquet

    week = _non_utf8_week(tmp_path)
    clean = clean_week(week, registry, D)
    files = clean.files.set_index("file")
    assert files.loc["111 Детский сад.csv", ["status", "rows_used"]].tolist() == ["used", 2]
    assert files.loc["Неизвестная.csv", "status"] == "unknown_org"
    assert clean.persons["file"].tolist() == ["111 Детский сад.csv"] * 2
    write_parquet(clean.files, tmp_path / "files.parquet")
    write_parquet(clean.persons, tmp_path / "persons.parquet")
    write_csv(clean.findings, tmp_path / "quality.csv")
    assert "Неизвестная.csv" in (tmp_path / "quality.csv").read_text(encoding="utf-8")


def test_a_non_utf8_name_that_reads_like_another_file_keeps_its_own_line(tmp_path, registry):
    """«111 Детский сад.csv» in cp1251 and in UTF-8 side by side: two files, two lines of
    accounting, one person counted once (the second file repeats the first)."""
    from sferum_analysis.schemas import FILES, validate

    week = _non_utf8_week(tmp_path)
    shutil.copyfile(CORPUS / WEEK / "111 extra columns.csv", week / "111 Детский сад.csv")
    clean = clean_week(week, registry, D)
    names = sorted(clean.files["file"])
    assert names == ["111 Детский сад (2).csv", "111 Детский сад.csv", "Неизвестная.csv"]
    validate(clean.files, FILES)  # file names unique
    assert check_accounting(clean.files).empty
    assert (clean.files.set_index("file")["rows_duplicate"].sum()) == 2
    assert "multiple_exports" in set(clean.findings["code"])


def test_control_and_bidi_characters_in_file_names_are_shown_as_replacement(tmp_path,
                                                                            registry):
    """An ESC sequence, a bell or a right-to-left override in a file name never reaches a
    table, quality.csv or the report: each is shown as U+FFFD."""
    week = tmp_path / WEEK
    week.mkdir()
    data = (CORPUS / WEEK / "111 extra columns.csv").read_bytes()
    for name in ("111 \x1b[31mred\x07.csv", "999 \u202eabc\u200b.csv"):
        (week / name).write_bytes(data)
    clean = clean_week(week, registry, D)
    assert sorted(clean.files["file"]) == ["111 \ufffd[31mred\ufffd.csv",
                                           "999 \ufffdabc\ufffd.csv"]
    assert clean.files.set_index("file").loc["111 \ufffd[31mred\ufffd.csv", "status"] == "used"
    assert not clean.findings["file"].str.contains("[\x1b\x07\u202e\u200b]").any()


def test_manifest_of_a_week_with_a_non_utf8_file_name(tmp_path):
    from sferum_analysis.config import Paths
    from sferum_analysis.storage import write_json
    from sferum_analysis.store import WeekStore

    data = tmp_path / "data"
    _non_utf8_week(data / "raw")
    (data / "raw" / "registry").mkdir()
    shutil.copyfile(CORPUS / "registry" / "organizations.csv",
                    data / "raw" / "registry" / "organizations.csv")
    write_json({"inputs": WeekStore(Paths(data, tmp_path / "r")).inputs_fingerprint(WEEK)},
               tmp_path / "manifest.json")


# ----------------------------------------------------------------------------- registry
def test_registry_with_duplicate_ids():
    with pytest.raises(RegistryError) as info:
        read_registry(CORPUS / "registry_duplicate_ids.csv")
    assert info.value.problems == ["строка 5: ID 102 повторяет строку 3"]


def test_registry_with_missing_columns():
    with pytest.raises(RegistryError) as info:
        read_registry(CORPUS / "registry_missing_columns.csv")
    message = str(info.value)
    assert "в строке 1 нет колонок «МО», «Численность педагогов»" in message
    assert "\n" not in message


def _corpus_data_dir(root: Path, registry_file: str, noise_dir: Path | None = None) -> Path:
    data = root / "data"
    (data / "raw" / "registry").mkdir(parents=True)
    shutil.copyfile(CORPUS / registry_file, data / "raw" / "registry" / "organizations.csv")
    shutil.copytree(CORPUS / WEEK, data / "raw" / WEEK)
    if noise_dir is not None:
        for name in make_corpus.NOISE:
            shutil.copyfile(noise_dir / name, data / "raw" / WEEK / name)
    return data


@pytest.mark.parametrize(("registry_file", "fragment"), [
    ("registry_duplicate_ids.csv", "строка 5: ID 102 повторяет строку 3"),
    ("registry_missing_columns.csv", "нет колонок «МО», «Численность педагогов»"),
])
def test_broken_registry_stops_the_run_with_one_russian_line(
        tmp_path, run_cli, hash_tree, registry_file, fragment):
    data = _corpus_data_dir(tmp_path, registry_file)
    reports = tmp_path / "reports"
    before = hash_tree(tmp_path)
    res = run_cli("run", WEEK, "--data-dir", data, "--reports-dir", reports)
    assert res.returncode == 1, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res
    assert lines[0].startswith("sferum: ошибка: реестр организаций"), res
    assert "не принят:" in lines[0] and "ошибка: ошибка" not in lines[0]
    assert fragment in lines[0], res
    after = hash_tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.endswith(".sferum.lock")} == before
    assert not (reports / WEEK).exists()


# ----------------------------------------------------------------------------- whole run
@pytest.mark.slow
def test_sferum_run_over_the_whole_corpus(tmp_path, run_cli, hash_tree, noise_dir):
    """The corpus (with the noise files) in one week: published, exit 0, all accounted for."""
    import csv

    data = _corpus_data_dir(tmp_path, "registry/organizations.csv", noise_dir)
    reports = tmp_path / "reports"
    raw_before = hash_tree(data / "raw")
    res = run_cli("run", WEEK, "--data-dir", data, "--reports-dir", reports)
    assert res.returncode == 0, res
    assert "Traceback" not in res.stderr
    out = reports / WEEK
    for name in ("metrics_mo.csv", "quality.csv", "files.csv", f"sferum_{WEEK}.html",
                 f"sferum_{WEEK}.pdf", f"sferum_{WEEK}.xlsx"):
        assert (out / name).is_file(), name
    with (out / "files.csv").open(encoding="utf-8", newline="") as fh:
        files = {r["file"]: r for r in csv.DictReader(fh)}
    assert set(files) == set(EXPECTED)
    for name, (status, read, used, other, dup, rejected, *_) in EXPECTED.items():
        r = files[name]
        assert [r["status"], *(int(r[k]) for k in ("rows_read", "rows_used",
                "rows_other_dates", "rows_duplicate", "rows_rejected"))] == [
            status, read, used, other, dup, rejected], name
        assert int(r["rows_read"]) == sum(int(r[k]) for k in (
            "rows_used", "rows_other_dates", "rows_duplicate", "rows_rejected"))
    with (out / "quality.csv").open(encoding="utf-8", newline="") as fh:
        quality = list(csv.DictReader(fh))
    for name, (*_, codes, fragments) in EXPECTED.items():
        mine = [q for q in quality if q["file"] == name]
        for code, rows in codes.items():
            assert sorted(q["row"] for q in mine if q["code"] == code) == sorted(
                "" if r is None else str(r) for r in rows), (name, code)
        text = " | ".join(q["message"] for q in mine)
        for fragment in fragments:
            assert fragment in text, (name, fragment)
    errors = {q["file"] for q in quality if q["level"] == "error"}
    assert errors == {n for n, e in EXPECTED.items() if e[0] == "unreadable"}
    assert hash_tree(data / "raw") == raw_before  # data/raw is never written


# ----------------------------------------------------------------------------- failed step
def _notebooks_with(tmp_path: Path, notebook: str, code: str) -> Path:
    """A copy of the project's notebooks where ``notebook`` runs ``code`` after its
    parameters cell."""
    import json

    from sferum_analysis.config import NOTEBOOKS_DIR

    folder = tmp_path / "notebooks"
    folder.mkdir()
    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        shutil.copyfile(path, folder / path.name)
    nb = json.loads((folder / notebook).read_text(encoding="utf-8"))
    at = next(i for i, cell in enumerate(nb["cells"])
              if "parameters" in cell.get("metadata", {}).get("tags", []))
    nb["cells"].insert(at + 1, {"cell_type": "code", "id": "injected-failure", "metadata": {},
                                "execution_count": None, "outputs": [], "source": code})
    (folder / notebook).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return folder


def _tiny_data(tmp_path: Path) -> Path:
    from tiny_region import write_region, write_week

    data = tmp_path / "data"
    write_region(data)
    write_week(data, WEEK, active=1)
    return data


def _run_in_process(monkeypatch, capsys, notebooks: Path, data: Path, reports: Path):
    from sferum_analysis import cli, config, pipeline

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    monkeypatch.setattr(pipeline, "NOTEBOOKS_DIR", notebooks)
    code = cli.main(["run", WEEK, "--data-dir", str(data), "--reports-dir", str(reports)])
    return code, capsys.readouterr().err


@pytest.mark.slow
def test_failed_notebook_is_kept_and_named_in_one_line(tmp_path, monkeypatch, capsys):
    """A step that raises: exit 1, one Russian error line naming the step and the executed
    notebook, which is kept (with the error) under reports/failed/<week>/notebooks/;
    nothing is published and no staging folder is left behind."""
    notebooks = _notebooks_with(tmp_path, "02_metrics.ipynb", 'raise RuntimeError("boom")')
    data, reports = _tiny_data(tmp_path), tmp_path / "reports"
    code, err = _run_in_process(monkeypatch, capsys, notebooks, data, reports)
    assert code == 1, err
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ln.startswith("sferum: ошибка")]
    failed = reports / "failed" / WEEK / "notebooks" / "02_metrics.ipynb"
    assert errors == [f"sferum: ошибка: шаг «расчёт показателей» завершился ошибкой: "
                      f"RuntimeError: boom. Ноутбук с ошибкой: {failed}"], err
    executed = failed.read_text(encoding="utf-8")
    assert '"ename": "RuntimeError"' in executed and "boom" in executed
    assert (reports / "failed" / WEEK / "notebooks" / "01_clean.ipynb").is_file()
    assert (reports / "failed" / WEEK / "run.log").is_file()
    assert not (reports / WEEK).exists()
    assert not (data / "processed" / WEEK).exists()
    leftovers = [p.name for root in (reports, data / "processed") for p in root.iterdir()
                 if p.name.startswith((".staging-", ".old-"))]
    assert leftovers == []


@pytest.mark.slow
def test_dead_kernel_is_a_failed_step(tmp_path, monkeypatch, capsys):
    """The kernel process dies (out of memory, a crash in a C extension): the same as a
    failed step — one Russian line, exit 1, the notebook kept under reports/failed/."""
    notebooks = _notebooks_with(tmp_path, "01_clean.ipynb", "import os\nos._exit(1)")
    data, reports = _tiny_data(tmp_path), tmp_path / "reports"
    try:
        code, err = _run_in_process(monkeypatch, capsys, notebooks, data, reports)
    except Exception as exc:  # noqa: BLE001 - what the CLI lets through today
        pytest.fail(f"exception out of sferum run: {type(exc).__name__}: {exc}")
    assert code == 1, err
    assert "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("sferum: ошибка")]) == 1, err
    assert (reports / "failed" / WEEK / "notebooks" / "01_clean.ipynb").is_file()
