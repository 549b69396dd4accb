"""Shared figure conventions: the sensitivity marking every figure carries."""

from __future__ import annotations

from matplotlib.figure import Figure

from drillsim import __version__

SENSITIVE = "SENSITIVE SECURITY INFORMATION"


def mark_sensitive(fig: Figure, detail: str = "") -> Figure:
    """Stamp the sensitivity marking (and provenance detail) along the bottom of ``fig``.

    Space for it is reserved in the layout so it never overlaps axis labels or legends.
    """
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        try:
            engine.set(rect=(0, 0.035, 1, 0.965))
        except TypeError:  # layout engine without rect support
            pass
    text = f"{SENSITIVE} — drillsim {__version__}" + (f" — {detail}" if detail else "")
    fig.text(0.5, 0.005, text, ha="center", va="bottom", fontsize=7, color="#7f0000")
    return fig
