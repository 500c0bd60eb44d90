"""Stored studies read in bulk as columns, for cohort comparisons (`core.cohorts.columns`).

A comparison needs only (study, item, value) of every answer, and a network's
database holds millions of answers. Reading them a row at a time costs a Python
tuple and three strings per answer, most of the time spent; so the database
gathers each study's answers into one text (`group_concat` in SQLite,
`string_agg` in PostgreSQL: one row per study), the text is split in C, and each
(item, value) pair is numbered by one dictionary lookup in C, its value decoded
once per distinct pair (an answer whose value is null, evidence without a rating,
is left out then). Evidence and notes are never read. (The storage imports this module only when a
comparison reads: numpy and pandas stay out of every other command.)

The texts join `item id US value` with RS between answers (ASCII's unit and
record separators). A value is JSON text, in which control characters are
always escaped; an item id may hold anything, so a study whose pieces do not
add up to its count of answers is read again a row at a time.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.pool import QueuePool

from selfstudy.core.cohorts.columns import StudyColumns, object_array
from selfstudy.edges.storage.schema import answers_table, studies_table

UNIT, RECORD = "\x1f", "\x1e"
CHUNK = 2_000  # studies per part: about 160,000 answers
AHEAD = 2  # parts gathered before they are split (PostgreSQL)


def read_study_columns(conn: Connection, *where: ColumnElement[bool]) -> StudyColumns:
    """The studies matching `where`, oldest first, as columns."""
    rows = conn.execute(
        select(studies_table.c.id, studies_table.c.program, studies_table.c.rubric_version)
        .where(*where)
        .order_by(studies_table.c.created_at, studies_table.c.id)
    ).all()
    position = {row.id: n for n, row in enumerate(rows)}
    answers = answers_table.c
    pairs = _Numbers()  # "item id US value" -> pair
    studies: list[np.ndarray] = []
    coded: list[np.ndarray] = []
    uneven: list[str] = []
    for part in _parts(conn, _answers_of(where)):
        keep = []
        for study, count, text in part:
            if study not in position:  # stored after the list above was read: not compared
                continue
            if text.count(RECORD) + 1 == count:
                keep.append((study, count, text))
            else:  # its pieces do not add up: read row by row below
                uneven.append(study)
        if keep:
            studies.append(_positions(position, [(s, n) for s, n, _ in keep]))
            coded.append(_codes(pairs, RECORD.join(text for _, _, text in keep).split(RECORD)))
    if uneven:  # an item id with a separator in it: these studies a row at a time
        loose = conn.execute(
            select(answers.study_id, answers.item_id, answers.value).where(
                answers.value != "null", *_answers_of(where), answers.study_id.in_(uneven)
            )
        ).all()
        studies.append(_positions(position, [(row.study_id, 1) for row in loose]))
        # a key of its own per answer, kept apart from the joined keys by a leading RS
        keys = [(row.item_id, row.value) for row in loose]
        coded.append(np.array([pairs[RECORD + json.dumps(key)] for key in keys], np.int64))
    names: dict[str, int] = {}
    pair_item: list[int] = []
    texts: list[str] = []
    renumber = np.full(len(pairs), -1, dtype=np.int64)  # an answer whose value is null: -1
    for n, key in enumerate(pairs):
        if key.startswith(RECORD):
            item_id, text = json.loads(key[1:])
        else:
            item_id, _, text = key.rpartition(UNIT)
            if text == "null":  # evidence or notes without a value: not an answer to compare
                continue
        renumber[n] = len(texts)
        pair_item.append(names.setdefault(item_id, len(names)))
        texts.append(text)
    # each distinct value decoded once, all in one JSON call
    pair_value = json.loads("[" + ",".join(texts) + "]")
    study = np.concatenate(studies) if studies else np.empty(0, np.int64)
    pair = renumber[np.concatenate(coded)] if coded else np.empty(0, np.int64)
    if len(texts) < len(pairs):
        valued = pair >= 0
        study, pair = study[valued], pair[valued]
    return StudyColumns(
        labels=[row.id for row in rows],
        programs=json.loads("[" + ",".join(row.program for row in rows) + "]"),  # one call
        rubric_versions=[row.rubric_version for row in rows],
        study=study,
        pair=pair,
        pair_item=np.array(pair_item, dtype=np.int32),
        pair_value=object_array(pair_value),
        item_names=list(names),
    )


def _answers_of(where: tuple[ColumnElement[bool], ...]) -> tuple[ColumnElement[bool], ...]:
    """The answers of the studies matching `where` (those without a value too: leaving them
    out is cheaper once per distinct pair, after the database has gathered them)."""
    return (answers_table.c.study_id.in_(select(studies_table.c.id).where(*where)),)


def _parts(conn: Connection, where: tuple[ColumnElement[bool], ...]) -> Iterator[Sequence[Row]]:
    """(study, count of answers, joined text) of each study matching `where` that has an
    answer, a part of up to `CHUNK` studies at a time.

    On PostgreSQL the server gathers the next parts while this thread splits the last
    (`_ahead`): it works in a process of its own, and waiting for it holds no lock of
    Python's. On SQLite one thread reads and splits in turn: SQLite's work is this
    process's own, and a second thread reading took as long (it waited on Python's lock
    after every study), as did two connections each gathering a slice.

    The thread's connection sees the database as it is when it begins, a moment after the
    list of studies was read: a study stored in between is not compared (as always), and
    one deleted in between is compared without its answers, left out as unfinished."""
    answers = answers_table.c
    gathered = (
        select(
            answers.study_id,
            func.count(),
            func.aggregate_strings(answers.item_id + UNIT + answers.value, RECORD),
        )
        .where(*where)
        .group_by(answers.study_id)
    )

    def read(own: Connection) -> Iterator[Sequence[Row]]:
        if own.dialect.name == "postgresql":
            # The answers' primary key orders them by study, so the server can gather each
            # study's answers as it reads them, in constant memory; a hash aggregate (its
            # choice) holds every study's text at once and spills to disk past `work_mem`.
            own.exec_driver_sql("SET LOCAL enable_hashagg = off")
        result = own.execution_options(stream_results=True, yield_per=CHUNK).execute(gathered)
        yield from result.partitions()

    if conn.dialect.name == "postgresql" and _spare_connection(conn):
        return _ahead(conn, read)
    return read(conn)


def _spare_connection(conn: Connection) -> bool:
    """Whether the pool can give `_ahead`'s thread a connection without waiting for one.

    The app's sessions share one pool: were every connection held by a read waiting for
    its thread's own, none would be given back, and each read would fail at the pool's
    wait. Without a spare one, the parts are read on `conn` alone, as SQLite reads them."""
    pool = conn.engine.pool
    if not isinstance(pool, QueuePool):
        return True
    most = getattr(pool, "_max_overflow", -1)  # SQLAlchemy keeps the limit to itself
    return most < 0 or pool.checkedin() > 0 or pool.overflow() < most


_DONE = object()


def _ahead(
    conn: Connection, read: Callable[[Connection], Iterator[Sequence[Row]]]
) -> Iterator[Sequence[Row]]:
    """The parts `read` gives, read by a thread of its own on a connection of its own, up
    to `AHEAD` parts before they are taken; its error is raised here, and a caller that
    stops taking parts stops the thread (it never waits on a full queue for ever)."""
    parts: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def give(item: Any) -> bool:
        while not stop.is_set():
            try:
                parts.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            with conn.engine.connect() as own, own.begin():
                for part in read(own):
                    if not give(part):
                        return
        except BaseException as exc:  # raised again in the taking thread
            give(exc)
            return
        give(_DONE)

    thread = threading.Thread(target=reader, name="study columns", daemon=True)
    thread.start()
    try:
        while (item := parts.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _positions(position: dict[str, int], counts: Sequence[tuple[str, int]]) -> np.ndarray:
    """Each study's position, repeated once per answer it has."""
    return np.repeat(
        np.fromiter((position[study] for study, _ in counts), np.int64, len(counts)),
        [count for _, count in counts],
    )


class _Numbers(dict):
    """Key -> a number counting up from 0, given the first time the key is looked up."""

    def __missing__(self, key: str) -> int:
        number = self[key] = len(self)
        return number


def _codes(pairs: _Numbers, keys: list[str]) -> np.ndarray:
    """The number of each key's (item, value) pair, numbering new pairs as they come: one
    dictionary lookup per answer, in C (`map`), and the key's text hashed once."""
    return np.fromiter(map(pairs.__getitem__, keys), np.int64, len(keys))
