"""Sheet copies on disk: .xlsx workbooks and folders of CSV files <-> `Sheets` / `Tab`s.

Reading turns a file into the plain `Sheets` structure of `sheetcopy` (xlsx
through python-calamine, which is several times faster than openpyxl; openpyxl
is kept as a second reader for the benchmark). Writing takes the `Tab`s of
`sheetcopy.layout` and adds what a person needs: bold headings, frozen header
rows, column widths, wrapped text and dropdowns on rating cells.

No cell is ever written as a formula. In xlsx, text is always a text cell, with
the OOXML `_xHHHH_` escape for characters XML cannot carry (carriage returns,
control characters) and for text that is only spaces, so it reads back exactly.
The two noncharacters U+FFFE and U+FFFF cannot be stored in an .xlsx file at
all; they are written as U+FFFD (the replacement character).
In CSV, text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets
the single-quote prefix of the OWASP CSV-injection guidance; so does text that
begins with a quote, so that reading can strip exactly one prefix again.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TABS,
    SHEETS_TITLE_LIMIT,
    Cell,
    Formula,
    Rows,
    Sheets,
    Tab,
    a1,
    cell_text,
    layout,
)
from selfstudy.core.study import SelfStudy, text_length
from selfstudy.core.wording import clip
from selfstudy.edges.files import ensure_folder, write_all_atomically, write_atomically
from selfstudy.edges.reports.team_figures import agreement_tab
from selfstudy.edges.workbook_limits import (
    MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    bounded_bytes,
    copy_too_large,
    scan_workbook,
)

if TYPE_CHECKING:
    from selfstudy.core.agreement import TeamAgreement

# What `read_sheets` opens (an .xls file only to say to save it as .xlsx: see workbook_limits)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
CSV_DELIMITERS = (",", ";", "\t")  # the first wins a tie
_OOXML_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")  # the `_` that begins an escape
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NOT_IN_XML = re.compile(r"[\ufffe\uffff]")  # no file format based on XML can hold these
_LATIN_1 = re.compile(r"[\x00-\xff]")
_UTF8_SEQUENCE = re.compile(  # one character UTF-8 writes in two to four bytes
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_INLINE_LIST_LIMIT = 255
EXCEL_CELL_LIMIT = 32_767  # characters an Excel cell holds, as read (escapes not counted)


def is_skipped(path: Path) -> bool:
    """An Office lock file (`~$copy.xlsx`, `~$tab.csv`) or a hidden file: never a copy or a tab."""
    return path.name.startswith(("~$", "."))


# --- reading -----------------------------------------------------------------------------


Unread = Callable[[str], bool]  # whether the tab of this title is left unread


def _read_all(title: str) -> bool:
    return False


def read_sheets(path: Path, unread: Unread = _read_all) -> Sheets:
    """The tabs of an .xlsx file or of a folder of CSV files; raises `ProblemsFound`.

    The tabs whose titles `unread` picks come back with no rows (`read_xlsx`).
    """
    if path.is_dir():
        return read_csv_folder(path, unread)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_xlsx(path, unread=unread)
    raise ProblemsFound(
        [
            Problem(
                "unsupported-source",
                str(path),
                "not a sheet copy: give an .xlsx file, a folder of CSV files (one per tab) "
                "or a self-study .json file",
            )
        ]
    )


def read_xlsx(
    source: Path | bytes | IO[bytes], engine: str = "calamine", unread: Unread = _read_all
) -> Sheets:
    """Every tab of a workbook as rows of plain cells (None for empty, `Formula` for a formula).

    Nothing reads the workbook before `scan_workbook` has found it within bounds. A tab
    whose title `unread` picks comes back with no rows: its cells are not read, so they
    cannot refuse the workbook. Import passes `is_ignored_tab`, for a copy's SUMMARY, whose
    reading took a tenth of a copy's.
    """
    where = str(source) if isinstance(source, Path) else "uploaded workbook"
    data = bounded_bytes(source, where)
    formulas = scan_workbook(data, where)
    try:
        read = _read_with_openpyxl if engine == "openpyxl" else _read_with_calamine
        sheets = read(data, unread)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine, zipfile and openpyxl each raise their own kinds;
        # a panic in calamine's Rust code (a date cell of -1e20 days) is a `PanicException`,
        # which pyo3 derives from BaseException, not Exception
        reason = clip(" ".join(f"{type(exc).__name__}: {exc}".split()), 120)
        raise ProblemsFound(
            [
                Problem(
                    "unreadable-file",
                    where,
                    f"cannot read this workbook ({reason}); "
                    "save it again as .xlsx (Excel Workbook) and retry",
                )
            ]
        ) from None
    return {
        title: rows if unread(title) else _with_formulas(rows, formulas.get(title, {}))
        for title, rows in sheets.items()
    }


def _read_with_calamine(data: bytes, unread: Unread) -> Sheets:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {  # a title given twice is one tab, read once (calamine reads the first)
        name: []
        if unread(name)
        else _plain_rows(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
        for name in dict.fromkeys(workbook.sheet_names)
    }


def _read_with_openpyxl(data: bytes, unread: Unread) -> Sheets:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {
            ws.title: []
            if unread(ws.title)
            else _plain_rows(
                [
                    [_ooxml_unescape(c) if isinstance(c, str) else c for c in row]
                    for row in ws.iter_rows(values_only=True)
                ]
            )
            for ws in workbook.worksheets
        }
    finally:
        workbook.close()


def _with_formulas(rows: Rows, formulas: dict[tuple[int, int], str]) -> Rows:
    """`rows` with a `Formula` in each formula cell, whatever value it had last."""
    for (row, column), text in formulas.items():
        while len(rows) < row:
            rows.append([])
        cells = rows[row - 1]
        cells.extend([None] * (column - len(cells)))
        cells[column - 1] = Formula(text)
    return rows


_KEPT_AS_READ = frozenset({str, int, float, bool})  # `_plain_cell` keeps these but ""


def _plain_rows(rows: Iterable[Iterable[Any]]) -> Rows:
    # most cells are empty (calamine's ""), text or numbers: each becomes what
    # `_plain_cell` makes of it without a call for each
    return [
        [
            None
            if cell is None or cell == ""
            else cell
            if type(cell) in _KEPT_AS_READ
            else _plain_cell(cell)
            for cell in row
        ]
        for row in rows
    ]


def _plain_cell(cell: Any) -> Cell:
    if cell is None or cell == "":
        return None
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    if isinstance(cell, dt.timedelta):
        return str(cell)
    return cell


def _ooxml_unescape(text: str) -> str:
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def read_csv_folder(folder: Path, unread: Unread = _read_all) -> Sheets:
    """One tab per `*.csv` file in `folder` (lock and hidden files aside), titled by its name.

    The tabs whose titles `unread` picks come back with no rows (`read_csv_files`).
    """
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and not is_skipped(p))
    if not files:
        raise ProblemsFound(
            [
                Problem(
                    "no-csv-files",
                    str(folder),
                    "no .csv files in this folder; a CSV sheet copy is one file per tab, "
                    "e.g. 'START HERE.csv' and '1. Program Goals.csv'",
                )
            ]
        )
    if len(files) > MAX_TABS:
        raise copy_too_large(str(folder), f"it has over {MAX_TABS} CSV files")
    contents: dict[str, bytes] = {}
    for path in files:  # each read within its bound, and no more in all than a copy holds
        contents[path.stem] = bounded_bytes(path, path.name)
        _check_csv_copy([len(data) for data in contents.values()], str(folder))
    return read_csv_files(contents, unread)


def read_csv_files(files: dict[str, bytes], unread: Unread = _read_all) -> Sheets:
    """Tabs from CSV contents keyed by tab title, every problem of every file found.

    A file may be UTF-8 (with or without a byte-order mark), UTF-16 (as Excel's
    "Unicode text"), UTF-32 with a byte-order mark, or Windows-1252 (as Excel may
    save a CSV file), its lines ended as Windows, Unix or old Mac programs end them,
    and its cells separated by commas, semicolons (as Excel does where a comma is
    the decimal point) or tabs: each is told from the file itself. A file whose title
    `unread` picks is a tab with no rows, its contents not read.
    """
    _check_csv_copy([len(data) for data in files.values()], ", ".join(f"{t}.csv" for t in files))
    problems = Report()
    sheets: Sheets = {}
    for title, data in files.items():
        if unread(title):
            sheets[title] = []
            continue
        try:
            sheets[title] = _read_csv(data, f"{title}.csv")
        except ProblemsFound as exc:
            problems += exc.problems
    problems.raise_if_errors()
    return sheets


def _check_csv_copy(sizes: list[int], where: str) -> None:
    """Refuse a CSV copy of more files, or more bytes in all, than a copy has."""
    if len(sizes) > MAX_TABS:
        raise copy_too_large(where, f"it has over {MAX_TABS} CSV files")
    if sum(sizes) > MAX_UNPACKED_BYTES:
        raise copy_too_large(where, f"its CSV files hold over {MAX_UNPACKED_BYTES // 2**20} MB")


def _read_csv(data: bytes, where: str) -> Rows:
    if len(data) > MAX_FILE_BYTES:
        raise copy_too_large(where, f"it is over {MAX_FILE_BYTES // 2**20} MB")
    text = _decode(data, where)
    _allow_fields_as_long_as_a_file()
    reader = csv.reader(_lines(text), delimiter=_delimiter(text))
    rows: Rows = []
    try:
        for row in reader:
            if len(rows) == MAX_ROWS:
                raise copy_too_large(where, f"it has over {MAX_ROWS:,} rows")
            if len(row) > MAX_COLUMNS:
                raise copy_too_large(
                    f"{where}:{reader.line_num}", f"a row has over {MAX_COLUMNS} cells"
                )
            rows.append([csv_unescape(cell) or None for cell in row])
    except csv.Error as exc:
        raise ProblemsFound(
            [
                Problem(
                    "unreadable-file",
                    f"{where}:{reader.line_num}",
                    f"cannot read this line ({exc}); save the tab again as CSV UTF-8",
                )
            ]
        ) from None
    return rows


def _allow_fields_as_long_as_a_file() -> None:
    """Let a CSV cell be as long as its file (bounded), so that import names a text over
    `MAX_TEXT_LENGTH` by its cell instead of the csv module refusing the whole file.

    The csv module keeps this limit for the whole process, and offers no limit for one
    reader; it is raised here when a CSV file is read, never lowered (which would fail a
    read under way in another thread, or another library's own setting).
    """
    if csv.field_size_limit() < MAX_FILE_BYTES:
        csv.field_size_limit(MAX_FILE_BYTES)


def _decode(data: bytes, where: str) -> str:
    """The text of a CSV file, in the encoding its bytes show (see `read_csv_files`).

    Bytes that are not UTF-8 in a file that is otherwise (it has a character UTF-8
    writes in several bytes) are damage, named by their line: read as Windows-1252,
    the whole file would quietly become other letters. A file with no such character
    and bytes from 0x80 up is Windows-1252.
    """
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ProblemsFound(
            [
                Problem(
                    "unreadable-file",
                    where,
                    "this is a workbook, not a CSV file; give it with its own name (.xlsx), "
                    "or save each tab as CSV UTF-8",
                )
            ]
        )
    head = data[:4096]
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16's, its start
        encoding, expected = "utf-32", "UTF-32, as its first bytes say,"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, expected = "utf-16", "UTF-16, as its first bytes say,"
    elif head[1::2].count(0) > len(head) // 4:  # ASCII in UTF-16 without a mark: "a\0b\0"
        encoding, expected = "utf-16-le", "UTF-8"
    elif head[0::2].count(0) > len(head) // 4:
        encoding, expected = "utf-16-be", "UTF-8"
    elif data.isascii() or _UTF8_SEQUENCE.search(data):
        encoding, expected = "utf-8-sig", "UTF-8"
    else:
        encoding, expected = "cp1252", "UTF-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        failed = exc
    line = data.count(b"\n", 0, failed.start) + 1
    damage = "" if encoding == "cp1252" else "; the file may be damaged"
    raise ProblemsFound(
        [
            Problem(
                "unreadable-file",
                f"{where}:{line}",
                f"this file is not text in {expected} (byte 0x{data[failed.start]:02X} on this "
                f"line cannot be read{damage}); save the tab again as "
                "'CSV UTF-8 (Comma delimited)'",
            )
        ]
    )


def _lines(text: str) -> io.StringIO:
    """`text` as the csv module reads a file: lines ended by LF, CR LF or CR alone (as old
    Mac programs save), each kept as written so that quoted line breaks stay whole."""
    return io.StringIO(text, newline="")


def _delimiter(text: str) -> str:
    """The character that separates cells: the one of `,` `;` and tab that splits the most
    rows of the file's beginning (a comma when none does better)."""
    sample = text[:65536]

    def split_rows(delimiter: str) -> int:
        rows = csv.reader(_lines(sample), delimiter=delimiter)
        try:
            return sum(len(row) > 1 for row in rows)
        except csv.Error:  # a line break where this delimiter puts none: not this one
            return -1

    return max(CSV_DELIMITERS, key=split_rows)


def csv_unescape(text: str) -> str:
    """Remove the injection-guard quote `csv_escape` added."""
    if len(text) >= 2 and text[0] == "'" and text[1] in CSV_ESCAPED_STARTS:
        return text[1:]
    return text


def csv_escape(text: str) -> str:
    """Text that no spreadsheet opening the CSV will run as a formula."""
    return "'" + text if text.startswith(CSV_ESCAPED_STARTS) else text


# --- writing -----------------------------------------------------------------------------


def export_xlsx(
    study: SelfStudy | None,
    rubric: Rubric,
    target: Path | IO[bytes],
    agreement: TeamAgreement | None = None,
) -> None:
    """Write the sheet copy of `study` (a blank template when None) as an .xlsx workbook.

    With a team study's `agreement` (once its consensus step is open), a last tab says how
    much its raters agreed; importing the copy skips that tab (as any extra tab, with a
    warning), so the copy still reads back to exactly the same study.
    """
    tabs = layout(rubric, study)
    if agreement is not None:
        tabs.append(agreement_tab(rubric, agreement))
    write_xlsx(tabs, target)


def export_csv(study: SelfStudy | None, rubric: Rubric, folder: Path) -> list[Path]:
    """Write the sheet copy as one CSV file per tab into `folder`; returns the files."""
    return write_csv_folder(layout(rubric, study, SHEETS_TITLE_LIMIT), folder)


def xlsx_bytes(
    study: SelfStudy | None, rubric: Rubric, agreement: TeamAgreement | None = None
) -> bytes:
    buffer = io.BytesIO()
    export_xlsx(study, rubric, buffer, agreement)
    return buffer.getvalue()


def write_xlsx(tabs: list[Tab], target: Path | IO[bytes]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    problems = Report()
    for tab in tabs:
        problems += _write_tab(workbook.create_sheet(tab.title), tab)
    problems.raise_if_errors()
    if isinstance(target, Path):
        buffer = io.BytesIO()
        workbook.save(buffer)
        write_atomically(target, buffer.getvalue())
    else:
        workbook.save(target)


def _write_tab(sheet: Any, tab: Tab) -> list[Problem]:
    """Write `tab` into `sheet`; the cells whose text an Excel cell cannot hold whole."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold_rows = set(tab.bold_rows)
    problems = []
    for r, row in enumerate(tab.rows, 1):
        for c, value in enumerate(row, 1):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                if text_length(value) > EXCEL_CELL_LIMIT:
                    problems.append(_too_long_for_excel(a1(tab.title, r, c), value))
                    continue
                _set_text(cell, _ooxml_escape(value))
            else:
                cell.value = value
            if r in bold_rows:
                cell.font = bold
            if tab.wrap:
                cell.alignment = wrap
    for c, width in enumerate(tab.widths, 1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    if tab.frozen_rows:
        sheet.freeze_panes = f"A{tab.frozen_rows + 1}"
    for (r, c), url in tab.links.items():
        sheet.cell(row=r, column=c).hyperlink = url
        sheet.cell(row=r, column=c).style = "Hyperlink"
    for dropdown in tab.dropdowns:
        formula = _inline_list(dropdown.options)
        if formula is None or not dropdown.cells:
            continue
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="Not one of the choices",
            error="Choose from the list; the import also reads e.g. '3' or '3 - Established'.",
        )
        for r, c in dropdown.cells:
            validation.add(f"{get_column_letter(c)}{r}")
        sheet.add_data_validation(validation)
    return problems


def _set_text(cell: Any, text: str) -> None:
    """Put `text` (escaped) in `cell` as a text cell: never a formula, whatever it begins with.

    openpyxl would cut the escaped text to 32,767 characters, though each escape is
    one character once read (`_x001B_`, or `_x005F_` for the `_` of a text that looks
    like an escape), and Excel, which writes such escapes itself, counts the text as
    read. So the text is set as it is, its length as read checked by the caller.
    """
    cell._value = text
    cell.data_type = "s"


def _too_long_for_excel(where: str, text: str) -> Problem:
    return Problem(
        "text-too-long",
        where,
        f"this text is {text_length(text):,} characters long, more than the "
        f"{EXCEL_CELL_LIMIT:,} an Excel cell holds; shorten it, or export to CSV files instead",
    )


def _inline_list(options: list[str]) -> str | None:
    """An Excel list-validation formula, or None when the options cannot be written inline."""
    if any("," in o or '"' in o or _XML_UNSAFE.search(o) or _NOT_IN_XML.search(o) for o in options):
        return None  # a control character would make the workbook unreadable
    formula = '"' + ",".join(options) + '"'
    return formula if len(formula) - 2 <= _INLINE_LIST_LIMIT else None


def _ooxml_escape(text: str) -> str:
    text = _OOXML_ESCAPE.sub("_x005F_", text)  # `_x0041_x0041_`: both escapes, overlapping
    text = text.replace("\r", "_x000D_")
    text = _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = _NOT_IN_XML.sub("\ufffd", text)
    if text.strip() == "":
        # openpyxl marks a text's spaces as kept only when it has more than spaces, and
        # calamine then drops the spaces ' ', tab, CR and LF: escape the first character
        # of the first 256 (the escapes calamine undoes), when the text has one
        text = _LATIN_1.sub(lambda m: f"_x{ord(m.group()):04X}_", text, count=1)
    return text


def write_csv_folder(tabs: list[Tab], folder: Path) -> list[Path]:
    """One CSV file per tab in `folder`, written as one: all of them, or none (the old
    files stay as they were). Other files in the folder are left alone."""
    ensure_folder(folder)
    files = {folder / f"{tab.title}.csv": csv_text(tab.rows).encode("utf-8") for tab in tabs}
    write_all_atomically(files)
    return list(files)


def csv_text(rows: Rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _csv_cell(cell: Cell) -> str:
    if isinstance(cell, str):
        return csv_escape(cell)
    if isinstance(cell, float):
        return repr(cell)
    return cell_text(cell)
