"""Bundled scenarios load, compile and run identically in both engines; bad files explain the fix.

Every ``scenarios/*.yaml`` is checked end to end (load, compile, sample, both engines on run 0),
its population is checked against the school it describes, and the planner comparison pairs are
checked to differ only in the one field they are meant to compare. The second half feeds broken
copies of a bundled scenario to the loader and checks that each problem names the element and the
fix (scenarios/README.md promises these messages).
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from drillsim.engines.outcomes import max_abs_difference
from drillsim.errors import Problem, ValidationError
from drillsim.floorplan import load_floorplan
from drillsim.plan.compile import LOCK_CODES, Plan, compile_plan
from drillsim.scenario.distributions import Constant
from drillsim.scenario.load import LoadedScenario, load_scenario, scenario_from_dict

from builders import run_both

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
FLOORPLANS = ROOT / "floorplans"

EXPECTED = {
    "elementary-lockdown-class.yaml",
    "elementary-lockdown-passing.yaml",
    "elementary-evacuate-class.yaml",
    "elementary-lockdown-class-pa-only.yaml",
    "elementary-lockdown-class-pa-app.yaml",
    "high-school-lockdown-class.yaml",
    "high-school-lockdown-passing.yaml",
    "high-school-evacuate-class.yaml",
    "high-school-lockdown-lunch.yaml",
    "high-school-lockdown-class-thumbturn.yaml",
    "high-school-lockdown-class-keys-outside.yaml",
    "elementary-lockdown-arrival.yaml",
    "elementary-lockdown-recess.yaml",
}
FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
PRESET_OF = {
    "class": "class_in_session",
    "passing": "passing_period",
    "lunch": "lunch",
    "arrival": "arrival",
    "recess": "recess",
}
#: (age band, floorplan file, plausible head count at t0) per school prefix.
SCHOOLS = {
    "elementary": ("elementary", "elementary-school.yaml", (430, 520)),
    "high-school": ("high", "high-school.yaml", (1150, 1350)),
}


def _school(name: str) -> str:
    return "high-school" if name.startswith("high-school-") else "elementary"


@cache
def _compiled(name: str) -> tuple[LoadedScenario, Plan]:
    loaded = load_scenario(SCENARIOS / name)
    return loaded, compile_plan(loaded)


# --------------------------------------------------------------------------- bundled scenarios


def test_the_bundled_set_is_complete():
    assert EXPECTED <= set(FILES), sorted(EXPECTED - set(FILES))


@pytest.mark.parametrize("name", FILES)
def test_bundled_scenario_runs_identically_in_both_engines(name):
    loaded, plan = _compiled(name)
    _, batch, refs, _ = run_both(loaded, plan, seed=20240901, n_runs=4)
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        bad = {k: v for k, v in diff.items() if v > 1e-9}
        assert not bad, (r, bad)
    safe = batch.person_safe_s[0]
    assert np.all(safe >= 0)
    # most people reach safety within the scoring horizon (a broken file would strand everyone)
    assert np.mean(safe <= loaded.scenario.horizon_s) > 0.5


@pytest.mark.parametrize("name", FILES)
def test_bundled_scenario_follows_the_conventions(name):
    loaded, plan = _compiled(name)
    sc, fp = loaded.scenario, loaded.floorplan
    school = _school(name)
    band, fp_file, _ = SCHOOLS[school]
    stem = name.removesuffix(".yaml").removeprefix(f"{school}-")
    protocol, schedule = stem.split("-")[:2]
    assert sc.name.strip(), "every file has a name"
    assert len(sc.description.split()) >= 40, "and a one-paragraph description"
    assert sc.protocol == protocol
    assert sc.population.preset == PRESET_OF[schedule]
    assert sc.population.student_age_band == band
    # the school's own floorplan, or its variant with outside assembly areas
    assert Path(sc.floorplan).name in (fp_file, fp_file.replace(".yaml", "-assembly.yaml"))
    assert sc.mode == "drill"
    assert sc.incident.detection_delay_s == Constant(dist="constant", value=0.0)
    # origin in a corridor away from the office; the SRO is posted in the main office
    assert fp.space(sc.incident.origin)["kind"] == "corridor"
    assert sc.sro.post == "OFFICE" and fp.space("OFFICE")["kind"] == "office"
    assert plan.paths.hops([plan.origin])[plan.sro_post] >= 3


@pytest.mark.parametrize("name", FILES)
def test_population_totals_are_plausible(name):
    _, plan = _compiled(name)
    lo, hi = SCHOOLS[_school(name)][2]
    assert lo <= plan.n_persons <= hi
    roles = np.bincount(plan.person_role, minlength=3)
    assert roles[1] >= 20, "a teacher in every classroom"
    assert roles[0] > 0.9 * plan.n_persons, "mostly students"


def _dump_without(name: str, *paths: tuple[str, ...]) -> dict:
    data = _compiled(name)[0].scenario.model_dump()
    for path in (("name",), ("description",), *paths):
        node = data
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1])
    return data


def test_lock_pair_differs_only_in_classroom_door_hardware():
    a = "high-school-lockdown-class-thumbturn.yaml"
    b = "high-school-lockdown-class-keys-outside.yaml"
    assert _dump_without(a, ("building",)) == _dump_without(b, ("building",))
    assert _dump_without(a) != _dump_without(b)
    (la, pa), (lb, pb) = _compiled(a), _compiled(b)
    assert set(la.scenario.building.door_locks.values()) == {"thumbturn"}
    assert set(lb.scenario.building.door_locks.values()) == {"key_outside"}
    np.testing.assert_array_equal(pa.person_space, pb.person_space)
    np.testing.assert_array_equal(pa.person_role, pb.person_role)
    assert pa.door_ids == pb.door_ids
    classroom = np.array([re.fullmatch(r"D-R[12]\d\d", d) is not None for d in pa.door_ids])
    assert classroom.sum() == 42
    assert np.all(pa.door_lock[classroom] == LOCK_CODES["thumbturn"])
    assert np.all(pb.door_lock[classroom] == LOCK_CODES["key_outside"])
    np.testing.assert_array_equal(pa.door_lock[~classroom], pb.door_lock[~classroom])


def test_alert_pair_differs_only_in_the_app_channel():
    a, b = "elementary-lockdown-class-pa-only.yaml", "elementary-lockdown-class-pa-app.yaml"
    app = ("alert", "channels", "app")
    assert _dump_without(a, app) == _dump_without(b, app)
    ca = _compiled(a)[0].scenario.alert.channels
    cb = _compiled(b)[0].scenario.alert.channels
    assert ca.app is None and cb.app is not None
    assert cb.app.delivery_probability == 0.7
    assert sorted(cb.app.recipients) == ["staff", "teacher"]
    for ch in (ca, cb):
        assert ch.pa is not None and ch.radio is not None and ch.word_of_mouth is not None
    pa, pb = _compiled(a)[1], _compiled(b)[1]
    np.testing.assert_array_equal(pa.person_space, pb.person_space)
    assert not pa.app_recipient.any()
    np.testing.assert_array_equal(pb.app_recipient, pb.person_role > 0)


def test_alert_pair_baseline_is_the_class_in_session_drill():
    assert _dump_without("elementary-lockdown-class.yaml") == _dump_without(
        "elementary-lockdown-class-pa-only.yaml"
    )


def test_readme_examples_are_valid_scenarios():
    """Every YAML example in scenarios/README.md validates against its floorplan.

    Complete scenarios are validated as they are; fragments (e.g. the ``building`` example) are
    validated on top of the first complete one, the minimal example.
    """
    text = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]
    assert all(isinstance(b, dict) for b in blocks)
    full = [b for b in blocks if "protocol" in b and "floorplan" in b]
    assert len(full) >= 2, "the README shows a minimal drill and an incident example"
    for data in blocks:
        if data not in full:
            data = {**full[0], **data}
        fp = load_floorplan((SCENARIOS / data["floorplan"]).resolve())
        scenario_from_dict(data, fp, "scenarios/README.md")


# --------------------------------------------------------------------------- validation messages


def _problems(tmp_path: Path, mutate=None, text: str | None = None) -> list[Problem]:
    """Load a broken copy of the bundled elementary drill; return the problems it raises."""
    if text is None:
        data = yaml.safe_load((SCENARIOS / "elementary-lockdown-class.yaml").read_text())
        data["floorplan"] = str(FLOORPLANS / "elementary-school.yaml")
        data = copy.deepcopy(data)
        mutate(data)
        text = yaml.safe_dump(data, sort_keys=False)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_scenario(path)
    assert all(p.file == str(path) for p in info.value.problems)
    return info.value.problems


def _one(problems: list[Problem], element: str) -> Problem:
    hits = [p for p in problems if p.element == element]
    assert len(hits) == 1, [str(p) for p in problems]
    return hits[0]


def test_misspelt_key_suggests_the_right_one(tmp_path):
    def mutate(d):
        d["behaviour"]["lock_tme_s"] = {"thumbturn": 3}

    p = _one(_problems(tmp_path, mutate), "behaviour.lock_tme_s")
    assert "unknown field 'lock_tme_s'" in p.message
    assert "did you mean 'lock_time_s'" in p.fix


def test_unknown_protocol_lists_the_choices(tmp_path):
    p = _one(_problems(tmp_path, lambda d: d.update(protocol="lockdwn")), "protocol")
    assert "'lockdwn' is not allowed" in p.message
    assert "did you mean 'lockdown'" in p.fix and "'evacuate'" in p.fix


@pytest.mark.parametrize("protocol", ["secure", "hold", "options"])
def test_every_protocol_is_simulated(protocol):
    """Issue 9: Secure, Hold and options-based response run on a bundled school as is."""
    data = _compiled("elementary-lockdown-class.yaml")[0].scenario.model_dump()
    data["protocol"] = protocol
    fp = load_floorplan(FLOORPLANS / "elementary-school.yaml")
    loaded = scenario_from_dict(data, fp)
    assert compile_plan(loaded).protocol == protocol


def test_shelter_without_shelter_areas_names_the_field(tmp_path):
    p = _one(_problems(tmp_path, lambda d: d.update(protocol="shelter")), "shelter.areas")
    assert "designated shelter areas with capacity" in p.message
    assert "areas: {GYM: 400}" in p.fix


def test_lognormal_with_p90_below_median(tmp_path):
    def mutate(d):
        d["behaviour"]["adult_reaction_s"] = {"dist": "lognormal", "median": 10, "p90": 5}

    p = _one(_problems(tmp_path, mutate), "behaviour.adult_reaction_s")
    assert "p90 (5.0) must be greater than median (10.0)" in p.message
    assert "make p90 larger than the median" in p.fix


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("adult_speed_mps", {"dist": "normal", "mean": 1.2, "sd": 0.3}),
        ("adult_speed_mps", 0),
        ("student_speed_mps", {"elementary": {"dist": "uniform", "low": 0.0, "high": 1.0}}),
    ],
)
def test_speed_that_can_reach_zero(tmp_path, field, value):
    def mutate(d):
        d["behaviour"][field] = value

    (p,) = _problems(tmp_path, mutate)
    assert p.element.startswith(f"behaviour.{field}")
    assert "speeds must be > 0" in p.message
    assert "add min" in p.fix


def test_duration_that_can_go_negative(tmp_path):
    def mutate(d):
        d["behaviour"]["safe_zone_move_s"] = {"dist": "normal", "mean": 10, "sd": 5}

    (p,) = _problems(tmp_path, mutate)
    assert p.element == "behaviour.safe_zone_move_s" and "durations must be >= 0" in p.message
    assert p.fix == "add min: 0"


def test_unknown_origin_space_suggests_a_close_id(tmp_path):
    p = _one(_problems(tmp_path, lambda d: d["incident"].update(origin="H-A22")), "incident.origin")
    assert "space 'H-A22' is not in floorplan" in p.message
    assert p.fix == "did you mean 'H-A2'?"


def test_unknown_sro_post_suggests_a_close_id(tmp_path):
    p = _one(_problems(tmp_path, lambda d: d["sro"].update(post="OFFICES")), "sro.post")
    assert p.fix == "did you mean 'OFFICE'?"


def test_door_lock_glob_matching_nothing(tmp_path):
    building = {"door_locks": {"Z9*": "thumbturn"}}
    problems = _problems(tmp_path, lambda d: d.update(building=building))
    p = _one(problems, "building.door_locks 'Z9*'")
    assert "matches no door" in p.message
    assert "glob" in p.fix


def test_pa_glob_matching_nothing(tmp_path):
    building = {"pa": {"Q*": True}}
    p = _one(_problems(tmp_path, lambda d: d.update(building=building)), "building.pa 'Q*'")
    assert "matches no space" in p.message


def test_missing_floorplan_file(tmp_path):
    (p,) = _problems(tmp_path, lambda d: d.update(floorplan="no-such-school.yaml"))
    assert p.element == "floorplan"
    assert "'no-such-school.yaml' not found" in p.message and str(tmp_path) in p.message
    assert "relative to the scenario file" in p.fix


def test_bad_yaml_syntax_names_line_and_column(tmp_path):
    (p,) = _problems(tmp_path, text="name: broken\nprotocol: [lockdown\nfloorplan: x.yaml\n")
    assert re.fullmatch(r"line \d+, column \d+", p.element)
    assert "invalid YAML" in p.message
    assert p.fix.startswith("fix the YAML syntax")


def test_all_problems_in_a_file_are_reported_together(tmp_path):
    def mutate(d):
        d["behaviour"]["lock_tme_s"] = 3
        d["population"]["student_age_band"] = "primary"
        d["alert"]["channels"]["pa"]["latency_s"] = {"dist": "lognorm", "median": 5, "p90": 9}

    elements = {p.element for p in _problems(tmp_path, mutate)}
    assert {
        "behaviour.lock_tme_s",
        "population.student_age_band",
        "alert.channels.pa.latency_s",
    } <= elements


def test_id_typos_are_reported_together_with_schema_errors(tmp_path):
    """A schema error must not hide a misspelt space id elsewhere in the file."""

    def mutate(d):
        d["behaviour"]["halway_recovery_s"] = 5
        d["incident"]["origin"] = "H-A22"
        d["sro"] = {"post": "OFICE"}

    problems = _problems(tmp_path, mutate)
    elements = {p.element for p in problems}
    assert {"behaviour.halway_recovery_s", "incident.origin", "sro.post"} <= elements
    post = next(p for p in problems if p.element == "sro.post")
    assert post.fix == "did you mean 'OFFICE'?"


def test_arrival_and_recess_presets_put_people_outdoors_and_in_transit():
    """Arrival: half of each class in its room, the rest in transit, half of them outdoors
    with a duty adult. Recess: a third of the classes outdoors with two adults, their teachers
    in their empty rooms."""
    for name, outdoor_students in (
        ("elementary-lockdown-arrival.yaml", (80, 140)),
        ("elementary-lockdown-recess.yaml", (120, 200)),
    ):
        _, plan = _compiled(name)
        kinds = np.array(plan.space_kind)[plan.person_space]
        students = plan.person_role == 0
        n_out = int(np.sum(students & (kinds == "outdoor")))
        assert outdoor_students[0] <= n_out <= outdoor_students[1], (name, n_out)
        assert np.sum(~students & (kinds == "outdoor")) >= 1
        # every outdoor person is a mover with a refuge candidate
        outdoor = np.flatnonzero(kinds == "outdoor")
        assert set(outdoor) <= set(plan.mover.tolist())
        classrooms = [i for i, k in enumerate(plan.space_kind) if k == "classroom"]
        staffed = {int(plan.room_space[m]) for m in range(plan.n_rooms)}
        assert set(classrooms) <= staffed  # teachers stay in (possibly empty) rooms
    _, arrival = _compiled("elementary-lockdown-arrival.yaml")
    in_corr = np.isin(np.array(arrival.space_kind)[arrival.person_space], ("corridor", "commons"))
    assert np.sum(in_corr & (arrival.person_role == 0)) >= 80
