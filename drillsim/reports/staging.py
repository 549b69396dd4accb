"""Write an output folder all at once, or not at all, with deterministic, spreadsheet-safe files.

Every command stages its files in a hidden temporary folder inside ``--out`` and moves them into
place only when everything has been written (see :mod:`drillsim.reports.outdir`), so a failed or
interrupted run never leaves half-written files. Nothing is written anywhere else. The JSON and
CSV writers here are deterministic: the same data always gives the same bytes.

CSV text cells are neutralised against formula injection (OWASP "CSV Injection"): a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return, a line feed or NUL gets a
leading ``'``, so a spreadsheet shows it as text instead of evaluating it; carriage returns in
text become line feeds, and the ``csv`` module quotes cells holding separators, quotes or line
feeds, so no cell can start in the middle of another. Numbers (and
number-like text such as ``-1.5`` or ``-inf``) are written unchanged and stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import numpy as np

from drillsim.reports.outdir import output_folder


@contextmanager
def staged_output(
    out_dir: str | os.PathLike,
    command: str | None = None,
    *,
    inputs: dict | None = None,
    options: dict | None = None,
    force: bool = False,
) -> Iterator[Path]:
    """Yield a hidden staging folder inside ``out_dir``; on success move its files into place.

    Applies the ``--out`` policy of :mod:`drillsim.reports.outdir` (a foreign non-empty folder
    is refused unless ``force``), writes the manifest and moves everything all or nothing. On
    failure ``out_dir`` is left as it was, and removed again if this call created it.

    ``command`` defaults to the running click command's name (``"python"`` outside the CLI).
    """
    ctx = click.get_current_context(silent=True)
    if command is None:
        command = ctx.info_name if ctx is not None and ctx.info_name else "python"
    hint = ctx is not None and any(p.name == "force" for p in ctx.command.params)
    with (
        output_folder(
            out_dir, command, inputs=inputs, options=options, force=force, force_hint=hint
        ) as folder,
        folder.staged() as tmp,
    ):
        yield tmp


def _clean(value: Any) -> Any:
    """JSON has no inf/nan: write inf as the string "inf" ("never"), nan as null."""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return None
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


def write_json(path: Path, data: Any) -> None:
    """Deterministic JSON (sorted keys, inf as "inf") so the same run writes the same bytes."""
    path.write_text(json.dumps(_clean(data), indent=2, sort_keys=True) + "\n", encoding="utf-8")


#: First characters that make a spreadsheet evaluate a cell (OWASP CSV Injection; ASVS 1.2.10
#: adds NUL), and a line feed (a cell may start with one after CR normalisation).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates.

    A carriage return becomes a line feed (the ``csv`` module quotes cells holding a line feed
    but not a lone CR, which a spreadsheet may read as a row break, starting a new cell mid-text);
    then a leading ``'`` is added if the cell starts like a formula (``= + - @``, tab, CR, LF),
    unless it is a plain number such as ``-1.5``.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return "'" + text  # so that unneutralise gives it back unchanged
    return text


def unneutralise(text: str) -> str:
    """Undo :func:`spreadsheet_safe` on a cell read back (a sheet drillsim wrote, refilled)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def safe_row(row: Sequence[object]) -> list[object]:
    """A row with every text cell passed through :func:`spreadsheet_safe`."""
    return [spreadsheet_safe(v) if isinstance(v, str) else v for v in row]


def _csv_value(v: object) -> object:
    """CSV cell: floats in shortest round-trip form, ``inf`` as "inf", nan as empty, text
    neutralised (:func:`spreadsheet_safe`)."""
    if isinstance(v, str):
        return spreadsheet_safe(v)
    if isinstance(v, float | np.floating):
        v = float(v)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Deterministic, spreadsheet-safe CSV (``\\n`` line ends, floats as shortest round-trip
    text, formula-like text neutralised)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(safe_row(header))
    for row in rows:
        w.writerow([_csv_value(v) for v in row])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
