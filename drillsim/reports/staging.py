"""Write an output folder all at once, or not at all.

Every command stages its files in a hidden temporary folder next to ``--out`` and moves them into
place only when everything has been written, so a failed or interrupted run never leaves
half-written files. Nothing is written anywhere else. The JSON and CSV writers here are
deterministic: the same data always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from drillsim.errors import DrillsimError


@contextmanager
def staged_output(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder inside ``out_dir``; on success move its files into ``out_dir``.

    The staging folder is hidden inside ``out_dir`` so that nothing is ever written outside the
    folder the user named. On failure it is removed, and so is ``out_dir`` itself if this call
    created it. Existing files of the same name are replaced; other files are left alone.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DrillsimError(f"--out {out} exists and is not a folder; choose a folder path")
    # the top-most folder this call creates (if any), so a failure can remove it again
    created = None
    for folder in [out, *out.parents]:
        if folder.exists():
            if not folder.is_dir():
                raise DrillsimError(f"--out: {folder} is a file, not a folder")
            break
        created = folder
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DrillsimError(f"--out: cannot create {out}: {err.strerror}") from None
    tmp = Path(tempfile.mkdtemp(prefix=".drillsim-tmp-", dir=out))
    ok = False
    try:
        yield tmp
        for item in sorted(tmp.rglob("*")):
            if item.is_file():
                dest = out / item.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
        ok = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not ok and created is not None:
            shutil.rmtree(created, ignore_errors=True)


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


def _csv_value(v: object) -> object:
    """CSV cell: floats in shortest round-trip form, ``inf`` as "inf", nan as empty."""
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
    """Deterministic CSV (``\\n`` line ends, floats as shortest round-trip text)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_csv_value(v) for v in row])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
