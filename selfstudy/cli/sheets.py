"""Sheet copies on the command line: import, export, and Google Sheets push/pull/sync."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from selfstudy.cli import main, say
from selfstudy.cli.database import database, operator, user_name
from selfstudy.cli.study_commands import load_checked_study
from selfstudy.cli.tables import text_table
from selfstudy.core.merge import PROGRAM_KEY, Side, SyncConflict, change_names
from selfstudy.core.printable import printable
from selfstudy.core.problems import Report
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult
from selfstudy.core.study import SelfStudy
from selfstudy.core.wording import clip, counted
from selfstudy.edges.files import ensure_folder
from selfstudy.edges.paths import DEFAULT_RUBRIC_ID
from selfstudy.edges.rubric_files import rubric_by_id, rubric_from_option, rubric_of
from selfstudy.edges.workbooks import export_csv, export_xlsx

if TYPE_CHECKING:
    from selfstudy.workflows.imports import CopyChange, OnMatch, SavedCopy, Source
    from selfstudy.workflows.sheet_sync import SyncTarget


rubric_option = click.option(
    "--rubric",
    "rubric_option",
    metavar="PATH_OR_ID",
    help="Rubric file or id (default: the one the copy or self-study names).",
)
IMPORT_BY = "selfstudy import"  # who the history names for changes an import makes
credentials_option = click.option(
    "--credentials",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Service-account JSON key file (default: $GOOGLE_APPLICATION_CREDENTIALS). "
    "Share the sheet with the service account's email as an editor.",
)


# --- import -------------------------------------------------------------------------------


@main.command("import")
@click.argument("sources", nargs=-1, required=True)
@rubric_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write the self-study JSON here: a .json file for one source, else a folder "
    "(one file per source, named after it).",
)
@click.option("--save", is_flag=True, help="Store the imported self-studies in the app's database.")
@click.option(
    "--update",
    is_flag=True,
    help="With --save: a copy whose program and round are already stored updates that "
    "self-study (printing what changed) instead of being skipped.",
)
@click.option(
    "--keep-both",
    is_flag=True,
    help="With --save: save every copy as a new self-study, even when its program and "
    "round are already stored.",
)
@click.option(
    "--team",
    is_flag=True,
    help="Save the copies as the raters of ONE new team self-study: each copy is one "
    "rater's (named by its 'Completed by' detail, else its file name), all of one program's "
    "round. The lead opens the consensus step in the app (or `selfstudy team open`).",
)
@click.option(
    "--lead",
    metavar="NAME",
    help="With --team: the team's lead, as they will give their name in the app without "
    "sign-in (default: --as, or your user name).",
)
@credentials_option
def import_command(
    sources: tuple[str, ...],
    rubric_option: str | None,
    out: Path | None,
    save: bool,
    update: bool,
    keep_both: bool,
    team: bool,
    lead: str | None,
    credentials: Path | None,
) -> None:
    """Import sheet copies: .xlsx files, folders of CSV files, self-study .json, Google Sheets.

    Give files or folders (folders are searched for copies) or Google Sheet URLs.
    The good copies are imported, then one report lists every problem of every
    copy with its cell, e.g. `copy.xlsx: '1. Program Goals'!D7: ...`. Exits 1
    when any copy has an error (nothing is written for that copy). With one
    source and neither --out nor --save, the self-study JSON is printed.

    With --save, a copy whose program and round are already stored is not saved:
    it is reported with the stored study's id, and the command exits 1. Give
    --update to update the stored study from the copy (answers the copy leaves
    blank keep their stored value), or --keep-both to save it as another study.
    Two copies of one program and round in the same import are both skipped
    (unless --keep-both), since nothing tells which of them is right.
    """
    from selfstudy.workflows import imports

    if update and keep_both:
        raise click.UsageError("give --update or --keep-both, not both")
    if (update or keep_both) and not save:
        raise click.UsageError("--update and --keep-both go with --save")
    if team and (update or keep_both or out is not None):
        raise click.UsageError(
            "--team saves one new team self-study: leave out --update, --keep-both and --out"
        )
    if lead is not None and not team:
        raise click.UsageError("--lead goes with --team")
    rubric = rubric_from_option(rubric_option) if rubric_option else None
    found = _sources(sources, rubric, credentials)
    if not found:
        raise click.ClickException("no sheet copies (.xlsx, CSV folders, .json) found there")
    with click.progressbar(
        length=len(found), label="Importing", file=sys.stderr, show_pos=True
    ) as bar:
        results = list(zip(found, imports.read_copies(found, bar.update), strict=True))
    good = [(source, r.study) for source, r in results if r.study is not None]
    if team:
        _report_problems(results)
        if any(r.study is None for _, r in results):
            raise click.ClickException(
                "no team self-study was saved: every rater's copy must be read without errors"
            )
        _save_team(good, lead)
        return
    if out is not None:
        for source, written in imports.write_studies(good, out, many=len(found) > 1):
            say(f"{source.label} -> {written}")
    not_saved = Report()
    if save:
        not_saved = _save_studies(
            good, "update" if update else "keep-both" if keep_both else "skip"
        )
    if out is None and not save and len(found) == 1 and good:
        click.echo(good[0][1].to_json(), nl=False)
    _report(results, not_saved)


def _sources(
    names: tuple[str, ...], rubric: Rubric | None, credentials: Path | None
) -> list[Source]:
    """Files and folders as they are found on disk, then Google Sheets by URL."""
    from selfstudy.edges.sheet_urls import is_sheet_url  # not gsheets: gspread is slow to import
    from selfstudy.workflows import imports

    urls = [n for n in names if is_sheet_url(n)]
    paths = [Path(n) for n in names if not is_sheet_url(n)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.BadParameter(
            printable(f"no such file or folder: {', '.join(missing)}"), param_hint="SOURCES"
        )
    found = imports.file_sources(paths, rubric)
    if urls:
        found += imports.sheet_sources(urls, _client(credentials), rubric)
    return found


def _save_studies(studies: list[tuple[Source, SelfStudy]], on_match: OnMatch) -> Report:
    """Save the copies; print what was saved or updated; the copies not saved, and why.

    When saving stops part-way, what was saved is printed before the command fails."""
    from selfstudy.workflows import imports

    storage = database(anyone=True)  # a facilitator, say, imports as themselves
    by = operator().by(IMPORT_BY)
    try:
        with click.progressbar(length=len(studies), label="Saving", file=sys.stderr) as bar:
            saved, not_saved = imports.save_copies(storage, studies, on_match, by, done=bar.update)
    except imports.SavingStopped as stopped:
        _print_saved(stopped.saved)
        for problem in stopped.found:  # the copies left out before it stopped, and why
            click.echo(str(problem), err=True)
        raise
    _print_saved(saved)
    return not_saved


def _print_saved(saved: list[SavedCopy]) -> None:
    for copy in saved:
        name, label = copy.study.program.name, copy.source.label
        if not copy.updated:
            say(f"{label}: saved {name!r} as {copy.study_id}")
            continue
        what = f"{len(copy.changed)} changed" if copy.changed else "nothing changed"
        say(f"{label}: updated {name!r} ({copy.study_id}): {what}")
        if copy.changes:
            rubric = rubric_by_id(copy.study.rubric.id, copy.study.rubric.version)
            click.echo(_changes_table(copy.changes, rubric))


def _changes_table(changes: list[CopyChange], rubric: Rubric) -> str:
    return text_table(
        ["Item", "Field", "In the app", "In the copy"],
        [[c.item_id, c.field, *(" ".join(t.split()) for t in c.texts(rubric))] for c in changes],
    )


def _save_team(copies: list[tuple[Source, SelfStudy]], lead: str | None) -> None:
    """The copies as the raters of one new team self-study; what was saved."""
    from selfstudy.workflows.teams import save_team_copies

    storage = database(anyone=True)  # a program member leads their team; the storage checks
    by = operator().by(IMPORT_BY)
    study_id, names = save_team_copies(
        storage,
        [(source.label, source.stem, study) for source, study in copies],
        lead or user_name(),
        by,
    )
    say(f"saved a team self-study of {copies[0][1].program.name!r} as {study_id}")
    say(f"raters: {', '.join(names)}")


def _report_problems(results: list[tuple[Source, ImportResult]]) -> None:
    for _, result in results:
        for problem in result.problems:
            click.echo(str(problem), err=True)


def _report(results: list[tuple[Source, ImportResult]], not_saved: Report) -> None:
    failed = 0
    warned = 0
    for _, result in results:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        failed += result.problems.has_errors
        warned += len(result.problems.warnings)
    for problem in not_saved:
        click.echo(str(problem), err=True)
    total = len(results)
    summary = f"imported {total - failed} of {counted(total, 'sheet copy', 'sheet copies')}"
    if failed:
        summary += f"; {failed} with errors (not imported)"
    if not_saved:
        summary += f"; {len(not_saved)} not saved (already stored, repeated, or refused)"
    if warned:
        summary += f"; {counted(warned, 'warning')}"
    click.echo(summary, err=True)
    if failed or not_saved:
        raise SystemExit(1)


# --- export ------------------------------------------------------------------------------


@main.command("export")
@click.argument(
    "study_path",
    metavar="[STUDY.json]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(path_type=Path),
    help="PATH.xlsx for a workbook, or a folder for one CSV file per tab.",
)
@rubric_option
@click.option(
    "--template",
    is_flag=True,
    help="A blank template (no STUDY needed; --rubric picks the rubric, default "
    f"{DEFAULT_RUBRIC_ID}).",
)
def export_command(
    study_path: Path | None, target: Path, rubric_option: str | None, template: bool
) -> None:
    """Export a self-study as a sheet copy: an .xlsx workbook or a folder of CSV files.

    The workbook has a START HERE tab, one tab per dimension with a dropdown on
    every rating cell, and a SUMMARY tab with scores, status, gaps, priorities
    and resources. `selfstudy import` reads it back to exactly the same study.
    """
    if template == (study_path is not None):
        raise click.UsageError("give either a STUDY.json or --template")
    if study_path is not None:
        study, rubric = load_checked_study(study_path, rubric_option)
    else:
        study, rubric = None, rubric_from_option(rubric_option or DEFAULT_RUBRIC_ID)
    if target.suffix.lower() == ".xlsx":
        ensure_folder(target.parent)
        export_xlsx(study, rubric, target)
        say(f"wrote {target}")
    elif target.suffix == "" or target.is_dir():
        files = export_csv(study, rubric, target)
        say(f"wrote {len(files)} CSV files to {target}")
    else:
        raise click.UsageError("--to must end in .xlsx, or name a folder for CSV files")


# --- Google Sheets -----------------------------------------------------------------------


@main.group("sheets")
def sheets_group() -> None:
    """Push a self-study to a Google Sheet, pull it back, or sync both ways.

    Authenticate with a service-account key (--credentials or
    $GOOGLE_APPLICATION_CREDENTIALS) and share the sheet with the service
    account's email. STUDY is a self-study .json file or the id of a study in the
    app's database. The engine remembers what it last pushed or pulled (in
    STUDY.sync.json next to a file, or in the database), so a sync never
    overwrites an edit silently.
    """


def _target(study_ref: str) -> SyncTarget:
    """A self-study file, else a study in the database (opened for a change: syncing and
    pushing record what the sheet holds)."""
    from selfstudy.workflows import sheet_sync

    return sheet_sync.open_target(study_ref, database)


def _client(credentials: Path | None):
    from selfstudy.edges import gsheets

    return gsheets.connect(gsheets.credentials_from_file(credentials))


@sheets_group.command("push")
@click.argument("study_ref", metavar="STUDY")
@click.option("--spreadsheet", required=True, metavar="URL_OR_KEY", help="The Google Sheet.")
@credentials_option
@rubric_option
def push_command(
    study_ref: str, spreadsheet: str, credentials: Path | None, rubric_option: str | None
) -> None:
    """Write a self-study into a Google Sheet (tabs, dropdowns and all; 3 requests).

    Missing tabs are created; the layout's tabs are rewritten. Use `sync` instead
    when people have been editing the sheet.
    """
    from selfstudy.edges import gsheets
    from selfstudy.workflows import sheet_sync

    target = _target(study_ref)
    rubric = rubric_of(target.study, rubric_option)
    key = gsheets.spreadsheet_key(spreadsheet)
    report = sheet_sync.push(target, _client(credentials), key, rubric)
    created = f", created {', '.join(report.created)}" if report.created else ""
    say(f"pushed {target.study.program.name!r} to {key}{created}")


@sheets_group.command("pull")
@click.argument("spreadsheet", metavar="URL_OR_KEY")
@credentials_option
@rubric_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON here.")
@click.option("--save", is_flag=True, help="Store it in the app's database.")
def pull_command(
    spreadsheet: str,
    credentials: Path | None,
    rubric_option: str | None,
    out: Path | None,
    save: bool,
) -> None:
    """Read a self-study from a Google Sheet (2 requests).

    Prints the self-study JSON unless --out or --save is given; exits 1 with the
    report, cell by cell, when the sheet has errors.
    """
    from selfstudy.edges import gsheets
    from selfstudy.workflows import sheet_sync

    key = gsheets.spreadsheet_key(spreadsheet)
    rubric = rubric_from_option(rubric_option) if rubric_option else None
    result = sheet_sync.pull(_client(credentials), key, rubric)
    study = result.raise_on_errors()  # the errors are printed by the command group
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if out is not None:
        sheet_sync.keep_pulled_in_file(study, key, out)
        say(f"wrote {out}")
    if save:
        storage = database()
        study_id = sheet_sync.keep_pulled_in_database(
            study, key, storage, operator().by("selfstudy sheets pull")
        )
        say(f"saved {study.program.name!r} as {study_id}")
    if out is None and not save:
        click.echo(study.to_json(), nl=False)


@sheets_group.command("sync")
@click.argument("study_ref", metavar="STUDY")
@click.option("--spreadsheet", required=True, metavar="URL_OR_KEY", help="The Google Sheet.")
@credentials_option
@rubric_option
@click.option(
    "--keep",
    "keeps",
    multiple=True,
    metavar="ITEM=app|sheet",
    help="Settle a conflict: keep the app's or the sheet's answer for ITEM "
    f"(ITEM {PROGRAM_KEY} is the program details). Repeatable.",
)
@click.option(
    "--keep-all",
    type=click.Choice(["app", "sheet"]),
    help="Settle every conflict the same way.",
)
def sync_command(
    study_ref: str,
    spreadsheet: str,
    credentials: Path | None,
    rubric_option: str | None,
    keeps: tuple[str, ...],
    keep_all: str | None,
) -> None:
    """Sync a self-study with a Google Sheet both ways, without losing edits.

    An answer changed only in the sheet is taken into the study; one changed
    only in the study is written to its cell in the sheet; one changed on both
    sides is listed as a conflict, with both values, and left as it is until you
    choose with --keep ITEM=app|sheet or --keep-all. An item whose row was
    deleted in the sheet is listed the same way: its answer is deleted here only
    when you keep the sheet's side.
    """
    from selfstudy.edges import gsheets
    from selfstudy.workflows import sheet_sync

    target = _target(study_ref)
    rubric = rubric_of(target.study, rubric_option)
    key = gsheets.spreadsheet_key(spreadsheet)
    choices = _choices(keeps, keep_all, target.study, rubric)
    outcome = sheet_sync.sync(target, _client(credentials), key, choices, rubric)
    if outcome.pushed_layout:
        say(f"the sheet was empty: pushed {target.study.program.name!r} to {key}")
        return
    plan = outcome.plan
    say(
        f"from the sheet: {change_names(plan.to_app)}; "
        f"to the sheet: {change_names(plan.to_sheet)}; "
        f"conflicts: {len(plan.conflicts)}"
    )
    for item_id in outcome.unwritable:
        say(
            f"{item_id}: the sheet has no cell for this answer; add its row (or the Evidence "
            "and Notes columns) to the sheet, or push to rewrite the layout",
            err=True,
        )
    if plan.conflicts:
        click.echo(_conflict_table(plan.conflicts, rubric))
        click.echo(
            "Choose a side for each with --keep ITEM=app or --keep ITEM=sheet "
            "(or --keep-all app|sheet) and sync again.",
            err=True,
        )
    if any(c.row_deleted for c in plan.conflicts):
        click.echo(
            "A row deleted in the sheet deletes the answer here only with --keep ITEM=sheet; "
            "--keep ITEM=app keeps it (add the row back to the sheet to sync it again).",
            err=True,
        )


def _choices(
    keeps: tuple[str, ...], keep_all: str | None, study: SelfStudy, rubric: Rubric
) -> dict[str, Side]:
    choices: dict[str, Side] = {}
    for keep in keeps:
        item_id, _, side = keep.partition("=")
        if side not in ("app", "sheet") or not (
            item_id in rubric.item_by_id or item_id == PROGRAM_KEY
        ):
            raise click.BadParameter(
                f"{keep!r}: write ITEM=app or ITEM=sheet with an item id of the rubric",
                param_hint="--keep",
            )
        choices[item_id] = cast(Side, side)
    if keep_all:  # every conflict settled one way, except the ones chosen one by one
        return {k: cast(Side, keep_all) for k in [PROGRAM_KEY, *rubric.item_by_id]} | choices
    return choices


def _conflict_table(conflicts: list[SyncConflict], rubric: Rubric) -> str:
    return text_table(
        ["Item", "In the app", "In the sheet", "Last synced"],
        [
            [
                c.key,
                _show(c.app, rubric),
                "(row deleted)" if c.row_deleted else _show(c.sheet, rubric),
                _show(c.base, rubric),
            ]
            for c in conflicts
        ],
    )


def _show(entry: object, rubric: Rubric) -> str:
    if entry is None:
        return "(no answer)"
    if not isinstance(entry, dict):
        return str(entry)
    if "value" not in entry:  # the program details
        return "; ".join(f"{k}={v}" for k, v in entry.items() if v)
    value = entry.get("value")
    if isinstance(value, int | float) and value in rubric.scale.values:
        text = f"{value} {rubric.scale.label_of(value)}"
    else:
        text = "" if value is None else str(value)
    for name in ("evidence", "notes"):
        if entry.get(name):
            text += f" | {name}: {entry[name]}"
    return clip(text.replace("\n", " "), 60)
