"""Which self-studies count in a cohort comparison: those at least `min_complete` % complete.

A small rubric written here: four rated items, one of them shown only when a
choice says "Yes", and a scale that allows N/A. Completeness is the figure the
Self-study page's progress shows a program leader (`scoring.score`): N/A counts
as answered, a hidden item is not required.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.cohorts import (
    DEFAULT_MIN_COMPLETE,
    against_group,
    check_min_complete,
    compare,
    counted,
    score_studies,
)
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from tests.test_cohorts_properties import DEFAULT, SMALL, cohorts_of_studies, studies_for

RUBRIC = """
id: tiny
version: "1"
title: Tiny
scale:
  allow_na: true
  levels:
    - {value: 1, label: Beginning}
    - {value: 2, label: Emerging}
    - {value: 3, label: Established}
    - {value: 4, label: Sustaining}
target: 3
dimensions:
  - id: d
    title: D
    standards:
      - id: D.1
        title: D one
        items:
          - {id: D.1.a, text: a}
          - {id: D.1.b, text: b}
          - {id: D.1.gate, text: stipend?, type: choice, options: ["Yes", "No"]}
          - {id: D.1.c, text: c, show_if: {item: D.1.gate, equals: "Yes"}}
          - {id: D.1.d, text: d}
"""


@pytest.fixture
def tiny(rubric_from_yaml):
    return rubric_from_yaml(RUBRIC)


def study(rubric, name: str, cohort: str, round_: str, **values) -> SelfStudy:
    made = SelfStudy.new(rubric, name, id=name.lower(), cohort=cohort, round=round_)
    made.answers = {item.replace("_", "."): Answer(value=v) for item, v in values.items()}
    return made


def test_by_default_only_studies_with_every_required_item_answered_count(tiny):
    studies = [
        # 4 of 4 required answered, one of them N/A: complete
        study(tiny, "Lakeside", "North", "baseline", D_1_a=3, D_1_b="N/A", D_1_gate="Yes",
              D_1_c=2, D_1_d=4),
        # D.1.c is hidden ("No"), so 3 of 3 required: complete
        study(tiny, "Hilltop", "North", "baseline", D_1_a=2, D_1_b=2, D_1_gate="No", D_1_d=3),
        # 2 of 4 required answered: half done
        study(tiny, "Bridge", "North", "baseline", D_1_a=4, D_1_gate="Yes", D_1_c=4),
    ]  # fmt: skip
    scores = score_studies(tiny, studies)
    split = counted(scores)
    assert DEFAULT_MIN_COMPLETE == 100
    assert list(split.scores.programs["program"]) == ["Lakeside", "Hilltop"]
    assert list(split.left_out.scores.programs["program"]) == ["Bridge"]
    assert split.left_out.summary() == "1 self-study left out: not yet 100% complete"
    assert split.left_out.reasons() == [
        "Bridge (North, baseline): 50% of required items answered (2 of 4); the threshold is 100%"
    ]
    # the figures the Self-study page's progress bar shows for each study
    shown = [(r.answered, r.required) for r in (score(tiny, s) for s in studies)]
    assert shown == [(4, 4), (3, 3), (2, 4)]


def test_a_lower_threshold_counts_a_study_that_reaches_it(tiny):
    bridge = study(tiny, "Bridge", "North", "baseline", D_1_a=4, D_1_gate="Yes", D_1_c=4)
    scores = score_studies(tiny, [bridge])
    assert len(counted(scores, 50).scores) == 1
    assert len(counted(scores, 50.5).scores) == 0
    assert len(counted(scores, 0).left_out) == 0


def test_an_unfinished_study_never_reads_as_complete_in_its_reason(rubric_from_yaml):
    items = "\n".join(f"          - {{id: D.1.i{k}, text: i{k}}}" for k in range(200))
    many = rubric_from_yaml(RUBRIC.split("        items:")[0] + "        items:\n" + items)
    almost = SelfStudy.new(many, "Almost", cohort="North", round="baseline")
    almost.answers = {f"D.1.i{k}": Answer(value=3) for k in range(199)}
    [reason] = counted(score_studies(many, [almost])).left_out.reasons()
    assert reason == (
        "Almost (North, baseline): 99% of required items answered (199 of 200); "
        "the threshold is 100%"
    )


def test_the_threshold_is_a_percentage_from_0_to_100():
    for bad in (-1, 100.5, float("nan")):
        with pytest.raises(ValueError, match="percentage from 0 to 100"):
            check_min_complete(bad)
    assert check_min_complete(62.5) == 62.5


def test_of_a_program_twice_in_one_round_only_the_later_study_is_judged(tiny):
    earlier = study(tiny, "Bridge", "North", "baseline", D_1_a=4, D_1_b=4, D_1_gate="No", D_1_d=4)
    later = study(tiny, "Bridge", "North", "baseline", D_1_a=4)
    split = counted(score_studies(tiny, [earlier, later]))
    assert len(split.scores) == 0, "the earlier, replaced study does not stand in for it"
    assert list(split.left_out.scores.answered) == [1]


def test_the_comparison_carries_the_left_out_studies_into_its_json(tiny):
    studies = [
        study(tiny, "Hilltop", "North", "baseline", D_1_a=2, D_1_b=2, D_1_gate="No", D_1_d=3),
        study(tiny, "Bridge", "North", "baseline", D_1_a=4, D_1_gate="Yes", D_1_c=4),
    ]
    split = counted(score_studies(tiny, studies))
    document = compare(split.scores, left_out=split.left_out).to_dict()
    assert document["min_complete"] == 100
    assert document["self_studies"] == 1
    assert document["left_out"] == [
        {
            "program": "Bridge",
            "key": "bridge",
            "cohort": "North",
            "round": "baseline",
            "answered": 2,
            "required": 4,
            "completeness": 0.5,
            "reason": "50% of required items answered (2 of 4); the threshold is 100%",
        }
    ]
    assert document["groups"][0]["programs"] == 1
    without = compare(score_studies(tiny, studies)).to_dict()
    assert (without["min_complete"], without["left_out"]) == (0, [])


def test_an_unfinished_study_is_set_against_the_median_of_the_studies_that_count(tiny):
    studies = [
        study(tiny, "A", "North", "baseline", D_1_a=2, D_1_b=2, D_1_gate="No", D_1_d=2),
        study(tiny, "B", "North", "baseline", D_1_a=4, D_1_b=4, D_1_gate="No", D_1_d=4),
        study(tiny, "C", "South", "baseline", D_1_a=1, D_1_b=1, D_1_gate="No", D_1_d=1),
        study(tiny, "Bridge", "North", "baseline", D_1_a=1),  # unfinished, level 1
    ]
    split = counted(score_studies(tiny, studies))
    compared = against_group(split.left_out.scores, 0, "cohort", among=split.scores)
    [row] = compared.to_dict("records")
    assert row["mean_level"] == 1.0
    assert row["group_median"] == 3.0, "the median of A and B, not of Bridge too"
    assert row["group_programs"] == 2


@settings(max_examples=80, deadline=None)
@given(cohorts_of_studies(), st.one_of(st.integers(0, 100), st.floats(0, 100)))
def test_a_study_counts_if_and_only_if_its_page_completeness_reaches_the_threshold(
    studies, min_complete
):
    scores = score_studies(SMALL, studies)
    split = counted(scores, min_complete)
    singles = [score(SMALL, s) for s in studies]
    reaches = [
        Fraction(r.answered, r.required) * 100 >= Fraction(min_complete) if r.required else True
        for r in singles
    ]
    kept = [s.program.id for s, ok in zip(studies, reaches, strict=True) if ok]
    left = [s.program.id for s, ok in zip(studies, reaches, strict=True) if not ok]
    assert list(split.scores.programs["key"]) == kept
    assert list(split.left_out.scores.programs["key"]) == left
    assert sorted(kept + left) == sorted(s.program.id for s in studies)
    for reason, r in zip(
        split.left_out.reasons(),
        [r for r, ok in zip(singles, reaches, strict=True) if not ok],
        strict=True,
    ):
        assert f"({r.answered} of {r.required})" in reason


@settings(max_examples=40, deadline=None)
@given(studies_for(DEFAULT))
def test_with_threshold_0_no_study_is_left_out(studies):
    scores = score_studies(DEFAULT, studies)
    split = counted(scores, 0)
    assert len(split.left_out) == 0
    assert len(split.scores) == len(scores)
    assert np.array_equal(split.scores.overall_level, scores.overall_level, equal_nan=True)
