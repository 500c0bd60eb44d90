"""`selfstudy plan`: improvement plans from the command line, for scripting what the app's
Improvement page does (each command calls the storage or one function of
`workflows.improvement`).

A command that makes a record prints its id alone on stdout, so a script can keep it:
`plan=$(selfstudy plan new STUDY_ID --standard PG.1)`. Every record is saved field by
field with its history, as in the app: `plan set` changes what is stored now, and a
field someone changed since this command read it is refused, their words kept.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from selfstudy.cli import format_from_suffix, main, say
from selfstudy.cli.database import database
from selfstudy.cli.history import _by, by_option
from selfstudy.cli.tables import text_table
from selfstudy.core.improvement import (
    MEASURE_KINDS,
    MODELS,
    PLAN_STATUSES,
    WORDS,
    PlanView,
    Record,
)
from selfstudy.core.printable import json_text, printable_lines
from selfstudy.core.problems import Problem, ProblemsFound, clip, quoted
from selfstudy.core.wording import NONE
from selfstudy.edges.files import write_atomically

FORMAT_OF_SUFFIX = {".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}


@contextlib.contextmanager
def _as_options(options: Mapping[str, str]) -> Iterator[None]:
    """Problems with a field this command took from an option name the option (`--due`),
    as the command line speaks of options, not of the stored fields."""
    try:
        yield
    except ProblemsFound as exc:
        raise ProblemsFound(
            [
                replace(p, location=options[p.path], path="") if p.path in options else p
                for p in exc.problems
            ]
        ) from None


def _given(**fields: Any) -> dict[str, Any]:
    """The fields whose options were given."""
    return {name: value for name, value in fields.items() if value is not None}


@main.group("plan")
def plan_group() -> None:
    """Improvement plans: change ideas, PDSA cycles, measures and their run charts.

    \b
    selfstudy plan new STUDY_ID --standard PG.1 --aim "..."   prints the plan's id
    selfstudy plan idea PLAN_ID --from-rubric IDEA_ID          or --title "..."
    selfstudy plan cycle IDEA_ID --objective "..."             a PDSA cycle
    selfstudy plan set CYCLE_ID results="..." decision=adopt   any field of any record
    selfstudy plan close CYCLE_ID                              once Study and Act are written
    selfstudy plan measure PLAN_ID --name "Weekly attendance"
    selfstudy plan points MEASURE_ID points.csv                date,value,note rows
    selfstudy plan export PLAN_ID --out plan.html              or .json, .csv

    A plan belongs to the program of the self-study it is made from and follows its
    access. Dates are written 2026-03-15. Ids are those `plan list` and `plan show` print.
    """


# --- plans --------------------------------------------------------------------------------


@plan_group.command("new")
@click.argument("study_id")
@click.option(
    "--standard",
    "standards",
    multiple=True,
    required=True,
    metavar="ID",
    help="A standard the plan serves, such as PG.1 (repeat for several).",
)
@click.option("--aim", help="What will improve, by how much, by when.")
@click.option("--owner", help="Who leads the plan.")
@click.option("--starts", metavar="DATE", help="When work begins (2026-03-15).")
@click.option("--due", metavar="DATE", help="When the aim should be met (2026-06-30).")
@click.option("--status", type=click.Choice(PLAN_STATUSES), help="Default: planned.")
@by_option
def plan_new_command(
    study_id: str,
    standards: tuple[str, ...],
    aim: str | None,
    owner: str | None,
    starts: str | None,
    due: str | None,
    status: str | None,
    by: str,
) -> None:
    """Make an improvement plan from a stored self-study's priorities; prints its id."""
    from selfstudy.edges.storage import StudyNotFound
    from selfstudy.workflows.improvement import plan_from_priority

    storage = database()
    fields = _given(aim=aim, owner=owner, starts_on=starts, due_on=due, status=status)
    options = {"starts_on": "--starts", "due_on": "--due", "standards": "--standard"}
    try:
        with _as_options(options):
            plan_id = plan_from_priority(storage, study_id, standards, fields, _by(by))
    except StudyNotFound as exc:
        raise ProblemsFound(
            [Problem("study-not-found", study_id, f"{exc}; check the STUDY_ID")]
        ) from None
    say(plan_id)


@plan_group.command("list")
@click.option("--program", metavar="NAME_OR_ID", help="Only this program's plans.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table: one line a plan; json: everything under each plan; csv: one row a record "
    "(control characters written out, as in the table; `plan export` writes a file exact).",
)
def plan_list_command(program: str | None, fmt: str) -> None:
    """List the improvement plans you may see, oldest first."""
    from selfstudy.workflows import improvement

    storage = database(changes=False)
    program_id = None
    if program is not None:
        from selfstudy.workflows.people import find_program

        program_id = find_program(storage, program).id
    views = storage.plans(program_id)
    if fmt == "json":
        click.echo(json_text(json.loads(improvement.plans_json(views))))
    elif fmt == "csv":
        click.echo(printable_lines(improvement.plans_csv(views)), nl=False)
    elif not views:
        click.echo("no improvement plans yet; make one with `selfstudy plan new STUDY_ID`")
    else:
        click.echo(_plans_table(views))


def _plans_table(views: Sequence[PlanView]) -> str:
    return text_table(
        ["Plan", "Program", "Standards", "Status", "Owner", "Due", "Ideas", "Cycles", "Aim"],
        [
            [
                v.id,
                clip(v.program_name, 30),
                ", ".join(v.plan.standards),
                v.plan.status,
                clip(v.plan.owner, 20) or NONE,
                v.plan.due_on.isoformat() if v.plan.due_on else NONE,
                len(v.ideas),
                len(v.cycles()),
                clip(" ".join(v.plan.aim.split()), 50) or NONE,
            ]
            for v in views
        ],
        "llllllrrl",
    )


@plan_group.command("show")
@click.argument("plan_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: for reading; json: every field of every record under the plan.",
)
def plan_show_command(plan_id: str, fmt: str) -> None:
    """Show one plan: its fields, its ideas and cycles, its measures and their signals."""
    from selfstudy.workflows import improvement

    view = database(changes=False).plan(plan_id)
    if fmt == "json":
        document = json.loads(improvement.plans_json([view]))["plans"][0]
        click.echo(json_text(document))
        return
    plan = view.plan
    say(f"Improvement plan {view.id} of {view.program_name}")
    facts = [
        ("Aim", " ".join(plan.aim.split()) or NONE),
        ("Standards", ", ".join(plan.standards)),
        ("Owner", plan.owner or NONE),
        ("Starts", plan.starts_on.isoformat() if plan.starts_on else NONE),
        ("Due", plan.due_on.isoformat() if plan.due_on else NONE),
        ("Status", plan.status),
        ("Self-study", plan.study_id or NONE),
    ]
    for label, value in facts:
        say(f"  {label}: {clip(value, 200)}")
    click.echo("")
    if view.ideas:
        rows = []
        for idea in view.ideas:
            rows.append([idea.record.id, "", clip(idea.idea.title, 50), "", ""])
            for cycle in idea.cycles:
                c = cycle.cycle
                rows.append(
                    [
                        cycle.record.id,
                        cycle.number,
                        clip(" ".join(c.objective.split()), 50) or NONE,
                        c.stage,
                        c.decision or NONE,
                    ]
                )
        click.echo(
            text_table(
                ["Idea or cycle", "Cycle", "Title or objective", "Stage", "Decision"], rows, "lrlll"
            )
        )
    else:
        click.echo(f"No change ideas yet: `selfstudy plan idea {view.id} --title ...`")
    click.echo("")
    if view.measures:
        charts = improvement.charts_of(view)
        rows = []
        for measure in view.measures:
            chart = charts[measure.record.id]
            last = measure.points[-1].fields if measure.points else None
            rows.append(
                [
                    measure.record.id,
                    measure.measure.kind,
                    clip(measure.measure.name, 40),
                    len(measure.points),
                    f"{last.value} on {last.on.isoformat()}" if last else NONE,
                    "; ".join(s.words for s in chart.signals) or NONE,
                ]
            )
        click.echo(
            text_table(["Measure", "Kind", "Name", "Points", "Latest", "Signals"], rows, "lllrll")
        )
    else:
        click.echo(f"No measures yet: `selfstudy plan measure {view.id} --name ...`")


@plan_group.command("share")
@click.argument("program")
@click.option(
    "--on/--off",
    "shares",
    default=None,
    help="Share what the program's plans "
    "learned with the whole network (read only), or stop sharing.",
)
@by_option
def plan_share_command(program: str, shares: bool | None, by: str) -> None:
    """Whether a program shares what its plans learned with the rest of the network."""
    from selfstudy.workflows.people import find_program

    if shares is None:
        raise click.UsageError("say --on to share, or --off to stop sharing")
    storage = database()
    found = find_program(storage, program)
    storage.set_sharing(found.id, shares, _by(by))
    words = "shares" if shares else "does not share"
    say(f"{found.name} {words} what its plans learned with the network")


# --- ideas, cycles, measures, points -----------------------------------------------------


@plan_group.command("idea")
@click.argument("plan_id")
@click.option(
    "--from-rubric",
    "rubric_idea",
    metavar="IDEA_ID",
    help="One of the rubric's change ideas for the plan's standards (by its id).",
)
@click.option("--title", help="The team's own idea, in a line.")
@click.option("--description", help="What the idea is, in more words.")
@by_option
def plan_idea_command(
    plan_id: str, rubric_idea: str | None, title: str | None, description: str | None, by: str
) -> None:
    """Add a change idea to test under a plan; prints its id."""
    from selfstudy.workflows.improvement import add_idea

    if not rubric_idea and not title:
        raise click.UsageError("give --from-rubric IDEA_ID, or the team's own idea as --title")
    options = {"title": "--title", "description": "--description", "rubric_idea": "--from-rubric"}
    with _as_options(options):
        idea_id = add_idea(
            database(), plan_id, title or "", description or "", rubric_idea, _by(by)
        )
    say(idea_id)


@plan_group.command("cycle")
@click.argument("idea_id")
@click.option("--objective", help="What this cycle tests.")
@click.option("--prediction", help="What the team expects to happen.")
@click.option("--data-collection", help="How the data will be collected.")
@click.option("--starts", metavar="DATE", help="When the cycle begins (2026-03-15).")
@by_option
def plan_cycle_command(
    idea_id: str,
    objective: str | None,
    prediction: str | None,
    data_collection: str | None,
    starts: str | None,
    by: str,
) -> None:
    """Begin a PDSA cycle under a change idea; prints its id.

    Its Do, Study and Act are written as they happen with `plan set CYCLE_ID FIELD=VALUE`.
    """
    fields = _given(
        objective=objective,
        prediction=prediction,
        data_collection=data_collection,
        starts_on=starts,
    )
    options = {"starts_on": "--starts", "data_collection": "--data-collection"}
    with _as_options(options):
        cycle_id = database().add_record("cycle", idea_id, fields, _by(by))
    say(cycle_id)


@plan_group.command("close")
@click.argument("cycle_id")
@click.option("--on", "on", metavar="DATE", help="The day it closed (default: today).")
@by_option
def plan_close_command(cycle_id: str, on: str | None, by: str) -> None:
    """Close a cycle: refused, saying what is missing, until its Study and Act are written."""
    from selfstudy.edges.measure_files import read_date
    from selfstudy.workflows.improvement import close_cycle

    day = None
    if on is not None:
        day = read_date(on)
        if isinstance(day, str):
            raise ProblemsFound([Problem("bad-record", "--on", day)])
    close_cycle(database(), cycle_id, day, None, _by(by))
    say(f"closed the cycle {cycle_id}")


@plan_group.command("measure")
@click.argument("plan_id")
@click.option("--name", required=True, help="What is counted, such as 'Weekly attendance'.")
@click.option("--kind", type=click.Choice(MEASURE_KINDS), help="Default: outcome.")
@click.option("--definition", help="How it is counted, exactly.")
@click.option("--unit", help="Its unit, such as 'students' or 'percent'.")
@by_option
def plan_measure_command(
    plan_id: str, name: str, kind: str | None, definition: str | None, unit: str | None, by: str
) -> None:
    """Add a measure to a plan; prints its id."""
    fields = _given(name=name, kind=kind, definition=definition, unit=unit)
    options = {k: f"--{k}" for k in fields}
    with _as_options(options):
        measure_id = database().add_record("measure", plan_id, fields, _by(by))
    say(measure_id)


@plan_group.command("point")
@click.argument("measure_id")
@click.option("--date", "on", required=True, metavar="DATE", help="Its date (2026-03-15).")
@click.option("--value", required=True, help="Its value, a number such as 12 or 12.5.")
@click.option("--note", help="What the team noted about it.")
@by_option
def plan_point_command(measure_id: str, on: str, value: str, note: str | None, by: str) -> None:
    """Add one data point to a measure; prints its id."""
    from selfstudy.edges.measure_files import read_date, read_value

    day, number = read_date(on), read_value(value)
    problems = [
        Problem("bad-record", option, why)
        for option, why in (("--date", day), ("--value", number))
        if isinstance(why, str)
    ]
    if problems or isinstance(day, str) or isinstance(number, str):
        raise ProblemsFound(problems)
    fields = _given(on=day.isoformat(), value=number, note=note)
    with _as_options({"on": "--date", "value": "--value", "note": "--note"}):
        point_id = database().add_record("point", measure_id, fields, _by(by))
    say(point_id)


@plan_group.command("points")
@click.argument("measure_id")
@click.argument("points_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@by_option
def plan_points_command(measure_id: str, points_file: Path, by: str) -> None:
    """Add a measure's data points from a CSV file, all or none.

    The first row names the columns: date,value,note (note may be left out); then one
    point a row, the date as 2026-03-15. Every problem is listed with its line.
    """
    from selfstudy.edges.files import read_bytes
    from selfstudy.edges.measure_files import MAX_BYTES, too_large
    from selfstudy.workflows.improvement import import_points

    data = read_bytes(points_file, MAX_BYTES)
    if data is None:
        raise ProblemsFound([too_large(str(points_file))])
    added = import_points(database(), measure_id, data, str(points_file), _by(by))
    say(f"added {added} data point{'s' if added != 1 else ''} to the measure {measure_id}")


# --- any record ---------------------------------------------------------------------------


@plan_group.command("set")
@click.argument("record_id")
@click.argument("assignments", metavar="FIELD=VALUE...", nargs=-1, required=True)
@by_option
def plan_set_command(record_id: str, assignments: tuple[str, ...], by: str) -> None:
    """Change fields of a plan, idea, cycle, measure or data point.

    \b
    selfstudy plan set CYCLE_ID as_planned=partly observations="Two sessions ran"
    selfstudy plan set CYCLE_ID results="Attendance rose" learned="..." decision=adopt
    selfstudy plan set PLAN_ID status="in progress" due_on=2026-06-30
    selfstudy plan set CYCLE_ID tasks='[{"who": "Ana", "what": "Call families"}]'

    FIELD is a field's name as `plan show --format json` prints it; an empty VALUE
    clears it. What is stored now is what this changes; a field someone changes while
    this runs is refused, and their words stand.
    """
    from selfstudy.workflows import improvement

    storage = database()
    record = storage.record(record_id)
    fields = _assignments(record, assignments)
    revision = improvement.save_fields(storage, record_id, fields, record.revision, _by(by))
    if revision == record.revision:
        say(f"nothing changed: the {WORDS[record.kind]} {record_id} already holds that")
    else:
        names = ", ".join(fields)
        say(f"saved {names} of the {WORDS[record.kind]} {record_id}")


def _assignments(record: Record, assignments: Sequence[str]) -> dict[str, Any]:
    """FIELD=VALUE arguments as the record's field values: text as typed; a number, a
    list (JSON) or a field that may be empty (an empty VALUE) as such."""
    from selfstudy.core.improvement import field_values
    from selfstudy.edges.measure_files import read_value

    model = MODELS[record.kind]
    stored = field_values(record.fields)
    fields: dict[str, Any] = {}
    problems = []
    for text in assignments:
        name, equals, value = text.partition("=")
        name = name.strip().replace("-", "_")
        if not equals or not name:
            problems.append(
                Problem("bad-record", quoted(text, 40), "write each change as FIELD=VALUE")
            )
            continue
        info = model.model_fields.get(name)
        if info is None:
            known = ", ".join(model.model_fields)
            problems.append(
                Problem(
                    "bad-record",
                    name,
                    f"is not a field of this {WORDS[record.kind]}; its fields are {known}",
                )
            )
            continue
        if value == "" and info.default is None:
            fields[name] = None
        elif isinstance(stored.get(name), list):
            if name == "standards" and not value.lstrip().startswith("["):
                fields[name] = [s.strip() for s in value.replace(";", ",").split(",") if s.strip()]
            else:
                try:
                    fields[name] = json.loads(value)
                except ValueError:
                    problems.append(
                        Problem(
                            "bad-record",
                            name,
                            "is a list; write it as JSON, such as "
                            '[{"who": "Ana", "what": "Call families", "when": "2026-03-20"}]',
                        )
                    )
        elif name == "value":
            number = read_value(value)
            if isinstance(number, str):
                problems.append(Problem("bad-record", name, number))
            fields[name] = number
        else:
            fields[name] = value
    if problems:
        raise ProblemsFound(problems)
    return fields


@plan_group.command("delete")
@click.argument("record_id")
@by_option
def plan_delete_command(record_id: str, by: str) -> None:
    """Put a plan or a record under it out of sight (a plan: with all under it); restorable."""
    database().delete_record(record_id, _by(by))
    say(f"deleted {record_id}; to bring it back: selfstudy plan restore {record_id}")


@plan_group.command("restore")
@click.argument("record_id")
@by_option
def plan_restore_command(record_id: str, by: str) -> None:
    """Bring back a deleted plan or record, as it was."""
    database().restore_record(record_id, _by(by))
    say(f"restored {record_id}")


@plan_group.command("history")
@click.argument("plan_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: for reading (long texts cut); json: every change whole.",
)
def plan_history_command(plan_id: str, fmt: str) -> None:
    """Every change to a plan and what lies under it, newest first (refused ones too)."""
    storage = database(changes=False)
    changes = storage.record_history(plan_id)
    if fmt == "json":
        click.echo(json_text([c.to_dict() for c in changes]))
        return
    kinds: dict[str, str] = {}
    with contextlib.suppress(ProblemsFound):
        kinds = {r.id: r.kind for r in storage.plan(plan_id).records()}
    click.echo(
        text_table(
            ["#", "When", "Who", "Record", "Field", "Old", "New", "Saved"],
            [
                [
                    c.id,
                    c.changed_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                    clip(c.changed_by, 24),
                    f"{kinds.get(c.record_id, '')} {c.record_id}".strip(),
                    c.field,
                    _cell(c.old),
                    _cell(c.new),
                    "yes" if c.accepted else "refused",
                ]
                for c in changes
            ],
            "rlllllll",
        )
    )


def _cell(value: Any) -> str:
    if value is None:
        return NONE
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clip(" ".join(text.split()), 32)


# --- export -------------------------------------------------------------------------------


@plan_group.command("export")
@click.argument("plan_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "json", "csv"]),
    help="html: a printable plan with its run charts; json: everything; csv: one row a "
    "record. Default: from the --out suffix.",
)
@click.option(
    "--out",
    "--output",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (replaced if it exists).",
)
def plan_export_command(plan_id: str, fmt: str | None, out_path: Path) -> None:
    """Write one plan to a file: a printable HTML plan, JSON or CSV.

    The HTML file holds everything it shows (run charts included) and fetches nothing;
    open it in a browser and print it to PDF.
    """
    from selfstudy.workflows import improvement

    fmt = fmt or format_from_suffix(out_path, FORMAT_OF_SUFFIX)
    view = database(changes=False).plan(plan_id)
    if fmt == "html":
        data = improvement.plan_html(view).encode("utf-8")
    elif fmt == "json":
        data = improvement.plans_json([view]).encode("utf-8")
    else:
        # utf-8-sig: Excel then reads accented names correctly.
        data = improvement.plans_csv([view]).encode("utf-8-sig")
    write_atomically(out_path, data)
    say(f"wrote the improvement plan {plan_id} as {fmt.upper()} to {out_path}")
