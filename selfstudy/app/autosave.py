"""Autosave of the open study, as this browser session sees it.

A session keeps a copy of the open study and, for every field of every answer
(the rating or value, the evidence, the notes), the item revision at which it
last saw that field. Each autosave sends only the field that changed with
that revision, so a colleague's change to another field never refuses it, and
a change to the same field since this person looked is refused by `Storage`:
their text stays on screen in the notice, and in the item's history. Fields
other people saved are taken in with a notice. A save that changes nothing
writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import database_trouble, get_storage, rubric_for, who
from selfstudy.app.widget_values import stored_value, widget_key, widget_value
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import Item, Rubric
from selfstudy.core.study import Answer, SelfStudy, is_answered
from selfstudy.core.wording import clip, sentence, value_text
from selfstudy.edges.storage import (
    DatabaseError,
    NewerAnswer,
    StaleEdit,
    StoredStudy,
    StudyNotFound,
)
from selfstudy.workflows import history

FIELDS = ("value", "evidence", "notes")
FIELD_NAMES = {"value": "answer", "evidence": "evidence", "notes": "notes"}


@dataclass
class Notice:
    """Something another person changed, told to this user once."""

    kind: str  # "conflict": your edit was refused; "updated": their edit arrived
    item_id: str
    text: str
    kept_text: str = ""  # the refused text, shown so it can be copied (also in the history)


@dataclass
class SessionStudy:
    id: str
    study: SelfStudy
    revisions: dict[str, int]  # item -> the stored item revision last compared with
    seen: dict[str, dict[str, int]] = field(default_factory=dict)  # item -> field -> revision
    notices: list[Notice] = field(default_factory=list)
    kept: dict[str, list[Notice]] = field(default_factory=dict)  # refused words, until dismissed
    # Fields taken from colleagues whose widgets must be told again when next drawn: a widget
    # not on screen when its value was set keeps showing its old value in the browser.
    to_redraw: set[tuple[str, str]] = field(default_factory=set)
    progress_changed: bool = False
    loaded_at: float = 0.0  # time.monotonic() of the last refresh from storage

    def seen_revision(self, item_id: str, part: str) -> int | None:
        return self.seen.get(item_id, {}).get(part)

    def mark_seen(self, item_id: str, part: str, revision: int | None) -> None:
        if revision is not None:
            self.seen.setdefault(item_id, {})[part] = revision


def _session_key(study_id: str) -> str:
    return f"open:{study_id}"


def load_open_study(study_id: str, max_age: float = 0.0) -> SessionStudy | None:
    """The open study, refreshed from storage; None when no study has this id.

    Fields other people saved since this session last looked are taken in
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
        for item_id, revision in stored.revisions.items():
            session.seen[item_id] = dict.fromkeys(FIELDS, revision)
        st.session_state[key] = session
    else:
        _take_others_changes(session, stored)
    session.loaded_at = time.monotonic()
    return session


def _take_others_changes(session: SessionStudy, stored: StoredStudy) -> None:
    """Adopt every field someone else saved since this session last looked, with a notice."""
    rubric = rubric_for(stored.study)
    for item_id, revision in stored.revisions.items():
        if session.revisions.get(item_id) == revision:
            continue
        session.revisions[item_id] = revision
        answer = stored.study.answers.get(item_id, Answer())
        changed_at = stored.field_revisions.get(item_id, {})
        theirs = [
            part
            for part in FIELDS
            if changed_at.get(part, 0) > (session.seen_revision(item_id, part) or 0)
        ]
        for part in FIELDS:
            session.mark_seen(item_id, part, revision)
        if not theirs:
            continue  # only this session's own saves
        _take_fields(session, rubric, item_id, answer, theirs)
        text = _changed_text(rubric, item_id, answer, theirs, stored.answer_times.get(item_id))
        session.notices.append(Notice("updated", item_id, text))
        session.progress_changed = True
    session.study = session.study.model_copy(update={"program": stored.study.program})


def _take_fields(
    session: SessionStudy, rubric: Rubric, item_id: str, stored: Answer, parts: list[str]
) -> None:
    """Adopt stored fields of an answer in this session: its copy and its widgets."""
    answers = dict(session.study.answers)
    mine = answers.get(item_id, Answer())
    answer = mine.model_copy(update={part: getattr(stored, part) for part in parts})
    answers[item_id] = answer
    session.study = session.study.model_copy(update={"answers": answers})
    item = rubric.item_by_id.get(item_id)
    if item is None:
        return
    for part in parts:
        shown = (
            widget_value(rubric, item, answer.value) if part == "value" else getattr(answer, part)
        )
        st.session_state[widget_key(session.id, item_id, part)] = shown
        session.to_redraw.add((item_id, part))


def seed_widgets(
    study_id: str, rubric: Rubric, item: Item, answer: Answer, parts: Iterable[str] = FIELDS
) -> None:
    """Give an item's widgets (those of `parts`) their stored values, just before they are
    drawn, and only then: a value seeded for a widget not drawn in that run would outlive
    what is typed into it later, and come back in its place when the page is left and
    opened again.

    A widget gets its value the first time it is drawn in this browser session,
    and again after a colleague's change to it arrived (see `to_redraw`); never
    otherwise, so text being typed is not replaced.
    """
    session: SessionStudy | None = st.session_state.get(_session_key(study_id))
    to_redraw = session.to_redraw if session is not None else set()
    for part in parts:
        key = widget_key(study_id, item.id, part)
        if key in st.session_state and (item.id, part) not in to_redraw:
            continue
        value = getattr(answer, part)
        st.session_state[key] = widget_value(rubric, item, value) if part == "value" else value
        to_redraw.discard((item.id, part))


def save_from_widget(study_id: str, item_id: str, part: str) -> None:
    """Widget callback: save the field the moment it changes (autosave)."""
    session: SessionStudy = st.session_state[_session_key(study_id)]
    rubric = rubric_for(session.study)
    item = rubric.item_by_id[item_id]
    raw = st.session_state[widget_key(study_id, item_id, part)]
    old = session.study.answers.get(item_id, Answer())
    new_value: Any = stored_value(item, raw) if part == "value" else (raw or "")
    try:
        revision = get_storage().save_field(
            study_id, item_id, part, new_value, session.seen_revision(item_id, part), by=who()
        )
    except StaleEdit as stale:
        _refused(session, rubric, item, stale.conflicts[0])
        return
    except StudyNotFound:
        _not_saved(
            session,
            item,
            "This self-study was deleted; your answer was not saved. It is kept below "
            "to copy; the study can be restored from Recently deleted on the Start page.",
            _typed_text(item, part, new_value),
        )
        return
    except ProblemsFound as exc:  # the database failed, or refused the value (too long)
        # Show what is stored, not an answer that was never saved.
        _take_fields(session, rubric, item_id, old, [part])
        why = _why_not_saved(exc, "Nothing saved before was lost; give it again in a moment")
        if not isinstance(exc, DatabaseError):
            why += " It is kept below to copy."
        _not_saved(
            session,
            item,
            f"Your {FIELD_NAMES[part]} for **{markdown.text(item_id)}** could not be saved: {why}",
            _typed_text(item, part, new_value),
        )
        session.progress_changed = True
        return
    answers = dict(session.study.answers)
    answers[item_id] = old.model_copy(update={part: new_value})
    session.study = session.study.model_copy(update={"answers": answers})
    session.mark_seen(item_id, part, revision)
    # Progress moves when an item becomes (un)answered or when other items' `show_if` hangs on it.
    controls_others = any(i.show_if and i.show_if.item == item_id for i in rubric.items())
    if part == "value" and (is_answered(old.value) != is_answered(new_value) or controls_others):
        session.progress_changed = True


def _why_not_saved(exc: ProblemsFound, retry: str) -> str:
    """Why a change was not saved, as Markdown: the database's trouble, or each problem."""
    if isinstance(exc, DatabaseError):
        return database_trouble(exc.problem, retry)
    return " ".join(sentence(markdown.text(p.message)) for p in exc.problems)


def _typed_text(item: Item, part: str, value: Any) -> str:
    """What the person typed, to keep on screen when it could not be saved ('' for a choice)."""
    if part != "value" or item.type == "text":
        return "" if value is None else str(value)
    return ""


def _not_saved(session: SessionStudy, item: Item, text: str, typed: str) -> None:
    """Tell the person once, and keep what they typed beside the item until they dismiss it."""
    notice = Notice("conflict", item.id, text, kept_text=typed)
    session.notices.append(notice)
    if typed:
        session.kept.setdefault(item.id, []).append(notice)


def _refused(session: SessionStudy, rubric: Rubric, item: Item, newer: NewerAnswer) -> None:
    """Show what a colleague saved in the field, and keep this person's words on screen."""
    theirs = newer.answer or Answer()
    _take_fields(session, rubric, item.id, theirs, [newer.field])
    session.mark_seen(item.id, newer.field, newer.revision)
    _not_saved(
        session,
        item,
        _conflict_text(rubric, item, newer),
        _typed_text(item, newer.field, newer.mine),
    )
    session.progress_changed = True


def _when(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S UTC on %d %b %Y") if moment else "just now"


# The notices below are Markdown: every text in them that a rubric, a colleague or a stored
# study gave goes through `markdown.text`.


def _short(item: Item) -> str:
    return f"**{markdown.text(item.id)}** ({markdown.text(clip(item.text, 68))})"


def _by(name: str) -> str:
    return f"by {markdown.text(name)}" if name else "by someone else"


def _field_text(rubric: Rubric, item: Item, part: str, value: Any) -> str:
    if part == "value":
        return markdown.text(value_text(rubric, item, value))
    return f"“{markdown.text(clip(value, 120))}”" if value else "empty"


def _conflict_text(rubric: Rubric, item: Item, newer: NewerAnswer) -> str:
    theirs = getattr(newer.answer or Answer(), newer.field)
    what = FIELD_NAMES[newer.field]
    text = (
        f"The {what} of {_short(item)} was changed {_by(newer.updated_by)} at "
        f"{_when(newer.updated_at)} while you were editing: it is now "
        f"**{_field_text(rubric, item, newer.field, theirs)}**. Your {what} was not saved"
    )
    if newer.field == "value":
        mine = markdown.text(value_text(rubric, item, newer.mine))
        return text + f" (you chose **{mine}**); change it again if you still disagree."
    return (
        text + ". It is kept below and in the item's history: copy it into the box, or merge "
        "the two, if you still want it."
    )


def _changed_text(
    rubric: Rubric, item_id: str, answer: Answer, parts: list[str], stored_at: datetime | None
) -> str:
    item = rubric.item_by_id.get(item_id)
    if item is None:
        return f"**{markdown.text(item_id)}** was changed by someone else."
    what = " and ".join(FIELD_NAMES[part] for part in parts)
    shown = "; ".join(_field_text(rubric, item, part, getattr(answer, part)) for part in parts)
    return (
        f"The {what} of {_short(item)} was changed by someone else at "
        f"{_when(stored_at)}: it is now **{shown}**."
    )


def take_notices(session: SessionStudy) -> list[Notice]:
    notices, session.notices = session.notices, []
    return notices


def dismiss_kept(study_id: str, item_id: str, index: int) -> None:
    """Button callback: the person has copied or dropped a refused text."""
    session: SessionStudy = st.session_state[_session_key(study_id)]
    kept = session.kept.get(item_id, [])
    if 0 <= index < len(kept):
        kept.pop(index)


def _not_restored(session: SessionStudy, item_id: str, why: str) -> None:
    session.notices.append(Notice("conflict", item_id, f"Nothing was restored: {why}"))


def restore_from_history(study_id: str, item_id: str, change_id: int) -> None:
    """Button callback: put back the value a history entry gave its field, and show it."""
    session: SessionStudy = st.session_state[_session_key(study_id)]
    storage = get_storage()
    try:
        restored = history.restore_value(
            storage, study_id, change_id, by=who(), seen=session.seen.get(item_id, {})
        )
        stored = storage.get_study(study_id)
    except StaleEdit as stale:  # someone changed the field since this page last showed it
        rubric = rubric_for(session.study)
        _refused(session, rubric, rubric.item_by_id[item_id], stale.conflicts[0])
        return
    except ProblemsFound as exc:  # the database failed, or the change is not an answer's
        _not_restored(session, item_id, _why_not_saved(exc, "Try again in a moment"))
        return
    except KeyError:  # the study, or the change, is no longer stored (`StudyNotFound` too)
        gone = "this change or its self-study is no longer stored; reload the page to see what is."
        _not_restored(session, item_id, gone)
        return
    part = restored.change.field
    rubric = rubric_for(stored.study)
    _take_fields(session, rubric, item_id, stored.study.answers.get(item_id, Answer()), [part])
    session.mark_seen(item_id, part, stored.revisions.get(item_id))
    session.progress_changed = True
