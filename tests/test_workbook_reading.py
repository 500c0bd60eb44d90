"""What reading a workbook faster must keep: every cell's place, every formula pointed out,
and no tag that makes the measuring of a workbook slow past its size.

Bulk import reads each copy's cell tags once (their attributes as a placed cell's, or else
as any), and reads a tag's attributes without copying the rest of the tag for each; these
tests check what a person would see stays the same, and that a crafted tag cannot hang a read.
"""

from __future__ import annotations

import io
import re
import time
import zipfile

from selfstudy.core.sheetcopy import a1, parse_sheet_copy
from selfstudy.core.study import Answer
from selfstudy.edges.workbooks import read_xlsx, xlsx_bytes
from tests.hostile import with_part
from tests.sheet_tables import TINY, tiny_study

GOALS = "xl/worksheets/sheet2.xml"


def _copy() -> bytes:
    return xlsx_bytes(tiny_study(**{"PG.1.a": Answer(value=3, evidence="Goals page")}), TINY)


def _with_rating_cell(workbook: bytes, cell: str) -> bytes:
    """`workbook` with PG.1.a's Rating cell written as `cell` ({place} for its place)."""
    place = _rating_place(workbook)
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        sheet = source.read(GOALS).decode()
    sheet = re.sub(rf'<c r="{place}"[^>]*>.*?</c>', cell.format(place=place), sheet)
    return with_part(workbook, GOALS, [sheet.encode()])


def _rating_place(workbook: bytes) -> str:
    cells = parse_sheet_copy(read_xlsx(workbook), TINY).cells["PG.1.a"]
    return a1(cells.tab, cells.row, cells.rating).split("!")[1]


def test_a_formula_is_pointed_out_whatever_the_order_and_spacing_of_its_cells_attributes():
    workbook = _copy()
    where = f"'1. Program Goals'!{_rating_place(workbook)}"
    for cell in (
        '<c s="2" t="str"  r = "{place}" ><f>IF(1,"Sustaining")</f><v>Sustaining</v></c>',
        "<c r='{place}' t='str'>\n  <f>IF(1,\"Sustaining\")</f><v>Sustaining</v></c>",
    ):
        result = parse_sheet_copy(read_xlsx(_with_rating_cell(workbook, cell)), TINY)
        warned = [(p.code, p.location) for p in result.problems.warnings]
        assert warned == [("formula-not-read", where)]
        assert result.study is not None and result.study.answers["PG.1.a"].value is None


def test_a_formula_after_an_empty_cells_tag_belongs_to_no_cell_and_is_not_pointed_out():
    workbook = _copy()
    result = parse_sheet_copy(
        read_xlsx(_with_rating_cell(workbook, '<c r="{place}" s="2"/><f>IF(1,"Sustaining")</f>')),
        TINY,
    )
    assert [p.code for p in result.problems.warnings] == []
    assert result.study is not None and result.study.answers["PG.1.a"].value is None
    assert result.study.answers["PG.1.a"].evidence == "Goals page"


def test_a_tab_whose_tag_holds_hundreds_of_thousands_of_attributes_is_read_in_seconds():
    # Reading a tag's attributes copied the rest of the tag for each one: 200,000 of them
    # (470 kB packed) took half a minute, and a workbook may hold many such parts.
    workbook = _copy()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        names = source.read("xl/workbook.xml")
    junk = b"".join(b' a%d="1"' % n for n in range(200_000))
    crafted = with_part(
        workbook, "xl/workbook.xml", [names.replace(b"<sheet ", b"<sheet" + junk + b" ", 1)]
    )
    start = time.perf_counter()
    sheets = read_xlsx(crafted)
    assert time.perf_counter() - start < 10
    assert sheets == read_xlsx(workbook)
