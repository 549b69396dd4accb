"""Outcomes: what happened in each run, in the same schema from both engines.

All times are seconds after the incident (or drill) start. ``inf`` means *never* within the model
(e.g. a room whose lock failed is never secured); ``nan`` means *not applicable* (e.g. room lock times
in an evacuation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drillsim.runaxis import RunArrays


@dataclass(frozen=True)
class Outcomes(RunArrays):
    """Per-run outcomes; the first axis of every array is the run."""

    first_run: int
    space_alert_s: np.ndarray  # (R, S) first alert reaching each space
    room_lock_start_s: np.ndarray  # (R, M) door closed and locking begins (arrivals refused after)
    room_locked_s: np.ndarray  # (R, M) every door locked (inf if never)
    room_secured_s: np.ndarray  # (R, M) locked and occupants in the safe zone (inf if never)
    room_reason: np.ndarray  # (R, M) int8, see drillsim.plan.compile.REASON_NAMES
    room_key_outside_s: np.ndarray  # (R, M) seconds the adult spent in the hallway locking
    room_checked_s: np.ndarray  # (R, M) SRO door check completed (inf if no sweep)
    person_alert_s: np.ndarray  # (R, P)
    person_move_s: np.ndarray  # (R, P) starts moving (nan if stays put)
    person_arrive_s: np.ndarray  # (R, P) reaches refuge / exit (inf if never, nan if stays put)
    person_safe_s: np.ndarray  # (R, P) inside a locked room or at the assembly point
    person_refuge: np.ndarray  # (R, P) int64 room index, -1 if none
    person_locked_out: np.ndarray  # (R, P) bool
    person_queue_s: np.ndarray  # (R, P) total seconds queued at doors
    sro_alert_s: np.ndarray  # (R,)
    sro_arrival_s: np.ndarray  # (R,) SRO reaches the incident origin
    sweep_end_s: np.ndarray  # (R,) last door check completed (inf if no sweep)
    le_arrival_s: np.ndarray  # (R,) law enforcement arrives on site
    # -- protocols/hazard (issue 9) --
    perimeter_locked_s: np.ndarray  # (R, X) exterior door locked / closed (nan: not applicable)
    hazard_step_s: np.ndarray  # (R, K) start of each hazard-zone step (scripted input)
    space_decision: np.ndarray  # (R, S) int8 options: 1 leave, 0 lock down, -1 n/a or never alerted
    # -- inform (issue 9 item 4): a second unsecured interval [unsafe_again, safe2) --
    # A person whose room is ordered out (update, fire alarm) is unsecured over
    # [0, person_safe_s) and [person_unsafe_again_s, person_safe2_s); person_safe_s is then at most
    # the departure (the first interval ends when they leave, locked or not). nan: stays.
    room_left_s: np.ndarray  # (R, M) the room's occupants leave on an order (nan if they stay)
    person_unsafe_again_s: np.ndarray  # (R, P) leaves the refuge room on an order (nan: stays)
    person_arrive2_s: np.ndarray  # (R, P) reaches the exit after leaving (nan: stays)
    person_safe2_s: np.ndarray  # (R, P) reaches the assembly point after leaving (nan: stays)
    # -- evacuation servers (issue 7): largest number of people waiting at once at each server
    # (directed leg, ``plan.evac_net`` order); 0 where nobody queued or nobody passes servers
    server_max_queue: np.ndarray  # (R, K) int32
    # -- blockages after t0 (issue 7): the exit each person left by (-1: none / not an
    # evacuation) and when they switched route because of a blockage (nan: never); options: when
    # a locked-out hallway person switched to the way out (at their last refusal, or later when
    # the zone moved on and a safe way opened)
    person_exit: np.ndarray  # (R, P) int64 exit space index
    person_reroute_s: np.ndarray  # (R, P)
    # -- lockdown / options (issue 15): when a person was refused at their last candidate room
    # (their set-off time if they had none); nan for everyone never locked out. An options person
    # who then left keeps it (``person_locked_out`` is False for them, ``person_reroute_s`` >= it)
    person_lockout_s: np.ndarray  # (R, P)

    @property
    def n_runs(self) -> int:
        return int(self.sro_alert_s.shape[0])


def max_abs_difference(a: Outcomes, b: Outcomes) -> dict[str, float]:
    """Largest difference per field between two Outcomes (0 where equal, inf where inf/nan differ).

    Used by the differential tests: ``inf == inf`` and ``nan == nan`` count as equal. A queue time
    (``person_queue_s``) is a difference of times the two engines sum in different orders, so its
    difference is counted beyond the float64 resolution of the person's arrival time
    (``WAIT_ULPS`` ulps: 1.2e-10 s at a day, but 3e-8 s at 1.7e7 s, where no engine can hold
    1e-9 s); every other field is compared as it is.
    """
    out = {}
    # float64 resolution of each person's arrival time, for the queue-time comparison
    arrive = np.abs(np.nan_to_num(a.person_arrive_s, nan=0.0, posinf=0.0))
    queue_slack = 8 * np.spacing(arrive)
    for name, x in a.arrays().items():
        y = getattr(b, name)
        if x.shape != y.shape:
            out[name] = np.inf
            continue
        if x.dtype == bool or np.issubdtype(x.dtype, np.integer):
            out[name] = 0.0 if np.array_equal(x, y) else np.inf
            continue
        same_special = (np.isnan(x) & np.isnan(y)) | (np.isinf(x) & (x == y))
        mismatch_special = (~np.isfinite(x) | ~np.isfinite(y)) & ~same_special
        if mismatch_special.any():
            out[name] = np.inf
            continue
        finite = np.isfinite(x) & np.isfinite(y)
        with np.errstate(invalid="ignore"):  # inf - inf where both are inf (equal, not compared)
            gap = np.abs(x - y)
        if name == "person_queue_s" and queue_slack.shape == gap.shape:
            gap = np.maximum(gap - queue_slack, 0.0)
        out[name] = float(np.max(gap[finite], initial=0.0))
    return out
