"""Locked-out people under lockdown and options-based response: the measurement behind issue 15.

For ``--runs`` seeded runs (batch engine, the chunks the CLI uses): the share of runs with someone
never safe, ``time_all_safe_s`` and ``time_95_safe_s`` (median, p90), hazard-zone exposure
(median, p90), people still locked out and people who left after a lock-out (options), split into
those who left at their refusal and those who waited for the zone to move on, and who is still
never safe and why:

* ``locked_out, no zone step after the refusal``: refused at the last room after the zone's last
  step started, and that zone position cuts their hallway off (options: they decide at the
  refusal and never again);
* ``locked_out, every later zone position cuts them off``: later steps came, none opened a way;
* ``locked_out, a later zone step opens a way (decided once)``: only before issue 15, when a
  locked-out person decided once, at the refusal;
* ``locked_out, lockdown``: the lockdown protocol never lets locked-out people leave;
* ``in a room that never locked (<reason>)``: their own or refuge room's lock failed etc.;
* ``other``.

Reads ``person_lockout_s`` when the checkout has it (issue 15); on an older checkout the refusal
time is recomputed from the plan (``PYTHONPATH=<checkout> python benchmarks/measure_lockout.py``).

Usage::

    python benchmarks/measure_lockout.py scenarios/high-school-options-class-hazard-route.yaml
    python benchmarks/measure_lockout.py scenarios/elementary-lockdown-class.yaml --runs 500
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from drillsim.engines.batch import run_batch
from drillsim.engines.batch.lockdown import stage_arrivals
from drillsim.metrics.score import score
from drillsim.plan.compile import REASON_NAMES, compile_plan
from drillsim.plan.options import known_row
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import load_scenario


def _lockout_s(plan, d, o) -> np.ndarray:
    """(R, Pm) refusal at the last room for people locked out (and options people who left
    afterwards); nan otherwise."""
    mv = plan.mover
    if hasattr(o, "person_lockout_s"):
        return o.person_lockout_s[:, mv]
    lo = o.person_locked_out[:, mv] | ~np.isnan(o.person_reroute_s[:, mv])
    t = stage_arrivals(plan, d, np.where(lo, o.person_move_s[:, mv], np.inf))[:, :, -1]
    return np.where(lo, t, np.nan)


def measure(path: Path, runs: int, seed: int) -> dict:
    loaded = load_scenario(path)
    plan = compile_plan(loaded)
    m_all: dict[str, list] = {}
    never_runs = 0
    why: Counter = Counter()
    where: Counter = Counter()
    left_now = left_later = 0
    mv = plan.mover
    for first in range(0, runs, CHUNK_RUNS):
        n = min(CHUNK_RUNS, runs - first)
        d = sample(plan, loaded.scenario, seed, n, first_run=first)
        o = run_batch(plan, d)
        for k, v in score(plan, o).items():
            m_all.setdefault(k, []).extend(v.tolist())
        never = ~np.isfinite(o.person_safe_s)
        never_runs += int(never.any(axis=1).sum())
        t_lo = _lockout_s(plan, d, o)
        if plan.protocol == "options" and mv.size:
            rer = o.person_reroute_s[:, mv]
            left = ~np.isnan(rer)
            same = left & (rer == t_lo)
            left_now += int(same.sum())
            left_later += int((left & ~same).sum())
        steps = o.hazard_step_s
        lo_mv = o.person_locked_out[:, mv]
        for r, j in zip(*np.nonzero(lo_mv), strict=True):
            here = plan.space_ids[int(plan.mover_lo_space[j])]
            if plan.protocol != "options":
                why["locked_out, lockdown"] += 1
            elif not np.any(steps[r] > t_lo[r, j]):
                why["locked_out, no zone step after the refusal"] += 1
            else:
                later = steps[r][(steps[r] > t_lo[r, j]) & np.isfinite(steps[r])]
                rows = (steps[r][None, :] <= later[:, None]).sum(axis=1)
                if plan.opt_leave_ok[rows, plan.mover_lo_space[j]].any():
                    why["locked_out, a later zone step opens a way (decided once)"] += 1
                else:
                    why["locked_out, every later zone position cuts them off"] += 1
            where[here] += 1
        other = never.copy()
        other[:, mv] &= ~lo_mv
        for r, p in zip(*np.nonzero(other), strict=True):
            m = int(o.person_refuge[r, p])
            if m >= 0:
                why[f"in a room that never locked ({REASON_NAMES.get(int(o.room_reason[r, m]))})"] += 1
            else:
                why["other"] += 1
        # the known zone row at the refusal, for people still locked out (options: why not)
        if plan.protocol == "options" and lo_mv.any():
            rows = known_row(steps, np.where(lo_mv, t_lo, -np.inf))
            assert not np.any(plan.opt_leave_ok[rows, plan.mover_lo_space[None, :]] & lo_mv)

    def q(name: str, p: float) -> float | None:
        if name not in m_all:
            return None
        x = np.sort(np.array(m_all[name], dtype=float))
        v = float(x[min(int(np.ceil(p * (x.size - 1))), x.size - 1)])  # inf-safe quantile
        if np.isfinite(v):
            v = float(np.quantile(x, p))  # interpolated, as the CLI summary
        return round(v, 1)

    out = {
        "scenario": str(path),
        "protocol": plan.protocol,
        "runs": runs,
        "seed": seed,
        "share_runs_someone_never_safe": round(never_runs / runs, 4),
        "time_all_safe_s_median": q("time_all_safe_s", 0.5),
        "time_all_safe_s_p90": q("time_all_safe_s", 0.9),
        "time_95_safe_s_median": q("time_95_safe_s", 0.5),
        "time_95_safe_s_p90": q("time_95_safe_s", 0.9),
        "hazard_exposure_person_s_median": q("hazard_exposure_person_s", 0.5),
        "hazard_exposure_person_s_p90": q("hazard_exposure_person_s", 0.9),
        "locked_out_total": int(sum(m_all.get("locked_out", [0]))),
        "never_safe_people_by_reason": dict(why.most_common()),
        "still_locked_out_by_space": dict(where.most_common(8)),
    }
    if plan.protocol == "options":
        out["left_after_locked_out_total"] = int(sum(m_all["left_after_locked_out"]))
        out["left_at_refusal"] = left_now
        out["left_after_waiting_for_the_zone"] = left_later
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(json.dumps(measure(a.scenario, a.runs, a.seed), indent=1))


if __name__ == "__main__":
    main()
