"""Scenario inputs of the Standard Response Protocol actions beyond lockdown and evacuate, and of the
scripted hazard zone.

* ``hazard.zone`` — a moving hazard zone given as a script: either explicit ``steps`` (time, spaces)
  or a ``walk`` along a path of adjacent spaces at a sampled speed. It is an *input*: nothing in
  drillsim chooses, searches or adapts it to the occupants.
* ``secure`` — who locks the exterior doors (staff) during a Secure (and during a hazmat Shelter).
* ``shelter`` — the designated shelter areas, each with a capacity in persons, and whether the
  hazard is a hazmat release (exterior openings are then closed).

Hold needs no input of its own: people in corridors and on stairs go to the nearest room.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from drillsim.errors import Problem
from drillsim.floorplan import Floorplan
from drillsim.scenario.base import MAX_HORIZON_S, MAX_PEOPLE, _Model
from drillsim.scenario.distributions import Distribution


class HazardStep(_Model):
    """From ``t_s`` (seconds after the incident start) the zone is these spaces."""

    t_s: float = Field(
        ge=0, le=MAX_HORIZON_S, description="time the zone moves to these spaces, s (up to a day)"
    )
    spaces: list[str] = Field(min_length=1, description="space ids the zone covers from t_s on")


class HazardWalk(_Model):
    """The zone walks ``path`` (adjacent spaces, in order) from ``start_s`` at a sampled speed.

    It enters ``path[k]`` when it has walked the path metres up to it at ``speed_mps`` (one draw
    per run, stream ``hazard``); it stays in the last space.
    """

    path: list[str] = Field(min_length=1, description="adjacent space ids, in walking order")
    start_s: float = Field(
        0.0, ge=0, le=MAX_HORIZON_S, description="time the zone is in path[0], s (up to a day)"
    )
    speed_mps: Distribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 0.8, "high": 1.6},
        description="walking speed of the zone along the path, m/s [U]",
    )

    @field_validator("speed_mps", mode="after")
    @classmethod
    def _positive(cls, value):
        if not value.support_min() > 0:
            raise ValueError(
                f"{value.describe()} can produce {value.support_min():.3g} m/s but speeds must "
                "be > 0; add min: 0.3"
            )
        return value


class HazardZone(_Model):
    """A scripted, moving hazard zone (exactly one of ``steps`` and ``walk``)."""

    steps: list[HazardStep] | None = None
    walk: HazardWalk | None = None
    include_neighbours: bool = Field(
        True, description="exposure counts spaces next to the zone as well as the zone itself"
    )

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.steps is None) == (self.walk is None):
            raise ValueError("give exactly one of 'steps' (scripted) and 'walk' (path + speed)")
        if self.steps is not None:
            times = [s.t_s for s in self.steps]
            if times != sorted(times) or len(set(times)) != len(times):
                raise ValueError(f"steps must have strictly increasing t_s, got {times}")
        return self


class Secure(_Model):
    """Who locks the exterior doors in a Secure (or a hazmat Shelter).

    Each exterior door goes to the nearest locker (by path distance, ties by person order); each
    locker walks to their doors nearest-first, waits until everybody coming in through a door is
    inside, then locks it (the door's lock-time draw).
    """

    locker_spaces: list[str] | None = Field(
        None,
        description="spaces whose staff lock the exterior doors; default: every staff member",
    )


class Shelter(_Model):
    """Designated shelter areas with capacities, and whether exterior openings are closed."""

    areas: dict[str, Annotated[int, Field(ge=0, le=MAX_PEOPLE)]] = Field(
        default_factory=dict, description="space id -> persons it shelters (0 to 50,000)"
    )
    hazmat: bool = Field(False, description="close exterior openings (hazmat: seal the building)")


class Options(_Model):
    """Options-based response ("avoid, deny, defend" / ALICE), modelled as movement only.

    Rule: when the alert reaches a space, its occupants know the zone's position at that moment
    (the alert carries the location). They leave if a route to an exit exists whose every space,
    their own included, is at least ``min_hops`` connections from every space of the zone;
    otherwise they lock down and barricade (lock as in lockdown, then ``barricade_s``). Nothing is
    optimised against anyone; the rule reads only the scripted zone and the floorplan.
    """

    min_hops: int = Field(
        2, ge=1, le=20, description="fewest connections between a leaving route and the zone [U]"
    )
    barricade_s: Distribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 10.0, "high": 30.0},
        description="time to barricade a locked door, s [U]",
    )

    @field_validator("barricade_s", mode="after")
    @classmethod
    def _non_negative(cls, value):
        if value.support_min() < 0:
            raise ValueError(f"{value.describe()} can produce negative durations; add min: 0")
        return value


def check_protocol_inputs(scenario, fp: Floorplan, file: str) -> list[Problem]:
    """Cross-check the hazard zone and the protocol inputs against the floorplan."""
    out: list[Problem] = []
    spaces = set(fp.spaces)
    zone = scenario.hazard.zone
    if zone is not None and zone.steps is not None:
        for i, step in enumerate(zone.steps):
            for sid in step.spaces:
                if sid not in spaces:
                    out.append(_unknown(file, f"hazard.zone.steps[{i}].spaces", sid))
    if zone is not None and zone.walk is not None:
        path = zone.walk.path
        for i, sid in enumerate(path):
            if sid not in spaces:
                out.append(_unknown(file, f"hazard.zone.walk.path[{i}]", sid))
        for i, (a, b) in enumerate(zip(path[:-1], path[1:], strict=True)):
            if a in spaces and b in spaces and not fp.graph.has_edge(a, b):
                out.append(
                    Problem(
                        file,
                        f"hazard.zone.walk.path[{i + 1}]",
                        f"'{b}' is not adjacent to '{a}' (no door, opening or stair joins them)",
                        "list every space the zone passes, each connected to the one before",
                    )
                )
    if scenario.protocol == "shelter":
        areas = scenario.shelter.areas
        for sid, cap in areas.items():
            if sid not in spaces:
                out.append(_unknown(file, f"shelter.areas '{sid}'", sid))
            elif cap <= 0:
                out.append(
                    Problem(
                        file,
                        f"shelter.areas '{sid}'",
                        f"capacity {cap} shelters nobody",
                        "give the number of persons the area holds (> 0)",
                    )
                )
        if not any(c > 0 for c in areas.values()):
            out.append(
                Problem(
                    file,
                    "shelter.areas",
                    "a shelter needs designated shelter areas with capacity; none given",
                    "add e.g. 'shelter: {areas: {GYM: 400}}' (space id: persons it holds)",
                )
            )
    if scenario.protocol in ("secure", "shelter"):
        for i, sid in enumerate(scenario.secure.locker_spaces or []):
            if sid not in spaces:
                out.append(_unknown(file, f"secure.locker_spaces[{i}]", sid))
    return out


def _unknown(file: str, element: str, sid: str) -> Problem:
    return Problem(file, element, f"space '{sid}' is not in the floorplan", "use a space id")
