"""Options-based response in the reference engine: when the alert reaches a space, its occupants
leave by a hazard-avoiding route or lock down and barricade (rules: the batch module's docstring).

Composed from the lockdown processes (:func:`drillsim.engines.reference.lockdown.adult` and
``mover``), which run unchanged for the spaces that lock down.
"""

from __future__ import annotations

import math

from drillsim.engines.reference import lockdown
from drillsim.engines.reference.kernel import until
from drillsim.plan.hazard import hazard_step_times


def start(run) -> None:
    plan = run.plan
    run.opt_steps = [float(x) for x in hazard_step_times(plan, run.d.hazard_speed_mps)[0]]
    run.opt_leavers = {}
    run.opt_locked_out_leavers = {}
    lockdown.add_admission(run)  # refuge capacity and the door-hold rule, as in lockdown
    for m in range(plan.n_rooms):
        run.env.process(room(run, m))
    movers = {int(p) for p in plan.mover}
    for j in range(plan.mover.shape[0]):
        run.env.process(mover(run, j))
    for p in range(plan.n_persons):
        if p not in movers:
            run.env.process(occupant(run, p))


def decide(run, s: int, t: float) -> tuple[int, int]:
    """Decision of space ``s`` at its alert time ``t``: (1 leave / 0 lock down, known row)."""
    row = sum(1 for x in run.opt_steps if x <= t)
    leave = bool(run.plan.opt_leave_ok[row, s])
    if run.out["space_decision"][s] == -1:
        run.out["space_decision"][s] = int(leave)
        run.log.add(t, "-", "-", "decides_leave" if leave else "decides_lockdown", run.sid(s))
    return int(leave), row


def finish(run) -> None:
    plan, out, d = run.plan, run.out, run.d
    lockdown.finish(run)
    for m in range(plan.n_rooms):
        if out["space_decision"][int(plan.room_space[m])] == 1:
            out["room_locked_s"][m] = math.nan
            out["room_secured_s"][m] = math.nan
            out["room_reason"][m] = -1
            out["room_key_outside_s"][m] = 0.0
        else:
            out["room_secured_s"][m] = out["room_secured_s"][m] + float(d.barricade_s[0, m])
    for p, (move, arrive, safe) in run.opt_leavers.items():
        out["person_arrive_s"][p] = arrive
        out["person_safe_s"][p] = safe
        if move is not None:  # left from their own space (not with a refuge room's group)
            out["person_move_s"][p] = move
            out["person_refuge"][p] = -1
            out["person_locked_out"][p] = False
            out["person_lockout_s"][p] = math.nan  # the shadow refuge search's, not theirs
    for p, (t_leave, arrive, safe) in run.opt_locked_out_leavers.items():
        out["person_arrive_s"][p] = arrive
        out["person_safe_s"][p] = safe
        out["person_reroute_s"][p] = t_leave
        out["person_locked_out"][p] = False


def _walk_out(run, p: int, s: int, row: int, t: float, what: str):
    """Walk the leaving route of space ``s`` (known row ``row``) from time ``t``; returns times."""
    plan, d, env = run.plan, run.d, run.env
    who, role = run.who(p)
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    lvl = float(plan.opt_route_level_m[row, s])
    stl = float(plan.opt_route_stair_m[row, s])
    arrive = t + (lvl / v + stl / vs)
    ex = int(plan.opt_route_exit[row, s])
    yield until(env, arrive)
    run.log.add(arrive, who, role, what, run.sid(ex))
    safe = arrive + float(plan.assembly_m[ex]) / v
    yield until(env, safe)
    run.log.add(safe, who, role, "at_assembly_point", "assembly")
    return arrive, safe


def room(run, m: int):
    """The room's adult: lock down (as lockdown) or lead the class out, shutting the door."""
    plan, d, env = run.plan, run.d, run.env
    s = int(plan.room_space[m])
    p = int(plan.room_adult[m])
    t = yield run.alert_event[s]
    leave, _row = decide(run, s, t)
    if not leave:
        yield from lockdown.adult(run, m)
        return
    # the door shuts behind the group when it would have closed for lockdown (same hold rule)
    t_react = t + float(d.reaction_s[0, p])
    yield until(env, t_react)
    close = yield from lockdown.hold_door(run, m, t_react)
    run.out["room_lock_start_s"][m] = close
    run.rooms[m].closed = True
    who, role = run.who(p)
    run.log.add(close, who, role, "door_shut_behind_group", run.sid(s))


def occupant(run, p: int):
    """Someone who starts in a room (or any space that is not a lockdown mover's)."""
    plan, d, env = run.plan, run.d, run.env
    s = int(plan.person_space[p])
    t = yield run.alert_event[s]
    leave, row = decide(run, s, t)
    if not leave:
        return
    t = t + float(d.premovement_s[0, int(plan.person_leader[p])])
    yield until(env, t)
    who, role = run.who(p)
    run.log.add(t, who, role, "leaves_by_safe_route", run.sid(s))
    arrive, safe = yield from _walk_out(run, p, s, row, t, "exits")
    run.opt_leavers[p] = (t, arrive, safe)


def _shadow_refuge(run, j: int, t: float):
    """The lockdown refuge search of a mover who left (its results are replaced in finish; not
    logged: they are walking out, not to a room)."""
    t = t + float(run.d.reaction_s[0, int(run.plan.mover[j])])
    yield until(run.env, t)
    yield from lockdown.seek_refuge(run, j, t, logged=False)


def _locked_out(run, j: int, t_lo: float):
    """Locked out at ``t_lo``: wait outside the last door tried and leave as soon as a route
    keeps away from the zone known then: at ``t_lo``, or at the first later zone step start that
    opens one (else stay locked out, never safe)."""
    plan, env = run.plan, run.env
    p = int(plan.mover[j])
    here = int(plan.mover_lo_space[j])
    t = t_lo
    row = sum(1 for x in run.opt_steps if x <= t)
    later = sorted({x for x in run.opt_steps if x > t_lo and math.isfinite(x)})
    while not plan.opt_leave_ok[row, here]:
        if not later:
            return
        t = later.pop(0)  # the zone moves on: decide again with the row known at that instant
        yield until(env, t)
        row = sum(1 for x in run.opt_steps if x <= t)
    who, role = run.who(p)
    run.log.add(t, who, role, "leaves_after_locked_out", run.sid(here))
    arrive, safe = yield from _walk_out(run, p, here, row, t, "exits")
    run.opt_locked_out_leavers[p] = (t, arrive, safe)


def mover(run, j: int):
    """Someone outside a room: leave, or seek refuge as in lockdown (and go on if it has left, or
    decide again if locked out)."""
    plan, d, env = run.plan, run.d, run.env
    p = int(plan.mover[j])
    s = int(plan.person_space[p])
    t = yield run.alert_event[s]
    leave, row = decide(run, s, t)
    if leave:
        # the lockdown step still counts them where they would have sought refuge (capacity and
        # door holds) so both engines compose lockdown identically; their outcome is the walk out
        run.env.process(_shadow_refuge(run, j, t))
        t = t + float(d.premovement_s[0, int(plan.person_leader[p])])
        yield until(env, t)
        who, role = run.who(p)
        run.log.add(t, who, role, "leaves_by_safe_route", run.sid(s))
        arrive, safe = yield from _walk_out(run, p, s, row, t, "exits")
        run.opt_leavers[p] = (t, arrive, safe)
        return
    t_lo = yield from lockdown.mover(run, j)
    m = run.out["person_refuge"][p]
    if run.out["person_locked_out"][p]:
        yield from _locked_out(run, j, t_lo)
        return
    if m < 0:
        return
    a = run.out["person_arrive_s"][p]
    rs = int(plan.room_space[m])
    yield run.alert_event[rs]
    rleave, rrow = decide(run, rs, run.alert[rs])
    if not rleave:
        return
    who, role = run.who(p)
    run.log.add(max(a, env.now), who, role, "room_has_left_goes_on", run.sid(rs))
    arrive, safe = yield from _walk_out(run, p, rs, rrow, a, "exits")
    run.opt_leavers[p] = (None, arrive, safe)


__all__ = ["decide", "finish", "start"]
