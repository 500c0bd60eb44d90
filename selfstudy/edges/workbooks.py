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

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import (
    SHEETS_TITLE_LIMIT,
    Cell,
    Rows,
    Sheets,
    Tab,
    cell_text,
    layout,
)
from selfstudy.core.study import SelfStudy
from selfstudy.edges.files import ensure_folder, write_atomically, write_text_atomically

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")  # what `read_sheets` opens
CSV_ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NOT_IN_XML = re.compile(r"[\ufffe\uffff]")  # no file format based on XML can hold these
_INLINE_LIST_LIMIT = 255


def is_skipped(path: Path) -> bool:
    """An Office lock file (`~$copy.xlsx`, `~$tab.csv`) or a hidden file: never a copy or a tab."""
    return path.name.startswith(("~$", "."))


# --- reading -----------------------------------------------------------------------------


def read_sheets(path: Path) -> Sheets:
    """The tabs of an .xlsx file or of a folder of CSV files; raises `ProblemsFound`."""
    if path.is_dir():
        return read_csv_folder(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_xlsx(path)
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


def read_xlsx(source: Path | bytes | IO[bytes], engine: str = "calamine") -> Sheets:
    """Every tab of a workbook as rows of plain cells (None for empty)."""
    where = str(source) if isinstance(source, Path) else "uploaded workbook"
    try:
        if engine == "openpyxl":
            return _read_with_openpyxl(source)
        return _read_with_calamine(source)
    except Exception as exc:  # calamine, zipfile and openpyxl each raise their own kinds
        raise ProblemsFound(
            [
                Problem(
                    "unreadable-file",
                    where,
                    f"cannot read this workbook ({type(exc).__name__}: {exc}); "
                    "save it again as .xlsx (Excel Workbook) and retry",
                )
            ]
        ) from None


def _read_with_calamine(source: Path | bytes | IO[bytes]) -> Sheets:
    from python_calamine import CalamineWorkbook

    if isinstance(source, Path):
        workbook = CalamineWorkbook.from_path(str(source))
    else:
        workbook = CalamineWorkbook.from_filelike(
            io.BytesIO(source) if isinstance(source, bytes) else source
        )
    return {
        name: _plain_rows(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
        for name in workbook.sheet_names
    }


def _read_with_openpyxl(source: Path | bytes | IO[bytes]) -> Sheets:
    import openpyxl

    if isinstance(source, bytes):
        source = io.BytesIO(source)
    workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        return {
            ws.title: _plain_rows(
                [
                    [_ooxml_unescape(c) if isinstance(c, str) else c for c in row]
                    for row in ws.iter_rows(values_only=True)
                ]
            )
            for ws in workbook.worksheets
        }
    finally:
        workbook.close()


def _plain_rows(rows: Iterable[Iterable[Any]]) -> Rows:
    return [[_plain_cell(cell) for cell in row] for row in rows]


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


def read_csv_folder(folder: Path) -> Sheets:
    """One tab per `*.csv` file in `folder` (lock and hidden files aside), titled by its name."""
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
    return read_csv_files({p.stem: p.read_bytes() for p in files})


def read_csv_files(files: dict[str, bytes]) -> Sheets:
    """Tabs from CSV contents keyed by tab title (UTF-8, or Windows-1252 as Excel may save)."""
    return {title: _read_csv_text(_decode(data)) for title, data in files.items()}


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv_text(text: str) -> Rows:
    return [[csv_unescape(cell) or None for cell in row] for row in csv.reader(io.StringIO(text))]


def csv_unescape(text: str) -> str:
    """Remove the injection-guard quote `csv_escape` added."""
    if len(text) >= 2 and text[0] == "'" and text[1] in CSV_ESCAPED_STARTS:
        return text[1:]
    return text


def csv_escape(text: str) -> str:
    """Text that no spreadsheet opening the CSV will run as a formula."""
    return "'" + text if text.startswith(CSV_ESCAPED_STARTS) else text


# --- writing -----------------------------------------------------------------------------


def export_xlsx(study: SelfStudy | None, rubric: Rubric, target: Path | IO[bytes]) -> None:
    """Write the sheet copy of `study` (a blank template when None) as an .xlsx workbook."""
    write_xlsx(layout(rubric, study), target)


def export_csv(study: SelfStudy | None, rubric: Rubric, folder: Path) -> list[Path]:
    """Write the sheet copy as one CSV file per tab into `folder`; returns the files."""
    return write_csv_folder(layout(rubric, study, SHEETS_TITLE_LIMIT), folder)


def xlsx_bytes(study: SelfStudy | None, rubric: Rubric) -> bytes:
    buffer = io.BytesIO()
    export_xlsx(study, rubric, buffer)
    return buffer.getvalue()


def write_xlsx(tabs: list[Tab], target: Path | IO[bytes]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for tab in tabs:
        _write_tab(workbook.create_sheet(tab.title), tab)
    if isinstance(target, Path):
        buffer = io.BytesIO()
        workbook.save(buffer)
        write_atomically(target, buffer.getvalue())
    else:
        workbook.save(target)


def _write_tab(sheet: Any, tab: Tab) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold_rows = set(tab.bold_rows)
    for r, row in enumerate(tab.rows, 1):
        for c, value in enumerate(row, 1):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = _ooxml_escape(value)
                cell.data_type = "s"  # never a formula, whatever the text begins with
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


def _inline_list(options: list[str]) -> str | None:
    """An Excel list-validation formula, or None when the options cannot be written inline."""
    if any("," in o or '"' in o or _XML_UNSAFE.search(o) or _NOT_IN_XML.search(o) for o in options):
        return None  # a control character would make the workbook unreadable
    formula = '"' + ",".join(options) + '"'
    return formula if len(formula) - 2 <= _INLINE_LIST_LIMIT else None


def _ooxml_escape(text: str) -> str:
    blank = text != "" and text.strip() == ""  # readers drop cells that are only spaces
    text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    text = text.replace("\r", "_x000D_")
    text = _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = _NOT_IN_XML.sub("\ufffd", text)
    if blank and text[0] != "_":
        text = f"_x{ord(text[0]):04X}_" + text[1:]
    return text


def write_csv_folder(tabs: list[Tab], folder: Path) -> list[Path]:
    ensure_folder(folder)
    written = []
    for tab in tabs:  # each file whole; the folder is written one tab after another
        path = folder / f"{tab.title}.csv"
        write_text_atomically(path, csv_text(tab.rows))
        written.append(path)
    return written


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
