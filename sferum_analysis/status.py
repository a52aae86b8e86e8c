"""Weeks and their state, for ``sferum status`` and ``sferum run --pending``.

A week's state is read from what its last run left: the published ``manifest.json``, the
processed folder, ``reports/failed/<week>/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import store
from .config import Paths
from .store import WeekStore

STATE_TITLES = {
    "published": "опубликована",
    "new": "не обработана",
    "changed": "входные файлы изменились",
    "mismatch": "обработка не совпадает с отчётом",
    "failed": "последний запуск с ошибкой",
}


@dataclass
class WeekStatus:
    week: str
    state: str
    counts: dict[str, int]
    published_at: str = ""

    @property
    def pending(self) -> bool:
        return self.state != "published"


def week_status(paths: Paths, week: str) -> WeekStatus:
    weeks = WeekStore(paths)
    manifest = weeks.read_manifest(week)
    failed = weeks.failed(week).is_dir()
    if not manifest:
        return WeekStatus(week, "failed" if failed else "new", {})
    counts = {str(k): int(v) for k, v in manifest.get("findings", {}).items()}
    published_at = manifest.get("published_at", "")
    if manifest.get("inputs") != weeks.inputs_fingerprint(week):
        return WeekStatus(week, "changed", counts, published_at)
    # a run killed between its two swaps, or processed files changed by hand since
    processed = manifest.get("processed")
    if processed is not None and processed != store.processed_fingerprint(weeks.processed(week)):
        return WeekStatus(week, "mismatch", counts, published_at)
    return WeekStatus(week, "failed" if failed else "published", counts, published_at)


def all_status(paths: Paths) -> list[WeekStatus]:
    return [week_status(paths, week) for week in paths.weeks()]


def pending_weeks(paths: Paths) -> list[str]:
    """Weeks with no up-to-date report (new, changed inputs, processed data that does not
    match the report, or failed), oldest first."""
    return [s.week for s in all_status(paths) if s.pending]


