"""A small stand-in for the Google Sheets API v4, served on a loopback port.

It keeps spreadsheets in memory between calls and implements only what our
push, pull and sync use, the way Google documents it:

* GET  /v4/spreadsheets/{id}                      spreadsheets.get: the metadata, or with
  ranges=... (bounded ranges too) and a field mask of `userEnteredValue` (and
  `effectiveFormat.numberFormat.type`), the cells of those ranges as GridData
* POST /v4/spreadsheets/{id}:batchUpdate          addSheet, updateSheetProperties,
  updateCells, setDataValidation, updateDimensionProperties, repeatCell; applied
  whole or not at all, as Google documents
* POST /v4/spreadsheets/{id}/values:batchUpdate   valueInputOption RAW | USER_ENTERED
* POST /token                                     an OAuth token endpoint for service accounts
* GET  /v1/projects/-/serviceAccounts/{email}/allowedLocations   what google-auth asks after a token

A cell keeps what was entered: USER_ENTERED values, a `formulaValue` and what
`set_cell` types are taken like Sheets takes typing (a leading `=` makes a
formula, a leading `'` text), while RAW values and `stringValue`s are kept as
they are, so `=SUM(A1)` written RAW is text. A formula reads back as
`formulaValue` in the cells and as its result, here `#NAME?`, in `values()`.
Every request is recorded; `fail_next` gives the next requests to the Sheets
API canned answers instead (a status such as 429, or a whole `Reply`: an HTML
error page, a Retry-After header, JSON of the wrong shape, or, `applied`, an
answer given after doing the request; `None` answers one request as usual);
`forbidden` lists keys that answer 403, `tokens_revoked` makes the API refuse
every token (401), `reject_token_requests` makes the token endpoint refuse the
key and `token_reply` makes it answer that instead, and `on_request` lets a
test act (say, edit the app's database) while a call is in flight.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Value = str | int | float | bool

_A1 = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))(?:!([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?)?$")


@dataclass
class Reply:
    """A canned answer: any status, body and headers (say, Google's HTML error page)."""

    status: int
    body: str = ""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    applied: bool = False  # the request is done as usual, then this is the answer


@dataclass(frozen=True)
class EnteredFormula:
    """A cell holding a formula, as entered (`=2+1`)."""

    text: str


Entered = Value | EnteredFormula


HTML_503 = Reply(
    503,
    "<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n<title>Error 503 (Service "
    "Unavailable)!!1</title>\n<p><b>503.</b> <ins>That's an error.</ins>\n<p>The service is "
    "unavailable. Please try again later. <ins>That's all we know.</ins>\n</html>\n",
    "text/html; charset=UTF-8",
)


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], Entered] = field(default_factory=dict)  # 0-based
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)  # DATE, TIME...
    validations: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    bold: set[tuple[int, int]] = field(default_factory=set)
    widths: dict[int, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.properties["title"]

    def rows(self) -> list[list[Value]]:
        """Values as Sheets shows them (a formula's result: `#NAME?`), trailing empty rows
        and cells left out."""
        return [
            ["#NAME?" if isinstance(cell, EnteredFormula) else cell for cell in row]
            for row in self.entered()
        ]

    def entered(self) -> list[list[Entered]]:
        """What was entered, trailing empty rows and cells left out."""
        if not self.cells:
            return []
        widths: dict[int, int] = {}
        for r, c in self.cells:
            widths[r] = max(widths.get(r, 0), c + 1)
        return [
            [self.cells.get((r, c), "") for c in range(widths.get(r, 0))]
            for r in range(max(widths) + 1)
        ]


@dataclass
class Spreadsheet:
    key: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)

    def sheet(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: int) -> Sheet:
        return next(s for s in self.sheets if s.properties["sheetId"] == sheet_id)


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str = "INVALID_ARGUMENT"):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class SheetsStandIn:
    def __init__(self) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.requests: list[dict[str, Any]] = []
        self.fail_next: list[int | Reply | None] = []
        self.forbidden: set[str] = set()
        self.tokens: set[str] = {"test-token"}
        self.tokens_revoked = False
        self.reject_token_requests = False
        self.token_reply: Reply | None = None
        self.on_request: Callable[[str, str], None] | None = (
            None  # (method, path), before answering
        )
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> SheetsStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.spreadsheets.clear()
            self.requests.clear()
            self.fail_next.clear()
            self.forbidden.clear()
            self.tokens_revoked = False
            self.reject_token_requests = False
            self.token_reply = None
            self.on_request = None

    # --- test helpers ---------------------------------------------------------------------

    def create(self, key: str, titles: tuple[str, ...] = ("Sheet1",)) -> Spreadsheet:
        spreadsheet = Spreadsheet(key, f"Spreadsheet {key}")
        for index, title in enumerate(titles):
            spreadsheet.sheets.append(Sheet(_properties(index, title, index)))
        self.spreadsheets[key] = spreadsheet
        return spreadsheet

    def values(self, key: str, title: str) -> list[list[Value]]:
        return self.spreadsheets[key].sheet(title).rows()

    def set_cell(
        self,
        key: str,
        title: str,
        row: int,
        column: int,
        value: Value | None,
        number_format: str | None = None,
    ) -> None:
        """What a person typing in the sheet does (1-based row and column): `=2+1` makes a
        formula, `'=2+1` the text `=2+1`; `number_format` (DATE, TIME...) formats the cell."""
        sheet = self.spreadsheets[key].sheet(title)
        if isinstance(value, str):
            value = _typed(value)
        if value is None or value == "":
            sheet.cells.pop((row - 1, column - 1), None)
        else:
            sheet.cells[(row - 1, column - 1)] = value
        if number_format:
            sheet.number_formats[(row - 1, column - 1)] = number_format

    def reads_cells(self) -> bool:
        """Whether the request being answered reads the cells of tabs (a pull's second)."""
        last = self.requests[-1] if self.requests else {}
        return last.get("method") == "GET" and "ranges" in last.get("query", {})

    def delete_row(self, key: str, title: str, row: int) -> None:
        """What a person deleting a row in the sheet does: the rows below move up (1-based)."""
        sheet = self.spreadsheets[key].sheet(title)
        sheet.cells = {
            (r if r < row - 1 else r - 1, c): v for (r, c), v in sheet.cells.items() if r != row - 1
        }

    def api_requests(self) -> list[dict[str, Any]]:
        """Requests to the Sheets API (not the token endpoint)."""
        return [r for r in self.requests if r["path"].startswith("/v4/")]

    # --- the API ------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str
    ) -> Any:
        self.requests.append({"method": method, "path": path, "query": query, "body": body})
        if self.on_request is not None:
            self.on_request(method, path)
        api = path.startswith("/v4/")
        canned = self.fail_next.pop(0) if api and self.fail_next else None
        if isinstance(canned, Reply):
            if canned.applied:
                self._answer(method, path, query, body, auth)
            return canned
        if canned is not None:
            raise ApiError(
                canned, "Quota exceeded for quota metric 'Write requests'", "RESOURCE_EXHAUSTED"
            )
        return self._answer(method, path, query, body, auth)

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str
    ) -> Any:
        if path == "/token":
            return self._token()
        if path.startswith("/v1/projects/-/serviceAccounts/") and path.endswith(
            "/allowedLocations"
        ):
            return {
                "locations": [],
                "encodedLocations": "0x0",
            }  # IAM credentials, asked by google-auth
        if self.tokens_revoked or not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            raise ApiError(
                401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"
            )
        match = re.match(r"^/v4/spreadsheets/([^/:]+)(.*)$", path)
        if not match:
            raise ApiError(404, f"no such endpoint {path}", "NOT_FOUND")
        key, rest = match.groups()
        if key in self.forbidden:
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        spreadsheet = self.spreadsheets.get(key)
        if spreadsheet is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if method == "GET" and rest == "" and "ranges" in query:
            return self._cells(spreadsheet, query)
        if method == "GET" and rest == "":
            return self._metadata(spreadsheet)
        if method == "POST" and rest == ":batchUpdate":
            return self._batch_update(spreadsheet, body)
        if method == "POST" and rest == "/values:batchUpdate":
            return self._values_batch_update(spreadsheet, body)
        raise ApiError(404, f"the stand-in does not implement {method} {rest}", "NOT_FOUND")

    def _token(self) -> dict[str, Any] | Reply:
        if self.token_reply is not None:
            return self.token_reply
        if self.reject_token_requests:
            raise ApiError(400, "invalid_grant: Invalid JWT Signature.", "invalid_grant")
        token = f"sa-token-{len(self.tokens)}"
        self.tokens.add(token)
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _metadata(self, spreadsheet: Spreadsheet) -> dict[str, Any]:
        return {
            "spreadsheetId": spreadsheet.key,
            "properties": {"title": spreadsheet.title, "locale": "en_US", "timeZone": "Etc/GMT"},
            "sheets": [{"properties": s.properties} for s in spreadsheet.sheets],
        }

    def _batch_update(self, spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        """Every request applied to a copy, which replaces the spreadsheet only when all
        succeed: "if any request is not valid, the entire update fails and nothing is
        applied" (Google's reference for spreadsheets.batchUpdate)."""
        draft = copy.deepcopy(spreadsheet)
        replies: list[dict[str, Any]] = []
        for request in body.get("requests", []):
            ((kind, spec),) = request.items()
            handler = getattr(self, f"_do_{kind}", None)
            if handler is None:
                raise ApiError(400, f"the stand-in does not implement {kind}")
            replies.append(handler(draft, spec) or {})
        spreadsheet.sheets = draft.sheets
        return {"spreadsheetId": spreadsheet.key, "replies": replies}

    def _do_addSheet(self, spreadsheet: Spreadsheet, spec: dict[str, Any]) -> dict[str, Any]:
        wanted = spec.get("properties", {})
        title = wanted.get("title", f"Sheet{len(spreadsheet.sheets) + 1}")
        if spreadsheet.sheet(title):
            raise ApiError(400, f'A sheet with the name "{title}" already exists.')
        sheet_id = wanted.get(
            "sheetId", 1 + max((s.properties["sheetId"] for s in spreadsheet.sheets), default=0)
        )
        properties = _properties(sheet_id, title, wanted.get("index", len(spreadsheet.sheets)))
        properties["gridProperties"].update(wanted.get("gridProperties", {}))
        spreadsheet.sheets.insert(properties["index"], Sheet(properties))
        for index, sheet in enumerate(spreadsheet.sheets):
            sheet.properties["index"] = index
        return {"addSheet": {"properties": properties}}

    def _do_updateSheetProperties(self, spreadsheet: Spreadsheet, spec: dict[str, Any]) -> None:
        sheet = spreadsheet.by_id(spec["properties"]["sheetId"])
        grid = spec["properties"].get("gridProperties", {})
        sheet.properties["gridProperties"].update(grid)
        if "title" in spec["properties"]:
            sheet.properties["title"] = spec["properties"]["title"]

    def _do_updateCells(self, spreadsheet: Spreadsheet, spec: dict[str, Any]) -> None:
        """Values written from the range's first cell; the rest of the range is cleared."""
        if spec.get("fields") != "userEnteredValue" or "range" not in spec:
            raise ApiError(400, "the stand-in writes only userEnteredValue over a range")
        grid = spec["range"]
        sheet = spreadsheet.by_id(grid["sheetId"])
        size = sheet.properties["gridProperties"]
        for cell in [c for c in sheet.cells if _in_range(c, grid)]:
            del sheet.cells[cell]
        top, left = grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0)
        for r, row in enumerate(spec.get("rows", [])):
            for c, data in enumerate(row.get("values", [])):
                if top + r >= size["rowCount"] or left + c >= size["columnCount"]:
                    raise ApiError(400, f"Range ({sheet.title}) exceeds grid limits.")
                value = _cell_value(data.get("userEnteredValue"))
                if value is not None:
                    sheet.cells[(top + r, left + c)] = value

    def _do_setDataValidation(self, spreadsheet: Spreadsheet, spec: dict[str, Any]) -> None:
        grid = spec["range"]
        sheet = spreadsheet.by_id(grid["sheetId"])
        if "rule" not in spec:
            for cell in [c for c in sheet.validations if _in_range(c, grid)]:
                del sheet.validations[cell]
            return
        for r in range(grid["startRowIndex"], grid["endRowIndex"]):
            for c in range(grid["startColumnIndex"], grid["endColumnIndex"]):
                sheet.validations[(r, c)] = spec["rule"]

    def _do_updateDimensionProperties(self, spreadsheet: Spreadsheet, spec: dict[str, Any]) -> None:
        grid = spec["range"]
        sheet = spreadsheet.by_id(grid["sheetId"])
        for column in range(grid["startIndex"], grid["endIndex"]):
            sheet.widths[column] = spec["properties"]["pixelSize"]

    def _do_repeatCell(self, spreadsheet: Spreadsheet, spec: dict[str, Any]) -> None:
        grid = spec["range"]
        sheet = spreadsheet.by_id(grid["sheetId"])
        for r in range(grid["startRowIndex"], grid["endRowIndex"]):
            for c in range(grid["startColumnIndex"], grid["endColumnIndex"]):
                sheet.bold.add((r, c))

    def _cells(self, spreadsheet: Spreadsheet, query: dict[str, list[str]]) -> dict[str, Any]:
        """spreadsheets.get with ranges: each range's cells as GridData, the tabs in their
        order; only what the field mask asks for, and blank cells as `{}`."""
        fields = query.get("fields", [""])[0]
        if "userEnteredValue" not in fields:
            raise ApiError(400, "the stand-in answers cells for a mask of userEnteredValue only")
        with_formats = "effectiveFormat" in fields
        found: dict[str, list[dict[str, Any]]] = {}
        for text in query["ranges"]:
            sheet, top, left = _parse_range(spreadsheet, text)
            rows, columns = _range_end(text)
            grid: dict[str, Any] = {"startRow": top, "startColumn": left}
            grid = {k: v for k, v in grid.items() if v}  # proto3 JSON leaves out zeros
            grid["rowData"] = [
                {
                    "values": [
                        _cell_data(sheet, r, c, with_formats)
                        for c in range(left, min(len(row), columns))
                    ]
                }
                for r, row in enumerate(sheet.entered()[top:rows], top)
            ]
            found.setdefault(sheet.title, []).append(grid)
        return {
            "sheets": [
                {
                    "properties": {"sheetId": s.properties["sheetId"], "title": s.title},
                    "data": found[s.title],
                }
                for s in spreadsheet.sheets
                if s.title in found
            ]
        }

    def _values_batch_update(
        self, spreadsheet: Spreadsheet, body: dict[str, Any]
    ) -> dict[str, Any]:
        option = body.get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "valueInputOption is required: RAW or USER_ENTERED")
        updated = 0
        for block in body.get("data", []):
            sheet, row, column = _parse_range(spreadsheet, block["range"])
            for r, values in enumerate(block.get("values", [])):
                for c, value in enumerate(values):
                    if value is None:
                        continue
                    if option == "USER_ENTERED":
                        value = _user_entered(value)
                    if value == "":
                        sheet.cells.pop((row + r, column + c), None)
                    else:
                        sheet.cells[(row + r, column + c)] = value
                    updated += 1
        return {"spreadsheetId": spreadsheet.key, "totalUpdatedCells": updated}


def _properties(sheet_id: int, title: str, index: int) -> dict[str, Any]:
    return {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26},
    }


def _in_range(cell: tuple[int, int], grid: dict[str, int]) -> bool:
    r, c = cell
    return grid.get("startRowIndex", 0) <= r < grid.get("endRowIndex", 10**9) and grid.get(
        "startColumnIndex", 0
    ) <= c < grid.get("endColumnIndex", 10**9)


def _range_end(text: str) -> tuple[int, int]:
    """How many rows and columns a range from A1 reaches (all when unbounded)."""
    match = _A1.match(text)
    last_letters, last_number = match.groups()[4:] if match else (None, None)
    if not last_letters:
        return 10**9, 10**9
    return int(last_number), _column_number(last_letters)


def _column_number(letters: str) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column


def _cell_data(sheet: Sheet, row: int, column: int, with_formats: bool) -> dict[str, Any]:
    """A cell as CellData: what was entered, and its number format when asked for."""
    value = sheet.cells.get((row, column))
    if value is None:
        return {}
    if isinstance(value, EnteredFormula):
        data: dict[str, Any] = {"userEnteredValue": {"formulaValue": value.text}}
    elif isinstance(value, bool):
        data = {"userEnteredValue": {"boolValue": value}}
    elif isinstance(value, int | float):
        data = {"userEnteredValue": {"numberValue": value}}
    else:
        data = {"userEnteredValue": {"stringValue": value}}
    number_format = sheet.number_formats.get((row, column))
    if with_formats and number_format:
        data["effectiveFormat"] = {"numberFormat": {"type": number_format}}
    return data


def _cell_value(value: dict[str, Any] | None) -> Entered | None:
    """A CellData's userEnteredValue as the cell it makes."""
    if not value:
        return None
    ((kind, given),) = value.items()
    if kind == "formulaValue":
        return EnteredFormula(given)
    if kind not in ("stringValue", "numberValue", "boolValue"):
        raise ApiError(400, f"the stand-in does not implement {kind}")
    return None if given == "" else given


def _parse_range(spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, int, int]:
    match = _A1.match(text)
    if not match:
        raise ApiError(400, f"Unable to parse range: {text}")
    quoted, plain, letters, number, _, _ = match.groups()
    title = quoted.replace("''", "'") if quoted else plain
    sheet = spreadsheet.sheet(title)
    if sheet is None:
        raise ApiError(400, f"Unable to parse range: {text}")
    if not letters:
        return sheet, 0, 0
    return sheet, int(number) - 1, _column_number(letters) - 1


def _user_entered(value: Value) -> Entered:
    """A value written USER_ENTERED: parsed as if typed, numbers too."""
    if isinstance(value, str) and not value.startswith(("=", "'")):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return _typed(value) if isinstance(value, str) else value


def _typed(text: str) -> Entered:
    """Text as typed into a cell: a leading `=` makes a formula, a leading `'` text."""
    if text.startswith("="):
        return EnteredFormula(text)
    return text.removeprefix("'")


def _handler(standin: SheetsStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if "json" in content_type and raw:
                body: Any = json.loads(raw)
            elif raw:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            else:
                body = None
            try:
                with standin.lock:
                    answer = standin.handle(
                        method,
                        unquote(parts.path),
                        parse_qs(parts.query),
                        body,
                        self.headers.get("Authorization", ""),
                    )
                reply = answer if isinstance(answer, Reply) else Reply(200, json.dumps(answer))
            except ApiError as exc:
                if parts.path == "/token":
                    error: Any = {"error": exc.status, "error_description": exc.message}
                else:
                    error = {
                        "error": {"code": exc.code, "message": exc.message, "status": exc.status}
                    }
                reply = Reply(exc.code, json.dumps(error))
            data = reply.body.encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            # the client may stop reading: an answer it found too large
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler
