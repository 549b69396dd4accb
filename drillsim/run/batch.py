"""Batches of seeded runs, in fixed-size chunks, on local processes or a Dask cluster.

Each chunk is independent: it draws its own runs from the batch seed (see
:mod:`drillsim.sample.draws`), simulates them, and reduces them to per-run metrics, room-level times
and over-time curves before returning. Person-level arrays never leave the worker, so memory stays
flat as the run count grows, and the result is identical whatever the worker count or backend.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from drillsim import __version__
from drillsim.engines.batch import run_batch
from drillsim.engines.outcomes import Outcomes
from drillsim.errors import DrillsimError
from drillsim.metrics.exposure import exposure
from drillsim.metrics.score import classes_accounted, curves, score
from drillsim.plan.compile import Plan, compile_plan
from drillsim.run.workers import gc_paused, lean_spawn, tune_malloc
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import LoadedScenario
from drillsim.scenario.model import Scenario

if TYPE_CHECKING:  # pyarrow stays out of the workers, which import this module
    from drillsim.run.chunkstore import ChunkStore

ENGINES = ("batch", "reference")
#: Per-room, per-space and over-time detail is kept for the first this many runs; per-run metrics
#: are kept for every run. Beyond it the job's memory stays flat (the metrics table is the only
#: thing that grows: about 150 bytes per run). 10,000 runs put the Monte Carlo error of a room's
#: median secured time far below a second.
DETAIL_RUNS = 10_000
#: ... and at most about this many bytes of it (a 20,000-space campus keeps ~0.6 MB per run: 10,000
#: runs would need 6 GB), but never fewer than :data:`DETAIL_MIN_RUNS` runs.
DETAIL_BYTES = 1 << 30
DETAIL_MIN_RUNS = 500
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
    # largest number of people waiting at once at each evacuation server (plan.evac_net order)
    server_max_queue: np.ndarray = field(  # (R, K) int32
        default_factory=lambda: np.zeros((0, 0), np.int32)
    )
    # people who left by each exit space, per run (evacuation and options leavers; with later
    # blockages the exits people actually used, which differ from the planned routes)
    exit_people: np.ndarray = field(  # (R, S) int32
        default_factory=lambda: np.zeros((0, 0), np.int32)
    )

    @property
    def n_runs(self) -> int:
        """Runs in the batch (rows of ``metrics``)."""
        return int(next(iter(self.metrics.values())).shape[0])

    @property
    def n_detail(self) -> int:
        """Runs with room / space / curve detail: the first :func:`detail_runs` of the batch."""
        return int(self.room_secured_s.shape[0])


def detail_bytes_per_run(plan: Plan) -> int:
    """Bytes of room, space and curve detail the batch keeps per run (:class:`_Collector`)."""
    per_space = sum(
        np.dtype(_Collector.COMPACT[k]).itemsize
        for k in _Collector.COMPACT
        if k.startswith(("space_", "exit_"))
    )
    per_room = sum(
        np.dtype(_Collector.COMPACT[k]).itemsize for k in _Collector.COMPACT if k.startswith("room_")
    )
    curves = 2 * 4 * len(_grid(plan))  # two int32 curves
    servers = 4 * int(plan.evac_net.service_s.shape[0])
    return plan.n_spaces * per_space + plan.n_rooms * per_room + curves + servers


def detail_runs(plan: Plan, n_runs: int) -> int:
    """Runs that keep room / space / curve detail: the first ``min(n_runs, DETAIL_RUNS)``, fewer
    (down to :data:`DETAIL_MIN_RUNS`) where that would exceed :data:`DETAIL_BYTES`."""
    by_size = max(DETAIL_MIN_RUNS, DETAIL_BYTES // max(1, detail_bytes_per_run(plan)))
    return int(min(n_runs, DETAIL_RUNS, by_size))


def _grid(plan: Plan) -> np.ndarray:
    return np.arange(0.0, plan.horizon_s + CURVE_STEP_S / 2, CURVE_STEP_S)


def simulate(
    plan: Plan, scenario: Scenario, seed: int, first_run: int, n_runs: int, engine: str
) -> Outcomes:
    """Outcomes of runs ``first_run .. first_run + n_runs - 1`` with either engine."""
    draws = sample(plan, scenario, seed, n_runs, first_run=first_run)
    if engine == "batch":
        return run_batch(plan, draws)
    from drillsim.engines.reference import run_reference  # SimPy: only for --engine reference

    return Outcomes.concat([run_reference(plan, draws.run(r)) for r in range(draws.n_runs)])


def reduce_outcomes(plan: Plan, o: Outcomes, detail: bool = True) -> dict:
    """What a chunk sends back: per-run metrics, room/space arrays and curves (with ``detail``;
    without it, the metrics alone: the batch keeps detail for its first runs only)."""
    if not detail:
        return {"metrics": score(plan, o), "curves": {}}
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
        if plan.evac_net.rerouting:  # exits differ by run (later blockages)
            for e in np.unique(o.person_exit[o.person_exit >= 0]):
                last = np.where(o.person_exit == e, arrive, -np.inf).max(axis=1)
                exit_last[:, e] = np.where(np.isneginf(last), np.nan, last)
        else:
            for e in np.unique(plan.person_exit[plan.person_exit >= 0]):
                exit_last[:, e] = arrive[:, plan.person_exit == e].max(axis=1)
    exit_people = np.zeros((o.n_runs, S), np.int32)
    used = o.person_exit
    if used.size and (used >= 0).any():
        for e in np.unique(used[used >= 0]):
            exit_people[:, e] = (used == e).sum(axis=1)
    return {
        "exit_people": exit_people,
        "space_out_s": out_s,
        "space_move_s": move_s,
        "space_accounted_s": accounted,
        "exit_last_s": exit_last,
        "server_max_queue": o.server_max_queue,
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
    plan: Plan,
    scenario: Scenario,
    seed: int,
    first_run: int,
    n_runs: int,
    engine: str,
    detail: bool = True,
) -> dict:
    """Simulate and reduce one chunk (the unit of work sent to a process or Dask worker).

    ``detail=False`` (a chunk wholly beyond the batch's detail runs, see :data:`DETAIL_RUNS`)
    returns the per-run metrics alone: the room, space and curve arrays would be dropped by the
    parent anyway, so they are neither computed nor sent.
    """
    tune_malloc()  # keep freed chunk memory for the next chunk (no page faults); same numbers
    with gc_paused():  # no collector passes mid-chunk (about 12 % of it); same numbers
        o = simulate(plan, scenario, seed, first_run, n_runs, engine)
        part = reduce_outcomes(plan, o, detail)
        return compact(part)


def compact(part: dict) -> dict:
    """A chunk's result in the dtypes the batch keeps (:attr:`_Collector.COMPACT`, int32 curves).

    Done in the worker, before the result is pickled back: a 256-run high-school chunk shrinks
    from about 2.4 MB to 1.3 MB, which is what a Dask worker sends over the network and the
    parent unpickles per chunk. The kept values are the same (the parent cast them to these
    dtypes anyway); per-run metrics stay float64.
    """
    out = dict(part)
    out["curves"] = {k: np.asarray(v, dtype=np.int32) for k, v in part.get("curves", {}).items()}
    for name, dtype in _Collector.COMPACT.items():
        if name in out:
            out[name] = np.ascontiguousarray(out[name], dtype=dtype)
    return out


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
    store: ChunkStore | None = None,
    notify: Callable[[str], None] | None = None,
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
    store : ChunkStore, optional
        Where finished chunks are saved as they arrive; chunks already there are loaded instead
        of run (``drillsim batch --resume``). The result is the same either way.
    notify : callable, optional
        Called with a one-line message when a lost worker's chunk is retried.
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
    out = _Collector(n_runs, detail_runs(plan, n_runs))
    if store is not None:
        store.n_detail = out.n_detail  # chunks store detail exactly where the batch keeps it

    def add(a: tuple, part: dict) -> None:
        out.add(a[3], part)
        if progress:
            progress(a[4])

    def take(a: tuple, part: dict) -> None:
        part = unpack(part)  # as packed by a worker (no-op for a chunk run here)
        if store is not None:
            store.save_soon(a[3], part)  # written while the next chunk runs (see ChunkStore)
        add(a, part)

    args = []
    for lo, n in jobs:
        if store is not None and store.has(lo, n):
            add((plan, sc, seed, lo, n, engine), store.load(lo))
        else:  # chunks wholly beyond the detail runs come back with their metrics alone
            args.append((plan, sc, seed, lo, n, engine, lo < out.n_detail))
    try:
        if not args:
            pass
        elif scheduler:
            _on_dask(scheduler, args, take)
        elif workers == 1 or len(args) == 1:
            for a in args:
                take(a, run_chunk(*a))
        else:
            _on_processes(min(workers, len(args)), args, take, notify or (lambda msg: None))
    except BaseException:
        if store is not None:
            store.wait(raise_errors=False)  # finish the chunk being written, then stop
        raise
    if store is not None:
        store.wait()  # every chunk on disk before the batch counts as done
    return out.result(plan, loaded, seed, engine)


_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
#: How often a chunk is run again after the worker running it was lost.
RETRIES = 1


def _on_processes(workers: int, args: list[tuple], take, notify: Callable[[str], None]) -> None:
    """Run chunks on local processes, at most two per worker in flight (bounded memory).

    Workers die with this process (see :mod:`drillsim.run.workers`) and ignore Ctrl-C, which
    this process handles alone. If a worker is lost (killed by the system, e.g. out of memory),
    the pool is rebuilt and the chunks that were in flight run again, each at most ``RETRIES``
    times; the results do not depend on it, since a chunk's runs depend only on the seed.
    """
    from drillsim.run.workers import start_worker

    # The resource tracker (started with the first pool, with this interpreter's -W options)
    # still removes the pool's semaphores after an interrupt or a kill -9 of this process, but
    # without a "leaked semaphore objects" warning on the user's terminal.
    if _QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(_QUIET_TRACKER)
    queue = list(args)
    tries: dict[int, int] = {}
    with lean_spawn():  # workers import the engine, not the CLI
        while queue:
            pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=get_context("spawn"),
                initializer=start_worker,
                initargs=(os.getpid(),),
            )
            pending: dict = {}
            since: dict[int, float] = {}  # worker pid -> when it was first seen dead
            try:
                # where every worker is started up front, submit starts none: Ctrl-C stays live
                guard = nullcontext if _start_all(pool) else _sigint_ignored
                while queue or pending:
                    while queue and len(pending) < 2 * workers:
                        a = queue[0]
                        with guard():  # a worker spawned now starts with Ctrl-C ignored
                            fut = _submit(pool, a)  # raises BrokenProcessPool if the pool broke
                        pending[fut] = queue.pop(0)  # popped only once it is submitted
                    done, _ = wait(pending, timeout=WATCH_S, return_when=FIRST_COMPLETED)
                    if not done:
                        _check_workers(pool, since)
                        continue
                    since.clear()
                    for fut in sorted(done, key=lambda f: pending[f][3]):
                        part = fut.result()  # a lost worker raises here; the chunk stays pending
                        take(pending.pop(fut), part)
            except BrokenProcessPool:
                _unblock(pool)  # a manager thread stuck on a dead worker's partial result
                # the chunks in flight; if the pool broke before any was submitted, the next one
                # (its workers die as they start), so the retry limit still applies
                lost = sorted(pending.values(), key=lambda a: a[3]) or queue[:1]
                span = ", ".join(f"runs {a[3]}-{a[3] + a[4] - 1}" for a in lost)
                failed = [a for a in lost if tries.get(a[3], 0) >= RETRIES]
                if failed:
                    a = failed[0]
                    raise DrillsimError(
                        f"a worker process was lost twice while running runs {a[3]}-"
                        f"{a[3] + a[4] - 1} (killed by the system, perhaps out of memory); try "
                        "fewer --workers, or free memory, and run again"
                    ) from None
                for a in lost:
                    tries[a[3]] = tries.get(a[3], 0) + 1
                notify(f"a worker process was lost (killed by the system?); running {span} again")
                if pending:
                    queue = lost + queue
            finally:
                _stop(pool)


def _start_all(pool: ProcessPoolExecutor) -> bool:
    """Start every worker of a new pool now, before its manager thread exists.

    Otherwise ``submit`` starts workers one by one while the manager thread runs, and a worker
    that dies meanwhile makes the two threads race over the pool's process table (``RuntimeError:
    dictionary changed size during iteration`` printed from the manager thread, or ``OSError:
    handle is closed`` from ``submit``). Uses the executor's own launcher where it has one (CPython
    3.11-3.13) and returns True; elsewhere returns False and workers start on demand as before.
    Starting them all at once also means Ctrl-C is ignored only in this moment, not around every
    later submit (a Ctrl-C arriving in such a moment would be lost).
    """
    launch = getattr(pool, "_launch_processes", None)
    if launch is None or getattr(pool, "_executor_manager_thread", None) is not None:
        return False
    with _sigint_ignored():  # workers start with Ctrl-C ignored (see _on_processes)
        try:
            launch()
        except OSError as exc:  # could not start a worker: the pool counts as lost
            raise BrokenProcessPool(f"could not start a worker ({exc})") from exc
    return len(getattr(pool, "_processes", None) or {}) >= getattr(pool, "_max_workers", 1 << 30)


def _submit(pool: ProcessPoolExecutor, a: tuple):
    """``pool.submit`` of one chunk; a pool that breaks during the call raises BrokenProcessPool.

    When a worker dies, the pool's manager thread closes the queues while ``submit`` may be
    starting a replacement worker, which then fails with ``OSError: handle is closed`` (a race in
    :mod:`concurrent.futures`, seen when workers are killed as they start). It is the same lost
    worker, so it takes the same retry path.
    """
    try:
        return pool.submit(run_chunk_packed, *a)
    except BrokenProcessPool:
        raise
    except OSError as exc:
        raise BrokenProcessPool(f"the pool broke while starting a worker ({exc})") from exc


#: Seconds between checks that every worker of the pool is alive.
WATCH_S = 1.0
#: A worker dead this long without the pool noticing is treated as lost.
LOST_AFTER_S = 5.0


def _check_workers(pool: ProcessPoolExecutor, since: dict[int, float]) -> None:
    """Raise BrokenProcessPool when a worker has been dead for ``LOST_AFTER_S`` unnoticed.

    A worker killed while it was writing a result (the out-of-memory killer can strike exactly
    then) leaves a partial message in the result pipe; the pool's manager thread then waits for
    the rest forever and never marks the pool broken, so the batch would hang. We notice the dead
    process ourselves, and :func:`_unblock` later feeds the manager thread bytes so it finishes.
    """
    now = time.monotonic()
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.exitcode is None:
            continue
        first = since.setdefault(proc.pid, now)
        if now - first >= LOST_AFTER_S:
            raise BrokenProcessPool(f"worker {proc.pid} died (exit code {proc.exitcode})")


def _unblock(pool: ProcessPoolExecutor) -> None:
    """Let a manager thread stuck reading a dead worker's partial result finish.

    Its read completes on bytes we write into the result pipe (which this process also holds);
    the garbage fails to unpickle, the thread marks the pool broken and ends, so nothing is left
    waiting at interpreter exit. Bounded: at most a few seconds, then we give up quietly.
    """
    thread = getattr(pool, "_executor_manager_thread", None)
    queue = getattr(pool, "_result_queue", None)
    writer = getattr(queue, "_writer", None)
    if thread is None or writer is None or not thread.is_alive():
        return
    try:
        fd = writer.fileno()
        os.set_blocking(fd, False)
    except (OSError, ValueError):
        return
    chunk = b"\0" * 65536
    deadline = time.monotonic() + 5.0
    while thread.is_alive() and time.monotonic() < deadline:
        try:
            os.write(fd, chunk)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            return
        thread.join(0.01)


@contextmanager
def _sigint_ignored():
    """Ignore SIGINT for a moment (only in the main thread), so that a worker process spawned
    meanwhile inherits the ignored disposition from its first instruction: a Ctrl-C while it
    is still importing must not print a traceback. A Ctrl-C in that moment (a few ms) is lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down now: cancel queued chunks and end the workers (after Ctrl-C or an
    error there is nothing to wait for)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


#: A Dask task runs up to this many consecutive chunks, so the scheduler handles far fewer
#: tasks; results are the same. Tasks shrink towards the end of the batch (see :func:`_groups`).
DASK_CHUNKS_PER_TASK = 16


def run_chunks(
    plan: Plan,
    scenario: Scenario,
    seed: int,
    spans: list[tuple[int, int, bool]],
    engine: str,
) -> list[dict]:
    """:func:`run_chunk` for each ``(first_run, n_runs, detail)`` of ``spans``, in order (one
    Dask task), each :func:`pack`-ed for the trip back."""
    return [pack(run_chunk(plan, scenario, seed, lo, n, engine, d)) for lo, n, d in spans]


def run_chunk_packed(
    plan: Plan,
    scenario: Scenario,
    seed: int,
    first_run: int,
    n_runs: int,
    engine: str,
    detail: bool = True,
) -> dict:
    """:func:`run_chunk`, :func:`pack`-ed (what a local worker process sends back)."""
    return pack(run_chunk(plan, scenario, seed, first_run, n_runs, engine, detail))


@dataclass(frozen=True)
class _Filled:
    """An array whose elements all have the same bits (NaN, zero), sent as its shape alone."""

    bits: bytes  # one element
    shape: tuple[int, ...]
    dtype: str

    def array(self) -> np.ndarray:
        one = np.frombuffer(self.bits, dtype=self.dtype)
        return np.broadcast_to(one, self.shape).copy()


def _narrow(curve: np.ndarray) -> np.ndarray:
    """An int32 curve of counts in the narrowest unsigned dtype that holds it exactly."""
    if curve.size == 0 or curve.dtype.kind not in "iu" or curve.min() < 0:
        return curve
    top = int(curve.max())
    for dtype in (np.uint8, np.uint16):
        if top <= np.iinfo(dtype).max:
            return curve.astype(dtype)
    return curve


def pack(part: dict) -> dict:
    """A chunk's result for the trip from a worker: uniform arrays (the evacuation detail of a
    lockdown, zero exposure without a hazard zone, nobody locked out) become a :class:`_Filled`
    of a few bytes. About 40 % fewer bytes per high-school lockdown chunk, which the parent of
    a Dask cluster receives and unpickles while its workers compute. :func:`unpack` undoes it,
    bit for bit (elements are compared as raw bits, so -0.0 and NaN payloads survive).
    """
    out = dict(part)
    for name in _Collector.COMPACT:
        v = out.get(name)
        if not isinstance(v, np.ndarray) or v.size == 0 or v.dtype.kind not in "iuf":
            continue
        raw = np.ascontiguousarray(v).view(f"u{v.dtype.itemsize}")
        if (raw == raw.flat[0]).all():
            out[name] = _Filled(v.flat[:1].tobytes(), v.shape, v.dtype.str)
    # counts over time (people unsecured, rooms secured) fit in 8 or 16 bits: a third of the
    # bytes of a detail chunk, halved or quartered
    out["curves"] = {k: _narrow(v) for k, v in part.get("curves", {}).items()}
    return out


def unpack(part: dict) -> dict:
    """The chunk's result as :func:`run_chunk` returned it (see :func:`pack`)."""
    out = {k: v.array() if isinstance(v, _Filled) else v for k, v in part.items()}
    if "curves" in out:
        out["curves"] = {k: np.asarray(v, dtype=np.int32) for k, v in out["curves"].items()}
    return out


def _groups(args: list[tuple], threads: int) -> list[list[tuple]]:
    """Consecutive chunks grouped into Dask tasks, largest first (guided self-scheduling).

    Each task takes about a ``1 / (3 * threads)`` share of the chunks still left, at most
    :data:`DASK_CHUNKS_PER_TASK`: the scheduler handles few tasks while most of the batch runs,
    and the last tasks are single chunks, so no worker is left finishing a long task alone at
    the end (and the last results to arrive are small).
    """
    share = 3 * max(1, threads)
    out: list[list[tuple]] = []
    i = 0
    while i < len(args):
        left = len(args) - i
        size = max(1, min(DASK_CHUNKS_PER_TASK, -(-left // share)))
        out.append(args[i : i + size])
        i += size
    return out


def _on_dask(address: str, args: list[tuple], take) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise DrillsimError("--scheduler needs Dask: pip install 'drillsim[cluster]'") from exc
    client = _connect(address, Client)
    with client:
        plan = client.scatter(args[0][0], broadcast=True, hash=False)  # sent once, not per chunk
        threads = sum(client.nthreads().values()) or 1
        groups = _groups(args, threads)
        futures = [
            client.submit(
                run_chunks, plan, *g[0][1:3], [(a[3], a[4], a[6]) for a in g], g[0][5], pure=False
            )
            for g in groups
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            for a, part in zip(groups[index[fut.key]], fut.result(), strict=True):
                take(a, part)
            fut.release()


#: Dask comm schemes with a host and port; ``inproc://`` (one process, for tests) has no port.
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler_address(address: str) -> str:
    """``address`` if it looks like a Dask scheduler address (``tcp://host:port``), else a
    :class:`DrillsimError` naming it and the fix. No network is touched."""
    from urllib.parse import urlsplit

    fix = "use the address `dask scheduler` prints, e.g. tcp://10.0.0.5:8786"
    text = address.strip()
    if text.startswith("inproc://"):
        return text
    if "://" not in text:
        text = "tcp://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise DrillsimError(f"--scheduler '{address}' is not a valid address; {fix}") from None
    if parts.scheme not in SCHEDULER_SCHEMES or not parts.hostname or port is None:
        raise DrillsimError(
            f"--scheduler '{address}' is not a valid address (need tcp:// or tls://, a host and "
            f"a port); {fix}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise DrillsimError(f"--scheduler '{address}' has a path; {fix}")
    return f"{parts.scheme}://{parts.netloc}"


def _connect(address: str, client_cls):
    """A Dask client for ``address``; any failure is one line naming the address and the fix."""
    target = check_scheduler_address(address)
    try:
        return client_cls(target, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DrillsimError(
            f"cannot reach the Dask scheduler at {target} ({exc.__class__.__name__}); check that "
            "`dask scheduler` runs there and the port is open"
        ) from None
    except Exception as exc:
        raise DrillsimError(
            f"{target} did not answer as a Dask scheduler ({exc.__class__.__name__}); check the "
            "host and port (a scheduler listens on 8786 by default)"
        ) from None


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
        "server_max_queue": np.int32,
        "exit_people": np.int32,
    }

    def __init__(self, n_runs: int, n_detail: int | None = None):
        self.n = n_runs
        self.n_detail = min(n_runs, DETAIL_RUNS) if n_detail is None else n_detail
        self.arrays: dict[str, np.ndarray] = {}
        self.metrics: dict[str, np.ndarray] = {}
        self.curves: dict[str, np.ndarray] = {}

    def add(self, first_run: int, part: dict) -> None:
        k = len(next(iter(part["metrics"].values())))
        rows = slice(first_run, first_run + k)
        for name, v in part["metrics"].items():
            self.metrics.setdefault(name, np.empty(self.n))[rows] = v
        keep = max(0, min(k, self.n_detail - first_run))  # detail rows of this chunk
        if keep == 0:  # metrics only (run without detail, or stored without it)
            return
        detail = slice(first_run, first_run + keep)
        for name, v in part["curves"].items():
            arr = self.curves.setdefault(name, np.empty((self.n_detail, v.shape[1]), np.int32))
            arr[detail] = v[:keep]
        for name, dtype in self.COMPACT.items():
            v = part.get(name)
            if v is None:  # a zero-width array (e.g. no servers) is not stored in chunk files
                v = np.zeros((k, 0), dtype)
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
