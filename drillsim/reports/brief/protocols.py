"""What the briefing says for Hold, Secure, Shelter and options-based response (issue 9).

Lockdown and evacuation keep their own wording in the brief modules; for the other protocols the
brief reads the action word, the SRP directive for the announcements, the timeline rows and the
observer-sheet columns from the profile here, so each protocol's pack shows what its drill practises.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BriefProfile:
    """Wording and measures of one protocol's briefing."""

    title: str  # "Hold drill briefing: ..."
    action: str  # "This is a Hold DRILL"
    practice: str  # what the drill practises (framing box)
    start: str  # start announcement
    end: str  # end announcement
    timeline: tuple[tuple[str, str], ...]  # (metric, label) rows of the expected timeline
    curve_label: str  # y label of the timeline figure (share of people safe)
    end_metric: str  # metric whose p90 sets the timeline's x range
    observer_columns: tuple[str, ...]  # CSV columns after room, label, observer
    observer_headers: tuple[str, ...]  # printed headers of those columns
    floorplan_note: str  # what the floorplan section says instead of evacuation routes


_ALERT = ("time_all_alerted_s", "Everyone has heard the alert")
_SAFE = ("time_all_safe_s", "Everyone secured or out")
_SAFE95 = ("time_95_safe_s", "95 % of people secured or out")
_EXPOSURE = ("hazard_exposure_person_s", "Person-seconds unsecured near the hazard zone")
_SRO = ("sro_arrival_s", "SRO reaches the drill origin")

PROFILES: dict[str, BriefProfile] = {
    "hold": BriefProfile(
        title="Hold",
        action="Hold",
        practice="clear the halls, stay in your room or area, class continues",
        start='"Attention please. This is a drill. Hold! In your room or area. Clear the halls. '
        'This is a drill." (say it twice)',
        end='"Attention please. The Hold drill is over. This was a drill. Thank you."',
        timeline=(_ALERT, ("time_halls_clear_s", "Halls clear"), _SAFE95, _SAFE, _SRO),
        curve_label="people out of the halls, door closed (%)",
        end_metric="time_halls_clear_s",
        observer_columns=("alert_heard_s", "door_closed_s", "halls_clear_s"),
        observer_headers=("Alert heard", "Door closed", "Hall outside clear"),
        floorplan_note="People in halls and on stairs go to the nearest staffed room; doors are "
        "closed, not locked, so nobody is turned away.",
    ),
    "secure": BriefProfile(
        title="Secure",
        action="Secure",
        practice="bring everyone inside and lock the outside doors; business as usual inside",
        start='"Attention please. This is a drill. Secure! Get inside. Lock outside doors. '
        'This is a drill." (say it twice)',
        end='"Attention please. The Secure drill is over. This was a drill. Thank you."',
        timeline=(
            _ALERT,
            ("time_all_inside_s", "Everyone from outdoors inside"),
            ("time_perimeter_locked_s", "Every exterior door locked"),
            _SAFE,
            _SRO,
        ),
        curve_label="people inside with the perimeter locked (%)",
        end_metric="time_perimeter_locked_s",
        observer_columns=("alert_heard_s", "everyone_inside_s", "exterior_door_locked_s"),
        observer_headers=("Alert heard", "Group inside", "Outside door locked"),
        floorplan_note="Groups outdoors walk in by the nearest door; assigned staff lock each "
        "exterior door once everyone coming in through it is inside.",
    ),
    "shelter": BriefProfile(
        title="Shelter",
        action="Shelter",
        practice="move to the designated shelter areas (and seal the building for hazmat)",
        start='"Attention please. This is a drill. Shelter! Go to your shelter area. '
        'This is a drill." (say it twice)',
        end='"Attention please. The Shelter drill is over. This was a drill. Please return to '
        'class. Thank you."',
        timeline=(
            _ALERT,
            ("time_all_sheltered_s", "Everyone in a shelter area"),
            ("time_exterior_closed_s", "Exterior openings closed (hazmat)"),
            _SAFE,
            _SRO,
        ),
        curve_label="people sheltered (%)",
        end_metric="time_all_sheltered_s",
        observer_columns=("alert_heard_s", "left_room_s", "in_shelter_s"),
        observer_headers=("Alert heard", "Left room", "In shelter area"),
        floorplan_note="Classes go to the nearest shelter area with room left; capacities come "
        "from the scenario's shelter plan.",
    ),
    "options": BriefProfile(
        title="Options-based response",
        action="options-based response",
        practice="leave by a route away from the reported location, or lock and barricade",
        start='"Attention please. This is a drill. The drill location is [location]. Leave if '
        'you can do so away from it; otherwise lock and barricade. This is a drill." (say it '
        "twice)",
        end='"Attention please. The drill is over. This was a drill. Thank you — teachers, '
        'please take a few minutes with your class."',
        timeline=(_ALERT, _SAFE95, _SAFE, ("people_leaving", "People who left"), _EXPOSURE, _SRO),
        curve_label="people secured or out (%)",
        end_metric="time_95_safe_s",
        observer_columns=("alert_heard_s", "decision", "door_locked_s", "left_room_s"),
        observer_headers=("Alert heard", "Left / locked", "Door locked", "Left room"),
        floorplan_note="Each room decides when it hears the alert: leave by a route that keeps "
        "clear of the reported drill location, or lock down and barricade.",
    ),
}
