"""Scenario inputs of *Inform*: alert updates that carry a location and order a zone out, and a
fire alarm during a lockdown with a documented rule.

Both are scripted events (times in seconds after the incident start), never a reaction to anyone:

* ``inform.updates`` — at ``at_s`` a message names where the incident is (``location``, text and
  spaces, for the log and the briefing) and orders the rooms in ``evacuate`` out (e.g. "incident
  in the north wing; south wing evacuate"); every other room stays locked down.
* ``inform.fire_alarm`` — the fire alarm sounds everywhere at ``at_s``. Guidance (research note
  ``protocols.md``, "fire alarm"): during a lockdown ignore it unless instructed over the PA or
  there is evidence of fire. ``rule`` is what rooms do:

  - ``ignore`` (the guidance, default): nobody leaves; the alarm is only logged;
  - ``follow``: each room follows with probability ``follow_share`` (one share drawn per run, one
    uniform per room; stream ``inform``), as the MSD alarm sent people into corridors;
  - ``follow_if_confirmed``: rooms within ``near_fire_hops`` connections of a space in
    ``confirmed_spaces`` (evidence of fire there) leave, the rest stay.

A room that leaves does so ``premovement_s`` of its adult after the order and walks the posted
evacuation route to its exit and the assembly point (see :mod:`drillsim.plan.inform`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drillsim.errors import Problem
from drillsim.floorplan import Floorplan
from drillsim.scenario.base import MAX_HORIZON_S, _Model
from drillsim.scenario.distributions import Distribution

FIRE_RULES = ("ignore", "follow", "follow_if_confirmed")
_NOT_ROOMS = ("corridor", "stair", "exit", "outdoor", "commons")


class Update(_Model):
    """A scripted alert update: where the incident is, and which rooms are ordered out."""

    at_s: float = Field(
        ge=0, le=MAX_HORIZON_S, description="time of the update, s after the incident start"
    )
    message: str = Field("", description="what is announced, e.g. 'incident in the north wing'")
    location: list[str] = Field(
        default_factory=list, description="space ids the message names as the incident's location"
    )
    evacuate: list[str] = Field(
        min_length=1, description="space ids of rooms ordered to evacuate (the rest stay locked)"
    )


class FireAlarm(_Model):
    """A fire alarm sounding during a lockdown, with the rule rooms follow (module docstring)."""

    at_s: float = Field(
        ge=0, le=MAX_HORIZON_S, description="time the alarm sounds, s after the incident start"
    )
    rule: Literal["ignore", "follow", "follow_if_confirmed"] = Field(
        "ignore", description="ignore (guidance) | follow | follow_if_confirmed"
    )
    follow_share: Distribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 0.2, "high": 0.8},
        description="rule follow: share of rooms that follow the alarm (one draw per run, clipped "
        "to [0, 1]) [U]",
    )
    confirmed_spaces: list[str] = Field(
        default_factory=list, description="rule follow_if_confirmed: spaces with evidence of fire"
    )
    near_fire_hops: int = Field(
        1, ge=0, le=20, description="rooms within this many connections of a confirmed space leave"
    )

    @field_validator("follow_share", mode="after")
    @classmethod
    def _share(cls, value):
        if value.support_min() < 0:
            raise ValueError(f"{value.describe()} can produce a negative share; add min: 0")
        return value

    @model_validator(mode="after")
    def _confirmed(self):
        if self.rule == "follow_if_confirmed" and not self.confirmed_spaces:
            raise ValueError(
                "rule follow_if_confirmed needs confirmed_spaces (where there is evidence of "
                "fire); list space ids or use rule: ignore"
            )
        return self


class Inform(_Model):
    """Inform events of a lockdown or options-based response (module docstring)."""

    updates: list[Update] = Field(default_factory=list)
    fire_alarm: FireAlarm | None = None

    @property
    def active(self) -> bool:
        """Any event that can change what a room does."""
        fire = self.fire_alarm is not None and self.fire_alarm.rule != "ignore"
        return bool(self.updates) or fire


def check_inform_inputs(scenario, fp: Floorplan, file: str) -> list[Problem]:
    """Cross-check the inform events against the floorplan and the protocol."""
    out: list[Problem] = []
    inf = scenario.inform
    if not inf.updates and inf.fire_alarm is None:
        return out
    if scenario.protocol not in ("lockdown", "options"):
        out.append(
            Problem(
                file,
                "inform",
                f"inform events apply to a lockdown or options-based response, not "
                f"'{scenario.protocol}'",
                "remove the inform block or use protocol: lockdown / options",
            )
        )
    spaces = set(fp.spaces)
    for i, u in enumerate(inf.updates):
        for key in ("location", "evacuate"):
            for sid in getattr(u, key):
                if sid not in spaces:
                    out.append(
                        Problem(
                            file,
                            f"inform.updates[{i}].{key}",
                            f"space '{sid}' is not in the floorplan",
                            "use a space id",
                        )
                    )
                elif key == "evacuate" and fp.space(sid)["kind"] in _NOT_ROOMS:
                    out.append(
                        Problem(
                            file,
                            f"inform.updates[{i}].evacuate",
                            f"'{sid}' is a {fp.space(sid)['kind']}, not a room; only rooms that "
                            "locked down can be ordered out",
                            "list the rooms of the zone to evacuate",
                        )
                    )
    if inf.fire_alarm is not None:
        for sid in inf.fire_alarm.confirmed_spaces:
            if sid not in spaces:
                out.append(
                    Problem(
                        file,
                        "inform.fire_alarm.confirmed_spaces",
                        f"space '{sid}' is not in the floorplan",
                        "use a space id",
                    )
                )
    return out
