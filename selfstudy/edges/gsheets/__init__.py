"""Sheet copies in Google Sheets, through gspread: push, pull and sync.

`credentials` reads the service-account key; `client` connects, retries and
turns Google's failures into problems; `replies` checks the shape of what
Google answers; `push`, `pull` and `sync` each make the requests of one action.

Every call costs a small, fixed number of API requests whatever the size of the
rubric (Google allows about 60 a minute per user):

* push: spreadsheets.get and one spreadsheets.batchUpdate (missing tabs, sizes,
  frozen rows, widths, bold headings, dropdowns and every value) -> 2 requests;
  Google applies it whole or not at all, so a failed push changes nothing;
* pull: spreadsheets.get for the tabs, and one more for the cells of every tab, as
  entered (a formula as its text, never its result) -> 2 requests;
* sync: a pull, then one values.batchUpdate of only the changed cells, or the
  push's batchUpdate when the spreadsheet is empty -> 3.

Values are written as values, never parsed (typed cells in a push,
`valueInputOption=RAW` in a sync), so text such as `=SUM(A1)` stays text, and a
pull tells it from a formula typed in the sheet, which it does not read. An
answer of 429 or 5xx, whatever its body, is retried with bounded exponential
backoff (honouring Retry-After up to the same bound), except that a write
adding tabs is retried on 429 alone: after a 5xx Google may have applied it,
and the problem says to try again. Every failure a user can
meet (no credential, a wrong or revoked one, a sheet not shared with the
service account, no network, an answer of the wrong shape or too large) becomes
a `ProblemsFound` with a sentence saying what to do, never a traceback.

`SELFSTUDY_SHEETS_ENDPOINT` sends the requests to another base URL instead of
https://sheets.googleapis.com (a local emulator or stand-in).
"""

from selfstudy.edges.gsheets.client import (
    ENDPOINT_ENV,
    MAX_DELAY,
    RetryingHTTPClient,
    connect,
    spreadsheet_key,
)
from selfstudy.edges.gsheets.credentials import (
    CREDENTIALS_ENV,
    configured_credentials,
    credentials_from_file,
    credentials_from_info,
)
from selfstudy.edges.gsheets.pull import MAX_COLUMNS, MAX_ROWS, MAX_TABS, pull, pull_sheets
from selfstudy.edges.gsheets.push import PushReport, push
from selfstudy.edges.gsheets.sync import SyncOutcome, sync
from selfstudy.edges.sheet_urls import is_sheet_url  # imported without gspread by the CLI

__all__ = [
    "CREDENTIALS_ENV",
    "ENDPOINT_ENV",
    "MAX_COLUMNS",
    "MAX_DELAY",
    "MAX_ROWS",
    "MAX_TABS",
    "PushReport",
    "RetryingHTTPClient",
    "SyncOutcome",
    "configured_credentials",
    "connect",
    "credentials_from_file",
    "credentials_from_info",
    "is_sheet_url",
    "pull",
    "pull_sheets",
    "push",
    "spreadsheet_key",
    "sync",
]
