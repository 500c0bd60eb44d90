"""Results page: scores against targets, gaps, priorities, reflections, change, downloads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.autosave import load_open_study
from selfstudy.app.session import (
    current_study_id,
    get_storage,
    no_such_study,
    rubric_for,
    stored_studies,
)
from selfstudy.app.widgets import resources
from selfstudy.core.rounds import changes, round_label
from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import Result, score
from selfstudy.core.study import SelfStudy, is_answered, parse_study, unanswered_required
from selfstudy.core.wording import gap_text, level_text, percent_text, signed_text, status_text
from selfstudy.edges.reports.charts import dimension_chart, standard_chart
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.reports.scores_csv import scores_csv
from selfstudy.edges.reports.team_figures import PENDING, agreement_rows, alpha_text
from selfstudy.workflows import history, reports

START = Path(__file__).parent / "start.py"
QUESTIONNAIRE = Path(__file__).parent / "questionnaire.py"

DIRECTION_WORDS = {
    "up": "▲ up",
    "down": "▼ down",
    "same": "= same",
    "newly rated": "newly rated",
    "no longer rated": "no longer rated",
    "not rated": "not rated",
}


def _file_stem(study: SelfStudy) -> str:
    words = " ".join(filter(None, [study.program.name, study.program.round]))
    return re.sub(r"[^a-z0-9]+", "-", words.casefold()).strip("-") or "self-study"


def summary(result: Result, previous: tuple[SelfStudy, Result] | None) -> None:
    overall = result.overall
    level, status, done = st.columns(3)
    delta = None
    before = previous[1].overall.mean_level if previous else None
    if previous and overall.mean_level is not None and before is not None:
        delta = f"{signed_text(overall.mean_level - before)} since {round_label(previous[0])}"
    shown_level = (
        "not rated yet"
        if overall.mean_level is None
        else f"{level_text(overall.mean_level)} (target {overall.target})"
    )
    level.metric("Overall mean level", shown_level, delta=delta)
    status.metric("Overall status", status_text(overall.status))
    done.metric("Complete", percent_text(result.completeness), help="Required items answered")


def dimension_table(result: Result, previous: Result | None) -> None:
    before = {d.id: d.score.mean_level for d in previous.dimensions} if previous else {}
    rows = []
    for d in result.dimensions:
        row = {
            "Dimension": d.title,
            "Mean level": level_text(d.score.mean_level),
            "Target": d.score.target,
            "Gap to target": gap_text(d.score.gap),
            "Status": status_text(d.score.status),
            "Answered": f"{d.answered} of {d.required}",
        }
        if previous is not None:
            old = before.get(d.id)
            row["Previous round"] = level_text(old)
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def priorities(rubric: Rubric, result: Result) -> None:
    st.subheader("Priorities")
    if not result.priorities:
        st.write("No standard is below its target. Keep checking with data.")
        return
    st.write(
        "Standards below their target, largest gap first. Choose one or two to work on "
        "first rather than everything at once."
    )
    for standard_id in result.priorities[:8]:
        standard = rubric.standard_by_id[standard_id]
        scored = result.standard(standard_id).score
        named = markdown.text(f"{standard.id} {standard.title}")
        with st.expander(
            f"{status_text(scored.status)} · {named} — level "
            f"{level_text(scored.mean_level)}, {gap_text(scored.gap)}"
        ):
            if standard.description:
                st.markdown(markdown.text(standard.description))
            st.markdown("**Resources**")
            resources(standard)
    if len(result.priorities) > 8:
        st.caption(f"{len(result.priorities) - 8} more standards are below target.")


def reflections(rubric: Rubric, study: SelfStudy) -> None:
    written = [
        (item, study.answers[item.id].value)
        for item in rubric.items()
        if item.type == "text" and item.id in study.answers and is_answered(study.value(item.id))
    ]
    st.subheader("What the team wrote")
    if not written:
        st.write("No reflections written yet; the text questions in each dimension collect them.")
        return
    for item, text in written:
        dimension = rubric.dimension_of_standard[rubric.standard_of_item[item.id].id]
        st.markdown(f"**{markdown.text(dimension.title)}** — {markdown.text(item.text)}")
        st.markdown("> " + markdown.text(str(text)).replace("\n", "\n> "))


def missing_items(rubric: Rubric, study: SelfStudy) -> None:
    missing = unanswered_required(rubric, study.answers)
    if missing:
        with st.expander(f"{len(missing)} required items not answered yet"):
            for item in missing:
                st.markdown(f"- **{markdown.text(item.id)}** {markdown.text(item.text)}")


def change_table(result: Result, previous: tuple[SelfStudy, Result]) -> None:
    st.subheader(f"Change since {markdown.text(round_label(previous[0]))}")
    rows = [
        {
            "": c.title,
            "Before": level_text(c.before_level),
            "Now": level_text(c.after_level),
            "Change": signed_text(c.delta),
            "Direction": DIRECTION_WORDS.get(c.direction, c.direction),
        }
        for c in changes(previous[1], result)
        if c.kind != "standard"
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


@st.cache_data(max_entries=32, show_spinner="Preparing the report…")
def report_html(
    study_json: str, previous_json: str | None, team: reports.TeamFigures | None = None
) -> str:
    """The HTML report of a study (and its earlier round), made once per version of either.

    The report is handed to the download button as data rather than as a callable:
    a deferred download's response could be lost when the page reran while it was
    being made, leaving the button spinning.
    """
    study = parse_study(study_json)
    rubric = rubric_for(study)
    earlier = parse_study(previous_json) if previous_json else None
    previous = (earlier, score(rubric, earlier)) if earlier else None
    team = team or reports.TeamFigures()
    return html_report(rubric, study, score(rubric, study), previous, team.agreement, team.team)


def downloads(
    rubric: Rubric,
    study_id: str,
    study: SelfStudy,
    result: Result,
    previous,
    team: reports.TeamFigures,
) -> None:
    stem = _file_stem(study)
    left, with_history, middle, right = st.columns(4)
    left.download_button(
        "Self-study (JSON)",
        study.to_json(),
        file_name=f"{stem}.json",
        mime="application/json",
        icon=":material/download:",
    )
    document = history.history_document(get_storage(), study_id)
    with_history.download_button(
        "Self-study with its history (JSON)",
        json.dumps(document, indent=2, ensure_ascii=False),
        file_name=f"{stem}-with-history.json",
        mime="application/json",
        icon=":material/history:",
    )
    middle.download_button(
        "Scores (CSV)",
        scores_csv(rubric, study, result, team.agreement),
        file_name=f"{stem}-scores.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    right.download_button(
        "Report (HTML)",
        report_html(study.to_json(), previous[0].to_json() if previous else None, team),
        file_name=f"{stem}-report.html",
        mime="text/html",
        icon=":material/download:",
    )


def team_agreement(rubric: Rubric, study_id: str, figures: reports.TeamFigures) -> None:
    """For a team study: how far the team has come, and how much it agreed, per standard."""
    if not figures.team:
        return
    team = get_storage().team(study_id)
    if team is not None and team.agreed_at:
        st.success("These are the team's agreed ratings.", icon=":material/handshake:")
    else:
        st.info(
            "This is a team self-study and the team has not agreed yet: the results show "
            "what the self-study holds so far, not the team's consensus.",
            icon=":material/groups:",
        )
    if figures.agreement is None:
        st.caption(PENDING)
        return
    with st.expander("How sure the team was: agreement per dimension and standard"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "": ("   " if row.scope == "standard" else "") + row.title,
                        "Raters": row.agreement.raters,
                        "Items compared": row.agreement.items,
                        "Same level": percent_text(row.agreement.exact),
                        "Within one level": percent_text(row.agreement.within_one),
                        "Krippendorff's alpha": alpha_text(row.agreement),
                    }
                    for row in agreement_rows(rubric, figures.agreement)
                ]
            ),
            hide_index=True,
        )


def show() -> None:
    study_id = current_study_id()
    st.title("Results")
    if not study_id:
        st.info("No self-study is open. Begin one or resume one on the Start page.")
        st.page_link(START, label="Go to the Start page", icon=":material/home:")
        return
    session = load_open_study(study_id)
    if session is None:
        st.error(no_such_study(study_id))
        st.page_link(START, label="Go to the Start page", icon=":material/home:")
        return
    study = session.study
    rubric = rubric_for(study)
    result = score(rubric, study)
    others = [s for other_id, s in stored_studies() if other_id != study_id]
    previous = reports.previous_among(study, others)
    program = study.program
    st.caption(
        markdown.text(" · ".join(filter(None, [program.name, program.organization, program.round])))
    )
    summary(result, previous)
    team = reports.team_figures(get_storage(), rubric, study_id)  # only what the reader may see
    team_agreement(rubric, study_id, team)
    if result.completeness < 1:
        st.page_link(QUESTIONNAIRE, label="Continue answering", icon=":material/checklist:")
    missing_items(rubric, study)
    st.subheader("Dimensions against their targets")
    st.altair_chart(dimension_chart(rubric, result, previous[1] if previous else None))
    dimension_table(result, previous[1] if previous else None)
    if previous:
        change_table(result, previous)
    st.subheader("Standards")
    # Only the open tab's chart is built: each chart takes tens of milliseconds.
    titles = [markdown.text(d.title) for d in result.dimensions]
    tabs = st.tabs(titles, key="standards-tab", on_change="rerun")
    for tab, dimension in zip(tabs, result.dimensions, strict=True):
        if tab.open:
            with tab:
                st.altair_chart(standard_chart(rubric, result, dimension.id))
    priorities(rubric, result)
    reflections(rubric, study)
    st.subheader("Download")
    downloads(rubric, study_id, study, result, previous, team)


show()
