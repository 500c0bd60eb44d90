"""Improvement plans as files: a printable HTML plan, JSON, and CSV.

- **HTML** (`plan_html`): one plan as a page a team prints or hands to a board: the
  aim, the standards it serves (with their titles and resources), owner, dates and
  status, each change idea with its cycles' Plan, Do, Study and Act, and each measure
  with its run chart (inline SVG, as the self-study report draws its charts: nothing
  fetched, no script) and its data points. It is the self-study report's kin: the same
  escaping, chart embedding, resource links and print styles (`html_report`'s helpers).
- **JSON** (`plans_json`): everything, for tools: each plan's fields under their own
  names (as `core.improvement` defines them), its ideas with their cycles and its
  measures with their points and run-chart summary. `docs/improvement.md` shows the shape.
- **CSV** (`plans_csv`): one long table, one row per record (`record` says which: plan,
  idea, cycle, measure, point), every field a column, so a spreadsheet filters the
  rows it wants (the points of one measure, say, to chart them) without joining files.
  Text a spreadsheet would run as a formula gets the scores CSV's guard (`safe_text`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from selfstudy import __version__
from selfstudy.core.improvement import (
    Cycle,
    CycleView,
    IdeaView,
    MeasureView,
    PlanView,
    Record,
    Task,
    field_values,
)
from selfstudy.core.rubric import Rubric
from selfstudy.core.runchart import RunChart, date_text
from selfstudy.core.wording import NONE
from selfstudy.edges.reports.html_report import CSS, _e, _figure, standard_entry
from selfstudy.edges.reports.run_charts import run_chart
from selfstudy.edges.reports.scores_csv import safe_text

JSON_FORMAT = "selfstudy-improvement-plans"
JSON_VERSION = 1
STATUS_WORDS = {
    "planned": "Planned",
    "in progress": "In progress",
    "done": "Done",
    "stopped": "Stopped",
}
DECISION_WORDS = {
    "adopt": "Adopt: the change is kept as it is",
    "adapt": "Adapt: the change is kept with changes, and tested again",
    "abandon": "Abandon: the change is dropped",
}
AS_PLANNED_WORDS = {"yes": "Yes", "partly": "Partly", "no": "No"}

# --- JSON ---------------------------------------------------------------------------------


def plans_json(views: Sequence[PlanView], charts: Mapping[str, RunChart]) -> str:
    """The plans as one JSON document (`charts`: each measure's run chart, by its id)."""
    document = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "plans": [plan_document(view, charts) for view in views],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def plan_document(view: PlanView, charts: Mapping[str, RunChart]) -> dict[str, Any]:
    """One plan as JSON values: its fields, then its ideas and measures."""
    return {
        **_about(view.record),
        "program_id": view.record.program_id,
        "program": view.program_name,
        **field_values(view.plan),
        "ideas": [
            {
                **_about(idea.record),
                **field_values(idea.idea),
                "decisions": list(idea.decisions),
                "cycles": [
                    {
                        **_about(cycle.record),
                        "number": cycle.number,
                        "stage": cycle.cycle.stage,
                        **field_values(cycle.cycle),
                    }
                    for cycle in idea.cycles
                ],
            }
            for idea in view.ideas
        ],
        "measures": [
            {
                **_about(measure.record),
                **field_values(measure.measure),
                "points": [{"id": p.id, **field_values(p.fields)} for p in measure.points],
                "run_chart": _chart_document(charts.get(measure.record.id)),
            }
            for measure in view.measures
        ],
    }


def _about(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "updated_at": record.updated_at,
        "revision": record.revision,
    }


def _chart_document(chart: RunChart | None) -> dict[str, Any] | None:
    if chart is None:
        return None
    return {
        "median": chart.median,
        "baseline_points": chart.baseline,
        "signals": [
            {
                "rule": s.rule,
                "direction": s.direction,
                "points": s.count,
                "from": s.first_on.isoformat(),
                "to": s.last_on.isoformat(),
                "words": s.words,
            }
            for s in chart.signals
        ],
        "not_checked": [{"rule": rule, "why": why} for rule, why in chart.unchecked],
    }


# --- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "record",
    "program",
    "plan_id",
    "id",
    "parent_id",
    "idea",  # the idea's title, on its own row and its cycles' rows
    "measure",  # the measure's name, on its own row and its points' rows
    "number",  # a cycle's number under its idea
    "stage",  # a cycle's stage: plan, do, study, act or closed
    # plan
    "rubric_id",
    "standards",
    "study_id",
    "aim",
    "owner",
    "starts_on",
    "due_on",
    "status",
    # idea
    "title",
    "description",
    "rubric_idea",
    # cycle
    "objective",
    "prediction",
    "tasks",
    "data_collection",
    "as_planned",
    "observations",
    "problems",
    "results",
    "learned",
    "decision",
    "next_steps",
    "closed_on",
    # measure
    "kind",
    "name",
    "definition",
    "unit",
    # point
    "on",
    "value",
    "note",
]


def plans_csv(views: Iterable[PlanView]) -> str:
    """Every record of the plans as one CSV table (see the module docstring): plans in the
    order they were made, each followed by its ideas (each followed by its cycles) and its
    measures (each followed by its points, in date order)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS)
    writer.writeheader()
    for view in views:
        plan = {"program": view.program_name, "plan_id": view.id}
        writer.writerow(_csv_row(view.record, plan))
        for idea in view.ideas:
            under_idea = {**plan, "idea": idea.idea.title}
            writer.writerow(_csv_row(idea.record, under_idea))
            for cycle in idea.cycles:
                extra = {"number": cycle.number, "stage": cycle.cycle.stage}
                writer.writerow(_csv_row(cycle.record, {**under_idea, **extra}))
        for measure in view.measures:
            under_measure = {**plan, "measure": measure.measure.name}
            writer.writerow(_csv_row(measure.record, under_measure))
            for point in measure.points:
                writer.writerow(_csv_row(point, under_measure))
    return buffer.getvalue()


def _csv_row(record: Record, context: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record": record.kind,
        "id": record.id,
        "parent_id": record.parent_id or ("" if record.kind == "plan" else record.plan_id),
        **context,
    }
    for name, value in field_values(record.fields).items():
        row[name] = _csv_value(name, value)
    return {k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}


def _csv_value(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name == "standards":
        return "; ".join(value)
    if name == "tasks":
        return "\n".join(_task_line(Task.model_validate(t)) for t in value)
    return value


def _task_line(task: Task) -> str:
    parts = [task.who or "someone", task.what]
    if task.when:
        parts.append(f"by {task.when.isoformat()}")
    return " · ".join(parts)


# --- HTML ---------------------------------------------------------------------------------


def plan_html(view: PlanView, rubric: Rubric | None, charts: Mapping[str, RunChart]) -> str:
    """One plan as a self-contained, printable HTML page (see the module docstring);
    `rubric` gives the standards' titles and resources (None: the ids alone)."""
    body = "\n".join(
        s
        for s in (
            _header(view, rubric),
            _standards_section(view, rubric),
            _ideas_section(view),
            _measures_section(view, charts),
        )
        if s
    )
    title = view.plan.aim or "Improvement plan"
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Improvement plan: {_e(view.program_name)}: {_e(_short(title))}</title>\n"
        f"<style>{CSS}{PLAN_CSS}</style>\n</head>\n<body>\n<main>\n"
        + body
        + f"\n<footer>Made with selfstudy {_e(__version__)}"
        + (f' from the rubric "{_e(rubric.title)}" version {_e(rubric.version)}' if rubric else "")
        + f". Plan {_e(view.id)}, last changed {_e(view.record.updated_at[:10])}.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:79] + "…"


def _header(view: PlanView, rubric: Rubric | None) -> str:
    plan = view.plan
    standards = ", ".join(f"{s} {_standard_title(rubric, s)}".strip() for s in plan.standards)
    facts = [
        ("Program", view.program_name),
        ("Standards", standards),
        ("Owner", plan.owner),
        ("Starts", date_text(plan.starts_on) if plan.starts_on else ""),
        ("Due", date_text(plan.due_on) if plan.due_on else ""),
        ("Status", STATUS_WORDS[plan.status]),
        ("From the self-study", plan.study_id or ""),
    ]
    rows = "".join(f"<dt>{label}</dt><dd>{_e(value)}</dd>" for label, value in facts if value)
    aim = (
        f'<p class="aim">{_e(plan.aim)}</p>'
        if plan.aim.strip()
        else '<p class="aim muted">No aim is written yet: what will improve, by how much, '
        "by when.</p>"
    )
    return (
        '<header class="report-header">\n<p class="eyebrow">Improvement plan</p>\n'
        f"<h1>{_e(view.program_name) or 'Improvement plan'}</h1>\n"
        f'<h2 class="aim-label">Aim</h2>\n{aim}\n'
        f'<dl class="facts">{rows}</dl>\n</header>'
    )


def _standard_title(rubric: Rubric | None, standard_id: str) -> str:
    standard = rubric.standard_by_id.get(standard_id) if rubric else None
    return standard.title if standard else ""


def _standards_section(view: PlanView, rubric: Rubric | None) -> str:
    entries = []
    for standard_id in view.plan.standards:
        standard = rubric.standard_by_id.get(standard_id) if rubric else None
        if standard is None:
            entries.append(
                f'<li class="priority"><h3><span class="id">{_e(standard_id)}</span></h3></li>'
            )
            continue
        entries.append(standard_entry(standard))
    return (
        '<section id="standards">\n<h2>Standards this plan serves</h2>\n'
        f'<ul class="plan-standards">{"".join(entries)}</ul>\n</section>'
    )


def _ideas_section(view: PlanView) -> str:
    if not view.ideas:
        return (
            '<section id="ideas">\n<h2>Change ideas</h2>\n'
            "<p>No change idea is chosen yet.</p>\n</section>"
        )
    return (
        '<section id="ideas">\n<h2>Change ideas and their cycles</h2>\n'
        '<p class="lead">Each change idea is tested in Plan-Do-Study-Act cycles; a cycle '
        "closes once its Study and Act are written.</p>\n"
        + "".join(_idea(idea) for idea in view.ideas)
        + "</section>"
    )


def _idea(idea: IdeaView) -> str:
    source = "From the rubric" if idea.idea.rubric_idea else "The team's own idea"
    decisions = idea.decisions
    summary = f"{len(idea.cycles)} cycle{'s' if len(idea.cycles) != 1 else ''}"
    if decisions:
        summary += "; decisions: " + ", ".join(decisions)
    cycles = "".join(_cycle(c) for c in idea.cycles) or "<p>No cycle is begun yet.</p>"
    return (
        '<article class="idea">\n'
        f"<h3>{_e(idea.idea.title)}</h3>\n"
        f'<p class="muted">{source} · {_e(summary)}</p>\n'
        + (f'<p class="prose">{_e(idea.idea.description)}</p>\n' if idea.idea.description else "")
        + cycles
        + "</article>\n"
    )


def _cycle(view: CycleView) -> str:
    cycle = view.cycle
    closed = (
        f"closed on {date_text(cycle.closed_on)}" if cycle.closed_on else f"stage: {cycle.stage}"
    )
    rows = [
        _group("Plan"),
        _row("Objective", cycle.objective),
        _row("Prediction", cycle.prediction),
        _row_html("Tasks", _tasks(cycle)),
        _row("How data will be collected", cycle.data_collection),
        _row("Starts", date_text(cycle.starts_on) if cycle.starts_on else ""),
        _group("Do"),
        _row("Carried out as planned", AS_PLANNED_WORDS.get(cycle.as_planned or "", "")),
        _row("Observations", cycle.observations),
        _row("Problems", cycle.problems),
        _group("Study"),
        _row("Results against the prediction", cycle.results),
        _row("What was learned", cycle.learned),
        _group("Act"),
        _row("Decision", DECISION_WORDS.get(cycle.decision or "", "")),
        _row("Next steps", cycle.next_steps),
    ]
    return (
        '<div class="cycle">\n'
        f'<h4>Cycle {view.number} <span class="muted">· {_e(closed)}</span></h4>\n'
        f'<table class="data pdsa"><tbody>{"".join(rows)}</tbody></table>\n</div>\n'
    )


def _group(title: str) -> str:
    return f'<tr class="group"><th colspan="2">{title}</th></tr>'


def _row(label: str, text: str) -> str:
    return _row_html(label, _e(text) if text.strip() else f'<span class="muted">{NONE}</span>')


def _row_html(label: str, cell: str) -> str:
    return f'<tr><th scope="row">{label}</th><td class="prose">{cell}</td></tr>'


def _tasks(cycle: Cycle) -> str:
    if not cycle.tasks:
        return f'<span class="muted">{NONE}</span>'
    items = "".join(
        f"<li>{_e(t.who or 'someone')}: {_e(t.what)}"
        + (f' <span class="muted">by {_e(date_text(t.when))}</span>' if t.when else "")
        + "</li>"
        for t in cycle.tasks
    )
    return f'<ul class="tasks">{items}</ul>'


def _measures_section(view: PlanView, charts: Mapping[str, RunChart]) -> str:
    if not view.measures:
        return (
            '<section id="measures">\n<h2>Measures</h2>\n'
            "<p>No measure is defined yet.</p>\n</section>"
        )
    return (
        '<section id="measures">\n<h2>Measures</h2>\n'
        '<p class="lead">Each measure as a run chart: the dashed line is the median; a shift '
        "(six or more points in a row on one side of it), a trend (five or more going up or "
        "down) and an astronomical point are marked, and each cycle's start is a dotted "
        "line.</p>\n"
        + "".join(_measure(view, m, charts.get(m.record.id)) for m in view.measures)
        + "</section>"
    )


def _measure(view: PlanView, measure_view: MeasureView, chart: RunChart | None) -> str:
    measure = measure_view.measure
    about = f"{measure.kind.capitalize()} measure" + (
        f" · in {measure.unit}" if measure.unit else ""
    )
    parts = [
        '<article class="measure">\n',
        f"<h3>{_e(measure.name)}</h3>\n",
        f'<p class="muted">{_e(about)}</p>\n',
    ]
    if measure.definition:
        parts.append(f'<p class="prose">{_e(measure.definition)}</p>\n')
    if chart is not None:
        parts.append(
            _figure(
                run_chart(chart, measure.name, view.cycle_starts(), measure.unit),
                f"Run chart of {measure.name}",
            )
        )
        parts.append(_signals(chart))
    parts.append(_points_table(measure_view))
    parts.append("</article>\n")
    return "".join(parts)


def _signals(chart: RunChart) -> str:
    if chart.signals:
        items = "".join(f"<li>{_e(s.words)}</li>" for s in chart.signals)
        return f'<p class="resources-label">Signals</p><ul class="signals">{items}</ul>\n'
    if not chart.points:
        return ""
    if chart.why_no_rule:
        return f'<p class="muted">{_e(chart.why_no_rule)}</p>\n'
    return '<p class="muted">No run-chart rule fired: no signal of change yet.</p>\n'


def _points_table(measure: MeasureView) -> str:
    if not measure.points:
        return '<p class="muted">No data points yet.</p>\n'
    rows = "".join(
        f'<tr><td class="nowrap">{_e(date_text(p.fields.on))}</td>'
        f'<td class="num">{_e(_number(p.fields.value))}</td>'
        f'<td class="prose">{_e(p.fields.note)}</td></tr>'
        for p in measure.points
    )
    return (
        '<table class="data points"><thead><tr><th>Date</th><th class="num">Value</th>'
        f"<th>Note</th></tr></thead><tbody>{rows}</tbody></table>\n"
    )


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


PLAN_CSS = """
h2.aim-label { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: var(--muted); border: 0; margin: 1rem 0 0.1rem; padding: 0; }
p.aim { font-size: 1.2rem; margin: 0 0 1rem; white-space: pre-wrap; }
ul.plan-standards { list-style: none; padding-left: 0; }
article.idea, article.measure { margin: 1.2rem 0 2rem; }
.cycle h4 { margin: 1rem 0 0.3rem; font-size: 1rem; }
table.pdsa th[scope="row"] { width: 28%; font-weight: 500; color: var(--muted); }
p.prose { white-space: pre-wrap; }
ul.tasks, ul.signals { margin: 0; padding-left: 1.2rem; }
@media print {
  .cycle, article.measure figure { break-inside: avoid; page-break-inside: avoid; }
  section#measures { break-before: page; }
}
"""
