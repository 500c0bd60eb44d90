"""A measure's data points read from a CSV file, as a team keeps them in a spreadsheet.

The file has a header row naming its columns (`date`, `value` and, if wanted, `note`;
the spellings people use are read too: `Date`, `Values`, `Note(s)`, `Comments`), then
one data point a row. Commas or semicolons separate the cells (a spreadsheet set to a
language that writes decimal commas saves with semicolons, and then `12,5` is 12.5).
The text is UTF-8, with or without the byte order mark Excel writes.

A date is written `2026-03-15` (year-month-day). What Excel writes from a US or UK
setting (`3/15/2026`, `15/03/2026`) is read only when the file itself says which
order it uses: a day above 12 somewhere in it. Otherwise `3/4/2026` could be
3 April or 4 March, and it is refused with those words rather than guessed.

Reading is bounded (at most `MAX_BYTES` and `core.improvement.MAX_POINTS` rows), and
all or nothing: every problem is located (`points.csv:7`) with how to fix it, all of
them at once, so a team fixes the file in one pass. A note is text, whatever it starts
with: nothing here gives `=` or `@` a formula's meaning.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date
from typing import Any

from selfstudy.core.improvement import MAX_POINTS, checked
from selfstudy.core.problems import Problem, ProblemsFound, quoted

MAX_BYTES = 2 * 2**20
MAX_PROBLEMS = 100  # listed for one file; a file with more is the wrong file, or one mistake
COLUMNS = ("date", "value", "note")
# a header cell, lower case with anything but letters removed, to the column it names
HEADER_WORDS = {
    "date": "date",
    "dates": "date",
    "day": "date",
    "on": "date",
    "value": "value",
    "values": "value",
    "note": "note",
    "notes": "note",
    "comment": "note",
    "comments": "note",
}
FIX_FORMAT = (
    "the first row names the columns: date,value,note (the note may be left out), "
    "then one data point a row, such as 2026-03-15,12,first week"
)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YEAR_FIRST = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def read_points(data: bytes, source: str) -> list[dict[str, Any]]:
    """The data points of a CSV file as fields of `core.improvement.Point` (`on` as ISO
    text, `value` a number, `note` text), in the file's order; `source` is the file's name
    as problems locate it. Raises `ProblemsFound` with every problem found."""
    text = _text(data, source)
    rows = _rows(text, source)
    if not rows:
        raise _bad_file(source, f"the file is empty; {FIX_FORMAT}")
    header_line, header = rows[0]
    columns = _columns(header, f"{source}:{header_line}")
    body = [(line, cells) for line, cells in rows[1:] if any(c.strip() for c in cells)]
    if not body:
        raise _bad_file(source, "the file has a header row but no data points under it")
    if len(body) > MAX_POINTS:
        raise _bad_file(
            source,
            f"the file holds more than {MAX_POINTS:,} data points, the most a measure holds; "
            "check it is the right file, or split the series over two measures",
        )
    decimal_comma = _delimiter(text) == ";"
    order = _date_order([_cell(cells, columns, "date") for _, cells in body])
    problems: list[Problem] = []
    points = []
    for line, cells in body:
        where = f"{source}:{line}"
        found = _point(cells, columns, where, decimal_comma, order)
        if isinstance(found, list):
            problems += found
        else:
            points.append(found)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(
                Problem(
                    "bad-points-file",
                    source,
                    f"reading stopped after {MAX_PROBLEMS} problems; fix those above (they "
                    "may be one mistake repeated) and import the file again",
                )
            )
            break
    if problems:
        raise ProblemsFound(problems)
    return points


def _text(data: bytes, source: str) -> str:
    if len(data) > MAX_BYTES:
        raise ProblemsFound([too_large(source)])
    if not data.strip():
        raise _bad_file(source, f"the file is empty; {FIX_FORMAT}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _unreadable(
            source,
            "the file is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8 "
            "(Comma delimited)' and import that",
        )
    if b"\x00" in data or data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _unreadable(
            source,
            "this is not a CSV file but a binary one (a workbook?); in the spreadsheet, "
            "save the sheet as 'CSV UTF-8 (Comma delimited)' and import that",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _unreadable(
            f"{source}:{line}",
            "the file is not UTF-8 text (this line holds a character in another encoding); "
            "save it as 'CSV UTF-8 (Comma delimited)' and import that",
        ) from None


def _delimiter(text: str) -> str:
    first = text.lstrip("\r\n").split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """Each row with the line it begins on (a note in quotes may hold line breaks)."""
    # strict: a quote never closed is an error, not a note that swallows every later row
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows = []
    line = 1
    try:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if cells:
                rows.append((line, cells))
            if len(rows) > MAX_POINTS + 1:
                break
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise _bad_file(
                f"{source}:{line}",
                "a quote opened on this line is never closed, so every line after it would "
                'be read as one note; close it (a cell that holds a quote is written "like '
                '""this""")',
            ) from None
        raise _bad_file(
            f"{source}:{reader.line_num}",
            f"this line cannot be read as CSV ({exc}); check its quotes: a cell that holds a "
            'quote is written "like ""this"""',
        ) from None
    return rows


def _columns(header: list[str], where: str) -> dict[str, int]:
    """Which cell of a row holds the date, the value and the note."""
    columns: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        key = re.sub(r"[^a-z]", "", cell.casefold())
        column = HEADER_WORDS.get(key)
        if not cell.strip():
            continue
        if column is None:
            problems.append(
                f"column {index + 1} is headed {quoted(cell.strip(), 40)}, which is not one "
                "of date, value, note; rename it or remove the column"
            )
        elif column in columns:
            problems.append(f"two columns are headed as the {column}; keep one")
        else:
            columns[column] = index
    if not columns:
        problems = [f"the first row is not a header row; {FIX_FORMAT}"]
    missing = [c for c in ("date", "value") if c not in columns]
    if missing and columns:
        problems.append(f"no column is headed {' or '.join(missing)}; {FIX_FORMAT}")
    if problems:
        raise ProblemsFound([Problem("bad-points-file", where, p) for p in problems])
    return columns


def _cell(cells: list[str], columns: dict[str, int], column: str) -> str:
    index = columns.get(column)
    return cells[index] if index is not None and index < len(cells) else ""


def _date_order(cells: list[str]) -> str | None:
    """Whether the file's slashed dates put the day first (UK: "day"), the month (US:
    "month"), both ("mixed": each is refused), or cannot tell (None)."""
    day_first = month_first = False
    for cell in cells:
        found = _SLASHED.fullmatch(cell.strip())
        if found:
            first, second = int(found[1]), int(found[2])
            day_first |= first > 12 >= second
            month_first |= second > 12 >= first
    if day_first and month_first:
        return "mixed"
    if day_first or month_first:
        return "day" if day_first else "month"
    return None


def _point(
    cells: list[str],
    columns: dict[str, int],
    where: str,
    decimal_comma: bool,
    order: str | None,
) -> dict[str, Any] | list[Problem]:
    def cell(column: str) -> str:
        return _cell(cells, columns, column)

    problems = []
    width = max(columns.values()) + 1
    extra = [c for c in cells[width:] if c.strip()]
    if extra:
        problems.append(
            Problem(
                "bad-points-file",
                where,
                f"this row has more cells than the header names ({quoted(extra[0], 30)}); "
                "put a note that holds a comma in quotes, or add the column to the header",
            )
        )
    on = read_date(cell("date"), order)
    if isinstance(on, str):
        problems.append(Problem("bad-record", where, on, "date"))
    value = read_value(cell("value"), decimal_comma)
    if isinstance(value, str):
        problems.append(Problem("bad-record", where, value, "value"))
    if problems or isinstance(on, str) or isinstance(value, str):
        return problems
    fields = {"on": on.isoformat(), "value": value, "note": cell("note")}
    try:
        checked("point", fields, where)  # a note too long, say: located as the file's line
    except ProblemsFound as exc:
        return list(exc.problems)
    return fields


def read_date(text: str, order: str | None = None) -> date | str:
    """The date `text` names, or why it is not one (in words that say how to write it).
    `order` is how the file around it writes slashed dates (`_date_order`), if it tells."""
    text = text.strip()
    how = "write it as 2026-03-15 (year-month-day)"
    if not text:
        return f"is empty; {how}"
    found = _ISO.fullmatch(text) or _YEAR_FIRST.fullmatch(text)
    if found:
        parts = int(found[1]), int(found[2]), int(found[3])
    else:
        found = _SLASHED.fullmatch(text)
        if found is None:
            return f"{quoted(text, 30)} is not a date; {how}"
        first, second, year = int(found[1]), int(found[2]), found[3]
        if len(year) == 2:
            return f"{quoted(text, 30)} has a two-digit year; {how}"
        if order == "mixed" and first != second:
            return (
                f"{quoted(text, 30)}: the file writes some dates day first (15/03/2026) and "
                f"others month first (03/15/2026), so none of them can be trusted; {how}"
            )
        if first == second or first > 12 >= second:
            day_first = True
        elif second > 12 >= first:
            day_first = False
        elif order is not None:
            day_first = order == "day"
        else:
            return (
                f"{quoted(text, 30)} could be {_words(first, second, int(year))} or "
                f"{_words(second, first, int(year))}, and no other date in the file tells "
                f"which; {how}"
            )
        day, month = (first, second) if day_first else (second, first)
        parts = int(year), month, day
    try:
        return date(*parts)
    except ValueError:
        return f"{quoted(text, 30)} is not a date of the calendar; {how}"


def _words(day: int, month: int, year: int) -> str:
    try:
        on = date(year, month, day)
    except ValueError:
        return f"day {day} of month {month}"
    return f"{on.day} {on:%B}"


def read_value(text: str, decimal_comma: bool = False) -> int | float | str:
    """The number `text` holds (a whole number as an int), or why it is not one."""
    text = text.strip()
    if not text:
        return "is empty; write a number such as 12 or 12.5, or remove the row"
    written = text.replace(" ", "").replace("\u00a0", "")
    if decimal_comma and "," in written and "." not in written:
        written = written.replace(",", ".", 1)
    if not _NUMBER.fullmatch(written):
        why = f"{quoted(text, 30)} is not a number; write it as 12 or 12.5"
        if written.endswith("%"):
            why += " (without %: say 'percent' in the measure's unit)"
        elif "," in written:
            why += " (without a thousands separator)"
        return why
    number = float(written)
    if not math.isfinite(number):
        return f"{quoted(text, 30)} is too large a number"
    if re.fullmatch(r"[+-]?\d+", written) and abs(number) < 2**53:
        return int(written)
    return number


def too_large(source: str) -> Problem:
    """The problem of a file larger than `MAX_BYTES`."""
    return Problem(
        "file-too-large",
        source,
        f"the file is larger than {MAX_BYTES // 2**20} MB, far more than a measure's data "
        "points take; check that it is the right file",
    )


def _bad_file(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("bad-points-file", where, message)])


def _unreadable(where: str, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("unreadable-file", where, message)])
