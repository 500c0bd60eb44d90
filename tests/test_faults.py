"""When the database or the disk fails, a person reads one line that says what to do.

A damaged, read-only or full SQLite file, a lock held too long, a database URL
that cannot be used, a server that refuses the login or never answers: the
storage API raises one `DatabaseError` (a problem with a code, a place and a
message), the command line prints that line and exits 1, and every app page
shows it and stays up. Never a traceback, a hang, SQL, an answer or a password.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from selfstudy.cli import main
from selfstudy.core.problems import Problem
from selfstudy.core.study import Answer
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import DatabaseError, Storage
from selfstudy.edges.study_files import load_study
from tests.conftest import POSTGRES_URL, SAMPLES_DIR, fresh_postgres_url

P01 = SAMPLES_DIR / "p01-baseline.json"
SECRET_EVIDENCE = "SECRET-EVIDENCE-123"
PASSWORD = "hunter2-secret"
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)"
)


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line(result: Result, problem: Problem) -> None:
    """The command said exactly this problem, in one line on stderr, and exited 1."""
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"{problem}\n"


def problem_of(call) -> Problem:
    """The problem a storage call raised as its `DatabaseError`."""
    with pytest.raises(DatabaseError) as caught:
        call()
    return caught.value.problem


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SQLite file the commands open (through `SELFSTUDY_DB`), not made yet."""
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    path = tmp_path / "selfstudy.db"
    monkeypatch.setenv("SELFSTUDY_DB", str(path))
    return path


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def stored_study(path: Path) -> str:
    """A sample study stored in the file at `path` (the file closed again); its id."""
    storage = Storage(url_of(path))
    study_id = storage.create_study(load_study(P01))
    storage.engine.dispose()
    return study_id


# --- a damaged, read-only or full file, a lock held too long -----------------------------------


@pytest.mark.parametrize("damage", ["random bytes", "cut in half"])
def test_a_damaged_database_file_is_one_line_that_says_to_put_back_a_copy(database, damage):
    if damage == "random bytes":
        database.write_bytes(random.Random(7).randbytes(64 * 1024))
    else:
        storage = Storage(url_of(database))
        for path in sorted(SAMPLES_DIR.glob("*.json")):
            storage.create_study(load_study(path))
        storage.engine.dispose()
        whole = database.read_bytes()
        database.write_bytes(whole[: len(whole) // 2])
    problem = problem_of(lambda: Storage(url_of(database)).deleted_studies())
    assert (problem.code, problem.location) == ("database-damaged", str(database))
    assert_one_line(invoke("deleted"), problem)


def run_command(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess:
    """`selfstudy ARGS` in a process of its own; as root, without root's power to ignore
    file permissions (`setpriv`), so a read-only file is read-only to it."""
    command = [sys.executable, "-c", "from selfstudy.cli import main; main()", *args]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root, and setpriv is not there to drop root's powers")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_database_file_or_folder_is_one_line_and_nothing_changes(tmp_path, read_only):
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "selfstudy.db"
    study_id = stored_study(database)
    (database if read_only == "file" else folder).chmod(0o555)
    try:
        done = run_command("delete", study_id, env={"SELFSTUDY_DB": str(database)})
    finally:
        (database if read_only == "file" else folder).chmod(0o755)
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{database}: the database file or its folder cannot be opened")
    assert [s.id for s in Storage(url_of(database)).list_studies()] == [study_id]


def test_a_write_lock_held_longer_than_the_statement_timeout_is_one_line(database, monkeypatch):
    study_id = stored_study(database)
    monkeypatch.setenv("SELFSTUDY_DB_STATEMENT_TIMEOUT", "0.2")
    other_writer = sqlite3.connect(database, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock until it ends
    try:
        storage = Storage(url_of(database))
        problem = problem_of(lambda: storage.save_answer(study_id, "PG.1.a", Answer(value=1), 1))
        deleting = invoke("delete", study_id)
    finally:
        other_writer.rollback()
        other_writer.close()
    assert (problem.code, problem.location) == ("database-timeout", str(database))
    assert "more than 0.2 seconds" in problem.message
    assert_one_line(deleting, problem)
    assert invoke("delete", study_id).exit_code == 0  # once the lock is gone, it goes through


@pytest.fixture
def full_disk() -> Iterator[None]:
    """Every SQLite file opened meanwhile may not grow by a page: SQLite's own SQLITE_FULL."""

    def no_more_pages(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", no_more_pages)
    yield
    event.remove(Engine, "connect", no_more_pages)


def test_a_full_disk_is_one_line_and_the_stored_answer_stays_whole(database, request):
    study_id = stored_study(database)
    storage = Storage(url_of(database))
    long_evidence = "Minutes of every meeting. " * 1_100  # near the longest allowed
    storage.save_field(study_id, "PG.1.a", "evidence", long_evidence, 1)
    storage.save_field(study_id, "PG.1.a", "evidence", "Minutes", 2)
    before = storage.get_study(study_id)
    long_change = next(c.id for c in storage.history(study_id) if c.new == long_evidence)
    storage.engine.dispose()

    request.getfixturevalue("full_disk")
    full = Storage(url_of(database))
    problem = problem_of(lambda: full.save_field(study_id, "PG.2.a", "notes", long_evidence, 0))
    assert (problem.code, problem.location) == ("database-full", str(database))
    assert_one_line(invoke("restore-value", study_id, long_change), problem)
    assert full.get_study(study_id) == before


# --- a database URL that cannot be used, a server that refuses or never answers -----------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("not a database url", "database-setting"),
        ("foo://someone:{password}@somewhere/x", "database-setting"),
        ("postgresql://someone:{password}@127.0.0.1:port/x", "database-setting"),
        ("postgresql://someone:{password}@127.0.0.1:{free_port}/x", "database-unreachable"),
    ],
)
def test_a_database_url_that_cannot_be_used_is_one_line_without_its_password(
    monkeypatch, free_port, url, code
):
    url = url.format(password=PASSWORD, free_port=free_port)
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", url)
    problem = problem_of(lambda: Storage(url))
    assert problem.code == code
    result = invoke("deleted")
    assert_one_line(result, problem)
    assert PASSWORD not in result.stderr


@needs_postgres
def test_a_login_the_server_refuses_is_one_line_without_the_password(monkeypatch):
    server = POSTGRES_URL.split("@", 1)[1]
    url = f"postgresql://nobody:{PASSWORD}@{server}"
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", url)
    problem = problem_of(lambda: Storage(url))
    assert problem.code == "database-login"
    assert problem.location == f"postgresql://nobody:***@{server}"
    assert_one_line(invoke("deleted"), problem)


def test_a_bad_timeout_setting_is_one_line_naming_it(database, monkeypatch):
    monkeypatch.setenv("SELFSTUDY_DB_STATEMENT_TIMEOUT", "soon")
    problem = problem_of(lambda: Storage(url_of(database)))
    assert (problem.code, problem.location) == (
        "database-setting",
        "SELFSTUDY_DB_STATEMENT_TIMEOUT",
    )
    assert_one_line(invoke("deleted"), problem)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on which a server accepts every connection and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_never_answers_is_one_line_after_the_connect_timeout(silent_server):
    url = f"postgresql://someone:{PASSWORD}@127.0.0.1:{silent_server}/x"
    done = run_command(
        "deleted", env={"SELFSTUDY_DATABASE_URL": url, "SELFSTUDY_DB_CONNECT_TIMEOUT": "2"}
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"postgresql://someone:***@127.0.0.1:{silent_server}/x: the database server did not "
        "answer within 2 seconds (connection timeout). Check that the server is running and "
        "reachable, then try again; if it keeps happening, ask whoever runs the database\n"
    )


@needs_postgres
def test_a_statement_that_waits_longer_than_the_statement_timeout_is_one_line(monkeypatch):
    url = fresh_postgres_url(POSTGRES_URL)
    storage = Storage(url)
    study_id = storage.create_study(load_study(P01))
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", url)
    monkeypatch.setenv("SELFSTUDY_DB_STATEMENT_TIMEOUT", "0.5")
    with storage.engine.connect() as other:
        other.execute(text("LOCK TABLE studies IN ACCESS EXCLUSIVE MODE"))
        problem = problem_of(lambda: Storage(url).delete_study(study_id))
        deleting = invoke("delete", study_id)
        other.rollback()
    storage.engine.dispose()
    assert problem.code == "database-timeout"
    assert "more than 0.5 seconds" in problem.message
    assert_one_line(deleting, problem)


@needs_postgres
def test_options_in_the_url_keep_the_statement_timeout(monkeypatch):
    url = fresh_postgres_url(POSTGRES_URL)
    separator = "&" if "?" in url else "?"
    monkeypatch.setenv("SELFSTUDY_DB_STATEMENT_TIMEOUT", "7")
    storage = Storage(f"{url}{separator}options=-c%20search_path%3Dpublic")
    with storage.engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "7s"
        assert conn.execute(text("SHOW search_path")).scalar() == "public"
    storage.engine.dispose()


# --- nothing secret in what a failure prints or logs -----------------------------------------


def test_no_failure_prints_or_logs_the_evidence_or_the_password(
    database, monkeypatch, caplog, capfd, free_port
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    storage = Storage(url_of(database))
    study_id = storage.create_study(load_study(P01))
    storage.save_field(study_id, "PG.1.a", "evidence", SECRET_EVIDENCE, 1)
    storage.save_field(study_id, "PG.1.a", "evidence", "Minutes", 2)
    secret_change = next(c.id for c in storage.history(study_id) if c.new == SECRET_EVIDENCE)
    with storage.engine.begin() as conn:  # the database now refuses every change: a constraint
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON changes "
                "BEGIN SELECT RAISE(ABORT, 'changes are closed'); END"
            )
        )
    with pytest.raises(DatabaseError) as refused:
        storage.save_field(study_id, "PG.1.b", "evidence", SECRET_EVIDENCE, 0)
    restoring = invoke("restore-value", study_id, secret_change)
    monkeypatch.setenv(
        "SELFSTUDY_DATABASE_URL", f"postgresql://someone:{PASSWORD}@127.0.0.1:{free_port}/x"
    )
    with pytest.raises(DatabaseError) as unreachable:
        Storage()
    listing = invoke("deleted")

    assert refused.value.problem.code == "database-failed"
    assert restoring.exit_code == listing.exit_code == 1
    printed = capfd.readouterr()
    everything = "\n".join(
        [
            *(str(e.value) for e in (refused, unreachable)),
            *("".join(traceback.format_exception(e.value)) for e in (refused, unreachable)),
            restoring.stdout,
            restoring.stderr,
            listing.stdout,
            listing.stderr,
            printed.out,
            printed.err,
            caplog.text,
        ]
    )
    assert SECRET_EVIDENCE not in everything
    assert PASSWORD not in everything
    assert "INSERT" not in everything  # no SQL either


# --- the app: every page that reads the database says so in one line -----------------------------

APP = str(PROJECT_ROOT / "app.py")


@pytest.mark.parametrize(
    "page", ["start.py", "questionnaire.py", "results.py", "import_sync.py", "cohorts.py"]
)
def test_every_page_shows_a_damaged_database_in_one_line_and_stays_up(database, page):
    database.write_bytes(random.Random(7).randbytes(64 * 1024))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = "a-study-id"
    at.run()
    at.switch_page(f"selfstudy/app/pages/{page}").run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("**The database cannot be used right now.**")
    assert "The database file is damaged" in error.value
    assert "tell whoever runs the app" in error.value and "`database-damaged`" in error.value
    assert str(database) not in error.value  # where the file is, is for the log, not the page
