"""The app's database as the command line opens it: for whom each command acts.

Every command that reads or changes the database gets it from `database`, which applies
one rule (`workflows.people.operator`): on a database nobody signs in to, commands act
as the machine's user; once people do, a change needs `--as` with a network admin's
email, and the history names that admin.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import click

from selfstudy.cli import AS_EMAIL

if TYPE_CHECKING:
    from selfstudy.core.problems import ProblemsFound
    from selfstudy.edges.storage import Storage
    from selfstudy.workflows.people import Operator

OPERATOR = "selfstudy.operator"  # the operator of this command, once found


def database(changes: bool = True, adds_admin: bool = False, anyone: bool = False) -> Storage:
    """The app's database (`SELFSTUDY_DATABASE_URL` or `SELFSTUDY_DB`), acting for whoever
    runs this command; `changes=False` for a command that only reads.

    With `anyone` (a command whose every write the storage checks for the person, such as
    `import --save`), `--as` may also name someone who signed in with access, who then acts
    with their own grants: a facilitator imports their cohort's copies as themselves.

    Raises `admin-needed` when the change would be anonymous (see `operator`).
    """
    from selfstudy.core.problems import ProblemsFound
    from selfstudy.edges.settings import configured_admins
    from selfstudy.edges.storage import Storage
    from selfstudy.workflows import people

    storage = Storage()
    context = click.get_current_context()
    email = context.meta.get(AS_EMAIL)
    try:
        found = people.operator(
            storage, email, configured_admins(), changes=changes, adds_admin=adds_admin
        )
    except ProblemsFound as refused:
        if not (anyone and email and email.strip()) or refused.codes() != ["admin-needed"]:
            raise
        person = _person_with_access(storage, email)
        if person is None:
            raise _nobody_with_access(storage, email) from None
        found = person
    context.meta[OPERATOR] = found
    return storage.acting_as(found.actor)


def _person_with_access(storage: Storage, email: str) -> Operator | None:
    """The person who signed in with `email` and holds a grant, acting as themselves."""
    from selfstudy.core.access import normal_email
    from selfstudy.workflows.people import COMMAND_LINE, Operator

    wanted = normal_email(email)
    for entry in storage.access():
        if entry.pending or not entry.person_id or entry.role is None or not entry.email:
            continue
        if normal_email(entry.email) == wanted:
            actor = storage.actor_of(entry.person_id, f"{wanted} ({COMMAND_LINE})")
            return Operator(actor, wanted)
    return None


def _nobody_with_access(storage: Storage, email: str) -> ProblemsFound:
    """Why `--as EMAIL` cannot import: the email is neither an admin's nor that of anyone
    signed in with a role. Said so, since the admin's refusal alone would tell a facilitator
    that only admins may import; an invitation still waiting is named, as the way on."""
    from selfstudy.core.access import normal_email
    from selfstudy.core.problems import Problem, ProblemsFound, quoted

    wanted = normal_email(email)
    waiting = any(
        e.pending and e.email and normal_email(e.email) == wanted for e in storage.access()
    )
    why = (
        "was invited but has not signed in to the app with it yet (the sign-in provider "
        "must verify the email): sign in once, then import"
        if waiting
        else "is neither a network admin's nor the email of someone who signed in to the app "
        "and was given a role (facilitator, program member); give your own email as you sign "
        "in, once a network admin or a program member has invited you"
    )
    return ProblemsFound([Problem("admin-needed", "--as", f"{quoted(wanted)} {why}")])


def user_name() -> str:
    """The operating-system user name (who a command on a database nobody signs in to acts
    as, by default), or nothing when the system has none to give."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def operator() -> Operator:
    """Whoever `database` found this command acts as."""
    return click.get_current_context().meta[OPERATOR]
