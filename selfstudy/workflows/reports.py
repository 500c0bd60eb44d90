"""Reports of one self-study: which earlier round it is compared with, and how that is scored.

The Results page and `selfstudy report` both show the change since a program's
previous round; both score that round with the rubric it names. A team study's
reports also show how much its raters agreed (`team_figures`), from nothing but
what the reader may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rounds import compare_rounds, previous_round, same_program
from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import Result, score
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import rubric_of

if TYPE_CHECKING:
    from selfstudy.core.agreement import TeamAgreement
    from selfstudy.edges.storage import Storage

Previous = tuple[SelfStudy, Result]


def scored(study: SelfStudy, rubric: Rubric | None = None) -> Previous:
    """A study with its result, by `rubric` (default: the one it names)."""
    return study, score(rubric or rubric_of(study), study)


def previous_among(study: SelfStudy, others: Iterable[SelfStudy]) -> Previous | None:
    """The program's latest earlier round among `others`, scored; None when there is none."""
    earlier = previous_round(study, list(others))
    return None if earlier is None else scored(earlier)


@dataclass(frozen=True)
class TeamFigures:
    """What a report of a stored study shows of its team: `team` False for a single study
    (the report is as it always was), `agreement` None until the consensus step opens."""

    team: bool = False
    agreement: TeamAgreement | None = None


def team_figures(storage: Storage, rubric: Rubric, study_id: str) -> TeamFigures:
    """The team's agreement for the reports of `study_id`, as the storage's actor may see it.

    Only once the lead opens the consensus step, when every reader of the study may see
    every rater's sheet: the agreement comes from `workflows.teams.consensus`, which reads
    only the sheets the actor may see, so a report never holds a rating its reader could
    not see on the consensus page. Before then a report holds no rater's ratings at all, not
    even the reader's own (a report is passed on), and says when they will be compared.
    """
    from selfstudy.workflows.teams import consensus

    team = storage.team(study_id)
    if team is None:
        return TeamFigures()
    if not team.is_open:
        return TeamFigures(team=True)
    return TeamFigures(team=True, agreement=consensus(storage, rubric, study_id).agreement)


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
