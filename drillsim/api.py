"""The Python API: load, validate, run one, run a batch, compare, sweep, sensitivity, brief.

Everything the command line does, as plain functions on plain objects, for notebooks and scripts.
Every function is offline and writes files only where an ``out`` argument points. Same seed, same
numbers, whatever the worker count.

Examples
--------
Run the examples from the repository root (they use the bundled scenarios):

>>> from drillsim import api
>>> school = api.load("scenarios/elementary-lockdown-class.yaml")
>>> school.scenario.protocol
'lockdown'
>>> batch = api.run_batch(school, runs=256, seed=1)
>>> batch.n_runs
256
>>> s = api.summary(batch)["time_95_secured_s"]
>>> bool(s["median"] <= s["p90"])
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from drillsim.errors import DrillsimError, Problem, ValidationError
from drillsim.explore.parameters import Parameter, default_parameters, read_ranges
from drillsim.explore.sensitivity import SensitivityResult
from drillsim.explore.sweep import Setting, SweepResult
from drillsim.run.batch import BatchResult
from drillsim.run.single import SingleRun
from drillsim.scenario.load import LoadedScenario

__all__ = [
    "BatchResult",
    "LoadedScenario",
    "Parameter",
    "SensitivityResult",
    "SingleRun",
    "SweepResult",
    "brief",
    "compare",
    "default_parameters",
    "load",
    "run_batch",
    "run_one",
    "sensitivity",
    "summary",
    "sweep",
    "validate",
    "with_values",
]


def load(path: str | Path) -> LoadedScenario:
    """Load and validate a scenario file together with its floorplan.

    Parameters
    ----------
    path : str or Path
        A scenario YAML file; its ``floorplan`` is read relative to it.

    Returns
    -------
    LoadedScenario
        ``.scenario`` (the validated model), ``.floorplan`` (the NetworkX-backed floorplan) and
        ``.source``.

    Raises
    ------
    ValidationError
        Listing every problem in the scenario and its floorplan, each with the fix.

    Examples
    --------
    >>> school = load("scenarios/elementary-lockdown-class.yaml")
    >>> school.floorplan.name
    'Fictional Elementary School (K-5)'
    """
    from drillsim.scenario.load import load_scenario

    return load_scenario(path)


def validate(path: str | Path) -> list[Problem]:
    """Every problem of a scenario or floorplan file (an empty list when it is fine).

    Parameters
    ----------
    path : str or Path
        A scenario (has a ``protocol`` key) or a floorplan file.

    Returns
    -------
    list of Problem
        Each names the file, the element, what is wrong and the fix.

    Examples
    --------
    >>> validate("scenarios/high-school-lockdown-class.yaml")
    []
    >>> problems = validate("no-such-file.yaml")
    >>> problems[0].message
    'file not found'
    """
    from drillsim.cli.files import _is_scenario
    from drillsim.floorplan import load_floorplan

    try:
        if _is_scenario(Path(path)):
            load(path)
        else:
            load_floorplan(path)
    except ValidationError as err:
        return list(err.problems)
    return []


def with_values(loaded: LoadedScenario, values: Mapping[str, Any]) -> LoadedScenario:
    """A copy of ``loaded`` with scenario values overridden by dotted path.

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario to start from (unchanged).
    values : mapping of str to value
        E.g. ``{"behaviour.lock_time_s.thumbturn.scale": 2, "behaviour.max_lock_attempts": 1}``.
        A path ending in ``.scale`` multiplies a whole distribution.

    Returns
    -------
    LoadedScenario
        Validated like a file; building changes re-applied.

    Examples
    --------
    >>> school = load("scenarios/elementary-lockdown-class.yaml")
    >>> slow = with_values(school, {"behaviour.lock_time_s.thumbturn.scale": 2})
    >>> slow.scenario.behaviour.lock_time_s["thumbturn"].median()
    6.0
    """
    from drillsim.scenario.load import scenario_with_floorplan
    from drillsim.scenario.paths import set_paths

    new = set_paths(loaded.scenario, values, source=loaded.source)
    return scenario_with_floorplan(new, loaded.floorplan, loaded.source)


def run_one(loaded: LoadedScenario, seed: int = 0, run_index: int = 0) -> SingleRun:
    """Simulate one run with the reference (SimPy) engine, with its full event log.

    Run ``run_index`` of seed ``seed`` gets the draws it gets inside a batch of that seed, so a
    surprising batch run can be replayed here.

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario.
    seed : int
        Batch seed.
    run_index : int
        Which run of that batch.

    Returns
    -------
    SingleRun
        ``.outcomes`` (one run) and ``.log`` (every event).

    Examples
    --------
    >>> one = run_one(load("scenarios/elementary-lockdown-class.yaml"), seed=1, run_index=3)
    >>> one.outcomes.n_runs
    1
    """
    from drillsim.run.single import run_single

    return run_single(loaded, seed, run_index)


def run_batch(loaded: LoadedScenario, runs: int = 1000, seed: int = 0, *,
              workers: int = 1, engine: str = "batch") -> BatchResult:
    """Simulate ``runs`` seeded runs and keep their per-run metrics and room-level detail.

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario.
    runs : int
        Number of runs.
    seed : int
        Batch seed: same seed, same numbers.
    workers : int
        Local processes (results do not depend on it).
    engine : {"batch", "reference"}
        Vectorized engine, or the SimPy reference engine (slow; for checking).

    Returns
    -------
    BatchResult
        ``.metrics`` maps each metric name to an array with one value per run (seconds,
        person-seconds, shares; ``inf`` = never happened).

    Examples
    --------
    >>> batch = run_batch(load("scenarios/elementary-lockdown-class.yaml"), runs=256, seed=2)
    >>> batch.metrics["unsecured_person_s"].shape
    (256,)
    """
    from drillsim.run.batch import run_batch_job

    return run_batch_job(loaded, runs, seed, workers=workers, engine=engine)


def summary(result: BatchResult) -> dict[str, dict[str, float]]:
    """Median, p90, mean with 95 % CI and share of "never" of every metric of a batch.

    Examples
    --------
    >>> s = summary(run_batch(load("scenarios/elementary-lockdown-class.yaml"), runs=256))
    >>> sorted(s["time_all_alerted_s"])[:3]
    ['mean', 'mean_ci95_high', 'mean_ci95_low']
    """
    from drillsim.metrics.summary import summarise

    return {m: summarise(v) for m, v in result.metrics.items()}


def compare(a: LoadedScenario, b: LoadedScenario, runs: int = 1000, seed: int = 0, *,
            workers: int = 1) -> dict[str, dict[str, Any]]:
    """Paired difference B − A of every shared metric, with common random numbers.

    Both scenarios run with the same seed, so the same people get the same draws and the
    difference is taken run by run.

    Returns
    -------
    dict
        Metric -> ``mean_difference``, ``ci95_low``, ``ci95_high``, ``median_difference``,
        ``share_b_better`` (ties count half), ``better_is``.

    Raises
    ------
    DrillsimError
        If the two scenarios have different protocols.

    Examples
    --------
    >>> a = load("scenarios/elementary-lockdown-class.yaml")
    >>> b = with_values(a, {"behaviour.lock_time_s.thumbturn.scale": 3})
    >>> d = compare(a, b, runs=256, seed=1)["time_95_secured_s"]
    >>> bool(d["mean_difference"] > 0 and d["ci95_low"] > 0)
    True
    """
    from drillsim.metrics.summary import compare_paired

    if a.scenario.protocol != b.scenario.protocol:
        raise DrillsimError("compare lockdown with lockdown, or evacuate with evacuate")
    ra = run_batch(a, runs, seed, workers=workers)
    rb = run_batch(b, runs, seed, workers=workers)
    return {m: compare_paired(ra.metrics[m], rb.metrics[m], m)
            for m in ra.metrics if m in rb.metrics}


def sweep(loaded: LoadedScenario, values: Mapping[str, Sequence[Any]] | None = None, *,
          ranges: Mapping[str, tuple[float, float]] | None = None, samples: int = 20,
          runs: int = 256, seed: int = 0, workers: int = 1,
          out: str | Path | None = None) -> SweepResult:
    """Run a grid of values (or a Latin hypercube over ranges) with common random numbers.

    Parameters
    ----------
    loaded : LoadedScenario
        The base scenario; it is also point 0 of the result.
    values : mapping of path to values, optional
        A full grid: every combination of the values.
    ranges : mapping of path to (low, high), optional
        Instead of ``values``: a Latin hypercube of ``samples`` points over these ranges.
    samples, runs, seed, workers : int
        Design size, seeded runs per point, seed, local processes.
    out : str or Path, optional
        Folder to write sweep.parquet, sweep_summary.csv, sweep.json and sweep.png into.

    Returns
    -------
    SweepResult
        ``.points`` (point 0 = as written), ``.metrics`` (metric -> points × runs array) and
        ``.summary`` (paired differences from point 0).

    Examples
    --------
    >>> school = load("scenarios/elementary-lockdown-class.yaml")
    >>> res = sweep(school, {"behaviour.safe_zone_move_s.scale": [0.5, 2.0]}, runs=256)
    >>> [p["behaviour.safe_zone_move_s.scale"] for p in res.points]
    [1.0, 0.5, 2.0]
    >>> import numpy as np
    >>> t = np.median(res.metrics["time_last_secured_s"], axis=1)  # a faster safe-zone move
    >>> bool(t[1] < t[0] < t[2])                                   # secures rooms sooner
    True
    """
    from drillsim.explore.sweep import sweep as run_sweep

    if (values is None) == (ranges is None):
        raise DrillsimError("give either values (a grid) or ranges (a Latin hypercube)")
    if values is not None:
        settings = [Setting(p, values=tuple(v)) for p, v in values.items()]
        design = "grid"
    else:
        settings = [Setting(p, low=float(lo), high=float(hi)) for p, (lo, hi) in ranges.items()]
        design = "lhs"
    res = run_sweep(loaded, settings, design=design, samples=samples, runs=runs, seed=seed,
                    workers=workers)
    if out is not None:
        from drillsim.reports.staging import staged_output
        from drillsim.reports.sweep import write_sweep_outputs

        with staged_output(out) as tmp:
            write_sweep_outputs(res, loaded, tmp)
    return res


def sensitivity(loaded: LoadedScenario, parameters: Sequence[Parameter] | str | Path | None = None,
                *, method: str = "morris", size: int | None = None, runs: int = 256,
                seed: int = 0, statistic: str = "mean", metric: str | None = None,
                workers: int = 1, out: str | Path | None = None) -> SensitivityResult:
    """Rank the uncertain parameters by their effect on each metric (SALib Morris or Sobol).

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario.
    parameters : sequence of Parameter, or a ranges file, optional
        Default: every [U] placeholder that can move this scenario, over its documented range
        (:func:`default_parameters`).
    method : {"morris", "sobol"}
        Screening, or variance-based indices.
    size : int, optional
        Morris trajectories (10) or Sobol base samples (64, a power of two).
    runs, seed : int
        Seeded runs per design point (the same at every point) and the seed.
    statistic : {"mean", "median", "p90"}
        Statistic of a metric over a point's runs ("never" counts as the horizon).
    metric : str, optional
        Headline metric (default: time to secure 95 % of rooms, or to evacuate 95 %).
    workers : int
        Local processes.
    out : str or Path, optional
        Folder for sensitivity.csv / .json / .png / .html.

    Returns
    -------
    SensitivityResult
        ``.ranking(metric)``: rows with ``index`` and its ``ci95_low`` / ``ci95_high``.

    Examples
    --------
    >>> school = load("scenarios/elementary-lockdown-class.yaml")
    >>> ps = [Parameter("behaviour.safe_zone_move_s.scale", 0.5, 4.0),
    ...       Parameter("sro.door_check_s.scale", 0.5, 2.0)]
    >>> res = sensitivity(school, ps, size=4, runs=256, metric="time_95_secured_s")
    >>> res.ranking()[0]["path"]
    'behaviour.safe_zone_move_s.scale'
    """
    from drillsim.explore.sensitivity import sensitivity as run_sensitivity

    if parameters is None:
        params = default_parameters(loaded)
    elif isinstance(parameters, str | Path):
        params = read_ranges(parameters, loaded)
    else:
        params = list(parameters)
    res = run_sensitivity(loaded, params, method=method, size=size, runs=runs, seed=seed,
                          statistic=statistic, primary=metric, workers=workers)
    if out is not None:
        from drillsim.reports.sensitivity import write_sensitivity_outputs
        from drillsim.reports.staging import staged_output

        with staged_output(out) as tmp:
            write_sensitivity_outputs(res, loaded, tmp)
    return res


def brief(loaded: LoadedScenario, out: str | Path, runs: int = 1000, seed: int = 0, *,
          workers: int = 1, sensitivity: SensitivityResult | None = None) -> list[Path]:
    """Write the drill briefing pack (HTML, PDF, observer sheet, figures) into ``out``.

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario of the drill.
    out : str or Path
        Folder to write into (created; nothing is written elsewhere).
    runs, seed, workers : int
        The batch behind the briefing's numbers.
    sensitivity : SensitivityResult, optional
        Adds "time these three steps at your next drill".

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> school = load("scenarios/elementary-lockdown-class.yaml")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     names = sorted(p.name for p in brief(school, tmp, runs=256))
    >>> names[:3]
    ['briefing.html', 'briefing.json', 'briefing.pdf']
    """
    from drillsim.reports.brief import write_briefing
    from drillsim.reports.staging import staged_output

    steps = None
    if sensitivity is not None:
        from drillsim.reports.sensitivity import time_these_steps

        steps = time_these_steps(sensitivity)
    result = run_batch(loaded, runs, seed, workers=workers)
    with staged_output(out) as tmp:
        written = write_briefing(loaded, result, tmp, steps)
    return [Path(out) / p.relative_to(tmp) for p in written]
