"""Team self-studies: raters rate on their own, then the team agrees.

A team self-study is an ordinary self-study with a team: a lead and raters. Each
rater has a *sheet* of their own (stored as a self-study of its own, with the same
autosave, progress and history) that nobody else sees until the lead opens the
consensus step, or, when the lead chose so, until the one looking has submitted
their own. The lead then records, item by item, the team's rating and why; those
consensus answers are the self-study's own answers, so results, reports, exports,
sync and cohorts use them exactly as they use a single rater's.

This module holds the rules, pure: who a rater is, who may see and change a sheet,
what the lead may do, what the consensus step proposes for an item, and when a team
study may become a single one again (`single_again`).

Who is who: a signed-in person is a rater by their person id. Without sign-in there
are no people, so a rater is whoever gives the rater's name in their browser session
(the app says so); the team's rules still keep each name's ratings from the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from selfstudy.core.access import Actor, normal_name
from selfstudy.core.study import Answer, is_answered


class Reveal(StrEnum):
    """When a rater may see the others' ratings."""

    CONSENSUS = "consensus"  # once the lead opens the consensus step
    SUBMITTED = "submitted"  # or as soon as they have submitted their own


REVEAL_TEXT = {
    Reveal.CONSENSUS: "when the lead opens the consensus step",
    Reveal.SUBMITTED: "when they have submitted their own ratings (or the consensus step opens)",
}


def step_of(opened: bool, agreed: bool) -> str:
    """A team's step: `rating` (each on their own), `consensus` (the step is open) or
    `agreed` (consensus reached)."""
    return "agreed" if agreed else "consensus" if opened else "rating"


@dataclass(frozen=True)
class Rater:
    sheet_id: str  # the study that holds their own ratings
    name: str
    person_id: str | None = None
    submitted_at: str | None = None

    def is_actor(self, actor: Actor) -> bool:
        """Whether `actor` is this rater: by person when signed in, else by name."""
        if actor.person_id is not None or self.person_id is not None:
            return actor.person_id == self.person_id
        return bool(actor.label) and normal_name(actor.label) == normal_name(self.name)


@dataclass(frozen=True)
class Team:
    study_id: str
    lead: str  # the lead's name, as the pages show it
    lead_person_id: str | None
    reveal: Reveal
    raters: tuple[Rater, ...] = ()
    opened_at: str | None = None  # the consensus step opened
    agreed_at: str | None = None  # the lead marked consensus reached
    recorded: frozenset[str] = frozenset()  # items whose consensus the lead recorded

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    @property
    def step(self) -> str:
        return step_of(self.is_open, self.agreed_at is not None)

    def rater_of(self, actor: Actor) -> Rater | None:
        """The rater `actor` is in this team, if any."""
        return next((r for r in self.raters if r.is_actor(actor)), None)

    def rater_by_sheet(self, sheet_id: str) -> Rater | None:
        return next((r for r in self.raters if r.sheet_id == sheet_id), None)

    def is_lead(self, actor: Actor) -> bool:
        """Whether `actor` leads this team: its lead, or a signed-in network admin. (Without
        sign-in everyone may do everything, so the lead is whoever gives the lead's name.)"""
        if actor.person_id is not None:
            return actor.person_id == self.lead_person_id or actor.is_admin
        if self.lead_person_id is not None:
            return False
        return bool(actor.label) and normal_name(actor.label) == normal_name(self.lead)

    def may_see(self, actor: Actor, sheet: Rater) -> bool:
        """Whether `actor` may see the ratings on `sheet` (given they may read the study)."""
        if sheet.is_actor(actor) or self.is_open:
            return True
        own = self.rater_of(actor)
        return self.reveal is Reveal.SUBMITTED and own is not None and own.submitted_at is not None

    def may_rate(self, actor: Actor, sheet: Rater) -> bool:
        """Whether `actor` may change `sheet`: their own, until they submit it or the
        consensus step opens (then the ratings are seen and compared)."""
        return sheet.is_actor(actor) and sheet.submitted_at is None and not self.is_open

    def why_not_rate(self, actor: Actor, sheet: Rater) -> str:
        """Why `actor` may not change `sheet`, in words for them."""
        if not sheet.is_actor(actor):
            return "only its own rater changes a rater's ratings"
        if self.is_open:
            return "the consensus step is open, so the ratings are fixed; tell the lead instead"
        return "these ratings were submitted, so they are fixed; tell the lead instead"


def gathered(texts: Sequence[tuple[str, str]]) -> str:
    """The raters' texts for an item as one: the text itself when every rater who wrote
    one wrote the same, else each under its rater's name, in the raters' order."""
    written = [(rater, text) for rater, text in texts if text.strip()]
    if not written:
        return ""
    if all(text.strip() == written[0][1].strip() for _, text in written):
        return written[0][1]
    return "\n\n".join(f"{rater}: {text.strip()}" for rater, text in written)


def proposed(
    sheets: Mapping[str, Mapping[str, Answer]], item_id: str, text: bool = False
) -> Answer:
    """What the consensus step offers for an item before the lead decides: the common value
    when every rater who answered gave the same one (else none; for a `text` item, every
    rater's text gathered), the raters' evidence gathered, and their notes gathered as a
    start for the rationale."""
    answers = [(rater, sheet.get(item_id) or Answer()) for rater, sheet in sheets.items()]
    values = [a.value for _, a in answers if is_answered(a.value)]
    common = values[0] if values and all(v == values[0] for v in values) else None
    if text and common is None and values:
        common = gathered([(rater, a.value) for rater, a in answers if isinstance(a.value, str)])
    return Answer(
        value=common,
        evidence=gathered([(rater, a.evidence) for rater, a in answers]),
        notes=gathered([(rater, a.notes) for rater, a in answers]),
    )


def single_again(
    own: Mapping[str, Answer], sheets: Mapping[str, Mapping[str, Answer]]
) -> tuple[dict[str, Answer], list[tuple[str, str]]]:
    """What making a team study single again does: the answers it takes back into the study,
    and what it would lose, (rater, item) of each answer no single study could keep.

    Nothing is lost when at most one rater's sheet holds answers the study does not (as
    after a single study became a team one: the lead's sheet holds what the study held):
    that sheet's answers come back into the study, unless the study holds another answer
    for the same item. Two or more raters with answers of their own would lose all but
    one's: refused."""
    differing = {
        rater: {
            item_id: answer
            for item_id, answer in sheet.items()
            if answer != Answer() and own.get(item_id, Answer()) != answer
        }
        for rater, sheet in sheets.items()
    }
    movers = {rater: items for rater, items in differing.items() if items}
    if len(movers) > 1:
        return {}, [(rater, item) for rater, items in movers.items() for item in items]
    back: dict[str, Answer] = {}
    lost: list[tuple[str, str]] = []
    for rater, items in movers.items():
        for item_id, answer in items.items():
            if own.get(item_id, Answer()) != Answer():
                lost.append((rater, item_id))
            else:
                back[item_id] = answer
    return (back, []) if not lost else ({}, lost)
