"""The XLSX workbook of the weekly report: the tables of :mod:`.tables` as sheets.

Which sheets, in which order and with which title rows is the document's choice
(:attr:`.document.Document.sheets`); this module strips the internal row-class column,
picks the one-decimal columns and hands the tables to :func:`..publish.write_xlsx`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .tables import ROW_CLASS, is_change_column, is_percent_column
from .texts import REGION_MEAN, REGION_TOTAL

#: Rows whose first cell is one of these are the totals (bold, out of the autofilter).
TOTAL_LABELS = (REGION_MEAN, REGION_TOTAL)


def for_xlsx(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as it goes to the workbook: without the internal row-class column."""
    return frame.drop(columns=[ROW_CLASS], errors="ignore")


def percent_columns(frames: Iterable[pd.DataFrame]) -> list[str]:
    """Columns shown with one decimal in the workbook (format ``0.0``): percentages and
    changes in percentage points."""
    names: list[str] = []
    for frame in frames:
        names += [str(c) for c in frame.columns
                  if (is_percent_column(c) or is_change_column(c)) and str(c) not in names]
    return names


def write_workbook(sheets: Mapping[str, pd.DataFrame], titles: Mapping[str, str],
                   out: str | Path) -> Path:
    """Write ``sheets`` (report tables, in order) with their title rows to ``out``."""
    from ..publish import write_xlsx

    tables = {name: for_xlsx(frame) for name, frame in sheets.items()}
    return write_xlsx(tables, Path(out), percent_columns=percent_columns(tables.values()),
                      title_rows=dict(titles), total_labels=TOTAL_LABELS)
