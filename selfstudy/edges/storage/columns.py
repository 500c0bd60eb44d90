"""Stored studies read in bulk as columns, for cohort comparisons (`core.cohorts.columns`).

A comparison needs only (study, item, value) of every answer, and a network's
database holds millions of answers. Reading them a row at a time costs a Python
tuple and three strings per answer, most of the time spent; so the database
gathers each study's answers into one text (`group_concat` in SQLite,
`string_agg` in PostgreSQL: one row per study), the text is split in C, and
each distinct (item, value) pair gets a number once (pandas' `factorize`).
Evidence and notes are never read. (The storage imports this module only when a
comparison reads: numpy and pandas stay out of every other command.)

The texts join `item id US value` with RS between answers (ASCII's unit and
record separators). A value is JSON text, in which control characters are
always escaped; an item id may hold anything, so a study whose pieces do not
add up to its count of answers is read again a row at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from selfstudy.core.cohorts.columns import StudyColumns, object_array
from selfstudy.edges.storage.schema import answers_table, studies_table

UNIT, RECORD = "\x1f", "\x1e"
CHUNK = 2_000  # studies per part: about 160,000 answers


def read_study_columns(conn: Connection, *where: ColumnElement[bool]) -> StudyColumns:
    """The studies matching `where`, oldest first, as columns."""
    rows = conn.execute(
        select(studies_table.c.id, studies_table.c.program, studies_table.c.rubric_version)
        .where(*where)
        .order_by(studies_table.c.created_at, studies_table.c.id)
    ).all()
    position = {row.id: n for n, row in enumerate(rows)}
    answers = answers_table.c
    of_these = (
        answers.value != "null",
        answers.study_id.in_(select(studies_table.c.id).where(*where)),
    )
    gathered = (
        select(
            answers.study_id,
            func.count(),
            func.aggregate_strings(answers.item_id + UNIT + answers.value, RECORD),
        )
        .where(*of_these)
        .group_by(answers.study_id)
    )
    pairs: dict[str, int] = {}  # "item id US value" -> pair
    studies: list[np.ndarray] = []
    coded: list[np.ndarray] = []
    uneven: list[str] = []
    if conn.dialect.name == "postgresql":
        # The answers' primary key orders them by study, so the server can gather each
        # study's answers as it reads them, in constant memory; a hash aggregate (its
        # choice) holds every study's text at once and spills to disk past `work_mem`.
        conn.exec_driver_sql("SET LOCAL enable_hashagg = off")
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(gathered)
    for part in result.partitions():
        keep = []
        for study, count, text in part:
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
                *of_these, answers.study_id.in_(uneven)
            )
        ).all()
        studies.append(_positions(position, [(row.study_id, 1) for row in loose]))
        # a key of its own per answer, kept apart from the joined keys by a leading RS
        keys = [(row.item_id, row.value) for row in loose]
        coded.append(
            np.array(
                [pairs.setdefault(RECORD + json.dumps(key), len(pairs)) for key in keys], np.int64
            )
        )
    names: dict[str, int] = {}
    pair_item: list[int] = []
    texts: list[str] = []
    for key in pairs:
        if key.startswith(RECORD):
            item_id, text = json.loads(key[1:])
        else:
            item_id, _, text = key.rpartition(UNIT)
        pair_item.append(names.setdefault(item_id, len(names)))
        texts.append(text)
    # each distinct value decoded once, all in one JSON call
    pair_value = json.loads("[" + ",".join(texts) + "]")
    return StudyColumns(
        labels=[row.id for row in rows],
        programs=[json.loads(row.program) for row in rows],
        rubric_versions=[row.rubric_version for row in rows],
        study=np.concatenate(studies) if studies else np.empty(0, np.int64),
        pair=np.concatenate(coded) if coded else np.empty(0, np.int64),
        pair_item=np.array(pair_item, dtype=np.int32),
        pair_value=object_array(pair_value),
        item_names=list(names),
    )


def _positions(position: dict[str, int], counts: Sequence[tuple[str, int]]) -> np.ndarray:
    """Each study's position, repeated once per answer it has."""
    return np.repeat(
        np.fromiter((position[study] for study, _ in counts), np.int64, len(counts)),
        [count for _, count in counts],
    )


def _codes(pairs: dict[str, int], keys: list[str]) -> np.ndarray:
    """The number of each key's (item, value) pair, numbering new pairs as they come."""
    codes, distinct = pd.factorize(np.array(keys, dtype=object))
    numbers = np.array([pairs.setdefault(key, len(pairs)) for key in distinct], np.int64)
    return numbers[codes]
