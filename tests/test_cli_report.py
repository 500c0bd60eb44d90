"""`selfstudy report` writes the same report files the library makes, and fails clearly."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import load_rubric
from selfstudy.edges.study_files import load_study

from .conftest import DEFAULT_RUBRIC_PATH, SAMPLES_DIR

BASELINE = SAMPLES_DIR / "p02-baseline.json"
FOLLOW_UP = SAMPLES_DIR / "p02-follow-up.json"


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_html_report_is_written_and_shows_the_change_since_the_previous_round(run, tmp_path):
    out = tmp_path / "report.html"
    result = run("report", FOLLOW_UP, "--previous", BASELINE, "--out", out)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<svg" in page
    assert 'id="change"' in page
    assert load_study(FOLLOW_UP).program.name in page
    assert str(out) in result.output


def test_csv_report_holds_the_same_numbers_as_score_json(run, tmp_path):
    out = tmp_path / "scores.csv"
    result = run("report", FOLLOW_UP, "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    scored = json.loads(run("score", FOLLOW_UP, "--format", "json").output)
    assert float(rows[0]["mean_level"]) == scored["overall"]["mean_level"]
    standards = {r["id"]: r for r in rows if r["scope"] == "standard"}
    for standard in scored["standards"]:
        assert float(standards[standard["id"]]["mean_level"]) == standard["mean_level"]
        assert standards[standard["id"]]["status"] == standard["status"]


def test_format_follows_the_out_suffix(run, tmp_path):
    assert run("report", FOLLOW_UP, "--out", tmp_path / "s.csv").exit_code == 0
    assert (tmp_path / "s.csv").read_text(encoding="utf-8-sig").startswith("program,")
    result = run("report", FOLLOW_UP, "--out", tmp_path / "s.pdf")
    assert result.exit_code == 2
    assert "--format html or csv" in result.output
    assert not (tmp_path / "s.pdf").exists()


def test_a_bad_study_exits_1_with_one_line_and_writes_nothing(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "selfstudy/1", "rubric": ', encoding="utf-8")
    out = tmp_path / "report.html"
    result = run("report", bad, "--out", out)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{bad}:1: ")
    assert not out.exists()


def test_a_rating_off_the_scale_is_reported_with_its_key_path(run, tmp_path):
    data = json.loads(FOLLOW_UP.read_text(encoding="utf-8"))
    data["answers"]["PG.1.a"]["value"] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("report", bad, "--out", tmp_path / "r.html")
    assert result.exit_code == 1
    assert "answers['PG.1.a'].value" in result.output
    assert "Traceback" not in result.output


def test_an_existing_report_survives_a_failed_run(run, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("the old report", encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    assert run("report", bad, "--out", out).exit_code == 1
    assert out.read_text(encoding="utf-8") == "the old report"


def test_a_missing_output_folder_is_a_one_line_error(run, tmp_path):
    result = run("report", FOLLOW_UP, "--out", tmp_path / "no" / "such" / "r.html")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"{tmp_path / 'no' / 'such'}: this folder does not exist; create it or choose another"
    ]


def test_an_output_that_is_not_a_file_is_named_for_what_it_is_and_left_as_it_is(run, tmp_path):
    # As /dev/stdout is a link to a pipe or a terminal, and /dev/null a device: writing
    # "over" them would have replaced them with a file.
    pipe = tmp_path / "pipe.html"
    os.mkfifo(pipe)
    stdout = tmp_path / "stdout"
    stdout.symlink_to(pipe)
    loop = tmp_path / "loop.html"
    loop.symlink_to(loop)
    workbook_pipe = tmp_path / "copy.xlsx"
    os.mkfifo(workbook_pipe)
    afile = tmp_path / "afile"
    afile.write_text("a file")
    said = {
        what: run(*args).output.strip().splitlines()
        for what, args in {
            "a named pipe": ("report", BASELINE, "--out", pipe),
            "a link to a named pipe": ("report", BASELINE, "--format", "html", "--out", stdout),
            "a loop": ("report", BASELINE, "--out", loop),
            "a workbook pipe": ("export", BASELINE, "--to", workbook_pipe),
            "a file above": ("export", BASELINE, "--to", afile / "sub"),
            "a file above a report": ("report", BASELINE, "--out", afile / "sub" / "r.html"),
        }.items()
    }
    end = "not a file, and is left as it is; name a file to write"
    assert said == {
        "a named pipe": [f"{pipe}: this is a named pipe, {end}"],
        "a link to a named pipe": [f"{stdout}: this is a link to a named pipe, {end}"],
        "a loop": [f"{loop}: this is a link that leads back to itself (a loop of links), {end}"],
        "a workbook pipe": [f"{workbook_pipe}: this is a named pipe, {end}"],
        "a file above": [f"{afile}: this is a file, not a folder; choose a folder"],
        "a file above a report": [f"{afile}: this is a file, not a folder; choose a folder"],
    }
    assert stat.S_ISFIFO(pipe.stat().st_mode) and afile.read_text() == "a file"


def test_a_previous_round_of_another_program_is_reported_but_used(run, tmp_path):
    other = SAMPLES_DIR / "p03-baseline.json"
    out = tmp_path / "r.html"
    result = run("report", FOLLOW_UP, "--previous", other, "--out", out)
    assert result.exit_code == 0
    assert "may be a different program" in result.output
    assert 'id="change"' in out.read_text(encoding="utf-8")


def test_the_rubric_can_be_given_by_path(run, tmp_path):
    study_copy = tmp_path / "study.json"
    shutil.copy(FOLLOW_UP, study_copy)
    out = tmp_path / "r.csv"
    result = run("report", study_copy, "--rubric", DEFAULT_RUBRIC_PATH, "--out", out)
    assert result.exit_code == 0, result.output
    rubric = load_rubric(DEFAULT_RUBRIC_PATH)
    expected = score(rubric, load_study(FOLLOW_UP)).overall.mean_level
    first = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert float(first["mean_level"]) == round(expected, 2)


def test_a_later_round_given_as_previous_is_flagged(run, tmp_path):
    result = run("report", BASELINE, "--previous", FOLLOW_UP, "--out", tmp_path / "r.html")
    assert result.exit_code == 0
    assert "looks like a later round" in result.output
