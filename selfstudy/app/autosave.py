"""Autosave of the open study, as this browser session sees it.

A session keeps a copy of the open study and, for every answer, the revision
it last saw; each autosave sends that revision so a stale edit (someone else
saved the same answer in between) is refused by `Storage` and reported, never
silently overwritten. Answers other people saved are taken in with a notice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import streamlit as st

from selfstudy.app.session import get_storage, rubric_for
from selfstudy.app.widget_values import stored_value, widget_key, widget_value
from selfstudy.core.rubric import Item, Rubric
from selfstudy.core.study import Answer, SelfStudy, is_answered
from selfstudy.core.wording import clip, value_text
from selfstudy.edges.storage import DatabaseError, StaleEdit, StoredStudy, StudyNotFound


@dataclass
class Notice:
    """Something another person changed, told to this user once."""

    kind: str  # "conflict": your edit was refused; "updated": their edit arrived
    item_id: str
    text: str


@dataclass
class SessionStudy:
    id: str
    study: SelfStudy
    revisions: dict[str, int]
    notices: list[Notice] = field(default_factory=list)
    progress_changed: bool = False
    loaded_at: float = 0.0  # time.monotonic() of the last refresh from storage


def _session_key(study_id: str) -> str:
    return f"open:{study_id}"


def load_open_study(study_id: str, max_age: float = 0.0) -> SessionStudy | None:
    """The open study, refreshed from storage; None when no study has this id.

    Answers other people saved since this session last looked are taken in
    (and their widgets updated) with a notice, so nobody edits an old copy.
    A copy refreshed less than `max_age` seconds ago is used as it is (the
    fragments of one page run share the page's refresh). Stale edits are
    caught by `Storage` whatever the age of the copy.
    """
    key = _session_key(study_id)
    session: SessionStudy | None = st.session_state.get(key)
    if session is not None and time.monotonic() - session.loaded_at < max_age:
        return session
    try:
        stored = get_storage().get_study(study_id)
    except StudyNotFound:
        return None
    if session is None:
        session = SessionStudy(study_id, stored.study, dict(stored.revisions))
        st.session_state[key] = session
    else:
        _take_others_changes(session, stored)
    session.loaded_at = time.monotonic()
    return session


def _take_others_changes(session: SessionStudy, stored: StoredStudy) -> None:
    """Adopt every answer someone else saved since this session last looked, with a notice."""
    rubric = rubric_for(stored.study)
    for item_id, revision in stored.revisions.items():
        if session.revisions.get(item_id) == revision:
            continue
        answer = stored.study.answers.get(item_id, Answer())
        _take_answer(session, rubric, item_id, answer, revision)
        when = stored.answer_times.get(item_id)
        text = _changed_text(rubric, item_id, answer, when)
        session.notices.append(Notice("updated", item_id, text))
        session.progress_changed = True
    session.study = session.study.model_copy(update={"program": stored.study.program})


def _take_answer(
    session: SessionStudy, rubric: Rubric, item_id: str, answer: Answer, revision: int | None
) -> None:
    """Adopt a stored answer in this session: its copy, its revision and its widgets."""
    answers = dict(session.study.answers)
    answers[item_id] = answer
    session.study = session.study.model_copy(update={"answers": answers})
    if revision is None:
        session.revisions.pop(item_id, None)
    else:
        session.revisions[item_id] = revision
    item = rubric.item_by_id.get(item_id)
    if item is not None:
        st.session_state[widget_key(session.id, item_id, "value")] = widget_value(
            rubric, item, answer.value
        )
        st.session_state[widget_key(session.id, item_id, "evidence")] = answer.evidence
        st.session_state[widget_key(session.id, item_id, "notes")] = answer.notes


def save_from_widget(study_id: str, item_id: str, part: str) -> None:
    """Widget callback: save the answer the moment it changes (autosave)."""
    session: SessionStudy = st.session_state[_session_key(study_id)]
    rubric = rubric_for(session.study)
    item = rubric.item_by_id[item_id]
    raw = st.session_state[widget_key(study_id, item_id, part)]
    old = session.study.answers.get(item_id, Answer())
    if part == "value":
        answer = old.model_copy(update={"value": stored_value(item, raw)})
    else:
        answer = old.model_copy(update={part: raw or ""})
    try:
        revision = get_storage().save_answer(
            study_id, item_id, answer, session.revisions.get(item_id)
        )
    except StaleEdit as stale:
        theirs = stale.answer or Answer()
        _take_answer(session, rubric, item_id, theirs, stale.revision)
        session.notices.append(
            Notice("conflict", item_id, _conflict_text(rubric, item, answer, theirs, stale))
        )
        session.progress_changed = True
        return
    except StudyNotFound:
        session.notices.append(
            Notice("conflict", item_id, "This self-study was deleted; your answer was not saved.")
        )
        return
    except DatabaseError as exc:
        # Show what is stored, not an answer that was never saved.
        _take_answer(session, rubric, item_id, old, session.revisions.get(item_id))
        session.notices.append(
            Notice(
                "conflict",
                item_id,
                f"Your answer to **{item_id}** could not be saved: the database did not "
                f"respond ({type(exc).__name__}). Nothing was lost that was saved before; "
                "give the answer again in a moment.",
            )
        )
        session.progress_changed = True
        return
    answers = dict(session.study.answers)
    answers[item_id] = answer
    session.study = session.study.model_copy(update={"answers": answers})
    session.revisions[item_id] = revision
    # Progress moves when an item becomes (un)answered or when other items' `show_if` hangs on it.
    controls_others = any(i.show_if and i.show_if.item == item_id for i in rubric.items())
    if is_answered(old.value) != is_answered(answer.value) or controls_others:
        session.progress_changed = True


def _when(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S UTC on %d %b %Y") if moment else "just now"


def _short(item: Item) -> str:
    return clip(item.text, 68)


def _conflict_text(
    rubric: Rubric, item: Item, mine: Answer, theirs: Answer, stale: StaleEdit
) -> str:
    what = "answer" if mine.value != theirs.value else "evidence or notes"
    return (
        f"**{item.id}** ({_short(item)}) was changed by someone else at "
        f"{_when(stale.updated_at)} while you were editing: it is now "
        f"**{value_text(rubric, item, theirs.value)}**. Your {what} "
        f"(**{value_text(rubric, item, mine.value)}**) was not saved, so theirs is kept; "
        "change it again if you still disagree."
    )


def _changed_text(rubric: Rubric, item_id: str, answer: Answer, stored_at: datetime | None) -> str:
    item = rubric.item_by_id.get(item_id)
    if item is None:
        return f"**{item_id}** was changed by someone else."
    return (
        f"**{item.id}** ({_short(item)}) was changed by someone else at "
        f"{_when(stored_at)}: it is now "
        f"**{value_text(rubric, item, answer.value)}**."
    )


def take_notices(session: SessionStudy) -> list[Notice]:
    notices, session.notices = session.notices, []
    return notices
