"""Shared figure conventions: the sensitivity marking every figure carries."""

from __future__ import annotations

from matplotlib.figure import Figure

from drillsim import __version__

SENSITIVE = "SENSITIVE SECURITY INFORMATION"


def mark_sensitive(fig: Figure, detail: str = "") -> Figure:
    """Stamp the sensitivity marking (and provenance detail) on ``fig`` where it cannot overlap.

    Normally it is the figure's ``supxlabel`` (below every axis, kept clear by the constrained
    layout). Figures with a legend outside the axes at the bottom (floorplans) would collide
    with it there, so on those it becomes a second line of the figure title instead.
    """
    text = f"{SENSITIVE} — drillsim {__version__}" + (f" — {detail}" if detail else "")
    title = fig._suptitle
    if fig.legends and title is not None:
        fig.suptitle(f"{title.get_text()}\n{text}", fontsize=title.get_fontsize())
    else:
        fig.supxlabel(text, fontsize=8, color="#7f0000", fontweight="bold")
    return fig
