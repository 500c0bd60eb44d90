"""Self-study page: one dimension at a time, every answer saved as it is given.

Each standard of the open dimension is drawn in its own fragment, so answering
one item reruns only that standard. The whole page (sidebar progress, the list
of what is left, other people's answers) is redrawn only when an answer changes
what counts as done or someone else's answer arrives.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.autosave import (
    Notice,
    SessionStudy,
    dismiss_kept,
    load_open_study,
    take_notices,
)
from selfstudy.app.session import (
    current_actor,
    current_study_id,
    database_trouble_shown,
    get_storage,
    no_such_study,
    note_read_only,
    rater_name_needed,
    read_only,
    rubric_for,
    study_link,
    who,
)
from selfstudy.app.widgets import item_input, level_descriptors, progress_bar, save_before_leaving
from selfstudy.core.access import Action, normal_name
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import Dimension, Rubric
from selfstudy.core.scoring import Result, score
from selfstudy.core.study import (
    MAX_TEXT_LENGTH,
    Answer,
    Program,
    shown_items,
    unanswered_required,
)
from selfstudy.core.team import REVEAL_TEXT
from selfstudy.edges.storage import StudyNotFound

START = Path(__file__).parent / "start.py"
TEAM = Path(__file__).parent / "team.py"
RESULTS = Path(__file__).parent / "results.py"
ONLY_MISSING = "only-missing"
SHOWN_KEY = "shown-dimension"
# A standard's block reuses the page's refresh from storage when it is this recent.
REFRESH_SHARED_SECONDS = 0.5
SCROLL_TO_TOP = """<script>
const scrolled = '[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main';
for (const el of document.querySelectorAll(scrolled)) {
  el.scrollTo({top: 0});
}
window.scrollTo({top: 0});
</script>"""


def dimension_key(study_id: str) -> str:
    return f"dimension:{study_id}"


def sidebar(result: Result, study_id: str) -> None:
    with st.sidebar:
        progress_bar(result.answered, result.required, "Whole self-study")
        labels = {
            i: f"{'✓' if d.answered == d.required else '○'} {markdown.text(d.title)}"
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
            st.toast(
                f"{markdown.text(notice.item_id)}: someone else changed it first; what you "
                "typed is kept beside the item (details at the top of the page)",
                icon=":material/sync_problem:",
            )
        else:
            st.info(notice.text, icon=":material/group:")


def kept_texts(study_id: str, item_id: str, kept: list[Notice]) -> None:
    """Words of this person that a colleague's change refused, until they dismiss them."""
    for index, notice in enumerate(kept):
        with st.container(border=True):
            st.caption(
                f"Not saved: your text for {markdown.text(item_id)}, refused because a "
                "colleague changed it first. Copy it into the box (or merge it), then dismiss this."
            )
            st.code(notice.kept_text, language=None, wrap_lines=True)
            st.button(
                "Dismiss",
                key=f"dismiss:{study_id}:{item_id}:{index}",
                on_click=dismiss_kept,
                args=(study_id, item_id, index),
            )


def missing_required(rubric: Rubric, dimension: Dimension, answers: dict[str, Answer]) -> list[str]:
    """Ids of the dimension's required items still to answer, in rubric order."""
    standards = {standard.id for standard in dimension.standards}
    return [
        item.id
        for item in unanswered_required(rubric, answers)
        if rubric.standard_of_item[item.id].id in standards
    ]


def missing_summary(missing: list[str]) -> None:
    if missing:
        left = markdown.text(", ".join(missing))
        st.markdown(f":orange[**{len(missing)} required left here:**] {left}")
    else:
        st.markdown(":green[**✓ Every required item in this dimension is answered.**]")


@st.fragment
@database_trouble_shown
def standard_block(study_id: str, standard_id: str) -> None:
    """One standard and its items; a click inside reruns only this block."""
    session = load_open_study(study_id, max_age=REFRESH_SHARED_SECONDS)
    if session is None:
        st.error("This self-study was deleted; nothing more can be saved to it.")
        return
    if session.progress_changed:
        # Progress, the list of what is left, or another person's answers changed:
        # redraw the whole page so nothing on it is out of date.
        st.rerun(scope="app")
    rubric = rubric_for(session.study)
    standard = rubric.standard_by_id[standard_id]
    answers = session.study.answers
    shown = shown_items(rubric, answers)
    missing = {
        item.id
        for item in unanswered_required(rubric, answers, shown)
        if rubric.standard_of_item[item.id].id == standard_id
    }
    only_missing = st.session_state.get(ONLY_MISSING, False)
    items = [i for i in standard.items if i.id in shown and (not only_missing or i.id in missing)]
    if not items:
        return
    with st.container(border=True):
        st.subheader(markdown.text(f"{standard.id} · {standard.title}"), anchor=standard.id)
        if standard.description:
            st.markdown(markdown.text(standard.description))
        with st.expander("What each level looks like for this standard"):
            level_descriptors(rubric, standard)
        for item in items:
            item_input(study_id, rubric, item, answers.get(item.id, Answer()), item.id in missing)
            kept_texts(study_id, item.id, session.kept.get(item.id, []))


def scroll_to_top() -> None:
    """A new dimension starts at its top, not where the last one was left."""
    st.html(SCROLL_TO_TOP, unsafe_allow_javascript=True, width="content")


def study_address(study_id: str, dimension: Dimension) -> str:
    """The address that reopens this study, at this dimension, in any browser."""
    here = st.context.url or ""
    base = here.split("?", 1)[0].rsplit("/", 1)[0] if here.startswith("http") else ""
    link = study_link(study_id, dimension.id)
    return f"{base}/{link}" if base else "?" + link.partition("?")[2]


def open_dimension(study_id: str, rubric: Rubric) -> int:
    """The dimension to show: this session's choice, else the link's `?dimension=`, else the first.

    The choice is written back into the address, so a reload or a shared link
    opens where the person was.
    """
    key = dimension_key(study_id)
    ids = [d.id for d in rubric.dimensions]
    if st.session_state.get(key, 0) >= len(ids):
        st.session_state[key] = 0  # the rubric lost dimensions since this was chosen
    if key not in st.session_state:
        wanted = st.query_params.get("dimension")
        st.session_state[key] = ids.index(wanted) if wanted in ids else 0
    return st.session_state[key]


def program_details(study_id: str, program: Program) -> None:
    """Correct the program's name, organization, cohort or round (drawn only while open)."""
    box = st.expander("Program details", key=f"program-details:{study_id}", on_change="rerun")
    if not box.open:
        return
    if read_only(study_id):
        details = [program.name, program.organization, program.cohort, program.round]
        box.markdown("  \n".join(markdown.text(d) for d in details if d))
        return
    with box, st.form(f"program-{study_id}", border=False):
        name = st.text_input("Program name *", value=program.name, max_chars=MAX_TEXT_LENGTH)
        organization = st.text_input(
            "Organization", value=program.organization or "", max_chars=MAX_TEXT_LENGTH
        )
        cohort = st.text_input("Cohort", value=program.cohort or "", max_chars=MAX_TEXT_LENGTH)
        round_ = st.text_input("Round", value=program.round or "", max_chars=MAX_TEXT_LENGTH)
        if st.form_submit_button("Save program details"):
            if not name.strip():
                st.error("The program needs a name.")
                return
            changed = program.model_copy(
                update={
                    "name": name.strip(),
                    "organization": organization.strip() or None,
                    "cohort": cohort.strip() or None,
                    "round": round_.strip() or None,
                }
            )
            try:
                get_storage().update_program(study_id, changed, by=who(), shown=program)
            except ProblemsFound as exc:
                st.error("  \n".join(markdown.text(p.message) for p in exc.problems))
                return
            st.rerun()


def go_to_dimension(study_id: str, index: int) -> None:
    st.session_state[dimension_key(study_id)] = index


def header(
    study_id: str, program: Program, dimension: Dimension, index: int, fixed: bool = False
) -> None:
    """The dimension's title, and the study's link; `fixed`: this person may only read it
    (nothing they do here is saved, so the page does not say answers save)."""
    details = " · ".join(filter(None, [program.organization, program.cohort, program.round]))
    st.caption(markdown.text(program.name + (f" · {details}" if details else "")))
    st.title(f"{index + 1}. {markdown.text(dimension.title)}")
    if dimension.description:
        st.markdown(markdown.text(dimension.description))
    link = study_address(study_id, dimension)
    saving = "Read-only for you (see above)." if fixed else "Answers save automatically."
    st.caption(f"{saving} Link to reopen this self-study anywhere: [{link}]({link})")


def previous_and_next(study_id: str, rubric: Rubric, index: int) -> None:
    left, right = st.columns(2)
    if index > 0:
        left.button(
            f"← {markdown.text(rubric.dimensions[index - 1].title)}",
            on_click=go_to_dimension,
            args=(study_id, index - 1),
        )
    if index < len(rubric.dimensions) - 1:
        right.button(
            f"Next: {markdown.text(rubric.dimensions[index + 1].title)} →",
            type="primary",
            on_click=go_to_dimension,
            args=(study_id, index + 1),
        )
    else:
        right.page_link(RESULTS, label="See the results", icon=":material/monitoring:")


def read_only_words(program: Program) -> str:
    """Why this person may read the study but not change it, in words. Whether the program
    has members yet is not theirs to know (only who may invite to it reads that), so the
    way to get one is said either way."""
    cohort = normal_name(program.cohort or "")
    facilitated = bool(cohort) and cohort in current_actor().cohorts_for(Action.READ)
    why = (
        "As a facilitator of its cohort you can read and compare"
        if facilitated
        else ("You can read")
    )
    return (
        f"This self-study is read-only for you. {why} it; only its program's members can "
        "change it (a network admin can invite them, if the program has none yet)."
    )


def no_study(message: str, problem: bool = False) -> None:
    st.title("Self-study")
    (st.error if problem else st.info)(message)
    st.page_link(START, label="Go to the Start page", icon=":material/home:")


def sheet_to_rate(study_id: str) -> str | None:
    """The study this page edits: the open one, or in a team self-study this person's own
    sheet. None when they have none to rate here (the page says why and where to go)."""
    team = get_storage().team(study_id)
    if team is None:
        return study_id
    st.title("Self-study")
    if rater_name_needed():
        return None
    me = team.rater_of(current_actor())
    if team.is_open or me is None:
        why = (
            "The team's consensus step is open: the team agrees its ratings on the Consensus page."
            if team.is_open
            else "This is a team self-study: each rater rates on their own. Join the team "
            "as a rater on the Team page."
        )
        st.info(why, icon=":material/groups:")
        st.page_link(TEAM, label="Go to the Team page", icon=":material/groups:")
        return None
    seen = REVEAL_TEXT[team.reveal]
    st.info(
        f"You rate on your own, as **{markdown.text(me.name)}**: the others see your ratings "
        f"{seen}.",
        icon=":material/person:",
    )
    return me.sheet_id


def show() -> None:
    opened = current_study_id()
    if not opened:
        no_study("No self-study is open. Begin one or resume one on the Start page.")
        return
    try:
        study_id = sheet_to_rate(opened)
    except StudyNotFound:
        study_id = opened  # said below, as for any study that is gone
    if study_id is None:
        return
    session = load_open_study(study_id)
    if session is None:
        no_study(
            f"{no_such_study(study_id)} Check the link, or choose a self-study on the Start page.",
            problem=True,
        )
        return
    session.progress_changed = False
    fixed = note_read_only(study_id)
    if fixed:
        st.info(
            "Your ratings were submitted, so they are fixed now."
            if study_id != opened
            else read_only_words(session.study.program),
            icon=":material/visibility:",
        )
    rubric = rubric_for(session.study)
    open_dimension(study_id, rubric)
    sidebar(score(rubric, session.study), study_id)
    if study_id == opened:  # a rater's sheet has no program details of its own
        with st.sidebar:
            program_details(study_id, session.study.program)
    index = st.session_state[dimension_key(study_id)]
    st.query_params["dimension"] = rubric.dimensions[index].id
    if st.session_state.get(SHOWN_KEY) not in (None, (study_id, index)):
        scroll_to_top()
    st.session_state[SHOWN_KEY] = (study_id, index)
    dimension = rubric.dimensions[index]
    header(opened, session.study.program, dimension, index, fixed)
    save_before_leaving()
    notices(session)
    missing_summary(missing_required(rubric, dimension, session.study.answers))
    for standard in dimension.standards:
        standard_block(study_id, standard.id)
    previous_and_next(study_id, rubric, index)


show()
