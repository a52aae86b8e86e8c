"""Trends over the processed weeks: the data behind the line charts and the heat-map.

Three weeks are written as processed metrics (Parquet and metrics_meta.json) into a
temporary folder; the values per МО and week are known, one week was counted under
another activity rule (its % active must not be shown next to the others).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sferum_analysis import municipalities
from sferum_analysis import report as rp
from sferum_analysis.config import Paths
from sferum_analysis.metrics import ActiveRule, mo_metrics
from sferum_analysis.storage import make_private_dir, write_parquet
from sferum_analysis.store import WeekStore

NAMES = municipalities.canonical_names()
W1, W2, W3, LATER = "2024-01-15", "2024-01-22", "2024-01-29", "2024-02-05"


def metrics(orel: tuple[int, int, int], livny: tuple[int, int, int]) -> pd.DataFrame:
    """ДОО in г. Орёл and г. Ливны, one school in г. Орёл: (staff, registered, active)."""
    rows = [("1", "ДС Орёл", "г. Орёл", "ДОО", *orel, "reported"),
            ("2", "ДС Ливны", "г. Ливны", "ДОО", *livny, "reported"),
            ("3", "СОШ Орёл", "г. Орёл", "ОО", 10, 5, 1, "reported")]
    frame = pd.DataFrame(rows, columns=["org_id", "org_name", "mo", "org_type", "staff_total",
                                        "registered", "active", "status"])
    frame["mo_order"] = frame["mo"].map(municipalities.order_of())
    return mo_metrics(frame)


def write_week(root, week: str, frame: pd.DataFrame, rule: ActiveRule | None) -> None:
    folder = make_private_dir(root / week)
    write_parquet(frame, folder / "metrics.parquet")
    if rule is not None:
        (folder / "metrics_meta.json").write_text(json.dumps({"active_rule": rule.as_dict()}),
                                                  encoding="utf-8")


@pytest.fixture
def trend(tmp_path) -> pd.DataFrame:
    root = tmp_path / "data" / "processed"
    write_week(root, W1, metrics((10, 5, 5), (20, 10, 1)), ActiveRule("quota", 10, 1))
    write_week(root, W2, metrics((10, 6, 3), (20, 12, 3)), ActiveRule())
    write_week(root, LATER, metrics((10, 10, 10), (20, 20, 20)), ActiveRule())  # after W3
    (root / ".staging-2024-01-29-1").mkdir()  # a run's staging folder is not a week
    current = metrics((10, 8, 2), (20, 15, 6))
    weeks = WeekStore(Paths(tmp_path / "data", tmp_path / "reports"))
    return rp.trend_frame(weeks, W3, current, rule=ActiveRule())


def test_trend_frame_weeks_and_rules(trend):
    assert rp.trend_weeks(trend) == [W1, W2, W3]  # the later week is not in this report
    orel = trend[(trend["org_type"] == "ДОО") & (trend["mo"] == "г. Орёл")].set_index("week")
    assert orel["pct_registered"].tolist() == [50.0, 60.0, 80.0]
    # W1 was counted under the quota rule: its % active is not comparable, left empty
    assert pd.isna(orel.at[W1, "pct_active"]) and pd.isna(orel.at[W1, "active"])
    assert orel.loc[[W2, W3], "pct_active"].tolist() == [50.0, 25.0]
    region = trend[(trend["org_type"] == "ДОО") & (trend["mo"] == "total")].set_index("week")
    assert region["pct_registered"].tolist() == [50.0, 60.0, 76.7]  # pooled: 23 / 30


def test_heatmap_frame(trend):
    reg = rp.heatmap_frame(trend, "pct_registered")
    assert reg.index.tolist() == NAMES and reg.columns.tolist() == [W1, W2, W3]
    assert reg.loc["г. Орёл"].tolist() == [50.0, 60.0, 80.0]
    assert reg.loc["г. Ливны"].tolist() == [50.0, 60.0, 75.0]
    assert reg.loc["Урицкий район"].isna().all()  # no ДОО there
    act = rp.heatmap_frame(trend, "pct_active")
    assert pd.isna(act.at["г. Орёл", W1]) and act.at["г. Ливны", W3] == 40.0
    schools = rp.heatmap_frame(trend, "pct_active", org_type="ОО")
    assert schools.loc["г. Орёл"].tolist()[1:] == [20.0, 20.0]
    last_two = rp.heatmap_frame(trend, "pct_registered", max_weeks=2)
    assert last_two.columns.tolist() == [W2, W3]


def test_trend_table_for_the_workbook(trend):
    table = rp.trend_table(trend, "pct_registered")
    assert list(table.columns) == ["МО", "15.01.2024, %", "22.01.2024, %", "29.01.2024, %",
                                   rp.ROW_CLASS]
    assert len(table) == 28
    assert table.iloc[-1].tolist()[:4] == [rp.REGION_MEAN, 50.0, 60.0, 76.7]
    assert table.iloc[-1][rp.ROW_CLASS] == "total"
    html = rp.table_html(table)
    assert "<td>76,7</td>" in html


def test_trend_chart_lines_and_target(trend):
    fig = rp.trend_chart(trend, target=75.0)
    registered, active = fig.axes
    assert [line.get_label() for line in registered.get_lines()] == ["ДОО", "ОО"]
    doo = registered.get_lines()[0]
    assert list(doo.get_ydata()) == [50.0, 60.0, 76.7]
    # % active of W1 is missing: the ДОО line starts at W2 (x = 1)
    assert list(active.get_lines()[0].get_xdata()) == [1, 2]
    target = [ln for ln in active.get_lines() if ln.get_label().startswith("цель")]
    assert len(target) == 1 and list(target[0].get_ydata()) == [75.0, 75.0]
    labels = {t.get_text() for t in registered.texts}
    assert {"50,0", "60,0", "76,7"} <= labels  # decimal commas
    assert [t.get_text() for t in registered.get_xticklabels()] == ["15.01", "22.01", "29.01"]
    assert rp.figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_heatmap_chart_cells(trend):
    fig = rp.heatmap_chart(trend)
    registered, active, colorbar = fig.axes
    assert [t.get_text() for t in colorbar.get_xticklabels()] == [
        "0", "20", "40", "60", "80", "100"]  # the colour scale, in %
    assert len(registered.texts) == 28 * 3  # 27 МО and the region, three weeks
    texts = [t.get_text() for t in registered.texts]
    assert texts[:3] == ["50,0", "60,0", "80,0"]          # г. Орёл
    assert texts[-3:] == ["50,0", "60,0", "76,7"]          # the region
    assert texts[3 * NAMES.index("Урицкий район")] == "—"
    assert [t.get_text() for t in active.texts][:3] == ["—", "50,0", "25,0"]
    assert [t.get_text() for t in registered.get_yticklabels()] == [*NAMES, "Регион"]


def test_week_labels_name_the_year_where_it_changes():
    assert rp.charts._week_labels(["2024-01-15", "2024-01-22"]) == ["15.01", "22.01"]
    assert rp.charts._week_labels(["2023-12-25", "2024-01-01", "2024-01-08"]) == [
        "25.12\n2023", "01.01\n2024", "08.01"]
    assert rp.charts._week_labels(["2023-12-25", "2024-01-01"], years=False) == ["25.12", "01.01"]
