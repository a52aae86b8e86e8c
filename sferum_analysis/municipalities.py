"""Municipalities (МО) of a region: official names, canonical order, spelling variants.

One region's list is a :class:`Municipalities` value. It comes from the workspace's
``data/raw/registry/municipalities.csv`` (contract §5) through
:meth:`Municipalities.from_csv` / :meth:`Municipalities.for_registry_dir`, or, without that
file, from the built-in list of Орловская область (:meth:`Municipalities.builtin`, the
package's ``data/municipalities.csv``). Every function of the data path takes the list as
a parameter; the module-level functions (:func:`canonicalize`, :func:`canonical_names`,
:func:`order_of`, :func:`suggest`, :func:`load`) are kept for compatibility and use the
built-in list unless one is given.

File format (UTF-8 with or without BOM, or Windows-1251; separated by ``,`` or ``;``)::

    order,name,kind,variants,col,row
    1,г. Орёл,городской округ,г.Орел|Орёл|город Орёл,2,2
    ...

* ``order`` — the canonical order, the integers 1..N without gaps or repeats (section 2:
  the cities first, then the rest alphabetically);
* ``name`` — the official name, shown in every report;
* ``kind`` — the kind of municipality (``городской округ``, ``муниципальный район`` …),
  free text, may be empty;
* ``variants`` — further spellings separated by ``|``, may be empty;
* ``col``, ``row`` (optional) — the МО's tile on a schematic tile map: integers 0..99,
  ``col`` counted from the left, ``row`` from the top; both set or both empty, one tile
  per МО;
* any other column is kept as text per МО (:attr:`Municipality.extra`).

Blank lines and lines whose first cell begins with ``#`` (comments) are skipped. Spellings
are matched by :func:`name_key` (case, ё/е, whitespace, dots, hyphens, ``г.``, ``район``
and the like ignored); a spelling that would mean two municipalities is an error.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from .config import PACKAGE_DATA_DIR
from .formatting import UNSAFE_CHARS, problems_text

MUNICIPALITIES_CSV = PACKAGE_DATA_DIR / "municipalities.csv"

#: The file name of a region's list in ``data/raw/registry/`` of a workspace.
FILENAME = "municipalities.csv"

#: The contract's columns (§5); ``col,row`` are this project's optional tile-map columns.
REQUIRED_COLUMNS = ("order", "name", "kind", "variants")
TILE_COLUMNS = ("col", "row")
TEMPLATE_COLUMNS = (*REQUIRED_COLUMNS, *TILE_COLUMNS)
#: The largest tile-map coordinate accepted in ``col`` / ``row``.
MAX_TILE = 99

BUILTIN_REGION = "Орловская область"

#: ``mo`` of the pooled rows of the metrics: no municipality may be called so.
RESERVED_NAMES = frozenset({"total"})

# Words that carry no identity in a municipality's name ("г. Орёл" = "Орёл",
# "Болховский район" = "Болховский", "Орловский муниципальный ок" = "Орловский").
_NOISE_WORDS = frozenset({
    "г", "гор", "город", "городской", "округ", "го", "район", "рн", "р-н", "муниципальный",
    "муниципального", "образование", "мо", "м", "о", "ок", "мр",
})


@dataclass(frozen=True)
class Municipality:
    """One МО of a region's list. ``extra``: the file's further columns (text, as written)."""

    order: int
    name: str
    kind: str
    variants: tuple[str, ...]
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    #: (col, row) on the schematic tile map, or None
    tile: tuple[int, int] | None = None


class UnknownMunicipality(ValueError):
    """A spelling that matches none of the municipalities of the list."""

    def __init__(self, value: object, suggestions: list[str]):
        self.value = value
        self.suggestions = suggestions
        hint = f"; возможно: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"неизвестное МО «{value}»{hint}")


class MunicipalitiesError(ValueError):
    """The list of municipalities cannot be used. ``problems``: Russian, one per row/column."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        where = f" ({source})" if source else ""
        super().__init__(problems_text(f"список МО{where}", problems))


def name_key(value: str) -> str:
    """Normalised lookup key: case, ё/е, whitespace, dots, `г.`, `район` and the like ignored."""
    text = str(value).casefold().replace("ё", "е").replace("\u00a0", " ")
    text = re.sub(r"\bр-н\b", " ", text)
    text = re.sub(r"[.,()«»\"']", " ", text)
    text = text.replace("-", "")
    words = [w for w in text.split() if w not in _NOISE_WORDS]
    return " ".join(words)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _clean(value: object) -> str:
    """A cell as one line of text: no control or bidi characters, whitespace collapsed."""
    if _is_missing(value):
        return ""
    return " ".join(UNSAFE_CHARS.sub(" ", str(value)).split())


@dataclass(frozen=True)
class Municipalities:
    """The municipalities of one region, in canonical order (``order`` 1..N).

    Build it with :meth:`from_csv`, :meth:`from_rows`, :meth:`builtin` or
    :meth:`for_registry_dir`; those validate and raise :class:`MunicipalitiesError`.
    Two lists are equal when their municipalities are; ``source`` names the list in
    messages.
    """

    items: tuple[Municipality, ...]
    source: str = field(default="", compare=False)
    #: the file's further columns (beyond order,name,kind,variants), in file order
    extra_columns: tuple[str, ...] = field(default=(), compare=False)
    _lookup: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _by_name: Mapping[str, Municipality] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if [m.order for m in self.items] != list(range(1, len(self.items) + 1)):
            raise ValueError("municipalities must be given in order 1..N")
        table: dict[str, str] = {}
        for m in self.items:
            for spelling in (m.name, *m.variants):
                key = name_key(spelling)
                if table.get(key, m.name) != m.name:
                    raise ValueError(f"municipality key collision: {key!r}")
                table[key] = m.name
        object.__setattr__(self, "_lookup", MappingProxyType(table))
        object.__setattr__(self, "_by_name", MappingProxyType({m.name: m for m in self.items}))

    # ------------------------------------------------------------------ construction
    @classmethod
    def builtin(cls) -> Municipalities:
        """The built-in list: the 27 municipalities of Орловская область."""
        return _builtin()

    @classmethod
    def from_csv(cls, path: str | Path, *, source: str | None = None) -> Municipalities:
        """Read and validate a region's ``municipalities.csv``; every problem at once."""
        path = Path(path)
        label = path.name if source is None else source
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MunicipalitiesError(label, [f"файл не прочитан: {_os_reason(exc)}"]) from None
        return cls.from_text(_decode(data, label), source=label)

    @classmethod
    def from_text(cls, text: str, *, source: str = "") -> Municipalities:
        """The list from the text of a CSV file (see the module's docstring for the format)."""
        header, rows, problems = _parse_csv(text)
        if header is None:
            raise MunicipalitiesError(source, problems or [_empty_message()])
        return _build(header, rows, source, problems)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, object]], *,
                  source: str = "") -> Municipalities:
        """The list from records with the file's columns (``variants``: text or a list).

        Validated like a file; records are numbered from 1 in the messages.
        """
        records = [dict(r) for r in rows]
        header: list[str] = []
        for rec in records:
            for key in rec:
                if str(key) not in header:
                    header.append(str(key))
        lines = []
        for i, rec in enumerate(records, 1):
            cells = {str(k): ("|".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                     for k, v in rec.items()}
            lines.append((i, [_cell_text(cells.get(h)) for h in header]))
        return _build(header, lines, source, [])

    @classmethod
    def for_registry_dir(cls, registry_dir: str | Path) -> Municipalities:
        """The workspace's list: ``<registry_dir>/municipalities.csv`` if present, else built-in."""
        path = Path(registry_dir) / FILENAME
        if path.is_file():
            return cls.from_csv(path)
        if path.exists():
            raise MunicipalitiesError(FILENAME, [f"{path} — не файл"])
        return cls.builtin()

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Municipality]:
        return iter(self.items)

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is an official name of the list (use canonicalize for spellings)."""
        return name in self._by_name

    @property
    def names(self) -> tuple[str, ...]:
        """Official names in canonical order."""
        return tuple(m.name for m in self.items)

    def canonical_names(self) -> list[str]:
        """Official names in canonical order, as a list."""
        return list(self.names)

    def order_of(self) -> dict[str, int]:
        """Official name → canonical order (1..N)."""
        return {m.name: m.order for m in self.items}

    def order(self, name: object) -> int:
        """Canonical order (1..N) of a municipality in any known spelling."""
        return self._by_name[self.canonicalize(name)].order

    @property
    def total_order(self) -> int:
        """The order of pooled (total) rows: N + 1, after every municipality."""
        return len(self.items) + 1

    def get(self, name: object) -> Municipality:
        """The municipality of any known spelling; raises UnknownMunicipality."""
        return self._by_name[self.canonicalize(name)]

    def extra(self, name: object) -> dict[str, str]:
        """The further columns of one municipality (e.g. ``col``, ``row``), as written."""
        return dict(self.get(name).extra)

    def tiles(self) -> dict[str, tuple[int, int]]:
        """Official name → (col, row) for the municipalities that have a tile-map position."""
        return {m.name: m.tile for m in self.items if m.tile is not None}

    def canonicalize(self, value: object) -> str:
        """Official name of a municipality in any known spelling; raises UnknownMunicipality."""
        if _is_missing(value):
            raise UnknownMunicipality("", [])
        try:
            return self._lookup[name_key(str(value))]
        except KeyError:
            raise UnknownMunicipality(str(value).strip(), self.suggest(value)) from None

    def suggest(self, value: object, n: int = 3) -> list[str]:
        """The official names of this list closest to an unknown spelling."""
        key = name_key(str(value))
        close = difflib.get_close_matches(key, list(self._lookup), n=n * 3, cutoff=0.5)
        out: list[str] = []
        for k in close:
            if self._lookup[k] not in out:
                out.append(self._lookup[k])
        if not out:
            out = difflib.get_close_matches(str(value), list(self.names), n=n, cutoff=0.0)
        return out[:n]


@lru_cache(maxsize=1)
def _builtin() -> Municipalities:
    return Municipalities.from_csv(MUNICIPALITIES_CSV,
                                   source=f"встроенный список: {BUILTIN_REGION}")


# ---------------------------------------------------------------------- reading a file
def _decode(data: bytes, label: str) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MunicipalitiesError(label, ["файл не в кодировке UTF-8 или Windows-1251"])


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "файла нет"
    if isinstance(exc, IsADirectoryError):
        return "это папка, а не файл"
    if isinstance(exc, PermissionError):
        return "нет прав на чтение"
    return f"ошибка чтения ({type(exc).__name__})"


def _cell_text(value: object) -> str:
    return "" if _is_missing(value) else str(value)


def _is_comment(cells: list[str]) -> bool:
    return bool(cells) and cells[0].lstrip().startswith("#")


def _is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _parse_csv(text: str) -> tuple[list[str] | None, list[tuple[int, list[str]]], list[str]]:
    """Header cells and (line number, cells) of the data rows; comments and blanks skipped."""
    text = text.lstrip("\ufeff")
    first = next((ln for ln in text.splitlines()
                  if ln.strip() and not ln.lstrip().startswith("#")), "")
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if _is_blank(cells) or _is_comment(cells):
                continue
            if header is None:
                header = cells
            else:
                rows.append((start, cells))
    except csv.Error:
        problems.append(f"строка {line}: файл не разобран как CSV — проверьте кавычки "
                        f"(незакрытая кавычка или текст сразу после закрывающей)")
    return header, rows, problems


def _empty_message() -> str:
    return ("нет ни одного муниципального образования: заполните файл по образцу или "
            f"удалите его, тогда будет использован встроенный список ({BUILTIN_REGION})")


def _build(header: list[str], rows: list[tuple[int, list[str]]], source: str,
           problems: list[str]) -> Municipalities:
    """Validate header and rows (all problems at once) and build the list."""
    columns = [_clean(h) for h in header]
    index: dict[str, int] = {}
    extra_columns: list[str] = []
    for i, title in enumerate(columns):
        if not title:
            used = [ln for ln, cells in rows if i < len(cells) and cells[i].strip()]
            if used:
                problems.append(f"столбец {i + 1} без заголовка, но со значениями "
                                f"(строка {used[0]})")
            continue
        key = title.casefold()
        key = key if key in TEMPLATE_COLUMNS else title
        if key in index:
            problems.append(f"столбец «{title}» встречается дважды "
                            f"(столбцы {index[key] + 1} и {i + 1})")
            continue
        index[key] = i
        if key not in REQUIRED_COLUMNS:
            extra_columns.append(key)
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        found = ", ".join(c for c in columns if c) or "нет"
        problems.append(
            f"нет {'столбца' if len(missing) == 1 else 'столбцов'} "
            f"{', '.join(f'«{c}»' for c in missing)} (нужны {','.join(REQUIRED_COLUMNS)}; "
            f"найдены: {found})")
        raise MunicipalitiesError(source, problems)
    if not rows:
        raise MunicipalitiesError(source, problems or [_empty_message()])

    def cell(cells: list[str], column: str) -> str:
        i = index[column]
        return _clean(cells[i]) if i < len(cells) else ""

    n = len(rows)
    order_rows: dict[int, int] = {}
    owners: dict[str, tuple[str, int]] = {}   # key -> (official name, line)
    tile_rows: dict[tuple[int, int], tuple[str, int]] = {}
    parsed: list[tuple[int, Municipality]] = []
    has_tiles = any(c in index for c in TILE_COLUMNS)
    for line, cells in rows:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(f"строка {line}: значений больше, чем столбцов в заголовке")
        where = f"строка {line}, столбец"
        # order: 1..N, no repeats
        raw_order = cell(cells, "order")
        order: int | None = None
        if not re.fullmatch(r"\d{1,9}", raw_order):
            problems.append(f"{where} «order»: «{raw_order[:40]}» — не целое число"
                            if raw_order else f"{where} «order»: пусто")
        else:
            order = int(raw_order)
            if order in order_rows:
                problems.append(f"{where} «order»: номер {order} повторяет строку "
                                f"{order_rows[order]}")
                order = None
            elif not 1 <= order <= n:
                problems.append(f"{where} «order»: номер {order} вне диапазона 1–{n} "
                                f"(МО в файле: {n})")
                order_rows[order] = line
                order = None
            else:
                order_rows[order] = line
        # name and variants: every spelling means one municipality only
        name = cell(cells, "name")
        if not name:
            problems.append(f"{where} «name»: пустое название МО")
        elif name.casefold() in RESERVED_NAMES:
            problems.append(f"{where} «name»: название «{name}» зарезервировано")
        variants: list[str] = []
        for v in cell(cells, "variants").split("|"):
            v = _clean(v)
            if v and v != name and v not in variants:
                variants.append(v)
        if name:
            for column, spelling in [("name", name), *(("variants", v) for v in variants)]:
                key = name_key(spelling)
                if not key:
                    problems.append(f"{where} «{column}»: в «{spelling}» нет ничего, кроме "
                                    f"слов вроде «г.», «район», «муниципальный округ»")
                    continue
                owner = owners.get(key)
                if owner is None:
                    owners[key] = (name, line)
                elif owner[1] != line:
                    if column == "name" and name_key(owner[0]) == key:
                        problems.append(f"{where} «name»: «{name}» повторяет МО строки "
                                        f"{owner[1]} («{owner[0]}»)")
                    else:
                        problems.append(
                            f"{where} «{column}»: написание «{spelling}» уже означает МО "
                            f"«{owner[0]}» (строка {owner[1]}); одно написание не может "
                            f"относиться к двум МО")
        # optional tile-map position
        tile: tuple[int, int] | None = None
        if has_tiles:
            tile = _tile(cells, line, index, problems)
            if tile is not None:
                if tile in tile_rows:
                    problems.append(
                        f"строка {line}: клетка карты col={tile[0]}, row={tile[1]} уже занята "
                        f"МО «{tile_rows[tile][0]}» (строка {tile_rows[tile][1]})")
                else:
                    tile_rows[tile] = (name, line)
        extra = {c: cell(cells, c) for c in extra_columns}
        if order is not None:
            parsed.append((order, Municipality(order, name, cell(cells, "kind"), tuple(variants),
                                               MappingProxyType(extra), tile)))
    gaps = [k for k in range(1, n + 1) if k not in order_rows]
    if gaps:
        problems.append(f"столбец «order»: {'нет номера' if len(gaps) == 1 else 'нет номеров'} "
                        f"{_list(gaps)} (нужны номера от 1 до {n} без пропусков и повторов)")
    if problems:
        raise MunicipalitiesError(source, problems)
    items = tuple(m for _, m in sorted(parsed, key=lambda p: p[0]))
    return Municipalities(items, source=source, extra_columns=tuple(extra_columns))


def _tile(cells: list[str], line: int, index: dict[str, int],
          problems: list[str]) -> tuple[int, int] | None:
    values: dict[str, int | None] = {}
    for column in TILE_COLUMNS:
        i = index.get(column)
        raw = _clean(cells[i]) if i is not None and i < len(cells) else ""
        if not raw:
            values[column] = None
        elif re.fullmatch(r"\d{1,2}", raw) and int(raw) <= MAX_TILE:
            values[column] = int(raw)
        else:
            problems.append(f"строка {line}, столбец «{column}»: «{raw[:40]}» — нужно целое "
                            f"число от 0 до {MAX_TILE} (место МО на схеме-плитке)")
            return None
    col, row = values["col"], values["row"]
    if col is None and row is None:
        return None
    if col is None or row is None:
        problems.append(f"строка {line}: заполните оба столбца «col» и «row» "
                        f"или оставьте оба пустыми")
        return None
    return col, row


def _list(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" и ещё {len(numbers) - 10}" if len(numbers) > 10 else "")


# ---------------------------------------------------------------------- template
TEMPLATE = """\
order,name,kind,variants,col,row
# Список муниципальных образований (МО) региона: одна строка — одно МО.
# Строки, которые начинаются с #, не читаются; пустые строки тоже.
# order — порядок МО в отчётах: целые числа 1; 2; 3 … без пропусков и повторов
#   (сначала города, затем районы по алфавиту).
# name — официальное название МО (так оно будет в отчётах).
# kind — вид МО: городской округ; муниципальный район; муниципальный округ.
# variants — другие написания этого МО в реестре организаций через |
#   (регистр букв; ё и е; «г.»; «район» и «р-н» перечислять не нужно).
# col и row — необязательно: место МО на схематической карте-плитке; целые числа
#   от 0 до 99 (col — столбец слева направо; row — строка сверху вниз);
#   одна клетка на одно МО; можно оставить пустыми.
# Если удалить этот файл, будет использован встроенный список (Орловская область).
# Образец — уберите # в начале строк и замените своими данными:
#1,г. Примерск,городской округ,г.Примерск|город Примерск,1,0
#2,Примерский район,муниципальный район,Примерский|Примерский р-н,1,1
"""


def write_template(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the municipalities template (UTF-8 with BOM, so that Excel shows Cyrillic).

    The header is ``order,name,kind,variants,col,row``; explanations and two example rows
    are comments (``#``), so the untouched template is an empty list — which
    :meth:`Municipalities.from_csv` refuses with a message that says to fill it in or delete
    it. An existing file is kept (FileExistsError) unless ``overwrite``.
    """
    path = Path(path)
    with path.open("w" if overwrite else "x", encoding="utf-8-sig", newline="\n") as fh:
        fh.write(TEMPLATE)
    return path


# ---------------------------------------------------------------------- compatibility
def load() -> tuple[Municipality, ...]:
    """The built-in municipalities (Орловская область) in canonical order."""
    return Municipalities.builtin().items


def _resolve(municipalities: Municipalities | None) -> Municipalities:
    return Municipalities.builtin() if municipalities is None else municipalities


def canonical_names(municipalities: Municipalities | None = None) -> list[str]:
    """Official names in canonical order (built-in list unless one is given)."""
    return _resolve(municipalities).canonical_names()


def order_of(municipalities: Municipalities | None = None) -> dict[str, int]:
    """Official name → canonical order (built-in list unless one is given)."""
    return _resolve(municipalities).order_of()


def suggest(value: object, n: int = 3, municipalities: Municipalities | None = None) -> list[str]:
    """The official names closest to an unknown spelling (built-in list unless one is given)."""
    return _resolve(municipalities).suggest(value, n)


def canonicalize(value: object, municipalities: Municipalities | None = None) -> str:
    """Official name in any known spelling (built-in list unless one is given)."""
    return _resolve(municipalities).canonicalize(value)
