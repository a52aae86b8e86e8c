"""Personal data (152-ФЗ): no name of a person leaves ``data/``.

The sample week (and the week before it, for the week-over-week parts) is published into a
temporary folder in the internal edition (the ministry's report plus a drill-down annex);
then every file under ``reports/<week>/`` — HTML, PDF (text via pypdf), XLSX cell values,
CSV, JSON, ``run.log`` and the executed notebooks — is searched for every person name of
the raw exports, read here with a reader of our own (so names of rejected rows and of
other dates count too). Processed tables, which do hold names, are readable by their owner
only: files ``0600``, folders ``0700``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlrd
from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
WEEK = "2024-01-29"
WEEKS = ("2024-01-22", WEEK)

pytestmark = pytest.mark.slow


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def _rows_of(path: Path) -> list[list[object]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1251")
        first = text.splitlines()[0] if text else ""
        sep = ";" if first.count(";") >= first.count(",") else ","
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        return [list(r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
    if suffix == ".xls":
        book = xlrd.open_workbook(str(path))
        return [sheet.row_values(r) for sheet in book.sheets() for r in range(sheet.nrows)]
    return []


@functools.cache
def person_names(weeks: tuple[str, ...] = WEEKS) -> frozenset[str]:
    """Every ФИО cell of the raw exports, as «фамилия имя» (normalised), at least two words."""
    names = set()
    for week in weeks:
        for path in sorted((RAW / week).iterdir()):
            if path.name.startswith(("~$", ".")):
                continue
            col = None
            for row in _rows_of(path):
                cells = ["" if c is None else str(c) for c in row]
                if col is None:
                    col = next((i for i, c in enumerate(cells)
                                if c.strip().casefold().startswith("фио")), None)
                    continue
                if col < len(cells):
                    words = _norm(cells[col]).split()
                    if len(words) >= 2 and all(re.fullmatch(r"[а-яa-z-]+", w)
                                               for w in words[:2]):
                        names.add(" ".join(words[:2]))
    return frozenset(names)


def word_pairs(text: str) -> set[str]:
    """Every two consecutive words of ``text`` (normalised like the names)."""
    words = re.findall(r"[а-яa-z-]+", text.casefold().replace("ё", "е"))
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def published_text(path: Path) -> str:
    """The text a reader of ``path`` could see."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                         for c in row if c.value is not None)
    if suffix in (".ipynb", ".json"):
        return "\n".join(_strings(json.loads(path.read_text(encoding="utf-8"))))
    if suffix in (".png", ".jpg", ".jpeg", ".svg", ".woff", ".woff2"):
        return ""
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def published(tmp_path_factory, run_cli):
    root = tmp_path_factory.mktemp("pd")
    data, reports = root / "data", root / "reports"
    for part in ("registry", *WEEKS):
        shutil.copytree(RAW / part, data / "raw" / part)
    # the internal edition: the ministry's report plus the drill-down annex by organisation
    res = run_cli("run", WEEK, "--data-dir", data, "--reports-dir", reports,
                  "--edition", "internal")
    assert res.returncode == 0, res
    return data, reports, res


def test_the_reader_finds_the_sample_names():
    names = person_names()
    assert len(names) > 3000  # 3725 registered on the reporting date alone
    assert all(len(n.split()) == 2 for n in names)


def test_no_person_name_in_any_published_file(published):
    _, reports, res = published
    names = person_names()
    files = sorted(p for p in (reports / WEEK).rglob("*") if p.is_file())
    kinds = {p.suffix for p in files}
    assert {".html", ".pdf", ".xlsx", ".csv", ".json", ".ipynb", ".log"} <= kinds, kinds
    assert any(p.parent.name == "notebooks" for p in files)
    leaks = {}
    for path in files:
        found = sorted(names & word_pairs(published_text(path)))
        if found:
            leaks[str(path.relative_to(reports))] = found[:5]
    assert leaks == {}
    assert not names & word_pairs(res.stdout + res.stderr)


def test_word_pairs_see_names_across_markup_and_line_breaks():
    text = "<td>Иванова\nАнна</td> x ЁЛКИНА  Мария-Луиза"
    assert {"иванова анна", "елкина мария-луиза"} <= word_pairs(text)


def test_processed_week_is_private(published):
    data, _, _ = published
    folder = data / "processed" / WEEK
    assert (folder / "persons.parquet").is_file()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (data / "processed").stat().st_mode & 0o077 == 0
    assert (folder / "metrics_meta.json").is_file()
    for path in folder.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == expected, path.name
