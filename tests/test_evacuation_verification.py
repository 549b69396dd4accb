"""Evacuation verification against published cases (RiMEA 3.0 annex tests, SFPE hand calculations).

Sources (see /work/shared/research/verification.md for the tags): RiMEA 3.0.0 tests 1, 5, 9, 10, 12,
13 as transcribed by the JuPedSim test suite; SFPE Handbook 5th ed. ch. 59 (Gwynne & Rosenbaum)
for specific flows, boundary layers and stair k. Every expected value is written with its arithmetic.
Both engines must agree within 1e-9 s on every case.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from drillsim.engines.batch import run_batch
from drillsim.engines.batch.servers import max_queue, traverse
from drillsim.engines.outcomes import max_abs_difference
from drillsim.engines.reference import EventLog, Run
from drillsim.plan.servers import stair_specific_flow
from drillsim.sample.draws import sample

from builders import build, conn, quiet_scenario, run_both, space

NOW = {"channels": {"pa": {"latency_s": 0}, "radio": None, "word_of_mouth": None}}
NO_HAZARD = {"avoid_origin": False, "avoid_neighbours": False}


def _agree(batch, refs):
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        assert max(diff.values()) <= 1e-9, diff


def _scenario(groups, origin, **kw):
    return quiet_scenario(
        "evacuate",
        incident={"origin": origin, "detection_delay_s": 0},
        population={"preset": "none", "groups": groups},
        alert=NOW,
        hazard=NO_HAZARD,
        **kw,
    )


def _passage(loaded, plan, seed=1):
    """Batch per-row arrivals/departures and the draws (one run)."""
    d = sample(plan, loaded.scenario, seed, 1)
    start = (d.premovement_s[:, plan.person_leader]).T.copy()
    p = traverse(
        plan.evac_net, start, d.speed_mps.T.copy(), d.stair_speed_mps.T.copy(), keep_arrivals=True
    )
    return p, d


def _server(plan, a, b):
    ids = plan.space_ids
    net = plan.evac_net
    for k in range(net.n_servers):
        if ids[net.src[k]] == a and ids[net.dst[k]] == b:
            return k
    raise KeyError((a, b))


def test_rimea_5_each_person_starts_at_its_own_premovement_time():
    """RiMEA test 5: 8 m x 5 m room, 1 m exit, 10 people with pre-movement 10, 20, ..., 100 s.

    Each person must start moving at its assigned time exactly (JuPedSim: within 2 frames).
    """
    fp = {
        "name": "rimea5",
        "spaces": [
            space("ROOM", "commons", 0, size_w_m=8, size_h_m=5),
            space("EX", "exit", 4, assembly_distance_m=0),
        ],
        "connections": [conn("ROOM", "EX", "door", width_m=1.0, length_m=4.0)],
    }
    loaded, plan = build(fp, _scenario([{"space": "ROOM", "students": 10}], "EX"))
    d = sample(plan, loaded.scenario, 1, 1)
    assigned = np.arange(10, 101, 10, dtype=float)[None, :]  # 10, 20, ..., 100 s
    d = replace(d, premovement_s=assigned)
    batch = run_batch(plan, d)
    ref = Run(plan, d, EventLog()).simulate()
    assert batch.person_move_s[0] == pytest.approx(assigned[0], abs=0.0)
    # 10 s apart and a door of 1.3 x 0.7 = 0.91 p/s: nobody queues; arrival = start + 4 m / 1 m/s
    assert batch.person_arrive_s[0] == pytest.approx(assigned[0] + 4.0, abs=1e-12)
    assert max(max_abs_difference(batch, ref).values()) <= 1e-9


def _hall(blocked=()):
    """RiMEA test 9: 30 m x 20 m hall as four 15 m x 10 m quadrants, a 1 m door in each.

    Q1, Q2 along the south wall (doors EX1, EX2), Q3, Q4 along the north wall (EX3, EX4);
    quadrants joined by wide openings. 1000 people, 250 per quadrant, immediate reaction.
    """
    quads = {"Q1": (7.5, 5.0), "Q2": (22.5, 5.0), "Q3": (7.5, 15.0), "Q4": (22.5, 15.0)}
    spaces = [space(q, "commons", x, y, size_w_m=15, size_h_m=10) for q, (x, y) in quads.items()]
    spaces += [
        space("EX1", "exit", 5, -1, assembly_distance_m=0),
        space("EX2", "exit", 25, -1, assembly_distance_m=0),
        space("EX3", "exit", 5, 21, assembly_distance_m=0),
        space("EX4", "exit", 25, 21, assembly_distance_m=0),
    ]
    conns = [
        conn("Q1", "Q2", "opening", width_m=10.0),
        conn("Q3", "Q4", "opening", width_m=10.0),
        conn("Q1", "Q3", "opening", width_m=15.0),
        conn("Q2", "Q4", "opening", width_m=15.0),
        conn("Q1", "EX1", "door", width_m=1.0, length_m=6.0),
        conn("Q2", "EX2", "door", width_m=1.0, length_m=6.0),
        conn("Q3", "EX3", "door", width_m=1.0, length_m=6.0),
        conn("Q4", "EX4", "door", width_m=1.0, length_m=6.0),
    ]
    fp = {"name": "rimea9", "spaces": spaces, "connections": conns}
    groups = [{"space": q, "students": 250} for q in quads]
    sc = _scenario(groups, "EX1", evacuation={"blocked": list(blocked)})
    return build(fp, sc)


def test_rimea_9_two_exits_take_about_twice_as_long_as_four():
    """RiMEA test 9: closing doors 1 and 2 (one long wall) roughly doubles the clearance time.

    Door capacity 1.3 x (1.0 - 2 x 0.15) = 0.91 p/s. Four doors: 250 each, the last leaves its door
    at 249 / 0.91 = 273.6 s and walks 6 m at 1 m/s: 279.6 s. Two doors: 500 each (the south
    quadrants walk 10 m north through the openings and join the queue), the last leaves at
    499 / 0.91 = 548.4 s: 554.4 s. Ratio 554.4 / 279.6 = 1.98, inside JuPedSim's [1.6, 2.4].
    """
    cap = 1.3 * (1.0 - 2 * 0.15)
    loaded4, plan4 = _hall()
    _, b4, refs4, _ = run_both(loaded4, plan4)
    loaded2, plan2 = _hall(blocked=["EX1", "EX2"])
    _, b2, refs2, _ = run_both(loaded2, plan2)
    t4 = b4.person_arrive_s[0].max()
    t2 = b2.person_arrive_s[0].max()
    assert t4 == pytest.approx(249 / cap + 6.0, rel=1e-12)
    assert t2 == pytest.approx(499 / cap + 6.0, rel=1e-12)
    assert 1.6 <= t2 / t4 <= 2.4
    assert t2 / t4 == pytest.approx(1.98, abs=0.01)
    # the blocked variant says how many had to take another way: the 500 in the south quadrants
    assert int(plan2.person_rerouted.sum()) == 500
    assert int(plan4.person_rerouted.sum()) == 0
    _agree(b4, refs4)
    _agree(b2, refs2)


def test_rimea_10_every_person_uses_its_assigned_exit():
    """RiMEA test 10: 12 rooms along a corridor; rooms 1-4 and 7-10 are assigned the main exit,
    rooms 5, 6, 11, 12 the secondary exit; 2 people per room except room 3 (1): 23 people.

    Pass: 100 % use their assigned exit, 15 the main and 8 the secondary. The main exit is at room
    3's position; room 4 is nearer the secondary exit but assigned the main one.
    """
    spaces, conns, routes, groups = [], [], {}, []
    for i in range(6):
        x = 3.0 * i + 1.5
        spaces.append(space(f"H{i + 1}", "corridor", x, 0, size_w_m=3, size_h_m=1.0))
        if i:
            conns.append(conn(f"H{i}", f"H{i + 1}", "opening", width_m=1.0))
    for y, first in ((-3.5, 1), (3.5, 7)):
        for i in range(6):
            room = f"R{first + i}"
            spaces.append(space(room, "classroom", 3.0 * i + 1.5, y, capacity=2))
            conns.append(conn(room, f"H{i + 1}", "door", width_m=0.9))
            groups.append({"space": room, "students": 1 if first + i == 3 else 2})
            exit_ = "EX-SEC" if (first + i) in (5, 6, 11, 12) else "EX-MAIN"
            routes[room] = {"primary": exit_}
    spaces += [
        space("EX-MAIN", "exit", 7.5, -8, assembly_distance_m=0),
        space("EX-SEC", "exit", 20, 0, assembly_distance_m=0),
    ]
    conns += [
        conn("H3", "EX-MAIN", "door", width_m=1.2),
        conn("H6", "EX-SEC", "door", width_m=0.9),
    ]
    fp = {"name": "rimea10", "spaces": spaces, "connections": conns}
    sc = _scenario(groups, "EX-MAIN", evacuation={"routing": "posted", "routes": routes})
    loaded, plan = build(fp, sc)
    ids = plan.space_ids
    used = [ids[e] for e in plan.person_exit]
    assigned = [routes[ids[s]]["primary"] for s in plan.person_space]
    assert used == assigned  # 100 % use the assigned exit
    assert used.count("EX-MAIN") == 15 and used.count("EX-SEC") == 8
    # nearest routing would send room 4 to the secondary exit: the plan really was followed
    _, nearest = build(fp, _scenario(groups, "EX-MAIN"))
    r4 = [p for p in range(plan.n_persons) if ids[plan.person_space[p]] == "R4"]
    assert {nearest.space_ids[nearest.person_exit[p]] for p in r4} == {"EX-SEC"}
    _, batch, refs, _ = run_both(loaded, plan)
    assert np.isfinite(batch.person_arrive_s).all()
    _agree(batch, refs)


def _bottleneck():
    """RiMEA test 12: room 1 (10 x 10) -> corridor 5 m long, 1 m wide -> room 2 (10 x 10) -> 1 m
    exit. 150 people in room 1, pre-movement 0."""
    fp = {
        "name": "rimea12",
        "spaces": [
            space("ROOM1", "commons", 5, 0, size_w_m=10, size_h_m=10),
            space("NECK", "corridor", 12.5, 0, size_w_m=5, size_h_m=1.0),
            space("ROOM2", "commons", 20, 0, size_w_m=10, size_h_m=10),
            space("EX", "exit", 26, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("ROOM1", "NECK", "opening", width_m=1.0, length_m=7.5),
            conn("NECK", "ROOM2", "opening", width_m=1.0, length_m=7.5),
            conn("ROOM2", "EX", "door", width_m=1.0, length_m=6.0),
        ],
    }
    return build(fp, _scenario([{"space": "ROOM1", "students": 150}], "EX"))


def test_rimea_12_the_queue_forms_at_the_bottleneck_not_downstream():
    """RiMEA test 12: congestion in room 1 only, none in room 2.

    The corridor (1 m wide, 0.20 m wall layers) carries 1.3 x 0.6 = 0.78 p/s; entering it is the
    bottleneck. Its exit opening (1.3 x 0.7 = 0.91 p/s) and the exit door (0.91 p/s) carry more, so
    people arrive there spaced 1 / 0.78 s apart and never queue. The last person enters the corridor
    at 149 / 0.78 = 191.0 s and reaches the exit 7.5 + 7.5 + 6 = 21 m later: 212.0 s.
    JuPedSim's criterion J_bottleneck - J_last_exit >= -0.05 p/s: both flows are 0.78 here.
    """
    loaded, plan = _bottleneck()
    neck_cap = 1.3 * (1.0 - 2 * 0.20)
    p, _ = _passage(loaded, plan)
    q = max_queue(plan.evac_net, p.arr, p.dep)[0]
    k_in = _server(plan, "ROOM1", "NECK")
    k_out = _server(plan, "NECK", "ROOM2")
    k_exit = _server(plan, "ROOM2", "EX")
    assert plan.evac_net.service_s[k_in] == pytest.approx(1 / neck_cap)
    assert q[k_in] == 149  # everyone but the first waits in room 1 at once
    assert q[k_out] == 0 and q[k_exit] == 0  # no congestion in the corridor or in room 2
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_arrive_s[0].max() == pytest.approx(149 / neck_cap + 21.0, rel=1e-12)
    assert batch.person_queue_s[0].max() == pytest.approx(149 / neck_cap, rel=1e-12)
    exit_rows = plan.evac_net.rows(k_exit)
    j_exit = 149 / (p.dep[exit_rows, 0].max() - p.dep[exit_rows, 0].min())
    assert neck_cap - j_exit >= -0.05
    _agree(batch, refs)


def test_rimea_13_the_stair_limits_the_flow_not_the_door():
    """RiMEA test 13: room -> corridor -> stair; the queue grows at the stair because the stair
    carries less than the corridor delivers.

    Room door 1.2 m: 1.3 x 0.9 = 1.17 p/s. Corridor 2 m: 1.3 x 1.6 = 2.08 p/s. Stair 1.2 m wide,
    7/11 in riser/tread: k = 51.8 x sqrt(11/7) / 60 = 1.0809 m/s, Fs = 1.3 x 1.0809 / 1.40 =
    1.0037 p/(s m), Fc = 1.0037 x 0.9 = 0.9033 p/s. 150 people: the stair passes its last person
    149 / 0.9033 = 164.9 s after its first (who arrives after 5 m of corridor walk at 1 m/s).
    JuPedSim's criterion |J_corridor - J_stair| >= 0.05: 1.17 - 0.90 = 0.27 p/s.
    """
    fp = {
        "name": "rimea13",
        "floors": [{"level": 0, "name": "G"}, {"level": 1, "name": "1"}],
        "spaces": [
            space("ROOM", "classroom", 0, 0, floor=1, capacity=150),
            space("HALL", "corridor", 10, 0, floor=1, size_w_m=10, size_h_m=2.0),
            space("FOOT", "stair", 10, 0, floor=0),
            space("EX", "exit", 15, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("ROOM", "HALL", "door", width_m=1.2, length_m=5.0),
            conn("HALL", "FOOT", "stair", width_m=1.2, length_m=10.0),
            conn("FOOT", "EX", "door", width_m=1.8, length_m=5.0),
        ],
    }
    loaded, plan = build(fp, _scenario([{"space": "ROOM", "students": 150}], "EX"))
    door_cap = 1.3 * (1.2 - 2 * 0.15)
    k_stair = 51.8 * math.sqrt(0.279 / 0.178) / 60
    stair_cap = 1.3 * k_stair / 1.40 * (1.2 - 2 * 0.15)
    assert stair_cap == pytest.approx(0.9033, abs=1e-4)
    assert stair_specific_flow(1.3, 0.178, 0.279) == pytest.approx(1.0037, abs=1e-4)
    assert door_cap - stair_cap >= 0.05
    p, _ = _passage(loaded, plan)
    q = max_queue(plan.evac_net, p.arr, p.dep)[0]
    k_stair_srv = _server(plan, "HALL", "FOOT")
    k_door = _server(plan, "ROOM", "HALL")
    rows = plan.evac_net.rows(k_stair_srv)
    first = p.arr[rows, 0].min()
    assert first == pytest.approx(5.0)
    assert p.dep[rows, 0].max() == pytest.approx(first + 149 / stair_cap, rel=1e-12)
    # the stair queue holds the people the door delivered faster than the stair took them
    assert q[k_stair_srv] > 20
    assert q[k_door] == 149
    _, batch, refs, _ = run_both(loaded, plan)
    _agree(batch, refs)


def test_sfpe_stair_descent_with_a_merging_floor_flow():
    """SFPE hydraulic hand calculation: floor 2 descends the stair and merges at the floor-1
    landing with floor 1's occupants; the flight below carries both at its capacity.

    Stairs 1.6 m wide, 7/11 in: Fc = 1.0037 x (1.6 - 0.30) = 1.3048 p/s. 60 people on each floor,
    doors 1.8 m (1.3 x 1.5 = 1.95 p/s, faster than the stair), 5 m from room to stairwell at 1 m/s,
    flights 10 m at 0.5 m/s (20 s). Floor 1 reaches the lower flight at 5 s; floor 2 joins from
    25 s, before floor 1's queue has drained (5 + 59 / 1.3048 = 50.2 s), so the flight never idles:
    its 120th person leaves at 5 + 119 / 1.3048 = 96.2 s, reaches the ground landing 20 s later and
    the exit 5 m on: 121.2 s. The SFPE flow time N / Fc = 120 / 1.3048 = 92.0 s.
    """
    fp = {
        "name": "sfpe-merge",
        "floors": [{"level": f, "name": f"F{f}"} for f in range(3)],
        "spaces": [
            space("A", "classroom", 0, 0, floor=2, capacity=60),
            space("B", "classroom", 0, 0, floor=1, capacity=60),
            space("ST2", "stair", 5, 0, floor=2),
            space("ST1", "stair", 5, 0, floor=1),
            space("ST0", "stair", 5, 0, floor=0),
            space("EX", "exit", 10, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("A", "ST2", "door", width_m=1.8, length_m=5.0),
            conn("B", "ST1", "door", width_m=1.8, length_m=5.0),
            conn("ST2", "ST1", "stair", width_m=1.6, length_m=10.0),
            conn("ST1", "ST0", "stair", width_m=1.6, length_m=10.0),
            conn("ST0", "EX", "door", width_m=1.8, length_m=5.0),
        ],
    }
    groups = [{"space": "A", "students": 60}, {"space": "B", "students": 60}]
    loaded, plan = build(fp, _scenario(groups, "EX"))
    fc = stair_specific_flow(1.3, 0.178, 0.279) * (1.6 - 2 * 0.15)
    assert fc == pytest.approx(1.3048, abs=1e-4)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_arrive_s[0].max() == pytest.approx(5 + 119 / fc + 20 + 5, rel=1e-12)
    assert batch.person_arrive_s[0].max() == pytest.approx(121.2, abs=0.05)
    _agree(batch, refs)


def test_steeper_stairs_are_slower_and_carry_less():
    """SFPE stair k by riser/tread: 7.5/10 in (0.191/0.254 m) against the 7/11 reference.

    Speed factor sqrt((0.254/0.191) / (0.279/0.178)) = sqrt(1.3298 / 1.5674) = 0.9211: 10 m of stair
    at a drawn 0.5 m/s takes 10 / (0.5 x 0.9211) = 21.71 s instead of 20 s. Specific flow
    1.3 x 51.8 x sqrt(0.254/0.191) / 60 / 1.40 = 0.925 p/(s m) (SFPE table: 0.94).
    """
    fp = {
        "name": "steep",
        "floors": [{"level": 0, "name": "G"}, {"level": 1, "name": "1"}],
        "spaces": [
            space("H1", "corridor", 0, floor=1),
            space("S0", "stair", 0, floor=0),
            space("EX", "exit", 5, assembly_distance_m=0),
        ],
        "connections": [
            conn("H1", "S0", "stair", length_m=10.0),
            conn("S0", "EX", "opening", length_m=5.0),
        ],
    }
    ev = {"stair_riser_m": 0.191, "stair_tread_m": 0.254}
    loaded, plan = build(fp, _scenario([{"space": "H1", "students": 1}], "EX", evacuation=ev))
    factor = math.sqrt((0.254 / 0.191) / (0.279 / 0.178))
    assert factor == pytest.approx(0.9211, abs=1e-4)
    assert stair_specific_flow(1.3, 0.191, 0.254) == pytest.approx(0.925, abs=1e-3)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_arrive_s[0, 0] == pytest.approx(10 / (0.5 * factor) + 5.0, rel=1e-12)
    _agree(batch, refs)


def test_narrowing_openings_and_stairs_now_changes_the_evacuation():
    """The symptom in issue 7: narrowing stair and corridor openings to 0.4 m (less than two
    boundary layers) is rejected with the element and a fix; to 0.7 m it slows the evacuation."""
    from drillsim.errors import ValidationError

    loaded, plan = _bottleneck()
    assert plan.evac_net.n_servers == 3
    narrow = {
        "name": "narrow",
        "spaces": [
            space("ROOM1", "commons", 5, 0, size_w_m=10, size_h_m=10),
            space("ROOM2", "commons", 20, 0, size_w_m=10, size_h_m=10),
            space("EX", "exit", 26, 0, assembly_distance_m=0),
        ],
        "connections": [
            conn("ROOM1", "ROOM2", "opening", width_m=0.25, length_m=15.0),
            conn("ROOM2", "EX", "door", width_m=1.0, length_m=6.0),
        ],
    }
    with pytest.raises(ValidationError) as err:
        build(narrow, _scenario([{"space": "ROOM1", "students": 10}], "EX"))
    assert "ROOM1--ROOM2" in str(err.value) and "wider than 0.3 m" in str(err.value)
    times = []
    for width in (1.8, 0.7):
        narrow["connections"][0]["width_m"] = width
        loaded, plan = build(narrow, _scenario([{"space": "ROOM1", "students": 100}], "EX"))
        _, batch, refs, _ = run_both(loaded, plan)
        _agree(batch, refs)
        times.append(batch.person_arrive_s[0].max())
    # 1.8 m: the 1 m exit door (0.91 p/s) limits, its queue starts when the first arrives after
    # 15 m at 1 m/s: 15 + 99 / 0.91 + 6 = 129.8 s; 0.7 m: the opening, 1.3 x 0.4 = 0.52 p/s,
    # spaces people wider than the door needs: 99 / 0.52 + 15 + 6 = 211.4 s
    assert times[0] == pytest.approx(15 + 99 / 0.91 + 6.0, rel=1e-9)
    assert times[1] == pytest.approx(99 / 0.52 + 15 + 6.0, rel=1e-9)


def test_reference_server_logs_match_batch_queues():
    """The batch engine's per-row arrivals/departures equal the reference servers' own log."""
    loaded, plan = _bottleneck()
    p, d = _passage(loaded, plan)
    run = Run(plan, d, EventLog())
    run.simulate()
    for k, srv in enumerate(run.servers.servers):
        rows = plan.evac_net.rows(k)
        got = sorted(srv.log)
        want = sorted(zip(p.arr[rows, 0], p.dep[rows, 0], strict=True))
        assert np.allclose(np.array(got), np.array(want), rtol=0, atol=1e-9)
