"""Steps shared by the batch engine's protocol modules."""

from __future__ import annotations

import numpy as np

from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def no_rooms(plan: Plan, d: Draws) -> dict[str, np.ndarray]:
    """Room outcomes for a protocol that locks no room: all *not applicable* (nan, reason -1)."""
    R, M = d.n_runs, plan.n_rooms
    mnan = np.full((R, M), np.nan)
    return {
        "room_lock_start_s": mnan,
        "room_locked_s": mnan.copy(),
        "room_secured_s": mnan.copy(),
        "room_reason": np.full((R, M), -1, dtype=np.int8),
        "room_key_outside_s": mnan.copy(),
    }
