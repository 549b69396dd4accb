"""After-action review of a Hold, Secure, Shelter or options-based drill (issue 9).

For every room and every moment on the protocol's observer sheet
(:mod:`.protocol_measures`), the observed time is placed in the room's simulated distribution of
that moment: median, 90th percentile, percentile of the observation, and a flag when it is later
than the simulated p90. For the options sheet's decision, the observed choice is compared with
the share of runs in which the simulation makes it; a choice the simulation makes in under 10 %
of runs is flagged. Flags name rooms and moments, never individuals, and become the improvement
plan. Written: ``review.html``, ``review.pdf``, ``review_rooms.csv`` (one row per room and
moment), ``review.json`` and the figure.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure as MplFigure

from drillsim.metrics.summary import quantile
from drillsim.plan.compile import Plan
from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.figures import SENSITIVE, figure_png, mark_sensitive
from drillsim.reports.pdf import Box, Bullets, Doc, Figure, Heading, Para, Table
from drillsim.reports.render import write_doc, write_figure_pngs
from drillsim.reports.review.placement import percentile_of
from drillsim.reports.review.protocol_measures import MEASURES
from drillsim.reports.review.protocol_sheet import ProtocolSheet
from drillsim.reports.staging import safe_row, write_json
from drillsim.reports.wording import about_numbers_box, fmt_s, provenance_line
from drillsim.scenario.load import LoadedScenario

FLAG_LATE = "later than simulated p90"
FLAG_UNUSUAL = "decision the simulation rarely makes"
FLAG_NEVER = "did not happen in the drill"
UNUSUAL_SHARE = 0.10  # a decision made in fewer runs than this is flagged


def place(plan: Plan, sim: dict[str, np.ndarray], sheet: ProtocolSheet) -> list[dict[str, Any]]:
    """One record per (room, measure): observed, simulated median/p90 (or share), percentile, flag.

    Runs in which the moment does not apply to the room (nan) are left out of its distribution;
    ``sim_runs`` says how many remain. A blank observation is "not recorded"; a time recorded for
    a moment that never applies in the simulation is "no simulated counterpart".
    """
    by_room = sheet.by_room()
    out = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        row = by_room.get(rid)
        for meas in MEASURES[plan.protocol]:
            x = sim[meas.column][:, m]
            applies = ~np.isnan(x)
            xs = x[applies]
            obs = row.values[meas.column] if row is not None else math.nan
            rec: dict[str, Any] = {
                "room": rid,
                "measure": meas.column,
                "label": meas.label,
                "kind": meas.kind,
                "observed": obs,
                "sim_runs": int(applies.sum()),
                "sim_median_s": math.nan,
                "sim_p90_s": math.nan,
                "sim_share_leave": math.nan,
                "percentile": math.nan,
                "status": "not recorded" if math.isnan(obs) else "placed",
                "flag": "",
                "notes": row.notes if row is not None else "",
            }
            if meas.kind == "decision":
                if xs.size:
                    rec["sim_share_leave"] = float(xs.mean())
                if not math.isnan(obs) and xs.size:
                    share = float((xs == obs).mean())
                    rec["percentile"] = 100.0 * share  # share of runs making the observed choice
                    if share < UNUSUAL_SHARE:
                        rec["flag"] = FLAG_UNUSUAL
                out.append(rec)
                continue
            if xs.size:
                rec["sim_median_s"] = quantile(xs, 0.5)
                rec["sim_p90_s"] = quantile(xs, 0.9)
            if not math.isnan(obs):
                if not xs.size:
                    rec["status"] = "no simulated counterpart"
                else:
                    rec["percentile"] = percentile_of(xs, obs)
                    threshold = rec["sim_p90_s"]
                    if math.isinf(threshold) and np.isfinite(xs).any():
                        threshold = quantile(xs[np.isfinite(xs)], 0.9)
                    if obs > threshold:
                        rec["flag"] = FLAG_LATE
            out.append(rec)
    return out


def build_protocol_review(
    loaded: LoadedScenario,
    plan: Plan,
    sim: dict[str, np.ndarray],
    sheet: ProtocolSheet,
    provenance: dict[str, Any],
) -> dict[str, Any]:
    """Everything the report shows, as plain values (written to review.json)."""
    records = place(plan, sim, sheet)
    observed_rooms = sorted({r["room"] for r in records if r["status"] != "not recorded"})
    flagged = [r for r in records if r["flag"]]
    return {
        "provenance": provenance,
        "protocol": plan.protocol,
        "observer_file": Path(sheet.path).name,
        "measures": [m.__dict__ for m in MEASURES[plan.protocol]],
        "records": records,
        "n_rooms": plan.n_rooms,
        "n_observed": len(observed_rooms),
        "not_observed": [
            plan.room_id(m) for m in range(plan.n_rooms) if plan.room_id(m) not in observed_rooms
        ],
        "flagged": [f"{r['room']} {r['label']}: {r['flag']}" for r in flagged],
        "sensitive": SENSITIVE,
    }


def summary_lines(data: dict[str, Any]) -> list[str]:
    """What the CLI prints after writing."""
    lines = [f"flagged: {'; '.join(data['flagged']) or 'none'}"]
    if data["not_observed"]:
        lines.append(f"not observed: {', '.join(data['not_observed'])}")
    return lines


def _num(x: float) -> str:
    return "" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.3f}")


def write_records_csv(path: Path, data: dict[str, Any]) -> None:
    """review_rooms.csv: one row per room and moment."""
    cols = (
        "room",
        "measure",
        "status",
        "observed",
        "sim_runs",
        "sim_median_s",
        "sim_p90_s",
        "sim_share_leave",
        "percentile",
        "flag",
        "notes",
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in data["records"]:
            w.writerow(safe_row([_num(r[c]) if isinstance(r[c], float) else r[c] for c in cols]))


def records_figure(data: dict[str, Any]) -> MplFigure:
    """Observed times (dots) against each room's simulated median-p90 (bars), per moment."""
    times = [m for m in data["measures"] if m["kind"] == "time"]
    fig = MplFigure(figsize=(8.6, 1.2 + 2.2 * len(times)), layout="constrained")
    axes = fig.subplots(len(times), 1, squeeze=False)[:, 0]
    for ax, meas in zip(axes, times, strict=True):
        recs = [r for r in data["records"] if r["measure"] == meas["column"]]
        recs = [r for r in recs if math.isfinite(r["sim_median_s"]) or r["status"] == "placed"]
        for i, r in enumerate(recs):
            med, p90 = r["sim_median_s"], r["sim_p90_s"]
            if math.isfinite(med):
                hi = p90 if math.isfinite(p90) else med
                ax.plot([med, hi], [i, i], color="#bdbdbd", lw=5, solid_capstyle="butt")
                ax.plot([med], [i], "|", color="black", ms=9)
            if r["status"] == "placed" and math.isfinite(r["observed"]):
                ax.plot(
                    [r["observed"]], [i], "o", ms=5, color="#c62828" if r["flag"] else "#1565c0"
                )
        ax.set_yticks(range(len(recs)), [r["room"] for r in recs], fontsize=6)
        ax.set_title(
            f"{meas['label']}: observed (dot; red = flagged) vs simulated median-p90", fontsize=9
        )
        ax.set_xlabel("time since the drill announcement (s)", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    mark_sensitive(fig)
    return fig


def build_protocol_review_doc(loaded: LoadedScenario, data: dict[str, Any], png: bytes) -> Doc:
    """The after-action report as a Doc."""
    sc, fp = loaded.scenario, loaded.floorplan
    prof = PROFILES[data["protocol"]]
    prov = data["provenance"]
    doc = Doc(
        title=f"{prof.title} drill after-action report: {sc.name}",
        subtitle=(
            f"{fp.name} · observer sheet {data['observer_file']} · {data['n_observed']} of "
            f"{data['n_rooms']} rooms observed · compared with {prov['n_runs']} simulated runs"
        ),
        kind="After-action report",
        provenance=provenance_line(prov),
    )
    flagged = data["flagged"]
    doc.add(
        Box(
            "Summary",
            (
                Bullets(
                    (
                        f"Flagged: {'; '.join(flagged) or 'none'}.",
                        f"Rooms not observed: {', '.join(data['not_observed']) or 'none'}.",
                    )
                ),
            ),
            "warn" if flagged else "info",
        )
    )
    doc.add(Heading("1. Exercise overview", 2, "overview"))
    doc.add(
        Table(
            ("Item", "Detail"),
            (
                ("Exercise name", sc.name),
                ("Exercise type", f"Operations-based exercise: announced {prof.title} drill"),
                ("Exercise date", ""),
                ("What was practised", prof.practice),
                ("Scope", f"{fp.name}; {data['n_rooms']} rooms on the observer sheet"),
                ("Participating organisations", ""),
                ("Point of contact", ""),
            ),
            widths=(1.6, 5.0),
            key="overview",
        )
    )
    doc.add(Heading("2. Observed moments against the simulation", 2, "performance"))
    doc.add(
        Para(
            "Each observed moment is placed in that room's simulated distribution of the same "
            "moment (runs in which it does not apply to the room are left out). Flagged: later "
            "than the simulated 90th percentile, or a decision the simulation makes in under "
            f"{UNUSUAL_SHARE:.0%} of runs. Percentile for a decision = share of runs making "
            "the observed choice."
        )
    )
    doc.add(Bullets(tuple(f"{m['label']}: {m['meaning']}." for m in data["measures"])))
    rows, styles, keys = [], [], []
    for r in data["records"]:
        if r["status"] == "not recorded":
            continue
        if r["kind"] == "decision":
            obs = "left" if r["observed"] == 1 else "locked"
            sim = (
                f"leaves in {r['sim_share_leave']:.0%} of runs"
                if math.isfinite(r["sim_share_leave"])
                else "—"
            )
            rows.append(
                (r["room"], r["label"], obs, sim, "", f"{r['percentile']:.0f} %", r["flag"])
            )
        else:
            pct = "" if math.isnan(r["percentile"]) else f"{r['percentile']:.0f}"
            rows.append(
                (
                    r["room"],
                    r["label"],
                    fmt_s(r["observed"]),
                    fmt_s(r["sim_median_s"]),
                    fmt_s(r["sim_p90_s"]),
                    pct,
                    r["flag"] or r["status"].replace("placed", ""),
                )
            )
        styles.append("flag" if r["flag"] else "")
        keys.append(f"{r['room']}:{r['measure']}")
    doc.add(
        Table(
            ("Room", "Moment", "Observed", "Sim. median", "Sim. p90", "Percentile", "Flag"),
            tuple(rows),
            widths=(0.8, 1.3, 0.9, 0.9, 0.9, 0.8, 1.8),
            row_styles=tuple(styles),
            key="placements",
            row_keys=tuple(keys),
            font_size=7.5,
        )
    )
    doc.add(
        Figure(
            png,
            "Observed moments against the simulated median-p90 per room.",
            "Chart of observed times against simulated ranges per room",
        )
    )
    doc.add(Heading("3. Strengths", 2, "strengths"))
    good = [
        f"{r['room']} {r['label']}"
        for r in data["records"]
        if r["kind"] == "time" and r["status"] == "placed" and r["observed"] <= r["sim_median_s"]
    ]
    doc.add(
        Para(
            f"{len(good)} observed moments at or better than the simulated median"
            + (f": {', '.join(good[:30])}{' ...' if len(good) > 30 else ''}." if good else ".")
        )
    )
    doc.add(Heading("4. Improvement plan", 2, "improvement"))
    items = []
    for r in data["records"]:
        if not r["flag"]:
            continue
        if r["kind"] == "decision":
            action = (
                "Review in the hot wash what the room knew when it decided, and whether the "
                "announced location reached it; practise the decision rule calmly."
            )
        else:
            action = (
                f"Walk through the {prof.title} step '{r['label']}' for this room in a calm, "
                "low-stress practice; check in the hot wash what slowed it."
            )
        items.append((f"{r['room']}: {r['label']} {r['flag']}", action, "Training", "", "", ""))
    if data["not_observed"]:
        items.append(
            (
                f"{len(data['not_observed'])} rooms without observations",
                "Assign one observer per zone and collect sheets at the hot wash.",
                "Planning / Organisation",
                "",
                "",
                "",
            )
        )
    doc.add(
        Table(
            (
                "Issue",
                "Corrective action",
                "Capability element",
                "Owner",
                "Start date",
                "Completion date",
            ),
            tuple(items) or (("No flags", "Keep practising as planned.", "", "", "", ""),),
            widths=(2.0, 3.0, 1.1, 0.8, 0.7, 0.8),
            key="ip",
            row_keys=tuple(i[0].split(":")[0] for i in items),
        )
    )
    doc.add(about_numbers_box(prov))
    return doc


def write_protocol_review(loaded: LoadedScenario, data: dict[str, Any], out: Path) -> list[Path]:
    """Write review.html, review.pdf, review_rooms.csv, review.json and the figure into ``out``."""
    pngs = {"moments": figure_png(records_figure(data), dpi=110)}
    doc = build_protocol_review_doc(loaded, data, pngs["moments"])
    paths = write_doc(doc, out, "review", "review.html.j2")
    p = out / "review_rooms.csv"
    write_records_csv(p, data)
    paths.append(p)
    p = out / "review.json"
    write_json(p, data)
    paths.append(p)
    paths += write_figure_pngs(out, pngs, prefix="review_")
    return paths
