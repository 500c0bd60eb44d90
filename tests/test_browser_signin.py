"""Signing in through a real OpenID Connect provider, in a real browser.

One provider and one app server serve the module (tests/signin.py); each person is a
browser context of their own, so their cookies are theirs. The app's database holds a
program's self-study from the start: nobody who has not signed in may see its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from selfstudy.core.study import SelfStudy
from selfstudy.edges.storage import Storage
from tests.signin import (
    NODE,
    SignInSite,
    app_server,
    fill_provider_form,
    free_port,
    leave_for_provider,
    person,
    sign_in,
    sign_in_button,
    sign_out,
    signed_in_line,
    signin_site,
)
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or NODE is None,
    reason="chromium or node is not installed; `make test` installs them",
)

PROGRAM = "Harbor Lights Robotics Club"
# A name the provider's account holder chose: Markdown that would make a link and an image.
HOSTILE_NAME = "[Bob](http://evil.example/a) ![x](http://evil.example/i.png) <b>Bob</b>"
PEOPLE = [
    person("alice"),
    person("bob", email=None, email_verified=None, name=HOSTILE_NAME),
    person("casey", email_verified=False),
]


# --- one provider, one app and one chromium for the module ---------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory, default_rubric) -> Iterator[SignInSite]:
    folder = tmp_path_factory.mktemp("signin")
    database = folder / "signin.db"
    storage = Storage(f"sqlite:///{database}")
    storage.create_study(SelfStudy.new(default_rubric, PROGRAM, round="baseline"))
    storage.engine.dispose()
    with signin_site(folder, PEOPLE, database=database) as running:
        yield running


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visitor(chromium, site) -> Iterator[Callable[[], Page]]:
    """A new visitor: each call opens a browser context of their own at the app."""
    contexts = []

    def open_page() -> Page:
        context = chromium.new_context(viewport={"width": 1300, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(site.url)
        expect(sign_in_button(page)).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        context.close()


def signed_in_as(page: Page, label: str) -> None:
    expect(signed_in_line(page, label)).to_be_visible()


def shows_nothing_of_the_app(page: Page) -> None:
    """The sign-in page only: no page navigation, no study, no sidebar."""
    expect(page.get_by_text("sign in to see yours")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]')).to_have_count(0)
    expect(page.get_by_role("link", name="Self-study")).to_have_count(0)
    assert PROGRAM not in page.content()


# --- the tests ------------------------------------------------------------------------------


def test_a_visitor_who_has_not_signed_in_sees_the_sign_in_page_and_nothing_of_the_app(
    visitor, site
):
    page = visitor()
    expect(page.get_by_role("heading", name="STEM equity self-study")).to_be_visible()
    shows_nothing_of_the_app(page)

    study_id = Storage(f"sqlite:///{site.folder / 'signin.db'}").list_studies()[0].id
    page.goto(f"{site.url}/results?study={study_id}")  # a link to the study, and a page
    expect(sign_in_button(page)).to_be_visible()
    shows_nothing_of_the_app(page)


def test_a_person_signs_in_through_the_provider_sees_the_app_and_signs_out(visitor, site):
    alice = site.people["alice"]
    page = visitor()
    sign_in(page, alice.username, alice.password)
    signed_in_as(page, "alice@example.test")
    expect(page.get_by_role("link", name="Self-study")).to_be_visible()
    expect(page.get_by_role("heading", name="STEM equity self-study")).to_be_visible()

    page.reload()  # the sign-in is kept for the browser, not only for the page
    signed_in_as(page, "alice@example.test")

    sign_out(page)
    shows_nothing_of_the_app(page)
    page.reload()
    expect(sign_in_button(page)).to_be_visible()
    shows_nothing_of_the_app(page)

    sign_in(page, alice.username, alice.password)  # the provider asks again, and lets her in
    signed_in_as(page, "alice@example.test")


def test_two_people_in_two_browsers_are_signed_in_independently(visitor, site):
    alice, bob = site.people["alice"], site.people["bob"]
    alices, bobs = visitor(), visitor()
    sign_in(alices, alice.username, alice.password)
    sign_in(bobs, bob.username, bob.password)
    signed_in_as(alices, "alice@example.test")
    # Bob's provider sends no email: he is named by his name, shown as he wrote it.
    signed_in_as(bobs, HOSTILE_NAME)
    mine = bobs.locator('[data-testid="stSidebarUserContent"]')
    expect(mine.get_by_role("link", name="Bob", exact=True)).to_have_count(0)
    expect(mine.locator("img, b")).to_have_count(0)
    assert "alice@example.test" not in bobs.content()

    sign_out(bobs)
    alices.reload()
    signed_in_as(alices, "alice@example.test")
    assert HOSTILE_NAME not in alices.content()


def test_a_wrong_password_stays_on_the_providers_form(visitor, site):
    casey = site.people["casey"]
    page = visitor()
    leave_for_provider(page)
    fill_provider_form(page, casey.username, casey.password + "x")
    expect(page.get_by_text("Invalid username or password")).to_be_visible()
    assert page.url.startswith(site.issuer)
    fill_provider_form(page, "nobody", casey.password)
    expect(page.get_by_text("Invalid username or password")).to_be_visible()

    page.goto(site.url)
    expect(sign_in_button(page)).to_be_visible()
    shows_nothing_of_the_app(page)

    leave_for_provider(page)  # and the right password still lets her in
    fill_provider_form(page, casey.username, casey.password)
    expect(page).to_have_url(re.compile(re.escape(site.url)))
    signed_in_as(page, "casey@example.test")


def test_a_secrets_file_that_cannot_be_read_lets_nobody_in(tmp_path, chromium, default_rubric):
    database = tmp_path / "broken.db"
    Storage(f"sqlite:///{database}").create_study(SelfStudy.new(default_rubric, PROGRAM))
    secret = "cookie-secret-that-must-stay-secret"
    broken = (
        f'[auth\nredirect_uri = "http://localhost/oauth2callback"\ncookie_secret = "{secret}"\n'
    )
    with app_server(tmp_path, broken, free_port(), database=database) as url:
        page = chromium.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        expect(page.get_by_text("Sign-in cannot be used right now")).to_be_visible()
        expect(sign_in_button(page)).to_have_count(0)
        shows_nothing_of_the_app(page)
        assert secret not in page.content()
        page.close()
    assert secret not in (tmp_path / "streamlit.log").read_text(encoding="utf-8")
