"""The Cohorts page's charts carry the numbers of the comparison they draw, readable on
their colours, with colours that judge only where they show a status."""

from __future__ import annotations

import colorsys
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from selfstudy.core.cohorts import against_group, changes, compare, score_studies
from selfstudy.core.samples import sample_studies
from selfstudy.core.scoring import STATUSES
from selfstudy.core.wording import STATUS_LABELS
from selfstudy.edges.reports.charts import STATUS_COLOURS
from selfstudy.edges.reports.cohort_charts import (
    HEATMAP_MAX_ROWS,
    against_group_chart,
    cohort_heatmap,
    distributions,
    dumbbell,
    heatmap,
)


def chart_data(chart) -> pd.DataFrame:
    spec = chart.to_dict()
    (rows,) = spec["datasets"].values()
    return pd.DataFrame(rows)


def layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every view of a spec: the spec itself, its layers, its faceted spec, recursively."""
    yield spec
    for layer in spec.get("layer", []):
        yield from layers(layer)
    if "spec" in spec:
        yield from layers(spec["spec"])


def mark_type(view: dict[str, Any]) -> str | None:
    mark = view.get("mark")
    return mark.get("type") if isinstance(mark, dict) else mark


def text_layer(spec: dict[str, Any]) -> dict[str, Any]:
    (view,) = [v for v in layers(spec) if mark_type(v) == "text"]
    return view


def fill_encoding(spec: dict[str, Any]) -> dict[str, Any]:
    (view,) = [v for v in layers(spec) if mark_type(v) == "rect"]
    return view["encoding"]["color"]


def rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def luminance(colour: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def fill_of(level: float, scale: dict[str, Any]) -> tuple[float, ...]:
    """The colour Vega gives `level` on a piecewise scale interpolated in RGB."""
    assert scale["interpolate"] == "rgb"
    stops, colours = scale["domain"], [rgb(c) for c in scale["range"]]
    return tuple(np.interp(level, stops, [c[k] for c in colours]) for k in range(3))


def unfinished(study, standard_prefix: str):
    """A copy of `study` with every item of one standard unanswered."""
    answers = {k: a for k, a in study.answers.items() if not k.startswith(standard_prefix)}
    program = study.program.model_copy(update={"id": "unfinished", "name": "Unfinished"})
    return study.model_copy(update={"answers": answers, "program": program})


def test_heatmap_has_a_cell_per_study_and_standard_with_its_level(default_rubric, sample_set):
    scores = score_studies(default_rubric, sample_set)
    data = chart_data(heatmap(scores))
    assert len(data) == len(sample_set) * 24
    first = data.iloc[0]
    assert first["Program"] == f"{sample_set[0].program.name} (baseline)"
    assert first["Standard"] == "PG.1"
    assert first["Level"] == round(scores.standard_level[0, 0], 2)
    assert set(chart_data(heatmap(scores, "college-pathways"))["Standard"]) == {
        "CP.1",
        "CP.2",
        "CP.3",
        "CP.4",
    }


def test_each_heatmap_cell_prints_its_level_readable_on_its_fill(default_rubric, sample_set):
    studies = [*sample_set, unfinished(sample_set[0], "PG.1.")]
    scores = score_studies(default_rubric, studies)
    chart = heatmap(scores)
    spec = chart.to_dict()
    data = chart_data(chart)
    numbers = text_layer(spec)["encoding"]
    assert numbers["text"]["field"] == "Text"
    assert numbers["color"]["field"] == "Ink"
    rated = data[data["Level"].notna()]
    assert len(rated) == len(data) - 1  # the unfinished study's PG.1
    assert list(rated["Text"]) == [f"{level:.2f}" for level in rated["Level"]]
    pairs = zip(rated["Text"], rated["Level"], strict=True)
    assert all(float(text) == level for text, level in pairs)
    (blank,) = data[data["Level"].isna()].to_dict("records")
    assert blank["Program"] == "Unfinished (baseline)"
    assert (blank["Standard"], blank["Text"]) == ("PG.1", "—")
    fill = fill_encoding(spec)
    assert fill["field"] == "Level"
    assert fill["legend"]["title"] == "Mean level"
    for level, ink in zip(rated["Level"], rated["Ink"], strict=True):
        assert contrast(fill_of(level, fill["scale"]), rgb(ink)) >= 4.5, (level, ink)
    assert set(rated["Ink"]) == {"#000000", "#FFFFFF"}  # both ends of the scale are drawn


def test_a_network_too_large_for_a_row_per_program_gets_a_row_per_group(default_rubric):
    studies = sample_studies(default_rubric, programs=HEATMAP_MAX_ROWS // 2 + 10, seed=3)
    assert len(studies) > HEATMAP_MAX_ROWS
    comparison = compare(score_studies(default_rubric, studies), by="cohort")
    view = cohort_heatmap(comparison)
    assert view.by_group
    assert f"{len(comparison.scores):,} self-studies" in view.caption
    assert "one row per program" in view.caption
    data = chart_data(view.chart)
    expected = comparison.standards
    assert len(data) == len(expected)  # groups × standards, not programs × standards
    groups = [f"{c} · {r}" for c, r in zip(expected["cohort"], expected["round"], strict=True)]
    assert list(data["Group"]) == groups
    assert list(data["Level"]) == [round(v, 2) for v in expected["mean_level"]]
    assert list(data["Text"]) == [f"{v:.2f}" for v in expected["mean_level"].round(2)]
    assert text_layer(view.chart.to_dict())["encoding"]["text"]["field"] == "Text"
    dimension = chart_data(cohort_heatmap(comparison, "college-pathways").chart)
    assert set(dimension["Standard"]) == {"CP.1", "CP.2", "CP.3", "CP.4"}


def test_a_network_within_the_limit_keeps_a_row_per_program(default_rubric, sample_set):
    comparison = compare(score_studies(default_rubric, sample_set), by="cohort")
    view = cohort_heatmap(comparison, max_rows=len(sample_set))
    assert not view.by_group
    assert len(set(chart_data(view.chart)["Program"])) == len(sample_set)
    assert cohort_heatmap(comparison, max_rows=len(sample_set) - 1).by_group


def test_dumbbell_has_one_row_per_program_with_both_rounds(default_rubric, sample_set):
    scores = score_studies(default_rubric, sample_set)
    per_program = changes(scores)
    chart = dumbbell(per_program, "program-goals", "Program Goals")
    data = chart_data(chart)
    assert len(data) == 8
    row = per_program[(per_program["key"] == "p01") & (per_program["dimension"] == "program-goals")]
    first = data[data["Program"] == sample_set[0].program.name].iloc[0]
    assert first["Change"] == round(row["change"].iloc[0], 2)
    tooltips = {t.get("title") for v in layers(chart.to_dict()) for t in tooltip_of(v)}
    assert {"Baseline (baseline)", "Follow-up (follow-up)"} <= tooltips


def tooltip_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    tooltip = view.get("encoding", {}).get("tooltip", [])
    return tooltip if isinstance(tooltip, list) else [tooltip]


def test_distribution_boxes_carry_each_groups_five_numbers(default_rubric, sample_set):
    scores = score_studies(default_rubric, sample_set)
    titles = {d.id: d.title for d in default_rubric.dimensions}
    frame = scores.dimensions()
    frame["group"] = scores.programs["cohort"].to_numpy()[frame["study"]]
    data = chart_data(distributions(frame, "group", titles))
    assert set(data["Dimension"]) == set(titles.values())
    cohorts = {s.program.cohort for s in sample_set}
    assert set(data["Group"]) == cohorts
    assert len(data) == len(cohorts) * len(titles)  # one box per group and dimension
    for row in data.to_dict("records"):
        dimension = next(d for d, t in titles.items() if t == row["Dimension"])
        levels = frame[(frame["dimension"] == dimension) & (frame["group"] == row["Group"])]
        levels = levels["mean_level"].dropna().to_numpy()
        assert row["Programs"] == len(levels)
        expected = np.quantile(levels, [0, 0.25, 0.5, 0.75, 1])
        shown = [row[k] for k in ("Min", "Q1", "Median", "Q3", "Max")]
        assert shown == [round(float(v), 2) for v in expected]


def test_against_group_chart_draws_the_group_median_of_every_dimension(default_rubric, sample_set):
    scores = score_studies(default_rubric, sample_set)
    titles = {d.id: d.title for d in default_rubric.dimensions}
    compared = against_group(scores, 0)
    data = chart_data(against_group_chart(compared, titles, "P"))
    assert list(data["Median"]) == [round(v, 2) for v in compared["group_median"]]
    assert list(data["Dimension"]) == list(titles.values())


def colour_uses(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """(what is coloured, how): every colour encoding and every fixed mark colour."""
    for view in layers(spec):
        mark = view.get("mark")
        if isinstance(mark, dict) and "color" in mark:
            yield "mark", mark["color"]
        colour = view.get("encoding", {}).get("color")
        if colour is not None:
            yield colour.get("field", "value"), colour


def judging(colour: str) -> bool:
    """A red or a green: a colour readers take for bad or good."""
    hue, saturation, value = colorsys.rgb_to_hsv(*rgb(colour))
    degrees = hue * 360
    red, green = degrees < 20 or degrees > 330, 70 <= degrees <= 170
    return saturation > 0.25 and value > 0.2 and (red or green)


@pytest.fixture
def every_chart(default_rubric, sample_set) -> dict[str, dict[str, Any]]:
    scores = score_studies(default_rubric, sample_set)
    titles = {d.id: d.title for d in default_rubric.dimensions}
    frame = scores.dimensions()
    frame["group"] = scores.programs["cohort"].to_numpy()[frame["study"]]
    comparison = compare(scores, by="cohort")
    made = {
        "heatmap": heatmap(scores),
        "group heatmap": cohort_heatmap(comparison, max_rows=1).chart,
        "distributions": distributions(frame, "group", titles),
        "dumbbell": dumbbell(changes(scores), None, "Overall"),
        "against group": against_group_chart(against_group(scores, 0), titles, "P"),
    }
    return {name: chart.to_dict() for name, chart in made.items()}


def test_groups_cohorts_and_rounds_are_never_coloured_red_or_green(every_chart):
    status_range = [STATUS_COLOURS[s] for s in STATUSES]
    for name, spec in every_chart.items():
        for what, how in colour_uses(spec):
            if what == "Status":
                assert how["scale"]["range"] == status_range, name
                assert how["scale"]["domain"] == [STATUS_LABELS[s] for s in STATUSES], name
                continue
            if what == "mark" or "value" in how:
                colours = [how if what == "mark" else how["value"]]
            else:
                # a default palette (Vega's category10 has a red and a green) is not chosen
                assert "scale" in how, (name, what)
                if how["scale"] is None:  # the colours are in the data
                    colours = list(chart_data_of(spec)[what].unique())
                else:
                    assert "scheme" not in how["scale"], (name, what)
                    colours = how["scale"]["range"]
            judged = [c for c in colours if judging(c)]
            assert not judged, (name, what, judged)


def chart_data_of(spec: dict[str, Any]) -> pd.DataFrame:
    (rows,) = spec["datasets"].values()
    return pd.DataFrame(rows)


def test_status_colours_appear_only_where_a_status_is_shown(every_chart):
    status = {STATUS_COLOURS[s] for s in ("meets", "approaching", "not_yet")}
    for name, spec in every_chart.items():
        for what, how in colour_uses(spec):
            if what != "Status":
                text = json.dumps(how)
                assert not any(c in text for c in status), (name, what)


def test_the_two_rounds_of_a_change_differ_in_lightness(every_chart):
    (rounds,) = [how for what, how in colour_uses(every_chart["dumbbell"]) if what == "Round"]
    baseline, follow_up = (rgb(c) for c in rounds["scale"]["range"])
    assert rounds["scale"]["domain"] == ["Baseline", "Follow-up"]
    assert rounds["legend"] is not None  # the chart says which dot is which
    # apart in lightness, so no kind of colour blindness (nor greyscale) merges them
    assert contrast(baseline, follow_up) >= 3
