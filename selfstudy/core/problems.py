"""One problem type and one report for every loader and importer.

Loaders never stop at the first problem: they collect every `Problem` they find
in a `Report` and raise `ProblemsFound` once, so a user can fix a file in one
pass. Every code a problem can carry is listed in `problem_codes.CODES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from selfstudy.core.printable import printable

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """A problem found in an input, with where it is and how to fix it.

    `code` is a stable kebab-case name (tests and tools match on it, never on
    wording); `location` is `file:line` or a sheet cell such as
    `'1. Program Goals'!D7`; `path` is the key path inside the file, if any.
    """

    code: str
    location: str
    message: str
    path: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        """One line: a line break or control character from the input shows as `\\x1f`."""
        where = f"{self.location}: {self.path}" if self.path else self.location
        prefix = "warning: " if self.severity == "warning" else ""
        line = f"{where}: {prefix}{self.message}"
        return printable(line)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def clip(text: str, width: int) -> str:
    """`text` cut to at most `width` characters, ending in `…` when it was cut: the one way
    a value from the input, or any long text, is cut short for a message or a screen."""
    return text if len(text) <= width else text[: width - 1] + "…"


def quoted(value: Any, width: int = 60) -> str:
    """A value from the input as a message quotes it: its `repr`, cut short with `…`."""
    return clip(repr(value), width)


class Report(list[Problem]):
    """Every problem found in one input, in the order found.

    A plain list of problems otherwise, so it compares equal to one
    (`report == []` when nothing was found).
    """

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self)

    def codes(self) -> list[str]:
        return [p.code for p in self]

    def flatten(self, fields: Iterable[str]) -> list[list[Any]]:
        """The named attributes of every problem: `flatten(["code", "location"])`."""
        names = list(fields)
        return [[getattr(p, name) for name in names] for p in self]

    def raise_if_errors(self) -> None:
        """Raise `ProblemsFound` with the whole report when any problem is an error."""
        if self.has_errors:
            raise ProblemsFound(self)

    def in_file(self, source: str) -> Report:
        """The same problems with each location prefixed by `source: ` (once)."""
        return Report(
            p if p.location.startswith(source) else replace(p, location=f"{source}: {p.location}")
            for p in self
        )


class ProblemsFound(Exception):
    """Raised by a loader or importer when any problem is an error."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = Report(problems)
        super().__init__(self.report())

    def report(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def codes(self) -> list[str]:
        return self.problems.codes()
