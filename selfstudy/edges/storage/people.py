"""People, their grants and the programs they are given: the rows behind `core.access`.

A person is known by their provider's issuer and subject, never by email alone:
an email names whom an invitation is for, and the first sign-in with that email,
verified by the provider, binds the invitation to that person. A removed grant is
kept (with who removed it and when), so the database remembers who had access.

These functions work inside a transaction `Storage` opens and checks; they do
not check access themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from selfstudy.core.access import Actor, Grant, Identity, Role, normal_email, normal_name
from selfstudy.core.problems import Problem, ProblemsFound, quoted
from selfstudy.edges.storage.schema import (
    ORIGINS,
    grants_table,
    new_id,
    now,
    people_table,
    program_cohorts_table,
    programs_table,
    studies_table,
)

CONFIGURED = "SELFSTUDY_ADMINS"  # `created_by` of an admin grant that comes from configuration
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


@dataclass(frozen=True)
class AccessEntry:
    """One line of the People page: a grant (or an invitation), or a person with none."""

    grant_id: int | None
    person_id: str | None
    email: str | None
    name: str | None
    role: Role | None
    program_id: str | None
    program_name: str | None
    cohort: str | None
    pending: bool  # an invitation nobody has taken up yet
    created_at: datetime | None
    created_by: str | None
    seen_at: datetime | None = None
    verified: bool = True  # False: an address the person typed that the provider did not vouch for

    @property
    def grant(self) -> Grant | None:
        if self.role is None:
            return None
        cohort = normal_name(self.cohort) if self.cohort else None
        return Grant(self.role, self.program_id, cohort)


@dataclass(frozen=True)
class ProgramSummary:
    id: str
    name: str
    organization: str | None
    cohorts: tuple[str, ...]
    studies: int  # live self-studies
    origin: str  # how it came to be, in words (`schema.ORIGINS`)


def sign_in(conn: Connection, identity: Identity, admins: frozenset[str]) -> str:
    """The person's id, recorded (or updated) as the provider names them now.

    With an email the provider verified, the invitations for it are taken up, and the
    first account with an email listed in `SELFSTUDY_ADMINS` is made a network admin.
    """
    stamp = now()
    person = conn.execute(
        select(people_table.c.id).where(
            people_table.c.issuer == identity.issuer,
            people_table.c.subject == identity.subject,
        )
    ).one_or_none()
    details = {
        "email": identity.email,
        "email_verified": int(identity.email_verified),
        "name": identity.name,
        "seen_at": stamp,
    }
    if person is None:
        person_id = new_id()
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(people_table).values(
                        id=person_id,
                        issuer=identity.issuer,
                        subject=identity.subject,
                        created_at=stamp,
                        **details,
                    )
                )
        except IntegrityError:  # the same person, signing in twice at the same moment
            return sign_in(conn, identity, admins)
    else:
        person_id = person.id
        conn.execute(update(people_table).where(people_table.c.id == person_id).values(**details))
    if identity.email and identity.email_verified:
        email = normal_email(identity.email)
        conn.execute(
            update(grants_table)
            .where(
                grants_table.c.person_id.is_(None),
                grants_table.c.email == email,
                grants_table.c.removed_at.is_(None),
            )
            .values(person_id=person_id)
        )
        if email in admins and not _configured_before(conn, email):
            conn.execute(
                insert(grants_table).values(
                    person_id=person_id,
                    email=email,
                    role=Role.ADMIN.value,
                    created_at=stamp,
                    created_by=CONFIGURED,
                )
            )
    return person_id


def actor_of(conn: Connection, person_id: str, label: str) -> Actor:
    """The person with the grants they hold now (read again on every page)."""
    rows = conn.execute(
        select(grants_table.c.role, grants_table.c.program_id, grants_table.c.cohort_key).where(
            grants_table.c.person_id == person_id, grants_table.c.removed_at.is_(None)
        )
    ).all()
    grants = frozenset(Grant(Role(r.role), r.program_id, r.cohort_key) for r in rows)
    return Actor(label=label, grants=grants, person_id=person_id)


def checked_grant(role: str, program_id: str | None, cohort: str | None) -> Grant:
    """The grant a role with this program or cohort makes, or `bad-grant` in words."""
    try:
        chosen = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ProblemsFound(
            [Problem("bad-grant", "role", f"{quoted(role)} is not a role; use one of {roles}")]
        ) from None
    wants = {
        Role.ADMIN: (False, False),
        Role.FACILITATOR: (False, True),
        Role.MEMBER: (True, False),
        Role.VIEWER: (True, False),
    }[chosen]
    if (program_id is not None, bool(cohort and normal_name(cohort))) != wants:
        needs = {
            (False, False): "a network admin has neither a program nor a cohort",
            (False, True): "a facilitator needs a cohort, and no program",
            (True, False): f"a {chosen.title} needs a program, and no cohort",
        }[wants]
        raise ProblemsFound([Problem("bad-grant", "role", needs)])
    return Grant(chosen, program_id, normal_name(cohort) if cohort else None)


def checked_email(email: str) -> str:
    email = normal_email(email)
    if not EMAIL.fullmatch(email):
        raise ProblemsFound(
            [Problem("bad-email", "email", f"{quoted(email)} is not an email address")]
        )
    return email


def invite(conn: Connection, email: str, grant: Grant, cohort_label: str | None, by: str) -> int:
    """Give `grant` to whoever signs in with `email` (at once if they already have); its id.

    The same grant given twice is one grant.
    """
    person_id = conn.scalar(
        select(people_table.c.id)
        .where(func.lower(people_table.c.email) == email, people_table.c.email_verified == 1)
        .order_by(people_table.c.seen_at.desc())
        .limit(1)
    )
    holders = [grants_table.c.email == email]
    if person_id is not None:
        holders.append(grants_table.c.person_id == person_id)
    existing = conn.scalar(
        select(grants_table.c.id).where(
            _same_grant(grant), grants_table.c.removed_at.is_(None), or_(*holders)
        )
    )
    if existing is not None:
        return existing
    return conn.execute(
        insert(grants_table).values(
            person_id=person_id,
            email=email,
            role=grant.role.value,
            program_id=grant.program_id,
            cohort_key=grant.cohort,
            cohort=cohort_label.strip() if cohort_label else None,
            created_at=now(),
            created_by=by,
        )
    ).inserted_primary_key[0]


def grant_row(conn: Connection, grant_id: int) -> Any:
    return conn.execute(
        select(grants_table).where(
            grants_table.c.id == grant_id, grants_table.c.removed_at.is_(None)
        )
    ).one_or_none()


def grant_of(row: Any) -> Grant:
    return Grant(Role(row.role), row.program_id, row.cohort_key)


def remove(conn: Connection, grant_id: int, by: str) -> None:
    conn.execute(
        update(grants_table)
        .where(grants_table.c.id == grant_id)
        .values(removed_at=now(), removed_by=by)
    )


def access_entries(conn: Connection, program_ids: frozenset[str] | None) -> list[AccessEntry]:
    """Every active grant and invitation (of these programs only, unless None), and, for
    the whole network, every person who signed in and holds none."""
    people = people_table
    query = (
        select(
            grants_table,
            people.c.email.label("person_email"),
            people.c.email_verified,
            people.c.name.label("person_name"),
            people.c.seen_at,
            programs_table.c.name.label("program_name"),
        )
        .select_from(
            grants_table.outerjoin(people, people.c.id == grants_table.c.person_id).outerjoin(
                programs_table, programs_table.c.id == grants_table.c.program_id
            )
        )
        .where(grants_table.c.removed_at.is_(None))
        .order_by(grants_table.c.email, grants_table.c.id)
    )
    if program_ids is not None:
        query = query.where(grants_table.c.program_id.in_(sorted(program_ids)))
    entries = [
        AccessEntry(
            grant_id=row.id,
            person_id=row.person_id,
            # the address the provider vouches for, else the one invited
            email=row.person_email if row.email_verified else row.email,
            name=row.person_name,
            role=Role(row.role),
            program_id=row.program_id,
            program_name=row.program_name,
            cohort=row.cohort,
            pending=row.person_id is None,
            created_at=datetime.fromisoformat(row.created_at),
            created_by=row.created_by,
            seen_at=datetime.fromisoformat(row.seen_at) if row.seen_at else None,
        )
        for row in conn.execute(query)
    ]
    if program_ids is None:
        holding = select(grants_table.c.person_id).where(
            grants_table.c.removed_at.is_(None), grants_table.c.person_id.is_not(None)
        )
        for row in conn.execute(select(people).where(people.c.id.not_in(holding))):
            entries.append(
                AccessEntry(
                    None,
                    row.id,
                    row.email,
                    row.name,
                    None,
                    None,
                    None,
                    None,
                    False,
                    None,
                    None,
                    datetime.fromisoformat(row.seen_at),
                    verified=bool(row.email_verified) or not row.email,
                )
            )
    return entries


def programs(conn: Connection, visible: Any) -> list[ProgramSummary]:
    """The programs whose self-studies satisfy `visible` (or that have none, for admins)."""
    live = (
        select(studies_table.c.program_ref, func.count().label("studies"))
        .where(studies_table.c.deleted_at.is_(None), studies_table.c.team_of.is_(None))
        .group_by(studies_table.c.program_ref)
        .subquery()
    )
    rows = conn.execute(
        select(programs_table, func.coalesce(live.c.studies, 0).label("studies"))
        .outerjoin(live, live.c.program_ref == programs_table.c.id)
        .where(visible)
        .order_by(func.lower(programs_table.c.name), programs_table.c.id)
    ).all()
    cohorts: dict[str, list[str]] = {}
    for row in conn.execute(
        select(program_cohorts_table).order_by(program_cohorts_table.c.cohort_key)
    ):
        cohorts.setdefault(row.program_id, []).append(row.cohort)
    return [
        ProgramSummary(
            row.id,
            row.name,
            row.organization,
            tuple(cohorts.get(row.id, ())),
            int(row.studies),
            ORIGINS.get(row.origin, row.origin),
        )
        for row in rows
    ]


def admins(conn: Connection) -> int:
    """How many network admin grants (and admin invitations) are active."""
    return conn.scalar(
        select(func.count())
        .select_from(grants_table)
        .where(grants_table.c.role == Role.ADMIN.value, grants_table.c.removed_at.is_(None))
    )


def _same_grant(grant: Grant) -> Any:
    columns = grants_table.c
    return and_(
        columns.role == grant.role.value,
        columns.program_id.is_(None)
        if grant.program_id is None
        else columns.program_id == grant.program_id,
        columns.cohort_key.is_(None)
        if grant.cohort is None
        else columns.cohort_key == grant.cohort,
    )


def _configured_before(conn: Connection, email: str) -> bool:
    """Whether the configured admin email was already given to someone: it makes one
    account an admin (the first to sign in with it, verified), like an invitation, and
    taking that access away on the People page holds."""
    return (
        conn.scalar(
            select(func.count())
            .select_from(grants_table)
            .where(grants_table.c.created_by == CONFIGURED, grants_table.c.email == email)
        )
        > 0
    )
