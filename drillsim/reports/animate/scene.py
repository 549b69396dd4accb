"""Everything the player shows for one run, as plain JSON-ready data.

:func:`build_scene` turns a :class:`~drillsim.run.SingleRun` (plan, outcomes, event log) into a
dict: the floor panels and spaces (drawing metres), the doors with the time they lock, each space's
alert time, each room's lock / secured times and failure reason, the hazard zone, one keyframe
track per person, the notable events for the event list, and the counts over time. The HTML
player and the GIF both draw from this one value, so they always show the same thing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from drillsim import __version__
from drillsim.floorplan.draw import KIND_COLOURS
from drillsim.plan.compile import REASON_NAMES
from drillsim.reports.animate.layout import build_layout
from drillsim.reports.animate.tracks import ROLE_NAMES, Tracks, person_keyframes
from drillsim.run.single import SingleRun

#: Seconds shown after the last event.
TAIL_S = 10.0
#: Events listed in the player's event list (the rest are per-person steps, shown as dots moving).
LISTED_KINDS = {
    "door_closed": "door closed",
    "locked": "door locked",
    "lock_failed": "lock FAILED",
    "door_did_not_latch": "door did NOT latch",
    "cannot_lock": "cannot lock (no lock hardware)",
    "safe_zone_reached": "class in the safe zone: room secured",
    "steps_out_to_lock": "adult steps into the hallway to lock",
    "locked_out": "person locked out",
    "leaves_after_locked_out": "locked-out person leaves by a safe route",  # options
    "alerted": "SRO alerted",
    "arrives_at_origin": "SRO reaches the drill origin",
    "door_check_unlocked": "SRO finds the door UNLOCKED",
    "sweep_complete": "SRO door-check sweep complete",
}
#: Kinds every person produces (not listed one by one; an unknown kind is listed once per space).
PER_PERSON_KINDS = {
    "reacts",
    "seeks_refuge",
    "enters_refuge",
    "refused_door_closed",
    "starts_evacuating",
    "through_door",
    "exits",
    "at_assembly_point",
    "door_check_locked",
    "reroutes",  # takes another way: a space ahead is blocked (evacuation.blocked_from)
    "turns_back",  # leaves the queue into a space blocked while they wait
}


#: Listed events that name the person.
_PERSON_KINDS = {"locked_out", "leaves_after_locked_out"}


def _locked_out_at(ev: list[tuple[float, str, str]]) -> float | None:
    """When the person was locked out for good (None if never, or if they left afterwards)."""
    kinds = [kind for _, kind, _ in ev]
    if "leaves_after_locked_out" in kinds:  # options: they walk out, drawn as anyone unsecured
        return None
    return next((round(t, 2) for t, kind, _ in ev if kind == "locked_out"), None)


def _t(x: float) -> float | None:
    """Seconds for JSON: None for never / not applicable."""
    x = float(x)
    return round(x, 2) if math.isfinite(x) else None


def _label(fp_attrs: dict, sid: str) -> str:
    return str(fp_attrs.get("label") or sid)


def build_scene(run: SingleRun, spread_seed: int | None = None) -> dict[str, Any]:
    """The player's data for one run.

    Parameters
    ----------
    run : SingleRun
        One simulated run with its event log.
    spread_seed : int, optional
        Seed of the drawing jitter (where each dot stands in its room); default derived from the
        run's seed and index, so the same run always gives the same picture.
    """
    plan, o, fp, sc = run.plan, run.outcomes, run.loaded.floorplan, run.loaded.scenario
    layout = build_layout(fp)
    seed = spread_seed if spread_seed is not None else [run.seed, run.run_index, 0x5EED]
    tracks = Tracks(plan, layout, np.random.default_rng(np.random.SeedSequence(seed)))
    rows = run.log.sorted_rows()
    ids = list(plan.space_ids)
    idx = {s: i for i, s in enumerate(ids)}
    end_t = max([t for t, *_ in rows if math.isfinite(t)] or [0.0]) + TAIL_S

    # -- spaces and rooms -------------------------------------------------------------------
    room_of = {int(plan.room_space[m]): m for m in range(plan.n_rooms)}
    failed_at = {
        space: t
        for t, _who, _role, kind, space in rows
        if kind in ("lock_failed", "door_did_not_latch", "cannot_lock")
    }
    lockdown = plan.protocol == "lockdown"
    spaces = []
    for s, sid in enumerate(ids):
        a = fp.space(sid)
        x0, y0, x1, y1 = layout.rects[sid]
        rec: dict[str, Any] = {
            "id": sid,
            "label": _label(a, sid),
            "kind": a["kind"],
            "colour": KIND_COLOURS.get(a["kind"], "#dddddd"),
            "r": [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)],
            "alert": _t(o.space_alert_s[0, s]),
            "pa": bool(a["pa"]),
        }
        m = room_of.get(s)
        if m is not None and lockdown:
            rec["room"] = {
                "closed": _t(o.room_lock_start_s[0, m]),
                "locked": _t(o.room_locked_s[0, m]),
                "secured": _t(o.room_secured_s[0, m]),
                "reason": REASON_NAMES.get(int(o.room_reason[0, m]), "unknown"),
                "failed": _t(failed_at.get(sid, math.inf)),
            }
        spaces.append(rec)

    # -- doors: drawn on the shared wall, locking when their room locks ---------------------
    door_room: dict[int, int] = {}
    for m in range(plan.n_rooms):
        for d in plan.room_doors[m]:
            if d >= 0:
                door_room[int(plan.door_conn[int(d)])] = m
    doors = []
    for k, (a, b, attrs) in enumerate(fp.connections()):
        if attrs["kind"] == "stair" or fp.space(a)["floor"] != fp.space(b)["floor"]:
            continue
        x, y = layout.door(a, b)
        m = door_room.get(k)
        locked = _t(o.room_locked_s[0, m]) if (m is not None and lockdown) else None
        doors.append(
            {
                "id": attrs["id"],
                "x": round(x, 2),
                "y": round(y, 2),
                "kind": attrs["kind"],
                "lock": attrs.get("lock", "none"),
                "exterior": bool(attrs.get("exterior")),
                "locked": locked,
            }
        )

    # -- people ------------------------------------------------------------------------------
    own: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    for t, who, _role, kind, space in rows:
        if who != "-":
            own[who].append((t, kind, space))
    people = []
    in_room: dict[int, list[int]] = defaultdict(list)
    for p in range(plan.n_persons):
        if lockdown and plan.person_room[p] >= 0:
            in_room[int(plan.person_room[p])].append(p)
    for p in range(plan.n_persons):
        start = ids[int(plan.person_space[p])]
        ev = own.get(str(p), [])
        speed = _walk_speed(plan, ev, idx, p)
        kf = person_keyframes(tracks, p, ev, start, speed)
        people.append(
            {
                "role": ROLE_NAMES.get(int(plan.person_role[p]), "person"),
                "k": [list(f) for f in kf],
                "safe": _t(o.person_safe_s[0, p]),
                "out": _locked_out_at(ev),
            }
        )
    # a class moves to its room's safe zone between the lock and the secured time
    for m, members in in_room.items():
        locked, secured = float(o.room_locked_s[0, m]), float(o.room_secured_s[0, m])
        if not (math.isfinite(locked) and math.isfinite(secured)):
            continue
        room = plan.room_id(m)
        for k, p in enumerate(members):
            kf = people[p]["k"]
            last = kf[-1]
            if last[0] > locked:  # moved after the lock (the teacher back from the hallway)
                continue
            cx, cy = tracks.corner(p, room, k, len(members))
            kf.append([round(locked, 2), last[1], last[2]])
            kf.append([round(secured, 2), round(cx, 2), round(cy, 2)])
    sro = None
    if "SRO" in own and plan.sro_post >= 0:
        kf = person_keyframes(tracks, plan.n_persons, own["SRO"], ids[plan.sro_post])
        sro = {"k": [list(f) for f in kf]}

    # -- listed events -----------------------------------------------------------------------
    listed, seen_unknown = [], set()
    first_alert: dict[str, float] = {}
    exit_times: dict[str, tuple[float, float]] = {}  # exit -> (first, last) person out
    for t, who, _role, kind, space in rows:
        if not math.isfinite(t):
            continue
        where = _label(fp.space(space), space) if space in fp.graph else space
        if kind.startswith("alert:"):
            how = kind.split(":", 1)[1]
            if how not in first_alert:
                first_alert[how] = t
                listed.append([round(t, 2), f"alert by {how.replace('_', ' ')} reaches {where}"])
            continue
        if kind.startswith("lock_tried"):
            continue
        if kind == "exits":
            first, _ = exit_times.get(space, (t, t))
            exit_times[space] = (min(first, t), t)
            continue
        if kind in LISTED_KINDS:
            text = LISTED_KINDS[kind]
            listed.append(
                [
                    round(t, 2),
                    f"{where}: {text}" + (f" (person {who})" if kind in _PERSON_KINDS else ""),
                ]
            )
        elif kind not in PER_PERSON_KINDS and (kind, space) not in seen_unknown:
            seen_unknown.add((kind, space))
            listed.append([round(t, 2), f"{where}: {kind.replace('_', ' ')}"])

    for space, (first, last) in exit_times.items():
        where = _label(fp.space(space), space)
        listed.append([round(first, 2), f"{where}: first person out"])
        listed.append([round(last, 2), f"{where}: last person out"])
    safe = o.person_safe_s[0]
    if not lockdown and safe.size and np.isfinite(safe).all():
        listed.append([round(float(safe.max()), 2), "everyone is at an assembly point"])
    listed.sort(key=lambda e: e[0])

    hazard = sorted(set(plan.hazard_zone))
    n_rooms = plan.n_rooms if lockdown else 0
    return {
        "title": sc.name,
        "school": fp.name,
        "protocol": plan.protocol,
        "mode": plan.mode,
        "seed": run.seed,
        "run_index": run.run_index,
        "version": __version__,
        "floorplan_digest": plan.floorplan_digest[:12],
        "scenario_digest": plan.scenario_digest[:12],
        "end": round(end_t, 2),
        "size": [round(layout.width_m, 2), round(layout.height_m, 2)],
        "panels": layout.panels,
        "spaces": spaces,
        "doors": doors,
        "people": people,
        "sro": sro,
        "origin": ids[plan.origin],
        "hazard": [{"t": 0.0, "spaces": hazard}] if hazard else [],
        "events": listed,
        "n_rooms": n_rooms,
    }


def _walk_speed(
    plan, events: list[tuple[float, str, str]], idx: dict[str, int], p: int
) -> float | None:
    """Walking speed (m/s) of an evacuee, read off their exit -> assembly leg (pure walking):
    in an evacuation the metres to their own assembly area, else their exit's."""
    t_exit = exit_space = t_asm = None
    for t, kind, space in events:
        if kind == "exits":
            t_exit, exit_space = t, space
        elif kind == "at_assembly_point":
            t_asm = t
    if t_exit is None or t_asm is None or exit_space not in idx:
        return None
    if plan.protocol == "evacuate" and int(plan.person_exit[p]) == idx[exit_space]:
        dist = float(plan.person_assembly_m[p])
    else:
        dist = float(plan.assembly_m[idx[exit_space]])
    dt = t_asm - t_exit
    return dist / dt if dist > 0 and dt > 0 else None
