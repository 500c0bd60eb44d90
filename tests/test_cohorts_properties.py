"""The vectorized cohort scoring gives exactly what `scoring.score` gives, study by study.

Random answer sets: every kind of value people and old files put in a rating
(scale values, 3.0, labels in any case, N/A, blanks, values off the scale,
booleans), answers to non-rating items and `show_if` gates, unknown item ids,
and answers in any order; over the default rubric and over a small rubric
with weights, per-standard targets, chained `show_if` and a 1/3/5 scale
without N/A.
"""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfstudy.core.cohorts import dimension_summary, score_studies
from selfstudy.core.rubric import Item, Rubric
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric

DEFAULT = load_rubric(PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml")
SMALL = parse_rubric(
    """
id: small
version: "1"
title: Small rubric with weights, targets and show_if
scale:
  allow_na: false
  levels:
    - {value: 1, label: Low}
    - {value: 3, label: Mid}
    - {value: 5, label: High}
target: 3
dimensions:
  - id: a
    title: A
    weight: 2
    target: 5
    standards:
      - id: A.1
        title: A one
        weight: 3
        target: 3
        items:
          - {id: A.1.a, text: x, weight: 2}
          - {id: A.1.b, text: y, weight: 0.5}
          - {id: A.1.gate, text: gate, type: choice, options: ["Yes", "No"]}
          - {id: A.1.c, text: z, weight: 1.5, show_if: {item: A.1.gate, equals: "Yes"}}
      - id: A.2
        title: A two
        items:
          - {id: A.2.a, text: x}
          - {id: A.2.b, text: y, weight: 0.3, show_if: {item: A.2.a, at_least: 3}}
          - {id: A.2.c, text: chained, show_if: {item: A.2.b, in: [5]}}
  - id: b
    title: B
    weight: 0.7
    standards:
      - id: B.1
        title: B one
        weight: 0.3
        target: 5
        items:
          - {id: B.1.a, text: x, weight: 0.1}
          - {id: B.1.b, text: y, weight: 0.2}
          - {id: B.1.n, text: how many, type: number, required: true}
          - {id: B.1.m, text: which, type: multichoice, options: [p, q, r]}
          - {id: B.1.d, text: w, show_if: {item: B.1.m, equals: q}}
      - id: B.2
        title: B two
        weight: 1.1
        items:
          - {id: B.2.a, text: x, weight: 0.7}
""",
    "<small>",
)

MISSING = object()


def rating_values(rubric: Rubric) -> st.SearchStrategy:
    scale = rubric.scale
    labels = [level.label for level in scale.levels]
    return st.one_of(
        st.sampled_from(scale.values),
        st.sampled_from([float(v) for v in scale.values]),
        st.sampled_from(labels).map(str.upper),
        st.sampled_from(labels).map(lambda label: f"  {label.lower()} "),
        st.sampled_from(["N/A", "", "  ", "maybe", "n/a"]),
        st.sampled_from([0, 2, 7, 2.5, True, False]),
        st.none(),
    )


def item_values(rubric: Rubric, item: Item) -> st.SearchStrategy:
    if item.type == "rating":
        return rating_values(rubric)
    if item.type == "choice":
        return st.one_of(st.sampled_from(item.options or []), st.sampled_from(["", "other"]))
    if item.type == "multichoice":
        return st.lists(st.sampled_from(item.options or []), max_size=3, unique=True)
    if item.type == "number":
        return st.one_of(st.integers(0, 300), st.sampled_from([1.5, "", "ten"]), st.none())
    return st.one_of(st.text(max_size=5), st.none())


@st.composite
def answer_sets(draw: st.DrawFn, rubric: Rubric) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for item in rubric.items():
        if draw(st.booleans()) and draw(st.integers(0, 9)) < 8:
            value = draw(item_values(rubric, item))
            # model_construct: keep a boolean a boolean, as an old file might hold it.
            answers[item.id] = Answer.model_construct(value=value, evidence="", notes="")
    if draw(st.booleans()):
        answers["not.an.item"] = Answer(value=3)
    order = draw(st.permutations(list(answers)))
    return {key: answers[key] for key in order}


def studies_for(rubric: Rubric) -> st.SearchStrategy:
    def build(answer_maps: list[dict[str, Answer]]) -> list[SelfStudy]:
        studies = []
        for index, answers in enumerate(answer_maps):
            study = SelfStudy.new(rubric, f"P{index}", id=f"p{index}", cohort=str(index % 2))
            study.answers = answers
            studies.append(study)
        return studies

    return st.lists(answer_sets(rubric), min_size=1, max_size=6).map(build)


def assert_same_as_single_scoring(rubric: Rubric, studies: list[SelfStudy]) -> None:
    scores = score_studies(rubric, studies)
    for position, study in enumerate(studies):
        single = score(rubric, study)
        assert same(scores.overall_level[position], single.overall.mean_level)
        assert scores.overall_status[position] == STATUS_CODE[single.overall.status]
        for j, dimension in enumerate(single.dimensions):
            assert same(scores.dimension_level[position, j], dimension.score.mean_level)
            assert scores.dimension_status[position, j] == STATUS_CODE[dimension.score.status]
        for j, standard in enumerate(single.standards):
            assert same(scores.standard_level[position, j], standard.score.mean_level)
            assert scores.standard_status[position, j] == STATUS_CODE[standard.score.status]
        assert scores.answered[position] == single.answered
        assert scores.required[position] == single.required
        expected = single.to_dict()
        expected.pop("priorities")
        for dimension in expected["dimensions"]:
            del dimension["answered"], dimension["required"]
        assert scores.result_dict(position) == expected


STATUS_CODE = {"meets": 0, "approaching": 1, "not_yet": 2, "not_rated": 3}


def same(vectorized: float, single: float | None) -> bool:
    """Bitwise the same level, or both not rated."""
    return math.isnan(vectorized) if single is None else vectorized == single


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies_for(DEFAULT))
def test_cohort_scores_equal_single_scoring_on_the_default_rubric(studies):
    assert_same_as_single_scoring(DEFAULT, studies)


@settings(max_examples=150, deadline=None)
@given(studies_for(SMALL))
def test_cohort_scores_equal_single_scoring_with_weights_targets_and_show_if(studies):
    assert_same_as_single_scoring(SMALL, studies)


def test_cohort_scores_equal_single_scoring_on_the_sample_studies(default_rubric, sample_set):
    assert_same_as_single_scoring(default_rubric, sample_set)


@st.composite
def cohorts_of_studies(draw: st.DrawFn) -> list[SelfStudy]:
    studies = draw(studies_for(SMALL))
    for study in studies:
        study.program.cohort = draw(st.sampled_from(["A", "B", None]))
        study.program.round = draw(st.sampled_from(["baseline", "follow-up"]))
    return studies


@settings(max_examples=60, deadline=None)
@given(cohorts_of_studies())
def test_group_numbers_are_the_mean_median_and_share_of_the_single_scores(studies):
    summary = dimension_summary(score_studies(SMALL, studies), "cohort")
    for row in summary.to_dict("records"):
        members = [
            s
            for s in studies
            if (s.program.cohort, s.program.round) == (row["cohort"], row["round"])
        ]
        results = [score(SMALL, s).dimension(row["dimension"]).score for s in members]
        levels = [r.mean_level for r in results if r.mean_level is not None]
        assert row["programs"] == len(members)
        assert row["rated"] == len(levels)
        if not levels:
            assert math.isnan(row["mean_level"]) and math.isnan(row["share_meets"])
            continue
        assert row["mean_level"] == pytest.approx(statistics.mean(levels))
        assert row["median_level"] == pytest.approx(statistics.median(levels))
        meets = sum(r.status == "meets" for r in results)
        assert row["share_meets"] == pytest.approx(meets / len(levels))
