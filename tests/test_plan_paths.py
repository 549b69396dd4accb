"""On-demand shortest paths (plan/paths.py) give exactly the numbers of the old all-pairs tables.

The reference here is the plan compiler's former brute force: a networkx Dijkstra from every space,
each path walked edge by edge to split its length into level and stair metres, the next space read
off each path, and ``all_pairs_shortest_path_length`` for hops. ``TablePaths`` answers every query of
:class:`Paths` from those dense tables; compiling with it must give field-for-field the same Plan
and the same outcomes as compiling with the on-demand object.
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drillsim.plan.context as plan_context
from drillsim.engines.batch import run_batch
from drillsim.floorplan import floorplan_from_dict, load_floorplan
from drillsim.metrics.exposure import exposure
from drillsim.plan.compile import compile_plan
from drillsim.plan.paths import STAIR_WEIGHT, Paths, stair_weighted
from drillsim.sample.draws import sample
from drillsim.scenario.load import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent


class TablePaths:
    """The old dense S x S tables behind the :class:`Paths` interface (the brute force)."""

    def __init__(self, graph: nx.Graph, ids) -> None:
        idx = {s: i for i, s in enumerate(ids)}
        S = self.n_spaces = len(ids)
        self.level = np.full((S, S), np.inf)
        self.stair = np.full((S, S), np.inf)
        self.next = np.full((S, S), -1, dtype=np.int64)
        for src in ids:
            _, paths = nx.single_source_dijkstra(graph, src, weight=stair_weighted)
            i = idx[src]
            for dst, path in paths.items():
                lv = st_ = 0.0
                for a, b in zip(path[:-1], path[1:], strict=True):
                    d = graph.edges[a, b]
                    if d["kind"] == "stair":
                        st_ += d["length_m"]
                    else:
                        lv += d["length_m"]
                self.level[i, idx[dst]] = lv
                self.stair[i, idx[dst]] = st_
                if len(path) >= 2:
                    self.next[i, idx[dst]] = idx[path[1]]
        self.hop = np.full((S, S), np.inf)
        for src, lengths in nx.all_pairs_shortest_path_length(graph):
            for dst, h in lengths.items():
                self.hop[idx[src], idx[dst]] = float(h)

    def clear(self):
        pass

    def level_stair(self, a, b):
        return float(self.level[a, b]), float(self.stair[a, b])

    def weighted(self, a, b):
        return float(self.level[a, b] + STAIR_WEIGHT * self.stair[a, b])

    def metres(self, a, b):
        return float(self.level[a, b] + self.stair[a, b])

    def next_step(self, a, b):
        return int(self.next[a, b])

    def walk(self, a, b):
        path = [int(a)]
        while path[-1] != b:
            n = int(self.next[path[-1], b])
            if n < 0:
                break
            path.append(n)
        return path

    def from_source(self, src):
        return self.level[src].copy(), self.stair[src].copy()

    def nearest(self, src, targets, k=1):
        w = self.level[src] + STAIR_WEIGHT * self.stair[src]
        order = sorted(
            (pos for pos, t in enumerate(targets) if np.isfinite(w[t])),
            key=lambda pos: (w[targets[pos]], pos),
        )[:k]
        return [(pos, float(self.level[src, targets[pos]]), float(self.stair[src, targets[pos]]))
                for pos in order]

    def nearest_of(self, src, want, k=1):
        targets = {pos: t for t, ps in want.items() for pos in ps}
        w = self.level[src] + STAIR_WEIGHT * self.stair[src]
        order = sorted(
            (pos for pos, t in targets.items() if np.isfinite(w[t])),
            key=lambda pos: (w[targets[pos]], pos),
        )[:k]
        return [(pos, float(self.level[src, targets[pos]]), float(self.stair[src, targets[pos]]))
                for pos in order]

    def nearest_source(self, target, sources):
        reach = [p for p, s in enumerate(sources) if np.isfinite(self.level[s, target])]
        return min(reach, key=lambda p: (self.weighted(sources[p], target), p), default=-1)

    def nearest_source_of(self, target, want):
        sources = {pos: s for s, ps in want.items() for pos in ps}
        reach = [p for p, s in sources.items() if np.isfinite(self.level[s, target])]
        return min(reach, key=lambda p: (self.weighted(sources[p], target), p), default=-1)

    def hops(self, sources):
        sources = list(sources)
        if not sources:
            return np.full(self.n_spaces, np.inf)
        return self.hop[:, sources].min(axis=1)


def _same(a, b, where="plan") -> list[str]:
    """Paths where two plan values differ (arrays bit for bit, NaN equal to NaN)."""
    if isinstance(a, (Paths, TablePaths)):
        return []
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return [x for f in dataclasses.fields(a)
                for x in _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")]
    if isinstance(a, np.ndarray):
        ok = a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind == "f")
        return [] if ok else [where]
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return [where]
        return [x for i, (u, v) in enumerate(zip(a, b, strict=True))
                for x in _same(u, v, f"{where}[{i}]")]
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return [where]
        return [x for k in a for x in _same(a[k], b[k], f"{where}[{k}]")]
    if isinstance(a, float) and np.isnan(a):
        return [] if isinstance(b, float) and np.isnan(b) else [where]
    return [] if a == b else [where]


def _check_against_tables(graph: nx.Graph) -> None:
    ids = list(graph.nodes)
    S = len(ids)
    fast, ref = Paths(graph, ids), TablePaths(graph, ids)
    for i in range(S):
        lv, st_ = fast.from_source(i)
        assert np.array_equal(lv, ref.level[i]) and np.array_equal(st_, ref.stair[i])
        assert np.array_equal(fast.hops([i]), ref.hop[i])
    fresh = Paths(graph, ids)  # pair questions answered by stopped searches
    for i in range(S):
        for j in range(S):
            assert fresh.level_stair(i, j) == ref.level_stair(i, j)
            assert fresh.next_step(i, j) == ref.next_step(i, j), (ids[i], ids[j])
            assert fresh.walk(i, j) == ref.walk(i, j)
    everyone = list(range(S))
    for i in range(S):
        for k in (1, 2, 5):
            assert Paths(graph, ids).nearest(i, everyone[::2], k) == ref.nearest(i, everyone[::2], k)
        assert Paths(graph, ids).nearest_source(i, everyone[1::3]) == ref.nearest_source(
            i, everyone[1::3])
    assert np.array_equal(fast.hops([0, S - 1]), ref.hops([0, S - 1]))
    assert np.all(np.isinf(fast.hops([])))


@pytest.mark.parametrize("name", ["elementary-school.yaml", "high-school.yaml"])
def test_paths_equal_the_all_pairs_tables_on_the_bundled_floorplans(name):
    _check_against_tables(load_floorplan(ROOT / "floorplans" / name).graph)


#: edge lengths with many equal sums (ties), stairs whose stair-weighted length equals a level
#: route's (2 m of stair = 3 m of level), and lengths that do not add up exactly in binary
LENGTHS = [0.5, 1.0, 1.5, 2.0, 3.0, 0.1, 0.2, 0.3]


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 12))
    g = nx.Graph()
    names = [f"S{k}" for k in draw(st.permutations(range(n)))]  # node order is not name order
    g.add_nodes_from(names)
    for _ in range(draw(st.integers(0, 3 * n))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if a == b:
            continue
        g.add_edge(a, b, length_m=draw(st.sampled_from(LENGTHS)),
                   kind=draw(st.sampled_from(["door", "opening", "stair"])))
    return g  # possibly disconnected: unreachable spaces


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=graphs())
def test_paths_equal_the_all_pairs_tables_on_generated_graphs(g):
    _check_against_tables(g)


def test_a_kept_search_answers_like_a_fresh_one_and_pickles_without_its_caches():
    g = load_floorplan(ROOT / "floorplans" / "high-school.yaml").graph
    ids = list(g.nodes)
    p = Paths(g, ids)
    p._budget = 50  # force evictions between questions
    ref = TablePaths(g, ids)
    rng = np.random.default_rng(0)
    for a, b in rng.integers(0, len(ids), size=(300, 2)):
        assert p.level_stair(a, b) == ref.level_stair(a, b)
        assert p._settled <= max(p._budget, max(len(s.order) for s in p._searches.values()))
    q = pickle.loads(pickle.dumps(p))
    assert not q._searches and q.level_stair(3, 40) == ref.level_stair(3, 40)
    assert len(pickle.dumps(p)) < 20 * len(ids) * 8  # adjacency arrays only


BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.name for p in BUNDLED])
def test_bundled_plans_and_outcomes_equal_those_from_the_dense_tables(path, monkeypatch):
    loaded = load_scenario(path)
    plan = compile_plan(loaded)
    monkeypatch.setattr(plan_context, "Paths", TablePaths)
    table_plan = compile_plan(loaded)
    assert isinstance(table_plan.paths, TablePaths)
    assert _same(plan, table_plan) == []
    draws = sample(plan, loaded.scenario, 5, 4)
    a, b = run_batch(plan, draws), run_batch(table_plan, draws)
    assert _same(a, b, "outcomes") == []
    assert _same(exposure(plan, a), exposure(table_plan, b), "exposure") == []


def _campus(n_spaces: int):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gen_campus import campus

    fp_dict, _ = campus(n_spaces)
    sc = {
        "name": "campus", "floorplan": "campus.yaml", "protocol": "lockdown", "mode": "drill",
        "incident": {"origin": "B000-H05", "detection_delay_s": 0},
        "population": {"preset": "class_in_session", "student_age_band": "high",
                       "office_staff": 0},
        "sro": {"on_duty": True, "post": "B000-O00"},
    }
    return scenario_from_dict(sc, floorplan_from_dict(fp_dict))


def _arrays(value, seen=None):
    """Every NumPy array in a plan (dataclass fields, tuples, dicts), recursively."""
    if isinstance(value, np.ndarray):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type | Paths):
        for f in dataclasses.fields(value):
            yield from _arrays(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)


def test_a_2000_space_campus_compiles_in_seconds_without_space_by_space_arrays():
    loaded = _campus(2000)
    S = loaded.floorplan.graph.number_of_nodes()
    t0 = time.process_time()
    plan = compile_plan(loaded)
    took = time.process_time() - t0
    assert S == 1980 and plan.n_persons == 3000
    assert took < 30, took  # ~0.5 s CPU; was 125 s with the all-pairs tables
    biggest = max(a.size for a in _arrays(plan))
    assert biggest < S * S / 10, biggest
    assert len(pickle.dumps(plan)) < 2_000 * S  # ~100 MB before (S x S float tables)
    # the searches kept while compiling (bounded by the budget, see above) are released
    assert plan.paths._settled == 0 and not plan.paths._searches
    # and the plan runs
    draws = sample(plan, loaded.scenario, 1, 2)
    out = run_batch(plan, draws)
    assert np.isfinite(out.space_alert_s).all()
