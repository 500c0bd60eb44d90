"""Many self-studies side by side: one long table, scored at once, then compared.

A facilitator's network holds hundreds of self-studies. Scoring them one by one
with `scoring.score` is exact but slow, so this module turns them into one long
table of answers (study, item, value) and scores every study at once with
numpy, following `rubric-format.md` to the letter: N/A, unanswered and
`show_if`-hidden items are left out, item and standard weights count, targets
inherit, and "approaching" means at least target − one scale step.

The per-study numbers are bitwise the same as `scoring.score` gives: every
weighted mean adds the same products in the same (rubric) order, starting from
0.0, as `scoring.weighted_mean` does; a missing rating adds an exact 0.0.

On top of the scores sit the comparisons a facilitator asks for: per group
(cohort, round or any program field) and dimension or standard, the number of
programs, the mean and median of their mean levels, the spread and the share
that meets the target; the change from baseline to follow-up, pairing a
program's rounds by program id; the standards that the fewest and the most
programs meet (network needs and assets); one program against its group's
median; and stable pseudonyms for sharing outside the network.

Pure pandas/numpy: no I/O, no printing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.rubric import Rubric, ShowIf
from selfstudy.scoring import STATUSES
from selfstudy.study import Answer, SelfStudy, condition_holds, is_answered, is_na

PROGRAM_FIELDS = ("name", "id", "organization", "cohort", "round")
# Status codes in the score matrices: positions in `scoring.STATUSES`.
MEETS, APPROACHING, NOT_YET, NOT_RATED = range(len(STATUSES))
DEFAULT_PSEUDONYM_SECRET = "selfstudy"
# The environment variable the app and the CLI read a network's own pseudonym secret from.
PSEUDONYM_SECRET_VARIABLE = "SELFSTUDY_PSEUDONYM_SECRET"


# --- the rubric as arrays ------------------------------------------------------------


@dataclass(frozen=True)
class RubricArrays:
    """The rubric's items, standards and dimensions as parallel arrays in rubric order."""

    rubric: Rubric
    item_ids: list[str]
    item_rating: np.ndarray
    item_required: np.ndarray
    item_weight: np.ndarray
    item_standard: np.ndarray
    standard_ids: list[str]
    standard_weight: np.ndarray
    standard_dimension: np.ndarray
    standard_target: np.ndarray
    standard_floor: np.ndarray  # target − one scale step: "approaching" from here
    dimension_ids: list[str]
    dimension_weight: np.ndarray
    dimension_target: np.ndarray
    dimension_floor: np.ndarray

    @cached_property
    def item_code(self) -> dict[str, int]:
        return {item_id: code for code, item_id in enumerate(self.item_ids)}

    @cached_property
    def show_if(self) -> list[tuple[int, int, ShowIf]]:
        """(item code, source item code, rule) for each item with `show_if`, in rubric order."""
        return [
            (self.item_code[item.id], self.item_code[item.show_if.item], item.show_if)
            for item in self.rubric.items()
            if item.show_if is not None
        ]


def rubric_arrays(rubric: Rubric) -> RubricArrays:
    items = list(rubric.items())
    standards = list(rubric.standards())
    standard_code = {s.id: code for code, s in enumerate(standards)}
    dimension_code = {d.id: code for code, d in enumerate(rubric.dimensions)}
    step = rubric.scale.step_below
    standard_targets = [rubric.standard_target(s) for s in standards]
    dimension_targets = [rubric.dimension_target(d) for d in rubric.dimensions]
    return RubricArrays(
        rubric=rubric,
        item_ids=[i.id for i in items],
        item_rating=np.array([i.is_rating for i in items], dtype=bool),
        item_required=np.array([i.is_required for i in items], dtype=bool),
        item_weight=np.array([i.weight for i in items], dtype=float),
        item_standard=np.array([standard_code[rubric.standard_of_item[i.id].id] for i in items]),
        standard_ids=[s.id for s in standards],
        standard_weight=np.array([s.weight for s in standards], dtype=float),
        standard_dimension=np.array(
            [dimension_code[rubric.dimension_of_standard[s.id].id] for s in standards]
        ),
        standard_target=np.array(standard_targets, dtype=float),
        standard_floor=np.array([t - step(t) for t in standard_targets], dtype=float),
        dimension_ids=[d.id for d in rubric.dimensions],
        dimension_weight=np.array([d.weight for d in rubric.dimensions], dtype=float),
        dimension_target=np.array(dimension_targets, dtype=float),
        dimension_floor=np.array([t - step(t) for t in dimension_targets], dtype=float),
    )


# --- the long table ------------------------------------------------------------------


_value_of = operator.attrgetter("value")


class _ItemCodes(dict):
    """Item id -> code; an id the rubric does not know gets -1 (and is left out)."""

    def __missing__(self, key: str) -> int:
        return -1


@dataclass(frozen=True)
class Answers:
    """Every answer of every study as parallel arrays: the long table, unlabelled."""

    study: np.ndarray  # int: position of the study in the input
    item: np.ndarray  # int: item code in rubric order, -1 for an unknown id
    value: np.ndarray  # object: the raw answer value


def collect_answers(rubric: RubricArrays, answer_maps: Sequence[dict[str, Answer]]) -> Answers:
    """The answers of many studies (each a `study.answers` map) as one long table.

    Two C-level passes per study (`map` over the keys and over the answers):
    pydantic objects are read, never re-validated or dumped.
    """
    codes = _ItemCodes(rubric.item_code)
    item_codes: list[int] = []
    values: list[Any] = []
    counts = np.empty(len(answer_maps), dtype=np.int64)
    for position, answers in enumerate(answer_maps):
        counts[position] = len(answers)
        item_codes.extend(map(codes.__getitem__, answers))
        values.extend(map(_value_of, answers.values()))
    value_array = np.empty(len(values), dtype=object)
    value_array[:] = values
    return Answers(
        study=np.repeat(np.arange(len(answer_maps)), counts),
        item=np.array(item_codes, dtype=np.int32),
        value=value_array,
    )


def long_table(
    rubric: Rubric, studies: Sequence[SelfStudy], *, pseudonym_secret: str | None = None
) -> pd.DataFrame:
    """One row per answer: program, cohort, round, item and value (and the study's position).

    With `pseudonym_secret`, programs appear under their pseudonyms.
    """
    arrays = rubric_arrays(rubric)
    answers = collect_answers(arrays, [s.answers for s in studies])
    programs = programs_table(studies)
    if pseudonym_secret is not None:
        programs = pseudonymized(programs, pseudonym_secret)
    known = answers.item >= 0
    rows = answers.study[known]
    return pd.DataFrame(
        {
            "study": rows,
            "program": programs["program"].to_numpy()[rows],
            "cohort": programs["cohort"].to_numpy()[rows],
            "round": programs["round"].to_numpy()[rows],
            "item": pd.Categorical.from_codes(answers.item[known], categories=arrays.item_ids),
            "value": answers.value[known],
        }
    )


def programs_table(studies: Sequence[SelfStudy]) -> pd.DataFrame:
    """One row per study: `program` (the name shown), `key` (how rounds pair), and its fields.

    A program's rounds pair by program id, or by name when a study has no id.
    Extra program fields (`completed_on`, a region, …) become columns too, so
    any of them can be a grouping. Columns hold plain Python objects.
    """
    programs = [study.program for study in studies]
    columns = {name: list(map(operator.attrgetter(name), programs)) for name in PROGRAM_FIELDS}
    extras = [program.model_extra or {} for program in programs]
    for name in dict.fromkeys(name for extra in extras for name in extra):
        if name not in columns:
            columns[name] = [_plain_field(extra.get(name)) for extra in extras]
    columns["key"] = [pid or name for pid, name in zip(columns["id"], columns["name"], strict=True)]
    columns["program"] = columns["name"]
    return pd.DataFrame(columns, dtype=object)


def _plain_field(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float) else str(value)


# --- scoring all studies at once -----------------------------------------------------


@dataclass(frozen=True)
class CohortScores:
    """The scores of many studies: one row per study in `programs`, matrices by code.

    `standard_level[s, j]` is study s's mean level on standard j (NaN when not
    rated), `standard_status[s, j]` its status code (index into `STATUSES`);
    likewise for dimensions and `overall_*`.
    """

    rubric: RubricArrays
    programs: pd.DataFrame
    standard_level: np.ndarray
    standard_status: np.ndarray
    dimension_level: np.ndarray
    dimension_status: np.ndarray
    overall_level: np.ndarray
    overall_status: np.ndarray
    answered: np.ndarray
    required: np.ndarray

    def __len__(self) -> int:
        return len(self.programs)

    @property
    def completeness(self) -> np.ndarray:
        return np.divide(
            self.answered,
            self.required,
            out=np.ones(len(self.answered)),
            where=self.required > 0,
        )

    def dimensions(self) -> pd.DataFrame:
        """One row per study and dimension: level, status, target, gap."""
        return self._long(
            "dimension", self.rubric.dimension_ids, self.dimension_level, self.dimension_status
        ).assign(target=np.tile(self.rubric.dimension_target, len(self)))

    def standards(self) -> pd.DataFrame:
        """One row per study and standard: dimension, level, status, target."""
        arrays = self.rubric
        return self._long(
            "standard", arrays.standard_ids, self.standard_level, self.standard_status
        ).assign(
            dimension=pd.Categorical.from_codes(
                np.tile(arrays.standard_dimension, len(self)), categories=arrays.dimension_ids
            ),
            target=np.tile(arrays.standard_target, len(self)),
        )

    def _long(
        self, name: str, ids: list[str], level: np.ndarray, status: np.ndarray
    ) -> pd.DataFrame:
        count = len(ids)
        return pd.DataFrame(
            {
                "study": np.repeat(np.arange(len(self)), count),
                name: pd.Categorical.from_codes(np.tile(np.arange(count), len(self)), ids),
                "mean_level": level.ravel(),
                "status": pd.Categorical.from_codes(status.ravel(), STATUSES),
            }
        )

    def subset(self, rows: np.ndarray | Sequence[int]) -> CohortScores:
        """The scores of the studies at these positions (a filter keeps scores as they are)."""
        rows = np.asarray(rows, dtype=np.int64)
        return CohortScores(
            rubric=self.rubric,
            programs=self.programs.iloc[rows].reset_index(drop=True),
            standard_level=self.standard_level[rows],
            standard_status=self.standard_status[rows],
            dimension_level=self.dimension_level[rows],
            dimension_status=self.dimension_status[rows],
            overall_level=self.overall_level[rows],
            overall_status=self.overall_status[rows],
            answered=self.answered[rows],
            required=self.required[rows],
        )

    def where(self, **fields: str | Iterable[str] | None) -> CohortScores:
        """The studies whose program fields take these values (None or empty: any)."""
        keep = np.ones(len(self), dtype=bool)
        for name, wanted in fields.items():
            if wanted is None or name not in self.programs:
                continue
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            if wanted:
                keep &= self.programs[name].isin(wanted).to_numpy()
        return self.subset(np.flatnonzero(keep))

    def with_pseudonyms(
        self, secret: str = DEFAULT_PSEUDONYM_SECRET, keep: Iterable[str] = ("cohort", "round")
    ) -> CohortScores:
        """The same scores with programs under pseudonyms (see `pseudonymized`)."""
        return replace(self, programs=pseudonymized(self.programs, secret, keep))

    def result_dict(self, study: int) -> dict[str, Any]:
        """Study `study`'s scores in the shape of `Result.to_dict()` (without priorities)."""
        arrays = self.rubric
        scale = arrays.rubric.scale
        return {
            "overall": {
                **_score_dict(
                    self.overall_level[study],
                    self.overall_status[study],
                    arrays.rubric.target,
                    scale,
                ),
                "completeness": round(float(self.completeness[study]), 4),
            },
            "dimensions": [
                {
                    "id": dimension.id,
                    "title": dimension.title,
                    **_score_dict(
                        self.dimension_level[study, j],
                        self.dimension_status[study, j],
                        arrays.rubric.dimension_target(dimension),
                        scale,
                    ),
                }
                for j, dimension in enumerate(arrays.rubric.dimensions)
            ],
            "standards": [
                {
                    "id": standard.id,
                    "dimension": arrays.dimension_ids[arrays.standard_dimension[j]],
                    "title": standard.title,
                    **_score_dict(
                        self.standard_level[study, j],
                        self.standard_status[study, j],
                        arrays.rubric.standard_target(standard),
                        scale,
                    ),
                }
                for j, standard in enumerate(arrays.rubric.standards())
            ],
        }


def _score_dict(level: float, status: int, target: float, scale: Any) -> dict[str, Any]:
    rated = not math.isnan(level)
    percent = (level - scale.lowest) / (scale.highest - scale.lowest) * 100
    return {
        "mean_level": round(float(level), 2) if rated else None,
        "percent": round(float(percent), 1) if rated else None,
        "status": STATUSES[status],
        "target": target,
        "gap": round(float(target - level), 2) if rated else None,
    }


def score_studies(rubric: Rubric, studies: Sequence[SelfStudy]) -> CohortScores:
    """Score every study at once; study i's numbers equal `scoring.score(rubric, studies[i])`."""
    arrays = rubric_arrays(rubric)
    answers = collect_answers(arrays, [s.answers for s in studies])
    return score_answers(arrays, answers, programs_table(studies))


def score_answers(arrays: RubricArrays, answers: Answers, programs: pd.DataFrame) -> CohortScores:
    """Score the long table `answers` of the studies described row by row in `programs`."""
    count = len(programs)
    known = answers.item >= 0
    study, item, value = answers.study[known], answers.item[known], answers.value[known]
    shown = _shown(arrays, count, study, item, value)
    # Only rating and required items matter from here; the rest are kept in the long table.
    scored = arrays.item_rating[item] | arrays.item_required[item]
    study, item = study[scored], item[scored]
    level, answered = _meanings(arrays.rubric, value[scored])
    rating = arrays.item_rating[item]
    levels = np.full((count, len(arrays.item_ids)), np.nan)
    levels[study[rating], item[rating]] = level[rating]
    levels[~shown] = np.nan
    counted = arrays.item_required[item] & shown[study, item] & answered
    answered_count = np.bincount(study[counted], minlength=count)
    required_count = shown[:, arrays.item_required].sum(axis=1)
    standard_level = _weighted_means(levels, arrays.item_weight, arrays.item_standard)
    dimension_level = _weighted_means(
        standard_level, arrays.standard_weight, arrays.standard_dimension
    )
    overall_level = _weighted_means(
        dimension_level,
        arrays.dimension_weight,
        np.zeros(len(arrays.dimension_ids), dtype=np.int64),
    )[:, 0]
    target = float(arrays.rubric.target)
    floor = target - arrays.rubric.scale.step_below(arrays.rubric.target)
    return CohortScores(
        rubric=arrays,
        programs=programs,
        standard_level=standard_level,
        standard_status=_status(standard_level, arrays.standard_target, arrays.standard_floor),
        dimension_level=dimension_level,
        dimension_status=_status(dimension_level, arrays.dimension_target, arrays.dimension_floor),
        overall_level=overall_level,
        overall_status=_status(overall_level, np.float64(target), np.float64(floor)),
        answered=answered_count,
        required=required_count,
    )


def _meanings(rubric: Rubric, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each raw value's scale value (NaN for N/A, blank or off the scale) and whether it counts
    as answered: `Scale.rating_value` and `is_answered`, worked out once per distinct value.

    Ints, floats, strings and None are looked up by value. When anything else is
    present (a bool, a list) every value is worked out on its own, since True == 1
    to a dict and a list cannot be a key.
    """
    scale = rubric.scale

    def meaning(raw: Any) -> tuple[float, bool]:
        found = None if raw is None or is_na(raw) else scale.rating_value(raw)
        return (math.nan if found is None else float(found)), is_answered(raw)

    if set(map(type, values)) <= {int, float, str, type(None)}:
        codes = _Codes()
        index = np.fromiter(map(codes.__getitem__, values), dtype=np.int64, count=len(values))
        distinct = list(codes)
    else:
        index, distinct = np.arange(len(values)), list(values)
    level, answered = zip(*map(meaning, distinct), strict=True) if distinct else ((), ())
    return np.array(level, dtype=float)[index], np.array(answered, dtype=bool)[index]


class _Codes(dict):
    """Value -> a code counting up from 0, given the first time the value is seen."""

    def __missing__(self, key: Any) -> int:
        code = self[key] = len(self)
        return code


def _shown(
    arrays: RubricArrays, count: int, study: np.ndarray, item: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """Studies × items: whether each item is shown (its `show_if` holds, up the chain)."""
    shown = np.ones((count, len(arrays.item_ids)), dtype=bool)
    for code, source, rule in arrays.show_if:
        holds = np.zeros(count, dtype=bool)
        rows = item == source
        condition = _Condition(arrays.rubric, arrays.item_ids[source], rule)
        holds[study[rows]] = [condition(v) for v in value[rows]]
        shown[:, code] = shown[:, source] & holds
    return shown


class _Condition:
    """Whether a `show_if` rule holds for a value of its source item (cached by value)."""

    def __init__(self, rubric: Rubric, source_id: str, rule: ShowIf):
        self.rubric, self.source, self.rule = rubric, rubric.item_by_id[source_id], rule
        self.cache: dict[Any, bool] = {}

    def __call__(self, value: Any) -> bool:
        key = (type(value), tuple(value) if isinstance(value, list) else value)
        if key not in self.cache:
            answers = {self.source.id: Answer.model_construct(value=value)}
            self.cache[key] = condition_holds(self.rubric, self.source, self.rule, answers)
        return self.cache[key]


def _weighted_means(values: np.ndarray, weights: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Studies × groups: the weighted mean of each group's non-NaN columns, NaN when none.

    Adds `value * weight` column by column in rubric order, from 0.0, exactly as
    `scoring.weighted_mean` does, so the result is bitwise the same.
    """
    groups = int(group.max()) + 1 if len(group) else 0
    total = np.zeros((values.shape[0], groups))
    weight_sum = np.zeros((values.shape[0], groups))
    for column, (weight, target) in enumerate(zip(weights, group, strict=True)):
        present = ~np.isnan(values[:, column])
        total[:, target] += np.where(present, values[:, column] * weight, 0.0)
        weight_sum[:, target] += np.where(present, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight_sum != 0, total / weight_sum, np.nan)


def _status(level: np.ndarray, target: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """`scoring.judge`'s status codes: meets ≥ target, approaching ≥ target − one step."""
    with np.errstate(invalid="ignore"):
        status = np.where(level >= target, MEETS, np.where(level >= floor, APPROACHING, NOT_YET))
    return np.where(np.isnan(level), NOT_RATED, status).astype(np.int8)


# --- which studies count ---------------------------------------------------------------

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


# --- comparisons -----------------------------------------------------------------------


def group_fields(scores: CohortScores, by: str) -> list[str]:
    """The program fields a comparison groups by: `by`, and the round unless `by` is the round.

    Grouping a cohort's baseline and follow-up together would count each
    program twice, so every other grouping is split by round as well.
    """
    return [by] if by == "round" else [by, "round"]


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
    group, groups = groups_of(scores, group_fields(scores, by))
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
    fields = group_fields(scores, by)
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


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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


def against_group(scores: CohortScores, study: int, by: str = "cohort") -> pd.DataFrame:
    """One study's dimension levels next to the median of its group (same `by` value and round)."""
    fields = group_fields(scores, by)
    programs = scores.programs
    same = np.ones(len(scores), dtype=bool)
    for name in fields:
        column = programs[name].to_numpy(dtype=object) if name in programs else None
        if column is not None:
            mine = column[study]
            same &= np.array([_same_key(v, mine) for v in column], dtype=bool)
    with np.errstate(all="ignore"):
        group = scores.dimension_level[same]
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


# --- pseudonyms ------------------------------------------------------------------------


def pseudonym(key: str, secret: str = DEFAULT_PSEUDONYM_SECRET) -> str:
    """A stable stand-in for a program: the same key and secret always give the same name.

    It is an HMAC of the program's key, so without the secret nobody can tell
    which program it stands for by trying names they know.
    """
    digest = hmac.new(secret.encode(), str(key).encode(), hashlib.sha256).digest()
    return "Program " + base64.b32encode(digest).decode()[:8]


def pseudonymized(
    programs: pd.DataFrame,
    secret: str = DEFAULT_PSEUDONYM_SECRET,
    keep: Iterable[str] = ("cohort", "round"),
) -> pd.DataFrame:
    """The programs table with names, ids and every field not in `keep` replaced or blanked.

    `program`, `name` and `key` become the pseudonym (rounds still pair, since
    the pseudonym follows the key); organisation and any other field are
    blanked, since a field like `completed_by` can name people.
    """
    keep = set(keep) | {"key", "program", "name"}
    table = programs.copy()
    names = [pseudonym(key, secret) for key in programs["key"]]
    table["key"] = table["program"] = table["name"] = names
    for column in table.columns:
        if column not in keep:
            table[column] = None
    return table


# --- the whole comparison --------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Everything a facilitator's cohort report shows, computed once.

    `scores` are the studies compared (one per program and round: a later
    study of the same program and round replaces an earlier one).
    """

    by: str
    scores: CohortScores
    dimensions: pd.DataFrame
    standards: pd.DataFrame
    changes: pd.DataFrame
    change_summary: pd.DataFrame
    needs: pd.DataFrame
    assets: pd.DataFrame

    @property
    def group_fields(self) -> list[str]:
        return group_fields(self.scores, self.by)

    def to_dict(self) -> dict[str, Any]:
        """The `selfstudy cohort --format json` document; levels rounded to 2 places."""
        rubric = self.scores.rubric.rubric
        return {
            "by": self.by,
            "rubric": {"id": rubric.id, "version": rubric.version},
            "groups": self._groups(),
            "changes": self._changes(),
            "needs": [_share_entry(rubric, r) for r in self.needs.to_dict("records")],
            "assets": [_share_entry(rubric, r) for r in self.assets.to_dict("records")],
        }

    def _groups(self) -> list[dict[str, Any]]:
        """One entry per group; both summaries list each group's rows together, in order."""
        dimension_count = len(self.scores.rubric.dimension_ids)
        standard_count = len(self.scores.rubric.standard_ids)
        dimension_rows = self.dimensions.to_dict("records")
        standard_rows = self.standards.to_dict("records")
        groups = []
        for index in range(len(dimension_rows) // dimension_count):
            dimensions = dimension_rows[index * dimension_count : (index + 1) * dimension_count]
            standards = standard_rows[index * standard_count : (index + 1) * standard_count]
            first = dimensions[0]
            entry: dict[str, Any] = {"key": _plain(first[self.by])}
            if self.by != "round":
                entry["round"] = _plain(first["round"])
            entry["programs"] = int(first["programs"])
            entry["dimensions"] = [
                {"id": r["dimension"], **_summary_numbers(r)} for r in dimensions
            ]
            entry["standards"] = [
                {"id": r["standard"], "dimension": r["dimension"], **_summary_numbers(r)}
                for r in standards
            ]
            groups.append(entry)
        return groups

    def _changes(self) -> list[dict[str, Any]]:
        entries = []
        summary = self.change_summary
        for (group, baseline, follow_up), rows in summary.groupby(
            ["group", "baseline", "follow_up"], dropna=False, sort=False
        ):
            programs = self.changes[_matches(self.changes["group"], group)]
            overall = rows[rows["dimension"].isna()]
            entries.append(
                {
                    "key": _plain(group),
                    "baseline": baseline,
                    "follow_up": follow_up,
                    "programs": programs["key"].nunique(),
                    "overall": _change_numbers(overall.iloc[0]) if len(overall) else None,
                    "dimensions": [
                        {"id": r["dimension"], **_change_numbers(r)}
                        for r in rows.dropna(subset=["dimension"]).to_dict("records")
                    ],
                    "by_program": _program_changes(programs),
                }
            )
        return entries


def compare(
    scores: CohortScores,
    by: str = "cohort",
    top: int = 5,
    baseline: str | None = None,
    follow_up: str | None = None,
) -> Comparison:
    """Group `scores` by the program field `by` and compute every comparison."""
    scores = without_duplicates(scores)
    program_changes = changes(scores, by, baseline, follow_up)
    shares = standard_shares(scores)
    return Comparison(
        by=by,
        scores=scores,
        dimensions=dimension_summary(scores, by),
        standards=standard_summary(scores, by),
        changes=program_changes,
        change_summary=change_summary(program_changes),
        needs=needs(scores, top, shares),
        assets=assets(scores, top, shares),
    )


def _matches(column: pd.Series, value: Any) -> pd.Series:
    return column.isna() if _missing(value) else column == value


def _plain(value: Any) -> Any:
    """A JSON-ready value: None for missing, Python numbers for numpy ones."""
    if _missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _level(value: Any) -> float | None:
    return None if _missing(value) else round(float(value), 2)


def _share(value: Any) -> float | None:
    return None if _missing(value) else round(float(value), 4)


def _summary_numbers(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rated": int(row["rated"]),
        "mean_level": _level(row["mean_level"]),
        "median_level": _level(row["median_level"]),
        "std_level": _level(row["std_level"]),
        "min_level": _level(row["min_level"]),
        "max_level": _level(row["max_level"]),
        "meets": int(row["meets"]),
        "share_meets": _share(row["share_meets"]),
    }


def _change_numbers(row: Any) -> dict[str, Any]:
    return {
        "programs": int(row["programs"]),
        "mean_change": _level(row["mean_change"]),
        "median_change": _level(row["median_change"]),
        "improved": int(row["improved"]),
        "share_improved": _share(row["share_improved"]),
    }


def _program_changes(rows: pd.DataFrame) -> list[dict[str, Any]]:
    entries = []
    for key, program in rows.groupby("key", sort=False):
        overall = program[program["dimension"].isna()].iloc[0]
        entries.append(
            {
                "key": key,
                "program": program["program"].iloc[-1],
                "baseline_level": _level(overall["baseline_level"]),
                "follow_up_level": _level(overall["follow_up_level"]),
                "change": _level(overall["change"]),
                "dimensions": [
                    {
                        "id": r["dimension"],
                        "baseline_level": _level(r["baseline_level"]),
                        "follow_up_level": _level(r["follow_up_level"]),
                        "change": _level(r["change"]),
                    }
                    for r in program.dropna(subset=["dimension"]).to_dict("records")
                ],
            }
        )
    return entries


def _share_entry(rubric: Rubric, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["standard"],
        "title": rubric.standard_by_id[row["standard"]].title,
        "dimension": row["dimension"],
        "rated": int(row["rated"]),
        "meets": int(row["meets"]),
        "share_meets": _share(row["share_meets"]),
        "mean_level": _level(row["mean_level"]),
    }
