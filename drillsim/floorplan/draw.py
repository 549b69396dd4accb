"""Draw a floorplan with matplotlib: one panel per floor, spaces as rectangles, doors as markers.

Used for the floorplan check (does the file look like the school?) and, with ``values``, for
per-space results such as alert time or time to secure. Built on :class:`matplotlib.figure.Figure`
directly (no pyplot state), so it is safe in workers, tests and the Agg backend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib
import matplotlib.colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from drillsim.floorplan.model import SPACE_KINDS, Floorplan

#: Fill colour per space kind (light, so that labels and door markers stay legible).
KIND_COLOURS: Mapping[str, str] = {
    "classroom": "#a6cee3",
    "office": "#fdbf6f",
    "corridor": "#ebe6da",
    "stair": "#cab2d6",
    "restroom": "#b2df8a",
    "gym": "#fb9a99",
    "cafeteria": "#ffed6f",
    "library": "#8dd3c7",
    "commons": "#f2d7b6",
    "outdoor": "#dcebd5",
    "exit": "#33a02c",
}
#: Door marker (shape, face colour) per lock type.
LOCK_MARKERS: Mapping[str, tuple[str, str]] = {
    "none": ("o", "#ffffff"),
    "thumbturn": ("s", "#1f78b4"),
    "key_inside": ("D", "#6a3d9a"),
    "key_outside": ("v", "#e31a1c"),
    "auto_locking": ("P", "#ff7f00"),
    "central": ("*", "#000000"),
}
LOCK_NAMES: Mapping[str, str] = {
    "none": "door, no lock",
    "thumbturn": "thumbturn lock",
    "key_inside": "key lock (inside)",
    "key_outside": "key lock (from hallway)",
    "auto_locking": "auto-locking door",
    "central": "central (remote) lock",
}
EXIT_COLOUR = "#1a9641"
NEVER_COLOUR = "#e7298a"
NO_VALUE_COLOUR = "#d9d9d9"
EDGE_COLOUR = "#555555"
#: Kinds drawn underneath rooms (they are large and rooms may overlap their outline).
_BACKGROUND_KINDS = ("outdoor", "corridor", "commons")
_MARGIN_M = 4.0
_MAX_WIDTH_IN = 24.0
_MAX_SCALE_IN_PER_M = 0.11


def _rect(attrs: Mapping) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a space's drawn footprint, in metres."""
    w, h = float(attrs["size_w_m"]), float(attrs["size_h_m"])
    x, y = float(attrs["x"]), float(attrs["y"])
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _door_point(ra: tuple, rb: tuple) -> tuple[float, float]:
    """Where to draw a door between two footprints: the middle of their shared wall.

    The point of rectangle ``ra`` nearest to rectangle ``rb`` and vice versa are averaged; for two
    rooms that share a wall this is a point on that wall facing the other room's centre, which is
    where a door reads correctly (the midpoint of the two reference points can fall inside a long
    corridor far from the room).
    """

    def clamp(px: float, py: float, r: tuple) -> tuple[float, float]:
        return min(max(px, r[0]), r[2]), min(max(py, r[1]), r[3])

    ca = ((ra[0] + ra[2]) / 2, (ra[1] + ra[3]) / 2)
    cb = ((rb[0] + rb[2]) / 2, (rb[1] + rb[3]) / 2)
    # the smaller footprint's centre projected onto the larger, then back: a point on both walls
    small, big = (
        (ra, rb)
        if (ra[2] - ra[0]) * (ra[3] - ra[1]) <= (rb[2] - rb[0]) * (rb[3] - rb[1])
        else (rb, ra)
    )
    c = ca if small is ra else cb
    on_big = clamp(c[0], c[1], big)
    on_small = clamp(on_big[0], on_big[1], small)
    return (on_big[0] + on_small[0]) / 2, (on_big[1] + on_small[1]) / 2


def _luminance(rgba: tuple) -> float:
    r, g, b = rgba[:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


def _format_value(v: float) -> str:
    if math.isinf(v):
        return "never"
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"


def draw_floorplan(
    fp: Floorplan,
    *,
    values: Mapping[str, float] | None = None,
    value_label: str = "",
    cmap: str = "viridis_r",
    title: str | None = None,
    annotate: bool = True,
    highlight: Mapping[str, str] | None = None,
) -> Figure:
    """Draw the floorplan, one panel per floor, side by side.

    Parameters
    ----------
    fp : Floorplan
    values : mapping of space id to float, optional
        Colour spaces by value (e.g. alert time in s) instead of by kind, with a colorbar.
        Spaces without a value (or NaN) are light grey; ``inf`` (e.g. never alerted) is drawn in
        a distinct colour with the legend entry "never".
    value_label : str
        Colorbar label, with its unit, e.g. ``"time to secure (s)"``.
    cmap : str
        Matplotlib colormap name for ``values``.
    title : str, optional
        Figure title; default the floorplan name, ``""`` for none.
    annotate : bool
        Write each room's label (and value) on it.
    highlight : mapping of space id to colour, optional
        Outline these spaces in the given colour (e.g. the incident origin).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per floor in ``fp.floors`` order (plus a colorbar axes when ``values`` is given).

    Raises
    ------
    ValueError
        If ``values`` or ``highlight`` name a space that is not in the floorplan.
    """
    g = fp.graph
    for what, mapping in (("values", values), ("highlight", highlight)):
        unknown = [k for k in (mapping or {}) if k not in g]
        if unknown:
            raise ValueError(f"{what} names spaces not in floorplan '{fp.name}': {unknown[:10]}")
    values = dict(values or {})
    highlight = dict(highlight or {})

    levels = fp.levels or sorted({int(a["floor"]) for _, a in g.nodes(data=True)})
    rects = {s: _rect(a) for s, a in g.nodes(data=True)}
    extents = {}
    for lv in levels:
        on = [rects[s] for s, a in g.nodes(data=True) if a["floor"] == lv]
        if on:
            extents[lv] = (
                min(r[0] for r in on) - _MARGIN_M,
                min(r[1] for r in on) - _MARGIN_M,
                max(r[2] for r in on) + _MARGIN_M,
                max(r[3] for r in on) + _MARGIN_M,
            )
        else:
            extents[lv] = (0.0, 0.0, 10.0, 10.0)
    widths = [extents[lv][2] - extents[lv][0] for lv in levels]
    height = max(extents[lv][3] - extents[lv][1] for lv in levels)
    scale = min(_MAX_SCALE_IN_PER_M, _MAX_WIDTH_IN / sum(widths))
    fig = Figure(
        figsize=(max(6.0, sum(widths) * scale + 1.5), height * scale + 2.6),
        layout="constrained",
    )
    axes = fig.subplots(1, len(levels), squeeze=False, width_ratios=widths)[0]
    font = max(4.0, min(8.0, 55 * scale))

    norm = cm = None
    if values:
        finite = [v for v in values.values() if v is not None and math.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        norm = mcolors.Normalize(lo, hi)
        cm = matplotlib.colormaps[cmap]

    used_kinds: set[str] = set()
    used_locks: set[str] = set()
    any_hatch = any_never = any_missing = any_exterior = False
    points_per_m = scale * 72

    for ax, lv in zip(axes, levels, strict=True):
        on_floor = [s for s, a in g.nodes(data=True) if a["floor"] == lv]
        ordered = sorted(
            on_floor,
            key=lambda s: (
                g.nodes[s]["kind"] not in _BACKGROUND_KINDS,
                g.nodes[s]["kind"] == "exit",
            ),
        )
        for s in ordered:
            a = g.nodes[s]
            kind = a["kind"]
            x0, y0, x1, y1 = rects[s]
            if kind == "exit":
                ax.plot(
                    a["x"],
                    a["y"],
                    marker="^",
                    markersize=font * 1.6,
                    color=EXIT_COLOUR,
                    markeredgecolor=highlight.get(s, "black"),
                    markeredgewidth=2.0 if s in highlight else 0.6,
                    zorder=6,
                    linestyle="",
                )
                ax.annotate(
                    "EXIT",
                    (a["x"], a["y"]),
                    xytext=(0, -font * 1.4),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=font * 0.9,
                    color=EXIT_COLOUR,
                    fontweight="bold",
                    zorder=6,
                )
                continue
            if norm is not None:
                v = values.get(s)
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    face = mcolors.to_rgba(NO_VALUE_COLOUR)
                    any_missing = True
                elif math.isinf(v):
                    face = mcolors.to_rgba(NEVER_COLOUR)
                    any_never = True
                else:
                    face = cm(norm(v))
            else:
                face = mcolors.to_rgba(KIND_COLOURS.get(kind, "#ffffff"))
                used_kinds.add(kind)
            hatch = None if a["pa"] else "///"
            any_hatch = any_hatch or hatch is not None
            z = 1 if kind in _BACKGROUND_KINDS else 2
            ax.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    facecolor=face,
                    edgecolor=EDGE_COLOUR,
                    linewidth=0.6,
                    hatch=hatch,
                    zorder=z,
                )
            )
            if s in highlight:
                ax.add_patch(
                    Rectangle(
                        (x0, y0),
                        x1 - x0,
                        y1 - y0,
                        fill=False,
                        edgecolor=highlight[s],
                        linewidth=2.5,
                        zorder=3.5,
                    )
                )
            if annotate and kind != "corridor":
                text = str(a["label"])
                room_pt = (x1 - x0) * points_per_m
                if len(text) * font * 0.55 > room_pt:
                    text = s
                if (
                    norm is not None
                    and s in values
                    and values[s] is not None
                    and not (isinstance(values[s], float) and math.isnan(values[s]))
                ):
                    text += "\n" + _format_value(float(values[s]))
                colour = "white" if _luminance(face) < 0.45 else "black"
                ax.text(
                    (x0 + x1) / 2,
                    (y0 + y1) / 2,
                    text,
                    ha="center",
                    va="center",
                    fontsize=font,
                    color=colour,
                    zorder=5,
                    clip_on=True,
                )

        # doors: a marker on the wall between the two spaces, shaped by lock type
        for a_id, b_id, d in fp.connections():
            if d["kind"] != "door":
                continue
            na, nb = g.nodes[a_id], g.nodes[b_id]
            if na["floor"] != lv or nb["floor"] != lv:
                continue
            px, py = _door_point(rects[a_id], rects[b_id])
            if "exit" in (na["kind"], nb["kind"]):
                other = nb if na["kind"] == "exit" else na
                ex = na if other is nb else nb
                px, py = _door_point(_rect(other), (ex["x"], ex["y"], ex["x"], ex["y"]))
            marker, colour = LOCK_MARKERS.get(d["lock"], ("o", "#ffffff"))
            used_locks.add(d["lock"])
            exterior = bool(d["exterior"])
            any_exterior = any_exterior or exterior
            ax.plot(
                px,
                py,
                marker=marker,
                markersize=font * 1.1,
                color=colour,
                linestyle="",
                markeredgecolor=EXIT_COLOUR if exterior else "black",
                markeredgewidth=1.6 if exterior else 0.5,
                zorder=4,
            )

        ex0, ey0, ex1, _ = extents[lv]
        ax.set_xlim(ex0, ex1)
        ax.set_ylim(ey0, ey0 + height)
        ax.set_aspect("equal")
        ax.set_title(fp.floor_name(lv), fontsize=font * 1.6)
        ax.set_xlabel("x (m)", fontsize=font * 1.3)
        ax.tick_params(labelsize=font * 1.1)
        if not on_floor:
            ax.text(0.5, 0.5, "no spaces on this floor", transform=ax.transAxes, ha="center")
    axes[0].set_ylabel("y (m)", fontsize=font * 1.3)

    handles: list = []
    for kind in SPACE_KINDS:
        if kind in used_kinds:
            handles.append(Patch(facecolor=KIND_COLOURS[kind], edgecolor=EDGE_COLOUR, label=kind))
    if norm is not None:
        if any_missing:
            handles.append(
                Patch(facecolor=NO_VALUE_COLOUR, edgecolor=EDGE_COLOUR, label="no value")
            )
        if any_never:
            handles.append(Patch(facecolor=NEVER_COLOUR, edgecolor=EDGE_COLOUR, label="never"))
    if any_hatch:
        handles.append(
            Patch(
                facecolor="white", edgecolor=EDGE_COLOUR, hatch="///", label="outside PA coverage"
            )
        )
    for lock in LOCK_MARKERS:
        if lock in used_locks:
            marker, colour = LOCK_MARKERS[lock]
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=marker,
                    color=colour,
                    markeredgecolor="black",
                    markeredgewidth=0.5,
                    linestyle="",
                    markersize=7,
                    label=LOCK_NAMES[lock],
                )
            )
    if any_exterior:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="white",
                markeredgecolor=EXIT_COLOUR,
                markeredgewidth=1.6,
                linestyle="",
                markersize=7,
                label="exterior door (green rim)",
            )
        )
    if any(a["kind"] == "exit" for _, a in g.nodes(data=True)):
        handles.append(
            Line2D(
                [],
                [],
                marker="^",
                color=EXIT_COLOUR,
                linestyle="",
                markersize=8,
                label="EXIT (outside, to assembly point)",
            )
        )
    if handles:
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(len(handles), 7),
            fontsize=max(6.0, font * 1.2),
            frameon=False,
        )
    if norm is not None:
        fig.colorbar(
            ScalarMappable(norm=norm, cmap=cm),
            ax=list(axes),
            label=value_label,
            shrink=0.85,
            pad=0.01,
        )
    if title is None:
        title = fp.name
    if title:
        fig.suptitle(title, fontsize=max(9.0, font * 2.0))
    return fig
