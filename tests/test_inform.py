"""Inform (issue 9 item 4): scripted updates ordering rooms out, and a fire alarm during a lockdown.

Hand-computed cases use the constant timings of :func:`builders.quiet_scenario` (PA 10 s,
reactions 5 s, walking 1 m/s, hallway recovery 10 s, thumbturn 3 s, pre-movement 0) on
C1 --5 m-- H1 --3 m-- EX (assembly 0 m): the teacher in C1 hears the PA at 10, reacts at 15,
holds the door until 25 and locks it at 25 + 3 = 28. Leaving by the posted route is
5 + 3 = 8 m at 1 m/s = 8 s. The differential test lets hypothesis vary schools, protocols
(lockdown, options), updates and fire-alarm rules; both engines must agree within 1e-9 s.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_differential import distribution, school

from drillsim.engines.outcomes import max_abs_difference
from drillsim.errors import ValidationError
from drillsim.metrics.exposure import exposure
from drillsim.metrics.intervals import final_safe_s, unsecured_s
from drillsim.metrics.score import curves, score

from builders import build, conn, quiet_scenario, run_both, space


def _agree(batch, refs):
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        assert max(diff.values()) <= 1e-9, diff


def _plan(inform=None, rooms=("C1",), groups=None, zone=None):
    fp = {
        "name": "one room",
        "spaces": [
            space("H1", "corridor", 0),
            *[space(r, "classroom", 10 * i, 5, capacity=30) for i, r in enumerate(rooms)],
            space("EX", "exit", -3, assembly_distance_m=0),
        ],
        "connections": [
            *[conn(r, "H1", "door", lock="thumbturn", length_m=5.0) for r in rooms],
            conn("H1", "EX", "door", lock="thumbturn", length_m=3.0),
        ],
    }
    groups = groups or [{"space": r, "teachers": 1, "students": 2} for r in rooms]
    sc = quiet_scenario(
        "lockdown",
        incident={"origin": "EX", "detection_delay_s": 0},
        population={"preset": "none", "groups": groups},
    )
    if inform is not None:
        sc["inform"] = inform
    if zone is not None:
        sc["hazard"] = {"zone": zone}
    return build(fp, sc)


def _fire(rule, at_s=60.0, **kw):
    return {"fire_alarm": {"at_s": at_s, "rule": rule, **kw}}


def test_a_room_that_ignores_the_fire_alarm_stays_locked():
    """Locked at 28; rule ignore: 3 people x 28 s = 84 person-s, nobody leaves."""
    loaded, plan = _plan(_fire("ignore"))
    _, batch, refs, _logs = run_both(loaded, plan)
    assert batch.person_safe_s[0].tolist() == [28.0, 28.0, 28.0]
    assert np.isnan(batch.person_unsafe_again_s).all()
    m = score(plan, batch)
    assert m["unsecured_person_s"][0] == 84.0
    assert m["people_ordered_out"][0] == 0.0
    _agree(batch, refs)


def test_a_room_that_follows_the_fire_alarm_unlocks_and_evacuates():
    """Locked at 28; alarm at 60, share 1: the room leaves at 60 + pre-movement 0 = 60, walks
    8 m -> exit at 68, assembly 0 m -> safe again at 68. Unsecured: [0, 28) + [60, 68) = 36 s
    each, 3 x 36 = 108 person-s; everyone secured or out at 68."""
    loaded, plan = _plan(_fire("follow", follow_share=1.0))
    _, batch, refs, logs = run_both(loaded, plan)
    assert batch.room_left_s[0, 0] == 60.0
    assert batch.person_safe_s[0].tolist() == [28.0, 28.0, 28.0]
    assert batch.person_unsafe_again_s[0].tolist() == [60.0, 60.0, 60.0]
    assert batch.person_arrive2_s[0].tolist() == [68.0, 68.0, 68.0]
    assert batch.person_safe2_s[0].tolist() == [68.0, 68.0, 68.0]
    m = score(plan, batch)
    assert m["unsecured_person_s"][0] == 108.0
    assert m["time_all_safe_s"][0] == 68.0
    assert m["people_ordered_out"][0] == 3.0
    # over time: 3 unsecured until 28, 0 until 60, 3 again until 68;
    # the room is secured (locked 28 + safe zone 20 = 48) until it leaves at 60
    c = curves(plan, batch, np.arange(0.0, 100.0, 1.0))
    assert c["unsecured"][0, [27, 28, 59, 60, 67, 68]].tolist() == [3, 0, 0, 3, 3, 0]
    assert c["rooms_secured"][0, [47, 48, 59, 60, 99]].tolist() == [0, 1, 1, 0, 0]
    events = [row[3] for row in logs[0].sorted_rows()]
    assert "fire_alarm_sounds" in events and "follows_fire_alarm" in events
    _agree(batch, refs)


def test_a_room_that_hears_the_alarm_before_locking_leaves_unlocked():
    """Alarm at 20 (door still open, lock due at 28): leaves at 20, out at 28. The first
    interval ends at the departure (min(28, 20) = 20) and the second runs 20-28, so each person
    is unsecured for one unbroken 28 s: 3 x 28 = 84 person-s."""
    loaded, plan = _plan(_fire("follow", at_s=20.0, follow_share=1.0))
    _, batch, refs, _ = run_both(loaded, plan)
    assert batch.person_safe_s[0].tolist() == [20.0, 20.0, 20.0]
    assert batch.person_safe2_s[0].tolist() == [28.0, 28.0, 28.0]
    assert unsecured_s(batch, plan.horizon_s)[0].tolist() == [28.0, 28.0, 28.0]
    _agree(batch, refs)


def test_follow_share_zero_means_nobody_follows():
    loaded, plan = _plan(_fire("follow", follow_share=0.0))
    _, batch, refs, _ = run_both(loaded, plan, n_runs=3)
    assert np.isnan(batch.room_left_s).all()
    _agree(batch, refs)


@pytest.mark.parametrize(
    ("confirmed", "hops", "leaves"),
    [(["H1"], 1, True), (["EX"], 1, False), (["EX"], 2, True)],
)
def test_follow_if_confirmed_sends_out_only_rooms_near_evidence_of_fire(confirmed, hops, leaves):
    """C1 is 1 connection from H1 and 2 from EX."""
    fire = _fire("follow_if_confirmed", confirmed_spaces=confirmed, near_fire_hops=hops)
    loaded, plan = _plan(fire)
    _, batch, refs, _ = run_both(loaded, plan)
    assert np.isfinite(batch.room_left_s[0, 0]) == leaves
    _agree(batch, refs)


def test_an_update_orders_one_room_out_while_the_other_stays_locked_down():
    """Update at 100 s: 'incident near C2', C1 evacuates. C1 leaves at 100, out at 108; C2 stays
    locked from 28 on. Unsecured: C1 3 x (28 + 8) = 108, C2 3 x 28 = 84, total 192."""
    upd = {
        "updates": [
            {"at_s": 100, "message": "incident near C2", "location": ["C2"], "evacuate": ["C1"]}
        ]
    }
    loaded, plan = _plan(upd, rooms=("C1", "C2"))
    _, batch, refs, logs = run_both(loaded, plan)
    assert batch.room_left_s[0, 0] == 100.0
    assert np.isnan(batch.room_left_s[0, 1])
    assert score(plan, batch)["unsecured_person_s"][0] == 192.0
    assert final_safe_s(batch)[0].max() == 108.0
    assert "update_orders_rooms_out" in [row[3] for row in logs[0].sorted_rows()]
    _agree(batch, refs)


def test_someone_who_reaches_the_room_after_it_left_goes_on_from_there():
    """A student in H1 moves at 10 + 5 = 15 and reaches C1 (5 m) at 20; the door is open until
    25. Alarm at 18 with share 1: the class leaves at 18 (out at 26); the student goes on from
    their arrival at 20 and is out at 28. Their first interval ends at min(28, 20) = 20."""
    groups = [{"space": "C1", "teachers": 1}, {"space": "H1", "students": 1}]
    loaded, plan = _plan(_fire("follow", at_s=18.0, follow_share=1.0), groups=groups)
    _, batch, refs, _ = run_both(loaded, plan)
    student, teacher = 0, 1  # placed in space file order: H1 first
    assert batch.person_arrive_s[0, student] == 20.0
    assert batch.person_unsafe_again_s[0, student] == 20.0
    assert batch.person_safe2_s[0, student] == 28.0
    assert batch.person_safe2_s[0, teacher] == 26.0
    assert batch.person_safe_s[0, teacher] == 18.0
    _agree(batch, refs)


def test_exposure_counts_the_walk_out_through_the_zone():
    """Zone = H1 from 0 (neighbours not counted). Leaving at 60 on C1 -> H1 -> EX (5 + 3 m): in
    H1 from 60 + 5 = 65 until 68 (the walk reaches EX), so 3 s each, 9 person-s; the locked
    room itself is not in the zone, and under ignore exposure is 0."""
    zone = {"steps": [{"t_s": 0, "spaces": ["H1"]}], "include_neighbours": False}
    loaded, plan = _plan(_fire("follow", follow_share=1.0), zone=zone)
    _, batch, _, _ = run_both(loaded, plan)
    by_person, by_space = exposure(plan, batch)
    assert by_person[0].tolist() == [3.0, 3.0, 3.0]
    assert by_space[0, plan.space_ids.index("H1")] == 9.0
    loaded, plan = _plan(_fire("ignore"), zone=zone)
    _, batch, _, _ = run_both(loaded, plan)
    assert exposure(plan, batch)[0].sum() == 0.0


@pytest.mark.parametrize(
    ("inform", "protocol", "field"),
    [
        (_fire("follow"), "hold", "inform"),
        ({"updates": [{"at_s": 5, "evacuate": ["NOPE"]}]}, "lockdown", "inform.updates[0]"),
        (_fire("follow_if_confirmed"), "lockdown", "confirmed_spaces"),
        ({"updates": [{"at_s": 5, "evacuate": ["H1"]}]}, "lockdown", "not a room"),
    ],
)
def test_validation_names_the_field_and_the_fix(inform, protocol, field):
    fp = {
        "name": "x",
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
    sc = quiet_scenario(
        protocol,
        incident={"origin": "EX", "detection_delay_s": 0},
        population={"preset": "none", "groups": [{"space": "C1", "teachers": 1}]},
        inform=inform,
    )
    with pytest.raises(ValidationError) as err:
        build(fp, sc)
    assert field in str(err.value)


@st.composite
def inform_school(draw):
    fp, sc = draw(school())
    sc["protocol"] = draw(st.sampled_from(["lockdown", "options"]))
    corridors = [s["id"] for s in fp["spaces"] if s["id"].startswith("H")]
    rooms = [s["id"] for s in fp["spaces"] if s["id"].startswith("R")]
    if sc["protocol"] == "options":
        sc["options"] = {
            "min_hops": draw(st.integers(1, 3)),
            "barricade_s": draw(distribution(0, 30)),
        }
        chain = [c for c in corridors if c.startswith("H0")]
        k = draw(st.integers(1, len(chain)))
        sc["hazard"]["zone"] = {
            "walk": {"path": chain[:k], "speed_mps": draw(distribution(0.5, 2.0))}
        }
    inform = {}
    times = st.sampled_from([0.0, 5.0, 12.0, 20.0, 30.0, 60.0])
    if draw(st.booleans()):
        inform["updates"] = [
            {
                "at_s": draw(times),
                "location": [draw(st.sampled_from(corridors))],
                "evacuate": draw(st.lists(st.sampled_from(rooms), min_size=1, unique=True)),
            }
            for _ in range(draw(st.integers(1, 2)))
        ]
    rule = draw(st.sampled_from(["ignore", "follow", "follow_if_confirmed"]))
    if rule != "ignore" or draw(st.booleans()):
        fa = {"at_s": draw(times), "rule": rule, "follow_share": draw(distribution(0.0, 1.0))}
        if rule == "follow_if_confirmed":
            fa["confirmed_spaces"] = [draw(st.sampled_from(corridors + rooms))]
            fa["near_fire_hops"] = draw(st.integers(0, 2))
        inform["fire_alarm"] = fa
    sc["inform"] = inform
    return fp, sc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=inform_school(), seed=st.integers(0, 2**32 - 1))
def test_batch_reproduces_reference_with_updates_and_fire_alarms(case, seed):
    fp, sc = case
    loaded, plan = build(fp, sc)
    _, batch, refs, _ = run_both(loaded, plan, seed=seed, n_runs=3)
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        bad = {k: v for k, v in diff.items() if v > 1e-9}
        assert not bad, (bad, r)
    # intervals are ordered: [0, safe) then [unsafe_again, safe2)
    again = batch.person_unsafe_again_s
    has = ~np.isnan(again)
    assert np.all(batch.person_safe_s[has] <= again[has])
    assert np.all(again[has] <= batch.person_arrive2_s[has])
    assert np.all(batch.person_arrive2_s[has] <= batch.person_safe2_s[has])
    by_person, by_space = exposure(plan, batch)
    assert np.all(by_person >= 0)
    assert np.all(by_person <= unsecured_s(batch, plan.horizon_s) + 1e-9)
    assert np.allclose(by_person.sum(axis=1), by_space.sum(axis=1))


def test_decisions_flip_with_an_update():
    """Same draws with and without the update: only the named room's people get a second
    interval, and their unsecured time grows by exactly the walk out (8 s each)."""
    base, plan0 = _plan(None, rooms=("C1", "C2"))
    upd = {"updates": [{"at_s": 100, "evacuate": ["C2"]}]}
    loaded, plan1 = _plan(upd, rooms=("C1", "C2"))
    _, b0, _, _ = run_both(base, plan0)
    _, b1, refs, _ = run_both(loaded, plan1)
    u0, u1 = unsecured_s(b0, 900.0)[0], unsecured_s(b1, 900.0)[0]
    c2 = plan1.person_room == 1
    assert np.all(u1[c2] - u0[c2] == 8.0)
    assert np.all(u1[~c2] == u0[~c2])
    _agree(b1, refs)


def test_the_brief_announces_scripted_events_and_the_rule():
    from drillsim.reports.brief.inform_section import inform_blocks

    upd = {
        "updates": [
            {"at_s": 100, "message": "incident near C2", "location": ["C2"], "evacuate": ["C1"]}
        ],
        **_fire("follow_if_confirmed", at_s=60.0, confirmed_spaces=["H1"]),
    }
    loaded, _ = _plan(upd, rooms=("C1", "C2"))
    (box,) = inform_blocks(loaded.scenario, loaded.floorplan)
    text = " ".join(box.blocks[1].items)
    assert 'At 100 s: update "incident near C2"' in text and "rooms C1 evacuate" in text
    assert "At 60 s: the fire alarm sounds (scripted)" in text and "near the reported fire" in text
    loaded, _ = _plan(None)
    assert inform_blocks(loaded.scenario, loaded.floorplan) == []


def test_adding_a_fire_alarm_keeps_every_existing_draw():
    """Stream 'inform' is new: every number a scenario without inform gets stays the same (the
    rooms' people now also get speeds and pre-movement, drawn from the same full-width uniforms)."""
    from drillsim.sample.draws import sample

    groups = [{"space": "C1", "teachers": 1, "students": 3}, {"space": "H1", "students": 2}]
    base, plan0 = _plan(None, groups=groups)
    loaded, plan1 = _plan(_fire("follow"), groups=groups)
    d0 = sample(plan0, base.scenario, 5, 300)
    d1 = sample(plan1, loaded.scenario, 5, 300)
    for name, a in d0.arrays().items():
        if name.startswith("fire_follow"):
            continue
        b = getattr(d1, name)
        known = ~np.isnan(a) if a.dtype.kind == "f" else np.ones(a.shape, bool)
        assert np.array_equal(a[known], b[known]), name
    assert np.isnan(d0.premovement_s).all() and np.isfinite(d1.premovement_s).all()
    share = d1.fire_follow_share
    assert 0.2 <= share.min() and share.max() <= 0.8 and np.unique(share).size == 300
