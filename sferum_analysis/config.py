"""Every path the project uses, built from one place.

Layout (Cookiecutter Data Science style)::

    <data_dir>/raw/registry/organizations.{xlsx,csv}
    <data_dir>/raw/<YYYY-MM-DD>/<org_id>*.{xlsx,xls,csv}   (immutable)
    <data_dir>/processed/<YYYY-MM-DD>/*.parquet
    <reports_dir>/<YYYY-MM-DD>/...
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

#: Overridable for a server or a test: SFERUM_DATA_DIR / SFERUM_REPORTS_DIR.
DEFAULT_DATA_DIR = Path(os.environ.get("SFERUM_DATA_DIR") or PROJECT_DIR / "data").resolve()
DEFAULT_REPORTS_DIR = Path(
    os.environ.get("SFERUM_REPORTS_DIR") or PROJECT_DIR / "reports").resolve()

#: The sample week shipped with the repository (synthetic data).
SAMPLE_WEEK = "2024-01-29"

REGISTRY_STEM = "organizations"
REGISTRY_SUFFIXES = (".xlsx", ".xls", ".csv")

_WEEK_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class WeekError(ValueError):
    """A WEEK argument that is not a real YYYY-MM-DD date."""


def parse_week(week: str) -> dt.date:
    """Validate a reporting-week name (``YYYY-MM-DD``) and return the date."""
    if not isinstance(week, str) or not _WEEK_RE.fullmatch(week):
        raise WeekError(f"неделя должна быть датой в формате ГГГГ-ММ-ДД, получено: {week!r}")
    try:
        return dt.date.fromisoformat(week)
    except ValueError:
        raise WeekError(f"такой даты не существует: {week!r}") from None


def is_week_name(name: str) -> bool:
    try:
        parse_week(name)
    except WeekError:
        return False
    return True


@dataclass(frozen=True)
class Paths:
    """Paths of one data directory and one reports directory."""

    data_dir: Path = DEFAULT_DATA_DIR
    reports_dir: Path = DEFAULT_REPORTS_DIR

    @classmethod
    def from_dirs(cls, data_dir: str | Path | None = None,
                  reports_dir: str | Path | None = None) -> Paths:
        return cls(
            data_dir=Path(data_dir).resolve() if data_dir else DEFAULT_DATA_DIR,
            reports_dir=Path(reports_dir).resolve() if reports_dir else DEFAULT_REPORTS_DIR,
        )

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def processed_root(self) -> Path:
        return self.data_dir / "processed"

    @property
    def registry_dir(self) -> Path:
        return self.raw_dir / "registry"

    def registry_file(self) -> Path | None:
        """The registry file, ``organizations.xlsx`` preferred over ``.xls`` and ``.csv``."""
        for suffix in REGISTRY_SUFFIXES:
            candidate = self.registry_dir / f"{REGISTRY_STEM}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    def raw_week(self, week: str) -> Path:
        parse_week(week)
        return self.raw_dir / week

    def processed_week(self, week: str) -> Path:
        parse_week(week)
        return self.processed_root / week

    def report_week(self, week: str) -> Path:
        parse_week(week)
        return self.reports_dir / week

    def weeks(self) -> list[str]:
        """Reporting weeks present in ``raw/``, oldest first."""
        if not self.raw_dir.is_dir():
            return []
        return sorted(p.name for p in self.raw_dir.iterdir() if p.is_dir() and is_week_name(p.name))


def report_stem(week: str) -> str:
    return f"sferum_{week}"
