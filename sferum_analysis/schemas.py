"""pandera schemas of the clean tables, validated lazily (every failure reported at once).

The schemas that know municipalities are built for one region's list:
:func:`orgs_schema` and :func:`metrics_schema` take a :class:`Municipalities`; ``ORGS`` and
``METRICS`` are those of the built-in (Oryol) list, kept for compatibility.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from .municipalities import Municipalities
from .registry import ORG_TYPES

_TYPE = pa.Check.isin(list(ORG_TYPES))
_NONNEG = pa.Check.ge(0)

PERSONS = pa.DataFrameSchema(
    {
        "org_id": pa.Column("string", pa.Check.str_matches(r"^\d+$")),
        "person_key": pa.Column("string", pa.Check.str_length(min_value=1)),
        "full_name": pa.Column("string", pa.Check.str_length(min_value=1)),
        "user_type": pa.Column("string"),
        "link": pa.Column("Int64", nullable=True),
        "messages_7d": pa.Column("int64", _NONNEG),
        "calls_7d": pa.Column("int64", _NONNEG),
        "file": pa.Column("string"),
        "row": pa.Column("int64", pa.Check.ge(1)),
    },
    unique=["org_id", "person_key"],
    strict=True,
    name="persons",
)


@lru_cache(maxsize=8)
def orgs_schema(municipalities: Municipalities) -> pa.DataFrameSchema:
    """Organisations of one week for a region's list.

    ``mo`` is an official name of the list and ``mo_order`` its canonical order (1..N of
    that list, no count written in the code).
    """
    order = municipalities.order_of()
    return pa.DataFrameSchema(
        {
            "org_id": pa.Column("string", pa.Check.str_matches(r"^\d+$"), unique=True),
            "org_name": pa.Column("string"),
            "mo": pa.Column("string", pa.Check.isin(list(order))),
            "mo_order": pa.Column("int64", pa.Check.in_range(1, len(municipalities))),
            "org_type": pa.Column("string", _TYPE),
            "staff_total": pa.Column("int64", _NONNEG),
            "registry_row": pa.Column("int64"),
            "files": pa.Column("int64", _NONNEG),
            "status": pa.Column("string", pa.Check.isin(
                ["reported", "no_data_for_date", "missing_export", "unreadable"])),
            "registered": pa.Column("int64", _NONNEG),
        },
        checks=pa.Check(lambda df: df["mo"].map(order) == df["mo_order"],
                        error="mo_order is the canonical order of mo in the list"),
        strict=True,
        name="orgs",
    )


FILES = pa.DataFrameSchema(
    {
        "file": pa.Column("string", unique=True),
        "org_id": pa.Column("string", nullable=True),
        "status": pa.Column("string", pa.Check.isin(
            ["used", "no_data_for_date", "unreadable", "unknown_org"])),
        "rows_read": pa.Column("int64", _NONNEG),
        "rows_used": pa.Column("int64", _NONNEG),
        "rows_other_dates": pa.Column("int64", _NONNEG),
        "rows_duplicate": pa.Column("int64", _NONNEG),
        "rows_rejected": pa.Column("int64", _NONNEG),
        "first_date": pa.Column("string", nullable=True),
        "last_date": pa.Column("string", nullable=True),
    },
    checks=pa.Check(
        lambda df: df["rows_read"] == df["rows_used"] + df["rows_other_dates"]
        + df["rows_duplicate"] + df["rows_rejected"],
        error="row accounting: rows read = used + other dates + duplicates + rejected",
    ),
    strict=True,
    name="files",
)


@lru_cache(maxsize=8)
def metrics_schema(municipalities: Municipalities) -> pa.DataFrameSchema:
    """Metrics of one week for a region's list (contract §4, ``metrics_mo.csv``).

    ``mo`` is an official name of the list or ``total``; each org_type has one row per МО
    of the list, in its canonical order, then its ``total`` row.
    """
    block = [*municipalities.names, "total"]

    def complete_blocks(df: pd.DataFrame) -> bool:
        return all(list(mo) == block for _, mo in df.groupby("org_type", sort=False)["mo"])

    return pa.DataFrameSchema(
        {
            "org_type": pa.Column("string", _TYPE),
            "mo": pa.Column("string", pa.Check.isin(block)),
            "staff_total": pa.Column("int64", _NONNEG),
            "registered": pa.Column("int64", _NONNEG),
            "active": pa.Column("int64", _NONNEG),
            "pct_registered": pa.Column("Float64", _NONNEG, nullable=True),
            "pct_active": pa.Column("Float64", pa.Check.in_range(0, 100), nullable=True),
            "orgs_expected": pa.Column("int64", _NONNEG),
            "orgs_reported": pa.Column("int64", _NONNEG),
        },
        checks=[
            pa.Check(lambda df: df["active"] <= df["registered"], error="active ≤ registered"),
            pa.Check(lambda df: df["orgs_reported"] <= df["orgs_expected"],
                     error="orgs reported ≤ orgs expected"),
            pa.Check(complete_blocks,
                     error="every org_type: each МО of the list in canonical order, then total"),
        ],
        strict=False,
        name="metrics",
    )


#: The schemas of the built-in (Oryol) list.
ORGS = orgs_schema(Municipalities.builtin())
METRICS = metrics_schema(Municipalities.builtin())


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Validate lazily: a SchemaErrors lists every failing check and row at once."""
    return schema.validate(frame, lazy=True)
