"""Registry of organisations (contract §1.1)."""

from __future__ import annotations

import itertools

import pytest

from sferum_analysis.registry import RegistryError, read_registry

ALIASES = {
    "org_id": ["org_id", "ID", "ID Сферум", "Идентификатор", "schoolId", "Код организации"],
    "org_name": ["org_name", "Наименование", "Наименование организации", "Организация"],
    "mo": ["mo", "МО", "Муниципальное образование", "Район", "Муниципалитет"],
    "org_type": ["org_type", "Тип", "Тип организации", "Вид организации"],
    "staff_total": ["staff_total", "Численность педагогов", "Численность сотрудников",
                    "Всего педагогических работников"],
}
FIELDS = list(ALIASES)
STD_HEADER = ["ID Сферум", "Наименование организации", "МО", "Тип организации",
              "Численность педагогов"]


def rows_three():
    return [
        ["300", "МБОУ СОШ №1", "г.Мценск", "ОО", 40],
        ["100", "МБДОУ Детский сад №5", "Болховский р-н", "ДОО", 12],
        ["200", "МБДОУ Детский сад №1", "  город   Орёл ", "ДОО", 30],
    ]


def check_three(reg):
    """Sorted by type, canonical МО order, id; МО official; numbers as ints."""
    assert reg.columns.tolist() == ["org_id", "org_name", "mo", "mo_order", "org_type",
                                    "staff_total", "registry_row"]
    assert reg["org_id"].tolist() == ["200", "100", "300"]
    assert reg["mo"].tolist() == ["г. Орёл", "Болховский район", "г. Мценск"]
    assert reg["mo_order"].tolist() == [1, 4, 3]
    assert reg["org_type"].tolist() == ["ДОО", "ДОО", "ОО"]
    assert reg["staff_total"].tolist() == [30, 12, 40]
    assert reg["org_name"].tolist() == ["МБДОУ Детский сад №1", "МБДОУ Детский сад №5",
                                        "МБОУ СОШ №1"]


@pytest.mark.parametrize("k", range(6))
def test_every_header_alias_is_accepted_csv(tmp_path, write, k):
    """Alias k of every field (cycled), in CSV, with case/ё/whitespace changes on odd k."""
    header = [ALIASES[f][k % len(ALIASES[f])] for f in FIELDS]
    if k % 2:
        header = ["  " + h.upper().replace(" ", "   ") + " " for h in header]
    path = write.registry_csv(tmp_path / "organizations.csv", rows_three(), header,
                              encoding="cp1251" if k % 3 == 0 else "utf-8-sig",
                              sep=";" if k < 3 else ",")
    check_three(read_registry(path))


@pytest.mark.parametrize(("field", "alias"),
                         [(f, a) for f in FIELDS for a in ALIASES[f]])
def test_each_alias_alone_xlsx(tmp_path, write, field, alias):
    header = list(STD_HEADER)
    header[FIELDS.index(field)] = alias
    path = write.registry_xlsx(tmp_path / "organizations.xlsx", rows_three(), header,
                               title_lines=["Реестр организаций на 01.01.2024"])
    check_three(read_registry(path))


def test_columns_in_any_order_and_extra_columns(tmp_path, write):
    header = ["№", "Тип", "Район", "ИНН", "Организация", "Численность сотрудников", "ID"]
    rows = [[i, r[3], r[2], "5700000000", r[1], r[4], r[0]] for i, r in
            enumerate(rows_three(), 1)]
    check_three(read_registry(write.registry_xlsx(tmp_path / "organizations.xlsx", rows,
                                                  header)))


@pytest.mark.parametrize(("value", "expected"), [
    ("ДОО", "ДОО"), ("доо", "ДОО"), ("детский сад", "ДОО"), ("Детский сад", "ДОО"),
    ("ДЕТСКИЙ  САД", "ДОО"), ("ОО", "ОО"), ("школа", "ОО"), ("Школа", "ОО"),
    ("СПО", "СПО"), ("ДО", "ДО"), (" ОО ", "ОО"),
])
def test_org_type_values(tmp_path, write, value, expected):
    path = write.registry_csv(tmp_path / "organizations.csv",
                              [["1", "Орг", "Орёл", value, 5]], STD_HEADER)
    assert read_registry(path)["org_type"].tolist() == [expected]


def test_control_characters_leave_organisation_names(tmp_path, write):
    """An ESC sequence or another control character in a name never reaches the outputs."""
    path = write.registry_csv(tmp_path / "organizations.csv",
                              [["1", "ДС\x1b[31m «Радуга»\x01\x85\u202e\u200b", "Орёл",
                                "ДОО", 5]], STD_HEADER)
    assert read_registry(path)["org_name"].tolist() == ["ДС [31m «Радуга»"]


def test_unknown_org_type_is_an_error(tmp_path, write):
    path = write.registry_csv(tmp_path / "organizations.csv",
                              [["1", "Орг", "Орёл", "ясли", 5]], STD_HEADER)
    with pytest.raises(RegistryError, match=r"строка 2: .*«ясли»"):
        read_registry(path)


def test_duplicate_id_names_both_rows(tmp_path, write):
    rows = [
        ["10", "А", "Орёл", "ДОО", 5],
        ["11", "Б", "Орёл", "ДОО", 5],
        ["10", "В", "Ливны", "ДОО", 5],
    ]
    path = write.registry_xlsx(tmp_path / "organizations.xlsx", rows, STD_HEADER,
                               title_lines=["Реестр"])
    with pytest.raises(RegistryError) as info:
        read_registry(path)
    # title on row 1, header row 2, data rows 3..5: the duplicate is row 5, the first row 3
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert "строка 5" in problem and "строку 3" in problem and "10" in problem
    assert "organizations.xlsx" in str(info.value)


def test_duplicate_id_written_as_number_and_text(tmp_path, write):
    path = write.registry_xlsx(tmp_path / "organizations.xlsx",
                               [[10, "А", "Орёл", "ДОО", 5], ["10", "Б", "Орёл", "ДОО", 5]],
                               STD_HEADER)
    with pytest.raises(RegistryError, match=r"строка 3: ID 10 повторяет строку 2"):
        read_registry(path)


def test_unknown_mo_names_row_value_and_closest(tmp_path, write):
    rows = [["1", "А", "Орёл", "ДОО", 5], ["2", "Б", "Болхвский район", "ДОО", 5]]
    path = write.registry_csv(tmp_path / "organizations.csv", rows, STD_HEADER)
    with pytest.raises(RegistryError) as info:
        read_registry(path)
    (problem,) = info.value.problems
    assert "строка 3" in problem
    assert "Болхвский район" in problem
    assert "Болховский район" in problem
    assert "Болховский район" in str(info.value)


@pytest.mark.parametrize("bad", ["-1", "12,5", "много", "", "1.5", "1e30", "1000001", "inf"])
def test_bad_staff_total(tmp_path, write, bad):
    path = write.registry_csv(tmp_path / "organizations.csv",
                              [["1", "А", "Орёл", "ДОО", 5], ["2", "Б", "Орёл", "ДОО", bad]],
                              STD_HEADER)
    with pytest.raises(RegistryError) as info:
        read_registry(path)
    (problem,) = info.value.problems
    assert "строка 3" in problem and "численность" in problem
    assert f"«{bad}»" in problem


def test_huge_staff_total_from_excel_is_an_error_not_a_crash(tmp_path, write):
    path = write.registry_xlsx(tmp_path / "organizations.xlsx",
                               [["1", "А", "Орёл", "ДОО", 1e30], ["2", "Б", "Орёл", "ДОО", 10**12]],
                               STD_HEADER)
    with pytest.raises(RegistryError) as info:
        read_registry(path)
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(("good", "expected"), [("0", 0), ("12", 12), (" 1 204 ", 1204),
                                                ("12.0", 12), (12.0, 12)])
def test_good_staff_total(tmp_path, write, good, expected):
    path = write.registry_xlsx(tmp_path / "organizations.xlsx",
                               [["1", "А", "Орёл", "ДОО", good]], STD_HEADER)
    assert read_registry(path)["staff_total"].tolist() == [expected]


@pytest.mark.parametrize("missing", FIELDS)
def test_missing_column(tmp_path, write, missing):
    i = FIELDS.index(missing)
    header = STD_HEADER[:i] + STD_HEADER[i + 1:]
    rows = [r[:i] + r[i + 1:] for r in rows_three()]
    path = write.registry_csv(tmp_path / "organizations.csv", rows, header)
    with pytest.raises(RegistryError, match="не найдена строка заголовка"):
        read_registry(path)


def test_bad_id(tmp_path, write):
    path = write.registry_csv(tmp_path / "organizations.csv",
                              [["12a", "А", "Орёл", "ДОО", 5], ["", "Б", "Орёл", "ДОО", 5]],
                              STD_HEADER)
    with pytest.raises(RegistryError) as info:
        read_registry(path)
    assert len(info.value.problems) == 2
    assert "строка 2" in info.value.problems[0] and "12a" in info.value.problems[0]
    assert "строка 3" in info.value.problems[1]


def test_all_problems_reported_at_once(tmp_path, write):
    rows = [
        ["1", "А", "Нигде", "ДОО", 5],
        ["1", "Б", "Орёл", "ясли", -3],
    ]
    path = write.registry_csv(tmp_path / "organizations.csv", rows, STD_HEADER)
    with pytest.raises(RegistryError) as info:
        read_registry(path)
    text = " | ".join(info.value.problems)
    assert len(info.value.problems) == 4, text
    assert "Нигде" in text and "ясли" in text and "-3" in text and "повторяет строку 2" in text


def test_empty_registry(tmp_path, write):
    path = write.registry_csv(tmp_path / "organizations.csv", [], STD_HEADER)
    with pytest.raises(RegistryError, match="нет ни одной организации"):
        read_registry(path)


def test_blank_lines_are_not_organisations(tmp_path, write):
    rows = [rows_three()[0], [None] * 5, *rows_three()[1:], [None] * 5]
    reg = read_registry(write.registry_xlsx(tmp_path / "organizations.xlsx", rows, STD_HEADER))
    check_three(reg)
    assert sorted(reg["registry_row"]) == [2, 4, 5]


def test_all_27_municipalities_in_one_registry(tmp_path, write):
    from sferum_analysis import municipalities

    names = municipalities.canonical_names()
    rows = [[str(1000 + i), f"Орг {i}", name.upper(), t, 1]
            for i, (name, t) in enumerate(itertools.product(names, ["ДОО", "ОО"]))]
    reg = read_registry(write.registry_csv(tmp_path / "organizations.csv", rows, STD_HEADER))
    assert len(reg) == 54
    assert reg[reg["org_type"] == "ДОО"]["mo"].tolist() == names


def test_csv_registry_with_a_name_on_two_lines(tmp_path):
    """Excel's "Save as CSV" of a wrapped cell (Alt+Enter): a quoted name on two lines."""
    text = ("ID;Наименование;МО;Тип;Численность педагогов\r\n"
            '1;"МБДОУ ""Детский сад №1""\nг. Орёл";г. Орёл;ДОО;5\r\n'
            "2;Школа №2;Ливны;ОО;7\r\n")
    path = tmp_path / "organizations.csv"
    path.write_bytes(text.encode("cp1251"))
    reg = read_registry(path)
    assert reg["org_id"].tolist() == ["1", "2"]
    assert reg["org_name"].tolist() == ['МБДОУ "Детский сад №1" г. Орёл', "Школа №2"]
    assert reg["registry_row"].tolist() == [2, 4]
