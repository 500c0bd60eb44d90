"""Fixtures shared by the whole suite: the bundled rubric and sample self-studies, the
app's database, a Sheets API stand-in and a free port."""

from __future__ import annotations

import os
import secrets
import socket
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


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL,
                reason="SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)",
            ),
        ),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'selfstudy.db'}"
    return fresh_postgres_url(POSTGRES_URL)


@pytest.fixture
def storage(db_url: str) -> Storage:
    store = Storage(db_url)
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
