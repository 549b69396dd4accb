"""Evacuation part of the plan: each space's route (a generator in :mod:`.routing`), the FIFO server
network every evacuee passes (:mod:`.servers`), exits and assembly distances."""

from __future__ import annotations

from typing import Any

import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.assembly import assembly_fields
from drillsim.plan.assisted import assisted_fields, exit_refuge_fields
from drillsim.plan.context import Context
from drillsim.plan.reroute import build_segments, timed_blockages
from drillsim.plan.routing import compile_routes
from drillsim.plan.servers import build_server_net, stair_speed_factor

#: Protocols whose people walk the evacuation routes through the server network.
EVACUATING = ("evacuate", "options")


def evacuation_fields(ctx: Context) -> dict[str, Any]:
    """Plan fields of the evacuation section (see the ``Plan`` dataclass).

    Raises
    ------
    ValidationError
        When a route cannot be walked or an element on a route is too narrow to pass.
    """
    kinds = ctx.kinds
    routes = compile_routes(ctx)
    person_space = ctx.person_space
    paths = [list(routes.path[int(s)]) or [int(s)] for s in person_space]
    # the server network only for protocols that move people out (an element too narrow to pass
    # is an error there, not in a lockdown)
    person_exit = np.array([p[-1] if kinds[p[-1]] == "exit" else -1 for p in paths], dtype=np.int64)
    ev = ctx.scenario.evacuation
    full_paths = paths
    paths, assisted = assisted_fields(
        ctx, paths, stair_speed_factor(ev.stair_riser_m, ev.stair_tread_m)
    )
    factor = stair_speed_factor(ev.stair_riser_m, ev.stair_tread_m)
    # assisted descents by blockage state (plan/reroute.py); one column without later blockages
    by_state = {
        "assist_down_level_by_state": assisted["assist_down_level"][:, None],
        "assist_down_stair_by_state": assisted["assist_down_stair"][:, None],
        "assist_exit_by_state": person_exit[:, None],
    }
    if ctx.scenario.protocol != "evacuate" and timed_blockages(ctx):
        raise ValidationError(
            [
                Problem(
                    ctx.loaded.source,
                    "evacuation.blocked_from",
                    f"blockages that start after t0 are modelled for protocol: evacuate, not "
                    f"{ctx.scenario.protocol}",
                    "use protocol: evacuate, or block from t0 (evacuation.blocked)",
                )
            ]
        )
    if ctx.scenario.protocol == "evacuate":
        segments = build_segments(ctx, paths, full_paths, assisted["assist_helper"] >= 0, factor)
        net = build_server_net(ctx, paths, assisted["person_flow_weight"], segments)
        if segments.down_level is not None:
            by_state = {
                "assist_down_level_by_state": segments.down_level,
                "assist_down_stair_by_state": segments.down_stair,
                "assist_exit_by_state": segments.down_exit,
            }
    else:
        walking = paths if ctx.scenario.protocol in EVACUATING else [[int(s)] for s in person_space]
        net = build_server_net(ctx, walking, assisted["person_flow_weight"])
    return {
        "next_hop": routes.next_hop,
        "space_route": routes.path,
        "space_alternate": routes.alternate,
        "space_rerouted": routes.rerouted,
        "person_rerouted": routes.rerouted[person_space],
        "evac_net": net,
        **assembly_fields(ctx, routes.path, person_exit),
        "person_exit": person_exit,
        "hazard_zone": routes.hazard_zone,
        "report_delay_s": float(ctx.scenario.evacuation.report_delay_s),
        "stair_factor": float(factor),
        **by_state,
        **assisted,
        **exit_refuge_fields(
            ctx,
            assisted["assist_refuge"],
            ctx.scenario.protocol == "evacuate" and bool(timed_blockages(ctx)),
        ),
    }
