"""A tiny region written from the contract, for tests of whole runs (fast to process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HEADER = "Дата;ФИО;Тип пол;Связь с;Кол-во сообщений за 7 дней;Кол-во звонков за 7 дней\n"


def write_region(data: Path) -> None:
    registry = data / "raw" / "registry"
    registry.mkdir(parents=True)
    (registry / "organizations.csv").write_text(
        "org_id;org_name;mo;org_type;staff_total\n"
        "11;ДС «Ромашка»;г. Орёл;ДОО;4\n"
        "22;Школа №1;Урицкий район;ОО;3\n",
        encoding="utf-8",
    )


def write_week(data: Path, week: str, active: int) -> Path:
    """Org 11: two persons, ``active`` of them active; org 22: one inactive person."""
    folder = data / "raw" / week
    folder.mkdir(parents=True)
    d = f"{week[8:10]}.{week[5:7]}.{week[0:4]}"
    rows = [f"{d};Иванова Анна;teacher;0;{1 if active >= 1 else 0};0\n",
            f"{d};Петрова Мария;teacher;0;{1 if active >= 2 else 0};0\n"]
    (folder / "11.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    (folder / "22 школа.csv").write_text(HEADER + f"{d};Сидоров Олег;teacher;0;0;0\n",
                                         encoding="utf-8")
    age(folder)
    return folder


def age(folder: Path, minutes: float = 60) -> None:
    """Date a week folder and its files ``minutes`` back: copied long ago, not in progress
    (``sferum run --pending`` leaves a folder alone while its files still change)."""
    stamp = time.time() - minutes * 60
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (stamp, stamp), follow_symlinks=False)


def sferum(*args: str, data: Path, reports: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run the CLI in a child process with the given data and reports folders."""
    return subprocess.run(
        [sys.executable, "-m", "sferum_analysis.cli", *args, "--data-dir", str(data),
         "--reports-dir", str(reports)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "LC_ALL": "C.UTF-8"},
        **kwargs,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (for before/after comparisons)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
