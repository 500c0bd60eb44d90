"""Never lose work: per-field conflicts, no-op saves, history and restore, safe deletion.

Every test runs on SQLite and, when `SELFSTUDY_TEST_POSTGRES_URL` is set (as
`make test` does), on a real PostgreSQL server too.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from selfstudy.core.study import Answer
from selfstudy.edges.storage import StaleEdit, Storage, StudyNotFound
from selfstudy.edges.storage.schema import BEFORE_HISTORY

V1_DATABASE = Path(__file__).parent / "data" / "selfstudy-v1.db"


def revision_of(storage: Storage, study_id: str, item_id: str) -> int | None:
    return storage.get_study(study_id).revisions.get(item_id)


def test_saving_what_is_already_stored_writes_nothing_and_raises_no_revision(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answer(study_id, "PG.1.a", Answer(value=3, evidence="Minutes"), None)
    before = storage.fingerprint()
    assert storage.save_field(study_id, "PG.1.a", "evidence", "Minutes", 1) == 1
    assert storage.save_answer(study_id, "PG.1.a", Answer(value=3, evidence="Minutes"), 1) == 1
    assert revision_of(storage, study_id, "PG.1.a") == 1
    assert storage.fingerprint() == before
    assert len(storage.history(study_id, "PG.1.a")) == 2  # value and evidence, once each


def test_a_colleagues_rating_never_refuses_my_evidence(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answer(study_id, "PG.1.a", Answer(value=2), None)
    seen_by_ana = seen_by_ben = revision_of(storage, study_id, "PG.1.a")
    storage.save_field(study_id, "PG.1.a", "value", 4, seen_by_ben, by="Ben")
    storage.save_field(study_id, "PG.1.a", "evidence", "Board minutes", seen_by_ana, by="Ana")
    stored = storage.get_study(study_id).study.answers["PG.1.a"]
    assert (stored.value, stored.evidence) == (4, "Board minutes")


def test_the_same_field_changed_twice_refuses_the_second_and_keeps_its_text(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_field(study_id, "PG.1.a", "evidence", "Ana's minutes", None, by="Ana")
    with pytest.raises(StaleEdit) as caught:
        storage.save_field(study_id, "PG.1.a", "evidence", "Ben's survey", None, by="Ben")
    conflict = caught.value.conflicts[0]
    assert (conflict.field, conflict.mine) == ("evidence", "Ben's survey")
    assert conflict.answer.evidence == "Ana's minutes"
    assert conflict.updated_by == "Ana"
    stored = storage.get_study(study_id).study.answers["PG.1.a"]
    assert stored.evidence == "Ana's minutes"
    refused = [c for c in storage.history(study_id, "PG.1.a") if not c.accepted]
    assert [(c.field, c.new, c.changed_by) for c in refused] == [
        ("evidence", "Ben's survey", "Ben")
    ]


def test_every_change_is_in_the_history_with_old_new_when_and_who(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_field(study_id, "PG.1.a", "value", 2, None, by="Ana")
    storage.save_field(study_id, "PG.1.a", "value", 3, 1, by="Ben")
    storage.save_field(study_id, "PG.1.a", "notes", "check", 2, by="Ana")
    changes = storage.history(study_id, "PG.1.a")
    assert [(c.field, c.old, c.new, c.changed_by) for c in changes] == [
        ("notes", "", "check", "Ana"),
        ("value", 2, 3, "Ben"),
        ("value", None, 2, "Ana"),
    ]
    assert all(c.accepted and c.changed_at is not None for c in changes)


def test_any_earlier_value_can_be_restored_and_the_restore_is_a_change_too(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_field(study_id, "PG.1.a", "evidence", "first draft", None)
    storage.save_field(study_id, "PG.1.a", "evidence", "", 1)
    first = storage.history(study_id, "PG.1.a")[-1]
    storage.restore_value(study_id, first.id, by="Ana")
    assert storage.get_study(study_id).study.answers["PG.1.a"].evidence == "first draft"
    latest = storage.history(study_id, "PG.1.a")[0]
    assert (latest.old, latest.new, latest.changed_by) == ("", "first draft", "Ana")


def test_a_refused_text_can_be_restored_from_the_history(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_field(study_id, "PG.1.a", "notes", "Ana", None)
    with pytest.raises(StaleEdit):
        storage.save_field(study_id, "PG.1.a", "notes", "Ben", None)
    refused = next(c for c in storage.history(study_id, "PG.1.a") if not c.accepted)
    storage.restore_value(study_id, refused.id)
    assert storage.get_study(study_id).study.answers["PG.1.a"].notes == "Ben"


def test_program_detail_changes_are_in_the_history(storage, new_study):
    study_id = storage.create_study(new_study)
    renamed = new_study.program.model_copy(update={"name": "Bridge 2"})
    storage.update_program(study_id, renamed, by="Ana")
    storage.update_program(study_id, renamed, by="Ana")  # the same again: nothing to record
    (change,) = storage.history(study_id, "@program")
    assert (change.old["name"], change.new["name"], change.changed_by) == (
        "Bridge to STEM",
        "Bridge 2",
        "Ana",
    )


def test_a_deleted_study_can_be_restored_with_every_answer_and_its_history(storage, sample_set):
    study_id = storage.create_study(sample_set[0])
    storage.save_field(study_id, "PG.1.a", "notes", "before deleting", 1)
    history = storage.history(study_id)
    storage.delete_study(study_id, by="Ana")
    assert [s.id for s in storage.list_studies()] == []
    assert [s.id for s in storage.deleted_studies()] == [study_id]
    assert storage.all_studies() == []
    with pytest.raises(StudyNotFound):
        storage.get_study(study_id)

    storage.restore_study(study_id, by="Ana")
    restored = storage.get_study(study_id).study
    assert restored.answers["PG.1.a"].notes == "before deleting"
    assert restored.model_copy(update={"answers": {}}) == sample_set[0].model_copy(
        update={"answers": {}}
    )
    assert storage.deleted_studies() == []
    kept = storage.history(study_id)
    assert kept[2:] == history  # deletion and restoration were added on top
    assert [(c.field, c.new) for c in kept[:2]] == [("deleted", False), ("deleted", True)]


def test_deleted_studies_are_purged_only_after_the_grace_period(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.delete_study(study_id)
    assert storage.purge_deleted(timedelta(days=30)) == []
    assert [s.id for s in storage.deleted_studies()] == [study_id]
    assert storage.purge_deleted(timedelta(0)) == [study_id]
    assert storage.deleted_studies() == []
    with pytest.raises(StudyNotFound):
        storage.restore_study(study_id)


def test_a_form_submitted_twice_creates_one_study(storage, new_study):
    first = storage.create_study(new_study, creation_key="form-1")
    again = storage.create_study(new_study, creation_key="form-1")
    other = storage.create_study(new_study, creation_key="form-2")
    assert first == again != other
    assert len(storage.list_studies()) == 2


def test_a_database_of_the_previous_version_migrates_without_loss(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(V1_DATABASE, path)
    before = _rows(path, "SELECT study_id, item_id, value, evidence, notes FROM answers")
    storage = Storage(f"sqlite:///{path}")
    assert "002_history_field_revisions_soft_delete" in storage.applied_migrations()
    after = _rows(path, "SELECT study_id, item_id, value, evidence, notes FROM answers")
    assert after == before
    studies = storage.list_studies()
    assert len(studies) == 2
    edited = next(s for s in studies if storage.get_study(s.id).study.answers["PG.1.a"].notes)
    stored = storage.get_study(edited.id)
    assert stored.study.answers["PG.1.a"].evidence == "changed once"
    # What was stored before the history began is in it, and can be restored.
    entries = storage.history(edited.id, "PG.1.a")
    assert {c.field for c in entries} == {"value", "evidence", "notes"}
    assert all(c.changed_by == BEFORE_HISTORY for c in entries)
    # A colleague's old revision still protects the answer after the migration.
    with pytest.raises(StaleEdit):
        storage.save_field(edited.id, "PG.1.a", "notes", "stale", 1)
    storage.save_field(edited.id, "PG.1.a", "notes", "fresh", stored.revisions["PG.1.a"])
    assert storage.get_study(edited.id).study.answers["PG.1.a"].notes == "fresh"
    sync_bases = _rows(path, "SELECT target FROM sync_bases")
    assert sync_bases == [("gsheet:KEY",)]


def _rows(path: Path, query: str) -> list[tuple]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = sorted(tuple(r) for r in conn.execute(text(query)))
    engine.dispose()
    return rows


# --- any interleaving of two people's saves ------------------------------------------------

FIELD_VALUES = {
    "value": st.sampled_from([None, 1, 2, 3, 4, "N/A"]),
    "evidence": st.sampled_from(["", "minutes", "survey", "minutes and survey"]),
    "notes": st.sampled_from(["", "ask Ana", "done"]),
}
ITEMS = ["PG.1.a", "PG.1.b"]
save_step = st.tuples(
    st.sampled_from(["ana", "ben"]),
    st.sampled_from(ITEMS),
    st.sampled_from(list(FIELD_VALUES)),
    st.data(),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(save_step, min_size=1, max_size=12))
def test_any_interleaving_keeps_every_accepted_write_and_ends_with_the_last_of_each_field(
    storage, new_study, steps
):
    """A model of the rule runs beside the database: a save is refused exactly when its
    field changed since that person last saw it (and the value differs); every accepted
    change is in the history; the stored value is the last accepted one."""
    study_id = storage.create_study(new_study)
    revision_seen = {"ana": {}, "ben": {}}  # what each person sends: (item, field) -> revision
    version = {}  # the model: how many times each (item, field) has changed
    version_seen = {"ana": {}, "ben": {}}
    model: dict[tuple[str, str], object] = {}
    accepted_count = 0
    for person, item_id, field, data in steps:
        key = (item_id, field)
        value = data.draw(FIELD_VALUES[field])
        blank = None if field == "value" else ""
        unchanged = _same(value, model.get(key, blank))
        stale = version_seen[person].get(key, 0) != version.get(key, 0)
        try:
            revision = storage.save_field(
                study_id, item_id, field, value, revision_seen[person].get(key), by=person
            )
        except StaleEdit:
            assert stale and not unchanged, "refused although nobody else changed the field"
            # The person is shown what is stored now, and sees its revision.
            revision_seen[person][key] = storage.get_study(study_id).field_revisions[item_id][field]
            version_seen[person][key] = version.get(key, 0)
            continue
        assert unchanged or not stale, "saved over a colleague's change without telling"
        if not unchanged:
            model[key] = value
            version[key] = version.get(key, 0) + 1
            accepted_count += 1
        revision_seen[person][key] = revision
        version_seen[person][key] = version.get(key, 0)
    stored = storage.get_study(study_id).study.answers
    for (item_id, field), value in model.items():
        assert _same(getattr(stored.get(item_id, Answer()), field), value)
    history = [c for c in storage.history(study_id) if c.accepted]
    assert len(history) == accepted_count
    latest: dict[tuple[str, str], object] = {}
    for change in reversed(history):  # oldest first
        latest[(change.item_id, change.field)] = change.new
    assert latest == model


def _same(a: object, b: object) -> bool:
    return (a in (None, "") and b in (None, "")) or (type(a) is type(b) and a == b)


def test_a_key_used_by_a_deleted_study_starts_a_new_one(storage, new_study):
    first = storage.create_study(new_study, creation_key="form-1")
    storage.delete_study(first)
    again = storage.create_study(new_study, creation_key="form-1")
    assert again != first
    assert [s.id for s in storage.list_studies()] == [again]


def test_a_database_of_the_previous_schema_migrates_on_either_engine(db_url):
    """Rows written by migration 001 alone come through 002 on SQLite and PostgreSQL."""
    from sqlalchemy import create_engine, insert

    from selfstudy.edges.storage.schema import (
        _create_first_tables,
        migrations_table,
        studies_table,
    )

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        migrations_table.create(conn)
        _create_first_tables(conn)
        conn.execute(
            insert(migrations_table).values(
                name="001_studies_answers_sync_bases", applied_at="2026-01-01T00:00:00+00:00"
            )
        )
        conn.execute(
            insert(studies_table).values(
                id="old-study",
                name="Bridge",
                rubric_id="stem-equity-self-study",
                rubric_version="1.0",
                program='{"name": "Bridge"}',
                created_at="2026-01-01T00:00:00+00:00",
                updated_at="2026-01-02T00:00:00+00:00",
            )
        )
        conn.execute(  # the columns the answers table had in version 1, no more
            text(
                "INSERT INTO answers (study_id, item_id, value, evidence, notes, answered, "
                "revision, updated_at) VALUES ('old-study', 'PG.1.a', '3', 'Minutes', '', 1, 2, "
                "'2026-01-02T00:00:00+00:00')"
            )
        )
    engine.dispose()

    storage = Storage(db_url)
    stored = storage.get_study("old-study")
    assert stored.study.answers["PG.1.a"] == Answer(value=3, evidence="Minutes")
    assert stored.revisions["PG.1.a"] == 2
    assert {(c.field, c.new) for c in storage.history("old-study")} == {
        ("value", 3),
        ("evidence", "Minutes"),
    }
    storage.save_field("old-study", "PG.1.a", "notes", "after the migration", 2)
    assert storage.get_study("old-study").study.answers["PG.1.a"].notes == "after the migration"
    storage.engine.dispose()


def test_a_migration_stopped_half_way_completes_on_the_next_start(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    path = tmp_path / "half.db"
    shutil.copy(V1_DATABASE, path)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # as if the first start had stopped after two columns
        conn.execute(sql("ALTER TABLE answers ADD COLUMN value_changed INTEGER NOT NULL DEFAULT 0"))
        conn.execute(sql("ALTER TABLE studies ADD COLUMN deleted_at VARCHAR(40)"))
    engine.dispose()
    storage = Storage(f"sqlite:///{path}")
    assert "002_history_field_revisions_soft_delete" in storage.applied_migrations()
    assert len(storage.list_studies()) == 2
    storage.engine.dispose()


def test_two_people_correcting_different_program_details_keep_both(storage, new_study):
    study_id = storage.create_study(new_study)
    shown = storage.get_study(study_id).study.program  # both forms show this
    ana = shown.model_copy(update={"organization": "Eastside Community College"})
    ben = shown.model_copy(update={"cohort": "2026"})
    storage.update_program(study_id, ana, by="Ana", shown=shown)
    storage.update_program(study_id, ben, by="Ben", shown=shown)
    program = storage.get_study(study_id).study.program
    assert (program.organization, program.cohort) == ("Eastside Community College", "2026")
