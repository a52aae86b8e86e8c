#!/usr/bin/env python3
"""Time the naive baseline against the project's ingest and the whole ``sferum run``.

For every K of ``--k`` (default 1,10) the sample region is scaled K times
(``scale_region.py``) and three commands run back to back, each in a child process of
this one, ``--repeat`` times (interleaved, the best wall time is kept):

* ``naive``  -- ``benchmarks/naive.py``: pandas read_excel(openpyxl)/read_csv in a loop,
  filter the reporting date, count persons and active per organisation;
* ``ingest`` -- ``sferum_analysis.steps.clean_step`` alone (read, clean, validate, write
  Parquet) in a fresh interpreter; the clean time without the imports is reported too;
* ``run``    -- ``sferum run WEEK`` in the user's weekly case: the week before
  (``PREVIOUS``) published once, untimed, then WEEK's own outputs deleted before every
  repeat (notebooks 01-03, HTML/PDF/XLSX, the МО pages, the index, atomic publication);
  after the K = 1 runs, ``sferum status`` and ``sferum run --pending`` with nothing to do.

``--ingest-k`` (default 1,10,50) adds ingest-only measurements (is the time linear in
rows?) and ``--memory-k`` (default 50) a whole run for peak memory.

Memory: the peak of the sum of PSS (proportional set size: shared pages split between the
processes sharing them) over the child's process tree, sampled every 0.1 s with psutil
(installed with Jupyter; not a dependency of the project), and the largest single process
(``ru_maxrss`` of ``os.wait4``, which covers the child and its waited-for descendants).
CPU: user + system time of the whole tree (``os.wait4``).

Usage: ``python benchmarks/run_benchmarks.py [--k 1,10] [--ingest-k 1,10,50]
[--memory-k 50] [--repeat 3] [--workers 0]``; results go to stdout (Markdown) and
``benchmarks/work/results.json``.
"""

from __future__ import annotations

import argparse
import compileall
import ctypes.util
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
WEEK = "2024-01-29"
#: The user's weekly case: the week before is published once (not timed) before the
#: timed runs of WEEK, which then compare with it (trend charts, changes, heat map).
PREVIOUS = "2024-01-22"
PY = sys.executable
SFERUM = str(Path(PY).with_name("sferum"))
LIBRARIES = ("pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "xlrd", "pandera",
             "papermill", "ipykernel", "nbconvert", "matplotlib", "weasyprint", "psutil")

# Targets of issue 15 (the whole weekly run with the site: report, МО pages, index)
TARGET_RUN_VS_NAIVE_K1 = 1.5    # whole run at K=1 <= 1.5 x naive (aim 1.0)
TARGET_RUN_VS_NAIVE_K10 = 0.30  # whole run at K=10 <= 0.30 x naive (aim 0.15)
TARGET_PEAK_K50_MB = 1024.0     # peak memory of the process tree at K=50 <= 1 GB
TARGET_LINEAR = 1.25            # ingest CPU per row at the largest K <= 1.25 x at K=10
TARGET_NOOP_S = 0.5             # `sferum status`, `sferum run --pending` with nothing to do

sys.path.insert(0, str(BENCH))
#: Children (and the notebook kernels they start) import the package of this tree, even when
#: the virtual environment's editable install points at another checkout.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}


# ---------------------------------------------------------------------------------------
# Measuring a child process
# ---------------------------------------------------------------------------------------

class TreeMemory(threading.Thread):
    """Peak of the summed PSS (RSS if PSS is unavailable) of a process and its descendants,
    and the CPU of descendants the process never waits for: the publishing workers are
    forked from multiprocessing's fork server, which reaps them but is not reaped by the
    run, so their time is not in the run's rusage (last sample, ≤ ``period`` old)."""

    def __init__(self, pid: int, period: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.peak = 0
        self.unwaited_cpu: dict[int, float] = {}
        self.stop = threading.Event()
        try:
            import psutil
        except ImportError:  # no sampling: only ru_maxrss is reported
            self.psutil = None
        else:
            self.psutil = psutil

    def run(self) -> None:
        if self.psutil is None:
            return
        psutil = self.psutil
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for proc in procs:
                try:
                    info = proc.memory_full_info()
                    total += getattr(info, "pss", info.rss)
                    # the server itself (its forked workers show the same command line)
                    if "multiprocessing.forkserver" in " ".join(proc.cmdline()) and \
                            "multiprocessing.forkserver" not in " ".join(proc.parent().cmdline()):
                        cpu = proc.cpu_times()
                        self.unwaited_cpu[proc.pid] = (cpu.user + cpu.system + cpu.children_user
                                                       + cpu.children_system)
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self.stop.wait(self.period)


def measure(cmd: list[str], log: Path) -> dict:
    """Run ``cmd``; wall time, CPU of the tree, peak memory; its output goes to ``log``."""
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=ENV)
        sampler = TreeMemory(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{log.read_text()[-3000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime + sum(sampler.unwaited_cpu.values()), 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "peak_tree_mb": round(sampler.peak / 2**20, 1) if sampler.peak else None,
    }


# ---------------------------------------------------------------------------------------
# The three commands
# ---------------------------------------------------------------------------------------

def data_dir(k: int) -> Path:
    import scale_region

    out = scale_region.default_out(k)
    stamp = scale_region.scale(k, out, weeks=[date.fromisoformat(PREVIOUS),
                                              date.fromisoformat(WEEK)])
    print(f"K={k}: {stamp['organisations']} organisations, {stamp['export_files']} files, "
          f"{stamp['export_bytes'] / 1e6:.1f} MB", file=sys.stderr, flush=True)
    return out


def run_naive(k: int, data: Path) -> dict:
    counts = WORK / f"k{k}" / "naive_counts.csv"
    result = measure([PY, "-W", "ignore", str(BENCH / "naive.py"), "--data-dir", str(data),
                      "--week", WEEK, "--out", str(counts)], WORK / f"k{k}" / "naive.log")
    import csv

    with counts.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    result.update(rows_read=sum(int(r["rows"]) for r in rows),
                  persons=sum(int(r["registered"]) for r in rows),
                  active=sum(int(r["active"]) for r in rows))
    return result


def run_ingest(k: int, data: Path, workers: int) -> dict:
    out = WORK / f"k{k}" / "ingest"
    shutil.rmtree(out, ignore_errors=True)
    result_file = WORK / f"k{k}" / "ingest.json"
    result = measure([PY, str(Path(__file__).resolve()), "--ingest-child", str(data), str(out),
                      str(workers), str(result_file)], WORK / f"k{k}" / "ingest.log")
    result.update(json.loads(result_file.read_text(encoding="utf-8")))
    return result


def ingest_child(data: str, out: str, workers: str, result_file: str) -> int:
    """In a fresh interpreter: import the package, clean the week, report the times."""
    started = time.perf_counter()
    from sferum_analysis import steps
    from sferum_analysis.run_config import RunConfig

    imported, cpu = time.perf_counter(), os.times()
    clean = steps.clean_step(WEEK, RunConfig(workers=int(workers) or None), data, out,
                             progress=None)
    done, cpu_done = time.perf_counter(), os.times()
    Path(result_file).write_text(json.dumps({
        "import_s": round(imported - started, 2),
        "clean_s": round(done - imported, 2),
        # CPU of clean_step in this process and its worker processes (no imports)
        "clean_cpu_s": round(sum(cpu_done[:4]) - sum(cpu[:4]), 2),
        "files": len(clean.files),
        "rows_read": int(clean.files["rows_read"].sum()),
        "persons": len(clean.persons),
    }), encoding="utf-8")
    return 0


def publish_previous(k: int, data: Path, workers: int) -> None:
    """The week before WEEK, published once (not timed): the user's weekly case."""
    reports = WORK / f"k{k}" / "reports"
    if (reports / PREVIOUS / "manifest.json").is_file() \
            and (data / "processed" / PREVIOUS).is_dir():
        return
    shutil.rmtree(reports, ignore_errors=True)
    shutil.rmtree(data / "processed", ignore_errors=True)
    measure([SFERUM, "run", PREVIOUS, "--data-dir", str(data), "--reports-dir", str(reports),
             "--workers", str(workers)], WORK / f"k{k}" / "run_previous.log")
    if not (reports / PREVIOUS / "manifest.json").is_file():
        raise SystemExit(f"K={k}: the previous week {PREVIOUS} was not published")


def run_whole(k: int, data: Path, workers: int) -> dict:
    """``sferum run WEEK`` with the previous week published: WEEK's own outputs are
    deleted first, so every repeat processes and publishes it as new."""
    reports = WORK / f"k{k}" / "reports"
    publish_previous(k, data, workers)
    shutil.rmtree(reports / WEEK, ignore_errors=True)
    shutil.rmtree(data / "processed" / WEEK, ignore_errors=True)
    result = measure([SFERUM, "run", WEEK, "--data-dir", str(data), "--reports-dir",
                      str(reports), "--workers", str(workers)], WORK / f"k{k}" / "run.log")
    import pyarrow.parquet as pq

    processed = data / "processed" / WEEK
    files = pq.read_table(processed / "files.parquet", columns=["rows_read"])
    result.update(rows_read=sum(files.column("rows_read").to_pylist()),
                  persons=pq.read_metadata(processed / "persons.parquet").num_rows)
    steps = {}
    for line in (reports / WEEK / "run.log").read_text(encoding="utf-8").splitlines():
        for marker, name in ((": готово за ", None),  # "<step>: готово за 3.8 с"
                             (": ноутбуки за ", "МО notebooks"),
                             (": HTML и PDF готовы через ",
                              "report and МО notebooks + HTML/PDF")):
            if marker in line:
                title, _, seconds = line.split(" INFO ", 1)[1].rpartition(marker)
                steps[name or title] = float(seconds.split()[0])
    result["steps_s"] = steps
    return result


def run_noop(k: int, data: Path) -> dict:
    """``sferum status`` and ``sferum run --pending`` on the week just published by
    :func:`run_whole` (nothing to do): best wall time of five each."""
    reports = WORK / f"k{k}" / "reports"
    out = {}
    for name, args in (("status", ["status"]), ("pending", ["run", "--pending"])):
        walls = [measure([SFERUM, *args, "--data-dir", str(data), "--reports-dir",
                          str(reports)], WORK / f"k{k}" / f"{name}.log")["wall_s"]
                 for _ in range(5)]
        out[name] = {"wall_s": min(walls), "wall_all_s": walls}
    if "Недель: 2, требуют обработки: 0" not in (WORK / f"k{k}" / "status.log").read_text(
            encoding="utf-8"):
        raise SystemExit("sferum status: the week is not published as expected")
    return out


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------

def machine() -> dict:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "-"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": model or platform.processor(),
        "ram_gb": round(ram_kb / 2**20, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "libraries": versions,
        # WeasyPrint subsets the PDFs' fonts with it when present, else with fontTools
        "harfbuzz_subset": bool(ctypes.util.find_library("harfbuzz-subset")),
    }


def best(results: list[dict]) -> dict:
    """The repeat with the lowest wall time; the highest memory of all repeats."""
    top = dict(min(results, key=lambda r: r["wall_s"]))
    top["wall_all_s"] = [r["wall_s"] for r in results]
    for key in ("max_rss_mb", "peak_tree_mb"):
        values = [r[key] for r in results if r.get(key) is not None]
        top[key] = max(values) if values else None
    return top


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
        + f"; HarfBuzz-Subset: {'yes' if m.get('harfbuzz_subset') else 'no (fontTools)'}.",
        f"Load average before/after: {res['load_before']} / {res['load_after']}; "
        f"repeats: {res['repeat']} (best wall time shown).",
        "",
        "| K | files | rows read | naive, s | ingest, s | whole run, s | naive / ingest "
        "| run / naive | CPU naive / ingest / run, s | run peak memory, MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k, row in res["compare"].items():
        naive, ingest, run = row["naive"], row["ingest"], row["run"]
        lines.append(
            f"| {k} | {ingest['files']} | {ingest['rows_read']:,} | {naive['wall_s']:.1f} | "
            f"{ingest['wall_s']:.1f} | {run['wall_s']:.1f} | "
            f"{naive['wall_s'] / ingest['wall_s']:.1f}× | {run['wall_s'] / naive['wall_s']:.2f} "
            f"| {naive['cpu_s']:.1f} / {ingest['cpu_s']:.1f} / {run['cpu_s']:.1f} "
            f"| {run['peak_tree_mb']} |")
    lines += ["", "Whole run by step (s): " + "; ".join(
        f"K={k}: " + ", ".join(f"{t} {s:.1f}" for t, s in row["run"]["steps_s"].items())
        for k, row in res["compare"].items())]
    lines += ["", "| K | rows read | persons | ingest wall, s | import, s | clean_step, s "
              "| clean_step CPU, s | CPU s per 100k rows | peak memory, MB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for k, r in res["ingest"].items():
        lines.append(
            f"| {k} | {r['rows_read']:,} | {r['persons']:,} | {r['wall_s']:.1f} | "
            f"{r['import_s']:.1f} | {r['clean_s']:.1f} | {r['clean_cpu_s']:.1f} | "
            f"{r['clean_cpu_s'] / r['rows_read'] * 1e5:.2f} | {r['peak_tree_mb']} |")
    for k, r in res["memory"].items():
        lines.append("")
        lines.append(f"Whole run at K={k}: {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s, peak "
                     f"memory {r['peak_tree_mb']} MB (sum of PSS), largest process "
                     f"{r['max_rss_mb']} MB; steps: "
                     + ", ".join(f"{t} {s:.1f}" for t, s in r["steps_s"].items()))
    for k, r in res.get("noop", {}).items():
        lines.append("")
        lines.append(f"Nothing to do (K={k}, best of 5): sferum status "
                     f"{r['status']['wall_s']:.2f} s,"
                     f" sferum run --pending {r['pending']['wall_s']:.2f} s")
    lines += ["", "Targets:"]
    lines += [f"* {t['name']}: {t['value']} — {'met' if t['met'] else 'NOT met'}"
              for t in res["targets"]]
    return "\n".join(lines)


def targets(res: dict) -> list[dict]:
    out = []
    compare, ingest, memory = res["compare"], res["ingest"], res["memory"]
    for k, target, aim in (("1", TARGET_RUN_VS_NAIVE_K1, 1.0),
                           ("10", TARGET_RUN_VS_NAIVE_K10, 0.15)):
        if k in compare:
            ratio = compare[k]["run"]["wall_s"] / compare[k]["naive"]["wall_s"]
            out.append({"name": f"K={k}: whole run with the site ≤ {target} × naive (aim {aim})",
                        "value": f"{ratio:.2f}", "met": ratio <= target})
    if "50" in memory:
        peak = memory["50"]["peak_tree_mb"] or memory["50"]["max_rss_mb"]
        out.append({"name": "K=50: peak memory of the process tree ≤ 1 GB", "value": f"{peak} MB",
                    "met": peak <= TARGET_PEAK_K50_MB})
    for r in res.get("noop", {}).values():
        for name in ("status", "pending"):
            wall = r[name]["wall_s"]
            out.append({"name": f"`sferum {'status' if name == 'status' else 'run --pending'}` "
                                f"with nothing to do ≤ {TARGET_NOOP_S} s",
                        "value": f"{wall:.2f} s", "met": wall <= TARGET_NOOP_S})
    if "10" in ingest and len(ingest) > 1:
        # CPU, not wall time: on a shared machine the wall time follows the others' load
        per_row = {k: r["clean_cpu_s"] / r["rows_read"] for k, r in ingest.items()}
        largest = max(ingest, key=int)
        growth = per_row[largest] / per_row["10"]
        out.append({"name": f"ingest linear in rows (clean_step CPU per row at K={largest} "
                            "≤ 1.25 × at K=10)", "value": f"{growth:.2f}",
                    "met": growth <= TARGET_LINEAR})
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--ingest-child":
        return ingest_child(*argv[1:5])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", default="1,10", help="K for naive vs ingest vs run")
    parser.add_argument("--ingest-k", default="1,10,50", help="K for ingest alone")
    parser.add_argument("--memory-k", default="50", help="K for a whole run (peak memory)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each measurement")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0: cores)")
    parser.add_argument("--out", type=Path, default=WORK / "results.json")
    args = parser.parse_args(argv)

    def ks(text: str) -> list[int]:
        return [int(k) for k in text.split(",") if k.strip()]

    WORK.mkdir(parents=True, exist_ok=True)
    # The package's bytecode, as an installed package has it (pip compiles it) and a
    # checkout gets on its first import: without it (PYTHONDONTWRITEBYTECODE, a fresh
    # clone) every process of every run would compile the package's modules again.
    compileall.compile_dir(str(REPO / "sferum_analysis"), quiet=1)
    res: dict = {"machine": machine(), "repeat": args.repeat, "week": WEEK,
                 "load_before": [round(x, 2) for x in os.getloadavg()],
                 "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                 "compare": {}, "ingest": {}, "memory": {}, "noop": {}}
    for k in ks(args.k):
        data = data_dir(k)
        runs: dict[str, list[dict]] = {"naive": [], "ingest": [], "run": []}
        for _ in range(args.repeat):
            runs["naive"].append(run_naive(k, data))
            runs["ingest"].append(run_ingest(k, data, args.workers))
            runs["run"].append(run_whole(k, data, args.workers))
            print(f"K={k}: naive {runs['naive'][-1]['wall_s']} s, ingest "
                  f"{runs['ingest'][-1]['wall_s']} s, run {runs['run'][-1]['wall_s']} s",
                  file=sys.stderr, flush=True)
        res["compare"][str(k)] = {name: best(r) for name, r in runs.items()}
        if k == 1:
            res["noop"] = {str(k): run_noop(k, data)}
    for k in ks(args.ingest_k):
        if str(k) in res["compare"]:
            res["ingest"][str(k)] = res["compare"][str(k)]["ingest"]
            continue
        data = data_dir(k)
        res["ingest"][str(k)] = best([run_ingest(k, data, args.workers)
                                      for _ in range(args.repeat)])
        print(f"K={k}: ingest {res['ingest'][str(k)]['wall_s']} s", file=sys.stderr, flush=True)
    for k in ks(args.memory_k):
        data = data_dir(k)
        res["memory"][str(k)] = run_whole(k, data, args.workers)
        print(f"K={k}: run {res['memory'][str(k)]['wall_s']} s", file=sys.stderr, flush=True)
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    res["targets"] = targets(res)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
