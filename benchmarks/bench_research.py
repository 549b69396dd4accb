"""Benchmark: the researcher-facing costs around the engine (issue 10, item 5 outside the engine).

Measures, for the high-school lockdown (class in session):

* ``drillsim --help`` wall time (median of 7) and which heavy modules it imports;
* the lockdown batch engine per run against a NumPy floor measured in the same process (one
  uniform per person drawn and sorted, per run), 256-run chunks, best of 30 each, interleaved;
* ``drillsim batch --runs 10000 --workers 1`` end to end (files and figures included, median of 3);
* the parent's peak resident memory (``VmHWM`` of the CLI process itself) of
  ``drillsim batch --runs 100000`` with the default workers;
* ``run_batch_job`` on 20,000 runs on a local Dask cluster of one worker vs two (one thread per
  worker process), after a warm-up that imports the engine on every worker.

Usage: python benchmarks/bench_research.py [--before DIR] [--repeat N] [--skip-dask] [--skip-memory]

``--before DIR`` measures a second source tree (e.g. ``git archive`` of an older commit unpacked
in DIR) with the same venv, interleaved with this checkout measurement by measurement, so both
see the same load on a shared machine; run it from outside the repository (``cd /tmp``) so the
current folder does not shadow DIR. Wall times are given as best and median of the repeats, with
the CPU seconds (user + system, all processes) of the best run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


SRC: str | None = None  # source tree measured (None: this checkout)


def _env() -> dict:
    env = dict(os.environ)
    if SRC:
        env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _probe(args: list[str]) -> tuple[float, float, list[str], float]:
    """(wall s, parent peak MiB, heavy modules imported, CPU s) of one CLI invocation."""
    code = _CLI_PROBE.replace("HEAVY", repr(HEAVY)).replace("ARGS", repr(args))
    c0 = _cpu()
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=False
    )
    wall = time.perf_counter() - t
    cpu = _cpu() - c0
    line = [x for x in out.stderr.splitlines() if x.startswith("PROBE ")]
    if out.returncode != 0 or not line:
        raise SystemExit(f"command failed: drillsim {' '.join(args)}\n{out.stderr[-2000:]}")
    _, kib, heavy = (line[-1] + " ").split(" ", 2)
    return wall, int(kib) / 1024, [h for h in heavy.strip().split(",") if h], cpu


def help_time() -> dict:
    """One ``drillsim --help`` through the console script: (wall s, CPU s)."""
    exe = Path(sys.executable).with_name("drillsim")
    c0 = _cpu()
    t = time.perf_counter()
    subprocess.run([str(exe), "--help"], capture_output=True, env=_env(), check=True)
    return {"wall_s": time.perf_counter() - t, "cpu_s": _cpu() - c0}


def help_modules() -> list[str]:
    return _probe(["--help"])[2]


def batch_10k_one_worker() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = ["batch", str(SCENARIO), "--runs", "10000", "--workers", "1", "--quiet"]
        wall, _, _, cpu = _probe([*args, "--out", f"{tmp}/o"])
    return {"wall_s": wall, "cpu_s": cpu}


def parent_peak_100k() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = ["batch", str(SCENARIO), "--runs", "100000", "--quiet", "--out", f"{tmp}/o"]
        wall, mib, _, cpu = _probe(args)
    return {"parent_peak_mib": round(mib, 1), "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}


_DASK_PROBE = """
import json, os, time
import psutil
from distributed import Client, LocalCluster
from drillsim.scenario.load import load_scenario
from drillsim.run.batch import run_batch_job
loaded = load_scenario(PATH)

def cpu(procs):
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total

me = psutil.Process()
clusters = {}
for n in (1, 2):  # both clusters stay up; idle workers cost nothing measurable
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=None, host='127.0.0.1')
    client = Client(cluster)
    run_batch_job(loaded, 256 * 2 * n, 7, scheduler=cluster.scheduler_address)  # warm-up
    clusters[n] = (cluster, client)
# the scheduler runs in this process (LocalCluster); the workers are its children
procs = [me] + me.children(recursive=True)
def worker_cpu(client):
    return client.run(lambda: (lambda t: t.user + t.system)(psutil.Process().cpu_times()))
runs = {1: [], 2: []}
for rep in range(REPEAT):
    for n in ((1, 2) if rep % 2 == 0 else (2, 1)):  # alternate the order, so drifts in load
        cluster, client = clusters[n]              # hit both alike
        load0 = os.getloadavg()[0]
        w0 = worker_cpu(client)
        c0, m0 = cpu(procs), cpu([me])
        t = time.perf_counter()
        run_batch_job(loaded, RUNS, 1, scheduler=cluster.scheduler_address)
        wall = time.perf_counter() - t
        c1, m1 = cpu(procs), cpu([me])
        w1 = worker_cpu(client)
        runs[n].append({"wall_s": wall, "cpu_s": c1 - c0, "load_1min": load0,
                        "client_and_scheduler_cpu_s": m1 - m0,
                        "worker_cpu_s": sorted(w1[k] - w0[k] for k in w1)})
for cluster, client in clusters.values():
    client.close()
    cluster.close()
print(json.dumps(runs))
"""


_CHUNK_PROBE = """
import resource, sys, time
import drillsim.run.workers as w
from drillsim.plan.compile import compile_plan
from drillsim.run.batch import run_chunk
from drillsim.scenario.load import load_scenario
if MODE == 'glibc defaults':
    w._tuned = True  # run_chunk's tune_malloc() becomes a no-op
l = load_scenario(PATH)
p = compile_plan(l)
run_chunk(p, l.scenario, 1, 0, 256, 'batch')
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
best = None
for c in range(40):
    t = time.perf_counter()
    run_chunk(p, l.scenario, 1, 256 * c, 256, 'batch')
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / 40
print(best / 256 * 1e6, faults)
"""


_FLOOR_PROBE = """
import json, time
import numpy as np
from drillsim.engines.batch import run_batch
from drillsim.plan.compile import compile_plan
from drillsim.run.batch import reduce_outcomes
from drillsim.run.workers import tune_malloc
from drillsim.sample.draws import sample
from drillsim.scenario.load import load_scenario
tune_malloc()  # as run_chunk does
l = load_scenario(PATH)
p, sc, R = compile_plan(l), l.scenario, 256
rng = np.random.default_rng(0)
best = dict(floor=1e9, sample=1e9, engine=1e9, reduce=1e9)
for c in range(30):
    t0 = time.perf_counter()
    np.sort(rng.random((R, p.n_persons)), axis=1)
    t1 = time.perf_counter()
    d = sample(p, sc, 1, R, first_run=R * c)
    t2 = time.perf_counter()
    o = run_batch(p, d)
    t3 = time.perf_counter()
    reduce_outcomes(p, o)
    t4 = time.perf_counter()
    for k, dt in zip(best, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
        best[k] = min(best[k], dt / R * 1e6)
print(json.dumps({k: round(v, 1) for k, v in best.items()}))
"""


def engine_vs_floor() -> dict:
    """µs per run (best of 30 chunks of 256 runs) of the NumPy floor, sampling, the batch engine
    and the reduction, and the engine's multiple of the floor."""
    code = _FLOOR_PROBE.replace("PATH", repr(str(SCENARIO)))
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
    )
    us = json.loads(res.stdout.strip().splitlines()[-1])
    us["engine_over_floor"] = round(us["engine"] / us["floor"], 2)
    us["sample_and_engine_over_floor"] = round((us["sample"] + us["engine"]) / us["floor"], 2)
    us["load_average_1min"] = os.getloadavg()[0]
    return us


def chunk_path() -> dict:
    """µs per run of ``run_chunk`` (256-run chunks, best of 40) and minor page faults per chunk,
    with glibc's defaults and with the kept memory of :func:`drillsim.run.workers.tune_malloc`."""
    out = {}
    for mode in ("glibc defaults", "kept memory"):
        code = _CHUNK_PROBE.replace("MODE", repr(mode)).replace("PATH", repr(str(SCENARIO)))
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=_env(), check=True)
        us, faults = map(float, res.stdout.split())
        out[mode] = {"us_per_run": round(us, 1), "minor_faults_per_chunk": int(faults)}
    return out


def dask_scaling(repeat: int = 5, runs: int = 20000) -> dict:
    """``run_batch_job`` of ``runs`` runs on a local Dask cluster of one worker and of two.

    Both clusters stay up and the runs alternate between them (``repeat`` each, the order
    swapped every round), so a change in the machine's load hits both alike; the speed-up is
    the ratio of the best wall times, with the CPU seconds of every process (client, scheduler,
    workers) and the 1-minute load average before each run.
    """
    code = (_DASK_PROBE.replace("PATH", repr(str(SCENARIO))).replace("REPEAT", str(repeat))
            .replace("RUNS", str(runs)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
    )
    t = json.loads(out.stdout.strip().splitlines()[-1])
    one, two = (min(t[k], key=lambda r: r["wall_s"]) for k in ("1", "2"))

    def idle_2_cores(r: dict) -> float:
        # wall time the run's CPU seconds would take on an idle 2-core machine (a model, for a
        # shared machine): the workers' CPU shared evenly between them (a starved worker takes
        # fewer tasks, so under load the split is uneven), and all processes together (client
        # and scheduler included) no faster than 2 cores
        w = r["worker_cpu_s"]
        return max(sum(w) / len(w), r["cpu_s"] / 2)

    proj = {k: statistics.median(idle_2_cores(r) for r in t[k]) for k in ("1", "2")}
    return {
        "speedup_projected_idle_2_cores": round(proj["1"] / proj["2"], 2),
        "one_worker_best_s": round(one["wall_s"], 2),
        "two_workers_best_s": round(two["wall_s"], 2),
        "speedup_best": round(one["wall_s"] / two["wall_s"], 2),
        "speedup_median": round(statistics.median(r["wall_s"] for r in t["1"])
                                / statistics.median(r["wall_s"] for r in t["2"]), 2),
        "cpu_s_of_best": {"one": round(one["cpu_s"], 2), "two": round(two["cpu_s"], 2)},
        "runs": t,
    }


def _timed(fn, sources: dict[str, str | None], repeat: int) -> dict:
    """Run ``fn`` ``repeat`` times per source, interleaved; best and median wall, CPU of best."""
    global SRC
    got: dict[str, list[dict]] = {k: [] for k in sources}
    for _ in range(repeat):
        for name, src in sources.items():
            SRC = src
            got[name].append(fn())
    out = {}
    for name, runs in got.items():
        best = min(runs, key=lambda r: r["wall_s"])
        out[name] = {"best_s": round(best["wall_s"], 3), "cpu_of_best_s": round(best["cpu_s"], 3),
                     "median_s": round(statistics.median(r["wall_s"] for r in runs), 3)}
    return out


def _each(fn, sources: dict[str, str | None]) -> dict:
    global SRC
    out = {}
    for name, src in sources.items():
        SRC = src
        out[name] = fn()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=None, help="source tree to measure as 'before'")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    sources: dict[str, str | None] = {"this checkout": None}
    if args.before:
        sources = {"before": str(Path(args.before).resolve()), **sources}
    report: dict = {
        "help": _timed(help_time, sources, 3 * args.repeat),
        "help_heavy_modules": _each(help_modules, sources),
        "engine_vs_numpy_floor_us_per_run": _each(engine_vs_floor, sources),
        "batch_10000_runs_1_worker": _timed(batch_10k_one_worker, sources, args.repeat),
    }
    report["chunk_path_this_checkout"] = chunk_path()
    print(json.dumps(report, indent=2), flush=True)
    if not args.skip_memory:
        report["batch_100000_runs"] = _each(parent_peak_100k, sources)
    if not args.skip_dask:
        report["dask_20000_runs"] = _each(dask_scaling, sources)
    print(json.dumps(report, indent=2))
    print("Targets: --help <= 0.3 s; 10,000 runs <= 3 s (1 worker); parent <= 300 MiB at "
          "100,000 runs; two Dask workers >= 1.8x one.")


if __name__ == "__main__":
    main()
