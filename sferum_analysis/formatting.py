"""Russian number formatting for reports: decimal comma, thin-space thousands, plurals."""

from __future__ import annotations

import math
import re

#: Characters that must not reach a report, CSV or terminal from names of files or
#: organisations: C0/C1 controls and DEL (ESC sequences, NUL, line breaks), zero-width and
#: bidirectional formatting marks (a right-to-left override would show a name reversed).
UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

THIN_SPACE = "\u202f"  # narrow no-break space: the thousands separator in every report
DASH = "—"             # shown for a ratio with a zero denominator


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):  # pandas.NA
        return True


def fmt_pct(value: object) -> str:
    """``90.2`` -> ``90,2``; missing -> ``—``. Values are already rounded half-up."""
    if is_missing(value):
        return DASH
    return f"{float(value):.1f}".replace(".", ",")


def fmt_int(value: object) -> str:
    """``3725`` -> ``3 725`` with a narrow no-break space; missing -> ``—``."""
    if is_missing(value):
        return DASH
    return f"{int(value):,}".replace(",", THIN_SPACE)


def fmt_pp(value: object) -> str:
    """A change in percentage points with a sign: ``+1,5``, ``−0,3``, ``0,0``."""
    if is_missing(value):
        return DASH
    v = round(float(value), 1)
    if v > 0:
        return "+" + f"{v:.1f}".replace(".", ",")
    if v < 0:
        return "\u2212" + f"{-v:.1f}".replace(".", ",")
    return "0,0"


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for ``n``: 1 строка, 2 строки, 5 строк, 11 строк, 21 строка."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def rows_phrase(n: int) -> str:
    return f"{n} {plural(n, 'строка', 'строки', 'строк')}"


def problems_text(what: str, problems: list[str], shown: int = 5) -> str:
    """«<what> не принят: p1; p2; …; и ещё N» — one line for a file refused row by row."""
    more = f"; и ещё {len(problems) - shown}" if len(problems) > shown else ""
    return f"{what} не принят: {'; '.join(problems[:shown])}{more}"


#: errno names -> Russian (the messages of the C library are English)
ERRNO_RU = {"ENOENT": "нет такого файла или папки", "ENOTDIR": "часть пути — не папка",
            "EACCES": "нет доступа", "EPERM": "нет прав", "ENOSPC": "нет места на диске",
            "EDQUOT": "превышена дисковая квота", "EROFS": "файловая система только для чтения",
            "EISDIR": "это папка, а не файл", "EEXIST": "уже существует",
            "EIO": "ошибка ввода-вывода", "EMFILE": "открыто слишком много файлов",
            "ENAMETOOLONG": "слишком длинное имя", "EXDEV": "другая файловая система",
            "ENOTEMPTY": "папка не пуста", "EBUSY": "файл или папка занята"}


_DIGITS = re.compile(r"\d+")


def name_order(names):
    """Sort key (``sort_values(key=...)``) of a column of names, numbers by their value:
    «Детский сад № 6» before «№ 18» before «№ 30» (as text, «№ 18» came first)."""
    return names.astype("string").fillna("").str.replace(
        _DIGITS, lambda m: m.group().zfill(12), regex=True)


def numbers_by_value(*columns: str):
    """A ``sort_values(key=...)`` that orders ``columns`` by :func:`name_order` and the
    other sort columns as they are."""
    return lambda column: name_order(column) if column.name in columns else column
