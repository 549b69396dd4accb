"""SimPy helpers of the reference engine: exact-time events, late tie-breaking, the log.

Ties at the same instant are settled after every ordinary event of that instant (priority
``LATE``): a person who reaches a room at the very moment its door closes is refused, and people
reaching a door together queue in person order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import simpy

LATE = 2  # after simpy's URGENT (0) and NORMAL (1) events at the same time


@dataclass
class EventLog:
    """One row per event: time (s), person (index or 'SRO'), role, event kind, space id."""

    rows: list[tuple[float, str, str, str, str]] = field(default_factory=list)

    def add(self, t: float, person: str, role: str, event: str, space: str) -> None:
        self.rows.append((t, person, role, event, space))

    def sorted_rows(self) -> list[tuple[float, str, str, str, str]]:
        """Rows in time order (stable: same-time rows keep the order they happened in)."""
        return sorted(self.rows, key=lambda r: r[0])


def until(env: simpy.Environment, t: float) -> simpy.Event:
    """An event at absolute time ``t`` exactly (never fires when ``t`` is inf)."""
    if math.isinf(t):
        return env.event()
    delay = t - env.now
    for _ in range(8):
        got = env.now + delay
        if got == t:
            break
        delay = math.nextafter(delay, math.inf if got < t else -math.inf)
    return env.timeout(max(delay, 0.0))


def late(env: simpy.Environment) -> simpy.Event:
    """An event at the current time that fires after all ordinary events of this instant."""
    ev = env.event()
    ev._ok = True
    ev._value = None
    env.schedule(ev, priority=LATE)
    return ev


class RoomState:
    """What people at a room's door can see: whether it has closed for the lockdown."""

    def __init__(self) -> None:
        self.closed = False
