"""Hold in the reference engine: each room's adult closes the door (not locked) after the
hallway-recovery window; people in halls walk to the nearest room and are never refused."""

from __future__ import annotations

import math

from drillsim.engines.reference.kernel import until


def start(run) -> None:
    """One process per room adult and one per person in a hall."""
    for m in range(run.plan.n_rooms):
        run.env.process(adult(run, m))
    for j in range(run.plan.hold_mover.shape[0]):
        run.env.process(mover(run, j))


def finish(run) -> None:
    """Safe = out of the halls with the door closed (see the batch module for the rule)."""
    plan, out = run.plan, run.out
    for key in ("room_locked_s", "room_secured_s", "room_key_outside_s"):
        out[key] = [math.nan] * plan.n_rooms
    out["room_reason"] = [-1] * plan.n_rooms
    close = out["room_lock_start_s"]
    movers = {int(p): j for j, p in enumerate(plan.hold_mover)}
    for p in range(plan.n_persons):
        m = int(plan.person_room[p])
        if m >= 0:
            out["person_refuge"][p] = m
            out["person_safe_s"][p] = close[m]
        elif p in movers:
            target = int(plan.hold_target[movers[p]])
            out["person_refuge"][p] = target
            arrive = out["person_arrive_s"][p]
            if target < 0 or math.isnan(arrive):
                out["person_safe_s"][p] = math.inf
            else:
                out["person_safe_s"][p] = max(arrive, close[target])
        else:
            out["person_safe_s"][p] = run.alert[int(plan.person_space[p])]


def adult(run, m: int):
    plan, d, env = run.plan, run.d, run.env
    s = int(plan.room_space[m])
    p = int(plan.room_adult[m])
    who, role = run.who(p)
    t = yield run.alert_event[s]
    t = t + float(d.reaction_s[0, p])
    yield until(env, t)
    run.log.add(t, who, role, "reacts", run.sid(s))
    t = t + float(d.hold_s[0, m])
    yield until(env, t)
    run.out["room_lock_start_s"][m] = t
    run.log.add(t, who, role, "door_closed_not_locked", run.sid(s))


def mover(run, j: int):
    plan, d, env = run.plan, run.d, run.env
    p = int(plan.hold_mover[j])
    who, role = run.who(p)
    s = int(plan.person_space[p])
    t = yield from run.sets_off(p, float(d.reaction_s[0, p]), "clears_hall")
    m = int(plan.hold_target[j])
    if m < 0:
        run.out["person_arrive_s"][p] = math.inf
        run.log.add(t, who, role, "no_room_reachable", run.sid(s))
        return
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    t = t + (float(plan.hold_level_m[j]) / v + float(plan.hold_stair_m[j]) / vs)
    yield until(env, t)
    run.out["person_arrive_s"][p] = t
    run.log.add(t, who, role, "enters_room", run.sid(int(plan.room_space[m])))
