"""The database schema and its migrations.

Each migration is applied once, in order, and recorded in `_migrations` (the
sqlite-utils way). A released migration is never edited or reordered: a new
one is appended.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

FIELDS = ("value", "evidence", "notes")  # the parts of an answer, each with its own history
PROGRAM_ENTRY = "@program"  # the `item_id` of program-detail changes in the history
STUDY_ENTRY = "@study"  # the `item_id` of a study's deletion and restoration
BEFORE_HISTORY = "(saved before history was kept)"

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
    # since 002: a deleted study is kept, out of sight, until it is restored or purged
    Column("deleted_at", String(40), nullable=True),
    # since 002: the form submission that created it, so a resubmission creates nothing
    Column("creation_key", String(100), nullable=True, unique=True),
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
    Column("revision", Integer, nullable=False),  # raised by every change to the item
    Column("updated_at", String(40), nullable=False),
    # since 002: the item revision at which each field last changed
    Column("value_changed", Integer, nullable=False, default=0),
    Column("evidence_changed", Integer, nullable=False, default=0),
    Column("notes_changed", Integer, nullable=False, default=0),
)
sync_bases_table = Table(
    "sync_bases",
    metadata,
    Column("study_id", String(40), primary_key=True),
    Column("target", String(500), primary_key=True),
    Column("snapshot", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
)
# since 002: every change to an answer field, a study's program details or its deletion
changes_table = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", String(40), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("field", String(40), nullable=False),
    Column("old", Text, nullable=False),  # JSON
    Column("new", Text, nullable=False),  # JSON
    Column("revision", Integer, nullable=False),  # the item's revision after the change
    Column("accepted", Integer, nullable=False),  # 0: a refused edit, kept so no words are lost
    Column("changed_at", String(40), nullable=False),
    Column("changed_by", Text, nullable=False),
    Index("changes_by_item", "study_id", "item_id"),
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _create_first_tables(conn: Connection) -> None:
    for table in (studies_table, answers_table, sync_bases_table):
        _create_as_in_001(conn, table)


def _create_as_in_001(conn: Connection, table: Table) -> None:
    """The table as migration 001 made it: without the columns later migrations add."""
    later = {"deleted_at", "creation_key", "value_changed", "evidence_changed", "notes_changed"}
    first = Table(
        table.name,
        MetaData(),
        *(column._copy() for column in table.columns if column.name not in later),
    )
    first.create(conn, checkfirst=True)


def _history_and_field_revisions(conn: Connection) -> None:
    """Field revisions on answers, soft deletion and creation keys on studies, the history.

    Every answer already stored enters the history once, as it is, so it can be
    restored later like any other value. SQLite commits each ALTER at once, so a
    start that stopped half way leaves some columns behind: they are skipped, and
    the migration completes on the next start.
    """
    schema = inspect(conn)
    for table, column in (
        ("answers", "value_changed INTEGER NOT NULL DEFAULT 0"),
        ("answers", "evidence_changed INTEGER NOT NULL DEFAULT 0"),
        ("answers", "notes_changed INTEGER NOT NULL DEFAULT 0"),
        ("studies", "deleted_at VARCHAR(40)"),
        ("studies", "creation_key VARCHAR(100)"),
    ):
        if column.split()[0] not in {c["name"] for c in schema.get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column}"))
    if "studies_creation_key" not in {i["name"] for i in schema.get_indexes("studies")}:
        conn.execute(text("CREATE UNIQUE INDEX studies_creation_key ON studies (creation_key)"))
    conn.execute(
        update(answers_table).values(
            value_changed=answers_table.c.revision,
            evidence_changed=answers_table.c.revision,
            notes_changed=answers_table.c.revision,
        )
    )
    changes_table.create(conn, checkfirst=True)
    conn.execute(changes_table.delete())  # what a start that stopped half way left
    rows = []
    for answer in conn.execute(select(answers_table)).all():
        stored = {
            "value": json.loads(answer.value),
            "evidence": answer.evidence,
            "notes": answer.notes,
        }
        for field, value in stored.items():
            if value in (None, ""):
                continue
            rows.append(
                {
                    "study_id": answer.study_id,
                    "item_id": answer.item_id,
                    "field": field,
                    "old": "null",
                    "new": json.dumps(value, ensure_ascii=False),
                    "revision": answer.revision,
                    "accepted": 1,
                    "changed_at": answer.updated_at,
                    "changed_by": BEFORE_HISTORY,
                }
            )
    if rows:
        conn.execute(insert(changes_table), rows)


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_studies_answers_sync_bases", _create_first_tables),
    ("002_history_field_revisions_soft_delete", _history_and_field_revisions),
]


def pending_migrations(conn: Connection) -> list[str]:
    """The migrations not yet applied (a read only: a read-only database can be used)."""
    done: set[str] = set()
    if inspect(conn).has_table(migrations_table.name):
        done = set(conn.scalars(select(migrations_table.c.name)))
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(conn: Connection) -> None:
    """Apply the migrations not yet applied, in one transaction that holds the write lock.

    Two processes that start at once on a new database take turns: the second waits
    (as long as any write waits) and then finds nothing left to do.
    """
    _take_write_lock(conn)
    migrations_table.create(conn, checkfirst=True)
    done = set(conn.scalars(select(migrations_table.c.name)))
    for name, apply in MIGRATIONS:
        if name not in done:
            apply(conn)
            conn.execute(insert(migrations_table).values(name=name, applied_at=now()))


MIGRATION_LOCK = 0x5E1F57D7  # PostgreSQL advisory lock key, held while migrating


def _take_write_lock(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # SQLite's driver begins a transaction only before a change, and not before a
        # CREATE TABLE: begin one now, holding the write lock (schema changes included).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
