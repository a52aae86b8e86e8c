"""Answers to the analysts' common questions about one processed week (for JupyterLab).

All functions take a :class:`store.ProcessedWeek` (``steps.load_week(...)``) and return
tables of organisations and municipalities — never of persons.
"""

from __future__ import annotations

import pandas as pd

from .metrics import ActiveRule, mo_metrics, org_activity
from .municipalities import Municipalities

ORG_COLUMNS = ["org_id", "org_name", "mo", "org_type", "status", "staff_total", "registered",
               "active", "pct_registered", "pct_active"]


def organisations(week, mo: str | None = None, org_type: str | None = None,
                  municipalities: Municipalities | None = None) -> pd.DataFrame:
    """Organisations with their figures; ``mo`` in any spelling of the region's list
    ``municipalities`` (default: the built-in one), e.g. ``"Ливны"``."""
    from .metrics import pct

    orgs = week.org_metrics if week.org_metrics is not None else week.orgs.assign(active=0)
    if mo is not None:
        region = municipalities or Municipalities.builtin()
        orgs = orgs[orgs["mo"] == region.canonicalize(mo)]
    if org_type is not None:
        orgs = orgs[orgs["org_type"] == org_type]
    out = orgs.assign(
        pct_registered=[pct(r, s) for r, s in zip(orgs["registered"], orgs["staff_total"],
                                                  strict=True)],
        pct_active=[pct(a, r) for a, r in zip(orgs["active"], orgs["registered"], strict=True)],
    )
    return out[ORG_COLUMNS].astype({"pct_registered": "Float64", "pct_active": "Float64"})


def least_active(week, n: int = 10, org_type: str = "ДОО", min_registered: int = 1) -> pd.DataFrame:
    """The ``n`` organisations with the lowest % active (ties: more registered first)."""
    orgs = organisations(week, org_type=org_type)
    orgs = orgs[orgs["registered"] >= min_registered]
    return (orgs.sort_values(["pct_active", "registered", "org_id"],
                             ascending=[True, False, True], kind="stable")
            .head(n).reset_index(drop=True))


def rule_comparison(week, rules: dict[str, ActiveRule], org_type: str = "ДОО",
                    municipalities: Municipalities | None = None) -> pd.DataFrame:
    """% active per МО under several active rules, side by side (plus the regional row)."""
    columns = {}
    for label, rule in rules.items():
        metrics = mo_metrics(org_activity(week.orgs, week.persons, rule), municipalities)
        block = metrics[metrics["org_type"] == org_type].set_index("mo")
        columns[f"{label}: активные"] = block["active"]
        columns[f"{label}: % активности"] = block["pct_active"]
    return pd.DataFrame(columns).reset_index()
