"""Who has access to what, and the programs they are given: the People page and `selfstudy people`.

Both faces call these functions, so a program is found by the same name or id, access is
given, listed and taken away the same way, and the same problems are said in the same words.
Access itself is checked by `Storage` for the storage's actor: these functions only find
what is meant and say what was done.

The command line acts on the server's database directly, so it is no security boundary
(whoever runs it can read the database file or its URL), but a network's history must still
say who changed what. `operator` is that rule: see its docstring.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selfstudy.core.access import Actor, Grant, Role, normal_email, normal_name
from selfstudy.core.problems import Problem, ProblemsFound, quoted
from selfstudy.edges.storage.people import EMAIL, AccessEntry, ProgramSummary, checked_grant

if TYPE_CHECKING:
    from selfstudy.edges.storage import Storage

COMMAND_LINE = "command line"  # how the history names a change made from the command line


# --- who runs the command line ------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """Whoever runs a command on the database: the machine's user, or a network admin by email."""

    actor: Actor
    email: str | None = None  # the network admin named with --as; None for the local user

    def by(self, what: str = COMMAND_LINE) -> str:
        """What the history records as who made a change: `what` (a user name, a command)
        for the local user, the admin's email with it otherwise, e.g. `ana@x.org (import)`."""
        return what if self.email is None else f"{self.email} ({what})"


LOCAL = Operator(Actor.local(COMMAND_LINE))


def operator(
    storage: Storage,
    email: str | None,
    admins: frozenset[str],
    *,
    changes: bool = True,
    adds_admin: bool = False,
) -> Operator:
    """Who a command acts as, given the email named with `--as` (or None).

    - A database nobody has access to yet (no one signed in, nobody invited) is a
      single-team tool: the command acts as the local user, or as `email` when one is
      named (the history then names it), and may do everything.
    - Otherwise `email` must name a network admin: someone signed in who holds the role,
      someone invited as one, or an email in `admins` (`SELFSTUDY_ADMINS`); the command
      then acts as that admin. A command that only reads (`changes=False`) may leave
      `email` out and read as the local user.
    - While no one is a network admin (nor invited as one), adding the first one
      (`adds_admin`) needs no email either, so an operator can bootstrap a network.

    `storage` is the database as its local user (who may read everything). Raises
    `admin-needed` when a change would otherwise be anonymous or made by a non-admin.
    """
    entries = storage.access()
    if email is None or not email.strip():
        if not entries or not changes:
            return LOCAL
        if adds_admin and not any(e.role is Role.ADMIN for e in entries):
            return LOCAL
        raise ProblemsFound(
            [
                Problem(
                    "admin-needed",
                    "--as",
                    "people have access to this database, so a change from the command line "
                    "must name the network admin who makes it: add --as with your email before "
                    "the command (selfstudy --as you@example.org …) or set SELFSTUDY_AS",
                )
            ]
        )
    email = normal_email(email)
    if not EMAIL.fullmatch(email):
        raise ProblemsFound(
            [Problem("bad-email", "--as", f"{quoted(email)} is not an email address")]
        )
    label = f"{email} ({COMMAND_LINE})"
    if not entries:
        return Operator(Actor.local(label), email)
    people = {e.person_id for e in entries if e.person_id and _same_email(e.email, email)}
    for person_id in sorted(people):
        actor = storage.actor_of(person_id, label)
        if actor.is_admin:
            return Operator(actor, email)
    invited = any(
        e.pending and e.role is Role.ADMIN and _same_email(e.email, email) for e in entries
    )
    if email in admins or invited:
        return Operator(Actor(label, frozenset({Grant(Role.ADMIN)})), email)
    raise ProblemsFound(
        [
            Problem(
                "admin-needed",
                "--as",
                f"{quoted(email)} is not a network admin of this database; give the email of "
                "a network admin (signed in, invited as one, or listed in SELFSTUDY_ADMINS)",
            )
        ]
    )


def _same_email(a: str | None, b: str) -> bool:
    return a is not None and normal_email(a) == b


# --- programs -----------------------------------------------------------------------------


def list_programs(storage: Storage) -> list[ProgramSummary]:
    """The programs the storage's actor may read, by name, each with its cohorts, number of
    live self-studies and how it came to be (`origin`: grouped by program id or name when
    programs were introduced, or added): the report of that migration."""
    return storage.programs()


def find_program(storage: Storage, name_or_id: str) -> ProgramSummary:
    """The program with this id, else the one with this name (case and spacing aside).

    Raises `unknown-program` when none is, or when several programs have the name (it
    lists their ids, one of which to give instead).
    """
    text = name_or_id.strip()
    programs = storage.programs()
    for program in programs:
        if program.id == text:
            return program
    named = [p for p in programs if normal_name(p.name) == normal_name(text)]
    if len(named) == 1:
        return named[0]
    if not named:
        message = f"no program is named {quoted(text)} or has it as its id"
    else:
        ids = ", ".join(p.id for p in named)
        message = (
            f"{len(named)} programs are named {quoted(text)} (ids {ids}); "
            "give the id of the one you mean"
        )
    raise ProblemsFound([Problem("unknown-program", "program", message)])


def add_program(
    storage: Storage, name: str, organization: str | None = None, cohorts: Iterable[str] = ()
) -> tuple[ProgramSummary, bool]:
    """Add a program (network admins) in these cohorts; the program, and whether it is new.

    A program of the same name is that program: it is put in the cohorts, nothing else.
    """
    before = {p.id for p in storage.programs()}
    program_id = storage.add_program(name, organization, tuple(cohorts))
    return _program(storage, program_id), program_id not in before


def change_cohorts(
    storage: Storage,
    program: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> ProgramSummary:
    """Put the program (a name or id) in cohorts and take it out of others (network admins).

    A cohort that a self-study of the program names comes back when that study's details
    are saved again; facilitators of a cohort read the programs in it.
    """
    found = find_program(storage, program)
    for cohort in add:
        storage.set_cohort(found.id, cohort, member=True)
    for cohort in remove:
        storage.set_cohort(found.id, cohort, member=False)
    return _program(storage, found.id)


def programs_in_cohort(storage: Storage, cohort: str) -> list[ProgramSummary]:
    """The programs in a cohort (case and spacing aside): whom its facilitators will see."""
    wanted = normal_name(cohort)
    return [p for p in storage.programs() if wanted in {normal_name(c) for c in p.cohorts}]


def _program(storage: Storage, program_id: str) -> ProgramSummary:
    return next(p for p in storage.programs() if p.id == program_id)


# --- access -------------------------------------------------------------------------------


def give_access(
    storage: Storage,
    email: str,
    role: str,
    program: str | None = None,
    cohort: str | None = None,
) -> AccessEntry:
    """Give whoever signs in with `email` a role: `admin`, or `facilitator` with a cohort, or
    `member`/`viewer` with a program (its name or id); the access as it now stands.

    Someone already signed in with that verified email holds it at once (on their next
    page: `entry.pending` is False); anyone else when they first sign in with it. Giving
    the same access twice gives it once. Admins may give any role; a program member may
    invite members and viewers to their own program (else `no-access`).
    """
    program_id = find_program(storage, program).id if program is not None else None
    grant_id = storage.invite(email, role, program_id, cohort)
    return next(e for e in storage.access() if e.grant_id == grant_id)


def list_access(storage: Storage, program: str | None = None) -> list[AccessEntry]:
    """Everyone with access, and every invitation, that the storage's actor may see.

    With a `program` (name or id): whoever has access to that program, namely its members
    and viewers, the facilitators of its cohorts and the network admins. Ordered by email,
    then role.
    """
    entries = storage.access()
    if program is not None:
        found = find_program(storage, program)
        cohorts = {normal_name(c) for c in found.cohorts}
        entries = [e for e in entries if _reaches(e.grant, found.id, cohorts)]
    return sorted(
        entries, key=lambda e: (normal_email(e.email or ""), e.role or "", e.grant_id or 0)
    )


def _reaches(grant: Grant | None, program_id: str, cohorts: set[str]) -> bool:
    if grant is None:
        return False
    return (
        grant.role is Role.ADMIN
        or grant.program_id == program_id
        or (grant.cohort is not None and grant.cohort in cohorts)
    )


def access_of(storage: Storage, email: str) -> list[AccessEntry]:
    """The access (and invitations) that the person signing in with `email` holds."""
    wanted = normal_email(email)
    return [
        e for e in list_access(storage) if e.grant_id is not None and _same_email(e.email, wanted)
    ]


def remove_access(
    storage: Storage,
    email: str,
    role: str | None = None,
    program: str | None = None,
    cohort: str | None = None,
    every: bool = False,
) -> list[AccessEntry]:
    """Take access away from whoever signs in with `email`; the access removed.

    Name the access (a role with its program or cohort) to take only that. Without a
    role, the person's one access is taken, or all of it with `every`; a person holding
    several is not guessed at (`which-access` lists what they hold). Removed access stays
    in the database as removed, with who removed it. Admins may remove any access; a
    program member, members' and viewers' of their own program (else `no-access`).
    """
    held = access_of(storage, email)
    if not held:
        raise ProblemsFound(
            [
                Problem(
                    "unknown-person",
                    "email",
                    f"no one signing in with {quoted(normal_email(email))} has access or an "
                    "invitation",
                )
            ]
        )
    if role is not None:
        program_id = find_program(storage, program).id if program is not None else None
        wanted = checked_grant(role, program_id, cohort)
        chosen = [e for e in held if e.grant == wanted]
        if not chosen:
            raise _which(email, held, "does not hold that access")
    elif len(held) == 1 or every:
        chosen = held
    else:
        raise _which(email, held, "holds more than one access")
    for entry in chosen:
        assert entry.grant_id is not None
        storage.remove_access(entry.grant_id)
    return chosen


def _which(email: str, held: list[AccessEntry], why: str) -> ProblemsFound:
    listed = "; ".join(access_words(e) for e in held)
    return ProblemsFound(
        [
            Problem(
                "which-access",
                "email",
                f"{quoted(normal_email(email))} {why}: they hold {listed}; name the one to "
                "remove with its role and program or cohort, or remove all of it",
            )
        ]
    )


def access_words(entry: AccessEntry) -> str:
    """One access in words, e.g. `program member of Bridge Academy`."""
    if entry.role is None:
        return "no access"
    if entry.role is Role.ADMIN:
        return entry.role.title
    return f"{entry.role.title} of {where_words(entry)}"


def where_words(entry: AccessEntry) -> str:
    """Where an access holds: `the whole network`, `cohort 2025`, or the program's name."""
    if entry.role is None:
        return ""
    if entry.role is Role.ADMIN:
        return "the whole network"
    if entry.role is Role.FACILITATOR:
        return f"cohort {entry.cohort}"
    return entry.program_name or "a removed program"


def status_words(entry: AccessEntry) -> str:
    """Whether the access holds yet: `active`, `invited, not signed in yet`, or, for someone
    who signed in and holds none, `signed in, no access`."""
    unverified = "" if entry.verified else ", email not verified"
    if entry.role is None:
        return "signed in, no access" + unverified
    return "invited, not signed in yet" if entry.pending else "active"
