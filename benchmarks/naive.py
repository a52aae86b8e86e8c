#!/usr/bin/env python3
"""The naive baseline: what an analyst writes first to count a week by hand.

A loop over the week's files: ``pandas.read_excel`` (openpyxl for .xlsx, xlrd for .xls)
or ``pandas.read_csv`` (encoding tried, separator sniffed), the header row found by the
``ФИО`` cell, rows of the reporting date kept, and per organisation the number of distinct
names and of rows with at least one message or call. No quality checks, no row accounting,
no duplicates by normalised name, no Parquet, no report: only read and count. Its totals
are printed so they can be compared with the project's (they differ by the sample's traps:
duplicates that differ in case, rejected rows, the organisation missing from the register).

Usage: ``python benchmarks/naive.py --data-dir DIR --week YYYY-MM-DD [--out counts.csv]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pandas as pd


def read_any(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return pd.read_excel(path, header=None, engine="openpyxl")
    if suffix == ".xls":
        return pd.read_excel(path, header=None)  # xlrd
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return pd.read_csv(path, header=None, sep=None, engine="python", encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"cannot decode {path.name}")


def count_file(path: Path, day: pd.Timestamp) -> tuple[int, int, int]:
    """(rows read, persons on the day, active persons on the day) of one export."""
    raw = read_any(path)
    header = next(i for i, row in raw.iterrows() if (row.astype(str) == "ФИО").any())
    frame = raw.iloc[header + 1:].copy()
    frame.columns = [str(c) for c in raw.iloc[header]]
    frame = frame.dropna(how="all")
    dates = pd.to_datetime(frame["Дата"], format="mixed", dayfirst=True, errors="coerce")
    on_day = frame[dates == day]
    messages = pd.to_numeric(on_day["Кол-во сообщений за 7 дней"], errors="coerce").fillna(0)
    calls = pd.to_numeric(on_day["Кол-во звонков за 7 дней"], errors="coerce").fillna(0)
    active = on_day.loc[(messages + calls) >= 1, "ФИО"]
    return len(frame), on_day["ФИО"].nunique(), active.nunique()


def count_week(data_dir: Path, week: str) -> pd.DataFrame:
    day = pd.Timestamp(week)
    registry = pd.read_excel(data_dir / "raw" / "registry" / "organizations.xlsx",
                             engine="openpyxl", dtype={"ID Сферум": str})
    known = set(registry["ID Сферум"])
    records = []
    for path in sorted((data_dir / "raw" / week).iterdir()):
        if path.name.startswith("~$") or path.suffix.lower() not in (".xlsx", ".xls", ".csv"):
            continue
        org_id = re.match(r"\d+", path.name).group()
        rows, persons, active = count_file(path, day)
        records.append({"org_id": org_id, "file": path.name, "rows": rows,
                        "registered": persons, "active": active})
    counts = pd.DataFrame.from_records(records)
    return counts[counts["org_id"].isin(known)].groupby("org_id")[
        ["rows", "registered", "active"]].sum()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--week", default="2024-01-29")
    parser.add_argument("--out", type=Path, default=None, help="write per-organisation counts")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = count_week(args.data_dir, args.week)
    seconds = time.perf_counter() - started
    if args.out:
        counts.to_csv(args.out)
    print(f"naive: {len(counts)} organisations, rows {counts['rows'].sum()}, registered "
          f"{counts['registered'].sum()}, active {counts['active'].sum()} in {seconds:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
