"""The command line gives the same numbers as the library, and clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import load_rubric
from selfstudy.edges.study_files import load_study

from .conftest import DATA_DIR, DEFAULT_RUBRIC_PATH, SAMPLES_DIR


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_every_command_has_help_text():
    def walk(group: click.Group, prefix: str = ""):
        context = click.Context(group)
        for name in group.list_commands(context):  # every command, imported or not yet
            command = group.get_command(context, name)
            yield f"{prefix}{name}", command
            if isinstance(command, click.Group):
                yield from walk(command, f"{prefix}{name} ")

    commands = dict(walk(main))
    assert {"validate", "score", "schema", "sample"} <= set(commands)
    for name, command in commands.items():
        assert command.help and command.help.strip(), f"`selfstudy {name}` has no help text"


def test_help_lists_every_command(run):
    result = run("--help")
    assert result.exit_code == 0
    for name in main.list_commands(click.Context(main)):
        assert name in result.output


def test_score_json_is_the_library_result(run):
    path = SAMPLES_DIR / "p03-follow-up.json"
    result = run("score", path, "--format", "json")
    assert result.exit_code == 0, result.output
    expected = score(load_rubric(DEFAULT_RUBRIC_PATH), load_study(path)).to_dict()
    assert json.loads(result.output) == expected


def test_score_table_shows_overall_dimensions_and_priorities(run):
    result = run("score", SAMPLES_DIR / "p01-baseline.json")
    assert result.exit_code == 0
    assert "Overall:" in result.output
    assert "Program Goals" in result.output
    assert "Priorities" in result.output


def test_score_with_an_explicit_rubric_file(run, tmp_path: Path):
    study = tmp_path / "study.json"
    study.write_text(
        json.dumps(
            {
                "rubric": {"id": "yes-no-checklist", "version": "1"},
                "program": {"name": "Checklist"},
                "answers": {"B1.a": {"value": 1}, "B1.b": {"value": 0}},
            }
        )
    )
    result = run(
        "score", study, "--rubric", DATA_DIR / "rubrics" / "yes-no.yaml", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["overall"]["mean_level"] == 0.5


def test_score_reports_bad_answers_and_exits_1(tmp_path: Path):
    study = tmp_path / "study.json"
    data = json.loads((SAMPLES_DIR / "p01-baseline.json").read_text())
    data["answers"]["PG.1.a"]["value"] = 9
    study.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["score", str(study)])
    assert result.exit_code == 1
    assert f"{study}: answers['PG.1.a'].value: 9 is not on the scale" in result.output
    assert "Traceback" not in result.output


def test_score_of_an_unknown_rubric_says_which_ids_exist(tmp_path: Path):
    study = tmp_path / "study.json"
    study.write_text(
        json.dumps({"rubric": {"id": "nope", "version": "1"}, "program": {"name": "X"}})
    )
    result = CliRunner().invoke(main, ["score", str(study)])
    assert result.exit_code == 1
    assert "no rubric with id 'nope'; known ids: stem-equity-self-study" in result.output


def test_validate_passes_good_rubrics_and_folders(run):
    result = run("validate", DEFAULT_RUBRIC_PATH.parent, DATA_DIR / "rubrics")
    assert result.exit_code == 0
    assert result.output.count(": ok") == 3


def test_validate_lists_every_problem_as_file_line_path_message(tmp_path: Path):
    text = (DATA_DIR / "rubrics" / "yes-no.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("target: 1", "target: 2").replace("id: B2.b", "id: B1.a"))
    result = CliRunner().invoke(main, ["validate", str(broken), str(DATA_DIR / "rubrics")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(broken))]
    assert lines[0] == (f"{broken}:8: target: target 2 is not a scale value; use one of 0, 1")
    assert lines[1].startswith(f"{broken}:22: dimensions[0].standards[1].items[1].id: duplicate id")
    assert "1 of 3 rubric files has problems" in result.output


def test_schema_rubric_describes_every_top_level_key(run):
    result = run("schema", "rubric")
    schema = json.loads(result.output)
    assert set(schema["required"]) >= {"id", "version", "title", "scale", "target", "dimensions"}
    item = schema["$defs"]["Item"]["properties"]
    assert item["type"]["enum"] == ["rating", "text", "choice", "multichoice", "number"]


def test_schema_study(run):
    assert "answers" in json.loads(run("schema", "study").output)["properties"]


def test_sample_is_reproducible_and_matches_the_bundled_samples(run, tmp_path: Path):
    result = run("sample", "--out", tmp_path)
    assert result.exit_code == 0
    written = sorted(p.name for p in tmp_path.glob("*.json"))
    assert written == sorted(p.name for p in SAMPLES_DIR.glob("*.json"))
    for name in written:
        assert (tmp_path / name).read_text() == (SAMPLES_DIR / name).read_text(), name


def test_sample_with_another_seed_differs(run, tmp_path: Path):
    run("sample", "--out", tmp_path / "a", "--seed", "1")
    run("sample", "--out", tmp_path / "b", "--seed", "2")
    a = (tmp_path / "a" / "p01-baseline.json").read_text()
    assert a != (tmp_path / "b" / "p01-baseline.json").read_text()


def test_score_finds_rubrics_in_a_rubric_folder_named_by_environment(tmp_path, monkeypatch):
    folder = tmp_path / "rubrics"
    folder.mkdir()
    shutil.copy(DATA_DIR / "rubrics" / "odd-scale.yaml", folder)
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    study = tmp_path / "s.json"
    study.write_text(
        json.dumps(
            {
                "rubric": {"id": "youth-mentoring-check", "version": "2024.2"},
                "program": {"name": "M"},
                "answers": {"R1.a": {"value": 5}},
            }
        )
    )
    result = CliRunner().invoke(main, ["score", str(study), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["standards"][0]["mean_level"] == 5.0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_output_to_a_full_disk_is_one_line_and_exit_1():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", "from selfstudy.cli import main; main()", "schema", "study"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr == (
        "selfstudy: No space left on device; check that the file or folder exists, that you "
        "may read and write it and that its disk has space, then run the command again\n"
    )


def test_a_refusal_that_is_not_about_a_file_says_so_in_one_line(tmp_path):
    # A connection the system refuses (port 0): an OSError that names no file.
    script = (
        "import socket, click\n"
        "from selfstudy.cli import main\n"
        "@main.command()\n"
        "def connect():\n"
        "    socket.socket(socket.AF_INET).connect(('127.0.0.1', 0))\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "connect"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("selfstudy: the system refused an operation (")
    assert "check that the file or folder exists" not in line
