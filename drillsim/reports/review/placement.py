"""Place each observed room within its simulated distribution; flag it and list likely factors.

A room's observed secured time is compared with the simulated secured time (door locked and
occupants in the safe zone) or, when only the door time was recorded, with the simulated
door-locked time. Factors are building and procedure factors, never individuals.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from drillsim.metrics.summary import quantile
from drillsim.plan.compile import Plan
from drillsim.reports.locks import room_lock_names
from drillsim.reports.review.observed import Observation, ObservedDrill
from drillsim.reports.wording import fmt_s
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

FLAG_SLOW = "slower than simulated p90"

FLAG_NOT_SECURED = "not secured in drill"


def percentile_of(sim: np.ndarray, x: float) -> float:
    """Percentile (0–100) of ``x`` within ``sim`` (inf = never; ties count half)."""
    sim = np.asarray(sim, dtype=float)
    return float(100.0 * (np.sum(sim < x) + 0.5 * np.sum(sim == x)) / sim.size)


def _room_factors(
    plan: Plan, loaded: LoadedScenario, result: BatchResult, m: int, o: Observation
) -> list[tuple[str, str]]:
    """(root-cause category, neutral description) of what may have slowed room ``m``."""
    fp = loaded.floorplan
    out: list[tuple[str, str]] = []
    names = room_lock_names(plan, m)
    if "key_outside" in names:
        out.append(
            (
                "hardware",
                "door locks with a key from the hallway side (the adult has to step out to lock)",
            )
        )
    if "key_inside" in names:
        out.append(("hardware", "door needs a key to lock"))
    if "none" in names or not names:
        out.append(("hardware", "a door has no lock hardware"))
    if len(names) > 1:
        out.append(("hardware", f"{len(names)} doors to lock"))
    rid = plan.room_id(m)
    if not fp.space(rid)["pa"]:
        out.append(("coverage", "outside PA coverage (alert arrives by other channels)"))
    alert_sim = result.room_alert_s[:, m]
    a90 = quantile(alert_sim, 0.9)
    if not math.isnan(o.alert_heard_s) and math.isfinite(a90) and o.alert_heard_s > a90:
        out.append(
            (
                "coverage",
                f"alert heard later than simulated ({fmt_s(o.alert_heard_s)} vs p90 {fmt_s(a90)})",
            )
        )
    elif quantile(alert_sim, 0.5) > 2 * max(quantile(result.room_alert_s.ravel(), 0.5), 1.0):
        out.append(("coverage", "late alert expected here (far from the alert sources)"))
    if not math.isnan(o.alert_heard_s) and o.secured:
        gap = o.door_locked_s - o.alert_heard_s
        with np.errstate(invalid="ignore"):
            sim_gap = result.room_locked_s[:, m] - result.room_alert_s[:, m]
        g90 = quantile(sim_gap, 0.9)
        if math.isfinite(g90) and gap > g90:
            out.append(
                (
                    "procedure",
                    f"alert-to-lock interval longer than simulated "
                    f"({fmt_s(gap)} vs p90 {fmt_s(g90)})",
                )
            )
    if o.secured and not math.isnan(o.safe_zone_s):
        move = o.safe_zone_s - o.door_locked_s
        with np.errstate(invalid="ignore"):
            sim_move = result.room_secured_s[:, m] - result.room_locked_s[:, m]
        s90 = (
            quantile(sim_move[np.isfinite(sim_move)], 0.9)
            if np.isfinite(sim_move).any()
            else math.nan
        )
        if math.isfinite(s90) and move > s90:
            out.append(
                (
                    "procedure",
                    f"moving to the safe zone took longer than simulated "
                    f"({fmt_s(move)} vs p90 {fmt_s(s90)})",
                )
            )
    return out


def place_rooms(
    loaded: LoadedScenario, result: BatchResult, obs: ObservedDrill
) -> list[dict[str, Any]]:
    """One record per room to secure: observed time, simulated median/p90, percentile, flags."""
    plan = result.plan
    by_room = obs.by_room()
    out = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        o = by_room.get(rid)
        sec_sim = result.room_secured_s[:, m]
        rec: dict[str, Any] = {
            "room": rid,
            "label": str(loaded.floorplan.space(rid)["label"]),
            "status": "not observed",
            "observed_s": math.nan,
            "basis": "",
            "sim_median_s": quantile(sec_sim, 0.5),
            "sim_p90_s": quantile(sec_sim, 0.9),
            "sim_share_never": float(np.isinf(sec_sim).mean()),
            "percentile": math.nan,
            "flag_threshold_s": math.nan,
            "flags": [],
            "factors": [],
            "observer_notes": "",
            "alert_sim_p90_s": quantile(result.room_alert_s[:, m], 0.9),
            "alert_late": False,
            "alert_heard_s": math.nan,
            "door_locked_s": math.nan,
            "safe_zone_s": math.nan,
            "lights_off_s": math.nan,
        }
        if o is not None:
            rec.update(
                alert_heard_s=o.alert_heard_s,
                door_locked_s=o.door_locked_s,
                safe_zone_s=o.safe_zone_s,
                lights_off_s=o.lights_off_s,
                observer_notes=o.notes,
                alert_late=bool(
                    not math.isnan(o.alert_heard_s)
                    and math.isfinite(rec["alert_sim_p90_s"])
                    and o.alert_heard_s > rec["alert_sim_p90_s"]
                ),
            )
        if o is None or not o.observed:
            out.append(rec)
            continue
        if not o.secured:
            rec.update(
                status="not secured",
                flags=[FLAG_NOT_SECURED],
                factors=_room_factors(plan, loaded, result, m, o),
            )
            out.append(rec)
            continue
        sim = sec_sim if o.basis == "safe zone" else result.room_locked_s[:, m]
        med, p90 = quantile(sim, 0.5), quantile(sim, 0.9)
        threshold = p90
        if math.isinf(p90) and np.isfinite(sim).any():
            # the room failed to secure in > 10 % of runs: compare with the runs where it did
            threshold = quantile(sim[np.isfinite(sim)], 0.9)
        pct = percentile_of(sim, o.secured_s)
        flags = [FLAG_SLOW] if o.secured_s > threshold else []
        rec.update(
            status="secured",
            observed_s=o.secured_s,
            basis=o.basis,
            sim_median_s=med,
            sim_p90_s=p90,
            flag_threshold_s=threshold,
            percentile=pct,
            flags=flags,
            factors=_room_factors(plan, loaded, result, m, o) if flags else [],
        )
        out.append(rec)
    return out
