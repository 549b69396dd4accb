"""Read a floorplan file (YAML, GraphML or node-link JSON) into the YAML dict form.

Nothing here checks the floorplan itself: a reader only turns the file into the dict that
:func:`drillsim.floorplan.floorplan_from_dict` takes, and reports what stops it from doing so (a
missing file, bad encoding, a syntax error) plus YAML keys given twice, which the dict form cannot
show. Every reader returns ``(data, problems)`` with ``data`` None when the file cannot be read.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from drillsim.errors import Problem

YAML_SUFFIXES = (".yaml", ".yml")
GRAPHML_SUFFIXES = (".graphml",)
JSON_SUFFIXES = (".json",)


def unsupported_file_type(path: str | os.PathLike) -> Problem:
    """The problem for a path whose suffix names no floorplan format (reading or writing)."""
    known = YAML_SUFFIXES + GRAPHML_SUFFIXES + JSON_SUFFIXES
    return Problem(
        str(path),
        "<file>",
        f"unsupported file type '{Path(path).suffix or '(none)'}'",
        f"use a file ending in one of: {', '.join(known)}",
    )


def read_floorplan_file(path: str | os.PathLike) -> tuple[Any, list[Problem]]:
    """Read a floorplan file into the YAML dict form, choosing the format by suffix.

    Parameters
    ----------
    path : str or PathLike
        ``.yaml``/``.yml``, ``.graphml`` or ``.json`` (networkx node-link data).

    Returns
    -------
    (object, list of Problem)
        The data (None if the file cannot be read at all) and the problems found while reading.
    """
    p = Path(path)
    source = str(path)
    suffix = p.suffix.lower()
    if suffix not in YAML_SUFFIXES + GRAPHML_SUFFIXES + JSON_SUFFIXES:
        return None, [unsupported_file_type(path)]
    if not p.is_file():
        return None, [
            Problem(
                source,
                "<file>",
                "file not found" if not p.exists() else "not a regular file",
                "check the path (relative paths are taken from the current directory)",
            )
        ]
    if suffix in YAML_SUFFIXES:
        return _read_yaml(p, source)
    if suffix in GRAPHML_SUFFIXES:
        return _read_graphml(p, source)
    return _read_json(p, source)


def _read_text(p: Path, source: str) -> tuple[str | None, list[Problem]]:
    try:
        return p.read_text(encoding="utf-8"), []
    except UnicodeDecodeError as err:
        return None, [
            Problem(source, "<file>", f"not UTF-8 text ({err.reason})", "save it as UTF-8")
        ]


# ----------------------------------------------------------------------------------------------
# YAML


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
    text, problems = _read_text(p, source)
    if text is None:
        return None, problems
    return parse_yaml_text(text, source)


def parse_yaml_text(text: str, source: str = "<memory>") -> tuple[Any, list[Problem]]:
    """Parse YAML text, reporting syntax errors and keys given twice in one mapping.

    Parameters
    ----------
    text : str
        The YAML text.
    source : str
        Named as the file in every problem.

    Returns
    -------
    (object, list of Problem)
        ``data`` is None when the text cannot be read at all (a syntax error, or empty).
    """
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


# ----------------------------------------------------------------------------------------------
# GraphML and node-link JSON


def _graph_attributes(
    items: Iterable[tuple[Any, Any]], source: str, floors_fix: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Graph attributes as top-level keys; ``floors`` may be JSON text (GraphML has no lists)."""
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    for key, value in items:
        if key == "floors" and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as err:
                problems.append(
                    Problem(
                        source,
                        "floors",
                        f"graph attribute 'floors' is not valid JSON ({err.msg})",
                        floors_fix,
                    )
                )
                continue
        data[key] = value
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
    data, problems = _graph_attributes(
        ((k, v) for k, v in g.graph.items() if k not in ("node_default", "edge_default")),
        source,
        'write it as JSON text, e.g. [{"level": 0, "name": "Ground floor"}]',
    )
    data["spaces"] = [{"id": n, **d} for n, d in g.nodes(data=True)]
    data["connections"] = _edge_records((u, v, dict(d)) for u, v, d in g.edges(data=True))
    return data, problems


def _edge_records(edges: Iterable[tuple[Any, Any, dict]]) -> list[dict]:
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
    text, problems = _read_text(p, source)
    if text is None:
        return None, problems
    try:
        obj = json.loads(text)
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
    """Turn networkx node-link data into the YAML dict form.

    Parameters
    ----------
    obj : object
        Parsed JSON: ``{"graph": {...}, "nodes": [...], "edges": [...]}`` (or ``"links"``).
    source : str
        Named as the file in every problem.

    Returns
    -------
    (dict or None, list of Problem)
        ``(None, problems)`` when ``obj`` is not node-link data at all.
    """
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
    graph = obj.get("graph", {})
    if isinstance(graph, dict):
        data, problems = _graph_attributes(
            graph.items(),
            source,
            'write it as a list, e.g. [{"level": 0, "name": "Ground floor"}]',
        )
    else:
        data = {}
        problems = [
            Problem(
                source, "graph", "'graph' must be an object", 'write e.g. "graph": {"name": ...}'
            )
        ]
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
