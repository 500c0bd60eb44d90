"""The bundled rubric is a complete instrument, and the samples exercise it."""

from __future__ import annotations

from collections import Counter

from selfstudy.core.samples import sample_studies
from selfstudy.core.study import check_study, is_na

DIMENSIONS = [
    "Program Goals",
    "Student Recruitment",
    "Program Design and Implementation",
    "Student Services",
    "Assessment and Evidence of Performance",
    "College Pathways",
]


def test_six_dimensions_in_order(default_rubric):
    assert [d.title for d in default_rubric.dimensions] == DIMENSIONS


def test_every_standard_has_levels_for_each_scale_value_and_a_resource(default_rubric):
    labels = [level.label for level in default_rubric.scale.levels]
    assert labels == ["Not yet", "Emerging", "Established", "Sustaining"]
    assert default_rubric.target == 3
    for standard in default_rubric.standards():
        assert set(standard.levels) == {1, 2, 3, 4}, standard.id
        assert standard.resources, standard.id
        assert 2 <= sum(i.is_rating for i in standard.items) <= 4, standard.id


def test_item_count_and_every_item_type(default_rubric):
    kinds = Counter(item.type for item in default_rubric.items())
    assert 60 <= kinds["rating"] <= 80
    assert kinds["text"] >= 6  # a reflection per dimension
    assert kinds["choice"] and kinds["multichoice"] and kinds["number"]


def test_samples_cover_two_cohorts_and_two_rounds_per_program(sample_set):
    assert len(sample_set) >= 16
    by_program = Counter(s.program.id for s in sample_set)
    assert len(by_program) == 8 and set(by_program.values()) == {2}
    assert {s.program.round for s in sample_set} == {"baseline", "follow-up"}
    assert len({s.program.cohort for s in sample_set}) == 2


def test_samples_are_valid_and_realistic(default_rubric, sample_set):
    rated = [i.id for i in default_rubric.items() if i.is_rating]
    na = unanswered = with_evidence = 0
    for study in sample_set:
        assert check_study(study, default_rubric) == []
        na += sum(is_na(study.value(i)) for i in rated)
        unanswered += sum(i not in study.answers for i in rated)
        with_evidence += sum(bool(a.evidence) for a in study.answers.values())
    assert na > 0 and unanswered > 0 and with_evidence > len(sample_set) * 20


def test_follow_up_improves_on_average(default_rubric):
    from selfstudy.core.scoring import score

    studies = sample_studies(default_rubric)
    rounds = {(s.program.id, s.program.round): score(default_rubric, s) for s in studies}
    deltas = [
        rounds[(p, "follow-up")].overall.mean_level - rounds[(p, "baseline")].overall.mean_level
        for p, r in rounds
        if r == "baseline"
    ]
    assert sum(deltas) / len(deltas) > 0
