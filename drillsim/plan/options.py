"""Options-based response part of the plan: for every zone position, which spaces may leave and by
which route.

Row 0 is "no zone known yet" (every route allowed); row k + 1 is zone step k. A space may leave
under row j if it has a route to an exit whose every space (its own and the exit included) is at
least ``options.min_hops`` connections from every space of the zone; the route is the shortest
(stair-weighted) such route. Deterministic: the engines only look the row up at each space's alert
time.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from drillsim.plan.context import Context, stair_weighted


def options_fields(
    ctx: Context, hazard_step_zone: np.ndarray, mover: np.ndarray, mover_cand: np.ndarray
) -> dict[str, Any]:
    """Plan fields for options-based response (see the module docstring)."""
    fp, ids, idx, kinds, S = ctx.floorplan, ctx.ids, ctx.idx, ctx.kinds, ctx.n_spaces
    g = fp.graph
    N = ctx.scenario.options.min_hops
    exits = [s for s in ids if kinds[idx[s]] == "exit"]
    rows = [np.zeros(S, dtype=bool), *hazard_step_zone]
    J = len(rows)
    ok = np.zeros((J, S), dtype=bool)
    level = np.zeros((J, S))
    stair = np.zeros((J, S))
    exit_of = np.full((J, S), -1, dtype=np.int64)
    nxt = np.full((J, S), -1, dtype=np.int64)
    for j, zone in enumerate(rows):
        z = np.flatnonzero(zone)
        dist = ctx.paths.hops(z)
        allowed = [s for s in ids if dist[idx[s]] >= N]
        sub = g.subgraph(allowed)
        sources = [e for e in exits if e in sub]
        if not sources:
            continue
        _, paths = nx.multi_source_dijkstra(sub, sources, weight=stair_weighted)
        for node, path in paths.items():
            i = idx[node]
            ok[j, i] = True
            exit_of[j, i] = idx[path[0]]
            path = path[::-1]  # from the space to the exit
            if len(path) >= 2:
                nxt[j, i] = idx[path[1]]
            for a, b in zip(path[:-1], path[1:], strict=True):
                d = g.edges[a, b]
                if d["kind"] == "stair":
                    stair[j, i] += d["length_m"]
                else:
                    level[j, i] += d["length_m"]
    return {
        "opt_leave_ok": ok,
        "opt_route_level_m": level,
        "opt_route_stair_m": stair,
        "opt_route_exit": exit_of,
        "opt_route_next": nxt,
        "mover_lo_space": lockout_spaces(ctx, mover, mover_cand),
    }


def lockout_spaces(ctx: Context, mover: np.ndarray, mover_cand: np.ndarray) -> np.ndarray:
    """(Pm,) the space each lockdown mover stands in if locked out: outside their last candidate.

    That is the space next to the last candidate room on the shortest path from the room back to
    where they came from (their previous candidate room, or their start space): the hallway in
    front of the door they tried. Someone without candidates stays in their start space. The
    lockdown leg to a room counts the whole door connection (hallway reference point to room
    reference point), about the metres of the trip hallway -> door -> hallway, so the engines
    start the walk out of this space at the time of the last refusal.

    Only the options protocol reads it; for the others it is the start space (not computed).
    """
    start = ctx.person_space[mover].astype(np.int64)
    out = start.copy()
    if ctx.scenario.protocol != "options":
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


def known_row(step_start_s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row of the options tables known at time ``t``: zone steps started by then (0 = none).

    ``step_start_s`` is (R, K), ``t`` is (R, S); returns (R, S) ints in 0..K.
    """
    return (step_start_s[:, None, :] <= t[:, :, None]).sum(axis=2)
