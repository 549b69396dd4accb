"""Evacuation plans as data: posted routes, balanced routing, blockages, validation and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from drillsim.cli.main import cli
from drillsim.errors import ValidationError
from drillsim.metrics.score import score
from drillsim.plan.servers import stair_specific_flow

from builders import build, conn, quiet_scenario, run_both, space

NOW = {"channels": {"pa": {"latency_s": 0}, "radio": None, "word_of_mouth": None}}


def _hall():
    """A 30 m hall as four quadrants (Q1..Q4) with a 1 m door each; everyone starts in Q1."""
    quads = {"Q1": (7.5, 5.0), "Q2": (22.5, 5.0), "Q3": (7.5, 15.0), "Q4": (22.5, 15.0)}
    spaces = [space(q, "commons", x, y, size_w_m=15, size_h_m=10) for q, (x, y) in quads.items()]
    spaces += [space(f"EX{i}", "exit", 5 * i, -1, assembly_distance_m=0) for i in range(1, 5)]
    conns = [
        conn("Q1", "Q2", "opening", width_m=10.0),
        conn("Q3", "Q4", "opening", width_m=10.0),
        conn("Q1", "Q3", "opening", width_m=15.0),
        conn("Q2", "Q4", "opening", width_m=15.0),
    ]
    conns += [conn(q, f"EX{i}", "door", width_m=1.0, length_m=6.0) for i, q in enumerate(quads, 1)]
    return {"name": "hall", "spaces": spaces, "connections": conns}


def _sc(groups, **evacuation):
    return quiet_scenario(
        "evacuate",
        incident={"origin": "EX1", "detection_delay_s": 0},
        population={"preset": "none", "groups": groups},
        alert=NOW,
        hazard={"avoid_origin": False, "avoid_neighbours": False},
        evacuation=evacuation,
    )


def test_balanced_routing_spreads_classes_over_exits_and_is_faster():
    """Four classes in Q1: nearest sends all 160 through EX1 (159 / 0.91 = 174.7 s of queue);
    the min-cost flow spreads them, so the evacuation ends sooner."""
    fp = _hall()
    fp["spaces"] += [space(f"C{i}", "classroom", 7.5, 5.0, capacity=40) for i in range(4)]
    fp["connections"] += [conn(f"C{i}", "Q1", "door", width_m=1.8) for i in range(4)]
    groups = [{"space": f"C{i}", "students": 40} for i in range(4)]
    results = {}
    for routing in ("nearest", "balanced"):
        loaded, plan = build(fp, _sc(groups, routing=routing))
        _, batch, refs, _ = run_both(loaded, plan)
        results[routing] = (plan, batch)
        for r, ref in enumerate(refs):
            from drillsim.engines.outcomes import max_abs_difference

            assert max(max_abs_difference(batch.run(r), ref).values()) <= 1e-9
    near_plan, near = results["nearest"]
    bal_plan, bal = results["balanced"]
    assert len(set(near_plan.person_exit.tolist())) == 1
    assert len(set(bal_plan.person_exit.tolist())) >= 2
    # classes stay together: one exit per class
    for i in range(4):
        s = bal_plan.space_ids.index(f"C{i}")
        assert len(set(bal_plan.person_exit[bal_plan.person_space == s].tolist())) == 1
    assert bal.person_arrive_s.max() < near.person_arrive_s.max() - 30


def test_posted_alternate_taken_when_primary_exit_blocked_and_counted():
    fp = _hall()
    groups = [{"space": "Q1", "students": 10}, {"space": "Q4", "students": 5}]
    routes = {"Q1": {"primary": "EX1", "alternate": "EX2"}, "Q4": {"primary": "EX4"}}
    loaded, plan = build(fp, _sc(groups, routing="posted", routes=routes, blocked=["EX1"]))
    ids = plan.space_ids
    assert {ids[e] for e in plan.person_exit[:10]} == {"EX2"}
    assert {ids[e] for e in plan.person_exit[10:]} == {"EX4"}
    assert int(plan.person_rerouted.sum()) == 10
    _, batch, _, _ = run_both(loaded, plan)
    m = score(plan, batch)
    assert m["rerouted_persons"][0] == 10
    assert m["time_all_outside_s"][0] == pytest.approx(np.nanmax(batch.person_arrive_s[0]))
    # the class accounted for = last at assembly (0 m here) + the 60 s default report delay
    assert m["time_all_accounted_s"][0] == pytest.approx(batch.person_safe_s[0].max() + 60.0)


@pytest.mark.parametrize(
    ("evacuation", "element", "words"),
    [
        (
            {"routing": "posted", "routes": {"Q9": {"primary": "EX1"}}},
            "routes.Q9",
            "not in floorplan",
        ),
        ({"routing": "posted", "routes": {"Q1": {"primary": "Q2"}}}, "routes.Q1.primary", "exit"),
        (
            {
                "routing": "posted",
                "routes": {"Q1": {"primary": "EX4", "via": ["Q3"]}},
                "out_of_bounds": ["Q3"],
            },
            "routes.Q1.via[0]",
            "out of bounds",
        ),
        (
            {"routing": "posted", "routes": {"Q1": {"primary": "EX1", "via": ["Q4"]}}},
            "routes.Q1",
            "twice",
        ),
        ({"blocked": ["EX1", "EX2", "EX3", "EX4"]}, "evacuation.blocked", "no way out"),
        ({"blocked": ["EX7"]}, "evacuation.blocked[0]", "not in floorplan"),
        ({"routes": {"Q1": {"primary": "EX1"}}}, "evacuation", "routing: posted"),
    ],
)
def test_bad_plans_are_rejected_with_element_and_fix(evacuation, element, words):
    with pytest.raises(ValidationError) as err:
        build(_hall(), _sc([{"space": "Q1", "students": 3}], **evacuation))
    text = str(err.value)
    assert element in text and words in text and "fix:" in text


def test_brief_for_a_blocked_exit_drill_shows_routes_exits_and_accountability(tmp_path):
    out = tmp_path / "brief"
    res = CliRunner().invoke(
        cli,
        [
            "brief",
            "scenarios/elementary-evacuate-class-posted-a-blocked.yaml",
            "--runs",
            "30",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    stats = json.loads((out / "briefing.json").read_text())["evacuation"]
    assert stats["routing"] == "posted" and stats["blocked"] == ["EX-A"]
    assert stats["rerouted"] > 0
    assert all(e["exit"] != "EX-A" for e in stats["exits"])
    rooms = {r["room"]: r for r in stats["rooms"]}
    rerouted = [r for r in rooms.values() if r["rerouted"]]
    assert rerouted and all(r["exit"] != "EX-A" for r in rerouted)
    assert all(r["accounted_median_s"] > r["out_median_s"] for r in rooms.values())
    html = (out / "briefing.html").read_text()
    assert "This is an evacuation DRILL" in html and "a evacuation" not in html
    assert "Room routes and accountability" in html and "Largest queues" in html
    queues = stats["queues"]
    assert queues and [q["max_queue_median"] for q in queues] == sorted(
        (q["max_queue_median"] for q in queues), reverse=True
    )
    assert all(q["max_queue_median"] <= q["people"] for q in queues)
    img = np.asarray(Image.open(out / "figures" / "evacuation_routes.png").convert("L"))
    assert img.shape[0] > 300 and img.std() > 10  # a drawn figure, not a blank page


def test_validate_reports_evacuation_plan_not_lockdown_counts():
    res = CliRunner().invoke(
        cli, ["validate", "scenarios/high-school-evacuate-class-posted-stc-blocked.yaml"]
    )
    assert res.exit_code == 0, res.output
    assert "routing posted" in res.output and "blocked: EX-STC" in res.output
    assert "rooms to secure" not in res.output


def test_wheelchair_user_waits_in_refuge_and_is_brought_down_by_the_helper():
    """Hand calculation (both engines). Room A upstairs: its teacher (the helper, person 0) and
    2 students, the second of whom uses a wheelchair. Doors 1.8 m: headway h = 1 / (1.3 x 1.5) =
    0.5128 s; stair 1.6 m: headway 1 / 1.3048 = 0.7664 s; level 1 m/s, stairs 0.5 m/s, assisted
    0.8 m/s level and 0.3 m/s on stairs.

    Teacher: first through the door (0 s), stairwell 5 m later, flight 10 m at 0.5 m/s, exit door
    and 5 m: out at 30 s. Walks back 5 m + 10 m of stair: 25 s (55 s); brings the student down
    10 m / 0.3 + 5 m / 0.8 = 39.583 s: out at 94.583 s. The wheelchair user reached the refuge
    (the upstairs stairwell) at 5 + 2h = 6.026 s and waited there; the teacher is safe with them
    at 94.583 s (assembly 0 m). The other student queues 0.25 s at the flight behind the
    teacher (5 + 0.7664 > 5 + h) and is out at 5.7664 + 20 + 5 = 30.766 s.
    """
    fp = _upstairs_room("refuge", capacity=2)
    groups = [{"space": "A", "students": 2, "teachers": 1}]
    sc = _sc(groups, assisted=[{"space": "A", "people": 1, "helper": "A"}])
    sc["incident"]["origin"] = "EX"
    loaded, plan = build(fp, sc)
    student, wheelchair = np.flatnonzero(plan.person_role == 0)
    teacher = int(np.flatnonzero(plan.person_role == 1)[0])
    assert plan.assist_helper[wheelchair] == teacher
    assert plan.space_ids[plan.assist_refuge[wheelchair]] == "ST1"
    _, batch, refs, _ = run_both(loaded, plan)
    from drillsim.engines.outcomes import max_abs_difference

    assert max(max_abs_difference(batch, refs[0]).values()) <= 1e-9
    th = 5 + 20 + 5
    assert teacher == 0
    assert batch.person_arrive_s[0, teacher] == pytest.approx(th, rel=1e-12)
    out = th + 25 + 10 / 0.3 + 5 / 0.8
    assert batch.person_arrive_s[0, wheelchair] == pytest.approx(out, rel=1e-12)
    assert out == pytest.approx(94.583, abs=1e-3)
    assert batch.person_safe_s[0, teacher] == pytest.approx(out, rel=1e-12)
    stair_h = 1 / (stair_specific_flow(1.3, 0.178, 0.279) * 1.3)
    assert batch.person_arrive_s[0, student] == pytest.approx(5 + stair_h + 25, rel=1e-12)


def test_batch_rooms_csv_for_an_evacuation_has_routes_not_lock_columns(tmp_path):
    out = tmp_path / "batch"
    res = CliRunner().invoke(
        cli,
        [
            "batch",
            "scenarios/elementary-evacuate-class-posted-a-blocked.yaml",
            "--runs",
            "40",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    import csv

    rows = list(csv.DictReader((out / "rooms.csv").open()))
    assert "door_locks" not in rows[0] and "median_secured_s" not in rows[0]
    assert {"exit", "alternate", "rerouted", "median_accounted_s"} <= set(rows[0])
    rerouted = [r for r in rows if r["rerouted"] == "1"]
    assert rerouted and all(r["exit"] != "EX-A" for r in rows)
    assert all(float(r["median_accounted_s"]) > float(r["median_out_s"]) for r in rows)
    summary = json.loads((out / "summary.json").read_text())["metrics"]
    assert summary["rerouted_persons"]["median"] == len(
        [1 for r in rerouted for _ in range(int(r["people"]))]
    )


def _csv_scenario(tmp_path, csv_text):
    import yaml

    root = Path(__file__).resolve().parents[1]
    sc = yaml.safe_load((root / "scenarios/elementary-evacuate-class-posted.yaml").read_text())
    sc["floorplan"] = str(root / "floorplans/elementary-school.yaml")
    (tmp_path / "routes.csv").write_text(csv_text)
    sc["evacuation"]["routes_csv"] = "routes.csv"
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(sc))
    return path


def test_routes_csv_is_read_with_waypoints(tmp_path):
    from drillsim.plan.compile import compile_plan
    from drillsim.scenario.load import load_scenario

    path = _csv_scenario(tmp_path, "room,primary,alternate,via\nA01,EX-W,EX-MAIN,H-M1\n")
    loaded = load_scenario(path)
    route = loaded.scenario.evacuation.routes["A01"]
    assert (route.primary, route.alternate, route.via) == ("EX-W", "EX-MAIN", ["H-M1"])
    plan = compile_plan(loaded)
    ids = plan.space_ids
    path_a01 = [ids[x] for x in plan.space_route[ids.index("A01")]]
    assert "H-M1" in path_a01 and path_a01[-1] == "EX-W"


@pytest.mark.parametrize(
    ("text", "element", "words"),
    [
        ("room,primary,assembly\nA01,EX-W,Field\n", "routes.A01.assembly", "no assembly areas"),
        ("room,primary,asembly\nA01,EX-W,Field\n", "(header)", "did you mean 'assembly'"),
        ("room,alternate\nA01,EX-W\n", "(header)", "missing column 'primary'"),
        ("room,primary\nA01,\n", "row 2", "required"),
        ("room,primary\nA01,EX-W\nA01,EX-A\n", "row 3.room", "twice"),
        ("room,primary\nA01,EX-WW\n", "routes.A01.primary", "EX-W"),
    ],
)
def test_routes_csv_problems_name_row_column_and_fix(tmp_path, text, element, words):
    from drillsim.scenario.load import load_scenario

    with pytest.raises(ValidationError) as err:
        load_scenario(_csv_scenario(tmp_path, text))
    msg = str(err.value)
    assert element in msg and words in msg and "fix:" in msg


def test_group_premovement_and_speed_apply_to_their_spaces_only_with_common_random_numbers():
    from drillsim.sample.draws import sample

    fp = _hall()
    groups = [{"space": "Q1", "students": 5}, {"space": "Q4", "students": 5}]
    base = _sc(groups)
    base["behaviour"]["premovement_s"] = {"dist": "uniform", "low": 0, "high": 60}
    base["behaviour"]["student_speed_mps"] = {"high": {"dist": "uniform", "low": 0.8, "high": 1.4}}
    loaded0, plan0 = build(fp, base)
    grouped = {
        **base,
        "evacuation": {
            "groups": [
                {
                    "spaces": ["Q4"],
                    "premovement_s": {"dist": "uniform", "low": 100, "high": 160},
                    "speed_mps": {"dist": "uniform", "low": 0.4, "high": 0.7},
                }
            ]
        },
    }
    loaded1, plan1 = build(fp, grouped)
    d0 = sample(plan0, loaded0.scenario, 7, 20)
    d1 = sample(plan1, loaded1.scenario, 7, 20)
    q4 = plan1.person_space == plan1.space_ids.index("Q4")
    # the same uniform through the group's distribution: 0..60 maps to 100..160 one to one
    assert d1.premovement_s[:, q4] == pytest.approx(100 + d0.premovement_s[:, q4], abs=1e-9)
    assert np.all((d1.speed_mps[:, q4] >= 0.4) & (d1.speed_mps[:, q4] <= 0.7))
    assert np.array_equal(d1.speed_mps[:, ~q4], d0.speed_mps[:, ~q4])
    assert np.array_equal(d1.premovement_s[:, ~q4], d0.premovement_s[:, ~q4])
    _, batch, refs, _ = run_both(loaded1, plan1)
    assert np.all(batch.person_move_s[0, q4] >= 100)
    from drillsim.engines.outcomes import max_abs_difference

    assert max(max_abs_difference(batch, refs[0]).values()) <= 1e-9


def test_review_places_an_evacuation_drill_in_the_simulated_ranges(tmp_path):
    import csv

    root = Path(__file__).resolve().parents[1]
    scenario = str(root / "scenarios/elementary-evacuate-class.yaml")
    brief = tmp_path / "brief"
    res = CliRunner().invoke(cli, ["brief", scenario, "--runs", "30", "--out", str(brief)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((brief / "observer_sheet.csv").open()))
    assert {"left_room_s", "assembly_reached_s"} <= set(rows[0])
    rows[0].update(alert_heard_s="5", left_room_s="0:40", assembly_reached_s="900")  # slow
    rows[1].update(alert_heard_s="6", left_room_s="30", assembly_reached_s="")
    sheet = tmp_path / "filled.csv"
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "review"
    res = CliRunner().invoke(
        cli, ["review", scenario, str(sheet), "--runs", "60", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads((out / "review.json").read_text())
    assert data["protocol"] == "evacuate" and data["n_observed"] == 2
    assert data["flagged_slow"] == [rows[0]["room"]]
    first = next(r for r in data["rooms"] if r["room"] == rows[0]["room"])
    assert first["assembly_reached_s"]["percentile"] == 100.0
    assert first["left_room_s"]["observed_s"] == 40.0
    table = list(csv.DictReader((out / "review_rooms.csv").open()))
    mine = next(r for r in table if r["room"] == rows[0]["room"])
    assert mine["observed_assembly_reached_s"] == "900.000"
    assert "slower than simulated p90" in mine["flags"]
    html = (out / "review.html").read_text()
    assert "Evacuation drill after-action report" in html

    rows[2].update(left_room_s="50", assembly_reached_s="20")  # out of order
    rows[3].update(room="A0l")  # typo
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    res = CliRunner().invoke(cli, ["review", scenario, str(sheet), "--out", str(tmp_path / "r2")])
    assert res.exit_code != 0
    assert "is before left_room_s" in res.output and "did you mean" in res.output
    assert not (tmp_path / "r2").exists()


def test_largest_queue_per_server_is_an_output_of_both_engines():
    """Hand calculation. Five students leave room A together at t0 through a 1.8 m door (headway
    h1 = 1 / (1.3 x 1.5) = 0.5128 s) into a hall, then 5 m on to a 0.91 m exit door (headway
    h2 = 1 / (1.3 x 0.61) = 1.2610 s).

    Room door: all five arrive at 0 s, the first passes at once, so 4 wait. Exit door: person n
    arrives at 5 + n h1 and leaves at 5 + n h2; just after arrival n, the people j <= n with
    5 + j h2 > 5 + n h1 are waiting, i.e. j > n h1 / h2 = 0.4067 n: for n = 4, j in {2, 3, 4}
    (4 x 0.4067 = 1.63), so at most 3 wait (n = 3 gives j in {2, 3}: 2).
    """
    fp = {
        "name": "queues",
        "spaces": [
            space("A", "classroom", 0, 0, capacity=5),
            space("H", "commons", 5, 0, size_w_m=10, size_h_m=10),
            space("EX", "exit", 10, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("A", "H", "door", width_m=1.8, length_m=5.0),
            conn("H", "EX", "door", width_m=0.91, length_m=5.0),
        ],
    }
    sc = _sc([{"space": "A", "students": 5}])
    sc["incident"]["origin"] = "EX"
    loaded, plan = build(fp, sc)
    net = plan.evac_net
    k_room = next(k for k in range(net.n_servers) if plan.space_ids[net.src[k]] == "A")
    k_exit = next(k for k in range(net.n_servers) if plan.space_ids[net.src[k]] == "H")
    h1, h2 = 1 / (1.3 * 1.5), 1 / (1.3 * 0.61)
    assert net.service_s[k_room] == pytest.approx(h1) and net.service_s[k_exit] == pytest.approx(h2)
    assert [j for j in range(5) if j > 4 * h1 / h2] == [2, 3, 4]
    _, batch, refs, _ = run_both(loaded, plan, n_runs=2)
    for r, ref in enumerate(refs):
        assert ref.server_max_queue[0, k_room] == 4 and ref.server_max_queue[0, k_exit] == 3
        assert np.array_equal(batch.server_max_queue[r], ref.server_max_queue[0])
    assert batch.server_max_queue.dtype == np.int32


def test_wheelchair_user_takes_two_walkers_of_door_capacity():
    """Hand calculation (both engines). Room A: a teacher (person 0) and a student who uses a
    wheelchair (person 1, ground floor: no refuge, leaves with the class); room B: two students
    (2, 3). Both rooms open onto a hall (1.8 m doors, headway h1 = 1 / (1.3 x 1.5) = 0.5128 s),
    A's door 5 m and B's 5.6 m from a 0.91 m exit door (headway h2 = 1 / (1.3 x 0.61) = 1.2610 s),
    level speed 1 m/s, exit 5 m on, assembly 0 m.

    Arrivals at the exit door: 5, 5 + h1 = 5.5128, 5.6, 5.6 + h1 = 6.1128. The wheelchair user
    (flow weight 2) holds the door for 2 h2: d = 5, 5 + h2, 5 + h2 + 2 h2 = 5 + 3 h2 = 8.7831,
    5 + 4 h2 = 10.0441; out 5 m later. Weight 1 gives 5 + 2 h2 and 5 + 3 h2 for room B.
    """
    fp = {
        "name": "wheelchair",
        "spaces": [
            space("A", "classroom", 0, 0, capacity=2),
            space("B", "classroom", 0, 5, capacity=2),
            space("H", "commons", 5, 0, size_w_m=10, size_h_m=10),
            space("EX", "exit", 10, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("A", "H", "door", width_m=1.8, length_m=5.0),
            conn("B", "H", "door", width_m=1.8, length_m=5.6),
            conn("H", "EX", "door", width_m=0.91, length_m=5.0),
        ],
    }
    groups = [{"space": "A", "students": 1, "teachers": 1}, {"space": "B", "students": 2}]
    h1, h2 = 1 / (1.3 * 1.5), 1 / (1.3 * 0.61)
    outs = {}
    for weight in (1.0, 2.0):
        sc = _sc(
            groups,
            assisted=[{"space": "A", "people": 1, "helper": "A"}],
            wheelchair_flow_weight=weight,
        )
        sc["incident"]["origin"] = "EX"
        loaded, plan = build(fp, sc)
        assert plan.person_role.tolist() == [1, 0, 0, 0]
        assert plan.assist_helper[1] == -1  # no stair: no refuge, walks with the class
        assert plan.person_flow_weight.tolist() == [1.0, weight, 1.0, 1.0]
        _, batch, refs, _ = run_both(loaded, plan)
        from drillsim.engines.outcomes import max_abs_difference

        assert max(max_abs_difference(batch, refs[0]).values()) <= 1e-9
        outs[weight] = batch.person_arrive_s[0]
    assert outs[2.0] == pytest.approx([10, 10 + h2, 10 + 3 * h2, 10 + 4 * h2], rel=1e-12)
    assert outs[1.0] == pytest.approx([10, 10 + h2, 10 + 2 * h2, 10 + 3 * h2], rel=1e-12)
    assert 5 + 3 * h2 == pytest.approx(8.7831, abs=1e-4) and 5.6 + h1 == pytest.approx(6.1128, 1e-4)


def test_helper_makes_one_trip_per_person_when_per_trip_is_one():
    """Hand calculation (both engines). As the refuge case above: room A upstairs, its teacher
    (person 0, the helper) and three students, the last two of whom cannot use stairs (weight 1).
    Teacher out at 5 + 10 / 0.5 + 5 = 30 s; back up 5 m + 10 m of stair: 25 s, at the refuge at
    55 s; down with the first: 10 / 0.3 + 5 / 0.8 = 39.583 s, out at 94.583 s; back up again
    (exit -> refuge, 25 s) at 119.583 s; down with the second: out at 159.167 s. The teacher is
    safe with the last of them (assembly 0 m). In one trip (the default) both are out at
    94.583 s.
    """
    fp = _upstairs_room("trips", capacity=3)
    groups = [{"space": "A", "students": 3, "teachers": 1}]
    down = 10 / 0.3 + 5 / 0.8
    first = 30 + 25 + down
    expected = {None: [first, first], 1: [first, first + 25 + down], 2: [first, first]}
    for per_trip, (out1, out2) in expected.items():
        entry = {"space": "A", "people": 2, "helper": "A", "mobility": "no_stairs"}
        if per_trip is not None:
            entry["per_trip"] = per_trip
        sc = _sc(groups, assisted=[entry])
        sc["incident"]["origin"] = "EX"
        loaded, plan = build(fp, sc)
        assert plan.person_role.tolist() == [1, 0, 0, 0]
        assert plan.assist_trip.tolist() == [-1, -1, 0, 0 if per_trip != 1 else 1]
        _, batch, refs, _ = run_both(loaded, plan, n_runs=2)
        from drillsim.engines.outcomes import max_abs_difference

        for r, ref in enumerate(refs):
            assert max(max_abs_difference(batch.run(r), ref).values()) <= 1e-9
        arrive = batch.person_arrive_s[0]
        assert arrive[0] == pytest.approx(30, rel=1e-12)
        assert arrive[2:].tolist() == pytest.approx([out1, out2], rel=1e-12)
        assert batch.person_safe_s[0, 0] == pytest.approx(out2, rel=1e-12)
    assert first + 25 + down == pytest.approx(159.167, abs=1e-3)


def _two_exits():
    """Room A (1.8 m door, 5 m) onto a hall; EX1 5 m on through a 0.91 m door, EX2 20 m on
    through a 1.8 m door. Everyone's nearest exit is EX1."""
    return {
        "name": "two-exits",
        "spaces": [
            space("A", "classroom", 0, 0, capacity=4),
            space("H", "commons", 5, 0, size_w_m=10, size_h_m=10),
            space("EX1", "exit", 10, 0, assembly_distance_m=0),
            space("EX2", "exit", 25, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("A", "H", "door", width_m=1.8, length_m=5.0),
            conn("H", "EX1", "door", width_m=0.91, length_m=5.0),
            conn("H", "EX2", "door", width_m=1.8, length_m=20.0),
        ],
    }


def test_exit_blocked_later_turns_back_the_queue_and_reroutes_later_arrivals():
    """Hand calculation (both engines). Four students leave A at 0 s (room door headway
    h1 = 1 / (1.3 x 1.5) = 0.5128 s) and reach the EX1 door (headway h2 = 1 / (1.3 x 0.61) =
    1.2610 s) at 5 + n h1 = 5, 5.5128, 6.0256, 6.5385 s, where they would pass at 5 + n h2 = 5,
    6.2610, 7.5220, 8.7831 s. EX1 is blocked from 6.3 s:

    * persons 0 and 1 pass before 6.3 s: out at 10 and 11.2610 s;
    * person 2 is queued at 6.3 s (arrived 6.0256, would pass 7.5220): turns back at 6.3 s and
      walks the 20 m to EX2 (free door): out at 26.3 s, queued 2 h1 + (6.3 - 6.0256) = 1.3 s;
    * person 3 reaches the hall at 6.5385 s, after the blockage: goes on to EX2 at once; the EX2
      door is free again at 6.3 + h1 = 6.8128 s, out at 26.8128 s.
    Two people rerouted; the EX1 queue held at most 2 (persons 1 and 2 at 6.0256 s).
    """
    sc = _sc([{"space": "A", "students": 4}], blocked_from={"EX1": 6.3})
    sc["incident"]["origin"] = "EX2"
    loaded, plan = build(_two_exits(), sc)
    assert plan.evac_net.rerouting and plan.evac_net.block_times.tolist() == [6.3]
    _, batch, refs, logs = run_both(loaded, plan, n_runs=2)
    from drillsim.engines.outcomes import max_abs_difference

    for r, ref in enumerate(refs):
        assert max(max_abs_difference(batch.run(r), ref).values()) <= 1e-9
    h1, h2 = 1 / (1.3 * 1.5), 1 / (1.3 * 0.61)
    assert 5 + h2 < 6.3 <= 5 + 2 * h2 and 5 + 2 * h1 < 6.3 <= 5 + 3 * h1
    assert batch.person_arrive_s[0].tolist() == pytest.approx(
        [10, 10 + h2, 26.3, 6.3 + h1 + 20], rel=1e-12
    )
    assert 6.3 + h1 + 20 == pytest.approx(26.8128, abs=1e-4)
    ids = plan.space_ids
    assert [ids[e] for e in batch.person_exit[0]] == ["EX1", "EX1", "EX2", "EX2"]
    assert batch.person_reroute_s[0, :2].tolist() == [pytest.approx(np.nan, nan_ok=True)] * 2
    assert batch.person_reroute_s[0, 2:].tolist() == pytest.approx([6.3, 5 + 3 * h1], rel=1e-12)
    assert batch.person_queue_s[0, 2] == pytest.approx(2 * h1 + 6.3 - (5 + 2 * h1), rel=1e-9)
    k_ex1 = next(k for k in range(plan.evac_net.n_servers) if ids[plan.evac_net.dst[k]] == "EX1")
    assert batch.server_max_queue[0, k_ex1] == 2
    kinds = [row[3] for row in logs[0].rows]
    assert kinds.count("turns_back") == 1 and kinds.count("reroutes") == 1
    assert score(plan, batch)["rerouted_persons"].tolist() == [2.0, 2.0]


def test_exit_blocked_from_a_time_is_validated():
    for blocked_from, element, words in (
        ({"EX9": 60}, "evacuation.blocked_from.EX9", "not in floorplan"),
        ({"EX1": -5}, "evacuation.blocked_from", "before t0"),
        ({"EX1": 60, "EX2": 60}, "evacuation.blocked_from.", "no way out"),
    ):
        sc = _sc([{"space": "A", "students": 4}], blocked_from=blocked_from)
        sc["incident"]["origin"] = "H"
        with pytest.raises(ValidationError) as err:
            build(_two_exits(), sc)
        text = str(err.value)
        assert element in text and words in text, text
    sc = _sc([{"space": "A", "students": 4}], blocked_from={"EX1": float("inf")})
    with pytest.raises(ValidationError):
        build(_two_exits(), sc)
    sc = _sc([{"space": "A", "students": 4}], blocked_from={"EX1": 5})
    sc["protocol"] = "options"
    with pytest.raises(ValidationError, match="modelled for protocol: evacuate"):
        build(_two_exits(), sc)
    sc = _sc([{"space": "A", "students": 4}], blocked=["EX1"], blocked_from={"EX1": 5})
    with pytest.raises(ValidationError, match=r"also in evacuation\.blocked"):
        build(_two_exits(), sc)


def test_per_exit_people_are_the_exits_used_not_the_planned_routes():
    """After a later blockage the brief's exit table counts the exits people actually used
    (median over runs), with the planned count beside it; without one both agree."""
    from drillsim.reports.brief.stats import evacuation_stats
    from drillsim.run.batch import run_batch_job
    from drillsim.scenario.load import load_scenario

    root = Path(__file__).resolve().parents[1] / "scenarios"
    later = load_scenario(root / "high-school-evacuate-class-posted-stc-blocked-60s.yaml")
    res = run_batch_job(later, 40, 5, workers=1)
    plan = res.plan
    assert res.exit_people.shape == (40, plan.n_spaces)
    # every person leaves by exactly one exit in every run
    np.testing.assert_array_equal(res.exit_people.sum(axis=1), np.full(40, plan.n_persons))
    rows = {e["exit"]: e for e in evacuation_stats(later, res)["exits"]}
    stc = plan.space_ids.index("EX-STC")
    assert rows["EX-STC"]["people_planned"] == int((plan.person_exit == stc).sum()) == 251
    assert rows["EX-STC"]["people"] == round(float(np.median(res.exit_people[:, stc])))
    assert rows["EX-STC"]["people"] < 60  # most of its classes were turned away at 60 s
    assert rows["EX-STE"]["people"] > rows["EX-STE"]["people_planned"]
    # no later blockage: the exits used are the planned ones, in every run
    posted = load_scenario(root / "high-school-evacuate-class-posted.yaml")
    res = run_batch_job(posted, 20, 5, workers=1)
    planned = np.bincount(res.plan.person_exit, minlength=res.plan.n_spaces)
    np.testing.assert_array_equal(res.exit_people, np.broadcast_to(planned, res.exit_people.shape))
    for e in evacuation_stats(posted, res)["exits"]:
        assert e["people"] == e["people_planned"]


def _upstairs_room(name: str, capacity: int) -> dict:
    """Room A upstairs: 5 m door to stair ST1, a 10 m flight to ST0, 5 m door to the exit."""
    return {
        "name": name,
        "floors": [{"level": 0, "name": "G"}, {"level": 1, "name": "1"}],
        "spaces": [
            space("A", "classroom", 0, 0, floor=1, capacity=capacity),
            space("ST1", "stair", 5, 0, floor=1),
            space("ST0", "stair", 5, 0, floor=0),
            space("EX", "exit", 10, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("A", "ST1", "door", width_m=1.8, length_m=5.0),
            conn("ST1", "ST0", "stair", width_m=1.6, length_m=10.0),
            conn("ST0", "EX", "door", width_m=1.8, length_m=5.0),
        ],
    }
