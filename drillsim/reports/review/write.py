"""Write the after-action report: HTML and PDF, ``review_rooms.csv``, ``review.json``, figures."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from drillsim.reports.figures import figure_png
from drillsim.reports.render import write_doc, write_figure_pngs
from drillsim.reports.review.document import build_review_doc
from drillsim.reports.review.figures import percentile_floorplan_figure, rooms_figure
from drillsim.reports.review.placement import FLAG_NOT_SECURED, FLAG_SLOW
from drillsim.reports.staging import safe_row, write_json
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def write_rooms_csv(path: Path, data: dict[str, Any]) -> None:
    """review_rooms.csv: one row per room with placement and flags."""

    def num(x: float) -> str:
        return "" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.3f}")

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "room",
                "label",
                "status",
                "observed_secured_s",
                "basis",
                "sim_median_s",
                "sim_p90_s",
                "percentile",
                "slower_than_p90",
                "not_secured",
                "factors",
            ]
        )
        for r in data["rooms"]:
            w.writerow(
                safe_row([
                    r["room"],
                    r["label"],
                    r["status"],
                    num(r["observed_s"]),
                    r["basis"],
                    num(r["sim_median_s"]),
                    num(r["sim_p90_s"]),
                    num(r["percentile"]),
                    int(FLAG_SLOW in r["flags"]),
                    int(FLAG_NOT_SECURED in r["flags"]),
                    "; ".join(f"{c}: {t}" for c, t in r["factors"]),
                ])
            )


def write_review(
    loaded: LoadedScenario,
    result: BatchResult,
    data: dict[str, Any],
    out: Path,
    calibration: Any = None,
    final_out: Path | None = None,
) -> list[Path]:
    """Write review.html, review.pdf, review_rooms.csv, review.json, figures (and calibration).

    ``out`` is the staging folder; ``final_out`` the ``--out`` folder it becomes (for the
    calibrated scenario's relative floorplan path).
    """
    figs = {
        "rooms": rooms_figure(data, result),
        "floorplan": percentile_floorplan_figure(loaded, data),
    }
    if calibration is not None:
        from drillsim.reports.calibrate import calibration_figure

        figs["calibration"] = calibration_figure(calibration)
    pngs = {k: figure_png(f, dpi=140 if k == "floorplan" else 110) for k, f in figs.items()}
    doc = build_review_doc(loaded, result, data, pngs)
    paths = write_doc(doc, out, "review", "review.html.j2")
    p = out / "review_rooms.csv"
    write_rooms_csv(p, data)
    paths.append(p)
    p = out / "review.json"
    write_json(p, data)
    paths.append(p)
    if calibration is not None:
        from drillsim.reports.calibrate import write_calibration

        paths.extend(write_calibration(loaded, calibration, out, final_out))
    paths += write_figure_pngs(out, pngs, prefix="review_")
    return paths
