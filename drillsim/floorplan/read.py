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


def _read_bytes(p: Path, source: str) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, or a problem for a file that is too large or cannot be opened."""
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [_too_large(source, size)]
        return p.read_bytes(), []
    except OSError as err:
        return None, [
            Problem(source, "<file>", f"cannot be read ({err.strerror})", "check the path and "
                    "its permissions")
        ]


def read_text_file(p: Path, source: str) -> tuple[str | None, list[Problem]]:
    data, problems = _read_bytes(p, source)
    if data is None:
        return None, problems
    return decode_text(data, source)


def decode_text(data: bytes, source: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text of a file (a leading byte-order mark is dropped), or a problem saying where not.

    UTF-16 files (saved by some Windows editors) are named as such, so the fix is clear.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            Problem(source, "<file>", "the file is UTF-16 text", "save it as UTF-8")
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return None, [
            Problem(
                source,
                f"line {line}",
                f"not UTF-8 text (byte {data[err.start:err.start + 1]!r} at byte offset "
                f"{err.start}: {err.reason})",
                "save the file as UTF-8 (e.g. 'Save as... > Encoding: UTF-8')",
            )
        ]
    return text.removeprefix("\ufeff"), []


# ----------------------------------------------------------------------------------------------
# YAML


#: Deepest nesting of lists and mappings a drillsim file may have (real files use 4 or 5 levels);
#: deeper input is refused before Python's recursion limit is anywhere near.
MAX_YAML_DEPTH = 50
#: Most values a YAML file may expand to once its aliases are followed. PyYAML shares an aliased
#: value, but every later step (validation, digests) walks the expanded tree, so an "alias bomb"
#: of a few hundred bytes would otherwise take minutes. Only files that use aliases are counted
#: (drillsim never writes any); a scenario has a few hundred values, a 20,000-space floorplan
#: about 700,000.
MAX_YAML_VALUES = 1_000_000
#: Largest input file read, bytes: 200 MB holds a floorplan of 100,000+ spaces; larger files are
#: refused before reading rather than filling memory.
MAX_FILE_BYTES = 200 * 2**20


class _Refused(Exception):
    """Raised inside the YAML composer to stop reading a file that is too deep or too large."""

    def __init__(self, mark: Any, message: str, fix: str):
        super().__init__(message)
        self.mark, self.message, self.fix = mark, message, fix


class _YamlLoader(yaml.SafeLoader):
    """Safe loader that bounds nesting depth and alias expansion and records keys given twice.

    PyYAML keeps the last of two equal keys silently; this loader notes them so they can be
    reported.
    """

    duplicates: list[tuple[str, int]]
    depth: int = 0
    aliases: int = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise _Refused(
                    self.peek_event().start_mark,
                    f"nesting is deeper than {MAX_YAML_DEPTH} levels",
                    "drillsim files nest a few levels deep; remove the extra brackets or "
                    "indentation",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """Number of values in the tree once aliases are expanded (stops counting past ``limit``)."""
    memo: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 1  # a (rare) recursive alias counts once instead of looping forever
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child)
                if total > limit:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > limit:
                    break
        memo[key] = total
        return total

    return size(node)


def _map_noting_duplicates(loader: _YamlLoader, node: yaml.MappingNode) -> Any:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            if key_node.value in seen:
                loader.duplicates.append((key_node.value, key_node.start_mark.line + 1))
            seen.add(key_node.value)
    return loader.construct_yaml_map(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:map", _map_noting_duplicates)


class _HasAliases(Exception):
    """The text uses aliases: read it with the pure-Python loader, which bounds their expansion."""


_FastLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's safe loader (about 10x faster on large floorplans), noting keys twice."""

        duplicates: list[tuple[str, int]]

    _FastLoader.add_constructor("tag:yaml.org,2002:map", _map_noting_duplicates)


def _parse_fast(text: str) -> tuple[Any, list[tuple[str, int]]]:
    """Parse with libyaml, then bound the nesting and look for aliases in one iterative walk.

    libyaml itself refuses nesting beyond 1,000 levels; the walk (no recursion) refuses more
    than ``MAX_YAML_DEPTH`` and hands a file that shares a value (an alias) to the pure-Python
    reader, which bounds the alias expansion.
    """
    loader = _FastLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if id(value) in seen:
                raise _HasAliases
            seen.add(id(value))
            if depth > MAX_YAML_DEPTH:
                raise _Refused(
                    None,
                    f"nesting is deeper than {MAX_YAML_DEPTH} levels",
                    "drillsim files nest a few levels deep; remove the extra brackets or "
                    "indentation",
                )
            children = value.values() if isinstance(value, dict) else value
            stack.extend((c, depth + 1) for c in children)
    return data, loader.duplicates


def _read_yaml(p: Path, source: str) -> tuple[Any, list[Problem]]:
    text, problems = read_text_file(p, source)
    if text is None:
        return None, problems
    return parse_yaml_text(text, source)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "<file>"


def _reader_problem(err: yaml.reader.ReaderError, text: str, source: str) -> Problem:
    """A non-printable character: say which, and on which line and column."""
    pos = getattr(err, "position", 0) or 0
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    char = err.character
    code = f"U+{ord(char) if isinstance(char, str) else int(char):04X}"
    return Problem(
        source,
        f"line {line}, column {column}",
        f"control character {code} is not allowed in a YAML file",
        "delete it (it often comes from copying text out of a PDF or a word processor)",
    )


def parse_yaml_text(text: str, source: str = "<memory>") -> tuple[Any, list[Problem]]:
    """Parse YAML text safely, reporting syntax errors and keys given twice in one mapping.

    The reader refuses, with a problem instead of an exception: control characters, nesting
    deeper than ``MAX_YAML_DEPTH``, aliases that expand to more than ``MAX_YAML_VALUES`` values,
    and text longer than ``MAX_FILE_BYTES``. Only plain data is built (``yaml.SafeLoader``).

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
    if len(text) > MAX_FILE_BYTES:
        return None, [_too_large(source, len(text))]
    if _FastLoader is not None:
        try:
            data, duplicates = _parse_fast(text)
            return _parsed(data, duplicates, source)
        except _Refused as err:
            return None, [Problem(source, _where(err.mark), err.message, err.fix)]
        except (yaml.YAMLError, _HasAliases, RecursionError):
            pass  # the pure-Python reader below words the problem (or bounds the aliases)
    loader = None
    try:
        loader = _YamlLoader(text)  # the reader checks for control characters right here
        loader.duplicates = []
        node = loader.get_single_node()
        if node is not None and loader.aliases:
            n = _expanded_size(node, MAX_YAML_VALUES)
            if n > MAX_YAML_VALUES:
                raise _Refused(
                    None,
                    f"its aliases (*name) expand to more than {MAX_YAML_VALUES:,} values",
                    "write the values out, or use fewer nested aliases",
                )
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as err:
        return None, [_reader_problem(err, text, source)]
    except _Refused as err:
        return None, [Problem(source, _where(err.mark), err.message, err.fix)]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        what = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        message = f"invalid YAML: {what}" + (f" ({context})" if context else "")
        return None, [
            Problem(
                source,
                _where(mark),
                message,
                "fix the YAML syntax there (indentation, a missing ':' or an unclosed bracket "
                "or quote)",
            )
        ]
    except RecursionError:  # pragma: no cover - the depth bound stops this first
        return None, [
            Problem(source, "<file>", "nesting is too deep to read", "flatten the file")
        ]
    finally:
        if loader is not None:
            loader.dispose()
    return _parsed(data, loader.duplicates, source)


def _parsed(data: Any, duplicates: list[tuple[str, int]], source: str) -> tuple[Any, list[Problem]]:
    problems = [
        Problem(
            source,
            f"line {line}",
            f"key '{key}' is given twice in the same mapping",
            "remove one of them (YAML would silently keep the last)",
        )
        for key, line in duplicates
    ]
    if data is None:
        return None, [
            *problems,
            Problem(source, "<file>", "the file is empty", "see floorplans/README.md"),
        ]
    return data, problems


def _too_large(source: str, size: int) -> Problem:
    return Problem(
        source,
        "<file>",
        f"the file is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB limit",
        "drillsim floorplans of 100,000 spaces stay below it; check that this is the right file",
    )


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


def _graphml_problems(raw: bytes, source: str) -> list[Problem]:
    """What networkx would silently accept: DTDs/entities (entity bombs) and duplicate ids."""
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower():
        return [
            Problem(
                source,
                "<file>",
                "the GraphML file declares a DOCTYPE or ENTITY",
                "remove the <!DOCTYPE ...> / <!ENTITY ...> declarations (floorplans need none)",
            )
        ]
    root = ET.fromstring(raw)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    edge_ids: set[str] = set()
    for i, el in enumerate(root.iter()):
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "node":
            nid = el.get("id")
            if nid in seen:
                problems.append(
                    Problem(
                        source,
                        f"node id '{nid}'",
                        f"node id '{nid}' is given twice (GraphML readers silently merge them)",
                        "give every space a unique id",
                    )
                )
            seen[nid] = i
        elif tag == "edge" and el.get("id") is not None:
            eid = el.get("id")
            if eid in edge_ids:
                problems.append(
                    Problem(
                        source,
                        f"edge id '{eid}'",
                        f"edge id '{eid}' is given twice",
                        "give every connection a unique id",
                    )
                )
            edge_ids.add(eid)
    return problems


def _read_graphml(p: Path, source: str) -> tuple[dict | None, list[Problem]]:
    raw, problems = _read_bytes(p, source)
    if raw is None:
        return None, problems
    try:
        problems = _graphml_problems(raw, source)
        if problems:
            return None, problems
        g = nx.parse_graphml(raw)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError, OverflowError) as err:
        return None, [
            Problem(
                source,
                "<file>",
                f"not a readable GraphML file: {str(err)[:200]}",
                "write it with drillsim's save_floorplan or networkx.write_graphml",
            )
        ]
    except RecursionError:
        return None, [
            Problem(source, "<file>", "the GraphML nesting is too deep to read",
                    "write it with drillsim's save_floorplan or networkx.write_graphml")
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
    text, problems = read_text_file(p, source)
    if text is None:
        return None, problems
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        data = dict(items)
        if len(data) != len(items):  # rare: only then find which keys repeat
            keys = [k for k, _ in items]
            duplicates.extend(sorted({k for k in keys if keys.count(k) > 1}))
        return data

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        obj = json.loads(text, object_pairs_hook=pairs, parse_constant=no_constant)
    except json.JSONDecodeError as err:
        return None, [
            Problem(
                source,
                f"line {err.lineno}, column {err.colno}",
                f"invalid JSON: {err.msg}",
                "fix the JSON syntax there",
            )
        ]
    except ValueError as err:
        return None, [Problem(source, "<file>", f"invalid JSON: {err}",
                              "write a finite number (NaN and Infinity are not JSON)")]
    except RecursionError:
        return None, [Problem(source, "<file>", "the JSON nesting is too deep to read",
                              "node-link JSON nests 3 levels; remove the extra brackets")]
    data, problems = node_link_to_dict(obj, source)
    problems = [
        Problem(source, f"key '{k}'", f"key '{k}' is given twice in the same object",
                "remove one of them (JSON readers silently keep the last)")
        for k in duplicates
    ] + problems
    return (data if not duplicates else None), problems


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
