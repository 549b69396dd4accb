"""The review's calibration section: fitted behaviour scales and what one drill can tell."""

from __future__ import annotations

from typing import Any

from drillsim.reports.pdf import Box, Bullets, Figure, Heading, Para, Table


def calibration_blocks(cal: dict[str, Any], png: bytes | None) -> list:
    """The calibration section of the report."""
    blocks: list = [Heading("6. Calibration of behaviour parameters", 2, "calibration")]
    blocks.append(
        Para(
            f"Fitted a multiplicative scale on the adult reaction time and on every lock-time "
            f"distribution by matching each observed room's lock delay (door locked − alert "
            f"heard; the door-locked time where no alert time was noted) with its simulated median "
            f"(mean absolute error, leaving out the worst 20 % of rooms so the few flagged rooms "
            f"do not drag the fit), over the {cal['n_rooms']} observed "
            f"secured rooms ({cal['n_pairs']} observed times; {cal['runs']} runs per evaluation, "
            f"seed {cal['seed']}, common random numbers)."
        )
    )
    blocks.append(
        Table(
            ("Parameter", "Scale", "Plausible range (within 25 % of best fit)"),
            (
                (
                    "behaviour.adult_reaction_s",
                    f"× {cal['reaction_scale']:.2f}",
                    f"× {cal['reaction_range'][0]:.2f} – × {cal['reaction_range'][1]:.2f}",
                ),
                (
                    "behaviour.lock_time_s (all hardware)",
                    f"× {cal['lock_scale']:.2f}",
                    f"× {cal['lock_range'][0]:.2f} – × {cal['lock_range'][1]:.2f}",
                ),
            ),
            widths=(2.6, 1.0, 2.8),
            align=("l", "r", "l"),
            key="calibration",
        )
    )
    blocks.append(
        Para(
            f"Median absolute error between observed and simulated median room times: "
            f"{cal['mae_before_s']:.1f} s before, {cal['mae_after_s']:.1f} s after. The calibrated "
            "scenario is calibrated-scenario.yaml (brief and batch can use it directly)."
        )
    )
    if png:
        blocks.append(
            Figure(
                png,
                "Fit error over the two scales (darker = closer to the drill); "
                "the cross marks the best fit. A long dark valley means the two "
                "scales trade off and a single drill cannot separate them.",
                "Heat map of calibration error over reaction and lock scales.",
                width=0.7,
            )
        )
    limits = (
        "Reaction and lock time both add to the time before a door is locked; one drill mostly "
        "identifies their sum. The split rests on rooms with different lock hardware.",
        "One drill is one draw: a room's time includes chance. Repeat over several drills (and "
        "times of day) before changing plans on the fit.",
        "Not fitted: alert latencies, lock failure rates, safe-zone and hallway-recovery times, "
        "walking speeds. They stay at their scenario values.",
        "Announced drills are faster than surprises; the calibrated times describe drills.",
    )
    blocks.append(Box("What one drill can and cannot tell", (Bullets(limits),), "warn"))
    return blocks
