"""``drillsim review`` for Hold, Secure, Shelter and options-based drills (issue 9).

For each protocol a synthetic drill sheet is made with the brief's own observer columns: every
room at its simulated median (from another seed), one room's last moment far later than its
simulated p90 (and, for options, one room making the decision the simulation never makes). The
review must accept the sheet, place each time in its distribution, flag exactly those, and write
a report that reads back (HTML tables, CSV, JSON, PDF).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from pypdf import PdfReader

from drillsim.cli.main import cli
from drillsim.plan.compile import compile_plan
from drillsim.reports.brief.observer_sheet import observer_columns
from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.review.protocol_measures import MEASURES, simulate_measures
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "hold": "elementary-hold-passing.yaml",
    "secure": "elementary-secure-class-recess.yaml",
    "shelter": "elementary-shelter-class-tornado.yaml",
    "options": "elementary-options-class-hazard-route.yaml",
}
RUNS = 60


def test_measures_match_the_brief_observer_sheet():
    for protocol, measures in MEASURES.items():
        assert tuple(m.column for m in measures) == PROFILES[protocol].observer_columns
        assert observer_columns(protocol)[3:-1] == tuple(m.column for m in measures)


def _synthetic(protocol: str, path: Path) -> dict[str, str]:
    """Write a filled sheet; return {room: measure} of the entries that must be flagged."""
    loaded = load_scenario(ROOT / "scenarios" / SCENARIOS[protocol])
    plan = compile_plan(loaded)
    sim = simulate_measures(plan, loaded.scenario, seed=99, n_runs=200)
    cols = observer_columns(protocol)
    rows, expect = [], {}
    late_done = decision_done = False
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        row = dict.fromkeys(cols, "")
        row.update(room=rid, observer="obs")
        for meas in MEASURES[protocol]:
            x = sim[meas.column][:, m]
            x = x[~np.isnan(x)]
            if meas.kind == "decision":
                if not x.size:
                    continue
                usual = float(np.median(x) >= 0.5)
                share_other = float((x != usual).mean())
                if not decision_done and share_other == 0.0:
                    row[meas.column] = "locked" if usual == 1.0 else "left"
                    expect[rid] = meas.column
                    decision_done = True
                else:
                    row[meas.column] = "left" if usual == 1.0 else "locked"
                continue
            fin = x[np.isfinite(x)]
            if not fin.size:
                continue
            value = float(np.median(fin))
            later = meas.column != "alert_heard_s" and rid not in expect
            if later and not late_done and float(np.quantile(fin, 0.9)) > 0:
                value = float(np.quantile(fin, 0.9)) * 2 + 60
                expect[rid] = meas.column
                late_done = True
            row[meas.column] = f"{value:.1f}"
        rows.append(row)
    # options: a room that left records no door time and vice versa
    if protocol == "options":
        for row in rows:
            if row["decision"] == "left":
                row["door_locked_s"] = ""
            elif row["decision"] == "locked":
                row["left_room_s"] = ""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    assert late_done
    return expect


@pytest.mark.parametrize("protocol", sorted(SCENARIOS))
def test_review_reads_each_protocols_sheet_and_flags_the_outliers(protocol, tmp_path):
    sheet = tmp_path / "observed.csv"
    expect = _synthetic(protocol, sheet)
    out = tmp_path / "review"
    scenario = ROOT / "scenarios" / SCENARIOS[protocol]
    res = CliRunner().invoke(
        cli, ["review", str(scenario), str(sheet), "-n", str(RUNS), "-o", str(out), "-q"]
    )
    assert res.exit_code == 0, res.output
    assert "flagged:" in res.output
    data = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert data["protocol"] == protocol
    flagged = {(r["room"], r["measure"]) for r in data["records"] if r["flag"]}
    for room, measure in expect.items():
        assert (room, measure) in flagged, (room, measure, flagged)
    # ordinary rooms at their (other-seed) median are not flagged late, except by chance
    assert len(flagged) <= len(expect) + max(2, data["n_rooms"] // 10)
    with (out / "review_rooms.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == data["n_rooms"] * len(MEASURES[protocol])
    for r in rows:
        if r["status"] == "placed" and r["measure"] != "decision":
            assert 0.0 <= float(r["percentile"]) <= 100.0
    room, measure = next((k, v) for k, v in expect.items() if v != "decision")
    late = next(r for r in rows if r["room"] == room and r["measure"] == measure)
    assert float(late["percentile"]) == 100.0
    assert float(late["observed"]) > float(late["sim_p90_s"])
    soup = BeautifulSoup((out / "review.html").read_text(encoding="utf-8"), "html.parser")
    assert f"{PROFILES[protocol].title} drill after-action report" in soup.get_text()
    table = soup.find("table", attrs={"data-table": "placements"})
    styled = {
        tr["data-key"] for tr in table.find("tbody").find_all("tr") if "flag" in tr.get("class", [])
    }
    keys = {tr["data-key"] for tr in table.find("tbody").find_all("tr")}
    assert f"{room}:{measure}" in keys
    assert styled == {f"{r}:{m}" for r, m in flagged}
    headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
    assert "4. Improvement plan" in headings
    reader = PdfReader(out / "review.pdf")
    assert all("SENSITIVE SECURITY INFORMATION" in p.extract_text() for p in reader.pages)
    assert (out / "figures" / "review_moments.png").stat().st_size > 1000


def test_bad_cells_are_reported_with_row_column_and_fix(tmp_path):
    scenario = ROOT / "scenarios" / SCENARIOS["options"]
    plan = compile_plan(load_scenario(scenario))
    cols = observer_columns("options")
    a, b, c = (plan.room_id(m) for m in range(3))
    lines = [
        ",".join(cols),
        f"{a},,x,20,maybe,,,",
        f"{b},,x,20,locked,10,,",
        f"{c},,x,abc,left,,30,",
        "ZZ9,,x,1,left,,,",
    ]
    sheet = tmp_path / "bad.csv"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["review", str(scenario), str(sheet), "-n", "5", "-o", str(tmp_path / "o"), "-q"]
    )
    assert res.exit_code != 0
    text = res.output
    assert "decision" in text and "'maybe' is not a decision" in text and "left" in text
    assert "door_locked_s 10 s is before alert_heard_s 20 s" in text
    assert "'abc' is not a time" in text
    assert "'ZZ9' is not a room" in text
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_wrong_sheet_names_the_missing_columns(tmp_path):
    scenario = ROOT / "scenarios" / SCENARIOS["hold"]
    sheet = tmp_path / "lockdown_sheet.csv"
    sheet.write_text("room,label,observer,alert_heard_s,door_locked_s,notes\n", encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["review", str(scenario), str(sheet), "-n", "5", "-o", str(tmp_path / "o"), "-q"]
    )
    assert res.exit_code != 0
    assert "door_closed_s" in res.output and "halls_clear_s" in res.output
