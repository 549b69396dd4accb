"""``room_ranges.png``: where in the building rooms secure late or not at all.

The floorplan and the per-room bars are drawn as separate figures, rendered to pixels at
:data:`~drillsim.reports.charts.DPI` and stacked pixel for pixel with the footer below, so the
bars can take the floorplan's width without resampling either.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from drillsim.floorplan.model import Floorplan
from drillsim.metrics.summary import quantile
from drillsim.reports.batch.tables import room_table
from drillsim.reports.charts import (
    BAND_COLOUR,
    DPI,
    FOOTER_IN,
    MEDIAN_COLOUR,
    NEVER_COLOUR,
    NEVER_TEXT_COLOUR,
    ORIGIN_COLOUR,
    P90_COLOUR,
    RISK_COLOUR,
    add_footer,
    footer_text,
    scenario_title,
    share_text,
)
from drillsim.reports.figures import PNG_METADATA
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

#: A room is outlined as "at risk" when it was never secured in at least this share of runs.
RISK_SHARE = 0.10


def _range_bars(
    ax: Axes,
    labels: Sequence[str],
    med: np.ndarray,
    p90: np.ndarray,
    never: np.ndarray,
    reasons: Sequence[str],
    x_max: float,
) -> None:
    """Horizontal median–p90 bars, one per room, top to bottom in the given order.

    A p90 of "never" runs the bar into a separate "never" zone right of the latest finite time,
    so that it cannot be mistaken for a short range.
    """
    y = np.arange(len(labels))[::-1]
    x_never = x_max * 1.08  # start of the "never" zone
    x_end = x_max * 1.2  # end of the "never" zone
    ax.axvspan(x_never, x_end, color=NEVER_COLOUR, alpha=0.08, linewidth=0)
    for yi, m, p, nv, why in zip(y, med, p90, never, reasons, strict=True):
        if math.isinf(m):
            ax.barh(yi, x_end, left=0, height=0.6, color=NEVER_COLOUR, alpha=0.25)
            how = "in any run" if nv >= 1 else "in most runs"
            ax.text(
                x_end * 0.5,
                yi,
                f"never secured {how} (mostly: {why})",
                va="center",
                ha="center",
                fontsize=8,
                color=NEVER_TEXT_COLOUR,
            )
            continue
        right = p if math.isfinite(p) else x_end
        ax.barh(
            yi,
            right - m,
            left=m,
            height=0.6,
            color=BAND_COLOUR,
            alpha=0.6,
            hatch=None if math.isfinite(p) else "///",
            edgecolor="white",
        )
        ax.plot([m], [yi], marker="|", markersize=12, color=MEDIAN_COLOUR, markeredgewidth=2.5)
        if math.isfinite(p):
            ax.plot([p], [yi], marker="|", markersize=12, color=P90_COLOUR, markeredgewidth=2.5)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlim(0, x_max * 1.42)
    ticks = [t for t in ax.get_xticks() if 0 <= t <= x_max * 1.02]
    ax.set_xticks([*ticks, (x_never + x_end) / 2], [f"{t:.0f}" for t in ticks] + ["never"])
    for yi, nv in zip(y, never, strict=True):
        if nv > 0:
            risky = nv >= RISK_SHARE
            ax.text(
                x_max * 1.41,
                yi,
                f"never {share_text(nv)}",
                va="center",
                ha="right",
                fontsize=8,
                color=RISK_COLOUR if risky else "#555555",
                fontweight="bold" if risky else "normal",
            )
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("time room secured, from incident start (s)")


def _bars_legend(fig: Figure) -> None:
    fig.legend(
        handles=[
            Line2D(
                [],
                [],
                marker="|",
                markersize=12,
                color=MEDIAN_COLOUR,
                linestyle="",
                markeredgewidth=2.5,
                label="median time secured",
            ),
            Line2D(
                [],
                [],
                marker="|",
                markersize=12,
                color=P90_COLOUR,
                linestyle="",
                markeredgewidth=2.5,
                label="90th percentile",
            ),
            Patch(
                facecolor=BAND_COLOUR,
                alpha=0.6,
                hatch="///",
                edgecolor="white",
                label="90th percentile is 'never' (room not secured in over 10 % of runs)",
            ),
            Patch(
                facecolor=NEVER_COLOUR,
                alpha=0.25,
                label="median is 'never' (room not secured in most runs)",
            ),
        ],
        loc="outside lower center",
        ncols=4,
        fontsize=9,
        frameon=False,
    )


def _render(fig: Figure) -> np.ndarray:
    """RGBA pixels of a figure at :data:`DPI`."""
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def _merge_legend(fig: Figure, extra: Sequence, rename: Mapping[str, str]) -> None:
    """Replace the floorplan's bottom legend by one that also explains our outlines."""
    handles: list = []
    labels: list[str] = []
    for leg in list(fig.legends):
        handles += list(leg.legend_handles)
        labels += [rename.get(t.get_text(), t.get_text()) for t in leg.get_texts()]
        leg.remove()
    handles += list(extra)
    labels += [h.get_label() for h in extra]
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(len(handles), 6),
        fontsize=9,
        frameon=False,
    )


def _paste(pictures: Sequence[np.ndarray], footer: str) -> np.ndarray:
    """Stack rendered pictures top to bottom pixel for pixel (no resampling), footer below."""
    width_px = max(p.shape[1] for p in pictures)
    strip = Figure(figsize=(width_px / DPI, FOOTER_IN))
    add_footer(strip, footer)  # at 0.35 of the strip's height, as on every batch figure
    rows = []
    for p in [*pictures, _render(strip)]:
        pad = width_px - p.shape[1]
        canvas = np.full((p.shape[0], width_px, 4), 255, dtype=np.uint8)
        canvas[:, pad // 2 : pad // 2 + p.shape[1]] = p
        rows.append(canvas)
    return np.concatenate(rows, axis=0)


def save_pixels(pixels: np.ndarray, path: Path) -> Path:
    """Save RGBA pixels as a PNG at :data:`DPI` with no software tag."""
    mpimg.imsave(path, pixels, format="png", dpi=DPI, metadata=dict(PNG_METADATA))
    return path


def room_ranges_pixels(result: BatchResult, loaded: LoadedScenario) -> np.ndarray:
    """Where in the building rooms secure late or not at all (evacuation: where alerts arrive late).

    Lockdown: the floorplan coloured by each room's median time secured, rooms never secured in
    at least :data:`RISK_SHARE` of runs outlined in red; below it, per-room median–p90 bars
    sorted by p90 (worst first) with each room's share of runs never secured. Evacuation: the
    floorplan coloured by the median time the alert reached each occupied space.
    """
    from drillsim.floorplan.draw import draw_floorplan

    plan = result.plan
    fp = loaded.floorplan
    footer = footer_text(result.provenance)
    origin = plan.space_ids[plan.origin]
    lockdown = plan.protocol == "lockdown"
    highlight = {origin: ORIGIN_COLOUR}
    key = [
        Patch(
            fill=False, edgecolor=ORIGIN_COLOUR, linewidth=2.5, label=f"incident origin ({origin})"
        )
    ]
    if lockdown:
        header, rows = room_table(result, loaded)
        reasons = [r[header.index("most_common_reason")] for r in rows]
        sec = result.room_secured_s
        med = np.array([quantile(sec[:, m], 0.5) for m in range(plan.n_rooms)])
        p90 = np.array([quantile(sec[:, m], 0.9) for m in range(plan.n_rooms)])
        never = np.mean(~np.isfinite(sec), axis=0) if plan.n_rooms else np.zeros(0)
        ids = [plan.room_id(m) for m in range(plan.n_rooms)]
        values = dict(zip(ids, med.tolist(), strict=True))
        at_risk = [r for r, nv in zip(ids, never, strict=True) if nv >= RISK_SHARE]
        highlight.update({r: RISK_COLOUR for r in at_risk if r != origin})
        key.append(
            Patch(
                fill=False,
                edgecolor=RISK_COLOUR,
                linewidth=2.5,
                label=f"at risk: never secured in ≥ {100 * RISK_SHARE:.0f} % of runs "
                f"({len(at_risk)} of {plan.n_rooms} rooms)",
            )
        )
        map_title = scenario_title(loaded, "median time each room was secured (lockdown)")
        label = "median time room secured, from incident start (s)"
        rename = {"no value": "not a room to secure", "never": "never secured in most runs"}
    else:
        occupied = sorted({int(s) for s in plan.person_space})
        values = {
            plan.space_ids[s]: quantile(result.space_alert_s[:, s], 0.5)
            for s in occupied
            if plan.space_kind[s] != "exit"
        }
        map_title = scenario_title(
            loaded, "median time the alert reached each occupied space (evacuation)"
        )
        label = "median alert time, from incident start (s)"
        rename = {"no value": "nobody there at the start", "never": "never alerted in most runs"}
    finite = [v for v in values.values() if math.isfinite(v)]
    if finite:  # the colour scale spans only the values present: say how narrow it is
        map_title += f"\ncolours span {min(finite):.0f}–{max(finite):.0f} s"
    fp_fig = draw_floorplan(
        fp, values=values, value_label=label, title=map_title, highlight=highlight
    )
    _merge_legend(fp_fig, key, rename)
    pictures = [_render(fp_fig)]
    if lockdown and plan.n_rooms:
        bars = _bars_figure(pictures[0].shape[1] / DPI, ids, fp, med, p90, never, reasons)
        pictures.append(_render(bars))
    return _paste(pictures, footer)


def _bars_figure(
    width_in: float,
    ids: Sequence[str],
    fp: Floorplan,
    med: np.ndarray,
    p90: np.ndarray,
    never: np.ndarray,
    reasons: Sequence[str],
) -> Figure:
    """Per-room median–p90 bars in up to three columns, worst p90 first."""
    n = len(ids)
    width_in = max(width_in, 12.0)
    n_cols = 1 if n <= 14 else (2 if n <= 30 else 3)
    n_cols = min(n_cols, max(1, int(width_in // 6)))
    per_col = max(1, math.ceil(n / n_cols))
    fig = Figure(figsize=(width_in, 1.8 + 0.26 * per_col), layout="constrained")
    order = sorted(range(n), key=lambda m: (-p90[m], -med[m], ids[m]))
    finite = np.concatenate([med[np.isfinite(med)], p90[np.isfinite(p90)]])
    x_max = float(finite.max()) if finite.size else 1.0
    axes = fig.subplots(1, n_cols, squeeze=False)[0]
    for c, ax in enumerate(axes):
        part = order[c * per_col : (c + 1) * per_col]
        if not part:
            ax.set_axis_off()
            continue
        labels = []
        for m in part:
            lab = str(fp.space(ids[m])["label"])
            labels.append(lab if ids[m] in lab else f"{ids[m]} ({lab})")
        _range_bars(
            ax, labels, med[part], p90[part], never[part], [reasons[m] for m in part], x_max
        )
        if n_cols > 1:
            ax.set_title(f"part {c + 1} of {n_cols}", fontsize=9, loc="left")
    _bars_legend(fig)
    fig.suptitle(
        "Per-room range of the time secured: median to 90th percentile, sorted by the 90th "
        "percentile (worst first); at the right, the share of runs the room was never secured",
        fontsize=12,
        fontweight="bold",
    )
    return fig
