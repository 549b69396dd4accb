"""The batch engine: every run of a chunk at once, in vectorized NumPy.

It implements exactly the semantics of :mod:`drillsim.engines.reference` and must reproduce its
Outcomes to within 1e-9 s on the same Plan and Draws. There is no Python loop over people or runs:
the loops below run over spaces, rooms, doors, refuge candidates and route stages in a fixed order,
each step handling all runs (axis 0) and all people concerned (axis 1) at once. Float operations are
written in the same order as in the reference engine, so most results agree bit for bit.

FIFO door queues are exact: the n-th arrival (from 0, sorted by time then person) departs at
``(n+1)*s + max_{j<=n}(a_j - j*s)``, the closed form of ``d_n = max(a_n, d_{n-1}) + s``, computed with
a cumulative maximum along the sorted axis.

Each protocol is its own module (:mod:`.lockdown`, :mod:`.evacuate`, ...) with one entry point
``run(plan, draws, alert, out) -> room outcomes``; the alert chain (:mod:`.alert`) and the SRO
(:mod:`.sro`) are shared steps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drillsim.engines.batch import (
    evacuate,
    hold,
    inform,
    lockdown,
    options,
    secure,
    shelter,
    sro,
)
from drillsim.engines.batch.alert import space_alerts
from drillsim.engines.outcomes import Outcomes
from drillsim.plan.compile import Plan
from drillsim.plan.hazard import hazard_step_times
from drillsim.sample.draws import Draws

__all__ = ["PROTOCOLS", "run_batch", "space_alerts"]

#: protocol name -> module entry point filling the person columns of ``out`` and returning rooms
PROTOCOLS: dict[str, Callable[[Plan, Draws, np.ndarray, dict], dict[str, np.ndarray]]] = {
    "lockdown": lockdown.run,
    "evacuate": evacuate.run,
    "hold": hold.run,
    "secure": secure.run,
    "shelter": shelter.run,
    "options": options.run,
}


def run_batch(plan: Plan, d: Draws) -> Outcomes:
    """Simulate every run in ``d`` at once."""
    R, P = d.n_runs, plan.n_persons
    alert = space_alerts(plan, d)
    t0 = d.detection_s
    nan = np.full((R, P), np.nan)
    person_alert = alert[:, plan.person_space]
    out: dict[str, np.ndarray] = {
        "person_move_s": nan.copy(),
        "person_arrive_s": nan.copy(),
        "person_safe_s": np.full((R, P), np.inf),
        "person_refuge": np.full((R, P), -1, dtype=np.int64),
        "person_locked_out": np.zeros((R, P), dtype=bool),
        "person_queue_s": np.zeros((R, P)),
        "perimeter_locked_s": np.full((R, plan.ext_conn.shape[0]), np.nan),
        "space_decision": np.full((R, plan.n_spaces), -1, dtype=np.int8),
        "server_max_queue": np.zeros((R, plan.evac_net.n_servers), dtype=np.int32),
        "person_exit": np.full((R, P), -1, dtype=np.int64),
        "person_reroute_s": nan.copy(),
        "person_lockout_s": nan.copy(),
    }
    rooms = PROTOCOLS[plan.protocol](plan, d, alert, out)
    # issue 9 item 4: rooms that locked down may be ordered out (updates, fire alarm)
    stays = np.ones((R, plan.n_rooms), dtype=bool)
    if plan.protocol == "options":
        stays = out["space_decision"][:, plan.room_space] != 1
    inform.run(plan, d, out, rooms, stays)
    sro_out = sro.run(plan, d, alert, rooms["room_locked_s"])
    return Outcomes(
        first_run=d.first_run,
        space_alert_s=alert,
        person_alert_s=person_alert,
        **rooms,
        **out,
        room_checked_s=sro_out.pop("room_checked_s"),
        **sro_out,
        le_arrival_s=t0 + d.le_arrival_s,
        hazard_step_s=hazard_step_times(plan, d.hazard_speed_mps),
    )
