"""``secured_distribution.png``: how long securing (lockdown) or evacuating takes, over all runs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from drillsim.metrics.score import k95, n_securable
from drillsim.metrics.summary import quantile
from drillsim.reports.charts import (
    BAND_COLOUR,
    MEDIAN_COLOUR,
    NEVER_TEXT_COLOUR,
    P90_COLOUR,
    fixed_subplots,
    footer_text,
    format_seconds,
    metric_label,
    new_figure,
    scenario_title,
    share_text,
)
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def _no_data(ax: Axes, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        color=NEVER_TEXT_COLOUR,
        wrap=True,
    )


def _distribution_panel(
    ax: Axes, values: np.ndarray, label: str, never_note: str, bins: np.ndarray | None
) -> None:
    """Histogram (% of all runs) of the finite values, with the median and p90 marked."""
    x = np.asarray(values, dtype=float)
    n = x.size
    fin = x[np.isfinite(x)]
    share_never = float(np.mean(~np.isfinite(x))) if n else math.nan
    ax.set_xlabel(label)
    ax.set_ylabel(f"runs (% of all {n})")
    ax.grid(axis="y", alpha=0.3)
    if fin.size == 0:
        _no_data(ax, f"never reached in any of the {n} runs\n{never_note}")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    heights, _, _ = ax.hist(
        fin,
        bins=bins if bins is not None else "auto",
        weights=np.full(fin.size, 100.0 / n),
        color=BAND_COLOUR,
        alpha=0.55,
        edgecolor="white",
        linewidth=0.5,
    )
    med, p90 = quantile(x, 0.5), quantile(x, 0.9)
    handles = []
    for q, v, colour, style in (
        ("median", med, MEDIAN_COLOUR, "-"),
        ("90th percentile", p90, P90_COLOUR, "--"),
    ):
        if math.isfinite(v):
            ax.axvline(v, color=colour, linestyle=style, linewidth=2)
            handles.append(
                Line2D(
                    [],
                    [],
                    color=colour,
                    linestyle=style,
                    linewidth=2,
                    label=f"{q}: {format_seconds(v)}",
                )
            )
        else:
            tail = "half" if q == "median" else "10 %"
            handles.append(
                Line2D(
                    [],
                    [],
                    color=colour,
                    linestyle=style,
                    linewidth=2,
                    label=f"{q}: never (over {tail} of runs never got there)",
                )
            )
    if share_never > 0:
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="white",
                label=f"not reached in {share_text(share_never)} of runs\n{never_note}",
            )
        )
    # head room above the tallest bar so that the legend never covers a bar
    ax.set_ylim(0, float(np.max(heights)) * (1.75 if share_never > 0 else 1.3))
    leg = ax.legend(handles=handles, loc="upper right", fontsize=9, framealpha=0.9)
    if share_never > 0:
        leg.get_texts()[-1].set_color(NEVER_TEXT_COLOUR)
        leg.get_texts()[-1].set_fontweight("bold")


def _shared_bins(arrays: Sequence[np.ndarray]) -> np.ndarray | None:
    fin = np.concatenate([a[np.isfinite(a)] for a in arrays])
    if fin.size == 0:
        return None
    lo, hi = float(fin.min()), float(fin.max())
    if hi - lo < 1e-9:
        return np.array([lo - 1.0, hi + 1.0])
    edges = np.histogram_bin_edges(fin, bins="auto")
    if edges.size > 41:
        edges = np.linspace(lo, hi, 41)
    return edges


#: protocol -> (action in the title, the two headline metrics, their panel titles)
SRP_HEADLINES = {
    "hold": (
        "time to clear the halls (Hold)",
        ("time_halls_clear_s", "time_all_safe_s"),
        ("Halls clear", "Everyone in a room with the door closed"),
    ),
    "secure": (
        "time to get inside and lock the perimeter (Secure)",
        ("time_all_inside_s", "time_perimeter_locked_s"),
        ("Everyone from outdoors inside", "Every exterior door locked"),
    ),
    "shelter": (
        "time to reach the shelter areas (Shelter)",
        ("time_all_sheltered_s", "time_all_safe_s"),
        ("Everyone in a shelter area", "Everyone sheltered (and openings closed for hazmat)"),
    ),
    "options": (
        "time until everyone is secured or out (options-based response)",
        ("time_all_safe_s", "time_95_safe_s"),
        ("Everyone secured or out", "95 % of people secured or out"),
    ),
}


def figure_secured_distribution(result: BatchResult, loaded: LoadedScenario) -> Figure:
    """How long securing (lockdown) or evacuating takes, over all runs.

    Lockdown: time to 95 % of rooms secured and time the last room secured, each a histogram
    with the median and p90 marked, plus the share of runs in which some room never secured.
    Evacuation: evacuation time and time to 95 % evacuated.
    """
    plan = result.plan
    n = result.n_runs
    if plan.protocol == "lockdown":
        m_rooms = n_securable(plan)
        k = k95(m_rooms)
        names = ("time_95_secured_s", "time_last_secured_s")
        notes = (
            f"({m_rooms - k + 1} or more of the {m_rooms} rooms never secured)",
            "(no room secured at all)",
        )
        titles = (
            f"95 % of rooms secured ({k} of {m_rooms} rooms)",
            "Last room secured (of the rooms that did secure)",
        )
        never_counts = np.asarray(result.metrics["rooms_never_secured"], dtype=float)
        never_any = float(np.mean(never_counts > 0)) if n else 0.0
        title = scenario_title(loaded, "time to secure rooms in lockdown")
        # the statement a planner reads first: how often every room is secured, and why not
        causes = (
            ", ".join(
                f"{float(np.mean(result.metrics[key])):.2f} {label}"
                for key, label in (
                    ("rooms_never_secured_audited", "audited condition"),
                    ("rooms_never_secured_sampled", "sampled fault"),
                    ("rooms_never_secured_attempt", "failed lock attempt"),
                    ("rooms_never_secured_alert", "never alerted"),
                )
                if float(np.mean(result.metrics[key])) > 0
            )
            or "none"
        )
        subtitle = (
            f"All {m_rooms} rooms to secure were secured in {share_text(1.0 - never_any)} of "
            f"runs. Rooms never secured per run: median {quantile(never_counts, 0.5):.0f}, "
            f"p90 {quantile(never_counts, 0.9):.0f} of {m_rooms}; on average {causes}.\n"
            "Which rooms: rooms.csv and room_ranges.png."
        )
        colour = NEVER_TEXT_COLOUR if never_any > 0 else "black"
    elif plan.protocol in SRP_HEADLINES:  # issue 9: Hold, Secure, Shelter
        action, names, titles = SRP_HEADLINES[plan.protocol]
        notes = ("", "")
        title = scenario_title(loaded, action)
        first = np.asarray(result.metrics[names[0]], dtype=float)
        share = float(np.mean(~np.isfinite(first))) if n else 0.0
        subtitle = (
            f"{plan.n_persons} people in the school. In {share_text(share)} of runs "
            f"'{titles[0].lower()}' never happened."
        )
        colour = NEVER_TEXT_COLOUR if share > 0 else "black"
    else:
        names = ("evacuation_time_s", "time_95_evacuated_s")
        notes = (
            "(someone never reached the assembly point)",
            "(fewer than 95 % reached the assembly point)",
        )
        titles = ("Everyone at the assembly point", "95 % of people at the assembly point")
        title = scenario_title(loaded, "evacuation time")
        evac = np.asarray(result.metrics["evacuation_time_s"], dtype=float)
        share = float(np.mean(~np.isfinite(evac))) if n else 0.0
        subtitle = (
            f"{plan.n_persons} people in the school. In {share_text(share)} of runs "
            "someone never reached the assembly point."
        )
        colour = NEVER_TEXT_COLOUR if share > 0 else "black"
    fig = new_figure(
        13.0,
        5.8,
        footer=footer_text(result.provenance),
        title=title,
        subtitle=subtitle,
        subtitle_colour=colour,
        fixed=True,
    )
    axes = fixed_subplots(fig, 1, 2, left_in=0.7, right_in=0.15, wspace_in=0.85)[0]
    bins = _shared_bins([np.asarray(result.metrics[m], dtype=float) for m in names])
    for ax, m, note, t in zip(axes, names, notes, titles, strict=True):
        _distribution_panel(ax, result.metrics[m], metric_label(m), note, bins)
        ax.set_title(t, fontsize=11)
    if bins is not None:
        pad = 0.02 * (bins[-1] - bins[0])
        for ax in axes:
            ax.set_xlim(bins[0] - pad, bins[-1] + pad)
    return fig
