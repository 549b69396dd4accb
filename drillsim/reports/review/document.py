"""The HSEEP-style after-action report and improvement plan as a :class:`~drillsim.reports.pdf.Doc`."""

from __future__ import annotations

from typing import Any

from drillsim.reports.pdf import Box, Bullets, Doc, Heading, Table
from drillsim.reports.review.calibration_section import calibration_blocks
from drillsim.reports.review.improvement_section import improvement_blocks, improvement_plan_blocks
from drillsim.reports.review.performance_section import (
    notes_blocks,
    performance_blocks,
    strengths_blocks,
)
from drillsim.reports.wording import about_numbers_box, provenance_line
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def build_review_doc(
    loaded: LoadedScenario, result: BatchResult, data: dict[str, Any], figures: dict[str, bytes]
) -> Doc:
    """The after-action report as a Doc (rendered to HTML and PDF)."""
    sc, fp = loaded.scenario, loaded.floorplan
    prov = data["provenance"]
    n, n_obs = data["n_rooms"], data["n_observed"]
    doc = Doc(
        title=f"Lockdown drill after-action report: {sc.name}",
        subtitle=(
            f"{fp.name} · observer sheet {data['observer_file']} · {n_obs} of {n} rooms "
            f"observed · compared with {prov['n_runs']} simulated runs"
        ),
        kind="After-action report",
        provenance=provenance_line(prov),
    )
    summary = (
        f"Rooms flagged slower than the simulated 90th percentile: "
        f"{', '.join(data['flagged_slow']) or 'none'}.",
        f"Rooms not secured in the drill: {', '.join(data['flagged_not_secured']) or 'none'}.",
        f"Rooms at or better than the simulated median: {len(data['at_or_better_than_median'])}"
        f" of {data['n_secured']} secured rooms.",
        f"Rooms not observed: {', '.join(data['not_observed']) or 'none'}.",
    )
    style = "warn" if data["flagged_slow"] or data["flagged_not_secured"] else "info"
    doc.add(Box("Summary", (Bullets(summary),), style))

    # 1. exercise overview
    doc.add(Heading("1. Exercise overview", 2, "overview"))
    doc.add(
        Table(
            ("Item", "Detail"),
            (
                ("Exercise name", sc.name),
                ("Exercise type", "Operations-based exercise: announced lockdown drill"),
                ("Exercise date", ""),
                (
                    "Scope",
                    f"{fp.name}; {n} rooms to secure; drill origin "
                    f"{fp.space(sc.incident.origin)['label']} (abstract location, no threat "
                    "depicted)",
                ),
                (
                    "Mission area / core capability",
                    "Response: on-scene security and protection "
                    "(lockdown); operational communications (alert)",
                ),
                ("Participating organisations", ""),
                ("Point of contact", ""),
                (
                    "Evaluation data",
                    f"Observer sheet {data['observer_file']} ({n_obs} rooms observed); "
                    f"simulated expectation from {prov['n_runs']} runs (seed "
                    f"{prov['seed']})",
                ),
            ),
            widths=(1.6, 5.0),
            key="overview",
        )
    )

    doc.add(*performance_blocks(data, figures["rooms"], figures["floorplan"]))
    doc.add(*strengths_blocks(data))
    doc.add(*notes_blocks(data))
    doc.add(*improvement_blocks(data))
    doc.add(*improvement_plan_blocks(data))

    if data["calibration"]:
        doc.add(*calibration_blocks(data["calibration"], figures.get("calibration")))
    doc.add(about_numbers_box(prov))
    return doc
