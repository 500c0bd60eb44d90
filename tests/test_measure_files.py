"""A measure's data points read from CSV as spreadsheets write it: what a team gets from a
good file, and, from a bad one, every problem on its line with how to fix it."""

from __future__ import annotations

import pytest

from selfstudy.core.improvement import MAX_POINTS
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.measure_files import MAX_BYTES, read_points


def problems(data: bytes) -> list[str]:
    with pytest.raises(ProblemsFound) as found:
        read_points(data, "points.csv")
    lines = [str(p) for p in found.value.problems]
    assert all("Traceback" not in line for line in lines)
    return lines


GOOD = [
    {"on": "2026-03-02", "value": 10, "note": ""},
    {"on": "2026-03-09", "value": 12.5, "note": "school trip, half the class away"},
]


@pytest.mark.parametrize(
    "header",
    [
        "date,value,note",
        "Date,Value,Note",
        "DATE,VALUES,Notes",
        "Date,Value,Note(s)",
        "day,value,comments",
    ],
)
def test_the_header_spellings_people_use_are_read(header):
    data = f'{header}\n2026-03-02,10,\n2026-03-09,12.5,"school trip, half the class away"\n'
    assert read_points(data.encode(), "points.csv") == GOOD


def test_columns_in_another_order_and_no_note_column():
    assert read_points(b"Value,Date\n10,2026-03-02\n", "p.csv") == [
        {"on": "2026-03-02", "value": 10, "note": ""}
    ]


def test_excel_byte_order_mark_and_windows_line_ends():
    data = (
        "\ufeffdate,value,note\r\n"
        "2026-03-02,10,\r\n"
        '2026-03-09,12.5,"school trip, half the class away"\r\n'
    )
    assert read_points(data.encode("utf-8"), "points.csv") == GOOD


def test_semicolons_with_decimal_commas_as_a_european_spreadsheet_saves():
    data = "Date;Value;Note\n2026-03-02;10;\n2026-03-09;12,5;school trip, half the class away\n"
    assert read_points(data.encode(), "points.csv") == GOOD


def test_a_note_that_looks_like_a_formula_is_kept_as_text():
    data = b'date,value,note\n2026-03-02,1,"=HYPERLINK(""http://x"",""y"")"\n2026-03-03,2,+1\n2026-03-04,3,@SUM(A1)\n2026-03-05,4,-2\n'
    notes = [p["note"] for p in read_points(data, "p.csv")]
    assert notes == ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2"]


def test_a_note_over_several_lines_is_kept_and_later_lines_keep_their_numbers():
    data = b'date,value,note\n2026-03-02,1,"first line\nsecond line"\n2026-03-03,x,\n'
    assert problems(data) == ["points.csv:4: value: 'x' is not a number; write it as 12 or 12.5"]


def test_blank_rows_are_passed_over():
    data = b"date,value\n2026-03-02,1\n,\n\n2026-03-03,2\n"
    assert [p["value"] for p in read_points(data, "p.csv")] == [1, 2]


def test_us_and_uk_dates_are_read_when_the_file_tells_its_order():
    uk = b"date,value\n15/03/2026,1\n3/4/2026,2\n"
    us = b"date,value\n3/15/2026,1\n3/4/2026,2\n"
    assert [p["on"] for p in read_points(uk, "uk.csv")] == ["2026-03-15", "2026-04-03"]
    assert [p["on"] for p in read_points(us, "us.csv")] == ["2026-03-15", "2026-03-04"]


def test_an_ambiguous_date_is_refused_not_guessed():
    assert problems(b"date,value\n3/4/2026,2\n5/5/2026,3\n") == [
        "points.csv:2: date: '3/4/2026' could be 3 April or 4 March, and no other date in "
        "the file tells which; write it as 2026-03-15 (year-month-day)"
    ]


def test_a_file_mixing_day_first_and_month_first_dates_is_refused():
    lines = problems(b"date,value\n15/03/2026,1\n03/16/2026,2\n")
    assert [line.split(":")[1] for line in lines] == ["2", "3"]
    assert all("some dates day first" in line for line in lines)


def test_every_bad_row_is_located_at_once():
    data = (
        b"date,value,note\n"
        b"2026-03-02,10,\n"
        b"2026-02-30,11,\n"  # 3: no such day
        b"next week,12,\n"  # 4: not a date
        b"2026-03-16,,\n"  # 5: no value
        b"2026-03-23,85%,\n"  # 6: a percent
        b"3/23/26,1,\n"  # 7: two-digit year
        b"2026-03-30,1,2,3\n"  # 8: a cell too many
    )
    lines = problems(data)
    assert [line.split(":")[1] for line in lines] == ["3", "4", "5", "6", "7", "8"]
    assert "is not a date of the calendar" in lines[0]
    assert "'next week' is not a date; write it as 2026-03-15" in lines[1]
    assert "value: is empty" in lines[2]
    assert "without %" in lines[3]
    assert "two-digit year" in lines[4]
    assert "more cells than the header names" in lines[5]


def test_a_file_without_a_header_row_says_what_the_first_row_should_be():
    [line] = problems(b"2026-03-02,10\n2026-03-09,12\n")
    assert line.startswith("points.csv:1: the first row is not a header row")
    assert "date,value,note" in line


def test_a_column_the_import_does_not_read_is_named():
    lines = problems(b"date,value,staff\n2026-03-02,10,Ana\n")
    assert lines == [
        "points.csv:1: column 3 is headed 'staff', which is not one of date, value, note; "
        "rename it or remove the column"
    ]
    assert "no column is headed value" in problems(b"date,note\n2026-03-02,x\n")[0]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"date,value\n", "no data points under it"),
        (b"PK\x03\x04\x14\x00\x00\x00binary", "not a CSV file but a binary one"),
        ("date,value\n".encode("utf-16"), "UTF-16"),
        (b"date,value,note\n2026-03-02,1,caf\xe9\n", "not UTF-8"),
    ],
)
def test_an_empty_binary_or_wrongly_encoded_file_gets_words(data, words):
    [line] = problems(data)
    assert words in line
    assert line.startswith("points.csv")


def test_a_wrongly_encoded_file_is_located_at_its_line():
    [line] = problems(b"date,value,note\n2026-03-02,1,ok\n2026-03-03,1,caf\xe9\n")
    assert line.startswith("points.csv:3: ")


def test_a_file_over_the_size_bound_is_refused_unread():
    [line] = problems(b"date,value\n" + b"2026-03-02,1\n" * (MAX_BYTES // 13 + 1))
    assert "larger than 2 MB" in line


def test_a_file_with_more_points_than_a_measure_holds_is_refused():
    rows = b"".join(b"2026-03-02,1\n" for _ in range(MAX_POINTS + 1))
    [line] = problems(b"date,value\n" + rows)
    assert f"more than {MAX_POINTS:,} data points" in line
    assert len(read_points(b"date,value\n" + rows[: 13 * MAX_POINTS], "p.csv")) == MAX_POINTS


def test_a_file_of_many_bad_rows_lists_a_bounded_number_of_problems():
    lines = problems(b"date,value\n" + b"soon,1\n" * 500)
    assert len(lines) == 101
    assert "reading stopped after 100 problems" in lines[-1]


def test_numbers_are_kept_as_written():
    data = b"date,value\n2026-03-02,7\n2026-03-03,-2.5\n2026-03-04,0.333\n2026-03-05, 40 \n"
    assert [p["value"] for p in read_points(data, "p.csv")] == [7, -2.5, 0.333, 40]
    assert "is too large" in problems(b"date,value\n2026-03-02," + b"9" * 400 + b"\n")[0]
