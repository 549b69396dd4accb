"""``drillsim animate``: watch one run of a scenario unfold (HTML player and GIF)."""

from __future__ import annotations

import click

from drillsim.cli.common import friendly, load, out_option, scenario_arg, seed_option
from drillsim.cli.lazy import run_single, staged_output


@click.command()
@scenario_arg
@seed_option
@click.option(
    "--run-index",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Which run of the batch seeded --seed to show (the brief names its median run).",
)
@out_option
@click.option(
    "--gif/--no-gif",
    default=True,
    show_default=True,
    help="Also write run.gif (for slides; takes longer than the player).",
)
@friendly
def animate(scenario: str, seed: int, run_index: int, out: str, gif: bool) -> None:
    """Write player.html (and run.gif) showing one run of SCENARIO over the floorplan.

    The player is one self-contained file (no external resources; works offline): people move
    along their routes, doors lock, rooms turn green when secured, the alert reaches each space,
    with a clock, a time slider, play/pause and speed. Add #t=SECONDS to its address to open it
    paused at that time. The run is the same as `drillsim run` with the same --seed and
    --run-index.
    """
    from drillsim.reports.animate import write_playback

    loaded = load(scenario)
    result = run_single(loaded, seed, run_index)
    with staged_output(out) as tmp:
        paths = write_playback(result, tmp, gif=gif)
    click.echo(f"wrote {len(paths)} files to {out}/: " + ", ".join(p.name for p in paths))


COMMANDS = [animate]
