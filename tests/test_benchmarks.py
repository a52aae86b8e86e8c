"""The benchmark's region scaler (benchmarks/scale_region.py): K copies, distinct ids.

Functional only: timings belong to benchmarks/run_benchmarks.py, never to tests.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parents[1]
SAMPLE_WEEK = REPO / "data" / "raw" / "2024-01-29"


def _scale_region():
    name = "scale_region"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _registry_ids(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path, read_only=True).active
    rows = ws.iter_rows(values_only=True)
    header = next(rows)
    col = header.index("ID Сферум")
    return [str(row[col]) for row in rows]


def test_scale_twice_gives_distinct_organisations_and_twice_the_files(tmp_path):
    stamp = _scale_region().scale(2, tmp_path / "data", jobs=2)
    raw = tmp_path / "data" / "raw"
    week = raw / "2024-01-29"

    sample = sorted(p.name for p in SAMPLE_WEEK.iterdir())
    scaled = sorted(p.name for p in week.iterdir())
    assert len(scaled) == 2 * len(sample)
    assert stamp["export_files"] == 2 * sum(not n.startswith("~$") for n in sample)

    sample_ids = _registry_ids(REPO / "data" / "raw" / "registry" / "organizations.xlsx")
    ids = _registry_ids(raw / "registry" / "organizations.xlsx")
    assert len(ids) == 2 * len(sample_ids) == stamp["organisations"]
    assert len(set(ids)) == len(ids)  # distinct organisations
    assert ids[:len(sample_ids)] == sample_ids  # copy 0 keeps the sample's ids

    def file_id(name: str) -> str:
        return re.match(r"^(?:~\$)?(\d+)", name).group(1)

    # every export of copy 1 is the sample's export under the new id, byte for byte
    by_id = {(n.startswith("~$"), file_id(n)): n for n in sample}
    copies = [n for n in scaled if n not in sample]
    assert len(copies) == len(sample)
    for name in copies:
        new_id = file_id(name)
        old_id = str(int(new_id) - 10**7)
        original = by_id[(name.startswith("~$"), old_id)]
        assert name == original.replace(old_id, new_id, 1)
        assert (week / name).read_bytes() == (SAMPLE_WEEK / original).read_bytes()
    for name in sample:  # copy 0 is the sample week itself
        assert (week / name).read_bytes() == (SAMPLE_WEEK / name).read_bytes()
