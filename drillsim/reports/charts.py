"""Chart conventions of the batch and comparison figures.

Every figure is drawn on :class:`matplotlib.figure.Figure` directly (no pyplot state), so it is
safe in workers and tests. It carries the scenario name in its title, units on its axes and a
"SENSITIVE SECURITY INFORMATION" footer with the version, seed and run count, in strips the
constrained layout keeps clear. PNGs are saved at :data:`DPI` without the software tag, so the
same data always gives the same bytes.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from drillsim import __version__
from drillsim.metrics.score import METRICS
from drillsim.reports.figures import PNG_METADATA, SENSITIVE
from drillsim.scenario.load import LoadedScenario

#: Resolution of every PNG, dots per inch.
DPI = 150
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
    "max_door_queue_s": "longest queueing of one person (s)",
    "time_all_outside_s": "time everyone is outside (s)",
    "time_all_accounted_s": "time every class is accounted for (s)",
    "rerouted_persons": "people rerouted around a blocked exit (persons)",
    "unsecured_person_s": "person-seconds unsecured (person·s)",
    "peak_hallway": "peak people in hallways (persons)",
    "sro_arrival_s": "SRO reaches incident origin (s)",
    "sweep_time_s": "SRO door-check sweep duration (s)",
    "doors_unlocked_at_check": "rooms unlocked at SRO check (rooms)",
    "law_enforcement_arrival_s": "law enforcement on site (s)",
    # -- protocols/hazard (issue 9) --
    "time_all_safe_s": "everyone secured or out (s)",
    "time_95_safe_s": "95 % of people secured or out (s)",
    "hazard_exposure_person_s": "exposure near the hazard zone (person·s)",
    "hazard_exposure_students_s": "student exposure near the hazard zone (person·s)",
    "hazard_exposure_adults_s": "adult exposure near the hazard zone (person·s)",
    "time_halls_clear_s": "halls clear (s)",
    "time_all_inside_s": "everyone from outdoors inside (s)",
    "time_perimeter_locked_s": "every exterior door locked (s)",
    "time_all_sheltered_s": "everyone in a shelter area (s)",
    "time_exterior_closed_s": "exterior openings closed (s)",
    "people_leaving": "people who chose to leave (persons)",
    "left_after_locked_out": "people who left after finding every room closed (persons)",
    "spaces_locking_down": "spaces that chose to lock down (spaces)",
}


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
        f"{SENSITIVE} — drillsim {version}, "
        f"seed {provenance.get('seed', '?')}, {provenance.get('n_runs', '?')} runs"
    )


def new_figure(
    width_in: float,
    height_in: float,
    *,
    footer: str,
    title: str,
    subtitle: str = "",
    subtitle_colour: str = "black",
    fixed: bool = False,
) -> Figure:
    """A constrained-layout figure with a title (and subtitle) on top and the footer below.

    Title, subtitle and footer sit in strips the layout keeps clear, so no axis label or legend
    can run into them whatever the figure holds. Long titles (scenario names can be long) and
    subtitles are wrapped to the figure width. ``fixed=True`` makes a figure without a layout
    engine, whose axes :func:`fixed_subplots` places with margins in inches: for figures whose
    contents are known (the batch figures), it saves the layout pass, a quarter of their
    drawing time.
    """
    fig = Figure(figsize=(width_in, height_in), layout=None if fixed else "constrained")
    title = _wrap(title, width_in, 14.0, bold=True)
    subtitle = _wrap(subtitle, width_in, 10.5) if subtitle else ""
    n_title = title.count("\n") + 1
    n_sub = subtitle.count("\n") + 1 if subtitle else 0
    title_in = TITLE_IN + TITLE_LINE_IN * (n_title - 1)
    top_in = title_in + SUBTITLE_LINE_IN * n_sub
    if fixed:
        fig.drillsim_top_in = top_in  # type: ignore[attr-defined]  # read by fixed_subplots
    else:
        fig.get_layout_engine().set(
            rect=(0.0, FOOTER_IN / height_in, 1.0, 1.0 - (FOOTER_IN + top_in) / height_in)
        )
    fig.suptitle(title, y=1.0 - 0.1 / height_in, va="top", fontsize=14, fontweight="bold")
    if subtitle:
        fig.text(
            0.5,
            1.0 - (title_in + 0.02) / height_in,
            subtitle,
            ha="center",
            va="top",
            fontsize=10.5,
            color=subtitle_colour,
            linespacing=1.3,
        )
    add_footer(fig, footer)
    return fig


def fixed_subplots(
    fig: Figure,
    nrows: int,
    ncols: int,
    *,
    left_in: float = 0.9,
    right_in: float = 0.2,
    bottom_in: float = 0.5,
    top_in: float = 0.32,
    wspace_in: float = 0.9,
    hspace_in: float = 0.5,
    **kwargs,
) -> np.ndarray:
    """``fig.subplots(nrows, ncols)`` of a ``new_figure(..., fixed=True)``, with margins in
    inches: ``left_in`` for the y tick labels and label, ``bottom_in`` above the footer strip
    for the x tick labels and label, ``top_in`` below the title strip for the axes titles,
    ``wspace_in`` / ``hspace_in`` between panels. Returns a 2-D array of axes."""
    w, h = fig.get_size_inches()
    top = 1.0 - (fig.drillsim_top_in + top_in) / h  # type: ignore[attr-defined]
    bottom = (FOOTER_IN + bottom_in) / h
    left, right = left_in / w, 1.0 - right_in / w
    # subplots_adjust takes the gaps as a share of the mean panel width / height
    panel_w = ((right - left) * w - wspace_in * (ncols - 1)) / ncols
    panel_h = ((top - bottom) * h - hspace_in * (nrows - 1)) / nrows
    return fig.subplots(
        nrows,
        ncols,
        squeeze=False,
        gridspec_kw=dict(
            left=left,
            right=right,
            bottom=bottom,
            top=top,
            wspace=wspace_in / panel_w,
            hspace=hspace_in / panel_h,
        ),
        **kwargs,
    )


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


def save_figure(fig: Figure, path: Path, dpi: float = DPI) -> Path:
    """Save a PNG at ``dpi`` (default :data:`DPI`) with no software tag (byte-identical on
    re-runs)."""
    fig.savefig(path, dpi=dpi, format="png", metadata=dict(PNG_METADATA))
    return path


def render_rgba(fig: Figure, dpi: float = DPI) -> np.ndarray:
    """Draw ``fig`` at ``dpi`` and return its pixels, (height, width, 4) uint8.

    With :func:`write_png` this gives the same bytes as :func:`save_figure`, split in two so
    that the PNG encoding (Pillow releases the GIL for it) can run on a thread while the next
    figure draws.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())  # the view keeps the renderer's buffer alive


def write_png(rgba: np.ndarray, path: Path, dpi: float = DPI) -> Path:
    """Encode pixels from :func:`render_rgba` as a PNG at ``path`` (no software tag)."""
    import matplotlib.image as mimage

    mimage.imsave(
        path, rgba, format="png", origin="upper", dpi=dpi, metadata=dict(PNG_METADATA)
    )
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


def share_text(share: float) -> str:
    """A share of runs as a percentage that never rounds a non-zero share to "0 %"."""
    pct = 100 * share
    if 0 < pct < 1:  # 0.5 % would format as "0 %" (round half to even)
        return "<1 %"
    if 99 < pct < 100:
        return ">99 %"
    return f"{pct:.0f} %"


def scenario_title(loaded: LoadedScenario, what: str) -> str:
    """A figure title: the scenario's name, then what the figure shows."""
    return f"{loaded.scenario.name}: {what}"
