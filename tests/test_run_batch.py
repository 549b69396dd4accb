"""Batch runner: same seed => identical results whatever the workers, backend or engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drillsim.errors import DrillsimError
from drillsim.run.batch import DASK_CHUNKS_PER_TASK, _groups, chunks, run_batch_job
from drillsim.run.single import run_single
from drillsim.sample.draws import CHUNK_RUNS
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def elementary():
    return load_scenario(ROOT / "scenarios/elementary-lockdown-class.yaml")


def _same(a, b):
    for k in a.metrics:
        np.testing.assert_array_equal(a.metrics[k], b.metrics[k], err_msg=k)
    for k in ("room_secured_s", "room_locked_s", "space_alert_s", "space_locked_out"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k), err_msg=k)
    for k in a.curves:
        np.testing.assert_array_equal(a.curves[k], b.curves[k], err_msg=k)


def test_chunks_follow_sampling_chunks():
    assert chunks(1) == [(0, 1)]
    assert chunks(CHUNK_RUNS + 3) == [(0, CHUNK_RUNS), (CHUNK_RUNS, 3)]


def test_workers_do_not_change_results(elementary):
    one = run_batch_job(elementary, 600, seed=11, workers=1)
    two = run_batch_job(elementary, 600, seed=11, workers=2)
    _same(one, two)
    assert one.n_runs == 600


def test_prefix_of_a_batch_is_the_smaller_batch(elementary):
    big = run_batch_job(elementary, 300, seed=5, workers=1)
    small = run_batch_job(elementary, 40, seed=5, workers=1)
    for k in small.metrics:
        np.testing.assert_array_equal(small.metrics[k], big.metrics[k][:40])


def test_reference_engine_batch_matches_batch_engine_run_by_run(elementary):
    """The check behind `drillsim batch --engine reference`: every metric of every run agrees."""
    fast = run_batch_job(elementary, 60, seed=3, workers=1)
    slow = run_batch_job(elementary, 60, seed=3, workers=1, engine="reference")
    for k in fast.metrics:
        a, b = fast.metrics[k], slow.metrics[k]
        assert np.array_equal(np.isinf(a), np.isinf(b)), k
        fin = np.isfinite(a)
        np.testing.assert_allclose(a[fin], b[fin], atol=1e-9, rtol=0, err_msg=k)
    np.testing.assert_allclose(fast.room_secured_s, slow.room_secured_s, atol=1e-9, rtol=0)


def test_single_run_replays_batch_run(elementary):
    res = run_batch_job(elementary, 20, seed=9, workers=1)
    one = run_single(elementary, 9, run_index=13)
    np.testing.assert_allclose(one.outcomes.room_secured_s[0], res.room_secured_s[13], atol=1e-9)


def test_seed_changes_results(elementary):
    a = run_batch_job(elementary, 50, seed=1, workers=1)
    b = run_batch_job(elementary, 50, seed=2, workers=1)
    assert not np.array_equal(a.metrics["unsecured_person_s"], b.metrics["unsecured_person_s"])


def test_bad_arguments_are_drillsim_errors(elementary):
    with pytest.raises(DrillsimError, match="engine"):
        run_batch_job(elementary, 10, 1, engine="fast")
    with pytest.raises(DrillsimError, match="runs"):
        run_batch_job(elementary, 0, 1)
    with pytest.raises(DrillsimError, match="workers"):
        run_batch_job(elementary, 10, 1, workers=0)


def test_dask_cluster_gives_identical_results(elementary):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = run_batch_job(elementary, 300, seed=4, scheduler=cluster.scheduler_address)
    local = run_batch_job(elementary, 300, seed=4, workers=1)
    _same(on_dask, local)


def test_dask_tasks_of_several_chunks_give_identical_results(elementary):
    # one worker thread and 8 chunks: tasks of two chunks each (run_chunks)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = run_batch_job(elementary, 2000, seed=6, scheduler=cluster.scheduler_address)
    _same(on_dask, run_batch_job(elementary, 2000, seed=6, workers=1))


@pytest.mark.parametrize("n_chunks", [1, 3, 8, 9, 79, 400])
@pytest.mark.parametrize("threads", [1, 2, 16])
def test_dask_groups_are_consecutive_chunks_covering_the_batch(n_chunks, threads):
    args = [(None, None, 0, 256 * i, 256, "batch") for i in range(n_chunks)]
    groups = _groups(args, threads)
    assert [a for g in groups for a in g] == args  # every chunk once, in order
    sizes = [len(g) for g in groups]
    assert max(sizes) <= DASK_CHUNKS_PER_TASK
    # largest first, and the last tasks single chunks, so the workers finish together
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-threads:] == [1] * min(len(sizes), threads)
    # few tasks for the scheduler when the batch is long
    if n_chunks == 400 and threads == 2:
        assert len(groups) < 400 / 4


def test_unreachable_scheduler_is_a_clear_error(elementary):
    pytest.importorskip("distributed")
    with pytest.raises(DrillsimError, match="cannot reach the Dask scheduler"):
        run_batch_job(elementary, 10, 1, scheduler="tcp://127.0.0.1:9")


def test_detail_is_kept_for_the_first_runs_only(elementary, monkeypatch):
    """Per-run metrics for every run; room/space/curve detail for the first DETAIL_RUNS."""
    import drillsim.run.batch as rb

    monkeypatch.setattr(rb, "DETAIL_RUNS", 300)
    capped = run_batch_job(elementary, 700, seed=8, workers=1)
    full = run_batch_job(elementary, 300, seed=8, workers=1)
    assert capped.n_runs == 700 and capped.n_detail == 300
    assert capped.provenance["detail_runs"] == 300
    np.testing.assert_array_equal(capped.room_secured_s, full.room_secured_s)
    np.testing.assert_array_equal(capped.curves["unsecured"], full.curves["unsecured"])
    for k in full.metrics:
        np.testing.assert_array_equal(capped.metrics[k][:300], full.metrics[k])


def test_detail_of_a_large_building_is_capped_by_size(elementary, monkeypatch, tmp_path):
    """A building whose per-run detail is large keeps it for fewer runs (a 20,000-space campus
    would need about 6 GB for 10,000 runs), never below DETAIL_MIN_RUNS; a durable batch stores
    detail for exactly those runs, and the numbers are those of the first runs."""
    import drillsim.run.batch as rb
    from drillsim.plan.compile import compile_plan
    from drillsim.run.chunkstore import ChunkStore

    plan = compile_plan(elementary)
    per_run = rb.detail_bytes_per_run(plan)
    # what the kept arrays really take per run
    res = run_batch_job(elementary, 50, seed=8, workers=1)
    kept = sum(v.nbytes for v in res.curves.values()) + sum(
        getattr(res, k).nbytes for k in rb._Collector.COMPACT
    )
    assert per_run == kept // 50
    assert rb.detail_runs(plan, 700) == 700  # the bundled school: far below the budget
    monkeypatch.setattr(rb, "DETAIL_MIN_RUNS", 100)
    monkeypatch.setattr(rb, "DETAIL_BYTES", per_run * 300 + 7)
    assert rb.detail_runs(plan, 700) == 300 and rb.detail_runs(plan, 200) == 200
    monkeypatch.setattr(rb, "DETAIL_BYTES", per_run * 30)
    assert rb.detail_runs(plan, 700) == 100  # the floor
    store = ChunkStore(tmp_path, n_detail=10_000, fsync=False)
    capped = run_batch_job(elementary, 700, seed=8, workers=1, store=store)
    assert capped.n_detail == 100 == capped.provenance["detail_runs"] == store.n_detail
    full = run_batch_job(elementary, 100, seed=8, workers=1)
    np.testing.assert_array_equal(capped.room_secured_s, full.room_secured_s)
    np.testing.assert_array_equal(capped.space_alert_s, full.space_alert_s)
    # chunk files hold detail for the chunks that start within the detail runs only
    first = store.load(0)
    later = store.load(256)
    assert "room_secured_s" in first and "room_secured_s" not in later


def test_pack_unpack_round_trip_is_bit_exact():
    from drillsim.run.batch import _Collector, _Filled, pack, unpack

    nan_payload = np.frombuffer(np.uint32(0x7FC00123).tobytes(), np.float32)[0]
    part = {k: np.zeros((3, 2), dt) for k, dt in _Collector.COMPACT.items()}
    part["room_alert_s"] = np.full((3, 2), -0.0, np.float32)
    part["space_out_s"] = np.full((3, 2), nan_payload, np.float32)
    part["room_locked_s"][1, 1] = 5.0  # not uniform: sent as is
    part["room_checked_s"][0, 0] = -0.0  # 0.0 and -0.0 differ in bits: not uniform
    part["metrics"] = {"m": np.arange(3.0)}
    part["curves"] = {
        "rooms": np.array([[0, 49, 255]], np.int32),  # fits 8 bits
        "people": np.array([[256, 0, 65535]], np.int32),  # 16 bits
        "campus": np.array([[65536, 7, 0]], np.int32),  # needs the 32 it has
        "odd": np.array([[-1, 3, 4]], np.int32),  # a negative count is sent as is
        "none": np.zeros((0, 3), np.int32),
    }
    packed = pack(part)
    assert packed["curves"]["rooms"].dtype == np.uint8
    assert packed["curves"]["people"].dtype == np.uint16
    assert packed["curves"]["campus"].dtype == np.int32
    assert packed["curves"]["odd"].dtype == np.int32
    assert isinstance(packed["room_alert_s"], _Filled)
    assert isinstance(packed["space_out_s"], _Filled)
    assert isinstance(packed["room_locked_s"], np.ndarray)
    assert isinstance(packed["room_checked_s"], np.ndarray)
    back = unpack(packed)
    for k in _Collector.COMPACT:
        assert back[k].dtype == part[k].dtype and back[k].shape == part[k].shape, k
        assert back[k].tobytes() == part[k].tobytes(), k
    for k, v in part["curves"].items():
        assert back["curves"][k].dtype == np.int32 and back["curves"][k].shape == v.shape, k
        np.testing.assert_array_equal(back["curves"][k], v)


def test_chunk_beyond_the_detail_runs_sends_its_metrics_alone(elementary, tmp_path):
    """A chunk the batch keeps no detail of computes and sends only its per-run metrics (same
    values); stored and loaded back (a resumed batch past the detail runs), it fills the
    metrics and leaves the detail of the first runs alone."""
    from drillsim.plan.compile import compile_plan
    from drillsim.run.batch import _Collector, pack, run_chunk, unpack
    from drillsim.run.chunkstore import ChunkStore

    plan = compile_plan(elementary)
    full = run_chunk(plan, elementary.scenario, 3, 512, 256, "batch")
    lean = run_chunk(plan, elementary.scenario, 3, 512, 256, "batch", detail=False)
    assert set(lean) == {"metrics", "curves"} and lean["curves"] == {}
    assert lean["metrics"].keys() == full["metrics"].keys()
    for k, v in full["metrics"].items():
        np.testing.assert_array_equal(lean["metrics"][k], v)
    store = ChunkStore(tmp_path, n_detail=300, fsync=False)
    store.save(512, unpack(pack(lean)))
    out = _Collector(768)
    out.n_detail = 300
    out.add(0, run_chunk(plan, elementary.scenario, 3, 0, 256, "batch"))
    out.add(512, store.load(512))  # raised KeyError before: no detail columns in the file
    for k, v in full["metrics"].items():
        np.testing.assert_array_equal(out.metrics[k][512:768], v)
    assert out.arrays["room_secured_s"].shape[0] == 300


def test_a_pool_that_breaks_while_starting_a_worker_counts_as_a_lost_worker():
    """concurrent.futures can fail a submit with 'OSError: handle is closed' when a worker dies
    while a replacement starts; the batch treats it as the lost worker it is (retry path)."""
    from concurrent.futures.process import BrokenProcessPool

    from drillsim.run.batch import _submit

    class Racing:
        def submit(self, *args):
            raise OSError("handle is closed")

    class Broken:
        def submit(self, *args):
            raise BrokenProcessPool("gone")

    for pool in (Racing(), Broken()):
        with pytest.raises(BrokenProcessPool):
            _submit(pool, (None,) * 7)


def test_every_worker_starts_before_the_first_chunk():
    """Workers start together before the pool's manager thread exists (no race between submit
    starting workers and the manager thread), and later submits start none."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from drillsim.run.batch import _start_all
    from drillsim.run.workers import start_worker

    pool = ProcessPoolExecutor(
        max_workers=2, mp_context=get_context("spawn"), initializer=start_worker,
        initargs=(os.getpid(),),
    )  # fmt: skip
    try:
        if not hasattr(pool, "_launch_processes"):
            pytest.skip("this Python's executor has no launcher; workers start on demand")
        assert _start_all(pool)
        started = set(pool._processes)
        assert len(started) == 2
        assert [pool.submit(pow, 2, k).result() for k in range(6)] == [1, 2, 4, 8, 16, 32]
        assert set(pool._processes) == started
        assert not _start_all(pool)  # the manager thread runs now: nothing more to start
    finally:
        pool.shutdown()
