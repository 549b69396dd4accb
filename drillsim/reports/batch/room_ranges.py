"""``room_ranges.png``: where in the building rooms secure late or not at all.

One figure, rendered once, with every panel at a fixed position in inches (no layout pass): the
title, the floorplan at its drawing scale (:func:`drillsim.floorplan.draw.draw_floorplan` with
``at_in``), the per-room bars below it (each column as wide as its longest room label) and the
footer. The bars of a panel are one artist per kind (bars, median ticks, p90 ticks), not one
per room, which keeps the draw cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import offset_copy

from drillsim.floorplan.model import Floorplan
from drillsim.metrics.summary import quantile
from drillsim.reports.batch.tables import room_table
from drillsim.reports.charts import (
    BAND_COLOUR,
    FOOTER_IN,
    MEDIAN_COLOUR,
    NEVER_COLOUR,
    NEVER_TEXT_COLOUR,
    ORIGIN_COLOUR,
    P90_COLOUR,
    RISK_COLOUR,
    _wrap,
    add_footer,
    footer_text,
    scenario_title,
    share_text,
)
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

#: Resolution of ``room_ranges.png``: the figure is about 29 x 15 in (the floorplan at a fixed
#: scale), so at :data:`~drillsim.reports.charts.DPI` it was 4,365 x 2,235 px and its render set
#: the parent's peak memory; at this resolution the smallest floorplan labels (5 pt) are still
#: about 8 px tall.
DPI_ROOM_RANGES = 120

#: Fixed layout (inches): the figure title's padding and line height, one bar row.
_TITLE_PAD_IN = 0.2
_TITLE_LINE_IN = 0.24
_ROW_IN = 0.26
_BARS_TITLE = (
    "Per-room range of the time secured: median to 90th percentile, sorted by the 90th "
    "percentile (worst first); at the right, the share of runs the room was never secured"
)

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
    inf_med = np.isinf(med)
    for yi, nv, why in zip(y[inf_med], never[inf_med], np.asarray(reasons)[inf_med], strict=True):
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
    if inf_med.any():
        ax.barh(y[inf_med], x_end, left=0, height=0.6, color=NEVER_COLOUR, alpha=0.25)
    fin_p = np.isfinite(p90)
    for hatched in (False, True):
        sel = ~inf_med & (fin_p != hatched)
        if sel.any():
            right = np.where(fin_p, p90, x_end)[sel]
            ax.barh(
                y[sel],
                right - med[sel],
                left=med[sel],
                height=0.6,
                color=BAND_COLOUR,
                alpha=0.6,
                hatch="///" if hatched else None,
                edgecolor="white",
            )
    for x, sel, colour in ((med, ~inf_med, MEDIAN_COLOUR), (p90, ~inf_med & fin_p, P90_COLOUR)):
        if sel.any():
            ax.plot(
                x[sel],
                y[sel],
                marker="|",
                markersize=12,
                color=colour,
                markeredgewidth=2.5,
                linestyle="",
            )
    # room labels as plain texts left of the axes, not y tick labels: a tick is five artists
    # (two lines, two labels, a grid line), and 49 of them were a tenth of this figure's time
    ax.set_yticks([])
    at_left = offset_copy(ax.get_yaxis_transform(), fig=ax.get_figure(), x=-4, units="points")
    for yi, lab in zip(y, labels, strict=True):
        ax.text(0.0, yi, lab, transform=at_left, ha="right", va="center", fontsize=8)
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


def _bars_legend(fig: FigureBase, anchor: tuple[float, float]) -> None:
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
        loc="lower center",
        bbox_to_anchor=anchor,
        ncols=4,
        fontsize=9,
        frameon=False,
    )


def figure_room_ranges(result: BatchResult, loaded: LoadedScenario) -> Figure:
    """Where in the building rooms secure late or not at all (evacuation: where classes get out late).

    Lockdown: the floorplan coloured by each room's median time secured, rooms never secured in
    at least :data:`RISK_SHARE` of runs outlined in red; below it, per-room median–p90 bars
    sorted by p90 (worst first) with each room's share of runs never secured. Evacuation: the
    floorplan coloured by the median time each occupied space's last starting occupant was out of
    the building. Other protocols: the median time the alert reached each occupied space.
    """
    from drillsim.floorplan.draw import draw_floorplan, floorplan_size_in

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
        # evacuation: where classes get out late (what its planner reads off the map); other
        # protocols: where the alert arrives late
        out = plan.protocol == "evacuate" and result.space_out_s.size > 0
        times = result.space_out_s if out else result.space_alert_s
        occupied = sorted({int(s) for s in plan.person_space})
        values = {
            plan.space_ids[s]: quantile(times[:, s], 0.5)
            for s in occupied
            if plan.space_kind[s] != "exit"
        }
        if out:
            what = "median time each space's last starting occupant was out of the building"
            label = "median time last occupant out, from incident start (s)"
            never = "someone never out in most runs"
        else:
            what = f"median time the alert reached each occupied space ({plan.protocol})"
            label = "median alert time, from incident start (s)"
            never = "never alerted in most runs"
        map_title = scenario_title(loaded, what)
        rename = {"no value": "nobody there at the start", "never": never}
    finite = [v for v in values.values() if math.isfinite(v)]
    if finite:  # the colour scale spans only the values present: say how narrow it is
        map_title += f"\ncolours span {min(finite):.0f}–{max(finite):.0f} s"
    fp_w, fp_h = floorplan_size_in(fp, values=True, fixed=True)
    with_bars = lockdown and plan.n_rooms > 0
    width_in = max(fp_w, 12.0) if with_bars else fp_w
    title_in = _TITLE_PAD_IN + _TITLE_LINE_IN * (map_title.count("\n") + 1)
    if with_bars:
        n_cols, per_col = _bars_columns(len(ids), width_in)
        bars_title = _wrap(_BARS_TITLE, width_in, 12.0, bold=True)
        bars_h = 1.6 + _TITLE_LINE_IN * bars_title.count("\n") + _ROW_IN * per_col
    else:
        bars_h = 0.0
    height_in = title_in + fp_h + bars_h + FOOTER_IN
    fig = Figure(figsize=(width_in, height_in))  # fixed positions: no layout pass
    fig.suptitle(map_title, y=1.0 - _TITLE_PAD_IN / 2 / height_in, va="top", fontsize=12)
    draw_floorplan(
        fp,
        values=values,
        value_label=label,
        title="",
        highlight=highlight,
        into=fig,
        at_in=((width_in - fp_w) / 2, FOOTER_IN + bars_h),
        legend_extra=key,
        legend_rename=rename,
    )
    if with_bars:
        box = (0.0, FOOTER_IN, width_in, bars_h)
        _bars(fig, box, bars_title, n_cols, per_col, ids, fp, med, p90, never, reasons)
    add_footer(fig, footer)
    return fig


def _bars_columns(n: int, width_in: float) -> tuple[int, int]:
    """(columns, rooms per column) of the per-room bars: up to three columns, 6 in wide or more."""
    n_cols = 1 if n <= 14 else (2 if n <= 30 else 3)
    n_cols = min(n_cols, max(1, int(width_in // 6)))
    return n_cols, max(1, math.ceil(n / n_cols))


def _bars(
    fig: Figure,
    box: tuple[float, float, float, float],
    title: str,
    n_cols: int,
    per_col: int,
    ids: Sequence[str],
    fp: Floorplan,
    med: np.ndarray,
    p90: np.ndarray,
    never: np.ndarray,
    reasons: Sequence[str],
) -> None:
    """Per-room median–p90 bars in up to three columns, worst p90 first, in ``box``
    (x, y, width, height in inches): title on top, legend at the bottom, each column as wide as
    its longest room label needs."""
    n = len(ids)
    order = sorted(range(n), key=lambda m: (-p90[m], -med[m], ids[m]))
    finite = np.concatenate([med[np.isfinite(med)], p90[np.isfinite(p90)]])
    x_max = float(finite.max()) if finite.size else 1.0
    bx, by, bw, bh = box
    fw, fh = fig.get_size_inches()
    top = by + bh
    fig.text(0.5, (top - 0.08) / fh, title, ha="center", va="top", fontsize=12, fontweight="bold")
    n_title = title.count("\n") + 1
    axes_top = top - 0.15 - _TITLE_LINE_IN * n_title - 0.3  # room for "part i of n"
    axes_h = _ROW_IN * per_col
    parts = [order[c * per_col : (c + 1) * per_col] for c in range(n_cols)]
    labels = []
    for part in parts:
        col = []
        for m in part:
            lab = str(fp.space(ids[m])["label"])
            col.append(lab if ids[m] in lab else f"{ids[m]} ({lab})")
        labels.append(col)
    label_in = [_text_width_in(col, 8.0) + 0.15 for col in labels]
    gap_in, right_in = 0.35, 0.3
    axes_w = (bw - sum(label_in) - gap_in * (n_cols - 1) - right_in) / n_cols
    x = bx
    for c, part in enumerate(parts):
        x += label_in[c]
        if not part:
            continue
        ax = fig.add_axes((x / fw, (axes_top - axes_h) / fh, axes_w / fw, axes_h / fh))
        x += axes_w + gap_in
        _range_bars(
            ax, labels[c], med[part], p90[part], never[part], [reasons[m] for m in part], x_max
        )
        if n_cols > 1:
            ax.set_title(f"part {c + 1} of {n_cols}", fontsize=9, loc="left")
    _bars_legend(fig, ((bx + bw / 2) / fw, (by + 0.02) / fh))


def _text_width_in(texts: Sequence[str], size_pt: float) -> float:
    """Width in inches of the widest of ``texts`` in the default font at ``size_pt``."""
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties(size=size_pt)))
    font.set_size(size_pt, 72)
    widest = 0.0
    for t in texts:
        font.set_text(t, 0.0)
        widest = max(widest, font.get_width_height()[0] / 64.0)  # 26.6 fixed point, points
    return widest / 72.0
