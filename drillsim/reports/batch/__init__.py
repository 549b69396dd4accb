"""Files a batch writes: the per-run table, a per-room table, a JSON summary and three figures.

Everything written here is deterministic: the same :class:`~drillsim.run.BatchResult` always gives
the same bytes (no timestamps in Parquet, sorted JSON, PNGs saved without the software tag), so a
re-run can be checked with a plain file diff. The caller stages the folder
(:func:`drillsim.reports.staging.staged_output`); these writers only fill it.

The data flow: :mod:`.tables` (``runs.parquet``, ``runs.csv``, ``rooms.csv``, ``summary.json``),
then one module per figure (:mod:`.secured_distribution`, :mod:`.unsecured_band`,
:mod:`.room_ranges`), all drawn with the conventions of :mod:`drillsim.reports.charts`;
:mod:`.write` writes them all. The chart helpers are re-exported here for
:mod:`drillsim.reports.compare`.
"""

from drillsim.reports.batch.room_ranges import RISK_SHARE, figure_room_ranges
from drillsim.reports.batch.secured_distribution import figure_secured_distribution
from drillsim.reports.batch.tables import room_table, summary_dict, write_runs, write_runs_csv
from drillsim.reports.batch.unsecured_band import figure_unsecured_band
from drillsim.reports.batch.write import write_batch_outputs, write_figures
from drillsim.reports.charts import (
    BAND_COLOUR,
    DPI,
    FOOTER_COLOUR,
    FOOTER_IN,
    MEDIAN_COLOUR,
    METRIC_LABELS,
    NEVER_COLOUR,
    NEVER_TEXT_COLOUR,
    ORIGIN_COLOUR,
    P90_COLOUR,
    RISK_COLOUR,
    SUBTITLE_LINE_IN,
    TITLE_IN,
    TITLE_LINE_IN,
    add_footer,
    ecdf,
    footer_text,
    format_seconds,
    format_value,
    metric_label,
    new_figure,
    save_figure,
)
from drillsim.reports.figures import PNG_METADATA
from drillsim.reports.staging import write_csv

__all__ = [
    "BAND_COLOUR",
    "DPI",
    "FOOTER_COLOUR",
    "FOOTER_IN",
    "MEDIAN_COLOUR",
    "METRIC_LABELS",
    "NEVER_COLOUR",
    "NEVER_TEXT_COLOUR",
    "ORIGIN_COLOUR",
    "P90_COLOUR",
    "PNG_METADATA",
    "RISK_COLOUR",
    "RISK_SHARE",
    "SUBTITLE_LINE_IN",
    "TITLE_IN",
    "TITLE_LINE_IN",
    "add_footer",
    "ecdf",
    "figure_room_ranges",
    "figure_secured_distribution",
    "figure_unsecured_band",
    "footer_text",
    "format_seconds",
    "format_value",
    "metric_label",
    "new_figure",
    "room_table",
    "save_figure",
    "summary_dict",
    "write_batch_outputs",
    "write_csv",
    "write_figures",
    "write_runs",
    "write_runs_csv",
]
