"""Load a floorplan from YAML, GraphML or node-link JSON into a validated :class:`Floorplan`.

Every format is first turned into the YAML dict form (:mod:`drillsim.floorplan.read`) and then
goes through the same two passes, so a mistake reads the same whatever the file type:

1. *record pass* (:mod:`drillsim.floorplan.records`): shape and types of every record, unknown
   keys, duplicate ids, connection ends that name no space, two connections between the same
   pair. A bad field is replaced by a neutral placeholder so that checking can go on;
2. *graph pass* (:mod:`drillsim.floorplan.checks`): values (kinds, lock types, widths, ...) and
   topology (exits, reachability, securable rooms without a door).

All problems of both passes are raised together in one :class:`~drillsim.errors.ValidationError`,
in the order their elements appear in the file.
"""

from __future__ import annotations

import os
import re
from typing import Any

from drillsim.errors import Problem, ProblemList, ValidationError
from drillsim.floorplan.checks import graph_problems
from drillsim.floorplan.fields import did_you_mean
from drillsim.floorplan.model import Floorplan
from drillsim.floorplan.read import (
    GRAPHML_SUFFIXES,
    JSON_SUFFIXES,
    YAML_SUFFIXES,
    node_link_to_dict,
    parse_yaml_text,
    read_floorplan_file,
)
from drillsim.floorplan.records import read_records

__all__ = [
    "GRAPHML_SUFFIXES",
    "JSON_SUFFIXES",
    "YAML_SUFFIXES",
    "did_you_mean",
    "floorplan_from_dict",
    "load_floorplan",
    "node_link_to_dict",
    "parse_yaml_text",
    "validate_floorplan",
]


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
    data, pre = read_floorplan_file(path)
    if data is None:
        raise ValidationError(pre)
    return _from_dict(data, str(path), pre)


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
    return graph_problems(fp, {}, {})


def _from_dict(data: Any, source: str, pre: list[Problem]) -> Floorplan:
    """Both passes over the dict form; ``pre`` are the problems the file reader found."""
    out = ProblemList(source)
    out.extend(pre)
    fp, space_el, conn_el = read_records(out, data, source)
    reported = {p.element for p in out.problems}
    out.extend([p for p in graph_problems(fp, space_el, conn_el) if p.element not in reported])
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
