"""`selfstudy team`: a team self-study's steps from the command line, as the app's Team and
Consensus pages take them (each command calls one function of `workflows.teams`).

Who takes a step: on a database nobody signs in to, there are no people, so a person is
their name, as in the app (`--by NAME`, your user name unless given): the lead is whoever
gives the lead's name, a rater whoever gives theirs. Once people sign in, the command acts
as the network admin named with `--as` (who leads every team), and a rater is added by the
email they sign in with (`--email`).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from selfstudy.cli import main, say
from selfstudy.cli.database import database, operator, user_name
from selfstudy.cli.tables import text_table
from selfstudy.core.access import Actor
from selfstudy.core.printable import json_text, printable
from selfstudy.core.problems import Problem, ProblemsFound, quoted
from selfstudy.core.team import Reveal
from selfstudy.core.wording import percent_text
from selfstudy.edges.reports.scores_csv import TEAM_COLUMNS, safe_text, team_cells

if TYPE_CHECKING:
    from selfstudy.core.agreement import TeamAgreement
    from selfstudy.core.rubric import Rubric
    from selfstudy.core.team import Team
    from selfstudy.edges.storage import Storage

STEP_WORDS = {
    "rating": "raters rate on their own",
    "consensus": "the consensus step is open: the lead records the team's ratings",
    "agreed": "consensus reached",
}
STATUS_CSV_COLUMNS = ["scope", "id", "title", *TEAM_COLUMNS]


by_option = click.option(
    "--by",
    default=user_name,
    show_default="your user name",
    metavar="NAME",
    help="Who takes this step, on a database nobody signs in to: a person there is their "
    "name, as in the app (the lead's name for start, open and agree; the rater's own name "
    "to add yourself). Once people sign in, the command acts as the --as network admin "
    "instead, who leads every team.",
)


def _acting(by: str, reads_only: bool = False) -> tuple[Storage, str]:
    """The database acting for whoever takes the step, and the name the team records.

    Without sign-in (the local user, even with --as on such a database) a person is their
    name; with sign-in, the --as admin, as every other command acts."""
    storage = database(changes=not reads_only)
    found = operator()
    if not found.actor.everything:
        return storage, ""  # the storage's actor: the admin, recorded by their label
    name = " ".join(by.split())
    if not name:
        raise ProblemsFound(
            [
                Problem(
                    "team-step",
                    "--by",
                    "say who takes this step: add --by with your name as the team knows it",
                )
            ]
        )
    return storage.acting_as(Actor.local(name)), name


def _rubric(storage: Storage, study_id: str) -> Rubric:
    from selfstudy.edges.rubric_files import rubric_of

    return rubric_of(storage.get_study(study_id).study)


def _found(command: Callable[..., None]) -> Callable[..., None]:
    """A study id that names no stored study is one problem line, as any other."""

    @functools.wraps(command)
    def run(study_id: str, **options: Any) -> None:
        from selfstudy.edges.storage import StudyNotFound

        try:
            command(study_id, **options)
        except StudyNotFound as exc:
            raise ProblemsFound(
                [Problem("study-not-found", study_id, f"{exc}; check the STUDY_ID")]
            ) from None

    return run


@main.group("team")
def team_group() -> None:
    """Team self-studies: raters rate on their own, then the team agrees.

    \b
    selfstudy team start STUDY_ID --by Ana          Ana leads (and rates)
    selfstudy team add STUDY_ID Bo --by Ana         Ana adds Bo as a rater
    selfstudy team open STUDY_ID --by Ana           the ratings are compared
    selfstudy team status STUDY_ID                  raters, step, agreement
    selfstudy team agree STUDY_ID --by Ana          consensus reached

    Raters rate and the lead records the team's ratings in the app (Team and Consensus
    pages). On a database nobody signs in to, a person is their name (--by); once people
    sign in, commands act as the --as network admin. STUDY_ID is the stored study's id
    (`selfstudy history` and the app show it).
    """


@team_group.command("start")
@click.argument("study_id")
@click.option(
    "--reveal",
    type=click.Choice([r.value for r in Reveal]),
    default=Reveal.CONSENSUS.value,
    show_default=True,
    help="When a rater sees the others' ratings: once the lead opens the consensus step, "
    "or as soon as they have submitted their own.",
)
@click.option(
    "--lead-does-not-rate",
    is_flag=True,
    help="The lead only leads: no rating sheet of their own (by default the lead is the "
    "first rater, and the study's answers so far become their ratings).",
)
@by_option
@_found
def team_start_command(study_id: str, reveal: str, lead_does_not_rate: bool, by: str) -> None:
    """Make a stored self-study a team self-study, led by --by (or the --as admin)."""
    from selfstudy.workflows.teams import start_team

    storage, name = _acting(by)
    team = start_team(storage, study_id, Reveal(reveal), not lead_does_not_rate, name)
    raters = ", ".join(r.name for r in team.raters) or "none yet"
    say(f"{study_id} is a team self-study led by {team.lead}; raters: {raters}")


@team_group.command("add")
@click.argument("study_id")
@click.argument("name")
@click.option(
    "--email",
    metavar="EMAIL",
    help="Once people sign in: the email the rater signs in with (a member of the program).",
)
@by_option
@_found
def team_add_command(study_id: str, name: str, email: str | None, by: str) -> None:
    """Add NAME as a rater, with a rating sheet of their own.

    The lead adds anyone; anyone else only themselves (--by their own NAME). Raters can
    join until the lead opens the consensus step.
    """
    storage, actor_name = _acting(by)
    person_id = None
    if not operator().actor.everything:
        person_id = _person_of(storage, email)
    elif email:
        say("warning: --email is for databases people sign in to; ignored", err=True)
    rater = storage.add_rater(study_id, name, person_id, by=actor_name)
    say(f"added {rater.name} to the team of {study_id}")


def _person_of(storage: Storage, email: str | None) -> str:
    """The person who signs in with `email`: a signed-in database's rater is a person."""
    from selfstudy.workflows import people

    if not email or not email.strip():
        why = (
            "people sign in to this database, so a rater is a person: add --email with the "
            "email they sign in with"
        )
        raise ProblemsFound([Problem("unknown-person", "--email", why)])
    found = sorted({e.person_id for e in people.access_of(storage, email) if e.person_id})
    if not found:
        raise ProblemsFound(
            [
                Problem(
                    "unknown-person",
                    "--email",
                    f"no one has signed in with {quoted(email.strip())} yet; invite them to "
                    "the program, and add them once they have signed in",
                )
            ]
        )
    return found[0]


@team_group.command("open")
@click.argument("study_id")
@by_option
@_found
def team_open_command(study_id: str, by: str) -> None:
    """Open the consensus step: the team sees every rating, and the ratings are fixed."""
    storage, name = _acting(by)
    storage.open_consensus(study_id, by=name)
    say(f"the consensus step of {study_id} is open; `selfstudy team status {study_id}` compares")


@team_group.command("agree")
@click.argument("study_id")
@by_option
@_found
def team_agree_command(study_id: str, by: str) -> None:
    """Mark consensus reached (refused while an item the team rated has no team rating)."""
    from selfstudy.workflows.teams import agree

    storage, name = _acting(by)
    agree(storage, _rubric(storage, study_id), study_id, by=name)
    say(f"consensus reached for {study_id}")


@team_group.command("status")
@click.argument("study_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table: for reading; json: everything, with the agreement figures as numbers; "
    "csv: the agreement per scope (header only until the consensus step opens).",
)
@_found
def team_status_command(study_id: str, fmt: str) -> None:
    """Show the team: raters, who submitted, the step, and once the consensus step is open
    how much the raters agreed (per dimension, standard and overall) and where they
    disagreed most."""
    from selfstudy.workflows import reports

    storage = database(changes=False)
    team = storage.the_team(study_id)
    rubric = _rubric(storage, study_id)
    agreement = reports.team_figures(storage, rubric, study_id).agreement
    if fmt == "json":
        click.echo(json_text(_status_document(rubric, team, agreement)))
    elif fmt == "csv":
        click.echo(_status_csv(rubric, agreement), nl=False)
        if agreement is None:
            say(_pending(), err=True)
    else:
        click.echo(_status_table(rubric, team, agreement))


def _pending() -> str:
    from selfstudy.edges.reports.team_figures import PENDING

    return PENDING


def _status_document(rubric: Rubric, team: Team, agreement: TeamAgreement | None) -> dict:
    from selfstudy.edges.reports.team_figures import disagreed, level_words, range_words

    document: dict[str, Any] = {
        "study_id": team.study_id,
        "lead": team.lead,
        "reveal": team.reveal.value,
        "step": team.step,
        "raters": [{"name": r.name, "submitted": r.submitted_at is not None} for r in team.raters],
    }
    if agreement is None:
        document["agreement"] = None
        document["agreement_note"] = _pending()
        return document
    document["agreement"] = agreement.to_dict()
    document["most_disagreed"] = [
        {
            "item_id": s.item_id,
            "standard_id": s.standard_id,
            "range": range_words(s),
            "steps": s.steps,
            "levels": {rater: level_words(rubric, value) for rater, value in s.answers},
        }
        for s in disagreed(agreement)
    ]
    return document


def _status_table(rubric: Rubric, team: Team, agreement: TeamAgreement | None) -> str:
    from selfstudy.edges.reports.team_figures import (
        agreement_rows,
        alpha_text,
        disagreed,
        level_words,
        no_disagreement,
        range_words,
    )

    submitted = sum(r.submitted_at is not None for r in team.raters)
    parts = [
        printable(f"Team self-study {team.study_id}, led by {team.lead}"),
        f"Step: {STEP_WORDS[team.step]}; {submitted} of {len(team.raters)} raters submitted",
        "",
        text_table(
            ["Rater", "Submitted"],
            [[r.name, "yes" if r.submitted_at else "no"] for r in team.raters],
        )
        if team.raters
        else "No raters yet.",
        "",
    ]
    if agreement is None:
        return "\n".join([*parts, _pending()])
    rows = [
        [
            "" if r.scope == "overall" else r.id,
            r.title if r.scope != "dimension" else r.title.upper(),
            r.agreement.raters,
            r.agreement.items,
            percent_text(r.agreement.exact),
            percent_text(r.agreement.within_one),
            alpha_text(r.agreement),
        ]
        for r in agreement_rows(rubric, agreement)
    ]
    parts.append(
        text_table(
            [
                "ID",
                "Whole, dimension or standard",
                "Raters",
                "Items",
                "Same level",
                "Within one",
                "Alpha (ordinal)",
            ],
            rows,
            "llrrrrl",
        )
    )
    spreads = disagreed(agreement)
    parts.append("")
    if not spreads:
        parts.append(no_disagreement(agreement))
    else:
        parts.append("Items the raters disagreed on most:")
        parts.append(
            text_table(
                ["Item", "Range", *agreement.raters],
                [
                    [
                        s.item_id,
                        range_words(s),
                        *(level_words(rubric, value) for _, value in s.answers),
                    ]
                    for s in spreads
                ],
            )
        )
    return "\n".join(parts)


def _status_csv(rubric: Rubric, agreement: TeamAgreement | None) -> str:
    from selfstudy.edges.reports.team_figures import agreement_rows

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STATUS_CSV_COLUMNS)
    for r in agreement_rows(rubric, agreement) if agreement is not None else []:
        writer.writerow([r.scope, safe_text(r.id), safe_text(r.title), *team_cells(r.agreement)])
    return buffer.getvalue()
