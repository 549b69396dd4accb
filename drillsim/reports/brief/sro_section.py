"""The briefing's SRO section: the route from post to the drill origin and the door-check sweep."""

from __future__ import annotations

from typing import Any

from drillsim.floorplan import Floorplan
from drillsim.reports.locks import LOCK_WORDS
from drillsim.reports.pdf import Figure, Heading, Para, Table
from drillsim.reports.wording import fmt_m, fmt_s


def sro_blocks(stats: dict[str, Any], fp: Floorplan, png: bytes) -> list:
    """The SRO route (and, in lockdown drills, the door-check sweep table to tick)."""
    lockdown = stats["protocol"] == "lockdown"
    m = stats["metrics"]
    blocks: list = [
        Heading("SRO route and door-check sweep" if lockdown else "SRO route", 2, "sro")
    ]
    sro = stats["sro"]
    if sro["on_duty"] and sro["route"]:
        labels = [str(fp.space(s)["label"]) for s in sro["route"]]
        stair = (
            f" (of which {sro['route_stair_m']:.0f} m stairs)" if sro["route_stair_m"] > 0 else ""
        )
        blocks.append(
            Para(
                f"Route from the SRO post to the drill origin: {' → '.join(labels)}; "
                f"{sro['route_level_m'] + sro['route_stair_m']:.0f} m{stair}. Expected "
                f"arrival after the announcement: median {fmt_s(sro['arrival_median_s'])}, "
                f"p90 {fmt_s(sro['arrival_p90_s'])} (includes hearing the alert by radio "
                "or PA and reacting)."
            )
        )
        blocks.append(
            Figure(
                png,
                "Blue: SRO route from post to the drill origin."
                + (" Purple dashes and numbers: door-check sweep order." if lockdown else ""),
                "Floorplan with the SRO route and the numbered door-check sweep.",
                landscape=True,
            )
        )
        if lockdown and stats["mode"] == "drill":
            blocks.append(
                Para(
                    f"Door-check sweep over every securable door ({len(sro['sweep'])} "
                    f"rooms, {sro['sweep_m']:.0f} m stair-weighted): "
                    f"{fmt_s(m['sweep_time_s']['median'])} median, "
                    f"{fmt_s(m['sweep_time_s']['p90'])} p90; sweep complete "
                    f"{fmt_s(sro['sweep_end_median_s'])} after the announcement (median), "
                    f"{fmt_s(sro['sweep_end_p90_s'])} (p90). Tick each door as it is "
                    "checked."
                )
            )
            blocks.append(
                Table(
                    ("#", "Room", "Label", "Lock", "Leg", "Expected check (median)", "Locked? ☐"),
                    tuple(
                        (
                            str(s["order"]),
                            s["room"],
                            s["label"],
                            ", ".join(LOCK_WORDS[x] for x in s["locks"]),
                            fmt_m(s["leg_m"]),
                            fmt_s(s["checked_median_s"]),
                            "",
                        )
                        for s in sro["sweep"]
                    ),
                    widths=(0.4, 0.9, 2.2, 1.2, 0.7, 1.3, 0.8),
                    align=("r", "l", "l", "l", "r", "r", "c"),
                    key="sweep",
                    row_keys=tuple(s["room"] for s in sro["sweep"]),
                    font_size=7.5,
                )
            )
    else:
        blocks.append(
            Para("No SRO is on duty in this scenario: name who checks doors after the drill.")
        )
    return blocks
