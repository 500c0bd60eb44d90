"""Two app servers on one PostgreSQL database, as behind a load balancer: nobody's work is lost.

The README says app instances can share one database behind a load balancer, so a
person's clicks may reach any of them. Here two `streamlit run app.py` servers (A and B),
without sign-in, share one fresh PostgreSQL database; each person is a browser context of
their own talking to one server. What two people see and keep must be what they see and
keep on one server (tests/test_browser_teamwork.py): a colleague's answer arrives at the
next click, two changes to different fields are both kept, a change to the same field is
refused with the words kept, and what a server keeps in its caches (the study list, keyed
by `Storage.fingerprint()`) follows the other server's writes.

It needs the PostgreSQL server `make test` starts (`SELFSTUDY_TEST_POSTGRES_URL`).

A test waits as a person would (tests/signin.py): for a page to finish running before it
types, clicks or looks for what is not there (`settled`, `open_start`), and for an
expander to finish opening before it touches what is in or below it (`open_expander`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from selfstudy.app.widget_values import widget_key
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.core.wording import percent_text
from selfstudy.edges.rubric_files import available_rubrics
from selfstudy.edges.storage import Storage
from selfstudy.workflows import studies
from tests.conftest import POSTGRES_URL, fresh_postgres_url
from tests.signin import app_servers, open_expander, open_start, settled
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, rating, wait_for_checked

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="chromium is not installed; `make test` installs it"
    ),
    pytest.mark.skipif(
        not POSTGRES_URL, reason="SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)"
    ),
]

NOT_SAVED = "was not saved"
WARNING = '[data-testid="stAlertContentWarning"]'
INFO = '[data-testid="stAlertContentInfo"]'
LABELS = {"evidence": "Evidence (how do you know?)", "notes": "Notes"}
LOCAL_MODE = "# no [auth]: nobody signs in\n"


@dataclass(frozen=True)
class Servers:
    a: str  # the URL of server A
    b: str  # the URL of server B
    database_url: str


# --- two servers, one database and one chromium for the module -----------------------------


@pytest.fixture(scope="module")
def database_url() -> str:
    return fresh_postgres_url(POSTGRES_URL)


@pytest.fixture(scope="module")
def servers(tmp_path_factory, database_url) -> Iterator[Servers]:
    """Servers A and B, started at once on the fresh database, without sign-in."""
    folders = [tmp_path_factory.mktemp(name) for name in ("server-a", "server-b")]
    with app_servers(folders, LOCAL_MODE, database_url=database_url) as (a, b):
        yield Servers(a, b, database_url)


@pytest.fixture(scope="module")
def store(servers) -> Iterator[Storage]:
    storage = Storage(servers.database_url)
    yield storage
    storage.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", autouse=True)
def patient_expect() -> Iterator[None]:
    """Checks wait as long as the pages' own timeout: two servers and a browser share two
    cores, and a first load of the Cohorts page can take seconds there."""
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=None)


@pytest.fixture
def person(chromium) -> Iterator[Callable[[], Page]]:
    """A new person: each call opens a browser context (a browser session of one server)."""
    with ExitStack() as contexts:

        def new_person() -> Page:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            contexts.callback(context.close)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            return page

        yield new_person


# --- helpers -------------------------------------------------------------------------------


def make_study(store: Storage, rubric, name: str) -> str:
    return store.create_study(SelfStudy.new(rubric, name, round="baseline"), by="the test")


def open_study(page: Page, server: str, study_id: str) -> None:
    """Open a study at Program Goals and wait until the page's first run has finished."""
    page.goto(f"{server}/self-study?study={study_id}")
    page.get_by_role("heading", name="1. Program Goals").wait_for()
    settled(page)


def left_here(page: Page, count: int) -> None:
    """Wait until the page's list of required items left shows `count`, and the run that
    drew it has finished (so what it did not draw is really not there)."""
    page.get_by_text(f"{count} required left here").wait_for()
    settled(page)


def keyed(page: Page, study_id: str, item_id: str, part: str) -> Locator:
    """The element the app drew with an item's widget key (Streamlit's `st-key-` class)."""
    key = widget_key(study_id, item_id, part)
    css = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "-" for c in key)
    return page.locator(f".st-key-{css}")


def open_evidence(page: Page, study_id: str, item_id: str) -> None:
    """Open an item's "Evidence and notes" (its boxes are drawn only while it is open, by
    the run its opening starts), and wait until it is open and still."""
    more = keyed(page, study_id, item_id, "more")
    open_expander(page, "Evidence and notes", drawn_inside=LABELS["evidence"], within=more)


def text_box(page: Page, study_id: str, item_id: str, part: str) -> Locator:
    return keyed(page, study_id, item_id, part).get_by_label(LABELS[part])


def saved_mark(page: Page, study_id: str, item_id: str) -> Locator:
    return keyed(page, study_id, item_id, "more").get_by_text("Evidence and notes ✓")


def typed_and_left(boxes: list[tuple[Locator, str]]) -> None:
    """Type into every box, then leave them all: the saves reach the servers together."""
    for box, text in boxes:
        box.fill(text)
    for box, _ in boxes:
        box.press("Tab")


def shown_completeness(store: Storage, study_id: str) -> str:
    """The "…% complete" the Start page should show for a study as it is stored now."""
    share = studies.completeness(store.get_study(study_id).study, available_rubrics())
    return f"{percent_text(share)} complete"


# --- tests ---------------------------------------------------------------------------------


def test_a_study_begun_on_one_server_is_listed_counted_and_deleted_on_the_other(
    servers, store, person
):
    assert store.list_studies() == [], "this test reads the module's new database first"
    ana, ben = person(), person()  # Ana uses server A, Ben server B
    ben.goto(f"{servers.b}/cohorts")  # B reads (and caches) the empty list
    ben.get_by_text("There are no self-studies yet").wait_for()

    open_start(ana, servers.a)  # typed into the boxes this run drew, not ones it replaces
    ana.get_by_label("Program name *", exact=True).fill("Across Servers Academy")
    ana.get_by_label("Round", exact=True).fill("baseline")
    ana.get_by_role("button", name="Begin the self-study").click()
    ana.get_by_role("heading", name="1. Program Goals").wait_for()
    settled(ana)  # the rating clicked below is where this run leaves it
    (first,) = [s.id for s in store.list_studies() if s.name == "Across Servers Academy"]

    open_start(ben, servers.b)
    listed = ben.locator(f".st-key-open-{first}")
    expect(listed).to_be_visible()
    # The study's row: the innermost block that holds its Open button and its progress.
    row = ben.get_by_test_id("stVerticalBlock").filter(has=listed).filter(has_text="complete").last
    expect(row).to_contain_text("0% complete")  # B's cached study list now holds it

    # Ana answers on A; B's cached list (and its progress) follows at Ben's next reload.
    rating(ana, "PG.1.a").get_by_role("radio", name="Established").click()
    left_here(ana, 11)
    now_complete = shown_completeness(store, first)
    assert now_complete != "0% complete"
    ben.reload()
    ben.get_by_role("heading", name="STEM equity self-study").wait_for()
    settled(ben)
    expect(row).to_contain_text(now_complete)

    ben.goto(f"{servers.b}/cohorts")  # one item of 76 answered: B names it as left out
    expect(ben.get_by_text("The one self-study chosen is not yet 100% complete")).to_be_visible()

    # Ana deletes it on A: it leaves B's count and B's list.
    open_start(ana, servers.a)
    ana.locator(f".st-key-delete-{first}").get_by_role("button").click()
    ana.get_by_text("It moves to Recently deleted below").wait_for()
    settled(ana)
    ana.get_by_role("button", name="Delete it").click()
    # drawn (in the closed Recently deleted box) only by the run after the deletion
    ana.locator(f".st-key-restore-{first}").wait_for(state="attached")
    settled(ana)
    expect(ana.locator(f".st-key-open-{first}")).to_have_count(0)
    ben.reload()
    ben.get_by_text("There are no self-studies yet").wait_for()
    open_start(ben, servers.b)
    ben.get_by_text("Recently deleted (1)").wait_for()
    expect(ben.get_by_text("Saved self-studies will be listed here.")).to_be_visible()
    expect(ben.locator(f".st-key-open-{first}")).to_have_count(0)


def test_a_rating_given_on_one_server_arrives_on_the_other_at_the_next_click(
    servers, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "News Travels STEM")
    ana, ben = person(), person()
    open_study(ana, servers.a, study_id)
    open_study(ben, servers.b, study_id)  # Ben has Program Goals open on B
    left_here(ana, 12)
    left_here(ben, 12)

    rating(ana, "PG.1.a").get_by_role("radio", name="Established").click()
    left_here(ana, 11)
    rating(ana, "PG.1.b").get_by_role("radio", name="Emerging").click()
    left_here(ana, 10)

    # Ben moves on: Ana's answers arrive as news, once, and never as a warning.
    ben.get_by_role("button", name="Next: Student Recruitment").click()
    ben.get_by_role("heading", name="2. Student Recruitment").wait_for()
    settled(ben)  # drawn after the notices: the page has settled
    expect(ben.locator(INFO).filter(has_text="PG.1.a")).to_have_count(1)
    expect(ben.locator(INFO).filter(has_text="PG.1.b")).to_have_count(1)
    expect(ben.locator(WARNING)).to_have_count(0)
    ben.get_by_role("button", name="← Program Goals").click()
    ben.get_by_role("heading", name="1. Program Goals").wait_for()
    left_here(ben, 10)
    # Not blank: a blank rating would invite Ben to answer again over Ana's answer.
    wait_for_checked(ben, "PG.1.a", "Established")
    wait_for_checked(ben, "PG.1.b", "Emerging")
    expect(ben.locator(WARNING)).to_have_count(0)
    expect(ana.locator(WARNING)).to_have_count(0)

    stored = store.get_study(study_id).study
    assert (stored.value("PG.1.a"), stored.value("PG.1.b")) == (3, 2)
    changed = [c for c in store.history(study_id) if c.changed_by != "the test"]
    assert sorted(c.item_id for c in changed) == ["PG.1.a", "PG.1.b"]
    assert all(c.accepted for c in changed)


def test_texts_typed_at_once_through_two_servers_in_different_places_are_all_kept(
    servers, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "Nothing Lost Academy")
    ana, ben = person(), person()
    open_study(ana, servers.a, study_id)
    open_study(ben, servers.b, study_id)
    open_evidence(ana, study_id, "PG.1.a")
    open_evidence(ana, study_id, "PG.2.a")
    open_evidence(ben, study_id, "PG.1.a")
    open_evidence(ben, study_id, "PG.1.b")

    # The same item, different fields: Ana's evidence and Ben's notes, left at once.
    typed_and_left(
        [
            (text_box(ana, study_id, "PG.1.a", "evidence"), "Minutes of the staff meeting"),
            (text_box(ben, study_id, "PG.1.a", "notes"), "Ask the families too"),
        ]
    )
    saved_mark(ana, study_id, "PG.1.a").wait_for()
    saved_mark(ben, study_id, "PG.1.a").wait_for()
    settled(ana)
    settled(ben)

    # Different items: Ana's evidence on PG.2.a, Ben's on PG.1.b, left at once.
    typed_and_left(
        [
            (text_box(ana, study_id, "PG.2.a", "evidence"), "Mission statement, 2024"),
            (text_box(ben, study_id, "PG.1.b", "evidence"), "Enrolment figures, 2024"),
        ]
    )
    expect(saved_mark(ana, study_id, "PG.2.a")).to_be_visible()
    expect(saved_mark(ben, study_id, "PG.1.b")).to_be_visible()
    for page in (ana, ben):
        settled(page)
        expect(page.locator(WARNING)).to_have_count(0)
        expect(page.get_by_text(NOT_SAVED)).to_have_count(0)

    answers = store.get_study(study_id).study.answers
    assert answers["PG.1.a"] == Answer(
        evidence="Minutes of the staff meeting", notes="Ask the families too"
    )
    assert answers["PG.1.b"] == Answer(evidence="Enrolment figures, 2024")
    assert answers["PG.2.a"] == Answer(evidence="Mission statement, 2024")
    history = store.history(study_id)
    assert sorted((c.item_id, c.field, c.new) for c in history if c.changed_by != "the test") == [
        ("PG.1.a", "evidence", "Minutes of the staff meeting"),
        ("PG.1.a", "notes", "Ask the families too"),
        ("PG.1.b", "evidence", "Enrolment figures, 2024"),
        ("PG.2.a", "evidence", "Mission statement, 2024"),
    ]
    assert all(c.accepted for c in history)

    # Each page reran for its own save and took in the other's words, in open boxes.
    expect(text_box(ana, study_id, "PG.1.a", "notes")).to_have_value("Ask the families too")
    expect(text_box(ben, study_id, "PG.1.a", "evidence")).to_have_value(
        "Minutes of the staff meeting"
    )

    # Each moves on and back: every item with words has its box open, showing what is
    # stored, their own words included.
    for page in (ana, ben):
        page.get_by_role("button", name="Next: Student Recruitment").click()
        page.get_by_role("heading", name="2. Student Recruitment").wait_for()
        settled(page)  # the button clicked below is where this run leaves it
        page.get_by_role("button", name="← Program Goals").click()
        page.get_by_role("heading", name="1. Program Goals").wait_for()
        settled(page)
        for item_id, part in [
            ("PG.1.a", "evidence"),
            ("PG.1.a", "notes"),
            ("PG.1.b", "evidence"),
            ("PG.2.a", "evidence"),
        ]:
            expect(text_box(page, study_id, item_id, part)).to_have_value(
                getattr(answers[item_id], part)
            )
        expect(page.locator(WARNING)).to_have_count(0)


def test_same_evidence_changed_through_two_servers_is_refused_with_the_words_kept(
    servers, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "First Come First Kept")
    ana, ben = person(), person()
    open_study(ana, servers.a, study_id)
    open_study(ben, servers.b, study_id)
    for page in (ana, ben):
        open_evidence(page, study_id, "PG.1.a")
        open_evidence(page, study_id, "PG.1.b")

    # One after the other: Ana's evidence is kept, Ben's is refused and shown to him.
    evidence_a = text_box(ana, study_id, "PG.1.a", "evidence")
    evidence_a.fill("A's text")
    evidence_a.press("Tab")
    saved_mark(ana, study_id, "PG.1.a").wait_for()
    settled(ana)

    evidence_b = text_box(ben, study_id, "PG.1.a", "evidence")
    evidence_b.fill("B's text")
    evidence_b.press("Tab")
    warning = ben.locator(WARNING).filter(has_text=NOT_SAVED)
    warning.wait_for()
    settled(ben)
    expect(warning).to_contain_text("PG.1.a")
    expect(warning).to_contain_text("A's text")
    kept = ben.locator('[data-testid="stCode"]').filter(has_text="B's text")
    expect(kept).to_be_visible()
    expect(evidence_b).to_have_value("A's text")  # what is stored now

    assert store.get_study(study_id).study.answers["PG.1.a"].evidence == "A's text"
    history = store.history(study_id, "PG.1.a")
    assert sorted((c.new, c.accepted) for c in history) == [("A's text", True), ("B's text", False)]
    expect(ana.locator(WARNING)).to_have_count(0)

    # At the same moment, PG.1.b: whichever reached the database first is kept, the other
    # is told, with the words kept.
    texts = {"ana": "Ana's survey of families", "ben": "Ben's count of sign-ups"}
    pages = {"ana": ana, "ben": ben}
    typed_and_left(
        [(text_box(pages[who], study_id, "PG.1.b", "evidence"), texts[who]) for who in pages]
    )
    for page in pages.values():
        expect(saved_mark(page, study_id, "PG.1.b")).to_be_visible()
        settled(page)
    stored = store.get_study(study_id).study.answers["PG.1.b"].evidence
    (first,) = [who for who in pages if texts[who] == stored]
    (second,) = [who for who in pages if who != first]
    told = pages[second].locator(WARNING).filter(has_text=NOT_SAVED).filter(has_text="PG.1.b")
    expect(told).to_be_visible()
    expect(told).to_contain_text(texts[first])
    kept = pages[second].locator('[data-testid="stCode"]').filter(has_text=texts[second])
    expect(kept).to_be_visible()
    expect(text_box(pages[second], study_id, "PG.1.b", "evidence")).to_have_value(texts[first])
    expect(pages[first].locator(WARNING).filter(has_text="PG.1.b")).to_have_count(0)

    history = store.history(study_id, "PG.1.b")
    assert sorted((c.new, c.accepted) for c in history) == sorted(
        [(texts[first], True), (texts[second], False)]
    )
