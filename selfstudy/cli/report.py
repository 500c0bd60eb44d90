"""`selfstudy report`: the HTML report or the scores CSV of one self-study, as a file."""

from __future__ import annotations

from pathlib import Path

import click

from selfstudy.cli import format_from_suffix, main, say
from selfstudy.cli.study_commands import load_checked_study, study_rubric_option
from selfstudy.core.scoring import score
from selfstudy.edges.files import write_atomically
from selfstudy.edges.reports.scores_csv import scores_csv

FORMAT_OF_SUFFIX = {".html": "html", ".htm": "html", ".csv": "csv"}


@main.command("report")
@click.argument("study_path", metavar="STUDY.json", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "csv"]),
    help="html: the full report, readable offline and printable to PDF; "
    "csv: one row of scores per dimension and standard. Default: from the --out suffix.",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (replaced if it exists).",
)
@study_rubric_option
@click.option(
    "--previous",
    "previous_path",
    metavar="EARLIER.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier round of the same program; the HTML report then shows the change.",
)
def report_command(
    study_path: Path,
    fmt: str | None,
    out_path: Path,
    rubric_option: str | None,
    previous_path: Path | None,
) -> None:
    """Write the report of one self-study to a file.

    \b
    selfstudy report study.json --out report.html
    selfstudy report study.json --format csv --out scores.csv
    selfstudy report follow-up.json --previous baseline.json --out report.html

    The HTML file holds everything it shows (charts included) and fetches
    nothing from the network; open it in a browser and print it to PDF. The
    CSV has one row for the whole self-study, each dimension and each standard.
    """
    fmt = fmt or format_from_suffix(out_path, FORMAT_OF_SUFFIX)
    study, rubric = load_checked_study(study_path, rubric_option)
    result = score(rubric, study)
    if fmt == "csv":
        if previous_path:
            click.echo("warning: --previous is used by the HTML report only; ignored", err=True)
        # utf-8-sig: Excel then reads accented names correctly.
        write_atomically(out_path, scores_csv(rubric, study, result).encode("utf-8-sig"))
    else:
        # Here, not at the top: the charts' altair and vl_convert take most of a second.
        from selfstudy.edges.reports.html_report import html_report
        from selfstudy.workflows import reports

        previous = None
        if previous_path:
            earlier, earlier_rubric = load_checked_study(previous_path, rubric_option)
            checks = reports.check_previous(study, earlier, str(previous_path), str(study_path))
            for problem in checks:
                click.echo(str(problem), err=True)
            previous = reports.scored(earlier, earlier_rubric)
        write_atomically(out_path, html_report(rubric, study, result, previous).encode("utf-8"))
    say(f"wrote the {fmt.upper()} report of {study.program.name} to {out_path}")
