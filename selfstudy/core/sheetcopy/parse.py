"""Import: a sheet copy's tabs read back into a self-study, with every problem found in
one pass, each located by its tab and cell."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rubric import Dimension, Item, Rubric
from selfstudy.core.sheetcopy.layout import Tab
from selfstudy.core.sheetcopy.values import read_value
from selfstudy.core.sheetcopy.vocabulary import (
    _EXCEL_FORBIDDEN_IN_TITLES,
    COLUMN_ALIASES,
    EXCEL_TITLE_LIMIT,
    EXTRA_FIELD_PREFIX,
    HEADER_SEARCH_ROWS,
    PROGRAM_LABELS,
    RUBRIC_LABEL,
    RUBRIC_VERSION_LABEL,
    SHEETS_TITLE_LIMIT,
    START_HERE,
    SUMMARY,
    Cell,
    Formula,
    Rows,
    Sheets,
    a1,
    cell_text,
    column_letter,
    dimension_tab_title,
    is_blank,
    is_ignored_tab,
    normalize,
    shown,
    titled,
)
from selfstudy.core.study import (
    MAX_TEXT_LENGTH,
    NUL_REASON,
    Answer,
    AnswerValue,
    Program,
    RubricRef,
    SelfStudy,
    is_answered,
    is_too_long,
    too_long,
)
from selfstudy.core.wording import clip

_NUMBERING = re.compile(r"^\s*\d+\s*(?:[.):-]\s*|\s+)")


_ALIAS_TO_COLUMN = {normalize(name): key for key, names in COLUMN_ALIASES.items() for name in names}


@dataclass(frozen=True)
class _RubricLookups:
    """What reading a copy looks up in its rubric, made once for each rubric: making them
    for each copy (a case-folded ID and a compared title for every item and dimension) took
    a tenth of a copy's interpreting. A rubric is frozen, and held here, so its id names it
    while its entry lives."""

    by_folded_id: dict[str, Item]  # items by case-folded ID, a later one winning
    dimension_names: dict[str, str]  # dimension id -> its title as a tab's title is compared
    item_ids: tuple[str, ...]  # every item's ID, in the rubric's order


_LOOKUPS: dict[int, tuple[Rubric, _RubricLookups]] = {}


def _lookups(rubric: Rubric) -> _RubricLookups:
    entry = _LOOKUPS.get(id(rubric))
    if entry is None or entry[0] is not rubric:
        if len(_LOOKUPS) >= 64:
            _LOOKUPS.clear()
        lookups = _RubricLookups(
            by_folded_id={i.id.casefold(): i for i in rubric.items()},
            dimension_names={
                d.id: normalize(_EXCEL_FORBIDDEN_IN_TITLES.sub(" ", d.title))
                for d in rubric.dimensions
            },
            item_ids=tuple(item.id for item in rubric.items()),
        )
        entry = _LOOKUPS[id(rubric)] = (rubric, lookups)
    return entry[1]


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
    """What a sheet copy holds: the study (None when any problem is an error) and every problem.

    `problems` is always a `Report`; a plain list given or assigned becomes one.
    """

    study: SelfStudy | None
    problems: Report
    cells: dict[str, ItemCells] = field(default_factory=dict)
    program_cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "problems" and not isinstance(value, Report):
            value = Report(value)
        super().__setattr__(name, value)

    def raise_on_errors(self) -> SelfStudy:
        """The study; raises `ProblemsFound` with the whole report when there is none."""
        if self.study is None:
            raise ProblemsFound(self.problems)
        return self.study


def copy_rubric_ref(sheets: Sheets) -> tuple[str | None, str | None]:
    """The rubric id and version the copy names on START HERE (None where it does not)."""
    rubric_id, version, _ = copy_rubric_named(sheets)
    return rubric_id, version


def copy_rubric_cell(sheets: Sheets) -> str:
    """The START HERE cell where the copy names its rubric (the tab when there is none)."""
    return copy_rubric_named(sheets)[2]


def copy_rubric_named(sheets: Sheets) -> tuple[str | None, str | None, str]:
    """`copy_rubric_ref` and `copy_rubric_cell` from one reading of START HERE (which each
    read the whole tab for, as a copy's import does again)."""
    tab = _find_start_here(sheets)
    fields = _start_here_fields(sheets, tab)
    rubric_id = _named(fields, RUBRIC_LABEL)
    version = _named(fields, RUBRIC_VERSION_LABEL)
    cell = a1(tab, rubric_id[0], 2) if tab and rubric_id else a1(tab or START_HERE, 1)
    return (rubric_id[1] if rubric_id else None, version[1] if version else None, cell)


def parse_sheet_copy(sheets: Sheets, rubric: Rubric) -> ImportResult:
    """Interpret a sheet copy against `rubric`, collecting every problem."""
    problems = Report()
    start = _find_start_here(sheets)
    fields = _start_here_fields(sheets, start)
    program = _read_start_here(sheets, start, fields, rubric, problems)
    program_cells = _program_cells(start, fields)
    tabs = _match_dimension_tabs(sheets, rubric, problems)
    answers: dict[str, Answer] = {}
    cells: dict[str, ItemCells] = {}
    seen: dict[str, _Place] = {}
    readable: list[tuple[Dimension, str]] = []
    by_folded_id = _lookups(rubric).by_folded_id
    for dimension in rubric.dimensions:
        title = tabs.get(dimension.id)
        if title is None:
            continue
        item_rows = _read_dimension_tab(
            title, sheets[title], rubric, by_folded_id, dimension, seen, problems
        )
        if item_rows is None:
            continue
        readable.append((dimension, title))
        for item_id, item_cells, answer in item_rows:
            cells[item_id] = item_cells
            if answer is not None:
                answers[item_id] = answer
    for dimension, title in readable:
        for standard in dimension.standards:
            for item in standard.items:
                if item.id not in seen:
                    problems.append(
                        Problem(
                            "missing-item",
                            a1(title, 1),
                            f"no row for {item.id} ({clip(item.text, 60)}); it is left unanswered. "
                            "Add a row with this ID to answer it",
                            severity="warning",
                        )
                    )
    if problems.has_errors or program is None:
        return ImportResult(None, problems, cells, program_cells)
    ordered = {i: answers[i] for i in _lookups(rubric).item_ids if i in answers}
    study = SelfStudy(
        rubric=RubricRef(id=rubric.id, version=rubric.version), program=program, answers=ordered
    )
    return ImportResult(study, problems, cells, program_cells)


def study_from_sheets(sheets: Sheets, rubric: Rubric) -> SelfStudy:
    """`parse_sheet_copy`, raising `ProblemsFound` when any problem is an error."""
    return parse_sheet_copy(sheets, rubric).raise_on_errors()


# START HERE ---------------------------------------------------------------------------


def _find_start_here(sheets: Sheets) -> str | None:
    """The START HERE tab: the one of that title, else one titled as a Google Sheets
    download names its CSV file (`titled`)."""
    exact = normalize(START_HERE)
    return next((t for t in sheets if normalize(t) == exact), None) or next(
        (t for t in sheets if titled(t, START_HERE)), None
    )


def _start_here_fields(sheets: Sheets, tab: str | None) -> dict[str, tuple[int, Cell]]:
    """The label rows of the START HERE tab `tab` (none when there is no such tab)."""
    return _label_rows(sheets[tab]) if tab is not None else {}


def _named(fields: dict[str, tuple[int, Cell]], label: str) -> tuple[int, str] | None:
    """The 1-based row and the stripped text of `label`'s value; None when absent or blank."""
    found = fields.get(normalize(label))
    if found is None or is_blank(found[1]):
        return None
    return found[0], cell_text(found[1]).strip()


def _label_rows(rows: Rows) -> dict[str, tuple[int, Cell]]:
    """Normalized label -> (1-based row, value) for the first row with each label."""
    found: dict[str, tuple[int, Cell]] = {}
    for number, row in enumerate(rows, 1):
        if not row or is_blank(row[0]):
            continue
        label = normalize(row[0]).rstrip(":").rstrip()
        found.setdefault(label, (number, row[1] if len(row) > 1 else None))
    return found


def _extra_fields(rows: Rows) -> dict[str, tuple[int, Cell]]:
    """Program fields beyond the standard labels, from `Program field: <key>` rows:
    key -> (1-based row, value)."""
    prefix = normalize(EXTRA_FIELD_PREFIX)
    found: dict[str, tuple[int, Cell]] = {}
    for number, row in enumerate(rows, 1):
        if not row or is_blank(row[0]) or not normalize(row[0]).startswith(prefix):
            continue
        key = str(row[0]).split(":", 1)[1].strip().rstrip(":").strip()
        value = row[1] if len(row) > 1 else None
        if key and key not in PROGRAM_LABELS.values() and not is_blank(value):
            found.setdefault(key, (number, value))
    return found


def _program_cells(
    tab: str | None, fields: dict[str, tuple[int, Cell]]
) -> dict[str, tuple[str, int, int]]:
    """Program field -> (tab, row, column) of its value cell on START HERE."""
    if tab is None:
        return {}
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


def _read_start_here(
    sheets: Sheets,
    tab: str | None,
    fields: dict[str, tuple[int, Cell]],
    rubric: Rubric,
    problems: list[Problem],
) -> Program | None:
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
    _check_rubric_rows(tab, fields, rubric, problems)
    cells = {
        key: (label, *fields[normalize(label)])
        for label, key in PROGRAM_LABELS.items()
        if normalize(label) in fields
    }
    for key, (number, value) in _extra_fields(sheets[tab]).items():
        cells[key] = (f"{EXTRA_FIELD_PREFIX} {key}", number, value)
    program: dict[str, Any] = {}
    for key, (label, number, value) in cells.items():
        read = _answer_cell(value, a1(tab, number, 2), f"the {shown(label)}", problems)
        if not is_blank(read):
            program[key] = cell_text(read)
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
    named = _named(fields, RUBRIC_LABEL)
    if named and named[1] != rubric.id:
        problems.append(
            Problem(
                "rubric-mismatch",
                a1(tab, named[0], 2),
                f"this copy is for rubric {named[1]!r}, not {rubric.id!r}; "
                "import it with the rubric it names (--rubric), or correct the Rubric row",
            )
        )
        return
    version = _named(fields, RUBRIC_VERSION_LABEL)
    if version and version[1] != rubric.version:
        problems.append(
            Problem(
                "rubric-version-mismatch",
                a1(tab, version[0], 2),
                f"this copy is for version {version[1]!r} of {rubric.id!r}, "
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
    names = _lookups(rubric).dimension_names
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
        if titled(title, START_HERE) or is_ignored_tab(title):  # not matched to a dimension
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
        keys = {_ALIAS_TO_COLUMN.get(normalize(cell)) for cell in row if cell is not None}
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
                    f"the column {shown(cell)} is not part of the layout and is ignored",
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


# One item's row on a dimension tab: the item's ID, where its cells are and the answer they
# hold (None when the row holds no value, evidence or notes)
_ItemRow = tuple[str, ItemCells, Answer | None]
_Place = tuple[str, int, int]  # a cell's tab, row and column (from 1): `a1(*place)`


def _read_dimension_tab(
    title: str,
    rows: Rows,
    rubric: Rubric,
    by_folded_id: dict[str, Item],
    dimension: Dimension,
    seen: dict[str, _Place],
    problems: list[Problem],
) -> list[_ItemRow] | None:
    """The item rows of one dimension tab; None when it has no header row.

    `by_folded_id` holds the rubric's items by case-folded ID; `seen` the ID cell of
    every item read so far, on any tab. A cell's place is written out (`a1`) only for a
    problem: writing out each row's took a tenth of a copy's interpreting.
    """
    header = _find_header(rows)
    if header is None:
        problems.append(_no_header_row(title))
        return None
    columns = _header_columns(title, rows[header], header + 1, problems)
    own_items = {i.id for s in dimension.standards for i in s.items}
    id_at, rating_at = columns["id"], columns["rating"]
    answer_at = [(key, columns[key]) for key in _ANSWER_KEYS if key in columns]  # rating first
    answer_columns = _answer_columns(columns)
    found: list[_ItemRow] = []
    for number, row in enumerate(rows[header + 1 :], header + 2):
        raw_id = row[id_at] if id_at < len(row) else None
        raw_value = row[rating_at] if rating_at < len(row) else None
        if is_blank(raw_value) and (is_blank(raw_id) or len(cell_text(raw_id).split()) > 1):
            continue  # an empty row, or a section heading in the ID column: IDs hold no spaces
        id_cell = (title, number, id_at + 1)
        item = _row_item(raw_id, raw_value, id_cell, rubric, by_folded_id, seen, problems)
        if item is None:
            continue
        seen[item.id] = id_cell
        if item.id not in own_items:
            problems.append(_item_in_other_tab(rubric, item, a1(*id_cell)))
        answer = _row_answer(rubric, item, row, answer_at, title, number, problems)
        found.append((item.id, ItemCells(title, number, *answer_columns), answer))
    return found


def _no_header_row(title: str) -> Problem:
    return Problem(
        "no-header-row",
        a1(title, 1, 1),
        f"no header row in the first {HEADER_SEARCH_ROWS} rows; add a row with an 'ID' "
        "and a 'Rating' column heading above the items",
    )


def _row_item(
    raw_id: Cell,
    raw_value: Cell,
    id_cell: _Place,
    rubric: Rubric,
    by_folded_id: dict[str, Item],
    seen: dict[str, _Place],
    problems: list[Problem],
) -> Item | None:
    """The item a row's ID names; None, with a problem, when it is missing, unknown or doubled."""
    if is_blank(raw_id):
        problems.append(
            Problem(
                "missing-id",
                a1(*id_cell),
                f"a rating ({shown(raw_value)}) with no ID; write the "
                "item's ID in this cell, or clear the rating",
            )
        )
        return None
    item = by_folded_id.get(cell_text(raw_id).strip().casefold())
    if item is None:
        problems.append(
            Problem(
                "unknown-id",
                a1(*id_cell),
                f"{shown(raw_id)} is not an item ID of {rubric.id!r}; "
                "correct it from a blank template, or clear the row",
            )
        )
        return None
    if item.id in seen:
        problems.append(
            Problem(
                "duplicate-id",
                a1(*id_cell),
                f"{item.id} appears twice (first at {a1(*seen[item.id])}); keep one row and "
                "delete the other",
            )
        )
        return None
    return item


def _item_in_other_tab(rubric: Rubric, item: Item, id_cell: str) -> Problem:
    owner = rubric.dimension_of_standard[rubric.standard_of_item[item.id].id]
    return Problem(
        "item-in-other-tab",
        id_cell,
        f"{item.id} belongs to {owner.title!r}; it is imported, but move the row "
        "to that tab to keep the copy tidy",
        severity="warning",
    )


def _answer_columns(columns: dict[str, int]) -> tuple[int, int | None, int | None]:
    """The 1-based Rating, Evidence and Notes columns of `ItemCells` (None when absent)."""
    return (
        columns["rating"] + 1,
        columns["evidence"] + 1 if "evidence" in columns else None,
        columns["notes"] + 1 if "notes" in columns else None,
    )


_ANSWER_KEYS = ("rating", "evidence", "notes")


def _row_answer(
    rubric: Rubric,
    item: Item,
    row: list[Cell],
    answer_at: list[tuple[str, int]],
    title: str,
    number: int,
    problems: list[Problem],
) -> Answer | None:
    """The answer in row `number` of tab `title`; None when it has no value, evidence or notes.

    `answer_at` holds the 0-based column of each of `_ANSWER_KEYS` the tab has, the
    rating's first.
    """
    cells: dict[str, Cell] = dict.fromkeys(_ANSWER_KEYS)  # None where the tab has no column
    for key, index in answer_at:
        cell = row[index] if index < len(row) else None
        if cell is not None and _may_hold_a_problem(cell):  # its place is written out only then
            where = a1(title, number, index + 1)
            what = f"the {COLUMN_ALIASES[key][0]} of {item.id}"
            cell = _answer_cell(cell, where, what, problems)
        cells[key] = cell
    value = None
    if not is_blank(cells["rating"]):  # `read_value` reads a blank as None, and no problem
        rating_cell = a1(title, number, answer_at[0][1] + 1)
        value = read_value(rubric, item, cells["rating"], rating_cell, problems)
    evidence, notes = cell_text(cells["evidence"]), cell_text(cells["notes"])
    if is_answered(value) or evidence or notes:  # the model keeps a text empty or not
        return _answer(value, evidence, notes)
    return None


def _answer(value: AnswerValue, evidence: str, notes: str) -> Answer:
    """`Answer(value=value, evidence=evidence, notes=notes)`, made without validating when
    validation would keep each value as it is (most answers: a few in each copy differ)."""
    if _kept_as_is(value) and _plain_text(evidence) and _plain_text(notes):
        return Answer.model_construct(value=value, evidence=evidence, notes=notes)
    return Answer(value=value, evidence=evidence, notes=notes)


def _kept_as_is(value: AnswerValue) -> bool:
    """A value `AnswerValue` keeps as it is, of the kinds most answers hold."""
    if value is None or type(value) is int:
        return True
    if type(value) is float:
        return math.isfinite(value)
    return type(value) is str and _plain_text(value)


def _plain_text(text: str) -> bool:
    """A text `Text` keeps as it is: plain ASCII (no half of a pair, every character one
    unit long), no carriage return to make a line feed, within `MAX_TEXT_LENGTH`."""
    return (
        type(text) is str and text.isascii() and "\r" not in text and len(text) <= MAX_TEXT_LENGTH
    )


def _may_hold_a_problem(cell: Cell) -> bool:
    """Whether `_answer_cell` may find a problem in `cell`: a formula, a text holding a NUL,
    or a text at least half as long as `MAX_TEXT_LENGTH` (no text counts more than two
    UTF-16 units a character, and line feeds only shorten it), so most cells are passed
    with one look."""
    if cell is None:
        return False
    if type(cell) is str:  # its own text
        return len(cell) * 2 > MAX_TEXT_LENGTH or "\x00" in cell
    return (
        isinstance(cell, Formula)
        or len(cell_text(cell)) * 2 > MAX_TEXT_LENGTH
        or ("\x00" in cell_text(cell))
    )


def _answer_cell(cell: Cell, where: str, what: str, problems: list[Problem]) -> Cell:
    """A cell holding what a person wrote, as import takes it.

    A formula is not read: it counts as blank, with a warning at its cell. A text
    longer than `MAX_TEXT_LENGTH`, or holding a NUL character (`_x0000_` in an .xlsx
    cell, a raw NUL in a CSV file), is refused at its cell, never cut.
    """
    if isinstance(cell, Formula):
        problems.append(
            Problem(
                "formula-not-read",
                where,
                f"{what} is a formula ({shown(cell.text, 40)}), which import does not read; "
                "type the value itself, or copy the cell and paste it as a value",
                severity="warning",
            )
        )
        return None
    text = cell_text(cell)
    if is_too_long(text):
        problems.append(too_long(where, text, what))
        return None
    if "\x00" in text:  # no model holds one: refused at its cell, never a traceback
        problems.append(Problem("nul-character", where, f"{what} {NUL_REASON}"))
        return None
    return cell
