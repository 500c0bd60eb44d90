"""Stable pseudonyms for programs, for sharing comparisons outside the network."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

import pandas as pd

DEFAULT_PSEUDONYM_SECRET = "selfstudy"


def pseudonym(key: str, secret: str = DEFAULT_PSEUDONYM_SECRET) -> str:
    """A stable stand-in for a program: the same key and secret always give the same name.

    It is an HMAC of the program's key, so without the secret nobody can tell
    which program it stands for by trying names they know.
    """
    digest = hmac.new(secret.encode(), str(key).encode(), hashlib.sha256).digest()
    return "Program " + base64.b32encode(digest).decode()[:8]


def pseudonymized(
    programs: pd.DataFrame,
    secret: str = DEFAULT_PSEUDONYM_SECRET,
    keep: Iterable[str] = ("cohort", "round"),
) -> pd.DataFrame:
    """The programs table with names, ids and every field not in `keep` replaced or blanked.

    `program`, `name` and `key` become the pseudonym (rounds still pair, since
    the pseudonym follows the key); organisation and any other field are
    blanked, since a field like `completed_by` can name people.
    """
    keep = set(keep) | {"key", "program", "name"}
    table = programs.copy()
    names = [pseudonym(key, secret) for key in programs["key"]]
    table["key"] = table["program"] = table["name"] = names
    for column in table.columns:
        if column not in keep:
            table[column] = None
    return table
