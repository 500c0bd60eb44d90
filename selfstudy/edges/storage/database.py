"""Where self-studies live between visits: SQLite by default, PostgreSQL by URL.

Every answer is its own row, and each of its fields (the value, the evidence,
the notes) changes on its own. A writer sends the fields it changed and the
revision of the item it last saw; a field that someone else changed since
then is refused with `StaleEdit` (nothing is written), while a change to
another field of the same item goes through. A save that changes nothing
writes nothing. Every change, and every refused edit, is kept in the history,
from which any earlier value can be restored; a deleted study is kept out of
sight until it is restored or purged.

The schema is created and migrated by `Storage` itself (see `schema`); any
failure of the database is one `DatabaseError` line (see `errors`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from selfstudy.core.access import (
    Action,
    Actor,
    Identity,
    NoAccess,
    Role,
    normal_name,
    program_key,
)
from selfstudy.core.problems import Problem, ProblemsFound, quoted
from selfstudy.core.study import (
    Answer,
    Program,
    RubricRef,
    SelfStudy,
    checked_texts,
    is_answered,
    program_from_data,
)
from selfstudy.edges.storage import people
from selfstudy.edges.storage.connection import database_url, make_engine, timeouts
from selfstudy.edges.storage.errors import database_error
from selfstudy.edges.storage.improvement import ImprovementRecords
from selfstudy.edges.storage.people import AccessEntry, ProgramSummary
from selfstudy.edges.storage.schema import (
    FIELDS,
    PROGRAM_ENTRY,
    RECORD,
    STUDY_ENTRY,
    UNIT,
    add_cohort,
    add_cohorts,
    answers_table,
    change_values,
    changes_table,
    consensus_table,
    insert_rows,
    json_text,
    migrate,
    migrations_table,
    new_id,
    now,
    pack_answer_values,
    pending_migrations,
    program_cohorts_table,
    programs_table,
    raters_table,
    settings_table,
    studies_table,
    sync_bases_table,
    teams_table,
)
from selfstudy.edges.storage.teams import SHEET, TeamStudies

if TYPE_CHECKING:
    from selfstudy.core.cohorts.columns import StudyColumns

# a study's columns as lists read them: its packed answer values are for comparisons alone
_STUDY_FIELDS = tuple(c for c in studies_table.c if c.name != "answer_values")
Seen = int | None | Mapping[str, int | None]  # the item revision a writer saw, or one per field


class StudyNotFound(KeyError):
    """No self-study has this id (it was never created, or was deleted)."""

    def __init__(self, study_id: str):
        super().__init__(study_id)
        self.study_id = study_id

    def __str__(self) -> str:
        return f"no self-study with id {self.study_id!r}; it may have been deleted"


@dataclass(frozen=True)
class NewerAnswer:
    """An answer field someone else saved after this writer last saw it."""

    item_id: str
    answer: Answer | None  # what is stored now (None: nothing stored)
    revision: int | None
    updated_at: datetime | None
    field: str = "value"  # the field that was refused
    mine: Any = None  # what this writer tried to save in it (kept in the history too)
    updated_by: str = ""


class StaleEdit(Exception):
    """A write based on an out-of-date revision; nothing was written."""

    def __init__(self, conflicts: list[NewerAnswer]):
        self.conflicts = conflicts
        first = conflicts[0]
        self.item_id = first.item_id
        self.answer = first.answer
        self.revision = first.revision
        self.updated_at = first.updated_at
        self.field = first.field
        names = ", ".join(dict.fromkeys(c.item_id for c in conflicts))
        super().__init__(f"changed by someone else since you loaded it: {names}")


@dataclass(frozen=True)
class StoredStudy:
    id: str
    study: SelfStudy
    revisions: dict[str, int]
    updated_at: datetime
    answer_times: dict[str, datetime]
    field_revisions: dict[str, dict[str, int]]  # item -> field -> item revision it changed at
    program_id: str | None = None  # the program that owns it


@dataclass(frozen=True)
class StudySummary:
    id: str
    name: str
    organization: str | None
    cohort: str | None
    round: str | None
    rubric_id: str
    rubric_version: str
    updated_at: datetime
    answered: int
    deleted_at: datetime | None = None
    program_id: str | None = None  # the program that owns it


@dataclass(frozen=True)
class Change:
    """One entry of a study's history: a field's old and new value, when and by whom."""

    id: int
    study_id: str
    item_id: str  # an item id, or `@program` / `@study`
    field: str
    old: Any
    new: Any
    revision: int
    accepted: bool
    changed_at: datetime
    changed_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "item": self.item_id,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "revision": self.revision,
            "accepted": self.accepted,
            "at": self.changed_at.isoformat(),
            "by": self.changed_by,
        }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _reporting_failures(cls: type[Storage]) -> type[Storage]:
    """Every public method of `cls` (and its constructor) raises any failure of the
    database as one `DatabaseError`, never SQLAlchemy's or the driver's own text."""

    def reporting(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def run(self: Storage, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except SQLAlchemyError as exc:
                raise database_error(exc, self.url, self.timeouts) from None

        return run

    for base in reversed(cls.__mro__[:-1]):  # its own methods and its mixins'
        for name, member in list(vars(base).items()):
            if callable(member) and (name == "__init__" or not name.startswith("_")):
                setattr(cls, name, reporting(member))
    return cls


_LIVE = studies_table.c.deleted_at.is_(None)
# a study in its own right: not a rater's sheet of a team study (`teams`)
_OWN = studies_table.c.team_of.is_(None)
_LISTED = and_(_LIVE, _OWN)
PSEUDONYM_SETTING = "pseudonym_secret"
THIS_STUDY = "This self-study"
_IN_CHUNK = 500  # values in one `IN (...)` list
_json = json_text  # `schema.json_text`: one encoder for every value written


@_reporting_failures
class Storage(TeamStudies, ImprovementRecords):
    """Self-studies in a database; creates and migrates its schema on first use.

    Every operation is done for its `actor` and checked against their access
    (`core.access`): a study they may not read raises `NoAccess` and shows nothing
    of itself, and every list holds only what they may see. Without an actor, the
    storage acts for the machine's own user, who may do everything (the app without
    sign-in, and the command line on the server); `acting_as` gives the same
    database for someone else. Any failure of the database is raised as a
    `DatabaseError` (see `errors`).
    """

    def __init__(self, url: str | None = None, actor: Actor | None = None):
        self.actor = actor or Actor.local()
        self.url = url or database_url()
        self.timeouts = timeouts()
        self.engine = make_engine(self.url, self.timeouts)
        with self.engine.connect() as conn:
            behind = bool(pending_migrations(conn))
        if behind:
            with self.engine.begin() as conn:
                migrate(conn)

    def acting_as(self, actor: Actor) -> Storage:
        """This database, with every operation done for (and checked against) `actor`."""
        scoped = copy.copy(self)
        scoped.actor = actor
        return scoped

    def applied_migrations(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.scalars(select(migrations_table.c.name)))

    # --- studies ----------------------------------------------------------------------

    def create_study(
        self,
        study: SelfStudy,
        by: str = "",
        creation_key: str | None = None,
        program_id: str | None = None,
    ) -> str:
        """Store a new self-study with its answers; returns its new url-safe id.

        It belongs to the program `program_id`, or else to the program its details name
        (by program id, else by name, as `core.access.program_key` matches them); a
        program that does not exist yet is added, by a network admin only. The actor
        must be allowed to begin self-studies in that program.

        With a `creation_key` (one per form shown), creating again with the same
        key returns the study made the first time: a double click makes one study.
        """
        key = self._keyed([creation_key])[0]
        if key is not None and (found := self._created_with([key]).get(key)):
            return found
        try:
            return self._create([study], by, program_id, [key])[0]
        except StudiesRefused as refused:
            raise refused.refused[0] from None  # one study: its own refusal, as it was
        except IntegrityError:
            if key is not None and (found := self._created_with([key]).get(key)):
                return found  # the same form, submitted twice at the same moment
            raise

    def create_studies(
        self,
        studies: Sequence[SelfStudy],
        by: str = "",
        program_id: str | None = None,
        creation_keys: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Store many new self-studies in one transaction, all or none; their new ids, in order.

        Each goes through every check `create_study` makes (the same rule, `_owners`):
        the program it goes to, the actor's access there, details that name another
        program. When any study is refused, nothing is written and `StudiesRefused`
        holds each refusal by the study's position; a refusal of them all (the program
        `program_id` is unknown, or the actor may not begin studies in it) is raised as
        it is. Answers and their history are written with one statement each, so a
        bulk import costs one transaction, not one per study.

        `creation_keys`, one per study (None: none for it), work as `create_study`'s: a
        study whose key this person already stored is not stored again and its id is
        returned, so saving a batch again after an interruption stores nothing twice.
        """
        studies = list(studies)
        if not studies:
            return []
        keys = self._keyed(creation_keys or [None] * len(studies))
        if len(keys) != len(studies):
            raise ValueError("one creation key per study")
        for attempt in range(2):
            found = self._created_with([k for k in keys if k is not None])
            ids: list[str | None] = [found.get(k) if k is not None else None for k in keys]
            todo = [n for n, study_id in enumerate(ids) if study_id is None]
            try:
                made = self._create(
                    [studies[n] for n in todo], by, program_id, [keys[n] for n in todo]
                )
            except StudiesRefused as refused:  # by position among those stored now
                raise StudiesRefused(
                    {todo[k]: r for k, r in refused.refused.items()}, studies
                ) from None
            except IntegrityError:
                if attempt == 1 or not any(keys[n] for n in todo):
                    raise
                continue  # the same batch saved at the same moment: its studies are found now
            for n, study_id in zip(todo, made, strict=True):
                ids[n] = study_id
            return [study_id for study_id in ids if study_id is not None]
        raise AssertionError("unreachable")

    def creation_refusals(
        self, studies: Sequence[SelfStudy], program_id: str | None = None
    ) -> dict[int, ProblemsFound]:
        """What `create_studies` would refuse of these studies, by position, written nowhere.

        The same rule (`_owners`), its checks only (the programs and cohorts it would add
        are not), in a transaction that is rolled back, so a bulk import can report each
        refused copy where it is and save the others before it writes anything; a refusal
        of them all (see `create_studies`) is raised as it is. Each batch `create_studies`
        then writes is checked again as it is written, by someone else's changes since too.
        """
        studies = list(studies)
        if not studies:
            return {}
        with self.engine.connect() as conn:
            try:
                self._owners(conn, studies, program_id, self.actor.label, add=False)
            except StudiesRefused as refused:
                return refused.refused
            finally:
                conn.rollback()
        return {}

    def _keyed(self, keys: Sequence[str | None]) -> list[str | None]:
        """Creation keys namespaced by person: another's key, however alike, never finds
        their study."""
        person = self.actor.person_id or "local"
        return [None if k is None else f"{person}:{k}"[:100] for k in keys]

    def _create(
        self,
        studies: list[SelfStudy],
        by: str,
        program_id: str | None,
        creation_keys: Sequence[str | None] | None = None,
    ) -> list[str]:
        if not studies:
            return []
        by = by or self.actor.label
        keys = list(creation_keys or [None] * len(studies))
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    owners = self._owners(conn, studies, program_id, by)
                    return _insert_studies(conn, studies, owners, by, keys)
            except IntegrityError:
                # someone added one of these programs at the same moment: it is found now
                if attempt == 1 or program_id is not None:
                    raise
                if not any(self._program_id(study) for study in studies):
                    raise
        raise AssertionError("unreachable")

    def _program_id(self, study: SelfStudy) -> str | None:
        key = program_key(study.program.id, study.program.name)
        with self.engine.connect() as conn:
            return conn.scalar(select(programs_table.c.id).where(programs_table.c.key == key))

    def _owners(
        self,
        conn: Connection,
        studies: Sequence[SelfStudy],
        program_id: str | None,
        by: str,
        add: bool = True,
    ) -> list[str]:
        """The program each new study goes to, every study checked: the one rule of
        `create_study` and `create_studies`.

        A study holding a NUL character in any text is refused first, on every database
        alike (PostgreSQL cannot store one, and SQLite would keep what no export can
        write); the others go through `_program_owners`. All refusals are raised together.
        With `add` False the studies are only checked: the new programs they go to (each
        given its id all the same) and their cohorts are not added, which no check reads.
        """
        nul = {n: refusal for n, study in enumerate(studies) if (refusal := _nul_refusal(study))}
        rest = [n for n in range(len(studies)) if n not in nul]
        refused: dict[int, ProblemsFound] = dict(nul)
        owners: list[str] = []
        if rest:
            try:
                owners = self._program_owners(conn, [studies[n] for n in rest], program_id, by, add)
            except StudiesRefused as others:
                refused.update({rest[k]: r for k, r in others.refused.items()})
        if refused:
            raise StudiesRefused(dict(sorted(refused.items())), studies)
        return owners

    def _program_owners(
        self,
        conn: Connection,
        studies: Sequence[SelfStudy],
        program_id: str | None,
        by: str,
        add: bool = True,
    ) -> list[str]:
        """The program each new study of these details goes to, checked for the actor.

        To `program_id`, when given: it must exist, the actor may begin studies in it, and
        no study's details may name another program. Else to the program its details name,
        which a network admin adds when it is new. A program member begins studies in
        their own programs. A facilitator begins them through their cohorts
        (`core.access`): in a program of one of them, or in a new program whose details name
        one (it is added, in that cohort); and whatever the program, a study whose details
        name a cohort they do not facilitate is refused, since storing it would add its
        program to that cohort. The programs are looked up once for all the studies, and a
        program added for one of them is the program of the next that names it.
        """
        actor = self._now(conn)
        if program_id is not None:
            if not conn.scalar(
                select(programs_table.c.id).where(programs_table.c.id == program_id)
            ):
                raise _unknown_program(program_id)
            self._require(conn, Action.CREATE, program_id, "This program")
            taken = _details_of_other_programs(conn, [(program_id, s.program) for s in studies])
            refused = {n: _another_program() for n in taken}
            if not _as_member(actor, program_id):
                for n, study in enumerate(studies):
                    if n not in refused and (refusal := _other_cohort(actor, study)):
                        refused[n] = refusal
            if refused:
                raise StudiesRefused(dict(sorted(refused.items())), studies)
            if add:
                add_cohorts(conn, ((program_id, study.program.cohort) for study in studies))
            return [program_id] * len(studies)
        keys = [program_key(study.program.id, study.program.name) for study in studies]
        by_key = _programs_by_key(conn, keys)
        cohorts_of = (
            _cohorts_of(conn, by_key.values()) if actor.cohorts and not actor.is_admin else {}
        )
        named: dict[str, list[str]] | None = None  # read when a study without an id needs it
        owners: list[str] = []
        refused: dict[int, ProblemsFound] = {}
        cohorts: dict[tuple[str, str | None], None] = {}
        added: list[tuple[Any, ...]] = []  # the new programs, added in one statement
        for n, (study, key) in enumerate(zip(studies, keys, strict=True)):
            found = by_key.get(key)
            same: list[str] = []
            if found is None and (not actor.is_admin or not (study.program.id or "").strip()):
                if named is None:  # the stored programs, and those added for studies before
                    named = _program_names(conn)
                    for row in added:
                        named.setdefault(normal_name(row[2]), []).append(row[0])
                same = named.get(normal_name(study.program.name), [])
                if not (study.program.id or "").strip():
                    found = same[0] if len(same) == 1 else None  # an admin typing its name
            if not actor.is_admin and actor.cohorts:
                # the cohorts of a program found by its name, or of those holding its name
                wanted = [p for p in (found, *same) if p is not None and p not in cohorts_of]
                cohorts_of.update(_cohorts_of(conn, wanted))
            if not actor.is_admin and (
                refusal := _creation_refusal(actor, study, found, cohorts_of, same)
            ):
                refused[n] = refusal
                continue
            if found is None:
                added.append(_program_row(study.program, key, by))
                found = by_key[key] = added[-1][0]
                if named is not None:
                    named.setdefault(normal_name(study.program.name), []).append(found)
            owners.append(found)
            cohorts[found, study.program.cohort] = None
            if study.program.cohort and normal_name(study.program.cohort):
                cohorts_of.setdefault(found, set()).add(normal_name(study.program.cohort))
        if refused:
            raise StudiesRefused(refused, studies)
        if add:  # after every check: none reads them
            insert_rows(conn, programs_table, _PROGRAM_COLUMNS, added)
            add_cohorts(conn, cohorts)
        return owners

    def _created_with(self, creation_keys: Sequence[str]) -> dict[str, str]:
        """The live study made with each of these keys, by key; a deleted one gives its
        key up."""
        found: dict[str, str] = {}
        if not creation_keys:
            return found
        wanted = sorted(set(creation_keys))
        with self.engine.begin() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                rows = conn.execute(
                    select(
                        studies_table.c.id,
                        studies_table.c.creation_key,
                        studies_table.c.deleted_at,
                    ).where(studies_table.c.creation_key.in_(wanted[start : start + _IN_CHUNK]))
                ).all()
                for row in rows:
                    if row.deleted_at is None:
                        found[row.creation_key] = row.id
                        continue
                    conn.execute(
                        update(studies_table)
                        .where(studies_table.c.id == row.id)
                        .values(creation_key=None)
                    )
        return found

    def get_study(self, study_id: str) -> StoredStudy:
        with self.engine.connect() as conn:
            row = self._checked(conn, Action.READ, study_id)
            answers = conn.execute(
                select(answers_table).where(answers_table.c.study_id == study_id)
            ).all()
        return _stored_study(row, answers)

    def all_studies(self) -> list[tuple[str, SelfStudy]]:
        """Every stored self-study, oldest first (what a cohort comparison reads).

        Built for many studies at once: the stored values are decoded in one JSON
        call and the per-item revisions and times `get_study` needs are not read.
        """
        columns = answers_table.c
        with self.engine.connect() as conn:
            visible = self._scope(conn, Action.COMPARE, studies_table.c.program_ref)
            rows = conn.execute(
                select(*_STUDY_FIELDS).where(_LISTED, visible).order_by(studies_table.c.created_at)
            ).all()
            query = select(
                columns.study_id, columns.item_id, columns.value, columns.evidence, columns.notes
            )
            if not self._now(conn).is_admin:
                query = query.where(
                    columns.study_id.in_(select(studies_table.c.id).where(_LISTED, visible))
                )
            answers = conn.execute(query).all()
        values = json.loads("[" + ",".join(answer.value for answer in answers) + "]")
        by_study: dict[str, dict[str, Answer]] = {row.id: {} for row in rows}
        for answer_row, value in zip(answers, values, strict=True):
            if answer_row.study_id not in by_study:
                continue  # a deleted study's answers
            answer = Answer(value=value, evidence=answer_row.evidence, notes=answer_row.notes)
            if not _is_blank(answer):
                by_study[answer_row.study_id][answer_row.item_id] = answer
        return [(row.id, _study_of(row, by_study[row.id])) for row in rows]

    def rubric_ids(self) -> list[str]:
        """The rubrics of the studies the actor may compare, by id."""
        with self.engine.connect() as conn:
            visible = self._scope(conn, Action.COMPARE, studies_table.c.program_ref)
            return sorted(
                conn.scalars(select(studies_table.c.rubric_id).where(_LISTED, visible).distinct())
            )

    def study_columns(self, rubric_id: str) -> StudyColumns:
        """The studies of one rubric the actor may compare, oldest first, as columns: what
        a cohort comparison reads (`core.cohorts.columns`), in bulk (`columns`)."""
        from selfstudy.edges.storage.columns import read_study_columns  # numpy, pandas

        with self.engine.connect() as conn:
            visible = self._scope(conn, Action.COMPARE, studies_table.c.program_ref)
            return read_study_columns(
                conn, _LISTED, visible, studies_table.c.rubric_id == rubric_id
            )

    def fingerprint(self) -> tuple[int, datetime | None, int, str]:
        """How many studies there are, when the latest was edited, the number of the latest
        change in the history and, for anyone but an admin, a digest of which studies the
        actor may see: cheap queries.

        It changes whenever a study is created, deleted, restored, renamed or has
        an answer changed (a change touches the study's `updated_at` and adds to the
        history), so it can key a cache of `all_studies`: also when another app server,
        whose clock may be behind, made the change.
        """
        with self.engine.connect() as conn:
            visible = self._scope(conn, Action.READ, studies_table.c.program_ref)
            count, latest = conn.execute(
                select(func.count(), func.max(studies_table.c.updated_at))
                .select_from(studies_table)
                .where(_LIVE, visible)
            ).one()
            last_change = conn.scalar(select(func.max(changes_table.c.id))) or 0
            seen = ""
            if not self._now(conn).is_admin:  # which studies, as access and cohorts change
                ids = conn.scalars(
                    select(studies_table.c.id).where(_LIVE, visible).order_by(studies_table.c.id)
                )
                seen = hashlib.sha256("\n".join(ids).encode()).hexdigest()
        return int(count), _time(latest) if latest else None, int(last_change), seen

    def study_programs(self, rubric_ids: Iterable[str]) -> list[tuple[str, SelfStudy]]:
        """Every live study of these rubrics the actor may read, most recently edited first,
        with its program details and none of its answers: what finding the stored round of
        a copy needs (`workflows.imports.existing_matches`), one query for any number of
        copies, however many answers are stored."""
        columns = studies_table.c
        with self.engine.connect() as conn:
            visible = self._scope(conn, Action.READ, columns.program_ref)
            rows = conn.execute(
                select(columns.id, columns.rubric_id, columns.rubric_version, columns.program)
                .where(_LISTED, visible, columns.rubric_id.in_(sorted(set(rubric_ids))))
                .order_by(columns.updated_at.desc())
            ).all()
        return [(row.id, _study_of(row, {})) for row in rows]

    def list_studies(self) -> list[StudySummary]:
        """A summary of every stored self-study, most recently edited first."""
        return self._summaries(deleted=False)

    def deleted_studies(self) -> list[StudySummary]:
        """The deleted self-studies that can still be restored, most recently deleted first."""
        return self._summaries(deleted=True)

    def _summaries(self, deleted: bool) -> list[StudySummary]:
        answered = (
            select(answers_table.c.study_id, func.sum(answers_table.c.answered).label("answered"))
            .group_by(answers_table.c.study_id)
            .subquery()
        )
        order = studies_table.c.deleted_at if deleted else studies_table.c.updated_at
        with self.engine.connect() as conn:
            action = Action.DELETE if deleted else Action.READ
            query = (
                select(*_STUDY_FIELDS, answered.c.answered)
                .outerjoin(answered, answered.c.study_id == studies_table.c.id)
                .where(
                    ~_LIVE if deleted else _LIVE,
                    _OWN,
                    self._scope(conn, action, studies_table.c.program_ref),
                )
                .order_by(order.desc())
            )
            rows = conn.execute(query).all()
        return [_summary_of(row) for row in rows]

    def update_program(
        self, study_id: str, program: Program, by: str = "", shown: Program | None = None
    ) -> None:
        """Change a study's program details.

        With `shown` (the details as the person's form showed them), only the details
        the person changed are written over what is stored now, so a colleague's change
        to another detail in the meantime is kept.
        """
        by = by or self.actor.label
        with self.engine.begin() as conn:
            old = self._lock_study(conn, study_id, team_writes=False)
            _write_program(conn, old, program, shown, now(), by)

    def delete_study(self, study_id: str, by: str = "") -> None:
        """Move a study out of sight; `restore_study` brings it back with every answer."""
        self._set_deleted(study_id, deleted=True, by=by)

    def restore_study(self, study_id: str, by: str = "") -> None:
        """Bring back a deleted study, as it was."""
        self._set_deleted(study_id, deleted=False, by=by)

    def _set_deleted(self, study_id: str, deleted: bool, by: str) -> None:
        stamp = now()
        by = by or self.actor.label
        with self.engine.begin() as conn:
            self._checked(conn, Action.DELETE, study_id, deleted_too=True)
            done = conn.execute(
                update(studies_table)
                .where(studies_table.c.id == study_id, _LIVE if deleted else ~_LIVE)
                .values(deleted_at=stamp if deleted else None, updated_at=stamp)
            )
            if done.rowcount == 0:
                raise StudyNotFound(study_id)
            conn.execute(
                insert(changes_table).values(
                    _change_row(
                        study_id, STUDY_ENTRY, "deleted", not deleted, deleted, 0, stamp, by
                    )
                )
            )

    def purge_deleted(self, older_than: timedelta = timedelta(days=30)) -> list[str]:
        """Remove for good the studies deleted longer ago than `older_than`; their ids."""
        cutoff = (datetime.fromisoformat(now()) - older_than).isoformat(timespec="microseconds")
        self._require_admin("Removing deleted self-studies for good")
        with self.engine.begin() as conn:
            ids = list(
                conn.scalars(
                    select(studies_table.c.id).where(~_LIVE, studies_table.c.deleted_at < cutoff)
                )
            )
            purged = list(ids)
            # a team study's raters' sheets and its team go with it
            for start in range(0, len(purged), _IN_CHUNK):
                part = purged[start : start + _IN_CHUNK]
                ids += conn.scalars(
                    select(studies_table.c.id).where(studies_table.c.team_of.in_(part))
                )
                conn.execute(delete(raters_table).where(raters_table.c.study_id.in_(part)))
                conn.execute(delete(teams_table).where(teams_table.c.study_id.in_(part)))
                conn.execute(delete(consensus_table).where(consensus_table.c.study_id.in_(part)))
            for table in (answers_table, sync_bases_table, changes_table):
                conn.execute(delete(table).where(table.c.study_id.in_(ids)))
            conn.execute(delete(studies_table).where(studies_table.c.id.in_(ids)))
        return purged

    # --- answers ----------------------------------------------------------------------

    def save_answer(
        self, study_id: str, item_id: str, answer: Answer, seen_revision: Seen, by: str = ""
    ) -> int:
        """Save one whole answer (every field); returns the item's revision after it.

        `seen_revision` is the item revision this writer last saw (None: it saw no
        answer). Raises `StaleEdit` with what is stored now when a field this
        save changes was changed by someone else since, and writes nothing.
        """
        return self.save_answers(study_id, {item_id: answer}, {item_id: seen_revision}, by)[item_id]

    def save_field(
        self, study_id: str, item_id: str, field: str, value: Any, seen: int | None, by: str = ""
    ) -> int:
        """Save one field of an answer (`value`, `evidence` or `notes`); the item's revision.

        Only that field is compared: someone else's change to another field of the
        item never refuses this one. Saving what is already stored writes nothing.
        """
        return self._save(study_id, {item_id: {field: value}}, {item_id: seen}, by)[item_id]

    def save_answers(
        self,
        study_id: str,
        changes: Mapping[str, Answer],
        seen: Mapping[str, Seen],
        by: str = "",
        program: Program | None = None,
        shown: Program | None = None,
    ) -> dict[str, int]:
        """Save several whole answers at once, all or nothing; `StaleEdit` lists every conflict.

        With `program`, the study's program details change in the same transaction, as
        `update_program` changes them (`shown`: the details the changes were made from), so
        an update from a copy is saved whole or not at all.
        """
        fields = {item_id: _fields(answer) for item_id, answer in changes.items()}
        if program is None:
            return self._save(study_id, fields, seen, by)
        by = by or self.actor.label

        def details(conn: Connection) -> None:
            row = conn.execute(select(studies_table).where(studies_table.c.id == study_id)).one()
            _write_program(conn, row, program, shown, now(), by)

        return self._save(study_id, fields, seen, by, also=details)

    def _save(
        self,
        study_id: str,
        changes: Mapping[str, Mapping[str, Any]],
        seen: Mapping[str, Seen],
        by: str,
        also: Callable[[Connection], None] | None = None,
    ) -> dict[str, int]:
        """Save `changes`; `also` writes more in the same transaction (once it succeeds)."""
        by = by or self.actor.label
        # a text over MAX_TEXT_LENGTH is refused, never cut; line breaks are kept as line feeds
        changes = {item_id: checked_texts(item_id, fields) for item_id, fields in changes.items()}
        for attempt in range(3):
            try:
                return self._save_once(study_id, changes, seen, by, also)
            except IntegrityError:
                # Someone inserted an answer this writer believed absent, between our
                # look and our insert: look again (it is then an update, checked as one).
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _save_once(
        self,
        study_id: str,
        changes: Mapping[str, Mapping[str, Any]],
        seen: Mapping[str, Seen],
        by: str,
        also: Callable[[Connection], None] | None = None,
    ) -> dict[str, int]:
        stamp = now()
        try:
            with self.engine.begin() as conn:
                self._lock_study(conn, study_id)
                revisions: dict[str, int] = {}
                refused: list[NewerAnswer] = []
                written = False
                for item_id, fields in changes.items():
                    current = _current_row(conn, study_id, item_id)
                    plan = _plan(current, fields, seen.get(item_id))
                    refused += [
                        _newer(conn, study_id, current, item_id, field, fields[field])
                        for field in plan.conflicts
                    ]
                    revisions[item_id] = plan.revision
                    if plan.to_write and not refused:
                        _write(conn, study_id, item_id, current, plan, stamp, by)
                        written = True
                if refused:
                    raise StaleEdit(refused)  # leaving the block rolls everything back
                if also is not None:
                    also(conn)
                if written:
                    _answers_written(conn, study_id, stamp)
        except StaleEdit as stale:
            self._keep_refused(study_id, stale.conflicts, stamp, by)
            raise
        return revisions

    def _keep_refused(self, study_id: str, refused: list[NewerAnswer], stamp: str, by: str) -> None:
        """Keep every refused edit in the history, so nobody's words are lost."""
        rows = [
            _change_row(
                study_id,
                c.item_id,
                c.field,
                _fields(c.answer or Answer())[c.field],
                c.mine,
                c.revision or 0,
                stamp,
                by,
                accepted=False,
            )
            for c in refused
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(changes_table), rows)

    def _lock_study(self, conn: Connection, study_id: str, team_writes: bool = True) -> Any:
        """The live study's row, locked for this transaction (so writers take turns), once
        the actor is found to be allowed to change it; with `team_writes`, also its answers
        (a team study's are its consensus: `TeamStudies._check_team_writes`)."""
        checked = self._checked(conn, Action.EDIT, study_id)
        if checked.team_of is not None:
            # a rater's sheet: its team study first, as every team step takes it, so a
            # rating and a step such as making the study single again take turns
            conn.execute(
                update(studies_table)
                .where(studies_table.c.id == checked.team_of)
                .values(id=studies_table.c.id)
            )
        done = conn.execute(
            update(studies_table)
            .where(studies_table.c.id == study_id, _LIVE)
            .values(id=studies_table.c.id)
        )
        if done.rowcount == 0:
            raise StudyNotFound(study_id)
        row = conn.execute(select(studies_table).where(studies_table.c.id == study_id)).one()
        if team_writes:
            self._check_team_writes(conn, row)
        return row

    # --- access -----------------------------------------------------------------------

    def _checked(
        self, conn: Connection, action: Action, study_id: str, deleted_too: bool = False
    ) -> Any:
        """The live study's row (or a deleted one's too), when the actor may do `action` to it."""
        query = select(studies_table).where(studies_table.c.id == study_id)
        row = conn.execute(query if deleted_too else query.where(_LIVE)).one_or_none()
        if row is None:
            raise StudyNotFound(study_id)
        self._require(conn, action, row.program_ref, THIS_STUDY)
        if row.team_of is not None:  # a rater's sheet: the team's rules too
            self._check_sheet(conn, action, row)
        return row

    def _now(self, conn: Connection) -> Actor:
        """The actor with the grants they hold now: access taken away holds from the next
        operation, whatever a page or a session remembers of them."""
        if self.actor.person_id is None:
            return self.actor
        return people.actor_of(conn, self.actor.person_id, self.actor.label)

    def _require(self, conn: Connection, action: Action, program_id: str | None, what: str) -> None:
        """Raise `NoAccess` unless the actor may do `action` to the program."""
        actor = self._now(conn)
        if actor.is_admin:
            return
        cohorts: list[str] = []
        if actor.cohorts and program_id is not None:
            cohorts = list(
                conn.scalars(
                    select(program_cohorts_table.c.cohort_key).where(
                        program_cohorts_table.c.program_id == program_id
                    )
                )
            )
        if not actor.may(action, program_id, cohorts):
            raise NoAccess(what)

    def require(self, action: Action, study_id: str) -> None:
        """Raise `NoAccess` (or `StudyNotFound`) unless the actor may do `action` to the study:
        for a workflow to check before it does something outside the database first."""
        with self.engine.connect() as conn:
            self._checked(conn, action, study_id)

    def allows(self, action: Action, study_id: str) -> bool:
        """Whether the actor may do `action` to this live study (for a page to offer it); to
        edit a team study is to record its consensus (`TeamStudies._check_team_writes`)."""
        with self.engine.connect() as conn:
            try:
                row = self._checked(conn, action, study_id)
            except (NoAccess, StudyNotFound):
                return False
            return action is not Action.EDIT or self._team_write_refusal(conn, row) is None

    def _require_admin(self, what: str) -> None:
        with self.engine.connect() as conn:
            if not self._now(conn).is_admin:
                raise NoAccess(what, "only a network admin may do this")

    def _scope(self, conn: Connection, action: Action, program: Any) -> ColumnElement[bool]:
        """A condition on a program id column: the programs the actor may do `action` to."""
        actor = self._now(conn)
        if actor.is_admin:
            return true()
        allowed = []
        if programs := actor.programs_for(action):
            allowed.append(program.in_(sorted(programs)))
        if cohorts := actor.cohorts_for(action):
            allowed.append(
                program.in_(
                    select(program_cohorts_table.c.program_id).where(
                        program_cohorts_table.c.cohort_key.in_(sorted(cohorts))
                    )
                )
            )
        return or_(*allowed) if allowed else false()

    # --- people and programs ----------------------------------------------------------

    def sign_in(self, identity: Identity, admins: frozenset[str] = frozenset()) -> Actor:
        """The signed-in person as an actor with their grants, recorded as the provider
        names them now; a verified email takes up its invitations, and one listed in
        `admins` (`SELFSTUDY_ADMINS`) is a network admin."""
        with self.engine.begin() as conn:
            person_id = people.sign_in(conn, identity, admins)
        return self.actor_of(person_id, identity.label)

    def actor_of(self, person_id: str, label: str) -> Actor:
        """The person with the grants they hold now (their access may have changed)."""
        with self.engine.connect() as conn:
            return people.actor_of(conn, person_id, label)

    def programs(self) -> list[ProgramSummary]:
        """The programs the actor may read, by name: cohorts, live studies, origin."""
        with self.engine.connect() as conn:
            return people.programs(conn, self._scope(conn, Action.READ, programs_table.c.id))

    def programs_to_begin_in(self) -> list[ProgramSummary]:
        """The programs in which the actor may begin a self-study."""
        with self.engine.connect() as conn:
            return people.programs(conn, self._scope(conn, Action.CREATE, programs_table.c.id))

    def add_program(
        self, name: str, organization: str | None = None, cohorts: Iterable[str] = ()
    ) -> str:
        """Add a program (network admins); its id. A program of the same name is that one."""
        self._require_admin("Adding a program")
        details = program_from_data({"name": name, "organization": organization or None})
        key = program_key(None, details.name)
        with self.engine.begin() as conn:
            found = _program_named(conn, details.name)
            if found is None:
                found = _add_program(conn, details, key, self.actor.label)
            for cohort in cohorts:
                add_cohort(conn, found, cohort)
        return found

    def set_cohort(self, program_id: str, cohort: str, member: bool = True) -> None:
        """Put a program in a cohort, or take it out (network admins)."""
        self._require_admin("Changing a program's cohorts")
        with self.engine.begin() as conn:
            if member:
                add_cohort(conn, program_id, cohort)
            else:
                conn.execute(
                    delete(program_cohorts_table).where(
                        program_cohorts_table.c.program_id == program_id,
                        program_cohorts_table.c.cohort_key == normal_name(cohort),
                    )
                )

    def access(self) -> list[AccessEntry]:
        """Who has access to what: for admins everyone (and whoever signed in without any
        access); for a program member, the people of the programs they may invite to."""
        with self.engine.connect() as conn:
            actor = self._now(conn)
            if actor.is_admin:
                return people.access_entries(conn, None)
            return people.access_entries(conn, actor.programs_for(Action.INVITE))

    def invite(
        self,
        email: str,
        role: str,
        program_id: str | None = None,
        cohort: str | None = None,
    ) -> int:
        """Give whoever signs in with `email` a role in a program or cohort; the grant's id.

        Network admins may give any role; a program member may invite members and viewers
        to their own program.
        """
        email = people.checked_email(email)
        grant = people.checked_grant(role, program_id, cohort)
        with self.engine.begin() as conn:
            if not self._now(conn).may_grant(grant):
                raise NoAccess("Inviting people with that role", "only a network admin may")
            if program_id is not None and not conn.scalar(
                select(programs_table.c.id).where(programs_table.c.id == program_id)
            ):
                raise _unknown_program(program_id)
            return people.invite(conn, email, grant, cohort, self.actor.label)

    def remove_access(self, grant_id: int) -> None:
        """Take a grant (or an invitation) away; it is kept in the database as removed."""
        with self.engine.begin() as conn:
            row = people.grant_row(conn, grant_id)
            if row is None or not self._now(conn).may_grant(people.grant_of(row)):
                raise NoAccess("Removing that access", "only a network admin may")
            if row.role == Role.ADMIN and people.admins(conn) <= 1:
                raise ProblemsFound(
                    [
                        Problem(
                            "last-admin",
                            "access",
                            "this is the network's last admin: make someone else a network "
                            "admin first, so somebody can still manage people",
                        )
                    ]
                )
            people.remove(conn, grant_id, self.actor.label)

    def pseudonym_secret(self) -> str:
        """The database's own secret for pseudonyms, made at random on first use."""
        with self.engine.begin() as conn:
            stored = conn.scalar(
                select(settings_table.c.value).where(settings_table.c.name == PSEUDONYM_SETTING)
            )
            if stored is not None:
                return stored
        try:
            with self.engine.begin() as conn:
                made = secrets.token_urlsafe(32)
                conn.execute(
                    insert(settings_table).values(
                        name=PSEUDONYM_SETTING, value=made, updated_at=now()
                    )
                )
                return made
        except IntegrityError:  # another server made it at the same moment: theirs holds
            return self.pseudonym_secret()

    def rotate_pseudonym_secret(self) -> None:
        """A new random pseudonym secret (network admins): every pseudonym changes."""
        self._require_admin("Changing the pseudonym secret")
        self.pseudonym_secret()
        with self.engine.begin() as conn:
            conn.execute(
                update(settings_table)
                .where(settings_table.c.name == PSEUDONYM_SETTING)
                .values(value=secrets.token_urlsafe(32), updated_at=now())
            )

    # --- history ----------------------------------------------------------------------

    def history(self, study_id: str, item_id: str | None = None) -> list[Change]:
        """The changes of a study (or one item of it), newest first, refused edits included."""
        query = select(changes_table).where(changes_table.c.study_id == study_id)
        if item_id is not None:
            query = query.where(changes_table.c.item_id == item_id)
        with self.engine.connect() as conn:
            row = self._checked(conn, Action.READ, study_id, deleted_too=True)
            if row.deleted_at is not None:  # only who may bring it back sees a deleted one
                self._require(conn, Action.DELETE, row.program_ref, THIS_STUDY)
            rows = conn.execute(query.order_by(changes_table.c.id.desc())).all()
        return [_change_of(row) for row in rows]

    def restore_value(self, study_id: str, change_id: int, by: str = "", seen: Seen = None) -> int:
        """Put back the value a history entry gave its field (a refused one: the text tried).

        The restore is itself a new change, kept in the history; the item's revision after it.
        `seen` is the revision at which the restorer last saw the field (or the item's
        fields, field by field): someone's change since is refused (`StaleEdit`) as with
        any save. Without it, the value now stored is the one the restorer replaces.
        """
        with self.engine.connect() as conn:
            self._checked(conn, Action.EDIT, study_id)
            row = conn.execute(
                select(changes_table).where(
                    changes_table.c.id == change_id, changes_table.c.study_id == study_id
                )
            ).one_or_none()
        if row is None or row.field not in FIELDS:
            raise KeyError(f"no answer change {change_id} in self-study {study_id!r}")
        change = _change_of(row)
        if seen is None:
            seen = (
                self.get_study(study_id).field_revisions.get(change.item_id, {}).get(change.field)
            )
        changes = {change.item_id: {change.field: change.new}}
        return self._save(study_id, changes, {change.item_id: seen}, by)[change.item_id]

    # --- sync bases (what was last pushed to / pulled from an outside copy) -------------

    def get_sync_base(self, study_id: str, target: str) -> dict | None:
        with self.engine.connect() as conn:
            self._checked(conn, Action.READ, study_id)
            text = conn.scalar(
                select(sync_bases_table.c.snapshot).where(
                    sync_bases_table.c.study_id == study_id, sync_bases_table.c.target == target
                )
            )
        return None if text is None else json.loads(text)

    def set_sync_base(self, study_id: str, target: str, snapshot: dict) -> None:
        values = {"snapshot": json.dumps(snapshot, ensure_ascii=False), "updated_at": now()}
        with self.engine.begin() as conn:
            if self._checked(conn, Action.EDIT, study_id).team_of is not None:
                raise NoAccess(SHEET, "a rater's sheet is not synced; sync the self-study")
            done = conn.execute(
                update(sync_bases_table)
                .where(sync_bases_table.c.study_id == study_id, sync_bases_table.c.target == target)
                .values(**values)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(sync_bases_table).values(study_id=study_id, target=target, **values)
                )


# --- one item's fields ----------------------------------------------------------------------


@dataclass
class _Plan:
    revision: int  # the item's revision after the save
    to_write: dict[str, Any]  # the fields that change
    conflicts: list[str]  # the fields someone else changed since this writer looked


def _plan(current: Any, fields: Mapping[str, Any], seen: Seen) -> _Plan:
    """What saving `fields` over the `current` row means: what to write, what conflicts."""
    stored = _fields(_answer_of(current)) if current is not None else _fields(Answer())
    revision = current.revision if current is not None else 0
    to_write: dict[str, Any] = {}
    conflicts: list[str] = []
    for field, new in fields.items():
        if _same(new, stored[field]):
            continue  # nothing to save, and nothing to refuse
        saw = seen.get(field) if isinstance(seen, Mapping) else seen
        changed_at = getattr(current, f"{field}_changed", 0) if current is not None else 0
        if changed_at > (saw or 0):
            conflicts.append(field)
        else:
            to_write[field] = new
    return _Plan(revision + 1 if to_write else revision, to_write, conflicts)


def _same(new: Any, stored: Any) -> bool:
    blank = (None, "")
    if new in blank and stored in blank:
        return True
    numbers = (int, float)
    if isinstance(new, numbers) and isinstance(stored, numbers):
        both_bool = isinstance(new, bool) and isinstance(stored, bool)
        no_bool = not isinstance(new, bool) and not isinstance(stored, bool)
        return (both_bool or no_bool) and new == stored  # 3 and 3.0 are one rating
    return type(new) is type(stored) and new == stored


def _write(
    conn: Connection, study_id: str, item_id: str, current: Any, plan: _Plan, stamp: str, by: str
) -> None:
    stored = _fields(_answer_of(current)) if current is not None else _fields(Answer())
    merged = {**stored, **plan.to_write}
    answer = Answer(
        value=merged["value"], evidence=merged["evidence"] or "", notes=merged["notes"] or ""
    )
    row = _answer_row(study_id, item_id, answer, plan.revision, stamp)
    for field in FIELDS:
        if field in plan.to_write:
            row[f"{field}_changed"] = plan.revision
        else:
            row[f"{field}_changed"] = getattr(current, f"{field}_changed") if current else 0
    if current is None:
        conn.execute(insert(answers_table).values(row))
    else:
        del row["study_id"], row["item_id"]
        conn.execute(
            update(answers_table)
            .where(answers_table.c.study_id == study_id, answers_table.c.item_id == item_id)
            .values(**row)
        )
    conn.execute(
        insert(changes_table),
        [
            _change_row(study_id, item_id, field, stored[field], new, plan.revision, stamp, by)
            for field, new in plan.to_write.items()
        ],
    )


def _answers_written(conn: Connection, study_id: str, stamp: str) -> None:
    """After `_write`s of a study's answers: when it was edited, and its packed values."""
    pack_answer_values(conn, [study_id], updated_at=stamp)


def _fields(answer: Answer) -> dict[str, Any]:
    return {"value": answer.value, "evidence": answer.evidence, "notes": answer.notes}


def _answer_row(study_id: str, item_id: str, answer: Answer, revision: int, stamp: str) -> dict:
    """The row of an answer; each field that holds something is stamped as changed now."""
    fields = _fields(answer)
    return {
        "study_id": study_id,
        "item_id": item_id,
        "value": _json(answer.value),
        "evidence": answer.evidence,
        "notes": answer.notes,
        "answered": int(is_answered(answer.value)),
        "revision": revision,
        "updated_at": stamp,
        **{f"{f}_changed": 0 if fields[f] in (None, "") else revision for f in FIELDS},
    }


def _change_row(
    study_id: str,
    item_id: str,
    field: str,
    old: Any,
    new: Any,
    revision: int,
    stamp: str,
    by: str,
    accepted: bool = True,
) -> dict[str, Any]:
    return {
        "study_id": study_id,
        "item_id": item_id,
        **change_values(field, old, new, revision, stamp, by, accepted),
    }


def _change_of(row: Any) -> Change:
    return Change(
        id=row.id,
        study_id=row.study_id,
        item_id=row.item_id,
        field=row.field,
        old=json.loads(row.old),
        new=json.loads(row.new),
        revision=row.revision,
        accepted=bool(row.accepted),
        changed_at=_time(row.changed_at),
        changed_by=row.changed_by,
    )


def _answer_of(row: Any) -> Answer:
    return Answer(value=json.loads(row.value), evidence=row.evidence, notes=row.notes)


def _is_blank(answer: Answer) -> bool:
    return answer.value is None and not answer.evidence and not answer.notes


def _current_row(conn: Connection, study_id: str, item_id: str) -> Any:
    return conn.execute(
        select(answers_table).where(
            answers_table.c.study_id == study_id, answers_table.c.item_id == item_id
        )
    ).one_or_none()


def _newer(
    conn: Connection, study_id: str, current: Any, item_id: str, field: str, mine: Any
) -> NewerAnswer:
    """What is stored now in a field this writer may not change, and who changed it last."""
    by = conn.scalar(
        select(changes_table.c.changed_by)
        .where(
            changes_table.c.study_id == study_id,
            changes_table.c.item_id == item_id,
            changes_table.c.field == field,
            changes_table.c.accepted == 1,
        )
        .order_by(changes_table.c.id.desc())
        .limit(1)
    )
    return NewerAnswer(
        item_id,
        _answer_of(current),
        current.revision,
        _time(current.updated_at),
        field,
        mine,
        by or "",
    )


def _stored_study(row: Any, answer_rows: Iterable[Any]) -> StoredStudy:
    answers: dict[str, Answer] = {}
    revisions: dict[str, int] = {}
    times: dict[str, datetime] = {}
    fields: dict[str, dict[str, int]] = {}
    for answer_row in answer_rows:
        revisions[answer_row.item_id] = answer_row.revision
        times[answer_row.item_id] = _time(answer_row.updated_at)
        fields[answer_row.item_id] = {f: getattr(answer_row, f"{f}_changed") for f in FIELDS}
        answer = _answer_of(answer_row)
        if not _is_blank(answer):
            answers[answer_row.item_id] = answer
    return StoredStudy(
        row.id,
        _study_of(row, answers),
        revisions,
        _time(row.updated_at),
        times,
        fields,
        row.program_ref,
    )


def _study_of(row: Any, answers: dict[str, Answer]) -> SelfStudy:
    """The self-study of a `studies` row with these (non-blank) answers."""
    return SelfStudy(
        rubric=RubricRef(id=row.rubric_id, version=row.rubric_version),
        program=Program.model_validate_json(row.program),
        answers=answers,
    )


def _summary_of(row: Any) -> StudySummary:
    program = Program.model_validate_json(row.program)
    return StudySummary(
        id=row.id,
        name=program.name,
        organization=program.organization,
        cohort=program.cohort,
        round=program.round,
        rubric_id=row.rubric_id,
        rubric_version=row.rubric_version,
        updated_at=_time(row.updated_at),
        answered=int(row.answered or 0),
        deleted_at=_time(row.deleted_at) if row.deleted_at else None,
        program_id=row.program_ref,
    )


def _program_named(conn: Connection, name: str) -> str | None:
    """The one program whose name is `name` (case and spacing aside), if exactly one is."""
    found = _program_names(conn).get(normal_name(name), [])
    return found[0] if len(found) == 1 else None


def _program_names(conn: Connection) -> dict[str, list[str]]:
    """Every program's id by its name as `normal_name` matches it."""
    names: dict[str, list[str]] = {}
    for row in conn.execute(select(programs_table.c.id, programs_table.c.name)):
        names.setdefault(normal_name(row.name), []).append(row.id)
    return names


def _programs_by_key(conn: Connection, keys: Iterable[str]) -> dict[str, str]:
    """The id of each stored program whose `program_key` is one of `keys`."""
    found: dict[str, str] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(programs_table.c.key, programs_table.c.id).where(
            programs_table.c.key.in_(wanted[start : start + _IN_CHUNK])
        )
        found.update((row.key, row.id) for row in conn.execute(query))
    return found


def _add_program(conn: Connection, details: Program, key: str, by: str) -> str:
    """Add the program `details` name (an admin's, on the People page or by a new study's
    details in an import); its id."""
    row = _program_row(details, key, by)
    insert_rows(conn, programs_table, _PROGRAM_COLUMNS, [row])
    return row[0]


def _program_row(details: Program, key: str, by: str) -> tuple[Any, ...]:
    """The row of a new program of these details (its new id first), in `_PROGRAM_COLUMNS`'
    order: a bulk import adds its new programs with one statement, not one each."""
    name = " ".join(details.name.split()) or details.name
    return (new_id(), key, name, details.organization, "created", now(), by)


_PROGRAM_COLUMNS = ("id", "key", "name", "organization", "origin", "created_at", "created_by")


def _insert_studies(
    conn: Connection,
    studies: Sequence[SelfStudy],
    owners: Sequence[str],
    by: str,
    creation_keys: Sequence[str | None],
) -> list[str]:
    """Write new studies, their answers and the history of every answered field: three
    statements however many studies there are. Each study is stamped when it is written.

    The rows are those `_answer_row` and `_change_row` make for a new study's answers (at
    revision 1, each field that holds something in the history, from nothing), built here
    as the tuples the driver takes, each value's JSON written once for its answer and its
    history: for a bulk import, making a dictionary per row and encoding each value twice
    took as long as the database took to write them.
    """
    ids: list[str] = []
    rows: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    blank = (None, "")
    for study, owner, key in zip(studies, owners, creation_keys, strict=True):
        study_id, stamp = new_id(), now()
        ids.append(study_id)
        program = study.program
        packed: list[str] | None = []  # its answers' items and values (`pack_answer_values`)
        for item_id, answer in study.answers.items():
            value, evidence, notes = answer.value, answer.evidence, answer.notes
            if type(value) is int:  # most answers, a rating: its JSON is its repr, as json's
                value_json, answered = int.__repr__(value), 1
            else:
                value_json, answered = _json(value), int(is_answered(value))
            answers.append(
                (
                    study_id,
                    item_id,
                    value_json,
                    evidence,
                    notes,
                    answered,
                    1,
                    stamp,
                    0 if value in blank else 1,
                    0 if evidence in blank else 1,
                    0 if notes in blank else 1,
                )
            )
            piece = f"{item_id}{UNIT}{value_json}"
            if packed is None or piece.count(UNIT) > 1 or RECORD in piece:
                packed = None  # a separator in it: left to be read from its answers
            else:
                packed.append(piece)
            if value not in blank:
                history.append((study_id, item_id, "value", _NOTHING, value_json, 1, 1, stamp, by))
            if evidence not in blank:
                history.append(
                    (study_id, item_id, "evidence", _NOTHING, _json(evidence), 1, 1, stamp, by)
                )
            if notes not in blank:
                history.append(
                    (study_id, item_id, "notes", _NOTHING, _json(notes), 1, 1, stamp, by)
                )
        rows.append(
            (
                study_id,
                program.name,
                study.rubric.id,
                study.rubric.version,
                program.model_dump_json(),
                stamp,
                stamp,
                key,
                owner,
                None if packed is None else RECORD.join(packed),
            )
        )
    # the answers before their studies: an answer's insert forgets its study's packed values
    # (the triggers of migration 007), which the studies then bring, packed here as the
    # database packs them (packing them there took a bulk import half a second a thousand)
    insert_rows(conn, answers_table, _ANSWER_COLUMNS, answers)
    insert_rows(conn, studies_table, _STUDY_COLUMNS, rows)
    insert_rows(conn, changes_table, _CHANGE_COLUMNS, history)
    return ids


_NOTHING = _json(None)  # the old value of a new study's answer in its history
# the columns of `_insert_studies`'s tuples, in their order
_STUDY_COLUMNS = (
    "id",
    "name",
    "rubric_id",
    "rubric_version",
    "program",
    "created_at",
    "updated_at",
    "creation_key",
    "program_ref",
    "answer_values",
)
_ANSWER_COLUMNS = (
    "study_id",
    "item_id",
    "value",
    "evidence",
    "notes",
    "answered",
    "revision",
    "updated_at",
    *(f"{field}_changed" for field in FIELDS),
)
_CHANGE_COLUMNS = (
    "study_id",
    "item_id",
    "field",
    "old",
    "new",
    "revision",
    "accepted",
    "changed_at",
    "changed_by",
)


class StudiesRefused(ProblemsFound):
    """Some of the studies `Storage.create_studies` was given are refused; none was written.

    `refused` holds each refusal (`NoAccess`, or the `another-program` problem) by the
    study's position, so a bulk import can report each copy and save the others.
    """

    def __init__(self, refused: Mapping[int, ProblemsFound], studies: Sequence[SelfStudy]):
        self.refused = dict(refused)
        super().__init__(
            replace(p, location=f"self-study {n + 1} ({quoted(studies[n].program.name)})")
            for n, refusal in self.refused.items()
            for p in refusal.problems
        )


def _refuse_another_programs(conn: Connection, owner: str | None, program: Program) -> None:
    """Refuse details of a study that name another stored program than its own (see
    `_details_of_other_programs`)."""
    if _details_of_other_programs(conn, [(owner, program)]):
        raise _another_program()


def _details_of_other_programs(
    conn: Connection, wanted: Sequence[tuple[str | None, Program]]
) -> set[int]:
    """Which of these (owner, details) pairs have details naming another stored program
    than their owner, by position: one read of the programs and at most one of the
    studies' details, however many pairs.

    A cohort comparison pairs a program's rounds, and makes its pseudonym, from the
    details' program id, else name (`core.cohorts.table`), so a study whose details
    matched another program's would count as that program's round, or show its
    pseudonym. Both that key and the storage's own (`program_key`) are compared; the
    refusal names no other program.
    """
    keys = [program_key(details.id, details.name) for _, details in wanted]
    holders = _programs_by_key(conn, keys)
    taken = {  # a program of that key, other than the owner (no owner: as SQL's NULL, none)
        n
        for n, ((owner, _), key) in enumerate(zip(wanted, keys, strict=True))
        if owner is not None and holders.get(key, owner) != owner
    }
    rest = [n for n in range(len(wanted)) if n not in taken]
    if not rest:
        return taken
    pairings = {n: wanted[n][1].id or wanted[n][1].name for n in rest}
    refs: dict[str, set[str | None]] = {pairing: set() for pairing in pairings.values()}
    query = select(studies_table.c.program_ref, studies_table.c.program)
    owners = {wanted[n][0] for n in rest}
    if len(owners) == 1 and None not in owners:  # only the studies that could be refused
        (owner,) = owners
        query = query.where(
            or_(studies_table.c.program_ref != owner, studies_table.c.program_ref.is_(None))
        )
    for ref, details in conn.execute(query):
        other = json.loads(details)
        pairing = other.get("id") or other.get("name")
        if pairing in refs:
            refs[pairing].add(ref)
    return taken | {
        n for n in rest if any(ref is None or ref != wanted[n][0] for ref in refs[pairings[n]])
    }


NUL = "\x00"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(_holds_nul(v) for v in value)
    return False


def _write_program(
    conn: Connection, old: Any, program: Program, shown: Program | None, stamp: str, by: str
) -> None:
    """Write a study's new program details over its row `old` (locked by the caller), with
    their history: `Storage.update_program`, and an update from a copy in its transaction."""
    if old.team_of is not None:
        raise NoAccess(SHEET, "its program details are the self-study's: change them there")
    if shown is not None:
        mine = program.model_dump(mode="json")
        theirs = shown.model_dump(mode="json")
        stored = json.loads(old.program)
        changed = {k: v for k, v in mine.items() if theirs.get(k) != v}
        program = program_from_data({**stored, **changed}, old.id)
    else:
        program = program_from_data(program.model_dump(mode="json"), old.id)
    if old.program == program.model_dump_json():
        return
    _refuse_another_programs(conn, old.program_ref, program)
    add_cohort(conn, old.program_ref, program.cohort)
    conn.execute(
        update(studies_table)
        .where(studies_table.c.id == old.id)
        .values(name=program.name, program=program.model_dump_json(), updated_at=stamp)
    )
    conn.execute(
        insert(changes_table).values(
            _change_row(
                old.id,
                PROGRAM_ENTRY,
                "program",
                json.loads(old.program),
                program.model_dump(mode="json"),
                0,
                stamp,
                by,
            )
        )
    )


def _may_hold_nul(study: SelfStudy) -> bool:
    """Whether a text the study's refusal names (`_nul_refusal`) may hold a NUL: the quick
    look, at each answer's texts as they are, and at the program's JSON, which writes a NUL
    as an escape. Any value not of an answer's types is looked at the slow way."""
    if "\\u0000" in study.program.model_dump_json():
        return True
    for answer in study.answers.values():
        evidence, notes = answer.evidence, answer.notes
        if type(evidence) is not str or type(notes) is not str or NUL in evidence + notes:
            return True
        value = answer.value
        kind = type(value)
        if kind is str:
            if NUL in value:
                return True
        elif kind is list:
            if any(type(v) is not str or NUL in v for v in value):
                return True
        elif value is not None and kind is not int and kind is not float:
            return True
    return False


def _nul_refusal(study: SelfStudy) -> ProblemsFound | None:
    """The texts of a study that hold a NUL character, each named, or None."""
    if not _may_hold_nul(study):
        return None
    where: list[str] = []
    for name, value in study.program.model_dump(mode="json").items():
        if _holds_nul(value):
            where.append(f"the program's {name.replace('_', ' ')}")
    for item_id, answer in study.answers.items():
        for name, value in _fields(answer).items():
            if _holds_nul(value):
                where.append(f"the {name} of item {item_id}")
    if not where:
        return None
    return ProblemsFound(
        [
            Problem(
                "nul-character",
                "program" if text.startswith("the program's") else text.rsplit(" ", 1)[-1],
                f"{text} holds a NUL character (U+0000, invisible, often left by an export "
                f"from another system), which cannot be stored; nothing of this self-study "
                f"was saved: remove the NUL character from {text} and save it again",
            )
            for text in where
        ]
    )


def _as_member(actor: Actor, program_id: str) -> bool:
    """Whether the actor begins studies in the program as an admin or a member of it (not
    only as a facilitator of one of its cohorts)."""
    return actor.is_admin or program_id in actor.programs_for(Action.CREATE)


def _cohorts_of(conn: Connection, program_ids: Iterable[str]) -> dict[str, set[str]]:
    """The cohorts (normalised names) of each of these programs that is in any."""
    found: dict[str, set[str]] = {}
    wanted = sorted(set(program_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = conn.execute(
            select(program_cohorts_table.c.program_id, program_cohorts_table.c.cohort_key).where(
                program_cohorts_table.c.program_id.in_(wanted[start : start + _IN_CHUNK])
            )
        )
        for row in rows:
            found.setdefault(row.program_id, set()).add(row.cohort_key)
    return found


def _creation_refusal(
    actor: Actor,
    study: SelfStudy,
    found: str | None,
    cohorts_of: Mapping[str, set[str]],
    same: Sequence[str] = (),
) -> ProblemsFound | None:
    """Why a non-admin may not begin this study in the program `found` (None: a new one),
    or None when they may (see `Storage._program_owners`). `same`: the programs (stored,
    or added for an earlier study) whose name is the study's program name.

    The refusal is one whether the program exists or not, so it tells nobody what does;
    only a copy naming a cohort the facilitator does not facilitate says so, which it
    learns from the copy itself. A new program may not take a name a program holds: a
    second program of one name would leave a copy naming it by name alone matching
    none (its members could no longer import such copies), and a facilitator could so
    shadow a program of another cohort; whether a name is taken is the one thing a
    facilitator's new program tells of programs outside their cohorts.
    """
    if found is not None and _as_member(actor, found):
        return None
    if refusal := _other_cohort(actor, study):
        return refusal
    if actor.cohorts_for(Action.CREATE):
        named = normal_name(study.program.cohort or "")
        if found is None and same:
            if all(actor.may(Action.READ, p, cohorts_of.get(p, ())) for p in same):
                return NoAccess(  # a program of theirs: they may read its id
                    f"A self-study of {quoted(study.program.name)}",
                    "a program of your cohorts has this name under another program id; to "
                    "import it there, give that program's id as the copy's Program ID detail "
                    "(or leave it empty), or give the new program a name of its own",
                )
        elif found is None and named:
            return None  # a new program, in the cohort its copy names
        if found is not None and actor.may(Action.CREATE, found, cohorts_of.get(found, ())):
            return None
        return NoAccess(
            f"A self-study of {quoted(study.program.name)}",
            "you may import self-studies of the programs in your cohorts, or of a new "
            "program whose copy names one of your cohorts (its Cohort detail); ask a network "
            "admin to put the program in your cohort, or a member of the program to import it",
        )
    return NoAccess(
        f"A self-study of {quoted(study.program.name)}",
        "begin or import it in one of your own programs; only a network admin can add a program",
    )


def _other_cohort(actor: Actor, study: SelfStudy) -> ProblemsFound | None:
    """The refusal of a study, begun through a facilitator's cohorts, whose details name a
    cohort they do not facilitate: storing it would add its program to that cohort, and
    show it to that cohort's facilitators."""
    cohort = study.program.cohort or ""
    mine = actor.cohorts_for(Action.CREATE)  # none: not a facilitator, the member's rule
    if actor.is_admin or not mine or not normal_name(cohort) or normal_name(cohort) in mine:
        return None
    return NoAccess(
        f"A self-study of {quoted(study.program.name)}",
        f"it names cohort {quoted(cohort.strip())}, which you do not facilitate; nothing of it "
        "was saved: if its program is in one of your cohorts, or new, change its Cohort "
        "detail to one of your cohorts (or leave it empty); else ask a network admin to put "
        "the program in your cohort, or a member of the program to import it",
    )


def _another_program() -> ProblemsFound:
    return ProblemsFound(
        [
            Problem(
                "another-program",
                "program",
                "these details (program id, or name) are another program's; a self-study "
                "keeps its own program's id and name (change its round or cohort instead)",
            )
        ]
    )


def _unknown_program(program_id: str) -> ProblemsFound:
    return ProblemsFound(
        [Problem("unknown-program", "program", f"there is no program with id {quoted(program_id)}")]
    )
