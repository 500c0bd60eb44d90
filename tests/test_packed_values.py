"""Each study keeps its answers' items and values packed in one text (`studies.answer_values`),
which a cohort comparison reads instead of gathering millions of answers. The packed text
must always say what the answers say: after every kind of write the storage makes, and
when an answer is changed by a statement the storage never wrote (the database then
forgets the text, and the comparison reads that study's answers). On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, select, text, update

from selfstudy.core.access import Actor
from selfstudy.core.study import Answer
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.schema import (
    RECORD,
    UNIT,
    answers_table,
    migrations_table,
    studies_table,
)
from selfstudy.workflows import cohorts as cohort_workflow
from selfstudy.workflows.teams import start_team
from tests.test_cohorts_columns import assert_same_scores


def packed(storage: Storage) -> dict[str, str | None]:
    with storage.engine.connect() as conn:
        return dict(conn.execute(select(studies_table.c.id, studies_table.c.answer_values)).all())


def answered(storage: Storage, study_id: str) -> Counter:
    """The (item, value) pairs the answers table holds for a study."""
    with storage.engine.connect() as conn:
        rows = conn.execute(
            select(answers_table.c.item_id, answers_table.c.value).where(
                answers_table.c.study_id == study_id
            )
        )
        return Counter((row.item_id, row.value) for row in rows)


def unpacked(text: str) -> Counter:
    return Counter(tuple(p.rsplit(UNIT, 1)) for p in text.split(RECORD)) if text else Counter()


def assert_packed_as_answered(storage: Storage, *skip: str) -> None:
    """Every study's packed text (but those of `skip`) holds exactly its answers' items and
    values."""
    for study_id, values in packed(storage).items():
        if study_id in skip:
            continue
        assert values is not None, f"{study_id}: not packed after a write of the storage's"
        assert unpacked(values) == answered(storage, study_id), study_id


def assert_compared_as_objects(storage: Storage) -> None:
    """The comparison read from the packed texts is the comparison of the study objects."""
    rubric_id = storage.rubric_ids()[0]
    stored = cohort_workflow.stored_scores(storage, rubric_id)
    kept, problems = cohort_workflow.comparable(storage.all_studies(), stored.rubric)
    expected, repeats = cohort_workflow.scores_of(stored.rubric, kept)
    assert sorted(map(str, stored.problems)) == sorted(map(str, [*problems, *repeats]))
    assert_same_scores(stored.scores, expected)


def as_(storage: Storage, name: str) -> Storage:
    return storage.acting_as(Actor.local(name))


def test_every_write_of_the_storage_keeps_the_packed_values_as_the_answers(
    storage: Storage, sample_set
):
    ids = storage.create_studies(sample_set[:4])  # a bulk save
    assert_packed_as_answered(storage)
    first, second, third, fourth = ids
    seen = storage.get_study(first).revisions
    storage.save_answer(first, "PG.1.a", Answer(value=1, evidence="changed"), seen.get("PG.1.a"))
    storage.save_field(first, "SR.1.a", "value", None, seen.get("SR.1.a"))  # rating cleared
    storage.save_field(first, "PG.1.b", "evidence", "only the evidence", seen.get("PG.1.b"))
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)

    now = storage.get_study(second)
    changes = {"PG.1.a": Answer(value=2), "PG.2.a": Answer(value=3, notes="n")}
    storage.save_answers(
        second,
        changes,
        {item: now.revisions.get(item) for item in changes},
        program=now.study.program.model_copy(update={"cohort": "Moved"}),
        shown=now.study.program,
    )  # an update from a copy: answers and program details in one transaction
    value_change = next(
        c for c in storage.history(second) if c.item_id == "PG.1.a" and c.field == "value"
    )
    storage.restore_value(second, value_change.id)  # its value before, from the history
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)

    # a team: the lead's answers move to their sheet, a rater joins, the lead records one
    start_team(as_(storage, "Ana"), third)
    as_(storage, "Bo").add_rater(third, "Bo")
    assert_packed_as_answered(storage)
    storage.delete_study(fourth)
    assert_compared_as_objects(storage)
    storage.restore_study(fourth)
    assert_packed_as_answered(storage)
    assert_compared_as_objects(storage)


def test_an_answer_changed_outside_the_storage_is_compared_as_it_now_is(
    storage: Storage, sample_set
):
    """Another tool, a hand-made fix or a future write that forgets to pack: the database
    forgets the study's packed text, and the comparison reads its answers one by one."""
    ids = storage.create_studies(sample_set[:3])
    item = next(iter(sample_set[0].answers))
    with storage.engine.begin() as conn:
        conn.execute(
            update(answers_table)
            .where(answers_table.c.study_id == ids[0], answers_table.c.item_id == item)
            .values(value="null")  # the rating taken away by hand
        )
        conn.execute(
            delete(answers_table).where(
                answers_table.c.study_id == ids[1], answers_table.c.item_id == item
            )
        )
    forgotten = packed(storage)
    assert forgotten[ids[0]] is None and forgotten[ids[1]] is None
    assert forgotten[ids[2]] is not None  # the others keep theirs
    assert_compared_as_objects(storage)
    scores = cohort_workflow.stored_scores(storage, storage.rubric_ids()[0]).scores
    assert scores.answered[0] == scores.answered[2] - 1  # one rating fewer than before

    with storage.engine.begin() as conn:  # an answer added by hand
        conn.execute(
            text(
                "INSERT INTO answers (study_id, item_id, value, evidence, notes, answered,"
                " revision, updated_at) VALUES (:s, :i, '2', '', '', 1, 1, '2026-01-01')"
            ),
            {"s": ids[1], "i": item},
        )
    assert packed(storage)[ids[1]] is None
    assert_compared_as_objects(storage)
    # the storage's next write of the study packs it again
    seen = storage.get_study(ids[1]).revisions
    storage.save_field(ids[1], item, "value", 1, seen.get(item))
    assert_packed_as_answered(storage, ids[0])  # the first is still read from its answers
    assert packed(storage)[ids[0]] is None
    assert_compared_as_objects(storage)


def test_an_item_id_holding_a_separator_is_left_unpacked_and_read_from_its_answers(
    storage: Storage, sample_set
):
    hostile = sample_set[0].model_copy(deep=True)
    hostile.answers[f"XX{UNIT}9"] = Answer(value=2)
    hostile.answers[f"YY{RECORD}1"] = Answer(value=1)
    plain, torn = storage.create_studies([sample_set[1], hostile])
    assert packed(storage)[torn] is None and packed(storage)[plain] is not None
    assert_compared_as_objects(storage)


def test_a_database_from_before_packing_is_packed_when_the_app_starts(storage: Storage, sample_set):
    url = storage.engine.url.render_as_string(hide_password=False)
    storage.create_studies(sample_set)
    with storage.engine.begin() as conn:  # as 006 left it: no texts, 007 not applied
        conn.execute(update(studies_table).values(answer_values=None))
        conn.execute(
            delete(migrations_table).where(migrations_table.c.name == "007_packed_answer_values")
        )
    storage.engine.dispose()
    again = Storage(url)
    assert again.applied_migrations()[-1] == "007_packed_answer_values"
    assert_packed_as_answered(again)
    assert_compared_as_objects(again)
