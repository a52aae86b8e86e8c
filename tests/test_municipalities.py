"""Municipalities: every spelling of the contract maps to the official name, in canonical order."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sferum_analysis import municipalities as mun

SPEC_CSV = Path(__file__).parent / "data" / "seed" / "municipalities.csv"

#: The 27 official names in canonical order, written out by hand (contract §2, §3).
OFFICIAL = [
    "г. Орёл", "г. Ливны", "г. Мценск",
    "Болховский район", "Верховский район", "Глазуновский район", "Дмитровский район",
    "Должанский район", "Залегощенский район", "Знаменский район", "Колпнянский район",
    "Корсаковский район", "Краснозоренский район", "Кромской район", "Ливенский район",
    "Малоархангельский район", "Мценский район", "Новодеревеньковский район",
    "Новосильский район", "Орловский муниципальный округ", "Покровский район",
    "Свердловский район", "Сосковский район", "Троснянский район", "Урицкий район",
    "Хотынецкий район", "Шаблыкинский район",
]


def spec_rows() -> list[dict[str, str]]:
    with SPEC_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def all_spellings() -> list[tuple[str, str]]:
    return [(spelling, r["name"]) for r in spec_rows()
            for spelling in [r["name"], *r["variants"].split("|")] if spelling]


def test_package_table_is_the_contract_table():
    """The contract's columns are the contract's table; further columns (col,row) are ours."""
    contract = ["order", "name", "kind", "variants"]
    with mun.MUNICIPALITIES_CSV.open(encoding="utf-8") as fh:
        packaged = list(csv.DictReader(fh))
    assert list(packaged[0])[:4] == contract
    assert [[r[c] for c in contract] for r in packaged] == \
        [[r[c] for c in contract] for r in spec_rows()]


def test_package_table_has_one_tile_per_municipality():
    tiles = mun.Municipalities.builtin().tiles()
    assert set(tiles) == set(OFFICIAL)
    assert len(set(tiles.values())) == 27
    assert min(c for c, _ in tiles.values()) == 0 and min(r for _, r in tiles.values()) == 0
    # rough geography: Мценск north of Орёл, Ливны south-east of it, Орловский beside Орёл
    (oc, orow), (lc, lrow), (mc, mrow) = (tiles[n] for n in OFFICIAL[:3])
    assert mrow < orow < lrow and lc > oc
    dc, drow = tiles["Орловский муниципальный округ"]
    assert abs(dc - oc) + abs(drow - orow) == 1


def test_canonical_order_is_the_order_column():
    assert mun.canonical_names() == OFFICIAL
    by_order = [r["name"] for r in sorted(spec_rows(), key=lambda r: int(r["order"]))]
    assert mun.canonical_names() == by_order
    assert mun.order_of() == {name: i for i, name in enumerate(OFFICIAL, 1)}
    # the three cities, then the rest alphabetically
    rest = OFFICIAL[3:]
    assert rest == sorted(rest, key=lambda s: s.replace("ё", "е"))


@pytest.mark.parametrize(("spelling", "official"), all_spellings())
def test_every_name_and_variant_maps_to_official_name(spelling, official):
    assert mun.canonicalize(spelling) == official


def test_all_27_names_are_covered():
    assert {official for _, official in all_spellings()} == set(OFFICIAL)
    assert len(all_spellings()) > 27 + 40  # the variants are really exercised


@pytest.mark.parametrize(("spelling", "official"), [
    ("  ГОРОД   ОРЁЛ ", "г. Орёл"),
    ("город орел", "г. Орёл"),
    ("Г.ОРЁЛ", "г. Орёл"),
    ("г.Ливны", "г. Ливны"),
    ("г Ливны", "г. Ливны"),
    ("г. Мценск", "г. Мценск"),
    ("Мценский р-н", "Мценский район"),
    ("Болховский р-н", "Болховский район"),
    ("болховский РАЙОН", "Болховский район"),
    ("Болховский\u00a0район", "Болховский район"),
    ("\tБолховский   район\n", "Болховский район"),
    ("Залогощенский район", "Залегощенский район"),  # the seed's spelling
    ("Орловский муниципальный ок", "Орловский муниципальный округ"),  # the seed's cut
    ("Орловский муниципальный округ", "Орловский муниципальный округ"),
    ("ОРЛОВСКИЙ М.О.", "Орловский муниципальный округ"),
    ("Новодеревеньковский", "Новодеревеньковский район"),
    ("Красно-Зоренский район", "Краснозоренский район"),
])
def test_spelling_variation(spelling, official):
    assert mun.canonicalize(spelling) == official


def test_city_and_district_of_the_same_stem_stay_apart():
    assert mun.canonicalize("Мценск") == "г. Мценск"
    assert mun.canonicalize("Мценский") == "Мценский район"
    assert mun.canonicalize("Ливны") == "г. Ливны"
    assert mun.canonicalize("Ливенский") == "Ливенский район"
    assert mun.canonicalize("Орёл") == "г. Орёл"
    assert mun.canonicalize("Орловский") == "Орловский муниципальный округ"


@pytest.mark.parametrize(("value", "expected_suggestion"), [
    ("Болхвский район", "Болховский район"),
    ("Залигощенский р-н", "Залегощенский район"),
    ("Новосилский", "Новосильский район"),
    ("г. Орл", "г. Орёл"),
])
def test_unknown_spelling_names_value_and_closest(value, expected_suggestion):
    with pytest.raises(mun.UnknownMunicipality) as info:
        mun.canonicalize(value)
    message = str(info.value)
    assert value.strip() in message
    assert expected_suggestion in message
    assert expected_suggestion in info.value.suggestions
    assert 1 <= len(info.value.suggestions) <= 3
    assert all(s in OFFICIAL for s in info.value.suggestions)


@pytest.mark.parametrize("value", ["", "   ", None, float("nan"), "район", "Москва"])
def test_empty_or_foreign_values_raise(value):
    with pytest.raises(mun.UnknownMunicipality):
        mun.canonicalize(value)


def test_unknown_municipality_is_a_value_error():
    assert issubclass(mun.UnknownMunicipality, ValueError)
