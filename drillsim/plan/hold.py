"""Hold part of the plan: people in corridors and on stairs and the nearest room each one enters.

Hold ("in your room or area, clear the halls"): people in halls go to the nearest room with an
adult (by stair-weighted path length; ties by room order); everyone else stays in their room or
area. Doors are closed, not locked, so nobody is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.plan.context import Context

#: Space kinds that are "halls" for Hold.
HALL_KINDS = ("corridor", "stair")


def hold_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields for Hold: hall occupants, their target room and the metres to it."""
    kinds, ps, rooms = ctx.kinds, ctx.person_space, ctx.room_spaces
    movers = np.array(
        [p for p in range(len(ps)) if kinds[int(ps[p])] in HALL_KINDS], dtype=np.int64
    )
    target = np.full(movers.size, -1, dtype=np.int64)
    level = np.zeros(movers.size)
    stair = np.zeros(movers.size)
    rooms_at = {int(s): [m] for m, s in enumerate(rooms)}  # room space -> [room index]
    nearest: dict[int, list] = {}  # start space -> [(room, level m, stair m)] or []
    for j, p in enumerate(movers):
        s = int(ps[p])
        if s not in nearest:
            nearest[s] = ctx.paths.nearest_of(s, rooms_at, 1)
        if nearest[s]:
            target[j], level[j], stair[j] = nearest[s][0]
    return {
        "hold_mover": movers,
        "hold_target": target,
        "hold_level_m": level,
        "hold_stair_m": stair,
    }
