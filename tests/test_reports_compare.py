"""Comparison files: numbers equal compare_paired on the per-run tables, identical pairs are ties."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pyarrow.parquet as pq
import pytest

from drillsim.errors import DrillsimError
from drillsim.floorplan import load_floorplan
from drillsim.metrics.score import METRICS
from drillsim.metrics.summary import compare_paired, summarise
from drillsim.reports.batch import write_runs
from drillsim.reports.compare import CSV_HEADER, write_compare_outputs
from drillsim.run import run_batch_job
from drillsim.scenario.load import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
RUNS = 300
PAIR = ("high-school-lockdown-class-thumbturn.yaml", "high-school-lockdown-class-keys-outside.yaml")


def load_pair():
    """The bundled comparison pair, or the same change (classroom lock hardware) built in memory."""
    paths = [ROOT / "scenarios" / f for f in PAIR]
    if all(p.exists() for p in paths):
        return [load_scenario(p) for p in paths]
    fp = load_floorplan(ROOT / "floorplans" / "high-school.yaml")
    base = {
        "floorplan": "x",
        "protocol": "lockdown",
        "incident": {"origin": "H0-2", "detection_delay_s": 0},
    }
    return [
        scenario_from_dict(
            {**base, "name": f"classroom doors: {lock}", "building": {"door_locks": {"R*": lock}}},
            fp,
        )
        for lock in ("thumbturn", "key_outside")
    ]


def _num(text: str) -> float:
    return math.nan if text == "" else float(text)


def _same(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or got == want


def _decode(v):
    return (
        {"inf": math.inf, "-inf": -math.inf}.get(v, math.nan if v is None else v)
        if not isinstance(v, dict)
        else {k: _decode(x) for k, x in v.items()}
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(loadeds, results, output folder written twice, per-side runs.parquet folders)."""
    loadeds = load_pair()
    results = [run_batch_job(ld, RUNS, seed=3, workers=1) for ld in loadeds]
    outs = []
    for i in range(2):
        out = tmp_path_factory.mktemp(f"compare-{i}")
        write_compare_outputs(results, loadeds, out, csv=i == 0)
        outs.append(out)
    sides = []
    for i, r in enumerate(results):
        side = tmp_path_factory.mktemp(f"side-{i}")
        write_runs(r, side)
        sides.append(side)
    return loadeds, results, outs, sides


def test_files_written(pair):
    _, _, (first, second), _ = pair
    assert sorted(p.name for p in first.iterdir()) == [
        "comparison.csv",
        "comparison.json",
        "comparison.png",
        "runs_a.csv",
        "runs_b.csv",
    ]
    assert sorted(p.name for p in second.iterdir()) == [
        "comparison.csv",
        "comparison.json",
        "comparison.png",
    ]


def test_csv_numbers_equal_compare_paired_on_parquet(pair):
    _, _, (out, _), (side_a, side_b) = pair
    a, b = pq.read_table(side_a / "runs.parquet"), pq.read_table(side_b / "runs.parquet")
    with open(out / "comparison.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == CSV_HEADER
    shared = [m for m in METRICS if m in a.column_names and m in b.column_names]
    assert [r["metric"] for r in rows] == shared
    for r in rows:
        m = r["metric"]
        x, y = a.column(m).to_numpy(), b.column(m).to_numpy()
        p = compare_paired(x, y, m)
        assert r["unit"] == METRICS[m][0] and r["better_is"] == p["better_is"]
        for col in (
            "mean_difference",
            "ci95_low",
            "ci95_high",
            "median_difference",
            "share_b_better",
            "n_paired_finite",
        ):
            assert _same(_num(r[col]), float(p[col])), (m, col, r[col], p[col])
        assert _same(_num(r["a_median"]), summarise(x)["median"]), m
        assert _same(_num(r["b_median"]), summarise(y)["median"]), m
        assert _same(_num(r["a_share_never"]), summarise(x)["share_never"]), m


def test_json_holds_provenance_and_both_summaries(pair):
    _, results, (out, _), _ = pair
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert data["a"] == results[0].provenance and data["b"] == [results[1].provenance]
    assert data["paired_on_common_random_numbers"] is True
    by_metric = {c["metric"]: c for c in data["comparisons"]}
    for m, c in by_metric.items():
        want = summarise(results[1].metrics[m])
        got = _decode(c["b"])
        assert all(_same(float(got[k]), float(v)) for k, v in want.items()), m


def test_png_loads_and_is_not_blank(pair):
    _, _, (out, _), _ = pair
    img = mpimg.imread(out / "comparison.png")
    assert img.shape[1] == 15 * 150 and img.shape[0] >= 900
    assert float(np.std(img[..., :3])) > 0.05


def test_same_inputs_write_identical_bytes(pair):
    _, _, (first, second), _ = pair
    for p in sorted(second.iterdir()):
        assert p.read_bytes() == (first / p.name).read_bytes(), p.name


def test_b_equal_to_a_is_a_tie_everywhere(pair, tmp_path):
    loadeds, results, _, _ = pair
    write_compare_outputs([results[0], results[0]], [loadeds[0], loadeds[0]], tmp_path)
    with open(tmp_path / "comparison.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for r in rows:
        assert float(r["share_b_better"]) == 0.5, r["metric"]
        if int(r["n_paired_finite"]) > 0:
            assert float(r["mean_difference"]) == 0.0, r["metric"]
            assert float(r["ci95_low"]) == 0.0 == float(r["ci95_high"]), r["metric"]


def test_metric_never_reached_on_both_sides_does_not_crash(tmp_path):
    fp = load_floorplan(ROOT / "floorplans" / "elementary-school.yaml")
    loaded = scenario_from_dict(
        {"name": "evac", "floorplan": "x", "protocol": "evacuate", "incident": {"origin": "H-A2"}},
        fp,
    )
    r = run_batch_job(loaded, 30, seed=2, workers=1)
    never = dataclasses.replace(
        r,
        metrics={
            **r.metrics,
            "evacuation_time_s": np.full(r.n_runs, np.inf),
            "time_95_evacuated_s": np.full(r.n_runs, np.inf),
        },
    )
    paths = write_compare_outputs([never, never], [loaded, loaded], tmp_path)
    assert [p.name for p in paths] == ["comparison.json", "comparison.csv", "comparison.png"]
    with open(tmp_path / "comparison.csv", newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["metric"] == "evacuation_time_s")
    assert row["mean_difference"] == "" and row["a_median"] == "inf"
    assert row["n_paired_finite"] == "0"
    data = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    c = next(c for c in data["comparisons"] if c["metric"] == "evacuation_time_s")
    assert c["paired"]["mean_difference"] is None and c["a"]["median"] == "inf"
    assert float(np.std(mpimg.imread(tmp_path / "comparison.png")[..., :3])) > 0.05


def test_runs_that_cannot_be_paired_are_refused(pair, tmp_path):
    loadeds, results, _, _ = pair
    short = dataclasses.replace(
        results[1], metrics={k: v[:10] for k, v in results[1].metrics.items()}
    )
    with pytest.raises(DrillsimError, match="cannot pair runs"):
        write_compare_outputs([results[0], short], loadeds, tmp_path)
    with pytest.raises(DrillsimError, match="at least two"):
        write_compare_outputs(results[:1], loadeds[:1], tmp_path)
