"""``drillsim brief``: the briefing pack's HTML, PDF and observer sheet, read back and checked."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner
from pypdf import PdfReader

from drillsim.cli.main import cli
from drillsim.metrics.summary import quantile, summarise
from drillsim.reports.brief import fmt_pct, fmt_s
from drillsim.run import run_batch_job
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCHOOLS = {
    "elementary": ROOT / "scenarios" / "elementary-lockdown-class.yaml",
    "high": ROOT / "scenarios" / "high-school-lockdown-class.yaml",
}
RUNS, SEED = 120, 3
BANNER = "SENSITIVE SECURITY INFORMATION"


def _drillsim_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "drillsim"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("drillsim")
    return [found] if found else [sys.executable, "-m", "drillsim"]


def run_brief(scenario: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "brief",
            str(scenario),
            "--runs",
            str(RUNS),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "-q",
            "--out",
            str(out),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "briefing.html" in result.output


@pytest.fixture(scope="module", params=sorted(SCHOOLS))
def briefed(request, tmp_path_factory) -> tuple[str, Path]:
    """A briefing pack for each sample school, written by the click command."""
    root = tmp_path_factory.mktemp(f"brief-{request.param}")
    out = root / "pack"
    run_brief(SCHOOLS[request.param], out)
    # nothing is written next to --out (no staging folder left behind)
    assert sorted(p.name for p in root.iterdir()) == ["pack"]
    return request.param, out


def soup_of(out: Path) -> BeautifulSoup:
    return BeautifulSoup((out / "briefing.html").read_text(encoding="utf-8"), "html.parser")


def test_files_written(briefed):
    _, out = briefed
    names = {p.name for p in out.iterdir()}
    assert {
        "briefing.html",
        "briefing.pdf",
        "observer_sheet.csv",
        "briefing.json",
        "figures",
    } <= names


def test_html_is_self_contained_and_marked(briefed):
    _, out = briefed
    html = (out / "briefing.html").read_text(encoding="utf-8")
    soup = soup_of(out)
    assert soup.find_all("script") == []
    assert soup.find_all("link") == []
    stripped = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert "http" not in stripped.lower()  # no URL of any kind, resource or link
    assert "url(" not in stripped
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:image/png;base64,")
    assert len(soup.find_all("img")) >= 3
    banners = [d for d in soup.find_all(class_="ssi") if BANNER in d.get_text()]
    assert len(banners) >= 3  # screen top and bottom, fixed print header and footer
    assert BANNER in soup.title.get_text()
    css = soup.find("style").get_text()
    assert "@media print" in css and "position: fixed" in css


def test_html_sections(briefed):
    _, out = briefed
    soup = soup_of(out)
    headings = {h.get_text(strip=True) for h in soup.find_all(["h2", "h3"])}
    for expected in (
        "Expected timeline",
        "Floorplan: expected time to secure each room",
        "Rooms at risk of never securing",
        "Alert coverage gaps",
        "Hallway spaces with locked-out risk",
        "SRO route and door-check sweep",
        "Pre-drill agenda",
        "Roles",
        "Observer assignments",
        "Announcement wording",
        "Notice status",
        "Accommodations for students with disabilities",
        "Distress plan and contact",
        "Keys for responders",
        "Observer sheet",
    ):
        assert expected in headings, expected
    text = soup.get_text(" ")
    assert "This is a drill" in text
    assert "Lockdown! Locks, lights, out of sight." in text
    assert "About these numbers" in text
    roles = soup.find("table", attrs={"data-table": "roles"}).get_text(" ")
    assert "not drawn from the school's real responders" in roles.lower()
    lowered = text.lower()
    for word in (
        "gun",
        "weapon",
        "shoot",
        "blood",
        "injur",
        "casualt",
        "lethal",
        "ballistic",
        "attacker",
        "intruder",
        "victim",
        "kill",
    ):
        assert word not in lowered, word  # protective, neutral wording only


def test_observer_table_and_csv_list_every_room(briefed):
    school, out = briefed
    loaded = load_scenario(SCHOOLS[school])
    from drillsim.plan.compile import compile_plan

    plan = compile_plan(loaded)
    rooms = {plan.room_id(m) for m in range(plan.n_rooms)}
    table = soup_of(out).find("table", attrs={"data-table": "observer"})
    keys = [tr["data-key"] for tr in table.find("tbody").find_all("tr")]
    assert sorted(keys) == sorted(rooms)
    cells = {tr.find("td").get_text(strip=True) for tr in table.find("tbody").find_all("tr")}
    assert cells == rooms
    with (out / "observer_sheet.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "room",
        "label",
        "observer",
        "alert_heard_s",
        "door_locked_s",
        "lights_off_s",
        "safe_zone_s",
        "notes",
    ]
    assert len(rows) == len(rooms) and {r["room"] for r in rows} == rooms
    assert all(r["door_locked_s"] == "" for r in rows)


def test_timeline_numbers_match_the_batch(briefed):
    school, out = briefed
    res = run_batch_job(load_scenario(SCHOOLS[school]), RUNS, SEED, workers=1)
    table = soup_of(out).find("table", attrs={"data-table": "timeline"})
    rows = {
        tr["data-key"]: [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in table.find("tbody").find_all("tr")
    }
    for key in (
        "time_all_alerted_s",
        "time_95_secured_s",
        "time_last_secured_s",
        "sro_arrival_s",
        "sweep_time_s",
    ):
        s = summarise(res.metrics[key])
        assert rows[key][1] == fmt_s(s["median"]), key
        assert rows[key][2] == fmt_s(s["p90"]), key
    # "all secured" is never a bare median: the share of runs that reached it, then the median
    # of those runs
    s = summarise(res.metrics["time_all_secured_s"])
    assert rows["time_all_secured_s"][1] == f"in {fmt_pct(1 - s['share_never'])} of runs"
    if s["share_never"] < 1:
        assert fmt_s(s["median_when_reached"]) in rows["time_all_secured_s"][3]
    for t in (60, 120, 300):
        key = f"rooms_secured_by_{t}s"
        assert rows[key][1] == fmt_pct(quantile(res.metrics[key], 0.5))
        assert rows[key][2] == fmt_pct(quantile(res.metrics[key], 0.1))


def test_pdf_pages_banner_and_rooms(briefed):
    school, out = briefed
    reader = PdfReader(out / "briefing.pdf")
    assert len(reader.pages) >= 2
    texts = [page.extract_text() for page in reader.pages]
    for i, text in enumerate(texts):
        assert BANNER in text, f"page {i + 1} lacks the banner"
    whole = "\n".join(texts)
    some = ("A01", "B03", "P1") if school == "elementary" else ("R101", "R221", "GYM")
    for room in some:
        assert room in whole
    assert "Observer sheet" in whole and "This is a drill" in whole


def test_subprocess_gives_the_same_files(briefed, tmp_path):
    """The installed ``drillsim`` command writes byte-identical HTML and PDF for the same seed."""
    school, out = briefed
    out2 = tmp_path / "again"
    proc = subprocess.run(
        [
            *_drillsim_cmd(),
            "brief",
            str(SCHOOLS[school]),
            "--runs",
            str(RUNS),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "-q",
            "--out",
            str(out2),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("briefing.html", "briefing.pdf", "observer_sheet.csv", "briefing.json"):
        assert (out / name).read_bytes() == (out2 / name).read_bytes(), name


def test_user_names_are_escaped(tmp_path):
    src = SCHOOLS["elementary"]
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["name"] = 'Drill <script>alert("x")</script> & <b>bold</b>'
    data["description"] = "<img src=x onerror=alert(1)>"
    data["floorplan"] = str((src.parent / data["floorplan"]).resolve())
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    run_brief(scenario, out)
    html = (out / "briefing.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == []
    assert soup.find_all("b") == []
    assert all(img["src"].startswith("data:") for img in soup.find_all("img"))
    assert "&lt;script&gt;" in html
    assert 'Drill <script>alert("x")</script> & <b>bold</b>' in soup.find("h1").get_text()
    text = "\n".join(p.extract_text() for p in PdfReader(out / "briefing.pdf").pages)
    assert "<script>" in text  # the PDF shows the name literally


def test_evacuation_brief_adapts(tmp_path):
    out = tmp_path / "evac"
    run_brief(ROOT / "scenarios" / "elementary-evacuate-class.yaml", out)
    soup = soup_of(out)
    headings = {h.get_text(strip=True) for h in soup.find_all(["h2", "h3"])}
    assert "Exits and assembly" in headings and "Observer sheet" in headings
    text = soup.get_text(" ")
    assert "Evacuate!" in text and "This is a drill" in text
    rows = {
        tr["data-key"]
        for tr in soup.find("table", attrs={"data-table": "timeline"}).find("tbody").find_all("tr")
    }
    assert {"evacuation_time_s", "time_95_evacuated_s"} <= rows
    header = (out / "observer_sheet.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "room,label,observer,alert_heard_s,left_room_s,assembly_reached_s,accounted_s,notes"
    )


def test_bad_scenario_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nprotocol: lockdown\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["brief", str(bad), "--runs", "10", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]
