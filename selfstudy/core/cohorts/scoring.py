"""Scoring every study at once: `CohortScores`, with the numbers `scoring.score` gives.

The long table is scored with numpy, following `rubric-format.md` to the letter:
N/A, unanswered and `show_if`-hidden items are left out, item and standard
weights count, targets inherit, and "approaching" means at least target − one
scale step.

The per-study numbers are bitwise the same as `scoring.score` gives: every
weighted mean adds the same products in the same (rubric) order, starting from
0.0, as `scoring.weighted_mean` does; a missing rating adds an exact 0.0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.pseudonyms import DEFAULT_PSEUDONYM_SECRET, pseudonymized
from selfstudy.core.cohorts.table import (
    Answers,
    RubricArrays,
    collect_answers,
    programs_table,
    rubric_arrays,
)
from selfstudy.core.rubric import Number, Rubric, ShowIf
from selfstudy.core.scoring import STATUSES, judge
from selfstudy.core.study import Answer, SelfStudy, condition_holds, is_answered, is_na

# Status codes in the score matrices: positions in `scoring.STATUSES`.
MEETS, APPROACHING, NOT_YET, NOT_RATED = range(len(STATUSES))


@dataclass(frozen=True)
class CohortScores:
    """The scores of many studies: one row per study in `programs`, matrices by code.

    `standard_level[s, j]` is study s's mean level on standard j (NaN when not
    rated), `standard_status[s, j]` its status code (index into `STATUSES`);
    likewise for dimensions and `overall_*`.
    """

    rubric: RubricArrays
    programs: pd.DataFrame
    standard_level: np.ndarray
    standard_status: np.ndarray
    dimension_level: np.ndarray
    dimension_status: np.ndarray
    overall_level: np.ndarray
    overall_status: np.ndarray
    answered: np.ndarray
    required: np.ndarray

    def __len__(self) -> int:
        return len(self.programs)

    @property
    def completeness(self) -> np.ndarray:
        return np.divide(
            self.answered,
            self.required,
            out=np.ones(len(self.answered)),
            where=self.required > 0,
        )

    def dimensions(self) -> pd.DataFrame:
        """One row per study and dimension: level, status, target, gap."""
        return self._long(
            "dimension", self.rubric.dimension_ids, self.dimension_level, self.dimension_status
        ).assign(target=np.tile(self.rubric.dimension_target, len(self)))

    def _long(
        self, name: str, ids: list[str], level: np.ndarray, status: np.ndarray
    ) -> pd.DataFrame:
        count = len(ids)
        return pd.DataFrame(
            {
                "study": np.repeat(np.arange(len(self)), count),
                name: pd.Categorical.from_codes(np.tile(np.arange(count), len(self)), ids),
                "mean_level": level.ravel(),
                "status": pd.Categorical.from_codes(status.ravel(), STATUSES),
            }
        )

    def subset(self, rows: np.ndarray | Sequence[int]) -> CohortScores:
        """The scores of the studies at these positions (a filter keeps scores as they are)."""
        rows = np.asarray(rows, dtype=np.int64)
        return CohortScores(
            rubric=self.rubric,
            programs=self.programs.iloc[rows].reset_index(drop=True),
            standard_level=self.standard_level[rows],
            standard_status=self.standard_status[rows],
            dimension_level=self.dimension_level[rows],
            dimension_status=self.dimension_status[rows],
            overall_level=self.overall_level[rows],
            overall_status=self.overall_status[rows],
            answered=self.answered[rows],
            required=self.required[rows],
        )

    def where(self, **fields: str | Iterable[str] | None) -> CohortScores:
        """The studies whose program fields take these values (None or empty: any)."""
        keep = np.ones(len(self), dtype=bool)
        for name, wanted in fields.items():
            if wanted is None or name not in self.programs:
                continue
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            if wanted:
                keep &= self.programs[name].isin(wanted).to_numpy()
        return self.subset(np.flatnonzero(keep))

    def with_pseudonyms(
        self, secret: str = DEFAULT_PSEUDONYM_SECRET, keep: Iterable[str] = ("cohort", "round")
    ) -> CohortScores:
        """The same scores with programs under pseudonyms (see `pseudonymized`)."""
        return replace(self, programs=pseudonymized(self.programs, secret, keep))

    def result_dict(self, study: int) -> dict[str, Any]:
        """Study `study`'s scores in the shape of `Result.to_dict()` (without priorities).

        Percent, status and gap come from `scoring.judge`, the single-study rules.
        """
        rubric = self.rubric.rubric

        def scored(level: float, target: Number) -> dict[str, Any]:
            mean_level = None if math.isnan(level) else float(level)
            return judge(rubric, mean_level, target).to_dict()

        return {
            "overall": {
                **scored(self.overall_level[study], rubric.target),
                "completeness": round(float(self.completeness[study]), 4),
            },
            "dimensions": [
                {
                    "id": dimension.id,
                    "title": dimension.title,
                    **scored(self.dimension_level[study, j], rubric.dimension_target(dimension)),
                }
                for j, dimension in enumerate(rubric.dimensions)
            ],
            "standards": [
                {
                    "id": standard.id,
                    "dimension": self.rubric.dimension_ids[self.rubric.standard_dimension[j]],
                    "title": standard.title,
                    **scored(self.standard_level[study, j], rubric.standard_target(standard)),
                }
                for j, standard in enumerate(rubric.standards())
            ],
        }


def score_studies(rubric: Rubric, studies: Sequence[SelfStudy]) -> CohortScores:
    """Score every study at once; study i's numbers equal `scoring.score(rubric, studies[i])`."""
    arrays = rubric_arrays(rubric)
    answers = collect_answers(arrays, [s.answers for s in studies])
    return score_answers(arrays, answers, programs_table(studies))


def score_answers(arrays: RubricArrays, answers: Answers, programs: pd.DataFrame) -> CohortScores:
    """Score the long table `answers` of the studies described row by row in `programs`."""
    count = len(programs)
    known = answers.item >= 0
    study, item, value = answers.study[known], answers.item[known], answers.value[known]
    shown = _shown(arrays, count, study, item, value)
    # Only rating and required items matter from here; the rest are kept in the long table.
    scored = arrays.item_rating[item] | arrays.item_required[item]
    study, item = study[scored], item[scored]
    level, answered = meanings(arrays.rubric, value[scored])
    rating = arrays.item_rating[item]
    levels = np.full((count, len(arrays.item_ids)), np.nan)
    levels[study[rating], item[rating]] = level[rating]
    counted = arrays.item_required[item] & shown[study, item] & answered
    answered_count = np.bincount(study[counted], minlength=count)
    return score_levels(arrays, programs, levels, shown, answered_count)


def score_levels(
    arrays: RubricArrays,
    programs: pd.DataFrame,
    levels: np.ndarray,
    shown: np.ndarray,
    answered: np.ndarray,
) -> CohortScores:
    """The scores from studies × items matrices: each rating item's scale value (NaN when
    unrated) and whether it is shown, and each study's count of required items answered
    and shown. The one place the weighted means and statuses are worked out, whichever
    way the answers came (`score_answers`, `columns.score_columns`)."""
    levels[~shown] = np.nan
    required_count = shown[:, arrays.item_required].sum(axis=1)
    standard_level = _weighted_means(levels, arrays.item_weight, arrays.item_standard)
    dimension_level = _weighted_means(
        standard_level, arrays.standard_weight, arrays.standard_dimension
    )
    overall_level = _weighted_means(
        dimension_level,
        arrays.dimension_weight,
        np.zeros(len(arrays.dimension_ids), dtype=np.int64),
    )[:, 0]
    target = float(arrays.rubric.target)
    floor = target - arrays.rubric.scale.step_below(arrays.rubric.target)
    return CohortScores(
        rubric=arrays,
        programs=programs,
        standard_level=standard_level,
        standard_status=_status(standard_level, arrays.standard_target, arrays.standard_floor),
        dimension_level=dimension_level,
        dimension_status=_status(dimension_level, arrays.dimension_target, arrays.dimension_floor),
        overall_level=overall_level,
        overall_status=_status(overall_level, np.float64(target), np.float64(floor)),
        answered=answered,
        required=required_count,
    )


def meanings(rubric: Rubric, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each raw value's scale value (NaN for N/A, blank or off the scale) and whether it counts
    as answered: `Scale.rating_value` and `is_answered`, worked out once per distinct value.

    Ints, floats, strings and None are looked up by value. When anything else is
    present (a bool, a list) every value is worked out on its own, since True == 1
    to a dict and a list cannot be a key.
    """
    scale = rubric.scale

    def meaning(raw: Any) -> tuple[float, bool]:
        found = None if raw is None or is_na(raw) else scale.rating_value(raw)
        return (math.nan if found is None else float(found)), is_answered(raw)

    if set(map(type, values)) <= {int, float, str, type(None)}:
        codes = _Codes()
        index = np.fromiter(map(codes.__getitem__, values), dtype=np.int64, count=len(values))
        distinct = list(codes)
    else:
        index, distinct = np.arange(len(values)), list(values)
    level, answered = zip(*map(meaning, distinct), strict=True) if distinct else ((), ())
    return np.array(level, dtype=float)[index], np.array(answered, dtype=bool)[index]


class _Codes(dict):
    """Value -> a code counting up from 0, given the first time the value is seen."""

    def __missing__(self, key: Any) -> int:
        code = self[key] = len(self)
        return code


def _shown(
    arrays: RubricArrays, count: int, study: np.ndarray, item: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """Studies × items: whether each item is shown (its `show_if` holds, up the chain)."""
    shown = np.ones((count, len(arrays.item_ids)), dtype=bool)
    for code, source, rule in arrays.show_if:
        holds = np.zeros(count, dtype=bool)
        rows = item == source
        condition = Condition(arrays.rubric, arrays.item_ids[source], rule)
        holds[study[rows]] = [condition(v) for v in value[rows]]
        shown[:, code] = shown[:, source] & holds
    return shown


class Condition:
    """Whether a `show_if` rule holds for a value of its source item (cached by value)."""

    def __init__(self, rubric: Rubric, source_id: str, rule: ShowIf):
        self.rubric, self.source, self.rule = rubric, rubric.item_by_id[source_id], rule
        self.cache: dict[Any, bool] = {}

    def __call__(self, value: Any) -> bool:
        key = (type(value), tuple(value) if isinstance(value, list) else value)
        if key not in self.cache:
            answers = {self.source.id: Answer.model_construct(value=value)}
            self.cache[key] = condition_holds(self.rubric, self.source, self.rule, answers)
        return self.cache[key]


def _weighted_means(values: np.ndarray, weights: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Studies × groups: the weighted mean of each group's non-NaN columns, NaN when none.

    Adds `value * weight` column by column in rubric order, from 0.0, exactly as
    `scoring.weighted_mean` does, so the result is bitwise the same. The sums are kept
    group by group (a row per group), so each column added is one contiguous run of
    memory: a network's studies × items matrix is read a column at a time.
    """
    groups = int(group.max()) + 1 if len(group) else 0
    by_column = np.ascontiguousarray(values.T)
    total = np.zeros((groups, values.shape[0]))
    weight_sum = np.zeros((groups, values.shape[0]))
    for column, (weight, target) in enumerate(zip(weights, group, strict=True)):
        present = ~np.isnan(by_column[column])
        total[target] += np.where(present, by_column[column] * weight, 0.0)
        weight_sum[target] += np.where(present, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.ascontiguousarray(np.where(weight_sum != 0, total / weight_sum, np.nan).T)


def _status(level: np.ndarray, target: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """`scoring.judge`'s status codes: meets ≥ target, approaching ≥ target − one step."""
    with np.errstate(invalid="ignore"):
        status = np.where(level >= target, MEETS, np.where(level >= floor, APPROACHING, NOT_YET))
    return np.where(np.isnan(level), NOT_RATED, status).astype(np.int8)
