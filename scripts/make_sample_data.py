#!/usr/bin/env python3
"""Generate the synthetic sample data of the project into ``data/raw/``.

Everything written here is SYNTHETIC: organisations, ids and people are invented. Person
names are random combinations of common Russian surnames, first names and patronymics;
they do not describe real persons.

What is written (``--out DIR``, default ``<repo>/data/raw``):

* ``registry/organizations.xlsx`` -- the register: 93 kindergartens (ДОО) in all 27
  municipalities (МО) and exactly one school (ОО) per МО, 120 organisations. МО and type
  values use a mix of the legal spellings of ``municipalities.csv``; ids are text cells.
* six weekly folders ``2023-12-25`` ... ``2024-01-29``. Each holds the Sferum
  "По учителям" export of every organisation that has registered staff: one row per
  person per day for D-6 ... D+1 (8 days), rolling 7-day message/call counts, sorted by
  date then name. File shapes (fixed per organisation, every shape in every week):
  ``xlsx_date`` (title + blank line, real Excel dates), ``xlsx_text`` (one title line,
  ``DD.MM.YYYY`` text, blank cells for zero counts), ``xls`` (xlwt, title line, text or
  real dates), ``csv_1251`` (Windows-1251, ``;``, ``DD.MM.YYYY``), ``csv_utf8bom``
  (UTF-8 with BOM, ``,``, ISO dates) and ``csv_utf8`` (UTF-8, ``;``, ``DD.MM.YYYY``).
  Every week also holds an Excel lock file ``~$<id>.xlsx`` and the export of an
  organisation that is not in the register.

Traps of the reporting week 2024-01-29 (see ``--manifest`` for files and row numbers):
two ДОО without any export (nobody registered: they are "missing", their staff stays in
the denominators), one ДОО whose file is the previous week's download (no row dated
29.01.2024, "no data for the reporting date"), exactly three duplicate rows on D (the
same person again, the name differing only in case/ё/whitespace, same counts) and
exactly two rejected rows on D (an empty name and a non-numeric message count).

How the ДОО targets were found. The seed presentation only gives rounded percentages,
so :func:`solve_doo_targets` searches integers: for every МО except г. Орёл it lists the
(staff, registered, active) triples whose exact ratios round half-up to the printed
values (``Fraction``-free integer arithmetic, see :func:`tenths`), ordered by distance
from a plausible staff size (``DOO_STAFF_HINT``). It then tries the first few
candidates of six flexible МО (a small product search) until the remaining numbers for
г. Орёл -- registered = 3725 - Σ, active = 1254 - Σ -- round to 98,0 % / 27,0 % with a
staff total that puts the regional staff in 4128..4132 and the tie/rank constraints of
the seed hold (Хотынецкий strictly above Орловский МО at 53,9; Кромской not below
Шаблыкинский at 17,6). The result is checked rank by rank by :func:`check_doo_targets`.

Schools (ОО): registered per МО is the ``registered`` column of the seed's district
table (total 195). The seed's ``active`` exceeds ``registered`` in several rows (up to
800 %), which person-level exports cannot produce (an active person is a registered
person), so active = min(seed active, registered). staff_total = registered + 0..3,
except one school with staff_total = registered - 2 (a stale register, flagged as
> 100 % by the reports).

Earlier weeks use the same register and the same people: 70 % of them joined before the
first export window, the rest on random days up to 29.01 (a few join on 30.01 and only
show up in rows of "other dates"), so registered grows week by week; activity is
simulated day by day (daily messages/calls, rolling 7-day sums) and grows slowly over
time. The "no data" organisation has normal exports in the earlier weeks; in 2024-01-29
its file is a copy of the 2024-01-22 download (16.01-23.01).

Size and speed: the spec fixes ~165 000 rows (≈3 900 people x 8 days x 6 weeks). xlsx
costs ~5 KB per file plus ~25 bytes per row, csv ~50 bytes per row, so big exports are
xlsx and small ones mostly csv/xls (~7 MB in total). openpyxl's cell-by-cell writer is
too slow for that many rows without lxml, so data rows are rendered in openpyxl's own
format (``--check-writer`` compares the result with openpyxl writing every cell).

The output is byte-identical across runs: fixed seeds, no iteration over sets, fixed
workbook properties, fixed zip member timestamps, and openpyxl's pure-Python serialiser
even when lxml is installed.

Usage: ``python scripts/make_sample_data.py [--out DIR] [--manifest]`` (``make sample``).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import multiprocessing
import os
import random
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

# the same bytes whether or not lxml is installed (openpyxl serialises differently with it)
os.environ["OPENPYXL_LXML"] = "False"

import openpyxl  # noqa: E402
import xlwt  # noqa: E402
from openpyxl.utils.datetime import to_excel  # noqa: E402
from openpyxl.writer.excel import ExcelWriter  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data" / "raw"

SEED = 20240129
WEEKS = [date(2023, 12, 25) + timedelta(weeks=k) for k in range(6)]
LAST = WEEKS[-1]
DAY0 = WEEKS[0] - timedelta(days=13)  # first simulated day (rolling window of the first row)
N_DAYS = (LAST + timedelta(days=1) - DAY0).days + 1
FIXED_DT = datetime(2024, 1, 30)
ZIP_DT = (2024, 1, 30, 0, 0, 0)
REGISTRY_REL = Path("registry") / "organizations.xlsx"

HEADER = [
    "Дата",
    "ФИО",
    "Тип пол",
    "Связь с",
    "Кол-во сообщений за 7 дней",
    "Кол-во звонков за 7 дней",
]
REGISTRY_HEADER = [
    "ID Сферум",
    "Наименование организации",
    "Муниципальное образование",
    "Тип организации",
    "Численность педагогов",
]

# --------------------------------------------------------------------------------------
# Municipalities (canonical order of municipalities.csv) and the seed's targets
# --------------------------------------------------------------------------------------

#: canonical name, spellings used in the register (the first one is always used once)
MUNICIPALITIES: list[tuple[str, list[str]]] = [
    ("г. Орёл", ["г.Орел", "г. Орёл", "г. Орел", "Орёл", "город Орёл", "г.Орёл"]),
    ("г. Ливны", ["г.Ливны", "г. Ливны", "город Ливны"]),
    ("г. Мценск", ["г. Мценск", "г.Мценск", "Мценск"]),
    ("Болховский район", ["Болховский район", "Болховский"]),
    ("Верховский район", ["Верховский район", "Верховский"]),
    ("Глазуновский район", ["Глазуновский район", "Глазуновский"]),
    ("Дмитровский район", ["Дмитровский район", "Дмитровский"]),
    ("Должанский район", ["Должанский район", "Должанский"]),
    ("Залегощенский район", ["Залогощенский район", "Залегощенский район", "Залегощенский"]),
    ("Знаменский район", ["Знаменский район", "Знаменский"]),
    ("Колпнянский район", ["Колпнянский район", "Колпнянский"]),
    ("Корсаковский район", ["Корсаковский район", "Корсаковский"]),
    ("Краснозоренский район", ["Краснозоренский район", "Краснозоренский"]),
    ("Кромской район", ["Кромской", "Кромской район"]),
    ("Ливенский район", ["Ливенский район", "Ливенский"]),
    ("Малоархангельский район", ["Малоархангельский район", "Малоархангельский"]),
    ("Мценский район", ["Мценский район", "Мценский"]),
    ("Новодеревеньковский район", ["Новодеревеньковский район", "Новодеревеньковский"]),
    ("Новосильский район", ["Новосильский район", "Новосильский"]),
    ("Орловский муниципальный округ",
     ["Орловский муниципальный ок", "Орловский муниципальный округ", "Орловский МО"]),
    ("Покровский район", ["Покровский район", "Покровский"]),
    ("Свердловский район", ["Свердловский район", "Свердловский"]),
    ("Сосковский район", ["Сосковский район", "Сосковский"]),
    ("Троснянский район", ["Троснянский район", "Троснянский"]),
    ("Урицкий район", ["Урицкий район", "Урицкий"]),
    ("Хотынецкий район", ["Хотынецкий район", "Хотынецкий"]),
    ("Шаблыкинский район", ["Шаблыкинский район", "Шаблыкинский"]),
]
MO_NAMES = [m[0] for m in MUNICIPALITIES]
N_MO = len(MUNICIPALITIES)


def mo_index(name: str) -> int:
    return MO_NAMES.index(name)


#: seed_doo_registered.csv / seed_doo_active.csv, in canonical order, as integer tenths
DOO_REG_TENTHS = [980, 934, 1000, 1000, 1000, 1000, 900, 818, 975, 1000, 944, 875, 167, 785,
                  917, 1000, 138, 1000, 600, 539, 903, 956, 1000, 1000, 1000, 539, 895]
DOO_ACT_TENTHS = [270, 562, 630, 878, 38, 941, 56, 833, 26, 0, 59, 857, 0, 176, 620, 625, 0,
                  235, 0, 121, 679, 77, 0, 684, 80, 667, 176]
#: the seed's ranking tables (rank order of canonical indices)
DOO_REG_RANKING = [2, 3, 4, 5, 9, 15, 17, 22, 23, 24, 0, 8, 21, 10, 1, 14, 20, 6, 26, 11, 7,
                   13, 18, 25, 19, 12, 16]
DOO_ACT_RANKING = [5, 3, 11, 7, 23, 20, 25, 2, 15, 14, 1, 0, 17, 13, 26, 19, 24, 21, 10, 6, 4,
                   8, 9, 12, 16, 18, 22]
REGION_REGISTERED = 3725
REGION_ACTIVE = 1254
REGION_STAFF_RANGE = (4128, 4132)

#: plausible ДОО staff sizes (a starting point of the search; г. Орёл takes the rest)
DOO_STAFF_HINT = [None, 400, 220, 60, 78, 51, 60, 55, 80, 25, 72, 24, 48, 150, 120, 56, 87, 68,
                  40, 260, 93, 110, 22, 38, 85, 64, 38]
#: the МО whose candidates are varied by the search (besides г. Орёл, the slack)
FLEXIBLE_MO = [1, 2, 19, 13, 14, 20]

#: seed_district_activity.csv: (registered, active) of the one school per МО
SCHOOL_SEED = [(12, 1), (11, 9), (9, 18), (23, 5), (3, 0), (1, 4), (2, 0), (15, 19), (6, 4),
               (3, 3), (10, 5), (4, 7), (10, 0), (8, 14), (9, 9), (3, 0), (1, 0), (6, 9),
               (1, 0), (9, 18), (4, 15), (21, 17), (1, 8), (9, 2), (4, 5), (7, 1), (3, 0)]
STALE_SCHOOL_MO = mo_index("Свердловский район")

#: number of ДОО per МО (None: from the staff size)
DOO_COUNT = {0: 34, 1: 8, 2: 6}
MISSING_MO = [mo_index("Мценский район"), mo_index("Краснозоренский район")]
NODATA_MO = mo_index("Орловский муниципальный округ")


def tenths(num: int, den: int) -> int:
    """100 * num / den rounded half-up to one decimal, as integer tenths (exact)."""
    return (2000 * num + den) // (2 * den)


# --------------------------------------------------------------------------------------
# Solving the per-МО ДОО numbers
# --------------------------------------------------------------------------------------

def _doo_candidates(i: int) -> list[tuple[int, int, int]]:
    hint = DOO_STAFF_HINT[i]
    out = []
    for s in range(max(3, int(hint * 0.4)), int(hint * 2.5) + 1):
        for r in range(1, s + 1):
            if tenths(r, s) != DOO_REG_TENTHS[i]:
                continue
            for a in range(r + 1):
                if tenths(a, r) == DOO_ACT_TENTHS[i]:
                    # sort key: staff close to the hint, then active close to the exact ratio
                    out.append((abs(s - hint), abs(1000 * a - r * DOO_ACT_TENTHS[i]), s, r, a))
    out.sort()
    return [(s, r, a) for _, _, s, r, a in out]


def _ratio_gt(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """a[0]/a[1] > b[0]/b[1] exactly."""
    return a[0] * b[1] > b[0] * a[1]


def _ranking(values: list[tuple[int, int]]) -> list[int]:
    """Indices sorted by exact ratio descending, ties in canonical order."""
    order = list(range(len(values)))
    # insertion sort with an exact comparison keeps ties in canonical order
    ranked: list[int] = []
    for i in order:
        pos = len(ranked)
        while pos > 0 and _ratio_gt(values[i], values[ranked[pos - 1]]):
            pos -= 1
        ranked.insert(pos, i)
    return ranked


def check_doo_targets(t: list[tuple[int, int, int]]) -> None:
    """Assert the seed's rounded values, ranks and regional totals."""
    for i, (s, r, a) in enumerate(t):
        assert tenths(r, s) == DOO_REG_TENTHS[i], (MO_NAMES[i], s, r)
        assert tenths(a, r) == DOO_ACT_TENTHS[i], (MO_NAMES[i], r, a)
    assert _ranking([(r, s) for s, r, _ in t]) == DOO_REG_RANKING
    assert _ranking([(a, r) for _, r, a in t]) == DOO_ACT_RANKING
    S = sum(x[0] for x in t)
    R = sum(x[1] for x in t)
    A = sum(x[2] for x in t)
    assert R == REGION_REGISTERED and A == REGION_ACTIVE
    assert REGION_STAFF_RANGE[0] <= S <= REGION_STAFF_RANGE[1]
    assert tenths(R, S) == 902 and tenths(A, R) == 337


def solve_doo_targets() -> list[tuple[int, int, int]]:
    """(staff_total, registered, active) of ДОО per МО in canonical order."""
    cands = {i: _doo_candidates(i) for i in range(1, N_MO)}
    k = 6
    combos = sorted(itertools.product(range(k), repeat=len(FLEXIBLE_MO)),
                    key=lambda c: (sum(c), c))
    for combo in combos:
        if any(j >= len(cands[i]) for i, j in zip(FLEXIBLE_MO, combo, strict=True)):
            continue
        choice = {i: cands[i][0] for i in range(1, N_MO)}
        for i, j in zip(FLEXIBLE_MO, combo, strict=True):
            choice[i] = cands[i][j]
        S = sum(v[0] for v in choice.values())
        R = sum(v[1] for v in choice.values())
        A = sum(v[2] for v in choice.values())
        r0, a0 = REGION_REGISTERED - R, REGION_ACTIVE - A
        if not (0 < a0 <= r0) or tenths(a0, r0) != DOO_ACT_TENTHS[0]:
            continue
        for s0 in range(REGION_STAFF_RANGE[0] - S, REGION_STAFF_RANGE[1] - S + 1):
            if s0 < r0 or tenths(r0, s0) != DOO_REG_TENTHS[0]:
                continue
            targets = [(s0, r0, a0)] + [choice[i] for i in range(1, N_MO)]
            try:
                check_doo_targets(targets)
            except AssertionError:
                continue
            return targets
    raise RuntimeError("no integer solution for the seed's ДОО tables")


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв "
    "Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков "
    "Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров "
    "Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов "
    "Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов "
    "Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин "
    "Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв "
    "Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев "
    "Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов "
    "Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов "
    "Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов "
    "Прокофьев Харитонов Князев Цветков Митрофанов Воронов Аксёнов Мальцев Логинов Горшков "
    "Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников Дёмин Хохлов Жданов "
    "Руднев Фадеев Мухин Глебов Лаптев Зуев Субботин Кошелев Шубин Пестов Сычёв Ломакин "
    "Булгаков Тюрин Зотов Ширяев Кочетков Агафонов Уваров Селезнёв Рожков Лавров Бобров"
).split()
FEMALE_NAMES = (
    "Анна Елена Ольга Наталья Татьяна Ирина Светлана Мария Екатерина Юлия Марина Галина "
    "Людмила Надежда Валентина Оксана Евгения Анастасия Дарья Виктория Алёна Ксения Любовь "
    "Вера Нина Лариса Жанна Инна Алла Яна Кристина Олеся Полина Маргарита Лидия Раиса Тамара "
    "Зоя Софья Елизавета Валерия Диана Алина Ангелина Антонина Зинаида Наталия Милена Регина"
).split()
MALE_NAMES = (
    "Александр Сергей Андрей Алексей Дмитрий Иван Михаил Николай Владимир Евгений Игорь Олег "
    "Павел Виктор Юрий Роман Максим Артём Константин Василий Геннадий Григорий Пётр Фёдор "
    "Степан Денис Антон Илья Кирилл Вадим Борис"
).split()
#: father's name -> (male patronymic, female patronymic)
PATRONYMICS = [
    ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"), ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"), ("Дмитриевич", "Дмитриевна"), ("Иванович", "Ивановна"),
    ("Михайлович", "Михайловна"), ("Николаевич", "Николаевна"), ("Владимирович", "Владимировна"),
    ("Евгеньевич", "Евгеньевна"), ("Игоревич", "Игоревна"), ("Олегович", "Олеговна"),
    ("Павлович", "Павловна"), ("Викторович", "Викторовна"), ("Юрьевич", "Юрьевна"),
    ("Васильевич", "Васильевна"), ("Геннадьевич", "Геннадьевна"), ("Петрович", "Петровна"),
    ("Анатольевич", "Анатольевна"), ("Валерьевич", "Валерьевна"), ("Борисович", "Борисовна"),
    ("Фёдорович", "Фёдоровна"), ("Григорьевич", "Григорьевна"), ("Вячеславович", "Вячеславовна"),
]

KINDERGARTEN_NICKS = (
    "Солнышко Ромашка Берёзка Колокольчик Теремок Радуга Алёнушка Звёздочка Журавушка "
    "Ручеёк Сказка Светлячок Родничок Улыбка Василёк Рябинка Дюймовочка Аистёнок Золушка "
    "Ласточка Одуванчик Капелька Семицветик Незабудка Огонёк Буратино Малыш Ягодка"
).split()


def norm_name(name: str) -> str:
    """The contract's person key: trimmed, inner whitespace collapsed, ё→е, case-folded."""
    return " ".join(name.split()).replace("ё", "е").replace("Ё", "Е").casefold()


def make_name(rng: random.Random, female: bool) -> str:
    surname = rng.choice(SURNAMES)
    if female:
        surname += "а"
        first = rng.choice(FEMALE_NAMES)
    else:
        first = rng.choice(MALE_NAMES)
    if rng.random() < 0.1:
        patronymic = rng.choice(PATRONYMICS)[1 if female else 0]
        return f"{surname} {first} {patronymic}"
    return f"{surname} {first}"


def genitive(mo: str) -> str:
    if mo.startswith("г. "):
        return {"г. Орёл": "г. Орла", "г. Ливны": "г. Ливны", "г. Мценск": "г. Мценска"}[mo]
    if mo == "Орловский муниципальный округ":
        return "Орловского муниципального округа"
    word = mo.split()[0]
    return word[:-2] + "ого района"


def feminine_adjective(mo: str) -> str:
    word = mo.split()[0]
    return word[:-2] + "ая"


# --------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------

SHAPES = ["xlsx_date", "xlsx_text", "xls", "csv_1251", "csv_utf8bom", "csv_utf8"]
SHAPE_WEIGHTS = [55, 45, 0, 0, 0, 0]
SMALL_SHAPE_WEIGHTS = [5, 10, 10, 25, 25, 25]
SUFFIX = {"xlsx_date": ".xlsx", "xlsx_text": ".xlsx", "xls": ".xls", "csv_1251": ".csv",
          "csv_utf8bom": ".csv", "csv_utf8": ".csv"}


@dataclass
class Person:
    name: str
    join: int  # day offset from DAY0
    link: int
    msgs: list[int]
    calls: list[int]

    def roll(self, day: int) -> tuple[int, int]:
        lo = max(0, day - 6)
        return sum(self.msgs[lo:day + 1]), sum(self.calls[lo:day + 1])


@dataclass
class Org:
    org_id: str
    name: str
    mo: int
    mo_spelling: str
    org_type: str  # ДОО / ОО
    type_spelling: str
    staff: int
    reg: int = 0  # registered on LAST
    act: int = 0  # active on LAST
    role: str = ""  # missing / nodata / stale
    shape: str = ""
    stem: str = ""
    short: str = ""
    real_dates: bool = False
    persons: list[Person] = field(default_factory=list)
    #: extra rows on LAST: (kind, row tuple) with kind duplicate / rejected
    extra: list[tuple[str, tuple]] = field(default_factory=list)
    blank_zero_messages: bool = False


def off(d: date) -> int:
    return (d - DAY0).days


def dhondt(total: int, weights: list[float], lo: list[int], hi: list[int]) -> list[int]:
    """Split ``total`` roughly proportionally to ``weights`` within [lo, hi] per part."""
    assert sum(lo) <= total <= sum(hi), (total, lo, hi)
    parts = list(lo)
    for _ in range(total - sum(lo)):
        best = max((i for i in range(len(parts)) if parts[i] < hi[i]),
                   key=lambda i: (weights[i] / (parts[i] + 1), -i))
        parts[best] += 1
    return parts


class Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.doo_targets = solve_doo_targets()
        self.orgs: list[Org] = []
        self.unknown: Org | None = None
        self.lock_id = ""
        self.manifest: list[str] = []

    # ---- organisations ---------------------------------------------------------------
    def new_ids(self, n: int) -> list[str]:
        rng = random.Random(f"{SEED}-ids")
        ids: list[str] = []
        seen: dict[str, None] = {}
        while len(ids) < n:
            if rng.random() < 0.15:
                v = str(rng.randint(100000, 999999))
            else:
                v = str(rng.randint(1000000, 9999999))
            if v not in seen:
                seen[v] = None
                ids.append(v)
        return ids

    def doo_count(self, i: int, staff: int) -> int:
        if i in DOO_COUNT:
            return DOO_COUNT[i]
        if staff < 45:
            n = 1
        elif staff < 100:
            n = 2
        elif staff < 150:
            n = 3
        else:
            n = 4
        if i in MISSING_MO or i == NODATA_MO:
            n = max(n, 2)
        return n

    def build_orgs(self) -> None:
        rng = self.rng
        counts = [self.doo_count(i, self.doo_targets[i][0]) for i in range(N_MO)]
        ids = self.new_ids(sum(counts) + N_MO + 1)
        id_iter = iter(ids)
        spelled = [0] * N_MO
        garden_numbers = {i: rng.sample(range(1, 96), counts[i]) for i in range(3)}

        def spelling(i: int) -> str:
            variants = MUNICIPALITIES[i][1]
            spelled[i] += 1
            return variants[0] if spelled[i] == 1 else rng.choice(variants)

        for i in range(N_MO):
            mo = MO_NAMES[i]
            S, R, A = self.doo_targets[i]
            n = counts[i]
            orgs = []
            nicks = rng.sample(KINDERGARTEN_NICKS, n) if i >= 3 else []
            for j in range(n):
                if i < 3:
                    num = garden_numbers[i][j]
                    name = f"МБДОУ «Детский сад № {num}» {genitive(mo)}"
                    short = f"Детский сад №{num}"
                else:
                    name = f"МБДОУ детский сад «{nicks[j]}» {genitive(mo)}"
                    short = f"Детский сад {nicks[j]}"
                type_spelling = "ДОО" if rng.random() < 0.7 else "детский сад"
                orgs.append(Org(next(id_iter), name, i, spelling(i), "ДОО", type_spelling, 0,
                                short=short))
            # roles: one missing org in MISSING_MO, one "no data for D" org in NODATA_MO
            zero = []
            if i in MISSING_MO:
                orgs[-1].role = "missing"
                zero.append(orgs[-1])
            if i == NODATA_MO:
                orgs[1].role = "nodata"
                zero.append(orgs[1])
            weights = [rng.uniform(0.5, 1.5) for _ in orgs]
            staff = dhondt(S, weights, [5] * n, [S] * n)
            if zero:
                room = S - R  # staff of the zero orgs must fit into the unregistered staff
                for o in zero:
                    staff[orgs.index(o)] = min(staff[orgs.index(o)], room // len(zero))
                live = [k for k, o in enumerate(orgs) if o not in zero]
                rest = S - sum(staff[orgs.index(o)] for o in zero)
                live_staff = dhondt(rest, [weights[k] for k in live], [5] * len(live),
                                    [rest] * len(live))
                for k, v in zip(live, live_staff, strict=True):
                    staff[k] = v
            for o, s in zip(orgs, staff, strict=True):
                o.staff = s
            live = [o for o in orgs if o not in zero]
            if R == S:
                assert not zero
                for o in live:
                    o.reg = o.staff
            else:
                w = [o.staff * rng.uniform(0.7, 1.3) for o in live]
                regs = dhondt(R, w, [1] * len(live), [o.staff for o in live])
                for o, r in zip(live, regs, strict=True):
                    o.reg = r
            w = [o.reg * rng.uniform(0.7, 1.3) for o in live]
            acts = dhondt(A, w, [0] * len(live), [o.reg for o in live])
            for o, a in zip(live, acts, strict=True):
                o.act = a
            self.orgs.extend(orgs)

            # the one school of the МО
            reg, act = SCHOOL_SEED[i]
            act = min(act, reg)
            if i == STALE_SCHOOL_MO:
                staff_s, role = reg - 2, "stale"
            else:
                staff_s, role = reg + rng.randint(0, 3), ""
            if i < 3:
                num = rng.randint(2, 40)
                name = f"МБОУ «Средняя общеобразовательная школа № {num}» {genitive(mo)}"
                short = f"СОШ №{num}"
            else:
                name = f"МБОУ «{feminine_adjective(mo)} средняя общеобразовательная школа»"
                short = f"{feminine_adjective(mo)} СОШ"
            type_spelling = "ОО" if rng.random() < 0.7 else "школа"
            self.orgs.append(Org(next(id_iter), name, i, spelling(i), "ОО", type_spelling,
                                 staff_s, reg, act, role=role, short=short))
        unknown_id = next(id_iter)
        self.unknown = Org(unknown_id, "МБДОУ «Детский сад № 99» (нет в реестре)", 0, "", "ДОО",
                           "ДОО", 6, reg=5, act=2, short="Детский сад №99")

    def assign_shapes(self) -> None:
        rng = random.Random(f"{SEED}-shapes")
        orel_doo = [o for o in self.orgs if o.mo == 0 and o.org_type == "ДОО"]
        # the traps of the last week go to Orel kindergartens, each with a given shape
        special = {"dup_xlsx": "xlsx_date", "dup_1251": "csv_1251", "dup_utf8": "csv_utf8",
                   "rej_empty": "xlsx_text", "rej_abc": "csv_utf8bom"}
        # mid-sized ones (the text formats of the traps cost space in big organisations)
        by_size = sorted(orel_doo, key=lambda o: (o.reg, o.org_id))
        chosen = by_size[3:3 + len(special)]
        self.special = {}
        for (role, shape), o in zip(special.items(), chosen, strict=True):
            o.shape = shape
            self.special[role] = o
        for o in self.orgs:
            if o.role == "nodata":
                o.shape = "xlsx_date"
            if o.shape:
                continue
            # xlsx costs ~5 KB per file plus ~26 bytes per row, csv ~50 bytes per row: big
            # exports as xlsx, small ones mostly as text (keeps the sample a few MB)
            if o.reg > 25:
                o.shape = rng.choices(SHAPES[:2], SHAPE_WEIGHTS[:2])[0]
            else:
                o.shape = rng.choices(SHAPES, SMALL_SHAPE_WEIGHTS)[0]
        # every shape at least twice (xls three times) among organisations with a file in
        # every week, taking small organisations for the text formats
        regular = [o for o in self.orgs if not o.role or o.role == "stale"]
        for shape in SHAPES:
            have = [o for o in regular if o.shape == shape]
            free = [o for o in regular if o.shape in ("xlsx_date", "xlsx_text")
                    and o not in self.special.values() and o.reg <= 25]
            while len(have) < (3 if shape == "xls" else 2):
                o = free.pop(rng.randrange(len(free)))
                o.shape = shape
                have.append(o)
        xls = [o for o in self.orgs if o.shape == "xls"]
        for k, o in enumerate(xls):
            o.real_dates = k % 2 == 0
        for o in self.orgs:
            if o.shape == "xlsx_text":
                o.blank_zero_messages = rng.random() < 0.5
            pattern = rng.choice(["id", "id", "space", "under", "dash", "dot"])
            o.stem = {
                "id": o.org_id,
                "space": f"{o.org_id} {o.short}",
                "under": f"{o.org_id}_stat",
                "dash": f"{o.org_id}-po-uchitelyam",
                "dot": f"{o.org_id}.Статистика по учителям",
            }[pattern]
        self.unknown.shape = "csv_utf8"
        self.unknown.stem = f"{self.unknown.org_id} {self.unknown.short}"
        self.lock_id = next(o.org_id for o in self.orgs
                            if o.shape.startswith("xlsx") and not o.role)

    # ---- people ----------------------------------------------------------------------
    def build_people(self) -> None:
        rng = random.Random(f"{SEED}-people")
        last = off(LAST)
        first_window = off(WEEKS[0] - timedelta(days=6))
        # a few people join on D+1 of the last week (rows of "other dates" only)
        eligible = [o for o in self.orgs if o.org_type == "ДОО" and not o.role
                    and 0 < o.reg < o.staff]
        late_joiners = {o.org_id for o in rng.sample(eligible, 8)}
        for o in self.orgs + [self.unknown]:
            if o.role == "missing":
                continue
            n_reg = o.reg
            n_act = o.act
            if o.role == "nodata":  # people as in earlier weeks; their D file is stale
                n_reg = max(1, round(o.staff * 0.7))
                n_act = round(n_reg * 0.1)
            female_share = 0.97 if o.org_type == "ДОО" else 0.8
            seen: dict[str, None] = {}
            names = []
            while len(names) < n_reg + (o.org_id in late_joiners):
                nm = make_name(rng, rng.random() < female_share)
                if norm_name(nm) not in seen:
                    seen[norm_name(nm)] = None
                    names.append(nm)
            joins = []
            for k in range(n_reg):
                if k == 0 or rng.random() < 0.7:
                    joins.append(0)
                else:
                    joins.append(rng.randint(first_window, last))
            if o.org_id in late_joiners:
                joins.append(last + 1)
            active = set(rng.sample(range(n_reg), n_act))
            for k, (nm, j) in enumerate(zip(names, joins, strict=True)):
                o.persons.append(self.make_person(rng, nm, j, k in active, k < n_reg))

    def make_person(self, rng: random.Random, name: str, join: int, active: bool,
                    on_last: bool) -> Person:
        last = off(LAST)
        msgs = [0] * N_DAYS
        calls = [0] * N_DAYS
        calls_only = active and rng.random() < 0.05
        p = rng.uniform(0.08, 0.4) if active else 0.01
        for d in range(join, N_DAYS):
            ramp = 0.55 + 0.45 * d / (N_DAYS - 1)
            if not calls_only and rng.random() < p * ramp:
                msgs[d] = rng.randint(1, 12)
            if rng.random() < (p if calls_only else 0.1 * p) * ramp:
                calls[d] = rng.randint(1, 3)
        window = range(max(join, last - 6), last + 1)
        if on_last:
            if active and not any(msgs[d] + calls[d] for d in window):
                d = rng.choice(list(window))
                if calls_only:
                    calls[d] = rng.randint(1, 2)
                else:
                    msgs[d] = rng.randint(1, 6)
            if not active:
                for d in window:
                    msgs[d] = calls[d] = 0
        return Person(name, join, int(rng.random() < 0.15), msgs, calls)

    def add_traps(self) -> None:
        """Duplicates and rejected rows on the reporting date of the last week."""
        last = off(LAST)

        def rename(o: Org, new: str) -> Person:
            keys = [norm_name(p.name) for p in o.persons]
            assert norm_name(new) not in keys
            person = next(p for p in o.persons if p.join == 0)
            person.name = new
            return person

        for role, (orig, dup) in {
            "dup_xlsx": ("Семёнова Анна", "семенова  анна"),
            "dup_1251": ("Королёва Ирина Петровна", "Королева  Ирина Петровна"),
            "dup_utf8": ("Гусева Ольга", "ГУСЕВА ОЛЬГА "),
        }.items():
            o = self.special[role]
            p = rename(o, orig)
            m, c = p.roll(last)
            o.extra.append(("duplicate", (LAST, dup, "teacher", p.link, m, c)))
        o = self.special["rej_empty"]
        o.extra.append(("rejected", (LAST, "", "teacher", 0, 3, 0)))
        o = self.special["rej_abc"]
        assert "лапина дарья" not in [norm_name(p.name) for p in o.persons]
        o.extra.append(("rejected", (LAST, "Лапина Дарья", "teacher", 0, "abc", 0)))

    # ---- self-check of the model --------------------------------------------------------
    def verify(self) -> None:
        last = off(LAST)
        per_mo = [[0, 0, 0] for _ in range(N_MO)]
        for o in self.orgs:
            if o.org_type != "ДОО":
                continue
            per_mo[o.mo][0] += o.staff
            if o.role in ("missing", "nodata"):
                continue
            on_d = [p for p in o.persons if p.join <= last]
            assert len(on_d) == o.reg, o.org_id
            act = sum(1 for p in on_d if sum(p.roll(last)) >= 1)
            assert act == o.act, (o.org_id, act, o.act)
            per_mo[o.mo][1] += o.reg
            per_mo[o.mo][2] += o.act
        got = [tuple(x) for x in per_mo]
        assert got == [tuple(x) for x in self.doo_targets], got
        check_doo_targets(got)
        # growth: registered strictly increases week by week, activity below the last week
        totals = [self.week_totals(w) for w in WEEKS]
        for a, b in itertools.pairwise(totals):
            assert a[0] < b[0], totals
        assert all(t[1] < totals[-1][1] for t in totals[:-1]), totals
        assert totals[-1] == (REGION_REGISTERED + 195, REGION_ACTIVE + sum(
            min(a, r) for r, a in SCHOOL_SEED)), totals
        self.totals = totals

    def week_totals(self, week: date) -> tuple[int, int]:
        d = off(week)
        reg = act = 0
        for o in self.orgs:
            if o.role == "missing" or (o.role == "nodata" and week == LAST):
                continue
            for p in o.persons:
                if p.join <= d:
                    reg += 1
                    act += sum(p.roll(d)) >= 1
        return reg, act

    # ---- rows ------------------------------------------------------------------------
    def export_rows(self, o: Org, week: date) -> tuple[date, date, list[tuple[str, tuple]]]:
        """(first day, last day, rows) of the export downloaded for ``week``."""
        if o.role == "nodata" and week == LAST:
            week = WEEKS[-2]  # the analyst saved last week's download again
        start, end = week - timedelta(days=6), week + timedelta(days=1)
        rows = []
        for k in range((end - start).days + 1):
            day = start + timedelta(days=k)
            d = off(day)
            for p in o.persons:
                if p.join <= d:
                    m, c = p.roll(d)
                    rows.append(("", (day, p.name, "teacher", p.link, m, c)))
        if week == LAST:
            rows.extend(o.extra)
        # by date, then name; a repeated person comes after the first record of the name
        rows.sort(key=lambda r: (r[1][0], norm_name(r[1][1]), bool(r[0]), r[1][1]))
        return start, end, rows


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------

def title(start: date, end: date) -> str:
    return f"Статистика по учителям {start:%d.%m.%Y} - {end:%d.%m.%Y}"


def normalized_zip(raw: bytes, sheet_insert: tuple[str, str] | None = None) -> bytes:
    """Rewrite a zip with fixed member timestamps (byte-identical output).

    ``sheet_insert`` = (anchor, text): insert ``text`` into the first worksheet right
    after the first ``</row>`` that follows ``anchor`` (see :func:`write_xlsx`).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if sheet_insert and info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                anchor, text = sheet_insert
                pos = xml.index("</row>", xml.index(anchor)) + len("</row>")
                data = (xml[:pos] + text + xml[pos:]).encode("utf-8")
            new = zipfile.ZipInfo(info.filename, date_time=ZIP_DT)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = 0o600 << 16
            zout.writestr(new, data)
    return out.getvalue()


def workbook_bytes(wb: openpyxl.Workbook, sheet_insert: tuple[str, str] | None = None) -> bytes:
    wb.properties.created = FIXED_DT
    wb.properties.modified = FIXED_DT
    wb.properties.creator = "sferum sample generator"
    wb.properties.lastModifiedBy = None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # save_workbook() would stamp "modified" with now()
    return normalized_zip(buf.getvalue(), sheet_insert)


def xlsx_values(o: Org, row: tuple) -> list[object]:
    day, name, utype, link, m, c = row
    if o.shape == "xlsx_date":
        cell_day: object = datetime(day.year, day.month, day.day)
    else:
        cell_day = f"{day:%d.%m.%Y}"
        c = None if c == 0 else c  # blank means 0
        if o.blank_zero_messages and m == 0:
            m = None
    return [cell_day, name or None, utype, link, m, c]


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_row(r: int, values: list[object], date_style: int) -> str:
    """One ``<row>`` exactly as openpyxl (without lxml) writes it."""
    cells = []
    for col, v in zip("ABCDEF", values, strict=False):
        if v is None:
            continue
        if isinstance(v, datetime):
            serial = format(to_excel(v), ".16g")  # openpyxl's safe_string
            cells.append(f'<c r="{col}{r}" s="{date_style}" t="n"><v>{serial}</v></c>')
        elif isinstance(v, str):
            space = ' xml:space="preserve"' if v.strip() and v.strip() != v else ""
            cells.append(f'<c r="{col}{r}" t="inlineStr"><is><t{space}>{_xml_text(v)}</t></is></c>')
        else:
            cells.append(f'<c r="{col}{r}" t="n"><v>{v}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def write_xlsx(o: Org, start: date, end: date, rows: list[tuple[str, tuple]],
               pure: bool = False) -> tuple[bytes, int]:
    """Returns the bytes and the spreadsheet row number of the header.

    openpyxl's cell-by-cell writer (pure Python without lxml) is far too slow for the
    ~150 000 rows of the sample, so openpyxl writes the workbook with the title, the
    header, the first data row and the trailing blank lines, and the other data rows are
    rendered by :func:`render_row` in exactly openpyxl's format. ``pure=True`` lets
    openpyxl write every row; the tests check that both give the same bytes.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Статистика"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 34
    ws.append([title(start, end)])
    header_row = 2
    if o.shape == "xlsx_date":
        ws.append([])  # a blank line under the title
        header_row = 3
    ws.append(HEADER)
    values = [xlsx_values(o, row) for _, row in rows]
    direct = values if pure else values[:1]
    for k, vals in enumerate(direct):
        ws.append(vals)
        if isinstance(vals[0], datetime):
            ws.cell(header_row + 1 + k, 1).number_format = "DD.MM.YYYY"
    last = header_row + len(values)
    for r in (last + 1, last + 2):  # two blank (formatted, empty) lines at the end
        ws.cell(r, 1).number_format = "@"
    if pure:
        return workbook_bytes(wb), header_row
    date_style = ws.cell(header_row + 1, 1).style_id
    text = "".join(render_row(header_row + 1 + k, vals, date_style)
                   for k, vals in enumerate(values[1:], start=1))
    return workbook_bytes(wb, (f'<row r="{header_row + 1}">', text)), header_row


def write_xls(o: Org, start: date, end: date, rows: list[tuple[str, tuple]]) -> tuple[bytes, int]:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Статистика")
    date_style = xlwt.easyxf(num_format_str="DD.MM.YYYY")
    ws.write(0, 0, title(start, end))
    for c, h in enumerate(HEADER):
        ws.write(1, c, h)
    for r, (_, (day, name, utype, link, m, c)) in enumerate(rows, start=2):
        if o.real_dates:
            ws.write(r, 0, datetime(day.year, day.month, day.day), date_style)
        else:
            ws.write(r, 0, f"{day:%d.%m.%Y}")
        ws.write(r, 1, name)
        ws.write(r, 2, utype)
        ws.write(r, 3, link)
        ws.write(r, 4, m)
        ws.write(r, 5, c)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), 2


def write_csv(o: Org, rows: list[tuple[str, tuple]]) -> tuple[bytes, int]:
    if o.shape == "csv_1251":
        sep, enc, eol, fmt = ";", "cp1251", "\r\n", "%d.%m.%Y"
    elif o.shape == "csv_utf8bom":
        sep, enc, eol, fmt = ",", "utf-8-sig", "\r\n", "%Y-%m-%d"
    else:
        sep, enc, eol, fmt = ";", "utf-8", "\n", "%d.%m.%Y"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=eol)
    w.writerow(HEADER)
    for _, (day, name, utype, link, m, c) in rows:
        w.writerow([day.strftime(fmt), name, utype, link, m, c])
    return buf.getvalue().encode(enc), 1


def export_bytes(o: Org, start: date, end: date,
                 rows: list[tuple[str, tuple]]) -> tuple[bytes, int]:
    if o.shape.startswith("xlsx"):
        return write_xlsx(o, start, end, rows)
    if o.shape == "xls":
        return write_xls(o, start, end, rows)
    return write_csv(o, rows)


def registry_bytes(orgs: list[Org]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Реестр"
    ws.append(REGISTRY_HEADER)
    for o in orgs:
        ws.append([o.org_id, o.name, o.mo_spelling, o.type_spelling, o.staff])
        ws.cell(ws.max_row, 1).number_format = "@"
    for col, width in zip("ABCDE", (12, 70, 30, 16, 12), strict=True):
        ws.column_dimensions[col].width = width
    return workbook_bytes(wb)


LOCK_BYTES = b"\x07Analyst" + b" " * 46 + b"\x07\x00A\x00n\x00a\x00l\x00y\x00s\x00t\x00"


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def build() -> Builder:
    b = Builder()
    b.build_orgs()
    b.assign_shapes()
    b.build_people()
    b.add_traps()
    b.verify()
    return b


def owned_paths(out: Path) -> list[Path]:
    return [out / REGISTRY_REL] + [out / w.isoformat() for w in WEEKS]


_JOBS: list[tuple[Org, date]] = []
_BUILDER: Builder | None = None


def _encode(k: int) -> tuple[bytes, int, list[tuple[str, int, str]]]:
    """Bytes of job ``k``, the header row and the special rows (kind, row, name)."""
    o, week = _JOBS[k]
    start, end, rows = _BUILDER.export_rows(o, week)
    data, header_row = export_bytes(o, start, end, rows)
    special = [(kind, header_row + 1 + i, row[1]) for i, (kind, row) in enumerate(rows) if kind]
    return data, header_row, special


def generate(out: Path, jobs: int | None = None) -> Builder:
    global _BUILDER
    b = build()
    _BUILDER = b
    _JOBS.clear()
    for week in WEEKS:
        for o in b.orgs + [b.unknown]:
            if o.role != "missing":
                _JOBS.append((o, week))
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            results = pool.map(_encode, range(len(_JOBS)), chunksize=4)
    else:
        results = [_encode(k) for k in range(len(_JOBS))]

    for p in owned_paths(out):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    (out / "registry").mkdir(parents=True, exist_ok=True)
    (out / REGISTRY_REL).write_bytes(registry_bytes(b.orgs))
    for week in WEEKS:
        (out / week.isoformat()).mkdir(parents=True)
        (out / week.isoformat() / f"~${b.lock_id}.xlsx").write_bytes(LOCK_BYTES)
    b.files = {}
    for (o, week), (data, _, special) in zip(_JOBS, results, strict=True):
        fname = o.stem + SUFFIX[o.shape]
        (out / week.isoformat() / fname).write_bytes(data)
        b.files[(week, o.org_id)] = fname
        for kind, row, name in special:
            b.manifest.append(f"{kind}: {week}/{fname} row {row}: {name!r}")
    return b


def summary(b: Builder, out: Path) -> str:
    lines = []
    lines.append("ДОО per МО (staff_total, registered, active) on 2024-01-29:")
    for i, (s, r, a) in enumerate(b.doo_targets):
        lines.append(f"  {i + 1:2d} {MO_NAMES[i]:<32} {s:5d} {r:5d} {a:5d}  "
                     f"{tenths(r, s) / 10:5.1f} {tenths(a, r) / 10:5.1f}")
    S = sum(t[0] for t in b.doo_targets)
    lines.append(f"  total staff {S}, registered {REGION_REGISTERED}, active {REGION_ACTIVE}")
    lines.append("Registered/active per week (all organisations with data on D):")
    for w, (r, a) in zip(WEEKS, b.totals, strict=True):
        lines.append(f"  {w}: {r} / {a}")
    for o in b.orgs:
        if o.role:
            lines.append(f"{o.role}: {o.org_id} {MO_NAMES[o.mo]} {o.org_type} staff={o.staff} "
                         f"reg={o.reg} file={b.files.get((LAST, o.org_id))}")
    lines.append(f"unknown organisation: {b.unknown.org_id} file="
                 f"{b.files[(LAST, b.unknown.org_id)]}")
    lines.append(f"lock file: ~${b.lock_id}.xlsx")
    lines.extend(b.manifest)
    shapes: dict[str, int] = {}
    for (_week, org_id), _ in b.files.items():
        o = next((x for x in b.orgs if x.org_id == org_id), b.unknown)
        shapes[o.shape] = shapes.get(o.shape, 0) + 1
    lines.append("files per shape (all weeks): " + ", ".join(
        f"{s}={shapes.get(s, 0)}" for s in SHAPES))
    size = sum(p.stat().st_size for q in owned_paths(out)
               for p in ([q] if q.is_file() else q.rglob("*")))
    lines.append(f"total size: {size} bytes")
    return "\n".join(lines)


def check_fast_writer(limit: int = 4) -> int:
    """Compare the fast xlsx path with openpyxl writing every row (trap files + a few)."""
    b = build()
    checked = 0
    for o in b.orgs:
        if o.shape.startswith("xlsx") and o.role != "missing" and (o.extra or checked < limit):
            start, end, rows = b.export_rows(o, LAST)
            fast = write_xlsx(o, start, end, rows)
            pure = write_xlsx(o, start, end, rows, pure=True)
            if fast != pure:
                raise SystemExit(f"fast xlsx writer differs from openpyxl for {o.org_id}")
            checked += 1
    return checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: data/raw of the repository)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: number of CPUs)")
    parser.add_argument("--manifest", action="store_true",
                        help="print the solved targets and the special organisations/rows")
    parser.add_argument("--check-writer", action="store_true",
                        help="only check that the fast xlsx path equals openpyxl's own output")
    args = parser.parse_args(argv)
    if args.check_writer:
        print(f"fast xlsx writer checked on {check_fast_writer()} files")
        return 0
    b = generate(args.out, args.jobs)
    if args.manifest:
        print(summary(b, args.out))
    else:
        print(f"synthetic sample written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
