"""The schematic tile map of the МО: pure data (no matplotlib), drawn by :mod:`.charts`.

Every МО that has a tile position (``col,row`` of the region's municipalities file,
:meth:`~sferum_analysis.municipalities.Municipalities.tiles`) is one square tile,
coloured by its value. :func:`tile_map_data` builds the tiles of one or more ranked
tables (:func:`~.tables.ranked_table`), :func:`tile_map_alt` the text alternative that
lists every value. Without positions there is no map: both return None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..formatting import DASH, fmt_pct
from .tables import ROW_CLASS
from .texts import (
    COL_MO,
    MAP_ALT,
    MAP_ALT_ITEM,
    MARK_ANOMALY,
    MARK_INCOMPLETE,
    MARK_SIGNAL,
    PANEL_ACTIVE,
    PANEL_REGISTERED,
)

#: The longest name written on a tile (longer ones are cut: «Новодере.»).
TILE_NAME_MAX = 9

#: Row classes that mark a МО (the footnotes' ``*``, ``†``, ``‡``), in that order.
FLAG_MARKS = (("incomplete", MARK_INCOMPLETE), ("anomaly", MARK_ANOMALY),
              ("signal", MARK_SIGNAL))

# Words dropped from an official name on a tile ("г. Орёл" -> "Орёл",
# "Болховский район" -> "Болховский", "Орловский муниципальный округ" -> "Орловский").
_SHORT_DROP = re.compile(r"^(?:г\.|город)\s*|\s+(?:муниципальный\s+)?(?:район|округ)$")


@dataclass(frozen=True)
class Tile:
    """One МО on the map: position, short name, value (None: missing) and its marks."""

    mo: str
    short: str
    col: int
    row: int
    value: float | None
    #: ``*``, ``†``, ``‡`` of the МО's row (empty: not flagged)
    marks: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.marks)

    @property
    def text(self) -> str:
        """The value as shown on the tile: ``90,2`` (decimal comma) or ``—``."""
        return DASH if self.value is None else fmt_pct(self.value)


def short_name(name: str) -> str:
    """The name on a tile: without ``г.``, ``район``, ``муниципальный округ``."""
    short = _SHORT_DROP.sub("", str(name).strip()).strip()
    return short or str(name)


def _value_column(table: pd.DataFrame) -> str:
    return next(str(c) for c in table.columns if str(c).startswith("%"))


def tile_map_data(table: pd.DataFrame, tiles: Mapping[str, tuple[int, int]] | None,
                  value_column: str | None = None) -> list[Tile] | None:
    """The tiles of a ranked table: one per МО of ``tiles`` (name -> (col, row)).

    The value is the table's ``value_column`` (by default its first ``%…`` column) in the
    МО's row; a МО without a row or with a missing value gets ``value=None``. The row's
    classes give the marks (incomplete ``*``, anomaly ``†``, signal ``‡``). Rows of МО
    without a position (the region's total) are left out. Tiles come in the order of
    ``tiles``. None when ``tiles`` is empty or None: the region has no map.
    """
    if not tiles:
        return None
    column = value_column or _value_column(table)
    rows = {str(rec[COL_MO]): rec for _, rec in table.iterrows()}
    out = []
    for mo, (col, row) in tiles.items():
        rec = rows.get(mo)
        value = None if rec is None or pd.isna(rec[column]) else float(rec[column])
        classes = str(rec[ROW_CLASS] or "").split() if rec is not None and ROW_CLASS in rec \
            else []
        marks = "".join(mark for css, mark in FLAG_MARKS if css in classes)
        out.append(Tile(mo=mo, short=short_name(mo), col=int(col), row=int(row), value=value,
                        marks=marks))
    return out


def tile_label(tile: Tile) -> str:
    """The name as it fits on a tile: at most :data:`TILE_NAME_MAX` characters."""
    name = tile.short
    return name if len(name) <= TILE_NAME_MAX else name[:TILE_NAME_MAX - 1] + "."


def map_panels(active: pd.DataFrame, registered: pd.DataFrame,
               tiles: Mapping[str, tuple[int, int]] | None) -> dict[str, list[Tile]] | None:
    """The map's two panels, % active then % registered (titles -> tiles), or None
    without tile positions."""
    first = tile_map_data(active, tiles)
    if first is None:
        return None
    return {PANEL_ACTIVE: first, PANEL_REGISTERED: tile_map_data(registered, tiles)}


def grid_size(tiles: list[Tile]) -> tuple[int, int]:
    """(columns, rows) of the smallest grid holding every tile."""
    return max(t.col for t in tiles) + 1, max(t.row for t in tiles) + 1


def tile_map_alt(panels: Mapping[str, list[Tile]]) -> str:
    """The map as text: every МО (in the tiles' order) with its value in each panel.

    ``panels`` maps a panel title (``% активности``) to its tiles (the same МО in each).
    """
    titles = list(panels)
    first = panels[titles[0]]
    items = []
    for i, tile in enumerate(first):
        values = " / ".join(panels[t][i].text + ("" if panels[t][i].value is None else " %")
                            for t in titles)
        items.append(MAP_ALT_ITEM.format(mo=tile.mo, values=values, marks=(
            f" {tile.marks}" if tile.marks else "")))
    return MAP_ALT.format(panels=" / ".join(titles), items="; ".join(items))
