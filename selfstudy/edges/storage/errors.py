"""What a database failure means to a person: one `Problem` line, built here.

Whatever the database or its driver raises (a damaged or read-only file, a
lock held too long, a full disk, a server that refuses or never answers)
becomes a `DatabaseError`, a `ProblemsFound` with one `Problem`: where (the
SQLite file, or the server's address without its password), what happened and
what to do. The driver's own text is never shown, as it can quote the SQL and
the values written (answers, evidence, program details); only its error code is.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from selfstudy.core.problems import Problem, ProblemsFound

DATABASE_URL_VARIABLE = "SELFSTUDY_DATABASE_URL"
DATABASE_FILE_VARIABLE = "SELFSTUDY_DB"
NOTHING_CHANGED = "nothing was changed and nothing saved before is lost"


@dataclass(frozen=True)
class Timeouts:
    """How many seconds to wait for a database server to answer, and for one statement
    (a SQLite write waiting for another writer included)."""

    connect: float = 10
    statement: float = 30


class DatabaseError(ProblemsFound):
    """The database cannot be used right now; its one `problem` says why and what to do.

    It is a `ProblemsFound`, so every face reports it as it reports any problem:
    one line, and on the command line exit status 1.
    """

    def __init__(self, problem: Problem):
        super().__init__([problem])

    @property
    def problem(self) -> Problem:
        return self.problems[0]


def database_place(url: str) -> str:
    """Where the database is, fit to show: the SQLite file, or the URL without password
    and options; a URL that cannot be read is named by its variable, never quoted."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return DATABASE_URL_VARIABLE
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "the in-memory SQLite database"
    return parsed.set(query={}).render_as_string(hide_password=True)


def database_error(exc: BaseException, url: str, timeouts: Timeouts) -> DatabaseError:
    """The `DatabaseError` that says what `exc`, raised by SQLAlchemy or a driver, means."""
    where = database_place(url)
    driver = getattr(exc, "orig", None) or exc
    if isinstance(driver, sqlite3.Error):
        return DatabaseError(_sqlite_problem(driver, where, timeouts))
    if hasattr(driver, "sqlstate"):  # psycopg, the PostgreSQL driver
        return DatabaseError(_server_problem(driver, where, timeouts))
    if isinstance(exc, PoolTimeout):
        return DatabaseError(_timeout(where, timeouts.statement, "PoolTimeout"))
    return DatabaseError(_failed(where, type(driver).__name__))


# SQLite's primary result codes (the low byte of an extended code such as SQLITE_IOERR_READ).
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_NO_ACCESS = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_AUTH,
}
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def _sqlite_problem(error: sqlite3.Error, where: str, timeouts: Timeouts) -> Problem:
    code = getattr(error, "sqlite_errorcode", None)
    name = getattr(error, "sqlite_errorname", None) or type(error).__name__
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _BUSY:
        return _timeout(where, timeouts.statement, name)
    if primary == sqlite3.SQLITE_FULL:
        return _full(where, name)
    if primary in _NO_ACCESS:
        return Problem(
            "database-access",
            where,
            f"the database file or its folder cannot be opened or written ({name}); "
            f"{NOTHING_CHANGED}. Let the app write to the file and to its folder "
            "(SQLite keeps -wal and -shm files beside it), or choose another file with "
            f"{DATABASE_FILE_VARIABLE}",
        )
    if primary in _DAMAGED:
        return Problem(
            "database-damaged",
            where,
            f"the database file is damaged or is not a database ({name}). Put back a "
            f"backup copy of it, or choose another file with {DATABASE_FILE_VARIABLE} "
            "to begin a new database",
        )
    return _failed(where, name)


def _server_problem(error: BaseException, where: str, timeouts: Timeouts) -> Problem:
    """A PostgreSQL error by its SQLSTATE; one without (the connection failed) by its kind."""
    state = str(getattr(error, "sqlstate", None) or "")
    kinds = {kind.__name__ for kind in type(error).__mro__}
    if not state and "DataError" in kinds:  # refused by the driver itself, such as a NUL
        return Problem(
            "database-data",
            where,
            f"the database cannot store a text it was given ({type(error).__name__}); "
            f"{NOTHING_CHANGED}. Remove the control characters (such as NUL) from what was "
            "typed or imported, then save again",
        )
    if not state and not kinds & {"OperationalError", "InterfaceError"}:
        return _failed(where, type(error).__name__)  # not the connection: not unreachable
    if not state:
        text = str(error)
        if "timeout" in text.lower():
            return _timeout(where, timeouts.connect, "connection timeout", connecting=True)
        if "FATAL" in text:  # the server answered, and refused this login
            return _refused(where)
        return _unreachable(where)
    if state in {"57014", "55P03"}:  # statement timeout, lock not available
        return _timeout(where, timeouts.statement, f"PostgreSQL {state}")
    if state.startswith("28") or state == "3D000":  # authorization, unknown database
        return _refused(where, f"PostgreSQL {state}")
    if state.startswith("08") or state in {"57P01", "57P02", "57P03"}:  # connection, shutdown
        return _unreachable(where)
    if state == "53100":  # disk full
        return _full(where, f"PostgreSQL {state}")
    if state in {"25006", "42501"}:  # read-only transaction, insufficient privilege
        return Problem(
            "database-access",
            where,
            f"the database server does not let the app write (PostgreSQL {state}); "
            f"{NOTHING_CHANGED}. Give the database user in {DATABASE_URL_VARIABLE} the "
            "right to write, or point it to a server that is not read-only",
        )
    return _failed(where, f"PostgreSQL {state}")


def _timeout(where: str, seconds: float, name: str, connecting: bool = False) -> Problem:
    if connecting:
        what = f"the database server did not answer within {_duration(seconds)} ({name})"
        fix = "Check that the server is running and reachable, then try again"
    else:
        what = (
            f"the database stayed busy for more than {_duration(seconds)}, with another "
            f"change or a long task ({name}); {NOTHING_CHANGED}"
        )
        fix = "Try again in a moment"
    return Problem(
        "database-timeout",
        where,
        f"{what}. {fix}; if it keeps happening, ask whoever runs the database",
    )


def _duration(seconds: float) -> str:
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"


def _full(where: str, name: str) -> Problem:
    return Problem(
        "database-full",
        where,
        f"the disk that holds the database is full ({name}); {NOTHING_CHANGED}. "
        "Free some space on it, then try again",
    )


def _refused(where: str, name: str = "") -> Problem:
    code = f" ({name})" if name else ""
    return Problem(
        "database-login",
        where,
        f"the database server refused the login{code}. Check the user name, the password "
        f"and the database name in {DATABASE_URL_VARIABLE}",
    )


def _unreachable(where: str) -> Problem:
    return Problem(
        "database-unreachable",
        where,
        "the database server cannot be reached. Check that it is running and that "
        f"{DATABASE_URL_VARIABLE} names its host and port",
    )


def _failed(where: str, name: str) -> Problem:
    return Problem(
        "database-failed",
        where,
        f"the database failed ({name}); {NOTHING_CHANGED}. Try again in a moment; if it "
        "keeps failing, tell whoever runs the app what this line says",
    )


def setting_problem(variable: str, message: str) -> DatabaseError:
    """A database setting in the environment that cannot be used."""
    return DatabaseError(Problem("database-setting", variable, message))


def url_problem(exc: BaseException) -> DatabaseError:
    """What a URL SQLAlchemy cannot use means (never quoting it: it may hold a password)."""
    if isinstance(exc, NoSuchModuleError | ImportError):
        what = "names a kind of database this app cannot use; give a postgresql:// address"
    else:
        what = "is not one the app can read; write it like postgresql://USER:PASSWORD@HOST/NAME"
    return setting_problem(
        DATABASE_URL_VARIABLE,
        f"the database address {what}, or leave it out to use a SQLite file "
        f"({DATABASE_FILE_VARIABLE})",
    )


def folder_problem(folder: str, exc: OSError) -> DatabaseError:
    """The folder of the SQLite file cannot be made."""
    return DatabaseError(
        Problem(
            "database-access",
            folder,
            f"the folder for the database file cannot be made ({exc.strerror or 'refused'}). "
            f"Make it and let the app write there, or choose another file with "
            f"{DATABASE_FILE_VARIABLE}",
        )
    )
