"""IMDF and DXF import: small fictional schools built in the test, imported, validated and run.

Nothing is fetched: the IMDF GeoJSON and the DXF drawing are written here. Each import must give
a floorplan that ``drillsim validate`` accepts and on which a lockdown and an evacuation run;
malformed inputs must fail with the file, the element and a fix, never a traceback.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import ezdxf
import pytest
import yaml
from click.testing import CliRunner

from drillsim.cli.main import cli
from drillsim.errors import ValidationError
from drillsim.floorplan import load_floorplan
from drillsim.imports.dxf import import_dxf, kind_from_label
from drillsim.imports.imdf import EARTH_RADIUS_M, import_imdf

LON0, LAT0 = -100.0, 40.0  # a fictional site; only used to place the GeoJSON on the globe

# A one-wing fictional school in metres: (key, name, category, level, x0, y0, x1, y1)
UNITS = [
    ("u-h1", "Hall 1", "walkway", 0, 0, 8, 30, 11),
    ("u-h2", "Hall 2", "walkway", 0, 30, 8, 45, 11),
    ("u-c1", "Room 101", "classroom", 0, 0, 11, 9, 19),
    ("u-c2", "Room 102", "classroom", 0, 9, 11, 18, 19),
    ("u-c3", "Room 103", "classroom", 0, 18, 11, 27, 19),
    ("u-c4", "Room 104", "classroom", 0, 0, 0, 9, 8),
    ("u-of", "Main office", "office", 0, 9, 0, 18, 8),
    ("u-rr", "Restroom", "restroom.unisex", 0, 18, 0, 24, 8),
    ("u-gy", "Gym", "fitnessroom", 0, 30, 11, 45, 25),
    ("u-s0", "Stair", "stairs", 0, 27, 11, 30, 17),
    ("u-st", "Storage", "storage", 0, 24, 0, 30, 8),
    ("u-h3", "Hall 3", "walkway", 1, 0, 8, 30, 11),
    ("u-c5", "Room 201", "classroom", 1, 0, 11, 9, 19),
    ("u-c6", "Room 202", "classroom", 1, 9, 11, 18, 19),
    ("u-s1", "Stair", "stairs", 1, 27, 11, 30, 17),
]
# openings: (key, level, (x, y) start, (x, y) end, door?)
OPENINGS = [
    ("o-c1", 0, (4, 11), (5, 11), True),
    ("o-c2", 0, (13, 11), (14, 11), True),
    ("o-c3", 0, (22, 11), (23, 11), False),  # no door recorded: a door is guessed
    ("o-c4", 0, (4, 8), (5, 8), True),
    ("o-of", 0, (13, 8), (14, 8), True),
    ("o-rr", 0, (20, 8), (21, 8), True),
    ("o-st", 0, (26, 8), (27, 8), True),  # into storage: left out
    ("o-s0", 0, (28, 11), (29.5, 11), True),
    ("o-hh", 0, (30, 8.5), (30, 10.5), False),
    ("o-gy", 0, (36, 11), (38, 11), True),
    ("o-xw", 0, (0, 8.6), (0, 10.4), True),  # west exterior doors
    ("o-xe", 0, (45, 8.6), (45, 10.4), True),  # east exterior doors
    ("o-c5", 1, (4, 11), (5, 11), True),
    ("o-c6", 1, (13, 11), (14, 11), True),
    ("o-s1", 1, (28, 11), (29.5, 11), True),
]


def _ll(x: float, y: float) -> list[float]:
    k = math.cos(math.radians(LAT0))
    return [LON0 + math.degrees(x / (EARTH_RADIUS_M * k)), LAT0 + math.degrees(y / EARTH_RADIUS_M)]


def _fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def imdf_files(units=UNITS, openings=OPENINGS) -> dict[str, dict]:
    """The fictional school as IMDF feature collections (lon/lat geometry)."""
    levels = [
        {
            "type": "Feature",
            "id": f"lv-{o}",
            "feature_type": "level",
            "geometry": None,
            "properties": {
                "ordinal": o,
                "name": {"en": n},
                "category": "unspecified",
                "outdoor": False,
            },
        }
        for o, n in ((0, "Ground"), (1, "First"))
    ]
    unit_features = [
        {
            "type": "Feature",
            "id": k,
            "feature_type": "unit",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[_ll(x0, y0), _ll(x1, y0), _ll(x1, y1), _ll(x0, y1), _ll(x0, y0)]],
            },
            "properties": {"category": cat, "level_id": f"lv-{lv}", "name": {"en": name}},
        }
        for k, name, cat, lv, x0, y0, x1, y1 in units
    ]
    opening_features = [
        {
            "type": "Feature",
            "id": k,
            "feature_type": "opening",
            "geometry": {"type": "LineString", "coordinates": [_ll(*a), _ll(*b)]},
            "properties": {
                "category": "pedestrian",
                "level_id": f"lv-{lv}",
                "door": {"type": "door", "automatic": False} if door else None,
            },
        }
        for k, lv, a, b, door in openings
    ]
    venue = [
        {
            "type": "Feature",
            "id": "venue",
            "feature_type": "venue",
            "geometry": None,
            "properties": {"name": {"en": "Fictional Test Middle School"}, "category": "school"},
        }
    ]
    amenity = [
        {
            "type": "Feature",
            "id": "am-1",
            "feature_type": "amenity",
            "geometry": {"type": "Point", "coordinates": _ll(20, 4)},
            "properties": {"category": "restroom.unisex", "unit_ids": ["u-rr"]},
        }
    ]
    return {
        "venue": _fc(venue),
        "level": _fc(levels),
        "unit": _fc(unit_features),
        "opening": _fc(opening_features),
        "amenity": _fc(amenity),
    }


def write_imdf(folder: Path, files: dict[str, dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.geojson").write_text(json.dumps(data), encoding="utf-8")
    return folder


# -- DXF ----------------------------------------------------------------------------------------
ROOMS = [  # (label, x0, y0, x1, y1) in mm; walls drawn as the inner faces, 150 mm apart
    ("CORRIDOR", 0, 8000, 30000, 11000),
    ("HALL EAST", 30000, 8000, 45000, 11000),
    ("ROOM 101", 0, 11150, 9000, 19000),
    ("ROOM 102", 9150, 11150, 18000, 19000),
    ("ROOM 103", 18150, 11150, 27000, 19000),
    ("ROOM 104", 0, 0, 9000, 7850),
    ("OFFICE", 9150, 0, 18000, 7850),
    ("GIRLS", 18150, 0, 24000, 7850),
    ("GYM", 30000, 11150, 45000, 25000),
]
DOORS = [  # door block insertion points (hinge on the corridor-side wall), mm; rotation
    (4000, 11000),
    (13000, 11000),
    (22000, 11000),
    (4000, 8000),
    (13000, 8000),
    (20000, 8000),
    (36000, 11000),
]


def write_dxf(path: Path, *, rooms=ROOMS, doors=DOORS, open_one=False, units=4, extra=None):
    """The fictional school as a DXF in millimetres: ROOMS layer outlines, DOORS layer blocks."""
    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = units
    doc.layers.add("A-ROOMS")
    doc.layers.add("A-DOORS")
    doc.layers.add("A-TEXT")
    block = doc.blocks.new("DOOR900")
    block.add_line((0, 0), (0, 900))  # the leaf, open
    block.add_arc((0, 0), 900, 0, 90)  # its swing: radius = leaf width
    msp = doc.modelspace()
    for i, (label, x0, y0, x1, y1) in enumerate(rooms):
        pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        msp.add_lwpolyline(pts, close=not (open_one and i == 2), dxfattribs={"layer": "A-ROOMS"})
        msp.add_text(label, height=300, dxfattribs={"layer": "A-TEXT"}).set_placement(
            ((x0 + x1) / 2, (y0 + y1) / 2)
        )
    for x, y in doors:
        # swing into the room on the far side of the wall from the corridor
        rot = 0 if y >= 11000 else 270
        msp.add_blockref(
            "DOOR900",
            (x, y + (150 if y >= 11000 else -150)),
            dxfattribs={"layer": "A-DOORS", "rotation": rot},
        )
    # exterior double doors at both ends of the corridor: lines across the openings
    msp.add_line((0, 8600), (0, 10400), dxfattribs={"layer": "A-DOORS"})
    msp.add_line((45000, 8600), (45000, 10400), dxfattribs={"layer": "A-DOORS"})
    if extra:
        extra(msp)
    doc.saveas(path)
    return path


def scenario_yaml(folder: Path, floorplan: Path, protocol: str, origin: str) -> Path:
    p = folder / f"{protocol}.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "name": f"imported {protocol}",
                "floorplan": str(floorplan),
                "protocol": protocol,
                "mode": "drill",
                "incident": {"origin": origin},
                "population": {"preset": "class_in_session", "student_age_band": "middle"},
            }
        ),
        encoding="utf-8",
    )
    return p


def _run(args: list[str]):
    return CliRunner().invoke(cli, args)


def _lockdown_and_evacuation(tmp: Path, fp_path: Path, origin: str) -> None:
    for protocol in ("lockdown", "evacuate"):
        sc = scenario_yaml(tmp, fp_path, protocol, origin)
        res = _run(["validate", str(sc)])
        assert res.exit_code == 0, res.output
        res = _run(["run", str(sc), "--seed", "3", "--out", str(tmp / f"run-{protocol}")])
        assert res.exit_code == 0, res.output
        people = (tmp / f"run-{protocol}" / "people.csv").read_text().splitlines()
        assert len(people) > 100  # a header and the school's people
        summary = json.loads((tmp / f"run-{protocol}" / "summary.json").read_text())
        metrics = summary.get("metrics", summary)
        text = json.dumps(metrics)
        if protocol == "lockdown":
            assert "time_all_secured_s" in text
        else:
            assert "evacuation_time_s" in text


# -- IMDF ---------------------------------------------------------------------------------------
def test_imdf_import_validates_and_runs(tmp_path):
    venue = write_imdf(tmp_path / "venue", imdf_files())
    res = _run(["import", "imdf", str(venue), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    fp_path = tmp_path / "out" / "floorplan.yaml"
    fp = load_floorplan(fp_path)
    assert fp.name == "Fictional Test Middle School"
    assert fp.levels == [0, 1]
    kinds = {fp.space(s)["label"]: fp.space(s)["kind"] for s in fp.spaces}
    assert kinds["Room 101"] == "classroom" and kinds["Gym"] == "gym"
    assert kinds["Hall 1"] == "corridor" and kinds["Restroom"] == "restroom"
    assert "Storage" not in kinds  # not a drill space
    assert sum(k == "exit" for k in kinds.values()) == 2
    # widths from the opening lines: a 1 m door, the 1.8 m exterior pair
    by_pair = {frozenset((a, b)): attrs for a, b, attrs in fp.connections()}
    assert by_pair[frozenset(("Room-101", "Hall-1"))]["width_m"] == pytest.approx(1.0, abs=0.01)
    assert by_pair[frozenset(("Hall-1", "EXIT-1"))]["width_m"] == pytest.approx(1.8, abs=0.01)
    # stairwells stacked on the two levels are joined by a stair flight
    stair = [attrs for a, b, attrs in fp.connections() if attrs["kind"] == "stair"]
    assert len(stair) == 1
    # room 103's opening had no door: a door with the guessed lock
    d103 = by_pair[frozenset(("Room-103", "Hall-1"))]
    assert d103["kind"] == "door" and d103["lock"] == "thumbturn"
    report = (tmp_path / "out" / "import-report.txt").read_text()
    for words in (
        "GUESSED VALUES",
        "lock hardware",
        "class sizes",
        "PA coverage",
        "exits",
        "doors on openings into securable rooms",
        "Room-103",
    ):
        assert words in report, words
    assert _run(["validate", str(fp_path)]).exit_code == 0
    _lockdown_and_evacuation(tmp_path, fp_path, "Hall-2")


def test_imdf_zip_gives_the_same_floorplan(tmp_path):
    files = imdf_files()
    folder = write_imdf(tmp_path / "venue", files)
    z = tmp_path / "venue.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"venue/{name}.geojson", json.dumps(data))
    assert import_imdf(z).floorplan == import_imdf(folder).floorplan


def _problems(fn, *args, **kw) -> list[str]:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kw)
    return [str(p) for p in info.value.problems]


def test_imdf_malformed_files_are_named_with_element_and_fix(tmp_path):
    units = [*UNITS[:-1], ("u-bad", "Room X", "clasroom", 1, 10, 30, 15, 35)]
    openings = [*OPENINGS, ("o-far", 0, (100, 100), (101, 100), True)]
    files = imdf_files(units, openings)
    files["opening"]["features"][0]["properties"]["category"] = "trapdoor"
    venue = write_imdf(tmp_path / "venue", files)
    problems = _problems(import_imdf, venue)
    text = "\n".join(problems)
    assert (
        "unit.geojson: features[14] (id 'u-bad').properties.category: unknown unit category "
        "'clasroom' (did you mean 'classroom'?)" in text
    )
    assert (
        "opening.geojson: features[0] (id 'o-c1').properties.category: unknown opening "
        "category 'trapdoor'" in text
    )
    assert "(id 'o-far'): opening touches no unit" in text
    assert all("-> fix:" in p for p in problems)


def test_imdf_missing_file_and_bad_json(tmp_path):
    files = imdf_files()
    del files["opening"]
    venue = write_imdf(tmp_path / "venue", files)
    (problem,) = _problems(import_imdf, venue)
    assert "opening.geojson: (file): missing" in problem and "-> fix:" in problem
    (venue / "opening.geojson").write_text('{"type": "FeatureCollection", "features": [,]}')
    (problem,) = _problems(import_imdf, venue)
    assert "opening.geojson: line 1 column" in problem and "not valid JSON" in problem


def test_imdf_cli_error_is_readable(tmp_path):
    files = imdf_files()
    files["unit"]["features"][2]["properties"]["level_id"] = "lv-9"
    venue = write_imdf(tmp_path / "venue", files)
    res = _run(["import", "imdf", str(venue), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "level_id 'lv-9' is not a level" in res.output and "-> fix:" in res.output
    assert not (tmp_path / "out").exists()  # nothing half-written


# -- DXF ----------------------------------------------------------------------------------------
def test_dxf_import_validates_and_runs(tmp_path):
    plan = write_dxf(tmp_path / "school.dxf")
    res = _run(
        [
            "import",
            "dxf",
            str(plan),
            "--rooms-layer",
            "A-ROOMS",
            "--doors-layer",
            "A-DOORS",
            "--name",
            "Fictional DXF School",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert res.exit_code == 0, res.output
    fp_path = tmp_path / "out" / "floorplan.yaml"
    fp = load_floorplan(fp_path)
    kinds = {fp.space(s)["label"]: fp.space(s)["kind"] for s in fp.spaces}
    assert kinds["ROOM 101"] == "classroom" and kinds["CORRIDOR"] == "corridor"
    assert kinds["GYM"] == "gym" and kinds["GIRLS"] == "restroom" and kinds["OFFICE"] == "office"
    # millimetres -> metres: the 9.0 m x 7.85 m room 101 (drawn 9000 x 7850 mm)
    r101 = fp.space("ROOM-101")
    assert r101["area_m2"] == pytest.approx(9.0 * 7.85, rel=1e-6)
    by_pair = {frozenset((a, b)): attrs for a, b, attrs in fp.connections()}
    # door width = the block's swing radius, 900 mm
    assert by_pair[frozenset(("ROOM-101", "CORRIDOR"))]["width_m"] == pytest.approx(0.9)
    # the two hallway polygons touch with no door: an opening as wide as the shared wall (3 m)
    hh = by_pair[frozenset(("CORRIDOR", "HALL-EAST"))]
    assert hh["kind"] == "opening" and hh["width_m"] == pytest.approx(3.0, abs=0.6)
    exits = [s for s in fp.spaces if fp.space(s)["kind"] == "exit"]
    assert len(exits) == 2
    report = (tmp_path / "out" / "import-report.txt").read_text()
    assert "lock hardware" in report and "open passages between touching hallways" in report
    _lockdown_and_evacuation(tmp_path, fp_path, "CORRIDOR")


def test_dxf_missing_layer_suggests_the_real_one(tmp_path):
    plan = write_dxf(tmp_path / "school.dxf")
    problems = _problems(import_dxf, plan, rooms_layer="A-ROOM", doors_layer="A-DOORS")
    assert len(problems) == 1
    assert "layer 'A-ROOM': no entities on the rooms layer (did you mean 'A-ROOMS'?)" in problems[0]
    assert "--rooms-layer" in problems[0]


def test_dxf_unclosed_polyline_and_stray_door_are_rejected(tmp_path):
    plan = write_dxf(tmp_path / "school.dxf", open_one=True, doors=[*DOORS, (80000, 80000)])
    problems = _problems(import_dxf, plan, rooms_layer="A-ROOMS", doors_layer="A-DOORS")
    text = "\n".join(problems)
    assert "layer 'A-ROOMS', LWPOLYLINE (handle" in text and "polyline is not closed" in text
    assert "PEDIT > Close" in text
    assert "touches no room" in text and "move it onto the wall" in text
    assert str(plan) in problems[0]


def test_dxf_without_units_asks_for_them(tmp_path):
    plan = write_dxf(tmp_path / "school.dxf", units=0)
    (problem,) = _problems(import_dxf, plan, rooms_layer="A-ROOMS", doors_layer="A-DOORS")
    assert "$INSUNITS" in problem and "--units" in problem
    fp = import_dxf(plan, rooms_layer="A-ROOMS", doors_layer="A-DOORS", units="mm").floorplan
    assert fp.space("ROOM-101")["area_m2"] == pytest.approx(70.65)


def test_dxf_room_without_door_is_named(tmp_path):
    plan = write_dxf(tmp_path / "school.dxf", doors=DOORS[1:])  # room 101 loses its door
    (problem,) = _problems(import_dxf, plan, rooms_layer="A-ROOMS", doors_layer="A-DOORS")
    assert "'ROOM 101' has no door or opening" in problem and "-> fix:" in problem


def test_dxf_cli_bad_file_no_traceback(tmp_path):
    bad = tmp_path / "bad.dxf"
    bad.write_text("this is not a drawing\n")
    res = _run(
        [
            "import",
            "dxf",
            str(bad),
            "--rooms-layer",
            "R",
            "--doors-layer",
            "D",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert res.exit_code in (1, 2) and "Traceback" not in res.output
    assert "bad.dxf" in res.output and "fix" in res.output


@pytest.mark.parametrize(
    "label,kind",
    [
        ("ROOM 204", "classroom"),
        ("Science Lab", "classroom"),
        ("Main Corridor", "corridor"),
        ("Boys", "restroom"),
        ("Stair B", "stair"),
        ("Nurse", "office"),
        ("Media Center", "library"),
        ("Dining", "cafeteria"),
        ("Front Lobby", "commons"),
        ("Auditorium", "gym"),
        ("X", "office"),
    ],
)
def test_kind_from_label(label, kind):
    assert kind_from_label(label)[0] == kind


def test_imdf_bad_zip_and_bad_amenity_are_named(tmp_path):
    z = tmp_path / "venue.zip"
    z.write_bytes(b"PK\x03\x04 not really a zip")
    res = _run(["import", "imdf", str(z), "--out", str(tmp_path / "o")])
    assert res.exit_code in (1, 2) and "Traceback" not in res.output and "venue.zip" in res.output
    files = imdf_files()
    files["amenity"]["features"][0]["properties"]["unit_ids"] = "u-rr"
    (problem,) = _problems(import_imdf, write_imdf(tmp_path / "v", files))
    assert "amenity.geojson: features[0] (id 'am-1').properties.unit_ids" in problem


def test_dxf_stray_entity_on_the_doors_layer(tmp_path):
    plan = write_dxf(
        tmp_path / "school.dxf",
        extra=lambda msp: msp.add_circle((5000, 5000), 300, dxfattribs={"layer": "A-DOORS"}),
    )
    (problem,) = _problems(import_dxf, plan, rooms_layer="A-ROOMS", doors_layer="A-DOORS")
    assert "layer 'A-DOORS', CIRCLE (handle" in problem and "is not a door" in problem
