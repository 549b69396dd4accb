"""The drill briefing pack: what an SRO and a drill lead need before a drill, from a batch of runs.

One :class:`~drillsim.reports.pdf.Doc` is built from a :class:`~drillsim.run.BatchResult` and
rendered twice, to a self-contained HTML page (``briefing.html``) and to a PDF
(``briefing.pdf``). The pack holds: the floorplan with each room's expected time to secure and the
alert-coverage gaps; rooms at risk of never securing and why; hallway spaces where people may be
locked out; the expected timeline; the SRO's route to the drill origin and the door-check sweep;
the pre-drill agenda from trauma-informed drill guidance (roles, observers, announcement wording
that says it is a drill, notice status, accommodations, distress plan, keys for responders); an
observer sheet, printable and as a CSV template (``observer_sheet.csv``) that ``drillsim review``
reads back.

The threat appears only as an abstract "drill origin"; no individual student data is used.

The data flow: :mod:`.stats` (the numbers), :mod:`.figures` (matplotlib figures),
:mod:`.agenda` and :mod:`.observer_sheet` (fixed sections), :mod:`.document` (the Doc) and
:mod:`.write` (the files). Helpers shared with the after-action report (formatting, HTML
rendering, PNG bytes) are re-exported here from :mod:`drillsim.reports.wording`,
:mod:`drillsim.reports.render` and :mod:`drillsim.reports.figures`.
"""

from drillsim.reports.brief.agenda import DEBRIEF_MIN, agenda_blocks, drill_framing_box
from drillsim.reports.brief.document import build_briefing_doc
from drillsim.reports.brief.figures import (
    ORIGIN_COLOUR,
    POST_COLOUR,
    SWEEP_COLOUR,
    WOM_COLOUR,
    alert_floorplan_figure,
    routes_figure,
    secured_floorplan_figure,
    timeline_figure,
)
from drillsim.reports.brief.observer_sheet import (
    EVAC_OBSERVER_COLUMNS,
    OBSERVER_COLUMNS,
    observer_rows,
    observer_sheet_blocks,
    write_observer_csv,
)
from drillsim.reports.brief.stats import (
    HALLWAY_KINDS,
    briefing_stats,
    expected_duration_min,
    room_zones,
    route_weight,
    sro_route,
    word_of_mouth_share,
)
from drillsim.reports.brief.write import write_briefing
from drillsim.reports.figures import figure_png
from drillsim.reports.locks import LOCK_WORDS
from drillsim.reports.render import data_uri, render_html
from drillsim.reports.wording import about_numbers_box, fmt_m, fmt_pct, fmt_s, provenance_line

__all__ = [
    "DEBRIEF_MIN",
    "EVAC_OBSERVER_COLUMNS",
    "HALLWAY_KINDS",
    "LOCK_WORDS",
    "OBSERVER_COLUMNS",
    "ORIGIN_COLOUR",
    "POST_COLOUR",
    "SWEEP_COLOUR",
    "WOM_COLOUR",
    "about_numbers_box",
    "agenda_blocks",
    "alert_floorplan_figure",
    "briefing_stats",
    "build_briefing_doc",
    "data_uri",
    "drill_framing_box",
    "expected_duration_min",
    "figure_png",
    "fmt_m",
    "fmt_pct",
    "fmt_s",
    "observer_rows",
    "observer_sheet_blocks",
    "provenance_line",
    "render_html",
    "room_zones",
    "route_weight",
    "routes_figure",
    "secured_floorplan_figure",
    "sro_route",
    "timeline_figure",
    "word_of_mouth_share",
    "write_briefing",
    "write_observer_csv",
]
