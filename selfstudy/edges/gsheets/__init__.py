"""Sheet copies in Google Sheets, through gspread: push, pull and sync.

`client` connects and turns Google's failures into problems; `push`, `pull`
and `sync` each make the requests of one action.

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

from selfstudy.edges.gsheets.client import (
    CREDENTIALS_ENV,
    ENDPOINT_ENV,
    RetryingHTTPClient,
    configured_credentials,
    connect,
    credentials_from_file,
    credentials_from_info,
    is_sheet_url,
    spreadsheet_key,
)
from selfstudy.edges.gsheets.pull import pull, pull_sheets
from selfstudy.edges.gsheets.push import PushReport, push
from selfstudy.edges.gsheets.sync import SyncOutcome, sync

__all__ = [
    "CREDENTIALS_ENV",
    "ENDPOINT_ENV",
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
