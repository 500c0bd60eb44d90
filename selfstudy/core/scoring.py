"""Scoring, exactly as `rubric-format.md` defines it.

Only rating items are scored. An item that is unanswered, answered N/A or
hidden by `show_if` is left out of every mean. Means are kept in full
precision here; rounding happens only where results are shown (`to_dict`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from selfstudy.core.rubric import Number, Rubric
from selfstudy.core.study import Answer, SelfStudy, is_answered, is_na, shown_items

Status = Literal["meets", "approaching", "not_yet", "not_rated"]
STATUSES: tuple[Status, ...] = ("meets", "approaching", "not_yet", "not_rated")


@dataclass(frozen=True)
class Score:
    """A mean level compared with its target."""

    mean_level: float | None
    percent: float | None
    status: Status
    target: Number
    gap: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean_level": _round(self.mean_level, 2),
            "percent": _round(self.percent, 1),
            "status": self.status,
            "target": self.target,
            "gap": _round(self.gap, 2),
        }


@dataclass(frozen=True)
class StandardResult:
    id: str
    dimension: str
    title: str
    weight: Number
    score: Score
    rated: int  # rating items answered with a level (not N/A)
    answered: int  # required shown items answered (N/A counts)
    required: int  # required shown items

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dimension": self.dimension,
            "title": self.title,
            **self.score.to_dict(),
        }


@dataclass(frozen=True)
class DimensionResult:
    id: str
    title: str
    weight: Number
    score: Score
    answered: int
    required: int
    standards: list[StandardResult] = field(default_factory=list)

    @property
    def completeness(self) -> float:
        return _completeness(self.answered, self.required)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            **self.score.to_dict(),
            "answered": self.answered,
            "required": self.required,
        }


@dataclass(frozen=True)
class Result:
    overall: Score
    completeness: float
    answered: int
    required: int
    dimensions: list[DimensionResult]
    priorities: list[str]

    @property
    def standards(self) -> list[StandardResult]:
        return [s for d in self.dimensions for s in d.standards]

    def standard(self, standard_id: str) -> StandardResult:
        return next(s for s in self.standards if s.id == standard_id)

    def dimension(self, dimension_id: str) -> DimensionResult:
        return next(d for d in self.dimensions if d.id == dimension_id)

    def to_dict(self) -> dict[str, Any]:
        """The `selfstudy score --format json` document."""
        return {
            "overall": {**self.overall.to_dict(), "completeness": round(self.completeness, 4)},
            "dimensions": [d.to_dict() for d in self.dimensions],
            "standards": [s.to_dict() for s in self.standards],
            "priorities": list(self.priorities),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _completeness(answered: int, required: int) -> float:
    return answered / required if required else 1.0


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean of (value, weight) pairs, None when there are none."""
    total = weight_sum = 0.0
    for value, weight in pairs:
        total += value * weight
        weight_sum += weight
    return total / weight_sum if weight_sum else None


def judge(rubric: Rubric, mean_level: float | None, target: Number) -> Score:
    """The percent, status and gap of a mean level against a target."""
    if mean_level is None:
        return Score(None, None, "not_rated", target, None)
    scale = rubric.scale
    percent = (mean_level - scale.lowest) / (scale.highest - scale.lowest) * 100
    if mean_level >= target:
        status: Status = "meets"
    elif mean_level >= target - scale.step_below(target):
        status = "approaching"
    else:
        status = "not_yet"
    return Score(mean_level, percent, status, target, target - mean_level)


def score(rubric: Rubric, study: SelfStudy | dict[str, Answer]) -> Result:
    """Score one self-study (or a bare answers map) against `rubric`."""
    answers = study.answers if isinstance(study, SelfStudy) else study
    shown = shown_items(rubric, answers)
    dimensions: list[DimensionResult] = []
    for dimension in rubric.dimensions:
        standards: list[StandardResult] = []
        for standard in dimension.standards:
            ratings: list[tuple[float, float]] = []
            answered = required = 0
            for item in standard.items:
                if item.id not in shown:
                    continue
                answer = answers.get(item.id)
                value = answer.value if answer is not None else None
                if item.is_required:
                    required += 1
                    answered += is_answered(value)
                if item.is_rating and not is_na(value):
                    level = rubric.scale.rating_value(value)
                    if level is not None:
                        ratings.append((level, item.weight))
            mean = weighted_mean(ratings)
            standards.append(
                StandardResult(
                    id=standard.id,
                    dimension=dimension.id,
                    title=standard.title,
                    weight=standard.weight,
                    score=judge(rubric, mean, rubric.standard_target(standard)),
                    rated=len(ratings),
                    answered=answered,
                    required=required,
                )
            )
        mean = weighted_mean(
            (s.score.mean_level, s.weight) for s in standards if s.score.mean_level is not None
        )
        dimensions.append(
            DimensionResult(
                id=dimension.id,
                title=dimension.title,
                weight=dimension.weight,
                score=judge(rubric, mean, rubric.dimension_target(dimension)),
                answered=sum(s.answered for s in standards),
                required=sum(s.required for s in standards),
                standards=standards,
            )
        )
    overall_mean = weighted_mean(
        (d.score.mean_level, d.weight) for d in dimensions if d.score.mean_level is not None
    )
    answered = sum(d.answered for d in dimensions)
    required = sum(d.required for d in dimensions)
    return Result(
        overall=judge(rubric, overall_mean, rubric.target),
        completeness=_completeness(answered, required),
        answered=answered,
        required=required,
        dimensions=dimensions,
        priorities=priorities(rubric, dimensions),
    )


def priorities(rubric: Rubric, dimensions: list[DimensionResult]) -> list[str]:
    """Standards below their target: largest gap first, then larger weight, then rubric order."""
    weight_of_dimension = {d.id: d.weight for d in dimensions}
    below = [
        (index, s)
        for index, s in enumerate(s for d in dimensions for s in d.standards)
        if s.score.status in ("approaching", "not_yet")
    ]
    below.sort(
        key=lambda pair: (
            -round(pair[1].score.gap or 0.0, 9),
            -pair[1].weight,
            -weight_of_dimension[pair[1].dimension],
            pair[0],
        )
    )
    return [s.id for _, s in below]
