"""What every part of the plan compiler needs: indexed spaces, path lengths (on demand, see
:mod:`drillsim.plan.paths`), people and their rooms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drillsim.floorplan.model import Floorplan
from drillsim.plan.paths import STAIR_WEIGHT, Paths, stair_weighted
from drillsim.plan.population import ROLE_CODES, Person, place_people
from drillsim.scenario.load import LoadedScenario


@dataclass(frozen=True)
class Context:
    """Shared, deterministic inputs of the plan compiler's parts (one per protocol)."""

    loaded: LoadedScenario
    ids: tuple[str, ...]
    idx: dict[str, int]
    kinds: tuple[str, ...]
    paths: Paths  # path metres and fewest hops between spaces, computed on demand
    people: list[Person]
    person_role: np.ndarray
    person_space: np.ndarray
    room_spaces: list[int]  # securable spaces with an adult at t0, ascending
    room_of_space: dict[int, int]
    room_adult: np.ndarray
    person_room: np.ndarray
    person_leader: np.ndarray

    @property
    def scenario(self):
        return self.loaded.scenario

    @property
    def floorplan(self) -> Floorplan:
        return self.loaded.floorplan

    @property
    def n_spaces(self) -> int:
        return len(self.ids)


def build_context(loaded: LoadedScenario) -> Context:
    """Index the floorplan, compute path lengths and place the people."""
    sc, fp = loaded.scenario, loaded.floorplan
    g = fp.graph
    ids = tuple(fp.spaces)
    idx = {s: i for i, s in enumerate(ids)}
    kinds = tuple(fp.space(s)["kind"] for s in ids)

    paths = Paths(g, ids)

    people = place_people(fp, sc.population)
    person_role = np.array([ROLE_CODES[p.role] for p in people], dtype=np.int8)
    person_space = np.array([idx[p.space] for p in people], dtype=np.int64)

    # rooms to secure: securable spaces whose occupants include an adult
    first_adult: dict[int, int] = {}
    for i, p in enumerate(people):
        if p.role != "student" and fp.space(p.space)["securable"]:
            first_adult.setdefault(idx[p.space], i)
    room_spaces = sorted(first_adult)
    room_of_space = {s: m for m, s in enumerate(room_spaces)}
    room_adult = np.array([first_adult[s] for s in room_spaces], dtype=np.int64)
    person_room = np.array([room_of_space.get(int(s), -1) for s in person_space], dtype=np.int64)
    leader_of_space: dict[int, int] = {}
    for i, p in enumerate(people):
        if p.role != "student":
            leader_of_space.setdefault(idx[p.space], i)
    person_leader = np.array(
        [leader_of_space.get(int(s), i) for i, s in enumerate(person_space)], dtype=np.int64
    )

    return Context(
        loaded=loaded,
        ids=ids,
        idx=idx,
        kinds=kinds,
        paths=paths,
        people=people,
        person_role=person_role,
        person_space=person_space,
        room_spaces=room_spaces,
        room_of_space=room_of_space,
        room_adult=room_adult,
        person_room=person_room,
        person_leader=person_leader,
    )



__all__ = ["STAIR_WEIGHT", "Context", "Paths", "build_context", "stair_weighted"]
