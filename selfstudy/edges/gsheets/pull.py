"""Pull: every tab of a spreadsheet read as plain rows, then read as a sheet copy (2 requests).

Cells are read as a person entered them (spreadsheets.get with a field mask of
`userEnteredValue`), never as what a formula computed: a formula comes back as
its text in `formulaValue`, apart from text that merely begins with `=` (a
`stringValue`, as push writes it), and is read as a `Formula`, which import
reports and does not read, as from an .xlsx. A number shown as a date or time
is read as the text `2025-03-15`, `2025-03-15T10:30:00` or `10:30:00`, as from
an .xlsx.

What is read is bounded: at most `MAX_TABS` tabs, each asked for as the range
of its first `MAX_ROWS` rows and `MAX_COLUMNS` columns plus one more of each:
a tab holding anything in that extra row or column is refused with a line
saying so, and nothing beyond it is read, so no tab is read whole into memory.
The bounds are a sheet copy's in every format (`core.sheetcopy.vocabulary`),
so a copy that imports from a file also pulls.
"""

from __future__ import annotations

import datetime as dt

from gspread import Client
from gspread.urls import SPREADSHEET_URL

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import Cell, Formula, ImportResult, Rows, Sheets, a1
from selfstudy.core.sheetcopy.vocabulary import MAX_COLUMNS, MAX_ROWS, MAX_TABS, column_letter
from selfstudy.edges.gsheets.client import get, spreadsheet_key
from selfstudy.edges.gsheets.replies import (
    CellData,
    GridData,
    GridReply,
    SpreadsheetReply,
    TabProperties,
    bad_answer,
)
from selfstudy.edges.sheet_files import interpret

_TAB_FIELDS = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))"
_CELL_FIELDS = (
    "sheets(properties(sheetId,title),data(startRow,startColumn,"
    "rowData.values(userEnteredValue,effectiveFormat.numberFormat.type)))"
)
_SERIAL_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Sheets' date serial numbers
_TIME_FORMATS = frozenset({"DATE", "TIME", "DATE_TIME"})
_ERRORS = {  # ErrorValue types, as Sheets shows them
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
}

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
    reply = get(
        client,
        key,
        SPREADSHEET_URL % key,
        {
            "ranges": [_bounded_range(title) for title in tabs],
            "fields": _CELL_FIELDS,
            "prettyPrint": "false",
        },
        GridReply,
        "the cells of its tabs",
    )
    grids = {tab.properties.title: tab.data for tab in reply.sheets}
    if grids.keys() != tabs.keys():
        raise bad_answer(
            key, "the cells of its tabs", f"{len(grids)} tabs for the {len(tabs)} asked for"
        )
    return tabs, {title: _rows(title, grids[title]) for title in tabs}


def _rows(title: str, grids: list[GridData]) -> Rows:
    """A tab's cells as rows, trailing blanks left out; refused when beyond the bounds."""
    cells: dict[tuple[int, int], Cell] = {}
    for grid in grids:
        for row, row_data in enumerate(grid.rowData, grid.startRow):
            for column, data in enumerate(row_data.values, grid.startColumn):
                cell = _cell(data)
                if cell is not None:
                    cells[row, column] = cell
    if any(row >= MAX_ROWS or column >= MAX_COLUMNS for row, column in cells):
        raise _too_large(
            a1(title, 1),
            f"this tab holds more than {MAX_ROWS:,} rows or {MAX_COLUMNS} columns "
            f"(A to {column_letter(MAX_COLUMNS)}), far more than a sheet copy; delete "
            "the rows and columns that do not belong to it",
        )
    rows: Rows = [[] for _ in range(max((row for row, _ in cells), default=-1) + 1)]
    for (row, column), cell in sorted(cells.items()):
        rows[row] += [None] * (column - len(rows[row])) + [cell]
    return rows


def _cell(data: CellData) -> Cell:
    """A cell as a person entered it: a formula as a `Formula`, blank as None."""
    value = data.userEnteredValue
    if value is None:
        return None
    if value.formulaValue is not None:
        return Formula(value.formulaValue)
    if value.errorValue is not None:
        return _ERRORS.get(value.errorValue.type, "#ERROR!")
    if value.numberValue is not None:
        shown_as = data.effectiveFormat.numberFormat.type
        if shown_as in _TIME_FORMATS:
            return _date_text(value.numberValue, shown_as)
        return value.numberValue
    if value.boolValue is not None:
        return value.boolValue
    return value.stringValue or None


def _date_text(serial: float, shown_as: str) -> str | float:
    """A date serial number as the .xlsx import reads a date cell, or the number itself
    when no date has it."""
    try:
        moment = _SERIAL_EPOCH + dt.timedelta(seconds=round(serial * 86_400))
    except OverflowError:
        return serial
    if shown_as == "TIME":
        return moment.time().isoformat()
    return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()


def _bounded_range(title: str) -> str:
    """The tab's first `MAX_ROWS` + 1 rows and `MAX_COLUMNS` + 1 columns, in A1 notation."""
    return f"{a1(title, 1, 1)}:{column_letter(MAX_COLUMNS + 1)}{MAX_ROWS + 1}"


def _too_large(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheet-too-large", where, message)])


def pull(client: Client, url_or_key: str, rubric: Rubric | None = None) -> ImportResult:
    """Read the sheet copy in a spreadsheet, with every problem (2 requests)."""
    _, sheets = pull_sheets(client, url_or_key)
    return interpret(sheets, rubric)
