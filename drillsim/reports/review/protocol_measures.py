"""What the observer sheet of a Hold, Secure, Shelter or options-based drill records, and the
simulated distribution of each recorded moment, room by room (issue 9).

Each column of the protocol's observer sheet (:data:`drillsim.reports.brief.protocols.PROFILES`)
is a :class:`Measure`; :func:`room_measures` turns Outcomes into an (R, M) array per measure, nan
where the moment does not apply to that room in that run (e.g. no class of this room came in from
outdoors), inf where it applies but never happens. Definitions:

* ``alert_heard_s`` — the alert reaches the room (every protocol);
* Hold: ``door_closed_s`` — the adult closes the door (``room_lock_start_s``); ``halls_clear_s``
  — the last person who started in a hall next to the room (corridor, stair, commons, outdoor
  space sharing a connection with it) is in a room (0 if nobody was in those halls);
* Secure: ``everyone_inside_s`` — the last person from outdoors whose inside destination is this
  room arrives (nan if none); ``exterior_door_locked_s`` — the room's own exterior doors are all
  locked (nan if it has none);
* Shelter: ``left_room_s`` — the first of the room's occupants sets off to the shelter area (nan
  if the room is itself their shelter area); ``in_shelter_s`` — the last of them is in their area;
* options: ``decision`` — 1 left, 0 locked down (``space_decision``); ``door_locked_s`` — the door
  is locked (runs in which the room locked down); ``left_room_s`` — the room's occupants set off
  (runs in which it left).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drillsim.engines.outcomes import Outcomes
from drillsim.plan.compile import Plan

#: Space kinds that count as "the hall outside" a room (Hold).
HALL_KINDS = ("corridor", "stair", "commons", "outdoor")


@dataclass(frozen=True)
class Measure:
    """One observer-sheet column: CSV name, printed label, 'time' or 'decision', and meaning."""

    column: str
    label: str
    kind: str
    meaning: str
    after_alert: bool = False  # the room's own action: cannot happen before it hears the alert


_ALERT = Measure("alert_heard_s", "Alert heard", "time", "the alert reaches the room")

#: protocol -> the measures of its observer sheet, in sheet order
MEASURES: dict[str, tuple[Measure, ...]] = {
    "hold": (
        _ALERT,
        Measure("door_closed_s", "Door closed", "time", "the adult closes the door", True),
        Measure(
            "halls_clear_s",
            "Hall outside clear",
            "time",
            "the last person from the halls next to the room is in a room",
        ),
    ),
    "secure": (
        _ALERT,
        Measure(
            "everyone_inside_s",
            "Group inside",
            "time",
            "the last person coming in from outdoors to this room is inside",
        ),
        Measure(
            "exterior_door_locked_s",
            "Outside door locked",
            "time",
            "the room's own exterior doors are locked",
        ),
    ),
    "shelter": (
        _ALERT,
        Measure("left_room_s", "Left room", "time", "the room's occupants set off", True),
        Measure(
            "in_shelter_s",
            "In shelter area",
            "time",
            "the last occupant is in the shelter area",
            True,
        ),
    ),
    "options": (
        _ALERT,
        Measure("decision", "Left / locked", "decision", "the room left (1) or locked down (0)"),
        Measure(
            "door_locked_s", "Door locked", "time", "the door is locked (rooms that lock)", True
        ),
        Measure(
            "left_room_s", "Left room", "time", "the occupants set off (rooms that leave)", True
        ),
    ),
}


def _last(t: np.ndarray) -> np.ndarray:
    """(R,) latest of the columns, nan counted as never (inf); nan with no columns."""
    if t.shape[1] == 0:
        return np.full(t.shape[0], np.nan)
    return np.where(np.isnan(t), np.inf, t).max(axis=1)


def _first(t: np.ndarray) -> np.ndarray:
    if t.shape[1] == 0:
        return np.full(t.shape[0], np.nan)
    return np.where(np.isnan(t), np.inf, t).min(axis=1)


def room_measures(plan: Plan, o: Outcomes) -> dict[str, np.ndarray]:
    """(R, M) simulated value of every measure of the plan's protocol (module docstring)."""
    R, M = o.n_runs, plan.n_rooms
    rs = plan.room_space
    out = {"alert_heard_s": o.space_alert_s[:, rs].copy()}
    nan = np.full((R, M), np.nan)
    proto = plan.protocol
    if proto == "hold":
        out["door_closed_s"] = o.room_lock_start_s.copy()
        clear = nan.copy()
        kinds = np.array(plan.space_kind)
        start = plan.person_space[plan.hold_mover]
        for m in range(M):
            halls = [n for n in plan.neighbours[int(rs[m])] if kinds[n] in HALL_KINDS]
            cols = plan.hold_mover[np.isin(start, halls)]
            clear[:, m] = _last(o.person_arrive_s[:, cols]) if cols.size else 0.0
        out["halls_clear_s"] = clear
    elif proto == "secure":
        inside, locked = nan.copy(), nan.copy()
        for m in range(M):
            cols = plan.in_mover[plan.in_target == rs[m]]
            if cols.size:
                inside[:, m] = _last(o.person_arrive_s[:, cols])
            doors = np.flatnonzero(plan.ext_space == rs[m])
            if doors.size:
                locked[:, m] = _last(o.perimeter_locked_s[:, doors])
        out["everyone_inside_s"] = inside
        out["exterior_door_locked_s"] = locked
    elif proto == "shelter":
        left, there = nan.copy(), nan.copy()
        moves = plan.shelter_space[plan.person_shelter] != plan.person_space
        for m in range(M):
            own = plan.person_space == rs[m]
            if not own.any():
                continue
            go = np.flatnonzero(own & moves)
            if go.size:
                left[:, m] = _first(o.person_move_s[:, go])
            at = np.where(moves[None, own], o.person_arrive_s[:, own], o.person_alert_s[:, own])
            there[:, m] = _last(at)
        out["left_room_s"] = left
        out["in_shelter_s"] = there
    elif proto == "options":
        dec = o.space_decision[:, rs].astype(float)
        out["decision"] = np.where(dec < 0, np.nan, dec)
        out["door_locked_s"] = np.where(dec == 0, o.room_locked_s, np.nan)
        left = nan.copy()
        for m in range(M):
            own = np.flatnonzero(plan.person_space == rs[m])
            if own.size:
                left[:, m] = _first(o.person_move_s[:, own])
        out["left_room_s"] = np.where(dec == 1, left, np.nan)
    return out


def simulate_measures(plan: Plan, scenario, seed: int, n_runs: int) -> dict[str, np.ndarray]:
    """(R, M) per measure over ``n_runs`` seeded runs of the batch engine (same draws as
    ``drillsim batch`` with that seed), computed chunk by chunk to keep memory small."""
    from drillsim.engines.batch import run_batch
    from drillsim.sample.draws import CHUNK_RUNS, sample

    parts: dict[str, list[np.ndarray]] = {}
    for first in range(0, n_runs, CHUNK_RUNS):
        n = min(CHUNK_RUNS, n_runs - first)
        o = run_batch(plan, sample(plan, scenario, seed, n, first_run=first))
        for k, v in room_measures(plan, o).items():
            parts.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in parts.items()}
