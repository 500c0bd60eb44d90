"""Cohort comparisons on small hand-made cohorts, every number worked out by hand.

The rubric: scale 1–4 with N/A, target 3 (so "approaching" from 2).
Dimension D1 holds S1 (items S1.a, S1.b) and S2 (S2.a); dimension D2 holds T1 (T1.a).

| program (cohort) | round     | S1.a S1.b S2.a T1.a | S1  S2  D1   T1=D2 |
|------------------|-----------|---------------------|--------------------|
| P1 (A)           | baseline  | 2    4    1    3    | 3   1   2    3     |
| P1 (A)           | follow-up | 4    4    3    N/A  | 4   3   3.5  —     |
| P2 (A)           | baseline  | 1    N/A  2    4    | 1   2   1.5  4     |
| P2 (A)           | follow-up | 3    3    2    4    | 3   2   2.5  4     |
| P3 (B)           | baseline  | 3    3    3    2    | 3   3   3    2     |
| P4 (B) Old Name  | baseline  | 2    2    —    1    | 2   —   2    1     |
| P4 (B) New Name  | follow-up | 4    4    4    2    | 4   4   4    2     |
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from selfstudy.core.cohorts import (
    against_group,
    assets,
    change_summary,
    changes,
    dimension_summary,
    duplicate_studies,
    long_table,
    needs,
    pseudonym,
    round_order,
    score_studies,
    standard_summary,
)
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.settings import pseudonym_secret
from selfstudy.edges.storage import Storage

RUBRIC = parse_rubric(
    """
id: hand-made
version: "1"
title: Hand-made
scale:
  levels:
    - {value: 1, label: Not yet}
    - {value: 2, label: Emerging}
    - {value: 3, label: Established}
    - {value: 4, label: Sustaining}
target: 3
dimensions:
  - id: D1
    title: First
    standards:
      - id: S1
        title: Standard one
        items:
          - {id: S1.a, text: a}
          - {id: S1.b, text: b}
      - id: S2
        title: Standard two
        items:
          - {id: S2.a, text: a}
  - id: D2
    title: Second
    standards:
      - id: T1
        title: Standard three
        items:
          - {id: T1.a, text: a}
""",
    "<hand-made>",
)

ROWS = [
    ("p1", "P1", "A", "baseline", {"S1.a": 2, "S1.b": 4, "S2.a": 1, "T1.a": 3}),
    ("p1", "P1", "A", "follow-up", {"S1.a": 4, "S1.b": 4, "S2.a": 3, "T1.a": "N/A"}),
    ("p2", "P2", "A", "baseline", {"S1.a": 1, "S1.b": "N/A", "S2.a": 2, "T1.a": 4}),
    ("p2", "P2", "A", "follow-up", {"S1.a": 3, "S1.b": 3, "S2.a": 2, "T1.a": 4}),
    ("p3", "P3", "B", "baseline", {"S1.a": 3, "S1.b": 3, "S2.a": 3, "T1.a": 2}),
    ("p4", "Old Name", "B", "baseline", {"S1.a": 2, "S1.b": 2, "T1.a": 1}),
    ("p4", "New Name", "B", "follow-up", {"S1.a": 4, "S1.b": 4, "S2.a": 4, "T1.a": 2}),
]


def make_study(pid: str, name: str, cohort: str, round_: str, values: dict) -> SelfStudy:
    study = SelfStudy.new(RUBRIC, name, id=pid, cohort=cohort, round=round_)
    study.answers = {item: Answer(value=v) for item, v in values.items()}
    return study


@pytest.fixture
def studies() -> list[SelfStudy]:
    return [make_study(*row) for row in ROWS]


@pytest.fixture
def scores(studies):
    return score_studies(RUBRIC, studies)


def row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, value in where.items():
        mask &= frame[name].isna() if value is None else frame[name] == value
    found = frame[mask]
    assert len(found) == 1, f"expected one row for {where}, got {len(found)}"
    return found.iloc[0]


def test_each_program_gets_the_levels_the_single_study_scoring_gives(studies, scores):
    for position, study in enumerate(studies):
        single = score(RUBRIC, study)
        for j, dimension in enumerate(single.dimensions):
            expected = dimension.score.mean_level
            got = scores.dimension_level[position, j]
            assert (math.isnan(got) and expected is None) or got == expected
    assert scores.dimension_level[0].tolist() == [2.0, 3.0]
    assert scores.dimension_level[2].tolist() == [1.5, 4.0]


def test_cohort_summary_gives_count_mean_median_spread_and_share_meeting(scores):
    summary = dimension_summary(scores, "cohort")
    a_baseline = row(summary, cohort="A", round="baseline", dimension="D1")
    assert a_baseline[["programs", "rated", "mean_level", "median_level"]].tolist() == [
        2,
        2,
        1.75,
        1.75,
    ]
    assert a_baseline["share_meets"] == 0.0
    assert a_baseline["min_level"] == 1.5 and a_baseline["max_level"] == 2.0
    assert a_baseline["std_level"] == pytest.approx(math.sqrt(0.125))  # sample sd of 1.5, 2
    a_follow_up = row(summary, cohort="A", round="follow-up", dimension="D1")
    assert (a_follow_up["mean_level"], a_follow_up["share_meets"]) == (3.0, 0.5)
    b_baseline = row(summary, cohort="B", round="baseline", dimension="D1")
    assert (b_baseline["mean_level"], b_baseline["share_meets"]) == (2.5, 0.5)


def test_share_meeting_counts_only_programs_with_the_dimension_rated(scores):
    # In cohort A's follow-up, P1 answered D2 with N/A only: P2 alone is rated, and meets.
    d2 = row(dimension_summary(scores, "cohort"), cohort="A", round="follow-up", dimension="D2")
    assert (d2["programs"], d2["rated"], d2["meets"], d2["share_meets"]) == (2, 1, 1, 1.0)
    assert d2["mean_level"] == 4.0


def test_grouping_by_round_puts_every_cohort_together(scores):
    summary = dimension_summary(scores, "round")
    baseline = row(summary, round="baseline", dimension="D1")
    assert baseline["programs"] == 4
    assert baseline["mean_level"] == pytest.approx((2 + 1.5 + 3 + 2) / 4)
    assert baseline["median_level"] == 2.0
    assert baseline["share_meets"] == 0.25
    assert summary["round"].tolist()[0] == "baseline"


def test_standard_summary_reports_each_standard_under_its_dimension(scores):
    summary = standard_summary(scores, "round")
    s2 = row(summary, round="baseline", standard="S2")
    # P4 left S2.a unanswered: three programs rated, levels 1, 2, 3.
    assert (s2["dimension"], s2["programs"], s2["rated"]) == ("D1", 4, 3)
    assert (s2["mean_level"], s2["median_level"], s2["share_meets"]) == (2.0, 2.0, 1 / 3)


def test_changes_pair_a_programs_rounds_by_id_even_after_a_rename(scores):
    per_program = changes(scores, by="cohort")
    p4 = row(per_program, key="p4", dimension="D1")
    assert (p4["program"], p4["baseline_level"], p4["follow_up_level"], p4["change"]) == (
        "New Name",
        2.0,
        4.0,
        2.0,
    )
    assert "p3" not in set(per_program["key"]), "P3 has no follow-up, so no change"
    summary = change_summary(per_program)
    a_d1 = row(summary, group="A", dimension="D1")
    assert (a_d1["programs"], a_d1["mean_change"], a_d1["median_change"]) == (2, 1.25, 1.25)
    assert a_d1["share_improved"] == 1.0
    # D2: P1's follow-up is not rated, so only P2 (4 -> 4, no change) counts.
    a_d2 = row(summary, group="A", dimension="D2")
    assert (a_d2["programs"], a_d2["mean_change"], a_d2["share_improved"]) == (1, 0.0, 0.0)


def test_needs_and_assets_rank_standards_by_the_share_of_programs_meeting_them(scores):
    # Each program's latest round: P1, P2, P4 follow-up and P3 baseline.
    # S1: 4 of 4 meet; S2: 3 of 4; T1: P1 not rated, 1 of 3 (P2).
    assert needs(scores)["standard"].tolist() == ["T1", "S2", "S1"]
    assert assets(scores, count=1)["standard"].tolist() == ["S1"]
    t1 = row(needs(scores), standard="T1")
    assert (t1["rated"], t1["meets"], t1["share_meets"]) == (3, 1, 1 / 3)


def test_one_program_against_its_cohort_median(scores):
    p2_follow_up = 3
    compared = against_group(scores, p2_follow_up, by="cohort")
    d1 = row(compared, dimension="D1")
    assert (d1["mean_level"], d1["group_median"], d1["difference"]) == (2.5, 3.0, -0.5)
    assert d1["group_programs"] == 2


def test_pseudonyms_are_stable_hide_names_and_still_pair_rounds(scores):
    hidden = scores.with_pseudonyms(secret="network secret")
    names = set(hidden.programs["program"])
    assert not names & {"P1", "P2", "P3", "Old Name", "New Name"}
    assert hidden.programs["id"].isna().all()
    assert hidden.programs["program"].iloc[0] == pseudonym("p1", "network secret")
    assert pseudonym("p1", "network secret") == pseudonym("p1", "network secret")
    assert pseudonym("p1", "network secret") != pseudonym("p1", "another secret")
    assert len(names) == 4
    p4 = row(changes(hidden), key=pseudonym("p4", "network secret"), dimension="D1")
    assert p4["change"] == 2.0


def test_the_pseudonym_secret_is_each_databases_own_unless_the_network_sets_one(
    db, tmp_path, monkeypatch
):
    monkeypatch.delenv("SELFSTUDY_PSEUDONYM_SECRET", raising=False)
    own = pseudonym_secret(db)
    assert own != "selfstudy" and len(own) >= 32  # made at random, not a fixed default
    assert pseudonym_secret(db) == own  # kept
    assert pseudonym_secret() == own  # without a storage: the app's database (SELFSTUDY_DB)
    assert pseudonym_secret(Storage(f"sqlite:///{tmp_path / 'other.db'}")) != own
    monkeypatch.setenv("SELFSTUDY_PSEUDONYM_SECRET", "")
    assert pseudonym_secret(db) == own
    monkeypatch.setenv("SELFSTUDY_PSEUDONYM_SECRET", "network secret")
    assert pseudonym_secret(db) == "network secret"


def test_rounds_are_ordered_baseline_first_then_naturally():
    assert round_order(["follow-up", "baseline"]) == ["baseline", "follow-up"]
    assert round_order(["Round 10", "Round 2", "Round 1"]) == ["Round 1", "Round 2", "Round 10"]
    assert round_order(["post", "pre"]) == ["pre", "post"]
    assert round_order(["follow-up", "midpoint", "baseline"]) == [
        "baseline",
        "midpoint",
        "follow-up",
    ]


def test_a_midpoint_round_sits_between_baseline_and_follow_up_in_changes(studies):
    midpoint = make_study("p1", "P1", "A", "midpoint", {"S1.a": 3, "S1.b": 3, "S2.a": 2})
    per_program = changes(score_studies(RUBRIC, [*studies, midpoint]))
    assert set(per_program["baseline"]) == {"baseline"}
    assert set(per_program["follow_up"]) == {"follow-up"}
    p1 = row(per_program, key="p1", dimension="D1")
    assert (p1["baseline_level"], p1["follow_up_level"], p1["change"]) == (2.0, 3.5, 1.5)


def test_a_second_study_for_the_same_round_replaces_the_first(studies):
    again = make_study("p1", "P1", "A", "baseline", {"S1.a": 4, "S1.b": 4, "S2.a": 4})
    scores = score_studies(RUBRIC, [*studies, again])
    replaced = duplicate_studies(scores.programs)
    assert replaced[["key", "round"]].values.tolist() == [["p1", "baseline"]]
    p1 = row(changes(scores), key="p1", dimension="D1")
    assert p1["baseline_level"] == 4.0


def test_long_table_has_one_row_per_answer_with_program_cohort_and_round(studies):
    table = long_table(RUBRIC, studies)
    assert len(table) == sum(len(values) for *_, values in ROWS)
    first = table.iloc[0]
    assert (first["program"], first["cohort"], first["round"], first["item"], first["value"]) == (
        "P1",
        "A",
        "baseline",
        "S1.a",
        2,
    )
    hidden = long_table(RUBRIC, studies, pseudonym_secret="s")
    assert "P1" not in set(hidden["program"])
