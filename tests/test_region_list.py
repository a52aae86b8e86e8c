"""A region's own list of municipalities (contract §5): matching, order, ties, errors.

The second region is synthetic and written by the tests: 12 МО, two cities first (not in
alphabetical order, so the order can only come from the ``order`` column), hyphenated
names, variant spellings and «г.» prefixes. The rows are written to the file shuffled.
"""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pandera.errors
import pytest

from sferum_analysis import municipalities as mun
from sferum_analysis.metrics import TOTAL, mo_metrics, ranked, total_row
from sferum_analysis.municipalities import (
    Municipalities,
    MunicipalitiesError,
    UnknownMunicipality,
    write_template,
)
from sferum_analysis.registry import RegistryError, read_registry
from sferum_analysis.schemas import ORGS, metrics_schema, orgs_schema, validate

#: (order, name, kind, variants, col, row, oktmo) of the synthetic region
REGION = [
    (1, "г. Усть-Илимск", "городской округ", "г.Усть-Илимск|Усть-Илимск|город Усть-Илимск", 2, 0,
     "25740000"),
    (2, "г. Братск", "городской округ", "г.Братск|Братск|город Братск", 1, 2, "25714000"),
    (3, "Балаганский район", "муниципальный район", "Балаганский", 0, 3, "25601000"),
    (4, "Братский район", "муниципальный район", "Братский|Братский р-н", 1, 3, "25604000"),
    (5, "Жигаловский район", "муниципальный район", "Жигаловский", 3, 3, "25606000"),
    (6, "Заларинский район", "муниципальный район", "Заларинский|Заларинскiй", 0, 4,
     "25607000"),
    (7, "Зиминский район", "муниципальный район", "Зиминский", 1, 4, "25609000"),
    (8, "Казачинско-Ленский район", "муниципальный район",
     "Казачинско Ленский|Казачинско-Ленский р-н", 3, 1, "25615000"),
    (9, "Киренский район", "муниципальный район", "Киренский", 4, 1, "25618000"),
    (10, "Нижнеилимский район", "муниципальный район", "Нижнеилимский|Нижне-Илимский", 2, 2,
     "25626000"),
    (11, "Усть-Илимский район", "муниципальный район", "Усть Илимский|Усть-Илимский р-н", 2, 1,
     "25640000"),
    (12, "Усть-Кутский район", "муниципальный район", "Усть Кутский|Усть-Кутский МО", 3, 2,
     "25641000"),
]
NAMES = [r[1] for r in REGION]
HEADER = ["order", "name", "kind", "variants", "col", "row", "oktmo"]
REG_HEADER = ["ID Сферум", "Наименование организации", "МО", "Тип организации",
              "Численность педагогов"]

ORYOL = mun.Municipalities.builtin().canonical_names()


def region_text(rows=REGION, header=HEADER, sep=",", shuffle=True) -> str:
    rows = list(rows)
    if shuffle:
        random.Random(7).shuffle(rows)
    lines = [sep.join(header)] + [sep.join(str(c) for c in r) for r in rows]
    return "\n".join(lines) + "\n"


def write_region(path, *, encoding="utf-8", sep=",", newline="\n", **kwargs):
    text = region_text(sep=sep, **kwargs).replace("\n", newline)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    path = tmp_path_factory.mktemp("region") / "municipalities.csv"
    return Municipalities.from_csv(write_region(path))


# ----------------------------------------------------------------------- the list itself
@pytest.mark.parametrize(("encoding", "sep", "newline"), [
    ("utf-8", ",", "\n"), ("utf-8-sig", ",", "\r\n"), ("utf-8-sig", ";", "\n"),
    ("cp1251", ";", "\r\n"), ("cp1251", ",", "\n"),
])
def test_region_list_in_canonical_order_in_every_encoding(tmp_path, encoding, sep, newline):
    path = write_region(tmp_path / "municipalities.csv", encoding=encoding, sep=sep,
                        newline=newline)
    region = Municipalities.from_csv(path)
    assert region.canonical_names() == NAMES
    assert list(region.names) == NAMES
    assert len(region) == 12
    assert region.order_of() == {n: i for i, n in enumerate(NAMES, 1)}
    assert [m.order for m in region] == list(range(1, 13))
    assert region.source == "municipalities.csv"
    assert region.extra_columns == ("col", "row", "oktmo")
    assert region == Municipalities.from_csv(write_region(tmp_path / "again.csv"))


@pytest.mark.parametrize(("spelling", "official"), [
    ("г. Усть-Илимск", "г. Усть-Илимск"), ("г.Усть-Илимск", "г. Усть-Илимск"),
    ("Усть-Илимск", "г. Усть-Илимск"), ("город  Усть-Илимск", "г. Усть-Илимск"),
    ("Г.УСТЬ-ИЛИМСК", "г. Усть-Илимск"), ("Братск", "г. Братск"), ("г Братск", "г. Братск"),
    ("Братский", "Братский район"), ("Братский р-н", "Братский район"),
    ("Усть-Илимский район", "Усть-Илимский район"), ("Усть Илимский", "Усть-Илимский район"),
    ("усть-илимский р-н", "Усть-Илимский район"), ("Усть-Кутский МО", "Усть-Кутский район"),
    ("Усть Кутский", "Усть-Кутский район"), ("Казачинско Ленский", "Казачинско-Ленский район"),
    ("казачинско-ленский РАЙОН", "Казачинско-Ленский район"),
    ("Нижне-Илимский", "Нижнеилимский район"), ("Заларинскiй", "Заларинский район"),
    ("\tЖигаловский\u00a0район ", "Жигаловский район"),
])
def test_every_spelling_maps_to_the_official_name(region, spelling, official):
    assert region.canonicalize(spelling) == official
    assert mun.canonicalize(spelling, region) == official
    assert region.order(spelling) == NAMES.index(official) + 1


def test_city_and_district_of_the_same_stem_stay_apart(region):
    assert region.canonicalize("Братск") == "г. Братск"
    assert region.canonicalize("Братский") == "Братский район"
    assert region.canonicalize("Усть-Илимск") == "г. Усть-Илимск"
    assert region.canonicalize("Усть-Илимский") == "Усть-Илимский район"


def test_extra_columns_and_tiles_are_kept(region):
    assert region.extra("Братский р-н") == {"col": "1", "row": "3", "oktmo": "25604000"}
    assert region.get("Братск").tile == (1, 2)
    assert region.tiles() == {r[1]: (r[4], r[5]) for r in REGION}
    assert region.get("Усть-Кутский район").variants == ("Усть Кутский", "Усть-Кутский МО")
    assert region.get("г. Братск").kind == "городской округ"


def test_the_list_is_a_value():
    a = Municipalities.from_text(region_text())
    b = Municipalities.from_rows([dict(zip(HEADER, r, strict=True)) for r in REGION])
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Municipalities.builtin()}) == 2
    assert "г. Братск" in a and "Братск" not in a  # official names only
    with pytest.raises(AttributeError):
        a.items = ()  # type: ignore[misc]


@pytest.mark.parametrize("value", ["г. Орёл", "Болховский район", "Москва", "", None])
def test_unknown_spelling_suggests_names_of_this_list(region, value):
    with pytest.raises(UnknownMunicipality) as info:
        region.canonicalize(value)
    assert all(s in NAMES for s in info.value.suggestions)


def test_closest_names_of_this_list(region):
    with pytest.raises(UnknownMunicipality) as info:
        region.canonicalize("Усть-Кудский р-н")
    assert info.value.suggestions[0] == "Усть-Кутский район"
    assert "«Усть-Кудский р-н»" in str(info.value)


def test_builtin_list_is_still_oryol_and_refuses_the_other_region():
    builtin = Municipalities.builtin()
    assert len(builtin) == 27 and builtin.total_order == 28
    assert builtin.canonical_names() == mun.canonical_names() == ORYOL
    assert builtin.order_of() == mun.order_of()
    assert builtin.canonicalize("Залогощенский район") == "Залегощенский район"
    with pytest.raises(UnknownMunicipality) as info:
        mun.canonicalize("Усть-Кутский район")
    assert all(s in ORYOL for s in info.value.suggestions)


def test_workspace_list_or_builtin(tmp_path):
    assert Municipalities.for_registry_dir(tmp_path) == Municipalities.builtin()
    write_region(tmp_path / "municipalities.csv")
    assert Municipalities.for_registry_dir(tmp_path).canonical_names() == NAMES


# ----------------------------------------------------------------------- registry
def test_registry_matches_the_region_list(tmp_path, write, region):
    rows = [
        ["30", "Школа Братск", "г.Братск", "ОО", 40],
        ["10", "ДС Усть-Кут", "Усть Кутский", "ДОО", 12],
        ["20", "ДС Усть-Илимск", "город Усть-Илимск", "ДОО", 30],
        ["40", "ДС Ленский", "Казачинско-Ленский р-н", "ДОО", 5],
    ]
    path = write.registry_csv(tmp_path / "organizations.csv", rows, REG_HEADER)
    reg = read_registry(path, region)
    assert reg["org_id"].tolist() == ["20", "40", "10", "30"]
    assert reg["mo"].tolist() == ["г. Усть-Илимск", "Казачинско-Ленский район",
                                  "Усть-Кутский район", "г. Братск"]
    assert reg["mo_order"].tolist() == [1, 8, 12, 2]
    with pytest.raises(RegistryError):  # the built-in list knows none of them
        read_registry(path)


def test_oryol_municipality_in_that_registry_names_row_value_and_this_lists_names(
        tmp_path, write, region):
    rows = [
        ["1", "ДС 1", "Братский район", "ДОО", 10],
        ["2", "ДС 2", "г. Орёл", "ДОО", 10],
        ["3", "ДС 3", "Усть-Кутскй район", "ДОО", 10],
    ]
    path = write.registry_csv(tmp_path / "organizations.csv", rows, REG_HEADER)
    with pytest.raises(RegistryError) as info:
        read_registry(path, region)
    problems = info.value.problems
    assert len(problems) == 2
    orel, typo = problems
    assert orel.startswith("строка 3: неизвестное МО «г. Орёл»; возможно: ")
    suggested = orel.split("возможно: ")[1].split(", ")
    assert 1 <= len(suggested) <= 3 and all(s in NAMES for s in suggested)
    assert typo.startswith("строка 4: неизвестное МО «Усть-Кутскй район»; возможно: "
                           "Усть-Кутский район")
    assert not any(name in str(info.value) for name in ORYOL if name != "г. Орёл")


# ----------------------------------------------------------------------- metrics and schemas
def orgs_frame(rows, municipalities):
    """rows: (org_type, mo, staff_total, registered, active, status)"""
    frame = pd.DataFrame(rows, columns=["org_type", "mo", "staff_total", "registered",
                                        "active", "status"])
    order = municipalities.order_of()
    return frame.assign(org_id=[str(i) for i in range(1, len(frame) + 1)],
                        org_name=[f"Орг {i}" for i in range(1, len(frame) + 1)],
                        mo_order=frame["mo"].map(order))


def test_metrics_one_row_per_mo_of_the_region_and_pooled_total(region):
    orgs = orgs_frame([
        ("ДОО", "Усть-Кутский район", 4, 2, 1, "reported"),
        ("ДОО", "г. Братск", 2, 1, 1, "reported"),
        ("ДОО", "Балаганский район", 10, 0, 0, "missing_export"),
        ("ОО", "г. Усть-Илимск", 10, 5, 5, "reported"),
    ], region)
    m = validate(mo_metrics(orgs, region), metrics_schema(region))
    assert m["mo"].tolist() == [*NAMES, TOTAL, *NAMES, TOTAL]
    assert m["org_type"].tolist() == ["ДОО"] * 13 + ["ОО"] * 13
    total = total_row(m, "ДОО")
    assert (total["staff_total"], total["registered"], total["active"]) == (16, 3, 2)
    assert (total["pct_registered"], total["pct_active"]) == (18.8, 66.7)
    assert (total["orgs_expected"], total["orgs_reported"]) == (3, 2)
    with pytest.raises(pandera.errors.SchemaErrors):  # not the Oryol table
        validate(mo_metrics(orgs, region), metrics_schema(Municipalities.builtin()))


def test_ties_in_the_canonical_order_of_the_region(region):
    # equal ratios 1/2: the file's order decides — г. Усть-Илимск (1) before г. Братск (2)
    # although «Б» < «У», and Братский район (4) before Усть-Кутский район (12)
    orgs = orgs_frame([
        ("ДОО", "Усть-Кутский район", 4, 2, 0, "reported"),
        ("ДОО", "г. Братск", 2, 1, 0, "reported"),
        ("ДОО", "Братский район", 8, 4, 0, "reported"),
        ("ДОО", "г. Усть-Илимск", 6, 3, 0, "reported"),
        ("ДОО", "Зиминский район", 3, 3, 0, "reported"),
    ], region)
    m = mo_metrics(orgs, region)
    r = ranked(m, "ДОО", "registered", region)
    assert r["mo"].head(5).tolist() == ["Зиминский район", "г. Усть-Илимск", "г. Братск",
                                        "Братский район", "Усть-Кутский район"]
    assert r["rank_registered"].head(5).tolist() == [1, 2, 3, 4, 5]
    rest = r.iloc[5:]
    assert rest["rank_registered"].isna().all()
    assert rest["mo"].tolist() == [n for n in NAMES if n not in set(r["mo"].head(5))]


def test_metrics_refuse_organisations_outside_the_list(region):
    orgs = orgs_frame([("ДОО", "г. Орёл", 4, 2, 0, "reported")], region)
    with pytest.raises(ValueError, match="«г. Орёл»"):
        mo_metrics(orgs, region)


def clean_orgs(municipalities, names):
    frame = orgs_frame([("ДОО", n, 1, 1, 0, "reported") for n in names], municipalities)
    return frame.drop(columns="active").assign(
        registry_row=range(2, len(frame) + 2), files=1)[list(ORGS.columns)].astype(
        {"org_id": "string", "org_name": "string", "mo": "string", "mo_order": "int64",
         "org_type": "string", "status": "string", "staff_total": "int64",
         "registered": "int64"})


def test_orgs_schema_of_the_region(region):
    frame = clean_orgs(region, NAMES)
    validate(frame, orgs_schema(region))
    assert orgs_schema(region) is orgs_schema(Municipalities.from_text(region_text()))
    with pytest.raises(pandera.errors.SchemaErrors):
        validate(frame, ORGS)  # the built-in list knows none of these names
    wrong = frame.assign(mo_order=frame["mo_order"].where(frame["mo"] != "г. Братск", 3))
    with pytest.raises(pandera.errors.SchemaErrors, match="canonical order"):
        validate(wrong, orgs_schema(region))


def sixty() -> list[tuple]:
    stems = ["Верхне", "Нижне", "Ново", "Старо", "Усть-", "Красно"]
    ends = ["илимский", "сольский", "борский", "реченский", "озёрский", "горский", "ленский",
            "ключевский", "полянский", "дубровский"]
    districts = sorted(f"{s}{e}".capitalize() + " район" for s, e in itertools.product(stems, ends))
    names = ["г. Заозёрск", "г. Приречный", *districts[:58]]
    return [(i, n, "", n.replace(" район", "") if "район" in n else "", i % 10, i // 10, "")
            for i, n in enumerate(names, 1)]


def test_a_list_of_60_municipalities(tmp_path, write):
    rows = sixty()
    path = tmp_path / "municipalities.csv"
    path.write_text(region_text(rows), encoding="utf-8")
    big = Municipalities.from_csv(path)
    names = [r[1] for r in rows]
    assert len(big) == 60 and big.canonical_names() == names and big.total_order == 61
    assert big.canonicalize("усть-борский р-н") == "Усть-борский район"
    reg_rows = [[str(1000 + i), f"Орг {i}", name.upper(), t, 2]
                for i, (name, t) in enumerate(itertools.product(names, ["ДОО", "ОО"]))]
    reg = read_registry(write.registry_csv(tmp_path / "organizations.csv", reg_rows,
                                           REG_HEADER), big)
    assert len(reg) == 120
    assert reg[reg["org_type"] == "ОО"]["mo_order"].tolist() == list(range(1, 61))
    m = validate(mo_metrics(reg.assign(registered=1, active=0, status="reported"), big),
                 metrics_schema(big))
    assert len(m) == 2 * 61
    assert m[m["org_type"] == "ДОО"]["mo"].tolist() == [*names, TOTAL]
    assert total_row(m, "ДОО")["staff_total"] == 120
    assert ranked(m, "ОО", "registered", big)["mo"].tolist() == names  # all tied


# ----------------------------------------------------------------------- malformed files
GOOD_HEAD = "order,name,kind,variants\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("order,name,kind\n1,Аский район,\n", ["нет столбца «variants»", "найдены: order, name"]),
    ("name,variants\n", ["нет столбцов «order», «kind»"]),
    (GOOD_HEAD + "1,Аский район,,\nдва,Бский район,,\n",
     ["строка 3, столбец «order»: «два» — не целое число"]),
    (GOOD_HEAD + "1,Аский район,,\n,Бский район,,\n", ["строка 3, столбец «order»: пусто"]),
    (GOOD_HEAD + "1,Аский район,,\n2,Бский район,,\n4,Вский район,,\n",
     ["строка 4, столбец «order»: номер 4 вне диапазона 1–3", "нет номера 3"]),
    (GOOD_HEAD + "0,Аский район,,\n1,Бский район,,\n",
     ["строка 2, столбец «order»: номер 0 вне диапазона 1–2", "нет номера 2"]),
    (GOOD_HEAD + "1,Аский район,,\n2,Бский район,,\n2,Вский район,,\n",
     ["строка 4, столбец «order»: номер 2 повторяет строку 3", "нет номера 3"]),
    (GOOD_HEAD + "1,г. Орёл,,\n2,Орёл,,\n", ["строка 3, столбец «name»: «Орёл» повторяет МО "
                                              "строки 2 («г. Орёл»)"]),
    (GOOD_HEAD + "1,Аский район,,\n2,Аский район,,\n", ["строка 3, столбец «name»"]),
    (GOOD_HEAD + "1,Усть-Кутский район,,Кутский\n2,Кутский район,,\n",
     ["строка 3, столбец «name»: написание «Кутский район» уже означает МО "
      "«Усть-Кутский район» (строка 2)"]),
    (GOOD_HEAD + "1,Аский район,,Илимский\n2,Бский район,,Бский|Илимский р-н\n",
     ["строка 3, столбец «variants»: написание «Илимский р-н» уже означает МО «Аский район» "
      "(строка 2); одно написание не может относиться к двум МО"]),
    (GOOD_HEAD + "1,,,\n", ["строка 2, столбец «name»: пустое название МО"]),
    (GOOD_HEAD + "1,район,,\n", ["строка 2, столбец «name»: в «район» нет ничего, кроме слов"]),
    (GOOD_HEAD + "1,total,,\n", ["название «total» зарезервировано"]),
    (GOOD_HEAD + "1,Аский район,,,лишнее\n", ["строка 2: значений больше, чем столбцов"]),
    ("order,name,kind,variants,col,row\n1,Аский район,,,-1,0\n",
     ["строка 2, столбец «col»: «-1» — нужно целое число от 0 до 99"]),
    ("order,name,kind,variants,col,row\n1,Аский район,,,1,\n",
     ["строка 2: заполните оба столбца «col» и «row»"]),
    ("order,name,kind,variants,col,row\n1,Аский район,,,1,1\n2,Бский район,,,1,1\n",
     ["строка 3: клетка карты col=1, row=1 уже занята МО «Аский район» (строка 2)"]),
    ("order,name,name,kind,variants\n", ["столбец «name» встречается дважды"]),
    ("", ["нет ни одного муниципального образования"]),
    (GOOD_HEAD, ["нет ни одного муниципального образования", "удалите его"]),
    ("\n\n# только комментарий\n", ["нет ни одного муниципального образования"]),
    (GOOD_HEAD + "1,\"Аский район,,\n2,Бский район,,\n",
     ["строка 2: файл не разобран как CSV — проверьте кавычки"]),
])
def test_malformed_file_is_refused_in_russian(tmp_path, text, expected):
    path = tmp_path / "municipalities.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MunicipalitiesError) as info:
        Municipalities.from_csv(path)
    message = str(info.value)
    assert message.startswith("список МО (municipalities.csv) не принят: ")
    for fragment in expected:
        assert fragment in message
    assert isinstance(info.value, ValueError)


def test_every_problem_at_once(tmp_path):
    path = tmp_path / "municipalities.csv"
    path.write_text(GOOD_HEAD + "1,,,\nx,Бский район,,\n3,Бский район,,\n", encoding="utf-8")
    with pytest.raises(MunicipalitiesError) as info:
        Municipalities.from_csv(path)
    assert [p.split(":")[0] for p in info.value.problems] == [
        "строка 2, столбец «name»", "строка 3, столбец «order»", "строка 4, столбец «name»",
        "столбец «order»"]


def test_unreadable_files(tmp_path):
    bad = tmp_path / "municipalities.csv"
    bad.write_bytes(b"order,name,kind,variants\n1,\x98\x98,,\n")  # neither UTF-8 nor cp1251
    with pytest.raises(MunicipalitiesError, match="не в кодировке UTF-8 или Windows-1251"):
        Municipalities.from_csv(bad)
    with pytest.raises(MunicipalitiesError, match="файл не прочитан: файла нет"):
        Municipalities.from_csv(tmp_path / "нет.csv")
    (tmp_path / "registry" / "municipalities.csv").mkdir(parents=True)
    with pytest.raises(MunicipalitiesError, match="не файл"):
        Municipalities.for_registry_dir(tmp_path / "registry")


def test_comments_blank_lines_and_unsafe_characters(tmp_path):
    path = tmp_path / "municipalities.csv"
    path.write_text("# список МО\n\n" + GOOD_HEAD + "# пример\n2,Бский\u202e район,,\n\n"
                    "1,  г.  Аск ,городской округ,\"Аск, город\"\n", encoding="utf-8-sig")
    lst = Municipalities.from_csv(path)
    assert lst.canonical_names() == ["г. Аск", "Бский район"]
    assert lst.canonicalize("Аск город") == "г. Аск"
    assert lst.extra("Бский район") == {} and lst.get("Бский").tile is None


# ----------------------------------------------------------------------- template
def test_template(tmp_path):
    path = write_template(tmp_path / "municipalities.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Cyrillic
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "order,name,kind,variants,col,row"
    assert "col и row — необязательно" in text and "от 0 до 99" in text
    # untouched: an empty list, refused with what to do
    with pytest.raises(MunicipalitiesError, match="заполните файл по образцу или удалите"):
        Municipalities.from_csv(path)
    with pytest.raises(FileExistsError):
        write_template(path)
    # the example rows, uncommented, are a valid list with tiles
    path.write_text(text.replace("\n#1,", "\n1,").replace("\n#2,", "\n2,"), encoding="utf-8")
    example = Municipalities.from_csv(path)
    assert example.canonical_names() == ["г. Примерск", "Примерский район"]
    assert example.tiles() == {"г. Примерск": (1, 0), "Примерский район": (1, 1)}
    assert example.canonicalize("Примерский р-н") == "Примерский район"
    write_template(path, overwrite=True)
    assert path.read_bytes() == data
