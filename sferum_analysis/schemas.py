"""pandera schemas of the clean tables, validated lazily (every failure reported at once)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from . import municipalities
from .registry import ORG_TYPES

_MO = pa.Check.isin(municipalities.canonical_names())
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

ORGS = pa.DataFrameSchema(
    {
        "org_id": pa.Column("string", pa.Check.str_matches(r"^\d+$"), unique=True),
        "org_name": pa.Column("string"),
        "mo": pa.Column("string", _MO),
        "mo_order": pa.Column("int64", pa.Check.in_range(1, 27)),
        "org_type": pa.Column("string", _TYPE),
        "staff_total": pa.Column("int64", _NONNEG),
        "registry_row": pa.Column("int64"),
        "files": pa.Column("int64", _NONNEG),
        "status": pa.Column("string", pa.Check.isin(
            ["reported", "no_data_for_date", "missing_export", "unreadable"])),
        "registered": pa.Column("int64", _NONNEG),
    },
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

METRICS = pa.DataFrameSchema(
    {
        "org_type": pa.Column("string", _TYPE),
        "mo": pa.Column("string", pa.Check.isin([*municipalities.canonical_names(), "total"])),
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
    ],
    strict=False,
    name="metrics",
)


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Validate lazily: a SchemaErrors lists every failing check and row at once."""
    return schema.validate(frame, lazy=True)
