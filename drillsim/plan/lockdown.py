"""Lockdown part of the plan: rooms' lockable doors and refuge candidates of people outside rooms."""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.floorplan.model import MIN_LENGTH_M
from drillsim.plan.codes import CONDITION_CODES, LOCK_CODES
from drillsim.plan.context import Context
from drillsim.plan.population import start_offsets

#: Admission capacity of a room without a limit (no area given, or admission_limit: false).
UNLIMITED = 2**40


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

    # movers and their candidate refuges: the scenario's refuge plan for their start space,
    # then the nearest rooms by weighted path length
    weighted = ctx.weighted
    ld = sc.lockdown
    K_near = sc.behaviour.max_refuge_candidates
    movers = np.flatnonzero(person_room < 0)
    plans: dict[int, list[int]] = {}
    for start, rooms in ld.refuges.items():
        plans[idx[start]] = [room_of_space[idx[r]] for r in rooms if idx[r] in room_of_space]
    K = K_near + max((len(v) for v in plans.values()), default=0)
    orders: dict[int, list[int]] = {}
    for s in {int(person_space[p]) for p in movers}:
        planned = [m for m in plans.get(s, []) if np.isfinite(weighted[s, room_spaces[m]])]
        near = sorted(
            (
                m
                for m in range(len(room_spaces))
                if np.isfinite(weighted[s, room_spaces[m]]) and m not in planned
            ),
            key=lambda m: (weighted[s, room_spaces[m]], m),
        )[:K_near]
        orders[s] = list(dict.fromkeys(planned)) + near
    K = max(min(K, max((len(o) for o in orders.values()), default=1)), 1)
    cand = np.full((len(movers), K), -1, dtype=np.int64)
    leg_level = np.zeros((len(movers), K))
    leg_stair = np.zeros((len(movers), K))
    pos = {s: (float(fp.space(s)["x"]), float(fp.space(s)["y"])) for s in ids}
    offsets = start_offsets(fp, ctx.people) if ld.spread_start else None
    for j, p in enumerate(movers):
        s = int(person_space[p])
        order = orders[s]
        prev = s
        for k, m in enumerate(order):
            c = room_spaces[m]
            cand[j, k] = m
            leg_level[j, k] = level_len[prev, c]
            leg_stair[j, k] = stair_len[prev, c]
            prev = c
        if order and offsets is not None:
            # first leg from the person's own spot: the straight-line difference to the first
            # refuge's centre, compared with the space centre's, changes the level metres
            (sx, sy), (cx, cy) = pos[ids[s]], pos[ids[room_spaces[order[0]]]]
            ox, oy = offsets[p]
            delta = np.hypot(sx + ox - cx, sy + oy - cy) - np.hypot(sx - cx, sy - cy)
            leg_level[j, 0] = max(leg_level[j, 0] + delta, MIN_LENGTH_M)

    # admission capacity: everyone inside counts, the room's own occupants included
    own = np.bincount(person_room[person_room >= 0], minlength=len(room_spaces))
    cap = np.full(len(room_spaces), UNLIMITED, dtype=np.int64)
    if ld.admission_limit:
        for m, s in enumerate(room_spaces):
            a = fp.space(ids[s])
            if ids[s] in ld.capacity:
                cap[m] = ld.capacity[ids[s]]
            elif float(a["area_m2"]) > 0:
                cap[m] = int(np.floor(float(a["area_m2"]) * ld.safe_area_share / ld.m2_per_person))

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
        "room_capacity": cap,
        "room_own": own.astype(np.int64),
    }
