"""The app: its pages in navigation order, and plain lines when the database fails or a
problem reaches the page unshown."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.app.session import show_database_trouble, show_problems
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.storage import DatabaseError

PAGES = Path(__file__).parent / "pages"


# (file in pages/, title, icon, URL path), in navigation order; the first is the default.
PAGE_TABLE = [
    ("start.py", "Start", ":material/home:", "start"),
    ("questionnaire.py", "Self-study", ":material/checklist:", "self-study"),
    ("results.py", "Results", ":material/monitoring:", "results"),
    ("rubric.py", "Rubric", ":material/menu_book:", "rubric"),
    ("import_sync.py", "Import & sync", ":material/sync:", "import-sync"),
    ("cohorts.py", "Cohorts", ":material/groups:", "cohorts"),
]


def pages() -> list[st.Page]:
    return [
        st.Page(PAGES / file, title=title, icon=icon, url_path=path, default=index == 0)
        for index, (file, title, icon, path) in enumerate(PAGE_TABLE)
    ]


def run() -> None:
    st.set_page_config(
        page_title="STEM equity self-study", page_icon=":material/checklist:", layout="wide"
    )
    try:
        st.navigation(pages()).run()
    except DatabaseError as exc:  # any page: one line, and the app stays up
        show_database_trouble(exc)
    except ProblemsFound as exc:  # a page that forgot to show one: its lines, never a traceback
        show_problems(exc)
