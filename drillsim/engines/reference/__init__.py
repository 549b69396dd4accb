"""The reference engine: one run as SimPy processes, with a full event log.

Readable first: every person, adult and the SRO is a process that waits, walks and acts, and every
step is written to the event log. It shares its inputs (a :class:`~drillsim.plan.compile.Plan` and one
run's :class:`~drillsim.sample.draws.Draws`) with the batch engine, and the two must agree to within
1e-9 s. To make that possible, every time is carried as an explicit float computed in the same order
as the batch engine (``t = t + duration``); SimPy orders the events, and :func:`_until` makes
``env.now`` land exactly on those floats.

Each protocol is its own module (:mod:`.lockdown`, :mod:`.evacuate`, ...) with ``start(run)``, which
starts its processes, and ``finish(run)``, which completes the outcomes after the run; the alert
chain and the SRO (:mod:`.sro`) are shared. Tie rules and FIFO servers live in :mod:`.kernel`.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import simpy

from drillsim.engines.outcomes import Outcomes
from drillsim.engines.reference import (
    evacuate,
    hold,
    inform,
    lockdown,
    options,
    secure,
    shelter,
    sro,
)
from drillsim.engines.reference.kernel import EventLog, RoomState, until
from drillsim.plan.compile import REASON_NOT_ALERTED, Plan
from drillsim.plan.hazard import hazard_step_times
from drillsim.sample.draws import Draws

__all__ = ["PROTOCOLS", "EventLog", "Run", "run_reference"]

_ROLE_NAMES = {0: "student", 1: "teacher", 2: "staff"}

#: protocol name -> module with ``start(run)`` and ``finish(run)``
PROTOCOLS: dict[str, ModuleType] = {
    "lockdown": lockdown,
    "evacuate": evacuate,
    "hold": hold,
    "secure": secure,
    "shelter": shelter,
    "options": options,
}


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
    return Run(plan, draws, log if log is not None else EventLog()).simulate()


class Run:
    """One run's state: the SimPy environment, alert times, room states and the outcome columns."""

    def __init__(self, plan: Plan, draws: Draws, log: EventLog):
        self.plan, self.d, self.log = plan, draws.run(0), log
        self.env = simpy.Environment()
        P, M, S = plan.n_persons, plan.n_rooms, plan.n_spaces
        d = self.d
        self.t_init = float(d.detection_s[0])
        self.alert = [math.inf] * S
        self.alert_event = [self.env.event() for _ in range(S)]
        self.rooms = [RoomState() for _ in range(M)]
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
            "perimeter_locked_s": [nan] * plan.ext_conn.shape[0],
            "space_decision": [-1] * S,
            "server_max_queue": [0] * plan.evac_net.n_servers,
            "person_exit": [-1] * P,
            "person_reroute_s": [nan] * P,
            "person_lockout_s": [nan] * P,
        }
        self.sro = {"alert": inf, "arrival": inf, "sweep_end": inf}

    # -- helpers ------------------------------------------------------------------------------
    def sid(self, s: int) -> str:
        return self.plan.space_ids[s]

    def who(self, p: int) -> tuple[str, str]:
        return str(p), _ROLE_NAMES[int(self.plan.person_role[p])]

    def sets_off(self, p: int, delay_s: float, event: str):
        """Person ``p`` hears the alert in its start space, waits ``delay_s`` (its reaction or
        its leader's pre-movement), records when it starts moving and logs ``event``.

        The shared opening of every mover process; returns the start time (``alert + delay``,
        the same float sum as the batch engine).
        """
        s = int(self.plan.person_space[p])
        t = yield self.alert_event[s]
        t = t + delay_s
        yield until(self.env, t)
        self.out["person_move_s"][p] = t
        who, role = self.who(p)
        self.log.add(t, who, role, event, self.sid(s))
        return t

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
        yield until(self.env, t)
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
        yield until(self.env, t)
        for n in self.plan.neighbours[s]:
            self.mark_alert(n, t, "word_of_mouth", src, hops + 1)

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
        PROTOCOLS[plan.protocol].start(self)
        inform.start(self)  # issue 9 item 4: orders out (updates, fire alarm)
        if plan.sro_on_duty:
            env.process(sro.process(self))
        env.run()
        return self._outcomes()

    def _outcomes(self) -> Outcomes:
        plan, d = self.plan, self.d
        out = self.out
        P, M = plan.n_persons, plan.n_rooms
        alert = np.array(self.alert)
        PROTOCOLS[plan.protocol].finish(self)
        inform.finish(self)

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
            perimeter_locked_s=row("perimeter_locked_s").reshape(1, -1),
            hazard_step_s=hazard_step_times(plan, d.hazard_speed_mps),
            space_decision=row("space_decision", np.int8).reshape(1, -1),
            room_left_s=row("room_left_s").reshape(1, M),
            person_unsafe_again_s=row("person_unsafe_again_s").reshape(1, P),
            person_arrive2_s=row("person_arrive2_s").reshape(1, P),
            person_safe2_s=row("person_safe2_s").reshape(1, P),
            server_max_queue=row("server_max_queue", np.int32).reshape(1, -1),
            person_exit=row("person_exit", np.int64).reshape(1, P),
            person_reroute_s=row("person_reroute_s").reshape(1, P),
            person_lockout_s=row("person_lockout_s").reshape(1, P),
        )
