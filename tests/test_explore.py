"""Sweeps and sensitivity: dotted-path overrides, planted effects found first, CRN tables, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from drillsim.errors import DrillsimError, ValidationError
from drillsim.explore.evaluate import evaluate, plan_key
from drillsim.explore.parameters import Parameter, default_parameters, read_ranges
from drillsim.explore.sensitivity import sensitivity
from drillsim.explore.sweep import Setting, design_points, parse_setting, sweep
from drillsim.floorplan import floorplan_from_dict, save_floorplan
from drillsim.scenario.load import load_scenario, scenario_from_dict
from drillsim.scenario.paths import get_path, set_paths

from builders import conn, quiet_scenario, space

ROOT = Path(__file__).resolve().parents[1]
HS = ROOT / "scenarios/high-school-lockdown-class.yaml"

TWO_ROOMS = {
    "name": "two rooms",
    "spaces": [
        space("H1", "corridor", 0),
        space("H2", "corridor", 25),
        space("A", "classroom", 0, 5, capacity=20),
        space("B", "classroom", 25, 5, capacity=20),
        space("O", "office", 0, -5),
        space("EX", "exit", -10),
    ],
    "connections": [
        conn("H1", "H2", "opening", length_m=25.0),
        conn("A", "H1", "door", lock="thumbturn", length_m=5.0),
        conn("B", "H2", "door", lock="thumbturn", length_m=5.0),
        conn("O", "H1", "door", lock="none", length_m=5.0),
        conn("H1", "EX", "door", width_m=1.8, length_m=10.0),
    ],
}
PEOPLE = {"preset": "none", "groups": [{"space": "A", "students": 20, "teachers": 1},
                                       {"space": "B", "students": 20, "teachers": 1}]}


def _quiet():
    fp = floorplan_from_dict(TWO_ROOMS)
    return scenario_from_dict(quiet_scenario(population=PEOPLE), fp)


def _noisy():
    """The two-room school with drillsim's default (noisy) behaviour distributions."""
    fp = floorplan_from_dict(TWO_ROOMS)
    sc = {"name": "two rooms, defaults", "floorplan": "unused.yaml", "protocol": "lockdown",
          "incident": {"origin": "H1"}, "population": PEOPLE, "sro": {"post": "O"}}
    return scenario_from_dict(sc, fp)


# --- dotted paths -----------------------------------------------------------------------------


def test_set_paths_scales_a_distribution_and_sets_values():
    sc = load_scenario(HS).scenario
    new = set_paths(sc, {"behaviour.lock_time_s.thumbturn.scale": 2,
                         "behaviour.max_lock_attempts": 4,
                         "building.door_locks.R101": "thumbturn"})
    assert new.behaviour.lock_time_s["thumbturn"].median_ == 2 * 3.0
    assert new.behaviour.lock_time_s["thumbturn"].p90 == 2 * 6.0
    assert new.behaviour.max_lock_attempts == 4
    assert new.building.door_locks == {"R101": "thumbturn"}
    assert sc.behaviour.max_lock_attempts == 3  # the original is untouched
    assert set_paths(sc, {}) == sc
    assert get_path(sc, "behaviour.lock_time_s.thumbturn.median") == 3.0
    assert get_path(sc, "behaviour.lock_time_s.thumbturn.scale") == 1.0


def test_set_paths_refuses_unknown_paths_with_a_suggestion():
    sc = load_scenario(HS).scenario
    with pytest.raises(DrillsimError, match=r"did you mean behaviour\.lock_time_s\.thumbturn\.scale"):
        set_paths(sc, {"behaviour.lock_tme_s.thumbturn.scale": 2})
    with pytest.raises(DrillsimError, match="not a value of this scenario"):
        set_paths(sc, {"behaviour.no_such_field": 1})


def test_set_paths_validates_values_like_the_file():
    sc = load_scenario(HS).scenario
    with pytest.raises(ValidationError) as err:
        set_paths(sc, {"behaviour.max_lock_attempts": 40})
    text = str(err.value)
    assert "behaviour.max_lock_attempts" in text and "less than or equal to 10" in text


def test_plan_key_ignores_what_only_sampling_reads():
    sc = load_scenario(HS).scenario
    same = set_paths(sc, {"behaviour.lock_time_s.thumbturn.scale": 3,
                          "behaviour.latch_fault_probability": 0.2})
    other = set_paths(sc, {"behaviour.max_refuge_candidates": 1})
    assert plan_key(same) == plan_key(sc)
    assert plan_key(other) != plan_key(sc)


def test_default_parameters_follow_the_scenario():
    ps = {p.path for p in default_parameters(load_scenario(HS))}
    assert "behaviour.lock_time_s.thumbturn.scale" in ps
    assert "behaviour.student_speed_mps.high.scale" in ps
    assert "behaviour.premovement_s.scale" not in ps  # evacuation only
    assert "alert.channels.app.latency_s.scale" not in ps  # no app channel in this scenario
    assert "incident.detection_delay_s.scale" not in ps  # a drill: constant 0


def test_read_ranges_reports_every_problem(tmp_path):
    loaded = load_scenario(HS)
    f = tmp_path / "ranges.yaml"
    f.write_text("behaviour.lock_tme_s.thumbturn.scale: [0.5, 2]\n"
                 "behaviour.max_lock_attempts: [1, 40]\n"
                 "behaviour.safe_zone_move_s.scale: [2, 1]\n")
    with pytest.raises(ValidationError) as err:
        read_ranges(f, loaded)
    text = str(err.value)
    assert "lock_tme_s" in text and "less than or equal to 10" in text and "must be below" in text


# --- sensitivity ------------------------------------------------------------------------------


def test_planted_parameter_is_ranked_first_with_hand_computed_effects():
    """Constants: a room is secured at PA 10 + reaction 5 + hold 10 + lock 3 + safe zone 20 =
    48 s, linear in each parameter. Moving a parameter across its range moves the time by the
    range's width, so Morris μ* is exactly 90 (lock 3-93), 20 (safe zone 10-30), 10, 10."""
    params = [
        Parameter("behaviour.adult_reaction_s.value", 0.0, 10.0),
        Parameter("behaviour.lock_time_s.thumbturn.value", 3.0, 93.0),
        Parameter("alert.channels.pa.latency_s.value", 5.0, 15.0),
        Parameter("behaviour.safe_zone_move_s.value", 10.0, 30.0),
    ]
    res = sensitivity(_quiet(), params, size=4, runs=8, metrics=["time_95_secured_s"])
    rank = res.ranking()
    assert [r["path"] for r in rank[:2]] == ["behaviour.lock_time_s.thumbturn.value",
                                            "behaviour.safe_zone_move_s.value"]
    got = {r["path"]: r["index"] for r in rank}
    assert got["behaviour.lock_time_s.thumbturn.value"] == pytest.approx(90.0, abs=1e-9)
    assert got["behaviour.safe_zone_move_s.value"] == pytest.approx(20.0, abs=1e-9)
    assert got["behaviour.adult_reaction_s.value"] == pytest.approx(10.0, abs=1e-9)
    assert got["alert.channels.pa.latency_s.value"] == pytest.approx(10.0, abs=1e-9)
    assert res.baseline["time_95_secured_s"] == pytest.approx(48.0)


def test_planted_parameter_found_first_among_noisy_defaults():
    """Every default [U] placeholder over its range, plus thumb-turn lock time widened to
    1-100x: with noisy draws (common random numbers), the planted one leads, its CI clear of the
    runner-up's."""
    loaded = _noisy()
    params = [p for p in default_parameters(loaded) if "lock_time_s.thumbturn" not in p.path]
    params.append(Parameter("behaviour.lock_time_s.thumbturn.scale", 1.0, 100.0, observe="x"))
    res = sensitivity(loaded, params, size=6, runs=256, seed=3)
    top, second = res.ranking()[:2]
    assert top["path"] == "behaviour.lock_time_s.thumbturn.scale"
    assert top["ci95_low"] > second["ci95_high"]
    assert res.provenance["points"] == (len(params) + 1) * 6


def test_sensitivity_numbers_do_not_depend_on_workers():
    loaded = _noisy()
    params = default_parameters(loaded)[:4]
    one = sensitivity(loaded, params, size=2, runs=256, workers=1)
    two = sensitivity(loaded, params, size=2, runs=256, workers=2)
    assert one.rows == two.rows


def test_sobol_indices_on_the_planted_school():
    params = [
        Parameter("behaviour.lock_time_s.thumbturn.value", 3.0, 93.0),
        Parameter("behaviour.safe_zone_move_s.value", 10.0, 30.0),
    ]
    res = sensitivity(_quiet(), params, method="sobol", size=64, runs=2,
                      metrics=["time_95_secured_s"])
    st = {r["path"]: r for r in res.ranking()}
    # linear and additive: ST = S1 = var share = 90^2 / (90^2 + 20^2)
    share = 90.0**2 / (90.0**2 + 20.0**2)
    assert st["behaviour.lock_time_s.thumbturn.value"]["index"] == pytest.approx(share, abs=0.05)
    assert res.ranking()[0]["path"] == "behaviour.lock_time_s.thumbturn.value"


# --- sweeps -----------------------------------------------------------------------------------


def test_grid_sweep_table_and_crn():
    """Time to secure = 45 + lock time exactly (constants); a value nobody reads (the SRO is off
    duty) leaves every run identical to the baseline, run by run."""
    loaded = _quiet()
    settings = [parse_setting("behaviour.lock_time_s.thumbturn.value=3,13,23", "grid"),
                parse_setting("sro.door_check_s.scale=1,2", "grid")]
    res = sweep(loaded, settings, runs=4)
    assert len(res.points) == 1 + 3 * 2
    assert res.points[0] == {"behaviour.lock_time_s.thumbturn.value": 3.0,
                             "sro.door_check_s.scale": 1.0}
    t = res.metrics["time_95_secured_s"]
    for i, pt in enumerate(res.points):
        assert np.all(t[i] == 45.0 + pt["behaviour.lock_time_s.thumbturn.value"])
    same = [i for i, pt in enumerate(res.points)
            if pt["behaviour.lock_time_s.thumbturn.value"] == 3]
    for i in same:
        for m, arr in res.metrics.items():
            np.testing.assert_array_equal(arr[i], arr[0], err_msg=m)


def test_grid_sweep_points_with_noise_are_paired():
    """With noisy draws, a point equal to the baseline reproduces it run for run (CRN), and
    the paired difference of a slower lock is positive in every run."""
    loaded = _noisy()
    res = sweep(loaded, [Setting("behaviour.lock_time_s.thumbturn.scale", values=(1.0, 3.0))],
                runs=256)
    t = res.metrics["time_95_secured_s"]
    np.testing.assert_array_equal(t[1], t[0])
    assert np.all(t[2] >= t[1])
    row = next(r for r in res.summary if r["point"] == 2 and r["metric"] == "time_95_secured_s")
    assert row["diff_ci95_low"] > 0


def test_lhs_design_has_one_point_per_stratum():
    settings = [parse_setting("behaviour.safe_zone_move_s.scale=0.5:2", "lhs"),
                parse_setting("behaviour.max_lock_attempts=1:5", "lhs")]
    assert settings[1].integer and not settings[0].integer
    pts = design_points(settings, "lhs", 10, seed=4)
    x = np.array([p["behaviour.safe_zone_move_s.scale"] for p in pts])
    strata = np.floor((x - 0.5) / 1.5 * 10).astype(int)
    assert sorted(strata) == list(range(10))
    assert all(isinstance(p["behaviour.max_lock_attempts"], int) for p in pts)
    assert {p["behaviour.max_lock_attempts"] for p in pts} <= {1, 2, 3, 4, 5}
    assert design_points(settings, "lhs", 10, seed=4) == pts  # seeded


@pytest.mark.parametrize("spec, msg", [
    ("behaviour.lock_time_s", "PATH=V1,V2"),
    ("x=1:a:3", "LOW:HIGH:N"),
])
def test_parse_setting_errors(spec, msg):
    with pytest.raises(DrillsimError, match=msg):
        parse_setting(spec, "grid")


def test_evaluate_refuses_a_bad_point_before_running():
    with pytest.raises(ValidationError):
        list(evaluate(_quiet(), [{"behaviour.max_lock_attempts": 1}, {"behaviour.max_lock_attempts":
                                                                      0}], 4, 0))


# --- command line -----------------------------------------------------------------------------


def drillsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "drillsim", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def school_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("school")
    save_floorplan(floorplan_from_dict(TWO_ROOMS), d / "school.yaml")
    sc = {"name": "two rooms, defaults", "floorplan": "school.yaml", "protocol": "lockdown",
          "incident": {"origin": "H1"}, "population": PEOPLE, "sro": {"post": "O"}}
    (d / "scenario.yaml").write_text(yaml.safe_dump(sc))
    return d


def test_cli_sweep_writes_one_parquet_table(school_files, tmp_path):
    out = tmp_path / "sweep"
    res = drillsim("sweep", school_files / "scenario.yaml", "--runs", 256, "--workers", 1,
                   "--set", "behaviour.lock_time_s.thumbturn.scale=0.5,2",
                   "--set", "behaviour.max_lock_attempts=1,3", "--out", out)
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(out / "sweep.parquet")
    assert len(df) == 5 * 256
    assert {"point", "run", "seed", "behaviour.lock_time_s.thumbturn.scale",
            "behaviour.max_lock_attempts", "time_95_secured_s"} <= set(df.columns)
    grid = df.groupby("point")[["behaviour.lock_time_s.thumbturn.scale",
                                "behaviour.max_lock_attempts"]].first()
    assert sorted(map(tuple, grid.values[1:].tolist())) == [(0.5, 1), (0.5, 3), (2.0, 1), (2.0, 3)]
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert set(summary["point"]) == set(range(5))
    # one lock attempt leaves rooms unsecured; counting "never" as the horizon shows it as slower
    t = summary[summary.metric == "time_all_secured_s"].set_index("point")
    never = t["share_never"] > 0
    assert never.any()
    assert (t.loc[never, "mean_never_as_horizon"] > t.loc[never, "mean"]).all()
    from PIL import Image

    assert Image.open(out / "sweep.png").size[0] > 600


def test_cli_sensitivity_and_brief_section(school_files, tmp_path):
    out = tmp_path / "sens"
    res = drillsim("sensitivity", school_files / "scenario.yaml", "--size", 3, "--runs", 256,
                   "--workers", 1, "--out", out)
    assert res.returncode == 0, res.stderr
    assert "top parameters for time_95_secured_s" in res.stdout
    table = pd.read_csv(out / "sensitivity.csv")
    first = table[table.metric == "time_95_secured_s"].sort_values("rank")
    assert (first["index"].diff().dropna() <= 0).all()  # ranked
    assert (first["ci95_low"] <= first["index"]).all() and (first["index"] <= first["ci95_high"]).all()
    data = json.loads((out / "sensitivity.json").read_text())
    assert data["method"] == "morris" and len(data["time_these_steps"]["steps"]) == 3
    html = (out / "sensitivity.html").read_text()
    assert "Time these three steps at your next drill" in html
    assert "SENSITIVE SECURITY INFORMATION" in html

    brief = tmp_path / "brief"
    res = drillsim("brief", school_files / "scenario.yaml", "--runs", 256, "--workers", 1,
                   "--sensitivity", out / "sensitivity.json", "--out", brief)
    assert res.returncode == 0, res.stderr
    page = (brief / "briefing.html").read_text()
    assert "Time these three steps at your next drill" in page
    for step in data["time_these_steps"]["steps"]:
        assert step["path"] in page

    edited = school_files / "edited.yaml"
    sc = yaml.safe_load((school_files / "scenario.yaml").read_text())
    edited.write_text(yaml.safe_dump({**sc, "horizon_s": 600}))
    res = drillsim("brief", edited, "--runs", 256, "--sensitivity", out / "sensitivity.json",
                   "--out", tmp_path / "nope")
    assert res.returncode == 1
    assert "was made for 'scenario.yaml'" in res.stderr and "rerun drillsim sensitivity" in res.stderr
    assert not (tmp_path / "nope").exists()


def test_cli_sweep_typo_is_a_clear_error(school_files, tmp_path):
    res = drillsim("sweep", school_files / "scenario.yaml", "--set",
                   "behaviour.lock_tme_s.thumbturn.scale=1,2", "--out", tmp_path / "x")
    assert res.returncode == 1
    assert "did you mean behaviour.lock_time_s.thumbturn.scale" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "x").exists()


def test_docs_list_every_default_range():
    """docs/parameters.md 'Sensitivity ranges' names every row of DEFAULT_RANGES."""
    from drillsim.explore.parameters import DEFAULT_RANGES

    text = (ROOT / "docs/parameters.md").read_text(encoding="utf-8")
    section = text.split("## Sensitivity ranges", 1)[1]
    for path, low, high, integer, *_ in DEFAULT_RANGES:
        assert f"`{path}`" in section or f"`{path}` (" in section, path
        if high > 0 and not integer and path.endswith(".scale"):
            assert f"`{path}`" + (" (evacuation)" if "premovement" in path else "") + \
                f" | × {low:g}–{high:g}" in section, path


DISTS = {
    "behaviour.adult_reaction_s": {"dist": "lognormal", "median": 5.0, "p90": 15.0},
    "behaviour.safe_zone_move_s": {"dist": "triangular", "low": 10.0, "mode": 20.0, "high": 40.0},
    "behaviour.hallway_recovery_s": {"dist": "uniform", "low": 5.0, "high": 15.0},
    "behaviour.adult_speed_mps": {"dist": "normal", "mean": 1.25, "sd": 0.15, "min": 0.6,
                                  "max": 2.0},
    "sro.door_check_s": {"dist": "empirical", "values": [4.0, 9.5, 12.0]},
}


@settings(max_examples=40, deadline=None)
@given(path=st.sampled_from(sorted(DISTS)),
       k=st.floats(min_value=0.05, max_value=20.0, allow_nan=False),
       u=st.lists(st.floats(min_value=0.0, max_value=0.999999), min_size=1, max_size=20))
def test_scale_maps_every_draw_to_k_times_its_value(path, k, u):
    """Common random numbers under `.scale`: the same uniform draw gives exactly k × the value,
    for every distribution family (clip bounds scale with it)."""
    fp = floorplan_from_dict(TWO_ROOMS)
    sc = quiet_scenario(population=PEOPLE)
    section, name = path.split(".")
    sc[section] = {**sc.get(section, {}), name: DISTS[path]}
    base = scenario_from_dict(sc, fp).scenario
    scaled = set_paths(base, {f"{path}.scale": k})

    def dist(s):
        return getattr(getattr(s, section), name)

    uu = np.array(u)
    np.testing.assert_allclose(dist(scaled).ppf(uu), k * dist(base).ppf(uu), rtol=1e-12)


def test_cli_lhs_sweep(school_files, tmp_path):
    out = tmp_path / "lhs"
    res = drillsim("sweep", school_files / "scenario.yaml", "--design", "lhs", "--samples", 4,
                   "--runs", 256, "--workers", 1, "--set", "behaviour.adult_reaction_s.scale=0.5:2",
                   "--set", "behaviour.max_lock_attempts=1:4", "--out", out)
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(out / "sweep.parquet")
    pts = df.groupby("point").first()
    assert len(df) == 5 * 256 and list(pts.index) == [0, 1, 2, 3, 4]
    scale = pts["behaviour.adult_reaction_s.scale"]
    assert scale.iloc[0] == 1.0 and scale.iloc[1:].between(0.5, 2).all()
    strata = sorted(np.floor((scale.iloc[1:] - 0.5) / 1.5 * 4).astype(int))
    assert strata == [0, 1, 2, 3]  # one point per quarter of the range
    assert set(pts["behaviour.max_lock_attempts"].iloc[1:]) <= {1, 2, 3, 4}
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["design"] == "lhs" and meta["points"] == 5
