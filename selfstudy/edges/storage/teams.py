"""Team self-studies in the database: teams, raters and each rater's own sheet.

A rater's sheet is a row of `studies` whose `team_of` names the team study, with
answers and history like any study's: saving to it goes through the storage's one
`_save`, with its conflict checks and history. A sheet is never listed, compared,
deleted or synced on its own. The rules of who may see and change a sheet, and who
leads, are `core.team`'s; `TeamStudies` applies them on every read and write, so a
page or a download that forgets them still shows no one another's ratings early.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from selfstudy.core.access import Action, Actor, NoAccess, normal_name
from selfstudy.core.problems import Problem, ProblemsFound, quoted
from selfstudy.core.study import Answer, SelfStudy, unanswered_required
from selfstudy.core.team import REVEAL_TEXT, Rater, Reveal, Team, single_again
from selfstudy.core.wording import counted
from selfstudy.edges.storage import people
from selfstudy.edges.storage.schema import (
    answers_table,
    changes_table,
    consensus_table,
    now,
    raters_table,
    studies_table,
    teams_table,
)

if TYPE_CHECKING:
    from selfstudy.edges.storage.database import StoredStudy

THE_TEAM = "This team self-study"
SHEET = "This rater's sheet"


@dataclass(frozen=True)
class TeamSummary:
    """What a list of studies, or a facilitator, sees of a team: never a rating."""

    study_id: str
    raters: int
    submitted: int
    opened: bool
    agreed: bool


class TeamStudies:
    """The team operations of `Storage` (a mixin: it uses the storage's engine, actor and
    checks). Every method checks the actor against `core.team`'s rules."""

    # --- reading ------------------------------------------------------------------------

    def team(self, study_id: str) -> Team | None:
        """The study's team, or None for a single-rater study; the actor must read it."""
        with self.engine.connect() as conn:
            row = self._checked(conn, Action.READ, study_id)
            return team_of(conn, row.team_of or row.id)

    def rater_sheets(self, study_id: str) -> dict[Rater, StoredStudy]:
        """The raters' sheets of the team study that the actor may see now, by rater."""
        team = self.the_team(study_id)
        actor = self._fresh_actor()
        seen = {}
        for rater in team.raters:
            if team.may_see(actor, rater):
                seen[rater] = self.get_study(rater.sheet_id)
        return seen

    def may_join(self, study_id: str) -> bool:
        """Whether the actor may join the study's team as a rater now: they may change the
        program's self-studies, are not rating it yet, and the consensus step is not open."""
        with self.engine.connect() as conn:
            try:
                row = self._checked(conn, Action.EDIT, study_id)
            except NoAccess:
                return False
            team = team_of(conn, row.id)
            actor = self._now(conn)
            return team is not None and not team.is_open and team.rater_of(actor) is None

    def team_summaries(self) -> dict[str, TeamSummary]:
        """Every live team the actor may read a study of, by team study id."""
        with self.engine.connect() as conn:
            visible = self._scope(conn, Action.READ, studies_table.c.program_ref)
            live = select(studies_table.c.id).where(
                studies_table.c.deleted_at.is_(None), studies_table.c.team_of.is_(None), visible
            )
            teams = conn.execute(
                select(teams_table).where(
                    teams_table.c.ended_at.is_(None), teams_table.c.study_id.in_(live)
                )
            ).all()
            counts = {
                row.study_id: (row.raters, row.submitted)
                for row in conn.execute(
                    select(
                        raters_table.c.study_id,
                        func.count().label("raters"),
                        func.count(raters_table.c.submitted_at).label("submitted"),
                    )
                    .where(raters_table.c.study_id.in_([t.study_id for t in teams]))
                    .group_by(raters_table.c.study_id)
                )
            }
        return {
            t.study_id: TeamSummary(
                t.study_id,
                *counts.get(t.study_id, (0, 0)),
                opened=t.opened_at is not None,
                agreed=t.agreed_at is not None,
            )
            for t in teams
        }

    # --- the lead's and the raters' steps -------------------------------------------------

    def make_team(
        self,
        study_id: str,
        reveal: Reveal = Reveal.CONSENSUS,
        lead_rates: bool = True,
        by: str = "",
    ) -> Team:
        """Make a study a team self-study, led by the actor (a program member).

        When the lead rates too, they are its first rater, and the study's answers so far
        (a single rater's work) move to their sheet as their own ratings: the study's own
        answers are the consensus to come, which nobody may read as a rating before the
        others see it. A team made single before comes back with its raters and their
        sheets, none submitted; the lead's sheet then takes the study's answers as they are
        now (the earlier ones stay in its history).
        """
        by = by or self.actor.label
        with self.engine.begin() as conn:
            row = self._lock_study(conn, study_id, team_writes=False)
            if row.team_of is not None:
                raise _step(THE_TEAM, "a rater's sheet cannot have a team of its own")
            actor = self._now(conn)
            found = conn.execute(
                select(teams_table).where(teams_table.c.study_id == study_id)
            ).one_or_none()
            if found is not None and found.ended_at is None:
                raise _step(THE_TEAM, "this self-study is a team self-study already")
            stamp = now()
            lead = dict(lead=by, lead_person_id=actor.person_id, reveal=Reveal(reveal).value)
            if found is None:
                conn.execute(
                    insert(teams_table).values(
                        study_id=study_id, created_at=stamp, created_by=by, **lead
                    )
                )
            else:
                conn.execute(
                    update(teams_table)
                    .where(teams_table.c.study_id == study_id)
                    .values(ended_at=None, ended_by=None, opened_at=None, agreed_at=None, **lead)
                )
                conn.execute(delete(consensus_table).where(consensus_table.c.study_id == study_id))
                conn.execute(
                    update(raters_table)
                    .where(raters_table.c.study_id == study_id)
                    .values(submitted_at=None)
                )
            team = team_of(conn, study_id)
            if lead_rates and team is not None:
                own = _answers_of(conn, study_id)
                mine = team.rater_of(actor)
                if mine is None:
                    _add_sheet(conn, row, by, actor.person_id, own, by)
                elif own:
                    _overwrite(conn, mine.sheet_id, own, by)
                _overwrite(conn, study_id, {item_id: Answer() for item_id in own}, by)
        return self.team(study_id)  # type: ignore[return-value]

    def create_team_study(
        self,
        study: SelfStudy,
        raters: Sequence[tuple[str, Mapping[str, Answer]]],
        lead: str,
        reveal: Reveal = Reveal.CONSENSUS,
        by: str = "",
    ) -> str:
        """Store a new team self-study of `study`'s program (its answers left empty: they
        are the consensus to come), led by the actor named `lead`, with a sheet for each
        rater (name, answers): all in one transaction, or nothing. Its id.

        The study goes through the same rule as `create_study` (the program, the actor's
        access), and its lead must be allowed to change the program's studies: a lead
        records the consensus, so a facilitator, who may import new studies of their
        cohorts' programs, does not start teams. Rater names must differ (`rater-exists`)."""
        by = by or self.actor.label
        names = [_rater_name(name) for name, _ in raters]
        seen: dict[str, str] = {}
        for name in names:
            if not name or normal_name(name) in seen:
                raise ProblemsFound(
                    [
                        Problem(
                            "rater-exists",
                            "The raters' names",
                            f"two raters are named {quoted(name)}; give each rater a name "
                            "of their own"
                            if name
                            else "a rater has no name; give each rater a name",
                        )
                    ]
                )
            seen[normal_name(name)] = name
        from selfstudy.edges.storage.database import _insert_studies

        empty = study.model_copy(update={"answers": {}})
        with self.engine.begin() as conn:
            owners = self._owners(conn, [empty], None, by)
            if not self._now(conn).may(Action.EDIT, owners[0]):  # an admin or a member
                raise NoAccess(
                    THE_TEAM,
                    "its lead records the team's consensus, so only a member of the program "
                    "may start one; ask a member to import these copies as a team, or import "
                    "them as separate self-studies",
                )
            [study_id] = _insert_studies(conn, [empty], owners, by, [None])
            actor = self._now(conn)
            conn.execute(
                insert(teams_table).values(
                    study_id=study_id,
                    lead=" ".join(lead.split()) or by,
                    lead_person_id=actor.person_id,
                    reveal=Reveal(reveal).value,
                    created_at=now(),
                    created_by=by,
                )
            )
            row = conn.execute(select(studies_table).where(studies_table.c.id == study_id)).one()
            for name, (_, answers) in zip(names, raters, strict=True):
                _add_sheet(conn, row, name, None, dict(answers), by)
        return study_id

    def add_rater(
        self,
        study_id: str,
        name: str,
        person_id: str | None = None,
        answers: Mapping[str, Answer] | None = None,
        by: str = "",
    ) -> Rater:
        """Add a rater with a sheet of their own (holding `answers`, as from their copy).

        The lead adds anyone who may change the program's studies; anyone else may add
        only themselves (without sign-in: by giving their name). Ratings can be added
        until the consensus step opens.
        """
        by = by or self.actor.label
        name = _rater_name(name)
        with self.engine.begin() as conn:
            row = self._lock_study(conn, study_id, team_writes=False)
            team = _live_team(conn, row)
            actor = self._now(conn)
            adding_self = (person_id or None) == actor.person_id and (
                person_id is not None or normal_name(name) == normal_name(actor.label)
            )
            if not (team.is_lead(actor) or adding_self):
                raise NoAccess(
                    "Adding another rater", "only the team's lead adds raters other than you"
                )
            if team.is_open:
                raise _step(THE_TEAM, "the consensus step is open: no rater can join now")
            if person_id is not None and not self._person_may_edit(conn, person_id, row):
                raise NoAccess(
                    "Adding this person as a rater",
                    "only members of the program can rate; invite them to the program first",
                )
            clash = next(
                (
                    r
                    for r in team.raters
                    if normal_name(r.name) == normal_name(name)
                    or (person_id is not None and r.person_id == person_id)
                ),
                None,
            )
            if clash is not None:
                raise ProblemsFound(
                    [
                        Problem(
                            "rater-exists",
                            "The rater's name",
                            f"the team already has the rater {quoted(clash.name)}; give "
                            "another name, or rate as that rater if it is you",
                        )
                    ]
                )
            sheet_id = _add_sheet(conn, row, name, person_id, dict(answers or {}), by)
        return Rater(sheet_id, name, person_id)

    def submit_ratings(self, sheet_id: str, by: str = "") -> None:
        """The rater says they are done: their sheet is fixed from now on. Only a sheet
        with every required item answered (N/A counts) may be submitted: with reveal on
        submission, submitting is what lets a rater see the others' ratings."""
        from selfstudy.edges.rubric_files import rubric_by_id

        by = by or self.actor.label
        with self.engine.begin() as conn:
            sheet = self._lock_study(conn, sheet_id)
            if sheet.team_of is None:
                raise _not_a_team()
            rubric = rubric_by_id(sheet.rubric_id, sheet.rubric_version)
            missing = unanswered_required(rubric, _answers_of(conn, sheet_id))
            if missing:
                shown = ", ".join(item.id for item in missing[:20])
                raise _step(
                    SHEET,
                    f"{counted(len(missing), 'required item')} "
                    f"{'is' if len(missing) == 1 else 'are'} not answered yet ({shown}"
                    f"{' …' if len(missing) > 20 else ''}); answer each (N/A is an answer), "
                    "then submit",
                )
            conn.execute(
                update(raters_table)
                .where(raters_table.c.sheet_id == sheet_id)
                .values(submitted_at=now())
            )
            _note(conn, sheet.team_of, "submitted", by)

    def open_consensus(self, study_id: str, by: str = "") -> None:
        """The lead opens the consensus step: the team sees every rating, and the ratings
        are fixed."""
        self._lead_step(study_id, "opened", by, must_be_open=False)

    def reach_consensus(self, study_id: str, missing: list[str], by: str = "") -> None:
        """The lead marks consensus reached; `missing` are the items the team rated that
        have no consensus rating (the workflow finds them with the rubric): any refuses."""
        if missing:
            shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
            raise ProblemsFound(
                [
                    Problem(
                        "consensus-missing",
                        THE_TEAM,
                        f"{counted(len(missing), 'item')} the team rated "
                        f"{'has' if len(missing) == 1 else 'have'} no consensus rating yet: "
                        f"{shown}; record the team's rating for each, then mark it again",
                    )
                ]
            )
        self._lead_step(study_id, "agreed", by, must_be_open=True)

    def end_team(self, study_id: str, by: str = "") -> None:
        """Make a team study single again: only its lead, only when nothing would be lost
        (`core.team.single_again`: the one rater's answers the study does not hold, as the
        lead's after making a single study a team one, come back into the study)."""
        by = by or self.actor.label
        with self.engine.begin() as conn:
            row = self._lock_study(conn, study_id, team_writes=False)
            team = _live_team(conn, row)
            if not team.is_lead(self._now(conn)):
                raise NoAccess("Making this a single self-study", "only the team's lead can")
            own = _answers_of(conn, study_id)
            sheets = {r.name: _answers_of(conn, r.sheet_id) for r in team.raters}
            back, lost = single_again(own, sheets)
            if lost:
                raters = ", ".join(dict.fromkeys(rater for rater, _ in lost))
                raise ProblemsFound(
                    [
                        Problem(
                            "team-would-lose",
                            THE_TEAM,
                            f"the sheets of {raters} hold {counted(len(lost), 'answer')} a single "
                            "self-study could not keep; agree the consensus, or keep the team",
                        )
                    ]
                )
            _overwrite(conn, study_id, back, by)
            conn.execute(
                update(teams_table)
                .where(teams_table.c.study_id == study_id)
                .values(ended_at=now(), ended_by=by)
            )
            _note(conn, study_id, "ended", by)

    def record_consensus(
        self, study_id: str, item_id: str, answer: Answer, seen: Any, by: str = ""
    ) -> int:
        """The lead records the team's answer for an item (saved as any answer, with its
        conflict check and history, and marked as recorded); the item's new revision."""
        by = by or self.actor.label

        def mark(conn: Connection) -> None:
            conn.execute(
                delete(consensus_table).where(
                    consensus_table.c.study_id == study_id, consensus_table.c.item_id == item_id
                )
            )
            conn.execute(
                insert(consensus_table).values(
                    study_id=study_id, item_id=item_id, recorded_at=now(), recorded_by=by
                )
            )

        fields = {"value": answer.value, "evidence": answer.evidence, "notes": answer.notes}
        return self._save(study_id, {item_id: fields}, {item_id: seen}, by, also=mark)[item_id]

    # --- the rules, applied by `Storage._checked` and `Storage._lock_study` ----------------

    def _check_sheet(self, conn: Connection, action: Action, row: Any) -> None:
        """Refuse what `core.team` does not allow on a rater's sheet `row`."""
        team = team_of(conn, row.team_of)
        rater = team.rater_by_sheet(row.id) if team is not None else None
        if team is None or rater is None:
            raise NoAccess(SHEET, "the team self-study it belongs to is single again")
        deleted = conn.scalar(
            select(studies_table.c.deleted_at).where(studies_table.c.id == row.team_of)
        )
        if deleted is not None:
            raise NoAccess(SHEET, "the team self-study it belongs to was deleted")
        actor = self._now(conn)
        if action is Action.READ and team.may_see(actor, rater):
            return
        if action is Action.EDIT and team.may_rate(actor, rater):
            return
        if action is Action.READ:
            raise NoAccess(
                SHEET,
                "a rater's ratings are seen by the others only " + REVEAL_TEXT[team.reveal],
            )
        if action is Action.EDIT:
            raise NoAccess(SHEET, team.why_not_rate(actor, rater))
        raise NoAccess(SHEET, "a rater's sheet is changed only by rating on it")

    def _check_team_writes(self, conn: Connection, row: Any) -> None:
        """A team study's own answers are its consensus: written by its lead only, once the
        consensus step is open."""
        refusal = self._team_write_refusal(conn, row)
        if refusal is not None:
            raise refusal

    def _team_write_refusal(self, conn: Connection, row: Any) -> ProblemsFound | None:
        """Why the actor may not write the answers of the study `row`, if it is a team's."""
        team = team_of(conn, row.id)
        if team is None:
            return None
        if not team.is_lead(self._now(conn)):
            return NoAccess(
                THE_TEAM, "its answers are the team's consensus, which only its lead records"
            )
        if not team.is_open:
            return _step(
                THE_TEAM,
                "its answers are the team's consensus: open the consensus step first; until "
                "then each rater rates on their own sheet",
            )
        return None

    def _lead_step(self, study_id: str, step: str, by: str, must_be_open: bool) -> None:
        by = by or self.actor.label
        with self.engine.begin() as conn:
            row = self._lock_study(conn, study_id, team_writes=False)
            team = _live_team(conn, row)
            if not team.is_lead(self._now(conn)):
                raise NoAccess(THE_TEAM, "only the team's lead takes this step")
            if team.is_open != must_be_open:
                raise _step(
                    THE_TEAM,
                    "open the consensus step first"
                    if must_be_open
                    else "the consensus step is open already",
                )
            conn.execute(
                update(teams_table)
                .where(teams_table.c.study_id == study_id)
                .values({f"{step}_at": now(), f"{step}_by": by})
            )
            _note(conn, study_id, step, by)

    def _person_may_edit(self, conn: Connection, person_id: str, row: Any) -> bool:
        """Whether the person may change the program's self-studies (so may rate them)."""
        person = people.actor_of(conn, person_id, "")
        return person.is_admin or person.may(Action.EDIT, row.program_ref)

    def the_team(self, study_id: str) -> Team:
        """The study's team; `not-a-team` for a single-rater study."""
        team = self.team(study_id)
        if team is None:
            raise _not_a_team()
        return team

    def _fresh_actor(self) -> Actor:
        with self.engine.connect() as conn:
            return self._now(conn)


def team_of(conn: Connection, study_id: str) -> Team | None:
    """The live team of `study_id`, with its raters in the order they joined."""
    row = conn.execute(
        select(teams_table).where(
            teams_table.c.study_id == study_id, teams_table.c.ended_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        return None
    raters = conn.execute(
        select(raters_table)
        .where(raters_table.c.study_id == study_id)
        .order_by(raters_table.c.added_at, raters_table.c.sheet_id)
    ).all()
    return Team(
        study_id=study_id,
        lead=row.lead,
        lead_person_id=row.lead_person_id,
        reveal=Reveal(row.reveal),
        raters=tuple(Rater(r.sheet_id, r.name, r.person_id, r.submitted_at) for r in raters),
        opened_at=row.opened_at,
        agreed_at=row.agreed_at,
        recorded=frozenset(
            conn.scalars(
                select(consensus_table.c.item_id).where(consensus_table.c.study_id == study_id)
            )
        ),
    )


def _live_team(conn: Connection, row: Any) -> Team:
    team = team_of(conn, row.id) if row.team_of is None else None
    if team is None:
        raise _not_a_team()
    return team


def _answers_of(conn: Connection, study_id: str) -> dict[str, Answer]:
    from selfstudy.edges.storage.database import _answer_of, _is_blank

    found = {}
    for row in conn.execute(select(answers_table).where(answers_table.c.study_id == study_id)):
        answer = _answer_of(row)
        if not _is_blank(answer):
            found[row.item_id] = answer
    return found


def _overwrite(conn: Connection, study_id: str, answers: Mapping[str, Answer], by: str) -> None:
    """Write `answers` over those items of `study_id`, each changed field in its history,
    in the caller's transaction (which holds the study's lock): a team step moving answers
    between a study and a rater's sheet."""
    from selfstudy.edges.storage.database import (
        _answers_written,
        _current_row,
        _fields,
        _plan,
        _write,
    )

    stamp = now()
    written = False
    for item_id, answer in answers.items():
        current = _current_row(conn, study_id, item_id)
        plan = _plan(current, _fields(answer), current.revision if current is not None else None)
        if plan.to_write:
            _write(conn, study_id, item_id, current, plan, stamp, by)
            written = True
    if written:
        _answers_written(conn, study_id, stamp)


def _add_sheet(
    conn: Connection,
    team_row: Any,
    name: str,
    person_id: str | None,
    answers: dict[str, Answer],
    by: str,
) -> str:
    """A rater's new sheet (a study of the team study's rubric and program, `team_of` it)
    holding `answers`, with their history; its id."""
    from selfstudy.edges.storage.database import _insert_studies, _study_of

    study = _study_of(team_row, answers)
    [sheet_id] = _insert_studies(conn, [study], [team_row.program_ref], by, [None])
    conn.execute(
        update(studies_table).where(studies_table.c.id == sheet_id).values(team_of=team_row.id)
    )
    conn.execute(
        insert(raters_table).values(
            sheet_id=sheet_id,
            study_id=team_row.id,
            name=name,
            name_key=normal_name(name),
            person_id=person_id,
            added_at=now(),
            added_by=by,
        )
    )
    _note(conn, team_row.id, f"rater added: {name}", by)
    return sheet_id


def _note(conn: Connection, study_id: str, what: str, by: str) -> None:
    """A team step in the study's history (item `@team`), so who did what, when, is kept."""
    conn.execute(
        insert(changes_table).values(
            study_id=study_id,
            item_id=TEAM_ENTRY,
            field="team",
            old="null",
            new=_json(what),
            revision=0,
            accepted=1,
            changed_at=now(),
            changed_by=by,
        )
    )


TEAM_ENTRY = "@team"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rater_name(name: str) -> str:
    """A rater's name with its spacing tidied; refused when blank or holding a control
    character (a name is shown on pages and printed in terminals)."""
    tidy = " ".join(name.split())
    if not tidy:
        raise _step("The rater's name", "a rater needs a name; type the rater's name")
    if any(unicodedata.category(c).startswith("C") for c in tidy):
        raise ProblemsFound(
            [
                Problem(
                    "bad-rater-name",
                    "The rater's name",
                    "the name holds a control character (invisible, often pasted by "
                    "accident); type the name again",
                )
            ]
        )
    return tidy


def _step(where: str, why: str) -> ProblemsFound:
    return ProblemsFound([Problem("team-step", where, why)])


def _not_a_team() -> ProblemsFound:
    return ProblemsFound(
        [
            Problem(
                "not-a-team",
                "This self-study",
                "it is not a team self-study; make it one first",
            )
        ]
    )
