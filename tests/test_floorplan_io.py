"""Writing floorplans: the dict form, YAML/GraphML/JSON round trips and atomic saves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import networkx as nx
import pytest
import yaml

from drillsim.errors import ValidationError
from drillsim.floorplan import (
    Floorplan,
    floorplan_from_dict,
    floorplan_to_dict,
    floorplan_to_graphml,
    floorplan_to_node_link,
    floorplan_to_yaml,
    load_floorplan,
    save_floorplan,
)
from drillsim.floorplan.model import CONNECTION_FIELDS, SPACE_FIELDS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "floorplans" / "elementary-school.yaml", ROOT / "floorplans" / "high-school.yaml"]


def plan_dict() -> dict:
    return {
        "name": "IO School",
        "floor_height_m": 4.0,
        "floors": [{"level": 0, "name": "Ground"}, {"level": 1, "name": "Upper"}],
        "spaces": [
            {"id": "R1", "kind": "classroom", "floor": 1, "x": 0.1 + 0.2, "y": 8.0, "capacity": 28,
             "safe_zone_capacity": 20, "label": "yes", "area_m2": 80.75},
            {"id": "S1", "kind": "stair", "floor": 1, "x": 10.0, "y": 8.0},
            {"id": "S0", "kind": "stair", "floor": 0, "x": 10.0, "y": 8.0},
            {"id": "H0", "kind": "corridor", "floor": 0, "x": 20.0, "y": 4.0,
             "label": "Hall: north #1", "size_w_m": 40.0, "size_h_m": 3.0},
            {"id": "EX", "kind": "exit", "floor": 0, "x": 45.0, "y": 4.0,
             "assembly_distance_m": 55.5},
        ],
        "connections": [
            {"id": "D-R1", "a": "R1", "b": "S1", "kind": "door", "lock": "key_outside"},
            {"a": "S1", "b": "S0", "kind": "stair", "width_m": 1.6},
            {"a": "H0", "b": "S0", "kind": "door", "length_m": 7.25},
            {"a": "H0", "b": "EX", "kind": "door", "width_m": 1.8, "lock": "central"},
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def samples():
    return [load_floorplan(p) for p in SAMPLES]


# ----------------------------------------------------------------------------------------------
# dict form


def test_dict_form_leaves_out_defaults():
    d = floorplan_to_dict(floorplan_from_dict(plan_dict()))
    assert d["name"] == "IO School" and d["floor_height_m"] == 4.0
    assert d["floors"] == [{"level": 0, "name": "Ground"}, {"level": 1, "name": "Upper"}]
    assert d["spaces"][0] == {
        "id": "R1",
        "kind": "classroom",
        "floor": 1,
        "x": 0.1 + 0.2,
        "y": 8.0,
        "area_m2": 80.75,
        "capacity": 28,
        "safe_zone_capacity": 20,
        "label": "yes",
    }
    assert d["spaces"][1] == {"id": "S1", "kind": "stair", "floor": 1, "x": 10.0, "y": 8.0}
    # ends ordered as the spaces are listed (S1 before S0), explicit values kept
    assert d["connections"] == [
        {"id": "D-R1", "a": "R1", "b": "S1", "kind": "door", "lock": "key_outside"},
        {"a": "S1", "b": "S0", "kind": "stair", "width_m": 1.6},
        {"id": "H0--S0", "a": "S0", "b": "H0", "kind": "door", "length_m": 7.25},
        {"a": "H0", "b": "EX", "kind": "door", "width_m": 1.8, "lock": "central"},
    ]


def test_explicit_dict_form_has_every_field():
    d = floorplan_to_dict(floorplan_from_dict(plan_dict()), explicit=True)
    for rec in d["spaces"]:
        assert list(rec) == list(SPACE_FIELDS)
    for rec in d["connections"]:
        assert list(rec) == list(CONNECTION_FIELDS)
    assert d["spaces"][4]["pa"] is False and d["connections"][3]["exterior"] is True


@pytest.mark.parametrize("explicit", [False, True])
def test_dict_form_round_trips_exactly(explicit):
    fp = floorplan_from_dict(plan_dict())
    d = floorplan_to_dict(fp, explicit=explicit)
    again = floorplan_from_dict(d)
    assert floorplan_to_dict(again, explicit=explicit) == d
    assert floorplan_to_dict(again) == floorplan_to_dict(fp)
    assert again == fp and again.digest() == fp.digest()


def test_method_to_dict_matches_function():
    fp = floorplan_from_dict(plan_dict())
    assert fp.to_dict() == floorplan_to_dict(fp)
    assert fp.to_dict(explicit=True) == floorplan_to_dict(fp, explicit=True)


def test_samples_dict_form_round_trips(samples):
    for fp in samples:
        assert floorplan_from_dict(floorplan_to_dict(fp)) == fp


# ----------------------------------------------------------------------------------------------
# YAML


def test_yaml_text_is_one_line_per_record_and_parses_back():
    fp = floorplan_from_dict(plan_dict())
    text = floorplan_to_yaml(fp)
    lines = text.splitlines()
    assert lines[0] == "name: IO School"
    assert sum(1 for ln in lines if ln.startswith("  - {id: ")) == 5 + 2  # spaces + explicit ids
    assert len(lines) == 1 + 1 + 1 + 2 + 1 + 5 + 1 + 4
    assert yaml.safe_load(text) == floorplan_to_dict(fp)


def test_yaml_quotes_tricky_strings():
    fp = floorplan_from_dict(plan_dict())
    back = yaml.safe_load(floorplan_to_yaml(fp))
    assert back["spaces"][0]["label"] == "yes"  # not the boolean True
    assert back["spaces"][3]["label"] == "Hall: north #1"


def test_yaml_with_no_connections_writes_an_empty_list():
    exit_attrs = floorplan_from_dict(plan_dict()).space("EX")
    g = nx.Graph()
    g.add_node("EX", **exit_attrs)
    text = floorplan_to_yaml(Floorplan("Lonely exit", g))
    assert text.endswith("connections: []\n")
    assert yaml.safe_load(text)["connections"] == []


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".graphml", ".json"])
def test_save_and_load_each_format(tmp_path, suffix):
    fp = floorplan_from_dict(plan_dict())
    path = tmp_path / f"plan{suffix}"
    save_floorplan(fp, path)
    back = load_floorplan(path)
    assert floorplan_to_dict(back) == floorplan_to_dict(fp)
    assert floorplan_to_dict(back, explicit=True) == floorplan_to_dict(fp, explicit=True)
    assert back.digest() == fp.digest()
    assert back.source == str(path)
    assert back.spaces == fp.spaces
    assert [(a, b) for a, b, _ in back.connections()] == [(a, b) for a, b, _ in fp.connections()]


@pytest.mark.parametrize("via", [".graphml", ".json"])
def test_samples_round_trip_yaml_via_other_format_to_yaml(tmp_path, samples, via):
    for src, fp in zip(SAMPLES, samples, strict=True):
        mid = tmp_path / f"{src.stem}{via}"
        out = tmp_path / f"{src.stem}.yaml"
        save_floorplan(fp, mid)
        save_floorplan(load_floorplan(mid), out)
        back = load_floorplan(out)
        assert floorplan_to_dict(back) == floorplan_to_dict(fp)
        assert back.digest() == fp.digest()
        # the YAML body is byte-identical to the generated sample (after its comment header)
        body = "".join(ln for ln in src.read_text(encoding="utf-8").splitlines(keepends=True)
                       if not ln.startswith("#"))  # fmt: skip
        assert out.read_text(encoding="utf-8") == body


# ----------------------------------------------------------------------------------------------
# GraphML and node-link JSON


def test_graphml_is_typed_and_readable_by_networkx(tmp_path):
    fp = floorplan_from_dict(plan_dict())
    data = floorplan_to_graphml(fp)
    text = data.decode("utf-8")
    assert 'attr.name="securable" attr.type="boolean"' in text
    assert 'attr.name="x" attr.type="double"' in text
    assert 'attr.name="capacity" attr.type="long"' in text or 'attr.type="int"' in text
    assert 'attr.name="order"' in text
    path = tmp_path / "p.graphml"
    path.write_bytes(data)
    g = nx.read_graphml(path)
    assert g.graph["name"] == "IO School" and g.graph["floor_height_m"] == 4.0
    assert json.loads(g.graph["floors"]) == [
        {"level": 0, "name": "Ground"},
        {"level": 1, "name": "Upper"},
    ]
    assert g.nodes["R1"]["securable"] is True and g.nodes["R1"]["capacity"] == 28
    assert g.edges["S1", "S0"]["kind"] == "stair"
    assert sorted(d["order"] for _, _, d in g.edges(data=True)) == [0, 1, 2, 3]


def test_node_link_json_is_networkx_node_link_data_in_file_order():
    fp = floorplan_from_dict(plan_dict())
    data = floorplan_to_node_link(fp)
    assert data["directed"] is False and data["multigraph"] is False
    assert data["graph"]["floors"][1] == {"level": 1, "name": "Upper"}
    assert [n["id"] for n in data["nodes"]] == fp.spaces
    assert [(e["source"], e["target"], e["id"]) for e in data["edges"]] == [
        (a, b, d["id"]) for a, b, d in fp.connections()
    ]
    g = nx.node_link_graph(data, edges="edges")
    assert set(g.nodes) == set(fp.spaces) and g.number_of_edges() == 4
    json.dumps(data, allow_nan=False)  # plain JSON


def test_edge_order_survives_graphml_even_when_networkx_reorders(tmp_path):
    d = plan_dict()
    d["connections"] = list(reversed(d["connections"]))
    fp = floorplan_from_dict(d)
    path = tmp_path / "rev.graphml"
    save_floorplan(fp, path)
    ids = [e["id"] for _, _, e in load_floorplan(path).connections()]
    assert ids == [e["id"] for _, _, e in fp.connections()]
    assert ids[0] == "H0--EX"


# ----------------------------------------------------------------------------------------------
# atomic writes


def test_save_replaces_existing_file_and_leaves_no_temp_files(tmp_path):
    fp = floorplan_from_dict(plan_dict())
    path = tmp_path / "plan.yaml"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    save_floorplan(fp, path)
    assert load_floorplan(path) == fp
    assert os.listdir(tmp_path) == ["plan.yaml"]
    assert (path.stat().st_mode & 0o777) == 0o640  # permissions of the replaced file kept


def test_failed_save_keeps_the_old_file_and_removes_the_temp_file(tmp_path, monkeypatch):
    fp = floorplan_from_dict(plan_dict())
    path = tmp_path / "plan.json"
    path.write_text("old", encoding="utf-8")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_floorplan(fp, path)
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["plan.json"]


def test_save_unsupported_suffix_writes_nothing(tmp_path):
    fp = floorplan_from_dict(plan_dict())
    with pytest.raises(ValidationError) as info:
        save_floorplan(fp, tmp_path / "plan.csv")
    assert info.value.problems[0].message == "unsupported file type '.csv'"
    assert os.listdir(tmp_path) == []


def test_save_accepts_str_paths(tmp_path):
    fp = floorplan_from_dict(plan_dict())
    save_floorplan(fp, str(tmp_path / "p.graphml"))
    assert load_floorplan(str(tmp_path / "p.graphml")) == fp
