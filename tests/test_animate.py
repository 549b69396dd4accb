"""Run playback: the scene built from one run's event log, the HTML player, the GIF, the CLI."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from PIL import Image

from drillsim.cli.main import cli
from drillsim.engines.reference import EventLog, run_reference
from drillsim.reports.animate import build_scene, render_player
from drillsim.reports.animate.scene import TAIL_S
from drillsim.run import run_single
from drillsim.run.single import SingleRun
from drillsim.sample.draws import sample
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
LOCKDOWN = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
EVACUATE = ROOT / "scenarios" / "elementary-evacuate-class.yaml"


@pytest.fixture(scope="module")
def lockdown_run() -> SingleRun:
    return run_single(load_scenario(LOCKDOWN), seed=4, run_index=2)


@pytest.fixture(scope="module")
def evacuate_run() -> SingleRun:
    return run_single(load_scenario(EVACUATE), seed=4, run_index=2)


def _pos(track: list, t: float) -> tuple[float, float]:
    k = np.asarray(track, dtype=float)
    return float(np.interp(t, k[:, 0], k[:, 1])), float(np.interp(t, k[:, 0], k[:, 2]))


def _inside(rect: list, xy: tuple[float, float]) -> bool:
    x, y, w, h = rect
    return x - 1e-6 <= xy[0] <= x + w + 1e-6 and y - 1e-6 <= xy[1] <= y + h + 1e-6


def test_scene_is_deterministic_and_complete(lockdown_run):
    a, b = build_scene(lockdown_run), build_scene(lockdown_run)
    assert json.dumps(a) == json.dumps(b)
    plan = lockdown_run.plan
    assert len(a["people"]) == plan.n_persons
    assert len([s for s in a["spaces"] if "room" in s]) == plan.n_rooms
    last = max(r[0] for r in lockdown_run.log.rows if math.isfinite(r[0]))
    assert a["end"] == pytest.approx(last + TAIL_S, abs=0.01)
    for p in a["people"]:
        times = [f[0] for f in p["k"]]
        assert times == sorted(times) and times[0] == 0.0


def test_people_start_in_their_space_spread_out_and_end_in_their_refuge(lockdown_run):
    scene = build_scene(lockdown_run)
    plan, o = lockdown_run.plan, lockdown_run.outcomes
    rect = {s["id"]: s["r"] for s in scene["spaces"]}
    for p, person in enumerate(scene["people"]):
        start = plan.space_ids[int(plan.person_space[p])]
        assert _inside(rect[start], _pos(person["k"], 0.0)), (p, start)
        m = int(o.person_refuge[0, p])
        if m >= 0 and math.isfinite(o.person_safe_s[0, p]):
            room = plan.room_id(m)
            assert _inside(rect[room], _pos(person["k"], scene["end"])), (p, room)
    # a class is not one dot: the people of one room stand apart
    m0 = int(plan.room_space[0])
    members = [p for p in range(plan.n_persons) if int(plan.person_space[p]) == m0]
    xy = np.array([_pos(scene["people"][p]["k"], 0.0) for p in members])
    assert len(np.unique(xy.round(2), axis=0)) == len(members)


def test_a_mover_walks_between_its_events(lockdown_run):
    """Someone seeking refuge is at the start space until they move and in the room at arrival."""
    scene = build_scene(lockdown_run)
    plan, o = lockdown_run.plan, lockdown_run.outcomes
    rect = {s["id"]: s["r"] for s in scene["spaces"]}
    movers = [int(p) for p in plan.mover if math.isfinite(o.person_arrive_s[0, int(p)])]
    assert movers
    for p in movers[:20]:
        k = scene["people"][p]["k"]
        move, arrive = o.person_move_s[0, p], o.person_arrive_s[0, p]
        assert _pos(k, move - 0.01) == pytest.approx(_pos(k, 0.0), abs=0.02)
        room = plan.room_id(int(o.person_refuge[0, p]))
        assert _inside(rect[room], _pos(k, arrive + 0.01))
        mid = _pos(k, (move + arrive) / 2)
        assert mid != pytest.approx(_pos(k, 0.0), abs=0.01)  # on the way, not teleported


def test_evacuees_end_outside_at_an_assembly_point(evacuate_run):
    scene = build_scene(evacuate_run)
    inside = [s["r"] for s in scene["spaces"] if s["kind"] not in ("exit", "outdoor")]
    safe = [p for p in scene["people"] if p["safe"] is not None]
    assert len(safe) == len(scene["people"])
    for p in safe:
        xy = _pos(p["k"], scene["end"])
        assert not any(_inside(r, xy) for r in inside)


def test_rooms_and_doors_carry_the_run_s_times(lockdown_run):
    scene = build_scene(lockdown_run)
    plan, o = lockdown_run.plan, lockdown_run.outcomes
    rooms = {s["id"]: s["room"] for s in scene["spaces"] if "room" in s}
    for m in range(plan.n_rooms):
        r = rooms[plan.room_id(m)]
        want = o.room_secured_s[0, m]
        assert (r["secured"] is None) == (not math.isfinite(want))
        if r["secured"] is not None:
            assert r["secured"] == pytest.approx(want, abs=0.01)
    locked = [d for d in scene["doors"] if d["locked"] is not None]
    assert locked and all(d["kind"] == "door" for d in locked)
    alerts = {s["id"]: s["alert"] for s in scene["spaces"]}
    assert alerts[plan.space_ids[plan.origin]] == pytest.approx(o.space_alert_s[0, plan.origin])


def test_unknown_event_kinds_are_listed_and_walked(lockdown_run):
    """A protocol added later logs kinds this module has never seen: shown, never a crash."""
    run = lockdown_run
    log = EventLog(list(run.log.rows))
    target = run.plan.space_ids[-1]
    log.add(50.0, "0", "student", "shelters_in_place", target)
    log.add(60.0, "0", "student", "waves_to_camera", "no-such-space")
    log.add(70.0, "-", "-", "bell_rings", "no-such-space")
    scene = build_scene(SingleRun(run.loaded, run.plan, run.seed, run.run_index, run.outcomes, log))
    texts = [e[1] for e in scene["events"]]
    assert any("shelters in place" in t for t in texts)
    assert any("bell rings" in t for t in texts)
    rect = {s["id"]: s["r"] for s in scene["spaces"]}
    if scene["spaces"][-1]["kind"] != "exit":
        assert _inside(rect[target], _pos(scene["people"][0]["k"], 50.0))


def test_player_is_self_contained(lockdown_run):
    html = render_player(build_scene(lockdown_run))
    soup = BeautifulSoup(html, "html.parser")
    # nothing that loads a resource
    assert not soup.find_all(["link", "iframe", "object", "embed", "img", "audio", "video"])
    for tag in soup.find_all(True):
        for attr in ("src", "href", "srcset", "action", "poster", "data", "xlink:href"):
            value = tag.get(attr)
            assert value is None or str(value).startswith(("#", "data:")), (tag.name, attr, value)
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), "a URL in the page"
    for style in soup.find_all("style"):
        assert "@import" not in style.text and "url(" not in style.text
    scripts = " ".join(s.text for s in soup.find_all("script"))
    for call in ("fetch(", "XMLHttpRequest", "WebSocket", "import(", "EventSource", "sendBeacon"):
        assert call not in scripts
    assert all(not s.get("src") for s in soup.find_all("script"))
    # what a user needs is there
    assert "SENSITIVE SECURITY INFORMATION" in soup.find(id="banner").text
    for el in ("clock", "slider", "play", "speed", "legend", "events", "plan", "counts"):
        assert soup.find(id=el) is not None, el
    data = json.loads(soup.find(id="scene").string)
    assert data["people"] and data["spaces"]


def test_labels_cannot_break_out_of_the_script(lockdown_run):
    scene = build_scene(lockdown_run)
    scene["spaces"][0]["label"] = "</script><script>alert('x')</script>"
    scene["title"] = "<b>drill</b>"
    html = render_player(scene)
    assert "</script><script>alert" not in html
    assert "<b>drill</b>" not in html  # escaped in the page heading
    soup = BeautifulSoup(html, "html.parser")
    assert json.loads(soup.find(id="scene").string)["spaces"][0]["label"].startswith("</script>")


@pytest.fixture(scope="module")
def animated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("anim") / "out"
    res = CliRunner().invoke(
        cli, ["animate", str(LOCKDOWN), "--seed", "4", "--run-index", "2", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    return out


def test_gif_frames_show_the_run_progress(animated):
    img = Image.open(animated / "run.gif")
    assert img.n_frames >= 30
    first = np.asarray(img.convert("RGB"), dtype=float)
    img.seek(img.n_frames - 1)
    last = np.asarray(img.convert("RGB"), dtype=float)
    assert first.std() > 20 and last.std() > 20
    assert np.abs(first - last).mean() > 1.0
    green = lambda a: ((a[..., 1] > 100) & (a[..., 0] < 60) & (a[..., 2] < 90)).mean()  # noqa: E731
    assert green(last) > green(first) + 0.005  # rooms turned green (secured)


def test_cli_animate_writes_player_and_gif(animated, tmp_path):
    # the player, the GIF and the manifest that says which command wrote the folder (--out policy)
    names = sorted(p.name for p in animated.iterdir())
    assert names == ["drillsim-manifest.json", "player.html", "run.gif"]
    html = (animated / "player.html").read_text()
    assert "run 2 of seed 4" in html
    res = CliRunner().invoke(cli, ["animate", str(LOCKDOWN), "--no-gif", "--out", str(tmp_path)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert res.exit_code == 0 and names == ["drillsim-manifest.json", "player.html"]


def test_cli_animate_bad_scenario_is_readable(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nprotocol: lockdwn\nfloorplan: nowhere.yaml\n")
    res = CliRunner().invoke(cli, ["animate", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "Traceback" not in res.output and "bad.yaml" in res.output
    assert not (tmp_path / "o").exists()


def test_same_run_as_drillsim_run(lockdown_run):
    """The player shows run I of seed S: the same draws as the batch and `drillsim run`."""
    plan = lockdown_run.plan
    draws = sample(plan, lockdown_run.loaded.scenario, 4, 1, first_run=2)
    again = run_reference(plan, draws)
    assert np.array_equal(again.room_secured_s, lockdown_run.outcomes.room_secured_s)


def test_brief_links_the_player_of_its_median_run(tmp_path):
    from drillsim.metrics.score import score
    from drillsim.reports.brief.player_link import MEDIAN_METRIC
    from drillsim.run import run_batch_job

    out = tmp_path / "pack"
    res = CliRunner().invoke(
        cli,
        [
            "brief",
            str(LOCKDOWN),
            "--runs",
            "31",
            "--seed",
            "5",
            "--workers",
            "1",
            "-q",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    soup = BeautifulSoup((out / "briefing.html").read_text(encoding="utf-8"), "html.parser")
    link = soup.find("a", href="player.html")
    assert link is not None and "median run" in link.text
    scene = json.loads(
        BeautifulSoup((out / "player.html").read_text(encoding="utf-8"), "html.parser")
        .find(id="scene")
        .string
    )
    assert scene["seed"] == 5
    # the linked run's unsecured person-seconds is the median of the batch's 31 runs
    loaded = load_scenario(LOCKDOWN)
    batch = run_batch_job(loaded, 31, 5, workers=1)
    one = run_single(loaded, 5, scene["run_index"], plan=batch.plan)
    value = float(score(batch.plan, one.outcomes)[MEDIAN_METRIC][0])
    assert value == pytest.approx(float(np.median(batch.metrics[MEDIAN_METRIC])), abs=1e-6)
    assert f"run {scene['run_index']} of seed 5" in link.text


def test_people_rerouted_by_a_later_blockage_are_drawn_on_the_way_they_took():
    """After a space ahead closes, a person's next doors lead where their events go (the
    alternate or the nearest open exit), not along the route planned before the blockage."""
    from drillsim.reports.animate.layout import build_layout

    loaded = load_scenario(ROOT / "scenarios/high-school-evacuate-class-posted-stc-blocked-60s.yaml")
    run = run_single(loaded, seed=1, run_index=0)
    scene = build_scene(run)
    plan, g = run.plan, loaded.floorplan.graph
    layout = build_layout(loaded.floorplan)
    own: dict[int, list] = {}
    for t, who, _role, kind, space in run.log.sorted_rows():
        if who not in ("-", "SRO"):
            own.setdefault(int(who), []).append((t, kind, space))
    checked = 0
    for p, ev in own.items():
        kinds = [k for _, k, _ in ev]
        if "reroutes" not in kinds and "turns_back" not in kinds:
            continue
        after = kinds.index("reroutes" if "reroutes" in kinds else "turns_back")
        route = [plan.space_ids[i] for i in plan.space_route[int(plan.person_space[p])]]
        for j in range(after, len(ev) - 1):
            t, kind, space = ev[j]
            nxt = ev[j + 1][2]
            if kind != "through_door" or not g.has_edge(space, nxt):
                continue
            planned = route[route.index(space) + 1] if space in route[:-1] else None
            if planned is None or planned == nxt:
                continue
            # where the track is at the event (the last keyframe of that instant: a reroute and
            # the next door can share one)
            at = [f[1:] for f in scene["people"][p]["k"] if f[0] <= round(t, 2) + 1e-9][-1]
            to_taken = math.dist(at, layout.door(space, nxt))
            to_planned = math.dist(at, layout.door(space, planned))
            assert to_taken < to_planned, (p, space, nxt, planned)
            checked += 1
    assert checked > 10  # the run reroutes hundreds of people: the check ran


def test_a_locked_out_person_who_waits_stands_at_the_door_until_they_leave():
    """Options: refused at the last door, the person waits there for a safe way out (the zone
    moves on) and only then walks; they are not drawn drifting across the hall meanwhile."""
    loaded = load_scenario(ROOT / "scenarios/high-school-options-class-hazard-route.yaml")
    found = 0
    for index in range(12):
        run = run_single(loaded, seed=3, run_index=index)
        rows = run.log.sorted_rows()
        scene = None
        for p in range(run.plan.n_persons):
            ev = [(t, k) for t, who, _r, k, _s in rows if who == str(p)]
            kinds = [k for _, k in ev]
            if "locked_out" not in kinds or "leaves_after_locked_out" not in kinds:
                continue
            t_lo = ev[kinds.index("locked_out")][0]
            t_leave = ev[kinds.index("leaves_after_locked_out")][0]
            if t_leave - t_lo < 1.0:
                continue  # left at once
            scene = scene or build_scene(run)
            k = scene["people"][p]["k"]
            a, b = _pos(k, t_lo + 0.02), _pos(k, t_leave - 0.02)
            assert math.dist(a, b) < 0.05, (index, p, a, b)
            found += 1
        if found:
            break
    assert found, "no run of the bundled options drill had a person who waited"
