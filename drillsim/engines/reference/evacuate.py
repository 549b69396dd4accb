"""Evacuation in the reference engine: each person walks the route to an exit through the FIFO
servers of every door, opening, stair and corridor on it (:mod:`.servers`), then to assembly."""

from __future__ import annotations

import math
from bisect import bisect_right

from drillsim.engines.reference.kernel import until
from drillsim.engines.reference.servers import Network


def start(run) -> None:
    """One server per directed leg of the compiled network; one process per person."""
    servers = Network(run.env, run.plan.evac_net)
    run.servers = servers
    helpers = {int(h) for h in run.plan.assist_helper if h >= 0}
    run.exit_event = {h: run.env.event() for h in helpers}  # helper reached an exit
    run.assist_safe = {  # assisted person at assembly
        p: run.env.event() for p in range(run.plan.n_persons) if run.plan.assist_helper[p] >= 0
    }
    run.assist_out = {p: run.env.event() for p in run.assist_safe}  # assisted person outside
    run.assist_exit: dict[int, int] = {}  # assisted person -> exit they were brought to
    for p in range(run.plan.n_persons):
        run.env.process(evacuee(run, p, servers))


def finish(run) -> None:
    """Room outcomes are not applicable in an evacuation (nan, reason -1)."""
    M = run.plan.n_rooms
    for key in ("room_lock_start_s", "room_locked_s", "room_secured_s", "room_key_outside_s"):
        run.out[key] = [math.nan] * M
    run.out["room_reason"] = [-1] * M
    run.out["server_max_queue"] = run.servers.max_queues()
    plan = run.plan
    for p in range(plan.n_persons):
        run.out["person_exit"][p] = run.assist_exit.get(
            p, _exit(plan, run.servers.final.get(p, p), p)
        )
        run.out["person_reroute_s"][p] = run.servers.rerouted_at.get(p, math.nan)


def _exit(plan, g: int, p: int) -> int:
    """Exit space person ``p`` leaves by when they end on segment ``g`` (-1: none)."""
    if g < plan.n_persons:
        return int(plan.person_exit[p])
    e = int(plan.evac_net.seg_end[g])
    return e if plan.space_kind[e] == "exit" else -1


def evacuee(run, p: int, servers: Network):
    plan, d, env = run.plan, run.d, run.env
    who, role = run.who(p)
    leader = int(plan.person_leader[p])
    t = yield from run.sets_off(p, float(d.premovement_s[0, leader]), "starts_evacuating")
    t, wait = yield from servers.walk(run, p, t)
    g = servers.final[p]
    end = int(plan.evac_net.seg_end[g])
    exit_ = _exit(plan, g, p)
    run.out["person_queue_s"][p] = wait
    v = float(d.speed_mps[0, p])
    h = int(plan.assist_helper[p])
    if h >= 0:  # waits in the area of refuge until the helper comes back (plan/assisted.py)
        run.log.add(t, who, role, "waits_in_refuge", run.sid(end))
        j = int(plan.assist_trip[p])
        if j == 0:
            th = yield run.exit_event[h]
            if plan.evac_net.rerouting:  # the helper may have left by another exit
                e = int(plan.evac_net.seg_end[servers.final[h]])
                back = th + _walk_up(plan, d, h, *_exit_to_refuge(plan, e, p))
            else:
                back = th + _walk_up(
                    plan, d, h, float(plan.assist_back_level[p]), float(plan.assist_back_stair[p])
                )
        else:  # the helper's previous trip is out; they walk back up from its exit
            prev = [
                run.assist_out[q]
                for q in run.assist_out
                if int(plan.assist_helper[q]) == h and int(plan.assist_trip[q]) == j - 1
            ]
            yield env.all_of(prev)
            th = max(ev.value for ev in prev)
            if plan.evac_net.rerouting:  # back from the exit the previous trip took
                e = run.assist_exit[next(q for q in run.assist_out if run.assist_out[q] in prev)]
                back = th + _walk_up(plan, d, h, *_exit_to_refuge(plan, e, p))
            else:
                back = th + _walk_up(
                    plan,
                    d,
                    h,
                    float(plan.assist_return_level[p]),
                    float(plan.assist_return_stair[p]),
                )
        if plan.evac_net.rerouting:  # the way down the blockages in force then allow
            j = bisect_right([float(x) for x in plan.evac_net.block_times], back)
            t = max(back, t) + (
                float(plan.assist_down_level_by_state[p, j]) / plan.assist_level_mps
                + float(plan.assist_down_stair_by_state[p, j]) / plan.assist_stair_mps
            )
            exit_ = int(plan.assist_exit_by_state[p, j])
        else:
            t = max(back, t) + (
                float(plan.assist_down_level[p]) / plan.assist_level_mps
                + float(plan.assist_down_stair[p]) / plan.assist_stair_mps
            )
        run.assist_exit[p] = exit_
        yield until(env, t)
        run.assist_out[p].succeed(t)
        end = exit_
        v = plan.assist_level_mps
    run.out["person_arrive_s"][p] = t
    run.log.add(t, who, role, "exits", run.sid(end))
    if p in run.exit_event:
        run.exit_event[p].succeed(t)
    safe = t + float(plan.exit_walk_m[exit_, plan.person_walk_col[p]]) / v
    yield until(env, safe)
    if h >= 0:
        run.assist_safe[p].succeed(safe)
    if p in run.exit_event:  # a helper: safe when the group they went back for is
        group = [run.assist_safe[q] for q in run.assist_safe if int(plan.assist_helper[q]) == p]
        yield env.all_of(group)
        safe = max([safe, *(ev.value for ev in group)])
    run.out["person_safe_s"][p] = safe
    run.log.add(safe, who, role, "at_assembly_point", "assembly")


def _exit_to_refuge(plan, e: int, p: int) -> tuple[float, float]:
    """Level metres and stair metres (at the stair factor) from exit ``e`` up to ``p``'s refuge."""
    rf = int(plan.refuge_col[p])
    return (
        float(plan.exit_refuge_level_m[e, rf]),
        float(plan.exit_refuge_stair_m[e, rf]) / plan.stair_factor,
    )


def _walk_up(plan, d, h: int, level_m: float, stair_m: float) -> float:
    """Seconds helper ``h`` takes to walk ``level_m`` level and ``stair_m`` stair metres."""
    return level_m / float(d.speed_mps[0, h]) + stair_m / float(d.stair_speed_mps[0, h])
