"""Reports of one self-study: which earlier round it is compared with, and how that is scored.

The Results page and `selfstudy report` both show the change since a program's
previous round; both score that round with the rubric it names.
"""

from __future__ import annotations

from collections.abc import Iterable

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rounds import compare_rounds, previous_round, same_program
from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import Result, score
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import rubric_of

Previous = tuple[SelfStudy, Result]


def scored(study: SelfStudy, rubric: Rubric | None = None) -> Previous:
    """A study with its result, by `rubric` (default: the one it names)."""
    return study, score(rubric or rubric_of(study), study)


def previous_among(study: SelfStudy, others: Iterable[SelfStudy]) -> Previous | None:
    """The program's latest earlier round among `others`, scored; None when there is none."""
    earlier = previous_round(study, list(others))
    return None if earlier is None else scored(earlier)


def check_previous(study: SelfStudy, earlier: SelfStudy, source: str, study_source: str) -> Report:
    """Whether `earlier` (read from `source`) can be shown as the previous round of `study`.

    Another rubric is an error (raised); another program or a later round is a warning.
    """
    if earlier.rubric.id != study.rubric.id:
        raise ProblemsFound(
            [
                Problem(
                    "rubric-mismatch",
                    source,
                    f"the previous round uses rubric {earlier.rubric.id!r} and {study_source} "
                    f"uses {study.rubric.id!r}; compare rounds of the same rubric",
                    "rubric.id",
                )
            ]
        )
    if not same_program(study, earlier):
        return Report(
            [
                Problem(
                    "other-program",
                    source,
                    f"{earlier.program.name!r} may be a different program from "
                    f"{study.program.name!r}",
                    severity="warning",
                )
            ]
        )
    if compare_rounds(earlier, study) > 0:
        return Report(
            [
                Problem(
                    "later-round",
                    source,
                    f"this looks like a later round than {study_source}",
                    severity="warning",
                )
            ]
        )
    return Report()
