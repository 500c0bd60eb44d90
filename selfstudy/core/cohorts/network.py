"""Network needs and assets: the standards that the fewest and the most programs meet."""

from __future__ import annotations

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.groups import _summarize, groups_of
from selfstudy.core.cohorts.rounds import latest_rounds, without_duplicates
from selfstudy.core.cohorts.scoring import CohortScores


def standard_shares(scores: CohortScores) -> pd.DataFrame:
    """Per standard rated by any program, over each program's latest round: programs rated,
    meeting, the share meeting and the mean level; `order` is the rubric order."""
    latest = latest_rounds(without_duplicates(scores))
    arrays = latest.rubric
    group, groups = groups_of(latest, [])
    summary = _summarize(
        latest.standard_level,
        latest.standard_status,
        group,
        groups,
        "standard",
        arrays.standard_ids,
    )
    summary["dimension"] = np.array(arrays.dimension_ids, dtype=object)[arrays.standard_dimension]
    summary["order"] = np.arange(len(arrays.standard_ids))
    return summary[summary["rated"] > 0].reset_index(drop=True)


def needs(scores: CohortScores, count: int = 5, shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """The standards the smallest share of programs meets (lowest mean level breaks ties)."""
    shares = standard_shares(scores) if shares is None else shares
    ranked = shares.sort_values(["share_meets", "mean_level", "order"], kind="stable")
    return ranked.head(count).reset_index(drop=True)


def assets(
    scores: CohortScores, count: int = 5, shares: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The standards the largest share of programs meets (highest mean level breaks ties)."""
    shares = standard_shares(scores) if shares is None else shares
    ranked = shares.sort_values(
        ["share_meets", "mean_level", "order"], ascending=[False, False, True], kind="stable"
    )
    return ranked.head(count).reset_index(drop=True)
