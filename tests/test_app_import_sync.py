"""The Import & sync page, driven through Streamlit's AppTest against a real SQLite file
and, for Google Sheets, the real gspread client talking to the local stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials
from streamlit.testing.v1 import AppTest

from selfstudy.edges import gsheets
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.workbooks import csv_text, read_xlsx, xlsx_bytes
from tests.sheet_tables import xlsx
from tests.sheets_standin import SheetsStandIn
from tests.test_gsheets import KEY, URL, service_account_file

APP = str(PROJECT_ROOT / "app.py")
PAGE = "selfstudy/app/pages/import_sync.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def no_google_credentials(monkeypatch) -> None:
    monkeypatch.delenv(gsheets.CREDENTIALS_ENV, raising=False)


def open_page(study_id: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if study_id:
        at.query_params["study"] = study_id
    at.run()
    return at.switch_page(PAGE).run()


def upload(at: AppTest, *files: tuple[str, bytes, str]) -> AppTest:
    at.file_uploader(key="import_files").set_value(list(files))
    return at.run()


def test_uploading_a_good_copy_previews_it_and_saves_it_as_a_new_study(
    db, sample_set, default_rubric
):
    at = upload(open_page(), ("p01.xlsx", xlsx_bytes(sample_set[0], default_rubric), XLSX))
    assert not at.exception
    assert not at.error
    # which program, round and cohort it is, before it is saved
    assert (
        "**Bridge to STEM Summer Academy** · round **baseline** · cohort **2025 Network cohort** · "
        in "".join(m.value for m in at.markdown)
    )
    preview = at.dataframe[0].value
    assert list(preview["ID"])[:2] == ["PG.1.a", "PG.1.b"]
    assert db.list_studies() == []  # nothing saved before the user says so
    next(b for b in at.button if b.label == "Save as a new self-study").click().run()
    [(study_id, stored)] = db.all_studies()
    assert stored == sample_set[0]
    assert at.query_params["study"] == study_id  # the saved study is now the open one
    assert any("Saved **Bridge to STEM Summer Academy**" in s.value for s in at.success)
    # done with the copy: the upload is emptied and no button is left to save it twice
    assert not at.file_uploader[0].value
    assert "Save as a new self-study" not in [b.label for b in at.button]
    assert [link.label for link in at.get("page_link")] == ["Go to the self-study"]
    assert len(db.all_studies()) == 1


def test_a_broken_copy_shows_every_problem_with_its_cell_and_saves_nothing(
    db, sample_set, default_rubric
):
    sheets = read_xlsx(xlsx_bytes(sample_set[0], default_rubric))
    sheets["1. Program Goals"][5][3] = "Great"
    sheets["START HERE"][8][1] = None
    at = upload(open_page(), ("broken.xlsx", xlsx(sheets), XLSX))
    assert not at.exception
    assert "2 problems must be fixed" in at.error[0].value
    table = at.table[0].value
    assert list(table.index) == ["'START HERE'!B9", "'1. Program Goals'!D6"]
    assert list(table["Kind"]) == ["error", "error"]
    assert "'Great' is not a rating" in table["Problem and how to fix it"].iloc[1]
    assert "Save as a new self-study" not in [b.label for b in at.button]
    assert db.list_studies() == []


def test_csv_files_of_a_copy_can_be_uploaded_together(db, sample_set, default_rubric):
    from selfstudy.core.sheetcopy import SHEETS_TITLE_LIMIT, layout

    tabs = layout(default_rubric, sample_set[2], SHEETS_TITLE_LIMIT)
    files = [(f"{t.title}.csv", csv_text(t.rows).encode(), "text/csv") for t in tabs]
    at = upload(open_page(), *files)
    assert not at.exception and not at.error
    next(b for b in at.button if b.label == "Save as a new self-study").click().run()
    assert db.all_studies()[0][1] == sample_set[2]


def test_downloads_give_a_blank_template_and_the_open_studys_copy(db, sample_set, default_rubric):
    study_id = db.create_study(sample_set[0])
    at = open_page(study_id)
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Blank template (.xlsx)", "This self-study's sheet copy (.xlsx)"]
    at = open_page()
    assert [b.label for b in at.get("download_button")] == ["Blank template (.xlsx)"]


def test_without_credentials_the_page_explains_how_to_connect(db, sample_set):
    at = open_page(db.create_study(sample_set[0]))
    at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("sheet_url"))).input(
        URL
    )
    at.run()
    assert not at.exception
    assert any("service-account key" in i.value for i in at.info)


@pytest.fixture
def google(server, monkeypatch, tmp_path: Path) -> SheetsStandIn:
    server.reset()
    server.create(KEY)
    monkeypatch.setenv(gsheets.ENDPOINT_ENV, server.url)
    monkeypatch.setattr(gsheets.RetryingHTTPClient, "sleep", staticmethod(lambda seconds: None))
    return server


def connected_page(study_id: str, tmp_path: Path, server: SheetsStandIn) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["gcp_service_account"] = json.loads(
        service_account_file(tmp_path, server.url).read_text()
    )
    at.query_params["study"] = study_id
    at.run()
    at.switch_page(PAGE).run()
    at.text_input(key=f"sheet_url:{study_id}").input(URL)
    return at.run()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_push_then_sync_shows_conflicts_side_by_side_and_applies_the_choice(
    db, google, tmp_path, sample_set
):
    study_id = db.create_study(sample_set[0])
    at = click(connected_page(study_id, tmp_path, google), "Push to the sheet")
    assert not at.exception and not at.error
    assert "Pushed **Bridge to STEM Summer Academy**" in at.success[0].value

    # PG.1.a changed in the sheet only; PG.1.b in the sheet and in the app.
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Sustaining")
    google.set_cell(KEY, "1. Program Goals", 7, 4, "Not yet")
    stored = db.get_study(study_id)
    db.save_answer(
        study_id,
        "PG.1.b",
        stored.study.answers["PG.1.b"].model_copy(update={"value": 4}),
        stored.revisions["PG.1.b"],
    )

    at = click(at, "Sync with the sheet")
    assert not at.exception and not at.error
    assert "From the sheet: PG.1.a" in at.success[0].value
    assert "1 conflict to choose" in at.success[0].value
    shown = "\n".join(m.value for m in at.markdown)
    assert "Sustaining (4)" in shown and "Not yet (1)" in shown  # both sides, side by side
    assert db.get_study(study_id).study.answers["PG.1.a"].value == 4
    assert db.get_study(study_id).study.answers["PG.1.b"].value == 4  # untouched until chosen

    at.radio(key=f"keep:{study_id}:PG.1.b").set_value("sheet")
    at = click(at, "Apply my choices")
    assert not at.exception
    assert db.get_study(study_id).study.answers["PG.1.b"].value == 1
    assert not [r for r in at.radio if r.key and r.key.startswith("keep:")]


def test_rows_deleted_in_the_sheet_are_shown_for_confirmation_before_anything_is_deleted(
    db, google, tmp_path, sample_set
):
    study_id = db.create_study(sample_set[0])
    at = click(connected_page(study_id, tmp_path, google), "Push to the sheet")
    google.delete_row(KEY, "1. Program Goals", 7)  # PG.1.b's row
    google.delete_row(KEY, "1. Program Goals", 6)  # PG.1.a's row

    at = click(at, "Sync with the sheet")
    assert not at.exception and not at.error
    assert "2 conflicts to choose" in at.success[0].value
    assert "its row was deleted in the sheet" in "\n".join(m.value for m in at.markdown)
    keep = at.radio(key=f"keep:{study_id}:PG.1.b")
    assert keep.options == ["keep the app's answer", "delete it here too"]
    assert keep.value == "app"  # nothing is deleted unless chosen
    answers = sample_set[0].answers
    assert db.get_study(study_id).study.answers["PG.1.a"] == answers["PG.1.a"]

    at.radio(key=f"keep:{study_id}:PG.1.a").set_value("sheet")
    at = click(at, "Apply my choices")
    assert not at.exception
    stored = db.get_study(study_id).study.answers
    assert "PG.1.a" not in stored  # deleted, as chosen
    assert stored["PG.1.b"] == answers["PG.1.b"]  # kept, the default
    assert "PG.1.b has no row in the sheet" in at.success[0].value


def test_an_edit_made_in_the_app_during_a_sync_is_kept_and_the_page_says_so(
    db, google, tmp_path, sample_set
):
    study_id = db.create_study(sample_set[0])
    at = click(connected_page(study_id, tmp_path, google), "Sync with the sheet")  # first sync
    assert not at.exception and not at.error
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Sustaining")  # PG.1.a, in the sheet

    def a_colleague_edits_the_app(method: str, path: str) -> None:
        if google.reads_cells():  # while the sync reads the sheet
            stored = db.get_study(study_id)
            answer = stored.study.answers["PG.1.a"].model_copy(update={"notes": "typed here"})
            db.save_answer(study_id, "PG.1.a", answer, stored.revisions["PG.1.a"])

    google.on_request = a_colleague_edits_the_app
    try:
        at = click(at, "Sync with the sheet")
    finally:
        google.on_request = None
    assert not at.exception and not at.error
    assert "nothing was taken from the sheet" in at.warning[0].value
    stored = db.get_study(study_id).study.answers["PG.1.a"]
    assert (stored.value, stored.notes) == (sample_set[0].answers["PG.1.a"].value, "typed here")


def test_a_sheet_not_shared_is_explained_on_the_page(db, google, tmp_path, sample_set):
    google.forbidden.add(KEY)
    study_id = db.create_study(sample_set[0])
    at = click(connected_page(study_id, tmp_path, google), "Push to the sheet")
    assert not at.exception
    assert "robot@selfstudy-test.iam.gserviceaccount.com" in at.error[0].value


def test_two_copies_of_one_program_and_round_at_once_are_neither_saved(
    db, sample_set, default_rubric
):
    """Several workbooks are a bulk import (tests/test_app_bulk_import.py); two copies of
    the same round cannot both be right, so neither is saved, as on the command line."""
    data = xlsx_bytes(sample_set[0], default_rubric)
    at = upload(open_page(), ("a.xlsx", data, XLSX), ("b.xlsx", data, XLSX))
    assert not at.exception
    assert at.dataframe[0].value["When you save"].tolist() == [
        "skipped: another copy is the same program and round (b.xlsx)",
        "skipped: another copy is the same program and round (a.xlsx)",
    ]
    assert "2 are left out (the list's last column says why)" in at.info[0].value
    next(b for b in at.button if b.label == "Save none (report why)").click().run()
    assert "Nothing was saved from the 2 copies: 2 skipped." in at.warning[0].value
    assert at.table[0].value["Code"].tolist() == ["repeated-copy", "repeated-copy"]
    assert db.list_studies() == []


def test_a_google_sheet_can_be_imported_as_a_new_study(
    db, google, tmp_path, sample_set, default_rubric
):

    client = gsheets.connect(Credentials(token="test-token"), endpoint=google.url)
    gsheets.push(client, KEY, sample_set[3], default_rubric)
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["gcp_service_account"] = json.loads(
        service_account_file(tmp_path, google.url).read_text()
    )
    at.run()
    at.switch_page(PAGE).run()
    at.text_input(key="pull_url").input(URL)
    at = click(at.run(), "Read the sheet")
    assert not at.exception and not at.error
    assert sample_set[3].program.name in "".join(m.value for m in at.markdown)
    at = click(at, "Save as a new self-study")
    assert db.all_studies()[0][1] == sample_set[3]
    assert f"Saved **{sample_set[3].program.name}** and opened it." in at.success[0].value
    # the sheet read is let go: no button is left to save it twice
    assert "Save as a new self-study" not in [b.label for b in at.button]
    # The sheet is remembered as the new study's sync base: later edits on each side
    # are taken each way, not offered as conflicts.
    [(study_id, _)] = db.all_studies()
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Not yet")  # PG.1.a, in the sheet
    revision = db.get_study(study_id).revisions["PG.1.b"]
    db.save_field(study_id, "PG.1.b", "notes", "checked in the app", revision)
    at = click(connected_page(study_id, tmp_path, google), "Sync with the sheet")
    assert not at.exception and not at.error
    assert "From the sheet: PG.1.a. To the sheet: PG.1.b." in at.success[0].value
    assert "conflict" not in at.success[0].value


# --- a copy of a program and round that is already stored -----------------------------------


def a_changed_copy(study, rubric) -> bytes:
    """The study's copy with PG.1.a rated 1 and PG.1.b left blank."""
    answers = dict(study.answers)
    answers["PG.1.a"] = answers["PG.1.a"].model_copy(update={"value": 1})
    del answers["PG.1.b"]
    return xlsx_bytes(study.model_copy(update={"answers": answers}), rubric)


def test_a_copy_of_a_stored_round_shows_what_would_change_and_updates_that_study(
    db, sample_set, default_rubric
):
    study_id = db.create_study(sample_set[0])
    at = upload(open_page(), ("p01.xlsx", a_changed_copy(sample_set[0], default_rubric), XLSX))
    assert not at.exception and not at.error
    assert "**Bridge to STEM Summer Academy** (round **baseline**) is already stored" in (
        at.warning[0].value
    )
    assert "Save as a new self-study" not in [b.label for b in at.button]
    changes = at.dataframe[1].value
    assert changes.to_dict("records") == [
        {
            "Item": "PG.1.a",
            "Field": "answer",
            "In the app": "Established (3)",
            "In the copy": "Not yet (1)",
        },
        {
            "Item": "PG.1.b",
            "Field": "answer",
            "In the app": "Established (3)",
            "In the copy": "left blank (the app's is kept)",
        },
    ]
    at = click(at, "Update the existing self-study")
    assert not at.exception and not at.error
    [(only_id, stored)] = db.all_studies()
    assert only_id == study_id
    assert stored.answers["PG.1.a"].value == 1
    assert stored.answers["PG.1.b"] == sample_set[0].answers["PG.1.b"]  # kept, not erased
    assert "Updated **Bridge to STEM Summer Academy**: 1 item changed" in at.success[0].value
    assert not at.file_uploader[0].value
    assert "Update the existing self-study" not in [b.label for b in at.button]
    assert db.history(study_id, "PG.1.a")[0].changed_by.startswith("browser session ")
    assert at.query_params["study"] == study_id


def test_a_copy_the_same_as_the_stored_study_says_keeping_both_would_store_a_twin(
    db, sample_set, default_rubric
):
    db.create_study(sample_set[0])
    at = upload(open_page(), ("p01.xlsx", xlsx_bytes(sample_set[0], default_rubric), XLSX))
    assert not at.exception
    assert "Updating would change nothing" in at.info[0].value
    assert "Keeping both would store a second, identical self-study." in at.info[0].value


def test_keep_both_saves_the_copy_as_another_study(db, sample_set, default_rubric):
    study_id = db.create_study(sample_set[0])
    at = upload(open_page(), ("p01.xlsx", a_changed_copy(sample_set[0], default_rubric), XLSX))
    at = click(at, "Keep both (save as a new self-study)")
    assert not at.exception and not at.error
    studies = dict(db.all_studies())
    assert len(studies) == 2
    assert studies[study_id] == sample_set[0]  # the stored one as it was
    [new_id] = set(studies) - {study_id}
    assert studies[new_id].answers["PG.1.a"].value == 1
    assert at.query_params["study"] == new_id
    assert db.history(new_id)[0].changed_by.startswith("browser session ")
    assert "Saved **Bridge to STEM Summer Academy** and opened it." in at.success[0].value
    # the choices are gone with the upload: Keep both clicked again cannot store a third
    assert not at.file_uploader[0].value
    assert "Keep both (save as a new self-study)" not in [b.label for b in at.button]
    # the same copy again: the page says two are stored, and which one an update changes
    at.file_uploader(key="import_files:1").set_value(
        [("p01.xlsx", a_changed_copy(sample_set[0], default_rubric), XLSX)]
    )
    at.run()
    [said] = [c.value for c in at.caption if "self-studies of this program" in c.value]
    assert said.startswith("2 self-studies of this program and round are stored (kept both)")
    assert f"[the one edited last](self-study?study={new_id})" in said


def test_cancel_saves_nothing_and_empties_the_upload(db, sample_set, default_rubric):
    study_id = db.create_study(sample_set[0])
    at = upload(open_page(), ("p01.xlsx", a_changed_copy(sample_set[0], default_rubric), XLSX))
    at = click(at, "Cancel")
    assert not at.exception and not at.error
    assert db.all_studies() == [(study_id, sample_set[0])]
    assert "Cancelled: nothing was saved" in at.info[0].value
    assert not at.file_uploader[0].value
    assert "Update the existing self-study" not in [b.label for b in at.button]


def test_an_answer_changed_in_the_app_after_the_changes_were_shown_is_not_overwritten(
    db, sample_set, default_rubric
):
    study_id = db.create_study(sample_set[0])
    at = upload(open_page(), ("p01.xlsx", a_changed_copy(sample_set[0], default_rubric), XLSX))
    revision = db.get_study(study_id).revisions["PG.1.a"]
    db.save_field(study_id, "PG.1.a", "value", 4, revision, by="colleague")
    at = click(at, "Update the existing self-study")
    assert not at.exception
    assert "PG.1.a changed in the app since you looked, so nothing was updated" in (
        at.warning[0].value
    )
    assert db.get_study(study_id).study.answers["PG.1.a"].value == 4  # the colleague's
    rows = at.dataframe[1].value.to_dict("records")
    assert rows[0]["In the app"] == "Sustaining (4)"  # shown again, as it is now


def test_a_google_sheet_of_a_stored_round_updates_that_study(
    db, google, tmp_path, sample_set, default_rubric
):
    study_id = db.create_study(sample_set[3])
    client = gsheets.connect(Credentials(token="test-token"), endpoint=google.url)
    gsheets.push(client, KEY, sample_set[3], default_rubric)
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Not yet")  # PG.1.a, in the sheet
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["gcp_service_account"] = json.loads(
        service_account_file(tmp_path, google.url).read_text()
    )
    at.run()
    at.switch_page(PAGE).run()
    at.text_input(key="pull_url").input(URL)
    at = click(at.run(), "Read the sheet")
    assert "is already stored" in at.warning[0].value
    at = click(at, "Update the existing self-study")
    assert not at.exception and not at.error
    [(only_id, stored)] = db.all_studies()
    assert (only_id, stored.answers["PG.1.a"].value) == (study_id, 1)
