"""The Start and Rubric pages, driven through Streamlit's AppTest against a real SQLite file."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.edges.rubric_files import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def new_session() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30)


def begin_study(at: AppTest, name: str, **fields: str) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["Program name *"].input(name)
    for label, value in fields.items():
        inputs[label].input(value)
    next(b for b in at.button if b.label == "Begin the self-study").click()
    return at.run()


def test_with_an_empty_database_the_start_page_offers_the_sample_self_studies(db):
    at = new_session().run()
    assert not at.exception
    load = next(b for b in at.button if b.label.startswith("Load the 16 sample"))
    load.click().run()
    assert not at.exception
    assert len(db.list_studies()) == 16
    assert "Load the 16 sample self-studies" not in [b.label for b in at.button]
    assert "Bridge to STEM Summer Academy" in "".join(m.value for m in at.markdown)


def test_without_sign_in_the_start_page_says_anyone_can_see_and_change_everything(db):
    at = new_session().run()
    [notice] = [w.value for w in at.warning if "Sign-in is off" in w.value]
    assert "Anyone who can open this address can see and change every self-study" in notice
    assert "Sign-in and access" in notice  # where to read how to turn it on


def test_beginning_a_study_stores_it_and_opens_it_with_a_link_of_its_own(db):
    at = begin_study(
        new_session().run(),
        "Bridge to STEM",
        Organization="Eastside CC",
        Cohort="2025",
        Round="baseline",
    )
    assert not at.exception
    [summary] = db.list_studies()
    assert (summary.name, summary.organization, summary.cohort, summary.round) == (
        "Bridge to STEM",
        "Eastside CC",
        "2025",
        "baseline",
    )
    assert at.query_params["study"] == summary.id
    assert at.title[0].value == "1. Program Goals"


def test_a_study_needs_a_program_name(db):
    at = begin_study(new_session().run(), "   ")
    assert db.list_studies() == []
    assert "Program name: give the program a name" in at.error[0].value


def test_saved_studies_are_listed_with_completeness_and_found_by_search(db, sample_set):
    for study in sample_set[:4]:
        db.create_study(study)
    at = new_session().run()
    text = "".join(m.value for m in at.markdown)
    assert all(s.program.name in text for s in sample_set[:4])
    assert any("% complete" in p.proto.text for p in at.get("progress"))
    assert [b.label for b in at.button].count("Open") == 4

    search = next(t for t in at.text_input if t.label.startswith("Search"))
    wanted = sample_set[2].program.name
    search.input(wanted.upper()).run()
    expected = sum(1 for s in sample_set[:4] if s.program.name == wanted)
    assert [b.label for b in at.button].count("Open") == expected < 4
    search.input("no program is called this").run()
    assert "No saved self-study matches that search." in [m.value for m in at.markdown]


def test_a_round_stored_twice_says_so_on_each_of_its_two_entries(db, sample_set):
    """Copies kept both: the two entries would differ only by their edit times."""
    db.create_study(sample_set[0])
    db.create_study(sample_set[0])  # its baseline again
    db.create_study(sample_set[1])  # the same program's follow-up
    at = new_session().run()
    captions = [c.value for c in at.caption if c.value.startswith("Last edit")]
    twins = [
        c for c in captions if c.endswith(" · one of 2 self-studies of this program and round")
    ]
    assert (len(captions), len(twins)) == (3, 2)


def test_opening_a_saved_study_from_the_list_goes_to_its_questions(db, sample_set):
    study_id = db.create_study(sample_set[0])
    at = new_session().run()
    next(b for b in at.button if b.label == "Open").click().run()
    assert at.query_params["study"] == study_id
    assert at.title[0].value == "1. Program Goals"
    first = at.segmented_control[0]
    assert first.value == sample_set[0].value("PG.1.a")


def test_the_rubric_page_shows_standards_levels_and_resources_without_a_study(db):
    at = new_session().run()
    at.switch_page("selfstudy/app/pages/rubric.py").run()
    assert not at.exception
    assert at.title[0].value == "Rubric"
    assert at.header[0].value == "Program Goals"
    shown = "\n".join(m.value for m in at.markdown)
    assert "PG.1 · Explicit goals for broadening participation" in [s.value for s in at.subheader]
    assert "There are no written equity goals" in shown  # a level descriptor of PG.1
    assert "one-page logic model" in shown  # a resource of PG.1
    at.radio[0].set_value(5).run()
    assert at.header[0].value == "College Pathways"


def test_a_second_rubric_in_the_folder_appears_with_no_code_change(db, monkeypatch, tmp_path):
    folder = tmp_path / "rubrics"
    folder.mkdir()
    shutil.copy(PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml", folder)
    shutil.copy(PROJECT_ROOT / "tests" / "data" / "rubrics" / "odd-scale.yaml", folder)
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    at = new_session().run()
    choices = at.selectbox[0].options
    assert any("Youth mentoring quality check" in c for c in choices)

    at.selectbox[0].select_index(next(i for i, c in enumerate(choices) if "Youth mentoring" in c))
    at = begin_study(at, "Mentoring pilot")
    assert not at.exception
    assert db.get_study(db.list_studies()[0].id).study.rubric.id == "youth-mentoring-check"
    assert at.title[0].value == "1. Relationships"
    assert at.segmented_control[0].options == ["Beginning", "Developing", "Strong"]  # no N/A


def test_the_import_sync_and_cohorts_pages_are_in_the_navigation(db):
    at = new_session().run()
    for file in ("import_sync.py", "cohorts.py"):
        at.switch_page(f"selfstudy/app/pages/{file}").run()  # raises when not registered
        assert not at.exception


def test_the_start_page_offers_to_continue_the_study_this_browser_has_open(db, sample_set):
    study_id = db.create_study(sample_set[0])
    at = new_session()
    at.query_params["study"] = study_id
    at.run()
    assert any(f"You have **{sample_set[0].program.name}** open" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Continue").click().run()
    assert at.title[0].value == "1. Program Goals"


def test_an_unreachable_database_is_reported_without_a_traceback(monkeypatch, free_port, caplog):
    port = free_port  # nothing listens there
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", f"postgresql://u:secret@127.0.0.1:{port}/x")
    at = new_session().run()
    assert not at.exception
    message = at.error[0].value
    assert "cannot be used right now" in message
    assert "The database server cannot be reached" in message
    assert "tell whoever runs the app" in message
    assert "SELFSTUDY_" not in message and "secret" not in message
    logged = caplog.text  # the line for whoever runs the app: where, and what to change
    assert f"127.0.0.1:{port}" in logged and "SELFSTUDY_DATABASE_URL" in logged
    assert "secret" not in logged


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("not a database url", "is not one the app can read"),
        ("nosuchdriver://u:secret@somewhere/x", "names a kind of database this app cannot use"),
    ],
)
def test_a_database_url_that_cannot_be_used_is_reported_without_a_traceback(
    monkeypatch, caplog, url, error
):
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", url)
    at = new_session().run()
    assert not at.exception
    message = at.error[0].value
    assert "cannot be used right now" in message
    assert "A database setting cannot be used" in message
    assert "SELFSTUDY_" not in message and "secret" not in message
    assert error in caplog.text and "secret" not in caplog.text


def test_sending_the_same_new_study_form_twice_makes_one_study(db):
    at = begin_study(new_session().run(), "Bridge to STEM", Round="baseline")
    at.switch_page("selfstudy/app/pages/start.py").run()  # back, and the form sent again
    at = begin_study(at, "Bridge to STEM", Round="baseline")
    assert not at.exception
    [summary] = db.list_studies()
    assert at.query_params["study"] == summary.id
    at.switch_page("selfstudy/app/pages/start.py").run()  # another round is another study
    begin_study(at, "Bridge to STEM", Round="follow-up")
    assert len(db.list_studies()) == 2


def test_a_study_is_deleted_after_a_confirmation_and_restored_with_its_answers(db, sample_set):
    study_id = db.create_study(sample_set[0])
    at = new_session().run()
    next(b for b in at.button if b.key == f"delete-{study_id}").click().run()
    assert db.list_studies() != []  # nothing deleted before the person confirms
    assert "Recently deleted" in at.warning[-1].value
    next(b for b in at.button if b.label == "Delete it").click().run()
    assert db.list_studies() == []
    assert [s.id for s in db.deleted_studies()] == [study_id]
    assert "Recently deleted (1)" in [e.label for e in at.expander]

    next(b for b in at.button if b.key == f"restore-{study_id}").click().run()
    assert not at.exception
    assert db.get_study(study_id).study == sample_set[0]
    assert [b.label for b in at.button].count("Open") == 1


def test_keeping_a_study_when_asked_deletes_nothing(db, sample_set):
    study_id = db.create_study(sample_set[0])
    at = new_session().run()
    next(b for b in at.button if b.key == f"delete-{study_id}").click().run()
    next(b for b in at.button if b.label == "Keep it").click().run()
    assert [s.id for s in db.list_studies()] == [study_id]
    assert not [w for w in at.warning if "Delete" in w.value]  # the question is gone
