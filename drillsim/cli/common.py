"""Shared CLI plumbing: friendly errors, loading, progress bars, output staging."""

from __future__ import annotations

import functools
import os
import sys
import threading
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
            _exit(2)
        except DrillsimError as err:
            click.echo(f"error: {err}", err=True)
            _exit(1)
        except KeyboardInterrupt as err:  # a command may say what it kept (batch does)
            click.echo(str(err) or "interrupted; nothing was written", err=True)
            _exit(130)

    return wrapper


def _exit(code: int) -> None:
    """Exit with ``code``. If a worker pool's helper threads are still alive (a pool stopped
    by Ctrl-C or a lost worker can leave its manager thread blocked on a pipe for good, and the
    interpreter would wait for it at exit), flush and leave at once: the worker processes die
    with this one (:mod:`drillsim.run.workers`), and every output folder has already been
    cleaned up by the time the error reached here."""
    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


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
    help="Folder to write into (created if missing; nothing is written elsewhere). A folder "
    "that is not empty must hold this command's earlier outputs (see --force).",
)
seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Batch seed: the same seed gives identical results.",
)
force_option = click.option(
    "--force",
    is_flag=True,
    help="Write into --out even if it holds another command's outputs or files drillsim did "
    "not write (replacing them); without it such a folder is refused.",
)


def scenario_inputs(loaded: LoadedScenario, role: str = "scenario") -> dict:
    """A scenario's and its floorplan's file names and digests, for the output manifest.

    The digests are those recorded in every output's provenance (canonical content, not file
    bytes), so a re-formatted but equivalent file still counts as the same input.
    """
    return {
        role: {"file": Path(loaded.source).name, "sha256": loaded.digest()},
        f"{role}_floorplan": {
            "file": Path(loaded.floorplan.source).name,
            "sha256": loaded.floorplan.digest(),
        },
    }


def open_out(out: str, command: str, inputs: dict, options: dict, force: bool):
    """Open ``--out`` for ``command`` before anything is computed (see
    :func:`drillsim.reports.outdir.output_folder`): a refused folder fails in a second, not
    after the simulation."""
    from drillsim.reports.outdir import output_folder

    return output_folder(out, command, inputs=inputs, options=options, force=force)
