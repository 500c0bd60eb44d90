"""Change between two rounds of the same program's self-study.

A program rates itself more than once (a baseline, perhaps a midpoint, a
follow-up). This module finds the round before a given self-study and lists
what changed, so results can say "up 0.40 since the baseline".

**Same program**: both self-studies are for the same rubric id and either both
carry a `program.id` and the ids are equal, or (when either lacks an id) the
names are equal ignoring case and spacing.

**Round order** between two self-studies, first rule that applies:

1. both have a `program.completed_on` ISO date (`2025-03-15`): the earlier date;
2. both have a `program.round` name: the order of `round_key`.

Otherwise the two cannot be ordered and neither counts as earlier.

`round_key` is the one order of round names, also used for cohorts: first the
stage, baseline (also pre, start, initial, before, first) < midpoint (mid,
midyear, interim) < follow-up (followup, post, endline, final) < any name that
is not a stage; then the natural order of the names, so `Round 2` < `Round 10`
and `2024` < `2025`. A name is a stage when its letters alone (`Follow-up 2025`
→ `followup`) or its first word (`pre-test` → `pre`) is one of those words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cmp_to_key
from typing import Any, Literal

from selfstudy.core.scoring import Result, Score, Status
from selfstudy.core.study import SelfStudy

STAGES: dict[str, int] = {
    **dict.fromkeys(("baseline", "pre", "start", "initial", "before", "first"), 0),
    **dict.fromkeys(("midpoint", "mid", "midyear", "interim"), 1),
    **dict.fromkeys(("followup", "post", "endline", "final"), 2),
}
NOT_A_STAGE = 3  # names that are no stage come after every stage

Kind = Literal["overall", "dimension", "standard"]


@dataclass(frozen=True)
class Change:
    """How one score moved between two rounds."""

    kind: Kind
    id: str
    title: str
    before_level: float | None
    after_level: float | None
    before_status: Status
    after_status: Status
    dimension: str = ""  # the dimension id of a standard

    @property
    def delta(self) -> float | None:
        """After minus before, None when either round has no level."""
        if self.before_level is None or self.after_level is None:
            return None
        return self.after_level - self.before_level

    @property
    def direction(self) -> str:
        """In words: up, down, same (within 0.005), newly rated, no longer rated, not rated."""
        delta = self.delta
        if delta is None:
            if self.after_level is not None:
                return "newly rated"
            return "no longer rated" if self.before_level is not None else "not rated"
        if abs(delta) < 0.005:
            return "same"
        return "up" if delta > 0 else "down"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "dimension": self.dimension,
            "before_level": _round(self.before_level),
            "after_level": _round(self.after_level),
            "delta": _round(self.delta),
            "before_status": self.before_status,
            "after_status": self.after_status,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- which round came before ----------------------------------------------------------


def same_program(a: SelfStudy, b: SelfStudy) -> bool:
    """Whether two self-studies are rounds of one program (see the module docstring)."""
    if a.rubric.id != b.rubric.id:
        return False
    if a.program.id and b.program.id:
        return a.program.id.strip() == b.program.id.strip()
    return _words(a.program.name) == _words(b.program.name)


def compare_rounds(a: SelfStudy, b: SelfStudy) -> int:
    """-1 when `a` is an earlier round than `b`, 1 when later, 0 when equal or unknown.

    A rule whose keys are equal (two rounds on one date) hands over to the next rule.
    """
    for key in (_completed_on, _round_name_key):
        ka, kb = key(a), key(b)
        if ka is not None and kb is not None and ka != kb:
            return -1 if ka < kb else 1
    return 0


def previous_round(study: SelfStudy, others: list[SelfStudy]) -> SelfStudy | None:
    """The latest of `others` that is the same program and an earlier round than `study`."""
    earlier = [
        other
        for other in others
        if other is not study and same_program(other, study) and compare_rounds(other, study) < 0
    ]
    if not earlier:
        return None
    return max(earlier, key=cmp_to_key(compare_rounds))


def round_label(study: SelfStudy) -> str:
    """How to name a round to a reader: `baseline, 2025-03-15`, or the program name."""
    parts = [str(p) for p in (study.program.round, _extra(study, "completed_on")) if p]
    return ", ".join(parts) or study.program.name


def _extra(study: SelfStudy, key: str) -> Any:
    return (study.program.model_extra or {}).get(key)


def _completed_on(study: SelfStudy) -> date | None:
    raw = _extra(study, "completed_on")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip()[:10]) if raw else None
    except ValueError:
        return None


def round_key(name: str) -> tuple[int, tuple[Any, ...]]:
    """Sort key of a round name: its stage, then its natural order (see the module docstring)."""
    words = _words(name)
    first_word = re.split(r"[^a-z]+", words.strip())[0] if words.strip() else ""
    stage = STAGES.get(re.sub(r"[^a-z]", "", words), STAGES.get(first_word, NOT_A_STAGE))
    parts = re.split(r"(\d+)", words)
    return stage, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _round_name_key(study: SelfStudy) -> tuple[int, tuple[Any, ...]] | None:
    name = study.program.round
    return round_key(name) if name and name.strip() else None


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- what changed ---------------------------------------------------------------------


def changes(before: Result, after: Result) -> list[Change]:
    """Overall, then each dimension, then each standard of `after`, against `before`.

    Dimensions and standards are matched by id; one that `before` lacks counts as
    not rated there.
    """
    found = [_change("overall", "overall", "Overall", before.overall, after.overall)]
    old_dimensions = {d.id: d.score for d in before.dimensions}
    found += [
        _change("dimension", d.id, d.title, old_dimensions.get(d.id), d.score)
        for d in after.dimensions
    ]
    old_standards = {s.id: s.score for s in before.standards}
    found += [
        _change("standard", s.id, s.title, old_standards.get(s.id), s.score, s.dimension)
        for s in after.standards
    ]
    return found


def _change(
    kind: Kind, item_id: str, title: str, before: Score | None, after: Score, dimension: str = ""
) -> Change:
    return Change(
        kind=kind,
        id=item_id,
        title=title,
        before_level=before.mean_level if before else None,
        after_level=after.mean_level,
        before_status=before.status if before else "not_rated",
        after_status=after.status,
        dimension=dimension,
    )
