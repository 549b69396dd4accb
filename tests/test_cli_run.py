"""End-to-end CLI tests: run the installed command like a user and read the files back."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"


def drillsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drillsim", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


def test_run_writes_every_output_and_is_reproducible(tmp_path):
    out1, out2 = tmp_path / "a", tmp_path / "b"
    for out in (out1, out2):
        res = drillsim("run", SC / "elementary-lockdown-class.yaml", "--seed", 7, "--out", out)
        assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out1.iterdir())
    assert names == [
        "drillsim-manifest.json",  # what wrote the folder (see reports/outdir.py)
        "events.csv",
        "people.csv",
        "rooms.csv",
        "secured_map.png",
        "summary.json",
        "timeline.png",
    ]
    for name in names:  # same seed -> byte-identical files, figures included
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
    summary = json.loads((out1 / "summary.json").read_text())
    assert summary["provenance"]["seed"] == 7
    assert "SENSITIVE" in summary["sensitive"]
    rooms = list(csv.DictReader((out1 / "rooms.csv").open()))
    assert len(rooms) == summary["rooms_to_secure"]
    secured = [float(r["secured_s"]) for r in rooms]
    never = sum(r["outcome"] != "secured" for r in rooms)
    assert summary["metrics"]["rooms_never_secured"]["value"] == never
    finite = [s for s in secured if np.isfinite(s)]
    assert summary["metrics"]["time_last_secured_s"]["value"] == pytest.approx(
        max(finite), abs=1e-5
    )
    events = list(csv.DictReader((out1 / "events.csv").open()))
    times = [float(e["time_s"]) for e in events]
    assert times == sorted(times)
    assert {"locked", "safe_zone_reached", "arrives_at_origin"} <= {e["event"] for e in events}
    people = list(csv.DictReader((out1 / "people.csv").open()))
    assert len(people) == summary["people"]
    for png in ("timeline.png", "secured_map.png"):
        img = imread(out1 / png)
        assert img.shape[0] > 400 and img.shape[1] > 600 and img.std() > 0.05


def test_run_evacuation_writes_alert_map(tmp_path):
    res = drillsim("run", SC / "high-school-evacuate-class.yaml", "--seed", 1, "--out", tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "alert_map.png").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["metrics"]["evacuation_time_s"]["value"] > 0


def test_run_lists_when_a_locked_out_person_waited_and_left(tmp_path):
    """Options drill, run 4 of seed 3: student 2 in hall H0-2 finds every room closed and waits
    outside the last door until the zone walks on; people.csv gives the refusal time
    (locked_out_s), events.csv the wait and the leaving, in that order."""
    sc = SC / "high-school-options-class-hazard-route.yaml"
    res = drillsim("run", sc, "--seed", 3, "--run-index", 4, "--out", tmp_path)
    assert res.returncode == 0, res.stderr
    people = {r["person"]: r for r in csv.DictReader((tmp_path / "people.csv").open())}
    me = people["2"]
    assert me["locked_out"] == "0" and me["locked_out_s"] != ""
    t_lo = float(me["locked_out_s"])
    assert float(me["moves_s"]) < t_lo < float(me["arrives_s"]) < float(me["safe_s"])
    assert sum(r["locked_out_s"] != "" for r in people.values()) >= 1
    events = [r for r in csv.DictReader((tmp_path / "events.csv").open()) if r["person"] == "2"]
    kinds = {r["event"]: float(r["time_s"]) for r in events}
    assert kinds["locked_out"] == pytest.approx(t_lo, abs=1e-6)
    assert kinds["leaves_after_locked_out"] > t_lo  # waited for the zone's next step
    assert kinds["exits"] == pytest.approx(float(me["arrives_s"]), abs=1e-6)


def test_bad_scenario_exits_2_with_named_problems_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (SC / "elementary-lockdown-class.yaml").read_text()
    text = text.replace("protocol: lockdown", "protocol: lockdwn")
    text = text.replace("floorplan: ../floorplans/", f"floorplan: {ROOT}/floorplans/")
    bad.write_text(text + "\nbehaviour_typo: 3\n")
    out = tmp_path / "out"
    res = drillsim("run", bad, "--out", out)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "protocol" in res.stderr and "did you mean 'lockdown'" in res.stderr
    assert "behaviour_typo" in res.stderr and "did you mean 'behaviour'" in res.stderr
    assert str(bad) in res.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".*drillsim-tmp*"))


def test_validate_reports_every_floorplan_problem(tmp_path):
    fp = tmp_path / "school.yaml"
    fp.write_text(
        "name: broken\n"
        "spaces:\n"
        "  - {id: C1, kind: clasroom, x: 0, y: 0}\n"
        "  - {id: H1, kind: corridor, x: 10, y: 0}\n"
        "  - {id: H1, kind: corridor, x: 20, y: 0}\n"
        "connections:\n"
        "  - {a: C1, b: H9, kind: door, width_m: -1}\n"
    )
    res = drillsim("validate", fp)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    err = res.stderr
    assert "clasroom" in err and "classroom" in err
    assert "duplicate" in err.lower()
    assert "H9" in err
    assert "width" in err
    assert "exit" in err.lower()
    assert err.count(str(fp)) >= 4  # one line per problem, each naming the file


def test_validate_ok_on_bundled_files():
    for path in [*sorted((ROOT / "floorplans").glob("*.yaml")), *sorted(SC.glob("*.yaml"))]:
        res = drillsim("validate", path)
        assert res.returncode == 0, (path, res.stderr)
        assert res.stdout.startswith("ok:")


def test_draw_and_convert(tmp_path):
    png = tmp_path / "plan.png"
    res = drillsim("draw", ROOT / "floorplans/high-school.yaml", "-o", png)
    assert res.returncode == 0, res.stderr
    img = imread(png)
    assert img.std() > 0.05
    gml = tmp_path / "hs.graphml"
    assert drillsim("convert", ROOT / "floorplans/high-school.yaml", gml).returncode == 0
    js = tmp_path / "hs.json"
    assert drillsim("convert", gml, js).returncode == 0
    assert drillsim("validate", js).returncode == 0
    res = drillsim("draw", ROOT / "floorplans/high-school.yaml", "-o", tmp_path / "plan.txt")
    assert res.returncode == 1 and ".png" in res.stderr


def test_missing_file_and_unknown_command_are_friendly(tmp_path):
    res = drillsim("validate", tmp_path / "nope.yaml")
    assert res.returncode == 2 and "not found" in res.stderr and "Traceback" not in res.stderr
    res = drillsim("runn")
    assert res.returncode == 2 and "No such command" in res.stderr


def test_console_script_is_installed():
    exe = shutil.which("drillsim", path=str(Path(sys.executable).parent))
    assert exe, "the drillsim console script is not installed in this environment"
    res = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and "drillsim" in res.stdout
