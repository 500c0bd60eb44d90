"""Charts of results: what a reader of the chart would check in its data and marks."""

from __future__ import annotations

import vl_convert

from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.core.wording import STATUS_LABELS
from selfstudy.edges.reports.charts import STATUS_COLOURS, dimension_chart, standard_chart


def _rows(chart) -> list[dict]:
    return chart.to_dict()["data"]["values"]


def _marks(chart) -> list[str]:
    return [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]


def test_dimension_chart_shows_each_dimensions_rounded_level_target_and_status_words(
    default_rubric, sample_set
):
    result = score(default_rubric, sample_set[0])
    rows = _rows(dimension_chart(default_rubric, result))
    assert [r["name"] for r in rows] == [d.title for d in default_rubric.dimensions]
    for row, dimension in zip(rows, result.to_dict()["dimensions"], strict=True):
        assert row["level"] == dimension["mean_level"]
        assert row["target"] == dimension["target"]
        assert STATUS_LABELS[dimension["status"]] in row["label"]
        assert f"{dimension['mean_level']:.2f}" in row["label"]


def test_dimension_chart_marks_the_target_and_spans_the_whole_scale(default_rubric, sample_set):
    chart = dimension_chart(default_rubric, score(default_rubric, sample_set[0])).to_dict()
    assert [layer["mark"]["type"] for layer in chart["layer"]] == ["bar", "tick", "text"]
    bar_x = chart["layer"][0]["encoding"]["x"]
    assert bar_x["scale"]["domain"] == [1, 4]
    assert chart["layer"][1]["encoding"]["x"]["field"] == "target"
    assert chart["layer"][2]["encoding"]["text"]["field"] == "label"


def test_dimension_chart_marks_the_previous_round_when_given(default_rubric, sample_set):
    baseline, follow_up = sample_set[0], sample_set[1]
    before, after = score(default_rubric, baseline), score(default_rubric, follow_up)
    chart = dimension_chart(default_rubric, after, previous=before)
    assert "point" in _marks(chart)
    for row, dimension in zip(_rows(chart), before.to_dict()["dimensions"], strict=True):
        assert row["previous"] == dimension["mean_level"]
    assert "point" not in _marks(dimension_chart(default_rubric, after))


def test_status_colours_are_distinct_and_every_status_has_words():
    assert len(set(STATUS_COLOURS.values())) == len(STATUS_COLOURS) == len(STATUS_LABELS)


def test_an_unrated_dimension_says_not_rated_instead_of_drawing_a_bar(default_rubric):
    study = SelfStudy.new(default_rubric, "Empty program")
    first_item = next(default_rubric.items()).id
    study.answers[first_item] = Answer(value=4)
    rows = _rows(dimension_chart(default_rubric, score(default_rubric, study)))
    assert rows[0]["level"] == 4
    assert all(r["level"] is None and r["label"] == "Not rated" for r in rows[1:])


def test_standard_chart_lists_every_standard_or_one_dimensions(default_rubric, sample_set):
    result = score(default_rubric, sample_set[2])
    rows = _rows(standard_chart(default_rubric, result))
    assert [r["id"] for r in rows] == [s.id for s in default_rubric.standards()]
    assert [r["level"] for r in rows] == [s["mean_level"] for s in result.to_dict()["standards"]]
    goals = default_rubric.dimensions[0]
    rows = _rows(standard_chart(default_rubric, result, goals.id))
    assert [r["id"] for r in rows] == [s.id for s in goals.standards]
    assert all(
        r["target"] == default_rubric.standard_target(s)
        for r, s in zip(rows, goals.standards, strict=True)
    )


def test_charts_render_to_svg_offline(default_rubric, sample_set):
    result = score(default_rubric, sample_set[0])
    chart = dimension_chart(default_rubric, result)
    svg = vl_convert.vegalite_to_svg(chart.to_json())
    assert svg.lstrip().startswith("<svg")
    for row in _rows(chart):
        assert f">{row['name']}<" in svg
        assert f">{row['label']}<" in svg
