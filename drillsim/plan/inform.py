"""Inform part of the plan: when each room is ordered out, and its way out.

Deterministic tables for the scripted inform events (:mod:`drillsim.scenario.inform`):

* ``inform_order_s`` (M,): earliest scripted update ordering room m out (inf if none);
* the fire alarm: its time, the rule's code (``FIRE_RULE_CODES``) and, for
  ``follow_if_confirmed``, which rooms are within ``near_fire_hops`` of a confirmed space;
* each room's way out: its evacuation route (``space_route`` of :mod:`drillsim.plan.evacuate`)
  from the room's space to its exit, as level and stair metres,
  plus the exit (-1 when no exit is reachable: the room cannot leave and stays).

The engines draw which rooms follow the alarm under ``follow`` (stream ``inform``) and apply the
rule in :mod:`drillsim.engines.batch.inform` / :mod:`drillsim.engines.reference.inform`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.plan.context import Context

#: fire alarm rule name -> code in the plan (0 also when there is no fire alarm)
FIRE_RULE_CODES = {"ignore": 0, "follow": 1, "follow_if_confirmed": 2}


def inform_fields(ctx: Context, evac: dict[str, Any]) -> dict[str, Any]:
    """Plan fields of the inform events (see the module docstring)."""
    inf_ = ctx.scenario.inform
    idx = ctx.idx
    rooms = np.array(ctx.room_spaces, dtype=np.int64)
    M = rooms.shape[0]
    order = np.full(M, np.inf)
    room_of = {int(s): m for m, s in enumerate(rooms)}
    for u in inf_.updates:
        for sid in u.evacuate:
            m = room_of.get(idx[sid])
            if m is not None:
                order[m] = min(order[m], float(u.at_s))
    fa = inf_.fire_alarm
    confirmed = np.zeros(M, dtype=bool)
    if fa is not None and fa.rule == "follow_if_confirmed":
        src = [idx[s] for s in fa.confirmed_spaces]
        near = ctx.paths.hops(src)[rooms]
        confirmed = near <= fa.near_fire_hops
    level, stair, exit_ = room_routes(rooms, evac, ctx)
    return {
        "inform_active": bool(inf_.active) and ctx.scenario.protocol in ("lockdown", "options"),
        "inform_order_s": order,
        "fire_alarm_s": float(fa.at_s) if fa is not None else float("inf"),
        "fire_rule": FIRE_RULE_CODES[fa.rule] if fa is not None else 0,
        "fire_room_confirmed": confirmed,
        "room_out_level_m": level,
        "room_out_stair_m": stair,
        "room_out_exit": exit_,
        # the room's class walks on to its own assembly area (plan/assembly.py)
        "room_out_assembly_m": np.asarray(evac["space_assembly_m"])[rooms].astype(float),
    }


def room_routes(
    rooms: np.ndarray, evac: dict[str, Any], ctx: Context
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M,) level metres, stair metres and exit index of each room's evacuation route.

    The route is the room's evacuation path (``space_route`` of :mod:`drillsim.plan.evacuate`:
    posted, balanced or nearest, round blocked spaces); metres are summed hop by hop here, once,
    and both engines read the sums. Exit -1 when the room has no route to an exit.
    """
    g, ids, kinds = ctx.floorplan.graph, ctx.ids, ctx.kinds
    M = rooms.shape[0]
    level, stair = np.zeros(M), np.zeros(M)
    exit_ = np.full(M, -1, dtype=np.int64)
    for m, s in enumerate(rooms):
        path = tuple(int(x) for x in evac["space_route"][int(s)])
        if not path or kinds[path[-1]] != "exit":
            continue
        lv = st = 0.0
        for a, b in zip(path[:-1], path[1:], strict=True):
            e = g.edges[ids[a], ids[b]]
            if e["kind"] == "stair":
                st += float(e["length_m"])
            else:
                lv += float(e["length_m"])
        level[m], stair[m], exit_[m] = lv, st, path[-1]
    return level, stair, exit_
