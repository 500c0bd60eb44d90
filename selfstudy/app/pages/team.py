"""Team page: make a self-study a team one, who rates it, and the team's steps.

In a team self-study each rater answers every item on their own sheet, without seeing
the others' ratings; the lead then opens the consensus step (the Consensus page),
where the team compares and agrees. The storage enforces who sees what
(`core.team`); this page only offers each person the steps that are theirs.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import (
    current_actor,
    get_storage,
    rater_name_needed,
    show_problems,
    signed_in,
    stored_open_study,
    who,
)
from selfstudy.core.access import Action, Role
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.team import REVEAL_TEXT, Reveal, Team
from selfstudy.workflows.teams import start_team

QUESTIONNAIRE = Path(__file__).parent / "questionnaire.py"
CONSENSUS = Path(__file__).parent / "consensus.py"

REVEAL_CHOICES = {
    Reveal.CONSENSUS: "When I open the consensus step (recommended: nobody is swayed)",
    Reveal.SUBMITTED: "Each rater as soon as they have submitted their own ratings",
}
ABOUT = (
    "In a **team self-study** each person rates every item on their own, without seeing "
    "the others' ratings. Then the lead opens the consensus step: the team sees where it "
    "agrees and where it does not, and agrees one rating per item. The agreed ratings are "
    "the self-study's answers: results, reports and comparisons use them."
)


def step_text(team: Team) -> str:
    return {
        "agreed": "✓ Consensus reached. The agreed ratings are this self-study's answers.",
        "consensus": "The consensus step is open: the team compares its ratings and agrees.",
        "rating": "Raters are rating on their own. Each rater's ratings are seen by the "
        f"others {REVEAL_TEXT[team.reveal]}.",
    }[team.step]


def act(step, *args, **kwargs) -> bool:
    """Run a team step; its problems on the page instead of a traceback. Whether it ran."""
    try:
        step(*args, **kwargs)
    except ProblemsFound as exc:
        show_problems(exc)
        return False
    return True


def make_team_form(study_id: str) -> None:
    st.markdown(ABOUT)
    if not get_storage().allows(Action.EDIT, study_id):
        st.info("Only the program's members can make it a team self-study.")
        return
    if rater_name_needed():
        return
    with st.form(f"make-team-{study_id}"):
        reveal = st.radio(
            "When may raters see each other's ratings?",
            list(REVEAL_CHOICES),
            format_func=REVEAL_CHOICES.__getitem__,
        )
        rates = st.checkbox(
            "I rate too (what this self-study holds so far becomes my ratings)", value=True
        )
        made = st.form_submit_button("Make this a team self-study", type="primary")
        if made and act(start_team, get_storage(), study_id, reveal, rates, who()):
            st.rerun()


def raters_table(team: Team) -> None:
    rows = [
        {
            "Rater": markdown.text(rater.name) + (" (lead)" if rater.name == team.lead else ""),
            "Ratings": "submitted" if rater.submitted_at else "rating",
        }
        for rater in team.raters
    ]
    # a table of text (its cells are Markdown, so names are escaped), not a grid drawn on a
    # canvas: the browser's find and screen readers read it
    if rows:
        st.table(rows, hide_index=True)
    else:
        st.caption("No raters yet.")


def add_rater_control(study_id: str, program_id: str | None, team: Team) -> None:
    """The lead adds a rater: a member of the program `program_id` (signed in) or a name
    (without sign-in)."""
    storage = get_storage()
    if signed_in():
        taken = {r.person_id for r in team.raters}
        members = {
            e.person_id: e.name or e.email or "a member"
            for e in storage.access()
            if e.person_id
            and e.role is Role.MEMBER
            and e.program_id == program_id
            and e.person_id not in taken
        }
        if not members:
            st.caption(
                "No other member of the program can be added: members appear here once they "
                "have signed in; invite more on the People page."
            )
            return
        with st.form(f"add-rater-{study_id}"):
            st.caption("Members appear here once they have signed in.")
            chosen = st.selectbox("Program member", list(members), format_func=members.get)
            if st.form_submit_button("Add as a rater") and act(
                storage.add_rater, study_id, members[chosen], person_id=chosen, by=who()
            ):
                st.rerun()
        return
    with st.form(f"add-rater-{study_id}", clear_on_submit=True):
        name = st.text_input("Rater's name", max_chars=200)
        if st.form_submit_button("Add as a rater") and act(
            storage.add_rater, study_id, name, by=who()
        ):
            st.rerun()


def my_steps(study_id: str, team: Team) -> None:
    """What this person can do as a rater: rate, submit, or join."""
    storage = get_storage()
    me = team.rater_of(current_actor())
    if me is None:
        if team.is_open:
            st.caption("The consensus step is open; new raters can no longer join.")
            return
        if storage.may_join(study_id):
            st.caption("You are not rating this self-study.")
            if st.button("Join as a rater") and act(
                storage.add_rater,
                study_id,
                who(),
                person_id=current_actor().person_id,
                by=who(),
            ):
                st.rerun()
        return
    st.markdown(f"You rate as **{markdown.text(me.name)}**.")
    if me.submitted_at:
        st.success("You submitted your ratings; they are fixed now.", icon=":material/check:")
    elif not team.is_open:
        st.page_link(QUESTIONNAIRE, label="Rate on your own", icon=":material/checklist:")
        with st.popover("Submit my ratings"):
            st.caption("Submitted ratings are fixed: you cannot change them afterwards.")
            if st.button("Submit them now", type="primary") and act(
                storage.submit_ratings, me.sheet_id, by=who()
            ):
                st.rerun()


def lead_steps(study_id: str, program_id: str | None, team: Team) -> None:
    storage = get_storage()
    st.subheader("Lead")
    if not team.is_open:
        add_rater_control(study_id, program_id, team)
        with st.popover("Open the consensus step"):
            st.caption(
                "Every rater then sees every rating, and the ratings are fixed. Open it when "
                "the raters are done."
            )
            if st.button("Open it now", type="primary") and act(
                storage.open_consensus, study_id, by=who()
            ):
                st.switch_page(CONSENSUS)
    with st.expander("Make this a single-rater self-study again"):
        st.caption(
            "Possible only when nothing anyone rated would be lost: while at most one "
            "rater's sheet holds answers of its own (as the lead's, when nobody else has "
            "rated), which then come back into this self-study."
        )
        if st.button("Make it single again") and act(storage.end_team, study_id, by=who()):
            st.rerun()


def show() -> None:
    st.title("Team rating")
    stored = stored_open_study()
    if stored is None:
        return
    study_id = stored.id
    storage = get_storage()
    program = stored.study.program
    st.caption(markdown.text(" · ".join(filter(None, [program.name, program.round]))))
    team = storage.team(study_id)
    if team is None:
        make_team_form(study_id)
        return
    st.info(step_text(team), icon=":material/groups:")
    raters_table(team)
    if team.is_open:
        st.page_link(CONSENSUS, label="Go to the consensus step", icon=":material/handshake:")
    if rater_name_needed():
        return
    my_steps(study_id, team)
    if team.is_lead(current_actor()):
        lead_steps(study_id, stored.program_id, team)


show()
