"""Finding a program's earlier round and what changed since then."""

from __future__ import annotations

import pytest

from selfstudy.core.rounds import changes, compare_rounds, previous_round, round_key, round_label
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy


def _study(rubric, name="Bridge", program_id=None, round=None, completed_on=None, **answers):
    extra = {"completed_on": completed_on} if completed_on else {}
    study = SelfStudy.new(rubric, name, id=program_id, round=round, **extra)
    study.answers = {item: Answer(value=value) for item, value in answers.items()}
    return study


def test_follow_up_finds_its_baseline_among_all_sample_studies(sample_set):
    for follow_up in (s for s in sample_set if s.program.round == "follow-up"):
        baseline = previous_round(follow_up, sample_set)
        assert baseline is not None
        assert baseline.program.id == follow_up.program.id
        assert baseline.program.round == "baseline"


def test_a_baseline_has_no_previous_round(sample_set):
    baselines = [s for s in sample_set if s.program.round == "baseline"]
    assert baselines
    assert all(previous_round(s, sample_set) is None for s in baselines)


def test_completion_dates_decide_the_order_before_round_names(default_rubric):
    later_named_baseline = _study(default_rubric, "X", "x", "baseline", "2026-01-10")
    earlier_named_follow_up = _study(default_rubric, "X", "x", "follow-up", "2025-01-10")
    assert (
        previous_round(later_named_baseline, [earlier_named_follow_up]) is earlier_named_follow_up
    )


def test_known_round_names_order_baseline_midpoint_follow_up(default_rubric):
    rounds = {r: _study(default_rubric, "X", "x", r) for r in ("Follow-up", "baseline", "Midpoint")}
    assert previous_round(rounds["Follow-up"], list(rounds.values())) is rounds["Midpoint"]
    assert previous_round(rounds["Midpoint"], list(rounds.values())) is rounds["baseline"]
    assert previous_round(rounds["baseline"], list(rounds.values())) is None


def test_other_round_names_order_naturally(default_rubric):
    round_2, round_10 = (_study(default_rubric, "X", "x", r) for r in ("Round 2", "Round 10"))
    assert compare_rounds(round_2, round_10) == -1
    assert previous_round(round_10, [round_2]) is round_2


def test_round_names_order_by_stage_then_naturally_with_other_names_last():
    names = ["Round 2", "post-test", "Mid-year", "pre-test", "Follow-up 2025", "First round"]
    assert sorted(names, key=round_key) == [
        "First round",
        "pre-test",
        "Mid-year",
        "Follow-up 2025",
        "post-test",
        "Round 2",
    ]


def test_rounds_that_cannot_be_ordered_are_not_previous(default_rubric):
    a, b = _study(default_rubric, "X", "x"), _study(default_rubric, "X", "x")
    assert compare_rounds(a, b) == 0
    assert previous_round(a, [b]) is None


def test_other_programs_are_never_a_previous_round(default_rubric):
    mine = _study(default_rubric, "Bridge", "p01", "follow-up")
    other_id = _study(default_rubric, "Bridge", "p02", "baseline")
    assert previous_round(mine, [other_id]) is None
    unnamed = _study(default_rubric, "  bridge ", None, "follow-up")
    same_name = _study(default_rubric, "Bridge", None, "baseline")
    other_name = _study(default_rubric, "Bridges", None, "baseline")
    assert previous_round(unnamed, [other_name, same_name]) is same_name


def test_changes_give_levels_delta_and_statuses_overall_dimensions_and_standards(
    default_rubric, sample_set
):
    baseline, follow_up = sample_set[0], sample_set[1]
    before, after = score(default_rubric, baseline), score(default_rubric, follow_up)
    found = changes(before, after)
    assert [c.kind for c in found].count("dimension") == len(default_rubric.dimensions)
    assert [c.id for c in found if c.kind == "standard"] == [
        s.id for s in default_rubric.standards()
    ]
    overall = found[0]
    assert overall.kind == "overall"
    assert overall.delta == pytest.approx(after.overall.mean_level - before.overall.mean_level)
    for change in found[1:]:
        old = (
            before.dimension(change.id)
            if change.kind == "dimension"
            else before.standard(change.id)
        )
        new = (
            after.dimension(change.id) if change.kind == "dimension" else after.standard(change.id)
        )
        assert change.before_level == old.score.mean_level
        assert change.after_level == new.score.mean_level
        assert (change.before_status, change.after_status) == (old.score.status, new.score.status)


def test_a_standard_rated_only_in_the_later_round_is_newly_rated(default_rubric):
    before = score(default_rubric, _study(default_rubric, **{"PG.1.a": 2}))
    after = score(default_rubric, _study(default_rubric, **{"PG.1.a": 3, "PG.2.a": 4}))
    by_id = {c.id: c for c in changes(before, after)}
    assert by_id["PG.1"].delta == 1 and by_id["PG.1"].direction == "up"
    assert by_id["PG.2"].delta is None and by_id["PG.2"].direction == "newly rated"
    assert by_id["PG.2"].before_status == "not_rated"
    assert by_id["PG.2"].to_dict()["after_level"] == 4


def test_round_label_names_the_round_and_date(sample_set):
    assert round_label(sample_set[0]) == "baseline, 2025-03-15"
