"""Scenario inputs that belong to the lockdown protocol: substitute teachers and audited doors.

Kept apart from the general behaviour section so that other protocols (options, hold) can reuse
the lockdown steps with the same inputs.
"""

from __future__ import annotations

from pydantic import Field

from drillsim.scenario.base import _Checked, _d, _Model
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


class Lockdown(_Checked):
    """Lockdown-specific inputs (``lockdown:`` in the scenario file)."""

    substitutes: Substitutes = Field(default_factory=Substitutes)
    prop_release_s: Distribution = Field(
        default_factory=lambda: _d("uniform", low=3.0, high=10.0),
        description="time to free a door audited as propped before it can be locked, s [U]",
    )
