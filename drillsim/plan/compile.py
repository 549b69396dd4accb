"""Compile a floorplan and a scenario into a deterministic :class:`Plan`.

The Plan is the half of the engine contract that holds no randomness: who is where, which rooms must
be secured and by whom, each person's candidate refuges, evacuation routes and door capacities, alert
coverage and the SRO's routes, all as NumPy arrays indexed the same way in both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.population import ROLE_CODES, Person, place_people
from drillsim.scenario.load import LoadedScenario

#: Route choice and SRO travel count a metre of stair as this many metres of level floor (people
#: are slower on stairs; SFPE stair speeds are roughly 2/3 of level speeds).
STAIR_WEIGHT = 1.5

LOCK_CODES = {
    "none": 0,
    "thumbturn": 1,
    "key_inside": 2,
    "key_outside": 3,
    "auto_locking": 4,
    "central": 5,
}
LOCK_NAMES = {v: k for k, v in LOCK_CODES.items()}

#: Reasons a room is not secured (room_reason in Outcomes).
REASON_OK = 0
REASON_LOCK_FAILED = 1
REASON_NO_LOCK = 2
REASON_NOT_ALERTED = 3
REASON_LATCH_FAULT = 4
REASON_NAMES = {
    0: "secured",
    1: "lock failed",
    2: "no lock hardware",
    3: "never alerted",
    4: "door did not latch",
}


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
    level_len: np.ndarray  # (S, S) level metres along the chosen path
    stair_len: np.ndarray  # (S, S) stair metres along the chosen path
    hops: np.ndarray  # (S, S) float, number of connections on the fewest-hop path (inf if none)
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
    # evacuation routes (a forest pointing at exits)
    next_hop: np.ndarray  # (S,) next space toward an exit, -1 at exits
    route_order: np.ndarray  # spaces with a next hop, upstream first
    edge_door: np.ndarray  # (S,) bool: connection s -> next_hop[s] is a door (FIFO server)
    edge_service_s: np.ndarray  # (S,) s per person through that door (1 / capacity)
    edge_level: np.ndarray  # (S,) level metres of s -> next_hop[s]
    edge_stair: np.ndarray  # (S,) stair metres
    node_persons: tuple[np.ndarray, ...]  # per space: persons whose route passes it, ascending
    assembly_m: np.ndarray  # (S,) exit -> assembly point metres (exits only)
    person_exit: np.ndarray  # (P,) exit space index on the person's route
    # SRO
    sro_on_duty: bool
    sro_radio: bool  # the SRO carries a radio on the alert chain
    sro_post: int  # -1 if none
    sro_to_origin_m: float  # weighted metres post -> origin
    sweep_rooms: np.ndarray  # (M,) room indices in sweep order
    sweep_leg_m: np.ndarray  # (M,) weighted metres of each sweep leg (origin -> first, ...)
    hazard_zone: tuple[str, ...]  # spaces evacuation routes avoid where they can

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
    sc, fp = loaded.scenario, loaded.floorplan
    g = fp.graph
    ids = tuple(fp.spaces)
    idx = {s: i for i, s in enumerate(ids)}
    S = len(ids)
    kinds = tuple(fp.space(s)["kind"] for s in ids)

    def weight(a, b, d):
        return d["length_m"] * (STAIR_WEIGHT if d["kind"] == "stair" else 1.0)

    level_len, stair_len = _path_lengths(g, ids, idx, weight)
    hops = np.full((S, S), np.inf)
    for src, lengths in nx.all_pairs_shortest_path_length(g):
        for dst, h in lengths.items():
            hops[idx[src], idx[dst]] = float(h)
    pa = np.array([bool(fp.space(s)["pa"]) for s in ids])

    people = place_people(fp, sc.population)
    P = len(people)
    person_role = np.array([ROLE_CODES[p.role] for p in people], dtype=np.int8)
    person_space = np.array([idx[p.space] for p in people], dtype=np.int64)

    # rooms to secure: securable spaces whose occupants include an adult
    first_adult: dict[int, int] = {}
    for i, p in enumerate(people):
        if p.role != "student" and fp.space(p.space)["securable"]:
            first_adult.setdefault(idx[p.space], i)
    room_spaces = sorted(first_adult)
    room_of_space = {s: m for m, s in enumerate(room_spaces)}
    room_space = np.array(room_spaces, dtype=np.int64)
    room_adult = np.array([first_adult[s] for s in room_spaces], dtype=np.int64)
    person_room = np.array([room_of_space.get(int(s), -1) for s in person_space], dtype=np.int64)
    leader_of_space: dict[int, int] = {}
    for i, p in enumerate(people):
        if p.role != "student":
            leader_of_space.setdefault(idx[p.space], i)
    person_leader = np.array(
        [leader_of_space.get(int(s), i) for i, s in enumerate(person_space)], dtype=np.int64
    )

    # lockable doors of each room, in connection (file) order
    door_ids: list[str] = []
    door_lock: list[int] = []
    door_conn: list[int] = []
    per_room: list[list[int]] = [[] for _ in room_spaces]
    connections = fp.connections()
    for c, (a, b, d) in enumerate(connections):
        if d["kind"] != "door":
            continue
        for end in (a, b):
            m = room_of_space.get(idx[end])
            if m is not None:
                per_room[m].append(len(door_ids))
                door_ids.append(d["id"])
                door_lock.append(LOCK_CODES[d["lock"]])
                door_conn.append(c)
    dmax = max((len(x) for x in per_room), default=0)
    room_doors = np.full((len(room_spaces), max(dmax, 1)), -1, dtype=np.int64)
    for m, ds in enumerate(per_room):
        room_doors[m, : len(ds)] = ds
    door_lock_arr = np.array(door_lock, dtype=np.int8)
    room_no_lock = np.array(
        [any(door_lock[d] == 0 for d in ds) or not ds for ds in per_room], dtype=bool
    )

    # movers and their candidate refuges (nearest by weighted path length)
    weighted = level_len + STAIR_WEIGHT * stair_len
    K = sc.behaviour.max_refuge_candidates
    movers = np.flatnonzero(person_room < 0)
    cand = np.full((len(movers), K), -1, dtype=np.int64)
    leg_level = np.zeros((len(movers), K))
    leg_stair = np.zeros((len(movers), K))
    by_start: dict[int, tuple] = {}
    for j, p in enumerate(movers):
        s = int(person_space[p])
        if s not in by_start:
            order = sorted(
                (m for m in range(len(room_spaces)) if np.isfinite(weighted[s, room_spaces[m]])),
                key=lambda m: (weighted[s, room_spaces[m]], m),
            )[:K]
            ll = np.zeros(K)
            sl = np.zeros(K)
            prev = s
            for k, m in enumerate(order):
                ll[k] = level_len[prev, room_spaces[m]]
                sl[k] = stair_len[prev, room_spaces[m]]
                prev = room_spaces[m]
            by_start[s] = (order, ll, sl)
        order, ll, sl = by_start[s]
        cand[j, : len(order)] = order
        leg_level[j] = ll
        leg_stair[j] = sl

    # evacuation forest toward exits, avoiding the hazard zone where possible
    avoid: set[str] = set()
    if sc.hazard.avoid_origin:
        avoid.add(sc.incident.origin)
    if sc.hazard.avoid_neighbours:
        avoid.update(g.neighbors(sc.incident.origin))
    exits = [s for s in ids if fp.space(s)["kind"] == "exit"]
    avoid -= set(exits)
    nxt_full = _next_hops(g, exits, weight)
    nxt_safe = _next_hops(g.subgraph([s for s in ids if s not in avoid]), exits, weight)
    next_hop = np.full(S, -1, dtype=np.int64)
    for s in ids:
        if s in exits:
            continue
        hop = nxt_safe.get(s) if s not in avoid else None
        hop = hop or nxt_full.get(s)
        if hop is not None:
            next_hop[idx[s]] = idx[hop]
    forest = nx.DiGraph()
    forest.add_nodes_from(range(S))
    forest.add_edges_from((s, int(next_hop[s])) for s in range(S) if next_hop[s] >= 0)
    topo = list(nx.lexicographical_topological_sort(forest))
    route_order = np.array([s for s in topo if next_hop[s] >= 0], dtype=np.int64)

    bl = sc.behaviour.door_boundary_layer_m
    fs = sc.behaviour.specific_flow_pps_per_m
    edge_door = np.zeros(S, dtype=bool)
    edge_service = np.zeros(S)
    edge_level = np.zeros(S)
    edge_stair = np.zeros(S)
    problems: list[Problem] = []
    for s in range(S):
        if next_hop[s] < 0:
            continue
        d = g.edges[ids[s], ids[next_hop[s]]]
        if d["kind"] == "stair":
            edge_stair[s] = d["length_m"]
        else:
            edge_level[s] = d["length_m"]
        if d["kind"] == "door":
            eff = d["width_m"] - 2 * bl
            if eff <= 0:
                problems.append(
                    Problem(
                        fp.source,
                        f"connections '{d['id']}'.width_m",
                        f"door {d['width_m']} m wide leaves no effective width after two "
                        f"{bl} m boundary layers",
                        f"make it wider than {2 * bl} m",
                    )
                )
                continue
            edge_door[s] = True
            edge_service[s] = 1.0 / (fs * eff)
    if problems:
        raise ValidationError(problems)

    passing: list[list[int]] = [[] for _ in range(S)]
    person_exit = np.full(P, -1, dtype=np.int64)
    for p in range(P):
        s = int(person_space[p])
        while s >= 0:
            passing[s].append(p)
            if next_hop[s] < 0:
                person_exit[p] = s if kinds[s] == "exit" else -1
            s = int(next_hop[s])
    node_persons = tuple(np.array(x, dtype=np.int64) for x in passing)
    assembly = np.array([float(fp.space(s)["assembly_distance_m"]) for s in ids])

    # alert recipients
    ch = sc.alert.channels
    app_roles = {ROLE_CODES[r] for r in (ch.app.recipients if ch.app else [])}
    radio_roles = {ROLE_CODES[r] for r in (ch.radio.recipients if ch.radio else []) if r != "sro"}
    app_recipient = np.isin(person_role, list(app_roles)) if app_roles else np.zeros(P, bool)
    radio_recipient = np.isin(person_role, list(radio_roles)) if radio_roles else np.zeros(P, bool)

    # SRO routes
    origin = idx[sc.incident.origin]
    post_id = loaded.sro_post
    sro_on = bool(sc.sro.on_duty and post_id is not None)
    post = idx[post_id] if post_id is not None else -1
    sro_to_origin = float(weighted[post, origin]) if post >= 0 else np.inf
    remaining = list(range(len(room_spaces)))
    sweep_rooms: list[int] = []
    sweep_leg: list[float] = []
    here = origin
    while remaining:
        m = min(remaining, key=lambda r: (weighted[here, room_spaces[r]], r))
        sweep_rooms.append(m)
        sweep_leg.append(float(weighted[here, room_spaces[m]]))
        here = room_spaces[m]
        remaining.remove(m)

    return Plan(
        name=sc.name,
        protocol=sc.protocol,
        mode=sc.mode,
        horizon_s=float(sc.horizon_s),
        floorplan_digest=fp.digest(),
        scenario_digest=loaded.digest(),
        space_ids=ids,
        space_kind=kinds,
        level_len=level_len,
        stair_len=stair_len,
        hops=hops,
        neighbours=tuple(tuple(idx[n] for n in g.neighbors(s)) for s in ids),
        pa=pa,
        origin=origin,
        person_role=person_role,
        person_space=person_space,
        person_room=person_room,
        person_leader=person_leader,
        person_near_origin=(level_len + stair_len)[idx[sc.incident.origin], person_space]
        <= sc.hazard.proximity_m,
        app_recipient=app_recipient,
        radio_recipient=radio_recipient,
        room_space=room_space,
        room_adult=room_adult,
        room_doors=room_doors,
        room_no_lock=room_no_lock,
        room_safe_zone_capacity=np.array(
            [int(fp.space(ids[s])["safe_zone_capacity"]) for s in room_spaces], dtype=np.int64
        ),
        door_ids=tuple(door_ids),
        door_lock=door_lock_arr,
        door_conn=np.array(door_conn, dtype=np.int64),
        n_connections=len(connections),
        mover=movers.astype(np.int64),
        mover_cand=cand,
        mover_leg_level=leg_level,
        mover_leg_stair=leg_stair,
        next_hop=next_hop,
        route_order=route_order,
        edge_door=edge_door,
        edge_service_s=edge_service,
        edge_level=edge_level,
        edge_stair=edge_stair,
        node_persons=node_persons,
        assembly_m=assembly,
        person_exit=person_exit,
        sro_on_duty=sro_on,
        sro_radio=bool(ch.radio and "sro" in ch.radio.recipients),
        sro_post=post,
        sro_to_origin_m=sro_to_origin,
        sweep_rooms=np.array(sweep_rooms, dtype=np.int64),
        sweep_leg_m=np.array(sweep_leg),
        hazard_zone=tuple(sorted(avoid)),
    )


def _path_lengths(g: nx.Graph, ids, idx, weight) -> tuple[np.ndarray, np.ndarray]:
    """Level and stair metres along the weighted shortest path between every pair of spaces."""
    S = len(ids)
    level = np.full((S, S), np.inf)
    stair = np.full((S, S), np.inf)
    for src in ids:
        _, paths = nx.single_source_dijkstra(g, src, weight=weight)
        i = idx[src]
        for dst, path in paths.items():
            lv = st = 0.0
            for a, b in zip(path[:-1], path[1:], strict=True):
                d = g.edges[a, b]
                if d["kind"] == "stair":
                    st += d["length_m"]
                else:
                    lv += d["length_m"]
            level[i, idx[dst]] = lv
            stair[i, idx[dst]] = st
    return level, stair


def _next_hops(g: nx.Graph, exits: list[str], weight) -> dict[str, str]:
    """Next space on the weighted shortest path from every space to its nearest exit."""
    present = [e for e in exits if e in g]
    if not present:
        return {}
    _, paths = nx.multi_source_dijkstra(g, present, weight=weight)
    return {node: path[-2] for node, path in paths.items() if len(path) >= 2}


__all__ = ["LOCK_CODES", "LOCK_NAMES", "REASON_NAMES", "Person", "Plan", "compile_plan"]
