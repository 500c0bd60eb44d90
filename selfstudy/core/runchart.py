"""Run-chart rules: has a measure of an improvement plan changed, or is it just noise?

A team testing change ideas plots a measure over time against its median. The
rules below, as the Institute for Healthcare Improvement teaches them (Provost
& Murray, *The Health Care Data Guide*; Perla, Provost & Murray 2011, "The run
chart"), each pick out a pattern unlikely to come by chance (about a 5 % chance
or less), so a team can tell a real change from week-to-week wobble without
statistics of its own:

- **Shift**: six or more consecutive points all above, or all below, the
  median. A point exactly on the median neither breaks a run nor counts towards it.
- **Trend**: five or more consecutive points all going up, or all going down.
  When successive points have the same value only one counts: a tie neither
  adds to a trend nor breaks it. (The issue asked for "five or more consecutive
  increases or decreases"; that would be six points. We follow the standard
  rule of five points, which is what the published tables of chance rest on.)
- **Astronomical point**: a point obviously different from the rest. "Obvious"
  is made deterministic here with Wheeler's median-moving-range limits: a point
  further from the median than 3.14 × the median moving range (the moving
  ranges being the differences between consecutive points in time order), that
  also stands that far from the points next to it: a jump, not the far end of a
  steady climb (on a straight rise from 1 to 10 the ends are past the limits,
  yet nothing about them is unusual: the trend rule tells that story). It
  is checked only with at least 5 points behind the median and a median moving
  range above 0, for with fewer points, or with mostly repeated values, every
  point would look far away.

The median is of all the points, or, with `median_of_first`, of the first
points only: a baseline frozen before the changes began, so that later points
are judged against how things were, not against a median they drag along. The
moving ranges of the astronomical rule come from the same points as the median.

A run longer than the minimum is one signal over the whole run. Each rule that
cannot fire on a series (too few points, a constant series) says why in
`RunChart.unchecked`, so a page can tell "no signal" from "too soon to tell".

Pure: points go in, a `RunChart` comes out; nothing is drawn here (see
`selfstudy.edges.reports.run_charts`).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

Rule = Literal["shift", "trend", "astronomical"]
Direction = Literal["up", "down"]

RULES: tuple[Rule, ...] = ("shift", "trend", "astronomical")
RULE_NAMES: dict[Rule, str] = {
    "shift": "Shift",
    "trend": "Trend",
    "astronomical": "Astronomical point",
}
SHIFT_POINTS = 6
TREND_POINTS = 5
ASTRONOMICAL_POINTS = 5
# 3.14 as the exact ratio 157/50: comparing 50 × distance with 157 × range keeps
# the rule exact for whole numbers, so scaling or moving a series never flips it.
_LIMIT_TIMES, _LIMIT_OVER = 157, 50
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(on: datetime.date) -> str:
    """`12 Mar 2026`, the same in every locale."""
    return f"{on.day} {_MONTHS[on.month - 1]} {on.year}"


@dataclass(frozen=True)
class Point:
    """One measurement of a measure: its date, its value, and what the team noted."""

    on: datetime.date
    value: float
    note: str = ""


@dataclass(frozen=True)
class Signal:
    """One place where a rule fired.

    `first` and `last` are indices into `RunChart.points` (both inclusive);
    `points` are the indices the rule counted, which leaves out points on the
    median inside a shift (they neither count nor break it). Within a trend,
    points repeating the value before them are counted once but stay part of it.
    """

    rule: Rule
    first: int
    last: int
    direction: Direction
    points: tuple[int, ...]
    count: int  # how many points the rule counted (a repeated value in a trend once)
    first_on: datetime.date
    last_on: datetime.date

    @property
    def words(self) -> str:
        """The signal as a sentence a team reads, e.g.
        `Shift: 7 points in a row above the median (12 Mar 2026 – 30 Apr 2026)`."""
        span = f"({date_text(self.first_on)} – {date_text(self.last_on)})"
        if self.rule == "shift":
            side = "above" if self.direction == "up" else "below"
            return f"Shift: {self.count} points in a row {side} the median {span}"
        if self.rule == "trend":
            way = "going up" if self.direction == "up" else "going down"
            return f"Trend: {self.count} points in a row {way} {span}"
        side = "above" if self.direction == "up" else "below"
        return (
            f"Astronomical point: {date_text(self.first_on)} is far {side} the median "
            "(more than 3.14 median moving ranges away)"
        )


@dataclass(frozen=True)
class RunChart:
    """A measure's points in time order, their median and the rules that fired."""

    points: tuple[Point, ...]
    median: float | None
    signals: tuple[Signal, ...]
    baseline: int  # how many of the first points the median is of (all of them unless frozen)
    unchecked: tuple[tuple[Rule, str], ...]  # each rule that could not fire, and why

    def rules_at(self, index: int) -> frozenset[str]:
        """The rules the point at `index` is part of (counted by)."""
        return frozenset(s.rule for s in self.signals if index in s.points)

    def why_unchecked(self, rule: Rule) -> str:
        """Why `rule` could not fire on this series, or "" when it was checked."""
        return next((words for r, words in self.unchecked if r == rule), "")

    @property
    def why_no_rule(self) -> str:
        """Words for when no rule could be checked at all (too few points), else ""."""
        if len(self.unchecked) < len(RULES):
            return ""
        return " ".join(dict.fromkeys(words for _, words in self.unchecked))


def analyse(points: Iterable[Point], median_of_first: int | None = None) -> RunChart:
    """The run chart of `points`: sorted by date (ties keep the order given), the
    median (of the first `median_of_first` points when given, as a frozen baseline;
    of all when fewer exist yet), and every shift, trend and astronomical point.

    Raises ValueError for a value that is not a finite number, or a baseline of
    fewer than one point.
    """
    ordered = tuple(sorted(points, key=lambda p: p.on))
    for point in ordered:
        if isinstance(point.value, bool) or not math.isfinite(point.value):
            raise ValueError(f"the value on {date_text(point.on)} is not a finite number")
    if median_of_first is not None and median_of_first < 1:
        raise ValueError("a frozen baseline needs at least one point")
    baseline = len(ordered) if median_of_first is None else min(median_of_first, len(ordered))
    if not ordered:
        return RunChart((), None, (), 0, tuple((r, _NO_POINTS) for r in RULES))
    values = [p.value for p in ordered]
    median = _median(values[:baseline])
    unchecked: list[tuple[Rule, str]] = []
    signals: list[Signal] = []
    for rule, found in (
        ("shift", _shifts(values, median)),
        ("trend", _trends(values)),
        ("astronomical", _astronomical(values, median, baseline)),
    ):
        if isinstance(found, str):
            unchecked.append((rule, found))
            continue
        for direction, counted, count in found:
            signals.append(
                Signal(
                    rule=rule,
                    first=counted[0],
                    last=counted[-1],
                    direction=direction,
                    points=counted,
                    count=count,
                    first_on=ordered[counted[0]].on,
                    last_on=ordered[counted[-1]].on,
                )
            )
    signals.sort(key=lambda s: (s.first, RULES.index(s.rule)))
    return RunChart(ordered, median, tuple(signals), baseline, tuple(unchecked))


_NO_POINTS = "There are no points yet."
_Found = list[tuple[Direction, tuple[int, ...], int]]


def _shifts(values: list[float], median: float) -> _Found | str:
    """Runs of at least six points on one side of the median, skipping points on it."""
    off = [(i, "up" if v > median else "down") for i, v in enumerate(values) if v != median]
    if len(off) < SHIFT_POINTS:
        return (
            f"A shift needs at least {SHIFT_POINTS} points off the median; there {_are(len(off))}."
        )
    found: _Found = []
    start = 0
    for end in range(1, len(off) + 1):
        if end == len(off) or off[end][1] != off[start][1]:
            if end - start >= SHIFT_POINTS:
                run = tuple(i for i, _ in off[start:end])
                found.append((off[start][1], run, len(run)))
            start = end
    return found


def _trends(values: list[float]) -> _Found | str:
    """Runs of at least five points each higher (or each lower) than the one before,
    a value repeating the one before it counting once."""
    groups: list[tuple[int, int]] = []  # first and last index of each stretch of one value
    for i, value in enumerate(values):
        if groups and values[groups[-1][0]] == value:
            groups[-1] = (groups[-1][0], i)
        else:
            groups.append((i, i))
    if len(groups) < TREND_POINTS:
        return (
            f"A trend needs at least {TREND_POINTS} points, a repeated value counting once; "
            f"there {_are(len(groups))}."
        )
    steps = ["up" if values[b[0]] > values[a[0]] else "down" for a, b in pairwise(groups)]
    found: _Found = []
    start = 0  # index into steps
    for end in range(1, len(steps) + 1):
        if end == len(steps) or steps[end] != steps[start]:
            count = end - start + 1  # points: one more than the steps between them
            if count >= TREND_POINTS:
                first = groups[start][1]  # the last of a repeated opening value
                last = groups[end][0]  # the first of a repeated closing value
                found.append((steps[start], tuple(range(first, last + 1)), count))
            start = end
    return found


def _astronomical(values: list[float], median: float, baseline: int) -> _Found | str:
    """Points further from the median than 3.14 median moving ranges of the baseline, and as
    far from the points next to it."""
    if baseline < ASTRONOMICAL_POINTS:
        return (
            f"An astronomical point needs at least {ASTRONOMICAL_POINTS} points behind the "
            f"median; there {_are(baseline)}."
        )
    ranges = [abs(b - a) for a, b in pairwise(values[:baseline])]
    spread = _median(ranges)
    if spread <= 0:
        return (
            "An astronomical point needs the points to vary: most follow a point of the same value."
        )

    def beyond(distance: float) -> bool:
        return _LIMIT_OVER * distance > _LIMIT_TIMES * spread

    return [
        ("up" if v > median else "down", (i,), 1)
        for i, v in enumerate(values)
        if beyond(abs(v - median))
        and all(beyond(abs(v - values[j])) for j in (i - 1, i + 1) if 0 <= j < len(values))
    ]


def _median(values: list[float]) -> float:
    """The median, as `statistics.median` gives it, but halving before adding: the mean of
    two points near the largest float is a number, not infinity."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return ordered[middle - 1] / 2 + ordered[middle] / 2


def _are(count: int) -> str:
    return "is 1" if count == 1 else f"are {count}"
