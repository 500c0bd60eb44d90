"""A NUL character in a sheet copy's cell is refused at that cell, never a traceback.

No model holds a NUL (PostgreSQL cannot store one), so a copy carrying one (an .xlsx
cell's `_x0000_`, a raw NUL in a CSV file) reads to no study and a located problem.
"""

from __future__ import annotations

from selfstudy.core.sheetcopy import parse_sheet_copy
from selfstudy.core.study import Answer
from selfstudy.edges.workbooks import read_xlsx, xlsx_bytes
from tests.sheet_tables import TINY, tiny_study


def test_a_nul_in_an_answer_or_a_program_detail_is_refused_at_its_cell():
    sheets = read_xlsx(xlsx_bytes(tiny_study(**{"PG.1.a": Answer(value=3, evidence="x")}), TINY))
    goals = next(title for title in sheets if title.startswith("1."))
    header = next(row for row in sheets[goals] if "Rating" in row)
    row = next(row for row in sheets[goals] if row and row[0] == "PG.1.a")
    row[header.index("Evidence")] = "Rosters\x00 2025"
    detail = next(row for row in sheets["START HERE"] if row and row[0] == "Organization")
    detail[1] = "Bridge\x00 Org"
    result = parse_sheet_copy(sheets, TINY)
    assert result.study is None
    assert [(p.code, p.location) for p in result.problems] == [
        ("nul-character", f"'START HERE'!B{sheets['START HERE'].index(detail) + 1}"),
        ("nul-character", f"'1. Program Goals'!E{sheets[goals].index(row) + 1}"),
    ]
    assert "the Evidence of PG.1.a holds a NUL character" in result.problems[1].message
    assert "remove the NUL character" in result.problems[0].message
