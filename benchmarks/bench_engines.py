"""Benchmark: batch vs reference engine throughput, and peak memory of large batches.

Prints, for the high-school lockdown and evacuation scenarios:
  * reference runs/s and batch runs/s measured in the same process, end to end per run
    (sampling + engine + scoring), and engine-only;
  * wall time of a 10,000-run `run_batch_job` with the default workers;
  * peak resident memory of batches of 1,000 / 10,000 / 100,000 runs (each in a fresh process).

Usage: python benchmarks/bench_engines.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "high-school lockdown": ROOT / "scenarios/high-school-lockdown-class.yaml",
    "high-school evacuate": ROOT / "scenarios/high-school-evacuate-class.yaml",
}


def throughput(path: Path, n_ref: int, n_batch: int) -> dict:
    from drillsim.engines.batch import run_batch
    from drillsim.engines.reference import run_reference
    from drillsim.plan.compile import compile_plan
    from drillsim.run.batch import reduce_outcomes, run_batch_job
    from drillsim.sample.draws import sample
    from drillsim.scenario.load import load_scenario

    loaded = load_scenario(path)
    plan = compile_plan(loaded)
    sc = loaded.scenario
    # warm up both paths
    run_batch(plan, sample(plan, sc, 0, 8))
    run_reference(plan, sample(plan, sc, 0, 1))

    t = time.perf_counter()
    draws = sample(plan, sc, 1, n_ref)
    t_sample_ref = time.perf_counter() - t
    t = time.perf_counter()
    outs = [run_reference(plan, draws.run(r)) for r in range(n_ref)]
    t_ref_engine = time.perf_counter() - t
    t = time.perf_counter()
    for o in outs:
        reduce_outcomes(plan, o)
    t_ref_reduce = time.perf_counter() - t
    ref_per_run = (t_sample_ref + t_ref_engine + t_ref_reduce) / n_ref

    best = None
    for _ in range(3):  # best of three: the first big allocation pays page faults
        t = time.perf_counter()
        draws = sample(plan, sc, 1, n_batch)
        t_sample = time.perf_counter() - t
        t = time.perf_counter()
        o = run_batch(plan, draws)
        t_engine = time.perf_counter() - t
        t = time.perf_counter()
        reduce_outcomes(plan, o)
        t_reduce = time.perf_counter() - t
        if best is None or t_sample + t_engine + t_reduce < sum(best):
            best = (t_sample, t_engine, t_reduce)
    t_sample, t_engine, t_reduce = best
    batch_per_run = (t_sample + t_engine + t_reduce) / n_batch

    t = time.perf_counter()
    run_batch_job(loaded, 10_000, 1)
    t_10k = time.perf_counter() - t
    return {
        "people": plan.n_persons,
        "rooms": plan.n_rooms,
        "reference_runs_per_s": 1 / ref_per_run,
        "batch_runs_per_s": 1 / batch_per_run,
        "ratio_end_to_end": ref_per_run / batch_per_run,
        "ratio_engine_only": (t_ref_engine / n_ref) / (t_engine / n_batch),
        "batch_ms_per_run": {
            "sample": 1e3 * t_sample / n_batch,
            "engine": 1e3 * t_engine / n_batch,
            "score": 1e3 * t_reduce / n_batch,
        },
        "reference_ms_per_run": {
            "sample": 1e3 * t_sample_ref / n_ref,
            "engine": 1e3 * t_ref_engine / n_ref,
            "score": 1e3 * t_ref_reduce / n_ref,
        },
        "wall_s_10000_runs_default_workers": t_10k,
    }


_MEMORY_PROBE = """
import os, threading, time
from pathlib import Path

def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def family(pid):
    out = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        for k in kids:
            out += family(int(k))
    return out

peak = {"total": 0.0, "parent": 0.0}
done = threading.Event()

def watch():
    me = os.getpid()
    while not done.is_set():
        try:
            sizes = [rss_mib(p) for p in family(me)]
            peak["total"] = max(peak["total"], sum(sizes))
            peak["parent"] = max(peak["parent"], sizes[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.02)

threading.Thread(target=watch, daemon=True).start()
from drillsim.scenario.load import load_scenario
from drillsim.run.batch import run_batch_job
run_batch_job(load_scenario(PATH), RUNS, 1)
done.set()
time.sleep(0.05)
print(peak["total"], peak["parent"])
"""


def peak_memory(path: Path, runs: int) -> dict:
    """Peak resident memory (MiB) of a fresh batch job: all its processes summed, and the parent.

    Sampled from /proc every 20 ms (``ru_maxrss`` would carry over the benchmark's own size into
    the child through fork and exec).
    """
    code = _MEMORY_PROBE.replace("PATH", repr(str(path))).replace("RUNS", str(runs))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    total, parent = map(float, out.stdout.split())
    return {"all_processes": round(total, 1), "parent": round(parent, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs, skip 100,000-run memory")
    args = ap.parse_args()
    n_ref, n_batch = (20, 1024) if args.quick else (100, 4096)
    report = {}
    for name, path in SCENARIOS.items():
        report[name] = throughput(path, n_ref, n_batch)
        sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
        report[name]["peak_memory_mib"] = {n: peak_memory(path, n) for n in sizes}
        print(f"\n== {name} ({report[name]['people']} people, {report[name]['rooms']} rooms)")
        print(json.dumps(report[name], indent=2))
    print("\nTargets: ratio >= 300x; 10,000 high-school lockdown runs <= 10 s; flat peak memory.")


if __name__ == "__main__":
    main()
