"""The service-account credential that signs in to Google: read from a key file, from
the app's secrets, or from the environment, every fault a problem saying what to do."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.auth.transport import Request
from google.oauth2 import service_account

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.wording import clip
from selfstudy.edges.files import read_text

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
MAX_KEY_BYTES = 2**16  # a service-account key file is about 2 kB
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
_NEW_KEY = (
    "create a new JSON key for the service account (Google Cloud console > IAM & Admin > "
    "Service accounts > Keys > Add key > JSON) and use it instead of the old one"
)


class ServiceAccountCredentials(service_account.Credentials):
    """Google's service-account credential, taking no token answer on trust.

    google-auth reads the token endpoint's answer unchecked: a page that is not
    JSON, a list, or an `expires_in` that is not a number raise TypeError,
    ValueError and the like from deep inside a request. Each becomes the
    RefreshError a refused key gives, so every failure to sign in is one problem.
    """

    def refresh(self, request: Request) -> None:
        try:
            super().refresh(request)
        except GoogleAuthError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
            raise RefreshError("the sign-in answer could not be read") from exc


def credentials_from_file(path: Path | str | None = None) -> Credentials:
    """Service-account credentials from `path`, else from `GOOGLE_APPLICATION_CREDENTIALS`."""
    where = str(path) if path else os.environ.get(CREDENTIALS_ENV)
    if not where:
        raise credential_problem(
            "credentials",
            "no Google credential given: pass --credentials with the service-account JSON "
            f"key file, or set {CREDENTIALS_ENV} to its path",
        )
    try:
        text = read_text(Path(where), MAX_KEY_BYTES, "a service-account key file")
    except ProblemsFound as exc:
        reason = exc.problems[0].message
        raise credential_problem(where, f"{reason}; check the path of the key file") from None
    try:
        info = json.loads(text)
    except (ValueError, RecursionError):
        raise credential_problem(
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
    if not isinstance(info, Mapping) or info.get("type") != "service_account":
        raise credential_problem(
            where,
            'this is not a service-account key (its "type" is not "service_account"); '
            "create a JSON key for a service account and share the sheet with its email",
        )
    try:
        return ServiceAccountCredentials.from_service_account_info(dict(info), scopes=SCOPES)
    except (ValueError, TypeError, GoogleAuthError) as exc:
        # google-auth's own sentence names the missing fields; nothing else is shown, as
        # a fault in the key's cryptography could quote part of the key
        said = (str(exc).splitlines() or [""])[0]
        detail = f" ({clip(said, 120)})" if said.startswith("Service account info") else ""
        raise credential_problem(
            where, f"the service-account key is incomplete or damaged{detail}; download it again"
        ) from None


def credential_refused(email: str | None, reason: str = "") -> ProblemsFound:
    """What to do when Google refuses the credential, or gives no token for it.

    `reason` is an HTTP status or an OAuth error code such as `invalid_grant`;
    Google's own text is never shown: it may quote its whole answer.
    """
    account = f" of {email}" if email else ""
    return credential_problem(
        "credentials",
        f"Google did not accept the credential{f' ({reason})' if reason else ''}: the "
        f"service-account key{account} may have been deleted or revoked, or its token has "
        f"expired; {_NEW_KEY}. If the key is new, try again in a few minutes",
    )


def oauth_error(exc: GoogleAuthError) -> str:
    """The OAuth error code a refused token request carried (`invalid_grant`), or ``."""
    answer = exc.args[1] if len(exc.args) > 1 else None
    code = answer.get("error") if isinstance(answer, Mapping) else None
    letters = code.replace("_", "") if isinstance(code, str) else ""
    if letters.isascii() and letters.isalpha() and len(letters) <= 40:
        return str(code)
    return ""


def credential_problem(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("sheets-credentials", where, message)])
