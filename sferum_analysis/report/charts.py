"""Charts of the weekly report (matplotlib): ranked bars, regional trend, heat-map.

Every chart is a ``Figure`` not attached to pyplot (no global state), drawn under a
fixed ``rc_context`` (DejaVu Sans, a fixed SVG hash salt) so that :func:`figure_png`
gives the same bytes on every run. Importing this module imports matplotlib (about half
a second): ``sferum_analysis.report`` imports it only when a chart is asked for.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MultipleLocator

from ..formatting import DASH, fmt_pct
from ..metrics import TOTAL
from .html import _marks
from .tables import (
    HEATMAP_WEEKS,
    ROW_CLASS,
    date_ru,
    heatmap_frame,
    region_names,
    trend_weeks,
)
from .texts import (
    CHART_REGION,
    CHART_TARGET,
    COL_MO,
    COL_PCT,
    COL_PCT_SUSTAINED,
    DOO,
    HEATMAP_REGION,
    HEATMAP_SCALE,
    LEGEND_ANOMALY,
    LEGEND_BELOW,
    LEGEND_BELOW_MARKER,
    LEGEND_INCOMPLETE,
    LEGEND_REGION,
    LEGEND_SIGNAL,
    LEGEND_SUSTAINED,
    LEGEND_TARGET,
    LEGEND_WEEKLY,
    MAP_LEGEND_FLAGGED,
    MAP_SCALE,
    OO,
    PANEL_ACTIVE,
    PANEL_REGISTERED,
)
from .tilemap import grid_size, map_panels, tile_label

#: Resolution of the chart PNGs (the template shows them at their physical size).
CHART_DPI = 200
CHART_WIDTH_IN = 7.0  # fits the A4 text width (180 mm) and the 1000 px screen column
#: White margin around a chart (inches). The constrained layout keeps every label inside
#: the figure, so the PNG is the whole figure, drawn once (``bbox_inches="tight"`` drew
#: it twice: ≈ 0.2 s a chart).
CHART_PAD_IN = 0.08
COLOR_BAR = "#17375e"
COLOR_WEEKLY = "#9fb7d4"
COLOR_INCOMPLETE = "#d9a520"
COLOR_ANOMALY = "#b42318"
COLOR_SIGNAL = "#1d232b"
COLOR_REGION = "#1d232b"
COLOR_TARGET = "#1e6b34"
COLOR_BELOW = "#b42318"


def _figure(height: float) -> Figure:
    """A chart's figure: :data:`CHART_WIDTH_IN` wide, constrained layout."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    return Figure(figsize=(CHART_WIDTH_IN, height), dpi=CHART_DPI,
                  layout=ConstrainedLayoutEngine(w_pad=CHART_PAD_IN, h_pad=CHART_PAD_IN))


def ranked_chart(table: pd.DataFrame, *, title: str, region_value: object,
                 target: float | None = None, xlabel: str = "%") -> Figure:
    """Horizontal bars of a :func:`ranked_table` (rank 1 on top), reference lines.

    The regional (pooled) value is a dashed line, the optional target a dotted green
    line, and the МО below the target have their name and value in bold red; МО with
    incomplete coverage are amber and hatched, anomalies red, МО with a signal to check
    (:data:`MARK_SIGNAL`) outlined. A matplotlib ``Figure``
    not attached to pyplot (no global state).
    """
    value_col = next(c for c in table.columns if str(c).startswith("%"))
    rows = table[table[ROW_CLASS].fillna("") != "total"].reset_index(drop=True)
    n = len(rows)
    labels, values, colors, hatches, outlined = [], [], [], [], []
    for _, rec in rows.iterrows():
        classes = str(rec[ROW_CLASS] or "").split()
        mark = _marks(" ".join(classes))
        labels.append(f"{rec[COL_MO]} {mark}".strip())
        value = rec[value_col]
        values.append(0.0 if pd.isna(value) else float(value))
        if "anomaly" in classes:
            colors.append(COLOR_ANOMALY)
        elif "incomplete" in classes:
            colors.append(COLOR_INCOMPLETE)
        else:
            colors.append(COLOR_BAR)
        hatches.append("////" if "incomplete" in classes else "")
        outlined.append("signal" in classes)

    rc = {"font.family": "DejaVu Sans", "font.size": 8.5, "svg.hashsalt": "sferum",
          "hatch.linewidth": 0.8, "hatch.color": "white"}
    with matplotlib.rc_context(rc):
        fig = _figure(max(3.0, 0.25 * n + 1.5))
        ax = fig.add_subplot()
        y = list(range(n))
        bars = ax.barh(y, values, color=colors, height=0.68, zorder=2)
        for bar, hatch, outline in zip(bars, hatches, outlined, strict=True):
            if hatch:
                bar.set_hatch(hatch)
            if outline:  # a signal to check: a dark outline (seen on any fill, also on 0)
                bar.set_edgecolor(COLOR_SIGNAL)
                bar.set_linewidth(1.3)
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)  # rank 1 on top, no empty margins
        top = max([100.0, *values, float(target or 0)])
        ax.set_xlim(0, top * 1.08)
        ax.xaxis.set_major_locator(MultipleLocator(20 if top <= 150 else 50))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#d5dbe2", linewidth=0.6, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        below = [bool(target) and not pd.isna(v) and float(v) < float(target)
                 for v in rows[value_col]]
        for i, (_, rec) in enumerate(rows.iterrows()):
            value = rec[value_col]
            ax.text((0 if pd.isna(value) else float(value)) + top * 0.008, i, fmt_pct(value),
                    va="center", ha="left", fontsize=7.5, zorder=5,
                    color=COLOR_BELOW if below[i] else "#1d232b",
                    fontweight="bold" if below[i] else "normal",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6,
                          "alpha": 0.85})
        for tick, is_below in zip(ax.get_yticklabels(), below, strict=True):
            if is_below:
                tick.set_color(COLOR_BELOW)
                tick.set_fontweight("bold")
        handles = []
        if not pd.isna(region_value):
            rv = float(region_value)
            ax.axvline(rv, color=COLOR_REGION, linestyle="--", linewidth=1.1, zorder=4)
            ax.text(rv, 1.005, CHART_REGION.format(value=fmt_pct(rv)),
                    transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7.5, color=COLOR_REGION)
            handles.append(Line2D([], [], color=COLOR_REGION, linestyle="--",
                                  label=LEGEND_REGION.format(value=fmt_pct(rv))))
        if target:
            near = not pd.isna(region_value) and abs(float(target) - float(region_value)) \
                < top * 0.12  # the two labels would overlap: lift the target's
            ax.axvline(float(target), color=COLOR_TARGET, linestyle=":", linewidth=1.6,
                       zorder=4)
            ax.text(float(target), 1.045 if near else 1.005,
                    CHART_TARGET.format(value=fmt_pct(round(float(target), 1))),
                    transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=7.5, color=COLOR_TARGET)
            handles.append(Line2D([], [], color=COLOR_TARGET, linestyle=":", linewidth=1.6,
                                  label=LEGEND_TARGET.format(
                                      value=fmt_pct(round(float(target), 1)))))
            if any(below):
                handles.append(Line2D([], [], color=COLOR_BELOW, marker=LEGEND_BELOW_MARKER,
                                      linestyle="",
                                      markersize=7,
                                      label=LEGEND_BELOW.format(below=sum(below))))
        if "////" in hatches:
            handles.append(Patch(facecolor=COLOR_INCOMPLETE, hatch="////", edgecolor="white",
                                 label=LEGEND_INCOMPLETE))
        if COLOR_ANOMALY in colors:
            handles.append(Patch(facecolor=COLOR_ANOMALY,
                                 label=LEGEND_ANOMALY))
        if any(outlined):
            handles.append(Patch(facecolor="white", edgecolor=COLOR_SIGNAL, linewidth=1.3,
                                 label=LEGEND_SIGNAL))
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False,
                       fontsize=8)
        fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                     color="#17375e")
    return fig


def sustained_chart(table: pd.DataFrame, *, title: str) -> Figure:
    """Paired horizontal bars per МО of a :func:`~.tables.sustained_table`: % active this
    week (light) and % sustained (dark, ≥ 3 of 4 weeks), canonical order, values written
    beside each bar. The gap between the two is activity that does not last."""
    import numpy as np

    rows = table[table[ROW_CLASS].fillna("") != "total"].reset_index(drop=True)
    n = len(rows)
    weekly = [0.0 if pd.isna(v) else float(v) for v in rows[COL_PCT]]
    steady = [0.0 if pd.isna(v) else float(v) for v in rows[COL_PCT_SUSTAINED]]
    rc = {"font.family": "DejaVu Sans", "font.size": 8.5, "svg.hashsalt": "sferum"}
    with matplotlib.rc_context(rc):
        # two bars per МО, and the whole chart on one A4 page (≤ 9 in) for up to ~30 МО
        fig = _figure(min(9.0, max(3.0, 0.29 * n + 1.3)))
        ax = fig.add_subplot()
        y = np.arange(n)
        ax.barh(y - 0.19, weekly, height=0.36, color=COLOR_WEEKLY, zorder=2,
                label=LEGEND_WEEKLY)
        ax.barh(y + 0.19, steady, height=0.36, color=COLOR_BAR, zorder=2,
                label=LEGEND_SUSTAINED)
        ax.set_yticks(y, [str(m) for m in rows[COL_MO]])
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, max([100.0, *weekly]) * 1.1)
        ax.xaxis.set_major_locator(MultipleLocator(20))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
        ax.set_xlabel("%")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#d5dbe2", linewidth=0.6, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for i in range(n):
            for offset, raw in ((-0.19, rows[COL_PCT][i]), (0.19, rows[COL_PCT_SUSTAINED][i])):
                value = 0.0 if pd.isna(raw) else float(raw)
                ax.text(value + 1.0, i + offset, fmt_pct(raw), va="center", ha="left",
                        fontsize=6.5, color="#1d232b")
        fig.legend(loc="outside lower center", ncol=2, frameon=False, fontsize=8)
        fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                     color="#17375e")
    return fig


def _percent_colorbar(fig: Figure, mappable, axes, label: str) -> None:
    """The 0–100 % colour scale under the panels of a heat map or a tile map."""
    bar = fig.colorbar(mappable, ax=list(axes), location="bottom", shrink=0.45, aspect=40,
                       pad=0.02, ticks=[0, 20, 40, 60, 80, 100])
    bar.set_label(label, fontsize=7)
    bar.ax.tick_params(labelsize=7, length=2)
    bar.outline.set_visible(False)


def _week_labels(weeks: list[str], years: bool = True) -> list[str]:
    """``DD.MM``; when the weeks span more than one year, the first week and the first
    week of every year get the year on a second line (unless not ``years``: the heat
    map's narrow columns, whose note gives the dates in full)."""
    labels = [date_ru(w)[:5] for w in weeks]
    if years and len({w[:4] for w in weeks}) > 1:
        return [f"{label}\n{w[:4]}" if i == 0 or w[:4] != weeks[i - 1][:4] else label
                for i, (label, w) in enumerate(zip(labels, weeks, strict=True))]
    return labels


def trend_chart(trend: pd.DataFrame, *, target: float | None = None,
                org_types: Iterable[str] = (DOO, OO), title: str = "") -> Figure:
    """Regional (pooled) % registered and % active by week: two panels, one line per type.

    The points are labelled (decimal comma) when there are at most
    :data:`HEATMAP_WEEKS` weeks, otherwise only the last one; the optional target is a
    dotted green line on the activity panel.
    """
    weeks = trend_weeks(trend)
    totals = trend[trend["mo"] == TOTAL]
    types = [t for t in org_types if t in set(totals["org_type"])]
    styles = {DOO: {"color": COLOR_BAR, "linestyle": "-", "marker": "o"},
              OO: {"color": "#2a9d8f", "linestyle": "--", "marker": "s"}}
    rc = {"font.family": "DejaVu Sans", "font.size": 8.5, "svg.hashsalt": "sferum"}
    with matplotlib.rc_context(rc):
        fig = _figure(3.3)
        axes = fig.subplots(1, 2, sharey=True)
        x = list(range(len(weeks)))
        label_all = len(weeks) <= HEATMAP_WEEKS
        top = 100.0
        for ax, value, panel in ((axes[0], "pct_registered", PANEL_REGISTERED),
                                 (axes[1], "pct_active", PANEL_ACTIVE)):
            for t in types:
                series = totals[totals["org_type"] == t].set_index("week")[value]
                ys = [series.get(w, pd.NA) for w in weeks]
                pts = [(i, float(v)) for i, v in zip(x, ys, strict=True) if not pd.isna(v)]
                if not pts:
                    continue
                style = styles.get(t, {"color": "#555555", "linestyle": ":", "marker": "^"})
                ax.plot([i for i, _ in pts], [v for _, v in pts], label=t, linewidth=1.6,
                        markersize=4, zorder=3, **style)
                top = max(top, *(v for _, v in pts))
                shown = pts if label_all else pts[-1:]
                for i, v in shown:
                    ax.annotate(fmt_pct(v), (i, v), textcoords="offset points",
                                xytext=(0, 5 if t == DOO else -11), ha="center", fontsize=6.5,
                                color=style["color"])
            if value == "pct_active" and target:
                ax.axhline(float(target), color=COLOR_TARGET, linestyle=":", linewidth=1.4,
                           zorder=2,
                           label=CHART_TARGET.format(value=fmt_pct(round(float(target), 1))))
            ax.set_title(panel, fontsize=9, color="#17375e")
            ax.set_xticks(x, _week_labels(weeks))
            if len(weeks) > 10:
                for k, tick in enumerate(ax.get_xticklabels()):
                    tick.set_visible(k % 2 == (len(weeks) - 1) % 2)
            ax.set_xlim(-0.5, len(weeks) - 0.5)
            ax.grid(axis="y", color="#d5dbe2", linewidth=0.6, zorder=0)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        axes[0].set_ylim(0, top * 1.08)
        axes[0].set_ylabel("%")
        handles, labels = axes[1].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside lower center", ncol=len(handles),
                       frameon=False, fontsize=8)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                         color="#17375e")
    return fig


def heatmap_chart(trend: pd.DataFrame, org_type: str = DOO, *,
                  max_weeks: int = HEATMAP_WEEKS, title: str = "") -> Figure:
    """Every МО of the region × the last ``max_weeks`` weeks, % registered and % active
    side by side.

    Every cell is annotated (decimal comma); the last row is the region (pooled); a
    missing value is a grey cell with ``—``. Colours run from white (0 %) to dark blue
    (100 % and above).
    """
    import numpy as np
    from matplotlib import colormaps

    weeks = trend_weeks(trend)[-max_weeks:]
    names = [*region_names(trend[trend["week"] == weeks[-1]]), HEATMAP_REGION]
    totals = trend[(trend["org_type"] == org_type) & (trend["mo"] == TOTAL)].set_index("week")
    cmap = colormaps["Blues"].with_extremes(bad="#eceff2")
    rc = {"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "sferum"}
    with matplotlib.rc_context(rc):
        fig = _figure(0.235 * len(names) + 1.3)
        axes = fig.subplots(1, 2, sharey=True)
        for ax, value, panel in ((axes[0], "pct_registered", PANEL_REGISTERED),
                                 (axes[1], "pct_active", PANEL_ACTIVE)):
            table = heatmap_frame(trend, value, org_type, max_weeks)
            region = [totals[value].get(w, pd.NA) if value in totals else pd.NA for w in weeks]
            grid = [[table.at[mo, w] for w in weeks] for mo in table.index] + [region]
            data = np.array([[np.nan if pd.isna(v) else float(v) for v in row] for row in grid])
            image = ax.imshow(np.ma.masked_invalid(np.clip(data, 0, 100)), cmap=cmap, vmin=0,
                              vmax=100, aspect="auto", interpolation="nearest")
            for r, row in enumerate(data):
                for c, v in enumerate(row):
                    dark = not np.isnan(v) and v >= 60
                    ax.text(c, r, DASH if np.isnan(v) else fmt_pct(v), ha="center",
                            va="center", fontsize=6.8,
                            color="white" if dark else "#1d232b",
                            fontweight="bold" if r == len(names) - 1 else "normal")
            ax.axhline(len(names) - 1.5, color="#1d232b", linewidth=1.2)
            ax.set_xticks(range(len(weeks)), _week_labels(weeks, years=False), fontsize=7)
            ax.xaxis.tick_top()
            ax.tick_params(length=0)
            ax.set_title(panel, fontsize=9, color="#17375e")
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[0].set_yticks(range(len(names)), names, fontsize=7.5)
        axes[0].get_yticklabels()[-1].set_fontweight("bold")
        _percent_colorbar(fig, image, axes, HEATMAP_SCALE)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                         color="#17375e")
    return fig


COLOR_MISSING = "#eceff2"
#: Share of a grid cell a tile fills (the rest is the white gap between tiles).
TILE_SIZE = 0.92


def tile_map_chart(active: pd.DataFrame, registered: pd.DataFrame,
                   tiles: Mapping[str, tuple[int, int]] | None, *,
                   title: str = "") -> Figure | None:
    """The schematic tile map: % active (left) and % registered (right) of every МО.

    ``active`` and ``registered`` are :func:`~.tables.ranked_table` frames, ``tiles``
    the region's tile positions (official name -> (col, row), row 0 on top). Each МО is
    a square at its position coloured from white (0 %) to dark blue (100 % and above),
    with its short name and value (decimal comma); a missing value is a grey tile with
    ``—``. A flagged МО (incomplete coverage, anomaly, signal) has a thick dark frame
    and its marks ``*``, ``†``, ``‡`` after the value: never colour alone. None when
    ``tiles`` is empty or None (the region has no map). The data are
    :func:`~.tilemap.map_panels`; the text alternative :func:`~.tilemap.tile_map_alt`.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    panels = map_panels(active, registered, tiles)
    if panels is None:
        return None
    first = next(iter(panels.values()))
    cols, rows = grid_size(first)
    cmap = colormaps["Blues"]
    norm = Normalize(vmin=0, vmax=100)
    rc = {"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "sferum"}
    with matplotlib.rc_context(rc):
        panel_width = CHART_WIDTH_IN / 2
        fig = _figure(panel_width * rows / cols + 1.5)
        axes = fig.subplots(1, 2)
        flagged = False
        for ax, (panel, tiles_) in zip(axes, panels.items(), strict=True):
            gap = (1 - TILE_SIZE) / 2
            for tile in tiles_:
                value = tile.value
                face = COLOR_MISSING if value is None else cmap(norm(min(max(value, 0), 100)))
                ax.add_patch(Rectangle(
                    (tile.col + gap, tile.row + gap), TILE_SIZE, TILE_SIZE, facecolor=face,
                    edgecolor=COLOR_SIGNAL if tile.flagged else "white",
                    linewidth=2.2 if tile.flagged else 0.5, zorder=2 if tile.flagged else 1))
                flagged = flagged or tile.flagged
                dark = value is not None and value >= 60
                color = "white" if dark else "#1d232b"
                ax.text(tile.col + 0.5, tile.row + 0.36, tile_label(tile), ha="center",
                        va="center", fontsize=5.0, color=color, zorder=3)
                ax.text(tile.col + 0.5, tile.row + 0.66,
                        f"{tile.text}{tile.marks}", ha="center", va="center", fontsize=6.6,
                        fontweight="bold", color=color, zorder=3)
            ax.set_xlim(0, cols)
            ax.set_ylim(rows, 0)  # row 0 on top
            ax.set_aspect("equal")
            ax.set_axis_off()
            ax.set_title(panel, fontsize=9, color="#17375e")
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        mappable.set_array(np.array([0, 100]))
        _percent_colorbar(fig, mappable, axes, MAP_SCALE)
        if flagged:
            fig.legend(handles=[Patch(facecolor="white", edgecolor=COLOR_SIGNAL, linewidth=2.2,
                                      label=MAP_LEGEND_FLAGGED)],
                       loc="outside lower center", frameon=False, fontsize=7.5)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold",
                         color="#17375e")
    return fig


def figure_png(fig: Figure, dpi: int = CHART_DPI) -> bytes:
    """PNG bytes of ``fig`` (a figure of :func:`_figure`: the whole figure; pHYs records
    the dpi; no timestamp: reproducible)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def close_figure(fig: Figure) -> None:
    """Free a drawn figure now: its artists and its canvas (the pixels, ≈ 10 MB at
    :data:`CHART_DPI`) would otherwise wait for the garbage collector to find the
    figure's reference cycles."""
    from matplotlib.backend_bases import FigureCanvasBase

    fig.clear()
    FigureCanvasBase(fig)


