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

from selfstudy.core.cohorts.scoring import CohortScores, score_answers
from selfstudy.core.cohorts.table import Answers, programs_frame, rubric_arrays
from selfstudy.core.problems import Problem, Report
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import SelfStudy, _item_key, _shown, value_problem


@dataclass(frozen=True)
class StudyColumns:
    """Many studies of one rubric: one entry per study in the lists, one per answer in the
    arrays (`item` indexes `item_names`, the item ids as stored)."""

    labels: list[str]  # where each study comes from, for problems (e.g. its stored id)
    programs: list[dict[str, Any]]  # each study's program details, as stored
    rubric_versions: list[str]
    study: np.ndarray  # int64: the study's position in the lists
    item: np.ndarray  # int32: index into item_names
    item_names: list[str]
    value: np.ndarray  # object: the answer's value

    def __len__(self) -> int:
        return len(self.labels)

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
            item=self.item[rows],
            value=self.value[rows],
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
    for row, code, reason in _refused_values(columns, rubric):
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
    return columns.subset(~bad), problems


UNKNOWN_ITEM = "unknown-item"


def _refused_values(columns: StudyColumns, rubric: Rubric) -> list[tuple[int, int, str]]:
    """(row, item, why) of each answer the rubric does not allow, in row order: each
    distinct (item, value) pair is judged once."""
    items = [rubric.item_by_id.get(name) for name in columns.item_names]
    judged: dict[tuple[int, Any], str | None] = {}
    refused = []
    for row, (code, value) in enumerate(zip(columns.item.tolist(), columns.value, strict=True)):
        key = (code, _hashable(value))
        if key not in judged:
            item = items[code]
            judged[key] = UNKNOWN_ITEM if item is None else value_problem(rubric, item, value)
        if judged[key] is not None:
            refused.append((row, code, judged[key]))
    return refused


def _hashable(value: Any) -> Any:
    """A key equal for equal JSON values (lists and objects included, `1` and `1.0` apart)."""
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _hashable(v)) for k, v in value.items())))
    return (type(value).__name__, value)


def score_columns(rubric: Rubric, columns: StudyColumns) -> CohortScores:
    """Score every study at once, as `score_studies` scores the same studies."""
    arrays = rubric_arrays(rubric)
    to_rubric = np.array(
        [arrays.item_code.get(name, -1) for name in columns.item_names] or [-1], dtype=np.int32
    )
    answers = Answers(study=columns.study, item=to_rubric[columns.item], value=columns.value)
    return score_answers(arrays, answers, programs_frame(columns.programs))


def columns_of(studies: Sequence[tuple[str, SelfStudy]]) -> StudyColumns:
    """Study objects (each with where it came from) as columns: files and sheet copies join
    stored studies this way."""
    names: dict[str, int] = {}
    positions: list[int] = []
    codes: list[int] = []
    values: list[Any] = []
    for position, (_, study) in enumerate(studies):
        for item_id, answer in study.answers.items():
            positions.append(position)
            codes.append(names.setdefault(item_id, len(names)))
            values.append(answer.value)
    value = np.empty(len(values), dtype=object)
    value[:] = values
    return StudyColumns(
        labels=[label for label, _ in studies],
        programs=[study.program.model_dump(mode="json") for _, study in studies],
        rubric_versions=[study.rubric.version for _, study in studies],
        study=np.array(positions, dtype=np.int64),
        item=np.array(codes, dtype=np.int32),
        item_names=list(names),
        value=value,
    )


def joined(first: StudyColumns, second: StudyColumns) -> StudyColumns:
    """The studies of `first`, then those of `second`."""
    names = dict.fromkeys(first.item_names)
    names.update(dict.fromkeys(second.item_names))
    code = {name: n for n, name in enumerate(names)}
    recode = np.array([code[name] for name in second.item_names] or [0], dtype=np.int32)
    return StudyColumns(
        labels=first.labels + second.labels,
        programs=first.programs + second.programs,
        rubric_versions=first.rubric_versions + second.rubric_versions,
        study=np.concatenate([first.study, second.study + len(first)]),
        item=np.concatenate([first.item, recode[second.item]]),
        item_names=list(names),
        value=np.concatenate([first.value, second.value]),
    )
