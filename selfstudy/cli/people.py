"""`selfstudy people` and `selfstudy programs`: access to the app's database, for its admins.

Each command calls one use case of `selfstudy.workflows.people`, as the People page does.
Once people sign in to the database, a command that changes it needs `--as` with a network
admin's email (see `cli.database`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from selfstudy.cli import main, say
from selfstudy.cli.database import database
from selfstudy.cli.tables import text_table
from selfstudy.core.access import Role
from selfstudy.core.wording import NONE

if TYPE_CHECKING:
    from selfstudy.edges.storage import AccessEntry

ROLES = click.Choice([role.value for role in Role])
ROLE_HELP = (
    "admin (network admin: everything), facilitator (reads and compares a cohort's "
    "programs, and imports new self-studies of them), member (answers, imports, exports a "
    "program's self-studies) or viewer (reads them)."
)
program_option = click.option(
    "--program", metavar="NAME_OR_ID", help="The program (members and viewers)."
)
cohort_option = click.option("--cohort", metavar="NAME", help="The cohort (facilitators).")


def _when(moment: datetime | None) -> str:
    """A stored time in this computer's time zone, to the minute."""
    return NONE if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


# --- people -------------------------------------------------------------------------------


@main.group("people")
def people_group() -> None:
    """Who may sign in to the app and what they may see and change.

    A person is invited by the email they sign in with; the access holds from their
    first sign-in with that email (verified by the sign-in provider), or at once for
    someone already signed in with it. Once anyone has access, changes from the
    command line need --as with a network admin's email: selfstudy --as EMAIL people …
    """


@people_group.command("add")
@click.argument("email")
@click.option("--role", type=ROLES, required=True, help=ROLE_HELP)
@program_option
@cohort_option
def people_add_command(email: str, role: str, program: str | None, cohort: str | None) -> None:
    """Give whoever signs in with EMAIL a role: in a program, a cohort, or the whole network.

    A network admin needs neither --program nor --cohort; a facilitator needs
    --cohort; a program member or viewer --program (its name or id, as `selfstudy
    programs list` shows it). The first network admin of a new database can be added
    without --as.
    """
    from selfstudy.workflows import people

    storage = database(adds_admin=role == Role.ADMIN.value)
    entry = people.give_access(storage, email, role, program, cohort)
    given = people.access_words(entry)
    if entry.pending:
        say(f"invited {entry.email} as {given}; it holds from their first sign-in with that email")
    else:
        say(f"gave {entry.email} {given}; it holds from their next page in the app")
    if cohort is not None and not people.programs_in_cohort(storage, cohort):
        say(
            f"warning: no program is in cohort {cohort.strip()} yet, so they see nothing "
            "until one is (check the spelling against `selfstudy programs list`)",
            err=True,
        )


@people_group.command("list")
@program_option
def people_list_command(program: str | None) -> None:
    """List who has access to what, and the invitations not taken up yet.

    With --program, whoever has access to that program: its members and viewers,
    the facilitators of its cohorts and the network admins.
    """
    from selfstudy.workflows import people

    entries = people.list_access(database(changes=False), program)
    if not entries:
        click.echo(
            "nobody has access yet; add the first network admin with "
            "`selfstudy people add EMAIL --role admin`"
        )
        return
    click.echo(
        text_table(
            ["Email", "Name", "Role", "Program or cohort", "Status", "Last seen"],
            [_access_row(e) for e in entries],
        )
    )


def _access_row(entry: AccessEntry) -> list[str]:
    from selfstudy.workflows import people

    return [
        entry.email or NONE,
        entry.name or "",
        entry.role.title if entry.role else NONE,
        people.where_words(entry),
        people.status_words(entry),
        _when(entry.seen_at),
    ]


@people_group.command("remove")
@click.argument("email")
@click.option("--role", type=ROLES, help="The role to take away (with its --program or --cohort).")
@program_option
@cohort_option
@click.option("--all", "every", is_flag=True, help="Take away all of their access.")
def people_remove_command(
    email: str, role: str | None, program: str | None, cohort: str | None, every: bool
) -> None:
    """Take access away from whoever signs in with EMAIL.

    Name the access with --role (and its --program or --cohort) as `selfstudy people
    list` shows it; someone with only one access loses it without naming it, and --all
    takes everything. Nothing they wrote is lost, and the database keeps a record of
    the access and of who removed it.
    """
    from selfstudy.workflows import people

    if every and role is not None:
        raise click.UsageError("give --role or --all, not both")
    if role is None and (program is not None or cohort is not None):
        raise click.UsageError("--program and --cohort name the access of a --role")
    removed = people.remove_access(database(), email, role, program, cohort, every)
    for entry in removed:
        was = "invitation" if entry.pending else "access"
        say(f"removed {entry.email}'s {was} as {people.access_words(entry)}")
    if any(not entry.pending for entry in removed):
        click.echo("it ends at their next page in the app")


# --- programs -----------------------------------------------------------------------------


@main.group("programs")
def programs_group() -> None:
    """The programs that own the self-studies, their cohorts, and the pseudonym secret."""


@programs_group.command("list")
def programs_list_command() -> None:
    """List the programs: name, id, organization, cohorts, self-studies and origin.

    The origin says how each program came to be: grouped by program id or by name
    when programs were introduced (from the self-studies stored then), or added
    since. Check the grouping after upgrading: self-studies whose program names
    differ only in case or spacing, without a program id, are one program.
    """
    from selfstudy.workflows import people

    programs = people.list_programs(database(changes=False))
    if not programs:
        click.echo("no programs yet; they come with the first self-study of each")
        return
    rows = [
        [p.name, p.id, p.organization or NONE, "; ".join(p.cohorts) or NONE, p.studies, p.origin]
        for p in programs
    ]
    headers = ["Program", "ID", "Organization", "Cohorts", "Self-studies", "How it came to be"]
    click.echo(text_table(headers, rows, "llllrl"))


@programs_group.command("add")
@click.argument("name")
@click.option("--organization", help="The organization that runs it.")
@click.option("--cohort", "cohorts", multiple=True, metavar="NAME", help="A cohort (repeatable).")
def programs_add_command(name: str, organization: str | None, cohorts: tuple[str, ...]) -> None:
    """Add a program, so people can be invited to it before its first self-study.

    A program of the same name (case and spacing aside) is that program: it is
    only put in the cohorts given.
    """
    from selfstudy.workflows import people

    program, added = people.add_program(database(), name, organization, cohorts)
    what = "added program" if added else "there is already a program"
    say(f"{what} {program.name} (id {program.id})")


@programs_group.command("cohort")
@click.argument("program", metavar="PROGRAM")
@click.option("--add", "add", multiple=True, metavar="COHORT", help="Put it in this cohort.")
@click.option("--remove", multiple=True, metavar="COHORT", help="Take it out of this cohort.")
def programs_cohort_command(program: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """Put a program (its name or id) in cohorts, or take it out of them.

    The facilitators of a cohort read and compare its programs. A cohort that one of
    the program's self-studies names comes back when that study's details are saved.
    """
    from selfstudy.workflows import people

    if not add and not remove:
        raise click.UsageError("give --add COHORT or --remove COHORT")
    changed = people.change_cohorts(database(), program, add, remove)
    say(f"{changed.name} is in cohorts: {'; '.join(changed.cohorts) or NONE}")


@programs_group.command("rotate-secret")
@click.option("--yes", is_flag=True, help="Change it: every pseudonym changes.")
def rotate_secret_command(yes: bool) -> None:
    """Give the database a new random pseudonym secret (network admins).

    Pseudonymised cohort views and downloads name programs by codes made with this
    secret. Change it if a list of codes and names got out: every code changes, and
    codes shared before can no longer be matched to the programs. While
    SELFSTUDY_PSEUDONYM_SECRET is set, that secret is used instead.
    """
    from selfstudy.workflows import cohorts

    if not yes:
        raise click.UsageError(
            "every pseudonym changes, and those shared before can no longer be matched to "
            "the programs; add --yes if that is what you mean"
        )
    if cohorts.rotate_pseudonym_secret(database()):
        click.echo("the pseudonym secret was changed: every pseudonym is new")
    else:
        click.echo(
            "the database's pseudonym secret was changed, but SELFSTUDY_PSEUDONYM_SECRET is "
            "set and is used instead: pseudonyms change when it is unset"
        )
