"""High-school evacuation plans side by side: nearest, posted, balanced, posted with EX-STC blocked.

    .venv/bin/python benchmarks/evacuation_plans.py [--runs 1000] [--seed 1]

Prints JSON: per plan the time until everyone is outside, at assembly and every class accounted
for (median, p90 over the runs), the people rerouted, and per exit the people routed and the
median time its last user is outside. Same seed for every plan (common random numbers).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PLANS = {
    "nearest": "scenarios/high-school-evacuate-class.yaml",
    "posted": "scenarios/high-school-evacuate-class-posted.yaml",
    "balanced": "scenarios/high-school-evacuate-class-balanced.yaml",
    "posted, EX-STC blocked": "scenarios/high-school-evacuate-class-posted-stc-blocked.yaml",
}


def main() -> None:
    from drillsim.run.batch import run_batch_job
    from drillsim.scenario.load import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    report = {}
    for name, rel in PLANS.items():
        loaded = load_scenario(ROOT / rel)
        res = run_batch_job(loaded, args.runs, args.seed)
        plan = res.plan
        m = res.metrics

        def mp(k, m=m):
            return {
                "median": round(float(np.median(m[k])), 1),
                "p90": round(float(np.quantile(m[k], 0.9)), 1),
            }

        ids = plan.space_ids
        load = Counter(ids[e] for e in plan.person_exit if e >= 0)
        report[name] = {
            "everyone_outside_s": mp("time_all_outside_s"),
            "everyone_at_assembly_s": mp("evacuation_time_s"),
            "all_classes_accounted_s": mp("time_all_accounted_s"),
            "rerouted_persons": int(plan.person_rerouted.sum()),
            "exits": {
                e: {
                    "people": n,
                    "last_out_median_s": round(
                        float(np.median(res.exit_last_s[:, ids.index(e)])), 1
                    ),
                }
                for e, n in sorted(load.items())
            },
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
