"""Read and validate a filled Hold, Secure, Shelter or options observer sheet (issue 9).

Same conventions as the lockdown sheet (:mod:`.observed`): times in seconds since the drill
announcement (``m:ss`` accepted), blank = not observed / did not happen, every problem reported
at once with file, row, column and fix. The options sheet's ``decision`` column takes ``left`` or
``locked``. A room's own action (door closed or locked, left, in the shelter area) must be at or
after the row's ``alert_heard_s``; other moments (a hall already clear, a group coming in, an
exterior door locked by other staff) may come first.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

from drillsim.errors import Problem, ValidationError
from drillsim.plan.compile import Plan
from drillsim.reports.review.observed import MAX_SHEET_BYTES, parse_time, room_row_problem
from drillsim.reports.review.protocol_measures import MEASURES
from drillsim.reports.staging import unneutralise

DECISIONS = {"left": 1.0, "leave": 1.0, "locked": 0.0, "lock": 0.0}


@dataclass
class ProtocolRow:
    """One room's row: values by measure column (nan = blank), observer and notes."""

    room: str
    row: int
    values: dict[str, float]
    observer: str = ""
    notes: str = ""

    @property
    def observed(self) -> bool:
        return any(not math.isnan(v) for v in self.values.values())


@dataclass
class ProtocolSheet:
    """A validated observer sheet of one protocol."""

    path: str
    protocol: str
    rows: list[ProtocolRow] = field(default_factory=list)

    def by_room(self) -> dict[str, ProtocolRow]:
        return {r.room: r for r in self.rows}


def _fail(file: str, element: str, message: str, fix: str) -> ValidationError:
    return ValidationError([Problem(file, element, message, fix)])


def read_protocol_sheet(path: Path, plan: Plan) -> ProtocolSheet:
    """Read ``path`` as the observer sheet of ``plan.protocol``.

    Raises
    ------
    ValidationError
        Listing every problem: missing file or columns, unknown or duplicate rooms, values that
        are not times (or not left/locked), negative times, times before the alert.
    """
    file = str(path)
    measures = MEASURES[plan.protocol]
    cols = [m.column for m in measures]
    rooms = [plan.room_id(m) for m in range(plan.n_rooms)]
    from drillsim.floorplan.read import decode_text

    try:
        if Path(path).stat().st_size > MAX_SHEET_BYTES:
            raise _fail(
                file,
                "(file)",
                f"the sheet is larger than {MAX_SHEET_BYTES // 2**20} MB",
                "give the filled observer_sheet.csv (one row per room)",
            )
        text, bad = decode_text(Path(path).read_bytes(), file)
        if text is None:
            raise ValidationError(bad)
    except (FileNotFoundError, IsADirectoryError):
        raise _fail(file, "(file)", "file not found", "give the path of the filled sheet") from None
    except OSError as err:
        raise _fail(file, "(file)", f"cannot be read ({err.strerror})", "check the path") from None
    if not text.strip():
        raise _fail(
            file,
            "(file)",
            "the file is empty",
            "fill in observer_sheet.csv written by drillsim brief (header plus one row per room)",
        )
    try:
        return _parse(file, text, plan, measures, cols, rooms)
    except csv.Error as err:
        raise _fail(
            file,
            "(file)",
            f"not a readable CSV file ({err})",
            "save the sheet as CSV with commas between cells and quotes around notes that "
            "contain commas",
        ) from None


def _parse(file: str, text: str, plan: Plan, measures, cols: list[str], rooms: list[str]):
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader)]
    missing = [c for c in ("room", *cols) if c not in header]
    if missing:
        spare = [h for h in header if h not in ("room", *cols)]  # only unused names as hints
        close = {c: difflib.get_close_matches(c, spare, n=1) for c in missing}
        hints = [f"'{close[c][0]}' → '{c}'" for c in missing if close[c]]
        raise _fail(
            file,
            "header",
            f"missing column(s) of the {plan.protocol} sheet: {', '.join(missing)}",
            "use the header of the observer_sheet.csv drillsim brief wrote for this scenario: "
            + ",".join(("room", "label", "observer", *cols, "notes"))
            + (f" (rename {'; '.join(hints)})" if hints else ""),
        )
    idx = {name: header.index(name) for name in header if name}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    out = ProtocolSheet(file, plan.protocol)
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = idx.get(name)
            return unneutralise(cells[i].strip()) if i is not None and i < len(cells) else ""

        room = cell("room")
        where = f"row {line_no} (room '{room}')"
        bad = room_row_problem(file, line_no, room, rooms, seen, what="a room on this sheet")
        if bad is not None:
            problems.append(bad)
            continue
        values: dict[str, float] = {}
        for m in measures:
            raw = cell(m.column)
            if m.kind == "decision":
                if raw and raw.lower() not in DECISIONS:
                    problems.append(
                        Problem(
                            file,
                            f"{where}.{m.column}",
                            f"'{raw}' is not a decision",
                            "write 'left' or 'locked', or leave it blank",
                        )
                    )
                    continue
                values[m.column] = DECISIONS[raw.lower()] if raw else math.nan
                continue
            try:
                value = parse_time(raw)
            except ValueError:
                problems.append(
                    Problem(
                        file,
                        f"{where}.{m.column}",
                        f"'{raw}' is not a time",
                        "write seconds since the announcement (e.g. 75) or m:ss (1:15), or "
                        "leave it blank",
                    )
                )
                continue
            if value < 0:
                problems.append(
                    Problem(
                        file,
                        f"{where}.{m.column}",
                        f"negative time {raw}",
                        "times count from the drill announcement (0 s)",
                    )
                )
                continue
            values[m.column] = value
        heard = values.get("alert_heard_s", math.nan)
        for m in measures:
            v = values.get(m.column, math.nan)
            if m.after_alert and v < heard:
                problems.append(
                    Problem(
                        file,
                        f"{where}.{m.column}",
                        f"{m.column} {v:g} s is before alert_heard_s {heard:g} s",
                        "every time must be at or after the alert was heard; check the stopwatch",
                    )
                )
        out.rows.append(
            ProtocolRow(
                room,
                line_no,
                {m.column: values.get(m.column, math.nan) for m in measures},
                cell("observer"),
                cell("notes"),
            )
        )
    if not seen and not problems:
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
