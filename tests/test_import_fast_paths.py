"""What the faster reading of sheet copies must keep: the same bounds, ratings and results.

Bulk import was made faster by measuring shared strings without numpy, by reading a
rating's label from a table made once for each scale, and by importing gspread only
for Google Sheets; these tests check what a person would see stays the same.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from selfstudy.core.problems import ProblemsFound
from selfstudy.core.sheetcopy import parse_sheet_copy
from selfstudy.core.study import Answer
from selfstudy.edges.workbook_limits import MAX_TEXT_BYTES
from selfstudy.edges.workbooks import read_xlsx, xlsx_bytes
from tests.hostile import SPREADSHEETML, sheet_xml, with_part
from tests.sheet_tables import TINY, TINY_RUBRIC, tiny_study

FIRST_SHEET = "xl/worksheets/sheet1.xml"


def _strings(*texts: str) -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in texts)
    return f'<sst xmlns="{SPREADSHEETML}">{items}</sst>'.encode()


def _showing(index: int, rows: int = 10_000) -> bytes:
    letters = [chr(ord("A") + c) for c in range(26)]
    return sheet_xml(
        *(
            f'<row r="{r}">'
            + "".join(f'<c r="{x}{r}" t="s"><v>{index}</v></c>' for x in letters)
            + "</row>"
            for r in range(1, rows + 1)
        )
    )


def _copy() -> bytes:
    return xlsx_bytes(tiny_study(**{"PG.1.a": Answer(value=3, evidence="Goals page")}), TINY)


@pytest.mark.parametrize("long_first", [True, False])
def test_two_shared_string_tables_count_the_longer_string_at_each_index(long_first):
    # calamine may read either table: 260,000 cells showing string 1 are 7.5 GB of text when
    # string 1 is the long one of either table, even where the other table has no string 1
    long, short = _strings("a", "x" * 29_000), _strings("b")
    first, second = (long, short) if long_first else (short, long)
    workbook = with_part(_copy(), "xl/sharedStrings.xml", [first])
    workbook = with_part(workbook, "xl/more/sharedStrings.xml", [second])
    workbook = with_part(workbook, FIRST_SHEET, [_showing(1)])
    with pytest.raises(ProblemsFound) as refused:
        read_xlsx(workbook)
    assert [p.code for p in refused.value.problems] == ["file-too-large"]
    assert f"over {MAX_TEXT_BYTES // 2**20} MB of text" in refused.value.problems[0].message


def test_two_short_shared_string_tables_still_read():
    workbook = with_part(_copy(), "xl/sharedStrings.xml", [_strings("a", "b")])
    workbook = with_part(workbook, "xl/more/sharedStrings.xml", [_strings("c")])
    workbook = with_part(workbook, FIRST_SHEET, [_showing(1, rows=3)])
    assert read_xlsx(workbook)["START HERE"] == [["b"] * 26] * 3


def _with_rating(cell: object):
    """The tiny copy's sheets with PG.1.a's Rating cell holding `cell`, read back."""
    sheets = read_xlsx(_copy())
    goals = next(title for title in sheets if title.startswith("1."))
    header = next(row for row in sheets[goals] if "Rating" in row)
    row = next(row for row in sheets[goals] if row and row[0] == "PG.1.a")
    row[header.index("Rating")] = cell
    return parse_sheet_copy(sheets, TINY)


@pytest.mark.parametrize("written", ["Established", "  established ", "ESTABLISHED", "3", 3])
def test_a_rating_is_read_by_its_label_in_any_case_and_spacing(written):
    result = _with_rating(written)
    assert result.problems == []
    assert result.study is not None and result.study.answers["PG.1.a"].value == 3


def test_a_label_with_its_spaces_doubled_is_the_same_label():
    result = _with_rating("Not \t  yet")
    assert result.problems == []
    assert result.study is not None and result.study.answers["PG.1.a"].value == 1


def test_an_unknown_rating_is_still_refused_at_its_cell():
    result = _with_rating("Splendid")
    assert result.study is None
    assert [p.code for p in result.problems] == ["bad-rating"]
    assert result.problems[0].location.startswith("'1. Program Goals'!")


def test_importing_copies_from_files_does_not_load_the_google_sheets_libraries(tmp_path):
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(_copy())
    rubric = tmp_path / "tiny.yaml"
    rubric.write_text(TINY_RUBRIC)
    program = (
        "import sys\n"
        "from selfstudy.cli import main\n"
        "try:\n"
        f"    main(['import', {str(copy)!r}, '--rubric', {str(rubric)!r},"
        f" '--out', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        "print(sorted(m for m in ('gspread', 'google.auth', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "[]"
    assert (tmp_path / "out").is_dir()
