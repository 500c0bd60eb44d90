"""The `selfstudy` command line: a thin face over the library.

Each command builds library objects, calls one library function and prints the
result. Problems found in an input become one line each on stderr
(`file:line: key.path: message`) and exit status 1; nothing ends in a traceback.
"""

from __future__ import annotations

import click

from selfstudy import __version__
from selfstudy.core.problems import ProblemsFound


class SelfStudyGroup(click.Group):
    """A click group that turns `ProblemsFound` into a report and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ProblemsFound as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise SystemExit(1) from None


@click.group(cls=SelfStudyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="selfstudy")
def main() -> None:
    """Self-study assessment engine for equity-centred STEM program standards.

    Rate a program against a rubric, score it, import and export sheet copies,
    and compare cohorts of programs.
    """


# Each module registers its commands on `main`.
from selfstudy.cli import cohort, history, report, sheets, study_commands  # noqa: E402, F401
