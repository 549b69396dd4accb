"""Simulation commands: run (one run, full event log), batch (many runs), compare (paired)."""

from __future__ import annotations

from pathlib import Path

import click

from drillsim.cli.common import (
    MAX_RUNS,
    MAX_WORKERS,
    Progress,
    SafePath,
    force_option,
    friendly,
    load,
    open_out,
    out_option,
    scenario_arg,
    scenario_inputs,
    seed_option,
)
from drillsim.cli.lazy import import_soon, run_batch_job, run_single
from drillsim.errors import DrillsimError

workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    default=None,
    help="Local worker processes (default: all cores). Results do not depend on it.",
)
engine_option = click.option(
    "--engine",
    type=click.Choice(["batch", "reference"]),
    default="batch",
    show_default=True,
    help="Vectorized batch engine, or the SimPy reference engine (slow; for checking).",
)
scheduler_option = click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the chunks on a Dask cluster (e.g. tcp://10.0.0.5:8786) you operate.",
)
runs_option = click.option(
    "--runs",
    "-n",
    type=click.IntRange(min=1, max=MAX_RUNS),
    default=1000,
    show_default=True,
    help="Number of seeded runs.",
)


@click.command()
@scenario_arg
@seed_option
@click.option(
    "--run-index",
    type=click.IntRange(min=0, max=MAX_RUNS - 1),
    default=0,
    show_default=True,
    help="Which run of the batch seeded --seed to replay.",
)
@out_option
@force_option
@friendly
def run(scenario: str, seed: int, run_index: int, out: str, force: bool) -> None:
    """Simulate one run of SCENARIO with the reference engine and write what happened.

    Writes events.csv (one row per event), rooms.csv, people.csv, summary.json, timeline.png
    and a floorplan coloured by secured (or alert) time. Same seed, same files.
    """
    from drillsim.reports.single import write_single_outputs

    loaded = load(scenario)
    options = {"seed": seed, "run_index": run_index}
    with open_out(out, "run", scenario_inputs(loaded), options, force) as folder:
        result = run_single(loaded, seed, run_index)
        with folder.staged() as tmp:
            paths = write_single_outputs(result, tmp)
    _report(out, paths)
    from drillsim.cli.headline import batch_lines
    from drillsim.metrics.score import score

    for line in batch_lines(result.plan.protocol, score(result.plan, result.outcomes)):
        click.echo(line)


@click.command()
@scenario_arg
@runs_option
@seed_option
@out_option
@click.option("--csv", "csv_too", is_flag=True, help="Also write runs.csv next to runs.parquet.")
@workers_option
@engine_option
@scheduler_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted batch in --out (same scenario, runs, seed and engine); the "
    "files are the same as an uninterrupted run's.",
)
@force_option
@friendly
def batch(
    scenario: str,
    runs: int,
    seed: int,
    out: str,
    csv_too: bool,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    quiet: bool,
    resume: bool,
    force: bool,
) -> None:
    """Simulate RUNS seeded runs of SCENARIO and write per-run metrics, a summary and plots.

    Finished chunks are kept in OUT/partial-batch/ as they complete, so a batch that was killed
    or interrupted continues with --resume; the final files appear only when all runs are done.
    """
    from drillsim.run.batch import DETAIL_RUNS, check_scheduler_address
    from drillsim.run.chunkstore import CHUNK_FORMAT, open_chunk_store
    from drillsim.sample.draws import CHUNK_RUNS

    if scheduler:
        check_scheduler_address(scheduler)
    loaded = load(scenario)
    inputs = scenario_inputs(loaded)
    key = {"runs": runs, "seed": seed, "engine": engine, "chunk_runs": CHUNK_RUNS}
    with open_out(out, "batch", inputs, {**key, "csv": csv_too}, force) as folder:
        prev = folder.previous
        if resume and not (folder.out / "partial-batch").exists():
            if (
                prev
                and prev.get("command") == "batch"
                and prev.get("inputs") == inputs
                and {k: prev.get("options", {}).get(k) for k in key} == key
            ):
                click.echo(f"nothing to resume: {out}/ already holds this batch, complete")
                return
            click.echo(f"nothing to resume in {out}/; starting the batch", err=True)
        store, done = open_chunk_store(
            folder.out,
            inputs,
            {**key, "chunk_format": CHUNK_FORMAT},
            min(runs, DETAIL_RUNS),  # run_batch_job narrows it (detail capped by size)
            resume=resume,
            force=force,
        )
        if done:
            click.echo(f"resuming: {done} of {runs} runs already done", err=True)
        bar = Progress(runs, Path(scenario).stem, enabled=not quiet)
        reports = import_soon("drillsim.reports.batch")  # matplotlib loads while the runs run
        try:
            result = run_batch_job(
                loaded,
                runs,
                seed,
                engine=engine,
                workers=workers,
                scheduler=scheduler,
                progress=bar,
                store=store,
                notify=lambda msg: click.echo(msg, err=True),
            )
        except KeyboardInterrupt:
            bar.close()
            raise KeyboardInterrupt(
                f"interrupted; {store.count()} of {runs} runs are kept in {out}/partial-batch/ "
                "(run the same command with --resume to continue)"
            ) from None
        finally:
            bar.close()
        with folder.staged() as tmp:
            paths = reports().write_batch_outputs(result, loaded, tmp, csv=csv_too)
    _report(out, paths)
    from drillsim.cli.headline import batch_lines

    click.echo(f"over {result.n_runs} runs:")
    for line in batch_lines(result.plan.protocol, result.metrics):
        click.echo(line)


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=SafePath(dir_okay=False))
@runs_option
@seed_option
@out_option
@click.option("--csv", "csv_too", is_flag=True, help="Also write each side's runs.csv.")
@workers_option
@scheduler_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@force_option
@friendly
def compare(
    scenarios: tuple[str, ...],
    runs: int,
    seed: int,
    out: str,
    csv_too: bool,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
    force: bool,
) -> None:
    """Compare SCENARIOS (A B [C ...]) run by run with common random numbers.

    Every scenario gets the same seed, so the same people get the same random draws; each
    difference B - A is measured paired, with its 95 % confidence interval and the share of runs
    in which B does better.
    """
    from drillsim.reports.compare import write_compare_outputs

    if len(scenarios) < 2:
        raise DrillsimError("compare needs at least two scenario files (A B [C ...])")
    loadeds = [load(s) for s in scenarios]
    from drillsim.plan.compile import compile_plan
    from drillsim.reports.compare import people_difference

    plans = [compile_plan(ld) for ld in loadeds]
    for path, plan in zip(scenarios[1:], plans[1:], strict=True):
        diff = people_difference(plans[0], plan)
        if diff is not None:
            raise DrillsimError(
                f"cannot pair runs of {scenarios[0]} and {path}: they place different people "
                f"({diff}). compare pairs every person's random draws across scenarios, so both "
                "must have the same population (fill, preset, groups, office_staff); compare "
                "building, alert or behaviour changes, or run batch on each to see a population "
                "change"
            )
    inputs: dict = {}
    for i, ld in enumerate(loadeds):
        inputs.update(scenario_inputs(ld, f"scenario_{i + 1}"))
    options = {"runs": runs, "seed": seed, "csv": csv_too}
    with open_out(out, "compare", inputs, options, force) as folder:
        results = []
        for path, ld, plan in zip(scenarios, loadeds, plans, strict=True):
            bar = Progress(runs, Path(path).stem, enabled=not quiet)
            try:
                results.append(
                    run_batch_job(
                        ld,
                        runs,
                        seed,
                        workers=workers,
                        scheduler=scheduler,
                        progress=bar,
                        plan=plan,
                    )
                )
            finally:
                bar.close()
        with folder.staged() as tmp:
            paths = write_compare_outputs(results, loadeds, tmp, csv=csv_too)
    _report(out, paths)
    from drillsim.cli.headline import compare_lines

    names = ", ".join(
        f"{'A' if i == 0 else ('B' if len(scenarios) == 2 else f'B{i}')} = {Path(p).name}"
        for i, p in enumerate(scenarios)
    )
    click.echo(f"over {runs} paired runs ({names}):")
    for line in compare_lines(plans[0].protocol, list(scenarios), [r.metrics for r in results]):
        click.echo(line)
    _note_unshared(results)


def _note_unshared(results) -> None:
    """Different protocols share only some metrics: say which ones were not compared and why."""
    from drillsim.reports.compare import unshared_metrics

    left_out = unshared_metrics(results)
    if not left_out:
        return
    protocols = ", ".join(sorted({r.plan.protocol for r in results}))
    click.echo(
        f"note: the scenarios run different protocols ({protocols}); only the metrics they "
        "share are compared. Not compared, because the other side has no such metric:",
        err=True,
    )
    for label, names in left_out.items():
        click.echo(f"  only in '{label}': {', '.join(names)}", err=True)


def _report(out: str, paths: list[Path]) -> None:
    click.echo(f"wrote {len(paths)} files to {out}/: " + ", ".join(p.name for p in paths))


COMMANDS = [run, batch, compare]
