"""A room's lock hardware: the plan's lock names per door, and plain words for people."""

from __future__ import annotations

from drillsim.plan.compile import LOCK_NAMES, Plan

#: Plain-language lock hardware names for people (not file keywords).
LOCK_WORDS = {
    "none": "no lock",
    "thumbturn": "thumbturn",
    "key_inside": "key (inside)",
    "key_outside": "key from hallway",
    "auto_locking": "auto-locking",
    "central": "central lock",
}


def room_lock_names(plan: Plan, m: int) -> list[str]:
    """Lock hardware name of each door of room ``m``, in locking order.

    Parameters
    ----------
    plan : Plan
        The compiled plan.
    m : int
        Room index in the plan.

    Returns
    -------
    list of str
        Names from :data:`~drillsim.plan.compile.LOCK_NAMES` ("thumbturn", "key_inside", ...);
        empty if the room has no door.
    """
    return [LOCK_NAMES[int(plan.door_lock[d])] for d in plan.room_doors[m] if d >= 0]
