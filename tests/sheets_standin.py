"""A small stand-in for the Google Sheets API v4, served on a loopback port.

It keeps spreadsheets in memory between calls and implements only what our
push, pull and sync use, the way Google documents it:

* GET  /v4/spreadsheets/{id}                      spreadsheets.get (metadata)
* POST /v4/spreadsheets/{id}:batchUpdate          addSheet, updateSheetProperties,
  updateCells (clearing), setDataValidation, updateDimensionProperties, repeatCell
* GET  /v4/spreadsheets/{id}/values:batchGet      ranges=..., valueRenderOption
* POST /v4/spreadsheets/{id}/values:batchUpdate   valueInputOption RAW | USER_ENTERED
* POST /token                                     an OAuth token endpoint for service accounts
* GET  /v1/projects/-/serviceAccounts/{email}/allowedLocations   what google-auth asks after a token

USER_ENTERED is parsed like Sheets does (a leading `=` makes a formula, which
reads back as its result, here `#NAME?`), so a test can tell RAW writes apart.
Every request is recorded; `fail_next` makes the next requests fail with the
given statuses (e.g. one 429), `forbidden` lists keys that answer 403, and
`on_request` lets a test act (say, edit the app's database) while a call is
in flight.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Value = str | int | float | bool

_A1 = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))(?:!([A-Z]+)(\d+)(?::[A-Z]+\d+)?)?$")


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)  # 0-based
    validations: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    bold: set[tuple[int, int]] = field(default_factory=set)
    widths: dict[int, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.properties["title"]

    def rows(self) -> list[list[Value]]:
        """Values as the API returns them: trailing empty rows and cells left out."""
        if not self.cells:
            return []
        last_row = max(r for r, _ in self.cells)
        rows: list[list[Value]] = []
        for r in range(last_row + 1):
            columns = [c for (row, c) in self.cells if row == r]
            width = max(columns) + 1 if columns else 0
            rows.append([self.cells.get((r, c), "") for c in range(width)])
        return rows


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
        self.fail_next: list[int] = []
        self.forbidden: set[str] = set()
        self.tokens: set[str] = {"test-token"}
        self.reject_token_requests = False
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
            self.reject_token_requests = False
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

    def set_cell(self, key: str, title: str, row: int, column: int, value: Value | None) -> None:
        """What a person typing in the sheet does (1-based row and column)."""
        cells = self.spreadsheets[key].sheet(title).cells
        if value is None or value == "":
            cells.pop((row - 1, column - 1), None)
        else:
            cells[(row - 1, column - 1)] = value

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
        if self.fail_next:
            code = self.fail_next.pop(0)
            raise ApiError(
                code, "Quota exceeded for quota metric 'Write requests'", "RESOURCE_EXHAUSTED"
            )
        if path == "/token":
            return self._token()
        if path.startswith("/v1/projects/-/serviceAccounts/") and path.endswith(
            "/allowedLocations"
        ):
            return {
                "locations": [],
                "encodedLocations": "0x0",
            }  # IAM credentials, asked by google-auth
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
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
        if method == "GET" and rest == "":
            return self._metadata(spreadsheet)
        if method == "POST" and rest == ":batchUpdate":
            return self._batch_update(spreadsheet, body)
        if method == "GET" and rest == "/values:batchGet":
            return self._values_batch_get(spreadsheet, query)
        if method == "POST" and rest == "/values:batchUpdate":
            return self._values_batch_update(spreadsheet, body)
        raise ApiError(404, f"the stand-in does not implement {method} {rest}", "NOT_FOUND")

    def _token(self) -> dict[str, Any]:
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
        replies: list[dict[str, Any]] = []
        for request in body.get("requests", []):
            ((kind, spec),) = request.items()
            handler = getattr(self, f"_do_{kind}", None)
            if handler is None:
                raise ApiError(400, f"the stand-in does not implement {kind}")
            replies.append(handler(spreadsheet, spec) or {})
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
        if spec.get("rows"):
            raise ApiError(400, "the stand-in only clears with updateCells")
        sheet = spreadsheet.by_id(spec["range"]["sheetId"])
        for cell in [c for c in sheet.cells if _in_range(c, spec["range"])]:
            del sheet.cells[cell]

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

    def _values_batch_get(
        self, spreadsheet: Spreadsheet, query: dict[str, list[str]]
    ) -> dict[str, Any]:
        ranges = []
        for text in query.get("ranges", []):
            sheet, _, _ = _parse_range(spreadsheet, text)
            ranges.append({"range": text, "majorDimension": "ROWS", "values": sheet.rows()})
            if not ranges[-1]["values"]:
                del ranges[-1]["values"]
        return {"spreadsheetId": spreadsheet.key, "valueRanges": ranges}

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


def _parse_range(spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, int, int]:
    match = _A1.match(text)
    if not match:
        raise ApiError(400, f"Unable to parse range: {text}")
    quoted, plain, letters, number = match.groups()
    title = quoted.replace("''", "'") if quoted else plain
    sheet = spreadsheet.sheet(title)
    if sheet is None:
        raise ApiError(400, f"Unable to parse range: {text}")
    if not letters:
        return sheet, 0, 0
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return sheet, int(number) - 1, column - 1


def _user_entered(value: Value) -> Value:
    if isinstance(value, str):
        if value.startswith("="):
            return "#NAME?"
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


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
                    reply = standin.handle(
                        method,
                        unquote(parts.path),
                        parse_qs(parts.query),
                        body,
                        self.headers.get("Authorization", ""),
                    )
                status = 200
            except ApiError as exc:
                status = exc.code
                if parts.path == "/token":
                    reply = {"error": exc.status, "error_description": exc.message}
                else:
                    reply = {
                        "error": {"code": exc.code, "message": exc.message, "status": exc.status}
                    }
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler
