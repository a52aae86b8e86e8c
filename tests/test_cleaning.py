"""Cleaning one week: files -> organisations -> persons on the reporting date (contract §1.2, §2).

Every expected number below is counted by hand from the rows written in the test.
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest

from sferum_analysis import cleaning
from sferum_analysis.cleaning import check_accounting, clean_week, org_id_from_filename
from sferum_analysis.registry import read_registry
from sferum_analysis.schemas import FILES, ORGS, PERSONS, validate

D = dt.date(2024, 1, 29)
REG_HEADER = ["ID Сферум", "Наименование", "МО", "Тип", "Численность педагогов"]


@pytest.fixture
def registry(tmp_path, write):
    def make(rows):
        path = write.registry_csv(tmp_path / "registry" / "organizations.csv", rows, REG_HEADER)
        return read_registry(path)
    return make


def week_dir(tmp_path):
    folder = tmp_path / "2024-01-29"
    folder.mkdir(exist_ok=True)
    return folder


def files_by_name(clean):
    return clean.files.set_index("file")


def codes(clean):
    return clean.findings["code"].tolist()


def find(clean, code, file=None):
    f = clean.findings
    f = f[f["code"] == code]
    if file is not None:
        f = f[f["file"] == file]
    return f


# ----------------------------------------------------------------------------- file names
@pytest.mark.parametrize(("name", "org_id"), [
    ("123.xlsx", "123"),
    ("123 ДС №5.csv", "123"),
    ("123_x.xls", "123"),
    ("123-a.csv", "123"),
    ("123.csv", "123"),
    ("123.export.xlsx", "123"),
    ("000123.xlsx", "000123"),
    ("1234.xlsx", "1234"),
    ("123abc.xlsx", None),
    ("ДС 123.xlsx", None),
    ("x123.csv", None),
    ("отчёт.xlsx", None),
])
def test_org_id_from_filename(name, org_id):
    assert org_id_from_filename(name) == org_id


def test_file_matching_against_registry(tmp_path, write, registry):
    reg = registry([
        ["123", "ДС №5", "Орёл", "ДОО", 10],
        ["200", "ДС №6", "Орёл", "ДОО", 10],
        ["300", "ДС №7", "Орёл", "ДОО", 10],
        ["400", "ДС №8", "Орёл", "ДОО", 10],
        ["000500", "ДС №9", "Орёл", "ДОО", 10],
    ])
    folder = week_dir(tmp_path)
    row = [["29.01.2024", "Иванова Анна", "teacher", 0, 1, 0]]
    write.xlsx(folder / "123.xlsx", row)
    write.csv(folder / "200 ДС №6.csv", row)
    write.xls(folder / "300_x.xls", row)
    write.csv(folder / "400-a.csv", row, encoding="cp1251")
    write.csv(folder / "000500.csv", row)
    write.xlsx(folder / "1234.xlsx", row + row)            # must NOT be org 123
    write.csv(folder / "500.csv", row)                    # 500 is not 000500
    clean = clean_week(folder, reg, D)
    files = files_by_name(clean)
    assert files.loc["123.xlsx", "org_id"] == "123"
    assert files.loc["200 ДС №6.csv", "org_id"] == "200"
    assert files.loc["300_x.xls", "org_id"] == "300"
    assert files.loc["400-a.csv", "org_id"] == "400"
    assert files.loc["000500.csv", "org_id"] == "000500"
    assert pd.isna(files.loc["1234.xlsx", "org_id"])
    assert files.loc["1234.xlsx", "status"] == "unknown_org"
    assert files.loc["500.csv", "status"] == "unknown_org"
    assert clean.orgs.set_index("org_id")["registered"].to_dict() == {
        "123": 1, "200": 1, "300": 1, "400": 1, "000500": 1}
    assert len(clean.persons) == 5
    unknown = find(clean, "unknown_org")
    assert sorted(unknown["file"]) == ["1234.xlsx", "500.csv"]
    msg = unknown.set_index("file").loc["1234.xlsx", "message"]
    assert "2 строки" in msg  # the row count of the unknown file
    assert (unknown["level"] == "error").all()


# ----------------------------------------------------------------------------- hand count
HAND_ROWS = [
    # Excel row 4 onward (title row 1, blank row 2, header row 3)
    ["29.01.2024", "Иванов Иван Иванович", "teacher", 1, 5, 0],          # 4 used, active
    ["29.01.2024", "Петрова Анна", "teacher", 0, 0, 0],                  # 5 used, inactive
    ["28.01.2024", "Иванов Иван Иванович", "teacher", 1, 4, 0],          # 6 other date
    [None, None, None, None, None, None],                                # 7 blank: not a row
    ["29.01.2024", "  иванов   ИВАН  иванович ", "teacher", 1, 5, 0],    # 8 duplicate of 4
    ["29.01.2024", "", "teacher", 0, 3, 0],                              # 9 rejected: name
    ["29.01.2024", "Сидоров Олег", "teacher", 0, -1, 0],                 # 10 rejected: negative
    ["29.01.2024", "Кузнецова Мария", "teacher", 0, "много", 0],         # 11 rejected: text
    ["31.02.2024", "Смирнов Павел", "teacher", 0, 1, 1],                 # 12 rejected: date
    [dt.datetime(2024, 1, 29), "Ёжикова Алёна", "teacher", 0, None, None],  # 13 used, blank=0
    ["22.01.2024", "Петрова Анна", "teacher", 0, 2, 0],                  # 14 other date
    ["2024-01-29", "ЕЖИКОВА алена", "teacher", 0, None, None],           # 15 duplicate of 13
    ["29.01.2024", "Орлова Вера", "teacher", 0, 0, "-2"],                # 16 rejected: calls
]
HAND_NAMES = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Ёжикова", "Ежикова",
              "Орлова", "Иван", "Анна", "Олег", "Мария", "Павел", "Алёна", "Алена", "Вера"]


def test_hand_counted_file(tmp_path, write, registry):
    reg = registry([["123", "ДС №5", "г. Орёл", "ДОО", 10]])
    folder = week_dir(tmp_path)
    write.xlsx(folder / "123 ДС №5.xlsx", HAND_ROWS, title_lines=[write.title],
               blank_after_title=1, blank_after=2)
    clean = clean_week(folder, reg, D)

    (f,) = clean.files.to_dict("records")
    assert f["file"] == "123 ДС №5.xlsx" and f["org_id"] == "123" and f["status"] == "used"
    assert (f["rows_read"], f["rows_used"], f["rows_other_dates"], f["rows_duplicate"],
            f["rows_rejected"]) == (12, 3, 2, 2, 5)
    assert check_accounting(clean.files).empty

    persons = clean.persons
    assert persons["row"].tolist() == [4, 5, 13]
    assert persons["full_name"].tolist() == ["Иванов Иван Иванович", "Петрова Анна",
                                             "Ёжикова Алёна"]
    assert persons["person_key"].tolist() == ["иванов иван иванович", "петрова анна",
                                              "ежикова алена"]
    assert persons["messages_7d"].tolist() == [5, 0, 0]
    assert persons["calls_7d"].tolist() == [0, 0, 0]
    assert (persons["org_id"] == "123").all()
    (org,) = clean.orgs.to_dict("records")
    assert (org["status"], org["registered"], org["files"]) == ("reported", 3, 1)

    dups = find(clean, "duplicate")
    assert dups["row"].tolist() == [8, 15]
    assert (dups["file"] == "123 ДС №5.xlsx").all()
    assert "строке 4" in dups["message"].iloc[0] and "строке 13" in dups["message"].iloc[1]

    rej = find(clean, "rejected_row").set_index("row")["message"]
    assert sorted(rej.index) == [9, 10, 11, 12, 16]
    assert "пустое ФИО" in rej[9]
    assert "сообщений" in rej[10] and "-1" in rej[10]
    # Cyrillic text is not quoted: it may be (part of) a name
    assert "сообщений" in rej[11] and "много" not in rej[11] and "текст скрыт" in rej[11]
    assert "дата" in rej[12] and "31.02.2024" in rej[12]
    assert "звонков" in rej[16] and "-2" in rej[16]
    assert (find(clean, "rejected_row")["file"] == "123 ДС №5.xlsx").all()

    for message in clean.findings["message"]:
        low = message.casefold().replace("ё", "е")
        for name in HAND_NAMES:
            assert name.casefold().replace("ё", "е") not in low, message

    validate(clean.persons, PERSONS)
    validate(clean.orgs, ORGS)
    validate(clean.files, FILES)


def test_same_counts_in_every_shape(tmp_path, write, registry):
    """The hand-counted rows give the same accounting whatever the file shape."""
    reg = registry([["1", "А", "Орёл", "ДОО", 10], ["2", "Б", "Орёл", "ДОО", 10],
                    ["3", "В", "Орёл", "ДОО", 10], ["4", "Г", "Орёл", "ДОО", 10],
                    ["5", "Д", "Орёл", "ДОО", 10]])
    text_rows = [[v.strftime("%d.%m.%Y") if isinstance(v, dt.datetime) else v for v in r]
                 for r in HAND_ROWS]
    folder = week_dir(tmp_path)
    write.xlsx(folder / "1.xlsx", HAND_ROWS, title_lines=[write.title])
    write.xls(folder / "2.xls", HAND_ROWS, title_lines=[write.title])
    write.csv(folder / "3.csv", text_rows, encoding="cp1251", sep=";")
    write.csv(folder / "4.csv", text_rows, encoding="utf-8-sig", sep=",")
    write.csv(folder / "5.csv", text_rows, encoding="utf-8", sep=";", title_lines=[write.title])
    clean = clean_week(folder, reg, D)
    counts = clean.files[["rows_read", "rows_used", "rows_other_dates", "rows_duplicate",
                          "rows_rejected"]].drop_duplicates()
    assert counts.values.tolist() == [[12, 3, 2, 2, 5]]
    assert clean.orgs["registered"].tolist() == [3] * 5
    assert clean.persons.groupby("org_id")["messages_7d"].sum().tolist() == [5] * 5


# ----------------------------------------------------------------------------- a varied week
def varied_week(tmp_path, write, registry):
    reg = registry([
        ["123", "ДС №5", "г. Орёл", "ДОО", 5],
        ["124", "ДС №6", "г. Орёл", "ДОО", 4],
        ["125", "ДС №7", "Ливны", "ДОО", 3],       # no file at all
        ["126", "ДС №8", "Ливны", "ДОО", 2],       # only last week's rows
        ["127", "СОШ №1", "Мценск", "ОО", 10],     # damaged file
        ["12", "СОШ №2", "Мценск", "ОО", 1],       # 12_x.xls: not confused with 123/124/...
    ])
    folder = week_dir(tmp_path)
    write.xlsx(folder / "123 ДС №5.xlsx", HAND_ROWS, title_lines=[write.title],
               blank_after_title=1)
    write.csv(folder / "124.csv", [
        ["29.01.2024", "Иванов Иван Иванович", "teacher", 0, 0, 1],   # also works in 123
        ["29.01.2024", "Зайцева Ольга", "teacher", 0, 0, 0],
        ["30.01.2024", "Зайцева Ольга", "teacher", 0, 1, 0],          # a later date
    ], encoding="cp1251", sep=";")
    write.csv(folder / "126-старая.csv", [
        ["22.01.2024", "Козлов Антон", "teacher", 0, 1, 0],
        ["21.01.2024", "Козлов Антон", "teacher", 0, 1, 0],
    ], encoding="utf-8-sig", sep=",")
    (folder / "127.xlsx").write_bytes(b"\x13\x37 definitely not a workbook " * 50)
    write.xls(folder / "12_x.xls", [[dt.datetime(2024, 1, 29), "Волков Иван", "teacher", 0,
                                     0, 0]])
    write.xlsx(folder / "1234.xlsx", [["29.01.2024", "Белов Илья", "teacher", 0, 3, 3],
                                      ["28.01.2024", "Белов Илья", "teacher", 0, 3, 3],
                                      ["29.01.2024", "Белова Ия", "teacher", 0, 3, 3]])
    (folder / "~$123 ДС №5.xlsx").write_bytes(b"\x00lock")
    (folder / ".~lock.124.csv#").write_text("lock", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00")
    (folder / "Thumbs.db").write_bytes(b"\x00")
    return reg, folder


def test_varied_week(tmp_path, write, registry):
    reg, folder = varied_week(tmp_path, write, registry)
    clean = clean_week(folder, reg, D)

    # every file has a line in the accounting, except the skipped ones
    files = files_by_name(clean)
    assert sorted(files.index) == sorted(["123 ДС №5.xlsx", "124.csv", "126-старая.csv",
                                          "127.xlsx", "12_x.xls", "1234.xlsx"])
    assert check_accounting(clean.files).empty
    f = clean.files
    assert (f["rows_read"] == f["rows_used"] + f["rows_other_dates"] + f["rows_duplicate"]
            + f["rows_rejected"]).all()
    assert files.loc["124.csv", ["rows_read", "rows_used", "rows_other_dates"]].tolist() == [
        3, 2, 1]
    assert files.loc["126-старая.csv", ["status", "rows_read", "rows_other_dates"]].tolist() == [
        "no_data_for_date", 2, 2]
    assert files.loc["127.xlsx", ["status", "rows_read"]].tolist() == ["unreadable", 0]
    assert files.loc["1234.xlsx", ["status", "rows_read", "rows_used", "rows_other_dates"]
                     ].tolist() == ["unknown_org", 3, 2, 1]
    assert files.loc["12_x.xls", ["org_id", "rows_used"]].tolist() == ["12", 1]

    orgs = clean.orgs.set_index("org_id")
    assert orgs["status"].to_dict() == {
        "123": "reported", "124": "reported", "125": "missing_export",
        "126": "no_data_for_date", "127": "unreadable", "12": "reported"}
    assert orgs["registered"].to_dict() == {
        "123": 3, "124": 2, "125": 0, "126": 0, "127": 0, "12": 1}

    # the same person in two organisations counts in each
    ivanov = clean.persons[clean.persons["person_key"] == "иванов иван иванович"]
    assert sorted(ivanov["org_id"]) == ["123", "124"]
    # the unknown organisation's people are never counted
    assert not clean.persons["person_key"].str.startswith("белов").any()
    assert len(clean.persons) == 6

    by_code = clean.findings.groupby("code").size().to_dict()
    assert by_code == {
        "duplicate": 2, "rejected_row": 5, "unknown_org": 1, "unreadable_file": 1,
        "no_data_for_date": 1, "missing_export": 1, "skipped_file": 4,
    }
    skipped = find(clean, "skipped_file")
    assert sorted(skipped["file"]) == sorted(["~$123 ДС №5.xlsx", ".~lock.124.csv#",
                                              ".DS_Store", "Thumbs.db"])
    assert (skipped["level"] == "info").all()
    unreadable = find(clean, "unreadable_file")
    assert unreadable["file"].tolist() == ["127.xlsx"]
    assert unreadable["level"].tolist() == ["error"]
    assert find(clean, "no_data_for_date")["file"].tolist() == ["126-старая.csv"]
    missing = find(clean, "missing_export")
    assert missing["org_id"].tolist() == ["125"]
    assert "3 строки" in find(clean, "unknown_org")["message"].iloc[0]

    names = [*HAND_NAMES, "Зайцева", "Ольга", "Козлов", "Антон", "Волков", "Белов", "Илья",
             "Белова"]
    for message in clean.findings["message"]:
        low = message.casefold().replace("ё", "е")
        for name in names:
            assert name.casefold().replace("ё", "е") not in low, message
    validate(clean.persons, PERSONS)
    validate(clean.orgs, ORGS)
    validate(clean.files, FILES)


def test_parallel_reading_gives_the_same_result(tmp_path, write, registry):
    reg, folder = varied_week(tmp_path, write, registry)
    one = clean_week(folder, reg, D, workers=1)
    threads = []  # the caller's work while the workers read: in a thread of its own
    many = clean_week(folder, reg, D, workers=2,
                      meanwhile=lambda: threads.append(threading.current_thread().name))
    assert threads == ["sferum-while-reading"]
    pd.testing.assert_frame_equal(one.files, many.files)
    pd.testing.assert_frame_equal(one.persons, many.persons)
    pd.testing.assert_frame_equal(one.orgs, many.orgs)
    pd.testing.assert_frame_equal(one.findings, many.findings)


def test_clean_week_writes_nothing(tmp_path, write, registry, hash_tree):
    reg, folder = varied_week(tmp_path, write, registry)
    before = hash_tree(tmp_path)
    clean_week(folder, reg, D)
    assert hash_tree(tmp_path) == before


def test_duplicates_across_two_files_of_one_org(tmp_path, write, registry):
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [["29.01.2024", "Лебедев Юрий", "teacher", 0, 2, 0],
                                 ["29.01.2024", "Носова Зоя", "teacher", 0, 0, 0]])
    write.xlsx(folder / "7 повтор.xlsx", [["29.01.2024", "ЛЕБЕДЕВ  ЮРИЙ", "teacher", 0, 2, 0],
                                         ["29.01.2024", "Орехов Лев", "teacher", 0, 0, 1]])
    clean = clean_week(folder, reg, D)
    files = files_by_name(clean)
    # files are taken in name order: "7 повтор.xlsx" (space) comes before "7.csv" (dot)
    assert files.loc["7 повтор.xlsx", ["rows_used", "rows_duplicate"]].tolist() == [2, 0]
    assert files.loc["7.csv", ["rows_used", "rows_duplicate"]].tolist() == [1, 1]
    assert clean.orgs["registered"].tolist() == [3]
    dup = find(clean, "duplicate")
    assert dup["file"].tolist() == ["7.csv"] and dup["row"].tolist() == [2]
    assert "«7 повтор.xlsx», строка 2" in dup["message"].iloc[0]
    assert find(clean, "multiple_exports")["org_id"].tolist() == ["7"]


def test_file_where_every_dated_row_is_rejected(tmp_path, write, registry):
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [["29.01.2024", "", "teacher", 0, 2, 0]])
    clean = clean_week(folder, reg, D)
    assert clean.files[["rows_read", "rows_rejected"]].values.tolist() == [[1, 1]]
    assert clean.orgs["status"].tolist() == ["no_data_for_date"]
    assert check_accounting(clean.files).empty
    # the rows were there but none counts: an error (issue 14) naming the reason and a row
    [message] = find(clean, "no_usable_rows")["message"].tolist()
    assert "прочитано: 1 строка, отклонено: 1" in message
    assert "пустое ФИО" in message and "строка 2" in message
    assert find(clean, "no_data_for_date").empty


def test_file_without_a_header_is_unreadable(tmp_path, write, registry):
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5], ["8", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [["a", "b"]], header=["Что-то", "Другое"])
    write.csv(folder / "8.csv", [["29.01.2024", "Юдин Ян", "teacher", 0, 1, 0]])
    clean = clean_week(folder, reg, D)
    msg = find(clean, "unreadable_file")["message"].iloc[0]
    assert "Дата" in msg and "ФИО" in msg
    assert clean.orgs.set_index("org_id")["status"].to_dict() == {"7": "unreadable",
                                                                  "8": "reported"}


def test_unsupported_file_type_is_reported(tmp_path, write, registry):
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [["29.01.2024", "Юдин Ян", "teacher", 0, 1, 0]])
    (folder / "7.pdf").write_bytes(b"%PDF-1.4")
    (folder / "readme.txt").write_text("x", encoding="utf-8")
    clean = clean_week(folder, reg, D)
    assert sorted(find(clean, "unsupported_file")["file"]) == ["7.pdf", "readme.txt"]
    assert len(clean.files) == 1


def test_long_names_are_not_cut(tmp_path, write, registry):
    """Two different people whose names share a long beginning stay two people."""
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5]])
    stem = "Константинопольская-Преображенская Александра Константиновна "
    assert len(stem) > 60
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [["29.01.2024", stem + "(ст.)", "teacher", 0, 1, 0],
                                 ["29.01.2024", stem + "(мл.)", "teacher", 0, 1, 0]])
    clean = clean_week(folder, reg, D)
    assert clean.orgs["registered"].tolist() == [2]
    assert sorted(clean.persons["full_name"]) == sorted([stem + "(мл.)", stem + "(ст.)"])
    assert find(clean, "duplicate").empty


def test_normalize_name():
    s = pd.Series(["  Ёлкина\u00a0 Алёна  ", "ЁЛКИНА АЛЕНА", "елкина\tалена"])
    assert cleaning.normalize_name(s).tolist() == ["елкина алена"] * 3


def test_corrupt_huge_count_rejects_the_row_not_the_week(tmp_path, write, registry):
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [["29.01.2024", "Юдин Ян", "teacher", 0, "99999999999999999999", 0],
                                 ["29.01.2024", "Яковлев Ян", "teacher", "1" * 30, 1, 0]])
    clean = clean_week(folder, reg, D)
    rej = find(clean, "rejected_row")
    assert rej["row"].tolist() == [2]
    assert "99999999999999999999" in rej["message"].iloc[0]
    assert clean.persons["full_name"].tolist() == ["Яковлев Ян"]
    assert clean.persons["link"].isna().tolist() == [True]  # an unusable link is just empty
    validate(clean.persons, PERSONS)


def test_web_page_saved_as_csv_is_unreadable_not_fatal(tmp_path, write, registry):
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5], ["8", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    (folder / "7.csv").write_bytes(b"<!doctype html><script>" + b"z" * 300_000 + b"</script>")
    write.csv(folder / "8.csv", [["29.01.2024", "Юдин Ян", "teacher", 0, 1, 0]])
    clean = clean_week(folder, reg, D)
    assert find(clean, "unreadable_file")["file"].tolist() == ["7.csv"]
    [message] = find(clean, "unreadable_file")["message"].tolist()
    assert "в одной ячейке больше 131 072 символов" in message, message  # Russian reason
    assert clean.orgs.set_index("org_id")["status"].to_dict() == {"7": "unreadable",
                                                                  "8": "reported"}


def test_name_in_a_date_or_count_cell_never_reaches_quality(tmp_path, write, registry):
    """A row shifted by hand: the surname sits in the date / count column."""
    reg = registry([["7", "ДС", "Орёл", "ДОО", 5]])
    folder = week_dir(tmp_path)
    write.csv(folder / "7.csv", [
        ["Сорокина", "Вера Павловна", "teacher", 0, 1, 0],
        ["29.01.2024", "Тихонова Ия", "teacher", 0, "Тихонова", 0],
        ["29.01.2024", "Уварова Ася", "teacher", 0, 1, "Уварова Ася"],
        ["32.01.2024", "Фёдорова Ева", "teacher", 0, 1, 0],
        ["29.01.2024", "Харитонова Юлия", "teacher", 0, "n/a", 0],
    ])
    clean = clean_week(folder, reg, D)
    rej = find(clean, "rejected_row").set_index("row")["message"]
    assert sorted(rej.index) == [2, 3, 4, 5, 6]
    text = " ".join(clean.findings["message"]).casefold()
    for name in ("сорокина", "тихонова", "уварова", "федорова", "фёдорова", "харитонова"):
        assert name not in text
    assert "текст скрыт" in rej[2] and "дата" in rej[2]
    assert "«32.01.2024»" in rej[5]   # digits are shown: the analyst can find the cell
    assert "«n/a»" in rej[6]
