"""The Self-study page: answering, autosave, resuming elsewhere, show_if, and two people at once.

Every test drives the real app with Streamlit's AppTest against a real SQLite
file; "another browser" is a second AppTest session opened from the study's link.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import NA
from selfstudy.core.study import MAX_TEXT_LENGTH, Answer, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from tests.conftest import fresh_postgres_url

APP = str(PROJECT_ROOT / "app.py")
QUESTIONNAIRE = "selfstudy/app/pages/questionnaire.py"


@pytest.fixture
def study_id(db, default_rubric) -> str:
    return db.create_study(SelfStudy.new(default_rubric, "Bridge to STEM", round="baseline"))


def open_link(study_id: str) -> AppTest:
    """A new browser session opening `?study=<id>` on the Self-study page."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = study_id
    at.run()
    return at.switch_page(QUESTIONNAIRE).run()


def rating(at: AppTest, item_id: str):
    return next(s for s in at.segmented_control if s.label.startswith(f"{item_id} — "))


def widget(at: AppTest, kind: str, item_id: str):
    return next(w for w in getattr(at, kind) if w.label.startswith(f"{item_id} — "))


def go_to(at: AppTest, title: str) -> AppTest:
    """Choose a dimension in the sidebar (its options are the dimensions' indexes)."""
    radio = at.sidebar.radio[0]
    radio.set_value(next(i for i, label in enumerate(radio.options) if title in label)).run()
    return at


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("markdown", "warning", "info") for e in at.get(kind))


def test_each_answer_is_saved_the_moment_it_is_given(db, study_id):
    at = open_link(study_id)
    assert at.title[0].value == "1. Program Goals"
    rating(at, "PG.1.a").set_value(3).run()
    assert not at.exception
    assert db.get_study(study_id).study.answers["PG.1.a"] == Answer(value=3)

    rating(at, "PG.1.b").set_value(NA).run()
    assert not any(
        (t.key or "").endswith("PG.1.a:evidence") for t in at.text_input
    )  # drawn when opened
    at.session_state[f"w:{study_id}:PG.1.a:more"] = True  # the user opens "Evidence and notes"
    at.run()
    next(t for t in at.text_input if (t.key or "").endswith("PG.1.a:evidence")).input(
        "Minutes"
    ).run()
    stored = db.get_study(study_id).study
    assert stored.value("PG.1.b") == NA
    assert stored.answers["PG.1.a"] == Answer(value=3, evidence="Minutes")
    again = open_link(study_id)
    assert next(e for e in again.expander if e.label.startswith("Evidence")).label.endswith("✓")
    assert (
        next(t for t in again.text_input if (t.key or "").endswith("PG.1.a:evidence")).value
        == "Minutes"
    )


def test_every_item_type_comes_back_in_a_new_session(db, study_id):
    at = open_link(study_id)
    rating(at, "PG.2.a").set_value(4).run()
    widget(at, "text_area", "PG.R").input("More time with families").run()
    go_to(at, "Program Design")
    widget(at, "number_input", "PD.1.hours").set_value(120).run()
    go_to(at, "College Pathways")
    widget(at, "pills", "CP.2.supports").set_value(["Essay coaching", "Campus visits"]).run()
    assert not at.exception

    again = open_link(study_id)  # another browser, from the link
    assert rating(again, "PG.2.a").value == 4
    assert widget(again, "text_area", "PG.R").value == "More time with families"
    go_to(again, "Program Design")
    assert widget(again, "number_input", "PD.1.hours").value == 120
    go_to(again, "College Pathways")
    assert widget(again, "pills", "CP.2.supports").value == ["Essay coaching", "Campus visits"]
    stored = db.get_study(study_id).study
    assert stored.value("PD.1.hours") == 120
    assert stored.value("CP.2.supports") == ["Essay coaching", "Campus visits"]


def test_a_show_if_item_appears_and_disappears_as_the_answer_changes(db, study_id):
    at = go_to(open_link(study_id), "Student Recruitment")
    assert not any(s.label.startswith("SR.2.b — ") for s in at.segmented_control)
    widget(at, "pills", "SR.2.stipend").set_value("Some students").run()
    assert rating(at, "SR.2.b")
    widget(at, "pills", "SR.2.stipend").set_value("No").run()
    assert not any(s.label.startswith("SR.2.b — ") for s in at.segmented_control)


def test_unanswered_required_items_are_listed_and_can_be_shown_alone(db, study_id, default_rubric):
    at = open_link(study_id)
    rated = [i.id for i in default_rubric.dimensions[0].standards[0].items if i.is_rating]
    required_here = sum(
        1 for s in default_rubric.dimensions[0].standards for i in s.items if i.is_required
    )
    assert f"{required_here} required left here:" in texts(at)
    assert "required, not answered yet" in rating(at, rated[0]).label

    rating(at, rated[0]).set_value(2).run()
    assert f"{required_here - 1} required left here:" in texts(at)
    assert "required, not answered yet" not in rating(at, rated[0]).label

    at.sidebar.toggle[0].set_value(True).run()
    shown = [s.label.split(" — ")[0] for s in at.segmented_control]
    assert rated[0] not in shown
    assert len(shown) == required_here - 1


def test_the_sidebar_shows_progress_for_the_study_and_each_dimension(db, study_id):
    at = open_link(study_id)
    rating(at, "PG.1.a").set_value(3).run()
    bars = [p.proto.text for p in at.sidebar.get("progress")]
    assert bars[0].startswith("Whole self-study — 1/")
    assert bars[1].startswith("Program Goals — 1/")
    assert bars[2].startswith("Student Recruitment — 0/")


def test_the_next_dimension_is_one_click_away(db, study_id, default_rubric):
    at = open_link(study_id)
    next(b for b in at.button if b.label.startswith("Next:")).click().run()
    assert at.title[0].value == f"2. {default_rubric.dimensions[1].title}"


def test_a_link_to_a_study_that_does_not_exist_says_so(db):
    at = open_link("no-such-study")
    assert not at.exception
    assert "There is no self-study with the id `no-such-study`" in at.error[0].value


def test_two_people_answering_the_same_item_the_later_one_is_told_not_overwritten(db, study_id):
    ana = open_link(study_id)
    ben = open_link(study_id)
    rating(ana, "PG.1.a").set_value(2).run()

    rating(ben, "PG.1.a").set_value(4).run()  # Ben had not seen Ana's answer

    assert db.get_study(study_id).study.value("PG.1.a") == 2
    [warning] = ben.warning
    assert "PG.1.a" in warning.value
    assert f"changed by {ana.session_state['who']}" in warning.value  # who, since no sign-in
    assert "Emerging (2)" in warning.value  # what Ana saved
    assert "Sustaining (4)" in warning.value  # what Ben tried, not saved
    assert rating(ben, "PG.1.a").value == 2  # Ben now sees Ana's answer
    assert "PG.1.a" in ben.toast[0].value  # also told where he is on the page

    rating(ben, "PG.1.a").set_value(4).run()  # now he knows, he may change it
    assert db.get_study(study_id).study.value("PG.1.a") == 4
    assert not ben.warning


def test_answers_someone_else_gives_show_up_on_the_next_click(db, study_id):
    ana = open_link(study_id)
    ben = open_link(study_id)
    rating(ana, "PG.1.b").set_value(3).run()
    rating(ben, "PG.1.c").set_value(1).run()  # a different item: no conflict
    assert rating(ben, "PG.1.b").value == 3
    assert "PG.1.b" in " ".join(i.value for i in ben.info)
    stored = db.get_study(study_id).study
    assert (stored.value("PG.1.b"), stored.value("PG.1.c")) == (3, 1)


def test_program_details_can_be_corrected_from_the_self_study_page(db, study_id):
    at = open_link(study_id)
    at.session_state[f"program-details:{study_id}"] = True  # the user opens "Program details"
    at.run()
    form = {t.label: t for t in at.sidebar.text_input}
    form["Program name *"].input("Bridge to STEM Academy")
    form["Round"].input("midpoint")
    next(b for b in at.sidebar.button if b.label == "Save program details").click().run()
    program = db.get_study(study_id).study.program
    assert (program.name, program.round) == ("Bridge to STEM Academy", "midpoint")
    assert at.caption[0].value.startswith("Bridge to STEM Academy")


def test_a_saved_answer_the_rubric_does_not_allow_is_shown_not_lost(db, study_id):
    db.save_answer(study_id, "PG.1.a", Answer(value=7), None)  # e.g. from an old import
    at = open_link(study_id)
    assert rating(at, "PG.1.a").value is None
    assert any("7" in w.value and "not on the scale" in w.value for w in at.warning)
    assert db.get_study(study_id).study.value("PG.1.a") == 7


@pytest.mark.skipif(
    not os.environ.get("SELFSTUDY_TEST_POSTGRES_URL"),
    reason="SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)",
)
def test_autosave_and_stale_edits_work_the_same_on_postgresql(monkeypatch, default_rubric):
    url = fresh_postgres_url(os.environ["SELFSTUDY_TEST_POSTGRES_URL"])
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", url)
    store = Storage(url)
    study_id = store.create_study(SelfStudy.new(default_rubric, "On PostgreSQL"))
    ana, ben = open_link(study_id), open_link(study_id)
    rating(ana, "PG.1.a").set_value(2).run()
    rating(ben, "PG.1.a").set_value(4).run()
    assert f"changed by {ana.session_state['who']}" in ben.warning[0].value
    assert store.get_study(study_id).study.value("PG.1.a") == 2
    assert rating(open_link(study_id), "PG.1.a").value == 2  # a third browser sees it too
    store.engine.dispose()


def open_evidence(at: AppTest, study_id: str, item_id: str) -> AppTest:
    """The person opens the item's 'Evidence and notes'."""
    at.session_state[f"w:{study_id}:{item_id}:more"] = True
    return at.run()


def evidence_box(at: AppTest, item_id: str):
    return next(
        t
        for t in at.text_input
        if t.label.startswith("Evidence") and t.key and t.key.endswith(f":{item_id}:evidence")
    )


def test_a_colleagues_new_rating_never_discards_my_evidence(db, study_id):
    ana = open_evidence(open_link(study_id), study_id, "PG.1.a")  # Ana opens the evidence box
    ben = open_link(study_id)
    rating(ben, "PG.1.a").set_value(3).run()  # meanwhile Ben rates the item

    evidence_box(ana, "PG.1.a").input("Board minutes, March").run()  # Ana leaves the box

    stored = db.get_study(study_id).study.answers["PG.1.a"]
    assert (stored.value, stored.evidence) == (3, "Board minutes, March")
    assert not ana.warning  # nothing of Ana's was refused
    assert rating(ana, "PG.1.a").value == 3  # and she now sees Ben's rating


def test_a_real_same_field_conflict_keeps_the_refused_text_on_screen(db, study_id):
    ana = open_evidence(open_link(study_id), study_id, "PG.1.a")
    ben = open_evidence(open_link(study_id), study_id, "PG.1.a")
    evidence_box(ana, "PG.1.a").input("Ana: board minutes").run()

    evidence_box(ben, "PG.1.a").input("Ben: survey of families").run()

    assert db.get_study(study_id).study.answers["PG.1.a"].evidence == "Ana: board minutes"
    assert any("The evidence of **PG.1.a**" in w.value for w in ben.warning)
    assert "Ben: survey of families" in [c.value for c in ben.code]  # kept, to copy
    assert evidence_box(ben, "PG.1.a").value == "Ana: board minutes"
    refused = [c for c in db.history(study_id, "PG.1.a") if not c.accepted]
    assert [c.new for c in refused] == ["Ben: survey of families"]  # and in the history

    next(b for b in ben.button if b.label == "Dismiss").click().run()
    assert not ben.code  # dismissed once copied


def test_opening_a_study_and_moving_on_writes_nothing(db, study_id):
    db.save_answer(study_id, "PG.1.a", Answer(value=3, evidence="Minutes"), None)
    before = db.get_study(study_id)
    at = open_evidence(open_link(study_id), study_id, "PG.1.a")
    next(b for b in at.button if b.label.startswith("Next:")).click().run()
    after = db.get_study(study_id)
    assert after.revisions == before.revisions
    assert after.updated_at == before.updated_at
    assert len(db.history(study_id)) == len(db.history(study_id, "PG.1.a")) == 2


def test_the_link_carries_the_dimension_so_a_reload_opens_where_the_person_was(
    db, study_id, default_rubric
):
    at = open_link(study_id)
    next(b for b in at.button if b.label.startswith("Next:")).click().run()
    second = default_rubric.dimensions[1]
    assert at.query_params["dimension"] == second.id
    assert f"dimension={second.id}" in "".join(c.value for c in at.caption)  # the shared link

    reloaded = AppTest.from_file(APP, default_timeout=30)  # a reload: a new browser session
    reloaded.query_params["study"] = study_id
    reloaded.query_params["dimension"] = second.id
    reloaded.run()
    reloaded.switch_page(QUESTIONNAIRE).run()
    assert reloaded.title[0].value == f"2. {second.title}"


def test_a_link_to_an_unknown_dimension_opens_the_first(db, study_id, default_rubric):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = study_id
    at.query_params["dimension"] = "../../etc/passwd"
    at.run()
    at.switch_page(QUESTIONNAIRE).run()
    assert not at.exception
    assert at.title[0].value == f"1. {default_rubric.dimensions[0].title}"


def test_an_items_history_shows_each_change_and_restores_an_earlier_value(db, study_id):
    at = open_evidence(open_link(study_id), study_id, "PG.1.a")
    evidence_box(at, "PG.1.a").input("first draft").run()
    evidence_box(at, "PG.1.a").input("second draft").run()
    at.session_state[f"w:{study_id}:PG.1.a:history"] = True  # the person opens "History"
    at.run()
    shown = "\n".join(m.value for m in at.markdown)
    assert "first draft → **second draft**" in shown
    assert at.session_state["who"] in shown  # who made each change

    first = next(c for c in db.history(study_id, "PG.1.a") if c.new == "first draft")
    next(b for b in at.button if b.key == f"restore:{study_id}:PG.1.a:{first.id}").click().run()
    assert not at.exception
    assert db.get_study(study_id).study.answers["PG.1.a"].evidence == "first draft"
    assert evidence_box(at, "PG.1.a").value == "first draft"  # the box shows it at once
    assert db.history(study_id, "PG.1.a")[0].new == "first draft"  # the restore is a change


def test_a_colleagues_answer_made_while_i_was_on_another_dimension_shows_when_i_return(
    db, study_id, default_rubric
):
    ana = open_link(study_id)
    ben = open_link(study_id)  # Ben has Program Goals open
    rating(ana, "PG.1.a").set_value(3).run()  # Ana answers PG.1.a
    next(b for b in ben.button if b.label.startswith("Next:")).click().run()  # Ben moves on
    go_to(ben, default_rubric.dimensions[0].title)  # and comes back
    assert rating(ben, "PG.1.a").value == 3  # not blank: he must not answer it again unaware


def test_restoring_over_a_colleagues_newer_text_is_refused_and_kept(db, study_id):
    at = open_evidence(open_link(study_id), study_id, "PG.1.a")
    evidence_box(at, "PG.1.a").input("first draft").run()
    at.session_state[f"w:{study_id}:PG.1.a:history"] = True
    at.run()
    first = next(c for c in db.history(study_id, "PG.1.a") if c.new == "first draft")
    revision = db.get_study(study_id).revisions["PG.1.a"]
    db.save_field(study_id, "PG.1.a", "evidence", "a colleague's newer text", revision)

    next(b for b in at.button if b.key == f"restore:{study_id}:PG.1.a:{first.id}").click().run()

    assert not at.exception
    stored = db.get_study(study_id).study.answers["PG.1.a"].evidence
    assert stored == "a colleague's newer text"  # not overwritten without a word
    assert any("The evidence of **PG.1.a**" in w.value for w in at.warning)
    assert "first draft" in [c.value for c in at.code]


def test_an_answer_the_database_refuses_says_why_in_words_and_stays_on_screen(db, study_id):
    at = open_link(study_id)
    with db.engine.begin() as conn:  # from now on the database refuses every change
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON changes "
                "BEGIN SELECT RAISE(ABORT, 'changes are closed'); END"
            )
        )
    widget(at, "text_area", "PG.R").input("Our goals page, reviewed in May").run()
    assert not at.exception
    said = "\n".join(w.value for w in at.warning)
    assert "could not be saved" in said and "DatabaseError" not in said
    assert "changes are closed" not in said  # the driver's own words never reach the page
    assert "Our goals page, reviewed in May" in [c.value for c in at.code]  # kept to copy
    assert db.get_study(study_id).study.answers.get("PG.R") is None


def test_a_text_over_the_limit_is_refused_by_name_and_kept_to_copy(db, study_id):
    at = open_link(study_id)
    # The box stops typing at MAX_TEXT_LENGTH; an emoji counts twice, as in every spreadsheet,
    # so 15,001 of them fit the box as Python counts but are one too many to store.
    too_long = "\N{SLIGHTLY SMILING FACE}" * (MAX_TEXT_LENGTH // 2 + 1)
    widget(at, "text_area", "PG.R").input(too_long).run()
    assert not at.exception
    said = "\n".join(w.value for w in at.warning)
    assert "could not be saved" in said and f"{MAX_TEXT_LENGTH:,}" in said
    assert too_long in [c.value for c in at.code]
    assert db.get_study(study_id).study.answers.get("PG.R") is None


def test_program_details_over_the_limit_are_refused_by_the_storage(db, study_id):
    stored = db.get_study(study_id).study.program
    longer = stored.model_copy(update={"organization": "x" * (MAX_TEXT_LENGTH + 1)})
    with pytest.raises(ProblemsFound) as refused:
        db.update_program(study_id, longer, by="Ana")
    assert [p.code for p in refused.value.problems] == ["text-too-long"]
    assert db.get_study(study_id).study.program == stored
