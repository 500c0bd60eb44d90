"""Results page: scores against targets, gaps, priorities, reflections, change, downloads.

A priority leads on to an improvement plan (made here, opened on the Improvement
page), and a later round shows what became of the earlier round's priorities: the
plans made for them, their cycles' Act decisions, and how each standard's level moved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.autosave import load_open_study
from selfstudy.app.pages.improvement import OPEN_PLAN_KEY, PLAN_STANDARDS_KEY
from selfstudy.app.session import (
    current_study_id,
    get_storage,
    no_such_study,
    rubric_for,
    stored_studies,
)
from selfstudy.app.widgets import resources
from selfstudy.core.access import Action
from selfstudy.core.improvement import (
    DECISIONS,
    Followed,
    IdeaView,
    PlanView,
    decisions_text,
)
from selfstudy.core.rounds import changes, round_label
from selfstudy.core.rubric import Rubric, Standard
from selfstudy.core.scoring import Result, score
from selfstudy.core.study import SelfStudy, is_answered, parse_study, unanswered_required
from selfstudy.core.wording import (
    counted,
    gap_text,
    level_text,
    percent_text,
    signed_text,
    status_text,
)
from selfstudy.edges.reports.charts import dimension_chart, standard_chart
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.reports.scores_csv import scores_csv
from selfstudy.edges.reports.team_figures import PENDING, agreement_rows, alpha_text
from selfstudy.workflows import history, reports
from selfstudy.workflows.improvement import SinceEarlier, followed_since

START = Path(__file__).parent / "start.py"
QUESTIONNAIRE = Path(__file__).parent / "questionnaire.py"
IMPROVEMENT = Path(__file__).parent / "improvement.py"

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


def priorities(
    rubric: Rubric,
    result: Result,
    study_id: str = "",
    plans: list[PlanView] | None = None,
    may_plan: bool = False,
) -> None:
    """The standards below target, each with its resources, the rubric's change ideas for
    it, the plans already made for it from this study and (for whoever may change the
    study) a button to make one."""
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
            change_ideas(standard)
            standard_plans(
                study_id,
                standard_id,
                [p for p in plans or [] if standard_id in p.plan.standards],
                may_plan,
            )
    if len(result.priorities) > 8:
        st.caption(f"{len(result.priorities) - 8} more standards are below target.")


def change_ideas(standard: Standard) -> None:
    """The rubric's change ideas for a standard: starting points for a plan."""
    if not standard.change_ideas:
        return
    st.markdown("**Change ideas to try**")
    for idea in standard.change_ideas:
        line = f"- **{markdown.text(idea.title)}**"
        if idea.description:
            line += f" — {markdown.text(idea.description)}"
        st.markdown(line)


def plan_line(view: PlanView) -> str:
    """A plan in one line: its aim, status, owner, due date and how far its tests went."""
    plan = view.plan
    cycles = view.cycles()
    closed = sum(1 for c in cycles if c.cycle.closed_on is not None)
    parts: list[str] = [plan.status]
    if plan.owner:
        parts.append(f"owner {plan.owner}")
    if plan.due_on:
        parts.append(f"due {plan.due_on.isoformat()}")
    parts.append(counted(len(view.ideas), "change idea"))
    parts.append(f"{counted(len(cycles), 'cycle')} ({closed} closed)")
    aim = plan.aim.strip() or "A plan with no aim written yet"
    return f"**{markdown.text(aim)}** — {markdown.text(', '.join(parts))}"


def standard_plans(study_id: str, standard_id: str, plans: list[PlanView], may_plan: bool) -> None:
    """The plans made for a standard from this study, each to open; and, for whoever may
    change the study, a button that begins a new one."""
    if plans:
        st.markdown("**Improvement plans made for this standard**")
        for view in plans:
            line, button = st.columns([5, 1], vertical_alignment="center")
            line.markdown(plan_line(view))
            if button.button("Open the plan", key=f"open-plan-{standard_id}-{view.id}"):
                st.session_state[OPEN_PLAN_KEY] = view.id
                st.switch_page(IMPROVEMENT, query_params={"study": study_id})
    if may_plan and st.button(
        "Make an improvement plan for this standard",
        key=f"new-plan-{standard_id}",
        icon=":material/add_task:",
    ):
        st.session_state[PLAN_STANDARDS_KEY] = [standard_id]
        st.switch_page(IMPROVEMENT, query_params={"study": study_id})


def moved_text(followed: Followed) -> str:
    """How a standard's level moved, with an arrow a reader sees at a glance."""
    moved = followed.moved
    if moved is None:
        return "not rated in both rounds"
    if moved > 0:
        return f"▲ {signed_text(moved)}"
    if moved < 0:
        return f"▼ {signed_text(moved)}"
    return "= no change"


def since_earlier(rubric: Rubric, since: SinceEarlier) -> None:
    """What became of each priority of the earlier round: the plans made for it, the cycles
    they ran and their Act decisions, and how the standard's level moved."""
    st.subheader(f"Since {markdown.text(round_label(since.earlier))}")
    if not since.followed:
        st.write(
            f"No standard was below its target in {markdown.text(round_label(since.earlier))}, "
            "and no improvement plan was made from it."
        )
        return
    st.write(
        f"Each priority of {markdown.text(round_label(since.earlier))}: what the program "
        "tried for it since, and how its level moved."
    )
    rows = []
    for followed in since.followed:
        standard = rubric.standard_by_id.get(followed.standard_id)
        cycles = [c for p in followed.plans for c in p.cycles()]
        decisions = followed.decisions
        rows.append(
            {
                "Standard": f"{followed.standard_id} {standard.title if standard else ''}".strip(),
                "Then": level_text(followed.before),
                "Now": level_text(followed.after),
                "Moved": moved_text(followed),
                "Improvement plans": counted(len(followed.plans), "plan")
                if followed.plans
                else "No plan was made for this standard",
                "Cycles run": len(cycles),
                "Act decisions": decisions_text(decisions) or "none yet",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Then and Now are the standard's mean levels in the two rounds. Act decisions "
        "count the closed cycles that ended in each: adopted, adapted or abandoned."
    )
    for followed in since.followed:
        if not followed.plans:
            continue
        standard = rubric.standard_by_id.get(followed.standard_id)
        title = markdown.text(
            f"{followed.standard_id} {standard.title if standard else ''}".strip()
        )
        with st.expander(f"{title} — what was tried ({moved_text(followed)})"):
            for view in followed.plans:
                st.markdown(plan_line(view))
                if not view.ideas:
                    st.caption("No change idea was written under this plan.")
                for idea in view.ideas:
                    st.markdown(f"- {idea_line(idea)}")
                    for cycle in idea.cycles:
                        learned = cycle.cycle.learned.strip()
                        if cycle.cycle.closed_on is not None and learned:
                            st.markdown(
                                f"    - Cycle {cycle.number} learned: {markdown.text(learned)}"
                            )


def idea_line(idea: IdeaView) -> str:
    """A change idea, its cycles and how they ended, in words."""
    ended = decisions_text({d: idea.decisions.count(d) for d in DECISIONS})
    closed = sum(1 for c in idea.cycles if c.cycle.closed_on is not None)
    words = f"{counted(len(idea.cycles), 'cycle')} run, {closed} closed"
    if ended:
        words += f": {ended}"
    return f"**{markdown.text(idea.idea.title)}** — {words}"


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


def _since_version(since: SinceEarlier) -> tuple:
    """What the report's look back depends on: the earlier round, the levels, and every
    record of the plans (their revisions), so a changed plan makes the report anew."""
    return (
        since.earlier.to_json(),
        tuple(
            (
                f.standard_id,
                f.before,
                f.after,
                tuple((r.id, r.revision) for p in f.plans for r in p.records()),
            )
            for f in since.followed
        ),
    )


@st.cache_data(
    max_entries=32, show_spinner="Preparing the report…", hash_funcs={SinceEarlier: _since_version}
)
def report_html(
    study_json: str,
    previous_json: str | None,
    team: reports.TeamFigures | None = None,
    since: SinceEarlier | None = None,
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
    return html_report(
        rubric,
        study,
        score(rubric, study),
        previous,
        team.agreement,
        team.team,
        (since.earlier, since.followed) if since else None,
    )


def downloads(
    rubric: Rubric,
    study_id: str,
    study: SelfStudy,
    result: Result,
    previous,
    team: reports.TeamFigures,
    since: SinceEarlier | None = None,
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
        report_html(study.to_json(), previous[0].to_json() if previous else None, team, since),
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
    compared = [(other_id, s) for other_id, s in stored_studies() if other_id != study_id]
    previous = reports.previous_among(study, [s for _, s in compared])
    storage = get_storage()
    program_plans = storage.plans(storage.get_study(study_id).program_id)
    program = study.program
    st.caption(
        markdown.text(" · ".join(filter(None, [program.name, program.organization, program.round])))
    )
    summary(result, previous)
    team = reports.team_figures(storage, rubric, study_id)  # only what the reader may see
    team_agreement(rubric, study_id, team)
    if result.completeness < 1:
        st.page_link(QUESTIONNAIRE, label="Continue answering", icon=":material/checklist:")
    missing_items(rubric, study)
    st.subheader("Dimensions against their targets")
    st.altair_chart(dimension_chart(rubric, result, previous[1] if previous else None))
    dimension_table(result, previous[1] if previous else None)
    since = None
    if previous:
        change_table(result, previous)
        since = followed_since(study, previous, compared, program_plans, result)
        since_earlier(rubric, since)
    st.subheader("Standards")
    # Only the open tab's chart is built: each chart takes tens of milliseconds.
    titles = [markdown.text(d.title) for d in result.dimensions]
    tabs = st.tabs(titles, key="standards-tab", on_change="rerun")
    for tab, dimension in zip(tabs, result.dimensions, strict=True):
        if tab.open:
            with tab:
                st.altair_chart(standard_chart(rubric, result, dimension.id))
    plans = [p for p in program_plans if p.plan.study_id == study_id]
    priorities(rubric, result, study_id, plans, storage.allows(Action.EDIT, study_id))
    reflections(rubric, study)
    st.subheader("Download")
    downloads(rubric, study_id, study, result, previous, team, since)


show()
