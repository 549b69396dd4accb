"""Options-based response in the batch engine: each space leaves or locks down at its alert time.

Composed from the lockdown step (:func:`drillsim.engines.batch.lockdown.run`, run as if every
room locked down) and a walk out by the hazard-avoiding route; the decision rule and its tables
are in :mod:`drillsim.plan.options`. Rules on top of lockdown:

* a space's occupants decide when the alert reaches the space, from the zone position then;
* leaving: the group starts after its leader's pre-movement and walks its route to the exit (no
  door queues), then to the assembly point; a room that leaves is not locked (its door shuts
  behind the group at the time it would have closed for lockdown);
* locking down: as lockdown, and the room is secured ``barricade_s`` later;
* a person outside a room who locked down and found refuge in a room that left goes on with that
  room's route from their arrival (``person_refuge`` stays that room: they left with its group);
* a person outside a room who locked down and was locked out (every candidate room closed or
  full) decides again when refused at their last candidate (``t_lo``, ``person_lockout_s``; their
  set-off time if they had no candidate), by the same rule read at ``t_lo``, from the space
  outside that room's door (``plan.mover_lo_space``). If it may not leave then, they wait there
  and decide again at every later zone step start (``hazard_step_times``), reading the row known
  at that instant (``count(steps <= t)``: of steps starting together only the last is ever
  known); the first time ``t_leave >= t_lo`` the row allows leaving, they walk its route from
  ``t_leave`` to the exit and on to the assembly point ("if you cannot get into a room, get out
  away from the danger" when it is safe to do so, research note protocols.md);
  ``person_locked_out`` becomes False, ``person_reroute_s`` records ``t_leave`` (when they
  switched to the leaving route), ``person_lockout_s`` keeps ``t_lo``, ``person_move_s`` stays
  their set-off and ``person_refuge`` -1. If no later step opens a way they stay locked out
  (never safe), as in lockdown.
"""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch import lockdown
from drillsim.plan.compile import Plan
from drillsim.plan.hazard import hazard_step_times
from drillsim.plan.options import known_row
from drillsim.sample.draws import Draws


def decisions(plan: Plan, d: Draws, alert: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, S) decision (1 leave, 0 lock down, -1 nobody there or never alerted), (R, S) known row."""
    S = plan.n_spaces
    row = known_row(hazard_step_times(plan, d.hazard_speed_mps), alert)
    leave = plan.opt_leave_ok[row, np.arange(S)[None, :]]
    occupied = np.zeros(S, dtype=bool)
    occupied[plan.person_space] = True
    decides = np.isfinite(alert) & occupied[None, :]
    return np.where(decides, leave.astype(np.int8), np.int8(-1)), row


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    rooms = lockdown.run(plan, d, alert, out)
    decision, row = decisions(plan, d, alert)
    out["space_decision"] = decision
    ps = plan.person_space
    v, vs = d.speed_mps, d.stair_speed_mps
    cols = np.arange(plan.n_spaces)[None, :]

    # rooms: leaving rooms are not locked; locking rooms barricade after the lock
    room_leaves = decision[:, plan.room_space] == 1
    nan = np.full(room_leaves.shape, np.nan)
    rooms["room_locked_s"] = np.where(room_leaves, nan, rooms["room_locked_s"])
    secured = rooms["room_secured_s"] + d.barricade_s
    rooms["room_secured_s"] = np.where(room_leaves, nan, secured)
    rooms["room_reason"] = np.where(room_leaves, np.int8(-1), rooms["room_reason"])
    rooms["room_key_outside_s"] = np.where(room_leaves, 0.0, rooms["room_key_outside_s"])

    # people whose start space leaves
    lvl = plan.opt_route_level_m[row, cols]
    stl = plan.opt_route_stair_m[row, cols]
    ext = plan.opt_route_exit[row, cols]
    leaves = decision[:, ps] == 1
    t = alert[:, ps] + d.premovement_s[:, plan.person_leader]
    arrive = t + (lvl[:, ps] / v + stl[:, ps] / vs)
    assembly = plan.assembly_m[np.where(leaves, ext[:, ps], 0)]
    safe = arrive + assembly / v
    out["person_move_s"] = np.where(leaves, t, out["person_move_s"])
    out["person_arrive_s"] = np.where(leaves, arrive, out["person_arrive_s"])
    out["person_safe_s"] = np.where(leaves, safe, out["person_safe_s"])
    out["person_refuge"] = np.where(leaves, -1, out["person_refuge"])
    out["person_locked_out"] = np.where(leaves, False, out["person_locked_out"])
    out["person_lockout_s"] = np.where(leaves, np.nan, out["person_lockout_s"])
    locked_out_leave(plan, d, out)

    # people who locked down into a room that left: on with the room's route from arrival
    mv = plan.mover
    if mv.size and plan.n_rooms:
        ref = out["person_refuge"][:, mv]
        has = ref >= 0
        rs = plan.room_space[np.where(has, ref, 0)]  # (R, Pm) refuge space
        joins = has & ~leaves[:, mv] & (np.take_along_axis(decision, rs, axis=1) == 1)
        rrow = np.take_along_axis(row, rs, axis=1)
        a = out["person_arrive_s"][:, mv]
        on = a + (
            plan.opt_route_level_m[rrow, rs] / v[:, mv]
            + plan.opt_route_stair_m[rrow, rs] / vs[:, mv]
        )
        safe_on = on + plan.assembly_m[plan.opt_route_exit[rrow, rs]] / v[:, mv]
        out["person_arrive_s"][:, mv] = np.where(joins, on, a)
        out["person_safe_s"][:, mv] = np.where(joins, safe_on, out["person_safe_s"][:, mv])
    return rooms


def locked_out_leave(plan: Plan, d: Draws, out: dict) -> None:
    """Locked-out movers wait outside the last door tried and leave once a safe route exists.

    Reads the lockdown step's ``person_locked_out`` and ``person_lockout_s`` (after the leavers
    were taken out of them), so only people whose own space locked down and who found no room
    are concerned. Each decides at ``t_lo`` (zone row known then) and again at every later zone
    step start ``s_k > t_lo`` (finite), reading the row ``count(steps <= s_k)`` as the reference
    engine does at that instant (steps starting together give one row, the last of them); the
    first time the row allows leaving from ``plan.mover_lo_space`` is ``t_leave``.
    """
    mv = plan.mover
    if not mv.size:
        return
    lo = out["person_locked_out"][:, mv]
    if not lo.any():
        return
    t_lo = np.where(lo, out["person_lockout_s"][:, mv], -np.inf)
    here = plan.mover_lo_space[None, :]
    steps = hazard_step_times(plan, d.hazard_speed_mps)  # (R, K)
    row = known_row(steps, t_lo)
    go = lo & plan.opt_leave_ok[row, here]
    t_leave = np.where(go, t_lo, np.inf)
    # later decisions, one per zone step start after t_lo: the first that allows leaving
    waiting = lo & ~go
    for k in range(steps.shape[1]):
        if not waiting.any():
            break
        s_k = steps[:, k : k + 1]  # (R, 1)
        later = waiting & np.isfinite(s_k) & (s_k > t_lo)
        if not later.any():
            continue
        row_k = known_row(steps, np.broadcast_to(s_k, t_lo.shape))
        ok = later & plan.opt_leave_ok[row_k, here] & (s_k < t_leave)
        t_leave = np.where(ok, s_k, t_leave)
    go = lo & np.isfinite(t_leave)
    if not go.any():
        return
    row = np.where(go, known_row(steps, np.where(go, t_leave, -np.inf)), 0)
    v, vs = d.speed_mps[:, mv], d.stair_speed_mps[:, mv]
    arrive = t_leave + (
        plan.opt_route_level_m[row, here] / v + plan.opt_route_stair_m[row, here] / vs
    )
    ext = np.where(go, plan.opt_route_exit[row, here], 0)
    safe = arrive + plan.assembly_m[ext] / v
    out["person_arrive_s"][:, mv] = np.where(go, arrive, out["person_arrive_s"][:, mv])
    out["person_safe_s"][:, mv] = np.where(go, safe, out["person_safe_s"][:, mv])
    out["person_reroute_s"][:, mv] = np.where(go, t_leave, out["person_reroute_s"][:, mv])
    out["person_locked_out"][:, mv] = lo & ~go
