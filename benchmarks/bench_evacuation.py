"""Evacuation engine cost: batch ms per run (one core, sampling chunks of 256 runs) and the
batch/reference ratio, for the high school with nearest, posted and balanced routes.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_evacuation.py

Prints JSON. The batch figure is the best of five passes over 4 chunks (1,024 runs) of the engine
alone (draws sampled beforehand), the way ``run_batch_job`` runs it; the reference figure is the
mean engine time over 30 runs. Targets (issue 7): <= 0.25 ms per run, >= 300x the reference.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "nearest": ROOT / "scenarios/high-school-evacuate-class.yaml",
    "posted": ROOT / "scenarios/high-school-evacuate-class-posted.yaml",
    "balanced": ROOT / "scenarios/high-school-evacuate-class-balanced.yaml",
    "posted, EX-STC blocked": ROOT / "scenarios/high-school-evacuate-class-posted-stc-blocked.yaml",
    "posted, EX-STC blocked from 60 s": ROOT
    / "scenarios/high-school-evacuate-class-posted-stc-blocked-60s.yaml",
}


def measure(path: Path, n_ref: int, passes: int) -> dict:
    from drillsim.engines.batch import run_batch
    from drillsim.engines.reference import run_reference
    from drillsim.plan.compile import compile_plan
    from drillsim.sample.draws import CHUNK_RUNS, sample
    from drillsim.scenario.load import load_scenario

    loaded = load_scenario(path)
    plan = compile_plan(loaded)
    sc = loaded.scenario
    chunks = [sample(plan, sc, 1, CHUNK_RUNS, first_run=c * CHUNK_RUNS) for c in range(4)]
    run_batch(plan, chunks[0])  # warm up
    best = best_cpu = float("inf")
    for _ in range(passes):
        t, c = time.perf_counter(), time.process_time()
        for d in chunks:
            run_batch(plan, d)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)  # less sensitive to a shared machine
    batch_ms = 1e3 * best / (4 * CHUNK_RUNS)
    d = sample(plan, sc, 1, n_ref)
    run_reference(plan, d.run(0))
    t = time.perf_counter()
    for r in range(n_ref):
        run_reference(plan, d.run(r))
    ref_ms = 1e3 * (time.perf_counter() - t) / n_ref
    net = plan.evac_net
    return {
        "people": plan.n_persons,
        "servers": net.n_servers,
        "rows": net.n_rows,
        "cycle_blocks": sum(int(b.size > 1) for b in net.blocks),
        "batch_engine_ms_per_run": round(batch_ms, 4),
        "batch_engine_cpu_ms_per_run": round(1e3 * best_cpu / (4 * CHUNK_RUNS), 4),
        "reference_engine_ms_per_run": round(ref_ms, 2),
        "ratio_engine_only": round(ref_ms / batch_ms, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-runs", type=int, default=30)
    ap.add_argument("--passes", type=int, default=5)
    args = ap.parse_args()
    out = {name: measure(p, args.ref_runs, args.passes) for name, p in SCENARIOS.items()}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
