"""Hold in the batch engine: halls cleared into the nearest room; doors closed, not locked."""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch.common import no_rooms
from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    """Each room's adult closes the door after the hallway-recovery window; hall people walk in.

    Safe (out of the halls, door closed): people in a room when its door closes; people in halls
    when they are in their room and its door has closed; everyone else (restrooms, cafeteria,
    offices without an adult) when the Hold reaches their space.
    """
    ps = plan.person_space
    rooms = no_rooms(plan, d)
    close = alert[:, plan.room_space] + d.reaction_s[:, plan.room_adult]
    close = close + d.hold_s
    rooms["room_lock_start_s"] = close
    safe = alert[:, ps].copy()
    in_room = np.flatnonzero(plan.person_room >= 0)
    safe[:, in_room] = close[:, plan.person_room[in_room]]
    out["person_refuge"][:, in_room] = plan.person_room[in_room]
    mv = plan.hold_mover
    if mv.size:
        t = alert[:, ps[mv]] + d.reaction_s[:, mv]
        moved = np.isfinite(t)
        out["person_move_s"][:, mv] = np.where(moved, t, np.nan)
        v, vs = d.speed_mps[:, mv], d.stair_speed_mps[:, mv]
        has = plan.hold_target >= 0
        arrive = np.where(
            has[None, :], t + (plan.hold_level_m / v + plan.hold_stair_m / vs), np.inf
        )
        out["person_arrive_s"][:, mv] = np.where(moved, arrive, np.nan)
        out["person_refuge"][:, mv] = plan.hold_target
        c = close[:, np.where(has, plan.hold_target, 0)] if plan.n_rooms else arrive
        safe[:, mv] = np.where(has[None, :], np.maximum(arrive, c), np.inf)
    out["person_safe_s"] = safe
    return rooms
