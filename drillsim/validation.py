"""Turn pydantic validation errors into :class:`~drillsim.errors.Problem` lists with fixes.

Shared by every file format so that a typo reads the same everywhere: the element path, the bad
value, and what to write instead (with a did-you-mean suggestion for misspelt keys and choices).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from drillsim.errors import Problem, ProblemList


def element_path(loc: Iterable[Any]) -> str:
    """Render a pydantic location tuple as ``a.b[3].c`` (discriminator tags dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("constant", "uniform", "normal", "lognormal", "triangular", "empirical"):
            continue  # discriminated-union tag, not a field the user wrote
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _fields_at(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """Field names that are valid at the parent of ``loc`` (for did-you-mean on unknown keys)."""
    current: Any = model
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        ann = fields[part].annotation
        current = _model_in(ann)
    fields = getattr(current, "model_fields", None)
    return [f.alias or name for name, f in fields.items()] if fields else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def problems_from_pydantic(
    err: PydanticValidationError, file: str, model: type[BaseModel] | None = None, prefix: str = ""
) -> list[Problem]:
    """One Problem per pydantic error, with a concrete fix."""
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        element = element_path(loc)
        if prefix:
            element = f"{prefix}.{element}" if element != "(top level)" else prefix
        kind = e["type"]
        value = e.get("input")
        if kind == "extra_forbidden":
            name = str(loc[-1])
            known = _fields_at(model, loc)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(known)}"
            problems.append(
                Problem(file, element, f"unknown field '{name}'", f"remove it ({hint})")
            )
        elif kind == "missing":
            problems.append(Problem(file, element, "required field is missing", "add it"))
        elif kind == "literal_error":
            expected = e.get("ctx", {}).get("expected", "")
            choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
            close = difflib.get_close_matches(str(value), choices, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            if close and loc == ("protocol",):
                from drillsim.scenario.model import IMPLEMENTED_PROTOCOLS

                if close[0] not in IMPLEMENTED_PROTOCOLS:  # do not suggest what is refused next
                    hint = (
                        f" ('{close[0]}' is part of the format but not simulated in this "
                        f"version; use one of: {', '.join(IMPLEMENTED_PROTOCOLS)})"
                    )
            problems.append(
                Problem(file, element, f"'{value}' is not allowed", f"use one of: {expected}{hint}")
            )
        elif kind == "union_tag_invalid":
            tag = e.get("ctx", {}).get("tag")
            expected = e.get("ctx", {}).get("expected_tags", "")
            problems.append(
                Problem(
                    file, element, f"unknown distribution '{tag}'", f"use dist: one of {expected}"
                )
            )
        elif kind == "union_tag_not_found":
            problems.append(
                Problem(
                    file,
                    element,
                    f"a distribution needs a 'dist' key, got {value!r}",
                    "write a number for a constant, or e.g. {dist: lognormal, median: 5, p90: 15}",
                )
            )
        elif kind == "value_error":
            msg = str(e.get("ctx", {}).get("error", e["msg"]))
            text, _, fix = msg.partition("; ")
            problems.append(Problem(file, element, text, fix or "correct the value"))
        else:
            problems.append(
                Problem(file, element, f"{e['msg'].lower()} (got {value!r})", "correct the value")
            )
    return problems


#: Largest scenario file read: scenarios are a few kB (an empirical distribution of 100,000
#: values is about 1 MB), so anything larger is the wrong file.
MAX_SCENARIO_BYTES = 2 * 2**20


def read_yaml_mapping(path: str | Path, what: str) -> tuple[dict, ProblemList]:
    """Read a YAML file whose top level must be a mapping; problems instead of exceptions."""
    problems = ProblemList(str(path))
    p = Path(path)
    if not p.exists():
        problems.add("(file)", f"{what} file not found", "check the path")
        return {}, problems
    if p.is_dir():
        problems.add(
            "(file)", "is a directory, not a file", f"give the path of a {what} .yaml file"
        )
        return {}, problems
    from drillsim.floorplan.read import parse_yaml_text, read_text_file  # one reader for all

    if p.is_file() and p.stat().st_size > MAX_SCENARIO_BYTES:
        problems.add(
            "(file)",
            f"the file is larger than {MAX_SCENARIO_BYTES // 2**20} MB",
            f"a {what} file is a few kB; check that this is the right file",
        )
        return {}, problems
    text, found = read_text_file(p, str(path))
    if text is None:
        problems.extend(found)
        return {}, problems

    data, found = parse_yaml_text(text, str(path))
    problems.extend(
        [
            replace(pr, fix=pr.fix.replace("floorplans/README.md", f"{what}s/README.md"))
            for pr in found
        ]
    )
    if found:
        return {}, problems
    if not isinstance(data, dict):
        problems.add(
            "(top level)",
            f"expected a mapping of fields, got {type(data).__name__}",
            f"see the {what} format README for the layout",
        )
        return {}, problems
    return data, problems
