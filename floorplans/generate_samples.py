"""Write the fictional sample schools: ``elementary-school.yaml``, ``high-school.yaml`` and its
variant with outside assembly areas, ``high-school-assembly.yaml``.

Deterministic (no randomness): run ``python floorplans/generate_samples.py`` from the repository
root and the two files are rewritten byte for byte. Both schools are invented; dimensions are
typical of US K-5 and 9-12 buildings (classrooms about 9 m x 8 m, corridors 3-3.6 m wide).

Coordinates are metres: x grows east, y grows north; (x, y) is the centre of a space and
``size_w_m`` x ``size_h_m`` its footprint. Long corridors are split into segments of about 20 m
joined by openings, so that "the nearest room" by path distance is meaningful.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(HERE.parent))

from drillsim.floorplan import floorplan_from_dict, floorplan_to_yaml  # noqa: E402


class Builder:
    """Collects spaces and connections in the order they are added (the file order)."""

    def __init__(self) -> None:
        self.spaces: list[dict[str, Any]] = []
        self.connections: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}

    def space(
        self,
        sid: str,
        kind: str,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        floor: int = 0,
        **extra: Any,
    ) -> str:
        """Add a rectangular space spanning [x0, x1] x [y0, y1] metres; returns its id."""
        w, h = round(x1 - x0, 3), round(y1 - y0, 3)
        rec = {
            "id": sid,
            "kind": kind,
            "floor": floor,
            "x": round((x0 + x1) / 2, 3),
            "y": round((y0 + y1) / 2, 3),
            "area_m2": round(w * h, 2),
            **extra,
            "size_w_m": w,
            "size_h_m": h,
        }
        self.spaces.append(rec)
        self._by_id[sid] = rec
        return sid

    def exit(self, sid: str, x: float, y: float, assembly_m: float, label: str) -> str:
        """Add an exit space (the outside side of an exterior door) at (x, y)."""
        rec = {
            "id": sid,
            "kind": "exit",
            "floor": 0,
            "x": x,
            "y": y,
            "label": label,
            "assembly_distance_m": assembly_m,
        }
        self.spaces.append(rec)
        self._by_id[sid] = rec
        return sid

    def connect(self, a: str, b: str, kind: str, **extra: Any) -> None:
        """Add a connection between spaces ``a`` and ``b``."""
        self.connections.append({"a": a, "b": b, "kind": kind, **extra})

    def door(
        self, room: str, to: str, lock: str = "none", width_m: float = 0.91, **extra: Any
    ) -> None:
        """Add a door with id ``D-<room>`` (``D-<room>-<to>`` for a room's second door)."""
        did = f"D-{room}"
        if any(c.get("id") == did for c in self.connections):
            did = f"D-{room}-{to}"
        self.connect(room, to, "door", id=did, width_m=width_m, lock=lock, **extra)

    def segment_at(self, prefix: str, x: float, bounds: list[float]) -> str:
        """Id of the corridor segment ``<prefix><k>`` whose x-range holds ``x``."""
        for k in range(len(bounds) - 1):
            if bounds[k] <= x < bounds[k + 1]:
                return f"{prefix}{k + 1}"
        raise ValueError(f"x={x} outside corridor {prefix}")

    def data(self, name: str, floor_height_m: float, floors: list[tuple[int, str]]) -> dict:
        return {
            "name": name,
            "floor_height_m": floor_height_m,
            "floors": [{"level": lv, "name": nm} for lv, nm in floors],
            "spaces": self.spaces,
            "connections": self.connections,
        }


# ----------------------------------------------------------------------------------------------
# Fictional elementary school: one floor, K-5 ("Gr" = grade), 20 classrooms (2 of them portables).


def elementary() -> dict:
    b = Builder()
    # Main east-west hall, 3 m wide, 120 m long, in six 20 m segments.
    bounds = [0, 20, 40, 60, 80, 100, 120]
    for k in range(6):
        b.space(
            f"H-M{k + 1}", "corridor", bounds[k], 40, bounds[k + 1], 43, label=f"Main hall {k + 1}"
        )
    for k in range(5):
        b.connect(f"H-M{k + 1}", f"H-M{k + 2}", "opening", width_m=3.0)

    def main_hall(x: float) -> str:
        return b.segment_at("H-M", x, bounds)

    # Wing A (north-west): K and grade 1-2, corridor x 23.5-26.5, rooms 9 m x 8 m both sides.
    b.space("H-A1", "corridor", 23.5, 43, 26.5, 63, label="Wing A hall (south)")
    b.space("H-A2", "corridor", 23.5, 63, 26.5, 83, label="Wing A hall (north)")
    b.connect("H-A1", main_hall(25), "opening", width_m=3.0)
    b.connect("H-A1", "H-A2", "opening", width_m=3.0)
    wing_a = [  # id, grade, class size, out-of-sight places, lock
        ("A01", "K", 21, 18, "thumbturn"),
        ("A02", "K", 21, 18, "thumbturn"),
        ("A03", "K", 20, 14, "key_outside"),
        ("A04", "K", 22, 18, "thumbturn"),
        ("A05", "1", 22, 20, "thumbturn"),
        ("A06", "1", 22, 20, "thumbturn"),
        ("A07", "1", 21, 16, "thumbturn"),
        ("A08", "1", 23, 20, "key_outside"),
        ("A09", "2", 22, 20, "thumbturn"),
        ("A10", "2", 23, 18, "thumbturn"),
    ]
    for k, (rid, grade, size, safe, lock) in enumerate(wing_a):
        row, west = k % 5, k < 5
        x0 = 14.5 if west else 26.5
        y0 = 43 + 8 * row
        grade_name = "K" if grade == "K" else f"Gr {grade}"
        b.space(
            rid,
            "classroom",
            x0,
            y0,
            x0 + 9,
            y0 + 8,
            capacity=size,
            safe_zone_capacity=safe,
            label=f"Room {rid} ({grade_name})",
        )
        b.door(rid, "H-A1" if y0 + 4 < 63 else "H-A2", lock)

    # Wing B (north-east): grades 2-4, corridor x 88.5-91.5.
    b.space("H-B1", "corridor", 88.5, 43, 91.5, 59, label="Wing B hall (south)")
    b.space("H-B2", "corridor", 88.5, 59, 91.5, 75, label="Wing B hall (north)")
    b.connect("H-B1", main_hall(90), "opening", width_m=3.0)
    b.connect("H-B1", "H-B2", "opening", width_m=3.0)
    wing_b = [  # id, west side?, row, grade, size, safe, lock
        ("B01", True, 0, "2", 23, 20, "auto_locking"),
        ("B02", True, 1, "2", 22, 20, "auto_locking"),
        ("B03", True, 2, "3", 23, 16, "key_outside"),
        ("B04", False, 0, "3", 24, 20, "thumbturn"),
        ("B05", False, 1, "3", 22, 20, "thumbturn"),
        ("B06", False, 2, "4", 24, 18, "thumbturn"),
    ]
    for rid, west, row, grade, size, safe, lock in wing_b:
        x0 = 79.5 if west else 91.5
        y0 = 43 + 8 * row
        b.space(
            rid,
            "classroom",
            x0,
            y0,
            x0 + 9,
            y0 + 8,
            capacity=size,
            safe_zone_capacity=safe,
            label=f"Room {rid} (Gr {grade})",
        )
        b.door(rid, "H-B1" if y0 + 4 < 59 else "H-B2", lock)
    b.space("RR-B2", "restroom", 79.5, 67, 88.5, 71, label="Boys restroom B")
    b.space("RR-G2", "restroom", 79.5, 71, 88.5, 75, label="Girls restroom B")
    b.door("RR-B2", "H-B2")
    b.door("RR-G2", "H-B2")
    b.space("SPED", "office", 91.5, 67, 100.5, 75, capacity=4, label="Resource room")
    b.door("SPED", "H-B2", "thumbturn")

    # North side of the main hall, between the wings.
    b.space("RR-B1", "restroom", 35.5, 43, 40.5, 51, label="Boys restroom A")
    b.space("RR-G1", "restroom", 40.5, 43, 45.5, 51, label="Girls restroom A")
    b.door("RR-B1", main_hall(38))
    b.door("RR-G1", main_hall(43))
    b.space("LIB", "library", 48, 43, 68, 57, capacity=30, label="Library")
    b.door("LIB", main_hall(58), "thumbturn", width_m=1.8)
    b.space("WORK", "office", 70, 43, 79.5, 51, capacity=4, label="Staff workroom")
    b.door("WORK", main_hall(74.75), "key_inside")

    # South side: grade 4 rooms, lobby and main entrance, office suite, cafeteria, gym.
    for rid, x0, size, safe in (("C01", 0, 23, 20), ("C02", 9, 22, 20)):
        b.space(
            rid,
            "classroom",
            x0,
            32,
            x0 + 9,
            40,
            capacity=size,
            safe_zone_capacity=safe,
            label=f"Room {rid} (Gr 4)",
        )
        b.door(rid, main_hall(x0 + 4.5), "thumbturn")
    b.space("LOBBY", "commons", 22, 30, 40, 40, label="Front lobby")
    b.connect("LOBBY", main_hall(31), "opening", width_m=4.0)
    b.space("OFFICE", "office", 40, 28, 52, 40, capacity=5, label="Main office")
    b.door("OFFICE", main_hall(46), "thumbturn")
    b.door("OFFICE", "LOBBY", "thumbturn")
    b.space("NURSE", "office", 52, 32, 56, 40, capacity=2, label="Nurse")
    b.door("NURSE", "OFFICE", "thumbturn")
    b.space("RR-ST", "restroom", 56, 36, 60, 40, label="Staff restroom")
    b.door("RR-ST", main_hall(58))
    b.space("CAF", "cafeteria", 62, 20, 84, 40, capacity=220, label="Cafeteria")
    b.door("CAF", main_hall(73), "none", width_m=1.8)
    b.space("GYM", "gym", 90, 14, 114, 40, capacity=25, label="Gym")
    b.door("GYM", main_hall(102), "key_inside", width_m=1.8)

    # Portables: two classrooms outside PA coverage on an outdoor walkway behind wing B.
    b.space("WALK", "outdoor", 104, 43, 108, 81, label="Walkway")
    b.connect("H-M6", "WALK", "door", id="D-WALK", width_m=1.8, lock="key_inside")
    for rid, y0, size, safe in (("P1", 50, 24, 20), ("P2", 64, 23, 20)):
        b.space(
            rid,
            "classroom",
            110,
            y0,
            122,
            y0 + 8,
            capacity=size,
            safe_zone_capacity=safe,
            pa=False,
            label=f"Portable {rid[1]} (Gr 5)",
        )
        b.door(rid, "WALK", "key_outside")

    # Exits: the outside side of each exterior door, with the walk to the assembly point.
    exits = [  # exit id, x, y, from, door width, lock, assembly walk (m), label
        ("EX-MAIN", 31, 27, "LOBBY", 1.8, "central", 40, "Main entrance"),
        ("EX-W", -3, 41.5, "H-M1", 1.8, "key_inside", 55, "West doors"),
        ("EX-A", 25, 86, "H-A2", 1.8, "key_inside", 45, "Wing A north doors"),
        ("EX-B", 90, 78, "H-B2", 1.8, "key_inside", 50, "Wing B north doors"),
        ("EX-CAF", 73, 17, "CAF", 1.8, "key_inside", 35, "Cafeteria doors"),
        ("EX-GYM", 117, 24, "GYM", 1.8, "key_inside", 30, "Gym doors"),
        ("EX-E", 123, 41.5, "H-M6", 1.8, "key_inside", 45, "East doors"),
    ]
    for eid, x, y, frm, width, lock, walk, label in exits:
        b.exit(eid, x, y, walk, label)
        b.connect(frm, eid, "door", id=f"D-{eid}", width_m=width, lock=lock)
    b.exit("EX-PORT", 106, 84, 35, "Portable walkway gate")
    b.connect("WALK", "EX-PORT", "opening", id="G-PORT", width_m=3.0)
    return b.data("Fictional Elementary School (K-5)", 3.6, [(0, "Ground floor")])


# ----------------------------------------------------------------------------------------------
# Fictional high school: two floors, 42 classrooms, ~1,200 students.

ROOM_W, ROOM_D, HALL_W = 9.5, 8.5, 3.6
HALL_Y0 = 50.0
NORTH_Y0, SOUTH_Y0 = HALL_Y0 + HALL_W, HALL_Y0 - ROOM_D  # 53.6, 41.5


def high() -> dict:
    b = Builder()
    block = [0, 23.1, 46.2, 69.3, 92.4, 115.5]  # classroom block hall, five 23.1 m segments
    east = [115.5, 137.75, 160.0]  # ground floor hall continues east to the commons
    room_no = 0
    for f in (0, 1):
        bounds = block + east[1:] if f == 0 else block
        n_seg = len(bounds) - 1
        for k in range(n_seg):
            b.space(
                f"H{f}-{k + 1}",
                "corridor",
                bounds[k],
                HALL_Y0,
                bounds[k + 1],
                HALL_Y0 + HALL_W,
                floor=f,
                label=f"Hall {f}-{k + 1}",
            )
        for k in range(n_seg - 1):
            b.connect(f"H{f}-{k + 1}", f"H{f}-{k + 2}", "opening", width_m=HALL_W)

        def hall(x: float, f: int = f, bounds: list[float] = bounds) -> str:
            return b.segment_at(f"H{f}-", x, bounds)

        # stairwells (one on each floor at the same plan position), restrooms, an office
        for sid, x0, x1, north in (
            ("ST-W", 0, 5, True),
            ("ST-C", 52.5, 58.5, False),
            ("ST-E", 106, 111, True),
        ):
            y0 = NORTH_Y0 if north else SOUTH_Y0
            b.space(
                f"{sid}{f}", "stair", x0, y0, x1, y0 + ROOM_D, floor=f, label=f"Stair {sid[-1]}"
            )
            b.connect(f"{sid}{f}", hall((x0 + x1) / 2), "door", id=f"D-{sid}{f}", width_m=1.8)
        b.space(
            f"RR-B{f}", "restroom", 52.5, NORTH_Y0, 55.5, NORTH_Y0 + ROOM_D, floor=f, label="Boys"
        )
        b.space(
            f"RR-G{f}", "restroom", 55.5, NORTH_Y0, 58.5, NORTH_Y0 + ROOM_D, floor=f, label="Girls"
        )
        b.door(f"RR-B{f}", hall(54))
        b.door(f"RR-G{f}", hall(57))
        oid = "CUST" if f == 0 else "WORK1"
        b.space(
            oid,
            "office",
            0,
            SOUTH_Y0,
            5,
            HALL_Y0,
            floor=f,
            capacity=2 if f == 0 else 6,
            label="Custodian" if f == 0 else "Teacher workroom",
        )
        b.door(oid, hall(2.5), "key_inside")

        # 21 classrooms per floor: 10 on the north side, 11 on the south side
        slots = [(5 + ROOM_W * k, True) for k in range(5)]
        slots += [(58.5 + ROOM_W * k, True) for k in range(5)]
        slots += [(5 + ROOM_W * k, False) for k in range(5)]
        slots += [(58.5 + ROOM_W * k, False) for k in range(6)]
        for n, (x0, north) in enumerate(slots):
            number = (f + 1) * 100 + n + 1
            y0 = NORTH_Y0 if north else SOUTH_Y0
            size = (28, 30, 29)[room_no % 3]
            safe = (24, 22, 26, 20, 24, 16, 25)[room_no % 7]
            lock = {3: "key_outside", 5: "auto_locking"}.get(room_no % 7, "thumbturn")
            rid = f"R{number}"
            b.space(
                rid,
                "classroom",
                x0,
                y0,
                x0 + ROOM_W,
                y0 + ROOM_D,
                floor=f,
                capacity=size,
                safe_zone_capacity=safe,
                label=f"Room {number}",
            )
            b.door(rid, hall(x0 + ROOM_W / 2), lock)
            room_no += 1

    for sid in ("ST-W", "ST-C", "ST-E"):
        b.connect(f"{sid}0", f"{sid}1", "stair", id=f"S-{sid}", width_m=1.6)

    # Ground floor east: gym with locker rooms, cafeteria, library, commons and offices.
    b.space("GYM", "gym", 118, 20, 150, 50, capacity=60, label="Gymnasium")
    b.door("GYM", "H0-6", "key_inside", width_m=1.8)
    b.space("LR-B", "restroom", 150, 44, 158, 50, label="Boys locker room")
    b.space("LR-G", "restroom", 150, 38, 158, 44, label="Girls locker room")
    # the locker rooms open only into the gym: inner doors of the gym suite, not entry doors
    # (without inner: true the gym could never be secured and validate would say so)
    b.door("LR-B", "GYM", inner=True)
    b.door("LR-G", "GYM", inner=True)
    b.space("CAF", "cafeteria", 115.5, NORTH_Y0, 145.5, 77.6, capacity=450, label="Cafeteria")
    b.door("CAF", "H0-6", "none", width_m=3.6)
    b.space("LIB", "library", 145.5, NORTH_Y0, 160, 73.6, capacity=60, label="Library")
    b.door("LIB", "H0-7", "thumbturn", width_m=1.8)
    b.space("COMMONS", "commons", 160, 40, 184, 66, label="Commons")
    b.connect("H0-7", "COMMONS", "opening", width_m=HALL_W)
    b.space("OFFICE", "office", 160, 26, 178, 40, capacity=8, label="Main office")
    b.door("OFFICE", "COMMONS", "thumbturn")
    b.space("COUNSEL", "office", 178, 30, 188, 40, capacity=4, label="Counseling")
    b.door("COUNSEL", "COMMONS", "thumbturn")
    b.space("NURSE", "office", 184, 40, 192, 48, capacity=2, label="Nurse")
    b.door("NURSE", "COMMONS", "thumbturn")

    exits = [  # exit id, x, y, from, door width, lock, assembly walk (m), label
        ("EX-MAIN", 187, 58, "COMMONS", 3.6, "central", 60, "Main entrance"),
        ("EX-N", 172, 69, "COMMONS", 1.8, "key_inside", 50, "Commons north doors"),
        ("EX-W", -3, HALL_Y0 + HALL_W / 2, "H0-1", 1.8, "key_inside", 70, "West doors"),
        ("EX-STW", 2.5, 65, "ST-W0", 1.8, "key_inside", 65, "Stair W doors"),
        ("EX-STC", 55.5, 38.5, "ST-C0", 1.8, "key_inside", 45, "Stair C doors"),
        ("EX-STE", 108.5, 65, "ST-E0", 1.8, "key_inside", 55, "Stair E doors"),
        ("EX-CAF", 130.5, 80.6, "CAF", 1.8, "key_inside", 40, "Cafeteria doors"),
        ("EX-GYM", 134, 17, "GYM", 1.8, "key_inside", 35, "Gym doors"),
    ]
    for eid, x, y, frm, width, lock, walk, label in exits:
        b.exit(eid, x, y, walk, label)
        b.connect(frm, eid, "door", id=f"D-{eid}", width_m=width, lock=lock)
    return b.data("Fictional High School (9-12)", 4.2, [(0, "Ground floor"), (1, "Upper floor")])


def high_assembly() -> dict:
    """The high school with its outside assembly areas (``high-school-assembly.yaml``).

    Three fictional assembly areas, each joined by walkways to the exits nearest it; every
    walkway is as long as that exit's ``assembly_distance_m`` in ``high-school.yaml``, so with
    nearest assembly the evacuation times equal the plain file's. Walkways between the areas let
    a posted plan send a class to another area (the walk goes on past the first one).
    """
    data = high()
    areas = [  # id, label, x0, y0, x1, y1, capacity (people the area holds)
        ("AS-WEST", "West practice field", -75, 30, -25, 80, 700),
        ("AS-SOUTH", "South staff lot", 60, -45, 120, -10, 450),
        ("AS-EAST", "East stadium", 205, 30, 255, 90, 900),
    ]
    for aid, label, x0, y0, x1, y1, cap in areas:
        w, h = x1 - x0, y1 - y0
        data["spaces"].append(
            {"id": aid, "kind": "assembly", "x": (x0 + x1) / 2, "y": (y0 + y1) / 2,
             "area_m2": float(w * h), "capacity": cap, "label": label,
             "size_w_m": float(w), "size_h_m": float(h)}
        )
    # the walkways replace each exit's assembly_distance_m (not read when assembly areas exist)
    walk = {s["id"]: s.pop("assembly_distance_m") for s in data["spaces"] if s["kind"] == "exit"}
    to_area = {  # exit -> nearest assembly area (walkway length = the exit's assembly distance)
        "EX-W": "AS-WEST", "EX-STW": "AS-WEST", "EX-STC": "AS-SOUTH", "EX-GYM": "AS-SOUTH",
        "EX-STE": "AS-EAST", "EX-CAF": "AS-EAST", "EX-N": "AS-EAST", "EX-MAIN": "AS-EAST",
    }  # fmt: skip
    for eid, aid in to_area.items():
        data["connections"].append(
            {"id": f"W-{eid}", "a": eid, "b": aid, "kind": "walkway", "length_m": walk[eid]}
        )
    data["connections"] += [
        {"id": "W-WEST-SOUTH", "a": "AS-WEST", "b": "AS-SOUTH", "kind": "walkway",
         "length_m": 140.0},
        {"id": "W-SOUTH-EAST", "a": "AS-SOUTH", "b": "AS-EAST", "kind": "walkway",
         "length_m": 150.0},
    ]
    data["name"] = "Fictional High School (9-12), with assembly areas"
    return data


HEADER = """\
# {title}
# FICTIONAL school for drills and examples; generated by floorplans/generate_samples.py
# (edit the generator, not this file). Format: floorplans/README.md. Units: metres, people.
# x grows east, y grows north; (x, y) is the centre of each space, size_w_m x size_h_m its
# footprint (for drawing). Connection lengths are computed from the positions.
"""


def main() -> int:
    for fname, build in (
        ("elementary-school.yaml", elementary),
        ("high-school.yaml", high),
        ("high-school-assembly.yaml", high_assembly),
    ):
        data = build()
        fp = floorplan_from_dict(data, source=fname)  # validates; raises on any problem
        text = HEADER.format(title=fp.name) + floorplan_to_yaml(fp)
        (HERE / fname).write_text(text, encoding="utf-8")
        extra = f", {len(fp.assembly_areas)} assembly areas" if fp.assembly_areas else ""
        print(f"wrote {fname}: {len(fp.spaces)} spaces, {len(fp.connections())} connections{extra}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
