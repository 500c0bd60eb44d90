"""The sheet-copy layout: a self-study as tabs of rows, and tabs of rows as a self-study.

Every input format (xlsx, a folder of CSV files, a Google Sheet) first becomes
one plain structure, `Sheets = dict[tab title, list of rows]`, and only then is
interpreted here, as `sheet-copy-format.md` says. Export goes the other way:
`layout()` turns a study and its rubric into `Tab`s (rows plus the hints a
spreadsheet needs: frozen rows, widths, dropdowns, links), which the edges
(`workbooks`, `gsheets`) write out.

Cell values round-trip exactly under these rules, which the edges rely on:

* a rating is written as its scale label, N/A as `N/A`;
* a multichoice answer is its options joined by `"; "`; on import the cell is
  split on `;` or `,` by matching the item's options, so an option that itself
  holds a comma or a semicolon still comes back whole;
* a number answer is written as a number cell when the cell gives it back
  exactly (an `int`, or a `float` that is not whole), otherwise as text
  (`"3.0"`, a 17-digit integer); on import a whole number cell is an `int`, and
  text is read with `int()` first, then `float()`;
* text is written as it is: the edges keep it from ever being a formula.

An answer with no value, evidence or notes is the same as no answer: it is
not written as anything and does not come back.

`read_study_source` is the one function here that touches files; it hands the
reading to `selfstudy.workbooks` and the rubric lookup to `selfstudy.catalog`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from selfstudy.problems import Problem, ProblemsFound, errors
from selfstudy.rubric import NA, Dimension, Item, Number, Rubric
from selfstudy.scoring import STATUS_LABELS, Result, score
from selfstudy.study import Answer, AnswerValue, Program, RubricRef, SelfStudy, is_answered

Cell = str | int | float | bool | None
Rows = list[list[Cell]]
Sheets = dict[str, Rows]

START_HERE = "START HERE"
SUMMARY = "SUMMARY"
HEADER_SEARCH_ROWS = 15
EXCEL_TITLE_LIMIT = 31
SHEETS_TITLE_LIMIT = 100
MULTICHOICE_SEPARATOR = "; "
NA_SPELLINGS = ("n/a", "na", "not applicable", "n.a.", "n. a.")

# Column key -> accepted header names; the first one is what export writes.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("ID", "Item ID", "Indicator ID"),
    "standard": ("Standard", "Quality standard"),
    "indicator": ("Indicator", "Item", "Question"),
    "rating": ("Rating", "Score", "Level"),
    "evidence": ("Evidence", "Evidence / examples"),
    "notes": ("Notes", "Next steps", "Notes / next steps"),
}
COLUMN_WIDTHS = {
    "id": 10,
    "standard": 12,
    "indicator": 70,
    "rating": 18,
    "evidence": 45,
    "notes": 40,
}

# START HERE label -> Program field.
PROGRAM_LABELS: dict[str, str] = {
    "Program name": "name",
    "Program ID": "id",
    "Organization": "organization",
    "Cohort": "cohort",
    "Round": "round",
    "Completed on": "completed_on",
    "Completed by": "completed_by",
}
RUBRIC_LABEL = "Rubric"
RUBRIC_VERSION_LABEL = "Rubric version"
# Program fields beyond the labels above are written as `Program field: <key>` rows.
EXTRA_FIELD_PREFIX = "Program field:"

_EXCEL_FORBIDDEN_IN_TITLES = re.compile(r"[\[\]:*?/\\]")
_NUMBERING = re.compile(r"^\s*\d+\s*(?:[.):-]\s*|\s+)")
_NUMBER_AND_LABEL = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:[-–—:.)=]\s*|\s+)(.+)$")
_LABEL_AND_NUMBER = re.compile(r"^\s*(.+?)\s*\(\s*([-+]?\d+(?:\.\d+)?)\s*\)\s*$")  # Established (3)
_NUMBER_IN_TEXT = re.compile(r"[-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?")
_EXACT_FLOAT_LIMIT = 2**53


def normalize(text: Cell) -> str:
    """Case-folded text with runs of whitespace collapsed: how names are compared."""
    return " ".join(str(text).split()).casefold() if text is not None else ""


_ALIAS_TO_COLUMN = {normalize(name): key for key, names in COLUMN_ALIASES.items() for name in names}


def a1(tab: str, row: int, column: int | None = None) -> str:
    """A cell (or a whole tab when `column` is None) in A1 notation, 1-based."""
    quoted = "'" + tab.replace("'", "''") + "'"
    if column is None:
        return quoted
    return f"{quoted}!{column_letter(column)}{row}"


def column_letter(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "")


def cell_text(cell: Cell) -> str:
    """A cell as text: whole numbers without `.0`, blanks as ``."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < _EXACT_FLOAT_LIMIT:
        return str(int(cell))
    return str(cell)


# --- export: study -> tabs ------------------------------------------------------------


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
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    bold_rows: list[int] = field(default_factory=list)
    wrap: bool = False


def dimension_tab_title(index: int, dimension: Dimension, limit: int = EXCEL_TITLE_LIMIT) -> str:
    """`1. Program Goals`, cut to `limit` characters with `…` (Excel allows 31)."""
    title = f"{index}. " + " ".join(_EXCEL_FORBIDDEN_IN_TITLES.sub(" ", dimension.title).split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


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
    tabs.append(_summary_tab(rubric, study, score(rubric, answers)))
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


def export_value(rubric: Rubric, item: Item, value: AnswerValue) -> Cell:
    """What goes in the Rating cell for this answer (see the module doc for the rules)."""
    if not is_answered(value):
        return None
    if item.is_rating and isinstance(value, int | float) and value in rubric.scale.values:
        return rubric.scale.label_of(value)
    if isinstance(value, list):
        return MULTICHOICE_SEPARATOR.join(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value if abs(value) < _EXACT_FLOAT_LIMIT else str(value)
    if isinstance(value, float):
        exact = math.isfinite(value) and not value.is_integer() and float(f"{value:.15g}") == value
        return value if exact else repr(value)
    return value


def _summary_tab(rubric: Rubric, study: SelfStudy | None, result: Result) -> Tab:
    def level(x: float | None) -> Cell:
        return None if x is None else round(x, 2)

    overall = result.overall
    rows: Rows = [
        [f"Summary: {study.program.name if study else rubric.title}"],
        ["Written by the app from the answers; edits here are ignored on import."],
        [],
        ["Overall", "Mean level", "Percent", "Target", "Gap", "Status", "Completeness"],
        [
            "All dimensions",
            level(overall.mean_level),
            None if overall.percent is None else round(overall.percent, 1),
            overall.target,
            level(overall.gap),
            STATUS_LABELS[overall.status],
            f"{result.completeness:.0%} ({result.answered} of {result.required})",
        ],
        [],
        ["Dimension", "Mean level", "Percent", "Target", "Gap", "Status", "Answered"],
    ]
    bold = [1, 4, 7]
    for d in result.dimensions:
        rows.append(
            [
                d.title,
                level(d.score.mean_level),
                None if d.score.percent is None else round(d.score.percent, 1),
                d.score.target,
                level(d.score.gap),
                STATUS_LABELS[d.score.status],
                f"{d.answered} of {d.required}",
            ]
        )
    rows += [[], ["Standard", "Title", "Mean level", "Target", "Gap", "Status", "Priority"]]
    bold.append(len(rows))
    rank = {sid: n for n, sid in enumerate(result.priorities, 1)}
    for s in result.standards:
        rows.append(
            [
                s.id,
                s.title,
                level(s.score.mean_level),
                s.score.target,
                level(s.score.gap),
                STATUS_LABELS[s.score.status],
                rank.get(s.id),
            ]
        )
    rows += [[], ["Priorities (largest gap first) and resources"]]
    bold.append(len(rows))
    links: dict[tuple[int, int], str] = {}
    if not result.priorities:
        rows.append(["No standard is below its target."])
    for n, sid in enumerate(result.priorities, 1):
        standard = rubric.standard_by_id[sid]
        rows.append([f"{n}. {sid}", standard.title, f"gap {result.standard(sid).score.gap:.2f}"])
        for resource in standard.resources:
            rows.append([None, resource.title, resource.url])
            if resource.url:
                links[(len(rows), 3)] = resource.url
    return Tab(
        SUMMARY,
        rows,
        frozen_rows=0,
        widths=[26, 60, 14, 10, 10, 14, 16],
        links=links,
        bold_rows=bold,
    )


# --- import: tabs -> study -------------------------------------------------------------


@dataclass(frozen=True)
class ItemCells:
    """Where an item's cells are in a copy (1-based; a column is None when absent)."""

    tab: str
    row: int
    rating: int
    evidence: int | None
    notes: int | None


@dataclass
class ImportResult:
    """What a sheet copy holds: the study (None when any problem is an error) and every problem."""

    study: SelfStudy | None
    problems: list[Problem]
    cells: dict[str, ItemCells] = field(default_factory=dict)
    program_cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.study is not None

    def raise_on_errors(self) -> SelfStudy:
        if self.study is None:
            raise ProblemsFound(self.problems)
        return self.study


def copy_rubric_ref(sheets: Sheets) -> tuple[str | None, str | None]:
    """The rubric id and version the copy names on START HERE (None where it does not)."""
    tab = _find_start_here(sheets)
    if tab is None:
        return None, None
    fields = _label_rows(sheets[tab])
    rubric_id = fields.get(normalize(RUBRIC_LABEL))
    version = fields.get(normalize(RUBRIC_VERSION_LABEL))
    return (
        cell_text(rubric_id[1]).strip() or None if rubric_id else None,
        cell_text(version[1]).strip() or None if version else None,
    )


def parse_sheet_copy(sheets: Sheets, rubric: Rubric) -> ImportResult:
    """Interpret a sheet copy against `rubric`, collecting every problem."""
    problems: list[Problem] = []
    program = _read_start_here(sheets, rubric, problems)
    program_cells = _program_cells(sheets)
    tabs = _match_dimension_tabs(sheets, rubric, problems)
    answers: dict[str, Answer] = {}
    cells: dict[str, ItemCells] = {}
    seen: dict[str, str] = {}
    readable = [
        (dimension, tabs[dimension.id])
        for dimension in rubric.dimensions
        if dimension.id in tabs
        and _read_dimension_tab(
            tabs[dimension.id],
            sheets[tabs[dimension.id]],
            rubric,
            dimension,
            answers,
            cells,
            seen,
            problems,
        )
    ]
    for dimension, title in readable:
        for standard in dimension.standards:
            for item in standard.items:
                if item.id not in seen:
                    problems.append(
                        Problem(
                            "missing-item",
                            a1(title, 1),
                            f"no row for {item.id} ({_clip(item.text)}); it is left unanswered. "
                            "Add a row with this ID to answer it",
                            severity="warning",
                        )
                    )
    if errors(problems) or program is None:
        return ImportResult(None, problems, cells, program_cells)
    ordered = {item.id: answers[item.id] for item in rubric.items() if item.id in answers}
    study = SelfStudy(
        rubric=RubricRef(id=rubric.id, version=rubric.version), program=program, answers=ordered
    )
    return ImportResult(study, problems, cells, program_cells)


def study_from_sheets(sheets: Sheets, rubric: Rubric) -> SelfStudy:
    """`parse_sheet_copy`, raising `ProblemsFound` when any problem is an error."""
    return parse_sheet_copy(sheets, rubric).raise_on_errors()


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# START HERE ---------------------------------------------------------------------------


def _find_start_here(sheets: Sheets) -> str | None:
    return next((t for t in sheets if normalize(t) == normalize(START_HERE)), None)


def _label_rows(rows: Rows) -> dict[str, tuple[int, Cell]]:
    """Normalized label -> (1-based row, value) for the first row with each label."""
    found: dict[str, tuple[int, Cell]] = {}
    for number, row in enumerate(rows, 1):
        if not row or is_blank(row[0]):
            continue
        label = normalize(row[0]).rstrip(":").rstrip()
        found.setdefault(label, (number, row[1] if len(row) > 1 else None))
    return found


def _extra_fields(rows: Rows) -> dict[str, str]:
    """Program fields beyond the standard labels, from `Program field: <key>` rows."""
    prefix = normalize(EXTRA_FIELD_PREFIX)
    found: dict[str, str] = {}
    for row in rows:
        if not row or is_blank(row[0]) or not normalize(row[0]).startswith(prefix):
            continue
        key = str(row[0]).split(":", 1)[1].strip().rstrip(":").strip()
        value = row[1] if len(row) > 1 else None
        if key and key not in PROGRAM_LABELS.values() and not is_blank(value):
            found.setdefault(key, cell_text(value))
    return found


def _program_cells(sheets: Sheets) -> dict[str, tuple[str, int, int]]:
    """Program field -> (tab, row, column) of its value cell on START HERE."""
    tab = _find_start_here(sheets)
    if tab is None:
        return {}
    fields = _label_rows(sheets[tab])
    return {
        key: (tab, fields[normalize(label)][0], 2)
        for label, key in PROGRAM_LABELS.items()
        if normalize(label) in fields
    }


def existing_tabs(
    layout_tabs: Iterable[Tab], titles: Iterable[str], rubric: Rubric
) -> dict[str, str]:
    """Layout tab title -> the title of the tab already in a copy that plays its part."""
    titles = list(titles)
    found: dict[str, str] = {}
    for tab in layout_tabs:
        if normalize(tab.title) in (normalize(START_HERE), normalize(SUMMARY)):
            match = next((t for t in titles if normalize(t) == normalize(tab.title)), None)
        else:
            dimension = _dimension_for_tab(tab.title, rubric)
            match = next(
                (t for t in titles if dimension and _dimension_for_tab(t, rubric) == dimension),
                None,
            )
        if match is not None:
            found[tab.title] = match
    return found


def _read_start_here(sheets: Sheets, rubric: Rubric, problems: list[Problem]) -> Program | None:
    tab = _find_start_here(sheets)
    if tab is None:
        problems.append(
            Problem(
                "missing-tab",
                a1(START_HERE, 1),
                f"no {START_HERE!r} tab; add it back from a blank template, with the "
                "program name in column B next to 'Program name'",
            )
        )
        return None
    fields = _label_rows(sheets[tab])
    _check_rubric_rows(tab, fields, rubric, problems)
    program: dict[str, Any] = {}
    for label, key in PROGRAM_LABELS.items():
        value = fields.get(normalize(label))
        if value is not None and not is_blank(value[1]):
            program[key] = cell_text(value[1])
    for key, value in _extra_fields(sheets[tab]).items():
        program.setdefault(key, value)
    if "name" not in program:
        where = fields.get(normalize("Program name"))
        problems.append(
            Problem(
                "missing-program-name",
                a1(tab, where[0], 2) if where else a1(tab, 1),
                "the program name is missing; write it in column B of the 'Program name' row",
            )
        )
        return None
    return Program(**program)


def _check_rubric_rows(
    tab: str, fields: dict[str, tuple[int, Cell]], rubric: Rubric, problems: list[Problem]
) -> None:
    named = fields.get(normalize(RUBRIC_LABEL))
    if named and not is_blank(named[1]) and cell_text(named[1]).strip() != rubric.id:
        problems.append(
            Problem(
                "rubric-mismatch",
                a1(tab, named[0], 2),
                f"this copy is for rubric {cell_text(named[1]).strip()!r}, not {rubric.id!r}; "
                "import it with the rubric it names (--rubric), or correct the Rubric row",
            )
        )
        return
    version = fields.get(normalize(RUBRIC_VERSION_LABEL))
    if version and not is_blank(version[1]) and cell_text(version[1]).strip() != rubric.version:
        problems.append(
            Problem(
                "rubric-version-mismatch",
                a1(tab, version[0], 2),
                f"this copy is for version {cell_text(version[1]).strip()!r} of {rubric.id!r}, "
                f"the chosen rubric is version {rubric.version!r}; import it with the version "
                "it names, or correct the Rubric version row if the copy was made from this one",
            )
        )


# Tabs ---------------------------------------------------------------------------------


def _tab_name_forms(title: str) -> tuple[list[str], bool]:
    """The names a tab title may stand for, and whether it looks cut short."""
    base = normalize(_EXCEL_FORBIDDEN_IN_TITLES.sub(" ", title))
    clipped = base.endswith("…") or len(title) in (EXCEL_TITLE_LIMIT, SHEETS_TITLE_LIMIT)
    base = base.rstrip("…").strip()
    forms = [base, normalize(_NUMBERING.sub("", base, count=1))]
    if " - " in base:  # "Copy of template - 1. Program Goals.csv", as Google names downloads
        tail = base.rsplit(" - ", 1)[1]
        forms += [tail, normalize(_NUMBERING.sub("", tail, count=1))]
    return [f for f in forms if f], clipped


def _dimension_for_tab(title: str, rubric: Rubric) -> Dimension | None:
    forms, clipped = _tab_name_forms(title)
    names = {
        d.id: normalize(_EXCEL_FORBIDDEN_IN_TITLES.sub(" ", d.title)) for d in rubric.dimensions
    }
    for form in forms:
        exact = [d for d in rubric.dimensions if names[d.id] == form]
        if exact:
            return exact[0]
    if clipped:
        for form in forms:
            prefixed = [d for d in rubric.dimensions if names[d.id].startswith(form)]
            if len(prefixed) == 1:
                return prefixed[0]
    return None


def _match_dimension_tabs(
    sheets: Sheets, rubric: Rubric, problems: list[Problem]
) -> dict[str, str]:
    """Dimension id -> tab title; reports extra, doubled and missing tabs."""
    found: dict[str, str] = {}
    for title in sheets:
        if normalize(title) in (normalize(START_HERE), normalize(SUMMARY)):
            continue
        dimension = _dimension_for_tab(title, rubric)
        if dimension is None and not any(not is_blank(c) for row in sheets[title] for c in row):
            continue  # an empty tab, such as the Sheet1 of a new Google Sheet
        if dimension is None:
            problems.append(
                Problem(
                    "extra-tab",
                    a1(title, 1),
                    "this tab is not a dimension of the rubric and is ignored; rename it to a "
                    "dimension title if it holds answers",
                    severity="warning",
                )
            )
        elif dimension.id in found:
            problems.append(
                Problem(
                    "duplicate-tab",
                    a1(title, 1),
                    f"a second tab for {dimension.title!r} (the first is {found[dimension.id]!r}); "
                    "keep one and delete or rename the other",
                )
            )
        else:
            found[dimension.id] = title
    for index, dimension in enumerate(rubric.dimensions, 1):
        if dimension.id not in found:
            problems.append(
                Problem(
                    "missing-tab",
                    a1(dimension_tab_title(index, dimension), 1),
                    f"no tab for the dimension {dimension.title!r}; add it back from a blank "
                    f"template, titled {dimension_tab_title(index, dimension)!r} or "
                    f"{dimension.title!r}",
                )
            )
    return found


# Dimension tabs -----------------------------------------------------------------------


def _find_header(rows: Rows) -> int | None:
    """0-based index of the first row, within the first 15, with an ID and a Rating cell."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = {_ALIAS_TO_COLUMN.get(normalize(cell)) for cell in row}
        if {"id", "rating"} <= keys:
            return index
    return None


def _header_columns(
    title: str, row: list[Cell], line: int, problems: list[Problem]
) -> dict[str, int]:
    """Column key -> 0-based column; reports doubled and extra columns."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        if is_blank(cell):
            continue
        key = _ALIAS_TO_COLUMN.get(normalize(cell))
        where = a1(title, line, index + 1)
        if key is None:
            problems.append(
                Problem(
                    "extra-column",
                    where,
                    f"the column {cell_text(cell)!r} is not part of the layout and is ignored",
                    severity="warning",
                )
            )
        elif key in columns:
            problems.append(
                Problem(
                    "duplicate-column",
                    where,
                    f"a second {COLUMN_ALIASES[key][0]!r} column (the first is column "
                    f"{column_letter(columns[key] + 1)}); keep one and rename or delete the other",
                )
            )
        else:
            columns[key] = index
    return columns


def _read_dimension_tab(
    title: str,
    rows: Rows,
    rubric: Rubric,
    dimension: Dimension,
    answers: dict[str, Answer],
    cells: dict[str, ItemCells],
    seen: dict[str, str],
    problems: list[Problem],
) -> bool:
    """Read one dimension tab into `answers`; False when it has no header row."""
    header = _find_header(rows)
    if header is None:
        problems.append(
            Problem(
                "no-header-row",
                a1(title, 1, 1),
                f"no header row in the first {HEADER_SEARCH_ROWS} rows; add a row with an 'ID' "
                "and a 'Rating' column heading above the items",
            )
        )
        return False
    columns = _header_columns(title, rows[header], header + 1, problems)
    by_folded_id = {i.id.casefold(): i for i in rubric.items()}
    own_items = {i.id for s in dimension.standards for i in s.items}

    def get(row: list[Cell], key: str) -> Cell:
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    for number, row in enumerate(rows[header + 1 :], header + 2):
        raw_id, raw_value = get(row, "id"), get(row, "rating")
        if is_blank(raw_id) and is_blank(raw_value):
            continue
        if is_blank(raw_value) and len(cell_text(raw_id).split()) > 1:
            continue  # a section heading written in the ID column: IDs hold no spaces
        id_cell = a1(title, number, columns["id"] + 1)
        rating_cell = a1(title, number, columns["rating"] + 1)
        if is_blank(raw_id):
            problems.append(
                Problem(
                    "missing-id",
                    id_cell,
                    f"a rating ({cell_text(raw_value)!r}) with no ID; write the item's ID in this "
                    "cell, or clear the rating",
                )
            )
            continue
        item = by_folded_id.get(cell_text(raw_id).strip().casefold())
        if item is None:
            problems.append(
                Problem(
                    "unknown-id",
                    id_cell,
                    f"{cell_text(raw_id).strip()!r} is not an item ID of {rubric.id!r}; "
                    "correct it from a blank template, or clear the row",
                )
            )
            continue
        if item.id in seen:
            problems.append(
                Problem(
                    "duplicate-id",
                    id_cell,
                    f"{item.id} appears twice (first at {seen[item.id]}); keep one row and "
                    "delete the other",
                )
            )
            continue
        seen[item.id] = id_cell
        if item.id not in own_items:
            owner = rubric.dimension_of_standard[rubric.standard_of_item[item.id].id]
            problems.append(
                Problem(
                    "item-in-other-tab",
                    id_cell,
                    f"{item.id} belongs to {owner.title!r}; it is imported, but move the row "
                    "to that tab to keep the copy tidy",
                    severity="warning",
                )
            )
        cells[item.id] = ItemCells(
            title,
            number,
            columns["rating"] + 1,
            columns["evidence"] + 1 if "evidence" in columns else None,
            columns["notes"] + 1 if "notes" in columns else None,
        )
        value = read_value(rubric, item, raw_value, rating_cell, problems)
        answer = Answer(
            value=value,
            evidence=_free_text(get(row, "evidence")),
            notes=_free_text(get(row, "notes")),
        )
        if is_answered(answer.value) or answer.evidence or answer.notes:
            answers[item.id] = answer
    return True


def _free_text(cell: Cell) -> str:
    return cell_text(cell)


# Values -------------------------------------------------------------------------------


def read_value(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    """The answer a Rating cell holds for `item`; a problem is added when it cannot be read."""
    if is_blank(cell):
        return None
    reader = {
        "rating": _read_rating,
        "text": _read_text,
        "choice": _read_choice,
        "multichoice": _read_multichoice,
        "number": _read_number,
    }[item.type]
    return reader(rubric, item, cell, where, problems)


def _read_rating(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    scale = rubric.scale
    if isinstance(cell, str) and normalize(cell) in NA_SPELLINGS:
        if scale.allow_na:
            return NA
        problems.append(
            Problem(
                "na-not-allowed",
                where,
                "this rubric does not allow N/A; choose a rating or clear the cell",
            )
        )
        return None
    value = _rating_from_cell(rubric, cell)
    if value is None:
        choices = ", ".join(f"{lv.label} ({cell_text(lv.value)})" for lv in scale.levels)
        problems.append(
            Problem(
                "bad-rating",
                where,
                f"{cell_text(cell).strip()!r} is not a rating on this scale; choose one of "
                f"{choices}" + (" or N/A" if scale.allow_na else ""),
            )
        )
    return value


def _rating_from_cell(rubric: Rubric, cell: Cell) -> Number | None:
    scale = rubric.scale
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return scale.rating_value(cell)
    text = str(cell).strip()
    by_label = scale.rating_value(text)
    if by_label is not None:
        return by_label
    number = _parse_number(text)
    if number is not None:
        return scale.rating_value(number)
    for pattern, number_group, label_group in (
        (_NUMBER_AND_LABEL, 1, 2),
        (_LABEL_AND_NUMBER, 2, 1),
    ):
        both = pattern.match(text)
        if both:
            from_number = scale.rating_value(_parse_number(both.group(number_group)))
            if from_number is not None and from_number == scale.rating_value(
                both.group(label_group)
            ):
                return from_number
    return None


def _read_text(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    return cell_text(cell)


def _read_choice(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    wanted = normalize(cell_text(cell))
    match = next((o for o in item.options or [] if normalize(o) == wanted), None)
    if match is None:
        problems.append(
            Problem(
                "bad-choice",
                where,
                f"{cell_text(cell).strip()!r} is not one of the options for {item.id}; "
                f"choose one of: {'; '.join(item.options or [])}",
            )
        )
    return match


def _read_multichoice(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    options = item.options or []
    chosen = split_options(cell_text(cell), options)
    if chosen is None:
        pieces = [p.strip() for p in re.split(r"[;,]", cell_text(cell)) if p.strip()]
        unknown = [p for p in pieces if normalize(p) not in {normalize(o) for o in options}]
        problems.append(
            Problem(
                "bad-choice",
                where,
                f"{'; '.join(repr(p) for p in unknown) or cell_text(cell)!r} not among the options "
                f"for {item.id}; choose from: {'; '.join(options)}, separated by ';'",
            )
        )
    return chosen


def split_options(text: str, options: list[str]) -> list[str] | None:
    """The options named in `text`, separated by `;` or `,`, or None when it cannot be split.

    Options are matched whole (case and spacing ignored) before any separator
    is considered, so an option such as `Financial aid, FAFSA help` survives.
    """
    folded = [(normalize(o), o) for o in options]
    text = normalize(text)

    def walk(rest: str) -> list[str] | None:
        rest = rest.strip()
        if not rest:
            return []
        for key, option in sorted(folded, key=lambda pair: -len(pair[0])):
            if rest.startswith(key):
                after = rest[len(key) :].lstrip()
                if after == "" or after[0] in ";,":
                    tail = walk(after[1:]) if after else []
                    if tail is not None:
                        return [option, *tail]
        return None

    return walk(text)


def _read_number(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    if isinstance(cell, bool):
        number = None
    elif isinstance(cell, int | float):
        number = int(cell) if isinstance(cell, float) and cell.is_integer() else cell
    else:
        number = _parse_number(str(cell).strip())
        if number is None:
            found = _NUMBER_IN_TEXT.findall(str(cell))
            if len(found) == 1:
                number = _parse_number(found[0].replace(",", ""))
                problems.append(
                    Problem(
                        "number-trimmed",
                        where,
                        f"{item.id} takes a number; read {cell_text(cell).strip()!r} as "
                        f"{number!r}. Write only the number to silence this warning",
                        severity="warning",
                    )
                )
    if number is None:
        problems.append(
            Problem(
                "bad-number",
                where,
                f"{item.id} takes a number, got {cell_text(cell).strip()!r}; write a number "
                "such as 120, or clear the cell",
            )
        )
    return number


def _parse_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# --- sources on disk ---------------------------------------------------------------------

JSON_SUFFIX = ".json"
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def is_csv_copy_folder(path: Path) -> bool:
    """A folder holding a sheet copy as CSV files, one per tab.

    That is a folder with a `START HERE.csv`, or with CSV files and no other
    sheet copies (.xlsx, .json) beside them.
    """
    if not path.is_dir():
        return False
    suffixes = {p.suffix.lower() for p in path.iterdir() if not p.name.startswith(("~$", "."))}
    has_start = any(normalize(p.stem) == normalize(START_HERE) for p in path.glob("*.csv"))
    return has_start or (".csv" in suffixes and not suffixes & {JSON_SUFFIX, *XLSX_SUFFIXES})


def discover_sources(paths: Iterable[Path]) -> list[Path]:
    """The self-study sources named by `paths`, with folders expanded.

    A folder holding CSV files is one source (a sheet copy as CSV); any other
    folder is searched for `*.json`, `*.xlsx` and CSV sub-folders. Office lock
    files (`~$copy.xlsx`) and hidden files are skipped.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and not is_csv_copy_folder(path):
            for child in sorted(path.iterdir()):
                if child.name.startswith(("~$", ".")):
                    continue
                if child.is_dir():
                    found += discover_sources([child]) if is_csv_copy_folder(child) else []
                elif child.suffix.lower() in (JSON_SUFFIX, *XLSX_SUFFIXES):
                    found.append(child)
        else:
            found.append(path)
    return found


def read_sheet_copy(path: Path, rubric: Rubric | None = None) -> ImportResult:
    """Read a `.json` self-study, an `.xlsx` copy or a CSV folder, with every problem.

    Problem locations are prefixed with the file (`copy.xlsx: '1. Program Goals'!D7`).
    """
    from selfstudy import workbooks
    from selfstudy.catalog import find_rubric
    from selfstudy.study import check_study, load_study

    source = str(path)
    try:
        if path.suffix.lower() == JSON_SUFFIX and path.is_file():
            study = load_study(path)
            rubric = rubric or find_rubric(study.rubric.id, study.rubric.version)
            problems = check_study(study, rubric, source)
            return ImportResult(None if errors(problems) else study, problems)
        sheets = workbooks.read_sheets(path)
        if rubric is None:
            rubric = _rubric_named_in(sheets)
    except ProblemsFound as exc:
        return ImportResult(None, [_in_file(p, source) for p in exc.problems])
    result = parse_sheet_copy(sheets, rubric)
    result.problems = [_in_file(p, source) for p in result.problems]
    return result


def read_study_source(path: Path, rubric: Rubric | None = None) -> SelfStudy:
    """The self-study in a `.json` file, an `.xlsx` copy or a CSV folder; raises `ProblemsFound`."""
    return read_sheet_copy(Path(path), rubric).raise_on_errors()


def _rubric_named_in(sheets: Sheets) -> Rubric:
    from selfstudy.catalog import find_rubric

    rubric_id, version = copy_rubric_ref(sheets)
    if rubric_id is None:
        raise ProblemsFound(
            [
                Problem(
                    "missing-rubric",
                    a1(START_HERE, 1),
                    "the copy does not name its rubric (no 'Rubric' row on START HERE); "
                    "choose the rubric with --rubric, or add the row",
                )
            ]
        )
    return find_rubric(rubric_id, version)


def _in_file(problem: Problem, source: str) -> Problem:
    if problem.location.startswith(source):
        return problem
    return replace(problem, location=f"{source}: {problem.location}")


def export_xlsx(study: SelfStudy | None, rubric: Rubric, target: Any) -> None:
    """Write the sheet copy as .xlsx to a path or a binary buffer (see `workbooks`)."""
    from selfstudy import workbooks

    workbooks.export_xlsx(study, rubric, target)


def export_csv(study: SelfStudy | None, rubric: Rubric, folder: Path) -> list[Path]:
    """Write the sheet copy as one CSV file per tab into `folder` (see `workbooks`)."""
    from selfstudy import workbooks

    return workbooks.export_csv(study, rubric, folder)
