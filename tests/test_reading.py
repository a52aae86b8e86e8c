"""Readers: xlsx / xls / CSV exports as analysts download them (contract §1.2)."""

from __future__ import annotations

import datetime as dt

import pytest

from sferum_analysis import cleaning, reading
from sferum_analysis.cleaning import parse_count, parse_date
from sferum_analysis.registry import read_registry

D = dt.date(2024, 1, 29)


def read_export(path):
    return reading.read_table(path, cleaning.EXPORT_FIELDS, cleaning.REQUIRED_FIELDS,
                              cleaning.EXPORT_TITLES)


# ----------------------------------------------------------------------------- xlsx
def test_xlsx_title_lines_blank_lines_and_user_row_numbers(tmp_path, write):
    rows = [
        [dt.datetime(2024, 1, 29), "Иванов Иван", "teacher", 1, 5, 2],
        [None] * 6,                                      # a blank line inside the data
        ["29.01.2024", "Петров Пётр", "teacher", 0, None, 3],
        ["2024-01-29", "Сидоров Сидор", "teacher", 0, 4, None],
    ]
    path = write.xlsx(tmp_path / "1.xlsx", rows,
                      title_lines=[write.title, "Организация: МБДОУ №1"],
                      blank_after_title=1, blank_after=3)
    table = read_export(path)
    # Excel rows: 1-2 titles, 3 blank, 4 header, 5 data, 6 blank, 7-8 data.
    assert table.header_row == 4
    assert table.frame["row"].tolist() == [5, 7, 8]
    assert table.frame["full_name"].tolist() == ["Иванов Иван", "Петров Пётр", "Сидоров Сидор"]
    assert [parse_date(v) for v in table.frame["date"]] == [D, D, D]
    assert [parse_count(v) for v in table.frame["messages_7d"]] == [5, 0, 4]
    assert [parse_count(v) for v in table.frame["calls_7d"]] == [2, 3, 0]
    assert table.columns["messages_7d"] == "Кол-во сообщений за 7 дней"


def test_xlsx_table_not_starting_in_a1(tmp_path, write):
    path = write.xlsx(tmp_path / "1.xlsx", [["29.01.2024", "А Б", "teacher", 0, 1, 0]],
                      title_lines=[write.title], blank_after_title=2, start_col=3)
    table = read_export(path)
    assert table.header_row == 4
    assert table.frame["row"].tolist() == [5]
    assert table.frame["full_name"].tolist() == ["А Б"]


def test_real_excel_date_vs_text_dates(tmp_path, write):
    rows = [
        [dt.datetime(2024, 1, 29), "A", "teacher", 0, 1, 0],
        [dt.datetime(2024, 1, 28, 0, 0), "B", "teacher", 0, 1, 0],
        ["29.01.2024", "C", "teacher", 0, 1, 0],
        ["2024-01-29", "D", "teacher", 0, 1, 0],
        ["2024-01-29 00:00:00", "E", "teacher", 0, 1, 0],
        ["31.02.2024", "F", "teacher", 0, 1, 0],
        ["вчера", "G", "teacher", 0, 1, 0],
    ]
    table = read_export(write.xlsx(tmp_path / "1.xlsx", rows))
    assert [parse_date(v) for v in table.frame["date"]] == [
        D, dt.date(2024, 1, 28), D, D, D, None, None]


def test_parse_date_cells():
    assert parse_date(dt.datetime(2024, 1, 29, 13, 5)) == D
    assert parse_date(dt.date(2024, 1, 29)) == D
    assert parse_date("29.01.2024") == D
    assert parse_date(" 29.01.2024 ") == D
    assert parse_date("2024-01-29") == D
    assert parse_date("2024-01-29T00:00:00") == D
    assert parse_date(45320.0) == D  # an Excel serial number left unformatted
    for bad in (None, "", "29.13.2024", "2024-02-30", "завтра", True, float("nan")):
        assert parse_date(bad) is None


def test_parse_count_cells():
    assert parse_count(None) == 0
    assert parse_count("") == 0
    assert parse_count("  ") == 0
    assert parse_count(float("nan")) == 0
    assert parse_count(7) == 7
    assert parse_count(7.0) == 7
    assert parse_count("7") == 7
    assert parse_count(" 1 234 ") == 1234
    for bad in (-1, "-1", "abc", "7.5", 7.5, True, "∞", "1e400", "nan"):
        assert parse_count(bad) is None
    # a corrupt huge cell is rejected, never an overflow of the int64 columns
    assert parse_count(str(cleaning.MAX_COUNT)) == cleaning.MAX_COUNT
    for huge in ("99999999999999999999", 10**20, 1e20, cleaning.MAX_COUNT + 1):
        assert parse_count(huge) is None


# ----------------------------------------------------------------------------- xls
def test_xls_table_not_starting_in_a1(tmp_path):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Лист1")
    for c, title in enumerate(["Дата", "ФИО", "Кол-во сообщений за 7 дней",
                               "Кол-во звонков за 7 дней"]):
        ws.write(3, 2 + c, title)          # header in Excel row 4, from column C
    ws.write(5, 2, "29.01.2024")          # data in Excel row 6 (row 5 blank)
    ws.write(5, 3, "Иванова Анна")
    ws.write(5, 4, 1)
    wb.save(str(tmp_path / "1.xls"))
    table = read_export(tmp_path / "1.xls")
    assert table.header_row == 4
    assert table.frame["row"].tolist() == [6]
    assert table.frame["full_name"].tolist() == ["Иванова Анна"]


def test_xls_with_title_and_dates(tmp_path, write):
    rows = [
        [dt.datetime(2024, 1, 29), "Иванов Иван", "teacher", 1, 3, 1],
        ["29.01.2024", "Петрова Анна", "teacher", 0, None, None],
        [dt.datetime(2024, 1, 22), "Кузнецов Олег", "teacher", 0, 2, 0],
    ]
    path = write.xls(tmp_path / "5.xls", rows, title_lines=[write.title], blank_after_title=1)
    table = read_export(path)
    assert table.header_row == 3
    assert table.frame["row"].tolist() == [4, 5, 6]
    assert [parse_date(v) for v in table.frame["date"]] == [D, D, dt.date(2024, 1, 22)]
    assert [parse_count(v) for v in table.frame["messages_7d"]] == [3, 0, 2]
    assert [parse_count(v) for v in table.frame["calls_7d"]] == [1, 0, 0]


# ----------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("sep", [";", ","])
def test_csv_encodings_and_separators(tmp_path, write, encoding, sep):
    rows = [
        ["29.01.2024", "Ёлкина Алёна Сергеевна", "teacher", 1, 12, 0],
        ["28.01.2024", "Щукин Эдуард", "teacher", 0, "", 1],
        ["2024-01-29", "Иванов, Иван", "teacher", 0, 3, ""],  # a comma inside a quoted cell
    ]
    path = write.csv(tmp_path / "7.csv", rows, encoding=encoding, sep=sep,
                     title_lines=[write.title], blank_after_title=1, blank_after=2)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    table = read_export(path)
    # lines: 1 title, 2 blank, 3 header, 4-6 data
    assert table.header_row == 3
    assert table.frame["row"].tolist() == [4, 5, 6]
    assert table.frame["full_name"].tolist() == [
        "Ёлкина Алёна Сергеевна", "Щукин Эдуард", "Иванов, Иван"]
    assert [parse_date(v) for v in table.frame["date"]] == [D, dt.date(2024, 1, 28), D]
    assert [parse_count(v) for v in table.frame["messages_7d"]] == [12, 0, 3]
    assert [parse_count(v) for v in table.frame["calls_7d"]] == [0, 1, 0]
    assert table.columns["date"] == "Дата"  # no BOM left on the first header


def test_csv_without_title_header_on_line_1(tmp_path, write):
    path = write.csv(tmp_path / "7.csv", [["29.01.2024", "А", "teacher", 0, 1, 1]],
                     encoding="utf-8-sig", sep=",")
    table = read_export(path)
    assert table.header_row == 1
    assert table.frame["row"].tolist() == [2]


# ----------------------------------------------------------------------------- headers
@pytest.mark.parametrize("header", [
    ["Дата", "ФИО", "Тип пол", "Связь с родителями", "Кол-во сообщений за 7 дней",
     "Кол-во звонков за 7 дней"],
    ["ДАТА", "ФИО", "ТИП ПОЛЬЗОВАТЕЛЯ", "СВЯЗЬ С РОДИТЕЛЯМИ", "КОЛ-ВО СООБЩЕНИЙ ЗА 7 ДНЕЙ",
     "КОЛ-ВО ЗВОНКОВ ЗА 7 ДНЕЙ"],
    ["  Дата ", "ФИО  сотрудника", "Тип\u00a0пользователя", "Связь  с учениками",
     "Кол-во   сообщений\nза 7 дней", " Кол-во звонков за 7 дней "],
    ["Дата", "ФИО", "Тип пользователя", "Связь с родителями", "Кол-во сообщёний за 7 дней",
     "Кол-во звонков за 7 днёй"],
])
def test_header_matched_by_normalised_prefix(tmp_path, write, header):
    path = write.xlsx(tmp_path / "1.xlsx", [["29.01.2024", "А", "teacher", 4, 5, 6]],
                      header=header, title_lines=[write.title])
    table = read_export(path)
    rec = table.frame.iloc[0]
    assert (rec["full_name"], rec["user_type"], rec["link"], rec["messages_7d"],
            rec["calls_7d"]) == ("А", "teacher", 4, 5, 6)


def test_header_columns_in_another_order(tmp_path, write):
    header = ["Кол-во звонков за 7 дней", "ФИО", "Дата", "Кол-во сообщений за 7 дней"]
    path = write.csv(tmp_path / "1.csv", [[2, "А", "29.01.2024", 9]], header=header)
    rec = read_export(path).frame.iloc[0]
    assert (rec["date"], rec["full_name"], rec["messages_7d"], rec["calls_7d"]) == (
        "29.01.2024", "А", "9", "2")
    assert rec["user_type"] is None and rec["link"] is None  # optional columns


def test_missing_required_column_is_a_read_error(tmp_path, write):
    header = ["Дата", "ФИО", "Тип пользователя", "Кол-во сообщений за 7 дней"]
    path = write.xlsx(tmp_path / "1.xlsx", [["29.01.2024", "А", "teacher", 1]], header=header)
    with pytest.raises(reading.ReadError, match="Кол-во звонков"):
        read_export(path)


# ----------------------------------------------------------------------------- damage
@pytest.mark.parametrize(("name", "content"), [
    ("1.xlsx", b"this is not a workbook at all \x00\x01\x02" * 20),
    ("1.xlsx", b"PK\x03\x04 broken zip" + bytes(range(256))),
    ("1.xls", bytes(range(256)) * 4),
    ("1.xlsx", b""),
    ("1.csv", b""),
    ("1.csv", b"\x00\x01\x02garbage\x00" * 30),
    # a web page saved as .csv (session expired): one line far over the csv field limit
    ("1.csv", b"<html><script>" + b"x" * 200_000 + b"</script></html>\n"),
    ("1.csv", "Дата;ФИО;Кол-во сообщений;Кол-во звонков\n29.01.2024;".encode()
     + b"y" * 200_000 + b";1;1\n"),
])
def test_damaged_files_raise_read_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(reading.ReadError) as info:
        read_export(path)
    assert str(info.value)  # a Russian message for the quality report
    assert any("а" <= ch <= "я" for ch in str(info.value).lower())


# ----------------------------------------------------------------------------- ids as text
def test_ids_are_read_as_text(tmp_path, write):
    """Registry ids: numbers stored by Excel become their digits, text keeps leading zeros."""
    header = ["ID Сферум", "Наименование", "МО", "Тип", "Численность педагогов"]
    path = write.registry_xlsx(tmp_path / "organizations.xlsx", [
        [123456, "ДС 1", "г. Орёл", "ДОО", 10],
        [123457.0, "ДС 2", "г. Орёл", "ДОО", 10.0],
        ["000123", "ДС 3", "г. Орёл", "ДОО", "10"],
        ["9007199254740993", "ДС 4", "г. Орёл", "ДОО", 10],  # too long for a float
    ], header)
    reg = read_registry(path)
    assert sorted(reg["org_id"]) == sorted(["123456", "123457", "000123", "9007199254740993"])
    assert reg["staff_total"].tolist() == [10, 10, 10, 10]

    csv_path = write.registry_csv(tmp_path / "organizations.csv", [
        ["000123", "ДС 3", "Орёл", "ДОО", "10"],
        ["123456.0", "ДС 1", "Орёл", "ДОО", "10"],
    ], header)
    assert sorted(read_registry(csv_path)["org_id"]) == ["000123", "123456"]


def test_readers_never_write(tmp_path, write):
    path = write.xlsx(tmp_path / "1.xlsx", [["29.01.2024", "А", "teacher", 0, 1, 1]])
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_export(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.xlsx"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# ----------------------------------------------------------------------------- CSV lines
CSV_HEADER = ";".join(["Дата", "ФИО", "Тип пользователя", "Связь с родителями",
                       "Кол-во сообщений за 7 дней", "Кол-во звонков за 7 дней"])


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x85"])
def test_unicode_separators_stay_inside_a_cell(tmp_path, sep):
    """Only CR/LF end a line (as in a text editor); a pasted U+2028 does not split a row."""
    text = (f"{CSV_HEADER}\n29.01.2024;Иванова{sep}Анна;teacher;0;1;0\n"
            "29.01.2024;Петрова Мария;teacher;0;2;0\n")
    path = tmp_path / "1.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_export(path)
    assert table.frame["row"].tolist() == [2, 3]
    assert table.frame["full_name"].tolist() == [f"Иванова{sep}Анна", "Петрова Мария"]
    assert table.frame["messages_7d"].tolist() == ["1", "2"]


def test_quoted_cell_on_two_lines_is_one_row(tmp_path):
    text = (f"{CSV_HEADER}\r\n"
            '29.01.2024;"Иванова\r\nАнна";teacher;0;1;0\r\n'
            "29.01.2024;Петрова Мария;teacher;0;2;0\r\n")
    path = tmp_path / "1.csv"
    path.write_bytes(text.encode("cp1251"))
    table = read_export(path)
    assert table.frame["row"].tolist() == [2, 4]  # the second record starts on line 4
    assert table.frame["full_name"].tolist() == ["Иванова\r\nАнна", "Петрова Мария"]
    assert table.frame["messages_7d"].tolist() == ["1", "2"]


def test_broken_quote_damages_one_row_only(tmp_path):
    text = (f"{CSV_HEADER}\n"
            '29.01.2024;"Иванова Анна;teacher;0;1;0\n'          # a quote never closed
            "29.01.2024;Петрова Мария;teacher;0;2;0\n"
            "29.01.2024;Сидорова Ольга;teacher;0;3;0\n")
    path = tmp_path / "1.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_export(path)
    assert table.frame["row"].tolist() == [2, 3, 4]
    assert table.frame["full_name"].tolist()[1:] == ["Петрова Мария", "Сидорова Ольга"]
    assert table.frame["messages_7d"].tolist()[1:] == ["2", "3"]
