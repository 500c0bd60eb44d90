"""Which studies count: rounds in order, one study per program and round, latest rounds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.scoring import CohortScores
from selfstudy.core.cohorts.table import _missing
from selfstudy.core.rounds import round_key


def round_order(rounds: Iterable[str | None]) -> list[str | None]:
    """Rounds from first to last: no round, then the order of `selfstudy.core.rounds.round_key`.

    So baseline-like names, then midpoint-like, then follow-up-like, then other
    names, each in natural order (`Round 2` before `Round 10`).
    """

    def key(name: str | None) -> tuple[Any, ...]:
        return (0,) if name is None else (1, round_key(name), name)

    values = rounds.unique() if isinstance(rounds, pd.Series) else set(rounds)
    return sorted({None if _missing(r) else r for r in values}, key=key)


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
