"""``drillsim brief`` for Hold, Secure, Shelter and options-based response (issue 9).

Each pack is written by the click command and read back: the title and framing name the protocol,
the announcements use its SRP directive, the expected timeline lists its own measures with the
simulated medians, and the observer sheet CSV has the protocol's columns.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from drillsim.cli.main import cli
from drillsim.reports.brief import fmt_s
from drillsim.reports.brief.protocols import PROFILES

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "hold": ("high-school-hold-passing.yaml", "Hold! In your room or area. Clear the halls."),
    "secure": ("elementary-secure-class-recess.yaml", "Secure! Get inside. Lock outside doors."),
    "shelter": ("high-school-shelter-class-hazmat.yaml", "Shelter! Go to your shelter area."),
    "options": ("high-school-options-class-hazard-route.yaml", "otherwise lock and barricade"),
}


@pytest.mark.parametrize("protocol", sorted(CASES))
def test_brief_adapts_to_the_protocol(protocol, tmp_path):
    scenario, directive = CASES[protocol]
    out = tmp_path / "pack"
    args = ["brief", str(ROOT / "scenarios" / scenario), "--runs", "60", "--seed", "1"]
    result = CliRunner().invoke(cli, [*args, "--workers", "1", "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output
    prof = PROFILES[protocol]
    soup = BeautifulSoup((out / "briefing.html").read_text(encoding="utf-8"), "html.parser")
    text = " ".join(soup.get_text(" ").split())
    assert f"{prof.title} drill briefing" in text
    article = "an" if prof.action[0] in "aeiou" else "a"  # "an evacuation", "an options-based"
    assert f"This is {article} {prof.action} DRILL" in text
    assert directive in text
    stats = json.loads((out / "briefing.json").read_text(encoding="utf-8"))
    timeline = soup.find(attrs={"data-key": "timeline"}) or soup
    for key, label in prof.timeline:
        if key in stats["metrics"]:
            assert label in timeline.get_text(" ")
    first_own = prof.timeline[1][0]
    assert fmt_s(stats["metrics"][first_own]["median"]) in text
    with (out / "observer_sheet.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["room", "label", "observer", *prof.observer_columns, "notes"]
    assert (out / "figures" / "timeline.png").stat().st_size > 10_000
