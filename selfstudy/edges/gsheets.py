"""Sheet copies in Google Sheets, through gspread: push, pull and sync.

Every call costs a small, fixed number of API requests whatever the size of the
rubric (Google allows about 60 a minute per user):

* push: spreadsheets.get, one spreadsheets.batchUpdate (missing tabs, frozen
  rows, widths, bold headings, dropdowns, clearing old values), one
  values.batchUpdate with every tab -> 3 requests;
* pull: spreadsheets.get and one values.batchGet of every tab -> 2 requests;
* sync: a pull, then one values.batchUpdate of only the changed cells -> 3.

Values are written with `valueInputOption=RAW`, so text such as `=SUM(A1)`
stays text. A 429 (rate limit) or a 5xx is retried with bounded exponential
backoff. Every failure a user can meet (no credential, a wrong one, a sheet not
shared with the service account, no network) becomes a `ProblemsFound` with a
sentence saying what to do, never a traceback.

`SELFSTUDY_SHEETS_ENDPOINT` sends the requests to another base URL instead of
https://sheets.googleapis.com (a local emulator or stand-in).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from gspread import Client
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.http_client import HTTPClient
from gspread.utils import extract_id_from_url
from requests.adapters import HTTPAdapter

from selfstudy.core.merge import PROGRAM_KEY, Side, SyncPlan, apply_changes, plan_sync, snapshot
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import (
    SHEETS_TITLE_LIMIT,
    SUMMARY,
    Cell,
    ImportResult,
    Sheets,
    Tab,
    a1,
    existing_tabs,
    export_value,
    layout,
    normalize,
    parse_sheet_copy,
    summary_tab,
)
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.sheet_files import interpret

if TYPE_CHECKING:
    from selfstudy.edges.storage import StoredStudy

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
ENDPOINT_ENV = "SELFSTUDY_SHEETS_ENDPOINT"
SHEETS_API = "https://sheets.googleapis.com"
IAM_CREDENTIALS_API = "https://iamcredentials.googleapis.com"  # google-auth asks it after a token
RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
TIMEOUT = (10.0, 60.0)  # seconds to connect, and to wait for an answer
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_PIXELS_PER_CHARACTER = 7

# --- connecting --------------------------------------------------------------------------


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded exponential backoff on 429 and 5xx.

    Counts every HTTP request it sends (retries included) in `requests_sent`.
    """

    max_retries = 5
    first_delay = 1.0
    max_delay = 32.0
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.requests_sent = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        for attempt in range(self.max_retries + 1):
            self.requests_sent += 1
            try:
                return super().request(*args, **kwargs)
            except APIError as exc:
                if exc.code not in RETRY_STATUSES or attempt == self.max_retries:
                    raise
                self.sleep(self._delay(exc, attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _delay(self, exc: APIError, attempt: int) -> float:
        retry_after = exc.response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), self.max_delay)
        return min(self.first_delay * 2**attempt, self.max_delay)


class _RedirectAdapter(HTTPAdapter):
    """Sends requests meant for one Google API to another base URL."""

    def __init__(self, api: str, base_url: str):
        super().__init__()
        self.api = api
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        request.url = self.base_url + (request.url or "")[len(self.api) :]
        return super().send(request, *args, **kwargs)


def connect(credentials: Credentials, endpoint: str | None = None) -> Client:
    """A gspread client with retries, talking to `endpoint` (default: Google)."""
    client = Client(auth=credentials, http_client=RetryingHTTPClient)
    client.set_timeout(TIMEOUT)
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if endpoint:
        session = client.http_client.session
        session.mount(SHEETS_API, _RedirectAdapter(SHEETS_API, endpoint))
        # google-auth refreshes tokens through a session of its own (token_uri is
        # taken from the key); its follow-up lookup at IAM credentials goes there too.
        auth_session = getattr(session, "_auth_request_session", None)
        if auth_session is not None:
            auth_session.mount(IAM_CREDENTIALS_API, _RedirectAdapter(IAM_CREDENTIALS_API, endpoint))
    return client


def credentials_from_file(path: Path | str | None = None) -> Credentials:
    """Service-account credentials from `path`, else from `GOOGLE_APPLICATION_CREDENTIALS`."""
    where = str(path) if path else os.environ.get(CREDENTIALS_ENV)
    if not where:
        raise _credential_problem(
            "credentials",
            "no Google credential given: pass --credentials with the service-account JSON "
            f"key file, or set {CREDENTIALS_ENV} to its path",
        )
    try:
        info = json.loads(Path(where).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _credential_problem(
            where, f"cannot read the credential file ({exc.strerror}); check the path"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise _credential_problem(
            where,
            "the credential file is not JSON; download the service-account key again "
            "(Google Cloud console > IAM > Service accounts > Keys > Add key > JSON)",
        ) from None
    return credentials_from_info(info, where)


def credentials_from_info(info: Any, where: str = "credentials") -> Credentials:
    """Service-account credentials from a parsed key (a file's JSON, or Streamlit secrets)."""
    from google.oauth2 import service_account

    if not isinstance(info, Mapping) or info.get("type") != "service_account":
        raise _credential_problem(
            where,
            'this is not a service-account key (its "type" is not "service_account"); '
            "create a JSON key for a service account and share the sheet with its email",
        )
    try:
        return service_account.Credentials.from_service_account_info(dict(info), scopes=SCOPES)
    except (ValueError, GoogleAuthError) as exc:
        raise _credential_problem(
            where, f"the service-account key is incomplete or damaged ({exc}); download it again"
        ) from None


def _credential_problem(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheets-credentials", where, message)])


def spreadsheet_key(url_or_key: str) -> str:
    """The key of a Google Sheet given by its URL or by the key itself."""
    text = url_or_key.strip()
    if "/" in text:
        try:
            return extract_id_from_url(text)
        except NoValidUrlKeyFound:
            pass
    elif _KEY.match(text):
        return text
    raise ProblemsFound(
        [
            Problem(
                "bad-spreadsheet",
                url_or_key,
                "not a Google Sheet URL or key; copy the address of the sheet from the "
                "browser (https://docs.google.com/spreadsheets/d/<key>/edit)",
            )
        ]
    )


@contextmanager
def _api_errors(key: str, client: Client) -> Iterator[None]:
    """Turn what can go wrong talking to Google into a problem a user can act on."""
    email = getattr(getattr(client.http_client, "auth", None), "service_account_email", None)
    share = f"share it with {email} as an editor" if email else "share it with your account"
    try:
        yield
    except APIError as exc:
        if exc.code in (401, 403):
            raise _sheet_problem(key, f"Google refused access ({exc.code}); {share}") from None
        if exc.code == 404:
            raise _sheet_problem(key, f"no such spreadsheet; check the key. {share}") from None
        raise _sheet_problem(
            key, f"Google Sheets answered {exc.code}: {_api_message(exc)}; try again later"
        ) from None
    except GoogleAuthError as exc:
        raise _credential_problem(
            "credentials",
            f"Google did not accept the credential ({_first_line(exc)}); check that the "
            "service-account key is current and the Sheets API is enabled for its project",
        ) from None
    except requests.RequestException as exc:
        raise _sheet_problem(
            key, f"cannot reach Google Sheets ({type(exc).__name__}); check the network"
        ) from None


def _api_message(exc: APIError) -> str:
    error = exc.error if isinstance(exc.error, dict) else {}
    return str(error.get("message") or exc)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _sheet_problem(key: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheets-access", f"spreadsheet {key}", message)])


# --- push -------------------------------------------------------------------------------


@dataclass
class PushReport:
    created: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def push(client: Client, url_or_key: str, study: SelfStudy | None, rubric: Rubric) -> PushReport:
    """Write the sheet copy of `study` into the spreadsheet, creating missing tabs."""
    key = spreadsheet_key(url_or_key)
    with _api_errors(key, client):
        metadata = client.http_client.fetch_sheet_metadata(key)
        return _push_layout(
            client, key, metadata, layout(rubric, study, SHEETS_TITLE_LIMIT), rubric
        )


def _push_layout(
    client: Client, key: str, metadata: Mapping[str, Any], tabs: list[Tab], rubric: Rubric
) -> PushReport:
    sheets = {s["properties"]["title"]: s["properties"] for s in metadata.get("sheets", [])}
    matched = existing_tabs(tabs, sheets, rubric)
    used_ids = {p["sheetId"] for p in sheets.values()}
    report = PushReport()
    requests_body: list[dict[str, Any]] = []
    targets: list[tuple[Tab, str, int]] = []
    for index, tab in enumerate(tabs):
        title = matched.get(tab.title)
        rows_needed = max(len(tab.rows) + 20, 100)
        columns_needed = max([len(r) for r in tab.rows] + [len(tab.widths), 10])
        if title is None:
            sheet_id = _new_sheet_id(used_ids, index)
            title = tab.title
            report.created.append(title)
            requests_body.append(_add_sheet(tab, sheet_id, index, rows_needed, columns_needed))
        else:
            properties = sheets[title]
            sheet_id = properties["sheetId"]
            grid = properties.get("gridProperties", {})
            requests_body.append(
                _resize(
                    tab,
                    sheet_id,
                    max(grid.get("rowCount", 0), rows_needed),
                    max(grid.get("columnCount", 0), columns_needed),
                )
            )
        targets.append((tab, title, sheet_id))
        report.written.append(title)
    for tab, _, sheet_id in targets:
        requests_body += _format_requests(tab, sheet_id)
    client.http_client.batch_update(key, {"requests": requests_body})
    client.http_client.values_batch_update(
        key,
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": a1(title, 1, 1), "values": [[_json_cell(c) for c in r] for r in tab.rows]}
                for tab, title, _ in targets
            ],
        },
    )
    return report


def _new_sheet_id(used: set[int], index: int) -> int:
    sheet_id = 1_000_000 + index
    while sheet_id in used:
        sheet_id += 1
    used.add(sheet_id)
    return sheet_id


def _add_sheet(tab: Tab, sheet_id: int, index: int, rows: int, columns: int) -> dict[str, Any]:
    return {
        "addSheet": {
            "properties": {
                "sheetId": sheet_id,
                "title": tab.title,
                "index": index,
                "gridProperties": {
                    "rowCount": rows,
                    "columnCount": columns,
                    "frozenRowCount": tab.frozen_rows,
                },
            }
        }
    }


def _resize(tab: Tab, sheet_id: int, rows: int, columns: int) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {
                "sheetId": sheet_id,
                "gridProperties": {
                    "rowCount": rows,
                    "columnCount": columns,
                    "frozenRowCount": tab.frozen_rows,
                },
            },
            "fields": "gridProperties.rowCount,gridProperties.columnCount,"
            "gridProperties.frozenRowCount",
        }
    }


def _format_requests(tab: Tab, sheet_id: int) -> list[dict[str, Any]]:
    whole = {"sheetId": sheet_id}
    found: list[dict[str, Any]] = [
        {"updateCells": {"range": whole, "fields": "userEnteredValue"}},  # clear old values
        {"setDataValidation": {"range": whole}},  # and old dropdowns
    ]
    for column, width in enumerate(tab.widths):
        found.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": column,
                        "endIndex": column + 1,
                    },
                    "properties": {"pixelSize": width * _PIXELS_PER_CHARACTER + 10},
                    "fields": "pixelSize",
                }
            }
        )
    for row in tab.bold_rows:
        found.append(
            {
                "repeatCell": {
                    "range": _grid(sheet_id, row, 1, row, max(len(tab.rows[row - 1]), 1)),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
    for dropdown in tab.dropdowns:
        rule = {
            "condition": {
                "type": "ONE_OF_LIST",
                "values": [{"userEnteredValue": option} for option in dropdown.options],
            },
            "showCustomUi": True,
            "strict": False,
        }
        for row, column in dropdown.cells:
            found.append(
                {
                    "setDataValidation": {
                        "range": _grid(sheet_id, row, column, row, column),
                        "rule": rule,
                    }
                }
            )
    return found


def _grid(sheet_id: int, row: int, column: int, last_row: int, last_column: int) -> dict[str, int]:
    """A GridRange from 1-based inclusive cells."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": row - 1,
        "endRowIndex": last_row,
        "startColumnIndex": column - 1,
        "endColumnIndex": last_column,
    }


def _json_cell(cell: Cell) -> Any:
    return "" if cell is None else cell


# --- pull -------------------------------------------------------------------------------


def pull_sheets(client: Client, url_or_key: str) -> tuple[dict[str, Any], Sheets]:
    """The spreadsheet's metadata, and every tab as plain rows (2 requests)."""
    key = spreadsheet_key(url_or_key)
    with _api_errors(key, client):
        metadata = client.http_client.fetch_sheet_metadata(key)
        titles = [s["properties"]["title"] for s in metadata.get("sheets", [])]
        if not titles:
            return metadata, {}
        response = client.http_client.values_batch_get(
            key,
            [a1(title, 1) for title in titles],
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "FORMATTED_STRING",
            },
        )
    ranges = response.get("valueRanges", [])
    return metadata, {
        title: [[None if c == "" else c for c in row] for row in value_range.get("values", [])]
        for title, value_range in zip(titles, ranges, strict=False)
    }


def pull(client: Client, url_or_key: str, rubric: Rubric | None = None) -> ImportResult:
    """Read the sheet copy in a spreadsheet, with every problem (2 requests)."""
    _, sheets = pull_sheets(client, url_or_key)
    return interpret(sheets, rubric)


# --- sync -------------------------------------------------------------------------------


@dataclass
class SyncOutcome:
    """What a sync did: the study after it, the base to remember and the plan it followed."""

    study: SelfStudy
    base: dict[str, Any]
    plan: SyncPlan
    pushed_layout: bool = False
    unwritable: list[str] = field(default_factory=list)


def sync(
    client: Client,
    url_or_key: str,
    study: SelfStudy,
    rubric: Rubric,
    base: dict[str, Any] | None,
    choices: Mapping[str, Side] | None = None,
) -> SyncOutcome:
    """Three-way merge of the app's study with the sheet (3 requests).

    An empty spreadsheet gets the whole layout (a push). Otherwise changes made
    only in the sheet come into the returned study, changes made only in the app
    are written to their cells in the sheet, and conflicts are left as they are
    on both sides (see `selfstudy.core.merge`). The caller saves the returned study
    and remembers the returned base.
    """
    key = spreadsheet_key(url_or_key)
    metadata, sheets = pull_sheets(client, key)
    tabs = layout(rubric, study, SHEETS_TITLE_LIMIT)
    if not existing_tabs(tabs, sheets, rubric):  # a new spreadsheet: give it the layout
        with _api_errors(key, client):
            _push_layout(client, key, metadata, tabs, rubric)
        plan = SyncPlan(base=snapshot(study))
        return SyncOutcome(study, plan.base, plan, pushed_layout=True)
    result = parse_sheet_copy(sheets, rubric)
    sheet_study = result.raise_on_errors()
    plan = plan_sync(base, snapshot(study), snapshot(sheet_study), choices)
    updates, unwritable = _cell_updates(plan, result, rubric)
    if updates or plan.to_app:
        updates += _summary_update(sheets, rubric, apply_changes(sheet_study, plan.to_sheet))
        with _api_errors(key, client):
            client.http_client.values_batch_update(
                key, {"valueInputOption": "RAW", "data": updates}
            )
    for entry_key in unwritable:
        plan.base.pop(entry_key, None)
    merged = apply_changes(study, plan.to_app)
    ordered = {i.id: merged.answers[i.id] for i in rubric.items() if i.id in merged.answers}
    return SyncOutcome(
        merged.model_copy(update={"answers": ordered}), plan.base, plan, False, unwritable
    )


def _summary_update(sheets: Sheets, rubric: Rubric, study: SelfStudy) -> list[dict[str, Any]]:
    """The SUMMARY tab rewritten for the sheet's answers, blanking what the old one held."""
    title = next((t for t in sheets if normalize(t) == normalize(SUMMARY)), None)
    if title is None:
        return []
    rows = [[_json_cell(c) for c in row] for row in summary_tab(rubric, study).rows]
    old = sheets[title]
    width = max([len(r) for r in rows + old] + [1])
    padded = [row + [""] * (width - len(row)) for row in rows]
    padded += [[""] * width for _ in range(len(old) - len(rows))]
    return [{"range": a1(title, 1, 1), "values": padded}]


def _cell_updates(
    plan: SyncPlan, result: ImportResult, rubric: Rubric
) -> tuple[list[dict[str, Any]], list[str]]:
    """The RAW value ranges that put `plan.to_sheet` into the sheet, and entries with no cell."""
    updates: list[dict[str, Any]] = []
    unwritable: list[str] = []
    for key, entry in plan.to_sheet.items():
        if key == PROGRAM_KEY:
            program = entry or {}
            for field_name, (tab, row, column) in result.program_cells.items():
                updates.append(_update(tab, row, column, program.get(field_name)))
            continue
        cells = result.cells.get(key)
        if cells is None:
            unwritable.append(key)
            continue
        item = rubric.item_by_id[key]
        entry = entry or {}
        updates.append(
            _update(
                cells.tab, cells.row, cells.rating, export_value(rubric, item, entry.get("value"))
            )
        )
        for column, text in (
            (cells.evidence, entry.get("evidence")),
            (cells.notes, entry.get("notes")),
        ):
            if column is not None:
                updates.append(_update(cells.tab, cells.row, column, text or None))
            elif text:
                unwritable.append(key)
    return updates, unwritable


def _update(tab: str, row: int, column: int, value: Cell) -> dict[str, Any]:
    return {"range": a1(tab, row, column), "values": [[_json_cell(value)]]}


# --- studies kept in the app's database -----------------------------------------------------


def sync_target(key: str) -> str:
    """How a Google Sheet is named among a stored study's sync bases."""
    return f"gsheet:{key}"


def push_stored(
    storage: Any,
    study_id: str,
    client: Client,
    url_or_key: str,
    rubric: Rubric | None = None,
    stored: StoredStudy | None = None,
) -> PushReport:
    """Push a study from `selfstudy.edges.storage.Storage` and remember what was pushed.

    `rubric` defaults to the one the study names; `stored` is the study already
    read from `storage`, if the caller has it.
    """
    key = spreadsheet_key(url_or_key)
    study = (stored or storage.get_study(study_id)).study
    report = push(client, key, study, rubric or _rubric_of(study))
    storage.set_sync_base(study_id, sync_target(key), snapshot(study))
    return report


def sync_stored(
    storage: Any,
    study_id: str,
    client: Client,
    url_or_key: str,
    choices: Mapping[str, Side] | None = None,
    rubric: Rubric | None = None,
    stored: StoredStudy | None = None,
) -> SyncOutcome:
    """`sync` a study kept in `selfstudy.edges.storage.Storage`, saving what came from the sheet.

    The answers are saved with the revisions read before the sync (`stored`, or
    read now), so an answer someone changed in the app meanwhile raises
    `StaleEdit` and nothing from the sheet is saved (the base is not moved, so
    the next sync tries again). `rubric` defaults to the one the study names.
    """
    key = spreadsheet_key(url_or_key)
    stored = stored or storage.get_study(study_id)
    rubric = rubric or _rubric_of(stored.study)
    base = storage.get_sync_base(study_id, sync_target(key))
    outcome = sync(client, key, stored.study, rubric, base, choices)
    changes = {
        item_id: Answer.model_validate(entry) if entry else Answer()
        for item_id, entry in outcome.plan.to_app.items()
        if item_id != PROGRAM_KEY
    }
    if changes:
        storage.save_answers(study_id, changes, {i: stored.revisions.get(i) for i in changes})
    if PROGRAM_KEY in outcome.plan.to_app:
        storage.update_program(study_id, outcome.study.program)
    storage.set_sync_base(study_id, sync_target(key), outcome.base)
    return outcome


def _rubric_of(study: SelfStudy) -> Rubric:
    from selfstudy.edges.rubric_files import find_rubric

    return find_rubric(study.rubric.id, study.rubric.version)
