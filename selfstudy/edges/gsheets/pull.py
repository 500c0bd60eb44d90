"""Pull: every tab of a spreadsheet read as plain rows, then read as a sheet copy (2 requests).

What is read is bounded: at most `MAX_TABS` tabs, each asked for as the range
of its first `MAX_ROWS` rows and `MAX_COLUMNS` columns plus one more of each,
so that a tab holding more than that is refused with a line saying so rather
than read in part, or read whole into memory. The bounds are a sheet copy's in every
format (`core.sheetcopy.vocabulary`), so a copy that imports from a file also pulls.
"""

from __future__ import annotations

from gspread import Client
from gspread.urls import SPREADSHEET_URL, SPREADSHEET_VALUES_BATCH_URL

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult, Sheets, a1
from selfstudy.core.sheetcopy.vocabulary import MAX_COLUMNS, MAX_ROWS, MAX_TABS, column_letter
from selfstudy.edges.gsheets.client import get, spreadsheet_key
from selfstudy.edges.gsheets.replies import SpreadsheetReply, TabProperties, ValuesReply, bad_answer
from selfstudy.edges.sheet_files import interpret

_TAB_FIELDS = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))"

Tabs = dict[str, TabProperties]


def fetch_tabs(client: Client, key: str) -> Tabs:
    """The spreadsheet's tabs by title, as spreadsheets.get describes them (1 request)."""
    reply = get(
        client,
        key,
        SPREADSHEET_URL % key,
        {"includeGridData": "false", "fields": _TAB_FIELDS},
        SpreadsheetReply,
        "its list of tabs",
    )
    return {tab.properties.title: tab.properties for tab in reply.sheets}


def pull_sheets(client: Client, url_or_key: str) -> tuple[Tabs, Sheets]:
    """The spreadsheet's tabs, and every tab as plain rows (2 requests)."""
    key = spreadsheet_key(url_or_key)
    tabs = fetch_tabs(client, key)
    if len(tabs) > MAX_TABS:
        raise _too_large(
            f"spreadsheet {key}",
            f"the spreadsheet has {len(tabs)} tabs, more than the {MAX_TABS} selfstudy reads "
            "(a sheet copy has one per dimension and two more); move the other tabs to "
            "another spreadsheet",
        )
    if not tabs:
        return tabs, {}
    titles = list(tabs)
    reply = get(
        client,
        key,
        SPREADSHEET_VALUES_BATCH_URL % key,
        {
            "ranges": [_bounded_range(title) for title in titles],
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "FORMATTED_STRING",
        },
        ValuesReply,
        "the values of its tabs",
    )
    if len(reply.valueRanges) != len(titles):
        raise bad_answer(
            key, "the values of its tabs", f"{len(reply.valueRanges)} ranges for {len(titles)}"
        )
    sheets: Sheets = {}
    for title, value_range in zip(titles, reply.valueRanges, strict=True):
        rows = value_range.values
        if len(rows) > MAX_ROWS or any(len(row) > MAX_COLUMNS for row in rows):
            raise _too_large(
                a1(title, 1),
                f"this tab holds more than {MAX_ROWS:,} rows or {MAX_COLUMNS} columns "
                f"(A to {column_letter(MAX_COLUMNS)}), far more than a sheet copy; delete "
                "the rows and columns that do not belong to it",
            )
        sheets[title] = [[None if cell == "" else cell for cell in row] for row in rows]
    return tabs, sheets


def _bounded_range(title: str) -> str:
    """The tab's first `MAX_ROWS` + 1 rows and `MAX_COLUMNS` + 1 columns, in A1 notation."""
    return f"{a1(title, 1, 1)}:{column_letter(MAX_COLUMNS + 1)}{MAX_ROWS + 1}"


def _too_large(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheet-too-large", where, message)])


def pull(client: Client, url_or_key: str, rubric: Rubric | None = None) -> ImportResult:
    """Read the sheet copy in a spreadsheet, with every problem (2 requests)."""
    _, sheets = pull_sheets(client, url_or_key)
    return interpret(sheets, rubric)
