"""The ``evacuation:`` section of a scenario: flow parameters, route choice, posted routes, blockages.

Flow parameters follow the SFPE hydraulic model (Gwynne & Rosenbaum, SFPE Handbook 5th ed. ch. 59);
``docs/parameters.md`` gives each default's source and evidence tag. The door values stay in
``behaviour`` (``specific_flow_pps_per_m``, ``door_boundary_layer_m``) where earlier scenarios set them.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import Field, field_validator, model_validator

from drillsim.errors import Problem
from drillsim.scenario.base import MAX_HORIZON_S, _Model
from drillsim.scenario.distributions import Distribution

ROUTINGS = ("nearest", "posted", "balanced")




class PostedRoute(_Model):
    """A space's posted evacuation route: primary exit (through optional waypoints), alternate.

    People follow the shortest path from their space through ``via`` (in order) to ``primary``;
    when that path crosses a blocked space they take the shortest path to ``alternate`` instead.
    """

    primary: str = Field(description="exit space id of the primary route")
    via: list[str] = Field(
        default_factory=list, description="waypoint space ids passed in this order"
    )
    alternate: str | None = Field(None, description="exit space id used when primary is blocked")
    assembly: str | None = Field(
        None,
        description="assembly area (kind: assembly in the floorplan) where this class gathers; "
        "default: the one nearest the exit by walkway",
    )


class Assisted(_Model):
    """People who cannot use stairs (e.g. wheelchair users) and the adult who comes back for them.

    They leave with their class as far as the area of refuge (the stairwell on their floor where
    their route reaches a stair), wait there, and are brought down by ``helper``'s adult (the
    first adult starting in that space) after that adult has reached an exit and walked back.
    """

    space: str = Field(description="space id where they start (their class)")
    people: int = Field(1, ge=1, le=10, description="how many of that space's students")
    mobility: Literal["wheelchair", "no_stairs"] = "wheelchair"
    helper: str = Field(description="space id whose first adult comes back for them")
    per_trip: int | None = Field(
        None,
        ge=1,
        le=10,
        description=(
            "people the helper brings down at a time; the helper walks back up for the rest "
            "(default: all in one trip)"
        ),
    )


class Group(_Model):
    """People of some spaces with their own pre-movement and speed distributions (e.g. a class of
    younger pupils, a special-education room). Unset distributions keep the role defaults."""

    name: str | None = Field(
        None, description="name a roster's group column refers to (population.roster)"
    )
    spaces: list[str] = Field(
        default_factory=list,
        description="space ids whose occupants form the group (may be empty for a named group "
        "of roster people)",
    )
    premovement_s: Distribution | None = None
    speed_mps: Distribution | None = None
    stair_speed_mps: Distribution | None = None

    @model_validator(mode="after")
    def _members(self):
        if not self.spaces and self.name is None:
            raise ValueError("a group needs spaces, or a name that roster people refer to")
        return self

    @field_validator("premovement_s", "speed_mps", "stair_speed_mps", mode="after")
    @classmethod
    def _support(cls, dist, info):
        if dist is None:
            return dist
        low = dist.support_min()
        if info.field_name.endswith("_mps") and not low > 0:
            raise ValueError(f"{dist.describe()} can produce {low:.3g} m/s; add min: 0.3")
        if info.field_name.endswith("_s") and low < 0:
            raise ValueError(f"{dist.describe()} can produce {low:.3g} s; add min: 0")
        return dist


class Evacuation(_Model):
    """How evacuees choose routes and how much flow every element they pass can carry."""

    routing: Literal["nearest", "posted", "balanced"] = Field(
        "nearest",
        description=(
            "nearest: shortest path to the nearest exit; posted: the routes given below; "
            "balanced: spaces assigned to exits by a min-cost flow that spreads the load"
        ),
    )
    routes: dict[str, PostedRoute] = Field(
        default_factory=dict,
        description="space id -> posted route (routing: posted); unlisted spaces use nearest",
    )
    routes_csv: str | None = Field(
        None,
        description="CSV of posted routes (room, primary, alternate, via, assembly), relative "
        "to the scenario",
    )
    blocked: list[str] = Field(
        default_factory=list,
        description="space ids (exits, corridors, stairs) unusable from t0; routes avoid them",
    )
    blocked_from: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "space id -> time (s after t0) from which it is unusable: people who have not passed "
            "into it by then take their alternate or the shortest way round from where they are"
        ),
    )
    out_of_bounds: list[str] = Field(
        default_factory=list,
        description="space ids no route may pass (closed areas); posted routes naming one are rejected",
    )
    groups: list[Group] = Field(
        default_factory=list, description="spaces with their own pre-movement / speed"
    )
    assisted: list[Assisted] = Field(
        default_factory=list, description="people who wait in an area of refuge for assistance"
    )
    assisted_level_speed_mps: float = Field(
        0.8,
        ge=0.1,
        le=2.5,
        description="level speed of an assisted evacuation (pushing a wheelchair), 0.1-2.5 m/s [U]",
    )
    assisted_stair_speed_mps: float = Field(
        0.3,
        ge=0.05,
        le=2.0,
        description="stair descent speed carrying / with an evacuation chair, 0.05-2 m/s [U]",
    )
    wheelchair_flow_weight: float = Field(
        2.0,
        ge=1,
        le=10,
        description=(
            "door, opening and stair capacity a wheelchair user takes, in walkers (assisted "
            "entries with mobility: wheelchair) [U]"
        ),
    )
    report_delay_s: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="teacher's report at assembly after the class's last member arrives, "
        "0-3,600 s [U]",
    )
    corridor_boundary_layer_m: float = Field(
        0.20, ge=0, description="SFPE boundary layer on each corridor wall, m"
    )
    opening_boundary_layer_m: float = Field(
        0.15, ge=0, description="SFPE boundary layer on each side of a doorless opening, m"
    )
    stair_boundary_layer_m: float = Field(
        0.15, ge=0, description="SFPE boundary layer on each side of a stair, m"
    )
    stair_riser_m: float = Field(0.178, gt=0, le=0.3, description="stair riser height, m (7 in)")
    stair_tread_m: float = Field(0.279, gt=0, le=0.5, description="stair tread depth, m (11 in)")
    stair_specific_flow_pps_per_m: float | None = Field(
        None,
        gt=0,
        description="maximum specific flow on stairs, persons/(s·m); default from riser/tread",
    )

    @field_validator("blocked_from", mode="after")
    @classmethod
    def _times(cls, value: dict[str, float]):
        for sid, t in value.items():
            if not t >= 0:
                raise ValueError(f"'{sid}': {t} s is before t0; give a time of 0 s or later")
            if t > MAX_HORIZON_S:
                raise ValueError(
                    f"'{sid}': {t:g} s is more than a day after t0; give a time of at most "
                    f"{MAX_HORIZON_S:,.0f} s"
                )
        return value

    @model_validator(mode="after")
    def _group_names_unique(self):
        names = [g.name for g in self.groups if g.name is not None]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"group name(s) {', '.join(twice)} used twice; name each group once")
        return self

    @model_validator(mode="after")
    def _routes_need_posted(self):
        if (self.routes or self.routes_csv) and self.routing != "posted":
            raise ValueError(
                "routes are given but routing is "
                f"'{self.routing}'; set routing: posted to use them (or remove routes)"
            )
        return self


def check_evacuation(ev: Evacuation, fp, file: str, unknown) -> list[Problem]:
    """Cross-check the evacuation section against the floorplan (ids, exits, out-of-bounds).

    ``unknown(element, sid)`` makes the did-you-mean problem for a space id not in the floorplan.
    """
    out: list[Problem] = []
    spaces = set(fp.spaces)

    def exit_check(element: str, sid: str) -> None:
        if sid not in spaces:
            out.append(unknown(element, sid))
        elif fp.space(sid)["kind"] != "exit":
            exits = [s for s in fp.spaces if fp.space(s)["kind"] == "exit"]
            out.append(
                Problem(
                    file,
                    element,
                    f"'{sid}' is a space of kind {fp.space(sid)['kind']}, not an exit",
                    f"name an exit space: {', '.join(exits)}",
                )
            )
        elif sid in ev.out_of_bounds:
            out.append(
                Problem(
                    file,
                    element,
                    f"exit '{sid}' is listed in evacuation.out_of_bounds",
                    "route to another exit or remove it from out_of_bounds",
                )
            )

    for field in ("blocked", "out_of_bounds"):
        for i, sid in enumerate(getattr(ev, field)):
            if sid not in spaces:
                out.append(unknown(f"evacuation.{field}[{i}]", sid))
    for sid in ev.blocked_from:
        element = f"evacuation.blocked_from.{sid}"
        if sid not in spaces:
            out.append(unknown(element, sid))
        elif sid in ev.blocked:
            out.append(
                Problem(
                    file,
                    element,
                    f"'{sid}' is also in evacuation.blocked (unusable from t0)",
                    "keep it in one of the two lists",
                )
            )
    for i, grp in enumerate(ev.groups):
        for j, sid in enumerate(grp.spaces):
            if sid not in spaces:
                out.append(unknown(f"evacuation.groups[{i}].spaces[{j}]", sid))
    for i, a in enumerate(ev.assisted):
        base = f"evacuation.assisted[{i}]"
        for field in ("space", "helper"):
            sid = getattr(a, field)
            if sid not in spaces:
                out.append(unknown(f"{base}.{field}", sid))
    helpers = [a.helper for a in ev.assisted]
    for i, a in enumerate(ev.assisted):
        if helpers.count(a.helper) > 1:
            out.append(
                Problem(
                    file,
                    f"evacuation.assisted[{i}].helper",
                    f"'{a.helper}' helps more than one group; one adult helps one group",
                    "name a different helper space (each with an adult) for each group",
                )
            )
            break
    for sid, route in ev.routes.items():
        base = f"evacuation.routes.{sid}"
        if sid not in spaces:
            out.append(unknown(base, sid))
        exit_check(f"{base}.primary", route.primary)
        if route.alternate is not None:
            exit_check(f"{base}.alternate", route.alternate)
        if route.assembly is not None:
            areas = fp.assembly_areas
            if not areas:
                out.append(
                    Problem(
                        file,
                        f"{base}.assembly",
                        f"assembly area '{route.assembly}' named, but floorplan '{fp.name}' has "
                        "no assembly areas",
                        "add assembly areas to the floorplan (kind: assembly, joined to exits by "
                        "walkways) or remove the assembly (exits then use assembly_distance_m)",
                    )
                )
            elif route.assembly not in areas:
                close = difflib.get_close_matches(route.assembly, areas, n=1)
                out.append(
                    Problem(
                        file,
                        f"{base}.assembly",
                        f"'{route.assembly}' is not an assembly area of the floorplan",
                        (f"did you mean '{close[0]}'? " if close else "")
                        + f"assembly areas: {', '.join(areas)}",
                    )
                )
        for i, w in enumerate(route.via):
            if w not in spaces:
                out.append(unknown(f"{base}.via[{i}]", w))
            elif w in ev.out_of_bounds:
                out.append(
                    Problem(
                        file,
                        f"{base}.via[{i}]",
                        f"waypoint '{w}' is out of bounds (evacuation.out_of_bounds)",
                        "choose a waypoint that is in use, or remove it from out_of_bounds",
                    )
                )
    return out


def did_you_mean_text(name: str, known) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


#: Columns of a posted-routes CSV (``evacuation.routes_csv``); room and primary are required.
ROUTE_COLUMNS = ("room", "primary", "alternate", "via", "assembly")


def read_routes_csv(path, file_field: str = "evacuation.routes_csv"):
    """Posted routes from a planner's CSV: ``room, primary[, alternate][, via]`` per row.

    ``via`` lists waypoints separated by ``;``. Returns ``(routes dict, problems)``; every problem
    names the CSV file, the row and column, and the fix.
    """
    import csv
    from pathlib import Path

    file = str(path)
    problems: list[Problem] = []
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (FileNotFoundError, IsADirectoryError):
        return {}, [
            Problem(
                file,
                file_field,
                "routes CSV not found",
                "give its path relative to the scenario file",
            )
        ]
    except UnicodeDecodeError:
        return {}, [Problem(file, "(file)", "not a UTF-8 text file", "save it as CSV (UTF-8)")]
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    for col in ("room", "primary"):
        if col not in header:
            problems.append(
                Problem(
                    file,
                    "(header)",
                    f"missing column '{col}'",
                    f"add a header row with: {', '.join(ROUTE_COLUMNS)}",
                )
            )
    for col in header:
        if col not in ROUTE_COLUMNS:
            problems.append(
                Problem(
                    file,
                    "(header)",
                    f"unknown column '{col}'",
                    f"use only {', '.join(ROUTE_COLUMNS)}"
                    + did_you_mean_text(col, ROUTE_COLUMNS),
                )
            )
    if problems:
        return {}, problems
    routes: dict[str, dict] = {}
    for n, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        room = row.get("room", "")
        if not room or not row.get("primary"):
            problems.append(
                Problem(
                    file,
                    f"row {n}",
                    "room and primary are required",
                    "fill both, e.g. R101,EX-W,EX-STW",
                )
            )
            continue
        if room in routes:
            problems.append(
                Problem(
                    file, f"row {n}.room", f"room '{room}' listed twice", "keep one row per room"
                )
            )
            continue
        route: dict = {"primary": row["primary"]}
        if row.get("alternate"):
            route["alternate"] = row["alternate"]
        if row.get("via"):
            route["via"] = [w.strip() for w in row["via"].split(";") if w.strip()]
        if row.get("assembly"):
            route["assembly"] = row["assembly"]
        routes[room] = route
    return routes, problems
