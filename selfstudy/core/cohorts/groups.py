"""Groups of programs (a cohort, a round, any program field) and how each group stands
on every dimension and standard; one program against its group's median."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.rounds import round_order
from selfstudy.core.cohorts.scoring import MEETS, CohortScores
from selfstudy.core.cohorts.table import _missing
from selfstudy.core.scoring import STATUSES


def group_fields(by: str) -> list[str]:
    """The program fields a comparison groups by: `by`, and the round unless `by` is the round.

    Grouping a cohort's baseline and follow-up together would count each
    program twice, so every other grouping is split by round as well.
    """
    return [by] if by == "round" else [by, "round"]


def levels_by_group(scores: CohortScores, fields: list[str], dimensions: list[str]) -> pd.DataFrame:
    """Each study's level in these dimensions, with its group as one label (`2025 · baseline`)."""
    frame = scores.dimensions()
    labels = [
        " · ".join(str(v) for v in values)
        for values in zip(*(scores.programs[f] for f in fields), strict=True)
    ]
    frame["group"] = pd.Series(labels).to_numpy()[frame["study"]]
    return frame[frame["dimension"].isin(dimensions)]


def groups_of(scores: CohortScores, fields: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each study's group number, and the groups' field values, in display order.

    Rounds go first to last (`round_order`), other values sorted with missing
    last; group k is row k of the returned table.
    """
    programs = scores.programs
    if not fields:
        return np.zeros(len(programs), dtype=np.int64), pd.DataFrame(index=[0])
    keys = pd.DataFrame(
        {f: programs[f].to_numpy(dtype=object) if f in programs else None for f in fields},
        index=programs.index,
        dtype=object,  # keeps a missing cohort None, as the JSON shows it
    )
    first = keys.groupby(fields, dropna=False, sort=False).ngroup().to_numpy()
    groups = keys.iloc[np.unique(first, return_index=True)[1]].reset_index(drop=True)
    ranks = pd.DataFrame(index=groups.index)
    for name in fields:
        values = groups[name].tolist()
        ordered = round_order(values) if name == "round" else _sorted_keys(values)
        rank = {_key(value): i for i, value in enumerate(ordered)}
        ranks[name] = [rank[_key(v)] for v in values]
    order = ranks.sort_values(fields, kind="stable").index.to_numpy()
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return position[first], groups.iloc[order].reset_index(drop=True)


def _key(value: Any) -> Any:
    return None if _missing(value) else value


STATISTICS = ["count", "mean", "median", "std", "min", "max"]


def _summarize(
    levels: np.ndarray,
    status: np.ndarray,
    group: np.ndarray,
    groups: pd.DataFrame,
    part: str,
    ids: list[str],
) -> pd.DataFrame:
    """Per group and column: programs, rated, mean/median/std/min/max of levels, share meeting.

    One pandas group-by over the studies × parts matrix: the statistics of every
    column come out of the same pass.
    """
    count = len(ids)
    grouped = pd.DataFrame(levels).groupby(group, sort=True)
    stats = {name: getattr(grouped, name)() for name in STATISTICS}
    meets = pd.DataFrame(status == MEETS).groupby(group, sort=True).sum().to_numpy()
    present = stats["count"].index.to_numpy()
    size = np.bincount(group, minlength=len(groups))[present]

    def column(name: str) -> np.ndarray:
        return stats[name].to_numpy(dtype=float).ravel()

    rated = column("count").astype(np.int64)
    summary = groups.iloc[np.repeat(present, count)].reset_index(drop=True)
    summary[part] = pd.Categorical.from_codes(np.tile(np.arange(count), len(present)), ids)
    summary["programs"] = np.repeat(size, count)
    summary["rated"] = rated
    summary["mean_level"] = column("mean")
    summary["median_level"] = column("median")
    summary["std_level"] = column("std")
    summary["min_level"] = column("min")
    summary["max_level"] = column("max")
    summary["meets"] = meets.ravel().astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        summary["share_meets"] = np.where(rated > 0, summary["meets"] / rated, np.nan)
    return summary


def dimension_summary(scores: CohortScores, by: str) -> pd.DataFrame:
    """Per group and dimension: how the group's programs stand on the dimension.

    `programs` counts the group's studies, `rated` those with the dimension
    rated; the mean, median, spread (sample standard deviation, min, max) are
    over the rated programs' dimension mean levels, and `share_meets` is
    meets ÷ rated (NaN when none is rated).
    """
    group, groups = groups_of(scores, group_fields(by))
    return _summarize(
        scores.dimension_level,
        scores.dimension_status,
        group,
        groups,
        "dimension",
        scores.rubric.dimension_ids,
    )


def standard_summary(scores: CohortScores, by: str) -> pd.DataFrame:
    """Per group and standard: as `dimension_summary`, over the standards' mean levels."""
    fields = group_fields(by)
    group, groups = groups_of(scores, fields)
    arrays = scores.rubric
    summary = _summarize(
        scores.standard_level,
        scores.standard_status,
        group,
        groups,
        "standard",
        arrays.standard_ids,
    )
    dimension = np.array(arrays.dimension_ids, dtype=object)[arrays.standard_dimension]
    summary.insert(len(fields) + 1, "dimension", dimension[summary["standard"].cat.codes])
    return summary


def _sorted_keys(values: Iterable[Any]) -> list[Any]:
    present = {v for v in values if not _missing(v)}
    return [*sorted(present, key=lambda v: (str(type(v)), v)), None]


def against_group(
    scores: CohortScores, study: int, by: str = "cohort", among: CohortScores | None = None
) -> pd.DataFrame:
    """One study's dimension levels next to the median of its group (same `by` value and round).

    The group is taken from `among` when given (the studies that count, for a
    study a completeness threshold left out), else from `scores`.
    """
    fields = group_fields(by)
    group_scores = scores if among is None else among
    programs = group_scores.programs
    same = np.ones(len(group_scores), dtype=bool)
    for name in fields:
        column = programs[name].to_numpy(dtype=object) if name in programs else None
        if column is not None:
            mine = scores.programs[name].iloc[study] if name in scores.programs else None
            same &= np.array([_same_key(v, mine) for v in column], dtype=bool)
    with np.errstate(all="ignore"):
        group = group_scores.dimension_level[same]
        median = (
            np.nanmedian(group, axis=0)
            if np.isfinite(group).any()
            else np.full(group.shape[1], np.nan)
        )
    own = scores.dimension_level[study]
    return pd.DataFrame(
        {
            "dimension": scores.rubric.dimension_ids,
            "mean_level": own,
            "status": [STATUSES[s] for s in scores.dimension_status[study]],
            "group_median": median,
            "difference": own - median,
            "group_programs": int(same.sum()),
        }
    )


def _same_key(value: Any, other: Any) -> bool:
    return (_missing(value) and _missing(other)) or value == other
