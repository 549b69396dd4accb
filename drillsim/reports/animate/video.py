"""An animated GIF of a run for slides, drawn with matplotlib from the same scene as the player.

The GIF is written with matplotlib's ``PillowWriter``: Pillow comes with matplotlib, so no program
outside drillsim's own dependencies is needed (an MP4 would need an ffmpeg binary). It covers the
run until the last person or room changes state (the SRO's later door-check sweep is left to the
HTML player), in at most ``MAX_FRAMES`` frames.
"""

from __future__ import annotations

import math
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from drillsim.reports.pdf import BANNER

MAX_FRAMES = 120
FPS = 8
COLOURS = {
    "alerted": "#f0a202",
    "locked": "#66bd63",
    "secured": "#1b7837",
    "failed": "#d73027",
    "unsecured": "#e66101",
    "safe": "#2c6fbb",
    "out": "#b2182b",
    "hazard": "#c51b7d",
    "exit": "#1a9641",
}


class _SharedPaletteGif(PillowWriter):
    """PillowWriter that maps every frame onto one palette (built from the first frame and the
    state colours) instead of quantizing each frame afresh: several times faster, and colours do
    not flicker between frames."""

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi=dpi)
        self._palette = None

    def grab_frame(self, **savefig_kwargs):
        buf = BytesIO()
        self.fig.savefig(buf, **{**savefig_kwargs, "format": "rgba", "dpi": self.dpi})
        im = Image.frombuffer("RGBA", self.frame_size, buf.getbuffer(), "raw", "RGBA", 0, 1)
        im = im.convert("RGB")
        if self._palette is None:
            swatch = Image.new("RGB", (im.width, im.height + 8), "white")
            swatch.paste(im, (0, 0))
            for k, colour in enumerate(COLOURS.values()):
                swatch.paste(colour, (k * 8, im.height, k * 8 + 8, im.height + 8))
            self._palette = swatch.quantize(colors=200, method=Image.Quantize.MEDIANCUT)
        self._frames.append(im.quantize(palette=self._palette, dither=Image.Dither.NONE))


def action_end_s(scene: dict[str, Any]) -> float:
    """Last time a person or a room changes state (+10 s): where the GIF stops."""
    times = [0.0]
    for p in scene["people"]:
        times.append(p["k"][-1][0])
        times += [x for x in (p["safe"], p["out"]) if x is not None]
    for s in scene["spaces"]:
        room = s.get("room") or {}
        times += [x for x in (room.get("secured"), room.get("failed"), s["alert"]) if x is not None]
    return min(scene["end"], max(times) + 10.0)


def _positions(people: list[dict], times: np.ndarray) -> np.ndarray:
    """(frames, people, 2) positions, interpolated on every keyframe track."""
    out = np.empty((times.size, len(people), 2))
    for i, p in enumerate(people):
        k = np.asarray(p["k"], dtype=float)
        out[:, i, 0] = np.interp(times, k[:, 0], k[:, 1])
        out[:, i, 1] = np.interp(times, k[:, 0], k[:, 2])
    return out


def _le(x: float | None, t: float) -> bool:
    return x is not None and x <= t


def write_gif(scene: dict[str, Any], path: Path, dpi: int = 72) -> Path:
    """Write the run as an animated GIF to ``path`` (inside the caller's staging folder)."""
    W, H = scene["size"]
    width_in = 13.0
    plot_h = width_in * 0.98 * (H + 6) / (W + 4)  # inches: the axes keep the plan's aspect
    fig_h = plot_h + 0.75
    fig = Figure(figsize=(width_in, fig_h))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.98, plot_h / fig_h))
    ax.set_xlim(-2, W + 2)
    ax.set_ylim(H + 2, -4)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.text(
        0.5,
        0.985,
        BANNER,
        ha="center",
        va="top",
        color="white",
        fontsize=10,
        fontweight="bold",
        bbox={"facecolor": "#7f0000", "edgecolor": "none", "pad": 3},
    )
    top = 1.0 - 0.3 / fig_h
    fig.text(
        0.01,
        top,
        f"{scene['title']} — run {scene['run_index']} of seed {scene['seed']}",
        fontsize=10,
        va="top",
        color="#14285a",
        fontweight="bold",
    )
    for p in scene["panels"]:
        ax.add_patch(
            Rectangle(
                (p["x0"], 0), p["x1"] - p["x0"], H, facecolor="#fafafa", edgecolor="#cfd3da", lw=0.6
            )
        )
        ax.text(p["x0"] + 1.5, -1.2, p["name"], fontsize=8, color="#14285a", fontweight="bold")
    back = ("outdoor", "corridor", "commons")
    spaces = sorted(
        (s for s in scene["spaces"] if s["kind"] != "exit"), key=lambda s: s["kind"] not in back
    )
    coll = PatchCollection(
        [Rectangle((s["r"][0], s["r"][1]), s["r"][2], s["r"][3]) for s in spaces],
        linewidths=0.4,
        zorder=2,
    )
    ax.add_collection(coll)
    for s in scene["spaces"]:
        if s["kind"] == "exit":
            ax.plot(
                s["r"][0] + s["r"][2] / 2,
                s["r"][1] + s["r"][3] / 2,
                marker="^",
                color=COLOURS["exit"],
                markersize=6,
                zorder=3,
            )
    zone = {sid for h in scene["hazard"] for sid in h["spaces"]}
    for s in spaces:
        if s["id"] in zone:
            ax.add_patch(
                Rectangle(
                    (s["r"][0], s["r"][1]),
                    s["r"][2],
                    s["r"][3],
                    fill=False,
                    edgecolor=COLOURS["hazard"],
                    lw=1.2,
                    ls="--",
                    zorder=4,
                )
            )
    doors = [d for d in scene["doors"] if d["kind"] != "opening"]
    door_xy = np.array([[d["x"], d["y"]] for d in doors]).reshape(-1, 2)
    door_sc = ax.scatter(
        door_xy[:, 0], door_xy[:, 1], s=6, marker="s", edgecolors="#444", linewidths=0.4, zorder=5
    )
    people = scene["people"]
    sizes = np.array([6.0 if p["role"] != "student" else 3.0 for p in people])
    dots = ax.scatter(np.zeros(len(people)), np.zeros(len(people)), s=sizes, zorder=6, linewidths=0)
    clock = fig.text(
        0.99, top, "", fontsize=12, va="top", ha="right", fontweight="bold", color="#14285a"
    )
    status = fig.text(0.01, top - 0.2 / fig_h, "", fontsize=9, va="top")

    end = action_end_s(scene)
    n = max(2, min(MAX_FRAMES, math.ceil(end / 1.0) + 1))
    times = np.linspace(0.0, end, n)
    xy = _positions(people, times)

    def frame(i: int):
        t = float(times[i])
        faces, edges = [], []
        for s in spaces:
            fill = s["colour"]
            room = s.get("room")
            if room:
                if _le(room["secured"], t):
                    fill = COLOURS["secured"]
                elif _le(room["locked"], t):
                    fill = COLOURS["locked"]
                elif _le(room["failed"], t):
                    fill = COLOURS["failed"]
            faces.append(fill if room else to_rgba(fill, 0.55))  # non-rooms paler
            edges.append(COLOURS["alerted"] if _le(s["alert"], t) else "#666666")
        coll.set_facecolors(faces)
        coll.set_edgecolors(edges)
        door_sc.set_facecolors(["#222222" if _le(d["locked"], t) else "#ffffff" for d in doors])
        dots.set_offsets(xy[i])
        colours = []
        unsecured = 0
        for p in people:
            if _le(p["safe"], t):
                colours.append(COLOURS["safe"])
            else:
                unsecured += 1
                colours.append(COLOURS["out"] if _le(p["out"], t) else COLOURS["unsecured"])
        dots.set_facecolors(colours)
        m, sec = divmod(t, 60.0)
        clock.set_text(f"T+{int(m)}:{sec:04.1f}")
        text = f"not yet secured: {unsecured} of {len(people)}"
        if scene["protocol"] == "lockdown":
            rooms = [s for s in spaces if s.get("room")]
            done = sum(_le(s["room"]["secured"], t) for s in rooms)
            text += f"   rooms secured: {done} of {len(rooms)}"
        text += (
            "   orange: not yet secured · blue: secured · red: locked out · "
            "amber outline: alert heard · green room: secured"
        )
        status.set_text(text)

    writer = _SharedPaletteGif(fps=FPS)
    with writer.saving(fig, str(path), dpi):
        for i in range(n):
            frame(i)
            writer.grab_frame()
    return path
