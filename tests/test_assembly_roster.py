"""Assembly areas (outside spaces joined to exits by walkways) and roster people (ids only).

Hand-computed walkway distances, the posted ``assembly`` of a route (YAML and CSV), the roster CSV
reader (a good file and every refusal, each with file, row, column and fix), an end-to-end CLI run
reading rooms.csv and the brief JSON back, and a review sheet with the ``accounted_s`` column.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from drillsim.cli.main import cli
from drillsim.errors import ValidationError
from drillsim.floorplan import floorplan_from_dict, load_floorplan
from drillsim.floorplan.io import save_floorplan
from drillsim.scenario.roster import read_roster_csv

from builders import build, conn, quiet_scenario, run_both, space

ROOT = Path(__file__).resolve().parents[1]
NOW = {"channels": {"pa": {"latency_s": 0}, "radio": None, "word_of_mouth": None}}


def _site(**walk):
    """Two classrooms on a hall with two exits; three assembly areas outside.

    Walkways (m): EX1-FIELD 80, EX2-LOT 40, FIELD-LOT 50, LOT-PARK 25. Nearest from EX1: FIELD
    (80; LOT would be 80 + 50 = 130); from EX2: LOT (40; FIELD 40 + 50 = 90, PARK 40 + 25 = 65).
    """
    lengths = {"EX1-FIELD": 80.0, "EX2-LOT": 40.0, "FIELD-LOT": 50.0, "LOT-PARK": 25.0, **walk}
    spaces = [
        space("C1", "classroom", 0, 0, capacity=10),
        space("C2", "classroom", 0, 10, capacity=10),
        space("H", "corridor", 10, 0),
        space("EX1", "exit", 20, 0),
        space("EX2", "exit", 20, 10),
        space("FIELD", "assembly", 100, 0, capacity=15),
        space("LOT", "assembly", 20, 100, capacity=300),
        space("PARK", "assembly", 60, 120),
    ]
    conns = [
        conn("C1", "H", "door", length_m=5.0),
        conn("C2", "H", "door", length_m=5.0),
        conn("H", "EX1", "door", length_m=5.0, width_m=1.8),
        conn("H", "EX2", "door", length_m=8.0, width_m=1.8),
    ]
    for pair, m in lengths.items():
        a, b = pair.split("-")
        conns.append(conn(a, b, "walkway", length_m=m))
    return {"name": "site", "spaces": spaces, "connections": conns}


def _sc(routes=None, people=None, groups=None, **evacuation):
    ev = dict(evacuation)
    if routes is not None:
        ev.update(routing="posted", routes=routes)
    return quiet_scenario(
        "evacuate",
        incident={"origin": "H", "detection_delay_s": 0},
        population={
            "preset": "none",
            "groups": groups
            if groups is not None
            else [{"space": "C1", "students": 5, "teachers": 1}, {"space": "C2", "students": 4}],
            "people": people or [],
        },
        alert=NOW,
        hazard={"avoid_origin": False, "avoid_neighbours": False},
        evacuation=ev,
    )


# ------------------------------------------------------------------ floorplan: assembly areas


def test_assembly_areas_stay_outside_the_building_graph():
    fp = floorplan_from_dict(_site())
    assert fp.assembly_areas == ["FIELD", "LOT", "PARK"]
    assert "FIELD" not in fp.spaces and "FIELD" not in fp.graph  # never a route, refuge, start
    assert fp.space("FIELD")["capacity"] == 15 and fp.space("FIELD")["pa"] is False
    assert [(a, b) for a, b, _ in fp.walkways()] == [
        ("EX1", "FIELD"), ("EX2", "LOT"), ("FIELD", "LOT"), ("LOT", "PARK"),
    ]  # fmt: skip
    assert len(fp.connections()) == 4  # the building's own connections only


@pytest.mark.parametrize("suffix", [".yaml", ".graphml", ".json"])
def test_assembly_areas_round_trip_every_format(tmp_path, suffix):
    fp = floorplan_from_dict(_site())
    path = tmp_path / f"site{suffix}"
    save_floorplan(fp, path)
    back = load_floorplan(path)
    assert back == fp and back.digest() == fp.digest()
    assert back.assembly_areas == fp.assembly_areas


def test_bundled_floorplans_without_areas_keep_their_digest_form():
    fp = load_floorplan(ROOT / "floorplans/high-school.yaml")
    assert fp.assembly_areas == [] and fp.outside.number_of_nodes() == 0
    variant = load_floorplan(ROOT / "floorplans/high-school-assembly.yaml")
    assert variant.spaces == fp.spaces  # same building, three areas outside
    assert variant.assembly_areas == ["AS-WEST", "AS-SOUTH", "AS-EAST"]


@pytest.mark.parametrize(
    ("change", "element", "words"),
    [
        (lambda d: d["connections"].append(conn("H", "PARK", "walkway")), "(id 'H--PARK').kind",
         "'H' is inside the building"),
        (lambda d: d["connections"].append(conn("H", "LOT", "door")), "(id 'H--LOT').kind",
         "join it to an exit with kind: walkway"),
        (lambda d: d["connections"].pop(4), "(id 'EX1')", "leads to no assembly area"),
        (lambda d: d["connections"].pop(7), "(id 'PARK')", "joined to no exit"),
        (lambda d: d["connections"].append(conn("EX1", "EX2", "walkway")),
         "(id 'EX1--EX2').kind", "walkway joins an assembly area"),
    ],
)
def test_misplaced_assembly_areas_and_walkways_are_refused(change, element, words):
    data = _site()
    change(data)
    with pytest.raises(ValidationError) as err:
        floorplan_from_dict(data)
    msg = str(err.value)
    assert element in msg and words in msg and "fix:" in msg


# ------------------------------------------------------------------ plan: walking distances


def test_each_class_walks_to_the_nearest_area_by_walkway():
    _, plan = build(_site(), _sc())
    ids = plan.space_ids
    assert plan.assembly_ids == ("FIELD", "LOT", "PARK")
    # exits: EX1 -> FIELD 80 m (LOT would be 130); EX2 -> LOT 40 m (PARK 65, FIELD 90)
    assert plan.exit_assembly[ids.index("EX1")] == 0 and plan.assembly_m[ids.index("EX1")] == 80
    assert plan.exit_assembly[ids.index("EX2")] == 1 and plan.assembly_m[ids.index("EX2")] == 40
    # both classes leave by EX1 (5 + 5 = 10 m, EX2 is 13 m): FIELD, 80 m
    for c in ("C1", "C2"):
        assert plan.space_assembly[ids.index(c)] == 0
        assert plan.space_assembly_m[ids.index(c)] == 80.0
    assert np.all(plan.person_assembly_m == 80.0)


def test_a_posted_assembly_area_sets_the_walk_from_the_routes_exit():
    # C1 posted by EX2 to PARK: 40 + 25 = 65 m; C2 by EX1 to PARK: 80 + 50 + 25 = 155 m
    routes = {"C1": {"primary": "EX2", "assembly": "PARK"},
              "C2": {"primary": "EX1", "assembly": "PARK"}}  # fmt: skip
    loaded, plan = build(_site(), _sc(routes))
    ids = plan.space_ids
    assert plan.space_assembly_m[ids.index("C1")] == 65.0
    assert plan.space_assembly_m[ids.index("C2")] == 155.0
    c1 = plan.person_space == ids.index("C1")
    assert np.all(plan.person_assembly_m[c1] == 65.0)
    assert np.all(plan.person_assembly_m[~c1] == 155.0)
    # each person is safe when they have walked those metres at their own speed after the exit
    draws, batch, refs, _ = run_both(loaded, plan, seed=4, n_runs=2)
    walk = plan.person_assembly_m / draws.speed_mps
    assert np.allclose(batch.person_safe_s, batch.person_arrive_s + walk, rtol=0, atol=1e-9)
    from drillsim.engines.outcomes import max_abs_difference

    for r, ref in enumerate(refs):
        assert max(max_abs_difference(batch.run(r), ref).values()) <= 1e-9


def test_an_assembly_area_unreachable_from_the_routes_exit_is_refused():
    data = _site()
    data["connections"] = [c for c in data["connections"] if c["a"] != "FIELD"]  # no FIELD-LOT
    with pytest.raises(ValidationError) as err:
        build(data, _sc({"C1": {"primary": "EX2", "assembly": "FIELD"}}))
    msg = str(err.value)
    assert "evacuation.routes.C1.assembly" in msg and "from exit 'EX2'" in msg
    assert "LOT, PARK" in msg  # the areas it can reach


@pytest.mark.parametrize(
    ("routes", "floorplan", "words"),
    [
        ({"C1": {"primary": "EX1", "assembly": "FEILD"}}, _site, "did you mean 'FIELD'"),
        ({"C1": {"primary": "EX1", "assembly": "FIELD"}}, None, "no assembly areas"),
        ({"C1": {"primary": "FIELD"}}, _site, "is an assembly area"),
    ],
)
def test_posted_assembly_names_are_checked(routes, floorplan, words):
    if floorplan is None:
        data = _site()
        data["spaces"] = [s for s in data["spaces"] if s["kind"] != "assembly"]
        data["connections"] = [c for c in data["connections"] if c["kind"] != "walkway"]
    else:
        data = floorplan()
    with pytest.raises(ValidationError) as err:
        build(data, _sc(routes))
    assert words in str(err.value) and "fix:" in str(err.value)


def test_assembly_areas_are_no_refuge_and_no_start_space():
    sc = quiet_scenario("lockdown", incident={"origin": "H", "detection_delay_s": 0},
                        population={"preset": "none", "groups": [{"space": "LOT", "students": 3}]},
                        lockdown={"refuges": {"H": ["FIELD"]}})  # fmt: skip
    with pytest.raises(ValidationError) as err:
        build(_site(), sc)
    msg = str(err.value)
    assert "population.groups[0].space: 'LOT' is an assembly area" in msg
    assert "lockdown.refuges.H[0]: 'FIELD' is an assembly area" in msg


def test_without_assembly_areas_the_exit_distance_is_used():
    data = _site()
    data["spaces"] = [s for s in data["spaces"] if s["kind"] != "assembly"]
    data["connections"] = [c for c in data["connections"] if c["kind"] != "walkway"]
    data["spaces"][3]["assembly_distance_m"] = 12.0
    _, plan = build(data, _sc())
    assert plan.assembly_ids == () and np.all(plan.space_assembly == -1)
    assert np.all(plan.person_assembly_m == 12.0)


# ------------------------------------------------------------------ roster CSV


GOOD = (
    "id,space,role,group,mobility,helper\n"
    "T-1,C1,teacher,,,\n"
    "S-1,C1,student,slow,,\n"
    "S-2,C1,Student,,wheelchair,T-1\n"
    "S-3,C2,student,,No-Stairs,T-1\n"
    "\n"
)


def test_a_good_roster_is_read(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")  # a byte-order mark is fine
    people, problems = read_roster_csv(path)
    assert problems == []
    assert [p["id"] for p in people] == ["T-1", "S-1", "S-2", "S-3"]
    assert people[1]["group"] == "slow" and people[2]["role"] == "student"
    assert people[2]["mobility"] == "wheelchair" and people[3]["mobility"] == "no_stairs"
    assert people[3]["helper"] == "T-1" and people[0]["row"] == 2


@pytest.mark.parametrize(
    ("content", "element", "words"),
    [
        (b"id,space,role,name\nS-1,C1,student,Jo\n", "header column 4", "ids only"),
        (b"id,space,role,last_name\n", "header column 4", "ids only"),
        (b"id,space,rol\nS-1,C1,student\n", "header column 3", "rename it to 'role'"),
        (b"id,space,role,role\n", "header column 4", "appears twice"),
        (b"id,space\nS-1,C1\n", "header", "missing required column(s): role"),
        (b"id,space,role\n=HYPERLINK(1),C1,student\n", "row 2.id", "spreadsheet formula"),
        (b"id,space,role\nS-1,+C1,student\n", "row 2 (id 'S-1').space", "spreadsheet formula"),
        (b"id,space,role\nJane Doe,C1,student\n", "row 2.id", "looks like a name"),
        (b"id,space,role\nS-1,C1,student\nS-1,C2,student\n", "row 3 (id 'S-1').id",
         "already given in row 2"),
        (b"id,space,role\nS-1,C1,studnet\n", "row 2 (id 'S-1').role", "did you mean 'student'"),
        (b"id,space,role,mobility\nS-1,C1,student,crutch\n", "row 2 (id 'S-1').mobility",
         "walking, wheelchair, no_stairs"),
        (b"id,space,role\nS-1,C1,student,x\n", "row 2", "4 cells but the header has 3"),
        (b"id,space,role\n,C1,student\n", "row 2.id", "id is empty"),
        (b"id,space,role\n", "(rows)", "no people"),
        (b"", "(file)", "empty"),
        ("id,space,role\nS-1,C1,student\n".encode("utf-16"), "<file>", "UTF-16"),
        (b"id,space,role\nS-\xe91,C1,student\n", "line 2", "not UTF-8"),
    ],
)
def test_roster_problems_name_file_row_column_and_fix(tmp_path, content, element, words):
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    _, problems = read_roster_csv(path)
    assert problems, "a bad roster is refused"
    text = "\n".join(str(p) for p in problems)
    assert "Jane" not in text and "HYPERLINK" not in text  # a name or formula is not echoed
    assert str(path) in text and element in text and words in text and "fix:" in text


def test_a_missing_roster_is_named(tmp_path):
    _, problems = read_roster_csv(tmp_path / "nope.csv")
    assert "roster CSV not found" in str(problems[0])


def _roster_scenario(tmp_path, roster_text, **population):
    fp_path = tmp_path / "site.yaml"
    save_floorplan(floorplan_from_dict(_site()), fp_path)
    sc = _sc()
    sc["floorplan"] = "site.yaml"
    sc["population"].update(roster="roster.csv", **population)
    sc["evacuation"]["groups"] = [{"name": "slow", "speed_mps": 0.5}]
    (tmp_path / "roster.csv").write_text(roster_text)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(sc))
    return path


@pytest.mark.parametrize(
    ("roster", "element", "words"),
    [
        ("id,space,role\nS-1,C11,student\n", "row 2 (id 'S-1').space", "did you mean 'C1'"),
        ("id,space,role\nS-1,LOT,student\n", "row 2 (id 'S-1').space", "assembly area"),
        ("id,space,role\nS-1,EX1,student\n", "row 2 (id 'S-1').space", "is an exit"),
        ("id,space,role,group\nS-1,C1,student,slwo\n", "row 2 (id 'S-1').group",
         "did you mean 'slow'"),
        ("id,space,role,mobility\nS-1,C1,student,wheelchair\n", "row 2 (id 'S-1').helper",
         "needs a named helper"),
        ("id,space,role,mobility,helper\nS-1,C1,student,wheelchair,T-9\n",
         "row 2 (id 'S-1').helper", "not in the roster"),
        ("id,space,role,mobility,helper\nS-1,C1,student,wheelchair,S-2\nS-2,C1,student,,\n",
         "row 2 (id 'S-1').helper", "is a student"),
        ("id,space,role,mobility,helper\nT-1,C1,teacher,,\nS-1,C1,student,wheelchair,T-1\n"
         "S-2,C2,student,no_stairs,T-1\n", "row 4 (id 'S-2').helper", "one adult makes one trip"),
    ],
)
def test_roster_rows_are_checked_against_the_floorplan(tmp_path, roster, element, words):
    from drillsim.scenario.load import load_scenario

    with pytest.raises(ValidationError) as err:
        load_scenario(_roster_scenario(tmp_path, roster))
    msg = str(err.value)
    assert str(tmp_path / "roster.csv") in msg and element in msg and words in msg
    assert "fix:" in msg


def test_a_roster_replaces_or_adds_to_the_preset_in_the_spaces_it_names(tmp_path):
    from drillsim.plan.compile import compile_plan
    from drillsim.scenario.load import load_scenario

    roster = "id,space,role,group\nT-7,C1,teacher,\nS-1,C1,student,slow\nS-2,C1,student,\n"
    replace = compile_plan(load_scenario(_roster_scenario(tmp_path, roster)))
    ids = replace.space_ids
    c1 = np.flatnonzero(replace.person_space == ids.index("C1"))
    # replace: C1 holds exactly its roster people (teacher first); C2 keeps its 4 students
    assert [replace.person_id[p] for p in c1] == ["T-7", "S-1", "S-2"]
    assert int((replace.person_space == ids.index("C2")).sum()) == 4
    assert replace.person_group[c1].tolist() == [-1, 0, -1]
    added = compile_plan(load_scenario(_roster_scenario(tmp_path, roster, roster_mode="add")))
    c1 = np.flatnonzero(added.person_space == ids.index("C1"))
    # add: the group's teacher stays first (responsible adult), then the roster teacher
    assert [added.person_id[p] for p in c1] == ["", "T-7", "", "", "", "", "", "S-1", "S-2"]


def test_a_roster_group_draws_its_own_speed(tmp_path):
    from drillsim.plan.compile import compile_plan
    from drillsim.sample.draws import sample
    from drillsim.scenario.load import load_scenario

    roster = "id,space,role,group\nT-7,C1,teacher,\nS-1,C1,student,slow\nS-2,C1,student,\n"
    loaded = load_scenario(_roster_scenario(tmp_path, roster))
    plan = compile_plan(loaded)
    d = sample(plan, loaded.scenario, 0, 3)
    slow = plan.person_id.index("S-1")
    assert np.all(d.speed_mps[:, slow] == 0.5)
    assert np.all(d.speed_mps[:, plan.person_id.index("S-2")] != 0.5)


# ------------------------------------------------------------------ end to end


def test_cli_evacuation_with_roster_and_assembly_areas_names_each_rooms_area(tmp_path):
    scenario = ROOT / "scenarios/high-school-evacuate-class-roster.yaml"
    out = tmp_path / "batch"
    res = CliRunner().invoke(cli, ["batch", str(scenario), "--runs", "40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = {r["space"]: r for r in csv.DictReader((out / "rooms.csv").open())}
    # the posted plan's assembly column: R105 leaves by EX-W and meets at the south lot,
    # walking EX-W -> AS-WEST (70 m) -> AS-SOUTH (140 m) = 210 m
    assert rows["R105"]["exit"] == "EX-W" and rows["R105"]["assembly"] == "AS-SOUTH"
    assert float(rows["R105"]["assembly_walk_m"]) == 210.0
    assert rows["R101"]["assembly"] == "AS-WEST" and float(rows["R101"]["assembly_walk_m"]) == 70
    # the roster replaced Room 205's class: 30 students and their teacher
    assert rows["R205"]["people"] == "31"
    for r in rows.values():
        at, acc = float(r["median_at_assembly_s"]), float(r["median_accounted_s"])
        assert acc == pytest.approx(at + 60.0, abs=0.11)  # + the 60 s teacher report
        assert at > float(r["median_out_s"])

    brief = tmp_path / "brief"
    res = CliRunner().invoke(cli, ["brief", str(scenario), "--runs", "40", "--out", str(brief)])
    assert res.exit_code == 0, res.output
    ev = json.loads((brief / "briefing.json").read_text())["evacuation"]
    areas = {a["assembly"]: a for a in ev["assembly_areas"]}
    assert set(areas) == {"AS-WEST", "AS-SOUTH", "AS-EAST"}
    assert sum(a["people"] for a in areas.values()) == sum(int(r["people"]) for r in
                                                         rows.values())
    assert areas["AS-SOUTH"]["accounted_p90_s"] >= areas["AS-SOUTH"]["accounted_median_s"]
    rooms = {r["room"]: r for r in ev["rooms"]}
    assert rooms["R105"]["assembly"] == "AS-SOUTH" and rooms["R105"]["assembly_m"] == 210.0
    (assisted,) = ev["assisted"]
    assert (assisted["person_id"], assisted["helper_id"]) == ("S-20530", "C-02")
    html = (brief / "briefing.html").read_text()
    assert "South staff lot" in html and "roster id S-20530" in html
    header = (brief / "observer_sheet.csv").read_text().splitlines()[0]
    assert "accounted_s" in header.split(",")


def test_review_reads_the_observed_accounted_time(tmp_path):
    scenario = str(ROOT / "scenarios/high-school-evacuate-class-roster.yaml")
    sheet = tmp_path / "filled.csv"
    sheet.write_text(
        "room,label,observer,alert_heard_s,left_room_s,assembly_reached_s,accounted_s,notes\n"
        "R105,Room 105,,8,40,400,20:00,slow roll call\n"
        "R101,Room 101,,8,35,180,,\n"
    )
    out = tmp_path / "review"
    res = CliRunner().invoke(cli, ["review", scenario, str(sheet), "--runs", "40", "--out",
                                   str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "review.json").read_text())
    r105 = next(r for r in data["rooms"] if r["room"] == "R105")
    assert r105["accounted_s"]["observed_s"] == 1200.0
    assert r105["accounted_s"]["percentile"] == 100.0
    assert any(f.startswith("accounted") for f in r105["flags"])
    assert data["assembly"]["R105"] == "AS-SOUTH"
    r101 = next(r for r in data["rooms"] if r["room"] == "R101")
    assert r101["accounted_s"]["observed_s"] is None  # a sheet may leave it blank (nan -> null)


def test_the_assembly_variant_with_nearest_areas_matches_the_plain_floorplan(tmp_path):
    """Every walkway of high-school-assembly.yaml is as long as the exit's assembly_distance_m in
    high-school.yaml, so with each exit's nearest area the outcomes are bit-identical."""
    from drillsim.engines.batch import run_batch
    from drillsim.plan.compile import compile_plan
    from drillsim.sample.draws import sample
    from drillsim.scenario.load import load_scenario

    src = ROOT / "scenarios/high-school-evacuate-class.yaml"
    data = yaml.safe_load(src.read_text())
    data["floorplan"] = str(ROOT / "floorplans/high-school-assembly.yaml")
    variant = tmp_path / "variant.yaml"
    variant.write_text(yaml.safe_dump(data))
    safe = []
    for path in (src, variant):
        loaded = load_scenario(path)
        plan = compile_plan(loaded)
        safe.append(run_batch(plan, sample(plan, loaded.scenario, 7, 6)).person_safe_s)
    assert np.array_equal(safe[0], safe[1])


def test_people_rerouted_by_a_later_blockage_walk_from_the_exit_they_used(tmp_path):
    """Roster + assembly areas + a later blockage, both engines: a class rerouted at 60 s walks
    from the exit it actually used to its posted area (or the area nearest that exit)."""
    from drillsim.engines.outcomes import max_abs_difference
    from drillsim.plan.compile import compile_plan
    from drillsim.scenario.load import load_scenario

    src = ROOT / "scenarios" / "high-school-evacuate-class-roster.yaml"
    data = yaml.safe_load(src.read_text())
    data["floorplan"] = str((src.parent / data["floorplan"]).resolve())
    data["population"]["roster"] = str((src.parent / data["population"]["roster"]).resolve())
    data["evacuation"]["routes_csv"] = str(
        (src.parent / data["evacuation"]["routes_csv"]).resolve()
    )
    data["evacuation"]["blocked_from"] = {"EX-STC": 60}
    path = tmp_path / "later.yaml"
    path.write_text(yaml.safe_dump(data))
    loaded = load_scenario(path)
    plan = compile_plan(loaded)
    draws, batch, refs, _ = run_both(loaded, plan, seed=3, n_runs=2)
    for r, ref in enumerate(refs):
        diff = max_abs_difference(batch.run(r), ref)
        assert max(diff.values()) < 1e-9, diff
    moved = batch.person_exit != plan.person_exit[None, :]
    assert moved.any()  # some people left by another exit than planned
    # their walk on to assembly is the one from the exit they used
    walk = plan.exit_walk_m[batch.person_exit, plan.person_walk_col]
    planned = plan.person_assembly_m[None, :]
    assert (walk[moved] != planned.repeat(2, axis=0)[moved]).any()
    safe_walk = batch.person_safe_s - batch.person_arrive_s
    ok = np.isfinite(safe_walk) & (plan.assist_helper < 0)[None, :] & moved
    np.testing.assert_allclose(
        safe_walk[ok], (walk / draws.speed_mps)[ok], rtol=1e-12
    )
