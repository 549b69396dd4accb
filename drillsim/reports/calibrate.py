"""Fit behaviour scales to an observed drill: adult reaction time and lock time.

Two multiplicative scales are fitted: one on ``behaviour.adult_reaction_s`` and one on every
``behaviour.lock_time_s`` distribution. Every distribution family in drillsim scales exactly by
multiplying its parameters (lognormal median and p90, uniform bounds, normal mean and sd,
triangular points, constants, empirical values, and the clip bounds), and sampling is by inverse
CDF, so a scaled distribution maps the *same* uniform draw to ``scale × value``. The fit therefore
samples the runs once and scales the drawn reaction and lock times (common random numbers: the
error surface is smooth in the scales and free of resampling noise), simulates them with the batch
engine, and compares each observed room with its simulated median: the *lock delay* (door locked
− alert heard) where the observer noted when the alert was heard, else the door-locked time. The
lock delay holds the reaction, the hold and the lock attempts without the alert chain's spread,
and its differences between rooms with slow and fast hardware separate the lock scale from the
reaction scale. The error is the mean absolute difference over rooms, leaving out the largest
20 % so that a few unusually slow rooms (the ones the review flags) do not drag the fit.

A coarse grid over 1/4× … 4× on a log scale is refined around its best point; the result, the
plausible range (every grid point within 25 % of the best error) and the error before and after are
reported. On synthetic drills generated with lock times ×2 (×0.5) the fit recovers 1.8–2.1
(0.48–0.57), with the true value inside the plausible range (tests/test_review.py). The
calibrated scenario keeps the original file's content with the two scaled
distributions written out explicitly.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure as MplFigure

from drillsim.engines.batch import run_batch
from drillsim.plan.compile import Plan, compile_plan
from drillsim.reports.figures import mark_sensitive
from drillsim.reports.staging import write_json
from drillsim.sample.draws import Draws, sample
from drillsim.scenario.load import LoadedScenario

#: Log2 scale grid of the coarse search (1/4× … 4×) and the refinement step.
COARSE_LOG2 = np.arange(-2.0, 2.0001, 0.25)
FINE_STEP_LOG2 = 1 / 16
#: Scales whose error is within this factor of the best fit make up the plausible range.
PLAUSIBLE = 1.25
#: Share of the largest room errors left out of the fit error (robust to flagged rooms).
TRIM = 0.2
DEFAULT_RUNS = 400  # per evaluation; 200 left the lock scale ±0.3 from run noise alone
_SCALED_KEYS = ("value", "low", "high", "mean", "sd", "median", "p90", "mode", "min", "max")


@dataclass
class CalibrationResult:
    """The fitted scales, the fit quality and what it rests on."""

    reaction_scale: float
    lock_scale: float
    mae_before_s: float
    mae_after_s: float
    n_rooms: int
    n_pairs: int
    runs: int
    seed: int
    reaction_range: tuple[float, float]
    lock_range: tuple[float, float]
    grid_reaction: np.ndarray
    grid_lock: np.ndarray
    grid_mae: np.ndarray  # (len(grid_reaction), len(grid_lock))
    rooms: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the error grid)."""
        return {
            "reaction_scale": self.reaction_scale,
            "lock_scale": self.lock_scale,
            "mae_before_s": self.mae_before_s,
            "mae_after_s": self.mae_after_s,
            "n_rooms": self.n_rooms,
            "n_pairs": self.n_pairs,
            "runs": self.runs,
            "seed": self.seed,
            "reaction_range": list(self.reaction_range),
            "lock_range": list(self.lock_range),
            "rooms": self.rooms,
            "fitted": ["behaviour.adult_reaction_s", "behaviour.lock_time_s"],
            "objective": "mean over rooms (worst 20 % left out) of |simulated median - observed| "
            "of the lock delay (door locked - alert heard), or of the door-locked time (s)",
        }


def scale_draws(plan: Plan, d: Draws, reaction: float, lock: float) -> Draws:
    """The draws a scenario with scaled adult reaction and lock-time distributions would give."""
    adult = plan.person_role != 0
    react = np.where(adult[None, :], d.reaction_s * reaction, d.reaction_s)
    return replace(
        d,
        reaction_s=react,
        lock_time_s=d.lock_time_s * lock,
        central_latency_s=d.central_latency_s * lock,
    )


def _targets(plan: Plan, observed: Any) -> list[tuple[int, str, float]]:
    """(room index, measure, observed s) pairs from the observed drill.

    Where the observer wrote down when the alert was heard, the target is the room's *lock
    delay* (door locked − alert heard): it holds exactly the reaction, the hold and the lock
    attempts, without the alert chain's own spread, and how it differs between rooms with slow
    and fast hardware is what separates the lock scale from the reaction scale. Otherwise the
    target is the door-locked time itself.
    """
    index = {plan.room_id(m): m for m in range(plan.n_rooms)}
    out = []
    for o in observed.rows:
        if not o.secured or o.room not in index:
            continue
        if not math.isnan(o.alert_heard_s):
            out.append((index[o.room], "delay", o.door_locked_s - o.alert_heard_s))
        else:
            out.append((index[o.room], "locked", o.door_locked_s))
    return out


def trimmed_mean_abs(diff: np.ndarray, trim: float = TRIM) -> float:
    """Mean absolute difference without the largest ``trim`` share (the few unusually slow
    rooms a review flags must not drag the fit; the rest all count, unlike a median)."""
    a = np.sort(np.abs(diff))
    keep = max(1, int(np.ceil(a.size * (1.0 - trim))))
    return float(np.mean(a[:keep]))


def _medians(alert: np.ndarray, locked: np.ndarray, targets: list) -> np.ndarray:
    sim = []
    for m, what, _ in targets:
        col = locked[:, m] - alert[:, m] if what == "delay" else locked[:, m]
        fin = col[np.isfinite(col)]
        sim.append(float(np.median(fin)) if fin.size else math.nan)
    return np.array(sim)


def calibrate(
    loaded: LoadedScenario, observed: Any, *, seed: int = 0, runs: int = DEFAULT_RUNS
) -> CalibrationResult:
    """Fit reaction and lock-time scales to an observed drill (see the module docstring).

    Raises
    ------
    drillsim.errors.DrillsimError
        If no observed room was secured (nothing to fit).
    """
    from drillsim.errors import DrillsimError

    plan = compile_plan(loaded)
    targets = _targets(plan, observed)
    if not targets:
        raise DrillsimError("--calibrate needs at least one room with a door_locked_s time")
    obs = np.array([t for _, _, t in targets])
    base = sample(plan, loaded.scenario, seed, runs)

    def error(lr: float, ll: float) -> tuple[float, np.ndarray]:
        o = run_batch(plan, scale_draws(plan, base, 2.0**lr, 2.0**ll))
        sim = _medians(o.space_alert_s[:, plan.room_space], o.room_locked_s, targets)
        ok = np.isfinite(sim)
        return (trimmed_mean_abs(sim[ok] - obs[ok]) if ok.any() else math.inf), sim

    cache: dict[tuple[float, float], float] = {}

    def err(lr: float, ll: float) -> float:
        key = (round(lr, 6), round(ll, 6))
        if key not in cache:
            cache[key] = error(lr, ll)[0]
        return cache[key]

    coarse = np.array([[err(a, b) for b in COARSE_LOG2] for a in COARSE_LOG2])

    def best_of(points: list[tuple[float, float]]) -> tuple[float, float]:
        # smallest error; ties go to the smaller change from the scenario (closest to 1×, 1×)
        return min(points, key=lambda p: (round(err(*p), 9), p[0] ** 2 + p[1] ** 2))

    bl = best_of([(a, b) for a in COARSE_LOG2 for b in COARSE_LOG2])
    fine = np.arange(-4, 5) * FINE_STEP_LOG2
    bl = best_of([(bl[0] + a, bl[1] + b) for a in fine for b in fine])
    best = err(*bl)
    before, sim_before = error(0.0, 0.0)
    after, sim_after = error(*bl)
    near = [k for k, v in cache.items() if v <= best * PLAUSIBLE + 1e-9]
    r_rng = (2.0 ** min(k[0] for k in near), 2.0 ** max(k[0] for k in near))
    l_rng = (2.0 ** min(k[1] for k in near), 2.0 ** max(k[1] for k in near))
    rooms = [
        {
            "room": plan.room_id(m),
            "measure": what,
            "observed_s": t,
            "simulated_before_s": float(b),
            "simulated_after_s": float(a),
        }
        for (m, what, t), b, a in zip(targets, sim_before, sim_after, strict=True)
    ]
    return CalibrationResult(
        reaction_scale=float(2.0 ** bl[0]),
        lock_scale=float(2.0 ** bl[1]),
        mae_before_s=before,
        mae_after_s=after,
        n_rooms=len({m for m, _, _ in targets}),
        n_pairs=len(targets),
        runs=runs,
        seed=seed,
        reaction_range=r_rng,
        lock_range=l_rng,
        grid_reaction=2.0**COARSE_LOG2,
        grid_lock=2.0**COARSE_LOG2,
        grid_mae=coarse,
        rooms=rooms,
    )


def scale_distribution(dump: dict[str, Any], k: float) -> dict[str, Any]:
    """A distribution's YAML mapping with every time parameter multiplied by ``k``."""
    out = dict(dump)
    for key in _SCALED_KEYS:
        if out.get(key) is not None:
            out[key] = round(float(out[key]) * k, 6)
    if "values" in out:
        out["values"] = [round(float(v) * k, 6) for v in out["values"]]
    return out


def _dump(dist: Any) -> dict[str, Any]:
    return dist.model_dump(mode="json", by_alias=True, exclude_none=True)


def calibrated_scenario_dict(
    loaded: LoadedScenario, fit: CalibrationResult, out_dir: Path
) -> dict[str, Any]:
    """The original scenario mapping with the two scaled distributions written out.

    The ``floorplan`` path is rewritten relative to ``out_dir`` so the file still loads from there
    (absolute if the two are on different drives).
    """
    src = Path(loaded.source)
    raw = yaml.safe_load(src.read_text(encoding="utf-8"))
    data = copy.deepcopy(raw) if isinstance(raw, dict) else {}
    b = loaded.scenario.behaviour
    behaviour = dict(data.get("behaviour") or {})
    behaviour["adult_reaction_s"] = scale_distribution(
        _dump(b.adult_reaction_s), fit.reaction_scale
    )
    behaviour["lock_time_s"] = {
        k: scale_distribution(_dump(v), fit.lock_scale) for k, v in b.lock_time_s.items()
    }
    data["behaviour"] = behaviour
    fp_abs = (src.parent / loaded.scenario.floorplan).resolve()
    try:
        data["floorplan"] = os.path.relpath(fp_abs, Path(out_dir).resolve())
    except ValueError:  # pragma: no cover - different drives on Windows
        data["floorplan"] = str(fp_abs)
    data["name"] = f"{loaded.scenario.name} (calibrated)"
    note = (
        f"Calibrated from a drill: adult reaction × {fit.reaction_scale:.2f}, lock time × "
        f"{fit.lock_scale:.2f} (mean abs. error {fit.mae_before_s:.1f} s → "
        f"{fit.mae_after_s:.1f} s over {fit.n_rooms} rooms)."
    )
    data["description"] = f"{data.get('description', '')} {note}".strip()
    return data


def write_calibration(
    loaded: LoadedScenario, fit: CalibrationResult, out: Path, final_out: Path | None = None
) -> list[Path]:
    """Write calibrated-scenario.yaml and calibration.json into ``out``."""
    data = calibrated_scenario_dict(loaded, fit, final_out or out)
    p = out / "calibrated-scenario.yaml"
    header = (
        "# SENSITIVE SECURITY INFORMATION\n"
        f"# Calibrated by drillsim review --calibrate from {Path(loaded.source).name}: adult "
        f"reaction x{fit.reaction_scale:.2f}, lock time x{fit.lock_scale:.2f}.\n"
        "# One drill mostly identifies the sum of reaction and lock time; refit over several "
        "drills.\n"
    )
    p.write_text(
        header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    paths = [p]
    p = out / "calibration.json"
    write_json(p, {**fit.to_dict(), "provenance_scenario": Path(loaded.source).name})
    paths.append(p)
    return paths


def calibration_figure(fit: CalibrationResult) -> MplFigure:
    """Heat map of the fit error over the two scales, best fit marked."""
    fig = MplFigure(figsize=(6.2, 4.8), layout="constrained")
    ax = fig.subplots()
    z = np.where(np.isfinite(fit.grid_mae), fit.grid_mae, np.nan)
    lo = max(float(np.nanmin(z)), 0.1)
    hi = float(np.nanpercentile(z, 90))
    mesh = ax.pcolormesh(
        fit.grid_lock,
        fit.grid_reaction,
        z,
        shading="nearest",
        cmap="viridis",
        vmin=lo,
        vmax=max(hi, lo + 1),
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.plot(fit.lock_scale, fit.reaction_scale, marker="X", color="white", ms=12, mec="black")
    ax.plot(1, 1, marker="o", color="none", mec="white", ms=10)
    ax.annotate(
        "scenario (1×, 1×)",
        (1, 1),
        xytext=(6, -12),
        textcoords="offset points",
        color="white",
        fontsize=8,
    )
    ax.set_xlabel("lock-time scale")
    ax.set_ylabel("adult reaction-time scale")
    ax.set_title(
        "Fit error: mean over rooms of |simulated median − observed| (s)", fontsize=10, loc="left"
    )
    fig.colorbar(
        mesh, ax=ax, label="mean absolute error, worst 20 % of rooms left out (s)", extend="max"
    )
    return mark_sensitive(fig, f"seed {fit.seed}, {fit.runs} runs per point")
