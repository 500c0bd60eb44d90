"""The run chart as drawn: what a reader of it would check in its data and marks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import vl_convert

from selfstudy.core.runchart import Point, analyse
from selfstudy.edges.reports.run_charts import run_chart

START = date(2026, 3, 2)
# ten weeks around 11 with one wild week, then a steady rise after cycle 2 begins
VALUES = [10, 12, 11, 10, 12, 30, 11, 10, 12, 11, 14, 15, 16, 17, 18, 19]
HOSTILE_NOTE = "<script>alert('x')</script>"
FORMULA_NOTE = '=HYPERLINK("http://evil.example","click")'


def _points(values=VALUES, notes=None) -> list[Point]:
    notes = notes or {}
    return [
        Point(START + timedelta(weeks=i), float(v), notes.get(i, "")) for i, v in enumerate(values)
    ]


def _layers(chart) -> list[dict]:
    return chart.to_dict()["layer"]


def _layer(chart, mark: str, field: str | None = None) -> dict:
    """The first layer drawing `mark` (and encoding `field` on y or x, when given)."""
    for layer in _layers(chart):
        if layer["mark"]["type"] != mark:
            continue
        encoding = layer.get("encoding", {})
        if field is None or field in (encoding.get(c, {}).get("field") for c in ("x", "y")):
            return layer
    raise AssertionError(f"no {mark} layer")


def _point_rows(chart) -> list[dict]:
    return _layer(chart, "point")["data"]["values"]


def test_every_point_is_drawn_with_its_date_value_and_note_in_the_tooltip():
    notes = {5: "Field trip week", 10: "New mentor started"}
    chart = run_chart(analyse(_points(notes=notes)), "Girls attending", unit="students")
    rows = _point_rows(chart)
    assert [r["value"] for r in rows] == VALUES
    assert rows[0]["on"] == "2026-03-02" and rows[0]["date"] == "2 Mar 2026"
    assert rows[5]["note"] == "Field trip week"
    assert rows[10]["note"] == "New mentor started"
    tooltip = {t["field"]: t["title"] for t in _layer(chart, "point")["encoding"]["tooltip"]}
    assert tooltip == {"date": "Date", "value_text": "Value", "note": "Note", "rules": "Rules"}


def test_the_median_is_a_dashed_rule_labelled_with_its_value():
    analysed = analyse(_points(), median_of_first=10)
    chart = run_chart(analysed, "Girls attending", unit="students")
    rule = _layer(chart, "rule", "value")
    assert rule["mark"]["strokeDash"]
    assert rule["data"]["values"][0]["value"] == analysed.median == 11
    label = _layer(chart, "text", "value")
    assert label["data"]["values"][0]["label"] == "Median 11 students (of the first 10 points)"


def test_points_a_rule_counted_are_drawn_apart_and_the_legend_names_the_rule():
    analysed = analyse(_points(), median_of_first=10)
    rows = _point_rows(run_chart(analysed, "Girls attending"))
    # the wild week is astronomical, and nothing else in the first ten weeks fired but the
    # last of them, which begins the rise
    assert rows[5]["rules"] == "Astronomical point"
    assert rows[5]["kind"] == "Astronomical point"
    assert [r["rules"] for r in rows[:5]] == ["None"] * 5
    for index, row in enumerate(rows):
        expected = analysed.rules_at(index)
        assert ("Shift" in row["rules"]) == ("shift" in expected)
        assert ("Trend" in row["rules"]) == ("trend" in expected)
        assert ("Astronomical" in row["rules"]) == ("astronomical" in expected)
    # the rise after the baseline is a shift above the frozen median and a trend up
    assert all("Shift" in r["rules"] and "Trend" in r["rules"] for r in rows[10:])


def test_each_kind_of_point_has_its_own_colour_and_shape_in_the_legend():
    analysed = analyse(_points(), median_of_first=10)
    layer = _layer(run_chart(analysed, "Girls attending"), "point")
    colour = layer["encoding"]["color"]
    shape = layer["encoding"]["shape"]
    kinds = colour["scale"]["domain"]
    assert colour["legend"]["title"] == "Run-chart rule"
    assert set(kinds) == {r["kind"] for r in layer["data"]["values"]}
    assert "No rule" in kinds and "Astronomical point" in kinds
    pairs = list(zip(colour["scale"]["range"], shape["scale"]["range"], strict=True))
    assert len(set(pairs)) == len(kinds)  # no two kinds look alike
    assert shape["scale"]["domain"] == kinds


def test_each_cycle_start_is_a_vertical_rule_labelled_at_its_date():
    starts = [(date(2026, 3, 30), "Cycle 1 begins"), (date(2026, 5, 11), "Cycle 2 begins")]
    chart = run_chart(analyse(_points()), "Girls attending", cycle_starts=starts)
    rule = _layer(chart, "rule", "on")
    assert [(r["on"], r["label"]) for r in rule["data"]["values"]] == [
        ("2026-03-30", "Cycle 1 begins"),
        ("2026-05-11", "Cycle 2 begins"),
    ]
    label = _layer(chart, "text", "on")
    assert label["encoding"]["text"]["field"] == "label"
    svg = vl_convert.vegalite_to_svg(chart.to_json())
    assert ">Cycle 1 begins<" in svg and ">Cycle 2 begins<" in svg


def test_a_hostile_note_title_and_label_are_kept_as_text():
    notes = {3: HOSTILE_NOTE, 4: FORMULA_NOTE, 6: "tab\there\x00and\x1bthere"}
    chart = run_chart(
        analyse(_points(notes=notes)),
        "<b>Attending</b>\x07",
        cycle_starts=[(date(2026, 4, 6), "<img src=x onerror=alert(1)>")],
        unit="=1+1",
    )
    rows = _point_rows(chart)
    assert rows[3]["note"] == HOSTILE_NOTE
    assert rows[4]["note"] == FORMULA_NOTE
    assert rows[6]["note"] == "tab here and there"
    spec = chart.to_dict()
    assert spec["title"]["text"] == "<b>Attending</b>"
    svg = vl_convert.vegalite_to_svg(chart.to_json())
    # rendered as text: escaped in the SVG, never an element of it
    assert "<script" not in svg and "<img" not in svg and "<b>" not in svg
    assert "&lt;b&gt;Attending&lt;/b&gt;" in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert ">=1+1<" in svg  # the unit on the axis, as typed


def test_the_chart_renders_with_its_dates_on_the_axis():
    chart = run_chart(analyse(_points()), "Girls attending")
    svg = vl_convert.vegalite_to_svg(chart.to_json())
    assert svg.lstrip().startswith("<svg")
    assert re.search(r">\d{1,2} (Mar|Apr|May|Jun) 2026<", svg)
    assert ">Girls attending<" in svg


def test_a_measure_without_points_is_a_chart_saying_so():
    chart = run_chart(analyse([]), "Girls attending")
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["text"]
    data = spec["layer"][0].get("data", spec.get("data"))
    assert data["values"] == [{"words": "There are no points yet."}]
    svg = vl_convert.vegalite_to_svg(chart.to_json())
    assert ">There are no points yet.<" in svg


def test_a_short_series_says_no_rule_can_fire_yet():
    chart = run_chart(analyse(_points([3, 4, 5])), "Girls attending")
    assert "too few points for any rule yet" in chart.to_dict()["title"]["subtitle"]
    assert {r["kind"] for r in _point_rows(chart)} == {"No rule"}
