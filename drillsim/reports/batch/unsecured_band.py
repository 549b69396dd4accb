"""``unsecured_band.png``: people not yet safe over time, and rooms secured over time."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drillsim.metrics.score import k95, n_securable
from drillsim.reports.charts import (
    BAND_COLOUR,
    MEDIAN_COLOUR,
    P90_COLOUR,
    fixed_subplots,
    footer_text,
    new_figure,
    scenario_title,
)
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

#: Non-lockdown protocols: who counts as not yet safe, and what safe means.
SAFE_WORDS = {
    "evacuate": (
        "not yet at the assembly point",
        "Safe = at the assembly point outside.",
    ),
    "hold": (
        "not yet safe",
        "Safe = in a room once its door is closed (people in the halls go to the nearest staffed "
        "room).",
    ),
    "secure": (
        "not yet secure",
        "Safe = inside the building once every exterior door is locked.",
    ),
    "shelter": (
        "not yet sheltered",
        "Safe = in a shelter area (hazmat: once the exterior openings are also closed).",
    ),
    "options": (
        "not yet safe",
        "Safe = in a secured (locked and barricaded) room, or out at the assembly point. "
        "People with no room and no safe way out stay unsafe.",
    ),
}

def _settle_index(bands: np.ndarray) -> int:
    """Last grid index at which any band curve still changes (curves are flat afterwards)."""
    change = np.any(bands[:, 1:] != bands[:, -1:], axis=0)
    idx = np.flatnonzero(change)
    return int(idx[-1]) + 1 if idx.size else 0


def _percentiles(data: np.ndarray, q: list[float], block: int = 32) -> np.ndarray:
    """``np.percentile(data, q, axis=0)`` a block of grid columns at a time: the same numbers
    (each column is independent) without a partitioned copy of all runs x all grid points
    at once, which set the parent's peak memory of big batches."""
    data = np.asarray(data)  # converted to float a block at a time
    out = np.empty((len(q), data.shape[1]))
    for lo in range(0, data.shape[1], block):
        part = np.asarray(data[:, lo : lo + block], dtype=float)
        out[:, lo : lo + block] = np.percentile(part, q, axis=0)
    return out


def _band_panel(ax: Axes, grid: np.ndarray, data: np.ndarray, colour: str, label: str) -> None:
    q = _percentiles(data, [10, 25, 50, 75, 90])
    ax.fill_between(
        grid, q[0], q[4], color=colour, alpha=0.18, linewidth=0, label="10–90 % of runs"
    )
    ax.fill_between(
        grid, q[1], q[3], color=colour, alpha=0.38, linewidth=0, label="middle 50 % of runs"
    )
    ax.plot(grid, q[2], color=MEDIAN_COLOUR, linewidth=2, label="median run")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)


def figure_unsecured_band(result: BatchResult, loaded: LoadedScenario) -> Figure:
    """People not yet safe over time (median and 10–90 % / 50 % bands over runs).

    Lockdown adds a panel with rooms secured over time. The time axis stops shortly after the
    curves stop changing; the subtitle says so, as they stay flat up to the horizon.
    """
    plan = result.plan
    grid = np.asarray(result.grid_s, dtype=float)
    lockdown = plan.protocol == "lockdown" and "rooms_secured" in result.curves
    uns = np.asarray(result.curves["unsecured"])
    bands = [_percentiles(uns, [10, 50, 90])]
    if lockdown:
        rooms = np.asarray(result.curves["rooms_secured"])
        bands.append(_percentiles(rooms, [10, 50, 90]))
    settle = max(_settle_index(b) for b in bands)
    end = min(grid.size - 1, settle + max(2, math.ceil(0.15 * settle)))
    if plan.protocol == "lockdown":
        what = "not yet secured"
        title = scenario_title(loaded, "people not yet secured over time (lockdown)")
        subtitle = (
            "A person is secured once inside a locked room (rooms count as secured once "
            "their occupants also reach the safe zone). People locked out stay unsecured."
        )
    else:
        what, subtitle = SAFE_WORDS.get(plan.protocol, SAFE_WORDS["evacuate"])
        title = scenario_title(loaded, f"people {what} over time")
    if end < grid.size - 1:
        subtitle += (
            f" Curves stay flat from {grid[min(settle, grid.size - 1)]:.0f} s up to "
            f"the {plan.horizon_s:.0f} s horizon (not shown)."
        )
    fig = new_figure(
        11.0,
        8.2 if lockdown else 5.4,
        footer=footer_text(result.provenance),
        title=title,
        subtitle=subtitle,
        fixed=True,
    )
    axes = fixed_subplots(
        fig, 2 if lockdown else 1, 1, sharex=True, left_in=0.9, hspace_in=0.45
    )[:, 0]
    _band_panel(axes[0], grid, uns, BAND_COLOUR, f"people {what} (persons)")
    axes[0].set_title(
        f"People {what} (of {plan.n_persons} in the school at the start)", fontsize=11
    )
    axes[0].legend(loc="upper right", fontsize=9)
    if lockdown:
        ax = axes[1]
        n_rooms = n_securable(plan)
        _band_panel(ax, grid, rooms, "#2a9d5c", f"rooms secured (of {n_rooms})")
        ax.axhline(n_rooms, color="black", linestyle=":", linewidth=1.2)
        ax.annotate(
            f"all {n_rooms} rooms",
            xy=(0.0, n_rooms),
            xycoords=("axes fraction", "data"),
            xytext=(4, 3),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=9,
        )
        k95_rooms = k95(n_rooms)
        ax.axhline(k95_rooms, color=P90_COLOUR, linestyle="--", linewidth=1.0)
        ax.annotate(
            f"95 % of rooms ({k95_rooms})",
            xy=(0.0, k95_rooms),
            xycoords=("axes fraction", "data"),
            xytext=(4, -3),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=9,
            color=P90_COLOUR,
        )
        ax.set_ylim(0, n_rooms * 1.1 + 0.5)
        ax.set_title("Rooms secured (door locked, occupants in the safe zone)", fontsize=11)
        ax.legend(loc="center right", fontsize=9)
    axes[-1].set_xlim(0, grid[end] if end > 0 else grid[-1])
    axes[-1].set_xlabel("time since the incident started (s)")
    return fig
