"""Scenario inputs that belong to the lockdown protocol: substitute teachers and audited doors.

Kept apart from the general behaviour section so that other protocols (options, hold) can reuse
the lockdown steps with the same inputs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from drillsim.scenario.base import MAX_PEOPLE, _Checked, _d, _Model
from drillsim.scenario.distributions import Distribution


class Substitutes(_Model):
    """Rooms taught by a substitute teacher, who has no key for doors audited as
    ``condition: no_key_for_substitute``.

    ``rooms`` names them (a fact of the day); ``share`` adds, in every run, each other staffed
    room independently with that probability (an uncertainty, sampled in the ``substitute``
    stream).
    """

    rooms: list[str] = Field(default_factory=list, description="space ids taught by a substitute")
    share: float = Field(
        0.0, ge=0.0, le=1.0, description="chance that any other staffed room has a substitute"
    )


class Refuge(_Model):
    """One designated refuge of a lockdown plan: a room and how many of the space's people it
    takes (``takes: null`` = no quota: everyone not assigned elsewhere may try it)."""

    room: str
    takes: int | None = Field(None, ge=0)


class Lockdown(_Checked):
    """Lockdown-specific inputs (``lockdown:`` in the scenario file).

    ``refuges`` is the school's lockdown plan for people outside rooms: per start space, the
    rooms they go to in order (e.g. the cafeteria's nearest classrooms and the gym); after those
    they fall back to the nearest rooms by path distance (``behaviour.max_refuge_candidates``).
    A room admits people while its door is open and it holds fewer than its admission capacity:
    ``capacity`` per room if given, else floor(area_m2 x safe_area_share / m2_per_person) [U].
    """

    refuges: dict[str, list[str | Refuge]] = Field(
        default_factory=dict,
        description="start space id -> refuges in order: a room id, or {room, takes}",
    )
    hold_rule: Literal["approaching", "fixed"] = Field(
        "approaching",
        description="approaching: the adult holds the door at least behaviour.hallway_recovery_s "
        "and then while the expected people keep arriving (each arrival extends the hold to "
        "hold_window_s after it), at most hold_max_s after reacting; fixed: exactly "
        "hallway_recovery_s",
    )
    hold_window_s: float = Field(
        20.0,
        ge=0.0,
        le=120.0,
        description="how far ahead (s of walking) the adult sees people approaching [U]",
    )
    hold_max_s: float = Field(
        60.0, ge=0.0, le=600.0, description="longest hold after reacting, s [U]"
    )
    admission_limit: bool = Field(True, description="rooms stop admitting when full")
    capacity: dict[str, Annotated[int, Field(ge=0, le=MAX_PEOPLE)]] = Field(
        default_factory=dict,
        description="room id -> people it holds in lockdown (all counted), 0 to 50,000",
    )
    safe_area_share: float = Field(
        0.5, gt=0.0, le=1.0, description="share of a room's floor area out of sight of the door [U]"
    )
    m2_per_person: float = Field(
        0.5, gt=0.0, le=5.0, description="floor area per sheltering person, m2 [U]"
    )
    spread_start: bool = Field(
        True, description="people start spread over their space's footprint, not at its centre"
    )

    substitutes: Substitutes = Field(default_factory=Substitutes)
    prop_release_s: Distribution = Field(
        default_factory=lambda: _d("uniform", low=3.0, high=10.0),
        description="time to free a door audited as propped before it can be locked, s [U]",
    )
