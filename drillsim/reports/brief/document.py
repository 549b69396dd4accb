"""The briefing as a :class:`~drillsim.reports.pdf.Doc`, built from its numbers and figures."""

from __future__ import annotations

from typing import Any

from drillsim.metrics.score import SECURABLE_DEFINITION, k95
from drillsim.reports.brief.agenda import agenda_blocks, drill_framing_box
from drillsim.reports.brief.building_section import building_blocks
from drillsim.reports.brief.inform_section import inform_blocks
from drillsim.reports.brief.observer_sheet import observer_sheet_blocks
from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.brief.sro_section import sro_blocks
from drillsim.reports.pdf import Doc, Figure, Heading, PageBreak, Para, Table
from drillsim.reports.wording import about_numbers_box, fmt_pct, fmt_s, provenance_line
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def build_briefing_doc(
    loaded: LoadedScenario,
    result: BatchResult,
    stats: dict[str, Any],
    figures: dict[str, bytes],
    player: dict[str, Any] | None = None,
    steps: dict[str, Any] | None = None,
) -> Doc:
    """The briefing as a Doc (rendered to HTML and to PDF); ``player`` links the median run.

    ``steps`` is ``time_these_steps`` of a ``sensitivity.json``; given, the SRO section is
    followed by "Time these three steps at your next drill".
    """
    plan, fp, sc = result.plan, loaded.floorplan, loaded.scenario
    lockdown = plan.protocol == "lockdown"
    prov = stats["provenance"]
    zones: dict[str, list[str]] = {}
    for r in stats["rooms"]:
        zones.setdefault(r["zone"], []).append(r["room"])
    kind_word = "Lockdown" if lockdown else "Evacuation"
    if plan.protocol in PROFILES:
        kind_word = PROFILES[plan.protocol].title
    doc = Doc(
        title=f"{kind_word} drill briefing: {sc.name}",
        subtitle=(
            f"{fp.name} · drill origin: {stats['origin_label']} ({stats['origin']}) · "
            f"{stats['people']} people · {plan.n_rooms} rooms to "
            f"{'secure' if lockdown else plan.protocol if plan.protocol in PROFILES else 'evacuate'}"
        ),
        kind="Drill briefing",
        provenance=provenance_line(prov),
    )
    doc.add(drill_framing_box(plan.protocol))
    doc.add(*inform_blocks(sc, fp))  # issue 9: scripted updates / fire alarm
    if sc.description:
        doc.add(Para(f"Scenario: {sc.description}", "note"))

    doc.add(*timeline_blocks(stats, figures["timeline"]))
    if player is not None:
        from drillsim.reports.brief.player_link import player_blocks

        doc.add(*player_blocks({**player, "n_runs": result.n_runs}))
    doc.add(*building_blocks(stats, figures["floorplan"], figures.get("evacuation_routes")))
    doc.add(*sro_blocks(stats, fp, figures["routes"]))
    if steps is not None:
        from drillsim.reports.sensitivity import steps_blocks

        doc.add(*steps_blocks(steps))
    doc.add(*agenda_blocks(stats, zones))
    doc.add(about_numbers_box(prov))
    doc.add(PageBreak())
    doc.add(*observer_sheet_blocks(stats, plan.protocol))
    return doc


def timeline_blocks(stats: dict[str, Any], png: bytes) -> list:
    """The expected-timeline section: a table of the key times and the timeline figure."""
    lockdown = stats["protocol"] == "lockdown"
    m = stats["metrics"]
    blocks: list = [Heading("Expected timeline", 2, "timeline")]
    rows, keys = [], []

    def row(
        key: str, label: str, lo_is_bad: bool = False, share: bool = False, note: str = ""
    ) -> None:
        if key not in m:
            return
        s = m[key]
        f = fmt_pct if share else fmt_s
        worse = s["p10"] if lo_is_bad else s["p90"]
        never = s["share_never"]
        if not share and never > 0 and not note:
            note = f"not reached in {fmt_pct(never)} of runs"
        rows.append((label, f(s["median"]), f(worse), note))
        keys.append(key)

    if lockdown:
        n_rooms = stats["rooms_to_secure"]
        k = k95(n_rooms) if n_rooms else 0
        row("time_95_secured_s", f"95 % of the {n_rooms} rooms to secure secured ({k} rooms)")
        tall = m["time_all_secured_s"]
        reached = 1.0 - tall["share_never"]
        rows.append(
            (
                f"All {n_rooms} rooms secured",
                f"in {fmt_pct(reached)} of runs",
                fmt_s(tall["p90"]) if tall["share_never"] <= 0.1 else "not reached",
                f"median of the runs that reached it: {fmt_s(tall['median_when_reached'])}"
                if reached > 0
                else "never reached: see the rooms never secured below",
            )
        )
        keys.append("time_all_secured_s")
        row("time_all_alerted_s", "Everyone has heard the alert")
        row("time_last_secured_s", "Last room that did secure")
        for t_mark in (60, 120, 300):
            row(
                f"rooms_secured_by_{t_mark}s",
                f"Share of the {n_rooms} rooms secured by {t_mark} s",
                lo_is_bad=True,
                share=True,
                note="worse case = 10th percentile",
            )
        row("rooms_never_secured", "Rooms never secured (count)")
        causes = "; ".join(
            f"{label} {m[key]['mean']:.2f}"
            for key, label in (
                ("rooms_never_secured_audited", "audited condition"),
                ("rooms_never_secured_sampled", "sampled fault"),
                ("rooms_never_secured_attempt", "failed lock attempt"),
                ("rooms_never_secured_alert", "never alerted"),
            )
            if key in m and m[key]["mean"] > 0
        )
        rows[-1] = (
            rows[-1][0],
            f"{m['rooms_never_secured']['median']:.0f}",
            f"{m['rooms_never_secured']['p90']:.0f}",
            f"mean per run by cause: {causes}" if causes else "",
        )
        row("sro_arrival_s", "SRO reaches the drill origin")
        if "sweep_time_s" in m and stats["mode"] == "drill":
            row("sweep_time_s", "SRO door-check sweep (duration)")
    elif stats["protocol"] in PROFILES:  # Hold, Secure, Shelter, options (issue 9)
        for key, label in PROFILES[stats["protocol"]].timeline:
            row(key, label)
    else:
        row("time_all_alerted_s", "Everyone has heard the alert")
        row("time_95_evacuated_s", "95 % of people at an assembly point")
        row("time_all_outside_s", "Everyone outside the building")
        row("evacuation_time_s", "Everyone at an assembly point")
        row("time_all_accounted_s", "Every class accounted for (teacher reported)")
        row("max_door_queue_s", "Longest wait of one person in queues")
        row("sro_arrival_s", "SRO reaches the drill origin")
    blocks.append(
        Table(
            ("Measure", "Median run", "Worse case (p90)", "Note"),
            tuple(rows),
            widths=(3.0, 1.5, 1.5, 2.6),
            align=("l", "r", "r", "l"),
            key="timeline",
            row_keys=tuple(keys),
        )
    )
    if lockdown:
        blocks.append(Para(SECURABLE_DEFINITION, "note"))
    blocks.append(
        Figure(
            png,
            "Expected progress after the announcement: the line is "
            "the median run, the band covers 8 in 10 runs.",
            "Line chart of the share of rooms secured over time.",
        )
    )
    return blocks
