"""A facilitator's import, tried as someone who wants more than it gives, and as a careless user.

The network of `tests.access_people` (A in the 2025 cohort, which Fay facilitates; B in the
2026 cohort, which Otto facilitates). Each test runs on SQLite and, when
`SELFSTUDY_TEST_POSTGRES_URL` is set, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.access import Action, NoAccess, normal_name
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.storage.database import StudiesRefused
from selfstudy.edges.workbooks import export_xlsx
from selfstudy.workflows import imports
from tests.access_people import A_COHORT, A_NAME, B_COHORT, B_NAME, Network, build
from tests.test_facilitator_import import (
    BY,
    cohorts_of,
    copy_of,
    new_program,
    program_of,
    seen_by,
    source,
)


@pytest.fixture
def net(db_url, sample_set) -> Network:
    network = build(db_url, sample_set)
    yield network
    network.close()


def refusal(store, copies, **kwargs) -> str:
    """What `create_studies` says of copies it must refuse, each for no access."""
    with pytest.raises(ProblemsFound) as refused:
        store.create_studies(copies, **kwargs)
    assert set(refused.value.codes()) <= {"no-access", "another-program"}, refused.value
    return str(refused.value)


# --- defects found ------------------------------------------------------------------------


def test_a_copy_without_a_program_id_naming_her_cohorts_program_goes_to_it(net):
    """A copy whose program id was left empty, naming program A (in her cohort) by name,
    is a new round of A, as it is for a member: before, it was refused as if A were
    outside her cohorts."""
    fay = net.store("facilitator")
    copy = copy_of(net, net.a_base, id=None, name=f"  {A_NAME.upper()} ")
    [study_id] = fay.create_studies([copy], by=BY)
    assert program_of(net, study_id) == net.a
    [with_cohort] = fay.create_studies([copy_of(net, net.a_base, id=None, round="r3")], by=BY)
    assert program_of(net, with_cohort) == net.a


def test_a_new_program_named_as_a_stored_one_is_refused_and_shadows_nothing(net):
    """A copy giving a new program id but another program's name would add a second program
    of that name: B's members could then no longer import copies naming B by name (the
    name matches two programs), and an admin adding B by name would add a third. Refused
    in the words any program outside her cohorts gets; nothing written."""
    fay, ben = net.store("facilitator"), net.store("member B")
    before = net.rows()
    for name in (B_NAME, f" {B_NAME.lower()}  "):
        copy = copy_of(net, net.b_base, id="NEW-1", name=name, cohort=A_COHORT)
        words = refusal(fay, [copy], by=BY).split(": ", 1)[1]
        assert "Young Engineers" not in words and "2026" not in words
    mine = copy_of(net, net.a_base, id="NEW-1", name=A_NAME.lower(), cohort=A_COHORT)
    assert "a program of your cohorts has this name under another program id" in refusal(
        fay, [mine], by=BY
    )
    assert net.rows() == before
    # B's member still imports a copy naming B by name only
    [study_id] = ben.create_studies([copy_of(net, net.b_base, id=None, round="r9")])
    assert program_of(net, study_id) == net.b


def test_two_copies_of_one_batch_may_not_add_two_programs_of_one_name(net):
    fay = net.store("facilitator")
    before = net.rows()
    first = new_program(net, A_COHORT)
    second = copy_of(net, net.a_base, id="harbor-2", name=first.program.name, cohort=A_COHORT)
    with pytest.raises(StudiesRefused) as refused:
        fay.create_studies([first, second], by=BY)
    assert list(refused.value.refused) == [1]
    assert net.rows() == before


# --- what held ----------------------------------------------------------------------------


def test_batch_a_program_added_then_named_with_another_cohort_or_none(net):
    fay, otto = net.store("facilitator"), net.store("outside facilitator")
    first = new_program(net, A_COHORT)
    other = copy_of(net, net.a_base, id=None, name=first.program.name, round="r2", cohort=B_COHORT)
    none = copy_of(net, net.a_base, id=None, name=first.program.name, round="r3", cohort="  ")
    before = net.rows()
    with pytest.raises(StudiesRefused) as refused:
        fay.create_studies([first, other, none], by=BY)
    assert list(refused.value.refused) == [1]
    assert "which you do not facilitate" in str(refused.value)
    assert net.rows() == before
    made = fay.create_studies([first, none], by=BY)
    added = program_of(net, made[0])
    assert program_of(net, made[1]) == added
    assert cohorts_of(net, added) == {normal_name(A_COHORT)}
    assert not seen_by(otto) & set(made)


@pytest.mark.parametrize(
    "cohort",
    [
        "2025 NETWORK\u00a0cohort",
        "\uff12\uff10\uff12\uff15 network cohort",
        "\t2025  network COHORT\n",
    ],
)
def test_her_cohort_however_written_is_her_cohort(net, cohort):
    fay = net.store("facilitator")
    [study_id] = fay.create_studies([new_program(net, cohort)], by=BY)
    assert cohorts_of(net, program_of(net, study_id)) == {normal_name(A_COHORT)}


@pytest.mark.parametrize(
    "cohort", ["2025 Network cohort\u200b", "2026 network cohort", "2025 Network cohorts", "2025"]
)
def test_a_cohort_merely_like_hers_is_refused(net, cohort):
    fay = net.store("facilitator")
    before = net.rows()
    for copy in (new_program(net, cohort), copy_of(net, net.a_base, cohort=cohort)):
        assert "which you do not facilitate" in refusal(fay, [copy], by=BY)
    assert net.rows() == before


def test_naming_a_program_outside_her_cohorts_by_id_or_into_it_is_refused(net):
    fay = net.store("facilitator")
    before = net.rows()
    for copy in (
        copy_of(net, net.b_base, cohort=A_COHORT),
        copy_of(net, net.b_base, cohort=None),
        copy_of(net, net.b_base, id=" P02 ", cohort=A_COHORT),
        copy_of(net, net.b_base, id=None, cohort=A_COHORT),  # by B's name alone
    ):
        refusal(fay, [copy], by=BY)
    with pytest.raises(NoAccess):  # B's id as the chosen program
        fay.create_studies([copy_of(net, net.a_base, cohort=None)], program_id=net.b)
    with pytest.raises(StudiesRefused):  # into A, details naming B: another program's
        fay.create_studies([copy_of(net, net.b_base, cohort=None)], program_id=net.a)
    assert net.rows() == before
    assert cohorts_of(net, net.b) == {normal_name(B_COHORT)}


@pytest.mark.parametrize("role", ["viewer A", "no access", "unverified", "member B"])
def test_others_still_add_no_program_and_no_round_outside_their_own(net, role):
    store = net.store(role)
    before = net.rows()
    for copy in (
        new_program(net, A_COHORT),
        copy_of(net, net.a_base, cohort=A_COHORT),
    ):
        refusal(store, [copy])
    assert net.rows() == before


def test_nothing_else_opens_to_her(net):
    fay = net.store("facilitator")
    [mine] = fay.create_studies([copy_of(net, net.a_base)], by=BY)
    before = net.rows()
    for study_id in (mine, net.a_base):
        with pytest.raises(NoAccess):
            fay.set_sync_base(study_id, "sheet:x", {})
        with pytest.raises(NoAccess):
            fay.make_team(study_id)
        with pytest.raises(NoAccess):
            fay.restore_value(study_id, net.first_change)
    with pytest.raises(NoAccess):
        fay.restore_study(net.a_gone)
    assert net.a_gone not in {s.id for s in fay.deleted_studies()}
    with pytest.raises(NoAccess):
        fay.set_cohort(net.b, A_COHORT)
    with pytest.raises(NoAccess):
        fay.add_program("Anything")
    with pytest.raises(NoAccess):
        fay.invite("x@example.org", "facilitator", cohort=B_COHORT)
    with pytest.raises(NoAccess):
        fay.set_sharing(net.a, True)
    assert not fay.allows(Action.EDIT, mine) and not fay.allows(Action.DELETE, mine)
    assert net.rows() == before


def test_when_every_copy_of_a_facilitator_is_refused_each_is_told_why_where_it_is(net):
    """Found clicking through: a batch of hers all refused got one member's refusal ("begin
    it in one of your own programs"), contradicting what the page tells her she may do."""
    fay = net.store("facilitator")
    other_cohort = new_program(net, B_COHORT)
    outside = copy_of(net, net.b_base, cohort=None)
    before = net.rows()
    saved, problems = imports.save_copies(
        fay, [(source("new.xlsx"), other_cohort), (source("valley.xlsx"), outside)], by=BY
    )
    assert saved == [] and net.rows() == before
    assert problems.flatten(["code", "location"]) == [
        ["no-access", "new.xlsx"],
        ["no-access", "valley.xlsx"],
    ]
    said = [str(p) for p in problems]
    assert f"names cohort '{B_COHORT}', which you do not facilitate" in said[0]
    assert "you may import self-studies of the programs in your cohorts" in said[1]
    assert not any("one of your own programs" in line for line in said)
    with pytest.raises(NoAccess, match="one of your own programs"):  # a member's: as before
        imports.save_copies(net.store("member A"), [(source("valley.xlsx"), outside)], by=BY)


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_env(net, monkeypatch):
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", net.url)
    monkeypatch.delenv("SELFSTUDY_ADMINS", raising=False)
    monkeypatch.delenv("SELFSTUDY_AS", raising=False)
    return net


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_import_as_someone_who_may_not_import_is_refused_in_words(
    cli_env, tmp_path, default_rubric
):
    net = cli_env
    copy = tmp_path / "bridge.xlsx"
    export_xlsx(copy_of(net, net.a_base), default_rubric, copy)
    before = net.rows()
    for email, why in (
        ("nobody@nowhere.example", "signed in to the app and was given a role"),
        ("nora@elsewhere.example", "signed in to the app and was given a role"),
        ("uma@bridge.example", "was invited but has not signed in to the app with it yet"),
    ):
        result = run("--as", email, "import", str(copy), "--save")
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert result.stderr.splitlines()[-1].startswith(f"--as: '{email}' "), result.stderr
        assert why in result.stderr, result.stderr
        assert "not a network admin" not in result.stderr  # import takes others' emails
    bad = run("--as", "not-an-email", "import", str(copy), "--save")
    assert "is not an email address" in bad.stderr
    viewer = run("--as", "vic@bridge.example", "import", str(copy), "--save")
    assert viewer.exit_code == 1 and "Traceback" not in viewer.output
    assert "bridge.xlsx" in viewer.stderr and "no-access" not in viewer.stdout
    assert net.rows() == before


@pytest.mark.parametrize(
    "args",
    [
        ("programs", "cohort", "PROGRAM", B_COHORT),
        ("people", "add", "x@example.org", "--role", "facilitator", "--cohort", B_COHORT),
        ("restore", "STUDY"),
        ("delete", "STUDY"),
        ("purge-deleted",),
    ],
)
def test_no_other_command_takes_a_facilitators_email(cli_env, args):
    net = cli_env
    filled = [
        {"PROGRAM": net.b, "STUDY": net.a_gone if args[0] == "restore" else net.a_base}.get(a, a)
        for a in args
    ]
    before = net.rows()
    result = run("--as", "fay@network.example", *filled)
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert net.rows() == before


def test_import_as_a_facilitator_updates_nothing(cli_env, tmp_path, default_rubric):
    net = cli_env
    stored = net.local.get_study(net.a_base).study
    copy = tmp_path / "bridge-baseline.xlsx"
    export_xlsx(stored, default_rubric, copy)
    before = net.rows()
    result = run("--as", "fay@network.example", "import", str(copy), "--save", "--update")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert net.rows() == before


def test_a_team_import_goes_as_the_person_named_and_is_refused_to_a_facilitator_in_words(
    cli_env, tmp_path, default_rubric
):
    """`import --save --team` takes the email of whoever may lead the team: a member of the
    program leads theirs; a facilitator is told a team needs one of its members."""
    net = cli_env
    folder = tmp_path / "raters"
    folder.mkdir()
    for rater in ("Ana", "Bo"):
        export_xlsx(copy_of(net, net.a_base), default_rubric, folder / f"{rater}.xlsx")
    before = net.rows()
    fay = run("--as", "fay@network.example", "import", str(folder), "--save", "--team")
    assert fay.exit_code == 1 and "Traceback" not in fay.output
    assert "not a network admin" not in fay.stderr
    assert "only a member of the program may start one" in fay.stderr, fay.stderr
    assert net.rows() == before
    mia = run("--as", "mia@bridge.example", "import", str(folder), "--save", "--team")
    assert mia.exit_code == 0, mia.output
    assert "saved a team self-study" in mia.stdout
    assert mia.stdout.count("Program director and two staff members") == 2  # both raters
