#!/usr/bin/env python3
"""Scale the synthetic sample region K times: K x 120 organisations, same file shapes.

The organisations, people and files of ``scripts/make_sample_data.py`` (imported, not
copied) are built once; every export is encoded once and written K times:

* copy 0 keeps the sample's ids, so K = 1 is the sample week byte for byte;
* copy r >= 1 gets new ids ``r * 10**7 + id`` (the sample's ids have 6-7 digits, so the
  copies never collide), its organisations are named ``… (копия r)`` in the register and
  its files are named like the sample's, with the new id in front.

Each copy also holds the sample's traps (lock file, an export of an organisation missing
from the register, duplicates, rejected rows, a stale download), so the findings and the
row counts of a scaled week are exactly K times those of the sample week. The content of
an export does not depend on its organisation's id, so the copies have the same bytes
(same people's names in each copy); a person is ``(org_id, name)``, so they are distinct
people.

Layout written (``sferum run WEEK --data-dir OUT``)::

    OUT/raw/registry/organizations.xlsx
    OUT/raw/<week>/...           (default: the reporting week 2024-01-29 only)

Usage: ``python benchmarks/scale_region.py K [--out DIR] [--weeks all|YYYY-MM-DD,...]``.
The default folder is ``benchmarks/work/k<K>/data`` (git-ignored). A folder generated with
the same parameters is kept (``.scale.json`` stamp) unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import multiprocessing
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "work"
SAMPLE_SCRIPT = REPO / "scripts" / "make_sample_data.py"
#: ids of copy r are ``r * ID_STEP + id``; the sample's ids are below 10**7
ID_STEP = 10**7
STAMP = ".scale.json"
#: bump when the output of this generator changes (regenerates stamped folders)
VERSION = 1


def sample_module() -> ModuleType:
    """``scripts/make_sample_data.py`` imported as a module (the scripts folder is no package)."""
    name = "make_sample_data"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SAMPLE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def copy_id(org_id: str, copy: int) -> str:
    return org_id if copy == 0 else str(copy * ID_STEP + int(org_id))


def renamed(org, copy: int):
    """The organisation ``org`` of copy ``copy``: new id, file stem and register name."""
    if copy == 0:
        return org
    new_id = copy_id(org.org_id, copy)
    assert org.stem.startswith(org.org_id), org.stem
    return dataclasses.replace(org, org_id=new_id, stem=new_id + org.stem[len(org.org_id):],
                               name=f"{org.name} (копия {copy})")


_ENCODE: list = []


def _encode(k: int) -> bytes:
    builder, org, week = _ENCODE[k]
    start, end, rows = builder.export_rows(org, week)
    return sample_module().export_bytes(org, start, end, rows)[0]


def _encode_all(builder, jobs_list: list, jobs: int) -> list[bytes]:
    _ENCODE[:] = [(builder, org, week) for org, week in jobs_list]
    if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_encode, range(len(_ENCODE)), chunksize=4)
    return [_encode(k) for k in range(len(_ENCODE))]


def parse_weeks(text: str, all_weeks: list[date]) -> list[date]:
    if text == "all":
        return list(all_weeks)
    weeks = [date.fromisoformat(w.strip()) for w in text.split(",") if w.strip()]
    unknown = [w for w in weeks if w not in all_weeks]
    if unknown:
        raise SystemExit(f"no such sample week: {unknown[0]} "
                         f"(have {all_weeks[0]}..{all_weeks[-1]})")
    return weeks


def default_out(k: int) -> Path:
    return WORK / f"k{k}" / "data"


def scale(k: int, out: Path, weeks: list[date] | None = None, jobs: int | None = None,
          force: bool = False) -> dict:
    """Write the region scaled ``k`` times into ``out`` (a ``--data-dir``); return the stamp."""
    if k < 1:
        raise ValueError("K must be at least 1")
    msd = sample_module()
    weeks = weeks or [msd.LAST]
    wanted = {"version": VERSION, "k": k, "weeks": [w.isoformat() for w in weeks]}
    stamp_path = out / STAMP
    if not force and stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if {key: stamp.get(key) for key in wanted} == wanted:
            return stamp

    started = time.perf_counter()
    builder = msd.build()
    exports = [(org, week) for week in weeks for org in builder.orgs + [builder.unknown]
               if org.role != "missing"]
    data = _encode_all(builder, exports, jobs or os.cpu_count() or 1)

    raw = out / "raw"
    if out.exists():
        shutil.rmtree(out)
    (raw / "registry").mkdir(parents=True)
    registry = [renamed(org, copy) for copy in range(k) for org in builder.orgs]
    (raw / msd.REGISTRY_REL).write_bytes(msd.registry_bytes(registry))
    n_files = n_bytes = 0
    for week in weeks:
        folder = raw / week.isoformat()
        folder.mkdir()
        for copy in range(k):
            (folder / f"~${copy_id(builder.lock_id, copy)}.xlsx").write_bytes(msd.LOCK_BYTES)
    for (org, week), blob in zip(exports, data, strict=True):
        for copy in range(k):
            twin = renamed(org, copy)
            (raw / week.isoformat() / (twin.stem + msd.SUFFIX[org.shape])).write_bytes(blob)
            n_files += 1
            n_bytes += len(blob)
    stamp = {**wanted, "organisations": len(registry), "export_files": n_files,
             "export_bytes": n_bytes, "seconds": round(time.perf_counter() - started, 1)}
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return stamp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("k", type=int, help="how many copies of the sample region")
    parser.add_argument("--out", type=Path, default=None,
                        help="data folder to write (default: benchmarks/work/k<K>/data)")
    parser.add_argument("--weeks", default="2024-01-29",
                        help="comma-separated sample weeks, or 'all' (default: 2024-01-29)")
    parser.add_argument("--jobs", type=int, default=None, help="encoding processes")
    parser.add_argument("--force", action="store_true", help="regenerate even if stamped")
    args = parser.parse_args(argv)
    out = args.out or default_out(args.k)
    weeks = parse_weeks(args.weeks, sample_module().WEEKS)
    stamp = scale(args.k, out, weeks, args.jobs, args.force)
    print(f"K={args.k}: {stamp['organisations']} organisations, {stamp['export_files']} export "
          f"files ({stamp['export_bytes'] / 1e6:.1f} MB) in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
