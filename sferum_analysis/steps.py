"""The steps the notebooks run: each reads its inputs, computes, validates and writes.

A notebook is a thin, readable wrapper over one step; the same functions serve tests and
interactive exploration in JupyterLab.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import findings as fnd
from . import quality_checks as qc
from . import store
from .cleaning import ACCOUNTING_COLUMNS, CleanWeek, clean_week, default_workers
from .config import Paths, parse_week
from .errors import UserError
from .metrics import anomaly_findings, mo_metrics, org_activity, same_rule, with_previous
from .municipalities import Municipalities
from .registry import read_registry
from .run_config import RunConfig, workspace_config
from .store import ProcessedWeek, WeekStore
from .workspace import Workspace

#: Finding codes the metrics step adds (dropped first, so that a rerun does not repeat them).
METRICS_CODES = frozenset({"register_exceeded", "sharp_change", "identical_counts",
                           "quota_jump"})


def registry_path(paths: Paths) -> Path:
    path = paths.registry_file()
    if path is None:
        raise UserError(f"не найден реестр организаций: {paths.registry_dir}/organizations.xlsx "
                        "(или .xls, .csv)")
    return path


def region_list(paths: Paths) -> Municipalities:
    """The region's municipalities: ``registry/municipalities.csv`` of the data folder,
    else the built-in list (Орловская область)."""
    return Municipalities.for_registry_dir(paths.registry_dir)


def week_registry(paths: Paths, processed_dir: Path) -> tuple[Path, Municipalities]:
    """The registry file and municipalities a processed week is computed with: its
    snapshot (``<processed week>/registry/``) when it has one, else today's
    ``data/raw/registry``."""
    snapshot = store.registry_snapshot(processed_dir)
    registry, _ = store.snapshot_files(snapshot)
    if registry is not None:
        return registry, Municipalities.for_registry_dir(snapshot)
    return registry_path(paths), region_list(paths)


def read_workspace_registry(paths: Paths):
    """The registry of organisations, matched against the region's municipalities."""
    return read_registry(registry_path(paths), region_list(paths))


def week_dir(paths: Paths, week: str) -> Path:
    path = paths.raw_week(week)
    if not path.is_dir():
        raise UserError(f"нет папки недели {week}: {path}")
    return path


def week_config(processed_dir: str | Path | None, data_dir: str | Path | None = None,
                **parameters: object) -> RunConfig:
    """The run configuration a notebook works with: the one stored with the processed week
    (``sferum run`` stores it before the first step), else the workspace's
    ``sferum.toml``; then the notebook's own ``parameters`` (None: keep), each checked
    (:class:`ConfigError`, Russian)."""
    stored = store.read_config(Path(processed_dir)) if processed_dir else None
    if stored is None:
        stored = workspace_config(Workspace.locate(str(data_dir) if data_dir else None))
    return RunConfig.from_parameters(stored, **parameters)


def print_progress(done: int, total: int) -> None:
    """Progress of file reading on stderr, about every tenth of the files, one line each."""
    step = max(1, total // 10)
    if done == total or done % step == 0:
        print(f"прочитано файлов: {done} из {total}", file=sys.stderr, flush=True)


def _import_schemas() -> None:
    """pandera (0.2 s to import) while the exports are read; a failure is the later
    import's to report."""
    with contextlib.suppress(Exception):
        importlib.import_module(f"{__package__}.schemas")


def clean_step(week: str, config: RunConfig, data_dir: str | Path | None = None,
               processed_dir: str | Path | None = None,
               progress: Callable[[int, int], None] | None = print_progress) -> CleanWeek:
    """Clean one week's exports and write the processed tables and the run configuration.

    The registry is the processed folder's snapshot (``registry/``) when it has one (a
    rerun that keeps the week's registry: ``sferum run --pending``); otherwise today's
    registry and municipalities file are copied there first, so that the week keeps
    the registry it was computed with."""
    paths = Paths.from_dirs(data_dir)
    reporting_date = parse_week(week)
    out = Path(processed_dir) if processed_dir else paths.processed_week(week)
    if store.snapshot_files(store.registry_snapshot(out))[0] is None:
        store.write_registry_snapshot(out, registry_path(paths), paths.municipalities_file())
    registry_file, municipalities = week_registry(paths, out)
    registry = read_registry(registry_file, municipalities)
    clean = clean_week(week_dir(paths, week), registry, reporting_date,
                       workers=config.workers or default_workers(), progress=progress,
                       export_headers=dict(config.export_headers),
                       meanwhile=_import_schemas)
    from .schemas import FILES, PERSONS, orgs_schema, validate  # pandera: only where it validates

    store.write_tables(out, {
        "persons": validate(clean.persons, PERSONS),
        "orgs": validate(clean.orgs, orgs_schema(municipalities)),
        "files": validate(clean.files, FILES),
        "findings": clean.findings,
    })
    store.write_config(out, config)
    return clean


def metrics_step(week: str, config: RunConfig, processed_dir: str | Path,
                 report_dir: str | Path, *, data_dir: str | Path | None = None
                 ) -> ProcessedWeek:
    """Compute per-МО metrics from the processed week; write metrics and quality outputs.

    The previous reporting week (the latest earlier folder of ``data/raw``), when it has
    been processed, gives the ``*_prev`` and ``change_*_pp`` columns and the
    week-over-week checks (``sharp_change``, ``quota_jump``); % active is compared only
    when both weeks were counted under the same activity rule. Stale exports are named
    from the dates cleaning recorded (``files.last_date``): ``data/raw`` is not read.
    """
    from .indicators import add_indicators, earlier_weeks
    from .schemas import metrics_schema, validate  # pandera: only where it validates

    processed_dir, report_dir = Path(processed_dir), Path(report_dir)
    # the report folder may be a staging folder: its parent is the reports folder
    weeks = WeekStore(Paths(Paths.from_dirs(data_dir).data_dir, report_dir.parent))
    reporting_date = parse_week(week)
    rule = config.rule
    week_data = store.load(processed_dir, week, store.CLEAN_TABLES)
    org_metrics = org_activity(week_data.orgs, week_data.persons, rule)
    last = qc.org_last_dates(week_data.files)
    org_metrics["last_date"] = org_metrics["org_id"].map(last).astype("string")
    org_metrics["stale"] = [(status == "no_data_for_date"
                             and qc.is_stale(None if pd.isna(d) else str(d), reporting_date))
                            for status, d in zip(org_metrics["status"], org_metrics["last_date"],
                                                 strict=True)]
    municipalities = week_registry(weeks.paths, processed_dir)[1]
    current = validate(mo_metrics(org_metrics, municipalities), metrics_schema(municipalities))
    # indicators across weeks (contract 7): sustained activity, staff who joined or left
    earlier, n_earlier = earlier_weeks(weeks.weeks(), week, weeks.paths.processed_root)
    current, org_metrics = add_indicators(current, org_metrics, week_data.persons, earlier,
                                          rule, earlier_folders=n_earlier)

    prev = weeks.previous_week(week)
    previous = prev_persons = None
    compare_active = False
    if prev is not None and weeks.is_processed(prev):
        prev_dir = weeks.processed(prev)
        previous = store.read_table(prev_dir, "metrics")
        if store.table_path(prev_dir, "persons").is_file():
            prev_persons = store.read_table(prev_dir, "persons")
        compare_active = same_rule(weeks.rule_of(prev), rule)
    metrics = with_previous(current, previous, compare_active=compare_active)

    checks = [
        *anomaly_findings(org_metrics),
        *qc.sharp_change_findings(metrics, previous, config.jump_threshold,
                                  compare_active=compare_active),
        *qc.identical_counts_findings(week_data.persons, org_metrics),
        *qc.quota_jump_findings(week_data.persons, prev_persons, org_metrics,
                                rule.min_messages, rule.min_calls),
    ]
    base = week_data.findings[~week_data.findings["code"].isin(METRICS_CODES)]
    findings = fnd.sort_findings(pd.concat([base, fnd.to_frame(checks)], ignore_index=True))
    store.write_tables(processed_dir, {"metrics": metrics, "org_metrics": org_metrics,
                                       "findings": findings})
    store.write_config(processed_dir, config)
    meta = {"week": week, "previous_week": prev, "previous_processed": previous is not None,
            "compare_active": compare_active}
    store.write_meta(processed_dir, meta)
    store.write_report_csvs(report_dir, metrics, findings[fnd.COLUMNS],
                            week_data.files[list(ACCOUNTING_COLUMNS)])
    week_data.findings, week_data.metrics, week_data.org_metrics = findings, metrics, org_metrics
    week_data.config, week_data.meta = config, meta
    return week_data


def load_week(week: str, data_dir: str | Path | None = None) -> ProcessedWeek:
    """Load a processed week for exploration: ``load_week("2024-01-29").metrics``."""
    return WeekStore(Paths.from_dirs(data_dir)).load(week)


def findings_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by level and kind, with the Russian title of each kind."""
    if findings.empty:
        return pd.DataFrame(columns=["level", "code", "title", "count"])
    return (
        findings.groupby(["level", "code"], observed=True).size().rename("count").reset_index()
        .assign(title=lambda d: d["code"].map(fnd.title))
        .pipe(fnd.sort_findings)[["level", "code", "title", "count"]]
    )
