"""Weeks and their state, for ``sferum status`` and ``sferum run --pending``.

A week's state is read from what its last run left: the published ``manifest.json``, the
processed folder, ``reports/failed/<week>/`` (with ``refused.json`` when the week had no
usable export), and the run in progress (``data/.sferum.run.json``).

What is pending (``sferum run --pending`` republishes it, oldest first):

* ``new`` — never processed; ``failed`` — the last run failed;
* ``changed`` — the week's own exports changed since it was published (or since it was
  refused for want of a usable export);
* ``mismatch`` — the processed tables are not those the report was built from;
* ``stale`` — the week compared with a previous week whose published metrics have changed
  since, or the week it would compare with now is another one.

Not pending: ``published``; ``registry_changed`` — the registry or municipalities file
differs from the snapshot the week was computed with (only an explicit ``sferum run WEEK``
applies today's registry to a past week); ``settings_changed`` — the settings of
``sferum.toml`` that the figures depend on (rule, thresholds, target, region, export
headers) differ from those the week was computed with (the same: applied only by an
explicit run); ``empty`` — refused, nothing changed since;
``running`` — another process is working on it now.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import store
from .config import Paths
from .formatting import DASH
from .report.site_texts import STALE
from .report.texts import EDITION_SHORT
from .run_config import EDITIONS, RunConfig
from .store import WeekStore

STATE_TITLES = {
    "published": "опубликована",
    "new": "не обработана",
    "changed": "входные файлы изменились",
    "mismatch": "обработка не совпадает с отчётом",
    "failed": "последний запуск с ошибкой",
    "stale": "сравнение устарело",
    "registry_changed": "реестр изменился после расчёта",
    "settings_changed": "настройки изменились после расчёта",
    "empty": "нет пригодных выгрузок",
    "running": "обрабатывается сейчас",
}
#: States that ``sferum run --pending`` processes.
PENDING_STATES = frozenset({"new", "failed", "changed", "mismatch", "stale"})


@dataclass
class WeekStatus:
    week: str
    state: str
    counts: dict[str, int]
    published_at: str = ""

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES


def _exports_of(fp: dict) -> dict:
    """A recorded inputs fingerprint without the registry (older manifests held both)."""
    return {k: v for k, v in fp.items() if not k.startswith("registry/")}


def _registry_of(manifest: dict) -> dict:
    if "registry" in manifest:
        return manifest["registry"] or {}
    return {k.removeprefix("registry/"): v for k, v in manifest.get("inputs", {}).items()
            if k.startswith("registry/")}


def comparison_base(weeks: WeekStore, week: str) -> str | None:
    """The week ``week`` is compared with now: the previous week (refused weeks skipped)
    when it has been processed, else None."""
    prev = weeks.previous_week(week)
    return prev if prev is not None and weeks.is_processed(prev) else None


def comparison_is_stale(weeks: WeekStore, week: str, manifest: dict) -> bool:
    """The comparison a published week shows no longer follows its source."""
    if "compared_week" not in manifest:  # published before comparisons were recorded
        return False
    base = comparison_base(weeks, week)
    if base != manifest["compared_week"]:
        return True
    return base is not None and (store.metrics_fingerprint(weeks.processed(base))
                                 != manifest.get("compared_metrics"))


def week_status(paths: Paths, week: str, config: RunConfig | None = None) -> WeekStatus:
    """The state of ``week``; with ``config`` (today's settings) also whether the week was
    computed with other settings."""
    weeks = WeekStore(paths)
    running = current_run(paths)
    if running and running.get("week") == week:
        manifest = weeks.read_manifest(week)
        return WeekStatus(week, "running", {}, manifest.get("published_at", ""))
    manifest = weeks.read_manifest(week)
    failed = weeks.failed(week).is_dir()
    if not manifest:
        refusal = weeks.refusal(week)
        if refusal:
            unchanged = (refusal.get("inputs") == weeks.exports_fingerprint(week)
                         and refusal.get("registry") == weeks.current_registry_fingerprint())
            return WeekStatus(week, "empty" if unchanged else "changed", {})
        return WeekStatus(week, "failed" if failed else "new", {})
    counts = {str(k): int(v) for k, v in manifest.get("findings", {}).items()}
    published_at = manifest.get("published_at", "")
    if _exports_of(manifest.get("inputs", {})) != weeks.exports_fingerprint(week):
        return WeekStatus(week, "changed", counts, published_at)
    # a run killed between its two swaps, or processed files changed by hand since
    processed = manifest.get("processed")
    if processed is not None and processed != store.processed_fingerprint(weeks.processed(week)):
        return WeekStatus(week, "mismatch", counts, published_at)
    if failed:
        return WeekStatus(week, "failed", counts, published_at)
    if comparison_is_stale(weeks, week, manifest):
        return WeekStatus(week, "stale", counts, published_at)
    if _registry_of(manifest) != weeks.current_registry_fingerprint():
        return WeekStatus(week, "registry_changed", counts, published_at)
    if config is not None:
        stored = store.read_config(weeks.processed(week))
        if stored is not None and stored.computed_with() != config.computed_with():
            return WeekStatus(week, "settings_changed", counts, published_at)
    return WeekStatus(week, "published", counts, published_at)


def all_status(paths: Paths, config: RunConfig | None = None) -> list[WeekStatus]:
    return [week_status(paths, week, config) for week in paths.weeks()]


def pending_weeks(paths: Paths) -> list[str]:
    """Weeks :data:`PENDING_STATES` says to process, oldest first."""
    return [s.week for s in all_status(paths) if s.pending]


# ---------------------------------------------------------------------------------------
# The quiet period: a week folder whose files still change is left for the next run
# ---------------------------------------------------------------------------------------

def settling_minutes(paths: Paths, week: str, quiet_minutes: float,
                     now: float | None = None) -> float | None:
    """Minutes since the week folder or one of its files last changed, when that is less
    than ``quiet_minutes`` (files may still be being copied); None otherwise."""
    if quiet_minutes <= 0 or not paths.raw_week(week).is_dir():
        return None
    age = ((time.time() if now is None else now) - WeekStore(paths).newest_change(week)) / 60
    return max(age, 0.0) if age < quiet_minutes else None


# ---------------------------------------------------------------------------------------
# The run in progress and what killed runs left
# ---------------------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def read_run_state(paths: Paths) -> dict:
    """``data/.sferum.run.json`` as written by the run holding the lock; ``{}`` if none."""
    try:
        data = json.loads((paths.data_dir / store.RUN_STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else {}


def current_run(paths: Paths) -> dict:
    """The run of another process working in this data folder now (pid, week, started);
    ``{}`` when there is none (a file left by a killed run does not count)."""
    state = read_run_state(paths)
    if not state or state["pid"] == os.getpid() or not _alive(state["pid"]):
        return {}
    return state


def write_run_state(paths: Paths, week: str | None = None) -> None:
    """Record this process's run (called under the run lock; ``week``: the week now)."""
    state = read_run_state(paths)
    if state.get("pid") != os.getpid():
        state = {"pid": os.getpid(),
                 "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    state["week"] = week
    path = paths.data_dir / store.RUN_STATE_FILE
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def note_run_week(paths: Paths, week: str) -> None:
    """Name the week this process's run works on now (when it holds the run lock)."""
    if read_run_state(paths).get("pid") == os.getpid():
        write_run_state(paths, week)


def clear_run_state(paths: Paths) -> None:
    if read_run_state(paths).get("pid") == os.getpid():
        (paths.data_dir / store.RUN_STATE_FILE).unlink(missing_ok=True)


def leftovers(paths: Paths) -> list[tuple[Path, bool]]:
    """Staging and half-swapped folders in the data and reports folders, each with whether
    it belongs to the run in progress (True) or to a killed run (False)."""
    run = current_run(paths)
    own = f"-{run['pid']}" if run else None
    return [(p, own is not None and p.name.endswith(own))
            for p in WeekStore(paths).leftovers_all()]


def edition_states(manifest: dict) -> dict[str, bool]:
    """Edition -> stale, for the editions a week's manifest lists (editions published
    from data other than the week's published data are stale)."""
    current = store.edition_data(manifest.get("processed") or {})
    records = manifest.get("editions")
    if not records:
        edition = manifest.get("edition")
        return {edition: False} if edition in EDITIONS else {}
    return {name: (records[name].get("data") or {}) != current
            for name in EDITIONS if name in records}


def editions_text(manifest: dict) -> str:
    """``для министерства, внутренняя (устарела, опубликуйте заново)`` for ``sferum status``."""
    return ", ".join(EDITION_SHORT[name] + (f" ({STALE})" if stale else "")
                     for name, stale in edition_states(manifest).items()) or DASH
