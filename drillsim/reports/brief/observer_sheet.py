"""The observer sheet: printable in the briefing, and the CSV template ``drillsim review`` reads."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from drillsim.reports.brief.protocols import PROFILES
from drillsim.reports.pdf import Bullets, Heading, Para, Table
from drillsim.reports.staging import safe_row

#: Columns of the observer CSV template that ``drillsim review`` reads back.
OBSERVER_COLUMNS = (
    "room",
    "label",
    "observer",
    "alert_heard_s",
    "door_locked_s",
    "lights_off_s",
    "safe_zone_s",
    "notes",
)


#: Evacuation drills record different moments.
EVAC_OBSERVER_COLUMNS = (
    "room",
    "label",
    "observer",
    "alert_heard_s",
    "left_room_s",
    "assembly_reached_s",
    "accounted_s",
    "notes",
)


def observer_columns(protocol: str) -> tuple[str, ...]:
    """CSV columns of the observer sheet for ``protocol``."""
    if protocol in PROFILES:
        return ("room", "label", "observer", *PROFILES[protocol].observer_columns, "notes")
    return OBSERVER_COLUMNS if protocol == "lockdown" else EVAC_OBSERVER_COLUMNS


def observer_rows(stats: dict[str, Any]) -> list[dict[str, str]]:
    """Rows of the observer sheet, grouped by zone then room id."""
    return [
        {"room": r["room"], "label": r["label"], "zone": r["zone"]}
        for r in sorted(stats["rooms"], key=lambda r: (r["zone"], r["room"]))
    ]


def observer_sheet_blocks(stats: dict[str, Any], protocol: str) -> list:
    """The printable observer sheet (one row per room with blanks)."""
    rows = observer_rows(stats)
    if protocol == "lockdown":
        cols = (
            "Room",
            "Label",
            "Observer",
            "Alert heard",
            "Door locked",
            "Lights off",
            "Safe zone",
            "Notes",
        )
        what = (
            "times in seconds (or m:ss) since the start of the drill announcement; leave a "
            "box blank if it did not happen. Door locked blank = not secured."
        )
    elif protocol in PROFILES:  # Hold, Secure, Shelter, options (issue 9)
        cols = ("Room", "Label", "Observer", *PROFILES[protocol].observer_headers, "Notes")
        what = "times in seconds (or m:ss) since the start of the drill announcement."
        if protocol == "options":
            what += " Left / locked: write 'left' or 'locked'."
    else:
        cols = ("Room", "Label", "Observer", "Alert heard", "Left room", "At assembly", "Notes")
        what = "times in seconds (or m:ss) since the start of the drill announcement."
    return [
        Heading("Observer sheet", 2, "observer-sheet"),
        Para(
            f"One row per room; {what} Same columns as observer_sheet.csv — type the times "
            "into it after the drill and run drillsim review. Record no student names."
        ),
        Table(
            cols,
            tuple((r["room"], r["label"], *([""] * (len(cols) - 2))) for r in rows),
            widths=(0.8, 1.6, 1.1, 0.8, 0.8, 0.8, 0.8, 1.6)[: len(cols)],
            key="observer",
            row_keys=tuple(r["room"] for r in rows),
            blank_rows=True,
            font_size=8,
        ),
        Bullets(
            (
                "Alert clearly heard and understood in every space?",
                "Hallways, restrooms and open areas cleared?",
                "Rooms could contact the office?",
                'End of drill clearly announced ("This was a drill")?',
            ),
            checkbox=True,
        ),
    ]


def write_observer_csv(path: Path, stats: dict[str, Any], protocol: str) -> None:
    """The observer CSV template (header plus one row per room, times blank)."""
    cols = OBSERVER_COLUMNS if protocol == "lockdown" else EVAC_OBSERVER_COLUMNS
    if protocol in PROFILES:
        cols = observer_columns(protocol)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(safe_row(cols))
        for r in observer_rows(stats):  # labels neutralised: observers open this in a spreadsheet
            w.writerow(safe_row([r["room"], r["label"], *([""] * (len(cols) - 2))]))
