"""The graph pass: check a built :class:`Floorplan` as a whole.

Plan-level values (name, floor height, floor levels), every space's and connection's values,
connections against their ends (self-loops, duplicate ids, stairs that do not change floor,
non-stairs that do) and topology (an exit exists, every exit has an exterior door or opening, every
space can reach an exit, every securable space has a door).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import networkx as nx

from drillsim.errors import Problem, ProblemList
from drillsim.floorplan.fields import FIELD_HINTS, has_type, record_element
from drillsim.floorplan.model import Floorplan
from drillsim.floorplan.values import check_id, connection_values, space_values


def graph_problems(
    fp: Floorplan, space_el: Mapping[str, str], conn_el: Mapping[tuple[str, str], str]
) -> list[Problem]:
    """Every graph-level problem of a floorplan.

    Parameters
    ----------
    fp : Floorplan
    space_el, conn_el : Mapping
        The element (``spaces[3] (id 'C101')``) of each space id and connection ``(a, b)`` as
        the file names it; others are named by their position in the graph.

    Returns
    -------
    list of Problem
        Empty if the floorplan is valid.
    """
    out = ProblemList(fp.source)
    levels = _plan_problems(out, fp)
    _space_problems(out, fp, space_el, levels)
    _connection_problems(out, fp, conn_el)
    _topology_problems(out, fp, space_el)
    return out.problems


def _plan_problems(out: ProblemList, fp: Floorplan) -> list[int]:
    """Name, floor height and floor levels; returns the declared levels."""
    if not isinstance(fp.name, str) or not fp.name.strip():
        out.add(
            "name", f"the floorplan name is empty ({fp.name!r})", f"write {FIELD_HINTS['name']}"
        )
    fh = fp.floor_height_m
    if not has_type(fh, "float") or not math.isfinite(fh) or not 0 < fh <= 100:
        out.add(
            "floor_height_m",
            f"floor_height_m must be a number greater than 0 m and at most 100 m, got {fh!r}",
            "give the floor-to-floor height in metres, e.g. floor_height_m: 3.6",
        )
    levels = [lv for lv, _ in fp.floors]
    for i, lv in enumerate(levels):
        if lv in levels[:i]:
            out.add(
                f"floors[{i}].level",
                f"floor level {lv} is declared twice",
                "declare every floor level once",
            )
    return levels


def _space_problems(
    out: ProblemList, fp: Floorplan, space_el: Mapping[str, str], levels: list[int]
) -> None:
    areas = [(s, fp.outside.nodes[s]) for s in fp.assembly_areas]
    for index, (sid, attrs) in enumerate([*fp.graph.nodes(data=True), *areas]):
        el = space_el.get(sid) or record_element("spaces", index, sid)
        check_id(out, sid, f"{el}.id", "space")
        space_values(out, attrs, el, levels)


def _connection_problems(
    out: ProblemList, fp: Floorplan, conn_el: Mapping[tuple[str, str], str]
) -> None:
    g = fp.graph
    first_id: dict[str, str] = {}
    for index, (a, b, attrs) in enumerate([*fp.connections(), *fp.walkways()]):
        cid = attrs.get("id")
        el = conn_el.get((a, b)) or record_element(
            "connections", index, cid if isinstance(cid, str) else f"{a}--{b}"
        )
        good, kind = connection_values(out, attrs, el)
        if "id" in good:
            if cid in first_id:
                out.add(
                    f"{el}.id",
                    f"duplicate connection id '{cid}' (first used by {first_id[cid]})",
                    "give every connection a unique id",
                )
            else:
                first_id[cid] = el
        if a == b:
            out.add(
                el,
                f"connects space '{a}' to itself",
                "a connection joins two different spaces: correct a or b",
            )
            continue
        if kind == "walkway":
            continue  # outside: no floor rule (a hillside exit may be on an upper floor)
        fa, fb = g.nodes[a].get("floor"), g.nodes[b].get("floor")
        if not (has_type(fa, "int") and has_type(fb, "int")) or kind is None:
            continue
        if kind == "stair" and fa == fb:
            out.add(
                f"{el}.kind",
                f"stair connection between '{a}' and '{b}', both on floor {fa}",
                "a stair joins two different floors: correct the floor of one end, or use "
                "kind: opening or door within a floor",
            )
        elif kind != "stair" and fa != fb:
            out.add(
                f"{el}.kind",
                f"{kind} connection between '{a}' (floor {fa}) and '{b}' (floor {fb})",
                "use kind: stair between floors, or correct the floor of one end",
            )


def _topology_problems(out: ProblemList, fp: Floorplan, space_el: Mapping[str, str]) -> None:
    g = fp.graph
    kinds: dict[str, Any] = {sid: attrs.get("kind") for sid, attrs in g.nodes(data=True)}
    exits = [s for s in g.nodes if kinds.get(s) == "exit"]
    if not exits and g.number_of_nodes():
        out.add(
            "spaces",
            "no exit space (kind: exit) in the floorplan",
            "add at least one space with kind: exit (the outside side of an exterior door) "
            "and connect it to the building with a door",
        )
    index_of = {s: i for i, s in enumerate(g.nodes)}

    def sel(s: str) -> str:
        return space_el.get(s) or record_element("spaces", index_of[s], s)

    for s in exits:
        if not any(
            a != b and d.get("kind") in ("door", "opening") and d.get("exterior") is True
            for a, b, d in g.edges(s, data=True)
        ):
            out.add(
                sel(s),
                f"exit '{s}' has no exterior door or opening",
                "connect it to the building with a door or opening that has exterior: true "
                "(the default for connections to an exit)",
            )
    if exits:
        for comp in sorted(nx.connected_components(g), key=lambda c: min(index_of[s] for s in c)):
            if any(kinds.get(s) == "exit" for s in comp):
                continue
            members = sorted(comp, key=index_of.__getitem__)
            shown = ", ".join(members[:6]) + (", ..." if len(members) > 6 else "")
            for s in members:
                out.add(
                    sel(s),
                    f"space '{s}' cannot reach any exit (its connected group of "
                    f"{len(members)}: {shown})",
                    "connect it (or its group) to a corridor or exit with a door or opening",
                )
    for s, attrs in g.nodes(data=True):
        if attrs.get("securable") is True and not any(
            a != b and d.get("kind") == "door" for a, b, d in g.edges(s, data=True)
        ):
            out.add(
                f"{sel(s)}.securable",
                f"securable {kinds.get(s)} '{s}' has no door",
                "add a door connection (kind: door) to it, or set securable: false if it "
                "cannot be locked down",
            )
    _inner_door_problems(out, fp, exits)
    _assembly_problems(out, fp, exits, space_el)


def _assembly_problems(
    out: ProblemList, fp: Floorplan, exits: list[str], space_el: Mapping[str, str]
) -> None:
    """With assembly areas, every exit must reach one over walkways and every area an exit."""
    areas = fp.assembly_areas
    if not areas:
        return
    o = fp.outside
    index_of = {s: i for i, s in enumerate([*fp.graph.nodes, *areas])}

    def sel(s: str) -> str:
        return space_el.get(s) or record_element("spaces", index_of[s], s)

    for a in areas:
        if not any(e in o and nx.has_path(o, a, e) for e in exits):
            out.add(
                sel(a),
                f"assembly area '{a}' is joined to no exit",
                f"add a walkway from an exit to it, e.g. {{a: {exits[0] if exits else 'EX-1'}, "
                f"b: {a}, kind: walkway, length_m: 60}}",
            )
    for e in exits:
        if e not in o or not any(nx.has_path(o, e, a) for a in areas):
            out.add(
                sel(e),
                f"exit '{e}' leads to no assembly area (the floorplan has assembly areas, so every "
                "exit needs a walkway to one)",
                f"add a walkway from '{e}' to an assembly area, e.g. {{a: {e}, b: {areas[0]}, "
                "kind: walkway, length_m: 60}",
            )


def _inner_door_problems(out: ProblemList, fp: Floorplan, exits: list[str]) -> None:
    """An ``inner: true`` door must lead from a securable room into a space reachable only
    through that room (its own locker room, storeroom or office), else it is an entry door."""
    g = fp.graph
    for index, (a, b, d) in enumerate(fp.connections()):
        if d.get("inner") is not True or d.get("kind") != "door":
            continue
        el = record_element("connections", index, str(d.get("id")))
        rooms = [s for s in (a, b) if g.nodes[s].get("securable") is True]
        if not rooms:
            out.add(
                f"{el}.inner",
                f"inner door between '{a}' and '{b}', neither of which is securable",
                "remove inner: true (an inner door belongs to a securable room's suite)",
            )
            continue
        ok = False
        for room in rooms:
            other = b if room == a else a
            rest = g.subgraph([s for s in g.nodes if s != room])
            reach = nx.node_connected_component(rest, other)
            if not any(e in reach for e in exits):
                ok = True
        if not ok:
            out.add(
                f"{el}.inner",
                f"'{a}' and '{b}' can both be reached without passing through the other, so "
                "this door is an entry door, not an inner one",
                "remove inner: true and give the door a lock (e.g. lock: thumbturn)",
            )
