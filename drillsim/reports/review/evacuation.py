"""Review an evacuation drill: each class's observed times placed in the simulated distributions.

The observer sheet of an evacuation brief (``observer_sheet.csv``) records per room the moments
``alert_heard_s``, ``left_room_s`` (the class starts to leave), ``assembly_reached_s`` (the whole
class is at its assembly point) and, when the sheet has the column, ``accounted_s`` (the teacher
reports the class accounted for at its assembly area). Each is placed within the simulated
distribution of the same moment for that class: the alert time of its space, the time its first
person starts moving, the time its last member reaches assembly, and that plus the report delay.
A class slower than the simulated 90th percentile is flagged. Outputs: ``review_rooms.csv``,
``review.json``, ``review.html`` / ``review.pdf``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from drillsim.errors import Problem, ValidationError
from drillsim.metrics.summary import quantile
from drillsim.plan.compile import Plan
from drillsim.reports.brief.observer_sheet import EVAC_OBSERVER_COLUMNS
from drillsim.reports.pdf import Box, Bullets, Doc, Heading, Para, Table
from drillsim.reports.review.observed import parse_time, suggest_room
from drillsim.reports.review.placement import percentile_of
from drillsim.reports.staging import write_json
from drillsim.reports.wording import about_numbers_box, fmt_s, provenance_line
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

#: The moments an evacuation observer records, in the order they happen.
MOMENTS = ("alert_heard_s", "left_room_s", "assembly_reached_s", "accounted_s")
#: Columns every evacuation sheet must have (``accounted_s`` is optional: older sheets lack it).
REQUIRED_MOMENTS = MOMENTS[:3]
FLAG_SLOW = "slower than simulated p90"


def read_evacuation_observed(path: Path, plan: Plan) -> list[dict[str, Any]]:
    """Rows of a filled evacuation observer sheet, validated (every problem at once).

    Raises
    ------
    ValidationError
        Missing file or columns, unknown or duplicate rooms, times that are not numbers or
        ``m:ss``, negative times, or times out of order (alert <= left room <= assembly).
    """
    file = str(path)
    rooms = [plan.room_id(m) for m in range(plan.n_rooms)]
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(
            [Problem(file, "(file)", "file not found", "give the filled observer_sheet.csv")]
        ) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    problems: list[Problem] = []
    for col in ("room", *REQUIRED_MOMENTS):
        if col not in header:
            problems.append(
                Problem(
                    file,
                    "(header)",
                    f"missing column '{col}'",
                    f"use the evacuation observer sheet: {', '.join(EVAC_OBSERVER_COLUMNS)}",
                )
            )
    if problems:
        raise ValidationError(problems)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        room = row.get("room", "")
        if not room:
            continue
        if room not in rooms:
            hint = suggest_room(room, rooms)
            problems.append(
                Problem(
                    file,
                    f"row {n}.room",
                    f"'{room}' is not a class room of this scenario",
                    f"did you mean '{hint}'?" if hint else "use a room id from the briefing",
                )
            )
            continue
        if room in seen:
            problems.append(
                Problem(file, f"row {n}.room", f"'{room}' listed twice", "keep one row per room")
            )
            continue
        seen.add(room)
        rec: dict[str, Any] = {"room": room, "row": n, "observer": row.get("observer", "")}
        bad = False
        for col in MOMENTS:
            try:
                rec[col] = parse_time(row.get(col, ""))
            except ValueError:
                problems.append(
                    Problem(
                        file,
                        f"row {n}.{col}",
                        f"'{row.get(col)}' is not a time",
                        "write seconds (75) or m:ss (1:15), or leave it blank",
                    )
                )
                bad = True
                continue
            if rec[col] < 0:
                problems.append(
                    Problem(file, f"row {n}.{col}", "negative time", "times count from 0")
                )
                bad = True
        if bad:
            continue
        times = [(c, rec[c]) for c in MOMENTS if not math.isnan(rec[c])]
        for (c1, t1), (c2, t2) in zip(times[:-1], times[1:], strict=True):
            if t2 < t1:
                problems.append(
                    Problem(
                        file,
                        f"row {n}.{c2}",
                        f"{c2} ({t2:g} s) is before {c1} ({t1:g} s)",
                        "check the times: alert heard <= left room <= assembly reached <= "
                        "accounted",
                    )
                )
        rec["notes"] = row.get("notes", "")
        out.append(rec)
    if problems:
        raise ValidationError(problems)
    return out


def build_evacuation_review(
    loaded: LoadedScenario, result: BatchResult, rows: list[dict[str, Any]], observer_file: str
) -> dict[str, Any]:
    """Place each observed class in its simulated distributions; flags and summary."""
    plan = result.plan
    ids = plan.space_ids
    delay = plan.report_delay_s
    by_room = {r["room"]: r for r in rows}
    rooms = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        s = ids.index(rid)
        sims = {
            "alert_heard_s": result.space_alert_s[:, s].astype(float),
            "left_room_s": result.space_move_s[:, s].astype(float),
            "assembly_reached_s": result.space_accounted_s[:, s].astype(float) - delay,
            "accounted_s": result.space_accounted_s[:, s].astype(float),
        }
        obs = by_room.get(rid)
        entry: dict[str, Any] = {
            "room": rid,
            "label": str(loaded.floorplan.space(rid)["label"]),
            "observed": obs is not None and any(not math.isnan(obs[c]) for c in MOMENTS),
            "flags": [],
        }
        for c, sim in sims.items():
            x = obs[c] if obs is not None else math.nan
            p90 = quantile(sim, 0.9)
            entry[c] = {
                "observed_s": x,
                "sim_median_s": quantile(sim, 0.5),
                "sim_p90_s": p90,
                "percentile": math.nan if math.isnan(x) else percentile_of(sim, x),
            }
            if not math.isnan(x) and x > p90:
                entry["flags"].append(f"{c.removesuffix('_s').replace('_', ' ')}: {FLAG_SLOW}")
        rooms.append(entry)
    slow = [r["room"] for r in rooms if r["flags"]]
    return {
        "protocol": "evacuate",
        "observer_file": observer_file,
        "provenance": result.provenance,
        "n_rooms": len(rooms),
        "n_observed": sum(r["observed"] for r in rooms),
        "not_observed": [r["room"] for r in rooms if not r["observed"]],
        "flagged_slow": slow,
        "report_delay_s": delay,
        "assembly": {
            plan.room_id(m): plan.assembly_ids[int(plan.space_assembly[ids.index(plan.room_id(m))])]
            for m in range(plan.n_rooms)
            if plan.assembly_ids and plan.space_assembly[ids.index(plan.room_id(m))] >= 0
        },
        "rooms": rooms,
    }


def _num(x: float) -> str:
    return "" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.3f}")


def write_evacuation_review(loaded: LoadedScenario, data: dict[str, Any], out: Path) -> list[Path]:
    """review_rooms.csv, review.json, review.html and review.pdf of an evacuation drill."""
    from drillsim.reports.render import write_doc

    paths = []
    p = out / "review_rooms.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        head = ["room", "label"]
        for c in MOMENTS:
            k = c.removesuffix("_s")
            head += [f"observed_{k}_s", f"sim_median_{k}_s", f"sim_p90_{k}_s", f"percentile_{k}"]
        w.writerow([*head, "flags"])
        for r in data["rooms"]:
            row = [r["room"], r["label"]]
            for c in MOMENTS:
                e = r[c]
                row += [_num(e["observed_s"]), _num(e["sim_median_s"]), _num(e["sim_p90_s"]),
                        _num(e["percentile"])]  # fmt: skip
            w.writerow([*row, "; ".join(r["flags"])])
    paths.append(p)
    p = out / "review.json"
    write_json(p, data)
    paths.append(p)
    paths += write_doc(_document(loaded, data), out, "review", "review.html.j2")
    return paths


def _document(loaded: LoadedScenario, data: dict[str, Any]) -> Doc:
    sc, fp = loaded.scenario, loaded.floorplan
    prov = data["provenance"]
    doc = Doc(
        title=f"Evacuation drill after-action report: {sc.name}",
        subtitle=(
            f"{fp.name} · observer sheet {data['observer_file']} · {data['n_observed']} of "
            f"{data['n_rooms']} classes observed · compared with {prov['n_runs']} simulated runs"
        ),
        kind="After-action report",
        provenance=provenance_line(prov),
    )
    doc.add(
        Box(
            "Summary",
            (
                Bullets(
                    (
                        "Classes slower than the simulated 90th percentile at some moment: "
                        f"{', '.join(data['flagged_slow']) or 'none'}.",
                        f"Classes not observed: {', '.join(data['not_observed']) or 'none'}.",
                        "Percentiles place the drill within the simulated runs (50 = the median "
                        "run); a flag is a prompt for the hot wash, not a grade for a person.",
                    )
                ),
            ),
            "warn" if data["flagged_slow"] else "info",
        )
    )
    doc.add(Heading("Classes: observed against simulated", 2, "rooms"))
    doc.add(
        Para(
            "Left room: the class starts to leave. At assembly: the whole class at its assembly "
            "point (simulated: last member there, before the "
            f"{data['report_delay_s']:.0f} s teacher report). Accounted: the teacher reports the "
            "class accounted for at its assembly area (simulated: at assembly + report delay). "
            "Observed (percentile) / simulated median–p90."
        )
    )

    def cell(e: dict) -> str:
        if math.isnan(e["observed_s"]):
            return f"— / {fmt_s(e['sim_median_s'])}–{fmt_s(e['sim_p90_s'])}"
        return (
            f"{fmt_s(e['observed_s'])} ({e['percentile']:.0f}) / "
            f"{fmt_s(e['sim_median_s'])}–{fmt_s(e['sim_p90_s'])}"
        )

    doc.add(
        Table(
            ("Room", "Assembly", "Alert heard", "Left room", "At assembly", "Accounted", "Flags"),
            tuple(
                (
                    r["room"],
                    data.get("assembly", {}).get(r["room"], "-"),
                    *(cell(r[c]) for c in MOMENTS),
                    "; ".join(r["flags"]) or "-",
                )
                for r in data["rooms"]
            ),
            widths=(0.8, 0.9, 1.3, 1.3, 1.3, 1.3, 1.8),
            align=("l", "l", "r", "r", "r", "r", "l"),
            row_styles=tuple("flag" if r["flags"] else "" for r in data["rooms"]),
            key="rooms",
            row_keys=tuple(r["room"] for r in data["rooms"]),
        )
    )
    doc.add(about_numbers_box(prov))
    return doc


def summary_lines(data: dict[str, Any]) -> list[str]:
    """One-line console summary of an evacuation review."""
    return [
        f"{data['n_observed']} of {data['n_rooms']} classes observed; slower than simulated p90: "
        f"{', '.join(data['flagged_slow']) or 'none'}"
    ]


__all__ = [
    "build_evacuation_review",
    "read_evacuation_observed",
    "summary_lines",
    "write_evacuation_review",
]
