"""Write a :class:`Floorplan` as YAML, GraphML or networkx node-link JSON.

Every writer produces a file that :func:`drillsim.floorplan.load_floorplan` reads back to an equal
floorplan (same dict form). YAML leaves out attributes equal to their default (the file reads like
a hand-written one); GraphML and JSON write every attribute with its type, so other tools (Gephi,
yEd, networkx) see the full model. Files are written to a temporary file in the target directory
and then renamed over the target, so a reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import networkx as nx
import yaml

from drillsim.errors import ValidationError
from drillsim.floorplan.model import Floorplan, floorplan_dict
from drillsim.floorplan.read import (
    GRAPHML_SUFFIXES,
    JSON_SUFFIXES,
    YAML_SUFFIXES,
    unsupported_file_type,
)


def floorplan_to_dict(fp: Floorplan, *, explicit: bool = False) -> dict:
    """The YAML dict form of a floorplan; ``floorplan_from_dict`` of it gives an equal floorplan.

    Parameters
    ----------
    fp : Floorplan
    explicit : bool
        If False (default), attributes equal to their default are omitted (``length_m`` computed
        from positions, ``label`` equal to the id, ...). If True every attribute is written.

    Returns
    -------
    dict
        Keys ``name``, ``floor_height_m``, ``floors`` (list of ``{level, name}``), ``spaces`` and
        ``connections`` (lists of records in file order).
    """
    return floorplan_dict(fp, explicit=explicit)


def _flow(record: dict) -> str:
    """One record as a single-line YAML flow mapping, e.g. ``{id: C101, kind: classroom}``."""
    return yaml.safe_dump(
        record, default_flow_style=True, sort_keys=False, width=1_000_000, allow_unicode=True
    ).strip()


def floorplan_to_yaml(fp: Floorplan, *, explicit: bool = False) -> str:
    """YAML text of a floorplan: one line per floor, space and connection (diff-friendly)."""
    data = floorplan_to_dict(fp, explicit=explicit)
    lines = [
        yaml.safe_dump({"name": data["name"]}, allow_unicode=True, width=1_000_000).strip(),
        f"floor_height_m: {data['floor_height_m']!r}",
        "floors:",
        *(f"  - {_flow(f)}" for f in data["floors"]),
    ]
    for key in ("spaces", "connections"):
        if data[key]:
            lines.append(f"{key}:")
            lines.extend(f"  - {_flow(rec)}" for rec in data[key])
        else:
            lines.append(f"{key}: []")
    return "\n".join(lines) + "\n"


def _export_graph(fp: Floorplan, *, floors_as_json: bool) -> nx.Graph:
    """A plain (unfrozen) graph with every attribute explicit, for the networkx writers."""
    data = floorplan_to_dict(fp, explicit=True)
    h = nx.Graph()
    h.graph["name"] = data["name"]
    h.graph["floor_height_m"] = data["floor_height_m"]
    h.graph["floors"] = json.dumps(data["floors"]) if floors_as_json else data["floors"]
    for rec in data["spaces"]:
        attrs = dict(rec)
        h.add_node(attrs.pop("id"), **attrs)
    for order, rec in enumerate(data["connections"]):
        attrs = dict(rec)
        a, b = attrs.pop("a"), attrs.pop("b")
        h.add_edge(a, b, **attrs, order=order)
    return h


def floorplan_to_graphml(fp: Floorplan) -> bytes:
    """GraphML bytes (networkx ``write_graphml``; ``floors`` as a JSON string graph attribute).

    Every edge carries an integer ``order`` (its position in the file), because GraphML readers
    return edges grouped by node rather than in file order.
    """
    buf = io.BytesIO()
    nx.write_graphml(_export_graph(fp, floors_as_json=True), buf, encoding="utf-8")
    return buf.getvalue()


def floorplan_to_node_link(fp: Floorplan) -> dict:
    """networkx node-link data (``edges="edges"``), with the edges in file order."""
    h = _export_graph(fp, floors_as_json=False)
    data = nx.node_link_data(h, edges="edges")
    data["edges"].sort(key=lambda e: e["order"])
    for e in data["edges"]:
        del e["order"]  # the list order is the file order
    return data


def save_floorplan(fp: Floorplan, path: str | os.PathLike) -> None:
    """Write a floorplan, choosing the format by suffix (.yaml/.yml, .graphml, .json).

    The file is written next to the target under a temporary name and renamed over it, so the
    target is either the old file or the complete new one, never a partial write.

    Raises
    ------
    ValidationError
        For an unsupported suffix (nothing is written).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in YAML_SUFFIXES:
        payload = floorplan_to_yaml(fp).encode("utf-8")
    elif suffix in GRAPHML_SUFFIXES:
        payload = floorplan_to_graphml(fp)
    elif suffix in JSON_SUFFIXES:
        text = json.dumps(floorplan_to_node_link(fp), indent=1, allow_nan=False, ensure_ascii=False)
        payload = (text + "\n").encode("utf-8")
    else:
        raise ValidationError([unsupported_file_type(path)])
    _atomic_write(p, payload)


def _atomic_write(path: Path, payload: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, mode)  # mkstemp creates 0600; keep the usual permissions of a saved file
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = [
    "floorplan_to_dict",
    "floorplan_to_graphml",
    "floorplan_to_node_link",
    "floorplan_to_yaml",
    "save_floorplan",
]
