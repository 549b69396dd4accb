"""Place people in the building at t0 from a schedule preset plus explicit groups.

Deterministic: the same floorplan and scenario always give the same people in the same order, so
that person *i* is the same person in every run and in every scenario compared against it (common
random numbers are keyed by person index).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drillsim.floorplan import Floorplan
from drillsim.scenario.model import Population

ROLE_CODES = {"student": 0, "teacher": 1, "staff": 2}
MOBILITY_CODES = {"walking": 0, "wheelchair": 1, "no_stairs": 2}


@dataclass(frozen=True)
class Person:
    """One occupant at t0: a role and the space they are in; roster people carry their id,
    evacuation group name, mobility and helper id (``population.roster``)."""

    role: str  # student | teacher | staff
    space: str
    pid: str = ""  # roster id ("" for people the preset or groups placed)
    group: str | None = None  # name of an evacuation.groups entry
    mobility: str = "walking"  # walking | wheelchair | no_stairs
    helper: str | None = None  # roster id of the adult who comes back for them


def place_people(fp: Floorplan, pop: Population) -> list[Person]:
    """Fill the building for the preset, then add explicit groups.

    Within a space adults come first, so the first adult of a room is its responsible adult.
    """
    kinds = {s: fp.space(s)["kind"] for s in fp.spaces}
    classrooms = [s for s in fp.spaces if kinds[s] == "classroom"]
    corridors = [s for s in fp.spaces if kinds[s] in ("corridor", "commons")]
    restrooms = [s for s in fp.spaces if kinds[s] == "restroom"]
    by_kind = lambda k: [s for s in fp.spaces if kinds[s] == k]  # noqa: E731

    students: dict[str, int] = {s: 0 for s in fp.spaces}
    teachers: dict[str, int] = {s: 0 for s in fp.spaces}
    staff: dict[str, int] = {s: 0 for s in fp.spaces}

    class_size = {s: round(fp.space(s)["capacity"] * pop.fill) for s in classrooms}
    mean_class = round(sum(class_size.values()) / len(classrooms)) if classrooms else 0

    if pop.preset != "none":
        for s in by_kind("office"):
            staff[s] += pop.office_staff
        for s in classrooms:
            teachers[s] += 1
        if pop.preset == "class_in_session":
            for s in classrooms:
                students[s] += class_size[s]
            for s in by_kind("gym")[:1]:
                students[s] += mean_class
                teachers[s] += 1
            for s in by_kind("library")[:1]:
                staff[s] += 1
                students[s] += max(1, mean_class // 3)
        elif pop.preset == "passing_period":
            moving = 0
            for s in classrooms:
                stay = round(class_size[s] * pop.in_room_share)
                students[s] += stay
                moving += class_size[s] - stay
            _spread(students, corridors, moving, weights=[_area(fp, c) for c in corridors])
        elif pop.preset == "lunch":
            n_lunch = round(len(classrooms) * pop.lunch_share)
            step = len(classrooms) / n_lunch if n_lunch else 0
            at_lunch = {classrooms[int(i * step)] for i in range(n_lunch)}
            cafeterias = by_kind("cafeteria")
            for s in classrooms:
                if s in at_lunch and cafeterias:
                    _spread(students, cafeterias, class_size[s], [1.0] * len(cafeterias))
                else:
                    students[s] += class_size[s]
            for s in cafeterias:
                staff[s] += 2
        elif pop.preset == "arrival":
            # arrival / dismissal: in_room_share of each class is already in its room; the rest
            # are in transit, outdoor_share of them outdoors, the others in corridors/commons
            outdoors = by_kind("outdoor")
            moving = 0
            for s in classrooms:
                stay = round(class_size[s] * pop.in_room_share)
                students[s] += stay
                moving += class_size[s] - stay
            out_n = round(moving * pop.outdoor_share) if outdoors else 0
            _spread(students, outdoors, out_n, [_area(fp, o) for o in outdoors])
            _spread(students, corridors, moving - out_n, [_area(fp, c) for c in corridors])
            for s in outdoors:
                staff[s] += 1  # a duty adult at each outdoor area
        elif pop.preset == "recess":
            # recess_share of the classes (evenly over the list) are outdoors with their
            # supervisors; their teachers are in their empty rooms
            outdoors = by_kind("outdoor")
            n_out = round(len(classrooms) * pop.recess_share) if outdoors else 0
            step = len(classrooms) / n_out if n_out else 0
            at_recess = {classrooms[int(i * step)] for i in range(n_out)}
            for s in classrooms:
                if s in at_recess:
                    _spread(students, outdoors, class_size[s], [_area(fp, o) for o in outdoors])
                else:
                    students[s] += class_size[s]
            for s in outdoors:
                staff[s] += 2
        # Students out of class (restroom, hallway), taken one per classroom in turn.
        total_in_class = sum(students[s] for s in classrooms)
        n_out = (
            round(total_in_class * pop.out_of_class_share)
            if pop.preset not in ("passing_period", "arrival")
            else 0
        )
        targets = [t for pair in _zip_longest(restrooms, corridors) for t in pair if t]
        taken = 0
        while taken < n_out and targets:
            progressed = False
            for s in classrooms:
                if taken >= n_out:
                    break
                if students[s] > 0:
                    students[s] -= 1
                    students[targets[taken % len(targets)]] += 1
                    taken += 1
                    progressed = True
            if not progressed:
                break

    for g in pop.groups:
        students[g.space] += g.students
        teachers[g.space] += g.teachers
        staff[g.space] += g.staff

    roster: dict[str, dict[str, list[Person]]] = {}
    for r in pop.people:
        roster.setdefault(r.space, {"teacher": [], "staff": [], "student": []})[r.role].append(
            Person(r.role, r.space, r.id, r.group, r.mobility, r.helper)
        )
    replace = pop.roster_mode == "replace"
    people: list[Person] = []
    for s in fp.spaces:
        listed = roster.get(s, {"teacher": [], "staff": [], "student": []})
        keep = not (replace and s in roster)  # replace: the roster is the space's whole list
        for role, count in (("teacher", teachers), ("staff", staff), ("student", students)):
            if keep:
                people += [Person(role, s)] * count[s]
            people += listed[role]
    return people


def _area(fp: Floorplan, s: str) -> float:
    a = float(fp.space(s)["area_m2"])
    return a if a > 0 else 1.0


def _spread(counts: dict[str, int], spaces: list[str], n: int, weights: list[float]) -> None:
    """Split ``n`` people over ``spaces`` in proportion to ``weights`` (largest remainder)."""
    if not spaces or n <= 0:
        return
    total = sum(weights)
    quotas = [n * w / total for w in weights]
    base = [int(q) for q in quotas]
    rest = n - sum(base)
    order = sorted(range(len(spaces)), key=lambda i: (-(quotas[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    for s, k in zip(spaces, base, strict=True):
        counts[s] += k


def _zip_longest(a: list[str], b: list[str]) -> list[tuple[str | None, str | None]]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]


#: Additive recurrence of the plastic number (R2 sequence): evenly spread points in a rectangle,
#: deterministic, so every run and every scenario sees the same start positions.
_R2 = (0.7548776662466927, 0.5698402909980532)


def start_offsets(fp: Floorplan, people: list[Person]) -> list[tuple[float, float]]:
    """Each person's start position relative to their space's centre (x, y metres).

    The k-th person of a space sits at the k-th point of an R2 low-discrepancy sequence over the
    space's footprint (``size_w_m`` x ``size_h_m``), so 400 people in a cafeteria are spread over
    it rather than stacked at one point, and every run uses the same positions (common random
    numbers for every other quantity are untouched).
    """
    seen: dict[str, int] = {}
    out = []
    for p in people:
        k = seen.get(p.space, 0)
        seen[p.space] = k + 1
        a = fp.space(p.space)
        u = (0.5 + _R2[0] * (k + 1)) % 1.0
        v = (0.5 + _R2[1] * (k + 1)) % 1.0
        out.append(((u - 0.5) * float(a["size_w_m"]), (v - 0.5) * float(a["size_h_m"])))
    return out


def roster_fields(ctx) -> dict:
    """Plan fields of the roster's per-person columns (ids, named group, mobility)."""
    groups = ctx.scenario.evacuation.groups
    index = {g.name: i for i, g in enumerate(groups) if g.name is not None}
    people = ctx.people
    return {
        "person_id": tuple(p.pid for p in people),
        "person_group": np.array([index.get(p.group, -1) for p in people], dtype=np.int64),
        "person_mobility": np.array(
            [MOBILITY_CODES[p.mobility] for p in people], dtype=np.int8
        ),
    }
