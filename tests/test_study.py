"""A self-study file that is broken says where, never with a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import (
    MAX_TEXT_LENGTH,
    Answer,
    SelfStudy,
    check_study,
    parse_study,
    shown_items,
    study_json_schema,
)
from selfstudy.edges.study_files import load_study


def minimal(**changes) -> dict:
    document = {
        "format": "selfstudy/1",
        "rubric": {"id": "stem-equity-self-study", "version": "1.0"},
        "program": {"name": "Code the Block"},
        "answers": {"PG.1.a": {"value": 3, "evidence": "Goals page", "notes": ""}},
    }
    document.update(changes)
    return document


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ProblemsFound) as caught:
        parse_study(text, "study.json")
    return [(p.code, p.path) for p in caught.value.problems]


def test_self_study_round_trips_through_json(sample_set):
    for study in sample_set:
        assert parse_study(study.to_json()) == study


def test_program_keeps_extra_fields():
    document = minimal(program={"name": "X", "site": "Eastside", "cohort": "2025"})
    study = parse_study(json.dumps(document))
    assert study.program.model_dump()["site"] == "Eastside"
    assert json.loads(study.to_json())["program"]["site"] == "Eastside"


def test_invalid_json_names_the_line():
    with pytest.raises(ProblemsFound) as caught:
        parse_study('{\n  "format": "selfstudy/1",\n  oops\n}', "study.json")
    (problem,) = caught.value.problems
    assert (problem.code, problem.location) == ("json-syntax", "study.json:3")


def test_missing_program_name_is_named_by_key_path():
    assert problems(json.dumps(minimal(program={"cohort": "2025"}))) == [
        ("missing-key", "program.name")
    ]


def test_every_bad_key_is_reported_at_once():
    document = minimal(format="selfstudy/9", extra=1)
    document["answers"]["PG.1.a"]["colour"] = "red"
    assert sorted(problems(json.dumps(document))) == [
        ("unknown-format", "format"),
        ("unknown-key", "answers['PG.1.a'].colour"),
        ("unknown-key", "extra"),
    ]


def test_missing_file_is_a_problem(tmp_path: Path):
    with pytest.raises(ProblemsFound) as caught:
        load_study(tmp_path / "nope.json")
    assert caught.value.codes() == ["unreadable-file"]


def test_answers_the_rubric_does_not_allow_are_reported(default_rubric):
    study = SelfStudy.new(default_rubric, "X")
    study.answers = {
        "PG.1.a": Answer(value=7),
        "PG.1.b": Answer(value="Established"),
        "NOPE.1": Answer(value=3),
        "SR.2.stipend": Answer(value="Sometimes"),
        "PD.1.hours": Answer(value="lots"),
        "PG.1.c": Answer(value="N/A"),
    }
    found = {(p.code, p.path) for p in check_study(study, default_rubric)}
    assert found == {
        ("bad-answer", "answers['PG.1.a'].value"),
        ("bad-answer", "answers['PG.1.b'].value"),
        ("unknown-item", "answers['NOPE.1']"),
        ("bad-answer", "answers['SR.2.stipend'].value"),
        ("bad-answer", "answers['PD.1.hours'].value"),
    }


def test_show_if_follows_answers(default_rubric):
    follow_up = "SR.2.b"
    assert follow_up not in shown_items(default_rubric, {})
    yes = {"SR.2.stipend": Answer(value="Some students")}
    assert follow_up in shown_items(default_rubric, yes)
    no = {"SR.2.stipend": Answer(value="No")}
    assert follow_up not in shown_items(default_rubric, no)


def test_study_schema_describes_the_file():
    schema = study_json_schema()
    assert schema["required"] == ["rubric", "program"]
    assert {"format", "rubric", "program", "answers"} <= set(schema["properties"])


def test_a_value_that_fits_no_kind_of_answer_is_one_problem_saying_what_fits():
    for value in ("true", "{}", "NaN", "[1, 2]"):
        text = json.dumps(minimal()).replace('"value": 3', f'"value": {value}')
        assert problems(text) == [("bad-value", "answers['PG.1.a'].value")], value
    with pytest.raises(ProblemsFound) as caught:
        parse_study(json.dumps(minimal()).replace('"value": 3', '"value": true'), "s.json")
    assert str(caught.value.problems[0]) == (
        "s.json: answers['PG.1.a'].value: true is not an answer: write a number such as 3, "
        "text in quotes, or a list of options in [ ]"
    )


def test_a_program_detail_is_text_or_a_number_and_no_longer_than_any_text():
    document = minimal(program={"name": "X", "region": ["East"], "grant": 2025})
    assert problems(json.dumps(document)) == [("bad-value", "program.region")]
    document = minimal(program={"name": "X" * (MAX_TEXT_LENGTH + 1)})
    assert problems(json.dumps(document)) == [("text-too-long", "program.name")]


def test_a_document_that_is_no_object_or_has_hostile_keys_is_one_short_readable_line(
    default_rubric,
):
    with pytest.raises(ProblemsFound) as caught:
        parse_study("0", "study.json")
    assert str(caught.value.problems[0]) == (
        "study.json: the file holds 0, not a self-study: a self-study file is a JSON object "
        'that begins {"format": "selfstudy/1"'
    )
    with pytest.raises(ProblemsFound) as caught:
        parse_study(json.dumps(minimal(answers={"PG.1.b": {"\x1f": 1}})), "study.json")
    found = list(caught.value.problems)
    study = parse_study(json.dumps(minimal(answers={"PG.1.a\n" + "x" * 190: {"value": 3}})))
    found += check_study(study, default_rubric, "study.json")
    with pytest.raises(ProblemsFound) as caught:  # longer than any item id
        parse_study(json.dumps(minimal(answers={"PG.1.a\n" + "x" * 5000: {"value": 3}})), "s")
    found += caught.value.problems
    assert [p.code for p in found] == ["unknown-key", "unknown-item", "bad-value"]
    for problem in found:
        line = str(problem)
        assert "\n" not in line and "\x1f" not in line and len(line) < 200, line


def test_a_rubric_version_longer_than_any_is_refused_at_its_key_before_it_reaches_the_database(
    db, tmp_path
):
    # The database keeps a version in 200 characters: PostgreSQL would refuse a longer
    # one with an error that says nothing of the file.
    path = tmp_path / "study.json"
    version = "1." + "0" * 4_998
    path.write_text(
        json.dumps(minimal(rubric={"id": "stem-equity-self-study", "version": version}))
    )
    with pytest.raises(ProblemsFound) as caught:
        load_study(path)
    assert [(p.code, p.location, p.path) for p in caught.value.problems] == [
        ("bad-value", str(path), "rubric.version")
    ]
    assert "5,000 characters" in caught.value.problems[0].message
    result = CliRunner().invoke(main, ["import", str(path), "--save"])
    assert result.exit_code == 1, result.output
    assert f"{path}: rubric.version: 5,000 characters" in result.stderr
    assert version not in result.output
    assert db.list_studies() == []


def test_a_study_file_saved_with_a_byte_order_mark_reads(tmp_path):
    # Notepad and other Windows editors begin a UTF-8 file with a byte order mark.
    path = tmp_path / "study.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(minimal(), ensure_ascii=False).encode())
    assert load_study(path).program.name == "Code the Block"
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 0, result.output


def test_a_nul_character_is_named_in_words_at_each_key_path():
    # `\u0000` in a JSON file: invisible, and no database keeps it as typed.
    document = minimal(
        program={"name": "Code Camp", "organization": "Org\x00"},
        answers={"PG.1.a": {"value": ["a\x00"], "evidence": "Rosters\x00 2025"}},
    )
    with pytest.raises(ProblemsFound) as caught:
        parse_study(json.dumps(document), "study.json")
    found = caught.value.problems
    assert [(p.code, p.path) for p in found] == [
        ("nul-character", "program.organization"),
        ("nul-character", "answers['PG.1.a'].value"),
        ("nul-character", "answers['PG.1.a'].evidence"),
    ]
    assert str(found[2]) == (
        "study.json: answers['PG.1.a'].evidence: the text holds a NUL character (U+0000, "
        "invisible, often left by an export from another system), which no database can "
        "store; remove the NUL character"
    )


def test_half_of_a_pair_is_named_in_words_at_its_key_path():
    # `\ud800` escapes half of a character: no file, database or spreadsheet can keep it.
    document = minimal(
        program={"name": "Code \\ud800", "x\\udfff": "1"},
        answers={"PG.1.a": {"value": "\\ud800", "notes": "a\\udc00"}, "PG\\ud800": {}},
    )
    with pytest.raises(ProblemsFound) as caught:
        parse_study(json.dumps(document).replace("\\\\u", "\\u"), "study.json")
    found = caught.value.problems
    assert [(p.code, p.path) for p in found] == [
        ("bad-value", "program.name"),
        ("bad-value", 'program."x\udfff"'),  # shown written out, as every path
        ("bad-value", "answers['PG.1.a'].value"),
        ("bad-value", "answers['PG.1.a'].notes"),
        ("bad-value", "answers['PG\\ud800']"),
    ]
    assert str(found[0]) == (
        "study.json: program.name: the text holds a character that is half of a pair (an "
        "unpaired surrogate, \\ud800), which no file or database can keep; delete it, or type "
        "the character again"
    )
    assert 'program."x\\udfff": the key holds a character that is half of a pair' in str(found[1])
