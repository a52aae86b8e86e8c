"""Every processed week as one tidy table, and the questions the exploration notebook asks.

``history(processed_root)`` reads ``metrics.parquet`` and ``org_metrics.parquet`` of each
``<processed_root>/<YYYY-MM-DD>/`` (only the needed columns, with pyarrow, concatenated once)
and returns a :class:`History`:

* ``metrics``: long, one row per (week, org_type, МО, metric): columns ``week, org_type,
  mo, metric, value`` (``value`` Float64; ``mo`` is ``total`` for the pooled rows). A metric
  appears for a week only if that week's file has the column (the indicators of section 7,
  ``sustained`` and the like, exist only in weeks processed since they were added).
  Rows: weeks oldest first, then the rows of each ``metrics.parquet`` (canonical order),
  then :data:`METRICS` order.
* ``orgs``: one row per (week, organisation): ``week, org_id, org_name, org_type, mo,
  mo_order, status, staff_total, registered, active, pct_registered, pct_active`` and the
  indicator columns (empty in weeks without them).

The analyses below are pure functions over these tables. They take the values as
published: a week counted under another activity rule is not re-counted here (the
``metrics_meta.json`` of each week says which rule it used).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import is_week_name
from .metrics import TOTAL, pct_change
from .registry import ORG_TYPES
from .store import has_metrics, table_path

#: Metrics of the long table, in this order (the last four only where stored).
METRICS = ("staff_total", "registered", "active", "pct_registered", "pct_active",
           "orgs_expected", "orgs_reported", "sustained", "pct_sustained", "new_registered",
           "left")
#: Percentages and the counts they are the ratio of (changes are computed on the counts).
RATIOS = {
    "pct_registered": ("registered", "staff_total"),
    "pct_active": ("active", "registered"),
    "pct_sustained": ("sustained", "registered"),
}
_COUNT = pa.int64()
_PCT = pa.float64()
_TEXT = pa.string()
_METRIC_TYPES = {name: _PCT if name.startswith("pct_") else _COUNT for name in METRICS}
#: Columns read from ``org_metrics.parquet`` and their types.
ORG_COLUMNS = {
    "org_id": _TEXT, "org_name": _TEXT, "org_type": _TEXT, "mo": _TEXT, "mo_order": _COUNT,
    "status": _TEXT, "staff_total": _COUNT, "registered": _COUNT, "active": _COUNT,
    "sustained": _COUNT, "pct_sustained": _PCT, "new_registered": _COUNT, "left": _COUNT,
}
#: Organisation status of a usable export.
USABLE = "reported"
#: Weeks read at once (pyarrow releases the GIL while it decodes).
READ_THREADS = 2
_PANDAS_TYPES = {_COUNT: pd.Int64Dtype(), _PCT: pd.Float64Dtype(), _TEXT: pd.StringDtype()}


@dataclass
class History:
    """Processed weeks (oldest first) as long tables; see the module docstring."""

    weeks: list[str]
    metrics: pd.DataFrame
    orgs: pd.DataFrame
    #: requested weeks that have no ``metrics.parquet``
    missing: list[str] = field(default_factory=list)


def processed_weeks(processed_root: str | Path) -> list[str]:
    """Week folders of ``processed_root`` that hold a ``metrics.parquet``, oldest first."""
    root = Path(processed_root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and is_week_name(p.name) and has_metrics(p))


def _read(path: Path, types: dict[str, pa.DataType], week: str) -> tuple[pa.Table, list[bool]]:
    """The columns of ``types`` present in the file, cast, the absent ones as nulls;
    a ``week`` column in front. Also which of ``types`` the file had."""
    parquet = pq.ParquetFile(path)
    available = set(parquet.schema_arrow.names)
    present = [name in available for name in types]
    # one open per file, single-threaded (the files are small; weeks are read in parallel)
    table = parquet.read(columns=[c for c in types if c in available], use_threads=False)
    n = table.num_rows
    columns = [pa.array(np.full(n, week, dtype=object), _TEXT)]
    for name, typ in types.items():
        columns.append(table.column(name).cast(typ) if name in available
                       else pa.nulls(n, typ))
    return pa.table(columns, names=["week", *types]), present


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get)


def history(processed_root: str | Path, weeks: list[str] | None = None) -> History:
    """Every processed week under ``processed_root`` (or only ``weeks``) as a :class:`History`."""
    root = Path(processed_root)
    available = processed_weeks(root)
    if weeks is None:
        chosen, missing = available, []
    else:
        wanted = sorted(set(weeks))
        chosen = [w for w in wanted if w in set(available)]
        missing = [w for w in wanted if w not in set(available)]
    metric_types = {"org_type": _TEXT, "mo": _TEXT, **_METRIC_TYPES}

    def read_week(week: str) -> tuple[pa.Table, np.ndarray, pa.Table | None]:
        table, present = _read(table_path(root / week, "metrics"), metric_types, week)
        org_file = table_path(root / week, "org_metrics")
        orgs = _read(org_file, ORG_COLUMNS, week)[0] if org_file.is_file() else None
        return table, np.repeat([present[2:]], table.num_rows, axis=0), orgs

    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        weeks_read = list(pool.map(read_week, chosen))
    return History(chosen, _long_metrics([w[0] for w in weeks_read], [w[1] for w in weeks_read]),
                   _org_frame([w[2] for w in weeks_read if w[2] is not None]), missing)


def _long_metrics(tables: list[pa.Table], presence: list[np.ndarray]) -> pd.DataFrame:
    columns = {"week": "string", "org_type": "string", "mo": "string", "metric": "string",
               "value": "Float64"}
    if not tables:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    wide = pa.concat_tables(tables)
    k = len(METRICS)
    values = np.column_stack([
        wide.column(m).cast(_PCT).to_numpy(zero_copy_only=False) for m in METRICS])
    nulls = np.column_stack([wide.column(m).is_null().to_numpy(zero_copy_only=False)
                             for m in METRICS])
    keep = np.concatenate(presence).ravel()
    # row-major: each wide row's metrics in METRICS order, rows where the file had the column
    rows = np.repeat(np.arange(wide.num_rows), k)[keep]
    metric = np.tile(np.arange(k), wide.num_rows)[keep]
    long = pa.table({
        **{c: wide.column(c).take(rows) for c in ("week", "org_type", "mo")},
        "metric": pa.array(METRICS, _TEXT).take(metric),
        "value": pa.array(np.nan_to_num(values.ravel()[keep]), _PCT,
                          mask=nulls.ravel()[keep]),
    })
    return _to_pandas(long)


def pct_array(numerator: pd.Series, denominator: pd.Series) -> pd.arrays.FloatingArray:
    """:func:`metrics.pct` vectorised: half-up to one decimal on the exact ratio, in
    integers; empty where the denominator is 0 or a count is missing."""
    num = numerator.astype("Int64")
    den = denominator.astype("Int64")
    mask = (num.isna() | den.isna() | (den == 0)).to_numpy(dtype=bool)
    n = num.fillna(0).to_numpy(dtype=np.int64)
    d = den.fillna(1).to_numpy(dtype=np.int64)
    d = np.where(mask, 1, d)
    tenths = (2000 * n + d) // (2 * d)   # floor(1000 n / d + 1/2)
    return pd.arrays.FloatingArray(tenths / 10, mask)


def _org_frame(tables: list[pa.Table]) -> pd.DataFrame:
    if tables:
        frame = _to_pandas(pa.concat_tables(tables))
    else:
        frame = pd.DataFrame({"week": pd.Series(dtype="string"),
                              **{c: pd.Series(dtype=_PANDAS_TYPES[t])
                                 for c, t in ORG_COLUMNS.items()}})
    frame.insert(frame.columns.get_loc("active") + 1, "pct_registered",
                 pct_array(frame["registered"], frame["staff_total"]))
    frame.insert(frame.columns.get_loc("pct_registered") + 1, "pct_active",
                 pct_array(frame["active"], frame["registered"]))
    return frame


# ----------------------------------------------------------------------------- analyses
def window(weeks: pd.Series | list[str], last_weeks: int | None) -> list[str]:
    """The last ``last_weeks`` weeks (all when None) of those given, oldest first."""
    names = sorted(map(str, pd.unique(pd.Series(weeks, dtype="string").dropna())))
    return names if last_weeks is None else names[-last_weeks:] if last_weeks > 0 else []


def pivot(metrics: pd.DataFrame, metric: str, org_type: str = "ДОО") -> pd.DataFrame:
    """One metric of one type: rows the МО in the order of the table (canonical) and
    ``total`` last, columns the weeks, oldest first."""
    rows = metrics[(metrics["metric"] == metric) & (metrics["org_type"] == org_type)]
    order = list(pd.unique(rows["mo"]))
    order = [m for m in order if m != TOTAL] + ([TOTAL] if TOTAL in order else [])
    return (rows.pivot(index="mo", columns="week", values="value")
            .reindex(index=order, columns=window(rows["week"], None)))


CHANGE_COLUMNS = {"org_type": "string", "mo": "string", "week_from": "string",
                  "week_to": "string", "value_from": "Float64", "value_to": "Float64",
                  "change": "Float64"}


def _changes(metrics: pd.DataFrame, metric: str, last_weeks: int, org_type: str
             ) -> pd.DataFrame:
    """:func:`mo_changes` with an exact sort key ``_key`` (None where unknown)."""
    weeks = window(metrics.loc[metrics["org_type"] == org_type, "week"], last_weeks)
    if len(weeks) < 2:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CHANGE_COLUMNS.items()}
                            ).assign(_key=pd.Series(dtype=object))
    first, last = weeks[0], weeks[-1]
    needed = [metric, *RATIOS.get(metric, ())]
    rows = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] != TOTAL)
                   & metrics["week"].isin([first, last]) & metrics["metric"].isin(needed)]
    order = list(pd.unique(rows.loc[rows["week"] == last, "mo"]))
    order += [m for m in pd.unique(rows["mo"]) if m not in set(order)]
    table = {(str(n), str(w), str(m)): (None if pd.isna(v) else float(v))
             for n, w, m, v in zip(rows["metric"], rows["week"], rows["mo"], rows["value"],
                                   strict=True)}

    def get(name: str, week: str, mo: str) -> float | None:
        return table.get((name, week, mo))

    records = []
    for mo in order:
        before, after = get(metric, first, mo), get(metric, last, mo)
        change = key = None
        if metric in RATIOS:
            num, den = RATIOS[metric]
            counts = [get(num, last, mo), get(den, last, mo), get(num, first, mo),
                      get(den, first, mo)]
            if None not in counts and counts[1] and counts[3]:
                n, d, n0, d0 = (int(c) for c in counts)
                change = pct_change(n, d, n0, d0)
                key = Fraction(n, d) - Fraction(n0, d0)
        elif before is not None and after is not None:
            key = Fraction(after) - Fraction(before)
            change = after - before
        records.append({"org_type": org_type, "mo": mo, "week_from": first, "week_to": last,
                        "value_from": before, "value_to": after, "change": change, "_key": key})
    return pd.DataFrame.from_records(records, columns=[*CHANGE_COLUMNS, "_key"]).astype(
        CHANGE_COLUMNS)


def _sorted_by_change(frame: pd.DataFrame, descending: bool) -> pd.DataFrame:
    """By the exact change (largest first when ``descending``), unknown last, ties in the
    order of ``frame`` (canonical)."""
    known = [(k, i) for i, k in enumerate(frame["_key"]) if k is not None]
    known.sort(key=lambda p: (-p[0] if descending else p[0], p[1]))
    unknown = [i for i, k in enumerate(frame["_key"]) if k is None]
    positions = [i for _, i in known] + unknown
    return frame.iloc[positions].drop(columns="_key").reset_index(drop=True)


def mo_changes(metrics: pd.DataFrame, metric: str = "pct_active", *, last_weeks: int = 4,
               org_type: str = "ДОО") -> pd.DataFrame:
    """How each МО's ``metric`` changed from the first to the last of the last ``last_weeks``
    weeks (of this type), largest rise first; ties and unknown changes in canonical order.

    Columns ``org_type, mo, week_from, week_to, value_from, value_to, change``. For a
    percentage (:data:`RATIOS`) the change is in percentage points from the exact ratios
    of the counts (:func:`metrics.pct_change`), so it may differ by 0,1 from the difference of
    the rounded values; empty when either week has no value (or a zero denominator). Empty
    table with fewer than two weeks.
    """
    return _sorted_by_change(_changes(metrics, metric, last_weeks, org_type), True)


def biggest_movers(metrics: pd.DataFrame, metric: str = "pct_active", *, last_weeks: int = 4,
                   org_type: str = "ДОО", n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rose, fell)``: the ``n`` МО whose ``metric`` rose most (change > 0, largest first)
    and fell most (change < 0, largest fall first), as in :func:`mo_changes`."""
    changes = _changes(metrics, metric, last_weeks, org_type)
    # boolean Series, not lists: an empty list would select no *columns* (one week only)
    up = changes.loc[pd.Series([k is not None and k > 0 for k in changes["_key"]],
                               index=changes.index, dtype=bool)]
    down = changes.loc[pd.Series([k is not None and k < 0 for k in changes["_key"]],
                                 index=changes.index, dtype=bool)]
    return (_sorted_by_change(up, True).head(n), _sorted_by_change(down, False).head(n))


def _org_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical МО order (``mo_order``), then type (ДОО, ОО, СПО, ДО), then name and id."""
    type_rank = {t: i for i, t in enumerate(ORG_TYPES)}
    return (frame.assign(_t=frame["org_type"].map(type_rank).astype("Int64"))
            .sort_values(["mo_order", "mo", "_t", "org_name", "org_id"], kind="stable",
                         na_position="last")
            .drop(columns="_t").reset_index(drop=True))


BURST_COLUMNS = ["org_id", "org_name", "org_type", "mo", "mo_order", "status", "registered",
                 "active", "earlier_active_weeks", "earlier_reported_weeks"]


def one_off_bursts(orgs: pd.DataFrame, *, last_weeks: int = 4, max_earlier: int = 1
                   ) -> pd.DataFrame:
    """Organisations active only in the reporting week: a one-off burst of activity.

    Definition: over the last ``last_weeks`` weeks of the history (default 4, the window
    of ``sustained``), organisations whose staff were active in the latest week
    (``active > 0``) and in at most ``max_earlier`` (default 1) of the ``last_weeks − 1``
    earlier weeks. With the defaults: active now, but in at most 2 of the 4 weeks — the
    organisation-level mirror of "sustained" (3 of 4). A week in which the organisation
    had no usable export, or was not in the registry, counts as a week without activity;
    ``earlier_reported_weeks`` says in how many earlier weeks it had a usable export (a
    burst after weeks without exports is a different story from one after silent
    weeks). Empty with fewer than ``last_weeks`` weeks of history. Sorted canonically
    (МО, type, name); one row per organisation with its latest figures.
    """
    weeks = window(orgs["week"], last_weeks)
    if len(weeks) < max(last_weeks, 2):
        return orgs.iloc[0:0].assign(
            earlier_active_weeks=pd.Series(dtype="int64"),
            earlier_reported_weeks=pd.Series(dtype="int64"))[BURST_COLUMNS].reset_index(
            drop=True)
    rows, org, week = _coded(orgs, weeks)
    latest = len(weeks) - 1
    active = (rows["active"].fillna(0) > 0).to_numpy(dtype=bool)
    reported = _is(rows["status"], USABLE)
    earlier = week < latest
    now = _last_row(org, week, (week == latest) & active)
    out = rows.iloc[now[now >= 0]]
    codes = org[out.index.to_numpy()] if len(out) else np.array([], dtype=np.int64)
    out = out.reset_index(drop=True).assign(
        earlier_active_weeks=_weeks_per_org(org, week, earlier & active, len(weeks))[codes],
        earlier_reported_weeks=_weeks_per_org(org, week, earlier & reported, len(weeks))[codes])
    out = out[out["earlier_active_weeks"] <= max_earlier]
    return _org_order(out[BURST_COLUMNS])


def _coded(orgs: pd.DataFrame, weeks: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows of ``orgs`` in ``weeks`` (index 0..n-1) with integer codes per organisation
    (order of first appearance) and per week (position in ``weeks``)."""
    week = pd.Index(weeks).get_indexer(orgs["week"].astype(str))
    rows = orgs[week >= 0].reset_index(drop=True)
    org = pd.factorize(rows["org_id"])[0].astype(np.int64)
    return rows, org, week[week >= 0].astype(np.int64)


def _is(column: pd.Series, value: str) -> np.ndarray:
    return (column == value).fillna(False).to_numpy(dtype=bool)


def _weeks_per_org(org: np.ndarray, week: np.ndarray, mask: np.ndarray, n_weeks: int
                   ) -> np.ndarray:
    """Per org code: distinct weeks among the rows of ``mask``."""
    n_orgs = int(org.max(initial=-1)) + 1
    seen = np.bincount(org[mask] * n_weeks + week[mask], minlength=n_orgs * n_weeks) > 0
    return seen.reshape(n_orgs, n_weeks).sum(axis=1)


def _last_row(org: np.ndarray, week: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per org code: the row (position) of its latest week among ``mask``, first row of
    that week; -1 where none."""
    n = len(org)
    best = np.full(int(org.max(initial=-1)) + 1, -1, dtype=np.int64)
    pos = np.flatnonzero(mask)
    # latest week first, then the earliest row: maximise week·n + (n − 1 − position)
    np.maximum.at(best, org[pos], week[pos] * n + (n - 1 - pos))
    return np.where(best >= 0, n - 1 - best % n, -1)


NEVER_COLUMNS = ["org_id", "org_name", "org_type", "mo", "mo_order", "weeks_listed",
                 "weeks_missing_export", "weeks_no_data_for_date", "weeks_unreadable",
                 "first_week", "last_week"]


def never_exported(orgs: pd.DataFrame, *, last_weeks: int | None = None,
                   current_only: bool = True) -> pd.DataFrame:
    """Organisations without a usable export (status ``reported``) in any week.

    Over the last ``last_weeks`` weeks (all when None): organisations listed in those
    weeks whose status was never ``reported``, with how many weeks they were listed and
    in how many each status (no file, no data for the reporting date, unreadable) occurred.
    ``current_only``: only those still in the registry in the latest week. Name, type and
    МО are the latest week's. Sorted canonically (МО, type, name).
    """
    weeks = window(orgs["week"], last_weeks)
    rows, org, week = _coded(orgs, weeks)
    every = np.ones(len(rows), dtype=bool)
    n = len(weeks)
    never = _weeks_per_org(org, week, _is(rows["status"], USABLE), n) == 0
    latest = _last_row(org, week, every)
    if current_only and weeks:
        never &= week[latest] == n - 1
    picked = np.flatnonzero(never)
    out = rows.iloc[latest[picked]][["org_id", "org_name", "org_type", "mo", "mo_order"]]
    out = out.reset_index(drop=True).assign(
        weeks_listed=_weeks_per_org(org, week, every, n)[picked],
        **{f"weeks_{status}": _weeks_per_org(org, week, _is(rows["status"], status), n)[picked]
           for status in ("missing_export", "no_data_for_date", "unreadable")})
    first = np.full(len(never), n, dtype=np.int64)
    np.minimum.at(first, org, week)
    names = np.array(weeks, dtype=object)
    out["first_week"] = pd.array(names[first[picked]], dtype="string")
    out["last_week"] = pd.array(names[week[latest[picked]]], dtype="string")
    return _org_order(out[NEVER_COLUMNS])
