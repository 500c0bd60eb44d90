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

from selfstudy.core.cohorts import pseudonym
from selfstudy.core.rounds import round_label
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from selfstudy.workflows import improvement
from tests.completion import finished

APP = str(PROJECT_ROOT / "app.py")
RESULTS = "selfstudy/app/pages/results.py"
COHORTS = str(PROJECT_ROOT / "selfstudy" / "app" / "pages" / "cohorts.py")
NEW_STANDARDS = "imp:new-standards"  # the Improvement page's new plan's standards
OPEN_PLAN = "imp:open-plan"  # the plan it shows
ISSUER = "https://accounts.example.test"
AUTH = {  # sign-in configured, as a network's server has it (nobody reaches the provider)
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "cookie-secret-0123456789abcdef",
    "client_id": "selfstudy",
    "client_secret": "client-secret-0123456789",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}
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
    assert (row["Cycles run"], row["Act decisions"]) == (1, "1 adopted")
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
    assert not at.exception, at.exception
    assert at.title[0].value == "Improvement"
    assert at.multiselect(key=NEW_STANDARDS).value == [loop.standard]  # the form, filled in


def test_a_plan_made_for_a_priority_opens_from_results(loop, db, default_rubric):
    at = open_results(loop.base)
    standard = default_rubric.standard_by_id[loop.standard]
    box = next(e for e in at.expander if f"{standard.id} {standard.title}" in e.label)
    (opening,) = [b for b in box.button if b.label == "Open the plan"]
    at = opening.click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Improvement"
    assert at.selectbox(key=OPEN_PLAN).value == loop.plan


def test_a_viewer_sees_the_plans_made_but_is_offered_none_to_make(loop, db, default_rubric):
    db.invite("vic@bridge.example", "viewer", program_id=db.get_study(loop.base).program_id)
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {
        "is_logged_in": True,
        "iss": ISSUER,
        "sub": "sub-vic",
        "email": "vic@bridge.example",
        "email_verified": True,
    }
    at.query_params["study"] = loop.base
    at.run()
    at = at.switch_page(RESULTS).run()
    assert not at.exception, at.exception
    standard = default_rubric.standard_by_id[loop.standard]
    box = next(e for e in at.expander if f"{standard.id} {standard.title}" in e.label)
    shown = "\n".join(m.value for m in box.markdown)
    assert "Every student meets a speaker like them by June" in shown
    labels = [b.label for b in box.button]
    assert "Make an improvement plan for this standard" not in labels
    assert "Open the plan" in labels  # reading it is theirs


@pytest.fixture
def network(db: Storage, sample_set, default_rubric) -> tuple[Storage, str, str]:
    """The sample network, finished, with the same idea of the rubric tried by two
    programs: adopted by Bridge to STEM (p01), abandoned by Young Engineers (p02)."""
    ids = {
        (s.program.id, s.program.round): db.create_study(finished(s, default_rubric))
        for s in sample_set
    }
    standard = next(s for s in default_rubric.standards() if s.change_ideas)
    rubric_idea = standard.change_ideas[0]
    for program, decision, learned in (
        ("p01", "adopt", LEARNED),
        ("p02", "abandon", "Our students found the visits too long after school."),
    ):
        plan = improvement.plan_from_priority(db, ids[program, "baseline"], [standard.id])
        idea = improvement.add_idea(db, plan, rubric_idea=rubric_idea.id)
        cycle = db.add_record(
            "cycle",
            idea,
            {"results": "As we said", "learned": learned, "decision": decision},
        )
        improvement.close_cycle(db, cycle, on=date(2026, 3, 1))
    return db, standard.id, rubric_idea.title


def open_tried(pseudonyms: bool = False) -> AppTest:
    at = AppTest.from_file(COHORTS, default_timeout=60)
    at.run()
    if pseudonyms:
        at.toggle[0].set_value(True)
    at.session_state["cohort_view"] = "What programs tried"
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_cohorts_page_shows_which_ideas_programs_tried_and_how_they_ended(network, sample_set):
    _, standard, idea = network
    at = open_tried()
    table = at.dataframe[-1].value
    row = table[table["Change idea"] == idea].iloc[0]
    assert row["Standard"].startswith(standard + " ")
    assert row["From"] == "the rubric"
    assert (row["Programs"], row["Cycles run"], row["Closed"]) == (2, 2, 2)
    assert row["Act decisions"] == "1 adopted, 1 abandoned"
    box = next(e for e in at.expander if idea in e.label)
    shown = "\n".join(m.value for m in box.markdown)
    names = {s.program.id: s.program.name for s in sample_set}
    assert names["p01"] in shown and names["p02"] in shown
    assert LEARNED in shown and "1 abandoned" in shown


def test_what_programs_tried_keeps_the_pages_pseudonyms(network, sample_set):
    db, _, idea = network
    at = open_tried(pseudonyms=True)
    box = next(e for e in at.expander if idea in e.label)
    shown = "\n".join(m.value for m in box.markdown)
    assert not any(s.program.name in shown for s in sample_set)
    assert pseudonym(sample_set[0].program.id, db.pseudonym_secret()) in shown  # as elsewhere
    assert LEARNED in shown


def test_with_nothing_tried_the_view_says_how_it_fills(db, sample_set, default_rubric):
    for study in sample_set:
        db.create_study(finished(study, default_rubric))
    at = open_tried()
    assert "No program here has tried a change idea" in at.info[-1].value
