"""Unsecured intervals of each person, read from Outcomes.

A person is unsecured over ``[0, person_safe_s)`` and, when their room was ordered out (inform:
an update or a fire alarm), again over ``[person_unsafe_again_s, person_safe2_s)``. Every metric of
unsecured time, exposure or "everyone secured or out" reads the intervals through these helpers.
"""

from __future__ import annotations

import numpy as np

from drillsim.engines.outcomes import Outcomes


def final_safe_s(o: Outcomes) -> np.ndarray:
    """(R, P) time each person is finally secured or out (end of their last unsecured interval)."""
    return np.where(np.isnan(o.person_safe2_s), o.person_safe_s, o.person_safe2_s)


def second_interval(o: Outcomes, horizon_s: float) -> np.ndarray:
    """(R, P) seconds of the second unsecured interval up to ``horizon_s`` (0 where none)."""
    again = o.person_unsafe_again_s
    has = ~np.isnan(again)
    lo = np.minimum(np.where(has, again, 0.0), horizon_s)
    hi = np.minimum(np.where(has, o.person_safe2_s, 0.0), horizon_s)
    return hi - lo


def unsecured_s(o: Outcomes, horizon_s: float) -> np.ndarray:
    """(R, P) unsecured seconds of each person up to ``horizon_s`` (both intervals)."""
    first = np.minimum(o.person_safe_s, horizon_s)
    if np.isnan(o.person_unsafe_again_s).all():  # nobody unsecured twice (most scenarios)
        first += 0.0  # what adding the all-zero second interval does (-0.0 becomes 0.0)
        return first
    return first + second_interval(o, horizon_s)


def unsecured_count(o: Outcomes, grid_s: np.ndarray, count_by) -> np.ndarray:
    """(R, T) people unsecured at each grid time (``count_by`` from :mod:`.score`)."""
    P = o.person_safe_s.shape[1]
    out = P - count_by(o.person_safe_s, grid_s)
    if np.isnan(o.person_unsafe_again_s).all():
        return out
    again = np.where(np.isnan(o.person_unsafe_again_s), np.inf, o.person_unsafe_again_s)
    safe2 = np.where(np.isnan(o.person_safe2_s), np.inf, o.person_safe2_s)
    return out + count_by(again, grid_s) - count_by(safe2, grid_s)
