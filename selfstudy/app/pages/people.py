"""People page: who has access to what, invitations, and taking access away.

Network admins see everyone and may give any role; a program member sees the people
of their own programs and may invite members and viewers to them. What each may do is
decided by `Storage` (`core.access`), not by what this page offers.
"""

from __future__ import annotations

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import current_actor, get_storage, problem_lines
from selfstudy.core.access import MEMBER_MAY_INVITE, Action, Role
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import MAX_TEXT_LENGTH
from selfstudy.edges.storage import AccessEntry, ProgramSummary
from selfstudy.workflows import cohorts as cohort_workflow
from selfstudy.workflows import people

CONFIRM_REMOVE = "confirm-remove"
CONFIRM_ROTATE = "confirm-rotate"
DONE = "people-done"  # what the last invitation did, said once after the page is drawn again


def access_list(entries: list[AccessEntry]) -> None:
    st.subheader("Who has access")
    query = st.text_input("Search by email, name, program or cohort", placeholder="Type to search")
    wanted = query.strip().casefold()
    shown = [
        e
        for e in entries
        if not wanted
        or wanted in " ".join(filter(None, [e.email, e.name, people.where_words(e)])).casefold()
    ]
    if not shown:
        st.write("Nobody matches that search." if wanted else "Nobody has access yet.")
        return
    for entry in shown[:100]:
        with st.container(border=True):
            who, what, action = st.columns([4, 4, 2], vertical_alignment="center")
            name = f" ({markdown.text(entry.name)})" if entry.name else ""
            unverified = "" if entry.verified else " (email not verified)"
            who.markdown(f"**{markdown.text(entry.email or 'no email')}**{unverified}{name}")
            seen = f"last seen {entry.seen_at:%d %b %Y}" if entry.seen_at else ""
            who.caption(" · ".join(filter(None, [people.status_words(entry), seen])))
            what.markdown(markdown.text(people.access_words(entry)))
            if entry.created_by:
                what.caption(f"given by {markdown.text(entry.created_by)}")
            if entry.grant_id is not None and action.button(
                "Remove", key=f"remove-{entry.grant_id}", icon=":material/person_remove:"
            ):
                st.session_state[CONFIRM_REMOVE] = entry.grant_id
            if entry.grant_id is not None and st.session_state.get(CONFIRM_REMOVE) == (
                entry.grant_id
            ):
                confirm_remove(entry)
    if len(shown) > 100:
        st.caption(f"{len(shown) - 100} more; search to narrow the list.")


def confirm_remove(entry: AccessEntry) -> None:
    st.warning(
        f"Take away **{markdown.text(entry.email or '')}**'s access as "
        f"{markdown.text(people.access_words(entry))}? It takes effect at their next click; "
        "nothing they wrote is lost."
    )
    yes, no = st.columns(2)
    if yes.button("Take it away", type="primary", key=f"really-remove-{entry.grant_id}"):
        try:
            get_storage().remove_access(entry.grant_id or 0)
        except ProblemsFound as exc:
            st.error(problem_lines(exc))
            return
        st.session_state.pop(CONFIRM_REMOVE, None)
        st.rerun()
    if no.button("Keep it", key=f"keep-access-{entry.grant_id}"):
        st.session_state.pop(CONFIRM_REMOVE, None)
        st.rerun()


def invite_form(programs: list[ProgramSummary]) -> None:
    actor = current_actor()
    roles = list(Role) if actor.is_admin else list(MEMBER_MAY_INVITE)
    if not actor.is_admin:
        mine = actor.programs_for(Action.INVITE)
        programs = [p for p in programs if p.id in mine]
    cohorts = sorted({c for p in programs for c in p.cohorts}, key=str.casefold)
    st.subheader("Invite someone")
    st.caption(
        "They get access the first time they sign in with this email address, verified by "
        "the sign-in provider; someone already signed in with it gets it at once."
    )
    role = st.selectbox("Role", roles, format_func=lambda r: r.title.capitalize())
    with st.form("invite", border=True, clear_on_submit=True):
        email = st.text_input("Email address *", max_chars=320, placeholder="name@example.org")
        program = cohort = None
        if role in (Role.MEMBER, Role.VIEWER):
            program = st.selectbox("Program *", programs, format_func=lambda p: p.name)
        elif role is Role.FACILITATOR:
            choice = st.selectbox("Cohort", ["(type a cohort below)", *cohorts])
            typed = st.text_input("or another cohort", max_chars=MAX_TEXT_LENGTH)
            cohort = typed.strip() or (choice if choice in cohorts else "")
        invite = st.form_submit_button("Invite", type="primary", icon=":material/person_add:")
    if invite:
        try:
            given = people.give_access(
                get_storage(), email, role.value, program.id if program else None, cohort
            )
        except ProblemsFound as exc:
            st.error(problem_lines(exc))
            return
        if given.pending:
            done = (
                f"Invited **{markdown.text(email.strip())}** as {markdown.text(role.title)}. "
                "Send them the app's address; they sign in with that email."
            )
        else:
            done = (
                f"**{markdown.text(email.strip())}** is now {markdown.text(role.title)} "
                "too, from their next click."
            )
        st.session_state[DONE] = done
        st.rerun()  # the list above shows it at once


def programs_section(programs: list[ProgramSummary]) -> None:
    st.subheader("Programs")
    st.dataframe(
        [
            {
                "Program": p.name,
                "Organization": p.organization or "",
                "Cohorts": ", ".join(p.cohorts),
                "Self-studies": p.studies,
                "How it came to be": p.origin,
            }
            for p in programs
        ],
        hide_index=True,
        width="stretch",
    )
    cohort_form(programs)
    with st.expander("Pseudonym secret", icon=":material/key:"):
        st.write(
            "Pseudonymised cohort views and downloads name programs by a code made with this "
            "database's own random secret. Change it if a list of codes and names got out: "
            "every code changes, so earlier downloads no longer match."
        )
        if st.button("Change the pseudonym secret"):
            st.session_state[CONFIRM_ROTATE] = True
        if st.session_state.get(CONFIRM_ROTATE):
            yes, no = st.columns(2)
            if yes.button("Change it: every pseudonym changes", type="primary"):
                cohort_workflow.rotate_pseudonym_secret(get_storage())
                st.session_state.pop(CONFIRM_ROTATE, None)
                st.success("The pseudonym secret was changed.")
            if no.button("Keep it"):
                st.session_state.pop(CONFIRM_ROTATE, None)
                st.rerun()


def cohort_form(programs: list[ProgramSummary]) -> None:
    """Put a program in a cohort, or take it out: who facilitates a cohort sees its programs."""
    if not programs:
        return
    with st.expander("Cohorts of a program", icon=":material/groups:"):
        st.caption(
            "A program is in a cohort when one of its self-studies names it, or when you put "
            "it there; the facilitators of a cohort read and compare its programs."
        )
        with st.form("program-cohort", border=False):
            program = st.selectbox("Program", programs, format_func=lambda p: p.name)
            cohort = st.text_input("Cohort", max_chars=MAX_TEXT_LENGTH)
            add, remove = st.columns(2)
            put_in = add.form_submit_button("Put it in the cohort")
            take_out = remove.form_submit_button("Take it out of the cohort")
        if (put_in or take_out) and program is not None:
            if not cohort.strip():
                st.error("Name the cohort.")
                return
            if put_in:
                people.change_cohorts(get_storage(), program.id, add=[cohort], remove=[])
            else:
                people.change_cohorts(get_storage(), program.id, add=[], remove=[cohort])
            st.rerun()


def show() -> None:
    st.title("People")
    storage = get_storage()
    actor = current_actor()
    st.write(
        "Who may see and change which self-studies. Network admins manage the whole "
        "network; facilitators read and compare the programs of their cohorts; program "
        "members answer, import and export their program's self-studies; program viewers "
        "read them."
    )
    programs = storage.programs()
    left, right = st.columns([3, 2], gap="large")
    with left:
        access_list(storage.access())
    with right:
        if done := st.session_state.pop(DONE, None):
            st.success(done)
        invite_form(programs)
    if actor.is_admin:
        programs_section(programs)


show()
