"""Lockdown readiness of a floorplan as the school audited it: rooms that cannot be secured and
door conditions, each as a warning that names the door and the action that fixes it.

These are warnings, not errors: the floorplan is valid and can be simulated, but the rooms named
will never be secured in any run (a fact of the building, not an uncertainty). ``drillsim
validate`` prints them; the briefing lists them as actions and the floorplan drawing marks them.
"""

from __future__ import annotations

from dataclasses import dataclass

from drillsim.floorplan.model import Floorplan

#: What to do about each audited door condition (the action shown in the brief and on the map).
CONDITION_ACTIONS = {
    "latch_fault": "repair the latch (the door does not latch, so the room cannot be secured)",
    "propped": "remove the prop or hold-open device (the adult must first free the door)",
    "no_key_for_substitute": "put a key for this door in the substitute folder "
    "(a substitute teacher cannot lock it)",
}


@dataclass(frozen=True)
class DoorFinding:
    """One lockdown finding about a door of a room meant to be secured.

    Attributes
    ----------
    door : str
        Connection id.
    room : str
        The securable space the door belongs to ('' if neither end is securable).
    what : str
        ``no_lock`` or an audited condition (``latch_fault``, ``propped``,
        ``no_key_for_substitute``).
    message : str
        What is wrong, naming the door, the room and the audit date.
    fix : str
        The action that removes the finding.
    """

    door: str
    room: str
    what: str
    message: str
    fix: str


def entry_doors(fp: Floorplan, room: str) -> list[tuple[str, str, dict]]:
    """``(room, other end, attrs)`` of the room's entry doors: its doors that are not ``inner``.

    One definition for the plan compiler and the checks: a room is secured when every entry door
    is locked; inner doors (to spaces reachable only through the room) do not count.
    """
    return _entry_doors_by_space(fp).get(room, [])


def _entry_doors_by_space(fp: Floorplan) -> dict[str, list[tuple[str, str, dict]]]:
    """:func:`entry_doors` of every space at once (one pass over the connections)."""
    out: dict[str, list[tuple[str, str, dict]]] = {}
    for a, b, d in fp.connections():
        if d.get("kind") != "door" or d.get("inner") is True:
            continue
        out.setdefault(a, []).append((a, b, d))
        out.setdefault(b, []).append((b, a, d))
    return out


def door_findings(fp: Floorplan) -> list[DoorFinding]:
    """Every securable room's entry door without a lock, and every audited door condition."""
    found: list[DoorFinding] = []
    g = fp.graph
    doors_of = _entry_doors_by_space(fp)
    for room, attrs in g.nodes(data=True):
        if attrs.get("securable") is not True:
            continue
        for _, other, d in doors_of.get(room, []):
            if d.get("lock") != "none":
                continue
            label = g.nodes[other].get("label", other)
            found.append(
                DoorFinding(
                    door=d["id"],
                    room=room,
                    what="no_lock",
                    message=(
                        f"{attrs.get('kind')} '{room}' is meant to be secured but its door "
                        f"'{d['id']}' (to '{other}', {label}) has no lock, so '{room}' is never "
                        "secured in any run"
                    ),
                    fix=(
                        f"fit a lock to '{d['id']}' (e.g. lock: thumbturn); or, if '{other}' can "
                        f"only be reached through '{room}' (its own locker room or store), mark "
                        f"the door inner: true; or set securable: false on '{room}'"
                    ),
                )
            )
    for a, b, d in fp.connections():
        cond = d.get("condition", "ok")
        if d.get("kind") != "door" or cond == "ok" or cond not in CONDITION_ACTIONS:
            continue
        room = next((s for s in (a, b) if g.nodes[s].get("securable") is True), "")
        when = f", audited {d['audit_date']}" if d.get("audit_date") else ""
        found.append(
            DoorFinding(
                door=d["id"],
                room=room,
                what=cond,
                message=f"door '{d['id']}'{f' of {room!r}' if room else ''}: audited "
                f"condition {cond}{when}",
                fix=CONDITION_ACTIONS[cond],
            )
        )
    return found
