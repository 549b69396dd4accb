"""Errors raised at the input boundary.

Every problem names the file, the element and the fix, and all problems in a file are collected and
reported together, so a user fixes a broken file in one pass instead of one traceback at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file.

    Parameters
    ----------
    file : str
        Path of the file (or ``"<memory>"`` for data built in Python).
    element : str
        Where in the file, e.g. ``"spaces[3] (id 'C101').kind"`` or ``"connections 'D7'"``.
    message : str
        What is wrong, echoing the offending value.
    fix : str
        What the user should do about it.
    """

    file: str
    element: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}: {self.element}: {self.message}"
        if self.fix:
            text += f" -> fix: {self.fix}"
        return text


class DrillsimError(Exception):
    """Root of drillsim's own errors; the CLI prints these without a traceback."""


class ValidationError(DrillsimError):
    """One or more problems with an input file.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; never empty.
    """

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("ValidationError needs at least one Problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProblemList:
    """Collects problems for one file; raise them all at once with :meth:`raise_if_any`."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, element: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.file, element, message, fix))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)
