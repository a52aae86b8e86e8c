"""Indicators across weeks (data contract, section 7): sustained activity and flows.

* ``sustained``: persons registered in the reporting week who were active in at least
  :data:`SUSTAINED_MIN_ACTIVE` (3) of the :data:`SUSTAINED_WEEKS` (4) weeks ending with it
  (this week and the three preceding week folders of ``data/raw``). ``pct_sustained`` =
  sustained / registered × 100, rounded half-up to one decimal (:func:`metrics.pct`).
* ``new_registered``: persons of the reporting week who were not in the previous week's
  export of the same organisation; ``left``: persons of the previous week who are not in
  this week's. Counted only over organisations with a usable export in both weeks.

Everything here is a pure function over DataFrames; :func:`load_earlier_week` and
:func:`earlier_weeks` are the only readers (of ``persons.parquet`` and ``orgs.parquet`` of
earlier processed weeks), for the metrics step to gather its inputs.

Decisions (where the contract is silent):

* A person is ``(org_id, person_key)``: the same person key in another organisation in an
  earlier week is another person and does not count.
* Activity is the run's :class:`rules.ActiveRule` applied to each week's
  ``messages_7d``/``calls_7d`` (never a stored flag), so all four weeks are counted under one
  rule even when an earlier week was published under another.
* A week counts as active for a person only if the organisation had a usable export that week
  (status ``reported``); an earlier week folder without processed data (``None``) counts as a
  week without a usable export for every organisation. A person's rows in a week whose
  organisation is not in the usable set are ignored.
* Duplicates of a person within one week (cleaning already keeps one row per person key;
  hand-made tables may not) count once: the person is registered once, and is active that
  week if any of their rows is active under the rule.
* The denominator of ``pct_sustained`` is the ``registered`` column of the frame the value is
  merged into (the published figure), so ``pct_sustained`` and ``registered`` never disagree.
* Per organisation: ``sustained`` is 0 for an organisation without persons this week
  (like ``active``), ``pct_sustained`` empty where registered = 0. ``new_registered`` and
  ``left`` are empty for an organisation without a usable export in this or the previous
  week. Per (org_type, МО) and in the ``total`` rows (pooled, Σ over the МО rows of the
  type): ``sustained`` = Σ sustained (0 for an МО without organisations); ``new_registered``
  and ``left`` = Σ over the compared organisations, empty when no organisation of the row
  was compared (so 0 always means "compared, and nobody joined / left").
* With fewer than three earlier week folders, ``sustained`` and ``pct_sustained`` are empty
  everywhere; with no earlier week folder, ``new_registered`` and ``left`` are empty everywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .metrics import TOTAL, ActiveRule, pct
from .store import table_path

#: Weeks of the sustained-activity window (this week and the three before it).
SUSTAINED_WEEKS = 4
#: Active weeks out of :data:`SUSTAINED_WEEKS` that make a person "sustained".
SUSTAINED_MIN_ACTIVE = 3
#: Earlier week folders the window needs.
EARLIER_NEEDED = SUSTAINED_WEEKS - 1
#: An organisation's export is usable in a week when its ``orgs.status`` is this.
USABLE_STATUS = "reported"

#: Columns :func:`org_indicators` and :func:`mo_indicators` produce, with their dtypes.
INDICATOR_COLUMNS = {
    "sustained": "Int64",
    "pct_sustained": "Float64",
    "new_registered": "Int64",
    "left": "Int64",
}
_KEY = ["org_id", "person_key"]
#: Columns of ``persons`` the indicators read.
PERSON_INPUT_COLUMNS = ["org_id", "person_key", "messages_7d", "calls_7d"]


@dataclass(frozen=True)
class EarlierWeek:
    """One earlier week: its persons and the organisations that had a usable export.

    ``persons`` needs ``org_id, person_key, messages_7d, calls_7d`` (the processed
    ``persons`` table has them); ``usable_orgs`` are the org ids with status ``reported``.
    """

    persons: pd.DataFrame
    usable_orgs: frozenset[str]
    week: str = field(default="")

    @classmethod
    def from_tables(cls, persons: pd.DataFrame, orgs: pd.DataFrame,
                    week: str = "") -> EarlierWeek:
        """From a processed week's ``persons`` and ``orgs`` (or ``org_metrics``)."""
        return cls(persons, usable_orgs(orgs), week)


def usable_orgs(orgs: pd.DataFrame) -> frozenset[str]:
    """Org ids with a usable export (``status == "reported"``)."""
    return frozenset(orgs.loc[orgs["status"] == USABLE_STATUS, "org_id"].astype(str))


def load_earlier_week(processed_week_dir: str | Path) -> EarlierWeek | None:
    """An earlier processed week from its Parquet files; None when it has no processed data.

    Reads only the needed columns of ``persons.parquet`` and ``orgs.parquet``.
    """
    directory = Path(processed_week_dir)
    persons_file, orgs_file = table_path(directory, "persons"), table_path(directory, "orgs")
    if not (persons_file.is_file() and orgs_file.is_file()):
        return None
    persons = pq.read_table(persons_file, columns=PERSON_INPUT_COLUMNS).to_pandas()
    orgs = pq.read_table(orgs_file, columns=["org_id", "status"]).to_pandas()
    return EarlierWeek.from_tables(persons, orgs, directory.name)


def earlier_weeks(raw_weeks: Sequence[str], week: str, processed_root: str | Path
                  ) -> tuple[list[EarlierWeek | None], int]:
    """The inputs of :func:`org_indicators` for ``week``: ``(earlier, earlier_folders)``.

    ``raw_weeks`` are the week folders of ``data/raw`` (``Paths.weeks()``); the earlier
    ones are counted, and the (up to) three latest of them are loaded from
    ``processed_root/<week>/``, most recent first (None where a folder has no processed
    data).
    """
    before = sorted(w for w in raw_weeks if w < week)
    recent = before[::-1][:EARLIER_NEEDED]
    root = Path(processed_root)
    return [load_earlier_week(root / w) for w in recent], len(before)


class _Keys:
    """Persons of several weeks as integer keys: one code per ``(org_id, person_key)``.

    All weeks are factorised together, so a key means the same person (of the same
    organisation) in every week; the set operations then run on int64 arrays.
    """

    def __init__(self, weeks: Sequence[pd.DataFrame]):
        frames = [w[_KEY] for w in weeks]
        both = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_KEY)
        org_codes, self.org_ids = pd.factorize(both["org_id"].astype("string"))
        self._org_list = [str(o) for o in self.org_ids]
        person_codes, persons = pd.factorize(both["person_key"].astype("string"))
        self._stride = np.int64(max(len(persons), 1))
        keys = org_codes.astype(np.int64) * self._stride + person_codes
        bounds = np.cumsum([0, *(len(f) for f in frames)])
        self._keys = [keys[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self._orgs = [org_codes[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def week(self, i: int, rows: np.ndarray | None = None,
             orgs: Collection[str] | None = None) -> np.ndarray:
        """Distinct keys of week ``i``: only ``rows`` (a mask) and organisations ``orgs``."""
        keep = np.ones(len(self._keys[i]), dtype=bool) if rows is None else rows.copy()
        if orgs is not None:
            keep &= self.org_mask(orgs)[self._orgs[i]]
        return np.unique(self._keys[i][keep])

    def org_mask(self, orgs: Collection[str]) -> np.ndarray:
        """Per org code: whether its id is in ``orgs``."""
        wanted = orgs if isinstance(orgs, set | frozenset) else set(orgs)
        return np.fromiter((o in wanted for o in self._org_list), dtype=bool,
                           count=len(self._org_list))

    def per_org(self, keys: np.ndarray, org_ids: pd.Series) -> pd.Series:
        """Number of ``keys`` of each organisation of ``org_ids`` (0 where none)."""
        # one more bin, always 0, for the organisations without any person
        counts = np.bincount(keys // self._stride, minlength=len(self.org_ids) + 1)
        where = pd.Index(self.org_ids).get_indexer(org_ids)
        return pd.Series(counts[np.where(where >= 0, where, len(self.org_ids))],
                         index=org_ids.index, dtype="Int64")


def _check_earlier(earlier: Sequence[EarlierWeek | None], earlier_folders: int) -> None:
    if earlier_folders < 0:
        raise ValueError(f"число более ранних недель не может быть отрицательным: "
                         f"{earlier_folders}")
    expected = min(earlier_folders, EARLIER_NEEDED)
    if len(earlier) != expected:
        raise ValueError(f"нужно {expected} более ранних недель (самая поздняя первой), "
                         f"передано {len(earlier)}")


def org_indicators(orgs: pd.DataFrame, persons: pd.DataFrame,
                   earlier: Sequence[EarlierWeek | None], rule: ActiveRule, *,
                   earlier_folders: int) -> pd.DataFrame:
    """Per organisation of ``orgs`` (same rows, same order): ``org_id`` and the indicators.

    ``orgs`` is this week's ``orgs`` or ``org_metrics`` (``org_id, status, registered``);
    ``persons`` this week's persons. ``earlier`` are the preceding week folders, **most
    recent first**: ``earlier[0]`` is the previous week; each an :class:`EarlierWeek`, or
    None for a folder without processed data. ``earlier_folders`` is how many week folders
    before this one exist in ``data/raw`` (any number); ``earlier`` must hold
    ``min(earlier_folders, 3)`` entries. Decisions: the module docstring.
    """
    _check_earlier(earlier, earlier_folders)
    org_ids = orgs["org_id"].astype("string")
    # week 0 is this week, 1.. the earlier ones with processed data (None: no usable export)
    weeks = [(persons, None), *((w.persons, w.usable_orgs) for w in earlier if w is not None)]
    keys = _Keys([w for w, _ in weeks])
    registered = keys.week(0)
    out = pd.DataFrame({"org_id": org_ids}, index=orgs.index)

    # sustained: active weeks of each registered person over this week and three before
    if earlier_folders >= EARLIER_NEEDED:
        active = np.concatenate([
            keys.week(i, rule.mask(frame).to_numpy(dtype=bool), usable)
            for i, (frame, usable) in enumerate(weeks)])
        person, weeks_active = np.unique(active, return_counts=True)
        sustained = np.intersect1d(person[weeks_active >= SUSTAINED_MIN_ACTIVE], registered,
                                   assume_unique=True)
        out["sustained"] = keys.per_org(sustained, org_ids)
    else:
        out["sustained"] = pd.Series(pd.NA, index=orgs.index, dtype="Int64")
    out["pct_sustained"] = pd.array(
        [None if pd.isna(s) else pct(int(s), int(r))
         for s, r in zip(out["sustained"], orgs["registered"], strict=True)], dtype="Float64")

    # flows: persons joined / left since the previous week, over organisations usable in both
    previous = earlier[0] if earlier_folders >= 1 else None
    out["new_registered"] = pd.Series(pd.NA, index=orgs.index, dtype="Int64")
    out["left"] = pd.Series(pd.NA, index=orgs.index, dtype="Int64")
    if previous is not None:
        compared = usable_orgs(orgs) & previous.usable_orgs
        now, before = keys.week(0, orgs=compared), keys.week(1, orgs=compared)
        is_compared = np.fromiter((o in compared for o in org_ids.astype(str)), dtype=bool,
                                  count=len(org_ids))
        for col, moved in (("new_registered", np.setdiff1d(now, before, assume_unique=True)),
                           ("left", np.setdiff1d(before, now, assume_unique=True))):
            out[col] = keys.per_org(moved, org_ids).where(is_compared, pd.NA)
    return out[["org_id", *INDICATOR_COLUMNS]].astype(INDICATOR_COLUMNS)


def mo_indicators(metrics: pd.DataFrame, orgs: pd.DataFrame,
                  org_ind: pd.DataFrame) -> pd.DataFrame:
    """The indicators for every row of ``metrics`` (same index and order).

    ``metrics`` is :func:`metrics.mo_metrics`'s frame (``org_type, mo, registered``; its
    (type, МО) rows and ``total`` rows decide the rows here: no МО list of its own);
    ``orgs`` gives each organisation's ``org_id, org_type, mo``; ``org_ind`` is
    :func:`org_indicators`'s frame. ``total`` rows are pooled: Σ over the МО rows of the
    type, ``pct_sustained`` = Σ sustained / Σ registered.
    """
    per_org = orgs[["org_id", "org_type", "mo"]].astype("string").merge(
        org_ind.astype({"org_id": "string"}), on="org_id", how="inner")
    sustained_known = bool(org_ind["sustained"].notna().any())
    sums = per_org.groupby(["org_type", "mo"], observed=True)[
        ["sustained", "new_registered", "left"]].sum(min_count=1)
    keys = pd.MultiIndex.from_arrays([metrics["org_type"].astype(str),
                                      metrics["mo"].astype(str)], names=["org_type", "mo"])
    out = pd.DataFrame({"org_type": metrics["org_type"], "mo": metrics["mo"]},
                       index=metrics.index)
    for col in ("sustained", "new_registered", "left"):
        values = sums[col].reindex(keys).astype("Int64").to_numpy()
        out[col] = pd.array(values, dtype="Int64")
    if sustained_known:
        out["sustained"] = out["sustained"].fillna(0)
    is_total = (metrics["mo"] == TOTAL).to_numpy(dtype=bool)
    for org_type in pd.unique(metrics.loc[is_total, "org_type"]):
        rows = (metrics["org_type"] == org_type).to_numpy(dtype=bool)
        for col in ("sustained", "new_registered", "left"):
            out.loc[rows & is_total, col] = out.loc[rows & ~is_total, col].sum(min_count=1)
    out["pct_sustained"] = pd.array(
        [None if pd.isna(s) else pct(int(s), int(r))
         for s, r in zip(out["sustained"], metrics["registered"], strict=True)],
        dtype="Float64")
    return out[["org_type", "mo", *INDICATOR_COLUMNS]].astype(INDICATOR_COLUMNS)


def _put(frame: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the indicator columns of ``values`` (same index): existing columns
    are replaced in place, new ones appended; other columns and the row order unchanged."""
    out = frame.copy()
    for col, dtype in INDICATOR_COLUMNS.items():
        out[col] = values[col].astype(dtype)
    return out


def with_indicators(metrics: pd.DataFrame, org_metrics: pd.DataFrame, org_ind: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(metrics, org_metrics)`` with ``sustained, pct_sustained, new_registered, left``.

    ``metrics`` gets the per-(type, МО) and ``total`` values (:func:`mo_indicators`),
    ``org_metrics`` the per-organisation ones (matched by ``org_id``; ``pct_sustained``
    recomputed on its own ``registered``); other columns and the order of rows are kept.
    """
    by_org = org_ind.astype({"org_id": "string"}).drop_duplicates("org_id").set_index("org_id")
    ids = org_metrics["org_id"].astype("string")
    per_org = pd.DataFrame(
        {col: by_org[col].reindex(ids).to_numpy() for col in INDICATOR_COLUMNS},
        index=org_metrics.index).astype(INDICATOR_COLUMNS)
    per_org["pct_sustained"] = pd.array(
        [None if pd.isna(s) else pct(int(s), int(r))
         for s, r in zip(per_org["sustained"], org_metrics["registered"], strict=True)],
        dtype="Float64")
    return (_put(metrics, mo_indicators(metrics, org_metrics, org_ind)),
            _put(org_metrics, per_org))


def add_indicators(metrics: pd.DataFrame, org_metrics: pd.DataFrame, persons: pd.DataFrame,
                   earlier: Sequence[EarlierWeek | None], rule: ActiveRule, *,
                   earlier_folders: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The one call for the metrics step: :func:`org_indicators` then :func:`with_indicators`."""
    org_ind = org_indicators(org_metrics, persons, earlier, rule,
                             earlier_folders=earlier_folders)
    return with_indicators(metrics, org_metrics, org_ind)
