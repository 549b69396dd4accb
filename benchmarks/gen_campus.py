"""Generate a fictional district campus of N spaces (and its lockdown scenario) for scale tests.

The campus is a row of identical one-floor buildings joined by outdoor walkways. Each building
(100 spaces) has a corridor spine of 20 segments, 6 classrooms (24 students and a teacher each),
60 offices (unstaffed in the scenario), 10 restrooms, a walkway and 2 exits; 200 buildings give the
issue's 20,000 spaces and 30,000 people. Deterministic: the same N writes the same bytes.

Usage: python benchmarks/gen_campus.py --spaces 20000 --out /tmp/campus
       (writes campus-<N>.yaml and campus-<N>-lockdown.yaml into --out)
       python benchmarks/gen_campus.py --spaces 20000 --out /tmp/campus --protocols
       (also campus-<N>-<variant>.yaml for every protocol, as in docs/performance.md)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

SEGMENTS, CLASSROOMS, OFFICES, RESTROOMS = 20, 6, 60, 10
PER_BUILDING = SEGMENTS + CLASSROOMS + OFFICES + RESTROOMS + 1 + 2  # + walkway + 2 exits = 99
SEG_M, BUILDING_GAP_M = 10.0, 30.0


def building(i: int, spaces: list, conns: list) -> None:
    """Append building ``i`` (origin at x = i * (length + gap)) to ``spaces`` / ``conns``."""
    x0 = i * (SEGMENTS * SEG_M + BUILDING_GAP_M)
    p = f"B{i:03d}-"
    for k in range(SEGMENTS):
        spaces.append(
            {
                "id": f"{p}H{k:02d}",
                "kind": "corridor",
                "floor": 0,
                "x": x0 + (k + 0.5) * SEG_M,
                "y": 0.0,
                "area_m2": 30.0,
            }
        )
        if k:
            conns.append(
                {"a": f"{p}H{k - 1:02d}", "b": f"{p}H{k:02d}", "kind": "opening", "width_m": 3.0}
            )
    rooms = (
        [("classroom", c) for c in range(CLASSROOMS)]
        + [("office", c) for c in range(OFFICES)]
        + [("restroom", c) for c in range(RESTROOMS)]
    )
    for n, (kind, c) in enumerate(rooms):
        k = n % SEGMENTS
        side = 1 if (n // SEGMENTS) % 2 == 0 else -1
        sid = f"{p}{kind[0].upper()}{c:02d}"
        rec = {
            "id": sid,
            "kind": kind,
            "floor": 0,
            "x": x0 + (k + 0.5) * SEG_M,
            "y": side * (6.0 + 2.0 * (n // (2 * SEGMENTS))),
            "area_m2": 60.0,
            "label": f"Building {i} {kind} {c}",
        }
        if kind == "classroom":
            rec.update(capacity=24, safe_zone_capacity=20)
        spaces.append(rec)
        lock = {"classroom": "thumbturn", "office": "key_inside", "restroom": "none"}[kind]
        conns.append(
            {
                "a": sid,
                "b": f"{p}H{k:02d}",
                "kind": "door",
                "width_m": 0.91,
                "lock": lock,
                "id": f"D-{sid}",
            }
        )
    for end, k in (("W", 0), ("E", SEGMENTS - 1)):
        eid = f"{p}EX-{end}"
        spaces.append(
            {
                "id": eid,
                "kind": "exit",
                "floor": 0,
                "x": x0 + (k + 0.5) * SEG_M + (-6 if end == "W" else 6),
                "y": 0.0,
                "assembly_distance_m": 40.0,
                "label": f"Building {i} {end} doors",
            }
        )
        conns.append(
            {
                "a": f"{p}H{k:02d}",
                "b": eid,
                "kind": "door",
                "width_m": 1.8,
                "lock": "key_inside",
                "id": f"D-{eid}",
            }
        )
    walk = f"{p}WALK"
    spaces.append(
        {
            "id": walk,
            "kind": "outdoor",
            "floor": 0,
            "x": x0 + SEGMENTS * SEG_M + BUILDING_GAP_M / 2,
            "y": 0.0,
            "area_m2": 90.0,
            "pa": False,
        }
    )
    conns.append(
        {
            "a": f"{p}H{SEGMENTS - 1:02d}",
            "b": walk,
            "kind": "door",
            "width_m": 1.8,
            "lock": "key_inside",
            "id": f"D-{walk}",
        }
    )


def campus(n_spaces: int) -> tuple[dict, int]:
    """The floorplan dict of a campus with about ``n_spaces`` spaces, and its building count."""
    n_buildings = max(1, round(n_spaces / PER_BUILDING))
    spaces: list = []
    conns: list = []
    for i in range(n_buildings):
        building(i, spaces, conns)
        if i:  # the previous building's walkway leads to this building's west hall
            conns.append(
                {"a": f"B{i - 1:03d}-WALK", "b": f"B{i:03d}-H00", "kind": "opening", "width_m": 3.0}
            )
    return {
        "name": f"Fictional district campus ({n_buildings} buildings)",
        "floors": [{"level": 0, "name": "Ground"}],
        "spaces": spaces,
        "connections": conns,
    }, n_buildings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--spaces", type=int, default=20_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--protocols", action="store_true",
                    help="also write a scenario per protocol (see variants())")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    fp, n_b = campus(a.spaces)
    n = len(fp["spaces"])
    fp_path = a.out / f"campus-{n}.yaml"
    fp_path.write_text(yaml.safe_dump(fp, sort_keys=False), encoding="utf-8")
    sc = {
        "name": f"Campus lockdown drill ({n} spaces)",
        "floorplan": fp_path.name,
        "protocol": "lockdown",
        "mode": "drill",
        "incident": {"origin": "B000-H05", "detection_delay_s": 0},
        "population": {
            "preset": "class_in_session",
            "student_age_band": "high",
            "office_staff": 0,  # 1.5 people per space, as in the issue
        },
        "sro": {"on_duty": True, "post": "B000-O00"},
    }
    sc_path = a.out / f"campus-{n}-lockdown.yaml"
    sc_path.write_text(yaml.safe_dump(sc, sort_keys=False), encoding="utf-8")
    print(f"wrote {fp_path} ({n} spaces, {n_b} buildings) and {sc_path}")
    if a.protocols:
        for name, variant in variants(sc, n_b).items():
            path = a.out / f"campus-{n}-{name}.yaml"
            path.write_text(yaml.safe_dump(variant, sort_keys=False), encoding="utf-8")
            print(f"wrote {path}")


def variants(sc: dict, n_buildings: int) -> dict[str, dict]:
    """The campus lockdown scenario changed to every protocol (for compile and run timings)."""
    passing = {"preset": "passing_period", "student_age_band": "high", "office_staff": 1}
    staffed = {"preset": "class_in_session", "student_age_band": "high", "office_staff": 1}
    walk = {"path": ["B000-H05", "B000-H06", "B000-H07"], "start_s": 0, "speed_mps": 1.0}
    changes = {
        "lockdown-passing": {"population": passing},
        "hold": {"protocol": "hold", "population": {**passing, "office_staff": 0}},
        "evacuate": {"protocol": "evacuate"},
        "secure": {"protocol": "secure", "population": staffed},
        "shelter": {
            "protocol": "shelter",
            "shelter": {"areas": {f"B{i:03d}-H10": 400 for i in range(n_buildings)}},
        },
        "options": {
            "protocol": "options",
            "hazard": {"zone": {"walk": walk}},
            "options": {"min_hops": 2},
        },
    }
    return {
        name: {**sc, **change, "name": f"{sc['name']}, {name}"} for name, change in changes.items()
    }


if __name__ == "__main__":
    main()
