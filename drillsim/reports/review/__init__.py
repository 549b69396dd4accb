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

The data flow: :mod:`.observed` (read and validate the sheet), :mod:`.placement` (each room in
its simulated distribution, flags, factors), :mod:`.analysis` (the whole review as plain values),
:mod:`.figures`, :mod:`.document` (the Doc) and :mod:`.write` (the files).
"""

from drillsim.reports.review.analysis import (
    build_review,
    improvement_items,
    objective_target_s,
    summary_lines,
)
from drillsim.reports.review.document import build_review_doc, calibration_blocks
from drillsim.reports.review.figures import percentile_floorplan_figure, rooms_figure
from drillsim.reports.review.observed import (
    REQUIRED_COLUMNS,
    TIME_COLUMNS,
    Observation,
    ObservedDrill,
    parse_time,
    read_observed,
    refuse_unsupported,
    suggest_room,
)
from drillsim.reports.review.placement import (
    FLAG_NOT_SECURED,
    FLAG_SLOW,
    percentile_of,
    place_rooms,
)
from drillsim.reports.review.write import write_review, write_rooms_csv

__all__ = [
    "FLAG_NOT_SECURED",
    "FLAG_SLOW",
    "REQUIRED_COLUMNS",
    "TIME_COLUMNS",
    "Observation",
    "ObservedDrill",
    "build_review",
    "build_review_doc",
    "calibration_blocks",
    "improvement_items",
    "objective_target_s",
    "parse_time",
    "percentile_floorplan_figure",
    "percentile_of",
    "place_rooms",
    "read_observed",
    "refuse_unsupported",
    "rooms_figure",
    "suggest_room",
    "summary_lines",
    "write_review",
    "write_rooms_csv",
]
