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
import datetime as dt
import html
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
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
    """``;`` or ``,`` (or tab): the one that splits most of the first lines into the same
    number (> 1) of cells, then the widest. One odd line (a cell "Иванова, Петрова, ..."
    in a ``;`` file) does not decide how the whole file is split."""
    best, best_key = ";", (-1, -1)
    for delim in (";", ",", "\t"):
        widths = Counter(len(next(csv.reader([ln], delimiter=delim), [])) for ln in lines)
        key = max(((n, w) for w, n in widths.items() if w > 1), default=(0, 0))
        if key > best_key:
            best, best_key = delim, key
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
        reason = ("в одной ячейке больше 131 072 символов" if "field larger" in str(exc)
                  else str(exc))
        raise ReadError(f"файл не удалось разобрать как CSV ({reason})") from None


def _csv_records(text: str, lines: list[str]) -> list[list[object]]:
    sample = [ln for ln in lines[:HEADER_SEARCH_ROWS] if ln.strip()]
    delimiter = _sniff_delimiter(sample)
    # One grid row per physical line keeps line numbers exact for the user: a record that
    # spans several lines sits on its first line, followed by empty rows.
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        grid: list[list[object]] = []
        for record in reader:
            grid.append(record)
            gap = reader.line_num - len(grid)
            if gap:
                grid.extend([] for _ in range(gap))
        return grid
    except csv.Error:  # broken quoting: one record per line
        return [next(csv.reader([ln], delimiter=delimiter), []) for ln in lines]


# Cells are read with python-calamine directly and converted exactly as
# ``pd.read_excel(path, sheet_name=None, header=None, engine="calamine", dtype=object)``
# followed by ``.where(frame.notna(), None)`` did (about 5 times faster: no DataFrame and no
# text parser per sheet): integral floats become ints, dates datetimes, pandas' default NA
# strings ("", "NA", "N/A", "null", ...) and NaN become None, and a BOM at the start of the
# first cell of a sheet is removed (with the quotes that follow it, as pandas' parser does).
try:
    from pandas._libs.parsers import STR_NA_VALUES as _PANDAS_NA_STRINGS
except ImportError:  # pragma: no cover - the set pandas has used since 1.x
    _PANDAS_NA_STRINGS = {
        "-1.#IND", "1.#QNAN", "1.#IND", "-1.#QNAN", "#N/A N/A", "#N/A", "N/A", "n/a", "NA",
        "<NA>", "#NA", "NULL", "null", "NaN", "-NaN", "nan", "-nan", "None", ""}
_NA_STRINGS = frozenset(_PANDAS_NA_STRINGS)


def _excel_cell(value: object) -> object:
    cls = value.__class__
    if cls is str:
        return None if value in _NA_STRINGS else value
    if cls is float:
        if value != value:
            return None
        return int(value) if value.is_integer() else value
    if cls is dt.date:  # a date without time: a datetime, as openpyxl gives
        return dt.datetime(value.year, value.month, value.day)
    return value


def _excel_column(cells: list[object]) -> list[object]:
    """``[_excel_cell(c) for c in cells]``, inlined: a column has thousands of cells."""
    out: list[object] = []
    append = out.append
    na, date, datetime = _NA_STRINGS, dt.date, dt.datetime
    for value in cells:
        cls = value.__class__
        if cls is str:
            append(None if value in na else value)
        elif cls is float:
            append(None if value != value else int(value) if value.is_integer() else value)
        elif cls is date:
            append(datetime(value.year, value.month, value.day))
        else:
            append(value)
    return out


def _strip_bom(first_row: list[object]) -> None:
    """pandas' text parser removes a BOM (and the quotes right after it) from the first cell."""
    cell = first_row[0] if first_row else None
    if not isinstance(cell, str) or not cell.startswith("\ufeff"):
        return
    if len(cell) > 1 and cell[1] == '"':
        end = cell[2:].index('"') + 2  # ValueError (no closing quote) fails the file, as before
        cell = cell[2:end] + (cell[end + 1:] if len(cell) > end + 1 else "")
    else:
        cell = cell[1:]
    first_row[0] = None if cell in _NA_STRINGS else cell


#: A sheet whose cells from A1 to its last filled cell exceed this is refused: calamine
#: allocates that whole rectangle, so one stray value in cell XFD1048576 of an otherwise small
#: export would take terabytes and abort the process (no exception to catch).
MAX_SHEET_CELLS = 5_000_000
#: An .xlsx worksheet larger than this once decompressed is refused (a ZIP bomb; calamine
#: needs about three times as much memory). A real export's sheet is a few megabytes.
MAX_SHEET_XML_BYTES = 200 << 20
#: Any other part (shared strings, styles…) larger than this once decompressed is refused:
#: calamine holds the shared strings in memory (720 MB of them took 1.2 GB). A real export's
#: shared strings are a few megabytes.
MAX_PART_XML_BYTES = 100 << 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A cell reference beyond column Z or row 99999: only then is the exact extent computed.
_FAR_REF = re.compile(rb'r="(?:[A-Z]{2}|[A-Z][0-9]{6})')  # literal prefix: a fast search
# Cell references: only cells have r="<letters><digits>" (rows have r="<digits>").
_REF_COLUMN = re.compile(rb'r="([A-Z]{1,3})[0-9]')
_REF_ROW = re.compile(rb'r="[A-Z]{1,3}([0-9]{1,7})"')
_CELL = re.compile(rb"<c\s([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF_ATTR = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>[^<]|<is>", re.S)


class UncomputedFormula(str):
    """A formula cell saved without its value (written by a program, never calculated in
    Excel): the text is the formula, e.g. ``=1+1``. As a number or a date it is invalid."""


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _too_big(sheet: str, rows: int, cols: int) -> ReadError:
    return ReadError(
        f"лист «{sheet}» слишком велик: заполнена ячейка {_column_letters(cols)}{rows} "
        f"(таблица {rows} × {cols} ячеек); удалите лишние ячейки (в Excel Ctrl+End "
        "показывает последнюю заполненную) и сохраните файл")


def _check_ole(path: Path) -> None:
    """An old-format (.xls) or encrypted workbook: check the container before calamine.

    calamine follows sector chains without loop checks: a damaged container can make it
    run forever. xlrd's reader of the same container refuses such chains. The cell records
    of the workbook stream give each sheet's extent (calamine allocates it whole).
    """
    from xlrd import compdoc

    try:
        doc = compdoc.CompDoc(path.read_bytes(), logfile=io.StringIO())
        names = {d.name for d in doc.dirlist}
        if names & {"EncryptionInfo", "EncryptedPackage"}:
            raise ReadError("файл защищён паролем: откройте его в Excel, снимите пароль "
                            "и сохраните заново")
        stream = next((n for n in ("Workbook", "Book") if n in names), None)
        if stream is None:
            raise ReadError("файл не является книгой Excel (документ Office другого типа)")
        mem, base, size = doc.locate_named_stream(stream)
        extent = _biff_extent(mem, base, size)
    except ReadError:
        raise
    except Exception:
        raise ReadError("файл Excel (.xls) повреждён: неверная структура файла") from None
    if extent is not None:
        raise _too_big(extent[0], extent[1], extent[2])


# BIFF records of cells with a value (row, column first); blanks are not read by calamine.
_BIFF_CELLS = frozenset({0x0006, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x0406,
                         0x0003, 0x0004, 0x0002, 0x0005, 0x007E})
_BIFF_MULRK, _BIFF_BOF, _BIFF_BOUNDSHEET = 0x00BD, 0x0809, 0x0085


def _biff_extent(mem: bytes, base: int, size: int) -> tuple[str, int, int] | None:
    """The first sheet of an .xls workbook stream whose filled area is over the limit:
    ``(sheet, rows, columns)``; None when every sheet is within it."""
    import struct

    unpack = struct.unpack_from
    names: list[str] = []
    extents: list[tuple[int, int]] = []  # per substream after the workbook globals
    max_row = max_col = -1
    pos, end = base, base + size
    while pos + 4 <= end:
        rtype, rlen = unpack("<HH", mem, pos)
        data = pos + 4
        pos = data + rlen
        if (rtype in _BIFF_CELLS or rtype == _BIFF_MULRK) and rlen >= 4:
            row, col = unpack("<HH", mem, data)
            if rtype == _BIFF_MULRK and rlen >= 6:
                col = unpack("<H", mem, data + rlen - 2)[0]
            max_row, max_col = max(max_row, row), max(max_col, col)
        elif rtype == _BIFF_BOF:
            extents.append((max_row, max_col))
            max_row = max_col = -1
        elif rtype == _BIFF_BOUNDSHEET and rlen >= 8:
            length, flags = mem[data + 6], mem[data + 7]
            raw = mem[data + 8:data + 8 + (length * 2 if flags & 1 else length)]
            names.append(raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace"))
    extents.append((max_row, max_col))
    # extents[0]: before the first BOF; [1]: the workbook globals; [2:]: the sheets
    for k, (rows, cols) in enumerate(extents[2:]):
        if (rows + 1) * (cols + 1) > MAX_SHEET_CELLS:
            return (names[k] if k < len(names) else str(k + 1)), rows + 1, cols + 1
    return None


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part (``xl/worksheets/sheet1.xml``) -> sheet name, from the workbook XML."""
    def attrs(tag: bytes) -> dict[str, str]:
        return {k.decode().rsplit(":", 1)[-1]: html.unescape(v.decode("utf-8", "replace"))
                for k, v in re.findall(rb'([\w:]+)="([^"]*)"', tag)}

    try:
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        a = attrs(tag)
        target = a.get("Target", "")
        targets[a.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", workbook):
        a = attrs(tag)
        if a.get("id") in targets:
            out[targets[a["id"]]] = a.get("name", "")
    return out


def _scan_sheet_xml(
    fh: io.BufferedIOBase, exact: bool = False,
) -> tuple[int, int, dict[tuple[int, int], str], bool]:
    """Scan a worksheet XML stream: ``(last row, last column, formulas, far)``.

    ``formulas`` are the formula cells without a cached value ((row, column) 0-based ->
    formula text). The extent is computed only with ``exact``; without it, ``far`` tells
    whether a cell beyond column Z or row 99999 exists (then scan again with ``exact``).
    """
    max_row = max_col = 0
    formulas: dict[tuple[int, int], str] = {}
    carry, total, far = b"", 0, False
    while True:
        chunk = fh.read(1 << 22)
        total += len(chunk)
        if total > MAX_SHEET_XML_BYTES:
            raise ReadError(f"лист книги слишком велик: больше {MAX_SHEET_XML_BYTES >> 20} МБ "
                            "данных в распакованном виде (повреждённый или подложный файл)")
        buf = carry + chunk
        end = buf.rfind(b"</row>") + 6 if chunk else len(buf)
        if end < 6:
            carry = buf
            continue
        part, carry = buf[:end], buf[end:]
        if exact:
            max_row = max(max_row, *map(int, set(_REF_ROW.findall(part))), 0)
            max_col = max(max_col, *map(_column_number, set(_REF_COLUMN.findall(part))), 0)
        elif not far and _FAR_REF.search(part):
            far = True
        if b"<f" in part and not exact:
            for m in _CELL.finditer(part):
                body = m.group(2) or b""
                f = _FORMULA.search(body)
                ref = _REF_ATTR.search(m.group(1))
                if f is None or ref is None or _VALUE.search(body):
                    continue
                text = html.unescape((f.group(1) or b"").decode("utf-8", "replace"))
                formulas[int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1] = "=" + text
        if not chunk:
            return max_row, max_col, formulas, far


def _check_workbook(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Refuse a workbook that would crash or hang calamine; return, per sheet name, its
    formula cells without a cached value (calamine reads them as empty cells)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        _check_ole(path)
        return {}
    if not head.startswith(b"PK"):
        return {}  # not a workbook: calamine says so
    formulas: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.namelist()
            if "xl/workbook.xml" not in members:
                raise ReadError("файл не является книгой Excel .xlsx (архив другого формата); "
                                "откройте его в Excel и сохраните как .xlsx")
            names = None
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/"):
                    continue  # scanned below, with their own limit
                if info.file_size > MAX_PART_XML_BYTES:
                    raise ReadError(
                        f"часть книги {info.filename} слишком велика: "
                        f"{info.file_size / (1 << 20):.0f} МБ в распакованном виде (больше "
                        f"{MAX_PART_XML_BYTES >> 20} МБ; повреждённый или подложный файл)")
                if info.filename == "xl/sharedStrings.xml":
                    with zf.open(info) as fh:  # reads at most the declared size, checks CRC
                        while fh.read(1 << 22):
                            pass
            for part in members:
                if not (part.startswith("xl/worksheets/") and part.endswith(".xml")):
                    continue
                with zf.open(part) as fh:
                    rows, cols, found, far = _scan_sheet_xml(fh)
                if far:  # a cell far away: the exact extent, in a second pass
                    with zf.open(part) as fh:
                        rows, cols, _, _ = _scan_sheet_xml(fh, exact=True)
                if rows * cols > MAX_SHEET_CELLS or found:
                    names = _sheet_names(zf) if names is None else names
                if rows * cols > MAX_SHEET_CELLS:
                    raise _too_big(names.get(part, part), rows, cols)
                if found:
                    formulas[names.get(part, part)] = found
    except ReadError:
        raise
    except Exception:
        raise ReadError("не удалось прочитать книгу Excel: файл повреждён") from None
    return formulas


def _mark_formulas(rows: list[list[object]], cells: dict[tuple[int, int], str]) -> None:
    """Put :class:`UncomputedFormula` markers into a calamine sheet (raw cells)."""
    for (r, c), text in cells.items():
        width = len(rows[0]) if rows else 0
        while len(rows) <= r:
            rows.append([""] * width)
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            row[c] = UncomputedFormula(text)


def _excel_sheets(path: Path) -> list[list[list[object]]]:
    """Every worksheet as calamine gives it: the first row converted, the others raw.

    Converting is left to the caller (:func:`_excel_cell`): a reader of a few columns
    converts only those. An empty sheet is ``[]``.
    """
    from python_calamine import SheetTypeEnum, load_workbook

    formulas = _check_workbook(path)
    try:
        with path.open("rb") as fh:
            book = load_workbook(fh)
            names = dict.fromkeys(s.name for s in book.sheets_metadata
                                  if s.typ == SheetTypeEnum.WorkSheet)
            if not names:  # pandas failed here too ("Sheet name is an empty list")
                raise ValueError("no worksheets")
            sheets = []
            for name in names:
                sheet = book.get_sheet_by_name(name)
                end = sheet.end  # (row, column) of the last cell, 0-based; None if empty
                if end and (end[0] + 1) * (end[1] + 1) > MAX_SHEET_CELLS:
                    raise _too_big(name, end[0] + 1, end[1] + 1)
                sheets.append(sheet.to_python(skip_empty_area=False))
                if name in formulas:
                    _mark_formulas(sheets[-1], formulas[name])
        for k, rows in enumerate(sheets):
            if not rows or not rows[0]:
                sheets[k] = []
                continue
            first = [_excel_cell(c) for c in rows[0]]
            if rows[0][0].__class__ is str and rows[0][0].startswith("\ufeff"):
                first[0] = rows[0][0]
                _strip_bom(first)
            rows[0] = first
    except ReadError:
        raise
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise ReadError(_excel_error_message(path, exc)) from None
    return sheets


def _excel_grids(path: Path) -> list[list[list[object]]]:
    return [[rows[0], *([_excel_cell(c) for c in row] for row in rows[1:])] if rows else []
            for rows in _excel_sheets(path)]


def _excel_error_message(path: Path, exc: Exception) -> str:
    from python_calamine import PasswordError

    with path.open("rb") as fh:
        head = fh.read(1024)
    if path.stat().st_size == 0:
        return "пустой файл"
    if isinstance(exc, PasswordError):
        return "файл защищён паролем: откройте его в Excel, снимите пароль и сохраните заново"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and re.search(
            rb"<(?:html|table|!doctype)", head, re.IGNORECASE):
        return ("файл — веб-страница (HTML), а не книга Excel: откройте его в Excel "
                "и сохраните как .xlsx")
    if path.suffix.lower() in (".xlsx", ".xlsm") and head.startswith(b"\xd0\xcf\x11\xe0"):
        return "файл .xlsx в старом формате или защищён паролем"
    if path.suffix.lower() in (".xlsx", ".xlsm") and not head.startswith(b"PK"):
        return "файл не является книгой Excel (повреждён или другого формата)"
    return "не удалось прочитать книгу Excel: файл повреждён или другого формата"


def _check_file(path: Path) -> str:
    if not path.is_file():
        raise ReadError("файл не найден")
    if path.stat().st_size == 0:
        raise ReadError("пустой файл")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm", ".xls"):
        raise ReadError(f"неподдерживаемый тип файла «{path.suffix}»")
    return suffix


def read_grids(path: Path) -> list[list[list[object]]]:
    """Every sheet of the file (one for CSV) as a list of rows of cells."""
    if _check_file(path) == ".csv":
        return [_csv_grid(path)]
    return _excel_grids(path)


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


@dataclass(frozen=True)
class Columns:
    """The recognised columns of a file as plain lists (what :class:`Table` holds as a frame).

    ``data`` has one list per field of the mapping given to :func:`read_columns` (``None``
    cells for a field without a column) plus ``row``; rows whose cells are all empty are
    dropped. Cheaper than a DataFrame per file when thousands of files are read.
    """

    data: dict[str, list[object]]
    header_row: int
    columns: dict[str, str]  # field -> header text as found in the file

    def __len__(self) -> int:
        return len(self.data["row"])


def read_columns(
    path: Path,
    fields: Mapping[str, HeaderMatcher],
    required: Sequence[str],
    field_titles: Mapping[str, str] | None = None,
) -> Columns:
    """Read a file, find its header row and return the recognised columns as lists.

    Raises :class:`ReadError` (Russian message) when the file is damaged or no row in the
    first lines of any sheet holds every required column.
    """
    if _check_file(path) == ".csv":
        sheets, excel = [_csv_grid(path)], False
    else:  # cells of Excel sheets are converted only where they are used
        sheets, excel = _excel_sheets(path), True
    heads = []
    for rows in sheets:
        head = rows[:HEADER_SEARCH_ROWS]
        if excel and head:
            head = [head[0], *([_excel_cell(c) for c in row] for row in head[1:])]
        heads.append(head)
        hit = find_header(head, fields, required)
        if hit is None:
            continue
        header_idx, positions = hit
        first = header_idx + 2  # 1-based number of the first row under the header
        below = rows[header_idx + 1:]
        keep = list(map(_nonempty_excel if excel else _nonempty, below))
        kept = list(compress(below, keep))
        numbers = list(compress(range(first, first + len(below)), keep))
        rectangular = min(map(len, kept), default=0) > max(positions.values())
        data: dict[str, list[object]] = {}
        for field in fields:
            pos = positions.get(field)
            if pos is None:
                data[field] = [None] * len(kept)
                continue
            column = ([row[pos] for row in kept] if rectangular else
                      [row[pos] if pos < len(row) else None for row in kept])
            data[field] = _excel_column(column) if excel else column
        data["row"] = numbers
        return Columns(data=data, header_row=header_idx + 1,
                       columns={f: str(head[header_idx][p]) for f, p in positions.items()})
    titles = field_titles or {}
    closest = _closest_header(heads, fields, required)
    if closest is not None:
        row, missing = closest
        names = ", ".join(f"«{titles.get(f, f)}»" for f in missing)
        raise ReadError(f"не найдена строка заголовка: в строке {row} нет "
                        f"{'колонки' if len(missing) == 1 else 'колонок'} {names}"
                        + _found_headers(heads, row))
    wanted = ", ".join(f"«{titles.get(f, f)}»" for f in required)
    raise ReadError(f"не найдена строка заголовка с колонками {wanted}"
                    + _found_headers(heads, None))


def _found_headers(heads: Sequence[Sequence[Sequence[object]]], row: int | None,
                   limit: int = 12) -> str:
    """``; найдены заголовки: «…», …`` — the cells of the row taken for the header (or of
    the first row with text): a renamed export needs only a spelling in ``[export]``."""
    for head in heads:
        rows = [head[row - 1]] if row is not None and row <= len(head) else head
        for cells in rows:
            texts = [" ".join(str(c).split()) for c in cells
                     if c is not None and str(c).strip()]
            if texts:
                shown = ", ".join(f"«{t[:40]}»" for t in texts[:limit])
                more = f" и ещё {len(texts) - limit}" if len(texts) > limit else ""
                return (f"; найдены заголовки: {shown}{more} (другие написания заголовков "
                        "можно добавить в раздел [export] файла sferum.toml)")
    return ""


def _closest_header(
    heads: Sequence[Sequence[Sequence[object]]],
    fields: Mapping[str, HeaderMatcher],
    required: Sequence[str],
) -> tuple[int, list[str]] | None:
    """The row (1-based) holding most of the required columns, and the ones it lacks."""
    best: tuple[int, list[str]] | None = None
    best_found = 0
    for head in heads:
        for r, row in enumerate(head):
            cells = [normalize_header(c) for c in row]
            found = [f for f in required if any(fields[f](c) for c in cells)]
            if len(found) > best_found:
                best_found = len(found)
                best = (r + 1, [f for f in required if f not in found])
    return best


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
    cols = read_columns(path, fields, required, field_titles)
    frame = pd.DataFrame({f: pd.Series(cols.data[f], dtype=object) for f in fields})
    frame["row"] = pd.Series(cols.data["row"], dtype="int64")
    return Table(frame=frame, header_row=cols.header_row, columns=cols.columns)


def _nonempty_excel(row: Sequence[object]) -> bool:
    """:func:`_nonempty` of the row after :func:`_excel_cell`, on the raw calamine cells."""
    for cell in row:
        cls = cell.__class__
        if cls is str:
            if cell.strip() and cell not in _NA_STRINGS:
                return True
        elif cls is float:
            if cell == cell:
                return True
        elif not _is_blank(cell):
            return True
    return False


def _nonempty(row: Sequence[object]) -> bool:
    """Not every cell of the row is blank (see :func:`_is_blank`)."""
    for cell in row:
        if cell is None:
            continue
        if isinstance(cell, str):
            if cell.strip():
                return True
        elif not (isinstance(cell, float) and cell != cell):
            return True
    return False


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and cell != cell:
        return True
    return isinstance(cell, str) and not cell.strip()


__all__ = [
    "MAX_SHEET_CELLS",
    "TABLE_SUFFIXES",
    "Columns",
    "ReadError",
    "Table",
    "exact_matcher",
    "find_header",
    "normalize_header",
    "prefix_matcher",
    "read_columns",
    "read_grids",
    "read_table",
    "regex_matcher",
    "UncomputedFormula",
]
