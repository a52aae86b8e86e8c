"""Small inline SVG line charts (sparklines) for the site's pages: no matplotlib, no files.

A chart is a few hundred bytes of markup drawn in microseconds, shown the same by a
browser and by WeasyPrint. It carries ``role="img"`` and a ``<title>`` naming what it
shows; the values themselves are always in a table beside it (the text alternative).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from ..formatting import is_missing

#: Line colours: consistent with the report's charts (sferum.css headings, region grey).
COLOR_MAIN = "#17375e"
COLOR_SECOND = "#1f5fa8"
COLOR_REGION = "#8a94a3"


@dataclass(frozen=True)
class Line:
    values: Sequence[object]  # one per week; missing values break the line
    color: str = COLOR_MAIN
    dashed: bool = False
    width: float = 2.0


def line_chart(lines: Sequence[Line], *, label: str, width: int = 320, height: int = 90,
               y_max: float | None = None) -> str:
    """An SVG of ``lines`` over the same x positions (weeks), y from 0 to ``y_max``
    (default: 100, or the largest value when above). ``label`` is the chart's title."""
    n = max((len(line.values) for line in lines), default=0)
    numbers = [float(v) for line in lines for v in line.values if not is_missing(v)]
    top = y_max if y_max is not None else max([100.0, *numbers])
    pad = 6.0

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v / top if top else 0)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
             f"<title>{html.escape(label)}</title>",
             f'<line x1="{pad}" y1="{y(0):.1f}" x2="{width - pad}" y2="{y(0):.1f}" '
             'stroke="#c9d1db" stroke-width="1"/>',
             f'<line x1="{pad}" y1="{y(100):.1f}" x2="{width - pad}" y2="{y(100):.1f}" '
             'stroke="#e1e6eb" stroke-width="1"/>']
    for line in lines:
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        points = []
        for i, v in enumerate(line.values):
            if is_missing(v):
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x(i):.1f},{y(float(v)):.1f}")
            points.append((x(i), y(float(v))))
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline fill="none" stroke="{line.color}" '
                             f'stroke-width="{line.width}"{dash} points="{" ".join(seg)}"/>')
        if points:  # the latest value as a dot
            px, py = points[-1]
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{line.color}"/>')
    parts.append("</svg>")
    return "".join(parts)
