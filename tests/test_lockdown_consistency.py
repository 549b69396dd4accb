"""One definition of "rooms to secure", read back from every output.

summary.json, rooms.csv, the brief's HTML (and briefing.json) and the figure titles must give the
same count of rooms to secure and the same headline values: time to 95 % secured, the share of
runs in which all rooms were secured, and each room's never-secured share. The check runs on the
bundled high school as it is (every room securable) and on a copy whose gym has unlockable doors
into its locker rooms (the gym is never secured: "all secured" is never reached), which is also
the floorplan `drillsim validate` must warn about.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from drillsim.floorplan import load_floorplan
from drillsim.floorplan.audit import door_findings
from drillsim.metrics.score import k95
from drillsim.reports.batch.secured_distribution import figure_secured_distribution
from drillsim.reports.batch.unsecured_band import figure_unsecured_band
from drillsim.reports.brief.figures import timeline_figure
from drillsim.reports.brief.stats import briefing_stats
from drillsim.reports.wording import fmt_pct, fmt_s
from drillsim.run.batch import run_batch_job
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "scenarios/high-school-lockdown-class.yaml"
RUNS = 60


def drillsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drillsim", *map(str, args)], capture_output=True, text=True
    )


def unfixed_gym(tmp: Path) -> Path:
    """The class scenario on a copy of the high school whose locker-room doors are entry doors."""
    fp = yaml.safe_load((ROOT / "floorplans/high-school.yaml").read_text())
    for c in fp["connections"]:
        if c.get("id") in ("D-LR-B", "D-LR-G"):
            c.pop("inner")
    (tmp / "hs.yaml").write_text(yaml.safe_dump(fp, sort_keys=False))
    sc = yaml.safe_load(CLASS.read_text())
    sc["floorplan"] = "hs.yaml"
    (tmp / "class.yaml").write_text(yaml.safe_dump(sc, sort_keys=False))
    return tmp / "class.yaml"


def test_validate_warns_about_the_gym_locker_room_doors(tmp_path):
    scenario = unfixed_gym(tmp_path)
    res = drillsim("validate", tmp_path / "hs.yaml")
    assert res.returncode == 0, res.stderr
    for door in ("D-LR-B", "D-LR-G"):
        line = next(x for x in res.stderr.splitlines() if f"'{door}'" in x)
        assert "'GYM' is meant to be secured" in line and "has no lock" in line
        assert "fix:" in line and "inner: true" in line and "lock: thumbturn" in line
    res = drillsim("validate", scenario)  # a scenario on that floorplan warns too
    assert res.returncode == 0 and "D-LR-B" in res.stderr
    # the bundled sample is fixed: no warning
    res = drillsim("validate", ROOT / "floorplans/high-school.yaml")
    assert res.returncode == 0 and "warning" not in res.stderr


def test_inner_door_that_is_really_an_entry_door_is_an_error(tmp_path):
    fp = yaml.safe_load((ROOT / "floorplans/high-school.yaml").read_text())
    # give the boys' locker room a second way out: its gym door is no longer an inner door
    fp["connections"].append({"a": "LR-B", "b": "EX-GYM", "kind": "door"})
    (tmp_path / "hs.yaml").write_text(yaml.safe_dump(fp, sort_keys=False))
    res = drillsim("validate", tmp_path / "hs.yaml")
    assert res.returncode != 0
    assert "D-LR-B" in res.stderr and "entry door, not an inner one" in res.stderr


def _html_rows(html: str, first: str) -> dict[str, list[str]]:
    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table"):
        rows = [
            [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
            for tr in table.find_all("tr")
        ]
        if rows and rows[0] and rows[0][0] == first:
            return {r[0]: r for r in rows[1:] if r}
    raise AssertionError(f"no table starting with {first!r}")


@pytest.mark.parametrize("case", ["bundled", "gym_unfixed"])
def test_same_rooms_and_headline_everywhere(tmp_path, case):
    scenario = CLASS if case == "bundled" else unfixed_gym(tmp_path)
    out_b, out_r = tmp_path / "batch", tmp_path / "brief"
    for cmd, out in (("batch", out_b), ("brief", out_r)):
        res = drillsim(cmd, scenario, "-n", RUNS, "--seed", 3, "--workers", 1, "-o", out, "-q")
        assert res.returncode == 0, res.stderr
    summary = json.loads((out_b / "summary.json").read_text())
    head = summary["lockdown"]
    with (out_b / "rooms.csv").open() as f:
        rooms = list(csv.DictReader(f))
    html = (out_r / "briefing.html").read_text()
    bjson = json.loads((out_r / "briefing.json").read_text())
    n = head["rooms_to_secure"]

    # one count of rooms everywhere
    assert len(rooms) == n == bjson["rooms_to_secure"] == len(bjson["rooms"])
    assert f"{n} rooms to secure" in html
    assert head["rooms_for_95_percent"] == k95(n)
    # every room's never-secured share
    by_room = {r["room"]: float(r["share_never_secured"]) for r in rooms}
    assert by_room == head["room_never_secured_share"]
    for r in bjson["rooms"]:
        assert round(r["share_never"], 3) == by_room[r["room"]]
        parts = sum(r["never_by_cause"].values())
        assert parts == pytest.approx(r["share_never"])
    # the headline: time to 95 %, all secured with its share of runs
    m = summary["metrics"]
    assert head["time_95_secured_median_s"] == m["time_95_secured_s"]["median"]
    reached = 1.0 - m["time_all_secured_s"]["share_never"]
    assert head["all_secured_share_of_runs"] == pytest.approx(reached)
    timeline = _html_rows(html, "Measure")
    row95 = timeline[f"95 % of the {n} rooms to secure secured ({k95(n)} rooms)"]
    assert row95[1] == fmt_s(m["time_95_secured_s"]["median"])
    row_all = timeline[f"All {n} rooms secured"]
    assert row_all[1] == f"in {fmt_pct(reached)} of runs"
    assert next(iter(timeline)).startswith("95 %")  # the headline leads with 95 %
    # rooms_secured_by_120s: metric, brief row and the timeline label agree
    assert timeline[f"Share of the {n} rooms secured by 120 s"][1] == fmt_pct(
        m["rooms_secured_by_120s"]["median"]
    )
    if case == "gym_unfixed":
        assert by_room["GYM"] == 1.0 and reached == 0.0
        assert rooms[[r["room"] for r in rooms].index("GYM")]["share_never_audited"] == "1.0"
        assert "never reached" in row_all[3]
        assert any(f["door"] == "D-LR-B" for f in bjson["door_findings"])
        assert "D-LR-B" in _html_rows(html, "Door")
    else:
        assert bjson["door_findings"] == []

    # figure titles, built from the same batch in-process
    loaded = load_scenario(scenario)
    result = run_batch_job(loaded, RUNS, 3, workers=1)
    dist = figure_secured_distribution(result, loaded)
    titles = [ax.get_title() for ax in dist.axes]
    assert f"95 % of rooms secured ({k95(n)} of {n} rooms)" in titles
    texts = " ".join(t.get_text() for t in dist.texts)
    assert f"All {n} rooms to secure were secured in" in texts
    band = figure_unsecured_band(result, loaded)
    assert any(
        f"(of {n})" in (ax.get_ylabel() + " ".join(t.get_text() for t in ax.texts))
        or f"all {n} rooms" in " ".join(t.get_text() for t in ax.texts)
        for ax in band.axes
    )
    tl = timeline_figure(result, briefing_stats(loaded, result))
    ax = tl.axes[0]
    assert f"{n} rooms to secure" in ax.get_title(loc="left")
    labels = {t.get_text() for t in ax.texts}
    assert f"120 s: {fmt_pct(m['rooms_secured_by_120s']['median'])}" in labels
    # the 120 s label sits where the median curve is
    y120 = next(line for line in ax.get_lines() if line.get_label() == "median run")
    xs, ys = y120.get_xdata(), y120.get_ydata()
    at = max(i for i, x in enumerate(xs) if x <= 120)
    label_share = float(re.search(r"120 s: (\d+) %", " ".join(labels)).group(1))
    assert math.isclose(ys[at], label_share, abs_tol=0.5)


def test_door_findings_name_audited_conditions(tmp_path):
    fp = yaml.safe_load((ROOT / "floorplans/high-school.yaml").read_text())
    for c in fp["connections"]:
        if c.get("id") == "D-R101":
            c.update(condition="latch_fault", audit_date="2026-08-15")
        if c.get("id") == "D-R102":
            c.update(condition="propped", audit_date="2026-08-15")
    (tmp_path / "hs.yaml").write_text(yaml.safe_dump(fp, sort_keys=False))
    found = {f.door: f for f in door_findings(load_floorplan(tmp_path / "hs.yaml"))}
    assert found["D-R101"].what == "latch_fault" and "2026-08-15" in found["D-R101"].message
    assert "repair the latch" in found["D-R101"].fix
    assert found["D-R102"].what == "propped"
    res = drillsim("validate", tmp_path / "hs.yaml")
    assert "D-R101" in res.stderr and "repair the latch" in res.stderr


def test_map_rings_doors_with_findings(tmp_path):
    from drillsim.floorplan import draw_floorplan

    fp = yaml.safe_load((ROOT / "floorplans/high-school.yaml").read_text())
    for c in fp["connections"]:
        if c.get("id") == "D-R101":
            c.update(condition="latch_fault", audit_date="2026-08-15")
    (tmp_path / "hs.yaml").write_text(yaml.safe_dump(fp, sort_keys=False))
    fig = draw_floorplan(load_floorplan(tmp_path / "hs.yaml"))
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert any("door audit finding" in x for x in labels)
    notes = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "D-R101: latch fault" in notes
    clean = draw_floorplan(load_floorplan(ROOT / "floorplans/high-school.yaml"))
    assert not any(
        "door audit finding" in t.get_text() for leg in clean.legends for t in leg.get_texts()
    )


def test_validate_warns_about_refuges_nobody_staffs(tmp_path):
    data = yaml.safe_load((ROOT / "scenarios/high-school-lockdown-passing.yaml").read_text())
    data["population"]["groups"] = []  # no librarian: the library is nobody's room
    data["floorplan"] = str(ROOT / "floorplans/high-school.yaml")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data))
    res = drillsim("validate", tmp_path / "p.yaml")
    assert res.returncode == 0
    assert "lockdown.refuges.COMMONS[0]: room 'LIB' has no adult" in res.stderr
