"""Running scenarios: one run with its event log, or batches of runs on local cores or Dask."""

from typing import Any

from drillsim.run.batch import BatchResult, run_batch_job

__all__ = ["BatchResult", "SingleRun", "run_batch_job", "run_single"]


def __getattr__(name: str) -> Any:
    """``run_single`` and ``SingleRun`` on first use: they need the SimPy reference engine,
    which a batch (and each of its worker processes) does not import."""
    if name in ("SingleRun", "run_single"):
        from drillsim.run import single

        return getattr(single, name)
    raise AttributeError(f"module 'drillsim.run' has no attribute '{name}'")
