"""Reading a sheet copy (tabs of rows) into a self-study, rule by rule of sheet-copy-format.md."""

from __future__ import annotations

import pytest

from selfstudy.core.problems import ProblemsFound
from selfstudy.core.sheetcopy import (
    SUMMARY,
    Formula,
    a1,
    copy_rubric_ref,
    dimension_tab_title,
    layout,
    parse_sheet_copy,
    sheets_of,
    split_options,
    study_from_sheets,
)
from selfstudy.core.study import Answer, SelfStudy
from tests.sheet_tables import TINY, TINY_RUBRIC, table, tiny_copy


def flat(result) -> list[tuple[str, str, str]]:
    """Problems as (severity, code, location), the way a user scans the report."""
    return [(p.severity, p.code, p.location) for p in result.problems]


def values(study: SelfStudy) -> dict[str, object]:
    return {item_id: answer.value for item_id, answer in study.answers.items()}


# --- the happy path and the tolerated quirks ----------------------------------------------


def test_a_filled_copy_imports_to_the_answers_it_holds():
    result = parse_sheet_copy(tiny_copy(), TINY)
    assert result.problems == []
    study = result.study
    assert study.program.name == "Bridge to STEM"
    assert study.program.id == "p01"
    assert study.program.cohort == "2025"
    assert (study.rubric.id, study.rubric.version) == ("tiny", "2.0")
    assert values(study) == {
        "PG.1.a": 3,
        "PG.1.b": 2,
        "PG.R": "Time",
        "SR.1.a": "N/A",
        "SR.1.hours": 120,
        "SR.1.stipend": "Yes",
        "SR.1.ways": ["Flyers", "Social media"],
    }
    assert study.answers["PG.1.a"].evidence == "Goals page"
    assert study.answers["PG.1.b"].notes == "Ask board"


def test_ratings_may_be_labels_values_both_or_na_in_any_spelling():
    copy = tiny_copy(
        **{
            "1. Program Goals": """
                | ID     | Rating          |
                | PG.1.a | 3 - Established |
                | PG.1.b | established     |
            """,
            "2. Student Recruitment": """
                | ID      | Rating          |
                | SR.1.a  | n/a             |
            """,
        }
    )
    copy["1. Program Goals"].append(["PG.R", "  "])
    copy["1. Program Goals"][2][1] = "  ESTABLISHED   "
    result = parse_sheet_copy(copy, TINY)
    assert values(result.study)["PG.1.a"] == 3
    assert values(result.study)["PG.1.b"] == 3
    assert values(result.study)["SR.1.a"] == "N/A"
    assert "PG.R" not in result.study.answers  # a blank cell is unanswered

    spellings = {
        "1": 1,
        "2.0": 2,
        "4: Sustaining": 4,
        "Emerging (2)": 2,
        "3 Established": 3,
        "1 – Not yet": 1,
        "Not Yet": 1,
        "NA": "N/A",
        "Not applicable": "N/A",
        "N/A": "N/A",
    }
    for spelling, expected in spellings.items():
        copy["1. Program Goals"][1][1] = spelling
        assert values(study_from_sheets(copy, TINY))["PG.1.a"] == expected, spelling
    for number in (3, 3.0):
        copy["1. Program Goals"][1][1] = number
        assert values(study_from_sheets(copy, TINY))["PG.1.a"] == 3


def test_header_may_be_lower_down_with_columns_reordered_and_renamed_by_alias():
    copy = tiny_copy(
        **{
            "1. Program Goals": """
                | Our notes on goals |
                |
                | Filled in by the team in March |
                |
                | Next steps | Evidence / examples | SCORE | Quality  standard | item id | Owner |
                | call board | minutes             | Sustaining |  PG.1   | PG.1.a  | Ana   |
            """
        }
    )
    result = parse_sheet_copy(copy, TINY)
    assert result.study.answers["PG.1.a"] == Answer(value=4, evidence="minutes", notes="call board")
    assert ("warning", "extra-column", "'1. Program Goals'!F5") in flat(result)


def test_blank_and_heading_rows_are_skipped_and_rows_may_be_in_any_order():
    copy = tiny_copy(
        **{
            "1. Program Goals": """
                | ID     | Rating   |
                | PG.R   | More time |
                |
                |        |          |
                | Section two: measurable goals |
                | PG.1.b | Emerging |
                | PG.1.a | Not yet  |
            """
        }
    )
    study = study_from_sheets(copy, TINY)
    assert values(study)["PG.1.a"] == 1
    assert values(study)["PG.1.b"] == 2
    assert values(study)["PG.R"] == "More time"
    assert list(study.answers)[:3] == ["PG.1.a", "PG.1.b", "PG.R"]  # rubric order again


def test_tab_titles_may_be_numbered_or_not_cut_short_or_named_like_a_download():
    copy = tiny_copy()
    goals = copy.pop("1. Program Goals")
    recruitment = copy.pop("2. Student Recruitment")
    copy["program goals"] = goals
    copy["Bridge copy - 2) Student Recru…"] = recruitment
    result = parse_sheet_copy(copy, TINY)
    assert result.problems == []
    assert values(result.study)["SR.1.a"] == "N/A"


def test_extra_tabs_and_the_summary_tab_are_ignored():
    copy = tiny_copy(Scratch="| anything | at all |")
    copy[SUMMARY] = table("| ID | Rating |\n| PG.1.a | Not yet |")
    result = parse_sheet_copy(copy, TINY)
    assert flat(result) == [("warning", "extra-tab", "'Scratch'")]
    assert values(result.study)["PG.1.a"] == 3


def test_text_beginning_with_formula_characters_stays_text():
    copy = tiny_copy()
    copy["1. Program Goals"][4][4] = "=SUM(A1:A3) is how we count"
    copy["1. Program Goals"][6][3] = "@everyone +1 -2"
    study = study_from_sheets(copy, TINY)
    assert study.answers["PG.1.a"].evidence == "=SUM(A1:A3) is how we count"
    assert study.answers["PG.R"].value == "@everyone +1 -2"


def test_start_here_labels_ignore_case_and_a_trailing_colon():
    copy = tiny_copy(
        START_HERE="""
            | PROGRAM NAME: | Code the Block |
            | organization  | Harbor Street  |
            | Completed on: | 2025-03-15     |
            | Round         | baseline       |
            | Program field: region | North  |
            | program FIELD: Grant ID: | G-7 |
            | Program field: name   | not the name |
        """
    )
    program = study_from_sheets(copy, TINY).program
    assert program.name == "Code the Block"
    assert program.organization == "Harbor Street"
    assert program.round == "baseline"
    assert program.model_dump()["completed_on"] == "2025-03-15"
    assert program.model_dump()["region"] == "North"
    assert program.model_dump()["Grant ID"] == "G-7"


def test_numbers_are_read_from_number_cells_and_text():
    copy = tiny_copy()
    rows = copy["2. Student Recruitment"]
    for cell, expected in [({120}, 120), (120.0, 120), (7.5, 7.5), ("12", 12), ("3.0", 3.0)]:
        rows[2][2] = next(iter(cell)) if isinstance(cell, set) else cell
        value = values(study_from_sheets(copy, TINY))["SR.1.hours"]
        assert value == expected and type(value) is type(expected), cell


def test_text_around_a_number_is_trimmed_with_a_warning():
    copy = tiny_copy()
    copy["2. Student Recruitment"][2][2] = "about 120 hours"
    result = parse_sheet_copy(copy, TINY)
    assert values(result.study)["SR.1.hours"] == 120
    assert flat(result) == [("warning", "number-trimmed", "'2. Student Recruitment'!C3")]


def test_choices_ignore_case_and_multichoice_splits_on_semicolons_or_commas():
    copy = tiny_copy()
    rows = copy["2. Student Recruitment"]
    rows[3][2] = "some STUDENTS"
    rows[4][2] = "social media, Home visits, with a translator;Radio; local"
    study = study_from_sheets(copy, TINY)
    assert values(study)["SR.1.stipend"] == "Some students"
    assert values(study)["SR.1.ways"] == [
        "Social media",
        "Home visits, with a translator",
        "Radio; local",
    ]


def test_split_options_keeps_options_that_contain_separators():
    options = ["A, B", "A", "B; C", "C"]
    assert split_options("A, B; C", options) == ["A, B", "C"]
    assert split_options("A; B; C", options) == ["A", "B; C"]
    assert split_options("C,A", options) == ["C", "A"]
    assert split_options("D", options) is None


def test_an_item_without_a_row_is_unanswered_with_a_warning():
    copy = tiny_copy()
    del copy["1. Program Goals"][5]  # the PG.1.b row
    result = parse_sheet_copy(copy, TINY)
    assert "PG.1.b" not in result.study.answers
    assert flat(result) == [("warning", "missing-item", "'1. Program Goals'")]
    assert "PG.1.b" in result.problems[0].message


def test_an_item_in_another_dimensions_tab_is_imported_with_a_warning():
    copy = tiny_copy()
    moved = copy["2. Student Recruitment"].pop(1)
    copy["1. Program Goals"].append([moved[0], None, None, moved[2]])
    result = parse_sheet_copy(copy, TINY)
    assert values(result.study)["SR.1.a"] == "N/A"
    assert flat(result) == [("warning", "item-in-other-tab", "'1. Program Goals'!A8")]


# --- what cannot be imported: every problem, each with its cell ------------------------------


def test_import_reports_every_bad_rating_with_its_cell():
    copy = tiny_copy()
    copy["1. Program Goals"][4][3] = "Establshed"
    copy["1. Program Goals"][5][3] = "5"
    copy["2. Student Recruitment"][1][2] = "3 - Emerging"  # the number and the label disagree
    result = parse_sheet_copy(copy, TINY)
    assert result.study is None
    assert flat(result) == [
        ("error", "bad-rating", "'1. Program Goals'!D5"),
        ("error", "bad-rating", "'1. Program Goals'!D6"),
        ("error", "bad-rating", "'2. Student Recruitment'!C2"),
    ]
    assert "Established (3)" in result.problems[0].message


def test_import_reports_unknown_doubled_and_missing_ids():
    copy = tiny_copy()
    copy["1. Program Goals"][5][0] = "PG.1.z"
    copy["1. Program Goals"].append(["pg.1.a", None, None, "Emerging"])
    copy["1. Program Goals"].append([None, None, None, "Emerging"])
    result = parse_sheet_copy(copy, TINY)
    assert flat(result) == [
        ("error", "unknown-id", "'1. Program Goals'!A6"),
        ("error", "duplicate-id", "'1. Program Goals'!A8"),
        ("error", "missing-id", "'1. Program Goals'!A9"),
        ("warning", "missing-item", "'1. Program Goals'"),
    ]
    assert "'1. Program Goals'!A5" in result.problems[1].message  # where the first one is


def test_import_reports_missing_tabs_and_a_tab_without_a_header():
    copy = tiny_copy(START_HERE=None)
    copy.pop("2. Student Recruitment")
    copy["1. Program Goals"] = table("| Goals |\n| PG.1.a | Established |")
    result = parse_sheet_copy(copy, TINY)
    assert flat(result) == [
        ("error", "missing-tab", "'START HERE'"),
        ("error", "missing-tab", "'2. Student Recruitment'"),
        ("error", "no-header-row", "'1. Program Goals'!A1"),
    ]


def test_a_header_below_row_15_is_not_found():
    copy = tiny_copy()
    copy["2. Student Recruitment"][:0] = [[] for _ in range(15)]
    assert ("error", "no-header-row", "'2. Student Recruitment'!A1") in flat(
        parse_sheet_copy(copy, TINY)
    )


def test_import_reports_a_missing_program_name_at_its_cell():
    copy = tiny_copy()
    copy["START HERE"][3][1] = None
    assert flat(parse_sheet_copy(copy, TINY)) == [
        ("error", "missing-program-name", "'START HERE'!B4")
    ]


def test_import_reports_a_rubric_or_version_that_does_not_match():
    copy = tiny_copy()
    copy["START HERE"][7][1] = "1.0"
    assert flat(parse_sheet_copy(copy, TINY)) == [
        ("error", "rubric-version-mismatch", "'START HERE'!B8")
    ]
    copy["START HERE"][6][1] = "stem-equity-self-study"
    assert flat(parse_sheet_copy(copy, TINY)) == [("error", "rubric-mismatch", "'START HERE'!B7")]
    assert copy_rubric_ref(copy) == ("stem-equity-self-study", "1.0")


def test_import_reports_bad_choices_numbers_na_and_doubled_columns(rubric_from_yaml):
    copy = tiny_copy()
    rows = copy["2. Student Recruitment"]
    rows[0].append("Rating")
    rows[2][2] = "lots"
    rows[3][2] = "Maybe"
    rows[4][2] = "Flyers; Billboards"
    result = parse_sheet_copy(copy, TINY)
    assert flat(result) == [
        ("error", "duplicate-column", "'2. Student Recruitment'!F1"),
        ("error", "bad-number", "'2. Student Recruitment'!C3"),
        ("error", "bad-choice", "'2. Student Recruitment'!C4"),
        ("error", "bad-choice", "'2. Student Recruitment'!C5"),
    ]
    assert "'Billboards'" in result.problems[-1].message
    no_na = rubric_from_yaml(TINY_RUBRIC.replace("allow_na: true", "allow_na: false"))
    assert ("error", "na-not-allowed", "'2. Student Recruitment'!C2") in flat(
        parse_sheet_copy(tiny_copy(), no_na)
    )


def test_a_second_tab_for_the_same_dimension_is_an_error():
    copy = tiny_copy()
    copy["Program Goals"] = copy["1. Program Goals"]
    assert ("error", "duplicate-tab", "'Program Goals'") in flat(parse_sheet_copy(copy, TINY))


def test_every_problem_says_how_to_fix_it():
    copy = tiny_copy(Scratch="| x |")
    copy["1. Program Goals"][4][3] = "Great"
    copy["1. Program Goals"][5][0] = "PG.9"
    copy["START HERE"][3][1] = None
    result = parse_sheet_copy(copy, TINY)
    assert len(result.problems) == 5
    for problem in result.problems:
        assert problem.location.startswith("'")
        assert any(
            verb in problem.message.lower()
            for verb in ("choose", "correct", "write", "rename", "add")
        ), problem.message
    with pytest.raises(ProblemsFound) as raised:
        study_from_sheets(copy, TINY)
    assert raised.value.codes() == [p.code for p in result.problems]


def test_a1_quotes_tab_titles():
    assert a1("1. Program Goals", 7, 4) == "'1. Program Goals'!D7"
    assert a1("Bob's copy", 1, 28) == "'Bob''s copy'!AB1"


# --- export layout ----------------------------------------------------------------------------


def test_layout_has_start_here_a_tab_per_dimension_in_order_and_a_summary(default_rubric):
    titles = [tab.title for tab in layout(default_rubric)]
    assert titles[0] == "START HERE"
    assert titles[-1] == "SUMMARY"
    assert titles[1:-1] == [
        "1. Program Goals",
        "2. Student Recruitment",
        "3. Program Design and Implemen…",
        "4. Student Services",
        "5. Assessment and Evidence of…",
        "6. College Pathways",
    ]
    assert all(len(t) <= 31 for t in titles)
    long = [tab.title for tab in layout(default_rubric, title_limit=100)]
    assert long[3] == "3. Program Design and Implementation"


def test_a_blank_template_imports_as_an_empty_study_once_named(default_rubric):
    sheets = sheets_of(layout(default_rubric))
    result = parse_sheet_copy(sheets, default_rubric)
    assert [p.code for p in result.problems] == ["missing-program-name"]
    row = next(r for r in sheets["START HERE"] if r and r[0] == "Program name")
    row[1] = "New program"
    study = study_from_sheets(sheets, default_rubric)
    assert study.answers == {}
    assert study.program.name == "New program"


def test_summary_lists_scores_status_priorities_and_resource_links():
    study = study_from_sheets(tiny_copy(), TINY)
    summary = layout(TINY, study)[-1]
    text = [[c for c in row if c is not None] for row in summary.rows]
    assert ["Program Goals", 2.5, 50.0, 3, 0.5, "Approaching", "2 of 2"] in text
    assert ["PG.1", "Explicit goals", 2.5, 3, 0.5, "Approaching", 1] in text
    assert ["1. PG.1", "Explicit goals", "0.50 below"] in text
    assert "https://example.org/logic" in summary.links.values()


def test_every_rating_cell_has_the_scale_dropdown():
    goals = layout(TINY)[1]
    rating = goals.dropdowns[0]
    assert rating.options == ["Not yet", "Emerging", "Established", "Sustaining", "N/A"]
    ids = {goals.rows[r - 1][0] for r, _ in rating.cells}
    assert ids == {"PG.1.a", "PG.1.b"}
    assert {c for _, c in rating.cells} == {4}
    assert goals.frozen_rows == 4
    recruitment = layout(TINY)[2]
    assert recruitment.dropdowns[1].options == ["Yes", "No", "Some students"]


def test_dimension_tab_titles_avoid_characters_excel_forbids(rubric_from_yaml):
    rubric = rubric_from_yaml(
        TINY_RUBRIC.replace("title: Program Goals", 'title: "Goals/Aims: [core]"')
    )
    assert dimension_tab_title(1, rubric.dimensions[0]) == "1. Goals Aims core"
    sheets = sheets_of(layout(rubric))
    assert parse_sheet_copy(sheets, rubric).problems[0].code == "missing-program-name"


def test_start_here_explains_what_each_rating_means(default_rubric):
    rows = layout(default_rubric)[0].rows
    established = default_rubric.scale.levels[2]
    assert ["Established (3)", established.description] in rows
    assert ["N/A", "The statement does not apply to this program."] in rows


def test_a_formula_is_not_read_anywhere_a_person_writes_and_is_named_at_its_cell():
    copy = tiny_copy(
        **{
            "START HERE": [["Program name", Formula("=B9")], ["Rubric", "tiny"]],
            "1. Program Goals": [["ID", "Rating", "Notes"], ["PG.1.a", "3", Formula("=C9")]],
        }
    )
    result = parse_sheet_copy(copy, TINY)
    assert flat(result) == [
        ("warning", "formula-not-read", "'START HERE'!B1"),
        ("error", "missing-program-name", "'START HERE'!B1"),
        ("warning", "formula-not-read", "'1. Program Goals'!C2"),
        ("warning", "missing-item", "'1. Program Goals'"),
        ("warning", "missing-item", "'1. Program Goals'"),
    ]
