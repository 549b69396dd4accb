"""Where things are drawn in the player: floors side by side, spaces, doors, exits, assembly points.

Every coordinate here is in *drawing metres*: the floorplan's own metres, with each floor shifted
east into its own panel (as :func:`drillsim.floorplan.draw_floorplan` does) and ``y`` pointing
down, so the HTML player (SVG ``viewBox`` in metres) and the GIF share one geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from drillsim.floorplan.draw import _clamp, _door_xy, _rect
from drillsim.floorplan.model import Floorplan

#: Free space around each floor panel and between panels, metres.
MARGIN_M = 2.0
GAP_M = 5.0
#: Distance from an exit door to the drawn assembly point, metres (drawing only; the model's
#: walking distance is the exit's ``assembly_distance_m``).
ASSEMBLY_DRAW_M = 6.0

Point = tuple[float, float]


@dataclass(frozen=True)
class Layout:
    """Drawing geometry of a floorplan.

    Attributes
    ----------
    panels : list of dict
        Per floor: ``level``, ``name``, ``x0``, ``x1`` (drawing metres).
    rects : dict
        Space id -> ``(x0, y0, x1, y1)`` footprint in drawing metres (``y0`` is the top edge).
    width_m, height_m : float
        Size of the whole drawing.
    """

    fp: Floorplan
    panels: list[dict]
    rects: dict[str, tuple[float, float, float, float]]
    width_m: float
    height_m: float
    _shift: dict[int, float]
    _y_top: float

    def to_draw(self, level: int, x: float, y: float) -> Point:
        """Floorplan metres on floor ``level`` -> drawing metres."""
        return x + self._shift[level], self._y_top - y

    def centre(self, sid: str) -> Point:
        """Reference point of a space, drawing metres."""
        a = self.fp.space(sid)
        return self.to_draw(int(a["floor"]), float(a["x"]), float(a["y"]))

    def door(self, a: str, b: str) -> Point:
        """Where the connection between ``a`` and ``b`` is drawn (on the shared wall)."""
        g = self.fp.graph
        rects_m = {s: _rect(g.nodes[s]) for s in (a, b)}
        x, y = _door_xy(g, rects_m, a, b)
        return self.to_draw(int(g.nodes[a]["floor"]), x, y)

    def assembly(self, exit_id: str) -> Point:
        """A drawn assembly point, a few metres outward from exit ``exit_id``."""
        g = self.fp.graph
        a = g.nodes[exit_id]
        x, y = float(a["x"]), float(a["y"])
        dx, dy = 0.0, -1.0
        for n in g.neighbors(exit_id):
            if g.nodes[n]["kind"] != "exit":
                px, py = _clamp(x, y, _rect(g.nodes[n]))
                norm = math.hypot(x - px, y - py)
                if norm > 1e-9:
                    dx, dy = (x - px) / norm, (y - py) / norm
                break
        return self.to_draw(int(a["floor"]), x + dx * ASSEMBLY_DRAW_M, y + dy * ASSEMBLY_DRAW_M)

    def floor_of(self, sid: str) -> int:
        return int(self.fp.space(sid)["floor"])


def build_layout(fp: Floorplan) -> Layout:
    """Lay the floors out side by side, all on the same y range (floors line up)."""
    g: nx.Graph = fp.graph
    levels = fp.levels or sorted({int(a["floor"]) for _, a in g.nodes(data=True)})
    rects_m = {s: _rect(a) for s, a in g.nodes(data=True)}
    y_lo = min(r[1] for r in rects_m.values()) - MARGIN_M - ASSEMBLY_DRAW_M
    y_hi = max(r[3] for r in rects_m.values()) + MARGIN_M + ASSEMBLY_DRAW_M
    shift: dict[int, float] = {}
    panels = []
    cursor = 0.0
    for lv in levels:
        on = [rects_m[s] for s, a in g.nodes(data=True) if int(a["floor"]) == lv]
        lo = min((r[0] for r in on), default=0.0) - MARGIN_M - ASSEMBLY_DRAW_M
        hi = max((r[2] for r in on), default=10.0) + MARGIN_M + ASSEMBLY_DRAW_M
        shift[lv] = cursor - lo
        panels.append(
            {"level": lv, "name": fp.floor_name(lv), "x0": cursor, "x1": cursor + hi - lo}
        )
        cursor += hi - lo + GAP_M
    width = cursor - GAP_M
    rects = {}
    for s, (x0, y0, x1, y1) in rects_m.items():
        lv = int(g.nodes[s]["floor"])
        rects[s] = (x0 + shift[lv], y_hi - y1, x1 + shift[lv], y_hi - y0)
    return Layout(fp, panels, rects, width, y_hi - y_lo, shift, y_hi)
