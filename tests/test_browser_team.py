# ruff: noqa: F811  (the browser fixtures are imported from tests/test_browser_teamwork.py)
"""A team self-study in real browsers: three raters, each in a browser of their own.

Ana (the lead), Bo and Cy give their names, join the team, rate on their own sheets
without seeing each other's ratings, then Ana opens the consensus step, records the
team's rating and marks consensus reached; Results says the ratings are the team's.
The app server, the database and chromium are `test_browser_teamwork`'s; the database
is read as each rater, so it shows only what that rater may see.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from selfstudy.core.access import Actor
from selfstudy.core.study import Answer
from selfstudy.edges.storage import Storage
from tests.test_browser import CHROMIUM, rating, wait_for_checked
from tests.test_browser_teamwork import (  # noqa: F401 (fixtures)
    chromium,
    left_here,
    make_study,
    person,
    store,
    team_app_url,
    team_database,
    team_folder,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed; `make test` installs it"
)


ASK_NAME = "Your name, as your team knows you"
LEVELS = {1: "Not yet", 2: "Emerging", 3: "Established"}
OTHERS_OF_BO = re.compile(r"\b(Ana|Cy)\b")
# Each rater's own ratings: they disagree on PG.1.a and agree on PG.1.b.
RATINGS = {
    "Ana": {"PG.1.a": 3, "PG.1.b": 2},
    "Bo": {"PG.1.a": 1, "PG.1.b": 2},
    "Cy": {"PG.1.a": 2, "PG.1.b": 2},
}


def go_to(page: Page, title: str) -> None:
    """Click a page in the sidebar, as a person moves around (their browser session stays)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()


def give_name(page: Page, name: str) -> None:
    field = page.get_by_label(ASK_NAME)
    field.fill(name)
    page.get_by_role("button", name="Continue").click()
    expect(field).to_have_count(0)


def rate(page: Page, answers: dict[str, int]) -> None:
    """Rate each item on the Self-study page; wait until each is saved (the count drops)."""
    left_here(page, 12)
    for count, (item_id, level) in enumerate(answers.items(), start=1):
        rating(page, item_id).get_by_role("radio", name=LEVELS[level]).click()
        left_here(page, 12 - count)


def own_answers(storage: Storage, study_id: str, name: str) -> dict[str, Answer]:
    """The answers on `name`'s own sheet, read as `name`."""
    as_rater = storage.acting_as(Actor.local(name))
    sheet = as_rater.team(study_id).rater_of(Actor.local(name)).sheet_id
    return as_rater.get_study(sheet).study.answers


def metric(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))


def item_card(page: Page, item_id: str):
    """The Consensus page's bordered box of one item: the innermost block holding its title."""
    return page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text(f"{item_id} ·")).last


def test_three_raters_rate_apart_then_agree_in_their_own_browsers(
    team_app_url, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "Three Raters STEM")
    link = f"{team_app_url}/team?study={study_id}"

    ana = person()
    ana.goto(link)
    give_name(ana, "Ana")
    ana.get_by_role("button", name="Make this a team self-study").click()
    ana.get_by_text("Raters are rating on their own").wait_for()
    ana.get_by_text("You rate as Ana").wait_for()

    raters = {"Ana": ana}
    for name in ("Bo", "Cy"):
        page = person()
        page.goto(link)
        give_name(page, name)
        page.get_by_role("button", name="Join as a rater").click()
        page.get_by_text(f"You rate as {name}").wait_for()
        raters[name] = page
    team = store.team(study_id)
    assert [r.name for r in team.raters] == ["Ana", "Bo", "Cy"] and team.lead == "Ana"

    # each rates on their own sheet, clicking as a person does
    for name, page in raters.items():
        go_to(page, "Self-study")
        page.get_by_text(f"You rate on your own, as {name}").wait_for()
        rate(page, RATINGS[name])
    for name, ratings in RATINGS.items():
        answers = own_answers(store, study_id, name)
        assert {item: a.value for item, a in answers.items()} == ratings, name
        seen = store.acting_as(Actor.local(name)).rater_sheets(study_id)
        assert [rater.name for rater in seen] == [name]  # nobody else's sheet, yet
    assert store.get_study(study_id).study.answers == {}  # the team's answers: none yet

    # Bo sees nothing of Ana's (Established) or Cy's (Emerging) PG.1.a anywhere he can go
    # (each page is waited for down to what it draws last, so nothing comes after the checks)
    bo = raters["Bo"]
    main = bo.get_by_test_id("stMain")
    go_to(bo, "Team")  # and back: the Self-study page drawn afresh, after Cy rated
    bo.get_by_text("You rate as Bo").wait_for()
    go_to(bo, "Self-study")
    left_here(bo, 10)
    for item_id, level in RATINGS["Bo"].items():
        wait_for_checked(bo, item_id, LEVELS[level])
        expect(rating(bo, item_id).get_by_role("radio", checked=True)).to_have_count(1)
    expect(main).to_contain_text("You rate on your own, as Bo")
    expect(main).not_to_contain_text(OTHERS_OF_BO)
    go_to(bo, "Consensus")
    bo.get_by_text("The consensus step is not open yet").wait_for()
    expect(main).not_to_contain_text(OTHERS_OF_BO)
    expect(main).not_to_contain_text(LEVELS[3])
    go_to(bo, "Results")
    bo.get_by_text("the team has not agreed yet").wait_for()
    bo.get_by_role("button", name="Report (HTML)").wait_for()
    expect(main).not_to_contain_text(OTHERS_OF_BO)
    # the study holds no rating yet: none of Ana's or Cy's (nor Bo's) is scored
    expect(metric(bo, "Overall mean level")).to_contain_text("not rated yet")
    expect(metric(bo, "Complete")).to_contain_text("0%")

    # the lead opens the consensus step
    go_to(ana, "Team")
    ana.get_by_role("button", name="Open the consensus step").click()
    ana.get_by_role("button", name="Open it now").click()
    ana.get_by_role("heading", name="Consensus").wait_for()
    assert store.team(study_id).is_open

    cy = raters["Cy"]
    go_to(cy, "Consensus")
    spread = item_card(cy, "PG.1.a")
    for line in ("Ana: 3 · Established", "Bo: 1 · Not yet", "Cy: 2 · Emerging"):
        expect(spread).to_contain_text(line)
    expect(spread).to_contain_text("2 levels apart")
    expect(item_card(cy, "PG.1.b")).to_contain_text("Everyone who answered gave the same")
    expect(cy.get_by_role("button", name="Record the team's rating")).to_have_count(0)

    # Ana records the team's rating, with a rationale where they disagreed, and agrees
    disagreed = item_card(ana, "PG.1.a")
    choice = disagreed.get_by_role("radiogroup", name="Team's rating")
    expect(choice.get_by_role("radio", checked=True)).to_have_count(0)  # nothing offered
    choice.get_by_text("2 · Emerging").click()
    disagreed.get_by_label("Why (a short rationale)").fill("Met halfway: one partner school")
    disagreed.get_by_role("button", name="Record the team's rating").click()
    ana.get_by_text("✓ PG.1.a").wait_for()
    agreed = item_card(ana, "PG.1.b")
    expect(agreed.get_by_role("radio", name="2 · Emerging", checked=True)).to_have_count(1)
    agreed.get_by_role("button", name="Record the team's rating").click()
    ana.get_by_text("✓ PG.1.b").wait_for()
    ana.get_by_role("button", name="Mark consensus reached").click()
    ana.get_by_text("✓ Consensus reached.").wait_for()

    answers = store.get_study(study_id).study.answers
    assert (answers["PG.1.a"].value, answers["PG.1.a"].notes) == (
        2,
        "Met halfway: one partner school",
    )
    assert answers["PG.1.b"].value == 2
    assert store.team(study_id).agreed_at is not None

    go_to(bo, "Results")
    bo.get_by_text("These are the team's agreed ratings.").wait_for()
    expect(main).not_to_contain_text("the team has not agreed yet")
    expect(metric(bo, "Overall mean level")).to_contain_text("2.00")  # the team's, not Bo's 1
