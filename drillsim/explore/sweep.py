"""Parameter sweeps: a full grid of ``--set`` values, or a Latin hypercube over ranges.

Point 0 is always the scenario as written (the baseline); every point runs the same seeded runs
(common random numbers), so each point's difference from the baseline is taken run by run, exactly
as ``drillsim compare`` does (:func:`drillsim.metrics.summary.compare_paired`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drillsim.errors import DrillsimError
from drillsim.explore.evaluate import evaluate
from drillsim.metrics.score import metric_names
from drillsim.metrics.summary import compare_paired, summarise
from drillsim.scenario.load import LoadedScenario
from drillsim.scenario.paths import SCALE, get_path, set_paths

DESIGNS = ("grid", "lhs")
#: Upper bound on design points, so a typo (``0:1000:1000``) cannot start a week-long sweep.
MAX_POINTS = 10_000


@dataclass(frozen=True)
class Setting:
    """One ``--set`` option: a dotted path with its values (grid) or its range (LHS)."""

    path: str
    values: tuple[Any, ...] = ()
    low: float = math.nan
    high: float = math.nan
    integer: bool = False


@dataclass
class SweepResult:
    """Per-run metrics of every design point, the points' values and the paired summary."""

    paths: list[str]
    points: list[dict[str, Any]]  # point index -> {path: value}; point 0 = baseline
    metrics: dict[str, np.ndarray]  # name -> (points, runs)
    n_runs: int
    seed: int
    design: str
    summary: list[dict[str, Any]] = field(default_factory=list)


def _scalar(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_setting(spec: str, design: str) -> Setting:
    """Parse ``path=v1,v2,…`` (grid), ``path=lo:hi:n`` (grid of n) or ``path=lo:hi`` (LHS)."""
    path, eq, rhs = spec.partition("=")
    path, rhs = path.strip(), rhs.strip()
    if not eq or not path or not rhs:
        raise DrillsimError(
            f"--set '{spec}': write PATH=V1,V2,… (or PATH=LOW:HIGH with --design lhs), e.g. "
            "behaviour.lock_time_s.thumbturn.scale=0.5,1,2"
        )
    if design == "lhs":
        parts = rhs.split(":")
        try:
            low, high = (float(x) for x in parts)
        except ValueError:
            raise DrillsimError(
                f"--set '{spec}': --design lhs needs a range PATH=LOW:HIGH, e.g. "
                f"{path}=0.5:2"
            ) from None
        if not low < high:
            raise DrillsimError(f"--set '{spec}': LOW must be below HIGH")
        integer = all(_is_int_text(x) for x in parts)
        return Setting(path, low=low, high=high, integer=integer)
    if rhs.count(":") == 2 and "," not in rhs:
        try:
            lo, hi, n = rhs.split(":")
            count = int(n)
            values = tuple(float(v) for v in np.linspace(float(lo), float(hi), count))
        except ValueError:
            raise DrillsimError(f"--set '{spec}': LOW:HIGH:N needs two numbers and a count") from None
        if count < 1:
            raise DrillsimError(f"--set '{spec}': N must be at least 1")
        return Setting(path, values=values)
    return Setting(path, values=tuple(_scalar(v.strip()) for v in rhs.split(",") if v.strip()))


def _is_int_text(text: str) -> bool:
    return text.strip().lstrip("-").isdigit()


def design_points(settings: Sequence[Setting], design: str, samples: int,
                  seed: int) -> list[dict[str, Any]]:
    """The design's points (without the baseline): every grid combination, or LHS samples."""
    if design not in DESIGNS:
        raise DrillsimError(f"unknown design '{design}'; use one of: {', '.join(DESIGNS)}")
    if not settings:
        raise DrillsimError("give at least one --set PATH=VALUES")
    paths = [s.path for s in settings]
    if len(set(paths)) != len(paths):
        raise DrillsimError("each path may be given in one --set only")
    if design == "grid":
        n = math.prod(len(s.values) for s in settings)
        if n > MAX_POINTS:
            raise DrillsimError(f"the grid has {n} points (more than {MAX_POINTS}); use fewer "
                                "values or --design lhs")
        return [dict(zip(paths, combo, strict=True))
                for combo in itertools.product(*(s.values for s in settings))]
    if samples < 2 or samples > MAX_POINTS:
        raise DrillsimError(f"--samples must be between 2 and {MAX_POINTS}, got {samples}")
    from SALib.sample import latin

    problem = {"num_vars": len(settings), "names": paths,
               "bounds": [[s.low, s.high] for s in settings]}
    X = latin.sample(problem, samples, seed=seed)
    return [{s.path: (int(round(v)) if s.integer else float(v))
             for s, v in zip(settings, x, strict=True)} for x in X]


def baseline_values(loaded: LoadedScenario, paths: Sequence[str]) -> dict[str, Any]:
    """The values the scenario as written has at ``paths`` (1.0 for a ``.scale``)."""
    out: dict[str, Any] = {}
    for p in paths:
        try:
            v = get_path(loaded.scenario, p)
        except DrillsimError:  # a key the file does not set (e.g. building.door_locks.R101)
            v = "(as written)"
        out[p] = v if not isinstance(v, dict | list) else (1.0 if p.endswith(SCALE) else str(v))
    return out


def sweep(
    loaded: LoadedScenario,
    settings: Sequence[Setting],
    *,
    design: str = "grid",
    samples: int = 20,
    runs: int = 256,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run the baseline and every design point with the same seeded runs.

    Parameters
    ----------
    loaded : LoadedScenario
        The validated base scenario.
    settings : sequence of Setting
        From :func:`parse_setting`; several settings make a grid (or the LHS dimensions).
    design : {"grid", "lhs"}
        Full factorial grid, or a Latin hypercube of ``samples`` points.
    runs, seed : int
        Seeded runs per point; every point gets the same runs (common random numbers).
    workers : int
        Local processes running points.
    """
    points = design_points(settings, design, samples, seed)
    paths = [s.path for s in settings]
    for p in points:  # validate every point before any run (a bad value fails fast)
        set_paths(loaded.scenario, p, source="--set")
    allp = [{}, *points]
    names = metric_names(loaded.scenario.protocol)
    metrics = {m: np.empty((len(allp), runs)) for m in names}
    for i, per_run in evaluate(loaded, allp, runs, seed, workers=workers, progress=progress):
        for m in names:
            metrics[m][i] = per_run[m]
    shown = [baseline_values(loaded, paths), *points]
    res = SweepResult(paths, shown, metrics, runs, seed, design)
    res.summary = summary_rows(res, float(loaded.scenario.horizon_s))
    return res


def summary_rows(res: SweepResult, horizon_s: float = math.inf) -> list[dict[str, Any]]:
    """One row per (point, metric): its distribution and the paired difference from point 0.

    ``mean`` is over the runs where the event happened (as in ``drillsim batch``);
    ``mean_never_as_horizon`` counts a time that never happens as ``horizon_s`` (what sweep.png
    draws), so a setting that leaves rooms unsecured does not look faster.
    """
    from drillsim.metrics.score import METRICS

    rows = []
    for i, values in enumerate(res.points):
        for m, arr in res.metrics.items():
            s = summarise(arr[i])
            d = compare_paired(arr[0], arr[i], m)
            never = horizon_s if METRICS[m][0] == "s" else math.inf
            capped = np.where(np.isposinf(arr[i]), never, arr[i])
            rows.append({"point": i, **values, "metric": m, "mean": s["mean"],
                         "mean_never_as_horizon": float(np.mean(capped)),
                         "mean_ci95_low": s["mean_ci95_low"], "mean_ci95_high": s["mean_ci95_high"],
                         "median": s["median"], "p90": s["p90"], "share_never": s["share_never"],
                         "diff_vs_baseline": d["mean_difference"],
                         "diff_ci95_low": d["ci95_low"], "diff_ci95_high": d["ci95_high"],
                         "share_better_than_baseline": d["share_b_better"]})
    return rows
