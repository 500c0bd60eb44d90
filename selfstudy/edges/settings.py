"""Settings read from the server's environment, and those the database keeps for itself."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from selfstudy.core.access import admins_from_setting

if TYPE_CHECKING:
    from selfstudy.edges.storage import Storage

# The environment variable the app and the CLI read a network's own pseudonym secret from.
PSEUDONYM_SECRET_VARIABLE = "SELFSTUDY_PSEUDONYM_SECRET"
# The emails of the first network admins, separated by commas, semicolons or spaces.
ADMINS_VARIABLE = "SELFSTUDY_ADMINS"


def pseudonym_secret(storage: Storage | None = None) -> str:
    """The secret pseudonyms are made with: `SELFSTUDY_PSEUDONYM_SECRET` when it is set, else
    the database's own (random, made on first use, rotatable by a network admin).

    Without a `storage`, the database is the app's (`SELFSTUDY_DATABASE_URL` or
    `SELFSTUDY_DB`): a comparison of files pseudonymises as the app does. Never a fixed
    default, which anyone could use to recompute a network's pseudonyms.
    """
    if secret := os.environ.get(PSEUDONYM_SECRET_VARIABLE):
        return secret
    if storage is None:
        from selfstudy.edges.storage import Storage  # the database library, only when needed

        storage = Storage()
    return storage.pseudonym_secret()


def pseudonym_secret_is_set() -> bool:
    """Whether `SELFSTUDY_PSEUDONYM_SECRET` overrides the database's own secret."""
    return bool(os.environ.get(PSEUDONYM_SECRET_VARIABLE))


def configured_admins() -> frozenset[str]:
    """The emails listed in `SELFSTUDY_ADMINS`, normalised."""
    return admins_from_setting(os.environ.get(ADMINS_VARIABLE, ""))
