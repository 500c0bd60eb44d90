"""`selfstudy cohort`: compare many self-studies, grouped by cohort, round or any field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from selfstudy.cli import main, say
from selfstudy.cli.database import database
from selfstudy.cli.tables import text_table
from selfstudy.core.cohorts import DEFAULT_MIN_COMPLETE, Comparison, LeftOut, threshold_text
from selfstudy.core.printable import json_text, printable
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import SelfStudy
from selfstudy.core.wording import clip, counted, level_text, percent_text, signed_text
from selfstudy.edges.files import write_atomically
from selfstudy.edges.rubric_files import rubric_by_id, rubric_from_option
from selfstudy.edges.settings import PSEUDONYM_SECRET_VARIABLE

if TYPE_CHECKING:
    from selfstudy.workflows.cohorts import CohortChoiceError

# How this command names what the cohort workflow calls a choice.
OPTION_OF_CHOICE = {
    "by": "--by",
    "cohorts and rounds": "--cohort/--round",
    "baseline": "--baseline",
    "follow-up": "--follow-up",
    "min-complete": "--min-complete",
}

# Left-out self-studies named one by one in the terminal; the JSON and the workbook list all.
LISTED = 20


@main.command("cohort")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--from-db",
    is_flag=True,
    help="Also read every self-study in the app's database (SELFSTUDY_DATABASE_URL or "
    "SELFSTUDY_DB).",
)
@click.option(
    "--rubric",
    "rubric_option",
    metavar="PATH_OR_ID",
    help="Rubric file or id (default: the one the first self-study names).",
)
@click.option(
    "--by",
    default="cohort",
    show_default=True,
    metavar="cohort|round|FIELD",
    help="Program field to group by: cohort, round, organization, or any extra field.",
)
@click.option("--cohort", "cohorts", multiple=True, help="Only these cohorts (repeatable).")
@click.option("--round", "rounds", multiple=True, help="Only these rounds (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal (required for xlsx).",
)
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Show programs as stable pseudonyms and leave out ids, organisations and other "
    f"fields. The pseudonyms are made with {PSEUDONYM_SECRET_VARIABLE} when it is set, else "
    "with the app database's own random secret (made on first use; `selfstudy programs "
    "rotate-secret` changes it), so outsiders cannot recompute them.",
)
@click.option(
    "--baseline",
    metavar="ROUND",
    help="Round to measure change from (default: the first, e.g. 'baseline').",
)
@click.option(
    "--follow-up",
    "follow_up",
    metavar="ROUND",
    help="Round to measure change to (default: the last, e.g. 'follow-up').",
)
@click.option("--top", default=5, show_default=True, help="How many needs and assets to list.")
@click.option(
    "--min-complete",
    "min_complete",
    type=click.FloatRange(0, 100),
    default=int(DEFAULT_MIN_COMPLETE),
    show_default=True,
    metavar="PERCENT",
    help="Count only self-studies with at least this share of their required items answered "
    "(N/A counts as answered; items hidden by show_if are not required), as the Self-study "
    "page's progress shows it. The others are left out of every figure and listed with "
    "why. 0 counts every self-study.",
)
@click.option(
    "--teams",
    type=click.Choice(["every", "agreed-or-single", "agreed"]),
    default="every",
    show_default=True,
    help="With --from-db: which stored self-studies count by how they were rated. "
    "agreed-or-single: single-rater ones and team self-studies that reached consensus; "
    "agreed: only team self-studies that reached consensus.",
)
def cohort_command(
    inputs: tuple[Path, ...],
    from_db: bool,
    rubric_option: str | None,
    by: str,
    cohorts: tuple[str, ...],
    rounds: tuple[str, ...],
    fmt: str,
    out_path: Path | None,
    pseudonymize: bool,
    baseline: str | None,
    follow_up: str | None,
    top: int,
    min_complete: float,
    teams: str,
) -> None:
    """Compare the self-studies of many programs.

    INPUT is a self-study file (.json), a sheet copy (.xlsx, or a folder of
    CSV files) or a folder of them. For each group (a cohort, a round, or the
    value of --by) and each dimension and standard, it shows how many
    programs are rated, the mean and median of their mean levels, the spread
    and the share that meets the target (meets ÷ programs with it rated).
    Groups other than rounds are split by round, so no program counts twice.
    It also shows the change from baseline to follow-up for programs with both
    rounds (paired by program id, or name when there is none), and the
    standards that the fewest (needs) and the most (assets) programs meet in
    their latest round.

    Only self-studies at least --min-complete percent complete count (by
    default, every required item answered); the output says how many were
    left out and why.

    \b
    An input that cannot be read is reported (file and problem) and left out;
    the others are still compared, and the exit status is 1 so a script
    notices. A program with two self-studies for the same round counts once,
    with the later input.
    """
    if fmt == "xlsx" and out_path is None:
        raise click.UsageError("--format xlsx needs --out FILE.xlsx")
    if not inputs and not from_db:
        raise click.UsageError("give self-study files or folders, or --from-db")
    if teams != "every" and not from_db:
        raise click.UsageError("--teams chooses among stored self-studies: add --from-db")
    from selfstudy.core.cohorts.columns import columns_of, joined
    from selfstudy.workflows import cohorts as cohort_workflow

    rubric = rubric_from_option(rubric_option) if rubric_option else None
    loaded, failed = _load_inputs(inputs, rubric)
    storage = database(changes=False) if from_db else None
    if rubric is None and loaded:
        first_source, first = loaded[0]
        rubric = rubric_by_id(first.rubric.id, first.rubric.version, first_source)
    columns = columns_of(loaded)
    if storage is not None:
        stored_ids = storage.rubric_ids()
        if rubric is None and stored_ids:
            rubric = rubric_by_id(stored_ids[0], None, "the database")
        for other in stored_ids:
            if rubric is not None and other != rubric.id:
                click.echo(
                    printable(
                        f"the database: its self-studies of rubric {other!r} are left out; "
                        f"compare them on their own with --rubric"
                    ),
                    err=True,
                )
        if rubric is not None:
            stored, not_chosen = cohort_workflow.stored_columns(storage, rubric.id, teams)
            if not_chosen:
                say(
                    f"the database: {not_chosen} self-studies left out: not "
                    f"{cohort_workflow.TEAM_CHOICES[teams]} (--teams {teams})",
                    err=True,
                )
            labels = [f"database study {study_id}" for study_id in stored.labels]
            columns = joined(columns, replace(stored, labels=labels))
    if not len(columns):
        raise ProblemsFound(
            [
                Problem(
                    "no-studies",
                    ", ".join([*map(str, inputs), *(["the database"] if from_db else [])]),
                    "no self-study could be read; fix the problems above"
                    if failed
                    else "no self-studies found (.json files, .xlsx sheet copies or folders "
                    "of CSV files)",
                )
            ]
        )
    assert rubric is not None
    compared = cohort_workflow.scores_of_columns(rubric, columns)
    failed += compared.left_out
    _echo_problems(compared.problems)
    if not len(compared.scores):
        raise SystemExit(1)
    scores = compared.scores
    try:
        chosen = cohort_workflow.choose(scores, by, cohorts, rounds, pseudonymize, storage)
        comparison = cohort_workflow.comparison(chosen, by, top, baseline, follow_up, min_complete)
    except cohort_workflow.CohortChoiceError as exc:
        if exc.left_out is not None:
            click.echo(left_out_text(exc.left_out), err=True)
        raise click.UsageError(choice_message(exc)) from None
    _write(comparison, fmt, out_path)
    if len(comparison.left_out) and (fmt != "table" or out_path is not None):
        where = {"json": "the left_out list", "xlsx": "the Left out sheet"}.get(fmt, "the table")
        say(f"{comparison.left_out.summary()} (listed in {where})", err=True)
    if failed:
        click.echo(f"{counted(failed, 'input')} left out because of the problems above", err=True)
        raise SystemExit(1)


def choice_message(exc: CohortChoiceError) -> str:
    """A choice no self-study meets, in this command's words: the option, and how to fix it."""
    message = str(exc) if exc.choice == "min-complete" else f"{OPTION_OF_CHOICE[exc.choice]}: {exc}"
    if exc.left_out is not None:
        message += "; lower the threshold with --min-complete to count unfinished self-studies"
    return printable(message)


def left_out_text(left_out: LeftOut) -> str:
    """How many self-studies the threshold left out and why, the first `LISTED` by name."""
    if not len(left_out):
        if left_out.min_complete == 0:
            return "Every self-study counts, however unfinished (--min-complete 0)."
        threshold = threshold_text(left_out.min_complete)
        return f"Every self-study chosen is at least {threshold} complete; none left out."
    reasons = left_out.reasons()
    lines = [f"{left_out.summary()} (lower --min-complete to count them):"]
    lines += [f"  {reason}" for reason in reasons[:LISTED]]
    if len(reasons) > LISTED:
        lines.append(f"  … and {len(reasons) - LISTED} more (--format json or xlsx lists them all)")
    return "\n".join(map(printable, lines))


def _echo_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _load_inputs(
    inputs: Iterable[Path], rubric: Rubric | None
) -> tuple[list[tuple[str, SelfStudy]], int]:
    from selfstudy.edges.sheet_files import discover_sources, read_sheet_copy

    loaded: list[tuple[str, SelfStudy]] = []
    failed = 0
    for path in discover_sources(inputs):
        result = read_sheet_copy(path, rubric)
        _echo_problems(result.problems)
        if result.study is None:
            failed += 1
            continue
        loaded.append((str(path), result.study))
    return loaded, failed


def _write(comparison: Comparison, fmt: str, out_path: Path | None) -> None:
    if fmt == "xlsx":
        from selfstudy.edges.reports.cohort_workbook import cohort_report_bytes

        assert out_path is not None
        write_atomically(out_path, cohort_report_bytes(comparison))
        say(f"wrote {out_path}", err=True)
        return
    text = json_text(comparison.to_dict()) if fmt == "json" else comparison_table(comparison)
    if out_path is None:
        click.echo(text)
    else:
        write_atomically(out_path, (text + "\n").encode("utf-8"))
        say(f"wrote {out_path}", err=True)


def comparison_table(comparison: Comparison) -> str:
    """The comparison as plain-text tables for a terminal."""
    document = comparison.to_dict(per_program=False)
    rubric = comparison.scores.rubric.rubric
    title = {d.id: d.title for d in rubric.dimensions}
    lines = [
        printable(
            f"{rubric.title}, version {rubric.version}: {len(comparison.scores)} self-studies"
        ),
        left_out_text(comparison.left_out),
    ]
    for group in document["groups"]:
        about = f"{document['by']} {group['key'] or '(none)'}"
        if "round" in group:
            about += f", round {group['round'] or '(none)'}"
        heading = printable(f"{about}: {counted(group['programs'], 'program')}")
        lines += ["", heading, _dimension_rows(group, title)]
    for change in document["changes"]:
        lines += ["", _change_rows(change, title)]
    for name, entries in (("Needs", document["needs"]), ("Assets", document["assets"])):
        lines += [
            "",
            f"{name}: standards the {'fewest' if name == 'Needs' else 'most'} programs meet "
            "(latest round of each program)",
            text_table(
                ["Standard", "Title", "Meets", "Share"],
                [
                    [
                        e["id"],
                        clip(e["title"], 50),
                        f"{e['meets']}/{e['rated']}",
                        percent_text(e["share_meets"]),
                    ]
                    for e in entries
                ],
                "llrr",
            ),
        ]
    return "\n".join(lines)


def _dimension_rows(group: dict, title: dict[str, str]) -> str:
    return text_table(
        ["Dimension", "Rated", "Mean", "Median", "SD", "Range", "Meets"],
        [
            [
                title[d["id"]],
                d["rated"],
                level_text(d["mean_level"]),
                level_text(d["median_level"]),
                level_text(d["std_level"]),
                f"{level_text(d['min_level'])}–{level_text(d['max_level'])}" if d["rated"] else "",
                percent_text(d["share_meets"]),
            ]
            for d in group["dimensions"]
        ],
        "lrrrrrr",
    )


def _change_rows(change: dict, title: dict[str, str]) -> str:
    heading = f"Change {change['baseline']} → {change['follow_up']}"
    if change["key"] is not None:
        heading += f", {change['key']}"
    rows = [
        [
            title[d["id"]],
            d["programs"],
            signed_text(d["mean_change"]),
            signed_text(d["median_change"]),
            percent_text(d["share_improved"]),
        ]
        for d in change["dimensions"]
    ]
    if change["overall"]:
        o = change["overall"]
        rows.append(
            [
                "Overall",
                o["programs"],
                signed_text(o["mean_change"]),
                signed_text(o["median_change"]),
                percent_text(o["share_improved"]),
            ]
        )
    heading = printable(f"{heading}: {counted(change['programs'], 'program')} with both rounds")
    return (
        heading
        + "\n"
        + text_table(
            ["Dimension", "Programs", "Mean change", "Median change", "Improved"], rows, "lrrrr"
        )
    )
