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
Wheelchair users (an ``assisted`` entry with ``mobility: wheelchair``, or a roster row) take
``evacuation.wheelchair_flow_weight`` walkers' share of every door, opening and stair they pass
(``person_flow_weight``; everyone else 1). Roster groups are brought down in one trip.
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
    # (element, helper, people who wait, people per trip, which of them use a wheelchair)
    groups: list[tuple[str, int, list[int], int, list[bool]]] = []
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
        members = students[-a.people :]
        groups.append(
            (
                f"{base}.helper",
                adults[0],
                members,
                a.per_trip or a.people,
                [a.mobility == "wheelchair"] * len(members),
            )
        )
    # roster people who use a wheelchair or cannot use stairs, grouped by their named helper
    pid = {p.pid: i for i, p in enumerate(ctx.people) if p.pid}
    by_helper: dict[int, list[int]] = {}
    for i, person in enumerate(ctx.people):
        if person.mobility != "walking" and person.helper in pid:
            by_helper.setdefault(pid[person.helper], []).append(i)
    for h, members in by_helper.items():
        groups.append(
            (
                f"population.roster (helper '{ctx.people[h].pid}')",
                h,
                members,
                len(members),  # one trip
                [ctx.people[p].mobility == "wheelchair" for p in members],
            )
        )
    used: dict[int, str] = {}
    for element, h, members, per_trip, wheelchair in groups:
        if h in used:
            problems.append(
                Problem(
                    file,
                    element,
                    f"the adult named here already helps another group ({used[h]}); one adult "
                    "brings one group down",
                    "name a different helper for each group",
                )
            )
            continue
        used[h] = element
        for n, p in enumerate(members):
            if wheelchair[n]:
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
            lv, st = ctx.paths.level_stair(path[-1], r)
            ret_level[p] = lv
            ret_stair[p] = st / stair_factor
            end_h = paths[h][-1]
            lv, st = ctx.paths.level_stair(end_h, r)
            back_level[p] = lv
            back_stair[p] = st / stair_factor
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


def exit_refuge_fields(ctx: Context, refuge: np.ndarray, needed: bool) -> dict[str, Any]:
    """Level and stair metres from every exit to every area of refuge in use.

    A later blockage can send a helper out by another exit than planned; their walk back up to
    the refuge then starts there (``engines/*/evacuate.py``). Computed only when ``needed``
    (later blockages and assisted people), as an (S, number of refuges) table: exit rows only,
    other rows inf.
    """
    used = np.unique(refuge[refuge >= 0]) if needed else np.zeros(0, dtype=np.int64)
    col = np.full(refuge.shape, -1, dtype=np.int64)
    S = len(ctx.ids)
    level = np.full((S, used.size), np.inf)
    stair = np.full((S, used.size), np.inf)
    if used.size:
        col[refuge >= 0] = np.searchsorted(used, refuge[refuge >= 0])
        for e in (i for i, k in enumerate(ctx.kinds) if k == "exit"):
            for c, r in enumerate(used):
                level[e, c], stair[e, c] = ctx.paths.level_stair(e, int(r))
    return {"refuge_col": col, "exit_refuge_level_m": level, "exit_refuge_stair_m": stair}
