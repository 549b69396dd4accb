"""The compiled FIFO server network that evacuees (and any other moving protocol) pass through.

Every *leg* of a route — one connection walked in one direction, from space ``a`` to space ``b`` —
is a FIFO server whose capacity follows the SFPE hydraulic model (Gwynne & Rosenbaum, SFPE Handbook
5th ed., ch. 59): ``specific flow x effective width``, the effective width being the clear width
minus a boundary layer on each side, both by element type:

* door / opening: the connection's ``width_m``, door or opening boundary layer, level specific flow;
* stair connection (a flight): its ``width_m``, stair boundary layer, the stair specific flow of the
  scenario's riser/tread;
* a corridor at either end of the leg: its clear width (the smaller side of its drawn footprint,
  ``size_w_m``/``size_h_m``), corridor boundary layer, level specific flow. Entering a narrow
  corridor is limited where people enter it (the queue forms upstream, RiMEA test 12) and leaving
  it is limited too, so flows that merge inside a corridor share its capacity on the way out.

A leg's service (headway) is the largest of these, i.e. its capacity the smallest. A server is
directed: people walking a corridor east and people walking it west pass different servers (no
counter-flow friction; SFPE has none). Flows that merge onto the same leg share its capacity.

Headway semantics: the n-th person (from 0, ordered by arrival time, then person index) leaves the
server at ``d_n = max(a_n, d_{n-1} + h)``, closed form ``n*h + max_{j<=n}(a_j - j*h)``; a free
walker is not delayed, a queue discharges at the capacity ``1/h``. A person with flow weight ``w``
(a wheelchair user takes the width of ``w`` walkers) holds the server for ``w*h``:
``d_n = max(a_n, d_{n-1} + w_{n-1} h)``, closed form ``c_n + max_{j<=n}(a_j - c_j)`` with
``c_n = h * sum_{i<n} w_i``; servers nobody with ``w != 1`` passes use the unweighted form.
Then the person walks the leg (``level/speed + stair/stair_speed``) and arrives at the next server.

The network's rows (one per server and person passing it) are grouped by server, persons ascending,
so an engine can process a server as one contiguous slice. ``blocks`` gives the servers in an order
consistent with every route; a block of more than one server is a cycle of legs (ring corridors,
posted routes going round a ring) that the batch engine iterates to a fixed point.

Public API (used by the evacuation protocol and reusable by others, e.g. options):
:func:`build_server_net` (routes as space paths -> :class:`ServerNet`) and :func:`leg_capacity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from drillsim.errors import Problem, ValidationError
from drillsim.plan.context import Context

#: SFPE speed constant k for corridors, doors, ramps (m/s); stairs use the riser/tread formula.
K_LEVEL_MPS = 1.40
#: SFPE stair k from riser R and tread T: k = 51.8 * sqrt(T/R) m/min (NZ Fire Engineering Design
#: Guide closed form of the SFPE table: 7/11 in gives 1.08 m/s).
K_STAIR_M_PER_MIN = 51.8
#: The riser/tread the scenario's stair speed distributions describe (7 in / 11 in, SFPE reference).
REF_RISER_M, REF_TREAD_M = 0.178, 0.279


def stair_k_mps(riser_m: float, tread_m: float) -> float:
    """SFPE stair speed constant k (m/s) for a riser/tread, ``51.8 * sqrt(T/R) / 60``."""
    return K_STAIR_M_PER_MIN * math.sqrt(tread_m / riser_m) / 60.0


def stair_speed_factor(riser_m: float, tread_m: float) -> float:
    """Stair travel speed relative to the reference 7/11 stair: ``k(R, T) / k(7, 11)``.

    Exactly 1.0 for the reference geometry (so default scenarios keep their stair times).
    """
    ratio = (tread_m / riser_m) / (REF_TREAD_M / REF_RISER_M)
    return math.sqrt(ratio)


def stair_specific_flow(level_flow: float, riser_m: float, tread_m: float) -> float:
    """Maximum specific flow on a stair, persons/(s·m): the level value scaled by ``k_stair/k_level``.

    For 7/11 in and 1.3 p/(s·m) on the level this is 1.005, SFPE Table 59.5 gives 1.01.
    """
    return level_flow * stair_k_mps(riser_m, tread_m) / K_LEVEL_MPS


@dataclass(frozen=True)
class ServerNet:
    """FIFO servers (directed legs) and the rows of the people who pass them.

    Arrays are read-only by convention. K servers, N rows (server, person), P people, L legs max.
    """

    service_s: np.ndarray  # (K,) headway, s per person (1 / capacity)
    src: np.ndarray  # (K,) space index the leg starts in (where its queue forms)
    dst: np.ndarray  # (K,) space index the leg ends in
    conn: np.ndarray  # (K,) connection index (floorplan order)
    limit: tuple[str, ...]  # (K,) what sets the capacity: "door", "opening", "stair", "corridor"
    leg_level: np.ndarray  # (K,) level metres of the leg
    leg_stair: np.ndarray  # (K,) stair metres of the leg divided by the stair speed factor
    offset: np.ndarray  # (K+1,) rows of server k are offset[k]:offset[k+1]
    row_person: np.ndarray  # (N,) person of each row (ascending within a server)
    row_prev: np.ndarray  # (N,) row of the same person's previous leg, -1 on the first leg
    blocks: tuple[np.ndarray, ...]  # servers in route order; len > 1 = a cycle (fixed point)
    person_rows: np.ndarray  # (P, L) each person's rows in walking order, -1 padded
    person_end: np.ndarray  # (P,) space index where the route ends
    person_weight: np.ndarray  # (P,) flow weight (persons of capacity each person takes), 1.0
    weighted: np.ndarray  # (K,) bool: someone with weight != 1 passes the server
    # later blockages (plan/reroute.py): G >= P route segments, the first P the people's routes
    row_seg: np.ndarray  # (N,) segment of each row (= row_person without later blockages)
    row_pos: np.ndarray  # (N,) position of the row in its segment (0 = first leg)
    seg_rows: np.ndarray  # (G, L) each segment's rows in walking order, -1 padded
    seg_person: np.ndarray  # (G,) owner of each segment
    seg_end: np.ndarray  # (G,) space index where the segment ends
    child: np.ndarray  # (G, L, J + 1) segment taken at position i once state j holds, -1 none
    block_times: np.ndarray  # (J,) distinct later-blockage times, ascending, s
    space_from: np.ndarray  # (S,) time from which a space is blocked later (inf: never)

    @property
    def rerouting(self) -> bool:
        """Whether some blockage starts after t0 (engines then switch segments)."""
        return bool(self.block_times.size)

    @property
    def n_servers(self) -> int:
        return int(self.service_s.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.row_person.shape[0])

    def rows(self, k: int) -> slice:
        return slice(int(self.offset[k]), int(self.offset[k + 1]))

    def server_of_rows(self) -> np.ndarray:
        """(N,) server index of every row."""
        return np.repeat(np.arange(self.n_servers), np.diff(self.offset))

    def person_servers(self, p: int) -> list[int]:
        """Server indices on person ``p``'s route, in walking order."""
        of = self.server_of_rows()
        return [int(of[r]) for r in self.person_rows[p] if r >= 0]


def leg_capacity(ctx: Context, a: str, b: str) -> tuple[float, str, list[Problem]]:
    """Capacity (persons/s) of the leg ``a -> b`` and what limits it, per the SFPE model.

    Returns problems (file, element, fix) when an element on it has no effective width left.
    """
    sc, fp = ctx.scenario, ctx.floorplan
    b_, ev = sc.behaviour, sc.evacuation
    level = b_.specific_flow_pps_per_m
    d = fp.graph.edges[a, b]
    kind = d["kind"]
    problems: list[Problem] = []
    if kind == "stair":
        fs = ev.stair_specific_flow_pps_per_m or stair_specific_flow(
            level, ev.stair_riser_m, ev.stair_tread_m
        )
        bl = ev.stair_boundary_layer_m
    else:
        fs = level
        bl = b_.door_boundary_layer_m if kind == "door" else ev.opening_boundary_layer_m
    eff = d["width_m"] - 2 * bl
    if eff <= 0:
        problems.append(
            Problem(
                fp.source,
                f"connections '{d['id']}'.width_m",
                f"{kind} {d['width_m']} m wide leaves no effective width after two {bl} m "
                "boundary layers",
                f"make it wider than {2 * bl} m",
            )
        )
        return math.inf, kind, problems
    cap, what = fs * eff, kind
    for s in (a, b):
        attrs = fp.space(s)
        if attrs["kind"] != "corridor":
            continue
        width = min(float(attrs["size_w_m"]), float(attrs["size_h_m"]))
        ceff = width - 2 * ev.corridor_boundary_layer_m
        if ceff <= 0:
            problems.append(
                Problem(
                    fp.source,
                    f"spaces '{s}'.size_h_m",
                    f"corridor {width} m wide (smaller side of size_w_m/size_h_m) leaves no "
                    f"effective width after two {ev.corridor_boundary_layer_m} m boundary layers",
                    f"give its footprint a clear width above {2 * ev.corridor_boundary_layer_m} m",
                )
            )
            continue
        if level * ceff < cap:
            cap, what = level * ceff, "corridor"
    return cap, what, problems


def build_server_net(
    ctx: Context,
    paths: list[list[int]],
    weight: np.ndarray | None = None,
    segments=None,
) -> ServerNet:
    """Compile one route per person (space indices, start to end) into a :class:`ServerNet`.

    ``weight`` (P,) is each person's flow weight (default 1: one walker's share of capacity).
    ``segments`` (:class:`~drillsim.plan.reroute.Segments`) adds the reroutes of later
    blockages; its first P paths must be ``paths``.

    Raises
    ------
    ValidationError
        When an element on some route has no effective width.
    """
    fp, ids = ctx.floorplan, ctx.ids
    g = fp.graph
    conn_index = {d["id"]: i for i, (_, _, d) in enumerate(fp.connections())}
    ev = ctx.scenario.evacuation
    factor = stair_speed_factor(ev.stair_riser_m, ev.stair_tread_m)
    P = len(paths)
    if segments is not None:
        paths = segments.paths
        seg_person = np.asarray(segments.person, dtype=np.int64)
    else:
        seg_person = np.arange(P, dtype=np.int64)
    legs: dict[tuple[int, int], int] = {}
    for path in paths:
        for a, b in zip(path[:-1], path[1:], strict=True):
            legs.setdefault((a, b), len(legs))
    # servers numbered in a stable order: by (src, dst) index
    keys = sorted(legs)
    k_of = {key: k for k, key in enumerate(keys)}
    K = len(keys)
    service = np.zeros(K)
    src = np.array([a for a, _ in keys], dtype=np.int64)
    dst = np.array([b for _, b in keys], dtype=np.int64)
    conn = np.zeros(K, dtype=np.int64)
    leg_level = np.zeros(K)
    leg_stair = np.zeros(K)
    limit: list[str] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for k, (a, b) in enumerate(keys):
        d = g.edges[ids[a], ids[b]]
        cap, what, probs = leg_capacity(ctx, ids[a], ids[b])
        for p in probs:
            if p.element not in seen:
                seen.add(p.element)
                problems.append(p)
        service[k] = 1.0 / cap
        limit.append(what)
        conn[k] = conn_index[d["id"]]
        if d["kind"] == "stair":
            leg_stair[k] = d["length_m"] / factor
        else:
            leg_level[k] = d["length_m"]
    if problems:
        raise ValidationError(problems)

    G = len(paths)
    person_keys = [
        [k_of[(a, b)] for a, b in zip(path[:-1], path[1:], strict=True)] for path in paths
    ]
    # rows of a server: by person (ties at a server are served in person order), then segment
    per_server: list[list[tuple[int, int, int]]] = [[] for _ in range(K)]
    for g, ks in enumerate(person_keys):
        for pos, k in enumerate(ks):
            per_server[k].append((int(seg_person[g]), g, pos))
    for x in per_server:
        x.sort()
    offset = np.zeros(K + 1, dtype=np.int64)
    offset[1:] = np.cumsum([len(x) for x in per_server])
    row_person = np.array([p for x in per_server for p, _, _ in x], dtype=np.int64)
    row_seg = np.array([g for x in per_server for _, g, _ in x], dtype=np.int64)
    row_pos = np.array([pos for x in per_server for _, _, pos in x], dtype=np.int64)
    row_of: dict[tuple[int, int], int] = {}
    for k, x in enumerate(per_server):
        for i, (_, g, pos) in enumerate(x):
            row_of[(g, pos)] = int(offset[k]) + i
    L = max((len(ks) for ks in person_keys), default=0)
    seg_rows = np.full((G, max(L, 1)), -1, dtype=np.int64)
    row_prev = np.full(row_person.shape[0], -1, dtype=np.int64)
    for g, ks in enumerate(person_keys):
        prev = -1
        for j in range(len(ks)):
            r = row_of[(g, j)]
            seg_rows[g, j] = r
            row_prev[r] = prev
            prev = r
    person_rows = seg_rows[:P]
    # processing order: strongly connected components of the leg graph in topological order
    lg = nx.DiGraph()
    lg.add_nodes_from(range(K))
    for ks in person_keys:
        lg.add_edges_from(zip(ks[:-1], ks[1:], strict=True))
    if segments is not None:  # a reroute starts when the leg before the decision is walked
        for g, i, j in zip(*np.nonzero(segments.child >= 0), strict=True):
            c = int(segments.child[g, i, j])
            if i > 0 and person_keys[c]:
                lg.add_edge(person_keys[g][i - 1], person_keys[c][0])
    cond = nx.condensation(lg)
    order = nx.lexicographical_topological_sort(cond, key=lambda c: min(cond.nodes[c]["members"]))
    blocks = tuple(np.array(sorted(cond.nodes[c]["members"]), dtype=np.int64) for c in order)
    seg_end = np.array([path[-1] for path in paths], dtype=np.int64)
    person_end = seg_end[:P]
    person_weight = np.ones(P) if weight is None else np.asarray(weight, dtype=np.float64)
    heavy = person_weight[row_person] != 1.0
    weighted = np.array([bool(heavy[offset[k] : offset[k + 1]].any()) for k in range(K)], bool)
    return ServerNet(
        service_s=service,
        src=src,
        dst=dst,
        conn=conn,
        limit=tuple(limit),
        leg_level=leg_level,
        leg_stair=leg_stair,
        offset=offset,
        row_person=row_person,
        row_prev=row_prev,
        blocks=blocks,
        person_rows=person_rows,
        person_end=person_end,
        person_weight=person_weight,
        weighted=weighted,
        row_seg=row_seg,
        row_pos=row_pos,
        seg_rows=seg_rows,
        seg_person=seg_person,
        seg_end=seg_end,
        child=(
            segments.child
            if segments is not None
            else np.full((P, seg_rows.shape[1], 1), -1, dtype=np.int64)
        ),
        block_times=(segments.times if segments is not None else np.zeros(0)),
        space_from=(segments.space_from if segments is not None else np.full(ctx.n_spaces, np.inf)),
    )
