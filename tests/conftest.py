"""Shared helpers of the test suite: build exports and registries the way analysts get them.

Every input is written into ``tmp_path`` by the tests themselves (xlsx with openpyxl, xls
with xlwt, CSV in UTF-8 / UTF-8 with BOM / Windows-1251 with ``;`` or ``,``), so the tests
depend only on the data contract, never on the sample data or on ``../shared``.

The builders are reached through fixtures (``write``, ``run_cli``) so that test modules do
not import ``conftest``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl
import pytest
import xlwt

REPO = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
SEED_DIR = TESTS_DIR / "data" / "seed"

#: The header row of a Sferum "По учителям" export, as downloaded.
EXPORT_HEADER = [
    "Дата",
    "ФИО",
    "Тип пользователя",
    "Связь с родителями",
    "Кол-во сообщений за 7 дней",
    "Кол-во звонков за 7 дней",
]
TITLE = "Статистика по учителям 23.01.2024 - 30.01.2024"

Rows = Sequence[Sequence[object]]


class Writers:
    """File builders. ``rows`` are lists of cells; ``None`` is an empty cell."""

    header = EXPORT_HEADER
    title = TITLE

    # ---------------------------------------------------------------- Excel
    @staticmethod
    def xlsx(path: Path, rows: Rows, *, header: Sequence[object] | None = EXPORT_HEADER,
             title_lines: Iterable[object] = (), blank_after_title: int = 0,
             blank_after: int = 0, start_col: int = 1, sheet_title: str = "Лист1") -> Path:
        """An .xlsx workbook: optional title lines, header, rows, trailing blank lines.

        Blank lines are real empty rows (the data rows are written at explicit row numbers),
        so the row numbers a user sees are exactly those in the test.
        """
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet_title
        r = 1
        for line in title_lines:
            ws.cell(row=r, column=start_col, value=line)
            r += 1
        r += blank_after_title
        if header is not None:
            for c, value in enumerate(header):
                ws.cell(row=r, column=start_col + c, value=value)
            r += 1
        for row in rows:
            for c, value in enumerate(row):
                if value is not None:
                    ws.cell(row=r, column=start_col + c, value=value)
            r += 1
        if blank_after:
            # Formatted but empty cells below the data, as Excel leaves them.
            for k in range(blank_after):
                ws.cell(row=r + k, column=start_col, value="")
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path

    @staticmethod
    def xls(path: Path, rows: Rows, *, header: Sequence[object] | None = EXPORT_HEADER,
            title_lines: Iterable[object] = (), blank_after_title: int = 0) -> Path:
        """An .xls (BIFF) workbook written with xlwt; datetimes get a date format."""
        wb = xlwt.Workbook(encoding="utf-8")
        ws = wb.add_sheet("Лист1")
        date_style = xlwt.easyxf(num_format_str="DD.MM.YYYY")
        r = 0
        for line in title_lines:
            ws.write(r, 0, line)
            r += 1
        r += blank_after_title
        if header is not None:
            for c, value in enumerate(header):
                ws.write(r, c, value)
            r += 1
        for row in rows:
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date | dt.datetime):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
            r += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(str(path))
        return path

    # ---------------------------------------------------------------- CSV
    @staticmethod
    def csv(path: Path, rows: Rows, *, header: Sequence[object] | None = EXPORT_HEADER,
            encoding: str = "utf-8", sep: str = ";", title_lines: Iterable[str] = (),
            blank_after_title: int = 0, blank_after: int = 0) -> Path:
        """A CSV file; ``encoding`` may be ``utf-8``, ``utf-8-sig`` or ``cp1251``."""
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
        for line in title_lines:
            buf.write(line + "\r\n")
        buf.write("\r\n" * blank_after_title)
        if header is not None:
            writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
        buf.write("\r\n" * blank_after)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buf.getvalue().encode(encoding))
        return path

    # ---------------------------------------------------------------- registry
    @staticmethod
    def registry_csv(path: Path, rows: Rows, header: Sequence[str], *,
                     encoding: str = "utf-8", sep: str = ";") -> Path:
        return Writers.csv(path, rows, header=header, encoding=encoding, sep=sep)

    @staticmethod
    def registry_xlsx(path: Path, rows: Rows, header: Sequence[str],
                      title_lines: Iterable[object] = ()) -> Path:
        return Writers.xlsx(path, rows, header=header, title_lines=title_lines)


@pytest.fixture(scope="session")
def write() -> type[Writers]:
    return Writers


# ---------------------------------------------------------------------------- hashing
def tree_hashes(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime (ns) of every file under ``root``, keyed by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = (
                hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return out


@pytest.fixture(scope="session")
def hash_tree():
    return tree_hashes


# ---------------------------------------------------------------------------- the CLI
class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return (f"CliResult(rc={self.returncode})\n--- stdout ---\n{self.stdout}"
                f"\n--- stderr ---\n{self.stderr}")


def _run_cli(*args: str | Path, timeout: float = 600) -> CliResult:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SFERUM_DATA_DIR", "SFERUM_REPORTS_DIR")}
    env["PYTHONIOENCODING"] = "utf-8"
    proc = subprocess.run(
        [sys.executable, "-m", "sferum_analysis.cli", *map(str, args)],
        capture_output=True, text=True, encoding="utf-8", timeout=timeout, cwd=REPO, env=env,
    )
    return CliResult(proc)


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli("run", "2024-01-29", "--data-dir", d, ...)`` -> CliResult (subprocess)."""
    return _run_cli
