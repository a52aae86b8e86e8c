#!/usr/bin/env python3
"""Time ``history.history`` and its analyses on a year of a region ten times the sample.

Synthetic processed weeks are written to a temporary folder (or ``--out``): ``--weeks``
(default 52) weekly folders, each with ``metrics.parquet`` and ``org_metrics.parquet`` of
``--orgs`` (default 1,230) organisations over the region's МО, built with
``metrics.mo_metrics`` so that dtypes and row order are the real ones. The indicator
columns (``sustained`` and the like) are stored from the fourth week on, as in a history
whose first weeks were processed before they existed. Generating is not timed.

Usage: ``python benchmarks/bench_history.py [--weeks 52] [--orgs 1230] [--repeat 5]``.
Prints a Markdown table (best and median of ``--repeat`` calls, seconds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sferum_analysis import history as hist  # noqa: E402
from sferum_analysis import municipalities  # noqa: E402
from sferum_analysis.indicators import (  # noqa: E402
    INDICATOR_COLUMNS,
    EarlierWeek,
    add_indicators,
)
from sferum_analysis.metrics import ActiveRule, mo_metrics, org_activity  # noqa: E402
from sferum_analysis.storage import write_tables  # noqa: E402

TYPES = np.array(["ДОО", "ОО", "СПО", "ДО"])
STATUSES = np.array(["reported", "missing_export", "no_data_for_date", "unreadable"])


def registry(n_orgs: int, rng: np.random.Generator) -> pd.DataFrame:
    names = municipalities.canonical_names()
    order = municipalities.order_of()
    mo = rng.choice(names, size=n_orgs)
    return pd.DataFrame({
        "org_id": [str(100000 + i) for i in range(n_orgs)],
        "org_name": [f"Организация {i}" for i in range(n_orgs)],
        "mo": mo,
        "mo_order": [order[m] for m in mo],
        "org_type": rng.choice(TYPES, size=n_orgs, p=[0.45, 0.4, 0.05, 0.1]),
        "staff_total": rng.integers(5, 80, size=n_orgs),
        "registry_row": np.arange(2, n_orgs + 2),
    }).astype({"org_id": "string", "org_name": "string", "mo": "string",
               "org_type": "string"})


def write_history(out: Path, n_weeks: int, n_orgs: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    reg = registry(n_orgs, rng)
    never = rng.random(n_orgs) < 0.02          # organisations that never export
    start = dt.date(2024, 1, 1)
    weeks = []
    for k in range(n_weeks):
        week = (start + dt.timedelta(weeks=k)).isoformat()
        status = rng.choice(STATUSES, size=n_orgs, p=[0.92, 0.05, 0.02, 0.01])
        status[never] = "missing_export"
        reported = status == "reported"
        registered = np.where(reported, rng.binomial(reg["staff_total"], 0.9), 0)
        active = rng.binomial(registered, 0.35)
        orgs = reg.assign(files=reported.astype("int64"), status=status,
                          registered=registered, active=active)
        orgs = orgs.astype({"status": "string", "registered": "int64", "active": "int64"})
        metrics = mo_metrics(orgs)
        if k >= 3:
            sustained = rng.binomial(registered, 0.2)
            flows = np.where(reported, rng.integers(0, 3, size=n_orgs), -1)
            orgs = orgs.assign(
                sustained=sustained, pct_sustained=pd.NA, new_registered=flows, left=flows
            ).astype(INDICATOR_COLUMNS)
            for col in ("new_registered", "left"):
                orgs[col] = orgs[col].mask(orgs[col] < 0)
            sums = orgs.groupby(["org_type", "mo"])[["sustained"]].sum()
            metrics["sustained"] = pd.array(
                [sums["sustained"].get((t, m), 0) for t, m in zip(metrics["org_type"],
                                                                  metrics["mo"], strict=True)],
                dtype="Int64")
            metrics["pct_sustained"] = pd.array([None] * len(metrics), dtype="Float64")
            metrics["new_registered"] = metrics["sustained"]
            metrics["left"] = metrics["sustained"]
        write_tables(out / week, {"metrics": metrics, "org_metrics": orgs})
        weeks.append(week)
    return weeks


def indicator_inputs(n_orgs: int, per_org: int = 32, seed: int = 2):
    """This week and three earlier ones of ``n_orgs`` organisations, ``per_org`` rows each
    drawn from 36 names (so persons join and leave), for :func:`add_indicators`."""
    rng = np.random.default_rng(seed)
    reg = registry(n_orgs, rng).assign(files=1, status="reported").astype({"status": "string"})

    def week() -> pd.DataFrame:
        ids = np.repeat(reg["org_id"].to_numpy(dtype=object), per_org)
        names = np.array([f"сотрудник {j}" for j in rng.integers(0, 36, len(ids))],
                         dtype=object)
        return pd.DataFrame({"org_id": ids, "person_key": names,
                             "messages_7d": rng.integers(0, 3, len(ids)),
                             "calls_7d": rng.integers(0, 2, len(ids))}).astype(
            {"org_id": "string", "person_key": "string"}).drop_duplicates(
            ["org_id", "person_key"])

    weeks = [week() for _ in range(4)]
    orgs = reg.assign(registered=reg["org_id"].map(weeks[0]["org_id"].value_counts())
                      .fillna(0).astype("int64"))
    org_metrics = org_activity(orgs, weeks[0], ActiveRule())
    earlier = [EarlierWeek.from_tables(w, reg) for w in weeks[1:]]
    return mo_metrics(org_metrics), org_metrics, weeks[0], earlier


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--orgs", type=int, default=1230)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="keep the weeks in this folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_history_") as tmp:
        root = args.out or Path(tmp)
        t0 = time.perf_counter()
        write_history(root, args.weeks, args.orgs)
        generated = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
        best, median, h = timed(lambda: hist.history(root), args.repeat)
        rows = [("history(processed_root)", best, median)]
        analyses = {
            "mo_changes(pct_active, 4 weeks)":
                lambda: hist.mo_changes(h.metrics, "pct_active", last_weeks=4),
            "biggest_movers(pct_registered, 52 weeks)":
                lambda: hist.biggest_movers(h.metrics, "pct_registered", last_weeks=52),
            "one_off_bursts(4 weeks)": lambda: hist.one_off_bursts(h.orgs),
            "never_exported(all weeks)": lambda: hist.never_exported(h.orgs),
        }
        metrics, org_metrics, persons, earlier = indicator_inputs(args.orgs)
        analyses[f"add_indicators({len(persons):,} persons a week)"] = lambda: add_indicators(
            metrics, org_metrics, persons, earlier, ActiveRule(), earlier_folders=3)
        found = {}
        for label, fn in analyses.items():
            b, m, result = timed(fn, args.repeat)
            rows.append((label, b, m))
            found[label] = result
        print(f"{args.weeks} weeks × {args.orgs} organisations: {len(h.metrics):,} long metric "
              f"rows, {len(h.orgs):,} organisation rows; {size / 1e6:.1f} MB of Parquet "
              f"(generated in {generated:.1f} s, not timed)\n")
        print("| call | best, s | median, s |")
        print("|---|---|---|")
        for label, b, m in rows:
            print(f"| `{label}` | {b:.3f} | {m:.3f} |")
        print(f"\nbursts: {len(found['one_off_bursts(4 weeks)'])}, never exported: "
              f"{len(found['never_exported(all weeks)'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
