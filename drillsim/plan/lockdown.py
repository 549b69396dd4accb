"""Lockdown part of the plan: rooms' lockable doors and refuge candidates of people outside rooms."""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.plan.codes import CONDITION_CODES, LOCK_CODES
from drillsim.plan.context import Context


def lockdown_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields for locking rooms and for people who must find a refuge."""
    sc, fp = ctx.scenario, ctx.floorplan
    idx, ids = ctx.idx, ctx.ids
    room_spaces, room_of_space = ctx.room_spaces, ctx.room_of_space
    person_room, person_space = ctx.person_room, ctx.person_space
    level_len, stair_len = ctx.level_len, ctx.stair_len
    # entry doors of each room, in connection (file) order; inner doors (to a space reachable
    # only through the room, e.g. the gym's locker rooms) are not entry doors
    door_ids: list[str] = []
    door_lock: list[int] = []
    door_conn: list[int] = []
    door_condition: list[int] = []
    per_room: list[list[int]] = [[] for _ in room_spaces]
    connections = fp.connections()
    for c, (a, b, d) in enumerate(connections):
        if d["kind"] != "door" or d.get("inner") is True:
            continue
        for end in (a, b):
            m = room_of_space.get(idx[end])
            if m is not None:
                per_room[m].append(len(door_ids))
                door_ids.append(d["id"])
                door_lock.append(LOCK_CODES[d["lock"]])
                door_conn.append(c)
                door_condition.append(CONDITION_CODES[d.get("condition", "ok")])
    dmax = max((len(x) for x in per_room), default=0)
    room_doors = np.full((len(room_spaces), max(dmax, 1)), -1, dtype=np.int64)
    for m, ds in enumerate(per_room):
        room_doors[m, : len(ds)] = ds
    door_lock_arr = np.array(door_lock, dtype=np.int8)
    room_no_lock = np.array(
        [any(door_lock[d] == 0 for d in ds) or not ds for ds in per_room], dtype=bool
    )

    # movers and their candidate refuges (nearest by weighted path length)
    weighted = ctx.weighted
    K = sc.behaviour.max_refuge_candidates
    movers = np.flatnonzero(person_room < 0)
    cand = np.full((len(movers), K), -1, dtype=np.int64)
    leg_level = np.zeros((len(movers), K))
    leg_stair = np.zeros((len(movers), K))
    by_start: dict[int, tuple] = {}
    for j, p in enumerate(movers):
        s = int(person_space[p])
        if s not in by_start:
            order = sorted(
                (m for m in range(len(room_spaces)) if np.isfinite(weighted[s, room_spaces[m]])),
                key=lambda m: (weighted[s, room_spaces[m]], m),
            )[:K]
            ll = np.zeros(K)
            sl = np.zeros(K)
            prev = s
            for k, m in enumerate(order):
                ll[k] = level_len[prev, room_spaces[m]]
                sl[k] = stair_len[prev, room_spaces[m]]
                prev = room_spaces[m]
            by_start[s] = (order, ll, sl)
        order, ll, sl = by_start[s]
        cand[j, : len(order)] = order
        leg_level[j] = ll
        leg_stair[j] = sl

    return {
        "room_doors": room_doors,
        "room_no_lock": room_no_lock,
        "room_safe_zone_capacity": np.array(
            [int(fp.space(ids[s])["safe_zone_capacity"]) for s in room_spaces], dtype=np.int64
        ),
        "door_ids": tuple(door_ids),
        "door_lock": door_lock_arr,
        "door_conn": np.array(door_conn, dtype=np.int64),
        "door_condition": np.array(door_condition, dtype=np.int8),
        "room_substitute": np.array(
            [ids[s] in set(sc.lockdown.substitutes.rooms) for s in room_spaces], dtype=bool
        ),
        "substitute_share": float(sc.lockdown.substitutes.share),
        "n_connections": len(connections),
        "mover": movers.astype(np.int64),
        "mover_cand": cand,
        "mover_leg_level": leg_level,
        "mover_leg_stair": leg_stair,
    }
