"""Self-studies finished, or answered part way, as a team would leave them: for tests of
which self-studies a cohort comparison counts."""

from __future__ import annotations

from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy, unanswered_required


def finished(study: SelfStudy, rubric: Rubric) -> SelfStudy:
    """`study` with every required item it leaves unanswered rated 3, as a team finishing it."""
    done = study.model_copy(deep=True)
    while missing := unanswered_required(rubric, done.answers):
        for item in missing:
            done.answers[item.id] = Answer(value=3)
    return done


def answering(study: SelfStudy, rubric: Rubric, count: int) -> SelfStudy:
    """`study` with only its first `count` required items answered, as a team part way."""
    part = study.model_copy(deep=True)
    required = [i.id for i in rubric.items() if i.is_required and i.id in part.answers]
    for item_id in required[count:]:
        del part.answers[item_id]
    assert score(rubric, part).answered == count
    return part


def bridge_part_way(studies: list[SelfStudy], rubric: Rubric) -> list[SelfStudy]:
    """The sample network finished, but for Bridge to STEM Summer Academy's follow-up (p01),
    with 47 of its 76 required items answered (61%)."""
    network = []
    for study in studies:
        study = finished(study, rubric)
        if (study.program.id, study.program.round) == ("p01", "follow-up"):
            study = answering(study, rubric, 47)
        network.append(study)
    return network


def finish_sheet(storage, sheet_id: str, rubric: Rubric) -> None:
    """A rater finishes their sheet (`storage` acting as them), as `finished` would: so they
    may submit it."""
    stored = storage.get_study(sheet_id)
    done = finished(stored.study, rubric).answers
    changes = {k: a for k, a in done.items() if stored.study.answers.get(k) != a}
    storage.save_answers(sheet_id, changes, {k: stored.revisions.get(k) for k in changes})
