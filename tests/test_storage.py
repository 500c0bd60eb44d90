"""Storage: answers survive, stale edits are caught, on SQLite and (when given) PostgreSQL.

Set `SELFSTUDY_TEST_POSTGRES_URL` (as `make test` does) to run every test
against a real PostgreSQL server as well.
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import update

from selfstudy.core.study import Answer
from selfstudy.edges.storage import StaleEdit, Storage, StudyNotFound, database_url
from selfstudy.edges.storage.schema import MIGRATIONS, studies_table


def test_a_new_study_is_found_again_by_its_id_with_its_program(storage, new_study):
    study_id = storage.create_study(new_study)
    stored = storage.get_study(study_id)
    assert stored.id == study_id
    assert stored.study.program.name == "Bridge to STEM"
    assert stored.study.program.cohort == "2025"
    assert stored.study.answers == {}
    assert study_id.replace("-", "").replace("_", "").isalnum()


def test_answers_survive_reopening_the_database(db_url, new_study):
    first = Storage(db_url)
    study_id = first.create_study(new_study)
    first.save_answer(study_id, "PG.1.a", Answer(value=3, evidence="Minutes"), None)
    first.save_answer(study_id, "CP.2.supports", Answer(value=["Essay coaching"]), None)
    first.save_answer(study_id, "PD.1.hours", Answer(value=120.5), None)
    first.save_answer(study_id, "PG.1.b", Answer(value="N/A"), None)
    first.engine.dispose()

    again = Storage(db_url).get_study(study_id)
    assert again.study.answers["PG.1.a"] == Answer(value=3, evidence="Minutes")
    assert again.study.value("CP.2.supports") == ["Essay coaching"]
    assert again.study.value("PD.1.hours") == 120.5
    assert again.study.value("PG.1.b") == "N/A"
    assert again.revisions == {"PG.1.a": 1, "CP.2.supports": 1, "PD.1.hours": 1, "PG.1.b": 1}


def test_a_study_created_with_answers_keeps_them(storage, sample_set):
    study_id = storage.create_study(sample_set[0])
    assert storage.get_study(study_id).study == sample_set[0]


def test_each_save_raises_the_items_revision(storage, new_study):
    study_id = storage.create_study(new_study)
    assert storage.save_answer(study_id, "PG.1.a", Answer(value=2), None) == 1
    assert storage.save_answer(study_id, "PG.1.a", Answer(value=3), 1) == 2
    stored = storage.get_study(study_id)
    assert stored.revisions["PG.1.a"] == 2
    assert stored.study.value("PG.1.a") == 3


def test_a_stale_edit_is_refused_and_says_what_the_other_person_saved(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answer(study_id, "PG.1.a", Answer(value=2), None)  # both people see revision 1
    storage.save_answer(study_id, "PG.1.a", Answer(value=4, notes="Ana"), 1)  # Ana saves first

    with pytest.raises(StaleEdit) as caught:
        storage.save_answer(study_id, "PG.1.a", Answer(value=1), 1)  # Ben still saw revision 1

    assert caught.value.item_id == "PG.1.a"
    assert caught.value.answer == Answer(value=4, notes="Ana")
    assert caught.value.revision == 2
    assert caught.value.updated_at is not None
    assert storage.get_study(study_id).study.value("PG.1.a") == 4


def test_two_people_answering_the_same_new_item_do_not_overwrite_each_other(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answer(study_id, "PG.1.a", Answer(value=2), None)
    with pytest.raises(StaleEdit) as caught:
        storage.save_answer(study_id, "PG.1.a", Answer(value=3), None)
    assert caught.value.answer.value == 2


def test_two_people_answering_different_items_never_conflict(storage, new_study):
    study_id = storage.create_study(new_study)
    ana = storage.get_study(study_id).revisions
    ben = storage.get_study(study_id).revisions
    storage.save_answer(study_id, "PG.1.a", Answer(value=2), ana.get("PG.1.a"))
    storage.save_answer(study_id, "PG.1.b", Answer(value=3), ben.get("PG.1.b"))
    answers = storage.get_study(study_id).study.answers
    assert (answers["PG.1.a"].value, answers["PG.1.b"].value) == (2, 3)


def test_saving_several_answers_is_all_or_nothing_and_lists_every_conflict(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answers(
        study_id, {"PG.1.a": Answer(value=1), "PG.1.b": Answer(value=1)}, {}
    )  # revisions 1
    storage.save_answer(study_id, "PG.1.a", Answer(value=4), 1)
    storage.save_answer(study_id, "PG.1.b", Answer(value=4), 1)

    with pytest.raises(StaleEdit) as caught:
        storage.save_answers(
            study_id,
            {"PG.1.c": Answer(value=2), "PG.1.a": Answer(value=2), "PG.1.b": Answer(value=2)},
            {"PG.1.c": None, "PG.1.a": 1, "PG.1.b": 1},
        )
    assert [c.item_id for c in caught.value.conflicts] == ["PG.1.a", "PG.1.b"]
    stored = storage.get_study(study_id)
    assert "PG.1.c" not in stored.study.answers
    assert stored.study.value("PG.1.a") == 4

    revisions = storage.save_answers(
        study_id, {"PG.1.a": Answer(value=2), "PG.1.c": Answer(value=2)}, {"PG.1.a": 2}
    )
    assert revisions == {"PG.1.a": 3, "PG.1.c": 1}


def test_concurrent_writers_of_one_item_get_exactly_one_success(storage, new_study):
    study_id = storage.create_study(new_study)
    outcomes: list[str] = []

    def write(value: int) -> None:
        try:
            storage.save_answer(study_id, "PG.1.a", Answer(value=value), None)
            outcomes.append("saved")
        except StaleEdit:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(v,)) for v in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale", "stale", "stale"]


def test_clearing_an_answer_keeps_its_revision_but_not_the_answer(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answer(study_id, "PG.1.a", Answer(value=3), None)
    storage.save_answer(study_id, "PG.1.a", Answer(value=None), 1)
    stored = storage.get_study(study_id)
    assert "PG.1.a" not in stored.study.answers
    assert stored.revisions["PG.1.a"] == 2


def test_the_list_of_studies_shows_progress_and_newest_edit_first(storage, new_study, sample_set):
    old = storage.create_study(sample_set[0])
    new = storage.create_study(new_study)
    storage.save_answer(new, "PG.1.a", Answer(value=3), None)
    storage.save_answer(new, "PG.R", Answer(value="   "), None)  # blank text is not an answer

    summaries = storage.list_studies()
    assert [s.id for s in summaries] == [new, old]
    assert summaries[0].name == "Bridge to STEM"
    assert summaries[0].organization == "Eastside CC"
    assert summaries[0].round == "baseline"
    assert summaries[0].rubric_id == "stem-equity-self-study"
    assert summaries[0].answered == 1
    expected_old = sum(1 for a in sample_set[0].answers.values() if a.value not in (None, "", []))
    assert summaries[1].answered == expected_old


def test_all_studies_returns_every_study_with_its_answers(storage, sample_set):
    ids = [storage.create_study(s) for s in sample_set[:3]]
    assert storage.all_studies() == list(zip(ids, sample_set[:3], strict=True))


def test_the_fingerprint_changes_with_every_create_save_and_delete(storage, new_study):
    seen = [storage.fingerprint()]
    assert seen[0] == (0, None, 0, "")  # the last part only matters to who sees part of it
    study_id = storage.create_study(new_study)
    seen.append(storage.fingerprint())
    other_id = storage.create_study(new_study)
    seen.append(storage.fingerprint())
    storage.save_answer(study_id, "PG.1.a", Answer(value=3), None)
    seen.append(storage.fingerprint())
    storage.save_answer(study_id, "PG.1.a", Answer(value=3, notes="checked"), 1)
    seen.append(storage.fingerprint())
    storage.delete_study(other_id)
    seen.append(storage.fingerprint())
    assert len(set(seen)) == len(seen)
    assert [count for count, *_ in seen] == [0, 1, 2, 2, 2, 1]
    assert storage.fingerprint() == seen[-1]  # unchanged while nothing is written


def test_program_details_can_be_corrected(storage, new_study):
    study_id = storage.create_study(new_study)
    program = new_study.program.model_copy(update={"name": "Bridge to STEM 2", "round": "mid"})
    storage.update_program(study_id, program)
    stored = storage.get_study(study_id).study.program
    assert (stored.name, stored.round) == ("Bridge to STEM 2", "mid")
    assert storage.list_studies()[0].name == "Bridge to STEM 2"


def test_a_deleted_or_unknown_study_is_reported_as_not_found(storage, new_study):
    study_id = storage.create_study(new_study)
    storage.save_answer(study_id, "PG.1.a", Answer(value=3), None)
    storage.delete_study(study_id)
    for action in (
        lambda: storage.get_study(study_id),
        lambda: storage.save_answer(study_id, "PG.1.a", Answer(value=1), 1),
        lambda: storage.delete_study(study_id),
        lambda: storage.update_program(study_id, new_study.program),
    ):
        with pytest.raises(StudyNotFound, match="no self-study with id"):
            action()
    assert storage.list_studies() == []


def test_sync_bases_are_remembered_per_study_and_target(storage, new_study):
    study_id = storage.create_study(new_study)
    assert storage.get_sync_base(study_id, "sheet:abc") is None
    storage.set_sync_base(study_id, "sheet:abc", {"answers": {"PG.1.a": 3}, "note": "é"})
    storage.set_sync_base(study_id, "sheet:abc", {"answers": {"PG.1.a": 4}})
    storage.set_sync_base(study_id, "sheet:xyz", {"answers": {}})
    assert storage.get_sync_base(study_id, "sheet:abc") == {"answers": {"PG.1.a": 4}}
    assert storage.get_sync_base(study_id, "sheet:xyz") == {"answers": {}}


def test_the_schema_is_migrated_once_and_recorded(db_url):
    Storage(db_url).engine.dispose()
    again = Storage(db_url)
    assert again.applied_migrations() == [
        "001_studies_answers_sync_bases",
        "002_history_field_revisions_soft_delete",
        "003_programs_people_grants",
        "004_team_ratings",
        "005_improvement_plans",
        "006_answer_values_index",
        "007_packed_answer_values",
    ]


def _start_and_create(url: str, creation_key: str, ready, results) -> None:
    """One process: start on the database when every other is ready, send one form."""
    from selfstudy.core.study import Program, RubricRef, SelfStudy

    study = SelfStudy(rubric=RubricRef(id="r", version="1"), program=Program(name="P"))
    ready.wait()
    try:
        results.put(Storage(url).create_study(study, creation_key=creation_key))
    except Exception as exc:  # reported to the test, which names it
        results.put(f"failed: {exc}")


def test_processes_starting_at_once_on_a_new_database_make_it_once_and_one_study(db_url):
    processes = 4
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(processes), context.Queue()
    started = [
        context.Process(target=_start_and_create, args=(db_url, "form-1", ready, results))
        for _ in range(processes)
    ]
    for process in started:
        process.start()
    ids = [results.get(timeout=120) for _ in started]
    for process in started:
        process.join()
    assert len(set(ids)) == 1, ids
    storage = Storage(db_url)
    assert [s.id for s in storage.list_studies()] == ids[:1]
    assert len(storage.applied_migrations()) == len(MIGRATIONS)


def test_the_default_database_is_a_sqlite_file_under_data_or_selfstudy_db(monkeypatch, tmp_path):
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "sub" / "x.db"))
    assert database_url() == f"sqlite:///{tmp_path / 'sub' / 'x.db'}"
    assert (tmp_path / "sub").is_dir()
    monkeypatch.delenv("SELFSTUDY_DB")
    assert database_url().endswith("/data/selfstudy.db")
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", "postgresql://u@localhost/db")
    assert database_url() == "postgresql://u@localhost/db"


def test_study_ids_never_start_like_a_command_line_option(storage, new_study):
    ids = [storage.create_study(new_study) for _ in range(200)]
    assert all(study_id[0].isalnum() for study_id in ids)


def test_the_fingerprint_changes_even_when_another_servers_clock_is_ahead(storage, new_study):
    ahead = storage.create_study(new_study)
    behind = storage.create_study(new_study)
    with storage.engine.begin() as conn:  # a server whose clock runs a day ahead edited it
        conn.execute(
            update(studies_table)
            .where(studies_table.c.id == ahead)
            .values(updated_at="2099-01-01T00:00:00.000000+00:00")
        )
    before = storage.fingerprint()
    storage.save_answer(behind, "PG.1.a", Answer(value=2), None)  # stamped with today's clock
    assert storage.fingerprint()[1] == before[1]  # the latest edit time did not move...
    assert storage.fingerprint() != before  # ...and still the change is seen
