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
    from selfstudy.edges.storage import Storage
    from selfstudy.workflows.people import Operator

OPERATOR = "selfstudy.operator"  # the operator of this command, once found


def database(changes: bool = True, adds_admin: bool = False) -> Storage:
    """The app's database (`SELFSTUDY_DATABASE_URL` or `SELFSTUDY_DB`), acting for whoever
    runs this command; `changes=False` for a command that only reads.

    Raises `admin-needed` when the change would be anonymous (see `operator`).
    """
    from selfstudy.edges.settings import configured_admins
    from selfstudy.edges.storage import Storage
    from selfstudy.workflows import people

    storage = Storage()
    context = click.get_current_context()
    found = people.operator(
        storage,
        context.meta.get(AS_EMAIL),
        configured_admins(),
        changes=changes,
        adds_admin=adds_admin,
    )
    context.meta[OPERATOR] = found
    return storage.acting_as(found.actor)


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
