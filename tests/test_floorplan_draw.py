"""Drawing floorplans: one panel per floor, colours by kind or value, legends, PNG output."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from drillsim.floorplan import draw_floorplan, load_floorplan
from drillsim.floorplan.draw import _door_point, _fit_label

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def elementary():
    return load_floorplan(ROOT / "floorplans" / "elementary-school.yaml")


@pytest.fixture(scope="module")
def high():
    return load_floorplan(ROOT / "floorplans" / "high-school.yaml")


def legend_labels(fig: Figure) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_one_axes_per_floor_titled_with_floor_names(elementary, high):
    fig = draw_floorplan(elementary)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["Ground floor"]
    fig = draw_floorplan(high)
    assert [ax.get_title() for ax in fig.axes] == ["Ground floor", "Upper floor"]
    left, right = fig.axes
    assert left.get_position().x0 < right.get_position().x0  # side by side
    assert left.get_ylim() == right.get_ylim()  # floors line up
    assert left.get_aspect() == 1.0
    assert left.get_xlabel() == "x (m)" and left.get_ylabel() == "y (m)"
    assert fig._suptitle.get_text() == high.name


def test_spaces_are_rectangles_of_their_size_centred_on_xy(elementary):
    fig = draw_floorplan(elementary)
    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    drawn = len([s for s in elementary.spaces if elementary.space(s)["kind"] != "exit"])
    assert len(rects) == drawn
    a01 = elementary.space("A01")
    match = [
        r
        for r in rects
        if math.isclose(r.get_x() + r.get_width() / 2, a01["x"])
        and math.isclose(r.get_y() + r.get_height() / 2, a01["y"])
    ]
    assert match and match[0].get_width() == a01["size_w_m"]


def test_kind_legend_pa_hatch_and_lock_markers(elementary):
    fig = draw_floorplan(elementary)
    labels = legend_labels(fig)
    for kind in ("classroom", "corridor", "gym", "cafeteria", "library", "outdoor"):
        assert kind in labels
    assert "outside PA coverage" in labels
    assert "thumbturn lock" in labels and "key lock (from hallway)" in labels
    assert "auto-locking door" in labels
    assert "EXIT (outside, to assembly point)" in labels
    hatched = [p for p in fig.axes[0].patches if p.get_hatch() == "///"]
    assert len(hatched) == 3  # two portables and their walkway


def test_one_marker_per_door(elementary):
    fig = draw_floorplan(elementary)
    doors = [c for c in elementary.connections() if c[2]["kind"] == "door"]
    exits = [s for s in elementary.spaces if elementary.space(s)["kind"] == "exit"]
    lines = [ln for ln in fig.axes[0].lines if isinstance(ln, Line2D)]
    # door markers of one style share a line artist (one point per door)
    assert sum(len(ln.get_xdata()) for ln in lines) == len(doors) + len(exits)


def test_values_colour_spaces_with_a_colorbar_never_and_no_value(high):
    values = {
        s: float(i) for i, s in enumerate(high.spaces) if high.space(s)["kind"] == "classroom"
    }
    values["OFFICE"] = math.inf
    values["LIB"] = math.nan
    fig = draw_floorplan(high, values=values, value_label="time to secure (s)")
    assert len(fig.axes) == 2 + 1
    cbar_ax = fig.axes[-1]
    assert cbar_ax.get_ylabel() == "time to secure (s)"
    labels = legend_labels(fig)
    assert "never" in labels and "no value" in labels
    assert "classroom" not in labels  # colours now mean values, not kinds


def test_values_all_equal_or_all_infinite_still_draw(elementary):
    fig = draw_floorplan(elementary, values={"A01": 5.0, "A02": 5.0})
    assert len(fig.axes) == 2
    fig = draw_floorplan(elementary, values={"A01": math.inf})
    assert "never" in legend_labels(fig)


def test_highlight_outlines_a_space(elementary):
    fig = draw_floorplan(elementary, highlight={"LIB": "#ff0000", "EX-MAIN": "blue"})
    outlines = [
        p
        for p in fig.axes[0].patches
        if not p.get_fill() and matplotlib.colors.to_hex(p.get_edgecolor()) == "#ff0000"
    ]
    assert len(outlines) == 1
    lib = elementary.space("LIB")
    assert math.isclose(outlines[0].get_width(), lib["size_w_m"])


def test_unknown_space_in_values_or_highlight_is_an_error(elementary):
    with pytest.raises(ValueError, match="values names spaces not in floorplan"):
        draw_floorplan(elementary, values={"NOPE": 1.0})
    with pytest.raises(ValueError, match="highlight names spaces"):
        draw_floorplan(elementary, highlight={"NOPE": "red"})


def test_annotate_and_title(elementary):
    with_labels = draw_floorplan(elementary)
    without = draw_floorplan(elementary, annotate=False, title="")
    texts = [t.get_text() for t in with_labels.axes[0].texts]
    assert "Library" in texts and "Room A01 (K)" in texts
    assert [t.get_text() for t in without.axes[0].texts] == ["EXIT"] * 8
    assert without._suptitle is None
    titled = draw_floorplan(elementary, title="Drill 3")
    assert titled._suptitle.get_text() == "Drill 3"


def test_values_are_written_under_labels(elementary):
    fig = draw_floorplan(elementary, values={"A01": 42.0, "A02": math.inf, "A03": 3.25})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Room A01 (K)\n42" in texts and "Room A02 (K)\nnever" in texts
    assert "Room A03 (K)\n3.2" in texts


def test_png_is_written_and_not_blank(tmp_path, high):
    path = tmp_path / "hs.png"
    draw_floorplan(high).savefig(path, dpi=40)
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 300
    rgb = img[..., :3]
    assert float(np.std(rgb)) > 0.05  # not a blank canvas
    assert float(np.mean(rgb < 0.9)) > 0.05  # a good share of non-white pixels


def test_door_point_is_on_the_shared_wall():
    room = (0.0, 3.0, 9.0, 11.0)  # above the corridor
    corridor = (0.0, 0.0, 20.0, 3.0)
    assert _door_point(room, corridor) == (4.5, 3.0)
    assert _door_point(corridor, room) == (4.5, 3.0)
    side = (20.0, 0.0, 24.0, 3.0)  # corridor segment continuing east
    assert _door_point(corridor, side) == (20.0, 1.5)
    far = (30.0, 30.0, 32.0, 32.0)  # no overlap: nearest points
    x, y = _door_point(corridor, far)
    assert 20.0 <= x <= 30.0 and 3.0 <= y <= 30.0


def test_fit_label_wraps_or_gives_up():
    assert _fit_label("Room 101", 100, 30, 6) == "Room 101"
    assert _fit_label("Boys restroom A", 40, 40, 6) == "Boys\nrestroom A"
    assert _fit_label("Supercalifragilistic", 20, 40, 6) is None
