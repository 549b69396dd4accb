"""Shelter in the reference engine: groups walk to their shelter area; for hazmat the exterior
openings are closed like a Secure perimeter (without waiting for anyone)."""

from __future__ import annotations

import math

from drillsim.engines.reference.kernel import until
from drillsim.engines.reference.secure import DoorWatch, start_perimeter


def start(run) -> None:
    plan = run.plan
    for p in range(plan.n_persons):
        run.env.process(shelters(run, p))
    if plan.shelter_hazmat:
        start_perimeter(run, [DoorWatch(run.env, 0) for _ in range(plan.ext_conn.shape[0])])


def finish(run) -> None:
    plan, out = run.plan, run.out
    M = plan.n_rooms
    for key in ("room_lock_start_s", "room_locked_s", "room_secured_s", "room_key_outside_s"):
        out[key] = [math.nan] * M
    out["room_reason"] = [-1] * M
    if plan.shelter_hazmat and plan.ext_conn.shape[0]:
        done = max(out["perimeter_locked_s"])
        out["person_safe_s"] = [max(t, done) for t in out["person_safe_s"]]


def shelters(run, p: int):
    plan, d, env = run.plan, run.d, run.env
    who, role = run.who(p)
    s = int(plan.person_space[p])
    area = int(plan.shelter_space[int(plan.person_shelter[p])])
    t = yield run.alert_event[s]
    if area == s:
        run.out["person_safe_s"][p] = t
        run.log.add(t, who, role, "shelters_in_place", run.sid(s))
        return
    t = t + float(d.premovement_s[0, int(plan.person_leader[p])])
    yield until(env, t)
    run.out["person_move_s"][p] = t
    run.log.add(t, who, role, "moves_to_shelter", run.sid(s))
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    t = t + (float(plan.shelter_level_m[p]) / v + float(plan.shelter_stair_m[p]) / vs)
    yield until(env, t)
    run.out["person_arrive_s"][p] = t
    run.out["person_safe_s"][p] = t
    run.log.add(t, who, role, "in_shelter", run.sid(area))
