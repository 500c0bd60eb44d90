"""A rubric author gets every problem of a file at once, each with its line and key path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.edges.rubric_files import load_rubric, rubric_problems

VALID = """\
id: tiny
version: "1"
title: Tiny rubric
scale:
  levels:
    - {value: 1, label: Not yet}
    - {value: 2, label: Emerging}
    - {value: 3, label: Established}
target: 2
dimensions:
  - id: goals
    title: Goals
    standards:
      - id: G.1
        title: Written goals
        levels:
          1: No goals
          3: Goals reviewed yearly
        items:
          - id: G.1.a
            text: We publish our goals
          - id: G.1.kind
            text: Who reviews them?
            type: choice
            options: [Staff, Board]
          - id: G.1.b
            text: The board signs them off
            show_if: {item: G.1.kind, equals: Board}
"""


def problems_of(text: str) -> list[tuple[str, int, str]]:
    """(code, line, key path) of every problem, in file order."""
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(textwrap.dedent(text), "x.yaml")
    return [(p.code, int(p.location.split(":")[1]), p.path) for p in caught.value.problems]


def test_valid_rubric_loads_with_its_structure():
    rubric = parse_rubric(VALID, "x.yaml")
    assert rubric.id == "tiny"
    assert [i.id for i in rubric.items()] == ["G.1.a", "G.1.kind", "G.1.b"]
    assert rubric.standard_by_id["G.1"].levels == {1: "No goals", 3: "Goals reviewed yearly"}
    assert rubric.scale.allow_na is True
    assert rubric.item_by_id["G.1.a"].is_required
    assert not rubric.item_by_id["G.1.kind"].is_required


def test_yes_and_no_stay_text_in_options_and_show_if():
    text = VALID.replace("[Staff, Board]", "[Yes, No]").replace("equals: Board", "equals: Yes")
    rubric = parse_rubric(text, "x.yaml")
    assert rubric.item_by_id["G.1.kind"].options == ["Yes", "No"]
    assert rubric.item_by_id["G.1.b"].show_if.equals == "Yes"


def test_yaml_syntax_error_names_its_line():
    text = VALID.replace("    title: Goals\n", "    title: [Goals\n")
    assert problems_of(text)[0][:2] == ("yaml-syntax", 13)


def test_unknown_key_is_reported_with_a_suggestion():
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(VALID.replace("            text: We publish", "            txt: We publish"))
    messages = [str(p) for p in caught.value.problems]
    assert any("unknown key 'txt'; did you mean 'text'?" in m for m in messages)
    assert ("unknown-key", 21, "dimensions[0].standards[0].items[0].txt") in problems_of(
        VALID.replace("            text: We publish", "            txt: We publish")
    )


def test_missing_required_key_points_at_its_block():
    text = VALID.replace("        title: Written goals\n", "")
    assert ("missing-key", 14, "dimensions[0].standards[0].title") in problems_of(text)


def test_duplicate_id_names_the_first_use():
    text = VALID.replace("id: G.1.kind", "id: G.1.a").replace("item: G.1.kind", "item: G.1.a")
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(text, "x.yaml")
    duplicate = next(p for p in caught.value.problems if p.code == "duplicate-id")
    assert duplicate.location == "x.yaml:22"
    assert duplicate.path == "dimensions[0].standards[0].items[1].id"
    assert "first used at line 20" in duplicate.message


def test_scale_values_must_increase_and_labels_be_unique():
    text = VALID.replace("{value: 2, label: Emerging}", "{value: 0, label: not  YET}")
    found = problems_of(text)
    assert ("scale-not-increasing", 7, "scale.levels[1].value") in found
    assert ("duplicate-label", 7, "scale.levels[1].label") in found


def test_targets_must_be_scale_values():
    text = VALID.replace("target: 2", "target: 2.5").replace(
        "    title: Goals\n", "    title: Goals\n    target: 7\n"
    )
    found = problems_of(text)
    assert ("target-not-on-scale", 9, "target") in found
    assert ("target-not-on-scale", 13, "dimensions[0].target") in found


def test_level_descriptor_keys_must_be_scale_values():
    text = VALID.replace("          3: Goals reviewed yearly", "          4: Goals reviewed yearly")
    assert ("level-not-on-scale", 18, "dimensions[0].standards[0].levels[4]") in problems_of(text)


def test_choice_item_without_options_is_rejected():
    text = VALID.replace("            options: [Staff, Board]\n", "").replace(
        "            show_if: {item: G.1.kind, equals: Board}\n", ""
    )
    assert ("missing-options", 22, "dimensions[0].standards[0].items[1].options") in problems_of(
        text
    )


def test_show_if_must_name_an_earlier_item():
    text = VALID.replace("item: G.1.kind", "item: G.1.z")
    assert ("show-if-unknown-item", 28, "dimensions[0].standards[0].items[2].show_if.item") in (
        problems_of(text)
    )


def test_show_if_cannot_look_forward():
    text = VALID + "          - {id: G.1.c, text: Later}\n"
    text = text.replace("item: G.1.kind, equals: Board", "item: G.1.c, equals: 1")
    assert problems_of(text)[0][0] == "show-if-unknown-item"


def test_show_if_value_must_be_possible_for_the_item():
    text = VALID.replace("equals: Board", "equals: Trustees")
    found = problems_of(text)
    assert ("show-if-bad-value", 28, "dimensions[0].standards[0].items[2].show_if.equals") in found


def test_show_if_needs_exactly_one_condition():
    text = VALID.replace("equals: Board}", "equals: Board, in: [Staff]}")
    assert problems_of(text)[0][:2] == ("bad-show-if", 28)


def test_dimension_and_standard_need_items():
    text = VALID + "  - id: empty\n    title: Empty\n    standards: []\n"
    text += "  - id: hollow\n    title: Hollow\n    standards:\n"
    text += "      - {id: H.1, title: H, items: []}\n"
    found = problems_of(text)
    assert ("empty-list", 31, "dimensions[1].standards") in found
    assert ("empty-list", 35, "dimensions[2].standards[0].items") in found


def test_weights_must_be_positive():
    text = VALID.replace("    title: Goals\n", "    title: Goals\n    weight: 0\n").replace(
        "text: We publish our goals", "text: We publish our goals\n            weight: -2"
    )
    found = problems_of(text)
    assert ("bad-weight", 13, "dimensions[0].weight") in found
    assert ("bad-weight", 23, "dimensions[0].standards[0].items[0].weight") in found


def test_duplicate_yaml_key_is_reported():
    text = VALID.replace("title: Tiny rubric", "title: Tiny rubric\ntitle: Again")
    assert ("duplicate-key", 4, "title") in problems_of(text)


def test_every_problem_is_reported_in_one_pass():
    text = (
        VALID.replace("target: 2", "target: 9")
        .replace("            text: We publish", "            txt: We publish")
        .replace("equals: Board", "equals: Trustees")
    )
    codes = [code for code, _, _ in problems_of(text)]
    assert codes == ["target-not-on-scale", "missing-key", "unknown-key", "show-if-bad-value"]


def test_load_rubric_names_the_file_in_each_problem(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text(VALID.replace("target: 2", "target: 9"))
    (problem,) = rubric_problems(path)
    assert str(problem).startswith(f"{path}:9: target: target 9 is not a scale value")


def test_unreadable_file_is_a_problem_not_a_traceback(tmp_path: Path):
    with pytest.raises(ProblemsFound) as caught:
        load_rubric(tmp_path / "missing.yaml")
    assert caught.value.codes() == ["unreadable-file"]


def test_rubric_version_must_be_quoted_text():
    found = problems_of(VALID.replace('version: "1"', "version: 1.10"))
    assert found == [("wrong-type", 2, "version")]


def test_a_value_read_as_a_number_or_a_list_is_shown_as_written_with_its_quoted_form():
    # YAML reads 1.10 as the number 1.1, and [Staff] as a list: the message quotes the line.
    for written, read_as, example in [
        ("1.10", "a number", 'version: "1.10"'),
        ("true", "true or false", 'version: "true"'),
        ('[Draft "2"]', "a list", 'version: "[Draft \\"2\\"]"'),
    ]:
        text = VALID.replace('version: "1"', f"version: {written}")
        with pytest.raises(ProblemsFound) as caught:
            parse_rubric(text, "x.yaml")
        assert str(caught.value.problems[0]) == (
            f"x.yaml:2: version: expected text, but {written} is read as {read_as}; put it in "
            f"quotes (for example {example})"
        )
        fixed = text.replace(f"version: {written}", example)
        assert parse_rubric(fixed, "x.yaml").version == written


def test_a_date_stays_text_as_yaml_1_2_reads_it():
    rubric = parse_rubric(
        VALID.replace('version: "1"', "version: 2025-01-15").replace(
            "title: Goals", "title: 2025-01-15 10:00:00"
        ),
        "x.yaml",
    )
    assert (rubric.version, rubric.dimensions[0].title) == ("2025-01-15", "2025-01-15 10:00:00")


def test_a_number_of_thousands_of_digits_is_quoted_cut_short():
    number = "9" * 4000  # read (Python reads up to 4,300 digits), then found wrong
    text = VALID.replace("target: 2", f"target: 8{number}").replace(
        "value: 1,", f"value: {number},"
    )
    text = text.replace('version: "1"', f"version: {number}")
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(text, "x.yaml")
    lines = [str(problem) for problem in caught.value.problems]
    assert {p.code for p in caught.value.problems} == {
        "wrong-type",
        "scale-not-increasing",
        "target-not-on-scale",
        "level-not-on-scale",
    }
    assert all(len(line) < 300 for line in lines), max(map(len, lines))
    assert any(line.startswith("x.yaml:9: target: target 899999999") for line in lines)


def test_a_rubric_built_in_python_gets_the_same_cross_checks(default_rubric):
    document = default_rubric.model_dump(by_alias=True)
    assert Rubric.model_validate(document) == default_rubric
    document["target"] = 7
    with pytest.raises(ValidationError, match="target 7 is not a scale value"):
        Rubric.model_validate(document)
