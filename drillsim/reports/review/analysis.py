"""The review's content as plain values: placements, flags, objectives and the improvement plan.

:func:`build_review` gathers everything the report shows (written to ``review.json``);
:func:`improvement_items` derives the improvement plan from it and :func:`summary_lines` what the
CLI prints.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from drillsim.metrics.summary import quantile
from drillsim.reports.figures import SENSITIVE
from drillsim.reports.review.observed import ObservedDrill
from drillsim.reports.review.placement import (
    FLAG_NOT_SECURED,
    FLAG_SLOW,
    percentile_of,
    place_rooms,
)
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def objective_target_s(result: BatchResult) -> float:
    """The building-level target: simulated p90 of the last room secured, up to 10 s."""
    p90 = quantile(result.metrics["time_last_secured_s"], 0.9)
    return float(10 * math.ceil(p90 / 10)) if math.isfinite(p90) else 300.0


def build_review(
    loaded: LoadedScenario, result: BatchResult, obs: ObservedDrill, calibration: Any = None
) -> dict[str, Any]:
    """Everything the report shows, as plain values (written to review.json)."""
    rooms = place_rooms(loaded, result, obs)
    observed = [r for r in rooms if r["status"] != "not observed"]
    secured = [r for r in rooms if r["status"] == "secured"]
    slow = [r["room"] for r in rooms if FLAG_SLOW in r["flags"]]
    not_secured = [r["room"] for r in rooms if FLAG_NOT_SECURED in r["flags"]]
    not_observed = [r["room"] for r in rooms if r["status"] == "not observed"]
    at_median = [r["room"] for r in secured if r["observed_s"] <= r["sim_median_s"]]
    target = objective_target_s(result)
    all_sec = (
        max(r["observed_s"] for r in secured)
        if secured and not not_secured and not not_observed
        else math.nan
    )
    sim_all = result.metrics["time_last_secured_s"]
    heard = [r for r in observed if not math.isnan(r["alert_heard_s"])]
    data = {
        "provenance": result.provenance,
        "observer_file": Path(obs.path).name,
        "rooms": rooms,
        "flagged_slow": slow,
        "flagged_not_secured": not_secured,
        "not_observed": not_observed,
        "at_or_better_than_median": at_median,
        "n_rooms": len(rooms),
        "n_observed": len(observed),
        "n_secured": len(secured),
        "n_alert_heard": len(heard),
        "alert_heard_late": [r["room"] for r in heard if r["alert_late"]],
        "observer_notes": [
            {"room": r["room"], "label": r["label"], "notes": r["observer_notes"]}
            for r in rooms
            if r["observer_notes"].strip()
        ],
        "target_s": target,
        "secured_within_target": sum(1 for r in secured if r["observed_s"] <= target),
        "observed_all_secured_s": all_sec,
        "observed_last_secured_s": max((r["observed_s"] for r in secured), default=math.nan),
        "simulated_last_secured_median_s": quantile(sim_all, 0.5),
        "simulated_last_secured_p90_s": quantile(sim_all, 0.9),
        "all_secured_percentile": percentile_of(sim_all, all_sec)
        if math.isfinite(all_sec)
        else math.nan,
        "calibration": calibration.to_dict() if calibration is not None else None,
        "sensitive": SENSITIVE,
    }
    return data


def improvement_items(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(issue, root cause, corrective action, capability element) rows of the improvement plan."""
    items = []
    for r in data["rooms"]:
        if not r["flags"]:
            continue
        cats = {c for c, _ in r["factors"]}
        issue = f"{r['room']} ({r['label']}): {', '.join(r['flags'])}"
        if "hardware" in cats:
            hw = "; ".join(t for c, t in r["factors"] if c == "hardware")
            items.append(
                (
                    issue,
                    f"Hardware: {hw}",
                    "Audit the door and lock; prioritise a lock operable from inside "
                    "without a key; until then make sure a key is always at hand and "
                    "practise locking.",
                    "Equipment",
                )
            )
        if "coverage" in cats:
            cov = "; ".join(t for c, t in r["factors"] if c == "coverage")
            items.append(
                (
                    issue,
                    f"Coverage: {cov}",
                    "Test PA audibility here; add a speaker or a second alert channel "
                    "(radio, app, visual signal) and name who relays the alert.",
                    "Equipment / Planning",
                )
            )
        if "procedure" in cats or not cats:
            proc = (
                "; ".join(t for c, t in r["factors"] if c == "procedure")
                or "no building factor found in the plan"
            )
            action = (
                "Check the lock works and the key is at hand, then re-practise the lock "
                "step in a calm walk-through."
                if FLAG_NOT_SECURED in r["flags"]
                else "Walk through the lockdown steps for this room in a calm, low-stress "
                "practice; review in the hot wash what slowed it."
            )
            items.append((issue, f"Procedure: {proc}", action, "Training"))
    if data["not_observed"]:
        items.append(
            (
                f"{len(data['not_observed'])} rooms without observations",
                "Observation: not enough observers or sheets not returned",
                "Assign one observer per zone and collect sheets at the hot wash.",
                "Planning / Organisation",
            )
        )
    return items


def summary_lines(data: dict[str, Any]) -> list[str]:
    """What the CLI prints after writing: the flags and the fit."""
    lines = [
        f"slower than simulated p90: {', '.join(data['flagged_slow']) or 'none'}",
        f"not secured in drill: {', '.join(data['flagged_not_secured']) or 'none'}",
    ]
    if data["not_observed"]:
        lines.append(f"not observed: {', '.join(data['not_observed'])}")
    cal = data.get("calibration")
    if cal:
        lines.append(
            f"calibration: reaction × {cal['reaction_scale']:.2f}, lock time × "
            f"{cal['lock_scale']:.2f}; mean abs. error {cal['mae_before_s']:.1f} s → "
            f"{cal['mae_after_s']:.1f} s over {cal['n_rooms']} rooms"
        )
    return lines
