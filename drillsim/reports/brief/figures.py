"""The briefing's figures: floorplans (time to secure, or alert), SRO route and sweep, timeline.

Drawn on :class:`matplotlib.figure.Figure` directly and returned unrendered; the caller turns them
into PNG bytes (:func:`drillsim.reports.figures.figure_png`).
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.figure import Figure as MplFigure

from drillsim.floorplan import Floorplan
from drillsim.metrics.score import n_securable
from drillsim.metrics.summary import quantile
from drillsim.plan.compile import Plan
from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.brief.stats import route_weight
from drillsim.reports.figures import mark_floorplan, mark_sensitive
from drillsim.reports.wording import fmt_pct
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

ORIGIN_COLOUR = "#d62728"

POST_COLOUR = "#1f4e9c"

WOM_COLOUR = "#ff7f00"

SWEEP_COLOUR = "#6a3d9a"


def _levels(fp: Floorplan) -> list[int]:
    return fp.levels or sorted({int(fp.space(s)["floor"]) for s in fp.spaces})


def _rect(fp: Floorplan, sid: str) -> tuple[float, float, float, float]:
    a = fp.space(sid)
    w, h = float(a["size_w_m"]), float(a["size_h_m"])
    return a["x"] - w / 2, a["y"] - h / 2, a["x"] + w / 2, a["y"] + h / 2


def _waypoint(fp: Floorplan, a: str, b: str) -> tuple[float, float]:
    """Where the path from ``a`` to ``b`` crosses their shared wall (middle of the overlap)."""
    if fp.space(a)["kind"] == "exit":
        return float(fp.space(a)["x"]), float(fp.space(a)["y"])
    if fp.space(b)["kind"] == "exit":
        return float(fp.space(b)["x"]), float(fp.space(b)["y"])
    ra, rb = _rect(fp, a), _rect(fp, b)
    x0, x1 = max(ra[0], rb[0]), min(ra[2], rb[2])
    y0, y1 = max(ra[1], rb[1]), min(ra[3], rb[3])
    if x1 >= x0 - 0.5 and y1 >= y0 - 0.5:
        return (x0 + x1) / 2, (y0 + y1) / 2
    return (fp.space(a)["x"] + fp.space(b)["x"]) / 2, (fp.space(a)["y"] + fp.space(b)["y"]) / 2


def _polyline(
    fp: Floorplan, path: list[str], *, start_centre: bool, end_centre: bool
) -> list[tuple[int, float, float]]:
    """(floor, x, y) points along a path of spaces; floor changes break the drawn line."""
    pts: list[tuple[int, float, float]] = []
    if not path:
        return pts
    if start_centre:
        a = fp.space(path[0])
        pts.append((int(a["floor"]), float(a["x"]), float(a["y"])))
    for a, b in zip(path[:-1], path[1:], strict=True):
        fa, fb = int(fp.space(a)["floor"]), int(fp.space(b)["floor"])
        if fa != fb:
            pa, pb = fp.space(a), fp.space(b)
            pts.append((fa, float(pa["x"]), float(pa["y"])))
            pts.append((fb, float(pb["x"]), float(pb["y"])))
            continue
        x, y = _waypoint(fp, a, b)
        pts.append((fa, x, y))
    if end_centre:
        a = fp.space(path[-1])
        pts.append((int(a["floor"]), float(a["x"]), float(a["y"])))
    return pts


def _draw_line(axes_by_floor: dict, pts: list[tuple[int, float, float]], **kw: Any) -> None:
    run: list[tuple[float, float]] = []
    floor = None
    for f, x, y in [*pts, (None, 0.0, 0.0)]:
        if f != floor:
            if floor is not None and len(run) > 1 and floor in axes_by_floor:
                xs, ys = zip(*run, strict=True)
                axes_by_floor[floor].plot(xs, ys, **kw)
            run = []
            floor = f
        run.append((x, y))


def secured_floorplan_figure(loaded: LoadedScenario, stats: dict[str, Any]) -> MplFigure:
    """Floorplan coloured by each room's median time to secure, with coverage gaps marked."""
    from drillsim.floorplan import draw_floorplan

    fp = loaded.floorplan
    values = {r["room"]: r["secured_median_s"] for r in stats["rooms"]}
    highlight = {
        g["space"]: WOM_COLOUR for g in stats["coverage_gaps"] if g["share_word_of_mouth"] > 0.5
    }
    highlight[stats["origin"]] = ORIGIN_COLOUR
    fig = draw_floorplan(
        fp,
        values=values,
        value_label="median time to secure (s)",
        highlight=highlight,
        title=f"{fp.name}: expected time to secure each room (median of "
        f"{stats['provenance']['n_runs']} runs)",
    )
    _legend_note(
        fig,
        fp,
        [(ORIGIN_COLOUR, "drill origin"), (WOM_COLOUR, "alert usually by word of mouth only")],
    )
    return mark_floorplan(fig, f"seed {stats['provenance']['seed']}")


def alert_floorplan_figure(
    loaded: LoadedScenario, stats: dict[str, Any], result: BatchResult
) -> MplFigure:
    """Evacuation: floorplan coloured by median alert time, hazard zone outlined."""
    from drillsim.floorplan import draw_floorplan

    fp, plan = loaded.floorplan, result.plan
    values = {
        sid: quantile(result.space_alert_s[:, s], 0.5)
        for s, sid in enumerate(plan.space_ids)
        if plan.space_kind[s] != "exit"
    }
    highlight = {sid: WOM_COLOUR for sid in stats["evacuation"].get("avoid", [])}
    highlight[stats["origin"]] = ORIGIN_COLOUR
    fig = draw_floorplan(
        fp,
        values=values,
        value_label="median time alert heard (s)",
        highlight=highlight,
        title=f"{fp.name}: when each space hears the alert (median)",
    )
    _legend_note(
        fig, fp, [(ORIGIN_COLOUR, "drill origin"), (WOM_COLOUR, "zone evacuation routes avoid")]
    )
    return mark_floorplan(fig, f"seed {stats['provenance']['seed']}")


def _legend_note(fig: MplFigure, fp: Floorplan, items: list[tuple[str, str]]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor="none", edgecolor=c, linewidth=2.5, label=t) for c, t in items]
    _axes_legend(fig, fp, handles)


def _axes_legend(fig: MplFigure, fp: Floorplan, handles: list) -> None:
    """A legend in the first floor panel's upper left corner (keeps the title clear)."""
    ax = fig.axes[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.92)


def routes_figure(loaded: LoadedScenario, stats: dict[str, Any], plan: Plan) -> MplFigure:
    """The SRO's route from post to the drill origin, and the numbered door-check sweep."""
    from matplotlib.lines import Line2D

    from drillsim.floorplan import draw_floorplan

    fp = loaded.floorplan
    highlight = {stats["origin"]: ORIGIN_COLOUR}
    if stats["sro"]["post"]:
        highlight[stats["sro"]["post"]] = POST_COLOUR
    fig = draw_floorplan(
        fp,
        highlight=highlight,
        title=f"{fp.name}: SRO route to the drill origin"
        + (" and door-check sweep" if plan.protocol == "lockdown" else ""),
    )
    levels = _levels(fp)
    axes = dict(zip(levels, fig.axes[: len(levels)], strict=True))
    # sweep: origin -> door of each room in the plan's order (lockdown drills only)
    sweeps = plan.protocol == "lockdown" and plan.mode == "drill"
    sweep = stats["sro"]["sweep"] if sweeps else []
    here = stats["origin"]
    door_pts = []
    for row in sweep:
        path = nx.shortest_path(fp.graph, here, row["room"], weight=route_weight)
        pts = _polyline(fp, path, start_centre=False, end_centre=False)
        if here == stats["origin"]:
            o = fp.space(here)
            pts.insert(0, (int(o["floor"]), float(o["x"]), float(o["y"])))
        _draw_line(axes, pts, color=SWEEP_COLOUR, lw=1.1, ls=(0, (3, 2)), zorder=7, alpha=0.85)
        door_pts.append((row["order"], pts[-1] if pts else None))
        here = row["room"]
    for order, p in door_pts:
        if p is None or p[0] not in axes:
            continue
        axes[p[0]].annotate(
            str(order),
            (p[1], p[2]),
            ha="center",
            va="center",
            fontsize=6.5,
            color="white",
            zorder=9,
            bbox={"boxstyle": "circle,pad=0.18", "fc": SWEEP_COLOUR, "ec": "white", "lw": 0.5},
        )
    route = stats["sro"]["route"]
    if route:
        pts = _polyline(fp, route, start_centre=True, end_centre=True)
        _draw_line(axes, pts, color=POST_COLOUR, lw=3.2, zorder=8, solid_capstyle="round")
        f, x, y = pts[0]
        if f in axes:
            axes[f].plot(x, y, marker="o", ms=9, color=POST_COLOUR, zorder=9)
            axes[f].annotate(
                "SRO post",
                (x, y),
                xytext=(6, -12),
                textcoords="offset points",
                fontsize=7,
                color=POST_COLOUR,
                fontweight="bold",
                zorder=9,
            )
    o = fp.space(stats["origin"])
    if int(o["floor"]) in axes:
        ax = axes[int(o["floor"])]
        ax.plot(o["x"], o["y"], marker="X", ms=11, color=ORIGIN_COLOUR, mec="white", zorder=10)
        ax.annotate(
            "drill origin",
            (o["x"], o["y"]),
            xytext=(7, 7),
            textcoords="offset points",
            fontsize=7,
            color=ORIGIN_COLOUR,
            fontweight="bold",
            zorder=10,
        )
    handles = [
        Line2D([], [], color=POST_COLOUR, lw=3, label="SRO route (post → origin)"),
        Line2D([], [], marker="X", color=ORIGIN_COLOUR, ls="", ms=9, label="drill origin"),
    ]
    if sweeps:
        handles.insert(
            1,
            Line2D(
                [],
                [],
                color=SWEEP_COLOUR,
                lw=1.2,
                ls="--",
                label="door-check sweep (numbers: check order)",
            ),
        )
    _axes_legend(fig, fp, handles)
    return mark_floorplan(fig, f"seed {stats['provenance']['seed']}")


#: Colours for evacuation routes, one per exit (Okabe-Ito, then greys); blocked exits in red.
EXIT_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")


def evacuation_routes_figure(
    loaded: LoadedScenario, stats: dict[str, Any], plan: Plan
) -> MplFigure:
    """Each room's evacuation route (solid, coloured by exit) and posted alternate (dashed), the
    exits with their load and assembly distance, the walk on to each class's assembly area (when
    the floorplan has them), blocked exits crossed out."""
    from matplotlib.lines import Line2D

    from drillsim.floorplan import draw_floorplan

    fp = loaded.floorplan
    ev = stats["evacuation"]
    ids = plan.space_ids
    exits = [e["exit"] for e in ev["exits"]]
    colour = {e: EXIT_COLOURS[i % len(EXIT_COLOURS)] for i, e in enumerate(exits)}
    highlight = {stats["origin"]: ORIGIN_COLOUR}
    fig = draw_floorplan(fp, highlight=highlight, title=f"{fp.name}: evacuation routes")
    levels = _levels(fp)
    axes = dict(zip(levels, fig.axes[: len(levels)], strict=True))
    for r in ev["rooms"]:
        s = ids.index(r["room"])
        route = [ids[x] for x in plan.space_route[s]]
        alt = [ids[x] for x in plan.space_alternate[s]]
        if alt and (not route or alt[-1] != route[-1]):
            pts = _polyline(fp, alt, start_centre=True, end_centre=True)
            _draw_line(axes, pts, color="#555555", lw=0.9, ls=(0, (2, 2)), zorder=6, alpha=0.7)
        if route:
            pts = _polyline(fp, route, start_centre=True, end_centre=True)
            _draw_line(axes, pts, color=colour.get(route[-1], "#333333"), lw=1.6, zorder=7)
    # the walk on from each exit to the assembly areas its classes use (walkway path, exit colour)
    import networkx as nx

    walks = {(r["exit"], r["assembly"]) for r in ev["rooms"] if r["exit"] and r.get("assembly")}
    for ex, area in sorted(walks):
        path = nx.shortest_path(fp.outside, ex, area, weight="length_m")
        f = int(fp.space(ex)["floor"])
        if f in axes:
            xy = [(float(fp.space(n)["x"]), float(fp.space(n)["y"])) for n in path]
            axes[f].plot(*zip(*xy, strict=True), color=colour.get(ex, "#333333"), lw=1.3,
                         alpha=0.8, zorder=6)
    for e in ev["exits"]:
        a = fp.space(e["exit"])
        f = int(a["floor"])
        if f in axes:
            axes[f].plot(a["x"], a["y"], marker="s", ms=7, color=colour[e["exit"]], zorder=9)
            axes[f].annotate(
                f"{e['exit']}: {e['people']} people, {e['assembly_m']:.0f} m to "
                + (e["assembly"] or "assembly"),
                (a["x"], a["y"]),
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=6,
                color=colour[e["exit"]],
                fontweight="bold",
                zorder=10,
            )
    later = ev.get("blocked_later", {})
    for b in [*ev["blocked"], *later]:
        a = fp.space(b)
        f = int(a["floor"])
        if f in axes:
            axes[f].plot(
                a["x"], a["y"], marker="X", ms=11, color=ORIGIN_COLOUR, mec="white", zorder=10
            )
            axes[f].annotate(
                f"{b} blocked" + (f" from {later[b]:g} s" if b in later else ""),
                (a["x"], a["y"]),
                xytext=(6, -12),
                textcoords="offset points",
                fontsize=6.5,
                color=ORIGIN_COLOUR,
                fontweight="bold",
                zorder=10,
            )
    handles = [
        Line2D([], [], color=EXIT_COLOURS[0], lw=1.6, label="route to its exit (colour = exit)"),
        Line2D([], [], color="#555555", lw=0.9, ls="--", label="posted alternate"),
        Line2D([], [], marker="s", color="#333333", ls="", ms=6, label="exit (people routed)"),
    ]
    if walks:
        handles.append(
            Line2D([], [], color=EXIT_COLOURS[0], lw=1.3, alpha=0.8,
                   label="walk on to the class's assembly area")
        )
    if ev["blocked"] or later:
        handles.append(
            Line2D([], [], marker="X", color=ORIGIN_COLOUR, ls="", ms=8, label="blocked exit")
        )
    _axes_legend(fig, fp, handles)
    return mark_floorplan(fig, f"seed {stats['provenance']['seed']}")


def timeline_figure(result: BatchResult, stats: dict[str, Any]) -> MplFigure:
    """Share of rooms secured (lockdown) or people at assembly (evacuation) over time, 10–90 band."""
    plan = result.plan
    t = result.grid_s
    if plan.protocol == "lockdown":
        y = 100 * result.curves["rooms_secured"] / max(n_securable(plan), 1)
        ylabel, what = (
            "rooms secured (%)",
            f"share of the {n_securable(plan)} rooms to secure secured",
        )
        end_key = "time_last_secured_s"
    else:
        y = 100 * (1 - result.curves["unsecured"] / max(plan.n_persons, 1))
        ylabel, what = "people at an assembly point (%)", "people at assembly"
        end_key = "evacuation_time_s"
        if plan.protocol in PROFILES:  # Hold, Secure, Shelter, options (issue 9)
            prof = PROFILES[plan.protocol]
            ylabel, what, end_key = prof.curve_label, prof.curve_label[:-4], prof.end_metric
    med = np.median(y, axis=0)
    lo, hi = np.percentile(y, 10, axis=0), np.percentile(y, 90, axis=0)
    end = stats["metrics"][end_key]["p90"]
    xmax = min(float(t[-1]), (end if math.isfinite(end) else 300.0) * 1.25 + 20)
    xmax = max(xmax, 330.0 if plan.protocol == "lockdown" else 60.0)
    fig = MplFigure(figsize=(8.6, 3.9), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(t, lo, hi, color="#1b7837", alpha=0.2, step="post", label="10–90 % of runs")
    ax.step(t, med, where="post", color="#1b7837", lw=2, label="median run")
    if plan.protocol == "lockdown":
        for mark in (60, 120, 300):
            ax.axvline(mark, color="grey", lw=0.8, ls=":")
            share = stats["metrics"][f"rooms_secured_by_{mark}s"]["median"]
            ax.text(
                mark - 2,
                3,
                f"{mark} s: {fmt_pct(share)}",
                fontsize=8,
                color="#333",
                rotation=90,
                va="bottom",
                ha="right",
            )
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 101)
    ax.set_xlabel("time since the drill announcement (s)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(
        f"Expected {what} over time ({stats['provenance']['n_runs']} simulated runs)",
        fontsize=10,
        loc="left",
    )
    return mark_sensitive(fig, f"seed {stats['provenance']['seed']}")
