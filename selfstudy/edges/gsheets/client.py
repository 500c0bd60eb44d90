"""Talking to Google Sheets: the retrying, bounded HTTP client, sheet keys, and every
failure of a request turned into one problem a person can act on."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, TransportError
from gspread import Client
from gspread.exceptions import NoValidUrlKeyFound
from gspread.http_client import HTTPClient
from gspread.utils import extract_id_from_url
from requests.adapters import HTTPAdapter

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.edges.gsheets.credentials import credential_problem, credential_refused, oauth_error
from selfstudy.edges.gsheets.replies import Reply, read_reply

ENDPOINT_ENV = "SELFSTUDY_SHEETS_ENDPOINT"
SHEETS_API = "https://sheets.googleapis.com"
IAM_CREDENTIALS_API = "https://iamcredentials.googleapis.com"  # google-auth asks it after a token
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_APPLIED_STATUSES = frozenset({429})  # refused before anything was done: safe to send again
MAX_RETRIES = 5
FIRST_DELAY = 1.0
MAX_DELAY = 16.0  # seconds: the longest wait between tries, for backoff and Retry-After alike
MAX_REPLY_BYTES = 32 * 2**20  # far above a sheet copy, even with every text at its longest
TIMEOUT = (10.0, 60.0)  # seconds to connect, and to wait for an answer
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_SECONDS = re.compile(r"^[0-9]+$")


class ReplyTooLarge(Exception):
    """An answer longer than the client reads (`connect`'s `max_reply_bytes`)."""


class Refused(Exception):
    """An HTTP error status that retries did not overcome (or that was not `retried`); its
    body is never read."""

    def __init__(self, status: int, retried: bool = True):
        super().__init__(status)
        self.status = status
        self.retried = retried


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client, retrying an answer of 429 or 5xx, whatever its body.

    It waits 1, 2, 4, 8 and 16 seconds between the tries, or what the answer's
    Retry-After asks, never more than `MAX_DELAY`, and then raises `Refused`
    with the status alone: gspread's own APIError reads the body, and fails on
    one that is not the JSON it expects. Our own requests may narrow the
    statuses retried (`retry_on`): a write that cannot be sent twice is retried
    only when Google did nothing. Counts every HTTP request it sends (retries
    included) in `requests_sent`; `sleep` is how it waits.
    """

    sleep = staticmethod(time.sleep)

    def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.requests_sent = 0

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
        retry_on: frozenset[int] = RETRY_STATUSES,
    ) -> requests.Response:
        for attempt in range(MAX_RETRIES + 1):
            self.requests_sent += 1
            response = self.session.request(
                method=method,
                url=endpoint,
                params=params,
                data=data,
                json=json,
                files=files,
                headers=headers,
                timeout=self.timeout,
            )
            if response.ok:
                return response
            status = response.status_code
            if status not in retry_on or attempt == MAX_RETRIES:
                raise Refused(status, retried=status in retry_on)
            self.sleep(retry_delay(response.headers.get("Retry-After"), attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")


def retry_delay(retry_after: str | None, attempt: int) -> float:
    """Seconds to wait after the failed try number `attempt` (from 0): what Retry-After
    asks, in seconds or as an HTTP date, else 1, 2, 4... seconds; at most `MAX_DELAY`."""
    wanted = FIRST_DELAY * 2**attempt
    text = (retry_after or "").strip()
    if _SECONDS.match(text):
        wanted = float(text)
    elif text:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
        else:
            aware = when if when.tzinfo else when.replace(tzinfo=UTC)
            wanted = (aware - datetime.now(UTC)).total_seconds()
    return min(max(wanted, 0.0), MAX_DELAY)


class _BoundedBody:
    """A response body that raises `ReplyTooLarge` once more than `limit` bytes came out."""

    def __init__(self, raw: Any, limit: int):
        self._raw = raw
        self._left = limit

    def stream(self, amt: int = 2**16, decode_content: bool | None = None) -> Iterator[bytes]:
        for chunk in self._raw.stream(amt, decode_content=decode_content):
            self._left -= len(chunk)
            if self._left < 0:
                self._raw.close()
                raise ReplyTooLarge
            yield chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _GoogleAdapter(HTTPAdapter):
    """Reads at most `limit` bytes of an answer; sends requests meant for the API at
    `api` to `base_url` instead, when both are given."""

    def __init__(self, limit: int, api: str = "", base_url: str = ""):
        super().__init__()
        self.limit = limit
        self.api = api
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if self.api:
            request.url = self.base_url + (request.url or "")[len(self.api) :]
        response = super().send(request, *args, **kwargs)
        response.raw = _BoundedBody(response.raw, self.limit)
        return response


def connect(
    credentials: Credentials, endpoint: str | None = None, max_reply_bytes: int = MAX_REPLY_BYTES
) -> Client:
    """A gspread client with retries, talking to `endpoint` (default: Google), that reads
    no answer longer than `max_reply_bytes` (the token endpoint's included)."""
    client = Client(auth=credentials, http_client=RetryingHTTPClient)
    client.set_timeout(TIMEOUT)
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    session = client.http_client.session
    # google-auth asks for tokens through a session of its own (token_uri is taken
    # from the key); its follow-up lookup at IAM credentials goes there too.
    auth_session = getattr(session, "_auth_request_session", None)
    for each in (session, auth_session):
        if each is not None:
            each.mount("https://", _GoogleAdapter(max_reply_bytes))
            each.mount("http://", _GoogleAdapter(max_reply_bytes))
    if endpoint:
        session.mount(SHEETS_API, _GoogleAdapter(max_reply_bytes, SHEETS_API, endpoint))
        if auth_session is not None:
            auth_session.mount(
                IAM_CREDENTIALS_API, _GoogleAdapter(max_reply_bytes, IAM_CREDENTIALS_API, endpoint)
            )
    return client


def spreadsheet_key(url_or_key: str) -> str:
    """The key of a Google Sheet given by its URL or by the key itself."""
    text = url_or_key.strip()
    if "/" in text:
        try:
            return extract_id_from_url(text)
        except NoValidUrlKeyFound:
            pass
    elif _KEY.match(text):
        return text
    raise ProblemsFound(
        [
            Problem(
                "bad-spreadsheet",
                url_or_key,
                "not a Google Sheet URL or key; copy the address of the sheet from the "
                "browser (https://docs.google.com/spreadsheets/d/<key>/edit)",
            )
        ]
    )


# --- requests and their failures ------------------------------------------------------------


def get(
    client: Client,
    key: str,
    url: str,
    params: Mapping[str, Any],
    reply: type[Reply],
    what: str,
) -> Reply:
    """One GET of the API for the spreadsheet `key`, its answer read as `reply`."""
    with _api_errors(key, client):
        response = client.http_client.request("get", url, params=params)
    return read_reply(reply, response, key, what)


def post(client: Client, key: str, url: str, body: Mapping[str, Any], *, repeatable: bool) -> None:
    """One POST (a write) to the API for the spreadsheet `key`; its answer is not needed.

    A write that is not `repeatable` (one that adds tabs: a second try fails on the
    tabs the first added) is retried on 429 alone, which Google answers having done
    nothing; after a 5xx it may have been applied, and the problem says so.
    """
    retry_on = RETRY_STATUSES if repeatable else NOT_APPLIED_STATUSES
    with _api_errors(key, client):
        client.http_client.request("post", url, json=body, retry_on=retry_on)


@contextmanager
def _api_errors(key: str, client: Client) -> Iterator[None]:
    """Turn what can go wrong talking to Google into one problem a user can act on.

    Messages are built from the HTTP status alone: Google's own text (an HTML
    page, a JSON error that may quote what was written) is never shown.
    """
    email = getattr(getattr(client.http_client, "auth", None), "service_account_email", None)
    try:
        yield
    except Refused as exc:
        raise _refused(key, exc.status, email, exc.retried) from None
    except TransportError:
        raise credential_problem(
            "credentials", "cannot reach Google's sign-in service; check the network"
        ) from None
    except GoogleAuthError as exc:
        raise credential_refused(email, oauth_error(exc)) from None
    except ReplyTooLarge:
        raise ProblemsFound(
            [
                Problem(
                    "sheet-too-large",
                    f"spreadsheet {key}",
                    "Google's answer is larger than selfstudy reads, far larger than a sheet "
                    "copy; remove what does not belong to the copy (other tabs, very long "
                    "texts) and try again",
                )
            ]
        ) from None
    except requests.RequestException as exc:
        raise _sheet_problem(
            key, f"cannot reach Google Sheets ({type(exc).__name__}); check the network"
        ) from None


def _refused(key: str, status: int, email: str | None, retried: bool) -> ProblemsFound:
    """The problem for an HTTP error `status` that retries did not overcome, or that a
    write not sent twice met (`retried` false)."""
    account = email or "selfstudy's Google account"
    share = f"share the sheet with {account} as an editor"
    name = _status_name(status)
    if status == 401:
        return credential_refused(email, name)
    if status == 403:
        return _sheet_problem(
            key,
            f"Google refused access to the spreadsheet ({name}); {share} (Share button, top "
            "right of the sheet). If it is shared, unprotect the tabs of the copy (Data > "
            "Protect sheets and ranges), or turn on the Google Sheets API for the key's "
            "project in the Google Cloud console",
        )
    if status == 404:
        return _sheet_problem(
            key,
            f"no such spreadsheet, or one not shared with {account} ({name}); check the "
            f"address, and {share}",
        )
    tries = MAX_RETRIES + 1
    if status == 429:
        return _sheet_problem(
            key,
            f"Google Sheets kept refusing ({name}) after {tries} tries; wait a minute and "
            "try again",
        )
    if status in RETRY_STATUSES and not retried:
        return _sheet_problem(
            key,
            f"Google Sheets failed ({name}) while writing, so the sheet may or may not have "
            "been written; try again: a second try works from whatever the sheet now holds",
        )
    if status in RETRY_STATUSES:
        return _sheet_problem(
            key,
            f"Google Sheets kept failing ({name}) after {tries} tries; try again in a few minutes",
        )
    return _sheet_problem(
        key,
        f"Google Sheets refused the request ({name}); try again, and if it keeps happening "
        "report it: the sheet is not at fault",
    )


def _status_name(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _sheet_problem(key: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheets-access", f"spreadsheet {key}", message)])
