"""The scenario schema: who is where, which protocol, how the alert travels, how people behave.

Defaults are starting priors from ``../shared/research`` (see ``docs/parameters.md`` for the source
and evidence tag of each). Most lockdown timings are engineering placeholders ([U]) and should be
calibrated from a school's own drill observations (``drillsim review --calibrate``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drillsim.scenario.base import (
    MAX_GROUP_PEOPLE,
    MAX_HORIZON_S,
    MAX_PEOPLE,
    _Checked,
    _d,
    _Model,
)
from drillsim.scenario.distributions import Distribution
from drillsim.scenario.evacuation import Evacuation
from drillsim.scenario.inform import Inform
from drillsim.scenario.lockdown import Lockdown
from drillsim.scenario.protocols import HazardZone, Options, Secure, Shelter
from drillsim.scenario.roster import RosterPerson

PROTOCOLS = ("lockdown", "evacuate", "secure", "hold", "shelter", "options")
IMPLEMENTED_PROTOCOLS = ("lockdown", "evacuate", "hold", "secure", "shelter", "options")
AGE_BANDS = ("elementary", "middle", "high")
PRESETS = ("class_in_session", "passing_period", "lunch", "arrival", "recess", "none")
ROLES = ("student", "teacher", "staff", "sro")




class Incident(_Checked):
    origin: str = Field(description="space id where the incident (or drill) starts")
    detection_delay_s: Distribution = Field(
        default_factory=lambda: _d("lognormal", median=60.0, p90=210.0),
        description="time from incident start until someone initiates the alert, s",
    )


class PopulationGroup(_Model):
    space: str
    students: int = Field(0, ge=0, le=MAX_GROUP_PEOPLE)
    teachers: int = Field(0, ge=0, le=MAX_GROUP_PEOPLE)
    staff: int = Field(0, ge=0, le=MAX_GROUP_PEOPLE)


class Population(_Model):
    preset: Literal["class_in_session", "passing_period", "lunch", "arrival", "recess", "none"] = (
        "class_in_session"
    )
    student_age_band: Literal["elementary", "middle", "high"] = "high"
    fill: float = Field(1.0, ge=0.0, le=2.0, description="class size as a share of room capacity")
    out_of_class_share: float = Field(
        0.03, ge=0.0, le=1.0, description="share of students in restrooms / hallways at t0"
    )
    in_room_share: float = Field(
        0.3, ge=0.0, le=1.0, description="passing period: share of students already in a room"
    )
    lunch_share: float = Field(
        0.33, ge=0.0, le=1.0, description="lunch: share of students in the cafeteria"
    )
    outdoor_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="arrival: share of the students not yet in a room who are still outdoors [U]",
    )
    recess_share: float = Field(
        0.33, ge=0.0, le=1.0, description="recess: share of classes outdoors [U]"
    )
    office_staff: int = Field(3, ge=0, le=100, description="adults placed in each office")
    groups: list[PopulationGroup] = Field(default_factory=list, max_length=MAX_PEOPLE)
    roster: str | None = Field(
        None,
        description="roster CSV (id, space, role[, group, mobility, helper]), relative to the "
        "scenario file; ids only, never names",
    )
    roster_mode: Literal["replace", "add"] = Field(
        "replace",
        description="replace: a space the roster names holds exactly its roster people (the "
        "preset and groups are dropped there); add: roster people join the preset",
    )
    people: list[RosterPerson] = Field(
        default_factory=list,
        max_length=MAX_PEOPLE,
        description="roster people written inline (the roster CSV's rows are merged here)",
    )

    @model_validator(mode="after")
    def _not_too_many(self):
        total = sum(g.students + g.teachers + g.staff for g in self.groups) + len(self.people)
        if total > MAX_PEOPLE:
            raise ValueError(
                f"the groups place {total:,} people, more than the {MAX_PEOPLE:,} drillsim "
                "supports; check the counts (they are people per space, not per school)"
            )
        return self


class PAChannel(_Checked):
    latency_s: Distribution = Field(default_factory=lambda: _d("uniform", low=5.0, high=15.0))


class AppChannel(_Checked):
    latency_s: Distribution = Field(default_factory=lambda: _d("lognormal", median=20.0, p90=60.0))
    delivery_probability: float = Field(0.7, ge=0.0, le=1.0)
    recipients: list[Literal["student", "teacher", "staff"]] = Field(
        default_factory=lambda: ["teacher", "staff"]
    )


class RadioChannel(_Checked):
    latency_s: Distribution = Field(default_factory=lambda: _d("uniform", low=2.0, high=10.0))
    recipients: list[Literal["teacher", "staff", "sro"]] = Field(
        default_factory=lambda: ["staff", "sro"]
    )


class WordOfMouth(_Checked):
    hop_delay_s: Distribution = Field(
        default_factory=lambda: _d("lognormal", median=20.0, p90=60.0)
    )


class Channels(_Model):
    pa: PAChannel | None = Field(default_factory=PAChannel)
    app: AppChannel | None = None
    radio: RadioChannel | None = Field(default_factory=RadioChannel)
    word_of_mouth: WordOfMouth | None = Field(default_factory=WordOfMouth)


class Alert(_Model):
    initiator: Literal["office", "any_staff", "anyone"] = "any_staff"
    channels: Channels = Field(default_factory=Channels)


def _by_band(elementary: dict, middle: dict, high: dict) -> dict:
    return {"elementary": elementary, "middle": middle, "high": high}


_MERGED_MAPS = (
    "student_speed_mps",
    "student_stair_speed_mps",
    "lock_time_s",
    "lock_failure_probability",
)


class Behaviour(_Checked):
    adult_reaction_s: Distribution = Field(
        default_factory=lambda: _d("lognormal", median=5.0, p90=15.0)
    )
    student_reaction_s: Distribution = Field(
        default_factory=lambda: _d("lognormal", median=5.0, p90=20.0)
    )
    adult_speed_mps: Distribution = Field(
        default_factory=lambda: _d("normal", mean=1.25, sd=0.15, min=0.6, max=2.0)
    )
    student_speed_mps: dict[str, Distribution] = Field(
        default_factory=lambda: _by_band(
            _d("normal", mean=0.99, sd=0.2, min=0.5, max=2.0),
            _d("normal", mean=1.2, sd=0.2, min=0.6, max=2.2),
            _d("normal", mean=1.3, sd=0.2, min=0.6, max=2.2),
        )
    )
    adult_stair_speed_mps: Distribution = Field(
        default_factory=lambda: _d("normal", mean=0.9, sd=0.1, min=0.4, max=1.2)
    )
    student_stair_speed_mps: dict[str, Distribution] = Field(
        default_factory=lambda: _by_band(
            _d("normal", mean=0.63, sd=0.2, min=0.3, max=1.2),
            _d("normal", mean=0.8, sd=0.15, min=0.4, max=1.3),
            _d("normal", mean=0.9, sd=0.15, min=0.4, max=1.3),
        )
    )
    lock_time_s: dict[str, Distribution] = Field(
        default_factory=lambda: {
            "thumbturn": _d("lognormal", median=3.0, p90=6.0),
            "key_inside": _d("lognormal", median=8.0, p90=15.0),
            "key_outside": _d("lognormal", median=12.0, p90=25.0),
            "auto_locking": _d("lognormal", median=2.0, p90=4.0),
            "central": _d("lognormal", median=5.0, p90=10.0),
        }
    )
    lock_failure_probability: dict[str, float] = Field(
        default_factory=lambda: {
            "thumbturn": 0.05,
            "key_inside": 0.15,
            "key_outside": 0.15,
            "auto_locking": 0.01,
            "central": 0.01,
        }
    )
    max_lock_attempts: int = Field(
        3, ge=1, le=10, description="attempts an adult makes before giving up on a door"
    )
    latch_fault_probability: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="sampled uncertainty: chance an unaudited door does not latch although "
        "locked (audited faults are floorplan facts: connection condition)",
    )
    hallway_recovery_s: Distribution = Field(
        default_factory=lambda: _d("uniform", low=5.0, high=15.0)
    )
    safe_zone_move_s: Distribution = Field(
        default_factory=lambda: _d("triangular", low=10.0, mode=20.0, high=40.0)
    )
    premovement_s: Distribution = Field(
        default_factory=lambda: _d("lognormal", median=30.0, p90=60.0)
    )
    max_refuge_candidates: int = Field(3, ge=1, le=10)
    specific_flow_pps_per_m: float = Field(
        1.3,
        ge=0.01,
        le=10.0,
        description="SFPE maximum specific flow through doors, persons/(s·m); SFPE gives 1.3, "
        "no crowd exceeds about 2",
    )
    door_boundary_layer_m: float = Field(
        0.15, ge=0, le=1.0, description="SFPE boundary layer on each side of a door, m"
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_maps(cls, data):
        """Per-key maps (lock types, age bands) override the defaults key by key."""
        if isinstance(data, dict):
            data = dict(data)
            for name in _MERGED_MAPS:
                if isinstance(data.get(name), dict):
                    default = cls.model_fields[name].default_factory()
                    data[name] = {**default, **data[name]}
        return data

    @field_validator("lock_time_s", "lock_failure_probability", mode="before")
    @classmethod
    def _lock_keys(cls, v: dict):
        if not isinstance(v, dict):
            return v
        allowed = ("thumbturn", "key_inside", "key_outside", "auto_locking", "central")
        bad = [k for k in v if k not in allowed]
        if bad:
            raise ValueError(f"unknown lock type(s) {bad}; use {', '.join(allowed)}")
        return v

    @field_validator("lock_failure_probability")
    @classmethod
    def _probabilities(cls, v: dict):
        bad = {k: p for k, p in v.items() if not 0.0 <= p <= 1.0}
        if bad:
            raise ValueError(f"probabilities must lie in [0, 1], got {bad}")
        return v

    @field_validator("student_speed_mps", "student_stair_speed_mps", mode="before")
    @classmethod
    def _bands(cls, v: dict):
        if not isinstance(v, dict):
            return v
        bad = [k for k in v if k not in AGE_BANDS]
        if bad:
            raise ValueError(f"unknown age band(s) {bad}; use {', '.join(AGE_BANDS)}")
        return v


class SRO(_Checked):
    on_duty: bool = True
    post: str | None = Field(None, description="space id of the SRO's post; default: first office")
    reaction_s: Distribution = Field(default_factory=lambda: _d("lognormal", median=5.0, p90=15.0))
    response_speed_mps: Distribution = Field(
        default_factory=lambda: _d("normal", mean=2.5, sd=0.5, min=1.2, max=4.0)
    )
    sweep_speed_mps: Distribution = Field(
        default_factory=lambda: _d("normal", mean=1.3, sd=0.15, min=0.8, max=2.0)
    )
    door_check_s: Distribution = Field(default_factory=lambda: _d("uniform", low=5.0, high=15.0))
    law_enforcement_arrival_s: Distribution = Field(
        default_factory=lambda: _d("lognormal", median=180.0, p90=420.0)
    )


class Hazard(_Model):
    """Abstract hazard zone: the incident origin and its neighbours, avoided by evacuation routes.

    It is an input only; nothing in drillsim searches or optimises it against the occupants.
    """

    avoid_origin: bool = True
    avoid_neighbours: bool = True
    proximity_m: float = Field(
        30.0, ge=0, le=10_000, description="path distance from the origin counted as exposed, metres"
    )
    zone: HazardZone | None = Field(
        None, description="scripted moving hazard zone (default: the origin, from t = 0)"
    )


class Building(_Model):
    """Building changes to try without editing the floorplan (planners comparing retrofits).

    Keys are ids or shell-style globs (``R1*``). A ``door_locks`` key matches a door by its own id
    or by the id of a space it opens into; ``pa`` and ``securable`` keys match space ids (e.g.
    ``securable: {CAF: true}`` with ``door_locks: {CAF: thumbturn}`` asks "what if the cafeteria
    could lock down?").
    """

    door_locks: dict[
        str, Literal["none", "thumbturn", "key_inside", "key_outside", "auto_locking", "central"]
    ] = Field(default_factory=dict)
    pa: dict[str, bool] = Field(default_factory=dict)
    securable: dict[str, bool] = Field(default_factory=dict)


class Scenario(_Model):
    name: str = Field(min_length=1, max_length=500)
    floorplan: str = Field(description="path of the floorplan file, relative to the scenario file")
    protocol: Literal["lockdown", "evacuate", "secure", "hold", "shelter", "options"]
    mode: Literal["drill", "incident"] = "drill"
    horizon_s: float = Field(
        900.0, gt=0, le=MAX_HORIZON_S, description="scoring horizon for person-seconds, s"
    )
    description: str = Field("", max_length=100_000)
    incident: Incident
    population: Population = Field(default_factory=Population)
    alert: Alert = Field(default_factory=Alert)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    sro: SRO = Field(default_factory=SRO)
    hazard: Hazard = Field(default_factory=Hazard)
    secure: Secure = Field(default_factory=Secure)
    shelter: Shelter = Field(default_factory=Shelter)
    options: Options = Field(default_factory=Options)
    building: Building = Field(default_factory=Building)
    evacuation: Evacuation = Field(default_factory=Evacuation)  # see scenario/evacuation.py
    lockdown: Lockdown = Field(default_factory=Lockdown)
    inform: Inform = Field(default_factory=Inform)  # issue 9 item 4 (scenario/inform.py)

    @field_validator("protocol")
    @classmethod
    def _implemented(cls, value: str) -> str:
        if value not in IMPLEMENTED_PROTOCOLS:
            raise ValueError(
                f"protocol '{value}' is part of the format but not simulated in this "
                f"version; use one of: {', '.join(IMPLEMENTED_PROTOCOLS)}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _drills_start_with_the_announcement(cls, data):
        """In a drill the alert is initiated at t = 0 unless the file says otherwise."""
        if isinstance(data, dict) and data.get("mode", "drill") == "drill":
            incident = data.get("incident")
            if isinstance(incident, dict) and "detection_delay_s" not in incident:
                data = {**data, "incident": {**incident, "detection_delay_s": 0}}
        return data
