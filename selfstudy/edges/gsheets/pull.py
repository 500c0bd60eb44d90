"""Pull: every tab of a spreadsheet read as plain rows, then read as a sheet copy (2 requests)."""

from __future__ import annotations

from typing import Any

from gspread import Client

from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult, Sheets, a1
from selfstudy.edges.gsheets.client import api_errors, spreadsheet_key
from selfstudy.edges.sheet_files import interpret


def pull_sheets(client: Client, url_or_key: str) -> tuple[dict[str, Any], Sheets]:
    """The spreadsheet's metadata, and every tab as plain rows (2 requests)."""
    key = spreadsheet_key(url_or_key)
    with api_errors(key, client):
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
