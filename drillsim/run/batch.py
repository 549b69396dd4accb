"""Batches of seeded runs, in fixed-size chunks, on local processes or a Dask cluster.

Each chunk is independent: it draws its own runs from the batch seed (see
:mod:`drillsim.sample.draws`), simulates them, and reduces them to per-run metrics, room-level times
and over-time curves before returning. Person-level arrays never leave the worker, so memory stays
flat as the run count grows, and the result is identical whatever the worker count or backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np

from drillsim import __version__
from drillsim.engines.batch import run_batch
from drillsim.engines.outcomes import Outcomes
from drillsim.engines.reference import run_reference
from drillsim.errors import DrillsimError
from drillsim.metrics.score import curves, score
from drillsim.plan.compile import Plan, compile_plan
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import LoadedScenario
from drillsim.scenario.model import Scenario

ENGINES = ("batch", "reference")
#: Step of the over-time curves (people unsecured, rooms secured), seconds.
CURVE_STEP_S = 5.0


@dataclass
class BatchResult:
    """Everything a batch keeps: per-run metrics, room-level times, curves and provenance."""

    plan: Plan
    seed: int
    engine: str
    metrics: dict[str, np.ndarray]  # name -> (R,)
    grid_s: np.ndarray  # (T,)
    curves: dict[str, np.ndarray]  # name -> (R, T)
    room_alert_s: np.ndarray  # (R, M)
    room_locked_s: np.ndarray  # (R, M)
    room_secured_s: np.ndarray  # (R, M)
    room_reason: np.ndarray  # (R, M)
    room_checked_s: np.ndarray  # (R, M)
    space_alert_s: np.ndarray  # (R, S)
    space_locked_out: np.ndarray  # (R, S) people locked out, by the space they started in
    provenance: dict = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(next(iter(self.metrics.values())).shape[0])


def _grid(plan: Plan) -> np.ndarray:
    return np.arange(0.0, plan.horizon_s + CURVE_STEP_S / 2, CURVE_STEP_S)


def simulate(
    plan: Plan, scenario: Scenario, seed: int, first_run: int, n_runs: int, engine: str
) -> Outcomes:
    """Outcomes of runs ``first_run .. first_run + n_runs - 1`` with either engine."""
    draws = sample(plan, scenario, seed, n_runs, first_run=first_run)
    if engine == "batch":
        return run_batch(plan, draws)
    return Outcomes.concat([run_reference(plan, draws.run(r)) for r in range(draws.n_runs)])


def reduce_outcomes(plan: Plan, o: Outcomes) -> dict:
    """What a chunk sends back: per-run metrics, room/space arrays and curves."""
    S = plan.n_spaces
    locked_out = np.zeros((o.n_runs, S))
    if o.person_locked_out.any():
        for s in np.unique(plan.person_space):
            cols = plan.person_space == s
            locked_out[:, s] = o.person_locked_out[:, cols].sum(axis=1)
    return {
        "metrics": score(plan, o),
        "curves": curves(plan, o, _grid(plan)),
        "room_alert_s": o.space_alert_s[:, plan.room_space],
        "room_locked_s": o.room_locked_s,
        "room_secured_s": o.room_secured_s,
        "room_reason": o.room_reason,
        "room_checked_s": o.room_checked_s,
        "space_alert_s": o.space_alert_s,
        "space_locked_out": locked_out,
    }


def run_chunk(
    plan: Plan, scenario: Scenario, seed: int, first_run: int, n_runs: int, engine: str
) -> dict:
    """Simulate and reduce one chunk (the unit of work sent to a process or Dask worker)."""
    return reduce_outcomes(plan, simulate(plan, scenario, seed, first_run, n_runs, engine))


def chunks(n_runs: int) -> list[tuple[int, int]]:
    """(first_run, n) of each chunk; chunk boundaries follow the sampling chunks."""
    return [(lo, min(CHUNK_RUNS, n_runs - lo)) for lo in range(0, n_runs, CHUNK_RUNS)]


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def run_batch_job(
    loaded: LoadedScenario,
    n_runs: int,
    seed: int,
    *,
    engine: str = "batch",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    plan: Plan | None = None,
) -> BatchResult:
    """Run ``n_runs`` seeded runs of a scenario and keep their reduced results.

    Parameters
    ----------
    loaded : LoadedScenario
        The validated scenario and floorplan.
    n_runs : int
        Number of runs (>= 1).
    seed : int
        Batch seed; run *i* always gets the same random inputs for the same seed.
    engine : {"batch", "reference"}
        The vectorized engine (default) or the SimPy reference engine (for checking).
    workers : int, optional
        Local worker processes (default: all cores). 1 runs in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); runs the same chunks there.
    progress : callable, optional
        Called with the number of runs finished after each chunk.
    """
    if engine not in ENGINES:
        raise DrillsimError(f"unknown engine '{engine}'; use one of: {', '.join(ENGINES)}")
    if n_runs < 1:
        raise DrillsimError(f"--runs must be at least 1, got {n_runs}")
    if seed < 0:
        raise DrillsimError(f"--seed must be a non-negative integer, got {seed}")
    plan = plan or compile_plan(loaded)
    sc = loaded.scenario
    jobs = chunks(n_runs)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise DrillsimError(f"--workers must be at least 1, got {workers}")
    args = [(plan, sc, seed, lo, n, engine) for lo, n in jobs]
    if scheduler:
        parts = _on_dask(scheduler, args, progress)
    elif workers == 1 or len(jobs) == 1:
        parts = []
        for a in args:
            parts.append(run_chunk(*a))
            if progress:
                progress(a[4])
    else:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)), mp_context=get_context("spawn")
        ) as pool:
            futures = [pool.submit(run_chunk, *a) for a in args]
            parts = []
            for a, fut in zip(args, futures, strict=True):
                parts.append(fut.result())
                if progress:
                    progress(a[4])
    return _combine(plan, loaded, seed, engine, parts)


def _on_dask(address: str, args: list[tuple], progress) -> list[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise DrillsimError("--scheduler needs Dask: pip install 'drillsim[cluster]'") from exc
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise DrillsimError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        futures = [client.submit(run_chunk, *a, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        parts: list[dict | None] = [None] * len(futures)
        for fut in as_completed(futures):
            i = index[fut.key]
            parts[i] = fut.result()
            if progress:
                progress(args[i][4])
    return [p for p in parts if p is not None]


def _combine(
    plan: Plan, loaded: LoadedScenario, seed: int, engine: str, parts: Iterable[dict]
) -> BatchResult:
    parts = list(parts)

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in parts])

    names = list(parts[0]["metrics"])
    return BatchResult(
        plan=plan,
        seed=seed,
        engine=engine,
        metrics={k: np.concatenate([p["metrics"][k] for p in parts]) for k in names},
        grid_s=_grid(plan),
        curves={k: np.concatenate([p["curves"][k] for p in parts]) for k in parts[0]["curves"]},
        room_alert_s=cat("room_alert_s"),
        room_locked_s=cat("room_locked_s"),
        room_secured_s=cat("room_secured_s"),
        room_reason=cat("room_reason"),
        room_checked_s=cat("room_checked_s"),
        space_alert_s=cat("space_alert_s"),
        space_locked_out=cat("space_locked_out"),
        provenance=provenance(
            loaded, plan, seed, engine, sum(len(p["metrics"][names[0]]) for p in parts)
        ),
    )


def provenance(loaded: LoadedScenario, plan: Plan, seed: int, engine: str, n_runs: int) -> dict:
    """What every output records so a result can be traced and reproduced."""
    return {
        "drillsim_version": __version__,
        "scenario": loaded.scenario.name,
        "scenario_file": os.path.basename(loaded.source),
        "protocol": plan.protocol,
        "mode": plan.mode,
        "seed": int(seed),
        "n_runs": int(n_runs),
        "engine": engine,
        "floorplan_sha256": plan.floorplan_digest,
        "scenario_sha256": plan.scenario_digest,
        "chunk_runs": CHUNK_RUNS,
    }
