"""A team self-study and Google Sheets (the local Sheets stand-in): a push carries the
team's agreed answers as a single study's; an edit in the sheet comes back only through
the team's lead, since the study's answers are the team's consensus."""

# ruff: noqa: F811 (fixtures imported from test_cli_sheets)

from __future__ import annotations

from selfstudy.core.access import Actor
from selfstudy.edges.study_files import load_study
from selfstudy.workflows.teams import consensus, record_proposals, start_team
from tests.test_cli_sheets import P01, database, google, invoke  # noqa: F401
from tests.test_gsheets import KEY


def test_an_agreed_team_study_pushes_its_consensus_and_refuses_a_pull_around_its_lead(
    google, database, default_rubric, tmp_path
):
    study_id = database.create_study(load_study(P01))
    ana = database.acting_as(Actor.local("Ana"))
    start_team(ana, study_id)  # P01's answers become Ana's ratings
    ana.open_consensus(study_id)
    view = consensus(ana, default_rubric, study_id)
    record_proposals(ana, view, view.missing())  # one rater: her answers are the team's
    agreed = database.get_study(study_id).study

    pushed = invoke("sheets", "push", study_id, "--spreadsheet", KEY)
    assert pushed.exit_code == 0, pushed.output
    pulled = invoke("sheets", "pull", KEY, "--out", tmp_path / "back.json")
    assert pulled.exit_code == 0, pulled.output
    assert load_study(tmp_path / "back.json").answers == agreed.answers == load_study(P01).answers

    # an edit in the sheet, synced by someone who is not the lead: refused in one line
    google.set_cell(KEY, "1. Program Goals", 6, 5, "minutes typed in the sheet")
    synced = invoke("sheets", "sync", study_id, "--spreadsheet", KEY)
    assert synced.exit_code == 1
    assert "only its lead records" in synced.stderr and "Traceback" not in synced.stderr
    assert database.get_study(study_id).study.answers == agreed.answers
