"""Reading spreadsheets and CSV files as the analysts receive them.

Everything here returns cells as they are (text, numbers, dates) with the row numbers a
user sees in Excel or a text editor; interpreting the cells is the job of ``cleaning`` and
``registry``. Readers never write anything.

CSV row numbers are line numbers as in a text editor: a line ends only at ``\r\n``, ``\r``
or ``\n``; other Unicode separators (``U+2028``, vertical tab, form feed...) that may sit
inside a pasted name stay inside the cell. A quoted cell spanning several lines (Excel's
"Save as CSV" of a cell with Alt+Enter) is one record, numbered by its first line. When the
quoting of a file is broken (an unclosed quote would swallow the rest of the file), the file
is read one record per line instead, so a bad quote damages one row, never the others.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")

#: How far below the top of a sheet the header row may stand (title lines above it).
HEADER_SEARCH_ROWS = 30


class ReadError(Exception):
    """A file that cannot be read as a table. The message is in Russian, for the user."""


@dataclass(frozen=True)
class Table:
    """Data rows under a recognised header.

    ``frame`` has one column per recognised field (the field names of the mapping given
    to :func:`read_table`) plus ``row``: the 1-based row (line) number in the file.
    Rows whose cells are all empty are dropped; they are not data.
    """

    frame: pd.DataFrame
    header_row: int
    columns: dict[str, str]  # field -> header text as found in the file


def normalize_header(value: object) -> str:
    """Case-, ё- and whitespace-insensitive form of a header cell."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).replace("\u00a0", " ").replace("\ufeff", "")
    return " ".join(text.casefold().replace("ё", "е").split())


HeaderMatcher = Callable[[str], bool]


def prefix_matcher(*prefixes: str) -> HeaderMatcher:
    keys = tuple(normalize_header(p) for p in prefixes)
    return lambda cell: bool(cell) and cell.startswith(keys)


def exact_matcher(*names: str) -> HeaderMatcher:
    keys = frozenset(normalize_header(n) for n in names)
    return lambda cell: cell in keys


def regex_matcher(pattern: str) -> HeaderMatcher:
    rx = re.compile(pattern)
    return lambda cell: bool(cell) and rx.match(cell) is not None


# ---------------------------------------------------------------------------------------
# Raw grids: list of rows of cells, as in the file
# ---------------------------------------------------------------------------------------

def _decode_csv(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """``;`` or ``,`` (or tab): the one that splits the widest of the first lines."""
    best, best_count = ";", -1
    for delim in (";", ",", "\t"):
        count = max((len(next(csv.reader([ln], delimiter=delim), [])) for ln in lines), default=0)
        if count > best_count:
            best, best_count = delim, count
    return best


_LINE_END = re.compile(r"\r\n|\r|\n")


def _csv_grid(path: Path) -> list[list[object]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError("файл не является текстом CSV (двоичные данные)")
    try:
        text = _decode_csv(data)
    except UnicodeDecodeError as exc:  # cp1251 decodes almost anything; utf-16 may not
        raise ReadError(f"не удалось определить кодировку CSV ({exc.reason})") from None
    lines = _LINE_END.split(text)
    try:
        return _csv_records(text, lines)
    except csv.Error as exc:  # e.g. a web page saved as .csv: a "cell" over the size limit
        raise ReadError(f"файл не удалось разобрать как CSV ({exc})") from None


def _csv_records(text: str, lines: list[str]) -> list[list[object]]:
    sample = [ln for ln in lines[:HEADER_SEARCH_ROWS] if ln.strip()]
    delimiter = _sniff_delimiter(sample)
    # One grid row per physical line keeps line numbers exact for the user: a record that
    # spans several lines sits on its first line, followed by empty rows.
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        grid: list[list[object]] = []
        for record in reader:
            grid.append(list(record))
            grid.extend([] for _ in range(reader.line_num - len(grid)))
        return grid
    except csv.Error:  # broken quoting: one record per line
        return [next(csv.reader([ln], delimiter=delimiter), []) for ln in lines]


def _excel_grids(path: Path) -> list[list[list[object]]]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine", dtype=object)
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise ReadError(_excel_error_message(path, exc)) from None
    if not sheets:
        raise ReadError("в книге нет ни одного листа")
    return [frame.astype(object).where(frame.notna(), None).values.tolist()
            for frame in sheets.values()]


def _excel_error_message(path: Path, exc: Exception) -> str:  # noqa: ARG001
    head = path.read_bytes()[:8] if path.is_file() else b""
    if path.stat().st_size == 0:
        return "пустой файл"
    if path.suffix.lower() in (".xlsx", ".xlsm") and head.startswith(b"\xd0\xcf\x11\xe0"):
        return "файл .xlsx в старом формате или защищён паролем"
    if path.suffix.lower() in (".xlsx", ".xlsm") and not head.startswith(b"PK"):
        return "файл не является книгой Excel (повреждён или другого формата)"
    return "не удалось прочитать книгу Excel: файл повреждён или другого формата"


def read_grids(path: Path) -> list[list[list[object]]]:
    """Every sheet of the file (one for CSV) as a list of rows of cells."""
    if not path.is_file():
        raise ReadError("файл не найден")
    if path.stat().st_size == 0:
        raise ReadError("пустой файл")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_csv_grid(path)]
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _excel_grids(path)
    raise ReadError(f"неподдерживаемый тип файла «{path.suffix}»")


# ---------------------------------------------------------------------------------------
# Header detection and column selection
# ---------------------------------------------------------------------------------------

def find_header(
    grid: Sequence[Sequence[object]],
    fields: Mapping[str, HeaderMatcher],
    required: Sequence[str],
) -> tuple[int, dict[str, int]] | None:
    """Index of the first row (within HEADER_SEARCH_ROWS) holding every required field."""
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        cells = [normalize_header(c) for c in row]
        found: dict[str, int] = {}
        for field, match in fields.items():
            for c, cell in enumerate(cells):
                if c not in found.values() and match(cell):
                    found[field] = c
                    break
        if all(f in found for f in required):
            return r, found
    return None


def read_table(
    path: Path,
    fields: Mapping[str, HeaderMatcher],
    required: Sequence[str],
    field_titles: Mapping[str, str] | None = None,
) -> Table:
    """Read a file, find its header row and return the recognised columns.

    Raises :class:`ReadError` (Russian message) when the file is damaged or no row in the
    first lines of any sheet holds every required column.
    """
    for sheet in read_grids(path):
        hit = find_header(sheet, fields, required)
        if hit is None:
            continue
        header_idx, positions = hit
        header = sheet[header_idx]
        rows = sheet[header_idx + 1:]
        data = {
            field: [row[pos] if pos < len(row) else None for row in rows]
            for field, pos in positions.items()
        }
        frame = pd.DataFrame(data, dtype=object)
        for field in fields:
            if field not in frame.columns:
                frame[field] = None
        frame["row"] = pd.Series(range(header_idx + 2, header_idx + 2 + len(rows)), dtype="int64")
        nonempty = [any(not _is_blank(c) for c in row) for row in rows]
        frame = frame.loc[pd.Series(nonempty, dtype=bool).to_numpy()].reset_index(drop=True)
        return Table(
            frame=frame[[*fields, "row"]],
            header_row=header_idx + 1,
            columns={f: str(header[p]) for f, p in positions.items()},
        )
    titles = field_titles or {}
    wanted = ", ".join(f"«{titles.get(f, f)}»" for f in required)
    raise ReadError(f"не найдена строка заголовка с колонками {wanted}")


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and cell != cell:
        return True
    return isinstance(cell, str) and not cell.strip()


__all__ = [
    "TABLE_SUFFIXES",
    "ReadError",
    "Table",
    "exact_matcher",
    "find_header",
    "normalize_header",
    "prefix_matcher",
    "read_grids",
    "read_table",
    "regex_matcher",
]
