"""Change between rounds: each program's levels at baseline and follow-up, and per group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.rounds import round_order, without_duplicates
from selfstudy.core.cohorts.scoring import CohortScores


def changes(
    scores: CohortScores,
    by: str = "cohort",
    baseline: str | None = None,
    follow_up: str | None = None,
) -> pd.DataFrame:
    """Per program and dimension: its level at baseline, at follow-up, and the change.

    Rounds pair by program `key` (the program id, or its name when it has no
    id). Baseline and follow-up default to the first and last round in
    `round_order`. A program counts when it has both rounds; `group` is the
    `by` field of its follow-up study (one network-wide group when `by` is the
    round). Overall levels appear as the dimension `None`.
    """
    scores = without_duplicates(scores)
    rounds = [r for r in round_order(scores.programs["round"]) if r is not None]
    if len(rounds) < 2 and (baseline is None or follow_up is None):
        return _empty_changes()
    baseline = rounds[0] if baseline is None else baseline
    follow_up = rounds[-1] if follow_up is None else follow_up
    programs = scores.programs
    first = programs.index[programs["round"] == baseline]
    last = programs.index[programs["round"] == follow_up]
    pairs = pd.merge(
        pd.DataFrame({"key": programs.loc[first, "key"].to_numpy(), "before": first}),
        pd.DataFrame({"key": programs.loc[last, "key"].to_numpy(), "after": last}),
        on="key",
    )
    if pairs.empty:
        return _empty_changes()
    before, after = pairs["before"].to_numpy(), pairs["after"].to_numpy()
    ids = [*scores.rubric.dimension_ids, None]
    level_before = np.column_stack([scores.dimension_level[before], scores.overall_level[before]])
    level_after = np.column_stack([scores.dimension_level[after], scores.overall_level[after]])
    group = (
        programs[by].to_numpy(dtype=object)[after]
        if by != "round" and by in programs
        else np.full(len(after), None, dtype=object)
    )
    count = len(ids)
    return pd.DataFrame(
        {
            "group": np.repeat(group, count),
            "key": np.repeat(pairs["key"].to_numpy(), count),
            "program": np.repeat(programs["program"].to_numpy()[after], count),
            "baseline": baseline,
            "follow_up": follow_up,
            "dimension": ids * len(pairs),
            "baseline_level": level_before.ravel(),
            "follow_up_level": level_after.ravel(),
            "change": (level_after - level_before).ravel(),
        }
    )


def _empty_changes() -> pd.DataFrame:
    columns = ["group", "key", "program", "baseline", "follow_up", "dimension"]
    numbers = ["baseline_level", "follow_up_level", "change"]
    return pd.DataFrame(
        {
            **{c: pd.Series(dtype=object) for c in columns},
            **dict.fromkeys(numbers, pd.Series(dtype=float)),
        }
    )


def change_summary(program_changes: pd.DataFrame) -> pd.DataFrame:
    """Per group and dimension: programs with both rounds rated, mean and median change,
    and the share that improved."""
    rated = program_changes.dropna(subset=["change"]).assign(
        improved=lambda f: (f["change"] > 0).astype(int)
    )
    keys = ["group", "baseline", "follow_up", "dimension"]
    summary = (
        rated.groupby(keys, dropna=False, sort=False)
        .agg(
            programs=("key", "size"),
            mean_change=("change", "mean"),
            median_change=("change", "median"),
            improved=("improved", "sum"),
        )
        .reset_index()
    )
    summary["share_improved"] = summary["improved"] / summary["programs"]
    return summary
