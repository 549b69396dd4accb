"""After-action review: read a filled observer sheet and compare the drill with the simulation.

``drillsim review SCENARIO observed.csv`` reads the observer CSV written by ``drillsim brief``
(validated, every problem reported at once), places each room's observed time within that room's
simulated distribution, flags rooms slower than the simulated 90th percentile and rooms not
secured, lists likely building and procedure factors (never individuals), and writes an
HSEEP-style after-action report and improvement plan (HTML + PDF) with ``review_rooms.csv`` and
``review.json``.

Conventions: times are seconds since the drill announcement (``m:ss`` also accepted); a blank cell
is "not observed / did not happen". A room whose ``door_locked_s`` is blank (with some other time
recorded) was *not secured in the drill*; a row with no time at all was *not observed*. A room's
observed secured time is ``safe_zone_s`` if recorded, else ``door_locked_s``; it is compared with
the simulated secured time (door locked and occupants in the safe zone) or, when only the door
time was recorded, with the simulated door-locked time.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure as MplFigure

from drillsim.errors import DrillsimError, Problem, ValidationError
from drillsim.metrics.summary import quantile
from drillsim.plan.compile import LOCK_NAMES, Plan, compile_plan
from drillsim.reports.brief import (
    OBSERVER_COLUMNS,
    about_numbers_box,
    figure_png,
    fmt_s,
    provenance_line,
    render_html,
)
from drillsim.reports.figures import SENSITIVE, mark_sensitive
from drillsim.reports.pdf import Box, Bullets, Doc, Fields, Figure, Heading, Para, Table, render_pdf
from drillsim.reports.staging import write_json
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario

TIME_COLUMNS = ("alert_heard_s", "door_locked_s", "lights_off_s", "safe_zone_s")
REQUIRED_COLUMNS = ("room", *TIME_COLUMNS)
_MMSS = re.compile(r"^(\d+):([0-5]?\d(?:\.\d*)?)$")
FLAG_SLOW = "slower than simulated p90"
FLAG_NOT_SECURED = "not secured in drill"


# -- reading --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Observation:
    """One room's row of the observer sheet (times in s since the announcement; nan = blank)."""

    room: str
    row: int
    observer: str = ""
    alert_heard_s: float = math.nan
    door_locked_s: float = math.nan
    lights_off_s: float = math.nan
    safe_zone_s: float = math.nan
    notes: str = ""

    @property
    def observed(self) -> bool:
        """Some time was recorded for this room."""
        return any(not math.isnan(getattr(self, c)) for c in TIME_COLUMNS)

    @property
    def secured(self) -> bool:
        """The door was recorded as locked."""
        return not math.isnan(self.door_locked_s)

    @property
    def secured_s(self) -> float:
        """Observed secured time: safe zone reached if recorded, else door locked (nan if not)."""
        if not self.secured:
            return math.nan
        return self.safe_zone_s if not math.isnan(self.safe_zone_s) else self.door_locked_s

    @property
    def basis(self) -> str:
        """Which observed moment ``secured_s`` is: "safe zone" or "door locked"."""
        return "safe zone" if not math.isnan(self.safe_zone_s) else "door locked"


@dataclass
class ObservedDrill:
    """A validated observer sheet."""

    path: str
    rows: list[Observation] = field(default_factory=list)

    def by_room(self) -> dict[str, Observation]:
        return {o.room: o for o in self.rows}


def parse_time(text: str) -> float:
    """Seconds from "75", "75.5" or "1:15"; nan for blank. Raises ValueError otherwise."""
    t = text.strip()
    if not t:
        return math.nan
    m = _MMSS.match(t)
    if m:
        return 60.0 * int(m.group(1)) + float(m.group(2))
    value = float(t)  # ValueError for text
    if not math.isfinite(value):
        raise ValueError(t)
    return value


_LOOKALIKE = str.maketrans({"O": "0", "L": "1", "I": "1"})


def suggest_room(room: str, rooms: list[str]) -> str | None:
    """The room id a mistyped id most likely means (case, O/0 and l/1 slips first)."""
    for norm in (str.upper, lambda s: s.upper().translate(_LOOKALIKE)):
        hits = [r for r in rooms if norm(r) == norm(room)]
        if hits:
            return hits[0]
    close = difflib.get_close_matches(room, rooms, n=1)
    return close[0] if close else None


def read_observed(path: Path, loaded: LoadedScenario, plan: Plan | None = None) -> ObservedDrill:
    """Read and validate a filled observer CSV against the scenario's rooms to secure.

    Raises
    ------
    ValidationError
        Listing every problem: empty file, missing columns, unknown or duplicate rooms,
        non-numeric / negative times, times out of order (alert ≤ door locked ≤ safe zone).
    """
    file = str(path)
    plan = plan or compile_plan(loaded)
    rooms = [plan.room_id(m) for m in range(plan.n_rooms)]
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError([Problem(file, "(file)", "file not found",
                                       "give the path of the filled observer_sheet.csv")]) from None
    except UnicodeDecodeError:
        raise ValidationError([Problem(file, "(file)", "not a UTF-8 text file",
                                       "save the sheet as CSV (UTF-8)")]) from None
    if not text.strip():
        raise ValidationError([Problem(file, "(file)", "the file is empty",
                                       "fill in observer_sheet.csv written by drillsim brief "
                                       "(header plus one row per room)")])
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        close = {c: difflib.get_close_matches(c, header, n=1) for c in missing}
        hints = [f"'{close[c][0]}' → '{c}'" for c in missing if close[c]]
        raise ValidationError([Problem(
            file, "header", f"missing required column(s): {', '.join(missing)}",
            "use the header of observer_sheet.csv: " + ",".join(OBSERVER_COLUMNS)
            + (f" (rename {'; '.join(hints)})" if hints else ""))])
    col = {name: header.index(name) for name in header if name}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    out = ObservedDrill(file)
    n_rows = 0
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank line
        n_rows += 1

        def cell(name: str, cells: list[str] = cells) -> str:
            i = col.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        room = cell("room")
        where = f"row {line_no} (room '{room}')"
        if len(cells) > len(header):
            problems.append(Problem(file, f"row {line_no}",
                                    f"{len(cells)} cells but the header has {len(header)}",
                                    "remove extra commas (quote notes that contain commas)"))
        if not room:
            problems.append(Problem(file, f"row {line_no}.room", "room is empty",
                                    "write the room id from the observer sheet"))
            continue
        if room not in rooms:
            close = suggest_room(room, rooms)
            fix = (f"did you mean '{close}'?" if close
                   else "use a room id from observer_sheet.csv")
            problems.append(Problem(file, f"{where}.room",
                                    f"'{room}' is not a room to secure in this scenario", fix))
            continue
        if room in seen:
            problems.append(Problem(file, f"{where}.room",
                                    f"room '{room}' already given in row {seen[room]}",
                                    "keep one row per room (merge the two observations)"))
            continue
        seen[room] = line_no
        times: dict[str, float] = {}
        for name in TIME_COLUMNS:
            raw = cell(name)
            try:
                value = parse_time(raw)
            except ValueError:
                problems.append(Problem(file, f"{where}.{name}", f"'{raw}' is not a time",
                                        "write seconds since the announcement (e.g. 75) or "
                                        "m:ss (1:15), or leave it blank"))
                continue
            if value < 0:
                problems.append(Problem(file, f"{where}.{name}", f"negative time {raw}",
                                        "times count from the drill announcement (0 s)"))
                continue
            times[name] = value
        order = [(n, times[n]) for n in ("alert_heard_s", "door_locked_s", "safe_zone_s")
                 if n in times and not math.isnan(times[n])]
        for (a, ta), (b, tb) in zip(order[:-1], order[1:], strict=True):
            if tb < ta:
                problems.append(Problem(file, f"{where}.{b}",
                                        f"{b} {tb:g} s is before {a} {ta:g} s",
                                        "times must be in order: alert heard ≤ door locked ≤ "
                                        "safe zone; check the stopwatch readings"))
        out.rows.append(Observation(room=room, row=line_no, observer=cell("observer"),
                                    notes=cell("notes"),
                                    **{n: times.get(n, math.nan) for n in TIME_COLUMNS}))
    if n_rows == 0:
        problems.append(Problem(file, "(rows)", "the sheet has a header but no room rows",
                                "one row per room, as in observer_sheet.csv"))
    if problems:
        raise ValidationError(problems)
    return out


def refuse_unsupported(loaded: LoadedScenario) -> None:
    """``review`` compares lockdown drills; say so clearly for other protocols."""
    if loaded.scenario.protocol != "lockdown":
        raise DrillsimError(
            f"review compares lockdown drills room by room; '{loaded.scenario.name}' is an "
            f"{loaded.scenario.protocol} scenario. Use drillsim brief for the evacuation pack, "
            "and review the evacuation drill in the hot wash.")


# -- placement ------------------------------------------------------------------------------------
def percentile_of(sim: np.ndarray, x: float) -> float:
    """Percentile (0–100) of ``x`` within ``sim`` (inf = never; ties count half)."""
    sim = np.asarray(sim, dtype=float)
    return float(100.0 * (np.sum(sim < x) + 0.5 * np.sum(sim == x)) / sim.size)


def _room_factors(plan: Plan, loaded: LoadedScenario, result: BatchResult, m: int,
                  o: Observation) -> list[tuple[str, str]]:
    """(root-cause category, neutral description) of what may have slowed room ``m``."""
    fp = loaded.floorplan
    out: list[tuple[str, str]] = []
    locks = [plan.door_lock[d] for d in plan.room_doors[m] if d >= 0]
    names = [LOCK_NAMES[int(c)] for c in locks]
    if "key_outside" in names:
        out.append(("hardware", "door locks with a key from the hallway side (the adult has to "
                                "step out to lock)"))
    if "key_inside" in names:
        out.append(("hardware", "door needs a key to lock"))
    if "none" in names or not names:
        out.append(("hardware", "a door has no lock hardware"))
    if len(names) > 1:
        out.append(("hardware", f"{len(names)} doors to lock"))
    rid = plan.room_id(m)
    if not fp.space(rid)["pa"]:
        out.append(("coverage", "outside PA coverage (alert arrives by other channels)"))
    alert_sim = result.room_alert_s[:, m]
    a90 = quantile(alert_sim, 0.9)
    if not math.isnan(o.alert_heard_s) and math.isfinite(a90) and o.alert_heard_s > a90:
        out.append(("coverage", f"alert heard later than simulated ({fmt_s(o.alert_heard_s)} vs "
                                f"p90 {fmt_s(a90)})"))
    elif quantile(alert_sim, 0.5) > 2 * max(quantile(result.room_alert_s.ravel(), 0.5), 1.0):
        out.append(("coverage", "late alert expected here (far from the alert sources)"))
    if not math.isnan(o.alert_heard_s) and o.secured:
        gap = o.door_locked_s - o.alert_heard_s
        with np.errstate(invalid="ignore"):
            sim_gap = result.room_locked_s[:, m] - result.room_alert_s[:, m]
        g90 = quantile(sim_gap, 0.9)
        if math.isfinite(g90) and gap > g90:
            out.append(("procedure", f"alert-to-lock interval longer than simulated "
                                     f"({fmt_s(gap)} vs p90 {fmt_s(g90)})"))
    if o.secured and not math.isnan(o.safe_zone_s):
        move = o.safe_zone_s - o.door_locked_s
        with np.errstate(invalid="ignore"):
            sim_move = result.room_secured_s[:, m] - result.room_locked_s[:, m]
        s90 = quantile(sim_move[np.isfinite(sim_move)], 0.9) if np.isfinite(sim_move).any() \
            else math.nan
        if math.isfinite(s90) and move > s90:
            out.append(("procedure", f"moving to the safe zone took longer than simulated "
                                     f"({fmt_s(move)} vs p90 {fmt_s(s90)})"))
    return out


def place_rooms(loaded: LoadedScenario, result: BatchResult, obs: ObservedDrill
                ) -> list[dict[str, Any]]:
    """One record per room to secure: observed time, simulated median/p90, percentile, flags."""
    plan = result.plan
    by_room = obs.by_room()
    out = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        o = by_room.get(rid)
        sec_sim = result.room_secured_s[:, m]
        rec: dict[str, Any] = {
            "room": rid, "label": str(loaded.floorplan.space(rid)["label"]),
            "status": "not observed", "observed_s": math.nan, "basis": "",
            "sim_median_s": quantile(sec_sim, 0.5), "sim_p90_s": quantile(sec_sim, 0.9),
            "sim_share_never": float(np.isinf(sec_sim).mean()),
            "percentile": math.nan, "flag_threshold_s": math.nan, "flags": [], "factors": [],
            "observer_notes": "",
            "alert_heard_s": math.nan, "door_locked_s": math.nan, "safe_zone_s": math.nan,
            "lights_off_s": math.nan,
        }
        if o is not None:
            rec.update(alert_heard_s=o.alert_heard_s, door_locked_s=o.door_locked_s,
                       safe_zone_s=o.safe_zone_s, lights_off_s=o.lights_off_s,
                       observer_notes=o.notes)
        if o is None or not o.observed:
            out.append(rec)
            continue
        if not o.secured:
            rec.update(status="not secured", flags=[FLAG_NOT_SECURED],
                       factors=_room_factors(plan, loaded, result, m, o))
            out.append(rec)
            continue
        sim = sec_sim if o.basis == "safe zone" else result.room_locked_s[:, m]
        med, p90 = quantile(sim, 0.5), quantile(sim, 0.9)
        threshold = p90
        if math.isinf(p90) and np.isfinite(sim).any():
            # the room failed to secure in > 10 % of runs: compare with the runs where it did
            threshold = quantile(sim[np.isfinite(sim)], 0.9)
        pct = percentile_of(sim, o.secured_s)
        flags = [FLAG_SLOW] if o.secured_s > threshold else []
        rec.update(status="secured", observed_s=o.secured_s, basis=o.basis, sim_median_s=med,
                   sim_p90_s=p90, flag_threshold_s=threshold, percentile=pct, flags=flags,
                   factors=_room_factors(plan, loaded, result, m, o) if flags else [])
        out.append(rec)
    return out


# -- the report -----------------------------------------------------------------------------------
def objective_target_s(result: BatchResult) -> float:
    """The building-level target: simulated p90 of the last room secured, up to 10 s."""
    p90 = quantile(result.metrics["time_last_secured_s"], 0.9)
    return float(10 * math.ceil(p90 / 10)) if math.isfinite(p90) else 300.0


def build_review(loaded: LoadedScenario, result: BatchResult, obs: ObservedDrill,
                 calibration: Any = None) -> dict[str, Any]:
    """Everything the report shows, as plain values (written to review.json)."""
    rooms = place_rooms(loaded, result, obs)
    observed = [r for r in rooms if r["status"] != "not observed"]
    secured = [r for r in rooms if r["status"] == "secured"]
    slow = [r["room"] for r in rooms if FLAG_SLOW in r["flags"]]
    not_secured = [r["room"] for r in rooms if FLAG_NOT_SECURED in r["flags"]]
    not_observed = [r["room"] for r in rooms if r["status"] == "not observed"]
    at_median = [r["room"] for r in secured if r["observed_s"] <= r["sim_median_s"]]
    target = objective_target_s(result)
    all_sec = (max(r["observed_s"] for r in secured)
               if secured and not not_secured and not not_observed else math.nan)
    sim_all = result.metrics["time_last_secured_s"]
    heard = [r for r in observed if not math.isnan(r["alert_heard_s"])]
    data = {
        "provenance": result.provenance,
        "observer_file": Path(obs.path).name,
        "rooms": rooms,
        "flagged_slow": slow,
        "flagged_not_secured": not_secured,
        "not_observed": not_observed,
        "at_or_better_than_median": at_median,
        "n_rooms": len(rooms),
        "n_observed": len(observed),
        "n_secured": len(secured),
        "n_alert_heard": len(heard),
        "target_s": target,
        "secured_within_target": sum(1 for r in secured if r["observed_s"] <= target),
        "observed_all_secured_s": all_sec,
        "observed_last_secured_s": max((r["observed_s"] for r in secured), default=math.nan),
        "simulated_last_secured_median_s": quantile(sim_all, 0.5),
        "simulated_last_secured_p90_s": quantile(sim_all, 0.9),
        "all_secured_percentile": percentile_of(sim_all, all_sec)
        if math.isfinite(all_sec) else math.nan,
        "calibration": calibration.to_dict() if calibration is not None else None,
        "sensitive": SENSITIVE,
    }
    return data


def _rating(ok: bool, some: bool, none: bool) -> str:
    """HSEEP performance rating."""
    if ok:
        return "P — performed without challenges"
    if none:
        return "U — unable to be performed"
    if some:
        return "S — performed with some challenges"
    return "M — performed with major challenges"


def improvement_items(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(issue, root cause, corrective action, capability element) rows of the improvement plan."""
    items = []
    for r in data["rooms"]:
        if not r["flags"]:
            continue
        cats = {c for c, _ in r["factors"]}
        issue = f"{r['room']} ({r['label']}): {', '.join(r['flags'])}"
        if "hardware" in cats:
            hw = "; ".join(t for c, t in r["factors"] if c == "hardware")
            items.append((issue, f"Hardware: {hw}",
                          "Audit the door and lock; prioritise a lock operable from inside "
                          "without a key; until then make sure a key is always at hand and "
                          "practise locking.", "Equipment"))
        if "coverage" in cats:
            cov = "; ".join(t for c, t in r["factors"] if c == "coverage")
            items.append((issue, f"Coverage: {cov}",
                          "Test PA audibility here; add a speaker or a second alert channel "
                          "(radio, app, visual signal) and name who relays the alert.",
                          "Equipment / Planning"))
        if "procedure" in cats or not cats:
            proc = "; ".join(t for c, t in r["factors"] if c == "procedure") or \
                "no building factor found in the plan"
            action = ("Check the lock works and the key is at hand, then re-practise the lock "
                      "step in a calm walk-through." if FLAG_NOT_SECURED in r["flags"] else
                      "Walk through the lockdown steps for this room in a calm, low-stress "
                      "practice; review in the hot wash what slowed it.")
            items.append((issue, f"Procedure: {proc}", action, "Training"))
    if data["not_observed"]:
        items.append((f"{len(data['not_observed'])} rooms without observations",
                      "Observation: not enough observers or sheets not returned",
                      "Assign one observer per zone and collect sheets at the hot wash.",
                      "Planning / Organisation"))
    return items


def build_review_doc(loaded: LoadedScenario, result: BatchResult, data: dict[str, Any],
                     figures: dict[str, bytes]) -> Doc:
    """The after-action report as a Doc (rendered to HTML and PDF)."""
    sc, fp = loaded.scenario, loaded.floorplan
    prov = data["provenance"]
    n, n_obs = data["n_rooms"], data["n_observed"]
    doc = Doc(
        title=f"Lockdown drill after-action report: {sc.name}",
        subtitle=(f"{fp.name} · observer sheet {data['observer_file']} · {n_obs} of {n} rooms "
                  f"observed · compared with {prov['n_runs']} simulated runs"),
        kind="After-action report",
        provenance=provenance_line(prov),
    )
    doc.add(Box("Summary", (Bullets((
        f"Rooms flagged slower than the simulated 90th percentile: "
        f"{', '.join(data['flagged_slow']) or 'none'}.",
        f"Rooms not secured in the drill: {', '.join(data['flagged_not_secured']) or 'none'}.",
        f"Rooms at or better than the simulated median: {len(data['at_or_better_than_median'])}"
        f" of {data['n_secured']} secured rooms.",
        f"Rooms not observed: {', '.join(data['not_observed']) or 'none'}.",
    )),), "warn" if data["flagged_slow"] or data["flagged_not_secured"] else "info"))

    # 1. exercise overview
    doc.add(Heading("1. Exercise overview", 2, "overview"))
    doc.add(Table(("Item", "Detail"), (
        ("Exercise name", sc.name),
        ("Exercise type", "Operations-based exercise: announced lockdown drill"),
        ("Exercise date", ""),
        ("Scope", f"{fp.name}; {n} rooms to secure; drill origin "
                  f"{fp.space(sc.incident.origin)['label']} (abstract location, no threat "
                  "depicted)"),
        ("Mission area / core capability", "Response: on-scene security and protection "
                                           "(lockdown); operational communications (alert)"),
        ("Participating organisations", ""),
        ("Point of contact", ""),
        ("Evaluation data", f"Observer sheet {data['observer_file']} ({n_obs} rooms observed); "
                            f"simulated expectation from {prov['n_runs']} runs (seed "
                            f"{prov['seed']})"),
    ), widths=(1.6, 5.0), key="overview"))

    # 2. objectives and performance
    doc.add(Heading("2. Objectives and capability performance", 2, "objectives"))
    target = data["target_s"]
    within = data["secured_within_target"]
    slow, unsec = data["flagged_slow"], data["flagged_not_secured"]
    rows = (
        ("1. Alert heard in every occupied room",
         f"{data['n_alert_heard']} of {n_obs} observed rooms recorded the alert",
         _rating(data["n_alert_heard"] == n_obs and n_obs > 0, data["n_alert_heard"] > 0,
                 data["n_alert_heard"] == 0)),
        (f"2. All occupied rooms secured within {target:.0f} s (simulated p90 of the last room "
         "secured)",
         f"{within} of {n} rooms secured within {target:.0f} s; {len(unsec)} not secured; "
         f"{len(data['not_observed'])} not observed",
         _rating(within == n, within >= 0.9 * n and not unsec, within == 0)),
        ("3. No room slower than its simulated 90th percentile",
         f"{len(slow)} room(s) slower: {', '.join(slow) or 'none'}",
         _rating(not slow and not unsec, len(slow) + len(unsec) <= max(1, n // 10), False)),
    )
    doc.add(Table(("Objective", "Observed", "Rating"), rows, widths=(2.8, 2.8, 1.7),
                  key="objectives"))
    doc.add(Para("Ratings: P performed without challenges; S with some challenges; M with major "
                 "challenges; U unable to be performed (HSEEP). They rate the plan, the building "
                 "and the practice — not individuals.", "note"))
    last = data["observed_last_secured_s"]
    overall = (f"Observed time to all rooms secured: {fmt_s(data['observed_all_secured_s'])} "
               f"(simulated last room secured: median "
               f"{fmt_s(data['simulated_last_secured_median_s'])}, p90 "
               f"{fmt_s(data['simulated_last_secured_p90_s'])}; the drill sits at the "
               f"{data['all_secured_percentile']:.0f}th percentile)."
               if math.isfinite(data["observed_all_secured_s"]) else
               f"Not every room was observed secured, so there is no observed time to all rooms "
               f"secured; the last observed room secured at {fmt_s(last)} (simulated last room: "
               f"median {fmt_s(data['simulated_last_secured_median_s'])}, p90 "
               f"{fmt_s(data['simulated_last_secured_p90_s'])}).")
    doc.add(Para(overall))
    doc.add(Figure(figures["rooms"], "Each observed room against its simulated distribution: grey "
                   "bar 10th–90th percentile (to the right edge when the room failed to "
                   "secure in more than 10 % of runs), black tick the median, dot the observed "
                   "time (red: slower than p90; green: at or better than the median). Red × at "
                   "the right: not secured in the drill.",
                   "Observed room times against simulated ranges."))
    doc.add(Figure(figures["floorplan"], "Where each room's observed time falls within its "
                   "simulated distribution (percentile; higher is slower). Red outline: flagged "
                   "rooms. 'never': not secured in the drill.",
                   "Floorplan coloured by observed percentile.", landscape=True))

    # 3. strengths
    doc.add(Heading("3. Strengths", 2, "strengths"))
    good = [r for r in data["rooms"] if r["room"] in data["at_or_better_than_median"]]
    strengths = []
    if good:
        strengths.append(f"{len(good)} rooms were secured at or faster than the simulated median: "
                         + ", ".join(r["room"] for r in good) + ".")
    if data["n_alert_heard"] == n_obs and n_obs:
        strengths.append("The alert was recorded as heard in every observed room.")
    if math.isfinite(data["observed_all_secured_s"]) and \
            data["observed_all_secured_s"] <= data["simulated_last_secured_median_s"]:
        strengths.append("All rooms were secured at or faster than the simulated median time to "
                         "the last room secured.")
    doc.add(Bullets(tuple(strengths) or ("No room was secured at or faster than the simulated "
                                         "median; see the areas for improvement.",)))

    # 4. areas for improvement
    doc.add(Heading("4. Areas for improvement", 2, "improvement"))
    flagged = [r for r in data["rooms"] if r["flags"]]
    if flagged:
        doc.add(Para("Rooms slower than the simulated 90th percentile or not secured, with the "
                     "likely contributing factors found in the building plan and the observed "
                     "times. These are starting points for the hot wash, not findings about "
                     "people."))
        doc.add(Table(("Room", "Label", "Observed", "Simulated median / p90", "Percentile",
                       "Flag", "Likely factors (root cause)"),
                      tuple((r["room"], r["label"],
                             "not secured" if r["status"] == "not secured"
                             else f"{fmt_s(r['observed_s'])} ({r['basis']})",
                             f"{fmt_s(r['sim_median_s'])} / {fmt_s(r['sim_p90_s'])}",
                             "—" if math.isnan(r["percentile"]) else f"{r['percentile']:.0f}",
                             "; ".join(r["flags"]),
                             "; ".join(f"{c}: {t}" for c, t in r["factors"]) or
                             "procedure: no building factor found")
                            for r in flagged),
                      widths=(0.7, 1.3, 1.1, 1.2, 0.7, 1.2, 2.6),
                      align=("l", "l", "r", "r", "r", "l", "l"),
                      row_styles=tuple("flag" for _ in flagged), key="flagged",
                      row_keys=tuple(r["room"] for r in flagged), font_size=7.5))
    else:
        doc.add(Para("No room was slower than its simulated 90th percentile and every observed "
                     "room was secured."))
    if data["not_observed"]:
        doc.add(Para(f"Not observed (no times recorded): {', '.join(data['not_observed'])}. "
                     "These rooms are neither flagged nor counted as strengths."))

    # all rooms table
    doc.add(Heading("Room-by-room comparison", 3))
    doc.add(Para("Observed secured time = safe zone reached if recorded, else door locked. It is "
                 "compared with the simulated time to secure (door locked and occupants in the "
                 "safe zone), or with the simulated door-locked time when only the door time was "
                 "recorded. Percentile: share of simulated runs faster than the drill (runs in "
                 "which the room never secured count as slower). A room is flagged when it is "
                 "slower than the simulated p90; for a room that failed to secure in more than "
                 "10 % of runs (p90 'never'), the p90 of the runs in which it did secure is "
                 "used.", "note"))
    rows2, styles = [], []
    for r in data["rooms"]:
        rows2.append((r["room"], r["label"], fmt_s(r["alert_heard_s"]),
                      fmt_s(r["door_locked_s"]), fmt_s(r["safe_zone_s"]),
                      fmt_s(r["sim_median_s"]), fmt_s(r["sim_p90_s"]),
                      "—" if math.isnan(r["percentile"]) else f"{r['percentile']:.0f}",
                      "; ".join(r["flags"]) or r["status"]))
        styles.append("flag" if r["flags"] else
                      "good" if r["room"] in data["at_or_better_than_median"] else "")
    doc.add(Table(("Room", "Label", "Alert heard", "Door locked", "Safe zone", "Sim. median",
                   "Sim. p90", "Pct.", "Result"), tuple(rows2),
                  widths=(0.8, 1.5, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5, 1.6),
                  align=("l", "l", "r", "r", "r", "r", "r", "r", "l"), row_styles=tuple(styles),
                  key="rooms", row_keys=tuple(r["room"] for r in data["rooms"]), font_size=7.5))

    # 5. improvement plan
    doc.add(Heading("5. Improvement plan", 2, "ip"))
    items = improvement_items(data)
    if items:
        doc.add(Table(("Issue / area for improvement", "Root cause", "Corrective action",
                       "Capability element", "Owner", "Start date", "Completion date"),
                      tuple((*it, "", "", "") for it in items),
                      widths=(1.6, 1.8, 2.4, 0.9, 0.8, 0.7, 0.8), key="ip", font_size=7.5,
                      blank_rows=True))
    else:
        doc.add(Para("No corrective action arises from the observations. Keep the practice "
                     "schedule and repeat at a different time of day (lunch, passing period)."))
    doc.add(Fields(("Hot wash held (date, time)", "AAR reviewed by", "Next drill (date)")))

    if data["calibration"]:
        doc.add(*calibration_blocks(data["calibration"], figures.get("calibration")))
    doc.add(about_numbers_box(prov))
    return doc


def calibration_blocks(cal: dict[str, Any], png: bytes | None) -> list:
    """The calibration section of the report."""
    blocks: list = [Heading("6. Calibration of behaviour parameters", 2, "calibration")]
    blocks.append(Para(
        f"Fitted a multiplicative scale on the adult reaction time and on every lock-time "
        f"distribution by matching simulated median room times (median absolute error, robust "
        f"to the few flagged rooms) to the {cal['n_rooms']} observed "
        f"secured rooms ({cal['n_pairs']} observed times; {cal['runs']} runs per evaluation, "
        f"seed {cal['seed']}, common random numbers)."))
    blocks.append(Table(("Parameter", "Scale", "Plausible range (within 10 % of best fit)"), (
        ("behaviour.adult_reaction_s", f"× {cal['reaction_scale']:.2f}",
         f"× {cal['reaction_range'][0]:.2f} – × {cal['reaction_range'][1]:.2f}"),
        ("behaviour.lock_time_s (all hardware)", f"× {cal['lock_scale']:.2f}",
         f"× {cal['lock_range'][0]:.2f} – × {cal['lock_range'][1]:.2f}"),
    ), widths=(2.6, 1.0, 2.8), align=("l", "r", "l"), key="calibration"))
    blocks.append(Para(
        f"Median absolute error between observed and simulated median room times: "
        f"{cal['mae_before_s']:.1f} s before, {cal['mae_after_s']:.1f} s after. The calibrated "
        "scenario is calibrated-scenario.yaml (brief and batch can use it directly)."))
    if png:
        blocks.append(Figure(png, "Fit error over the two scales (darker = closer to the drill); "
                             "the cross marks the best fit. A long dark valley means the two "
                             "scales trade off and a single drill cannot separate them.",
                             "Heat map of calibration error over reaction and lock scales.",
                             width=0.7))
    blocks.append(Box("What one drill can and cannot tell", (Bullets((
        "Reaction and lock time both add to the time before a door is locked; one drill mostly "
        "identifies their sum. The split rests on rooms with different lock hardware.",
        "One drill is one draw: a room's time includes chance. Repeat over several drills (and "
        "times of day) before changing plans on the fit.",
        "Not fitted: alert latencies, lock failure rates, safe-zone and hallway-recovery times, "
        "walking speeds. They stay at their scenario values.",
        "Announced drills are faster than surprises; the calibrated times describe drills.",
    )),), "warn"))
    return blocks


# -- figures --------------------------------------------------------------------------------------
def rooms_figure(data: dict[str, Any], result: BatchResult) -> MplFigure:
    """Observed time of each observed room against its simulated 10–90 % range and median."""
    plan = result.plan
    index = {plan.room_id(m): m for m in range(plan.n_rooms)}
    rooms = [r for r in data["rooms"] if r["status"] != "not observed"]
    rooms.sort(key=lambda r: (r["status"] != "not secured",
                              -(r["percentile"] if not math.isnan(r["percentile"]) else 101)))
    h = max(2.6, 0.24 * len(rooms) + 1.3)
    fig = MplFigure(figsize=(8.6, h), layout="constrained")
    ax = fig.subplots()
    finite_max = 0.0
    for r in rooms:
        m = index[r["room"]]
        for arr in (result.room_locked_s[:, m], result.room_secured_s[:, m]):
            q = quantile(arr, 0.9)
            if math.isfinite(q):
                finite_max = max(finite_max, q)
        if math.isfinite(r["observed_s"]):
            finite_max = max(finite_max, r["observed_s"])
    xmax_guess = finite_max * 1.12 + 10
    for i, r in enumerate(rooms):
        m = index[r["room"]]
        sim = (result.room_locked_s[:, m] if r["basis"] == "door locked"
               else result.room_secured_s[:, m])
        lo, med, hi = quantile(sim, 0.1), quantile(sim, 0.5), quantile(sim, 0.9)
        y = len(rooms) - 1 - i
        if math.isfinite(lo):
            ax.plot([lo, hi if math.isfinite(hi) else xmax_guess], [y, y], color="#bdbdbd",
                    lw=6, solid_capstyle="butt")
        if math.isfinite(med):
            ax.plot([med, med], [y - 0.3, y + 0.3], color="black", lw=1.4)
    xmax = xmax_guess
    for i, r in enumerate(rooms):
        y = len(rooms) - 1 - i
        if r["status"] == "not secured":
            ax.plot(xmax * 0.97, y, marker="X", color="#c62828", ms=9)
            continue
        colour = ("#c62828" if r["flags"] else
                  "#2e7d32" if r["room"] in data["at_or_better_than_median"] else "#1565c0")
        ax.plot(r["observed_s"], y, marker="o", color=colour, ms=7, mec="white", zorder=5)
    ax.set_yticks(range(len(rooms)))
    ax.set_yticklabels([r["room"] for r in reversed(rooms)], fontsize=7.5)
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.7, len(rooms) - 0.3)
    ax.set_xlabel("seconds since the drill announcement")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Observed room times against the simulated range", fontsize=10, loc="left")
    return mark_sensitive(fig, f"seed {data['provenance']['seed']}")


def percentile_floorplan_figure(loaded: LoadedScenario, data: dict[str, Any]) -> MplFigure:
    """Floorplan coloured by each room's observed percentile; flagged rooms outlined."""
    from drillsim.floorplan import draw_floorplan

    values = {}
    for r in data["rooms"]:
        if r["status"] == "not secured":
            values[r["room"]] = math.inf
        elif r["status"] == "secured":
            values[r["room"]] = r["percentile"]
    highlight = {r["room"]: "#c62828" for r in data["rooms"] if r["flags"]}
    fig = draw_floorplan(loaded.floorplan, values=values, cmap="RdYlGn_r",
                         value_label="observed percentile of simulated times",
                         highlight=highlight,
                         title=f"{loaded.floorplan.name}: drill compared with simulation")
    mark_sensitive(fig, f"seed {data['provenance']['seed']}")
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0.045, 1, 0.955))
    return fig


# -- writing --------------------------------------------------------------------------------------
def write_rooms_csv(path: Path, data: dict[str, Any]) -> None:
    """review_rooms.csv: one row per room with placement and flags."""
    def num(x: float) -> str:
        return "" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.3f}")

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["room", "label", "status", "observed_secured_s", "basis", "sim_median_s",
                    "sim_p90_s", "percentile", "slower_than_p90", "not_secured", "factors"])
        for r in data["rooms"]:
            w.writerow([r["room"], r["label"], r["status"], num(r["observed_s"]), r["basis"],
                        num(r["sim_median_s"]), num(r["sim_p90_s"]), num(r["percentile"]),
                        int(FLAG_SLOW in r["flags"]), int(FLAG_NOT_SECURED in r["flags"]),
                        "; ".join(f"{c}: {t}" for c, t in r["factors"])])


def write_review(loaded: LoadedScenario, result: BatchResult, data: dict[str, Any], out: Path,
                 calibration: Any = None, final_out: Path | None = None) -> list[Path]:
    """Write review.html, review.pdf, review_rooms.csv, review.json, figures (and calibration).

    ``out`` is the staging folder; ``final_out`` the ``--out`` folder it becomes (for the
    calibrated scenario's relative floorplan path).
    """
    figs = {"rooms": rooms_figure(data, result),
            "floorplan": percentile_floorplan_figure(loaded, data)}
    if calibration is not None:
        from drillsim.reports.calibrate import calibration_figure

        figs["calibration"] = calibration_figure(calibration)
    pngs = {k: figure_png(f, dpi=140 if k == "floorplan" else 110) for k, f in figs.items()}
    doc = build_review_doc(loaded, result, data, pngs)
    paths = []
    p = out / "review.html"
    p.write_text(render_html(doc, "review.html.j2"), encoding="utf-8")
    paths.append(p)
    p = out / "review.pdf"
    p.write_bytes(render_pdf(doc))
    paths.append(p)
    p = out / "review_rooms.csv"
    write_rooms_csv(p, data)
    paths.append(p)
    p = out / "review.json"
    write_json(p, data)
    paths.append(p)
    if calibration is not None:
        from drillsim.reports.calibrate import write_calibration

        paths.extend(write_calibration(loaded, calibration, out, final_out))
    (out / "figures").mkdir(exist_ok=True)
    for name, png in pngs.items():
        p = out / "figures" / f"review_{name}.png"
        p.write_bytes(png)
        paths.append(p)
    return paths


def summary_lines(data: dict[str, Any]) -> list[str]:
    """What the CLI prints after writing: the flags and the fit."""
    lines = [f"slower than simulated p90: {', '.join(data['flagged_slow']) or 'none'}",
             f"not secured in drill: {', '.join(data['flagged_not_secured']) or 'none'}"]
    if data["not_observed"]:
        lines.append(f"not observed: {', '.join(data['not_observed'])}")
    cal = data.get("calibration")
    if cal:
        lines.append(f"calibration: reaction × {cal['reaction_scale']:.2f}, lock time × "
                     f"{cal['lock_scale']:.2f}; median abs. error {cal['mae_before_s']:.1f} s → "
                     f"{cal['mae_after_s']:.1f} s over {cal['n_rooms']} rooms")
    return lines
