"""Run-chart rules: what a team checking its chart by hand would count.

Hand-made series for each rule at and around its threshold, and properties
that must hold for any series: a flat line never signals; turning a rising
series round turns its trend down; moving or stretching a series (a change of
unit) leaves its signals where they were.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.runchart import Point, analyse

START = date(2026, 3, 12)


def series(values, start: date = START) -> list[Point]:
    """One point a week from `start`."""
    return [Point(start + timedelta(weeks=i), float(v)) for i, v in enumerate(values)]


def found(chart) -> list[tuple[str, str, int, int]]:
    return [(s.rule, s.direction, s.first, s.last) for s in chart.signals]


def test_the_median_is_of_all_points_and_points_come_in_date_order():
    points = series([4, 9, 1, 7])
    chart = analyse(reversed(points))
    assert [p.value for p in chart.points] == [4, 9, 1, 7]
    assert chart.median == 5.5
    assert chart.baseline == 4


def test_points_on_the_same_date_keep_the_order_given():
    day = date(2026, 4, 1)
    chart = analyse([Point(day, 3.0, "first"), Point(day, 1.0, "second")])
    assert [p.note for p in chart.points] == ["first", "second"]


def test_a_frozen_baseline_takes_the_median_of_the_first_points_only():
    chart = analyse(series([3, 1, 2, 10, 12, 11, 13, 15, 14]), median_of_first=3)
    assert chart.median == 2
    assert chart.baseline == 3
    # all six points after the baseline are above it: a shift, judged against how things were
    assert ("shift", "up", 3, 8) in found(chart)


def test_a_baseline_longer_than_the_series_so_far_uses_every_point():
    chart = analyse(series([1, 2, 3]), median_of_first=12)
    assert chart.median == 2
    assert chart.baseline == 3


def test_a_baseline_of_no_points_is_refused():
    with pytest.raises(ValueError, match="at least one point"):
        analyse(series([1, 2, 3]), median_of_first=0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_value_that_is_not_a_finite_number_is_refused_with_its_date(bad):
    with pytest.raises(ValueError, match="19 Mar 2026"):
        analyse(series([1, bad, 3]))


def test_six_points_above_the_median_are_a_shift_and_five_are_not():
    # median 5 (of 13 values); the six 9s above it, then five 1s below it
    chart = analyse(series([9, 9, 9, 9, 9, 9, 5, 5, 1, 1, 1, 1, 1]))
    assert chart.median == 5
    shifts = [s for s in chart.signals if s.rule == "shift"]
    assert [(s.direction, s.first, s.last, s.count) for s in shifts] == [("up", 0, 5, 6)]
    assert (
        shifts[0].words == "Shift: 6 points in a row above the median (12 Mar 2026 – 16 Apr 2026)"
    )


def test_points_on_the_median_neither_break_a_shift_nor_count_towards_it():
    # median 5: four below, one on it, two more below: six counted below, one run
    values = [1, 2, 1, 2, 5, 1, 2, 8, 9, 8, 9, 8, 9, 5]
    chart = analyse(series(values))
    assert chart.median == 5
    below = [s for s in chart.signals if s.rule == "shift" and s.direction == "down"]
    assert len(below) == 1
    assert (below[0].first, below[0].last, below[0].count) == (0, 6, 6)
    assert 4 not in below[0].points
    assert "shift" not in chart.rules_at(4)
    assert "shift" in chart.rules_at(3) and "shift" in chart.rules_at(5)


def test_five_points_off_the_median_with_one_on_it_are_no_shift():
    # median 5 (five 1s, two 5s, five 9s): five below with one on the median among them,
    # then five above with one on the median among them
    chart = analyse(series([1, 1, 5, 1, 1, 1, 9, 5, 9, 9, 9, 9]))
    assert chart.median == 5
    assert chart.signals == ()


def test_a_run_of_seven_is_one_signal_over_the_whole_run():
    chart = analyse(series([1, 1, 1, 1, 1, 1, 1, 5, 9, 9, 9, 9, 9, 9, 9]))
    assert chart.median == 5
    shifts = [s for s in chart.signals if s.rule == "shift"]
    assert [(s.direction, s.first, s.last, s.count) for s in shifts] == [
        ("down", 0, 6, 7),
        ("up", 8, 14, 7),
    ]
    assert shifts[0].words.startswith("Shift: 7 points in a row below the median (12 Mar 2026 –")


def test_five_points_going_up_are_a_trend_and_four_are_not():
    rising_five = analyse(series([5, 1, 2, 3, 4, 5, 2]))
    assert next(s for s in rising_five.signals if s.rule == "trend").words == (
        "Trend: 5 points in a row going up (19 Mar 2026 – 16 Apr 2026)"
    )
    assert ("trend", "up", 1, 5) in found(rising_five)
    rising_four = analyse(series([5, 1, 2, 3, 4, 2, 3]))
    assert not [s for s in rising_four.signals if s.rule == "trend"]


def test_a_repeated_value_neither_adds_to_a_trend_nor_breaks_it():
    # 1 2 2 3 4: four points counted, a tie in between: no trend
    assert not [s for s in analyse(series([1, 2, 2, 3, 4, 1])).signals if s.rule == "trend"]
    # 1 2 2 3 4 5: five counted, the tie inside: one trend from the 1 to the 5
    chart = analyse(series([1, 2, 2, 3, 4, 5, 3]))
    trends = [s for s in chart.signals if s.rule == "trend"]
    assert [(s.direction, s.first, s.last, s.count) for s in trends] == [("up", 0, 5, 5)]
    assert "trend" in chart.rules_at(2)


def test_a_trend_starts_at_the_last_of_a_repeated_opening_value():
    chart = analyse(series([3, 3, 3, 4, 5, 6, 7, 7]))
    trends = [s for s in chart.signals if s.rule == "trend"]
    assert [(s.first, s.last, s.count) for s in trends] == [(2, 6, 5)]
    assert chart.rules_at(0) == frozenset() and chart.rules_at(7) == frozenset()


def test_a_falling_series_is_a_trend_down():
    chart = analyse(series([9, 8, 7, 6, 5]))
    assert [(s.rule, s.direction) for s in chart.signals] == [("trend", "down")]
    assert chart.signals[0].words.startswith("Trend: 5 points in a row going down")


def test_a_point_far_from_the_rest_is_astronomical():
    # median 11, moving ranges mostly 1 or 2 (median 2): limit 6.28 from the median
    values = [10, 12, 11, 10, 12, 30, 11, 10, 12, 11]
    chart = analyse(series(values))
    astronomical = [s for s in chart.signals if s.rule == "astronomical"]
    assert [(s.first, s.last, s.direction) for s in astronomical] == [(5, 5, "up")]
    assert chart.rules_at(5) == frozenset({"astronomical"})
    assert astronomical[0].words == (
        "Astronomical point: 16 Apr 2026 is far above the median "
        "(more than 3.14 median moving ranges away)"
    )


def test_the_ends_of_a_steady_climb_are_a_trend_not_astronomical_points():
    # 1..10: the median is 5.5 and every moving range 1, so 1, 2, 9 and 10 lie past the
    # limits; but none jumps from its neighbour, so only the trend is told
    chart = analyse(series(range(1, 11)))
    assert [(s.rule, s.first, s.last) for s in chart.signals] == [("trend", 0, 9)]
    # the last point of the same climb leaping far ahead is one
    leap = analyse(series([*range(1, 10), 40]))
    assert [(s.rule, s.first) for s in leap.signals if s.rule == "astronomical"] == [
        ("astronomical", 9)
    ]


def test_an_ordinary_wobble_has_no_astronomical_point():
    chart = analyse(series([10, 12, 11, 10, 12, 15, 11, 10, 12, 11]))
    assert chart.signals == ()
    assert chart.why_unchecked("astronomical") == ""
    assert chart.why_no_rule == ""


def test_the_astronomical_rule_waits_for_five_points_and_for_points_that_vary():
    short = analyse(series([1, 1, 100, 1]))
    assert "at least 5 points" in short.why_unchecked("astronomical")
    flat = analyse(series([5, 5, 5, 5, 5, 5, 100, 5]))
    assert not [s for s in flat.signals if s.rule == "astronomical"]
    assert "vary" in flat.why_unchecked("astronomical")


def test_a_short_series_gives_no_signal_and_says_why():
    chart = analyse(series([1, 2, 3]))
    assert chart.signals == ()
    assert "A shift needs at least 6 points off the median; there are 2." in chart.why_no_rule
    assert "A trend needs at least 5 points" in chart.why_no_rule
    assert "An astronomical point needs at least 5 points" in chart.why_no_rule


def test_an_empty_series_has_no_median_and_says_there_are_no_points():
    chart = analyse([])
    assert chart.points == () and chart.median is None and chart.signals == ()
    assert chart.why_no_rule == "There are no points yet."


# --- properties -------------------------------------------------------------------

values_lists = st.lists(st.integers(-1000, 1000), min_size=0, max_size=30)


def _shape(chart) -> list[tuple[str, str, tuple[int, ...]]]:
    return [(s.rule, s.direction, s.points) for s in chart.signals]


@settings(max_examples=80, deadline=None)
@given(value=st.integers(-1000, 1000), count=st.integers(0, 40))
def test_a_constant_series_never_signals(value, count):
    chart = analyse(series([value] * count))
    assert chart.signals == ()
    assert chart.why_no_rule


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=5, max_size=30, unique=True))
def test_reversing_a_rising_series_turns_its_trend_down(values):
    rising = sorted(values)
    up = analyse(series(rising))
    down = analyse(series(list(reversed(rising))))
    assert [(s.rule, s.direction) for s in up.signals if s.rule == "trend"] == [("trend", "up")]
    assert [(s.rule, s.direction) for s in down.signals if s.rule == "trend"] == [("trend", "down")]
    # every signal mirrors in time; only a trend changes direction (a point keeps its side)
    mirrored = {(s.rule, s.direction, s.first, s.last) for s in up.signals}
    flipped = {
        (
            s.rule,
            {"up": "down", "down": "up"}[s.direction] if s.rule == "trend" else s.direction,
            len(values) - 1 - s.last,
            len(values) - 1 - s.first,
        )
        for s in down.signals
    }
    assert mirrored == flipped


@settings(max_examples=150, deadline=None)
@given(
    values=values_lists, shift=st.integers(-10_000, 10_000), baseline=st.none() | st.integers(1, 30)
)
def test_adding_a_constant_leaves_the_signals_unchanged(values, shift, baseline):
    before = analyse(series(values), baseline)
    after = analyse(series([v + shift for v in values]), baseline)
    assert _shape(after) == _shape(before)
    if before.median is not None:
        assert after.median == before.median + shift


@settings(max_examples=150, deadline=None)
@given(values=values_lists, factor=st.integers(1, 1000), baseline=st.none() | st.integers(1, 30))
def test_scaling_by_a_positive_factor_leaves_the_signals_unchanged(values, factor, baseline):
    before = analyse(series(values), baseline)
    after = analyse(series([v * factor for v in values]), baseline)
    assert _shape(after) == _shape(before)
    assert [s.words for s in after.signals] == [s.words for s in before.signals]
