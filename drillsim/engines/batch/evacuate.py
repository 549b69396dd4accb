"""Evacuation in the batch engine: people walk their route to an exit through the FIFO servers of
every door, opening, stair and corridor they pass (:mod:`.servers`), then on to the assembly point."""

from __future__ import annotations

import numpy as np

from drillsim.engines.batch.common import no_rooms
from drillsim.engines.batch.reroute import traverse_rerouting
from drillsim.engines.batch.servers import max_queue, traverse
from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def run(plan: Plan, d: Draws, alert: np.ndarray, out: dict) -> dict[str, np.ndarray]:
    # Work person-major, (P, R): gathering the people who pass a server is then a copy of
    # contiguous rows, which is what dominates the work.
    start_rp = alert[:, plan.person_space] + d.premovement_s[:, plan.person_leader]  # (R, P)
    start = np.ascontiguousarray(start_rp.T)
    out["person_move_s"][:] = np.where(np.isfinite(start_rp), start_rp, np.nan)
    # level speeds stacked over stair speeds (traverse gathers each leg's speed from one array)
    P = plan.n_persons
    speeds = np.empty((2 * P, start.shape[1]))
    speeds[:P] = d.speed_mps.T
    speeds[P:] = d.stair_speed_mps.T
    speed, stair = speeds[:P], speeds[P:]
    net = plan.evac_net
    exit_ = np.broadcast_to(plan.person_exit[:, None], start.shape)  # (P, R) exit walked to
    if net.rerouting:  # blockages after t0: people switch route segments (plan/reroute.py)
        end, wait, arr, dep, final, reroute_s = traverse_rerouting(net, start, speed, stair)
        is_exit = np.array([k == "exit" for k in plan.space_kind])
        seg_exit = np.where(is_exit[net.seg_end], net.seg_end, -1)
        exit_ = np.where(final >= plan.n_persons, seg_exit[final], exit_)
        route_end = net.seg_end[final]  # where each walked route ends (helpers walk back from)
        out["person_reroute_s"] = np.ascontiguousarray(reroute_s.T)
        out["server_max_queue"] = max_queue(net, arr, dep).astype(np.int32)
    else:
        passage = traverse(net, start, speed, stair, queues=True, speeds=speeds)
        end, wait, out["server_max_queue"] = passage.end, passage.wait, passage.max_queue
    exit_ = np.array(exit_) if net.rerouting else exit_  # (changed only when rerouting)
    assisted = np.flatnonzero(plan.assist_helper >= 0)
    trip_end = np.full_like(end, -np.inf)  # (P, R) by helper: when their latest trip is out
    trip_exit = np.full(end.shape, -1, dtype=np.int64)  # (P, R) by helper: that trip's exit
    for j in range(int(plan.assist_trip.max(initial=-1)) + 1):
        # helpers walk back from their exit to the refuge, then bring them down (plan/assisted.py);
        # for each further trip, back from that trip's exit
        sel = np.flatnonzero(plan.assist_trip == j)
        h = plan.assist_helper[sel]
        since = end[h] if j == 0 else trip_end[h]  # their exit (first trip) or the last trip's
        if net.rerouting:  # they may have left by another exit than planned
            e, rf = (route_end[h] if j == 0 else trip_exit[h]), plan.refuge_col[sel][:, None]
            up_level = plan.exit_refuge_level_m[e, rf]
            up_stair = plan.exit_refuge_stair_m[e, rf] / plan.stair_factor
        elif j == 0:
            up_level = plan.assist_back_level[sel][:, None]
            up_stair = plan.assist_back_stair[sel][:, None]
        else:
            up_level = plan.assist_return_level[sel][:, None]
            up_stair = plan.assist_return_stair[sel][:, None]
        back = since + (up_level / speed[h] + up_stair / stair[h])
        if net.rerouting:  # the way down the blockages in force when the helper is there allow
            state = np.searchsorted(net.block_times, back, side="right")
            rows = sel[:, None]
            end[sel] = np.maximum(back, end[sel]) + (
                plan.assist_down_level_by_state[rows, state] / plan.assist_level_mps
                + plan.assist_down_stair_by_state[rows, state] / plan.assist_stair_mps
            )
            # (people never brought down keep their planned exit, as in the reference engine)
            exit_[sel] = np.where(
                np.isfinite(end[sel]), plan.assist_exit_by_state[rows, state], exit_[sel]
            )
            trip_exit[h] = exit_[sel]
        else:
            end[sel] = np.maximum(back, end[sel]) + (
                plan.assist_down_level[sel][:, None] / plan.assist_level_mps
                + plan.assist_down_stair[sel][:, None] / plan.assist_stair_mps
            )
        np.maximum.at(trip_end, h, end[sel])
    if net.rerouting:
        out["person_exit"] = np.ascontiguousarray(exit_.T)
        # the walk from the exit actually used to the person's assembly area (plan/assembly.py)
        walk_m = plan.exit_walk_m[exit_.T, plan.person_walk_col]  # (R, P)
    else:  # everyone's planned exit, the same in every run
        out["person_exit"] = np.ascontiguousarray(
            np.broadcast_to(plan.person_exit, out["person_exit"].shape)
        )
        walk_m = plan.exit_walk_m[plan.person_exit, plan.person_walk_col]  # (P,)
    T = np.ascontiguousarray(end.T)
    finite = np.isfinite(T)
    moved = ~np.isnan(out["person_move_s"])
    out["person_arrive_s"][:] = np.where(finite & moved, T, np.nan)
    # walking time to the assembly area; assisted people at the assisted speed
    walk_s = walk_m / d.speed_mps
    walk_s[:, assisted] = walk_m[..., assisted] / plan.assist_level_mps
    safe = np.add(T, walk_s, out=walk_s)
    safe[~finite] = np.inf
    for h in np.unique(plan.assist_helper[assisted]):  # a helper is safe with their group
        safe[:, h] = np.maximum(safe[:, h], safe[:, plan.assist_helper == h].max(axis=1))
    out["person_safe_s"] = safe
    out["person_queue_s"] = np.ascontiguousarray(wait.T)
    return no_rooms(plan, d)
