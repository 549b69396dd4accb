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


def options_fields(ctx: Context, hazard_step_zone: np.ndarray) -> dict[str, Any]:
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
    }


def known_row(step_start_s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row of the options tables known at time ``t``: zone steps started by then (0 = none).

    ``step_start_s`` is (R, K), ``t`` is (R, S); returns (R, S) ints in 0..K.
    """
    return (step_start_s[:, None, :] <= t[:, :, None]).sum(axis=2)
