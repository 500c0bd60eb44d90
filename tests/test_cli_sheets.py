"""`selfstudy import`, `export` and `sheets push/pull/sync`, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.edges import gsheets
from selfstudy.edges.sheet_files import read_study_source
from selfstudy.edges.storage import Storage
from selfstudy.edges.study_files import load_study
from selfstudy.edges.workbooks import export_xlsx, read_xlsx
from tests.conftest import SAMPLES_DIR
from tests.sheet_tables import xlsx
from tests.sheets_standin import HTML_503, Reply, SheetsStandIn
from tests.test_cli_terminal import HOSTILE, assert_shown_written_out, hostile_study
from tests.test_gsheets import KEY, URL, service_account_file

P01 = SAMPLES_DIR / "p01-baseline.json"
P02 = SAMPLES_DIR / "p02-baseline.json"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "app.db"))
    return Storage()


# --- export and import ----------------------------------------------------------------------


def test_export_then_import_gives_back_the_same_study(tmp_path):
    assert invoke("export", P01, "--to", tmp_path / "p01.xlsx").exit_code == 0
    result = invoke("import", tmp_path / "p01.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout == load_study(P01).to_json()
    assert "imported 1 of 1 sheet copy" in result.stderr


def test_export_to_a_folder_writes_csv_files_that_import_back(tmp_path):
    result = invoke("export", P02, "--to", tmp_path / "p02")
    assert result.exit_code == 0
    assert "wrote 8 CSV files" in result.stdout
    imported = invoke("import", tmp_path / "p02", "--out", tmp_path / "back.json")
    assert imported.exit_code == 0
    assert load_study(tmp_path / "back.json") == load_study(P02)


def test_a_blank_template_has_every_tab_and_no_answers(tmp_path):
    result = invoke("export", "--template", "--to", tmp_path / "template.xlsx")
    assert result.exit_code == 0
    sheets = read_xlsx(tmp_path / "template.xlsx")
    assert next(iter(sheets)) == "START HERE" and len(sheets) == 8
    failed = invoke("import", tmp_path / "template.xlsx")
    assert failed.exit_code == 1
    assert "'START HERE'!B9: the program name is missing" in failed.stderr


def test_export_explains_what_it_needs(tmp_path):
    assert (
        "either a STUDY.json or --template" in invoke("export", "--to", tmp_path / "x.xlsx").output
    )
    result = invoke("export", P01, "--to", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "must end in .xlsx" in result.output


def test_bulk_import_imports_the_good_copies_and_reports_every_files_problems(
    tmp_path, default_rubric, sample_set
):
    folder = tmp_path / "copies"
    folder.mkdir()
    for study in sample_set[:3]:
        export_xlsx(
            study, default_rubric, folder / f"{study.program.id}-{study.program.round}.xlsx"
        )
    broken = read_xlsx(folder / "p01-baseline.xlsx")
    broken["1. Program Goals"][5][3] = "Great"
    broken["2. Student Recruitment"][6][0] = "SR.99"
    xlsx(broken, folder / "broken.xlsx")
    (folder / "~$broken.xlsx").write_bytes(b"lock")
    (folder / "old.json").write_text(P02.read_text())

    result = invoke("import", folder, "--out", tmp_path / "out")

    assert result.exit_code == 1
    assert "Importing" in result.stderr  # the progress bar, on stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "old.json",
        "p01-baseline.json",
        "p01-follow-up.json",
        "p02-baseline.json",
    ]
    broken_path = folder / "broken.xlsx"
    report = [line for line in result.stderr.splitlines() if "broken.xlsx" in line]
    assert report[:2] == [
        f"{broken_path}: '1. Program Goals'!D6: 'Great' is not a rating on this scale; "
        "choose one of Not yet (1), Emerging (2), Established (3), Sustaining (4) or N/A",
        f"{broken_path}: '2. Student Recruitment'!A7: 'SR.99' is not an item ID of "
        "'stem-equity-self-study'; correct it from a blank template, or clear the row",
    ]
    assert report[2].startswith(
        f"{broken_path}: '2. Student Recruitment': warning: no row for SR.1.b"
    )
    assert len(report) == 3
    assert "imported 4 of 5 sheet copies; 1 with errors (not imported)" in result.stderr
    assert read_study_source(tmp_path / "out" / "p01-follow-up.json") == sample_set[1]


def test_import_save_stores_the_good_copies_in_the_database(
    tmp_path, database, default_rubric, sample_set
):
    export_xlsx(sample_set[0], default_rubric, tmp_path / "a.xlsx")
    result = invoke("import", tmp_path / "a.xlsx", "--save")
    assert result.exit_code == 0, result.output
    [(study_id, stored)] = database.all_studies()
    assert stored == sample_set[0]
    assert study_id in result.stdout


def test_import_with_another_rubric_reports_the_mismatch(tmp_path, default_rubric, sample_set):
    export_xlsx(sample_set[0], default_rubric, tmp_path / "a.xlsx")
    rubric_file = tmp_path / "other.yaml"
    rubric_file.write_text(
        Path(SAMPLES_DIR.parent / "rubrics" / "stem-equity-self-study.yaml")
        .read_text()
        .replace('version: "1.0"', 'version: "2.0"', 1)
    )
    result = invoke("import", tmp_path / "a.xlsx", "--rubric", rubric_file)
    assert result.exit_code == 1
    assert "'START HERE'!B17: this copy is for version '1.0'" in result.stderr
    assert "Traceback" not in result.output


# --- Google Sheets ---------------------------------------------------------------------------


@pytest.fixture
def google(server: SheetsStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SheetsStandIn:
    server.reset()
    server.create(KEY)
    monkeypatch.setenv(gsheets.ENDPOINT_ENV, server.url)
    monkeypatch.setenv(gsheets.CREDENTIALS_ENV, str(service_account_file(tmp_path, server.url)))
    monkeypatch.setattr(gsheets.RetryingHTTPClient, "sleep", staticmethod(lambda seconds: None))
    return server


def test_push_then_pull_round_trips_through_google_sheets(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    pushed = invoke("sheets", "push", study_file, "--spreadsheet", URL)
    assert pushed.exit_code == 0, pushed.output
    assert "created START HERE, 1. Program Goals" in pushed.stdout
    assert (tmp_path / "p01.sync.json").is_file()  # the sync base, next to the study
    pulled = invoke("sheets", "pull", KEY, "--out", tmp_path / "back.json")
    assert pulled.exit_code == 0, pulled.output
    assert load_study(tmp_path / "back.json") == load_study(P01)


def test_sync_on_a_file_takes_sheet_edits_and_lists_conflicts_until_chosen(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    assert invoke("sheets", "sync", study_file, "--spreadsheet", KEY).exit_code == 0
    # PG.1.a (row 6) is edited in the sheet; PG.1.b (row 7) in the sheet and in the file.
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Sustaining")
    google.set_cell(KEY, "1. Program Goals", 7, 4, "Not yet")
    data = json.loads(study_file.read_text())
    data["answers"]["PG.1.b"]["value"] = 4
    study_file.write_text(json.dumps(data))

    result = invoke("sheets", "sync", study_file, "--spreadsheet", KEY)

    assert result.exit_code == 0, result.output
    assert "from the sheet: PG.1.a; to the sheet: nothing; conflicts: 1" in result.stdout
    assert "PG.1.b  4 Sustaining  1 Not yet     3 Established" in result.stdout
    assert "--keep ITEM=app" in result.stderr
    synced = load_study(study_file)
    assert synced.answers["PG.1.a"].value == 4
    assert synced.answers["PG.1.b"].value == 4  # the conflict left the app's side alone

    chosen = invoke("sheets", "sync", study_file, "--spreadsheet", KEY, "--keep", "PG.1.b=sheet")
    assert "from the sheet: PG.1.b" in chosen.stdout
    assert load_study(study_file).answers["PG.1.b"].value == 1
    again = invoke("sheets", "sync", study_file, "--spreadsheet", KEY)
    assert "from the sheet: nothing; to the sheet: nothing; conflicts: 0" in again.stdout


def test_keep_all_settles_every_conflict_but_the_ones_kept_one_by_one(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    assert invoke("sheets", "sync", study_file, "--spreadsheet", KEY).exit_code == 0
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Not yet")  # PG.1.a
    google.set_cell(KEY, "1. Program Goals", 7, 4, "Not yet")  # PG.1.b
    data = json.loads(study_file.read_text())
    data["answers"]["PG.1.a"]["value"] = 4
    data["answers"]["PG.1.b"]["value"] = 4
    study_file.write_text(json.dumps(data))

    result = invoke(
        "sheets",
        "sync",
        study_file,
        "--spreadsheet",
        KEY,
        "--keep-all",
        "sheet",
        "--keep",
        "PG.1.b=app",
    )

    assert result.exit_code == 0, result.output
    assert "from the sheet: PG.1.a; to the sheet: PG.1.b; conflicts: 0" in result.stdout
    synced = load_study(study_file)
    assert (synced.answers["PG.1.a"].value, synced.answers["PG.1.b"].value) == (1, 4)
    assert google.values(KEY, "1. Program Goals")[6][3] == "Sustaining"


def test_sync_of_a_stored_study_saves_sheet_edits_in_the_database(tmp_path, google, database):
    pulled = invoke("sheets", "pull", KEY, "--save")  # an empty spreadsheet has no copy yet
    assert pulled.exit_code == 1
    assert "does not name its rubric" in pulled.stderr
    study_id = database.create_study(load_study(P01))
    assert invoke("sheets", "sync", study_id, "--spreadsheet", KEY).exit_code == 0
    google.set_cell(KEY, "1. Program Goals", 6, 5, "'=minutes, typed in the sheet")
    result = invoke("sheets", "sync", study_id, "--spreadsheet", KEY)
    assert result.exit_code == 0, result.output
    assert (
        database.get_study(study_id).study.answers["PG.1.a"].evidence
        == "=minutes, typed in the sheet"
    )
    assert database.get_sync_base(study_id, f"gsheet:{KEY}")["PG.1.a"]["evidence"].startswith("=")


def test_push_and_sync_of_a_stored_study_follow_the_rubric_option(tmp_path, google, database):
    rubric_file = tmp_path / "renamed.yaml"
    rubric_file.write_text(
        Path(SAMPLES_DIR.parent / "rubrics" / "stem-equity-self-study.yaml")
        .read_text()
        .replace("title: Program Goals", "title: Program Aims", 1)
    )
    study_id = database.create_study(load_study(P01))
    pushed = invoke("sheets", "push", study_id, "--spreadsheet", KEY, "--rubric", rubric_file)
    assert pushed.exit_code == 0, pushed.output
    assert "created START HERE, 1. Program Aims, 2." in pushed.stdout
    google.set_cell(KEY, "1. Program Aims", 6, 4, "Sustaining")  # PG.1.a, in the sheet
    synced = invoke("sheets", "sync", study_id, "--spreadsheet", KEY, "--rubric", rubric_file)
    assert synced.exit_code == 0, synced.output
    assert "from the sheet: PG.1.a; to the sheet: nothing; conflicts: 0" in synced.stdout
    assert database.get_study(study_id).study.answers["PG.1.a"].value == 4


def test_missing_or_wrong_credentials_give_a_message_not_a_traceback(tmp_path, google, monkeypatch):
    monkeypatch.delenv(gsheets.CREDENTIALS_ENV)
    result = invoke("sheets", "pull", KEY)
    assert result.exit_code == 1
    assert "no Google credential given" in result.stderr
    google.reject_token_requests = True
    path = service_account_file(tmp_path, google.url)
    result = invoke("sheets", "pull", KEY, "--credentials", path)
    assert result.exit_code == 1
    assert "did not accept the credential" in result.stderr
    assert "Traceback" not in result.output
    result = invoke("sheets", "push", "no-such-study", "--spreadsheet", KEY, "--credentials", path)
    assert result.exit_code == 1 and "no such self-study file" in result.stderr


def test_keep_must_name_an_item_and_a_side(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    result = invoke("sheets", "sync", study_file, "--spreadsheet", KEY, "--keep", "PG.1.a=mine")
    assert result.exit_code == 2 and "ITEM=app or ITEM=sheet" in result.output


def test_an_app_edit_made_during_a_sync_is_not_overwritten(tmp_path, google, database):
    study_id = database.create_study(load_study(P01))
    assert invoke("sheets", "sync", study_id, "--spreadsheet", KEY).exit_code == 0
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Sustaining")  # PG.1.a, in the sheet

    def someone_edits_the_app(method: str, path: str) -> None:
        if google.reads_cells():  # while the sync reads the sheet
            stored = database.get_study(study_id)
            answer = stored.study.answers["PG.1.a"].model_copy(update={"notes": "typed in the app"})
            database.save_answer(study_id, "PG.1.a", answer, stored.revisions["PG.1.a"])

    google.on_request = someone_edits_the_app
    result = invoke("sheets", "sync", study_id, "--spreadsheet", KEY)
    assert result.exit_code == 1
    assert "changed by someone else since you loaded it: PG.1.a" in result.stderr
    assert "run sync again" in result.stderr
    stored = database.get_study(study_id).study.answers["PG.1.a"]
    assert (stored.value, stored.notes) == (3, "typed in the app")  # the app's edit is kept
    google.on_request = None
    again = invoke("sheets", "sync", study_id, "--spreadsheet", KEY)
    assert again.exit_code == 0
    assert "conflicts: 1" in again.stdout  # now both sides changed PG.1.a: the user chooses


def test_a_damaged_sync_record_is_reported_with_what_to_do(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    (tmp_path / "p01.sync.json").write_text("{not json")
    result = invoke("sheets", "sync", study_file, "--spreadsheet", KEY)
    assert result.exit_code == 1
    assert "p01.sync.json: this sync record cannot be used (it is not JSON)" in result.stderr
    assert "delete it" in result.stderr


def test_a_sync_record_that_is_json_but_not_an_object_is_reported_too(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    (tmp_path / "p01.sync.json").write_text("[1, 2]")
    result = invoke("sheets", "sync", study_file, "--spreadsheet", KEY)
    assert result.exit_code == 1
    assert "p01.sync.json: this sync record cannot be used" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_takes_google_sheet_urls_alongside_files(
    tmp_path, google, default_rubric, sample_set
):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    assert invoke("sheets", "push", study_file, "--spreadsheet", KEY).exit_code == 0
    export_xlsx(sample_set[1], default_rubric, tmp_path / "local.xlsx")
    result = invoke("import", URL, tmp_path / "local.xlsx", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert load_study(tmp_path / "out" / f"{KEY}.json") == load_study(P01)
    assert load_study(tmp_path / "out" / "local.json") == sample_set[1]

    google.set_cell(KEY, "1. Program Goals", 6, 4, "Brilliant")
    failed = invoke("import", URL)
    assert failed.exit_code == 1
    assert f"{URL}: '1. Program Goals'!D6: 'Brilliant' is not a rating" in failed.stderr


def test_import_names_sources_that_do_not_exist(tmp_path):
    result = invoke("import", tmp_path / "nowhere.xlsx")
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_pull_of_a_sheet_with_errors_reports_each_problem_once(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    assert invoke("sheets", "push", study_file, "--spreadsheet", KEY).exit_code == 0
    google.delete_row(KEY, "2. Student Recruitment", 7)  # a warning: no row for SR.1.b
    warned = invoke("sheets", "pull", KEY, "--out", tmp_path / "back.json")
    assert warned.exit_code == 0
    assert warned.stderr.splitlines() == [
        line for line in warned.stderr.splitlines() if "no row for SR.1.b" in line
    ]
    assert len(warned.stderr.splitlines()) == 1
    google.set_cell(KEY, "1. Program Goals", 6, 4, "Great")
    result = invoke("sheets", "pull", KEY)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2  # the error and the warning, each once
    assert len([line for line in lines if "'Great' is not a rating" in line]) == 1
    assert len([line for line in lines if "no row for SR.1.b" in line]) == 1


def test_google_failing_for_good_is_one_line_and_exit_1(tmp_path, google):
    google.fail_next = [HTML_503] * 10
    result = invoke("sheets", "pull", KEY)
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"spreadsheet {KEY}: Google Sheets kept failing (503 Service")
    assert "<" not in result.output and "Traceback" not in result.output


def test_a_push_google_may_have_applied_says_so_in_one_line_and_pushing_again_works(
    tmp_path, google
):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    google.fail_next = [None, Reply(503, HTML_503.body, HTML_503.content_type, applied=True)]
    failed = invoke("sheets", "push", study_file, "--spreadsheet", KEY)
    assert failed.exit_code == 1
    [line] = failed.stderr.splitlines()
    assert "may or may not have been written; try again" in line
    again = invoke("sheets", "push", study_file, "--spreadsheet", KEY)
    assert again.exit_code == 0, again.output
    pulled = invoke("sheets", "pull", KEY, "--out", tmp_path / "back.json")
    assert pulled.exit_code == 0, pulled.output
    assert load_study(tmp_path / "back.json") == load_study(P01)


def test_a_row_deleted_in_the_sheet_is_listed_and_deleted_here_only_with_keep(tmp_path, google):
    study_file = tmp_path / "p01.json"
    study_file.write_text(P01.read_text())
    assert invoke("sheets", "sync", study_file, "--spreadsheet", KEY).exit_code == 0
    google.delete_row(KEY, "1. Program Goals", 7)  # PG.1.b

    result = invoke("sheets", "sync", study_file, "--spreadsheet", KEY)

    assert result.exit_code == 0, result.output
    assert "from the sheet: nothing; to the sheet: nothing; conflicts: 1" in result.stdout
    assert "PG.1.b  3 Established  (row deleted)  3 Established" in result.stdout
    assert "only with --keep ITEM=sheet" in result.stderr
    assert load_study(study_file).answers["PG.1.b"] == load_study(P01).answers["PG.1.b"]
    assert "conflicts: 1" in invoke("sheets", "sync", study_file, "--spreadsheet", KEY).stdout

    chosen = invoke("sheets", "sync", study_file, "--spreadsheet", KEY, "--keep", "PG.1.b=sheet")
    assert "from the sheet: PG.1.b; to the sheet: nothing; conflicts: 0" in chosen.stdout
    assert "PG.1.b" not in load_study(study_file).answers


def test_pushes_and_sync_conflicts_show_hostile_text_written_out(tmp_path, google):
    study_file = hostile_study(tmp_path)
    pushed = invoke("sheets", "push", study_file, "--spreadsheet", KEY)
    # PG.1.b (row 7) is given other evidence in the sheet and in the file: a conflict.
    google.set_cell(KEY, "1. Program Goals", 7, 5, f"sheet {HOSTILE}")
    data = json.loads(study_file.read_text(encoding="utf-8"))
    data["answers"]["PG.1.b"]["evidence"] = f"file {HOSTILE}"
    study_file.write_text(json.dumps(data), encoding="utf-8")
    synced = invoke("sheets", "sync", study_file, "--spreadsheet", KEY)
    for result in (pushed, synced):
        assert result.exit_code == 0, result.output
        assert_shown_written_out(result)
    assert "conflicts: 1" in synced.stdout
    assert r"evidence: sheet Evil\x1b[2J" in synced.stdout
