"""The briefing's "this is a drill" framing and its pre-drill agenda.

The agenda follows trauma-informed drill guidance: roles, observers, announcement wording that says
it is a drill, notice status, accommodations, distress plan, keys for responders and the hot wash.
"""

from __future__ import annotations

from typing import Any

from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.brief.stats import expected_duration_min
from drillsim.reports.locks import LOCK_WORDS
from drillsim.reports.pdf import Box, Bullets, Fields, Heading, Para, Table

DEBRIEF_MIN = 30


def drill_framing_box(protocol: str) -> Box:
    """The "this is a drill" framing at the top of every briefing."""
    action = "lockdown" if protocol == "lockdown" else "evacuation"
    practice = (
        "alert, lock, lights, out of sight; or leave by a safe route and account for everyone"
    )
    if protocol in PROFILES:  # Hold, Secure, Shelter, options (issue 9)
        action, practice = PROFILES[protocol].action, PROFILES[protocol].practice
    return Box(
        f"This is {'an' if action[0] in 'aeiou' else 'a'} {action} DRILL — not a real event",
        (
            Para(
                f"This pack prepares an announced {action} drill: practice of protective actions "
                f"({practice}). The "
                '"drill origin" is an abstract location used only to time the '
                "response; nothing in this pack or in the drill depicts a threat."
            ),
            Bullets(
                (
                    'Say "This is a drill" at the start and at the end of every announcement.',
                    "No sound effects, no one acting out a threat, no props, no staged harm and no "
                    "deception — trauma-informed drill guidance (NASP/NASRO, Everytown/AFT/NEA, "
                    "National Academies 2025) advises against realistic simulation.",
                    "Keep the drill developmentally appropriate; tell participants beforehand what will "
                    "happen and why.",
                    "Drill team and observers are not drawn from the people who would respond to a real "
                    "event, so real-response capacity is never reduced by the drill.",
                )
            ),
        ),
        "drill",
    )


def agenda_blocks(stats: dict[str, Any], zones: dict[str, list[str]]) -> list:
    """The pre-drill agenda: roles, observers, announcements, notice, accommodations, distress."""
    lockdown = stats["protocol"] == "lockdown"
    duration = expected_duration_min(stats)
    blocks: list = [Heading("Pre-drill agenda", 2, "agenda")]
    blocks.append(
        Para(
            f"Plan about {duration} minutes for the drill itself (simulated p90 of its last step"
            + (", the SRO's door-check sweep" if lockdown and stats["sro"]["on_duty"] else "")
            + f") plus about {DEBRIEF_MIN} minutes for the hot wash (debrief) right after, and time "
            "for classroom conversations afterwards."
        )
    )
    blocks.append(Heading("Roles", 3))
    roles = (
        (
            "Drill lead",
            "Principal or designee. Runs this agenda, confirms notices, starts and "
            "ends the drill, chairs the hot wash.",
        ),
        (
            "Drill team",
            "Staff who run and observe the drill. Not drawn from the school's real "
            "responders (SRO back-up, front-office emergency roles), so a real event "
            "during the drill is still covered.",
        ),
        (
            "Observers (one per zone)",
            "Record times on the observer sheet; do not knock, test or "
            "enter rooms during the drill unless that is the plan.",
        ),
        (
            "SRO",
            "Informs dispatch that a drill is under way; walks the door-check sweep; stays "
            "ready for a real call throughout.",
        ),
        (
            "Office / PA operator",
            "Reads the announcements word for word; makes the end-of-drill "
            "announcement; logs the times of both.",
        ),
        (
            "Mental-health contact",
            "School counsellor, psychologist or social worker: present "
            "during and after; receives any distress report.",
        ),
        (
            "Accommodations lead",
            "Confirms each student's individual plan is known to the adults "
            "with them (no individual data in this pack).",
        ),
    )
    blocks.append(
        Table(
            ("Role", "Name (fill in)", "Responsibility"),
            tuple((r, "", d) for r, d in roles),
            widths=(1.3, 1.4, 4.0),
            key="roles",
            row_keys=tuple(r for r, _ in roles),
        )
    )
    blocks.append(Heading("Observer assignments", 3))
    blocks.append(
        Para(
            "One observer per zone (the hallway rooms open onto). Each observer fills "
            "in the observer sheet rows of their zone."
        )
    )
    blocks.append(
        Table(
            ("Zone", "Rooms", "Observer (fill in)"),
            tuple((z, ", ".join(r), "") for z, r in zones.items()),
            widths=(2.0, 3.6, 1.8),
            key="observers",
            row_keys=tuple(zones),
        )
    )
    blocks.append(Heading("Announcement wording", 3))
    if lockdown:
        start = (
            '"Attention please. This is a drill. Lockdown! Locks, lights, out of sight. '
            'This is a drill." (say it twice)'
        )
        end = (
            '"Attention please. The lockdown drill is over. This was a drill. Thank you — '
            'teachers, please take a few minutes with your class."'
        )
    else:
        start = (
            '"Attention please. This is a drill. Evacuate! Leave the building by your '
            'evacuation route and go to your assembly point. This is a drill." (say it '
            "twice)"
        )
        end = (
            '"Attention please. The evacuation drill is over. This was a drill. Please '
            'return to class. Thank you."'
        )
    if stats["protocol"] in PROFILES:
        start, end = PROFILES[stats["protocol"]].start, PROFILES[stats["protocol"]].end
    blocks.append(
        Bullets(
            (
                f"Start: {start}",
                f"End: {end}",
                "Plain language, no codes; keep the wording next to the PA "
                "microphone; tell the office how the all-clear is given.",
            )
        )
    )
    blocks.append(Heading("Notice status", 3))
    blocks.append(
        Para(
            "Recommended: an announced drill. Trauma-informed guidance asks for advance "
            "notice to staff, students and parents/guardians and no deception."
        )
    )
    blocks.append(
        Bullets(
            (
                "Staff notified in advance (date: ________)",
                "Students told in advance, in age-appropriate words (date: ________)",
                "Parents / guardians notified in advance (date: ________)",
                "Local police / dispatch told a drill is scheduled (date: ________)",
                "Custodial, food-service and transport staff included (date: ________)",
            ),
            checkbox=True,
        )
    )
    blocks.append(Heading("Accommodations for students with disabilities", 3))
    blocks.append(
        Bullets(
            (
                "Each student's individual plan (mobility, sensory, language, medical) reviewed "
                "with the adults who will be with them.",
                "Alerts reach deaf / hard-of-hearing students and staff (visual signal, text, buddy).",
                "Translations of the notice and of the script for families who need them.",
                "Opt-out or alternative participation arranged where a student's team recommends it.",
                "No extra assistance is assumed unless it is in the school's real plan.",
            ),
            checkbox=True,
        )
    )
    blocks.append(Heading("Distress plan and contact", 3))
    blocks.append(
        Para(
            "Any adult who sees a student or colleague in distress stops the drill "
            "for them (not for the school), stays with them and calls the contact. "
            "Offer a quiet place; tell the family the same day."
        )
    )
    blocks.append(
        Fields(
            (
                "Mental-health contact (name)",
                "Phone / radio channel",
                "Location during the drill",
                "Back-up contact",
                "Opt-outs logged by",
            )
        )
    )
    blocks.append(Heading("Keys for responders", 3))
    if stats["keys"]:
        blocks.append(
            Para(
                "These rooms' doors need a key to lock. Make sure each teacher has the "
                "key on them, and that the SRO and responding officers carry a master "
                "key that opens them."
            )
        )
        blocks.append(
            Table(
                ("Room", "Label", "Lock hardware", "Note"),
                tuple(
                    (
                        k["room"],
                        k["label"],
                        ", ".join(LOCK_WORDS[x] for x in k["locks"]),
                        "adult steps into the hallway to lock"
                        if "key_outside" in k["locks"]
                        else "key needed from inside",
                    )
                    for k in stats["keys"]
                ),
                widths=(1.0, 2.4, 1.6, 2.6),
                key="keys",
                row_keys=tuple(k["room"] for k in stats["keys"]),
            )
        )
    else:
        blocks.append(
            Para(
                "No room in this plan needs a key to lock. Responding officers still "
                "need a master key for every securable door."
            )
        )
    blocks.append(
        Bullets(
            ("Master key / access card for the SRO and responding officers (location: ________)",),
            checkbox=True,
        )
    )
    blocks.append(Heading("Hot wash (debrief) and classroom conversation", 3))
    blocks.append(
        Bullets(
            (
                "Right after the drill, at most 30–60 minutes: how long the drill took, what worked, "
                "what needs improvement, what the response time would be if it were not a drill.",
                "Teachers give students a short, calm conversation: what we practised and why.",
                "Collect the observer sheets; run drillsim review on the filled CSV for the "
                "after-action report.",
            )
        )
    )
    return blocks
