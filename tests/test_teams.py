"""Team self-studies in the storage: each rater rates on their own sheet, nobody sees
another's ratings early through any read, the lead opens the consensus step and records
the team's answers, which are then the study's own (on SQLite and PostgreSQL).

Without sign-in a rater is whoever gives the rater's name (`Actor.local(name)`); the
signed-in rules are the same with person ids (`test_signed_in_raters_are_people`)."""

from __future__ import annotations

import pytest

from selfstudy.core.access import Action, Actor, Identity, NoAccess
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer
from selfstudy.core.team import Reveal
from selfstudy.edges.storage import Storage, StudyNotFound
from selfstudy.workflows.teams import (
    agree,
    consensus,
    record_consensus,
    record_proposals,
    start_team,
)
from tests.completion import finish_sheet


def as_(storage: Storage, name: str) -> Storage:
    return storage.acting_as(Actor.local(name))


def codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.code for p in exc.value.problems]


@pytest.fixture
def team_study(storage, new_study):
    """A study made a team study by Ana, with Bo as a second rater; (storage, id, sheets)."""
    study_id = storage.create_study(
        new_study.model_copy(update={"answers": {"PG.1.a": Answer(value=3, evidence="plan")}})
    )
    team = start_team(as_(storage, "Ana"), study_id)
    bo = as_(storage, "Bo").add_rater(study_id, "Bo")
    return storage, study_id, {"Ana": team.raters[0].sheet_id, "Bo": bo.sheet_id}


def test_the_leads_earlier_answers_become_their_ratings_and_sheets_are_never_listed(team_study):
    storage, study_id, sheets = team_study
    ana = as_(storage, "Ana")
    assert ana.get_study(sheets["Ana"]).study.answers == {
        "PG.1.a": Answer(value=3, evidence="plan")
    }
    assert [s.id for s in storage.list_studies()] == [study_id]
    assert [p.studies for p in storage.programs()] == [1]  # the raters' sheets are not studies
    assert [i for i, _ in storage.all_studies()] == [study_id]
    assert storage.study_columns(storage.rubric_ids()[0]).labels == [study_id]
    team = storage.team(study_id)
    assert [r.name for r in team.raters] == ["Ana", "Bo"] and team.lead == "Ana"
    summary = storage.team_summaries()[study_id]
    assert (summary.raters, summary.submitted, summary.opened) == (2, 0, False)


def test_nobody_reads_another_raters_sheet_before_the_consensus_step(team_study):
    storage, study_id, sheets = team_study
    bo = as_(storage, "Bo")
    bo.save_field(sheets["Bo"], "PG.1.a", "value", 1, None)
    for who in ("Ana", "Cy"):
        other = as_(storage, who)
        for read in (other.get_study, other.history):
            with pytest.raises(NoAccess) as refused:
                read(sheets["Bo"])
            assert "consensus step" in refused.value.problems[0].message
        assert not other.allows(Action.READ, sheets["Bo"])
        assert list(other.rater_sheets(study_id)) == [
            r for r in other.team(study_id).raters if r.name == who
        ]
    with pytest.raises(NoAccess):
        as_(storage, "Ana").save_field(sheets["Bo"], "PG.1.a", "value", 4, None)
    with pytest.raises(NoAccess):
        as_(storage, "Ana").delete_study(sheets["Bo"])
    assert bo.get_study(sheets["Bo"]).study.answers["PG.1.a"].value == 1


def test_the_consensus_is_written_only_by_the_lead_once_the_step_is_open(
    team_study, default_rubric
):
    storage, study_id, sheets = team_study
    as_(storage, "Bo").save_answer(sheets["Bo"], "PG.1.a", Answer(value=1, evidence="survey"), 1)
    ana = as_(storage, "Ana")
    with pytest.raises(ProblemsFound) as early:
        ana.save_field(study_id, "PG.1.a", "value", 2, 1)
    assert codes(early) == ["team-step"]
    with pytest.raises(NoAccess):
        as_(storage, "Bo").open_consensus(study_id)
    ana.open_consensus(study_id)
    with pytest.raises(NoAccess) as fixed:  # the ratings are fixed once compared
        as_(storage, "Bo").save_field(sheets["Bo"], "PG.1.a", "value", 3, 1)
    assert "consensus step is open" in fixed.value.problems[0].message
    with pytest.raises(ProblemsFound) as joining:
        as_(storage, "Cy").add_rater(study_id, "Cy")
    assert codes(joining) == ["team-step"]

    view = consensus(ana, default_rubric, study_id)
    assert view.answers_by_rater["Bo"]["PG.1.a"].value == 1  # everyone sees every sheet now
    spread = next(s for s in view.agreement.items if s.item_id == "PG.1.a")
    assert spread.levels == (3, 1) and spread.steps == 2
    # they disagree: no rating is offered (the study's earlier answer is not a consensus)
    assert view.proposal("PG.1.a") == Answer(evidence="Ana: plan\n\nBo: survey")
    with pytest.raises(ProblemsFound) as missing:
        agree(ana, default_rubric, study_id)
    assert codes(missing) == ["consensus-missing"]

    with pytest.raises(NoAccess):
        record_consensus(as_(storage, "Bo"), study_id, "PG.1.a", 2, "", view.answers_by_rater, None)
    revision = storage.get_study(study_id).revisions["PG.1.a"]
    record_consensus(ana, study_id, "PG.1.a", 2, "met halfway", view.answers_by_rater, revision)
    stored = storage.get_study(study_id).study.answers["PG.1.a"]
    assert stored == Answer(value=2, evidence="Ana: plan\n\nBo: survey", notes="met halfway")
    agree(ana, default_rubric, study_id)
    assert storage.team(study_id).agreed_at is not None
    assert storage.team_summaries()[study_id].agreed
    history = [c.new for c in storage.history(study_id) if c.item_id == "@team"]
    assert history[:2] == ["agreed", "opened"]


def test_agreeing_is_refused_while_a_rated_item_has_no_consensus(team_study, default_rubric):
    storage, study_id, sheets = team_study
    as_(storage, "Bo").save_field(sheets["Bo"], "PG.1.b", "value", 2, None)
    ana = as_(storage, "Ana")
    ana.open_consensus(study_id)
    with pytest.raises(ProblemsFound) as missing:
        agree(ana, default_rubric, study_id)
    assert codes(missing) == ["consensus-missing"]
    assert "PG.1.b" in missing.value.problems[0].message


def test_with_reveal_on_submission_a_rater_sees_the_others_once_they_submit(
    storage, new_study, default_rubric
):
    study_id = storage.create_study(new_study)
    start_team(as_(storage, "Ana"), study_id, reveal=Reveal.SUBMITTED)
    bo_sheet = as_(storage, "Bo").add_rater(study_id, "Bo").sheet_id
    ana_sheet = storage.team(study_id).raters[0].sheet_id
    bo, ana = as_(storage, "Bo"), as_(storage, "Ana")
    with pytest.raises(NoAccess):
        bo.get_study(ana_sheet)
    with pytest.raises(ProblemsFound) as unfinished:  # nobody peeks by submitting nothing
        bo.submit_ratings(bo_sheet)
    assert "75 required items are not answered yet" in unfinished.value.problems[0].message
    finish_sheet(bo, bo_sheet, default_rubric)
    bo.submit_ratings(bo_sheet)
    assert bo.get_study(ana_sheet).id == ana_sheet
    with pytest.raises(NoAccess):  # Ana has not submitted: Bo's stay hidden from her
        ana.get_study(bo_sheet)
    with pytest.raises(NoAccess) as fixed:
        bo.save_field(bo_sheet, "PG.1.a", "value", 2, None)
    assert "submitted" in fixed.value.problems[0].message


def test_a_team_becomes_single_again_only_when_nothing_would_be_lost(team_study):
    storage, study_id, sheets = team_study
    with pytest.raises(NoAccess):
        as_(storage, "Bo").end_team(study_id)
    as_(storage, "Bo").save_field(sheets["Bo"], "PG.1.a", "notes", "ask Cy", None)
    with pytest.raises(ProblemsFound) as refused:
        as_(storage, "Ana").end_team(study_id)
    assert codes(refused) == ["team-would-lose"] and "Bo" in refused.value.problems[0].message
    as_(storage, "Bo").save_field(sheets["Bo"], "PG.1.a", "notes", "", 1)
    as_(storage, "Ana").end_team(study_id)
    assert storage.team(study_id) is None
    # Ana's ratings (what the study held before it became a team one) come back
    back = storage.get_study(study_id)
    assert back.study.answers == {"PG.1.a": Answer(value=3, evidence="plan")}
    with pytest.raises(NoAccess):  # the sheets stay kept, out of reach
        as_(storage, "Bo").get_study(sheets["Bo"])
    # single again: anyone who may edit the study writes its answers
    as_(storage, "Bo").save_field(study_id, "PG.1.a", "value", 4, back.revisions["PG.1.a"])
    again = start_team(as_(storage, "Ana"), study_id)
    assert [r.name for r in again.raters] == ["Ana", "Bo"]  # the team comes back


def test_rater_names_are_unique_and_only_the_lead_adds_others(team_study):
    storage, study_id, _ = team_study
    with pytest.raises(ProblemsFound) as taken:
        as_(storage, "bo ").add_rater(study_id, " BO")
    assert codes(taken) == ["rater-exists"]
    with pytest.raises(NoAccess):
        as_(storage, "Bo").add_rater(study_id, "Dee")
    with pytest.raises(ProblemsFound) as again:
        start_team(as_(storage, "Ana"), study_id)
    assert "team self-study already" in again.value.problems[0].message
    as_(storage, "Ana").add_rater(study_id, "Dee", answers={"PG.1.a": Answer(value=4)})
    dee = next(r for r in storage.team(study_id).raters if r.name == "Dee")
    assert as_(storage, "Dee").get_study(dee.sheet_id).study.answers["PG.1.a"].value == 4


def test_a_team_that_agrees_scores_as_its_single_rater_would(team_study, default_rubric):
    storage, study_id, sheets = team_study
    answers = {"PG.1.a": Answer(value=3, evidence="plan"), "PG.1.b": Answer(value=2)}
    for name in ("Ana", "Bo"):
        rater = as_(storage, name)
        current = rater.get_study(sheets[name]).revisions
        rater.save_answers(sheets[name], answers, {k: current.get(k) for k in answers})
    ana = as_(storage, "Ana")
    ana.open_consensus(study_id)
    view = consensus(ana, default_rubric, study_id)
    assert view.unanimous() == list(answers)  # everyone agrees on both
    record_proposals(ana, view, view.unanimous())
    agree(ana, default_rubric, study_id)
    team_study_answers = storage.get_study(study_id).study.answers
    assert team_study_answers == answers
    assert score(default_rubric, team_study_answers) == score(default_rubric, answers)
    assert view.agreement.overall.exact == 1.0


def test_signed_in_raters_are_people_and_must_be_members(storage, new_study):
    study_id = storage.create_study(new_study)
    program = storage.list_studies()[0].program_id

    def person(email: str, role: str) -> Actor:
        storage.invite(email, role, program)
        return storage.sign_in(Identity("https://id.example", email, email, True, email))

    lead, member, viewer = (
        person("lead@example.org", "member"),
        person("mo@example.org", "member"),
        person("vi@example.org", "viewer"),
    )
    with pytest.raises(NoAccess):  # a viewer may not change the study, so may not lead
        start_team(storage.acting_as(viewer), study_id)
    team = start_team(storage.acting_as(lead), study_id)
    assert team.lead_person_id == lead.person_id
    with pytest.raises(NoAccess):  # only members of the program rate
        storage.acting_as(lead).add_rater(study_id, "Vi", person_id=viewer.person_id)
    mo = storage.acting_as(lead).add_rater(study_id, "Mo", person_id=member.person_id)
    storage.acting_as(member).save_field(mo.sheet_id, "PG.1.a", "value", 2, None)
    # the lead's name typed without sign-in is not the signed-in lead, nor is a viewer
    for other in (as_(storage, "lead@example.org"), storage.acting_as(viewer)):
        with pytest.raises(NoAccess):
            other.get_study(mo.sheet_id)
    with pytest.raises(NoAccess):
        storage.acting_as(lead).get_study(mo.sheet_id)
    storage.acting_as(lead).open_consensus(study_id)
    assert storage.acting_as(lead).get_study(mo.sheet_id).study.answers["PG.1.a"].value == 2
    assert storage.acting_as(viewer).get_study(mo.sheet_id).id == mo.sheet_id


def test_a_purged_team_study_takes_its_sheets_with_it(team_study):
    from datetime import timedelta

    storage, study_id, sheets = team_study
    storage.delete_study(study_id)
    assert storage.purge_deleted(older_than=timedelta(0)) == [study_id]
    with pytest.raises(StudyNotFound):
        as_(storage, "Bo").get_study(sheets["Bo"])
