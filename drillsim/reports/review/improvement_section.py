"""The review's areas for improvement (flagged rooms, room by room) and the improvement plan."""

from __future__ import annotations

import math
from typing import Any

from drillsim.reports.pdf import Fields, Heading, Para, Table
from drillsim.reports.review.analysis import improvement_items
from drillsim.reports.wording import fmt_s


def improvement_blocks(data: dict[str, Any]) -> list:
    """Section 4: flagged rooms with likely factors, and the room-by-room comparison."""
    blocks: list = [Heading("4. Areas for improvement", 2, "improvement")]
    flagged = [r for r in data["rooms"] if r["flags"]]
    if flagged:
        blocks.append(
            Para(
                "Rooms slower than the simulated 90th percentile or not secured, with the "
                "likely contributing factors found in the building plan and the observed "
                "times. These are starting points for the hot wash, not findings about "
                "people."
            )
        )
        blocks.append(
            Table(
                (
                    "Room",
                    "Label",
                    "Observed",
                    "Simulated median / p90",
                    "Percentile",
                    "Flag",
                    "Likely factors (root cause)",
                ),
                tuple(
                    (
                        r["room"],
                        r["label"],
                        "not secured"
                        if r["status"] == "not secured"
                        else f"{fmt_s(r['observed_s'])} ({r['basis']})",
                        f"{fmt_s(r['sim_median_s'])} / {fmt_s(r['sim_p90_s'])}",
                        "—" if math.isnan(r["percentile"]) else f"{r['percentile']:.0f}",
                        "; ".join(r["flags"]),
                        "; ".join(f"{c}: {t}" for c, t in r["factors"])
                        or "procedure: no building factor found",
                    )
                    for r in flagged
                ),
                widths=(0.7, 1.3, 1.1, 1.2, 0.7, 1.2, 2.6),
                align=("l", "l", "r", "r", "r", "l", "l"),
                row_styles=tuple("flag" for _ in flagged),
                key="flagged",
                row_keys=tuple(r["room"] for r in flagged),
                font_size=7.5,
            )
        )
    else:
        blocks.append(
            Para(
                "No room was slower than its simulated 90th percentile and every observed "
                "room was secured."
            )
        )
    if data["not_observed"]:
        blocks.append(
            Para(
                f"Not observed (no times recorded): {', '.join(data['not_observed'])}. "
                "These rooms are neither flagged nor counted as strengths."
            )
        )

    # all rooms table
    blocks.append(Heading("Room-by-room comparison", 3))
    blocks.append(
        Para(
            "Observed secured time = safe zone reached if recorded, else door locked. It is "
            "compared with the simulated time to secure (door locked and occupants in the "
            "safe zone), or with the simulated door-locked time when only the door time was "
            "recorded. Percentile: share of simulated runs faster than the drill (runs in "
            "which the room never secured count as slower). A room is flagged when it is "
            "slower than the simulated p90; for a room that failed to secure in more than "
            "10 % of runs (p90 'never'), the p90 of the runs in which it did secure is "
            "used.",
            "note",
        )
    )
    rows2, styles = [], []
    for r in data["rooms"]:
        rows2.append(
            (
                r["room"],
                r["label"],
                fmt_s(r["alert_heard_s"]),
                fmt_s(r["door_locked_s"]),
                fmt_s(r["safe_zone_s"]),
                fmt_s(r["sim_median_s"]),
                fmt_s(r["sim_p90_s"]),
                "—" if math.isnan(r["percentile"]) else f"{r['percentile']:.0f}",
                "; ".join(r["flags"]) or r["status"],
            )
        )
        styles.append(
            "flag"
            if r["flags"]
            else "good"
            if r["room"] in data["at_or_better_than_median"]
            else ""
        )
    blocks.append(
        Table(
            (
                "Room",
                "Label",
                "Alert heard",
                "Door locked",
                "Safe zone",
                "Sim. median",
                "Sim. p90",
                "Pct.",
                "Result",
            ),
            tuple(rows2),
            widths=(0.8, 1.5, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5, 1.6),
            align=("l", "l", "r", "r", "r", "r", "r", "r", "l"),
            row_styles=tuple(styles),
            key="rooms",
            row_keys=tuple(r["room"] for r in data["rooms"]),
            font_size=7.5,
        )
    )
    return blocks


def improvement_plan_blocks(data: dict[str, Any]) -> list:
    """Section 5: the improvement plan table (owner and dates left blank to fill in)."""
    blocks: list = [Heading("5. Improvement plan", 2, "ip")]
    items = improvement_items(data)
    if items:
        blocks.append(
            Table(
                (
                    "Issue / area for improvement",
                    "Root cause",
                    "Corrective action",
                    "Capability element",
                    "Owner",
                    "Start date",
                    "Completion date",
                ),
                tuple((*it, "", "", "") for it in items),
                widths=(1.6, 1.8, 2.4, 0.9, 0.8, 0.7, 0.8),
                key="ip",
                font_size=7.5,
                blank_rows=True,
            )
        )
    else:
        blocks.append(
            Para(
                "No corrective action arises from the observations. Keep the practice "
                "schedule and repeat at a different time of day (lunch, passing period)."
            )
        )
    blocks.append(Fields(("Hot wash held (date, time)", "AAR reviewed by", "Next drill (date)")))
    return blocks
