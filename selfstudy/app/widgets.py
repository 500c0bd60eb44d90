"""Small drawing helpers shared by the pages: an item's input, descriptors, resources, progress."""

from __future__ import annotations

import streamlit as st

from selfstudy.app.autosave import save_from_widget
from selfstudy.app.widget_values import widget_key, widget_value
from selfstudy.core.rubric import NA, Item, Rubric, Standard
from selfstudy.core.study import Answer, value_problem


def progress_bar(answered: int, required: int, label: str) -> None:
    fraction = answered / required if required else 1.0
    st.progress(fraction, text=f"{label} — {answered}/{required} required answered")


def _ensure_widget_state(study_id: str, rubric: Rubric, item: Item, answer: Answer) -> None:
    """Seed a widget from the stored answer the first time it is drawn in this session."""
    key = widget_key(study_id, item.id, "value")
    if key not in st.session_state:
        st.session_state[key] = widget_value(rubric, item, answer.value)
    for part in ("evidence", "notes"):
        key = widget_key(study_id, item.id, part)
        if key not in st.session_state:
            st.session_state[key] = getattr(answer, part)


def item_input(study_id: str, rubric: Rubric, item: Item, answer: Answer, missing: bool) -> None:
    """The input for one item, saved the moment it changes."""
    _ensure_widget_state(study_id, rubric, item, answer)
    key = widget_key(study_id, item.id, "value")
    save = {"on_change": save_from_widget, "args": (study_id, item.id, "value")}
    # Plain text: a widget's label is also its accessible name, read aloud as written.
    label = f"{item.id} — {item.text}"
    if missing:
        label += " (required, not answered yet)"
    if item.type == "rating":
        options: list[object] = list(rubric.scale.values)
        if rubric.scale.allow_na:
            options.append(NA)
        st.segmented_control(
            label,
            options,
            format_func=lambda v: "N/A" if v == NA else rubric.scale.label_of(v),
            key=key,
            **save,
        )
    elif item.type == "text":
        st.text_area(label, key=key, height=100, **save)
    elif item.type == "choice":
        st.pills(label, item.options or [], key=key, **save)
    elif item.type == "multichoice":
        st.pills(
            label,
            item.options or [],
            selection_mode="multi",
            key=key,
            **save,
        )
    elif item.type == "number":
        st.number_input(label, key=key, **save)
    if item.help:
        st.caption(item.help)
    problem = value_problem(rubric, item, answer.value)
    if problem:
        st.warning(
            f"The saved answer {answer.value!r} cannot be shown here: {problem}. "
            "It is kept until you choose a new answer."
        )
    if item.is_rating:
        evidence_and_notes(study_id, item, answer)


def evidence_and_notes(study_id: str, item: Item, answer: Answer) -> None:
    """Evidence and notes, drawn only while open: text inputs are the page's costliest widgets."""
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
    with box:
        st.text_input(
            "Evidence (how do you know?)",
            key=widget_key(study_id, item.id, "evidence"),
            on_change=save_from_widget,
            args=(study_id, item.id, "evidence"),
        )
        st.text_input(
            "Notes",
            key=widget_key(study_id, item.id, "notes"),
            on_change=save_from_widget,
            args=(study_id, item.id, "notes"),
        )


def level_descriptors(rubric: Rubric, standard: Standard) -> None:
    """What each level looks like for this standard (the scale's words where it has none)."""
    rows = []
    for level in rubric.scale.levels:
        described = standard.levels.get(level.value) or level.description
        rows.append(f"- **{level.value} · {level.label}** — {described}")
    st.markdown("\n".join(rows))


def resources(standard: Standard) -> None:
    for resource in standard.resources:
        title = f"[{resource.title}]({resource.url})" if resource.url else resource.title
        line = f"- {title}"
        if resource.description:
            line += f" — {resource.description}"
        st.markdown(line)
