"""Draw a floorplan with matplotlib: one panel per floor, spaces as rectangles, doors as markers.

Used for the floorplan check (does the file look like the school?) and, with ``values``, for
per-space results such as alert time or time to secure. Built on :class:`matplotlib.figure.Figure`
directly (no pyplot state), so it is safe in workers, tests and the Agg backend.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.colors as mcolors
import networkx as nx
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from drillsim.floorplan.audit import door_findings
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
    "assembly": "#e5f5e0",
}
#: Outline and walkway colour of assembly areas (outside the building).
ASSEMBLY_EDGE = "#238b45"
#: Ring drawn around a door with a lockdown finding (drillsim.floorplan.audit).
FINDING_COLOUR = "#d7191c"
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
_MAX_WIDTH_IN = 26.0
_MAX_SCALE_IN_PER_M = 0.11


def _rect(attrs: Mapping) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a space's drawn footprint, in metres."""
    w, h = float(attrs["size_w_m"]), float(attrs["size_h_m"])
    x, y = float(attrs["x"]), float(attrs["y"])
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _clamp(px: float, py: float, r: tuple) -> tuple[float, float]:
    return min(max(px, r[0]), r[2]), min(max(py, r[1]), r[3])


def _door_point(ra: tuple, rb: tuple) -> tuple[float, float]:
    """Where to draw a door between two footprints: the middle of the wall they share.

    For two footprints side by side (overlapping in x or in y) this is the middle of the
    overlapping stretch, on the line between their facing edges: a room's door sits on the
    corridor wall in front of the room, not at the midpoint of the two reference points, which
    can fall far inside a long corridor. Otherwise the point nearest to both is used.
    """
    ox0, ox1 = max(ra[0], rb[0]), min(ra[2], rb[2])
    oy0, oy1 = max(ra[1], rb[1]), min(ra[3], rb[3])
    x_overlap, y_overlap = ox1 - ox0, oy1 - oy0
    if x_overlap >= 0 and (y_overlap <= 0 or y_overlap < x_overlap * 0.25):
        below, above = (ra, rb) if ra[1] + ra[3] <= rb[1] + rb[3] else (rb, ra)
        return (ox0 + ox1) / 2, (below[3] + above[1]) / 2
    if y_overlap >= 0 and (x_overlap <= 0 or x_overlap < y_overlap * 0.25):
        left, right = (ra, rb) if ra[0] + ra[2] <= rb[0] + rb[2] else (rb, ra)
        return (left[2] + right[0]) / 2, (oy0 + oy1) / 2
    area_a = (ra[2] - ra[0]) * (ra[3] - ra[1])
    area_b = (rb[2] - rb[0]) * (rb[3] - rb[1])
    small, big = (ra, rb) if area_a <= area_b else (rb, ra)
    on_big = _clamp((small[0] + small[2]) / 2, (small[1] + small[3]) / 2, big)
    on_small = _clamp(on_big[0], on_big[1], small)
    return (on_big[0] + on_small[0]) / 2, (on_big[1] + on_small[1]) / 2


def _door_xy(g: nx.Graph, rects: Mapping[str, tuple], a: str, b: str) -> tuple[float, float]:
    """Door position; an exit is a point outside, so its door sits on the building wall."""
    na, nb = g.nodes[a], g.nodes[b]
    if nb["kind"] == "exit" and na["kind"] != "exit":
        return _clamp(nb["x"], nb["y"], rects[a])
    if na["kind"] == "exit" and nb["kind"] != "exit":
        return _clamp(na["x"], na["y"], rects[b])
    return _door_point(rects[a], rects[b])


def _fit_label(text: str, width_pt: float, height_pt: float, font: float) -> str | None:
    """Wrap a label to fit a footprint (None if it cannot fit on three lines)."""
    per_line = max(1, int(width_pt / (font * 0.6)))
    lines = textwrap.wrap(text, per_line, break_long_words=False) or [""]
    if len(lines) > 3 or len(lines) * font * 1.25 > height_pt or max(map(len, lines)) > per_line:
        return None
    return "\n".join(lines)


def _luminance(rgba: tuple) -> float:
    r, g, b = rgba[:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


def _format_value(v: float) -> str:
    if math.isinf(v):
        return "never"
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"


def _draw_exit(
    ax: Axes, g: nx.Graph, rects: Mapping[str, tuple], s: str, font: float, edge: str | None
) -> None:
    """An exit: a green triangle outside the building with "EXIT" written further outward."""
    a = g.nodes[s]
    x, y = float(a["x"]), float(a["y"])
    dx, dy = 0.0, -1.0
    for n in g.neighbors(s):
        if n != s and g.nodes[n]["kind"] != "exit":
            px, py = _clamp(x, y, rects[n])
            norm = math.hypot(x - px, y - py)
            if norm > 1e-9:
                dx, dy = (x - px) / norm, (y - py) / norm
            break
    ax.plot(
        x,
        y,
        marker="^",
        markersize=font * 1.6,
        color=EXIT_COLOUR,
        markeredgecolor=edge or "black",
        markeredgewidth=2.0 if edge else 0.6,
        zorder=6,
        linestyle="",
    )
    ax.annotate(
        "EXIT",
        (x, y),
        xytext=(dx * font * 2.0, dy * font * 2.0),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=font * 0.9,
        color=EXIT_COLOUR,
        fontweight="bold",
        zorder=6,
    )


def _draw_assembly(ax, fp: Floorplan, rects: Mapping, lv: int, font: float, annotate: bool) -> bool:
    """Assembly areas of floor ``lv`` (dashed green outline) and the walkways to them (dashed
    lines, labelled with their length); True if any was drawn."""
    drawn = False
    for a_id, b_id, d in fp.walkways():
        if fp.space(a_id)["floor"] != lv and fp.space(b_id)["floor"] != lv:
            continue
        (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = rects[a_id], rects[b_id]
        pa, pb = ((ax0 + ax1) / 2, (ay0 + ay1) / 2), ((bx0 + bx1) / 2, (by0 + by1) / 2)
        ax.plot(*zip(pa, pb, strict=True), color=ASSEMBLY_EDGE, linestyle="--", linewidth=1.0,
                zorder=1.5)
        if annotate:
            ax.text((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2, f"{d['length_m']:.0f} m",
                    fontsize=font * 0.9, color=ASSEMBLY_EDGE, ha="center", va="bottom",
                    zorder=5, clip_on=True)
    for s in fp.assembly_areas:
        a = fp.space(s)
        if a["floor"] != lv:
            continue
        drawn = True
        x0, y0, x1, y1 = rects[s]
        ax.add_patch(
            Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=KIND_COLOURS["assembly"],
                      edgecolor=ASSEMBLY_EDGE, linestyle="--", linewidth=1.2, zorder=1)
        )
        if annotate:
            cap = int(a["capacity"])
            ax.text((x0 + x1) / 2, (y0 + y1) / 2,
                    f"{a['label']}" + (f"\n(holds {cap:,})" if cap else ""),
                    ha="center", va="center", fontsize=font, color=ASSEMBLY_EDGE, zorder=5,
                    clip_on=True)
    return drawn


def _layout(fp: Floorplan, has_values: bool) -> tuple:
    """Floors, space rectangles, x range per floor, shared y range, inches per metre and the
    figure size (inches) :func:`draw_floorplan` uses."""
    g = fp.graph
    levels = fp.levels or sorted({int(a["floor"]) for _, a in g.nodes(data=True)})
    nodes = [*g.nodes(data=True), *((s, fp.space(s)) for s in fp.assembly_areas)]
    rects = {s: _rect(a) for s, a in nodes}
    xs: dict[int, tuple[float, float]] = {}
    all_y: list[float] = []
    for lv in levels:
        on = [rects[s] for s, a in nodes if a["floor"] == lv]
        if on:
            xs[lv] = (min(r[0] for r in on) - _MARGIN_M, max(r[2] for r in on) + _MARGIN_M)
            all_y += [min(r[1] for r in on), max(r[3] for r in on)]
        else:
            xs[lv] = (0.0, 10.0)
    # every panel shows the same y range, so the floors line up as in the building
    y_lo, y_hi = (min(all_y) - _MARGIN_M, max(all_y) + _MARGIN_M) if all_y else (0.0, 10.0)
    widths = [xs[lv][1] - xs[lv][0] for lv in levels]
    scale = min(_MAX_SCALE_IN_PER_M, _MAX_WIDTH_IN / sum(widths))  # inches per metre
    fig_w = sum(widths) * scale + 0.9 * len(levels) + (1.3 if has_values else 0.3)
    fig_h = (y_hi - y_lo) * scale + 2.4
    return levels, rects, xs, (y_lo, y_hi), scale, (max(6.0, fig_w), max(4.0, fig_h))


#: Fixed placement (inches) inside a floorplan block: room left of a panel for its y tick labels
#: (and the first panel's y label), above it for the floor name, below it for the x tick labels
#: and x label; the colorbar's gap and width.
_FIXED_LEFT_IN = 0.7
_FIXED_TOP_IN = 0.35
_FIXED_XLABEL_IN = 0.5
_FIXED_CBAR_GAP_IN = 0.15
_FIXED_CBAR_W_IN = 0.18
#: The legend below the panels: font size, entries per row, and room for up to three rows.
_FIXED_LEGEND_PT = 9.0
_FIXED_LEGEND_COLS = 6
_FIXED_LEGEND_IN = 3 * _FIXED_LEGEND_PT * 1.9 / 72 + 0.1


def _fixed_places(
    fig: FigureBase,
    at_in: tuple[float, float] | None,
    size: tuple[float, float],
    widths: list[float],
    height_m: float,
    scale: float,
    has_values: bool,
    font: float,
) -> dict | None:
    """Figure-fraction rectangles of the panels and colorbar, and the legend's anchor, for a
    floorplan block of ``size`` inches at ``at_in`` (None: the layout engine places them).

    The panels are exactly ``width x height`` metres at ``scale`` inches per metre, side by side
    and centred in the block, with the vertical slack split above and below; the legend hangs
    below the x labels.
    """
    if at_in is None:
        return None
    if getattr(fig, "get_layout_engine", lambda: None)() is not None:
        raise ValueError("at_in needs a figure without a layout engine (layout=None)")
    fw, fh = fig.get_figure(root=True).get_size_inches()
    bx, by = at_in
    bw = size[0]
    panel_h = height_m * scale
    bh = panel_h + _FIXED_TOP_IN + _FIXED_XLABEL_IN + _FIXED_LEGEND_IN
    used_w = sum(widths) * scale + 0.9 * len(widths) + (1.3 if has_values else 0.3)
    bottom = by + bh - _FIXED_TOP_IN - panel_h  # any slack below the legend
    x = bx + max(0.0, bw - used_w) / 2 + _FIXED_LEFT_IN
    axes = []
    for w in widths:
        axes.append((x / fw, bottom / fh, w * scale / fw, panel_h / fh))
        x += w * scale + 0.9
    last_right = x - 0.9
    cbar_h = 0.85 * panel_h
    cbar = (
        (last_right + _FIXED_CBAR_GAP_IN) / fw,
        (bottom + (panel_h - cbar_h) / 2) / fh,
        _FIXED_CBAR_W_IN / fw,
        cbar_h / fh,
    )
    centre = (bx + max(0.0, bw - used_w) / 2 + _FIXED_LEFT_IN + last_right) / 2
    legend = (centre / fw, (bottom - _FIXED_XLABEL_IN) / fh)
    return {"axes": axes, "cbar": cbar, "legend": legend}


def floorplan_size_in(
    fp: Floorplan, *, values: bool = False, fixed: bool = False
) -> tuple[float, float]:
    """(width, height) in inches of the figure :func:`draw_floorplan` makes for ``fp``; with
    ``fixed``, of the block it draws with ``at_in`` (no slack around the panels, legend rows
    included)."""
    _, _, _, (y_lo, y_hi), scale, size = _layout(fp, values)
    if not fixed:
        return size
    panel_h = (y_hi - y_lo) * scale
    return size[0], panel_h + _FIXED_TOP_IN + _FIXED_XLABEL_IN + _FIXED_LEGEND_IN


def draw_floorplan(
    fp: Floorplan,
    *,
    values: Mapping[str, float] | None = None,
    value_label: str = "",
    cmap: str = "viridis_r",
    title: str | None = None,
    annotate: bool = True,
    highlight: Mapping[str, str] | None = None,
    into: FigureBase | None = None,
    at_in: tuple[float, float] | None = None,
    legend_extra: Sequence[Artist] = (),
    legend_rename: Mapping[str, str] | None = None,
) -> FigureBase:
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
    into : matplotlib.figure.FigureBase, optional
        Draw into this (sub)figure instead of a new one, so a report can put the floorplan and
        other panels in one figure rendered once; size it with :func:`floorplan_size_in`.
    at_in : (float, float), optional
        With ``into`` a figure without a layout engine: draw the floorplan as a block of
        ``floorplan_size_in(fp, values=..., fixed=True)`` inches whose lower-left corner is
        this far (inches) from the figure's lower-left corner. Panels, colorbar and legend are
        placed at fixed positions (the panels exactly at the drawing scale, the legend in 9 pt
        below them), which saves a constrained-layout pass.
    legend_extra : sequence of artists
        Extra legend entries (e.g. outlines the caller explains), after the floorplan's own.
    legend_rename : mapping of str to str, optional
        Rename the floorplan's own legend entries (e.g. ``"no value"``).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or ``into``.
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

    levels, rects, xs, (y_lo, y_hi), scale, size = _layout(fp, bool(values))
    widths = [xs[lv][1] - xs[lv][0] for lv in levels]
    font = max(5.0, min(7.0, 60 * scale))
    points_per_m = scale * 72
    fig = into if into is not None else Figure(figsize=size, layout="constrained")
    fixed = _fixed_places(fig, at_in, size, widths, y_hi - y_lo, scale, bool(values), font)
    if fixed is None:
        axes = fig.subplots(1, len(levels), squeeze=False, width_ratios=widths)[0]
    else:
        axes = [fig.add_axes(r) for r in fixed["axes"]]

    norm = cm = None
    if values:
        finite = [v for v in values.values() if v is not None and math.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        norm = mcolors.Normalize(lo, hi)
        cm = matplotlib.colormaps[cmap]

    def has_value(s: str) -> bool:
        v = values.get(s)
        return v is not None and not (isinstance(v, float) and math.isnan(v))

    used_kinds: set[str] = set()
    used_locks: set[str] = set()
    # doors with an audited condition or an unlockable entry door of a room to secure
    findings = {f.door: f.what for f in door_findings(fp)}
    any_finding = False
    any_hatch = any_never = any_missing = any_exterior = any_assembly = False

    for ax, lv in zip(axes, levels, strict=True):
        on_floor = [s for s, a in g.nodes(data=True) if a["floor"] == lv]
        ordered = sorted(on_floor, key=lambda s: g.nodes[s]["kind"] not in _BACKGROUND_KINDS)
        for s in ordered:
            a = g.nodes[s]
            kind = a["kind"]
            if kind == "exit":
                _draw_exit(ax, g, rects, s, font, highlight.get(s))
                continue
            x0, y0, x1, y1 = rects[s]
            if norm is not None:
                if not has_value(s):
                    face = mcolors.to_rgba(NO_VALUE_COLOUR)
                    any_missing = True
                elif math.isinf(values[s]):
                    face = mcolors.to_rgba(NEVER_COLOUR)
                    any_never = True
                else:
                    face = cm(norm(values[s]))
            else:
                face = mcolors.to_rgba(KIND_COLOURS.get(kind, "#ffffff"))
                used_kinds.add(kind)
            hatch = None if a["pa"] else "///"
            any_hatch = any_hatch or hatch is not None
            ax.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    facecolor=face,
                    edgecolor=EDGE_COLOUR,
                    linewidth=0.6,
                    hatch=hatch,
                    zorder=1 if kind in _BACKGROUND_KINDS else 2,
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
                w_pt, h_pt = (x1 - x0) * points_per_m, (y1 - y0) * points_per_m
                value_line = _format_value(float(values[s])) if has_value(s) else None
                text = _fit_label(str(a["label"]), w_pt, h_pt - (font if value_line else 0), font)
                if text is None:
                    text = _fit_label(s, w_pt, h_pt, font) or ""
                if value_line:
                    text = f"{text}\n{value_line}" if text else value_line
                ax.text(
                    (x0 + x1) / 2,
                    (y0 + y1) / 2,
                    text,
                    ha="center",
                    va="center",
                    fontsize=font,
                    color="white" if _luminance(face) < 0.45 else "black",
                    zorder=5,
                    clip_on=True,
                )

        any_assembly = _draw_assembly(ax, fp, rects, lv, font, annotate) or any_assembly
        # doors: a marker on the wall between the two spaces, shaped by lock type; one line
        # artist per marker style (a large site has tens of thousands of doors)
        door_marks: dict[tuple[str, str, bool], tuple[list[float], list[float]]] = {}
        for a_id, b_id, d in fp.connections():
            if d["kind"] != "door":
                continue
            if g.nodes[a_id]["floor"] != lv or g.nodes[b_id]["floor"] != lv:
                continue
            px, py = _door_xy(g, rects, a_id, b_id)
            marker, colour = LOCK_MARKERS.get(d["lock"], ("o", "#ffffff"))
            used_locks.add(d["lock"])
            exterior = bool(d["exterior"])
            any_exterior = any_exterior or exterior
            mx, my = door_marks.setdefault((marker, colour, exterior), ([], []))
            mx.append(px)
            my.append(py)
            if d["id"] in findings:
                any_finding = True
                ax.plot(
                    px,
                    py,
                    marker="o",
                    markersize=font * 2.2,
                    markerfacecolor="none",
                    markeredgecolor=FINDING_COLOUR,
                    markeredgewidth=1.8,
                    linestyle="",
                    zorder=6,
                )
                ax.annotate(
                    f"{d['id']}: {findings[d['id']].replace('_', ' ')}",
                    (px, py),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=font * 0.9,
                    color=FINDING_COLOUR,
                    fontweight="bold",
                    zorder=7,
                    clip_on=True,
                )
        for (marker, colour, exterior), (mx, my) in door_marks.items():
            ax.plot(
                mx,
                my,
                marker=marker,
                markersize=font * 1.1,
                color=colour,
                linestyle="",
                markeredgecolor=EXIT_COLOUR if exterior else "black",
                markeredgewidth=1.6 if exterior else 0.5,
                zorder=4,
            )

        ax.set_xlim(*xs[lv])
        ax.set_ylim(y_lo, y_hi)
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
    if any_finding:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="none",
                markeredgecolor=FINDING_COLOUR,
                markeredgewidth=1.8,
                linestyle="",
                markersize=10,
                label="door audit finding / door that cannot lock (action needed)",
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
    if any_assembly:
        handles.append(
            Patch(
                facecolor=KIND_COLOURS["assembly"],
                edgecolor=ASSEMBLY_EDGE,
                linestyle="--",
                label="assembly area (walkway dashed)",
            )
        )
    rename = legend_rename or {}
    for h in handles:
        h.set_label(rename.get(h.get_label(), h.get_label()))
    handles += list(legend_extra)
    if handles:
        where: dict = {
            "loc": "outside lower center",
            "ncols": min(len(handles), 7),
            "fontsize": max(6.0, font * 1.2),
        }
        if fixed is not None:  # a report figure: the legend as large as its other legends
            where = {
                "loc": "upper center",
                "bbox_to_anchor": fixed["legend"],
                "ncols": min(len(handles), _FIXED_LEGEND_COLS),
                "fontsize": _FIXED_LEGEND_PT,
            }
        fig.legend(handles=handles, frameon=False, **where)
    if norm is not None:
        if fixed is None:
            cbar = fig.colorbar(
                ScalarMappable(norm=norm, cmap=cm), ax=list(axes), shrink=0.85, pad=0.01
            )
        else:
            cbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cm), cax=fig.add_axes(fixed["cbar"]))
        cbar.set_label(value_label, fontsize=font * 1.4)
        cbar.ax.tick_params(labelsize=font * 1.2)
    if title is None:
        title = fp.name
    if title:
        fig.suptitle(title, fontsize=max(9.0, font * 2.0))
    return fig
