"""Research commands: ``sensitivity`` (which parameters matter) and ``sweep`` (grids, LHS)."""

from __future__ import annotations

from pathlib import Path

import click

from drillsim.cli.common import Progress, friendly, load, out_option, scenario_arg, seed_option

_workers = click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="Local worker processes (default: all cores). Results do not depend on it.")
_runs = click.option(
    "--runs", "-n", type=click.IntRange(min=1), default=256, show_default=True,
    help="Seeded runs per design point (the same runs at every point: common random numbers).")
_quiet = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


def _workers_or_default(workers: int | None) -> int:
    from drillsim.run.batch import default_workers

    return default_workers() if workers is None else workers


@click.command()
@scenario_arg
@click.option("--method", type=click.Choice(["morris", "sobol"]), default="morris",
              show_default=True, help="Morris screening, or Sobol indices (many more runs).")
@click.option("--ranges", type=click.Path(dir_okay=False), default=None,
              help="YAML file of PATH: [LOW, HIGH] to vary (default: every [U] placeholder "
                   "that can move this scenario, over its documented range).")
@click.option("--size", type=click.IntRange(min=2), default=None,
              help="Morris trajectories (default 10) or Sobol base samples (default 64).")
@click.option("--statistic", type=click.Choice(["mean", "median", "p90"]), default="mean",
              show_default=True, help="Statistic of each metric over a point's runs.")
@click.option("--metric", "primary", default=None,
              help="Headline metric of the ranking (default: time_95_secured_s, or "
                   "time_95_evacuated_s).")
@_runs
@seed_option
@out_option
@_workers
@_quiet
@friendly
def sensitivity(scenario: str, method: str, ranges: str | None, size: int | None,
                statistic: str, primary: str | None, runs: int, seed: int, out: str,
                workers: int | None, quiet: bool) -> None:
    """Rank SCENARIO's uncertain parameters by how much they move each metric (SALib).

    Writes sensitivity.csv and sensitivity.json (every metric, ranked, with 95 % confidence
    intervals), sensitivity.png (tornado + heat map) and sensitivity.html, which ends with
    "time these three steps at your next drill". Pass sensitivity.json to
    `drillsim brief --sensitivity` to put that section in the SRO briefing.
    """
    from drillsim.explore.parameters import default_parameters, read_ranges
    from drillsim.explore.sensitivity import sensitivity as run_sensitivity
    from drillsim.explore.sensitivity import sensitivity_points
    from drillsim.reports.sensitivity import write_sensitivity_outputs
    from drillsim.reports.staging import staged_output

    loaded = load(scenario)
    params = read_ranges(ranges, loaded) if ranges else default_parameters(loaded)
    n_points = sensitivity_points(method, len(params), size) + 1  # + the scenario as written
    bar = Progress(runs * n_points, Path(scenario).stem, enabled=not quiet)
    try:
        res = run_sensitivity(loaded, params, method=method, size=size, runs=runs, seed=seed,
                              statistic=statistic, primary=primary,
                              workers=_workers_or_default(workers), progress=bar)
    finally:
        bar.close()
    with staged_output(out) as tmp:
        paths = write_sensitivity_outputs(res, loaded, tmp)
    click.echo(f"wrote {len(paths)} files to {out}/: " + ", ".join(p.name for p in paths))
    click.echo(f"top parameters for {res.primary} ({res.method}):")
    for r in res.ranking()[:5]:
        click.echo(f"  {r['rank']}. {r['parameter']:<40} {r['index']:10.3g}  "
                   f"[{r['ci95_low']:.3g}, {r['ci95_high']:.3g}]")


@click.command()
@scenario_arg
@click.option("--set", "sets", multiple=True, required=True, metavar="PATH=VALUES",
              help="A scenario value to sweep: PATH=V1,V2,… or PATH=LOW:HIGH:N (grid), "
                   "PATH=LOW:HIGH (--design lhs). Several --set make a grid. A path ending in "
                   ".scale multiplies a distribution.")
@click.option("--design", type=click.Choice(["grid", "lhs"]), default="grid", show_default=True,
              help="Full grid of the --set values, or a Latin hypercube over their ranges.")
@click.option("--samples", type=click.IntRange(min=2), default=20, show_default=True,
              help="Points of a Latin hypercube (--design lhs).")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="Metric to draw in sweep.png (repeatable; default: four headline metrics). "
                   "Every metric is in the tables.")
@_runs
@seed_option
@out_option
@_workers
@_quiet
@friendly
def sweep(scenario: str, sets: tuple[str, ...], design: str, samples: int,
          metrics: tuple[str, ...], runs: int, seed: int, out: str, workers: int | None,
          quiet: bool) -> None:
    """Run SCENARIO at every combination of --set values, with common random numbers.

    Writes sweep.parquet (one row per point and run: a column per swept parameter, then every
    metric), sweep_summary.csv (each point's mean with its 95 % CI and its paired difference
    from the scenario as written, point 0), sweep.json and sweep.png (small multiples).
    """
    from drillsim.errors import DrillsimError
    from drillsim.explore.sweep import design_points, parse_setting
    from drillsim.explore.sweep import sweep as run_sweep
    from drillsim.metrics.score import metric_names
    from drillsim.reports.staging import staged_output
    from drillsim.reports.sweep import write_sweep_outputs

    loaded = load(scenario)
    known = metric_names(loaded.scenario.protocol)
    bad = [m for m in metrics if m not in known]
    if bad:
        raise DrillsimError(f"unknown --metric {', '.join(bad)}; use: {', '.join(known)}")
    settings = [parse_setting(s, design) for s in sets]
    n_points = len(design_points(settings, design, samples, seed)) + 1
    bar = Progress(runs * n_points, Path(scenario).stem, enabled=not quiet)
    try:
        res = run_sweep(loaded, settings, design=design, samples=samples, runs=runs, seed=seed,
                        workers=_workers_or_default(workers), progress=bar)
    finally:
        bar.close()
    with staged_output(out) as tmp:
        paths = write_sweep_outputs(res, loaded, tmp, metrics)
    click.echo(f"wrote {len(paths)} files to {out}/: " + ", ".join(p.name for p in paths)
               + f" ({n_points} points × {runs} runs)")


COMMANDS = [sensitivity, sweep]
