"""Loading and validating floorplans: defaults, every check's element and fix, all at once."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import networkx as nx
import pytest

from drillsim.errors import Problem, ValidationError
from drillsim.floorplan import (
    CONNECTION_KINDS,
    LOCK_TYPES,
    SPACE_KINDS,
    Floorplan,
    floorplan_from_dict,
    load_floorplan,
    save_floorplan,
    validate_floorplan,
)
from drillsim.floorplan.load import did_you_mean, node_link_to_dict, parse_yaml_text


def minimal() -> dict:
    """A valid one-floor plan: classroom C1 on corridor H1-H2, exit EX at the end of H2."""
    return {
        "name": "Tiny School",
        "spaces": [
            {"id": "C1", "kind": "classroom", "x": 5.0, "y": 4.0, "area_m2": 72, "capacity": 24},
            {"id": "H1", "kind": "corridor", "x": 5.0, "y": 0.0},
            {"id": "H2", "kind": "corridor", "x": 25.0, "y": 0.0},
            {"id": "EX", "kind": "exit", "x": 40.0, "y": 0.0},
        ],
        "connections": [
            {"id": "D-C1", "a": "C1", "b": "H1", "kind": "door", "lock": "thumbturn"},
            {"a": "H1", "b": "H2", "kind": "opening"},
            {"a": "H2", "b": "EX", "kind": "door", "width_m": 1.8},
        ],
    }


def two_floors() -> dict:
    """A valid two-floor plan joined by a stair connection between two stair spaces."""
    return {
        "name": "Two Floors",
        "floor_height_m": 4.0,
        "floors": [{"level": 0, "name": "Ground"}, {"level": 1, "name": "Upper"}],
        "spaces": [
            {"id": "H0", "kind": "corridor", "floor": 0, "x": 0, "y": 0},
            {"id": "S0", "kind": "stair", "floor": 0, "x": 3, "y": 4},
            {"id": "S1", "kind": "stair", "floor": 1, "x": 3, "y": 4},
            {"id": "R1", "kind": "classroom", "floor": 1, "x": 10, "y": 4, "capacity": 28},
            {"id": "EX", "kind": "exit", "floor": 0, "x": -5, "y": 0},
        ],
        "connections": [
            {"a": "H0", "b": "S0", "kind": "door"},
            {"id": "STAIR", "a": "S0", "b": "S1", "kind": "stair"},
            {"a": "S1", "b": "R1", "kind": "door", "lock": "key_outside"},
            {"a": "H0", "b": "EX", "kind": "door"},
        ],
    }


def problems_of(data: object, source: str = "<memory>") -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        floorplan_from_dict(data, source)  # type: ignore[arg-type]
    return info.value.problems


def at(problems: list[Problem], element: str) -> list[Problem]:
    return [p for p in problems if p.element == element]


def the_problem(problems: list[Problem], element: str) -> Problem:
    found = at(problems, element)
    assert len(found) == 1, f"expected one problem at {element!r}, got {problems}"
    return found[0]


# ----------------------------------------------------------------------------------------------
# valid input and defaults


def test_minimal_plan_loads_with_name_source_and_file_order():
    fp = floorplan_from_dict(minimal(), "tiny.yaml")
    assert isinstance(fp, Floorplan)
    assert fp.name == "Tiny School"
    assert fp.source == "tiny.yaml"
    assert fp.spaces == ["C1", "H1", "H2", "EX"]
    assert [(a, b, d["id"]) for a, b, d in fp.connections()] == [
        ("C1", "H1", "D-C1"),
        ("H1", "H2", "H1--H2"),
        ("H2", "EX", "H2--EX"),
    ]
    assert fp.floors == ((0, "Ground floor"),)
    assert fp.floor_height_m == 3.6
    assert validate_floorplan(fp) == []


def test_space_defaults_are_filled():
    fp = floorplan_from_dict(minimal())
    c1, h1, ex = fp.space("C1"), fp.space("H1"), fp.space("EX")
    assert c1 == {
        "kind": "classroom",
        "floor": 0,
        "x": 5.0,
        "y": 4.0,
        "area_m2": 72.0,
        "capacity": 24,
        "securable": True,
        "safe_zone_capacity": 24,
        "pa": True,
        "label": "C1",
        "assembly_distance_m": 0.0,
        "size_w_m": math.sqrt(72),
        "size_h_m": math.sqrt(72),
    }
    assert h1["securable"] is False and h1["pa"] is True and h1["capacity"] == 0
    assert h1["area_m2"] == 0.0 and h1["size_w_m"] == 4.0 and h1["size_h_m"] == 4.0
    assert ex["pa"] is False and ex["assembly_distance_m"] == 30.0 and ex["securable"] is False
    assert isinstance(c1["x"], float) and isinstance(c1["capacity"], int)


@pytest.mark.parametrize("kind", SPACE_KINDS)
def test_securable_and_pa_defaults_by_kind(kind):
    data = minimal()
    data["spaces"].append({"id": "Z", "kind": kind, "x": 0, "y": -5})
    if kind == "assembly":  # outside: joined to the exit by a walkway, never by a door
        data["connections"].append({"a": "EX", "b": "Z", "kind": "walkway"})
    else:
        data["connections"].append({"a": "Z", "b": "H1", "kind": "door"})
    z = floorplan_from_dict(data).space("Z")
    assert z["securable"] is (kind in ("classroom", "office", "library", "gym"))
    assert z["pa"] is (kind not in ("outdoor", "exit", "assembly"))
    assert z["assembly_distance_m"] == (30.0 if kind == "exit" else 0.0)


def test_connection_defaults_are_filled():
    fp = floorplan_from_dict(minimal())
    door, opening, ext = (d for _, _, d in fp.connections())
    assert door == {
        "id": "D-C1",
        "kind": "door",
        "width_m": 0.91,
        "length_m": 4.0,
        "lock": "thumbturn",
        "exterior": False,
        "inner": False,
        "condition": "ok",
        "audit_date": "",
    }
    assert opening["width_m"] == 2.0 and opening["lock"] == "none" and opening["length_m"] == 20.0
    assert ext["exterior"] is True and ext["width_m"] == 1.8 and ext["length_m"] == 15.0


def test_stair_length_adds_three_times_the_rise_and_default_width():
    fp = floorplan_from_dict(two_floors())
    stair = fp.graph.edges["S0", "S1"]
    assert stair["length_m"] == pytest.approx(3.0 * 1 * 4.0)  # same x, y: only the flights
    assert stair["width_m"] == 1.5
    assert fp.floors == ((0, "Ground"), (1, "Upper"))
    assert fp.levels == [0, 1]
    assert fp.floor_name(1) == "Upper" and fp.floor_name(7) == "Floor 7"


def test_short_computed_length_is_raised_to_half_a_metre_but_given_length_is_kept():
    data = minimal()
    data["spaces"][0]["x"], data["spaces"][0]["y"] = 5.0, 0.1
    fp = floorplan_from_dict(data)
    assert fp.graph.edges["C1", "H1"]["length_m"] == 0.5
    data["connections"][0]["length_m"] = 0.2
    assert floorplan_from_dict(data).graph.edges["C1", "H1"]["length_m"] == 0.2


def test_exterior_default_true_for_outdoor_end_and_explicit_values_win():
    data = minimal()
    data["spaces"].append({"id": "YARD", "kind": "outdoor", "x": 5, "y": -10})
    data["connections"].append({"a": "H1", "b": "YARD", "kind": "opening"})
    data["connections"][1]["exterior"] = True
    fp = floorplan_from_dict(data)
    assert fp.graph.edges["H1", "YARD"]["exterior"] is True
    assert fp.graph.edges["H1", "H2"]["exterior"] is True


def test_explicit_space_values_override_defaults():
    data = minimal()
    data["spaces"][0].update(
        securable=False, safe_zone_capacity=10, pa=False, label="Room 1", size_w_m=9, size_h_m=8
    )
    data["connections"][0]["id"] = "D1"
    data["connections"].append({"a": "C1", "b": "H2", "kind": "door"})  # keep a door for C1
    c1 = floorplan_from_dict(data).space("C1")
    assert (c1["securable"], c1["safe_zone_capacity"], c1["pa"], c1["label"]) == (
        False,
        10,
        False,
        "Room 1",
    )
    assert (c1["size_w_m"], c1["size_h_m"]) == (9.0, 8.0)


def test_integral_float_counts_and_int_positions_are_normalised():
    data = minimal()
    data["spaces"][0]["capacity"] = 24.0
    data["spaces"][0]["x"] = 5
    c1 = floorplan_from_dict(data).space("C1")
    assert c1["capacity"] == 24 and isinstance(c1["capacity"], int)
    assert c1["x"] == 5.0 and isinstance(c1["x"], float)


def test_connection_ends_are_ordered_as_the_spaces_are_listed():
    data = minimal()
    data["connections"][0] = {"a": "H1", "b": "C1", "kind": "door"}
    fp = floorplan_from_dict(data)
    a, b, d = fp.connections()[0]
    assert (a, b) == ("C1", "H1")
    assert d["id"] == "H1--C1"  # the default id follows the file as written


def test_graph_is_frozen_and_copy_is_mutable():
    fp = floorplan_from_dict(minimal())
    assert nx.is_frozen(fp.graph)
    with pytest.raises(nx.NetworkXError):
        fp.graph.add_node("X")
    g = fp.graph.copy()
    g.add_node("X")
    assert "X" not in fp.graph


def test_space_unknown_id_raises_key_error_naming_it():
    fp = floorplan_from_dict(minimal())
    with pytest.raises(KeyError, match="no space 'NOPE'"):
        fp.space("NOPE")


def test_digest_is_stable_ignores_source_and_changes_with_content():
    a = floorplan_from_dict(minimal(), "a.yaml")
    b = floorplan_from_dict(minimal(), "b.yaml")
    assert a.digest() == b.digest()
    assert len(a.digest()) == 64 and int(a.digest(), 16) >= 0
    assert a == b and hash(a) == hash(b)
    data = minimal()
    data["spaces"][0]["capacity"] = 25
    c = floorplan_from_dict(data)
    assert c.digest() != a.digest() and c != a
    assert a != "not a floorplan"


def test_repr_is_short():
    text = repr(floorplan_from_dict(minimal()))
    assert "Tiny School" in text and "spaces=4" in text and "connections=3" in text


def test_vocabularies_match_the_design():
    assert SPACE_KINDS == (
        "classroom", "office", "corridor", "stair", "restroom", "gym", "cafeteria", "library",
        "commons", "outdoor", "exit", "assembly",
    )  # fmt: skip
    assert CONNECTION_KINDS == ("door", "opening", "stair", "walkway")
    assert LOCK_TYPES == (
        "none", "thumbturn", "key_inside", "key_outside", "auto_locking", "central",
    )  # fmt: skip


def test_did_you_mean_helper():
    assert did_you_mean("clasroom", SPACE_KINDS) == " (did you mean 'classroom'?)"
    assert did_you_mean("CLASSROOM", SPACE_KINDS) == " (did you mean 'classroom'?)"
    assert did_you_mean("zzzzzz", SPACE_KINDS) == ""
    assert did_you_mean(5, SPACE_KINDS) == ""


# ----------------------------------------------------------------------------------------------
# every check: element, message and fix


def test_unknown_top_level_key():
    data = minimal()
    data["nmae"] = "x"
    p = the_problem(problems_of(data), "nmae")
    assert p.message == "unknown key 'nmae'"
    assert "did you mean 'name'?" in p.fix and "floor_height_m" in p.fix


def test_unknown_space_key():
    data = minimal()
    data["spaces"][0]["capacty"] = 3
    p = the_problem(problems_of(data), "spaces[0] (id 'C1').capacty")
    assert p.message == "unknown key 'capacty'"
    assert "did you mean 'capacity'?" in p.fix


def test_unknown_connection_key():
    data = minimal()
    data["connections"][0]["widht_m"] = 1
    p = the_problem(problems_of(data), "connections[0] (id 'D-C1').widht_m")
    assert "did you mean 'width_m'?" in p.fix


def test_unknown_floor_key():
    data = two_floors()
    data["floors"][1]["nam"] = "x"
    p = the_problem(problems_of(data), "floors[1].nam")
    assert "did you mean 'name'?" in p.fix


def test_unknown_space_kind():
    data = minimal()
    data["spaces"][0]["kind"] = "clasroom"
    p = the_problem(problems_of(data), "spaces[0] (id 'C1').kind")
    assert p.message == "unknown kind 'clasroom'"
    assert p.fix.startswith("use one of: classroom, office, corridor")
    assert p.fix.endswith("(did you mean 'classroom'?)")


def test_unknown_connection_kind():
    data = minimal()
    data["connections"][0]["kind"] = "dor"
    p = the_problem(problems_of(data), "connections[0] (id 'D-C1').kind")
    assert p.message == "unknown kind 'dor'"
    assert p.fix == "use one of: door, opening, stair, walkway (did you mean 'door'?)"


def test_unknown_lock_type():
    data = minimal()
    data["connections"][0]["lock"] = "thumturn"
    p = the_problem(problems_of(data), "connections[0] (id 'D-C1').lock")
    assert p.message == "unknown lock type 'thumturn'"
    assert "did you mean 'thumbturn'?" in p.fix and "key_outside" in p.fix


def test_lock_on_a_non_door():
    data = minimal()
    data["connections"][1]["lock"] = "thumbturn"
    p = the_problem(problems_of(data), "connections[1] (id 'H1--H2').lock")
    assert p.message == "only doors can have a lock, but this opening has lock 'thumbturn'"
    assert "set kind: door" in p.fix


@pytest.mark.parametrize("width", [0, -0.9, 0.0])
def test_non_positive_width(width):
    data = minimal()
    data["connections"][0]["width_m"] = width
    p = the_problem(problems_of(data), "connections[0] (id 'D-C1').width_m")
    assert p.message.startswith("width_m must be greater than 0 m")
    assert "e.g. width_m: 0.91" in p.fix


def test_non_positive_length():
    data = minimal()
    data["connections"][1]["length_m"] = 0
    p = the_problem(problems_of(data), "connections[1] (id 'H1--H2').length_m")
    assert p.message == "length_m must be greater than 0 m, got 0.0"
    assert "leave it out to compute it" in p.fix


def test_non_finite_width():
    data = minimal()
    data["connections"][0]["width_m"] = math.inf
    p = the_problem(problems_of(data), "connections[0] (id 'D-C1').width_m")
    assert "inf" in p.message


def test_dangling_connection_end_with_did_you_mean():
    data = minimal()
    data["connections"][0]["b"] = "H-1"
    p = the_problem(problems_of(data), "connections[0] (id 'D-C1').b")
    assert p.message == "no space with id 'H-1'"
    assert p.fix == "use the id of a space listed under spaces (did you mean 'H1'?)"


def test_dangling_connection_is_still_checked_for_its_other_fields():
    data = minimal()
    data["connections"][0].update(b="H9", lock="thumturn")
    problems = problems_of(data)
    assert at(problems, "connections[0] (id 'D-C1').b")
    assert the_problem(problems, "connections[0] (id 'D-C1').lock").message == (
        "unknown lock type 'thumturn'"
    )


def test_duplicate_space_id():
    data = minimal()
    data["spaces"].append({"id": "C1", "kind": "office", "x": 0, "y": 0})
    p = the_problem(problems_of(data), "spaces[4] (id 'C1').id")
    assert p.message == "duplicate space id 'C1' (first used by spaces[0] (id 'C1'))"
    assert p.fix == "give every space a unique id"


def test_duplicate_space_is_still_checked_for_its_other_fields():
    data = minimal()
    data["spaces"].append({"id": "C1", "kind": "ofice", "x": 0, "y": 0})
    p = the_problem(problems_of(data), "spaces[4] (id 'C1').kind")
    assert "did you mean 'office'?" in p.fix


def test_duplicate_connection_id():
    data = minimal()
    data["connections"][1]["id"] = "D-C1"
    p = the_problem(problems_of(data), "connections[1] (id 'D-C1').id")
    assert p.message == "duplicate connection id 'D-C1' (first used by connections[0] (id 'D-C1'))"
    assert p.fix == "give every connection a unique id"


def test_two_connections_between_the_same_pair():
    data = minimal()
    data["connections"].append({"id": "D-C1b", "a": "H1", "b": "C1", "kind": "door"})
    p = the_problem(problems_of(data), "connections[3] (id 'D-C1b')")
    assert p.message == (
        "a second connection between 'H1' and 'C1' (the first is connections[0] (id 'D-C1'))"
    )
    assert "one connection per pair" in p.fix and "width_m" in p.fix


def test_self_loop():
    data = minimal()
    data["connections"].append({"a": "H2", "b": "H2", "kind": "opening"})
    p = the_problem(problems_of(data), "connections[3] (id 'H2--H2')")
    assert p.message == "connects space 'H2' to itself"
    assert "correct a or b" in p.fix


@pytest.mark.parametrize("coord", ["x", "y"])
def test_missing_position(coord):
    data = minimal()
    del data["spaces"][1][coord]
    p = the_problem(problems_of(data), f"spaces[1] (id 'H1').{coord}")
    assert p.message == f"missing required key '{coord}'"
    assert p.fix.startswith(f"add {coord}: ") and "metres" in p.fix


def test_missing_kind_is_one_problem():
    data = minimal()
    del data["spaces"][0]["kind"]
    problems = problems_of(data)
    p = the_problem(problems, "spaces[0] (id 'C1').kind")
    assert p.message == "missing required key 'kind'"


def test_missing_space_id():
    data = minimal()
    del data["spaces"][2]["id"]
    problems = problems_of(data)
    assert the_problem(problems, "spaces[2].id").message == "missing required key 'id'"
    # connections to the unnamed space then name no space
    assert at(problems, "connections[1] (id 'H1--H2').b")


def test_missing_connection_end_and_kind():
    data = minimal()
    del data["connections"][0]["a"]
    del data["connections"][0]["kind"]
    problems = problems_of(data)
    assert the_problem(problems, "connections[0] (id 'D-C1').a").message == (
        "missing required key 'a'"
    )
    assert the_problem(problems, "connections[0] (id 'D-C1').kind").message == (
        "missing required key 'kind'"
    )


def test_stair_connection_within_one_floor():
    data = two_floors()
    data["spaces"][2]["floor"] = 0
    data["spaces"][3]["floor"] = 0
    p = the_problem(problems_of(data), "connections[1] (id 'STAIR').kind")
    assert p.message == "stair connection between 'S0' and 'S1', both on floor 0"
    assert "joins two different floors" in p.fix


def test_door_between_floors():
    data = two_floors()
    data["connections"][1]["kind"] = "door"
    p = the_problem(problems_of(data), "connections[1] (id 'STAIR').kind")
    assert p.message == "door connection between 'S0' (floor 0) and 'S1' (floor 1)"
    assert "kind: stair" in p.fix


def test_floor_not_declared():
    data = two_floors()
    data["spaces"][3]["floor"] = 2
    problems = problems_of(data)
    p = the_problem(problems, "spaces[3] (id 'R1').floor")
    assert p.message == "floor 2 is not declared in floors (declared: 0, 1)"
    assert p.fix == "add {level: 2, name: ...} to floors, or use a declared level"


def test_floor_declared_twice():
    data = two_floors()
    data["floors"].append({"level": 1, "name": "again"})
    p = the_problem(problems_of(data), "floors[2].level")
    assert p.message == "floor level 1 is declared twice (first at floors[1])"


def test_floors_must_be_a_non_empty_list():
    data = two_floors()
    data["floors"] = []
    assert the_problem(problems_of(data), "floors").message.startswith(
        "floors must be a non-empty list"
    )


def test_no_exit_at_all():
    data = minimal()
    data["spaces"][3]["kind"] = "outdoor"
    p = the_problem(problems_of(data), "spaces")
    assert p.message == "no exit space (kind: exit) in the floorplan"
    assert "kind: exit" in p.fix


def test_exit_without_exterior_door():
    data = minimal()
    data["connections"][2]["exterior"] = False
    p = the_problem(problems_of(data), "spaces[3] (id 'EX')")
    assert p.message == "exit 'EX' has no exterior door or opening"
    assert "exterior: true" in p.fix


def test_isolated_exit_has_no_exterior_door():
    data = minimal()
    data["spaces"].append({"id": "EX2", "kind": "exit", "x": 90, "y": 90})
    p = the_problem(problems_of(data), "spaces[4] (id 'EX2')")
    assert p.message == "exit 'EX2' has no exterior door or opening"


def test_spaces_that_cannot_reach_an_exit_are_each_named():
    data = minimal()
    data["spaces"] += [
        {"id": "RR", "kind": "restroom", "x": 50, "y": 50},
        {"id": "H9", "kind": "corridor", "x": 60, "y": 50},
    ]
    data["connections"].append({"a": "RR", "b": "H9", "kind": "door"})
    problems = problems_of(data)
    for i, sid in ((4, "RR"), (5, "H9")):
        p = the_problem(problems, f"spaces[{i}] (id '{sid}')")
        assert p.message == (
            f"space '{sid}' cannot reach any exit (its connected group of 2: RR, H9)"
        )
        assert "connect it (or its group)" in p.fix


def test_securable_space_without_a_door():
    data = minimal()
    data["connections"][0]["kind"] = "opening"
    del data["connections"][0]["lock"]
    p = the_problem(problems_of(data), "spaces[0] (id 'C1').securable")
    assert p.message == "securable classroom 'C1' has no door"
    assert "securable: false" in p.fix
    data["spaces"][0]["securable"] = False
    floorplan_from_dict(data)  # fine once declared not securable


@pytest.mark.parametrize("field", ["capacity", "safe_zone_capacity"])
def test_negative_counts(field):
    data = minimal()
    data["spaces"][0][field] = -1
    p = the_problem(problems_of(data), f"spaces[0] (id 'C1').{field}")
    assert p.message == f"{field} must be 0 or more people, got -1"
    assert "(0 or more)" in p.fix


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("area_m2", -5, "area_m2 must be 0 m² or more, got -5.0"),
        ("assembly_distance_m", -1, "assembly_distance_m must be 0 m or more, got -1.0"),
        ("size_w_m", 0, "size_w_m must be greater than 0 m, got 0.0"),
        ("size_h_m", -2, "size_h_m must be greater than 0 m, got -2.0"),
        ("x", math.nan, "x must be a finite number, got nan"),
    ],
)
def test_out_of_range_space_numbers(field, value, message):
    data = minimal()
    data["spaces"][0][field] = value
    p = the_problem(problems_of(data), f"spaces[0] (id 'C1').{field}")
    assert p.message == message
    assert p.fix.startswith("write ")


def test_non_positive_floor_height():
    data = two_floors()
    data["floor_height_m"] = 0
    p = the_problem(problems_of(data), "floor_height_m")
    assert p.message == "floor_height_m must be a number greater than 0 m and at most 100 m, got 0.0"
    assert "floor_height_m: 3.6" in p.fix


def test_space_id_with_bad_characters():
    data = minimal()
    data["spaces"][1]["id"] = "H 1"
    for c in data["connections"]:
        for end in ("a", "b"):
            if c[end] == "H1":
                c[end] = "H 1"
    p = the_problem(problems_of(data), "spaces[1] (id 'H 1').id")
    assert p.message == "space id 'H 1' has characters other than letters, digits, '_', '.' and '-'"
    assert p.fix == "rename it, e.g. 'H_1' (and every reference to it)"


def test_connection_id_with_bad_characters():
    data = minimal()
    data["connections"][0]["id"] = "door/1"
    p = the_problem(problems_of(data), "connections[0] (id 'door/1').id")
    assert p.message.startswith("connection id 'door/1' has characters other than")
    assert "'door_1'" in p.fix


@pytest.mark.parametrize(
    ("field", "value", "message", "fix"),
    [
        ("x", "abc", "x must be a number, got 'abc' (str)", "e.g. x: 12.5"),
        ("x", True, "x must be a number, got True (bool)", "e.g. x: 12.5"),
        ("capacity", 24.5, "capacity must be a whole number, got 24.5 (float)", "capacity: 24"),
        ("securable", "yes please", "securable must be true or false", "true or false"),
        ("label", 101, "label must be text, got 101 (int)", "quote it"),
        ("floor", "ground", "floor must be a whole number", "floor: 0"),
    ],
)
def test_wrong_types(field, value, message, fix):
    data = minimal()
    data["spaces"][0][field] = value
    p = the_problem(problems_of(data), f"spaces[0] (id 'C1').{field}")
    assert p.message.startswith(message)
    assert fix in p.fix


def test_numeric_id_must_be_quoted():
    data = minimal()
    data["spaces"][0]["id"] = 101
    p = the_problem(problems_of(data), "spaces[0].id")
    assert p.message == "id must be text, got 101 (int)"
    assert p.fix == "quote it so that it is read as text: id: '101'"


def test_wrong_connection_types():
    data = minimal()
    data["connections"][0]["width_m"] = "wide"
    data["connections"][0]["exterior"] = "no"
    problems = problems_of(data)
    assert the_problem(problems, "connections[0] (id 'D-C1').width_m").message == (
        "width_m must be a number, got 'wide' (str)"
    )
    assert the_problem(problems, "connections[0] (id 'D-C1').exterior").message == (
        "exterior must be true or false, got 'no' (str)"
    )


@pytest.mark.parametrize(
    ("data", "element", "message"),
    [
        ([1, 2], "<top level>", "expected a mapping with keys name, floor_height_m"),
        ({"spaces": []}, "name", "missing required key 'name'"),
        ({"name": "x"}, "spaces", "missing required key 'spaces'"),
        ({"name": "x", "spaces": {"a": 1}}, "spaces", "spaces must be a list of spaces"),
        ({"name": 5, "spaces": []}, "name", "name must be text, got 5 (int)"),
        (
            {"name": "x", "spaces": [], "connections": "none"},
            "connections",
            "connections must be a list",
        ),
        ({"name": "x", "spaces": ["C1"]}, "spaces[0]", "expected a mapping {id: ..., kind"),
        ({"name": "x", "spaces": [], "connections": [3]}, "connections[0]", "expected a mapping"),
        ({"name": "x", "spaces": [], "floors": [7]}, "floors[0]", "expected a mapping {level"),
    ],
)
def test_structure_problems(data, element, message):
    problems = problems_of(data)
    assert any(p.element == element and p.message.startswith(message) for p in problems), problems
    assert all(p.fix for p in problems)


def test_empty_name_is_a_problem():
    data = minimal()
    data["name"] = "  "
    assert the_problem(problems_of(data), "name").message.startswith("the floorplan name is empty")


def test_all_problems_reported_at_once_in_file_order():
    data = minimal()
    data["colour"] = "red"
    data["spaces"][0]["kind"] = "clasroom"
    data["spaces"][2]["capacity"] = -3
    data["connections"][0]["lock"] = "thumturn"
    data["connections"][2]["width_m"] = 0
    data["spaces"].append({"id": "Q", "kind": "office", "x": 99, "y": 99})
    problems = problems_of(data, "school.yaml")
    assert len(problems) >= 7  # 5 typos + Q unreachable + Q securable without a door
    assert all(p.file == "school.yaml" for p in problems)
    elements = [p.element for p in problems]
    assert elements[0] == "colour"
    assert elements.index("spaces[0] (id 'C1').kind") < elements.index(
        "connections[0] (id 'D-C1').lock"
    )
    text = str(ValidationError(problems))
    assert "did you mean 'classroom'?" in text and "did you mean 'thumbturn'?" in text


def test_validate_floorplan_on_a_changed_copy():
    fp = floorplan_from_dict(minimal())
    g = fp.graph.copy()
    g.edges["C1", "H1"]["width_m"] = -1.0
    g.nodes["H2"]["kind"] = "hall"
    g.graph["edge_order"] = list(fp.graph.graph["edge_order"])
    problems = validate_floorplan(Floorplan(fp.name, g, "edited"))
    assert {p.element for p in problems} == {
        "connections[0] (id 'D-C1').width_m",
        "spaces[2] (id 'H2').kind",
    }
    assert all(p.file == "edited" for p in problems)


def test_validate_floorplan_on_a_hand_built_graph_reports_missing_attributes():
    g = nx.Graph()
    g.add_node("A", kind="exit", x=0.0, y=0.0)
    problems = validate_floorplan(Floorplan("hand", g))
    p = the_problem(problems, "spaces[0] (id 'A').floor")
    assert p.message == "attribute 'floor' is missing"
    assert "floorplan_from_dict" in p.fix
    # without edge_order, connections() falls back to networkx order
    g.add_node("B", **floorplan_from_dict(minimal()).space("H1"))
    g.add_edge("A", "B", id="A--B", kind="door", width_m=1.0, length_m=2.0, lock="none")
    assert Floorplan("hand", g).connections()[0][:2] == ("A", "B")
    assert at(validate_floorplan(Floorplan("hand", g)), "connections[0] (id 'A--B').exterior")


# ----------------------------------------------------------------------------------------------
# files


def test_load_yaml_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "name: Tiny\n"
        "spaces:\n"
        "  - {id: C1, kind: classroom, x: 0, y: 4, capacity: 20}\n"
        "  - {id: H1, kind: corridor, x: 0, y: 0}  # a comment\n"
        "  - {id: EX, kind: exit, x: 10, y: 0}\n"
        "connections:\n"
        "  - {a: C1, b: H1, kind: door, lock: key_outside}\n"
        "  - {a: H1, b: EX, kind: door, width_m: 1.8}\n",
        encoding="utf-8",
    )
    fp = load_floorplan(path)
    assert fp.source == str(path)
    assert fp.spaces == ["C1", "H1", "EX"]
    assert load_floorplan(str(path)) == fp


def test_yml_suffix_and_uppercase_suffix(tmp_path):
    fp = floorplan_from_dict(minimal())
    for name in ("a.yml", "b.YAML"):
        save_floorplan(fp, tmp_path / name)
        assert load_floorplan(tmp_path / name) == fp


def test_yaml_syntax_error_is_one_problem_with_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nspaces:\n  - {id: C1, kind: classroom\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    (p,) = info.value.problems
    assert p.file == str(path)
    assert p.element.startswith("line ") and ", column " in p.element
    assert p.message.startswith("invalid YAML:")
    assert "fix the YAML syntax" in p.fix


def test_missing_file_is_one_problem(tmp_path):
    with pytest.raises(ValidationError) as info:
        load_floorplan(tmp_path / "nope.yaml")
    (p,) = info.value.problems
    assert (p.element, p.message) == ("<file>", "file not found")
    assert "check the path" in p.fix


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ValidationError) as info:
        load_floorplan(tmp_path / "dir.yaml")
    assert info.value.problems[0].message == "not a regular file"


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("name: x", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    (p,) = info.value.problems
    assert p.message == "unsupported file type '.txt'"
    assert p.fix == "use a file ending in one of: .yaml, .yml, .graphml, .json"


def test_non_mapping_top_level_file(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    (p,) = info.value.problems
    assert p.element == "<top level>" and "got list" in p.message


def test_empty_yaml_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    assert info.value.problems[0].message == "the file is empty"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: Ã©cole\xff".encode("latin-1"))
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    assert info.value.problems[0].message.startswith("not UTF-8 text")


def test_duplicate_yaml_key_is_reported_with_its_line():
    data, problems = parse_yaml_text("name: a\nname: b\nspaces: []\n", "dup.yaml")
    assert data == {"name": "b", "spaces": []}
    (p,) = problems
    assert (p.element, p.message) == ("line 2", "key 'name' is given twice in the same mapping")
    assert "remove one of them" in p.fix


def test_duplicate_yaml_key_in_a_file_fails_loading(tmp_path):
    path = tmp_path / "dup.yaml"
    text = "name: Tiny\nspaces:\n  - {id: EX, kind: exit, x: 0, y: 0, x: 3}\nconnections: []\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    assert [p.element for p in info.value.problems] == ["line 3", "spaces[0] (id 'EX')"]


def test_json_file_is_validated_like_yaml(tmp_path):
    fp = floorplan_from_dict(minimal())
    path = tmp_path / "plan.json"
    save_floorplan(fp, path)
    obj = json.loads(path.read_text(encoding="utf-8"))
    obj["nodes"][0]["kind"] = "clasroom"
    obj["edges"][0]["widht_m"] = 1.0
    path.write_text(json.dumps(obj), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    elements = {p.element: p for p in info.value.problems}
    assert "did you mean 'classroom'?" in elements["spaces[0] (id 'C1').kind"].fix
    assert "did you mean 'width_m'?" in elements["connections[0] (id 'D-C1').widht_m"].fix


def test_json_syntax_error_and_wrong_shape(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"nodes": [', encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    (p,) = info.value.problems
    assert p.element.startswith("line 1, column") and p.message.startswith("invalid JSON")
    path.write_text('{"vertices": []}', encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    assert "node-link" in info.value.problems[0].message


def test_node_link_with_links_key_and_floors_as_string():
    obj = {
        "graph": {"name": "NL", "floors": '[{"level": 0, "name": "G"}]'},
        "nodes": [
            {"id": "H", "kind": "corridor", "x": 0, "y": 0},
            {"id": "EX", "kind": "exit", "x": 5, "y": 0},
        ],
        "links": [{"source": "H", "target": "EX", "kind": "door"}],
    }
    data, problems = node_link_to_dict(obj)
    assert problems == []
    fp = floorplan_from_dict(data)
    assert fp.floors == ((0, "G"),) and fp.connections()[0][:2] == ("H", "EX")
    obj["graph"]["floors"] = "[not json"
    _, problems = node_link_to_dict(obj)
    assert problems[0].element == "floors"


def test_node_link_edge_without_source_reports_missing_end():
    obj = {
        "graph": {"name": "NL"},
        "nodes": [{"id": "EX", "kind": "exit", "x": 5, "y": 0}],
        "edges": [{"target": "EX", "kind": "door"}],
    }
    data, _ = node_link_to_dict(obj)
    p = the_problem(problems_of(data), "connections[0].a")
    assert p.message == "missing required key 'a'"


def test_graphml_file_is_validated_like_yaml(tmp_path):
    fp = floorplan_from_dict(minimal())
    path = tmp_path / "plan.graphml"
    save_floorplan(fp, path)
    text = path.read_text(encoding="utf-8").replace(">thumbturn<", ">thumturn<")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    (p,) = info.value.problems
    assert p.element == "connections[0] (id 'D-C1').lock"
    assert "did you mean 'thumbturn'?" in p.fix


def test_graphml_without_drillsim_attributes_reports_what_is_missing(tmp_path):
    g = nx.Graph(name="foreign")
    g.add_edge("a", "b", weight=1.0)
    path = tmp_path / "foreign.graphml"
    nx.write_graphml(g, path)
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    elements = {p.element for p in info.value.problems}
    assert "spaces[0] (id 'a').kind" in elements
    assert "connections[0] (id 'a--b').weight" in elements


def test_malformed_graphml_is_one_problem(tmp_path):
    path = tmp_path / "broken.graphml"
    path.write_text("<graphml><graph>", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    (p,) = info.value.problems
    assert p.message.startswith("not a readable GraphML file")


def test_graphml_floors_attribute_must_be_json(tmp_path):
    fp = floorplan_from_dict(two_floors())
    path = tmp_path / "plan.graphml"
    save_floorplan(fp, path)
    g = nx.read_graphml(path)
    g.graph["floors"] = "[oops"
    nx.write_graphml(g, path)
    with pytest.raises(ValidationError) as info:
        load_floorplan(path)
    assert any(p.element == "floors" and "not valid JSON" in p.message for p in info.value.problems)


def test_input_dict_is_not_modified():
    data = minimal()
    before = copy.deepcopy(data)
    floorplan_from_dict(data)
    assert data == before


def test_floorplan_pickles_for_worker_processes():
    import pickle

    fp = floorplan_from_dict(two_floors(), "two.yaml")
    back = pickle.loads(pickle.dumps(fp))
    assert back == fp and back.source == "two.yaml"
    assert nx.is_frozen(back.graph)
    assert back.connections() == fp.connections()


def test_validate_an_edited_graph_reports_problems_instead_of_failing():
    """Replacing a connection in a copied graph must not raise (the stored file order is stale)."""
    from dataclasses import replace

    from drillsim.floorplan import load_floorplan, validate_floorplan

    fp = load_floorplan(Path(__file__).resolve().parents[1] / "floorplans/elementary-school.yaml")
    g = fp.graph.copy()
    a, b, attrs = fp.connections()[0]
    g.remove_edge(a, b)
    other = next(n for n in g.nodes if n not in (a, b) and not g.has_edge(a, n))
    g.add_edge(a, other, **attrs)
    problems = validate_floorplan(replace(fp, graph=g))
    assert isinstance(problems, list)
