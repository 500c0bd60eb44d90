"""Improvement page: a program's team turns a priority into a plan and runs it.

For the program of the open self-study: its plans; a new plan made from priority
standards (with the standards' resources and change ideas, and what other programs
tried, beside it); and one plan open at a time, its fields saved as they change
(`plan_widgets`), its change ideas, each idea's PDSA cycles, its measures drawn as
run charts, what was deleted, and its history. Whoever may only read the program
sees the same, without inputs. Access is enforced by the storage whatever is drawn.

Other pages send a person here with `st.switch_page` after setting:

- `PLAN_STANDARDS_KEY`: a list of standard ids to fill a new plan's standards with
  (a priority on the Results page);
- `OPEN_PLAN_KEY`: the id of a plan to open.

Each is read once and removed.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.plan_widgets import (
    field_input,
    label_of,
    notice,
    show_notices,
    why_not,
    widget_key,
)
from selfstudy.app.session import (
    current_actor,
    get_storage,
    rubric_for,
    stored_open_study,
    who,
)
from selfstudy.app.widgets import save_before_leaving
from selfstudy.core.access import Action
from selfstudy.core.improvement import (
    DECISIONS,
    MEASURE_KINDS,
    PLAN_STATUSES,
    WORDS,
    CycleView,
    IdeaView,
    MeasureView,
    PlanView,
    closing_gaps,
)
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.runchart import date_text
from selfstudy.core.scoring import score
from selfstudy.core.study import MAX_TEXT_LENGTH
from selfstudy.core.wording import clip, counted
from selfstudy.edges.reports.run_charts import run_chart
from selfstudy.workflows import improvement as plans

# Session keys other pages set before `st.switch_page` to this page (read once, then removed).
PLAN_STANDARDS_KEY = "improvement_new_plan_standards"  # standard ids for a new plan's form
OPEN_PLAN_KEY = "improvement_open_plan"  # the id of a plan to open

OPEN_KEY = "imp:open-plan"  # the plan picker
# the plan shown: kept apart from the picker, which Streamlit makes anew (and empties) when
# its options change (a plan added by a colleague, an aim edited)
OPEN_ID_KEY = "imp:open-plan-id"
NEW_TOKEN_KEY = "imp:new-plan-token"
NEW_STANDARDS_KEY = "imp:new-standards"
NEW_OPEN_KEY = "imp:new-plan-open"
AIM_HINT = "What will improve, by how much, by when"
SHARING_WORDS = (
    "Sharing lets anyone with access to a program of the network read this program's plans: "
    "their change ideas, cycles, Act decisions and what was learned. Self-study ratings are "
    "never shared."
)
STAGES = {"plan": "Plan", "do": "Do", "study": "Study", "act": "Act", "closed": "Closed"}
AS_PLANNED = ("yes", "partly", "no")


def may(action: Action, program_id: str) -> bool:
    """Whether this person may do `action` to the program's plans (to offer it; the storage
    checks again)."""
    actor = current_actor()
    if actor.may(action, program_id):
        return True
    if actor.cohorts_for(action):
        cohorts = next((p.cohorts for p in get_storage().programs() if p.id == program_id), [])
        return actor.may(action, program_id, cohorts)
    return False


def standard_words(rubric: Rubric, standard_id: str) -> str:
    standard = rubric.standard_by_id.get(standard_id)
    return f"{standard_id} {standard.title}" if standard else standard_id


def plan_title(rubric: Rubric, view: PlanView) -> str:
    aim = " ".join(view.plan.aim.split()) or "No aim written yet"
    return f"{clip(aim, 70)} ({', '.join(view.plan.standards)})"


# --- the list of plans --------------------------------------------------------------------


def plan_list(rubric: Rubric, views: list[PlanView]) -> None:
    if not views:
        st.info(
            "This program has no improvement plan yet. Make one from a priority on the Results "
            "page, or with New improvement plan below."
        )
        return
    rows = [
        {
            "Aim": view.plan.aim,
            "Standards": ", ".join(view.plan.standards),
            "Status": view.plan.status,
            "Owner": view.plan.owner,
            "Due": view.plan.due_on.isoformat() if view.plan.due_on else "",
            "Change ideas": len(view.ideas),
            "Cycles": len(view.cycles()),
            "Measures": len(view.measures),
        }
        for view in views
    ]
    # a dataframe shows text as text: nothing in it becomes a link or markup
    st.dataframe(rows, hide_index=True)


# --- a new plan ---------------------------------------------------------------------------


def new_plan(study_id: str, program_id: str, rubric: Rubric, priorities: list[str]) -> None:
    """Choose the standards and make the plan: its aim, owner, dates and status are written
    in the plan itself, each saved as it is typed (text typed into a form not yet sent
    would be lost on a reload)."""
    # drawn only while open: what other programs tried reads the network's plans
    box = st.expander("New improvement plan", key=NEW_OPEN_KEY, on_change="rerun")
    if not box.open:
        return
    ordered = list(dict.fromkeys([*priorities, *(s.id for s in rubric.standards())]))
    with box:
        form_side, beside = st.columns([3, 2])
        with form_side:
            chosen = st.multiselect(
                "Standards it serves (the self-study's priorities first)",
                ordered,
                format_func=lambda s: (
                    standard_words(rubric, s) + (" · priority" if s in priorities else "")
                ),
                key=NEW_STANDARDS_KEY,
            )
            token = st.session_state.setdefault(NEW_TOKEN_KEY, secrets.token_hex(8))
            st.button(
                "Make the plan",
                type="primary",
                on_click=_make_plan,
                args=(study_id, tuple(chosen), token),
                help="Then write its aim (what will improve, by how much, by when), owner "
                "and dates in it: each is saved as you type.",
            )
        with beside:
            standards_aside(program_id, rubric, chosen)


def _make_plan(study_id: str, standards: tuple[str, ...], token: str) -> None:
    """Button callback: make the plan once per showing of the button (a double click makes
    one plan), open it, and close the new-plan section."""
    if st.session_state.get(NEW_TOKEN_KEY) != token:
        return  # this showing's plan is made already
    try:
        plan_id = plans.plan_from_priority(get_storage(), study_id, list(standards), by=who())
    except ProblemsFound as exc:
        notice("error", "The plan was not made: " + why_not(exc))
        return
    del st.session_state[NEW_TOKEN_KEY]
    st.session_state[OPEN_ID_KEY] = plan_id
    st.session_state[NEW_OPEN_KEY] = False
    st.session_state.pop(NEW_STANDARDS_KEY, None)
    notice("success", "The plan was made; write its aim, owner and dates below.")


def standards_aside(program_id: str, rubric: Rubric, chosen: list[str]) -> None:
    """The chosen standards' resources and change ideas, and what other programs tried."""
    if not chosen:
        st.caption(
            "Choose a standard to see its resources, its change ideas, and what other "
            "programs tried for it."
        )
        return
    tried_for = plans.others_tried(get_storage(), program_id, chosen)
    for standard_id in chosen:
        standard = rubric.standard_by_id[standard_id]
        st.markdown(f"**{markdown.text(standard_words(rubric, standard_id))}**")
        lines = [f"- {markdown.link(r.title, r.url)}" for r in standard.resources]
        if lines:
            st.markdown("Resources:\n" + "\n".join(lines))
        ideas = [
            f"- **{markdown.text(i.title)}**"
            + (f" — {markdown.text(' '.join(i.description.split()))}" if i.description else "")
            for i in standard.change_ideas
        ]
        if ideas:
            st.markdown("Change ideas from the rubric:\n" + "\n".join(ideas))
        st.markdown("*What other programs tried*")
        tried = tried_for[standard_id]
        if not tried:
            st.caption(
                "Nothing yet: no other program you may see, or that shares what it learned, "
                "has tried a change for this standard."
            )
        for t in tried:
            decided = ", ".join(f"{n} {d}" for d, n in t.decisions.items() if n) or "none yet"
            st.markdown(
                f"- **{markdown.text(t.idea)}** at {markdown.text(t.program_name)}: "
                f"{counted(t.cycles, 'cycle')}, {t.closed} closed; decisions: {decided}"
                + "".join(f"\n  - learned: {markdown.text(' '.join(w.split()))}" for w in t.learned)
            )


# --- the open plan ------------------------------------------------------------------------


def plan_section(view: PlanView, rubric: Rubric, editable: bool, deletable: bool) -> None:
    record = view.record
    st.header(markdown.text(plan_title(rubric, view)))
    with st.container(border=True):
        st.subheader("The plan")
        field_input(
            record,
            "standards",
            "multi",
            editable=editable,
            options=list(
                dict.fromkeys([*(s.id for s in rubric.standards()), *view.plan.standards])
            ),
            format_func=lambda s: standard_words(rubric, s),
        )
        field_input(record, "aim", "area", editable=editable, help=AIM_HINT, placeholder=AIM_HINT)
        owner, status = st.columns(2)
        with owner:
            field_input(record, "owner", "text", editable=editable)
        with status:
            field_input(record, "status", "choice", editable=editable, options=PLAN_STATUSES)
        starts, due = st.columns(2)
        with starts:
            field_input(record, "starts_on", "date", editable=editable)
        with due:
            field_input(record, "due_on", "date", editable=editable)
        if deletable:
            delete_button(record.id, "Delete this plan", plan=True)
    st.subheader("Change ideas")
    if not view.ideas:
        st.caption("No change idea yet: add one of the rubric's, or the team's own.")
    for idea in view.ideas:
        idea_section(view, idea, editable, deletable)
    if editable:
        add_idea(view, rubric)
    st.subheader("Measures")
    measures_section(view, editable, deletable)
    if deletable:
        deleted_section(view)
    history_section(view, rubric, editable)
    downloads(view, rubric)


def downloads(view: PlanView, rubric: Rubric) -> None:
    """The plan as files: a printable page, JSON and CSV (as `selfstudy plan export` writes
    them), made only once the section is opened, and once per version of the plan.

    The files are handed to the buttons as data, not as callables: a deferred download's
    response can be lost when the page reruns while it is made (an autosave), leaving the
    button spinning."""
    box = st.expander("Download this plan", key=f"imp:downloads-open:{view.id}", on_change="rerun")
    if not box.open:
        return
    page, data, table = plan_files(view, rubric)
    stem = f"improvement-plan-{view.id}"
    left, middle, right = box.columns(3)
    left.download_button(
        "Printable plan (HTML)",
        page,
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/print:",
        on_click="ignore",
    )
    middle.download_button(
        "Plan (JSON)",
        data,
        file_name=f"{stem}.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Plan (CSV)",
        table,
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def plan_files(view: PlanView, rubric: Rubric) -> tuple[str, str, bytes]:
    """The plan's printable page, JSON and CSV, made once per version of the plan (its
    records' revisions) and kept in this person's session only: never another's files."""
    version = tuple((r.id, r.revision) for r in view.records())
    key = f"imp:files:{view.id}"
    kept = st.session_state.get(key)
    if kept is None or kept[0] != version:
        with st.spinner("Preparing the plan's files…"):
            files = (
                plans.plan_html(view, rubric),
                plans.plans_json([view]),
                plans.plans_csv([view]).encode("utf-8-sig"),
            )
        kept = st.session_state[key] = (version, files)
    return kept[1]


def delete_button(record_id: str, label: str, plan: bool = False) -> None:
    st.button(
        label,
        key=f"imp:delete:{record_id}",
        icon=":material/delete:",
        on_click=_delete,
        args=(record_id, plan),
        help="It can be restored from the Deleted list",
    )


def _delete(record_id: str, plan: bool) -> None:
    try:
        get_storage().delete_record(record_id, by=who())
    except ProblemsFound as exc:
        notice("error", "Nothing was deleted: " + why_not(exc))
        return
    if plan:
        st.session_state[OPEN_ID_KEY] = None
        st.session_state["imp:message"] = "The plan was deleted; restore it from Deleted plans."
    else:
        notice("success", "Deleted. It can be restored from Deleted, below the plan's measures.")


def idea_section(view: PlanView, idea: IdeaView, editable: bool, deletable: bool) -> None:
    source = "from the rubric" if idea.idea.rubric_idea else "the team's own"
    open_cycles = [c for c in idea.cycles if c.cycle.closed_on is None]
    with steady_expander(
        f"{markdown.text(clip(idea.idea.title, 80))} · {source} · "
        f"{counted(len(idea.cycles), 'cycle')}",
        f"imp:idea-open:{idea.record.id}",
        first=bool(open_cycles) or not idea.cycles,
    ):
        field_input(idea.record, "title", "text", editable=editable)
        field_input(idea.record, "description", "area", editable=editable)
        if idea.decisions:
            st.caption("Act decisions so far: " + ", ".join(idea.decisions))
        for cycle in idea.cycles:
            cycle_section(idea, cycle, editable, deletable)
        if editable:
            last = idea.cycles[-1].cycle if idea.cycles else None
            label = "Begin the next cycle" if last else "Begin a cycle"
            st.button(
                label,
                key=f"imp:next:{idea.record.id}",
                icon=":material/add:",
                on_click=_begin_cycle,
                args=(idea.record.id, last.next_steps if last else ""),
            )
        if deletable:
            delete_button(idea.record.id, "Delete this change idea")


def _begin_cycle(idea_id: str, next_steps: str) -> None:
    """A new cycle under the idea; its objective starts from the last cycle's next steps."""
    try:
        get_storage().add_record("cycle", idea_id, {"objective": next_steps}, by=who())
    except ProblemsFound as exc:
        notice("error", "No cycle was begun: " + why_not(exc))


def cycle_section(idea: IdeaView, view: CycleView, editable: bool, deletable: bool) -> None:
    cycle, record = view.cycle, view.record
    stage = STAGES[cycle.stage]
    with st.container(border=True):
        closed = f", closed on {date_text(cycle.closed_on)}" if cycle.closed_on else ""
        st.markdown(f"**Cycle {view.number}** · stage: **{stage}**{closed}")
        plan_tab, do_tab, study_tab, act_tab = st.tabs(["Plan", "Do", "Study", "Act"])
        with plan_tab:
            field_input(record, "objective", "area", editable=editable)
            field_input(record, "prediction", "area", editable=editable)
            tasks(record, editable)
            field_input(record, "data_collection", "area", editable=editable)
            field_input(record, "starts_on", "date", editable=editable, label="Start date")
        with do_tab:
            field_input(record, "as_planned", "choice", editable=editable, options=AS_PLANNED)
            field_input(record, "observations", "area", editable=editable)
            field_input(record, "problems", "area", editable=editable)
        with study_tab:
            field_input(record, "results", "area", editable=editable)
            field_input(record, "learned", "area", editable=editable)
        with act_tab:
            field_input(
                record,
                "decision",
                "choice",
                editable=editable,
                options=DECISIONS,
                label="Decision (adopt, adapt or abandon)",
            )
            field_input(record, "next_steps", "area", editable=editable)
        closing = editable and cycle.closed_on is None
        if closing and st.button("Close this cycle", key=f"imp:close:{record.id}"):
            close(record, cycle)
        if deletable:
            delete_button(record.id, "Delete this cycle")


def close(record: Any, cycle: Any) -> None:
    gaps = closing_gaps(cycle)
    if gaps:
        st.warning(f"This cycle cannot be closed yet: write {' and '.join(gaps)} first.")
        return
    try:
        plans.close_cycle(
            get_storage(),
            record.id,
            seen={"closed_on": record.changed.get("closed_on", 0)},
            by=who(),
        )
    except ProblemsFound as exc:
        st.warning("This cycle was not closed: " + why_not(exc))
        return
    st.rerun()


def tasks(record: Any, editable: bool) -> None:
    """The cycle's tasks (who, what, when): each removable, one added at a time; the list is
    saved whole, refused when a colleague changed it since this page showed it."""
    st.markdown("**Tasks**")
    listed = list(record.fields.tasks)
    if not listed:
        st.caption("No task yet.")
    for index, task in enumerate(listed):
        line, action = st.columns([5, 1], vertical_alignment="center")
        when = f" by {task.when.isoformat()}" if task.when else ""
        who_does = markdown.text(task.who) if task.who else "someone"
        line.markdown(f"- {who_does}: {markdown.text(task.what)}{when}")
        if editable:
            action.button(
                "Remove",
                key=f"imp:task-remove:{record.id}:{index}",
                on_click=_save_tasks,
                args=(record, [t for i, t in enumerate(listed) if i != index]),
            )
    if not editable:
        return
    with st.form(fresh_form(f"imp:task:{record.id}")):
        who_col, what_col, when_col = st.columns([2, 4, 2])
        who_does = who_col.text_input("Who", max_chars=MAX_TEXT_LENGTH)
        what = what_col.text_input("What", max_chars=MAX_TEXT_LENGTH)
        when = when_col.date_input("When", value=None, format="YYYY-MM-DD")
        if st.form_submit_button("Add the task"):
            task = {"who": who_does, "what": what, "when": when.isoformat() if when else None}
            if _save_tasks(record, [*listed, task]):
                saved_form(f"imp:task:{record.id}")
            st.rerun()


def _save_tasks(record: Any, new: list[Any]) -> bool:
    """Save a cycle's tasks whole, with the revision this session saw; whether they were."""
    value = [t if isinstance(t, dict) else t.model_dump(mode="json") for t in new]
    try:
        plans.save_fields(
            get_storage(),
            record.id,
            {"tasks": value},
            {"tasks": record.changed.get("tasks", 0)},
            who(),
        )
    except ProblemsFound as exc:
        typed = "; ".join(f"{t.get('who', '')}: {t.get('what', '')}" for t in value)
        notice(
            "conflict",
            "The tasks were not saved: " + why_not(exc) + f" (yours: {markdown.text(typed)})",
        )
        return False
    return True


def add_idea(view: PlanView, rubric: Rubric) -> None:
    """One of the rubric's ideas for the plan's standards, or the team's own."""
    offered = [
        idea
        for standard_id in view.plan.standards
        if standard_id in rubric.standard_by_id
        for idea in rubric.standard_by_id[standard_id].change_ideas
    ]
    taken = {i.idea.rubric_idea for i in view.ideas}
    listed = bool(offered)
    offered = [i for i in offered if i.id not in taken]
    rubric_side, own_side = st.columns(2)
    with rubric_side, st.container(border=True):
        st.markdown("**Add a change idea from the rubric**")
        if not listed:
            st.caption(
                "The rubric lists no change idea for this plan's standards; write the team's "
                "own, or look at the ideas of other standards on the Rubric page."
            )
        elif not offered:
            st.caption("Every change idea the rubric lists for these standards is in the plan.")
        else:
            titles = {i.id: i.title for i in offered}
            chosen = st.selectbox(
                "Change idea",
                list(titles),
                format_func=lambda i: markdown.text(titles[i]),
                key=f"imp:rubric-idea:{view.id}",
            )
            if st.button("Add this idea", key=f"imp:add-rubric-idea:{view.id}"):
                _add_idea(view.id, rubric_idea=chosen)
    with own_side, st.form(fresh_form(f"imp:own-idea:{view.id}")):
        st.markdown("**Add the team's own change idea**")
        title = st.text_input("Title of the idea", max_chars=MAX_TEXT_LENGTH)
        st.caption("Then describe what the team will try in the idea itself.")
        if st.form_submit_button("Add our idea"):
            _add_idea(view.id, title=title)


def _add_idea(plan_id: str, **fields: Any) -> None:
    try:
        plans.add_idea(get_storage(), plan_id, by=who(), **fields)
    except ProblemsFound as exc:
        st.error("The idea was not added: " + why_not(exc))
        return
    if "title" in fields:
        saved_form(f"imp:own-idea:{plan_id}")
    st.rerun()


# --- measures -----------------------------------------------------------------------------


def steady_expander(label: str, key: str, first: bool = False) -> Any:
    """An expander that stays as it was when its label changes (a name edited inside it, a
    cycle begun): Streamlit takes a new label for a new expander, which would start closed
    and hide the box being typed in. `first`: open the first time it is drawn."""
    was = f"{key}:was-open"
    box = st.expander(label, key=key, expanded=st.session_state.get(was, first), on_change="rerun")
    st.session_state[was] = box.open
    return box


def measures_section(view: PlanView, editable: bool, deletable: bool) -> None:
    if not view.measures:
        st.caption("No measure yet: what will the team count to know a change is an improvement?")
    for measure in view.measures:
        # Only an open measure's chart is built: a chart takes tens of milliseconds.
        box = steady_expander(
            f"{markdown.text(clip(measure.measure.name, 80))} · {measure.measure.kind} measure",
            f"imp:measure-open:{measure.record.id}",
        )
        if box.open:
            with box:
                measure_body(view, measure, editable, deletable)
    if editable:
        with st.form(fresh_form(f"imp:new-measure:{view.id}")):
            st.markdown("**Add a measure**")
            kind = st.selectbox("Kind of measure", MEASURE_KINDS)
            name = st.text_input("Measure name", max_chars=MAX_TEXT_LENGTH)
            definition = st.text_area("Definition", max_chars=MAX_TEXT_LENGTH)
            unit = st.text_input("Unit", max_chars=MAX_TEXT_LENGTH)
            if st.form_submit_button("Add the measure"):
                fields = {"kind": kind, "name": name, "definition": definition, "unit": unit}
                try:
                    get_storage().add_record("measure", view.id, fields, by=who())
                except ProblemsFound as exc:
                    st.error("The measure was not added: " + why_not(exc))
                else:
                    saved_form(f"imp:new-measure:{view.id}")
                    st.rerun()


def measure_body(view: PlanView, measure: MeasureView, editable: bool, deletable: bool) -> None:
    record = measure.record
    chart = plans.run_chart_of(view, record.id)
    st.altair_chart(  # its own size: stretched, the plot would be a flat strip
        run_chart(chart, measure.measure.name, view.cycle_starts(), measure.measure.unit),
        width="content",
    )
    undated = [
        f"{clip(idea.idea.title, 40)}: cycle {c.number}"
        for idea in view.ideas
        for c in idea.cycles
        if c.cycle.starts_on is None
    ]
    if undated:
        st.caption(
            "Not marked on the chart, having no start date: "
            + markdown.text("; ".join(undated))
            + ". Give each its start date in its Plan tab."
        )
    if chart.signals:
        st.markdown(
            "**Signals**\n" + "\n".join(f"- {markdown.text(s.words)}" for s in chart.signals)
        )
    elif chart.why_no_rule:
        st.caption(markdown.text(chart.why_no_rule))
    else:
        st.caption("No rule fired: nothing so far tells a real change from chance.")
        for _, why in chart.unchecked:
            st.caption(markdown.text(why))
    kind, name = st.columns([1, 3])
    with kind:
        field_input(record, "kind", "choice", editable=editable, options=MEASURE_KINDS)
    with name:
        field_input(record, "name", "text", editable=editable)
    field_input(record, "definition", "area", editable=editable)
    field_input(record, "unit", "text", editable=editable)
    st.markdown(f"**Data points** ({len(measure.points)})")
    for point in reversed(measure.points):  # newest first
        line, action = st.columns([5, 1], vertical_alignment="center")
        p = point.fields
        note = f" — {markdown.text(p.note)}" if p.note else ""
        line.markdown(f"{date_text(p.on)}: **{p.value:g}**{note}")
        if deletable:
            action.button(
                "Delete",
                key=f"imp:delete:{point.id}",
                on_click=_delete,
                args=(point.id, False),
            )
    if editable:
        with st.form(fresh_form(f"imp:point:{record.id}")):
            on_col, value_col, note_col = st.columns([2, 2, 4])
            on = on_col.date_input("Date of the point", value=date.today(), format="YYYY-MM-DD")
            value = value_col.number_input("Value", value=None, step=1.0)
            note = note_col.text_input("Note (optional)", max_chars=MAX_TEXT_LENGTH)
            if st.form_submit_button("Add the data point"):
                add_point(record.id, on, value, note)
        import_csv(record.id)
    if deletable:
        delete_button(record.id, "Delete this measure")


def fresh_form(name: str) -> str:
    """The key of a form that keeps what was typed until it is saved: a refused form shows
    the words again to be corrected (a form cleared on submit would drop them); a saved one
    comes back empty, as a new form (`saved_form`)."""
    return f"{name}:{st.session_state.get(f'{name}:saved', 0)}"


def saved_form(name: str) -> None:
    st.session_state[f"{name}:saved"] = st.session_state.get(f"{name}:saved", 0) + 1


def add_point(measure_id: str, on: date | None, value: float | None, note: str) -> None:
    if on is None or value is None:
        st.error("A data point needs its date and its value; give both, then add it again.")
        return
    number: int | float = int(value) if float(value).is_integer() else value
    fields = {"on": on.isoformat(), "value": number, "note": note}
    try:
        get_storage().add_record("point", measure_id, fields, by=who())
    except ProblemsFound as exc:
        st.error("The data point was not added: " + why_not(exc))
        return
    saved_form(f"imp:point:{measure_id}")
    st.rerun()


def import_csv(measure_id: str) -> None:
    """Data points from a CSV file, all or nothing; a bad file's every problem is located."""
    with st.form(f"imp:csv:{measure_id}", clear_on_submit=True):
        upload = st.file_uploader(
            "Import data points from a CSV file",
            type=["csv"],
            key=f"imp:csv-file:{measure_id}",
            help="Columns date, value and (optional) note; dates as 2026-03-15",
        )
        if st.form_submit_button("Import the points") and upload is not None:
            try:
                added = plans.import_points(
                    get_storage(), measure_id, upload.getvalue(), upload.name, by=who()
                )
            except ProblemsFound as exc:
                st.error("No point was imported; fix the file and import it again: " + why_not(exc))
                return
            notice("success", f"{counted(added, 'data point')} imported.")
            st.rerun()


# --- deleted records and history ----------------------------------------------------------


def _restore(record_id: str) -> None:
    try:
        get_storage().restore_record(record_id, by=who())
    except ProblemsFound as exc:
        notice("error", "Nothing was restored: " + why_not(exc))


def deleted_section(view: PlanView) -> None:
    box = st.expander("Deleted", key=f"imp:deleted-open:{view.id}", on_change="rerun")
    if not box.open:
        return
    with box:
        records = get_storage().deleted_records(view.id)
        if not records:
            st.caption("Nothing of this plan was deleted.")
        for record in records:
            line, action = st.columns([5, 1], vertical_alignment="center")
            line.markdown(
                f"{WORDS[record.kind].capitalize()}: {markdown.text(record_name(record))}"
            )
            action.button(
                "Restore", key=f"imp:restore:{record.id}", on_click=_restore, args=(record.id,)
            )


def record_name(record: Any) -> str:
    fields = record.fields
    if record.kind == "point":
        return f"{fields.on.isoformat()}: {fields.value:g}"
    if record.kind == "cycle":
        return clip(fields.objective, 80) or "a cycle"
    if record.kind == "plan":
        return clip(fields.aim, 80) or ", ".join(fields.standards)
    return clip(getattr(fields, "title", "") or getattr(fields, "name", ""), 80)


def _put_back(change_id: int, record_id: str, field: str, revision: int) -> None:
    try:
        get_storage().restore_record_value(change_id, by=who(), seen=revision)
    except ProblemsFound as exc:
        notice("conflict", "Nothing was put back: " + why_not(exc))
        return
    # the field's input is given the stored value again when next drawn
    st.session_state.pop(widget_key(record_id, field), None)


def history_section(view: PlanView, rubric: Rubric, editable: bool) -> None:
    box = st.expander("History", key=f"imp:history-open:{view.id}", on_change="rerun")
    if not box.open:
        return
    with box:
        changes = get_storage().record_history(view.id)  # newest first
        names = {r.id: f"{WORDS[r.kind]} “{clip(record_name(r), 40)}”" for r in view.records()}
        for change in changes[:200]:
            what = names.get(change.record_id, "a deleted record")
            refused = "" if change.accepted else " — **not saved** (someone else's came first)"
            line, action = st.columns([5, 1], vertical_alignment="center")
            if change.field.startswith("@"):
                said = f"{markdown.text(str(change.new))}"
            else:
                said = (
                    f"{markdown.text(label_of(change.field))}: "
                    f"{markdown.text(clip(_value(change.old), 60))} → "
                    f"**{markdown.text(clip(_value(change.new), 60))}**"
                )
            line.markdown(
                f"{change.changed_at:%d %b %Y, %H:%M:%S} UTC · "
                f"{markdown.text(change.changed_by or 'unknown')} · "
                f"{markdown.text(what)} · {said}{refused}"
            )
            record = view.find(change.record_id)
            if editable and record is not None and not change.field.startswith("@"):
                action.button(
                    "Put this back",
                    key=f"imp:put-back:{change.id}",
                    on_click=_put_back,
                    args=(change.id, record.id, change.field, record.revision),
                )
        if len(changes) > 200:
            st.caption(f"{len(changes) - 200} older changes are not shown.")


def _value(value: Any) -> str:
    if value in (None, "", []):
        return "empty"
    if isinstance(value, list):
        return ", ".join(v.get("what", "") if isinstance(v, dict) else str(v) for v in value)
    return str(value)


# --- the page -----------------------------------------------------------------------------


def sharing(program_id: str, editable: bool) -> None:
    storage = get_storage()
    shares = storage.shares_learning(program_id)
    if not editable:
        st.caption(
            (
                "This program shares what it learns with the network. "
                if shares
                else "This program does not share what it learns with the network. "
            )
            + SHARING_WORDS
        )
        return
    key = f"imp:sharing:{program_id}"
    st.session_state[key] = shares

    def save() -> None:
        try:
            get_storage().set_sharing(program_id, bool(st.session_state[key]), by=who())
        except ProblemsFound as exc:
            notice("error", "The choice to share was not saved: " + why_not(exc))

    st.toggle("Share what we learn with the network", key=key, on_change=save)
    st.caption(SHARING_WORDS)


def deleted_plans(program_id: str) -> None:
    box = st.expander("Deleted plans", key="imp:deleted-plans", on_change="rerun")
    if not box.open:
        return
    with box:
        gone = get_storage().plans(program_id, deleted=True)
        if not gone:
            st.caption("No plan of this program was deleted.")
        for view in gone:
            line, action = st.columns([5, 1], vertical_alignment="center")
            line.markdown(markdown.text(clip(view.plan.aim or ", ".join(view.plan.standards), 80)))
            action.button(
                "Restore", key=f"imp:restore:{view.id}", on_click=_restore, args=(view.id,)
            )


def rubric_of(view: PlanView, rubric: Rubric) -> Rubric:
    """The plan's rubric: the open study's, or (a plan of an earlier round made with another
    rubric) its own, when the rubric folder has it."""
    if view.plan.rubric_id == rubric.id:
        return rubric
    try:
        return plans.rubric_of_plan(view)
    except ProblemsFound:
        return rubric  # its standards are shown by their ids


def _picked() -> None:
    st.session_state[OPEN_ID_KEY] = st.session_state[OPEN_KEY]


def take_links() -> None:
    """What another page asked for before switching here: standards, or a plan to open."""
    if PLAN_STANDARDS_KEY in st.session_state:
        wanted = st.session_state.pop(PLAN_STANDARDS_KEY)
        st.session_state[NEW_STANDARDS_KEY] = [s for s in wanted or [] if isinstance(s, str)]
        st.session_state[NEW_OPEN_KEY] = True
    if OPEN_PLAN_KEY in st.session_state:
        st.session_state[OPEN_ID_KEY] = st.session_state.pop(OPEN_PLAN_KEY)


def show() -> None:
    st.title("Improvement")
    stored = stored_open_study()
    if stored is None:
        return
    study_id = stored.id
    storage = get_storage()
    program_id = stored.program_id or ""
    study = stored.study
    rubric = rubric_for(study)
    editable = may(Action.EDIT, program_id)
    deletable = editable and may(Action.DELETE, program_id)
    take_links()
    save_before_leaving()  # text areas saved after a pause in typing, as on the Self-study page
    st.caption(
        markdown.text(" · ".join(filter(None, [study.program.name, study.program.organization])))
        + " — turn a priority into a plan, test changes in short cycles, and watch the measures."
    )
    if not editable:
        st.info(
            "You can read this program's plans; only its members can change them.",
            icon=":material/visibility:",
        )
    if message := st.session_state.pop("imp:message", None):
        st.success(message)
    show_notices()
    sharing(program_id, editable)
    views = storage.plans(program_id)
    st.subheader("Plans")
    plan_list(rubric, views)
    if editable:
        new_plan(study_id, program_id, rubric, score(rubric, study).priorities)
    ids = [v.id for v in views]
    if st.session_state.get(OPEN_ID_KEY) not in ids:
        st.session_state[OPEN_ID_KEY] = None  # none, deleted, or not a plan of this program
    if not views:
        if deletable:
            deleted_plans(program_id)
        return
    titles = {v.id: plan_title(rubric, v) for v in views}
    st.session_state[OPEN_KEY] = st.session_state[OPEN_ID_KEY]
    open_id = st.selectbox(
        "Open a plan",
        [None, *ids],
        format_func=lambda i: "—" if i is None else markdown.text(titles[i]),
        key=OPEN_KEY,
        on_change=_picked,
    )
    if open_id is not None:
        view = next(v for v in views if v.id == open_id)
        plan_section(view, rubric_of(view, rubric), editable, deletable)
    if deletable:
        deleted_plans(program_id)


if __name__ == "__main__":  # a page script runs as __main__; other pages import the keys
    show()
