"""The improvement loop in the app: a priority of one round leads to a plan, and the next
round's Results shows what became of it; the Cohorts page shows what programs tried.

A real SQLite database holds the Bridge to STEM program's baseline and follow-up (the
bundled samples) and a plan made from a priority of the baseline, with one change idea of
the rubric tested in one cycle, closed and adopted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.rounds import round_label
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from selfstudy.workflows import improvement
from tests.completion import finished

APP = str(PROJECT_ROOT / "app.py")
RESULTS = "selfstudy/app/pages/results.py"
COHORTS = str(PROJECT_ROOT / "selfstudy" / "app" / "pages" / "cohorts.py")
PLAN_STANDARDS_KEY = "improvement_new_plan_standards"
LEARNED = "Students asked more questions when the speaker had been briefed on them."


@dataclass
class Loop:
    base: str  # study ids
    follow: str
    standard: str  # the baseline's priority the plan serves
    idea: str  # the change idea's title
    plan: str


@pytest.fixture
def loop(db: Storage, sample_set, default_rubric) -> Loop:
    baseline, follow_up = sample_set[0], sample_set[1]
    assert baseline.program.id == follow_up.program.id
    base = db.create_study(baseline)
    follow = db.create_study(follow_up)
    priorities = score(default_rubric, baseline).priorities
    standard = next(
        s for s in priorities if default_rubric.standard_by_id[s].change_ideas
    )  # a priority with an idea of the rubric
    rubric_idea = default_rubric.standard_by_id[standard].change_ideas[0]
    plan = improvement.plan_from_priority(
        db, base, [standard], {"aim": "Every student meets a speaker like them by June"}
    )
    idea = improvement.add_idea(db, plan, rubric_idea=rubric_idea.id)
    cycle = db.add_record(
        "cycle",
        idea,
        {
            "objective": "Try it with one group",
            "results": "Twice the questions we predicted",
            "learned": LEARNED,
            "decision": "adopt",
        },
    )
    improvement.close_cycle(db, cycle, on=date(2026, 3, 1))
    return Loop(base, follow, standard, rubric_idea.title, plan)


def open_results(study_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = study_id
    at.run()
    at = at.switch_page(RESULTS).run()
    assert not at.exception, at.exception
    return at


def test_the_next_rounds_results_show_the_plan_its_decision_and_the_level_move(
    loop, db, sample_set, default_rubric
):
    at = open_results(loop.follow)
    heading = f"Since {round_label(sample_set[0])}"
    assert heading in [s.value for s in at.subheader]
    table = next(f.value for f in at.dataframe if "Moved" in f.value.columns)
    row = table[table["Standard"].str.startswith(loop.standard + " ")].iloc[0]
    before = score(default_rubric, sample_set[0]).standard(loop.standard).score.mean_level
    after = score(default_rubric, sample_set[1]).standard(loop.standard).score.mean_level
    assert row["Then"] == f"{before:.2f}" and row["Now"] == f"{after:.2f}"
    moved = round(after - before, 2)
    arrow = "▲" if moved > 0 else "▼" if moved < 0 else "="
    assert row["Moved"].startswith(arrow)
    if moved:
        assert f"{moved:+.2f}" in row["Moved"]
    assert row["Improvement plans"] == "1 plan"
    assert (row["Cycles run"], row["Adopted"], row["Adapted"], row["Abandoned"]) == (1, 1, 0, 0)
    others = table[~table["Standard"].str.startswith(loop.standard + " ")]
    assert set(others["Improvement plans"]) == {"No plan was made for this standard"}
    what = next(e for e in at.expander if e.label.startswith(loop.standard + " "))
    shown = "\n".join(m.value for m in what.markdown)
    assert loop.idea in shown and "1 adopted" in shown and LEARNED in shown


def test_a_baseline_has_no_since_section(loop, db):
    at = open_results(loop.base)
    assert not [s.value for s in at.subheader if s.value.startswith("Since ")]


def test_a_priority_offers_a_plan_and_lists_the_plans_made_for_it(loop, db, default_rubric):
    at = open_results(loop.base)
    standard = default_rubric.standard_by_id[loop.standard]
    box = next(e for e in at.expander if f"{standard.id} {standard.title}" in e.label)
    shown = "\n".join(m.value for m in box.markdown)
    assert standard.change_ideas[0].title in shown  # the rubric's ideas, beside its resources
    assert "Every student meets a speaker like them by June" in shown  # the plan made
    make = next(b for b in box.button if b.label == "Make an improvement plan for this standard")
    at = make.click().run()
    assert at.session_state[PLAN_STANDARDS_KEY] == [loop.standard]
    assert not [s.value for s in at.subheader if s.value == "Priorities"]  # left Results
