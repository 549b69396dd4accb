"""``drillsim``: validate, draw, run, batch, compare, brief and review drills from the shell.

Everything runs offline; outputs go only to the folder named by ``--out``.
"""

from __future__ import annotations

import click

from drillsim import __version__
from drillsim.cli import explore, files, runs


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drillsim")
def cli() -> None:
    """Plan and simulate school lockdown and evacuation drills.

    Floorplans and results are sensitive security information: drillsim makes no network call
    and writes only where --out points.
    """


for module in (files, runs, explore):
    for command in module.COMMANDS:
        cli.add_command(command)

try:  # the drill-briefing commands live in their own module
    from drillsim.cli import briefing

    for command in briefing.COMMANDS:
        cli.add_command(command)
except ImportError:  # pragma: no cover - while the module is absent
    pass


# run playback (animate) and floorplan import (import imdf|dxf)
from drillsim.cli import imports, playback  # noqa: E402

for module in (playback, imports):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="drillsim")
