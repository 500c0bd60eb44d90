"""A facilitator imports a whole cohort's sheet copies in one go, and gains nothing else.

The network of `tests.access_people`: program A in the 2025 cohort, B in the 2026 cohort;
Fay facilitates 2025, Otto 2026. Fay's copies go to the programs they name: a new round of
A, a new program naming her cohort (added, in it). A copy naming a cohort she does not
facilitate, or of a program outside her cohorts, is refused where it is and the others are
saved; updating a stored study from a copy stays a member's. What she imported she can
neither change nor delete, and she starts no team study and no plan.

Each test runs on SQLite and, when `SELFSTUDY_TEST_POSTGRES_URL` is set, on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.access import Action, NoAccess, normal_name
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.database import StudiesRefused
from selfstudy.edges.workbooks import export_xlsx
from selfstudy.workflows import imports, studies, teams
from tests.access_people import A_COHORT, A_NAME, B_COHORT, Network, build

BY = "fay@network.example (import)"
NEW_NAME = "Harbor Lights Robotics Club"


@pytest.fixture
def net(db_url, sample_set) -> Network:
    network = build(db_url, sample_set)
    yield network
    network.close()


def source(label: str) -> imports.Source:
    return imports.Source(label, Path(label).stem, lambda: None)


def with_program(study: SelfStudy, **details) -> SelfStudy:
    return study.model_copy(update={"program": study.program.model_copy(update=details)})


def copy_of(net: Network, study_id: str, **details) -> SelfStudy:
    """A new round of a stored study's program, as a sheet copy of it would hold it."""
    return with_program(net.local.get_study(study_id).study, **({"round": "midpoint"} | details))


def new_program(net: Network, cohort: str | None) -> SelfStudy:
    return copy_of(net, net.a_base, id=None, name=NEW_NAME, organization=None, cohort=cohort)


def program_of(net: Network, study_id: str) -> str:
    return next(s.program_id for s in net.local.list_studies() if s.id == study_id)


def cohorts_of(net: Network, program_id: str) -> set[str]:
    return {normal_name(c) for p in net.local.programs() if p.id == program_id for c in p.cohorts}


def seen_by(store: Storage) -> set[str]:
    return {s.id for s in store.list_studies()}


def test_a_facilitator_imports_their_cohorts_copies_to_the_programs_they_name(net):
    fay, otto = net.store("facilitator"), net.store("outside facilitator")
    copies = [
        (source("bridge-midpoint.xlsx"), copy_of(net, net.a_base)),
        (source("bridge-summer.xlsx"), copy_of(net, net.a_base, round="summer", cohort=None)),
        (source("harbor.xlsx"), new_program(net, "  2025 NETWORK cohort ")),
    ]
    saved, problems = imports.save_copies(fay, copies, by=BY)
    assert not problems
    assert [c.source.label for c in saved] == [label.label for label, _ in copies]
    bridge, summer, harbor = (c.study_id for c in saved)
    assert program_of(net, bridge) == program_of(net, summer) == net.a
    added = program_of(net, harbor)
    assert added not in (net.a, net.b)
    assert cohorts_of(net, added) == {normal_name(A_COHORT)}
    assert {p.name for p in fay.programs()} == {A_NAME, NEW_NAME}
    assert seen_by(fay) >= {bridge, summer, harbor}
    assert not seen_by(otto) & {bridge, summer, harbor}  # nothing reached the 2026 cohort
    assert {c.changed_by for c in net.local.history(harbor)} == {BY}


def test_a_copy_naming_a_cohort_she_does_not_facilitate_is_refused_where_it_is(net):
    fay, otto = net.store("facilitator"), net.store("outside facilitator")
    before_otto = seen_by(otto)
    copies = [
        (source("bridge.xlsx"), copy_of(net, net.a_base)),
        (source("bridge-2026.xlsx"), copy_of(net, net.a_base, round="r2", cohort=B_COHORT)),
        (source("harbor-2026.xlsx"), new_program(net, B_COHORT)),
    ]
    saved, problems = imports.save_copies(fay, copies, by=BY)
    assert [c.source.label for c in saved] == ["bridge.xlsx"]
    assert problems.flatten(["code", "location"]) == [
        ["no-access", "bridge-2026.xlsx"],
        ["no-access", "harbor-2026.xlsx"],
    ]
    for problem in problems:
        assert f"names cohort '{B_COHORT}', which you do not facilitate" in problem.message
    outcomes = imports.copy_outcomes(copies, saved, problems)
    assert [o.status for o in outcomes] == ["saved", "not saved", "not saved"]
    assert cohorts_of(net, net.a) == {normal_name(A_COHORT)}  # A never joined 2026
    assert NEW_NAME not in {p.name for p in net.local.programs()}
    assert seen_by(otto) == before_otto


def test_into_a_chosen_program_a_copy_naming_another_cohort_is_refused_too(net):
    fay = net.store("facilitator")
    before = net.rows()
    with pytest.raises(StudiesRefused) as refused:
        fay.create_studies(
            [copy_of(net, net.a_base), copy_of(net, net.a_base, round="r2", cohort=B_COHORT)],
            program_id=net.a,
        )
    assert {n: r.codes() for n, r in refused.value.refused.items()} == {1: ["no-access"]}
    assert net.rows() == before
    with pytest.raises(NoAccess):  # B is not in her cohort: refused as a whole
        fay.create_studies([copy_of(net, net.b_base)], program_id=net.b)
    assert net.rows() == before


def test_a_copy_of_a_program_outside_her_cohorts_is_refused_and_tells_nothing_of_it(net):
    """B named with her own cohort would move B into it: refused, in the very words a new
    program naming no cohort gets, so the refusal does not say B exists."""
    fay = net.store("facilitator")
    before = net.rows()
    copies = [
        (source("valley.xlsx"), copy_of(net, net.b_base, cohort=A_COHORT)),
        (source("nowhere.xlsx"), new_program(net, None)),
    ]
    saved, problems = imports.save_copies(fay, copies, by=BY)  # she may save none of them
    assert saved == [] and problems.flatten(["code", "location"]) == [
        ["no-access", "valley.xlsx"],
        ["no-access", "nowhere.xlsx"],
    ]
    assert net.rows() == before
    each = fay.creation_refusals([study for _, study in copies])
    valley, nowhere = (each[n].problems[0].message for n in (0, 1))
    assert valley == nowhere
    assert "Young Engineers" not in valley and "2026" not in valley
    assert cohorts_of(net, net.b) == {normal_name(B_COHORT)}
    saved, problems = imports.save_copies(  # beside a copy she may import, each where it is
        fay, [(source("bridge.xlsx"), copy_of(net, net.a_base)), *copies], by=BY
    )
    assert [c.source.label for c in saved] == ["bridge.xlsx"]
    assert problems.flatten(["code", "location"]) == [
        ["no-access", "valley.xlsx"],
        ["no-access", "nowhere.xlsx"],
    ]


def test_updating_a_stored_study_from_a_copy_stays_a_members(net):
    fay = net.store("facilitator")
    stored = net.local.get_study(net.a_base).study
    item = next(iter(stored.answers))
    answers = dict(stored.answers) | {item: Answer(value=stored.answers[item].value, notes="x")}
    changed = stored.model_copy(update={"answers": answers})
    before = net.rows()
    with pytest.raises(NoAccess) as refused:
        imports.save_copies(fay, [(source("bridge-baseline.xlsx"), changed)], "update", by=BY)
    assert "bridge-baseline.xlsx" in str(refused.value)
    assert "only the members of a self-study's program can update it" in str(refused.value)
    assert net.rows() == before
    saved, problems = imports.save_copies(fay, [(source("bridge-baseline.xlsx"), changed)])
    assert not saved and problems.flatten(["code", "location"]) == [
        ["already-stored", "bridge-baseline.xlsx"]
    ]
    assert "you may read but not change" in problems[0].message
    assert net.rows() == before
    saved, problems = imports.save_copies(  # keep both: a new study beside the stored one
        fay, [(source("bridge-baseline.xlsx"), changed)], "keep-both", by=BY
    )
    assert not problems and program_of(net, saved[0].study_id) == net.a
    assert net.local.get_study(net.a_base).study == stored


def test_what_she_imported_she_can_neither_change_nor_delete(net, default_rubric):
    fay = net.store("facilitator")
    [study_id] = fay.create_studies([copy_of(net, net.a_base)], by=BY)
    begun = studies.begin_study(fay, default_rubric, A_NAME, round="2027", program_id=net.a)
    before = net.rows()
    for made in (study_id, begun):
        assert fay.allows(Action.READ, made)
        assert not fay.allows(Action.EDIT, made) and not fay.allows(Action.DELETE, made)
        item = next(iter(default_rubric.items())).id
        with pytest.raises(NoAccess):
            fay.save_answer(made, item, Answer(notes="mine"), None)
        with pytest.raises(NoAccess):
            fay.update_program(made, copy_of(net, net.a_base, round="renamed").program)
        with pytest.raises(NoAccess):
            fay.delete_study(made)
    with pytest.raises(NoAccess):
        fay.invite("someone@example.org", "viewer", program_id=net.a)
    assert net.rows() == before


def test_the_start_pages_round_for_her_cohort_only(net, default_rubric):
    fay = net.store("facilitator")
    assert {p.name for p in fay.programs_to_begin_in()} == {A_NAME}
    before = net.rows()
    with pytest.raises(NoAccess):
        studies.begin_study(fay, default_rubric, A_NAME, cohort=B_COHORT, program_id=net.a)
    with pytest.raises(NoAccess):
        studies.begin_study(fay, default_rubric, "Somewhere New")  # no cohort of hers
    assert net.rows() == before


def test_she_starts_no_team_study_and_no_plan(net):
    fay = net.store("facilitator")
    copy = copy_of(net, net.a_base)
    before = net.rows()
    with pytest.raises(NoAccess) as refused:
        teams.save_team_copies(
            fay, [("r1.xlsx", "r1", copy), ("r2.xlsx", "r2", copy)], lead="Fay", by=BY
        )
    assert "only a member of the program may start one" in str(refused.value)
    with pytest.raises(NoAccess):
        fay.add_plan(net.a, {"rubric_id": copy.rubric.id, "standards": ["PG.1"]}, by=BY)
    assert net.rows() == before


def test_the_command_imports_a_cohorts_copies_as_the_facilitator(
    net, tmp_path, monkeypatch, default_rubric
):
    """`selfstudy --as fay@… import FOLDER --save`: her copies saved as hers, the copy naming
    another cohort refused at its file; another command still needs an admin's email."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", net.url)
    monkeypatch.delenv("SELFSTUDY_ADMINS", raising=False)
    monkeypatch.delenv("SELFSTUDY_AS", raising=False)
    folder = tmp_path / "cohort"
    folder.mkdir()
    export_xlsx(copy_of(net, net.a_base), default_rubric, folder / "bridge.xlsx")
    export_xlsx(new_program(net, None), default_rubric, folder / "harbor.xlsx")
    export_xlsx(copy_of(net, net.b_base), default_rubric, folder / "valley.xlsx")
    fay = "FAY@network.example"
    result = CliRunner().invoke(main, ["--as", fay, "import", str(folder), "--save"])
    assert result.exit_code == 1, result.output
    assert "bridge.xlsx: saved" in result.stdout
    assert "valley.xlsx" not in result.stdout and "harbor.xlsx" not in result.stdout
    refused = {line.split(": ", 1)[0]: line for line in result.stderr.splitlines()}
    assert (
        f"names cohort '{B_COHORT}', which you do not facilitate"
        in refused[str(folder / "valley.xlsx")]
    )
    assert (
        "a new program whose copy names one of your cohorts" in refused[str(folder / "harbor.xlsx")]
    )
    [study_id] = [s.id for s in net.local.list_studies() if s.round == "midpoint"]
    assert program_of(net, study_id) == net.a
    assert {c.changed_by for c in net.local.history(study_id)} == {
        "fay@network.example (selfstudy import)"
    }
    delete = CliRunner().invoke(main, ["--as", fay, "delete", study_id])
    assert delete.exit_code == 1 and "is not a network admin" in delete.stderr
    assert study_id in {s.id for s in net.local.list_studies()}
