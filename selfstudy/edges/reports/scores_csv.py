"""The scores of one self-study as CSV: one row for the whole, each dimension and each standard.

A machine output: levels, percents and gaps stay numbers (with fixed decimals),
not the words the screens use. For a team self-study whose consensus step is open,
each row also says how much the raters agreed on it (`TEAM_COLUMNS`), beside the
team's consensus scores; a single study's CSV has only `CSV_COLUMNS`.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import Result, Score
from selfstudy.core.study import SelfStudy
from selfstudy.core.wording import STATUS_LABELS
from selfstudy.edges.reports.team_figures import agreement_rows

if TYPE_CHECKING:
    from selfstudy.core.agreement import Agreement, TeamAgreement

CSV_COLUMNS = [
    "program",
    "round",
    "scope",
    "id",
    "dimension",
    "title",
    "mean_level",
    "percent",
    "status",
    "status_label",
    "target",
    "gap",
    "answered",
    "required",
]
TEAM_COLUMNS = [
    "raters",
    "items_compared",
    "exact_agreement_percent",
    "within_one_percent",
    "krippendorff_alpha",
    "alpha_missing",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def scores_csv(
    rubric: Rubric, study: SelfStudy, result: Result, agreement: TeamAgreement | None = None
) -> str:
    """One row for the whole, each dimension and each standard, in rubric order.

    Levels have 2 decimals and percents 1, as in `selfstudy score --format json`.
    Text cells that a spreadsheet would run as a formula get a leading `'`
    (the OWASP CSV-injection guidance); numbers are written as numbers. With a team's
    `agreement`, each row ends with its `TEAM_COLUMNS` (alpha with 3 decimals, or blank
    with the reason in `alpha_missing`).
    """
    about = [safe_text(study.program.name), safe_text(study.program.round or "")]
    rows = [
        _csv_row(
            "overall", "overall", "", "Overall", result.overall, result.answered, result.required
        )
    ]
    rows += [
        _csv_row("dimension", d.id, d.id, d.title, d.score, d.answered, d.required)
        for d in result.dimensions
    ]
    rows += [
        _csv_row("standard", s.id, s.dimension, s.title, s.score, s.answered, s.required)
        for s in result.standards
    ]
    header = CSV_COLUMNS
    if agreement is not None:
        header = CSV_COLUMNS + TEAM_COLUMNS
        figures = {(r.scope, r.id): r.agreement for r in agreement_rows(rubric, agreement)}
        keys = [("overall", "overall")]
        keys += [("dimension", d.id) for d in result.dimensions]
        keys += [("standard", s.id) for s in result.standards]
        rows = [row + team_cells(figures[key]) for row, key in zip(rows, keys, strict=True)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([*about, *row] for row in rows)
    return buffer.getvalue()


def _csv_row(
    scope: str, row_id: str, dimension: str, title: str, score: Score, answered: int, required: int
) -> list[Any]:
    return [
        scope,
        safe_text(row_id),
        safe_text(dimension),
        safe_text(title),
        _fixed(score.mean_level, 2),
        _fixed(score.percent, 1),
        score.status,
        STATUS_LABELS[score.status],
        score.target,
        _fixed(score.gap, 2),
        answered,
        required,
    ]


def team_cells(agreement: Agreement) -> list[Any]:
    """An agreement's `TEAM_COLUMNS` cells, as every CSV of a team's figures writes them."""
    return [
        agreement.raters,
        agreement.items,
        _fixed(None if agreement.exact is None else agreement.exact * 100, 1),
        _fixed(None if agreement.within_one is None else agreement.within_one * 100, 1),
        _fixed(agreement.alpha, 3),
        agreement.alpha_missing if agreement.alpha is None else "",
    ]


def _fixed(value: float | None, digits: int) -> str:
    return "" if value is None else f"{round(value, digits):.{digits}f}"


def safe_text(text: str) -> str:
    """Text a spreadsheet would run as a formula, with the OWASP single-quote prefix."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
