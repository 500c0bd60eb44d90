"""The app: its pages in navigation order, and a plain message when the database fails."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.edges.storage import DatabaseError, database_url, first_line, shown_url

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
    except DatabaseError as exc:
        st.error(
            f"The database at {shown_url(database_url())} cannot be used right now "
            f"({type(exc).__name__}: {first_line(exc)}). Nothing saved "
            "before is lost. Check that the database is running and that "
            "`SELFSTUDY_DATABASE_URL` (or `SELFSTUDY_DB`) points to it, then reload the page."
        )
