"""The whole comparison: everything a facilitator's cohort report shows, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selfstudy.core.cohorts.changes import change_summary, changes
from selfstudy.core.cohorts.completeness import LeftOut, nothing_left_out
from selfstudy.core.cohorts.groups import dimension_summary, group_fields, standard_summary
from selfstudy.core.cohorts.network import assets, needs, standard_shares
from selfstudy.core.cohorts.rounds import without_duplicates
from selfstudy.core.cohorts.scoring import CohortScores
from selfstudy.core.cohorts.table import _missing
from selfstudy.core.rubric import Rubric


@dataclass(frozen=True)
class Comparison:
    """Everything a facilitator's cohort report shows, computed once.

    `scores` are the studies compared (one per program and round: a later
    study of the same program and round replaces an earlier one); `left_out`
    the studies a completeness threshold kept out of every figure, and why
    (`completeness.counted`), so each face and export can say so.
    """

    by: str
    scores: CohortScores
    dimensions: pd.DataFrame
    standards: pd.DataFrame
    changes: pd.DataFrame
    change_summary: pd.DataFrame
    needs: pd.DataFrame
    assets: pd.DataFrame
    left_out: LeftOut

    @property
    def group_fields(self) -> list[str]:
        return group_fields(self.by)

    def to_dict(self, per_program: bool = True) -> dict[str, Any]:
        """The `selfstudy cohort --format json` document; levels rounded to 2 places.

        Without `per_program`, the changes leave out each program's own (`by_program`)
        and the document its list of left-out studies: a summary (the terminal's tables)
        needs neither, and for a network of thousands they are most of its making."""
        rubric = self.scores.rubric.rubric
        return {
            "by": self.by,
            "rubric": {"id": rubric.id, "version": rubric.version},
            "min_complete": self.left_out.min_complete,
            "self_studies": len(self.scores),
            **({"left_out": self.left_out.to_list()} if per_program else {}),
            "groups": self._groups(),
            "changes": self._changes(per_program),
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

    def _changes(self, per_program: bool) -> list[dict[str, Any]]:
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
                    **({"by_program": _program_changes(programs)} if per_program else {}),
                }
            )
        return entries


def compare(
    scores: CohortScores,
    by: str = "cohort",
    top: int = 5,
    baseline: str | None = None,
    follow_up: str | None = None,
    left_out: LeftOut | None = None,
) -> Comparison:
    """Group `scores` by the program field `by` and compute every comparison.

    `scores` are the studies that count; `left_out`, those a completeness
    threshold left out (`completeness.counted` splits them), carried along so
    the comparison can say so (none when not given).
    """
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
        left_out=nothing_left_out(scores) if left_out is None else left_out,
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
    """Each program's change, overall and per dimension, in the order programs come: read
    from the rows' records in one pass (a network has thousands of programs, and pandas
    selections per program took most of a large comparison's time)."""
    by_program: dict[Any, list[dict[str, Any]]] = {}
    for record in rows.to_dict("records"):
        by_program.setdefault(record["key"], []).append(record)
    entries = []
    for key, records in by_program.items():
        overall = next(r for r in records if pd.isna(r["dimension"]))
        entries.append(
            {
                "key": key,
                "program": records[-1]["program"],
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
                    for r in records
                    if not pd.isna(r["dimension"])
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
