"""Shared CLI plumbing: friendly errors, loading, progress bars, output staging."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drillsim.cli.lazy import load_scenario
from drillsim.errors import DrillsimError, ValidationError

if TYPE_CHECKING:
    from drillsim.scenario.load import LoadedScenario


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn drillsim's own errors into readable messages and exit codes, never tracebacks.

    Exit 2: invalid input (one line per problem, naming file, element and fix); exit 1: other
    drillsim errors; exit 130 on Ctrl-C.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as err:
            n = len(err.problems)
            click.echo(f"error: {n} problem{'s' if n != 1 else ''} found:", err=True)
            for p in err.problems:
                click.echo(f"  {p}", err=True)
            sys.exit(2)
        except DrillsimError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)

    return wrapper


def load(path: str) -> LoadedScenario:
    """Load and validate a scenario file (and its floorplan)."""
    return load_scenario(Path(path))


class Progress:
    """A tqdm progress bar over runs, shown on a terminal only (quiet in pipes and CI logs)."""

    def __init__(self, total: int, desc: str, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, desc=desc, unit="run", file=sys.stderr, disable=not sys.stderr.isatty()
            )

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


scenario_arg = click.argument("scenario", type=click.Path(dir_okay=False))
out_option = click.option(
    "--out",
    "-o",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write into (created if missing; nothing is written elsewhere).",
)
seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Batch seed: the same seed gives identical results.",
)
