"""Shelter in the batch engine: everyone moves to their shelter area; hazmat closes the perimeter."""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch.common import no_rooms
from drillsim.engines.batch.secure import perimeter
from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    """Groups leave with their leader's pre-movement and walk to their area (no door queues).

    Safe: in the shelter area (people already there: when the alert reaches them) and, for hazmat,
    the exterior openings closed.
    """
    ps = plan.person_space
    t = alert[:, ps] + d.premovement_s[:, plan.person_leader]
    moves = plan.shelter_space[plan.person_shelter] != ps
    mv = np.flatnonzero(moves)
    safe = alert[:, ps].copy()
    if mv.size:
        tm = t[:, mv]
        moved = np.isfinite(tm)
        out["person_move_s"][:, mv] = np.where(moved, tm, np.nan)
        v, vs = d.speed_mps[:, mv], d.stair_speed_mps[:, mv]
        arrive = tm + (plan.shelter_level_m[mv] / v + plan.shelter_stair_m[mv] / vs)
        out["person_arrive_s"][:, mv] = np.where(moved, arrive, np.nan)
        safe[:, mv] = arrive
    if plan.shelter_hazmat:
        X = plan.ext_conn.shape[0]
        closed = perimeter(plan, d, alert, np.full((d.n_runs, X), -np.inf))
        out["perimeter_locked_s"] = closed
        if X:
            safe = np.maximum(safe, closed.max(axis=1)[:, None])
    out["person_safe_s"] = safe
    return no_rooms(plan, d)
