"""``drillsim review``: observer-sheet validation, placement and flags, AAR/IP, calibration."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner
from pypdf import PdfReader

from drillsim.cli.main import cli
from drillsim.engines.batch import run_batch
from drillsim.plan.compile import compile_plan
from drillsim.reports.calibrate import _dump, scale_distribution, scale_draws
from drillsim.reports.review import parse_time
from drillsim.run import run_batch_job
from drillsim.sample.draws import sample
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
COLUMNS = [
    "room",
    "label",
    "observer",
    "alert_heard_s",
    "door_locked_s",
    "lights_off_s",
    "safe_zone_s",
    "notes",
]
SLOW = ("A01", "B04", "LIB")  # made much slower than their simulated p90
UNLOCKED = "C02"  # left unlocked
RUNS = 100


def median_drill(loaded, seed: int, runs: int = 300) -> list[dict[str, str]]:
    """An 'ordinary' synthetic drill: every room at its simulated median (another seed)."""
    res = run_batch_job(loaded, runs, seed, workers=1)
    rows = []
    for m in range(res.plan.n_rooms):
        alert = res.room_alert_s[:, m].astype(float)
        locked, secured = res.room_locked_s[:, m].astype(float), res.room_secured_s[:, m]
        ok = np.isfinite(locked)
        row = {c: "" for c in COLUMNS}
        heard = np.median(alert)
        row.update(room=res.plan.room_id(m), observer="obs", alert_heard_s=f"{heard:.1f}")
        if ok.any():
            # a typical room: typical alert time, then the typical delay from alert to locked,
            # then the typical move to the safe zone
            door = heard + np.median(locked[ok] - alert[ok])
            move = np.median(secured[np.isfinite(secured)] - locked[np.isfinite(secured)])
            row.update(door_locked_s=f"{door:.1f}", safe_zone_s=f"{door + move:.1f}")
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns=COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def review(*args: str):
    return CliRunner().invoke(cli, ["review", *map(str, args)])


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def synthetic(loaded, tmp_path_factory) -> tuple[Path, Path]:
    """A drill with three known slow rooms and one room left unlocked, reviewed once."""
    root = tmp_path_factory.mktemp("review")
    rows = median_drill(loaded, seed=11)
    for r in rows:
        if r["room"] in SLOW:
            r["door_locked_s"] = f"{float(r['door_locked_s']) + 240:.1f}"
            r["safe_zone_s"] = f"{float(r['safe_zone_s']) + 240:.1f}"
        if r["room"] == UNLOCKED:
            r["door_locked_s"] = r["safe_zone_s"] = ""
            r["notes"] = "door could not be locked"
    obs = write_csv(root / "observed.csv", rows)
    out = root / "aar"
    result = review(SCENARIO, obs, "--runs", RUNS, "--seed", 0, "--workers", 1, "-q", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"not secured in drill: {UNLOCKED}" in result.output
    return obs, out


def test_exactly_the_known_rooms_are_flagged(synthetic):
    _, out = synthetic
    data = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert sorted(data["flagged_slow"]) == sorted(SLOW)
    assert data["flagged_not_secured"] == [UNLOCKED]
    assert data["not_observed"] == []
    with (out / "review_rooms.csv").open(encoding="utf-8") as fh:
        rows = {r["room"]: r for r in csv.DictReader(fh)}
    assert {k for k, r in rows.items() if r["slower_than_p90"] == "1"} == set(SLOW)
    assert {k for k, r in rows.items() if r["not_secured"] == "1"} == {UNLOCKED}
    for room in SLOW:
        assert float(rows[room]["percentile"]) >= 90
        assert float(rows[room]["observed_secured_s"]) > float(rows[room]["sim_median_s"])
    soup = BeautifulSoup((out / "review.html").read_text(encoding="utf-8"), "html.parser")
    flagged = soup.find("table", attrs={"data-table": "flagged"})
    keys = {tr["data-key"] for tr in flagged.find("tbody").find_all("tr")}
    assert keys == {*SLOW, UNLOCKED}


def test_report_follows_the_aar_ip_format(synthetic):
    _, out = synthetic
    html = (out / "review.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == [] and soup.find_all("link") == []
    headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
    for expected in (
        "1. Exercise overview",
        "2. Objectives and capability performance",
        "3. Strengths",
        "4. Areas for improvement",
        "5. Improvement plan",
    ):
        assert expected in headings
    ip = soup.find("table", attrs={"data-table": "ip"})
    head = [th.get_text(strip=True) for th in ip.find("thead").find_all("th")]
    assert head[-3:] == ["Owner", "Start date", "Completion date"]
    body = ip.find("tbody").find_all("tr")
    assert body and all(tr.find_all("td")[-3].get_text(strip=True) == "" for tr in body)
    assert any("Hardware" in tr.get_text() for tr in body) or any(
        "Procedure" in tr.get_text() for tr in body
    )
    assert "SENSITIVE SECURITY INFORMATION" in soup.title.get_text()
    assert "safe zone reached if recorded, else door locked" in soup.get_text(" ")
    lowered = soup.get_text(" ").lower()
    for word in ("gun", "weapon", "shoot", "injur", "casualt", "lethal", "attacker", "blame"):
        assert word not in lowered, word
    reader = PdfReader(out / "review.pdf")
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "SENSITIVE SECURITY INFORMATION" in page.extract_text()
    text = "\n".join(p.extract_text() for p in reader.pages)
    for room in (*SLOW, UNLOCKED):
        assert room in text


BAD_CASES = {
    "unknown room": (
        lambda rows: rows[0].update(room="A0l"),
        "row 2 (room 'A0l').room",
        "did you mean 'A01'",
    ),
    "out of order": (
        lambda rows: rows[1].update(alert_heard_s="50", door_locked_s="40"),
        ".door_locked_s",
        "alert heard ≤ door locked ≤ safe zone",
    ),
    "negative": (
        lambda rows: rows[2].update(lights_off_s="-3"),
        ".lights_off_s",
        "from the drill announcement",
    ),
    "non-numeric": (lambda rows: rows[3].update(door_locked_s="fast"), ".door_locked_s", "or m:ss"),
    "duplicate": (lambda rows: rows.append(dict(rows[0])), ".room", "one row per room"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_validation_errors(case, loaded, tmp_path):
    edit, element, fix = BAD_CASES[case]
    rows = [
        {c: "" for c in COLUMNS}
        | {"room": r, "alert_heard_s": "5", "door_locked_s": "20", "safe_zone_s": "40"}
        for r in ("A01", "A02", "A03", "A04", "A05")
    ]
    edit(rows)
    obs = write_csv(tmp_path / "obs.csv", rows)
    out = tmp_path / "out"
    result = review(SCENARIO, obs, "--runs", 20, "--out", out)
    assert result.exit_code == 2, result.output
    assert str(obs) in result.output and element in result.output
    assert "fix:" in result.output and fix in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv"]


def test_missing_column_and_empty_file(tmp_path):
    obs = write_csv(
        tmp_path / "obs.csv",
        [{"room": "A01", "door_locked_s": "20"}],
        columns=["room", "alert_heard_s", "door_locked_s", "notes"],
    )
    result = review(SCENARIO, obs, "--runs", 20, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{obs}: header: missing required column(s): lights_off_s, safe_zone_s" in result.output
    assert "fix: use the header of observer_sheet.csv" in result.output
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = review(SCENARIO, empty, "--runs", 20, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "the file is empty" in result.output
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    result = review(SCENARIO, header_only, "--runs", 20, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "no room rows" in result.output
    assert not (tmp_path / "out").exists()


def test_all_problems_are_reported_at_once(tmp_path):
    rows = [
        {c: "" for c in COLUMNS} | {"room": "A01", "door_locked_s": "x"},
        {c: "" for c in COLUMNS} | {"room": "NOPE", "door_locked_s": "3"},
        {c: "" for c in COLUMNS} | {"room": "A02", "alert_heard_s": "9", "door_locked_s": "4"},
    ]
    obs = write_csv(tmp_path / "obs.csv", rows)
    result = review(SCENARIO, obs, "--runs", 20, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "3 problems found" in result.output
    for element in (
        "row 2 (room 'A01').door_locked_s",
        "row 3 (room 'NOPE').room",
        "row 4 (room 'A02').door_locked_s",
    ):
        assert element in result.output


def test_time_formats():
    assert parse_time("75") == 75 and parse_time(" 1:15 ") == 75 and parse_time("2:03.5") == 123.5
    assert np.isnan(parse_time(""))
    for bad in ("fast", "inf", "nan", "1:75"):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_review_of_an_evacuation_wants_the_evacuation_sheet(tmp_path):
    """Evacuation drills are reviewed too (issue 7), from the evacuation observer sheet."""
    obs = write_csv(tmp_path / "obs.csv", [{"room": "A01"}])
    result = review(
        ROOT / "scenarios" / "elementary-evacuate-class.yaml", obs, "--out", tmp_path / "out"
    )
    assert result.exit_code != 0
    assert "missing column 'left_room_s'" in result.output
    assert not (tmp_path / "out").exists()


def _scaled_scenario(tmp_path: Path, loaded, lock: float = 1.0, reaction: float = 1.0) -> Path:
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    b = loaded.scenario.behaviour
    data.setdefault("behaviour", {})
    data["behaviour"]["lock_time_s"] = {
        k: scale_distribution(_dump(v), lock) for k, v in b.lock_time_s.items()
    }
    data["behaviour"]["adult_reaction_s"] = scale_distribution(_dump(b.adult_reaction_s), reaction)
    data["floorplan"] = str((SCENARIO.parent / data["floorplan"]).resolve())
    path = tmp_path / f"scaled-{lock}-{reaction}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_scaled_draws_equal_a_scaled_scenario(loaded, tmp_path):
    """The fit's shortcut (scaling drawn values) is exactly a scenario with scaled distributions."""
    scaled = load_scenario(_scaled_scenario(tmp_path, loaded, lock=1.7, reaction=0.6))
    plan = compile_plan(loaded)
    a = run_batch(plan, scale_draws(plan, sample(plan, loaded.scenario, 4, 64), 0.6, 1.7))
    b = run_batch(plan, sample(plan, scaled.scenario, 4, 64))
    for name in ("room_locked_s", "room_secured_s", "room_key_outside_s"):
        x, y = getattr(a, name), getattr(b, name)
        assert np.array_equal(np.isinf(x), np.isinf(y))
        fin = np.isfinite(x)
        np.testing.assert_allclose(x[fin], y[fin], rtol=1e-9, atol=1e-9)


def test_calibrate_recovers_a_doubled_lock_time(loaded, tmp_path):
    truth = load_scenario(_scaled_scenario(tmp_path, loaded, lock=2.0))
    obs = write_csv(tmp_path / "observed.csv", median_drill(truth, seed=7, runs=400))
    out = tmp_path / "aar"
    result = review(
        SCENARIO, obs, "--runs", RUNS, "--workers", 1, "-q", "--calibrate", "--out", out
    )
    assert result.exit_code == 0, result.output
    fit = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert abs(fit["lock_scale"] - 2.0) <= 0.35, fit
    assert 0.7 <= fit["reaction_scale"] <= 1.4, fit
    assert fit["mae_after_s"] < fit["mae_before_s"]
    assert fit["n_rooms"] == compile_plan(loaded).n_rooms
    assert fit["lock_range"][0] <= fit["lock_scale"] <= fit["lock_range"][1]
    assert fit["lock_range"][0] <= 2.0 <= fit["lock_range"][1]  # the truth is in the range
    calibrated = load_scenario(out / "calibrated-scenario.yaml")
    thumb = calibrated.scenario.behaviour.lock_time_s["thumbturn"]
    assert thumb.median() == pytest.approx(3.0 * fit["lock_scale"], rel=1e-3)
    assert calibrated.scenario.incident.origin == loaded.scenario.incident.origin
    assert "(calibrated)" in calibrated.scenario.name
    assert "calibration:" in result.output
    soup = BeautifulSoup((out / "review.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find("table", attrs={"data-table": "calibration"}) is not None
    assert "What one drill can and cannot tell" in soup.get_text(" ")
