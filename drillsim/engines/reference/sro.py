"""The school resource officer in the reference engine: alert, response to the origin, door sweep."""

from __future__ import annotations

import math

from drillsim.engines.reference.kernel import late, until


def process(run):
    plan, d, env = run.plan, run.d, run.env
    post = plan.sro_post
    radio = run.t_init + float(d.radio_latency_s[0]) if plan.sro_radio else math.inf
    yield env.any_of([run.alert_event[post], until(env, radio)])
    t = min(run.alert[post], radio)
    run.sro["alert"] = t
    run.log.add(t, "SRO", "sro", "alerted", run.sid(post))
    t = t + float(d.sro_reaction_s[0])
    t = t + plan.sro_to_origin_m / float(d.sro_speed_mps[0])
    yield until(env, t)
    run.sro["arrival"] = t
    run.log.add(t, "SRO", "sro", "arrives_at_origin", run.sid(plan.origin))
    if not (plan.protocol == "lockdown" and plan.mode == "drill") or plan.n_rooms == 0:
        return
    for k in range(plan.sweep_rooms.shape[0]):
        m = int(plan.sweep_rooms[k])
        t = t + float(plan.sweep_leg_m[k]) / float(d.sro_sweep_speed_mps[0])
        t = t + float(d.sro_door_check_s[0])
        yield until(env, t)
        yield late(env)
        run.out["room_checked_s"][m] = t
        ok = run.out["room_locked_s"][m] <= t
        run.log.add(
            t,
            "SRO",
            "sro",
            "door_check_locked" if ok else "door_check_unlocked",
            run.sid(int(plan.room_space[m])),
        )
    run.sro["sweep_end"] = t
    run.log.add(t, "SRO", "sro", "sweep_complete", run.sid(int(plan.room_space[m])))
