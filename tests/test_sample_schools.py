"""The two bundled fictional schools: they load, and have the rooms, exits and hardware promised."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from drillsim.floorplan import Floorplan, floorplan_from_dict, floorplan_to_yaml, load_floorplan
from drillsim.floorplan.draw import _rect

ROOT = Path(__file__).resolve().parent.parent
FLOORPLANS = ROOT / "floorplans"


@pytest.fixture(scope="module")
def elementary() -> Floorplan:
    return load_floorplan(FLOORPLANS / "elementary-school.yaml")


@pytest.fixture(scope="module")
def high() -> Floorplan:
    return load_floorplan(FLOORPLANS / "high-school.yaml")


def of_kind(fp: Floorplan, kind: str) -> list[str]:
    return [s for s in fp.spaces if fp.space(s)["kind"] == kind]


def doors_of(fp: Floorplan, sid: str) -> list[dict]:
    return [d for a, b, d in fp.connections() if sid in (a, b) and d["kind"] == "door"]


def classroom_locks(fp: Floorplan) -> Counter:
    return Counter(d["lock"] for s in of_kind(fp, "classroom") for d in doors_of(fp, s))


def check_common(fp: Floorplan) -> None:
    """Checks both schools pass: exits, door widths, geometry that reads as a plan."""
    for ex in of_kind(fp, "exit"):
        ext = [d for d in doors_of(fp, ex) if d["exterior"]]
        gates = [d for a, b, d in fp.connections() if ex in (a, b) and d["kind"] == "opening"]
        assert ext or gates, ex
        for d in ext:
            assert d["width_m"] >= 1.8, (ex, d)
        assert fp.space(ex)["assembly_distance_m"] > 0
    for c in of_kind(fp, "classroom"):
        (door,) = doors_of(fp, c)
        assert door["width_m"] == 0.91
        w, h = fp.space(c)["size_w_m"], fp.space(c)["size_h_m"]
        assert 60 <= w * h <= 100 and 7 <= min(w, h) and max(w, h) <= 12.5
    for h in of_kind(fp, "corridor"):
        length = max(fp.space(h)["size_w_m"], fp.space(h)["size_h_m"])
        assert 15 <= length <= 25, h
        assert min(fp.space(h)["size_w_m"], fp.space(h)["size_h_m"]) <= 4  # long and thin
    # footprints on the same floor do not overlap
    drawn = [s for s in fp.spaces if fp.space(s)["kind"] != "exit"]
    for i, a in enumerate(drawn):
        ra = _rect(fp.space(a))
        for b in drawn[i + 1 :]:
            if fp.space(a)["floor"] != fp.space(b)["floor"]:
                continue
            rb = _rect(fp.space(b))
            overlap_x = min(ra[2], rb[2]) - max(ra[0], rb[0])
            overlap_y = min(ra[3], rb[3]) - max(ra[1], rb[1])
            assert overlap_x <= 1e-6 or overlap_y <= 1e-6, (a, b)
    # a door joins footprints that touch (or nearly: portables sit 2 m off their walkway)
    for a, b, d in fp.connections():
        if d["kind"] == "stair" or "exit" in (fp.space(a)["kind"], fp.space(b)["kind"]):
            continue
        ra, rb = _rect(fp.space(a)), _rect(fp.space(b))
        gap_x = max(ra[0], rb[0]) - min(ra[2], rb[2])
        gap_y = max(ra[1], rb[1]) - min(ra[3], rb[3])
        assert max(gap_x, gap_y) <= 2.0 + 1e-9, (a, b)


def test_elementary_school(elementary):
    fp = elementary
    assert fp.levels == [0]
    rooms = of_kind(fp, "classroom")
    assert len(rooms) >= 20
    sizes = [fp.space(s)["capacity"] for s in rooms]
    assert all(20 <= n <= 24 for n in sizes)
    assert 430 <= sum(sizes) <= 460
    assert len(of_kind(fp, "exit")) >= 4
    for kind in ("gym", "cafeteria", "library"):
        assert len(of_kind(fp, kind)) == 1, kind
    assert "OFFICE" in of_kind(fp, "office") and "NURSE" in of_kind(fp, "office")
    assert len(of_kind(fp, "restroom")) >= 2
    locks = classroom_locks(fp)
    assert locks["thumbturn"] > len(rooms) / 2
    assert locks["key_outside"] >= 1 and locks["auto_locking"] >= 1
    assert doors_of(fp, "GYM")[0]["lock"] in ("none", "key_inside")
    assert doors_of(fp, "CAF")[0]["lock"] in ("none", "key_inside")
    assert all(d["lock"] == "thumbturn" for d in doors_of(fp, "OFFICE"))
    check_common(fp)


def test_elementary_portables_are_outside_pa_on_an_outdoor_walkway(elementary):
    fp = elementary
    portables = [s for s in of_kind(fp, "classroom") if not fp.space(s)["pa"]]
    assert portables == ["P1", "P2"]
    walkways = set()
    for p in portables:
        (door,) = doors_of(fp, p)
        other = next(b if a == p else a for a, b, d in fp.connections() if d is door)
        assert fp.space(other)["kind"] == "outdoor" and fp.space(other)["pa"] is False
        walkways.add(other)
    (walk,) = walkways
    neighbours = {fp.space(n)["kind"] for n in fp.graph.neighbors(walk)}
    assert "exit" in neighbours and "corridor" in neighbours  # to the building and to an exit
    # everything else indoors is covered by the PA
    indoor = [s for s in fp.spaces if fp.space(s)["kind"] not in ("exit", "outdoor")]
    assert [s for s in indoor if not fp.space(s)["pa"]] == portables


def test_high_school(high):
    fp = high
    assert fp.levels == [0, 1]
    rooms = of_kind(fp, "classroom")
    assert len(rooms) >= 40
    sizes = [fp.space(s)["capacity"] for s in rooms]
    assert all(28 <= n <= 30 for n in sizes)
    assert 1150 <= sum(sizes) <= 1250
    assert len(of_kind(fp, "exit")) >= 6
    for kind in ("gym", "cafeteria", "library", "commons"):
        assert of_kind(fp, kind), kind
    assert len(of_kind(fp, "office")) >= 2
    for level in (0, 1):
        on = [s for s in of_kind(fp, "restroom") if fp.space(s)["floor"] == level]
        assert len(on) >= 2, level
        assert [s for s in rooms if fp.space(s)["floor"] == level]
    stairs = [(a, b, d) for a, b, d in fp.connections() if d["kind"] == "stair"]
    assert len(stairs) >= 2
    for a, b, d in stairs:
        assert {fp.space(a)["floor"], fp.space(b)["floor"]} == {0, 1}
        assert fp.space(a)["kind"] == fp.space(b)["kind"] == "stair"
        assert d["length_m"] == pytest.approx(3 * fp.floor_height_m)
    locks = classroom_locks(fp)
    assert locks["thumbturn"] > len(rooms) / 2
    assert locks["key_outside"] >= 1 and locks["auto_locking"] >= 1
    check_common(fp)


def test_sample_totals_are_the_documented_ones(elementary, high):
    readme = (FLOORPLANS / "README.md").read_text(encoding="utf-8")
    totals = []
    for fp in (elementary, high):
        rooms = of_kind(fp, "classroom")
        totals.append((len(rooms), sum(fp.space(s)["capacity"] for s in rooms)))
    assert totals == [(20, 447), (42, 1218)]
    assert "| 447 (class sizes 20–24)" in readme and "| 1,218 (class sizes 28–30)" in readme


def test_generator_reproduces_the_sample_files():
    spec = importlib.util.spec_from_file_location(
        "generate_samples", FLOORPLANS / "generate_samples.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fname, build in (
        ("elementary-school.yaml", module.elementary),
        ("high-school.yaml", module.high),
    ):
        fp = floorplan_from_dict(build(), source=fname)
        expected = module.HEADER.format(title=fp.name) + floorplan_to_yaml(fp)
        assert (FLOORPLANS / fname).read_text(encoding="utf-8") == expected, fname
