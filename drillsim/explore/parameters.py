"""Uncertain parameters and their ranges: the [U] placeholders by default, or a ranges file.

A :class:`Parameter` is a dotted scenario path (see :mod:`drillsim.scenario.paths`) with a low and
high value. Distribution-valued placeholders are varied by ``.scale`` (the whole distribution
multiplied, so its spread moves with it and common random numbers are kept); probabilities and
counts by value. :data:`DEFAULT_RANGES` is the documented table (``docs/parameters.md``,
"Sensitivity ranges"); :func:`default_parameters` keeps the rows that can change the given
scenario's outcome (its protocol, its channels, its age band, the lock hardware its doors have).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drillsim.errors import DrillsimError, Problem, ValidationError
from drillsim.scenario.load import LoadedScenario
from drillsim.scenario.paths import SCALE, get_path, set_paths


@dataclass(frozen=True)
class Parameter:
    """One uncertain input: a dotted scenario path varied over ``[low, high]``.

    ``integer`` parameters are rounded to whole numbers; ``observe`` names the observer-sheet
    column (or briefing table) a drill can time it with, ``""`` if none.
    """

    path: str
    low: float
    high: float
    integer: bool = False
    observe: str = ""
    what: str = ""

    def value(self, u: float) -> float:
        """The parameter's value at position ``u`` in [0, 1] of its range."""
        if self.integer:  # equal share of [0, 1] for every whole number in the range
            n = int(round(self.high - self.low)) + 1
            return float(self.low + min(int(u * n), n - 1))
        return float(self.low + u * (self.high - self.low))

    def label(self) -> str:
        """Short readable name: the path without ``behaviour.`` / ``alert.channels.``."""
        p = self.path.removeprefix("behaviour.").removeprefix("alert.channels.")
        return p.removesuffix(f".{SCALE}") + (" ×" if self.path.endswith(f".{SCALE}") else "")


# Observer-sheet columns (see drillsim/reports/brief/observer_sheet.py) and what they time.
# Probabilities and counts (lock failures, latch faults, attempts) are not timed: door audits.
_ALERT = "alert_heard_s"
_LOCK = "door_locked_s - alert_heard_s"
_SAFE = "safe_zone_s - door_locked_s"
_SWEEP = "SRO sweep table: expected check vs actual"
_LEFT = "left_room_s - alert_heard_s"
_WALK = "assembly_reached_s - left_room_s"  # evacuation drills time the walk out

#: (path, low, high, integer, protocols, observe, what). ``{band}`` is the scenario's student age
#: band; ``{lock}`` each lock type its doors have. Scale ranges 0.5–2 span "half to double the
#: placeholder"; speeds, better supported, 0.8–1.2. A negative ``high`` is relative: the range
#: is ``low`` to ``-high ×`` the scenario's own value (probabilities: 0 to double, capped at 1).
DEFAULT_RANGES: tuple[tuple[str, float, float, bool, str, str, str], ...] = (
    ("incident.detection_delay_s.scale", 0.5, 2.0, False, "both", "", "time to initiate"),
    ("alert.channels.pa.latency_s.scale", 0.5, 2.0, False, "both", _ALERT, "PA latency"),
    ("alert.channels.app.latency_s.scale", 0.5, 2.0, False, "both", _ALERT, "app latency"),
    ("alert.channels.app.delivery_probability", 0.4, 0.95, False, "both", _ALERT,
     "app delivery"),
    ("alert.channels.radio.latency_s.scale", 0.5, 2.0, False, "both", _ALERT, "radio latency"),
    ("alert.channels.word_of_mouth.hop_delay_s.scale", 0.5, 2.0, False, "both", _ALERT,
     "word-of-mouth hop"),
    ("behaviour.adult_reaction_s.scale", 0.5, 2.0, False, "both", _LOCK, "adult reaction"),
    ("behaviour.student_reaction_s.scale", 0.5, 2.0, False, "both", "", "student reaction"),
    ("behaviour.adult_speed_mps.scale", 0.8, 1.2, False, "both", "", "adult walking speed"),
    ("behaviour.student_speed_mps.{band}.scale", 0.8, 1.2, False, "both", "",
     "student walking speed"),
    ("behaviour.adult_stair_speed_mps.scale", 0.8, 1.2, False, "both", "", "adult stair speed"),
    ("behaviour.student_stair_speed_mps.{band}.scale", 0.8, 1.2, False, "both", "",
     "student stair speed"),
    ("behaviour.hallway_recovery_s.scale", 0.5, 2.0, False, "lockdown", _LOCK,
     "hallway recovery before locking"),
    ("behaviour.lock_time_s.{lock}.scale", 0.5, 2.0, False, "lockdown", _LOCK, "lock time"),
    ("behaviour.lock_failure_probability.{lock}", 0.0, -2.0, False, "lockdown", "",
     "lock failure per attempt"),
    ("behaviour.max_lock_attempts", 1, 5, True, "lockdown", "", "lock attempts"),
    ("behaviour.latch_fault_probability", 0.0, -2.0, False, "lockdown", "", "latch fault"),
    ("behaviour.safe_zone_move_s.scale", 0.5, 2.0, False, "lockdown", _SAFE, "safe-zone move"),
    ("behaviour.max_refuge_candidates", 1, 5, True, "lockdown", "", "rooms tried by hallway"),
    ("behaviour.premovement_s.scale", 0.5, 2.0, False, "evacuate", _LEFT, "pre-movement"),
    ("sro.reaction_s.scale", 0.5, 2.0, False, "both", _SWEEP, "SRO reaction"),
    ("sro.response_speed_mps.scale", 0.8, 1.2, False, "both", "", "SRO running speed"),
    ("sro.sweep_speed_mps.scale", 0.8, 1.2, False, "lockdown", _SWEEP, "SRO sweep speed"),
    ("sro.door_check_s.scale", 0.5, 2.0, False, "lockdown", _SWEEP, "SRO door check"),
)


def default_parameters(loaded: LoadedScenario) -> list[Parameter]:
    """The [U] placeholders that can move this scenario's outcome, each over its range.

    Rows of :data:`DEFAULT_RANGES` for the other protocol, for an absent channel, and for lock
    hardware no door has are left out, as is a distribution that is constantly zero (scaling it
    changes nothing, e.g. a drill's detection delay).
    """
    sc = loaded.scenario
    locks = sorted(
        {
            d.get("lock", "none")
            for _, _, d in loaded.floorplan.graph.edges(data=True)
            if d.get("kind") == "door"
        }
        - {"none"}
    )
    out: list[Parameter] = []
    for path, low, high, integer, protocols, observe, what in DEFAULT_RANGES:
        if protocols not in ("both", sc.protocol):
            continue
        expanded = (
            [path.replace("{lock}", lk) for lk in locks] if "{lock}" in path else [path]
        )
        for p in expanded:
            p = p.replace("{band}", sc.population.student_age_band)
            if "lock_failure_probability.central" in p or (
                "lock_time_s.central" in p and "central" not in locks
            ):
                continue  # a central lock has no failure-per-attempt in the engine
            try:
                get_path(sc, p)
            except DrillsimError:
                continue  # channel absent in this scenario
            if p.endswith(f".{SCALE}") and _constant_zero(get_path(sc, p.rsplit(".", 1)[0])):
                continue
            lk = p.split(".")[2] if "{lock}" in path else ""
            hi = high if high >= 0 else min(1.0, -high * float(get_path(sc, p)))
            if not hi > low:
                continue  # a probability the scenario sets to 0 (e.g. no latch faults)
            if sc.protocol == "evacuate" and p.startswith("behaviour.") and "speed_mps" in p:
                observe = _WALK
            out.append(Parameter(p, low, hi, integer, observe, f"{what} {lk}".strip()))
    return out


def _constant_zero(dist: Any) -> bool:
    return isinstance(dist, dict) and dist.get("dist") == "constant" and not dist.get("value")


def read_ranges(path: str | Path, loaded: LoadedScenario) -> list[Parameter]:
    """Parameters from a YAML ranges file: ``{path: [low, high]}`` or ``{path: {low, high, ...}}``.

    Each path is checked against the scenario, and each end of the range by the schema (both
    ends are applied once), so a typo or an impossible range is reported before any run.
    """
    from drillsim.validation import read_yaml_mapping

    source = str(path)
    data, problems = read_yaml_mapping(path, "ranges")
    problems.raise_if_any()
    out: list[Parameter] = []
    bad: list[Problem] = []
    for key, spec in data.items():
        if isinstance(spec, list) and len(spec) == 2:
            spec = {"low": spec[0], "high": spec[1]}
        if not isinstance(spec, dict) or not {"low", "high"} <= set(spec):
            bad.append(Problem(source, str(key), "needs a low and a high value",
                               f"write `{key}: [low, high]`"))
            continue
        try:
            p = Parameter(
                str(key), float(spec["low"]), float(spec["high"]),
                bool(spec.get("integer", False)), str(spec.get("observe", "")),
                str(spec.get("what", "")),
            )
        except (TypeError, ValueError):
            bad.append(Problem(source, str(key), "low and high must be numbers", ""))
            continue
        if not p.low < p.high:
            bad.append(Problem(source, str(key), f"low ({p.low:g}) must be below high "
                               f"({p.high:g})", "swap or widen the range"))
            continue
        try:
            for v in (p.low, p.high):
                set_paths(loaded.scenario, {p.path: v}, source)
        except ValidationError as err:
            bad.extend(err.problems)
            continue
        except DrillsimError as err:
            bad.append(Problem(source, str(key), str(err), "use a path from the scenario"))
            continue
        out.append(p)
    if bad:
        raise ValidationError(bad)
    if not out:
        raise ValidationError([Problem(source, "(top level)", "no parameters given",
                                       "list at least one `path: [low, high]`")])
    return out
