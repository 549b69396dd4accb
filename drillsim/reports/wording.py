"""Wording shared by the briefing and the after-action report.

How times, shares and distances read for people, the provenance line of every page footer and the
evidence-honesty box ("About these numbers") every report carries.
"""

from __future__ import annotations

import math
from typing import Any

from drillsim.reports.pdf import Box, Para


def fmt_s(x: float) -> str:
    """A time for people: "45 s", "312 s (5:12)", "never" (inf), "—" (nan)."""
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "never"
    if x < 120:
        return f"{x:.0f} s"
    return f"{x:.0f} s ({int(x // 60)}:{int(round(x % 60)) % 60:02d})"


def fmt_pct(x: float) -> str:
    """A share as a percentage: "62 %" ("—" for nan)."""
    x = float(x)
    return "—" if math.isnan(x) else f"{100 * x:.0f} %"


def fmt_m(x: float) -> str:
    """A distance in metres."""
    return "—" if not math.isfinite(float(x)) else f"{float(x):.0f} m"


def provenance_line(prov: dict[str, Any]) -> str:
    """One line of provenance for footers."""
    return (
        f"drillsim {prov['drillsim_version']} · {prov['scenario_file']} · seed {prov['seed']} · "
        f"{prov['n_runs']} runs · scenario sha256 {prov['scenario_sha256'][:12]}"
    )


def about_numbers_box(prov: dict[str, Any], calibrated: bool = False) -> Box:
    """The evidence-honesty box every report carries."""
    first = (
        "These are simulated expectations, not measurements and not predictions of a real event. "
        "Most behaviour defaults (reaction, lock and safe-zone times, lock failure rates, alert "
        "latencies) are engineering placeholders tagged [U] in docs/parameters.md"
    )
    first += (
        " and have been calibrated from this school's own drill observations."
        if calibrated
        else "; they stay placeholders until calibrated from this school's own drill "
        "observations (drillsim review --calibrate)."
    )
    return Box(
        "About these numbers",
        (
            Para(first),
            Para(
                "Each time is reported as the median run and the 90th-percentile run (p90: 9 in 10 "
                'simulated runs did better). "Never" means the event did not happen in that run '
                "(for example a lock failed); those runs count as slower than any time."
            ),
            Para(
                f"Provenance: drillsim {prov['drillsim_version']}, scenario file "
                f"{prov['scenario_file']} ('{prov['scenario']}'), {prov['n_runs']} runs, seed "
                f"{prov['seed']}, engine {prov['engine']}, scenario sha256 "
                f"{prov['scenario_sha256'][:16]}…, floorplan sha256 "
                f"{prov['floorplan_sha256'][:16]}…. The same inputs and seed give the same numbers.",
                "note",
            ),
        ),
        "info",
    )
