"""Metrics: exact half-up percentages, pooled totals, ranking, anomalies, activity rules."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from sferum_analysis import formatting, municipalities
from sferum_analysis.metrics import (
    TOTAL,
    ActiveRule,
    anomaly_findings,
    mo_metrics,
    org_activity,
    pct,
    ranked,
    total_row,
)
from sferum_analysis.schemas import METRICS, validate

NAMES = municipalities.canonical_names()


# ----------------------------------------------------------------------------- pct
@pytest.mark.parametrize(("n", "d", "expected"), [
    (1, 8, 12.5),        # exact
    (11, 80, 13.8),      # 13.75 -> up
    (1, 3, 33.3),
    (2, 3, 66.7),
    (1, 16, 6.3),        # 6.25: round() would give 6.2 (half to even)
    (23, 80, 28.8),      # 28.75: n/d*100 is 28.749999999999996 in binary
    (41, 80, 51.3),      # 51.25: 51.24999999999999
    (29, 400, 7.3),      # 7.25: 7.249999999999999
    (3, 2000, 0.2),      # 0.15: the float 0.15 is 0.1499999999999999944...
    (141, 2000, 7.1),    # 7.05: both float forms are below the exact value
    (1254, 3725, 33.7),  # the seed's regional % active
    (0, 5, 0.0),
    (5, 5, 100.0),
    (11, 10, 110.0),     # more registered than on the register
    (1, 2000, 0.1),      # 0.05 -> up
    (1, 2001, 0.0),      # 0.0499... -> down
    (1999, 2000, 100.0),  # 99.95 -> up
])
def test_pct_half_up_on_the_exact_ratio(n, d, expected):
    assert pct(n, d) == expected


def test_float_rounding_would_be_wrong_for_these():
    """The cases above are real traps: Python's float rounding disagrees with half-up."""
    cases = [(1, 16, 6.3), (23, 80, 28.8), (41, 80, 51.3), (29, 400, 7.3), (3, 2000, 0.2),
             (141, 2000, 7.1)]
    for n, d, exact_half_up in cases:
        assert Fraction(n * 1000, d).denominator == 2          # exactly x.x5
        assert round(n / d * 100, 1) != exact_half_up
        assert pct(n, d) == exact_half_up
    # the binary value is *below* the exact x.x5, so even float half-up goes down
    assert Fraction(23 / 80 * 100) < Fraction(23 * 100, 80)
    assert Fraction(3 * 100 / 2000) < Fraction(3 * 100, 2000)
    for n, d in [(3, 2000), (141, 2000)]:
        assert round(n * 100 / d, 1) != pct(n, d)


def test_pct_matches_exact_half_up_everywhere_small():
    for d in range(1, 250):
        for n in range(0, 2 * d + 1):
            q = Fraction(n * 1000, d)
            tenths = int(q) + (1 if q - int(q) >= Fraction(1, 2) else 0)
            assert pct(n, d) == tenths / 10, (n, d)


@pytest.mark.parametrize("n", [0, 3])
def test_pct_zero_denominator_is_none(n):
    assert pct(n, 0) is None
    assert formatting.fmt_pct(pct(n, 0)) == "—"


def test_fmt_pct_uses_decimal_comma():
    assert formatting.fmt_pct(pct(3725 * 902, 3725 * 1000)) == "90,2"
    assert formatting.fmt_pct(100.0) == "100,0"
    assert formatting.fmt_pct(None) == "—"


# ----------------------------------------------------------------------------- mo_metrics
def orgs_frame(rows):
    """rows: (org_type, mo, staff_total, registered, active, status)"""
    frame = pd.DataFrame(rows, columns=["org_type", "mo", "staff_total", "registered",
                                        "active", "status"])
    return frame.assign(org_id=[str(i) for i in range(1, len(frame) + 1)],
                        org_name=[f"Орг {i}" for i in range(1, len(frame) + 1)])


def row(metrics, org_type, mo):
    m = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == mo)]
    assert len(m) == 1
    return m.iloc[0]


def test_one_row_per_type_and_mo_plus_pooled_total():
    orgs = orgs_frame([
        ("ДОО", "Болховский район", 2, 1, 1, "reported"),       # 50 %
        ("ДОО", "г. Ливны", 100, 99, 10, "reported"),           # 99 %
        ("ДОО", "г. Ливны", 0, 0, 0, "missing_export"),
        ("ОО", "г. Орёл", 10, 5, 5, "reported"),
    ])
    m = validate(mo_metrics(orgs), METRICS)
    assert m["org_type"].tolist() == ["ДОО"] * 28 + ["ОО"] * 28
    assert m["mo"].tolist() == [*NAMES, TOTAL, *NAMES, TOTAL]

    total = total_row(m, "ДОО")
    # pooled: 100 / 102 = 98.04 %, 11 / 100 = 11 % (mean of percentages would be 74.5)
    assert (total["staff_total"], total["registered"], total["active"]) == (102, 100, 11)
    assert total["pct_registered"] == 98.0
    assert total["pct_active"] == 11.0
    assert (total["orgs_expected"], total["orgs_reported"]) == (3, 2)
    assert not total["coverage_complete"]

    livny = row(m, "ДОО", "г. Ливны")
    assert (livny["staff_total"], livny["registered"], livny["active"]) == (100, 99, 10)
    assert (livny["pct_registered"], livny["pct_active"]) == (99.0, 10.1)
    assert (livny["orgs_expected"], livny["orgs_reported"]) == (2, 1)
    assert not livny["coverage_complete"]
    assert row(m, "ДОО", "Болховский район")["coverage_complete"]

    empty = row(m, "ДОО", "Шаблыкинский район")  # no organisation of this type
    assert (empty["staff_total"], empty["registered"], empty["active"]) == (0, 0, 0)
    assert pd.isna(empty["pct_registered"]) and pd.isna(empty["pct_active"])
    assert pd.isna(empty["rank_registered"]) and pd.isna(empty["rank_active"])

    oo = total_row(m, "ОО")
    assert (oo["pct_registered"], oo["pct_active"]) == (50.0, 100.0)


def test_pooled_total_rounds_the_pooled_ratio_not_the_rounded_parts():
    # 1/16 (6.25 -> 6.3) and 1/16 again: pooled 2/32 = 6.25 -> 6.3; and 1/3 + 1/3 = 2/6
    orgs = orgs_frame([
        ("ДОО", "г. Орёл", 16, 1, 0, "reported"),
        ("ДОО", "г. Ливны", 3, 1, 0, "reported"),
    ])
    total = total_row(mo_metrics(orgs), "ДОО")
    assert (total["staff_total"], total["registered"]) == (19, 2)
    assert total["pct_registered"] == 10.5  # 2/19 = 10.526...
    assert total["pct_active"] == 0.0


def test_ranking_exact_ratio_descending_ties_in_canonical_order():
    orgs = orgs_frame([
        # equal exact ratios 1/2 = 2/4: canonical order decides (Ливны before Болховский)
        ("ДОО", "Болховский район", 4, 2, 0, "reported"),
        ("ДОО", "г. Ливны", 2, 1, 0, "reported"),
        # both print 66.7 but 667/1000 > 2/3: Урицкий ranks above Верховский
        ("ДОО", "Верховский район", 3, 2, 0, "reported"),
        ("ДОО", "Урицкий район", 1000, 667, 0, "reported"),
        # 100 % and above
        ("ДОО", "Шаблыкинский район", 5, 6, 0, "reported"),
        ("ДОО", "г. Мценск", 7, 7, 0, "reported"),
        # zero registered of zero staff: no ratio, no rank
        ("ДОО", "г. Орёл", 0, 0, 0, "reported"),
    ])
    m = mo_metrics(orgs)
    r = ranked(m, "ДОО", "registered")
    top = r[["mo", "pct_registered", "rank_registered"]].head(6).values.tolist()
    assert top == [
        ["Шаблыкинский район", 120.0, 1],
        ["г. Мценск", 100.0, 2],
        ["Урицкий район", 66.7, 3],
        ["Верховский район", 66.7, 4],
        ["г. Ливны", 50.0, 5],
        ["Болховский район", 50.0, 6],
    ]
    # MO without a ratio come last, in canonical order, without a rank
    rest = r.iloc[6:]
    assert rest["rank_registered"].isna().all()
    assert rest["mo"].tolist() == [n for n in NAMES if n not in set(r["mo"].head(6))]
    assert rest["mo"].iloc[0] == "г. Орёл"


def test_rank_active_uses_active_over_registered():
    orgs = orgs_frame([
        ("ОО", "г. Орёл", 100, 3, 1, "reported"),     # 1/3
        ("ОО", "г. Ливны", 100, 6, 2, "reported"),    # 2/6: tie, Орёл first
        ("ОО", "г. Мценск", 1, 5, 4, "reported"),     # 4/5
        ("ОО", "Урицкий район", 10, 0, 0, "reported"),  # no ratio
    ])
    m = mo_metrics(orgs)
    r = ranked(m, "ОО", "active")
    assert r["mo"].head(4).tolist() == ["г. Мценск", "г. Орёл", "г. Ливны", "Болховский район"]
    assert r["rank_active"].head(3).tolist() == [1, 2, 3]
    assert r["pct_active"].head(3).tolist() == [80.0, 33.3, 33.3]
    uritsky = row(m, "ОО", "Урицкий район")
    assert pd.isna(uritsky["rank_active"]) and pd.isna(uritsky["pct_active"])
    assert uritsky["pct_registered"] == 0.0 and uritsky["rank_registered"] == 4


def test_register_exceeded_flagged_and_listed():
    orgs = orgs_frame([
        ("ОО", "г. Мценск", 7, 9, 3, "reported"),
        ("ОО", "г. Мценск", 10, 1, 0, "reported"),
        ("ОО", "Урицкий район", 2, 3, 1, "reported"),
        ("ОО", "г. Орёл", 5, 5, 5, "reported"),
    ])
    m = mo_metrics(orgs)
    assert row(m, "ОО", "Урицкий район")["register_exceeded"]
    assert row(m, "ОО", "Урицкий район")["pct_registered"] == 150.0
    assert not row(m, "ОО", "г. Мценск")["register_exceeded"]  # 10 of 17 in the МО
    assert not row(m, "ОО", "г. Орёл")["register_exceeded"]    # exactly 100 %
    found = anomaly_findings(orgs)
    assert [f.org_id for f in found] == ["1", "3"]  # per organisation, also hidden in an МО
    assert all(f.code == "register_exceeded" and f.level == "warning" for f in found)
    assert "9" in found[0].message and "7" in found[0].message


# ----------------------------------------------------------------------------- activity
PERSONS = pd.DataFrame({
    "org_id": ["1", "1", "1", "1", "1", "2", "2"],
    "messages_7d": [0, 1, 0, 10, 10, 9, 25],
    "calls_7d": [0, 0, 1, 0, 1, 5, 3],
})


def test_rule_any():
    rule = ActiveRule()
    assert rule.kind == "any"
    assert rule.mask(PERSONS).tolist() == [False, True, True, True, True, True, True]


def test_rule_quota():
    rule = ActiveRule("quota", 10, 1)
    assert rule.mask(PERSONS).tolist() == [False, False, False, False, True, False, True]
    assert ActiveRule("quota", 0, 0).mask(PERSONS).all()


def test_org_activity_counts_per_org():
    orgs = pd.DataFrame({"org_id": ["1", "2", "3"]})
    assert org_activity(orgs, PERSONS, ActiveRule())["active"].tolist() == [4, 2, 0]
    assert org_activity(orgs, PERSONS, ActiveRule("quota", 10, 1))["active"].tolist() == [
        1, 1, 0]


@pytest.mark.parametrize(("kind", "m", "c"), [("some", 1, 1), ("quota", -1, 1),
                                              ("quota", 1, -1)])
def test_rule_rejects_bad_parameters(kind, m, c):
    with pytest.raises(ValueError):
        ActiveRule(kind, m, c)


def test_describe_is_russian():
    assert "хотя бы одно" in ActiveRule().describe()
    assert "10" in ActiveRule("quota", 10, 1).describe()
