"""Lockdown in the batch engine: adults lock their rooms; people outside rooms seek an open refuge
and are locked out (``person_lockout_s``: their refusal at the last candidate) when none admits."""

from __future__ import annotations

import numpy as np

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
    REASON_NOT_ALERTED,
    REASON_OK,
    Plan,
)
from drillsim.sample.draws import Draws

_CENTRAL = LOCK_CODES["central"]
_KEY_OUTSIDE = LOCK_CODES["key_outside"]


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    mv = plan.mover
    # people who start in a room-to-secure stay there (plan.mover is everyone else): one
    # broadcast row copy instead of a fancy-indexed write of every run
    out["person_refuge"][:] = np.where(plan.person_room >= 0, plan.person_room, -1)
    t = alert[:, plan.person_space[mv]] + d.reaction_s[:, mv]
    T = stage_arrivals(plan, d, t)
    rooms = lock_rooms(plan, d, alert, d.hold_s, T[:, :, 0], t)
    close = rooms.pop("_close")
    # people who start outside a room-to-secure look for an open room with space
    if mv.size:
        out["person_move_s"][:, mv] = np.where(np.isfinite(t), t, np.nan)
        refuge, arrive, accepted = seek_refuge(plan, T, t, close)
        moved = np.isfinite(out["person_move_s"][:, mv])
        out["person_arrive_s"][:, mv] = np.where(moved, arrive, np.nan)
        locked_out = moved & ~accepted
        out["person_locked_out"][:, mv] = locked_out
        # refused at the last candidate: stage_arrivals carries the time past the -1 padding,
        # so the last column is the last real candidate (the set-off time without candidates)
        out["person_lockout_s"][:, mv] = np.where(locked_out, T[:, :, -1], np.nan)
        out["person_refuge"][:, mv] = refuge
    # Everyone else stays in their own room (or, outside rooms, has none): their refuge and
    # time safe are column gathers of the room columns, done once for all runs; only movers
    # need a per-run gather. ``inf`` in an extra last column stands for "no room".
    stay = np.flatnonzero(plan.person_room >= 0)
    if np.intersect1d(stay, mv).size:  # not so in compiled plans; kept exact if it were
        out["person_refuge"][:, stay] = plan.person_room[stay]
    if plan.n_rooms:
        M = plan.n_rooms
        locked = np.concatenate([rooms["room_locked_s"], np.full((d.n_runs, 1), np.inf)], axis=1)
        col = np.where(plan.person_room >= 0, plan.person_room, M)
        col[mv] = M
        safe = np.take(locked, col, axis=1)
        if mv.size:
            ref = out["person_refuge"][:, mv]
            safe[:, mv] = np.take_along_axis(locked, np.where(ref >= 0, ref, M), axis=1)
        out["person_safe_s"] = safe
    return rooms


def lock_rooms(
    plan: Plan,
    d: Draws,
    alert: np.ndarray,
    hold_s: np.ndarray,
    first_arrival: np.ndarray | None = None,
    set_off: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every room's adult reacts, holds the door (:func:`hold_until`) and locks its entry doors.

    A reusable step (the options protocol locks rooms the same way). Per door in locking order:
    a door audited as propped first takes ``prop_release_s``; a door a substitute has no key for
    is skipped (the room stays unsecured); every other adult-locked door takes the attempts times
    the lock time; central doors lock at the central system's time. Returns the room outcome
    columns plus ``_close`` (R, M), the time each door closes (end of the hold), which decides
    who gets in.
    """
    R, M = d.n_runs, plan.n_rooms
    room_alert = alert[:, plan.room_space]
    t_react = room_alert + d.reaction_s[:, plan.room_adult]
    t = hold_until(plan, t_react, hold_s, first_arrival, set_off)
    close = t.copy()
    failed = np.zeros((R, M), dtype=bool)
    latch = np.zeros((R, M), dtype=bool)
    audited_latch = np.zeros(M, dtype=bool)
    no_key = np.zeros((R, M), dtype=bool)
    exposure = np.zeros((R, M))
    central = np.full((R, M), -np.inf)
    t0_central = d.detection_s + d.central_latency_s
    sub = d.room_substitute
    for j in range(plan.room_doors.shape[1]):
        door = plan.room_doors[:, j]
        has = door >= 0
        dj = np.where(has, door, 0)
        lock = plan.door_lock[dj]
        cond = plan.door_condition[dj]
        t = t + np.where(has[None, :], d.prop_release_s[:, dj], 0.0)
        skip = has[None, :] & (cond == COND_NO_KEY)[None, :] & sub  # (R, M)
        no_key |= skip
        audited_latch |= has & (cond == COND_LATCH)
        k = d.lock_attempts[:, dj] * d.lock_time_s[:, dj]  # every attempt takes the lock time
        failed |= has[None, :] & d.lock_failed[:, dj] & ~skip
        latch |= has[None, :] & d.latch_fault[:, dj] & ~skip
        is_central = has & (lock == _CENTRAL)
        adult_step = (has & ~is_central)[None, :] & ~skip
        central = np.where(is_central[None, :], np.maximum(central, t0_central[:, None]), central)
        exposure = exposure + np.where(adult_step & (lock == _KEY_OUTSIDE)[None, :], k, 0.0)
        t = np.where(adult_step, t + k, t)
    locked = np.maximum(t, central)
    alerted = np.isfinite(room_alert)
    reason = np.full((R, M), REASON_OK, dtype=np.int8)
    reason[latch] = REASON_LATCH_FAULT
    reason[failed] = REASON_LOCK_FAILED
    reason[:, audited_latch] = REASON_AUDITED_LATCH
    reason[no_key] = REASON_NO_KEY
    reason[:, plan.room_no_lock] = REASON_NO_LOCK
    reason[~alerted] = REASON_NOT_ALERTED
    ok = reason == REASON_OK
    locked_s = np.where(ok, locked, np.inf)
    secured = np.where(ok, locked_s + d.safe_zone_s, np.inf)
    exposure = np.where(alerted & ~plan.room_no_lock[None, :], exposure, 0.0)
    return {
        "room_lock_start_s": np.where(alerted, close, np.inf),
        "room_locked_s": locked_s,
        "room_secured_s": secured,
        "room_reason": reason,
        "room_key_outside_s": exposure,
        "_close": close,
    }


def stage_arrivals(plan: Plan, d: Draws, t_start: np.ndarray) -> np.ndarray:
    """(R, Pm, K) time each mover would reach each candidate, summed leg by leg in the
    reference engine's order (inf for people never alerted)."""
    R, Pm = t_start.shape
    K = plan.mover_cand.shape[1]
    T = np.empty((R, Pm, K))
    if not Pm:
        return T
    v, vs = d.speed_mps[:, plan.mover], d.stair_speed_mps[:, plan.mover]
    t = t_start
    for k in range(K):
        valid = plan.mover_cand[:, k] >= 0
        t = np.where(
            valid[None, :],
            t + (plan.mover_leg_level[:, k] / v + plan.mover_leg_stair[:, k] / vs),
            t,
        )
        T[:, :, k] = t
    return T


def hold_until(
    plan: Plan,
    t_react: np.ndarray,
    hold_s: np.ndarray,
    first_arrival: np.ndarray | None,
    set_off: np.ndarray | None = None,
) -> np.ndarray:
    """(R, M) time each room's door closes under the plan's door-hold rule.

    ``fixed``: ``t_react + hold_s``. ``approaching``: the adult holds at least ``hold_s`` and
    then while someone is seen approaching: a person whose first choice is this room, who has
    set off (strictly before now) and will reach the door within ``hold_window_s``. The door then
    closes ``HOLD_STEP_S`` after the last of them is in: the close time is the least fixed point
    of c = max(c0, max{a + step : s < c, a < c + w}) over first-choice arrivals a with set-off
    times s, capped at ``hold_max_s`` after reacting. Only first-choice arrivals count (people
    the adult expects), which keeps the rule exact without an event loop. The iteration below
    is the reference engine's, vectorised over runs and rooms (monotone, so it converges).
    """
    c0 = t_react + hold_s
    if not plan.hold_approaching:
        return c0
    cap = t_react + plan.hold_max_s
    if first_arrival is None or not first_arrival.shape[1]:
        # nobody to wait for; the cap still applies, as in the reference (hold_max_s may be
        # shorter than hallway_recovery_s)
        return np.minimum(c0, cap)
    w = plan.hold_window_s
    first = plan.mover_cand[:, 0]
    keep = np.flatnonzero(first >= 0)
    if not keep.size:
        return np.minimum(c0, cap)
    order = keep[np.argsort(first[keep], kind="stable")]
    rooms_of = first[order]
    a, s = first_arrival[:, order], set_off[:, order]
    starts = np.flatnonzero(np.r_[True, rooms_of[1:] != rooms_of[:-1]])
    rooms = rooms_of[starts]
    a_step = a + HOLD_STEP_S
    c = c0.copy()
    while True:
        cm = c[:, rooms_of]
        seen = (s < cm) & (a < cm + w)
        best = np.maximum.reduceat(np.where(seen, a_step, -np.inf), starts, axis=1)
        new = c.copy()
        new[:, rooms] = np.maximum(c0[:, rooms], best)
        new = np.where(c >= cap, c, new)  # the reference stops watching at the cap
        if np.array_equal(new, c):
            break
        c = new
    return np.minimum(c, cap)


def seek_refuge(
    plan: Plan, T: np.ndarray, t_start: np.ndarray, close: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People outside rooms walk their candidate list; a room admits them while its door is open
    (arrival before ``close``) and it holds fewer people than its admission capacity.

    A reusable step (hold and shelter send people to the nearest admitting room the same way).

    Parameters
    ----------
    T : (R, Pm, K) arrival time at each candidate (:func:`stage_arrivals`).
    t_start : (R, Pm) time each mover sets off (inf if never alerted).
    close : (R, M) time each room's door closes.

    Returns
    -------
    refuge (R, Pm) room index or -1, arrive (R, Pm) arrival time at the refuge (inf if none),
    accepted (R, Pm) bool.

    Notes
    -----
    Exact: admission at a room goes in arrival order (time, then person), so the same people get
    in as in the reference engine's event order. A closed door refuses whatever the order, so
    each mover first skips to their first candidate whose door is open on arrival. Then the loop
    runs over *rounds*: every mover stands at the open door they have reached; each (run, room)
    with more arrivals than free places admits the first ``capacity - own occupants`` by (time,
    person) (a sort and a cumulative count over all runs at once); the rest move on to their
    next open door. A refused person only ever adds arrivals to later rooms, and the set of
    earlier arrivals at a room only grows, so a refusal is final and the rounds reach the
    event-order outcome (at most movers x candidates rounds; 1-3 on the bundled scenarios).
    """
    R, Pm = t_start.shape
    K = plan.mover_cand.shape[1]
    if plan.n_rooms == 0:  # nowhere to go: everyone who moves is locked out
        none = np.zeros((R, Pm), dtype=bool)
        return np.full((R, Pm), -1, dtype=np.int64), np.full((R, Pm), np.inf), none
    free = plan.room_capacity - plan.room_own  # (M,) may be <= 0
    limited = bool((free < Pm).any())
    rows = np.arange(R)[:, None]
    cols = np.arange(Pm)[None, :]
    # A closed door refuses whatever the order, so first skip every candidate whose door is
    # closed on arrival: a mover's stage is always their next candidate with an open door.
    is_open = np.zeros((R, Pm, K + 1), dtype=bool)
    for k in range(K):
        cand = plan.mover_cand[:, k]
        c = np.where(cand >= 0, cand, 0)
        is_open[:, :, k] = (cand >= 0)[None, :] & (T[:, :, k] < close[:, c])
    is_open[:, :, K] = True  # sentinel: "no open door left" = stage K
    moving = np.isfinite(t_start)
    stage = np.where(moving, is_open.argmax(axis=2), K)
    ks = np.arange(K + 1)
    M = max(plan.n_rooms, 1)
    cand_pad = np.concatenate([plan.mover_cand, np.zeros((Pm, 1), np.int64)], axis=1)
    free_g = np.tile(free, R)
    # Then only capacity can refuse: rounds of "each crowded (run, room) admits its first free
    # arrivals by (time, person)"; the refused move on to their next open door.
    while limited:
        active = stage < K
        room = np.where(active, cand_pad[cols, stage], 0)
        g_all = rows * M + room
        counts = np.bincount(g_all[active], minlength=R * M)
        crowded = active & (counts > free_g)[g_all]
        if not crowded.any():
            break
        r_i, j_i = np.nonzero(crowded)
        g = g_all[r_i, j_i]
        t_arr = T[r_i, j_i, stage[r_i, j_i]]  # crowded entries have stage < K
        order = np.lexsort((j_i, t_arr, g))
        gs = g[order]
        pos = np.arange(gs.size)
        first = np.r_[True, gs[1:] != gs[:-1]]
        rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
        bump = np.empty(gs.size, dtype=bool)
        bump[order] = rank >= free[gs % M]
        rr, jj = r_i[bump], j_i[bump]
        later = is_open[rr, jj] & (ks[None, :] > stage[rr, jj][:, None])
        stage[rr, jj] = later.argmax(axis=1)
    accepted = stage < K
    refuge = np.where(accepted, cand_pad[cols, stage], -1)
    at = np.take_along_axis(T, np.minimum(stage, K - 1)[:, :, None], axis=2)[:, :, 0]
    arrive = np.where(accepted, at, np.inf)
    return refuge, arrive, accepted
