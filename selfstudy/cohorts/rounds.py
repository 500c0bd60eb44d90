"""Which studies count: rounds in order, one study per program and round, latest rounds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.cohorts.scoring import CohortScores
from selfstudy.cohorts.table import _missing

_BASELINE_WORDS = ("baseline", "pre", "before", "initial", "first")


def round_order(rounds: Iterable[str | None]) -> list[str | None]:
    """Rounds from first to last: no round, then baseline-like names, then natural order.

    Natural order compares the numbers in names as numbers (`Round 2` before
    `Round 10`); `baseline` (or `pre`, `initial`, …) comes before `follow-up`
    whatever the alphabet says.
    """

    def key(name: str | None) -> tuple[int, list[Any]]:
        if name is None:
            return (0, [])
        first_word = re.split(r"[\s_-]+", name.strip().casefold())[0]
        parts = re.split(r"(\d+)", name.casefold())
        return (1 if first_word in _BASELINE_WORDS else 2, [_natural(p) for p in parts])

    values = rounds.unique() if isinstance(rounds, pd.Series) else set(rounds)
    return sorted({None if _missing(r) else r for r in values}, key=key)


def _natural(part: str) -> tuple[int, Any]:
    return (0, int(part)) if part.isdigit() else (1, part)


def duplicate_studies(programs: pd.DataFrame) -> pd.DataFrame:
    """Studies that a later study of the same program and round replaces."""
    repeated = programs.duplicated(["key", "round"], keep="last")
    return programs[repeated.to_numpy()]


def without_duplicates(scores: CohortScores) -> CohortScores:
    """One study per program and round: the last one given."""
    keep = ~scores.programs.duplicated(["key", "round"], keep="last").to_numpy()
    return scores if keep.all() else scores.subset(np.flatnonzero(keep))


def latest_rounds(scores: CohortScores) -> CohortScores:
    """Each program's study from its latest round."""
    order = {name: rank for rank, name in enumerate(round_order(scores.programs["round"]))}
    rank = scores.programs["round"].map(lambda r: order[r]).to_numpy()
    frame = pd.DataFrame({"key": scores.programs["key"].to_numpy(), "rank": rank})
    latest = frame.sort_values("rank", kind="stable").drop_duplicates("key", keep="last")
    return scores.subset(np.sort(latest.index.to_numpy()))
