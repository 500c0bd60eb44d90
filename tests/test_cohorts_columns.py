"""Studies read in bulk as columns score exactly as study objects do, and are left out for
the same problems: in the core (random answer sets) and from a real database."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfstudy.core.cohorts import CohortScores, score_studies
from selfstudy.core.cohorts.columns import (
    columns_of,
    comparable_columns,
    joined,
    score_columns,
)
from selfstudy.core.rubric import Rubric
from selfstudy.core.samples import sample_studies
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.workflows import cohorts as cohort_workflow
from tests.test_cohorts_properties import DEFAULT, SMALL, studies_for

MATRICES = (
    "standard_level",
    "standard_status",
    "dimension_level",
    "dimension_status",
    "overall_level",
    "overall_status",
    "answered",
    "required",
)


def assert_same_scores(got: CohortScores, expected: CohortScores) -> None:
    for name in MATRICES:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    pd.testing.assert_frame_equal(got.programs, expected.programs)


def labelled(studies: list[SelfStudy]) -> list[tuple[str, SelfStudy]]:
    return [(f"study {n}", study) for n, study in enumerate(studies)]


def check_like_objects(rubric: Rubric, studies: list[SelfStudy], min_complete: float) -> None:
    inputs = labelled(studies)
    kept, problems = cohort_workflow.comparable(inputs, rubric)
    usable, found = comparable_columns(columns_of(inputs), rubric)
    assert usable.labels == [label for label, _ in kept]
    assert sorted(map(str, found)) == sorted(map(str, problems))
    bulk = score_columns(rubric, usable)
    objects = score_studies(rubric, [s for _, s in kept])
    assert_same_scores(bulk, objects)
    assert_same_scores(score_columns(rubric, columns_of(inputs)), score_studies(rubric, studies))
    # the same studies count at a threshold, and the comparisons are the same, number for number
    assert same_comparison(bulk, min_complete) == same_comparison(objects, min_complete)


def same_comparison(scores: CohortScores, min_complete: float) -> object:
    try:
        return cohort_workflow.comparison(scores, "cohort", min_complete=min_complete).to_dict()
    except cohort_workflow.CohortChoiceError as exc:
        return str(exc), exc.left_out.to_list() if exc.left_out else None


THRESHOLDS = st.sampled_from([0.0, 50.0, 90.0, 100.0]) | st.floats(0, 100)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies_for(DEFAULT), THRESHOLDS)
def test_columns_score_and_leave_out_as_objects_do_on_the_default_rubric(studies, threshold):
    check_like_objects(DEFAULT, studies, threshold)


@settings(max_examples=60, deadline=None)
@given(studies_for(SMALL), THRESHOLDS)
def test_columns_score_and_leave_out_as_objects_do_with_weights_targets_and_show_if(
    studies, threshold
):
    check_like_objects(SMALL, studies, threshold)


def test_joined_columns_keep_each_studys_answers(default_rubric, sample_set):
    first, second = labelled(sample_set[:5]), labelled(sample_set[5:])
    both = joined(columns_of(first), columns_of(second))
    assert_same_scores(
        score_columns(default_rubric, both), score_studies(default_rubric, sample_set)
    )


def test_stored_studies_read_in_bulk_compare_as_the_objects_do(storage, default_rubric, sample_set):
    network = [*sample_set, *sample_studies(default_rubric, programs=20, seed=7)]
    broken = sample_set[0].model_copy(deep=True)
    broken.program.id, broken.program.name = "broken", "Broken answers"
    broken.answers["PG.1.a"] = Answer(value=9)  # off the scale: left out
    broken.answers["XX.9"] = Answer(value=2)  # not an item of the rubric
    older = sample_set[1].model_copy(deep=True)
    older.program.id, older.program.name = "older", "Older version"
    older.rubric.version = "0.9"  # another version: kept, with a warning
    older.program.region = "north"  # an extra program field: a column of its own
    evidence_only = sample_set[2].model_copy(deep=True)
    evidence_only.program.id, evidence_only.program.name = "ev", "Evidence only"
    evidence_only.answers["PG.1.a"] = Answer(value=None, evidence="a note, no rating yet")
    # the bulk read joins each study's answers with ASCII's unit and record separators:
    # an item id or a value holding them is still read as it is
    separators = []
    for n, (item_id, value) in enumerate(
        [("XX\x1e9", 2), ("YY\x1f1", 1), ("PG.1.b", "x\x1ey\x1fz"), ("\x1e", "\x1e")]
    ):
        hostile = sample_set[n].model_copy(deep=True)
        hostile.program.id, hostile.program.name = f"sep{n}", f"Separators {n}"
        hostile.answers[item_id] = Answer(value=value)
        separators.append(hostile)
    for study in [*network, broken, older, evidence_only, *separators]:
        storage.create_study(study)

    stored = cohort_workflow.stored_scores(storage, default_rubric.id)

    objects = storage.all_studies()
    kept, problems = cohort_workflow.comparable(objects, default_rubric)
    expected, repeats = cohort_workflow.scores_of(default_rubric, kept)
    assert stored.left_out == 5 == len(objects) - len(kept)
    assert sorted(map(str, stored.problems)) == sorted(map(str, [*problems, *repeats]))
    assert_same_scores(stored.scores, expected)
    for threshold in (100.0, 95.0, 0.0):
        assert same_comparison(stored.scores, threshold) == same_comparison(expected, threshold)
