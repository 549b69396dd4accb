"""Import one storey of a CAD drawing (DXF) as a drillsim floorplan, with ezdxf and shapely.

Closed polylines on the rooms layer become spaces, labelled by the text (TEXT/MTEXT) inside them;
the space kind is read from the label's words (``KIND_WORDS``: "Corridor", "Gym", "Room 101", ...).
Door blocks (INSERT), lines, open polylines or arcs on the doors layer become connections between
the two rooms they touch, with the door's width from the block (its swing arc's radius, else its
longest side) or the line's length; a door touching one room only is an exterior door with an
exit outside it. Hallway polygons that share a wall with no door are joined by an opening.
Drawing units come from the file's ``$INSUNITS`` (or ``--units``). Everything the drawing cannot
say is guessed and reported (:mod:`drillsim.imports.common`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import ezdxf
from ezdxf import bbox
from ezdxf import units as dxf_units
from shapely.geometry import LineString, Point, Polygon, box

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

#: ``--units`` names -> ezdxf unit codes.
UNIT_CODES = {
    "m": dxf_units.M,
    "cm": dxf_units.CM,
    "mm": dxf_units.MM,
    "in": dxf_units.IN,
    "ft": dxf_units.FT,
}
#: Words in a room label -> space kind, first match wins (case-insensitive, whole words).
KIND_WORDS: tuple[tuple[str, str], ...] = (
    (r"corridor|hall|hallway|passage|vestibule", "corridor"),
    (r"stairs?|stairwell|staircase", "stair"),
    (r"restroom|toilets?|wc|boys|girls|lavatory|locker", "restroom"),
    (r"gym|gymnasium|auditorium|theat(er|re)", "gym"),
    (r"cafeteria|dining|canteen|lunch", "cafeteria"),
    (r"library|media", "library"),
    (r"lobby|commons|foyer|atrium|entrance", "commons"),
    (r"office|admin|nurse|counsel\w*|principal|staff|workroom|reception", "office"),
    (r"class(room)?|room|lab|studio|art|music|science|portable|\d{2,4}[a-z]?", "classroom"),
)
#: A polyline whose ends are this close (drawing metres) counts as closed.
CLOSE_TOL_M = 0.05
#: Door widths outside this range (m) are taken as a misread block and replaced by the default.
DOOR_WIDTH_RANGE_M = (0.5, 4.0)


def kind_from_label(label: str) -> tuple[str, str]:
    """(space kind, reason) from a room label; unlabelled rooms are offices (reported)."""
    low = label.lower()
    for pattern, kind in KIND_WORDS:
        m = re.search(rf"\b({pattern})\b", low)
        if m:
            return kind, f"label word '{m.group(0)}'"
    return "office", "no label word known"


def _problem(out: ProblemList, element: str, message: str, fix: str) -> None:
    out.problems.append(Problem(out.file, element, message, fix))


def _layer_entities(msp, layer: str) -> list:
    return [e for e in msp if e.dxf.get("layer", "0").lower() == layer.lower()]


def _polyline_points(e) -> tuple[list[tuple[float, float]], bool]:
    if e.dxftype() == "LWPOLYLINE":
        return [(float(x), float(y)) for x, y in e.get_points("xy")], bool(e.closed)
    return [(float(v.dxf.location.x), float(v.dxf.location.y)) for v in e.vertices], bool(
        e.is_closed
    )


def _door_geometry(doc, e, m, scale: float):
    """(shape in metres, width in metres or None) of one entity on the doors layer."""
    t = e.dxftype()
    geom, width = None, None
    if t == "INSERT":
        sx = abs(float(e.dxf.get("xscale", 1.0)))
        block = doc.blocks.get(e.dxf.name)
        arcs = [a for a in block if a.dxftype() == "ARC"] if block is not None else []
        ext = bbox.extents([e])
        if ext.has_data:
            geom = box(*m(ext.extmin.x, ext.extmin.y), *m(ext.extmax.x, ext.extmax.y))
        if arcs:
            width = max(float(a.dxf.radius) for a in arcs) * sx * scale
        elif ext.has_data:
            width = max(ext.size.x, ext.size.y) * scale
    elif t == "LINE":
        a, b = e.dxf.start, e.dxf.end
        geom = LineString([m(a.x, a.y), m(b.x, b.y)])
        width = geom.length
    elif t in ("LWPOLYLINE", "POLYLINE"):
        pts, _ = _polyline_points(e)
        if len(pts) >= 2:
            geom = LineString([m(*pts[0]), m(*pts[-1])])
            width = geom.length
    elif t == "ARC":
        ext = bbox.extents([e])
        geom = box(*m(ext.extmin.x, ext.extmin.y), *m(ext.extmax.x, ext.extmax.y))
        width = float(e.dxf.radius) * scale
    return geom, width


def _el(e, layer: str) -> str:
    return f"layer '{layer}', {e.dxftype()} (handle {e.dxf.handle})"


def import_dxf(
    path: str | Path,
    *,
    rooms_layer: str,
    doors_layer: str,
    labels_layer: str | None = None,
    units: str | None = None,
    name: str | None = None,
    default_lock: str = "thumbturn",
    snap_m: float = DEFAULT_SNAP_M,
) -> ImportResult:
    """Read one storey of a DXF drawing into a validated floorplan and a guesses report.

    Parameters
    ----------
    rooms_layer, doors_layer : str
        Layer names (case-insensitive) of the room outlines and of the doors.
    labels_layer : str, optional
        Only texts on this layer label rooms (default: texts on any layer).
    units : {"m", "cm", "mm", "in", "ft"}, optional
        Drawing units, overriding the file's ``$INSUNITS`` (required when the file has none).

    Raises
    ------
    ValidationError
        Every problem at once, naming the file, the layer and entity handle, and the fix.
    """
    p = Path(path)
    src = str(p)
    out = ProblemList(src)
    if not p.is_file():
        raise DrillsimError(f"{p}: no such file")
    try:
        doc = ezdxf.readfile(p)
    except Exception as err:  # ezdxf raises many types on a damaged file: report, never raise
        _problem(
            out,
            "(file)",
            f"cannot read as DXF: {err}",
            "save the drawing as DXF (ASCII or binary, any version) and try again",
        )
        out.raise_if_any()
    msp = doc.modelspace()

    # drawing units -> metres
    if units is not None:
        code = UNIT_CODES[units]
    else:
        code = int(doc.header.get("$INSUNITS", 0) or 0)
        if code == 0:
            _problem(
                out,
                "header $INSUNITS",
                "the drawing does not say its units (unitless)",
                "pass --units m|cm|mm|in|ft",
            )
            out.raise_if_any()
    try:
        scale = float(dxf_units.conversion_factor(code, dxf_units.M))
    except Exception:  # an exotic unit code ezdxf cannot convert: reported, never raised
        _problem(
            out,
            "header $INSUNITS",
            f"unsupported drawing unit code {code}",
            "pass --units m|cm|mm|in|ft",
        )
        out.raise_if_any()

    layer_names = sorted(
        {ly.dxf.name for ly in doc.layers} | {e.dxf.get("layer", "0") for e in msp}
    )
    for what, layer in (("rooms", rooms_layer), ("doors", doors_layer)):
        if not _layer_entities(msp, layer):
            _problem(
                out,
                f"layer '{layer}'",
                f"no entities on the {what} layer" + did_you_mean(layer, layer_names),
                f"pass --{what}-layer with one of the drawing's layers: {', '.join(layer_names)}",
            )
    out.raise_if_any()

    def m(x: float, y: float) -> tuple[float, float]:
        return x * scale, y * scale

    # rooms
    polys: list[tuple[Polygon, str]] = []
    for e in _layer_entities(msp, rooms_layer):
        t = e.dxftype()
        if t in ("TEXT", "MTEXT"):
            continue
        el = _el(e, rooms_layer)
        if t not in ("LWPOLYLINE", "POLYLINE"):
            _problem(
                out,
                el,
                f"a {t} on the rooms layer: rooms must be closed polylines",
                "join the room's outline into one closed polyline (PEDIT > Join, Close), "
                "or move this entity to another layer",
            )
            continue
        pts, closed = _polyline_points(e)
        pts = [m(x, y) for x, y in pts]
        if len(pts) >= 2 and math.dist(pts[0], pts[-1]) <= CLOSE_TOL_M:
            closed, pts = True, pts[:-1]
        if not closed:
            _problem(
                out,
                el,
                f"polyline is not closed (its ends are {math.dist(pts[0], pts[-1]):.2f} m apart)"
                if len(pts) >= 2
                else "polyline is not closed",
                "close it (PEDIT > Close) so it outlines one room",
            )
            continue
        if len(pts) < 3:
            _problem(out, el, "a room outline needs at least 3 corners", "redraw the outline")
            continue
        poly = Polygon(pts)
        if not poly.is_valid:
            poly = poly.buffer(0)
        if poly.is_empty or poly.area < 0.5 or poly.geom_type != "Polygon":
            _problem(
                out,
                el,
                "outline crosses itself or has no area",
                "redraw it as a simple closed outline",
            )
            continue
        polys.append((poly, el))

    # labels: texts inside each room
    texts = []
    for e in msp.query("TEXT MTEXT"):
        if labels_layer and e.dxf.get("layer", "0").lower() != labels_layer.lower():
            continue
        s = e.plain_text() if e.dxftype() == "MTEXT" else e.dxf.text
        s = " ".join(str(s).split())
        if s:
            ins = e.dxf.insert
            texts.append((Point(m(float(ins.x), float(ins.y))), s))
    areas: list[Area] = []
    unlabelled = 0
    for k, (poly, el) in enumerate(polys):
        inside = [(pt, s) for pt, s in texts if poly.contains(pt)]
        inside.sort(key=lambda x: (-x[0].y, x[0].x))  # reading order: top to bottom
        label = " ".join(s for _, s in inside) if inside else f"Room {k + 1}"
        if not inside:
            unlabelled += 1
        kind, why = kind_from_label(label) if inside else ("office", "no text inside")
        areas.append(Area(f"R{k + 1}", kind, label, 0, poly, el, why))

    # doors
    passages: list[Passage] = []
    notes: list[str] = []
    odd_widths: list[str] = []
    for e in _layer_entities(msp, doors_layer):
        t = e.dxftype()
        el = _el(e, doors_layer)
        try:
            geom, width = _door_geometry(doc, e, m, scale)
        except Exception as err:  # a damaged block or entity: named, never a traceback
            _problem(out, el, f"cannot read this door: {err}", "redraw or re-insert the door")
            continue
        if t in ("TEXT", "MTEXT"):
            continue
        if geom is None or geom.is_empty:
            _problem(
                out,
                el,
                f"a {t} on the doors layer is not a door",
                "use door blocks (INSERT), or lines across the doorways",
            )
            continue
        if width is not None and not DOOR_WIDTH_RANGE_M[0] <= width <= DOOR_WIDTH_RANGE_M[1]:
            odd_widths.append(f"{e.dxf.handle} ({width:.2f} m)")
            width = None
        hits = touching(geom, areas, None, snap_m)
        c = geom.centroid
        at = (float(c.x), float(c.y))
        if not hits:
            _problem(
                out,
                el,
                f"door at ({at[0] / scale:.1f}, {at[1] / scale:.1f}) touches no "
                f"room (none within {snap_m} m)",
                "move it onto the wall between the two rooms it joins, or raise --snap-m",
            )
            continue
        ends = [a for _, a in hits[:2]]
        b = ends[1].key if len(ends) > 1 else None
        passages.append(Passage(el, ends[0].key, b, "door", width, at))
        if ambiguous(hits):
            notes.append(
                f"door {e.dxf.handle} touches {len(hits)} rooms; joined the two it "
                f"overlaps most ({ends[0].label}, {ends[1].label})"
            )
    if odd_widths:
        notes.append(
            "door widths outside 0.5-4 m were replaced by the default width (check the "
            f"block's scale): {', '.join(odd_widths[:10])}"
        )
    if unlabelled:
        notes.append(
            f"{unlabelled} rooms have no text inside; they are named 'Room N' and "
            "guessed to be offices"
        )
    notes.append(
        "a DXF holds one storey: the result has one floor (level 0). For a school on "
        "several storeys import each, then join the stairwells by stair connections "
        "(floorplans/README.md), or import IMDF"
    )
    out.raise_if_any()
    return assemble(
        name or p.stem.replace("_", " ").replace("-", " ").strip().title(),
        src,
        [(0, "Ground floor")],
        areas,
        passages,
        default_lock=default_lock,
        problems=out,
        notes=notes,
        snap_m=snap_m,
    )
