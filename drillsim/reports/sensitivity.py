"""Files of ``drillsim sensitivity``: ranked table (CSV, JSON), indices figure, HTML summary.

The JSON also carries ``time_these_steps``: the three most influential parameters of the headline
metric that a drill can time, with the observer-sheet columns that time them. ``drillsim brief
--sensitivity sensitivity.json`` puts them in the SRO briefing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from drillsim import __version__
from drillsim.explore.sensitivity import SensitivityResult
from drillsim.reports.charts import (
    BAND_COLOUR,
    MEDIAN_COLOUR,
    format_value,
    metric_label,
    new_figure,
    save_figure,
)
from drillsim.reports.figures import SENSITIVE
from drillsim.reports.pdf import Bullets, Doc, Figure, Heading, Para, Table
from drillsim.reports.render import render_html
from drillsim.reports.staging import write_csv, write_json
from drillsim.scenario.load import LoadedScenario

#: Observer-sheet columns (``observe`` of a parameter) in the words of the briefing.
OBSERVE_TEXT = {
    "alert_heard_s": "when each room heard the alert (observer sheet: Alert heard)",
    "door_locked_s - alert_heard_s": (
        "from hearing the alert to the door locked (observer sheet: Alert heard → Door locked)"
    ),
    "safe_zone_s - door_locked_s": (
        "from the door locked to the class in its safe zone (observer sheet: Door locked → "
        "Safe zone)"
    ),
    "SRO sweep table: expected check vs actual": (
        "when the SRO checks each door and whether it is locked (SRO door-check sweep table)"
    ),
    "left_room_s - alert_heard_s": (
        "from hearing the alert to leaving the room (observer sheet: Alert heard → Left room)"
    ),
    "assembly_reached_s - left_room_s": (
        "from leaving the room to reaching the assembly point (observer sheet: Left room → At "
        "assembly)"
    ),
}

CSV_COLUMNS = ("metric", "rank", "parameter", "path", "low", "high", "index", "ci95_low",
               "ci95_high", "mu", "sigma", "S1", "S1_ci95_low", "S1_ci95_high", "observe")


def index_name(method: str) -> str:
    """What the ``index`` column holds for a method."""
    return "Morris μ* (metric units over the range)" if method == "morris" else "Sobol ST"


def time_these_steps(res: SensitivityResult, n: int = 3) -> dict[str, Any]:
    """The ``n`` most influential parameters of the headline metric that a drill can time."""
    ranked = res.ranking()
    steps = [r for r in ranked if r["observe"] and r["index"] > 0][:n]
    untimed = [r for r in ranked[: (steps[-1]["rank"] if steps else 0)] if not r["observe"]]
    return {
        "metric": res.primary,
        "method": res.method,
        "steps": [
            {"rank": r["rank"], "parameter": r["parameter"], "path": r["path"], "what": r["what"],
             "index": r["index"], "ci95_low": r["ci95_low"], "ci95_high": r["ci95_high"],
             "observe": r["observe"], "how": OBSERVE_TEXT.get(r["observe"], r["observe"])}
            for r in steps
        ],
        "not_timeable": [{"rank": r["rank"], "parameter": r["parameter"], "path": r["path"]}
                         for r in untimed],
    }


def sensitivity_dict(res: SensitivityResult, loaded: LoadedScenario) -> dict[str, Any]:
    """Everything ``sensitivity.json`` holds."""
    return {
        "drillsim_version": __version__,
        "scenario": loaded.scenario.name,
        "scenario_file": Path(loaded.source).name,
        "scenario_sha256": loaded.digest(),
        "protocol": loaded.scenario.protocol,
        "method": res.method,
        "index": index_name(res.method),
        "statistic": res.statistic,
        "primary_metric": res.primary,
        "baseline": res.baseline,
        "skipped_metrics": res.skipped,
        "parameters": [
            {"path": p.path, "low": p.low, "high": p.high, "integer": p.integer,
             "observe": p.observe, "what": p.what}
            for p in res.parameters
        ],
        "ranking": res.rows,
        "time_these_steps": time_these_steps(res),
        **res.provenance,
    }


def indices_figure(res: SensitivityResult, loaded: LoadedScenario, top: int = 15):
    """Tornado of the headline metric (with 95 % CIs) beside a heat map over every metric."""
    ranked = res.ranking()[:top][::-1]
    labels = [r["parameter"] for r in ranked]
    h = 1.6 + 0.32 * len(ranked)
    sub = (f"{res.method.capitalize()} over {len(res.parameters)} parameters, "
           f"{res.provenance['points']} points × {res.provenance['runs_per_point']} runs "
           "(common random numbers)")
    fig = new_figure(
        12.5, max(h, 5.0),
        footer=f"{SENSITIVE} — drillsim {__version__}, seed {res.provenance['seed']}, "
               f"{res.provenance['total_runs']} runs",
        title=f"{loaded.scenario.name}: which parameters move the outcome", subtitle=sub,
    )
    ax, hm = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    y = np.arange(len(ranked))
    idx = np.array([r["index"] for r in ranked])
    lo = np.array([r["ci95_low"] for r in ranked])
    hi = np.array([r["ci95_high"] for r in ranked])
    ax.barh(y, idx, color=BAND_COLOUR, alpha=0.8)
    ax.errorbar(idx, y, xerr=[np.maximum(idx - lo, 0), np.maximum(hi - idx, 0)], fmt="none",
                ecolor=MEDIAN_COLOUR, capsize=3, lw=1.2, label="95 % confidence interval")
    ax.set_yticks(y, labels, fontsize=8.5)
    unit = metric_label(res.primary)
    ax.set_xlabel(f"μ* on {unit}" if res.method == "morris" else f"total Sobol index ST, {unit}",
                  fontsize=9)
    ax.set_title(f"Headline: {metric_label(res.primary)}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)

    metrics = [m for m in res.metrics if m not in res.skipped]
    mat = np.zeros((len(ranked), len(metrics)))
    for j, m in enumerate(metrics):
        by = {r["path"]: r["index"] for r in res.ranking(m)}
        col = np.array([by.get(r["path"], 0.0) for r in ranked])
        mat[:, j] = col / col.max() if col.max() > 0 else 0.0
    im = hm.imshow(mat, aspect="auto", cmap="Blues", vmin=0, vmax=1, origin="lower")
    hm.set_yticks(y, [""] * len(ranked))
    hm.set_xticks(np.arange(len(metrics)), metrics, rotation=60, ha="right", fontsize=7.5)
    hm.set_title("Every metric (index ÷ that metric's largest)", fontsize=10)
    fig.colorbar(im, ax=hm, shrink=0.8, label="relative influence")
    return fig


def summary_doc(res: SensitivityResult, loaded: LoadedScenario, png: bytes) -> Doc:
    """The short HTML summary: what was varied, the top of the ranking, what to time."""
    p = res.provenance
    doc = Doc(
        title=f"Sensitivity: {loaded.scenario.name}",
        subtitle=(f"{res.method.capitalize()}, {len(res.parameters)} parameters, "
                  f"{p['points']} design points × {p['runs_per_point']} runs, seed {p['seed']}"),
        kind="Sensitivity analysis",
        provenance=f"drillsim {__version__} · {Path(loaded.source).name} · seed {p['seed']} · "
                   f"{p['total_runs']} runs · scenario sha256 {loaded.digest()[:12]}",
    )
    unit = metric_label(res.primary)
    base = res.baseline.get(res.primary, math.nan)
    doc.add(Para(
        f"Which uncertain inputs move {unit}? Each parameter was varied over its range "
        f"(below) while every design point reused the same {p['runs_per_point']} seeded runs "
        f"(common random numbers). The {res.statistic} over runs at the scenario as written is "
        f"{format_value(base, _unit(res.primary))}. "
        + ("μ* is the mean absolute change of that statistic when one parameter moves across "
           "its whole range; σ large next to μ* means its effect depends on the others."
           if res.method == "morris" else
           "ST is the share of the statistic's variance over the ranges that involves the "
           "parameter; S1 the share it explains alone.")))
    rows = res.ranking()[:10]
    doc.add(Heading(f"Top parameters for {unit}", 2, "ranking"))
    doc.add(Table(
        ("#", "Parameter", "Range", index_name(res.method), "95 % CI", "Drill can time it"),
        tuple((str(r["rank"]), r["parameter"], f"{r['low']:g}–{r['high']:g}",
               f"{r['index']:.3g}", f"{r['ci95_low']:.3g}–{r['ci95_high']:.3g}",
               "yes" if r["observe"] else "—") for r in rows),
        align=("r", "l", "l", "r", "r", "l"), key="ranking",
        row_keys=tuple(r["path"] for r in rows)))
    doc.add(Figure(png, "Left: the headline metric's ranking with 95 % confidence intervals. "
                        "Right: the same parameters' relative influence on every metric.",
                   "Bar chart of sensitivity indices and a heat map over metrics."))
    doc.add(*steps_blocks(time_these_steps(res)))
    if res.skipped:
        doc.add(Para("Not ranked: " + "; ".join(f"{m} ({why})" for m, why in res.skipped.items()),
                     "note"))
    doc.add(Para("Ranges: a × means the whole distribution was scaled by that factor. The "
                 "full table for every metric is sensitivity.csv; the numbers and the design are "
                 "in sensitivity.json.", "note"))
    return doc


def steps_blocks(steps: dict[str, Any]) -> list:
    """'Time these three steps at your next drill' (also used by the SRO briefing)."""
    blocks: list = [Heading("Time these three steps at your next drill", 2, "time-these-steps")]
    if not steps["steps"]:
        blocks.append(Para("None of the parameters that move this outcome can be timed at a "
                           "drill; check them by audit (see the sensitivity table)."))
        return blocks
    blocks.append(Para(
        f"These placeholders move {metric_label(steps['metric'])} the most of those a drill "
        "can measure. Timing them replaces a guess with your building's own number (type the "
        "times into observer_sheet.csv, then run drillsim review)."))
    unit = _unit(steps["metric"])

    def effect(s: dict[str, Any]) -> str:
        if steps["method"] == "morris":
            return (f"across its range it moves the result by about "
                    f"{format_value(s['index'], unit)} (95 % CI "
                    f"{format_value(s['ci95_low'], unit)}–{format_value(s['ci95_high'], unit)})")
        return (f"{100 * s['index']:.0f} % of the variance involves it (95 % CI "
                f"{100 * s['ci95_low']:.0f}–{100 * s['ci95_high']:.0f} %)")

    blocks.append(Bullets(tuple(
        f"{s['what'].capitalize()} (rank {s['rank']}; {effect(s)}): time {s['how']}. "
        f"Scenario value: {s['path']}."
        for s in steps["steps"]), checkbox=True))
    if steps["not_timeable"]:
        blocks.append(Para(
            "Ranked higher but not timed by the observer sheet: "
            + ", ".join(f"{s['parameter']} (rank {s['rank']})" for s in steps["not_timeable"])
            + " — check these by door audit or walk-through.", "note"))
    return blocks


def _unit(metric: str) -> str:
    from drillsim.metrics.score import METRICS

    return METRICS.get(metric, ("",))[0]


def write_sensitivity_outputs(res: SensitivityResult, loaded: LoadedScenario,
                              out: Path) -> list[Path]:
    """Write sensitivity.csv, sensitivity.json, sensitivity.png and sensitivity.html."""
    paths = [write_csv(out / "sensitivity.csv", CSV_COLUMNS,
                       [[r.get(c, math.nan) for c in CSV_COLUMNS] for r in res.rows])]
    p = out / "sensitivity.json"
    write_json(p, sensitivity_dict(res, loaded))
    paths.append(p)
    fig = indices_figure(res, loaded)
    paths.append(save_figure(fig, out / "sensitivity.png"))
    png = (out / "sensitivity.png").read_bytes()
    p = out / "sensitivity.html"
    p.write_text(render_html(summary_doc(res, loaded, png)), encoding="utf-8")
    paths.append(p)
    return paths


def read_steps(path: Path, loaded: LoadedScenario) -> dict[str, Any]:
    """``time_these_steps`` of a ``sensitivity.json`` made for this very scenario.

    Raises
    ------
    DrillsimError
        If the file is missing, not a sensitivity result, or was made for another scenario (or
        an edited version of this one): the ranking would describe a different building or
        protocol.
    """
    import json

    from drillsim.errors import DrillsimError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DrillsimError(f"--sensitivity {path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DrillsimError(f"--sensitivity {path}: not a sensitivity.json ({err})") from None
    if not isinstance(data, dict) or "time_these_steps" not in data:
        raise DrillsimError(f"--sensitivity {path}: not a sensitivity.json of drillsim "
                            "sensitivity (no time_these_steps)")
    if data.get("scenario_sha256") != loaded.digest():
        raise DrillsimError(
            f"--sensitivity {path} was made for '{data.get('scenario_file', '?')}' "
            f"(scenario sha256 {str(data.get('scenario_sha256'))[:12]}), not for "
            f"{Path(loaded.source).name} as it is now ({loaded.digest()[:12]}); rerun "
            f"drillsim sensitivity {loaded.source}"
        )
    return data["time_these_steps"]
