"""Batch-figure helpers: fixed margins keep every label on the page and clear of the title and
footer strips; drawing and encoding apart gives the bytes of ``savefig``."""

from __future__ import annotations

import numpy as np
import pytest

from drillsim.reports.charts import (
    FOOTER_IN,
    fixed_subplots,
    new_figure,
    render_rgba,
    save_figure,
    write_png,
)


def _figure(rows: int, cols: int):
    fig = new_figure(
        11.0,
        4.0 + 2.8 * rows,
        footer="SENSITIVE SECURITY INFORMATION — test",
        title="A scenario with a long name: people not yet secured over time (lockdown)",
        subtitle="A subtitle that says what the figure shows, wrapped to the figure width.",
        fixed=True,
    )
    axes = fixed_subplots(fig, rows, cols, sharex=True)
    for ax in axes.ravel():
        ax.plot(np.arange(200.0), 30000 * np.exp(-np.arange(200.0) / 40), label="median run")
        ax.set_title("People not yet secured (of 30000 in the school at the start)", fontsize=11)
        ax.set_ylabel("people not yet secured (persons)")
        ax.legend(loc="upper right", fontsize=9)
    axes[-1, 0].set_xlabel("time since the incident started (s)")
    return fig, axes


@pytest.mark.parametrize("rows,cols", [(1, 1), (2, 1), (1, 2)])
def test_fixed_margins_keep_labels_inside_and_clear_of_title_and_footer(rows, cols):
    fig, axes = _figure(rows, cols)
    render_rgba(fig, 100)
    renderer = fig.canvas.get_renderer()
    dpi = fig.dpi
    w = fig.get_size_inches()[0] * dpi
    top_texts = [t for t in [*fig.texts, fig._suptitle] if t.get_position()[1] > 0.5]
    title_bottom = min(t.get_window_extent(renderer).y0 for t in top_texts)  # title, subtitle
    footer_top = FOOTER_IN * dpi
    boxes = [ax.get_tightbbox(renderer) for ax in axes.ravel()]
    for box in boxes:
        assert box.x0 >= 0 and box.x1 <= w, "a label runs off the page"
        assert box.y0 >= footer_top - 1, "a label runs into the footer strip"
        assert box.y1 <= title_bottom + 1, "an axes title runs into the figure title"
    for i, a in enumerate(boxes):  # panels do not overlap each other
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_drawing_and_encoding_apart_gives_the_savefig_bytes(tmp_path):
    fig, _ = _figure(2, 1)
    save_figure(fig, tmp_path / "a.png", dpi=90)
    fig, _ = _figure(2, 1)
    write_png(render_rgba(fig, 90), tmp_path / "b.png", dpi=90)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
