"""Charts of a scored self-study, as altair specifications.

Pure: a rubric and a `Result` go in, a chart comes out; nothing is drawn or
saved here. The app hands the chart to Streamlit, the HTML report renders it to
SVG. Every chart says its status in words next to the bar, so nothing depends
on telling colours apart; the colours themselves come from the Okabe-Ito
palette, which stays distinct under the common kinds of colour blindness.

Every text that goes into a chart (names, titles, axis labels) passes through
`chart_text`: the SVG and PNG renderer stops the whole process at a control
character, and a rubric or a program name may hold any character at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

import altair as alt

from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import STATUSES, Result, Score
from selfstudy.core.wording import STATUS_LABELS, clip, level_text

STATUS_COLOURS: dict[str, str] = {
    "meets": "#0072B2",  # blue
    "approaching": "#E69F00",  # orange
    "not_yet": "#D55E00",  # vermillion
    "not_rated": "#BBBBBB",  # grey
}
TARGET_COLOUR = "#222222"
PREVIOUS_COLOUR = "#222222"
ROW_HEIGHT = 30
WIDTH = 380
LABEL_LIMIT = 300
TEXT_LIMIT = 120  # characters of one name or title in a chart

# Control characters, lone surrogates and the two non-characters: none can be in an SVG.
_NOT_IN_CHARTS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def chart_text(text: object) -> str:
    """`text` fit for a chart: control characters as spaces, spaces collapsed, not too long."""
    return clip(" ".join(_NOT_IN_CHARTS.sub(" ", str(text)).split()), TEXT_LIMIT)


def dimension_chart(
    rubric: Rubric, result: Result, previous: Result | None = None
) -> alt.LayerChart:
    """Mean level per dimension over the whole scale, the target marked and the status in words.

    With `previous`, the earlier round's level is marked on each bar as a white diamond.
    """
    before = {d.id: d.score for d in previous.dimensions} if previous else {}
    rows = [
        _row(rubric, d.id, d.title, d.score, before.get(d.id), dimension=d.title)
        for d in result.dimensions
    ]
    subtitle = "Bar: mean level · black tick: target"
    if previous is not None:
        subtitle += " · white diamond: previous round"
    return _level_chart(rubric, rows, "Mean level by dimension", subtitle, previous is not None)


def standard_chart(
    rubric: Rubric, result: Result, dimension_id: str | None = None
) -> alt.LayerChart:
    """Mean level per standard (of one dimension, or of all), target marked, status in words."""
    dimensions = [d for d in result.dimensions if dimension_id is None or d.id == dimension_id]
    if dimension_id is not None and not dimensions:
        raise KeyError(f"no dimension {dimension_id!r} in rubric {rubric.id!r}")
    rows = [
        _row(rubric, s.id, f"{s.id} {s.title}", s.score, None, dimension=d.title)
        for d in dimensions
        for s in d.standards
    ]
    title = (
        chart_text(dimensions[0].title) if dimension_id is not None else "Mean level by standard"
    )
    return _level_chart(rubric, rows, title, "Bar: mean level · black tick: target", False)


def _row(
    rubric: Rubric,
    row_id: str,
    name: str,
    score: Score,
    previous: Score | None,
    dimension: str,
) -> dict[str, Any]:
    level = None if score.mean_level is None else round(score.mean_level, 2)
    before = None if previous is None or previous.mean_level is None else previous.mean_level
    return {
        "id": chart_text(row_id),
        "name": chart_text(name),
        "dimension": chart_text(dimension),
        "base": rubric.scale.lowest,
        "level": level,
        "target": score.target,
        "gap": None if score.gap is None else round(score.gap, 2),
        "status": score.status,
        "status_label": STATUS_LABELS[score.status],
        "label": _label(level, score),
        "text_x": rubric.scale.highest,
        "previous": None if before is None else round(before, 2),
    }


def _label(level: float | None, score: Score) -> str:
    """The words beside a bar: `2.67 Approaching`, or `Not rated`."""
    words = STATUS_LABELS[score.status]
    return words if level is None else f"{level_text(level)} {words}"


def _level_chart(
    rubric: Rubric, rows: list[dict[str, Any]], title: str, subtitle: str, with_previous: bool
) -> alt.LayerChart:
    """Bars of level over the whole scale, a target tick, the previous round, status words."""
    scale = rubric.scale
    x_scale = alt.Scale(domain=[scale.lowest, scale.highest], nice=False, zero=False)
    y = _name_axis([row["name"] for row in rows])
    tooltip = _tooltip(with_previous)
    layers: list[alt.Chart] = [
        _bars(rubric, x_scale, y, tooltip),
        _target_ticks(x_scale, y, tooltip),
    ]
    if with_previous:
        layers.append(_previous_marks(x_scale, y, tooltip))
    layers.append(_status_words(x_scale, y))
    return alt.layer(
        *layers,
        data=alt.Data(values=rows),
        title=alt.Title(title, subtitle=subtitle, anchor="start", subtitleColor="#555555"),
        width=WIDTH,
        height=alt.Step(ROW_HEIGHT),
        view=alt.ViewBackground(stroke=None),
    )


def _name_axis(order: list[str]) -> alt.Y:
    """One row per name, in the order given."""
    return alt.Y(
        "name:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelLimit=LABEL_LIMIT, labelFontSize=12, ticks=False, domain=False),
    )


def _tooltip(with_previous: bool) -> list[alt.Tooltip]:
    tooltip = [
        alt.Tooltip("name:N", title="Name"),
        alt.Tooltip("level:Q", title="Mean level", format=".2f"),
        alt.Tooltip("target:Q", title="Target"),
        alt.Tooltip("gap:Q", title="Gap", format="+.2f"),
        alt.Tooltip("status_label:N", title="Status"),
    ]
    if with_previous:
        tooltip.append(alt.Tooltip("previous:Q", title="Previous round", format=".2f"))
    return tooltip


def _bars(rubric: Rubric, x_scale: alt.Scale, y: alt.Y, tooltip: list[alt.Tooltip]) -> alt.Chart:
    """A bar from the bottom of the scale to the level, coloured by status."""
    return (
        alt.Chart()
        .mark_bar(height={"band": 0.62}, cornerRadiusEnd=2)
        .encode(
            x=alt.X(
                "base:Q",
                scale=x_scale,
                title="Mean level",
                axis=alt.Axis(
                    values=list(rubric.scale.values),
                    labelExpr=_scale_label_expression(rubric),
                    grid=True,
                    gridDash=[2, 3],
                    labelFontSize=11,
                ),
            ),
            x2="level:Q",
            y=y,
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUSES), range=[STATUS_COLOURS[s] for s in STATUSES]),
                legend=None,
            ),
            tooltip=tooltip,
        )
    )


def _target_ticks(x_scale: alt.Scale, y: alt.Y, tooltip: list[alt.Tooltip]) -> alt.Chart:
    return (
        alt.Chart()
        .mark_tick(color=TARGET_COLOUR, thickness=3, size=ROW_HEIGHT * 0.85)
        .encode(x=alt.X("target:Q", scale=x_scale), y=y, tooltip=tooltip)
    )


def _previous_marks(x_scale: alt.Scale, y: alt.Y, tooltip: list[alt.Tooltip]) -> alt.Chart:
    """The previous round's level as a white diamond on each bar."""
    return (
        alt.Chart()
        .mark_point(
            shape="diamond",
            filled=True,
            fill="white",
            stroke=PREVIOUS_COLOUR,
            strokeWidth=2,
            size=120,
            opacity=1,
        )
        .encode(x=alt.X("previous:Q", scale=x_scale), y=y, tooltip=tooltip)
    )


def _status_words(x_scale: alt.Scale, y: alt.Y) -> alt.Chart:
    """The level and status in words beside each bar, past the end of the scale."""
    return (
        alt.Chart()
        .mark_text(align="left", dx=8, fontSize=12)
        .encode(x=alt.X("text_x:Q", scale=x_scale), y=y, text="label:N")
    )


def _scale_label_expression(rubric: Rubric) -> str:
    """A Vega expression that writes each axis value as `3 Established`."""
    expression = "datum.label"
    for level in reversed(rubric.scale.levels):
        text = json.dumps(chart_text(f"{level.value} {level.label}"))
        expression = f"datum.value == {level.value} ? {text} : ({expression})"
    return expression
