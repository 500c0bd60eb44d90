"""Connecting to Google Sheets: credentials, the retrying HTTP client, sheet keys, and
Google's failures turned into problems a person can act on."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from gspread import Client
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.http_client import HTTPClient
from gspread.utils import extract_id_from_url
from requests.adapters import HTTPAdapter

from selfstudy.core.problems import Problem, ProblemsFound

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
ENDPOINT_ENV = "SELFSTUDY_SHEETS_ENDPOINT"
SHEETS_API = "https://sheets.googleapis.com"
IAM_CREDENTIALS_API = "https://iamcredentials.googleapis.com"  # google-auth asks it after a token
RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
TIMEOUT = (10.0, 60.0)  # seconds to connect, and to wait for an answer
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_PIXELS_PER_CHARACTER = 7


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded exponential backoff on 429 and 5xx.

    Counts every HTTP request it sends (retries included) in `requests_sent`.
    """

    max_retries = 5
    first_delay = 1.0
    max_delay = 32.0
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.requests_sent = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        for attempt in range(self.max_retries + 1):
            self.requests_sent += 1
            try:
                return super().request(*args, **kwargs)
            except APIError as exc:
                if exc.code not in RETRY_STATUSES or attempt == self.max_retries:
                    raise
                self.sleep(self._delay(exc, attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _delay(self, exc: APIError, attempt: int) -> float:
        retry_after = exc.response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), self.max_delay)
        return min(self.first_delay * 2**attempt, self.max_delay)


class _RedirectAdapter(HTTPAdapter):
    """Sends requests meant for one Google API to another base URL."""

    def __init__(self, api: str, base_url: str):
        super().__init__()
        self.api = api
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        request.url = self.base_url + (request.url or "")[len(self.api) :]
        return super().send(request, *args, **kwargs)


def connect(credentials: Credentials, endpoint: str | None = None) -> Client:
    """A gspread client with retries, talking to `endpoint` (default: Google)."""
    client = Client(auth=credentials, http_client=RetryingHTTPClient)
    client.set_timeout(TIMEOUT)
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if endpoint:
        session = client.http_client.session
        session.mount(SHEETS_API, _RedirectAdapter(SHEETS_API, endpoint))
        # google-auth refreshes tokens through a session of its own (token_uri is
        # taken from the key); its follow-up lookup at IAM credentials goes there too.
        auth_session = getattr(session, "_auth_request_session", None)
        if auth_session is not None:
            auth_session.mount(IAM_CREDENTIALS_API, _RedirectAdapter(IAM_CREDENTIALS_API, endpoint))
    return client


def credentials_from_file(path: Path | str | None = None) -> Credentials:
    """Service-account credentials from `path`, else from `GOOGLE_APPLICATION_CREDENTIALS`."""
    where = str(path) if path else os.environ.get(CREDENTIALS_ENV)
    if not where:
        raise _credential_problem(
            "credentials",
            "no Google credential given: pass --credentials with the service-account JSON "
            f"key file, or set {CREDENTIALS_ENV} to its path",
        )
    try:
        info = json.loads(Path(where).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _credential_problem(
            where, f"cannot read the credential file ({exc.strerror}); check the path"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise _credential_problem(
            where,
            "the credential file is not JSON; download the service-account key again "
            "(Google Cloud console > IAM > Service accounts > Keys > Add key > JSON)",
        ) from None
    return credentials_from_info(info, where)


def configured_credentials(info: Mapping[str, Any] | None, where: str) -> Credentials | None:
    """The credential an app server is configured with: a key given as `info` (from its
    secrets), else the key file `GOOGLE_APPLICATION_CREDENTIALS` names; None when neither is."""
    if info:
        return credentials_from_info(info, where)
    if os.environ.get(CREDENTIALS_ENV):
        return credentials_from_file(None)
    return None


def credentials_from_info(info: Any, where: str = "credentials") -> Credentials:
    """Service-account credentials from a parsed key (a file's JSON, or Streamlit secrets)."""
    from google.oauth2 import service_account

    if not isinstance(info, Mapping) or info.get("type") != "service_account":
        raise _credential_problem(
            where,
            'this is not a service-account key (its "type" is not "service_account"); '
            "create a JSON key for a service account and share the sheet with its email",
        )
    try:
        return service_account.Credentials.from_service_account_info(dict(info), scopes=SCOPES)
    except (ValueError, GoogleAuthError) as exc:
        raise _credential_problem(
            where, f"the service-account key is incomplete or damaged ({exc}); download it again"
        ) from None


def _credential_problem(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheets-credentials", where, message)])


SHEET_URL_STARTS = ("https://docs.google.com/spreadsheets/", "docs.google.com/")


def is_sheet_url(name: str) -> bool:
    """Whether a command-line source names a Google Sheet by its address."""
    return name.startswith(SHEET_URL_STARTS)


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


@contextmanager
def api_errors(key: str, client: Client) -> Iterator[None]:
    """Turn what can go wrong talking to Google into a problem a user can act on."""
    email = getattr(getattr(client.http_client, "auth", None), "service_account_email", None)
    share = f"share it with {email} as an editor" if email else "share it with your account"
    try:
        yield
    except APIError as exc:
        if exc.code in (401, 403):
            raise _sheet_problem(key, f"Google refused access ({exc.code}); {share}") from None
        if exc.code == 404:
            raise _sheet_problem(key, f"no such spreadsheet; check the key. {share}") from None
        raise _sheet_problem(
            key, f"Google Sheets answered {exc.code}: {_api_message(exc)}; try again later"
        ) from None
    except GoogleAuthError as exc:
        raise _credential_problem(
            "credentials",
            f"Google did not accept the credential ({_first_line(exc)}); check that the "
            "service-account key is current and the Sheets API is enabled for its project",
        ) from None
    except requests.RequestException as exc:
        raise _sheet_problem(
            key, f"cannot reach Google Sheets ({type(exc).__name__}); check the network"
        ) from None


def _api_message(exc: APIError) -> str:
    error = exc.error if isinstance(exc.error, dict) else {}
    return str(error.get("message") or exc)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _sheet_problem(key: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheets-access", f"spreadsheet {key}", message)])
