"""Properties every score must have, whatever the answers."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.rubric import NA, Rubric
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer
from selfstudy.edges.rubric_files import load_rubric

from .conftest import DATA_DIR, DEFAULT_RUBRIC_PATH

TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")  # a NUL: refused

RUBRICS = [
    load_rubric(DEFAULT_RUBRIC_PATH),
    load_rubric(DATA_DIR / "rubrics" / "odd-scale.yaml"),
    load_rubric(DATA_DIR / "rubrics" / "yes-no.yaml"),
]


@st.composite
def rubric_and_answers(draw) -> tuple[Rubric, dict[str, Answer]]:
    rubric = draw(st.sampled_from(RUBRICS))
    answers: dict[str, Answer] = {}
    for item in rubric.items():
        if not draw(st.booleans()):
            continue  # unanswered
        if item.is_rating:
            choices = [*rubric.scale.values, *([NA] if rubric.scale.allow_na else [])]
            value = draw(st.sampled_from(choices))
        elif item.type == "choice":
            value = draw(st.sampled_from(item.options))
        elif item.type == "multichoice":
            value = draw(st.lists(st.sampled_from(item.options), min_size=1, unique=True))
        elif item.type == "number":
            value = draw(st.integers(0, 500))
        else:
            value = draw(st.text(TEXT, min_size=1, max_size=20))
        answers[item.id] = Answer(value=value)
    return rubric, answers


def every_score(result):
    yield result.overall
    for dimension in result.dimensions:
        yield dimension.score
        for standard in dimension.standards:
            yield standard.score


@settings(max_examples=150, deadline=None)
@given(rubric_and_answers())
def test_every_mean_level_lies_within_the_scale(case):
    rubric, answers = case
    for s in every_score(score(rubric, answers)):
        if s.mean_level is not None:
            assert rubric.scale.lowest - 1e-9 <= s.mean_level <= rubric.scale.highest + 1e-9
            assert -1e-9 <= s.percent <= 100 + 1e-9


@settings(max_examples=150, deadline=None)
@given(rubric_and_answers(), st.randoms(use_true_random=False))
def test_the_order_of_answers_does_not_change_the_score(case, rnd: random.Random):
    rubric, answers = case
    shuffled = list(answers.items())
    rnd.shuffle(shuffled)
    assert score(rubric, dict(shuffled)) == score(rubric, answers)


@settings(max_examples=150, deadline=None)
@given(rubric_and_answers())
def test_status_agrees_with_gap_and_rating(case):
    rubric, answers = case
    for s in every_score(score(rubric, answers)):
        if s.mean_level is None:
            assert s.status == "not_rated"
        else:
            assert (s.status == "meets") == (s.gap <= 0)


@settings(max_examples=150, deadline=None)
@given(rubric_and_answers())
def test_priorities_are_exactly_the_rated_standards_below_target_largest_gap_first(case):
    rubric, answers = case
    result = score(rubric, answers)
    below = {s.id for s in result.standards if s.score.status in ("approaching", "not_yet")}
    assert set(result.priorities) == below
    gaps = [result.standard(i).score.gap for i in result.priorities]
    assert gaps == sorted(gaps, reverse=True)


@settings(max_examples=100, deadline=None)
@given(rubric_and_answers())
def test_na_leaves_means_unchanged_and_raises_completeness(case):
    rubric, answers = case
    if not rubric.scale.allow_na:
        return
    unanswered = [i for i in rubric.items() if i.is_rating and i.id not in answers]
    if not unanswered:
        return
    before = score(rubric, answers)
    after = score(rubric, {**answers, unanswered[0].id: Answer(value=NA)})
    assert [s.mean_level for s in every_score(after)] == [s.mean_level for s in every_score(before)]
    assert after.completeness >= before.completeness
