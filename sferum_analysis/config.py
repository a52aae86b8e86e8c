"""Every location the project uses, built from one place.

Layout of a workspace's folders (Cookiecutter Data Science style)::

    <data_dir>/raw/registry/organizations.{xlsx,xls,csv}
    <data_dir>/raw/registry/municipalities.csv             (optional)
    <data_dir>/raw/<YYYY-MM-DD>/<org_id>*.{xlsx,xls,csv}   (immutable)
    <data_dir>/processed/<YYYY-MM-DD>/...                  (see store.py)
    <reports_dir>/<YYYY-MM-DD>/...

Which folders a command uses is decided by :mod:`workspace`; the files inside a week's
folders are named by :mod:`store`. What the package carries (notebooks, templates, the
built-in region's data) lives next to this module, so an installed package finds it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The repository root in a checkout (the Oryol sample workspace); in an installed package
#: this is site-packages and is not used for data.
PROJECT_DIR = PACKAGE_DIR.parent
#: The pipeline's notebooks travel inside the package (in a checkout, a link to the
#: repository's ``notebooks/``).
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks"
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

#: The sample week shipped with the repository (synthetic data).
SAMPLE_WEEK = "2024-01-29"
#: Fixed build time of every published file (fonts in the PDF, charts): 2000-01-01 UTC.
SOURCE_DATE_EPOCH = "946684800"

REGISTRY_STEM = "organizations"
MUNICIPALITIES_FILE = "municipalities.csv"
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

    data_dir: Path
    reports_dir: Path

    @classmethod
    def from_dirs(cls, data_dir: str | Path | None = None,
                  reports_dir: str | Path | None = None) -> Paths:
        """Folders given (a notebook's parameters), the rest from the workspace of the
        current folder (:meth:`workspace.Workspace.locate`)."""
        if data_dir and reports_dir:
            return cls(Path(data_dir).resolve(), Path(reports_dir).resolve())
        from .workspace import Workspace  # noqa: PLC0415 - workspace builds on this module

        return Workspace.locate(str(data_dir) if data_dir else None,
                                str(reports_dir) if reports_dir else None).paths

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

    def municipalities_file(self) -> Path | None:
        """The region's municipalities (``registry/municipalities.csv``); None: built-in."""
        candidate = self.registry_dir / MUNICIPALITIES_FILE
        return candidate if candidate.is_file() else None

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

