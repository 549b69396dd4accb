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


def avoided_spaces(ctx: Context, exits: list[str]) -> set[str]:
    """Spaces evacuation routes keep out of (``hazard.avoid_origin`` / ``avoid_neighbours``);
    an exit is never avoided."""
    sc, g = ctx.scenario, ctx.floorplan.graph
    avoid: set[str] = set()
    if sc.hazard.avoid_origin:
        avoid.add(sc.incident.origin)
    if sc.hazard.avoid_neighbours:
        avoid.update(g.neighbors(sc.incident.origin))
    return avoid - set(exits)


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
    # a space blocked from 0 s is blocked from t0 (plan/reroute.py handles later times)
    blocked = set(ev.blocked) | {x for x, t in ev.blocked_from.items() if t == 0}
    open_ = set(ids) - oob  # usable when nothing is blocked
    usable = open_ - blocked
    avoid = avoided_spaces(ctx, exits)

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
    -> for every usable exit, the *bottleneck leg* of the shortest path to it (its least-capacity
    door, opening, stair or corridor) -> that exit -> sink. Each arc into a bottleneck or an exit
    runs through load blocks of ``BALANCE_BLOCK`` people, the k-th block costing
    ``k * BALANCE_BLOCK / C`` seconds (C that element's capacity), so queueing cost grows with
    the load; the arc into the bottleneck also costs the walking time (metres / 1.19 m/s). The
    flow minimises summed walk + queue time (a convex-cost transshipment). The flow may split a
    class; it is rounded to whole classes two ways (each class to the exit carrying most of its
    flow; or largest class first, capped by the planned flow an exit has left) and the rounding
    with the shorter hydraulic clearance estimate (max over elements of longest walk + load /
    capacity) is kept.
    Bottleneck nodes are kept per exit, so two exits sharing a stair do not pool its capacity.
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
    dist, paths = {}, {}
    for e in open_exits:
        dist[e], paths[e] = nx.single_source_dijkstra(sub, e, weight=stair_weighted)
    cap_cache: dict[tuple[str, str], float] = {}

    def cap(a: str, b: str) -> float:
        if (a, b) not in cap_cache:
            cap_cache[(a, b)] = leg_capacity(ctx, a, b)[0]
        return cap_cache[(a, b)]

    P = sum(counts.values())
    n_blocks = -(-P // BALANCE_BLOCK)  # enough blocks for everyone through one element
    net = nx.DiGraph()
    net.add_node("source", demand=-P)
    net.add_node("sink", demand=P)

    def slots(node, target, capacity: float, load: int) -> None:
        """Convex load cost from ``node`` to ``target`` through blocks of people."""
        for k in range(min(n_blocks, -(-load // BALANCE_BLOCK))):
            net.add_edge(node, (node, k), capacity=BALANCE_BLOCK, weight=0)
            net.add_edge(
                (node, k),
                target,
                capacity=BALANCE_BLOCK,
                weight=round(10 * k * BALANCE_BLOCK / capacity),
            )

    bottlenecks: dict[tuple, list] = {}  # node -> [exit node, capacity, people who could come]
    for s, n in sorted(counts.items()):
        net.add_edge("source", ("space", s), capacity=n, weight=0)
        for e in open_exits:
            if s not in dist[e] or s == e:
                continue
            path = list(reversed(paths[e][s]))  # s -> e
            legs = list(zip(path[:-1], path[1:], strict=True))[:-1]  # all but the exit door
            walk = round(10 * dist[e][s] / BALANCE_SPEED_MPS)
            if legs:
                a, b = min(legs, key=lambda ab: cap(*ab))
                node = ("leg", a, b, e)
                net.add_edge(("space", s), node, capacity=n, weight=walk)
                bottlenecks.setdefault(node, [("exit", e), cap(a, b), 0])[2] += n
            else:
                net.add_edge(("space", s), ("exit", e), capacity=n, weight=walk)
    for node, (target, c, load) in bottlenecks.items():
        slots(node, target, c, load)
    for e in open_exits:
        slots(("exit", e), "sink", min(cap(n, e) for n in g.neighbors(e) if n in usable), P)
    _, flow = nx.network_simplex(net)
    # The flow may split a class; round to whole classes two ways and keep the one with the
    # lower hydraulic clearance estimate: (a) each class to the exit carrying most of its flow;
    # (b) largest class first, to the exit carrying most of its flow capped by the planned flow
    # that exit has left (symmetric classes split alike do not all pile onto one exit).
    mine_by: dict[str, dict[str, int]] = {}
    budget = dict.fromkeys(open_exits, 0)
    for s in counts:
        mine: dict[str, int] = {}
        for node, x in flow.get(("space", s), {}).items():
            e = node[-1] if node[0] == "leg" else node[1]
            mine[e] = mine.get(e, 0) + x
            budget[e] += x
        mine_by[s] = mine

    def nearness(s: str, e: str) -> float:
        return -dist[e].get(s, math.inf)

    majority = {
        s: max(mine, key=lambda e: (mine[e], nearness(s, e)))
        for s, mine in mine_by.items()
        if any(x > 0 for x in mine.values())
    }
    capped: dict[str, str] = {}
    for s in sorted(counts, key=lambda x: (-counts[x], x)):
        mine = mine_by[s]
        best = max(
            (e for e, x in mine.items() if x > 0),
            key=lambda e: (min(mine[e], budget[e]), mine[e], nearness(s, e)),
            default=None,
        )
        if best is not None:
            capped[s] = best
            budget[best] -= counts[s]

    def clearance(assign: dict[str, str]) -> float:
        """Hydraulic estimate of the evacuation time: the slowest element's last person, i.e.
        max over exits and bottlenecks of (longest walk of a class using it + load / capacity)."""
        load: dict[tuple, int] = {}
        walk: dict[tuple, float] = {}
        for s, e in assign.items():
            path = list(reversed(paths[e][s]))
            legs = list(zip(path[:-1], path[1:], strict=True))
            keys = [("exit", e, cap(*legs[-1]))]
            if len(legs) > 1:
                a, b = min(legs[:-1], key=lambda ab: cap(*ab))
                keys.append(("leg", a, b, e, cap(a, b)))
            for key in keys:
                load[key] = load.get(key, 0) + counts[s]
                walk[key] = max(walk.get(key, 0.0), dist[e][s] / BALANCE_SPEED_MPS)
        return max((walk[k] + n / k[-1] for k, n in load.items()), default=0.0)

    return min((majority, capped), key=clearance)
