"""``drillsim import imdf|dxf``: turn indoor-map data or a CAD drawing into a floorplan YAML."""

from __future__ import annotations

from pathlib import Path

import click

from drillsim.cli.common import friendly, out_option
from drillsim.cli.lazy import staged_output

LOCKS = ["none", "thumbturn", "key_inside", "key_outside", "auto_locking", "central"]
lock_option = click.option(
    "--default-lock",
    type=click.Choice(LOCKS),
    default="thumbturn",
    show_default=True,
    help="Lock guessed for doors of securable rooms (the source does not say; reported).",
)
snap_option = click.option(
    "--snap-m",
    type=click.FloatRange(min=0.01, max=5.0),
    default=0.5,
    show_default=True,
    help="A door/opening within this many metres of a room touches it (walls are thick).",
)


@click.group("import")
def import_group() -> None:
    """Make a floorplan YAML from a school's IMDF venue or DXF drawing.

    Writes floorplan.yaml and import-report.txt (every value that had to be guessed: lock
    hardware, class sizes, PA coverage, ...) into --out. The YAML passes `drillsim validate`;
    check the guesses before relying on results.
    """


def _finish(result, out: str) -> None:
    from drillsim.imports import write_import

    with staged_output(out) as tmp:
        paths = write_import(result, tmp)
    fp = result.floorplan
    click.echo(f"wrote {len(paths)} files to {out}/: " + ", ".join(p.name for p in paths))
    click.echo(
        f"ok: floorplan '{fp.name}': {fp.graph.number_of_nodes()} spaces, "
        f"{fp.graph.number_of_edges()} connections, {len(result.guesses)} kinds of "
        "guessed values (see import-report.txt)"
    )


@import_group.command("imdf")
@click.argument("venue", type=click.Path())
@out_option
@lock_option
@snap_option
@friendly
def imdf(venue: str, out: str, default_lock: str, snap_m: float) -> None:
    """Import VENUE, an IMDF archive (folder or .zip of venue/level/unit/opening/amenity GeoJSON)."""
    from drillsim.imports.imdf import import_imdf

    _finish(import_imdf(Path(venue), default_lock=default_lock, snap_m=snap_m), out)


@import_group.command("dxf")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--rooms-layer", required=True, help="Layer of the closed room outlines.")
@click.option("--doors-layer", required=True, help="Layer of the door blocks or door lines.")
@click.option(
    "--labels-layer",
    default=None,
    help="Only texts on this layer name rooms (default: texts on any layer).",
)
@click.option(
    "--units",
    type=click.Choice(["m", "cm", "mm", "in", "ft"]),
    default=None,
    help="Drawing units (default: the file's $INSUNITS).",
)
@click.option("--name", default=None, help="School name (default: from the file name).")
@out_option
@lock_option
@snap_option
@friendly
def dxf(
    plan: str,
    rooms_layer: str,
    doors_layer: str,
    labels_layer: str | None,
    units: str | None,
    name: str | None,
    out: str,
    default_lock: str,
    snap_m: float,
) -> None:
    """Import PLAN, one storey of a CAD drawing in DXF."""
    from drillsim.imports.dxf import import_dxf

    result = import_dxf(
        Path(plan),
        rooms_layer=rooms_layer,
        doors_layer=doors_layer,
        labels_layer=labels_layer,
        units=units,
        name=name,
        default_lock=default_lock,
        snap_m=snap_m,
    )
    _finish(result, out)


COMMANDS = [import_group]
