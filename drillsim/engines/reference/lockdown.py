"""Lockdown in the reference engine: the responsible adult locks each room; people outside rooms seek
an open refuge and are locked out when every candidate has closed."""

from __future__ import annotations

import math

import simpy

from drillsim.engines.reference.kernel import late, until
from drillsim.plan.codes import (
    COND_LATCH,
    COND_NO_KEY,
    HOLD_STEP_S,
    REASON_AUDITED_LATCH,
    REASON_NO_KEY,
)
from drillsim.plan.compile import (
    LOCK_CODES,
    REASON_LATCH_FAULT,
    REASON_LOCK_FAILED,
    REASON_NO_LOCK,
    REASON_OK,
)

_CENTRAL = LOCK_CODES["central"]
_KEY_OUTSIDE = LOCK_CODES["key_outside"]


def start(run) -> None:
    """Start one process per room adult and one per person outside a room."""
    add_admission(run)
    for m in range(run.plan.n_rooms):
        run.env.process(adult(run, m))
    for j in range(run.plan.mover.shape[0]):
        run.env.process(mover(run, j))


def finish(run) -> None:
    """People in a room are safe when its door locks; movers when their refuge's door locks."""
    plan, out = run.plan, run.out
    locked = out["room_locked_s"]
    for p in range(plan.n_persons):
        m = plan.person_room[p] if plan.person_room[p] >= 0 else out["person_refuge"][p]
        if m >= 0:
            out["person_refuge"][p] = int(m)
            out["person_safe_s"][p] = locked[m]


def adult(run, m: int):
    """The room's adult reacts to the alert, holds the door for the drawn time, then locks."""
    plan, d = run.plan, run.d
    p = int(plan.room_adult[m])
    s = int(plan.room_space[m])
    t = yield run.alert_event[s]
    t = t + float(d.reaction_s[0, p])
    yield until(run.env, t)
    who, role = run.who(p)
    run.log.add(t, who, role, "reacts", run.sid(s))
    t = yield from hold_door(run, m, t)
    yield from lock_room(run, m, t)


def hold_door(run, m: int, t_react: float):
    """Reusable step: room ``m``'s adult holds the door from ``t_react``; returns the close time.

    ``fixed`` rule: ``hallway_recovery_s``. ``approaching``: at least that, then while someone
    whose first choice is this room is seen approaching (set off before now, at the door within
    ``hold_window_s``); the door closes ``HOLD_STEP_S`` after the last of them is in, at most
    ``hold_max_s`` after reacting.
    """
    plan, env = run.plan, run.env
    c = t_react + float(run.d.hold_s[0, m])
    if plan.hold_approaching:
        cap = t_react + plan.hold_max_s
        w = plan.hold_window_s
        while c < cap:
            yield until(env, c)
            best = c
            for s, a in run.expected[m]:  # (set-off, arrival) of first-choice movers
                if s < c and a < c + w:
                    best = max(best, a + HOLD_STEP_S)
            if best == c:
                break
            c = best
        c = min(c, cap)
    yield until(env, c)
    return c


def lock_room(run, m: int, t: float):
    """Reusable step: room ``m``'s adult closes the door at ``t`` and locks its entry doors.

    Writes the room's outcome columns and log rows; a generator to ``yield from`` inside a SimPy
    process (the options protocol locks rooms the same way). Per door in locking order: a door
    audited as propped first takes ``prop_release_s``; a door a substitute has no key for is
    skipped (the room stays unsecured); other adult-locked doors take attempts x lock time;
    central doors lock at the central system's time.
    """
    plan, d, env = run.plan, run.d, run.env
    s = int(plan.room_space[m])
    who, role = run.who(int(plan.room_adult[m]))
    room = run.rooms[m]
    room.closed = True
    run.out["room_lock_start_s"][m] = t
    run.log.add(t, who, role, "door_closed", run.sid(s))
    doors = [int(x) for x in plan.room_doors[m] if x >= 0]
    if plan.room_no_lock[m]:
        run.out["room_reason"][m] = REASON_NO_LOCK
        run.log.add(t, who, role, "cannot_lock", run.sid(s))
        return
    sub = bool(d.room_substitute[0, m])
    failed = latch = audited_latch = no_key = False
    exposure = 0.0
    central = []
    for door in doors:
        lock = int(plan.door_lock[door])
        cond = int(plan.door_condition[door])
        prop = float(d.prop_release_s[0, door])
        t = t + prop
        if prop > 0.0:
            yield until(env, t)
            run.log.add(t, who, role, "prop_removed", run.sid(s))
        audited_latch = audited_latch or cond == COND_LATCH
        if sub and cond == COND_NO_KEY:
            no_key = True
            run.log.add(t, who, role, "no_key_substitute", run.sid(s))
            if lock == _CENTRAL:
                central.append(run.t_init + float(d.central_latency_s[0]))
            continue
        failed = failed or bool(d.lock_failed[0, door])
        latch = latch or bool(d.latch_fault[0, door])
        if lock == _CENTRAL:
            central.append(run.t_init + float(d.central_latency_s[0]))
            continue
        # every attempt takes the lock time; retries until success or max attempts
        spent = float(d.lock_attempts[0, door]) * float(d.lock_time_s[0, door])
        if lock == _KEY_OUTSIDE:
            exposure = exposure + spent
            run.log.add(t, who, role, "steps_out_to_lock", run.sid(s))
        t = t + spent
        yield until(env, t)
        tries = int(d.lock_attempts[0, door])
        run.log.add(t, who, role, f"lock_tried_{tries}x", run.sid(s))
    locked = max([t, *central])
    yield until(env, locked)
    run.out["room_key_outside_s"][m] = exposure
    reason = (
        REASON_NO_KEY
        if no_key
        else REASON_AUDITED_LATCH
        if audited_latch
        else REASON_LOCK_FAILED
        if failed
        else REASON_LATCH_FAULT
        if latch
        else REASON_OK
    )
    if reason != REASON_OK:
        run.out["room_reason"][m] = reason
        event = {
            REASON_NO_KEY: "cannot_lock_no_key",
            REASON_AUDITED_LATCH: "door_does_not_latch_audited",
            REASON_LOCK_FAILED: "lock_failed",
            REASON_LATCH_FAULT: "door_did_not_latch",
        }[reason]
        run.log.add(locked, who, role, event, run.sid(s))
        return
    run.out["room_reason"][m] = REASON_OK
    run.out["room_locked_s"][m] = locked
    run.log.add(locked, who, role, "locked", run.sid(s))
    secured = locked + float(d.safe_zone_s[0, m])
    yield until(env, secured)
    run.out["room_secured_s"][m] = secured
    run.log.add(secured, who, role, "safe_zone_reached", run.sid(s))


def mover(run, j: int):
    """A person outside the rooms reacts to the alert, then seeks a refuge (returns as
    :func:`seek_refuge`)."""
    p = int(run.plan.mover[j])
    t = yield from run.sets_off(p, float(run.d.reaction_s[0, p]), "seeks_refuge")
    return (yield from seek_refuge(run, j, t))


def seek_refuge(run, j: int, t: float, logged: bool = True):
    """Reusable step: mover ``j`` walks their candidate list from ``t``; a room admits them if
    its door is still open and it holds fewer people than its capacity (``yield from`` it).

    Arrivals at a room at the same instant are admitted in person order, after every door that
    closes at that instant (see :class:`Admission`). Returns the time of the last arrival (at the
    refuge, or at the last candidate when locked out; ``t`` without candidates). With
    ``logged=False`` nothing goes to the event log (options: the refuge search of someone who
    left, kept only for capacity and door holds).
    """
    plan, d, env = run.plan, run.d, run.env
    p = int(plan.mover[j])
    who, role = run.who(p)
    log = run.log.add if logged else (lambda *row: None)
    v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
    target = run.sid(int(plan.person_space[p]))
    m0 = int(plan.mover_cand[j, 0])
    if m0 >= 0:  # the adult of the first choice can see them coming from now on
        leg = float(plan.mover_leg_level[j, 0]) / v + float(plan.mover_leg_stair[j, 0]) / vs
        run.expected[m0].append((t, t + leg))
    for k in range(plan.mover_cand.shape[1]):
        m = int(plan.mover_cand[j, k])
        if m < 0:
            break
        t = t + (float(plan.mover_leg_level[j, k]) / v + float(plan.mover_leg_stair[j, k]) / vs)
        yield until(env, t)
        target = run.sid(int(plan.room_space[m]))
        verdict = yield run.admission[m].arrive(p)
        if verdict == "admitted":
            run.out["person_arrive_s"][p] = t
            run.out["person_refuge"][p] = m
            log(t, who, role, "enters_refuge", target)
            return t
        log(t, who, role, f"refused_{verdict}", target)
    run.out["person_arrive_s"][p] = math.inf
    run.out["person_locked_out"][p] = True
    run.out["person_lockout_s"][p] = t
    log(t, who, role, "locked_out", target)
    return t


class Admission:
    """Who gets into a room: open door (not yet closed) and room not full.

    Arrivals of one instant are collected and decided together after every ordinary event of
    that instant (priority LATE), in person order, so that ties resolve as in the batch engine.
    """

    def __init__(self, run, m: int):
        self.env = run.env
        self.room = run.rooms[m]
        self.free = int(run.plan.room_capacity[m]) - int(run.plan.room_own[m])
        self.pending: list[tuple[int, simpy.Event]] = []

    def arrive(self, person: int) -> simpy.Event:
        ev = self.env.event()
        if not self.pending:
            self.env.process(self._decide())
        self.pending.append((person, ev))
        return ev

    def _decide(self):
        yield late(self.env)
        batch, self.pending = sorted(self.pending, key=lambda x: x[0]), []
        for _person, ev in batch:
            if self.room.closed:
                ev.succeed("door_closed")
            elif self.free <= 0:
                ev.succeed("room_full")
            else:
                self.free -= 1
                ev.succeed("admitted")


def add_admission(run) -> None:
    """Give the run one :class:`Admission` per room (idempotent; other protocols may call it)."""
    if not hasattr(run, "admission"):
        run.admission = [Admission(run, m) for m in range(run.plan.n_rooms)]
        run.expected = [[] for _ in range(run.plan.n_rooms)]
