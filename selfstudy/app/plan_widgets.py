"""The inputs of an improvement plan's records, each field saved the moment it changes.

A record's field is saved with the revision at which this browser session last
saw that field (`Record.changed[field]`), so a colleague's change to another
field never refuses it, and a change to the same field since this person looked
is refused by the storage (`RecordChanged`). Then the input shows what the
colleague saved, and this person's own words stay on screen beside it (and in the
plan's history) until they dismiss them: nobody's typing is lost. A field a
colleague changed while this session was away is taken in, with a notice, the
next time it is drawn.

Everything here keeps its state in `st.session_state`, under keys that start with
`imp:`; the page script holds no state of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import database_trouble, get_storage, who
from selfstudy.core.improvement import WORDS, Record, field_values
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import MAX_TEXT_LENGTH
from selfstudy.core.wording import clip
from selfstudy.edges.storage import DatabaseError
from selfstudy.edges.storage.improvement import RecordChanged
from selfstudy.workflows import improvement as plans

TYPING_PAUSE = "600ms"  # text is saved after this pause in typing, as on the Self-study page
SEEN_KEY = "imp:seen"  # record id -> field -> the revision this session last saw
NOTICES_KEY = "imp:notices"  # (kind, Markdown) told once at the top of the plan
KEPT_KEY = "imp:kept"  # (record id, field) -> refused words, until dismissed


@dataclass(frozen=True)
class Kept:
    """Words of this person a colleague's change (or a refusal) kept from being saved."""

    why: str  # Markdown
    typed: str


def widget_key(record_id: str, field: str) -> str:
    return f"imp:w:{record_id}:{field}"


def _seen() -> dict[str, dict[str, int]]:
    return st.session_state.setdefault(SEEN_KEY, {})


def _kept() -> dict[tuple[str, str], list[Kept]]:
    return st.session_state.setdefault(KEPT_KEY, {})


def notice(kind: str, text: str) -> None:
    """Tell the person something once, at the top of the open plan ("conflict" or "info")."""
    st.session_state.setdefault(NOTICES_KEY, []).append((kind, text))


def show_notices() -> None:
    for kind, text in st.session_state.pop(NOTICES_KEY, []):
        if kind == "conflict":
            st.warning(text, icon=":material/sync_problem:")
        elif kind == "error":
            st.error(text)
        elif kind == "success":
            st.success(text)
        else:
            st.info(text, icon=":material/group:")


def why_not(exc: ProblemsFound) -> str:
    """A refusal in words, as Markdown: the database's trouble, or each problem's line."""
    if isinstance(exc, DatabaseError):
        return database_trouble(exc.problem, "Try again in a moment")
    # each problem on a line of its own, as written: where (a file's name, a field), what,
    # and how to fix it
    return "".join(f"  \n{markdown.text(str(p))}" for p in exc.problems)


# --- between a widget's value and a stored field -----------------------------------------


def shown_value(kind: str, stored: Any) -> Any:
    """What a widget of `kind` shows for a stored JSON value."""
    if kind == "date":
        return date.fromisoformat(stored) if isinstance(stored, str) and stored else None
    if kind == "multi":
        return list(stored or [])
    if kind in ("text", "area"):
        return stored or ""
    return stored


def stored_value(kind: str, raw: Any) -> Any:
    """What is saved for a widget's value (dates as ISO text, as the storage keeps them)."""
    if kind == "date":
        return raw.isoformat() if isinstance(raw, date) else None
    if kind == "multi":
        return list(raw or [])
    if kind in ("text", "area"):
        return raw or ""
    return raw


def typed_text(kind: str, value: Any) -> str:
    """The words to keep on screen when a save is refused ('' for a choice or date)."""
    return value if kind in ("text", "area") and isinstance(value, str) else ""


# --- drawing and saving one field ---------------------------------------------------------


def seen_revision(record: Record, field: str) -> int:
    """The revision of `field` this session last saw (what it saw now, on first sight)."""
    return _seen().setdefault(record.id, {}).setdefault(field, record.changed.get(field, 0))


def _mark_seen(record_id: str, field: str, revision: int) -> None:
    _seen().setdefault(record_id, {})[field] = revision


def _take_stored(record: Record, field: str, kind: str, by_someone_else: bool) -> None:
    """Give the widget the stored value (now), and note the revision seen."""
    stored = field_values(record.fields).get(field)
    st.session_state[widget_key(record.id, field)] = shown_value(kind, stored)
    _mark_seen(record.id, field, record.changed.get(field, 0))
    if by_someone_else:
        notice(
            "info",
            f"The {markdown.text(label_of(field))} of a {WORDS[record.kind]} was changed by "
            "someone else since you opened this plan; it shows their words now.",
        )


def seed(record: Record, field: str, kind: str) -> None:
    """Give a field's widget its stored value, just before it is drawn: the first time, and
    again when someone else saved the field since this session saw it; never otherwise, so
    text being typed is not replaced."""
    key = widget_key(record.id, field)
    seen = _seen().get(record.id, {}).get(field)
    if key not in st.session_state or seen is None:
        _take_stored(record, field, kind, by_someone_else=False)
    elif record.changed.get(field, 0) > seen:
        _take_stored(record, field, kind, by_someone_else=True)


def _save(record: Record, field: str, kind: str) -> None:
    """Widget callback: save the field as it is now, with the revision this session saw."""
    key = widget_key(record.id, field)
    value = stored_value(kind, st.session_state.get(key))
    try:
        revision = plans.save_fields(
            get_storage(), record.id, {field: value}, {field: seen_revision(record, field)}, who()
        )
    except RecordChanged as exc:
        newer = exc.conflicts[0]
        st.session_state[key] = shown_value(kind, newer.stored)
        _mark_seen(record.id, field, _revision_now(record, field))
        whom = markdown.text(newer.changed_by or "someone else")
        when = f" at {newer.changed_at:%H:%M} UTC" if newer.changed_at else ""
        why = (
            f"The {markdown.text(label_of(field))} of this {WORDS[record.kind]} was changed by "
            f"**{whom}**{when} while you were editing: it shows their words now. Yours were "
            "not saved; they are kept below and in the plan's history: copy them back in, or "
            "merge the two, if you still want them."
        )
        notice("conflict", why)
        _keep(record.id, field, why, typed_text(kind, value))
        return
    except ProblemsFound as exc:  # refused (a bad value, access gone) or the database failed
        stored = field_values(record.fields).get(field)
        st.session_state[key] = shown_value(kind, stored)
        why = f"Your {markdown.text(label_of(field))} could not be saved: {why_not(exc)}"
        notice("error", why)
        _keep(record.id, field, why, typed_text(kind, value))
        return
    _mark_seen(record.id, field, revision)


def _revision_now(record: Record, field: str) -> int:
    """The revision of the field as stored now (after a refusal: the next save builds on it)."""
    try:
        return get_storage().record(record.id).changed.get(field, 0)
    except ProblemsFound:  # deleted meanwhile, or access gone
        return 0


def _keep(record_id: str, field: str, why: str, typed: str) -> None:
    if typed.strip():
        _kept().setdefault((record_id, field), []).append(Kept(why, typed))


def _dismiss(record_id: str, field: str, index: int) -> None:
    kept = _kept().get((record_id, field), [])
    if 0 <= index < len(kept):
        kept.pop(index)


def kept_texts(record_id: str, field: str) -> None:
    """This person's refused words for a field, until they dismiss them."""
    for index, kept in enumerate(_kept().get((record_id, field), [])):
        with st.container(border=True):
            # why, beside the box: who changed it and when (the notice at the top of the
            # page may be out of sight of whoever is typing here)
            st.warning(kept.why, icon=":material/sync_problem:")
            st.caption(
                "Your words, as you typed them: copy them into the box, or merge the two, "
                "then dismiss this."
            )
            st.code(kept.typed, language=None, wrap_lines=True)
            st.button(
                "Dismiss",
                key=f"imp:dismiss:{record_id}:{field}:{index}",
                on_click=_dismiss,
                args=(record_id, field, index),
            )


LABELS = {
    "standards": "Standards",
    "aim": "Aim",
    "owner": "Owner",
    "starts_on": "Start date",
    "due_on": "Due date",
    "status": "Status",
    "title": "Title",
    "description": "Description",
    "objective": "Objective",
    "prediction": "Prediction",
    "tasks": "Tasks",
    "data_collection": "How the data will be collected",
    "as_planned": "Carried out as planned?",
    "observations": "Observations",
    "problems": "Problems",
    "results": "Results against the prediction",
    "learned": "What we learned",
    "decision": "Decision",
    "next_steps": "Next steps",
    "closed_on": "Closed on",
    "kind": "Kind",
    "name": "Name",
    "definition": "Definition",
    "unit": "Unit",
    "on": "Date",
    "value": "Value",
    "note": "Note",
}


def label_of(field: str) -> str:
    return LABELS.get(field, field)


def field_input(
    record: Record,
    field: str,
    kind: str,
    *,
    editable: bool,
    label: str | None = None,
    options: Sequence[Any] = (),
    format_func: Callable[[Any], str] = str,
    help: str | None = None,
    placeholder: str | None = None,
) -> None:
    """One field of a record: an input saved as it changes, or its value in words.

    `kind` is text, area (several lines), date, choice (one of `options`, None for
    none) or multi (several of `options`).
    """
    label = label or label_of(field)
    stored = field_values(record.fields).get(field)
    if not editable:
        shown = _words(kind, stored, format_func)
        st.markdown(f"**{markdown.text(label)}:** {shown}")
        return
    seed(record, field, kind)
    key = widget_key(record.id, field)
    save = {"key": key, "on_change": _save, "args": (record, field, kind), "help": help}
    # A text box is also given the stored text as its default (its key alone names it, so
    # the default changing never makes it anew): a box the browser draws before the value
    # set through the session reaches it (a click within a few hundred milliseconds of the
    # plan opening) then shows the stored text, not an empty box a word would save over.
    if kind == "text":
        st.text_input(
            label,
            value=shown_value(kind, stored),
            max_chars=MAX_TEXT_LENGTH,
            live=TYPING_PAUSE,
            placeholder=placeholder,
            **save,
        )
    elif kind == "area":
        st.text_area(
            label,
            value=shown_value(kind, stored),
            max_chars=MAX_TEXT_LENGTH,
            height=90,
            placeholder=placeholder,
            **save,
        )
    elif kind == "date":
        st.date_input(label, format="YYYY-MM-DD", **save)
    elif kind == "choice":
        st.selectbox(label, [None, *options], format_func=_or_none(format_func), **save)
    elif kind == "multi":
        st.multiselect(label, list(options), format_func=format_func, **save)
    kept_texts(record.id, field)


def _or_none(format_func: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda v: "—" if v is None else format_func(v)


def _words(kind: str, stored: Any, format_func: Callable[[Any], str]) -> str:
    if stored in (None, "", []):
        return "—"
    if kind == "multi":
        return ", ".join(markdown.text(format_func(v)) for v in stored)
    if kind == "choice":
        return markdown.text(format_func(stored))
    return markdown.text(clip(str(stored), 2000) if kind != "area" else str(stored))
