"""Score Outcomes into per-run protective metrics and over-time curves.

Every metric is protective: when people were alerted, when rooms were secured, how many
person-seconds people spent unsecured, how long evacuation and the SRO's response took. ``inf`` means
the event never happened in that run (e.g. a room whose lock failed is never secured).
"""

from __future__ import annotations

import numpy as np

from drillsim.engines.outcomes import Outcomes
from drillsim.metrics.exposure import exposure
from drillsim.metrics.intervals import final_safe_s, unsecured_count, unsecured_s
from drillsim.plan.codes import (
    CAUSE_ALERT,
    CAUSE_ATTEMPT,
    CAUSE_AUDITED,
    CAUSE_SAMPLED,
    REASON_CAUSE,
)
from drillsim.plan.compile import Plan

#: The one definition of the rooms every lockdown metric, table, figure and sentence counts.
SECURABLE_DEFINITION = (
    "Rooms to secure: every securable space (classrooms, offices, library, gym unless the "
    "floorplan says otherwise) with an adult in it at the start. All of them count, including a "
    "room with an entry door that cannot be locked (it is never secured; `drillsim validate` "
    "names the door and the fix). Doors inside a room's own suite (inner: true) do not count."
)


def n_securable(plan: Plan) -> int:
    """How many rooms the lockdown metrics count (see ``SECURABLE_DEFINITION``)."""
    return plan.n_rooms


def k95(n_rooms: int) -> int:
    """Rooms that make up "95 % of rooms secured": ceil(0.95 n), at least 1."""
    return max(int(np.ceil(0.95 * n_rooms - 1e-9)), 1)


#: Space kinds where a person counts as "in the hallway" (circulation, outside any room).
CIRCULATION = ("corridor", "stair", "commons", "outdoor")

#: Metric name -> (unit, one-line meaning). The order is the column order of metric tables.
METRICS: dict[str, tuple[str, str]] = {
    "time_all_alerted_s": ("s", "last occupied space receives the alert"),
    "time_95_secured_s": ("s", "95 % of the rooms to secure secured"),
    "time_all_secured_s": ("s", "every room to secure secured (inf if any never is)"),
    "time_last_secured_s": ("s", "last room that did secure is secured"),
    "rooms_secured_by_60s": ("share", "share of the rooms to secure secured within 60 s"),
    "rooms_secured_by_120s": ("share", "share of the rooms to secure secured within 120 s"),
    "rooms_secured_by_300s": ("share", "share of the rooms to secure secured within 300 s"),
    "rooms_never_secured": ("rooms", "rooms to secure never secured, for any reason"),
    "rooms_never_secured_audited": (
        "rooms",
        "never secured because of an audited condition (no lock, latch fault, no key)",
    ),
    "rooms_never_secured_sampled": ("rooms", "never secured because of a sampled latch fault"),
    "rooms_never_secured_attempt": ("rooms", "never secured because every lock attempt failed"),
    "rooms_never_secured_alert": ("rooms", "never secured because never alerted"),
    "locked_out": ("persons", "people who found every candidate room closed"),
    "key_outside_exposure_s": ("s", "adult-seconds in the hallway locking from outside"),
    "evacuation_time_s": ("s", "last person at the assembly point (inf if anyone never is)"),
    "time_95_evacuated_s": ("s", "95 % of people at the assembly point"),
    "time_all_outside_s": ("s", "last person through an exit door (inf if anyone never is)"),
    "time_all_accounted_s": (
        "s",
        "every class accounted for: its last member at assembly plus the teacher's report delay",
    ),
    "rerouted_persons": (
        "persons",
        "people whose usual route was blocked from t0, or who switched route when a later "
        "blockage started (alternate or the way round taken)",
    ),
    "max_door_queue_s": (
        "s",
        "longest total queueing of one person (doors, openings, corridors, stairs)",
    ),
    "unsecured_person_s": ("person·s", "person-seconds unsecured, capped at the horizon"),
    "exposed_person_s": (
        "person·s",
        "unsecured person-seconds of people who start within hazard.proximity_m of the origin",
    ),
    "safe_zone_overflow": ("persons", "people in locked rooms beyond the safe-zone capacity"),
    "peak_hallway": ("persons", "most people in hallways / moving at once"),
    "sro_arrival_s": ("s", "SRO reaches the incident origin"),
    "sweep_time_s": ("s", "SRO door-check sweep duration (drills)"),
    "doors_unlocked_at_check": ("rooms", "rooms found not locked when the SRO checked"),
    "law_enforcement_arrival_s": ("s", "law enforcement on site"),
    # -- protocols/hazard (issue 9) --
    "time_all_safe_s": (
        "s",
        "everyone secured or out: last person safe under the protocol (inf if anyone never is)",
    ),
    "time_95_safe_s": ("s", "95 % of people secured or out"),
    "hazard_exposure_person_s": (
        "person·s",
        "unsecured person-seconds in or next to the scripted hazard zone",
    ),
    "hazard_exposure_students_s": ("person·s", "hazard-zone exposure of students"),
    "hazard_exposure_adults_s": ("person·s", "hazard-zone exposure of teachers and staff"),
    "time_halls_clear_s": ("s", "Hold: last person out of the halls (0 if nobody was in them)"),
    "time_all_inside_s": ("s", "Secure: last person from outdoors inside (0 if nobody was out)"),
    "time_perimeter_locked_s": ("s", "Secure: last exterior door locked"),
    "time_all_sheltered_s": ("s", "Shelter: last person in a shelter area"),
    "people_leaving": ("persons", "Options: people whose space chose to leave"),
    "spaces_locking_down": ("spaces", "Options: occupied spaces that chose to lock down"),
    "left_after_locked_out": (
        "persons",
        "Options: hallway people who found every room closed and then left by a safe route",
    ),
    "time_exterior_closed_s": ("s", "Shelter: last exterior opening closed (hazmat; 0 otherwise)"),
    # -- inform (issue 9 item 4) --
    "people_ordered_out": (
        "persons",
        "people whose refuge room left on an order (inform update or fire alarm)",
    ),
}

LOCKDOWN_ONLY = {
    "time_all_secured_s",
    "time_95_secured_s",
    "time_last_secured_s",
    "rooms_secured_by_60s",
    "rooms_secured_by_120s",
    "rooms_secured_by_300s",
    "rooms_never_secured",
    "rooms_never_secured_audited",
    "rooms_never_secured_sampled",
    "rooms_never_secured_attempt",
    "rooms_never_secured_alert",
    "locked_out",
    "key_outside_exposure_s",
    "safe_zone_overflow",
    "sweep_time_s",
    "doors_unlocked_at_check",
}
EVACUATE_ONLY = {
    "evacuation_time_s",
    "time_95_evacuated_s",
    "time_all_outside_s",
    "time_all_accounted_s",
    "rerouted_persons",
    "max_door_queue_s",
}
#: Metrics that only one protocol has (issue 9 adds Hold, Secure and Shelter).
PROTOCOL_ONLY: dict[str, set[str]] = {
    "lockdown": LOCKDOWN_ONLY,
    "evacuate": EVACUATE_ONLY,
    "hold": {"time_halls_clear_s"},
    "secure": {"time_all_inside_s", "time_perimeter_locked_s"},
    "shelter": {"time_all_sheltered_s", "time_exterior_closed_s"},
    "options": {
        "people_leaving",
        "spaces_locking_down",
        "people_ordered_out",
        "locked_out",  # in options: found every room closed and no safe way out
        "left_after_locked_out",
    },
}
PROTOCOL_ONLY["lockdown"] = LOCKDOWN_ONLY | {"people_ordered_out"}


def metric_names(protocol: str) -> list[str]:
    """The metrics that mean something for ``protocol``, in table order."""
    skip = set().union(*(v for k, v in PROTOCOL_ONLY.items() if k != protocol))
    return [m for m in METRICS if m not in skip or m in PROTOCOL_ONLY.get(protocol, set())]


def _kth(x: np.ndarray, share: float) -> np.ndarray:
    """Per-run time by which ``share`` of the columns have happened (inf if never)."""
    n = x.shape[1]
    if n == 0:
        return np.full(x.shape[0], np.nan)
    k = max(int(np.ceil(share * n - 1e-9)), 1) - 1  # same count as k95() for share 0.95
    return np.partition(x, k, axis=1)[:, k]


def peak_in_circulation(plan: Plan, o: Outcomes) -> np.ndarray:
    """(R,) most people at once in hallways or on the move, sampled every second.

    A person is in circulation from the start if they start in a corridor, stair, commons or
    outdoor space, or from when they start moving, until they reach a refuge or an exit.
    """
    start_in_hall = np.isin(np.array(plan.space_kind)[plan.person_space], CIRCULATION)
    move, arrive = o.person_move_s, o.person_arrive_s
    if plan.protocol == "lockdown":  # only movers and people already in a hallway can count
        cols = np.union1d(plan.mover, np.flatnonzero(start_in_hall))
        if cols.size == 0:
            return np.zeros(o.n_runs)
        start_in_hall, move, arrive = start_in_hall[cols], move[:, cols], arrive[:, cols]
    moving = ~np.isnan(move)
    enter = np.where(start_in_hall[None, :], 0.0, np.where(moving, move, np.inf))
    leave = np.where(moving, arrive, np.inf)
    leave = np.where(np.isnan(leave), np.inf, leave)
    grid = np.arange(0.0, plan.horizon_s + 0.5, 1.0)
    inside = count_by(enter, grid) - count_by(leave, grid)
    return inside.max(axis=1).astype(float)


#: SRO metrics, "not applicable" (nan in every run) when no SRO is on duty; the door-check sweep
#: ones also in an incident, where the SRO makes no sweep.
SRO_METRICS = ("sro_arrival_s", "sweep_time_s", "doors_unlocked_at_check")
SWEEP_METRICS = ("sweep_time_s", "doors_unlocked_at_check")


def _not_applicable(plan: Plan, m: dict[str, np.ndarray], runs: int) -> None:
    """Mark metrics that have no meaning in this plan as nan ("not applicable"), not 0 or never.

    Without an SRO, "rooms found unlocked at the SRO's check: 0" and "SRO never arrives" would
    read as results; they are not.
    """
    names = SRO_METRICS if not plan.sro_on_duty else SWEEP_METRICS if plan.mode != "drill" else ()
    for name in names:
        if name in m:
            m[name] = np.full(runs, np.nan)


def score(plan: Plan, o: Outcomes) -> dict[str, np.ndarray]:
    """Per-run metrics (each an (R,) array) for the plan's protocol.

    A metric that has no meaning in this plan (the SRO's when no SRO is on duty, see
    ``SRO_METRICS``) is nan in every run: "not applicable", never a number.
    """
    R = o.n_runs
    horizon = plan.horizon_s
    occupied = np.unique(plan.person_space)
    unsecured = unsecured_s(o, horizon)  # (R, P), read twice below
    m: dict[str, np.ndarray] = {
        "time_all_alerted_s": o.space_alert_s[:, occupied].max(axis=1)
        if occupied.size
        else np.zeros(R),
        "unsecured_person_s": unsecured.sum(axis=1),
        "exposed_person_s": unsecured[:, plan.person_near_origin].sum(axis=1),
        "peak_hallway": peak_in_circulation(plan, o),
        "sro_arrival_s": o.sro_arrival_s.copy(),
        "law_enforcement_arrival_s": o.le_arrival_s.copy(),
    }
    m.update(protocol_metrics(plan, o))
    if plan.protocol == "lockdown":
        # Every room to secure counts (SECURABLE_DEFINITION), so a room that can never be
        # secured keeps "all secured" and the 95 % mark out of reach, as it would in the drill.
        sec = o.room_secured_s
        M = n_securable(plan)
        fin = np.isfinite(sec)
        m["time_all_secured_s"] = sec.max(axis=1) if M else np.zeros(R)
        m["time_95_secured_s"] = _kth(sec, 0.95) if M else np.zeros(R)
        last = np.where(fin, sec, -np.inf).max(axis=1, initial=-np.inf)
        m["time_last_secured_s"] = np.where(fin.any(axis=1), last, np.inf)
        for t in (60, 120, 300):
            m[f"rooms_secured_by_{t}s"] = (sec <= t).sum(axis=1) / max(M, 1)
        m["rooms_never_secured"] = (~fin).sum(axis=1).astype(float)
        for key, cause in (
            ("audited", CAUSE_AUDITED),
            ("sampled", CAUSE_SAMPLED),
            ("attempt", CAUSE_ATTEMPT),
            ("alert", CAUSE_ALERT),
        ):
            codes = [c for c, name in REASON_CAUSE.items() if name == cause]
            hit = ~fin & np.isin(o.room_reason, codes)
            m[f"rooms_never_secured_{key}"] = hit.sum(axis=1).astype(float)
        m["locked_out"] = o.person_locked_out.sum(axis=1).astype(float)
        m["key_outside_exposure_s"] = o.room_key_outside_s.sum(axis=1)
        m["safe_zone_overflow"] = safe_zone_overflow(plan, o)
        with np.errstate(invalid="ignore"):  # no SRO: inf - inf, set to "not applicable" below
            m["sweep_time_s"] = o.sweep_end_s - o.sro_arrival_s
        m["doors_unlocked_at_check"] = (
            (np.isfinite(o.room_checked_s) & ~(o.room_locked_s <= o.room_checked_s))
            .sum(axis=1)
            .astype(float)
        )
    elif plan.protocol == "evacuate":
        safe = o.person_safe_s
        m["evacuation_time_s"] = safe.max(axis=1) if plan.n_persons else np.zeros(R)
        m["time_95_evacuated_s"] = _kth(safe, 0.95) if plan.n_persons else np.zeros(R)
        m["max_door_queue_s"] = o.person_queue_s.max(axis=1, initial=0.0)
        out = np.where(np.isnan(o.person_arrive_s), np.inf, o.person_arrive_s)
        m["time_all_outside_s"] = out.max(axis=1) if plan.n_persons else np.zeros(R)
        m["time_all_accounted_s"] = classes_accounted(plan, o).max(axis=1, initial=0.0)
        # blocked from t0 (plan) or switched route when a later blockage started (engines)
        later = ~np.isnan(o.person_reroute_s)
        m["rerouted_persons"] = (plan.person_rerouted[None, :] | later).sum(axis=1).astype(float)
    _not_applicable(plan, m, R)
    return {k: m[k].astype(float) for k in metric_names(plan.protocol)}


def classes_accounted(plan: Plan, o: Outcomes) -> np.ndarray:
    """(R, C) when each class is accounted for at assembly, one column per occupied start space.

    A class (everyone who started in the same space) is accounted for when its last member is at
    the assembly point and its teacher has reported, ``plan.report_delay_s`` later (inf if some
    member never arrives). Columns follow ``np.unique(plan.person_space)``.
    """
    spaces = np.unique(plan.person_space)
    out = np.empty((o.n_runs, spaces.size))
    for c, s in enumerate(spaces):
        out[:, c] = o.person_safe_s[:, plan.person_space == s].max(axis=1) + plan.report_delay_s
    return out


def _last(t: np.ndarray) -> np.ndarray:
    """(R,) latest time over the columns, nan counted as never (inf); 0 with no columns."""
    if t.shape[1] == 0:
        return np.zeros(t.shape[0])
    return np.where(np.isnan(t), np.inf, t).max(axis=1)


def protocol_metrics(plan: Plan, o: Outcomes) -> dict[str, np.ndarray]:
    """Issue 9 metrics: everyone safe, hazard-zone exposure, and Hold / Secure / Shelter times."""
    R = o.n_runs
    by_person, _ = exposure(plan, o)
    students = plan.person_role == 0
    final = final_safe_s(o) if plan.n_persons else None  # (R, P), read twice
    m = {
        "time_all_safe_s": final.max(axis=1) if final is not None else np.zeros(R),
        "time_95_safe_s": _kth(final, 0.95) if final is not None else np.zeros(R),
        "hazard_exposure_person_s": by_person.sum(axis=1),
        "hazard_exposure_students_s": by_person[:, students].sum(axis=1),
        "hazard_exposure_adults_s": by_person[:, ~students].sum(axis=1),
    }
    if plan.protocol in ("lockdown", "options"):
        m["people_ordered_out"] = (~np.isnan(o.person_unsafe_again_s)).sum(axis=1) * 1.0
    if plan.protocol == "hold":
        m["time_halls_clear_s"] = _last(o.person_arrive_s[:, plan.hold_mover])
    elif plan.protocol == "secure":
        m["time_all_inside_s"] = _last(o.person_arrive_s[:, plan.in_mover])
        m["time_perimeter_locked_s"] = _last(o.perimeter_locked_s)
    elif plan.protocol == "options":
        m["people_leaving"] = (o.space_decision[:, plan.person_space] == 1).sum(axis=1) * 1.0
        m["spaces_locking_down"] = (o.space_decision == 0).sum(axis=1) * 1.0
        m["locked_out"] = o.person_locked_out.sum(axis=1).astype(float)
        m["left_after_locked_out"] = (~np.isnan(o.person_reroute_s)).sum(axis=1).astype(float)
    elif plan.protocol == "shelter":
        moves = plan.shelter_space[plan.person_shelter] != plan.person_space
        there = np.where(moves[None, :], o.person_arrive_s, o.person_alert_s)
        m["time_all_sheltered_s"] = _last(there)
        m["time_exterior_closed_s"] = (
            _last(o.perimeter_locked_s) if plan.shelter_hazmat else np.zeros(R)
        )
    return m


def safe_zone_overflow(plan: Plan, o: Outcomes) -> np.ndarray:
    """(R,) people in secured rooms beyond what fits out of the door's line of sight."""
    R, M = o.n_runs, plan.n_rooms
    if M == 0:
        return np.zeros(R)
    flat = (np.arange(R)[:, None] * (M + 1) + (o.person_refuge + 1)).ravel()
    occupants = np.bincount(flat, minlength=R * (M + 1)).reshape(R, M + 1)[:, 1:]
    over = np.maximum(occupants - plan.room_safe_zone_capacity[None, :], 0)
    return np.where(np.isfinite(o.room_secured_s), over, 0).sum(axis=1).astype(float)


def count_by(times: np.ndarray, grid_s: np.ndarray) -> np.ndarray:
    """(R, T) number of columns with ``time <= grid_s[k]``, for an evenly spaced grid from 0.

    One pass with ``bincount`` instead of a comparison per grid point.
    """
    R = times.shape[0]
    T = grid_s.size
    step = float(grid_s[1] - grid_s[0]) if T > 1 else 1.0
    with np.errstate(invalid="ignore"):
        idx = np.asarray(times, dtype=float) / step
    np.ceil(idx, out=idx)
    np.clip(idx, 0, T, out=idx)
    idx[~np.isfinite(times)] = T  # never (nan, inf)
    idx = idx.astype(np.int64)
    flat = (np.arange(R)[:, None] * (T + 1) + idx).ravel()
    counts = np.bincount(flat, minlength=R * (T + 1)).reshape(R, T + 1)[:, :T]
    return np.cumsum(counts, axis=1)


def curves(plan: Plan, o: Outcomes, grid_s: np.ndarray) -> dict[str, np.ndarray]:
    """(R, T) counts over the time grid: people unsecured, rooms secured (lockdown)."""
    out = {"unsecured": unsecured_count(o, grid_s, count_by)}
    if plan.protocol == "lockdown":
        out["rooms_secured"] = count_by(o.room_secured_s, grid_s)
        if not np.isnan(o.room_left_s).all():
            # inform: a room that left is secured only until it leaves (never, if it left first)
            gone = np.where(np.isnan(o.room_left_s), np.inf, o.room_left_s)
            out["rooms_secured"] = out["rooms_secured"] - count_by(
                np.maximum(gone, o.room_secured_s), grid_s
            )
    return out
