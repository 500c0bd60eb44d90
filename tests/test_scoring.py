"""Scores agree with the rules in rubric-format.md, worked out by hand here."""

from __future__ import annotations

import pytest

from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import judge, score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.rubric_files import load_rubric

from .conftest import DATA_DIR


@pytest.fixture(scope="module")
def odd_scale() -> Rubric:
    """1/3/5, no N/A; relationships weight 2; R1 target 5, R2 weight 2; outcomes target 5."""
    return load_rubric(DATA_DIR / "rubrics" / "odd-scale.yaml")


@pytest.fixture(scope="module")
def yes_no() -> Rubric:
    return load_rubric(DATA_DIR / "rubrics" / "yes-no.yaml")


def study_of(rubric: Rubric, **values) -> SelfStudy:
    study = SelfStudy.new(rubric, "Test program")
    study.answers = {k.replace("_", "."): Answer(value=v) for k, v in values.items()}
    return study


def test_weighted_means_hidden_items_unanswered_dimension_and_priorities(odd_scale):
    study = study_of(
        odd_scale,
        R1_a=5,  # weight 3
        R1_b=1,
        R1_kind="Volunteers",
        R1_c=1,  # hidden: mentors are not paid, so this answer is left out
        R2_a=1,
        R2_b=5,  # hidden: R2.a is below 3
        R2_hours=12,
    )
    result = score(odd_scale, study).to_dict()
    standards = {s["id"]: s for s in result["standards"]}

    # R1: (5*3 + 1*1) / 4 = 4.0 against its own target 5; one step below 5 is 3.
    assert standards["R1"] == {
        "id": "R1",
        "dimension": "relationships",
        "title": "Matching mentors and students",
        "mean_level": 4.0,
        "percent": 75.0,
        "status": "approaching",
        "target": 5,
        "gap": 1.0,
    }
    # R2: only R2.a counts -> 1.0; target inherited from the rubric (3); 1 >= 3 - 2.
    assert (standards["R2"]["mean_level"], standards["R2"]["status"]) == (1.0, "approaching")
    assert standards["R2"]["percent"] == 0.0
    # Outcomes: nothing rated.
    assert standards["O1"]["mean_level"] is None
    assert standards["O1"]["status"] == "not_rated"
    assert standards["O1"]["gap"] is None

    relationships, outcomes = result["dimensions"]
    # (4.0 * 1 + 1.0 * 2) / 3 = 2.0
    assert relationships["mean_level"] == 2.0
    assert relationships["status"] == "approaching"
    # Required and shown: R1.a, R1.b, R2.a, R2.hours (R1.c and R2.b are hidden).
    assert (relationships["answered"], relationships["required"]) == (4, 4)
    assert outcomes["status"] == "not_rated"
    assert outcomes["target"] == 5

    # Overall: the only rated dimension. Completeness: 4 of 5 shown required items (+ O1.a).
    assert result["overall"]["mean_level"] == 2.0
    assert result["overall"]["completeness"] == 0.8
    # Largest gap first; unrated standards are not priorities.
    assert result["priorities"] == ["R2", "R1"]


def test_show_if_items_count_once_their_condition_holds(odd_scale):
    study = study_of(
        odd_scale, R1_a=5, R1_b=1, R1_kind="Both", R1_c=3, R2_a=3, R2_b=5, R2_hours=4, O1_a=5
    )
    result = score(odd_scale, study)
    assert result.standard("R1").score.mean_level == pytest.approx((15 + 1 + 3) / 5)
    assert result.standard("R2").score.mean_level == pytest.approx(4.0)
    relationships = (3.8 * 1 + 4.0 * 2) / 3
    assert result.dimension("relationships").score.mean_level == pytest.approx(relationships)
    assert result.dimension("relationships").score.status == "meets"
    assert result.dimension("outcomes").score.status == "meets"
    assert result.overall.mean_level == pytest.approx((relationships * 2 + 5 * 1) / 3)
    assert result.to_dict()["overall"]["mean_level"] == 4.29
    assert result.completeness == 1.0
    assert result.priorities == ["R1"]


def test_na_is_left_out_of_means_but_counts_as_answered(default_rubric):
    standard = default_rubric.standard_by_id["PG.1"]
    ids = [i.id for i in standard.items if i.is_rating]
    answers = {ids[0]: Answer(value=4), ids[1]: Answer(value="N/A")}
    result = score(default_rubric, answers)
    assert result.standard("PG.1").score.mean_level == 4.0
    assert result.standard("PG.1").answered == 2


def test_ratings_on_a_two_level_yes_no_scale(yes_no):
    result = score(yes_no, study_of(yes_no, B1_a=1, B1_b=0, B2_a=0, B2_b=1))
    assert result.standard("B1").score.mean_level == 0.5
    assert result.standard("B1").score.percent == 50.0
    # B2.b is hidden because B2.a is "No".
    assert result.standard("B2").score.mean_level == 0.0
    assert result.standard("B2").required == 1
    assert result.overall.mean_level == 0.25
    # On a two-level scale one step below the target is the bottom: all below is approaching.
    assert result.overall.status == "approaching"


@pytest.mark.parametrize(
    ("mean", "status"),
    [
        (3.0, "meets"),
        (3.5, "meets"),
        (2.999, "approaching"),
        (2.0, "approaching"),
        (1.99, "not_yet"),
    ],
)
def test_status_thresholds_on_the_default_scale(default_rubric, mean, status):
    assert judge(default_rubric, mean, 3).status == status


def test_gap_is_negative_above_target(default_rubric):
    assert judge(default_rubric, 3.5, 3).gap == -0.5


def test_priorities_break_equal_gaps_by_larger_weight(rubric_from_yaml):
    rubric = rubric_from_yaml(
        """
        id: ties
        version: "1"
        title: Ties
        scale:
          levels: [{value: 1, label: Low}, {value: 2, label: Mid}, {value: 3, label: High}]
        target: 3
        dimensions:
          - id: d
            title: D
            standards:
              - {id: A, title: A, items: [{id: A.a, text: a}]}
              - {id: B, title: B, weight: 3, items: [{id: B.a, text: b}]}
              - {id: C, title: C, items: [{id: C.a, text: c}]}
              - {id: E, title: E, items: [{id: E.a, text: e}]}
        """
    )
    answers = {
        "A.a": Answer(value=2),
        "B.a": Answer(value=2),
        "C.a": Answer(value=1),
        "E.a": Answer(value=3),
    }
    assert score(rubric, answers).priorities == ["C", "B", "A"]


def test_targets_inherit_from_dimension_then_rubric(odd_scale):
    result = score(odd_scale, {})
    assert result.standard("R1").score.target == 5  # its own
    assert result.standard("R2").score.target == 3  # the rubric's
    assert result.standard("O1").score.target == 5  # its dimension's


def test_empty_study_is_not_rated_and_incomplete(default_rubric):
    result = score(default_rubric, {})
    assert result.overall.status == "not_rated"
    assert result.completeness == 0.0
    required = [i for i in default_rubric.items() if i.is_required]
    # The stipend follow-up (SR.2.b) stays hidden until SR.2.stipend is answered.
    hidden = [i.id for i in required if i.show_if is not None]
    assert hidden == ["SR.2.b"]
    assert result.required == len(required) - 1
    assert result.priorities == []


def test_score_json_lists_dimensions_and_standards_in_rubric_order(default_rubric, sample_set):
    document = score(default_rubric, sample_set[0]).to_dict()
    assert [d["id"] for d in document["dimensions"]] == [d.id for d in default_rubric.dimensions]
    assert [s["id"] for s in document["standards"]] == [s.id for s in default_rubric.standards()]
    assert set(document["overall"]) == {
        "mean_level",
        "percent",
        "status",
        "target",
        "gap",
        "completeness",
    }
