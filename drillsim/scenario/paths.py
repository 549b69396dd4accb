"""Read and override scenario values by dotted path (``behaviour.lock_time_s.thumbturn.median``).

Sweeps and sensitivity analysis change one or more values of a validated scenario and run it again.
They do it through these two functions rather than by naming fields in code, so a field another
module adds to the schema can be swept the day it exists. Every override is validated by the same
schema as the file, so an out-of-range value is refused with the same message a typo in the YAML
would give.

A path ending in ``.scale`` multiplies a whole distribution: every location and spread parameter
(``value``, ``low``, ``high``, ``mean``, ``sd``, ``median``, ``p90``, ``mode``, ``min``, ``max``
and empirical ``values``) is multiplied by the number, which scales the quantile function exactly,
so the same uniform draw gives ``scale × value`` (common random numbers are kept).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from drillsim.errors import DrillsimError, Problem, ValidationError
from drillsim.scenario.model import Scenario

#: Distribution keys multiplied by a ``.scale`` override (every one is in the field's unit).
SCALED_KEYS = ("value", "low", "high", "mean", "sd", "median", "p90", "mode", "min", "max")
SCALE = "scale"


def scenario_dump(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the plain mapping a YAML file would hold (aliases such as ``median``)."""
    return scenario.model_dump(mode="json", by_alias=True)


def leaf_paths(scenario: Scenario) -> list[str]:
    """Every dotted path that holds a number, string or bool (and ``.scale`` of distributions)."""
    out: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            if "dist" in node:
                out.append(f"{prefix}.{SCALE}")
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))
        elif not isinstance(node, list):
            out.append(prefix)

    walk(scenario_dump(scenario), "")
    return out


def get_path(scenario: Scenario, path: str) -> Any:
    """The value at ``path`` (a distribution comes back as its mapping).

    Raises
    ------
    DrillsimError
        If no such path exists; the message suggests the closest existing ones.
    """
    node: Any = scenario_dump(scenario)
    parts = path.split(".")
    for i, key in enumerate(parts):
        if key == SCALE and i == len(parts) - 1 and isinstance(node, dict) and "dist" in node:
            return 1.0
        if not isinstance(node, dict) or key not in node:
            raise _unknown(scenario, path)
        node = node[key]
    return node


def set_paths(scenario: Scenario, values: Mapping[str, Any], source: str = "--set") -> Scenario:
    """A new validated scenario with each ``path: value`` of ``values`` applied in order.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario to start from (not modified).
    values : mapping of str to value
        Dotted paths and their new values. A path ending in ``.scale`` multiplies a distribution.
        A missing last key is allowed where the schema allows new keys (e.g.
        ``building.door_locks.R101``); anything else the schema does not know is refused.
    source : str
        Named in error messages (e.g. the option or file the overrides came from).

    Raises
    ------
    DrillsimError
        A path that does not exist (with did-you-mean suggestions).
    ValidationError
        A value the schema refuses, naming the path and the fix.
    """
    data = scenario_dump(scenario)
    for path, value in values.items():
        parts = path.split(".")
        node: Any = data
        for key in parts[:-1]:
            if not isinstance(node, dict) or key not in node or node[key] is None:
                raise _unknown(scenario, path)
            node = node[key]
        last = parts[-1]
        if not isinstance(node, dict):
            raise _unknown(scenario, path)
        if last == SCALE and "dist" in node:
            _scale_in_place(node, _number(path, value))
        elif last in node or not _is_model_node(scenario, parts[:-1]):
            node[last] = value
        else:
            raise _unknown(scenario, path)
    try:
        return Scenario.model_validate(data)
    except PydanticValidationError as err:
        from drillsim.validation import problems_from_pydantic

        problems = problems_from_pydantic(err, source, Scenario)
        raise ValidationError(
            [
                Problem(source, p.element, f"{p.message} (after setting {_show(values)})", p.fix)
                for p in problems
            ]
        ) from None


def _scale_in_place(dist: dict[str, Any], k: float) -> None:
    if k <= 0:
        raise DrillsimError(f"a scale must be > 0, got {k:g}")
    for key in SCALED_KEYS:
        if dist.get(key) is not None:
            dist[key] = float(dist[key]) * k
    if dist.get("values") is not None:
        dist["values"] = [float(v) * k for v in dist["values"]]


def _number(path: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DrillsimError(f"{path} needs a number, got {value!r}") from None


def _is_model_node(scenario: Scenario, parts: list[str]) -> bool:
    """True if ``parts`` leads to a schema model (fixed fields), False for a free-keyed mapping."""
    node: Any = scenario
    for key in parts:
        node = node.get(key) if isinstance(node, dict) else getattr(node, key, None)
    return isinstance(node, BaseModel)


def _show(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _unknown(scenario: Scenario, path: str) -> DrillsimError:
    close = difflib.get_close_matches(path, leaf_paths(scenario), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return DrillsimError(
        f"'{path}' is not a value of this scenario{hint} (paths follow the scenario file, e.g. "
        "behaviour.adult_reaction_s.median, behaviour.lock_time_s.thumbturn.scale)"
    )
