"""How much a team of raters agrees: item by item, and over a standard, a dimension, a study.

A team self-study has each rater rate every item on their own (`core.team`). For each
rating item this module lines up the raters' levels side by side with their range,
and over any set of items it reports three figures, each with the raters and items
behind it:

- **exact agreement**: of every pair of raters who both gave a level to the same item,
  the share who gave the same level;
- **within one level**: the share of those pairs whose levels are at most one step
  apart on the rubric's scale;
- **Krippendorff's alpha** for ordinal data, from the `krippendorff` package: the
  agreement beyond what chance would give, 1 when every pair agrees, 0 when the levels
  agree no more than chance, below 0 when they disagree systematically. Items are the
  units, raters the coders; an item a rater left unanswered, answered N/A or did not
  see (`show_if`) is a missing value. Alpha is not defined when no item has two levels,
  or when every level given is the same (there is no variation for chance to explain);
  `alpha` is then None and `alpha_missing` says why.

Only rating items count: a text or a choice item has no levels to agree on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np

from selfstudy.core.rubric import Number, Rubric
from selfstudy.core.study import Answer, AnswerValue, is_answered, is_na, shown_items

NO_PAIRS = "no item has levels from two raters yet"
NO_VARIATION = "every level given is the same, so there is no variation to compare with chance"


@dataclass(frozen=True)
class ItemSpread:
    """One rating item's answers from every rater, side by side."""

    item_id: str
    standard_id: str
    dimension_id: str
    answers: tuple[tuple[str, AnswerValue], ...]  # (rater, their value: level, N/A or None)
    levels: tuple[Number, ...]  # the levels given, rater by rater (N/A and blanks left out)
    steps: int | None  # how many scale steps between the lowest and highest level given

    @property
    def unanimous(self) -> bool:
        """Whether every rater who answered gave the same answer (N/A included)."""
        given = [value for _, value in self.answers if is_answered(value)]
        return bool(given) and all(value == given[0] for value in given)

    @property
    def lowest(self) -> Number | None:
        return min(self.levels) if self.levels else None

    @property
    def highest(self) -> Number | None:
        return max(self.levels) if self.levels else None


@dataclass(frozen=True)
class Agreement:
    """The agreement over a set of items."""

    raters: int  # raters who gave a level to at least one of the items
    items: int  # items with levels from at least two raters (the ones compared)
    pairs: int  # pairs of levels given to the same item by two raters
    exact: float | None  # share of those pairs with the same level
    within_one: float | None  # share at most one scale step apart
    alpha: float | None  # Krippendorff's alpha, ordinal
    alpha_missing: str = ""  # why alpha is None

    def to_dict(self) -> dict[str, object]:
        return {
            "raters": self.raters,
            "items": self.items,
            "pairs": self.pairs,
            "exact": _round(self.exact),
            "within_one": _round(self.within_one),
            "alpha": _round(self.alpha),
            **({"alpha_missing": self.alpha_missing} if self.alpha is None else {}),
        }


@dataclass(frozen=True)
class TeamAgreement:
    """A team's ratings compared: every item, and the agreement per standard and dimension."""

    raters: tuple[str, ...]
    items: tuple[ItemSpread, ...]  # rubric order
    overall: Agreement
    dimensions: dict[str, Agreement]
    standards: dict[str, Agreement]

    def most_disagreed(self) -> list[ItemSpread]:
        """The items, those whose levels lie furthest apart first (rubric order within)."""
        order = {item.item_id: n for n, item in enumerate(self.items)}
        return sorted(
            self.items,
            key=lambda s: (-(s.steps or 0), -len(set(s.levels)), order[s.item_id]),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "raters": list(self.raters),
            "overall": self.overall.to_dict(),
            "dimensions": {key: value.to_dict() for key, value in self.dimensions.items()},
            "standards": {key: value.to_dict() for key, value in self.standards.items()},
        }


def item_spreads(rubric: Rubric, sheets: Mapping[str, Mapping[str, Answer]]) -> list[ItemSpread]:
    """Every rating item with each rater's answer (`sheets`: rater -> answers), rubric order.

    An item a rater's own answers hide (`show_if`) counts as unanswered for them, as it
    does when their sheet is scored on its own.
    """
    shown = {rater: shown_items(rubric, dict(answers)) for rater, answers in sheets.items()}
    position = {value: n for n, value in enumerate(rubric.scale.values)}
    spreads = []
    for item in rubric.items():
        if not item.is_rating:
            continue
        answers: list[tuple[str, AnswerValue]] = []
        levels: list[Number] = []
        for rater, sheet in sheets.items():
            answer = sheet.get(item.id)
            value = answer.value if answer is not None and item.id in shown[rater] else None
            answers.append((rater, value))
            level = None if is_na(value) else rubric.scale.rating_value(value)
            if level is not None:
                levels.append(level)
        steps = (
            max(position[v] for v in levels) - min(position[v] for v in levels) if levels else None
        )
        spreads.append(
            ItemSpread(
                item_id=item.id,
                standard_id=rubric.standard_of_item[item.id].id,
                dimension_id=rubric.dimension_of_standard[rubric.standard_of_item[item.id].id].id,
                answers=tuple(answers),
                levels=tuple(levels),
                steps=steps,
            )
        )
    return spreads


def agreement(rubric: Rubric, spreads: Iterable[ItemSpread]) -> Agreement:
    """The agreement over these items (see the module's docstring for the three figures)."""
    spreads = list(spreads)
    position = {value: n for n, value in enumerate(rubric.scale.values)}
    raters = sorted({rater for s in spreads for rater, _ in s.answers})
    matrix = np.full((len(raters), len(spreads)), np.nan)
    column = {rater: n for n, rater in enumerate(raters)}
    pairs = exact = within_one = 0
    for unit, spread in enumerate(spreads):
        for rater, value in spread.answers:
            level = None if is_na(value) else rubric.scale.rating_value(value)
            if level is not None:
                matrix[column[rater], unit] = level
        for a, b in itertools.combinations(spread.levels, 2):
            pairs += 1
            exact += a == b
            within_one += abs(position[a] - position[b]) <= 1
    rated = ~np.isnan(matrix)
    compared = int((rated.sum(axis=0) >= 2).sum())
    alpha, missing = _alpha(matrix, rubric.scale.values)
    return Agreement(
        raters=int(rated.any(axis=1).sum()),
        items=compared,
        pairs=pairs,
        exact=exact / pairs if pairs else None,
        within_one=within_one / pairs if pairs else None,
        alpha=alpha,
        alpha_missing=missing,
    )


def team_agreement(rubric: Rubric, sheets: Mapping[str, Mapping[str, Answer]]) -> TeamAgreement:
    """Every item side by side, and the agreement per standard, per dimension and overall."""
    spreads = item_spreads(rubric, sheets)
    return TeamAgreement(
        raters=tuple(sheets),
        items=tuple(spreads),
        overall=agreement(rubric, spreads),
        dimensions={
            d.id: agreement(rubric, [s for s in spreads if s.dimension_id == d.id])
            for d in rubric.dimensions
        },
        standards={
            s.id: agreement(rubric, [x for x in spreads if x.standard_id == s.id])
            for s in rubric.standards()
        },
    )


def _alpha(matrix: np.ndarray, scale: Sequence[Number]) -> tuple[float | None, str]:
    """Ordinal Krippendorff's alpha of a raters × items matrix (NaN: no level), or why not."""
    pairable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    if pairable.size == 0 or np.isnan(pairable).all():
        return None, NO_PAIRS
    given = pairable[~np.isnan(pairable)]
    if (given == given[0]).all():
        return None, NO_VARIATION
    value = float(
        krippendorff.alpha(
            reliability_data=matrix,
            value_domain=np.array(scale, dtype=float),
            level_of_measurement="ordinal",
        )
    )
    return (value, "") if math.isfinite(value) else (None, NO_VARIATION)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
