"""Comparing a network's self-studies: which studies a rubric can compare, and the comparison.

The app's Cohorts page and `selfstudy cohort` go through these functions, so
the same studies are left out for the same reasons and the same filters,
pseudonyms, rounds and completeness threshold apply on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from selfstudy.core.cohorts import (
    DEFAULT_MIN_COMPLETE,
    CohortScores,
    Comparison,
    LeftOut,
    compare,
    counted,
    duplicate_studies,
    score_studies,
    threshold_text,
)
from selfstudy.core.cohorts.columns import StudyColumns, comparable_columns, score_columns
from selfstudy.core.problems import Problem, Report
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import SelfStudy, check_study
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.settings import pseudonym_secret, pseudonym_secret_is_set

if TYPE_CHECKING:
    from selfstudy.edges.storage import Storage

Labelled = tuple[str, SelfStudy]  # (where the study came from, the study)


class CohortChoiceError(ValueError):
    """A filter, grouping or round that none of the studies has; the message says which exist.

    `choice` names what was chosen (`by`, `cohorts and rounds`, `baseline`, `follow-up`,
    `min-complete`), so each face can name its own control or option. `left_out` holds the
    studies the completeness threshold left out when lowering it would help, so a face
    can say how (in its own words: an option, a slider) and still list them.
    """

    def __init__(self, choice: str, message: str, left_out: LeftOut | None = None):
        super().__init__(message)
        self.choice = choice
        self.left_out = left_out


def comparable(studies: Iterable[Labelled], rubric: Rubric) -> tuple[list[Labelled], Report]:
    """The studies whose answers `rubric` allows, and every problem of every study.

    A study with an error is left out; one with only warnings (another version
    of the rubric, say) is kept.
    """
    kept: list[Labelled] = []
    problems = Report()
    for source, study in studies:
        found = check_study(study, rubric, source)
        problems += found
        if not found.has_errors:
            kept.append((source, study))
    return kept, problems


def rubric_and_studies(
    studies: Sequence[Labelled], rubric_id: str
) -> tuple[Rubric, list[Labelled]]:
    """The studies of the rubric `rubric_id`, and that rubric (the version the first names)."""
    chosen = [(source, s) for source, s in studies if s.rubric.id == rubric_id]
    version = chosen[0][1].rubric.version if chosen else None
    return rubric_by_id(rubric_id, version), chosen


def scores_of(rubric: Rubric, studies: Sequence[Labelled]) -> tuple[CohortScores, Report]:
    """Every study scored at once, with a warning for each study a later one replaces.

    A program with two studies of the same round counts once, with the later one.
    """
    scores = score_studies(rubric, [study for _, study in studies])
    return scores, _repeated_rounds(scores, [label for label, _ in studies])


def _repeated_rounds(scores: CohortScores, labels: Sequence[str]) -> Report:
    return Report(
        Problem(
            "repeated-round",
            labels[position],
            f"another input holds the {row['round']!r} round of program {row['key']!r} too; "
            "the later one is used",
            severity="warning",
        )
        for position, row in duplicate_studies(scores.programs).iterrows()
    )


@dataclass(frozen=True)
class StoredScores:
    """The stored studies of one rubric, scored: what the Cohorts page and
    `selfstudy cohort --from-db` compare."""

    scores: CohortScores
    rubric: Rubric
    problems: Report  # why studies were left out, and repeated rounds
    left_out: int  # studies with answers the rubric does not allow
    not_chosen: int = 0  # team self-studies (or single ones) the team choice left out


# Which stored self-studies a comparison counts, by how they were rated (`--teams`).
TEAM_CHOICES = {
    "every": "every self-study",
    "agreed-or-single": "single-rater self-studies, and team self-studies that reached consensus",
    "agreed": "only team self-studies that reached consensus",
}


def stored_columns(
    storage: Storage, rubric_id: str, teams: str = "every"
) -> tuple[StudyColumns, int]:
    """The stored studies of `rubric_id` the storage's actor may compare, read in bulk as
    columns, kept as `teams` chooses (`TEAM_CHOICES`: a team self-study still rating holds
    no consensus yet); and how many that choice left out."""
    if teams not in TEAM_CHOICES:
        raise CohortChoiceError("teams", f"choose one of {', '.join(TEAM_CHOICES)}")
    columns = storage.study_columns(rubric_id)
    if teams == "every" or not len(columns):
        return columns, 0
    summaries = storage.team_summaries()
    agreed = {study_id for study_id, team in summaries.items() if team.agreed}
    keep = np.array(
        [
            label in agreed or (teams == "agreed-or-single" and label not in summaries)
            for label in columns.labels
        ],
        dtype=bool,
    )
    return columns.subset(keep), int((~keep).sum())


def stored_scores(storage: Storage, rubric_id: str, teams: str = "every") -> StoredScores:
    """Score the stored studies of `rubric_id` the storage's actor may compare, kept as
    `teams` chooses (`stored_columns`), read in bulk as columns (never one object per
    answer); the rubric is the version the oldest names."""
    columns, not_chosen = stored_columns(storage, rubric_id, teams)
    version = columns.rubric_versions[0] if len(columns) else None
    rubric = rubric_by_id(rubric_id, version)
    return replace(scores_of_columns(rubric, columns), not_chosen=not_chosen)


def scores_of_columns(rubric: Rubric, columns: StudyColumns) -> StoredScores:
    """Studies as columns, checked against `rubric` (a study with an answer it does not
    allow is left out, with its problems) and scored at once, with a warning for each
    study a later one of the same program and round replaces."""
    usable, problems = comparable_columns(columns, rubric)
    scores = score_columns(rubric, usable)
    problems += _repeated_rounds(scores, usable.labels)
    return StoredScores(scores, rubric, problems, len(columns) - len(usable))


def choose(
    scores: CohortScores,
    by: str = "cohort",
    cohorts: Iterable[str] | None = None,
    rounds: Iterable[str] | None = None,
    pseudonymize: bool = False,
    storage: Storage | None = None,
) -> CohortScores:
    """The studies of these cohorts and rounds (None or empty: all), under pseudonyms if asked.

    The pseudonyms are made with the secret of `storage` (the app's database when None),
    or `SELFSTUDY_PSEUDONYM_SECRET` when set (`edges.settings.pseudonym_secret`).
    Raises `CohortChoiceError` for a `by` field the studies lack, or when no study matches.
    """
    if by not in scores.programs:
        fields = ", ".join(c for c in scores.programs.columns if c not in ("key", "program"))
        raise CohortChoiceError("by", f"no program field {by!r}; the self-studies have: {fields}")
    chosen = scores.where(cohort=cohorts, round=rounds)
    if not len(chosen):
        raise CohortChoiceError("cohorts and rounds", "no self-study matches them")
    if pseudonymize:
        chosen = chosen.with_pseudonyms(pseudonym_secret(storage), keep=("cohort", "round", by))
    return chosen


def rotate_pseudonym_secret(storage: Storage) -> bool:
    """Give the database a new random pseudonym secret (network admins); whether pseudonyms
    change now: not while `SELFSTUDY_PSEUDONYM_SECRET` overrides it (they change when it is
    unset). Pseudonyms shared before can no longer be matched to the programs."""
    storage.rotate_pseudonym_secret()
    return not pseudonym_secret_is_set()


def comparison(
    scores: CohortScores,
    by: str = "cohort",
    top: int = 5,
    baseline: str | None = None,
    follow_up: str | None = None,
    min_complete: float = DEFAULT_MIN_COMPLETE,
) -> Comparison:
    """Groups, change from `baseline` to `follow_up`, needs and assets of the chosen studies
    at least `min_complete` percent complete (by default every required item answered);
    the comparison lists the studies left out and why (`core.cohorts.counted`).

    Raises `CohortChoiceError` when no chosen study is complete enough, or for a
    baseline or follow-up round no counted study has.
    """
    split = counted(scores, min_complete)
    left_out = split.left_out
    threshold = threshold_text(left_out.min_complete)
    if not len(split.scores):
        count = len(left_out)
        message = (
            f"the one self-study chosen is not yet {threshold} complete"
            if count == 1
            else f"none of the {count} self-studies chosen is at least {threshold} complete"
        )
        raise CohortChoiceError("min-complete", message, left_out)
    known = set(split.scores.programs["round"].dropna())
    unfinished = set(left_out.scores.programs["round"].dropna())
    for name, wanted in (("baseline", baseline), ("follow-up", follow_up)):
        if wanted is None or wanted in known:
            continue
        if wanted in unfinished:
            message = f"no self-study of round {wanted!r} is at least {threshold} complete"
            raise CohortChoiceError(name, message, left_out)
        rounds = ", ".join(sorted(known | unfinished)) or "none"
        raise CohortChoiceError(name, f"no self-study has round {wanted!r}; rounds: {rounds}")
    return compare(
        split.scores, by=by, top=top, baseline=baseline, follow_up=follow_up, left_out=left_out
    )
