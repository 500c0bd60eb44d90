"""Commands over rubrics and single self-studies: validate, score, schema, sample."""

from __future__ import annotations

import json
from pathlib import Path

import click

from selfstudy.cli import main, say
from selfstudy.cli.tables import result_table
from selfstudy.core.printable import json_text
from selfstudy.core.rubric import Rubric, rubric_json_schema
from selfstudy.core.samples import sample_studies
from selfstudy.core.scoring import score
from selfstudy.core.study import SelfStudy, check_study, study_json_schema
from selfstudy.core.wording import counted
from selfstudy.edges.files import ensure_folder, write_all_atomically
from selfstudy.edges.paths import DEFAULT_RUBRIC_ID
from selfstudy.edges.rubric_files import (
    rubric_files,
    rubric_from_option,
    rubric_of,
    rubric_problems,
)
from selfstudy.edges.study_files import load_study


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check rubric files (or folders of them) and list every problem.

    Prints each problem as `file:line: key.path: message`; exits 0 when no
    rubric has an error (warnings only), otherwise 1.
    """
    files = [f for p in paths for f in (rubric_files(p) if p.is_dir() else [p])]
    if not files:
        raise click.ClickException("no rubric files (*.yaml, *.yml) found")
    failed = 0
    for file in files:
        problems = rubric_problems(file)
        for problem in problems:
            click.echo(str(problem), err=True)
        if problems.has_errors:
            failed += 1
        else:
            say(f"{file}: ok")
    if failed:
        have = "has" if failed == 1 else "have"
        click.echo(f"{failed} of {counted(len(files), 'rubric file')} {have} problems", err=True)
        raise SystemExit(1)


def load_checked_study(path: Path, rubric_option: str | None) -> tuple[SelfStudy, Rubric]:
    """Load a self-study and its rubric; print warnings, raise on errors."""
    study = load_study(path)
    rubric = rubric_of(study, rubric_option, str(path))
    problems = check_study(study, rubric, str(path))
    problems.raise_if_errors()
    for problem in problems:
        click.echo(str(problem), err=True)
    return study, rubric


study_rubric_option = click.option(
    "--rubric",
    "rubric_option",
    metavar="PATH_OR_ID",
    help="Rubric file or id (default: the one the self-study names).",
)


@main.command("score")
@click.argument("study_path", metavar="STUDY.json", type=click.Path(exists=True, path_type=Path))
@study_rubric_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def score_command(study_path: Path, rubric_option: str | None, fmt: str) -> None:
    """Score one self-study against its rubric.

    The table is for reading in a terminal; `--format json` prints one object
    with `overall`, `dimensions`, `standards` and `priorities`.
    """
    study, rubric = load_checked_study(study_path, rubric_option)
    result = score(rubric, study)
    if fmt == "json":
        click.echo(json_text(result.to_dict()))
    else:
        click.echo(result_table(rubric, study, result))


@main.command()
@click.argument("which", type=click.Choice(["rubric", "study"]))
def schema(which: str) -> None:
    """Print the JSON Schema of a rubric or of a self-study file.

    Point your editor at it for completion while writing a rubric, e.g. with
    `# yaml-language-server: $schema=rubric.schema.json` on the first line.
    """
    document = rubric_json_schema() if which == "rubric" else study_json_schema()
    click.echo(json.dumps(document, indent=2))


@main.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the self-study files into.",
)
@click.option(
    "--rubric",
    "rubric_option",
    default=DEFAULT_RUBRIC_ID,
    show_default=True,
    metavar="PATH_OR_ID",
)
@click.option(
    "--programs", default=8, show_default=True, help="How many programs (split into two cohorts)."
)
@click.option(
    "--seed",
    default=2025,
    show_default=True,
    help="Random seed: the same seed writes the same files.",
)
def sample(out_dir: Path, rubric_option: str, programs: int, seed: int) -> None:
    """Write a realistic synthetic set of self-studies (baseline and follow-up per program)."""
    rubric = rubric_from_option(rubric_option)
    ensure_folder(out_dir)
    studies = sample_studies(rubric, programs=programs, seed=seed)
    write_all_atomically(  # all of them, or none
        {
            out_dir / f"{study.program.id}-{study.program.round}.json": study.to_json().encode()
            for study in studies
        }
    )
    say(f"wrote {len(studies)} self-studies to {out_dir}")
