"""Signing in through a real OpenID Connect provider, in a real browser, and what each
person then may see and do.

One provider and one app server serve the module (tests/signin.py); each person is a
browser context of their own, so their cookies are theirs. The app's database is set up
before the server starts, as a network would have it: program A (Bridge to STEM Summer
Academy, in the 2025 cohort) and program B (Young Engineers of the Valley, in the 2026
cohort), each with its baseline and follow-up from the bundled samples, and a program
nobody was given (Harbor Lights). Mia is invited as a member of A, Fran as the 2025
cohort's facilitator; Ada is a network admin through SELFSTUDY_ADMINS; Alice, Bob and
Casey have no access, nor have Otto and Pia, who signed in once before. Nobody who has
not signed in may see any program's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from selfstudy.core.access import Identity
from selfstudy.core.study import SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.edges.study_files import load_study
from tests.conftest import SAMPLES_DIR
from tests.signin import (
    NODE,
    SignInSite,
    app_started,
    choose,
    fill_provider_form,
    free_port,
    leave_for_provider,
    options_of,
    person,
    settled,
    sign_in,
    sign_in_button,
    sign_out,
    signed_in_line,
    signin_site,
    stop,
)
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OUTPUT,
    TIMEOUT_MS,
    rating,
    wait_until_healthy,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or NODE is None,
    reason="chromium or node is not installed; `make test` installs them",
)

PROGRAM = "Harbor Lights Robotics Club"  # a program nobody was given
A_NAME, A_COHORT = "Bridge to STEM Summer Academy", "2025 Network cohort"  # samples p01
B_NAME, B_COHORT = "Young Engineers of the Valley", "2026 Network cohort"  # samples p02
ADMIN = "ada@example.test"
# A name the provider's account holder chose: Markdown that would make a link and an image.
HOSTILE_NAME = "[Bob](http://evil.example/a) ![x](http://evil.example/i.png) <b>Bob</b>"
PEOPLE = [
    person("alice"),
    person("bob", email=None, email_verified=None, name=HOSTILE_NAME),
    person("casey", email_verified=False),
    person("mia"),  # member of A
    person("fran"),  # facilitator of the 2025 cohort
    person("ada"),  # network admin
    person("nell"),  # invited by Ada in a test, through the People page
]
# People who signed in once, through another provider, and hold no access.
ELSEWHERE, NOBODYS = "https://accounts.elsewhere.example", ("Otto", "Pia")
NO_ACCESS = "you do not have access to this"
READ_ONLY = "This self-study is read-only for you."
SCREENSHOTS = OUTPUT / "signin"


@dataclass(frozen=True)
class Network:
    """The database as the server finds it, and the ids a test needs to make links."""

    database: Path
    harbor: str  # Harbor Lights' study
    studies: dict[tuple[str, str], str]  # (program name, round) -> study id

    @property
    def url(self) -> str:
        return f"sqlite:///{self.database}"

    def storage(self) -> Storage:
        """The database as the server's operator reads it (no sign-in: everything)."""
        return Storage(self.url)


# --- one provider, one app and one chromium for the module ---------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("signin")


@pytest.fixture(scope="module")
def network(folder, default_rubric) -> Network:
    """Programs A and B with two self-studies each, Harbor Lights with one, and the
    invitations of A's member and the 2025 cohort's facilitator (nobody signed in yet)."""
    database = folder / "signin.db"
    storage = Storage(f"sqlite:///{database}")
    harbor = storage.create_study(SelfStudy.new(default_rubric, PROGRAM, round="baseline"))
    studies = {}
    for sample in ("p01-baseline", "p01-follow-up", "p02-baseline", "p02-follow-up"):
        study = load_study(SAMPLES_DIR / f"{sample}.json")
        key = (study.program.name, study.program.round or "")
        studies[key] = storage.create_study(study, by="network setup")
    programs = {program.name: program.id for program in storage.programs()}
    storage.invite("mia@example.test", "member", program_id=programs[A_NAME])
    storage.invite("fran@example.test", "facilitator", cohort=A_COHORT)
    for name in NOBODYS:  # signed in once, and nobody gave them access
        storage.sign_in(
            Identity(ELSEWHERE, f"sub-{name}", f"{name.lower()}@elsewhere.example", True, name)
        )
    storage.engine.dispose()
    return Network(database, harbor, studies)


@pytest.fixture(scope="module")
def site(folder, network, request) -> Iterator[SignInSite]:
    if any(item.name == UNREADABLE_TEST for item in request.session.items):
        request.getfixturevalue("unreadable_secrets_app")  # starts while the site does
    with signin_site(folder, PEOPLE, database=network.database, admins=ADMIN) as running:
        yield running


COOKIE_SECRET = "cookie-secret-that-must-stay-secret"
UNREADABLE_TEST = "test_a_secrets_file_that_cannot_be_read_lets_nobody_in"


@pytest.fixture(scope="module")
def unreadable_secrets_app(tmp_path_factory, default_rubric) -> Iterator[tuple]:
    """An app server whose secrets file cannot be read (an `[auth` never closed), on a
    database of its own with one self-study: its folder, URL and process, started and not
    waited for, so that it starts while the module's site does."""
    folder = tmp_path_factory.mktemp("unreadable")
    database = folder / "broken.db"
    storage = Storage(f"sqlite:///{database}")
    storage.create_study(SelfStudy.new(default_rubric, PROGRAM))
    storage.engine.dispose()
    broken = (
        '[auth\nredirect_uri = "http://localhost/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
    )
    with app_started(folder, broken, free_port(), database=database) as (url, app):
        yield folder, url, app


@pytest.fixture(scope="module", autouse=True)
def patient_expect() -> Iterator[None]:
    """Give `expect` the browser tests' patience: a page of this loaded machine's app server
    may take longer than Playwright's default 5 s to draw."""
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=None)


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visitor(chromium, site, request) -> Iterator[Callable[[], Page]]:
    """A new visitor: each call opens a browser context of their own at the app.

    When the test fails, each visitor's page is kept as a screenshot in test-output/signin/.
    """
    contexts = []
    failed_before = request.session.testsfailed

    def open_page() -> Page:
        context = chromium.new_context(viewport={"width": 1300, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        open_link(page, site.url)
        expect(sign_in_button(page)).to_be_visible()
        return page

    yield open_page
    if request.session.testsfailed > failed_before:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts, 1):
            for page in context.pages:
                screenshot_of_all(page, SCREENSHOTS / f"{request.node.name}-{number}.png")
    for context in contexts:
        context.close()


def screenshot_of_all(page: Page, path: Path) -> None:
    """The whole page: Streamlit scrolls its main area itself, so the window is made as
    tall as what it holds."""
    tall = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
        ".map(e => e.scrollHeight), 900)"
    )
    page.set_viewport_size({"width": 1300, "height": min(int(tall) + 200, 12_000)})
    page.screenshot(path=path)


@pytest.fixture
def signed_in(visitor, site) -> Callable[[str], Page]:
    """A person of the provider's (with a verified email), signed in in a browser context of
    their own."""

    def open_as(username: str) -> Page:
        page = visitor()
        someone = site.people[username]
        sign_in(page, someone.username, someone.password)
        signed_in_as(page, someone.email or someone.name or "")
        return page

    return open_as


def signed_in_as(page: Page, label: str) -> None:
    expect(signed_in_line(page, label)).to_be_visible()


def shows_nothing_of_the_app(page: Page) -> None:
    """The sign-in page only: no page navigation, no study, no sidebar."""
    expect(page.get_by_text("sign in to see yours")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]')).to_have_count(0)
    expect(page.get_by_role("link", name="Self-study")).to_have_count(0)
    shows_no_program(page, PROGRAM, A_NAME, B_NAME)


def shows_no_program(page: Page, *names: str) -> None:
    """None of these names anywhere on the page, once drawn (and no error box instead)."""
    settled(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    content = page.content()
    for name in names:
        assert name not in content, f"{name} is on the page"


def resume_list(page: Page):
    """The Start page's "Resume a self-study" part (a column beside the form to begin one,
    or the whole width for who may not begin one), once its run has drawn it all."""
    heading = page.get_by_role("heading", name="Resume a self-study")
    expect(heading).to_have_count(1)
    settled(page)
    # the innermost block that holds the heading: the list's own
    column = page.get_by_test_id("stVerticalBlock").filter(has=heading).last
    # and the list drawn in it, as a person waits for it: a finished run's page has at times
    # shown the heading alone for a moment after signing in (with the file watcher on or off)
    listed = column.get_by_role("button", name="Open").first
    empty = column.get_by_text("Saved self-studies will be listed here.")
    expect(listed.or_(empty)).to_be_visible()
    settled(page)
    return column


def listed_studies(page: Page) -> list[str]:
    """The self-studies the Start page lists, as "program · round" lines, in its order."""
    column = resume_list(page)
    cards = column.get_by_test_id("stHorizontalBlock").filter(
        has=page.get_by_role("button", name="Open")
    )
    listed = []
    for card in cards.all():
        name, details = (
            card.get_by_test_id("stMarkdownContainer").first.inner_text().split("\n")[:2]
        )
        listed.append(f"{name} · {details.rsplit(' · ', 1)[-1]}")
    if not listed:  # what the list showed, for a failing check's report (a rare race, open)
        print("Resume a self-study, as shown:", column.inner_text()[:2000])
    return listed


def open_link(page: Page, url: str) -> None:
    """Open `url` as a person typing a link does, and go on once the new page has begun:
    the check that follows waits for what it looks for (waiting for each page's load event
    as well cost half a second in a new browser context, before Streamlit drew anything)."""
    page.goto(url, wait_until="commit")


def reload(page: Page) -> None:
    """Reload the page, going on once it has begun, as `open_link` does."""
    page.reload(wait_until="commit")


def study_link(site: SignInSite, page: str, study_id: str) -> str:
    return f"{site.url}/{page}?study={study_id}"


def is_refused(page: Page, *hidden: str) -> None:
    """The page says this person has no access, and shows nothing of the study."""
    expect(page.get_by_text(NO_ACCESS)).to_be_visible()
    expect(page.get_by_role("link", name="Go to the Start page")).to_be_visible()
    shows_no_program(page, *hidden)


def search(page: Page, words: str) -> None:
    box = page.get_by_label("Search by program, organization, cohort or round")
    box.fill(words)
    box.press("Enter")


def go_to(page: Page, title: str) -> None:
    """Click a page in the sidebar's navigation and wait for its heading (its title)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def cohorts_offered(page: Page) -> list[str]:
    """On the Cohorts page: the cohorts its filter chose (all it offers, at first), once
    its headline counted them."""
    go_to(page, "Cohorts")
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    settled(page)
    chosen = page.get_by_test_id("stMultiSelect").filter(
        has=page.get_by_role("combobox", name="Cohorts", exact=True)
    )
    return chosen.locator("[data-tag]").all_inner_texts()


def programs_compared(page: Page) -> list[str]:
    """On the Cohorts page: the programs (with their rounds) its One program tab offers,
    unfinished ones too, without their mark."""
    page.get_by_role("tab", name="One program").click()  # the open tab is drawn by a rerun
    expect(page.get_by_role("combobox", name="Program", exact=True)).to_be_visible()
    settled(page)
    return [option.split(" — unfinished, ")[0] for option in options_of(page, "Program")]


# --- the tests ------------------------------------------------------------------------------


def test_a_visitor_who_has_not_signed_in_sees_the_sign_in_page_and_nothing_of_the_app(
    visitor, site, network
):
    page = visitor()
    expect(page.get_by_role("heading", name="STEM equity self-study")).to_be_visible()
    shows_nothing_of_the_app(page)

    for study_id in (network.harbor, network.studies[A_NAME, "baseline"]):
        open_link(page, study_link(site, "results", study_id))  # a link to a study, and a page
        expect(sign_in_button(page)).to_be_visible()
        shows_nothing_of_the_app(page)


def test_a_person_signs_in_sees_the_app_without_any_study_yet_and_signs_out(visitor, site):
    alice = site.people["alice"]
    page = visitor()
    sign_in(page, alice.username, alice.password)
    signed_in_as(page, "alice@example.test")
    expect(page.get_by_role("link", name="Self-study")).to_be_visible()
    expect(page.get_by_role("heading", name="STEM equity self-study")).to_be_visible()
    # Nobody has given her access: the Start page says so, and lists no study.
    expect(page.get_by_text("no program has given you access yet")).to_be_visible()
    expect(resume_list(page).get_by_text("Saved self-studies will be listed here.")).to_be_visible()
    assert listed_studies(page) == []
    shows_no_program(page, PROGRAM, A_NAME, B_NAME)

    reload(page)  # the sign-in is kept for the browser, not only for the page
    signed_in_as(page, "alice@example.test")

    sign_out(page)
    shows_nothing_of_the_app(page)
    reload(page)
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
    reload(alices)
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

    open_link(page, site.url)
    expect(sign_in_button(page)).to_be_visible()
    shows_nothing_of_the_app(page)

    leave_for_provider(page)  # and the right password still lets her in
    fill_provider_form(page, casey.username, casey.password)
    expect(page).to_have_url(re.compile(re.escape(site.url)))
    signed_in_as(page, "Casey (email not verified)")  # her provider did not verify it


def test_a_secrets_file_that_cannot_be_read_lets_nobody_in(unreadable_secrets_app, chromium):
    folder, url, app = unreadable_secrets_app
    wait_until_healthy(url, app)
    page = chromium.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    open_link(page, url)
    expect(page.get_by_text("Sign-in cannot be used right now")).to_be_visible()
    expect(sign_in_button(page)).to_have_count(0)
    shows_nothing_of_the_app(page)
    assert COOKIE_SECRET not in page.content()
    page.close()
    stop(app)  # its log is all written once it has stopped
    assert COOKIE_SECRET not in (folder / "streamlit.log").read_text(encoding="utf-8")


# --- what each role sees and may do ---------------------------------------------------------


def test_a_program_member_sees_and_changes_only_their_own_programs_self_studies(
    signed_in, site, network
):
    page = signed_in("mia")
    assert sorted(listed_studies(page)) == [f"{A_NAME} · baseline", f"{A_NAME} · follow-up"]
    shows_no_program(page, PROGRAM, B_NAME, B_COHORT)
    for words in ("Young Engineers", "Valley", "2026", "Harbor"):
        search(page, words)
        expect(page.get_by_text("No saved self-study matches that search.")).to_be_visible()
        shows_no_program(page, B_NAME, PROGRAM)
    search(page, "")
    expect(resume_list(page).get_by_role("button", name="Open")).to_have_count(2)

    # B's self-study by its direct link, on the pages that would show it: refused, unseen.
    b_study = network.studies[B_NAME, "baseline"]
    for where in ("self-study", "results"):
        open_link(page, study_link(site, where, b_study))
        is_refused(page, B_NAME, B_COHORT, "Valley Youth Alliance")

    # Her own program's self-study: she changes an answer, and the history says it was her.
    a_study = network.studies[A_NAME, "baseline"]
    open_link(page, study_link(site, "self-study", a_study))
    expect(page.get_by_role("heading", name="1. Program Goals")).to_be_visible()
    expect(page.get_by_text(READ_ONLY)).to_have_count(0)
    item = rating(page, "PG.1.c")  # Emerging in the sample
    expect(item.get_by_role("radio", name="Emerging", checked=True)).to_be_visible()
    item.get_by_role("radio", name="Established").click()
    expect(item.get_by_role("radio", name="Established", checked=True)).to_be_visible()
    page.get_by_text("History", exact=True).nth(2).click()  # PG.1.a, PG.1.b, then PG.1.c
    line = page.get_by_text(re.compile(r"mia@example\.test · answer: Emerging .* → Established"))
    expect(line).to_be_visible()
    (change,) = [c for c in network.storage().history(a_study, "PG.1.c") if c.new == 3]
    assert change.changed_by == "mia@example.test"
    assert network.storage().get_study(a_study).study.answers["PG.1.c"].value == 3

    assert cohorts_offered(page) == [A_COHORT]
    assert sorted(programs_compared(page)) == [f"{A_NAME} (baseline)", f"{A_NAME} (follow-up)"]
    shows_no_program(page, B_NAME, B_COHORT, PROGRAM)

    # The People page: she may invite a viewer or a member to her own program, no more.
    go_to(page, "People")
    assert options_of(page, "Role") == ["Program member", "Program viewer"]
    choose(page, "Role", "Program viewer")
    assert options_of(page, "Program *") == [A_NAME]
    page.get_by_label("Email address *").fill("vera@example.test")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Invited vera@example.test as program viewer.")).to_be_visible()
    shows_no_program(page, B_NAME, PROGRAM, ADMIN, "fran@example.test")
    vera = [e for e in network.storage().access() if e.email == "vera@example.test"]
    assert [(e.role.value, e.program_name, e.pending) for e in vera] == [("viewer", A_NAME, True)]


def test_a_facilitator_reads_and_compares_their_cohorts_programs_and_changes_nothing(
    signed_in, site, network
):
    page = signed_in("fran")
    assert sorted(listed_studies(page)) == [f"{A_NAME} · baseline", f"{A_NAME} · follow-up"]
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    # she may begin a round of her cohort's program (issue 12), and answer none
    expect(page.get_by_role("button", name="Begin the self-study")).to_have_count(1)
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="People")).to_have_count(0)
    shows_no_program(page, PROGRAM, B_NAME, B_COHORT)

    open_link(page, study_link(site, "self-study", network.studies[A_NAME, "follow-up"]))
    expect(page.get_by_role("heading", name="1. Program Goals")).to_be_visible()
    expect(page.get_by_text(READ_ONLY)).to_be_visible()
    ratings = page.get_by_test_id("stMain").get_by_role("radio")
    expect(rating(page, "PG.1.a").get_by_role("radio", name="Established")).to_be_disabled()
    settled(page)
    assert ratings.count() > 50  # every rating of the dimension is drawn, and none can change
    expect(page.get_by_test_id("stMain").get_by_role("radio", disabled=False)).to_have_count(0)

    open_link(page, study_link(site, "results", network.studies[A_NAME, "follow-up"]))
    expect(page.get_by_role("heading", name="Change since baseline")).to_be_visible()

    for where in ("self-study", "results"):
        open_link(page, study_link(site, where, network.studies[B_NAME, "follow-up"]))
        is_refused(page, B_NAME, B_COHORT)
    open_link(page, f"{site.url}/people")  # not a page of hers: Streamlit says so, shows Start
    not_found = page.get_by_role("dialog").filter(has_text="Page not found")
    expect(not_found).to_be_visible()
    not_found.get_by_role("button", name="Close").click()
    expect(page.get_by_role("heading", name="STEM equity self-study")).to_be_visible()
    expect(page.get_by_role("heading", name="Invite someone")).to_have_count(0)

    assert cohorts_offered(page) == [A_COHORT]
    assert sorted(programs_compared(page)) == [f"{A_NAME} (baseline)", f"{A_NAME} (follow-up)"]
    shows_no_program(page, B_NAME, B_COHORT, PROGRAM)

    # Under her name, her cohort as everyone writes it (and as the People page shows it).
    sidebar = page.get_by_test_id("stSidebarUserContent")
    expect(sidebar).to_contain_text(f"facilitator of cohort {A_COHORT}")


def test_a_facilitator_is_not_offered_to_update_a_self_study_from_a_sheet_copy(
    signed_in, site, network, tmp_path
):
    """She may download the sheet copy of a self-study she reads; uploading it back must
    not offer an update, which only the program's members may make; keeping both (a new
    self-study of her cohort's program) she may."""
    page = signed_in("fran")
    open_link(page, study_link(site, "import-sync", network.studies[A_NAME, "baseline"]))
    expect(page.get_by_text(f"Open self-study: {A_NAME}")).to_be_visible()
    page.get_by_role("tab", name="Download").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="This self-study's sheet copy (.xlsx)").click()
    copy = tmp_path / "copy.xlsx"
    download.value.save_as(copy)

    page.get_by_role("tab", name="Import").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(copy)
    expect(page.get_by_text(re.compile(f"^{A_NAME} · .* answers"))).to_be_visible()
    settled(page)
    update = page.get_by_role("button", name="Update the existing self-study")
    assert update.count() == 0 or update.is_disabled(), "an update is offered to her"
    expect(page.get_by_role("button", name="Keep both (save as a new self-study)")).to_be_enabled()


def test_a_network_admin_sees_everything_and_invites_someone_who_then_has_access(
    signed_in, site, network
):
    admin = signed_in("ada")
    assert sorted(listed_studies(admin)) == sorted(
        [f"{PROGRAM} · baseline"] + [f"{name} · {round_}" for name, round_ in network.studies]
    )
    go_to(admin, "People")
    people = admin.get_by_test_id("stColumn").filter(
        has=admin.get_by_role("heading", name="Who has access")
    )
    expect(people.get_by_text("program member of " + A_NAME)).to_be_visible()
    expect(people.get_by_text(f"facilitator of cohort {A_COHORT}")).to_be_visible()
    for who in ("ada@example.test (Ada)", "mia@example.test", "fran@example.test"):
        expect(people.get_by_text(who).first).to_be_visible()
    for name in NOBODYS:  # listed, with no access, and nothing asked about them unasked
        line = people.get_by_test_id("stVerticalBlock").filter(has_text=f"{name}@elsewhere")
        expect(line.last.get_by_text("signed in, no access")).to_be_visible()
    expect(people.get_by_text("Take away")).to_have_count(0)
    shows_no_program(admin)  # nothing instead of the page (a crash, say)

    choose(admin, "Role", "Program member")
    choose(admin, "Program *", B_NAME)
    admin.get_by_label("Email address *").fill("nell@example.test")
    admin.get_by_role("button", name="Invite").click()
    expect(admin.get_by_text("Invited nell@example.test as program member.")).to_be_visible()
    nell_line = people.get_by_test_id("stVerticalBlock").filter(has_text="nell@example.test")
    expect(nell_line.last.get_by_text("invited, not signed in yet")).to_be_visible()

    nell = signed_in("nell")  # signs in for the first time, in a browser of her own
    sidebar = nell.get_by_test_id("stSidebarUserContent")
    expect(sidebar).to_contain_text(f"program member of {B_NAME}")
    assert sorted(listed_studies(nell)) == [f"{B_NAME} · baseline", f"{B_NAME} · follow-up"]
    shows_no_program(nell, A_NAME, A_COHORT, PROGRAM)

    reload(admin)
    expect(admin.get_by_role("heading", name="Who has access")).to_be_visible()
    line = admin.get_by_test_id("stVerticalBlock").filter(has_text="nell@example.test").last
    expect(line.get_by_text(re.compile(r"^active"))).to_be_visible()

    assert cohorts_offered(admin) == [A_COHORT, B_COHORT]
    assert sorted(programs_compared(admin)) == sorted(
        [f"{PROGRAM} (baseline)"] + [f"{name} ({round_})" for name, round_ in network.studies]
    )
