"""The `selfstudy` command line: a thin face over the library.

Each command builds library objects, calls one library function and prints the
result. Problems found in an input, a database that cannot be used (a
`DatabaseError` is a `ProblemsFound` too) and a file the system refuses become
one line each on stderr (`where: message`) and exit status 1; nothing ends in a
traceback.

Text from the input reaches the terminal only `printable` (control characters and
line breaks written out): a line through `say`, a table through `text_table`, a
JSON document through `json_text`, a problem as its own line.
"""

from __future__ import annotations

import errno

import click

from selfstudy import __version__
from selfstudy.core.printable import printable
from selfstudy.core.problems import Problem, ProblemsFound


class SelfStudyGroup(click.Group):
    """A click group that reports `ProblemsFound` and `OSError` as lines and exit status 1."""

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
    help="Act on the app's database as this network admin (default: $SELFSTUDY_AS). Needed "
    "for changes once people sign in to it; the history names the email.",
)
@click.pass_context
def main(ctx: click.Context, as_email: str | None) -> None:
    """Self-study assessment engine for equity-centred STEM program standards.

    Rate a program against a rubric, score it, import and export sheet copies,
    compare cohorts of programs, and manage who has access to the app's database.
    """
    ctx.meta[AS_EMAIL] = as_email


# Each module registers its commands on `main`.
from selfstudy.cli import (  # noqa: E402, F401
    cohort,
    history,
    people,
    report,
    sheets,
    study_commands,
)
