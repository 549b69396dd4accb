"""Summaries and paired comparisons."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drillsim.metrics.summary import compare_paired, mean_ci, quantile, summarise


def test_quantile_matches_numpy_on_finite_values():
    x = np.random.default_rng(0).normal(size=101)
    for q in (0.1, 0.5, 0.9):
        assert quantile(x, q) == pytest.approx(np.quantile(x, q))


def test_quantile_treats_inf_as_never():
    x = np.array([1.0, 2.0, np.inf, np.inf])
    assert quantile(x, 0.0) == 1.0
    assert math.isinf(quantile(x, 0.9))
    assert quantile(np.array([np.inf]), 0.5) == np.inf


def test_summarise_reports_share_never_and_ci():
    x = np.array([10.0, 12.0, 14.0, np.inf])
    s = summarise(x)
    assert s["share_never"] == 0.25
    assert s["mean"] == pytest.approx(12.0)
    assert s["mean_ci95_low"] < 12.0 < s["mean_ci95_high"]
    assert s["n_runs"] == 4


def test_mean_ci_matches_hand_computation():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    mean, lo, hi = mean_ci(x)
    half = 3.182446305284263 * np.std(x, ddof=1) / 2  # t(0.975, 3)
    assert (mean, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))


def test_compare_identical_is_a_tie():
    a = np.array([1.0, 2.0, 3.0])
    c = compare_paired(a, a, "time_95_secured_s")
    assert c["mean_difference"] == 0 and c["share_b_better"] == 0.0
    assert c["share_tie"] == 1.0 and c["share_b_worse"] == 0.0


def test_compare_direction_depends_on_metric():
    a = np.array([0.5, 0.6])
    b = np.array([0.7, 0.8])
    assert compare_paired(a, b, "rooms_secured_by_120s")["share_b_better"] == 1.0
    assert compare_paired(a, b, "time_95_secured_s")["share_b_better"] == 0.0


@given(st.lists(st.floats(0, 1000), min_size=2, max_size=50), st.floats(-50, 50))
def test_constant_shift_is_recovered_exactly(values, shift):
    a = np.array(values)
    b = a + shift
    c = compare_paired(a, b, "unsecured_person_s")
    assert c["mean_difference"] == pytest.approx(shift, abs=1e-6)


def test_better_tie_worse_add_up_and_count_never_as_tie():
    # higher is better for rooms secured; runs: better, worse, tie, tie (both never), tie (1e-12)
    a = np.array([0.5, 0.6, 0.7, np.inf, 1.0])
    b = np.array([0.6, 0.5, 0.7, np.inf, 1.0 + 1e-12])
    c = compare_paired(a, b, "rooms_secured_by_120s")
    assert c["share_b_better"] == 0.2 and c["share_b_worse"] == 0.2 and c["share_tie"] == 0.6
    assert c["share_b_better"] + c["share_tie"] + c["share_b_worse"] == 1.0


def test_ci_of_a_non_negative_metric_stops_at_zero():
    # two runs, 0 and 100 s: the t interval is 50 ± 635 s; a time cannot be negative
    s = summarise(np.array([0.0, 100.0]))
    assert s["mean_ci95_low"] == 0.0
    assert s["mean_ci95_high"] > 600
