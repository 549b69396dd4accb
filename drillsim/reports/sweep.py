"""Files of ``drillsim sweep``: ``sweep.parquet`` (one row per point and run), ``sweep_summary.csv``,
``sweep.json`` and ``sweep.png`` (small multiples: each headline metric against each parameter).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from drillsim import __version__
from drillsim.explore.sweep import SweepResult
from drillsim.metrics.score import METRICS
from drillsim.reports.charts import (
    BAND_COLOUR,
    MEDIAN_COLOUR,
    metric_label,
    new_figure,
    save_figure,
)
from drillsim.reports.figures import SENSITIVE
from drillsim.reports.staging import write_csv, write_json
from drillsim.scenario.load import LoadedScenario

#: Metrics drawn in the small multiples (all of them are in the table).
HEADLINE = {
    "lockdown": ("time_95_secured_s", "unsecured_person_s", "rooms_never_secured",
                 "time_all_alerted_s"),
    "evacuate": ("time_95_evacuated_s", "evacuation_time_s", "max_door_queue_s",
                 "time_all_alerted_s"),
}


def provenance(res: SweepResult, loaded: LoadedScenario) -> dict[str, Any]:
    """What the sweep's files record so it can be traced and rerun."""
    return {
        "drillsim_version": __version__, "scenario": loaded.scenario.name,
        "scenario_file": Path(loaded.source).name, "scenario_sha256": loaded.digest(),
        "protocol": loaded.scenario.protocol, "seed": res.seed, "runs_per_point": res.n_runs,
        "design": res.design, "parameters": res.paths, "points": len(res.points),
    }


def write_table(res: SweepResult, loaded: LoadedScenario, path: Path) -> Path:
    """One row per (point, run): ``point``, ``run``, ``seed``, a column per parameter, metrics."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    P, R = len(res.points), res.n_runs
    cols: dict[str, Any] = {
        "point": pa.array(np.repeat(np.arange(P), R)),
        "run": pa.array(np.tile(np.arange(R), P)),
        "seed": pa.array(np.full(P * R, res.seed)),
    }
    for p in res.paths:
        vals = [pt[p] for pt in res.points]
        arr = np.repeat(np.array(vals, dtype=object), R).tolist()
        cols[p] = pa.array(arr) if not all(isinstance(v, int | float) for v in vals) else \
            pa.array(np.array(arr, dtype=float))
    fields = [pa.field(k, v.type) for k, v in cols.items()]
    for m, arr in res.metrics.items():
        cols[m] = pa.array(arr.reshape(-1))
        fields.append(pa.field(m, pa.float64(),
                               metadata={"unit": METRICS[m][0], "meaning": METRICS[m][1]}))
    meta = {"drillsim.provenance": json.dumps(provenance(res, loaded), sort_keys=True)}
    table = pa.table(list(cols.values()), schema=pa.schema(fields, metadata=meta))
    pq.write_table(table, path, compression="snappy")
    return path


def small_multiples(res: SweepResult, loaded: LoadedScenario, metrics: tuple[str, ...] = ()):
    """Each headline metric (rows) against each swept parameter (columns), point means + 95 % CI.

    Point 0 (the scenario as written) is drawn as a hollow marker. Where a parameter takes few
    values (a grid), a line joins the mean over the other parameters' values at each value.
    """
    ms = [m for m in (metrics or HEADLINE[loaded.scenario.protocol]) if m in res.metrics]
    rows, cols = len(ms), len(res.paths)
    horizon = float(loaded.scenario.horizon_s)
    fig = new_figure(
        max(8.0, 3.6 * cols + 0.8), 2.6 * rows + 1.8,
        footer=f"{SENSITIVE} — drillsim {__version__}, seed {res.seed}, "
               f"{res.n_runs} runs per point × {len(res.points)} points",
        title=f"{loaded.scenario.name}: sweep",
        subtitle=f"{res.design} design; every point reuses the same runs (common random "
                 f"numbers). Mean over runs with 95 % CI; a time that never happens counts as "
                 f"the horizon ({horizon:g} s).",
    )
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    stats = {m: np.array([_capped_mean_ci(res.metrics[m][k], horizon if METRICS[m][0] == "s"
                                          else np.inf) for k in range(len(res.points))])
             for m in ms}
    for j, p in enumerate(res.paths):
        raw = [pt[p] for pt in res.points]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
        cats = sorted({str(v) for v in raw})
        x = np.array([float(v) for v in raw]) if numeric else np.array(
            [cats.index(str(v)) for v in raw], dtype=float)
        for i, m in enumerate(ms):
            ax = axes[i, j]
            mean, lo, hi = stats[m].T
            ax.errorbar(x[1:], mean[1:], yerr=[mean[1:] - lo[1:], hi[1:] - mean[1:]], fmt="o",
                        ms=3.5, color=BAND_COLOUR, ecolor=BAND_COLOUR, alpha=0.75, lw=0.8)
            ax.plot(x[:1], mean[:1], "o", mfc="white", mec=MEDIAN_COLOUR, ms=7, mew=1.5,
                    label="as written")
            ux = np.unique(x[1:])
            if len(ux) <= 12:
                ax.plot(ux, [np.nanmean(mean[1:][x[1:] == u]) for u in ux], "-",
                        color=MEDIAN_COLOUR, lw=1.2)
            if not numeric:
                ax.set_xticks(range(len(cats)), cats, rotation=20, fontsize=7.5)
            elif all(float(v).is_integer() for v in raw):
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if i == rows - 1:
                ax.set_xlabel(p, fontsize=8.5)
            if j == 0:
                ax.set_ylabel(metric_label(m), fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7.5)
    axes[0, 0].legend(fontsize=7.5, loc="best")
    return fig


def _capped_mean_ci(values: np.ndarray, never: float) -> tuple[float, float, float]:
    """Mean and 95 % CI over runs, a run where the event never happens counting as ``never``."""
    from drillsim.metrics.summary import mean_ci

    x = np.asarray(values, dtype=float)
    return mean_ci(np.where(np.isposinf(x), never, x))


def write_sweep_outputs(res: SweepResult, loaded: LoadedScenario, out: Path,
                        metrics: tuple[str, ...] = ()) -> list[Path]:
    """Write sweep.parquet, sweep_summary.csv, sweep.json and sweep.png (``metrics`` drawn,
    default the protocol's headline ones) into ``out``."""
    paths = [write_table(res, loaded, out / "sweep.parquet")]
    header = ["point", *res.paths, "metric", "mean", "mean_ci95_low", "mean_ci95_high",
              "mean_never_as_horizon",
              "median", "p90", "share_never", "diff_vs_baseline", "diff_ci95_low",
              "diff_ci95_high", "share_better_than_baseline"]
    paths.append(write_csv(out / "sweep_summary.csv", header,
                           [[r[h] for h in header] for r in res.summary]))
    p = out / "sweep.json"
    write_json(p, {**provenance(res, loaded),
                   "point_values": res.points, "summary": res.summary})
    paths.append(p)
    paths.append(save_figure(small_multiples(res, loaded, metrics), out / "sweep.png"))
    return paths
