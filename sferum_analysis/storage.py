"""Reading and writing the processed week (Parquet) and the machine-readable CSV outputs.

Processed tables hold names of people (personal data): files are created readable by the
owner only. CSV outputs in ``reports/`` hold no names and neutralise formula-like text.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the CLI's quick commands need neither
    import pandas as pd

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralize_formula(text: object) -> object:
    """Defuse text a spreadsheet would evaluate as a formula (OWASP CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab, CR or LF gets a leading ``'``;
    non-strings are returned unchanged, so it can be mapped over a whole table.
    """
    if isinstance(text, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralize_csv_text(text: object) -> object:
    """:func:`neutralize_formula` for a CSV field, also after every ``;``.

    Excel with a Russian locale splits a CSV at ``;``: an unquoted field ``a;=1+1`` would
    become the cells ``a`` and ``=1+1``. Every ``;``-separated part that would start a
    formula (after any quotes) gets the leading ``'`` too; line breaks become spaces.
    """
    if not isinstance(text, str):
        return text
    text = text.replace("\r", " ").replace("\n", " ")  # no record breaks for any reader
    # a part may start with quotes or spaces: `a;"=1"` is the quoted field "=1" to a ";"
    # reader, and a line break made a space of its own
    return ";".join("'" + part if part.lstrip('" ').startswith(FORMULA_PREFIXES) else part
                    for part in text.split(";"))


def make_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Deterministic Parquet (no index, fixed metadata), readable by the owner only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", use_dictionary=True, write_statistics=True)
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, path)
    return path


def read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas()


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    import pandas as pd

    """UTF-8, comma-separated, ``\\n`` line ends, formula-like text neutralised."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralize_csv_text)
    tmp = path.with_name(path.name + ".tmp")
    safe.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n", float_format="%.1f")
    os.replace(tmp, path)
    return path


def fingerprint(files: Iterable[Path]) -> dict[str, str]:
    """sha256 of each input file, keyed by its name: what a report was built from."""
    out = {}
    for path in sorted(files, key=lambda p: p.name):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
        # a name that is not UTF-8 (surrogate escapes) is keyed by its escaped bytes
        key = path.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        out[key] = digest.hexdigest()
    return out


def write_json(data: object, path: Path) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
    return path
