"""Fixtures shared by the whole suite: the bundled rubric and sample self-studies, the
app's database, a Sheets API stand-in and a free port; and how `make test` shares the
tests between its two processes (`pytest_collection_modifyitems`)."""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from selfstudy.core.rubric import Rubric
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric
from selfstudy.edges.storage import Storage
from selfstudy.edges.study_files import load_study
from tests.sheets_standin import SheetsStandIn

DEFAULT_RUBRIC_PATH = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"
SAMPLES_DIR = PROJECT_ROOT / "sample_responses"
DATA_DIR = Path(__file__).parent / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the suite in two processes (pytest-xdist, `--dist loadgroup`): each
    test file is one group, so a file's fixtures are made once, and every browser test is
    in one group, so two app servers and two Chromiums never compete for the two cores
    while the other process runs everything else."""
    for item in items:
        name = item.path.name
        group = "browser" if name.startswith("test_browser") else name
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def default_rubric() -> Rubric:
    return load_rubric(DEFAULT_RUBRIC_PATH)


@pytest.fixture(scope="session")
def sample_set() -> list[SelfStudy]:
    return [load_study(p) for p in sorted(SAMPLES_DIR.glob("*.json"))]


@pytest.fixture
def rubric_from_yaml() -> Callable[[str], Rubric]:
    """Build a rubric from YAML written inline in a test (dedented)."""

    def build(text: str) -> Rubric:
        return parse_rubric(textwrap.dedent(text), "<test>")

    return build


@pytest.fixture(scope="session")
def server() -> Iterator[SheetsStandIn]:
    """A local stand-in for the Google Sheets API v4, on a free loopback port."""
    standin = SheetsStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def db(monkeypatch, tmp_path) -> Storage:
    """An empty SQLite database that the app under test (AppTest) opens too."""
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "app.db"))
    return Storage(f"sqlite:///{tmp_path / 'app.db'}")


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (at the moment it is chosen)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- databases: SQLite always, PostgreSQL when make test starts one -----------------------

POSTGRES_URL = os.environ.get("SELFSTUDY_TEST_POSTGRES_URL")


def fresh_postgres_url(base: str) -> str:
    """A new empty database on the test server, so tests never see each other's rows."""
    name = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def database_copy(source: str, target: str) -> str:
    """Make the database at `target` a copy of the one at `source`; returns `target`.

    `target` is as `db_url` gives it: a SQLite file not written yet, or an empty PostgreSQL
    database that nobody uses. SQLite's is copied through its backup API (what its
    write-ahead log holds included); PostgreSQL's is made again with `CREATE DATABASE ...
    TEMPLATE`, which needs nobody connected to `source`: whoever still is (an engine that
    was not disposed) is disconnected first.
    """
    if source.startswith("sqlite:///"):
        old = sqlite3.connect(source.removeprefix("sqlite:///"))
        new = sqlite3.connect(target.removeprefix("sqlite:///"))
        try:
            old.backup(new)
        finally:
            new.close()
            old.close()
        return target
    template, name = source.rsplit("/", 1)[1], target.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": template},
        )
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    admin.dispose()
    return target


# Each test of a database runs on SQLite, and on PostgreSQL when make test starts one.
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL,
            reason="SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)",
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'selfstudy.db'}"
    return fresh_postgres_url(POSTGRES_URL)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Callable[[str, str, Callable[[str], None]], str]:
    """`database_template(name, db_url, build)`: the URL of a database that `build(url)` made
    once in the session on `db_url`'s server (SQLite or PostgreSQL), for `database_copy`."""
    made: dict[tuple[str, str], str] = {}

    def template(name: str, db_url: str, build: Callable[[str], None]) -> str:
        backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
        if (name, backend) not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('templates') / name}.db"
            else:
                url = fresh_postgres_url(POSTGRES_URL)
            build(url)
            made[name, backend] = url
        return made[name, backend]

    return template


def _migrated(url: str) -> None:
    Storage(url).engine.dispose()


@pytest.fixture
def storage(db_url: str, database_template) -> Storage:
    """The database at `db_url`, with the schema made: a copy of one migrated once in the
    session (each test migrating its own took longer than most tests that use it). The
    tests of migrating itself use `db_url`, an empty database."""
    store = Storage(database_copy(database_template("migrated", db_url, _migrated), db_url))
    yield store
    store.engine.dispose()


@pytest.fixture
def new_study(default_rubric) -> SelfStudy:
    return SelfStudy.new(
        default_rubric,
        "Bridge to STEM",
        organization="Eastside CC",
        cohort="2025",
        round="baseline",
    )
