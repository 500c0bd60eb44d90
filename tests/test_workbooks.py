"""Sheet copies as real .xlsx files and CSV folders: export, import, round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import NA
from selfstudy.core.sheetcopy import parse_sheet_copy
from selfstudy.core.study import Answer, Program, RubricRef, SelfStudy
from selfstudy.edges.sheet_files import discover_sources, read_sheet_copy, read_study_source
from selfstudy.edges.workbooks import (
    csv_escape,
    csv_unescape,
    export_csv,
    export_xlsx,
    read_csv_folder,
    read_xlsx,
    xlsx_bytes,
)
from tests.sheet_tables import TINY, studies, table, tiny_copy, xlsx


def test_hand_made_copy_with_every_allowed_quirk_imports_to_exactly_its_answers(tmp_path):
    sheets = {
        "Read me first": table("| notes from the facilitator |"),
        "START HERE": table(
            """
            | Tiny self-study |
            | Program name: | Raíces Science Scholars |
            | organization  | Centro Comunitario      |
            | Rubric        | tiny                    |
            """
        ),
        "Program Goals": table(
            """
            | Program Goals: our copy |
            |
            | (ratings agreed 12 March) |
            |
            | Notes / next steps | Score           | Evidence / examples        | Item ID | Owner |
            | | | | Section 1: goals | |
            | revisit in May     | 3 - Established | =minutes of 3 March        | PG.1.b  | Ana   |
            |                    |                 |                            |         |       |
            |                    | established     | +1 from the board          | PG.1.a  |       |
            | -                  | We need time    |                            | PG.R    |       |
            """
        ),
        "2) Student Recruitment": table(
            """
            | ID           | Rating       | Evidence |
            | SR.1.ways    | social media, flyers |  |
            | SR.1.a       | n/a          | @mention in the newsletter |
            | SR.1.hours   | {3.0}        |          |
            | SR.1.stipend | some students |         |
            """
        ),
    }
    path = tmp_path / "copy.xlsx"
    xlsx(sheets, path)
    result = read_sheet_copy(path, TINY)
    assert [p.code for p in result.problems] == ["extra-tab", "extra-column"]
    assert result.study == SelfStudy(
        rubric=RubricRef(id="tiny", version="2.0"),
        program=Program(name="Raíces Science Scholars", organization="Centro Comunitario"),
        answers={
            "PG.1.a": Answer(value=3, evidence="+1 from the board"),
            "PG.1.b": Answer(value=3, evidence="=minutes of 3 March", notes="revisit in May"),
            "PG.R": Answer(value="We need time", notes="-"),
            "SR.1.a": Answer(value=NA, evidence="@mention in the newsletter"),
            "SR.1.hours": Answer(value=3),
            "SR.1.stipend": Answer(value="Some students"),
            "SR.1.ways": Answer(value=["Social media", "Flyers"]),
        },
    )


def test_broken_copy_is_rejected_naming_each_problems_file_tab_and_cell(tmp_path):
    copy = tiny_copy()
    copy["1. Program Goals"][4][3] = "Excellent"
    copy["2. Student Recruitment"][1][0] = "SR.9"
    path = tmp_path / "broken.xlsx"
    xlsx(copy, path)
    with pytest.raises(ProblemsFound) as raised:
        read_study_source(path, TINY)
    assert [p.location for p in raised.value.problems] == [
        f"{path}: '1. Program Goals'!D5",
        f"{path}: '2. Student Recruitment'!A2",
        f"{path}: '2. Student Recruitment'",
    ]
    assert raised.value.codes() == ["bad-rating", "unknown-id", "missing-item"]


def test_export_xlsx_has_dropdowns_frozen_headers_and_readable_widths(tmp_path, default_rubric):
    path = tmp_path / "template.xlsx"
    export_xlsx(None, default_rubric, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[0] == "START HERE"
    assert workbook.sheetnames[-1] == "SUMMARY"
    goals = workbook["1. Program Goals"]
    assert goals.freeze_panes == "A5"
    assert [goals.cell(4, c).value for c in range(1, 7)] == [
        "ID",
        "Standard",
        "Indicator",
        "Rating",
        "Evidence",
        "Notes",
    ]
    assert goals.column_dimensions["C"].width >= 60
    assert goals.column_dimensions["E"].width >= 40
    lists = {dv.formula1: str(dv.sqref) for dv in goals.data_validations.dataValidation}
    scale = '"Not yet,Emerging,Established,Sustaining,N/A"'
    rating_cells = lists[scale].split()
    rated_rows = [
        r for r in range(5, goals.max_row + 1) if goals.cell(r, 4).coordinate in rating_cells
    ]
    rated_ids = {goals.cell(r, 1).value for r in rated_rows}
    assert rated_ids == {
        i.id for s in default_rubric.dimensions[0].standards for i in s.items if i.is_rating
    }
    recruitment = workbook["2. Student Recruitment"]
    formulas = {dv.formula1 for dv in recruitment.data_validations.dataValidation}
    assert '"Yes,No,Some students"' in formulas


def test_export_never_writes_a_formula(tmp_path):
    study = SelfStudy(
        rubric=RubricRef(id="tiny", version="2.0"),
        program=Program(name='=HYPERLINK("http://evil")'),
        answers={"PG.R": Answer(value="=1+1", evidence="@SUM(A1)", notes="+cmd|' /C calc'!A0")},
    )
    path = tmp_path / "copy.xlsx"
    export_xlsx(study, TINY, path)
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    export_csv(study, TINY, tmp_path / "csv")
    with open(tmp_path / "csv" / "1. Program Goals.csv", encoding="utf-8") as file:
        cells = [cell for row in csv.reader(file) for cell in row]
    assert "'=1+1" in cells and "'@SUM(A1)" in cells and "'+cmd|' /C calc'!A0" in cells
    assert read_study_source(path, TINY) == study
    assert read_study_source(tmp_path / "csv", TINY) == study


def test_csv_escape_is_undone_exactly():
    for text in ["=1", "+1", "-1", "@a", "\tx", "\rx", "'", "'=", "''x", "'hello", "plain", ""]:
        assert csv_unescape(csv_escape(text)) == text
    assert csv_unescape("'hello") == "'hello"  # a quote typed by a person stays


def test_samples_round_trip_through_xlsx_and_csv_exactly(tmp_path, default_rubric, sample_set):
    for n, study in enumerate(sample_set[:4]):
        export_xlsx(study, default_rubric, tmp_path / f"{n}.xlsx")
        export_csv(study, default_rubric, tmp_path / f"csv{n}")
        assert read_study_source(tmp_path / f"{n}.xlsx").to_json() == study.to_json()
        assert read_study_source(tmp_path / f"csv{n}").to_json() == study.to_json()


def test_the_rubric_is_found_from_the_copy_when_not_given(tmp_path, default_rubric, sample_set):
    path = tmp_path / "copy.xlsx"
    export_xlsx(sample_set[0], default_rubric, path)
    assert read_study_source(path).rubric.id == "stem-equity-self-study"
    sheets = read_xlsx(path)
    sheets["START HERE"] = [r for r in sheets["START HERE"] if r[:1] != ["Rubric"]]
    xlsx(sheets, path)
    with pytest.raises(ProblemsFound) as raised:
        read_study_source(path)
    assert raised.value.codes() == ["missing-rubric"]


def test_calamine_and_openpyxl_readers_agree(tmp_path, default_rubric, sample_set):
    data = xlsx_bytes(sample_set[1], default_rubric)
    assert read_xlsx(data, engine="openpyxl") == read_xlsx(data)


def test_a_file_that_is_not_a_workbook_is_reported_not_raised(tmp_path):
    path = tmp_path / "copy.xlsx"
    path.write_text("not a zip")
    result = read_sheet_copy(path)
    assert [(p.code, p.location) for p in result.problems] == [("unreadable-file", str(path))]
    other = tmp_path / "notes.txt"
    other.write_text("hi")
    assert read_sheet_copy(other).problems[0].code == "unsupported-source"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert read_sheet_copy(empty).problems[0].code == "no-csv-files"


def test_csv_folder_saved_by_excel_in_windows_encoding_is_read(tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    for title, rows in tiny_copy().items():
        text = "\r\n".join(",".join(cell_or_blank(c) for c in row) for row in rows)
        (folder / f"{title}.csv").write_bytes(
            text.replace("Bridge to STEM", "Raíces").encode("cp1252")
        )
    study = read_study_source(folder, TINY)
    assert study.program.name == "Raíces"
    assert study.answers["SR.1.hours"].value == 120


def test_csv_folder_ignores_excel_lock_files_of_its_tabs(tmp_path):
    files = export_csv(None, TINY, tmp_path / "copy")
    (tmp_path / "copy" / "~$START HERE.csv").write_bytes(b"\x00lock")
    (tmp_path / "copy" / ".START HERE.csv").write_bytes(b"hidden")
    assert list(read_csv_folder(tmp_path / "copy")) == sorted(f.stem for f in files)


def cell_or_blank(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return f'"{text}"' if "," in text else text


def test_discover_sources_expands_folders_and_skips_lock_files(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.xlsx").write_bytes(b"")
    (tmp_path / "~$b.xlsx").write_bytes(b"")
    (tmp_path / ".hidden.xlsx").write_bytes(b"")
    (tmp_path / "readme.txt").write_text("")
    export_csv(None, TINY, tmp_path / "csv-copy")
    (tmp_path / "empty").mkdir()
    assert discover_sources([tmp_path]) == [
        tmp_path / "a.json",
        tmp_path / "b.xlsx",
        tmp_path / "csv-copy",
    ]
    assert discover_sources([tmp_path / "csv-copy"]) == [tmp_path / "csv-copy"]
    (tmp_path / "totals.csv").write_text("a,b\n")  # a stray CSV beside the copies
    assert discover_sources([tmp_path]) == [
        tmp_path / "a.json",
        tmp_path / "b.xlsx",
        tmp_path / "csv-copy",
    ]


def test_csv_folder_export_has_one_file_per_tab(tmp_path, default_rubric):
    files = export_csv(None, default_rubric, tmp_path)
    assert [f.name for f in files][:3] == [
        "START HERE.csv",
        "1. Program Goals.csv",
        "2. Student Recruitment.csv",
    ]
    assert "3. Program Design and Implementation.csv" in [f.name for f in files]
    assert read_csv_folder(tmp_path).keys() == {f.stem for f in files}


# --- property: export then import gives the study back exactly ---------------------------------


@settings(max_examples=60, deadline=None)
@given(study=studies(TINY))
def test_any_study_round_trips_through_xlsx_exactly(study):
    buffer = io.BytesIO()
    export_xlsx(study, TINY, buffer)
    result = parse_sheet_copy(read_xlsx(buffer.getvalue()), TINY)
    assert result.problems == []
    assert result.study.to_json() == study.to_json()


@settings(max_examples=40, deadline=None)
@given(study=studies(TINY))
def test_any_study_round_trips_through_csv_exactly(tmp_path_factory, study):
    folder = tmp_path_factory.mktemp("csv")
    export_csv(study, TINY, folder)
    assert read_study_source(folder, TINY).to_json() == study.to_json()


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_study_of_the_default_rubric_round_trips(default_rubric, data):
    study = data.draw(studies(default_rubric))
    result = parse_sheet_copy(read_xlsx(xlsx_bytes(study, default_rubric)), default_rubric)
    assert result.study.to_json() == study.to_json()


def test_a_whole_float_on_a_number_item_stays_a_float_and_an_int_an_int():
    for value in (3, 3.0, -0.5, 2**60, 1e300, 0.1 + 0.2):
        study = SelfStudy(
            rubric=RubricRef(id="tiny", version="2.0"),
            program=Program(name="P"),
            answers={"SR.1.hours": Answer(value=value)},
        )
        back = parse_sheet_copy(read_xlsx(xlsx_bytes(study, TINY)), TINY).study
        assert repr(back.answers["SR.1.hours"].value) == repr(value)


def test_file_paths_in_problems_use_the_given_path(tmp_path: Path):
    copy = tiny_copy()
    copy["START HERE"][3][1] = None
    path = tmp_path / "c.xlsx"
    xlsx(copy, path)
    problems = read_sheet_copy(path, TINY).problems
    assert [str(p) for p in problems] == [
        f"{path}: 'START HERE'!B4: the program name is missing; write it in column B of "
        "the 'Program name' row"
    ]


def test_characters_no_xlsx_file_can_hold_become_the_replacement_character():
    study = SelfStudy(
        rubric=RubricRef(id="tiny", version="2.0"),
        program=Program(name="P"),
        answers={"PG.R": Answer(value="a\ufffeb", notes="\x01\x0b ok")},
    )
    back = parse_sheet_copy(read_xlsx(xlsx_bytes(study, TINY)), TINY).study
    assert back.answers["PG.R"] == Answer(value="a\ufffdb", notes="\x01\x0b ok")
