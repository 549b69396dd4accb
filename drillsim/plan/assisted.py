"""Assisted evacuation: people who cannot use stairs wait in an area of refuge for a named adult.

For each ``evacuation.assisted`` entry the last ``people`` students of ``space`` walk their route
only as far as the *area of refuge*: the stair space where their route first takes a stair flight
(without a flight on the route they need no refuge and walk as everyone else). The helper, the first
adult starting in ``helper``, evacuates as usual, then walks back from their exit to the refuge
(shortest path, no queues: the crowd has gone), and brings the waiting people down the rest of
their route at the assisted speeds, then to the assembly point. The helper is safe when they are.
With ``per_trip`` set, the helper brings them ``per_trip`` at a time (in person order): after each
trip they walk back from that trip's exit to the refuge (shortest path, their own speeds) for the
next, leaving again when they are there (or when the last of that trip reaches the refuge).
Wheelchair users take ``evacuation.wheelchair_flow_weight`` walkers' share of every door, opening
and stair they pass (``person_flow_weight``; everyone else 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context


def assisted_fields(
    ctx: Context, paths: list[list[int]], stair_factor: float
) -> tuple[list[list[int]], dict[str, Any]]:
    """Truncate the assisted people's paths at their refuge; the Plan fields of assisted evacuation.

    Raises
    ------
    ValidationError
        When a helper space has no adult or a space has fewer students than named.
    """
    sc, fp = ctx.scenario, ctx.floorplan
    ev = sc.evacuation
    g = fp.graph
    ids, idx, kinds = ctx.ids, ctx.idx, ctx.kinds
    P = len(paths)
    helper = np.full(P, -1, dtype=np.int64)
    refuge = np.full(P, -1, dtype=np.int64)
    back_level, back_stair = np.zeros(P), np.zeros(P)
    down_level, down_stair = np.zeros(P), np.zeros(P)
    weight = np.ones(P)  # flow weight at every server (a wheelchair takes more width)
    trip = np.full(P, -1, dtype=np.int64)  # which of the helper's trips brings them down
    ret_level, ret_stair = np.zeros(P), np.zeros(P)  # their exit -> refuge (next trip)
    problems: list[Problem] = []
    file = ctx.loaded.source
    paths = [list(p) for p in paths]
    for i, a in enumerate(ev.assisted):
        base = f"evacuation.assisted[{i}]"
        s, hs = idx[a.space], idx[a.helper]
        adults = [p for p in range(P) if ctx.person_space[p] == hs and ctx.person_role[p] != 0]
        students = [p for p in range(P) if ctx.person_space[p] == s and ctx.person_role[p] == 0]
        if not adults:
            problems.append(
                Problem(
                    file,
                    f"{base}.helper",
                    f"no adult starts in '{a.helper}'",
                    "name a space with a teacher or staff member (e.g. OFFICE)",
                )
            )
            continue
        if len(students) < a.people:
            problems.append(
                Problem(
                    file,
                    f"{base}.people",
                    f"'{a.space}' has {len(students)} students, fewer than {a.people}",
                    "lower people or name the space they are in",
                )
            )
            continue
        h = adults[0]
        per_trip = a.per_trip or a.people
        for n, p in enumerate(students[-a.people :]):
            if a.mobility == "wheelchair":
                weight[p] = float(ev.wheelchair_flow_weight)
            path = paths[p]
            cut = next(
                (
                    j
                    for j in range(len(path) - 1)
                    if g.edges[ids[path[j]], ids[path[j + 1]]]["kind"] == "stair"
                ),
                None,
            )
            if cut is None:
                continue  # no stair on the way out: no refuge needed
            if kinds[path[cut]] != "stair" and cut > 0 and kinds[path[cut - 1]] == "stair":
                cut -= 1
            r = path[cut]
            helper[p], refuge[p] = h, r
            trip[p] = n // per_trip
            ret_level[p] = ctx.level_len[path[-1], r]
            ret_stair[p] = ctx.stair_len[path[-1], r] / stair_factor
            end_h = paths[h][-1]
            back_level[p] = ctx.level_len[end_h, r]
            back_stair[p] = ctx.stair_len[end_h, r] / stair_factor
            lv = st = 0.0
            for x, y in zip(path[cut:-1], path[cut + 1 :], strict=True):
                d = g.edges[ids[x], ids[y]]
                if d["kind"] == "stair":
                    st += d["length_m"] / stair_factor
                else:
                    lv += d["length_m"]
            down_level[p], down_stair[p] = lv, st
            paths[p] = path[: cut + 1]
    if problems:
        raise ValidationError(problems)
    return paths, {
        "assist_helper": helper,
        "assist_refuge": refuge,
        "assist_back_level": back_level,
        "assist_back_stair": back_stair,
        "assist_down_level": down_level,
        "assist_down_stair": down_stair,
        "assist_level_mps": float(ev.assisted_level_speed_mps),
        "assist_stair_mps": float(ev.assisted_stair_speed_mps),
        "person_flow_weight": weight,
        "assist_trip": trip,
        "assist_return_level": ret_level,
        "assist_return_stair": ret_stair,
    }
