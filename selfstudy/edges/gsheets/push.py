"""Push: the whole sheet-copy layout of a study written into a spreadsheet (2 requests).

Everything is written by ONE spreadsheets.batchUpdate: the missing tabs, sizes,
frozen rows, widths, bold headings, dropdowns, and the values themselves
(`updateCells`, which clears what the layout leaves blank). Google applies a
batchUpdate whole or not at all, so a push that fails, at any point, leaves
the sheet exactly as it was, or (a 5xx answer to the write) maybe wholly
written: never cleared and half written. Either way a second push works from
what the sheet holds, reusing the tabs the first one added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gspread import Client
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL

from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import SHEETS_TITLE_LIMIT, Cell, Tab, existing_tabs, layout
from selfstudy.core.study import SelfStudy
from selfstudy.edges.gsheets.client import post, spreadsheet_key
from selfstudy.edges.gsheets.pull import fetch_tabs
from selfstudy.edges.gsheets.replies import TabProperties

_PIXELS_PER_CHARACTER = 7


@dataclass
class PushReport:
    created: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def push(client: Client, url_or_key: str, study: SelfStudy | None, rubric: Rubric) -> PushReport:
    """Write the sheet copy of `study` into the spreadsheet, creating missing tabs."""
    key = spreadsheet_key(url_or_key)
    tabs = fetch_tabs(client, key)
    return push_layout(client, key, tabs, layout(rubric, study, SHEETS_TITLE_LIMIT), rubric)


def push_layout(
    client: Client, key: str, sheets: Mapping[str, TabProperties], tabs: list[Tab], rubric: Rubric
) -> PushReport:
    """Write `tabs` into the spreadsheet whose tabs are `sheets`, in one request."""
    matched = existing_tabs(tabs, sheets, rubric)
    used_ids = {p.sheetId for p in sheets.values()}
    report = PushReport()
    requests_body: list[dict[str, Any]] = []
    targets: list[tuple[Tab, int]] = []
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
            sheet_id = properties.sheetId
            grid = properties.gridProperties
            requests_body.append(
                _resize(
                    tab,
                    sheet_id,
                    max(grid.rowCount, rows_needed),
                    max(grid.columnCount, columns_needed),
                )
            )
        targets.append((tab, sheet_id))
        report.written.append(title)
    for tab, sheet_id in targets:
        requests_body += _content_requests(tab, sheet_id)
    post(
        client,
        key,
        SPREADSHEET_BATCH_UPDATE_URL % key,
        {"requests": requests_body},
        repeatable=not report.created,  # adding a tab twice fails; the rest sets what it sets
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


def _content_requests(tab: Tab, sheet_id: int) -> list[dict[str, Any]]:
    """The tab's values (clearing every other cell), dropdowns, widths and bold rows."""
    whole = {"sheetId": sheet_id}
    found: list[dict[str, Any]] = [
        {
            "updateCells": {
                "range": whole,  # cells of the range that `rows` leaves out are cleared
                "rows": [{"values": [_cell_data(c) for c in row]} for row in tab.rows],
                "fields": "userEnteredValue",
            }
        },
        {"setDataValidation": {"range": whole}},  # old dropdowns go
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


def _cell_data(cell: Cell) -> dict[str, Any]:
    """A cell as Sheets' CellData: typed, never parsed, so `=SUM(A1)` stays text."""
    if cell is None:
        return {}
    if isinstance(cell, bool):
        return {"userEnteredValue": {"boolValue": cell}}
    if isinstance(cell, int | float):
        return {"userEnteredValue": {"numberValue": cell}}
    return {"userEnteredValue": {"stringValue": cell}}


def _grid(sheet_id: int, row: int, column: int, last_row: int, last_column: int) -> dict[str, int]:
    """A GridRange from 1-based inclusive cells."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": row - 1,
        "endRowIndex": last_row,
        "startColumnIndex": column - 1,
        "endColumnIndex": last_column,
    }


def json_cell(cell: Cell) -> Any:
    """A cell as a RAW value of the values API: blank is ``."""
    return "" if cell is None else cell
