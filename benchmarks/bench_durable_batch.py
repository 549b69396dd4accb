"""Benchmark: what keeping every finished chunk on disk (``drillsim batch``, --resume) costs.

Runs the high-school lockdown in this process with one worker, without a chunk store and with
one (fsync on and off), and prints CPU and wall seconds and the bytes on disk. CPU time is the
figure to read on a shared machine: wall time there depends on the other processes.

Usage: python benchmarks/bench_durable_batch.py [--runs 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios/high-school-lockdown-class.yaml"


def timed(f) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of ``f()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    f()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    from drillsim.plan.compile import compile_plan
    from drillsim.run.batch import DETAIL_RUNS, run_batch_job
    from drillsim.run.chunkstore import ChunkStore
    from drillsim.scenario.load import load_scenario

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    loaded = load_scenario(SCENARIO)
    plan = compile_plan(loaded)
    run_batch_job(loaded, 512, 0, workers=1, plan=plan)  # warm up imports and caches
    for _ in range(a.repeat):
        cpu, wall = timed(lambda: run_batch_job(loaded, a.runs, 1, workers=1, plan=plan))
        line = [f"no store: cpu {cpu:.2f} s, wall {wall:.2f} s"]
        for fsync in (False, True):
            with tempfile.TemporaryDirectory(dir=ROOT) as d:
                store = ChunkStore(Path(d), min(a.runs, DETAIL_RUNS), fsync=fsync)
                cpu, wall = timed(
                    lambda store=store: run_batch_job(
                        loaded, a.runs, 1, workers=1, plan=plan, store=store
                    )
                )
                size = sum(p.stat().st_size for p in Path(d).iterdir())
            line.append(
                f"store fsync={fsync}: cpu {cpu:.2f} s, wall {wall:.2f} s, {size / 1e6:.1f} MB"
            )
        print(f"{a.runs} runs, 1 worker | " + " | ".join(line))


if __name__ == "__main__":
    main()
