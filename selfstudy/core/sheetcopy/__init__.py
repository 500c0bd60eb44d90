"""The sheet-copy layout: a self-study as tabs of rows, and tabs of rows as a self-study.

Every input format (xlsx, a folder of CSV files, a Google Sheet) first becomes
one plain structure, `Sheets = dict[tab title, list of rows]`, and only then is
interpreted here, as `sheet-copy-format.md` says. Export goes the other way:
`layout()` turns a study and its rubric into `Tab`s, which the edges
(`workbooks`, `gsheets`) write out.

`vocabulary` holds the layout's names and cell helpers, `values` the
round-trip rules for answer cells, `layout` study -> tabs, `parse` tabs ->
study with every problem. Reading files is the edges' work (`selfstudy.edges.sheet_files`).
"""

from selfstudy.core.sheetcopy.layout import Tab, layout, sheets_of, summary_tab
from selfstudy.core.sheetcopy.parse import (
    ImportResult,
    copy_rubric_cell,
    copy_rubric_ref,
    existing_tabs,
    parse_sheet_copy,
    study_from_sheets,
)
from selfstudy.core.sheetcopy.values import export_value, split_options
from selfstudy.core.sheetcopy.vocabulary import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TABS,
    SHEETS_TITLE_LIMIT,
    SUMMARY,
    Cell,
    Formula,
    Rows,
    Sheets,
    a1,
    cell_text,
    dimension_tab_title,
    is_ignored_tab,
    normalize,
)

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_TABS",
    "SHEETS_TITLE_LIMIT",
    "SUMMARY",
    "Cell",
    "Formula",
    "ImportResult",
    "Rows",
    "Sheets",
    "Tab",
    "a1",
    "cell_text",
    "copy_rubric_cell",
    "copy_rubric_ref",
    "dimension_tab_title",
    "existing_tabs",
    "export_value",
    "is_ignored_tab",
    "layout",
    "normalize",
    "parse_sheet_copy",
    "sheets_of",
    "split_options",
    "study_from_sheets",
    "summary_tab",
]
