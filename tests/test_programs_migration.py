"""A database of the schema before programs existed (tests/data/selfstudy-v2.db) is migrated:
its self-studies are grouped into programs by program id, else by name, and nothing is lost.

The fixture holds seven studies made by the previous version: p01's two rounds (the second
renamed, same program id), p02's two rounds (ids `p02` and ` P02 `), two rounds of a program
without an id named `Robotics Club` and `  robotics   CLUB `, and a deleted `Old Program`.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select

from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.schema import MIGRATIONS, metadata, migrations_table, now
from tests.conftest import POSTGRES_URL, fresh_postgres_url

V2_DATABASE = Path(__file__).parent / "data" / "selfstudy-v2.db"
TABLES = ("studies", "answers", "changes", "sync_bases")


def _rows(path: Path, query: str) -> list[tuple]:
    """Rows of the fixture, read without touching it (no journal files beside it)."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
        return sorted(conn.execute(query).fetchall())


def _v2_in_postgres() -> str:
    """The fixture's rows in a new PostgreSQL database made by the first two migrations."""
    url = fresh_postgres_url(POSTGRES_URL)
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations_table.create(conn)
        for name, apply in MIGRATIONS[:2]:
            apply(conn)
            conn.execute(insert(migrations_table).values(name=name, applied_at=now()))
        with sqlite3.connect(f"file:{V2_DATABASE}?immutable=1", uri=True) as old:
            old.row_factory = sqlite3.Row
            for table in TABLES:
                rows = [dict(r) for r in old.execute(f"SELECT * FROM {table}")]
                if rows:
                    conn.execute(insert(metadata.tables[table]), rows)
        # rows copied with their ids: the id sequence goes on after them, as it did there
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('changes', 'id'), (SELECT max(id) FROM changes))"
        )
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "v2.db"
        shutil.copy(V2_DATABASE, path)
        return f"sqlite:///{path}"
    if not POSTGRES_URL:
        pytest.skip("SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)")
    return _v2_in_postgres()


def test_studies_are_grouped_into_programs_by_id_else_by_name(old_database):
    storage = Storage(old_database)
    assert "003_programs_people_grants" in storage.applied_migrations()
    programs = {p.name: p for p in storage.programs()}
    assert sorted(programs) == [
        "Bridge to STEM Summer Academy (renamed)",  # the latest round names the program
        "Old Program",
        "Young Engineers of the Valley",
        "robotics CLUB",  # spacing tidied
    ]
    assert programs["Bridge to STEM Summer Academy (renamed)"].studies == 2
    assert programs["Young Engineers of the Valley"].studies == 2
    assert programs["robotics CLUB"].studies == 2
    assert programs["Old Program"].studies == 0  # its one study is deleted, and kept
    # the report of what was grouped, as `selfstudy programs list` shows it
    assert "by program id" in programs["Young Engineers of the Valley"].origin
    assert "by program name" in programs["robotics CLUB"].origin
    assert programs["robotics CLUB"].cohorts == ("2025 Network cohort", "2026 Network cohort")
    by_program: dict[str | None, set[str]] = {}
    for summary in storage.list_studies():
        by_program.setdefault(summary.program_id, set()).add(summary.round or "")
    assert sorted(map(sorted, by_program.values())) == [
        ["baseline", "follow-up"],
        ["baseline", "follow-up"],
        ["baseline", "follow-up"],
    ]
    deleted = storage.deleted_studies()
    assert [s.name for s in deleted] == ["Old Program"]
    assert deleted[0].program_id == programs["Old Program"].id


def test_nothing_is_lost_and_new_rounds_join_their_program(old_database):
    before = _rows(V2_DATABASE, "SELECT study_id, item_id, value, evidence, notes FROM answers")
    history = _rows(V2_DATABASE, "SELECT id, study_id, item_id, field, old, new FROM changes")
    storage = Storage(old_database)
    engine = create_engine(old_database)
    with engine.connect() as conn:
        answers = metadata.tables["answers"].c
        after = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    answers.study_id,
                    answers.item_id,
                    answers.value,
                    answers.evidence,
                    answers.notes,
                )
            )
        )
        changes = metadata.tables["changes"].c
        kept = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    changes.id,
                    changes.study_id,
                    changes.item_id,
                    changes.field,
                    changes.old,
                    changes.new,
                )
            )
        )
    engine.dispose()
    assert after == before
    assert kept == history
    # A new round of a grouped program goes to that program, matched by its id.
    robotics = next(p for p in storage.programs() if p.name == "robotics CLUB")
    young = next(p for p in storage.programs() if p.name == "Young Engineers of the Valley")
    first = storage.get_study(
        next(s.id for s in storage.list_studies() if s.program_id == young.id)
    ).study
    again = first.model_copy(
        update={"program": first.program.model_copy(update={"id": "P02", "round": "third"})}
    )
    new_id = storage.create_study(again)
    assert next(s for s in storage.list_studies() if s.id == new_id).program_id == young.id
    # ... and by its name, when it has no id
    named = first.model_copy(
        update={"program": first.program.model_copy(update={"id": None, "name": "ROBOTICS club"})}
    )
    assert storage.get_study(storage.create_study(named)).study.program.name == "ROBOTICS club"
    assert {p.name: p.studies for p in storage.programs()}[robotics.name] == 3
