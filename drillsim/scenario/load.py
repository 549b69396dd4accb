"""Load a scenario YAML, resolve its floorplan and check every id against it."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError

from drillsim.errors import Problem, ProblemList, ValidationError
from drillsim.floorplan import Floorplan, load_floorplan
from drillsim.scenario.evacuation import check_evacuation, read_routes_csv
from drillsim.scenario.inform import check_inform_inputs
from drillsim.scenario.model import MAX_PEOPLE, Scenario
from drillsim.scenario.protocols import check_protocol_inputs
from drillsim.scenario.roster import check_roster, read_roster_csv
from drillsim.validation import problems_from_pydantic, read_yaml_mapping


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario together with the floorplan it refers to."""

    scenario: Scenario
    floorplan: Floorplan
    source: str

    def digest(self) -> str:
        """SHA-256 of the scenario's canonical JSON and the floorplan digest (for provenance)."""
        text = json.dumps(self.scenario.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256((text + self.floorplan.digest()).encode()).hexdigest()

    @property
    def sro_post(self) -> str | None:
        """The SRO's post: the configured space, else the first office, else None."""
        if self.scenario.sro.post is not None:
            return self.scenario.sro.post
        for sid in self.floorplan.spaces:
            if self.floorplan.space(sid)["kind"] == "office":
                return sid
        return None


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read, validate and cross-check a scenario file (and load its floorplan).

    Problems in the scenario's own fields, in the space ids it names and in its floorplan are
    all reported together.

    Raises
    ------
    ValidationError
        Listing every problem in the scenario file (and in its floorplan, if that is broken).
    """
    source = str(path)
    data, problems = read_yaml_mapping(path, "scenario")
    problems.raise_if_any()
    scenario = None
    try:
        scenario = _validate(data, source)
    except ValidationError as err:
        problems.extend(err.problems)
    floorplan = None
    fp_name = data.get("floorplan")
    if isinstance(fp_name, str):
        fp_path = Path(path).parent / fp_name
        if not fp_path.is_file():
            problems.add(
                "floorplan",
                f"floorplan file '{fp_name}' not found (looked at {fp_path})",
                "give the floorplan path relative to the scenario file",
            )
        else:
            try:
                floorplan = load_floorplan(fp_path)
            except ValidationError as err:
                problems.extend(err.problems)
    if floorplan is not None and scenario is None:
        problems.extend(_check_raw_ids(data, floorplan, source))
    if scenario is None or floorplan is None:
        problems.raise_if_any()
    scenario = _with_routes_csv(scenario, Path(path).parent, problems)
    scenario = _with_roster(scenario, Path(path).parent, problems)
    problems.raise_if_any()
    return scenario_with_floorplan(scenario, floorplan, source)


def _with_routes_csv(scenario: Scenario, base: Path, problems: ProblemList) -> Scenario:
    """Merge the posted routes of ``evacuation.routes_csv`` (relative to the scenario file)."""
    ev = scenario.evacuation
    if not ev.routes_csv:
        return scenario
    routes, probs = read_routes_csv(base / ev.routes_csv)
    problems.extend(probs)
    both = sorted(set(routes) & set(ev.routes))
    if both:
        problems.add(
            "evacuation.routes",
            f"room(s) {', '.join(both)} have a route both here and in {ev.routes_csv}",
            "keep each room's route in one place",
        )
    merged = {**{k: v.model_dump() for k, v in ev.routes.items()}, **routes}
    data = scenario.model_dump()
    data["evacuation"]["routes"] = merged
    return Scenario.model_validate(data)


def _with_roster(scenario: Scenario, base: Path, problems: ProblemList) -> Scenario:
    """Merge the people of ``population.roster`` (a CSV relative to the scenario file)."""
    pop = scenario.population
    if not pop.roster:
        return scenario
    people, probs = read_roster_csv(base / pop.roster)
    problems.extend(probs)
    if probs:
        return scenario
    data = scenario.model_dump()
    data["population"]["people"] = [p.model_dump() for p in pop.people] + people
    try:
        return Scenario.model_validate(data)
    except PydanticValidationError as err:
        problems.extend(problems_from_pydantic(err, problems.file, Scenario))
        return scenario


def _check_raw_ids(data: dict, fp: Floorplan, file: str) -> list[Problem]:
    """Id checks on the raw file when the schema failed, so typos in ids are not hidden."""
    refs: list[tuple[str, object]] = []
    incident, sro, pop = data.get("incident"), data.get("sro"), data.get("population")
    if isinstance(incident, dict):
        refs.append(("incident.origin", incident.get("origin")))
    if isinstance(sro, dict) and sro.get("post") is not None:
        refs.append(("sro.post", sro.get("post")))
    if isinstance(pop, dict) and isinstance(pop.get("groups"), list):
        refs += [
            (f"population.groups[{i}].space", g.get("space"))
            for i, g in enumerate(pop["groups"])
            if isinstance(g, dict)
        ]
    return [
        _unknown_space(file, fp, element, sid)
        for element, sid in refs
        if isinstance(sid, str) and sid not in fp.graph
    ]


def _unknown_space(file: str, fp: Floorplan, element: str, sid: str) -> Problem:
    if sid in fp.assembly_areas:
        return Problem(
            file,
            element,
            f"'{sid}' is an assembly area (outside the building): people never start there and "
            "no route, refuge or shelter leads to it",
            "name a space inside the building (assembly areas are reached only after an exit)",
        )
    by_label = label_match(fp, sid)
    if by_label is not None:
        hint = f"'{sid}' is the label of space '{by_label}'; write its id: {by_label}"
    else:
        close = difflib.get_close_matches(sid, fp.spaces, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "use a space id from the floorplan"
    return Problem(file, element, f"space '{sid}' is not in floorplan '{fp.name}'", hint)


def label_match(fp: Floorplan, text: str) -> str | None:
    """The id of the space whose label is ``text`` (ignoring case and spaces), or None.

    Users often write what the plan shows ("Room 101") where an id ("C101") is expected.
    """
    def norm(s: object) -> str:
        return " ".join(str(s).split()).casefold()

    want = norm(text)
    for sid, attrs in fp.graph.nodes(data=True):
        if norm(attrs.get("label", "")) == want and sid != text:
            return sid
    return None


def scenario_from_dict(
    data: dict, floorplan: Floorplan, source: str = "<memory>"
) -> LoadedScenario:
    """Validate a scenario given as a dict against an already-loaded floorplan."""
    return scenario_with_floorplan(_validate(data, source), floorplan, source)


#: Most spaces a floorplan may have to be simulated. The plan no longer holds space-by-space
#: tables (paths are computed on demand), so compile time and plan memory grow about linearly;
#: what grows with spaces x runs is a batch's per-space detail (alert, exposure, evacuation
#: times: about 28 bytes per space for each of up to 10,000 kept runs) and the floorplan figures.
#: Measured on a 2-core machine (docs/performance.md): 31,977 spaces and 48,450 people, 100 runs
#: in 70 s CPU and 1.8 GB peak. 50,000 spaces (about 2.7 GB for 100 runs, 14 GB of detail for
#: 10,000 runs) is as far as a workstation goes; the people limit (``MAX_PEOPLE``) usually binds
#: first. Larger floorplans still validate on their own (``drillsim validate plan.yaml``).
MAX_SIMULATED_SPACES = 50_000


def people_upper_bound(scenario: Scenario, fp: Floorplan) -> int:
    """An upper bound of the people a scenario places (before the population is built).

    Classes of ``fill x capacity`` (plus, at most, one more class in the gym and a third of one
    in the library), a teacher per classroom, ``office_staff`` per office and the groups.
    """
    pop = scenario.population
    kinds = [fp.space(s)["kind"] for s in fp.spaces]
    total = sum(g.students + g.teachers + g.staff for g in pop.groups) + len(pop.people)
    if pop.preset != "none":
        caps = [int(fp.space(s)["capacity"]) for s, k in zip(fp.spaces, kinds, strict=True)
                if k == "classroom"]
        classes = sum(round(c * pop.fill) for c in caps)
        biggest = max((round(c * pop.fill) for c in caps), default=0)
        total += classes + 2 * biggest + len(caps) + 4
        total += pop.office_staff * kinds.count("office")
    return total


def scenario_with_floorplan(
    scenario: Scenario, floorplan: Floorplan, source: str
) -> LoadedScenario:
    """Cross-check a validated scenario against a floorplan and apply its building changes."""
    problems = ProblemList(source)
    n = floorplan.graph.number_of_nodes()
    if n > MAX_SIMULATED_SPACES:
        problems.add(
            "floorplan",
            f"the floorplan has {n:,} spaces; simulation supports up to "
            f"{MAX_SIMULATED_SPACES:,} spaces (a batch keeps about 28 bytes per space for each "
            f"run it details, {28 * n * 10_000 / 1e9:.0f} GB for 10,000 runs here, and draws "
            "every space in its figures)",
            "simulate one building at a time (a floorplan per building); the whole campus "
            "still validates on its own",
        )
        problems.raise_if_any()
    people = people_upper_bound(scenario, floorplan)
    if people > MAX_PEOPLE:
        problems.add(
            "population",
            f"the population would be about {people:,} people, more than the {MAX_PEOPLE:,} "
            "drillsim supports",
            "check the classroom capacities in the floorplan (people per room) and "
            "population.fill, office_staff and groups",
        )
        problems.raise_if_any()
    problems.extend(check_against_floorplan(scenario, floorplan, source))
    changed = apply_building_changes(scenario, floorplan, source, problems)
    problems.raise_if_any()
    return LoadedScenario(scenario, changed, source)


def apply_building_changes(
    scenario: Scenario, fp: Floorplan, source: str, problems: ProblemList
) -> Floorplan:
    """A copy of ``fp`` with the scenario's door-lock and PA-coverage overrides applied."""
    b = scenario.building
    if not b.door_locks and not b.pa and not b.securable:
        return fp
    g = fp.graph.copy()
    for pattern, lock in b.door_locks.items():
        hits = [
            (u, v)
            for u, v, d in g.edges(data=True)
            if d["kind"] == "door"
            and (
                fnmatchcase(d["id"], pattern) or fnmatchcase(u, pattern) or fnmatchcase(v, pattern)
            )
        ]
        if not hits:
            problems.add(
                f"building.door_locks '{pattern}'",
                "matches no door in the floorplan",
                "use a door id, a space id, or a glob such as 'R1*'",
            )
        for u, v in hits:
            g.edges[u, v]["lock"] = lock
    for field, mapping in (("pa", b.pa), ("securable", b.securable)):
        for pattern, value in mapping.items():
            hits = [n for n in g.nodes if fnmatchcase(n, pattern)]
            if not hits:
                problems.add(
                    f"building.{field} '{pattern}'",
                    "matches no space in the floorplan",
                    "use a space id or a glob such as 'P*'",
                )
            for n in hits:
                g.nodes[n][field] = bool(value)
    return replace(fp, graph=g)


def _check_people(scenario: Scenario, fp: Floorplan, file: str) -> list[Problem]:
    """Roster people (inline or from the roster CSV) against the floorplan and groups."""
    pop = scenario.population
    if not pop.people:
        return []
    roster_file = str(Path(file).parent / pop.roster) if pop.roster else file

    def where(i: int) -> tuple[str, str]:
        p = pop.people[i]
        if p.row is not None:
            return roster_file, f"row {p.row} (id '{p.id}')"
        return file, f"population.people[{i}]"

    names = [g.name for g in scenario.evacuation.groups if g.name is not None]
    out = check_roster(
        pop.people, fp, names, where, lambda f, el, sid: _unknown_space(f, fp, el, sid)
    )
    for i, p in enumerate(pop.people):
        if p.space in fp.graph and fp.space(p.space)["kind"] == "exit":
            f, el = where(i)
            out.append(Problem(f, f"{el}.space", f"'{p.space}' is an exit (outside the "
                               "building)", "place people in a space inside"))
    return out


def _validate(data: dict, source: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except PydanticValidationError as err:
        raise ValidationError(problems_from_pydantic(err, source, Scenario)) from None


def check_against_floorplan(scenario: Scenario, fp: Floorplan, file: str) -> list[Problem]:
    """Every space id the scenario names must exist in the floorplan, with a sensible kind."""
    spaces = set(fp.spaces)
    out: list[Problem] = []

    def unknown(element: str, sid: str) -> None:
        out.append(_unknown_space(file, fp, element, sid))

    if scenario.incident.origin not in spaces:
        unknown("incident.origin", scenario.incident.origin)
    post = scenario.sro.post
    if post is not None:
        if post not in spaces:
            unknown("sro.post", post)
        elif fp.space(post)["kind"] == "exit":
            out.append(
                Problem(
                    file,
                    "sro.post",
                    f"post '{post}' is an exit (outside)",
                    "post the SRO in an office or corridor",
                )
            )
    elif scenario.sro.on_duty and not any(fp.space(s)["kind"] == "office" for s in fp.spaces):
        out.append(
            Problem(
                file,
                "sro.post",
                "no post given and the floorplan has no office",
                "set sro.post to a space id",
            )
        )
    for i, room in enumerate(scenario.lockdown.substitutes.rooms):
        if room not in spaces:
            unknown(f"lockdown.substitutes.rooms[{i}]", room)
        elif not fp.space(room)["securable"]:
            out.append(
                Problem(
                    file,
                    f"lockdown.substitutes.rooms[{i}]",
                    f"'{room}' is not a securable room",
                    "name the securable rooms (classrooms, offices) taught by a substitute",
                )
            )
    ld = scenario.lockdown
    for start, rooms in ld.refuges.items():
        if start not in spaces:
            unknown(f"lockdown.refuges.{start}", start)
        for i, entry in enumerate(rooms):
            room = entry if isinstance(entry, str) else entry.room
            if room not in spaces:
                unknown(f"lockdown.refuges.{start}[{i}]", room)
            elif not fp.space(room)["securable"]:
                out.append(
                    Problem(
                        file,
                        f"lockdown.refuges.{start}[{i}]",
                        f"'{room}' is not a securable room, so it cannot be a lockdown refuge",
                        "list securable rooms (classrooms, offices, library, gym)",
                    )
                )
    for room, n in ld.capacity.items():
        if room not in spaces:
            unknown(f"lockdown.capacity.{room}", room)
        elif n < 0:
            out.append(
                Problem(file, f"lockdown.capacity.{room}", f"negative capacity {n}", "give n >= 0")
            )
    for i, group in enumerate(scenario.population.groups):
        if group.space not in spaces:
            unknown(f"population.groups[{i}].space", group.space)
        elif fp.space(group.space)["kind"] == "exit":
            out.append(
                Problem(
                    file,
                    f"population.groups[{i}].space",
                    f"'{group.space}' is an exit (outside the building)",
                    "place people in a space inside",
                )
            )
    out += check_evacuation(
        scenario.evacuation, fp, file, lambda el, sid: _unknown_space(file, fp, el, sid)
    )
    out += _check_people(scenario, fp, file)
    out.extend(check_protocol_inputs(scenario, fp, file))
    out.extend(check_inform_inputs(scenario, fp, file))
    return out
