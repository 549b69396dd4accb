"""Route generators: which path each space's occupants walk to leave the building.

Plans are data: ``routing: nearest`` (shortest stair-weighted path to the nearest exit, avoiding the
hazard zone where such a route exists) and ``routing: posted`` (each listed space's posted primary
route through its waypoints, its alternate when the primary is blocked, nearest for unlisted spaces)
produce one path of space indices per space. Blocked spaces (``evacuation.blocked``) and
out-of-bounds spaces are never passed (a person *starting* in one still leaves from it). The engines
never choose routes; they walk the compiled paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context, stair_weighted


@dataclass(frozen=True)
class Routes:
    """One evacuation path per space (empty for exits and spaces with no way out)."""

    path: tuple[tuple[int, ...], ...]  # (S,) space indices from the space to its exit
    alternate: tuple[tuple[int, ...], ...]  # (S,) posted alternate route (empty if none)
    rerouted: np.ndarray  # (S,) bool: the usual route (posted primary / nearest) was blocked
    next_hop: np.ndarray  # (S,) first step of the nearest usable route, -1 at exits / none
    hazard_zone: tuple[str, ...]  # spaces nearest routes avoid where they can


def _tree_paths(g: nx.Graph, nodes: set[str], exits: list[str]) -> dict[str, list[str]]:
    """Shortest stair-weighted path from every node of ``g[nodes]`` to its nearest exit."""
    sub = g.subgraph(nodes)
    present = [e for e in exits if e in sub]
    if not present:
        return {}
    _, paths = nx.multi_source_dijkstra(sub, present, weight=stair_weighted)
    return {n: list(reversed(p)) for n, p in paths.items()}


def _path(g: nx.Graph, nodes: set[str], a: str, b: str) -> list[str] | None:
    sub = g.subgraph(nodes | {a, b})
    try:
        return list(nx.shortest_path(sub, a, b, weight=stair_weighted))
    except nx.NetworkXNoPath:
        return None


def compile_routes(ctx: Context) -> Routes:
    """Paths for every space under the scenario's routing, blocked and out-of-bounds spaces.

    Raises
    ------
    ValidationError
        When a posted route cannot be walked (waypoint unreachable, route doubling back) or an
        occupied space has no usable way out.
    """
    sc, fp = ctx.scenario, ctx.floorplan
    ev = sc.evacuation
    g = fp.graph
    ids, idx, S = ctx.ids, ctx.idx, ctx.n_spaces
    file = ctx.loaded.source
    exits = [s for s in ids if fp.space(s)["kind"] == "exit"]
    oob = set(ev.out_of_bounds)
    blocked = set(ev.blocked)
    open_ = set(ids) - oob  # usable when nothing is blocked
    usable = open_ - blocked
    avoid: set[str] = set()
    if sc.hazard.avoid_origin:
        avoid.add(sc.incident.origin)
    if sc.hazard.avoid_neighbours:
        avoid.update(g.neighbors(sc.incident.origin))
    avoid -= set(exits)

    def nearest(s: str, nodes: set[str]) -> list[str] | None:
        """Hazard-avoiding nearest route through ``nodes`` (the start itself always allowed)."""
        for allowed in ((nodes - avoid) if s not in avoid else None, nodes):
            if allowed is None:
                continue
            tree = _tree_paths(g, allowed | {s}, exits)
            if s in tree and len(tree[s]) >= 2:
                return tree[s]
        return None

    # nearest trees computed once (start spaces inside the allowed set use them directly)
    trees = {
        "safe": _tree_paths(g, usable - avoid, exits),
        "all": _tree_paths(g, usable, exits),
        "safe_open": _tree_paths(g, open_ - avoid, exits),
        "all_open": _tree_paths(g, open_, exits),
    }

    def nearest_fast(s: str, nodes: set[str], safe: str, full: str) -> list[str] | None:
        if s in nodes:
            if s not in avoid and len(trees[safe].get(s, [])) >= 2:
                return trees[safe][s]
            if len(trees[full].get(s, [])) >= 2:
                return trees[full][s]
            return None
        return nearest(s, nodes)

    problems: list[Problem] = []
    path: list[tuple[int, ...]] = [()] * S
    alternate: list[tuple[int, ...]] = [()] * S
    rerouted = np.zeros(S, dtype=bool)
    next_hop = np.full(S, -1, dtype=np.int64)
    occupied = set(int(x) for x in ctx.person_space)
    assigned = _balanced_exits(ctx, usable, exits, blocked) if ev.routing == "balanced" else {}
    for s in ids:
        if s in exits:
            continue
        i = idx[s]
        near = nearest_fast(s, usable, "safe", "all")
        if s in assigned and (near is None or near[-1] != assigned[s]):
            near = _path(g, usable - avoid if s not in avoid else usable, s, assigned[s]) or _path(
                g, usable, s, assigned[s]
            )
        if near is not None:
            next_hop[i] = idx[near[1]]
        chosen: list[str] | None = None
        route = ev.routes.get(s) if ev.routing == "posted" else None
        if route is not None:  # routing: posted
            element = f"evacuation.routes.{s}"
            posted = _posted(g, open_, s, route.via, route.primary)
            if isinstance(posted, Problem):
                problems.append(Problem(file, element, posted.message, posted.fix))
                continue
            if route.alternate is not None and route.alternate not in blocked:
                alt_path = _path(g, usable, s, route.alternate)
                if alt_path is not None:
                    alternate[i] = tuple(idx[x] for x in alt_path)
            if not blocked.intersection(posted[1:]):
                chosen = posted
            else:
                rerouted[i] = True
                alt = (
                    _path(g, usable, s, route.alternate)
                    if route.alternate is not None and route.alternate not in blocked
                    else None
                )
                chosen = alt if alt is not None else near
        else:
            chosen = near
            usual = nearest_fast(s, open_, "safe_open", "all_open")
            if blocked and usual is not None and blocked.intersection(usual[1:]):
                rerouted[i] = True
        if chosen is None:
            if i in occupied:
                problems.append(
                    Problem(
                        file,
                        "evacuation.blocked",
                        f"people in '{s}' have no way out that avoids blocked and out-of-bounds "
                        "spaces",
                        "unblock an exit or a corridor on its way out",
                    )
                )
            continue
        path[i] = tuple(idx[x] for x in chosen)
    if problems:
        raise ValidationError(problems)
    return Routes(
        path=tuple(path),
        alternate=tuple(alternate),
        rerouted=rerouted,
        next_hop=next_hop,
        hazard_zone=tuple(sorted(avoid)),
    )


def _posted(g: nx.Graph, nodes: set[str], s: str, via: list[str], primary: str):
    """The posted route s -> via... -> primary as a simple path, or a Problem saying why not."""
    out = [s]
    for target in [*via, primary]:
        if target == out[-1]:
            continue
        leg = _path(g, nodes, out[-1], target)
        if leg is None:
            return Problem(
                "",
                "",
                f"no way from '{out[-1]}' to '{target}' avoiding out-of-bounds spaces",
                "check the waypoints (via) and evacuation.out_of_bounds",
            )
        out += leg[1:]
    seen: set[str] = set()
    for x in out:
        if x in seen:
            return Problem(
                "",
                "",
                f"the route passes '{x}' twice (waypoints make it double back)",
                "order the waypoints along the way to the exit, or drop one",
            )
        seen.add(x)
    if len(out) < 2:
        return Problem("", "", "the route does not leave the space", "name an exit as primary")
    return out


#: Balanced routing: nominal walking speed turning path metres into seconds (SFPE 1.19 m/s).
BALANCE_SPEED_MPS = 1.19
#: Balanced routing: people per unit of exit load in the flow network (load cost steps).
BALANCE_BLOCK = 5


def _balanced_exits(
    ctx: Context, usable: set[str], exits: list[str], blocked: set[str]
) -> dict[str, str]:
    """Assign each occupied space (its whole class) to an exit, minimising total clearance time.

    A min-cost flow (``networkx.network_simplex``): source -> each occupied space (its head count)
    -> every usable exit at the walking time of the shortest path (metres / 1.19 m/s) -> sink
    through load blocks of ``BALANCE_BLOCK`` people, the k-th block of exit e costing
    ``k * BALANCE_BLOCK / C_e`` seconds (C_e the capacity of the door into e, so the cost of
    queueing grows with the load). The flow minimises the summed walk + queue time; each space
    then takes the exit carrying most of its flow (classes stay together), the nearer on ties.
    Integer costs in 0.1 s.
    """
    from drillsim.plan.servers import leg_capacity  # avoids an import cycle at module load

    g = ctx.floorplan.graph
    ids = ctx.ids
    counts: dict[str, int] = {}
    for s in ctx.person_space:
        counts[ids[int(s)]] = counts.get(ids[int(s)], 0) + 1
    open_exits = [e for e in exits if e not in blocked and e in usable]
    sub = g.subgraph(usable)
    dist = {
        e: nx.single_source_dijkstra_path_length(sub, e, weight=stair_weighted) for e in open_exits
    }
    P = sum(counts.values())
    net = nx.DiGraph()
    net.add_node("source", demand=-P)
    net.add_node("sink", demand=P)
    for s, n in sorted(counts.items()):
        net.add_edge("source", ("space", s), capacity=n, weight=0)
        for e in open_exits:
            if s in dist[e]:
                walk = dist[e][s] / BALANCE_SPEED_MPS
                net.add_edge(("space", s), ("exit", e), capacity=n, weight=round(10 * walk))
    for e in open_exits:
        cap = min(leg_capacity(ctx, n, e)[0] for n in g.neighbors(e) if n in usable)
        for k in range(-(-P // BALANCE_BLOCK)):
            net.add_edge(
                ("exit", e),
                ("slot", e, k),
                capacity=BALANCE_BLOCK,
                weight=round(10 * k * BALANCE_BLOCK / cap),
            )
            net.add_edge(("slot", e, k), "sink", capacity=BALANCE_BLOCK, weight=0)
    _, flow = nx.network_simplex(net)
    out: dict[str, str] = {}
    for s in counts:
        if ("space", s) not in flow:
            continue
        f = flow[("space", s)]
        best = max(
            (e for e in open_exits if f.get(("exit", e), 0) > 0),
            key=lambda e: (f[("exit", e)], -dist[e].get(s, math.inf)),
            default=None,
        )
        if best is not None:
            out[s] = best
    return out
