"""Self-study page: one dimension at a time, every answer saved as it is given.

The items of the open dimension are drawn in a fragment, so answering one item
reruns only that dimension. The sidebar (progress per dimension) is redrawn
with the whole page only when an answer changes what counts as done.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.app.state import (
    SessionStudy,
    current_study_id,
    load_open_study,
    rubric_for,
    take_notices,
)
from selfstudy.app.widgets import item_input, level_descriptors, progress_bar
from selfstudy.rubric import Dimension, Rubric
from selfstudy.scoring import Result, score
from selfstudy.study import Answer, is_answered, shown_items

START = Path(__file__).parent / "start.py"
ONLY_MISSING = "only-missing"


def dimension_key(study_id: str) -> str:
    return f"dimension:{study_id}"


def sidebar(rubric: Rubric, result: Result, study_id: str) -> None:
    with st.sidebar:
        progress_bar(result.answered, result.required, "Whole self-study")
        labels = {
            i: f"{'✓' if d.answered == d.required else '○'} {d.title}"
            for i, d in enumerate(result.dimensions)
        }
        st.radio(
            "Dimension",
            list(labels),
            format_func=labels.__getitem__,
            key=dimension_key(study_id),
        )
        st.toggle("Show only required items not answered yet", key=ONLY_MISSING)
        st.caption("Progress per dimension")
        for dimension in result.dimensions:
            progress_bar(dimension.answered, dimension.required, dimension.title)


def notices(session: SessionStudy) -> None:
    for notice in take_notices(session):
        if notice.kind == "conflict":
            st.warning(notice.text, icon=":material/sync_problem:")
        else:
            st.info(notice.text, icon=":material/group:")


def missing_required(rubric: Rubric, dimension: Dimension, answers: dict[str, Answer]) -> list[str]:
    shown = shown_items(rubric, answers)
    return [
        item.id
        for standard in dimension.standards
        for item in standard.items
        if item.id in shown
        and item.is_required
        and not is_answered(answers.get(item.id, Answer()).value)
    ]


@st.fragment
def dimension_items(study_id: str, index: int) -> None:
    session = load_open_study(study_id)
    if session is None:
        st.error("This self-study was deleted; nothing more can be saved to it.")
        return
    if session.progress_changed:
        st.rerun(scope="app")  # the sidebar's progress is now out of date
    rubric = rubric_for(session.study)
    dimension = rubric.dimensions[index]
    answers = session.study.answers
    notices(session)
    missing = missing_required(rubric, dimension, answers)
    if missing:
        st.markdown(f":orange[**{len(missing)} required left here:**] {', '.join(missing)}")
    else:
        st.markdown(":green[**✓ Every required item in this dimension is answered.**]")
    shown = shown_items(rubric, answers)
    only_missing = st.session_state.get(ONLY_MISSING, False)
    for standard in dimension.standards:
        items = [
            item
            for item in standard.items
            if item.id in shown and (not only_missing or item.id in missing)
        ]
        if not items:
            continue
        with st.container(border=True):
            st.subheader(f"{standard.id} · {standard.title}", anchor=standard.id)
            if standard.description:
                st.write(standard.description)
            with st.expander("What each level looks like for this standard"):
                level_descriptors(rubric, standard)
            for item in items:
                item_input(
                    study_id, rubric, item, answers.get(item.id, Answer()), item.id in missing
                )


def study_link(study_id: str) -> str:
    """The address that reopens this study in any browser."""
    here = st.context.url or ""
    base = here.split("?", 1)[0].rsplit("/", 1)[0] if here.startswith("http") else ""
    return f"{base}/self-study?study={study_id}" if base else f"?study={study_id}"


def go_to_dimension(study_id: str, index: int) -> None:
    st.session_state[dimension_key(study_id)] = index


def show() -> None:
    study_id = current_study_id()
    if not study_id:
        st.title("Self-study")
        st.info("No self-study is open. Begin one or resume one on the Start page.")
        st.page_link(START, label="Go to the Start page", icon=":material/home:")
        return
    session = load_open_study(study_id)
    if session is None:
        st.title("Self-study")
        st.error(
            f"There is no self-study with the id `{study_id}`; it may have been deleted. "
            "Check the link, or choose a self-study on the Start page."
        )
        st.page_link(START, label="Go to the Start page", icon=":material/home:")
        return
    session.progress_changed = False
    rubric = rubric_for(session.study)
    result = score(rubric, session.study)
    st.session_state.setdefault(dimension_key(study_id), 0)
    sidebar(rubric, result, study_id)
    index = st.session_state[dimension_key(study_id)]
    dimension = rubric.dimensions[index]
    program = session.study.program
    details = " · ".join(filter(None, [program.organization, program.cohort, program.round]))
    st.caption(f"{program.name}" + (f" · {details}" if details else ""))
    st.title(f"{index + 1}. {dimension.title}")
    if dimension.description:
        st.write(dimension.description)
    link = study_link(study_id)
    st.caption(
        f"Answers save automatically. Link to reopen this self-study anywhere: [{link}]({link})"
    )
    dimension_items(study_id, index)
    last = index == len(rubric.dimensions) - 1
    left, right = st.columns(2)
    if index > 0:
        left.button(
            f"← {rubric.dimensions[index - 1].title}",
            on_click=go_to_dimension,
            args=(study_id, index - 1),
        )
    if not last:
        right.button(
            f"Next: {rubric.dimensions[index + 1].title} →",
            type="primary",
            on_click=go_to_dimension,
            args=(study_id, index + 1),
        )
    else:
        right.page_link(
            Path(__file__).parent / "results.py",
            label="See the results",
            icon=":material/monitoring:",
        )


show()
