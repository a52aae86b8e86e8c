"""The exploration helpers answer the common questions with hand-counted figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sferum_analysis import explore
from sferum_analysis.cleaning import clean_week
from sferum_analysis.metrics import ActiveRule, org_activity
from sferum_analysis.registry import read_registry
from sferum_analysis.store import ProcessedWeek

HEADER = "Дата;ФИО;Тип пол;Связь с;Кол-во сообщений за 7 дней;Кол-во звонков за 7 дней\n"


def make_week(tmp_path) -> ProcessedWeek:
    raw = tmp_path / "raw"
    (raw / "registry").mkdir(parents=True)
    (raw / "registry" / "organizations.csv").write_text(
        "ID;Наименование;МО;Тип;Численность педагогов\n"
        "1;ДС Лучик;Ливны;ДОО;4\n2;ДС Сказка;г.Ливны;ДОО;2\n3;ДС Ёлочка;Урицкий;ДОО;5\n",
        encoding="utf-8")
    week = raw / "2024-01-29"
    week.mkdir()
    rows = {  # org: [(messages, calls), ...]
        "1": [(12, 1), (3, 0), (0, 0)],
        "2": [(20, 2), (10, 1)],
        "3": [(0, 0), (0, 0), (1, 0), (0, 0)],
    }
    for org, people in rows.items():
        body = "".join(f"29.01.2024;Человек {org}-{i};teacher;0;{m};{c}\n"
                       for i, (m, c) in enumerate(people))
        (week / f"{org}.csv").write_text(HEADER + body, encoding="utf-8")
    registry = read_registry(raw / "registry" / "organizations.csv")
    clean = clean_week(week, registry, dt.date(2024, 1, 29))
    return ProcessedWeek("2024-01-29", persons=clean.persons, orgs=clean.orgs,
                         files=clean.files, findings=clean.findings,
                         org_metrics=org_activity(clean.orgs, clean.persons, ActiveRule()))


def test_organisations_of_one_municipality_in_any_spelling(tmp_path):
    week = make_week(tmp_path)
    livny = explore.organisations(week, mo="город Ливны")
    assert list(livny["org_id"]) == ["1", "2"]
    assert list(livny["registered"]) == [3, 2]
    assert list(livny["active"]) == [2, 2]
    assert list(livny["pct_registered"]) == [75.0, 100.0]
    assert list(livny["pct_active"]) == [66.7, 100.0]


def test_least_active_organisations(tmp_path):
    week = make_week(tmp_path)
    least = explore.least_active(week, n=2)
    assert list(least["org_id"]) == ["3", "1"]  # 25,0 % then 66,7 %
    assert list(least["pct_active"]) == [25.0, 66.7]


def test_rule_comparison_side_by_side(tmp_path):
    week = make_week(tmp_path)
    table = explore.rule_comparison(
        week, {"any": ActiveRule("any"), "quota": ActiveRule("quota", 10, 1)}).set_index("mo")
    assert table.loc["г. Ливны", "any: активные"] == 4
    assert table.loc["г. Ливны", "quota: активные"] == 3  # (12,1) (20,2) (10,1)
    assert table.loc["Урицкий район", "quota: % активности"] == 0.0
    assert table.loc["total", "any: % активности"] == 55.6  # 5 of 9
    assert pd.isna(table.loc["г. Орёл", "any: % активности"])
