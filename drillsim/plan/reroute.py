"""Blockages that start after t0 (``evacuation.blocked_from``): the route segments people may switch to.

A space blocked from time ``T > 0`` is usable before ``T``. Decisions (both engines, exactly):

* a person reaching the start of a leg (arriving at its server, in space ``s``) at time ``a`` whose
  remaining route passes a space blocked by ``a`` does not join that server: from ``s``, at ``a``, they
  take the reroute for the blockages in force at ``a``;
* a person queued at the server *into* a space blocked from ``T`` (arrived before ``T``, would pass at
  ``T`` or later) turns back at ``T`` and takes the reroute from the space they queue in;
* people who passed into the blocked space before ``T`` (or are walking a leg at ``T``) go on; the
  latter decide when they reach the next space.

A *reroute* from ``s`` for blocked set ``B``: the shortest path to the person's posted alternate exit
avoiding ``B`` (routing: posted, when the space has an alternate that is not blocked), else the nearest
exit avoiding ``B`` (and the hazard zone where possible). A reroute may pass a space blocked later still,
which can trigger a further reroute. Every path a person might walk is compiled here as a *segment*; the
engines switch segments by the rules above (``child[g, i, j]``: segment to take at position ``i`` of
segment ``g`` once the blockages of state ``j`` are in force, -1 if the way ahead is clear).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context
from drillsim.plan.routing import _path, _tree_paths, avoided_spaces


@dataclass(frozen=True)
class Segments:
    """Every route segment people may walk: the first P are each person's route (person order)."""

    paths: list[list[int]]  # (G,) space indices
    person: np.ndarray  # (G,) owner
    child: np.ndarray  # (G, L, J + 1) segment to switch to, -1 if none
    times: np.ndarray  # (J,) distinct blockage times > 0, ascending, s
    space_from: np.ndarray  # (S,) time from which each space is blocked later (inf: never)
    # assisted descent (refuge -> exit) for the blockages of each state (column 0: none later)
    down_level: np.ndarray | None = None  # (P, J + 1) level metres
    down_stair: np.ndarray | None = None  # (P, J + 1) stair metres / stair speed factor
    down_exit: np.ndarray | None = None  # (P, J + 1) exit space index


def timed_blockages(ctx: Context) -> dict[str, float]:
    """``evacuation.blocked_from`` entries with a time after t0 (0 s counts as t0)."""
    return {x: float(t) for x, t in ctx.scenario.evacuation.blocked_from.items() if t > 0}


def build_segments(
    ctx: Context,
    paths: list[list[int]],
    full_paths: list[list[int]],
    assisted: np.ndarray,
    stair_factor: float = 1.0,
) -> Segments:
    """Each person's route plus every reroute they may switch to (module docstring).

    ``paths`` are the routes people walk through the servers (assisted people: to their refuge),
    ``full_paths`` their whole routes, ``assisted`` (P,) marks people waiting for assistance.

    Raises
    ------
    ValidationError
        When a later blockage lies on an assisted person's route (not modelled), or people could
        be left with no way out (a space on some route from which every exit is blocked).
    """
    sc, fp = ctx.scenario, ctx.floorplan
    ev = sc.evacuation
    g = fp.graph
    ids, idx, S = ctx.ids, ctx.idx, ctx.n_spaces
    file = ctx.loaded.source
    P = len(paths)
    timed = timed_blockages(ctx)
    times = np.array(sorted(set(timed.values())), dtype=np.float64)
    J = int(times.size)
    space_from = np.full(S, np.inf)
    for x, t in timed.items():
        space_from[idx[x]] = t
    if not J:
        L = max((len(p) - 1 for p in paths), default=0)
        child = np.full((P, max(L, 1), 1), -1, dtype=np.int64)
        return Segments(list(paths), np.arange(P, dtype=np.int64), child, times, space_from)

    exits = [s for s in ids if fp.space(s)["kind"] == "exit"]
    oob = set(ev.out_of_bounds)
    base = set(ev.blocked) | {x for x, t in ev.blocked_from.items() if t == 0}
    blocked = [base] + [base | {x for x, t in timed.items() if t <= times[j]} for j in range(J)]
    avoid = avoided_spaces(ctx, exits)
    problems: list[Problem] = []
    for p in np.flatnonzero(assisted):
        hit = [ids[x] for x in paths[p][1:] if np.isfinite(space_from[x])]
        if hit:
            problems.append(
                Problem(
                    file,
                    f"evacuation.blocked_from.{hit[0]}",
                    f"'{hit[0]}' is on the way of people from '{ids[int(ctx.person_space[p])]}' "
                    "to their area of refuge (evacuation.assisted); a blockage that starts later "
                    "there is not modelled (one on their way down from the refuge is)",
                    "block it from t0 (evacuation.blocked) or give the assisted group another "
                    "route",
                )
            )
            break
    if problems:
        raise ValidationError(problems)

    trees: dict[tuple[int, bool], dict[str, list[str]]] = {}

    def nearest(s: str, j: int) -> list[str] | None:
        usable = set(ids) - oob - blocked[j]
        for safe in (True, False):
            if safe and s in avoid:
                continue
            key = (j, safe)
            nodes = (usable - avoid) if safe else usable
            if s in nodes:
                if key not in trees:
                    trees[key] = _tree_paths(g, nodes, exits)
                found = trees[key].get(s)
            else:
                found = _tree_paths(g, nodes | {s}, exits).get(s)
            if found is not None and len(found) >= 2:
                return found
        return None

    cache: dict[tuple[int, int, int], list[int] | None] = {}

    def reroute(s: int, start: int, j: int) -> list[int] | None:
        key = (s, start, j)
        if key not in cache:
            route = ev.routes.get(ids[start]) if ev.routing == "posted" else None
            found = None
            if route is not None and route.alternate and route.alternate not in blocked[j]:
                usable = set(ids) - oob - blocked[j]
                try:
                    found = _path(g, usable, ids[s], route.alternate)
                except nx.NodeNotFound:  # pragma: no cover - alternate validated as a space
                    found = None
            if found is None:
                found = nearest(ids[s], j)
            cache[key] = [idx[x] for x in found] if found is not None else None
        return cache[key]

    seg_paths = [list(p) for p in paths]
    seg_person = list(range(P))
    children: dict[tuple[int, int, int], int] = {}
    made: dict[tuple[int, int, int], int] = {}
    reported: set[tuple[int, int]] = set()
    todo = list(range(P))
    while todo:
        gi = todo.pop(0)
        path, p = seg_paths[gi], seg_person[gi]
        if assisted[p]:
            continue
        for i in range(len(path) - 1):
            first = min((space_from[x] for x in path[i + 1 :]), default=np.inf)
            for j in range(1, J + 1):
                if not first <= times[j - 1]:
                    continue
                key = (p, path[i], j)
                if key not in made:
                    rp = reroute(path[i], int(ctx.person_space[p]), j)
                    if rp is None:
                        if (path[i], j) not in reported:
                            reported.add((path[i], j))
                            names = sorted(x for x in blocked[j] - base)
                            problems.append(
                                Problem(
                                    file,
                                    f"evacuation.blocked_from.{names[0]}",
                                    f"people in '{ids[path[i]]}' when {', '.join(names)} "
                                    f"{'is' if len(names) == 1 else 'are'} blocked (from "
                                    f"{times[j - 1]:g} s) have no way out",
                                    "unblock another exit or corridor on their way out, or block "
                                    "later",
                                )
                            )
                        continue
                    made[key] = len(seg_paths)
                    seg_paths.append(rp)
                    seg_person.append(p)
                    todo.append(made[key])
                children[(gi, i, j)] = made[key]
    # assisted descents: from the refuge on, by the blockages in force when the helper is there
    factor = stair_factor
    down_level = np.zeros((P, J + 1))
    down_stair = np.zeros((P, J + 1))
    down_exit = np.full((P, J + 1), -1, dtype=np.int64)
    for p in np.flatnonzero(assisted):
        rest = full_paths[p][len(paths[p]) - 1 :]
        for j in range(J + 1):
            way = rest
            if j and any(ids[x] in blocked[j] for x in rest[1:]):
                way = reroute(rest[0], int(ctx.person_space[p]), j)
                if way is None:
                    names = sorted(x for x in blocked[j] - base)
                    problems.append(
                        Problem(
                            file,
                            f"evacuation.blocked_from.{names[0]}",
                            f"people waiting for assistance in '{ids[rest[0]]}' have no way down "
                            f"once {', '.join(names)} blocked (from {times[j - 1]:g} s)",
                            "unblock another exit or stair, or block later",
                        )
                    )
                    break
            for x, y in zip(way[:-1], way[1:], strict=True):
                d = g.edges[ids[x], ids[y]]
                if d["kind"] == "stair":
                    down_stair[p, j] += d["length_m"] / factor
                else:
                    down_level[p, j] += d["length_m"]
            down_exit[p, j] = way[-1]
    if problems:
        raise ValidationError(problems)
    G = len(seg_paths)
    L = max((len(p) - 1 for p in seg_paths), default=0)
    child = np.full((G, max(L, 1), J + 1), -1, dtype=np.int64)
    for (gi, i, j), c in children.items():
        child[gi, i, j] = c
    return Segments(
        seg_paths,
        np.array(seg_person, dtype=np.int64),
        child,
        times,
        space_from,
        down_level,
        down_stair,
        down_exit,
    )
