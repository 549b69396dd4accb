"""The batch engine's FIFO server kernels (engines/batch/servers.py) against direct definitions.

The fast paths (packed-key service order, largest queue from sorted events) must give exactly
what the plain definitions give, including ties, near-ties closer than the packed truncation,
people who never arrive (inf), -0.0 and nan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drillsim.engines.batch.servers import (
    QUEUE_TOLERANCE_S,
    _fifo_unsorted,
    _fifo_weighted,
    _queue_sorted,
    _service_order,
)

ROOT = Path(__file__).resolve().parents[1]


@st.composite
def arrivals(draw, allow_nan: bool = False) -> np.ndarray:
    """(n, R) arrival times with many exact ties and ulp-close near-ties."""
    n = draw(st.integers(1, 40))
    R = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    base = rng.choice([0.0, 1.5, 2.0, 30.25, 100.0], size=(n, R))
    a = base + rng.choice([0.0, 0.0, 1.0], size=(n, R)) * rng.random((n, R))
    near = rng.random((n, R)) < 0.3  # a few ulps away from a tie: closer than the packed bits
    a[near] = np.nextafter(a[near], np.inf) * (1 + rng.integers(0, 3, near.sum()) * 1e-16)
    a[rng.random((n, R)) < 0.1] = np.inf
    if draw(st.booleans()):
        a[rng.random((n, R)) < 0.1] = -0.0
    if allow_nan and draw(st.booleans()):
        a[rng.random((n, R)) < 0.05] = np.nan
    return a


@settings(max_examples=200, deadline=None)
@given(arrivals(allow_nan=True))
def test_service_order_is_the_stable_sort(a):
    _, flat, sv = _service_order(a)
    n = a.shape[0]
    stable = np.argsort(a.T, axis=1, kind="stable")
    # nan and inf rows may come in any order among themselves (their departures do not depend
    # on it); every finite arrival must be exactly where the stable sort puts it
    fin = np.isfinite(np.take_along_axis(a.T, stable, axis=1))
    got = flat - (np.arange(a.shape[1]) * n)[:, None]
    assert np.array_equal(got[fin], stable[fin])
    assert np.array_equal(sv, np.take_along_axis(a.T, got, axis=1), equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(arrivals(), st.sampled_from([0.25, 0.5, 1.0 / 1.3, 2.0]))
def test_fifo_departures_are_the_closed_form_in_stable_order(a, h):
    n = a.shape[0]
    d = _fifo_unsorted(a, h) if n > 1 else a
    order = np.argsort(a.T, axis=1, kind="stable")
    sv = np.take_along_axis(a.T, order, axis=1)
    k = np.arange(n, dtype=np.float64)[None, :]
    ds = k * h + np.maximum.accumulate(sv - k * h, axis=1)
    want = np.empty_like(sv)
    np.put_along_axis(want, order, ds, axis=1)
    assert np.array_equal(d, want.T)
    w = np.where(np.arange(n) % 3 == 0, 2.5, 1.0)
    dw = _fifo_weighted(a, h, w)
    c = np.zeros_like(sv)
    np.cumsum(w[order][:, :-1], axis=1, out=c[:, 1:])
    c = c * h
    dsw = c + np.maximum.accumulate(sv - c, axis=1)
    np.put_along_axis(want, order, dsw, axis=1)
    assert np.array_equal(dw, want.T)


def _largest_queue_by_definition(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Per run: max over finite arrivals of #{arrived by then} - #{left by then}, at least 0."""
    out = []
    for ar, dr in zip(a.T, d.T, strict=True):
        gone = dr - QUEUE_TOLERANCE_S
        best = 0
        for t in ar[np.isfinite(ar)]:
            best = max(best, int((ar <= t).sum() - (gone <= t).sum()))
        out.append(best)
    return np.array(out)


@settings(max_examples=200, deadline=None)
@given(arrivals(), st.sampled_from([1e-10, 0.5, 1.0 / 1.3, 3.0]))
def test_largest_queue_matches_its_definition(a, h):
    a = np.abs(a)  # arrivals are times >= 0
    d = _fifo_unsorted(a, h) if a.shape[0] > 1 else a
    # any order of the same people gives the same count (service order or row order)
    got = np.broadcast_to(_queue_sorted(a.T, d.T), (a.shape[1],))
    assert np.array_equal(got, _largest_queue_by_definition(a, d))
    perm = np.random.default_rng(0).permutation(a.shape[0])
    got2 = np.broadcast_to(_queue_sorted(a[perm].T, d[perm].T), (a.shape[1],))
    assert np.array_equal(got2, got)


def test_traverse_counts_the_queues_max_queue_counts():
    """The largest queues traverse counts on the fly (fast paths included: whole classes
    arriving at once, merged flows at the stairs) are max_queue's on the same passage."""
    from drillsim.engines.batch import space_alerts
    from drillsim.engines.batch.servers import max_queue, traverse
    from drillsim.plan.compile import compile_plan
    from drillsim.sample.draws import sample
    from drillsim.scenario.load import load_scenario

    for name in ("high-school-evacuate-class-posted", "elementary-evacuate-class"):
        loaded = load_scenario(ROOT / "scenarios" / f"{name}.yaml")  # bundled
        plan = compile_plan(loaded)
        d = sample(plan, loaded.scenario, 3, 64)
        alert = space_alerts(plan, d)
        start = (alert[:, plan.person_space] + d.premovement_s[:, plan.person_leader]).T.copy()
        speed, stair = d.speed_mps.T.copy(), d.stair_speed_mps.T.copy()
        p = traverse(plan.evac_net, start, speed, stair, keep_arrivals=True, queues=True)
        want = max_queue(plan.evac_net, p.arr, p.dep).astype(np.int32)
        assert p.max_queue.dtype == np.int32
        assert np.array_equal(p.max_queue, want)
        assert want.max() > 20  # real queues form (the test is not vacuous)
