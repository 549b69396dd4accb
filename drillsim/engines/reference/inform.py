"""Inform in the reference engine: rooms ordered out by an update or a fire alarm leave their refuge
(rules: :mod:`drillsim.engines.batch.inform`).

``start(run)`` adds one SimPy process per scripted event (logged) and per room that will be
ordered out: it waits for the order, the adult's pre-movement, and records the leave time.
``finish(run)``, after the protocol's own finish, sends every person whose refuge left on along
the room's posted route, person by person, and drops orders of options rooms that had left on
their own decision.
"""

from __future__ import annotations

import math

from drillsim.engines.reference.kernel import until


def start(run) -> None:
    plan = run.plan
    run.inform_left = {}
    if not plan.inform_active:
        return
    sc_updates = [(float(t), i) for i, t in enumerate(_update_times(plan))]
    for t, _i in sc_updates:
        run.env.process(_note(run, t, "update_orders_rooms_out"))
    if math.isfinite(plan.fire_alarm_s):
        run.env.process(_note(run, plan.fire_alarm_s, "fire_alarm_sounds"))
    for m in range(plan.n_rooms):
        run.env.process(room(run, m))


def _update_times(plan) -> list[float]:
    return sorted({float(t) for t in plan.inform_order_s if math.isfinite(t)})


def _note(run, t: float, what: str):
    yield until(run.env, t)
    run.log.add(t, "-", "-", what, "-")


def follows_fire(run, m: int) -> bool:
    """Does room ``m`` follow the fire alarm in this run (rule codes: plan.inform)?"""
    plan, d = run.plan, run.d
    if plan.fire_rule == 1:
        return bool(float(d.fire_follow_u[0, m]) < float(d.fire_follow_share[0]))
    if plan.fire_rule == 2:
        return bool(plan.fire_room_confirmed[m])
    return False


def room(run, m: int):
    """Room ``m`` hears its order (if any), and its adult leads the room out after pre-movement."""
    plan, d = run.plan, run.d
    if int(plan.room_out_exit[m]) < 0:
        return
    order = float(plan.inform_order_s[m])
    fire = follows_fire(run, m)
    if fire and plan.fire_alarm_s < order:
        order = float(plan.fire_alarm_s)
    if math.isinf(order):
        return
    p = int(plan.room_adult[m])
    who, role = run.who(p)
    s = run.sid(int(plan.room_space[m]))
    yield until(run.env, order)
    if plan.protocol == "options" and run.out["space_decision"][int(plan.room_space[m])] == 1:
        return  # the room has already left on its own decision
    why = "follows_fire_alarm" if order == plan.fire_alarm_s and fire else "ordered_out"
    run.log.add(order, who, role, why, s)
    left = order + float(d.premovement_s[0, p])
    yield until(run.env, left)
    run.log.add(left, who, role, "room_leaves_on_order", s)
    run.inform_left[m] = left


def finish(run) -> None:
    """Second unsecured interval of everyone whose refuge room left on an order."""
    plan, d, out = run.plan, run.d, run.out
    P, M = plan.n_persons, plan.n_rooms
    out["room_left_s"] = [math.nan] * M
    for key in ("person_unsafe_again_s", "person_arrive2_s", "person_safe2_s"):
        out[key] = [math.nan] * P
    if not plan.inform_active:
        return
    for m, left in run.inform_left.items():
        if plan.protocol == "options" and out["space_decision"][int(plan.room_space[m])] == 1:
            continue  # the room had left on its own decision
        out["room_left_s"][m] = left
    for p in range(P):
        m = int(out["person_refuge"][p])
        if m < 0 or math.isnan(out["room_left_s"][m]):
            continue
        left = out["room_left_s"][m]
        a = out["person_arrive_s"][p]
        dep = left if int(plan.person_room[p]) == m or math.isnan(a) else max(left, a)
        v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
        a2 = dep + (float(plan.room_out_level_m[m]) / v + float(plan.room_out_stair_m[m]) / vs)
        ex = int(plan.room_out_exit[m])
        s2 = a2 + float(plan.room_out_assembly_m[m]) / v
        out["person_unsafe_again_s"][p] = dep
        out["person_arrive2_s"][p] = a2
        out["person_safe2_s"][p] = s2
        out["person_safe_s"][p] = min(out["person_safe_s"][p], dep)
        who, role = run.who(p)
        run.log.add(dep, who, role, "leaves_refuge_on_order", run.sid(int(plan.room_space[m])))
        run.log.add(a2, who, role, "exits", run.sid(ex))
        run.log.add(s2, who, role, "at_assembly_point", "assembly")
