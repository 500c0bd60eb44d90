"""Bulk import: many copies saved a batch at a time with every check one study gets, nothing
ever half-written; many copies read by several processes, each problem where it is.

Storage tests run on SQLite and, when `SELFSTUDY_TEST_POSTGRES_URL` is set, on PostgreSQL.
A failure of the database part-way through a batch is a real one: a trigger in the test's
database refuses a history row whose text holds "poison", as a database refuses a row it
cannot take.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import text

from selfstudy.cli import main
from selfstudy.core.access import NoAccess
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.storage import DatabaseError, Storage
from selfstudy.edges.storage.database import StudiesRefused, StudyNotFound
from selfstudy.edges.workbooks import export_xlsx, xlsx_bytes
from selfstudy.workflows import imports
from tests.access_people import Network, build, read_rows

BY = "bulk import test"


def rows(storage: Storage) -> dict:
    with storage.engine.connect() as conn:
        return read_rows(conn)


def as_site(study: SelfStudy, n: int) -> SelfStudy:
    """The study as another program's: its own program id and name."""
    program = study.program.model_copy(
        update={"id": f"{study.program.id}-site{n}", "name": f"{study.program.name}, site {n}"}
    )
    return study.model_copy(update={"program": program})


def in_round(study: SelfStudy, round_name: str) -> SelfStudy:
    return study.model_copy(
        update={"program": study.program.model_copy(update={"round": round_name})}
    )


def poisoned(study: SelfStudy) -> SelfStudy:
    item_id = next(iter(study.answers))
    answers = dict(study.answers)
    answers[item_id] = answers[item_id].model_copy(update={"evidence": "poison"})
    return study.model_copy(update={"answers": answers})


def refuse_poison(storage: Storage) -> None:
    """A trigger that makes the database refuse a history row holding "poison"."""
    with storage.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON changes "
                    "WHEN NEW.new LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.new LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON changes "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            )


def source(label: str) -> imports.Source:
    return imports.Source(label, Path(label).stem, lambda: None)


# --- storing many studies at once ----------------------------------------------------------


def test_many_studies_are_stored_in_one_go_as_one_at_a_time_would_store_them(
    storage: Storage, sample_set
):
    studies = sample_set[:4]  # two programs, a baseline and a follow-up each
    ids = storage.create_studies(studies, by=BY)
    assert len(set(ids)) == 4
    assert dict(storage.all_studies()) == dict(zip(ids, studies, strict=True))
    programs = {p.name: p for p in storage.programs()}
    assert sorted(programs) == sorted({s.program.name for s in studies})
    assert {s.program_id for s in storage.list_studies()} == {p.id for p in programs.values()}
    one = storage.create_study(studies[0], by=BY)  # the single path, for comparison
    for study_id, study in [*zip(ids, studies, strict=True), (one, studies[0])]:
        history = storage.history(study_id)
        answered = sum(
            value not in (None, "")
            for answer in study.answers.values()
            for value in (answer.value, answer.evidence, answer.notes)
        )
        assert len(history) == answered
        assert {c.changed_by for c in history} == {BY}
    assert [c.to_dict() | {"at": None} for c in storage.history(ids[0])] == [
        c.to_dict() | {"at": None, "id": d.id}
        for c, d in zip(storage.history(one), storage.history(ids[0]), strict=True)
    ]


def test_a_failure_part_way_through_a_batch_leaves_the_database_as_it_was(
    storage: Storage, sample_set
):
    storage.create_study(sample_set[0])
    refuse_poison(storage)
    before = rows(storage)
    with pytest.raises(DatabaseError):
        storage.create_studies([sample_set[2], poisoned(sample_set[4]), sample_set[6]], by=BY)
    assert rows(storage) == before


def test_a_batch_of_copies_saved_before_a_failure_stays_and_the_report_names_it(
    storage: Storage, sample_set
):
    refuse_poison(storage)
    studies = [as_site(sample_set[0], n) for n in range(5)]
    studies[3] = poisoned(studies[3])
    copies = [(source(f"site{n}.xlsx"), study) for n, study in enumerate(studies)]
    with pytest.raises(imports.SavingStopped) as stopped:
        imports.save_copies(storage, copies, by=BY, batch=2)
    assert [c.source.label for c in stopped.value.saved] == ["site0.xlsx", "site1.xlsx"]
    assert sorted(s.name for s in storage.list_studies()) == [
        f"{sample_set[0].program.name}, site {n}" for n in (0, 1)
    ]
    assert stopped.value.codes()[-1] == "import-stopped"
    assert "saving stopped after 2 of 5 copies" in str(stopped.value)


def test_saving_that_stops_keeps_why_copies_were_left_out_and_warns_against_keeping_both(
    storage: Storage, sample_set
):
    stored = as_site(sample_set[0], 9)
    storage.create_study(stored, by=BY)
    refuse_poison(storage)
    studies = [as_site(sample_set[0], n) for n in range(3)]
    studies[2] = poisoned(studies[2])
    copies = [(source(f"site{n}.xlsx"), study) for n, study in enumerate(studies)]
    copies.append((source("stored.xlsx"), stored))
    with pytest.raises(imports.SavingStopped) as stopped:
        imports.save_copies(storage, copies, by=BY, batch=2)
    assert [c.source.label for c in stopped.value.saved] == ["site0.xlsx", "site1.xlsx"]
    assert stopped.value.found.flatten(["code", "location"]) == [["already-stored", "stored.xlsx"]]
    assert "leave out --keep-both, which would store the saved ones again" in str(stopped.value)


def test_a_batch_stored_again_with_the_same_creation_keys_is_stored_once(
    storage: Storage, sample_set
):
    studies = [as_site(sample_set[0], n) for n in range(3)]
    first = storage.create_studies(studies[:2], by=BY, creation_keys=["k0", "k1"])
    again = storage.create_studies(studies, by=BY, creation_keys=["k0", "k1", "k2"])
    assert again[:2] == first
    assert len(storage.list_studies()) == 3
    assert storage.create_study(studies[0], creation_key="k0") == first[0]  # one namespace


class Interrupted(Exception):
    """What the app's page meets in its progress bar when a click reruns it."""


def test_saving_an_upload_again_after_an_interruption_stores_each_copy_once(
    storage: Storage, sample_set, default_rubric
):
    files = [
        (f"site{n}.xlsx", xlsx_bytes(as_site(sample_set[0], n), default_rubric)) for n in range(5)
    ]
    sources, _ = imports.upload_sources(files, upload="this upload")
    copies = [(s, s.read().study) for s in sources]
    so_far: list[imports.SavedCopy] = []

    def stop_after_a_batch(n: int) -> None:
        if so_far:
            raise Interrupted

    with pytest.raises(Interrupted):
        imports.save_copies(
            storage, copies, "keep-both", BY, done=stop_after_a_batch, batch=2, so_far=so_far
        )
    assert [c.source.label for c in so_far] == ["site0.xlsx", "site1.xlsx"]
    assert len(storage.list_studies()) == 2
    saved, problems = imports.save_copies(storage, copies, "keep-both", BY, batch=2)
    assert problems == []
    assert [c.study_id for c in saved[:2]] == [c.study_id for c in so_far]
    assert sorted(s.id for s in storage.list_studies()) == sorted(c.study_id for c in saved)
    assert len(saved) == 5
    again, _ = imports.upload_sources(files, upload="another upload")  # the same files anew
    assert {s.creation_key for s in again}.isdisjoint({s.creation_key for s in sources})


def with_nul(study: SelfStudy) -> SelfStudy:
    """The study as a copy read with a NUL character (an .xlsx cell's `_x0000_`, or a CSV's
    raw NUL) in one evidence and in the program's organization."""
    item_id = next(iter(study.answers))
    answers = dict(study.answers)
    answers[item_id] = answers[item_id].model_copy(update={"evidence": "Rosters\x00 2025"})
    program = study.program.model_copy(update={"organization": "Bridge\x00 Org"})
    return study.model_copy(update={"answers": answers, "program": program})


def test_a_study_with_a_nul_character_is_refused_before_anything_is_written(
    storage: Storage, sample_set
):
    study = with_nul(sample_set[0])
    item_id = next(iter(study.answers))
    before = rows(storage)
    with pytest.raises(ProblemsFound) as refused:
        storage.create_study(study, by=BY)
    assert not isinstance(refused.value, DatabaseError)
    assert refused.value.problems.flatten(["code", "location"]) == [
        ["nul-character", "program"],
        ["nul-character", item_id],
    ]
    assert "remove the NUL character from the evidence of item " + item_id in str(refused.value)
    assert "remove the NUL character from the program's organization" in str(refused.value)
    assert rows(storage) == before
    copies = [(source(f"site{n}.xlsx"), as_site(sample_set[0], n)) for n in range(4)]
    copies[2] = (source("site2.xlsx"), with_nul(copies[2][1]))
    saved, problems = imports.save_copies(storage, copies, by=BY, batch=2)
    assert [c.source.label for c in saved] == ["site0.xlsx", "site1.xlsx", "site3.xlsx"]
    assert problems.flatten(["code", "location"]) == [
        ["nul-character", "site2.xlsx"],
        ["nul-character", "site2.xlsx"],
    ]
    assert len(storage.list_studies()) == 3


def test_a_nul_typed_after_creation_is_refused_alike_on_every_database(
    storage: Storage, sample_set
):
    """A NUL reaching a stored study later (typed into a box, a copy's update, the command
    line) is refused in words by the one text rule, never stored by SQLite while PostgreSQL
    refuses it, and nothing is written."""
    study_id = storage.create_study(sample_set[0], by=BY)
    item_id = next(iter(sample_set[0].answers))
    before = rows(storage)
    seen = storage.get_study(study_id).revisions.get(item_id)
    attempts = {
        "save_field": lambda: storage.save_field(study_id, item_id, "evidence", "a\x00b", seen),
        "save_answers": lambda: storage.save_answers(
            study_id,  # as an update from a copy makes it: `model_copy` checks nothing
            {item_id: Answer().model_copy(update={"notes": "Rosters\x00"})},
            {item_id: seen},
        ),
        "a value": lambda: storage.save_field(study_id, item_id, "value", ["x\x00"], seen),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ProblemsFound) as refused:
            attempt()
        assert refused.value.codes() == ["nul-character"], name
        assert not isinstance(refused.value, DatabaseError)
        assert "remove the NUL character" in str(refused.value)
    with pytest.raises(ValidationError):  # the model itself cannot hold one
        Answer(evidence="a\x00b")
    with pytest.raises(ProblemsFound) as refused:
        storage.update_program(
            study_id, sample_set[0].program.model_copy(update={"organization": "Org\x00"})
        )
    assert refused.value.codes() == ["nul-character"]
    assert rows(storage) == before


def test_an_id_the_database_server_cannot_store_is_not_reported_as_an_unreachable_server(
    storage: Storage,
):
    """An id is not a text the rule checks: PostgreSQL's driver refuses a NUL in it, which is
    said as such (`database-data`), not as a server that cannot be reached."""
    if storage.engine.dialect.name == "sqlite":  # SQLite looks it up, and finds nothing
        with pytest.raises(StudyNotFound):
            storage.get_study("a\x00b")
        return
    with pytest.raises(DatabaseError) as failed:
        storage.get_study("a\x00b")
    assert failed.value.codes() == ["database-data"]
    assert "cannot be reached" not in str(failed.value)


# --- who may store what -------------------------------------------------------------------


@pytest.fixture
def net(db_url, sample_set) -> Network:
    network = build(db_url, sample_set)
    yield network
    network.close()


def a_and_b(net: Network, round_name: str = "midpoint") -> tuple[SelfStudy, SelfStudy]:
    """New rounds of programs A and B, as copies of their baselines."""
    a = net.local.get_study(net.a_base).study
    b = net.local.get_study(net.b_base).study
    return in_round(a, round_name), in_round(b, round_name)


def test_a_member_begins_studies_in_their_own_program_only_and_nothing_else_is_written(net):
    mia = net.store("member A")
    a, b = a_and_b(net)
    before = net.rows()
    with pytest.raises(NoAccess):
        mia.create_studies([a, b], program_id=net.b)
    with pytest.raises(StudiesRefused) as refused:
        mia.create_studies([a, b])  # each to the program its details name
    assert list(refused.value.refused) == [1]
    assert isinstance(refused.value.refused[1], NoAccess)
    assert net.rows() == before
    [study_id] = mia.create_studies([a])
    assert net.local.get_study(study_id).study == a
    assert {s.program_id for s in net.local.list_studies() if s.id == study_id} == {net.a}


def test_a_copy_of_a_program_the_member_may_not_begin_studies_in_is_refused_where_it_is(net):
    mia = net.store("member A")
    a, b = a_and_b(net)
    copies = [(source(f"a{n}.xlsx"), in_round(a, f"round {n}")) for n in range(3)]
    copies.insert(2, (source("b.xlsx"), b))  # in the second batch of two
    saved, problems = imports.save_copies(mia, copies, by=BY, batch=2)
    assert [c.source.label for c in saved] == ["a0.xlsx", "a1.xlsx", "a2.xlsx"]
    assert problems.flatten(["code", "location"]) == [["no-access", "b.xlsx"]]
    outcomes = imports.copy_outcomes(copies, saved, problems)
    assert [o.status for o in outcomes] == ["saved", "saved", "not saved", "saved"]
    assert [s.id for s in net.local.list_studies() if s.program_id == net.b] == [net.b_base]
    assert {
        s.program_id for s in net.local.list_studies() if s.id in {c.study_id for c in saved}
    } == {net.a}


def test_a_viewer_imports_nothing_and_a_facilitator_updates_nothing(net):
    a, _ = a_and_b(net)
    changed = a.model_copy(update={"program": net.local.get_study(net.a_base).study.program})
    before = net.rows()
    viewer = net.store("viewer A")
    with pytest.raises(NoAccess):
        imports.save_copies(viewer, [(source("a.xlsx"), a)], by=BY, program_id=net.a)
    for role in ("facilitator", "viewer A"):  # a copy of a round they may read, to update it
        with pytest.raises(NoAccess):
            imports.save_copies(net.store(role), [(source("a.xlsx"), changed)], "update", by=BY)
    assert net.rows() == before


def test_a_copy_naming_another_program_is_refused_and_the_others_are_saved(net):
    mia = net.store("member A")
    a, b = a_and_b(net)
    before = net.rows()
    with pytest.raises(StudiesRefused) as refused:
        mia.create_studies([a, b], program_id=net.a)
    assert {n: r.codes() for n, r in refused.value.refused.items()} == {1: ["another-program"]}
    assert net.rows() == before
    saved, problems = imports.save_copies(
        mia, [(source("a.xlsx"), a), (source("b.xlsx"), b)], by=BY, program_id=net.a
    )
    assert [(c.source.label, c.study) for c in saved] == [("a.xlsx", a)]
    assert problems.flatten(["code", "location"]) == [["another-program", "b.xlsx"]]
    outcomes = imports.copy_outcomes(
        [(source_of(saved, problems, "a.xlsx"), a), (source_of(saved, problems, "b.xlsx"), b)],
        saved,
        problems,
    )
    assert [o.status for o in outcomes] == ["saved", "not saved"]
    b_studies = [s.id for s in net.local.list_studies() if s.program_id == net.b]
    assert b_studies == [net.b_base]


def source_of(saved, problems, label: str) -> imports.Source:
    """The source a copy was saved from, else a new one of that label (as a report has)."""
    return next((c.source for c in saved if c.source.label == label), source(label))


def test_a_copy_of_a_stored_round_is_skipped_updated_or_kept_as_the_person_chooses(net):
    mia = net.store("member A")
    stored = net.local.get_study(net.a_base).study
    answers = dict(stored.answers)
    answers[net.item] = Answer(value=answers[net.item].value, evidence="From the bulk copy")
    copy = stored.model_copy(update={"answers": answers})
    new, _ = a_and_b(net)
    copies = [(source("stored.xlsx"), copy), (source("new.xlsx"), new)]
    saved, problems = imports.save_copies(mia, copies, ["update", "skip"], by=BY)
    assert [(c.source.label, c.updated, c.changed) for c in saved] == [
        ("stored.xlsx", True, [net.item]),
        ("new.xlsx", False, []),
    ]
    assert problems == []
    assert net.local.get_study(net.a_base).study.answers[net.item].evidence == (
        "From the bulk copy"
    )


# --- reading many copies with several processes ---------------------------------------------


def test_copies_read_by_several_processes_are_read_exactly_as_one_by_one(
    tmp_path, sample_set, default_rubric
):
    for n, study in enumerate(sample_set[:9]):
        export_xlsx(study, default_rubric, tmp_path / f"copy{n}.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    sources = imports.file_sources([tmp_path])
    assert len(sources) >= imports.PARALLEL_FROM
    together = imports.read_copies(sources, workers=2)
    alone = [s.read() for s in sources]
    assert [r.study for r in together] == [r.study for r in alone]
    assert [r.problems for r in together] == [r.problems for r in alone]
    [broken] = [
        r for s, r in zip(sources, together, strict=True) if s.label.endswith("broken.xlsx")
    ]
    assert broken.problems.flatten(["code"]) == [["unreadable-file"]]
    assert broken.problems[0].location == str(tmp_path / "broken.xlsx")


def test_a_reading_process_killed_midway_leaves_no_copy_unread_or_read_twice(
    tmp_path, sample_set, default_rubric
):
    for n, study in enumerate(sample_set[:10]):
        export_xlsx(study, default_rubric, tmp_path / f"copy{n}.xlsx")
    sources = imports.file_sources([tmp_path])
    killed: list[int] = []
    counted = [0]

    def kill_a_reader(n: int) -> None:  # as the system kills a process short of memory
        counted[0] += n
        if not killed and (readers := multiprocessing.active_children()):
            killed.append(readers[0].pid)
            os.kill(readers[0].pid, signal.SIGKILL)

    results = imports.read_copies(sources, kill_a_reader, workers=2)
    assert killed
    assert counted[0] == len(sources)
    assert [r.study for r in results] == [s.read().study for s in sources]
    assert all(r.problems == [] for r in results)


def test_the_command_saves_many_copies_and_a_failing_database_saves_none(
    db, tmp_path, sample_set, default_rubric, monkeypatch
):
    folder = tmp_path / "copies"
    folder.mkdir()
    for n in range(9):
        export_xlsx(as_site(sample_set[n % 2], n), default_rubric, folder / f"site{n}.xlsx")
    result = CliRunner().invoke(main, ["import", str(folder), "--save"])
    assert result.exit_code == 0, result.output
    assert len(db.list_studies()) == 9
    assert "imported 9 of 9 sheet copies" in result.stderr
    again = tmp_path / "again"
    again.mkdir()
    export_xlsx(as_site(sample_set[2], 20), default_rubric, again / "fine.xlsx")
    export_xlsx(poisoned(as_site(sample_set[2], 21)), default_rubric, again / "bad.xlsx")
    refuse_poison(db)
    before = rows(db)
    failed = CliRunner().invoke(main, ["import", str(again), "--save"])
    assert failed.exit_code == 1
    assert "saved" not in failed.stdout
    assert rows(db) == before


def test_a_refusal_names_the_study_it_is_about(sample_set):
    refused = StudiesRefused({1: NoAccess("A self-study of 'X'")}, sample_set[:2])
    assert isinstance(refused, ProblemsFound)
    assert refused.problems.flatten(["code"]) == [["no-access"]]
    assert refused.problems[0].location.startswith("self-study 2 (")
