"""Drill commands: ``brief`` (the pre-drill pack) and ``review`` (the after-action report)."""

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
from drillsim.cli.lazy import run_batch_job

runs_option = click.option(
    "--runs",
    "-n",
    type=click.IntRange(min=1, max=MAX_RUNS),
    default=1000,
    show_default=True,
    help="Number of seeded runs to simulate.",
)
workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    default=None,
    help="Local worker processes (default: all cores). Results do not depend on it.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


def _simulate(loaded, scenario: str, runs: int, seed: int, workers: int | None, quiet: bool):
    bar = Progress(runs, Path(scenario).stem, enabled=not quiet)
    try:
        result = run_batch_job(loaded, runs, seed, workers=workers, progress=bar)
    finally:
        bar.close()
    return loaded, result


@click.command()
@scenario_arg
@runs_option
@seed_option
@out_option
@workers_option
@click.option("--sensitivity", "sensitivity_json", type=click.Path(dir_okay=False),
              default=None, help="sensitivity.json of `drillsim sensitivity` on this scenario: "
                                 "adds 'time these three steps at your next drill'.")
@quiet_option
@force_option
@friendly
def brief(scenario: str, runs: int, seed: int, out: str, workers: int | None,
          sensitivity_json: str | None, quiet: bool, force: bool) -> None:
    """Write a drill briefing pack for SCENARIO (HTML + PDF + observer sheet CSV).

    The pack holds the floorplan with each room's expected time to secure and the alert-coverage
    gaps, rooms at risk of never securing, the expected timeline, the SRO's route and door-check
    sweep, the pre-drill agenda (roles, announcements that say "this is a drill", notice,
    accommodations, distress plan, keys) and a printable observer sheet. Every page is marked
    SENSITIVE SECURITY INFORMATION; the HTML is self-contained and works offline.
    """
    from drillsim.reports.brief import write_briefing

    loaded = load(scenario)
    steps = None
    if sensitivity_json:
        from drillsim.reports.sensitivity import read_steps

        steps = read_steps(Path(sensitivity_json), loaded)
    options = {"runs": runs, "seed": seed}
    with open_out(out, "brief", scenario_inputs(loaded), options, force) as folder:
        loaded, result = _simulate(loaded, scenario, runs, seed, workers, quiet)
        with folder.staged() as tmp:
            paths = write_briefing(loaded, result, tmp, steps)
    _report(out, paths)


@click.command()
@scenario_arg
@click.argument("observed", type=SafePath(dir_okay=False))
@runs_option
@seed_option
@out_option
@workers_option
@click.option(
    "--calibrate",
    is_flag=True,
    help="Also fit reaction and lock-time scales to the observed drill and write "
    "calibrated-scenario.yaml and calibration.json.",
)
@quiet_option
@force_option
@friendly
def review(scenario: str, observed: str, runs: int, seed: int, out: str, workers: int | None,
           calibrate: bool, quiet: bool, force: bool) -> None:
    """Compare a filled observer sheet OBSERVED (CSV) with SCENARIO's simulated drill.

    Places each room's observed time within its simulated distribution, flags rooms slower than
    the simulated 90th percentile and rooms not secured, and writes an HSEEP-style after-action
    report and improvement plan (HTML + PDF), review_rooms.csv and review.json.
    """
    from drillsim.reports.review import (
        build_review,
        read_observed,
        refuse_unsupported,
        summary_lines,
        write_review,
    )

    loaded = load(scenario)
    if loaded.scenario.protocol in ("hold", "secure", "shelter", "options"):  # issue 9
        _review_protocol(loaded, observed, runs, seed, out, calibrate, force)
        return
    if loaded.scenario.protocol == "evacuate" and not calibrate:
        _review_evacuation(loaded, scenario, observed, runs, seed, out, workers, quiet, force)
        return
    refuse_unsupported(loaded)
    obs = read_observed(Path(observed), loaded)
    from drillsim.reports.outdir import sha256_file

    inputs = {**scenario_inputs(loaded),
              "observed": {"file": Path(observed).name, "sha256": sha256_file(Path(observed))}}
    options = {"runs": runs, "seed": seed, "calibrate": calibrate}
    with open_out(out, "review", inputs, options, force) as folder:
        loaded, result = _simulate(loaded, scenario, runs, seed, workers, quiet)
        fit = None
        if calibrate:
            from drillsim.reports.calibrate import calibrate as fit_scales

            fit = fit_scales(loaded, obs, seed=seed)
        data = build_review(loaded, result, obs, calibration=fit)
        with folder.staged() as tmp:
            paths = write_review(loaded, result, data, tmp, calibration=fit, final_out=Path(out))
    _report(out, paths)
    for line in summary_lines(data):
        click.echo(line)


def _review_protocol(
    loaded, observed: str, runs: int, seed: int, out: str, calibrate: bool, force: bool
) -> None:
    """Review of a Hold, Secure, Shelter or options drill (reports/review/protocol_review.py)."""
    from drillsim.errors import DrillsimError
    from drillsim.plan.compile import compile_plan
    from drillsim.reports.outdir import sha256_file
    from drillsim.reports.review.protocol_measures import simulate_measures
    from drillsim.reports.review.protocol_review import (
        build_protocol_review,
        summary_lines,
        write_protocol_review,
    )
    from drillsim.reports.review.protocol_sheet import read_protocol_sheet
    from drillsim.run.batch import provenance

    if calibrate:
        raise DrillsimError(
            "--calibrate fits lockdown reaction and lock times; it is not available for a "
            f"{loaded.scenario.protocol} drill. Run the review without --calibrate."
        )
    plan = compile_plan(loaded)
    sheet = read_protocol_sheet(Path(observed), plan)
    inputs = {
        **scenario_inputs(loaded),
        "observed": {"file": Path(observed).name, "sha256": sha256_file(Path(observed))},
    }
    options = {"runs": runs, "seed": seed, "calibrate": False}
    with open_out(out, "review", inputs, options, force) as folder:
        sim = simulate_measures(plan, loaded.scenario, seed, runs)
        data = build_protocol_review(
            loaded, plan, sim, sheet, provenance(loaded, plan, seed, "batch", runs)
        )
        with folder.staged() as tmp:
            paths = write_protocol_review(loaded, data, tmp)
    _report(out, paths)
    for line in summary_lines(data):
        click.echo(line)


def _review_evacuation(loaded, scenario, observed, runs, seed, out, workers, quiet, force) -> None:
    """``review`` of an evacuation drill: classes' observed moments in the simulated ranges."""
    from drillsim.plan.compile import compile_plan
    from drillsim.reports.outdir import sha256_file
    from drillsim.reports.review.evacuation import (
        build_evacuation_review,
        read_evacuation_observed,
        summary_lines,
        write_evacuation_review,
    )

    rows = read_evacuation_observed(Path(observed), compile_plan(loaded))
    inputs = {**scenario_inputs(loaded),
              "observed": {"file": Path(observed).name, "sha256": sha256_file(Path(observed))}}
    options = {"runs": runs, "seed": seed, "calibrate": False}
    with open_out(out, "review", inputs, options, force) as folder:
        loaded, result = _simulate(loaded, scenario, runs, seed, workers, quiet)
        data = build_evacuation_review(loaded, result, rows, Path(observed).name)
        with folder.staged() as tmp:
            paths = write_evacuation_review(loaded, data, tmp)
    _report(out, paths)
    for line in summary_lines(data):
        click.echo(line)


def _report(out: str, paths: list[Path]) -> None:
    shown = [p.name for p in paths if p.parent.name != "figures"]
    more = len(paths) - len(shown)
    click.echo(
        f"wrote {len(paths)} files to {out}/: "
        + ", ".join(shown)
        + (f" (+{more} figures)" if more else "")
    )


COMMANDS = [brief, review]
