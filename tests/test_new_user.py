"""The rough edges a new user hit (issue 11), each fixed and pinned here."""

from __future__ import annotations

import json
import os
import stat
import warnings
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from drillsim.cli.main import cli
from drillsim.errors import ValidationError
from drillsim.floorplan import floorplan_from_dict
from drillsim.scenario.distributions import Constant, LogNormal
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
ELEMENTARY = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
FLOORPLAN = ROOT / "floorplans" / "elementary-school.yaml"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def scenario_file(tmp_path: Path, name: str = "s.yaml", **changes) -> Path:
    data = yaml.safe_load(ELEMENTARY.read_text(encoding="utf-8"))
    data["floorplan"] = str(FLOORPLAN)
    for dotted, value in changes.items():
        target = data
        *parents, last = dotted.split("__")
        for key in parents:
            target = target.setdefault(key, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_draw_creates_its_folder_with_normal_permissions(tmp_path):
    target = tmp_path / "new" / "dir" / "plan.png"
    old = os.umask(0o022)
    try:
        result = invoke("draw", FLOORPLAN, "-o", target)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's private 0600


def test_draw_refuses_a_file_where_its_folder_should_be(tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    result = invoke("draw", FLOORPLAN, "-o", tmp_path / "f" / "plan.png")
    assert result.exit_code == 1 and "is a file, not a folder" in result.output


def test_compare_refuses_scenarios_with_different_people(tmp_path):
    a = scenario_file(tmp_path, "a.yaml")
    b = scenario_file(tmp_path, "b.yaml", population__fill=0.8)
    result = invoke("compare", a, b, "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "place different people" in result.output and "510 people vs" in result.output
    assert not (tmp_path / "o").exists()


def test_run_batch_and_compare_print_their_headline_numbers(tmp_path):
    r = invoke("run", ELEMENTARY, "--out", tmp_path / "r")
    assert r.exit_code == 0, r.output
    assert "every room secured: " in r.output and "unsecured person-seconds: " in r.output
    b = invoke("batch", ELEMENTARY, "--runs", 30, "--workers", 1, "-q", "--out", tmp_path / "b")
    assert "over 30 runs:" in b.output
    assert "every room secured: median " in b.output and ", p90 " in b.output
    assert "rooms never secured: median " in b.output
    pa_only = ROOT / "scenarios" / "elementary-lockdown-class-pa-only.yaml"
    c = invoke("compare", ELEMENTARY, pa_only, "--runs", 30, "--workers", 1, "-q",
               "--out", tmp_path / "c")
    assert c.exit_code == 0, c.output
    assert "every room secured (median): A " in c.output
    assert "(runs: better " in c.output and "% tie" not in c.output and ", tie " in c.output
    # the printed median is the one in the files
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    med = summary["metrics"]["time_all_secured_s"]["median"]
    assert (f"median {med:.0f} s" in b.output) or med == "inf"


def test_no_sro_gives_not_applicable_and_no_warning(tmp_path):
    path = scenario_file(tmp_path, sro__on_duty=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = invoke("batch", path, "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))["metrics"]
    for name in ("sro_arrival_s", "sweep_time_s", "doors_unlocked_at_check"):
        assert metrics[name]["not_applicable"] is True, name
        assert metrics[name]["median"] is None and metrics[name]["share_never"] is None
    assert "not_applicable" not in metrics["time_all_secured_s"]


def test_detection_delay_default_depends_on_mode(tmp_path):
    drill = load_scenario(scenario_file(tmp_path, "d.yaml", incident__detection_delay_s=None))
    assert isinstance(drill.scenario.incident.detection_delay_s, Constant)
    assert drill.scenario.incident.detection_delay_s.value == 0
    incident = load_scenario(
        scenario_file(tmp_path, "i.yaml", mode="incident", incident__detection_delay_s=None)
    )
    assert isinstance(incident.scenario.incident.detection_delay_s, LogNormal)
    for doc in (ROOT / "scenarios" / "README.md", ROOT / "docs" / "parameters.md"):
        assert "whatever the mode" not in doc.read_text(encoding="utf-8").lower(), doc
        assert "whatever `mode` says" not in doc.read_text(encoding="utf-8"), doc


def _office_plan(**office) -> dict:
    return {
        "name": "Office test",
        "spaces": [
            {"id": "H", "kind": "corridor", "x": 0, "y": 0},
            {"id": "OFF", "kind": "office", "x": 5, "y": 0, **office},
            {"id": "EX", "kind": "exit", "x": -5, "y": 0},
        ],
        "connections": [
            {"a": "H", "b": "OFF", "kind": "door", "lock": "thumbturn"},
            {"a": "H", "b": "EX", "kind": "door"},
        ],
    }


@pytest.mark.parametrize(
    ("office", "expected"),
    [
        ({"area_m2": 30}, 15),  # no capacity: area / 2 m² per person
        ({"area_m2": 30, "capacity": 4}, 4),  # capacity given: as before
        ({"area_m2": 30, "safe_zone_capacity": 2}, 2),  # explicit value wins
        ({}, 0),  # nothing to go on
    ],
)
def test_office_without_capacity_gets_a_safe_zone(office, expected):
    fp = floorplan_from_dict(_office_plan(**office))
    assert fp.space("OFF")["safe_zone_capacity"] == expected


def test_label_where_an_id_is_expected_gets_a_hint(tmp_path):
    path = scenario_file(tmp_path, incident__origin="Room A01 (K)")
    with pytest.raises(ValidationError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "'Room A01 (K)' is the label of space 'A01'; write its id: A01" in text

    plan = _office_plan()
    plan["spaces"][1]["label"] = "Main office"
    plan["connections"][0]["b"] = "Main office"
    with pytest.raises(ValidationError) as err:
        floorplan_from_dict(plan)
    assert "'Main office' is the label of space 'OFF'" in str(err.value)


def test_review_rates_a_late_alert_and_shows_notes(tmp_path):
    import csv

    brief = invoke("brief", ELEMENTARY, "--runs", 40, "--workers", 1, "-q", "--out",
                   tmp_path / "b")
    assert brief.exit_code == 0, brief.output
    with (tmp_path / "b" / "observer_sheet.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r.update(alert_heard_s="3", door_locked_s="30", safe_zone_s="45")
    late = rows[0]["room"]
    rows[0].update(alert_heard_s="200", door_locked_s="215", safe_zone_s="230",
                   notes="PA inaudible in this room")
    sheet = tmp_path / "filled.csv"
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = invoke("review", ELEMENTARY, sheet, "--runs", 40, "--workers", 1, "-q",
                    "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r" / "review.json").read_text(encoding="utf-8"))
    assert data["alert_heard_late"] == [late]
    label = next(r["label"] for r in data["rooms"] if r["room"] == late)
    assert data["observer_notes"] == [
        {"room": late, "label": label, "notes": "PA inaudible in this room"}
    ]
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((tmp_path / "r" / "review.html").read_text(encoding="utf-8"),
                         "html.parser")
    objectives = soup.find("table", attrs={"data-table": "objectives"}).get_text(" ")
    assert f"heard it later than simulated ({late})" in objectives
    assert "P — performed without challenges" not in objectives.split("2.")[0]
    notes = soup.find("table", attrs={"data-table": "observer_notes"}).get_text(" ")
    assert "PA inaudible in this room" in notes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("room,observer,alert_heard_s,door_locked_s,lights_off_s,safe_zone_s,notez",
         "unknown column 'notez'"),
        ("room,observer,alert_heard_s,door_locked_s,lights_off_s,safe_zone_s,room",
         "column 'room' appears twice"),
    ],
)
def test_observer_sheet_header_mistakes_are_refused(header, expected, tmp_path):
    sheet = tmp_path / "obs.csv"
    sheet.write_text(header + "\nA01,x,10,20,,30,ok\n", encoding="utf-8")
    result = invoke("review", ELEMENTARY, sheet, "--runs", 5, "--workers", 1, "-q",
                    "--out", tmp_path / "o")
    assert result.exit_code == 2 and expected in result.output, result.output


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("9" * 400, "is not a time"), ("999999:00", "is not a time"), ("1e400", "is not a time"),
     ("nan", "is not a time")],
)
def test_observer_sheet_huge_times_are_refused(cell, expected, tmp_path):
    sheet = tmp_path / "obs.csv"
    sheet.write_text("room,observer,alert_heard_s,door_locked_s,lights_off_s,safe_zone_s,notes\n"
                     f"A01,x,10,{cell},,,\n", encoding="utf-8")
    result = invoke("review", ELEMENTARY, sheet, "--runs", 5, "--workers", 1, "-q",
                    "--out", tmp_path / "o")
    assert result.exit_code == 2 and expected in result.output, result.output


def test_observer_sheet_csv_errors_are_clean(tmp_path):
    sheet = tmp_path / "obs.csv"
    sheet.write_text("room,observer,alert_heard_s,door_locked_s,lights_off_s,safe_zone_s,notes\n"
                     f'A01,x,10,20,,30,"{"n" * 200_000}"\n', encoding="utf-8")
    result = invoke("review", ELEMENTARY, sheet, "--runs", 5, "--workers", 1, "-q",
                    "--out", tmp_path / "o")
    assert result.exit_code == 2 and "not a readable CSV file" in result.output, result.output


def test_observer_sheet_label_for_room_id_gets_a_hint(tmp_path):
    sheet = tmp_path / "obs.csv"
    sheet.write_text("room,observer,alert_heard_s,door_locked_s,lights_off_s,safe_zone_s,notes\n"
                     "Room A01 (K),x,10,20,,30,\n", encoding="utf-8")
    result = invoke("review", ELEMENTARY, sheet, "--runs", 5, "--workers", 1, "-q",
                    "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "'Room A01 (K)' is the label of room 'A01'; write its id: A01" in result.output
