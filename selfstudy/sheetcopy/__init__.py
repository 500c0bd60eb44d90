"""The sheet-copy layout: a self-study as tabs of rows, and tabs of rows as a self-study.

Every input format (xlsx, a folder of CSV files, a Google Sheet) first becomes
one plain structure, `Sheets = dict[tab title, list of rows]`, and only then is
interpreted here, as `sheet-copy-format.md` says. Export goes the other way:
`layout()` turns a study and its rubric into `Tab`s, which the edges
(`workbooks`, `gsheets`) write out.

`copy_format` holds the layout's names and cell helpers, `values` the
round-trip rules for answer cells, `export` study -> tabs, `parse` tabs ->
study with every problem, and `sources` the files on disk.
"""

from selfstudy.sheetcopy.copy_format import (
    COLUMN_ALIASES,
    COLUMN_WIDTHS,
    EXCEL_TITLE_LIMIT,
    EXTRA_FIELD_PREFIX,
    HEADER_SEARCH_ROWS,
    MULTICHOICE_SEPARATOR,
    NA_SPELLINGS,
    PROGRAM_LABELS,
    RUBRIC_LABEL,
    RUBRIC_VERSION_LABEL,
    SHEETS_TITLE_LIMIT,
    START_HERE,
    SUMMARY,
    Cell,
    Rows,
    Sheets,
    a1,
    cell_text,
    column_letter,
    dimension_tab_title,
    is_blank,
    normalize,
)
from selfstudy.sheetcopy.export import Dropdown, Tab, layout, sheets_of
from selfstudy.sheetcopy.parse import (
    ImportResult,
    ItemCells,
    copy_rubric_ref,
    existing_tabs,
    parse_sheet_copy,
    study_from_sheets,
)
from selfstudy.sheetcopy.sources import (
    JSON_SUFFIX,
    XLSX_SUFFIXES,
    discover_sources,
    export_csv,
    export_xlsx,
    interpret,
    is_csv_copy_folder,
    read_sheet_copy,
    read_study_source,
)
from selfstudy.sheetcopy.values import export_value, read_value, split_options

__all__ = [
    "COLUMN_ALIASES",
    "COLUMN_WIDTHS",
    "EXCEL_TITLE_LIMIT",
    "EXTRA_FIELD_PREFIX",
    "HEADER_SEARCH_ROWS",
    "JSON_SUFFIX",
    "MULTICHOICE_SEPARATOR",
    "NA_SPELLINGS",
    "PROGRAM_LABELS",
    "RUBRIC_LABEL",
    "RUBRIC_VERSION_LABEL",
    "SHEETS_TITLE_LIMIT",
    "START_HERE",
    "SUMMARY",
    "XLSX_SUFFIXES",
    "Cell",
    "Dropdown",
    "ImportResult",
    "ItemCells",
    "Rows",
    "Sheets",
    "Tab",
    "a1",
    "cell_text",
    "column_letter",
    "copy_rubric_ref",
    "dimension_tab_title",
    "discover_sources",
    "existing_tabs",
    "export_csv",
    "export_value",
    "export_xlsx",
    "interpret",
    "is_blank",
    "is_csv_copy_folder",
    "layout",
    "normalize",
    "parse_sheet_copy",
    "read_sheet_copy",
    "read_study_source",
    "read_value",
    "sheets_of",
    "split_options",
    "study_from_sheets",
]
