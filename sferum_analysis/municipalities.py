"""The 27 municipalities (МО) of Oryol oblast: canonical names, order and spelling variants."""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from .config import PACKAGE_DATA_DIR

MUNICIPALITIES_CSV = PACKAGE_DATA_DIR / "municipalities.csv"

# Words that carry no identity in a municipality's name ("г. Орёл" = "Орёл",
# "Болховский район" = "Болховский", "Орловский муниципальный ок" = "Орловский").
_NOISE_WORDS = frozenset({
    "г", "гор", "город", "городской", "округ", "го", "район", "рн", "р-н", "муниципальный",
    "муниципального", "образование", "мо", "м", "о", "ок", "мр",
})


@dataclass(frozen=True)
class Municipality:
    order: int
    name: str
    kind: str
    variants: tuple[str, ...]


class UnknownMunicipality(ValueError):
    """A spelling that matches none of the 27 municipalities."""

    def __init__(self, value: object, suggestions: list[str]):
        self.value = value
        self.suggestions = suggestions
        hint = f"; возможно: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"неизвестное МО «{value}»{hint}")


def name_key(value: str) -> str:
    """Normalised lookup key: case, ё/е, whitespace, dots, `г.`, `район` and the like ignored."""
    text = str(value).casefold().replace("ё", "е").replace("\u00a0", " ")
    text = re.sub(r"\bр-н\b", " ", text)
    text = re.sub(r"[.,()«»\"']", " ", text)
    text = text.replace("-", "")
    words = [w for w in text.split() if w not in _NOISE_WORDS]
    return " ".join(words)


@lru_cache(maxsize=1)
def load() -> tuple[Municipality, ...]:
    with MUNICIPALITIES_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        Municipality(
            order=int(r["order"]),
            name=r["name"],
            kind=r["kind"],
            variants=tuple(v for v in r["variants"].split("|") if v),
        )
        for r in sorted(rows, key=lambda r: int(r["order"]))
    )


def canonical_names() -> list[str]:
    """The 27 official names in canonical order (three cities, then alphabetical)."""
    return [m.name for m in load()]


def order_of() -> dict[str, int]:
    return {m.name: m.order for m in load()}


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for m in load():
        for spelling in (m.name, *m.variants):
            key = name_key(spelling)
            if table.get(key, m.name) != m.name:
                raise RuntimeError(f"municipality key collision: {key!r}")
            table[key] = m.name
    return table


def suggest(value: object, n: int = 3) -> list[str]:
    """The canonical names closest to an unknown spelling."""
    key = name_key(str(value))
    lookup = _lookup()
    close = difflib.get_close_matches(key, list(lookup), n=n * 3, cutoff=0.5)
    out: list[str] = []
    for k in close:
        if lookup[k] not in out:
            out.append(lookup[k])
    if not out:
        out = difflib.get_close_matches(str(value), canonical_names(), n=n, cutoff=0.0)
    return out[:n]


def canonicalize(value: object) -> str:
    """Official name of a municipality in any known spelling; raises UnknownMunicipality."""
    if value is None or (isinstance(value, float) and value != value):
        raise UnknownMunicipality("", [])
    key = name_key(str(value))
    try:
        return _lookup()[key]
    except KeyError:
        raise UnknownMunicipality(str(value).strip(), suggest(value)) from None
