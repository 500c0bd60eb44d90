"""The cohort report as an .xlsx workbook, for facilitators to keep and share.

Tabs: `About` (what was compared and how to read it, with the completeness
threshold and how many self-studies it left out), `Dimensions` and `Standards`
(per group), `Programs` (a program × standard grid of mean levels, coloured by
status), `Changes` (baseline → follow-up, per group and per program), `Needs
and assets`, and `Left out` (each self-study not complete enough to count, and
why). Every cell holds a value, never a formula:
text is written as text whatever it begins with. The command line writes the
file whole or not at all (`edges.files.write_atomically`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from copy import copy
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from selfstudy.core.cohorts import Comparison, threshold_text
from selfstudy.core.scoring import STATUSES
from selfstudy.core.wording import STATUS_LABELS

STATUS_FILLS = {
    "meets": "C6E5B3",
    "approaching": "FCE8B2",
    "not_yet": "F4C7C3",
    "not_rated": "EEEEEE",
}
BOLD = Font(bold=True)

SUMMARY_HEADERS = [
    "Programs",
    "Rated",
    "Mean level",
    "Median level",
    "SD",
    "Min",
    "Max",
    "Meet target",
    "Share meeting",
]


def cohort_report_bytes(comparison: Comparison) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    _about(workbook.create_sheet("About"), comparison)
    _summary(workbook.create_sheet("Dimensions"), comparison, "dimension")
    _summary(workbook.create_sheet("Standards"), comparison, "standard")
    _programs(workbook.create_sheet("Programs"), comparison)
    _changes(workbook.create_sheet("Changes"), comparison)
    _needs_and_assets(workbook.create_sheet("Needs and assets"), comparison)
    _left_out(workbook.create_sheet("Left out"), comparison)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write one value; text stays text (never a formula), NaN and None leave the cell empty."""
    cell = sheet.cell(row=row, column=column)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return cell
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _table(
    sheet: Worksheet, top: int, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Headers in bold then rows, from row `top`; returns the next free row."""
    for c, header in enumerate(headers, 1):
        _put(sheet, top, c, header).font = BOLD
    for r, values in enumerate(rows, top + 1):
        for c, value in enumerate(values, 1):
            cell = _put(sheet, r, c, value)
            if isinstance(value, float):
                cell.number_format = "0.00"
    return top + len(rows) + 1


def _level(value: Any) -> float | None:
    """Levels and changes rounded to 2 places, as every scoring output rounds them."""
    return None if value is None or np.isnan(value) else round(float(value), 2)


def _share(value: Any) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 4)


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for c, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(c)].width = width


def _about(sheet: Worksheet, comparison: Comparison) -> None:
    rubric = comparison.scores.rubric.rubric
    programs = comparison.scores.programs
    rows = [
        ("Cohort report", ""),
        ("Rubric", f"{rubric.title} ({rubric.id}, version {rubric.version})"),
        ("Grouped by", comparison.by),
        ("Self-studies", len(programs)),
        ("Programs", programs["key"].nunique()),
        ("Counted", _counted(comparison)),
        ("Left out", _left_out_summary(comparison)),
        (
            "How to read it",
            "Levels are mean levels on the rubric's scale, computed as in a single "
            "self-study's scores. For a group, the mean and median are over its programs' "
            "mean levels; 'Share meeting' is the programs that meet the target divided by "
            "the programs with that dimension or standard rated. Groups other than rounds "
            "are split by round.",
        ),
        (
            "Needs and assets",
            "Standards met by the fewest and the most programs, each program in its latest round.",
        ),
    ]
    for r, (label, value) in enumerate(rows, 1):
        _put(sheet, r, 1, label).font = BOLD
        _put(sheet, r, 2, value)
    _widths(sheet, [18, 100])


def _counted(comparison: Comparison) -> str:
    threshold = comparison.left_out.min_complete
    if threshold == 0:
        return "Every self-study chosen, however unfinished (no completeness threshold)."
    return (
        f"Self-studies with at least {threshold_text(threshold)} of their required items "
        "answered (N/A counts as answered; items hidden by a show_if rule are not required)."
    )


def _left_out_summary(comparison: Comparison) -> str:
    left_out = comparison.left_out
    if not len(left_out):
        return "None."
    return f"{left_out.summary()}; the 'Left out' sheet lists them and why."


def _left_out(sheet: Worksheet, comparison: Comparison) -> None:
    """One row per self-study left out as not complete enough, with why."""
    left_out = comparison.left_out
    if not len(left_out):
        _put(sheet, 1, 1, "No self-study was left out as unfinished.")
        return
    rows = [
        [r["program"], r["cohort"], r["round"], r["answered"], r["required"], r["reason"]]
        for r in left_out.table().to_dict("records")
    ]
    headers = ["Program", "Cohort", "Round", "Required answered", "Required items", "Why"]
    _table(sheet, 1, headers, rows)
    sheet.freeze_panes = "A2"
    _widths(sheet, [34, 22, 14, 18, 15, 80])


def _summary(sheet: Worksheet, comparison: Comparison, part: str) -> None:
    frame = comparison.dimensions if part == "dimension" else comparison.standards
    fields = comparison.group_fields
    titles = _titles(comparison, part)
    extra = ["dimension"] if part == "standard" else []
    headers = [
        *(f.capitalize() for f in fields),
        part.capitalize(),
        "Title",
        *(e.capitalize() for e in extra),
        *SUMMARY_HEADERS,
    ]
    rows = [
        [
            *(r[f] for f in fields),
            r[part],
            titles[r[part]],
            *(r[e] for e in extra),
            r["programs"],
            r["rated"],
            *(_level(r[k]) for k in ("mean_level", "median_level", "std_level")),
            *(_level(r[k]) for k in ("min_level", "max_level")),
            r["meets"],
            _share(r["share_meets"]),
        ]
        for r in frame.to_dict("records")
    ]
    _table(sheet, 1, headers, rows)
    share_column = len(headers)
    for r in range(2, len(rows) + 2):
        sheet.cell(row=r, column=share_column).number_format = "0%"
    sheet.freeze_panes = "A2"
    _widths(sheet, [22] * len(fields) + [22, 50] + [20] * len(extra) + [12] * 9)


def _titles(comparison: Comparison, part: str) -> dict[str, str]:
    rubric = comparison.scores.rubric.rubric
    if part == "dimension":
        return {d.id: d.title for d in rubric.dimensions}
    return {s.id: s.title for s in rubric.standards()}


def _programs(sheet: Worksheet, comparison: Comparison) -> None:
    """One row per self-study: overall level, then each standard's level coloured by status."""
    scores = comparison.scores
    arrays = scores.rubric
    programs = scores.programs
    headers = ["Program", "Cohort", "Round", "Overall", *arrays.standard_ids]
    for c, header in enumerate(headers, 1):
        _put(sheet, 1, c, header).font = BOLD
    levels = _LevelCells(sheet)
    for i in range(len(scores)):
        r = i + 2
        _put(sheet, r, 1, programs["program"].iloc[i])
        _put(sheet, r, 2, programs["cohort"].iloc[i])
        _put(sheet, r, 3, programs["round"].iloc[i])
        levels.put(r, 4, scores.overall_level[i], scores.overall_status[i])
        for j in range(len(arrays.standard_ids)):
            level, status = scores.standard_level[i, j], scores.standard_status[i, j]
            levels.put(r, 5 + j, level, status)
    legend = len(scores) + 3
    _put(sheet, legend, 1, "Colours").font = BOLD
    for k, status in enumerate(STATUSES):
        _put(sheet, legend + 1 + k, 1, STATUS_LABELS[status]).fill = levels.fills[status]
    sheet.freeze_panes = "E2"
    _widths(sheet, [34, 22, 14, 9] + [7] * len(arrays.standard_ids))


class _LevelCells:
    """Levels shown with two decimals on their status's colour. The first cell of each
    status is styled as openpyxl documents; the others take a copy of its style (openpyxl's
    `_style`): setting a fill looks it up among the workbook's styles, which took most of
    the time of a network's workbook (100,000 cells for 4,000 studies)."""

    def __init__(self, sheet: Worksheet):
        self.sheet = sheet
        self.fills = {s: PatternFill("solid", fgColor=color) for s, color in STATUS_FILLS.items()}
        self.styles: dict[int, StyleArray] = {}

    def put(self, row: int, column: int, level: float, status: int) -> None:
        cell = _put(self.sheet, row, column, _level(level))
        if status in self.styles:
            cell._style = copy(self.styles[status])
            return
        cell.number_format = "0.00"
        cell.fill = self.fills[STATUSES[status]]
        self.styles[status] = copy(cell._style)


def _changes(sheet: Worksheet, comparison: Comparison) -> None:
    titles = {**_titles(comparison, "dimension"), None: "Overall"}
    summary = comparison.change_summary
    if summary.empty:
        _put(sheet, 1, 1, "No program has both a baseline and a follow-up round.")
        return
    rows = [
        [
            r["group"],
            r["baseline"],
            r["follow_up"],
            titles[_dimension_key(r["dimension"])],
            r["programs"],
            _level(r["mean_change"]),
            _level(r["median_change"]),
            r["improved"],
            _share(r["share_improved"]),
        ]
        for r in summary.to_dict("records")
    ]
    headers = [
        "Group",
        "Baseline",
        "Follow-up",
        "Dimension",
        "Programs",
        "Mean change",
        "Median change",
        "Improved",
        "Share improved",
    ]
    after = _table(sheet, 1, headers, rows)
    for r in range(2, len(rows) + 2):
        sheet.cell(row=r, column=9).number_format = "0%"
    per_program = [
        [
            r["program"],
            r["group"],
            titles[_dimension_key(r["dimension"])],
            _level(r["baseline_level"]),
            _level(r["follow_up_level"]),
            _level(r["change"]),
        ]
        for r in comparison.changes.to_dict("records")
    ]
    _table(
        sheet,
        after + 1,
        ["Program", "Group", "Dimension", "Baseline level", "Follow-up level", "Change"],
        per_program,
    )
    _widths(sheet, [34, 22, 34, 16, 16, 12, 14, 10, 14])


def _dimension_key(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _needs_and_assets(sheet: Worksheet, comparison: Comparison) -> None:
    rubric = comparison.scores.rubric.rubric
    headers = ["Standard", "Title", "Dimension", "Rated", "Meet target", "Share", "Mean level"]
    top = 1
    for heading, frame in (
        ("Needs: standards the fewest programs meet", comparison.needs),
        ("Assets: standards the most programs meet", comparison.assets),
    ):
        _put(sheet, top, 1, heading).font = BOLD
        rows = [
            [
                r["standard"],
                rubric.standard_by_id[r["standard"]].title,
                r["dimension"],
                r["rated"],
                r["meets"],
                _share(r["share_meets"]),
                _level(r["mean_level"]),
            ]
            for r in frame.to_dict("records")
        ]
        after = _table(sheet, top + 1, headers, rows)
        for r in range(top + 2, after):
            sheet.cell(row=r, column=6).number_format = "0%"
        top = after + 1
    _widths(sheet, [10, 60, 24, 8, 12, 8, 11])
