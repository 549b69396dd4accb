"""Shared figure conventions: the sensitivity marking every figure carries, and PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping

from matplotlib.figure import Figure

from drillsim import __version__

SENSITIVE = "SENSITIVE SECURITY INFORMATION"
#: PNG metadata: drop the "Software" tag (matplotlib version) so the bytes depend only on the data.
PNG_METADATA: Mapping[str, str | None] = {"Software": None}


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


def mark_floorplan(fig: Figure, detail: str) -> Figure:
    """:func:`mark_sensitive` on a floorplan, with room for the marking to clear its legend.

    Parameters
    ----------
    fig : Figure
        A figure from :func:`drillsim.floorplan.draw_floorplan`.
    detail : str
        Provenance detail appended to the marking (e.g. ``"seed 3"``).

    Returns
    -------
    Figure
        ``fig``, marked.
    """
    mark_sensitive(fig, detail)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0.045, 1, 0.955))
    return fig


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """PNG bytes of a figure, without the (version-dependent) Software metadata.

    Parameters
    ----------
    fig : Figure
        The figure; it is cleared afterwards to free its memory.
    dpi : int
        Resolution, dots per inch.

    Returns
    -------
    bytes
        The PNG file's content.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=dict(PNG_METADATA))
    fig.clear()
    return buf.getvalue()
