"""Team rating in the app, as a team does it without sign-in: the lead makes the study a
team one, a colleague joins under their name, each rates on their own without seeing the
other, the lead opens the consensus step, records the team's rating, and Results shows it.

Each person is their own AppTest session (their own browser) on one SQLite file."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from selfstudy.core.access import Actor
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.workbooks import xlsx_bytes

APP = str(PROJECT_ROOT / "app.py")
PAGES = "selfstudy/app/pages/"


def browser(study_id: str, page: str, name: str | None = None) -> AppTest:
    """A new browser session on `page` of the study; gives its rater name when asked."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = study_id
    at.run()
    at.switch_page(PAGES + page).run()
    if name is not None:
        asking = [t for t in at.text_input if t.label == "Your name, as your team knows you"]
        if asking:
            asking[0].input(name)
            button(at, "Continue").click().run()
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def page_text(at: AppTest) -> str:
    kinds = ("markdown", "info", "success", "warning", "error", "caption", "title", "text")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def rating(at: AppTest, item_id: str):
    return next(s for s in at.segmented_control if s.label.startswith(f"{item_id} — "))


def test_a_team_rates_apart_then_agrees_and_results_show_the_consensus(db, default_rubric):
    study_id = db.create_study(SelfStudy.new(default_rubric, "Bridge to STEM", round="baseline"))

    ana = browser(study_id, "team.py", "Ana")
    button(ana, "Make this a team self-study").click().run()
    assert not ana.exception
    assert "Raters are rating on their own" in page_text(ana)
    team = db.team(study_id)
    assert [r.name for r in team.raters] == ["Ana"] and team.lead == "Ana"

    bo = browser(study_id, "team.py", "Bo")
    button(bo, "Join as a rater").click().run()
    assert [r.name for r in db.team(study_id).raters] == ["Ana", "Bo"]

    # each rates on their own sheet; the team study's own answers stay untouched
    bo_rates = browser(study_id, "questionnaire.py", "Bo")
    assert "You rate on your own, as **Bo**" in page_text(bo_rates)
    assert not [e for e in bo_rates.sidebar.expander if e.label == "Program details"]
    rating(bo_rates, "PG.1.a").set_value(1).run()
    ana_rates = browser(study_id, "questionnaire.py", "Ana")
    rating(ana_rates, "PG.1.a").set_value(3).run()
    assert not ana_rates.exception and not bo_rates.exception
    assert db.get_study(study_id).study.answers == {}
    sheets = {r.name: r.sheet_id for r in db.team(study_id).raters}
    for name, level in (("Bo", 1), ("Ana", 3)):  # read as each rater: nobody else may yet
        own = db.acting_as(Actor.local(name)).get_study(sheets[name])
        assert own.study.answers["PG.1.a"] == Answer(value=level)

    # Ana sees nothing of Bo's before the consensus step: not on her sheet, nor elsewhere
    assert rating(browser(study_id, "questionnaire.py", "Ana"), "PG.1.a").value == 3
    waiting = browser(study_id, "consensus.py", "Ana")
    assert "not open yet" in page_text(waiting) and "Bo:" not in page_text(waiting)

    # the lead opens the consensus step and records the team's rating
    lead = browser(study_id, "team.py", "Ana")
    button(lead, "Open it now").click().run()
    assert db.team(study_id).is_open
    step = browser(study_id, "consensus.py", "Ana")
    shown = page_text(step)
    assert "Ana: **3 · Established**" in shown and "Bo: **1 · Not yet**" in shown
    assert "2 levels apart" in shown
    choice = next(r for r in step.radio if r.label == "Team's rating")
    assert choice.value is None  # they disagree: nothing is offered
    choice.set_value(2)
    next(t for t in step.text_area if t.label.startswith("Why")).input("Met halfway")
    button(step, "Record the team's rating").click().run()
    assert not step.exception
    stored = db.get_study(study_id).study.answers["PG.1.a"]
    assert (stored.value, stored.notes) == (2, "Met halfway")
    button(step, "Mark consensus reached").click().run()
    assert db.team(study_id).agreed_at is not None

    # a rater who is not the lead sees the ratings now, but records nothing
    bo_step = browser(study_id, "consensus.py", "Bo")
    assert "Team's rating: **2 · Emerging**" in page_text(bo_step)
    assert not [b for b in bo_step.button if b.label == "Record the team's rating"]

    results = browser(study_id, "results.py", "Bo")
    assert not results.exception
    assert "These are the team's agreed ratings." in page_text(results)
    levels = {m.label: m.value for m in results.metric}
    assert any(value.startswith("2.00") for value in levels.values()), levels
    assert any(e.label.startswith("How sure the team was") for e in results.expander)


def test_a_rater_cannot_rate_on_the_team_study_before_joining(db, default_rubric):
    study_id = db.create_study(SelfStudy.new(default_rubric, "Bridge to STEM"))
    browser_of_ana = browser(study_id, "team.py", "Ana")
    button(browser_of_ana, "Make this a team self-study").click().run()
    cy = browser(study_id, "questionnaire.py", "Cy")
    assert "Join the team as a rater on the Team page" in page_text(cy)
    assert not cy.segmented_control


def test_raters_copies_uploaded_together_become_one_team_study(db, default_rubric):
    """Import & sync: three raters' copies of one round, saved as one team study."""
    from tests.test_app_bulk_import import click, upload
    from tests.test_app_import_sync import XLSX, open_page

    def copy(rater: str, level: int, round_: str = "baseline") -> bytes:
        study = SelfStudy.new(
            default_rubric, "Bridge to STEM", round=round_, completed_by=rater
        ).model_copy(update={"answers": {"PG.1.a": Answer(value=level)}})
        return xlsx_bytes(study, default_rubric)

    files = [(f"{n}.xlsx", copy(n, level), XLSX) for n, level in (("Ana", 3), ("Bo", 1))]
    at = upload(open_page(), *files, ("cy.xlsx", copy("Cy", 2, "follow-up"), XLSX))
    next(t for t in at.toggle if t.label.startswith("Save them as one team")).set_value(True)
    at.run()
    next(t for t in at.text_input if t.label == "Your name, as your team knows you").input("Ana")
    at = click(at, "Continue")
    at = click(at, "Save as one team self-study of 3 raters")
    assert not at.exception
    refused = at.table[-1].value
    assert list(refused["Code"]) == ["team-copies"] and "cy.xlsx" in refused.index[0]
    assert "follow-up" in refused["Problem and how to fix it"].iloc[0]
    assert db.list_studies() == []  # refused as a whole

    at = upload(open_page(), *files)
    next(t for t in at.toggle if t.label.startswith("Save them as one team")).set_value(True)
    at.run()
    next(t for t in at.text_input if t.label == "Your name, as your team knows you").input("Ana")
    at = click(at, "Continue")
    assert "Raters, by each copy's *Completed by* detail" in page_text(at)
    at = click(at, "Save as one team self-study of 2 raters")
    assert not at.exception
    [summary] = db.list_studies()
    team = db.team(summary.id)
    assert [r.name for r in team.raters] == ["Ana", "Bo"] and team.lead == "Ana"
    assert "Saved as one team self-study; it is open now." in page_text(at)


def test_cohorts_list_each_team_with_its_raters_and_agreement_once_compared(
    db, default_rubric, sample_set
):
    from tests.completion import finish_sheet, finished
    from tests.test_app_cohorts import open_page as cohorts_page
    from tests.test_app_cohorts import open_tab

    study_id = db.create_study(
        SelfStudy.new(default_rubric, "Bridge to STEM", cohort="2025", round="baseline")
    )
    ana = db.acting_as(Actor.local("Ana"))
    ana.make_team(study_id)
    bo = db.acting_as(Actor.local("Bo"))
    bo.add_rater(study_id, "Bo")
    sheets = {r.name: r.sheet_id for r in db.team(study_id).raters}
    ana.save_field(sheets["Ana"], "PG.1.a", "value", 3, None)
    bo.save_field(sheets["Bo"], "PG.1.a", "value", 3, None)
    finish_sheet(bo, sheets["Bo"], default_rubric)
    bo.submit_ratings(sheets["Bo"])

    [row] = open_tab(cohorts_page(), "Team ratings").dataframe[0].value.to_dict("records")
    assert (row["Program"], row["Raters"], row["Submitted"]) == ("Bridge to STEM", 2, 1)
    assert (row["Step"], row["Same level"]) == ("rating on their own", "—")

    # with a finished self-study to compare, the teams are a view of their own
    db.create_study(finished(sample_set[0], default_rubric))
    ana.open_consensus(study_id)
    page = open_tab(cohorts_page(), "Team ratings")
    assert not [e for e in page.subheader if e.value == "Team ratings"]
    [row] = page.dataframe[0].value.to_dict("records")
    assert (row["Step"], row["Same level"], row["Items compared"]) == (
        "consensus step open",
        "100%",
        1,
    )


def test_the_cohorts_page_counts_only_the_self_studies_chosen_by_how_they_were_rated(
    db, default_rubric, sample_set
):
    from tests.completion import finished
    from tests.test_app_cohorts import open_page as cohorts_page

    for study in sample_set[:2]:
        db.create_study(finished(study, default_rubric))
    team_study = db.create_study(finished(sample_set[2], default_rubric))
    db.acting_as(Actor.local("Ana")).make_team(team_study)  # still rating
    page = cohorts_page()
    choice = next(s for s in page.selectbox if s.label == "Which self-studies count")
    assert not [c for c in page.caption if "left out: not" in c.value]
    choice.set_value("agreed-or-single").run()
    assert not page.exception
    [said] = [c.value for c in page.caption if "left out: not" in c.value]
    assert said.startswith("1 self-study left out: not single-rater self-studies")
    choose = next(s for s in page.selectbox if s.label == "Which self-studies count")
    choose.set_value("agreed").run()
    [said] = [c.value for c in page.caption if "left out: not" in c.value]
    assert said.startswith("3 self-studies left out: not only team self-studies that reached")
    assert not page.metric  # nothing left to compare


def test_beginning_a_study_as_a_team_goes_on_to_the_team_page(db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    next(t for t in at.text_input if t.label == "Program name *").input("Robotics Club")
    next(c for c in at.checkbox if c.label.startswith("Rate it as a team")).check()
    next(b for b in at.button if b.label == "Begin the self-study").click().run()
    assert not at.exception
    assert at.title[0].value == "Team rating"
    next(t for t in at.text_input if t.label == "Your name, as your team knows you").input("Ana")
    button(at, "Continue").click().run()
    button(at, "Make this a team self-study").click().run()
    [summary] = db.list_studies()
    assert summary.name == "Robotics Club" and db.team(summary.id).lead == "Ana"


def test_the_consensus_step_takes_the_teams_choice_and_text_answers_too(db, default_rubric):
    """A choice shows or hides a rating and a text answer is the team's reflection: the lead
    records them as the raters' ratings, on the same page."""
    study_id = db.create_study(SelfStudy.new(default_rubric, "Bridge to STEM"))
    ana = db.acting_as(Actor.local("Ana"))
    ana.make_team(study_id)
    db.acting_as(Actor.local("Bo")).add_rater(study_id, "Bo")
    given = {"Ana": ("Yes", "More data"), "Bo": ("Some students", "A mentor")}
    for rater in db.team(study_id).raters:
        choice, text = given[rater.name]
        db.acting_as(Actor.local(rater.name)).save_answers(
            rater.sheet_id,
            {
                "SR.2.stipend": Answer(value=choice),
                "PG.R": Answer(value=text),
                "PG.1.c": Answer(value=2, evidence=f"{rater.name}'s notes"),
            },
            {"SR.2.stipend": None, "PG.R": None, "PG.1.c": None},
        )
    ana.open_consensus(study_id)
    step = browser(study_id, "consensus.py", "Ana")
    # the one item all answered alike, at one click
    button(step, "Record the answer of every item everyone answered alike (1)").click().run()
    agreed = db.get_study(study_id).study.answers["PG.1.c"]
    assert (agreed.value, agreed.evidence) == (2, "Ana: Ana's notes\n\nBo: Bo's notes")
    shown = page_text(step)
    assert "Ana: **Yes**" in shown and "Bo: **Some students**" in shown
    [choice] = [r for r in step.radio if r.label == "Team's answer"]
    assert choice.options == ["Yes", "No", "Some students"] and choice.value is None
    [text] = [t for t in step.text_area if t.label == "Team's answer"]
    assert text.value == "Ana: More data\n\nBo: A mentor"  # gathered, for the lead to edit
    text.input("More data, and a mentor")
    record = [b for b in step.button if b.label == "Record the team's answer"]
    record[0].click().run()  # PG.R comes first in the rubric
    [choice] = [r for r in step.radio if r.label == "Team's answer"]
    choice.set_value("Some students")
    [b for b in step.button if b.label == "Record the team's answer"][1].click().run()
    assert not step.exception
    answers = db.get_study(study_id).study.answers
    assert answers["SR.2.stipend"].value == "Some students"
    assert answers["PG.R"].value == "More data, and a mentor"
