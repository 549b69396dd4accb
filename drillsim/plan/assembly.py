"""Assembly areas: where each class goes after leaving the building, and how far it walks there.

A floorplan may have *assembly areas* (spaces of kind ``assembly``) joined to the exits by
*walkways* (connection kind ``walkway``, with their walking length). They live outside the building
graph (``Floorplan.outside``), so nothing but this module sees them. Each start space's class walks
from the exit its route ends at to

* the assembly area its posted route names (``evacuation.routes.<space>.assembly``, or the
  ``assembly`` column of the routes CSV), else
* the assembly area nearest to that exit by walking distance over the walkways (ties: the area
  listed first in the floorplan),

and the walking metres are the shortest walkway path between the two. A floorplan without assembly
areas keeps the older model: each exit's ``assembly_distance_m``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context


def walkway_metres(fp, exits: list[str]) -> dict[str, dict[str, float]]:
    """Shortest walkway metres from each exit to every assembly area it can reach."""
    out: dict[str, dict[str, float]] = {}
    areas = set(fp.assembly_areas)
    for e in exits:
        if e not in fp.outside:
            out[e] = {}
            continue
        dist = nx.single_source_dijkstra_path_length(fp.outside, e, weight="length_m")
        out[e] = {a: float(m) for a, m in dist.items() if a in areas}
    return out


def assembly_fields(
    ctx: Context, space_route: tuple[tuple[int, ...], ...], person_exit: np.ndarray
) -> dict[str, Any]:
    """Plan fields of assembly: per exit, per start space and per person (see ``Plan``).

    Raises
    ------
    ValidationError
        When a posted assembly area cannot be reached over walkways from the exit the space's
        route ends at.
    """
    fp, ids, idx = ctx.floorplan, ctx.ids, ctx.idx
    S = len(ids)
    exits = [s for s in ids if ctx.kinds[idx[s]] == "exit"]
    areas = fp.assembly_areas
    area_index = {a: i for i, a in enumerate(areas)}
    exit_assembly = np.full(S, -1, dtype=np.int64)
    space_assembly = np.full(S, -1, dtype=np.int64)
    if not areas:
        assembly = np.array([float(fp.space(s)["assembly_distance_m"]) for s in ids])
        route_end = np.array([r[-1] if r else s for s, r in enumerate(space_route)], np.int64)
        space_m = np.where(np.isin(route_end, [idx[e] for e in exits]), assembly[route_end], 0.0)
        return {
            "assembly_ids": (),
            "assembly_m": assembly,
            "exit_assembly": exit_assembly,
            "space_assembly": space_assembly,
            "space_assembly_m": space_m,
            # exactly the per-exit distance the engines read before assembly areas existed
            "person_assembly_m": assembly[person_exit],
            "exit_walk_m": assembly[:, None].copy(),
            "person_walk_col": np.zeros(len(ctx.person_space), dtype=np.int64),
        }
    metres = walkway_metres(fp, exits)
    assembly = np.zeros(S)
    for e in exits:
        reach = metres[e]
        if reach:  # the floorplan check guarantees one; nearest, ties by file order
            best = min(reach, key=lambda a: (reach[a], area_index[a]))
            exit_assembly[idx[e]] = area_index[best]
            assembly[idx[e]] = reach[best]
    posted = ctx.scenario.evacuation.routes
    space_m = np.zeros(S)
    problems: list[Problem] = []
    for s in range(S):
        route = space_route[s]
        end = route[-1] if route else s
        if ctx.kinds[end] != "exit":
            continue
        name = posted[ids[s]].assembly if ids[s] in posted else None
        if name is None:
            space_assembly[s] = exit_assembly[end]
            space_m[s] = assembly[end]
            continue
        reach = metres[ids[end]]
        if name not in reach:
            problems.append(
                Problem(
                    ctx.loaded.source,
                    f"evacuation.routes.{ids[s]}.assembly",
                    f"assembly area '{name}' cannot be reached over walkways from exit "
                    f"'{ids[end]}', where this route leaves the building",
                    f"name an assembly area reachable from '{ids[end]}' "
                    f"({', '.join(sorted(reach, key=area_index.__getitem__)) or 'none'}), "
                    "or add a walkway to it in the floorplan",
                )
            )
            continue
        space_assembly[s] = area_index[name]
        space_m[s] = reach[name]
    if problems:
        raise ValidationError(problems)
    # the walk from whichever exit a person actually uses (a later blockage can change it): to the
    # posted area where it can be reached from that exit, else to the area nearest that exit
    A = len(areas)
    exit_walk = np.zeros((S, A + 1))
    exit_walk[:, A] = assembly
    for e in exits:
        reach = metres[e]
        for a, aid in enumerate(areas):
            exit_walk[idx[e], a] = reach.get(aid, assembly[idx[e]])
    posted_col = np.full(S, A, dtype=np.int64)
    for s in range(S):
        if ids[s] in posted and posted[ids[s]].assembly is not None and space_assembly[s] >= 0:
            posted_col[s] = space_assembly[s]
    return {
        "exit_walk_m": exit_walk,
        "person_walk_col": posted_col[ctx.person_space],
        "assembly_ids": tuple(areas),
        "assembly_m": assembly,
        "exit_assembly": exit_assembly,
        "space_assembly": space_assembly,
        "space_assembly_m": space_m,
        "person_assembly_m": space_m[ctx.person_space],
    }
