"""One problem type for every loader and importer.

Loaders never stop at the first problem: they collect every `Problem` they find
and raise `ProblemsFound` once, so a user can fix a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

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
        where = f"{self.location}: {self.path}" if self.path else self.location
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]


class ProblemsFound(Exception):
    """Raised by a loader or importer when any problem is an error."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]
