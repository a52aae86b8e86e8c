"""Indicators across weeks (contract, section 7): hand-computed person-level histories.

Every expected count below is worked out by hand from the literal tables of this file
(the comments give the reasoning), never recomputed with the code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sferum_analysis import municipalities
from sferum_analysis.indicators import (
    INDICATOR_COLUMNS,
    EarlierWeek,
    add_indicators,
    earlier_weeks,
    load_earlier_week,
    mo_indicators,
    org_indicators,
    with_indicators,
)
from sferum_analysis.metrics import TOTAL, ActiveRule, mo_metrics, org_activity
from sferum_analysis.schemas import METRICS, ORGS, PERSONS, validate
from sferum_analysis.store import write_tables

NAMES = municipalities.canonical_names()
MO_A, MO_B = NAMES[0], NAMES[5]
ANY = ActiveRule()
QUOTA = ActiveRule("quota", min_messages=10, min_calls=1)

# (org_id, org_type, mo, staff_total)
REGISTER = [
    ("1", "ДОО", MO_A, 10),
    ("2", "ДОО", MO_A, 5),
    ("3", "ДОО", MO_B, 4),
    ("4", "ОО", MO_B, 3),
    ("5", "ОО", MO_A, 3),
]


def key(name: str) -> str:
    return " ".join(name.split()).casefold().replace("ё", "е")


def persons(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """A ``persons`` table (PERSONS schema) from ``(org_id, full_name, messages, calls)``;
    duplicates are kept as given (the indicators must be robust to them)."""
    frame = pd.DataFrame({
        "org_id": [r[0] for r in rows],
        "person_key": [key(r[1]) for r in rows],
        "full_name": [r[1] for r in rows],
        "user_type": ["teacher"] * len(rows),
        "link": [0] * len(rows),
        "messages_7d": [r[2] for r in rows],
        "calls_7d": [r[3] for r in rows],
        "file": [f"{r[0]}.csv" for r in rows],
        "row": list(range(2, len(rows) + 2)),
    }).astype({"org_id": "string", "person_key": "string", "full_name": "string",
               "user_type": "string", "link": "Int64", "messages_7d": "int64",
               "calls_7d": "int64", "file": "string", "row": "int64"})
    if not frame.duplicated(["org_id", "person_key"]).any():
        validate(frame, PERSONS)
    return frame


def orgs(people: pd.DataFrame, missing: set[str] = frozenset()) -> pd.DataFrame:
    """An ``orgs`` table (ORGS schema): ``missing`` orgs have no export that week."""
    distinct = people.drop_duplicates(["org_id", "person_key"])
    registered = distinct["org_id"].value_counts()
    order = municipalities.order_of()
    frame = pd.DataFrame({
        "org_id": [r[0] for r in REGISTER],
        "org_name": [f"Организация {r[0]}" for r in REGISTER],
        "mo": [r[2] for r in REGISTER],
        "mo_order": [order[r[2]] for r in REGISTER],
        "org_type": [r[1] for r in REGISTER],
        "staff_total": [r[3] for r in REGISTER],
        "registry_row": list(range(2, len(REGISTER) + 2)),
        "files": [0 if r[0] in missing else 1 for r in REGISTER],
        "status": ["missing_export" if r[0] in missing else "reported" for r in REGISTER],
        "registered": [int(registered.get(r[0], 0)) for r in REGISTER],
    }).astype({"org_id": "string", "org_name": "string", "mo": "string", "org_type": "string",
               "status": "string"})
    return validate(frame, ORGS)


# ----------------------------------------------------------------------------- the story
# Four weeks, W0 the reporting week, W1 the previous one. Rule "any" unless stated.
#
# org 1 (ДОО, A)  W0            W1            W2                 W3
#   Анна          active        active        active + inactive  active     4 weeks: sustained
#                                              (a duplicate row)
#   Борис         active        active        inactive           —          2 weeks
#   Вера          inactive      active        active             active     3 weeks: sustained
#   Галина        active (new)  —             active             active     3 weeks: sustained
#   Дмитрий       —  (left)     active        —                  —
#   -> registered 4, sustained 3 (75.0), new 1 (Галина), left 1 (Дмитрий)
#
# org 2 (ДОО, A): no usable export in W1 (its stray W1 row must be ignored)
#   Елена         active        (active)      active             inactive   2 weeks
#   Жанна         active        —             active             active     3 weeks: sustained
#   -> registered 2, sustained 1 (50.0), new/left empty (not comparable)
#
# org 3 (ДОО, B)
#   Иван          active+inactive (dup) active active            —          3 weeks: sustained
#   Анна          active (new)  — (Анна of org 1 is another person)          1 week
#   Кирилл        — (left)      active        —                  —
#   -> registered 2, sustained 1 (50.0), new 1 (Анна), left 1 (Кирилл)
#
# org 4 (ОО, B): no export in W0 -> registered 0, sustained 0, % empty, flows empty
#   Лев           —             active        active             active
#
# org 5 (ОО, A)
#   Олег          active        active        active             active     sustained
#   Пётр          inactive      inactive      inactive           inactive
#   -> registered 2, sustained 1 (50.0), new 0, left 0
W0 = persons([
    ("1", "Анна Иванова", 3, 0), ("1", "Борис Котов", 1, 0), ("1", "Вера Лисина", 0, 0),
    ("1", "Галина Морозова", 0, 2),
    ("2", "Елена Носова", 5, 0), ("2", "Жанна Орлова", 1, 1),
    ("3", "Иван  Петров", 0, 0), ("3", "иван петров", 2, 0), ("3", "Анна Иванова", 4, 0),
    ("5", "Олег Рыбин", 1, 0), ("5", "Пётр Сомов", 0, 0),
])
W1 = persons([
    ("1", "Анна Иванова", 1, 0), ("1", "Борис Котов", 2, 0), ("1", "Вера Лисина", 7, 0),
    ("1", "Дмитрий Ткач", 1, 0),
    ("2", "Елена Носова", 9, 9),
    ("3", "Иван Петров", 1, 0), ("3", "Кирилл Усов", 3, 0),
    ("4", "Лев Фомин", 1, 0),
    ("5", "Олег Рыбин", 1, 0), ("5", "Петр Сомов", 0, 0),
])
W2 = persons([
    ("1", "Анна Иванова", 1, 0), ("1", "Анна  Иванова", 0, 0), ("1", "Борис Котов", 0, 0),
    ("1", "Вера Лисина", 1, 0), ("1", "Галина Морозова", 1, 0),
    ("2", "Елена Носова", 1, 0), ("2", "Жанна Орлова", 2, 0),
    ("3", "Иван Петров", 0, 1),
    ("4", "Лев Фомин", 1, 0),
    ("5", "Олег Рыбин", 1, 0), ("5", "Пётр Сомов", 0, 0),
])
W3 = persons([
    ("1", "Анна Иванова", 1, 0), ("1", "Вера Лисина", 1, 1), ("1", "Галина Морозова", 0, 1),
    ("2", "Елена Носова", 0, 0), ("2", "Жанна Орлова", 1, 0),
    ("4", "Лев Фомин", 1, 0),
    ("5", "Олег Рыбин", 1, 0), ("5", "Пётр Сомов", 0, 0),
])
ORGS_W0 = orgs(W0, missing={"4"})


def earlier(w3: bool = True) -> list[EarlierWeek | None]:
    """W1, W2, W3, most recent first; org 2 has no usable export in W1."""
    return [
        EarlierWeek(W1, frozenset({"1", "3", "4", "5"}), "2024-01-22"),
        EarlierWeek.from_tables(W2, orgs(W2), "2024-01-15"),
        EarlierWeek.from_tables(W3, orgs(W3, missing={"3"}), "2024-01-08") if w3 else None,
    ]


def org_table(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in rec)
            for rec in frame[["org_id", *INDICATOR_COLUMNS]].itertuples(index=False)]


def mo_table(frame: pd.DataFrame, mos: list[str]) -> list[tuple]:
    rows = frame[frame["mo"].isin(mos)]
    return [tuple(None if pd.isna(v) else v for v in rec)
            for rec in rows[["org_type", "mo", *INDICATOR_COLUMNS]].itertuples(index=False)]


# ----------------------------------------------------------------------------- per org
def test_org_indicators_by_hand():
    out = org_indicators(ORGS_W0, W0, earlier(), ANY, earlier_folders=3)
    assert org_table(out) == [
        # org, sustained, %, new, left
        ("1", 3, 75.0, 1, 1),
        ("2", 1, 50.0, None, None),    # no usable export in W1: not compared
        ("3", 1, 50.0, 1, 1),          # Анна of org 1 does not count for org 3
        ("4", 0, None, None, None),    # no export this week
        ("5", 1, 50.0, 0, 0),
    ]
    assert dict(out.dtypes.astype(str)) == {"org_id": "string", "sustained": "Int64",
                                            "pct_sustained": "Float64",
                                            "new_registered": "Int64", "left": "Int64"}
    assert list(out.index) == list(ORGS_W0.index)


def test_week_folder_without_processed_data_counts_as_no_activity():
    # W3 is None: Вера (W1, W2), Галина (W0, W2) and Жанна (W0, W2) drop to 2 weeks
    out = org_indicators(ORGS_W0, W0, earlier(w3=False), ANY, earlier_folders=3)
    assert org_table(out) == [
        ("1", 1, 25.0, 1, 1),
        ("2", 0, 0.0, None, None),
        ("3", 1, 50.0, 1, 1),
        ("4", 0, None, None, None),
        ("5", 1, 50.0, 0, 0),
    ]


def test_organisation_without_usable_export_in_an_earlier_week():
    # org 3 is not usable in W3 (Иван had no row there anyway) and org 2's W1 row for Елена
    # is ignored: were it counted, Елена would have 3 weeks and org 2 two sustained.
    usable_w1 = frozenset({"1", "2", "3", "4", "5"})
    weeks = [EarlierWeek(W1, usable_w1), *earlier()[1:]]
    out = org_indicators(ORGS_W0, W0, weeks, ANY, earlier_folders=3)
    assert out.loc[out["org_id"] == "2", "sustained"].item() == 2
    base = org_indicators(ORGS_W0, W0, earlier(), ANY, earlier_folders=3)
    assert base.loc[base["org_id"] == "2", "sustained"].item() == 1


def test_quota_rule_is_re_applied_to_every_week():
    # messages ≥ 10 and calls ≥ 1, weeks W0..W3 of org 1:
    #   a: (10,1) (12,3) (9,5)  (10,1)  quota W0 W1 W3 -> 3: sustained; any: 4
    #   b: (50,0) (20,0) (10,1) (0,0)   quota W2       -> 1;            any: 3
    #   c: (9,1)  (10,0) (10,1) (11,2)  quota W2 W3    -> 2;            any: 4
    w = [persons([("1", "a", 10, 1), ("1", "b", 50, 0), ("1", "c", 9, 1)]),
         persons([("1", "a", 12, 3), ("1", "b", 20, 0), ("1", "c", 10, 0)]),
         persons([("1", "a", 9, 5), ("1", "b", 10, 1), ("1", "c", 10, 1)]),
         persons([("1", "a", 10, 1), ("1", "b", 0, 0), ("1", "c", 11, 2)])]
    this = orgs(w[0])
    prev = [EarlierWeek.from_tables(p, orgs(p)) for p in w[1:]]
    quota = org_indicators(this, w[0], prev, QUOTA, earlier_folders=3)
    assert org_table(quota)[0] == ("1", 1, 33.3, 0, 0)
    anyrule = org_indicators(this, w[0], prev, ANY, earlier_folders=3)
    assert org_table(anyrule)[0] == ("1", 3, 100.0, 0, 0)


@pytest.mark.parametrize("folders", [0, 1, 2])
def test_fewer_than_three_earlier_weeks_leave_sustained_empty(folders):
    out = org_indicators(ORGS_W0, W0, earlier()[:folders], ANY, earlier_folders=folders)
    assert out["sustained"].isna().all()
    assert out["pct_sustained"].isna().all()
    if folders == 0:   # no previous week: flows empty too
        assert out["new_registered"].isna().all() and out["left"].isna().all()
    else:              # flows only need the previous week
        assert org_table(out)[0] == ("1", None, None, 1, 1)
        assert org_table(out)[4] == ("5", None, None, 0, 0)


def test_previous_folder_without_processed_data_leaves_flows_empty():
    out = org_indicators(ORGS_W0, W0, [None], ANY, earlier_folders=1)
    assert out[list(INDICATOR_COLUMNS)].isna().all().all()


def test_more_earlier_folders_than_the_window():
    # ten folders before this week: only the three latest are given and used
    out = org_indicators(ORGS_W0, W0, earlier(), ANY, earlier_folders=10)
    assert out["sustained"].tolist() == [3, 1, 1, 0, 1]


@pytest.mark.parametrize(("weeks", "folders"), [(2, 3), (3, 2), (1, 0)])
def test_wrong_number_of_earlier_weeks_is_an_error(weeks, folders):
    with pytest.raises(ValueError, match="более ранних недель"):
        org_indicators(ORGS_W0, W0, earlier()[:weeks], ANY, earlier_folders=folders)


# ----------------------------------------------------------------------------- per МО
def metrics_frames(rule: ActiveRule = ANY) -> tuple[pd.DataFrame, pd.DataFrame]:
    org_metrics = org_activity(ORGS_W0, W0.drop_duplicates(["org_id", "person_key"]), rule)
    return validate(mo_metrics(org_metrics), METRICS), org_metrics


def test_mo_rows_and_pooled_totals():
    metrics, org_metrics = metrics_frames()
    ind = org_indicators(org_metrics, W0, earlier(), ANY, earlier_folders=3)
    out = mo_indicators(metrics, org_metrics, ind)
    assert list(out.index) == list(metrics.index)
    other = NAMES[1]   # an МО without organisations
    assert mo_table(out, [MO_A, MO_B, other, TOTAL]) == [
        # ДОО: A = orgs 1, 2 (registered 6, sustained 4; flows of org 1 only)
        ("ДОО", MO_A, 4, 66.7, 1, 1),
        ("ДОО", other, 0, None, None, None),
        ("ДОО", MO_B, 1, 50.0, 1, 1),
        # pooled 5 / 8 = 62.5, not the mean of 66.7 and 50.0 (58.3)
        ("ДОО", TOTAL, 5, 62.5, 2, 2),
        ("ОО", MO_A, 1, 50.0, 0, 0),
        ("ОО", other, 0, None, None, None),
        ("ОО", MO_B, 0, None, None, None),   # org 4: no export this week
        ("ОО", TOTAL, 1, 50.0, 0, 0),
    ]


def test_mo_rows_empty_without_enough_weeks():
    metrics, org_metrics = metrics_frames()
    ind = org_indicators(org_metrics, W0, earlier()[:1], ANY, earlier_folders=1)
    out = mo_indicators(metrics, org_metrics, ind)
    assert out["sustained"].isna().all() and out["pct_sustained"].isna().all()
    assert mo_table(out, [MO_A, TOTAL]) == [
        ("ДОО", MO_A, None, None, 1, 1), ("ДОО", TOTAL, None, None, 2, 2),
        ("ОО", MO_A, None, None, 0, 0), ("ОО", TOTAL, None, None, 0, 0),
    ]


def test_with_indicators_adds_columns_and_keeps_everything_else():
    metrics, org_metrics = metrics_frames()
    ind = org_indicators(org_metrics, W0, earlier(), ANY, earlier_folders=3)
    shuffled = org_metrics.iloc[[4, 2, 0, 3, 1]]   # order of org_metrics is kept as given
    new_metrics, new_orgs = with_indicators(metrics, shuffled, ind)
    assert list(new_metrics.columns) == [*metrics.columns, *INDICATOR_COLUMNS]
    pd.testing.assert_frame_equal(new_metrics[list(metrics.columns)], metrics)
    assert list(new_orgs.columns) == [*shuffled.columns, *INDICATOR_COLUMNS]
    pd.testing.assert_frame_equal(new_orgs[list(shuffled.columns)], shuffled)
    assert org_table(new_orgs) == [
        ("5", 1, 50.0, 0, 0), ("3", 1, 50.0, 1, 1), ("1", 3, 75.0, 1, 1),
        ("4", 0, None, None, None), ("2", 1, 50.0, None, None),
    ]
    for frame in (new_metrics, new_orgs):
        assert {c: str(frame[c].dtype) for c in INDICATOR_COLUMNS} == INDICATOR_COLUMNS
    validate(new_metrics, METRICS)
    # a second merge replaces the columns in place
    again, _ = with_indicators(new_metrics, shuffled, ind)
    assert list(again.columns) == list(new_metrics.columns)
    pd.testing.assert_frame_equal(again, new_metrics)


def test_add_indicators_under_the_quota_rule():
    # under quota (10 messages and 1 call) nobody of the story is active in any week
    # except Елена's ignored W1 row (9, 9 is not enough anyway): sustained is 0 everywhere
    metrics, org_metrics = metrics_frames(QUOTA)
    new_metrics, new_orgs = add_indicators(metrics, org_metrics, W0, earlier(), QUOTA,
                                           earlier_folders=3)
    assert new_orgs["sustained"].tolist() == [0, 0, 0, 0, 0]
    assert mo_table(new_metrics, [TOTAL]) == [("ДОО", TOTAL, 0, 0.0, 2, 2),
                                              ("ОО", TOTAL, 0, 0.0, 0, 0)]


# ----------------------------------------------------------------------------- inputs
def test_earlier_weeks_reads_the_three_latest_folders(tmp_path):
    root = tmp_path / "processed"
    write_tables(root / "2024-01-15", {"persons": W2, "orgs": orgs(W2)})
    write_tables(root / "2024-01-08", {"persons": W3, "orgs": orgs(W3, missing={"3"})})
    # 2024-01-22 exists in raw but was never processed; 2024-01-01 is outside the window
    raw = ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29",
           "2024-02-05"]
    weeks, folders = earlier_weeks(raw, "2024-01-29", root)
    assert folders == 4
    assert weeks[0] is None
    assert [w.week for w in weeks[1:]] == ["2024-01-15", "2024-01-08"]
    assert weeks[2].usable_orgs == frozenset({"1", "2", "4", "5"})
    assert list(weeks[1].persons.columns) == ["org_id", "person_key", "messages_7d",
                                              "calls_7d"]
    assert load_earlier_week(root / "2024-01-22") is None
    out = org_indicators(ORGS_W0, W0, weeks, ANY, earlier_folders=folders)
    # W1 missing: Анна W0 W2 W3, Вера W2 W3, Галина W0 W2 W3, Жанна W0 W2 W3,
    # Иван W0 W2, Олег W0 W2 W3; flows empty (no usable previous week)
    assert org_table(out) == [
        ("1", 2, 50.0, None, None),
        ("2", 1, 50.0, None, None),
        ("3", 0, 0.0, None, None),
        ("4", 0, None, None, None),
        ("5", 1, 50.0, None, None),
    ]


def test_week_without_any_person():
    # no organisation exported this week: sustained 0, % empty, flows empty (not compared)
    nobody = W0.iloc[0:0]
    this = orgs(nobody, missing={"1", "2", "3", "4", "5"})
    out = org_indicators(this, nobody, earlier(), ANY, earlier_folders=3)
    assert org_table(out) == [(o, 0, None, None, None) for o in ["1", "2", "3", "4", "5"]]
