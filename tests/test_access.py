"""Who may do what, checked below the pages: every role against every operation.

A network of two programs (A in the 2025 cohort, B in the 2026 cohort, see
`tests.access_people`) and its people: a network admin, a facilitator of each
cohort, a member and a viewer of A, a member of B, a person signed in without any
access, and a person invited whose email her provider never verified. Each
operation is done through the function the app's pages and the command line call
(the workflows), else the `Storage` method, as that person. A refused operation
raises `NoAccess`, and nothing in the database (answers, history, sync bases,
people, grants, programs) and nothing in the spreadsheet changed; an allowed one
does what a person then sees. Lists hold exactly the studies the person may see.

Every test runs on SQLite and, when `SELFSTUDY_TEST_POSTGRES_URL` is set (as `make
test` does), on a real PostgreSQL server too.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from selfstudy.core.access import Identity, NoAccess
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rounds import same_program
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges import gsheets
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.reports.scores_csv import scores_csv
from selfstudy.edges.storage import Storage, StudyNotFound
from selfstudy.workflows import cohorts, history, imports, reports, sheet_sync, studies
from tests.access_people import (
    A_COHORT,
    A_NAME,
    B_COHORT,
    B_NAME,
    ISSUER,
    PERSON,
    ROLES,
    Network,
    build,
    put_back,
    save,
)
from tests.conftest import POSTGRES_URL, fresh_postgres_url

KEY = "1AccessRulesSheet0123456789abcdefghijklmnop"

ADMINS = frozenset({"local", "admin"})
EDITORS_A = ADMINS | {"member A"}  # answer, import, sync, delete, restore, invite in A
READERS_A = EDITORS_A | {"viewer A", "facilitator"}  # read, export, compare A
EDITORS_B = ADMINS | {"member B"}
# begin or import new studies: a facilitator too, of their cohorts' programs (not change them)
CREATORS_A = EDITORS_A | {"facilitator"}
CREATORS_B = EDITORS_B | {"outside facilitator"}


# --- the network, built once per database and put back before each test -----------------


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL,
                reason="SELFSTUDY_TEST_POSTGRES_URL not set (make test starts a server)",
            ),
        ),
    ],
)
def built(request, tmp_path_factory, sample_set) -> Network:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('network') / 'network.db'}"
    else:
        url = fresh_postgres_url(POSTGRES_URL)
    network = build(url, sample_set)
    save(network)
    yield network
    network.close()


@pytest.fixture
def net(built) -> Network:
    """The network as it was built, whatever the test before did to it."""
    put_back(built)
    built.untouched = False  # until the test finds it so
    return built


@pytest.fixture(autouse=True)
def no_default_database(monkeypatch, tmp_path):
    """A workflow that falls back on the app's own database finds an empty one here, never
    the checkout's."""
    monkeypatch.delenv("SELFSTUDY_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFSTUDY_DB", str(tmp_path / "default.db"))


@pytest.fixture
def sheet(server):
    """An empty spreadsheet on the local Sheets stand-in."""
    server.reset()
    server.create(KEY)
    return server


@pytest.fixture
def client(sheet):
    client = gsheets.connect(Credentials(token="test-token"), endpoint=sheet.url)
    client.http_client.sleep = lambda seconds: None
    return client


def sheet_cells(standin) -> dict[str, Any]:
    """What the spreadsheet holds, tab by tab."""
    spreadsheet = standin.spreadsheets[KEY]
    return {tab.title: (dict(tab.cells), dict(tab.validations)) for tab in spreadsheet.sheets}


@dataclass(repr=False)
class World:
    """What an operation works with: the network, the rubric, the spreadsheet."""

    net: Network
    rubric: Any
    samples: list[SelfStudy]
    client: Any
    sheet: Any


@pytest.fixture
def world(net, default_rubric, sample_set, client, sheet) -> World:
    return World(net, default_rubric, sample_set, client, sheet)


# --- the operations --------------------------------------------------------------------------


def with_evidence(study: SelfStudy, item_id: str, evidence: str) -> SelfStudy:
    answers = dict(study.answers)
    answers[item_id] = (answers.get(item_id) or Answer()).model_copy(update={"evidence": evidence})
    return study.model_copy(update={"answers": answers})


def newest_change(w: World, study_id: str):
    return w.net.local.history(study_id)[0]


def evidence_now(w: World, study_id: str) -> str:
    return w.net.local.get_study(study_id).study.answers[w.net.item].evidence


def study_ids(w: World) -> set[str]:
    return {s.id for s in w.net.local.list_studies()}


def in_program(w: World, program_id: str) -> set[str]:
    return {s.id for s in w.net.local.list_studies() if s.program_id == program_id}


@dataclass(frozen=True)
class Operation:
    name: str
    allowed: frozenset[str]
    do: Callable[[Storage, World], Any]
    done: Callable[[World, str, Any], None]  # what whoever was allowed sees afterwards
    prepare: Callable[[World], Any] | None = None  # done by the network's operator first

    def __str__(self) -> str:
        return self.name


# reading ----------------------------------------------------------------------------------


def read(store: Storage, w: World):
    return store.get_study(w.net.a_base)


def read_done(w: World, role: str, stored) -> None:
    assert stored.study.program.name == A_NAME
    assert stored.study == w.net.local.get_study(w.net.a_base).study


def read_history(store: Storage, w: World):
    return history.history_lines(store, w.net.a_base)


def read_history_done(w: World, role: str, lines) -> None:
    assert [line.new for line in lines if line.item == w.net.item][-1] == "Rewritten at setup"


def export(store: Storage, w: World):
    """The Results page's downloads of A's follow-up, compared with its baseline."""
    stored = store.get_study(w.net.a_follow)
    others = [s for sid, s in store.all_studies() if sid != w.net.a_follow]
    previous = reports.previous_among(stored.study, others)
    result = score(w.rubric, stored.study)
    return (
        history.history_document(store, w.net.a_follow),
        scores_csv(w.rubric, stored.study, result),
        html_report(w.rubric, stored.study, result, previous),
        previous,
    )


def export_done(w: World, role: str, out) -> None:
    document, csv, html, previous = out
    assert document["program"]["name"] == A_NAME and document["history"]
    assert csv.strip()
    assert A_NAME in html
    assert previous is not None and previous[0].program.round == "baseline"


def read_sync_base(store: Storage, w: World):
    return store.get_sync_base(w.net.a_base, "gsheet:" + KEY)


def push_base(w: World) -> None:
    sheet_sync.push(sheet_sync.open_stored(w.net.local, w.net.a_base), w.client, KEY)


def read_sync_base_done(w: World, role: str, base) -> None:
    assert base is not None and w.net.item in base


# answering and changing -------------------------------------------------------------------


def answer(store: Storage, w: World):
    seen = w.net.local.get_study(w.net.a_base).field_revisions[w.net.item]["evidence"]
    return store.save_field(w.net.a_base, w.net.item, "evidence", "Typed just now", seen)


def answer_done(w: World, role: str, _) -> None:
    assert evidence_now(w, w.net.a_base) == "Typed just now"
    assert newest_change(w, w.net.a_base).changed_by == w.net.label(role)


def change_details(store: Storage, w: World):
    program = w.net.local.get_study(w.net.a_base).study.program
    store.update_program(w.net.a_base, program.model_copy(update={"organization": "Renamed"}))


def change_details_done(w: World, role: str, _) -> None:
    assert w.net.local.get_study(w.net.a_base).study.program.organization == "Renamed"
    assert newest_change(w, w.net.a_base).changed_by == w.net.label(role)


def copy_of_a(w: World) -> SelfStudy:
    return with_evidence(w.net.local.get_study(w.net.a_base).study, w.net.item, "From the copy")


def every_copy_refused(out):
    """What `save_copies` returned, or `NoAccess` when it saved nothing and refused each copy
    for access: a facilitator is told of each copy where it is, not in one refusal."""
    saved, problems = out
    if not saved and problems and {p.code for p in problems} == {"no-access"}:
        raise NoAccess(", ".join(p.location for p in problems))
    return out


def import_update(store: Storage, w: World):
    source = imports.Source("bridge-baseline.xlsx", "bridge-baseline", lambda: None)
    return every_copy_refused(
        imports.save_copies(store, [(source, copy_of_a(w))], on_match="update")
    )


def import_update_done(w: World, role: str, out) -> None:
    saved, problems = out
    assert not problems and [s.study_id for s in saved] == [w.net.a_base] and saved[0].updated
    assert evidence_now(w, w.net.a_base) == "From the copy"


def import_new(store: Storage, w: World):
    source = imports.Source("bridge-baseline.xlsx", "bridge-baseline", lambda: None)
    return every_copy_refused(
        imports.save_copies(store, [(source, copy_of_a(w))], on_match="keep-both")
    )


def import_new_done(w: World, role: str, out) -> None:
    saved, problems = out
    assert not problems
    [copy] = saved
    assert copy.study_id in in_program(w, w.net.a)


def pull_new(store: Storage, w: World):
    """Import & sync: pull a Google Sheet copy of A and keep it as a new study."""
    pulled = sheet_sync.pull(w.client, KEY)
    assert pulled.study is not None, pulled.problems
    return sheet_sync.keep_pulled_in_database(pulled.study, KEY, store)


def sheet_of_a(w: World) -> None:
    gsheets.push(w.client, KEY, copy_of_a(w), w.rubric)


def pull_new_done(w: World, role: str, study_id: str) -> None:
    assert study_id in in_program(w, w.net.a)
    base = w.net.local.get_sync_base(study_id, "gsheet:" + KEY)
    assert (base is None) == (role == "facilitator")  # who may not sync it sets no base


def push(store: Storage, w: World):
    return sheet_sync.push(sheet_sync.open_stored(store, w.net.a_base), w.client, KEY)


def push_done(w: World, role: str, _) -> None:
    pulled = gsheets.pull(w.client, KEY)
    assert pulled.study == w.net.local.get_study(w.net.a_base).study
    assert w.net.local.get_sync_base(w.net.a_base, "gsheet:" + KEY) is not None


def edited_sheet(w: World) -> None:
    """A was pushed to the sheet, and someone then changed an evidence in the sheet."""
    push_base(w)
    gsheets.push(w.client, KEY, copy_of_a(w), w.rubric)


def sync(store: Storage, w: World):
    return sheet_sync.sync(sheet_sync.open_stored(store, w.net.a_base), w.client, KEY)


def sync_done(w: World, role: str, _) -> None:
    assert evidence_now(w, w.net.a_base) == "From the copy"
    assert newest_change(w, w.net.a_base).changed_by == w.net.label(role)


def set_sync_base(store: Storage, w: World):
    store.set_sync_base(w.net.a_base, "gsheet:" + KEY, {"kept": "by hand"})


def set_sync_base_done(w: World, role: str, _) -> None:
    assert w.net.local.get_sync_base(w.net.a_base, "gsheet:" + KEY) == {"kept": "by hand"}


# deleting and restoring --------------------------------------------------------------------


def delete(store: Storage, w: World):
    return history.delete(store, w.net.a_base)


def delete_done(w: World, role: str, summary) -> None:
    assert summary.id == w.net.a_base
    assert w.net.a_base not in study_ids(w)
    assert w.net.a_base in {s.id for s in w.net.local.deleted_studies()}
    assert newest_change(w, w.net.a_base).changed_by == w.net.label(role)


def restore(store: Storage, w: World):
    return history.restore(store, w.net.a_gone)


def restore_done(w: World, role: str, summary) -> None:
    assert summary.id == w.net.a_gone and w.net.a_gone in study_ids(w)
    assert newest_change(w, w.net.a_gone).changed_by == w.net.label(role)


def restore_value(store: Storage, w: World):
    return history.restore_value(store, w.net.a_base, w.net.first_change)


def restore_value_done(w: World, role: str, restored) -> None:
    assert restored.changed and evidence_now(w, w.net.a_base) == w.net.first_evidence
    assert newest_change(w, w.net.a_base).changed_by == w.net.label(role)


def purge(store: Storage, w: World):
    return history.purge_deleted(store, timedelta(0))


def purge_done(w: World, role: str, removed) -> None:
    assert {s.id for s in removed} == {w.net.a_gone, w.net.b_gone}
    assert w.net.local.deleted_studies() == []


# beginning studies -------------------------------------------------------------------------


def begin_in(program: str):
    """The Start page's form: a member chooses one of their programs, and a new round begins."""

    def do(store: Storage, w: World):
        program_id = {"A": w.net.a, "B": w.net.b}[program]
        name = {"A": A_NAME, "B": B_NAME}[program]
        return studies.begin_study(store, w.rubric, name, round="2027", program_id=program_id)

    return do


def begun_in(program: str):
    def done(w: World, role: str, study_id: str) -> None:
        assert study_id in in_program(w, {"A": w.net.a, "B": w.net.b}[program])
        assert len(w.net.local.programs()) == 2

    return done


def begin_new_program(store: Storage, w: World):
    return studies.begin_study(store, w.rubric, "Harbor Lights Robotics Club", cohort=A_COHORT)


def begun_new_program(w: World, role: str, study_id: str) -> None:
    [summary] = [s for s in w.net.local.list_studies() if s.id == study_id]
    assert summary.program_id not in (w.net.a, w.net.b)
    assert "Harbor Lights Robotics Club" in {p.name for p in w.net.local.programs()}


def load_samples(store: Storage, w: World):
    return studies.load_samples(store)


def samples_loaded(w: World, role: str, count: int) -> None:
    assert count == len(w.samples)
    assert len(study_ids(w)) == 3 + len(w.samples)


# people -------------------------------------------------------------------------------------

NEW_PERSON = "newcomer@example.org"


def invite(role: str, program: str | None = None, cohort: str | None = None):
    def do(store: Storage, w: World):
        program_id = {"A": w.net.a, "B": w.net.b, None: None}[program]
        return store.invite(NEW_PERSON, role, program_id=program_id, cohort=cohort)

    return do


def invited(w: World, role: str, grant_id: int) -> None:
    [entry] = [e for e in w.net.local.access() if e.email == NEW_PERSON]
    assert entry.grant_id == grant_id and entry.pending
    assert entry.created_by == (w.net.label(role) or "")


def remove(whose: str):
    def do(store: Storage, w: World):
        return store.remove_access(w.net.grants[whose])

    return do


def removed(whose: str):
    def done(w: World, role: str, _) -> None:
        person_id, label = w.net.people[whose]
        assert w.net.local.actor_of(person_id, label).grants == frozenset()
        assert w.net.grants[whose] not in {e.grant_id for e in w.net.local.access()}

    return done


def add_program(store: Storage, w: World):
    return store.add_program("Harbor Lights Robotics Club", cohorts=[A_COHORT])


def program_added(w: World, role: str, program_id: str) -> None:
    assert program_id in {p.id for p in w.net.local.programs()}


def b_into_2025(store: Storage, w: World):
    store.set_cohort(w.net.b, A_COHORT)


def b_in_2025(w: World, role: str, _) -> None:
    fay = w.net.store("facilitator")
    assert w.net.b_base in {s.id for s in fay.list_studies()}


def made_secret(w: World) -> None:
    w.net.local.pseudonym_secret()  # made on first use


def rotate(store: Storage, w: World):
    before = w.net.local.pseudonym_secret()
    store.rotate_pseudonym_secret()
    return before


def rotated(w: World, role: str, before: str) -> None:
    assert w.net.local.pseudonym_secret() != before


OPERATIONS = [
    Operation("read a study", READERS_A, read, read_done),
    Operation("read its history", READERS_A, read_history, read_history_done),
    Operation("download its report and history", READERS_A, export, export_done),
    Operation("read its sync base", READERS_A, read_sync_base, read_sync_base_done, push_base),
    Operation("answer", EDITORS_A, answer, answer_done),
    Operation("change program details", EDITORS_A, change_details, change_details_done),
    Operation("import a copy as an update", EDITORS_A, import_update, import_update_done),
    Operation("import a copy as a new study", CREATORS_A, import_new, import_new_done),
    Operation("pull a sheet in as a new study", CREATORS_A, pull_new, pull_new_done, sheet_of_a),
    Operation("push to a sheet", EDITORS_A, push, push_done),
    Operation("sync with a sheet", EDITORS_A, sync, sync_done, edited_sheet),
    Operation("remember a sync base", EDITORS_A, set_sync_base, set_sync_base_done),
    Operation("delete", EDITORS_A, delete, delete_done),
    Operation("restore a deleted study", EDITORS_A, restore, restore_done),
    Operation("restore a value from the history", EDITORS_A, restore_value, restore_value_done),
    Operation("purge deleted studies", ADMINS, purge, purge_done),
    Operation("begin a round of A", CREATORS_A, begin_in("A"), begun_in("A")),
    Operation("begin a round of B", CREATORS_B, begin_in("B"), begun_in("B")),
    # a new program naming the 2025 cohort: its facilitator may add it, in that cohort
    Operation(
        "begin a new program", ADMINS | {"facilitator"}, begin_new_program, begun_new_program
    ),
    Operation("load the samples", ADMINS, load_samples, samples_loaded),
    Operation("invite a member of A", EDITORS_A, invite("member", "A"), invited),
    Operation("invite a viewer of A", EDITORS_A, invite("viewer", "A"), invited),
    Operation("invite a member of B", EDITORS_B, invite("member", "B"), invited),
    Operation("invite a facilitator", ADMINS, invite("facilitator", cohort=A_COHORT), invited),
    Operation("invite an admin", ADMINS, invite("admin"), invited),
    Operation("remove A's viewer", EDITORS_A, remove("viewer A"), removed("viewer A")),
    Operation("remove B's member", EDITORS_B, remove("member B"), removed("member B")),
    Operation("remove a facilitator", ADMINS, remove("facilitator"), removed("facilitator")),
    Operation("add a program", ADMINS, add_program, program_added),
    Operation("put B in the 2025 cohort", ADMINS, b_into_2025, b_in_2025),
    Operation("rotate the pseudonym secret", ADMINS, rotate, rotated, made_secret),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_each_role_may_do_exactly_what_its_access_allows(world, operation, role):
    if operation.prepare is not None:
        operation.prepare(world)
    store = world.net.store(role)
    # as built (`net` has just put it back), or as the operator's preparation left it
    rows = world.net.rows() if operation.prepare else world.net.as_built
    cells = sheet_cells(world.sheet)
    if role in operation.allowed:
        outcome = operation.do(store, world)
        operation.done(world, role, outcome)
    else:
        with pytest.raises(NoAccess) as refused:
            operation.do(store, world)
        assert [p.code for p in refused.value.problems] == ["no-access"]
        after = world.net.rows()
        assert after == rows, "a refused operation wrote to the database"
        assert sheet_cells(world.sheet) == cells, "a refused operation wrote to the sheet"
        world.net.untouched = after == world.net.as_built  # the next test has nothing to undo


# --- what each role sees ------------------------------------------------------------------------

READ_PROGRAMS = {
    "local": "AB",
    "admin": "AB",
    "facilitator": "A",  # of the 2025 cohort
    "outside facilitator": "B",  # of the 2026 cohort
    "member A": "A",
    "viewer A": "A",
    "member B": "B",
    "no access": "",
    "unverified": "",
}
DELETE_PROGRAMS = {"local": "AB", "admin": "AB", "member A": "A", "member B": "B"}
BEGIN_PROGRAMS = DELETE_PROGRAMS | {"facilitator": "A", "outside facilitator": "B"}


def live(net: Network, programs: str) -> set[str]:
    return {
        sid for p in programs for sid in {"A": (net.a_base, net.a_follow), "B": (net.b_base,)}[p]
    }


def gone(net: Network, programs: str) -> set[str]:
    return {{"A": net.a_gone, "B": net.b_gone}[p] for p in programs}


def names(programs: str) -> set[str]:
    return {{"A": A_NAME, "B": B_NAME}[p] for p in programs}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_searches_and_compares_exactly_the_studies_it_may_read(
    net, role, default_rubric
):
    store = net.store(role)
    visible = READ_PROGRAMS[role]
    expected = live(net, visible)
    assert {s.id for s in store.list_studies()} == expected
    assert store.fingerprint()[0] == len(expected)
    assert {s.id for s in studies.matching(store.list_studies(), "network cohort")} == expected
    found_b = {s.id for s in studies.matching(store.list_studies(), "young engineers")}
    assert found_b == live(net, visible.replace("A", ""))
    # the Cohorts page and `selfstudy cohort` compare what `all_studies` gives them
    compared = store.all_studies()
    assert {sid for sid, _ in compared} == expected
    if expected:
        rubric, chosen = cohorts.rubric_and_studies(compared, default_rubric.id)
        kept, _ = cohorts.comparable(chosen, rubric)
        scores, _ = cohorts.scores_of(rubric, kept)
        shown = cohorts.choose(scores)
        assert set(shown.programs["program"]) == names(visible)
    assert {p.name for p in store.programs()} == names(visible)
    assert {p.name for p in store.programs_to_begin_in()} == names(BEGIN_PROGRAMS.get(role, ""))
    assert {s.id for s in store.deleted_studies()} == gone(net, DELETE_PROGRAMS.get(role, ""))
    assert {s.id for s in history.recently_deleted(store)} == gone(
        net, DELETE_PROGRAMS.get(role, "")
    )


ACCESS_SEEN = {
    "local": {p.email for p in PERSON.values()},
    "admin": {p.email for p in PERSON.values()},
    "member A": {PERSON[r].email for r in ("member A", "viewer A", "unverified")},
    "member B": {PERSON["member B"].email},
}


@pytest.mark.parametrize("role", ROLES)
def test_the_people_list_shows_admins_everyone_and_members_their_programs_people(net, role):
    assert {e.email for e in net.store(role).access()} == ACCESS_SEEN.get(role, set())


# --- a direct link, a facilitator outside the cohort, access taken away -----------------------


def b_secrets(net: Network) -> list[str]:
    """What B's study holds that a person without access must not learn from a message."""
    b = net.local.get_study(net.b_base).study
    texts = [B_NAME, b.program.organization, B_COHORT, "2026"]
    texts += [a.evidence for a in b.answers.values() if len(a.evidence) > 8][:20]
    return [t for t in texts if t]


def test_a_direct_link_to_another_programs_study_says_no_access_and_shows_nothing(net, server):
    mia = net.store("member A")
    rows = net.rows()
    attempts = {
        "open it": lambda: mia.get_study(net.b_base),
        "its history": lambda: history.history_lines(mia, net.b_base),
        "its download": lambda: history.history_document(mia, net.b_base),
        "its sync base": lambda: mia.get_sync_base(net.b_base, "gsheet:" + KEY),
        "sync it": lambda: sheet_sync.open_stored(mia, net.b_base),
        "answer it": lambda: mia.save_field(net.b_base, "PG.1.a", "notes", "mine", None),
        "delete it": lambda: history.delete(mia, net.b_base),
        "restore it": lambda: history.restore(mia, net.b_gone),
        "restore a value": lambda: history.restore_value(mia, net.b_base, 1),
    }
    for what, attempt in attempts.items():
        with pytest.raises(NoAccess) as refused:
            attempt()
        said = str(refused.value) + " ".join(str(p) for p in refused.value.problems)
        assert "you do not have access" in said, what
        for secret in b_secrets(net):
            assert secret not in said, (what, secret)
    assert net.rows() == rows
    with pytest.raises(StudyNotFound):  # a link to no study at all is told apart, as before
        mia.get_study("no-such-study")


def test_a_facilitator_reads_and_compares_their_cohort_only_and_never_changes_answers(net):
    fay, otto = net.store("facilitator"), net.store("outside facilitator")
    assert fay.get_study(net.a_base).study.program.name == A_NAME
    assert otto.get_study(net.b_base).study.program.name == B_NAME
    for store, other in ((fay, net.b_base), (otto, net.a_base)):
        with pytest.raises(NoAccess):
            store.get_study(other)
        with pytest.raises(NoAccess):
            store.history(other)
    rows = net.rows()
    for store, own in ((fay, net.a_base), (otto, net.b_base)):
        seen = net.local.get_study(own).revisions.get("PG.1.a")
        with pytest.raises(NoAccess):
            store.save_field(own, "PG.1.a", "value", 1, seen)
        with pytest.raises(NoAccess):
            store.save_answers(own, {"PG.1.a": Answer(value=1)}, {"PG.1.a": seen})
    assert net.rows() == rows
    # an admin puts B in the 2025 cohort too: the facilitator compares it from her next page
    net.store("admin").set_cohort(net.b, A_COHORT)
    assert {sid for sid, _ in net.store("facilitator").all_studies()} == live(net, "AB")
    net.store("admin").set_cohort(net.a, A_COHORT, member=False)
    assert {sid for sid, _ in net.store("facilitator").all_studies()} == live(net, "B")
    with pytest.raises(NoAccess):
        net.store("facilitator").get_study(net.a_base)


def test_access_taken_away_holds_from_the_next_page(net):
    vic = net.store("viewer A")
    assert vic.get_study(net.a_base).study.program.name == A_NAME
    net.store("member A").remove_access(net.grants["viewer A"])
    vic = net.store("viewer A")  # each page reads the person's grants again
    with pytest.raises(NoAccess):
        vic.get_study(net.a_base)
    assert vic.list_studies() == [] and vic.all_studies() == [] and vic.programs() == []
    # the database remembers who had it and who took it away
    [kept] = [g for g in net.rows()["grants"] if g[0] == net.grants["viewer A"]]
    assert PERSON["member A"].email in kept
    assert PERSON["viewer A"].email not in {e.email for e in net.local.access() if e.role}


def test_an_invitation_is_taken_up_only_by_a_verified_email_and_only_once(net):
    uma = net.store("unverified")
    assert uma.actor.grants == frozenset() and uma.list_studies() == []
    [waiting] = [e for e in net.local.access() if e.grant_id == net.grants["unverified"]]
    assert waiting.pending
    # signing in again, still unverified, changes nothing
    again = net.local.sign_in(PERSON["unverified"].identity)
    assert again.grants == frozenset()
    # once her provider verifies the email (written in another case), it is hers
    verified = Identity(ISSUER, "sub-uma", "UMA@Bridge.example", True, "Uma")
    uma = net.local.sign_in(verified)
    assert {g.program_id for g in uma.grants} == {net.a}
    assert net.local.acting_as(uma).get_study(net.a_base).study.program.name == A_NAME
    # another account with the same verified email gets nothing: the invitation is taken
    other = net.local.sign_in(Identity("https://other.example", "42", "uma@bridge.example", True))
    assert other.person_id != uma.person_id and other.grants == frozenset()
    with pytest.raises(NoAccess):
        net.local.acting_as(other).get_study(net.a_base)


def test_an_invitation_to_an_unverified_person_waits_for_a_verified_sign_in(net):
    pat = net.local.sign_in(Identity(ISSUER, "sub-pat", "pat@bridge.example", False, "Pat"))
    grant = net.store("member A").invite("pat@bridge.example", "viewer", program_id=net.a)
    [entry] = [e for e in net.local.access() if e.grant_id == grant]
    assert entry.pending
    assert net.local.actor_of(pat.person_id, pat.label).grants == frozenset()


def test_an_unverified_email_listed_as_an_admin_is_not_an_admin(net):
    pretender = Identity("https://other.example", "7", PERSON["admin"].email, False, "Ada?")
    actor = net.local.sign_in(pretender, admins=frozenset({PERSON["admin"].email}))
    assert not actor.is_admin and actor.grants == frozenset()
    assert net.local.acting_as(actor).list_studies() == []


def test_an_invitation_taken_back_before_it_was_taken_up_gives_nothing(net):
    net.store("admin").remove_access(net.grants["unverified"])
    uma = net.local.sign_in(Identity(ISSUER, "sub-uma", "uma@bridge.example", True, "Uma"))
    assert uma.grants == frozenset()


def test_the_configured_admin_email_makes_one_account_an_admin_not_every_account_with_it(net):
    """Roles are keyed on the provider's issuer and subject, not on the email alone: once
    the configured admin has signed in, another account claiming the email is nobody."""
    admins = frozenset({PERSON["admin"].email})
    elsewhere = Identity("https://other.example", "9", PERSON["admin"].email, True, "Ada")
    actor = net.local.sign_in(elsewhere, admins=admins)
    assert not actor.is_admin
    assert net.local.acting_as(actor).list_studies() == []


def test_a_form_sent_again_by_someone_else_gives_them_nothing_of_another_program(
    net, default_rubric
):
    """`creation_key` makes a resubmitted form one study; it must not hand someone the
    id of a study they may not see."""
    key = "form-" + secrets.token_hex(8)
    mia, ben = net.store("member A"), net.store("member B")
    made = studies.begin_study(mia, default_rubric, A_NAME, creation_key=key, program_id=net.a)
    try:
        theirs = studies.begin_study(
            ben, default_rubric, B_NAME, creation_key=key, program_id=net.b
        )
    except NoAccess:
        return  # refused: nothing of A's was given
    assert theirs != made
    assert theirs in {s.id for s in ben.list_studies()}


def test_the_history_records_who_made_each_change(net):
    mia, ada = net.store("member A"), net.store("admin")
    stored = net.local.get_study(net.a_base)
    seen = stored.field_revisions[net.item]["notes"]
    mia.save_field(net.a_base, net.item, "notes", "Mia's note", seen)
    program = stored.study.program.model_copy(update={"round": "baseline 2025"})
    mia.update_program(net.a_base, program)
    history.restore_value(ada, net.a_base, net.first_change)
    history.delete(mia, net.a_base)
    history.restore(ada, net.a_base)
    lines = history.history_lines(net.store("viewer A"), net.a_base)
    who = [(line.item, line.field, line.change.changed_by) for line in lines][-5:]
    assert who == [
        (net.item, "notes", PERSON["member A"].email),
        ("program details", "round", PERSON["member A"].email),
        (net.item, "evidence", PERSON["admin"].email),
        ("self-study", "deleted", PERSON["member A"].email),
        ("self-study", "deleted", PERSON["admin"].email),
    ]
    assert lines[0].change.changed_by == "network setup"


# --- the pseudonym secret ---------------------------------------------------------------------


@pytest.fixture
def other_database(net, tmp_path) -> str:
    if net.url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}"
    return fresh_postgres_url(POSTGRES_URL)


def test_the_pseudonym_secret_is_random_per_database_kept_and_rotated_by_an_admin(
    net, other_database
):
    secret = net.local.pseudonym_secret()
    assert len(secret) >= 32
    again = Storage(net.url)
    assert again.pseudonym_secret() == secret  # another server process, the same secret
    other = Storage(other_database)
    assert other.pseudonym_secret() != secret
    net.store("admin").rotate_pseudonym_secret()
    later = Storage(net.url)
    rotated = later.pseudonym_secret()
    assert rotated != secret and net.local.pseudonym_secret() == rotated
    for store in (again, other, later):
        store.engine.dispose()


def test_pseudonyms_in_a_cohort_view_cannot_be_recomputed_from_the_public_default(
    net, monkeypatch, default_rubric
):
    """Whoever holds the program names and the code's default secret must not recompute
    the pseudonyms a network shares: the view uses the database's own secret."""
    from selfstudy.core.cohorts import DEFAULT_PSEUDONYM_SECRET

    monkeypatch.delenv("SELFSTUDY_PSEUDONYM_SECRET", raising=False)
    compared = net.store("facilitator").all_studies()
    rubric, chosen = cohorts.rubric_and_studies(compared, default_rubric.id)
    scores, _ = cohorts.scores_of(rubric, cohorts.comparable(chosen, rubric)[0])
    shown = cohorts.choose(scores, pseudonymize=True, storage=net.store("facilitator"))
    recomputed = scores.with_pseudonyms(DEFAULT_PSEUDONYM_SECRET, keep=("cohort", "round"))
    assert set(shown.programs["program"]).isdisjoint(recomputed.programs["program"])
    kept = scores.with_pseudonyms(net.local.pseudonym_secret(), keep=("cohort", "round"))
    assert list(shown.programs["program"]) == list(kept.programs["program"])


# --- programs: one program, one set of studies -------------------------------------------------


def test_an_admin_naming_an_existing_program_begins_a_round_of_it(net, default_rubric):
    """A's studies carry a program id (p01); an admin types A's name on the Start page."""
    ada = net.store("admin")
    study_id = studies.begin_study(ada, default_rubric, A_NAME, cohort=A_COHORT, round="2027")
    assert study_id in {s.id for s in net.store("member A").list_studies()}
    assert ada.add_program(A_NAME) == net.a
    assert [p.name for p in ada.programs()].count(A_NAME) == 1


def test_a_member_cannot_make_a_study_of_their_program_count_as_another_programs(
    net, default_rubric
):
    """The Cohorts page groups studies by the program their details name: a study kept in A
    must not stand in for B's round in the comparison B's facilitator sees."""
    mia = net.store("member A")
    b = net.local.get_study(net.b_base).study
    lowest = {item_id: Answer(value=1) for item_id, answer in b.answers.items()}
    posing = b.model_copy(update={"answers": lowest})
    attempts = [
        lambda: imports.save_imported(mia, posing, program_id=net.a),
        lambda: mia.update_program(net.a_follow, b.program),
    ]
    for attempt in attempts:
        with contextlib.suppress(ProblemsFound):  # refusing it is one way to keep B's B's
            attempt()
    b_ids = {s.id for s in net.local.list_studies() if s.program_id == net.b}
    for role in ("outside facilitator", "admin"):
        for study_id, study in net.store(role).all_studies():
            if same_program(study, b):
                assert study_id in b_ids, (role, study.program.round)
