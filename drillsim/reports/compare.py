"""Files a comparison writes: paired differences of scenario B against baseline A, per metric.

Scenarios compared with the same seed and run count share their random inputs run by run (common
random numbers), so the difference B − A is taken run by run
(:func:`drillsim.metrics.summary.compare_paired`): far tighter than comparing two independent
batches. Outputs are ``comparison.json`` (provenance of every scenario and every number),
``comparison.csv`` (one row per B and metric) and ``comparison.png`` (a forest plot of the
headline metrics plus the two distributions of the first one).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from drillsim.errors import DrillsimError
from drillsim.metrics.score import METRICS
from drillsim.metrics.summary import compare_paired, quantile, summarise
from drillsim.plan.compile import Plan
from drillsim.reports.batch import (
    NEVER_TEXT_COLOUR,
    P90_COLOUR,
    ecdf,
    footer_text,
    format_value,
    metric_label,
    new_figure,
    save_figure,
    write_csv,
    write_runs_csv,
)
from drillsim.reports.staging import write_json
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

__all__ = ["HEADLINE_METRICS", "compare_rows", "unshared_metrics", "write_compare_outputs"]

#: Metrics in the comparison figure, by protocol of the baseline; the first also gets ECDFs.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "lockdown": (
        "time_95_secured_s",
        "time_last_secured_s",
        "unsecured_person_s",
        "locked_out",
        "rooms_secured_by_120s",
    ),
    "evacuate": (
        "evacuation_time_s",
        "time_all_accounted_s",
        "time_all_outside_s",
        "time_95_evacuated_s",
        "unsecured_person_s",
        "max_door_queue_s",
    ),
}
#: Headline metrics when the scenarios run different protocols: the ones every protocol shares.
CROSS_PROTOCOL_METRICS: tuple[str, ...] = (
    "time_all_safe_s",
    "time_95_safe_s",
    "hazard_exposure_person_s",
    "unsecured_person_s",
)
HEADLINE_METRICS.update(
    {
        "hold": ("time_halls_clear_s", *CROSS_PROTOCOL_METRICS),
        "secure": ("time_all_inside_s", "time_perimeter_locked_s", *CROSS_PROTOCOL_METRICS),
        "shelter": ("time_all_sheltered_s", *CROSS_PROTOCOL_METRICS),
        "options": CROSS_PROTOCOL_METRICS,
    }
)
#: Colours: A, then each B in turn (Okabe-Ito).
SCENARIO_COLOURS = ("#000000", "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00")
BETTER_COLOUR = "#1a9641"
WORSE_COLOUR = "#d7191c"
UNCLEAR_COLOUR = "#555555"
#: Fewer runs than this where both sides are finite: the CI is drawn but no verdict is given.
MIN_PAIRED_RUNS = 10

CSV_HEADER = [
    "a_scenario",
    "b_scenario",
    "metric",
    "unit",
    "better_is",
    "a_median",
    "b_median",
    "mean_difference",
    "ci95_low",
    "ci95_high",
    "median_difference",
    "share_b_better",
    "share_tie",
    "share_b_worse",
    "n_paired_finite",
    "a_share_never",
    "b_share_never",
]


def _name(result: BatchResult) -> str:
    return str(result.provenance.get("scenario", result.plan.name))


def _labels(results: Sequence[BatchResult]) -> list[str]:
    """Display names, made unique when two scenarios share a name."""
    names = [_name(r) for r in results]
    return [f"{n} [{i}]" if names.count(n) > 1 else n for i, n in enumerate(names)]


def shared_metrics(a: BatchResult, b: BatchResult) -> list[str]:
    """Metrics both batches have, in the order of the metric tables."""
    return [m for m in METRICS if m in a.metrics and m in b.metrics]


def unshared_metrics(results: Sequence[BatchResult]) -> dict[str, list[str]]:
    """Per scenario label, the metrics it has that some other scenario lacks (not compared)."""
    labels = _labels(results)
    common = set.intersection(*(set(r.metrics) for r in results))
    return {
        lab: [m for m in METRICS if m in r.metrics and m not in common]
        for lab, r in zip(labels, results, strict=True)
        if any(m not in common for m in r.metrics)
    }


def people_difference(a: Plan, b: Plan) -> str | None:
    """How two plans' people differ (count, roles or start spaces), or None if they are the same.

    Runs pair up person by person (person *i* gets the same random numbers on both sides), so a
    paired comparison is only meaningful when both scenarios place the same people.
    """
    if a.n_persons != b.n_persons:
        return f"{a.n_persons} people vs {b.n_persons}"
    if not np.array_equal(a.person_role, b.person_role):
        return "the same number of people but different roles (students, teachers, staff)"
    if a.space_ids != b.space_ids or not np.array_equal(a.person_space, b.person_space):
        return "the same number of people but in different start spaces"
    return None


def compare_rows(results: Sequence[BatchResult]) -> list[dict]:
    """One dict per (B, shared metric): both summaries and the paired difference B − A.

    Raises
    ------
    DrillsimError
        If fewer than two results are given or their run counts differ (runs cannot be paired).
    """
    if len(results) < 2:
        raise DrillsimError("a comparison needs at least two scenarios (A and one B)")
    a = results[0]
    labels = _labels(results)
    rows = []
    for b, b_label in zip(results[1:], labels[1:], strict=True):
        if b.n_runs != a.n_runs:
            raise DrillsimError(
                f"cannot pair runs: '{labels[0]}' has {a.n_runs} runs but '{b_label}' has "
                f"{b.n_runs}; run both with the same --runs and --seed"
            )
        for m in shared_metrics(a, b):
            unit, meaning = METRICS[m]
            rows.append(
                {
                    "a_scenario": labels[0],
                    "b_scenario": b_label,
                    "metric": m,
                    "unit": unit,
                    "meaning": meaning,
                    "a": summarise(a.metrics[m]),
                    "b": summarise(b.metrics[m]),
                    "paired": compare_paired(a.metrics[m], b.metrics[m], m),
                }
            )
    return rows


def _csv_rows(rows: Sequence[dict]) -> list[list]:
    out = []
    for r in rows:
        p = r["paired"]
        out.append(
            [
                r["a_scenario"],
                r["b_scenario"],
                r["metric"],
                r["unit"],
                p["better_is"],
                r["a"]["median"],
                r["b"]["median"],
                p["mean_difference"],
                p["ci95_low"],
                p["ci95_high"],
                p["median_difference"],
                p["share_b_better"],
                p["share_tie"],
                p["share_b_worse"],
                p["n_paired_finite"],
                r["a"]["share_never"],
                r["b"]["share_never"],
            ]
        )
    return out


# ----------------------------------------------------------------------------------------------
# figure
# ----------------------------------------------------------------------------------------------


def _verdict(p: dict, tag: str = "B") -> tuple[str, str]:
    """Colour and words for a paired CI: clearly better, clearly worse, or not distinguishable."""
    lo, hi = p["ci95_low"], p["ci95_high"]
    if lo == hi == 0 and p["mean_difference"] == 0:
        return UNCLEAR_COLOUR, "identical in every paired run"
    if not (math.isfinite(lo) and math.isfinite(hi)) or p["n_paired_finite"] < MIN_PAIRED_RUNS:
        return UNCLEAR_COLOUR, "no verdict: too few runs finite on both sides"
    higher = p["better_is"] == "higher"
    if (lo > 0 and higher) or (hi < 0 and not higher):
        return BETTER_COLOUR, f"{tag} better (CI excludes 0)"
    if (hi < 0 and higher) or (lo > 0 and not higher):
        return WORSE_COLOUR, f"{tag} worse (CI excludes 0)"
    return UNCLEAR_COLOUR, "no clear difference (CI includes 0)"


def _forest_row(
    ax: Axes, metric: str, entries: Sequence[tuple[str, dict, dict, dict]], n_runs: int
) -> None:
    """One metric: the mean paired difference and its 95 % CI for every B, zero line, labels.

    Shares are drawn in percentage points, so that "+3" reads as three more rooms in a hundred.
    """
    unit = METRICS[metric][0]
    scale, axis_unit = (100.0, "percentage points") if unit == "share" else (1.0, unit)
    nb = len(entries)
    ys = np.arange(nb)[::-1].astype(float)
    ax.axvline(0.0, color="black", linewidth=1.0, zorder=1)
    spans = [
        abs(v) * scale
        for _, p, _, _ in entries
        for v in (p["mean_difference"], p["ci95_low"], p["ci95_high"])
        if math.isfinite(v)
    ]
    sizes = [
        abs(x) * scale
        for _, _, sa, sb in entries
        for x in (sa["median"], sb["median"])
        if math.isfinite(x)
    ]
    # differences of floating-point rounding size (1e-15 s) are no difference at all
    noise = 1e-9 * max([1.0, *sizes])
    rounding_only = bool(spans) and 0 < max(spans) < noise
    half = max(spans) * 1.25 if spans and not rounding_only and max(spans) > 0 else 1.0
    ax.set_xlim(-half, half)
    ax.set_yticks([])
    higher = entries[0][1]["better_is"] == "higher"
    for y, (tag, p, sa, sb) in zip(ys, entries, strict=True):
        colour, word = _verdict(p, tag)
        mean = p["mean_difference"]
        prefix = f"{tag}: " if nb > 1 else ""
        if not math.isfinite(mean):
            ax.text(
                0.5,
                y,
                f"{prefix}nothing to compare: no run where both are finite "
                f"(never in {100 * sa['share_never']:.0f} % of runs for A, "
                f"{100 * sb['share_never']:.0f} % for {tag})",
                transform=ax.get_yaxis_transform(),
                ha="center",
                va="center",
                fontsize=9,
                color=NEVER_TEXT_COLOUR,
            )
            continue
        lo, hi = p["ci95_low"] * scale, p["ci95_high"] * scale
        if rounding_only:
            colour, word = UNCLEAR_COLOUR, "no difference (only floating-point rounding)"
            mean = lo = hi = 0.0
        if math.isfinite(lo) and math.isfinite(hi):
            ax.plot([lo, hi], [y, y], color=colour, linewidth=2.5, solid_capstyle="butt")
            ax.plot(
                [lo, hi],
                [y, y],
                linestyle="",
                marker="|",
                markersize=10,
                color=colour,
                markeredgewidth=2,
            )
        ax.plot([mean * scale], [y], marker="o", markersize=8, color=colour, zorder=3)
        share = p["share_b_better"]
        note = word
        if math.isfinite(share):
            note += (
                f" · runs: {tag} better {100 * share:.0f} %, tie {100 * p['share_tie']:.0f} %, "
                f"worse {100 * p['share_b_worse']:.0f} %"
            )
        if p["n_paired_finite"] < n_runs:
            note += f" · both finite in only {p['n_paired_finite']} of {n_runs} runs"
        ax.annotate(
            prefix + note,
            xy=(0.005, y),
            xycoords=("axes fraction", "data"),
            xytext=(0, 7),
            textcoords="offset points",
            fontsize=8.5,
            color=colour,
            va="bottom",
            ha="left",
        )
    ax.set_ylim(-0.6, nb - 0.15)
    if not spans:  # nothing drawn: an axis of made-up numbers would only confuse
        ax.set_xticks([])
    left, right = ("← B better", "B worse →") if not higher else ("← B worse", "B better →")
    ax.set_xlabel(f"mean difference B − A ({axis_unit})    {left} | {right}", fontsize=8.5)
    ax.set_title(metric_label(metric), fontsize=10, loc="left", fontweight="bold")
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    medians = [f"A {format_value(entries[0][2]['median'], unit)}"]
    medians += [f"{tag} {format_value(sb['median'], unit)}" for tag, _, _, sb in entries]
    ax.set_title(
        "median: "
        + " → ".join(medians[:2])
        + (", " + ", ".join(medians[2:]) if len(medians) > 2 else ""),
        fontsize=8.5,
        loc="right",
        color="#333333",
    )


def _ecdf_panel(
    ax: Axes, metric: str, results: Sequence[BatchResult], labels: Sequence[str]
) -> None:
    """ECDFs of one metric for A and every B, as a share of all runs (inf keeps it below 100 %)."""
    ax.set_xlabel(metric_label(metric))
    ax.set_ylabel("runs reaching this value or less (% of all runs)")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    handles = []
    drawn = False
    for i, (r, lab) in enumerate(zip(results, labels, strict=True)):
        x = np.asarray(r.metrics[metric], dtype=float)
        xs, ys = ecdf(x)
        colour = SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]
        style = "-" if i == 0 else "--"
        never = float(np.mean(~np.isfinite(x))) if x.size else 0.0
        tag = "A" if i == 0 else ("B" if len(results) == 2 else f"B{i}")
        text = f"{tag}: {lab}"
        if never > 0:
            text += f" (never in {100 * never:.0f} % of runs)"
        text = textwrap.fill(text, 60, subsequent_indent="    ")
        if xs.size:
            ax.step(
                np.concatenate([[xs[0]], xs]),
                100 * np.concatenate([[0.0], ys]),
                where="post",
                color=colour,
                linestyle=style,
                linewidth=2,
            )
            med = quantile(x, 0.5)
            if math.isfinite(med):
                ax.plot([med], [50], marker="o", color=colour, markersize=6)
            drawn = True
        handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=2, label=text))
    ax.axhline(50, color=P90_COLOUR, linestyle=":", linewidth=1)
    ax.annotate(
        "median (50 % of runs)",
        xy=(1.0, 50),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        color=P90_COLOUR,
    )
    if not drawn:
        ax.text(
            0.5,
            0.3,
            "never reached in any run of any scenario",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=NEVER_TEXT_COLOUR,
        )
        ax.set_xticks([])
    ax.legend(handles=handles, loc="upper left", fontsize=8.5, framealpha=0.95)
    ax.set_title(f"Distribution over runs: {metric_label(metric)}", fontsize=10)


def figure_comparison(results: Sequence[BatchResult], rows: Sequence[dict]) -> Figure:
    """Forest plot of the headline metrics (one row each) and ECDFs of the first one."""
    a = results[0]
    labels = _labels(results)
    mixed = len({r.plan.protocol for r in results}) > 1
    wanted = CROSS_PROTOCOL_METRICS if mixed else HEADLINE_METRICS.get(a.plan.protocol, ())
    heads = [m for m in wanted if all(m in r.metrics for r in results)]
    by_key = {(r["b_scenario"], r["metric"]): r for r in rows}
    n_rows = max(len(heads), 1)
    height = 1.0 + n_rows * (1.25 + 0.25 * (len(results) - 1))
    if len(results) == 2:
        title = f"{labels[1]} (B) compared with {labels[0]} (A)"
    else:
        title = f"{len(results) - 1} scenarios compared with {labels[0]} (A)"
    subtitle = (
        "Each row: mean paired difference B − A over runs that share their random inputs, with "
        "its 95 % confidence interval, and the share of runs in which B did better (ties count "
        "half). Green: B clearly better; red: B clearly worse; grey: no clear difference."
    )
    if len(results) > 2:
        subtitle += " B scenarios: " + "; ".join(
            f"B{i} = {lab}" for i, lab in enumerate(labels[1:], start=1)
        )
    fig = new_figure(
        15.0,
        max(height + 1.2, 6.5),
        footer=footer_text(a.provenance),
        title=title,
        subtitle=subtitle,
    )
    gs = fig.add_gridspec(n_rows, 2, width_ratios=[1.35, 1.0])
    for k, m in enumerate(heads):
        ax = fig.add_subplot(gs[k, 0])
        entries = []
        for j, b_label in enumerate(labels[1:], start=1):
            r = by_key.get((b_label, m))
            if r is None:
                continue
            tag = "B" if len(results) == 2 else f"B{j}"
            entries.append((tag, r["paired"], r["a"], r["b"]))
        if entries:
            _forest_row(ax, m, entries, a.n_runs)
    ax_e = fig.add_subplot(gs[:, 1])
    if heads:
        _ecdf_panel(ax_e, heads[0], results, labels)
    else:
        ax_e.text(
            0.5,
            0.5,
            "no headline metric shared by all scenarios",
            ha="center",
            transform=ax_e.transAxes,
        )
        ax_e.set_axis_off()
    return fig


# ----------------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------------


def write_compare_outputs(
    results: list[BatchResult],
    loadeds: list[LoadedScenario],
    out_dir: Path,
    *,
    csv: bool = False,
) -> list[Path]:
    """Write ``comparison.json``, ``comparison.csv`` and ``comparison.png`` into ``out_dir``.

    Parameters
    ----------
    results : list of BatchResult
        The first is the baseline A; every other is compared with it. Run them with the same
        seed and run count so that runs pair up (common random numbers).
    loadeds : list of LoadedScenario
        The scenarios the results were computed on, in the same order.
    out_dir : Path
        Folder to write into (the caller stages it).
    csv : bool
        Also write each side's per-run table: ``runs_a.csv``, ``runs_b.csv`` (``runs_b1.csv``,
        ``runs_b2.csv``, ... with more than one B). ``comparison.csv`` is always written.

    Returns
    -------
    list of Path
        ``comparison.json``, ``comparison.csv``, ``comparison.png`` [and the runs CSVs].

    Raises
    ------
    DrillsimError
        Fewer than two results, results and scenarios of different lengths, or run counts that
        differ.
    """
    out_dir = Path(out_dir)
    if len(loadeds) != len(results):
        raise DrillsimError(
            f"got {len(results)} batch results but {len(loadeds)} scenarios; pass one each"
        )
    rows = compare_rows(results)
    seeds = {int(r.seed) for r in results}
    data = {
        "a": dict(results[0].provenance),
        "b": [dict(r.provenance) for r in results[1:]],
        "paired_on_common_random_numbers": len(seeds) == 1,
        "protocols": [r.plan.protocol for r in results],
        "not_compared": unshared_metrics(results),
        "comparisons": [
            {k: r[k] for k in ("b_scenario", "metric", "unit", "meaning", "a", "b", "paired")}
            for r in rows
        ],
    }
    json_path = out_dir / "comparison.json"
    write_json(json_path, data)
    csv_path = write_csv(out_dir / "comparison.csv", CSV_HEADER, _csv_rows(rows))
    png_path = save_figure(figure_comparison(results, rows), out_dir / "comparison.png")
    written = [json_path, csv_path, png_path]
    if csv:
        for i, r in enumerate(results):
            tag = "a" if i == 0 else ("b" if len(results) == 2 else f"b{i}")
            written.append(write_runs_csv(r, out_dir / f"runs_{tag}.csv"))
    return written
