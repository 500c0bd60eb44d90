"""The run chart of a plan's measure, as an altair specification.

Pure: a `RunChart` (the rules already applied in `selfstudy.core.runchart`)
goes in, a chart comes out. It shows the points over time joined by a line,
the median as a dashed rule with its value written beside it, each cycle's
start as a vertical rule with its label, and the points a rule counted in
their own colour and shape, the legend naming the rule, so a signal reads the
same in greyscale and under colour blindness (the colours are Okabe-Ito, but
not its blue, orange and vermillion: those say a status on the other charts).

Every tooltip gives the date, the value, the team's note and the rules, and
every text a person typed (title, unit, note, cycle label) goes through
`chart_text`. A chart with no points is still a chart: it says there is nothing
to draw yet, so a page can show a new measure's chart without a special case.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import altair as alt

from selfstudy.core.runchart import RULE_NAMES, RULES, RunChart, date_text
from selfstudy.core.wording import NONE
from selfstudy.edges.reports.charts import chart_text

WIDTH = 560  # wider than the bar charts' 380: a year of weekly points needs the room
HEIGHT = 260
LINE_COLOUR = "#888888"
POINT_COLOUR = "#444444"
MEDIAN_COLOUR = "#222222"
CYCLE_COLOUR = "#5F6B7A"  # slate, as the cohort charts' neutral
NO_RULE = "No rule"
# What a point is part of, in words, with its colour and shape: every combination
# of rules a point can be counted by has its own, so nothing is hidden by another.
KINDS: dict[frozenset[str], tuple[str, str, str]] = {
    frozenset(): (NO_RULE, POINT_COLOUR, "circle"),
    frozenset({"shift"}): ("Shift", "#009E73", "square"),  # bluish green
    frozenset({"trend"}): ("Trend", "#CC79A7", "triangle-up"),  # reddish purple
    frozenset({"astronomical"}): ("Astronomical point", "#000000", "diamond"),
    frozenset({"shift", "trend"}): ("Shift and trend", "#56B4E9", "cross"),  # sky blue
    frozenset({"shift", "astronomical"}): (
        "Shift and astronomical point",
        "#009E73",
        "triangle-down",
    ),
    frozenset({"trend", "astronomical"}): (
        "Trend and astronomical point",
        "#CC79A7",
        "triangle-down",
    ),
    frozenset(RULES): ("Shift, trend and astronomical point", "#56B4E9", "triangle-down"),
}
_KIND_ORDER = [words for words, _, _ in KINDS.values()]


def run_chart(
    chart: RunChart,
    title: str,
    cycle_starts: Sequence[tuple[datetime.date, str]] = (),
    unit: str = "",
) -> alt.LayerChart:
    """The run chart of `chart`, titled `title`, each of `cycle_starts` (a date and a
    label such as "Cycle 2 begins") a vertical rule, the y axis in `unit`."""
    heading = chart_text(title)
    unit_text = chart_text(unit)
    if not chart.points:
        return _nothing_yet(heading, chart.why_no_rule)
    rows = _rows(chart)
    kinds = [k for k in _KIND_ORDER if any(r["kind"] == k for r in rows)]
    colours = {words: colour for words, colour, _ in KINDS.values()}
    shapes = {words: shape for words, _, shape in KINDS.values()}
    x = alt.X(
        "on:T",
        title=None,
        scale=alt.Scale(type="utc", padding=12),
        axis=alt.Axis(
            labelExpr="utcFormat(datum.value, '%-d %b %Y')",
            labelAngle=0,
            labelOverlap="greedy",
            labelSeparation=8,
            grid=False,
        ),
    )
    y = alt.Y(
        "value:Q",
        title=unit_text or "Value",
        scale=alt.Scale(zero=False, padding=12),
        axis=alt.Axis(grid=True, gridDash=[2, 3]),
    )
    tooltip = [
        alt.Tooltip("date:N", title="Date"),
        alt.Tooltip("value_text:N", title="Value"),
        alt.Tooltip("note:N", title="Note"),
        alt.Tooltip("rules:N", title="Rules"),
    ]
    line = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(color=LINE_COLOUR, strokeWidth=1.5)
        .encode(x=x, y=y, order=alt.Order("index:Q"))
    )
    points = (
        alt.Chart(alt.Data(values=rows))
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=[colours[k] for k in kinds]),
                legend=alt.Legend(title="Run-chart rule", orient="bottom"),
            ),
            shape=alt.Shape(
                "kind:N", scale=alt.Scale(domain=kinds, range=[shapes[k] for k in kinds])
            ),
            tooltip=tooltip,
        )
    )
    median = chart.median if chart.median is not None else 0.0  # a chart with points has one
    layers: list[alt.Chart] = [line, points, *_median(chart, median, y, unit_text)]
    layers.extend(_cycles(cycle_starts))
    return alt.layer(
        *layers,
        title=alt.Title(
            heading,
            subtitle=_subtitle(chart, bool(cycle_starts)),
            anchor="start",
            subtitleColor="#555555",
        ),
        width=WIDTH,
        height=HEIGHT,
        view=alt.ViewBackground(stroke=None),
    ).resolve_scale(color="shared", shape="shared")


def _rows(chart: RunChart) -> list[dict[str, Any]]:
    rows = []
    for index, point in enumerate(chart.points):
        rules = chart.rules_at(index)
        rows.append(
            {
                "index": index,
                "on": point.on.isoformat(),
                "date": date_text(point.on),
                "value": point.value,
                "value_text": _number(point.value),
                "note": chart_text(point.note) or NONE,
                "rules": ", ".join(RULE_NAMES[r] for r in RULES if r in rules) or "None",
                "kind": KINDS[frozenset(rules)][0],
            }
        )
    return rows


def _median(chart: RunChart, median: float, y: alt.Y, unit: str) -> list[alt.Chart]:
    """The median as a dashed rule across the chart, its value written at the right end."""
    words = f"Median {_number(median)}" + (f" {unit}" if unit else "")
    if chart.baseline < len(chart.points):
        words += f" (of the first {chart.baseline} points)"
    data = alt.Data(values=[{"value": median, "label": chart_text(words)}])
    rule = (
        alt.Chart(data)
        .mark_rule(color=MEDIAN_COLOUR, strokeDash=[6, 4], strokeWidth=1.5)
        .encode(y=y, tooltip=[alt.Tooltip("label:N", title="Median")])
    )
    label = (
        alt.Chart(data)
        .mark_text(align="right", baseline="bottom", dy=-3, fontSize=11, color=MEDIAN_COLOUR)
        .encode(y=y, x=alt.value(WIDTH), text=alt.Text("label:N"))
    )
    return [rule, label]


def _cycles(cycle_starts: Sequence[tuple[datetime.date, str]]) -> list[alt.Chart]:
    """Each cycle's start as a vertical rule, its label at the top."""
    if not cycle_starts:
        return []
    rows = [
        {"on": on.isoformat(), "date": date_text(on), "label": chart_text(label)}
        for on, label in cycle_starts
    ]
    x = alt.X("on:T", scale=alt.Scale(type="utc"))
    tooltip = [alt.Tooltip("label:N", title="Cycle"), alt.Tooltip("date:N", title="Date")]
    rules = (
        alt.Chart(alt.Data(values=rows))
        .mark_rule(color=CYCLE_COLOUR, strokeWidth=1.5, strokeDash=[2, 2])
        .encode(x=x, tooltip=tooltip)
    )
    labels = (
        alt.Chart(alt.Data(values=rows))
        .mark_text(align="left", baseline="top", dx=4, dy=2, fontSize=11, color=CYCLE_COLOUR)
        .encode(x=x, y=alt.value(0), text=alt.Text("label:N"), tooltip=tooltip)
    )
    return [rules, labels]


def _subtitle(chart: RunChart, with_cycles: bool) -> str:
    parts = ["Dashed line: median"]
    if with_cycles:
        parts.append("dotted lines: cycle starts")
    if chart.signals:
        parts.append("coloured points: a run-chart rule fired")
    elif chart.why_no_rule:
        parts.append("too few points for any rule yet")
    else:
        parts.append("no rule fired")
    return " · ".join(parts)


def _nothing_yet(heading: str, why: str) -> alt.LayerChart:
    """A chart of the same size saying there are no points yet."""
    words = chart_text(why or "There are no points yet.")
    return alt.layer(
        alt.Chart(alt.Data(values=[{"words": words}]))
        .mark_text(fontSize=13, color="#555555")
        .encode(text=alt.Text("words:N")),
        title=alt.Title(heading, anchor="start"),
        width=WIDTH,
        height=HEIGHT,
        view=alt.ViewBackground(stroke=None),
    )


def _number(value: float) -> str:
    """A value as people write it: `12`, `12.5`, `0.33` (two decimals at most)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
