"""Importing a copy of a program and round that is already stored: found, compared, never
doubled silently; updated only with the user's say-so, and never over a colleague's edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.storage import StaleEdit, Storage
from selfstudy.edges.workbooks import export_xlsx
from selfstudy.workflows import imports


def edited(study: SelfStudy, program: dict | None = None, **answers: Answer | None) -> SelfStudy:
    """A copy of `study` with other program details and answers (None: the answer left out)."""
    changed = {k.replace("_", "."): v for k, v in answers.items()}
    kept = {k: v for k, v in study.answers.items() if k not in changed}
    new = {k: v for k, v in changed.items() if v is not None}
    return study.model_copy(
        update={
            "program": study.program.model_copy(update=program or {}),
            "answers": kept | new,
        },
        deep=True,
    )


# --- finding the stored study ---------------------------------------------------------------


def test_a_stored_study_of_the_same_program_id_and_round_is_found_the_latest_edited_first(
    storage: Storage, sample_set
):
    baseline, follow_up = sample_set[0], sample_set[1]
    older = storage.create_study(baseline)
    newer = storage.create_study(baseline)
    storage.create_study(follow_up)
    renamed = edited(baseline, {"name": "Bridge Academy (renamed)"})  # the id still says p01
    assert imports.existing_match(storage, renamed) == newer
    storage.save_field(
        older, "PG.1.a", "notes", "edited last", storage.get_study(older).revisions["PG.1.a"]
    )
    assert imports.existing_match(storage, renamed) == older


def test_without_a_program_id_the_name_matches_ignoring_case_and_spacing(storage, sample_set):
    stored_id = storage.create_study(edited(sample_set[0], {"id": None}))
    copy = edited(sample_set[0], {"id": None, "name": "  bridge to STEM   summer academy "})
    assert imports.existing_match(storage, copy) == stored_id
    other = edited(sample_set[0], {"id": None, "name": "Bridge to STEM Winter Academy"})
    assert imports.existing_match(storage, other) is None


def test_another_round_is_not_a_match_and_no_round_matches_no_round(storage, sample_set):
    storage.create_study(sample_set[0])  # p01, baseline
    assert imports.existing_match(storage, sample_set[1]) is None  # p01, follow-up
    assert imports.existing_match(storage, edited(sample_set[0], {"round": "midpoint"})) is None
    assert imports.existing_match(storage, edited(sample_set[0], {"round": " BaseLine"}))
    without = storage.create_study(edited(sample_set[2], {"round": None}))
    assert imports.existing_match(storage, edited(sample_set[2], {"round": ""})) == without
    assert imports.existing_match(storage, sample_set[2]) is None  # baseline is not "no round"


# --- what would change, and the update ------------------------------------------------------


def test_what_would_change_lists_each_changed_field_and_keeps_what_the_copy_leaves_blank(
    sample_set, default_rubric
):
    stored = sample_set[0]
    copy = edited(
        stored,
        {"organization": None, "cohort": "2026 cohort"},
        PG_1_a=Answer(value=4, evidence="Staff meeting minutes, October"),
        PG_1_b=None,  # answered in the app, left blank in the copy
    )
    changes = imports.what_would_change(stored, copy, default_rubric)
    assert [(c.item_id, c.field, c.incoming, c.kept) for c in changes] == [
        ("@program", "organization", None, True),
        ("@program", "cohort", "2026 cohort", False),
        ("PG.1.a", "value", 4, False),
        ("PG.1.b", "value", None, True),
    ]
    assert changes[2].texts(default_rubric) == ("Established (3)", "Sustaining (4)")
    assert changes[3].texts(default_rubric) == ("Established (3)", "left blank (the app's is kept)")


def test_an_update_takes_the_copys_changes_and_keeps_an_answer_only_the_app_has(
    storage, sample_set, default_rubric
):
    stored = sample_set[0]
    study_id = storage.create_study(stored)
    copy = edited(
        stored,
        {"cohort": "2026 cohort", "organization": None},
        PG_1_a=Answer(value=4, evidence="New minutes"),
        PG_1_b=None,
    )
    changed = imports.update_from_copy(storage, study_id, copy, by="Dana")
    assert changed == ["@program", "PG.1.a"]
    after = storage.get_study(study_id).study
    assert after.answers["PG.1.a"] == Answer(value=4, evidence="New minutes")
    assert after.answers["PG.1.b"] == stored.answers["PG.1.b"]  # not erased by the blank
    assert (after.program.cohort, after.program.organization) == (
        "2026 cohort",
        stored.program.organization,
    )
    history = storage.history(study_id, "PG.1.a")
    assert {(h.field, h.old, h.new, h.changed_by) for h in history if h.changed_by} == {
        ("value", 3, 4, "Dana"),
        ("evidence", "Staff meeting minutes, October", "New minutes", "Dana"),
    }
    assert len(storage.list_studies()) == 1


def test_a_colleagues_edit_after_the_changes_were_shown_is_refused_not_overwritten(
    storage, sample_set
):
    study_id = storage.create_study(sample_set[0])
    shown = storage.get_study(study_id)  # what the user reviews before choosing Update
    storage.save_field(study_id, "PG.1.a", "value", 1, shown.revisions["PG.1.a"], by="colleague")
    copy = edited(sample_set[0], PG_1_a=Answer(value=4), PG_1_b=Answer(value=2))
    with pytest.raises(StaleEdit) as refused:
        imports.update_from_copy(storage, study_id, copy, by="Dana", seen=shown)
    assert refused.value.item_id == "PG.1.a"
    after = storage.get_study(study_id).study
    assert after.answers["PG.1.a"].value == 1  # the colleague's
    assert after.answers["PG.1.b"].value == 3  # nothing at all was written
    refused_entry = storage.history(study_id, "PG.1.a")[0]
    assert (refused_entry.accepted, refused_entry.new) == (False, 4)  # kept in the history


def test_an_update_whose_program_details_are_refused_writes_no_answer_either(storage, sample_set):
    """Answers and program details go in one transaction: a copy whose details name another
    stored program is refused whole, not saved half."""
    study_id = storage.create_study(sample_set[0])
    storage.create_study(sample_set[2])  # another program
    before = storage.get_study(study_id)
    copy = edited(sample_set[0], {"id": sample_set[2].program.id}, PG_1_a=Answer(value=4))
    with pytest.raises(ProblemsFound) as refused:
        imports.update_from_copy(storage, study_id, copy, by="Dana")
    assert "another program" in str(refused.value)
    after = storage.get_study(study_id)
    assert after.study == before.study
    assert after.revisions == before.revisions
    assert [h for h in storage.history(study_id, "PG.1.a") if h.changed_by == "Dana"] == []


def test_a_colleagues_edit_of_a_field_the_copy_leaves_alone_does_not_stop_the_update(
    storage, sample_set
):
    study_id = storage.create_study(sample_set[0])
    shown = storage.get_study(study_id)
    storage.save_field(study_id, "PG.1.a", "notes", "typed here", shown.revisions["PG.1.a"])
    copy = edited(sample_set[0], PG_1_a=Answer(value=4, evidence="Staff meeting minutes, October"))
    assert imports.update_from_copy(storage, study_id, copy, seen=shown) == ["PG.1.a"]
    after = storage.get_study(study_id).study.answers["PG.1.a"]
    assert (after.value, after.notes) == (4, "typed here")


# --- the command line -----------------------------------------------------------------------


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def copies(tmp_path: Path, sample_set, default_rubric) -> Path:
    """p01 baseline and p02 baseline as .xlsx copies in a folder."""
    folder = tmp_path / "copies"
    folder.mkdir()
    export_xlsx(sample_set[0], default_rubric, folder / "p01.xlsx")
    export_xlsx(sample_set[2], default_rubric, folder / "p02.xlsx")
    return folder


def test_by_default_a_stored_program_and_round_is_reported_not_saved_again(db, copies, sample_set):
    stored_id = db.create_study(sample_set[0])
    result = invoke("import", copies, "--save")
    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if "is already stored" in line]
    assert line == (
        f"{copies / 'p01.xlsx'}: 'Bridge to STEM Summer Academy' (round 'baseline') is already "
        f"stored as {stored_id} and it is the same; nothing was saved: add --update to update "
        f"{stored_id} from this copy, or --keep-both to save it as another self-study"
    )
    assert "saved 'Young Engineers of the Valley'" in result.stdout  # the new one is saved
    assert sorted(s.name for s in db.list_studies()) == [
        "Bridge to STEM Summer Academy",
        "Young Engineers of the Valley",
    ]
    assert "1 not saved" in result.stderr


def test_a_stored_round_the_copy_differs_from_says_in_how_many_fields(
    db, tmp_path, sample_set, default_rubric
):
    db.create_study(sample_set[0])
    copy = edited(sample_set[0], PG_1_a=Answer(value=1, evidence="Staff meeting minutes, October"))
    export_xlsx(copy, default_rubric, tmp_path / "p01.xlsx")
    result = invoke("import", tmp_path / "p01.xlsx", "--save")
    assert result.exit_code == 1
    assert "is already stored as" in result.stderr
    assert "and it differs in 1 field; nothing was saved" in result.stderr  # the rating


def test_update_takes_the_copys_answers_into_the_stored_study_and_prints_them(
    db, tmp_path, sample_set, default_rubric
):
    stored_id = db.create_study(sample_set[0])
    copy = edited(sample_set[0], PG_1_a=Answer(value=1, evidence="Staff meeting minutes, October"))
    export_xlsx(copy, default_rubric, tmp_path / "p01.xlsx")
    result = invoke("import", tmp_path / "p01.xlsx", "--save", "--update")
    assert result.exit_code == 0, result.output
    assert f"updated 'Bridge to STEM Summer Academy' ({stored_id}): 1 changed" in result.stdout
    [row] = [line for line in result.stdout.splitlines() if line.startswith("PG.1.a")]
    assert row.split() == ["PG.1.a", "value", "Established", "(3)", "Not", "yet", "(1)"]
    [(study_id, study)] = db.all_studies()
    assert (study_id, study.answers["PG.1.a"].value) == (stored_id, 1)
    assert db.history(stored_id, "PG.1.a")[0].changed_by == "selfstudy import"


def test_keep_both_saves_another_study_as_before(db, copies, sample_set):
    db.create_study(sample_set[0])
    result = invoke("import", copies / "p01.xlsx", "--save", "--keep-both")
    assert result.exit_code == 0, result.output
    assert [s.name for s in db.list_studies()] == ["Bridge to STEM Summer Academy"] * 2
    newest = db.list_studies()[0].id
    assert {c.changed_by for c in db.history(newest)} == {"selfstudy import"}


def test_two_copies_of_one_program_and_round_in_one_import_are_both_skipped(
    db, copies, sample_set, default_rubric
):
    renamed = edited(
        sample_set[0], {"name": "BRIDGE to STEM summer academy"}, PG_1_a=Answer(value=1)
    )
    export_xlsx(renamed, default_rubric, copies / "p01-again.xlsx")
    export_xlsx(sample_set[1], default_rubric, copies / "p01-follow-up.xlsx")  # another round
    result = invoke("import", copies, "--save")
    assert result.exit_code == 1
    repeated = [line for line in result.stderr.splitlines() if "same program and round" in line]
    assert repeated == [
        f"{copies / 'p01-again.xlsx'}: {copies / 'p01.xlsx'} is the same program and round "
        "('BRIDGE to STEM summer academy', round 'baseline'); neither was saved: import only "
        "the one you mean",
        f"{copies / 'p01.xlsx'}: {copies / 'p01-again.xlsx'} is the same program and round "
        "('Bridge to STEM Summer Academy', round 'baseline'); neither was saved: import only "
        "the one you mean",
    ]
    assert sorted((s.name, s.round) for s in db.list_studies()) == [
        ("Bridge to STEM Summer Academy", "follow-up"),
        ("Young Engineers of the Valley", "baseline"),
    ]
    with_update = invoke(
        "import", copies / "p01.xlsx", copies / "p01-again.xlsx", "--update", "--save"
    )
    assert with_update.exit_code == 1 and len(db.list_studies()) == 2  # nor with --update


def test_update_and_keep_both_go_with_save_and_not_together(db, copies):
    assert invoke("import", copies, "--save", "--update", "--keep-both").exit_code == 2
    alone = invoke("import", copies, "--update")
    assert alone.exit_code == 2 and "go with --save" in alone.output
    assert db.list_studies() == []
