"""Deleting, restoring and the history of self-studies in the app's database.

Each command calls one use case of `selfstudy.workflows.history`, as the app does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from selfstudy.cli import main, say
from selfstudy.cli.database import database, operator, user_name
from selfstudy.cli.tables import text_table
from selfstudy.core.printable import json_text
from selfstudy.core.wording import NONE, clip, counted
from selfstudy.edges.files import write_atomically

if TYPE_CHECKING:
    from selfstudy.edges.storage import StudySummary
    from selfstudy.workflows.history import HistoryLine

GRACE_DAYS = 30  # keep in step with workflows.history.GRACE_PERIOD (imported late, as storage is)
CELL_WIDTH = 32  # how much of an old or new value the history table shows


by_option = click.option(
    "--by",
    default=user_name,
    show_default="your user name",
    metavar="NAME",
    help="Who did it, as the history records it (with --as, beside the admin's email).",
)


def _by(by: str) -> str:
    """Who the history names for this command's change: `--by` (your user name unless
    given) for the machine's user; the admin's email under --as, with `--by` if given."""
    found = operator()
    if found.email is None:
        return by
    given = click.get_current_context().get_parameter_source("by")
    return found.by() if given is ParameterSource.DEFAULT else found.by(by)


def _when(moment: datetime | None) -> str:
    """A stored time in this computer's time zone, to the minute."""
    return NONE if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _program(summary: StudySummary) -> str:
    return summary.name + (f" ({summary.round})" if summary.round else "")


@main.command("delete")
@click.argument("study_id")
@by_option
def delete_command(study_id: str, by: str) -> None:
    """Move a stored self-study to Recently deleted.

    It leaves the app's list and `selfstudy cohort --from-db`, and is kept, with
    every answer and its history, until `selfstudy restore STUDY_ID` brings it
    back or `selfstudy purge-deleted` removes it for good (after 30 days).
    """
    from selfstudy.workflows import history

    summary = history.delete(database(), study_id, _by(by))
    say(f"moved {_program(summary)} to Recently deleted")
    say(f"to bring it back: selfstudy restore {study_id}")


@main.command("restore")
@click.argument("study_id")
@by_option
def restore_command(study_id: str, by: str) -> None:
    """Bring a deleted self-study back, with every answer and its history."""
    from selfstudy.workflows import history

    summary = history.restore(database(), study_id, _by(by))
    say(f"restored {_program(summary)}")


@main.command("deleted")
def deleted_command() -> None:
    """List the recently deleted self-studies, most recently deleted first.

    Each can be brought back with `selfstudy restore STUDY_ID`.
    """
    from selfstudy.workflows import history

    summaries = history.recently_deleted(database(changes=False))
    if not summaries:
        click.echo("no recently deleted self-studies")
        return
    rows = [[s.id, s.name, s.round or NONE, _when(s.deleted_at)] for s in summaries]
    click.echo(text_table(["ID", "Program", "Round", "Deleted"], rows))


@main.command("history")
@click.argument("study_id")
@click.option(
    "--item", "item_id", metavar="ITEM", help="Only the changes of this item, e.g. PG.1.a."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)
def history_command(study_id: str, item_id: str | None, fmt: str, out_path: Path | None) -> None:
    """Show every change made to a stored self-study, oldest first.

    The table gives each change's number (for `selfstudy restore-value`), when,
    who, the item and field, and the old and new value; an edit that was
    refused because someone else had changed the field first is marked
    `refused` (its text is kept and can be restored). `--format json` writes the
    whole study as its self-study JSON with a "history" list of the changes
    (only those of ITEM with --item), each with its id, item, field, old, new,
    accepted, at and by. A deleted study's history shows as a table; restore it
    to export it.
    """
    from selfstudy.workflows import history

    storage = database(changes=False)
    if fmt == "json":
        document = history.history_document(storage, study_id, item_id)
        text = json_text(document)
    else:
        lines = history.history_lines(storage, study_id, item_id)
        if not lines:
            where = f"item {item_id} of " if item_id else ""
            say(f"no changes recorded for {where}self-study {study_id}", err=True)
            return
        text = _history_table(lines)
    if out_path is None:
        click.echo(text)
    else:
        write_atomically(out_path, (text + "\n").encode("utf-8"))
        say(f"wrote {out_path}", err=True)


def _history_table(lines: list[HistoryLine]) -> str:
    rows = [
        [
            line.change.id,
            _when(line.change.changed_at),
            line.change.changed_by or NONE,
            line.item,
            line.field,
            f"{_cell(line.old)} → {_cell(line.new)}",
            "" if line.change.accepted else "refused",
        ]
        for line in lines
    ]
    headers = ["#", "When", "Who", "Item", "Field", "Old → new", ""]
    return text_table(headers, rows, "rllllll")


def _cell(text: str) -> str:
    """A value on one line of the table: its lines joined, clipped to `CELL_WIDTH`."""
    return clip(" ".join(text.split()), CELL_WIDTH)


@main.command("restore-value")
@click.argument("study_id")
@click.argument("change_id", type=int)
@by_option
def restore_value_command(study_id: str, change_id: int, by: str) -> None:
    """Put back the value that one change of the history gave its field.

    CHANGE_ID is the number `selfstudy history STUDY_ID` shows. A refused edit
    can be put back too: its text replaces what is stored. The restore is
    itself a change in the history, so it can be undone the same way.
    """
    from selfstudy.workflows import history

    restored = history.restore_value(database(), study_id, change_id, _by(by))
    change = restored.change
    if restored.changed:
        say(f"put back the {change.field} of {change.item_id} from change {change_id}")
    else:
        say(f"the {change.field} of {change.item_id} already holds that; nothing changed")


@main.command("purge-deleted")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    default=GRACE_DAYS,
    show_default=True,
    metavar="DAYS",
    help="Remove the studies deleted more than this many days ago.",
)
@click.option(
    "--yes",
    is_flag=True,
    help=f"Allow fewer than {GRACE_DAYS} days, removing studies deleted recently.",
)
def purge_deleted_command(days: int, yes: bool) -> None:
    """Remove for good the self-studies deleted more than 30 days ago.

    Their answers and history go too, and cannot be restored. Studies deleted
    more recently stay in Recently deleted. A shorter period (down to 0 days:
    every deleted study) needs --yes, so a study deleted by mistake today is not
    lost by a typing slip.
    """
    from selfstudy.workflows import history

    if days < GRACE_DAYS and not yes:
        raise click.UsageError(
            f"--older-than {days} removes studies deleted less than {GRACE_DAYS} days ago, "
            "which can then never be restored; add --yes if that is what you mean"
        )
    removed = history.purge_deleted(database(), timedelta(days=days))
    if not removed:
        click.echo(f"nothing was deleted more than {counted(days, 'day')} ago; nothing removed")
        return
    for summary in removed:
        say(f"removed for good: {summary.id}  {_program(summary)}")
    click.echo(f"{counted(len(removed), 'self-study', 'self-studies')} removed")
