"""Charts of many programs at once, as altair specifications, for the Cohorts page.

Pure: scores and comparisons go in, a chart comes out. Every mark has a
tooltip with the numbers in words, and every program name, standard id, group
and title goes through `chart_text` first.

Colours say only what they encode. Status colours (the single-study charts'
Okabe-Ito blue, orange and vermillion) appear only where the encoding is a
status. A level is a single hue, light to dark blue, and each heatmap cell
also prints its number, in black or white, whichever reads better on its fill.
Groups, cohorts and rounds are never told apart by a good/bad palette: groups
are one neutral slate (their names are on the axis), and the two rounds of a
change are a light grey and a dark navy, apart in lightness, so they stay
distinct under every kind of colour blindness and in greyscale.

Specifications are built cheaply, because the page builds them on every rerun:
encodings are channel objects, never shorthand strings (altair turns each string
into a channel class by hashing every schema class: 3–5 ms a string, against
0.04 ms for an object), layers get their data once at the top (a layer's own
data is hashed and copied), and what a chart sends to the browser is bounded:
a box plot sends its five numbers per group, not one row per program, and a
network too large for one heatmap row per program gets one row per group
(`cohort_heatmap`).
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from selfstudy.core.cohorts import CohortScores, Comparison
from selfstudy.core.scoring import STATUSES
from selfstudy.core.wording import NONE, STATUS_LABELS
from selfstudy.edges.reports.charts import STATUS_COLOURS, chart_text

ROW_HEIGHT = 18
CELL_WIDTH = 36  # wide enough for "2.67" at the cells' font size
CELL_FONT_SIZE = 10
HEATMAP_MAX_ROWS = 200  # more programs than this: one heatmap row per group instead
LEVEL_RAMP = ("#F7FBFF", "#6BAED6", "#08306B")  # lowest, middle and highest level
DARK_TEXT = "#000000"
LIGHT_TEXT = "#FFFFFF"
GROUP_COLOUR = "#5F6B7A"  # slate: one neutral hue for every group
BOX_MEDIAN_COLOUR = "#FFFFFF"
FIVE_NUMBERS = {"Min": 0.0, "Q1": 0.25, "Median": 0.5, "Q3": 0.75, "Max": 1.0}  # quantiles
BASELINE_COLOUR = "#A6A6A6"  # light grey
FOLLOW_UP_COLOUR = "#1F3A5F"  # dark navy: apart from the grey in lightness, not a status blue
LINE_COLOUR = "#CCCCCC"
MEDIAN_COLOUR = "#222222"


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


@dataclass(frozen=True)
class HeatmapView:
    """The heatmap a comparison gets, and the words the page puts under it.

    `by_group` is True when there were too many studies for a row each, so
    each row is a group; `caption` then says so, and how to get a row per program.
    """

    chart: alt.LayerChart
    caption: str
    by_group: bool


def cohort_heatmap(
    comparison: Comparison, dimension: str | None = None, max_rows: int = HEATMAP_MAX_ROWS
) -> HeatmapView:
    """One row per program when there are at most `max_rows` studies, else one per group.

    Thousands of rows of 18 pixels cannot be read, and 100,000 cells are slow
    to send and draw; a group's row gives the mean of its programs' levels on
    each standard, the numbers the Groups table gives.
    """
    count = len(comparison.scores)
    if count <= max_rows:
        return HeatmapView(
            heatmap(comparison.scores, dimension),
            "Each cell is a program's mean level on a standard, printed in the cell "
            f"({NONE} where not rated); the darker the blue, the higher the level. "
            "Programs with the highest overall level first.",
            by_group=False,
        )
    fields = " and ".join(comparison.group_fields)
    return HeatmapView(
        group_heatmap(comparison, dimension),
        f"{count:,} self-studies are more than the {max_rows} a heatmap shows one row each, "
        f"so each row is a group (its {fields}) and each cell the mean of its programs' mean "
        f"levels on the standard ({NONE} where none is rated); the darker the blue, the higher "
        f"the level. Narrow the cohorts or rounds to {max_rows} self-studies or fewer to see "
        "one row per program.",
        by_group=True,
    )


def heatmap(scores: CohortScores, dimension: str | None = None) -> alt.LayerChart:
    """Programs × standards, each cell the program's mean level on the standard, as a
    shade of blue and as a number; `—` where not rated.

    A cell's tooltip gives the level and the status in words. Programs are
    sorted by overall level, highest first. With `dimension`, only that
    dimension's standards. Draws every study it is given (see `cohort_heatmap`).
    """
    arrays = scores.rubric
    columns = _standard_columns(scores, dimension)
    count = len(columns)
    studies = np.arange(len(scores))
    levels = np.round(scores.standard_level[:, columns].ravel(), 2)
    standards = [chart_text(s) for s in np.array(arrays.standard_ids, dtype=object)[columns]]
    scale = arrays.rubric.scale
    frame = pd.DataFrame(
        {
            "Program": _categories(study_labels(scores), np.repeat(studies, count)),
            "Standard": _categories(standards, np.tile(np.arange(count), len(scores))),
            "Level": levels,
            "Text": _level_texts(levels),
            "Ink": _ink(levels, scale.lowest, scale.highest),
            "Status": _categories(
                [STATUS_LABELS[s] for s in STATUSES], scores.standard_status[:, columns].ravel()
            ),
            "Overall": np.repeat(np.nan_to_num(scores.overall_level, nan=-1.0), count),
        }
    )
    rows = alt.Y(
        "Program:N",
        title=None,
        sort=alt.EncodingSortField(field="Overall", op="max", order="descending"),
        axis=alt.Axis(labelLimit=300, labelOverlap=False),
    )
    tooltip = [
        alt.Tooltip("Program:N"),
        alt.Tooltip("Standard:N"),
        alt.Tooltip("Text:N", title="Mean level"),
        alt.Tooltip("Status:N"),
    ]
    return _level_grid(
        frame,
        rows,
        tooltip,
        scale.lowest,
        scale.highest,
        alt.Title(
            "Mean level by program and standard",
            subtitle=f"Each cell: the program's mean level ({NONE} not rated)",
        ),
    )


def group_heatmap(comparison: Comparison, dimension: str | None = None) -> alt.LayerChart:
    """Groups × standards, each cell the mean of the group's programs' mean levels.

    The numbers are `comparison.standards` (one row per group and standard, in
    the groups' display order, as the Groups table shows them); a group is
    named by its fields joined, as the Distributions chart names it
    (`2025 · baseline`).
    """
    standards, fields = comparison.standards, comparison.group_fields
    scale = comparison.scores.rubric.rubric.scale
    if dimension is not None:
        standards = standards[standards["dimension"] == dimension]
    labels = [
        chart_text(" · ".join(str(v) for v in values))
        for values in zip(*(standards[f] for f in fields), strict=True)
    ]
    levels = np.round(standards["mean_level"].to_numpy(dtype=float), 2)
    frame = pd.DataFrame(
        {
            "Group": labels,
            "Standard": standards["standard"].astype(str).map(chart_text).to_numpy(),
            "Level": levels,
            "Text": _level_texts(levels),
            "Ink": _ink(levels, scale.lowest, scale.highest),
            "Median": np.round(standards["median_level"].to_numpy(dtype=float), 2),
            "Rated": standards["rated"].to_numpy(),
            "Programs": standards["programs"].to_numpy(),
            "Share meeting target": standards["share_meets"].to_numpy(dtype=float),
        }
    )
    rows = alt.Y(
        "Group:N",
        title=None,
        sort=list(dict.fromkeys(labels)),
        axis=alt.Axis(labelLimit=300, labelOverlap=False),
    )
    tooltip = [
        alt.Tooltip("Group:N"),
        alt.Tooltip("Standard:N"),
        alt.Tooltip("Text:N", title="Mean level"),
        alt.Tooltip("Median:Q", format=".2f"),
        alt.Tooltip("Rated:Q", title="Programs rated"),
        alt.Tooltip("Programs:Q"),
        alt.Tooltip("Share meeting target:Q", format=".0%"),
    ]
    return _level_grid(
        frame,
        rows,
        tooltip,
        scale.lowest,
        scale.highest,
        alt.Title(
            "Mean level by group and standard",
            subtitle=f"Each cell: the mean of its programs' mean levels ({NONE} none rated)",
        ),
    )


def _categories(names: list[str], codes: np.ndarray) -> pd.Categorical:
    """`names[code]` for each code, as a pandas categorical: a name repeated in every cell
    of its row or column is kept (and sent to the browser) once, not once per cell."""
    distinct, position = np.unique(np.array(names, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(position.ravel()[codes], distinct)


def _standard_columns(scores: CohortScores, dimension: str | None) -> np.ndarray:
    arrays = scores.rubric
    columns = np.arange(len(arrays.standard_ids))
    if dimension is None:
        return columns
    return columns[np.array(arrays.dimension_ids)[arrays.standard_dimension] == dimension]


def _level_grid(
    frame: pd.DataFrame,
    rows: alt.Y,
    tooltip: list[alt.Tooltip],
    lowest: float,
    highest: float,
    title: alt.Title,
) -> alt.LayerChart:
    """A rect per cell, shaded by level (an unrated cell stays blank), and its number on top."""
    columns = alt.X(
        "Standard:N",
        sort=None,
        title=None,
        axis=alt.Axis(orient="top", labelAngle=-90, labelOverlap=False),
    )
    fill = alt.Color(
        "Level:Q",
        scale=alt.Scale(
            domain=list(_ramp_stops(lowest, highest)),
            range=list(LEVEL_RAMP),
            interpolate="rgb",
            clamp=True,
        ),
        legend=alt.Legend(title="Mean level"),
    )
    cells = alt.Chart().mark_rect().encode(x=columns, y=rows, color=fill, tooltip=tooltip)
    numbers = (
        alt.Chart()
        .mark_text(fontSize=CELL_FONT_SIZE, baseline="middle")
        .encode(
            x=columns,
            y=rows,
            text=alt.Text("Text:N"),
            color=alt.Color("Ink:N", scale=None, legend=None),
            tooltip=tooltip,
        )
    )
    return alt.layer(
        cells,
        numbers,
        data=frame,
        title=title,
        width=alt.Step(CELL_WIDTH),
        height=alt.Step(ROW_HEIGHT),
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
    )


def _level_texts(levels: np.ndarray) -> pd.Categorical:
    """Each level as the cell prints it: two decimals, as every table does, or `—`.

    Levels on a scale take few distinct values, so each is worded once.
    """
    distinct, position = np.unique(levels, return_inverse=True)
    return _categories([NONE if np.isnan(v) else f"{v:.2f}" for v in distinct], position.ravel())


def _ramp_stops(lowest: float, highest: float) -> np.ndarray:
    return np.linspace(lowest, highest, len(LEVEL_RAMP))


def _ink(levels: np.ndarray, lowest: float, highest: float) -> pd.Categorical:
    """The text colour for each cell: black or white, whichever contrasts more with the
    cell's fill (WCAG relative luminance); black on an unrated, blank cell.

    The fill is worked out as Vega draws it: the ramp's colours interpolated
    linearly in RGB between its stops, clamped at the ends.
    """
    ramp = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in LEVEL_RAMP], float)
    stops = _ramp_stops(lowest, highest)
    rated = ~np.isnan(levels)
    fill = np.column_stack([np.interp(levels[rated], stops, ramp[:, k]) for k in range(3)])
    luminance = _relative_luminance(fill)
    dark_contrast = (luminance + 0.05) / 0.05  # against black, luminance 0
    light_contrast = 1.05 / (luminance + 0.05)  # against white, luminance 1
    light = np.zeros(len(levels), dtype=np.int8)
    light[rated] = dark_contrast < light_contrast
    return pd.Categorical.from_codes(light, [DARK_TEXT, LIGHT_TEXT])


def _relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours given as 0–255 channels, one per row."""
    channel = rgb / 255.0
    linear = np.where(channel <= 0.03928, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def distributions(dimensions: pd.DataFrame, group: str, titles: dict[str, str]) -> alt.FacetChart:
    """Box plots of the programs' dimension mean levels per group, one row per dimension.

    `dimensions` is `CohortScores.dimensions()` with a `group` column added.
    The five numbers of each box (min, quartiles, median, max; quartiles
    interpolated linearly, as Vega-Lite's own box plot does) are computed here,
    so the browser gets one row per group and dimension, not one per program.
    Every box is the same neutral colour: the group is on the axis.
    """
    titles = {key: chart_text(title) for key, title in titles.items()}
    frame = _five_numbers(dimensions[dimensions["mean_level"].notna()], group, titles)
    rows = alt.Y("Group:N", title=None, axis=alt.Axis(labelLimit=300))
    tooltip = [
        alt.Tooltip("Group:N"),
        alt.Tooltip("Dimension:N"),
        alt.Tooltip("Programs:Q", title="Programs rated"),
        *(alt.Tooltip(f"{name}:Q", format=".2f") for name in FIVE_NUMBERS),
    ]
    whiskers = (
        alt.Chart()
        .mark_rule(color=GROUP_COLOUR)
        .encode(
            x=alt.X("Min:Q", title="Mean level", scale=alt.Scale(zero=False)),
            x2=alt.X2("Max:Q"),
            y=rows,
            tooltip=tooltip,
        )
    )
    boxes = (
        alt.Chart()
        .mark_bar(size=12, color=GROUP_COLOUR)
        .encode(x=alt.X("Q1:Q"), x2=alt.X2("Q3:Q"), y=rows, tooltip=tooltip)
    )
    medians = (
        alt.Chart()
        .mark_tick(color=BOX_MEDIAN_COLOUR, size=12, thickness=2)
        .encode(x=alt.X("Median:Q"), y=rows, tooltip=tooltip)
    )
    return alt.layer(whiskers, boxes, medians, data=frame, width=420).facet(
        row=alt.Row(
            "Dimension:N",
            title=None,
            sort=list(titles.values()),
            header=alt.Header(labelAngle=0, labelAlign="left"),
        ),
        title="Spread of programs' mean levels by dimension",
    )


def _five_numbers(rated: pd.DataFrame, group: str, titles: dict[str, str]) -> pd.DataFrame:
    """Per dimension and group: programs rated and the five numbers of their levels.

    One group-by over a single integer key per (dimension, group), and every
    name worded once, not once per program.
    """
    columns = ["Dimension", "Group", "Programs", *FIVE_NUMBERS]
    if rated.empty:
        return pd.DataFrame(columns=columns)
    dimension, dimension_ids = pd.factorize(rated["dimension"], use_na_sentinel=False)
    groups, group_names = pd.factorize(rated[group], use_na_sentinel=False)
    key = dimension * len(group_names) + groups
    levels = pd.Series(rated["mean_level"].to_numpy(dtype=float)).groupby(key)
    numbers = levels.quantile(list(FIVE_NUMBERS.values())).unstack().round(2)
    present = numbers.index.to_numpy()
    dimension_titles = [titles.get(str(d), chart_text(d)) for d in dimension_ids]
    group_labels = [chart_text(None if pd.isna(g) else g) for g in group_names]  # as `str`
    return pd.DataFrame(
        {
            "Dimension": np.array(dimension_titles, dtype=object)[present // len(group_names)],
            "Group": np.array(group_labels, dtype=object)[present % len(group_names)],
            "Programs": levels.size().to_numpy(),
            **{name: numbers[q].to_numpy() for name, q in FIVE_NUMBERS.items()},
        }
    )[columns]


def dumbbell(program_changes: pd.DataFrame, dimension: str | None, title: str) -> alt.LayerChart:
    """Baseline → follow-up per program: a light grey dot, a dark navy dot, a line between,
    and a legend; the tooltip names the two rounds.

    `program_changes` is `cohorts.changes(...)`; `dimension` None is the overall level.
    """
    rows = program_changes[
        program_changes["dimension"].isna()
        if dimension is None
        else program_changes["dimension"] == dimension
    ].dropna(subset=["change"])
    frame = pd.DataFrame(
        {
            "Program": [chart_text(p) for p in rows["program"]],
            "Baseline": rows["baseline_level"].round(2).to_numpy(),
            "Follow-up": rows["follow_up_level"].round(2).to_numpy(),
            "Change": rows["change"].round(2).to_numpy(),
        }
    )
    first, last = (
        (chart_text(rows["baseline"].iloc[0]), chart_text(rows["follow_up"].iloc[0]))
        if len(rows)
        else ("baseline", "follow-up")
    )
    y = alt.Y(
        "Program:N",
        title=None,
        sort=alt.EncodingSortField(field="Change", op="max", order="descending"),
        axis=alt.Axis(labelLimit=300, labelOverlap=False),
    )
    tooltip = [
        alt.Tooltip("Program:N"),
        alt.Tooltip("Baseline:Q", title=f"Baseline ({first})", format=".2f"),
        alt.Tooltip("Follow-up:Q", title=f"Follow-up ({last})", format=".2f"),
        alt.Tooltip("Change:Q", format="+.2f"),
    ]
    line = (
        alt.Chart()
        .mark_rule(color=LINE_COLOUR, strokeWidth=2)
        .encode(
            x=alt.X("Baseline:Q", title="Mean level", scale=alt.Scale(zero=False)),
            x2=alt.X2("Follow-up:Q"),
            y=y,
            tooltip=tooltip,
        )
    )
    dots = (
        alt.Chart()
        .transform_fold(["Baseline", "Follow-up"], as_=["Round", "Level"])
        .mark_circle(size=60, opacity=1)
        .encode(
            x=alt.X("Level:Q"),
            y=y,
            color=alt.Color(
                "Round:N",
                scale=alt.Scale(
                    domain=["Baseline", "Follow-up"], range=[BASELINE_COLOUR, FOLLOW_UP_COLOUR]
                ),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(
        line,
        dots,
        data=frame,
        title=f"{chart_text(title)}: baseline → follow-up",
        height=alt.Step(ROW_HEIGHT + 4),
    )


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
    y = alt.Y("Dimension:N", sort=list(titles.values()), title=None, axis=alt.Axis(labelLimit=300))
    tooltip = [
        alt.Tooltip("Dimension:N"),
        alt.Tooltip("Level:Q", title="Mean level", format=".2f"),
        alt.Tooltip("Median:Q", title="Group median", format=".2f"),
        alt.Tooltip("Status:N"),
    ]
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("Level:Q", title="Mean level"),
            y=y,
            color=alt.Color("Status:N", scale=_status_scale(), legend=alt.Legend(title="Status")),
            tooltip=tooltip,
        )
    )
    ticks = (
        alt.Chart()
        .mark_tick(color=MEDIAN_COLOUR, thickness=3, size=22)
        .encode(x=alt.X("Median:Q"), y=y, tooltip=tooltip)
    )
    return alt.layer(
        bars,
        ticks,
        data=frame,
        title=f"{chart_text(program)} against the group median",
        height=alt.Step(28),
    )
