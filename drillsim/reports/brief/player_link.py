"""The briefing's link to a player of its median run: watch a typical drill before running one.

The median run is the batch run whose unsecured person-seconds (defined for every protocol and
capped at the horizon, so never infinite) is the middle value: the runs are ranked and the middle
one (the lower middle for an even count; ties by run number) is replayed with the reference engine
and written as ``player.html`` beside the briefing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from drillsim.reports.pdf import Para
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

#: The per-run metric that ranks runs to find the median one.
MEDIAN_METRIC = "unsecured_person_s"
PLAYER_FILE = "player.html"


def median_run_index(result: BatchResult) -> int:
    """Index of the batch's median run by ``MEDIAN_METRIC`` (stable ranking, lower middle)."""
    values = np.asarray(result.metrics[MEDIAN_METRIC], dtype=float)
    order = np.argsort(values, kind="stable")
    return int(order[(values.size - 1) // 2])


def write_median_player(loaded: LoadedScenario, result: BatchResult, out: Path) -> dict:
    """Replay the median run and write ``player.html`` into ``out``; say which run it is."""
    from drillsim.reports.animate import build_scene, write_player
    from drillsim.run.single import run_single

    index = median_run_index(result)
    run = run_single(loaded, result.seed, index, plan=result.plan)
    path = write_player(build_scene(run), out / PLAYER_FILE)
    value = float(result.metrics[MEDIAN_METRIC][index])
    return {"path": path, "run_index": index, "seed": result.seed, "unsecured_person_s": value}


def player_blocks(info: dict) -> list:
    """The briefing paragraph pointing at the player (a link in HTML, the file name in the PDF)."""
    return [
        Para(
            f"Watch the median run: open {PLAYER_FILE} (in this folder) to see run "
            f"{info['run_index']} of seed {info['seed']} unfold on the floorplan: people moving, "
            "doors locking, rooms turning green when secured, the alert reaching each space. "
            f"It is the middle one of the {info['n_runs']} runs by unsecured person-seconds "
            f"({info['unsecured_person_s']:,.0f}); `drillsim animate --seed {info['seed']} "
            f"--run-index {info['run_index']}` writes it again with a GIF for slides.",
            "note",
            href=PLAYER_FILE,
        )
    ]
