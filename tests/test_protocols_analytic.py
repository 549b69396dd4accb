"""Hand-computed cases for Hold, Secure, Shelter, the scripted hazard zone and exposure (issue 9).

Constant timings from :func:`builders.quiet_scenario`: PA 10 s, reactions 5 s, walking 1 m/s,
hallway recovery 10 s, thumbturn 3 s, key_inside 8 s. Each test writes the arithmetic out.
"""

from __future__ import annotations

import numpy as np
import pytest

from drillsim.engines.outcomes import max_abs_difference
from drillsim.errors import ValidationError
from drillsim.metrics.exposure import exposure
from drillsim.metrics.score import score
from drillsim.sample.draws import sample

from builders import build, conn, quiet_scenario, run_both, space


def _agree(batch, refs):
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        assert max(diff.values()) <= 1e-9, diff


def _room_and_corridor():
    """C1 (classroom) --5 m door-- H1 (corridor) --3 m door-- EX."""
    return {
        "name": "one room",
        "spaces": [
            space("H1", "corridor", 0),
            space("C1", "classroom", 0, 5, capacity=30),
            space("EX", "exit", -3, assembly_distance_m=0),
        ],
        "connections": [
            conn("C1", "H1", "door", lock="thumbturn", length_m=5.0),
            conn("H1", "EX", "door", lock="thumbturn", length_m=3.0),
        ],
    }


def _hold(zone=None):
    sc = quiet_scenario(
        "hold",
        incident={"origin": "EX", "detection_delay_s": 0},  # H1 and C1 hear the PA at 10 s
        population={
            "preset": "none",
            "groups": [{"space": "C1", "teachers": 1}, {"space": "H1", "students": 1}],
        },
    )
    if zone is not None:
        sc["hazard"] = {"zone": zone}
    return build(_room_and_corridor(), sc)


def test_hold_clears_the_hall_into_the_nearest_room():
    """Student in H1: alert 10 + reaction 5 = moves at 15, 5 m at 1 m/s -> in C1 at 20.
    Teacher: 10 + 5 + hallway recovery 10 = door closed (not locked) at 25.
    Halls clear at 20; everyone out of the halls with the door closed at max(20, 25) = 25."""
    loaded, plan = _hold()
    _, batch, refs, _ = run_both(loaded, plan)
    student, teacher = 0, 1  # people are placed in space file order: H1 first
    assert batch.person_move_s[0, student] == 15.0
    assert batch.person_arrive_s[0, student] == 20.0
    assert batch.room_lock_start_s[0, 0] == 25.0
    assert np.isnan(batch.room_locked_s[0, 0])  # Hold closes doors, it does not lock them
    assert batch.person_safe_s[0, student] == 25.0
    assert batch.person_safe_s[0, teacher] == 25.0
    m = score(plan, batch)
    assert m["time_halls_clear_s"][0] == 20.0
    assert m["time_all_safe_s"][0] == 25.0
    _agree(batch, refs)


def test_exposure_to_a_fixed_zone_counts_unsecured_seconds_in_the_zone():
    """Zone = H1 from t = 0, neighbours not counted. The student is in H1 until arriving in C1 at
    20 (start space until moving at 15, then the first space of the path until the end of the
    walk), so 20 s; the teacher in C1 is never in the zone: 0 s."""
    loaded, plan = _hold({"steps": [{"t_s": 0, "spaces": ["H1"]}], "include_neighbours": False})
    _, batch, refs, _ = run_both(loaded, plan)
    by_person, by_space = exposure(plan, batch)
    assert by_person[0].tolist() == [20.0, 0.0]  # student, teacher
    assert by_space[0, plan.space_ids.index("H1")] == 20.0
    m = score(plan, batch)
    assert m["hazard_exposure_person_s"][0] == 20.0
    assert m["hazard_exposure_students_s"][0] == 20.0
    assert m["hazard_exposure_adults_s"][0] == 0.0
    _agree(batch, refs)


def test_exposure_next_to_the_zone_counts_neighbouring_rooms():
    """With neighbours: C1 is next to H1, so the teacher counts 0..25 (safe at 25) = 25 s and the
    student 20 s in H1 + 5 s in C1 (20..25) = 25 s; 50 person-s in all."""
    loaded, plan = _hold({"steps": [{"t_s": 0, "spaces": ["H1"]}], "include_neighbours": True})
    _, batch, _, _ = run_both(loaded, plan)
    by_person, by_space = exposure(plan, batch)
    assert by_person[0].tolist() == [25.0, 25.0]
    assert by_space[0, plan.space_ids.index("C1")] == 30.0  # teacher 25 + student 5
    assert score(plan, batch)["hazard_exposure_person_s"][0] == 50.0


def test_a_moving_zone_stops_counting_once_it_has_left():
    """The zone is in H1 from 0 and moves to EX at 18 (neighbours not counted): the student's
    H1 time counts only until 18, not 20."""
    zone = {
        "steps": [{"t_s": 0, "spaces": ["H1"]}, {"t_s": 18, "spaces": ["EX"]}],
        "include_neighbours": False,
    }
    loaded, plan = _hold(zone)
    _, batch, _, _ = run_both(loaded, plan)
    by_person, _ = exposure(plan, batch)
    assert by_person[0].tolist() == [18.0, 0.0]


def test_a_walking_zone_enters_each_space_after_its_path_metres_at_its_speed():
    """Walk C1 -> H1 -> EX from 10 s at 2 m/s: enters C1 at 10, H1 after 5 m at 12.5, EX after
    another 3 m at 14."""
    zone = {
        "walk": {
            "path": ["C1", "H1", "EX"],
            "start_s": 10,
            "speed_mps": {"dist": "constant", "value": 2.0},
        }
    }
    loaded, plan = _hold(zone)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.hazard_step_s[0].tolist() == [10.0, 12.5, 14.0]
    _agree(batch, refs)


def _yard_school():
    """YARD (outdoor) --30 m door, key_inside-- H1 --3 m door, thumbturn-- EX; OFFICE --10 m-- H1."""
    return {
        "name": "yard",
        "spaces": [
            space("H1", "corridor", 0),
            space("OFFICE", "office", 10, capacity=5),
            space("EX", "exit", -3, assembly_distance_m=0),
            space("YARD", "outdoor", 0, 30, pa=True),
        ],
        "connections": [
            conn("H1", "EX", "door", lock="thumbturn", length_m=3.0),
            conn("OFFICE", "H1", "door", lock="thumbturn", length_m=10.0),
            conn("H1", "YARD", "door", lock="key_inside", length_m=30.0),
        ],
    }


def test_secure_brings_the_yard_in_and_the_locker_waits_for_them():
    """Class in YARD: alert 10 + pre-movement 0, 30 m at 1 m/s -> inside H1 at 40.
    Office staff: 10 + reaction 5 = 15, walks 10 m to H1 (25); exterior doors nearest-first, ties
    by file order: H1--EX locked at 25 + 3 = 28; H1--YARD: waits for the class (40) + 8 = 48.
    Everyone inside at 40, perimeter locked at 48, everyone safe at 48."""
    sc = quiet_scenario(
        "secure",
        population={
            "preset": "none",
            "groups": [
                {"space": "OFFICE", "staff": 1},
                {"space": "YARD", "teachers": 1, "students": 3},
            ],
        },
    )
    loaded, plan = build(_yard_school(), sc)
    _, batch, refs, _ = run_both(loaded, plan)
    assert plan.ext_door_ids == ("H1--EX", "H1--YARD")
    assert batch.perimeter_locked_s[0].tolist() == [28.0, 48.0]
    yard = plan.in_mover
    assert batch.person_arrive_s[0, yard].tolist() == [40.0] * 4
    m = score(plan, batch)
    assert m["time_all_inside_s"][0] == 40.0
    assert m["time_perimeter_locked_s"][0] == 48.0
    assert m["time_all_safe_s"][0] == 48.0
    _agree(batch, refs)


def test_secure_without_anyone_to_lock_the_exterior_doors_is_refused():
    sc = quiet_scenario(
        "secure",
        population={"preset": "none", "groups": [{"space": "YARD", "teachers": 1, "students": 3}]},
    )
    with pytest.raises(ValidationError) as err:
        build(_yard_school(), sc)
    text = str(err.value)
    assert "nobody can lock the exterior door" in text and "population" in text
    assert "secure.locker_spaces" in text  # the fix names the field to set


def _gym_school():
    """C1 --5 m-- H1 --7 m-- GYM --4 m door (key_inside, exterior)-- EX."""
    return {
        "name": "gym",
        "spaces": [
            space("H1", "corridor", 0),
            space("C1", "classroom", 0, 5, capacity=30),
            space("GYM", "gym", 7, capacity=200),
            space("EX", "exit", 11, assembly_distance_m=0),
        ],
        "connections": [
            conn("C1", "H1", "door", lock="thumbturn", length_m=5.0),
            conn("H1", "GYM", "door", lock="thumbturn", length_m=7.0),
            conn("GYM", "EX", "door", lock="key_inside", length_m=4.0),
        ],
    }


def _shelter(hazmat: bool, capacity: int = 50):
    return quiet_scenario(
        "shelter",
        population={
            "preset": "none",
            "groups": [
                {"space": "C1", "teachers": 1, "students": 10},
                {"space": "GYM", "staff": 1},
            ],
        },
        behaviour={"premovement_s": 20},
        shelter={"areas": {"GYM": capacity}, "hazmat": hazmat},
    )


def test_shelter_moves_the_class_to_the_shelter_area():
    """Class in C1: alert 10 + pre-movement 20 = 30, C1 -> GYM 5 + 7 = 12 m -> in the gym at 42.
    Staff already in the gym: sheltered when the alert reaches them, 10."""
    loaded, plan = build(_gym_school(), _shelter(hazmat=False))
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_arrive_s[0, :11].tolist() == [42.0] * 11
    assert batch.person_safe_s[0, 11] == 10.0
    m = score(plan, batch)
    assert m["time_all_sheltered_s"][0] == 42.0
    assert m["time_exterior_closed_s"][0] == 0.0
    _agree(batch, refs)


def test_hazmat_shelter_closes_the_exterior_openings():
    """The gym's exterior door belongs to a staffed room: its adult closes it at alert 10 +
    reaction 5 + key_inside 8 = 23. The class is safe at max(42, 23) = 42, the staff at
    max(10, 23) = 23."""
    loaded, plan = build(_gym_school(), _shelter(hazmat=True))
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.perimeter_locked_s[0].tolist() == [23.0]
    assert batch.person_safe_s[0, 11] == 23.0
    m = score(plan, batch)
    assert m["time_exterior_closed_s"][0] == 23.0
    assert m["time_all_safe_s"][0] == 42.0
    _agree(batch, refs)


def test_shelter_without_enough_capacity_is_refused():
    with pytest.raises(ValidationError) as err:
        build(_gym_school(), _shelter(hazmat=False, capacity=5))
    assert "hold 5 persons but 12 are in the building" in str(err.value)


def test_shelter_without_areas_is_refused():
    sc = _shelter(hazmat=False)
    sc["shelter"] = {"areas": {}}
    with pytest.raises(ValidationError) as err:
        build(_gym_school(), sc)
    assert "shelter.areas" in str(err.value) and "capacity" in str(err.value)


def test_a_hazard_route_through_non_adjacent_spaces_is_refused():
    sc = quiet_scenario(
        "lockdown",
        hazard={"zone": {"walk": {"path": ["C1", "EX"]}}},
        population={"preset": "none", "groups": [{"space": "C1", "teachers": 1}]},
    )
    with pytest.raises(ValidationError) as err:
        build(_room_and_corridor(), sc)
    text = str(err.value)
    assert "hazard.zone.walk.path[1]" in text and "not adjacent" in text


def test_the_hazard_zone_does_not_shift_any_other_draw():
    """Common random numbers: adding a walking zone leaves every existing stream unchanged."""
    loaded_a, plan_a = _hold()
    zone = {"walk": {"path": ["C1", "H1"], "speed_mps": {"dist": "uniform", "low": 1, "high": 2}}}
    loaded_b, plan_b = _hold(zone)
    a = sample(plan_a, loaded_a.scenario, 7, 5)
    b = sample(plan_b, loaded_b.scenario, 7, 5)
    for name, x in a.arrays().items():
        if name != "hazard_speed_mps":
            np.testing.assert_array_equal(x, getattr(b, name), err_msg=name)
    assert np.all((b.hazard_speed_mps >= 1) & (b.hazard_speed_mps <= 2))


def _options_school():
    """EX --3 m door-- H1 --20 m-- H2 --20 m-- H3; C1 --5 m door (thumbturn)-- H1."""
    return {
        "name": "options",
        "spaces": [
            space("H1", "corridor", 0),
            space("H2", "corridor", 20),
            space("H3", "corridor", 40),
            space("C1", "classroom", 0, 5, capacity=30),
            space("EX", "exit", -3, assembly_distance_m=0),
        ],
        "connections": [
            conn("H1", "EX", "door", lock="thumbturn", length_m=3.0),
            conn("H1", "H2", "opening", length_m=20.0),
            conn("H2", "H3", "opening", length_m=20.0),
            conn("C1", "H1", "door", lock="thumbturn", length_m=5.0),
        ],
    }


def _options(zone, pa_s: float = 10.0):
    sc = quiet_scenario(
        "options",
        incident={"origin": "EX", "detection_delay_s": 0},
        population={"preset": "none", "groups": [{"space": "C1", "teachers": 1, "students": 4}]},
        alert={"channels": {"pa": {"latency_s": pa_s}, "radio": None, "word_of_mouth": None}},
        behaviour={"premovement_s": 20},
        options={"min_hops": 2, "barricade_s": 15},
        hazard={"zone": zone},
    )
    return build(_options_school(), sc)


def test_options_leaves_when_a_route_stays_two_hops_from_the_zone():
    """Zone in H3: hops H2 1, H1 2, C1 3, EX 3, so C1 -> H1 -> EX keeps >= 2 hops: leave.
    Alert 10 + pre-movement 20 = 30; 5 + 3 = 8 m at 1 m/s -> out at 38 (assembly 0 m).
    The room is not locked."""
    loaded, plan = _options({"steps": [{"t_s": 0, "spaces": ["H3"]}]})
    _, batch, refs, _ = run_both(loaded, plan)
    c1 = plan.space_ids.index("C1")
    assert batch.space_decision[0, c1] == 1
    assert batch.person_move_s[0].tolist() == [30.0] * 5
    assert batch.person_safe_s[0].tolist() == [38.0] * 5
    assert np.isnan(batch.room_locked_s[0, 0]) and batch.room_reason[0, 0] == -1
    assert score(plan, batch)["time_all_safe_s"][0] == 38.0
    _agree(batch, refs)


def test_options_locks_down_and_barricades_when_the_zone_is_next_door():
    """Zone in H1: C1 is 1 hop away (< 2), so lock down: close at 10 + 5 + hold 10 = 25,
    thumbturn 3 -> locked 28 (everyone safe), secured 28 + safe zone 20 + barricade 15 = 63."""
    loaded, plan = _options({"steps": [{"t_s": 0, "spaces": ["H1"]}]})
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.space_decision[0, plan.space_ids.index("C1")] == 0
    assert batch.room_locked_s[0, 0] == 28.0
    assert batch.room_secured_s[0, 0] == 63.0
    assert batch.person_safe_s[0].tolist() == [28.0] * 5
    _agree(batch, refs)


@pytest.mark.parametrize(("pa_s", "decision"), [(5.0, 1), (10.0, 0)])
def test_options_decision_flips_as_the_zone_walks_closer(pa_s, decision):
    """The zone walks H3 -> H2 -> H1 at 2 m/s from 0: in H2 from 20 m / 2 = 10 s. Alerted at 5 s
    the class knows the zone in H3 and leaves; alerted at 10 s it knows the zone in H2 (H1 is then
    1 hop away, so no route keeps 2 hops) and locks down."""
    zone = {"walk": {"path": ["H3", "H2", "H1"], "speed_mps": {"dist": "constant", "value": 2.0}}}
    loaded, plan = _options(zone, pa_s=pa_s)
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.hazard_step_s[0].tolist() == [0.0, 10.0, 20.0]
    assert batch.space_decision[0, plan.space_ids.index("C1")] == decision
    _agree(batch, refs)


def _lockout_school(rooms: bool = True):
    """EX --3 m door-- H1 --20 m-- H2 --20 m-- H3 --20 m-- H4; H0 --10 m-- H1 (a side hall);
    C1 --5 m door (thumbturn)-- H2. The exit's assembly point is 30 m away."""
    fp = {
        "name": "lockout",
        "spaces": [
            space("H0", "corridor", 0, -10),
            space("H1", "corridor", 0),
            space("H2", "corridor", 20),
            space("H3", "corridor", 40),
            space("H4", "corridor", 60),
            space("EX", "exit", -3, assembly_distance_m=30),
        ],
        "connections": [
            conn("H1", "EX", "door", lock="thumbturn", length_m=3.0),
            conn("H0", "H1", "opening", length_m=10.0),
            conn("H1", "H2", "opening", length_m=20.0),
            conn("H2", "H3", "opening", length_m=20.0),
            conn("H3", "H4", "opening", length_m=20.0),
        ],
    }
    if rooms:
        fp["spaces"].append(space("C1", "classroom", 20, 5, capacity=30))
        fp["connections"].append(conn("C1", "H2", "door", lock="thumbturn", length_m=5.0))
    return fp


def _lockout(later_zone: str, rooms: bool = True, later_s: float = 30.0, more: tuple = ()):
    """A teacher in C1 and one student in the hall H2, who reacts late (40 s). The zone is in H2
    from 0 s and in ``later_zone`` from ``later_s`` (then ``more`` (t_s, space) steps; no
    neighbours), min_hops 2."""
    groups = [{"space": "H2", "students": 1}]
    if rooms:
        groups.insert(0, {"space": "C1", "teachers": 1})
    sc = quiet_scenario(
        "options",
        incident={"origin": "H4", "detection_delay_s": 0},
        population={"preset": "none", "groups": groups},
        behaviour={"student_reaction_s": 40},
        options={"min_hops": 2, "barricade_s": 15},
        hazard={
            "zone": {
                "steps": [
                    {"t_s": 0, "spaces": ["H2"]},
                    {"t_s": later_s, "spaces": [later_zone]},
                    *({"t_s": t, "spaces": [z]} for t, z in more),
                ],
                "include_neighbours": False,
            }
        },
    )
    return build(_lockout_school(rooms), sc)


def test_options_locked_out_person_leaves_once_the_zone_has_moved_on():
    """Alert 10 s everywhere (PA). H2 and C1 know the zone in H2 (C1 1 hop < 2): both lock down.
    C1's door closes at 10 + 5 + 10 = 25 (locked 28). The student sets off at 10 + 40 = 50 and
    reaches C1 at 50 + 5 m / 1 m/s = 55 > 25: refused, locked out at t_lo = 55, outside C1's door
    in H2. Zone then in H4: hops H3 1, H2 2, H1 3, EX 4, so H2 may leave by H2 -> H1 -> EX:
    20 + 3 = 23 m -> exit at 55 + 23 = 78, assembly 30 m -> safe at 108.
    Exposure (zone spaces only): in H2 from 0 while the zone is there (until 30) = 30 s; the way
    out never passes H4."""
    loaded, plan = _lockout("H4")
    _, batch, refs, logs = run_both(loaded, plan)
    (p,) = plan.mover  # the student, the only person outside a room
    assert plan.space_ids[plan.person_space[p]] == "H2"
    assert plan.space_ids[plan.mover_lo_space[0]] == "H2"
    assert batch.space_decision[0, plan.space_ids.index("H2")] == 0
    assert batch.room_lock_start_s[0, 0] == 25.0 and batch.room_locked_s[0, 0] == 28.0
    assert batch.person_move_s[0, p] == 50.0
    assert batch.person_lockout_s[0, p] == 55.0
    assert batch.person_reroute_s[0, p] == 55.0
    assert batch.person_arrive_s[0, p] == 55.0 + 23.0
    assert batch.person_safe_s[0, p] == 55.0 + 23.0 + 30.0
    assert not batch.person_locked_out[0, p] and batch.person_refuge[0, p] == -1
    assert score(plan, batch)["time_all_safe_s"][0] == 108.0
    by_person, _ = exposure(plan, batch)
    assert by_person[0, p] == 30.0
    _agree(batch, refs)
    mine = [(t, kind, where) for t, who, _role, kind, where in logs[0].rows if who == str(p)]
    assert (55.0, "locked_out", "C1") in mine
    assert (55.0, "leaves_after_locked_out", "H2") in mine
    assert (78.0, "exits", "EX") in mine
    assert (108.0, "at_assembly_point", "assembly") in mine


def test_options_locked_out_person_stays_when_every_route_passes_the_zone():
    """As above, but the zone moves to the side hall H0 at 30 s: hops H1 1, H2 2, EX 2. At the
    refusal (55 s) H2 itself is 2 hops away, but its only way out passes H1 (1 hop < 2): no safe
    route, the student stays locked out and is never safe."""
    loaded, plan = _lockout("H0")
    _, batch, refs, logs = run_both(loaded, plan)
    (p,) = plan.mover
    h2 = plan.space_ids.index("H2")
    row = 2  # zone step 1 (H0)
    assert not plan.opt_leave_ok[row, h2]
    assert plan.opt_leave_ok[0, h2]  # with no zone known it could leave: the zone is the reason
    assert batch.person_locked_out[0, p] and np.isinf(batch.person_safe_s[0, p])
    assert np.isnan(batch.person_reroute_s[0, p]) and np.isinf(batch.person_arrive_s[0, p])
    assert batch.person_lockout_s[0, p] == 55.0  # no zone step after 55: no second decision
    assert np.isinf(score(plan, batch)["time_all_safe_s"][0])
    _agree(batch, refs)
    assert not any(row[3] == "leaves_after_locked_out" for row in logs[0].rows)


def test_options_locked_out_person_waits_for_the_zone_to_move_on():
    """As the first case, but the zone stays in H2 until 60 s and then moves to H4. Refused at
    C1 at t_lo = 55 (50 + 5 m), the zone known then is in H2 itself (0 hops): no safe way, so
    the student waits outside C1's door in H2. At 60 the zone moves to H4 (H2 now 2 hops away):
    they decide again and leave by H2 -> H1 -> EX, 20 + 3 = 23 m -> exit at 60 + 23 = 83,
    assembly 30 m -> safe at 113. person_lockout_s = 55, person_reroute_s = 60.
    Exposure (zone spaces only): in H2 from 0 (start space, then standing there) until the zone
    leaves H2 at 60 = 60 s; the way out (H1, EX) never meets H4: 0 s."""
    loaded, plan = _lockout("H4", later_s=60.0)
    _, batch, refs, logs = run_both(loaded, plan)
    (p,) = plan.mover
    h2 = plan.space_ids.index("H2")
    assert not plan.opt_leave_ok[1, h2] and plan.opt_leave_ok[2, h2]
    assert batch.hazard_step_s[0].tolist() == [0.0, 60.0]
    assert batch.person_lockout_s[0, p] == 55.0
    assert batch.person_reroute_s[0, p] == 60.0
    assert batch.person_arrive_s[0, p] == 83.0 and batch.person_safe_s[0, p] == 113.0
    assert not batch.person_locked_out[0, p] and batch.person_refuge[0, p] == -1
    m = score(plan, batch)
    assert m["time_all_safe_s"][0] == 113.0
    assert m["locked_out"][0] == 0.0 and m["left_after_locked_out"][0] == 1.0
    by_person, by_space = exposure(plan, batch)
    assert by_person[0, p] == 60.0 and by_space[0, h2] == 60.0
    _agree(batch, refs)
    mine = [(t, kind, where) for t, who, _role, kind, where in logs[0].rows if who == str(p)]
    assert (55.0, "locked_out", "C1") in mine
    assert (60.0, "leaves_after_locked_out", "H2") in mine
    assert (83.0, "exits", "EX") in mine
    assert (113.0, "at_assembly_point", "assembly") in mine


def test_options_zone_steps_starting_together_give_only_the_last_row():
    """Three steps: H2 from 0, H4 from 60, H1 from 61; the plan is then changed so that both
    later steps start at 60 s. At 60 the zone known is the last step starting then (row
    count(steps <= 60) = 3: zone in H1, H2 1 hop away), never the H4 row that would have let the
    student out: they stay locked out. Both engines must read it so."""
    import dataclasses

    loaded, plan = _lockout("H4", later_s=60.0, more=[(61.0, "H1")])
    h2 = plan.space_ids.index("H2")
    assert plan.opt_leave_ok[2, h2] and not plan.opt_leave_ok[3, h2]
    tie = dataclasses.replace(plan, hazard_step_fixed_s=np.array([0.0, 60.0, 60.0]))
    _, batch, refs, _ = run_both(loaded, tie)
    (p,) = plan.mover
    assert batch.hazard_step_s[0].tolist() == [0.0, 60.0, 60.0]
    assert batch.person_locked_out[0, p] and np.isnan(batch.person_reroute_s[0, p])
    assert batch.person_lockout_s[0, p] == 55.0
    _agree(batch, refs)
    # without the tie (H1 from 61) the H4 row is known over [60, 61): they leave at 60
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_reroute_s[0, p] == 60.0 and not batch.person_locked_out[0, p]
    _agree(batch, refs)


def test_lockdown_locked_out_person_is_counted_outside_the_last_door():
    """Lockdown. EX --3 m-- H1 --20 m-- H2 --20 m-- H3 --20 m-- H4, C3 --5 m door-- H3.
    Alert 10 s (PA). C3's door closes 10 + 5 + 10 = 25. The student in H1 reacts late (40 s):
    sets off at 50 and walks 20 + 20 + 5 = 45 m to C3, refused at 95 (door closed): locked out
    at person_lockout_s = 95, standing in H3 (outside C3's door). Their walk H1 -> H2 -> H3
    (40 m, spread over 50 .. 95) passes H2 at 50 + 45 x 20/40 = 72.5.
    Zone (neighbours count): H1 from 0 (near: H1, H2, EX), H4 from 120 (near: H4, H3).
    Exposure, horizon 600 s: H1 over [0, 72.5) = 72.5 s, H2 over [72.5, 95) = 22.5 s (zone
    step 0, until 120), H3 from 95 but near only from 120: [120, 600) = 480 s; total
    72.5 + 22.5 + 480 = 575 s. (Counted at their start space H1 for the whole run, as before,
    it was 120 s.) The teacher in C3 is never next to the zone: 0 s."""
    fp = {
        "name": "one far room",
        "spaces": [
            space("H1", "corridor", 0),
            space("H2", "corridor", 20),
            space("H3", "corridor", 40),
            space("H4", "corridor", 60),
            space("C3", "classroom", 40, 5, capacity=30),
            space("EX", "exit", -3),
        ],
        "connections": [
            conn("H1", "EX", "door", lock="thumbturn", length_m=3.0),
            conn("H1", "H2", "opening", length_m=20.0),
            conn("H2", "H3", "opening", length_m=20.0),
            conn("H3", "H4", "opening", length_m=20.0),
            conn("C3", "H3", "door", lock="thumbturn", length_m=5.0),
        ],
    }
    sc = quiet_scenario(
        "lockdown",
        horizon_s=600,
        incident={"origin": "H4", "detection_delay_s": 0},
        population={
            "preset": "none",
            "groups": [{"space": "C3", "teachers": 1}, {"space": "H1", "students": 1}],
        },
        behaviour={"student_reaction_s": 40},
        hazard={
            "zone": {
                "steps": [{"t_s": 0, "spaces": ["H1"]}, {"t_s": 120, "spaces": ["H4"]}],
                "include_neighbours": True,
            }
        },
    )
    loaded, plan = build(fp, sc)
    _, batch, refs, _ = run_both(loaded, plan)
    ids = plan.space_ids
    (p,) = plan.mover
    teacher = 1 - p
    assert ids[plan.mover_lo_space[0]] == "H3"
    assert batch.room_lock_start_s[0, 0] == 25.0
    assert batch.person_move_s[0, p] == 50.0 and batch.person_lockout_s[0, p] == 95.0
    assert batch.person_locked_out[0, p] and np.isinf(batch.person_arrive_s[0, p])
    assert np.isnan(batch.person_lockout_s[0, teacher])
    by_person, by_space = exposure(plan, batch)
    assert by_person[0, p] == pytest.approx(575.0, abs=1e-9)
    assert by_person[0, teacher] == 0.0
    assert by_space[0, ids.index("H1")] == pytest.approx(72.5, abs=1e-9)
    assert by_space[0, ids.index("H2")] == pytest.approx(22.5, abs=1e-9)
    assert by_space[0, ids.index("H3")] == pytest.approx(480.0, abs=1e-9)
    assert score(plan, batch)["hazard_exposure_person_s"][0] == pytest.approx(575.0, abs=1e-9)
    _agree(batch, refs)


def test_options_person_without_a_room_to_try_decides_at_set_off():
    """No room at all: the student is locked out as they set off (10 + 40 = 50) in H2, the zone
    is in H4 by then, so they leave: 23 m -> exit at 73, assembly 30 m -> safe at 103."""
    loaded, plan = _lockout("H4", rooms=False)
    _, batch, refs, _ = run_both(loaded, plan)
    assert plan.n_rooms == 0 and plan.space_ids[plan.mover_lo_space[0]] == "H2"
    assert batch.person_reroute_s[0, 0] == 50.0
    assert batch.person_arrive_s[0, 0] == 73.0 and batch.person_safe_s[0, 0] == 103.0
    assert not batch.person_locked_out[0, 0]
    _agree(batch, refs)


def test_options_locked_out_person_stands_outside_the_last_room_tried():
    """Student in H1 tries C1 (off H1) then C3 (off H3, 40 m on): locked out in H3, in front of
    C3's door, not back where they started."""
    fp = {
        "name": "two rooms",
        "spaces": [
            space("H1", "corridor", 0),
            space("H2", "corridor", 20),
            space("H3", "corridor", 40),
            space("C1", "classroom", 0, 5, capacity=30),
            space("C3", "classroom", 40, 5, capacity=30),
            space("EX", "exit", -3),
        ],
        "connections": [
            conn("H1", "EX", "door", length_m=3.0),
            conn("H1", "H2", "opening", length_m=20.0),
            conn("H2", "H3", "opening", length_m=20.0),
            conn("C1", "H1", "door", lock="thumbturn", length_m=5.0),
            conn("C3", "H3", "door", lock="thumbturn", length_m=5.0),
        ],
    }
    groups = [{"space": "C1", "teachers": 1}, {"space": "C3", "teachers": 1}]
    sc = quiet_scenario(
        "options",
        population={"preset": "none", "groups": [*groups, {"space": "H1", "students": 1}]},
        behaviour={"max_refuge_candidates": 2},
    )
    _, plan = build(fp, sc)
    ids = plan.space_ids
    assert [plan.room_id(m) for m in plan.mover_cand[0]] == ["C1", "C3"]
    assert ids[plan.mover_lo_space[0]] == "H3"


def test_batch_writes_per_space_exposure(tmp_path):
    """exposure.csv: the student's 20 s in H1 (see the fixed-zone case) in every run."""
    from drillsim.reports.batch.write import write_batch_outputs
    from drillsim.run import run_batch_job

    loaded, _ = _hold({"steps": [{"t_s": 0, "spaces": ["H1"]}], "include_neighbours": False})
    result = run_batch_job(loaded, 5, 0, workers=1)
    write_batch_outputs(result, loaded, tmp_path)
    lines = (tmp_path / "exposure.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("space,label,kind,median_person_s,p90_person_s")
    assert lines[1].split(",")[:5] == ["H1", "H1", "corridor", "20.0", "20.0"]
    assert len(lines) == 2  # C1 and EX never exposed: left out
