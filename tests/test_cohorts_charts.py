"""The Cohorts page's charts carry the numbers of the comparison they draw."""

from __future__ import annotations

import pandas as pd

from selfstudy.core.cohorts import against_group, changes, score_studies
from selfstudy.edges.reports.cohort_charts import (
    against_group_chart,
    distributions,
    dumbbell,
    heatmap,
)


def chart_data(chart) -> pd.DataFrame:
    spec = chart.to_dict()
    (rows,) = spec["datasets"].values()
    return pd.DataFrame(rows)


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


def test_dumbbell_has_one_row_per_program_with_both_rounds(default_rubric, sample_set):
    scores = score_studies(default_rubric, sample_set)
    per_program = changes(scores)
    data = chart_data(dumbbell(per_program, "program-goals", "Program Goals"))
    assert len(data) == 8
    row = per_program[(per_program["key"] == "p01") & (per_program["dimension"] == "program-goals")]
    first = data[data["Program"] == sample_set[0].program.name].iloc[0]
    assert first["Change"] == round(row["change"].iloc[0], 2)


def test_distributions_and_against_group_charts_draw_every_dimension(default_rubric, sample_set):
    scores = score_studies(default_rubric, sample_set)
    titles = {d.id: d.title for d in default_rubric.dimensions}
    frame = scores.dimensions()
    frame["group"] = scores.programs["cohort"].to_numpy()[frame["study"]]
    data = chart_data(distributions(frame, "group", titles))
    assert set(data["Dimension"]) == set(titles.values())
    assert len(data) == len(sample_set) * len(titles)
    assert set(data["Group"]) == {s.program.cohort for s in sample_set}
    compared = against_group(scores, 0)
    data = chart_data(against_group_chart(compared, titles, "P"))
    assert list(data["Median"]) == [round(v, 2) for v in compared["group_median"]]
