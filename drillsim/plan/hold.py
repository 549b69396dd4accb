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
    w = ctx.weighted
    movers = np.array(
        [p for p in range(len(ps)) if kinds[int(ps[p])] in HALL_KINDS], dtype=np.int64
    )
    target = np.full(movers.size, -1, dtype=np.int64)
    level = np.zeros(movers.size)
    stair = np.zeros(movers.size)
    for j, p in enumerate(movers):
        s = int(ps[p])
        reach = [m for m in range(len(rooms)) if np.isfinite(w[s, rooms[m]])]
        if reach:
            m = min(reach, key=lambda r: (w[s, rooms[r]], r))
            target[j] = m
            level[j] = ctx.level_len[s, rooms[m]]
            stair[j] = ctx.stair_len[s, rooms[m]]
    return {
        "hold_mover": movers,
        "hold_target": target,
        "hold_level_m": level,
        "hold_stair_m": stair,
    }
