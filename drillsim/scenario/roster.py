"""Individuals from a roster: ids (never names), where they are, their role and what they need.

A roster is a CSV the school keeps (``population.roster``, relative to the scenario file) or the
same records inline (``population.people``). Columns:

=========== ======== ==========================================================================
column      required meaning
=========== ======== ==========================================================================
``id``      yes      the person's id (letters, digits, ``_ . -``), e.g. a student number;
                     never a name
``space``   yes      space id where they are at t0
``role``    yes      ``student``, ``teacher`` or ``staff``
``group``   no       name of an ``evacuation.groups`` entry: their own pre-movement / speeds
``mobility`` no      ``walking`` (default), ``wheelchair`` or ``no_stairs``
``helper``  no       roster id of the adult who comes back for them (required for
                     ``wheelchair`` / ``no_stairs``)
=========== ======== ==========================================================================

The file is checked at the boundary like an observer sheet: size, encoding, CSV syntax, columns
(a column that holds names, e.g. ``name``, is refused: rosters hold ids only), then every row
(formula-like cells, ids, duplicate ids, unknown spaces with a did-you-mean, roles, mobility). Every
problem names the file, the row and column, and the fix.
"""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path
from typing import Literal

from pydantic import Field

from drillsim.errors import Problem
from drillsim.scenario.base import _Model

ROSTER_COLUMNS = ("id", "space", "role", "group", "mobility", "helper")
REQUIRED_COLUMNS = ("id", "space", "role")
ROLES = ("student", "teacher", "staff")
MOBILITY = ("walking", "wheelchair", "no_stairs")
#: Largest roster file read (a 5,000-student school is about 200 kB).
MAX_ROSTER_BYTES = 20 * 2**20
#: Most rows (the scenario's people limit).
MAX_ROSTER_ROWS = 50_000
#: Header words that mean the column holds people's names (refused: rosters hold ids only).
NAME_WORDS = (
    "name", "names", "first", "last", "firstname", "lastname", "first_name", "last_name",
    "surname", "given", "givenname", "given_name", "family_name", "fullname", "full_name",
    "student_name", "teacher_name", "preferred_name", "nickname", "dob", "birthdate",
    "date_of_birth", "email", "phone", "address",
)  # fmt: skip
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
#: First characters of a cell a spreadsheet would evaluate as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RosterPerson(_Model):
    """One person of the roster (an id, never a name)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$", max_length=64, description="roster id")
    space: str = Field(description="space id where they are at t0")
    role: Literal["student", "teacher", "staff"]
    group: str | None = Field(None, description="evacuation.groups entry (by name)")
    mobility: Literal["walking", "wheelchair", "no_stairs"] = "walking"
    helper: str | None = Field(None, description="roster id of the adult who comes back")
    row: int | None = Field(None, description="CSV row, for messages (set by the reader)")


def read_roster_csv(path: Path, field: str = "population.roster") -> tuple[list[dict], list[Problem]]:
    """Roster records (dicts for :class:`RosterPerson`) from a CSV, and the problems found.

    Only the file's own shape is checked here (file, encoding, columns, cells); ids are checked
    against the floorplan by :func:`check_roster`.
    """
    from drillsim.floorplan.read import decode_text

    file = str(path)

    def fail(element: str, message: str, fix: str) -> tuple[list[dict], list[Problem]]:
        return [], [Problem(file, element, message, fix)]

    p = Path(path)
    try:
        if p.stat().st_size > MAX_ROSTER_BYTES:
            return fail("(file)", f"the roster is larger than {MAX_ROSTER_BYTES // 2**20} MB",
                        "give one row per person: id, space, role")
        text, bad = decode_text(p.read_bytes(), file)
    except (FileNotFoundError, NotADirectoryError):
        return fail(field, "roster CSV not found", "give its path relative to the scenario file")
    except IsADirectoryError:
        return fail(field, "the roster path is a folder", "name the roster CSV file itself")
    except OSError as err:
        return fail("(file)", f"cannot be read ({err.strerror})", "check the path")
    if text is None:
        return [], bad
    if not text.strip():
        return fail("(file)", "the roster is empty", "write a header row: id,space,role "
                    "(optional: group,mobility,helper) and one row per person")
    try:
        return _parse(file, text)
    except csv.Error as err:
        return fail("(file)", f"not a readable CSV file ({err})",
                    "save the roster as CSV with commas between cells")


def _header_problems(file: str, header: list[str]) -> list[Problem]:
    out: list[Problem] = []
    for i, name in enumerate(header):
        el = f"header column {i + 1}"
        if name in header[:i]:
            out.append(Problem(file, el, f"column '{name}' appears twice",
                               "keep one column of each name"))
        elif name in NAME_WORDS or name.endswith("_name") or name.startswith("name"):
            out.append(
                Problem(
                    file,
                    el,
                    f"column '{name}' looks like it holds people's names; rosters hold ids only",
                    "delete the column (and every name) from the file; identify people by an id "
                    "such as a student number, e.g. S-0042",
                )
            )
        elif name not in ROSTER_COLUMNS:
            close = difflib.get_close_matches(name, ROSTER_COLUMNS, n=1)
            out.append(
                Problem(
                    file,
                    el,
                    f"unknown column '{name}'",
                    (f"rename it to '{close[0]}'" if close else "remove it")
                    + f" (columns: {', '.join(ROSTER_COLUMNS)})",
                )
            )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        out.append(
            Problem(
                file,
                "header",
                f"missing required column(s): {', '.join(missing)}",
                "start the file with the header id,space,role (optional: group,mobility,helper)",
            )
        )
    return out


def _parse(file: str, text: str) -> tuple[list[dict], list[Problem]]:
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader)]
    problems = _header_problems(file, header)
    if problems:
        return [], problems
    col = {name: i for i, name in enumerate(header)}
    people: list[dict] = []
    first_row: dict[str, int] = {}
    n_rows = 0
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        n_rows += 1
        if n_rows > MAX_ROSTER_ROWS:
            problems.append(Problem(file, f"row {n}", f"more than {MAX_ROSTER_ROWS:,} people",
                                    "give one roster per school"))
            break
        if len(cells) > len(header):
            problems.append(
                Problem(file, f"row {n}", f"{len(cells)} cells but the header has {len(header)}",
                        "remove the extra commas")
            )
            continue
        raw = {name: (cells[i].strip() if i < len(cells) else "") for name, i in col.items()}
        # an id cell that is not an id (maybe a name) is never echoed back
        shown = raw.get("id", "") if _ID.fullmatch(raw.get("id", "")) else ""
        where = f"row {n}" + (f" (id '{shown}')" if shown else "")
        bad = False
        for name, value in raw.items():
            if value.startswith(FORMULA_START):
                problems.append(
                    Problem(
                        file,
                        f"{where}.{name}",
                        "the cell starts like a spreadsheet formula (=, +, -, @)",
                        "write the plain value (a roster holds ids, space ids and words, never "
                        "formulas)",
                    )
                )
                bad = True
        if bad:
            continue
        rec: dict = {"row": n}
        pid = raw.get("id", "")
        if not pid:
            problems.append(Problem(file, f"{where}.id", "id is empty",
                                    "give every person an id, e.g. S-0042"))
            continue
        if not _ID.fullmatch(pid):
            problems.append(
                Problem(
                    file,
                    f"{where}.id",
                    "the cell is not an id (letters, digits, '_', '.', '-', at most 64; the "
                    "value is not repeated here)"
                    + ("; it looks like a name" if " " in pid or "," in pid else ""),
                    "rosters hold ids only, never names: use a student or staff number, "
                    "e.g. S-0042",
                )
            )
            continue
        if pid in first_row:
            problems.append(
                Problem(file, f"{where}.id", f"id '{pid}' already given in row {first_row[pid]}",
                        "give every person one row with a unique id")
            )
            bad = True  # the rest of the row is still checked
        first_row.setdefault(pid, n)
        rec["id"] = pid
        for name in ("space",):
            if not raw.get(name):
                problems.append(Problem(file, f"{where}.{name}", f"{name} is empty",
                                        "write the space id where the person is at t0"))
                bad = True
            rec[name] = raw.get(name, "")
        role = raw.get("role", "").lower()
        if role not in ROLES:
            close = difflib.get_close_matches(role, ROLES, n=1)
            problems.append(
                Problem(
                    file,
                    f"{where}.role",
                    f"role '{raw.get('role', '')}' is not one of {', '.join(ROLES)}",
                    f"did you mean '{close[0]}'?" if close else f"use {', '.join(ROLES)}",
                )
            )
            bad = True
        rec["role"] = role
        mob = raw.get("mobility", "").lower().replace("-", "_").replace(" ", "_") or "walking"
        if mob not in MOBILITY:
            close = difflib.get_close_matches(mob, MOBILITY, n=1)
            problems.append(
                Problem(
                    file,
                    f"{where}.mobility",
                    f"mobility '{raw.get('mobility')}' is not one of {', '.join(MOBILITY)}",
                    f"did you mean '{close[0]}'?" if close else
                    f"use {', '.join(MOBILITY)} (blank = walking)",
                )
            )
            bad = True
        rec["mobility"] = mob
        for name in ("group", "helper"):
            if raw.get(name):
                rec[name] = raw[name]
        if not bad:
            people.append(rec)
    if n_rows == 0:
        problems.append(Problem(file, "(rows)", "the roster has a header but no people",
                                "add one row per person: id,space,role"))
    return people, problems


_LOOKALIKE = str.maketrans({"O": "0", "L": "1", "I": "1"})


def _lookalike(sid: str, spaces: list[str]) -> str | None:
    """The space id a typed id means when they differ only in case or O/0, l/1 slips."""
    for norm in (str.upper, lambda s: s.upper().translate(_LOOKALIKE)):
        hits = [s for s in spaces if norm(s) == norm(sid)]
        if hits:
            return hits[0]
    return None


def check_roster(
    people: list[RosterPerson], fp, group_names: list[str], where, unknown
) -> list[Problem]:
    """Cross-check roster people against the floorplan, the named groups and each other.

    ``where(i)`` gives ``(file, element)`` of person ``i``; ``unknown(file, element, sid)`` the
    did-you-mean problem of a space id not in the floorplan.
    """
    out: list[Problem] = []
    by_id = {p.id: p for p in people}
    seen: dict[str, int] = {}
    areas = set(fp.assembly_areas)
    helped_space: dict[str, str] = {}
    for i, p in enumerate(people):
        f, el = where(i)
        if p.id in seen:
            out.append(Problem(f, f"{el}.id", f"id '{p.id}' is given twice",
                               "give every person a unique id"))
        seen[p.id] = i
        if p.space in areas:
            out.append(Problem(f, f"{el}.space", f"'{p.space}' is an assembly area; people never "
                               "start there", "write the space where the person is at t0"))
        elif p.space not in fp.graph:
            close = _lookalike(p.space, list(fp.spaces))
            out.append(
                Problem(f, f"{el}.space", f"space '{p.space}' is not in floorplan '{fp.name}'",
                        f"did you mean '{close}'?")
                if close
                else unknown(f, f"{el}.space", p.space)
            )
        if p.group is not None and p.group not in group_names:
            close = difflib.get_close_matches(p.group, group_names, n=1)
            out.append(
                Problem(
                    f,
                    f"{el}.group",
                    f"no evacuation group named '{p.group}'",
                    (f"did you mean '{close[0]}'? " if close else "")
                    + "name an evacuation.groups entry (give it name: ...)"
                    + (f"; named groups: {', '.join(group_names)}" if group_names else ""),
                )
            )
        needs = p.mobility in ("wheelchair", "no_stairs")
        if needs and p.role != "student":
            out.append(Problem(f, f"{el}.mobility", f"assisted evacuation ({p.mobility}) is "
                               "modelled for students", "set role: student, or leave mobility "
                               "blank for an adult"))
        if p.helper is not None and not needs:
            out.append(Problem(f, f"{el}.helper", "a helper is only read for mobility "
                               "wheelchair or no_stairs", "set mobility or remove the helper"))
        elif needs and p.helper is None:
            out.append(Problem(f, f"{el}.helper", f"a {p.mobility} user needs a named helper",
                               "write the roster id of the adult (teacher or staff) who comes "
                               "back for them"))
        elif needs and p.helper is not None:
            h = by_id.get(p.helper)
            if h is None:
                close = difflib.get_close_matches(p.helper, list(by_id), n=1)
                out.append(Problem(f, f"{el}.helper", f"helper '{p.helper}' is not in the roster",
                                   (f"did you mean '{close[0]}'? " if close else "")
                                   + "list the helper as a teacher or staff row and use its id"))
            elif h.role == "student":
                out.append(Problem(f, f"{el}.helper", f"helper '{p.helper}' is a student",
                                   "name a teacher or staff member"))
            elif helped_space.setdefault(p.helper, p.space) != p.space:
                out.append(Problem(f, f"{el}.helper", f"'{p.helper}' already helps people of "
                                   f"'{helped_space[p.helper]}'; one adult makes one trip",
                                   "name a different helper for each class"))
    return out
