"""Opening the database: where it is, how long to wait for it, and its engine.

`SELFSTUDY_DATABASE_URL` names a database server; without it the database is
the SQLite file at `SELFSTUDY_DB` (or `data/selfstudy.db`). Nothing waits for
ever: `SELFSTUDY_DB_CONNECT_TIMEOUT` bounds the wait for a server to answer a
connection, `SELFSTUDY_DB_STATEMENT_TIMEOUT` the time of one statement, waiting
for another writer's lock included (in SQLite, how long a write waits for
another). Both are in seconds.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from selfstudy.edges.paths import DATA_DIR
from selfstudy.edges.storage.errors import (
    DATABASE_FILE_VARIABLE,
    DATABASE_URL_VARIABLE,
    Timeouts,
    folder_problem,
    setting_problem,
    url_problem,
)

CONNECT_TIMEOUT_VARIABLE = "SELFSTUDY_DB_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_VARIABLE = "SELFSTUDY_DB_STATEMENT_TIMEOUT"
LONGEST_WAIT = 24 * 60 * 60  # seconds; a longer wait is a typing slip


def database_url() -> str:
    """`SELFSTUDY_DATABASE_URL`, else a SQLite file at `SELFSTUDY_DB` or `data/selfstudy.db`."""
    if url := os.environ.get(DATABASE_URL_VARIABLE):
        return url
    path = Path(os.environ.get(DATABASE_FILE_VARIABLE) or DATA_DIR / "selfstudy.db")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_problem(str(path.parent), exc) from None
    return f"sqlite:///{path}"


def timeouts() -> Timeouts:
    """The waits the environment sets, else 10 s to connect and 30 s for a statement.

    The connect timeout is whole seconds, at least 2: the least PostgreSQL waits.
    """
    connect = _seconds(CONNECT_TIMEOUT_VARIABLE, Timeouts.connect)
    return Timeouts(
        connect=max(2, math.ceil(connect)),
        statement=_seconds(STATEMENT_TIMEOUT_VARIABLE, Timeouts.statement),
    )


def _seconds(variable: str, default: float) -> float:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= LONGEST_WAIT:
        raise setting_problem(
            variable,
            f"{variable} is not a number of seconds; give one above 0 (at most {LONGEST_WAIT}), "
            f"such as {default:g}, or leave it out",
        )
    return seconds


def make_engine(url: str, waits: Timeouts) -> Engine:
    """The engine of the database at `url`; a URL it cannot use is a `DatabaseError`.

    SQL parameters never appear in its errors, and the SQL it runs and the rows it
    reads (answers, evidence, notes) are never logged, whatever the logging level.
    """
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    try:
        parsed = make_url(_with_our_driver(url))
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(
                parsed, hide_parameters=True, connect_args={"timeout": waits.statement}
            )
            event.listen(engine, "connect", _write_ahead_log)
            return engine
        return create_engine(
            parsed,
            hide_parameters=True,
            pool_pre_ping=True,
            connect_args=_server_waits(parsed, waits),
        )
    except (ArgumentError, ValueError, ImportError) as exc:
        raise url_problem(exc) from None


def _with_our_driver(url: str) -> str:
    """Use psycopg (version 3) for plain PostgreSQL URLs; it is the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _server_waits(url: URL, waits: Timeouts) -> dict[str, Any]:
    """PostgreSQL's connect and statement timeouts, unless the URL sets them itself.

    Other `options` in the URL (a search path, say) are kept, with our statement
    timeout added to them unless they set one.
    """
    if url.get_backend_name() != "postgresql":
        return {}
    waits_here: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        waits_here["connect_timeout"] = int(waits.connect)
    given = url.query.get("options", "")
    given = given if isinstance(given, str) else " ".join(given)
    if "statement_timeout" not in given:
        statement = f"-c statement_timeout={math.ceil(waits.statement * 1000)}"
        waits_here["options"] = f"{given} {statement}".strip()
    return waits_here


def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """Readers and one writer at a time work side by side (SQLite's WAL mode)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
