"""Beginning, finding and loading self-studies: what the Start page does, as plain functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from selfstudy.core.access import NoAccess
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import score
from selfstudy.core.study import RubricRef, SelfStudy, program_from_data
from selfstudy.edges.storage import Storage, StudySummary
from selfstudy.edges.study_files import load_study, sample_files

# The program details a new study is begun with, as the Start page names them.
DETAILS = {
    "name": "Program name",
    "organization": "Organization",
    "cohort": "Cohort",
    "round": "Round",
}


def begin_study(
    storage: Storage,
    rubric: Rubric,
    name: str,
    organization: str = "",
    cohort: str = "",
    round: str = "",
    creation_key: str | None = None,
    by: str = "",
    program_id: str | None = None,
) -> str:
    """Store a new, empty self-study of a program; its id. Blank details are left out.

    It belongs to the program `program_id`, else to the program of that name (added when
    there is none, by a network admin only).

    The details are checked as a self-study file's are (a name, texts within the limit);
    each problem is located at the detail it is about, as the Start page names it.
    The same `creation_key` (one per form a person fills in) gives back the study
    made the first time, so a double click or a resubmitted form makes one study.
    """
    if not name.strip():
        raise ProblemsFound(
            [
                Problem(
                    "missing-program-name",
                    DETAILS["name"],
                    "give the program a name, so you and others can find this self-study later",
                )
            ]
        )
    given = {"name": name, "organization": organization, "cohort": cohort, "round": round}
    try:
        program = program_from_data({key: text.strip() or None for key, text in given.items()})
    except ProblemsFound as exc:
        raise ProblemsFound(
            [replace(p, location=DETAILS.get(p.path, p.location), path="") for p in exc.problems]
        ) from None
    study = SelfStudy(rubric=RubricRef(id=rubric.id, version=rubric.version), program=program)
    return storage.create_study(study, by=by, creation_key=creation_key, program_id=program_id)


def load_samples(storage: Storage, folder: Path | None = None) -> int:
    """Store every bundled sample self-study; how many. Nothing is stored if any is unreadable.

    The samples are programs of their own, which only a network admin may add: anyone
    else is refused before the first is stored."""
    if not storage.actor.is_admin:
        raise NoAccess("Loading the sample self-studies", "only a network admin may")
    studies, problems = [], []
    for path in sample_files(folder):
        try:
            studies.append(load_study(path))
        except ProblemsFound as exc:
            problems += exc.problems
    if problems:
        raise ProblemsFound(problems)
    for study in studies:
        storage.create_study(study)
    return len(studies)


def matching(summaries: Iterable[StudySummary], query: str) -> list[StudySummary]:
    """The studies whose program, organization, cohort or round contain `query` (any case)."""
    wanted = query.strip().casefold()
    return [s for s in summaries if wanted in _searchable(s)]


def _searchable(summary: StudySummary) -> str:
    fields = [summary.name, summary.organization, summary.cohort, summary.round]
    return " ".join(filter(None, fields)).casefold()


def completeness(study: SelfStudy, rubrics: Sequence[Rubric]) -> float | None:
    """The share of required items answered, by the study's own rubric (None when it is missing).

    The exact version the study names is preferred; another version of the same rubric scores
    the same ids.
    """
    same_id = [r for r in rubrics if r.id == study.rubric.id]
    exact = [r for r in same_id if r.version == study.rubric.version]
    rubric = (exact or same_id or [None])[0]
    return score(rubric, study).completeness if rubric else None
