"""Run playback: watch one simulated run unfold, as a self-contained HTML player and a GIF.

The data flow: a :class:`~drillsim.run.SingleRun` (reference engine, with its event log) →
:func:`build_scene` (floor panels, rooms, doors, alert times, hazard zone and one position track per
person, as plain data; :mod:`.layout` and :mod:`.tracks`) → :func:`write_player` (``player.html``:
inline SVG, script and styles, no external URL) and :func:`write_gif` (matplotlib's Pillow GIF
writer). :func:`write_playback` writes both.
"""

from __future__ import annotations

from pathlib import Path

from drillsim.reports.animate.player import render_player, write_player
from drillsim.reports.animate.scene import build_scene
from drillsim.reports.animate.video import action_end_s, write_gif
from drillsim.run.single import SingleRun


def write_playback(run: SingleRun, out: Path, *, gif: bool = True) -> list[Path]:
    """Write ``player.html`` (and ``run.gif`` unless ``gif`` is False) into ``out``."""
    scene = build_scene(run)
    paths = [write_player(scene, out / "player.html")]
    if gif:
        paths.append(write_gif(scene, out / "run.gif"))
    return paths


__all__ = [
    "action_end_s",
    "build_scene",
    "render_player",
    "write_gif",
    "write_playback",
    "write_player",
]
