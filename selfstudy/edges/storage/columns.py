"""Stored studies read in bulk as columns, for cohort comparisons (`core.cohorts.columns`).

A comparison needs only (study, item, value) of every answer, and a network's
database holds millions of answers. Reading them a row at a time costs a Python
tuple and three strings per answer, and having the database gather them at each read
most of the time a comparison took; so every write packs a study's answers' items
and values into one text on the study (`schema.pack_answer_values`: `item id US
value`, joined by RS). A read takes one text per study, splits it in C, and numbers
each (item, value) pair by one dictionary lookup in C, its value decoded once per
distinct pair (an answer whose value is null, evidence without a rating, is left out
then). Evidence and notes are never read. A study whose text is unknown (null: an
answer changed by a statement that did not pack it again) has its answers gathered by
the database, as they would have been packed; one with an item id holding a separator
is read from its answers, a row at a time. (The storage imports this
module only when a comparison reads: numpy and pandas stay out of every other
command.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from selfstudy.core.cohorts.columns import StudyColumns, object_array
from selfstudy.edges.storage.schema import RECORD, UNIT, answers_table, studies_table

CHUNK = 2_000  # studies per part: about 160,000 answers


def read_study_columns(conn: Connection, *where: ColumnElement[bool]) -> StudyColumns:
    """The studies matching `where`, oldest first, as columns.

    The packed texts are read after the list of studies, in the order the database keeps
    them (sorting them would sort every text with its study): a study stored in between
    is not compared (as always), and one deleted in between is compared without its
    answers, left out as unfinished."""
    studies = studies_table.c
    rows = conn.execute(
        select(studies.id, studies.program, studies.rubric_version)
        .where(*where)
        .order_by(studies.created_at, studies.id)
    ).all()
    position = {row.id: n for n, row in enumerate(rows)}
    pairs = _Numbers()  # "item id US value" -> pair
    placed: list[np.ndarray] = []
    coded: list[np.ndarray] = []
    unpacked: list[str] = []
    texts = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
        select(studies.id, studies.answer_values).where(*where)
    )
    for part in texts.partitions():
        packed = []
        for study, text in part:
            if study not in position:  # stored after the list above was read: not compared
                continue
            if text is None:
                unpacked.append(study)
            elif text:  # "": no answers
                packed.append((study, text))
        _number(packed, position, pairs, placed, coded)
    answers = answers_table.c
    for start in range(0, len(unpacked), CHUNK):
        # gathered by the database, as they would have been packed; a study whose pieces
        # do not add up to its answers, one separator each (an item id or a value holding
        # a separator), is read row by row
        gathered = conn.execute(
            select(
                answers.study_id,
                func.count(),
                func.aggregate_strings(answers.item_id + UNIT + answers.value, RECORD),
            )
            .where(answers.study_id.in_(unpacked[start : start + CHUNK]))
            .group_by(answers.study_id)
        ).all()
        even: list[tuple[str, str]] = []
        torn: list[str] = []
        for study, count, text in gathered:
            if _even(text, count):
                even.append((study, text))
            else:
                torn.append(study)
        _number(even, position, pairs, placed, coded)
        if not torn:
            continue
        loose = conn.execute(
            select(answers.study_id, answers.item_id, answers.value).where(
                answers.value != "null", answers.study_id.in_(torn)
            )
        ).all()
        placed.append(_positions(position, [(row.study_id, 1) for row in loose]))
        # a key of its own per answer, kept apart from the packed keys by a leading RS
        keys = [RECORD + json.dumps((row.item_id, row.value)) for row in loose]
        coded.append(np.fromiter(map(pairs.__getitem__, keys), np.int64, len(keys)))
    names: dict[str, int] = {}
    pair_item: list[int] = []
    values: list[str] = []
    renumber = np.full(len(pairs), -1, dtype=np.int64)  # an answer whose value is null: -1
    for n, key in enumerate(pairs):
        if key.startswith(RECORD):
            item_id, value = json.loads(key[1:])
        else:
            item_id, _, value = key.rpartition(UNIT)
            if value == "null":  # evidence or notes without a value: not an answer to compare
                continue
        renumber[n] = len(values)
        pair_item.append(names.setdefault(item_id, len(names)))
        values.append(value)
    # each distinct value decoded once, all in one JSON call
    pair_value = json.loads("[" + ",".join(values) + "]")
    study = np.concatenate(placed) if placed else np.empty(0, np.int64)
    pair = renumber[np.concatenate(coded)] if coded else np.empty(0, np.int64)
    if len(values) < len(pairs):
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


def _even(text: str, count: int) -> bool:
    """Whether a gathered text splits into its `count` answers, each `item id US value`."""
    return text.count(RECORD) + 1 == count == text.count(UNIT)


def _number(
    packed: list[tuple[str, str]],
    position: dict[str, int],
    pairs: _Numbers,
    placed: list[np.ndarray],
    coded: list[np.ndarray],
) -> None:
    """Add these studies' packed answers: each answer's study position and pair number."""
    if packed:
        placed.append(_positions(position, [(s, t.count(RECORD) + 1) for s, t in packed]))
        coded.append(_codes(pairs, RECORD.join(t for _, t in packed).split(RECORD)))


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
