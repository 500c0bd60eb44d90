"""The database schema and its migrations.

Each migration is applied once, in order, and recorded in `_migrations` (the
sqlite-utils way). A released migration is never edited or reordered: a new
one is appended.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    func,
    insert,
    inspect,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from selfstudy.core.access import normal_name, program_key

FIELDS = ("value", "evidence", "notes")  # the parts of an answer, each with its own history
PROGRAM_ENTRY = "@program"  # the `item_id` of program-detail changes in the history
STUDY_ENTRY = "@study"  # the `item_id` of a study's deletion and restoration
BEFORE_HISTORY = "(saved before history was kept)"
BEFORE_PROGRAMS = "(grouped when programs were introduced)"

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
    # since 003: the program that owns it
    Column("program_ref", String(40), nullable=True),
    # since 004: a rater's own sheet in a team self-study: the team study it rates (such a
    # study is never listed, compared or synced on its own)
    Column("team_of", String(40), nullable=True),
    # since 007: the item and value of each of its answers, packed (`pack_answer_values`);
    # null when unknown: then they are read from the answers
    Column("answer_values", Text, nullable=True),
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


# since 003: programs own their self-studies; people hold grants (roles) on them
programs_table = Table(
    "programs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key", Text, nullable=False, unique=True),  # `core.access.program_key`
    Column("name", Text, nullable=False),
    Column("organization", Text, nullable=True),
    Column("origin", Text, nullable=False),  # how it came to be: see ORIGINS
    Column("created_at", String(40), nullable=False),
    Column("created_by", Text, nullable=False),
)
program_cohorts_table = Table(
    "program_cohorts",
    metadata,
    Column("program_id", String(40), primary_key=True),
    Column("cohort_key", Text, primary_key=True),  # `core.access.normal_name` of the cohort
    Column("cohort", Text, nullable=False),  # as first written
)
people_table = Table(
    "people",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("issuer", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("email", Text, nullable=True),  # as the provider last said, verified or not
    Column("email_verified", Integer, nullable=False, default=0),
    Column("name", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("seen_at", String(40), nullable=False),
    Index("people_identity", "issuer", "subject", unique=True),
)
grants_table = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(40), nullable=True),  # None: an invitation not yet taken up
    Column("email", Text, nullable=True),  # the invited email (normalised)
    Column("role", String(20), nullable=False),
    Column("program_id", String(40), nullable=True),
    Column("cohort_key", Text, nullable=True),
    Column("cohort", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", Text, nullable=False),
    # a removed grant is kept, so who had access when stays known
    Column("removed_at", String(40), nullable=True),
    Column("removed_by", Text, nullable=True),
    Index("grants_by_person", "person_id"),
    Index("grants_by_email", "email"),
)
# since 004: team self-studies (`core.team`): the team of a study, its raters, and the items
# whose consensus the lead recorded
teams_table = Table(
    "teams",
    metadata,
    Column("study_id", String(40), primary_key=True),
    Column("lead", Text, nullable=False),  # the lead's name
    Column("lead_person_id", String(40), nullable=True),  # None: without sign-in
    Column("reveal", String(20), nullable=False),  # `core.team.Reveal`
    Column("opened_at", String(40), nullable=True),  # the consensus step opened
    Column("opened_by", Text, nullable=True),
    Column("agreed_at", String(40), nullable=True),  # consensus reached
    Column("agreed_by", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", Text, nullable=False),
    # a team study made single again keeps its team (and its raters' sheets) here
    Column("ended_at", String(40), nullable=True),
    Column("ended_by", Text, nullable=True),
)
raters_table = Table(
    "raters",
    metadata,
    Column("sheet_id", String(40), primary_key=True),  # the study holding their ratings
    Column("study_id", String(40), nullable=False),  # the team study
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),  # `core.access.normal_name` of the name
    Column("person_id", String(40), nullable=True),
    Column("added_at", String(40), nullable=False),
    Column("added_by", Text, nullable=False),
    Column("submitted_at", String(40), nullable=True),
    Index("raters_by_name", "study_id", "name_key", unique=True),
)
consensus_table = Table(
    "consensus_items",
    metadata,
    Column("study_id", String(40), primary_key=True),  # the team study
    Column("item_id", String(200), primary_key=True),
    Column("recorded_at", String(40), nullable=False),
    Column("recorded_by", Text, nullable=False),
)
# since 005: improvement plans (`core.improvement`): every plan, change idea, cycle, measure
# and data point is one record, its fields saved one by one with a history, as answers are
records_table = Table(
    "improvement_records",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),  # `core.improvement.Kind`
    Column("program_id", String(40), nullable=False),  # the program that owns it
    Column("plan_id", String(40), nullable=False),  # its plan (a plan: itself)
    Column("parent_id", String(40), nullable=True),  # the idea of a cycle, the measure of a point
    Column("fields", Text, nullable=False),  # JSON of the record's fields
    Column("changed", Text, nullable=False),  # JSON: field -> revision at which it last changed
    Column("revision", Integer, nullable=False),  # raised by every change to the record
    Column("created_at", String(40), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("deleted_at", String(40), nullable=True),  # deleted records are kept until restored
    Index("improvement_records_by_program", "program_id", "plan_id"),
    Index("improvement_records_by_plan", "plan_id"),
)
record_changes_table = Table(
    "improvement_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(40), nullable=False),  # a record, or a program (its sharing)
    Column("plan_id", String(40), nullable=True),
    Column("field", String(40), nullable=False),  # a field, or `@record` (made, deleted, ...)
    Column("old", Text, nullable=False),  # JSON
    Column("new", Text, nullable=False),  # JSON
    Column("revision", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),  # 0: a refused edit, kept so no words are lost
    Column("changed_at", String(40), nullable=False),
    Column("changed_by", Text, nullable=False),
    Index("improvement_changes_by_plan", "plan_id"),
    Index("improvement_changes_by_record", "record_id"),
)
# since 005: whether a program shares what its improvement cycles learned with the network
sharing_table = Table(
    "program_sharing",
    metadata,
    Column("program_id", String(40), primary_key=True),
    Column("shares", Integer, nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("updated_by", Text, nullable=False),
)
settings_table = Table(
    "settings",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

# How a program came to be (`programs.origin`), as `selfstudy programs list` says it.
ORIGINS = {
    "id": "grouped by program id when programs were introduced",
    "name": "grouped by program name when programs were introduced",
    "created": "added",
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _create_first_tables(conn: Connection) -> None:
    for table in (studies_table, answers_table, sync_bases_table):
        _create_as_in_001(conn, table)


def _create_as_in_001(conn: Connection, table: Table) -> None:
    """The table as migration 001 made it: without the columns later migrations add."""
    later = {
        "deleted_at",
        "creation_key",
        "value_changed",
        "evidence_changed",
        "notes_changed",
        "program_ref",
        "team_of",
        "answer_values",
    }
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


def _programs_and_people(conn: Connection) -> None:
    """Programs, their cohorts, people and their grants, and the database's own settings.

    Every stored self-study (deleted ones too) is given a program: studies with the
    same program id are one program's, else those whose names match once case and
    spacing are set aside. Each program records which rule grouped it (`origin`),
    which `selfstudy programs list` reports. A start that stopped half way is
    completed: studies already grouped keep their program.
    """
    for table in (
        programs_table,
        program_cohorts_table,
        people_table,
        grants_table,
        settings_table,
    ):
        table.create(conn, checkfirst=True)
    schema = inspect(conn)
    if "program_ref" not in {c["name"] for c in schema.get_columns("studies")}:
        conn.execute(text("ALTER TABLE studies ADD COLUMN program_ref VARCHAR(40)"))
        conn.execute(text("CREATE INDEX ix_studies_program_ref ON studies (program_ref)"))
    programs = {row.key: row.id for row in conn.execute(select(programs_table))}
    rows = conn.execute(
        select(studies_table.c.id, studies_table.c.program, studies_table.c.created_at)
        .where(studies_table.c.program_ref.is_(None))
        .order_by(studies_table.c.created_at.desc())  # the latest names a program
    ).all()
    for row in rows:
        details = json.loads(row.program)
        program_id = programs.get(key := program_key(details.get("id"), details["name"]))
        if program_id is None:
            program_id = programs[key] = new_id()
            conn.execute(
                insert(programs_table).values(
                    id=program_id,
                    key=key,
                    name=" ".join(details["name"].split()) or details["name"],
                    organization=details.get("organization"),
                    origin=key.split(":", 1)[0],
                    created_at=now(),
                    created_by=BEFORE_PROGRAMS,
                )
            )
        conn.execute(
            update(studies_table).where(studies_table.c.id == row.id).values(program_ref=program_id)
        )
        add_cohort(conn, program_id, details.get("cohort"))


def _teams(conn: Connection) -> None:
    """Team self-studies: the teams and raters tables, and the column that marks a rater's
    own sheet. A start that stopped half way is completed."""
    for table in (teams_table, raters_table, consensus_table):
        table.create(conn, checkfirst=True)
    if "team_of" not in {c["name"] for c in inspect(conn).get_columns("studies")}:
        conn.execute(text("ALTER TABLE studies ADD COLUMN team_of VARCHAR(40)"))
        conn.execute(text("CREATE INDEX ix_studies_team_of ON studies (team_of)"))


def _improvement(conn: Connection) -> None:
    """Improvement plans: their records, the records' history, and programs' sharing."""
    for table in (records_table, record_changes_table, sharing_table):
        table.create(conn, checkfirst=True)


def _answer_values_index(conn: Connection) -> None:
    """On SQLite, an index holding each answer's (study, item, value), so a cohort comparison
    gathered a network's values from the index alone (dropped by 007, once the values are
    packed with their study). PostgreSQL gets none: a btree entry is limited to about
    2.7 kB, and a written-out answer may be longer."""
    if conn.dialect.name == "sqlite":
        conn.execute(
            text("CREATE INDEX IF NOT EXISTS answers_values ON answers (study_id, item_id, value)")
        )


# The packing of `studies.answer_values`: `item id US value` joined by RS (ASCII's unit and
# record separators). A value is JSON text, whose control characters are always escaped.
UNIT, RECORD = "\x1f", "\x1e"


def _packed_answer_values(conn: Connection) -> None:
    """Each study's answers' items and values, packed in one text on the study, kept so by
    every write (`pack_answer_values`) and forgotten by the database itself whenever an
    answer changes any other way (triggers). A cohort comparison then reads one text per
    study (`columns.read_study_columns`) where the database gathered millions of answers
    at every read: most of the time `cohort --from-db` took at 100,000 studies.

    Packing the studies already stored takes a while once: at 100,000 studies about 50 s
    on SQLite and 70 s on PostgreSQL, on a busy two-core machine. SQLite's index of answer
    values (006) is dropped: reads no longer use it, and it made every write of an answer
    update one more index."""
    if "answer_values" not in {c["name"] for c in inspect(conn).get_columns("studies")}:
        conn.execute(text("ALTER TABLE studies ADD COLUMN answer_values TEXT"))
    for statement in _FORGET_PACKED_VALUES[conn.dialect.name]:
        conn.execute(text(statement))
    pack_answer_values(conn, conn.scalars(select(studies_table.c.id)).all())
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP INDEX IF EXISTS answers_values"))


# Any change to an answer, by whatever statement, forgets its study's packed values: a
# write that does not pack them again (none of the storage's) leaves the study to be read
# from its answers, never read as it was. SQLite's triggers run for each row; PostgreSQL's
# once per statement, over the rows it changed (a bulk import's `COPY` of thousands).
# PostgreSQL's first locks the studies' rows: a study whose text is null as this statement
# sees it may be packed meanwhile by a storage write not yet committed, which did not see
# this change; the lock waits for it, and the next statement (a snapshot of its own) then
# forgets what it packed.
_FORGET = "UPDATE studies SET answer_values = NULL WHERE answer_values IS NOT NULL AND id"
_FORGET_PACKED_VALUES = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS answers_inserted AFTER INSERT ON answers
        BEGIN {_FORGET} = NEW.study_id; END""",
        f"""CREATE TRIGGER IF NOT EXISTS answers_updated AFTER UPDATE ON answers
        BEGIN {_FORGET} IN (OLD.study_id, NEW.study_id); END""",
        f"""CREATE TRIGGER IF NOT EXISTS answers_deleted AFTER DELETE ON answers
        BEGIN {_FORGET} = OLD.study_id; END""",
    ],
    "postgresql": [
        # its tables are the migration's (the app's search path), whoever changes an answer
        f"""CREATE OR REPLACE FUNCTION forget_packed_answer_values() RETURNS trigger
        LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ BEGIN
            PERFORM FROM studies WHERE id IN (SELECT study_id FROM changed)
                FOR NO KEY UPDATE OF studies;
            {_FORGET} IN (SELECT study_id FROM changed);
            RETURN NULL;
        END $$""",
        *(
            statement
            for done, event, rows in (
                ("inserted", "INSERT", "NEW"),
                ("updated_from", "UPDATE", "OLD"),  # an answer moved to another study: both
                ("updated", "UPDATE", "NEW"),
                ("deleted", "DELETE", "OLD"),
            )
            for statement in (
                f"DROP TRIGGER IF EXISTS answers_{done} ON answers",
                f"""CREATE TRIGGER answers_{done} AFTER {event} ON answers
                REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT
                EXECUTE FUNCTION forget_packed_answer_values()""",
            )
        ),
        # every answer removed at once by hand (no rows for the triggers above)
        """CREATE OR REPLACE FUNCTION forget_all_packed_answer_values() RETURNS trigger
        LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ BEGIN
            UPDATE studies SET answer_values = NULL WHERE answer_values IS NOT NULL;
            RETURN NULL;
        END $$""",
        "DROP TRIGGER IF EXISTS answers_truncated ON answers",
        """CREATE TRIGGER answers_truncated AFTER TRUNCATE ON answers
        FOR EACH STATEMENT EXECUTE FUNCTION forget_all_packed_answer_values()""",
    ],
}


def pack_answer_values(conn: Connection, study_ids: Sequence[str], **also: Any) -> None:
    """Pack the answers' items and values onto these studies, from the answers as they now
    are, in the caller's transaction: after every write of answers; `also`: other columns
    of theirs set at once.

    A study with an item id holding a separator (a value never does: JSON escapes it, but
    one written by hand might) is left unpacked (null): its answers are read one by one.
    A study without answers packs to an empty text. A few hundred studies a statement,
    gathered by one grouping (a subquery per study took PostgreSQL twenty times as long)."""
    answers, studies = answers_table.c, studies_table.c
    marked = [
        column.contains(mark)
        for column in (answers.item_id, answers.value)
        for mark in (UNIT, RECORD)
    ]
    ids = list(study_ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        conn.execute(
            update(studies_table).where(studies.id.in_(part)).values(answer_values="", **also)
        )
        gathered = (
            select(
                answers.study_id,
                func.aggregate_strings(answers.item_id + UNIT + answers.value, RECORD).label(
                    "packed"
                ),
                func.max(case((or_(*marked), 1), else_=0)).label("torn"),
            )
            .where(answers.study_id.in_(part))
            .group_by(answers.study_id)
            .subquery()
        )
        conn.execute(
            update(studies_table)
            .where(studies.id == gathered.c.study_id)
            .values(answer_values=case((gathered.c.torn == 1, null()), else_=gathered.c.packed))
        )


def add_cohort(conn: Connection, program_id: str, cohort: str | None) -> None:
    """Put a program in a cohort (a self-study of it names the cohort); once is enough."""
    add_cohorts(conn, [(program_id, cohort)])


def add_cohorts(conn: Connection, pairs: Iterable[tuple[str, str | None]]) -> None:
    """`add_cohort` for many (program, cohort) pairs: one read of what is there, one insert
    of what is not (a bulk import names a cohort for every program it saves)."""
    wanted: dict[tuple[str, str], str] = {}
    for program_id, cohort in pairs:
        if cohort and normal_name(cohort):
            wanted.setdefault((program_id, normal_name(cohort)), cohort.strip())
    programs = sorted({program_id for program_id, _ in wanted})
    for start in range(0, len(programs), 500):
        rows = conn.execute(
            select(program_cohorts_table.c.program_id, program_cohorts_table.c.cohort_key).where(
                program_cohorts_table.c.program_id.in_(programs[start : start + 500])
            )
        )
        for row in rows:
            wanted.pop((row.program_id, row.cohort_key), None)
    insert_rows(
        conn,
        program_cohorts_table,
        ("program_id", "cohort_key", "cohort"),
        [(program_id, key, cohort) for (program_id, key), cohort in wanted.items()],
    )


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows of these columns, given as plain tuples, by the driver itself:
    PostgreSQL's `COPY`, SQLite's `executemany`. For the answers and history of a bulk
    import, SQLAlchemy's building of each row's parameters took longer than SQLite took
    to write them, and PostgreSQL took a round of its own for each row of an
    `executemany`."""
    if not values:
        return
    quote = conn.dialect.identifier_preparer.quote
    names = f"{quote(table.name)} ({', '.join(quote(c) for c in columns)})"
    if conn.dialect.name != "postgresql":
        marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {names} VALUES ({marks})", list(values))
        return
    statement = f"COPY {names} FROM STDIN"
    driver = conn.dialect.loaded_dbapi
    try:
        with conn.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except driver.Error as exc:  # as any statement's failure: one `DatabaseError` line
        raise DBAPIError.instance(statement, None, exc, driver.Error) from exc


# `json.dumps(value, ensure_ascii=False)`, without making an encoder for every value (a bulk
# import writes hundreds of thousands)
json_text = json.JSONEncoder(ensure_ascii=False).encode


def change_values(
    field: str, old: Any, new: Any, revision: int, stamp: str, by: str, accepted: bool = True
) -> dict[str, Any]:
    """The columns every history entry has (`changes` of answers, `improvement_changes` of
    plans): the field, its old and new value as JSON, when, by whom, and whether it stood."""
    return {
        "field": field,
        "old": json_text(old),
        "new": json_text(new),
        "revision": revision,
        "accepted": int(accepted),
        "changed_at": stamp,
        "changed_by": by,
    }


def new_id() -> str:
    """A url-safe random id that starts with a letter or digit, so no command line takes it
    for an option (`-x…`)."""
    while True:
        made = secrets.token_urlsafe(9)
        if made[0].isalnum():
            return made


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_studies_answers_sync_bases", _create_first_tables),
    ("002_history_field_revisions_soft_delete", _history_and_field_revisions),
    ("003_programs_people_grants", _programs_and_people),
    ("004_team_ratings", _teams),
    ("005_improvement_plans", _improvement),
    ("006_answer_values_index", _answer_values_index),
    ("007_packed_answer_values", _packed_answer_values),
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
