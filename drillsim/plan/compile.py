"""Compile a floorplan and a scenario into a deterministic :class:`Plan`.

The Plan is the half of the engine contract that holds no randomness: who is where, which rooms must
be secured and by whom, each person's candidate refuges, evacuation routes and door capacities, alert
coverage and the SRO's routes, all as NumPy arrays indexed the same way in both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drillsim.plan.codes import (
    LOCK_CODES,
    LOCK_NAMES,
    REASON_LATCH_FAULT,
    REASON_LOCK_FAILED,
    REASON_NAMES,
    REASON_NO_LOCK,
    REASON_NOT_ALERTED,
    REASON_OK,
)
from drillsim.plan.context import STAIR_WEIGHT, build_context
from drillsim.plan.evacuate import evacuation_fields
from drillsim.plan.hazard import hazard_fields
from drillsim.plan.hold import hold_fields
from drillsim.plan.inform import inform_fields
from drillsim.plan.lockdown import lockdown_fields
from drillsim.plan.options import options_fields
from drillsim.plan.paths import Paths
from drillsim.plan.population import ROLE_CODES, Person, roster_fields
from drillsim.plan.secure import secure_fields
from drillsim.plan.servers import ServerNet
from drillsim.plan.shelter import shelter_fields
from drillsim.plan.sro import sro_fields
from drillsim.scenario.load import LoadedScenario


@dataclass(frozen=True)
class Plan:
    """Everything deterministic that both engines need. Arrays are read-only by convention."""

    name: str
    protocol: str
    mode: str
    horizon_s: float
    floorplan_digest: str
    scenario_digest: str
    # spaces
    space_ids: tuple[str, ...]
    space_kind: tuple[str, ...]
    # shortest paths between spaces, asked on demand (plan/paths.py): level and stair metres
    # along the chosen stair-weighted path, the next space on it, and fewest-hop counts
    paths: Paths
    neighbours: tuple[tuple[int, ...], ...]  # adjacency by space index, file order
    pa: np.ndarray  # (S,) bool
    origin: int
    # people
    person_role: np.ndarray  # (P,) 0 student, 1 teacher, 2 staff
    person_space: np.ndarray  # (P,) start space index
    person_room: np.ndarray  # (P,) index of the room-to-secure they start in, else -1
    person_leader: np.ndarray  # (P,) first adult in the same start space (self if none)
    person_near_origin: np.ndarray  # (P,) bool: starts within hazard.proximity_m of the origin
    app_recipient: np.ndarray  # (P,) bool
    # roster (population.roster): ids, named evacuation group, mobility; "" / -1 / 0 otherwise
    person_id: tuple[str, ...]  # (P,) roster id ("" for preset and group people)
    person_group: np.ndarray  # (P,) index of the evacuation.groups entry the roster names, -1
    person_mobility: np.ndarray  # (P,) MOBILITY_CODES: 0 walking, 1 wheelchair, 2 no_stairs
    radio_recipient: np.ndarray  # (P,) bool
    # rooms to secure: securable spaces with an adult at t0
    room_space: np.ndarray  # (M,)
    room_adult: np.ndarray  # (M,) person index of the responsible adult
    room_doors: np.ndarray  # (M, Dmax) door indices, -1 padded, in locking order
    room_no_lock: np.ndarray  # (M,) bool: some door has no lock hardware
    room_safe_zone_capacity: np.ndarray  # (M,) people who fit out of the door's line of sight
    door_ids: tuple[str, ...]
    door_lock: np.ndarray  # (D,) lock code
    door_conn: np.ndarray  # (D,) index of the door among the floorplan's connections
    n_connections: int  # connections in the floorplan (width of the door-level streams)
    # lockdown movers: people not in a room-to-secure at t0
    mover: np.ndarray  # (Pm,) person indices
    mover_cand: np.ndarray  # (Pm, K) candidate room indices, -1 padded, nearest first
    mover_leg_level: np.ndarray  # (Pm, K) level metres of each leg (start->c1, c1->c2, ...)
    mover_leg_stair: np.ndarray  # (Pm, K)
    mover_lo_space: np.ndarray  # (Pm,) where a locked-out mover stands (plan/lockdown.py)
    # evacuation (plan/evacuate.py, plan/routing.py, plan/servers.py)
    next_hop: np.ndarray  # (S,) first step of the nearest usable route toward an exit, -1 if none
    space_route: tuple[tuple[int, ...], ...]  # (S,) each space's evacuation path (to its exit)
    space_alternate: tuple[tuple[int, ...], ...]  # (S,) posted alternate path (empty if none)
    space_rerouted: np.ndarray  # (S,) bool: the usual route was blocked, the alternate is used
    person_rerouted: np.ndarray  # (P,) bool: space_rerouted of the person's start space
    evac_net: ServerNet  # FIFO servers (directed legs) and the rows of the people passing them
    assembly_m: np.ndarray  # (S,) exit -> its nearest assembly area (or assembly point) metres
    # assembly areas (plan/assembly.py); empty when the floorplan has none (assembly_distance_m)
    assembly_ids: tuple[str, ...]  # (A,) assembly area ids, floorplan order
    exit_assembly: np.ndarray  # (S,) nearest assembly area of each exit, -1 if none / not an exit
    space_assembly: np.ndarray  # (S,) assembly area of each start space's class, -1 if none
    space_assembly_m: np.ndarray  # (S,) metres from the end of the space's route to its area
    person_assembly_m: np.ndarray  # (P,) metres each evacuee walks from their exit to assembly
    exit_walk_m: np.ndarray  # (S, A + 1) exit -> area a metres (nearest if unreachable); col A nearest
    person_walk_col: np.ndarray  # (P,) column of exit_walk_m: posted area, or A (nearest to exit)
    person_exit: np.ndarray  # (P,) exit space index on the person's route, -1 if none
    hazard_zone: tuple[str, ...]  # spaces nearest routes avoid where they can
    report_delay_s: float  # teacher's accountability report after the class's last arrival
    # assisted evacuation (plan/assisted.py): people waiting in an area of refuge for a helper
    assist_helper: np.ndarray  # (P,) person index of the adult who comes back, -1 if not assisted
    assist_refuge: np.ndarray  # (P,) refuge space index (end of their walked route), -1 if none
    refuge_col: np.ndarray  # (P,) column of exit_refuge_*_m (later blockages only), -1 if none
    exit_refuge_level_m: np.ndarray  # (S, refuges) level metres exit -> refuge, inf off exits
    exit_refuge_stair_m: np.ndarray  # (S, refuges) stair metres exit -> refuge, inf off exits
    assist_back_level: np.ndarray  # (P,) level metres helper's exit -> refuge
    assist_back_stair: np.ndarray  # (P,) stair metres (/ stair speed factor) helper exit -> refuge
    assist_down_level: np.ndarray  # (P,) level metres refuge -> their exit
    assist_down_stair: np.ndarray  # (P,) stair metres (/ factor) refuge -> their exit
    assist_level_mps: float  # assisted level speed
    assist_stair_mps: float  # assisted stair speed
    person_flow_weight: np.ndarray  # (P,) walkers' share of server capacity (wheelchair > 1)
    stair_factor: float  # stair speed factor of the scenario's riser/tread (plan/servers.py)
    # assisted descent by later-blockage state j (plan/reroute.py; column 0: none in force)
    assist_down_level_by_state: np.ndarray  # (P, J + 1) level metres refuge -> exit
    assist_down_stair_by_state: np.ndarray  # (P, J + 1) stair metres (/ factor)
    assist_exit_by_state: np.ndarray  # (P, J + 1) exit space index
    assist_trip: np.ndarray  # (P,) the helper's trip (0, 1, ...) that brings them, -1 if none
    assist_return_level: np.ndarray  # (P,) level metres their exit -> refuge (helper's next trip)
    assist_return_stair: np.ndarray  # (P,) stair metres (/ factor) their exit -> refuge
    # SRO
    sro_on_duty: bool
    sro_radio: bool  # the SRO carries a radio on the alert chain
    sro_post: int  # -1 if none
    sro_to_origin_m: float  # weighted metres post -> origin
    sweep_rooms: np.ndarray  # (M,) room indices in sweep order
    sweep_leg_m: np.ndarray  # (M,) weighted metres of each sweep leg (origin -> first, ...)
    # -- lockdown (issue 8): audited doors and substitutes ------------------------------------
    door_condition: np.ndarray  # (D,) audited condition code (plan.codes.CONDITION_CODES)
    room_substitute: np.ndarray  # (M,) bool: named in lockdown.substitutes.rooms
    substitute_share: float  # chance any other staffed room has a substitute (sampled per run)
    room_capacity: np.ndarray  # (M,) people a room admits in total (own occupants included)
    room_own: np.ndarray  # (M,) the room's own occupants at t0
    hold_approaching: bool  # the door-hold rule: extend while expected people keep arriving
    hold_window_s: float  # an arrival keeps the door open this long after it, s
    hold_max_s: float  # longest hold after the adult reacts, s
    # -- protocols/hazard (issue 9): scripted hazard zone, Hold, Secure, Shelter ---------------
    # hazard zone steps: step k starts at fixed_s[k] + len_m[k] / zone speed (plan/hazard.py)
    hazard_step_fixed_s: np.ndarray  # (K,)
    hazard_step_len_m: np.ndarray  # (K,)
    hazard_step_zone: np.ndarray  # (K, S) bool: spaces in the zone during step k
    hazard_step_near: np.ndarray  # (K, S) bool: in the zone or next to it (exposure)
    hazard_walk: bool  # the zone walks a path at a sampled speed
    # Hold: people in halls and the nearest room (index) each enters (plan/hold.py)
    hold_mover: np.ndarray  # (Ph,) person indices
    hold_target: np.ndarray  # (Ph,) room index, -1 if none reachable
    hold_level_m: np.ndarray  # (Ph,)
    hold_stair_m: np.ndarray  # (Ph,)
    # Secure: exterior doors, who locks them, people coming in (plan/secure.py)
    ext_door_ids: tuple[str, ...]  # (X,)
    ext_conn: np.ndarray  # (X,) connection index (lock-time stream column)
    ext_space: np.ndarray  # (X,) inside end of the door
    ext_adult: np.ndarray  # (X,) room adult who locks it, -1: a locker does, -2: central
    ext_lock: np.ndarray  # (X,) lock code
    in_mover: np.ndarray  # (Pi,) people starting outdoors
    in_target: np.ndarray  # (Pi,) inside space they walk to (-1 if none)
    in_door: np.ndarray  # (Pi,) exterior door they enter through (-1 if none)
    in_level_m: np.ndarray  # (Pi,)
    in_stair_m: np.ndarray  # (Pi,)
    locker: np.ndarray  # (L,) staff person indices with doors to lock
    tour_door: np.ndarray  # (L, Xmax) exterior door indices in visiting order, -1 padded
    tour_level_m: np.ndarray  # (L, Xmax) level metres of each leg
    tour_stair_m: np.ndarray  # (L, Xmax)
    # Shelter: areas and each person's area (plan/shelter.py)
    shelter_space: np.ndarray  # (A,)
    shelter_capacity: np.ndarray  # (A,)
    person_shelter: np.ndarray  # (P,) area index (-1 unless protocol is shelter)
    shelter_level_m: np.ndarray  # (P,)
    shelter_stair_m: np.ndarray  # (P,)
    shelter_hazmat: bool
    # Options: per known zone row (0 none, k + 1 step k), may a space leave, how (plan/options.py)
    opt_leave_ok: np.ndarray  # (K + 1, S) bool
    opt_route_level_m: np.ndarray  # (K + 1, S) level metres of the leaving route
    opt_route_stair_m: np.ndarray  # (K + 1, S)
    opt_route_exit: np.ndarray  # (K + 1, S) exit space index (-1 if none)
    opt_route_next: np.ndarray  # (K + 1, S) next space on the leaving route (-1 at the exit)
    # Inform (issue 9 item 4): scripted orders out and the fire alarm rule (plan/inform.py)
    inform_active: bool  # some event can send a room out (updates, or a fire alarm not ignored)
    inform_order_s: np.ndarray  # (M,) earliest update ordering the room out, s (inf if none)
    fire_alarm_s: float  # time the fire alarm sounds, s (inf if none)
    fire_rule: int  # plan.inform.FIRE_RULE_CODES
    fire_room_confirmed: np.ndarray  # (M,) bool: near a space with evidence of fire
    room_out_level_m: np.ndarray  # (M,) level metres of the room's posted evacuation route
    room_out_stair_m: np.ndarray  # (M,)
    room_out_exit: np.ndarray  # (M,) exit space index (-1: no route, the room stays)
    room_out_assembly_m: np.ndarray  # (M,) metres from that exit to the room's assembly area

    @property
    def n_spaces(self) -> int:
        return len(self.space_ids)

    @property
    def n_persons(self) -> int:
        return int(self.person_role.shape[0])

    @property
    def n_rooms(self) -> int:
        return int(self.room_space.shape[0])

    @property
    def n_doors(self) -> int:
        return len(self.door_ids)

    def room_id(self, m: int) -> str:
        return self.space_ids[int(self.room_space[m])]


def compile_plan(loaded: LoadedScenario) -> Plan:
    """Build the deterministic Plan for a loaded scenario.

    Raises
    ------
    ValidationError
        When the combination cannot be simulated (e.g. a door too narrow to pass).
    """
    ctx = build_context(loaded)
    sc, fp = loaded.scenario, loaded.floorplan
    ids, idx = ctx.ids, ctx.idx
    P = len(ctx.people)
    person_role, person_space = ctx.person_role, ctx.person_space
    origin_level, origin_stair = ctx.paths.from_source(idx[sc.incident.origin])
    # alert recipients
    ch = sc.alert.channels
    app_roles = {ROLE_CODES[r] for r in (ch.app.recipients if ch.app else [])}
    radio_roles = {ROLE_CODES[r] for r in (ch.radio.recipients if ch.radio else []) if r != "sro"}
    app_recipient = np.isin(person_role, list(app_roles)) if app_roles else np.zeros(P, bool)
    radio_recipient = np.isin(person_role, list(radio_roles)) if radio_roles else np.zeros(P, bool)

    hazard = hazard_fields(ctx)
    evac = evacuation_fields(ctx)
    lockdown = lockdown_fields(ctx)
    plan = Plan(
        name=sc.name,
        protocol=sc.protocol,
        mode=sc.mode,
        horizon_s=float(sc.horizon_s),
        floorplan_digest=fp.digest(),
        scenario_digest=loaded.digest(),
        space_ids=ids,
        space_kind=ctx.kinds,
        paths=ctx.paths,
        neighbours=tuple(tuple(idx[n] for n in fp.graph.neighbors(s)) for s in ids),
        pa=np.array([bool(fp.space(s)["pa"]) for s in ids]),
        person_role=person_role,
        person_space=person_space,
        person_room=ctx.person_room,
        person_leader=ctx.person_leader,
        person_near_origin=(origin_level + origin_stair)[person_space] <= sc.hazard.proximity_m,
        app_recipient=app_recipient,
        **roster_fields(ctx),
        radio_recipient=radio_recipient,
        room_space=np.array(ctx.room_spaces, dtype=np.int64),
        room_adult=ctx.room_adult,
        **lockdown,
        **evac,
        **sro_fields(ctx),
        **hazard,
        **options_fields(ctx, hazard["hazard_step_zone"]),
        **hold_fields(ctx),
        **secure_fields(ctx),
        **shelter_fields(ctx),
        **inform_fields(ctx, evac),
    )
    ctx.paths.clear()  # the searches kept while compiling (up to 8 x S spaces) are not needed
    return plan


__all__ = [
    "LOCK_CODES",
    "LOCK_NAMES",
    "REASON_LATCH_FAULT",
    "REASON_LOCK_FAILED",
    "REASON_NAMES",
    "REASON_NOT_ALERTED",
    "REASON_NO_LOCK",
    "REASON_OK",
    "STAIR_WEIGHT",
    "Person",
    "Plan",
    "compile_plan",
]
