"""The reference engine: one run as SimPy processes, with a full event log.

Readable first: every person, adult and the SRO is a process that waits, walks and acts, and every
step is written to the event log. It shares its inputs (a :class:`~drillsim.plan.compile.Plan` and one
run's :class:`~drillsim.sample.draws.Draws`) with the batch engine, and the two must agree to within
1e-9 s. To make that possible, every time is carried as an explicit float computed in the same order
as the batch engine (``t = t + duration``); SimPy orders the events, and :func:`_until` makes
``env.now`` land exactly on those floats.

Ties at the same instant are settled after every ordinary event of that instant (priority
``_LATE``): a person who reaches a room at the very moment its door closes is refused, and people
reaching a door together queue in person order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from drillsim.engines.outcomes import Outcomes
from drillsim.plan.compile import (
    LOCK_CODES,
    REASON_LATCH_FAULT,
    REASON_LOCK_FAILED,
    REASON_NO_LOCK,
    REASON_NOT_ALERTED,
    REASON_OK,
    Plan,
)
from drillsim.sample.draws import Draws

_LATE = 2  # after simpy's URGENT (0) and NORMAL (1) events at the same time
_ROLE_NAMES = {0: "student", 1: "teacher", 2: "staff"}
_CENTRAL = LOCK_CODES["central"]
_KEY_OUTSIDE = LOCK_CODES["key_outside"]


@dataclass
class EventLog:
    """One row per event: time (s), person (index or 'SRO'), role, event kind, space id."""

    rows: list[tuple[float, str, str, str, str]] = field(default_factory=list)

    def add(self, t: float, person: str, role: str, event: str, space: str) -> None:
        self.rows.append((t, person, role, event, space))

    def sorted_rows(self) -> list[tuple[float, str, str, str, str]]:
        """Rows in time order (stable: same-time rows keep the order they happened in)."""
        return sorted(self.rows, key=lambda r: r[0])


def _until(env: simpy.Environment, t: float) -> simpy.Event:
    """An event at absolute time ``t`` exactly (never fires when ``t`` is inf)."""
    if math.isinf(t):
        return env.event()
    delay = t - env.now
    for _ in range(8):
        got = env.now + delay
        if got == t:
            break
        delay = math.nextafter(delay, math.inf if got < t else -math.inf)
    return env.timeout(max(delay, 0.0))


def _late(env: simpy.Environment) -> simpy.Event:
    """An event at the current time that fires after all ordinary events of this instant."""
    ev = env.event()
    ev._ok = True
    ev._value = None
    env.schedule(ev, priority=_LATE)
    return ev


class _Room:
    """What people at a room's door can see: whether it has closed for the lockdown."""

    def __init__(self) -> None:
        self.closed = False


class _Door:
    """A FIFO server: service ``s`` seconds per person (capacity = 1/s persons/second).

    The n-th person (from 0) to arrive at time a_n departs at (n+1)*s + max_{j<=n}(a_j - j*s),
    the closed form of d_n = max(a_n, d_{n-1}) + s, evaluated in the same order as the batch engine.
    """

    def __init__(self, env: simpy.Environment, service_s: float):
        self.env = env
        self.s = service_s
        self.count = 0
        self.best = -math.inf
        self.pending: list[tuple[float, int, simpy.Event]] = []

    def arrive(self, a: float, person: int) -> simpy.Event:
        ev = self.env.event()
        if not self.pending:
            self.env.process(self._flush())
        self.pending.append((a, person, ev))
        return ev

    def _flush(self):
        yield _late(self.env)
        batch, self.pending = sorted(self.pending, key=lambda x: (x[0], x[1])), []
        for a, _person, ev in batch:
            self.best = max(self.best, a - self.count * self.s)
            d = (self.count + 1) * self.s + self.best
            self.count += 1
            ev.succeed(d)


def run_reference(plan: Plan, draws: Draws, log: EventLog | None = None) -> Outcomes:
    """Simulate one run. ``draws`` must hold exactly one run.

    Parameters
    ----------
    plan : Plan
        The compiled, deterministic plan.
    draws : Draws
        The sampled inputs of one run (``draws.n_runs == 1``).
    log : EventLog, optional
        Filled with one row per event when given.
    """
    if draws.n_runs != 1:
        raise ValueError(f"the reference engine runs one run at a time, got {draws.n_runs}")
    return _Run(plan, draws, log if log is not None else EventLog()).simulate()


class _Run:
    def __init__(self, plan: Plan, draws: Draws, log: EventLog):
        self.plan, self.d, self.log = plan, draws.run(0), log
        self.env = simpy.Environment()
        P, M, S = plan.n_persons, plan.n_rooms, plan.n_spaces
        d = self.d
        self.t_init = float(d.detection_s[0])
        self.alert = [math.inf] * S
        self.alert_event = [self.env.event() for _ in range(S)]
        self.rooms = [_Room() for _ in range(M)]
        nan, inf = math.nan, math.inf
        self.out = {
            "room_lock_start_s": [inf] * M,
            "room_locked_s": [inf] * M,
            "room_secured_s": [inf] * M,
            "room_reason": [REASON_NOT_ALERTED] * M,
            "room_key_outside_s": [0.0] * M,
            "room_checked_s": [inf] * M,
            "person_move_s": [nan] * P,
            "person_arrive_s": [nan] * P,
            "person_safe_s": [inf] * P,
            "person_refuge": [-1] * P,
            "person_locked_out": [False] * P,
            "person_queue_s": [0.0] * P,
        }
        self.sro = {"alert": inf, "arrival": inf, "sweep_end": inf}

    # -- helpers ------------------------------------------------------------------------------
    def sid(self, s: int) -> str:
        return self.plan.space_ids[s]

    def who(self, p: int) -> tuple[str, str]:
        return str(p), _ROLE_NAMES[int(self.plan.person_role[p])]

    # -- alert chain --------------------------------------------------------------------------
    def formal_alerts(self) -> list[tuple[float, int, str]]:
        """(time, space, channel) for every formal alert: initiator, PA, app, radio."""
        plan, d = self.plan, self.d
        t0 = self.t_init
        out = [(t0, plan.origin, "initiator")]
        pa_t = t0 + float(d.pa_latency_s[0])
        out += [(pa_t, s, "pa") for s in range(plan.n_spaces) if plan.pa[s]]
        app_t = t0 + float(d.app_latency_s[0])
        out += [
            (app_t, int(plan.person_space[p]), "app") for p in np.flatnonzero(d.app_delivered[0])
        ]
        radio_t = t0 + float(d.radio_latency_s[0])
        out += [
            (radio_t, int(plan.person_space[p]), "radio")
            for p in np.flatnonzero(plan.radio_recipient)
        ]
        return out

    def channel(self, t: float, s: int, name: str):
        yield _until(self.env, t)
        self.mark_alert(s, t, name, src=s, hops=0)

    def mark_alert(self, s: int, t: float, how: str, src: int, hops: int) -> None:
        """Space ``s`` hears the alert at ``t`` (= formal[src] + hops * hop delay)."""
        if not t < self.alert[s]:
            return
        self.alert[s] = t
        self.log.add(t, "-", "-", f"alert:{how}", self.sid(s))
        self.alert_event[s].succeed(t)
        if not math.isinf(float(self.d.wom_hop_s[0])):
            self.env.process(self.word_of_mouth(s, src, hops))

    def word_of_mouth(self, s: int, src: int, hops: int):
        """One hop delay later, people in ``s`` pass the alert on to the neighbouring spaces."""
        t = self._formal[src] + float(hops + 1) * float(self.d.wom_hop_s[0])
        yield _until(self.env, t)
        for n in self.plan.neighbours[s]:
            self.mark_alert(n, t, "word_of_mouth", src, hops + 1)

    # -- lockdown -----------------------------------------------------------------------------
    def adult(self, m: int):
        plan, d, env = self.plan, self.d, self.env
        s = int(plan.room_space[m])
        p = int(plan.room_adult[m])
        who, role = self.who(p)
        room = self.rooms[m]
        t = yield self.alert_event[s]
        t = t + float(d.reaction_s[0, p])
        yield _until(env, t)
        self.log.add(t, who, role, "reacts", self.sid(s))
        t = t + float(d.hold_s[0, m])
        yield _until(env, t)
        room.closed = True
        self.out["room_lock_start_s"][m] = t
        self.log.add(t, who, role, "door_closed", self.sid(s))
        doors = [int(x) for x in plan.room_doors[m] if x >= 0]
        if plan.room_no_lock[m]:
            self.out["room_reason"][m] = REASON_NO_LOCK
            self.log.add(t, who, role, "cannot_lock", self.sid(s))
            return
        failed = latch = False
        exposure = 0.0
        central = []
        for door in doors:
            lock = int(plan.door_lock[door])
            failed = failed or bool(d.lock_failed[0, door])
            latch = latch or bool(d.latch_fault[0, door])
            if lock == _CENTRAL:
                central.append(self.t_init + float(d.central_latency_s[0]))
                continue
            # every attempt takes the lock time; retries until success or max attempts
            spent = float(d.lock_attempts[0, door]) * float(d.lock_time_s[0, door])
            if lock == _KEY_OUTSIDE:
                exposure = exposure + spent
                self.log.add(t, who, role, "steps_out_to_lock", self.sid(s))
            t = t + spent
            yield _until(env, t)
            tries = int(d.lock_attempts[0, door])
            self.log.add(t, who, role, f"lock_tried_{tries}x", self.sid(s))
        locked = max([t, *central])
        yield _until(env, locked)
        self.out["room_key_outside_s"][m] = exposure
        if failed or latch:
            self.out["room_reason"][m] = REASON_LOCK_FAILED if failed else REASON_LATCH_FAULT
            self.log.add(
                locked, who, role, "lock_failed" if failed else "door_did_not_latch", self.sid(s)
            )
            return
        self.out["room_reason"][m] = REASON_OK
        self.out["room_locked_s"][m] = locked
        self.log.add(locked, who, role, "locked", self.sid(s))
        secured = locked + float(d.safe_zone_s[0, m])
        yield _until(env, secured)
        self.out["room_secured_s"][m] = secured
        self.log.add(secured, who, role, "safe_zone_reached", self.sid(s))

    def mover(self, j: int):
        plan, d, env = self.plan, self.d, self.env
        p = int(plan.mover[j])
        who, role = self.who(p)
        s = int(plan.person_space[p])
        t = yield self.alert_event[s]
        t = t + float(d.reaction_s[0, p])
        yield _until(env, t)
        self.out["person_move_s"][p] = t
        self.log.add(t, who, role, "seeks_refuge", self.sid(s))
        v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
        target = self.sid(s)
        for k in range(plan.mover_cand.shape[1]):
            m = int(plan.mover_cand[j, k])
            if m < 0:
                break
            t = t + (float(plan.mover_leg_level[j, k]) / v + float(plan.mover_leg_stair[j, k]) / vs)
            yield _until(env, t)
            yield _late(env)
            room = self.rooms[m]
            target = self.sid(int(plan.room_space[m]))
            if not room.closed:
                self.out["person_arrive_s"][p] = t
                self.out["person_refuge"][p] = m
                self.log.add(t, who, role, "enters_refuge", target)
                return
            self.log.add(t, who, role, "refused_door_closed", target)
        self.out["person_arrive_s"][p] = math.inf
        self.out["person_locked_out"][p] = True
        self.log.add(t, who, role, "locked_out", target)

    # -- evacuation ---------------------------------------------------------------------------
    def evacuee(self, p: int, doors: dict[int, _Door]):
        plan, d, env = self.plan, self.d, self.env
        who, role = self.who(p)
        s = int(plan.person_space[p])
        leader = int(plan.person_leader[p])
        t = yield self.alert_event[s]
        t = t + float(d.premovement_s[0, leader])
        yield _until(env, t)
        self.out["person_move_s"][p] = t
        self.log.add(t, who, role, "starts_evacuating", self.sid(s))
        v, vs = float(d.speed_mps[0, p]), float(d.stair_speed_mps[0, p])
        wait = 0.0
        while plan.next_hop[s] >= 0:
            if plan.edge_door[s]:
                svc = float(plan.edge_service_s[s])
                dep = yield doors[s].arrive(t, p)
                wait = wait + max(0.0, (dep - t) - svc)  # never -1e-14 from rounding
                t = dep
                yield _until(env, t)
                self.log.add(t, who, role, "through_door", self.sid(s))
            t = t + (float(plan.edge_level[s]) / v + float(plan.edge_stair[s]) / vs)
            s = int(plan.next_hop[s])
            yield _until(env, t)
        self.out["person_arrive_s"][p] = t
        self.out["person_queue_s"][p] = wait
        self.log.add(t, who, role, "exits", self.sid(s))
        safe = t + float(plan.assembly_m[s]) / v
        yield _until(env, safe)
        self.out["person_safe_s"][p] = safe
        self.log.add(safe, who, role, "at_assembly_point", "assembly")

    # -- SRO ----------------------------------------------------------------------------------
    def sro_process(self):
        plan, d, env = self.plan, self.d, self.env
        post = plan.sro_post
        radio = self.t_init + float(d.radio_latency_s[0]) if plan.sro_radio else math.inf
        yield env.any_of([self.alert_event[post], _until(env, radio)])
        t = min(self.alert[post], radio)
        self.sro["alert"] = t
        self.log.add(t, "SRO", "sro", "alerted", self.sid(post))
        t = t + float(d.sro_reaction_s[0])
        t = t + plan.sro_to_origin_m / float(d.sro_speed_mps[0])
        yield _until(env, t)
        self.sro["arrival"] = t
        self.log.add(t, "SRO", "sro", "arrives_at_origin", self.sid(plan.origin))
        if not (plan.protocol == "lockdown" and plan.mode == "drill") or plan.n_rooms == 0:
            return
        for k in range(plan.sweep_rooms.shape[0]):
            m = int(plan.sweep_rooms[k])
            t = t + float(plan.sweep_leg_m[k]) / float(d.sro_sweep_speed_mps[0])
            t = t + float(d.sro_door_check_s[0])
            yield _until(env, t)
            yield _late(env)
            self.out["room_checked_s"][m] = t
            ok = self.out["room_locked_s"][m] <= t
            self.log.add(
                t,
                "SRO",
                "sro",
                "door_check_locked" if ok else "door_check_unlocked",
                self.sid(int(plan.room_space[m])),
            )
        self.sro["sweep_end"] = t
        self.log.add(t, "SRO", "sro", "sweep_complete", self.sid(int(plan.room_space[m])))

    # -- run ----------------------------------------------------------------------------------
    def simulate(self) -> Outcomes:
        plan, env = self.plan, self.env
        formal = [math.inf] * plan.n_spaces
        for t, s, _name in self.formal_alerts():
            formal[s] = min(formal[s], t)
        self._formal = formal
        for t, s, name in sorted(self.formal_alerts(), key=lambda x: (x[0], x[1])):
            if t == formal[s]:
                env.process(self.channel(t, s, name))
        if plan.protocol == "lockdown":
            for m in range(plan.n_rooms):
                env.process(self.adult(m))
            for j in range(plan.mover.shape[0]):
                env.process(self.mover(j))
        else:
            doors = {
                s: _Door(env, float(plan.edge_service_s[s]))
                for s in range(plan.n_spaces)
                if plan.edge_door[s]
            }
            for p in range(plan.n_persons):
                env.process(self.evacuee(p, doors))
        if plan.sro_on_duty:
            env.process(self.sro_process())
        env.run()
        return self._outcomes()

    def _outcomes(self) -> Outcomes:
        plan, d = self.plan, self.d
        out = self.out
        P, M = plan.n_persons, plan.n_rooms
        alert = np.array(self.alert)
        if plan.protocol == "lockdown":
            locked = out["room_locked_s"]
            for p in range(P):
                m = plan.person_room[p] if plan.person_room[p] >= 0 else out["person_refuge"][p]
                if m >= 0:
                    out["person_refuge"][p] = int(m)
                    out["person_safe_s"][p] = locked[m]
        else:
            for key in (
                "room_lock_start_s",
                "room_locked_s",
                "room_secured_s",
                "room_key_outside_s",
            ):
                out[key] = [math.nan] * M
            out["room_reason"] = [-1] * M

        def row(key, dtype=np.float64):
            return np.array(out[key], dtype=dtype).reshape(1, -1)

        return Outcomes(
            first_run=d.first_run,
            space_alert_s=alert.reshape(1, -1),
            room_lock_start_s=row("room_lock_start_s").reshape(1, M),
            room_locked_s=row("room_locked_s").reshape(1, M),
            room_secured_s=row("room_secured_s").reshape(1, M),
            room_reason=row("room_reason", np.int8).reshape(1, M),
            room_key_outside_s=row("room_key_outside_s").reshape(1, M),
            room_checked_s=row("room_checked_s").reshape(1, M),
            person_alert_s=alert[plan.person_space].reshape(1, P),
            person_move_s=row("person_move_s").reshape(1, P),
            person_arrive_s=row("person_arrive_s").reshape(1, P),
            person_safe_s=row("person_safe_s").reshape(1, P),
            person_refuge=row("person_refuge", np.int64).reshape(1, P),
            person_locked_out=row("person_locked_out", bool).reshape(1, P),
            person_queue_s=row("person_queue_s").reshape(1, P),
            sro_alert_s=np.array([self.sro["alert"]]),
            sro_arrival_s=np.array([self.sro["arrival"]]),
            sweep_end_s=np.array([self.sro["sweep_end"]]),
            le_arrival_s=np.array([self.t_init + float(d.le_arrival_s[0])]),
        )
