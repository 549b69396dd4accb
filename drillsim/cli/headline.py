"""The three numbers a user wants on the terminal after run, batch and compare, per protocol.

Lockdown: time until every room is secured, rooms never secured, unsecured person-seconds.
Evacuation: everyone at the assembly point, every class accounted for, 95 % evacuated.
Hold, Secure, Shelter: the protocol's own completion times, then unsecured person-seconds.
Options: everyone safe, 95 % safe, person-seconds in or next to the hazard zone.
A batch shows the median and 90th percentile over runs, a single run its value, a comparison
the median of A and of each B with the share of runs B is better / tie / worse.
"""

from __future__ import annotations

import numpy as np

from drillsim.metrics.score import METRICS
from drillsim.metrics.summary import compare_paired, quantile
from drillsim.reports.charts import format_value

HEADLINE = {
    "lockdown": ("time_all_secured_s", "rooms_never_secured", "unsecured_person_s"),
    "evacuate": ("evacuation_time_s", "time_all_accounted_s", "time_95_evacuated_s"),
    "hold": ("time_halls_clear_s", "time_95_safe_s", "unsecured_person_s"),
    "secure": ("time_all_inside_s", "time_perimeter_locked_s", "unsecured_person_s"),
    "shelter": ("time_all_sheltered_s", "time_exterior_closed_s", "unsecured_person_s"),
    "options": ("time_all_safe_s", "time_95_safe_s", "hazard_exposure_person_s"),
}
WORDS = {
    "time_all_secured_s": "every room secured",
    "rooms_never_secured": "rooms never secured",
    "unsecured_person_s": "unsecured person-seconds",
    "evacuation_time_s": "everyone at the assembly point",
    "time_all_accounted_s": "every class accounted for",
    "time_95_evacuated_s": "95 % evacuated",
    "time_halls_clear_s": "halls clear",
    "time_95_safe_s": "95 % of people safe",
    "time_all_inside_s": "everyone from outdoors inside",
    "time_perimeter_locked_s": "perimeter locked",
    "time_all_sheltered_s": "everyone in a shelter area",
    "time_exterior_closed_s": "exterior openings closed",
    "time_all_safe_s": "everyone safe",
    "hazard_exposure_person_s": "person-seconds in or next to the hazard zone",
}


def headline_metrics(protocol: str, metrics: dict) -> list[str]:
    """The headline metric names present in ``metrics`` for a protocol."""
    return [m for m in HEADLINE.get(protocol, HEADLINE["lockdown"]) if m in metrics]


def _fmt(metric: str, v: float) -> str:
    return format_value(float(v), METRICS[metric][0])


def batch_lines(protocol: str, metrics: dict[str, np.ndarray]) -> list[str]:
    """``  every room secured: median 2 min 5 s, p90 3 min`` for each headline metric."""
    out = []
    for m in headline_metrics(protocol, metrics):
        x = np.asarray(metrics[m], dtype=float)
        if x.size == 1:
            out.append(f"  {WORDS[m]}: {_fmt(m, x[0])}")
        else:
            med, p90 = quantile(x, 0.5), quantile(x, 0.9)
            out.append(f"  {WORDS[m]}: median {_fmt(m, med)}, p90 {_fmt(m, p90)}")
    return out


def compare_lines(
    protocol: str, labels: list[str], metrics: list[dict[str, np.ndarray]]
) -> list[str]:
    """Median of A and every B, and how often B is better / tie / worse, per headline metric."""
    out = []
    for m in headline_metrics(protocol, metrics[0]):
        if not all(m in mb for mb in metrics[1:]):
            continue  # another protocol has no such metric (said after the table)
        a = np.asarray(metrics[0][m], dtype=float)
        parts = [f"A {_fmt(m, quantile(a, 0.5))}"]
        for i, mb in enumerate(metrics[1:], start=1):
            tag = "B" if len(metrics) == 2 else f"B{i}"
            b = np.asarray(mb[m], dtype=float)
            p = compare_paired(a, b, m)
            parts.append(
                f"{tag} {_fmt(m, quantile(b, 0.5))} (runs: better {100 * p['share_b_better']:.0f} "
                f"%, tie {100 * p['share_tie']:.0f} %, worse {100 * p['share_b_worse']:.0f} %)"
            )
        out.append(f"  {WORDS[m]} (median): " + "; ".join(parts))
    return out
