"""One run of a scenario through the reference engine, with its event log."""

from __future__ import annotations

from dataclasses import dataclass

from drillsim.engines.outcomes import Outcomes
from drillsim.engines.reference import EventLog, run_reference
from drillsim.plan.compile import Plan, compile_plan
from drillsim.sample.draws import sample
from drillsim.scenario.load import LoadedScenario


@dataclass(frozen=True)
class SingleRun:
    """Run ``run_index`` of the batch seeded ``seed``: plan, outcomes (one run) and event log."""

    loaded: LoadedScenario
    plan: Plan
    seed: int
    run_index: int
    outcomes: Outcomes
    log: EventLog


def run_single(
    loaded: LoadedScenario, seed: int, run_index: int = 0, plan: Plan | None = None
) -> SingleRun:
    """Simulate one run with the reference engine.

    Run ``i`` of seed ``s`` gets exactly the draws it gets inside ``drillsim batch --seed s``, so a
    surprising batch run can be replayed here with its full event log.
    """
    plan = plan or compile_plan(loaded)
    draws = sample(plan, loaded.scenario, seed, 1, first_run=run_index)
    log = EventLog()
    outcomes = run_reference(plan, draws, log)
    return SingleRun(loaded, plan, seed, run_index, outcomes, log)
