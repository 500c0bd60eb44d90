"""The sheet-copy format's vocabulary: cell types, tab titles, column headers,
START HERE labels, and the cell and A1 helpers every other module here shares."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selfstudy.core.rubric import Dimension
from selfstudy.core.wording import clip


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula. Import never reads one: its result may be stale or
    missing (a file saved by a program that does not compute it), so it counts as blank
    and the cell is reported."""

    text: str


Cell = str | int | float | bool | Formula | None
Rows = list[list[Cell]]
Sheets = dict[str, Rows]

START_HERE = "START HERE"
SUMMARY = "SUMMARY"
TEAM_AGREEMENT = "Team agreement"  # a team study's agreement, written on export, never read
HEADER_SEARCH_ROWS = 15
EXCEL_TITLE_LIMIT = 31
SHEETS_TITLE_LIMIT = 100
# How big a sheet copy may be, in every format (.xlsx, CSV, Google Sheet): far above
# the copy of any rubric (a few hundred rows, fewer than ten columns, a tab per dimension).
MAX_TABS = 200
MAX_ROWS = 10_000
MAX_COLUMNS = 256
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

_EXCEL_FORBIDDEN_IN_TITLES = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")  # and control characters
_EXACT_FLOAT_LIMIT = 2**53


def normalize(text: Cell) -> str:
    """Case-folded text with runs of whitespace collapsed: how names are compared."""
    return " ".join(cell_text(text).split()).casefold()


def titled(title: str, name: str) -> bool:
    """Whether a tab titled `title` is the tab `name`: their titles compared as `normalize`
    makes them, or the part of `title` after its last " - " is `name`, as Google Sheets names
    the CSV file of each tab it downloads ("Copy of template - START HERE.csv")."""
    title, name = normalize(title), normalize(name)
    return title == name or title.rpartition(" - ")[2] == name


def is_ignored_tab(title: str) -> bool:
    """Whether import ignores the tab titled `title` (SUMMARY, Team agreement): its cells are
    not read at all, so a copy whose SUMMARY is damaged still imports, as its START HERE
    tab promises."""
    return titled(title, SUMMARY) or titled(title, TEAM_AGREEMENT)


def a1(tab: str, row: int, column: int | None = None) -> str:
    """A cell (or a whole tab when `column` is None) in A1 notation, 1-based."""
    quoted = "'" + tab.replace("'", "''") + "'"
    if column is None:
        return quoted
    letters = _FIRST_LETTERS[column] if 0 <= column < len(_FIRST_LETTERS) else column_letter(column)
    return f"{quoted}!{letters}{row}"


def column_letter(column: int) -> str:
    if 0 <= column < len(_FIRST_LETTERS):
        return _FIRST_LETTERS[column]
    return _column_letter(column)


def _column_letter(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_FIRST_LETTERS = [_column_letter(column) for column in range(703)]  # A to ZZ: a cell each row


def is_blank(cell: Cell) -> bool:
    if type(cell) is str:  # most cells: asked first (a copy's reading asks 600 times)
        return cell.strip() == ""
    return (
        cell is None or isinstance(cell, Formula) or (isinstance(cell, str) and cell.strip() == "")
    )


def cell_text(cell: Cell) -> str:
    """A cell as text: whole numbers without `.0`, blanks and formulas as ``."""
    if type(cell) is str:  # most cells, as they are: asked first (800 times a copy)
        return cell
    if cell is None or isinstance(cell, Formula):
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < _EXACT_FLOAT_LIMIT:
        return str(int(cell))
    return str(cell)


def shown(cell: Cell, width: int = 60) -> str:
    """A cell's text as a problem quotes it: stripped, cut to `width`, in quotes, with any
    control character escaped, so the message stays one readable line."""
    return repr(clip(cell_text(cell).strip(), width))


def dimension_tab_title(index: int, dimension: Dimension, limit: int = EXCEL_TITLE_LIMIT) -> str:
    """`1. Program Goals`, cut to `limit` characters with `…` (Excel allows 31)."""
    title = f"{index}. " + " ".join(_EXCEL_FORBIDDEN_IN_TITLES.sub(" ", dimension.title).split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
