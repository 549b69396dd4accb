"""Hazard part of the plan: the scripted zone as steps (time, spaces) for both engines and exposure.

A step k starts at ``hazard_step_fixed_s[k] + hazard_step_len_m[k] / speed`` where ``speed`` is one
draw per run (stream ``hazard``). Scripted steps have ``len_m = 0`` (their times are fixed); a walk
has ``fixed_s = start_s`` and ``len_m`` = path metres up to the step's space. Without a zone in the
scenario the zone is the incident origin from t = 0. The zone is never computed from occupants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.plan.context import Context


def hazard_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields of the scripted hazard zone: step times, zone and 'in or next to' masks."""
    sc, fp, idx, S = ctx.scenario, ctx.floorplan, ctx.idx, ctx.n_spaces
    zone = sc.hazard.zone
    g = fp.graph
    if zone is None:
        steps = [(0.0, 0.0, [sc.incident.origin])]
        near_too = True
    elif zone.steps is not None:
        steps = [(float(s.t_s), 0.0, list(s.spaces)) for s in zone.steps]
        near_too = zone.include_neighbours
    else:
        w = zone.walk
        steps, walked = [], 0.0
        for k, sid in enumerate(w.path):
            if k:
                walked += float(g.edges[w.path[k - 1], sid]["length_m"])
            steps.append((float(w.start_s), walked, [sid]))
        near_too = zone.include_neighbours
    K = len(steps)
    in_zone = np.zeros((K, S), dtype=bool)
    near = np.zeros((K, S), dtype=bool)
    for k, (_t, _m, sids) in enumerate(steps):
        for sid in sids:
            in_zone[k, idx[sid]] = True
            near[k, idx[sid]] = True
            if near_too:
                for n in g.neighbors(sid):
                    near[k, idx[n]] = True
    return {
        "hazard_step_fixed_s": np.array([s[0] for s in steps]),
        "hazard_step_len_m": np.array([s[1] for s in steps]),
        "hazard_step_zone": in_zone,
        "hazard_step_near": near,
        "hazard_walk": zone is not None and zone.walk is not None,
    }


def hazard_step_times(plan, speed_mps: np.ndarray) -> np.ndarray:
    """(R, K) start time of every zone step, from the per-run zone speed (R,)."""
    return plan.hazard_step_fixed_s[None, :] + plan.hazard_step_len_m[None, :] / speed_mps[:, None]
