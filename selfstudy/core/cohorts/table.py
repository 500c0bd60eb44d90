"""The rubric as parallel arrays, and many studies as one long table of answers
(with the programs table: one row per study)."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.pseudonyms import pseudonymized
from selfstudy.core.rubric import Rubric, ShowIf
from selfstudy.core.study import Answer, SelfStudy

PROGRAM_FIELDS = ("name", "id", "organization", "cohort", "round")


@dataclass(frozen=True)
class RubricArrays:
    """The rubric's items, standards and dimensions as parallel arrays in rubric order."""

    rubric: Rubric
    item_ids: list[str]
    item_rating: np.ndarray
    item_required: np.ndarray
    item_weight: np.ndarray
    item_standard: np.ndarray
    standard_ids: list[str]
    standard_weight: np.ndarray
    standard_dimension: np.ndarray
    standard_target: np.ndarray
    standard_floor: np.ndarray  # target − one scale step: "approaching" from here
    dimension_ids: list[str]
    dimension_weight: np.ndarray
    dimension_target: np.ndarray
    dimension_floor: np.ndarray

    @cached_property
    def item_code(self) -> dict[str, int]:
        return {item_id: code for code, item_id in enumerate(self.item_ids)}

    @cached_property
    def show_if(self) -> list[tuple[int, int, ShowIf]]:
        """(item code, source item code, rule) for each item with `show_if`, in rubric order."""
        return [
            (self.item_code[item.id], self.item_code[item.show_if.item], item.show_if)
            for item in self.rubric.items()
            if item.show_if is not None
        ]


def rubric_arrays(rubric: Rubric) -> RubricArrays:
    items = list(rubric.items())
    standards = list(rubric.standards())
    standard_code = {s.id: code for code, s in enumerate(standards)}
    dimension_code = {d.id: code for code, d in enumerate(rubric.dimensions)}
    step = rubric.scale.step_below
    standard_targets = [rubric.standard_target(s) for s in standards]
    dimension_targets = [rubric.dimension_target(d) for d in rubric.dimensions]
    return RubricArrays(
        rubric=rubric,
        item_ids=[i.id for i in items],
        item_rating=np.array([i.is_rating for i in items], dtype=bool),
        item_required=np.array([i.is_required for i in items], dtype=bool),
        item_weight=np.array([i.weight for i in items], dtype=float),
        item_standard=np.array([standard_code[rubric.standard_of_item[i.id].id] for i in items]),
        standard_ids=[s.id for s in standards],
        standard_weight=np.array([s.weight for s in standards], dtype=float),
        standard_dimension=np.array(
            [dimension_code[rubric.dimension_of_standard[s.id].id] for s in standards]
        ),
        standard_target=np.array(standard_targets, dtype=float),
        standard_floor=np.array([t - step(t) for t in standard_targets], dtype=float),
        dimension_ids=[d.id for d in rubric.dimensions],
        dimension_weight=np.array([d.weight for d in rubric.dimensions], dtype=float),
        dimension_target=np.array(dimension_targets, dtype=float),
        dimension_floor=np.array([t - step(t) for t in dimension_targets], dtype=float),
    )


_value_of = operator.attrgetter("value")


class _ItemCodes(dict):
    """Item id -> code; an id the rubric does not know gets -1 (and is left out)."""

    def __missing__(self, key: str) -> int:
        return -1


@dataclass(frozen=True)
class Answers:
    """Every answer of every study as parallel arrays: the long table, unlabelled."""

    study: np.ndarray  # int: position of the study in the input
    item: np.ndarray  # int: item code in rubric order, -1 for an unknown id
    value: np.ndarray  # object: the raw answer value


def collect_answers(rubric: RubricArrays, answer_maps: Sequence[dict[str, Answer]]) -> Answers:
    """The answers of many studies (each a `study.answers` map) as one long table.

    Two C-level passes per study (`map` over the keys and over the answers):
    pydantic objects are read, never re-validated or dumped.
    """
    codes = _ItemCodes(rubric.item_code)
    item_codes: list[int] = []
    values: list[Any] = []
    counts = np.empty(len(answer_maps), dtype=np.int64)
    for position, answers in enumerate(answer_maps):
        counts[position] = len(answers)
        item_codes.extend(map(codes.__getitem__, answers))
        values.extend(map(_value_of, answers.values()))
    value_array = np.empty(len(values), dtype=object)
    value_array[:] = values
    return Answers(
        study=np.repeat(np.arange(len(answer_maps)), counts),
        item=np.array(item_codes, dtype=np.int32),
        value=value_array,
    )


def long_table(
    rubric: Rubric, studies: Sequence[SelfStudy], *, pseudonym_secret: str | None = None
) -> pd.DataFrame:
    """One row per answer: program, cohort, round, item and value (and the study's position).

    With `pseudonym_secret`, programs appear under their pseudonyms.
    """
    arrays = rubric_arrays(rubric)
    answers = collect_answers(arrays, [s.answers for s in studies])
    programs = programs_table(studies)
    if pseudonym_secret is not None:
        programs = pseudonymized(programs, pseudonym_secret)
    known = answers.item >= 0
    rows = answers.study[known]
    return pd.DataFrame(
        {
            "study": rows,
            "program": programs["program"].to_numpy()[rows],
            "cohort": programs["cohort"].to_numpy()[rows],
            "round": programs["round"].to_numpy()[rows],
            "item": pd.Categorical.from_codes(answers.item[known], categories=arrays.item_ids),
            "value": answers.value[known],
        }
    )


def programs_table(studies: Sequence[SelfStudy]) -> pd.DataFrame:
    """One row per study: `program` (the name shown), `key` (how rounds pair), and its fields.

    A program's rounds pair by program id, or by name when a study has no id.
    Extra program fields (`completed_on`, a region, …) become columns too, so
    any of them can be a grouping. Columns hold plain Python objects.
    """
    return programs_frame([study.program.model_dump(mode="json") for study in studies])


def programs_frame(details: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """`programs_table` from program details as stored (JSON): a database's studies are
    read this way, without a model per study."""
    columns: dict[str, list[Any]] = {
        name: [d.get(name) for d in details] for name in PROGRAM_FIELDS
    }
    for name in dict.fromkeys(name for d in details for name in d):
        if name not in columns:
            columns[name] = [_plain_field(d.get(name)) for d in details]
    columns["key"] = [pid or name for pid, name in zip(columns["id"], columns["name"], strict=True)]
    columns["program"] = columns["name"]
    return pd.DataFrame(columns, dtype=object)


def _plain_field(value: Any) -> Any:
    if value is None or type(value) is str:  # nearly every field: the quick way first
        return value
    return value if isinstance(value, str | int | float) else str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
