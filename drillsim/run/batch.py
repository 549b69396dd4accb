"""Batches of seeded runs, in fixed-size chunks, on local processes or a Dask cluster.

Each chunk is independent: it draws its own runs from the batch seed (see
:mod:`drillsim.sample.draws`), simulates them, and reduces them to per-run metrics, room-level times
and over-time curves before returning. Person-level arrays never leave the worker, so memory stays
flat as the run count grows, and the result is identical whatever the worker count or backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import ClassVar

import numpy as np

from drillsim import __version__
from drillsim.engines.batch import run_batch
from drillsim.engines.outcomes import Outcomes
from drillsim.engines.reference import run_reference
from drillsim.errors import DrillsimError
from drillsim.metrics.exposure import exposure
from drillsim.metrics.score import classes_accounted, curves, score
from drillsim.plan.compile import Plan, compile_plan
from drillsim.run.workers import lean_spawn, tune_malloc, worker_init
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import LoadedScenario
from drillsim.scenario.model import Scenario

ENGINES = ("batch", "reference")
#: Per-room, per-space and over-time detail is kept for the first this many runs; per-run metrics
#: are kept for every run. Beyond it the job's memory stays flat (the metrics table is the only
#: thing that grows: about 150 bytes per run). 10,000 runs put the Monte Carlo error of a room's
#: median secured time far below a second.
DETAIL_RUNS = 10_000
#: Step of the over-time curves (people unsecured, rooms secured), seconds.
CURVE_STEP_S = 5.0


@dataclass
class BatchResult:
    """Everything a batch keeps: per-run metrics, room-level times, curves and provenance.

    ``metrics`` has one row per run; the room, space and curve arrays have one row for each of
    the first ``n_detail`` runs (see ``DETAIL_RUNS``).
    """

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
    space_exposure_s: (
        np.ndarray
    )  # (R, S) person-s unsecured in or next to the hazard zone (issue 9)
    provenance: dict = field(default_factory=dict)
    # evacuation detail (nan where not applicable): per start space, the class's last member out
    # of the building and the class accounted for at assembly; per exit space, its last user out
    space_out_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (R, S)
    space_move_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (R, S) first mover
    space_accounted_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (R, S)
    exit_last_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (R, S)

    @property
    def n_runs(self) -> int:
        """Runs in the batch (rows of ``metrics``)."""
        return int(next(iter(self.metrics.values())).shape[0])

    @property
    def n_detail(self) -> int:
        """Runs with room / space / curve detail: the first ``min(n_runs, DETAIL_RUNS)``."""
        return int(self.room_secured_s.shape[0])


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
    out_s = np.full((o.n_runs, S), np.nan)
    move_s = np.full((o.n_runs, S), np.nan)
    accounted = np.full((o.n_runs, S), np.nan)
    exit_last = np.full((o.n_runs, S), np.nan)
    if plan.protocol == "evacuate":
        arrive = np.where(np.isnan(o.person_arrive_s), np.inf, o.person_arrive_s)
        spaces = np.unique(plan.person_space)
        accounted[:, spaces] = classes_accounted(plan, o)
        for s in spaces:
            out_s[:, s] = arrive[:, plan.person_space == s].max(axis=1)
            mv = np.where(np.isnan(o.person_move_s), np.inf, o.person_move_s)
            move_s[:, s] = mv[:, plan.person_space == s].min(axis=1)
        for e in np.unique(plan.person_exit[plan.person_exit >= 0]):
            exit_last[:, e] = arrive[:, plan.person_exit == e].max(axis=1)
    return {
        "space_out_s": out_s,
        "space_move_s": move_s,
        "space_accounted_s": accounted,
        "exit_last_s": exit_last,
        "metrics": score(plan, o),
        "curves": curves(plan, o, _grid(plan)),
        "room_alert_s": o.space_alert_s[:, plan.room_space],
        "room_locked_s": o.room_locked_s,
        "room_secured_s": o.room_secured_s,
        "room_reason": o.room_reason,
        "room_checked_s": o.room_checked_s,
        "space_alert_s": o.space_alert_s,
        "space_locked_out": locked_out,
        "space_exposure_s": exposure(plan, o)[1],
    }


def run_chunk(
    plan: Plan, scenario: Scenario, seed: int, first_run: int, n_runs: int, engine: str
) -> dict:
    """Simulate and reduce one chunk (the unit of work sent to a process or Dask worker)."""
    tune_malloc()  # keep freed chunk memory for the next chunk (no page faults); same numbers
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
    out = _Collector(n_runs)

    def take(a: tuple, part: dict) -> None:
        out.add(a[3], part)
        if progress:
            progress(a[4])

    if scheduler:
        _on_dask(scheduler, args, take)
    elif workers == 1 or len(jobs) == 1:
        for a in args:
            take(a, run_chunk(*a))
    else:
        _on_processes(min(workers, len(jobs)), args, take)
    return out.result(plan, loaded, seed, engine)


def _on_processes(workers: int, args: list[tuple], take) -> None:
    """Run chunks on local processes, at most two per worker in flight (bounded memory)."""
    with lean_spawn(), ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=worker_init
    ) as pool:
        pending: dict = {}
        queue = list(args)
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                a = queue.pop(0)
                pending[pool.submit(run_chunk, *a)] = a
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                take(pending.pop(fut), fut.result())


def _on_dask(address: str, args: list[tuple], take) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise DrillsimError("--scheduler needs Dask: pip install 'drillsim[cluster]'") from exc
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise DrillsimError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        plan = client.scatter(args[0][0], broadcast=True, hash=False)  # sent once, not per chunk
        futures = [client.submit(run_chunk, plan, *a[1:], pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            take(args[index[fut.key]], fut.result())
            fut.release()


class _Collector:
    """Preallocated result arrays, filled chunk by chunk at each chunk's run offset.

    Chunks may finish in any order; each is copied into place and dropped, so the kept result
    is the only thing that grows with the run count. Report-only arrays are kept compactly
    (float32 times, integer counts); metrics and room secured times stay float64.
    """

    COMPACT: ClassVar[dict[str, type]] = {
        "room_alert_s": np.float32,
        "room_locked_s": np.float32,
        "room_checked_s": np.float32,
        "space_alert_s": np.float32,
        "space_locked_out": np.int32,
        "space_exposure_s": np.float32,
        "room_reason": np.int8,
        "room_secured_s": np.float64,
        "space_out_s": np.float32,
        "space_move_s": np.float32,
        "space_accounted_s": np.float32,
        "exit_last_s": np.float32,
    }

    def __init__(self, n_runs: int):
        self.n = n_runs
        self.n_detail = min(n_runs, DETAIL_RUNS)
        self.arrays: dict[str, np.ndarray] = {}
        self.metrics: dict[str, np.ndarray] = {}
        self.curves: dict[str, np.ndarray] = {}

    def add(self, first_run: int, part: dict) -> None:
        k = len(next(iter(part["metrics"].values())))
        rows = slice(first_run, first_run + k)
        for name, v in part["metrics"].items():
            self.metrics.setdefault(name, np.empty(self.n))[rows] = v
        keep = max(0, min(k, self.n_detail - first_run))  # detail rows of this chunk
        detail = slice(first_run, first_run + keep)
        for name, v in part["curves"].items():
            arr = self.curves.setdefault(name, np.empty((self.n_detail, v.shape[1]), np.int32))
            arr[detail] = v[:keep]
        for name, dtype in self.COMPACT.items():
            v = part[name]
            arr = self.arrays.setdefault(name, np.empty((self.n_detail, v.shape[1]), dtype))
            arr[detail] = v[:keep]

    def result(self, plan: Plan, loaded: LoadedScenario, seed: int, engine: str) -> BatchResult:
        return BatchResult(
            plan=plan,
            seed=seed,
            engine=engine,
            metrics=self.metrics,
            grid_s=_grid(plan),
            curves=self.curves,
            provenance={
                **provenance(loaded, plan, seed, engine, self.n),
                "detail_runs": self.n_detail,
            },
            **self.arrays,
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
