"""Shared CLI plumbing: friendly errors, loading, progress bars, output staging."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from drillsim.errors import DrillsimError, ValidationError
from drillsim.scenario.load import LoadedScenario, load_scenario

#: Most runs one command simulates. A million seeded runs put the Monte Carlo error of every
#: reported figure far below a second, and the per-run table stays near 150 MB; more would only
#: take hours and memory without changing an answer.
MAX_RUNS = 1_000_000
#: Most worker processes (a large server has 256 cores; more only adds start-up cost).
MAX_WORKERS = 256
#: Largest seed: 2**63 - 1, what other tools (numpy, databases) store as one integer.
MAX_SEED = 2**63 - 1

#: Problems printed for one invalid input; the rest are counted (a pasted-twice list of 20,000
#: connections would otherwise print 20,000 lines).
SHOWN_PROBLEMS = 100


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
            for p in err.problems[:SHOWN_PROBLEMS]:
                click.echo(f"  {p}", err=True)
            if n > SHOWN_PROBLEMS:
                click.echo(
                    f"  ... and {n - SHOWN_PROBLEMS} more (fix these first; the rest are often "
                    "the same mistake)",
                    err=True,
                )
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


class SafePath(click.Path):
    """``click.Path`` that refuses a NUL byte with a usage error (click's own check lets Python's
    ValueError from ``os.stat`` escape as a traceback)."""

    def convert(self, value, param, ctx):  # type: ignore[override]
        if isinstance(value, str) and "\x00" in value:
            self.fail("a path cannot contain a NUL byte", param, ctx)
        try:
            return super().convert(value, param, ctx)
        except ValueError as err:  # e.g. a path too long for the OS
            self.fail(f"not a usable path ({err})", param, ctx)


scenario_arg = click.argument("scenario", type=SafePath(dir_okay=False))
def nonempty_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an empty path (it would mean the current folder) or one with a NUL byte."""
    if value is not None and (not value.strip() or "\x00" in value):
        raise click.BadParameter("give a folder name (an empty name or a NUL byte is not a path)")
    return value


out_option = click.option(
    "--out",
    "-o",
    "out",
    required=True,
    callback=nonempty_path,
    type=SafePath(file_okay=False),
    help="Folder to write into (created if missing; nothing is written elsewhere).",
)
seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0, max=MAX_SEED),
    default=0,
    show_default=True,
    help="Batch seed: the same seed gives identical results.",
)
