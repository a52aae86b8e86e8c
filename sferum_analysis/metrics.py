"""Per-municipality metrics: % registered, % active, coverage, ranking.

All ratios are computed on integers: rounding is half-up to one decimal on the *exact*
ratio and ranking compares exact fractions, so no binary floating-point artefact can
move a municipality across a rounding or ranking boundary.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from .findings import Finding
from .municipalities import Municipalities
from .registry import ORG_TYPES
from .rules import ActiveRule

TOTAL = "total"

METRIC_COLUMNS = {
    "org_type": "string",
    "mo": "string",
    "staff_total": "int64",
    "registered": "int64",
    "active": "int64",
    "pct_registered": "Float64",
    "pct_active": "Float64",
    "orgs_expected": "int64",
    "orgs_reported": "int64",
    "rank_registered": "Int64",
    "rank_active": "Int64",
    "register_exceeded": "bool",
    "coverage_complete": "bool",
}


def pct(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator × 100`` rounded half-up to one decimal; None if 0/0-like."""
    if denominator == 0:
        return None
    if numerator < 0 or denominator < 0:
        raise ValueError("counts must be non-negative")
    tenths, remainder = divmod(numerator * 1000, denominator)
    if 2 * remainder >= denominator:
        tenths += 1
    return tenths / 10


def exact_ratio(numerator: int, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


def pct_change(numerator: int, denominator: int, prev_numerator: int,
               prev_denominator: int) -> float | None:
    """Change of a percentage in percentage points, from the *exact* ratios of both weeks.

    ``(n/d − n₀/d₀) × 100`` rounded to one decimal, half away from zero (so +0,05 and
    −0,05 round to +0,1 and −0,1 alike); None when either denominator is 0. Because both
    published values are rounded too, the change may differ by 0,1 from the difference
    of the two published values (10,04 → 10,16 is shown as 10,0 → 10,2 with +0,1).
    """
    if denominator == 0 or prev_denominator == 0:
        return None
    diff = (Fraction(numerator, denominator) - Fraction(prev_numerator, prev_denominator)) * 1000
    tenths = int(abs(diff) + Fraction(1, 2))  # floor(|x| + 1/2): half away from zero
    return (tenths if diff >= 0 else -tenths) / 10


def same_rule(a: ActiveRule | None, b: ActiveRule | None) -> bool:
    """Whether two activity rules count the same persons as active (None: unknown)."""
    if a is None or b is None or a.kind != b.kind:
        return False
    return a.kind == "any" or (a.min_messages, a.min_calls) == (b.min_messages, b.min_calls)


def org_activity(orgs: pd.DataFrame, persons: pd.DataFrame, rule: ActiveRule) -> pd.DataFrame:
    """``orgs`` (from cleaning) with an ``active`` column under the given rule."""
    active = persons.loc[rule.mask(persons), "org_id"].value_counts()
    return orgs.assign(active=orgs["org_id"].map(active).fillna(0).astype("int64"))


def _rank(frame: pd.DataFrame, num: str, den: str) -> pd.Series:
    """1-based rank by exact ratio descending, ties in canonical order; NA if den is 0."""
    keyed = [
        (exact_ratio(int(n), int(d)), int(o), i)
        for i, n, d, o in zip(frame.index, frame[num], frame[den], frame["mo_order"], strict=True)
    ]
    ranked = sorted((k for k in keyed if k[0] is not None), key=lambda k: (-k[0], k[1]))
    ranks = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    for position, (_, _, i) in enumerate(ranked, 1):
        ranks[i] = position
    return ranks


def mo_metrics(orgs: pd.DataFrame, municipalities: Municipalities | None = None) -> pd.DataFrame:
    """One row per (org_type, МО) for every МО of the list, plus a pooled ``total`` row per type.

    ``municipalities`` is the region's list (the built-in Oryol list if None): the rows of
    a type are its МО in canonical order, then ``total``; ranks break ties in that order.
    ``orgs`` needs ``org_type, mo, staff_total, registered, active, status``; a ``mo``
    outside the list is an error (its organisations would otherwise vanish from the sums).
    Internally the total row's ``mo_order`` is ``municipalities.total_order`` (N + 1);
    ``mo_order`` is not among the returned columns.
    """
    mun = Municipalities.builtin() if municipalities is None else municipalities
    names = mun.canonical_names()
    order = mun.order_of()
    unknown = sorted(set(orgs["mo"].dropna().astype(str)) - set(names))
    if unknown or orgs["mo"].isna().any():
        shown = ", ".join(f"«{u}»" for u in unknown[:5]) or "пустое МО"
        raise ValueError(f"МО организаций не из списка МО региона "
                         f"({mun.source or 'список МО'}): {shown}")
    types = [t for t in ORG_TYPES if t in set(orgs["org_type"])]
    grid = pd.MultiIndex.from_product([types, names], names=["org_type", "mo"])
    sums = (
        orgs.assign(reported=(orgs["status"] == "reported").astype("int64"), expected=1)
        .groupby(["org_type", "mo"], observed=True)[
            ["staff_total", "registered", "active", "expected", "reported"]]
        .sum()
        .reindex(grid, fill_value=0)
        .rename(columns={"expected": "orgs_expected", "reported": "orgs_reported"})
        .reset_index()
    )
    sums["mo_order"] = sums["mo"].map(order).astype("int64")
    blocks = []
    for org_type in types:
        block = sums[sums["org_type"] == org_type].copy()
        block["rank_registered"] = _rank(block, "registered", "staff_total")
        block["rank_active"] = _rank(block, "active", "registered")
        total = block[["staff_total", "registered", "active", "orgs_expected",
                       "orgs_reported"]].sum().to_dict()
        total_row = pd.DataFrame([{"org_type": org_type, "mo": TOTAL, "mo_order": mun.total_order,
                                   **total}])
        blocks.append(pd.concat([block, total_row], ignore_index=True))
    out = pd.concat(blocks, ignore_index=True) if blocks else sums.iloc[0:0]
    out["pct_registered"] = [pct(r, s) for r, s in zip(out["registered"], out["staff_total"],
                                                        strict=True)]
    out["pct_active"] = [pct(a, r) for a, r in zip(out["active"], out["registered"], strict=True)]
    out["register_exceeded"] = out["registered"] > out["staff_total"]
    out["coverage_complete"] = out["orgs_reported"] == out["orgs_expected"]
    for col in ("rank_registered", "rank_active"):
        if col not in out:
            out[col] = pd.NA
    return out[list(METRIC_COLUMNS)].astype(METRIC_COLUMNS).reset_index(drop=True)


#: Week-over-week columns added by :func:`with_previous` (empty without a previous week).
PREVIOUS_COLUMNS = {
    "pct_registered_prev": "Float64",
    "pct_active_prev": "Float64",
    "change_registered_pp": "Float64",
    "change_active_pp": "Float64",
    "rank_registered_prev": "Int64",
    "rank_active_prev": "Int64",
}


def with_previous(metrics: pd.DataFrame, previous: pd.DataFrame | None, *,
                  compare_active: bool = True) -> pd.DataFrame:
    """``metrics`` with the previous week's values, ranks and the changes (p. p.).

    ``pct_*_prev`` and ``rank_*_prev`` are the previous week's published values (the
    ``metrics`` of that week, matched by org_type and МО); ``change_*_pp`` come from
    :func:`pct_change` on the counts of both weeks. Everything is empty without a
    previous week, for a (type, МО) absent from it, and — for activity — when
    ``compare_active`` is false (the weeks were counted under different activity rules).
    """
    out = metrics.copy()
    for col, dtype in PREVIOUS_COLUMNS.items():
        out[col] = pd.Series(pd.NA, index=out.index, dtype=dtype)
    if previous is None or previous.empty:
        return out
    prev = {(str(r.org_type), str(r.mo)): r for r in previous.itertuples(index=False)}
    for i, rec in out.iterrows():
        p = prev.get((str(rec["org_type"]), str(rec["mo"])))
        if p is None:
            continue
        out.at[i, "pct_registered_prev"] = p.pct_registered
        out.at[i, "rank_registered_prev"] = p.rank_registered
        out.at[i, "change_registered_pp"] = pct_change(
            int(rec["registered"]), int(rec["staff_total"]), int(p.registered),
            int(p.staff_total))
        if compare_active:
            out.at[i, "pct_active_prev"] = p.pct_active
            out.at[i, "rank_active_prev"] = p.rank_active
            out.at[i, "change_active_pp"] = pct_change(
                int(rec["active"]), int(rec["registered"]), int(p.active), int(p.registered))
    return out.astype(PREVIOUS_COLUMNS)


def ranked(metrics: pd.DataFrame, org_type: str, by: str,
           municipalities: Municipalities | None = None) -> pd.DataFrame:
    """Rows of one type ranked by ``registered`` or ``active`` (NA ranks last, canonical).

    ``municipalities``: the list the metrics were computed with; None: the order of the
    rows (:func:`mo_metrics` gives them in canonical order).
    """
    rank_col = f"rank_{by}"
    block = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] != TOTAL)]
    ordinal = (block["mo"].map(municipalities.order_of()) if municipalities is not None
               else pd.Series(range(len(block)), index=block.index))
    return (
        block.assign(_na=block[rank_col].isna(), _ord=ordinal)
        .sort_values(["_na", rank_col, "_ord"], kind="stable")
        .drop(columns=["_na", "_ord"])
        .reset_index(drop=True)
    )


def total_row(metrics: pd.DataFrame, org_type: str) -> pd.Series:
    rows = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == TOTAL)]
    return rows.iloc[0]


def anomaly_findings(orgs: pd.DataFrame) -> list[Finding]:
    """Organisations with more registered persons than staff on the register."""
    over = orgs[orgs["registered"] > orgs["staff_total"]]
    return [
        Finding(
            "register_exceeded",
            f"«{rec.org_name}» ({rec.mo}, {rec.org_type}): зарегистрировано {rec.registered}, "
            f"а в реестре {rec.staff_total} педагогов — обновите численность в реестре",
            "", org_id=rec.org_id,
        )
        for rec in over.itertuples(index=False)
    ]
