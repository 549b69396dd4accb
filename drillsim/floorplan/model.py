"""The :class:`Floorplan` value: a school layout as an undirected graph of spaces, in SI units.

A *space* (node) is a room, corridor, stairwell, outdoor area or exit; a *connection* (edge) is a
door, an opening or a stair flight between two spaces. This module holds the vocabulary (kinds,
lock types), the defaults every loader fills in, and the value type itself, so that the loaders
(:mod:`drillsim.floorplan.load`) and writers (:mod:`drillsim.floorplan.io`) share one definition
of what a default is. That single definition is what makes ``load(save(fp))`` exact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

SPACE_KINDS: tuple[str, ...] = (
    "classroom",
    "office",
    "corridor",
    "stair",
    "restroom",
    "gym",
    "cafeteria",
    "library",
    "commons",
    "outdoor",
    "exit",
    "assembly",
)
#: ``walkway``: an outdoor path from an exit to an assembly area (or between assembly areas).
CONNECTION_KINDS: tuple[str, ...] = ("door", "opening", "stair", "walkway")
#: An outside assembly area: where classes gather and are accounted for after leaving. It is
#: not part of the building: loaders keep assembly areas and walkways in ``Floorplan.outside``,
#: so no route, refuge, alert or population ever sees them (only the evacuation's walk from an
#: exit to the assembly area does).
ASSEMBLY_KIND = "assembly"
WALKWAY_KIND = "walkway"
LOCK_TYPES: tuple[str, ...] = (
    "none",
    "thumbturn",
    "key_inside",
    "key_outside",
    "auto_locking",
    "central",
)
#: Door conditions from the school's own door audit (deterministic facts, not sampled):
#: ``ok``; ``latch_fault`` (the door does not latch: the room cannot be secured through it);
#: ``propped`` (found propped open: the adult must first remove the prop, which takes
#: ``behaviour.prop_release_s``); ``no_key_for_substitute`` (a key-operated lock whose key is not
#: in the substitute folder: a substitute teacher cannot lock it).
DOOR_CONDITIONS: tuple[str, ...] = ("ok", "latch_fault", "propped", "no_key_for_substitute")
#: ISO date (YYYY-MM-DD) of a door audit.
AUDIT_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

#: Kinds that can be locked down unless the file says ``securable: false``.
SECURABLE_KINDS: frozenset[str] = frozenset({"classroom", "office", "library", "gym"})
#: Kinds outside PA coverage unless the file says ``pa: true``.
NO_PA_KINDS: frozenset[str] = frozenset({"outdoor", "exit", "assembly"})
#: Kinds whose connections are exterior (to the outside) by default.
OUTSIDE_KINDS: frozenset[str] = frozenset({"outdoor", "exit", "assembly"})
#: Default clear width of a connection, in metres, by connection kind (0.91 m = 36 in door leaf).
DEFAULT_WIDTH_M: Mapping[str, float] = {"door": 0.91, "opening": 2.0, "stair": 1.5, "walkway": 3.0}
#: Width used when the connection kind itself is invalid (only so that loading can go on and
#: report every problem; such a floorplan never validates).
FALLBACK_WIDTH_M = 1.0
#: Walking distance from an exit space to its assembly point when the file gives none, in metres.
DEFAULT_ASSEMBLY_DISTANCE_M = 30.0
#: Storey height in metres (floor to floor).
DEFAULT_FLOOR_HEIGHT_M = 3.6
DEFAULT_FLOORS: tuple[tuple[int, str], ...] = ((0, "Ground floor"),)
#: Drawing footprint (metres) of a space with neither size nor area.
DEFAULT_SIZE_M = 4.0
#: A stair connection's walking length is its plan distance plus this factor times the height
#: climbed (flights plus landings run about three metres per metre of rise).
STAIR_RUN_PER_RISE = 3.0
#: Computed connection lengths below this are raised to it (two spaces never coincide in reality).
MIN_LENGTH_M = 0.5
#: Floor area per person sheltering in a room's safe zone when neither ``safe_zone_capacity`` nor
#: ``capacity`` is given, m² [U] (range 1-3): a safe corner uses about a third of the floor at
#: about 0.6 m² per seated person. Without it an office with no capacity had a safe zone of 0.
SAFE_ZONE_M2_PER_PERSON = 2.0
#: Characters allowed in space and connection ids (safe in file names, GraphML and CSV headers).
ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")

#: Space fields in file order; ``id`` is the node key, the rest are node attributes.
SPACE_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "floor",
    "x",
    "y",
    "area_m2",
    "capacity",
    "securable",
    "safe_zone_capacity",
    "pa",
    "label",
    "assembly_distance_m",
    "size_w_m",
    "size_h_m",
)
#: Connection fields in file order; ``a`` and ``b`` are the edge ends, the rest edge attributes.
CONNECTION_FIELDS: tuple[str, ...] = (
    "id",
    "a",
    "b",
    "kind",
    "width_m",
    "length_m",
    "lock",
    "exterior",
    "inner",
    "condition",
    "audit_date",
)
#: Python type of each attribute after loading ("float" accepts int on input).
SPACE_TYPES: Mapping[str, str] = {
    "kind": "str",
    "floor": "int",
    "x": "float",
    "y": "float",
    "area_m2": "float",
    "capacity": "int",
    "securable": "bool",
    "safe_zone_capacity": "int",
    "pa": "bool",
    "label": "str",
    "assembly_distance_m": "float",
    "size_w_m": "float",
    "size_h_m": "float",
}
CONNECTION_TYPES: Mapping[str, str] = {
    "id": "str",
    "kind": "str",
    "width_m": "float",
    "length_m": "float",
    "lock": "str",
    "exterior": "bool",
    "inner": "bool",
    "condition": "str",
    "audit_date": "str",
}


def default_space_value(field: str, sid: str, attrs: Mapping[str, Any]) -> Any:
    """Default of one space attribute, given the attributes filled so far (in SPACE_FIELDS order).

    Parameters
    ----------
    field : str
        Attribute name (one of ``SPACE_FIELDS`` except ``id``, ``kind``, ``x``, ``y``).
    sid : str
        The space id (the default label).
    attrs : Mapping
        Attributes already known; ``kind``, ``capacity`` and ``area_m2`` are read from it.
    """
    kind = attrs.get("kind")
    if field == "floor":
        return 0
    if field == "area_m2":
        return 0.0
    if field == "capacity":
        return 0
    if field == "securable":
        return kind in SECURABLE_KINDS
    if field == "safe_zone_capacity":
        capacity = attrs.get("capacity", 0)
        if isinstance(capacity, int) and capacity > 0:
            return capacity
        area = attrs.get("area_m2", 0.0)
        ok = isinstance(area, int | float) and math.isfinite(area) and 0 < area <= 1e6
        # capped at the supported 10,000 people: an estimate must not fail a check the user
        # cannot see (a 20,002 m² hall would otherwise give 10,001 and an error about a field
        # nobody wrote)
        return min(int(area // SAFE_ZONE_M2_PER_PERSON), 10_000) if ok else 0
    if field == "pa":
        return kind not in NO_PA_KINDS
    if field == "label":
        return sid
    if field == "assembly_distance_m":
        return DEFAULT_ASSEMBLY_DISTANCE_M if kind == "exit" else 0.0
    if field in ("size_w_m", "size_h_m"):
        area = attrs.get("area_m2", 0.0)
        return math.sqrt(area) if isinstance(area, int | float) and area > 0 else DEFAULT_SIZE_M
    raise KeyError(f"space field '{field}' has no default")


def default_length_m(
    kind: str, a: Mapping[str, Any], b: Mapping[str, Any], floor_height_m: float
) -> float:
    """Walking distance in metres between two spaces' reference points, for a connection kind.

    The plan (Euclidean) distance of ``(x, y)``; a stair adds ``STAIR_RUN_PER_RISE`` metres of
    flight per metre climbed. Never below ``MIN_LENGTH_M``.
    """
    length = math.hypot(float(b["x"]) - float(a["x"]), float(b["y"]) - float(a["y"]))
    if kind == "stair":
        length += STAIR_RUN_PER_RISE * abs(int(b["floor"]) - int(a["floor"])) * floor_height_m
    return max(length, MIN_LENGTH_M)


def default_connection_value(
    field: str,
    ends: tuple[str, str],
    attrs: Mapping[str, Any],
    end_attrs: tuple[Mapping[str, Any], Mapping[str, Any]],
    floor_height_m: float,
) -> Any:
    """Default of one connection attribute.

    Parameters
    ----------
    field : str
        ``id``, ``width_m``, ``length_m``, ``lock``, ``exterior``, ``inner``, ``condition`` or
        ``audit_date``.
    ends : (str, str)
        The two space ids as the connection names them (``a``, ``b``).
    attrs : Mapping
        The connection's attributes known so far (``kind`` is read from it).
    end_attrs : (Mapping, Mapping)
        Node attributes of the two ends (``kind``, ``x``, ``y``, ``floor``).
    floor_height_m : float
        Storey height, for the stair run.
    """
    kind = attrs.get("kind")
    if field == "id":
        return f"{ends[0]}--{ends[1]}"
    if field == "width_m":
        return DEFAULT_WIDTH_M.get(kind, FALLBACK_WIDTH_M)  # type: ignore[arg-type]
    if field == "length_m":
        return default_length_m(str(kind), end_attrs[0], end_attrs[1], floor_height_m)
    if field == "lock":
        return "none"
    if field == "exterior":
        return any(e.get("kind") in OUTSIDE_KINDS for e in end_attrs)
    if field == "inner":
        return False
    if field == "condition":
        return "ok"
    if field == "audit_date":
        return ""
    raise KeyError(f"connection field '{field}' has no default")


@dataclass(frozen=True, eq=False)
class Floorplan:
    """A validated school layout.

    Build one with :func:`drillsim.floorplan.load_floorplan` or
    :func:`drillsim.floorplan.floorplan_from_dict`, which fill every default and validate.
    Two floorplans are equal when their dict forms are equal (``source`` is ignored).

    Parameters
    ----------
    name : str
        Name of the school.
    graph : networkx.Graph
        Undirected; nodes are space ids with the attributes listed in ``SPACE_FIELDS``, edges carry
        ``CONNECTION_FIELDS``. Nodes iterate in file order. ``graph.edges`` does *not* (networkx
        orders edges by node); use :meth:`connections` for file order. Loaders freeze the graph:
        use ``fp.graph.copy()`` for a mutable copy.
    source : str
        Path the floorplan was loaded from, or ``"<memory>"``.
    floor_height_m : float
        Storey height in metres (floor to floor), used for default stair lengths.
    floors : tuple of (int, str)
        ``(level, name)`` of every floor, in file order.
    outside : networkx.Graph
        Assembly areas (kind ``assembly``) and the walkways (connection kind ``walkway``) that
        join them to exits, with those exits as nodes too (same attributes). Kept apart from
        ``graph`` so that assembly areas never become routes, refuges, rooms or start spaces.
        Empty when the file has no assembly areas (exits then use ``assembly_distance_m``).
    """

    name: str
    graph: nx.Graph
    source: str = "<memory>"
    floor_height_m: float = DEFAULT_FLOOR_HEIGHT_M
    floors: tuple[tuple[int, str], ...] = DEFAULT_FLOORS
    outside: nx.Graph = dataclasses.field(default_factory=nx.Graph)

    def __post_init__(self) -> None:
        object.__setattr__(self, "floors", tuple((lv, nm) for lv, nm in self.floors))

    @property
    def spaces(self) -> list[str]:
        """Space ids in file order."""
        return list(self.graph.nodes)

    def space(self, sid: str) -> dict:
        """Attribute dict of space ``sid`` (kind, floor, x, y, ...); ``KeyError`` if unknown.

        Assembly areas are found too (they are not in :attr:`spaces`, see ``outside``).
        """
        try:
            return self.graph.nodes[sid]
        except KeyError:
            if sid in self.outside and self.outside.nodes[sid].get("kind") == ASSEMBLY_KIND:
                return self.outside.nodes[sid]
            raise KeyError(f"no space '{sid}' in floorplan '{self.name}'") from None

    @property
    def assembly_areas(self) -> list[str]:
        """Assembly area ids in file order (empty if the floorplan has none)."""
        return [s for s, d in self.outside.nodes(data=True) if d.get("kind") == ASSEMBLY_KIND]

    def walkways(self) -> list[tuple[str, str, dict]]:
        """``(a, b, attrs)`` of every walkway, in file order."""
        order = self.outside.graph.get("edge_order") or list(self.outside.edges)
        return [(a, b, self.outside.edges[a, b]) for a, b in order]

    def connections(self) -> list[tuple[str, str, dict]]:
        """``(a, b, attrs)`` for every connection, in file order.

        ``a`` is the end listed first under ``spaces`` (loaders order the two ends that way, so
        every file format gives the same orientation).
        """
        order = self.graph.graph.get("edge_order")
        g = self.graph
        # a graph edited after loading may no longer match the stored order: fall back to the
        # graph's own edge order rather than fail
        if (
            order is None
            or len(order) != g.number_of_edges()
            or not all(g.has_edge(a, b) for a, b in order)
        ):
            return list(g.edges(data=True))
        return [(a, b, g.edges[a, b]) for a, b in order]

    @property
    def levels(self) -> list[int]:
        """Declared floor levels, in file order."""
        return [lv for lv, _ in self.floors]

    def floor_name(self, level: int) -> str:
        """Name of floor ``level`` (``"Floor <level>"`` if it is not declared)."""
        return dict(self.floors).get(level, f"Floor {level}")

    def to_dict(self, *, explicit: bool = False) -> dict:
        """The YAML dict form; see :func:`drillsim.floorplan.floorplan_to_dict`."""
        return floorplan_dict(self, explicit=explicit)

    def digest(self) -> str:
        """SHA-256 hex of the canonical JSON of the explicit dict form, for provenance.

        The explicit form (every attribute written out) is hashed, so a change to a default in a
        later version of drillsim changes the digest of the floorplans it affects. The source
        path is not part of it: the same plan loaded from YAML or GraphML has the same digest.
        """
        text = json.dumps(
            floorplan_dict(self, explicit=True),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            allow_nan=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Floorplan):
            return NotImplemented
        return floorplan_dict(self, explicit=True) == floorplan_dict(other, explicit=True)

    def __hash__(self) -> int:
        return hash(self.digest())

    def __repr__(self) -> str:
        return (
            f"Floorplan(name={self.name!r}, spaces={self.graph.number_of_nodes()}, "
            f"connections={self.graph.number_of_edges()}, floors={len(self.floors)}, "
            f"source={self.source!r})"
        )


def _typed(value: Any, typ: str) -> Any:
    """Normalise a value to its declared type for output (int -> float for metres)."""
    if typ == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def floorplan_dict(fp: Floorplan, *, explicit: bool = False) -> dict:
    """Dict (YAML) form of a floorplan.

    Parameters
    ----------
    fp : Floorplan
    explicit : bool
        If False (the default, used for YAML files), attributes equal to their default are left
        out, so a saved file stays as short as a hand-written one and a default computed from
        positions (``length_m``) is recomputed if a position is edited. If True every attribute is
        written (used for GraphML, JSON and the digest).
    """
    many_floors = len(fp.floors) > 1
    spaces = []
    outside_nodes = [(s, fp.outside.nodes[s]) for s in fp.assembly_areas]
    for sid, attrs in [*fp.graph.nodes(data=True), *outside_nodes]:
        rec: dict[str, Any] = {"id": sid}
        for field in SPACE_FIELDS[1:]:
            if field not in attrs:
                continue
            value = _typed(attrs[field], SPACE_TYPES[field])
            always = field in ("kind", "x", "y") or (field == "floor" and many_floors)
            if explicit or always or value != default_space_value(field, sid, attrs):
                rec[field] = value
        spaces.append(rec)
    connections = []
    for a, b, attrs in [*fp.connections(), *fp.walkways()]:
        rec = {}
        ends = (fp.space(a), fp.space(b))
        for field in CONNECTION_FIELDS:
            if field == "a":
                rec["a"] = a
                continue
            if field == "b":
                rec["b"] = b
                continue
            if field not in attrs:
                continue
            value = _typed(attrs[field], CONNECTION_TYPES[field])
            if field == "kind" or explicit:
                rec[field] = value
                continue
            try:
                default = default_connection_value(field, (a, b), attrs, ends, fp.floor_height_m)
            except (KeyError, TypeError, ValueError):
                default = None
            if value != default:
                rec[field] = value
        connections.append(rec)
    return {
        "name": fp.name,
        "floor_height_m": _typed(fp.floor_height_m, "float"),
        "floors": [{"level": lv, "name": nm} for lv, nm in fp.floors],
        "spaces": spaces,
        "connections": connections,
    }
