"""Running scenarios: one run with its event log, or batches of runs on local cores or Dask."""

from drillsim.run.batch import BatchResult, run_batch_job
from drillsim.run.single import SingleRun, run_single

__all__ = ["BatchResult", "SingleRun", "run_batch_job", "run_single"]
