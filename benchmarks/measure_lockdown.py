"""Lockdown headline numbers of a scenario: the measurement behind the issue-8 closing note.

For ``--runs`` seeded runs (batch engine): time to 95 % of rooms secured, share of runs with
every room secured, people locked out, the rooms people outside rooms ended in, and the rooms
the locked-out people were last refused at. Uses only the Plan / Draws / Outcomes API that
existed before issue 8, so the same script measures an older checkout
(``PYTHONPATH=<checkout> python benchmarks/measure_lockdown.py ...``).

Usage::

    python benchmarks/measure_lockdown.py scenarios/high-school-lockdown-lunch.yaml --runs 1000
    python benchmarks/measure_lockdown.py scenarios/high-school-lockdown-lunch.yaml \\
        --set lockdown.hold_max_s=30
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
import yaml

from drillsim.engines.batch import run_batch
from drillsim.floorplan import load_floorplan
from drillsim.metrics.score import score
from drillsim.plan.compile import compile_plan
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import scenario_from_dict


def load(path: Path, overrides: list[str]):
    data = yaml.safe_load(path.read_text())
    for item in overrides:
        key, _, value = item.partition("=")
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    fp = load_floorplan((path.parent / data["floorplan"]).resolve())
    return scenario_from_dict(data, fp)


def measure(path: Path, runs: int, seed: int, overrides: list[str]) -> dict:
    loaded = load(path, overrides)
    plan = compile_plan(loaded)
    t95, all_ok, locked, reached = [], [], [], []
    ended: Counter = Counter()
    refused_at: Counter = Counter()
    over = 0
    cap = getattr(plan, "room_capacity", None)
    last_valid = np.array([max((c for c in row if c >= 0), default=-1) for row in plan.mover_cand])
    for first in range(0, runs, CHUNK_RUNS):
        n = min(CHUNK_RUNS, runs - first)
        o = run_batch(plan, sample(plan, loaded.scenario, seed, n, first_run=first))
        m = score(plan, o)
        t95 += list(m["time_95_secured_s"])
        sec = o.room_secured_s
        all_ok += list(np.isfinite(sec).all(axis=1))
        locked += list(o.person_locked_out.sum(axis=1))
        mv = plan.mover
        ref = o.person_refuge[:, mv]
        for r in ref[ref >= 0]:
            ended[plan.room_id(int(r))] += 1
        out = o.person_locked_out[:, mv]
        for j in np.nonzero(out)[1]:
            if last_valid[j] >= 0:
                refused_at[plan.room_id(int(last_valid[j]))] += 1
        reached += list(np.isfinite(sec).sum(axis=1))
        if cap is not None:
            M = plan.n_rooms
            flat = (np.arange(n)[:, None] * (M + 1) + (o.person_refuge + 1)).ravel()
            occ = np.bincount(flat, minlength=n * (M + 1)).reshape(n, M + 1)[:, 1:]
            over += int((occ > cap[None, :]).sum())
    t95 = np.array(t95)
    return {
        "scenario": str(path),
        "overrides": overrides,
        "runs": runs,
        "seed": seed,
        "rooms_to_secure": plan.n_rooms,
        "time_95_secured_median_s": round(float(np.median(t95)), 1),
        "time_95_secured_p90_s": round(float(np.quantile(t95, 0.9)), 1),
        "time_95_secured_share_never": round(float(np.mean(~np.isfinite(t95))), 3),
        "share_runs_all_secured": round(float(np.mean(all_ok)), 3),
        "locked_out_median": float(np.median(locked)),
        "locked_out_mean": round(float(np.mean(locked)), 1),
        "movers": int(plan.mover.size),
        "refuge_people_per_run_top": {k: round(v / runs, 1) for k, v in ended.most_common(10)},
        "locked_out_last_refused_at_per_run_top": {
            k: round(v / runs, 1) for k, v in refused_at.most_common(6)
        },
        "room_over_capacity_count": over if cap is not None else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], help="key.path=value override")
    a = ap.parse_args()
    print(json.dumps(measure(a.scenario, a.runs, a.seed, a.set), indent=1))


if __name__ == "__main__":
    main()
