"""A cohort read on PostgreSQL gathers the next parts in a thread of its own while the last is
split: what that thread meets reaches the reader, and a reader that stops leaves no thread."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine

from selfstudy.edges.storage.columns import AHEAD, _ahead


@pytest.fixture
def conn(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'read.db'}")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "study columns"]


def test_the_parts_come_in_order_and_a_failure_after_them_is_raised_to_the_reader(conn):
    def read(own):
        assert own is not conn  # a connection of its own, made in its own thread
        for n in range(5):
            yield [(f"study {n}", 1, "PG.1.a\x1f3")]
        raise RuntimeError("the disk is full")

    taken = []
    with pytest.raises(RuntimeError, match="the disk is full"):
        for part in _ahead(conn, read):
            taken.append(part[0][0])
    assert taken == [f"study {n}" for n in range(5)]
    assert readers() == []


def test_a_reader_that_stops_taking_parts_stops_the_thread(conn):
    gathered = []

    def read(own):
        for n in range(100):
            gathered.append(n)
            yield [(f"study {n}", 1, "")]

    parts = _ahead(conn, read)
    assert next(parts)[0][0] == "study 0"
    parts.close()  # the reader stops: the thread must not wait on a full queue for ever
    assert readers() == []
    assert len(gathered) <= AHEAD + 3  # it gathered a few parts ahead, never all of them
