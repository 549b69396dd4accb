"""Sampling: named streams, fixed chunks, common random numbers, distribution quantiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drillsim.plan.compile import compile_plan
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.distributions import (
    Constant,
    Empirical,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hs():
    loaded = load_scenario(ROOT / "scenarios/high-school-lockdown-class.yaml")
    return loaded, compile_plan(loaded)


def test_same_seed_same_draws_and_slices_agree(hs):
    loaded, plan = hs
    a = sample(plan, loaded.scenario, 42, 300)
    b = sample(plan, loaded.scenario, 42, 300)
    c = sample(plan, loaded.scenario, 42, 10, first_run=CHUNK_RUNS - 5)
    for name in ("detection_s", "reaction_s", "lock_time_s", "lock_failed", "hold_s"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(
            getattr(c, name), getattr(a, name)[CHUNK_RUNS - 5 : CHUNK_RUNS + 5]
        )
    assert c.first_run == CHUNK_RUNS - 5


def test_changing_hardware_keeps_other_streams_and_lock_uniforms(hs, tmp_path):
    """Common random numbers: switching locks changes lock times, nothing else."""
    loaded, plan = hs
    other = load_scenario(ROOT / "scenarios/high-school-lockdown-class-keys-outside.yaml")
    plan_b = compile_plan(other)
    a = sample(plan, loaded.scenario, 1, 50)
    b = sample(plan_b, other.scenario, 1, 50)
    np.testing.assert_array_equal(a.reaction_s, b.reaction_s)
    np.testing.assert_array_equal(a.hold_s, b.hold_s)
    np.testing.assert_array_equal(a.speed_mps, b.speed_mps)
    # same uniforms through a slower distribution: every key_outside lock is >= its old value
    ko = plan_b.door_lock == 3
    tt = plan.door_lock == 1
    both = ko & tt
    assert both.any()
    assert np.all(b.lock_time_s[:, both] >= a.lock_time_s[:, both])


def test_protocol_does_not_shift_shared_streams():
    lock = load_scenario(ROOT / "scenarios/high-school-lockdown-class.yaml")
    evac = load_scenario(ROOT / "scenarios/high-school-evacuate-class.yaml")
    pl, pe = compile_plan(lock), compile_plan(evac)
    a, b = sample(pl, lock.scenario, 3, 20), sample(pe, evac.scenario, 3, 20)
    np.testing.assert_array_equal(a.detection_s, b.detection_s)
    movers = pl.mover
    np.testing.assert_array_equal(a.speed_mps[:, movers], b.speed_mps[:, movers])


def test_invalid_run_count(hs):
    loaded, plan = hs
    with pytest.raises(ValueError):
        sample(plan, loaded.scenario, 1, 0)


U = np.linspace(0.0005, 0.9995, 2000)


def test_distribution_quantiles_match_their_definitions():
    assert np.all(Constant(dist="constant", value=3).ppf(U) == 3)
    u = Uniform(dist="uniform", low=2, high=6).ppf(U)
    assert u.min() >= 2 and u.max() <= 6 and np.median(u) == pytest.approx(4, abs=0.01)
    ln = LogNormal(dist="lognormal", median=5, p90=15)
    assert ln.median() == pytest.approx(5)
    assert ln.quantile(0.9) == pytest.approx(15)
    n = Normal(dist="normal", mean=1.2, sd=0.2, min=0.5)
    assert n.median() == pytest.approx(1.2) and n.ppf(np.array([1e-9]))[0] == 0.5
    tri = Triangular(dist="triangular", low=10, mode=20, high=40)
    assert tri.ppf(np.array([0.0]))[0] == 10 and tri.ppf(np.array([1.0]))[0] == 40
    assert tri.quantile(1 / 3) == pytest.approx(20)
    emp = Empirical(dist="empirical", values=[3, 1, 2])
    assert set(emp.ppf(U)) == {1.0, 2.0, 3.0}


@settings(max_examples=60, deadline=None)
@given(st.floats(0.1, 50), st.floats(1.01, 10), st.floats(0, 1, exclude_max=True))
def test_lognormal_is_monotone_and_positive(median, ratio, u):
    d = LogNormal(dist="lognormal", median=median, p90=median * ratio)
    x = d.ppf(np.array([u * 0.99, u]))
    assert np.all(x > 0) and x[0] <= x[1]


def test_failed_attempts_follow_the_geometric_distribution():
    from drillsim.sample.draws import failed_attempts

    u = np.random.default_rng(0).random(200_000)
    k = failed_attempts(u, 0.2)
    for n in range(4):  # P(k = n) = (1 - p) p^n
        assert np.mean(k == n) == pytest.approx(0.8 * 0.2**n, abs=0.004)
    assert np.all(failed_attempts(u, 0.0) == 0) and np.all(np.isinf(failed_attempts(u, 1.0)))
    # common random numbers: a less reliable lock fails at least as often on the same uniform
    assert np.all(failed_attempts(u, 0.3) >= failed_attempts(u, 0.1))


def test_room_and_door_draws_do_not_shift_when_another_room_becomes_securable():
    """Making the cafeteria lockable adds a room; every other room keeps its random numbers."""
    import yaml

    from drillsim.scenario.load import scenario_with_floorplan
    from drillsim.scenario.model import Scenario

    base = load_scenario(ROOT / "scenarios/high-school-lockdown-lunch.yaml")
    data = yaml.safe_load((ROOT / "scenarios/high-school-lockdown-lunch.yaml").read_text())
    data["building"] = {"securable": {"CAF": True}, "door_locks": {"CAF": "thumbturn"}}
    alt = scenario_with_floorplan(Scenario.model_validate(data), base.floorplan, "<what-if>")
    pa, pb = compile_plan(base), compile_plan(alt)
    assert pb.n_rooms == pa.n_rooms + 1
    da, db = sample(pa, base.scenario, 5, 20), sample(pb, alt.scenario, 5, 20)
    common = [s for s in pa.room_space if s in set(pb.room_space)]
    ia = [list(pa.room_space).index(s) for s in common]
    ib = [list(pb.room_space).index(s) for s in common]
    np.testing.assert_array_equal(da.hold_s[:, ia], db.hold_s[:, ib])
    np.testing.assert_array_equal(da.safe_zone_s[:, ia], db.safe_zone_s[:, ib])
    doors_a = dict(zip(pa.door_ids, range(pa.n_doors), strict=True))
    for j, door in enumerate(pb.door_ids):
        if door in doors_a and pb.door_lock[j] == pa.door_lock[doors_a[door]]:
            np.testing.assert_array_equal(da.lock_time_s[:, doors_a[door]], db.lock_time_s[:, j])
