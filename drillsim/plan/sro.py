"""SRO part of the plan: the route from the post to the incident origin and the door-sweep order."""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.plan.context import STAIR_WEIGHT, Context


def sro_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields for the SRO: post, distance to the origin, sweep order (nearest next room)."""
    sc, loaded, idx = ctx.scenario, ctx.loaded, ctx.idx
    ch = sc.alert.channels
    paths = ctx.paths
    room_spaces = ctx.room_spaces
    # SRO routes
    origin = idx[sc.incident.origin]
    post_id = loaded.sro_post
    sro_on = bool(sc.sro.on_duty and post_id is not None)
    post = idx[post_id] if post_id is not None else -1
    sro_to_origin = float(paths.weighted(post, origin)) if post >= 0 else np.inf
    # nearest next room (ties by room order); when no room left is reachable from here, the
    # first of them in room order at an infinite leg (as min over (inf, room) picks)
    remaining: dict[int, list[int]] = {}
    for m, s in enumerate(room_spaces):
        remaining.setdefault(s, []).append(m)
    sweep_rooms: list[int] = []
    sweep_leg: list[float] = []
    here = origin
    while remaining:
        near = paths.nearest_of(here, remaining, 1)
        if near:
            m, level, stair = near[0]
            leg = float(level + STAIR_WEIGHT * stair)
        else:
            m, leg = min(m for ms in remaining.values() for m in ms), np.inf
        sweep_rooms.append(m)
        sweep_leg.append(leg)
        here = room_spaces[m]
        remaining[here].remove(m)
        if not remaining[here]:
            del remaining[here]

    return {
        "origin": origin,
        "sro_on_duty": sro_on,
        "sro_radio": bool(ch.radio and "sro" in ch.radio.recipients),
        "sro_post": post,
        "sro_to_origin_m": sro_to_origin,
        "sweep_rooms": np.array(sweep_rooms, dtype=np.int64),
        "sweep_leg_m": np.array(sweep_leg),
    }
