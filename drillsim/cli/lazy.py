"""Heavy functions the commands call, imported on first call so ``drillsim --help`` stays fast.

``drillsim --help`` (and a typo's usage error) must not import NumPy, SciPy, pandas, pyarrow,
matplotlib or NetworkX; each command imports what it needs when it runs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any


def load_scenario(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.scenario.load.load_scenario`."""
    from drillsim.scenario.load import load_scenario as f

    return f(*args, **kwargs)


def load_floorplan(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.floorplan.load_floorplan`."""
    from drillsim.floorplan import load_floorplan as f

    return f(*args, **kwargs)


def save_floorplan(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.floorplan.save_floorplan`."""
    from drillsim.floorplan import save_floorplan as f

    return f(*args, **kwargs)


def compile_plan(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.plan.compile.compile_plan`."""
    from drillsim.plan.compile import compile_plan as f

    return f(*args, **kwargs)


def run_batch_job(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.run.batch.run_batch_job`."""
    from drillsim.run.batch import run_batch_job as f

    return f(*args, **kwargs)


def run_single(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.run.single.run_single`."""
    from drillsim.run.single import run_single as f

    return f(*args, **kwargs)


def staged_output(*args: Any, **kwargs: Any) -> Any:
    """:func:`drillsim.reports.staging.staged_output`."""
    from drillsim.reports.staging import staged_output as f

    return f(*args, **kwargs)


def import_soon(name: str) -> Callable[[], ModuleType]:
    """Start importing module ``name`` on a background thread; the returned function waits for
    it and gives the module (or raises the import's error).

    A batch's reports need matplotlib and pyarrow (about half a second of imports) only after the
    runs; importing them meanwhile overlaps that with the simulation, which mostly runs in NumPy
    or in worker processes.
    """
    box: dict[str, Any] = {}

    def load() -> None:
        try:
            box["module"] = importlib.import_module(name)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=load, name=f"import-{name}", daemon=True)
    thread.start()

    def wait() -> ModuleType:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["module"]

    return wait
