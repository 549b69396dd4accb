"""What both importers share: areas and passages in metres → a validated drillsim floorplan.

An importer (IMDF, DXF) reads its format into :class:`Area` (a polygon that becomes a space) and
:class:`Passage` (an opening or door that becomes a connection, or an exterior door that gets an
exit space outside it). :func:`assemble` then does the same for both: ids from labels, positions
and sizes from the polygons, stair flights between stairwells stacked on consecutive floors, one
connection per pair of spaces, an exit outside every exterior door, a door (not a bare opening)
for every securable room, and the values the source cannot know (lock hardware, class sizes, PA
coverage, assembly distances) filled with stated guesses. Every guess is recorded in the
:class:`ImportResult`'s report so the planner can check it before trusting a result.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from shapely.affinity import translate
from shapely.geometry import Polygon

from drillsim.errors import Problem, ProblemList, ValidationError
from drillsim.floorplan import floorplan_from_dict, floorplan_to_yaml
from drillsim.floorplan.model import DEFAULT_WIDTH_M, SECURABLE_KINDS, Floorplan

#: Students per classroom when the source has no occupancy [U] (range 20-30): a typical class.
DEFAULT_CLASS_SIZE = 25
#: Net floor area per person in a classroom, m2 (IBC Table 1004.5, educational classroom areas:
#: 20 ft2 net per occupant; recalled, not re-read: [U]). A room smaller than
#: ``DEFAULT_CLASS_SIZE`` times this gets fewer.
CLASSROOM_M2_PER_PERSON = 1.858
#: How far outside an exterior door its exit space is placed, metres (drawing and walking).
EXIT_OFFSET_M = 2.5
#: A passage touching an area within this distance touches it, metres (walls have a thickness).
DEFAULT_SNAP_M = 0.5
#: Two stairwells on consecutive floors are one stair when their footprints overlap this share.
STAIR_OVERLAP = 0.3
#: Kinds people walk through; two touching areas of these kinds are joined by an opening.
CIRCULATION_KINDS = frozenset({"corridor", "commons"})


@dataclass
class Area:
    """A polygon that becomes a space. ``key`` is the source's id; ``element`` names it in messages."""

    key: str
    kind: str
    label: str
    level: int
    geom: Polygon
    element: str
    kind_note: str = ""  # why this kind (when guessed), for the report


@dataclass
class Passage:
    """An opening/door between areas ``a`` and ``b`` (``b`` None: an exterior door to outside)."""

    element: str
    a: str
    b: str | None
    kind: str  # door | opening | stair
    width_m: float | None
    at: tuple[float, float]  # where it is, metres (used for exits)
    width_note: str = ""


@dataclass
class ImportResult:
    """A validated imported floorplan and the report of what was guessed."""

    floorplan: Floorplan
    data: dict
    source: str
    guesses: list[tuple[str, str, str]] = field(default_factory=list)  # (what, where, check)
    notes: list[str] = field(default_factory=list)

    def yaml_text(self) -> str:
        """The floorplan YAML with a header saying where it came from and that it has guesses."""
        head = (
            f"# Imported by drillsim from {self.source}.\n"
            "# Values marked as guesses in import-report.txt (lock hardware, class sizes, PA\n"
            "# coverage, assembly distances) must be checked before results are relied on.\n"
            "# Format: floorplans/README.md. Units: metres, people.\n"
        )
        return head + floorplan_to_yaml(self.floorplan)

    def report_text(self) -> str:
        """The guessed-values report (plain text, one line per guess)."""
        fp = self.floorplan
        kinds = [fp.space(s)["kind"] for s in fp.spaces]
        lines = [
            f"drillsim import report: {self.source}",
            f"floorplan '{fp.name}': {len(kinds)} spaces on {len(fp.floors)} floor(s) "
            f"({', '.join(f'{kinds.count(k)} {k}' for k in sorted(set(kinds)))}), "
            f"{fp.graph.number_of_edges()} connections",
            "",
            "GUESSED VALUES - the source does not say these; check each one before relying on "
            "results:",
        ]
        for what, where, check in self.guesses:
            lines.append(f"  - {what}: {where}")
            lines.append(f"      check: {check}")
        if self.notes:
            lines += ["", "NOTES:"] + [f"  - {n}" for n in self.notes]
        lines += ["", "Validation: passed (drillsim validate gives the same result on the YAML)."]
        return "\n".join(lines) + "\n"


def slug(text: str) -> str:
    """An id from a label: letters, digits, ``_ . -`` only (``Room 101`` -> ``Room-101``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:40]


def _short(ids: list[str], n: int = 12) -> str:
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


def reference_point(poly: Polygon) -> tuple[float, float]:
    """The polygon's centroid, or a point surely inside it when the centroid is not (L shapes)."""
    c = poly.centroid
    if not poly.contains(c):
        c = poly.representative_point()
    return float(c.x), float(c.y)


def assemble(
    name: str,
    source: str,
    floors: list[tuple[int, str]],
    areas: list[Area],
    passages: list[Passage],
    *,
    default_lock: str = "thumbturn",
    problems: ProblemList | None = None,
    notes: list[str] | None = None,
    snap_m: float = DEFAULT_SNAP_M,
) -> ImportResult:
    """Build and validate the floorplan; raise every problem (source file and element) at once."""
    out = problems or ProblemList(source)
    notes = list(notes or [])
    # local coordinates: the drawing's lower-left corner at (0, 0), so positions read as metres
    # from the corner of the site rather than from a CAD origin or a map projection centre
    if areas:
        dx = -min(a.geom.bounds[0] for a in areas)
        dy = -min(a.geom.bounds[1] for a in areas)
        for a in areas:
            a.geom = translate(a.geom, dx, dy)
        for p in passages:
            p.at = (p.at[0] + dx, p.at[1] + dy)
    guesses: list[tuple[str, str, str]] = []
    by_key = {a.key: a for a in areas}

    # ids from labels, unique
    ids: dict[str, str] = {}
    used: set[str] = set()
    for a in areas:
        base = slug(a.label) or slug(a.key) or "space"
        sid, n = base, 2
        while sid.lower() in used:
            sid, n = f"{base}-{n}", n + 1
        used.add(sid.lower())
        ids[a.key] = sid

    # stairwells stacked on consecutive floors become stair flights
    order = [lv for lv, _ in floors]
    stairs = [a for a in areas if a.kind == "stair"]
    stair_links = []
    for s in stairs:
        for t in stairs:
            if order.index(t.level) != order.index(s.level) + 1:
                continue
            overlap = s.geom.intersection(t.geom).area
            if overlap >= STAIR_OVERLAP * min(s.geom.area, t.geom.area):
                stair_links.append(
                    Passage(
                        f"{s.element} / {t.element}",
                        s.key,
                        t.key,
                        "stair",
                        None,
                        reference_point(s.geom),
                    )
                )
    if stair_links:
        guesses.append(
            (
                f"stair flights ({len(stair_links)})",
                _short([f"{ids[p.a]} to {ids[p.b]}" for p in stair_links]),
                f"joined stairwells that overlap on consecutive floors; width "
                f"{DEFAULT_WIDTH_M['stair']} m, length from the storey height: measure the flights",
            )
        )

    # one connection per pair of spaces; exterior passages get an exit each
    pair: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    exits: list[dict] = []
    exit_links: list[dict] = []
    for p in [*passages, *stair_links]:
        if p.a not in by_key or (p.b is not None and p.b not in by_key):
            continue
        if p.b is None:
            a = by_key[p.a]
            ax, ay = reference_point(a.geom)
            dx, dy = p.at[0] - ax, p.at[1] - ay
            norm = math.hypot(dx, dy) or 1.0
            eid = f"EXIT-{len(exits) + 1}"
            exits.append(
                {
                    "id": eid,
                    "kind": "exit",
                    "floor": a.level,
                    "x": round(p.at[0] + dx / norm * EXIT_OFFSET_M, 3),
                    "y": round(p.at[1] + dy / norm * EXIT_OFFSET_M, 3),
                    "label": f"Exit {len(exits) + 1} ({a.label})",
                }
            )
            width = p.width_m if p.width_m else DEFAULT_WIDTH_M["door"]
            exit_links.append(
                {
                    "id": f"D-{eid}",
                    "a": ids[p.a],
                    "b": eid,
                    "kind": "door" if p.kind != "opening" else "opening",
                    "width_m": round(width, 3),
                }
            )
            continue
        key = tuple(sorted((p.a, p.b)))
        pair[key].append(p)

    # circulation areas that touch along a wall with no passage between them: open passages
    circ = [a for a in areas if a.kind in CIRCULATION_KINDS]
    touching_open = []
    for i, a in enumerate(circ):
        for b in circ[i + 1 :]:
            if a.level != b.level or tuple(sorted((a.key, b.key))) in pair:
                continue
            shared = a.geom.buffer(snap_m / 2).intersection(b.geom.buffer(snap_m / 2))
            if shared.is_empty:
                continue
            length = max(shared.bounds[2] - shared.bounds[0], shared.bounds[3] - shared.bounds[1])
            if length >= 1.0:
                mid = shared.centroid
                pair[tuple(sorted((a.key, b.key)))].append(
                    Passage(
                        f"{a.element} / {b.element}",
                        a.key,
                        b.key,
                        "opening",
                        min(length, 6.0),
                        (mid.x, mid.y),
                    )
                )
                touching_open.append(f"{ids[a.key]}-{ids[b.key]}")
    if touching_open:
        guesses.append(
            (
                f"open passages between touching hallways ({len(touching_open)})",
                _short(touching_open),
                "hallway areas that share a wall segment and have no door between them are joined by "
                "an opening as wide as the shared segment (at most 6 m): check they are really open",
            )
        )

    connections = []
    merged, door_guess, lock_guess, width_guess = [], [], [], []
    for (ka, kb), group in pair.items():
        a, b = by_key[ka], by_key[kb]
        if len(group) > 1:
            merged.append(f"{ids[ka]}-{ids[kb]} ({len(group)})")
        kinds = {p.kind for p in group}
        kind = "stair" if "stair" in kinds else "door" if "door" in kinds else "opening"
        securable = {a.kind, b.kind} & SECURABLE_KINDS
        if kind == "opening" and securable:
            kind = "door"
            door_guess.append(f"{ids[ka]}-{ids[kb]}")
        widths = [p.width_m for p in group if p.width_m]
        width = sum(widths) if widths else None
        if width is None and kind != "stair":
            width_guess.append(f"{ids[ka]}-{ids[kb]}")
        rec = {"a": ids[ka], "b": ids[kb], "kind": kind}
        if width is not None:
            rec["width_m"] = round(width, 3)
        if kind == "door" and securable and default_lock != "none":
            rec["lock"] = default_lock
            lock_guess.append(rec["a"] if a.kind in SECURABLE_KINDS else rec["b"])
        connections.append(rec)
    if merged:
        notes.append(
            "several doors between the same two spaces were merged into one connection with "
            f"their widths added (drillsim models one connection per pair): {_short(merged)}"
        )
    if door_guess:
        guesses.append(
            (
                f"doors on openings into securable rooms ({len(door_guess)})",
                _short(door_guess),
                "the source had no door on these openings; a classroom, office, library or gym can "
                "only be locked down through a door: confirm a door leaf exists",
            )
        )
    if lock_guess:
        guesses.append(
            (
                f"lock hardware of {len(lock_guess)} doors of securable rooms",
                f"lock: {default_lock} on the doors of {_short(sorted(set(lock_guess)))}",
                "the source does not record lock hardware; set each door's lock (thumbturn, "
                "key_inside, key_outside, auto_locking, central, none) from a door audit "
                "(--default-lock changes the guess)",
            )
        )
    if width_guess:
        guesses.append(
            (
                f"door widths ({len(width_guess)})",
                _short(width_guess),
                f"no width in the source; default {DEFAULT_WIDTH_M['door']} m door / "
                f"{DEFAULT_WIDTH_M['opening']} m opening: measure them",
            )
        )

    # spaces
    spaces = []
    classes = []
    for a in areas:
        x, y = reference_point(a.geom)
        x0, y0, x1, y1 = a.geom.bounds
        rec = {
            "id": ids[a.key],
            "kind": a.kind,
            "floor": a.level,
            "x": round(x, 3),
            "y": round(y, 3),
            "area_m2": round(a.geom.area, 2),
            "label": a.label,
            "size_w_m": round(max(x1 - x0, 0.5), 3),
            "size_h_m": round(max(y1 - y0, 0.5), 3),
        }
        if a.kind == "classroom":
            rec["capacity"] = max(
                1, min(DEFAULT_CLASS_SIZE, int(a.geom.area // CLASSROOM_M2_PER_PERSON))
            )
            classes.append(f"{rec['id']}: {rec['capacity']}")
        spaces.append(rec)
    spaces += exits
    connections += exit_links

    kind_guess = [f"{ids[a.key]} -> {a.kind} ({a.kind_note})" for a in areas if a.kind_note]
    if kind_guess:
        guesses.append(
            (
                f"space kinds ({len(kind_guess)})",
                _short(kind_guess, 20),
                "set each space's kind (floorplans/README.md lists them)",
            )
        )
    if classes:
        guesses.append(
            (
                f"class sizes of {len(classes)} classrooms",
                _short(classes, 8),
                f"no occupancy in the source: {DEFAULT_CLASS_SIZE} students [U] (range 20-30), fewer "
                f"where the area allows fewer at {CLASSROOM_M2_PER_PERSON} m2 per person (IBC "
                "educational classroom load factor); set each room's capacity to its class size",
            )
        )
        guesses.append(
            (
                "safe-zone capacities",
                "every securable room: equal to its capacity (everyone fits out of the door's sight)",
                "walk each room and set safe_zone_capacity",
            )
        )
    if any(a.kind != "exit" for a in areas):
        guesses.append(
            (
                "PA coverage",
                "every indoor space is inside PA coverage (pa: true)",
                "mark spaces the PA does not reach (portables, gyms, outdoor areas) with pa: false",
            )
        )
    if exits:
        guesses.append(
            (
                f"{len(exits)} exits",
                f"one exit space {EXIT_OFFSET_M} m outside each exterior door; assembly point 30 m "
                "away (default)",
                "set each exit's assembly_distance_m to the walking distance to its assembly point",
            )
        )
    elif areas:
        out.add(
            "(whole file)",
            "no exterior door or opening found: nobody could leave the building",
            "add the exterior doors (an opening/door that touches only one room counts as "
            "exterior)",
        )

    # spaces nobody can enter: reported against the source element, not the generated YAML
    linked = {c["a"] for c in connections} | {c["b"] for c in connections}
    for a in areas:
        if ids[a.key] not in linked:
            out.add(
                a.element,
                f"'{a.label}' has no door or opening, so nobody can walk in or out",
                "add a door/opening on its wall that touches it and its neighbour (within "
                f"{snap_m} m)",
            )
    out.raise_if_any()

    data = {
        "name": name,
        "floors": [{"level": lv, "name": nm} for lv, nm in floors],
        "spaces": spaces,
        "connections": connections,
    }
    try:
        fp = floorplan_from_dict(data, source=f"{source} (imported)")
    except ValidationError as err:  # a gap this importer did not foresee: still no traceback
        raise ValidationError(
            [
                Problem(
                    source,
                    p.element,
                    p.message,
                    (p.fix + "; " if p.fix else "")
                    + "fix the source drawing/data and import again",
                )
                for p in err.problems
            ]
        ) from None
    return ImportResult(fp, data, source, guesses, notes)


def ambiguous(hits: list[tuple[float, Area]]) -> bool:
    """A third area overlaps a passage about as much as the second: worth a note."""
    return len(hits) > 2 and hits[2][0] >= 0.5 * hits[1][0]


def touching(geom, areas: list[Area], level: int | None, snap_m: float) -> list[tuple[float, Area]]:
    """Areas (on ``level`` if given) within ``snap_m`` of ``geom``, most overlap first."""
    zone = geom.buffer(snap_m)
    hits = []
    for a in areas:
        if level is not None and a.level != level:
            continue
        if a.geom.distance(geom) <= snap_m:
            hits.append((zone.intersection(a.geom).area, a))
    hits.sort(key=lambda h: -h[0])
    return hits
