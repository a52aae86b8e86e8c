"""The tile map of the МО: its data (pure), the chart, and its place in the document."""

from __future__ import annotations

import pandas as pd
import pytest
from test_document import EARLIER, PREVIOUS, WEEK, _data, _trend

from sferum_analysis import report as rp
from sferum_analysis.municipalities import Municipalities
from sferum_analysis.report import texts
from sferum_analysis.report.tilemap import (
    Tile,
    grid_size,
    map_panels,
    short_name,
    tile_label,
    tile_map_alt,
    tile_map_data,
)
from sferum_analysis.run_config import RunConfig

TILES = {"г. Орёл": (1, 0), "Болховский район": (0, 1), "Орловский муниципальный округ": (2, 1)}


def _ranked(values: dict[str, float | None], classes: dict[str, str] | None = None,
            column: str = "% Активности") -> pd.DataFrame:
    classes = classes or {}
    rows = [{rp.COL_MO: mo, column: v, rp.ROW_CLASS: classes.get(mo, "")}
            for mo, v in values.items()]
    rows.append({rp.COL_MO: rp.REGION_TOTAL, column: 50.0, rp.ROW_CLASS: "total"})
    return pd.DataFrame(rows)


def test_tile_map_data_one_tile_per_positioned_mo():
    table = _ranked({"г. Орёл": 90.24, "Болховский район": None, "Ливны": 10.0},
                    {"г. Орёл": "incomplete signal", "Болховский район": "anomaly"})
    tiles = tile_map_data(table, TILES)
    assert tiles == [
        Tile("г. Орёл", "Орёл", 1, 0, 90.24, "*‡"),
        Tile("Болховский район", "Болховский", 0, 1, None, "†"),
        # a МО with a position but without a row: missing
        Tile("Орловский муниципальный округ", "Орловский", 2, 1, None, ""),
    ]  # МО without a position (Ливны) and the region's total are not on the map
    assert [t.text for t in tiles] == ["90,2", "—", "—"]
    assert [t.flagged for t in tiles] == [True, True, False]
    assert grid_size(tiles) == (3, 2)


@pytest.mark.parametrize("tiles", [None, {}])
def test_no_positions_no_map(tiles):
    table = _ranked({"г. Орёл": 90.0})
    assert tile_map_data(table, tiles) is None
    assert map_panels(table, table, tiles) is None
    from sferum_analysis.report.charts import tile_map_chart

    assert tile_map_chart(table, table, tiles) is None


def test_short_names_and_labels():
    assert short_name("г. Орёл") == "Орёл"
    assert short_name("Болховский район") == "Болховский"
    assert short_name("Орловский муниципальный округ") == "Орловский"
    assert short_name("Город") == "Город"
    long = Tile("Новодеревеньковский район", "Новодеревеньковский", 0, 0, 1.0)
    assert tile_label(long) == "Новодере." and len(tile_label(long)) <= 9


def test_alt_text_lists_every_value_with_decimal_comma_and_marks():
    active = _ranked({"г. Орёл": 27.04, "Болховский район": None}, {"г. Орёл": "signal"})
    registered = _ranked({"г. Орёл": 98.0, "Болховский район": 100.0},
                         {"г. Орёл": "signal"}, column="% Зарегистрированных")
    alt = tile_map_alt(map_panels(active, registered, TILES))
    assert alt.startswith("Карта МО, значения % активности / % зарегистрированных: ")
    assert "г. Орёл ‡ — 27,0 % / 98,0 %" in alt
    assert "Болховский район — — / 100,0 %" in alt
    assert "Орловский муниципальный округ — — / —" in alt


def test_builtin_region_has_a_tile_for_every_mo():
    region = Municipalities.builtin()
    tiles = region.tiles()
    assert set(tiles) == set(region.names) and len(set(tiles.values())) == len(tiles)


def test_chart_is_deterministic_png():
    from sferum_analysis.report.charts import CHART_DPI, figure_png, tile_map_chart

    tiles = Municipalities.builtin().tiles()
    values = {mo: (None if i == 3 else float(i * 3.7)) for i, mo in enumerate(tiles)}
    table = _ranked(values, {next(iter(tiles)): "incomplete"})
    first = figure_png(tile_map_chart(table, table, tiles, title=texts.MAP_TITLE))
    second = figure_png(tile_map_chart(table, table, tiles, title=texts.MAP_TITLE))
    assert first == second and first.startswith(b"\x89PNG")
    fig = tile_map_chart(table, table, tiles)
    assert fig.get_figwidth() == rp.CHART_WIDTH_IN and fig.dpi == CHART_DPI
    shown = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "—" in shown and "0,0*" in shown  # missing grey "—"; the mark beside the value


def test_document_has_the_map_right_after_the_charts_only_with_tiles():
    tiles = Municipalities.builtin().tiles()
    with_map = rp.build_document(*_inputs(), tiles=tiles)
    keys = list(with_map.sections)
    assert keys[keys.index("chart_active") + 1] == "map"
    html_part, chart = with_map.parts("map")
    assert f"<h2>{texts.MAP_TITLE}</h2>" in html_part.data()
    assert chart.kind == "png" and chart.alt.startswith("Карта МО, значения ")
    assert chart.data().startswith(b"\x89PNG")
    # the other charts keep a text alternative too
    assert all(p.alt for key in ("chart_registered", "chart_active")
               for p in with_map.parts(key) if p.kind == "png")
    assert "map" not in rp.build_document(*_inputs()).sections
    assert "map" not in rp.build_document(*_inputs(), tiles={}).sections
    # the seed tables keep their order (contract 4)
    assert list(with_map.sheets) == list(rp.build_document(*_inputs()).sheets)


def _inputs():
    """Data, trend and configuration as test_document builds them (three weeks)."""
    data = _data(previous=True)
    return data, _trend(data.metrics, [EARLIER, PREVIOUS, WEEK]), RunConfig()
