"""Where self-studies live between visits: SQLite by default, PostgreSQL by URL.

Every answer is its own row with a revision number. A writer says which
revision it last saw; if the stored one differs, someone else changed that
answer in the meantime and the write is refused with `StaleEdit` (optimistic
concurrency per item, so two people answering different items never clash).

The schema is created and migrated by `Storage` itself: each migration is
applied once and recorded in the `_migrations` table (the sqlite-utils way).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from selfstudy.core.study import Answer, Program, RubricRef, SelfStudy, is_answered
from selfstudy.edges.rubric_files import PROJECT_ROOT


def database_url() -> str:
    """`SELFSTUDY_DATABASE_URL`, else a SQLite file at `SELFSTUDY_DB` or `data/selfstudy.db`."""
    if url := os.environ.get("SELFSTUDY_DATABASE_URL"):
        return url
    path = Path(os.environ.get("SELFSTUDY_DB") or PROJECT_ROOT / "data" / "selfstudy.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class StudyNotFound(KeyError):
    """No self-study has this id (it was never created, or was deleted)."""

    def __init__(self, study_id: str):
        super().__init__(study_id)
        self.study_id = study_id

    def __str__(self) -> str:
        return f"no self-study with id {self.study_id!r}; it may have been deleted"


@dataclass(frozen=True)
class NewerAnswer:
    """An answer someone else saved after this session last saw it."""

    item_id: str
    answer: Answer | None  # what is stored now (None: nothing stored)
    revision: int | None
    updated_at: datetime | None


class StaleEdit(Exception):
    """A write based on an out-of-date revision; nothing was written."""

    def __init__(self, conflicts: list[NewerAnswer]):
        self.conflicts = conflicts
        first = conflicts[0]
        self.item_id = first.item_id
        self.answer = first.answer
        self.revision = first.revision
        self.updated_at = first.updated_at
        names = ", ".join(c.item_id for c in conflicts)
        super().__init__(f"changed by someone else since you loaded it: {names}")


@dataclass(frozen=True)
class StoredStudy:
    id: str
    study: SelfStudy
    revisions: dict[str, int]
    updated_at: datetime
    answer_times: dict[str, datetime]


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


metadata = MetaData()

migrations_table = Table(
    "_migrations",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("applied_at", String(40), nullable=False),
)
studies_table = Table(
    "studies",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("rubric_id", String(200), nullable=False),
    Column("rubric_version", String(200), nullable=False),
    Column("program", Text, nullable=False),  # JSON of `Program`
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
answers_table = Table(
    "answers",
    metadata,
    Column("study_id", String(40), primary_key=True),
    Column("item_id", String(200), primary_key=True),
    Column("value", Text, nullable=False),  # JSON of the answer's value
    Column("evidence", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("answered", Integer, nullable=False, default=0),
    Column("revision", Integer, nullable=False),
    Column("updated_at", String(40), nullable=False),
)
sync_bases_table = Table(
    "sync_bases",
    metadata,
    Column("study_id", String(40), primary_key=True),
    Column("target", String(500), primary_key=True),
    Column("snapshot", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
)


def _create_first_tables(conn: Connection) -> None:
    for table in (studies_table, answers_table, sync_bases_table):
        table.create(conn, checkfirst=True)


# Append only: a migration, once released, is never edited or reordered.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_studies_answers_sync_bases", _create_first_tables),
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _engine_url(url: str) -> str:
    """Use psycopg (version 3) for plain PostgreSQL URLs; it is the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _make_engine(url: str) -> Engine:
    url = _engine_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


class Storage:
    """Self-studies in a database; creates and migrates its schema on first use."""

    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        self.engine = _make_engine(self.url)
        self._migrate()

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            migrations_table.create(conn, checkfirst=True)
            done = set(conn.scalars(select(migrations_table.c.name)))
            for name, apply in MIGRATIONS:
                if name not in done:
                    apply(conn)
                    conn.execute(insert(migrations_table).values(name=name, applied_at=_now()))

    def applied_migrations(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.scalars(select(migrations_table.c.name)))

    # --- studies ----------------------------------------------------------------------

    def create_study(self, study: SelfStudy) -> str:
        """Store a new self-study with its answers; returns its new url-safe id."""
        study_id = secrets.token_urlsafe(9)
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                insert(studies_table).values(
                    id=study_id,
                    name=study.program.name,
                    rubric_id=study.rubric.id,
                    rubric_version=study.rubric.version,
                    program=study.program.model_dump_json(),
                    created_at=now,
                    updated_at=now,
                )
            )
            rows = [_answer_row(study_id, i, a, 1, now) for i, a in study.answers.items()]
            if rows:
                conn.execute(insert(answers_table), rows)
        return study_id

    def get_study(self, study_id: str) -> StoredStudy:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(studies_table).where(studies_table.c.id == study_id)
            ).one_or_none()
            if row is None:
                raise StudyNotFound(study_id)
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
            rows = conn.execute(select(studies_table).order_by(studies_table.c.created_at)).all()
            answers = conn.execute(
                select(
                    columns.study_id,
                    columns.item_id,
                    columns.value,
                    columns.evidence,
                    columns.notes,
                )
            ).all()
        values = json.loads("[" + ",".join(answer.value for answer in answers) + "]")
        by_study: dict[str, dict[str, Answer]] = {row.id: {} for row in rows}
        for answer_row, value in zip(answers, values, strict=True):
            answer = Answer(value=value, evidence=answer_row.evidence, notes=answer_row.notes)
            if not _is_blank(answer):
                by_study.setdefault(answer_row.study_id, {})[answer_row.item_id] = answer
        return [(row.id, _study_of(row, by_study[row.id])) for row in rows]

    def fingerprint(self) -> tuple[int, datetime | None]:
        """How many studies there are and when the latest was edited: one cheap query.

        It changes whenever a study is created, deleted, renamed or has an answer
        saved (saving touches the study's `updated_at`), so it can key a cache of
        `all_studies`.
        """
        with self.engine.connect() as conn:
            count, latest = conn.execute(
                select(func.count(), func.max(studies_table.c.updated_at)).select_from(
                    studies_table
                )
            ).one()
        return int(count), _time(latest) if latest else None

    def list_studies(self) -> list[StudySummary]:
        """A summary of every stored self-study, most recently edited first."""
        answered = (
            select(answers_table.c.study_id, func.sum(answers_table.c.answered).label("answered"))
            .group_by(answers_table.c.study_id)
            .subquery()
        )
        query = (
            select(studies_table, answered.c.answered)
            .outerjoin(answered, answered.c.study_id == studies_table.c.id)
            .order_by(studies_table.c.updated_at.desc())
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        summaries = []
        for row in rows:
            program = Program.model_validate_json(row.program)
            summaries.append(
                StudySummary(
                    id=row.id,
                    name=program.name,
                    organization=program.organization,
                    cohort=program.cohort,
                    round=program.round,
                    rubric_id=row.rubric_id,
                    rubric_version=row.rubric_version,
                    updated_at=_time(row.updated_at),
                    answered=int(row.answered or 0),
                )
            )
        return summaries

    def update_program(self, study_id: str, program: Program) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(studies_table)
                .where(studies_table.c.id == study_id)
                .values(name=program.name, program=program.model_dump_json(), updated_at=_now())
            )
            if done.rowcount == 0:
                raise StudyNotFound(study_id)

    def delete_study(self, study_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(delete(studies_table).where(studies_table.c.id == study_id))
            if done.rowcount == 0:
                raise StudyNotFound(study_id)
            conn.execute(delete(answers_table).where(answers_table.c.study_id == study_id))
            conn.execute(delete(sync_bases_table).where(sync_bases_table.c.study_id == study_id))

    # --- answers ----------------------------------------------------------------------

    def save_answer(
        self, study_id: str, item_id: str, answer: Answer, seen_revision: int | None
    ) -> int:
        """Save one answer; returns its new revision.

        `seen_revision` is the revision this writer last saw (None: it saw no
        answer). Raises `StaleEdit` with what is stored now when that is not
        the stored revision, and writes nothing.
        """
        return self.save_answers(study_id, {item_id: answer}, {item_id: seen_revision})[item_id]

    def save_answers(
        self, study_id: str, changes: dict[str, Answer], seen: dict[str, int | None]
    ) -> dict[str, int]:
        """Save several answers at once, all or nothing; `StaleEdit` lists every conflict."""
        now = _now()
        try:
            with self.engine.begin() as conn:
                self._touch_study(conn, study_id, now)
                revisions: dict[str, int] = {}
                conflicts: list[NewerAnswer] = []
                for item_id, answer in changes.items():
                    seen_revision = seen.get(item_id)
                    revision = _write_answer(conn, study_id, item_id, answer, seen_revision, now)
                    if revision is None:
                        conflicts.append(_current(conn, study_id, item_id))
                    else:
                        revisions[item_id] = revision
                if conflicts:
                    raise StaleEdit(conflicts)  # leaving the block rolls everything back
        except IntegrityError:
            # Someone inserted an answer this writer believed absent, between our check and insert.
            raise self._stale(study_id, changes, seen) from None
        return revisions

    def _stale(
        self, study_id: str, changes: dict[str, Answer], seen: dict[str, int | None]
    ) -> StaleEdit:
        with self.engine.connect() as conn:
            current = [_current(conn, study_id, item_id) for item_id in changes]
        return StaleEdit([c for c in current if c.revision != seen.get(c.item_id)] or current)

    def _touch_study(self, conn: Connection, study_id: str, now: str) -> None:
        done = conn.execute(
            update(studies_table).where(studies_table.c.id == study_id).values(updated_at=now)
        )
        if done.rowcount == 0:
            raise StudyNotFound(study_id)

    # --- sync bases (what was last pushed to / pulled from an outside copy) -------------

    def get_sync_base(self, study_id: str, target: str) -> dict | None:
        with self.engine.connect() as conn:
            text = conn.scalar(
                select(sync_bases_table.c.snapshot).where(
                    sync_bases_table.c.study_id == study_id, sync_bases_table.c.target == target
                )
            )
        return None if text is None else json.loads(text)

    def set_sync_base(self, study_id: str, target: str, snapshot: dict) -> None:
        values = {"snapshot": json.dumps(snapshot, ensure_ascii=False), "updated_at": _now()}
        with self.engine.begin() as conn:
            if not conn.scalar(select(studies_table.c.id).where(studies_table.c.id == study_id)):
                raise StudyNotFound(study_id)
            done = conn.execute(
                update(sync_bases_table)
                .where(sync_bases_table.c.study_id == study_id, sync_bases_table.c.target == target)
                .values(**values)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(sync_bases_table).values(study_id=study_id, target=target, **values)
                )


def _answer_row(study_id: str, item_id: str, answer: Answer, revision: int, now: str) -> dict:
    return {
        "study_id": study_id,
        "item_id": item_id,
        "value": json.dumps(answer.value, ensure_ascii=False),
        "evidence": answer.evidence,
        "notes": answer.notes,
        "answered": int(is_answered(answer.value)),
        "revision": revision,
        "updated_at": now,
    }


def _write_answer(
    conn: Connection, study_id: str, item_id: str, answer: Answer, seen: int | None, now: str
) -> int | None:
    """The new revision, or None when `seen` is out of date."""
    if seen is None:
        exists = conn.scalar(
            select(answers_table.c.revision).where(
                answers_table.c.study_id == study_id, answers_table.c.item_id == item_id
            )
        )
        if exists is not None:
            return None
        conn.execute(insert(answers_table).values(_answer_row(study_id, item_id, answer, 1, now)))
        return 1
    row = _answer_row(study_id, item_id, answer, seen + 1, now)
    del row["study_id"], row["item_id"]
    done = conn.execute(
        update(answers_table)
        .where(
            answers_table.c.study_id == study_id,
            answers_table.c.item_id == item_id,
            answers_table.c.revision == seen,
        )
        .values(**row)
    )
    return seen + 1 if done.rowcount == 1 else None


def _answer_of(row: Any) -> Answer:
    return Answer(value=json.loads(row.value), evidence=row.evidence, notes=row.notes)


def _is_blank(answer: Answer) -> bool:
    return answer.value is None and not answer.evidence and not answer.notes


def _current(conn: Connection, study_id: str, item_id: str) -> NewerAnswer:
    row = conn.execute(
        select(answers_table).where(
            answers_table.c.study_id == study_id, answers_table.c.item_id == item_id
        )
    ).one_or_none()
    if row is None:
        return NewerAnswer(item_id, None, None, None)
    return NewerAnswer(item_id, _answer_of(row), row.revision, _time(row.updated_at))


def _stored_study(row: Any, answer_rows: Iterable[Any]) -> StoredStudy:
    answers: dict[str, Answer] = {}
    revisions: dict[str, int] = {}
    times: dict[str, datetime] = {}
    for answer_row in answer_rows:
        revisions[answer_row.item_id] = answer_row.revision
        times[answer_row.item_id] = _time(answer_row.updated_at)
        answer = _answer_of(answer_row)
        if not _is_blank(answer):
            answers[answer_row.item_id] = answer
    return StoredStudy(row.id, _study_of(row, answers), revisions, _time(row.updated_at), times)


def _study_of(row: Any, answers: dict[str, Answer]) -> SelfStudy:
    """The self-study of a `studies` row with these (non-blank) answers."""
    return SelfStudy(
        rubric=RubricRef(id=row.rubric_id, version=row.rubric_version),
        program=Program.model_validate_json(row.program),
        answers=answers,
    )
