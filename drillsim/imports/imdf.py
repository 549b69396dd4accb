"""Import an IMDF venue (Apple's Indoor Mapping Data Format, GeoJSON) as a drillsim floorplan.

Reads ``venue``, ``level``, ``unit``, ``opening`` and (if present) ``amenity`` from a folder or a
zip of ``*.geojson`` files. Units become spaces (kind from the IMDF unit category, see
``UNIT_KINDS``), levels become floors (by ordinal), openings become connections whose width is
the length of the opening's line, an opening that touches a single unit becomes an exterior door
with an exit outside it, and stairwell units stacked on consecutive levels are joined by stair
flights. Coordinates (WGS84 longitude/latitude) are projected to local metres around the venue
(equirectangular, exact to well under 0.1 % across a school site). Geometry is handled with
shapely. Everything the data cannot say is guessed and reported (:mod:`drillsim.imports.common`).
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, shape

from drillsim.errors import DrillsimError, Problem, ProblemList
from drillsim.floorplan.fields import did_you_mean
from drillsim.imports.common import (
    DEFAULT_SNAP_M,
    Area,
    ImportResult,
    Passage,
    ambiguous,
    assemble,
    touching,
)

#: Mean Earth radius, metres (IUGG), for the local projection.
EARTH_RADIUS_M = 6_371_008.8
REQUIRED = ("level", "unit", "opening")
#: IMDF 1.0 unit categories -> drillsim space kind; None: not a space (structure, voids).
UNIT_KINDS: dict[str, str | None] = {
    "classroom": "classroom",
    "laboratory": "classroom",
    "office": "office",
    "conferenceroom": "office",
    "huddleroom": "office",
    "firstaid": "office",
    "lounge": "office",
    "privatelounge": "office",
    "waitingroom": "office",
    "mothersroom": "office",
    "phoneroom": "office",
    "room": "office",
    "unspecified": "office",
    "mailroom": "office",
    "library": "library",
    "fitnessroom": "gym",
    "recreation": "gym",
    "fieldofplay": "gym",
    "auditorium": "gym",
    "theater": "gym",
    "movietheater": "gym",
    "foodservice": "cafeteria",
    "kitchen": "cafeteria",
    "lobby": "commons",
    "walkway": "corridor",
    "footbridge": "corridor",
    "ramp": "corridor",
    "stairs": "stair",
    "steps": "stair",
    "escalator": "stair",
    "restroom": "restroom",
    "restroom.family": "restroom",
    "restroom.female": "restroom",
    "restroom.female.wheelchair": "restroom",
    "restroom.male": "restroom",
    "restroom.male.wheelchair": "restroom",
    "restroom.transgender": "restroom",
    "restroom.transgender.wheelchair": "restroom",
    "restroom.unisex": "restroom",
    "restroom.unisex.wheelchair": "restroom",
    "restroom.wheelchair": "restroom",
    "shower": "restroom",
    "terrace": "outdoor",
    "unenclosedarea": "outdoor",
    # not spaces people use in a drill: kept for touch tests only
    "elevator": None,
    "storage": None,
    "serverroom": None,
    "nonpublic": None,
    "brick": None,
    "column": None,
    "concrete": None,
    "drywall": None,
    "glass": None,
    "wood": None,
    "structure": None,
    "opentobelow": None,
    "vegetation": None,
    "road": None,
    "parking": None,
    "platform": None,
    "movingwalkway": None,
    "walkway.island": None,
    "smokingarea": None,
}
#: Mappings the planner should confirm (a school's "auditorium" is treated as a securable room).
GUESSED_KINDS = {
    "room",
    "unspecified",
    "auditorium",
    "theater",
    "movietheater",
    "laboratory",
    "lounge",
    "privatelounge",
    "waitingroom",
    "mothersroom",
    "phoneroom",
    "mailroom",
    "recreation",
    "fieldofplay",
    "kitchen",
    "escalator",
    "steps",
    "terrace",
    "unenclosedarea",
    "footbridge",
    "ramp",
}
OPENING_CATEGORIES = (
    "automobile",
    "bicycle",
    "emergencyexit",
    "pedestrian",
    "pedestrian.principal",
    "pedestrian.transit",
    "service",
)
#: Amenity categories that refine a generic ("room", "unspecified") unit's kind.
AMENITY_KINDS = {"restroom": "restroom", "stairs": "stair", "classroom": "classroom"}


def _text(value: Any, fallback: str = "") -> str:
    """IMDF labels are language maps ({"en": "Room 101"}); take English or the first."""
    if isinstance(value, dict) and value:
        return str(value.get("en") or next(iter(value.values())) or fallback)
    if isinstance(value, str) and value:
        return value
    return fallback


class _Archive:
    """A folder or zip of ``<type>.geojson`` files."""

    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, str] = {}
        if path.is_dir():
            for f in path.glob("*.geojson"):
                self.files[f.stem.lower()] = str(f)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                for n in z.namelist():
                    if n.lower().endswith(".geojson") and not n.startswith("__MACOSX"):
                        self.files[Path(n).stem.lower()] = n
        elif path.exists():
            raise DrillsimError(
                f"{path}: not a folder or a zip file; pass the IMDF archive "
                "(a folder or .zip holding venue, level, unit and opening "
                ".geojson files)"
            )
        else:
            raise DrillsimError(f"{path}: no such file or folder")

    def where(self, name: str) -> str:
        return (
            f"{self.path}/{name}.geojson"
            if self.path.is_dir()
            else f"{self.path}!{self.files.get(name, name + '.geojson')}"
        )

    def features(self, name: str, out: ProblemList) -> list[dict] | None:
        if name not in self.files:
            return None
        where = self.where(name)
        try:
            if self.path.is_dir():
                text = Path(self.files[name]).read_text(encoding="utf-8")
            else:
                with zipfile.ZipFile(self.path) as z:
                    text = z.read(self.files[name]).decode("utf-8")
            data = json.loads(text)
        except UnicodeDecodeError:
            out.problems.append(_p(where, "(file)", "not UTF-8 text", "save it as UTF-8 GeoJSON"))
            return []
        except (OSError, zipfile.BadZipFile, zlib.error) as err:
            out.problems.append(
                _p(where, "(file)", f"cannot be read: {err}", "export the IMDF archive again")
            )
            return []
        except json.JSONDecodeError as err:
            out.problems.append(
                _p(
                    where,
                    f"line {err.lineno} column {err.colno}",
                    f"not valid JSON: {err.msg}",
                    "fix the JSON syntax there",
                )
            )
            return []
        feats = data.get("features") if isinstance(data, dict) else None
        if not isinstance(feats, list):
            out.problems.append(
                _p(
                    where,
                    "(top level)",
                    "not a GeoJSON FeatureCollection",
                    'the file must be {"type": "FeatureCollection", "features": [...]}',
                )
            )
            return []
        return [f for f in feats if isinstance(f, dict)]


def _p(file: str, element: str, message: str, fix: str) -> Problem:
    return Problem(file, element, message, fix)


def _project(lon0: float, lat0: float):
    k = math.cos(math.radians(lat0))

    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            (
                EARTH_RADIUS_M * np.radians(xy[:, 0] - lon0) * k,
                EARTH_RADIUS_M * np.radians(xy[:, 1] - lat0),
            )
        )

    return lambda geom: shapely.transform(geom, fn)


def import_imdf(
    path: str | Path, *, default_lock: str = "thumbturn", snap_m: float = DEFAULT_SNAP_M
) -> ImportResult:
    """Read an IMDF archive (folder or zip) into a validated floorplan and a guesses report.

    Raises
    ------
    ValidationError
        Every problem in the archive at once, each naming the file, the feature and the fix.
    DrillsimError
        When ``path`` is not an IMDF folder or zip.
    """
    arch = _Archive(Path(path))
    out = ProblemList(str(path))
    for name in REQUIRED:
        if name not in arch.files:
            out.problems.append(
                _p(
                    arch.where(name),
                    "(file)",
                    f"missing: an IMDF archive needs {name}.geojson",
                    "export the complete IMDF archive (venue, level, unit, "
                    "opening and amenity files)",
                )
            )
    out.raise_if_any()
    venue = arch.features("venue", out) or []
    levels_raw = arch.features("level", out) or []
    units_raw = arch.features("unit", out) or []
    openings_raw = arch.features("opening", out) or []
    amenities_raw = arch.features("amenity", out) or []
    out.raise_if_any()

    # levels -> floors
    lw = arch.where("level")
    level_ordinal: dict[str, int] = {}
    floor_names: dict[int, str] = {}
    for i, f in enumerate(levels_raw):
        props = f.get("properties") or {}
        fid, ordinal = f.get("id"), props.get("ordinal")
        el = f"features[{i}] (id '{fid}')"
        if not isinstance(ordinal, int) or isinstance(ordinal, bool):
            out.problems.append(
                _p(
                    lw,
                    el + ".properties.ordinal",
                    f"ordinal must be a whole number, got {ordinal!r}",
                    "give each level its storey number (0 = ground)",
                )
            )
            continue
        level_ordinal[str(fid)] = ordinal
        floor_names.setdefault(ordinal, _text(props.get("name"), f"Level {ordinal}"))
    if not level_ordinal and not out:
        out.problems.append(_p(lw, "(file)", "no levels", "add one level feature per storey"))

    # projection origin: middle of all unit coordinates
    coords = []
    for f in units_raw:
        try:
            coords += list(shape(f["geometry"]).envelope.exterior.coords)
        except Exception:  # bad geometry is reported below, per feature
            continue
    if coords:
        lon0 = (min(c[0] for c in coords) + max(c[0] for c in coords)) / 2
        lat0 = (min(c[1] for c in coords) + max(c[1] for c in coords)) / 2
    else:
        lon0 = lat0 = 0.0
    if abs(lon0) > 180 or abs(lat0) > 90:
        out.problems.append(
            _p(
                arch.where("unit"),
                "(coordinates)",
                f"coordinates ({lon0:.1f}, {lat0:.1f}) are not longitude/latitude",
                "IMDF geometry must be WGS84 longitude/latitude (EPSG:4326)",
            )
        )
        out.raise_if_any()
    proj = _project(lon0, lat0)

    # units -> areas
    uw = arch.where("unit")
    areas: list[Area] = []
    others: list[Area] = []  # non-space units, for touch tests
    generic: dict[str, Area] = {}
    for i, f in enumerate(units_raw):
        props = f.get("properties") or {}
        fid = str(f.get("id"))
        el = f"features[{i}] (id '{fid}')"
        cat = props.get("category")
        if cat not in UNIT_KINDS:
            out.problems.append(
                _p(
                    uw,
                    el + ".properties.category",
                    f"unknown unit category {cat!r}" + did_you_mean(cat, list(UNIT_KINDS)),
                    "use an IMDF 1.0 unit category (floorplans/README.md lists how each maps)",
                )
            )
            continue
        lid = str(props.get("level_id"))
        if lid not in level_ordinal:
            out.problems.append(
                _p(
                    uw,
                    el + ".properties.level_id",
                    f"level_id '{lid}' is not a level in level.geojson",
                    "point it at one of the level features' ids",
                )
            )
            continue
        try:
            geom = proj(shape(f.get("geometry")))
        except Exception:  # shapely raises several types for bad GeoJSON
            geom = None
        if isinstance(geom, MultiPolygon):
            geom = max(geom.geoms, key=lambda g: g.area)
        if not isinstance(geom, Polygon) or geom.is_empty or geom.area <= 0:
            out.problems.append(
                _p(
                    uw,
                    el + ".geometry",
                    "a unit needs a Polygon geometry",
                    "draw the unit as a closed polygon",
                )
            )
            continue
        if not geom.is_valid:
            geom = geom.buffer(0)
        label = _text(props.get("name"), _text(props.get("alt_name"), fid[:8]))
        kind = UNIT_KINDS[cat]
        area = Area(
            fid,
            kind or "office",
            label,
            level_ordinal[lid],
            geom,
            f"{uw}: {el}",
            f"IMDF category '{cat}'" if cat in GUESSED_KINDS else "",
        )
        if kind is None:
            others.append(area)
        else:
            areas.append(area)
            if cat in ("room", "unspecified"):
                generic[fid] = area

    # amenities refine generic units
    aw = arch.where("amenity")
    known = {a.key for a in areas} | {a.key for a in others}
    for i, f in enumerate(amenities_raw):
        props = f.get("properties") or {}
        el = f"features[{i}] (id '{f.get('id')}')"
        unit_ids = props.get("unit_ids") or []
        if not isinstance(unit_ids, list):
            out.problems.append(
                _p(
                    aw,
                    el + ".properties.unit_ids",
                    f"unit_ids must be a list of unit ids, got {unit_ids!r}",
                    'write it as ["<unit id>", ...]',
                )
            )
            continue
        for uid in unit_ids:
            if str(uid) not in known:
                out.problems.append(
                    _p(
                        aw,
                        el + ".properties.unit_ids",
                        f"names unit '{uid}', which is not in unit.geojson",
                        "point unit_ids at existing unit features",
                    )
                )
                continue
            cat = str(props.get("category", "")).split(".")[0]
            if str(uid) in generic and cat in AMENITY_KINDS:
                generic[str(uid)].kind = AMENITY_KINDS[cat]
                generic[str(uid)].kind_note = f"amenity '{props.get('category')}' inside it"

    # openings -> passages
    ow = arch.where("opening")
    passages: list[Passage] = []
    notes: list[str] = []
    dropped = 0
    for i, f in enumerate(openings_raw):
        props = f.get("properties") or {}
        fid = str(f.get("id"))
        el = f"features[{i}] (id '{fid}')"
        cat = props.get("category")
        if cat not in OPENING_CATEGORIES:
            out.problems.append(
                _p(
                    ow,
                    el + ".properties.category",
                    f"unknown opening category {cat!r}"
                    + did_you_mean(cat, list(OPENING_CATEGORIES)),
                    f"use one of: {', '.join(OPENING_CATEGORIES)}",
                )
            )
            continue
        lid = str(props.get("level_id"))
        if lid not in level_ordinal:
            out.problems.append(
                _p(
                    ow,
                    el + ".properties.level_id",
                    f"level_id '{lid}' is not a level in level.geojson",
                    "point it at one of the level features' ids",
                )
            )
            continue
        try:
            line = proj(shape(f.get("geometry")))
        except Exception:  # reported as a problem below
            line = None
        if isinstance(line, MultiLineString):
            line = max(line.geoms, key=lambda g: g.length)
        if not isinstance(line, LineString) or line.length <= 0:
            out.problems.append(
                _p(
                    ow,
                    el + ".geometry",
                    "an opening needs a LineString geometry",
                    "draw the opening as a line across the doorway",
                )
            )
            continue
        level = level_ordinal[lid]
        hits = touching(line, areas + others, level, snap_m)
        mid = line.interpolate(0.5, normalized=True)
        at = (float(mid.x), float(mid.y))
        if not hits:
            out.problems.append(
                _p(
                    ow,
                    el,
                    f"opening touches no unit on level '{lid}' "
                    f"(nearest unit farther than {snap_m} m)",
                    "move the opening's line onto the wall between the units it joins",
                )
            )
            continue
        ends = [a for _, a in hits[:2]]
        if any(a in others for a in ends):
            dropped += 1
            continue
        door = "door" if props.get("door") else "opening"
        if len(ends) == 1:
            passages.append(Passage(f"{ow}: {el}", ends[0].key, None, door, line.length, at))
        else:
            passages.append(Passage(f"{ow}: {el}", ends[0].key, ends[1].key, door, line.length, at))
        if ambiguous(hits):
            notes.append(
                f"opening {fid} touches {len(hits)} units; joined the two it overlaps "
                f"most ({ends[0].label}, {ends[1].label})"
            )
    if dropped:
        notes.append(
            f"{dropped} openings into elevators, storage, service or structural units "
            "were left out (those units are not spaces in a drill)"
        )
    if others:
        notes.append(
            f"{len(others)} units of categories that are not drill spaces (elevator, "
            "storage, nonpublic, structure, ...) were left out; elevators are not used "
            "to evacuate"
        )
    out.raise_if_any()

    name = "Imported venue"
    if venue:
        name = _text((venue[0].get("properties") or {}).get("name"), name)
    floors = sorted(floor_names.items())
    return assemble(
        name,
        str(path),
        floors,
        areas,
        passages,
        default_lock=default_lock,
        problems=out,
        notes=notes,
        snap_m=snap_m,
    )
