"""Stored self-studies as columns, read in bulk: scored without one object per answer.

A network's database holds thousands of studies and millions of answers. Building
a pydantic object per answer only to flatten them back into the long table costs
most of a comparison's time and memory, so the storage hands over plain columns
(`StudyColumns`: one row per study, and every answer as study position, item and
value) and this module checks and scores them directly.

A value is checked once per distinct (item, value) pair, not once per study: a
network's ratings take a handful of values per item. The scores are those of
`scoring.score_studies` for the same studies, number for number (a property test
compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from selfstudy.core.cohorts.scoring import CohortScores, Condition, meanings, score_levels
from selfstudy.core.cohorts.table import programs_frame, rubric_arrays
from selfstudy.core.problems import Problem, Report
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import SelfStudy, _item_key, _shown, value_problem


@dataclass(frozen=True)
class StudyColumns:
    """Many studies of one rubric: one entry per study in the lists, one per answer in
    `study` and `pair`, and one per distinct (item, value) pair in `pair_item` and
    `pair_value` (a network's answers take few distinct values: each is decoded and
    checked once)."""

    labels: list[str]  # where each study comes from, for problems (e.g. its stored id)
    programs: list[dict[str, Any]]  # each study's program details, as stored
    rubric_versions: list[str]
    study: np.ndarray  # int64, per answer: the study's position in the lists
    pair: np.ndarray  # int64, per answer: its (item, value) pair
    pair_item: np.ndarray  # int32, per pair: index into item_names
    pair_value: np.ndarray  # object, per pair: the value
    item_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def item(self) -> np.ndarray:
        return self.pair_item[self.pair]

    @property
    def value(self) -> np.ndarray:
        return self.pair_value[self.pair]

    def subset(self, keep: np.ndarray) -> StudyColumns:
        """The studies where `keep` (one bool per study) holds, renumbered in order."""
        positions = np.flatnonzero(keep)
        renumber = np.full(len(self), -1, dtype=np.int64)
        renumber[positions] = np.arange(len(positions))
        rows = keep[self.study]
        return replace(
            self,
            labels=[self.labels[p] for p in positions],
            programs=[self.programs[p] for p in positions],
            rubric_versions=[self.rubric_versions[p] for p in positions],
            study=renumber[self.study[rows]],
            pair=self.pair[rows],
        )


def comparable_columns(columns: StudyColumns, rubric: Rubric) -> tuple[StudyColumns, Report]:
    """The studies whose answers `rubric` allows, and every problem of every study, as
    `workflows.cohorts.comparable` finds them for study objects: a study with an error
    is left out, one of another version of the rubric is kept with a warning."""
    problems = Report()
    bad = np.zeros(len(columns), dtype=bool)
    for position, version in enumerate(columns.rubric_versions):
        if version != rubric.version:
            problems.append(
                Problem(
                    "rubric-version-mismatch",
                    columns.labels[position],
                    f"the self-study is for version {_shown(version)} of {rubric.id!r}, "
                    f"this rubric is version {rubric.version!r}; scores may differ",
                    "rubric.version",
                    severity="warning",
                )
            )
    for row, code, reason in _refused_answers(columns, rubric):
        position = int(columns.study[row])
        item_id = columns.item_names[code]
        bad[position] = True
        if reason == UNKNOWN_ITEM:
            problems.append(
                Problem(
                    "unknown-item",
                    columns.labels[position],
                    f"{_item_key(item_id)} is not an item of {rubric.id!r}; remove it or fix "
                    "the id",
                    f"answers[{_item_key(item_id)}]",
                )
            )
        else:
            problems.append(
                Problem(
                    "bad-answer", columns.labels[position], reason, f"answers[{item_id!r}].value"
                )
            )
    return (columns.subset(~bad) if bad.any() else columns), problems


UNKNOWN_ITEM = "unknown-item"


def _refused_answers(columns: StudyColumns, rubric: Rubric) -> list[tuple[int, int, str]]:
    """(row, item, why) of each answer the rubric does not allow, in row order: each
    distinct (item, value) pair is judged once."""
    items = [rubric.item_by_id.get(name) for name in columns.item_names]
    reasons: dict[int, str] = {}
    for pair, (code, value) in enumerate(
        zip(columns.pair_item.tolist(), columns.pair_value, strict=True)
    ):
        item = items[code]
        reason = UNKNOWN_ITEM if item is None else value_problem(rubric, item, value)
        if reason is not None:
            reasons[pair] = reason
    if not reasons:
        return []
    rows = np.flatnonzero(np.isin(columns.pair, list(reasons)))
    return [
        (int(row), int(columns.pair_item[columns.pair[row]]), reasons[int(columns.pair[row])])
        for row in rows
    ]


def _hashable(value: Any) -> Any:
    """A key equal for equal JSON values (lists and objects included, `1` and `1.0` apart)."""
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _hashable(v)) for k, v in value.items())))
    return (type(value).__name__, value)


def score_columns(rubric: Rubric, columns: StudyColumns) -> CohortScores:
    """Score every study at once, as `score_studies` scores the same studies.

    What depends on a value (its scale value, whether it counts as answered, whether
    a `show_if` holds) is worked out once per distinct (item, value) pair; the
    answers themselves are only ever integer codes, gathered and scattered by numpy.
    """
    arrays = rubric_arrays(rubric)
    count = len(columns)
    to_rubric = np.array(
        [arrays.item_code.get(name, -1) for name in columns.item_names] or [-1], dtype=np.int32
    )
    pair_item = to_rubric[columns.pair_item]  # per pair: its rubric item, -1 when unknown
    known = pair_item >= 0
    rating = np.zeros(len(pair_item), dtype=bool)
    required = np.zeros(len(pair_item), dtype=bool)
    rating[known] = arrays.item_rating[pair_item[known]]
    required[known] = arrays.item_required[pair_item[known]]
    scored = np.flatnonzero(rating | required)
    pair_level = np.full(len(pair_item), np.nan)
    pair_answered = np.zeros(len(pair_item), dtype=bool)
    pair_level[scored], pair_answered[scored] = meanings(rubric, columns.pair_value[scored])
    study, pair = columns.study, columns.pair
    item = pair_item[pair]  # per answer
    shown = np.ones((count, len(arrays.item_ids)), dtype=bool)
    for code, source, rule in arrays.show_if:
        condition = Condition(rubric, arrays.item_ids[source], rule)
        of_source = np.flatnonzero(pair_item == source)
        pair_holds = np.zeros(len(pair_item), dtype=bool)
        pair_holds[of_source] = [condition(v) for v in columns.pair_value[of_source]]
        holds = np.zeros(count, dtype=bool)
        rows = item == source
        holds[study[rows]] = pair_holds[pair[rows]]
        shown[:, code] = shown[:, source] & holds
    levels = np.full((count, len(arrays.item_ids)), np.nan)
    rows = rating[pair]
    levels[study[rows], item[rows]] = pair_level[pair[rows]]
    rows = (required & pair_answered)[pair]
    study, item = study[rows], item[rows]
    answered = np.bincount(study[shown[study, item]], minlength=count)
    return score_levels(arrays, programs_frame(columns.programs), levels, shown, answered)


def columns_of(studies: Sequence[tuple[str, SelfStudy]]) -> StudyColumns:
    """Study objects (each with where it came from) as columns: files and sheet copies join
    stored studies this way."""
    names: dict[str, int] = {}
    pairs: dict[tuple[int, Any], int] = {}
    pair_values: list[Any] = []
    positions: list[int] = []
    rows: list[int] = []
    for position, (_, study) in enumerate(studies):
        for item_id, answer in study.answers.items():
            code = names.setdefault(item_id, len(names))
            key = (code, _hashable(answer.value))
            if key not in pairs:
                pairs[key] = len(pairs)
                pair_values.append(answer.value)
            positions.append(position)
            rows.append(pairs[key])
    return StudyColumns(
        labels=[label for label, _ in studies],
        programs=[study.program.model_dump(mode="json") for _, study in studies],
        rubric_versions=[study.rubric.version for _, study in studies],
        study=np.array(positions, dtype=np.int64),
        pair=np.array(rows, dtype=np.int64),
        pair_item=np.array([code for code, _ in pairs], dtype=np.int32),
        pair_value=object_array(pair_values),
        item_names=list(names),
    )


def object_array(values: Sequence[Any]) -> np.ndarray:
    """`values` as a one-dimensional object array (lists stay list elements)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def joined(first: StudyColumns, second: StudyColumns) -> StudyColumns:
    """The studies of `first`, then those of `second` (their pairs are kept apart: each is
    judged on its own)."""
    if not len(first) and not first.item_names:  # nothing from files: the stored as they are
        return second
    names = dict.fromkeys(first.item_names)
    names.update(dict.fromkeys(second.item_names))
    code = {name: n for n, name in enumerate(names)}
    recode = np.array([code[name] for name in second.item_names] or [0], dtype=np.int32)
    return StudyColumns(
        labels=first.labels + second.labels,
        programs=first.programs + second.programs,
        rubric_versions=first.rubric_versions + second.rubric_versions,
        study=np.concatenate([first.study, second.study + len(first)]),
        pair=np.concatenate([first.pair, second.pair + len(first.pair_item)]),
        pair_item=np.concatenate([first.pair_item, recode[second.pair_item]]),
        pair_value=np.concatenate([first.pair_value, second.pair_value]),
        item_names=list(names),
    )
