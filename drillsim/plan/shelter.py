"""Shelter part of the plan: every person's shelter area (capacity-limited) and the metres to it.

People are assigned in person order (classes stay together: a room's people are consecutive) to
the nearest shelter area with room left, by stair-weighted path length, ties by area order.
Someone who starts in an area with room left stays there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context


def shelter_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields for Shelter.

    Raises
    ------
    ValidationError
        When the protocol is Shelter and the areas cannot hold everybody (or some person cannot
        reach an area with room left).
    """
    sc, idx = ctx.scenario, ctx.idx
    ps = ctx.person_space
    P = len(ps)
    areas = [(idx[s], c) for s, c in sc.shelter.areas.items() if s in idx and c > 0]
    area_space = np.array([a for a, _ in areas], dtype=np.int64)
    left = [c for _, c in areas]
    person_area = np.full(P, -1, dtype=np.int64)
    level = np.zeros(P)
    stair = np.zeros(P)
    paths = ctx.paths
    if sc.protocol == "shelter":
        open_areas: dict[int, list[int]] = {}  # space -> areas with room left (area order)
        for a, sp in enumerate(area_space):
            open_areas.setdefault(int(sp), []).append(a)
        memo: dict[int, list] = {}  # start space -> answer while no area has filled up
        for p in range(P):
            s = int(ps[p])
            if s not in memo:
                memo[s] = paths.nearest_of(s, open_areas, 1)
            near = memo[s]
            if not near:
                total = sum(c for _, c in areas)
                raise ValidationError(
                    [
                        Problem(
                            ctx.loaded.source,
                            "shelter.areas",
                            f"the shelter areas hold {total} persons but {P} are in the building"
                            if total < P
                            else f"people in '{ctx.ids[s]}' cannot reach a shelter area with room",
                            "add shelter areas or raise their capacities",
                        )
                    ]
                )
            a, level[p], stair[p] = near[0]
            left[a] -= 1
            if not left[a]:
                memo.clear()
                sp = int(area_space[a])
                open_areas[sp].remove(a)
                if not open_areas[sp]:
                    del open_areas[sp]
            person_area[p] = a
    return {
        "shelter_space": area_space,
        "shelter_capacity": np.array([c for _, c in areas], dtype=np.int64),
        "person_shelter": person_area,
        "shelter_level_m": level,
        "shelter_stair_m": stair,
        "shelter_hazmat": bool(sc.shelter.hazmat),
    }
