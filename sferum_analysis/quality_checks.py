"""Checks that make the data-quality section useful: what a reader should not trust blindly.

Each check returns :class:`findings.Finding` objects with a stable code (``quality.csv``):

* ``sharp_change`` — the % registered or % active of a municipality (per type of
  organisation) moved by more than a threshold (``--jump-threshold``, percentage points)
  since the previous reporting week;
* ``identical_counts`` — most staff of an organisation (≥ 80 % of ≥ 5 registered) have the
  same non-zero number of messages over 7 days: real activity is never that uniform;
* ``quota_jump`` — many staff of an organisation went from (almost) nothing last week to
  exactly the quota (e.g. 10 messages and 1 call) this week: typical of activity produced
  for the statistics. Persons are matched by person key within the organisation; names
  are never written into a finding.

:func:`org_last_dates` names, for organisations whose export has no row of the reporting
date, the last date their file covers (recorded by cleaning): a *stale* export.

Messages are Russian and name organisations and municipalities only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .findings import Finding
from .formatting import fmt_int, fmt_pct, fmt_pp, plural
from .rules import SHARP_CHANGE_PP

#: " п. п." with no-break spaces: the unit never wraps away from its number.
PP = "\u00a0п.\u00a0п."
#: ``sharp_change`` is not flagged where a denominator (staff on the register for
#: % registered, registered staff for % active) is below this in either week: in a group
#: of 5 one person is 20 p. p.
SHARP_CHANGE_MIN_BASE = 10

#: ``identical_counts``: organisations with at least this many registered staff ...
IDENTICAL_MIN_REGISTERED = 5
#: ... where at least this share of them has the same non-zero message count.
IDENTICAL_MIN_SHARE = 0.8

#: ``quota_jump``: "almost nothing" last week is messages + calls ≤ this ...
QUOTA_JUMP_NEAR_ZERO = 1
#: ... and the organisation is flagged when at least this many persons ...
QUOTA_JUMP_MIN_PERSONS = 3
#: ... and at least this share of its staff registered in both weeks jumped to the quota.
QUOTA_JUMP_MIN_SHARE = 0.5

_TYPE_WORDS = {"registered": "% зарегистрированных", "active": "% активности"}


def _org_label(org_name: object, mo: object, org_type: object) -> str:
    return f"«{org_name}» ({mo}, {org_type})"


# ----------------------------------------------------------------------- sharp_change
def sharp_change_findings(metrics: pd.DataFrame, previous: pd.DataFrame | None,
                          threshold: float = SHARP_CHANGE_PP, *,
                          compare_active: bool = True,
                          min_base: int = SHARP_CHANGE_MIN_BASE) -> list[Finding]:
    """МО (per type) whose % registered or % active changed by more than ``threshold`` p. p.

    ``metrics`` must come from :func:`metrics.with_previous` (``change_*_pp``: the
    published, rounded change); ``previous`` is the previous week's ``metrics`` (for the
    counts in the message and the size guard ``min_base``).
    """
    if previous is None or previous.empty or "change_registered_pp" not in metrics:
        return []
    prev = {(str(r["org_type"]), str(r["mo"])): r for _, r in previous.iterrows()}
    out: list[Finding] = []
    for _, rec in metrics[metrics["mo"] != "total"].iterrows():
        p = prev.get((str(rec["org_type"]), str(rec["mo"])))
        if p is None:
            continue
        checks = [("registered", "registered", "staff_total", "зарегистрировано",
                   "по реестру")]
        if compare_active:
            checks.append(("active", "active", "registered", "активных", "зарегистрированных"))
        for by, num, den, num_word, den_word in checks:
            change = rec[f"change_{by}_pp"]
            if pd.isna(change) or abs(float(change)) <= threshold:
                continue
            if min(int(rec[den]), int(p[den])) < min_base:
                continue
            coverage = ""
            if (int(rec["orgs_reported"]), int(rec["orgs_expected"])) != (
                    int(p["orgs_reported"]), int(p["orgs_expected"])):
                coverage = (f"; выгрузки от {rec['orgs_reported']} из {rec['orgs_expected']} "
                            f"организаций (неделей ранее — от {p['orgs_reported']} из "
                            f"{p['orgs_expected']})")
            out.append(Finding(
                "sharp_change",
                f"{rec['org_type']}, {rec['mo']}: {_TYPE_WORDS[by]} за неделю изменился на "
                f"{fmt_pp(change)}{PP} ({fmt_pct(p[f'pct_{by}'])} → {fmt_pct(rec[f'pct_{by}'])}; "
                f"{num_word} {fmt_int(p[num])} из {fmt_int(p[den])} → {fmt_int(rec[num])} из "
                f"{fmt_int(rec[den])} {den_word}{coverage}); порог — "
                f"{fmt_pct(threshold)}{PP} Проверьте выгрузки МО",
                org_type=str(rec["org_type"]), mo=str(rec["mo"]),
            ))
    return out


# ----------------------------------------------------------------------- identical_counts
def identical_counts_findings(persons: pd.DataFrame, orgs: pd.DataFrame, *,
                              min_registered: int = IDENTICAL_MIN_REGISTERED,
                              min_share: float = IDENTICAL_MIN_SHARE) -> list[Finding]:
    """Organisations where ≥ ``min_share`` of ≥ ``min_registered`` staff have the same
    non-zero ``messages_7d``. The finding points at the first such row (file, row)."""
    out: list[Finding] = []
    if persons.empty:
        return out
    info = orgs.set_index("org_id")
    sizes = persons.groupby("org_id").size()
    nonzero = persons[(persons["messages_7d"] > 0)
                      & persons["org_id"].isin(sizes[sizes >= min_registered].index)]
    if nonzero.empty:
        return out
    # per organisation the most frequent non-zero count (the smallest such value on ties)
    best = (nonzero.groupby(["org_id", "messages_7d"]).size().rename("top").reset_index()
            .sort_values(["org_id", "top", "messages_7d"], ascending=[True, False, True])
            .drop_duplicates("org_id"))
    best = best[best["top"] >= min_share * best["org_id"].map(sizes)]
    for org_id, value, top in best[["org_id", "messages_7d", "top"]].itertuples(index=False):
        n = int(sizes[org_id])
        group = nonzero[(nonzero["org_id"] == org_id) & (nonzero["messages_7d"] == value)]
        first = group.sort_values(["file", "row"]).iloc[0]
        org = info.loc[org_id] if org_id in info.index else None
        label = (_org_label(org["org_name"], org["mo"], org["org_type"]) if org is not None
                 else f"организация {org_id}")
        out.append(Finding(
            "identical_counts",
            f"{label}: у {top} из {n} зарегистрированных одинаковое число сообщений за 7 дней "
            f"— {value}. Настоящая активность так не совпадает; проверьте, не накручена ли "
            f"статистика (первая такая строка указана)",
            str(first["file"]), int(first["row"]), str(org_id),
        ))
    return out


# ----------------------------------------------------------------------- quota_jump
def quota_jump_findings(persons: pd.DataFrame, prev_persons: pd.DataFrame | None,
                        orgs: pd.DataFrame, quota_messages: int, quota_calls: int, *,
                        near_zero: int = QUOTA_JUMP_NEAR_ZERO,
                        min_persons: int = QUOTA_JUMP_MIN_PERSONS,
                        min_share: float = QUOTA_JUMP_MIN_SHARE) -> list[Finding]:
    """Organisations where many staff went from messages + calls ≤ ``near_zero`` last week
    to exactly ``quota_messages`` messages and ``quota_calls`` calls this week.

    Persons are matched by ``(org_id, person_key)``; the share is of the staff present in
    both weeks. The finding points at the first such row of this week (file, row).
    """
    out: list[Finding] = []
    if prev_persons is None or prev_persons.empty or persons.empty or quota_messages <= 0:
        return out
    keys = ["org_id", "person_key"]
    prev = prev_persons[keys].assign(
        _prev_total=prev_persons["messages_7d"].astype("int64")
        + prev_persons["calls_7d"].astype("int64"))
    both = persons.merge(prev, on=keys, how="inner")
    if both.empty:
        return out
    both["_jump"] = ((both["_prev_total"] <= near_zero)
                     & (both["messages_7d"] == quota_messages)
                     & (both["calls_7d"] == quota_calls))
    counts = both.groupby("org_id", sort=True, observed=True)["_jump"].agg(["size", "sum"])
    flagged = counts[(counts["sum"] >= min_persons)
                     & (counts["sum"] >= min_share * counts["size"])]
    if flagged.empty:
        return out
    # the first jumped row (file, row) of each flagged organisation
    jumped = both[both["_jump"] & both["org_id"].isin(flagged.index)]
    firsts = jumped.sort_values(["org_id", "file", "row"], kind="stable").drop_duplicates("org_id")
    info = orgs.set_index("org_id")
    for first in firsts.itertuples(index=False):
        org_id = first.org_id
        n, k = int(flagged.at[org_id, "size"]), int(flagged.at[org_id, "sum"])
        org = info.loc[org_id] if org_id in info.index else None
        label = (_org_label(org["org_name"], org["mo"], org["org_type"]) if org is not None
                 else f"организация {org_id}")
        quota = (f"{quota_messages} {plural(quota_messages, 'сообщение', 'сообщения', 'сообщений')}"
                 f" и {quota_calls} {plural(quota_calls, 'звонок', 'звонка', 'звонков')}")
        out.append(Finding(
            "quota_jump",
            f"{label}: у {k} из {n} сотрудников, которые есть в выгрузках обеих недель, "
            f"счётчики выросли с почти нуля (не больше {near_zero} за 7 дней) ровно до порога "
            f"({quota}). Похоже на активность для статистики; проверьте (первая такая строка "
            "указана)",
            str(first.file), int(first.row), str(org_id),
        ))
    return out


# ----------------------------------------------------------------------- stale exports
def org_last_dates(files: pd.DataFrame) -> dict[str, str]:
    """For organisations whose export has no row of the reporting date: the last date
    their file does cover (``files.last_date``, recorded by cleaning; several such files:
    the newest). A *stale* export (last week's download sent again) is then named as such
    in the drill-down annex."""
    stale = files[files["status"] == "no_data_for_date"]
    known = stale[stale["last_date"].fillna("") != ""]
    return {str(k): str(v) for k, v in known.groupby("org_id")["last_date"].max().items()}


def is_stale(last_date: str | None, reporting_date: dt.date) -> bool:
    """A file whose dates end before the reporting date (an old download sent again)."""
    if not last_date:
        return False
    return dt.date.fromisoformat(last_date) < reporting_date
