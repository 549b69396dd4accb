"""Inform in the batch engine: rooms ordered out by an update or a fire alarm leave their refuge.

A step the lockdown and options protocols call after their own (rules: :mod:`drillsim.plan.inform`
and :mod:`drillsim.scenario.inform`). For every room that locked down (in options: did not leave
on its own decision):

* order time = min(earliest scripted update naming the room, fire alarm time if the room follows
  the alarm); a room follows under ``follow`` when its uniform is below the run's drawn share,
  under ``follow_if_confirmed`` when it is near a confirmed space, never under ``ignore``; a room
  without a route to an exit stays;
* the room leaves ``premovement_s`` of its adult after the order (``room_left_s``);
* each person whose refuge is that room departs at ``max(room_left_s, arrival at the refuge)``
  (own occupants at ``room_left_s``; someone who reaches the room after it left goes on from
  there), walks the room's posted evacuation route (no door queues) and on to the assembly point;
* their unsecured time becomes two intervals: ``[0, min(safe, depart))`` and
  ``[depart, safe2)``. Room lock columns stay those of the lockdown step.
"""

from __future__ import annotations

import numpy as np

from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def room_orders(plan: Plan, d: Draws, stays: np.ndarray) -> np.ndarray:
    """(R, M) time each room leaves on an order (nan if it stays)."""
    R, M = stays.shape
    if plan.fire_rule == 1:
        follows = d.fire_follow_u < d.fire_follow_share[:, None]
    elif plan.fire_rule == 2:
        follows = np.broadcast_to(plan.fire_room_confirmed, (R, M))
    else:
        follows = np.zeros((R, M), dtype=bool)
    order = np.minimum(plan.inform_order_s[None, :], np.where(follows, plan.fire_alarm_s, np.inf))
    order = np.where((plan.room_out_exit >= 0)[None, :] & stays, order, np.inf)
    left = order + d.premovement_s[:, plan.room_adult]
    return np.where(np.isfinite(order), left, np.nan)


def run(plan: Plan, d: Draws, out: dict, rooms: dict, stays: np.ndarray) -> None:
    """Fill the inform columns of ``out`` and ``rooms`` (``stays``: (R, M) rooms that locked down)."""
    R, P, M = d.n_runs, plan.n_persons, plan.n_rooms
    nan = np.full((R, P), np.nan)
    out["person_unsafe_again_s"] = nan.copy()
    out["person_arrive2_s"] = nan.copy()
    out["person_safe2_s"] = nan.copy()
    rooms["room_left_s"] = np.full((R, M), np.nan)
    if not plan.inform_active or M == 0:
        return
    left = room_orders(plan, d, stays)
    rooms["room_left_s"] = left
    ref = out["person_refuge"]
    has = ref >= 0
    r = np.where(has, ref, 0)
    room_left = np.take_along_axis(left, r, axis=1)
    goes = has & np.isfinite(room_left)
    own = plan.person_room[None, :] == ref
    arrive = out["person_arrive_s"]
    dep = np.where(
        own, room_left, np.maximum(room_left, np.where(np.isnan(arrive), -np.inf, arrive))
    )
    v, vs = d.speed_mps, d.stair_speed_mps
    a2 = dep + (plan.room_out_level_m[r] / v + plan.room_out_stair_m[r] / vs)
    s2 = a2 + plan.room_out_assembly_m[r] / v
    out["person_unsafe_again_s"] = np.where(goes, dep, np.nan)
    out["person_arrive2_s"] = np.where(goes, a2, np.nan)
    out["person_safe2_s"] = np.where(goes, s2, np.nan)
    out["person_safe_s"] = np.where(
        goes, np.minimum(out["person_safe_s"], dep), out["person_safe_s"]
    )
