"""A team's agreement laid out for the reports: one list of rows, so that the HTML report,
the scores CSV, the sheet copy's Team agreement tab and `selfstudy team status` give the
same figures in the same order, worded the same way.

Rows run overall first, then each dimension followed by its standards (rubric order).
The figures themselves are `core.agreement`'s; this module only names and words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from selfstudy.core.rubric import Number, Rubric
from selfstudy.core.sheetcopy import Rows, Tab
from selfstudy.core.sheetcopy.vocabulary import TEAM_AGREEMENT
from selfstudy.core.study import AnswerValue, is_answered, is_na
from selfstudy.core.team import REVEAL_TEXT, Reveal
from selfstudy.core.wording import NONE

if TYPE_CHECKING:
    from selfstudy.core.agreement import Agreement, ItemSpread, TeamAgreement

TEAM_AGREEMENT_TAB = TEAM_AGREEMENT
PENDING = "The team's ratings are compared " + REVEAL_TEXT[Reveal.CONSENSUS] + "."
MOST_DISAGREED = 10  # items the HTML report and `team status` list at most


@dataclass(frozen=True)
class AgreementRow:
    """The agreement over the whole study, one dimension or one standard."""

    scope: str  # "overall", "dimension" or "standard"
    id: str
    dimension: str  # the dimension's id ("" overall)
    title: str
    agreement: Agreement


def agreement_rows(rubric: Rubric, agreement: TeamAgreement) -> list[AgreementRow]:
    """Overall, then each dimension followed by its standards, in rubric order."""
    rows = [AgreementRow("overall", "overall", "", "Overall", agreement.overall)]
    for dimension in rubric.dimensions:
        rows.append(
            AgreementRow(
                "dimension",
                dimension.id,
                dimension.id,
                dimension.title,
                agreement.dimensions[dimension.id],
            )
        )
        rows.extend(
            AgreementRow("standard", s.id, dimension.id, s.title, agreement.standards[s.id])
            for s in dimension.standards
        )
    return rows


def disagreed(agreement: TeamAgreement, limit: int = MOST_DISAGREED) -> list[ItemSpread]:
    """The items whose levels lie furthest apart (at least one step), at most `limit`."""
    return [s for s in agreement.most_disagreed() if s.steps][:limit]


def no_disagreement(agreement: TeamAgreement) -> str:
    """What stands in for the most-disagreed items when none has two levels apart."""
    if agreement.overall.items == 0:
        return "No item has levels from two raters yet, so there is nothing to compare."
    return "Every item the raters rated got the same level from each of them."


def alpha_text(agreement: Agreement) -> str:
    """Krippendorff's alpha with 2 decimals, or why there is none."""
    return agreement.alpha_missing if agreement.alpha is None else f"{agreement.alpha:.2f}"


def level_words(rubric: Rubric, value: AnswerValue) -> str:
    """A rater's answer to a rating item as a short text: `3`, `N/A` or `—`."""
    if not is_answered(value):
        return NONE
    if is_na(value):
        return "N/A"
    level = rubric.scale.rating_value(value)
    return NONE if level is None else _number(level)


def range_words(spread: ItemSpread) -> str:
    """The item's range: `1–4 (3 steps apart)`, or the one level given."""
    if spread.lowest is None or spread.highest is None:
        return NONE
    if spread.lowest == spread.highest:
        return _number(spread.lowest)
    steps = spread.steps or 0
    return (
        f"{_number(spread.lowest)}–{_number(spread.highest)} "
        f"({steps} step{'s' if steps != 1 else ''} apart)"
    )


def _number(value: Number) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


AGREEMENT_HEADINGS = [
    "Scope",
    "ID",
    "Title",
    "Raters",
    "Items compared",
    "Same level (%)",
    "Within one level (%)",
    "Krippendorff's alpha (ordinal)",
    "Why no alpha",
]


def agreement_tab(rubric: Rubric, agreement: TeamAgreement) -> Tab:
    """The sheet copy's Team agreement tab: the figures per scope, then the items the raters
    disagreed on most with each rater's level. The import ignores it (an extra tab)."""
    rows: Rows = [
        [TEAM_AGREEMENT_TAB],
        [
            "How much the raters agreed before the team agreed these answers. This tab is "
            "written on export and not read on import."
        ],
        [f"Raters: {', '.join(agreement.raters)}"],
        [],
        list(AGREEMENT_HEADINGS),
    ]
    heading_rows = [1, 5]
    for row in agreement_rows(rubric, agreement):
        a = row.agreement
        rows.append(
            [
                row.scope,
                row.id,
                row.title,
                a.raters,
                a.items,
                _percent_number(a.exact),
                _percent_number(a.within_one),
                None if a.alpha is None else round(a.alpha, 3),
                a.alpha_missing if a.alpha is None else None,
            ]
        )
    spreads = disagreed(agreement)
    rows.append([])
    rows.append(["Items the raters disagreed on most"])
    heading_rows.append(len(rows))
    if spreads:
        rows.append(["Item", "Standard", "Range", *agreement.raters])
        heading_rows.append(len(rows))
        for spread in spreads:
            levels = dict(spread.answers)
            rows.append(
                [
                    spread.item_id,
                    spread.standard_id,
                    range_words(spread),
                    *(level_words(rubric, levels.get(r)) for r in agreement.raters),
                ]
            )
    else:
        rows.append([no_disagreement(agreement)])
    return Tab(
        TEAM_AGREEMENT_TAB,
        rows,
        bold_rows=heading_rows,
        frozen_rows=0,
        widths=[12, 12, 48, 9, 10, 12, 12, 14, 40],
    )


def _percent_number(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)
