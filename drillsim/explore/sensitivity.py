"""Global sensitivity of each metric to the uncertain parameters (SALib: Morris, or Sobol).

Each parameter is mapped to [0, 1] over its range (:class:`~drillsim.explore.parameters.Parameter`),
SALib draws the design in that unit cube, and every design point runs the same ``runs`` seeded runs
(common random numbers: a point's difference from its neighbour is the parameters' effect, not
resampling noise). The statistic of each metric at a point is its mean over runs (or median / p90),
a run where the event never happens (a room never secured) counting as the scenario's horizon for
the time metrics (unit s).

* **Morris** (default, screening): ``mu_star`` is the mean absolute elementary effect, in the
  metric's unit, of moving one parameter across its whole range; its 95 % confidence interval is
  SALib's bootstrap over trajectories. ``sigma`` large next to ``mu_star`` means interactions or a
  non-linear effect. Cost: ``(k + 1) × trajectories`` points.
* **Sobol** (on request): ``ST`` (total) and ``S1`` (first-order) shares of the statistic's variance
  over the ranges, with bootstrap 95 % intervals. Cost: ``(k + 2) × samples`` points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drillsim.errors import DrillsimError
from drillsim.explore.evaluate import evaluate
from drillsim.explore.parameters import Parameter
from drillsim.metrics.score import METRICS, metric_names
from drillsim.metrics.summary import quantile
from drillsim.scenario.load import LoadedScenario

METHODS = ("morris", "sobol")
STATISTICS = ("mean", "median", "p90")
#: Headline metric of each protocol: what the ranking, the figure and the briefing lead with.
PRIMARY = {"lockdown": "time_95_secured_s", "evacuate": "time_95_evacuated_s"}


@dataclass
class SensitivityResult:
    """Indices of every metric for every parameter, plus what produced them."""

    method: str
    statistic: str
    parameters: list[Parameter]
    metrics: list[str]
    primary: str
    rows: list[dict[str, Any]]  # one per (metric, parameter), ranked within each metric
    baseline: dict[str, float]  # the statistic at the scenario as written
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> why it is not ranked
    provenance: dict[str, Any] = field(default_factory=dict)

    def ranking(self, metric: str | None = None) -> list[dict[str, Any]]:
        """Rows of one metric (default: the primary one), most influential first."""
        m = metric or self.primary
        return [r for r in self.rows if r["metric"] == m]

    def top(self, n: int = 3, metric: str | None = None) -> list[dict[str, Any]]:
        """The ``n`` most influential parameters of ``metric`` with a non-zero effect."""
        return [r for r in self.ranking(metric) if r["index"] > 0][:n]


def statistic_of(values: np.ndarray, statistic: str, never: float = math.inf) -> float:
    """The statistic over runs, a run where the event never happens (``inf``) counting as
    ``never`` (the scenario's horizon), so a point where rooms stay unsecured ranks as slow
    instead of dropping out."""
    x = np.asarray(values, dtype=float)
    x = np.where(np.isposinf(x), never, x)  # only "never" is replaced; finite values stay
    if statistic == "mean":
        finite = x[np.isfinite(x)]
        return float(finite.mean()) if finite.size else math.nan
    return quantile(x, 0.5 if statistic == "median" else 0.9)


def design(method: str, k: int, size: int, seed: int) -> np.ndarray:
    """SALib design in the unit cube: ``size`` trajectories (Morris) or base samples (Sobol)."""
    problem = _problem(k)
    if method == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(problem, size, num_levels=4, seed=seed)
    from SALib.sample import sobol as sobol_sample

    if size & (size - 1):
        raise DrillsimError(f"Sobol needs a power of two for --samples (e.g. 64), got {size}")
    return sobol_sample.sample(problem, size, calc_second_order=False, seed=seed)


def sensitivity_points(method: str, k: int, size: int | None) -> int:
    """Design points (besides the baseline) a method needs for ``k`` parameters."""
    size = size or (10 if method == "morris" else 64)
    return (k + 1) * size if method == "morris" else (k + 2) * size


def _problem(k: int) -> dict[str, Any]:
    return {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}


def sensitivity(
    loaded: LoadedScenario,
    parameters: Sequence[Parameter],
    *,
    method: str = "morris",
    size: int | None = None,
    runs: int = 256,
    seed: int = 0,
    statistic: str = "mean",
    metrics: Sequence[str] | None = None,
    primary: str | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Rank ``parameters`` by their effect on each metric of ``loaded``'s scenario.

    Parameters
    ----------
    loaded : LoadedScenario
        The validated base scenario.
    parameters : sequence of Parameter
        What varies and over which range (see :func:`~drillsim.explore.parameters.default_parameters`).
    method : {"morris", "sobol"}
        Screening (cheap) or variance-based indices.
    size : int, optional
        Morris trajectories (default 10) or Sobol base samples (default 64, a power of two).
    runs : int
        Seeded runs per design point (every point uses the same runs: common random numbers).
    seed : int
        Batch seed of every point, also seeds the SALib design and bootstrap.
    statistic : {"mean", "median", "p90"}
        Statistic of a metric over the runs of one point.
    metrics : sequence of str, optional
        Metrics to analyse (default: every metric of the protocol).
    primary : str, optional
        The metric the ranking leads with (default: time to secure 95 % of rooms, or evacuate).
    workers : int
        Local processes running design points.
    """
    if method not in METHODS:
        raise DrillsimError(f"unknown method '{method}'; use one of: {', '.join(METHODS)}")
    if statistic not in STATISTICS:
        raise DrillsimError(f"unknown statistic '{statistic}'; use {', '.join(STATISTICS)}")
    if len(parameters) < 2:
        raise DrillsimError("sensitivity needs at least two parameters to rank")
    protocol = loaded.scenario.protocol
    names = list(metrics or metric_names(protocol))
    unknown = [m for m in names if m not in metric_names(protocol)]
    if unknown:
        raise DrillsimError(
            f"unknown metric(s) {', '.join(unknown)} for {protocol}; use: "
            + ", ".join(metric_names(protocol))
        )
    primary = primary or (PRIMARY[protocol] if PRIMARY[protocol] in names else names[0])
    if primary not in names:
        raise DrillsimError(f"--metric {primary} is not among the analysed metrics")
    size = size or (10 if method == "morris" else 64)
    k = len(parameters)
    X = design(method, k, size, seed)
    points = [{p.path: _typed(p, p.value(u)) for p, u in zip(parameters, x, strict=True)}
              for x in X]
    Y = np.full((len(points) + 1, len(names)), np.nan)
    never = float(loaded.scenario.horizon_s)
    for i, per_run in evaluate(loaded, [*points, {}], runs, seed, workers=workers,
                               progress=progress):
        Y[i] = [statistic_of(per_run[m], statistic, never if METRICS[m][0] == "s" else math.inf)
                for m in names]
    baseline = dict(zip(names, Y[-1].tolist(), strict=True))
    Y = Y[:-1]
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for j, m in enumerate(names):
        y = Y[:, j]
        if not np.isfinite(y).all():
            skipped[m] = f"its {statistic} is not finite at some design points (never happens)"
            continue
        rows += _rank(method, m, parameters, X, y, seed)
    if primary in skipped:
        raise DrillsimError(
            f"cannot rank {primary}: {skipped[primary]}; choose another --metric or --statistic"
        )
    return SensitivityResult(
        method=method, statistic=statistic, parameters=list(parameters), metrics=names,
        primary=primary, rows=rows, baseline=baseline, skipped=skipped,
        provenance={"runs_per_point": runs, "points": len(points), "size": size, "seed": seed,
                    "total_runs": runs * (len(points) + 1), "never_counts_as_s": never},
    )


def _typed(p: Parameter, v: float) -> float | int:
    return int(round(v)) if p.integer else v


def _rank(method: str, metric: str, params: Sequence[Parameter], X: np.ndarray, y: np.ndarray,
          seed: int) -> list[dict[str, Any]]:
    problem = _problem(len(params))
    rows = []
    if method == "morris":
        from SALib.analyze import morris

        if np.ptp(y) == 0:
            res = {"mu_star": np.zeros(len(params)), "mu_star_conf": np.zeros(len(params)),
                   "mu": np.zeros(len(params)), "sigma": np.zeros(len(params))}
        else:
            res = morris.analyze(problem, X, y, conf_level=0.95, num_resamples=1000,
                                 num_levels=4, seed=seed)
        for i, p in enumerate(params):
            ms, conf = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
            rows.append(_row(metric, p, ms, max(0.0, ms - conf), ms + conf,
                             mu=float(res["mu"][i]), sigma=float(res["sigma"][i])))
    else:
        from SALib.analyze import sobol

        if np.ptp(y) == 0:
            zeros = np.zeros(len(params))
            res = {"ST": zeros, "ST_conf": zeros, "S1": zeros, "S1_conf": zeros}
        else:
            res = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95,
                                num_resamples=1000, seed=seed)
        for i, p in enumerate(params):
            st, conf = float(res["ST"][i]), float(res["ST_conf"][i])
            rows.append(_row(metric, p, st, st - conf, st + conf, S1=float(res["S1"][i]),
                             S1_ci95_low=float(res["S1"][i] - res["S1_conf"][i]),
                             S1_ci95_high=float(res["S1"][i] + res["S1_conf"][i])))
    rows.sort(key=lambda r: -r["index"])
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


def _row(metric: str, p: Parameter, index: float, lo: float, hi: float, **extra: float) -> dict:
    return {
        "metric": metric, "rank": 0, "parameter": p.label(), "path": p.path, "low": p.low,
        "high": p.high, "index": index, "ci95_low": lo, "ci95_high": hi, **extra,
        "observe": p.observe, "what": p.what,
    }
