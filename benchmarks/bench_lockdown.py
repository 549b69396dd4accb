"""Benchmark: batch-engine milliseconds per run for the high-school lockdown scenarios.

Sampling, engine and scoring separately, best of ``--repeat`` batches of ``--runs`` runs in one
process, in CPU time of this process (``time.process_time``: the engines are single-threaded
NumPy, and CPU time is far less disturbed than wall time on a shared machine). Uses only the
API that existed before issue 8, so an older checkout can be measured the same way:
``PYTHONPATH=<checkout> python benchmarks/bench_lockdown.py --root <checkout>``.

Usage: python benchmarks/bench_lockdown.py [--runs 4096] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("class", "lunch", "passing")


def bench(path: Path, runs: int, repeat: int) -> dict:
    from drillsim.engines.batch import run_batch
    from drillsim.metrics.score import score
    from drillsim.plan.compile import compile_plan
    from drillsim.sample.draws import sample
    from drillsim.scenario.load import load_scenario

    loaded = load_scenario(path)
    plan = compile_plan(loaded)
    sc = loaded.scenario
    run_batch(plan, sample(plan, sc, 0, 8))  # warm up
    best = None
    for _ in range(repeat):
        t = time.process_time()
        d = sample(plan, sc, 1, runs)
        t1 = time.process_time()
        o = run_batch(plan, d)
        t2 = time.process_time()
        score(plan, o)
        t3 = time.process_time()
        times = (t1 - t, t2 - t1, t3 - t2)
        if best is None or sum(times) < sum(best):
            best = times
    ms = [1000 * x / runs for x in best]
    return {
        "people": plan.n_persons,
        "movers": int(plan.mover.size),
        "rooms": plan.n_rooms,
        "ms_per_run_sampling": round(ms[0], 4),
        "ms_per_run_engine": round(ms[1], 4),
        "ms_per_run_scoring": round(ms[2], 4),
        "ms_per_run_total": round(sum(ms), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose scenarios/ to use")
    a = ap.parse_args()
    out = {
        n: bench(a.root / f"scenarios/high-school-lockdown-{n}.yaml", a.runs, a.repeat)
        for n in NAMES
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
