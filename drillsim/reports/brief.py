"""The drill briefing pack: what an SRO and a drill lead need before a drill, from a batch of runs.

One :class:`~drillsim.reports.pdf.Doc` is built from a :class:`~drillsim.run.BatchResult` and
rendered twice, to a self-contained HTML page (``briefing.html``) and to a PDF
(``briefing.pdf``). The pack holds: the floorplan with each room's expected time to secure and the
alert-coverage gaps; rooms at risk of never securing and why; hallway spaces where people may be
locked out; the expected timeline; the SRO's route to the drill origin and the door-check sweep;
the pre-drill agenda from trauma-informed drill guidance (roles, observers, announcement wording
that says it is a drill, notice status, accommodations, distress plan, keys for responders); an
observer sheet, printable and as a CSV template (``observer_sheet.csv``) that ``drillsim review``
reads back.

The threat appears only as an abstract "drill origin"; no individual student data is used.
"""

from __future__ import annotations

import base64
import csv
import io
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure as MplFigure

from drillsim.engines.batch import space_alerts
from drillsim.floorplan import Floorplan
from drillsim.metrics.summary import quantile, summarise
from drillsim.plan.compile import LOCK_NAMES, REASON_NAMES, STAIR_WEIGHT, Plan
from drillsim.reports.figures import SENSITIVE, mark_sensitive
from drillsim.reports.pdf import (
    BANNER,
    Box,
    Bullets,
    Doc,
    Fields,
    Figure,
    Heading,
    PageBreak,
    Para,
    Table,
    block_kind,
    render_pdf,
)
from drillsim.reports.staging import write_json
from drillsim.run.batch import BatchResult
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import LoadedScenario

#: Columns of the observer CSV template that ``drillsim review`` reads back.
OBSERVER_COLUMNS = ("room", "label", "observer", "alert_heard_s", "door_locked_s",
                    "lights_off_s", "safe_zone_s", "notes")
#: Evacuation drills record different moments.
EVAC_OBSERVER_COLUMNS = ("room", "label", "observer", "alert_heard_s", "left_room_s",
                         "assembly_reached_s", "notes")
#: Plain-language lock hardware names for people (not file keywords).
LOCK_WORDS = {
    "none": "no lock",
    "thumbturn": "thumbturn",
    "key_inside": "key (inside)",
    "key_outside": "key from hallway",
    "auto_locking": "auto-locking",
    "central": "central lock",
}
#: Spaces counted as "hallway" for locked-out risk (people start there outside any room).
HALLWAY_KINDS = ("corridor", "stair", "commons", "outdoor", "restroom", "cafeteria")
ORIGIN_COLOUR = "#d62728"
POST_COLOUR = "#1f4e9c"
WOM_COLOUR = "#ff7f00"
SWEEP_COLOUR = "#6a3d9a"
DEBRIEF_MIN = 30

_env: Environment | None = None


# -- formatting -----------------------------------------------------------------------------------
def fmt_s(x: float) -> str:
    """A time for people: "45 s", "312 s (5:12)", "never" (inf), "—" (nan)."""
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "never"
    if x < 120:
        return f"{x:.0f} s"
    return f"{x:.0f} s ({int(x // 60)}:{int(round(x % 60)) % 60:02d})"


def fmt_pct(x: float) -> str:
    """A share as a percentage: "62 %" ("—" for nan)."""
    x = float(x)
    return "—" if math.isnan(x) else f"{100 * x:.0f} %"


def fmt_m(x: float) -> str:
    """A distance in metres."""
    return "—" if not math.isfinite(float(x)) else f"{float(x):.0f} m"


# -- rendering ------------------------------------------------------------------------------------
def _environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=PackageLoader("drillsim.reports", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
            trim_blocks=False,
            lstrip_blocks=False,
        )
        _env.globals.update(kind=block_kind, data_uri=data_uri)
    return _env


def data_uri(png: bytes) -> str:
    """An inline ``data:`` URI for a PNG (no external files, works offline)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(doc: Doc, template: str = "brief.html.j2") -> str:
    """Render a Doc with a Jinja2 template (autoescaped; user-supplied text is always escaped)."""
    return _environment().get_template(template).render(
        doc=doc, banner=BANNER, banner_short=SENSITIVE
    )


def figure_png(fig: MplFigure, dpi: int = 110) -> bytes:
    """PNG bytes of a figure, without the (version-dependent) Software metadata."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    fig.clear()
    return buf.getvalue()


# -- statistics -----------------------------------------------------------------------------------
def _locks(plan: Plan, m: int) -> list[str]:
    return [LOCK_NAMES[int(plan.door_lock[d])] for d in plan.room_doors[m] if d >= 0] or ["none"]


def room_zones(plan: Plan, fp: Floorplan) -> dict[str, str]:
    """Room id -> the hallway (space label) its first door opens onto, for observer zones."""
    zones: dict[str, str] = {}
    g = fp.graph
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        zone = None
        for n in g.neighbors(rid):
            if g.edges[rid, n]["kind"] == "door" and fp.space(n)["kind"] in (
                "corridor", "commons", "outdoor", "stair", "cafeteria"
            ):
                zone = str(fp.space(n)["label"])
                break
        if zone is None:
            zone = next((str(fp.space(n)["label"]) for n in g.neighbors(rid)), "other")
        zones[rid] = zone
    return zones


def word_of_mouth_share(result: BatchResult, loaded: LoadedScenario) -> np.ndarray:
    """(S,) share of runs in which each space was alerted first by word of mouth.

    The formal channels (PA, app, radio, the initiator) are recomputed from the same draws without
    word of mouth; a space whose batch alert came earlier than that (or whose formal alert never
    came) was reached by word of mouth in that run.
    """
    plan = result.plan
    n = result.n_detail
    counts = np.zeros(plan.n_spaces)
    for lo in range(0, n, CHUNK_RUNS):  # chunk by chunk: person-level draws stay small
        draws = sample(plan, loaded.scenario, result.seed, min(CHUNK_RUNS, n - lo), first_run=lo)
        formal = space_alerts(plan, replace(draws, wom_hop_s=np.full(draws.n_runs, np.inf)))
        got = result.space_alert_s[lo : lo + draws.n_runs]
        # space_alert_s is float32: allow its rounding (a word-of-mouth lead is whole seconds)
        tol = 1e-5 * np.maximum(np.where(np.isfinite(formal), formal, 0.0), 1.0)
        counts += (np.isfinite(got) & (got < formal - tol)).sum(axis=0)
    return counts / max(n, 1)


def sro_route(plan: Plan, fp: Floorplan) -> list[str]:
    """Space ids on the SRO's (stair-weighted) shortest path from post to the drill origin."""
    if plan.sro_post < 0:
        return []
    return nx.shortest_path(fp.graph, plan.space_ids[plan.sro_post], plan.space_ids[plan.origin],
                            weight=_weight)


def _weight(a: str, b: str, d: dict) -> float:
    return d["length_m"] * (STAIR_WEIGHT if d["kind"] == "stair" else 1.0)


def _path_metres(fp: Floorplan, path: list[str]) -> tuple[float, float]:
    level = stair = 0.0
    for a, b in zip(path[:-1], path[1:], strict=True):
        d = fp.graph.edges[a, b]
        if d["kind"] == "stair":
            stair += d["length_m"]
        else:
            level += d["length_m"]
    return level, stair


def briefing_stats(loaded: LoadedScenario, result: BatchResult) -> dict[str, Any]:
    """Every number the briefing shows, as plain Python values (also written to briefing.json)."""
    plan, fp = result.plan, loaded.floorplan
    lockdown = plan.protocol == "lockdown"
    metrics = {k: summarise(v) for k, v in result.metrics.items()}
    for k in ("rooms_secured_by_60s", "rooms_secured_by_120s", "rooms_secured_by_300s"):
        if k in result.metrics:
            metrics[k]["p10"] = quantile(result.metrics[k], 0.1)
    zones = room_zones(plan, fp)
    rooms = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        attrs = fp.space(rid)
        sec = result.room_secured_s[:, m]
        never = np.isinf(sec) if lockdown else np.zeros(sec.shape, bool)
        reasons = Counter(int(r) for r in result.room_reason[never, m]) if lockdown else Counter()
        locks = _locks(plan, m)
        rooms.append({
            "room": rid,
            "label": str(attrs["label"]),
            "floor": fp.floor_name(int(attrs["floor"])),
            "zone": zones[rid],
            "locks": locks,
            "pa": bool(attrs["pa"]),
            "occupants": int((plan.person_room == m).sum()),
            "alert_median_s": quantile(result.room_alert_s[:, m], 0.5),
            "alert_p90_s": quantile(result.room_alert_s[:, m], 0.9),
            "secured_median_s": quantile(sec, 0.5) if lockdown else math.nan,
            "secured_p90_s": quantile(sec, 0.9) if lockdown else math.nan,
            "locked_median_s": quantile(result.room_locked_s[:, m], 0.5) if lockdown else math.nan,
            "share_never": float(never.mean()),
            "main_reason": REASON_NAMES[reasons.most_common(1)[0][0]] if reasons else "",
            "checked_median_s": quantile(result.room_checked_s[:, m], 0.5),
        })
    wom = word_of_mouth_share(result, loaded)
    occupied = set(np.unique(plan.person_space).tolist())
    coverage = []
    for s, sid in enumerate(plan.space_ids):
        kind = plan.space_kind[s]
        if kind == "exit":
            continue
        no_pa = not bool(plan.pa[s])
        # next to the origin, hearing it first from the person raising the alert is expected
        mostly_word = bool(wom[s] > 0.5 and s in occupied and plan.hops[plan.origin, s] > 1)
        if no_pa or mostly_word:
            coverage.append({
                "space": sid, "label": str(fp.space(sid)["label"]), "kind": kind,
                "pa": not no_pa, "occupied": s in occupied, "share_word_of_mouth": float(wom[s]),
                "alert_median_s": quantile(result.space_alert_s[:, s], 0.5),
                "alert_p90_s": quantile(result.space_alert_s[:, s], 0.9),
            })
    locked_out = []
    for s, sid in enumerate(plan.space_ids):
        col = result.space_locked_out[:, s]
        if col.any():
            locked_out.append({
                "space": sid, "label": str(fp.space(sid)["label"]), "kind": plan.space_kind[s],
                "share_runs": float((col > 0).mean()), "mean_count": float(col.mean()),
                "max_count": float(col.max()),
            })
    locked_out.sort(key=lambda r: (-r["share_runs"], r["space"]))
    route = sro_route(plan, fp)
    level_m, stair_m = _path_metres(fp, route) if route else (math.nan, math.nan)
    sweep = []
    for k, m in enumerate(plan.sweep_rooms):
        rid = plan.room_id(int(m))
        sweep.append({"order": k + 1, "room": rid, "label": str(fp.space(rid)["label"]),
                      "leg_m": float(plan.sweep_leg_m[k]), "locks": _locks(plan, int(m)),
                      "checked_median_s": quantile(result.room_checked_s[:, int(m)], 0.5)})
    sweep_end = (result.metrics["sro_arrival_s"] + result.metrics["sweep_time_s"]
                 if "sweep_time_s" in result.metrics else np.full(result.n_runs, np.nan))
    keys = [r for r in rooms if any(lk in ("key_inside", "key_outside") for lk in r["locks"])]
    people = plan.n_persons
    evac: dict[str, Any] = {}
    if not lockdown:
        exits = Counter(plan.space_ids[e] for e in plan.person_exit if e >= 0)
        evac = {
            "exits": [{"exit": e, "label": str(fp.space(e)["label"]), "people": n,
                       "assembly_m": float(fp.space(e)["assembly_distance_m"])}
                      for e, n in sorted(exits.items())],
            "avoid": list(plan.extras.get("avoid", [])),
            "no_route": int((plan.person_exit < 0).sum()),
        }
    return {
        "provenance": result.provenance,
        "protocol": plan.protocol,
        "mode": plan.mode,
        "people": people,
        "rooms_to_secure": plan.n_rooms,
        "origin": plan.space_ids[plan.origin],
        "origin_label": str(fp.space(plan.space_ids[plan.origin])["label"]),
        "metrics": metrics,
        "rooms": rooms,
        "coverage_gaps": coverage,
        "locked_out": locked_out,
        "sro": {
            "on_duty": plan.sro_on_duty,
            "post": plan.space_ids[plan.sro_post] if plan.sro_post >= 0 else None,
            "route": route,
            "route_level_m": level_m,
            "route_stair_m": stair_m,
            "arrival_median_s": metrics["sro_arrival_s"]["median"],
            "arrival_p90_s": metrics["sro_arrival_s"]["p90"],
            "sweep": sweep,
            "sweep_m": float(plan.sweep_leg_m.sum()),
            "sweep_end_median_s": quantile(sweep_end, 0.5),
            "sweep_end_p90_s": quantile(sweep_end, 0.9),
        },
        "keys": [{"room": r["room"], "label": r["label"], "locks": r["locks"]} for r in keys],
        "evacuation": evac,
        "sensitive": SENSITIVE,
    }


def expected_duration_min(stats: dict[str, Any]) -> int:
    """Minutes to plan for the drill itself (simulated p90 of its last step, rounded up)."""
    m = stats["metrics"]
    ends = [stats["sro"]["sweep_end_p90_s"]]
    for k in ("time_last_secured_s", "evacuation_time_s", "time_all_alerted_s"):
        if k in m:
            ends.append(m[k]["p90"])
    finite = [e for e in ends if math.isfinite(e)]
    return max(5, int(math.ceil(max(finite, default=300.0) / 60.0)))


# -- figures --------------------------------------------------------------------------------------
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


def _polyline(fp: Floorplan, path: list[str], *, start_centre: bool, end_centre: bool
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
    highlight = {g["space"]: WOM_COLOUR for g in stats["coverage_gaps"]
                 if g["share_word_of_mouth"] > 0.5}
    highlight[stats["origin"]] = ORIGIN_COLOUR
    fig = draw_floorplan(fp, values=values, value_label="median time to secure (s)",
                         highlight=highlight,
                         title=f"{fp.name}: expected time to secure each room (median of "
                               f"{stats['provenance']['n_runs']} runs)")
    _legend_note(fig, fp, [(ORIGIN_COLOUR, "drill origin"),
                           (WOM_COLOUR, "alert usually by word of mouth only")])
    return _floor_mark(fig, f"seed {stats['provenance']['seed']}")


def alert_floorplan_figure(loaded: LoadedScenario, stats: dict[str, Any],
                           result: BatchResult) -> MplFigure:
    """Evacuation: floorplan coloured by median alert time, hazard zone outlined."""
    from drillsim.floorplan import draw_floorplan

    fp, plan = loaded.floorplan, result.plan
    values = {sid: quantile(result.space_alert_s[:, s], 0.5)
              for s, sid in enumerate(plan.space_ids) if plan.space_kind[s] != "exit"}
    highlight = {sid: WOM_COLOUR for sid in stats["evacuation"]["avoid"]}
    highlight[stats["origin"]] = ORIGIN_COLOUR
    fig = draw_floorplan(fp, values=values, value_label="median time alert heard (s)",
                         highlight=highlight,
                         title=f"{fp.name}: when each space hears the alert (median)")
    _legend_note(fig, fp, [(ORIGIN_COLOUR, "drill origin"),
                           (WOM_COLOUR, "zone evacuation routes avoid")])
    return _floor_mark(fig, f"seed {stats['provenance']['seed']}")


def _floor_mark(fig: MplFigure, detail: str) -> MplFigure:
    """mark_sensitive, with a little more room so the marking clears the floorplan legend."""
    mark_sensitive(fig, detail)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0.045, 1, 0.955))
    return fig


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
    fig = draw_floorplan(fp, highlight=highlight,
                         title=f"{fp.name}: SRO route to the drill origin"
                               + (" and door-check sweep" if plan.protocol == "lockdown" else ""))
    levels = _levels(fp)
    axes = dict(zip(levels, fig.axes[: len(levels)], strict=True))
    # sweep: origin -> door of each room in the plan's order (lockdown drills only)
    sweeps = plan.protocol == "lockdown" and plan.mode == "drill"
    sweep = stats["sro"]["sweep"] if sweeps else []
    here = stats["origin"]
    door_pts = []
    for row in sweep:
        path = nx.shortest_path(fp.graph, here, row["room"], weight=_weight)
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
        axes[p[0]].annotate(str(order), (p[1], p[2]), ha="center", va="center", fontsize=6.5,
                            color="white", zorder=9,
                            bbox={"boxstyle": "circle,pad=0.18", "fc": SWEEP_COLOUR,
                                  "ec": "white", "lw": 0.5})
    route = stats["sro"]["route"]
    if route:
        pts = _polyline(fp, route, start_centre=True, end_centre=True)
        _draw_line(axes, pts, color=POST_COLOUR, lw=3.2, zorder=8, solid_capstyle="round")
        f, x, y = pts[0]
        if f in axes:
            axes[f].plot(x, y, marker="o", ms=9, color=POST_COLOUR, zorder=9)
            axes[f].annotate("SRO post", (x, y), xytext=(6, -12), textcoords="offset points",
                             fontsize=7, color=POST_COLOUR, fontweight="bold", zorder=9)
    o = fp.space(stats["origin"])
    if int(o["floor"]) in axes:
        ax = axes[int(o["floor"])]
        ax.plot(o["x"], o["y"], marker="X", ms=11, color=ORIGIN_COLOUR, mec="white", zorder=10)
        ax.annotate("drill origin", (o["x"], o["y"]), xytext=(7, 7), textcoords="offset points",
                    fontsize=7, color=ORIGIN_COLOUR, fontweight="bold", zorder=10)
    handles = [Line2D([], [], color=POST_COLOUR, lw=3, label="SRO route (post → origin)"),
               Line2D([], [], marker="X", color=ORIGIN_COLOUR, ls="", ms=9, label="drill origin")]
    if sweeps:
        handles.insert(1, Line2D([], [], color=SWEEP_COLOUR, lw=1.2, ls="--",
                                 label="door-check sweep (numbers: check order)"))
    _axes_legend(fig, fp, handles)
    return _floor_mark(fig, f"seed {stats['provenance']['seed']}")


def timeline_figure(result: BatchResult, stats: dict[str, Any]) -> MplFigure:
    """Share of rooms secured (lockdown) or people at assembly (evacuation) over time, 10–90 band."""
    plan = result.plan
    t = result.grid_s
    if plan.protocol == "lockdown":
        y = 100 * result.curves["rooms_secured"] / max(plan.n_rooms, 1)
        ylabel, what = "rooms secured (%)", "rooms secured"
        end_key = "time_last_secured_s"
    else:
        y = 100 * (1 - result.curves["unsecured"] / max(plan.n_persons, 1))
        ylabel, what = "people at an assembly point (%)", "people at assembly"
        end_key = "evacuation_time_s"
    med = np.median(y, axis=0)
    lo, hi = np.percentile(y, 10, axis=0), np.percentile(y, 90, axis=0)
    end = stats["metrics"][end_key]["p90"]
    xmax = min(float(t[-1]), (end if math.isfinite(end) else 300.0) * 1.25 + 20)
    xmax = max(xmax, 330.0 if plan.protocol == "lockdown" else 60.0)
    fig = MplFigure(figsize=(8.6, 3.9), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(t, lo, hi, color="#1b7837", alpha=0.2, step="post",
                    label="10–90 % of runs")
    ax.step(t, med, where="post", color="#1b7837", lw=2, label="median run")
    if plan.protocol == "lockdown":
        for mark in (60, 120, 300):
            ax.axvline(mark, color="grey", lw=0.8, ls=":")
            share = stats["metrics"][f"rooms_secured_by_{mark}s"]["median"]
            ax.text(mark - 2, 3, f"{mark} s: {fmt_pct(share)}", fontsize=8, color="#333",
                    rotation=90, va="bottom", ha="right")
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 101)
    ax.set_xlabel("time since the drill announcement (s)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Expected {what} over time ({stats['provenance']['n_runs']} simulated runs)",
                 fontsize=10, loc="left")
    return mark_sensitive(fig, f"seed {stats['provenance']['seed']}")


# -- the document ---------------------------------------------------------------------------------
def provenance_line(prov: dict[str, Any]) -> str:
    """One line of provenance for footers."""
    return (f"drillsim {prov['drillsim_version']} · {prov['scenario_file']} · seed {prov['seed']} · "
            f"{prov['n_runs']} runs · scenario sha256 {prov['scenario_sha256'][:12]}")


def about_numbers_box(prov: dict[str, Any], calibrated: bool = False) -> Box:
    """The evidence-honesty box every report carries."""
    first = (
        "These are simulated expectations, not measurements and not predictions of a real event. "
        "Most behaviour defaults (reaction, lock and safe-zone times, lock failure rates, alert "
        "latencies) are engineering placeholders tagged [U] in docs/parameters.md"
    )
    first += (" and have been calibrated from this school's own drill observations."
              if calibrated else
              "; they stay placeholders until calibrated from this school's own drill "
              "observations (drillsim review --calibrate).")
    return Box("About these numbers", (
        Para(first),
        Para("Each time is reported as the median run and the 90th-percentile run (p90: 9 in 10 "
             "simulated runs did better). \"Never\" means the event did not happen in that run "
             "(for example a lock failed); those runs count as slower than any time."),
        Para(f"Provenance: drillsim {prov['drillsim_version']}, scenario file "
             f"{prov['scenario_file']} ('{prov['scenario']}'), {prov['n_runs']} runs, seed "
             f"{prov['seed']}, engine {prov['engine']}, scenario sha256 "
             f"{prov['scenario_sha256'][:16]}…, floorplan sha256 "
             f"{prov['floorplan_sha256'][:16]}…. The same inputs and seed give the same numbers.",
             "note"),
    ), "info")


def drill_framing_box(protocol: str) -> Box:
    """The "this is a drill" framing at the top of every briefing."""
    action = "lockdown" if protocol == "lockdown" else "evacuation"
    return Box(f"This is a {action} DRILL — not a real event", (
        Para(f"This pack prepares an announced {action} drill: practice of protective actions "
             "(alert, lock, lights, out of sight; or leave by a safe route and account for "
             "everyone). The \"drill origin\" is an abstract location used only to time the "
             "response; nothing in this pack or in the drill depicts a threat."),
        Bullets((
            "Say \"This is a drill\" at the start and at the end of every announcement.",
            "No sound effects, no one acting out a threat, no props, no staged harm and no "
            "deception — trauma-informed drill guidance (NASP/NASRO, Everytown/AFT/NEA, "
            "National Academies 2025) advises against realistic simulation.",
            "Keep the drill developmentally appropriate; tell participants beforehand what will "
            "happen and why.",
            "Drill team and observers are not drawn from the people who would respond to a real "
            "event, so real-response capacity is never reduced by the drill.",
        )),
    ), "drill")


def agenda_blocks(stats: dict[str, Any], zones: dict[str, list[str]]) -> list:
    """The pre-drill agenda: roles, observers, announcements, notice, accommodations, distress."""
    lockdown = stats["protocol"] == "lockdown"
    duration = expected_duration_min(stats)
    blocks: list = [Heading("Pre-drill agenda", 2, "agenda")]
    blocks.append(Para(
        f"Plan about {duration} minutes for the drill itself (simulated p90 of its last step"
        + (", the SRO's door-check sweep" if lockdown and stats["sro"]["on_duty"] else "")
        + f") plus about {DEBRIEF_MIN} minutes for the hot wash (debrief) right after, and time "
        "for classroom conversations afterwards."))
    blocks.append(Heading("Roles", 3))
    roles = (
        ("Drill lead", "Principal or designee. Runs this agenda, confirms notices, starts and "
                       "ends the drill, chairs the hot wash."),
        ("Drill team", "Staff who run and observe the drill. Not drawn from the school's real "
                       "responders (SRO back-up, front-office emergency roles), so a real event "
                       "during the drill is still covered."),
        ("Observers (one per zone)", "Record times on the observer sheet; do not knock, test or "
                                     "enter rooms during the drill unless that is the plan."),
        ("SRO", "Informs dispatch that a drill is under way; walks the door-check sweep; stays "
                "ready for a real call throughout."),
        ("Office / PA operator", "Reads the announcements word for word; makes the end-of-drill "
                                 "announcement; logs the times of both."),
        ("Mental-health contact", "School counsellor, psychologist or social worker: present "
                                  "during and after; receives any distress report."),
        ("Accommodations lead", "Confirms each student's individual plan is known to the adults "
                                "with them (no individual data in this pack)."),
    )
    blocks.append(Table(("Role", "Name (fill in)", "Responsibility"),
                        tuple((r, "", d) for r, d in roles), widths=(1.3, 1.4, 4.0),
                        key="roles", row_keys=tuple(r for r, _ in roles)))
    blocks.append(Heading("Observer assignments", 3))
    blocks.append(Para("One observer per zone (the hallway rooms open onto). Each observer fills "
                       "in the observer sheet rows of their zone."))
    blocks.append(Table(("Zone", "Rooms", "Observer (fill in)"),
                        tuple((z, ", ".join(r), "") for z, r in zones.items()),
                        widths=(2.0, 3.6, 1.8), key="observers", row_keys=tuple(zones)))
    blocks.append(Heading("Announcement wording", 3))
    if lockdown:
        start = ("\"Attention please. This is a drill. Lockdown! Locks, lights, out of sight. "
                 "This is a drill.\" (say it twice)")
        end = ("\"Attention please. The lockdown drill is over. This was a drill. Thank you — "
               "teachers, please take a few minutes with your class.\"")
    else:
        start = ("\"Attention please. This is a drill. Evacuate! Leave the building by your "
                 "evacuation route and go to your assembly point. This is a drill.\" (say it "
                 "twice)")
        end = ("\"Attention please. The evacuation drill is over. This was a drill. Please "
               "return to class. Thank you.\"")
    blocks.append(Bullets((f"Start: {start}", f"End: {end}",
                           "Plain language, no codes; keep the wording next to the PA "
                           "microphone; tell the office how the all-clear is given.")))
    blocks.append(Heading("Notice status", 3))
    blocks.append(Para("Recommended: an announced drill. Trauma-informed guidance asks for advance "
                       "notice to staff, students and parents/guardians and no deception."))
    blocks.append(Bullets((
        "Staff notified in advance (date: ________)",
        "Students told in advance, in age-appropriate words (date: ________)",
        "Parents / guardians notified in advance (date: ________)",
        "Local police / dispatch told a drill is scheduled (date: ________)",
        "Custodial, food-service and transport staff included (date: ________)",
    ), checkbox=True))
    blocks.append(Heading("Accommodations for students with disabilities", 3))
    blocks.append(Bullets((
        "Each student's individual plan (mobility, sensory, language, medical) reviewed with the "
        "adults who will be with them.",
        "Alerts reach deaf / hard-of-hearing students and staff (visual signal, text, buddy).",
        "Translations of the notice and of the script for families who need them.",
        "Opt-out or alternative participation arranged where a student's team recommends it.",
        "No extra assistance is assumed unless it is in the school's real plan.",
    ), checkbox=True))
    blocks.append(Heading("Distress plan and contact", 3))
    blocks.append(Para("Any adult who sees a student or colleague in distress stops the drill "
                       "for them (not for the school), stays with them and calls the contact. "
                       "Offer a quiet place; tell the family the same day."))
    blocks.append(Fields(("Mental-health contact (name)", "Phone / radio channel",
                          "Location during the drill", "Back-up contact", "Opt-outs logged by")))
    blocks.append(Heading("Keys for responders", 3))
    if stats["keys"]:
        blocks.append(Para("These rooms' doors need a key to lock. Make sure each teacher has the "
                           "key on them, and that the SRO and responding officers carry a master "
                           "key that opens them."))
        blocks.append(Table(("Room", "Label", "Lock hardware", "Note"), tuple(
            (k["room"], k["label"], ", ".join(LOCK_WORDS[x] for x in k["locks"]),
             "adult steps into the hallway to lock" if "key_outside" in k["locks"]
             else "key needed from inside")
            for k in stats["keys"]), widths=(1.0, 2.4, 1.6, 2.6), key="keys",
            row_keys=tuple(k["room"] for k in stats["keys"])))
    else:
        blocks.append(Para("No room in this plan needs a key to lock. Responding officers still "
                           "need a master key for every securable door."))
    blocks.append(Bullets(("Master key / access card for the SRO and responding officers "
                           "(location: ________)",), checkbox=True))
    blocks.append(Heading("Hot wash (debrief) and classroom conversation", 3))
    blocks.append(Bullets((
        "Right after the drill, at most 30–60 minutes: how long the drill took, what worked, "
        "what needs improvement, what the response time would be if it were not a drill.",
        "Teachers give students a short, calm conversation: what we practised and why.",
        "Collect the observer sheets; run drillsim review on the filled CSV for the "
        "after-action report.",
    )))
    return blocks


def build_briefing_doc(loaded: LoadedScenario, result: BatchResult, stats: dict[str, Any],
                       figures: dict[str, bytes]) -> Doc:
    """The briefing as a Doc (rendered to HTML and to PDF)."""
    plan, fp, sc = result.plan, loaded.floorplan, loaded.scenario
    lockdown = plan.protocol == "lockdown"
    prov = stats["provenance"]
    m = stats["metrics"]
    zones: dict[str, list[str]] = {}
    for r in stats["rooms"]:
        zones.setdefault(r["zone"], []).append(r["room"])
    doc = Doc(
        title=f"{'Lockdown' if lockdown else 'Evacuation'} drill briefing: {sc.name}",
        subtitle=(f"{fp.name} · drill origin: {stats['origin_label']} ({stats['origin']}) · "
                  f"{stats['people']} people · {plan.n_rooms} rooms to "
                  f"{'secure' if lockdown else 'evacuate'}"),
        kind="Drill briefing",
        provenance=provenance_line(prov),
    )
    doc.add(drill_framing_box(plan.protocol))
    if sc.description:
        doc.add(Para(f"Scenario: {sc.description}", "note"))

    # timeline
    doc.add(Heading("Expected timeline", 2, "timeline"))
    rows, keys = [], []

    def row(key: str, label: str, lo_is_bad: bool = False, share: bool = False,
            note: str = "") -> None:
        if key not in m:
            return
        s = m[key]
        f = fmt_pct if share else fmt_s
        worse = s["p10"] if lo_is_bad else s["p90"]
        never = s["share_never"]
        if not share and never > 0 and not note:
            note = f"not reached in {fmt_pct(never)} of runs"
        rows.append((label, f(s["median"]), f(worse), note))
        keys.append(key)

    if lockdown:
        row("time_all_alerted_s", "Everyone has heard the alert")
        row("time_all_secured_s", "All rooms secured",
            note=(f"not reached in {fmt_pct(m['time_all_secured_s']['share_never'])} of runs "
                  "(at least one room never secured)"
                  if m["time_all_secured_s"]["share_never"] > 0 else ""))
        row("time_95_secured_s", "95 % of rooms secured")
        row("time_last_secured_s", "Last room that did secure")
        for t_mark in (60, 120, 300):
            row(f"rooms_secured_by_{t_mark}s", f"Share of rooms secured by {t_mark} s",
                lo_is_bad=True, share=True, note="worse case = 10th percentile")
        row("rooms_never_secured", "Rooms never secured (count)")
        rows[-1] = (rows[-1][0], f"{m['rooms_never_secured']['median']:.0f}",
                    f"{m['rooms_never_secured']['p90']:.0f}", "")
        row("sro_arrival_s", "SRO reaches the drill origin")
        if "sweep_time_s" in m and plan.mode == "drill":
            row("sweep_time_s", "SRO door-check sweep (duration)")
    else:
        row("time_all_alerted_s", "Everyone has heard the alert")
        row("time_95_evacuated_s", "95 % of people at an assembly point")
        row("evacuation_time_s", "Everyone at an assembly point")
        row("max_door_queue_s", "Longest wait of one person at doors")
        row("sro_arrival_s", "SRO reaches the drill origin")
    doc.add(Table(("Measure", "Median run", "Worse case (p90)", "Note"), tuple(rows),
                  widths=(3.0, 1.5, 1.5, 2.6), align=("l", "r", "r", "l"), key="timeline",
                  row_keys=tuple(keys)))
    doc.add(Figure(figures["timeline"], "Expected progress after the announcement: the line is "
                   "the median run, the band covers 8 in 10 runs.",
                   "Line chart of the share of rooms secured over time."))

    if lockdown:
        doc.add(Heading("Floorplan: expected time to secure each room", 2, "floorplan"))
        doc.add(Figure(figures["floorplan"], "Median time to secure each room (door locked and "
                       "occupants in the safe zone). Hatched: outside PA coverage. Orange outline: "
                       "the alert usually arrives only by word of mouth. Red outline: drill "
                       "origin. 'never': the room did not secure in most runs.",
                       "Floorplan coloured by median time to secure each room.", landscape=True))
        rrows, styles = [], []
        for r in sorted(stats["rooms"], key=lambda r: (r["zone"], r["room"])):
            rrows.append((r["room"], r["label"], r["zone"],
                          ", ".join(LOCK_WORDS[x] for x in r["locks"]),
                          "yes" if r["pa"] else "NO", fmt_s(r["alert_median_s"]),
                          fmt_s(r["secured_median_s"]), fmt_s(r["secured_p90_s"]),
                          fmt_pct(r["share_never"])))
            styles.append("flag" if r["share_never"] >= 0.10 or not r["pa"] else "")
        doc.add(Table(("Room", "Label", "Zone", "Lock", "PA", "Alert heard (median)",
                       "Secured (median)", "Secured (p90)", "Never secured"),
                      tuple(rrows), widths=(0.9, 1.7, 1.6, 1.1, 0.5, 0.9, 0.9, 1.0, 0.8),
                      align=("l", "l", "l", "l", "c", "r", "r", "r", "r"),
                      row_styles=tuple(styles), key="rooms",
                      row_keys=tuple(r[0] for r in rrows), font_size=7.5,
                      caption="Each room's expected times (shaded: outside PA or ≥ 10 % of runs "
                              "never secured)"))

        doc.add(Heading("Rooms at risk of never securing", 2, "never"))
        risky = sorted((r for r in stats["rooms"] if r["share_never"] > 0),
                       key=lambda r: (-r["share_never"], r["room"]))
        if risky:
            doc.add(Para("Share of simulated runs in which the room was never secured, with the "
                          "main simulated reason and what in the building contributes. Lock "
                          "failure rates are placeholders until checked against the school's own "
                          "door audits."))
            doc.add(Table(("Room", "Label", "Never secured", "Main reason", "Contributing"),
                          tuple((r["room"], r["label"], fmt_pct(r["share_never"]),
                                 r["main_reason"], _why(r)) for r in risky),
                          widths=(0.9, 2.0, 1.0, 1.4, 3.0), align=("l", "l", "r", "l", "l"),
                          row_styles=tuple("flag" if r["share_never"] >= 0.10 else ""
                                           for r in risky),
                          key="never", row_keys=tuple(r["room"] for r in risky)))
        else:
            doc.add(Para("Every room secured in every simulated run."))
    else:
        doc.add(Heading("Floorplan: alert and evacuation routes", 2, "floorplan"))
        doc.add(Figure(figures["floorplan"], "Median time each space hears the alert. Hatched: "
                       "outside PA coverage. Red: drill origin; orange: spaces evacuation routes "
                       "avoid.", "Floorplan coloured by median alert time.", landscape=True))
        ev = stats["evacuation"]
        doc.add(Heading("Exits and assembly", 3))
        doc.add(Table(("Exit", "Label", "People routed", "To assembly point"),
                      tuple((e["exit"], e["label"], str(e["people"]), fmt_m(e["assembly_m"]))
                            for e in ev["exits"]),
                      widths=(1.2, 2.6, 1.2, 1.4), align=("l", "l", "r", "r"), key="exits",
                      row_keys=tuple(e["exit"] for e in ev["exits"])))
        if ev["no_route"]:
            doc.add(Para(f"{ev['no_route']} people have no route to an exit in the floorplan.",
                         "note"))

    doc.add(Heading("Alert coverage gaps", 2, "coverage"))
    gaps = stats["coverage_gaps"]
    if gaps:
        doc.add(Para("Spaces outside PA coverage, and occupied spaces (beyond the drill origin's "
                     "immediate neighbours) where the alert arrived first by word of mouth in "
                     "most runs (no speaker, app or radio reached them first). Check speakers, "
                     "and plan who tells these spaces."))
        doc.add(Table(("Space", "Label", "Kind", "PA", "Alert by word of mouth",
                       "Alert heard (median)", "Alert heard (p90)"),
                      tuple((g["space"], g["label"], g["kind"], "yes" if g["pa"] else "NO",
                             fmt_pct(g["share_word_of_mouth"]), fmt_s(g["alert_median_s"]),
                             fmt_s(g["alert_p90_s"])) for g in gaps),
                      widths=(1.0, 2.2, 1.0, 0.6, 1.2, 1.1, 1.1),
                      align=("l", "l", "l", "c", "r", "r", "r"), key="coverage",
                      row_keys=tuple(g["space"] for g in gaps)))
    else:
        doc.add(Para("Every space is covered by the PA and hears a formal alert first."))

    if lockdown:
        doc.add(Heading("Hallway spaces with locked-out risk", 2, "lockedout"))
        lo = [x for x in stats["locked_out"]]
        if lo:
            doc.add(Para("People who start the drill in these spaces (hallways, restrooms, open "
                         "areas) found every nearby room already closed in some runs. Plan where "
                         "they go (nearest room that will hold the door, or a designated room) "
                         "and rehearse hallway recovery."))
            doc.add(Table(("Space", "Label", "Kind", "Runs with ≥ 1 locked out",
                           "People locked out (mean)", "(most)"),
                          tuple((x["space"], x["label"], x["kind"], fmt_pct(x["share_runs"]),
                                 f"{x['mean_count']:.1f}", f"{x['max_count']:.0f}") for x in lo),
                          widths=(1.0, 2.4, 1.0, 1.3, 1.3, 0.7),
                          align=("l", "l", "l", "r", "r", "r"), key="lockedout",
                          row_keys=tuple(x["space"] for x in lo)))
        else:
            doc.add(Para("No one was locked out in any simulated run."))

    doc.add(Heading("SRO route and door-check sweep" if lockdown else "SRO route", 2, "sro"))
    sro = stats["sro"]
    if sro["on_duty"] and sro["route"]:
        labels = [str(fp.space(s)["label"]) for s in sro["route"]]
        stair = (f" (of which {sro['route_stair_m']:.0f} m stairs)"
                 if sro["route_stair_m"] > 0 else "")
        doc.add(Para(f"Route from the SRO post to the drill origin: {' → '.join(labels)}; "
                     f"{sro['route_level_m'] + sro['route_stair_m']:.0f} m{stair}. Expected "
                     f"arrival after the announcement: median {fmt_s(sro['arrival_median_s'])}, "
                     f"p90 {fmt_s(sro['arrival_p90_s'])} (includes hearing the alert by radio "
                     "or PA and reacting)."))
        doc.add(Figure(figures["routes"], "Blue: SRO route from post to the drill origin."
                       + (" Purple dashes and numbers: door-check sweep order." if lockdown
                          else ""),
                       "Floorplan with the SRO route and the numbered door-check sweep.",
                       landscape=True))
        if lockdown and plan.mode == "drill":
            doc.add(Para(f"Door-check sweep over every securable door ({len(sro['sweep'])} "
                         f"rooms, {sro['sweep_m']:.0f} m stair-weighted): "
                         f"{fmt_s(m['sweep_time_s']['median'])} median, "
                         f"{fmt_s(m['sweep_time_s']['p90'])} p90; sweep complete "
                         f"{fmt_s(sro['sweep_end_median_s'])} after the announcement (median), "
                         f"{fmt_s(sro['sweep_end_p90_s'])} (p90). Tick each door as it is "
                         "checked."))
            doc.add(Table(("#", "Room", "Label", "Lock", "Leg", "Expected check (median)",
                           "Locked? ☐"),
                          tuple((str(s["order"]), s["room"], s["label"],
                                 ", ".join(LOCK_WORDS[x] for x in s["locks"]), fmt_m(s["leg_m"]),
                                 fmt_s(s["checked_median_s"]), "") for s in sro["sweep"]),
                          widths=(0.4, 0.9, 2.2, 1.2, 0.7, 1.3, 0.8),
                          align=("r", "l", "l", "l", "r", "r", "c"), key="sweep",
                          row_keys=tuple(s["room"] for s in sro["sweep"]), font_size=7.5))
    else:
        doc.add(Para("No SRO is on duty in this scenario: name who checks doors after the "
                     "drill."))

    doc.add(*agenda_blocks(stats, zones))
    doc.add(about_numbers_box(prov))
    doc.add(PageBreak())
    doc.add(*observer_sheet_blocks(stats, plan.protocol))
    return doc


def _why(r: dict[str, Any]) -> str:
    parts = []
    for lk in r["locks"]:
        if lk == "key_outside":
            parts.append("key lock from the hallway (adult must step out)")
        elif lk == "key_inside":
            parts.append("key lock (key needed)")
        elif lk == "none":
            parts.append("door has no lock hardware")
    if len(r["locks"]) > 1:
        parts.append(f"{len(r['locks'])} doors to lock")
    if not r["pa"]:
        parts.append("outside PA coverage (late alert)")
    if not parts:
        parts.append(f"{', '.join(LOCK_WORDS[x] for x in r['locks'])} lock can fail")
    return "; ".join(parts)


def observer_rows(stats: dict[str, Any]) -> list[dict[str, str]]:
    """Rows of the observer sheet, grouped by zone then room id."""
    return [{"room": r["room"], "label": r["label"], "zone": r["zone"]}
            for r in sorted(stats["rooms"], key=lambda r: (r["zone"], r["room"]))]


def observer_sheet_blocks(stats: dict[str, Any], protocol: str) -> list:
    """The printable observer sheet (one row per room with blanks)."""
    rows = observer_rows(stats)
    if protocol == "lockdown":
        cols = ("Room", "Label", "Observer", "Alert heard", "Door locked", "Lights off",
                "Safe zone", "Notes")
        what = ("times in seconds (or m:ss) since the start of the drill announcement; leave a "
                "box blank if it did not happen. Door locked blank = not secured.")
    else:
        cols = ("Room", "Label", "Observer", "Alert heard", "Left room", "At assembly", "Notes")
        what = "times in seconds (or m:ss) since the start of the drill announcement."
    return [
        Heading("Observer sheet", 2, "observer-sheet"),
        Para(f"One row per room; {what} Same columns as observer_sheet.csv — type the times "
             "into it after the drill and run drillsim review. Record no student names."),
        Table(cols, tuple((r["room"], r["label"], *([""] * (len(cols) - 2))) for r in rows),
              widths=(0.8, 1.6, 1.1, 0.8, 0.8, 0.8, 0.8, 1.6)[: len(cols)],
              key="observer", row_keys=tuple(r["room"] for r in rows), blank_rows=True,
              font_size=8),
        Bullets(("Alert clearly heard and understood in every space?",
                 "Hallways, restrooms and open areas cleared?",
                 "Rooms could contact the office?",
                 "End of drill clearly announced (\"This was a drill\")?"), checkbox=True),
    ]


def write_observer_csv(path: Path, stats: dict[str, Any], protocol: str) -> None:
    """The observer CSV template (header plus one row per room, times blank)."""
    cols = OBSERVER_COLUMNS if protocol == "lockdown" else EVAC_OBSERVER_COLUMNS
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in observer_rows(stats):
            w.writerow([r["room"], r["label"], *([""] * (len(cols) - 2))])


def write_briefing(loaded: LoadedScenario, result: BatchResult, out: Path) -> list[Path]:
    """Write briefing.html, briefing.pdf, observer_sheet.csv, briefing.json and the figures.

    ``out`` is the staging folder (the caller moves it into place when everything is written).
    """
    stats = briefing_stats(loaded, result)
    lockdown = result.plan.protocol == "lockdown"
    figs = {
        "timeline": timeline_figure(result, stats),
        "floorplan": (secured_floorplan_figure(loaded, stats) if lockdown
                      else alert_floorplan_figure(loaded, stats, result)),
        "routes": routes_figure(loaded, stats, result.plan),
    }
    pngs = {k: figure_png(f, dpi=110 if k == "timeline" else 140) for k, f in figs.items()}
    doc = build_briefing_doc(loaded, result, stats, pngs)
    paths = []
    p = out / "briefing.html"
    p.write_text(render_html(doc), encoding="utf-8")
    paths.append(p)
    p = out / "briefing.pdf"
    p.write_bytes(render_pdf(doc))
    paths.append(p)
    p = out / "observer_sheet.csv"
    write_observer_csv(p, stats, result.plan.protocol)
    paths.append(p)
    p = out / "briefing.json"
    write_json(p, stats)
    paths.append(p)
    (out / "figures").mkdir(exist_ok=True)
    for name, png in pngs.items():
        p = out / "figures" / f"{name}.png"
        p.write_bytes(png)
        paths.append(p)
    return paths
