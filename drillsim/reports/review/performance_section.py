"""The review's capability performance: objectives with HSEEP ratings, and strengths."""

from __future__ import annotations

import math
from typing import Any

from drillsim.reports.pdf import Bullets, Figure, Heading, Para, Table
from drillsim.reports.wording import fmt_s


def _rating(ok: bool, some: bool, none: bool) -> str:
    """HSEEP performance rating."""
    if ok:
        return "P — performed without challenges"
    if none:
        return "U — unable to be performed"
    if some:
        return "S — performed with some challenges"
    return "M — performed with major challenges"


def performance_blocks(data: dict[str, Any], rooms_png: bytes, floorplan_png: bytes) -> list:
    """Section 2: objectives rated P/S/M/U, the overall time and the two review figures."""
    n, n_obs = data["n_rooms"], data["n_observed"]
    blocks: list = [Heading("2. Objectives and capability performance", 2, "objectives")]
    target = data["target_s"]
    within = data["secured_within_target"]
    slow, unsec = data["flagged_slow"], data["flagged_not_secured"]
    late = data.get("alert_heard_late", [])
    rows = (
        (
            "1. Alert heard in every occupied room, within its simulated 90th percentile",
            f"{data['n_alert_heard']} of {n_obs} observed rooms recorded the alert"
            + (
                f"; {len(late)} heard it later than simulated ({', '.join(late)})"
                if late
                else ""
            ),
            _rating(
                data["n_alert_heard"] == n_obs and n_obs > 0 and not late,
                data["n_alert_heard"] > 0,
                data["n_alert_heard"] == 0,
            ),
        ),
        (
            f"2. All occupied rooms secured within {target:.0f} s (simulated p90 of the last room "
            "secured)",
            f"{within} of {n} rooms secured within {target:.0f} s; {len(unsec)} not secured; "
            f"{len(data['not_observed'])} not observed",
            _rating(within == n, within >= 0.9 * n and not unsec, within == 0),
        ),
        (
            "3. No room slower than its simulated 90th percentile",
            f"{len(slow)} room(s) slower: {', '.join(slow) or 'none'}",
            _rating(not slow and not unsec, len(slow) + len(unsec) <= max(1, n // 10), False),
        ),
    )
    blocks.append(
        Table(("Objective", "Observed", "Rating"), rows, widths=(2.8, 2.8, 1.7), key="objectives")
    )
    blocks.append(
        Para(
            "Ratings: P performed without challenges; S with some challenges; M with major "
            "challenges; U unable to be performed (HSEEP). They rate the plan, the building "
            "and the practice — not individuals.",
            "note",
        )
    )
    last = data["observed_last_secured_s"]
    overall = (
        f"Observed time to all rooms secured: {fmt_s(data['observed_all_secured_s'])} "
        f"(simulated last room secured: median "
        f"{fmt_s(data['simulated_last_secured_median_s'])}, p90 "
        f"{fmt_s(data['simulated_last_secured_p90_s'])}; the drill sits at the "
        f"{data['all_secured_percentile']:.0f}th percentile)."
        if math.isfinite(data["observed_all_secured_s"])
        else f"Not every room was observed secured, so there is no observed time to all rooms "
        f"secured; the last observed room secured at {fmt_s(last)} (simulated last room: "
        f"median {fmt_s(data['simulated_last_secured_median_s'])}, p90 "
        f"{fmt_s(data['simulated_last_secured_p90_s'])})."
    )
    blocks.append(Para(overall))
    blocks.append(
        Figure(
            rooms_png,
            "Each observed room against its simulated distribution: grey "
            "bar 10th–90th percentile (to the right edge when the room failed to "
            "secure in more than 10 % of runs), black tick the median, dot the observed "
            "time (red: slower than p90; green: at or better than the median). Red × at "
            "the right: not secured in the drill.",
            "Observed room times against simulated ranges.",
        )
    )
    blocks.append(
        Figure(
            floorplan_png,
            "Where each room's observed time falls within its "
            "simulated distribution (percentile; higher is slower). Red outline: flagged "
            "rooms. 'never': not secured in the drill.",
            "Floorplan coloured by observed percentile.",
            landscape=True,
        )
    )
    return blocks


def strengths_blocks(data: dict[str, Any]) -> list:
    """Section 3: what went at least as well as the simulated median."""
    n_obs = data["n_observed"]
    blocks: list = [Heading("3. Strengths", 2, "strengths")]
    good = [r for r in data["rooms"] if r["room"] in data["at_or_better_than_median"]]
    strengths = []
    if good:
        strengths.append(
            f"{len(good)} rooms were secured at or faster than the simulated median: "
            + ", ".join(r["room"] for r in good)
            + "."
        )
    if data["n_alert_heard"] == n_obs and n_obs and not data.get("alert_heard_late"):
        strengths.append(
            "The alert was recorded as heard in every observed room, none later than simulated."
        )
    if (
        math.isfinite(data["observed_all_secured_s"])
        and data["observed_all_secured_s"] <= data["simulated_last_secured_median_s"]
    ):
        strengths.append(
            "All rooms were secured at or faster than the simulated median time to "
            "the last room secured."
        )
    blocks.append(
        Bullets(
            tuple(strengths)
            or (
                "No room was secured at or faster than the simulated "
                "median; see the areas for improvement.",
            )
        )
    )
    return blocks


def notes_blocks(data: dict[str, Any]) -> list:
    """The observers' own notes, room by room (what no time column can say)."""
    notes = data.get("observer_notes", [])
    blocks: list = [Heading("Observer notes", 2, "observer-notes")]
    if not notes:
        blocks.append(Para("No notes were written on the observer sheet.", "note"))
        return blocks
    blocks.append(
        Table(
            ("Room", "Label", "Observer's note"),
            tuple((n["room"], n["label"], n["notes"]) for n in notes),
            widths=(0.9, 1.6, 4.8),
            key="observer_notes",
        )
    )
    return blocks
