"""Evacuation part of the plan: routes to exits (a forest), door servers and who passes where."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context, stair_weighted


def evacuation_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields for evacuation routes, avoiding the hazard zone where possible.

    Raises
    ------
    ValidationError
        When a door on a route is too narrow to pass.
    """
    sc, fp = ctx.scenario, ctx.floorplan
    g = fp.graph
    ids, idx, kinds, S = ctx.ids, ctx.idx, ctx.kinds, ctx.n_spaces
    person_space = ctx.person_space
    P = len(ctx.people)
    weight = stair_weighted
    # evacuation forest toward exits, avoiding the hazard zone where possible
    avoid: set[str] = set()
    if sc.hazard.avoid_origin:
        avoid.add(sc.incident.origin)
    if sc.hazard.avoid_neighbours:
        avoid.update(g.neighbors(sc.incident.origin))
    exits = [s for s in ids if fp.space(s)["kind"] == "exit"]
    avoid -= set(exits)
    nxt_full = _next_hops(g, exits, weight)
    nxt_safe = _next_hops(g.subgraph([s for s in ids if s not in avoid]), exits, weight)
    next_hop = np.full(S, -1, dtype=np.int64)
    for s in ids:
        if s in exits:
            continue
        hop = nxt_safe.get(s) if s not in avoid else None
        hop = hop or nxt_full.get(s)
        if hop is not None:
            next_hop[idx[s]] = idx[hop]
    forest = nx.DiGraph()
    forest.add_nodes_from(range(S))
    forest.add_edges_from((s, int(next_hop[s])) for s in range(S) if next_hop[s] >= 0)
    topo = list(nx.lexicographical_topological_sort(forest))
    route_order = np.array([s for s in topo if next_hop[s] >= 0], dtype=np.int64)

    bl = sc.behaviour.door_boundary_layer_m
    fs = sc.behaviour.specific_flow_pps_per_m
    edge_door = np.zeros(S, dtype=bool)
    edge_service = np.zeros(S)
    edge_level = np.zeros(S)
    edge_stair = np.zeros(S)
    problems: list[Problem] = []
    for s in range(S):
        if next_hop[s] < 0:
            continue
        d = g.edges[ids[s], ids[next_hop[s]]]
        if d["kind"] == "stair":
            edge_stair[s] = d["length_m"]
        else:
            edge_level[s] = d["length_m"]
        if d["kind"] == "door":
            eff = d["width_m"] - 2 * bl
            if eff <= 0:
                problems.append(
                    Problem(
                        fp.source,
                        f"connections '{d['id']}'.width_m",
                        f"door {d['width_m']} m wide leaves no effective width after two "
                        f"{bl} m boundary layers",
                        f"make it wider than {2 * bl} m",
                    )
                )
                continue
            edge_door[s] = True
            edge_service[s] = 1.0 / (fs * eff)
    if problems:
        raise ValidationError(problems)

    passing: list[list[int]] = [[] for _ in range(S)]
    person_exit = np.full(P, -1, dtype=np.int64)
    for p in range(P):
        s = int(person_space[p])
        while s >= 0:
            passing[s].append(p)
            if next_hop[s] < 0:
                person_exit[p] = s if kinds[s] == "exit" else -1
            s = int(next_hop[s])
    node_persons = tuple(np.array(x, dtype=np.int64) for x in passing)
    assembly = np.array([float(fp.space(s)["assembly_distance_m"]) for s in ids])

    return {
        "next_hop": next_hop,
        "route_order": route_order,
        "edge_door": edge_door,
        "edge_service_s": edge_service,
        "edge_level": edge_level,
        "edge_stair": edge_stair,
        "node_persons": node_persons,
        "assembly_m": assembly,
        "person_exit": person_exit,
        "hazard_zone": tuple(sorted(avoid)),
    }


def _next_hops(g: nx.Graph, exits: list[str], weight) -> dict[str, str]:
    """Next space on the weighted shortest path from every space to its nearest exit."""
    present = [e for e in exits if e in g]
    if not present:
        return {}
    _, paths = nx.multi_source_dijkstra(g, present, weight=weight)
    return {node: path[-2] for node, path in paths.items() if len(path) >= 2}
