"""Start page: begin a new self-study, resume a saved one, or load the samples on first start."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from pathlib import Path

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import (
    current_actor,
    current_study_id,
    get_storage,
    open_study,
    problem_lines,
    rubrics,
    stored_studies,
    who,
)
from selfstudy.core.access import Action, normal_name
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import MAX_TEXT_LENGTH
from selfstudy.core.wording import percent_text
from selfstudy.edges.storage import ProgramSummary, StudySummary
from selfstudy.edges.study_files import sample_files
from selfstudy.workflows import history, studies

QUESTIONNAIRE = Path(__file__).parent / "questionnaire.py"
TEAM = Path(__file__).parent / "team.py"


def creation_key(details: tuple[str, ...]) -> str:
    """One key per browser session and form content: sending the same form twice makes one study."""
    token = st.session_state.setdefault("begin-token", secrets.token_hex(8))
    text = "\x1f".join([token, *(" ".join(d.split()).casefold() for d in details)])
    return hashlib.sha256(text.encode()).hexdigest()


def go_to_study(study_id: str) -> None:
    open_study(study_id)
    st.switch_page(QUESTIONNAIRE, query_params={"study": study_id})


def offer_samples() -> None:
    count = len(sample_files())
    if not count:
        return
    st.info(
        "There are no saved self-studies yet. Begin your own below, or load the "
        f"{count} bundled sample self-studies to look around first."
    )
    if st.button(f"Load the {count} sample self-studies", icon=":material/download:"):
        try:
            st.session_state["samples-loaded"] = studies.load_samples(get_storage())
        except ProblemsFound as exc:
            st.error("The samples could not be loaded:\n\n" + problem_lines(exc))
            return
        st.rerun()


CONFIRM_DELETE = "confirm-delete"


def in_brackets(detail: str | None) -> str:
    """` (detail)` as Markdown, or nothing."""
    return f" ({markdown.text(detail)})" if detail else ""


def ask_to_delete(study_id: str) -> None:
    st.session_state[CONFIRM_DELETE] = study_id


def confirm_delete(summary: StudySummary) -> None:
    """Ask once more before a study goes to Recently deleted."""
    name = markdown.text(summary.name)
    st.warning(
        f"Delete **{name}**{in_brackets(summary.round)}? It moves to Recently deleted below, "
        f"where it can be restored, with every answer and its history, for at least "
        f"{history.GRACE_PERIOD.days} days."
    )
    yes, no = st.columns(2)
    if yes.button("Delete it", key=f"really-delete-{summary.id}", type="primary"):
        history.delete(get_storage(), summary.id, by=who())
        st.session_state.pop(CONFIRM_DELETE, None)
        st.rerun()
    if no.button("Keep it", key=f"keep-{summary.id}"):
        st.session_state.pop(CONFIRM_DELETE, None)
        st.rerun()


def recently_deleted() -> None:
    """Deleted studies, each with a button that brings it back as it was."""
    deleted = history.recently_deleted(get_storage())
    if not deleted:
        return
    with st.expander(f"Recently deleted ({len(deleted)})", icon=":material/restore_from_trash:"):
        st.caption(
            f"Deleted self-studies are kept for at least {history.GRACE_PERIOD.days} days, "
            "with every answer and its history."
        )
        for summary in deleted:
            text, action = st.columns([4, 1], vertical_alignment="center")
            when = f"{summary.deleted_at:%d %b %Y, %H:%M} UTC" if summary.deleted_at else ""
            details = " · ".join(filter(None, [summary.round, f"deleted {when}"]))
            text.markdown(f"**{markdown.text(summary.name)}**  \n{markdown.text(details)}")
            if action.button("Restore", key=f"restore-{summary.id}", icon=":material/undo:"):
                history.restore(get_storage(), summary.id, by=who())
                st.rerun()


COHORT_KEY = "begin-cohort"  # the Cohort box's text
PREFILLED = "begin-cohort-prefilled"  # what this page last put in it from a program


def program_cohort(program: ProgramSummary) -> str:
    """The cohort a new self-study of `program` most likely belongs to: the one of its
    cohorts this person facilitates, else its only cohort; none when that is not clear."""
    mine = current_actor().cohorts_for(Action.CREATE)
    theirs = [c for c in program.cohorts if normal_name(c) in mine]
    if theirs:
        return theirs[0]
    return program.cohorts[0] if len(program.cohorts) == 1 else ""


def prefill_cohort(program: ProgramSummary | None) -> None:
    """Put the program's cohort in the Cohort box, unless the person typed something there
    (what this page put in it, or nothing, may be replaced; what they typed never is)."""
    if program is None:
        return
    typed = st.session_state.get(COHORT_KEY, "")
    if typed.strip() and typed != st.session_state.get(PREFILLED):
        return
    st.session_state[COHORT_KEY] = st.session_state[PREFILLED] = program_cohort(program)


def on_program_chosen(by_id: dict[str, ProgramSummary]) -> None:
    prefill_cohort(by_id.get(st.session_state.get("begin-program") or ""))


def may_rate_as_team(program: ProgramSummary | None) -> bool:
    """A team self-study is led by someone who may change the program's self-studies (the
    storage's rule for making one: EDIT in the program); a network admin names any."""
    actor = current_actor()
    return actor.is_admin or (program is not None and actor.may(Action.EDIT, program.id))


def start_page_words(exc: ProblemsFound, cohort: str) -> str:
    """The refusal in the words of this page: the storage words a refusal of a cohort the
    facilitator does not facilitate for a copy being imported (its Cohort detail); here it
    is the Cohort box. Other problems are shown as they are."""
    mine = current_actor().cohorts_for(Action.CREATE)
    named = cohort.strip()
    if not (mine and named and normal_name(named) not in mine):
        return problem_lines(exc)
    lines = []
    for problem in exc.problems:
        if problem.code == "no-access":
            yours = ", ".join(markdown.text(c) for c in sorted(mine))
            lines.append(
                f"Cohort: you do not facilitate the cohort {markdown.text(named)}, so a "
                f"self-study may not be begun in it; nothing was saved. Write one of your "
                f"cohorts ({yours}) in the Cohort box, or leave it empty, or ask a network "
                "admin or a member of the program to begin it."
            )
        else:
            lines.append(markdown.text(str(problem)))
    return "  \n".join(lines)


def new_study_form() -> None:
    """The details of a new self-study, and its Begin button. Not a form: choosing the
    program fills in its cohort, and offers the team choice only to whoever may lead a
    team in it, before anything is begun."""
    available = rubrics()
    if not available:
        st.error("No valid rubric was found in the `rubrics/` folder; run `selfstudy validate`.")
        return
    # A network admin names any program (a new name adds it); others begin in their own.
    own: list[ProgramSummary] | None = None
    if not current_actor().is_admin:
        own = get_storage().programs_to_begin_in()
        if not own:
            return
    with st.container(border=True, key="new-study"):
        st.subheader("Begin a new self-study")
        program: ProgramSummary | None = None
        if own is None:
            name = st.text_input(
                "Program name *",
                placeholder="e.g. Bridge to STEM Summer Academy",
                max_chars=MAX_TEXT_LENGTH,
            )
            organization = st.text_input("Organization", max_chars=MAX_TEXT_LENGTH)
        else:
            by_id = {p.id: p for p in own}
            chosen = st.selectbox(
                "Program *",
                list(by_id),
                format_func=lambda program_id: by_id[program_id].name,
                key="begin-program",
                on_change=on_program_chosen,
                args=(by_id,),
            )
            program = by_id.get(chosen) if chosen is not None else None
            if COHORT_KEY not in st.session_state:
                prefill_cohort(program)
            if not current_actor().programs_for(Action.EDIT):  # a facilitator only
                st.caption(
                    "As a facilitator you can begin a self-study of a program in your "
                    "cohorts; only the program's members can answer it."
                )
            name = program.name if program else ""
            organization = (program.organization or "") if program else ""
        left, right = st.columns(2)
        cohort = left.text_input(
            "Cohort",
            placeholder="e.g. 2025 network cohort",
            max_chars=MAX_TEXT_LENGTH,
            key=COHORT_KEY,
            help="The cohort whose comparison this self-study is in; left empty, it is in none.",
        )
        round_ = right.text_input(
            "Round", placeholder="e.g. baseline, follow-up", max_chars=MAX_TEXT_LENGTH
        )
        if program is not None and len(program.cohorts) > 1 and not cohort.strip():
            st.caption(
                "This program is in the cohorts "
                + ", ".join(markdown.text(c) for c in program.cohorts)
                + ": name the one this self-study belongs to."
            )
        rubric = st.selectbox(
            "Rubric", available, format_func=lambda r: f"{r.title} (version {r.version})"
        )
        as_team = False
        if may_rate_as_team(program if own is not None else None):
            as_team = st.checkbox(
                "Rate it as a team: each rater rates on their own, then the team agrees "
                "(set up next, on the Team page)"
            )
        else:
            st.caption(
                "Rating as a team is set up by one of the program's members, who leads the "
                "team: you can begin a self-study of one rater here."
            )
        begin = st.button("Begin the self-study", type="primary")
    if begin:
        details = (rubric.key, name, organization, cohort, round_)
        try:
            study_id = studies.begin_study(
                get_storage(),
                rubric,
                name,
                organization,
                cohort,
                round_,
                creation_key=creation_key(details),
                by=who(),
                program_id=program.id if program else None,
            )
        except ProblemsFound as exc:
            st.error(start_page_words(exc, cohort))
            return
        st.session_state.pop(COHORT_KEY, None)
        st.session_state.pop(PREFILLED, None)
        if as_team:
            open_study(study_id)
            st.switch_page(TEAM, query_params={"study": study_id})
        go_to_study(study_id)


def _round_of(summary: StudySummary) -> tuple[str, str, str]:
    """What makes two stored self-studies the same program's same round, as listed here."""
    program = summary.program_id or normal_name(summary.name)
    return summary.rubric_id, program, normal_name(summary.round or "")


def resume_list(summaries: list[StudySummary]) -> None:
    st.subheader("Resume a self-study")
    query = st.text_input(
        "Search by program, organization, cohort or round", placeholder="Type to search"
    )
    shown = studies.matching(summaries, query) if query else summaries
    if not shown:
        st.write("No saved self-study matches that search.")
        return
    stored = dict(stored_studies())
    available = rubrics()
    # a program's round stored more than once (copies kept both): each says so, since only
    # their edit times would tell them apart
    twins = Counter(_round_of(s) for s in summaries)
    for summary in shown[:30]:
        study = stored.get(summary.id)
        completeness = studies.completeness(study, available) if study else None
        with st.container(border=True):
            # the buttons' column is wide enough for their words at 1280 pixels and less
            main, action = st.columns([3, 1], vertical_alignment="center")
            details = " · ".join(
                filter(None, [summary.organization, summary.cohort, summary.round])
            )
            main.markdown(f"**{markdown.text(summary.name)}**  \n{markdown.text(details) or ' '}")
            if completeness is not None:
                main.progress(completeness, text=f"{percent_text(completeness)} complete")
            edited = f"Last edit {summary.updated_at:%d %b %Y, %H:%M} UTC"
            if (same := twins[_round_of(summary)]) > 1:
                edited += f" · one of {same} self-studies of this program and round"
            main.caption(edited)
            if action.button(
                "Open", key=f"open-{summary.id}", icon=":material/arrow_forward:", width="stretch"
            ):
                go_to_study(summary.id)
            if current_actor().may(Action.DELETE, summary.program_id):
                action.button(
                    "Delete",
                    key=f"delete-{summary.id}",
                    icon=":material/delete:",
                    width="stretch",
                    on_click=ask_to_delete,
                    args=(summary.id,),
                )
            if st.session_state.get(CONFIRM_DELETE) == summary.id:
                confirm_delete(summary)
    if len(shown) > 30:
        st.caption(f"{len(shown) - 30} more; search to narrow the list.")


def continue_open_study(summaries: list[StudySummary]) -> None:
    """Offer the study this browser has open (or its link names) first."""
    study_id = current_study_id()
    summary = next((s for s in summaries if s.id == study_id), None)
    if summary is None:
        return
    with st.container(border=True):
        text, action = st.columns([4, 1], vertical_alignment="center")
        name = markdown.text(summary.name)
        text.markdown(f"You have **{name}** open{in_brackets(summary.round)}.")
        if action.button("Continue", type="primary", icon=":material/arrow_forward:"):
            go_to_study(summary.id)


SIGN_IN_OFF = (
    "**Sign-in is off.** Anyone who can open this address can see and change every "
    "self-study here. That is right for one team on its own computer; to host the app for "
    "a network, turn sign-in on as the README's *Sign-in and access* section says."
)


def access_notice() -> None:
    """Say plainly who can see this app's self-studies: everyone, or what this person may."""
    actor = current_actor()
    if actor.everything:
        st.warning(SIGN_IN_OFF, icon=":material/lock_open:")
    elif not actor.grants:
        st.info(
            f"You are signed in as **{markdown.text(actor.label)}**, but no program has given "
            "you access yet. Ask your network admin, or a member of your program, to invite "
            "you with this email address.",
            icon=":material/lock:",
        )


def show() -> None:
    st.title("STEM equity self-study")
    st.write(
        "Rate your program against equity-centred quality standards, one dimension at a "
        "time. Every answer is saved the moment you give it, and each self-study has a "
        "link of its own that reopens it in any browser."
    )
    access_notice()
    summaries = get_storage().list_studies()
    if loaded := st.session_state.pop("samples-loaded", None):
        st.success(f"Loaded {loaded} sample self-studies; open one from the list.")
    continue_open_study(summaries)
    if not summaries and current_actor().is_admin:  # samples add programs: admins only
        offer_samples()
    # Only who may begin a self-study somewhere gets the form (and its column).
    may_begin = current_actor().is_admin or bool(get_storage().programs_to_begin_in())
    new_col, resume_col = st.columns([2, 3], gap="large") if may_begin else (None, st.container())
    if new_col is not None:
        with new_col:
            new_study_form()
    with resume_col:
        if summaries:
            resume_list(summaries)
        else:
            st.subheader("Resume a self-study")
            st.write("Saved self-studies will be listed here.")
        recently_deleted()


show()
