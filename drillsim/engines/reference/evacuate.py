"""Evacuation in the reference engine: each person walks the route to an exit through FIFO doors."""

from __future__ import annotations

import math

from drillsim.engines.reference.kernel import FifoServer, until


def start(run) -> None:
    """One FIFO server per door on a route; one process per person."""
    plan, env = run.plan, run.env
    doors = {
        s: FifoServer(env, float(plan.edge_service_s[s]))
        for s in range(plan.n_spaces)
        if plan.edge_door[s]
    }
    for p in range(plan.n_persons):
        env.process(evacuee(run, p, doors))


def finish(run) -> None:
    """Room outcomes are not applicable in an evacuation (nan, reason -1)."""
    M = run.plan.n_rooms
    for key in ("room_lock_start_s", "room_locked_s", "room_secured_s", "room_key_outside_s"):
        run.out[key] = [math.nan] * M
    run.out["room_reason"] = [-1] * M


def evacuee(run, p: int, doors: dict[int, FifoServer]):
    plan, d, env = run.plan, run.d, run.env
    who, role = run.who(p)
    s = int(plan.person_space[p])
    leader = int(plan.person_leader[p])
    t = yield run.alert_event[s]
    t = t + float(d.premovement_s[0, leader])
    yield until(env, t)
    run.out["person_move_s"][p] = t
    run.log.add(t, who, role, "starts_evacuating", run.sid(s))
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    wait = 0.0
    while plan.next_hop[s] >= 0:
        if plan.edge_door[s]:
            svc = float(plan.edge_service_s[s])
            dep = yield doors[s].arrive(t, p)
            wait = wait + max(0.0, (dep - t) - svc)  # never -1e-14 from rounding
            t = dep
            yield until(env, t)
            run.log.add(t, who, role, "through_door", run.sid(s))
        t = t + (float(plan.edge_level[s]) / v + float(plan.edge_stair[s]) / vs)
        s = int(plan.next_hop[s])
        yield until(env, t)
    run.out["person_arrive_s"][p] = t
    run.out["person_queue_s"][p] = wait
    run.log.add(t, who, role, "exits", run.sid(s))
    safe = t + float(plan.assembly_m[s]) / v
    yield until(env, safe)
    run.out["person_safe_s"][p] = safe
    run.log.add(safe, who, role, "at_assembly_point", "assembly")
