"""The review's figures: observed room times against their simulated ranges, and on the floorplan."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure as MplFigure

from drillsim.metrics.summary import quantile
from drillsim.reports.figures import mark_floorplan, mark_sensitive
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def rooms_figure(data: dict[str, Any], result: BatchResult) -> MplFigure:
    """Observed time of each observed room against its simulated 10–90 % range and median."""
    plan = result.plan
    index = {plan.room_id(m): m for m in range(plan.n_rooms)}
    rooms = [r for r in data["rooms"] if r["status"] != "not observed"]
    rooms.sort(
        key=lambda r: (
            r["status"] != "not secured",
            -(r["percentile"] if not math.isnan(r["percentile"]) else 101),
        )
    )
    h = max(2.6, 0.24 * len(rooms) + 1.3)
    fig = MplFigure(figsize=(8.6, h), layout="constrained")
    ax = fig.subplots()
    finite_max = 0.0
    for r in rooms:
        m = index[r["room"]]
        for arr in (result.room_locked_s[:, m], result.room_secured_s[:, m]):
            q = quantile(arr, 0.9)
            if math.isfinite(q):
                finite_max = max(finite_max, q)
        if math.isfinite(r["observed_s"]):
            finite_max = max(finite_max, r["observed_s"])
    xmax_guess = finite_max * 1.12 + 10
    for i, r in enumerate(rooms):
        m = index[r["room"]]
        sim = (
            result.room_locked_s[:, m]
            if r["basis"] == "door locked"
            else result.room_secured_s[:, m]
        )
        lo, med, hi = quantile(sim, 0.1), quantile(sim, 0.5), quantile(sim, 0.9)
        y = len(rooms) - 1 - i
        if math.isfinite(lo):
            ax.plot(
                [lo, hi if math.isfinite(hi) else xmax_guess],
                [y, y],
                color="#bdbdbd",
                lw=6,
                solid_capstyle="butt",
            )
        if math.isfinite(med):
            ax.plot([med, med], [y - 0.3, y + 0.3], color="black", lw=1.4)
    xmax = xmax_guess
    for i, r in enumerate(rooms):
        y = len(rooms) - 1 - i
        if r["status"] == "not secured":
            ax.plot(xmax * 0.97, y, marker="X", color="#c62828", ms=9)
            continue
        colour = (
            "#c62828"
            if r["flags"]
            else "#2e7d32"
            if r["room"] in data["at_or_better_than_median"]
            else "#1565c0"
        )
        ax.plot(r["observed_s"], y, marker="o", color=colour, ms=7, mec="white", zorder=5)
    ax.set_yticks(range(len(rooms)))
    ax.set_yticklabels([r["room"] for r in reversed(rooms)], fontsize=7.5)
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.7, len(rooms) - 0.3)
    ax.set_xlabel("seconds since the drill announcement")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Observed room times against the simulated range", fontsize=10, loc="left")
    return mark_sensitive(fig, f"seed {data['provenance']['seed']}")


def percentile_floorplan_figure(loaded: LoadedScenario, data: dict[str, Any]) -> MplFigure:
    """Floorplan coloured by each room's observed percentile; flagged rooms outlined."""
    from drillsim.floorplan import draw_floorplan

    values = {}
    for r in data["rooms"]:
        if r["status"] == "not secured":
            values[r["room"]] = math.inf
        elif r["status"] == "secured":
            values[r["room"]] = r["percentile"]
    highlight = {r["room"]: "#c62828" for r in data["rooms"] if r["flags"]}
    fig = draw_floorplan(
        loaded.floorplan,
        values=values,
        cmap="RdYlGn_r",
        value_label="observed percentile of simulated times",
        highlight=highlight,
        title=f"{loaded.floorplan.name}: drill compared with simulation",
    )
    return mark_floorplan(fig, f"seed {data['provenance']['seed']}")
