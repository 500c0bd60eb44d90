"""A study saved in bulk (`Storage.create_studies`, as `import --save` saves copies) is stored
row for row as one saved alone (`create_study`): the same study, program, cohort, answer
and history rows, every column alike but the new ids and the moment of writing.

Bulk saving builds its rows its own quicker way, so this compares what each way wrote, read
straight from the database, on SQLite and, when `SELFSTUDY_TEST_POSTGRES_URL` is set,
PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.schema import (
    answers_table,
    changes_table,
    program_cohorts_table,
    programs_table,
    studies_table,
)
from tests.access_people import read_rows
from tests.conftest import POSTGRES_URL, fresh_postgres_url

BY = "bulk rows test"


def odd_answers(study: SelfStudy) -> SelfStudy:
    """The study with answers of every kind a copy can hold: texts needing JSON escapes,
    other scripts, a list, an empty list, a zero, evidence or notes alone, nothing at all."""
    kinds = [
        Answer(value='say "yes"\\no\nline two', evidence="tab\there", notes="é ü 漢字 🙂"),
        Answer(value=["a", "b"], evidence="", notes="notes alone"),
        Answer(value=[], evidence="evidence alone"),
        Answer(value=0),
        Answer(value="   "),
        Answer(),
    ]
    answers = dict(study.answers)
    for item_id, answer in zip(list(answers), kinds, strict=False):
        answers[item_id] = answer
    program = study.program.model_copy(update={"cohort": "  Spring   Cohort "})
    return study.model_copy(update={"answers": answers, "program": program})


def other_storage(db_url: str, tmp_path) -> Storage:
    """A second new database on the same kind of server as `db_url`'s."""
    if db_url.startswith("sqlite"):
        return Storage(f"sqlite:///{tmp_path / 'alone.db'}")
    assert POSTGRES_URL
    return Storage(fresh_postgres_url(POSTGRES_URL))


def written(storage: Storage, ids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the studies `ids` made, with each new id as the study's position (or the
    program's key) and each moment of writing left out."""
    with storage.engine.connect() as conn:
        rows = read_rows(conn)
    position = {study_id: n for n, study_id in enumerate(ids)}
    key_of = {row[0]: row[1] for row in rows[programs_table.name]}

    def masked(table, row, **how) -> tuple[Any, ...]:
        names = list(table.columns.keys())
        out = list(row)
        for name, change in how.items():
            out[names.index(name)] = change(out[names.index(name)])
        return tuple(out)

    at = {"created_at": lambda _: None, "updated_at": lambda _: None}
    return {
        "studies": sorted(
            masked(studies_table, row, id=position.get, program_ref=key_of.get, **at)
            for row in rows[studies_table.name]
        ),
        "programs": sorted(
            masked(programs_table, row, id=lambda _: None, created_at=lambda _: None)
            for row in rows[programs_table.name]
        ),
        "cohorts": sorted(
            masked(program_cohorts_table, row, program_id=key_of.get)
            for row in rows[program_cohorts_table.name]
        ),
        "answers": sorted(
            masked(answers_table, row, study_id=position.get, updated_at=lambda _: None)
            for row in rows[answers_table.name]
        ),
        "changes": sorted(
            masked(
                changes_table,
                row,
                id=lambda _: None,
                study_id=position.get,
                changed_at=lambda _: None,
            )
            for row in rows[changes_table.name]
        ),
    }


def test_studies_saved_in_bulk_are_stored_row_for_row_as_saved_one_at_a_time(
    storage: Storage, db_url: str, tmp_path, sample_set
):
    studies = [*sample_set[:4], odd_answers(sample_set[4])]
    bulk = storage.create_studies(studies, by=BY)
    alone_storage = other_storage(db_url, tmp_path)
    try:
        alone = [alone_storage.create_study(study, by=BY) for study in studies]
        expected = written(alone_storage, alone)
    finally:
        alone_storage.engine.dispose()
    got = written(storage, bulk)
    assert got == expected
    assert len(got["studies"]) == 5 and len(got["programs"]) == 3
    assert len(got["changes"]) > len(studies)  # the history of every answered field
    stored = dict(storage.all_studies())
    assert [stored[study_id] for study_id in bulk[:4]] == studies[:4]


def test_a_copy_naming_a_program_by_name_alone_goes_to_the_one_added_for_a_copy_before_it(
    storage: Storage, sample_set
):
    with_id = sample_set[0]
    by_name = sample_set[1].model_copy(
        update={
            "program": sample_set[1].program.model_copy(
                update={"id": None, "name": f"  {with_id.program.name.upper()} "}
            )
        }
    )
    ids = storage.create_studies([with_id, by_name], by=BY)
    (program,) = storage.programs()
    assert {s.program_id for s in storage.list_studies()} == {program.id}
    assert len(ids) == 2
