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
    paths = ctx.paths
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
    ld = sc.lockdown
    K_near = sc.behaviour.max_refuge_candidates
    movers = np.flatnonzero(person_room < 0)
    orders = refuge_orders(ctx, movers, K_near)
    K = max(max((len(o) for o in orders), default=1), 1)
    cand = np.full((len(movers), K), -1, dtype=np.int64)
    leg_level = np.zeros((len(movers), K))
    leg_stair = np.zeros((len(movers), K))
    pos = {s: (float(fp.space(s)["x"]), float(fp.space(s)["y"])) for s in ids}
    offsets = start_offsets(fp, ctx.people) if ld.spread_start else None
    for j, p in enumerate(movers):
        s = int(person_space[p])
        order = orders[j]
        prev = s
        for k, m in enumerate(order):
            c = room_spaces[m]
            cand[j, k] = m
            leg_level[j, k], leg_stair[j, k] = paths.level_stair(prev, c)
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
        "mover_lo_space": lockout_spaces(ctx, movers, cand),
        "room_capacity": cap,
        "hold_approaching": ld.hold_rule == "approaching",
        "hold_window_s": float(ld.hold_window_s),
        "hold_max_s": float(ld.hold_max_s),
        "room_own": own.astype(np.int64),
    }


def lockout_spaces(ctx: Context, mover: np.ndarray, mover_cand: np.ndarray) -> np.ndarray:
    """(Pm,) the space each mover stands in if locked out: outside their last candidate room.

    That is the space next to the last candidate room on the shortest path from the room back to
    where they came from (their previous candidate room, or their start space): the hallway in
    front of the door they tried. Someone without candidates stays in their start space. The
    lockdown leg to a room counts the whole door connection (hallway reference point to room
    reference point), about the metres of the trip hallway -> door -> hallway, so a locked-out
    person is taken to stand here from the time of their last refusal: exposure counts them here
    (lockdown and options), and the options protocol decides from here whether they may leave.

    Computed for the lockdown and options protocols; for the others (which do not lock people
    out) it is the start space.
    """
    start = ctx.person_space[mover].astype(np.int64)
    out = start.copy()
    if ctx.scenario.protocol not in ("lockdown", "options"):
        return out
    rooms = ctx.room_spaces
    for j in range(len(mover)):
        valid = [int(m) for m in mover_cand[j] if m >= 0]
        if not valid:
            continue
        prev = int(rooms[valid[-2]]) if len(valid) > 1 else int(start[j])
        step = ctx.paths.next_step(int(rooms[valid[-1]]), prev)
        out[j] = step if step >= 0 else prev
    return out


def refuge_orders(ctx: Context, movers: np.ndarray, k_near: int) -> list[list[int]]:
    """Each mover's candidate rooms: their start space's refuge plan, then the nearest rooms.

    A plan entry with ``takes: n`` is the first choice of the next ``n`` people of that space (in
    person order); each person then tries the plan's other rooms in order, then up to ``k_near``
    nearest rooms to secure by stair-weighted path length. Plan rooms without an adult at the
    start (nobody to admit and lock) are skipped. Reusable by hold and shelter protocols.
    """
    sc, idx = ctx.scenario, ctx.idx
    room_spaces, room_of_space = ctx.room_spaces, ctx.room_of_space
    paths = ctx.paths
    plans: dict[int, list[tuple[int, int | None]]] = {}
    for start, entries in sc.lockdown.refuges.items():
        s = idx[start]
        plans[s] = []
        for e in entries:
            room, takes = (e, None) if isinstance(e, str) else (e.room, e.takes)
            m = room_of_space.get(idx[room])
            if m is not None and np.isfinite(paths.weighted(s, room_spaces[m])):
                plans[s].append((m, takes))
    rooms_at = {s: [m] for m, s in enumerate(room_spaces)}  # room space -> [room index]
    near_of: dict[int, list[int]] = {}
    used: dict[int, int] = {}
    out = []
    for p in movers:
        s = int(ctx.person_space[p])
        planned = list(dict.fromkeys(m for m, _ in plans.get(s, [])))
        if s not in near_of:
            # the k_near nearest rooms not in the plan (ties by room order)
            near = paths.nearest_of(s, rooms_at, k_near + len(planned))
            near_of[s] = [m for m, _, _ in near if m not in planned][:k_near]
        k = used.get(s, 0)
        used[s] = k + 1
        first = None
        for m, takes in plans.get(s, []):  # the entry whose quota person k falls in
            if takes is None:
                break
            if k < takes:
                first = m
                break
            k -= takes
        order = ([first] if first is not None else []) + [m for m in planned if m != first]
        out.append(order + near_of[s])
    return out
