"""How much a team agrees (`core.agreement`) and what the consensus step proposes
(`core.team`): against Krippendorff's own worked example, hand-computed percentages,
and the promise that a team that agrees scores as one rater would."""

from __future__ import annotations

import math
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.agreement import NO_PAIRS, NO_VARIATION, agreement, team_agreement
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer
from selfstudy.core.team import gathered, proposed, single_again

NAN = math.nan

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), section C: four
# observers, twelve units, values 1-5, blanks missing. Ordinal alpha = 0.815.
KRIPPENDORFF = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    "C": [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
}

TWELVE = """
    id: twelve
    version: "1"
    title: Twelve items
    scale:
      levels:
        - {value: 1, label: One}
        - {value: 2, label: Two}
        - {value: 3, label: Three}
        - {value: 4, label: Four}
        - {value: 5, label: Five}
    target: 4
    dimensions:
      - id: D
        title: D
        standards:
          - id: S1
            title: First six
            items: [%s]
          - id: S2
            title: Last six
            items: [%s]
"""


@pytest.fixture(scope="module")
def twelve():
    items = [f"{{id: u{n:02d}, text: unit {n}}}" for n in range(1, 13)]
    return parse_rubric(textwrap.dedent(TWELVE % (", ".join(items[:6]), ", ".join(items[6:]))))


def sheets_of(columns: dict[str, list[float]]) -> dict[str, dict[str, Answer]]:
    return {
        rater: {
            f"u{n:02d}": Answer(value=int(v)) for n, v in enumerate(values, 1) if not math.isnan(v)
        }
        for rater, values in columns.items()
    }


def test_ordinal_alpha_matches_krippendorffs_worked_example_with_missing_values(twelve):
    team = team_agreement(twelve, sheets_of(KRIPPENDORFF))
    assert round(team.overall.alpha, 3) == 0.815
    assert team.overall.raters == 4
    # unit 12 has one value only: it is not compared
    assert team.overall.items == 11
    assert team.dimensions["D"] == team.overall


def test_agreement_percentages_count_pairs_of_raters_as_computed_by_hand(rubric_from_yaml):
    rubric = rubric_from_yaml(TWELVE % ("{id: a, text: a}, {id: b, text: b}", "{id: c, text: c}"))
    sheets = {
        "Ana": {"a": Answer(value=2), "b": Answer(value=1), "c": Answer(value=3)},
        "Bo": {"a": Answer(value=2), "b": Answer(value=2), "c": Answer(value="N/A")},
        "Cy": {"a": Answer(value=2), "b": Answer(value=4), "c": Answer(value=3)},
    }
    team = team_agreement(rubric, sheets)
    # a: three pairs, all equal; b: 1-2 (one step), 1-4, 2-4; c: one pair (Bo said N/A)
    assert (team.overall.pairs, team.overall.items, team.overall.raters) == (7, 3, 3)
    assert team.overall.exact == pytest.approx(4 / 7)
    assert team.overall.within_one == pytest.approx(5 / 7)
    first = team.standards["S1"]
    assert (first.pairs, first.exact, first.within_one) == (6, 0.5, pytest.approx(4 / 6))
    second = team.standards["S2"]
    assert (second.pairs, second.exact, second.items, second.raters) == (1, 1.0, 1, 2)
    assert second.alpha is None and second.alpha_missing == NO_VARIATION
    # the item whose levels lie furthest apart comes first
    assert [s.item_id for s in team.most_disagreed()] == ["b", "a", "c"]
    spread_b = team.most_disagreed()[0]
    assert (spread_b.lowest, spread_b.highest, spread_b.steps) == (1, 4, 3)
    assert not spread_b.unanimous and team.items[0].unanimous


def test_alpha_is_missing_with_its_reason_when_it_is_not_defined(twelve):
    alone = team_agreement(twelve, sheets_of({"A": KRIPPENDORFF["A"]}))
    assert alone.overall.alpha is None and alone.overall.alpha_missing == NO_PAIRS
    assert alone.overall.exact is None and alone.overall.pairs == 0
    same = {"A": [3] * 12, "B": [3] * 12}
    flat = team_agreement(twelve, sheets_of(same))
    assert flat.overall.alpha is None and flat.overall.alpha_missing == NO_VARIATION
    assert flat.overall.exact == 1.0
    assert agreement(twelve, []).to_dict()["alpha_missing"] == NO_PAIRS


def test_identical_raters_agree_perfectly(twelve):
    values = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]
    team = team_agreement(twelve, sheets_of({"A": values, "B": values, "C": values}))
    assert team.overall.alpha == pytest.approx(1.0)
    assert team.overall.exact == team.overall.within_one == 1.0


def test_gathering_keeps_one_text_when_all_wrote_it_and_names_each_otherwise():
    assert gathered([("Ana", "Minutes of May"), ("Bo", " Minutes of May "), ("Cy", "")]) == (
        "Minutes of May"
    )
    assert gathered([("Ana", "Minutes"), ("Bo", ""), ("Cy", "Survey\nresults")]) == (
        "Ana: Minutes\n\nCy: Survey\nresults"
    )
    assert gathered([("Ana", "  ")]) == ""


def test_switching_back_takes_one_raters_answers_back_and_refuses_what_it_would_lose():
    own = {"a": Answer(value=3, evidence="minutes")}
    assert single_again(own, {"Ana": dict(own), "Bo": {}}) == ({}, [])
    # the lead's sheet holds what the study held: it comes back
    assert single_again({}, {"Ana": dict(own), "Bo": {"a": Answer()}}) == (own, [])
    # the study holds another answer for the item: one of the two would be lost
    assert single_again(own, {"Ana": {"a": Answer(value=2)}}) == ({}, [("Ana", "a")])
    # two raters with answers of their own: all but one's would be lost
    two = {"Ana": {"a": Answer(value=2)}, "Bo": {"b": Answer(notes="ask Bo")}}
    assert single_again({}, two) == ({}, [("Ana", "a"), ("Bo", "b")])


levels = st.sampled_from([1, 2, 3, 4, "N/A", None])
texts = st.sampled_from(["", "minutes", "survey results"])
answers = st.builds(Answer, value=levels, evidence=texts, notes=texts)


@settings(max_examples=60, deadline=None)
@given(sheet=st.dictionaries(st.sampled_from(["PG.1.a", "PG.1.b", "SR.1.a", "AE.2.a"]), answers))
def test_a_team_that_agrees_has_the_single_raters_answers_and_scores(default_rubric, sheet):
    team = {"Ana": sheet, "Bo": dict(sheet), "Cy": dict(sheet)}
    consensus = {item: proposed(team, item) for item in sheet}
    consensus = {item: answer for item, answer in consensus.items() if answer != Answer()}
    single = {k: a for k, a in sheet.items() if a != Answer()}
    assert consensus == single
    assert score(default_rubric, consensus) == score(default_rubric, single)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, NAN]), min_size=12, max_size=12),
        min_size=2,
        max_size=5,
    )
)
def test_agreement_does_not_depend_on_the_order_of_raters(twelve, columns):
    named = {f"r{n}": values for n, values in enumerate(columns)}
    backwards = dict(reversed(list(named.items())))
    one = team_agreement(twelve, sheets_of(named)).overall
    other = team_agreement(twelve, sheets_of(backwards)).overall
    assert (one.pairs, one.exact, one.within_one, one.alpha_missing) == (
        other.pairs,
        other.exact,
        other.within_one,
        other.alpha_missing,
    )
    assert (one.alpha is None) == (other.alpha is None)
    if one.alpha is not None:
        assert one.alpha == pytest.approx(other.alpha)
