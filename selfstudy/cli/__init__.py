"""The `selfstudy` command line: a thin face over the library.

Each command builds library objects, calls one library function and prints the
result. Problems found in an input, a database that cannot be used (a
`DatabaseError` is a `ProblemsFound` too) and a file the system refuses become
one line each on stderr (`where: message`) and exit status 1; nothing ends in a
traceback.

Text from the input reaches the terminal only `printable` (control characters and
line breaks written out): a line through `say`, a table through `text_table`, a
JSON document through `json_text`, a problem as its own line.

Start-up stays quick (`selfstudy --help` well under half a second): a command's module,
with the libraries it needs (pandas, altair, SQLAlchemy, spreadsheets, Google), is
imported only when that command runs. `COMMANDS` names each command's module and holds
its one-line help for the listing; tests/test_cli_startup.py checks that the listing
says what each command says of itself.
"""

from __future__ import annotations

import errno
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import click

from selfstudy import __version__
from selfstudy.core.printable import printable
from selfstudy.core.problems import Problem, ProblemsFound


class Listed(NamedTuple):
    """A command as `selfstudy --help` lists it before its module is imported."""

    module: str  # the module whose `@main.command` (or `@main.group`) defines it
    summary: str  # the first paragraph of its docstring, as click would shorten it


COMMANDS = {
    "cohort": Listed("cohort", "Compare the self-studies of many programs."),
    "delete": Listed("history", "Move a stored self-study to Recently deleted."),
    "deleted": Listed(
        "history", "List the recently deleted self-studies, most recently deleted first."
    ),
    "export": Listed(
        "sheets",
        "Export a self-study as a sheet copy: an .xlsx workbook or a folder of CSV files.",
    ),
    "history": Listed("history", "Show every change made to a stored self-study, oldest first."),
    "import": Listed(
        "sheets",
        "Import sheet copies: .xlsx files, folders of CSV files, self-study .json, Google Sheets.",
    ),
    "people": Listed("people", "Who may sign in to the app and what they may see and change."),
    "plan": Listed(
        "plan", "Improvement plans: change ideas, PDSA cycles, measures and their run charts."
    ),
    "programs": Listed(
        "people",
        "The programs that own the self-studies, their cohorts, and the pseudonym secret.",
    ),
    "purge-deleted": Listed(
        "history", "Remove for good the self-studies deleted more than 30 days ago."
    ),
    "report": Listed("report", "Write the report of one self-study to a file."),
    "restore": Listed(
        "history", "Bring a deleted self-study back, with every answer and its history."
    ),
    "restore-value": Listed(
        "history", "Put back the value that one change of the history gave its field."
    ),
    "sample": Listed(
        "study_commands",
        "Write a realistic synthetic set of self-studies (baseline and follow-up per program).",
    ),
    "schema": Listed(
        "study_commands", "Print the JSON Schema of a rubric or of a self-study file."
    ),
    "score": Listed("study_commands", "Score one self-study against its rubric."),
    "sheets": Listed(
        "sheets", "Push a self-study to a Google Sheet, pull it back, or sync both ways."
    ),
    "team": Listed("team", "Team self-studies: raters rate on their own, then the team agrees."),
    "validate": Listed(
        "study_commands", "Check rubric files (or folders of them) and list every problem."
    ),
}


class SelfStudyGroup(click.Group):
    """A click group that reports `ProblemsFound` and `OSError` as lines and exit status 1,
    and imports a command's module (and the libraries it needs) only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        listed = COMMANDS.get(cmd_name)
        if listed is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__name__}.{listed.module}")  # registers it on `main`
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from `COMMANDS` for a command not imported yet (importing them
        all would cost a second of the reader's time)."""
        commands = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name].summary)
            if not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ProblemsFound as exc:
            problems = list(exc.problems)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # the reader of the output has gone: click ends quietly
            problems = [_file_problem(exc)]
        for problem in problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)


def say(line: str, err: bool = False) -> None:
    """Print one line that may hold text from the input (a name, an id, a file name)."""
    click.echo(printable(line), err=err)


def format_from_suffix(out_path: Path, suffixes: Mapping[str, str]) -> str:
    """The format of an output file by its suffix (`suffixes`: `.html` → `html`), else a
    usage error naming the `--format` values to add."""
    fmt = suffixes.get(out_path.suffix.lower())
    if fmt is None:
        names = list(dict.fromkeys(suffixes.values()))
        choices = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        raise click.UsageError(
            f"cannot tell the format from {out_path.name!r}; add --format {choices}"
        )
    return fmt


def _file_problem(exc: OSError) -> Problem:
    """A file the system refused, named; any other refusal (a socket, a pipe) in general words."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename or exc.errno in (errno.ENOSPC, errno.EDQUOT):  # a file, or the output's disk
        return Problem(
            "file-access",
            str(exc.filename or "selfstudy"),
            f"{reason}; check that the file or folder exists, that you may read and write it "
            "and that its disk has space, then run the command again",
        )
    return Problem(
        "system-refused",
        "selfstudy",
        f"the system refused an operation ({reason}); run the command again, and if it "
        "happens again, report it with this line",
    )


AS_EMAIL = "selfstudy.as"  # where `main` keeps the --as email for `cli.database`


@click.group(cls=SelfStudyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="selfstudy")
@click.option(
    "--as",
    "as_email",
    metavar="EMAIL",
    envvar="SELFSTUDY_AS",
    help="Act on the app's database as this network admin (default: $SELFSTUDY_AS); for "
    "`import --save`, as anyone signed in with access (a facilitator imports their cohort's "
    "copies as themselves). Needed for changes once people sign in to it; the history names "
    "the email.",
)
@click.pass_context
def main(ctx: click.Context, as_email: str | None) -> None:
    """Self-study assessment engine for equity-centred STEM program standards.

    Rate a program against a rubric, score it, import and export sheet copies,
    compare cohorts of programs, and manage who has access to the app's database.
    """
    ctx.meta[AS_EMAIL] = as_email
