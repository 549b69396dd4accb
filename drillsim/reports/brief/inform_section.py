"""The briefing's "scripted events" box: located updates and a fire alarm during the drill.

Staff are told beforehand what will happen and what the rule is, as trauma-informed drill practice
asks (no surprise alarms); the fire-alarm guidance comes from the research note (protocols.md).
"""

from __future__ import annotations

from drillsim.reports.pdf import Box, Bullets, Para
from drillsim.reports.wording import fmt_s

_RULES = {
    "ignore": "stay locked down: ignore the alarm unless told otherwise over the PA or you see "
    "evidence of fire (the guidance)",
    "follow": "this drill tests what happens when rooms follow the alarm: rooms that do leave by "
    "their posted evacuation route",
    "follow_if_confirmed": "rooms near the reported fire location ({where}) evacuate by their "
    "posted route; all others stay locked down",
}


def inform_blocks(scenario, fp) -> list:
    """A box listing the drill's scripted updates and fire alarm (empty when there are none)."""
    inf = scenario.inform
    if not inf.updates and inf.fire_alarm is None:
        return []
    items = []
    for u in inf.updates:
        where = ", ".join(str(fp.space(s)["label"]) for s in u.location)
        rooms = ", ".join(u.evacuate)
        msg = f'"{u.message}" ' if u.message else ""
        items.append(
            f"At {fmt_s(u.at_s)}: update {msg}"
            + (f"(location: {where}) " if where else "")
            + f"— rooms {rooms} evacuate by their posted route; every other room stays locked."
        )
    fa = inf.fire_alarm
    if fa is not None:
        where = ", ".join(str(fp.space(s)["label"]) for s in fa.confirmed_spaces)
        items.append(
            f"At {fmt_s(fa.at_s)}: the fire alarm sounds (scripted). Rule: "
            + _RULES[fa.rule].format(where=where)
            + "."
        )
    return [
        Box(
            "Scripted events in this drill",
            (
                Para("Tell every adult before the drill; nobody should be surprised by them."),
                Bullets(tuple(items)),
            ),
            "drill",
        )
    ]
