"""Run a scenario at many parameter settings with common random numbers.

Every design point is the base scenario with some values overridden (by dotted path) and is run
with the same seed and run count, so run *i* of every point gets the same uniform draws: the
difference between two points is the effect of the change, measured paired, exactly as in
``drillsim compare``. Plans are compiled once per distinct building/population setting (most
parameters only change what is sampled), and points run on local processes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np

from drillsim.plan.compile import Plan, compile_plan
from drillsim.scenario.load import LoadedScenario, scenario_with_floorplan
from drillsim.scenario.model import Scenario
from drillsim.scenario.paths import scenario_dump, set_paths

#: Scenario values read only when sampling draws (never by the plan compiler); with every
#: distribution they are left out of the plan-cache key. A field missing here only costs a
#: recompile, never a wrong plan.
SAMPLE_ONLY = (
    ("behaviour", "lock_failure_probability"),
    ("behaviour", "latch_fault_probability"),
    ("behaviour", "max_lock_attempts"),
    ("alert", "channels", "app", "delivery_probability"),
)


def plan_key(scenario: Scenario) -> str:
    """Canonical JSON of everything in the scenario the plan compiler may read."""
    data = scenario_dump(scenario)
    for path in SAMPLE_ONLY:
        node: Any = data
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not _is_dist(v)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(data), sort_keys=True)


def _is_dist(v: Any) -> bool:
    return (isinstance(v, dict) and "dist" in v) or (
        isinstance(v, dict) and bool(v) and all(isinstance(x, dict) and "dist" in x
                                               for x in v.values())
    )


class PlanCache:
    """Compiled plans by :func:`plan_key`, so a point that only changes draws reuses its plan."""

    def __init__(self, base: LoadedScenario):
        self.base = base
        self.plans: dict[str, Plan] = {}

    def point(self, overrides: Mapping[str, Any], source: str = "--set") -> tuple[Plan, Scenario]:
        """The plan and scenario of the base scenario with ``overrides`` applied."""
        sc = set_paths(self.base.scenario, overrides, source) if overrides else self.base.scenario
        key = plan_key(sc)
        if key not in self.plans:
            loaded = scenario_with_floorplan(sc, self.base.floorplan, self.base.source)
            self.plans[key] = compile_plan(loaded)
        plan = self.plans[key]
        return plan, sc


def point_metrics(plan: Plan, scenario: Scenario, seed: int, n_runs: int) -> dict[str, np.ndarray]:
    """Per-run metrics of runs ``0 .. n_runs - 1`` of one design point (batch engine)."""
    from drillsim.metrics.score import score
    from drillsim.run.batch import chunks, simulate
    from drillsim.run.workers import gc_paused, tune_malloc

    tune_malloc()  # reuse freed chunk memory (no page faults); same numbers
    parts = []
    for lo, n in chunks(n_runs):
        with gc_paused():  # no collector passes mid-chunk; same numbers
            parts.append(score(plan, simulate(plan, scenario, seed, lo, n, "batch")))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _task(args: tuple) -> tuple[int, dict[str, np.ndarray]]:
    i, plan, scenario, seed, n_runs = args
    return i, point_metrics(plan, scenario, seed, n_runs)


def evaluate(
    base: LoadedScenario,
    points: Sequence[Mapping[str, Any]],
    n_runs: int,
    seed: int,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield ``(point index, per-run metrics)`` for every override mapping in ``points``.

    Every override is validated before any run starts, so a bad value fails fast. Points come
    back in any order when ``workers > 1``; the numbers never depend on the worker count.
    """
    cache = PlanCache(base)
    prepared = [(i, *cache.point(p), seed, n_runs) for i, p in enumerate(points)]
    if workers <= 1 or len(prepared) < 2:
        for a in prepared:
            out = _task(a)
            if progress:
                progress(n_runs)
            yield out
        return
    from drillsim.run.workers import lean_spawn, worker_init

    with lean_spawn(), ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=worker_init
    ) as pool:
        for out in pool.map(_task, prepared, chunksize=max(1, len(prepared) // (8 * workers))):
            if progress:
                progress(n_runs)
            yield out

