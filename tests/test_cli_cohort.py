"""`selfstudy cohort` over a folder of hand-made sheet copies: two cohorts, two rounds.

The copies are written cell by cell (openpyxl, or csv), the way a person fills in
the template (numbered and unnumbered tab names, alias headers such as
`Item ID` and `Score`, columns in another order, a title row above the header,
ratings written `3`, `3 - Established`, `established` or `N/A`), never by our
exporter. One copy (s2) is a folder of CSV files, one per tab. Only PG.1, PG.2
(Program Goals) and SR.1 (Student Recruitment) are rated; target 3, so "meets"
is a mean level of 3 or more.

| program (cohort)      | round     | PG.1        | PG.2        | PG    | SR.1            | SR    |
|-----------------------|-----------|-------------|-------------|-------|-----------------|-------|
| n1 Lakeside (North)   | baseline  | 2 2 3 =2.33 | 1 2 NA =1.5 | 1.917 | 3 3 3 3 =3      | 3     |
| n1 Lakeside (North)   | follow-up | 3 3 3 =3    | 3 2 4 =3    | 3     | 4 4 3 3 =3.5    | 3.5   |
| n2 Hilltop (North)    | baseline  | 4 3 _ =3.5  | 3 3 3 =3    | 3.25  | 2 2 1 NA =1.667 | 1.667 |
| n2 Hilltop (North)    | follow-up | 4 4 4 =4    | 3 3 2 =2.67 | 3.333 | 2 3 3 2 =2.5    | 2.5   |
| s1 Delta (South)      | baseline  | 1 1 2 =1.33 | 1 1 1 =1    | 1.167 | NA ×4 (not rated)| —    |
| s1 Delta (South)      | follow-up | 2 2 2 =2    | 2 3 1 =2    | 2     | 3 3 4 4 =3.5    | 3.5   |
| s2 Bayou (South)      | baseline  | 3 4 4 =3.67 | 3 3 4 =3.33 | 3.5   | 2 3 2 3 =2.5    | 2.5   |

Rating only these three standards, each copy is far from complete (n2's baseline
answers 9 of its 75 required items, the others 10), so the tests of the figures
count every copy with `--min-complete 0`; by default none would count.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from selfstudy.cli import main
from selfstudy.core.cohorts import compare, pseudonym, score_studies
from selfstudy.core.scoring import STATUSES
from selfstudy.edges.reports.cohort_workbook import STATUS_FILLS, cohort_report_bytes
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.sheet_files import discover_sources, read_study_source
from selfstudy.edges.storage import Storage
from tests.completion import bridge_part_way

OTHER_TABS = [  # Excel keeps tab names to 31 characters, so long titles are cut short.
    "3. Program Design and Implemen…",
    "Student Services",
    "5. Assessment and Evidence of…",
    "6. College Pathways",
]

# (file, program id, name, cohort, round, PG.1 a-c, PG.2 a-c, SR.1 a-d) as typed into cells.
COPIES = [
    ("n1-base", "n1", "Lakeside Robotics", "North", "baseline",
     [2, "2 - Emerging", 3], [1, "emerging", "N/A"], [3, 3, "Established", 3]),
    ("n1-follow", "n1", "Lakeside Robotics", "North", "follow-up",
     [3, 3, 3], ["3: Established", 2, 4], [4, "sustaining", 3, 3]),
    ("n2-base", "n2", "Hilltop Coders", "North", "baseline",
     [4, 3, None], [3, 3, 3], [2, 2, "Not yet", "n/a"]),
    ("n2-follow", "n2", "Hilltop Coders", "North", "follow-up",
     [4, 4, 4], [3, 3, 2], [2, 3, 3, 2]),
    ("s1-base", "s1", "Delta Science", "South", "baseline",
     [1, 1, 2], [1, 1, 1], ["N/A", "NA", "n/a", "Not applicable"]),
    ("s1-follow", "s1", "Delta Science", "South", "follow-up",
     [2, 2, 2], [2, 3, 1], [3, 3, 4, 4]),
    ("s2-base-csv", "s2", "Bayou Math Circle", "South", "baseline",
     [3, 4, 4], [3, 3, 4], [2, 3, 2, 3]),
]  # fmt: skip


def copy_tabs(pid, name, cohort, round_, pg1, pg2, sr1) -> dict[str, list[list]]:
    """The tabs of one filled-in copy, row by row, as a person would type them."""
    start = [["Equity self-study — fill in the yellow cells"], []]
    for label, value in [
        ("Program name:", name),
        ("Program ID", pid),
        ("Cohort", cohort),
        ("Round", round_),
        ("Rubric", "stem-equity-self-study"),
        ("Rubric version", "1.0"),
    ]:
        start.append([label, value])
    goals = [["Program Goals"], [], ["ID", "Standard", "Indicator", "Rating", "Evidence", "Notes"]]
    goals.append(["", "PG.1 Explicit goals"])  # a section heading row
    for letter, rating in zip("abc", pg1, strict=True):
        goals.append([f"PG.1.{letter}", "PG.1", "…", rating, "", ""])
    for letter, rating in zip("abc", pg2, strict=True):
        goals.append([f"PG.2.{letter}", "PG.2", "…", rating, "minutes", ""])
    recruitment = [["Score", "Item ID", "Question", "Notes / next steps"]]
    for letter, rating in zip("abcd", sr1, strict=True):
        recruitment.append([rating, f"SR.1.{letter}", "…", ""])
    tabs = {"START HERE": start, "1. Program Goals": goals, "Student Recruitment": recruitment}
    for title in OTHER_TABS:
        tabs[title] = [["ID", "Standard", "Indicator", "Rating"]]
    return tabs


def write_copy(folder: Path, file, *fields) -> Path:
    """An .xlsx copy, or for a `file` ending in `-csv` a folder with one CSV file per tab."""
    tabs = copy_tabs(*fields)
    if file.endswith("-csv"):
        path = folder / file
        path.mkdir()
        for title, rows in tabs.items():
            with (path / f"{title}.csv").open("w", newline="", encoding="utf-8") as stream:
                csv.writer(stream).writerows(["" if c is None else c for c in r] for r in rows)
        return path
    book = Workbook()
    book.remove(book.active)
    for title, rows in tabs.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = folder / f"{file}.xlsx"
    book.save(path)
    return path


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    folder = tmp_path / "copies"
    folder.mkdir()
    for row in COPIES:
        write_copy(folder, *row)
    return folder


COUNT_ALL = ("--min-complete", "0")  # count every copy, however unfinished


def cohort_json(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, *args, "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout), result.stderr


def group(document: dict, key: str, round_: str) -> dict:
    return next(g for g in document["groups"] if g["key"] == key and g.get("round") == round_)


def numbers(entry_list: list[dict], ident: str) -> tuple:
    entry = next(e for e in entry_list if e["id"] == ident)
    return entry["rated"], entry["mean_level"], entry["median_level"], entry["share_meets"]


def test_cohort_of_hand_made_copies_gives_the_numbers_the_scoring_rules_give(copies):
    document, _ = cohort_json(str(copies), "--by", "cohort")
    assert document["by"] == "cohort"
    north_base = group(document, "North", "baseline")
    assert north_base["programs"] == 2
    assert numbers(north_base["dimensions"], "program-goals") == (2, 2.58, 2.58, 0.5)
    assert numbers(north_base["dimensions"], "student-recruitment") == (2, 2.33, 2.33, 0.5)
    assert numbers(north_base["dimensions"], "college-pathways") == (0, None, None, None)
    north_follow = group(document, "North", "follow-up")
    assert numbers(north_follow["dimensions"], "program-goals") == (2, 3.17, 3.17, 1.0)
    assert numbers(north_follow["dimensions"], "student-recruitment") == (2, 3.0, 3.0, 0.5)
    south_base = group(document, "South", "baseline")
    assert numbers(south_base["dimensions"], "program-goals") == (2, 2.33, 2.33, 0.5)
    # s1 answered SR.1 with N/A only: one program rated, s2 at 2.5, which does not meet.
    assert numbers(south_base["dimensions"], "student-recruitment") == (1, 2.5, 2.5, 0.0)
    south_follow = group(document, "South", "follow-up")
    assert south_follow["programs"] == 1
    assert numbers(south_follow["standards"], "SR.1") == (1, 3.5, 3.5, 1.0)
    assert numbers(north_base["standards"], "PG.2") == (2, 2.25, 2.25, 0.5)


def test_by_round_puts_both_cohorts_together(copies):
    document, _ = cohort_json(str(copies), "--by", "round")
    baseline = next(g for g in document["groups"] if g["key"] == "baseline")
    assert "round" not in baseline
    assert baseline["programs"] == 4
    # PG levels 1.917, 3.25, 1.167, 3.5: mean 2.458, median (1.917 + 3.25) / 2 = 2.583.
    assert numbers(baseline["dimensions"], "program-goals") == (4, 2.46, 2.58, 0.5)


def test_changes_pair_each_programs_rounds_and_summarize_per_cohort(copies):
    document, _ = cohort_json(str(copies), "--by", "cohort")
    north = next(c for c in document["changes"] if c["key"] == "North")
    assert (north["baseline"], north["follow_up"], north["programs"]) == (
        "baseline",
        "follow-up",
        2,
    )
    pg = next(d for d in north["dimensions"] if d["id"] == "program-goals")
    assert (pg["programs"], pg["mean_change"], pg["improved"]) == (2, 0.58, 2)
    sr = next(d for d in north["dimensions"] if d["id"] == "student-recruitment")
    assert sr["mean_change"] == 0.67
    south = next(c for c in document["changes"] if c["key"] == "South")
    assert south["programs"] == 1, "s2 has no follow-up"
    assert [p["key"] for p in south["by_program"]] == ["s1"]
    assert next(d for d in south["dimensions"] if d["id"] == "program-goals")["mean_change"] == 0.83
    # s1's baseline has SR.1 not rated, so there is no SR change to report for South.
    assert "student-recruitment" not in [d["id"] for d in south["dimensions"]]


def test_needs_and_assets_use_each_programs_latest_round(copies):
    document, _ = cohort_json(str(copies))
    # Latest rounds: n1, n2, s1 follow-up and s2 baseline.
    # PG.1 met by 3 of 4; PG.2 by 2 of 4 (mean 2.75); SR.1 by 2 of 4 (mean 3.0).
    assert [n["id"] for n in document["needs"]] == ["PG.2", "SR.1", "PG.1"]
    assert [a["id"] for a in document["assets"]] == ["PG.1", "SR.1", "PG.2"]
    assert document["needs"][0] | {"title": ""} == {
        "id": "PG.2",
        "title": "",
        "dimension": "program-goals",
        "rated": 4,
        "meets": 2,
        "share_meets": 0.5,
        "mean_level": 2.75,
    }


def test_json_is_the_library_comparison_of_the_same_copies(copies):
    document, _ = cohort_json(str(copies), "--by", "round")
    rubric = rubric_by_id("stem-equity-self-study")
    studies = [read_study_source(p) for p in discover_sources([copies])]
    expected = compare(score_studies(rubric, studies), by="round").to_dict()
    assert document == json.loads(json.dumps(expected))


def test_a_copy_that_cannot_be_read_is_reported_and_the_rest_still_compared(copies):
    bad = write_copy(
        copies, "broken", "b1", "Broken", "North", "baseline", [7, 3, 3], [3] * 3, [3] * 4
    )
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, str(copies), "--format", "json"])
    assert result.exit_code == 1
    assert f"{bad}: '1. Program Goals'!D5" in result.stderr
    assert "1 input left out" in result.stderr
    document = json.loads(result.stdout)
    assert group(document, "North", "baseline")["programs"] == 2


@pytest.fixture
def app_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The app's database, whose own secret pseudonymises a comparison of files too."""
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "app.db"))
    for name in ("SELFSTUDY_DATABASE_URL", "SELFSTUDY_PSEUDONYM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return Storage()


def test_pseudonymized_output_names_no_program(copies, app_database):
    result = CliRunner().invoke(
        main, ["cohort", *COUNT_ALL, str(copies), "--format", "json", "--pseudonymize"]
    )
    assert result.exit_code == 0
    for name in ("Lakeside", "Hilltop", "Delta", "Bayou", '"n1"', '"s1"'):
        assert name not in result.stdout
    document = json.loads(result.stdout)
    assert numbers(group(document, "North", "baseline")["dimensions"], "program-goals") == (
        2,
        2.58,
        2.58,
        0.5,
    )
    programs = [p["program"] for c in document["changes"] for p in c["by_program"]]
    assert all(p.startswith("Program ") for p in programs) and len(set(programs)) == 3
    # made with the database's own random secret, not a fixed one anyone could use
    secret = app_database.pseudonym_secret()
    assert set(programs) == {pseudonym(key, secret) for key in ("n1", "n2", "s1")}
    assert not set(programs) & {pseudonym(key) for key in ("n1", "n2", "s1")}


def test_xlsx_report_holds_the_same_numbers_as_json(copies, tmp_path: Path, app_database):
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "cohort",
            *COUNT_ALL,
            str(copies),
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--pseudonymize",
        ],
    )
    assert result.exit_code == 0, result.stderr
    book = load_workbook(out)
    assert book.sheetnames == [
        "About",
        "Dimensions",
        "Standards",
        "Programs",
        "Changes",
        "Needs and assets",
        "Left out",
    ]
    rows = list(book["Dimensions"].iter_rows(values_only=True))
    header = rows[0]
    north_pg = next(r for r in rows if r[:3] == ("North", "baseline", "program-goals"))
    record = dict(zip(header, north_pg, strict=True))
    assert (record["Rated"], record["Mean level"], record["Median level"]) == (2, 2.58, 2.58)
    assert record["Share meeting"] == 0.5
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert not any(isinstance(c, str) and "Lakeside" in c for c in cells)


def test_each_programs_levels_in_the_workbook_have_two_decimals_on_their_statuss_colour(
    default_rubric, sample_set
):
    comparison = compare(score_studies(default_rubric, sample_set), by="cohort")
    book = load_workbook(io.BytesIO(cohort_report_bytes(comparison)))
    rows = list(book["Programs"].iter_rows(min_row=2, max_row=len(comparison.scores) + 1))
    scores = comparison.scores
    seen = set()
    for i, row in enumerate(rows):
        levels = [(scores.overall_level[i], scores.overall_status[i])] + [
            (scores.standard_level[i, j], scores.standard_status[i, j])
            for j in range(len(scores.rubric.standard_ids))
        ]
        for cell, (level, status) in zip(row[3:], levels, strict=True):
            colour = STATUS_FILLS[STATUSES[status]]
            assert cell.fill.fgColor.rgb.endswith(colour), (cell.coordinate, status)
            assert cell.number_format == "0.00"
            assert cell.value == (None if np.isnan(level) else round(float(level), 2))
            seen.add(colour)
    assert len(seen) >= 3  # the sample network meets, approaches and falls short


def test_xlsx_needs_an_out_file(copies):
    result = CliRunner().invoke(main, ["cohort", str(copies), "--format", "xlsx"])
    assert result.exit_code == 2
    assert "--out" in result.output


@pytest.mark.parametrize("fmt", ["xlsx", "json", "table"])
def test_an_out_file_in_a_missing_folder_is_a_one_line_error(copies, tmp_path: Path, fmt):
    out = tmp_path / "no" / "such" / f"report.{fmt}"
    result = CliRunner().invoke(
        main, ["cohort", *COUNT_ALL, str(copies), "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), "no traceback"
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors == [
        f"{tmp_path / 'no' / 'such'}: this folder does not exist; create it or choose another"
    ]
    assert not (tmp_path / "no").exists()


def test_table_shows_each_group_and_the_changes(copies):
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, str(copies)])
    assert result.exit_code == 0
    assert "cohort North, round baseline: 2 programs" in result.stdout
    assert "Change baseline → follow-up, North: 2 programs with both rounds" in result.stdout
    line = next(x for x in result.stdout.splitlines() if x.startswith("Program Goals"))
    # Rated, mean, median, then the spread: sample SD of 1.917 and 3.25 is 0.94.
    assert line.split()[2:6] == ["2", "2.58", "2.58", "0.94"]


def test_grouping_by_an_unknown_field_says_which_fields_exist(copies):
    result = CliRunner().invoke(main, ["cohort", str(copies), "--by", "region"])
    assert result.exit_code == 2
    assert "no program field 'region'" in result.output
    assert "cohort" in result.output


def test_from_db_compares_the_apps_stored_self_studies(copies, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "app.db"))
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    storage = Storage()
    for path in discover_sources([copies]):
        storage.create_study(read_study_source(path))
    from_db, _ = cohort_json("--from-db", "--by", "cohort")
    from_files, _ = cohort_json(str(copies), "--by", "cohort")
    assert from_db["groups"] == from_files["groups"]
    assert from_db["needs"] == from_files["needs"]


def test_from_db_reports_a_stored_study_with_bad_answers_and_compares_the_rest(
    copies, tmp_path, monkeypatch
):
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "app.db"))
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    storage = Storage()
    studies = [read_study_source(path) for path in discover_sources([copies])]
    for study in studies:
        storage.create_study(study)
    broken = studies[0].model_copy(deep=True)
    broken.program.id, broken.program.name = "broken", "Broken"
    broken.answers["PG.1.a"].value = 9
    broken_id = storage.create_study(broken)
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, "--from-db", "--format", "json"])
    assert result.exit_code == 1  # a study was left out: a script notices
    assert f"database study {broken_id}: answers['PG.1.a'].value: 9 is not on the scale" in (
        result.stderr
    )
    assert "1 input left out" in result.stderr
    compared = json.loads(result.stdout)
    expected, _ = cohort_json(str(copies))
    assert compared["groups"] == expected["groups"]


def test_a_self_study_for_an_unknown_rubric_is_reported_and_left_out(copies):
    stray = copies / "stray.json"
    stray.write_text(
        json.dumps(
            {
                "format": "selfstudy/1",
                "rubric": {"id": "no-such-rubric", "version": "1"},
                "program": {"name": "Stray", "cohort": "North", "round": "baseline"},
                "answers": {},
            }
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, str(copies), "--format", "json"])
    assert result.exit_code == 1
    assert "no rubric with id 'no-such-rubric'" in result.stderr
    assert group(json.loads(result.stdout), "North", "baseline")["programs"] == 2


def test_the_same_program_and_round_twice_counts_once_with_a_warning(copies):
    (copies / "zz-n1-base-again.xlsx").write_bytes((copies / "n1-base.xlsx").read_bytes())
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, str(copies), "--format", "json"])
    assert result.exit_code == 0
    assert "n1-base.xlsx: warning: another input holds the 'baseline' round" in result.stderr
    assert group(json.loads(result.stdout), "North", "baseline")["programs"] == 2


def test_cohort_and_round_filters_keep_only_the_chosen_studies(copies):
    document, _ = cohort_json(str(copies), "--cohort", "South", "--round", "baseline")
    assert [(g["key"], g["round"], g["programs"]) for g in document["groups"]] == [
        ("South", "baseline", 2)
    ]
    assert document["changes"] == []


def test_baseline_and_follow_up_rounds_can_be_chosen(copies):
    document, _ = cohort_json(str(copies), "--baseline", "follow-up", "--follow-up", "baseline")
    north = next(c for c in document["changes"] if c["key"] == "North")
    assert (north["baseline"], north["follow_up"]) == ("follow-up", "baseline")
    pg = next(d for d in north["dimensions"] if d["id"] == "program-goals")
    assert pg["mean_change"] == -0.58
    result = CliRunner().invoke(main, ["cohort", *COUNT_ALL, str(copies), "--baseline", "spring"])
    assert result.exit_code == 2
    assert "no self-study has round 'spring'; rounds: baseline, follow-up" in result.output


# --- which self-studies count: the completeness threshold -------------------------------------


@pytest.fixture
def network(tmp_path: Path, sample_set, default_rubric) -> Path:
    """The sample network as files, every self-study finished but Bridge to STEM Summer
    Academy's follow-up (p01), which has 47 of its 76 required items answered."""
    folder = tmp_path / "network"
    folder.mkdir()
    for study in bridge_part_way(sample_set, default_rubric):
        name = f"{study.program.id}-{study.program.round}.json"
        (folder / name).write_text(study.to_json(), encoding="utf-8")
    return folder


BRIDGE_LEFT_OUT = (
    "Bridge to STEM Summer Academy (2025 Network cohort, follow-up): 61% of required items "
    "answered (47 of 76); the threshold is 100%"
)


def test_by_default_an_unfinished_self_study_is_left_out_and_named_with_why(network):
    result = CliRunner().invoke(main, ["cohort", str(network)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": 15 self-studies")
    assert lines[1:3] == [
        "1 self-study left out: not yet 100% complete (lower --min-complete to count them):",
        f"  {BRIDGE_LEFT_OUT}",
    ]
    assert "cohort 2025 Network cohort, round follow-up: 3 programs" in result.stdout
    assert "Change baseline → follow-up, 2025 Network cohort: 3 programs" in result.stdout


def test_min_complete_0_counts_the_unfinished_self_study_too(network):
    result = CliRunner().invoke(main, ["cohort", str(network), "--min-complete", "0"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": 16 self-studies")
    assert lines[1] == "Every self-study counts, however unfinished (--min-complete 0)."
    assert "cohort 2025 Network cohort, round follow-up: 4 programs" in result.stdout


def test_json_lists_the_self_studies_left_out_and_the_threshold(network):
    result = CliRunner().invoke(main, ["cohort", str(network), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["min_complete"], document["self_studies"]) == (100, 15)
    assert document["left_out"] == [
        {
            "program": "Bridge to STEM Summer Academy",
            "key": "p01",
            "cohort": "2025 Network cohort",
            "round": "follow-up",
            "answered": 47,
            "required": 76,
            "completeness": 0.6184,
            "reason": "61% of required items answered (47 of 76); the threshold is 100%",
        }
    ]
    assert group(document, "2025 Network cohort", "follow-up")["programs"] == 3
    assert result.stderr.splitlines()[-1] == (
        "1 self-study left out: not yet 100% complete (listed in the left_out list)"
    )
    everything, _ = cohort_json(str(network))
    assert (everything["min_complete"], everything["left_out"]) == (0, [])
    assert group(everything, "2025 Network cohort", "follow-up")["programs"] == 4


def test_json_left_out_is_pseudonymized_with_the_rest(network, app_database):
    result = CliRunner().invoke(
        main, ["cohort", str(network), "--format", "json", "--pseudonymize"]
    )
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["left_out"]
    code = pseudonym("p01", app_database.pseudonym_secret())
    assert (entry["program"], entry["key"], entry["round"]) == (code, code, "follow-up")
    assert "Bridge" not in result.stdout + result.stderr


def test_the_workbook_says_the_threshold_and_lists_the_self_studies_left_out(
    network, tmp_path: Path
):
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        main, ["cohort", str(network), "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 self-study left out: not yet 100% complete (listed in the Left out sheet)" in (
        result.stderr
    )
    book = load_workbook(out)
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert about["Self-studies"] == 15
    assert about["Counted"].startswith(
        "Self-studies with at least 100% of their required items answered"
    )
    assert about["Left out"] == (
        "1 self-study left out: not yet 100% complete; the 'Left out' sheet lists them and why."
    )
    rows = list(book["Left out"].iter_rows(values_only=True))
    assert rows == [
        ("Program", "Cohort", "Round", "Required answered", "Required items", "Why"),
        (
            "Bridge to STEM Summer Academy",
            "2025 Network cohort",
            "follow-up",
            47,
            76,
            "61% of required items answered (47 of 76); the threshold is 100%",
        ),
    ]
    programs = [r[0] for r in book["Programs"].iter_rows(min_row=2, values_only=True) if r[3]]
    assert len(programs) == 15


def test_a_threshold_between_the_copies_leaves_out_only_those_below_it(copies):
    # n2's baseline leaves PG.1.c blank: 9 of 75 answered (12%); the others 10 of 75 (13%),
    # s1's baseline with its four N/As, which count as answered.
    document, _ = cohort_json(str(copies), "--min-complete", "13")
    assert [(e["key"], e["round"], e["answered"]) for e in document["left_out"]] == [
        ("n2", "baseline", 9)
    ]
    assert document["left_out"][0]["reason"] == (
        "12% of required items answered (9 of 75); the threshold is 13%"
    )
    assert group(document, "North", "baseline")["programs"] == 1
    assert group(document, "South", "baseline")["programs"] == 2


def test_when_no_self_study_is_complete_enough_the_error_says_to_lower_the_threshold(copies):
    result = CliRunner().invoke(main, ["cohort", str(copies)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit), "no traceback"
    assert result.stderr.splitlines()[-1] == (
        "Error: none of the 7 self-studies chosen is at least 100% complete; lower the "
        "threshold with --min-complete to count unfinished self-studies"
    )
    assert "  Hilltop Coders (North, baseline): 12% of required items answered (9 of 75); " in (
        result.stderr
    )


def test_a_round_whose_self_studies_are_all_unfinished_is_named_with_the_fix(copies):
    write_copy(
        copies, "n1-mid", "n1", "Lakeside Robotics", "North", "midpoint",
        [3, 3, None], [3, 3, 3], [3, 3, 3, 3],
    )  # fmt: skip
    result = CliRunner().invoke(
        main, ["cohort", str(copies), "--min-complete", "13", "--follow-up", "midpoint"]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: --follow-up: no self-study of round 'midpoint' is at least 13% complete; "
        "lower the threshold with --min-complete to count unfinished self-studies"
    )


@pytest.mark.parametrize("bad", ["101", "-5", "most"])
def test_min_complete_is_a_percentage_from_0_to_100(copies, bad):
    result = CliRunner().invoke(main, ["cohort", str(copies), "--min-complete", bad])
    assert result.exit_code == 2
    assert "Invalid value for '--min-complete'" in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_help_explains_the_threshold():
    result = CliRunner().invoke(main, ["cohort", "--help"])
    assert "--min-complete PERCENT" in result.stdout
    assert "[default: 100; 0<=x<=100]" in result.stdout
