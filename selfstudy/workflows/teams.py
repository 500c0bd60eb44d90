"""Team self-studies, as the app's Team page and `selfstudy team` do them.

Steps: the lead makes a study a team study (`start_team`), raters join or are added
and rate on their own sheets (ordinary saves to their sheet), may submit; the lead
opens the consensus step, sees every item side by side (`consensus`), records the
team's rating for each (`record_consensus`: the rating, the raters' evidence gathered,
a rationale) and marks consensus reached (`agree`). The storage checks every step
against `core.team`'s rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from selfstudy.core.access import normal_name, program_key
from selfstudy.core.agreement import Agreement, ItemSpread, TeamAgreement, team_agreement
from selfstudy.core.problems import Problem, ProblemsFound, Report, quoted
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import (
    Answer,
    AnswerValue,
    Program,
    SelfStudy,
    is_answered,
    program_from_data,
)
from selfstudy.core.team import Rater, Reveal, Team, proposed, step_of
from selfstudy.edges.storage import Storage, StoredStudy


@dataclass(frozen=True)
class Consensus:
    """What the consensus step shows: the team, the sheets the viewer may see, the team's
    agreement over them, and the study's own (consensus) answers so far."""

    team: Team
    sheets: dict[Rater, StoredStudy]
    stored: StoredStudy
    rubric: Rubric

    @cached_property
    def answers_by_rater(self) -> dict[str, dict[str, Answer]]:
        return {rater.name: dict(sheet.study.answers) for rater, sheet in self.sheets.items()}

    @cached_property
    def agreement(self) -> TeamAgreement:
        return team_agreement(self.rubric, self.answers_by_rater)

    def items(self) -> list[str]:
        """Every item some rater answered or wrote evidence or notes on, in rubric order:
        ratings, and text, choice and number answers alike (a choice can show or hide a
        rating, so every answer is part of the consensus)."""
        written = {item for sheet in self.answers_by_rater.values() for item in sheet}
        return [item.id for item in self.rubric.items() if item.id in written]

    def agreement_of(self, item_id: str) -> ItemSpread | None:
        """The rating item's answers side by side (None for other items)."""
        return next((s for s in self.agreement.items if s.item_id == item_id), None)

    def recorded(self, item_id: str) -> Answer | None:
        """The team's answer recorded for the item in the consensus step, if any (an answer
        the study held before, as a single rater's, is not one)."""
        if item_id not in self.team.recorded:
            return None
        return self.stored.study.answers.get(item_id, Answer())

    def proposal(self, item_id: str) -> Answer:
        """What the step offers for the item: the consensus already recorded, else the
        common answer (when all agree; a text item's texts gathered) and the raters'
        evidence and notes gathered."""
        text = self.rubric.item_by_id[item_id].type == "text"
        return self.recorded(item_id) or proposed(self.answers_by_rater, item_id, text)

    def agrees(self, item_id: str) -> bool:
        """Whether every rater who answered the item gave the same answer (`proposed`
        offers it then)."""
        return is_answered(proposed(self.answers_by_rater, item_id).value)

    def unanimous(self) -> list[str]:
        """The items not recorded yet on which every rater who answered gave one answer."""
        return [item_id for item_id in self.missing() if self.agrees(item_id)]

    def missing(self) -> list[str]:
        """The items some rater answered or wrote on that have no consensus recorded yet."""
        return [item_id for item_id in self.items() if self.recorded(item_id) is None]


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
    return Consensus(
        team=storage.the_team(study_id),
        sheets=storage.rater_sheets(study_id),
        stored=storage.get_study(study_id),
        rubric=rubric,
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
    """Save the team's answer for an item: `value` (none only when no rater answered it,
    for evidence alone), every rater's evidence gathered, and the lead's `rationale` as its
    notes. `seen` is the item's revision as the lead saw it
    (a colleague's change since is refused, as any save). The item's new revision."""
    if not is_answered(value) and any(
        is_answered((sheet.get(item_id) or Answer()).value) for sheet in raters.values()
    ):
        raise ProblemsFound(
            [
                Problem(
                    "team-step",
                    item_id,
                    "choose the team's answer for this item first (N/A is an answer)",
                )
            ]
        )
    evidence = proposed(raters, item_id).evidence  # every rater's, gathered as offered
    answer = Answer(value=value, evidence=evidence, notes=rationale)
    return storage.record_consensus(study_id, item_id, answer, seen, by)


def record_proposals(
    storage: Storage, view: Consensus, item_ids: Sequence[str], by: str = ""
) -> None:
    """Record what the step proposes for each of these items, as the lead would one by one
    (for the items every rater answered alike: `Consensus.unanimous`)."""
    revisions = view.stored.revisions
    for item_id in item_ids:
        proposal = view.proposal(item_id)
        record_consensus(
            storage,
            view.team.study_id,
            item_id,
            proposal.value,
            proposal.notes,
            view.answers_by_rater,
            revisions.get(item_id),
            by,
        )


def agree(storage: Storage, rubric: Rubric, study_id: str, by: str = "") -> None:
    """Mark consensus reached, refused while an item a rater answered or wrote on has no
    consensus recorded."""
    view = consensus(storage, rubric, study_id)
    storage.reach_consensus(study_id, view.missing(), by)


def rater_names(copies: Sequence[tuple[str, SelfStudy]]) -> list[str]:
    """Each copy's rater: its `Completed by` detail, else the copy's name (a file's stem),
    made unique with a number when two are alike."""
    names: list[str] = []
    taken: set[str] = set()
    for stem, study in copies:
        given = study.program.model_extra.get("completed_by") if study.program.model_extra else None
        name = " ".join(str(given or stem).split()) or "rater"
        unique, n = name, 2
        while normal_name(unique) in taken:
            unique, n = f"{name} ({n})", n + 1
        taken.add(normal_name(unique))
        names.append(unique)
    return names


def save_team_copies(
    storage: Storage,
    copies: Sequence[tuple[str, str, SelfStudy]],
    lead: str,
    by: str = "",
    reveal: Reveal = Reveal.CONSENSUS,
) -> tuple[str, list[str]]:
    """Several raters' sheet copies of one program's round as one new team self-study,
    each copy a rater's sheet (`copies`: label, stem, study). Refused, with each copy that
    differs located at itself, unless every copy is of the first copy's program, round and
    rubric. The new study's id and the raters' names."""
    if len(copies) < 2:
        raise ProblemsFound(
            [
                Problem(
                    "team-copies",
                    copies[0][0] if copies else "the copies",
                    "a team self-study is imported from two or more raters' copies of one "
                    "program's round; give every rater's copy",
                )
            ]
        )
    from selfstudy.workflows.imports import same_round

    first_label, _, first = copies[0]
    problems = Report()
    for label, _, study in copies[1:]:
        if study.rubric != first.rubric:
            why = f"it is of rubric {study.rubric.id} {study.rubric.version}"
        elif program_key(study.program.id, study.program.name) != program_key(
            first.program.id, first.program.name
        ):
            why = f"it is of the program {quoted(study.program.name)}"
        elif not same_round(study, first):
            why = f"it is of the round {quoted(study.program.round or '(none)')}"
        else:
            continue
        problems.append(
            Problem(
                "team-copies",
                label,
                f"{why}, not that of the first copy ({first_label}: "
                f"{quoted(first.program.name)}, round {quoted(first.program.round or '(none)')}); "
                "a team self-study's copies are its raters' copies of one program's round",
            )
        )
    if problems:
        raise ProblemsFound(problems)
    names = rater_names([(stem, study) for _, stem, study in copies])
    details = first.program.model_dump(mode="json", exclude={"completed_by"})
    study = first.model_copy(update={"program": program_from_data(details), "answers": {}})
    study_id = storage.create_team_study(
        study,
        [(name, copy.answers) for name, (_, _, copy) in zip(names, copies, strict=True)],
        lead,
        reveal,
        by,
    )
    return study_id, names


@dataclass(frozen=True)
class TeamRow:
    """One team self-study as a facilitator sees it: who took part, how far it has come,
    and, once the consensus step is open, how much its raters agreed overall."""

    study_id: str
    program: Program
    raters: int
    submitted: int
    step: str  # `STEPS`, in words
    agreement: Agreement | None


STEPS = {
    "rating": "rating on their own",
    "consensus": "consensus step open",
    "agreed": "consensus reached",
}


def team_overview(storage: Storage, rubric: Rubric) -> list[TeamRow]:
    """The team self-studies of `rubric` the storage's actor may read, by program and
    round: raters, submitted, step and (once compared) agreement. No rating is read before
    the consensus step opens, as for anyone."""
    rows = []
    for study_id, summary in storage.team_summaries().items():
        stored = storage.get_study(study_id)
        if stored.study.rubric.id != rubric.id:
            continue
        step = STEPS[step_of(summary.opened, summary.agreed)]
        agreement = (
            consensus(storage, rubric, study_id).agreement.overall if summary.opened else None
        )
        rows.append(
            TeamRow(
                study_id,
                stored.study.program,
                summary.raters,
                summary.submitted,
                step,
                agreement,
            )
        )
    return sorted(rows, key=lambda r: (r.program.name.casefold(), r.program.round or ""))
