"""The app: its pages in navigation order, and plain lines when the database fails or a
problem reaches the page unshown."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.app.memory import freeze_after_imports
from selfstudy.app.session import (
    STUDY_PAGE,
    enter,
    get_storage,
    show_database_trouble,
    show_problems,
)
from selfstudy.app.signin import sign_out_control, signed_in_identity
from selfstudy.core.access import Action, Actor, NoAccess, grants_text, normal_name
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.storage import DatabaseError

PAGES = Path(__file__).parent / "pages"


# (file in pages/, title, icon, URL path), in navigation order; the first is the default.
PAGE_TABLE = [
    ("start.py", "Start", ":material/home:", "start"),
    ("questionnaire.py", "Self-study", ":material/checklist:", STUDY_PAGE),
    ("team.py", "Team", ":material/groups:", "team"),
    ("consensus.py", "Consensus", ":material/handshake:", "consensus"),
    ("results.py", "Results", ":material/monitoring:", "results"),
    ("improvement.py", "Improvement", ":material/trending_up:", "improvement"),
    ("rubric.py", "Rubric", ":material/menu_book:", "rubric"),
    ("import_sync.py", "Import & sync", ":material/sync:", "import-sync"),
    ("cohorts.py", "Cohorts", ":material/groups:", "cohorts"),
]
# Shown to whoever may give others access, once people sign in.
PEOPLE_PAGE = ("people.py", "People", ":material/manage_accounts:", "people")


def pages(actor: Actor | None = None) -> list[st.Page]:
    """The pages in navigation order: People too for whoever may invite (with sign-in)."""
    table = list(PAGE_TABLE)
    if actor is not None and (actor.is_admin or actor.programs_for(Action.INVITE)):
        table.append(PEOPLE_PAGE)
    return [
        st.Page(PAGES / file, title=title, icon=icon, url_path=path, default=index == 0)
        for index, (file, title, icon, path) in enumerate(table)
    ]


def access_text(actor: Actor) -> str:
    """What the signed-in person may do, in words, under their name in the sidebar."""
    if actor.is_admin:
        return grants_text(actor.grants, {}, {})
    programs = get_storage().programs()
    names = {program.id: program.name for program in programs}
    cohorts = {normal_name(c): c for program in programs for c in program.cohorts}
    return grants_text(actor.grants, names, cohorts)


def run() -> None:
    st.set_page_config(
        page_title="STEM equity self-study", page_icon=":material/checklist:", layout="wide"
    )
    identity = signed_in_identity()  # with sign-in configured, stops here until signed in
    try:
        actor = enter(identity)  # before any page reads the database
        if identity is not None:
            sign_out_control(identity, access_text(actor))
        st.navigation(pages(actor if identity is not None else None)).run()
    except DatabaseError as exc:  # any page: one line, and the app stays up
        show_database_trouble(exc)
    except NoAccess as exc:  # a link to what this person may not see: shows nothing of it
        show_problems(exc)
        st.page_link(PAGES / "start.py", label="Go to the Start page", icon=":material/home:")
    except ProblemsFound as exc:  # a page that forgot to show one: its lines, never a traceback
        show_problems(exc)
    freeze_after_imports()  # a page's first visit imports its modules: see `memory`
