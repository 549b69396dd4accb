"""Summarise per-run metrics into distributions, and compare scenarios paired run by run."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import stdtrit  # Student-t quantile; scipy.stats costs ~0.3 s to import

#: Metrics where a larger value is the better outcome (everything else: smaller is better).
HIGHER_IS_BETTER = frozenset(
    {"rooms_secured_by_60s", "rooms_secured_by_120s", "rooms_secured_by_300s"}
)


#: Paired differences smaller than this count as ties (the engines' own agreement tolerance).
TIE_TOLERANCE = 1e-9


def quantile(x: np.ndarray, q: float) -> float:
    """Linear-interpolated quantile that treats ``inf`` ("never") as larger than any time."""
    x = np.sort(np.asarray(x, dtype=float))
    if x.size == 0:
        return math.nan
    pos = q * (x.size - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    if math.isinf(x[hi]) or math.isinf(x[lo]):
        return (
            float(x[hi]) if math.isinf(x[hi]) and (pos > lo or math.isinf(x[lo])) else float(x[lo])
        )
    return float(x[lo] + (x[hi] - x[lo]) * (pos - lo))


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean with a Student-t confidence interval (nan bounds for fewer than two values)."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(x))
    if x.size < 2:
        return mean, math.nan, math.nan
    sem = float(np.std(x, ddof=1)) / math.sqrt(x.size)
    half = float(stdtrit(x.size - 1, 0.5 + level / 2)) * sem  # == scipy.stats.t.ppf, bit for bit
    return mean, mean - half, mean + half


def summarise(values: np.ndarray) -> dict[str, float]:
    """Median, p90, and mean with 95 % CI of one metric over runs.

    Runs where the event never happened (``inf``) count in the median and p90 (as "later than
    anything") and are reported as ``share_never``; the mean and its CI are over the other runs.
    """
    x = np.asarray(values, dtype=float)
    finite = x[np.isfinite(x)]
    mean, lo, hi = mean_ci(finite)
    return {
        "median": quantile(x, 0.5),
        "p90": quantile(x, 0.9),
        "mean": mean,
        "mean_ci95_low": lo,
        "mean_ci95_high": hi,
        "n_runs": int(x.size),
        "share_never": float(np.mean(np.isinf(x))) if x.size else math.nan,
        # for events some runs never reach (e.g. "all rooms secured"): report the share reached
        # with the median of the runs that reached it, never a bare median that hides the rest
        "median_when_reached": quantile(finite, 0.5) if finite.size else math.nan,
    }


def compare_paired(a: np.ndarray, b: np.ndarray, metric: str) -> dict[str, float]:
    """Paired difference B - A over runs that share their random numbers (common random numbers).

    Returns the mean difference with its 95 % CI (over runs where both are finite), the median
    difference, and the share of runs in which B is strictly better than A (ties count half).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    diff = b[both] - a[both]
    mean, lo, hi = mean_ci(diff)
    higher = metric in HIGHER_IS_BETTER
    with np.errstate(invalid="ignore"):
        better = (b > a) if higher else (b < a)
        tie = a == b
    share = float(np.mean(better + 0.5 * tie)) if a.size else math.nan
    return {
        "mean_difference": mean,
        "ci95_low": lo,
        "ci95_high": hi,
        "median_difference": float(np.median(diff)) if diff.size else math.nan,
        "share_b_better": share,
        "n_paired_finite": int(both.sum()),
        "better_is": "higher" if higher else "lower",
    }
