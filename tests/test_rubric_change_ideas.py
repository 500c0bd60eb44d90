"""A rubric author can list change ideas under a standard; each mistake in them is reported with
its line and key path, and a team sees the ideas on the Rubric page."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import ChangeIdea, Rubric, rubric_json_schema
from selfstudy.core.rubric.parse import parse_rubric, read_rubric
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")

WITH_IDEAS = """\
id: tiny
version: "1"
title: Tiny rubric
scale:
  levels:
    - {value: 1, label: Not yet}
    - {value: 2, label: Established}
target: 2
dimensions:
  - id: design
    title: Design
    standards:
      - id: D.1
        title: Speakers
        resources:
          - {title: A guide}
        change_ideas:
          - id: speaker-routine
            title: A guest-speaker routine
            description: Brief each speaker and close with one next step.
            resources:
              - {title: Briefing sheet, url: "https://example.org/brief"}
              - {title: Ask us, url: "mailto:team@example.org"}
          - id: D.1
            title: An idea may share its id with a standard
        items:
          - {id: D.1.a, text: Speakers share students' backgrounds}
      - id: D.2
        title: Recruiting
        change_ideas:
          - {id: new-community, title: Recruit from a new community}
        items:
          - {id: D.2.a, text: We recruit where students live}
"""


def problems_of(text: str) -> list[tuple[str, int, str]]:
    """(code, line, key path) of every problem, in file order."""
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(text, "x.yaml")
    for problem in caught.value.problems:
        assert problem.location.startswith("x.yaml:")
    return [(p.code, int(p.location.split(":")[1]), p.path) for p in caught.value.problems]


def test_a_rubric_with_change_ideas_loads_and_finds_each_idea_and_its_standard():
    rubric = parse_rubric(WITH_IDEAS, "x.yaml")
    idea = rubric.change_idea_by_id["speaker-routine"]
    assert idea.title == "A guest-speaker routine"
    assert idea.description == "Brief each speaker and close with one next step."
    assert [r.url for r in idea.resources] == [
        "https://example.org/brief",
        "mailto:team@example.org",
    ]
    assert list(rubric.change_idea_by_id) == ["speaker-routine", "D.1", "new-community"]
    assert rubric.standard_of_change_idea["new-community"].id == "D.2"
    assert rubric.standard_of_change_idea["D.1"].id == "D.1"
    assert rubric.standard_by_id["D.2"].resources == []
    assert rubric.change_idea_by_id is rubric.change_idea_by_id  # built once


def test_a_standard_without_change_ideas_has_none():
    text = WITH_IDEAS.replace(
        "        change_ideas:\n"
        "          - {id: new-community, title: Recruit from a new community}\n",
        "",
    )
    rubric = parse_rubric(text, "x.yaml")
    assert rubric.standard_by_id["D.2"].change_ideas == []
    assert "new-community" not in rubric.change_idea_by_id


def test_a_change_idea_id_used_twice_anywhere_in_the_rubric_is_reported_at_the_second():
    text = WITH_IDEAS.replace("id: new-community", "id: speaker-routine")
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(text, "x.yaml")
    (duplicate,) = caught.value.problems
    assert (duplicate.code, duplicate.location) == ("duplicate-id", "x.yaml:31")
    assert duplicate.path == "dimensions[0].standards[1].change_ideas[0].id"
    assert "first used at line 18" in duplicate.message


def test_an_empty_or_missing_title_is_reported_at_its_line():
    empty = WITH_IDEAS.replace("title: A guest-speaker routine", 'title: ""')
    assert problems_of(empty) == [
        ("empty-value", 19, "dimensions[0].standards[0].change_ideas[0].title")
    ]
    missing = WITH_IDEAS.replace("            title: A guest-speaker routine\n", "")
    assert problems_of(missing) == [
        ("missing-key", 18, "dimensions[0].standards[0].change_ideas[0].title")
    ]


def test_an_empty_id_is_reported_at_its_line():
    text = WITH_IDEAS.replace("id: speaker-routine", 'id: ""')
    assert problems_of(text) == [
        ("empty-value", 18, "dimensions[0].standards[0].change_ideas[0].id")
    ]


def test_an_unknown_key_in_an_idea_or_its_resource_is_reported_with_a_suggestion():
    text = WITH_IDEAS.replace("description: Brief", "descripton: Brief").replace(
        "{title: Ask us, url:", "{title: Ask us, link:"
    )
    with pytest.raises(ProblemsFound) as caught:
        parse_rubric(text, "x.yaml")
    found = [(p.code, p.location, p.path) for p in caught.value.problems]
    assert found == [
        ("unknown-key", "x.yaml:20", "dimensions[0].standards[0].change_ideas[0].descripton"),
        (
            "unknown-key",
            "x.yaml:23",
            "dimensions[0].standards[0].change_ideas[0].resources[1].link",
        ),
    ]
    messages = [p.message for p in caught.value.problems]
    assert "did you mean 'description'?" in messages[0]
    assert messages[1] == "unknown key 'link'; allowed keys: title, url, description"


def test_change_ideas_must_be_a_list_of_ideas():
    text = WITH_IDEAS.replace(
        "          - {id: new-community, title: Recruit from a new community}\n",
        "          Recruit from a new community\n",
    )
    assert problems_of(text) == [("wrong-type", 30, "dimensions[0].standards[1].change_ideas")]


def test_an_idea_resource_that_is_not_a_web_or_mail_address_is_warned_about_at_its_line():
    text = WITH_IDEAS.replace('url: "https://example.org/brief"', 'url: "javascript:alert(1)"')
    rubric, problems = read_rubric(text, "x.yaml")
    assert rubric is not None  # a warning, as for a standard's resources: the title still shows
    assert problems.flatten(["code", "location", "path", "severity"]) == [
        [
            "not-a-link",
            "x.yaml:22",
            "dimensions[0].standards[0].change_ideas[0].resources[0].url",
            "warning",
        ]
    ]
    assert "a 'javascript' address is shown as text, never as a link" in problems[0].message


def test_every_mistake_in_change_ideas_is_reported_in_one_pass():
    text = (
        WITH_IDEAS.replace("id: new-community", "id: speaker-routine")
        .replace("title: An idea may share", "titel: An idea may share")
        .replace("{title: Ask us, url:", "{title: Ask us, link:")
    )
    found = problems_of(text)
    assert [(code, line) for code, line, _ in found] == [
        ("unknown-key", 23),
        ("missing-key", 24),
        ("unknown-key", 25),
        ("duplicate-id", 31),
    ]


def test_a_rubric_built_in_python_refuses_a_repeated_idea_id(default_rubric):
    standard = default_rubric.dimensions[0].standards[0]
    idea = ChangeIdea(id="same", title="Try this")
    twice = standard.model_copy(update={"change_ideas": [idea, idea]})
    dimension = default_rubric.dimensions[0].model_copy(update={"standards": [twice]})
    with pytest.raises(ValidationError, match="duplicate id 'same'"):
        Rubric.model_validate(
            default_rubric.model_copy(update={"dimensions": [dimension]}).model_dump(by_alias=True)
        )


def test_the_default_rubric_offers_two_or_three_change_ideas_in_every_dimension(default_rubric):
    for dimension in default_rubric.dimensions:
        ideas = [idea for s in dimension.standards for idea in s.change_ideas]
        assert 2 <= len(ideas) <= 3, dimension.id
        for idea in ideas:
            assert idea.title and idea.description, idea.id
            assert default_rubric.standard_of_change_idea[idea.id] in dimension.standards
    ideas = default_rubric.change_idea_by_id
    assert "guest-speaker-routine" in ideas
    assert default_rubric.standard_of_change_idea["guest-speaker-routine"].id == "PD.3"
    assert default_rubric.standard_of_change_idea["recruit-new-community"].id == "SR.1"
    assert default_rubric.standard_of_change_idea["race-and-racism-staff-capacity"].id == "SS.2"


def test_change_ideas_do_not_change_any_score(default_rubric, sample_set):
    bare = default_rubric.model_dump(by_alias=True)
    for dimension in bare["dimensions"]:
        for standard in dimension["standards"]:
            standard["change_ideas"] = []
    without_ideas = Rubric.model_validate(bare)
    assert without_ideas.version == default_rubric.version
    for study in sample_set:
        assert score(without_ideas, study) == score(default_rubric, study)


def test_the_json_schema_describes_change_ideas():
    schema = rubric_json_schema()
    standard = schema["$defs"]["Standard"]["properties"]
    assert standard["change_ideas"]["items"] == {"$ref": "#/$defs/ChangeIdea"}
    idea = schema["$defs"]["ChangeIdea"]
    assert set(idea["properties"]) == {"id", "title", "description", "resources"}
    assert idea["required"] == ["id", "title"]
    assert idea["additionalProperties"] is False
    printed = json.loads(CliRunner().invoke(main, ["schema", "rubric"]).output)
    assert printed["$defs"]["ChangeIdea"] == idea


def test_the_rubric_page_shows_each_standards_change_ideas(db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("selfstudy/app/pages/rubric.py").run()
    assert not at.exception
    assert "Change ideas to try" in [e.label for e in at.expander]
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Rewrite the mission as two or three measurable equity goals**" in shown
    at.radio[0].set_value(2).run()  # Program Design and Implementation
    shown = "\n".join(m.value for m in at.markdown)
    assert "A guest-speaker routine with STEM professionals" in shown


def test_the_rubric_page_links_an_ideas_resource_only_to_a_web_or_mail_address(
    db, monkeypatch, tmp_path
):
    folder = tmp_path / "rubrics"
    folder.mkdir()
    text = WITH_IDEAS.replace('url: "mailto:team@example.org"', 'url: "javascript:alert(1)"')
    (folder / "tiny.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("selfstudy/app/pages/rubric.py").run()
    assert not at.exception
    idea = next(m.value for m in at.markdown if "guest-speaker routine" in m.value)
    assert "[Briefing sheet](https://example.org/brief)" in idea
    assert idea.endswith(
        "\n\n- [Briefing sheet](https://example.org/brief)\n- Ask us (javascript:alert(1))"
    )  # the second shown as text, not as a link
