"""Trying to make a study's packed answer values (`studies.answer_values`) say something
other than its answers: a cohort comparison (the Cohorts page, `selfstudy cohort
--from-db`, a downloaded workbook) would then differ, without a word, from the studies
themselves. Each test does what a person or a second writer does, then checks what a
user would: the packed text holds exactly the answers (or is forgotten, null), and the
comparison read from the texts is the comparison of the study objects. On SQLite and
PostgreSQL; the tests of two writers at once on PostgreSQL alone (SQLite lets one write
at a time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Table, create_engine, insert, inspect, select, text, update

from selfstudy.core.access import Actor
from selfstudy.core.study import MAX_TEXT_LENGTH, Answer, SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.database import StaleEdit
from selfstudy.edges.storage.schema import (
    MIGRATIONS,
    RECORD,
    UNIT,
    answers_table,
    metadata,
    migrations_table,
    now,
    pack_answer_values,
)
from selfstudy.workflows import cohorts as cohort_workflow
from selfstudy.workflows.teams import start_team
from tests.conftest import BACKENDS, POSTGRES_URL, fresh_postgres_url
from tests.test_packed_values import (
    answered,
    assert_compared_as_objects,
    assert_packed_as_answered,
    packed,
    unpacked,
)

ON_POSTGRES = BACKENDS[1:]  # conftest's PostgreSQL parameter, skipped without a server


@pytest.fixture(params=ON_POSTGRES)
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    assert POSTGRES_URL
    yield fresh_postgres_url(POSTGRES_URL)


def assert_packed_or_forgotten(storage: Storage) -> None:
    """No study's packed text says other than its answers: each is its answers, or null."""
    for study_id, values in packed(storage).items():
        if values is not None:
            assert unpacked(values) == answered(storage, study_id), study_id


def as_(storage: Storage, name: str) -> Storage:
    return storage.acting_as(Actor.local(name))


def _raw_engine(storage: Storage):
    """A connection of another tool (psql, a script) to the same database: no storage."""
    return create_engine(storage.engine.url.render_as_string(hide_password=False))


# --- two writers at once (PostgreSQL, READ COMMITTED) --------------------------------------


def _until_done_or_waiting(raw, thread: threading.Thread) -> None:
    """Until `thread` has finished, or a connection to the database waits for a lock."""
    deadline = time.monotonic() + 20
    with raw.connect() as conn:
        while thread.is_alive() and time.monotonic() < deadline:
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            )
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)


@pytest.mark.parametrize("fix", ["insert", "update"])
def test_a_hand_made_fix_open_while_the_app_saves_the_same_study_is_not_hidden_by_its_packing(
    pg_url: str, sample_set, fix: str
):
    """Someone fixes answers of a study by hand (psql: a transaction open while they check
    it) while a facilitator saves another answer of the same study in the app. The study's
    text had been forgotten already (an earlier fix by hand), so the fix's trigger found no
    text to forget. The app's save packs the answers it sees: not the fix, still
    uncommitted. Once both commit, the packed text must not leave the fix out."""
    storage = Storage(pg_url)
    try:
        [study_id] = storage.create_studies(sample_set[:1])
        first, second, third = list(sample_set[0].answers)[:3]
        raw = _raw_engine(storage)
        with raw.begin() as conn:  # an earlier fix by hand: the text is forgotten
            conn.execute(
                update(answers_table)
                .where(answers_table.c.study_id == study_id, answers_table.c.item_id == first)
                .values(evidence="fixed by hand")
            )
        assert packed(storage)[study_id] is None
        with raw.connect() as fixer:
            fixer.begin()
            if fix == "insert":
                fixer.execute(
                    insert(answers_table).values(
                        study_id=study_id,
                        item_id="XX.fixed",
                        value="3",
                        evidence="",
                        notes="",
                        answered=1,
                        revision=1,
                        updated_at=now(),
                    )
                )
            else:
                fixer.execute(
                    update(answers_table)
                    .where(answers_table.c.study_id == study_id, answers_table.c.item_id == second)
                    .values(value="null", answered=0)  # a rating taken away by hand
                )
            # the facilitator saves another item meanwhile (it may wait for the fix)
            seen = storage.get_study(study_id).revisions
            saving = threading.Thread(
                target=storage.save_field,
                args=(study_id, third, "evidence", "typed in the app", seen.get(third)),
            )
            saving.start()
            _until_done_or_waiting(raw, saving)
            fixer.commit()
            saving.join()
        raw.dispose()
        assert storage.get_study(study_id).study.answers[third].evidence == "typed in the app"
        assert_packed_or_forgotten(storage)
        assert_compared_as_objects(storage)
    finally:
        storage.engine.dispose()


def test_two_app_servers_saving_one_study_at_once_keep_its_packed_values(pg_url: str, sample_set):
    """Two app servers (two engines, one database), each saving items of the same study
    as fast as they can: each save packs in its own transaction."""
    one, other = Storage(pg_url), Storage(pg_url)
    try:
        [study_id] = one.create_studies(sample_set[:1])
        items = list(sample_set[0].answers)[:20]
        errors: list[BaseException] = []

        def writer(storage: Storage, mine: list[str], value: int) -> None:
            try:
                for _ in range(3):
                    for item in mine:
                        revision = storage.get_study(study_id).revisions.get(item)
                        storage.save_answer(study_id, item, Answer(value=value), revision)
                        value = 4 - value
            except BaseException as exc:  # shown by the assertion below
                errors.append(exc)

        threads = [
            threading.Thread(target=writer, args=(one, items[::2], 1)),
            threading.Thread(target=writer, args=(other, items[1::2], 2)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert_packed_as_answered(one)
        assert_compared_as_objects(one)
    finally:
        one.engine.dispose()
        other.engine.dispose()


# --- every kind of write, on both databases ------------------------------------------------


def test_a_save_refused_half_way_leaves_the_packed_values_as_the_answers(
    storage: Storage, sample_set
):
    """A copy's update writes its first answers, then finds a conflict on a later one:
    everything it wrote is rolled back, the packing with it."""
    [study_id] = storage.create_studies(sample_set[:1])
    items = list(sample_set[0].answers)[:3]
    stale = storage.get_study(study_id).revisions
    storage.save_field(study_id, items[2], "value", 1, stale.get(items[2]))  # someone else
    changes = {item: Answer(value=2, evidence="from the copy") for item in items}
    with pytest.raises(StaleEdit):
        storage.save_answers(study_id, changes, {item: stale.get(item) for item in items})
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_texts_holding_the_separators_nul_escapes_and_very_long_values_are_compared_as_stored(
    storage: Storage, sample_set
):
    """A text answer may hold anything a person pastes: ASCII's unit and record
    separators, other control characters, quotes, a very long text."""
    study = sample_set[0].model_copy(deep=True)
    items = list(study.answers)
    study.answers[items[0]] = Answer(value=f"a{UNIT}b{RECORD}c")
    study.answers[items[1]] = Answer(value=[f"{RECORD}", f"{UNIT}", "\\u0000 \t\n"])
    study.answers[items[2]] = Answer(value="x" * MAX_TEXT_LENGTH)
    study.answers[items[3]] = Answer(value=f'"{RECORD}"null')
    other = sample_set[1].model_copy(deep=True)
    [first, second] = storage.create_studies([study, other])
    seen = storage.get_study(second).revisions
    second_items = list(other.answers)
    storage.save_field(
        second, second_items[0], "value", f"{RECORD}{UNIT}", seen.get(second_items[0])
    )
    assert packed(storage)[first] is not None and packed(storage)[second] is not None
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_hostile_item_ids_are_never_misread(storage: Storage, sample_set):
    """Item ids an imported copy may carry (not the rubric's): a separator at either end,
    alone, an empty id, quotes and JSON-looking ids. A torn id leaves its study unpacked;
    none may move another study's answers."""
    hostile = sample_set[0].model_copy(deep=True)
    for item_id in (UNIT, RECORD, f"{UNIT}{RECORD}", f"A{UNIT}", f"{RECORD}B"):
        hostile.answers[item_id] = Answer(value=3)
    looking = sample_set[2].model_copy(deep=True)
    for item_id in ("", '"', '["x", 1]', "null", "\\u001e", "é漢🙂"):
        looking.answers[item_id] = Answer(value=2)
    ids = storage.create_studies([sample_set[1], hostile, looking, sample_set[3]])
    texts = packed(storage)
    assert texts[ids[1]] is None
    assert all(texts[i] is not None for i in (ids[0], ids[2], ids[3]))
    assert_packed_as_answered(storage, ids[1])
    assert_compared_as_objects(storage)
    # an edit of the torn study packs it as torn again: still read from its answers
    seen = storage.get_study(ids[1]).revisions
    storage.save_field(ids[1], UNIT, "value", 1, seen.get(UNIT))
    assert packed(storage)[ids[1]] is None
    assert_compared_as_objects(storage)


def test_empty_studies_and_studies_of_blank_answers_are_compared_as_stored(
    storage: Storage, sample_set
):
    empty = sample_set[0].model_copy(update={"answers": {}})
    blank = sample_set[1].model_copy(
        update={"answers": {item: Answer() for item in sample_set[1].answers}}
    )
    ids = storage.create_studies([empty, blank, sample_set[2]])
    assert packed(storage)[ids[0]] == ""
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)
    # the empty study gets its first answer, the blank one loses nothing
    item = next(iter(sample_set[0].answers))
    storage.save_answer(ids[0], item, Answer(value=2), None)
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_deleted_restored_and_purged_studies_keep_the_others_packed(storage: Storage, sample_set):
    from datetime import timedelta

    ids = storage.create_studies(sample_set[:4])
    storage.delete_study(ids[0])
    storage.delete_study(ids[1])
    assert_compared_as_objects(storage)
    storage.restore_study(ids[1])
    assert storage.purge_deleted(older_than=timedelta(0)) == [ids[0]]
    assert ids[0] not in packed(storage)
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_a_whole_team_round_keeps_every_study_and_sheet_packed(storage: Storage, sample_set):
    """A team: the lead's answers move to their sheet, raters join and rate on their
    sheets, the consensus is recorded, then the team is made single again."""
    [study_id] = storage.create_studies(sample_set[:1])
    lead, bo = as_(storage, "Ana"), as_(storage, "Bo")
    start_team(lead, study_id)
    bo_sheet = bo.add_rater(study_id, "Bo").sheet_id
    assert_packed_as_answered(storage)
    items = list(sample_set[0].answers)[:5]
    for item in items:
        seen = bo.get_study(bo_sheet).revisions.get(item)
        bo.save_answer(bo_sheet, item, Answer(value=1, notes="Bo's"), seen)
    assert_packed_as_answered(storage)
    lead.open_consensus(study_id)
    for item in items:
        seen = lead.get_study(study_id).revisions.get(item)
        lead.record_consensus(study_id, item, Answer(value=2), seen)
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_a_team_imported_at_once_packs_its_study_and_every_sheet(storage: Storage, sample_set):
    raters = [("Ana", dict(sample_set[0].answers)), ("Bo", dict(sample_set[1].answers))]
    storage.create_team_study(sample_set[0], raters, lead="Ana")
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_an_answer_moved_to_another_study_by_hand_forgets_both_studies(
    storage: Storage, sample_set
):
    ids = storage.create_studies(sample_set[:3])
    item = next(iter(sample_set[0].answers))
    with storage.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM answers WHERE study_id = :s AND item_id = :i"),
            {"s": ids[1], "i": item},
        )
    storage.save_field(ids[1], list(sample_set[1].answers)[1], "notes", "packed again", None)
    assert packed(storage)[ids[1]] is not None
    with storage.engine.begin() as conn:  # moved from the first study to the second
        conn.execute(
            text("UPDATE answers SET study_id = :to WHERE study_id = :s AND item_id = :i"),
            {"to": ids[1], "s": ids[0], "i": item},
        )
    texts = packed(storage)
    assert texts[ids[0]] is None and texts[ids[1]] is None and texts[ids[2]] is not None
    assert_compared_as_objects(storage)


# --- migration 007 on a database the previous version wrote ---------------------------------


def _copy_rows(source: Storage, target_url: str) -> None:
    """Every row of `source`, put in the database at `target_url` by the columns it has."""
    target = create_engine(target_url)
    with source.engine.connect() as old, target.begin() as new:
        have = inspect(new)
        for table in metadata.sorted_tables:
            if table.name == migrations_table.name or not have.has_table(table.name):
                continue
            columns = [c["name"] for c in have.get_columns(table.name)]
            there = Table(table.name, type(metadata)(), autoload_with=new)
            rows = old.execute(select(*(table.c[c] for c in columns))).mappings().all()
            if rows:
                new.execute(insert(there), [dict(row) for row in rows])
            serial = table.autoincrement_column
            if rows and serial is not None and new.dialect.name == "postgresql":
                # the rows came with their numbers: the next one numbers after them
                new.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{serial.name}'),"
                        f" (SELECT max({serial.name}) FROM {table.name}))"
                    )
                )
    target.dispose()


def test_migrating_a_database_of_the_version_before_packs_every_study(
    db_url: str, sample_set, tmp_path
):
    """A database as the version before this one left it (migrations 001 to 006: no
    packed column, no triggers; on SQLite the index of answer values), holding studies,
    teams and deleted ones: the app's start migrates it; everything is packed and compared
    as stored, and the first write after it packs again."""
    built = Storage(f"sqlite:///{tmp_path / 'built.db'}")
    ids = built.create_studies(sample_set[:4])
    start_team(as_(built, "Ana"), ids[2])
    built.delete_study(ids[3])
    before = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with before.begin() as conn:
        migrations_table.create(conn)
        for name, apply in MIGRATIONS[:6]:
            apply(conn)
            conn.execute(insert(migrations_table).values(name=name, applied_at=now()))
        assert "answer_values" not in {c["name"] for c in inspect(conn).get_columns("studies")}
    before.dispose()
    _copy_rows(built, db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    built.engine.dispose()
    storage = Storage(db_url)
    try:
        assert storage.applied_migrations()[-1] == "007_packed_answer_values"
        assert_packed_as_answered(storage)
        assert_compared_as_objects(storage)
        with storage.engine.connect() as conn:
            assert "answers_values" not in {i["name"] for i in inspect(conn).get_indexes("answers")}
        seen = storage.get_study(ids[0]).revisions
        item = next(iter(sample_set[0].answers))
        storage.save_answer(ids[0], item, Answer(value=1), seen.get(item))
        with storage.engine.begin() as conn:  # the triggers were made: a fix by hand forgets
            conn.execute(text("UPDATE answers SET value = '4' WHERE study_id = :s"), {"s": ids[1]})
        assert packed(storage)[ids[1]] is None
        assert_packed_as_answered(storage, ids[1])
        assert_compared_as_objects(storage)
    finally:
        storage.engine.dispose()


def test_a_bulk_import_through_the_import_workflow_is_packed(storage: Storage, sample_set):
    """Many copies saved at once, as `selfstudy import` saves them (a batch a statement)."""
    many: list[SelfStudy] = []
    for n in range(60):
        study = sample_set[n % len(sample_set)]
        program = study.program.model_copy(update={"id": f"P{n}", "name": f"Program {n}"})
        many.append(study.model_copy(update={"program": program}))
    storage.create_studies(many)
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)
    scores = cohort_workflow.stored_scores(storage, storage.rubric_ids()[0]).scores
    assert len(scores.programs) == 60


def test_a_fix_by_hand_in_a_database_kept_in_a_schema_of_its_own_is_not_hidden(
    pg_url: str, sample_set
):
    """A network keeps its app's tables in a schema of their own (the URL's search path),
    beside another copy of the app in `public` (a trial, say). An admin fixes an answer of
    the network's study with psql, whose search path is the default one: the fix must be
    compared as it now is, not as the text packed before it."""
    trial = Storage(pg_url)
    raw = _raw_engine(trial)
    with raw.begin() as conn:
        conn.execute(text("CREATE SCHEMA network"))
    network = Storage(f"{pg_url}?options=-c%20search_path%3Dnetwork")
    try:
        [trial_id] = trial.create_studies(sample_set[:1])
        [network_id] = network.create_studies(sample_set[:1])
        item = next(iter(sample_set[0].answers))
        with raw.begin() as conn:  # the admin's fix, by the schema's name
            conn.execute(
                text(
                    "UPDATE network.answers SET value = 'null', answered = 0"
                    " WHERE study_id = :s AND item_id = :i"
                ),
                {"s": network_id, "i": item},
            )
        assert_packed_or_forgotten(network)
        assert_compared_as_objects(network)
        assert_packed_as_answered(trial)
        assert packed(trial)[trial_id] is not None
    finally:
        raw.dispose()
        trial.engine.dispose()
        network.engine.dispose()


def test_every_answer_cleared_at_once_by_hand_is_compared_as_cleared(storage: Storage, sample_set):
    """An admin clears every answer at once with the database's own tool (PostgreSQL's
    `TRUNCATE`, SQLite's `DELETE` of the whole table), keeping the studies: the comparison
    must find no answers, not the ones packed before."""
    storage.create_studies(sample_set[:3])
    statement = (
        "TRUNCATE answers"
        if storage.engine.dialect.name == "postgresql"
        else ("DELETE FROM answers")
    )
    with storage.engine.begin() as conn:
        conn.execute(text(statement))
    assert_packed_or_forgotten(storage)
    assert_compared_as_objects(storage)


def test_a_fix_by_hand_made_while_the_app_is_still_saving_the_study_waits_then_forgets(
    pg_url: str, sample_set
):
    """The other order: the app's save has locked and packed the study, and is not yet
    committed, when the fix by hand changes an answer. The fix waits for the save, then
    forgets the text the save packed without it."""
    storage = Storage(pg_url)
    try:
        [study_id] = storage.create_studies(sample_set[:1])
        item = next(iter(sample_set[0].answers))
        raw = _raw_engine(storage)
        with raw.begin() as conn:  # an earlier fix by hand: the text is forgotten
            conn.execute(
                text("UPDATE answers SET notes = 'by hand' WHERE study_id = :s AND item_id = :i"),
                {"s": study_id, "i": item},
            )
        assert packed(storage)[study_id] is None

        def fix() -> None:
            with raw.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE answers SET value = 'null', answered = 0"
                        " WHERE study_id = :s AND item_id = :i"
                    ),
                    {"s": study_id, "i": item},
                )

        with storage.engine.begin() as conn:  # the app's save, as `Storage._save_once` writes
            storage._lock_study(conn, study_id)
            pack_answer_values(conn, [study_id])
            fixing = threading.Thread(target=fix)
            fixing.start()
            _until_done_or_waiting(raw, fixing)
        fixing.join()
        raw.dispose()
        assert packed(storage)[study_id] is None
        assert answered(storage, study_id)[(item, "null")] == 1
        assert_compared_as_objects(storage)
    finally:
        storage.engine.dispose()
