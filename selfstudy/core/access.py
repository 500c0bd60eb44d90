"""Who may do what: people, their roles, and the one rule every read and write is checked by.

Programs own their self-studies. A person holds grants:

- a *network admin* manages programs, cohorts, people and rubrics, and may do everything;
- a *facilitator* of a cohort reads and compares the programs in that cohort, and
  begins or imports new self-studies of them (a whole cohort's sheet copies in one go),
  but never changes, deletes or shares a stored one;
- a *program member* begins, answers, imports, exports, deletes and restores the
  self-studies of their program, and invites others to it;
- a *program viewer* reads them.

A facilitator holds `CREATE` and no more, so that they can gather a cohort's sheet
copies and import them in one go: a *new* self-study adds a round beside a program's
others and changes none of them. Changing what a program stored (`EDIT`: answering,
updating a study from a copy), deleting it and inviting people stay the members'. The
storage bounds where such a study goes (`Storage._program_owners`): to a program in one of
their cohorts, or to a new program whose copy names one of them; a copy naming a cohort
they do not facilitate is refused, since it would add the program to that cohort and
show it to its facilitators. Team studies and improvement plans ask for `EDIT`, so a
facilitator leads neither.

Without sign-in the app is a single-team tool on one machine: its one actor may do
everything (`Actor.local`). The rule lives here, pure; `edges.storage` applies it to
every operation, so a page that forgets to hide something still shows nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from selfstudy.core.problems import Problem, ProblemsFound


class Role(StrEnum):
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def title(self) -> str:
        return ROLE_TITLES[self]


ROLE_TITLES = {
    Role.ADMIN: "network admin",
    Role.FACILITATOR: "facilitator",
    Role.MEMBER: "program member",
    Role.VIEWER: "program viewer",
}


class Action(StrEnum):
    READ = "read"  # open a study, its results, history, reports and downloads
    COMPARE = "compare"  # see it in a cohort comparison
    EDIT = "edit"  # answer, change program details, import into it, sync it, restore a value
    CREATE = "create"  # begin or import a new self-study of the program
    DELETE = "delete"  # delete a self-study, or restore a deleted one
    INVITE = "invite"  # give others access to the program
    MANAGE = "manage"  # programs, cohorts, people, the pseudonym secret: network admins


# What each role may do within its scope (admins: everything, everywhere).
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.MEMBER: frozenset(
        {Action.READ, Action.COMPARE, Action.EDIT, Action.CREATE, Action.DELETE, Action.INVITE}
    ),
    Role.VIEWER: frozenset({Action.READ, Action.COMPARE}),
    Role.FACILITATOR: frozenset({Action.READ, Action.COMPARE, Action.CREATE}),
}


# The roles a program member may give to others in their own program.
MEMBER_MAY_INVITE = (Role.MEMBER, Role.VIEWER)


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the OpenID Connect provider names them."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None

    @property
    def label(self) -> str:
        """How the history and the pages name them: their email, when the provider verified
        it (anyone can type any address into an account), else their name or subject."""
        if self.email and self.email_verified:
            return self.email
        who = self.name or f"{self.subject} at {self.issuer}"
        return f"{who} (email not verified)" if self.email else who


@dataclass(frozen=True)
class Grant:
    """One role a person holds: network-wide (admin), in a cohort or in a program."""

    role: Role
    program_id: str | None = None  # members and viewers
    cohort: str | None = None  # facilitators (a cohort's normalised name)


@dataclass(frozen=True)
class Actor:
    """Whoever an operation is done for: a signed-in person with grants, or the local user."""

    label: str  # what the history records as who made a change
    grants: frozenset[Grant] = field(default_factory=frozenset)
    person_id: str | None = None
    everything: bool = False  # the single-team tool without sign-in, or the server's operator

    @classmethod
    def local(cls, label: str = "") -> Actor:
        """The one user of an app without sign-in, or a command run on the server itself."""
        return cls(label=label, everything=True)

    @property
    def is_admin(self) -> bool:
        return self.everything or any(g.role is Role.ADMIN for g in self.grants)

    @property
    def program_ids(self) -> frozenset[str]:
        """The programs this actor holds a program role in."""
        return frozenset(g.program_id for g in self.grants if g.program_id)

    @property
    def cohorts(self) -> frozenset[str]:
        """The cohorts this actor facilitates (normalised names)."""
        return frozenset(g.cohort for g in self.grants if g.role is Role.FACILITATOR and g.cohort)

    def may(self, action: Action, program_id: str | None, cohorts: Collection[str] = ()) -> bool:
        """Whether this actor may do `action` to the program `program_id` (in `cohorts`)."""
        if self.is_admin:
            return True
        if program_id is None:
            return False
        wanted = {normal_name(c) for c in cohorts}
        for grant in self.grants:
            in_scope = grant.program_id == program_id or (
                grant.role is Role.FACILITATOR and grant.cohort in wanted
            )
            if in_scope and action in ALLOWED[grant.role]:
                return True
        return False

    def programs_for(self, action: Action) -> frozenset[str]:
        """The programs this actor may do `action` to through a program role (not cohorts)."""
        return frozenset(
            g.program_id for g in self.grants if g.program_id and action in ALLOWED[g.role]
        )

    def cohorts_for(self, action: Action) -> frozenset[str]:
        """The cohorts whose programs this actor may do `action` to, as a facilitator."""
        if action not in ALLOWED[Role.FACILITATOR]:
            return frozenset()
        return self.cohorts

    def may_grant(self, grant: Grant) -> bool:
        """Whether this actor may give (or take away) `grant`: admins any, members their own."""
        if self.is_admin:
            return True
        return (
            grant.role in MEMBER_MAY_INVITE
            and grant.program_id is not None
            and self.may(Action.INVITE, grant.program_id)
        )


ASK_FOR_ACCESS = "ask a network admin, or a member of the program, to invite you"


class NoAccess(ProblemsFound):
    """The actor may not do this; nothing was read or written.

    It says what was refused, never what the thing holds: a link to another
    program's self-study learns only that it exists.
    """

    def __init__(self, what: str, how: str = ASK_FOR_ACCESS):
        super().__init__([Problem("no-access", what, f"you do not have access to this; {how}")])


NOBODY = Actor(label="nobody")  # may do nothing: what a server holds before anyone signs in


def normal_name(text: str) -> str:
    """A name as programs and cohorts are matched: case, accents' forms and spacing aside."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def program_key(program_id: str | None, name: str) -> str:
    """What makes two self-studies one program's: its program id, else its normalised name."""
    if program_id and program_id.strip():
        return "id:" + normal_name(program_id)
    return "name:" + normal_name(name)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normal_email(email: str) -> str:
    """An email as invitations and `SELFSTUDY_ADMINS` match it: ASCII letters in either case
    are one address; any other character must match exactly (full Unicode case folding would
    make `maß` and `mass`, two different domains, one)."""
    return email.strip().translate(_ASCII_LOWER)


def admins_from_setting(text: str) -> frozenset[str]:
    """The configured first admins: emails separated by commas, semicolons or spaces."""
    return frozenset(normal_email(e) for e in re.split(r"[,;\s]+", text) if e.strip())


def grants_text(
    grants: Iterable[Grant], program_names: dict[str, str], cohort_names: dict[str, str]
) -> str:
    """The grants in words, e.g. `program member of Bridge Academy; facilitator of cohort
    2025`; cohorts as written (`cohort_names`, by normalised name), programs by name."""
    parts = []
    for grant in sorted(grants, key=lambda g: (g.role, g.program_id or "", g.cohort or "")):
        if grant.role is Role.ADMIN:
            parts.append(grant.role.title)
        elif grant.cohort is not None:
            cohort = cohort_names.get(grant.cohort, grant.cohort)
            parts.append(f"{grant.role.title} of cohort {cohort}")
        else:
            name = program_names.get(grant.program_id or "", "a removed program")
            parts.append(f"{grant.role.title} of {name}")
    return "; ".join(parts) or "no access"
