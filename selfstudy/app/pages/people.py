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

CONFIRM_REMOVE = "confirm-remove"
CONFIRM_ROTATE = "confirm-rotate"


def scope_text(entry: AccessEntry) -> str:
    if entry.role is Role.ADMIN:
        return "the whole network"
    if entry.cohort:
        return f"cohort {entry.cohort}"
    return entry.program_name or "a removed program"


def status_text(entry: AccessEntry) -> str:
    if entry.role is None:
        return "signed in, no access"
    if entry.pending:
        return "invited, not signed in yet"
    return "active"


def access_list(entries: list[AccessEntry]) -> None:
    st.subheader("Who has access")
    query = st.text_input("Search by email, name, program or cohort", placeholder="Type to search")
    wanted = query.strip().casefold()
    shown = [
        e
        for e in entries
        if not wanted
        or wanted in " ".join(filter(None, [e.email, e.name, scope_text(e)])).casefold()
    ]
    if not shown:
        st.write("Nobody matches that search." if wanted else "Nobody has access yet.")
        return
    for entry in shown[:100]:
        with st.container(border=True):
            who, what, action = st.columns([4, 4, 2], vertical_alignment="center")
            name = f" ({markdown.text(entry.name)})" if entry.name else ""
            who.markdown(f"**{markdown.text(entry.email or 'no email')}**{name}")
            seen = f"last seen {entry.seen_at:%d %b %Y}" if entry.seen_at else ""
            who.caption(" · ".join(filter(None, [status_text(entry), seen])))
            role = entry.role.title if entry.role else "no role"
            what.markdown(f"{markdown.text(role)} of {markdown.text(scope_text(entry))}")
            if entry.created_by:
                what.caption(f"given by {markdown.text(entry.created_by)}")
            if entry.grant_id is not None and action.button(
                "Remove", key=f"remove-{entry.grant_id}", icon=":material/person_remove:"
            ):
                st.session_state[CONFIRM_REMOVE] = entry.grant_id
            if st.session_state.get(CONFIRM_REMOVE) == entry.grant_id:
                confirm_remove(entry)
    if len(shown) > 100:
        st.caption(f"{len(shown) - 100} more; search to narrow the list.")


def confirm_remove(entry: AccessEntry) -> None:
    st.warning(
        f"Take away **{markdown.text(entry.email or '')}**'s access as "
        f"{markdown.text(entry.role.title if entry.role else '')} of "
        f"{markdown.text(scope_text(entry))}? It takes effect at their next click; "
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
            get_storage().invite(email, role.value, program.id if program else None, cohort)
        except ProblemsFound as exc:
            st.error(problem_lines(exc))
            return
        st.success(
            f"Invited **{markdown.text(email.strip())}** as {markdown.text(role.title)}. "
            "Send them the app's address; they sign in with that email."
        )


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
                get_storage().rotate_pseudonym_secret()
                st.session_state.pop(CONFIRM_ROTATE, None)
                st.success("The pseudonym secret was changed.")
            if no.button("Keep it"):
                st.session_state.pop(CONFIRM_ROTATE, None)
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
        invite_form(programs)
    if actor.is_admin:
        programs_section(programs)


show()
