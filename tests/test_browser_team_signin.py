# ruff: noqa: F811  (the browser fixtures are imported from other browser test modules)
"""A team self-study with sign-in on, in real browsers: raters are the program's people.

The program's member Lena (the lead) makes the study a team one and adds Bo, the other
member, from the Team page's list of program members; Bo, signed in in a browser of his
own, rates on his own sheet, and Lena cannot see his rating (the consensus step is not
open). Vic, the program's viewer, sees who rates but no rating, and may not join.
One provider, one app server and one SQLite file (tests/signin.py); the database is set up
before the server starts, as a network admin's invitations would have it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from selfstudy.core.access import Actor
from selfstudy.core.study import SelfStudy
from selfstudy.edges.storage import Storage
from tests.signin import (
    NODE,
    SignInSite,
    choose,
    options_of,
    person,
    settled,
    sign_in,
    sign_in_button,
    signed_in_line,
    signin_site,
)
from tests.test_browser import CHROMIUM, TIMEOUT_MS, wait_for_checked
from tests.test_browser_signin import open_link, patient_expect  # noqa: F401 (fixture)
from tests.test_browser_team import LEVELS, go_to, rate
from tests.test_browser_teamwork import chromium  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or NODE is None,
    reason="chromium or node is not installed; `make test` installs them",
)

PROGRAM = "Lighthouse Coding Club"
PEOPLE = [person("lena"), person("bo"), person("vic")]
LEAD, BO, VIEWER = (f"{who.username}@example.test" for who in PEOPLE)
BO_RATES = {"PG.1.a": 3}  # Established: a word no page may show anyone but Bo


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("team-signin")


@pytest.fixture(scope="module")
def study(folder, default_rubric) -> str:
    """The program's one self-study, and its people invited: two members and a viewer."""
    storage = Storage(f"sqlite:///{folder / 'team.db'}")
    study_id = storage.create_study(SelfStudy.new(default_rubric, PROGRAM, round="baseline"))
    (program,) = storage.programs()
    for email, role in ((LEAD, "member"), (BO, "member"), (VIEWER, "viewer")):
        storage.invite(email, role, program_id=program.id)
    storage.engine.dispose()
    return study_id


@pytest.fixture(scope="module")
def site(folder, study) -> Iterator[SignInSite]:
    with signin_site(folder, PEOPLE, database=folder / "team.db") as running:
        yield running


@pytest.fixture
def signed_in(chromium, site) -> Iterator[Callable[[str], Page]]:
    """Someone of the provider's, signed in in a browser context of their own."""
    contexts = []

    def open_as(username: str) -> Page:
        context = chromium.new_context(viewport={"width": 1300, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        open_link(page, site.url)
        expect(sign_in_button(page)).to_be_visible()
        someone = site.people[username]
        sign_in(page, someone.username, someone.password)
        expect(signed_in_line(page, someone.email)).to_be_visible()
        return page

    yield open_as
    for context in contexts:
        context.close()


def raters_listed(page: Page):
    """The Team page's raters table: a row of text per rater (its header left out)."""
    return expect(page.get_by_test_id("stTable").locator("tbody tr"))


LISTED = [f"{LEAD} (lead) rating", "Bo rating"]


def test_the_lead_adds_a_member_who_rates_unseen_and_a_viewer_sees_only_who_rates(
    site, study, signed_in, folder
):
    team_page = f"{site.url}/team?study={study}"
    bo = signed_in("bo")  # he has signed in once, so the app knows him as a person

    lena = signed_in("lena")
    open_link(lena, team_page)
    lena.get_by_role("button", name="Make this a team self-study").click()
    lena.get_by_text(f"You rate as {LEAD}").wait_for()
    # the program's other member is offered: not its viewer, nor the lead, who rates already
    assert options_of(lena, "Program member") == ["Bo"]
    choose(lena, "Program member", "Bo")
    lena.get_by_role("button", name="Add as a rater").click()
    lena.get_by_text("No other member of the program can be added").wait_for()
    raters_listed(lena).to_have_text(LISTED, use_inner_text=True)
    storage = Storage(f"sqlite:///{folder / 'team.db'}")
    team = storage.team(study)
    assert all(rater.person_id for rater in team.raters)  # people, not names typed

    open_link(bo, team_page)
    bo.get_by_text("You rate as Bo").wait_for()
    go_to(bo, "Self-study")
    bo.get_by_text("You rate on your own, as Bo").wait_for()
    rate(bo, BO_RATES)
    wait_for_checked(bo, "PG.1.a", LEVELS[3])
    # saved on Bo's own sheet, read as Bo; the study itself holds no rating yet
    as_bo = storage.acting_as(Actor(label=BO, person_id=team.raters[1].person_id))
    assert as_bo.get_study(team.raters[1].sheet_id).study.answers["PG.1.a"].value == 3
    assert storage.get_study(study).study.answers == {}
    storage.engine.dispose()

    # the lead: the consensus step is not open, so Bo's rating is nowhere on the page
    go_to(lena, "Consensus")
    lena.get_by_text("The consensus step is not open yet").wait_for()
    settled(lena)
    expect(lena.get_by_test_id("stMain")).not_to_contain_text(LEVELS[3])

    # the viewer: who rates, but no rating, and no joining nor adding
    vic = signed_in("vic")
    open_link(vic, team_page)
    vic.get_by_text("Raters are rating on their own").wait_for()
    raters_listed(vic).to_have_text(LISTED, use_inner_text=True)
    settled(vic)
    expect(vic.get_by_test_id("stMain")).not_to_contain_text(LEVELS[3])
    expect(vic.get_by_role("button", name="Join as a rater")).to_have_count(0)
    expect(vic.get_by_role("button", name="Add as a rater")).to_have_count(0)
    expect(vic.get_by_text("You rate as")).to_have_count(0)
