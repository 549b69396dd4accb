"""Importers: a school's indoor-map data (IMDF) or CAD drawing (DXF) → a drillsim floorplan.

Each importer reads its format into areas and passages in metres (:mod:`.imdf`, :mod:`.dxf`);
:func:`~drillsim.imports.common.assemble` turns those into a validated floorplan and a report of
every value it had to guess (lock hardware, class sizes, PA coverage, ...), which the planner
fills in before trusting a result. :func:`write_import` writes the YAML and the report.
"""

from __future__ import annotations

from pathlib import Path

from drillsim.imports.common import ImportResult


def write_import(result: ImportResult, out: Path, stem: str = "floorplan") -> list[Path]:
    """Write ``{stem}.yaml`` and ``import-report.txt`` into ``out`` (the staging folder)."""
    yaml_path = out / f"{stem}.yaml"
    yaml_path.write_text(result.yaml_text(), encoding="utf-8")
    report = out / "import-report.txt"
    report.write_text(result.report_text(), encoding="utf-8")
    return [yaml_path, report]


__all__ = ["ImportResult", "write_import"]
