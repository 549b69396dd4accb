"""Benchmark: the researcher-facing costs around the engine (issue 10, item 5 outside the engine).

Measures, for the high-school lockdown (class in session):

* ``drillsim --help`` wall time (median of 7) and which heavy modules it imports;
* ``drillsim batch --runs 10000 --workers 1`` end to end (files and figures included, median of 3);
* the parent's peak resident memory (``VmHWM`` of the CLI process itself) of
  ``drillsim batch --runs 100000`` with the default workers;
* ``run_batch_job`` on 20,000 runs on a local Dask cluster of one worker vs two (one thread per
  worker process), after a warm-up that imports the engine on every worker.

Usage: python benchmarks/bench_research.py [--skip-dask] [--skip-memory]

Set ``DRILLSIM_SRC`` to a source folder to measure another checkout with the same venv (it is put
first on ``PYTHONPATH``, so the ``drillsim`` console script imports that copy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios/high-school-lockdown-class.yaml"
HEAVY = ("matplotlib", "pyarrow", "scipy.stats", "pandas", "simpy", "networkx", "scipy.special")

#: Runs the console-script entry point in this interpreter and reports what it imported and the
#: process's own peak resident memory (VmHWM), whatever the exit code.
_CLI_PROBE = """
import atexit, sys
from pathlib import Path
def _report():
    hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM:')]
    heavy = [m for m in HEAVY if m in sys.modules]
    sys.stderr.write('\\nPROBE ' + hwm[0].split()[1] + ' ' + ','.join(heavy) + '\\n')
atexit.register(_report)
sys.argv = ['drillsim'] + ARGS
from drillsim.cli.main import main
main()
"""


def _env() -> dict:
    env = dict(os.environ)
    src = os.environ.get("DRILLSIM_SRC")
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _probe(args: list[str]) -> tuple[float, float, list[str]]:
    """(wall s, parent peak MiB, heavy modules imported) of one CLI invocation."""
    code = _CLI_PROBE.replace("HEAVY", repr(HEAVY)).replace("ARGS", repr(args))
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=False
    )
    wall = time.perf_counter() - t
    line = [x for x in out.stderr.splitlines() if x.startswith("PROBE ")]
    if out.returncode != 0 or not line:
        raise SystemExit(f"command failed: drillsim {' '.join(args)}\n{out.stderr[-2000:]}")
    _, kib, heavy = (line[-1] + " ").split(" ", 2)
    return wall, int(kib) / 1024, [h for h in heavy.strip().split(",") if h]


def help_time() -> dict:
    exe = Path(sys.executable).with_name("drillsim")
    walls = []
    for _ in range(7):
        t = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, env=_env(), check=True)
        walls.append(time.perf_counter() - t)
    _, _, heavy = _probe(["--help"])
    return {"median_s": round(statistics.median(walls), 3), "heavy_modules_imported": heavy}


def batch_10k_one_worker() -> dict:
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(3):
            args = ["batch", str(SCENARIO), "--runs", "10000", "--workers", "1", "--quiet"]
            wall, _, _ = _probe([*args, "--out", f"{tmp}/o{i}"])
            walls.append(wall)
    return {"median_s": round(statistics.median(walls), 2), "all_s": [round(w, 2) for w in walls]}


def parent_peak_100k() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = ["batch", str(SCENARIO), "--runs", "100000", "--quiet", "--out", f"{tmp}/o"]
        wall, mib, _ = _probe(args)
    return {"parent_peak_mib": round(mib, 1), "wall_s": round(wall, 1)}


_DASK_PROBE = """
import json, time
from distributed import Client, LocalCluster
from drillsim.scenario.load import load_scenario
from drillsim.run.batch import run_batch_job
loaded = load_scenario(PATH)
out = {}
for n in (1, 2):
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                      host='127.0.0.1') as cluster, Client(cluster):
        run_batch_job(loaded, 256 * 2 * n, 7, scheduler=cluster.scheduler_address)  # warm-up
        best = None
        for _ in range(2):
            t = time.perf_counter()
            run_batch_job(loaded, 20000, 1, scheduler=cluster.scheduler_address)
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        out[n] = best
print(json.dumps(out))
"""


def dask_scaling() -> dict:
    code = _DASK_PROBE.replace("PATH", repr(str(SCENARIO)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
    )
    t = json.loads(out.stdout.strip().splitlines()[-1])
    one, two = t["1"], t["2"]
    return {"one_worker_s": round(one, 2), "two_workers_s": round(two, 2),
            "speedup": round(one / two, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    report: dict = {"help": help_time(), "batch_10000_runs_1_worker": batch_10k_one_worker()}
    print(json.dumps(report, indent=2), flush=True)
    if not args.skip_memory:
        report["batch_100000_runs"] = parent_peak_100k()
    if not args.skip_dask:
        report["dask_20000_runs"] = dask_scaling()
    print(json.dumps(report, indent=2))
    print("Targets: --help <= 0.3 s; 10,000 runs <= 3 s (1 worker); parent <= 300 MiB at "
          "100,000 runs; two Dask workers >= 1.8x one.")


if __name__ == "__main__":
    main()
