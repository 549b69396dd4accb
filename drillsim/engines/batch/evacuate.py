"""Evacuation in the batch engine: people walk their route to an exit through FIFO door servers."""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch.common import no_rooms
from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    # Work person-major, (P, R): gathering the people who pass a space is then a copy of
    # contiguous rows, which is what dominates this loop.
    T = np.ascontiguousarray(
        (alert[:, plan.person_space] + d.premovement_s[:, plan.person_leader]).T
    )
    out["person_move_s"][:] = np.where(np.isfinite(T.T), T.T, np.nan)
    speed = np.ascontiguousarray(d.speed_mps.T)
    stair = np.ascontiguousarray(d.stair_speed_mps.T)
    wait = np.zeros_like(T)
    cols = np.arange(T.shape[1])[None, :]
    for s in plan.route_order:
        who = plan.node_persons[s]
        if who.size == 0:
            continue
        a = T[who]
        if plan.edge_door[s]:
            svc = plan.edge_service_s[s]
            n = np.arange(who.size, dtype=np.float64)[:, None]
            if np.all(a[1:] >= a[:-1]):  # already in queue order (e.g. a class leaving a room)
                dep = (n + 1.0) * svc + np.maximum.accumulate(a - n * svc, axis=0)
            else:
                order = np.argsort(a, axis=0, kind="stable")
                best = np.maximum.accumulate(a[order, cols] - n * svc, axis=0)
                dep = np.empty_like(a)
                dep[order, cols] = (n + 1.0) * svc + best
            with np.errstate(invalid="ignore"):  # inf - inf for people never alerted
                wait[who] = wait[who] + np.where(
                    np.isfinite(a), np.maximum((dep - a) - svc, 0.0), 0.0  # no -1e-14 waits
                )
        else:
            dep = a
        T[who] = dep + (plan.edge_level[s] / speed[who] + plan.edge_stair[s] / stair[who])
    T = T.T
    finite = np.isfinite(T)
    moved = ~np.isnan(out["person_move_s"])
    out["person_arrive_s"][:] = np.where(finite & moved, T, np.nan)
    out["person_safe_s"] = np.where(
        finite, T + plan.assembly_m[plan.person_exit] / d.speed_mps, np.inf
    )
    out["person_queue_s"] = np.ascontiguousarray(wait.T)
    return no_rooms(plan, d)
