"""The batch engine: every run of a chunk at once, in vectorized NumPy.

It implements exactly the semantics of :mod:`drillsim.engines.reference` and must reproduce its
Outcomes to within 1e-9 s on the same Plan and Draws. There is no Python loop over people or runs:
the loops below run over spaces, rooms, doors, refuge candidates and route stages in a fixed order,
each step handling all runs (axis 0) and all people concerned (axis 1) at once. Float operations are
written in the same order as in the reference engine, so most results agree bit for bit.

FIFO door queues are exact: the n-th arrival (from 0, sorted by time then person) departs at
``(n+1)*s + max_{j<=n}(a_j - j*s)``, the closed form of ``d_n = max(a_n, d_{n-1}) + s``, computed with
a cumulative maximum along the sorted axis.
"""

from __future__ import annotations

import numpy as np

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

_CENTRAL = LOCK_CODES["central"]
_KEY_OUTSIDE = LOCK_CODES["key_outside"]


def _nearest_hops(hops: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(S,) fewest hops from every space to the nearest space in ``sources`` (inf if none)."""
    if sources.size == 0:
        return np.full(hops.shape[0], np.inf)
    return hops[:, sources].min(axis=1)


def space_alerts(plan: Plan, d: Draws) -> np.ndarray:
    """(R, S) first alert time of every space: formal channels, then word of mouth.

    A space's alert is ``min over sources t of formal[t] + hops(s, t) * hop_delay``. Formal alerts
    take few values per run (initiation, PA, radio, app), and ``a + h * w`` is monotone in ``a``
    and ``h``, so the minimum is taken per channel over the nearest space that channel reached:
    the same floats as the source-by-source minimum, without an (R, S, S) array.
    """
    R, S = d.n_runs, plan.n_spaces
    t0 = d.detection_s
    hops = plan.hops
    pa_t = t0 + d.pa_latency_s
    radio_t = t0 + d.radio_latency_s
    app_t = t0 + d.app_latency_s
    radio_spaces = np.unique(plan.person_space[plan.radio_recipient])
    # (time per run, static source set) for the channels whose reach does not vary by run
    channels = [
        (t0, np.array([plan.origin])),
        (pa_t, np.flatnonzero(plan.pa)),
        (radio_t, radio_spaces),
    ]
    formal = np.full((R, S), np.inf)
    for t, src in channels:
        if src.size:
            formal[:, src] = np.minimum(formal[:, src], t[:, None])
    app_spaces = np.zeros((R, S), dtype=bool)
    delivered = d.app_delivered
    if delivered.any():
        for s in np.unique(plan.person_space[plan.app_recipient]):
            app_spaces[:, s] = delivered[:, plan.person_space == s].any(axis=1)
        formal = np.where(app_spaces, np.minimum(formal, app_t[:, None]), formal)
    wom = d.wom_hop_s
    if np.all(np.isinf(wom)):
        return formal
    alert = formal.copy()
    finite = np.isfinite(wom)[:, None]
    for t, src in channels:
        h = _nearest_hops(hops, src)
        reach = np.isfinite(h)
        if reach.any():
            cand = t[:, None] + h[None, reach] * wom[:, None]
            alert[:, reach] = np.minimum(alert[:, reach], np.where(finite, cand, np.inf))
    if app_spaces.any():
        # per run, the nearest space the app reached (loop over spaces with app recipients)
        h_app = np.full((R, S), np.inf)
        for s in np.flatnonzero(app_spaces.any(axis=0)):
            h_app = np.where(app_spaces[:, s : s + 1], np.minimum(h_app, hops[None, :, s]), h_app)
        reach = np.isfinite(h_app)
        with np.errstate(invalid="ignore"):
            cand = app_t[:, None] + h_app * wom[:, None]
        alert = np.where(reach & finite, np.minimum(alert, cand), alert)
    return alert


def run_batch(plan: Plan, d: Draws) -> Outcomes:
    """Simulate every run in ``d`` at once."""
    R, P, M = d.n_runs, plan.n_persons, plan.n_rooms
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
    }
    if plan.protocol == "lockdown":
        rooms = _lockdown(plan, d, alert, out)
    else:
        _evacuate(plan, d, alert, out)
        mnan = np.full((R, M), np.nan)
        rooms = {
            "room_lock_start_s": mnan,
            "room_locked_s": mnan.copy(),
            "room_secured_s": mnan.copy(),
            "room_reason": np.full((R, M), -1, dtype=np.int8),
            "room_key_outside_s": mnan.copy(),
        }
    sro = _sro(plan, d, alert, rooms["room_locked_s"])
    return Outcomes(
        first_run=d.first_run,
        space_alert_s=alert,
        person_alert_s=person_alert,
        **rooms,
        **out,
        room_checked_s=sro.pop("room_checked_s"),
        **sro,
        le_arrival_s=t0 + d.le_arrival_s,
    )


def _lockdown(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    R, M = d.n_runs, plan.n_rooms
    room_alert = alert[:, plan.room_space]
    t = room_alert + d.reaction_s[:, plan.room_adult]
    t = t + d.hold_s
    close = t.copy()
    failed = np.zeros((R, M), dtype=bool)
    latch = np.zeros((R, M), dtype=bool)
    exposure = np.zeros((R, M))
    central = np.full((R, M), -np.inf)
    t0_central = d.detection_s + d.central_latency_s
    for j in range(plan.room_doors.shape[1]):
        door = plan.room_doors[:, j]
        has = door >= 0
        dj = np.where(has, door, 0)
        lock = plan.door_lock[dj]
        k = d.lock_attempts[:, dj] * d.lock_time_s[:, dj]  # every attempt takes the lock time
        failed |= has[None, :] & d.lock_failed[:, dj]
        latch |= has[None, :] & d.latch_fault[:, dj]
        is_central = has & (lock == _CENTRAL)
        adult_step = has & ~is_central
        central = np.where(is_central[None, :], np.maximum(central, t0_central[:, None]), central)
        exposure = exposure + np.where((adult_step & (lock == _KEY_OUTSIDE))[None, :], k, 0.0)
        t = np.where(adult_step[None, :], t + k, t)
    locked = np.maximum(t, central)
    alerted = np.isfinite(room_alert)
    reason = np.full((R, M), REASON_OK, dtype=np.int8)
    reason[latch] = REASON_LATCH_FAULT
    reason[failed] = REASON_LOCK_FAILED
    reason[:, plan.room_no_lock] = REASON_NO_LOCK
    reason[~alerted] = REASON_NOT_ALERTED
    ok = reason == REASON_OK
    locked_s = np.where(ok, locked, np.inf)
    secured = np.where(ok, locked_s + d.safe_zone_s, np.inf)
    exposure = np.where(alerted & ~plan.room_no_lock[None, :], exposure, 0.0)

    # people who start outside a room-to-secure look for the nearest open one
    mv = plan.mover
    if mv.size:
        t = alert[:, plan.person_space[mv]] + d.reaction_s[:, mv]
        out["person_move_s"][:, mv] = np.where(np.isfinite(t), t, np.nan)
        v, vs = d.speed_mps[:, mv], d.stair_speed_mps[:, mv]
        accepted = np.zeros(t.shape, dtype=bool)
        refuge = np.full(t.shape, -1, dtype=np.int64)
        arrive = np.full(t.shape, np.inf)
        for k in range(plan.mover_cand.shape[1]):
            cand = plan.mover_cand[:, k]
            valid = cand >= 0
            if not valid.any():
                break
            c = np.where(valid, cand, 0)
            t = np.where(
                valid[None, :],
                t + (plan.mover_leg_level[:, k] / v + plan.mover_leg_stair[:, k] / vs),
                t,
            )
            ok_k = ~accepted & valid[None, :] & (t < close[:, c])
            refuge = np.where(ok_k, c[None, :], refuge)
            arrive = np.where(ok_k, t, arrive)
            accepted |= ok_k
        moved = np.isfinite(out["person_move_s"][:, mv])
        out["person_arrive_s"][:, mv] = np.where(moved, arrive, np.nan)
        out["person_locked_out"][:, mv] = moved & ~accepted
        out["person_refuge"][:, mv] = refuge
    stay = np.flatnonzero(plan.person_room >= 0)
    out["person_refuge"][:, stay] = plan.person_room[stay]
    has_room = out["person_refuge"] >= 0
    if M:
        safe = np.take_along_axis(locked_s, np.where(has_room, out["person_refuge"], 0), axis=1)
        out["person_safe_s"] = np.where(has_room, safe, np.inf)
    return {
        "room_lock_start_s": np.where(alerted, close, np.inf),
        "room_locked_s": locked_s,
        "room_secured_s": secured,
        "room_reason": reason,
        "room_key_outside_s": exposure,
    }


def _evacuate(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> None:
    # Work person-major, (P, R): gathering the people who pass a space is then a copy of
    # contiguous rows, which is what dominates this loop.
    T = np.ascontiguousarray(
        (alert[:, plan.person_space] + d.premovement_s[:, plan.person_leader]).T
    )
    out["person_move_s"][:] = np.where(np.isfinite(T.T), T.T, np.nan)
    speed = np.ascontiguousarray(d.speed_mps.T)
    stair = np.ascontiguousarray(d.stair_speed_mps.T)
    wait = np.zeros_like(T)
    cols = np.arange(T.shape[1])[None, :]
    for s in plan.route_order:
        who = plan.node_persons[s]
        if who.size == 0:
            continue
        a = T[who]
        if plan.edge_door[s]:
            svc = plan.edge_service_s[s]
            n = np.arange(who.size, dtype=np.float64)[:, None]
            if np.all(a[1:] >= a[:-1]):  # already in queue order (e.g. a class leaving a room)
                dep = (n + 1.0) * svc + np.maximum.accumulate(a - n * svc, axis=0)
            else:
                order = np.argsort(a, axis=0, kind="stable")
                best = np.maximum.accumulate(a[order, cols] - n * svc, axis=0)
                dep = np.empty_like(a)
                dep[order, cols] = (n + 1.0) * svc + best
            with np.errstate(invalid="ignore"):  # inf - inf for people never alerted
                wait[who] = wait[who] + np.where(
                    np.isfinite(a), np.maximum((dep - a) - svc, 0.0), 0.0  # no -1e-14 waits
                )
        else:
            dep = a
        T[who] = dep + (plan.edge_level[s] / speed[who] + plan.edge_stair[s] / stair[who])
    T = T.T
    finite = np.isfinite(T)
    moved = ~np.isnan(out["person_move_s"])
    out["person_arrive_s"][:] = np.where(finite & moved, T, np.nan)
    out["person_safe_s"] = np.where(
        finite, T + plan.assembly_m[plan.person_exit] / d.speed_mps, np.inf
    )
    out["person_queue_s"] = np.ascontiguousarray(wait.T)


def _sro(plan: Plan, d: Draws, alert: np.ndarray, room_locked: np.ndarray) -> dict:
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
