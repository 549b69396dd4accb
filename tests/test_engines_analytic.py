"""Hand-calculated cases: both engines must hit the published / hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drillsim.engines.outcomes import max_abs_difference

from builders import build, conn, quiet_scenario, run_both, space


def _agree(batch, refs):
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        assert max(diff.values()) <= 1e-9, diff


def test_one_walker_in_a_corridor_takes_length_over_speed():
    """RiMEA test 1 / IMO test 1: 40 m at 1.33 m/s takes 30.08 s (window 26-34 s)."""
    fp = {
        "name": "corridor",
        "spaces": [space("H1", "corridor", 0), space("EX", "exit", 40, assembly_distance_m=0)],
        "connections": [conn("H1", "EX", "opening", length_m=40.0)],
    }
    sc = quiet_scenario(
        "evacuate",
        population={"preset": "none", "groups": [{"space": "H1", "students": 1}]},
        behaviour={"student_speed_mps": {"high": 1.33}},
        alert={"channels": {"pa": {"latency_s": 0}, "radio": None, "word_of_mouth": None}},
    )
    loaded, plan = build(fp, sc)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_arrive_s[0, 0] == pytest.approx(40 / 1.33, abs=1e-12)
    assert 26.0 <= batch.person_arrive_s[0, 0] <= 34.0
    _agree(batch, refs)


def test_stair_walk_uses_stair_speed():
    """IMO tests 2/3: 10 m of stair at 1.0 m/s takes 10 s."""
    fp = {
        "name": "stair",
        "floors": [{"level": 0, "name": "G"}, {"level": 1, "name": "1"}],
        "spaces": [
            space("H1", "corridor", 0, floor=1),
            space("S0", "corridor", 0, floor=0),
            space("EX", "exit", 5, assembly_distance_m=0),
        ],
        "connections": [
            conn("H1", "S0", "stair", length_m=10.0),
            conn("S0", "EX", "opening", length_m=5.0),
        ],
    }
    sc = quiet_scenario(
        "evacuate",
        population={"preset": "none", "groups": [{"space": "H1", "students": 1}]},
        behaviour={"student_stair_speed_mps": {"high": 1.0}, "student_speed_mps": {"high": 1.0}},
        alert={"channels": {"pa": {"latency_s": 0}, "radio": None, "word_of_mouth": None}},
    )
    loaded, plan = build(fp, sc)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_arrive_s[0, 0] == pytest.approx(10.0 + 5.0)
    _agree(batch, refs)


def test_thirty_people_through_a_classroom_door_sfpe():
    """SFPE worked example 1: 30 people, 0.91 m door -> 1.3 x 0.61 = 0.793 p/s.

    Flow time N/Fc = 30 / 0.793 = 37.83 s; with headway servers the first person passes at t = 0
    and the last at (N-1)/Fc = 29 / 0.793 = 36.57 s (the jupedsim-network convention, research
    notes section 4.2).
    """
    fp = {
        "name": "room",
        "spaces": [
            space("C1", "classroom", 0, capacity=30),
            space("EX", "exit", 1, assembly_distance_m=0),
        ],
        "connections": [conn("C1", "EX", "door", width_m=0.91, length_m=1.0, lock="thumbturn")],
    }
    sc = quiet_scenario(
        "evacuate",
        incident={"origin": "EX", "detection_delay_s": 0},
        population={"preset": "none", "groups": [{"space": "C1", "students": 30}]},
        alert={"channels": {"pa": {"latency_s": 0}, "radio": None, "word_of_mouth": None}},
        hazard={"avoid_origin": False, "avoid_neighbours": False},
    )
    loaded, plan = build(fp, sc)
    _, batch, refs, _ = run_both(loaded, plan)
    capacity = 1.3 * (0.91 - 2 * 0.15)
    last_through = batch.person_arrive_s[0].max() - 1.0  # minus the 1 m walk at 1 m/s
    assert last_through == pytest.approx(29 / capacity, rel=1e-12)
    assert last_through == pytest.approx(36.57, abs=0.01)
    through = np.sort(batch.person_arrive_s[0]) - 1.0
    assert through == pytest.approx(np.arange(0, 30) / capacity, abs=1e-12)
    # person i waits i service times in the queue
    assert np.sort(batch.person_queue_s[0]) == pytest.approx(np.arange(30) / capacity, abs=1e-9)
    _agree(batch, refs)


def _two_room_school(lock_a="thumbturn", lock_b="thumbturn", pa_b=True):
    return {
        "name": "two rooms",
        "spaces": [
            space("H1", "corridor", 0),
            space("H2", "corridor", 25),
            space("A", "classroom", 0, 5, capacity=20),
            space("B", "classroom", 25, 5, capacity=20, pa=pa_b),
            space("EX", "exit", -10),
        ],
        "connections": [
            conn("H1", "H2", "opening", length_m=25.0),
            conn("A", "H1", "door", lock=lock_a, length_m=5.0),
            conn("B", "H2", "door", lock=lock_b, length_m=5.0),
            conn("H1", "EX", "door", width_m=1.8, length_m=10.0),
        ],
    }


def test_lockdown_with_constants_hand_computed():
    """PA at 10 s; reaction 5, hold 10 -> door closes 25; thumb-turn 3 -> locked 28; +20 -> 48.
    Key from the hallway: 12 s -> locked 37, secured 57, 12 s of hallway exposure."""
    sc = quiet_scenario(
        population={
            "preset": "none",
            "groups": [
                {"space": "A", "students": 20, "teachers": 1},
                {"space": "B", "students": 20, "teachers": 1},
            ],
        }
    )
    loaded, plan = build(_two_room_school(lock_b="key_outside"), sc)
    _, batch, refs, logs = run_both(loaded, plan)
    a, b = plan.space_ids.index("A"), plan.space_ids.index("B")
    ma, mb = list(plan.room_space).index(a), list(plan.room_space).index(b)
    assert batch.room_lock_start_s[0, ma] == 25.0
    assert batch.room_locked_s[0, ma] == 28.0
    assert batch.room_secured_s[0, ma] == 48.0
    assert batch.room_locked_s[0, mb] == 37.0
    assert batch.room_secured_s[0, mb] == 57.0
    assert batch.room_key_outside_s[0, mb] == 12.0
    assert batch.room_key_outside_s[0, ma] == 0.0
    # everyone in room A is safe (inside a locked room) from 28 s
    in_a = plan.person_space == a
    assert np.all(batch.person_safe_s[0, in_a] == 28.0)
    _agree(batch, refs)
    kinds = [row[3] for row in logs[0].sorted_rows()]
    assert "steps_out_to_lock" in kinds and "safe_zone_reached" in kinds


def test_hallway_student_refused_at_nearest_room_goes_to_next():
    """Student in H1 alerted at 10, reacts by 40 (reaction 30), reaches A (5 m) at 45 but A's
    door closed at 25; walks on to B (5 + 25 + 5 = 35 m from A) arriving at 80. B has no PA and
    hears by word of mouth (2 hops x 60 s after H1/A/H2 alerts at 10) at 70 -> closes at 85:
    the student gets in, and is safe when B locks at 88."""
    sc = quiet_scenario(
        population={
            "preset": "none",
            "groups": [
                {"space": "A", "teachers": 1, "students": 10},
                {"space": "B", "teachers": 1},
                {"space": "H1", "students": 1},
            ],
        },
        behaviour={"student_reaction_s": 30},
        alert={
            "channels": {
                "pa": {"latency_s": 10},
                "radio": None,
                "word_of_mouth": {"hop_delay_s": 60},
            }
        },
        incident={"origin": "EX", "detection_delay_s": 0},
    )
    loaded, plan = build(_two_room_school(pa_b=False), sc)
    _, batch, refs, logs = run_both(loaded, plan)
    b = plan.space_ids.index("B")
    mb = list(plan.room_space).index(b)
    student = int(np.flatnonzero(plan.person_space == plan.space_ids.index("H1"))[0])
    assert batch.space_alert_s[0, b] == 70.0
    assert batch.person_move_s[0, student] == 40.0
    assert batch.person_refuge[0, student] == mb
    assert batch.person_arrive_s[0, student] == 80.0
    assert batch.person_safe_s[0, student] == 88.0
    assert not batch.person_locked_out[0, student]
    _agree(batch, refs)
    events = [(r[3], r[4]) for r in logs[0].sorted_rows() if r[1] == str(student)]
    assert ("refused_door_closed", "A") in events and ("enters_refuge", "B") in events


def test_hallway_student_locked_out_when_every_candidate_is_closed():
    sc = quiet_scenario(
        population={
            "preset": "none",
            "groups": [
                {"space": "A", "teachers": 1},
                {"space": "B", "teachers": 1},
                {"space": "H1", "students": 1},
            ],
        },
        behaviour={"student_reaction_s": 60},
        incident={"origin": "EX", "detection_delay_s": 0},
    )
    loaded, plan = build(_two_room_school(), sc)
    _, batch, refs, _ = run_both(loaded, plan)
    student = int(np.flatnonzero(plan.person_space == plan.space_ids.index("H1"))[0])
    assert batch.person_locked_out[0, student]
    assert math.isinf(batch.person_safe_s[0, student])
    _agree(batch, refs)


def test_failed_lock_leaves_room_and_its_people_unsecured():
    sc = quiet_scenario(
        population={"preset": "none", "groups": [{"space": "A", "students": 5, "teachers": 1}]},
        behaviour={"lock_failure_probability": {"thumbturn": 1.0}},
    )
    loaded, plan = build(_two_room_school(), sc)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.room_reason[0, 0] == 1
    assert math.isinf(batch.room_secured_s[0, 0])
    assert np.all(np.isinf(batch.person_safe_s[0]))
    _agree(batch, refs)


def test_failed_attempts_are_retried_then_given_up():
    """Every attempt fails: the adult tries max_lock_attempts times (3 x 12 s from the hallway)
    and the room is never secured; the hallway exposure counts all three attempts."""
    sc = quiet_scenario(
        population={"preset": "none", "groups": [{"space": "B", "students": 5, "teachers": 1}]},
        behaviour={"lock_failure_probability": {"key_outside": 1.0}, "max_lock_attempts": 3},
    )
    loaded, plan = build(_two_room_school(lock_b="key_outside"), sc)
    _, batch, refs, logs = run_both(loaded, plan)
    assert batch.room_reason[0, 0] == 1
    assert batch.room_key_outside_s[0, 0] == 36.0
    assert math.isinf(batch.room_secured_s[0, 0])
    _agree(batch, refs)
    assert any(r[3].endswith("lock_tried_3x") for r in logs[0].rows)


def test_latch_fault_leaves_room_unsecured_after_a_normal_lock():
    sc = quiet_scenario(
        population={"preset": "none", "groups": [{"space": "A", "students": 5, "teachers": 1}]},
        behaviour={"latch_fault_probability": 1.0},
    )
    loaded, plan = build(_two_room_school(), sc)
    _, batch, refs, logs = run_both(loaded, plan)
    assert batch.room_reason[0, 0] == 4
    assert math.isinf(batch.room_locked_s[0, 0])
    _agree(batch, refs)
    assert "door_did_not_latch" in [r[3] for r in logs[0].rows]


def test_full_room_refuses_the_third_arrival_in_person_order():
    """Room A: 1 teacher + 10 students, capacity 13 -> 2 free places. Three hallway students in
    H1 (reaction 5 after the PA at 10) all reach A's door at 15 + 5 m / 1 m/s = 20, before it
    closes at 10 + 5 + 10 = 25. A admits the first two by person order; the third is refused
    (room full), walks 5 + 25 + 5 = 35 m on to B (arrives 55, B closed at 25) and is locked out."""
    sc = quiet_scenario(
        population={
            "preset": "none",
            "groups": [
                {"space": "A", "teachers": 1, "students": 10},
                {"space": "B", "teachers": 1},
                {"space": "H1", "students": 3},
            ],
        },
        incident={"origin": "EX", "detection_delay_s": 0},
        lockdown={"spread_start": False, "capacity": {"A": 13}},
    )
    loaded, plan = build(_two_room_school(), sc)
    _, batch, refs, logs = run_both(loaded, plan)
    ma = list(plan.room_space).index(plan.space_ids.index("A"))
    hall = np.flatnonzero(plan.person_space == plan.space_ids.index("H1"))
    assert list(batch.person_refuge[0, hall]) == [ma, ma, -1]
    assert list(batch.person_arrive_s[0, hall]) == [20.0, 20.0, np.inf]
    assert list(batch.person_locked_out[0, hall]) == [False, False, True]
    assert np.sum(batch.person_refuge[0] == ma) == 13  # never more than the capacity
    _agree(batch, refs)
    third = [(r[3], r[4]) for r in logs[0].sorted_rows() if r[1] == str(hall[2])]
    assert ("refused_room_full", "A") in third and ("refused_door_closed", "B") in third


def test_refuge_plan_sends_hallway_students_past_the_nearest_room():
    """Plan for H1: go to B. Reaction 0 after the PA at 10 -> 25 + 5 = 30 m to B at 1 m/s ->
    arrives 40, before B closes at 10 + 5 + 40 = 55 (hold 40 s). Without the plan the nearest
    room A (5 m) takes the student at 15."""
    groups = [
        {"space": "A", "teachers": 1},
        {"space": "B", "teachers": 1},
        {"space": "H1", "students": 1},
    ]
    for refuges, room, arrive in (({"H1": ["B"]}, "B", 40.0), ({}, "A", 15.0)):
        sc = quiet_scenario(
            population={"preset": "none", "groups": groups},
            behaviour={"student_reaction_s": 0, "hallway_recovery_s": 40},
            incident={"origin": "EX", "detection_delay_s": 0},
            lockdown={"spread_start": False, "refuges": refuges},
        )
        loaded, plan = build(_two_room_school(), sc)
        _, batch, refs, _ = run_both(loaded, plan)
        student = int(np.flatnonzero(plan.person_space == plan.space_ids.index("H1"))[0])
        m = list(plan.room_space).index(plan.space_ids.index(room))
        assert batch.person_refuge[0, student] == m
        assert batch.person_arrive_s[0, student] == arrive
        _agree(batch, refs)


def test_spread_start_positions_lie_in_the_footprint_and_vary_the_first_leg():
    """40 students in a 30 m x 20 m commons: R2 points inside the footprint; their first leg to
    the nearest room differs by at most the half-diagonal (18.03 m) from the centre's."""
    from drillsim.plan.population import Person, start_offsets

    fp = _two_room_school()
    fp["spaces"][0].update(size_w_m=30.0, size_h_m=20.0)
    sc = quiet_scenario(
        population={
            "preset": "none",
            "groups": [{"space": "A", "teachers": 1}, {"space": "H1", "students": 40}],
        },
        lockdown={"spread_start": True},
    )
    loaded, plan = build(fp, sc)
    offs = start_offsets(loaded.floorplan, [Person("student", "H1")] * 40)
    assert all(abs(x) <= 15.0 and abs(y) <= 10.0 for x, y in offs)
    assert len(set(offs)) == 40
    first = plan.mover_leg_level[:, 0]
    assert first.std() > 3.0
    assert np.all(np.abs(first - 5.0) <= np.hypot(15.0, 10.0) + 1e-9) and first.min() >= 0.5
    _, batch, refs, _ = run_both(loaded, plan)
    _agree(batch, refs)


def test_door_held_while_expected_students_keep_arriving():
    """A's teacher reacts at 10 + 5 = 15 and holds at least 10 s (to 25). Four students whose
    first choice is A set off at 15 and arrive at 15 + d / 1 m/s for d = 5, 13, 20, 45 m: 20, 28,
    35, 60. Window 10 s, close 1 s after the last one seen is in: at 25 the teacher sees arrivals
    before 35 (20, 28) -> hold to 29; at 29 also 35 (< 39) -> 36; at 36 nobody new before 46 ->
    closes at 36 (cap 15 + 60 = 75); the fourth (60) is refused. With hold_max 20 s the cap 35
    closes it first: the student arriving at 35 is refused (arrival = close)."""
    fp = {
        "name": "hold",
        "spaces": [
            space("H1", "corridor", 0),
            space("H2", "corridor", 8),
            space("H4", "corridor", 15),
            space("H5", "corridor", 40),
            space("A", "classroom", 0, 5, capacity=20),
            space("B", "classroom", 100, 5, capacity=20),
            space("EX", "exit", -10),
        ],
        "connections": [
            conn("H1", "H2", "opening", length_m=8.0),
            conn("H2", "H4", "opening", length_m=7.0),
            conn("H4", "H5", "opening", length_m=25.0),
            conn("H5", "B", "door", lock="thumbturn", length_m=65.0),
            conn("A", "H1", "door", lock="thumbturn", length_m=5.0),
            conn("H1", "EX", "door", width_m=1.8, length_m=10.0),
        ],
    }
    groups = [{"space": "A", "teachers": 1}, {"space": "B", "teachers": 1}] + [
        {"space": h, "students": 1} for h in ("H1", "H2", "H4", "H5")
    ]
    for hold_max, close in ((60.0, 36.0), (20.0, 35.0)):
        sc = quiet_scenario(
            population={"preset": "none", "groups": groups},
            incident={"origin": "EX", "detection_delay_s": 0},
            lockdown={
                "spread_start": False,
                "hold_rule": "approaching",
                "hold_window_s": 10.0,
                "hold_max_s": hold_max,
            },
        )
        loaded, plan = build(fp, sc)
        _, batch, refs, _ = run_both(loaded, plan)
        ma = list(plan.room_space).index(plan.space_ids.index("A"))
        assert batch.room_lock_start_s[0, ma] == close
        assert batch.room_locked_s[0, ma] == close + 3.0
        hall = [
            int(np.flatnonzero(plan.person_space == plan.space_ids.index(h))[0])
            for h in ("H1", "H2", "H4", "H5")
        ]
        assert list(batch.person_arrive_s[0, hall[:3]]) == (
            [20.0, 28.0, 35.0] if hold_max == 60.0 else [20.0, 28.0, np.inf]
        )
        assert batch.person_locked_out[0, hall[3]]
        _agree(batch, refs)


def test_a_hold_cap_below_the_recovery_time_closes_the_door_at_the_cap_with_nobody_outside():
    """hold_max_s (5 s) shorter than hallway_recovery_s (15 s) and nobody in the halls: the
    adult closes at alert + reaction + 5 s in both engines (the batch engine used to return reaction +
    15 s when there were no movers, which hypothesis found)."""
    fp = {
        "name": "cap",
        "spaces": [
            space("H1", "corridor", 0),
            space("A", "classroom", 0, 5, capacity=20),
            space("EX", "exit", -10),
        ],
        "connections": [
            conn("A", "H1", "door", lock="thumbturn", length_m=5.0),
            conn("H1", "EX", "door", width_m=1.8, length_m=10.0),
        ],
    }
    sc = quiet_scenario(
        population={"preset": "none", "groups": [{"space": "A", "teachers": 1, "students": 3}]},
        incident={"origin": "EX", "detection_delay_s": 0},
        lockdown={"spread_start": False, "hold_rule": "approaching", "hold_max_s": 5.0},
    )
    sc["behaviour"]["hallway_recovery_s"] = 15.0
    loaded, plan = build(fp, sc)
    assert plan.mover.size == 0
    _, batch, refs, _ = run_both(loaded, plan)
    # PA at 10 s + 5 s reaction = 15 s; closes at the cap 15 + 5 = 20 s (not 15 + 15 = 30 s)
    assert batch.room_lock_start_s[0, 0] == 20.0
    assert refs[0].room_lock_start_s[0] == batch.room_lock_start_s[0, 0]
    _agree(batch, refs)
