"""Types and values of one space's or one connection's attributes, checked on their own.

These checks need no other record: a kind from the vocabulary, a declared floor, a finite
position, a width greater than 0, a lock only on a door. The graph pass runs them on every node and
edge; the record pass runs them on a record it could not put in the graph (a duplicate id, an end
that names no space), so that its values are still reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from drillsim.errors import ProblemList
from drillsim.floorplan.fields import FIELD_HINTS, add_wrong_type, has_type, one_of, show
from drillsim.floorplan.model import (
    AUDIT_DATE_PATTERN,
    CONNECTION_KINDS,
    CONNECTION_TYPES,
    DOOR_CONDITIONS,
    ID_PATTERN,
    LOCK_TYPES,
    SPACE_KINDS,
    SPACE_TYPES,
)


def check_id(out: ProblemList, value: Any, element: str, what: str) -> None:
    """Report an id that is not text or has characters outside ``ID_PATTERN``.

    Parameters
    ----------
    out : ProblemList
    value : object
        The id.
    element : str
        Where it is, e.g. ``spaces[3] (id 'C 1').id``.
    what : str
        ``"space"`` or ``"connection"``, for the message.
    """
    if not isinstance(value, str):
        out.add(element, f"{what} id must be text, got {show(value)}", "use a text id, e.g. C101")
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
        elif not has_type(attrs[field], typ):
            add_wrong_type(out, f"{el}.{field}", field, attrs[field], typ)
        else:
            good.add(field)
    return good


def space_values(out: ProblemList, attrs: Mapping, el: str, levels: list[int]) -> set[str]:
    """Check the types and values of one space's attributes.

    Parameters
    ----------
    out : ProblemList
    attrs : Mapping
        The node attributes (every field of ``SPACE_TYPES``).
    el : str
        The space's element, e.g. ``spaces[3] (id 'C101')``.
    levels : list of int
        The declared floor levels.

    Returns
    -------
    set of str
        The attributes that are present and well-typed.
    """
    good = _check_types(out, attrs, SPACE_TYPES, el)
    if "kind" in good and attrs["kind"] not in SPACE_KINDS:
        out.add(f"{el}.kind", f"unknown kind '{attrs['kind']}'", one_of(SPACE_KINDS, attrs["kind"]))
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
                f"write {FIELD_HINTS[field]}",
            )
    for field, unit in (("area_m2", "m²"), ("assembly_distance_m", "m")):
        v = attrs.get(field)
        if field in good and (not math.isfinite(v) or v < 0):
            out.add(
                f"{el}.{field}",
                f"{field} must be 0 {unit} or more, got {v!r}",
                f"write {FIELD_HINTS[field]} (0 or more)",
            )
    for field in ("capacity", "safe_zone_capacity"):
        v = attrs.get(field)
        if field in good and v < 0:
            out.add(
                f"{el}.{field}",
                f"{field} must be 0 or more people, got {v}",
                f"write {FIELD_HINTS[field]} (0 or more)",
            )
    for field in ("size_w_m", "size_h_m"):
        v = attrs.get(field)
        if field in good and (not math.isfinite(v) or v <= 0):
            out.add(
                f"{el}.{field}",
                f"{field} must be greater than 0 m, got {v!r}",
                f"write {FIELD_HINTS[field]}, or leave it out to use sqrt(area_m2)",
            )
    return good


def connection_values(
    out: ProblemList, attrs: Mapping, el: str, complete: bool = True
) -> tuple[set[str], str | None]:
    """Check the types and values of one connection's attributes.

    Parameters
    ----------
    out : ProblemList
    attrs : Mapping
        The edge attributes (the fields of ``CONNECTION_TYPES``).
    el : str
        The connection's element, e.g. ``connections[2] (id 'D-C1')``.
    complete : bool
        False for a record dropped from the graph (its defaults could not be filled), so that
        absent attributes are not reported.

    Returns
    -------
    (set of str, str or None)
        The attributes that are present and well-typed, and the kind if it is a valid one.
    """
    good = _check_types(out, attrs, CONNECTION_TYPES, el, complete)
    if "id" in good:
        check_id(out, attrs["id"], f"{el}.id", "connection")
    kind = attrs.get("kind") if "kind" in good else None
    if kind is not None and kind not in CONNECTION_KINDS:
        out.add(f"{el}.kind", f"unknown kind '{kind}'", one_of(CONNECTION_KINDS, kind))
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
        out.add(f"{el}.lock", f"unknown lock type '{lock}'", one_of(LOCK_TYPES, lock))
    elif lock not in (None, "none") and kind is not None and kind != "door":
        out.add(
            f"{el}.lock",
            f"only doors can have a lock, but this {kind} has lock '{lock}'",
            "set kind: door if there is a lockable door here, else remove the lock",
        )
    cond = attrs.get("condition") if "condition" in good else None
    if cond is not None and cond not in DOOR_CONDITIONS:
        out.add(
            f"{el}.condition", f"unknown door condition '{cond}'", one_of(DOOR_CONDITIONS, cond)
        )
    elif cond not in (None, "ok") and kind is not None and kind != "door":
        out.add(
            f"{el}.condition",
            f"only doors have an audited condition, but this {kind} has '{cond}'",
            "remove condition, or set kind: door",
        )
    date = attrs.get("audit_date") if "audit_date" in good else None
    if date and not AUDIT_DATE_PATTERN.fullmatch(date):
        out.add(
            f"{el}.audit_date",
            f"audit_date must be a date YYYY-MM-DD, got {date!r}",
            "write the date of the door audit in quotes, e.g. audit_date: '2026-08-15'",
        )
    if attrs.get("inner") is True and "inner" in good and kind is not None and kind != "door":
        out.add(
            f"{el}.inner",
            f"only doors can be inner doors, but this is a {kind}",
            "remove inner, or set kind: door",
        )
    return good, kind
