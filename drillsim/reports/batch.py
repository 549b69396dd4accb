"""Files a batch writes: the per-run table, a per-room table, a JSON summary and three figures.

Everything written here is deterministic: the same :class:`~drillsim.run.BatchResult` always gives
the same bytes (no timestamps in Parquet, sorted JSON, PNGs saved without the software tag), so a
re-run can be checked with a plain file diff. The caller stages the folder
(:func:`drillsim.reports.staging.staged_output`); these writers only fill it.

Figures are drawn on :class:`matplotlib.figure.Figure` directly (no pyplot state), so they are
safe in workers and tests. Every figure carries the scenario name in its title, units on its axes
and a "SENSITIVE SECURITY INFORMATION" footer with the version, seed and run count.
"""

from __future__ import annotations

import csv as csv_module
import io
import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from drillsim import __version__
from drillsim.errors import DrillsimError
from drillsim.floorplan.model import Floorplan
from drillsim.metrics.score import METRICS, metric_names
from drillsim.metrics.summary import quantile, summarise
from drillsim.plan.compile import LOCK_NAMES, REASON_NAMES, REASON_OK
from drillsim.reports.staging import write_json
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

__all__ = ["RISK_SHARE", "write_batch_outputs"]

#: Resolution of every PNG, dots per inch.
DPI = 150
#: PNG metadata: drop the "Software" tag (matplotlib version) so the bytes depend only on the data.
PNG_METADATA: Mapping[str, str | None] = {"Software": None}
#: A room is outlined as "at risk" when it was never secured in at least this share of runs.
RISK_SHARE = 0.10
#: Height of the footer strip, the title strip and each subtitle line, inches.
FOOTER_IN = 0.3
TITLE_IN = 0.42
TITLE_LINE_IN = 0.26
SUBTITLE_LINE_IN = 0.22
#: Colours of medians, bands, p90 marks, at-risk outlines and "never" (colour-blind aware).
MEDIAN_COLOUR = "#0b4f8a"
BAND_COLOUR = "#3a7dc9"
P90_COLOUR = "#d55e00"
RISK_COLOUR = "#d7191c"
NEVER_COLOUR = "#e7298a"
ORIGIN_COLOUR = "#ff7f00"
NEVER_TEXT_COLOUR = "#8b0000"
FOOTER_COLOUR = "#8b0000"

#: Short axis labels (with units) for metrics shown in figures; others use METRICS' meaning.
METRIC_LABELS: Mapping[str, str] = {
    "time_all_alerted_s": "time last occupied space alerted (s)",
    "time_all_secured_s": "time every room secured (s)",
    "time_95_secured_s": "time to 95 % of rooms secured (s)",
    "time_last_secured_s": "time last room secured (s)",
    "rooms_secured_by_60s": "rooms secured within 60 s (share)",
    "rooms_secured_by_120s": "rooms secured within 120 s (share)",
    "rooms_secured_by_300s": "rooms secured within 300 s (share)",
    "rooms_never_secured": "rooms never secured (rooms)",
    "locked_out": "people locked out (persons)",
    "key_outside_exposure_s": "adult time in hallway locking from outside (s)",
    "evacuation_time_s": "evacuation time, last person at assembly (s)",
    "time_95_evacuated_s": "time to 95 % of people at assembly (s)",
    "max_door_queue_s": "longest door queueing of one person (s)",
    "unsecured_person_s": "person-seconds unsecured (person·s)",
    "peak_hallway": "peak people in hallways (persons)",
    "sro_arrival_s": "SRO reaches incident origin (s)",
    "sweep_time_s": "SRO door-check sweep duration (s)",
    "doors_unlocked_at_check": "rooms unlocked at SRO check (rooms)",
    "law_enforcement_arrival_s": "law enforcement on site (s)",
}


# ----------------------------------------------------------------------------------------------
# shared helpers (also used by drillsim.reports.compare)
# ----------------------------------------------------------------------------------------------


def metric_label(name: str) -> str:
    """Axis label of a metric, with its unit."""
    if name in METRIC_LABELS:
        return METRIC_LABELS[name]
    unit, meaning = METRICS.get(name, ("", name))
    return f"{meaning} ({unit})" if unit else meaning


def footer_text(provenance: Mapping) -> str:
    """The footer every figure carries: marking, version, seed and run count."""
    version = provenance.get("drillsim_version", __version__)
    return (
        f"SENSITIVE SECURITY INFORMATION — drillsim {version}, "
        f"seed {provenance.get('seed', '?')}, {provenance.get('n_runs', '?')} runs"
    )


def new_figure(width_in: float, height_in: float, *, footer: str, title: str,
               subtitle: str = "", subtitle_colour: str = "black") -> Figure:
    """A constrained-layout figure with a title (and subtitle) on top and the footer below.

    Title, subtitle and footer sit in strips the layout keeps clear, so no axis label or legend
    can run into them whatever the figure holds. Long titles (scenario names can be long) and
    subtitles are wrapped to the figure width.
    """
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    title = _wrap(title, width_in, 14.0, bold=True)
    subtitle = _wrap(subtitle, width_in, 10.5) if subtitle else ""
    n_title = title.count("\n") + 1
    n_sub = subtitle.count("\n") + 1 if subtitle else 0
    title_in = TITLE_IN + TITLE_LINE_IN * (n_title - 1)
    top_in = title_in + SUBTITLE_LINE_IN * n_sub
    fig.get_layout_engine().set(
        rect=(0.0, FOOTER_IN / height_in, 1.0, 1.0 - (FOOTER_IN + top_in) / height_in)
    )
    fig.suptitle(title, y=1.0 - 0.1 / height_in, va="top", fontsize=14, fontweight="bold")
    if subtitle:
        fig.text(0.5, 1.0 - (title_in + 0.02) / height_in, subtitle, ha="center", va="top",
                 fontsize=10.5, color=subtitle_colour, linespacing=1.3)
    add_footer(fig, footer)
    return fig


def _wrap(text: str, width_in: float, font_pt: float, bold: bool = False) -> str:
    """Wrap each paragraph of ``text`` to about the figure width (DejaVu Sans averages)."""
    per_line = max(30, int(width_in * 72 / (font_pt * (0.66 if bold else 0.58))))
    return "\n".join(textwrap.fill(part, per_line) for part in text.split("\n"))


def add_footer(fig: Figure, footer: str) -> None:
    """Write the footer centred at the bottom edge of ``fig``."""
    h = fig.get_size_inches()[1]
    fig.text(
        0.5,
        0.35 * FOOTER_IN / h,
        footer,
        ha="center",
        va="center",
        fontsize=8,
        color=FOOTER_COLOUR,
        fontweight="bold",
    )


def save_figure(fig: Figure, path: Path) -> Path:
    """Save a PNG at :data:`DPI` with no software tag (byte-identical on re-runs)."""
    fig.savefig(path, dpi=DPI, format="png", metadata=dict(PNG_METADATA))
    return path


def format_seconds(v: float) -> str:
    """A time for a label: ``"85 s"``, ``"never"`` for inf, ``"n/a"`` for nan."""
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "never"
    return f"{v:.0f} s" if abs(v) >= 10 else f"{v:.1f} s"


def format_value(v: float, unit: str) -> str:
    """A metric value with its unit for labels (shares as percentages)."""
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "never" if v > 0 else "-inf"
    if unit == "s":
        return format_seconds(v)
    if unit == "share":
        return f"{100 * v:.0f} %"
    if abs(v) >= 1000:
        return f"{v:,.0f} {unit}"
    return f"{v:.3g} {unit}"


def ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step ECDF of the finite values, as a share of *all* runs (inf runs keep it below 1)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    fin = x[np.isfinite(x)]
    y = np.arange(1, fin.size + 1) / max(n, 1)
    return fin, y


def _csv_value(v: object) -> object:
    """CSV cell: floats in shortest round-trip form, ``inf`` as "inf", nan as empty."""
    if isinstance(v, float | np.floating):
        v = float(v)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Deterministic CSV (``\\n`` line ends, floats as shortest round-trip text)."""
    buf = io.StringIO()
    w = csv_module.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_csv_value(v) for v in row])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _round(v: float, digits: int) -> float:
    return round(float(v), digits) if math.isfinite(v) else float(v)


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------


def _metric_columns(result: BatchResult) -> list[str]:
    return [m for m in metric_names(result.plan.protocol) if m in result.metrics]


def _run_columns(result: BatchResult) -> dict[str, np.ndarray]:
    """``run``, ``seed`` and every metric of the protocol, one value per run."""
    n = result.n_runs
    cols: dict[str, np.ndarray] = {
        "run": np.arange(n, dtype=np.int64),
        "seed": np.full(n, int(result.seed), dtype=np.int64),
    }
    cols.update({m: np.asarray(result.metrics[m], dtype=np.float64)
                 for m in _metric_columns(result)})
    return cols


def write_runs_csv(result: BatchResult, path: Path) -> Path:
    """The per-run table as CSV (``inf`` written as "inf", floats in round-trip form)."""
    cols = _run_columns(result)
    names = list(cols)
    rows = [[cols[c][i] for c in names] for i in range(result.n_runs)]
    return write_csv(path, names, rows)


def write_runs(result: BatchResult, out_dir: Path, *, csv: bool = False) -> list[Path]:
    """``runs.parquet`` (and ``runs.csv``): one row per run, ``run``, ``seed``, every metric.

    ``seed`` is the batch seed: run ``i`` of seed ``s`` is replayed with ``drillsim run``. The
    Parquet schema carries the provenance and each column's unit as metadata; nothing in it
    depends on the time of writing.
    """
    cols = _run_columns(result)
    fields = [pa.field("run", pa.int64()), pa.field("seed", pa.int64())]
    fields += [
        pa.field(m, pa.float64(), metadata={"unit": METRICS[m][0], "meaning": METRICS[m][1]})
        for m in list(cols)[2:]
    ]
    meta = {"drillsim.provenance": json.dumps(result.provenance, sort_keys=True)}
    schema = pa.schema(fields, metadata=meta)
    table = pa.table([pa.array(cols[f.name]) for f in fields], schema=schema)
    path = out_dir / "runs.parquet"
    pq.write_table(table, path, compression="snappy")
    written = [path]
    if csv:
        written.append(write_runs_csv(result, out_dir / "runs.csv"))
    return written


def _room_locks(result: BatchResult, m: int) -> str:
    """Lock hardware of a room's doors, in locking order, joined by ``+`` (``""`` if no door)."""
    plan = result.plan
    locks = [LOCK_NAMES[int(plan.door_lock[d])] for d in plan.room_doors[m] if d >= 0]
    return "+".join(locks)


def room_table(result: BatchResult, loaded: LoadedScenario) -> tuple[list[str], list[list]]:
    """Header and rows of ``rooms.csv``: one row per room to secure, in plan order.

    Lockdown rows give the median and p90 time secured, the share of runs in which the room was
    never secured, the most common reason *why* in those runs (empty if it always secured) and the
    median alert time. Evacuation rows keep the identification columns and the alert time only.
    Times are rounded to 0.1 s and shares to 0.001 for reading in a spreadsheet.
    """
    plan = result.plan
    fp = loaded.floorplan
    lockdown = plan.protocol == "lockdown"
    header = ["room", "label", "kind", "floor", "door_locks"]
    if lockdown:
        header += ["median_secured_s", "p90_secured_s", "share_never_secured",
                   "most_common_reason"]
    header += ["median_alert_s", "p90_alert_s"]
    rows: list[list] = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        attrs = fp.space(rid)
        row: list = [rid, attrs["label"], attrs["kind"], int(attrs["floor"]),
                     _room_locks(result, m)]
        if lockdown:
            sec = result.room_secured_s[:, m]
            never = ~np.isfinite(sec)
            reasons = result.room_reason[never, m].astype(np.int64)
            reasons = reasons[reasons != REASON_OK]
            reason = ""
            if reasons.size:
                counts = np.bincount(reasons, minlength=max(REASON_NAMES) + 1)
                reason = REASON_NAMES.get(int(np.argmax(counts)), str(int(np.argmax(counts))))
            row += [
                _round(quantile(sec, 0.5), 1),
                _round(quantile(sec, 0.9), 1),
                _round(float(np.mean(never)), 3),
                reason,
            ]
        alert = result.room_alert_s[:, m]
        row += [_round(quantile(alert, 0.5), 1), _round(quantile(alert, 0.9), 1)]
        rows.append(row)
    return header, rows


def summary_dict(result: BatchResult) -> dict:
    """``summary.json``: provenance plus, per metric, :func:`summarise` with unit and meaning."""
    metrics = {}
    for m in _metric_columns(result):
        unit, meaning = METRICS[m]
        metrics[m] = {**summarise(result.metrics[m]), "unit": unit, "meaning": meaning}
    return {"provenance": dict(result.provenance), "metrics": metrics}


# ----------------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------------


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            color=NEVER_TEXT_COLOUR, wrap=True)


def _distribution_panel(ax: Axes, values: np.ndarray, label: str, never_note: str,
                        bins: np.ndarray | None) -> None:
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
    heights, _, _ = ax.hist(fin, bins=bins if bins is not None else "auto",
                            weights=np.full(fin.size, 100.0 / n), color=BAND_COLOUR, alpha=0.55,
                            edgecolor="white", linewidth=0.5)
    med, p90 = quantile(x, 0.5), quantile(x, 0.9)
    handles = []
    for q, v, colour, style in (("median", med, MEDIAN_COLOUR, "-"),
                                ("90th percentile", p90, P90_COLOUR, "--")):
        if math.isfinite(v):
            ax.axvline(v, color=colour, linestyle=style, linewidth=2)
            handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=2,
                                  label=f"{q}: {format_seconds(v)}"))
        else:
            tail = "half" if q == "median" else "10 %"
            handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=2,
                                  label=f"{q}: never (over {tail} of runs never got there)"))
    if share_never > 0:
        handles.append(Patch(facecolor="white", edgecolor="white",
                             label=f"not reached in {_share_text(share_never)} of runs\n"
                                   f"{never_note}"))
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


def _title(loaded: LoadedScenario, what: str) -> str:
    return f"{loaded.scenario.name}: {what}"


def figure_secured_distribution(result: BatchResult, loaded: LoadedScenario) -> Figure:
    """How long securing (lockdown) or evacuating takes, over all runs.

    Lockdown: time to 95 % of rooms secured and time the last room secured, each a histogram
    with the median and p90 marked, plus the share of runs in which some room never secured.
    Evacuation: evacuation time and time to 95 % evacuated.
    """
    plan = result.plan
    n = result.n_runs
    if plan.protocol == "lockdown":
        m_rooms = plan.n_rooms
        k = max(math.ceil(0.95 * m_rooms), 1)
        names = ("time_95_secured_s", "time_last_secured_s")
        notes = (
            f"({m_rooms - k + 1} or more of the {m_rooms} rooms never secured)",
            "(no room secured at all)",
        )
        titles = (f"95 % of rooms secured ({k} of {m_rooms} rooms)",
                  "Last room secured (of the rooms that did secure)")
        never_counts = np.asarray(result.metrics["rooms_never_secured"], dtype=float)
        never_any = float(np.mean(never_counts > 0)) if n else 0.0
        title = _title(loaded, "time to secure rooms in lockdown")
        # the statement a planner reads first: how often the lockdown stays incomplete
        unsecured = ~np.isfinite(result.room_secured_s)
        per_reason = {
            name: np.sum(unsecured & (result.room_reason == code)) / max(result.n_detail, 1)
            for code, name in sorted(REASON_NAMES.items()) if code != REASON_OK
        }
        causes = ", ".join(f"{v:.1f} {k}" for k, v in per_reason.items() if v > 0) or "none"
        subtitle = (
            f"In {_share_text(never_any)} of runs at least one room was never secured. "
            f"Rooms never secured per run: median {quantile(never_counts, 0.5):.0f}, "
            f"p90 {quantile(never_counts, 0.9):.0f} of {m_rooms}; on average {causes}.\n"
            "Which rooms: rooms.csv and room_ranges.png."
        )
        colour = NEVER_TEXT_COLOUR if never_any > 0 else "black"
    else:
        names = ("evacuation_time_s", "time_95_evacuated_s")
        notes = ("(someone never reached the assembly point)",
                 "(fewer than 95 % reached the assembly point)")
        titles = ("Everyone at the assembly point", "95 % of people at the assembly point")
        title = _title(loaded, "evacuation time")
        evac = np.asarray(result.metrics["evacuation_time_s"], dtype=float)
        share = float(np.mean(~np.isfinite(evac))) if n else 0.0
        subtitle = (f"{plan.n_persons} people in the school. In {_share_text(share)} of runs "
                    "someone never reached the assembly point.")
        colour = NEVER_TEXT_COLOUR if share > 0 else "black"
    fig = new_figure(13.0, 5.8, footer=footer_text(result.provenance), title=title,
                     subtitle=subtitle, subtitle_colour=colour)
    axes = fig.subplots(1, 2)
    bins = _shared_bins([np.asarray(result.metrics[m], dtype=float) for m in names])
    for ax, m, note, t in zip(axes, names, notes, titles, strict=True):
        _distribution_panel(ax, result.metrics[m], metric_label(m), note, bins)
        ax.set_title(t, fontsize=11)
    if bins is not None:
        pad = 0.02 * (bins[-1] - bins[0])
        for ax in axes:
            ax.set_xlim(bins[0] - pad, bins[-1] + pad)
    return fig


def _settle_index(bands: np.ndarray) -> int:
    """Last grid index at which any band curve still changes (curves are flat afterwards)."""
    change = np.any(bands[:, 1:] != bands[:, -1:], axis=0)
    idx = np.flatnonzero(change)
    return int(idx[-1]) + 1 if idx.size else 0


def _band_panel(ax: Axes, grid: np.ndarray, data: np.ndarray, colour: str, label: str) -> None:
    q = np.percentile(np.asarray(data, dtype=float), [10, 25, 50, 75, 90], axis=0)
    ax.fill_between(grid, q[0], q[4], color=colour, alpha=0.18, linewidth=0,
                    label="10–90 % of runs")
    ax.fill_between(grid, q[1], q[3], color=colour, alpha=0.38, linewidth=0,
                    label="middle 50 % of runs")
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
    uns = np.asarray(result.curves["unsecured"], dtype=float)
    bands = [np.percentile(uns, [10, 50, 90], axis=0)]
    if lockdown:
        rooms = np.asarray(result.curves["rooms_secured"], dtype=float)
        bands.append(np.percentile(rooms, [10, 50, 90], axis=0))
    settle = max(_settle_index(b) for b in bands)
    end = min(grid.size - 1, settle + max(2, math.ceil(0.15 * settle)))
    if plan.protocol == "lockdown":
        what = "not yet secured"
        title = _title(loaded, "people not yet secured over time (lockdown)")
        subtitle = ("Secured = inside a locked room, in its safe zone. People locked out of every "
                    "room stay unsecured.")
    else:
        what = "not yet at the assembly point"
        title = _title(loaded, "people still evacuating over time")
        subtitle = "Safe = at the assembly point outside."
    if end < grid.size - 1:
        subtitle += (f" Curves stay flat from {grid[min(settle, grid.size - 1)]:.0f} s up to "
                     f"the {plan.horizon_s:.0f} s horizon (not shown).")
    fig = new_figure(11.0, 8.2 if lockdown else 5.4, footer=footer_text(result.provenance),
                     title=title, subtitle=subtitle)
    axes = fig.subplots(2 if lockdown else 1, 1, sharex=True, squeeze=False)[:, 0]
    _band_panel(axes[0], grid, uns, BAND_COLOUR, f"people {what} (persons)")
    axes[0].set_title(f"People {what} (of {plan.n_persons} in the school at the start)",
                      fontsize=11)
    axes[0].legend(loc="upper right", fontsize=9)
    if lockdown:
        ax = axes[1]
        _band_panel(ax, grid, rooms, "#2a9d5c", f"rooms secured (of {plan.n_rooms})")
        ax.axhline(plan.n_rooms, color="black", linestyle=":", linewidth=1.2)
        ax.annotate(f"all {plan.n_rooms} rooms", xy=(0.0, plan.n_rooms),
                    xycoords=("axes fraction", "data"), xytext=(4, 3),
                    textcoords="offset points", ha="left", va="bottom", fontsize=9)
        k95 = math.ceil(0.95 * plan.n_rooms)
        ax.axhline(k95, color=P90_COLOUR, linestyle="--", linewidth=1.0)
        ax.annotate(f"95 % of rooms ({k95})", xy=(0.0, k95), xycoords=("axes fraction", "data"),
                    xytext=(4, -3), textcoords="offset points", ha="left", va="top",
                    fontsize=9, color=P90_COLOUR)
        ax.set_ylim(0, plan.n_rooms * 1.1 + 0.5)
        ax.set_title("Rooms secured (door locked, occupants in the safe zone)", fontsize=11)
        ax.legend(loc="center right", fontsize=9)
    axes[-1].set_xlim(0, grid[end] if end > 0 else grid[-1])
    axes[-1].set_xlabel("time since the incident started (s)")
    return fig


def _share_text(share: float) -> str:
    """A share of runs as a percentage that never rounds a non-zero share to "0 %"."""
    if 0 < share < 0.005:
        return "<1 %"
    if 0.995 < share < 1:
        return ">99 %"
    return f"{100 * share:.0f} %"


def _range_bars(ax: Axes, labels: Sequence[str], med: np.ndarray, p90: np.ndarray,
                never: np.ndarray, reasons: Sequence[str], x_max: float) -> None:
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
            ax.text(x_end * 0.5, yi, f"never secured {how} (mostly: {why})", va="center",
                    ha="center", fontsize=8, color=NEVER_TEXT_COLOUR)
            continue
        right = p if math.isfinite(p) else x_end
        ax.barh(yi, right - m, left=m, height=0.6, color=BAND_COLOUR, alpha=0.6,
                hatch=None if math.isfinite(p) else "///", edgecolor="white")
        ax.plot([m], [yi], marker="|", markersize=12, color=MEDIAN_COLOUR, markeredgewidth=2.5)
        if math.isfinite(p):
            ax.plot([p], [yi], marker="|", markersize=12, color=P90_COLOUR, markeredgewidth=2.5)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlim(0, x_max * 1.42)
    ticks = [t for t in ax.get_xticks() if 0 <= t <= x_max * 1.02]
    ax.set_xticks([*ticks, (x_never + x_end) / 2],
                  [f"{t:.0f}" for t in ticks] + ["never"])
    for yi, nv in zip(y, never, strict=True):
        if nv > 0:
            risky = nv >= RISK_SHARE
            ax.text(x_max * 1.41, yi, f"never {_share_text(nv)}", va="center", ha="right",
                    fontsize=8, color=RISK_COLOUR if risky else "#555555",
                    fontweight="bold" if risky else "normal")
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("time room secured, from incident start (s)")


def _bars_legend(fig: Figure) -> None:
    fig.legend(handles=[
        Line2D([], [], marker="|", markersize=12, color=MEDIAN_COLOUR, linestyle="",
               markeredgewidth=2.5, label="median time secured"),
        Line2D([], [], marker="|", markersize=12, color=P90_COLOUR, linestyle="",
               markeredgewidth=2.5, label="90th percentile"),
        Patch(facecolor=BAND_COLOUR, alpha=0.6, hatch="///", edgecolor="white",
              label="90th percentile is 'never' (room not secured in over 10 % of runs)"),
        Patch(facecolor=NEVER_COLOUR, alpha=0.25,
              label="median is 'never' (room not secured in most runs)"),
    ], loc="outside lower center", ncols=4, fontsize=9, frameon=False)


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
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(handles), 6),
               fontsize=9, frameon=False)


def _paste(pictures: Sequence[np.ndarray], footer: str) -> np.ndarray:
    """Stack rendered pictures top to bottom pixel for pixel (no resampling), footer below."""
    width_px = max(p.shape[1] for p in pictures)
    strip = Figure(figsize=(width_px / DPI, FOOTER_IN))
    strip.text(0.5, 0.35, footer, ha="center", va="center", fontsize=8, color=FOOTER_COLOUR,
               fontweight="bold")
    rows = []
    for p in [*pictures, _render(strip)]:
        pad = width_px - p.shape[1]
        canvas = np.full((p.shape[0], width_px, 4), 255, dtype=np.uint8)
        canvas[:, pad // 2:pad // 2 + p.shape[1]] = p
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
    key = [Patch(fill=False, edgecolor=ORIGIN_COLOUR, linewidth=2.5,
                 label=f"incident origin ({origin})")]
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
        key.append(Patch(fill=False, edgecolor=RISK_COLOUR, linewidth=2.5,
                         label=f"at risk: never secured in ≥ {100 * RISK_SHARE:.0f} % of runs "
                               f"({len(at_risk)} of {plan.n_rooms} rooms)"))
        map_title = _title(loaded, "median time each room was secured (lockdown)")
        label = "median time room secured, from incident start (s)"
        rename = {"no value": "not a room to secure", "never": "never secured in most runs"}
    else:
        occupied = sorted({int(s) for s in plan.person_space})
        values = {plan.space_ids[s]: quantile(result.space_alert_s[:, s], 0.5) for s in occupied
                  if plan.space_kind[s] != "exit"}
        map_title = _title(loaded, "median time the alert reached each occupied space "
                                   "(evacuation)")
        label = "median alert time, from incident start (s)"
        rename = {"no value": "nobody there at the start", "never": "never alerted in most runs"}
    finite = [v for v in values.values() if math.isfinite(v)]
    if finite:  # the colour scale spans only the values present: say how narrow it is
        map_title += f"\ncolours span {min(finite):.0f}–{max(finite):.0f} s"
    fp_fig = draw_floorplan(fp, values=values, value_label=label, title=map_title,
                            highlight=highlight)
    _merge_legend(fp_fig, key, rename)
    pictures = [_render(fp_fig)]
    if lockdown and plan.n_rooms:
        bars = _bars_figure(pictures[0].shape[1] / DPI, ids, fp, med, p90, never, reasons)
        pictures.append(_render(bars))
    return _paste(pictures, footer)


def _bars_figure(width_in: float, ids: Sequence[str], fp: Floorplan, med: np.ndarray,
                 p90: np.ndarray, never: np.ndarray, reasons: Sequence[str]) -> Figure:
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
        part = order[c * per_col:(c + 1) * per_col]
        if not part:
            ax.set_axis_off()
            continue
        labels = []
        for m in part:
            lab = str(fp.space(ids[m])["label"])
            labels.append(lab if ids[m] in lab else f"{ids[m]} ({lab})")
        _range_bars(ax, labels, med[part], p90[part], never[part], [reasons[m] for m in part],
                    x_max)
        if n_cols > 1:
            ax.set_title(f"part {c + 1} of {n_cols}", fontsize=9, loc="left")
    _bars_legend(fig)
    fig.suptitle(
        "Per-room range of the time secured: median to 90th percentile, sorted by the 90th "
        "percentile (worst first); at the right, the share of runs the room was never secured",
        fontsize=12, fontweight="bold")
    return fig


def write_figures(result: BatchResult, loaded: LoadedScenario, out_dir: Path) -> list[Path]:
    """The three batch figures as PNGs in ``out_dir``."""
    return [
        save_figure(figure_secured_distribution(result, loaded),
                    out_dir / "secured_distribution.png"),
        save_figure(figure_unsecured_band(result, loaded), out_dir / "unsecured_band.png"),
        save_pixels(room_ranges_pixels(result, loaded), out_dir / "room_ranges.png"),
    ]


# ----------------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------------


def write_batch_outputs(
    result: BatchResult, loaded: LoadedScenario, out_dir: Path, *, csv: bool = False
) -> list[Path]:
    """Write every batch output file into ``out_dir`` (which must exist).

    Parameters
    ----------
    result : BatchResult
        The batch to report (from :func:`drillsim.run.run_batch_job`).
    loaded : LoadedScenario
        The scenario and floorplan the batch ran on (room labels, floorplan drawing).
    out_dir : Path
        Folder to write into; the caller stages it with
        :func:`~drillsim.reports.staging.staged_output`.
    csv : bool
        Also write ``runs.csv`` next to ``runs.parquet``.

    Returns
    -------
    list of Path
        ``runs.parquet`` [``runs.csv``], ``rooms.csv``, ``summary.json``,
        ``secured_distribution.png``, ``unsecured_band.png``, ``room_ranges.png``.

    Raises
    ------
    DrillsimError
        If ``result`` was not computed on ``loaded`` (their floorplans differ).
    """
    out_dir = Path(out_dir)
    if result.plan.floorplan_digest != loaded.floorplan.digest():
        raise DrillsimError(
            f"batch result of scenario '{result.plan.name}' was computed on a different floorplan "
            f"than scenario '{loaded.scenario.name}'; pass the LoadedScenario the batch ran on"
        )
    written = write_runs(result, out_dir, csv=csv)
    header, rows = room_table(result, loaded)
    written.append(write_csv(out_dir / "rooms.csv", header, rows))
    path = out_dir / "summary.json"
    write_json(path, summary_dict(result))
    written.append(path)
    written += write_figures(result, loaded, out_dir)
    return written
