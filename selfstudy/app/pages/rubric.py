"""Rubric page: browse dimensions, standards, level descriptors, resources and change ideas
without a study.

A rubric file may come from anyone: every text of it goes through `markdown.text`
(or `markdown.link`), so it shows as written and never as a link, image or HTML.
"""

from __future__ import annotations

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import rubrics
from selfstudy.app.widgets import level_descriptors, resources
from selfstudy.core.rubric import Rubric, Standard


def scale(rubric: Rubric) -> None:
    lines = [
        f"- **{lv.value} · {markdown.text(lv.label)}** — {markdown.text(lv.description)}"
        for lv in rubric.scale.levels
    ]
    if rubric.scale.allow_na:
        lines.append("- **N/A** — the statement does not apply to this program")
    target = markdown.text(rubric.scale.label_of(rubric.target))
    st.markdown("\n".join(lines))
    st.markdown(f"A standard **meets** its target at **{target} ({rubric.target})** or above.")


def change_ideas(standard: Standard) -> None:
    """Each idea's title and description, then its resources as `widgets.resources` shows a
    standard's: a link only to a web or e-mail address."""
    for idea in standard.change_ideas:
        paragraphs = [f"**{markdown.text(' '.join(idea.title.split()))}**"]
        if idea.description:
            paragraphs.append(markdown.text(idea.description))
        links = [
            f"- {markdown.link(r.title, r.url)}"
            + (f" — {markdown.text(r.description)}" if r.description else "")
            for r in idea.resources
        ]
        if links:
            paragraphs.append("\n".join(links))
        st.markdown("\n\n".join(paragraphs))


def show() -> None:
    st.title("Rubric")
    available = rubrics()
    if not available:
        st.error("No valid rubric was found in the `rubrics/` folder; run `selfstudy validate`.")
        return
    rubric = st.selectbox(
        "Rubric", available, format_func=lambda r: f"{r.title} (version {r.version})"
    )
    with st.expander("About this rubric", expanded=False):
        st.markdown(markdown.text(rubric.description))
    st.subheader("Rating scale")
    scale(rubric)
    titles = [markdown.text(d.title) for d in rubric.dimensions]
    chosen = st.radio(
        "Dimension", range(len(titles)), format_func=titles.__getitem__, horizontal=True
    )
    dimension = rubric.dimensions[chosen]
    st.header(markdown.text(dimension.title))
    if dimension.description:
        st.markdown(markdown.text(dimension.description))
    for standard in dimension.standards:
        with st.container(border=True):
            st.subheader(
                markdown.text(f"{standard.id} · {standard.title}"), anchor=f"rubric-{standard.id}"
            )
            if standard.description:
                st.markdown(markdown.text(standard.description))
            st.markdown(
                f"Target: **{rubric.standard_target(standard)}** · "
                f"{sum(1 for i in standard.items if i.is_rating)} rated statements"
            )
            with st.expander("What each level looks like"):
                level_descriptors(rubric, standard)
            with st.expander("Statements to rate"):
                st.markdown(
                    "\n".join(
                        f"- **{markdown.text(i.id)}** {markdown.text(i.text)}"
                        for i in standard.items
                    )
                )
            if standard.resources:
                with st.expander("Resources"):
                    resources(standard)
            if standard.change_ideas:
                with st.expander("Change ideas to try"):
                    change_ideas(standard)


show()
