"""Export: a study and its rubric as `Tab`s, rows plus the hints a spreadsheet needs
(frozen rows, widths, dropdowns, links), which the edges (`workbooks`, `gsheets`) write out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from selfstudy.core.links import link_target
from selfstudy.core.rubric import NA, Dimension, Item, Rubric
from selfstudy.core.scoring import Result, score
from selfstudy.core.sheetcopy.values import export_value
from selfstudy.core.sheetcopy.vocabulary import (
    COLUMN_ALIASES,
    COLUMN_WIDTHS,
    EXCEL_TITLE_LIMIT,
    EXTRA_FIELD_PREFIX,
    PROGRAM_LABELS,
    RUBRIC_LABEL,
    RUBRIC_VERSION_LABEL,
    START_HERE,
    SUMMARY,
    Cell,
    Rows,
    Sheets,
    cell_text,
    dimension_tab_title,
)
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.core.wording import STATUS_LABELS, gap_text


@dataclass(frozen=True)
class Dropdown:
    """A list validation on some cells (1-based row, column)."""

    cells: list[tuple[int, int]]
    options: list[str]


@dataclass
class Tab:
    """One tab of the layout: its rows and how a spreadsheet should show them."""

    title: str
    rows: Rows
    frozen_rows: int = 0
    widths: list[int] = field(default_factory=list)
    dropdowns: list[Dropdown] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # only `link_target`s
    bold_rows: list[int] = field(default_factory=list)
    wrap: bool = False


def layout(
    rubric: Rubric, study: SelfStudy | None = None, title_limit: int = EXCEL_TITLE_LIMIT
) -> list[Tab]:
    """The sheet copy of `study` (a blank template when None), tab by tab."""
    answers = study.answers if study else {}
    tabs = [_start_here_tab(rubric, study)]
    for index, dimension in enumerate(rubric.dimensions, 1):
        tabs.append(
            _dimension_tab(
                rubric, dimension, dimension_tab_title(index, dimension, title_limit), answers
            )
        )
    tabs.append(summary_tab(rubric, study))
    return tabs


def sheets_of(tabs: Iterable[Tab]) -> Sheets:
    return {tab.title: tab.rows for tab in tabs}


def _start_here_tab(rubric: Rubric, study: SelfStudy | None) -> Tab:
    scale = ", ".join(f"{level.value} {level.label}" for level in rubric.scale.levels)
    rows: Rows = [
        [rubric.title],
        ["How to fill in this copy"],
        ["1. Fill in the program details below (column B). Program name is required."],
        [
            "2. Each numbered tab is one dimension. For each statement, choose a rating "
            "in the Rating column from the dropdown: "
            + scale
            + (", or N/A when it does not apply." if rubric.scale.allow_na else ".")
        ],
        ["3. Write how you know in Evidence, and what to do next in Notes."],
        ["4. Leave the ID column as it is: it ties each row to its statement."],
        [
            "5. You may add rows and columns, reorder rows or rename tabs with a number; "
            "the SUMMARY tab is recomputed by the app and ignored on import."
        ],
        [],
    ]
    program = study.program.model_dump() if study else {}
    for label, key in PROGRAM_LABELS.items():
        rows.append([label, _text_or_none(program.get(key))])
    for key, value in program.items():
        if key not in PROGRAM_LABELS.values():
            rows.append([f"{EXTRA_FIELD_PREFIX} {key}", _text_or_none(value)])
    rows.append([RUBRIC_LABEL, rubric.id])
    rows.append([RUBRIC_VERSION_LABEL, rubric.version])
    rows += [[], ["What the ratings mean"]]
    bold = [1, 2, len(rows)]
    for level in rubric.scale.levels:
        rows.append([f"{level.label} ({cell_text(level.value)})", level.description or None])
    if rubric.scale.allow_na:
        rows.append([NA, "The statement does not apply to this program."])
    return Tab(START_HERE, rows, widths=[24, 90], bold_rows=bold, wrap=True)


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _dimension_tab(
    rubric: Rubric, dimension: Dimension, title: str, answers: dict[str, Answer]
) -> Tab:
    header = [names[0] for names in COLUMN_ALIASES.values()]
    choices = [level.label for level in rubric.scale.levels] + (
        [NA] if rubric.scale.allow_na else []
    )
    rows: Rows = [
        [dimension.title],
        ["Choose a rating for each statement: " + ", ".join(choices) + "."],
        [],
        header,
    ]
    rating_column = header.index("Rating") + 1
    rating_cells: list[tuple[int, int]] = []
    dropdowns: list[Dropdown] = []
    bold = [1, 4]
    for standard in dimension.standards:
        rows.append([None, standard.id, standard.title])
        bold.append(len(rows))
        for item in standard.items:
            answer = answers.get(item.id) or Answer()
            rows.append(
                [
                    item.id,
                    standard.id,
                    _indicator_text(item),
                    export_value(rubric, item, answer.value),
                    answer.evidence or None,
                    answer.notes or None,
                ]
            )
            if item.is_rating:
                rating_cells.append((len(rows), rating_column))
            elif item.type == "choice" and item.options:
                dropdowns.append(Dropdown([(len(rows), rating_column)], list(item.options)))
    dropdowns.insert(0, Dropdown(rating_cells, choices))
    return Tab(
        title,
        rows,
        frozen_rows=4,
        widths=list(COLUMN_WIDTHS.values()),
        dropdowns=dropdowns,
        bold_rows=bold,
        wrap=True,
    )


def _indicator_text(item: Item) -> str:
    if item.type == "choice":
        return f"{item.text} (choose one: {'; '.join(item.options or [])})"
    if item.type == "multichoice":
        return f"{item.text} (choose any, separated by ;: {'; '.join(item.options or [])})"
    if item.type == "number":
        return f"{item.text} (a number)"
    return item.text


SUMMARY_WIDTHS = [26, 60, 14, 10, 10, 14, 16]


def summary_tab(rubric: Rubric, study: SelfStudy | None = None) -> Tab:
    """The SUMMARY tab of `study`: scores, status, gaps, priorities and resources.

    Levels, percents and gaps are numbers in their cells (rounded as in the
    score JSON), so a spreadsheet can compute with them.
    """
    result = score(rubric, study.answers if study else {})
    rows: Rows = [
        [f"Summary: {study.program.name if study else rubric.title}"],
        ["Written by the app from the answers; edits here are ignored on import."],
    ]
    bold = [1]
    sections = [
        (
            ["Overall", "Mean level", "Percent", "Target", "Gap", "Status", "Completeness"],
            [_overall_row(result)],
        ),
        (
            ["Dimension", "Mean level", "Percent", "Target", "Gap", "Status", "Answered"],
            _dimension_rows(result),
        ),
        (
            ["Standard", "Title", "Mean level", "Target", "Gap", "Status", "Priority"],
            _standard_rows(result),
        ),
    ]
    for header, body in sections:
        rows += [[], header]
        bold.append(len(rows))
        rows += body
    rows += [[], ["Priorities (largest gap first) and resources"]]
    bold.append(len(rows))
    priorities, links = _priority_rows(rubric, result, first_row=len(rows) + 1)
    rows += priorities
    return Tab(
        SUMMARY,
        rows,
        frozen_rows=0,
        widths=SUMMARY_WIDTHS,
        links=links,
        bold_rows=bold,
    )


def _rounded(value: float | None, digits: int = 2) -> Cell:
    return None if value is None else round(value, digits)


def _overall_row(result: Result) -> list[Cell]:
    overall = result.overall
    return [
        "All dimensions",
        _rounded(overall.mean_level),
        _rounded(overall.percent, 1),
        overall.target,
        _rounded(overall.gap),
        STATUS_LABELS[overall.status],
        f"{result.completeness:.0%} ({result.answered} of {result.required})",
    ]


def _dimension_rows(result: Result) -> Rows:
    return [
        [
            d.title,
            _rounded(d.score.mean_level),
            _rounded(d.score.percent, 1),
            d.score.target,
            _rounded(d.score.gap),
            STATUS_LABELS[d.score.status],
            f"{d.answered} of {d.required}",
        ]
        for d in result.dimensions
    ]


def _standard_rows(result: Result) -> Rows:
    rank = {sid: n for n, sid in enumerate(result.priorities, 1)}
    return [
        [
            s.id,
            s.title,
            _rounded(s.score.mean_level),
            s.score.target,
            _rounded(s.score.gap),
            STATUS_LABELS[s.score.status],
            rank.get(s.id),
        ]
        for s in result.standards
    ]


def _priority_rows(
    rubric: Rubric, result: Result, first_row: int
) -> tuple[Rows, dict[tuple[int, int], str]]:
    """Each priority then its resources, and the links of those resources' cells.

    `first_row` is the sheet row (from 1) the first of these rows lands on.
    """
    if not result.priorities:
        return [["No standard is below its target."]], {}
    rows: Rows = []
    links: dict[tuple[int, int], str] = {}
    for n, sid in enumerate(result.priorities, 1):
        standard = rubric.standard_by_id[sid]
        rows.append([f"{n}. {sid}", standard.title, gap_text(result.standard(sid).score.gap)])
        for resource in standard.resources:
            rows.append([None, resource.title, resource.url])
            if target := link_target(resource.url):  # a web or mail address, nothing else
                links[(first_row + len(rows) - 1, 3)] = target
    return rows, links
