"""File commands: validate, draw and convert floorplans and scenarios."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import click

from drillsim.cli.common import SafePath, friendly, nonempty_path
from drillsim.cli.lazy import compile_plan, load_floorplan, load_scenario, save_floorplan
from drillsim.errors import DrillsimError, Problem, ValidationError

FLOORPLAN_SUFFIXES = (".yaml", ".yml", ".graphml", ".json")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


_SCENARIO_KEY = re.compile(r"^[\"']?(protocol|floorplan)[\"']?\s*:", re.MULTILINE)


def _is_scenario(path: Path) -> bool:
    """A YAML file with a ``protocol`` or ``floorplan`` key is a scenario; else a floorplan."""
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    from drillsim.floorplan.read import read_text_file

    text, _ = read_text_file(path, str(path))
    # a top-level key, without parsing the file twice (floorplans can be large)
    return text is not None and _SCENARIO_KEY.search(text) is not None


@click.command()
@click.argument("file", type=SafePath(dir_okay=False))
@friendly
def validate(file: str) -> None:
    """Check a floorplan or scenario FILE and report every problem at once."""
    path = Path(file)
    if _is_scenario(path):
        loaded = load_scenario(path)
        plan = compile_plan(loaded)
        movers = int(plan.mover.size)
        head = (
            f"ok: scenario '{loaded.scenario.name}' ({plan.protocol}, {plan.mode}) on "
            f"'{loaded.floorplan.name}': {plan.n_persons} people, "
        )
        if plan.protocol == "evacuate":
            ev = loaded.scenario.evacuation
            used = len({int(e) for e in plan.person_exit if e >= 0})
            names = [*ev.blocked, *(f"{x} from {t:g} s" for x, t in ev.blocked_from.items())]
            blocked = f", blocked: {', '.join(names)}" if names else ""
            click.echo(
                head + f"routing {ev.routing}, {used} exits in use{blocked}, "
                f"{int(plan.person_rerouted.sum())} people rerouted around blocked spaces"
                + (" (more when the later blockages start)" if ev.blocked_from else "")
                + ", "
                f"{plan.evac_net.n_servers} flow-limited legs on the routes, "
                f"{int((plan.assist_helper >= 0).sum())} waiting in an area of refuge for help"
                + _assembly_note(plan)
            )
            return
        click.echo(
            head + f"{plan.n_rooms} rooms to secure, {movers} people outside a staffed room at t0"
        )
        _lockdown_warnings(loaded.floorplan)
        _refuge_warnings(loaded, plan)
        return
    fp = load_floorplan(path)
    kinds = [fp.space(s)["kind"] for s in fp.spaces]
    no_pa = [s for s in fp.spaces if not fp.space(s)["pa"] and fp.space(s)["kind"] != "exit"]
    click.echo(
        f"ok: floorplan '{fp.name}': {len(kinds)} spaces on {len(fp.floors)} floor(s), "
        f"{fp.graph.number_of_edges()} connections, {kinds.count('classroom')} classrooms, "
        f"{kinds.count('exit')} exits, {len(no_pa)} spaces outside PA coverage"
        + (
            f", {len(fp.assembly_areas)} assembly areas ({', '.join(fp.assembly_areas)}) joined "
            f"by {len(fp.walkways())} walkways"
            if fp.assembly_areas
            else ""
        )
    )
    _lockdown_warnings(fp)


def _assembly_note(plan) -> str:
    """``, assembly: AS-1 412 people, ...`` and the roster count, for an evacuation."""
    parts = []
    if plan.assembly_ids:
        spaces = plan.space_assembly[plan.person_space]
        parts.append(
            "assembly: "
            + ", ".join(f"{a} {int((spaces == i).sum())} people"
                        for i, a in enumerate(plan.assembly_ids))
        )
    roster = sum(1 for p in plan.person_id if p)
    if roster:
        parts.append(f"{roster} people from the roster")
    return "".join(f"; {x}" for x in parts)


def _refuge_warnings(loaded, plan) -> None:
    """Refuge-plan rooms nobody staffs at the start: nobody admits people or locks, so skipped."""
    staffed = {plan.room_id(m) for m in range(plan.n_rooms)}
    for start, entries in loaded.scenario.lockdown.refuges.items():
        for i, e in enumerate(entries):
            room = e if isinstance(e, str) else e.room
            if room not in staffed:
                click.echo(
                    f"warning: {loaded.source}: lockdown.refuges.{start}[{i}]: room '{room}' has "
                    "no adult at the start, so nobody admits people or locks it; the plan skips "
                    "it -> fix: add an adult there (population.groups) or choose a staffed room",
                    err=True,
                )


def _lockdown_warnings(fp) -> None:
    """Rooms meant to be secured that never can be, and audited door conditions (to stderr)."""
    from drillsim.floorplan.audit import door_findings

    for f in door_findings(fp):
        click.echo(
            f"warning: {fp.source}: connection '{f.door}': {f.message} -> fix: {f.fix}", err=True
        )


def _atomic_figure(fig, out: Path) -> None:
    """Save ``fig`` to ``out`` via a temporary file renamed over it (never a half-written file).

    The figure gets the usual permissions of a new file (0666 minus the umask), not mkstemp's
    private 0600, like every other file drillsim writes.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        fig.savefig(tmp, dpi=150, metadata={"Software": None} if out.suffix == ".png" else None)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@click.command()
@click.argument("floorplan", type=SafePath(dir_okay=False))
@click.option(
    "--out",
    "-o",
    "out",
    required=True,
    type=SafePath(dir_okay=False),
    callback=nonempty_path,
    help="Figure file to write (.png, .pdf or .svg); its folder is created if missing.",
)
@click.option("--title", default=None, help="Figure title (default: the floorplan name).")
@friendly
def draw(floorplan: str, out: str, title: str | None) -> None:
    """Draw FLOORPLAN (or a scenario's floorplan): spaces by kind, door locks, exits, PA gaps."""
    from drillsim.floorplan import draw_floorplan

    path, target = Path(floorplan), Path(out)
    if target.suffix.lower() not in FIGURE_SUFFIXES:
        raise DrillsimError(f"--out {out}: use a .png, .pdf or .svg file name")
    fp = load_scenario(path).floorplan if _is_scenario(path) else load_floorplan(path)
    folder = target.resolve().parent
    if folder.exists() and not folder.is_dir():
        raise DrillsimError(f"--out {out}: {folder} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)  # as run and batch do with --out
    fig = draw_floorplan(fp, title=title)
    _atomic_figure(fig, target)
    click.echo(f"wrote {target}")


@click.command()
@click.argument("source", type=SafePath(dir_okay=False))
@click.argument("target", type=SafePath(dir_okay=False))
@friendly
def convert(source: str, target: str) -> None:
    """Convert a floorplan between YAML, GraphML and NetworkX node-link JSON (by file suffix)."""
    if Path(target).suffix.lower() not in FLOORPLAN_SUFFIXES:
        raise ValidationError(
            [
                Problem(
                    target,
                    "(file name)",
                    "unknown floorplan format",
                    "end the name with .yaml, .graphml or .json",
                )
            ]
        )
    fp = load_floorplan(Path(source))
    save_floorplan(fp, Path(target))
    click.echo(f"wrote {target}")


COMMANDS = [validate, draw, convert]
