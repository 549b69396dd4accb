"""The HTML run player: one self-contained file (inline SVG, script and styles, no external URL).

Open it from disk in any current browser, offline. ``#t=SECONDS`` at the end of its address opens
the run paused at that time (for links in notes and for screenshots).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from drillsim.reports.figures import SENSITIVE
from drillsim.reports.pdf import BANNER

NOTE = (
    "One simulated run of a drill model, not a prediction and not a record: another run of the "
    "same scenario differs. Times are the model's; dots walk the model's route from door to door "
    "and are spread over their room for legibility, so a dot's exact spot means nothing. No "
    "individual student data is used."
)


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: '<', '>' and '&' escaped, so no label can end it."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_player(scene: dict[str, Any]) -> str:
    """The player page for a scene from :func:`~drillsim.reports.animate.scene.build_scene`."""
    env = Environment(
        loader=PackageLoader("drillsim.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
    )
    what = "Lockdown" if scene["protocol"] == "lockdown" else scene["protocol"].capitalize()
    subtitle = (
        f"{what} {scene['mode']} at {scene['school']} · run {scene['run_index']} of seed "
        f"{scene['seed']} · {len(scene['people'])} people · drillsim {scene['version']} · "
        f"floorplan {scene['floorplan_digest']} · scenario {scene['scenario_digest']}"
    )
    return env.get_template("player.html.j2").render(
        title=scene["title"],
        subtitle=subtitle,
        note=NOTE,
        banner=BANNER,
        banner_short=SENSITIVE,
        data_json=_json_for_script(scene),
    )


def write_player(scene: dict[str, Any], path: Path) -> Path:
    """Write the player page to ``path`` (inside the caller's staging folder)."""
    path.write_text(render_player(scene), encoding="utf-8")
    return path
