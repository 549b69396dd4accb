"""What every part of the plan compiler needs: indexed spaces, path lengths, people and their rooms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from drillsim.floorplan.model import Floorplan
from drillsim.plan.population import ROLE_CODES, Person, place_people
from drillsim.scenario.load import LoadedScenario

#: Route choice and SRO travel count a metre of stair as this many metres of level floor (people
#: are slower on stairs; SFPE stair speeds are roughly 2/3 of level speeds).
STAIR_WEIGHT = 1.5


def stair_weighted(a: str, b: str, d: dict[str, Any]) -> float:
    """Edge weight for route choice: length, with stair metres counted ``STAIR_WEIGHT`` times."""
    return d["length_m"] * (STAIR_WEIGHT if d["kind"] == "stair" else 1.0)


@dataclass(frozen=True)
class Context:
    """Shared, deterministic inputs of the plan compiler's parts (one per protocol)."""

    loaded: LoadedScenario
    ids: tuple[str, ...]
    idx: dict[str, int]
    kinds: tuple[str, ...]
    level_len: np.ndarray  # (S, S) level metres along the chosen path
    stair_len: np.ndarray  # (S, S) stair metres along the chosen path
    hops: np.ndarray  # (S, S) fewest connections (inf if unreachable)
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

    @property
    def weighted(self) -> np.ndarray:
        """(S, S) stair-weighted path metres."""
        return self.level_len + STAIR_WEIGHT * self.stair_len


def build_context(loaded: LoadedScenario) -> Context:
    """Index the floorplan, compute path lengths and place the people."""
    sc, fp = loaded.scenario, loaded.floorplan
    g = fp.graph
    ids = tuple(fp.spaces)
    idx = {s: i for i, s in enumerate(ids)}
    S = len(ids)
    kinds = tuple(fp.space(s)["kind"] for s in ids)

    level_len, stair_len = _path_lengths(g, ids, idx, stair_weighted)
    hops = np.full((S, S), np.inf)
    for src, lengths in nx.all_pairs_shortest_path_length(g):
        for dst, h in lengths.items():
            hops[idx[src], idx[dst]] = float(h)

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
        level_len=level_len,
        stair_len=stair_len,
        hops=hops,
        people=people,
        person_role=person_role,
        person_space=person_space,
        room_spaces=room_spaces,
        room_of_space=room_of_space,
        room_adult=room_adult,
        person_room=person_room,
        person_leader=person_leader,
    )


def _path_lengths(g: nx.Graph, ids, idx, weight) -> tuple[np.ndarray, np.ndarray]:
    """Level and stair metres along the weighted shortest path between every pair of spaces."""
    S = len(ids)
    level = np.full((S, S), np.inf)
    stair = np.full((S, S), np.inf)
    for src in ids:
        _, paths = nx.single_source_dijkstra(g, src, weight=weight)
        i = idx[src]
        for dst, path in paths.items():
            lv = st = 0.0
            for a, b in zip(path[:-1], path[1:], strict=True):
                d = g.edges[a, b]
                if d["kind"] == "stair":
                    st += d["length_m"]
                else:
                    lv += d["length_m"]
            level[i, idx[dst]] = lv
            stair[i, idx[dst]] = st
    return level, stair
