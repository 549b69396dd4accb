"""Secure part of the plan: the perimeter (exterior doors), who locks each, and people coming in.

Secure ("get inside, lock outside doors"):

* people who start outdoors walk to the nearest inside space (reverse evacuation), passing the
  first exterior door on that path (their *entry door*);
* a central exterior door is locked from the office (central latency, no walk); an exterior door
  of a room with an adult is locked by that adult; every other exterior door is
  assigned to the nearest *locker* (staff; ``secure.locker_spaces`` restricts which) by
  stair-weighted path length, ties by person order; each locker visits their doors nearest-first;
* a door is locked once its locker is there *and* everybody entering through it is inside.

The same perimeter (without waiting for anyone) is closed in a hazmat Shelter.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.floorplan.model import OUTSIDE_KINDS
from drillsim.plan.codes import LOCK_CODES
from drillsim.plan.context import Context, stair_weighted

#: ``ext_adult`` of a centrally locked exterior door (locked from the office, no walk).
CENTRAL_DOOR = -2


def secure_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields for Secure / hazmat Shelter.

    Raises
    ------
    ValidationError
        When the protocol needs the perimeter locked and some exterior door has nobody to lock it.
    """
    sc, fp, idx, ids, kinds = ctx.scenario, ctx.floorplan, ctx.idx, ctx.ids, ctx.kinds
    g = fp.graph
    paths = ctx.paths
    ps, role = ctx.person_space, ctx.person_role
    room_of_space = ctx.room_of_space
    ext_ids: list[str] = []
    ext_conn: list[int] = []
    ext_space: list[int] = []
    ext_adult: list[int] = []
    ext_lock: list[int] = []
    by_edge: dict[frozenset, int] = {}
    for c, (a, b, d) in enumerate(fp.connections()):
        if d["kind"] != "door" or not d["exterior"]:
            continue
        inside = [e for e in (a, b) if kinds[idx[e]] not in OUTSIDE_KINDS]
        if not inside:
            continue
        s = idx[inside[0]]
        by_edge[frozenset((a, b))] = len(ext_ids)
        ext_ids.append(d["id"])
        ext_conn.append(c)
        ext_space.append(s)
        m = room_of_space.get(s)
        ext_lock.append(LOCK_CODES[d["lock"]])
        if d["lock"] == "central":
            ext_adult.append(CENTRAL_DOOR)
        else:
            ext_adult.append(int(ctx.room_adult[m]) if m is not None else -1)
    X = len(ext_ids)

    # people coming in: from outdoor spaces to the nearest inside space
    inside_nodes = [s for s in ids if kinds[idx[s]] not in OUTSIDE_KINDS]
    movers = np.array(
        [p for p in range(len(ps)) if kinds[int(ps[p])] in OUTSIDE_KINDS], dtype=np.int64
    )
    inward: dict[int, list[str]] = {}
    if movers.size and inside_nodes:
        _, found = nx.multi_source_dijkstra(g, inside_nodes, weight=stair_weighted)
        inward = {idx[n]: list(reversed(p)) for n, p in found.items()}
    Pi = movers.size
    in_target = np.full(Pi, -1, dtype=np.int64)
    in_door = np.full(Pi, -1, dtype=np.int64)
    in_level = np.zeros(Pi)
    in_stair = np.zeros(Pi)
    for j, p in enumerate(movers):
        path = inward.get(int(ps[p]))
        if path is None:
            continue
        t = idx[path[-1]]
        in_target[j] = t
        in_level[j], in_stair[j] = paths.level_stair(int(ps[p]), t)
        for a, b in zip(path[:-1], path[1:], strict=True):
            e = by_edge.get(frozenset((a, b)))
            if e is not None:
                in_door[j] = e
                break

    # lockers and their tours
    wanted = set(sc.secure.locker_spaces or [])
    lockers = [
        p
        for p in range(len(ps))
        if role[p] == 2
        and kinds[int(ps[p])] not in OUTSIDE_KINDS
        and (not wanted or ids[int(ps[p])] in wanted)
    ]
    needs = [x for x in range(X) if ext_adult[x] == -1]
    assigned: dict[int, list[int]] = {p: [] for p in lockers}
    orphans = []
    locker_at: dict[int, list[int]] = {}  # space -> positions in lockers (person order)
    for pos, p in enumerate(lockers):
        locker_at.setdefault(int(ps[p]), []).append(pos)
    for x in needs:
        # nearest locker by the path from the locker, ties by person order
        best = paths.nearest_source_of(ext_space[x], locker_at)
        if best < 0:
            orphans.append(x)
            continue
        assigned[lockers[best]].append(x)
    hazmat = sc.protocol == "shelter" and sc.shelter.hazmat
    if orphans and (sc.protocol == "secure" or hazmat):
        names = ", ".join(ext_ids[x] for x in orphans)
        raise ValidationError(
            [
                Problem(
                    ctx.loaded.source,
                    "secure.locker_spaces" if wanted else "population",
                    f"nobody can lock the exterior door(s) {names}: "
                    + ("no staff in the locker spaces" if wanted else "no staff in the building"),
                    "place staff (population.office_staff or a group with staff) or list the "
                    "spaces of the staff who lock exterior doors in secure.locker_spaces",
                )
            ]
        )
    used = [p for p in lockers if assigned[p]]
    xmax = max((len(assigned[p]) for p in used), default=0)
    tour_door = np.full((len(used), max(xmax, 1)), -1, dtype=np.int64)
    tour_level = np.zeros(tour_door.shape)
    tour_stair = np.zeros(tour_door.shape)
    for li, p in enumerate(used):
        here, todo = int(ps[p]), list(assigned[p])
        k = 0
        while todo:
            # nearest door left, ties by door order (todo stays in door order)
            near = paths.nearest(here, [ext_space[y] for y in todo], 1)
            pos, lv, st = near[0] if near else (0, np.inf, np.inf)
            x = todo[pos]
            todo.remove(x)
            tour_door[li, k] = x
            tour_level[li, k], tour_stair[li, k] = lv, st
            here = ext_space[x]
            k += 1
    return {
        "ext_door_ids": tuple(ext_ids),
        "ext_conn": np.array(ext_conn, dtype=np.int64),
        "ext_space": np.array(ext_space, dtype=np.int64),
        "ext_adult": np.array(ext_adult, dtype=np.int64),
        "ext_lock": np.array(ext_lock, dtype=np.int8),
        "in_mover": movers,
        "in_target": in_target,
        "in_door": in_door,
        "in_level_m": in_level,
        "in_stair_m": in_stair,
        "locker": np.array(used, dtype=np.int64),
        "tour_door": tour_door,
        "tour_level_m": tour_level,
        "tour_stair_m": tour_stair,
    }
