"""Write the briefing pack: HTML and PDF, observer sheet CSV, ``briefing.json`` and figures."""

from __future__ import annotations

from pathlib import Path

from drillsim.reports.brief.document import build_briefing_doc
from drillsim.reports.brief.figures import (
    alert_floorplan_figure,
    evacuation_routes_figure,
    routes_figure,
    secured_floorplan_figure,
    timeline_figure,
)
from drillsim.reports.brief.observer_sheet import write_observer_csv
from drillsim.reports.brief.player_link import write_median_player
from drillsim.reports.brief.stats import briefing_stats
from drillsim.reports.figures import figure_png
from drillsim.reports.render import write_doc, write_figure_pngs
from drillsim.reports.staging import write_json
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def write_briefing(
    loaded: LoadedScenario, result: BatchResult, out: Path, steps: dict | None = None
) -> list[Path]:
    """Write briefing.html, briefing.pdf, player.html, observer_sheet.csv, briefing.json, figures.

    ``out`` is the staging folder (the caller moves it into place when everything is written).
    ``steps`` (from :func:`drillsim.reports.sensitivity.read_steps`) adds "time these three
    steps at your next drill".
    """
    stats = briefing_stats(loaded, result)
    lockdown = result.plan.protocol == "lockdown"
    figs = {
        "timeline": timeline_figure(result, stats),
        "floorplan": (
            secured_floorplan_figure(loaded, stats)
            if lockdown
            else alert_floorplan_figure(loaded, stats, result)
        ),
        "routes": routes_figure(loaded, stats, result.plan),
    }
    if not lockdown:
        figs["evacuation_routes"] = evacuation_routes_figure(loaded, stats, result.plan)
    pngs = {k: figure_png(f, dpi=110 if k == "timeline" else 140) for k, f in figs.items()}
    player = write_median_player(loaded, result, out)
    doc = build_briefing_doc(loaded, result, stats, pngs, player=player, steps=steps)
    paths = write_doc(doc, out, "briefing", "brief.html.j2")
    paths.append(player["path"])
    p = out / "observer_sheet.csv"
    write_observer_csv(p, stats, result.plan.protocol)
    paths.append(p)
    p = out / "briefing.json"
    write_json(p, stats if steps is None else {**stats, "time_these_steps": steps})
    paths.append(p)
    paths += write_figure_pngs(out, pngs)
    return paths
