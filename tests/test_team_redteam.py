"""Red-team checks of team self-studies (issue 13), from the review: privacy around the
team study itself, every kind of answer reaching the consensus, hostile names, words
typed while a team was single, and sheets of a deleted study."""
# ruff: noqa: F811 (the shared fixture, imported from test_teams)

from __future__ import annotations

import threading

import pytest

from selfstudy.core.access import NoAccess
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, shown_items
from selfstudy.core.team import Reveal
from selfstudy.edges.storage import Storage
from selfstudy.workflows.teams import (
    agree,
    consensus,
    record_consensus,
    record_proposals,
    start_team,
)
from tests.test_teams import as_, team_study  # noqa: F401


def _agree_all(storage: Storage, rubric, study_id: str, lead: str = "Ana") -> None:
    """The lead records the proposal of every item the consensus page offers, then agrees."""
    lead_store = as_(storage, lead)
    view = consensus(lead_store, rubric, study_id)
    record_proposals(lead_store, view, view.missing())
    agree(lead_store, rubric, study_id)


# --- privacy -------------------------------------------------------------------------------


def test_another_rater_does_not_see_the_leads_ratings_through_the_team_study(team_study):
    """Ana's ratings (copied to her sheet when she made the team) stay readable by Bo on
    the team study itself before the consensus step opens."""
    storage, study_id, sheets = team_study
    bo = as_(storage, "Bo")
    with pytest.raises(NoAccess):
        bo.get_study(sheets["Ana"])  # her sheet is hidden ...
    seen = bo.get_study(study_id).study.answers  # ... but not the same ratings here
    assert "PG.1.a" not in seen, f"Bo reads Ana's rating before the reveal: {seen}"


def test_a_rater_cannot_change_their_sheets_program_details(team_study):
    storage, _, sheets = team_study
    bo = as_(storage, "Bo")
    program = bo.get_study(sheets["Bo"]).study.program
    with pytest.raises(NoAccess):
        bo.update_program(sheets["Bo"], program.model_copy(update={"name": "Bo's own program"}))


def test_with_reveal_on_submission_a_newcomer_cannot_peek_by_submitting_nothing(storage, new_study):
    """Reveal on submission: anyone who may edit the study joins and submits an empty sheet
    at once, to read everyone's ratings without rating anything: submitting needs a
    finished sheet."""
    study_id = storage.create_study(new_study)
    start_team(as_(storage, "Ana"), study_id, reveal=Reveal.SUBMITTED)
    ana_sheet = storage.team(study_id).raters[0].sheet_id
    as_(storage, "Ana").save_field(ana_sheet, "PG.1.a", "value", 4, None)
    cy = as_(storage, "Cy")
    cy_sheet = cy.add_rater(study_id, "Cy").sheet_id
    with pytest.raises(ProblemsFound) as refused:
        cy.submit_ratings(cy_sheet)
    assert [p.code for p in refused.value.problems] == ["team-step"]
    with pytest.raises(NoAccess):
        cy.get_study(ana_sheet)


def test_a_deleted_team_studys_sheets_take_no_more_ratings(team_study):
    storage, study_id, sheets = team_study
    storage.delete_study(study_id)
    with pytest.raises(NoAccess, match="was deleted"):  # the study is gone, its sheets too
        as_(storage, "Bo").save_field(sheets["Bo"], "PG.1.b", "value", 2, None)


# --- nothing lost ---------------------------------------------------------------------------


def test_the_teams_text_answers_reach_the_consensus(team_study, default_rubric):
    """PG.R is a text item: both raters wrote; after consensus, the study (which Results,
    reports and exports use) holds neither's words, and no page offers to record them."""
    storage, study_id, sheets = team_study
    as_(storage, "Ana").save_field(sheets["Ana"], "PG.R", "value", "More data help", None)
    as_(storage, "Bo").save_field(sheets["Bo"], "PG.R", "value", "A mentor", None)
    as_(storage, "Ana").open_consensus(study_id)
    _agree_all(storage, default_rubric, study_id)
    stored = storage.get_study(study_id).study.answers.get("PG.R", Answer())
    assert "A mentor" in str(stored.value), f"Bo's words are not in the consensus: {stored}"


def test_evidence_on_an_item_nobody_rated_reaches_the_consensus(team_study, default_rubric):
    storage, study_id, sheets = team_study
    as_(storage, "Bo").save_field(sheets["Bo"], "PG.1.c", "evidence", "minutes of 3 May", None)
    as_(storage, "Ana").open_consensus(study_id)
    _agree_all(storage, default_rubric, study_id)
    stored = storage.get_study(study_id).study.answers.get("PG.1.c", Answer())
    assert "minutes of 3 May" in stored.evidence


def test_a_double_click_on_record_is_one_recording(team_study, default_rubric):
    storage, study_id, _ = team_study
    ana = as_(storage, "Ana")
    ana.open_consensus(study_id)
    view = consensus(ana, default_rubric, study_id)
    seen = view.stored.revisions.get("PG.1.a")
    for _ in range(2):  # the same form submitted twice: same value, same revision seen
        record_consensus(ana, study_id, "PG.1.a", 3, "we agree", view.answers_by_rater, seen)
    assert storage.get_study(study_id).study.answers["PG.1.a"].notes == "we agree"


def test_two_people_adding_the_same_rater_at_once_get_a_plain_answer(team_study):
    storage, study_id, _ = team_study
    outcomes: list[object] = []
    start = threading.Barrier(4)

    def add() -> None:
        start.wait()
        try:
            as_(storage, "Ana").add_rater(study_id, "Dee")
            outcomes.append("added")
        except Exception as exc:  # what each got is the result
            codes = [p.code for p in getattr(exc, "problems", [])]
            outcomes.append(codes or repr(exc))

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("added") == 1, outcomes
    assert all(o == "added" or o == ["rater-exists"] for o in outcomes), outcomes
    assert [r.name for r in storage.team(study_id).raters].count("Dee") == 1


# --- correctness ----------------------------------------------------------------------------


def test_a_rating_shown_only_after_a_choice_is_scored_in_the_consensus(
    storage, new_study, default_rubric
):
    """SR.2.b is shown only when SR.2.stipend (a choice) is Yes: both raters said Yes and
    rated it; the consensus page records only rating items, so the team study has no
    SR.2.stipend and its agreed SR.2.b is hidden, so Results leave it out."""
    study_id = storage.create_study(new_study)
    start_team(as_(storage, "Ana"), study_id)
    as_(storage, "Bo").add_rater(study_id, "Bo")
    team = storage.team(study_id)
    for rater in team.raters:
        mine = as_(storage, rater.name)
        mine.save_answers(
            rater.sheet_id,
            {"SR.2.stipend": Answer(value="Yes"), "SR.2.b": Answer(value=3)},
            {"SR.2.stipend": None, "SR.2.b": None},
        )
    as_(storage, "Ana").open_consensus(study_id)
    _agree_all(storage, default_rubric, study_id)
    answers = dict(storage.get_study(study_id).study.answers)
    assert answers.get("SR.2.b", Answer()).value == 3
    assert "SR.2.b" in shown_items(default_rubric, answers), "the agreed rating is hidden"
    single = {"SR.2.stipend": Answer(value="Yes"), "SR.2.b": Answer(value=3)}
    assert score(default_rubric, answers) == score(default_rubric, single)


# --- hostile input --------------------------------------------------------------------------


def test_a_raters_name_cannot_write_control_characters_to_the_leads_terminal(storage, new_study):
    """An escape sequence in a rater's name would reach the lead's terminal through `team
    status`: a name holding a control character is refused where it comes in."""
    study_id = storage.create_study(new_study)
    start_team(as_(storage, "Ana"), study_id)
    evil = "Bo\x1b]0;owned\x07\x1b[2J"
    with pytest.raises(ProblemsFound) as refused:
        as_(storage, evil).add_rater(study_id, evil)
    assert [p.code for p in refused.value.problems] == ["bad-rater-name"]
    assert [r.name for r in storage.team(study_id).raters] == ["Ana"]


def test_words_typed_while_single_survive_a_team_made_again(team_study, default_rubric):
    """The team is made single, Bo writes evidence on the study itself, Ana makes it a team
    again: the raters' old sheets come back (Ana's is not refreshed from the study), and
    recording the consensus writes the evidence gathered from the sheets over Bo's words."""
    storage, study_id, _ = team_study
    as_(storage, "Ana").end_team(study_id)
    revision = storage.get_study(study_id).revisions["PG.1.a"]
    as_(storage, "Bo").save_field(study_id, "PG.1.a", "evidence", "Bo: the 2024 survey", revision)
    start_team(as_(storage, "Ana"), study_id)
    ana = as_(storage, "Ana")
    ana.open_consensus(study_id)
    view = consensus(ana, default_rubric, study_id)
    record_consensus(
        ana, study_id, "PG.1.a", 3, "", view.answers_by_rater, view.stored.revisions["PG.1.a"]
    )
    evidence = storage.get_study(study_id).study.answers["PG.1.a"].evidence
    assert "2024 survey" in evidence, f"Bo's evidence is gone from the answer: {evidence!r}"
