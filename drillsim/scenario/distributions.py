"""Behaviour-parameter distributions, sampled by inverse CDF.

Every random input is drawn as a uniform number in [0, 1) from a named stream and then mapped through
the distribution's quantile function. That is what makes comparisons between scenarios use common
random numbers: when scenario B changes a door's lock hardware, the same uniform number feeds the new
lock-time distribution, so the difference between A and B is the effect of the change, not noise.

All distributions accept optional ``min`` / ``max`` bounds that clip the sampled value (e.g. to keep a
normal walking speed positive). Units are those of the field that holds the distribution.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy.special import ndtri

#: Largest magnitude of any distribution parameter (and of min / max). 10^6 s is 11.6 days and
#: 10^6 m/s is absurd as a speed, so no real input is refused, while every quantile formula
#: stays far from float overflow (a triangular up to 1e308 overflows into negative times).
MAX_PARAMETER = 1e6
#: Largest p90 / median of a lognormal. Real timing spreads are 1.5-10; at 10^4 the farthest
#: quantile drawn (z = 7) is 10^22 times the median, still finite, while far larger ratios (a
#: median of 1e-278 s) overflow to inf.
MAX_LOGNORMAL_RATIO = 10_000.0
#: Most observed values an empirical distribution may hold (a school's own drill log is a few
#: hundred at most; the values are sorted for every draw).
MAX_EMPIRICAL_VALUES = 100_000

# z-score of the 90th percentile of the standard normal, used to turn (median, p90) into sigma.
_Z90 = float(ndtri(0.9))


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    min: float | None = Field(None, description="lower clip bound")
    max: float | None = Field(None, description="upper clip bound")

    @model_validator(mode="after")
    def _check_magnitude(self):
        for name, value in self:
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, float) and abs(v) > MAX_PARAMETER:
                    raise ValueError(
                        f"{name} = {v:g} is beyond the supported range ±{MAX_PARAMETER:g}; "
                        "give times in seconds and speeds in m/s (values up to 10^6)"
                    )
        return self

    @model_validator(mode="after")
    def _check_bounds(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max}); swap them")
        return self

    def _raw_ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms ``u`` in [0, 1) to values (same shape), then clip to [min, max]."""
        x = self._raw_ppf(np.asarray(u, dtype=np.float64))
        if self.min is not None or self.max is not None:
            lo = -np.inf if self.min is None else self.min
            hi = np.inf if self.max is None else self.max
            x = np.clip(x, lo, hi)
        return x

    def support_min(self) -> float:
        """Smallest value the (clipped) distribution can produce."""
        lo = self._raw_min()
        if self.min is not None:
            lo = max(lo, self.min)
        if self.max is not None:  # a max below the whole range clips every value down to it
            lo = min(lo, self.max)
        return lo

    def _raw_min(self) -> float:  # pragma: no cover - overridden
        return -math.inf

    def median(self) -> float:
        """Median of the (clipped) distribution, for reports and hand calculations."""
        return float(self.ppf(np.array([0.5]))[0])

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class Constant(_Dist):
    dist: Literal["constant"]
    value: float

    def _raw_ppf(self, u):
        return np.full(u.shape, float(self.value))

    def describe(self) -> str:
        return f"constant {self.value:g}"

    def _raw_min(self) -> float:
        return float(self.value)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low}); swap them")
        return self

    def _raw_ppf(self, u):
        return self.low + (self.high - self.low) * u

    def describe(self) -> str:
        return f"uniform {self.low:g}–{self.high:g}"

    def _raw_min(self) -> float:
        return float(self.low)


class Normal(_Dist):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)

    def _raw_ppf(self, u):
        return self.mean + self.sd * ndtri(_open(u))

    def describe(self) -> str:
        return f"normal mean {self.mean:g}, sd {self.sd:g}"

    def _raw_min(self) -> float:
        return float(self.mean + self.sd * float(ndtri(1e-12)))


class LogNormal(_Dist):
    """Lognormal given by its median and 90th percentile (how timing data is usually reported)."""

    dist: Literal["lognormal"]
    median_: float = Field(gt=0, alias="median")
    p90: float = Field(gt=0)

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    @model_validator(mode="after")
    def _order(self):
        if self.p90 <= self.median_:
            raise ValueError(
                f"p90 ({self.p90}) must be greater than median ({self.median_}); "
                "make p90 larger than the median, or use a plain number for a fixed value"
            )
        if self.p90 > MAX_LOGNORMAL_RATIO * self.median_:
            raise ValueError(
                f"p90 ({self.p90:g}) is more than {MAX_LOGNORMAL_RATIO:g} times the median "
                f"({self.median_:g}); its tail would reach astronomic values; check the units "
                "of both (seconds, m/s)"
            )
        return self

    @property
    def sigma(self) -> float:
        return math.log(self.p90 / self.median_) / _Z90

    def _raw_ppf(self, u):
        return self.median_ * np.exp(self.sigma * ndtri(_open(u)))

    def describe(self) -> str:
        return f"lognormal median {self.median_:g}, p90 {self.p90:g}"

    def _raw_min(self) -> float:
        return float(self.median_ * math.exp(self.sigma * float(ndtri(1e-12))))


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(
                f"need low <= mode <= high and low < high (got {self.low}, {self.mode}, {self.high})"
            )
        return self

    def _raw_ppf(self, u):
        a, c, b = self.low, self.mode, self.high
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)

    def describe(self) -> str:
        return f"triangular {self.low:g}/{self.mode:g}/{self.high:g}"

    def _raw_min(self) -> float:
        return float(self.low)


class Empirical(_Dist):
    """Resample observed values with equal weight (e.g. lock times logged in your own drills)."""

    dist: Literal["empirical"]
    values: list[float] = Field(min_length=1, max_length=MAX_EMPIRICAL_VALUES)

    def _raw_ppf(self, u):
        v = np.sort(np.asarray(self.values, dtype=np.float64))
        idx = np.minimum((u * len(v)).astype(np.int64), len(v) - 1)
        return v[idx]

    def describe(self) -> str:
        return f"empirical ({len(self.values)} values)"

    def _raw_min(self) -> float:
        return float(min(self.values))


def _open(u: np.ndarray) -> np.ndarray:
    """Keep uniforms strictly inside (0, 1) so normal quantiles stay finite."""
    return np.clip(u, 1e-12, 1.0 - 1e-12)


def as_distribution(value: object) -> object:
    """Allow a bare number as shorthand for ``{dist: constant, value: N}``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}  # pydantic checks it is a finite number
    return value


#: Field type for any distribution; a bare number is read as a constant.
Distribution = Annotated[
    Annotated[
        Constant | Uniform | Normal | LogNormal | Triangular | Empirical,
        Field(discriminator="dist"),
    ],
    BeforeValidator(as_distribution),
]
