"""Whether a source names a Google Sheet: a test of its address alone.

`selfstudy import` asks it of every source it is given. It lives outside the
`gsheets` package, whose import brings gspread, google-auth and requests (a third
to two thirds of a second), so that importing copies from files never pays for
them; `gsheets` offers it too.
"""

from __future__ import annotations

SHEET_URL_STARTS = ("https://docs.google.com/spreadsheets/", "docs.google.com/")


def is_sheet_url(name: str) -> bool:
    """Whether a command-line source names a Google Sheet by its address."""
    return name.startswith(SHEET_URL_STARTS)
