"""What Google's answers must hold before anything reads them.

Only the parts of an answer this package uses are described, strictly: an
answer that is not JSON, or whose shape differs (a list where an object
belongs, `values` that are not rows of plain cells, a tab without a title),
is one `sheets-bad-answer` problem saying so, never a KeyError or TypeError
further on.
"""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

import requests
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, ValidationError

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.sheetcopy import SHEETS_TITLE_LIMIT
from selfstudy.core.wording import clip


class _Reply(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)


class GridSize(_Reply):
    rowCount: Annotated[int, Field(ge=0)] = 0
    columnCount: Annotated[int, Field(ge=0)] = 0


class TabProperties(_Reply):
    """A tab as spreadsheets.get describes it."""

    sheetId: int
    title: Annotated[str, Field(min_length=1, max_length=SHEETS_TITLE_LIMIT)]
    gridProperties: GridSize = GridSize()


class _Tab(_Reply):
    properties: TabProperties


class SpreadsheetReply(_Reply):
    """spreadsheets.get: the spreadsheet's tabs."""

    sheets: list[_Tab] = []


class ErrorValue(_Reply):
    type: str = "ERROR"


class ExtendedValue(_Reply):
    """What a person entered in a cell: one of these, a formula as its text (`=A1`)."""

    stringValue: str | None = None
    numberValue: int | FiniteFloat | None = None
    boolValue: bool | None = None
    formulaValue: str | None = None
    errorValue: ErrorValue | None = None


class NumberFormat(_Reply):
    type: str = ""


class CellFormat(_Reply):
    numberFormat: NumberFormat = NumberFormat()


class CellData(_Reply):
    userEnteredValue: ExtendedValue | None = None
    effectiveFormat: CellFormat = CellFormat()


class RowData(_Reply):
    values: list[CellData] = []


class GridData(_Reply):
    """The cells of one range, from its first row and column (0-based)."""

    startRow: Annotated[int, Field(ge=0)] = 0
    startColumn: Annotated[int, Field(ge=0)] = 0
    rowData: list[RowData] = []


class _GridTab(_Reply):
    properties: TabProperties
    data: list[GridData] = []


class GridReply(_Reply):
    """spreadsheets.get with ranges: the cells of the tabs asked for."""

    sheets: list[_GridTab] = []


Reply = TypeVar("Reply", bound=_Reply)


def read_reply(model: type[Reply], response: requests.Response, key: str, what: str) -> Reply:
    """The JSON answer in `response`, checked against `model`; `what` names it in a problem."""
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):  # a web page, or JSON nested or numbered absurdly
        raise bad_answer(key, what, "it is not JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "the answer"
        raise bad_answer(key, what, clip(f"{where}: {error['msg']}", 100)) from None


def bad_answer(key: str, what: str, detail: str) -> ProblemsFound:
    return ProblemsFound(
        [
            Problem(
                "sheets-bad-answer",
                f"spreadsheet {key}",
                f"Google Sheets answered with {what} in a form selfstudy cannot read "
                f"({detail}); try again later. If it keeps happening, something between "
                "you and Google (a proxy or a firewall) may be answering in its place",
            )
        ]
    )
