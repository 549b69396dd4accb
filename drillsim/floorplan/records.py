"""The record pass: turn the YAML dict form into a :class:`Floorplan`, filling every default.

Checks the shape and types of every record, unknown keys, duplicate ids, connection ends that name
no space and two connections between the same pair. A bad field is replaced by a neutral
placeholder so that checking can go on; a record that cannot be put in the graph has its values
checked here, because the graph pass will not see it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx

from drillsim.errors import ProblemList
from drillsim.floorplan.fields import (
    add_unknown_keys,
    did_you_mean,
    read_field,
    record_element,
    show,
)
from drillsim.floorplan.model import (
    ASSEMBLY_KIND,
    CONNECTION_FIELDS,
    CONNECTION_KINDS,
    CONNECTION_TYPES,
    DEFAULT_FLOOR_HEIGHT_M,
    DEFAULT_FLOORS,
    SPACE_FIELDS,
    SPACE_KINDS,
    SPACE_TYPES,
    WALKWAY_KIND,
    Floorplan,
    default_connection_value,
    default_space_value,
)
from drillsim.floorplan.values import connection_values, space_values

TOP_KEYS = ("name", "floor_height_m", "floors", "spaces", "connections")
FLOOR_KEYS = ("level", "name")
_REQUIRED_SPACE = ("id", "kind", "x", "y")
_REQUIRED_CONNECTION = ("a", "b", "kind")
#: Most spaces (and connections) a floorplan may have. A very large school campus has a few
#: thousand spaces; 100,000 keeps validation to seconds (it is linear in the size, see
#: docs/performance.md) and every per-space array of a batch small.
MAX_SPACES = 100_000
MAX_CONNECTIONS = 400_000
#: Floor levels allowed: basements down to -50, towers up to 200 storeys.
LEVEL_RANGE = (-50, 200)


def read_records(
    out: ProblemList, data: Any, source: str
) -> tuple[Floorplan, dict[str, str], dict[tuple[str, str], str]]:
    """Build the floorplan from the dict form, reporting record-level problems to ``out``.

    Parameters
    ----------
    out : ProblemList
        Collects the problems; raised at once if ``data`` is not a mapping at all.
    data : object
        The YAML dict form (keys ``TOP_KEYS``).
    source : str
        The file, kept as ``Floorplan.source``.

    Returns
    -------
    (Floorplan, dict, dict)
        The floorplan (graph frozen; records that could not be added are left out) and the element
        of each space id and of each connection ``(a, b)``, for the graph pass.
    """
    if not isinstance(data, dict):
        out.add(
            "<top level>",
            f"expected a mapping with keys {', '.join(TOP_KEYS)}; got {type(data).__name__}",
            "start the file with 'name:', 'spaces:' and 'connections:' (see floorplans/README.md)",
        )
        out.raise_if_any()
    add_unknown_keys(out, data, TOP_KEYS, "")

    ok, name = read_field(out, data, "name", "str", "name", required=True)
    name = name if ok else ""
    floor_height_m = DEFAULT_FLOOR_HEIGHT_M
    if "floor_height_m" in data:
        ok, value = read_field(out, data, "floor_height_m", "float", "floor_height_m", False)
        floor_height_m = value if ok else DEFAULT_FLOOR_HEIGHT_M
    floors = _floors(out, data)
    spaces, conns = _record_lists(out, data)

    g = nx.Graph()
    space_el: dict[str, str] = {}
    for i, raw in enumerate(spaces):
        _space_record(out, g, space_el, i, raw, [lv for lv, _ in floors])
    conn_el: dict[tuple[str, str], str] = {}
    order: list[tuple[str, str]] = []
    first_pair: dict[frozenset, str] = {}
    # assembly areas sort after the building's spaces (the order every writer uses), so that a
    # walkway's two ends are oriented the same whatever order the file lists them in
    listed = sorted(g.nodes, key=lambda s: g.nodes[s].get("kind") == ASSEMBLY_KIND)
    position = {sid: i for i, sid in enumerate(listed)}
    for j, raw in enumerate(conns):
        _connection_record(out, g, position, conn_el, order, first_pair, j, raw, floor_height_m)
    building, outside = _split_outside(out, g, order, conn_el)
    fp = Floorplan(
        name=name,
        graph=building,
        source=source,
        floor_height_m=floor_height_m,
        floors=floors,
        outside=outside,
    )
    return fp, space_el, conn_el


def _split_outside(
    out: ProblemList, g: nx.Graph, order: list[tuple[str, str]], conn_el: dict
) -> tuple[nx.Graph, nx.Graph]:
    """The building graph and the outside graph (assembly areas, walkways and their exits).

    A walkway must join an assembly area to an exit or to another assembly area, and nothing
    but a walkway may touch an assembly area; other combinations are reported and left out.
    """
    def kind(s: str) -> str:
        return str(g.nodes[s].get("kind"))

    building, outside = nx.Graph(), nx.Graph()
    for sid, attrs in g.nodes(data=True):
        if kind(sid) == ASSEMBLY_KIND:
            outside.add_node(sid, **attrs)
        else:
            building.add_node(sid, **attrs)
    inside_order: list[tuple[str, str]] = []
    outside_order: list[tuple[str, str]] = []
    for a, b in order:
        d = g.edges[a, b]
        el = conn_el[(a, b)]
        ends = {kind(a), kind(b)}
        if d.get("kind") == WALKWAY_KIND:
            if ASSEMBLY_KIND not in ends or not ends <= {ASSEMBLY_KIND, "exit"}:
                other = [s for s in (a, b) if kind(s) not in (ASSEMBLY_KIND, "exit")]
                out.add(
                    f"{el}.kind",
                    f"walkway between '{a}' ({kind(a)}) and '{b}' ({kind(b)})"
                    + (f": '{other[0]}' is inside the building" if other else ""),
                    "a walkway joins an assembly area (kind: assembly) to an exit or to another "
                    "assembly area; use door, opening or stair inside the building",
                )
                continue
            for s in (a, b):
                if s not in outside:
                    outside.add_node(s, **g.nodes[s])
            outside.add_edge(a, b, **d)
            outside_order.append((a, b))
        elif ASSEMBLY_KIND in ends:
            area = a if kind(a) == ASSEMBLY_KIND else b
            out.add(
                f"{el}.kind",
                f"{d.get('kind')} connection to assembly area '{area}'",
                "an assembly area is outside the building: join it to an exit with kind: walkway "
                "(and length_m, the walking distance)",
            )
        else:
            building.add_edge(a, b, **d)
            inside_order.append((a, b))
    building.graph["edge_order"] = inside_order
    outside.graph["edge_order"] = outside_order
    nx.freeze(building)
    nx.freeze(outside)
    return building, outside


def _record_lists(out: ProblemList, data: Mapping) -> tuple[list, list]:
    """The ``spaces`` and ``connections`` lists (empty where missing or not a list)."""
    if "spaces" not in data:
        out.add("spaces", "missing required key 'spaces'", "add spaces: [...] listing every space")
        spaces = []
    else:
        spaces = _as_list(out, "spaces", data["spaces"], "{id: ..., kind: ..., x: ..., y: ...}")
    conns = data.get("connections", [])
    if conns is None:
        conns = []
    conns = _as_list(out, "connections", conns, "{a: ..., b: ..., kind: door}")
    for key, items, limit in (("spaces", spaces, MAX_SPACES), ("connections", conns,
                                                                  MAX_CONNECTIONS)):
        if len(items) > limit:
            out.add(
                key,
                f"{len(items):,} {key}, more than the {limit:,} drillsim supports",
                "split the campus into one floorplan per building",
            )
            out.raise_if_any()  # refuse at once rather than checking a million records
    return spaces, conns


def _as_list(out: ProblemList, key: str, value: Any, example: str) -> list:
    """``value`` if it is a list, else report it at ``key`` and return an empty list."""
    if isinstance(value, list):
        return value
    out.add(
        key,
        f"{key} must be a list of {key}, got {type(value).__name__}",
        f"write {key}: followed by lines '- {example}'",
    )
    return []


def _floors(out: ProblemList, data: Mapping) -> tuple[tuple[int, str], ...]:
    if "floors" not in data:
        return DEFAULT_FLOORS
    raw = data["floors"]
    if not isinstance(raw, list) or not raw:
        out.add(
            "floors",
            f"floors must be a non-empty list, got {show(raw)}",
            "write e.g. floors: [{level: 0, name: Ground floor}, {level: 1, name: First floor}]",
        )
        return DEFAULT_FLOORS
    floors: list[tuple[int, str]] = []
    first: dict[int, int] = {}
    for i, rec in enumerate(raw):
        el = f"floors[{i}]"
        if not isinstance(rec, dict):
            out.add(
                el,
                f"expected a mapping {{level, name}}, got {show(rec)}",
                "write e.g. {level: 0, name: Ground floor}",
            )
            continue
        add_unknown_keys(out, rec, FLOOR_KEYS, el)
        ok_l, level = read_field(out, rec, "level", "int", f"{el}.level", required=True)
        ok_n, fname = read_field(out, rec, "name", "str", f"{el}.name", required=False)
        if not ok_l:
            continue
        if not LEVEL_RANGE[0] <= level <= LEVEL_RANGE[1]:
            out.add(
                f"{el}.level",
                f"floor level {level} is outside {LEVEL_RANGE[0]} to {LEVEL_RANGE[1]}",
                "number floors from 0 (ground) up, basements negative",
            )
            continue
        if level in first:
            out.add(
                f"{el}.level",
                f"floor level {level} is declared twice (first at floors[{first[level]}])",
                "declare every floor level once",
            )
            continue
        first[level] = i
        floors.append((level, fname if ok_n else f"Floor {level}"))
    return tuple(floors) or DEFAULT_FLOORS


def _add_new(out: ProblemList, check: Callable[[ProblemList], Any]) -> None:
    """Run ``check(problem_list)`` and keep only problems at elements not reported yet."""
    extra = ProblemList(out.file)
    check(extra)
    reported = _reported(out)
    out.extend([p for p in extra.problems if p.element not in reported])


def _reported(out: ProblemList) -> set[str]:
    """Elements already reported in ``out``, kept up to date incrementally (linear overall)."""
    seen: set[str] = out.__dict__.setdefault("_elements", set())
    start = out.__dict__.get("_elements_n", 0)
    seen.update(p.element for p in out.problems[start:])
    out.__dict__["_elements_n"] = len(out.problems)
    return seen


def _space_record(
    out: ProblemList, g: nx.Graph, space_el: dict[str, str], i: int, raw: Any, levels: list[int]
) -> None:
    if not isinstance(raw, dict):
        out.add(
            f"spaces[{i}]",
            f"expected a mapping {{id: ..., kind: ..., x: ..., y: ...}}, got {show(raw)}",
            "write each space as '- {id: C101, kind: classroom, x: 12.0, y: 4.5}'",
        )
        return
    sid = raw.get("id")
    el = record_element("spaces", i, sid)
    add_unknown_keys(out, raw, SPACE_FIELDS, el)
    ok, sid = read_field(out, raw, "id", "id", f"{el}.id", required=True)
    if ok and sid in g:
        out.add(
            f"{el}.id",
            f"duplicate space id '{sid}' (first used by {space_el[sid]})",
            "give every space a unique id",
        )
        ok = False
    attrs: dict[str, Any] = {}
    for field in SPACE_FIELDS[1:]:
        typ = SPACE_TYPES[field]
        hint = f"one of {', '.join(SPACE_KINDS)}" if field == "kind" else None
        required = field in _REQUIRED_SPACE
        good, value = read_field(out, raw, field, typ, f"{el}.{field}", required, hint)
        if good:
            attrs[field] = value
        elif field in ("x", "y"):
            attrs[field] = 0.0  # placeholder, already reported
        elif field == "kind":
            attrs[field] = "" if field not in raw else str(raw[field])
        else:
            attrs[field] = default_space_value(field, str(sid), attrs)
    if ok:
        g.add_node(sid, **attrs)
        space_el[sid] = el
    else:  # not in the graph, so the graph pass will not see it: check its values here
        _add_new(out, lambda o: space_values(o, attrs, el, levels))


def _connection_record(
    out: ProblemList,
    g: nx.Graph,
    position: Mapping[str, int],
    conn_el: dict[tuple[str, str], str],
    order: list[tuple[str, str]],
    first_pair: dict[frozenset, str],
    j: int,
    raw: Any,
    floor_height_m: float,
) -> None:
    if not isinstance(raw, dict):
        out.add(
            f"connections[{j}]",
            f"expected a mapping {{a: ..., b: ..., kind: ...}}, got {show(raw)}",
            "write each connection as '- {a: C101, b: H1, kind: door}'",
        )
        return
    a, b = raw.get("a"), raw.get("b")
    cid = raw.get("id")
    if not isinstance(cid, str) and isinstance(a, str) and isinstance(b, str):
        cid = f"{a}--{b}"
    el = record_element("connections", j, cid)
    add_unknown_keys(out, raw, CONNECTION_FIELDS, el)
    ends_ok = True
    for end in ("a", "b"):
        ok, sid = read_field(out, raw, end, "id", f"{el}.{end}", required=True)
        if ok and sid not in g:
            labelled = [n for n, d in g.nodes(data=True) if d.get("label") == sid]
            out.add(
                f"{el}.{end}",
                f"no space with id '{sid}'",
                f"'{sid}' is the label of space '{labelled[0]}'; write its id: {labelled[0]}"
                if labelled
                else "use the id of a space listed under spaces"
                + did_you_mean(sid, [str(n) for n in g.nodes], cutoff=0.5),
            )
            ok = False
        ends_ok = ends_ok and ok
    attrs: dict[str, Any] = {}
    for field in CONNECTION_FIELDS:
        if field in ("a", "b"):
            continue
        typ = "id" if field == "id" else CONNECTION_TYPES[field]
        hint = f"one of {', '.join(CONNECTION_KINDS)}" if field == "kind" else None
        required = field in _REQUIRED_CONNECTION
        good, value = read_field(out, raw, field, typ, f"{el}.{field}", required, hint)
        if good:
            attrs[field] = value
        elif field == "kind":
            attrs[field] = "" if field not in raw else str(raw[field])
        elif ends_ok:
            attrs[field] = default_connection_value(
                field, (a, b), attrs, (g.nodes[a], g.nodes[b]), floor_height_m
            )
    if not ends_ok:
        # not in the graph, so the graph pass will not see it: check its values here
        _add_new(out, lambda o: connection_values(o, attrs, el, complete=False))
        return
    pair = frozenset((a, b))
    if pair in first_pair:
        out.add(
            el,
            f"a second connection between '{a}' and '{b}' (the first is {first_pair[pair]})",
            "keep one connection per pair of spaces; model two doors side by side as one wider "
            "door (width_m)",
        )
        _add_new(out, lambda o: connection_values(o, attrs, el, complete=False))
        return
    first_pair[pair] = el
    if position[a] > position[b]:  # orient as the spaces are listed, whatever the format
        a, b = b, a
    g.add_edge(a, b, **attrs)
    order.append((a, b))
    conn_el[(a, b)] = el
