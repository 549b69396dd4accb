"""The briefing's building sections: the floorplan, rooms at risk, exits, coverage, lock-outs."""

from __future__ import annotations

from typing import Any

from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.locks import LOCK_WORDS
from drillsim.reports.pdf import Figure, Heading, Para, Table
from drillsim.reports.wording import fmt_m, fmt_pct, fmt_s


def building_blocks(stats: dict[str, Any], png: bytes, routes_png: bytes | None = None) -> list:
    """The building sections: floorplan, rooms at risk or exits, coverage gaps, lock-outs.

    Lockdown: the floorplan with each room's expected time to secure, the rooms table and the
    rooms at risk of never securing. Evacuation: the alert floorplan and the exits. Then the
    alert coverage gaps and (lockdown) the hallway spaces with locked-out risk.
    """
    lockdown = stats["protocol"] == "lockdown"
    blocks: list = []
    if lockdown:
        blocks.append(Heading("Floorplan: expected time to secure each room", 2, "floorplan"))
        blocks.append(
            Figure(
                png,
                "Median time to secure each room (door locked and "
                "occupants in the safe zone). Hatched: outside PA coverage. Orange outline: "
                "the alert usually arrives only by word of mouth. Red outline: drill "
                "origin. 'never': the room did not secure in most runs.",
                "Floorplan coloured by median time to secure each room.",
                landscape=True,
            )
        )
        rrows, styles = [], []
        for r in sorted(stats["rooms"], key=lambda r: (r["zone"], r["room"])):
            rrows.append(
                (
                    r["room"],
                    r["label"],
                    r["zone"],
                    ", ".join(LOCK_WORDS[x] for x in r["locks"]),
                    "yes" if r["pa"] else "NO",
                    fmt_s(r["alert_median_s"]),
                    fmt_s(r["secured_median_s"]),
                    fmt_s(r["secured_p90_s"]),
                    fmt_pct(r["share_never"]),
                )
            )
            styles.append("flag" if r["share_never"] >= 0.10 or not r["pa"] else "")
        blocks.append(
            Table(
                (
                    "Room",
                    "Label",
                    "Zone",
                    "Lock",
                    "PA",
                    "Alert heard (median)",
                    "Secured (median)",
                    "Secured (p90)",
                    "Never secured",
                ),
                tuple(rrows),
                widths=(0.9, 1.7, 1.6, 1.1, 0.5, 0.9, 0.9, 1.0, 0.8),
                align=("l", "l", "l", "l", "c", "r", "r", "r", "r"),
                row_styles=tuple(styles),
                key="rooms",
                row_keys=tuple(r[0] for r in rrows),
                font_size=7.5,
                caption="Each room's expected times (shaded: outside PA or ≥ 10 % of runs "
                "never secured)",
            )
        )

        blocks.append(Heading("Rooms at risk of never securing", 2, "never"))
        risky = sorted(
            (r for r in stats["rooms"] if r["share_never"] > 0),
            key=lambda r: (-r["share_never"], r["room"]),
        )
        if risky:
            blocks.append(
                Para(
                    "Share of simulated runs in which the room was never secured, with the "
                    "main simulated reason and what in the building contributes. Lock "
                    "failure rates are placeholders until checked against the school's own "
                    "door audits."
                )
            )
            blocks.append(
                Table(
                    ("Room", "Label", "Never secured", "Main reason", "By cause", "Contributing"),
                    tuple(
                        (
                            r["room"],
                            r["label"],
                            fmt_pct(r["share_never"]),
                            r["main_reason"],
                            _by_cause(r),
                            _why(r),
                        )
                        for r in risky
                    ),
                    widths=(0.8, 1.5, 0.9, 1.3, 1.7, 2.1),
                    align=("l", "l", "r", "l", "l", "l"),
                    row_styles=tuple("flag" if r["share_never"] >= 0.10 else "" for r in risky),
                    key="never",
                    row_keys=tuple(r["room"] for r in risky),
                )
            )
        else:
            blocks.append(Para("Every room secured in every simulated run."))
        blocks.extend(door_audit_blocks(stats))
    elif stats["protocol"] in PROFILES and stats["protocol"] != "options":  # issue 9
        blocks.append(Heading("Floorplan: alert", 2, "floorplan"))
        blocks.append(
            Figure(
                png,
                "Median time each space hears the alert. Hatched: outside PA coverage. "
                "Red: drill origin.",
                "Floorplan coloured by median alert time.",
                landscape=True,
            )
        )
        blocks.append(Para(PROFILES[stats["protocol"]].floorplan_note))
    else:
        blocks.append(Heading("Floorplan: alert and evacuation routes", 2, "floorplan"))
        blocks.append(
            Figure(
                png,
                "Median time each space hears the alert. Hatched: "
                "outside PA coverage. Red: drill origin; orange: spaces evacuation routes "
                "avoid.",
                "Floorplan coloured by median alert time.",
                landscape=True,
            )
        )
        if stats["protocol"] in PROFILES:
            blocks.append(Para(PROFILES[stats["protocol"]].floorplan_note))
        ev = stats["evacuation"]
        if routes_png is not None:
            blocks.append(
                Figure(
                    routes_png,
                    "Each room's route to its exit (colour = exit) and its posted alternate "
                    "(dashed); exits with the people routed there and the walk to assembly.",
                    "Floorplan with the evacuation route of every room.",
                    landscape=True,
                )
            )
        blocks.append(Heading("Exits and assembly", 3))
        plan_words = {
            "nearest": "each space's nearest exit",
            "posted": "the posted routes (primary, or the alternate where the primary is blocked)",
            "balanced": "the balanced plan (classes spread over the exits by walking time and "
            "door capacity)",
        }
        note = f"Routes: {plan_words.get(ev['routing'], ev['routing'])}."
        later = ev.get("blocked_later", {})
        if ev["blocked"] or later:
            names = list(ev["blocked"]) + [f"{x} from {t:g} s" for x, t in later.items()]
            note += (
                f" Blocked for this drill: {', '.join(names)}; {ev['rerouted']} people "
                + ("(median over the runs) " if later else "")
                + "take another way because of it."
            )
        blocks.append(Para(note))
        blocks.append(
            Table(
                (
                    "Exit",
                    "Label",
                    "People (median)" if later else "People",
                    "Share",
                    "To assembly",
                    "Last out (median / p90)",
                ),
                tuple(
                    (
                        e["exit"],
                        e["label"],
                        str(e["people"])
                        + (f" (planned {e['people_planned']})" if later else ""),
                        fmt_pct(e["share"]),
                        (f"{e['assembly']} " if e["assembly"] else "") + fmt_m(e["assembly_m"]),
                        f"{fmt_s(e['last_out_median_s'])} / {fmt_s(e['last_out_p90_s'])}",
                    )
                    for e in ev["exits"]
                ),
                widths=(1.1, 2.2, 1.3, 0.7, 1.0, 1.8) if later else (1.1, 2.2, 0.8, 0.7, 1.0, 1.8),
                align=("l", "l", "r", "r", "r", "r"),
                key="exits",
                row_keys=tuple(e["exit"] for e in ev["exits"]),
            )
        )
        if ev["assembly_areas"]:
            blocks.append(
                Para(
                    "Assembly areas: where each class walks after its exit (the one its posted "
                    "plan names, else the nearest by walkway) and is accounted for. Capacity is "
                    "the area's; * = more people assigned than it holds."
                )
            )
            blocks.append(
                Table(
                    ("Assembly area", "Label", "Classes", "People", "Holds", "Last accounted"),
                    tuple(
                        (
                            a["assembly"] + (" *" if a["over_capacity"] else ""),
                            a["label"],
                            str(a["spaces"]),
                            str(a["people"]),
                            str(a["capacity"]) if a["capacity"] else "-",
                            f"{fmt_s(a['accounted_median_s'])} / {fmt_s(a['accounted_p90_s'])}",
                        )
                        for a in ev["assembly_areas"]
                    ),
                    widths=(1.2, 2.0, 0.8, 0.8, 0.8, 1.8),
                    align=("l", "l", "r", "r", "r", "r"),
                    row_styles=tuple("flag" if a["over_capacity"] else "" for a in
                                     ev["assembly_areas"]),
                    key="assembly_areas",
                    row_keys=tuple(a["assembly"] for a in ev["assembly_areas"]),
                )
            )
        if ev["no_route"]:
            blocks.append(
                Para(f"{ev['no_route']} people have no route to an exit in the floorplan.", "note")
            )
        for a in ev["assisted"]:
            blocks.append(
                Para(
                    f"A person from {a['space']}"
                    + (f" (roster id {a['person_id']})" if a.get("person_id") else "")
                    + f" who cannot use the stairs waits in the area of refuge {a['refuge']}; the "
                    + (f"adult {a['helper_id']}" if a.get("helper_id") else "adult")
                    + f" from {a['helper_space']} comes back for them "
                    f"after reaching an exit. {a['space']}'s class is all outside by "
                    f"{fmt_s(a['class_out_median_s'])} (median; p90 {fmt_s(a['class_out_p90_s'])}).",
                    "note",
                )
            )
        if ev["queues"]:
            blocks.append(Heading("Largest queues", 3))
            blocks.append(
                Para(
                    "Where people wait: the legs of the routes (a door, opening, stair or corridor "
                    "walked one way) with the most people queueing at once, and what limits them."
                )
            )
            blocks.append(
                Table(
                    ("Queue in", "Towards", "Limited by", "Capacity", "People", "Most waiting"),
                    tuple(
                        (
                            r["queue_in"],
                            r["towards"],
                            r["limited_by"],
                            f"{r['capacity_pps']:.2f} p/s",
                            str(r["people"]),
                            f"{r['max_queue_median']:.0f} (p90 {r['max_queue_p90']:.0f})",
                        )
                        for r in ev["queues"]
                    ),
                    widths=(1.2, 1.2, 1.0, 1.0, 0.8, 1.4),
                    align=("l", "l", "l", "r", "r", "r"),
                    key="queues",
                    row_keys=tuple(f"{r['queue_in']}>{r['towards']}" for r in ev["queues"]),
                )
            )
        blocks.append(Heading("Room routes and accountability", 3))
        blocks.append(
            Para(
                "Each room's exit, alternate and assembly area (with the walk from the exit), and "
                "the expected time (median / p90) until its last person is outside, until its last "
                "member is at assembly, and until the class is accounted for there (+ "
                f"{ev['report_delay_s']:.0f} s teacher report). * = rerouted (blocked primary)."
            )
        )
        blocks.append(
            Table(
                ("Room", "People", "Exit", "Alternate", "Assembly", "Outside", "At assembly",
                 "Accounted"),
                tuple(
                    (
                        r["room"] + (" *" if r["rerouted"] else ""),
                        str(r["people"]),
                        r["exit"],
                        r["alternate"] or "-",
                        (f"{r['assembly']} " if r["assembly"] else "") + fmt_m(r["assembly_m"]),
                        f"{fmt_s(r['out_median_s'])} / {fmt_s(r['out_p90_s'])}",
                        f"{fmt_s(r['at_assembly_median_s'])} / {fmt_s(r['at_assembly_p90_s'])}",
                        f"{fmt_s(r['accounted_median_s'])} / {fmt_s(r['accounted_p90_s'])}",
                    )
                    for r in ev["rooms"]
                ),
                widths=(0.9, 0.6, 0.9, 0.9, 1.3, 1.3, 1.3, 1.3),
                align=("l", "r", "l", "l", "l", "r", "r", "r"),
                key="room_routes",
                row_keys=tuple(r["room"] for r in ev["rooms"]),
            )
        )

    blocks.append(Heading("Alert coverage gaps", 2, "coverage"))
    gaps = stats["coverage_gaps"]
    if gaps:
        blocks.append(
            Para(
                "Spaces outside PA coverage, and occupied spaces (beyond the drill origin's "
                "immediate neighbours) where the alert arrived first by word of mouth in "
                "most runs (no speaker, app or radio reached them first). Check speakers, "
                "and plan who tells these spaces."
            )
        )
        blocks.append(
            Table(
                (
                    "Space",
                    "Label",
                    "Kind",
                    "PA",
                    "Alert by word of mouth",
                    "Alert heard (median)",
                    "Alert heard (p90)",
                ),
                tuple(
                    (
                        g["space"],
                        g["label"],
                        g["kind"],
                        "yes" if g["pa"] else "NO",
                        fmt_pct(g["share_word_of_mouth"]),
                        fmt_s(g["alert_median_s"]),
                        fmt_s(g["alert_p90_s"]),
                    )
                    for g in gaps
                ),
                widths=(1.0, 2.2, 1.0, 0.6, 1.2, 1.1, 1.1),
                align=("l", "l", "l", "c", "r", "r", "r"),
                key="coverage",
                row_keys=tuple(g["space"] for g in gaps),
            )
        )
    else:
        blocks.append(Para("Every space is covered by the PA and hears a formal alert first."))

    if lockdown:
        blocks.append(Heading("Hallway spaces with locked-out risk", 2, "lockedout"))
        lo = [x for x in stats["locked_out"]]
        if lo:
            blocks.append(
                Para(
                    "People who start the drill in these spaces (hallways, restrooms, open "
                    "areas) found every nearby room already closed in some runs. Plan where "
                    "they go (nearest room that will hold the door, or a designated room) "
                    "and rehearse hallway recovery."
                )
            )
            blocks.append(
                Table(
                    (
                        "Space",
                        "Label",
                        "Kind",
                        "Runs with ≥ 1 locked out",
                        "People locked out (mean)",
                        "(most)",
                    ),
                    tuple(
                        (
                            x["space"],
                            x["label"],
                            x["kind"],
                            fmt_pct(x["share_runs"]),
                            f"{x['mean_count']:.1f}",
                            f"{x['max_count']:.0f}",
                        )
                        for x in lo
                    ),
                    widths=(1.0, 2.4, 1.0, 1.3, 1.3, 0.7),
                    align=("l", "l", "l", "r", "r", "r"),
                    key="lockedout",
                    row_keys=tuple(x["space"] for x in lo),
                )
            )
        else:
            blocks.append(Para("No one was locked out in any simulated run."))
    return blocks


def _why(r: dict[str, Any]) -> str:
    parts = []
    for lk in r["locks"]:
        if lk == "key_outside":
            parts.append("key lock from the hallway (adult must step out)")
        elif lk == "key_inside":
            parts.append("key lock (key needed)")
        elif lk == "none":
            parts.append("door has no lock hardware")
    if len(r["locks"]) > 1:
        parts.append(f"{len(r['locks'])} doors to lock")
    if not r["pa"]:
        parts.append("outside PA coverage (late alert)")
    if not parts:
        parts.append(f"{', '.join(LOCK_WORDS[x] for x in r['locks'])} lock can fail")
    return "; ".join(parts)


def _by_cause(r: dict[str, Any]) -> str:
    """ "audited condition 100 %, sampled fault 2 %": the share of runs per cause of never secured."""
    return ", ".join(f"{c} {fmt_pct(v)}" for c, v in r.get("never_by_cause", {}).items() if v > 0)


def door_audit_blocks(stats: dict[str, Any]) -> list:
    """Actions from the door audit and from rooms that can never be secured (facts, not samples)."""
    found = stats.get("door_findings", [])
    blocks: list = [Heading("Door audit: actions before the drill", 2, "door_audit")]
    if not found:
        blocks.append(
            Para(
                "No audited door condition is recorded in the floorplan and every room to "
                "secure has a lock on each entry door."
            )
        )
        return blocks
    blocks.append(
        Para(
            "From the floorplan's door audit (connection condition and audit date): these are "
            "facts of the building, the same in every run, and each has a fix."
        )
    )
    blocks.append(
        Table(
            ("Door", "Room", "Finding", "Action"),
            tuple((f["door"], f["room"] or "—", f["what"], f["fix"]) for f in found),
            widths=(1.1, 1.0, 1.6, 4.6),
            align=("l", "l", "l", "l"),
            key="door_audit",
            row_keys=tuple(f["door"] for f in found),
        )
    )
    return blocks
