"""Which self-studies count in a cohort comparison: those complete enough.

A self-study a team has only begun would pull its cohort's means, medians,
needs and assets towards whatever it happens to have answered so far, so a
comparison counts only the studies at least `min_complete` percent complete
(by default every required item answered) and says which it left out and why.

Completeness is `CohortScores.completeness`, the figure a program leader sees
in the Self-study page's progress bar ("31/50 required answered") and that
`scoring.score` gives: required items answered ÷ required items shown. An item
answered N/A counts as answered (the team said it does not apply), an item that
`show_if` hides counts neither way, and a study with no required item shown is
complete. So a study the page shows as finished always counts by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.rounds import without_duplicates
from selfstudy.core.cohorts.scoring import CohortScores
from selfstudy.core.cohorts.table import _missing

DEFAULT_MIN_COMPLETE = 100.0  # percent: every required item answered


def check_min_complete(min_complete: float) -> float:
    """The threshold as a float from 0 to 100; a ValueError for anything else."""
    value = float(min_complete)
    if not 0.0 <= value <= 100.0:  # also refuses NaN
        raise ValueError(f"a completeness threshold is a percentage from 0 to 100, not {value:g}")
    return value


def counts(scores: CohortScores, min_complete: float = DEFAULT_MIN_COMPLETE) -> np.ndarray:
    """Whether each study is at least `min_complete` percent complete.

    Compared exactly, in whole numbers (answered × 100 × d ≥ n × required for a
    threshold of n/d), so 2 of 3 answered is below a threshold of 66.67% and
    reaches 66.66%, with no rounding of the completeness in between.
    """
    numerator, denominator = check_min_complete(min_complete).as_integer_ratio()
    answered, required = scores.answered, scores.required
    if denominator != 1:  # Python integers: the products outgrow 64 bits
        answered, required = answered.astype(object), required.astype(object)
    return np.asarray(answered * (100 * denominator) >= required * numerator, dtype=bool)


def threshold_text(percent: float) -> str:
    """A threshold as it is written to people: `100%`, `62.5%`."""
    return f"{percent:g}%"


def complete_percent(answered: int, required: int) -> int:
    """How complete a study is in whole percent, rounded down: an unfinished study never
    reads 100%, and one just below a threshold never reads as reaching it."""
    return 100 if required == 0 else answered * 100 // required


def study_label(program: Any, cohort: Any = None, round_: Any = None) -> str:
    """A study as a facilitator names it: the program, with its cohort and round."""
    about = ", ".join(str(v) for v in (cohort, round_) if not _missing(v))
    return f"{program} ({about})" if about else str(program)


@dataclass(frozen=True)
class LeftOut:
    """The studies a completeness threshold left out of a comparison, and why.

    `scores` holds the left-out studies' own scores (under pseudonyms when the
    comparison is), so a face can still show one program's figures, marked as
    unfinished. The words are worked out once, when first asked for: the app
    keeps a comparison in its cache and draws them on every rerun.
    """

    min_complete: float
    scores: CohortScores

    def __len__(self) -> int:
        return len(self.scores)

    def summary(self) -> str:
        """One line for a notice: `2 self-studies left out: not yet 100% complete`."""
        count = len(self)
        studies = "self-study" if count == 1 else "self-studies"
        return f"{count} {studies} left out: not yet {threshold_text(self.min_complete)} complete"

    def reason(self, study: int) -> str:
        """Why study `study` is left out, in words, without its name:
        `61% of required items answered (47 of 76); the threshold is 100%`."""
        return self._columns["reason"][study]

    def reasons(self) -> list[str]:
        """`Bridge Academy (2025, baseline): 61% of required items answered (47 of 76); …`"""
        columns = self._columns
        pairs = zip(columns["label"], columns["reason"], strict=True)
        return [f"{label}: {why}" for label, why in pairs]

    def labels(self) -> list[str]:
        return list(self._columns["label"])

    def table(self) -> pd.DataFrame:
        """One row per left-out study: label, program, key, cohort, round, answered,
        required, complete (whole percent, rounded down) and reason. The same frame each
        time: copy it before changing it."""
        return self._table

    @cached_property
    def _table(self) -> pd.DataFrame:
        return pd.DataFrame(self._columns)

    def to_list(self) -> list[dict[str, Any]]:
        """The `left_out` list of `selfstudy cohort --format json`."""
        columns = self._columns
        names = ["program", "key", "cohort", "round", "answered", "required"]
        return [
            {
                **dict(zip(names, values, strict=True)),
                "completeness": round(values[4] / values[5], 4) if values[5] else 1.0,
                "reason": why,
            }
            for *values, why in zip(*(columns[n] for n in names), columns["reason"], strict=True)
        ]

    @cached_property
    def _columns(self) -> dict[str, list[Any]]:
        programs = self.scores.programs
        program, key = programs["program"].tolist(), programs["key"].tolist()
        cohort = [None if _missing(v) else v for v in programs["cohort"].tolist()]
        round_ = [None if _missing(v) else v for v in programs["round"].tolist()]
        answered = [int(a) for a in self.scores.answered]
        required = [int(r) for r in self.scores.required]
        complete = list(map(complete_percent, answered, required))
        threshold = threshold_text(self.min_complete)
        return {
            "label": list(map(study_label, program, cohort, round_)),
            "program": program,
            "key": key,
            "cohort": cohort,
            "round": round_,
            "answered": answered,
            "required": required,
            "complete": complete,
            "reason": [
                f"{c}% of required items answered ({a} of {r}); the threshold is {threshold}"
                for c, a, r in zip(complete, answered, required, strict=True)
            ],
        }


def nothing_left_out(scores: CohortScores) -> LeftOut:
    """No threshold: every study counts (threshold 0)."""
    return LeftOut(0.0, scores.subset([]))


@dataclass(frozen=True)
class Counted:
    """The studies that count (`scores`) and those left out as not complete enough."""

    scores: CohortScores
    left_out: LeftOut


def counted(scores: CohortScores, min_complete: float = DEFAULT_MIN_COMPLETE) -> Counted:
    """Split `scores` into the studies at least `min_complete` percent complete and the rest.

    A program with two studies of one round counts once, with the later
    (`without_duplicates`): that one is the study judged, so an earlier,
    replaced study is neither counted nor listed as left out.
    """
    scores = without_duplicates(scores)
    keep = counts(scores, min_complete)
    return Counted(
        scores=scores.subset(np.flatnonzero(keep)),
        left_out=LeftOut(check_min_complete(min_complete), scores.subset(np.flatnonzero(~keep))),
    )
