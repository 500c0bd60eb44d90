"""Consensus page: a team's ratings side by side, how much it agrees, and the agreed answers.

Shown once the lead opens the consensus step (before that, nobody sees another's
ratings: the storage refuses them). The items whose ratings lie furthest apart come
first. The lead records the team's rating for each item, with a short rationale; the
raters' evidence is gathered into the item's evidence. Those answers are the
self-study's own, so Results and every download use them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import (
    current_actor,
    current_study_id,
    get_storage,
    rater_name_needed,
    rubric_for,
    show_problems,
    who,
)
from selfstudy.core.agreement import ItemSpread
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import NA, Rubric
from selfstudy.core.study import MAX_TEXT_LENGTH, AnswerValue, is_answered
from selfstudy.core.wording import percent_text
from selfstudy.edges.reports.team_figures import agreement_rows, alpha_text
from selfstudy.edges.storage import StaleEdit
from selfstudy.workflows.teams import Consensus, agree, consensus, record_consensus

TEAM = Path(__file__).parent / "team.py"
RESULTS = Path(__file__).parent / "results.py"
ONLY_DISAGREED = "consensus-only-disagreed"


def answer_text(rubric: Rubric, value: AnswerValue) -> str:
    if not is_answered(value):
        return "—"
    if value == NA:
        return "N/A"
    level = rubric.scale.rating_value(value)
    return f"{level} · {rubric.scale.label_of(level)}" if level is not None else str(value)


def agreement_table(rubric: Rubric, view: Consensus) -> None:
    """Agreement overall, per dimension and per standard, with what each figure rests on."""
    overall = view.agreement.overall
    left, middle, right = st.columns(3)
    left.metric(
        "Same level", percent_text(overall.exact), help="Of every two raters' levels for an item"
    )
    middle.metric("Within one level", percent_text(overall.within_one))
    right.metric(
        "Krippendorff's alpha (ordinal)",
        f"{overall.alpha:.2f}" if overall.alpha is not None else "—",
        help=overall.alpha_missing
        or "1 is full agreement, 0 no more than chance would give; 0.8 or more is usually "
        "taken as reliable, below 0.667 as too uncertain to rely on",
    )
    st.caption(
        f"From {overall.raters} raters and {overall.items} items rated by at least two of them."
    )
    rows = [
        {
            "Dimension / standard": ("   " if row.scope == "standard" else "") + row.title,
            "Raters": row.agreement.raters,
            "Items compared": row.agreement.items,
            "Same level": percent_text(row.agreement.exact),
            "Within one": percent_text(row.agreement.within_one),
            "Alpha": alpha_text(row.agreement),
        }
        for row in agreement_rows(rubric, view.agreement)[1:]
    ]
    with st.expander("Agreement per dimension and standard"):
        st.dataframe(pd.DataFrame(rows), hide_index=True)


def item_block(rubric: Rubric, view: Consensus, spread: ItemSpread, lead: bool) -> None:
    item = rubric.item_by_id[spread.item_id]
    recorded = view.recorded(spread.item_id)
    mark = "✓ " if recorded is not None else ""
    with st.container(border=True):
        st.markdown(f"**{mark}{markdown.text(item.id)}** · {markdown.text(item.text)}")
        st.markdown(
            " · ".join(
                f"{markdown.text(rater)}: **{answer_text(rubric, value)}**"
                for rater, value in spread.answers
            )
        )
        if spread.steps:
            st.caption(
                f"Range: {spread.lowest} to {spread.highest} ({spread.steps} level(s) apart)"
            )
        elif spread.unanimous:
            st.caption("Everyone who answered gave the same answer.")
        if lead:
            decide(rubric, view, spread.item_id)
        elif recorded is not None:
            st.markdown(f"Team's rating: **{answer_text(rubric, recorded.value)}**")
            if recorded.notes:
                st.caption(markdown.text(recorded.notes))


def decide(rubric: Rubric, view: Consensus, item_id: str) -> None:
    """The lead's choice for the item: the rating (offered when all agree) and why."""
    proposal = view.proposal(item_id)
    options = [*rubric.scale.values, *([NA] if rubric.scale.allow_na else [])]
    chosen = rubric.scale.rating_value(proposal.value) if proposal.value != NA else NA
    with st.form(f"consensus-{item_id}", border=False):
        value = st.radio(
            "Team's rating",
            options,
            index=options.index(chosen) if chosen in options else None,
            format_func=lambda v: answer_text(rubric, v),
            horizontal=True,
        )
        rationale = st.text_area(
            "Why (a short rationale)", value=proposal.notes, max_chars=MAX_TEXT_LENGTH
        )
        if proposal.evidence:
            st.caption("Evidence, gathered from the raters:")
            st.text(proposal.evidence)
        if st.form_submit_button("Record the team's rating"):
            try:
                record_consensus(
                    get_storage(),
                    view.team.study_id,
                    item_id,
                    value,
                    rationale,
                    view.answers_by_rater,
                    view.stored.revisions.get(item_id),
                    who(),
                )
            except StaleEdit:
                st.warning(
                    "Someone else recorded this item first; the page now shows theirs. "
                    "Your choice was not saved: choose again if it should change."
                )
                return
            except ProblemsFound as exc:
                show_problems(exc)
                return
            st.rerun()


def show() -> None:
    st.title("Consensus")
    study_id = current_study_id()
    storage = get_storage()
    team = storage.team(study_id) if study_id else None
    if team is None:
        st.info("The consensus step belongs to a team self-study; make one on the Team page.")
        st.page_link(TEAM, label="Go to the Team page", icon=":material/groups:")
        return
    if rater_name_needed():
        return
    lead = team.is_lead(current_actor())
    if not team.is_open:
        st.info(
            "The consensus step is not open yet: raters are rating on their own. The lead "
            "opens it on the Team page when everyone is done."
        )
        st.page_link(TEAM, label="Go to the Team page", icon=":material/groups:")
        return
    stored = storage.get_study(study_id)
    rubric = rubric_for(stored.study)
    view = consensus(storage, rubric, study_id)
    if team.agreed_at:
        st.success("✓ Consensus reached.", icon=":material/handshake:")
        st.page_link(RESULTS, label="See the results", icon=":material/monitoring:")
    agreement_table(rubric, view)
    missing = view.missing()
    st.subheader("Items, those the team disagreed on most first")
    only = st.toggle("Only items still without a team rating", key=ONLY_DISAGREED)
    for spread in view.agreement.most_disagreed():
        if not any(is_answered(v) for _, v in spread.answers):
            continue
        if only and spread.item_id not in missing:
            continue
        item_block(rubric, view, spread, lead)
    if lead and not team.agreed_at:
        st.caption(f"{len(missing)} item(s) rated by the team still need the team's rating.")
        if st.button("Mark consensus reached", type="primary"):
            try:
                agree(storage, rubric, study_id, who())
            except ProblemsFound as exc:
                show_problems(exc)
            else:
                st.rerun()


show()
