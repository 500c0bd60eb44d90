"""Fixtures shared by the whole suite: the bundled rubric and sample self-studies, the
app's database, a Sheets API stand-in and a free port."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
