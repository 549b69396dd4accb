"""Evacuation in the batch engine: people walk their route to an exit through the FIFO servers of
every door, opening, stair and corridor they pass (:mod:`.servers`), then on to the assembly point."""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch.common import no_rooms
from drillsim.engines.batch.servers import traverse
from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    # Work person-major, (P, R): gathering the people who pass a server is then a copy of
    # contiguous rows, which is what dominates the work.
    start = np.ascontiguousarray(
        (alert[:, plan.person_space] + d.premovement_s[:, plan.person_leader]).T
    )
    out["person_move_s"][:] = np.where(np.isfinite(start.T), start.T, np.nan)
    speed = np.ascontiguousarray(d.speed_mps.T)
    stair = np.ascontiguousarray(d.stair_speed_mps.T)
    end, wait, _, _ = traverse(plan.evac_net, start, speed, stair)
    T = end.T
    finite = np.isfinite(T)
    moved = ~np.isnan(out["person_move_s"])
    out["person_arrive_s"][:] = np.where(finite & moved, T, np.nan)
    out["person_safe_s"] = np.where(
        finite, T + plan.assembly_m[plan.person_exit] / d.speed_mps, np.inf
    )
    out["person_queue_s"] = np.ascontiguousarray(wait.T)
    return no_rooms(plan, d)
