"""Secure in the reference engine: people outdoors walk in; each exterior door is locked by its
room adult, the central system or a locker, once everybody entering through it is inside."""

from __future__ import annotations

import math

from drillsim.engines.reference.kernel import until
from drillsim.plan.secure import CENTRAL_DOOR


class DoorWatch:
    """Counts the people still to come in through one exterior door; fires when all are in."""

    def __init__(self, env, expected: int):
        self.left = expected
        self.last = -math.inf
        self.all_in = env.event()
        if expected == 0:
            self.all_in.succeed(-math.inf)

    def entered(self, t: float) -> None:
        self.last = max(self.last, t)
        self.left -= 1
        if self.left == 0:
            self.all_in.succeed(self.last)


def start(run) -> None:
    """Processes for people coming in, and for the perimeter (see :func:`start_perimeter`)."""
    plan = run.plan
    X = plan.ext_conn.shape[0]
    watches = [DoorWatch(run.env, int((plan.in_door == x).sum())) for x in range(X)]
    for j in range(plan.in_mover.shape[0]):
        run.env.process(comes_in(run, j, watches))
    start_perimeter(run, watches)


def start_perimeter(run, watches) -> None:
    """One process per exterior door that is not walked to, one per locker."""
    plan = run.plan
    run.out["perimeter_locked_s"] = [math.inf] * plan.ext_conn.shape[0]
    for x in range(plan.ext_conn.shape[0]):
        if int(plan.ext_adult[x]) != -1:
            run.env.process(lock_in_place(run, x, watches[x]))
    for li in range(plan.locker.shape[0]):
        run.env.process(locker(run, li, watches))


def finish(run) -> None:
    """Everyone is safe once inside and every exterior door is locked."""
    plan, out = run.plan, run.out
    M = plan.n_rooms
    for key in ("room_lock_start_s", "room_locked_s", "room_secured_s", "room_key_outside_s"):
        out[key] = [math.nan] * M
    out["room_reason"] = [-1] * M
    done = max(out["perimeter_locked_s"], default=0.0)
    movers = {int(p) for p in plan.in_mover}
    for p in range(plan.n_persons):
        if p in movers:
            a = out["person_arrive_s"][p]
            out["person_safe_s"][p] = math.inf if math.isnan(a) else max(a, done)
        else:
            out["person_safe_s"][p] = done


def _lock(run, x: int, ready: float, watch: DoorWatch, who: str, role: str):
    """Wait until ready and everybody is in, then lock; returns the lock time."""
    env = run.env
    last = yield watch.all_in
    t = max(ready, last) + float(run.d.ext_lock_time_s[0, x])
    yield until(env, t)
    run.out["perimeter_locked_s"][x] = t
    run.log.add(t, who, role, "exterior_door_locked", run.plan.ext_door_ids[x])
    return t


def lock_in_place(run, x: int, watch: DoorWatch):
    plan, d = run.plan, run.d
    a = int(plan.ext_adult[x])
    if a == CENTRAL_DOOR:
        ready = run.t_init + float(d.central_latency_s[0])
        yield from _lock(run, x, ready, watch, "central", "system")
        return
    s = int(plan.person_space[a])
    who, role = run.who(a)
    t = yield run.alert_event[s]
    t = t + float(d.reaction_s[0, a])
    yield until(run.env, t)
    yield from _lock(run, x, t, watch, who, role)


def locker(run, li: int, watches):
    plan, d, env = run.plan, run.d, run.env
    p = int(plan.locker[li])
    who, role = run.who(p)
    s = int(plan.person_space[p])
    t = yield run.alert_event[s]
    t = t + float(d.reaction_s[0, p])
    yield until(env, t)
    run.log.add(t, who, role, "leaves_to_lock_exterior_doors", run.sid(s))
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    for j in range(plan.tour_door.shape[1]):
        x = int(plan.tour_door[li, j])
        if x < 0:
            break
        t = t + (float(plan.tour_level_m[li, j]) / v + float(plan.tour_stair_m[li, j]) / vs)
        yield until(env, t)
        run.log.add(t, who, role, "at_exterior_door", plan.ext_door_ids[x])
        t = yield from _lock(run, x, t, watches[x], who, role)


def comes_in(run, j: int, watches):
    plan, d, env = run.plan, run.d, run.env
    p = int(plan.in_mover[j])
    who, role = run.who(p)
    delay = float(d.premovement_s[0, int(plan.person_leader[p])])
    t = yield from run.sets_off(p, delay, "comes_inside")
    if int(plan.in_target[j]) < 0:
        run.out["person_arrive_s"][p] = math.inf
        return
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    t = t + (float(plan.in_level_m[j]) / v + float(plan.in_stair_m[j]) / vs)
    yield until(env, t)
    run.out["person_arrive_s"][p] = t
    run.log.add(t, who, role, "inside", run.sid(int(plan.in_target[j])))
    x = int(plan.in_door[j])
    if x >= 0:
        watches[x].entered(t)
