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
    SHEETS_TITLE_LIMIT,
    SUMMARY,
    Cell,
    Rows,
    Sheets,
    a1,
    cell_text,
    dimension_tab_title,
    normalize,
)
from selfstudy.sheetcopy.export import Tab, layout, sheets_of, summary_tab
from selfstudy.sheetcopy.parse import (
    ImportResult,
    copy_rubric_ref,
    existing_tabs,
    parse_sheet_copy,
    study_from_sheets,
)
from selfstudy.sheetcopy.sources import (
    discover_sources,
    interpret,
    read_sheet_copy,
    read_study_source,
)
from selfstudy.sheetcopy.values import export_value, split_options

__all__ = [
    "SHEETS_TITLE_LIMIT",
    "SUMMARY",
    "Cell",
    "ImportResult",
    "Rows",
    "Sheets",
    "Tab",
    "a1",
    "cell_text",
    "copy_rubric_ref",
    "dimension_tab_title",
    "discover_sources",
    "existing_tabs",
    "export_value",
    "interpret",
    "layout",
    "normalize",
    "parse_sheet_copy",
    "read_sheet_copy",
    "read_study_source",
    "sheets_of",
    "split_options",
    "study_from_sheets",
    "summary_tab",
]
