"""Settings read from the server's environment (more will live in the database)."""

from __future__ import annotations

import os

from selfstudy.core.cohorts import DEFAULT_PSEUDONYM_SECRET

# The environment variable the app and the CLI read a network's own pseudonym secret from.
PSEUDONYM_SECRET_VARIABLE = "SELFSTUDY_PSEUDONYM_SECRET"


def pseudonym_secret() -> str:
    """The network's own secret from `SELFSTUDY_PSEUDONYM_SECRET`, else the default."""
    return os.environ.get(PSEUDONYM_SECRET_VARIABLE) or DEFAULT_PSEUDONYM_SECRET
