"""Team self-studies, as the app's Team page and `selfstudy team` do them.

Steps: the lead makes a study a team study (`start_team`), raters join or are added
and rate on their own sheets (ordinary saves to their sheet), may submit; the lead
opens the consensus step, sees every item side by side (`consensus`), records the
team's rating for each (`record_consensus`: the rating, the raters' evidence gathered,
a rationale) and marks consensus reached (`agree`). The storage checks every step
against `core.team`'s rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from selfstudy.core.agreement import TeamAgreement, team_agreement
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import Answer, AnswerValue, is_answered
from selfstudy.core.team import Rater, Reveal, Team, gathered, proposed
from selfstudy.edges.storage import Storage, StoredStudy


@dataclass(frozen=True)
class Consensus:
    """What the consensus step shows: the team, the sheets the viewer may see, the team's
    agreement over them, and the study's own (consensus) answers so far."""

    team: Team
    sheets: dict[Rater, StoredStudy]
    agreement: TeamAgreement
    stored: StoredStudy

    @property
    def answers_by_rater(self) -> dict[str, dict[str, Answer]]:
        return {rater.name: dict(sheet.study.answers) for rater, sheet in self.sheets.items()}

    def recorded(self, item_id: str) -> Answer | None:
        """The team's answer recorded for the item in the consensus step, if any (an answer
        the study held before, as a single rater's, is not one)."""
        if item_id not in self.team.recorded:
            return None
        return self.stored.study.answers.get(item_id, Answer())

    def proposal(self, item_id: str) -> Answer:
        """What the step offers for the item: the consensus already recorded, else the
        common rating (when all agree) and the raters' evidence and notes gathered."""
        return self.recorded(item_id) or proposed(self.answers_by_rater, item_id)

    def missing(self) -> list[str]:
        """Rating items some rater answered that have no consensus recorded yet."""
        return [
            spread.item_id
            for spread in self.agreement.items
            if any(is_answered(value) for _, value in spread.answers)
            and self.recorded(spread.item_id) is None
        ]


def start_team(
    storage: Storage,
    study_id: str,
    reveal: Reveal = Reveal.CONSENSUS,
    lead_rates: bool = True,
    by: str = "",
) -> Team:
    """Make the study a team self-study led by the storage's actor."""
    return storage.make_team(study_id, Reveal(reveal), lead_rates, by)


def consensus(storage: Storage, rubric: Rubric, study_id: str) -> Consensus:
    """The consensus step's view for the storage's actor: only the sheets they may see."""
    team = storage.the_team(study_id)
    sheets = storage.rater_sheets(study_id)
    by_name = {rater.name: dict(sheet.study.answers) for rater, sheet in sheets.items()}
    return Consensus(
        team=team,
        sheets=sheets,
        agreement=team_agreement(rubric, by_name),
        stored=storage.get_study(study_id),
    )


def record_consensus(
    storage: Storage,
    study_id: str,
    item_id: str,
    value: AnswerValue,
    rationale: str,
    raters: Mapping[str, Mapping[str, Answer]],
    seen: Mapping[str, int] | int | None,
    by: str = "",
) -> int:
    """Save the team's answer for an item: `value`, every rater's evidence gathered, and
    the lead's `rationale` as its notes. `seen` is the item's revision as the lead saw it
    (a colleague's change since is refused, as any save). The item's new revision."""
    if not is_answered(value):
        raise ProblemsFound(
            [
                Problem(
                    "team-step",
                    item_id,
                    "choose the team's rating for this item first (N/A is a rating)",
                )
            ]
        )
    evidence = gathered(
        [(name, (sheet.get(item_id) or Answer()).evidence) for name, sheet in raters.items()]
    )
    answer = Answer(value=value, evidence=evidence, notes=rationale)
    return storage.record_consensus(study_id, item_id, answer, seen, by)


def agree(storage: Storage, rubric: Rubric, study_id: str, by: str = "") -> None:
    """Mark consensus reached, refused while an item the team rated has no consensus."""
    view = consensus(storage, rubric, study_id)
    storage.reach_consensus(study_id, view.missing(), by)
