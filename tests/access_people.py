"""A small network of programs and people, built once per database and copied for each test.

Two programs from the bundled samples: A (Bridge to STEM Summer Academy, in the
2025 cohort) with its baseline and follow-up, and B (Young Engineers of the Valley,
in the 2026 cohort) with its baseline; each has a deleted self-study too. The
people sign in through `Storage.sign_in` as a provider would name them, and are
given their roles by a network admin through `Storage.invite`, some before they
first sign in and some after. One of them is invited, but her provider never
verified her email, so she must not hold the invitation.

It is built once per database; before each test the rows that differ are put back as
they were built, so every test may change the network as it likes. A test that finds
the database as built (`Network.rows() == Network.as_built`) and writes nothing after
may say so (`untouched`), and the next test starts without even reading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect, Table, delete, insert, select, tuple_

from selfstudy.core.access import Identity
from selfstudy.core.study import SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.schema import metadata

ISSUER = "https://accounts.example.test"
A_NAME = "Bridge to STEM Summer Academy"
B_NAME = "Young Engineers of the Valley"
A_COHORT = "2025 Network cohort"
B_COHORT = "2026 Network cohort"
SETUP = "network setup"

ADMIN_EMAIL = "ada@network.example"


@dataclass(frozen=True)
class Person:
    role: str  # how the tests name them
    email: str
    verified: bool = True

    @property
    def identity(self) -> Identity:
        subject = "sub-" + self.email.split("@")[0]
        return Identity(ISSUER, subject, self.email, self.verified, self.role.title())


PEOPLE = (
    Person("admin", ADMIN_EMAIL),
    Person("facilitator", "fay@network.example"),  # of the 2025 cohort: program A's
    Person("outside facilitator", "otto@network.example"),  # of the 2026 cohort: B's only
    Person("member A", "mia@bridge.example"),
    Person("viewer A", "vic@bridge.example"),
    Person("member B", "ben@valley.example"),
    Person("no access", "nora@elsewhere.example"),  # signed in, never invited
    Person("unverified", "uma@bridge.example", verified=False),  # invited as a member of A
)
ROLES = ("local", *(p.role for p in PEOPLE))  # `local`: no sign-in, the single-team tool
PERSON = {p.role: p for p in PEOPLE}


@dataclass(repr=False)
class Network:
    url: str
    a: str = ""  # program ids
    b: str = ""
    a_base: str = ""  # study ids
    a_follow: str = ""
    b_base: str = ""
    a_gone: str = ""  # deleted, restorable
    b_gone: str = ""
    item: str = ""  # an item of a_base whose evidence the setup changed
    first_evidence: str = ""  # its evidence as first stored
    first_change: int = 0  # the history entry that stored it
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # role: (person id, label)
    grants: dict[str, int] = field(default_factory=dict)  # role: the grant id it was given
    as_built: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # `rows()`, saved
    untouched: bool = False  # the database holds `as_built`, and nothing was written since
    _local: Storage | None = None

    @property
    def local(self) -> Storage:
        """The database as its operator sees it: everything."""
        if self._local is None:
            self._local = Storage(self.url)
        return self._local

    def store(self, role: str) -> Storage:
        """The database as `role` sees it, with the grants they hold now."""
        if role == "local":
            return self.local
        person_id, label = self.people[role]
        return self.local.acting_as(self.local.actor_of(person_id, label))

    def label(self, role: str) -> str:
        return "" if role == "local" else self.people[role][1]

    def close(self) -> None:
        if self._local is not None:
            self._local.engine.dispose()
            self._local = None

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, each table's in the order of its primary key: what
        "nothing was written" is checked against."""
        with self.local.engine.connect() as conn:
            return read_rows(conn)


def build(url: str, samples: list[SelfStudy]) -> Network:
    """The network, in the empty database at `url`."""
    net = Network(url)
    local = net.local
    by_name = {(s.program.id, s.program.round): s for s in samples}
    a_base = by_name[("p01", "baseline")]
    net.a_base = local.create_study(a_base, by=SETUP)
    net.a_follow = local.create_study(by_name[("p01", "follow-up")], by=SETUP)
    net.b_base = local.create_study(by_name[("p02", "baseline")], by=SETUP)
    summaries = {s.id: s for s in local.list_studies()}
    net.a, net.b = summaries[net.a_base].program_id, summaries[net.b_base].program_id
    pilot = SelfStudy(rubric=a_base.rubric, program=replace_round(a_base, "pilot"))
    net.a_gone = local.create_study(pilot, by=SETUP, program_id=net.a)
    b_pilot = by_name[("p02", "baseline")]
    net.b_gone = local.create_study(
        SelfStudy(rubric=b_pilot.rubric, program=replace_round(b_pilot, "pilot")),
        by=SETUP,
        program_id=net.b,
    )
    local.delete_study(net.a_gone, by=SETUP)
    local.delete_study(net.b_gone, by=SETUP)

    net.item = next(i for i, answer in a_base.answers.items() if answer.evidence)
    net.first_evidence = a_base.answers[net.item].evidence
    seen = local.get_study(net.a_base).field_revisions[net.item]["evidence"]
    local.save_field(net.a_base, net.item, "evidence", "Rewritten at setup", seen, by=SETUP)
    net.first_change = next(
        c.id
        for c in local.history(net.a_base, net.item)
        if c.field == "evidence" and c.new == net.first_evidence
    )

    admin = local.sign_in(PERSON["admin"].identity, admins=frozenset({ADMIN_EMAIL}))
    net.people["admin"] = (admin.person_id, admin.label)
    by_admin = local.acting_as(admin)
    # invited before they first sign in: the invitation waits for their verified email
    net.grants["facilitator"] = by_admin.invite(
        PERSON["facilitator"].email, "facilitator", cohort=A_COHORT
    )
    net.grants["member A"] = by_admin.invite(PERSON["member A"].email, "member", program_id=net.a)
    net.grants["unverified"] = by_admin.invite(
        PERSON["unverified"].email, "member", program_id=net.a
    )
    for person in PEOPLE[1:]:
        actor = local.sign_in(person.identity)
        net.people[person.role] = (actor.person_id, actor.label)
    # invited once signed in: the grant holds at once
    net.grants["viewer A"] = by_admin.invite(PERSON["viewer A"].email, "viewer", program_id=net.a)
    net.grants["member B"] = by_admin.invite(PERSON["member B"].email, "member", program_id=net.b)
    net.grants["outside facilitator"] = by_admin.invite(
        PERSON["outside facilitator"].email, "facilitator", cohort="  2026 network COHORT "
    )
    return net


def replace_round(study: SelfStudy, round_name: str):
    return study.program.model_copy(update={"round": round_name})


# --- reading every row, and putting the network back as it was built ----------------------


def _queries(dialect: Dialect) -> list[tuple[Table, str]]:
    """Each table's `SELECT` of all its columns, ordered by its primary key, as SQL text."""
    if dialect.name not in _QUERIES:
        _QUERIES[dialect.name] = [
            (table, str(select(table).order_by(*table.primary_key).compile(dialect=dialect)))
            for table in metadata.sorted_tables
        ]
    return _QUERIES[dialect.name]


_QUERIES: dict[str, list[tuple[Table, str]]] = {}


def read_rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table as plain tuples (columns in the schema's order).

    Read through the driver's own cursor: the same values as through SQLAlchemy (these
    columns are text and integers, which no type converts), several times faster, which
    matters for a read done three times in each of some 600 tests.
    """
    cursor = conn.connection.cursor()
    try:
        rows = {}
        for table, query in _queries(conn.dialect):
            cursor.execute(query)
            rows[table.name] = [tuple(row) for row in cursor.fetchall()]
        return rows
    finally:
        cursor.close()


def save(net: Network) -> None:
    """Keep every row of the network as it is now: as built, to put back before each test."""
    net.as_built = net.rows()
    net.untouched = True


def put_back(net: Network) -> None:
    """The database as it was when saved: every other row is gone.

    Only the rows that differ are written: a row that is not as saved is deleted, and a
    saved row that is missing (or was deleted for being different) is inserted again.
    A test changes a few rows of a database of some 700, and copying a database (or
    rewriting every row) before each of some 600 tests took most of their time. Nothing
    is even read when the test before found the database `untouched` (a refused
    operation, say, whose test read every row afterwards).
    """
    if net.untouched:
        return
    saved = {name: rows for name, rows in net.as_built.items() if name != "_migrations"}
    with net.local.engine.begin() as conn:
        now = read_rows(conn)
        tables = [t for t in metadata.sorted_tables if t.name in saved]
        written = False
        for table in reversed(tables):
            kept = set(saved[table.name])
            written |= _delete(conn, table, [r for r in now[table.name] if r not in kept])
        for table in tables:
            present = set(now[table.name])
            missing = [row for row in saved[table.name] if row not in present]
            if missing:
                names = [column.name for column in table.columns]
                conn.execute(insert(table), [dict(zip(names, row, strict=True)) for row in missing])
                written = True
        if written:
            again = read_rows(conn)
            assert again == net.as_built, "the network was not put back as built"


def _delete(conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> bool:
    """Delete `rows` (as `read_rows` gives them) by their primary keys; False if none."""
    columns = list(table.columns)
    key = [columns.index(column) for column in table.primary_key]
    keys = [tuple(row[i] for i in key) for row in rows]
    for start in range(0, len(keys), 400):  # well under any database's limit of parameters
        chunk = keys[start : start + 400]
        if len(key) == 1:
            where = columns[key[0]].in_([k[0] for k in chunk])
        else:
            where = tuple_(*(columns[i] for i in key)).in_(chunk)
        conn.execute(delete(table).where(where))
    return bool(rows)
