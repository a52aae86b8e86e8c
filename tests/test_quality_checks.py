"""Week-over-week metrics and the data-quality checks, on small hand-made weeks.

Every case is constructed with a known answer: which municipality moved by how many
points, which organisation has identical counts or a jump to the quota, which file is
stale. The checks must flag exactly those and nothing else.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest

from sferum_analysis import municipalities
from sferum_analysis import quality_checks as qc
from sferum_analysis.findings import CODES
from sferum_analysis.metrics import ActiveRule, mo_metrics, pct_change, same_rule, with_previous

ORG_COLUMNS = ["org_id", "org_name", "mo", "org_type", "staff_total", "registered", "active",
               "status"]


def orgs(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ORG_COLUMNS)
    frame["mo_order"] = frame["mo"].map(municipalities.order_of())
    return frame


# org_id, name, МО, type, staff, registered, active, status
PREV = [
    ("11", "ДС Орёл", "г. Орёл", "ДОО", 40, 20, 10, "reported"),        # 50,0 / 50,0
    ("21", "ДС Ливны", "г. Ливны", "ДОО", 20, 20, 10, "reported"),      # 100,0 / 50,0
    ("31", "ДС Болхов", "Болховский район", "ДОО", 4, 2, 0, "reported"),  # tiny МО
    ("41", "СОШ Урицк", "Урицкий район", "ОО", 30, 20, 10, "reported"),
]
NOW = [
    ("11", "ДС Орёл", "г. Орёл", "ДОО", 40, 30, 15, "reported"),        # reg +25,0, act 0,0
    ("21", "ДС Ливны", "г. Ливны", "ДОО", 20, 20, 13, "reported"),      # act +15,0 exactly
    ("31", "ДС Болхов", "Болховский район", "ДОО", 4, 4, 4, "reported"),  # +50 / +100: tiny
    ("41", "СОШ Урицк", "Урицкий район", "ОО", 30, 20, 14, "reported"),  # act +20,0
]


@pytest.fixture
def weeks() -> tuple[pd.DataFrame, pd.DataFrame]:
    previous = mo_metrics(orgs(PREV))
    return with_previous(mo_metrics(orgs(NOW)), previous), previous


def _row(metrics: pd.DataFrame, org_type: str, mo: str) -> pd.Series:
    return metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == mo)].iloc[0]


# ------------------------------------------------------------------ metrics.with_previous
def test_pct_change_is_exact_and_rounds_half_away_from_zero():
    # 10,04 % -> 10,16 %: shown as 10,0 and 10,2, the change is +0,1 (0,12 rounded)
    assert pct_change(1016, 10000, 1004, 10000) == 0.1
    assert pct_change(1004, 10000, 1016, 10000) == -0.1
    assert pct_change(1, 2000, 0, 1) == 0.1      # +0,05 -> +0,1
    assert pct_change(0, 1, 1, 2000) == -0.1     # -0,05 -> -0,1 (symmetric)
    assert pct_change(18, 21, 12, 19) == 22.6    # 85,714… − 63,157… = 22,556…
    assert pct_change(1, 3, 1, 3) == 0.0
    assert pct_change(1, 0, 1, 2) is None and pct_change(1, 2, 0, 0) is None


def test_with_previous_columns(weeks):
    metrics, previous = weeks
    orel = _row(metrics, "ДОО", "г. Орёл")
    assert (orel["pct_registered_prev"], orel["pct_registered"], orel["change_registered_pp"]) \
        == (50.0, 75.0, 25.0)
    assert (orel["pct_active_prev"], orel["pct_active"], orel["change_active_pp"]) \
        == (50.0, 50.0, 0.0)
    # ranks of the previous week are the previous week's ranks
    for _, rec in metrics[metrics["mo"] != "total"].iterrows():
        prev = _row(previous, rec["org_type"], rec["mo"])
        assert rec["rank_registered_prev"] is pd.NA or \
            rec["rank_registered_prev"] == prev["rank_registered"]
        if pd.isna(prev["pct_registered"]):
            assert pd.isna(rec["pct_registered_prev"])
    total = _row(metrics, "ДОО", "total")
    assert total["pct_active_prev"] == 47.6  # pooled: 20 / 42
    # a МО without organisations of the type: everything empty
    empty = _row(metrics, "ДОО", "Урицкий район")
    assert pd.isna(empty["pct_registered_prev"]) and pd.isna(empty["change_registered_pp"])


def test_with_previous_without_previous_week_or_with_another_rule(weeks):
    current = mo_metrics(orgs(NOW))
    alone = with_previous(current, None)
    assert alone["pct_registered_prev"].isna().all() and alone["change_active_pp"].isna().all()
    other_rule = with_previous(current, mo_metrics(orgs(PREV)), compare_active=False)
    assert other_rule["pct_active_prev"].isna().all()
    assert other_rule["change_active_pp"].isna().all()
    assert other_rule["pct_registered_prev"].notna().any()


def test_same_rule_and_rule_round_trip():
    assert same_rule(ActiveRule(), ActiveRule("any", 3, 3))
    assert not same_rule(ActiveRule("quota", 10, 1), ActiveRule("quota", 5, 1))
    assert not same_rule(None, ActiveRule())
    rule = ActiveRule("quota", 12, 2)
    assert ActiveRule.from_dict(rule.as_dict()) == rule
    assert ActiveRule.from_dict({"kind": "quota"}) is None
    assert ActiveRule.from_dict(None) is None


# ------------------------------------------------------------------ sharp_change
def _flagged(findings) -> set[tuple[str, str, str]]:
    out = set()
    for f in findings:
        org_type, rest = f.message.split(", ", 1)
        mo, what = rest.split(": ", 1)
        out.add((org_type, mo, "registered" if what.startswith("% зарег") else "active"))
    return out


def test_sharp_change_exactly_where_constructed(weeks):
    metrics, previous = weeks
    found = qc.sharp_change_findings(metrics, previous, 15.0)
    # Ливны moved by exactly 15,0 (not more); Болхов moved by 50/100 but has < 10 people
    assert _flagged(found) == {("ДОО", "г. Орёл", "registered"), ("ОО", "Урицкий район", "active")}
    assert all(f.code == "sharp_change" and f.level == "warning" for f in found)
    orel = next(f for f in found if "г. Орёл" in f.message)
    assert "+25,0\u00a0п.\u00a0п." in orel.message and "50,0 → 75,0" in orel.message
    assert "20 из 40 → 30 из 40" in orel.message


def test_sharp_change_threshold_base_and_rule(weeks):
    metrics, previous = weeks
    assert _flagged(qc.sharp_change_findings(metrics, previous, 14.9)) == {
        ("ДОО", "г. Орёл", "registered"), ("ДОО", "г. Ливны", "active"),
        ("ОО", "Урицкий район", "active")}
    assert ("ДОО", "Болховский район", "active") in _flagged(
        qc.sharp_change_findings(metrics, previous, 15.0, min_base=2))
    assert _flagged(qc.sharp_change_findings(metrics, previous, 15.0, compare_active=False)) \
        == {("ДОО", "г. Орёл", "registered")}
    assert qc.sharp_change_findings(metrics, None, 15.0) == []
    assert qc.sharp_change_findings(metrics, previous, 30.0) == []


def test_sharp_change_mentions_a_change_of_coverage():
    prev = orgs([("11", "ДС 1", "г. Мценск", "ДОО", 10, 8, 4, "reported"),
                 ("12", "ДС 2", "г. Мценск", "ДОО", 10, 9, 4, "reported")])
    now = orgs([("11", "ДС 1", "г. Мценск", "ДОО", 10, 8, 4, "reported"),
                ("12", "ДС 2", "г. Мценск", "ДОО", 10, 0, 0, "missing_export")])
    previous = mo_metrics(prev)
    found = qc.sharp_change_findings(with_previous(mo_metrics(now), previous), previous)
    # % registered 85,0 -> 40,0 (−45,0) is flagged; % active 47,1 -> 50,0 (+2,9) is not
    assert len(found) == 1
    assert found[0].message.startswith("ДОО, г. Мценск: % зарегистрированных за неделю "
                                       "изменился на −45,0\u00a0п.\u00a0п.")
    assert "выгрузки от 1 из 2 организаций (неделей ранее — от 2 из 2)" in found[0].message


# ------------------------------------------------------------------ identical_counts
def persons(rows) -> pd.DataFrame:
    """rows: (org_id, person_key, messages, calls, file, row)."""
    return pd.DataFrame(rows, columns=["org_id", "person_key", "messages_7d", "calls_7d", "file",
                                       "row"]).astype({"messages_7d": "int64", "calls_7d": "int64"})


REGISTRY = orgs([
    ("1", "ДС Один", "г. Орёл", "ДОО", 12, 0, 0, "reported"),
    ("2", "ДС Два", "г. Ливны", "ДОО", 12, 0, 0, "reported"),
    ("3", "ДС Три", "г. Мценск", "ДОО", 12, 0, 0, "reported"),
    ("4", "ДС Четыре", "Урицкий район", "ДОО", 12, 0, 0, "reported"),
    ("5", "ДС Пять", "Болховский район", "ДОО", 12, 0, 0, "reported"),
])


def test_identical_counts_exactly_where_constructed():
    rows = []
    # org 1: 8 of 10 staff with exactly 7 messages (80 %) -> flagged
    rows += [("1", f"a{i}", 7, i % 2, "1.csv", 10 + i) for i in range(8)]
    rows += [("1", "a8", 3, 0, "1.csv", 18), ("1", "a9", 0, 0, "1.csv", 19)]
    # org 2: 7 of 10 (70 %) -> not flagged
    rows += [("2", f"b{i}", 7, 0, "2.csv", 2 + i) for i in range(7)]
    rows += [("2", f"b{i}", i - 5, 0, "2.csv", 2 + i) for i in range(7, 10)]  # 2, 3, 4
    # org 3: 4 of 4 identical, but fewer than 5 registered -> not flagged
    rows += [("3", f"c{i}", 5, 0, "3.csv", 2 + i) for i in range(4)]
    # org 4: 10 of 10 with zero messages (inactive, not padded) -> not flagged
    rows += [("4", f"d{i}", 0, 1, "4.csv", 2 + i) for i in range(10)]
    # org 5: 5 of 5 identical, in two files: the example is the first file and row
    rows += [("5", f"e{i}", 10, 1, "5b.csv" if i < 2 else "5a.csv", 40 - i) for i in range(5)]
    found = qc.identical_counts_findings(persons(rows), REGISTRY)
    assert [(f.org_id, f.file, f.row) for f in found] == [("1", "1.csv", 10), ("5", "5a.csv", 36)]
    assert "у 8 из 10 зарегистрированных одинаковое число сообщений за 7 дней — 7" in \
        found[0].message
    assert "«ДС Один» (г. Орёл, ДОО)" in found[0].message
    assert all(f.code == "identical_counts" for f in found)


# ------------------------------------------------------------------ quota_jump
def test_quota_jump_exactly_where_constructed():
    prev, now = [], []
    # org 1: 4 of 5 staff went from ≤ 1 to exactly 10 messages and 1 call -> flagged
    for i in range(5):
        prev.append(("1", f"a{i}", 1 if i % 2 else 0, 0, "1.csv", 2 + i))
        now.append(("1", f"a{i}", 10 if i < 4 else 3, 1 if i < 4 else 0, "1.csv", 2 + i))
    # org 2: 3 of 10 jumped (30 %) -> not flagged
    for i in range(10):
        prev.append(("2", f"b{i}", 0, 0, "2.csv", 2 + i))
        now.append(("2", f"b{i}", 10 if i < 3 else 4, 1 if i < 3 else 0, "2.csv", 2 + i))
    # org 3: jumped to 11 messages, not exactly the quota -> not flagged
    for i in range(5):
        prev.append(("3", f"c{i}", 0, 0, "3.csv", 2 + i))
        now.append(("3", f"c{i}", 11, 1, "3.csv", 2 + i))
    # org 4: exactly the quota, but last week they were already active (5 messages)
    for i in range(5):
        prev.append(("4", f"d{i}", 5, 0, "4.csv", 2 + i))
        now.append(("4", f"d{i}", 10, 1, "4.csv", 2 + i))
    # org 5: new staff (not in last week's export) at the quota do not count
    for i in range(5):
        now.append(("5", f"e{i}", 10, 1, "5.csv", 2 + i))
    prev.append(("5", "someone", 0, 0, "5.csv", 2))
    found = qc.quota_jump_findings(persons(now), persons(prev), REGISTRY, 10, 1)
    assert [(f.code, f.org_id, f.file, f.row) for f in found] == [("quota_jump", "1", "1.csv", 2)]
    assert "у 4 из 5 сотрудников" in found[0].message
    assert "10 сообщений и 1 звонок" in found[0].message
    # another quota: org 3 is the one now
    assert [f.org_id for f in qc.quota_jump_findings(persons(now), persons(prev), REGISTRY,
                                                      11, 1)] == ["3"]
    assert qc.quota_jump_findings(persons(now), None, REGISTRY, 10, 1) == []


def test_new_codes_are_registered():
    for code in ("sharp_change", "identical_counts", "quota_jump", "register_exceeded"):
        assert code in CODES and str(CODES[code][0]) == "warning"


# ------------------------------------------------------------------ stale exports
def test_cleaning_records_export_dates_and_stale(tmp_path, write):
    """Cleaning records each file's first and last date; the stale check reads them
    (the metrics step never reopens data/raw)."""
    from sferum_analysis.cleaning import clean_week

    week = tmp_path / "2024-01-29"
    write.csv(week / "7.csv", [["22.01.2024", "Иванова Анна", "teacher", 0, 1, 0],
                               ["23.01.2024", "Иванова Анна", "teacher", 0, 1, 0]])
    write.csv(week / "8.csv", [["30.01.2024", "Петрова Мария", "teacher", 0, 1, 0]])
    write.csv(week / "10.csv", [["28.01.2024", "Орлов Олег", "teacher", 0, 1, 0],
                                ["29.01.2024", "Орлов Олег", "teacher", 0, 1, 0]])
    (week / "9.csv").write_bytes(b"\x00\x01 not a table")
    registry = pd.DataFrame({
        "org_id": pd.Series(["7", "8", "9", "10"], dtype="string"),
        "org_name": ["ДС 7", "ДС 8", "ДС 9", "ДС 10"], "mo": ["г. Орёл"] * 4,
        "mo_order": [1] * 4, "org_type": ["ДОО"] * 4, "staff_total": [5] * 4})
    day = dt.date(2024, 1, 29)
    files = clean_week(week, registry, day).files.set_index("org_id")
    assert files["first_date"].fillna("").to_dict() == {
        "10": "2024-01-28", "7": "2024-01-22", "8": "2024-01-30", "9": ""}
    assert files["last_date"].fillna("").to_dict() == {
        "10": "2024-01-29", "7": "2024-01-23", "8": "2024-01-30", "9": ""}
    last = qc.org_last_dates(files.reset_index())
    assert last == {"7": "2024-01-23", "8": "2024-01-30"}  # files without the date only
    assert qc.is_stale(last["7"], day) and not qc.is_stale(last["8"], day)
    assert not qc.is_stale(None, day) and "9" not in last


def test_stale_export_under_a_cp1251_file_name_is_named_with_its_last_date(tmp_path, write):
    """A stale export whose file name was decoded from cp1251 (or had control characters
    replaced) is still named with its last date: nothing reopens it by its display name."""
    from sferum_analysis.cleaning import clean_week

    week = tmp_path / "2024-01-29"
    write.csv(week / "7.csv", [["22.01.2024", "Иванова Анна", "teacher", 0, 1, 0]])
    raw_name = "7 Детский сад\x1b.csv".encode("cp1251")
    os.rename(week / "7.csv", os.fsencode(week) + b"/" + raw_name)
    registry = pd.DataFrame({
        "org_id": pd.Series(["7"], dtype="string"), "org_name": ["ДС 7"], "mo": ["г. Орёл"],
        "mo_order": [1], "org_type": ["ДОО"], "staff_total": [5]})
    files = clean_week(week, registry, dt.date(2024, 1, 29)).files
    assert files["file"].iloc[0] != raw_name.decode("latin-1")  # shown under another name
    assert qc.org_last_dates(files) == {"7": "2024-01-22"}


def test_identical_counts_with_no_eligible_organisation():
    """Too few staff, or no non-zero counts at all: no finding and no error."""
    persons = pd.DataFrame({
        "org_id": pd.Series(["1", "1", "2"], dtype="string"),
        "messages_7d": [0, 0, 7], "file": ["1.csv", "1.csv", "2.csv"], "row": [2, 3, 2],
    })
    orgs = pd.DataFrame({"org_id": pd.Series(["1", "2"], dtype="string"),
                         "org_name": ["ДС 1", "ДС 2"], "mo": ["г. Орёл", "г. Орёл"],
                         "org_type": ["ДОО", "ДОО"]})
    assert qc.identical_counts_findings(persons, orgs) == []
    assert qc.identical_counts_findings(persons, orgs, min_registered=2) == []
    assert qc.identical_counts_findings(persons.iloc[0:0], orgs) == []


def test_findings_list_numbers_in_names_by_their_value():
    """quality.csv and «Список замечаний»: «№ 6» before «№ 18» before «№ 102», file «6.csv»
    before «18.csv» (a black-box check saw text order); errors first, empty files first."""
    import pandas as pd

    from sferum_analysis.findings import sort_findings

    frame = pd.DataFrame({
        "level": ["warning", "warning", "warning", "error", "warning"],
        "code": ["missing_export"] * 5,
        "file": [None, None, "18.csv", "102.csv", "6.csv"],
        "row": pd.array([None, None, 3, None, 2], dtype="Int64"),
        "message": ["нет файла: «СОШ № 18»", "нет файла: «СОШ № 6»", "x", "y", "z"],
    }).astype({c: "string" for c in ("level", "code", "file", "message")})
    ordered = sort_findings(frame)
    assert list(ordered["message"]) == ["y", "нет файла: «СОШ № 6»", "нет файла: «СОШ № 18»",
                                        "z", "x"]
