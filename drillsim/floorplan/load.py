"""Load a floorplan from YAML, GraphML or node-link JSON into a validated :class:`Floorplan`.

Every format is first turned into the YAML dict form and then goes through the same two passes,
so a mistake reads the same whatever the file type:

1. *record pass* (:func:`floorplan_from_dict`): shape and types of every record, unknown keys,
   duplicate ids, connection ends that name no space, two connections between the same pair.
   A bad field is replaced by a neutral placeholder so that checking can go on;
2. *graph pass* (:func:`validate_floorplan`): values (kinds, lock types, widths, ...) and topology
   (exits, reachability, securable rooms without a door).

All problems of both passes are raised together in one :class:`~drillsim.errors.ValidationError`.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from drillsim.errors import Problem, ProblemList, ValidationError
from drillsim.floorplan.model import (
    CONNECTION_FIELDS,
    CONNECTION_KINDS,
    CONNECTION_TYPES,
    DEFAULT_FLOOR_HEIGHT_M,
    DEFAULT_FLOORS,
    ID_PATTERN,
    LOCK_TYPES,
    SPACE_FIELDS,
    SPACE_KINDS,
    SPACE_TYPES,
    Floorplan,
    default_connection_value,
    default_space_value,
)

YAML_SUFFIXES = (".yaml", ".yml")
GRAPHML_SUFFIXES = (".graphml",)
JSON_SUFFIXES = (".json",)
TOP_KEYS = ("name", "floor_height_m", "floors", "spaces", "connections")
FLOOR_KEYS = ("level", "name")
_REQUIRED_SPACE = ("id", "kind", "x", "y")
_REQUIRED_CONNECTION = ("a", "b", "kind")
#: What each field holds, for "missing"/"wrong type" fixes.
_FIELD_HINTS = {
    "id": "a unique id of letters, digits, '_', '.', '-', e.g. id: C101",
    "floor": "the floor level as a whole number, e.g. floor: 0",
    "x": "the east-west plan position of the space's reference point in metres, e.g. x: 12.5",
    "y": "the north-south plan position of the space's reference point in metres, e.g. y: 4.0",
    "area_m2": "the floor area in square metres, e.g. area_m2: 72",
    "capacity": "a whole number of people, e.g. capacity: 24",
    "securable": "true or false",
    "safe_zone_capacity": "a whole number of people, e.g. safe_zone_capacity: 18",
    "pa": "true or false",
    "label": "text, e.g. label: Room 101",
    "assembly_distance_m": "a distance in metres, e.g. assembly_distance_m: 40",
    "size_w_m": "the drawn width in metres, e.g. size_w_m: 9",
    "size_h_m": "the drawn depth in metres, e.g. size_h_m: 8",
    "a": "the id of the space at one end, e.g. a: C101",
    "b": "the id of the space at the other end, e.g. b: H1",
    "width_m": "the clear width in metres, e.g. width_m: 0.91",
    "length_m": "the walking distance in metres, e.g. length_m: 6.5",
    "lock": f"one of: {', '.join(LOCK_TYPES)}",
    "exterior": "true or false",
    "name": "text, e.g. name: Fictional Elementary School",
    "level": "a whole number, e.g. level: 0",
    "floor_height_m": "the floor-to-floor height in metres, e.g. floor_height_m: 3.6",
}
_TYPE_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "str": "text",
    "id": "text",
}


# ----------------------------------------------------------------------------------------------
# small helpers


def did_you_mean(word: object, options: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str:
    """``" (did you mean 'x'?)"`` for the closest option, or ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    if not close:
        close = [o for o in options if o.lower() == word.lower()][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _one_of(options: tuple[str, ...] | list[str], word: object) -> str:
    return f"use one of: {', '.join(options)}{did_you_mean(word, options)}"


def _space_el(index: int, sid: object) -> str:
    return f"spaces[{index}] (id '{sid}')" if isinstance(sid, str) else f"spaces[{index}]"


def _conn_el(index: int, cid: object) -> str:
    return f"connections[{index}] (id '{cid}')" if isinstance(cid, str) else f"connections[{index}]"


def _show(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _coerce(value: Any, typ: str) -> tuple[bool, Any]:
    """Check a raw value against a field type; ints become floats for metres, 3.0 -> 3 for ints."""
    if typ == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return True, float(value)
        return False, None
    if typ == "int":
        if isinstance(value, bool):
            return False, None
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        return False, None
    if typ == "bool":
        return (True, value) if isinstance(value, bool) else (False, None)
    # str / id
    return (True, value) if isinstance(value, str) else (False, None)


def _has_type(value: Any, typ: str) -> bool:
    if typ == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)


def _type_fix(field: str, value: Any, typ: str) -> str:
    hint = _FIELD_HINTS.get(field, _TYPE_WORDS[typ])
    if typ in ("str", "id") and isinstance(value, int | float) and not isinstance(value, bool):
        return f"quote it so that it is read as text: {field}: '{value}'"
    return f"write {hint}"


def _unknown_keys(out: ProblemList, raw: Mapping, known: tuple[str, ...], prefix: str) -> None:
    for key in raw:
        if key not in known:
            element = f"{prefix}.{key}" if prefix else str(key)
            out.add(
                element,
                f"unknown key '{key}'",
                f"remove it or use one of: {', '.join(known)}{did_you_mean(key, known)}",
            )


def _field(
    out: ProblemList,
    raw: Mapping,
    field: str,
    typ: str,
    element: str,
    required: bool,
    hint: str | None = None,
) -> tuple[bool, Any]:
    """Read one field: (True, value) if present and well-typed, else report and (False, None)."""
    if field not in raw:
        if required:
            out.add(
                element,
                f"missing required key '{field}'",
                f"add {field}: {hint or _FIELD_HINTS[field]}",
            )
        return False, None
    ok, value = _coerce(raw[field], typ)
    if not ok:
        out.add(
            element,
            f"{field} must be {_TYPE_WORDS[typ]}, got {_show(raw[field])}",
            _type_fix(field, raw[field], typ),
        )
    return ok, value


# ----------------------------------------------------------------------------------------------
# public API


def load_floorplan(path: str | os.PathLike) -> Floorplan:
    """Read and validate a floorplan file, choosing the format by suffix.

    Parameters
    ----------
    path : str or PathLike
        ``.yaml``/``.yml`` (the documented format, see ``floorplans/README.md``), ``.graphml``
        (as written by :func:`drillsim.floorplan.save_floorplan` or ``networkx.write_graphml``)
        or ``.json`` (networkx node-link data).

    Returns
    -------
    Floorplan
        With every default filled in and the graph frozen.

    Raises
    ------
    ValidationError
        Listing every problem in the file (a missing file or a syntax error is one problem).
    """
    p = Path(path)
    source = str(path)
    suffix = p.suffix.lower()
    known = YAML_SUFFIXES + GRAPHML_SUFFIXES + JSON_SUFFIXES
    if suffix not in known:
        raise ValidationError(
            [
                Problem(
                    source,
                    "<file>",
                    f"unsupported file type '{p.suffix or '(none)'}'",
                    f"use a file ending in one of: {', '.join(known)}",
                )
            ]
        )
    if not p.is_file():
        raise ValidationError(
            [
                Problem(
                    source,
                    "<file>",
                    "file not found" if not p.exists() else "not a regular file",
                    "check the path (relative paths are taken from the current directory)",
                )
            ]
        )
    if suffix in YAML_SUFFIXES:
        data, pre = _read_yaml(p, source)
    elif suffix in GRAPHML_SUFFIXES:
        data, pre = _read_graphml(p, source)
    else:
        data, pre = _read_json(p, source)
    if data is None:
        raise ValidationError(pre)
    return _from_dict(data, source, pre)


def floorplan_from_dict(data: dict, source: str = "<memory>") -> Floorplan:
    """Validate a floorplan given in the YAML dict form and build the :class:`Floorplan`.

    Parameters
    ----------
    data : dict
        Keys ``name``, ``floor_height_m``, ``floors``, ``spaces``, ``connections`` as documented in
        ``floorplans/README.md``.
    source : str
        Named as the file in every problem.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    return _from_dict(data, source, [])


def validate_floorplan(fp: Floorplan) -> list[Problem]:
    """Graph-level checks of a floorplan; returns the problems (empty if it is valid).

    Checks attribute types and values (kinds, lock types, widths, lengths, capacities, ids,
    declared floors), connections (self-loops, duplicate ids, locks on non-doors, stairs that do
    not change floor, non-stairs that do) and topology (an exit exists, every exit has an exterior
    door or opening, every space can reach an exit, every securable space has a door). Loaders
    run it; call it yourself on a graph you changed.
    """
    return _graph_problems(fp, {}, {})


# ----------------------------------------------------------------------------------------------
# readers


class _YamlLoader(yaml.SafeLoader):
    """Safe loader that records keys given twice in one mapping (PyYAML keeps the last silently)."""

    duplicates: list[tuple[str, int]]


def _map_noting_duplicates(loader: _YamlLoader, node: yaml.MappingNode) -> Any:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            if key_node.value in seen:
                loader.duplicates.append((key_node.value, key_node.start_mark.line + 1))
            seen.add(key_node.value)
    return loader.construct_yaml_map(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:map", _map_noting_duplicates)


def _read_yaml(p: Path, source: str) -> tuple[Any, list[Problem]]:
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return None, [
            Problem(source, "<file>", f"not UTF-8 text ({err.reason})", "save it as UTF-8")
        ]
    return parse_yaml_text(text, source)


def parse_yaml_text(text: str, source: str = "<memory>") -> tuple[Any, list[Problem]]:
    """Parse YAML text; ``(data, problems)`` with ``data`` None when it cannot be read at all."""
    loader = _YamlLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        element = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<file>"
        what = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        message = f"invalid YAML: {what}" + (f" ({context})" if context else "")
        return None, [
            Problem(
                source,
                element,
                message,
                "fix the YAML syntax there (indentation, a missing ':' or an unclosed bracket "
                "or quote)",
            )
        ]
    finally:
        loader.dispose()
    problems = [
        Problem(
            source,
            f"line {line}",
            f"key '{key}' is given twice in the same mapping",
            "remove one of them (YAML would silently keep the last)",
        )
        for key, line in loader.duplicates
    ]
    if data is None:
        return None, [
            *problems,
            Problem(source, "<file>", "the file is empty", "see floorplans/README.md"),
        ]
    return data, problems


def _read_graphml(p: Path, source: str) -> tuple[dict | None, list[Problem]]:
    try:
        g = nx.read_graphml(p)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as err:
        return None, [
            Problem(
                source,
                "<file>",
                f"not a readable GraphML file: {err}",
                "write it with drillsim's save_floorplan or networkx.write_graphml",
            )
        ]
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    for key, value in g.graph.items():
        if key in ("node_default", "edge_default"):
            continue
        if key == "floors" and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as err:
                problems.append(
                    Problem(
                        source,
                        "floors",
                        f"graph attribute 'floors' is not valid JSON ({err.msg})",
                        'write it as JSON text, e.g. [{"level": 0, "name": "Ground floor"}]',
                    )
                )
                continue
        data[key] = value
    data["spaces"] = [{"id": n, **d} for n, d in g.nodes(data=True)]
    data["connections"] = _edge_records((u, v, dict(d)) for u, v, d in g.edges(data=True))
    return data, problems


def _edge_records(edges: Any) -> list[dict]:
    """Edge triples to connection records, in the saved file order when an ``order`` is present."""
    items = list(edges)

    def rank(item: tuple[int, tuple]) -> tuple[int, int]:
        i, (_, _, d) = item
        order = d.get("order")
        return (
            (order, i) if isinstance(order, int) and not isinstance(order, bool) else (1 << 62, i)
        )

    out = []
    for _, (u, v, d) in sorted(enumerate(items), key=rank):
        d.pop("order", None)
        d.pop("key", None)
        out.append({"a": u, "b": v, **d})
    return out


def _read_json(p: Path, source: str) -> tuple[dict | None, list[Problem]]:
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        return None, [
            Problem(source, "<file>", f"not UTF-8 text ({err.reason})", "save it as UTF-8")
        ]
    except json.JSONDecodeError as err:
        return None, [
            Problem(
                source,
                f"line {err.lineno}, column {err.colno}",
                f"invalid JSON: {err.msg}",
                "fix the JSON syntax there",
            )
        ]
    return node_link_to_dict(obj, source)


def node_link_to_dict(obj: Any, source: str = "<memory>") -> tuple[dict | None, list[Problem]]:
    """Turn networkx node-link data into the YAML dict form (``(None, problems)`` if impossible)."""
    edges_key = "edges" if isinstance(obj, dict) and "edges" in obj else "links"
    if not (
        isinstance(obj, dict)
        and isinstance(obj.get("nodes"), list)
        and isinstance(obj.get(edges_key, []), list)
    ):
        return None, [
            Problem(
                source,
                "<top level>",
                "expected networkx node-link JSON: an object with 'graph', 'nodes' and 'edges'",
                "write it with drillsim's save_floorplan or networkx.node_link_data(G, "
                "edges='edges')",
            )
        ]
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    graph = obj.get("graph", {})
    if isinstance(graph, dict):
        for key, value in graph.items():
            if key == "floors" and isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as err:
                    problems.append(
                        Problem(
                            source,
                            "floors",
                            f"graph attribute 'floors' is not valid JSON ({err.msg})",
                            'write it as a list, e.g. [{"level": 0, "name": "Ground floor"}]',
                        )
                    )
                    continue
            data[key] = value
    else:
        problems.append(
            Problem(
                source, "graph", "'graph' must be an object", 'write e.g. "graph": {"name": ...}'
            )
        )
    data["spaces"] = [dict(n) if isinstance(n, dict) else n for n in obj["nodes"]]
    triples = []
    records = []
    for e in obj.get(edges_key, []):
        if isinstance(e, dict):
            d = dict(e)
            triples.append((d.pop("source", None), d.pop("target", None), d))
        else:
            records.append(e)
    conns = _edge_records(triples)
    for rec in conns:
        # an end missing from the JSON stays missing, so that it is reported as such
        for end in ("a", "b"):
            if rec[end] is None:
                del rec[end]
    data["connections"] = conns + records
    return data, problems


# ----------------------------------------------------------------------------------------------
# record pass


def _from_dict(data: Any, source: str, pre: list[Problem]) -> Floorplan:
    out = ProblemList(source)
    out.extend(pre)
    if not isinstance(data, dict):
        out.add(
            "<top level>",
            f"expected a mapping with keys {', '.join(TOP_KEYS)}; got {type(data).__name__}",
            "start the file with 'name:', 'spaces:' and 'connections:' (see floorplans/README.md)",
        )
        out.raise_if_any()
    _unknown_keys(out, data, TOP_KEYS, "")

    ok, name = _field(out, data, "name", "str", "name", required=True)
    name = name if ok else ""
    floor_height_m = DEFAULT_FLOOR_HEIGHT_M
    if "floor_height_m" in data:
        ok, value = _field(out, data, "floor_height_m", "float", "floor_height_m", required=False)
        floor_height_m = value if ok else DEFAULT_FLOOR_HEIGHT_M
    floors = _floors(out, data)

    spaces = data.get("spaces")
    if "spaces" not in data:
        out.add("spaces", "missing required key 'spaces'", "add spaces: [...] listing every space")
        spaces = []
    elif not isinstance(spaces, list):
        out.add(
            "spaces",
            f"spaces must be a list of spaces, got {type(spaces).__name__}",
            "write spaces: followed by lines '- {id: ..., kind: ..., x: ..., y: ...}'",
        )
        spaces = []
    conns = data.get("connections", [])
    if conns is None:
        conns = []
    if not isinstance(conns, list):
        out.add(
            "connections",
            f"connections must be a list of connections, got {type(conns).__name__}",
            "write connections: followed by lines '- {a: ..., b: ..., kind: door}'",
        )
        conns = []

    g = nx.Graph()
    space_el: dict[str, str] = {}
    for i, raw in enumerate(spaces):
        _space_record(out, g, space_el, i, raw, [lv for lv, _ in floors])
    conn_el: dict[tuple[str, str], str] = {}
    order: list[tuple[str, str]] = []
    first_pair: dict[frozenset, str] = {}
    position = {sid: i for i, sid in enumerate(g.nodes)}
    for j, raw in enumerate(conns):
        _connection_record(out, g, position, conn_el, order, first_pair, j, raw, floor_height_m)
    g.graph["edge_order"] = order
    nx.freeze(g)
    fp = Floorplan(name=name, graph=g, source=source, floor_height_m=floor_height_m, floors=floors)
    reported = {p.element for p in out.problems}
    out.extend([p for p in _graph_problems(fp, space_el, conn_el) if p.element not in reported])
    if out:
        raise ValidationError(sorted(out.problems, key=_file_position))
    return fp


_POSITION = re.compile(r"^(line |floors\[|spaces\[|connections\[)(\d+)")
_SECTION = {"line ": 0, "floors[": 2, "spaces[": 3, "connections[": 4}


def _file_position(problem: Problem) -> tuple[int, int]:
    """Sort key: problems in the order their elements appear in the file (stable otherwise)."""
    m = _POSITION.match(problem.element)
    if m:
        return _SECTION[m.group(1)], int(m.group(2))
    if problem.element in ("<file>", "<top level>"):
        return 0, 0
    if problem.element.split(".")[0] in ("spaces", "connections"):
        return 5, 0  # whole-plan problems (e.g. no exit) after the records
    return 1, 0


def _floors(out: ProblemList, data: Mapping) -> tuple[tuple[int, str], ...]:
    if "floors" not in data:
        return DEFAULT_FLOORS
    raw = data["floors"]
    if not isinstance(raw, list) or not raw:
        out.add(
            "floors",
            f"floors must be a non-empty list, got {_show(raw)}",
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
                f"expected a mapping {{level, name}}, got {_show(rec)}",
                "write e.g. {level: 0, name: Ground floor}",
            )
            continue
        _unknown_keys(out, rec, FLOOR_KEYS, el)
        ok_l, level = _field(out, rec, "level", "int", f"{el}.level", required=True)
        ok_n, fname = _field(out, rec, "name", "str", f"{el}.name", required=False)
        if not ok_l:
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


def _add_new(out: ProblemList, check: Any) -> None:
    """Run ``check(problem_list)`` and keep only problems at elements not reported yet."""
    extra = ProblemList(out.file)
    check(extra)
    reported = {p.element for p in out.problems}
    out.extend([p for p in extra.problems if p.element not in reported])


def _space_record(
    out: ProblemList, g: nx.Graph, space_el: dict[str, str], i: int, raw: Any, levels: list[int]
) -> None:
    if not isinstance(raw, dict):
        out.add(
            f"spaces[{i}]",
            f"expected a mapping {{id: ..., kind: ..., x: ..., y: ...}}, got {_show(raw)}",
            "write each space as '- {id: C101, kind: classroom, x: 12.0, y: 4.5}'",
        )
        return
    sid = raw.get("id")
    el = _space_el(i, sid)
    _unknown_keys(out, raw, SPACE_FIELDS, el)
    ok, sid = _field(out, raw, "id", "id", f"{el}.id", required=True)
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
        good, value = _field(out, raw, field, typ, f"{el}.{field}", field in _REQUIRED_SPACE, hint)
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
        _add_new(out, lambda o: _space_values(o, attrs, el, levels))


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
            f"expected a mapping {{a: ..., b: ..., kind: ...}}, got {_show(raw)}",
            "write each connection as '- {a: C101, b: H1, kind: door}'",
        )
        return
    a, b = raw.get("a"), raw.get("b")
    cid = raw.get("id")
    if not isinstance(cid, str) and isinstance(a, str) and isinstance(b, str):
        cid = f"{a}--{b}"
    el = _conn_el(j, cid)
    _unknown_keys(out, raw, CONNECTION_FIELDS, el)
    ends_ok = True
    for end in ("a", "b"):
        ok, sid = _field(out, raw, end, "id", f"{el}.{end}", required=True)
        if ok and sid not in g:
            out.add(
                f"{el}.{end}",
                f"no space with id '{sid}'",
                "use the id of a space listed under spaces"
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
        good, value = _field(
            out, raw, field, typ, f"{el}.{field}", field in _REQUIRED_CONNECTION, hint
        )
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
        _add_new(out, lambda o: _connection_values(o, attrs, el, complete=False))
        return
    pair = frozenset((a, b))
    if pair in first_pair:
        out.add(
            el,
            f"a second connection between '{a}' and '{b}' (the first is {first_pair[pair]})",
            "keep one connection per pair of spaces; model two doors side by side as one wider "
            "door (width_m)",
        )
        _add_new(out, lambda o: _connection_values(o, attrs, el, complete=False))
        return
    first_pair[pair] = el
    if position[a] > position[b]:  # orient as the spaces are listed, whatever the format
        a, b = b, a
    g.add_edge(a, b, **attrs)
    order.append((a, b))
    conn_el[(a, b)] = el


# ----------------------------------------------------------------------------------------------
# graph pass


def _graph_problems(
    fp: Floorplan, space_el: Mapping[str, str], conn_el: Mapping[tuple[str, str], str]
) -> list[Problem]:
    out = ProblemList(fp.source)
    g = fp.graph
    if not isinstance(fp.name, str) or not fp.name.strip():
        out.add(
            "name", f"the floorplan name is empty ({fp.name!r})", f"write {_FIELD_HINTS['name']}"
        )
    fh = fp.floor_height_m
    if not _has_type(fh, "float") or not math.isfinite(fh) or fh <= 0:
        out.add(
            "floor_height_m",
            f"floor_height_m must be a number greater than 0 m, got {fh!r}",
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

    # --- spaces
    kinds: dict[str, Any] = {}
    for index, (sid, attrs) in enumerate(g.nodes(data=True)):
        el = space_el.get(sid) or _space_el(index, sid)
        kinds[sid] = attrs.get("kind")
        _check_id(out, sid, f"{el}.id", "space")
        _space_values(out, attrs, el, levels)

    # --- connections
    first_id: dict[str, str] = {}
    for index, (a, b, attrs) in enumerate(fp.connections()):
        cid = attrs.get("id")
        el = conn_el.get((a, b)) or _conn_el(index, cid if isinstance(cid, str) else f"{a}--{b}")
        good, kind = _connection_values(out, attrs, el)
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
        fa, fb = g.nodes[a].get("floor"), g.nodes[b].get("floor")
        if not (_has_type(fa, "int") and _has_type(fb, "int")) or kind is None:
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

    # --- topology
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
        return space_el.get(s) or _space_el(index_of[s], s)

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
    return out.problems


def _check_id(out: ProblemList, value: Any, element: str, what: str) -> None:
    if not isinstance(value, str):
        out.add(element, f"{what} id must be text, got {_show(value)}", "use a text id, e.g. C101")
    elif not ID_PATTERN.fullmatch(value):
        suggestion = "".join(c if ID_PATTERN.fullmatch(c) else "_" for c in value) or "X1"
        out.add(
            element,
            f"{what} id '{value}' has characters other than letters, digits, '_', '.' and '-'",
            f"rename it, e.g. '{suggestion}' (and every reference to it)",
        )


def _check_types(
    out: ProblemList, attrs: Mapping, types: Mapping[str, str], el: str, complete: bool = True
) -> set[str]:
    """Report missing or mistyped attributes; return the names that are present and well-typed."""
    good = set()
    for field, typ in types.items():
        if field not in attrs:
            if not complete:
                continue
            out.add(
                f"{el}.{field}",
                f"attribute '{field}' is missing",
                "build floorplans with load_floorplan or floorplan_from_dict, which fill "
                "in every default",
            )
        elif not _has_type(attrs[field], typ):
            out.add(
                f"{el}.{field}",
                f"{field} must be {_TYPE_WORDS[typ]}, got {_show(attrs[field])}",
                _type_fix(field, attrs[field], typ),
            )
        else:
            good.add(field)
    return good


def _space_values(out: ProblemList, attrs: Mapping, el: str, levels: list[int]) -> set[str]:
    """Types and values of one space's attributes (everything that needs no other record)."""
    good = _check_types(out, attrs, SPACE_TYPES, el)
    if "kind" in good and attrs["kind"] not in SPACE_KINDS:
        out.add(
            f"{el}.kind", f"unknown kind '{attrs['kind']}'", _one_of(SPACE_KINDS, attrs["kind"])
        )
    if "floor" in good and attrs["floor"] not in levels:
        out.add(
            f"{el}.floor",
            f"floor {attrs['floor']} is not declared in floors "
            f"(declared: {', '.join(map(str, levels))})",
            f"add {{level: {attrs['floor']}, name: ...}} to floors, or use a declared level",
        )
    for field in ("x", "y"):
        if field in good and not math.isfinite(attrs[field]):
            out.add(
                f"{el}.{field}",
                f"{field} must be a finite number, got {attrs[field]!r}",
                f"write {_FIELD_HINTS[field]}",
            )
    for field, unit in (("area_m2", "m²"), ("assembly_distance_m", "m")):
        v = attrs.get(field)
        if field in good and (not math.isfinite(v) or v < 0):
            out.add(
                f"{el}.{field}",
                f"{field} must be 0 {unit} or more, got {v!r}",
                f"write {_FIELD_HINTS[field]} (0 or more)",
            )
    for field in ("capacity", "safe_zone_capacity"):
        v = attrs.get(field)
        if field in good and v < 0:
            out.add(
                f"{el}.{field}",
                f"{field} must be 0 or more people, got {v}",
                f"write {_FIELD_HINTS[field]} (0 or more)",
            )
    for field in ("size_w_m", "size_h_m"):
        v = attrs.get(field)
        if field in good and (not math.isfinite(v) or v <= 0):
            out.add(
                f"{el}.{field}",
                f"{field} must be greater than 0 m, got {v!r}",
                f"write {_FIELD_HINTS[field]}, or leave it out to use sqrt(area_m2)",
            )
    return good


def _connection_values(
    out: ProblemList, attrs: Mapping, el: str, complete: bool = True
) -> tuple[set[str], str | None]:
    """Types and values of one connection's attributes; returns (well-typed fields, valid kind).

    ``complete=False`` for a record dropped from the graph (its defaults could not be filled),
    so that absent attributes are not reported.
    """
    good = _check_types(out, attrs, CONNECTION_TYPES, el, complete)
    if "id" in good:
        _check_id(out, attrs["id"], f"{el}.id", "connection")
    kind = attrs.get("kind") if "kind" in good else None
    if kind is not None and kind not in CONNECTION_KINDS:
        out.add(f"{el}.kind", f"unknown kind '{kind}'", _one_of(CONNECTION_KINDS, kind))
        kind = None
    for field, what, example in (
        ("width_m", "the clear width of the doorway or passage", "0.91"),
        ("length_m", "the walking distance between the two spaces", "6.5"),
    ):
        v = attrs.get(field)
        if field in good and (not math.isfinite(v) or v <= 0):
            extra = " (or leave it out to compute it from x, y)" if field == "length_m" else ""
            out.add(
                f"{el}.{field}",
                f"{field} must be greater than 0 m, got {v!r}",
                f"give {what} in metres, e.g. {field}: {example}{extra}",
            )
    lock = attrs.get("lock") if "lock" in good else None
    if lock is not None and lock not in LOCK_TYPES:
        out.add(f"{el}.lock", f"unknown lock type '{lock}'", _one_of(LOCK_TYPES, lock))
    elif lock not in (None, "none") and kind is not None and kind != "door":
        out.add(
            f"{el}.lock",
            f"only doors can have a lock, but this {kind} has lock '{lock}'",
            "set kind: door if there is a lockable door here, else remove the lock",
        )
    return good, kind
