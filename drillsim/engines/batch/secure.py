"""Secure in the batch engine: people outdoors come in (reverse evacuation); the perimeter locks."""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch.common import no_rooms
from drillsim.plan.compile import Plan
from drillsim.plan.secure import CENTRAL_DOOR
from drillsim.sample.draws import Draws


def perimeter(plan: Plan, d: Draws, alert: np.ndarray, last_in: np.ndarray) -> np.ndarray:
    """(R, X) time each exterior door is locked: ``max(ready, last person in) + lock time``.

    ``ready`` is the central-lock latency for central doors, the room adult's reaction for a
    room's own exterior door, and the locker's arrival (alert + reaction + walk from the previous
    door) for the rest; a locker moves on once the door is locked.
    """
    ps = plan.person_space
    X = plan.ext_conn.shape[0]
    locked = np.full((d.n_runs, X), np.inf)
    k = d.ext_lock_time_s
    central = d.detection_s + d.central_latency_s
    for x in range(X):
        a = int(plan.ext_adult[x])
        if a == CENTRAL_DOOR:
            ready = central
        elif a >= 0:
            ready = alert[:, ps[a]] + d.reaction_s[:, a]
        else:
            continue
        locked[:, x] = np.maximum(ready, last_in[:, x]) + k[:, x]
    for li in range(plan.locker.shape[0]):
        p = int(plan.locker[li])
        t = alert[:, ps[p]] + d.reaction_s[:, p]
        v, vs = d.speed_mps[:, p], d.stair_speed_mps[:, p]
        for j in range(plan.tour_door.shape[1]):
            x = int(plan.tour_door[li, j])
            if x < 0:
                break
            t = t + (plan.tour_level_m[li, j] / v + plan.tour_stair_m[li, j] / vs)
            t = np.maximum(t, last_in[:, x]) + k[:, x]
            locked[:, x] = t
    return locked


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    """Reverse evacuation and perimeter lock; everyone is safe once inside and the perimeter locked."""
    ps = plan.person_space
    R, X = d.n_runs, plan.ext_conn.shape[0]
    last_in = np.full((R, X), -np.inf)
    mv = plan.in_mover
    arrive = np.zeros((R, 0))
    if mv.size:
        t = alert[:, ps[mv]] + d.premovement_s[:, plan.person_leader[mv]]
        moved = np.isfinite(t)
        out["person_move_s"][:, mv] = np.where(moved, t, np.nan)
        v, vs = d.speed_mps[:, mv], d.stair_speed_mps[:, mv]
        has = plan.in_target >= 0
        arrive = np.where(has[None, :], t + (plan.in_level_m / v + plan.in_stair_m / vs), np.inf)
        out["person_arrive_s"][:, mv] = np.where(moved, arrive, np.nan)
        for x in range(X):
            who = plan.in_door == x
            if who.any():
                last_in[:, x] = arrive[:, who].max(axis=1)
    locked = perimeter(plan, d, alert, last_in)
    out["perimeter_locked_s"] = locked
    done = locked.max(axis=1) if X else np.zeros(R)
    safe = np.repeat(done[:, None], plan.n_persons, axis=1)
    if mv.size:
        safe[:, mv] = np.maximum(arrive, done[:, None])
    out["person_safe_s"] = safe
    return no_rooms(plan, d)
