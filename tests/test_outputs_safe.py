"""Outputs are sound and safe: never NaN or negative, user text escaped, no network.

- every bundled scenario, and a hypothesis-generated set of variations, gives finite and
  non-negative metrics in summary.json, runs.parquet and rooms.csv (or an explicit "never" /
  "not applicable");
- markup planted in every user string (scenario name and description, floorplan name, space
  labels, observer notes) comes out escaped in the HTML and as literal text in the PDF;
- run, batch, brief and review open no network connection (sockets are blocked in-process).
"""

from __future__ import annotations

import csv
import json
import math
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from drillsim.cli.main import cli
from drillsim.floorplan import load_floorplan
from drillsim.run import run_batch_job
from drillsim.scenario.load import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
ELEMENTARY = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
FLOORPLAN = ROOT / "floorplans" / "elementary-school.yaml"


def invoke(*args) -> object:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


# ----------------------------------------------------------------------------------------------
# never NaN, never negative


def _sound(value: float, what: str) -> None:
    assert not math.isnan(value), f"{what} is NaN"
    assert value >= 0, f"{what} is negative ({value})"


def check_summary(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, s in data["metrics"].items():
        if s.get("not_applicable"):
            assert s["median"] is None and s["p90"] is None, name
            continue
        for key in ("median", "p90", "mean", "mean_ci95_low", "mean_ci95_high", "share_never"):
            v = s[key]
            if v == "inf":  # "never" within the model
                assert key in ("median", "p90"), (name, key)
                continue
            if v is None:  # the mean of no finite run, or its CI with fewer than two finite runs
                assert key.startswith("mean"), (name, key)
                assert s["share_never"] == 1.0 or (
                    key.startswith("mean_ci95") and s["share_never"] > 0
                ), (name, key)
                continue
            _sound(float(v), f"{name}.{key}")


def check_runs(path: Path, not_applicable: set[str]) -> None:
    table = pd.read_parquet(path)
    for col in table.columns:
        if not np.issubdtype(table[col].dtype, np.number):
            continue
        v = table[col].to_numpy(dtype=float)
        if col in not_applicable:
            assert np.isnan(v).all(), col
            continue
        assert not np.isnan(v).any(), f"runs.parquet {col} has NaN"
        assert (v >= 0).all(), f"runs.parquet {col} has negative values"


def check_rooms(path: Path) -> None:
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = row.get("room", row.get("space"))  # evacuation rows are per start space
            for k, v in row.items():
                try:
                    x = float(v)
                except (TypeError, ValueError):
                    continue  # text, "" (no such time, e.g. evacuation) or "inf"
                if math.isinf(x):
                    assert x > 0, (key, k)
                    continue
                _sound(x, f"rooms.csv {key}.{k}")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_gives_sound_outputs(scenario, tmp_path):
    invoke("batch", scenario, "--runs", 40, "--seed", 3, "--workers", 1, "-q",
           "--out", tmp_path / "b")
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    na = {k for k, s in summary["metrics"].items() if s.get("not_applicable")}
    check_summary(tmp_path / "b" / "summary.json")
    check_runs(tmp_path / "b" / "runs.parquet", na)
    check_rooms(tmp_path / "b" / "rooms.csv")


_FP = None


def _fp():
    global _FP
    if _FP is None:
        _FP = load_floorplan(FLOORPLAN)
    return _FP


@settings(max_examples=25, deadline=None)
@given(
    protocol=st.sampled_from(["lockdown", "evacuate"]),
    mode=st.sampled_from(["drill", "incident"]),
    fill=st.floats(0.0, 2.0),
    on_duty=st.booleans(),
    detection=st.one_of(st.just(0), st.floats(0, 600)),
    lock=st.sampled_from(["none", "thumbturn", "key_inside", "key_outside", "central"]),
    horizon=st.floats(1.0, 3600.0),
    flow=st.floats(0.05, 5.0),
)
def test_generated_scenarios_give_sound_metrics(protocol, mode, fill, on_duty, detection, lock,
                                                horizon, flow):
    data = yaml.safe_load(ELEMENTARY.read_text(encoding="utf-8"))
    data.update(protocol=protocol, mode=mode, horizon_s=horizon)
    data["incident"]["detection_delay_s"] = detection
    data["population"]["fill"] = fill
    data["sro"]["on_duty"] = on_duty
    data["behaviour"]["specific_flow_pps_per_m"] = flow
    data["building"] = {"door_locks": {"A0*": lock}}
    loaded = scenario_from_dict(data, _fp())
    result = run_batch_job(loaded, 6, 1, workers=1)
    for name, v in result.metrics.items():
        v = np.asarray(v, dtype=float)
        if np.isnan(v).all():  # "not applicable" (the SRO's metrics without an SRO)
            assert name in ("sro_arrival_s", "sweep_time_s", "doors_unlocked_at_check"), name
            continue
        assert not np.isnan(v).any() and (v >= 0).all(), (name, v)
    for name in ("room_alert_s", "room_secured_s", "space_alert_s"):
        v = np.asarray(getattr(result, name), dtype=float)
        assert not (v < 0).any(), name
        if protocol == "lockdown":
            assert not np.isnan(v).any(), name


# ----------------------------------------------------------------------------------------------
# escaping

MARK = '<b id="planted">x</b><script>alert(1)</script>&amp;'


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A scenario and floorplan with markup in every user string, and a filled observer sheet."""
    root = tmp_path_factory.mktemp("planted")
    fp = yaml.safe_load(FLOORPLAN.read_text(encoding="utf-8"))
    fp["name"] = f"School {MARK}"
    for space in fp["spaces"]:
        space["label"] = f"{space.get('label', space['id'])} {MARK}"
    (root / "fp.yaml").write_text(yaml.safe_dump(fp, allow_unicode=True), encoding="utf-8")
    sc = yaml.safe_load(ELEMENTARY.read_text(encoding="utf-8"))
    sc["floorplan"] = "fp.yaml"
    sc["name"] = f"Drill {MARK}"
    sc["description"] = f"About {MARK}"
    (root / "s.yaml").write_text(yaml.safe_dump(sc, allow_unicode=True), encoding="utf-8")
    return root


def _assert_escaped(html_path: Path) -> None:
    text = html_path.read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.find(id="planted") is None, f"{html_path.name}: planted markup became an element"
    assert all("alert(1)" not in (s.string or "") for s in soup.find_all("script"))
    assert "&lt;b id=" in text  # the text is there, escaped


def _pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_brief_escapes_every_user_string(planted, tmp_path):
    invoke("brief", planted / "s.yaml", "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "o")
    _assert_escaped(tmp_path / "o" / "briefing.html")
    pdf = _pdf_text(tmp_path / "o" / "briefing.pdf")
    assert '<b id="planted">' in pdf.replace("\n", "")  # literal text, not interpreted


def test_review_escapes_observer_notes(planted, tmp_path):
    invoke("brief", planted / "s.yaml", "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "b")
    sheet = tmp_path / "b" / "observer_sheet.csv"
    with sheet.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for i, r in enumerate(rows):
        r.update(observer="obs", alert_heard_s="10", door_locked_s=str(30 + i),
                 safe_zone_s=str(40 + i), notes=f"note {MARK}")
    filled = tmp_path / "filled.csv"
    with filled.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    invoke("review", planted / "s.yaml", filled, "--runs", 20, "--workers", 1, "-q",
           "--out", tmp_path / "r")
    html = tmp_path / "r" / "review.html"
    _assert_escaped(html)
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    notes = soup.find("table", attrs={"data-table": "observer_notes"})
    assert notes is not None and MARK in notes.get_text()
    assert "note <b" in _pdf_text(tmp_path / "r" / "review.pdf")


# ----------------------------------------------------------------------------------------------
# no network


class _NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs):
        raise AssertionError(f"drillsim tried to open a socket {args}")


def _refuse(*args, **kwargs):
    raise AssertionError(f"drillsim tried to connect / resolve {args}")


def test_no_command_opens_a_network_connection(tmp_path, monkeypatch):
    for name in ("socket", "SocketType"):
        monkeypatch.setattr(socket, name, _NoNetwork)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "socketpair"):
        monkeypatch.setattr(socket, name, _refuse)
    with pytest.raises(AssertionError):  # the block itself works
        socket.create_connection(("127.0.0.1", 9))
    s = ELEMENTARY
    invoke("run", s, "--out", tmp_path / "run")
    invoke("batch", s, "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "batch")
    invoke("brief", s, "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "brief")
    sheet = tmp_path / "brief" / "observer_sheet.csv"
    with sheet.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r.update(alert_heard_s="10", door_locked_s="40", safe_zone_s="55")
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    invoke("review", s, sheet, "--runs", 20, "--workers", 1, "-q", "--out", tmp_path / "review")
    assert (tmp_path / "review" / "review.html").exists()


_LOCKS = ("thumbturn", "key_inside", "key_outside", "auto_locking", "central")
EXTREMES = {
    "huge_times": {"behaviour.safe_zone_move_s": {"dist": "triangular", "low": 0, "mode": 1e6,
                                                  "high": 1e6},
                   "behaviour.adult_reaction_s": 1e6},
    "tiny_speeds": {"behaviour.adult_speed_mps": 1e-6,
                    "behaviour.student_speed_mps": {"elementary": 1e-6}},
    "wide_lognormal": {"behaviour.adult_reaction_s": {"dist": "lognormal", "median": 1e-6,
                                                      "p90": 1e-3}},
    "all_zero": {"behaviour.adult_reaction_s": 0, "behaviour.student_reaction_s": 0,
                 "behaviour.hallway_recovery_s": 0, "behaviour.safe_zone_move_s": 0,
                 "behaviour.lock_time_s": dict.fromkeys(_LOCKS, 0)},
    "crowd_in_a_hall": {"population.groups": [{"space": "H-A2", "students": 2000}]},
    "longest_horizon": {"horizon_s": 86_400},
    "slowest_doors": {"protocol": "evacuate", "behaviour.specific_flow_pps_per_m": 0.01},
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_extreme_valid_scenarios_run_in_both_engines(name):
    """Values at the edges of their ranges: the SimPy reference run and a batch stay sound."""
    from drillsim.run import run_single

    data = yaml.safe_load(ELEMENTARY.read_text(encoding="utf-8"))
    for dotted, value in EXTREMES[name].items():
        target = data
        *parents, last = dotted.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    loaded = scenario_from_dict(data, _fp())
    single = run_single(loaded, 1)
    for field, v in single.outcomes.arrays().items():
        if np.issubdtype(np.asarray(v).dtype, np.floating):  # times (indices use -1 for none)
            assert not (np.asarray(v) < 0).any(), field
    batch = run_batch_job(loaded, 4, 1, workers=1)
    for metric, v in batch.metrics.items():
        v = np.asarray(v, dtype=float)
        assert np.isnan(v).all() or (not np.isnan(v).any() and (v >= 0).all()), metric
