"""Read and validate a filled observer sheet (every problem reported at once).

Conventions: times are seconds since the drill announcement (``m:ss`` also accepted); a blank cell
is "not observed / did not happen". A room whose ``door_locked_s`` is blank (with some other time
recorded) was *not secured in the drill*; a row with no time at all was *not observed*. A room's
observed secured time is ``safe_zone_s`` if recorded, else ``door_locked_s``.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from drillsim.errors import DrillsimError, Problem, ValidationError
from drillsim.plan.compile import Plan, compile_plan
from drillsim.reports.brief.observer_sheet import OBSERVER_COLUMNS
from drillsim.reports.staging import unneutralise
from drillsim.scenario.load import LoadedScenario

TIME_COLUMNS = ("alert_heard_s", "door_locked_s", "lights_off_s", "safe_zone_s")


REQUIRED_COLUMNS = ("room", *TIME_COLUMNS)


_MMSS = re.compile(r"^(\d{1,6}):([0-5]?\d(?:\.\d*)?)$")
#: Latest time a sheet may record: a day after the announcement (a drill lasts minutes).
MAX_TIME_S = 86_400.0
#: Largest observer sheet read: one row per room of the largest floorplan fits in a few MB.
MAX_SHEET_BYTES = 20 * 2**20


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
        """The observations keyed by room id."""
        return {o.room: o for o in self.rows}


def parse_time(text: str) -> float:
    """Seconds from "75", "75.5" or "1:15"; nan for blank.

    Raises ValueError for anything else, including times beyond ``MAX_TIME_S`` (a day) and
    non-finite numbers ("nan", "inf").
    """
    t = text.strip()
    if not t:
        return math.nan
    m = _MMSS.match(t)
    if m:
        value = 60.0 * int(m.group(1)) + float(m.group(2))
    else:
        if len(t) > 40:
            raise ValueError(t[:40])
        value = float(t)  # ValueError for text
    if not math.isfinite(value) or abs(value) > MAX_TIME_S:
        raise ValueError(t)
    return value


_LOOKALIKE = str.maketrans({"O": "0", "L": "1", "I": "1"})


def room_row_problem(
    file: str,
    line_no: int,
    room: str,
    rooms: list[str],
    seen: dict[str, int],
    what: str = "a room to secure in this scenario",
    labels: dict[str, str] | None = None,
) -> Problem | None:
    """The problem with an observer-sheet row's room cell (empty, unknown, repeated), or None.

    Shared by every protocol's sheet reader; a good row is recorded in ``seen`` (room -> row).
    ``labels`` maps case-folded labels to ids, so a label written for an id gets the id as fix.
    """
    where = f"row {line_no} (room '{room}')"
    if not room:
        return Problem(
            file, f"row {line_no}.room", "room is empty", "write the room id from the observer sheet"
        )
    if room not in rooms:
        by_label = (labels or {}).get(" ".join(room.split()).casefold())
        close = suggest_room(room, rooms)
        fix = (
            f"'{room}' is the label of room '{by_label}'; write its id: {by_label}"
            if by_label
            else f"did you mean '{close}'?"
            if close
            else "use a room id from observer_sheet.csv"
        )
        return Problem(file, f"{where}.room", f"'{room}' is not {what}", fix)
    if room in seen:
        return Problem(
            file,
            f"{where}.room",
            f"room '{room}' already given in row {seen[room]}",
            "keep one row per room (merge the two observations)",
        )
    seen[room] = line_no
    return None


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
    from drillsim.floorplan.read import decode_text

    try:
        if Path(path).stat().st_size > MAX_SHEET_BYTES:
            raise ValidationError(
                [
                    Problem(
                        file,
                        "(file)",
                        f"the sheet is larger than {MAX_SHEET_BYTES // 2**20} MB",
                        "give the filled observer_sheet.csv (one row per room)",
                    )
                ]
            )
        text, bad = decode_text(Path(path).read_bytes(), file)
        if text is None:
            raise ValidationError(bad)
    except (FileNotFoundError, IsADirectoryError):
        raise ValidationError(
            [
                Problem(
                    file,
                    "(file)",
                    "file not found",
                    "give the path of the filled observer_sheet.csv",
                )
            ]
        ) from None
    except OSError as err:
        raise ValidationError(
            [Problem(file, "(file)", f"cannot be read ({err.strerror})", "check the path")]
        ) from None
    if not text.strip():
        raise ValidationError(
            [
                Problem(
                    file,
                    "(file)",
                    "the file is empty",
                    "fill in observer_sheet.csv written by drillsim brief "
                    "(header plus one row per room)",
                )
            ]
        )
    try:
        labels = {" ".join(str(loaded.floorplan.space(r)["label"]).split()).casefold(): r
                  for r in rooms}
        return _parse_sheet(file, text, rooms, labels)
    except csv.Error as err:
        raise ValidationError(
            [
                Problem(
                    file,
                    "(file)",
                    f"not a readable CSV file ({err})",
                    "save the sheet as CSV with commas between cells and quotes around notes "
                    "that contain commas",
                )
            ]
        ) from None


def _parse_sheet(
    file: str, text: str, rooms: list[str], labels: dict[str, str] | None = None
) -> ObservedDrill:
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader)]
    known = OBSERVER_COLUMNS
    header_problems = []
    for i, name in enumerate(header):
        if name in header[:i]:
            header_problems.append(
                Problem(file, f"header column {i + 1}", f"column '{name}' appears twice",
                        "keep one column of each name")
            )
        elif name not in known and (name or i < len(header) - 1):
            close = difflib.get_close_matches(name, known, n=1)
            header_problems.append(
                Problem(
                    file,
                    f"header column {i + 1}",
                    f"unknown column '{name}'",
                    (f"rename it to '{close[0]}'" if close else "remove it")
                    + " (columns: " + ",".join(OBSERVER_COLUMNS) + ")",
                )
            )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        close = {c: difflib.get_close_matches(c, header, n=1) for c in missing}
        hints = [f"'{close[c][0]}' → '{c}'" for c in missing if close[c]]
        raise ValidationError(
            [
                Problem(
                    file,
                    "header",
                    f"missing required column(s): {', '.join(missing)}",
                    "use the header of observer_sheet.csv: "
                    + ",".join(OBSERVER_COLUMNS)
                    + (f" (rename {'; '.join(hints)})" if hints else ""),
                ),
                *header_problems,
            ]
        )
    if header_problems:
        raise ValidationError(header_problems)
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
            # unneutralise: a sheet edited as text keeps the "'" drillsim put before "-A1"
            return unneutralise(cells[i].strip()) if i is not None and i < len(cells) else ""

        room = cell("room")
        where = f"row {line_no} (room '{room}')"
        if len(cells) > len(header):
            problems.append(
                Problem(
                    file,
                    f"row {line_no}",
                    f"{len(cells)} cells but the header has {len(header)}",
                    "remove extra commas (quote notes that contain commas)",
                )
            )
        bad = room_row_problem(file, line_no, room, rooms, seen, labels=labels)
        if bad is not None:
            problems.append(bad)
            continue
        times: dict[str, float] = {}
        for name in TIME_COLUMNS:
            raw = cell(name)
            try:
                value = parse_time(raw)
            except ValueError:
                problems.append(
                    Problem(
                        file,
                        f"{where}.{name}",
                        f"'{raw[:40]}' is not a time of at most {MAX_TIME_S:,.0f} s",
                        "write seconds since the announcement (e.g. 75) or "
                        "m:ss (1:15), or leave it blank",
                    )
                )
                continue
            if value < 0:
                problems.append(
                    Problem(
                        file,
                        f"{where}.{name}",
                        f"negative time {raw}",
                        "times count from the drill announcement (0 s)",
                    )
                )
                continue
            times[name] = value
        order = [
            (n, times[n])
            for n in ("alert_heard_s", "door_locked_s", "safe_zone_s")
            if n in times and not math.isnan(times[n])
        ]
        for (a, ta), (b, tb) in zip(order[:-1], order[1:], strict=True):
            if tb < ta:
                problems.append(
                    Problem(
                        file,
                        f"{where}.{b}",
                        f"{b} {tb:g} s is before {a} {ta:g} s",
                        "times must be in order: alert heard ≤ door locked ≤ "
                        "safe zone; check the stopwatch readings",
                    )
                )
        out.rows.append(
            Observation(
                room=room,
                row=line_no,
                observer=cell("observer"),
                notes=cell("notes"),
                **{n: times.get(n, math.nan) for n in TIME_COLUMNS},
            )
        )
    if n_rows == 0:
        problems.append(
            Problem(
                file,
                "(rows)",
                "the sheet has a header but no room rows",
                "one row per room, as in observer_sheet.csv",
            )
        )
    if problems:
        raise ValidationError(problems)
    return out


def refuse_unsupported(loaded: LoadedScenario) -> None:
    """``review`` compares lockdown drills; say so clearly for other protocols."""
    if loaded.scenario.protocol == "evacuate":
        raise DrillsimError(
            f"--calibrate fits lockdown timings; '{loaded.scenario.name}' is an evacuation "
            "scenario. Run drillsim review without --calibrate to place each class's observed "
            "times in the simulated ranges."
        )
    if loaded.scenario.protocol != "lockdown":
        raise DrillsimError(
            f"review compares lockdown and evacuation drills; '{loaded.scenario.name}' is a "
            f"{loaded.scenario.protocol} scenario."
        )
