"""Charts of many programs at once, as altair specifications, for the Cohorts page.

Pure: scores and comparisons go in, a chart comes out. Colours follow the
single-study charts (Okabe-Ito status colours, readable under colour
blindness), and every mark has a tooltip with the numbers in words. Every
program name, standard id, group and title goes through `chart_text` first.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from selfstudy.core.cohorts import CohortScores
from selfstudy.core.scoring import STATUSES
from selfstudy.core.wording import STATUS_LABELS
from selfstudy.edges.reports.charts import STATUS_COLOURS, chart_text

ROW_HEIGHT = 18
BASELINE_COLOUR = "#999999"
FOLLOW_UP_COLOUR = "#0072B2"


def _status_scale() -> alt.Scale:
    return alt.Scale(
        domain=[STATUS_LABELS[s] for s in STATUSES],
        range=[STATUS_COLOURS[s] for s in STATUSES],
    )


def study_labels(scores: CohortScores) -> list[str]:
    """How each study is named on a chart: the program, and its round when rounds differ."""
    programs = scores.programs
    names = programs["program"].astype(str).to_numpy()
    rounds = programs["round"]
    if rounds.nunique(dropna=False) <= 1:
        return [chart_text(n) for n in names]
    return [
        chart_text(f"{n} ({r})" if isinstance(r, str) else n)
        for n, r in zip(names, rounds, strict=True)
    ]


def heatmap(scores: CohortScores, dimension: str | None = None) -> alt.Chart:
    """Programs × standards, each cell the program's mean level on the standard.

    Colour runs over the whole scale; a cell's tooltip gives the level and the
    status in words. Programs are sorted by overall level, highest first.
    With `dimension`, only that dimension's standards.
    """
    arrays = scores.rubric
    columns = np.arange(len(arrays.standard_ids))
    if dimension is not None:
        columns = columns[np.array(arrays.dimension_ids)[arrays.standard_dimension] == dimension]
    labels = np.array(study_labels(scores), dtype=object)
    count = len(columns)
    levels = scores.standard_level[:, columns]
    status = scores.standard_status[:, columns]
    status_labels = np.array([STATUS_LABELS[s] for s in STATUSES], dtype=object)
    frame = pd.DataFrame(
        {
            "Program": np.repeat(labels, count),
            "Standard": np.tile(
                np.array([chart_text(s) for s in arrays.standard_ids], dtype=object)[columns],
                len(scores),
            ),
            "Level": np.round(levels.ravel(), 2),
            "Status": status_labels[status.ravel()],
            "Overall": np.repeat(np.nan_to_num(scores.overall_level, nan=-1.0), count),
        }
    )
    scale = arrays.rubric.scale
    return (
        alt.Chart(frame, title="Mean level by program and standard")
        .mark_rect()
        .encode(
            x=alt.X(
                "Standard:N",
                sort=None,
                axis=alt.Axis(orient="top", labelAngle=-90, labelOverlap=False),
            ),
            y=alt.Y(
                "Program:N",
                title=None,
                sort=alt.EncodingSortField("Overall", op="max", order="descending"),
                axis=alt.Axis(labelLimit=300, labelOverlap=False),
            ),
            color=alt.Color(
                "Level:Q",
                scale=alt.Scale(scheme="blues", domain=[scale.lowest, scale.highest]),
                legend=alt.Legend(title="Mean level"),
            ),
            tooltip=["Program:N", "Standard:N", alt.Tooltip("Level:Q", format=".2f"), "Status:N"],
        )
        .properties(height=alt.Step(ROW_HEIGHT))
    )


def distributions(dimensions: pd.DataFrame, group: str, titles: dict[str, str]) -> alt.Chart:
    """Box plots of the programs' dimension mean levels, one row per dimension, coloured by group.

    `dimensions` is `CohortScores.dimensions()` with a `group` column added.
    """
    titles = {key: chart_text(title) for key, title in titles.items()}
    frame = dimensions.dropna(subset=["mean_level"]).assign(
        Dimension=lambda f: f["dimension"].map(titles).astype(str),
        Group=lambda f: f[group].map(chart_text),
    )[["Dimension", "Group", "mean_level"]]
    return (
        alt.Chart(frame, title="Spread of programs' mean levels by dimension")
        .mark_boxplot(extent="min-max", size=12)
        .encode(
            x=alt.X("mean_level:Q", title="Mean level", scale=alt.Scale(zero=False)),
            y=alt.Y("Group:N", title=None, axis=alt.Axis(labelLimit=300)),
            color=alt.Color("Group:N", legend=None),
            row=alt.Row(
                "Dimension:N",
                title=None,
                sort=list(titles.values()),
                header=alt.Header(labelAngle=0, labelAlign="left"),
            ),
        )
        .properties(width=420)
    )


def dumbbell(program_changes: pd.DataFrame, dimension: str | None, title: str) -> alt.LayerChart:
    """Baseline → follow-up per program: a grey dot, a blue dot, and a line between.

    `program_changes` is `cohorts.changes(...)`; `dimension` None is the overall level.
    """
    rows = program_changes[
        program_changes["dimension"].isna()
        if dimension is None
        else program_changes["dimension"] == dimension
    ].dropna(subset=["change"])
    frame = pd.DataFrame(
        {
            "Program": rows["program"].map(chart_text).to_numpy(),
            "Baseline": rows["baseline_level"].round(2).to_numpy(),
            "Follow-up": rows["follow_up_level"].round(2).to_numpy(),
            "Change": rows["change"].round(2).to_numpy(),
        }
    )
    base = alt.Chart(frame, title=f"{chart_text(title)}: baseline → follow-up").encode(
        y=alt.Y(
            "Program:N",
            title=None,
            sort=alt.EncodingSortField("Change", op="max", order="descending"),
            axis=alt.Axis(labelLimit=300, labelOverlap=False),
        ),
        tooltip=["Program:N", "Baseline:Q", "Follow-up:Q", alt.Tooltip("Change:Q", format="+.2f")],
    )
    line = base.mark_rule(color="#BBBBBB", strokeWidth=2).encode(
        x=alt.X("Baseline:Q", title="Mean level", scale=alt.Scale(zero=False)), x2="Follow-up:Q"
    )
    before = base.mark_circle(size=60, color=BASELINE_COLOUR, opacity=1).encode(x="Baseline:Q")
    after = base.mark_circle(size=60, color=FOLLOW_UP_COLOUR, opacity=1).encode(x="Follow-up:Q")
    return alt.layer(line, before, after).properties(height=alt.Step(ROW_HEIGHT + 4))


def against_group_chart(
    compared: pd.DataFrame, titles: dict[str, str], program: str
) -> alt.LayerChart:
    """One program's dimension levels (bars, status colour) with its group's median (ticks)."""
    titles = {key: chart_text(title) for key, title in titles.items()}
    frame = compared.assign(
        Dimension=compared["dimension"].map(titles),
        Status=compared["status"].map(STATUS_LABELS),
        Level=compared["mean_level"].round(2),
        Median=compared["group_median"].round(2),
    )[["Dimension", "Status", "Level", "Median"]]
    base = alt.Chart(frame, title=f"{chart_text(program)} against the group median").encode(
        y=alt.Y(
            "Dimension:N", sort=list(titles.values()), title=None, axis=alt.Axis(labelLimit=300)
        ),
        tooltip=["Dimension:N", "Level:Q", "Median:Q", "Status:N"],
    )
    bars = base.mark_bar().encode(
        x=alt.X("Level:Q", title="Mean level"),
        color=alt.Color("Status:N", scale=_status_scale(), legend=alt.Legend(title="Status")),
    )
    ticks = base.mark_tick(color="#222222", thickness=3, size=22).encode(x="Median:Q")
    return alt.layer(bars, ticks).properties(height=alt.Step(28))
