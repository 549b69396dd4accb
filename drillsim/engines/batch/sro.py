"""The school resource officer in the batch engine: alert, response to the origin, door sweep."""

from __future__ import annotations

import numpy as np

from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def run(plan: Plan, d: Draws, alert: np.ndarray, room_locked: np.ndarray) -> dict:
    R, M = d.n_runs, plan.n_rooms
    inf = np.full(R, np.inf)
    checked = np.full((R, M), np.inf)
    if not plan.sro_on_duty:
        return {
            "room_checked_s": checked,
            "sro_alert_s": inf,
            "sro_arrival_s": inf.copy(),
            "sweep_end_s": inf.copy(),
        }
    radio = d.detection_s + d.radio_latency_s if plan.sro_radio else inf
    t = np.minimum(alert[:, plan.sro_post], radio)
    sro_alert = t
    t = t + d.sro_reaction_s
    t = t + plan.sro_to_origin_m / d.sro_speed_mps
    arrival = t
    sweep_end = inf.copy()
    if plan.protocol == "lockdown" and plan.mode == "drill" and M:
        for k in range(M):
            m = plan.sweep_rooms[k]
            t = t + plan.sweep_leg_m[k] / d.sro_sweep_speed_mps
            t = t + d.sro_door_check_s
            checked[:, m] = t
        sweep_end = t
    return {
        "room_checked_s": checked,
        "sro_alert_s": sro_alert,
        "sro_arrival_s": arrival,
        "sweep_end_s": sweep_end,
    }
