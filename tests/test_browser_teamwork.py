"""Several people on one self-study, in real browsers: nobody's work is lost.

One app server and one SQLite file serve the whole module (each test makes its
own studies, with names of its own); each person is a browser context of their
own, so a browser session of the app. The database is read with `Storage`.

A test waits as a person would: for the page to finish running before it looks
for what is not there or clicks what that run may still move (`settled`), and for
an expander to finish opening before it clicks what is inside (`open_expander`).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.storage import Storage
from tests.signin import open_expander, open_start, settled
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    rating,
    running_app,
    wait_for_checked,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed; `make test` installs it"
)

NOT_SAVED = "was not saved"
EVIDENCE = "Evidence (how do you know?)"
WARNING = '[data-testid="stAlertContentWarning"]'
INFO = '[data-testid="stAlertContentInfo"]'


# --- one app, one database and one chromium for the module ---------------------------------


@pytest.fixture(scope="module")
def team_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("teamwork")


@pytest.fixture(scope="module")
def team_database(team_folder) -> Path:
    return team_folder / "teamwork.db"


@pytest.fixture(scope="module")
def team_app_url(team_folder, team_database) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with running_app(team_database, team_folder, port) as url:
        yield url


@pytest.fixture(scope="module")
def store(team_database) -> Iterator[Storage]:
    storage = Storage(f"sqlite:///{team_database}")
    yield storage
    storage.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def person(chromium) -> Iterator[Callable[[], Page]]:
    """A new person: each call opens a browser context (a browser session of the app)."""
    contexts = []

    def new_person() -> Page:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield new_person
    for context in contexts:
        context.close()


# --- helpers -------------------------------------------------------------------------------


def make_study(store: Storage, rubric, name: str, answers: dict[str, Answer] | None = None) -> str:
    study = SelfStudy.new(rubric, name, round="baseline")
    if answers:
        study = study.model_copy(update={"answers": answers})
    return store.create_study(study, by="set up by the test")


def open_study(page: Page, app_url: str, study_id: str, dimension: str = "") -> None:
    link = f"{app_url}/self-study?study={study_id}"
    page.goto(link + (f"&dimension={dimension}" if dimension else ""))
    page.get_by_role("heading", level=1).first.wait_for()


def open_evidence(page: Page) -> None:
    """Open PG.1.a's "Evidence and notes" (the first rating item of Program Goals)."""
    open_expander(page, "Evidence and notes", drawn_inside=EVIDENCE)


def left_here(page: Page, count: int) -> None:
    """Wait until the page's list of required items left shows `count`, and the run that
    drew it has finished (so what it did not draw is really not there)."""
    page.get_by_text(f"{count} required left here").wait_for()
    settled(page)


# --- tests ---------------------------------------------------------------------------------


def test_moving_around_writes_nothing_and_warns_no_one(team_app_url, store, person, default_rubric):
    study_id = make_study(
        store,
        default_rubric,
        "Quiet Neighbours STEM",
        {
            "PG.2.a": Answer(value=2, evidence="Mission statement, 2024"),
            "PG.3.a": Answer(value=3),
            "SR.1.a": Answer(value=4, notes="Three new partner schools"),
        },
    )
    untouched = store.get_study(study_id).revisions
    a, b = person(), person()
    open_study(a, team_app_url, study_id)
    a.get_by_role("heading", name="1. Program Goals").wait_for()
    open_study(b, team_app_url, study_id)
    b.get_by_role("heading", name="1. Program Goals").wait_for()
    left_here(b, 10)

    rating(a, "PG.1.a").get_by_role("radio", name="Established").click()
    left_here(a, 9)
    rating(a, "PG.1.b").get_by_role("radio", name="Emerging").click()
    left_here(a, 8)
    answered = store.get_study(study_id).revisions
    assert set(answered) == set(untouched) | {"PG.1.a", "PG.1.b"}

    a.get_by_role("button", name="Next: Student Recruitment").click()
    a.get_by_role("heading", name="2. Student Recruitment").wait_for()
    wait_for_checked(a, "SR.1.a", "Sustaining")
    a.get_by_role("button", name="← Program Goals").click()
    a.get_by_role("heading", name="1. Program Goals").wait_for()
    wait_for_checked(a, "PG.1.a", "Established")
    wait_for_checked(a, "PG.2.a", "Emerging")
    a.get_by_role("radiogroup", name="Dimension").get_by_text("Program Design").click()
    a.get_by_role("heading", name="3. Program Design").wait_for()
    a.get_by_role("radiogroup", name="Dimension").get_by_text("Program Goals").click()
    a.get_by_role("heading", name="1. Program Goals").wait_for()
    left_here(a, 8)

    # B, who had the study open all along, moves on too: A's answers arrive as news, once.
    b.get_by_role("button", name="Next: Student Recruitment").click()
    b.get_by_role("heading", name="2. Student Recruitment").wait_for()
    left_here(b, 12)  # drawn after the notices: the page has settled
    expect(b.locator(INFO).filter(has_text="PG.1.a")).to_have_count(1)
    expect(b.locator(INFO).filter(has_text="PG.1.b")).to_have_count(1)
    expect(b.locator(WARNING)).to_have_count(0)
    b.get_by_role("button", name="← Program Goals").click()
    b.get_by_role("heading", name="1. Program Goals").wait_for()
    left_here(b, 8)
    expect(b.locator(WARNING)).to_have_count(0)
    expect(b.get_by_text(NOT_SAVED)).to_have_count(0)
    expect(a.locator(WARNING)).to_have_count(0)

    after = store.get_study(study_id)
    assert after.revisions == answered
    assert {i: after.revisions[i] for i in untouched} == untouched
    assert after.study.answers["PG.2.a"] == Answer(value=2, evidence="Mission statement, 2024")
    assert {c.item_id for c in store.history(study_id) if c.changed_by != "set up by the test"} == {
        "PG.1.a",
        "PG.1.b",
    }


def test_evidence_saved_while_a_colleague_changes_the_rating_keeps_both(
    team_app_url, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "Both Fields Kept")
    a, b = person(), person()
    open_study(a, team_app_url, study_id)
    open_study(b, team_app_url, study_id)
    left_here(a, 12)
    left_here(b, 12)
    open_evidence(a)

    rating(b, "PG.1.a").get_by_role("radio", name="Emerging").click()
    left_here(b, 11)  # B's rating is saved

    evidence = a.get_by_label(EVIDENCE)
    evidence.fill("Minutes of the October staff meeting")
    evidence.press("Tab")
    saved = a.get_by_text("Evidence and notes ✓")
    saved.or_(a.locator(WARNING)).first.wait_for()  # saved, or refused
    settled(a)
    expect(a.locator(WARNING)).to_have_count(0)
    expect(a.get_by_text(NOT_SAVED)).to_have_count(0)
    expect(saved).to_be_visible()

    answer = store.get_study(study_id).study.answers["PG.1.a"]
    assert answer == Answer(value=2, evidence="Minutes of the October staff meeting")
    assert all(c.accepted for c in store.history(study_id, "PG.1.a"))


def test_same_evidence_changed_by_two_people_keeps_the_first_and_shows_the_second(
    team_app_url, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "First Come First Kept")
    a, b = person(), person()
    open_study(a, team_app_url, study_id)
    open_study(b, team_app_url, study_id)
    left_here(a, 12)
    left_here(b, 12)
    open_evidence(a)
    open_evidence(b)

    evidence_a = a.get_by_label(EVIDENCE)
    evidence_a.fill("A's text")
    evidence_a.press("Tab")
    a.get_by_text("Evidence and notes ✓").wait_for()
    settled(a)

    evidence_b = b.get_by_label(EVIDENCE)
    evidence_b.fill("B's text")
    evidence_b.press("Tab")
    warning = b.locator(WARNING).filter(has_text=NOT_SAVED)
    warning.wait_for()
    settled(b)
    expect(warning).to_contain_text("PG.1.a")
    expect(warning).to_contain_text("A's text")
    kept = b.locator('[data-testid="stCode"]').filter(has_text="B's text")
    expect(kept).to_be_visible()
    expect(b.get_by_label(EVIDENCE)).to_have_value("A's text")  # what is stored now

    assert store.get_study(study_id).study.answers["PG.1.a"].evidence == "A's text"
    refused = [c for c in store.history(study_id, "PG.1.a") if not c.accepted]
    assert [(c.field, c.new) for c in refused] == [("evidence", "B's text")]
    expect(a.locator(WARNING)).to_have_count(0)

    b.get_by_role("button", name="Dismiss").click()
    kept.wait_for(state="detached")  # gone once the run the click starts has drawn the page
    settled(b)
    expect(kept).to_have_count(0)


def fill_begin_form(page: Page, name: str) -> None:
    page.get_by_role("heading", name="Begin a new self-study").wait_for()
    settled(page)  # typed into the box this run drew, not one a run still under way replaces
    field = page.get_by_label("Program name *", exact=True)
    expect(field).to_have_count(1)
    field.fill(name)
    page.get_by_label("Round", exact=True).fill("baseline")


def test_double_click_on_begin_makes_one_study(team_app_url, store, person):
    name = "Double Click Academy"
    page = person()
    open_start(page, team_app_url)
    fill_begin_form(page, name)
    page.get_by_role("button", name="Begin the self-study").dblclick()
    page.get_by_role("heading", name="1. Program Goals").wait_for()
    made = [s.id for s in store.list_studies() if s.name == name]
    assert len(made) == 1
    assert f"study={made[0]}" in page.url

    # The same form sent again from this browser (back on Start) opens that study again.
    page.get_by_role("link", name="Start").click()
    page.locator(f".st-key-open-{made[0]}").wait_for()
    fill_begin_form(page, name)
    page.get_by_role("button", name="Begin the self-study").click()
    page.get_by_role("heading", name="1. Program Goals").wait_for()
    expect(page).to_have_url(re.compile(f"study={re.escape(made[0])}"))
    assert [s.id for s in store.list_studies() if s.name == name] == made


def test_delete_with_confirmation_then_restore_brings_back_answers_and_history(
    team_app_url, store, person, default_rubric
):
    study_id = make_study(
        store,
        default_rubric,
        "Deleted And Restored",
        {
            "PG.1.a": Answer(value=3, evidence="Staff survey"),
            "SR.1.a": Answer(value=1, notes="Only one school so far"),
        },
    )
    seen = store.get_study(study_id).revisions
    store.save_field(study_id, "PG.1.a", "notes", "Ask the families too", seen["PG.1.a"], "Ana")
    before = store.get_study(study_id)
    history_before = store.history(study_id)

    page = person()
    open_start(page, team_app_url)
    opener = page.locator(f".st-key-open-{study_id}")
    expect(opener).to_be_visible()
    page.locator(f".st-key-delete-{study_id}").get_by_role("button").click()
    page.get_by_text("It moves to Recently deleted below").wait_for()
    settled(page)
    page.get_by_role("button", name="Delete it").click()
    # drawn (in the closed Recently deleted box) only by the run after the deletion
    restore = page.locator(f".st-key-restore-{study_id}")
    restore.wait_for(state="attached")
    settled(page)
    expect(opener).to_have_count(0)
    assert study_id not in {s.id for s in store.list_studies()}
    assert study_id in {s.id for s in store.deleted_studies()}

    open_expander(page, "Recently deleted (")
    restore.get_by_role("button", name="Restore").click()
    opener.wait_for()  # drawn by the run after the one that restores it
    settled(page)
    expect(opener).to_be_visible()
    expect(restore).to_have_count(0)

    after = store.get_study(study_id)
    assert after.study == before.study
    assert after.revisions == before.revisions
    history_after = store.history(study_id)
    assert [c for c in history_after if c.item_id != "@study"] == [
        c for c in history_before if c.item_id != "@study"
    ]
    assert sorted((c.field, c.new) for c in history_after if c.item_id == "@study") == [
        ("deleted", False),
        ("deleted", True),
    ]

    opener.get_by_role("button").click()
    page.get_by_role("heading", name="1. Program Goals").wait_for()
    wait_for_checked(page, "PG.1.a", "Established")
    expect(page.get_by_label(EVIDENCE)).to_have_value("Staff survey")


def test_link_with_a_dimension_reopens_it_after_a_reload(
    team_app_url, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "Where I Left Off")
    page = person()
    open_study(page, team_app_url, study_id)
    page.get_by_role("heading", name="1. Program Goals").wait_for()
    page.get_by_role("button", name="Next: Student Recruitment").click()
    page.get_by_role("heading", name="2. Student Recruitment").wait_for()
    expect(page).to_have_url(re.compile(r"[?&]dimension=student-recruitment(&|$)"))

    page.reload()
    page.get_by_role("heading", name="2. Student Recruitment").wait_for()
    expect(page.get_by_role("heading", name="1. Program Goals")).to_have_count(0)

    elsewhere = person()
    open_study(elsewhere, team_app_url, study_id, dimension="student-recruitment")
    expect(elsewhere.get_by_role("heading", level=1).first).to_have_text("2. Student Recruitment")


def test_a_colleagues_rating_shows_after_moving_away_and_back(
    team_app_url, store, person, default_rubric
):
    study_id = make_study(store, default_rubric, "Away and Back STEM")
    ana, ben = person(), person()
    open_study(ana, team_app_url, study_id)
    open_study(ben, team_app_url, study_id)  # Ben has Program Goals open
    left_here(ben, 12)
    rating(ana, "PG.1.a").get_by_role("radio", name="Established").click()
    left_here(ana, 11)
    ben.get_by_role("button", name="Next: Student Recruitment").click()
    ben.get_by_role("heading", name="2. Student Recruitment").wait_for()
    ben.get_by_role("button", name="← Program Goals").click()
    ben.get_by_role("heading", name="1. Program Goals").wait_for()
    left_here(ben, 11)
    # Not blank: a blank rating would invite Ben to answer again over Ana's answer.
    wait_for_checked(ben, "PG.1.a", "Established")
    assert store.get_study(study_id).study.value("PG.1.a") == 3
