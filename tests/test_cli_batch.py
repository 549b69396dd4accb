"""End-to-end `drillsim batch` / `compare`: read the files back; engines agree run by run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drillsim.metrics.score import metric_names

ROOT = Path(__file__).resolve().parents[1]
HS = ROOT / "scenarios/high-school-lockdown-class.yaml"


def drillsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drillsim", *map(str, args)], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def hs_batches(tmp_path_factory):
    """The high-school lockdown, same seed, through both engines (and two worker counts)."""
    base = tmp_path_factory.mktemp("batch")
    outs = {}
    for name, extra in {
        "batch-w1": ["--workers", "1"],
        "batch-w2": ["--workers", "2"],
        "reference": ["--engine", "reference", "--workers", "2"],
    }.items():
        out = base / name
        res = drillsim("batch", HS, "--runs", 300, "--seed", 21, "--out", out, "--csv", *extra)
        assert res.returncode == 0, res.stderr
        outs[name] = out
    return outs


def test_batch_files_and_columns(hs_batches):
    out = hs_batches["batch-w1"]
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 300
    assert list(runs["run"]) == list(range(300))
    assert set(metric_names("lockdown")) <= set(runs.columns)
    csv = pd.read_csv(out / "runs.csv")
    assert len(csv) == 300
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["seed"] == 21 and summary["provenance"]["n_runs"] == 300


def test_worker_count_does_not_change_any_file(hs_batches):
    a, b = hs_batches["batch-w1"], hs_batches["batch-w2"]
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_reference_engine_batch_matches_batch_engine_run_by_run(hs_batches):
    """How to check a big batch: rerun it with --engine reference and compare runs.parquet."""
    fast = pd.read_parquet(hs_batches["batch-w1"] / "runs.parquet")
    slow = pd.read_parquet(hs_batches["reference"] / "runs.parquet")
    for col in metric_names("lockdown"):
        a, b = fast[col].to_numpy(), slow[col].to_numpy()
        assert np.array_equal(np.isinf(a), np.isinf(b)), col
        fin = np.isfinite(a)
        np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-9, err_msg=col)
    sa = json.loads((hs_batches["batch-w1"] / "summary.json").read_text())
    sb = json.loads((hs_batches["reference"] / "summary.json").read_text())
    assert sa["provenance"]["engine"] == "batch" and sb["provenance"]["engine"] == "reference"


def test_compare_pair_with_common_random_numbers(tmp_path):
    a = ROOT / "scenarios/high-school-lockdown-class-thumbturn.yaml"
    b = ROOT / "scenarios/high-school-lockdown-class-keys-outside.yaml"
    res = drillsim("compare", a, b, "--runs", 300, "--seed", 2, "--out", tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "comparison.csv")
    by_metric = table.set_index("metric")
    # every classroom door locked from the hallway: adults spend time outside in every run
    row = by_metric.loc["key_outside_exposure_s"]
    assert row["a_median"] == 0 and row["ci95_low"] > 0 and row["share_b_better"] == 0
    # common random numbers: quantities the change cannot touch differ by exactly zero
    for metric in ("sro_arrival_s", "law_enforcement_arrival_s", "time_all_alerted_s"):
        assert by_metric.loc[metric, "mean_difference"] == 0
        assert by_metric.loc[metric, "share_b_better"] == 0.5
    assert (tmp_path / "comparison.png").exists()


def test_compare_across_protocols_uses_shared_metrics_and_names_the_rest(tmp_path):
    """Lockdown vs evacuate (issue 9): compared on the metrics both have; the others are refused
    with a message naming them."""
    res = drillsim(
        "compare",
        HS,
        ROOT / "scenarios/high-school-evacuate-class.yaml",
        "--runs",
        10,
        "--out",
        tmp_path / "x",
    )
    assert res.returncode == 0, res.stderr
    assert "different protocols (evacuate, lockdown)" in res.stderr
    assert "time_all_secured_s" in res.stderr and "evacuation_time_s" in res.stderr
    data = json.loads((tmp_path / "x" / "comparison.json").read_text())
    compared = {c["metric"] for c in data["comparisons"]}
    assert {"time_all_safe_s", "hazard_exposure_person_s", "unsecured_person_s"} <= compared
    assert "time_all_secured_s" not in compared and "evacuation_time_s" not in compared
    assert data["protocols"] == ["lockdown", "evacuate"]
