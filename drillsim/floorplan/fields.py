"""Field types and the wording of problems about fields, shared by every floorplan check.

One place says what each field holds (``FIELD_HINTS``), how a type is named to the user
(``TYPE_WORDS``), when a raw value has a field's type, and how an element (``spaces[3] (id
'C101')``) is written, so that the record pass and the graph pass report a mistake alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from drillsim.errors import ProblemList
from drillsim.floorplan.model import DOOR_CONDITIONS, LOCK_TYPES

#: What each field holds, for "missing"/"wrong type" fixes.
FIELD_HINTS = {
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
    "inner": "true or false (a door inside a room's own suite, e.g. gym to its locker room)",
    "condition": f"one of: {', '.join(DOOR_CONDITIONS)}",
    "audit_date": "the door audit's date as text YYYY-MM-DD, e.g. audit_date: '2026-08-15'",
    "name": "text, e.g. name: Fictional Elementary School",
    "level": "a whole number, e.g. level: 0",
    "floor_height_m": "the floor-to-floor height in metres, e.g. floor_height_m: 3.6",
}
#: How each field type is named in a message.
TYPE_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "str": "text",
    "id": "text",
}


def did_you_mean(word: object, options: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str:
    """``" (did you mean 'x'?)"`` for the closest option, or ``""``.

    Parameters
    ----------
    word : object
        What the file says; anything but text gets ``""``.
    options : list or tuple of str
        The valid words.
    cutoff : float
        Similarity (0 to 1) below which no option is suggested; a match ignoring case always is.
    """
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    if not close:
        close = [o for o in options if o.lower() == word.lower()][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(options: tuple[str, ...] | list[str], word: object) -> str:
    """The fix for a value outside ``options``: list them, with the closest one suggested."""
    return f"use one of: {', '.join(options)}{did_you_mean(word, options)}"


def record_element(section: str, index: int, rid: object) -> str:
    """Element of a record, e.g. ``spaces[3] (id 'C101')``; without the id if it is not text."""
    return f"{section}[{index}] (id '{rid}')" if isinstance(rid, str) else f"{section}[{index}]"


def show(value: Any) -> str:
    """A value with its Python type, e.g. ``'12' (str)``, for "got ..." in messages."""
    return f"{value!r} ({type(value).__name__})"


def has_type(value: Any, typ: str) -> bool:
    """Whether ``value`` already has field type ``typ`` ("float" accepts int, never bool)."""
    if typ == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)


def coerce(value: Any, typ: str) -> tuple[bool, Any]:
    """Check a raw value against a field type; ints become floats for metres, 3.0 -> 3 for ints.

    Returns
    -------
    (bool, object)
        ``(True, value)`` with the value in its field type, or ``(False, None)``.
    """
    if typ == "int" and isinstance(value, float) and value.is_integer():
        return True, int(value)
    if not has_type(value, typ):
        return False, None
    return True, float(value) if typ == "float" else value


def type_fix(field: str, value: Any, typ: str) -> str:
    """The fix for a value of the wrong type (quote a number that should be text)."""
    hint = FIELD_HINTS.get(field, TYPE_WORDS[typ])
    if typ in ("str", "id") and isinstance(value, int | float) and not isinstance(value, bool):
        return f"quote it so that it is read as text: {field}: '{value}'"
    return f"write {hint}"


def add_wrong_type(out: ProblemList, element: str, field: str, value: Any, typ: str) -> None:
    """Report that ``field`` holds ``value``, which is not of type ``typ``."""
    out.add(
        element,
        f"{field} must be {TYPE_WORDS[typ]}, got {show(value)}",
        type_fix(field, value, typ),
    )


def add_unknown_keys(out: ProblemList, raw: Mapping, known: tuple[str, ...], prefix: str) -> None:
    """Report every key of ``raw`` outside ``known``, at ``prefix.key`` (or ``key``)."""
    for key in raw:
        if key not in known:
            element = f"{prefix}.{key}" if prefix else str(key)
            out.add(
                element,
                f"unknown key '{key}'",
                f"remove it or use one of: {', '.join(known)}{did_you_mean(key, known)}",
            )


def read_field(
    out: ProblemList,
    raw: Mapping,
    field: str,
    typ: str,
    element: str,
    required: bool,
    hint: str | None = None,
) -> tuple[bool, Any]:
    """Read one field of a raw record.

    Parameters
    ----------
    out : ProblemList
        Where a missing required field or a wrong type is reported, at ``element``.
    raw : Mapping
        The record as read from the file.
    field, typ : str
        Field name and type (``"float"``, ``"int"``, ``"bool"``, ``"str"`` or ``"id"``).
    element : str
        Where the field is, for the problem.
    required : bool
        Whether a missing field is a problem.
    hint : str, optional
        What to add when it is missing (default: ``FIELD_HINTS[field]``).

    Returns
    -------
    (bool, object)
        ``(True, value)`` if present and well-typed, else ``(False, None)``.
    """
    if field not in raw:
        if required:
            out.add(
                element,
                f"missing required key '{field}'",
                f"add {field}: {hint or FIELD_HINTS[field]}",
            )
        return False, None
    ok, value = coerce(raw[field], typ)
    if not ok:
        add_wrong_type(out, element, field, raw[field], typ)
    return ok, value
