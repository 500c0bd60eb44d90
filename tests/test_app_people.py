"""The People page (AppTest, as a network admin): invite, list, take away, cohorts, secret."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from selfstudy.core.access import Role
from selfstudy.edges.rubric_files import PROJECT_ROOT

PAGE = str(PROJECT_ROOT / "selfstudy" / "app" / "pages" / "people.py")


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)


def test_an_admin_invites_a_member_sees_the_invitation_and_takes_it_away(db, sample_set):
    db.create_study(sample_set[0])
    program = db.programs()[0]
    at = open_page()
    next(s for s in at.selectbox if s.label == "Role").set_value(Role.MEMBER).run()
    next(t for t in at.text_input if t.label == "Email address *").input("Jo@Example.org")
    next(s for s in at.selectbox if s.label == "Program *").set_value(program)
    next(b for b in at.button if b.label == "Invite").click().run()
    assert not at.exception
    assert "Invited **Jo@Example.org** as program member" in at.success[0].value
    [entry] = db.access()
    assert (entry.email, entry.role.value, entry.program_id, entry.pending) == (
        "jo@example.org",
        "member",
        program.id,
        True,
    )
    assert "program member of Bridge to STEM Summer Academy" in page_text(at)
    assert "invited, not signed in yet" in page_text(at)

    next(b for b in at.button if b.key == f"remove-{entry.grant_id}").click().run()
    assert db.access() != []  # nothing taken away before the admin confirms
    next(b for b in at.button if b.label == "Take it away").click().run()
    assert db.access() == []


def test_a_bad_email_or_a_facilitator_without_cohort_is_refused_in_words(db):
    at = open_page()
    next(t for t in at.text_input if t.label == "Email address *").input("not an email")
    next(b for b in at.button if b.label == "Invite").click().run()
    assert "is not an email address" in at.error[0].value
    next(s for s in at.selectbox if s.label == "Role").set_value(Role.FACILITATOR).run()
    next(t for t in at.text_input if t.label == "Email address *").input("fa@example.org")
    next(b for b in at.button if b.label == "Invite").click().run()
    assert "a facilitator needs a cohort" in at.error[0].value
    assert db.access() == []


def test_an_admin_puts_a_program_in_a_cohort_and_changes_the_pseudonym_secret(db, sample_set):
    db.create_study(sample_set[0])
    secret = db.pseudonym_secret()
    at = open_page()
    next(t for t in at.text_input if t.label == "Cohort").input("Summer 2027")
    next(b for b in at.button if b.label == "Put it in the cohort").click().run()
    assert not at.exception
    assert "Summer 2027" in db.programs()[0].cohorts
    next(b for b in at.button if b.label == "Change the pseudonym secret").click().run()
    assert db.pseudonym_secret() == secret  # not before the admin confirms
    next(b for b in at.button if b.label.startswith("Change it")).click().run()
    assert db.pseudonym_secret() != secret
