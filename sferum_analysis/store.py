"""The week store: the one owner of every path and file name of a processed and a
published week.

::

    <data>/processed/<week>/   persons.parquet  orgs.parquet  files.parquet
                               findings.parquet metrics.parquet  org_metrics.parquet
                               run_config.json  (the run's settings, stored once)
                               metrics_meta.json (what the metrics step decided)
                               registry/ (the registry and municipalities list the
                                          week was computed with: a snapshot)
    <reports>/index.html       the site's front page: every published week (:mod:`site`)
    <reports>/<week>/          sferum_<week>[_internal].html|pdf|xlsx
                               metrics_mo.csv  quality.csv  files.csv
                               manifest.json  run.log  notebooks/  notebooks/mo/
                               mo/<NN>-<slug>.html|pdf|xlsx  (a page per МО, :func:`mo_slug`)
    <reports>/failed/<week>/   the notebooks and run.log of a failed run; refused.json
                               when the week had no usable export (not published)
    <data>/.sferum.run.json    the run in progress (pid, week), while it holds the lock

A run writes into staging folders (:meth:`WeekStore.staging`) and swaps them in at the end
(:mod:`pipeline`); the steps are given those folders, so every reader and writer takes a
folder and asks this module for the names inside it. Nothing else spells a file name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Paths, parse_week
from .run_config import RunConfig
from .storage import (
    PRIVATE_FILE,
    fingerprint,
    make_private_dir,
    read_parquet,
    write_csv,
    write_json,
    write_parquet,
)

if TYPE_CHECKING:  # imported where used: the CLI's quick commands do without
    import pandas as pd

#: Tables cleaning writes (persons hold names of people: processed files are private).
CLEAN_TABLES = ("persons", "orgs", "files", "findings")
#: Tables the metrics step adds.
METRICS_TABLES = ("metrics", "org_metrics")
#: Tables the report reads: never ``persons``.
REPORT_TABLES = ("metrics", "org_metrics", "findings", "files")
RUN_CONFIG_FILE = "run_config.json"
META_FILE = "metrics_meta.json"
MANIFEST_FILE = "manifest.json"
RUN_LOG_FILE = "run.log"
NOTEBOOKS_DIR = "notebooks"
FAILED_DIR = "failed"
METRICS_CSV = "metrics_mo.csv"
QUALITY_CSV = "quality.csv"
FILES_CSV = "files.csv"
#: The registry snapshot of a processed week (a folder inside it).
REGISTRY_SNAPSHOT_DIR = "registry"
#: Written to ``reports/failed/<week>/`` when a week had no usable export.
REFUSED_FILE = "refused.json"
#: In the data folder, while a run holds the lock.
RUN_STATE_FILE = ".sferum.run.json"
#: Formats of the published report, in the order they are produced.
REPORT_FORMATS = ("html", "pdf", "xlsx")
#: The site's front page, in the reports folder.
INDEX_FILE = "index.html"
#: A week's pages per municipality (and, under ``notebooks/``, their executed notebooks).
MO_DIR = "mo"
#: Formats of a municipality's page.
MO_FORMATS = ("html", "pdf", "xlsx")
#: Longest transliterated part of an МО's file name.
MO_SLUG_MAX = 40
#: Processed tables both editions of a week show: an edition is current while the
#: fingerprints of these files are those it was published from.
EDITION_DATA_FILES = tuple(f"{name}.parquet" for name in REPORT_TABLES)


def table_path(directory: Path, name: str) -> Path:
    return Path(directory) / f"{name}.parquet"


def report_stem(week: str, edition: str = "ministry") -> str:
    """``sferum_<week>`` for the ministry edition, ``sferum_<week>_<edition>`` otherwise."""
    return f"sferum_{week}" if edition == "ministry" else f"sferum_{week}_{edition}"


def report_file(directory: Path, week: str, fmt: str, edition: str = "ministry") -> Path:
    return Path(directory) / f"{report_stem(week, edition)}.{fmt}"


def edition_files(directory: Path, week: str, edition: str) -> list[Path]:
    """The published files of one edition of a week (html, pdf, xlsx), present or not."""
    return [report_file(directory, week, fmt, edition) for fmt in REPORT_FORMATS]


# ------------------------------------------------------------------ pages per municipality
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True))


def transliterate(text: str) -> str:
    """Lower-case ASCII of a Russian name: letters transliterated (ё as e, й as y, х as
    kh, ъ and ь dropped), every other run of characters one ``-``."""
    out = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("-")
    return "-".join(part for part in "".join(out).split("-") if part)


def mo_slug(order: int, name: str) -> str:
    """The file name stem of an МО's page: its position in the canonical order (two
    digits) and its official name transliterated, ``01-g-orel``, ``04-bolkhovskiy-rayon``.

    The number keeps the names unique and sorted like the list; the same list gives the
    same names every week."""
    text = transliterate(name)[:MO_SLUG_MAX].strip("-") or "mo"
    return f"{int(order):02d}-{text}"


def mo_slugs(names: Iterable[str]) -> dict[str, str]:
    """Official name -> slug, for names in canonical order (numbered from 1)."""
    return {name: mo_slug(i, name) for i, name in enumerate(names, start=1)}


def mo_dir(report_dir: Path) -> Path:
    return Path(report_dir) / MO_DIR


def mo_file(report_dir: Path, slug: str, fmt: str) -> Path:
    """``<week>/mo/<slug>.<fmt>``."""
    return mo_dir(report_dir) / f"{slug}.{fmt}"


def mo_href(slug: str, fmt: str = "html") -> str:
    """The relative link from the week's report to an МО's page."""
    return f"{MO_DIR}/{slug}.{fmt}"


def mo_notebook(report_dir: Path, slug: str) -> Path:
    """The executed МО notebook of a week, ``<week>/notebooks/mo/<slug>.ipynb``."""
    return Path(report_dir) / NOTEBOOKS_DIR / MO_DIR / f"{slug}.ipynb"


def index_file(reports_dir: Path) -> Path:
    return Path(reports_dir) / INDEX_FILE


def published_weeks(reports_dir: Path) -> list[str]:
    """Weeks of the reports folder with a manifest (published), newest first."""
    from .config import is_week_name

    root = Path(reports_dir)
    if not root.is_dir():
        return []
    return sorted((p.name for p in root.iterdir()
                   if p.is_dir() and is_week_name(p.name) and (p / MANIFEST_FILE).is_file()),
                  reverse=True)


def read_report_manifest(report_dir: Path) -> dict:
    """``manifest.json`` of a week's report folder; ``{}`` when absent or unreadable."""
    return _read_json(Path(report_dir) / MANIFEST_FILE)


def read_metrics_csv(report_dir: Path) -> pd.DataFrame:
    """A published week's ``metrics_mo.csv`` (the figures as published)."""
    import pandas as pd

    return pd.read_csv(Path(report_dir) / METRICS_CSV, dtype={"org_type": "string",
                                                               "mo": "string"})


def edition_data(processed: dict[str, str]) -> dict[str, str]:
    """The part of a processed fingerprint an edition's figures depend on."""
    return {k: v for k, v in processed.items() if k in EDITION_DATA_FILES}


@dataclass
class ProcessedWeek:
    """The tables of one processed week, as the steps, the report and analysts use them.

    ``config`` is the run configuration the week was processed with (None for a week
    processed before it was stored); ``meta`` what the metrics step decided (previous
    week, whether % active is compared with it).
    """

    week: str
    directory: Path | None = None
    persons: pd.DataFrame | None = None
    orgs: pd.DataFrame | None = None
    files: pd.DataFrame | None = None
    findings: pd.DataFrame | None = None
    metrics: pd.DataFrame | None = None
    org_metrics: pd.DataFrame | None = None
    config: RunConfig | None = None
    meta: dict = field(default_factory=dict)

    @property
    def prev_week(self) -> str | None:
        """The previous week folder of ``data/raw`` (processed or not), if any."""
        return self.meta.get("previous_week") or None

    @property
    def compared_week(self) -> str | None:
        """The previous week when the metrics are compared with it (it was processed)."""
        return self.prev_week if self.meta.get("previous_processed") else None

    @property
    def rule(self):
        return self.config.rule if self.config is not None else None


# ------------------------------------------------------------------ one processed folder
def write_tables(directory: Path, tables: dict[str, pd.DataFrame]) -> None:
    make_private_dir(directory)
    for name, frame in tables.items():
        write_parquet(frame, table_path(directory, name))


def read_table(directory: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    if columns is None:
        return read_parquet(table_path(directory, name))
    import pyarrow.parquet as pq

    return pq.read_table(table_path(directory, name), columns=columns).to_pandas()


def has_metrics(directory: Path) -> bool:
    return table_path(directory, "metrics").is_file()


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_private_json(data: object, path: Path) -> None:
    write_json(data, path)
    os.chmod(path, PRIVATE_FILE)  # processed files: the owner only


def read_meta(directory: Path) -> dict:
    """``metrics_meta.json``; ``{}`` when absent or unreadable."""
    return _read_json(Path(directory) / META_FILE)


def write_meta(directory: Path, meta: dict) -> None:
    _write_private_json(meta, Path(directory) / META_FILE)


def read_config(directory: Path) -> RunConfig | None:
    """The run configuration stored with a processed week; None when there is none.

    Weeks processed before ``run_config.json`` existed have the rule in
    ``metrics_meta.json``: it is taken from there."""
    data = _read_json(Path(directory) / RUN_CONFIG_FILE)
    if data:
        return RunConfig.from_dict(data)
    meta = read_meta(directory)
    if meta.get("active_rule"):
        return RunConfig.from_dict({"active_rule": meta["active_rule"],
                                    "jump_threshold": meta.get("jump_threshold", 15.0)})
    return None


def stored_rule(processed_dir: Path, report_dir: Path | None = None):
    """The activity rule a processed week was counted with (its stored configuration, else
    the published ``manifest.json`` in ``report_dir``); None when unknown."""
    from .metrics import ActiveRule

    config = read_config(Path(processed_dir))
    if config is not None:
        return config.rule
    if report_dir is not None:
        return ActiveRule.from_dict(_read_json(Path(report_dir) / MANIFEST_FILE)
                                    .get("active_rule"))
    return None


def write_config(directory: Path, config: RunConfig) -> None:
    make_private_dir(Path(directory))
    _write_private_json(config.to_dict(), Path(directory) / RUN_CONFIG_FILE)


def load(directory: Path, week: str | None = None,
         tables: Iterable[str] | None = None) -> ProcessedWeek:
    """One processed week: its tables (``tables``: which; default every table present),
    the stored run configuration and the metrics step's decisions."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"нет обработанных данных недели: {directory}")
    names = list(tables) if tables is not None else [
        n for n in (*CLEAN_TABLES, *METRICS_TABLES) if table_path(directory, n).is_file()]
    missing = [n for n in names if not table_path(directory, n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"нет таблицы {missing[0]} недели {week or directory.name}: "
            f"{table_path(directory, missing[0])} (сначала выполните 01_clean и 02_metrics "
            "или sferum run)")
    return ProcessedWeek(week=week or directory.name, directory=directory,
                         config=read_config(directory), meta=read_meta(directory),
                         **{n: read_parquet(table_path(directory, n)) for n in names})


def write_report_csvs(directory: Path, metrics: pd.DataFrame, findings: pd.DataFrame,
                      files: pd.DataFrame) -> None:
    """The machine-readable outputs of a week: ``metrics_mo.csv``, ``quality.csv``,
    ``files.csv`` (no names of people; formula-like text neutralised)."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    write_csv(metrics, Path(directory) / METRICS_CSV)
    write_csv(findings, Path(directory) / QUALITY_CSV)
    write_csv(files, Path(directory) / FILES_CSV)


def registry_snapshot(directory: Path) -> Path:
    """The registry snapshot folder of a processed week (``registry/``)."""
    return Path(directory) / REGISTRY_SNAPSHOT_DIR


def snapshot_files(directory: Path) -> tuple[Path | None, Path | None]:
    """(registry file, municipalities file) of a registry folder, as :class:`Paths` finds
    them in ``data/raw/registry``; None where absent."""
    from .config import MUNICIPALITIES_FILE, REGISTRY_STEM, REGISTRY_SUFFIXES

    directory = Path(directory)
    registry = next((directory / f"{REGISTRY_STEM}{suffix}" for suffix in REGISTRY_SUFFIXES
                     if (directory / f"{REGISTRY_STEM}{suffix}").is_file()), None)
    municipalities = directory / MUNICIPALITIES_FILE
    return registry, municipalities if municipalities.is_file() else None


def write_registry_snapshot(directory: Path, registry: Path,
                            municipalities: Path | None) -> Path:
    """Copy the registry (and the region's municipalities file) into a processed week."""
    import shutil

    folder = registry_snapshot(directory)
    make_private_dir(folder)
    for source in (registry, municipalities):
        if source is not None:
            shutil.copyfile(source, folder / source.name)
            os.chmod(folder / source.name, PRIVATE_FILE)
    return folder


def copy_registry_snapshot(source_week: Path, directory: Path) -> bool:
    """Give a (staging) processed folder the snapshot of an earlier processing of the same
    week; False when that has none."""
    registry, municipalities = snapshot_files(registry_snapshot(source_week))
    if registry is None:
        return False
    write_registry_snapshot(directory, registry, municipalities)
    return True


def registry_fingerprint(directory: Path) -> dict[str, str]:
    """sha256 of the registry and municipalities files of a registry folder."""
    return fingerprint(p for p in snapshot_files(directory) if p is not None)


def metrics_fingerprint(directory: Path) -> str | None:
    """sha256 of a processed week's ``metrics.parquet`` (what a later week compares
    with); None when the week has no metrics."""
    path = table_path(Path(directory), "metrics")
    return fingerprint([path])[path.name] if path.is_file() else None


def processed_fingerprint(directory: Path) -> dict[str, str]:
    """sha256 of every file of a processed week: ties the published report to the clean
    tables it was built from (the two folders are swapped in one after the other)."""
    directory = Path(directory)
    if not directory.is_dir():
        return {}
    return fingerprint(p for p in directory.iterdir() if p.is_file())


# ------------------------------------------------------------------ the weeks of a workspace
@dataclass(frozen=True)
class WeekStore:
    """The weeks of one data folder and one reports folder."""

    paths: Paths

    # -- folders
    def raw(self, week: str) -> Path:
        return self.paths.raw_week(week)

    def processed(self, week: str) -> Path:
        return self.paths.processed_week(week)

    def report(self, week: str) -> Path:
        return self.paths.report_week(week)

    def failed(self, week: str) -> Path:
        parse_week(week)
        return self.paths.reports_dir / FAILED_DIR / week

    def staging(self, week: str) -> tuple[Path, Path]:
        """This process's staging folders for ``week``: (processed, report)."""
        parse_week(week)
        pid = os.getpid()
        return (self.paths.processed_root / f".staging-{week}-{pid}",
                self.paths.reports_dir / f".staging-{week}-{pid}")

    def leftovers(self, week: str) -> list[Path]:
        """Staging and half-swapped folders of ``week`` left by killed runs."""
        out: list[Path] = []
        for root in (self.paths.processed_root, self.paths.reports_dir):
            if root.is_dir():
                out += [*root.glob(f".staging-{week}-*"), *root.glob(f".old-{week}-*")]
        return out

    # -- weeks
    def weeks(self) -> list[str]:
        """Reporting weeks present in ``data/raw``, oldest first."""
        return self.paths.weeks()

    def previous_week(self, week: str) -> str | None:
        """The latest week folder of ``data/raw`` before ``week``, skipping weeks refused
        for want of a usable export (:meth:`refusal`): an empty week is nobody's base."""
        earlier = [w for w in self.weeks() if w < week and not self.refusal(w)]
        return earlier[-1] if earlier else None

    def refusal(self, week: str) -> dict:
        """Why the last run of ``week`` refused to publish it (no usable export); ``{}``
        when it did not."""
        return _read_json(self.failed(week) / REFUSED_FILE)

    def leftovers_all(self) -> list[Path]:
        """Staging and half-swapped folders of every week (killed runs, or the run now)."""
        out: list[Path] = []
        for root in (self.paths.processed_root, self.paths.reports_dir):
            if root.is_dir():
                out += sorted(p for p in root.iterdir()
                              if p.name.startswith((".staging-", ".old-")))
        return out

    def preceding_weeks(self, week: str, n: int) -> list[str]:
        """Up to ``n`` week folders of ``data/raw`` before ``week``, newest first."""
        return [w for w in self.weeks() if w < week][::-1][:n]

    def is_processed(self, week: str) -> bool:
        return has_metrics(self.processed(week))

    def processed_weeks(self, before: str | None = None) -> list[str]:
        """Weeks with processed metrics (``before``: only earlier ones), oldest first."""
        root = self.paths.processed_root
        if not root.is_dir():
            return []
        from .config import is_week_name

        return sorted(p.name for p in root.iterdir()
                      if p.is_dir() and is_week_name(p.name)
                      and (before is None or p.name < before) and has_metrics(p))

    def load(self, week: str, tables: Iterable[str] | None = None) -> ProcessedWeek:
        return load(self.processed(week), week, tables)

    def rule_of(self, week: str):
        """The activity rule ``week`` was counted with; None when unknown."""
        return stored_rule(self.processed(week), self.report(week))

    # -- the published week
    def read_manifest(self, week: str) -> dict:
        return _read_json(self.report(week) / MANIFEST_FILE)

    def exports_fingerprint(self, week: str) -> dict[str, str]:
        """sha256 of every file of the week folder (the exports, not the registry)."""
        return fingerprint(p for p in self.raw(week).iterdir() if p.is_file())

    def current_registry_fingerprint(self) -> dict[str, str]:
        """sha256 of today's registry and municipalities files (keyed by file name)."""
        return fingerprint(p for p in (self.paths.registry_file(),
                                       self.paths.municipalities_file()) if p)

    def newest_change(self, week: str) -> float:
        """The latest modification time of the week folder and of its entries (links and
        special files are not followed or opened)."""
        folder = self.raw(week)
        times = [folder.lstat().st_mtime]
        for entry in os.scandir(folder):
            try:
                times.append(entry.stat(follow_symlinks=False).st_mtime)
            except OSError:
                continue
        return max(times)

    def inputs_fingerprint(self, week: str) -> dict[str, str]:
        """sha256 of every file a week's report is built from: the week folder, the
        registry and the region's municipalities file."""
        fp = fingerprint(p for p in self.raw(week).iterdir() if p.is_file())
        for source in (self.paths.registry_file(), self.paths.municipalities_file()):
            if source:
                fp.update({f"registry/{k}": v for k, v in fingerprint([source]).items()})
        return fp
