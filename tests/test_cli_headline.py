"""The three terminal numbers after run, batch and compare are the protocol's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drillsim.cli.headline import HEADLINE, WORDS, batch_lines, compare_lines
from drillsim.metrics.score import METRICS
from drillsim.run.batch import run_batch_job
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BY_PROTOCOL = {
    "lockdown": "elementary-lockdown-class.yaml",
    "evacuate": "elementary-evacuate-class-posted.yaml",
    "hold": "elementary-hold-passing.yaml",
    "secure": "elementary-secure-class-recess.yaml",
    "shelter": "elementary-shelter-class-tornado.yaml",
    "options": "elementary-options-class-hazard-route.yaml",
}


def test_every_protocol_has_three_headline_metrics_with_words():
    assert set(HEADLINE) == set(BY_PROTOCOL)
    for protocol, names in HEADLINE.items():
        assert len(names) == 3 and len(set(names)) == 3, protocol
        for m in names:
            assert m in METRICS and m in WORDS, (protocol, m)


@pytest.mark.parametrize("protocol", sorted(BY_PROTOCOL))
def test_a_batch_prints_its_protocols_three_numbers(protocol):
    loaded = load_scenario(ROOT / "scenarios" / BY_PROTOCOL[protocol])
    assert loaded.scenario.protocol == protocol
    res = run_batch_job(loaded, 40, 1, workers=1)
    lines = batch_lines(protocol, res.metrics)
    assert len(lines) == 3, lines
    for line, m in zip(lines, HEADLINE[protocol], strict=True):
        assert line.startswith(f"  {WORDS[m]}: median "), line
        assert ", p90 " in line and "nan" not in line
    # lockdown words never describe another protocol
    if protocol != "lockdown":
        assert not any("room secured" in line or "rooms never" in line for line in lines)
    if protocol == "evacuate":
        assert not any("unsecured" in line for line in lines)


def test_compare_lines_follow_the_protocol():
    loaded = load_scenario(ROOT / "scenarios" / BY_PROTOCOL["evacuate"])
    res = run_batch_job(loaded, 30, 1, workers=1)
    same = {k: np.asarray(v) for k, v in res.metrics.items()}
    lines = compare_lines("evacuate", ["a", "b"], [res.metrics, same])
    assert [line.split(" (median)")[0].strip() for line in lines] == [
        WORDS[m] for m in HEADLINE["evacuate"]
    ]
    assert all("tie 100 %" in line for line in lines)
