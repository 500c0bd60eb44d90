"""Small drawing helpers shared by the pages: an item's input, descriptors, resources, progress."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.autosave import (
    FIELD_NAMES,
    restore_from_history,
    save_from_widget,
    seed_widgets,
)
from selfstudy.app.session import get_storage, read_only
from selfstudy.app.widget_values import widget_key
from selfstudy.core.rubric import NA, Item, Rubric, Standard
from selfstudy.core.study import MAX_TEXT_LENGTH, Answer, value_problem
from selfstudy.core.wording import clip
from selfstudy.workflows import history

# Evidence and notes are saved after this pause in typing, without leaving the box.
TYPING_PAUSE = "600ms"


# Read once when the app starts: page scripts run again on every rerun, this module does not.
SAVE_BEFORE_LEAVING = (Path(__file__).parent / "static" / "save_before_leaving.js").read_text()


def save_before_leaving() -> None:
    """Hold back a click that would leave the page while a text box is still being typed in."""
    st.html(
        f"<script>{SAVE_BEFORE_LEAVING}</script>", unsafe_allow_javascript=True, width="content"
    )


def progress_bar(answered: int, required: int, label: str) -> None:
    fraction = answered / required if required else 1.0
    st.progress(fraction, text=f"{markdown.text(label)} — {answered}/{required} required answered")


def item_input(study_id: str, rubric: Rubric, item: Item, answer: Answer, missing: bool) -> None:
    """The input for one item, saved the moment it changes."""
    seed_widgets(study_id, rubric, item, answer, ("value",))
    key = widget_key(study_id, item.id, "value")
    save = {
        "on_change": save_from_widget,
        "args": (study_id, item.id, "value"),
        "disabled": read_only(study_id),
    }
    # Plain text: a widget's label is also its accessible name, read aloud as written.
    label = f"{markdown.text(item.id)} — {markdown.text(item.text)}"
    if missing:
        label += " (required, not answered yet)"
    if item.type == "rating":
        options: list[object] = list(rubric.scale.values)
        if rubric.scale.allow_na:
            options.append(NA)
        st.segmented_control(
            label,
            options,
            format_func=lambda v: "N/A" if v == NA else markdown.text(rubric.scale.label_of(v)),
            key=key,
            **save,
        )
    elif item.type == "text":
        st.text_area(label, key=key, height=100, max_chars=MAX_TEXT_LENGTH, **save)
    elif item.type == "choice":
        st.pills(label, item.options or [], format_func=markdown.text, key=key, **save)
    elif item.type == "multichoice":
        st.pills(
            label,
            item.options or [],
            format_func=markdown.text,
            selection_mode="multi",
            key=key,
            **save,
        )
    elif item.type == "number":
        st.number_input(label, key=key, **save)
    if item.help:
        st.caption(markdown.text(item.help))
    problem = value_problem(rubric, item, answer.value)
    if problem:
        st.warning(
            f"The saved answer {markdown.text(clip(repr(answer.value), 60))} cannot be shown here: "
            f"{markdown.text(problem)}. "
            "It is kept until you choose a new answer."
        )
    if item.is_rating:
        evidence_and_notes(study_id, rubric, item, answer)
    item_history(study_id, item)


def evidence_and_notes(study_id: str, rubric: Rubric, item: Item, answer: Answer) -> None:
    """Evidence and notes, drawn (and given their stored text) only while open: text inputs
    are the page's costliest widgets."""
    label = "Evidence and notes"
    if answer.evidence or answer.notes:
        label += " ✓"
    box = st.expander(
        label,
        expanded=bool(answer.evidence or answer.notes),
        key=widget_key(study_id, item.id, "more"),
        on_change="rerun",
    )
    if not box.open:
        return
    seed_widgets(study_id, rubric, item, answer, ("evidence", "notes"))
    with box:
        # the stored text is also each box's default (its key alone names it): a box the
        # browser draws before the value set through the session reaches it shows the
        # stored text, never an empty box a word would save over
        st.text_input(
            "Evidence (how do you know?)",
            value=answer.evidence,
            key=widget_key(study_id, item.id, "evidence"),
            max_chars=MAX_TEXT_LENGTH,
            on_change=save_from_widget,
            args=(study_id, item.id, "evidence"),
            live=TYPING_PAUSE,
            disabled=read_only(study_id),
        )
        st.text_input(
            "Notes",
            value=answer.notes,
            key=widget_key(study_id, item.id, "notes"),
            max_chars=MAX_TEXT_LENGTH,
            on_change=save_from_widget,
            args=(study_id, item.id, "notes"),
            live=TYPING_PAUSE,
            disabled=read_only(study_id),
        )


def item_history(study_id: str, item: Item) -> None:
    """Every change to the item, who made it and when, each value restorable in one click.

    Read only while open: one query per item would slow every page.
    """
    box = st.expander("History", key=widget_key(study_id, item.id, "history"), on_change="rerun")
    if not box.open:
        return
    with box:
        lines = history.history_lines(get_storage(), study_id, item.id)
        if not lines:
            st.caption("No changes yet.")
        for line in reversed(lines):  # newest first
            change = line.change
            refused = "" if change.accepted else " — **not saved** (someone else's came first)"
            text, action = st.columns([5, 1], vertical_alignment="center")
            who = markdown.text(change.changed_by or "unknown")
            what = markdown.text(FIELD_NAMES.get(line.field, line.field))
            text.markdown(
                f"{change.changed_at:%d %b %Y, %H:%M:%S} UTC · {who} · {what}: "
                f"{markdown.text(clip(line.old, 60))} → **{markdown.text(clip(line.new, 60))}**"
                f"{refused}"
            )
            action.button(
                "Restore",
                key=f"restore:{study_id}:{item.id}:{change.id}",
                help="Put this value back (the restore is a new change in the history)",
                on_click=restore_from_history,
                args=(study_id, item.id, change.id),
                disabled=read_only(study_id),
            )


def level_descriptors(rubric: Rubric, standard: Standard) -> None:
    """What each level looks like for this standard (the scale's words where it has none)."""
    rows = []
    for level in rubric.scale.levels:
        described = standard.levels.get(level.value) or level.description
        rows.append(
            f"- **{level.value} · {markdown.text(level.label)}** — {markdown.text(described)}"
        )
    st.markdown("\n".join(rows))


def resources(standard: Standard) -> None:
    """Each resource, a link only to a web or e-mail address (`markdown.link`)."""
    for resource in standard.resources:
        line = f"- {markdown.link(resource.title, resource.url)}"
        if resource.description:
            line += f" — {markdown.text(resource.description)}"
        st.markdown(line)
