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
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import NA, Item, Rubric
from selfstudy.core.study import MAX_TEXT_LENGTH, Answer, AnswerValue, is_answered
from selfstudy.core.wording import counted, percent_text, value_text
from selfstudy.edges.reports.team_figures import agreement_rows, alpha_text
from selfstudy.edges.storage import StaleEdit
from selfstudy.workflows.teams import (
    Consensus,
    agree,
    consensus,
    record_consensus,
    record_proposals,
)

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


def item_block(rubric: Rubric, view: Consensus, item_id: str, lead: bool) -> None:
    """One item: every rater's answer side by side, how far apart, and the team's."""
    item = rubric.item_by_id[item_id]
    recorded = view.recorded(item_id)
    mark = "✓ " if recorded is not None else ""
    answers = {
        rater: sheet.get(item_id, Answer()) for rater, sheet in view.answers_by_rater.items()
    }
    with st.container(border=True):
        st.markdown(f"**{mark}{markdown.text(item.id)}** · {markdown.text(item.text)}")
        st.markdown(
            "  \n".join(
                f"{markdown.text(rater)}: **{markdown.text(shown(rubric, item, a.value))}**"
                for rater, a in answers.items()
            )
        )
        spread = view.agreement_of(item_id)
        if spread is not None and spread.steps:
            apart = counted(spread.steps, "level")
            st.caption(f"Range: {spread.lowest} to {spread.highest} ({apart} apart)")
        elif view.agrees(item_id):
            st.caption("Everyone who answered gave the same answer.")
        if lead:
            decide(rubric, view, item_id)
        elif recorded is not None:
            what = "Team's rating" if item.is_rating else "Team's answer"
            st.markdown(f"{what}: **{markdown.text(shown(rubric, item, recorded.value))}**")
            if recorded.notes:
                st.caption(markdown.text(recorded.notes))


def shown(rubric: Rubric, item: Item, value: AnswerValue) -> str:
    """An answer as the page shows it: a rating with its level, else as written."""
    if item.is_rating:
        return answer_text(rubric, value)
    return "—" if not is_answered(value) else value_text(rubric, item, value)


def value_input(rubric: Rubric, item: Item, proposal: AnswerValue) -> AnswerValue:
    """The input of the team's answer, as the Self-study page asks it, offering `proposal`."""
    label = "Team's rating" if item.is_rating else "Team's answer"
    if item.type == "text":
        return st.text_area(label, value=proposal or "", max_chars=MAX_TEXT_LENGTH)
    if item.type == "number":
        return st.number_input(label, value=proposal if is_answered(proposal) else None)
    if item.type == "multichoice":
        options = item.options or []
        start = [v for v in proposal if v in options] if isinstance(proposal, list) else []
        return st.multiselect(label, options, default=start) or None
    if item.type == "choice":
        options = list(item.options or [])
    else:
        options = [*rubric.scale.values, *([NA] if rubric.scale.allow_na else [])]
        proposal = rubric.scale.rating_value(proposal) if proposal != NA else NA
    return st.radio(
        label,
        options,
        index=options.index(proposal) if proposal in options else None,
        format_func=lambda v: shown(rubric, item, v),
        horizontal=True,
    )


def decide(rubric: Rubric, view: Consensus, item_id: str) -> None:
    """The lead's choice for the item: the answer (offered when all agree) and why."""
    item = rubric.item_by_id[item_id]
    proposal = view.proposal(item_id)
    with st.form(f"consensus-{item_id}", border=False):
        value = value_input(rubric, item, proposal.value)
        rationale = st.text_area(
            "Why (a short rationale)", value=proposal.notes, max_chars=MAX_TEXT_LENGTH
        )
        if proposal.evidence:
            st.caption("Evidence, gathered from the raters:")
            st.text(proposal.evidence)
        label = "Record the team's rating" if item.is_rating else "Record the team's answer"
        if st.form_submit_button(label):
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
                    "Yours was not saved: here is your rationale to copy if it should change."
                )
                st.code(rationale or "(no rationale)", language=None, wrap_lines=True)
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
    st.subheader("Items, the ratings furthest apart first, then the other answers")
    only = st.toggle("Only items still without a team rating", key=ONLY_DISAGREED)
    unanimous = view.unanimous() if lead else []
    if unanimous and st.button(
        f"Record the answer of every item everyone answered alike ({len(unanimous)})",
        help="Each gets the answer all the raters gave, their evidence and notes gathered; "
        "change any of them below afterwards.",
    ):
        try:
            record_proposals(storage, view, unanimous, who())
        except (StaleEdit, ProblemsFound) as exc:
            st.warning(f"Not every item was recorded: {markdown.text(str(exc))}. Try again.")
        else:
            st.rerun()
    written = set(view.items())
    rated = [s.item_id for s in view.agreement.most_disagreed() if s.item_id in written]
    for item_id in [*rated, *(i for i in view.items() if i not in rated)]:
        if only and item_id not in missing:
            continue
        item_block(rubric, view, item_id, lead)
    if lead and not team.agreed_at:
        need = "still needs" if len(missing) == 1 else "still need"
        st.caption(f"{counted(len(missing), 'item')} the raters answered {need} the team's answer.")
        if st.button("Mark consensus reached", type="primary"):
            try:
                agree(storage, rubric, study_id, who())
            except ProblemsFound as exc:
                show_problems(exc)
            else:
                st.rerun()


show()
