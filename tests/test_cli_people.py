"""`selfstudy people`, `selfstudy programs` and `--as`, as an operator runs them on the server.

Each runs on a copy of the app's database (SQLite, and PostgreSQL too when
`SELFSTUDY_TEST_POSTGRES_URL` is set), which the commands open through
SELFSTUDY_DATABASE_URL. People sign in through `Storage.sign_in`, as the app's
sign-in names them.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from selfstudy.cli import main
from selfstudy.core.access import Identity
from selfstudy.core.cohorts import pseudonym
from selfstudy.edges.storage import Storage
from selfstudy.edges.study_files import load_study
from tests.conftest import DATA_DIR, SAMPLES_DIR, database_copy

P01 = SAMPLES_DIR / "p01-baseline.json"  # Bridge to STEM Summer Academy, cohort 2025
P02 = SAMPLES_DIR / "p02-baseline.json"  # Young Engineers of the Valley, cohort 2026
BRIDGE = "Bridge to STEM Summer Academy"
YOUNG = "Young Engineers of the Valley"
ISSUER = "https://id.example.org"
BOSS = "boss@example.org"


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def table_rows(output: str) -> list[list[str]]:
    """The cells of a terminal table's rows (after its header and rule), split on 2+ spaces."""
    lines = output.strip().splitlines()[2:]
    return [[cell.strip() for cell in line.strip().split("  ") if cell.strip()] for line in lines]


def sign_in(storage: Storage, email: str, subject: str | None = None, verified: bool = True):
    return storage.sign_in(Identity(ISSUER, subject or email, email, verified, None))


def opened(url: str, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The database at `url`, which the commands open through SELFSTUDY_DATABASE_URL."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", url)
    for name in ("SELFSTUDY_AS", "SELFSTUDY_ADMINS", "SELFSTUDY_PSEUDONYM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return Storage(url)


def two_programs(url: str) -> None:
    store = Storage(url)
    store.create_study(load_study(P01))
    store.create_study(load_study(P02))
    store.engine.dispose()


@pytest.fixture
def database(db_url: str, database_template, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The app's database, with two programs' self-studies, before anyone has access (built
    once in the session and copied for each test)."""
    built = database_template("cli-two-programs", db_url, two_programs)
    store = opened(database_copy(built, db_url), monkeypatch)
    yield store
    store.engine.dispose()


@pytest.fixture
def network(db_url: str, database_template, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The database once its first admin was invited and has signed in (built once in the
    session and copied for each test)."""

    def first_admin(url: str) -> None:
        database_copy(database_template("cli-two-programs", db_url, two_programs), url)
        with pytest.MonkeyPatch.context() as env:
            opened(url, env).engine.dispose()
            assert invoke("people", "add", BOSS, "--role", "admin").exit_code == 0
        store = Storage(url)
        sign_in(store, BOSS)
        store.engine.dispose()

    built = database_template("cli-first-admin", db_url, first_admin)
    store = opened(database_copy(built, db_url), monkeypatch)
    yield store
    store.engine.dispose()


def grant_columns(storage: Storage, email: str) -> list[tuple[str, str | None, str | None]]:
    """(role, created_by, removed_by) of every grant ever given to `email`, oldest first."""
    engine = create_engine(storage.url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT role, created_by, removed_by FROM grants WHERE email = :e ORDER BY id"),
            {"e": email},
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


# --- the first admin, and who acts once people have access --------------------------------------


def test_the_first_admin_is_added_without_as_and_then_changes_need_an_admin(database):
    result = invoke("people", "add", "Boss@Example.org", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"invited {BOSS} as network admin; it holds from their first sign-in with that email"
    )
    refused = invoke("people", "add", "m@example.org", "--role", "member", "--program", BRIDGE)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("--as: people have access to this database")
    assert "add --as with your email" in refused.stderr
    assert [e.email for e in database.access()] == [BOSS]  # nothing was given
    # reading needs no --as: the operator can read the database anyway
    listed = invoke("people", "list")
    assert listed.exit_code == 0
    assert table_rows(listed.stdout) == [
        [BOSS, "network admin", "the whole network", "invited, not signed in yet", "—"]
    ]


def test_while_no_one_is_an_admin_the_first_can_be_added_without_as(database):
    """People who signed in before anyone was made an admin do not lock the operator out."""
    sign_in(database, "early@example.org")
    listed = invoke("people", "list")
    [row] = table_rows(listed.stdout)
    assert (row[0], row[1], row[-2]) == ("early@example.org", "—", "signed in, no access")
    assert invoke("people", "add", "v@example.org", "--role", "viewer",
                  "--program", BRIDGE).exit_code == 1  # fmt: skip
    assert invoke("people", "add", BOSS, "--role", "admin").exit_code == 0
    second = invoke("people", "add", "other@example.org", "--role", "admin")
    assert second.exit_code == 1 and "--as" in second.stderr
    assert [e.email for e in database.access() if e.role] == [BOSS]


def test_an_admin_invited_signed_in_or_configured_may_act_and_the_history_names_them(
    database, monkeypatch
):
    assert invoke("people", "add", BOSS, "--role", "admin").exit_code == 0
    # invited as an admin, not signed in yet
    result = invoke("--as", BOSS, "people", "add", "m@example.org", "--role", "member",
                    "--program", BRIDGE)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert grant_columns(database, "m@example.org") == [("member", f"{BOSS} (command line)", None)]
    # signed in, named by SELFSTUDY_AS
    sign_in(database, BOSS)
    monkeypatch.setenv("SELFSTUDY_AS", BOSS)
    assert invoke("people", "add", "v@example.org", "--role", "viewer",
                  "--program", YOUNG).exit_code == 0  # fmt: skip
    assert grant_columns(database, "v@example.org")[0][1] == f"{BOSS} (command line)"
    # listed in SELFSTUDY_ADMINS, never signed in
    monkeypatch.delenv("SELFSTUDY_AS")
    monkeypatch.setenv("SELFSTUDY_ADMINS", "first@example.org, ops@example.org")
    assert invoke("--as", "OPS@example.org", "programs", "add", "Night Lab").exit_code == 0
    names = [p.name for p in database.programs()]
    assert "Night Lab" in names


def test_someone_who_is_not_an_admin_cannot_act_as_one(network):
    assert invoke("--as", BOSS, "people", "add", "m@example.org", "--role", "member",
                  "--program", BRIDGE).exit_code == 0  # fmt: skip
    sign_in(network, "m@example.org")
    for email in ("m@example.org", "stranger@example.org"):
        result = invoke("--as", email, "programs", "add", "Night Lab")
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"--as: '{email}' is not a network admin of this database; give the email of a "
            "network admin (signed in, invited as one, or listed in SELFSTUDY_ADMINS)"
        )
    assert invoke("--as", "not an email", "programs", "list").stderr.strip() == (
        "--as: 'not an email' is not an email address"
    )
    assert "Night Lab" not in [p.name for p in network.programs()]


def test_a_change_to_the_self_studies_needs_an_admin_and_is_recorded_as_theirs(network):
    study_id = next(s.id for s in network.list_studies() if s.name == BRIDGE)
    refused = invoke("delete", study_id)
    assert refused.exit_code == 1
    assert "--as:" in refused.stderr
    assert [s.id for s in network.deleted_studies()] == []
    assert invoke("--as", BOSS, "delete", study_id).exit_code == 0
    assert invoke("--as", BOSS, "restore", study_id, "--by", "Ben Ortiz").exit_code == 0
    assert [c.changed_by for c in network.history(study_id, "@study")] == [
        f"{BOSS} (Ben Ortiz)",
        f"{BOSS} (command line)",
    ]
    saved = invoke("--as", BOSS, "import", "--save", SAMPLES_DIR / "p03-baseline.json")
    assert saved.exit_code == 0, saved.output
    new_id = saved.stdout.split(" as ")[-1].strip()
    assert {c.changed_by for c in network.history(new_id)} == {f"{BOSS} (selfstudy import)"}


def test_a_database_nobody_has_access_to_is_the_local_users(database, monkeypatch):
    """Before sign-in is in use, commands act as the machine's user, as they always did."""
    monkeypatch.setattr("getpass.getuser", lambda: "ana")
    study_id = next(s.id for s in database.list_studies() if s.name == BRIDGE)
    assert invoke("delete", study_id).exit_code == 0
    assert invoke("--as", "Jo@Example.org", "restore", study_id).exit_code == 0
    assert [c.changed_by for c in database.history(study_id, "@study")] == [
        "jo@example.org (command line)",
        "ana",
    ]


# --- giving, listing and removing access --------------------------------------------------------


def test_someone_already_signed_in_gets_access_at_once(network):
    sign_in(network, "ana@example.org")
    result = invoke("--as", BOSS, "people", "add", "ANA@example.org", "--role", "member",
                    "--program", BRIDGE.upper())  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"gave ana@example.org program member of {BRIDGE}; it holds from their next page in the app"
    )
    rows = {row[0]: row for row in table_rows(invoke("people", "list").stdout)}
    assert rows["ana@example.org"][1:4] == ["program member", BRIDGE, "active"]


def test_a_program_is_named_by_its_id_or_its_name_and_a_shared_name_asks_for_the_id(network):
    ids = {p.name: p.id for p in network.programs()}
    by_id = invoke("--as", BOSS, "people", "add", "v@example.org", "--role", "viewer",
                   "--program", ids[YOUNG])  # fmt: skip
    assert f"program viewer of {YOUNG}" in by_id.stdout
    unknown = invoke("--as", BOSS, "people", "add", "v@example.org", "--role", "viewer",
                     "--program", "Nowhere")  # fmt: skip
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "program: no program is named 'Nowhere' or has it as its id"
    twin = load_study(P02)
    twin = twin.model_copy(update={"program": twin.program.model_copy(update={"id": "other"})})
    network.create_study(twin)  # another program, of the same name
    shared = invoke("--as", BOSS, "people", "add", "v@example.org", "--role", "member",
                    "--program", YOUNG)  # fmt: skip
    assert shared.exit_code == 1
    assert f"2 programs are named '{YOUNG}'" in shared.stderr
    assert ids[YOUNG] in shared.stderr and "give the id of the one you mean" in shared.stderr
    assert [e.role.value for e in network.access() if e.email == "v@example.org"] == ["viewer"]


def test_a_role_given_the_wrong_way_is_refused_in_words(network):
    for args, message in [
        (["--role", "member"], "role: a program member needs a program, and no cohort"),
        (["--role", "admin", "--cohort", "2025"], "a network admin has neither"),
        (["--role", "facilitator", "--program", BRIDGE], "a facilitator needs a cohort"),
    ]:
        result = invoke("--as", BOSS, "people", "add", "x@example.org", *args)
        assert result.exit_code == 1
        assert message in result.stderr
    bad = invoke("--as", BOSS, "people", "add", "x", "--role", "admin")
    assert bad.stderr.strip() == "email: 'x' is not an email address"
    assert not [e for e in network.access() if e.email == "x@example.org"]


def test_a_facilitator_of_a_cohort_without_programs_is_warned(network):
    ok = invoke("--as", BOSS, "people", "add", "f@example.org", "--role", "facilitator",
                "--cohort", "2025 network COHORT")  # fmt: skip
    assert ok.exit_code == 0 and "warning" not in ok.stderr
    typo = invoke("--as", BOSS, "people", "add", "f@example.org", "--role", "facilitator",
                  "--cohort", "2205")  # fmt: skip
    assert typo.exit_code == 0
    assert "warning: no program is in cohort 2205 yet" in typo.stderr


def test_people_list_for_a_program_shows_whoever_reaches_it(network):
    for args in [
        ["m@example.org", "--role", "member", "--program", BRIDGE],
        ["v@example.org", "--role", "viewer", "--program", YOUNG],
        ["f@example.org", "--role", "facilitator", "--cohort", "2025 Network cohort"],
        ["g@example.org", "--role", "facilitator", "--cohort", "2026 Network cohort"],
    ]:
        assert invoke("--as", BOSS, "people", "add", *args).exit_code == 0
    result = invoke("people", "list", "--program", BRIDGE)
    assert result.exit_code == 0, result.output
    assert [(r[0], r[1]) for r in table_rows(result.stdout)] == [
        (BOSS, "network admin"),
        ("f@example.org", "facilitator"),
        ("m@example.org", "program member"),
    ]
    everyone = table_rows(invoke("people", "list").stdout)
    assert [r[0] for r in everyone] == [BOSS, "f@example.org", "g@example.org",
                                        "m@example.org", "v@example.org"]  # fmt: skip
    assert everyone[0][-1] != "—"  # the admin signed in: last seen


def test_removing_access_names_it_when_there_is_more_than_one(network):
    for program in (BRIDGE, YOUNG):
        invoke("--as", BOSS, "people", "add", "m@example.org", "--role", "member",
               "--program", program)  # fmt: skip
    both = invoke("--as", BOSS, "people", "remove", "m@example.org")
    assert both.exit_code == 1
    assert both.stderr.strip() == (
        "email: 'm@example.org' holds more than one access: they hold program member of "
        f"{BRIDGE}; program member of {YOUNG}; name the one to remove with its role and "
        "program or cohort, or remove all of it"
    )
    wrong = invoke("--as", BOSS, "people", "remove", "m@example.org", "--role", "viewer",
                   "--program", YOUNG)  # fmt: skip
    assert wrong.exit_code == 1 and "does not hold that access" in wrong.stderr
    assert len([e for e in network.access() if e.email == "m@example.org"]) == 2
    one = invoke("--as", BOSS, "people", "remove", "m@example.org", "--role", "member",
                 "--program", YOUNG)  # fmt: skip
    assert one.stdout.strip() == (
        f"removed m@example.org's invitation as program member of {YOUNG}"
    )
    sign_in(network, "m@example.org")
    last = invoke("--as", BOSS, "people", "remove", "M@example.org")
    assert last.stdout.splitlines() == [
        f"removed m@example.org's access as program member of {BRIDGE}",
        "it ends at their next page in the app",
    ]
    assert grant_columns(network, "m@example.org") == [
        ("member", f"{BOSS} (command line)", f"{BOSS} (command line)"),
        ("member", f"{BOSS} (command line)", f"{BOSS} (command line)"),
    ]
    gone = invoke("--as", BOSS, "people", "remove", "m@example.org")
    assert gone.stderr.strip() == (
        "email: no one signing in with 'm@example.org' has access or an invitation"
    )


def test_remove_all_takes_every_access(network):
    for program in (BRIDGE, YOUNG):
        invoke("--as", BOSS, "people", "add", "m@example.org", "--role", "viewer",
               "--program", program)  # fmt: skip
    result = invoke("--as", BOSS, "people", "remove", "m@example.org", "--all")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2
    assert not [e for e in network.access() if e.email == "m@example.org"]


# --- programs -----------------------------------------------------------------------------------


def test_programs_list_reports_how_the_migration_grouped_the_old_self_studies(
    tmp_path, monkeypatch
):
    path = tmp_path / "v2.db"
    shutil.copy(DATA_DIR / "selfstudy-v2.db", path)
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", f"sqlite:///{path}")
    result = invoke("programs", "list")
    assert result.exit_code == 0, result.output
    rows = {row[0]: row for row in table_rows(result.stdout)}
    assert sorted(rows) == [
        "Bridge to STEM Summer Academy (renamed)",
        "Old Program",
        "Young Engineers of the Valley",
        "robotics CLUB",
    ]
    robotics = rows["robotics CLUB"]
    assert robotics[2:] == [
        "—",
        "2025 Network cohort; 2026 Network cohort",
        "2",
        "grouped by program name when programs were introduced",
    ]
    assert rows["Young Engineers of the Valley"][-1] == (
        "grouped by program id when programs were introduced"
    )
    assert rows["Old Program"][-2] == "0"  # its one study is deleted


def test_programs_are_added_and_put_in_cohorts_by_an_admin(network):
    added = invoke("--as", BOSS, "programs", "add", "Night  Lab", "--organization", "Town",
                   "--cohort", "2027")  # fmt: skip
    assert added.exit_code == 0, added.output
    lab = next(p for p in network.programs() if p.name == "Night Lab")
    assert added.stdout.strip() == f"added program Night Lab (id {lab.id})"
    again = invoke("--as", BOSS, "programs", "add", "night lab")
    assert again.stdout.strip() == f"there is already a program Night Lab (id {lab.id})"
    moved = invoke("--as", BOSS, "programs", "cohort", lab.id, "--add", "2028",
                   "--remove", "2027")  # fmt: skip
    assert moved.stdout.strip() == "Night Lab is in cohorts: 2028"
    row = next(r for r in table_rows(invoke("programs", "list").stdout) if r[0] == "Night Lab")
    assert row == ["Night Lab", lab.id, "Town", "2028", "0", "added"]
    assert invoke("programs", "add", "Day Lab").exit_code == 1  # no --as: refused
    assert invoke("--as", BOSS, "programs", "cohort", "Night Lab").exit_code == 2


def test_text_from_the_database_reaches_the_terminal_printable(network):
    network.add_program("Evil\x1b[2J Lab", cohorts=["co\x07hort"])
    network.sign_in(Identity(ISSUER, "x", "x@example.org", True, "Ana\x1b]0;title\x07"))
    network.invite("x@example.org", "facilitator", cohort="co\x07hort")
    for args in (["programs", "list"], ["people", "list"]):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[2J" in invoke("programs", "list").stdout


# --- the pseudonym secret -----------------------------------------------------------------------


def pseudonyms_of(*args: object, env: dict[str, str] | None = None) -> list[str]:
    # every sample counts, however unfinished: the pseudonyms of all of them are compared
    result = invoke(
        "cohort", SAMPLES_DIR, "--format", "json", "--pseudonymize", "--min-complete", "0", *args,
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    return sorted({p["program"] for c in document["changes"] for p in c["by_program"]})


def test_pseudonyms_come_from_the_databases_own_secret_which_an_admin_rotates(database):
    secret = database.pseudonym_secret()
    first = pseudonyms_of()
    samples = [load_study(p) for p in sorted(SAMPLES_DIR.glob("*.json"))]
    assert first and set(first) <= {pseudonym(s.program.id, secret) for s in samples}
    assert not set(first) & {pseudonym(s.program.id) for s in samples}  # not the old default
    assert pseudonyms_of("--from-db") == first  # the same with the database's studies in
    refused = invoke("programs", "rotate-secret")
    assert refused.exit_code == 2 and "add --yes" in refused.output
    assert pseudonyms_of() == first
    assert invoke("programs", "rotate-secret", "--yes").exit_code == 0
    rotated = pseudonyms_of()
    assert not set(rotated) & set(first)
    assert database.pseudonym_secret() != secret


def test_a_secret_set_in_the_environment_overrides_the_databases(database):
    env = {"SELFSTUDY_PSEUDONYM_SECRET": "network secret"}
    before = pseudonyms_of(env=env)
    result = invoke("programs", "rotate-secret", "--yes", env=env)
    assert "SELFSTUDY_PSEUDONYM_SECRET is set and is used instead" in result.stdout
    assert pseudonyms_of(env=env) == before
    samples = [load_study(p) for p in sorted(SAMPLES_DIR.glob("*.json"))]
    assert set(before) <= {pseudonym(s.program.id, "network secret") for s in samples}


def test_rotating_the_secret_needs_an_admin_once_people_have_access(network):
    secret = network.pseudonym_secret()
    assert invoke("programs", "rotate-secret", "--yes").exit_code == 1
    assert network.pseudonym_secret() == secret
    assert invoke("--as", BOSS, "programs", "rotate-secret", "--yes").exit_code == 0
    assert network.pseudonym_secret() != secret


def test_every_new_command_has_help_that_names_its_options():
    for args in (["people", "add"], ["people", "remove"], ["programs", "rotate-secret"]):
        result = invoke(*args, "--help")
        assert result.exit_code == 0
        assert "--" in result.output
    assert "--as EMAIL" in invoke("--help").output


def test_a_database_setting_that_cannot_be_used_is_one_line(monkeypatch):
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", "mysql://nowhere/db")
    result = invoke("people", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("SELFSTUDY_DATABASE_URL: ")
    assert result.stderr.count("\n") == 1
