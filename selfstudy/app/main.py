"""The app's pages; Import & sync and Cohorts join as soon as their page file exists."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

# (file, title, icon, url path); the optional pages appear once their file exists.
PAGES = [
    ("start.py", "Start", ":material/home:", "start"),
    ("questionnaire.py", "Self-study", ":material/checklist:", "self-study"),
    ("results.py", "Results", ":material/monitoring:", "results"),
    ("rubric_page.py", "Rubric", ":material/menu_book:", "rubric"),
    ("import_sync.py", "Import & sync", ":material/sync:", "import-sync"),
    ("cohorts.py", "Cohorts", ":material/groups:", "cohorts"),
]


def pages() -> list[st.Page]:
    return [
        st.Page(HERE / file, title=title, icon=icon, url_path=url, default=file == "start.py")
        for file, title, icon, url in PAGES
        if (HERE / file).is_file()
    ]


def run() -> None:
    st.set_page_config(
        page_title="STEM equity self-study", page_icon=":material/checklist:", layout="wide"
    )
    st.navigation(pages()).run()
