"""Google Sheets push, pull and sync: the real gspread client over HTTP to a local stand-in."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.merge import PROGRAM_KEY, snapshot
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.sheetcopy.vocabulary import column_letter
from selfstudy.core.study import Answer, Program
from selfstudy.edges import gsheets
from selfstudy.edges.study_files import load_study
from selfstudy.workflows import sheet_sync
from tests.sheet_tables import TINY, studies, tiny_study
from tests.sheets_standin import HTML_503, Reply, SheetsStandIn

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
URL = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"


@pytest.fixture
def standin(server: SheetsStandIn) -> SheetsStandIn:
    server.reset()
    server.create(KEY)
    return server


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def client(standin: SheetsStandIn, delays: list[float]):
    client = gsheets.connect(Credentials(token="test-token"), endpoint=standin.url)
    client.http_client.sleep = delays.append  # record the backoff instead of waiting
    return client


def test_push_writes_every_tab_with_dropdowns_and_frozen_headers_in_2_requests(
    standin, client, default_rubric, sample_set
):
    report = gsheets.push(client, URL, sample_set[0], default_rubric)
    assert report.created[0] == "START HERE"
    assert "5. Assessment and Evidence of Performance" in report.created
    assert len(standin.api_requests()) == 2
    sheet = standin.spreadsheets[KEY].sheet("1. Program Goals")
    assert sheet.properties["gridProperties"]["frozenRowCount"] == 4
    assert standin.values(KEY, "1. Program Goals")[3] == [
        "ID",
        "Standard",
        "Indicator",
        "Rating",
        "Evidence",
        "Notes",
    ]
    rating = sheet.validations[(4 + 1, 3)]  # the first item row, column D
    assert [v["userEnteredValue"] for v in rating["condition"]["values"]] == [
        "Not yet",
        "Emerging",
        "Established",
        "Sustaining",
        "N/A",
    ]
    assert sheet.widths[2] > sheet.widths[0]  # the indicator column is wide


def test_push_costs_the_same_requests_whatever_the_rubric_size(standin, client, default_rubric):
    gsheets.push(client, KEY, tiny_study(), TINY)
    small = len(standin.api_requests())
    standin.reset()
    standin.create(KEY)
    gsheets.push(client, KEY, None, default_rubric)
    assert small == len(standin.api_requests()) == 2


def test_push_writes_values_as_text_so_formulas_stay_text(standin, client):
    study = tiny_study(
        **{
            "PG.1.a": Answer(value=3, evidence="=SUM(A1)"),
            "PG.R": Answer(value="=1+1", evidence="@SUM(A1)", notes="+3"),
        }
    )
    gsheets.push(client, KEY, study, TINY)
    result = gsheets.pull(client, KEY, TINY)
    assert result.problems == [] and result.study == study
    assert standin.values(KEY, "1. Program Goals")[5][4] == "=SUM(A1)"  # text, not a result


def test_a_formula_typed_in_the_sheet_is_not_read_and_is_reported_at_its_cell(standin, client):
    gsheets.push(client, KEY, tiny_study(**{"PG.1.a": Answer(value=3, notes="kept")}), TINY)
    standin.set_cell(KEY, "1. Program Goals", 6, 4, "=2+1")  # PG.1.a's rating
    standin.set_cell(KEY, "1. Program Goals", 7, 4, "'=2+1")  # PG.1.b's, typed as text
    result = gsheets.pull(client, KEY, TINY)
    assert [(p.code, p.location, p.severity) for p in result.problems] == [
        ("formula-not-read", "'1. Program Goals'!D6", "warning"),
        ("bad-rating", "'1. Program Goals'!D7", "error"),  # the text `=2+1` is no rating
    ]
    standin.set_cell(KEY, "1. Program Goals", 7, 4, None)
    result = gsheets.pull(client, KEY, TINY)
    assert [p.code for p in result.problems] == ["formula-not-read"]
    assert "=2+1" in result.problems[0].message
    assert result.study.answers["PG.1.a"] == Answer(notes="kept")  # unanswered, not 3


@pytest.mark.parametrize(
    ("entered", "number_format", "read"),
    [
        (45731, "DATE", "2025-03-15"),
        (45731.4375, "DATE_TIME", "2025-03-15T10:30:00"),
        (45731, "DATE_TIME", "2025-03-15"),
        (0.4375, "TIME", "10:30:00"),
        (3, "NUMBER", 3),
        (3.5, None, 3.5),
        (1e300, "DATE", 1e300),  # no date: the number
    ],
)
def test_a_date_typed_in_the_sheet_is_read_as_from_an_xlsx(
    standin, client, entered, number_format, read
):
    standin.set_cell(KEY, "Sheet1", 1, 1, entered, number_format)
    _, sheets = gsheets.pull_sheets(client, KEY)
    assert sheets == {"Sheet1": [[read]]}


def test_an_error_value_is_read_as_sheets_shows_it(standin, client):
    standin.fail_next = [None, cells_reply('{"userEnteredValue": {"errorValue": {"type": "N_A"}}}')]
    assert gsheets.pull_sheets(client, KEY)[1] == {"Sheet1": [["#N/A"]]}


def test_the_standin_evaluates_formulas_so_writing_text_matters(standin, client):
    client.http_client.values_batch_update(
        KEY,
        {
            "valueInputOption": "USER_ENTERED",
            "data": [{"range": "'Sheet1'!A1", "values": [["=1+1"]]}],
        },
    )
    sheet_id = standin.spreadsheets[KEY].sheet("Sheet1").properties["sheetId"]
    client.http_client.batch_update(
        KEY,
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {"sheetId": sheet_id, "startRowIndex": 1},
                        "rows": [{"values": [{"userEnteredValue": {"formulaValue": "=2+2"}}]}],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        },
    )
    assert standin.values(KEY, "Sheet1") == [["#NAME?"], ["#NAME?"]]


def test_pull_reads_back_exactly_what_push_wrote_in_2_requests(
    standin, client, default_rubric, sample_set
):
    for study in sample_set[:3]:
        gsheets.push(client, KEY, study, default_rubric)
        standin.requests.clear()
        result = gsheets.pull(client, URL)
        assert len(standin.api_requests()) == 2
        assert result.problems == []  # the empty Sheet1 of a new spreadsheet is not reported
        assert result.study.to_json() == study.to_json()


def test_pull_reports_the_cells_a_person_got_wrong(standin, client):
    gsheets.push(client, KEY, tiny_study(), TINY)
    standin.set_cell(KEY, "1. Program Goals", 6, 4, "Brilliant")
    result = gsheets.pull(client, KEY, TINY)
    assert result.study is None
    assert [(p.code, p.location) for p in result.problems] == [
        ("bad-rating", "'1. Program Goals'!D6")
    ]


def test_push_into_tabs_a_person_renamed_reuses_them(standin, client):
    gsheets.push(client, KEY, tiny_study(), TINY)
    spreadsheet = standin.spreadsheets[KEY]
    spreadsheet.sheet("1. Program Goals").properties["title"] = "Program Goals"
    gsheets.push(client, KEY, tiny_study(**{"PG.1.a": Answer(value=4)}), TINY)
    titles = [s.title for s in spreadsheet.sheets]
    assert "1. Program Goals" not in titles and "Program Goals" in titles
    assert gsheets.pull(client, KEY, TINY).study.answers["PG.1.a"].value == 4


def test_a_429_is_retried_after_a_backoff(standin, client, delays):
    standin.fail_next = [429]
    gsheets.push(client, KEY, tiny_study(), TINY)
    assert delays == [1.0]
    assert len(standin.api_requests()) == 3  # the refused request and its retry
    assert client.http_client.requests_sent == 3
    assert gsheets.pull(client, KEY, TINY).study == tiny_study()


def test_a_push_adding_tabs_is_retried_on_429_which_google_refuses_before_doing_anything(
    standin, client, delays
):
    standin.fail_next = [None, 429]  # the write
    gsheets.push(client, KEY, tiny_study(), TINY)
    assert delays == [1.0]
    assert gsheets.pull(client, KEY, TINY).study == tiny_study()


def test_a_push_google_applied_but_answered_503_is_not_sent_twice_and_a_second_push_works(
    standin, client, delays
):
    study = tiny_study(**{"PG.1.a": Answer(value=3, evidence="minutes")})
    standin.fail_next = [None, Reply(503, HTML_503.body, HTML_503.content_type, applied=True)]
    with pytest.raises(ProblemsFound) as raised:
        gsheets.push(client, KEY, study, TINY)
    assert delays == []  # a second try would fail: the tabs are there now
    [problem] = raised.value.problems
    assert (problem.code, problem.location) == ("sheets-access", f"spreadsheet {KEY}")
    assert "(503 Service Unavailable)" in problem.message
    assert "may or may not have been written; try again" in problem.message
    assert "<" not in str(problem) and "\n" not in str(problem)
    assert gsheets.pull(client, KEY, TINY).study == study  # Google did write it
    again = gsheets.push(client, KEY, study, TINY)
    assert again.created == []
    titles = [s.title for s in standin.spreadsheets[KEY].sheets]
    assert len(titles) == len(set(titles)) == 5  # Sheet1, START HERE, a dimension, SUMMARY...
    assert gsheets.pull(client, KEY, TINY).study == study


def test_a_push_into_existing_tabs_is_retried_on_503_as_it_sets_the_same_cells(
    standin, client, delays
):
    gsheets.push(client, KEY, tiny_study(), TINY)
    study = tiny_study(**{"PG.1.b": Answer(value=1)})
    standin.fail_next = [None, Reply(503, "", applied=True)]
    gsheets.push(client, KEY, study, TINY)
    assert delays == [1.0]
    assert gsheets.pull(client, KEY, TINY).study == study


def test_backoff_is_bounded_and_ends_with_a_clear_problem(standin, client, delays):
    standin.fail_next = [429] * 10
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY, TINY)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert max(delays) == gsheets.MAX_DELAY
    assert raised.value.codes() == ["sheets-access"]
    assert "429" in raised.value.problems[0].message


def test_a_503_with_googles_html_page_is_retried_like_any_503(standin, client, delays):
    standin.fail_next = [HTML_503]
    gsheets.push(client, KEY, tiny_study(), TINY)
    assert delays == [1.0]
    assert gsheets.pull(client, KEY, TINY).study == tiny_study()


def test_a_503_that_never_ends_is_one_line_with_the_status_and_no_html(standin, client, delays):
    standin.fail_next = [HTML_503] * 10
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY, TINY)
    assert len(delays) == 5
    [problem] = raised.value.problems
    assert problem.code == "sheets-access"
    assert "503 Service Unavailable" in problem.message and "try again" in problem.message
    assert "<" not in str(problem) and "\n" not in str(problem)


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("120", gsheets.MAX_DELAY),  # asked for longer than the bound: the bound
        ("Wed, 21 Oct 2099 07:28:00 GMT", gsheets.MAX_DELAY),  # a date far ahead
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date gone by
        ("soon", 1.0),  # unreadable: the backoff's own wait
    ],
)
def test_retry_after_is_honoured_up_to_the_backoffs_bound(
    standin, client, delays, retry_after, waited
):
    standin.fail_next = [Reply(429, "{}", headers={"Retry-After": retry_after})]
    assert gsheets.pull(client, KEY).problems.codes() == ["missing-rubric"]  # then it read
    assert delays == [waited]


def test_a_push_that_fails_at_any_request_leaves_the_sheet_as_it_was(standin, client, delays):
    before = tiny_study(**{"PG.1.a": Answer(value=3, evidence="minutes")})
    gsheets.push(client, KEY, before, TINY)
    spreadsheet = standin.spreadsheets[KEY]
    values = {s.title: s.rows() for s in spreadsheet.sheets}
    after = tiny_study(**{"PG.1.b": Answer(value=1)})
    succeeding = 0  # requests answered before every later one fails
    while True:
        standin.fail_next = [None] * succeeding + [500] * 10
        try:
            gsheets.push(client, KEY, after, TINY)
            break
        except ProblemsFound:
            standin.fail_next = []
            assert {s.title: s.rows() for s in spreadsheet.sheets} == values
            assert gsheets.pull(client, KEY, TINY).study == before
        succeeding += 1
    standin.fail_next = []
    assert succeeding == 2  # it failed at each of its 2 requests, then succeeded
    assert gsheets.pull(client, KEY, TINY).study == after


def test_a_push_clears_what_the_new_layout_leaves_blank(standin, client):
    gsheets.push(client, KEY, tiny_study(**{"PG.1.a": Answer(value=3, notes="old")}), TINY)
    standin.set_cell(KEY, "1. Program Goals", 40, 9, "typed far below")
    gsheets.push(client, KEY, tiny_study(), TINY)
    rows = standin.values(KEY, "1. Program Goals")
    assert "old" not in str(rows) and "typed far below" not in str(rows)
    assert gsheets.pull(client, KEY, TINY).study == tiny_study()


def test_a_sheet_not_shared_with_the_service_account_says_whom_to_share_with(
    standin, tmp_path, server
):
    standin.forbidden.add(KEY)
    credentials = gsheets.credentials_from_file(service_account_file(tmp_path, server.url))
    client = gsheets.connect(credentials, endpoint=server.url)
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY)
    assert "robot@selfstudy-test.iam.gserviceaccount.com" in raised.value.problems[0].message


def test_an_unknown_spreadsheet_and_a_bad_address_are_reported(client):
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, "Z" * 30)
    assert "no such spreadsheet" in raised.value.problems[0].message
    assert "share the sheet" in raised.value.problems[0].message
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, "my sheet")
    assert raised.value.codes() == ["bad-spreadsheet"]
    assert gsheets.spreadsheet_key(URL) == KEY


# --- credentials ------------------------------------------------------------------------------


@functools.cache
def _private_key_pem() -> str:
    """One RSA key for the whole session: generating one takes a noticeable moment."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def service_account_file(folder: Path, token_uri: str) -> Path:
    pem = _private_key_pem()
    path = folder / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "selfstudy-test",
                "private_key_id": "abc123",
                "private_key": pem,
                "client_email": "robot@selfstudy-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{token_uri}/token",
            }
        )
    )
    return path


def test_a_service_account_key_file_gets_a_token_and_pushes(standin, tmp_path, server):
    credentials = gsheets.credentials_from_file(service_account_file(tmp_path, server.url))
    client = gsheets.connect(credentials, endpoint=server.url)
    gsheets.push(client, KEY, tiny_study(), TINY)
    assert standin.requests[0]["path"] == "/token"
    assert len(standin.api_requests()) == 2


def test_a_refused_service_account_key_gives_a_clear_message(standin, tmp_path, server):
    standin.reject_token_requests = True
    credentials = gsheets.credentials_from_file(service_account_file(tmp_path, server.url))
    client = gsheets.connect(credentials, endpoint=server.url)
    with pytest.raises(ProblemsFound) as raised:
        gsheets.push(client, KEY, tiny_study(), TINY)
    assert raised.value.codes() == ["sheets-credentials"]
    assert "did not accept the credential" in raised.value.problems[0].message


def test_missing_or_wrong_credential_files_are_explained(tmp_path, monkeypatch):
    monkeypatch.delenv(gsheets.CREDENTIALS_ENV, raising=False)
    cases = {}
    with pytest.raises(ProblemsFound) as raised:
        gsheets.credentials_from_file(None)
    cases["none"] = raised.value.problems[0].message
    with pytest.raises(ProblemsFound) as raised:
        gsheets.credentials_from_file(tmp_path / "missing.json")
    cases["missing"] = raised.value.problems[0].message
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(ProblemsFound) as raised:
        gsheets.credentials_from_file(tmp_path / "bad.json")
    cases["not json"] = raised.value.problems[0].message
    (tmp_path / "user.json").write_text(json.dumps({"type": "authorized_user"}))
    with pytest.raises(ProblemsFound) as raised:
        gsheets.credentials_from_file(tmp_path / "user.json")
    cases["not a service account"] = raised.value.problems[0].message
    (tmp_path / "half.json").write_text(json.dumps({"type": "service_account"}))
    with pytest.raises(ProblemsFound) as raised:
        gsheets.credentials_from_file(tmp_path / "half.json")
    cases["incomplete"] = raised.value.problems[0].message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in cases["none"]
    assert "check the path" in cases["missing"]
    assert "not JSON" in cases["not json"]
    assert "not a service-account key" in cases["not a service account"]
    assert "incomplete" in cases["incomplete"]


def test_the_credential_path_may_come_from_the_environment(tmp_path, monkeypatch, server):
    path = service_account_file(tmp_path, server.url)
    monkeypatch.setenv(gsheets.CREDENTIALS_ENV, str(path))
    credentials = gsheets.credentials_from_file(None)
    assert credentials.service_account_email == "robot@selfstudy-test.iam.gserviceaccount.com"


# --- sync --------------------------------------------------------------------------------------


def test_first_sync_to_an_empty_spreadsheet_pushes_the_layout_in_3_requests(standin, client):
    study = tiny_study(**{"PG.1.a": Answer(value=3)})
    outcome = gsheets.sync(client, KEY, study, TINY, base=None)
    assert len(standin.api_requests()) == 3
    assert outcome.pushed_layout
    assert outcome.base == snapshot(study)
    assert gsheets.pull(client, KEY, TINY).study == study


def test_sync_takes_sheet_edits_pushes_app_edits_and_reports_conflicts(standin, client):
    study = tiny_study(
        **{
            "PG.1.a": Answer(value=3),
            "PG.1.b": Answer(value=2, evidence="board minutes"),
            "SR.1.a": Answer(value=1),
        }
    )
    base = gsheets.sync(client, KEY, study, TINY, base=None).base
    # In the sheet: PG.1.a becomes Sustaining, SR.1.a becomes Established.
    standin.set_cell(KEY, "1. Program Goals", 6, 4, "Sustaining")
    standin.set_cell(KEY, "2. Student Recruitment", 6, 4, "Established")
    # In the app: PG.1.b's evidence is rewritten, SR.1.a becomes Emerging.
    answers = dict(study.answers)
    answers["PG.1.b"] = Answer(value=2, evidence="=board minutes, May")
    answers["SR.1.a"] = Answer(value=2)
    app_study = study.model_copy(update={"answers": answers})
    standin.requests.clear()

    outcome = gsheets.sync(client, KEY, app_study, TINY, base)

    assert len(standin.api_requests()) == 3
    assert outcome.plan.to_app == {"PG.1.a": {"value": 4, "evidence": "", "notes": ""}}
    assert list(outcome.plan.to_sheet) == ["PG.1.b"]
    assert [(c.key, c.app["value"], c.sheet["value"]) for c in outcome.plan.conflicts] == [
        ("SR.1.a", 2, 3)
    ]
    assert outcome.study.answers["PG.1.a"].value == 4  # taken from the sheet
    assert outcome.study.answers["SR.1.a"].value == 2  # the app's side, untouched
    sheet = gsheets.pull(client, KEY, TINY).study
    assert sheet.answers["PG.1.b"].evidence == "=board minutes, May"  # written, RAW
    assert sheet.answers["SR.1.a"].value == 3  # the sheet's side, untouched
    writes = [r for r in standin.api_requests() if r["path"].endswith("values:batchUpdate")]
    assert writes[0]["body"]["valueInputOption"] == "RAW"
    assert {d["range"] for d in writes[0]["body"]["data"]} == {
        "'1. Program Goals'!D7",
        "'1. Program Goals'!E7",
        "'1. Program Goals'!F7",
        "'SUMMARY'!A1",
    }

    # The conflict is offered again until the user chooses, then both sides agree.
    again = gsheets.sync(client, KEY, outcome.study, TINY, outcome.base)
    assert [c.key for c in again.plan.conflicts] == ["SR.1.a"]
    chosen = gsheets.sync(client, KEY, again.study, TINY, again.base, {"SR.1.a": "sheet"})
    assert chosen.study.answers["SR.1.a"].value == 3
    settled = gsheets.sync(client, KEY, chosen.study, TINY, chosen.base)
    assert settled.plan.in_sync


def test_a_row_deleted_in_the_sheet_deletes_the_answer_only_when_the_user_says_so(
    standin, client, tmp_path
):
    study = tiny_study(
        **{"PG.1.a": Answer(value=3), "PG.1.b": Answer(value=2, evidence="board minutes")}
    )
    path = tmp_path / "study.json"
    path.write_text(study.to_json())
    sheet_sync.sync(sheet_sync.FileTarget(path), client, KEY, rubric=TINY)
    standin.set_cell(KEY, "1. Program Goals", 6, 4, None)  # PG.1.a's rating emptied
    standin.delete_row(KEY, "1. Program Goals", 7)  # PG.1.b's row deleted

    outcome = sheet_sync.sync(sheet_sync.FileTarget(path), client, KEY, rubric=TINY)

    assert outcome.plan.to_app == {"PG.1.a": None}  # an emptied rating is an edit: taken
    [conflict] = outcome.plan.conflicts
    assert (conflict.key, conflict.row_deleted, conflict.sheet) == ("PG.1.b", True, None)
    assert load_study(path).answers == {"PG.1.b": study.answers["PG.1.b"]}  # kept
    again = sheet_sync.sync(sheet_sync.FileTarget(path), client, KEY, rubric=TINY)
    assert [c.key for c in again.plan.conflicts] == ["PG.1.b"]  # asked again, every time

    chosen = sheet_sync.sync(
        sheet_sync.FileTarget(path), client, KEY, {"PG.1.b": "sheet"}, rubric=TINY
    )
    assert chosen.plan.to_app == {"PG.1.b": None} and chosen.plan.conflicts == []
    assert load_study(path).answers == {}
    assert sheet_sync.sync(sheet_sync.FileTarget(path), client, KEY, rubric=TINY).plan.in_sync


def test_keeping_the_apps_answer_of_a_deleted_row_says_the_sheet_has_no_row_for_it(standin, client):
    study = tiny_study(**{"PG.1.b": Answer(value=2)})
    base = gsheets.sync(client, KEY, study, TINY, base=None).base
    standin.delete_row(KEY, "1. Program Goals", 7)
    kept = gsheets.sync(client, KEY, study, TINY, base, {"PG.1.b": "app"})
    assert kept.study.answers["PG.1.b"].value == 2
    assert kept.unwritable == ["PG.1.b"]
    later = gsheets.sync(client, KEY, kept.study, TINY, kept.base)
    assert later.plan.conflicts == [] and later.unwritable == ["PG.1.b"]
    assert later.study.answers["PG.1.b"].value == 2


def test_sync_writes_program_details_to_start_here(standin, client):
    study = tiny_study()
    base = gsheets.sync(client, KEY, study, TINY, base=None).base
    renamed = study.model_copy(update={"program": Program(name="Bridge", cohort="2026")})
    outcome = gsheets.sync(client, KEY, renamed, TINY, base)
    assert list(outcome.plan.to_sheet) == [PROGRAM_KEY]
    assert gsheets.pull(client, KEY, TINY).study.program == renamed.program


def test_sync_after_rows_were_reordered_writes_to_the_moved_row(standin, client):
    study = tiny_study(**{"PG.1.a": Answer(value=1)})
    base = gsheets.sync(client, KEY, study, TINY, base=None).base
    sheet = standin.spreadsheets[KEY].sheet("1. Program Goals")
    row_a = {c: v for (r, c), v in sheet.cells.items() if r == 5}
    row_b = {c: v for (r, c), v in sheet.cells.items() if r == 6}
    for r, c in [k for k in sheet.cells if k[0] in (5, 6)]:
        del sheet.cells[(r, c)]
    sheet.cells.update({(5, c): v for c, v in row_b.items()})
    sheet.cells.update({(6, c): v for c, v in row_a.items()})
    changed = tiny_study(**{"PG.1.a": Answer(value=4)})
    gsheets.sync(client, KEY, changed, TINY, base)
    assert standin.values(KEY, "1. Program Goals")[6][:4] == [
        "PG.1.a",
        "PG.1",
        row_a[2],
        "Sustaining",
    ]


# --- property: any study survives a push and a pull ----------------------------------------------


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_study_round_trips_through_google_sheets_exactly(server, data):
    study = data.draw(studies(TINY))
    server.reset()
    server.create(KEY)
    client = gsheets.connect(Credentials(token="test-token"), endpoint=server.url)
    gsheets.push(client, KEY, study, TINY)
    result = gsheets.pull(client, KEY, TINY)
    assert result.problems == []
    assert result.study.to_json() == study.to_json()


def test_sync_rewrites_the_summary_for_the_sheets_answers(standin, client):
    study = tiny_study(**{"PG.1.a": Answer(value=1), "PG.1.b": Answer(value=1)})
    base = gsheets.sync(client, KEY, study, TINY, base=None).base
    summary = standin.values(KEY, "SUMMARY")
    assert ["Program Goals", 1, 0, 3, 2, "Not yet", "2 of 2"] in summary
    standin.set_cell(KEY, "1. Program Goals", 6, 4, "Sustaining")  # PG.1.a, in the sheet
    standin.requests.clear()
    gsheets.sync(client, KEY, study, TINY, base)
    assert len(standin.api_requests()) == 3
    summary = standin.values(KEY, "SUMMARY")
    assert ["Program Goals", 2.5, 50, 3, 0.5, "Approaching", "2 of 2"] in summary


# --- answers that are not what Google promises ----------------------------------------------


def cells_reply(cell: str) -> Reply:
    """An answer to a pull's read of the cells of Sheet1, holding one cell."""
    return Reply(
        200,
        '{"sheets": [{"properties": {"sheetId": 0, "title": "Sheet1"}, '
        f'"data": [{{"rowData": [{{"values": [{cell}]}}]}}]}}]}}',
    )


@pytest.mark.parametrize(
    ("answers", "what"),
    [
        ([Reply(200, "<html><body>Sign in to continue</body></html>", "text/html")], "tabs"),
        ([Reply(200, "[]")], "tabs"),  # a list where an object is expected
        ([Reply(200, '{"sheets": {"title": "Sheet1"}}')], "tabs"),
        ([Reply(200, '{"sheets": [{"properties": {"sheetId": 0}}]}')], "tabs"),  # no title
        ([Reply(200, '{"sheets": [' * 100_000 + "]" * 100_000 + "}")], "tabs"),  # too deep
        ([None, cells_reply('"PG.1.a"')], "cells"),
        ([None, cells_reply('{"userEnteredValue": {"formulaValue": 1}}')], "cells"),
        ([None, cells_reply('{"userEnteredValue": {"numberValue": 1e999}}')], "cells"),
        (
            [None, cells_reply('{"userEnteredValue": {"numberValue": 1' + "0" * 5000 + "}}")],
            "cells",
        ),
        ([None, Reply(200, '{"sheets": [{"properties": {"title": "Sheet1"}}]}')], "cells"),
        ([None, Reply(200, '{"sheets": []}')], "cells"),  # fewer tabs than asked for
        ([None, Reply(200, "")], "cells"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_one_readable_line(standin, client, answers, what):
    standin.fail_next = answers
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY, TINY)
    [problem] = raised.value.problems
    assert problem.code == "sheets-bad-answer"
    assert what in problem.message and "try again later" in problem.message
    assert "\n" not in str(problem) and len(str(problem)) < 400


@pytest.mark.parametrize(
    "body", ['{"error": "invalid"}', '{"error": {}}', "[]", '{"error": {"code": "x"}}', ""]
)
def test_an_error_answer_of_any_shape_is_one_line_from_its_status(standin, client, body):
    standin.fail_next = [Reply(400, body)]
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY)
    [problem] = raised.value.problems
    assert problem.code == "sheets-access"
    assert "(400 Bad Request)" in problem.message and "error" not in problem.message


@pytest.mark.parametrize(
    "answer",
    [
        Reply(200, "<html>Welcome to the hotel wifi</html>", "text/html"),
        Reply(200, "[1, 2]"),
        Reply(200, '{"token_type": "Bearer", "expires_in": 3600}'),  # no access_token
        Reply(200, '{"access_token": "t", "expires_in": "soon"}'),
        Reply(200, '{"access_token": "t", "expires_in": 1e30}'),
        Reply(400, "<html>Bad Request</html>", "text/html"),
    ],
)
def test_a_garbled_token_answer_is_one_readable_line(standin, tmp_path, server, answer):
    standin.token_reply = answer
    credentials = gsheets.credentials_from_file(service_account_file(tmp_path, server.url))
    client = gsheets.connect(credentials, endpoint=server.url)
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY)
    [problem] = raised.value.problems
    assert problem.code == "sheets-credentials"
    assert "Google did not accept the credential" in problem.message
    assert "<" not in str(problem) and "{" not in str(problem) and "\n" not in str(problem)
    assert standin.api_requests() == []  # nothing was asked of the sheet without a token


def test_an_expired_or_revoked_credential_speaks_of_the_key_not_of_sharing(
    standin, tmp_path, server
):
    expired = gsheets.connect(Credentials(token="expired-token"), endpoint=server.url)
    standin.tokens_revoked = True
    key_file = gsheets.credentials_from_file(service_account_file(tmp_path, server.url))
    revoked = gsheets.connect(key_file, endpoint=server.url)
    for client in (expired, revoked):
        with pytest.raises(ProblemsFound) as raised:
            gsheets.pull(client, KEY)
        [problem] = raised.value.problems
        assert problem.code == "sheets-credentials"
        assert "create a new JSON key" in problem.message
        assert "share" not in problem.message
    assert "(401 Unauthorized)" in problem.message
    assert "robot@selfstudy-test.iam.gserviceaccount.com" in problem.message


def test_a_sheet_not_shared_speaks_of_sharing_not_of_the_key(standin, tmp_path, server):
    standin.forbidden.add(KEY)
    credentials = gsheets.credentials_from_file(service_account_file(tmp_path, server.url))
    client = gsheets.connect(credentials, endpoint=server.url)
    with pytest.raises(ProblemsFound) as raised:
        gsheets.push(client, KEY, tiny_study(), TINY)
    [problem] = raised.value.problems
    assert problem.code == "sheets-access"
    assert "(403 Forbidden)" in problem.message
    assert "share the sheet with robot@selfstudy-test.iam.gserviceaccount.com" in problem.message
    assert "key" not in problem.message.replace("key's project", "")


# --- sizes ---------------------------------------------------------------------------------


def test_a_spreadsheet_with_more_tabs_than_a_copy_could_have_is_refused(standin, client):
    standin.create(KEY, tuple(f"Tab {n}" for n in range(gsheets.MAX_TABS + 1)))
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY)
    assert raised.value.codes() == ["sheet-too-large"]
    assert f"{gsheets.MAX_TABS + 1} tabs" in raised.value.problems[0].message
    assert len(standin.api_requests()) == 1  # no tab was read


def test_a_tab_longer_than_any_copy_is_refused_without_reading_it_whole(standin, client):
    gsheets.push(client, KEY, tiny_study(), TINY)
    sheet = standin.spreadsheets[KEY].sheet("1. Program Goals")
    sheet.properties["gridProperties"]["rowCount"] = 100_000
    for row in range(0, 100_000, 5):  # a hundred thousand rows, and cells far to the right
        sheet.cells[(row, 0)] = f"row {row}"
    sheet.cells[(3, gsheets.MAX_COLUMNS)] = sheet.cells[(3, 700)] = "far right"
    standin.requests.clear()
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY, TINY)
    [problem] = raised.value.problems
    assert (problem.code, problem.location) == ("sheet-too-large", "'1. Program Goals'")
    assert f"more than {gsheets.MAX_ROWS:,} rows" in problem.message
    [read] = [r for r in standin.api_requests() if "ranges" in r["query"]]
    last_cell = f"{column_letter(gsheets.MAX_COLUMNS + 1)}{gsheets.MAX_ROWS + 1}"
    assert all(r.endswith(f"!A1:{last_cell}") for r in read["query"]["ranges"])


def test_an_answer_larger_than_the_client_reads_is_refused(standin, server):
    client = gsheets.connect(Credentials(token="test-token"), server.url, max_reply_bytes=50_000)
    gsheets.push(client, KEY, tiny_study(**{"PG.1.a": Answer(value=2, notes="n" * 20_000)}), TINY)
    assert gsheets.pull(client, KEY, TINY).study is not None  # within the bound
    long = Answer(value=2, evidence="e" * 25_000, notes="n" * 25_000)
    gsheets.push(client, KEY, tiny_study(**{"PG.1.a": long}), TINY)
    with pytest.raises(ProblemsFound) as raised:
        gsheets.pull(client, KEY, TINY)
    assert raised.value.codes() == ["sheet-too-large"]
    assert "e" * 100 not in str(raised.value)
