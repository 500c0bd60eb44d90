"""`selfstudy team`: a team self-study from start to consensus on the app's database, run as
a user runs it (SQLite file, and PostgreSQL too when `SELFSTUDY_TEST_POSTGRES_URL` is set).

Raters rate in the app; here their ratings are saved on their sheets through the library,
as the app does. Ana: PG.1.a 3, PG.1.b 2; Bo: PG.1.a 1, PG.1.b 2 (one pair of two the same).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.access import Actor, Identity
from selfstudy.core.study import Answer
from selfstudy.edges.reports.team_figures import PENDING
from selfstudy.edges.storage import Storage
from selfstudy.workflows.teams import consensus, record_consensus

ANA = {"PG.1.a": Answer(value=3, evidence="ANA-SECRET"), "PG.1.b": Answer(value=2)}
BO = {"PG.1.a": Answer(value=1, evidence="BO-SECRET"), "PG.1.b": Answer(value=2)}
COMMANDS = ["start", "add", "open", "agree", "status"]


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def database(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The app's database, which the commands open through SELFSTUDY_DATABASE_URL."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", storage.engine.url.render_as_string(False))
    for name in ("SELFSTUDY_AS", "SELFSTUDY_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    return storage


def ok(*args: object):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result


def refused(*args: object) -> str:
    """The one line a refused command writes, checked to be one line and exit status 1."""
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def status(study_id: str) -> dict:
    return json.loads(ok("team", "status", study_id, "--format", "json").stdout)


def rate(storage: Storage, study_id: str) -> None:
    for rater in storage.team(study_id).raters:
        answers = ANA if rater.name == "Ana" else BO
        me = storage.acting_as(Actor.local(rater.name))
        me.save_answers(rater.sheet_id, answers, dict.fromkeys(answers))


def test_a_team_goes_from_start_to_consensus_on_the_command_line(
    database, new_study, default_rubric
):
    study_id = database.create_study(new_study)
    assert "led by Ana; raters: Ana" in ok("team", "start", study_id, "--by", "Ana").stdout
    ok("team", "add", study_id, "Bo", "--by", "Ana")
    rate(database, study_id)

    before = status(study_id)
    assert before["step"] == "rating" and before["lead"] == "Ana"
    assert before["raters"] == [
        {"name": "Ana", "submitted": False},
        {"name": "Bo", "submitted": False},
    ]
    assert before["agreement"] is None and before["agreement_note"] == PENDING
    for fmt in ("table", "json", "csv"):
        shown = invoke("team", "status", study_id, "--format", fmt)
        assert "SECRET" not in shown.output and "PG.1.a" not in shown.stdout

    assert "only the team's lead" in refused("team", "open", study_id, "--by", "Bo")
    ok("team", "open", study_id, "--by", "Ana")
    after = status(study_id)
    library = consensus(database, default_rubric, study_id).agreement
    assert after["step"] == "consensus"
    assert after["agreement"] == json.loads(json.dumps(library.to_dict()))
    assert after["agreement"]["standards"]["PG.1"]["exact"] == 0.5
    assert after["most_disagreed"] == [
        {
            "item_id": "PG.1.a",
            "standard_id": "PG.1",
            "range": "1–3 (2 steps apart)",
            "steps": 2,
            "levels": {"Ana": "3", "Bo": "1"},
        }
    ]
    rows = {
        r["id"]: r
        for r in csv.DictReader(
            io.StringIO(ok("team", "status", study_id, "--format", "csv").stdout)
        )
    }
    assert (rows["PG.1"]["items_compared"], rows["PG.1"]["exact_agreement_percent"]) == (
        "2",
        "50.0",
    )
    table = ok("team", "status", study_id).stdout
    assert "Items the raters disagreed on most" in table and "1–3 (2 steps apart)" in table

    assert "PG.1.a" in refused("team", "agree", study_id, "--by", "Ana")  # no consensus yet
    ana = database.acting_as(Actor.local("Ana"))
    view = consensus(ana, default_rubric, study_id)
    for item_id, value in (("PG.1.a", 2), ("PG.1.b", 2)):
        seen = database.get_study(study_id).revisions.get(item_id)
        record_consensus(ana, study_id, item_id, value, "", view.answers_by_rater, seen)
    ok("team", "agree", study_id, "--by", "Ana")
    assert status(study_id)["step"] == "agreed"


def test_problems_are_one_line_each(database, new_study):
    single = database.create_study(new_study)
    assert "not a team self-study" in refused("team", "status", single)
    assert "no self-study with id" in refused("team", "start", "no-such-id", "--by", "Ana")
    ok("team", "start", single, "--by", "Ana")
    assert "This team self-study" in refused("team", "start", single, "--by", "Ana")
    ok("team", "add", single, "Bo", "--by", "Bo")  # a rater adds themselves
    assert "already has the rater" in refused("team", "add", single, " bo ", "--by", "Ana")
    assert "other than you" in refused("team", "add", single, "Cy", "--by", "Bo")
    assert "open the consensus step first" in refused("team", "agree", single, "--by", "Ana")


def test_every_team_command_has_help(database):
    listing = ok("team", "--help").stdout
    for name in COMMANDS:
        assert name in listing
        shown = ok("team", name, "--help").stdout
        command = main.get_command(None, "team").get_command(None, name)  # type: ignore[union-attr]
        assert " ".join(command.help.split()[:6]) in " ".join(shown.split())
        assert "STUDY_ID" in shown
    assert "Team self-studies" in ok("--help").stdout


def test_once_people_sign_in_the_admin_leads_and_a_rater_is_added_by_email(database, new_study):
    study_id = database.create_study(new_study)
    program = database.list_studies()[0].program_id
    boss, member = "boss@example.org", "mo@example.org"
    database.invite(boss, "admin", None)
    database.invite(member, "member", program)
    for email in (boss, member):
        database.sign_in(Identity("https://id.example", email, email, True, email))
    assert "--as" in refused("team", "start", study_id)  # a change needs a named admin
    ok("--as", boss, "team", "start", study_id, "--lead-does-not-rate")
    assert "--email" in refused("--as", boss, "team", "add", study_id, "Mo")
    assert "no one has signed in" in refused(
        "--as", boss, "team", "add", study_id, "Ny", "--email", "ny@example.org"
    )
    ok("--as", boss, "team", "add", study_id, "Mo", "--email", member)
    team = database.team(study_id)
    assert [r.name for r in team.raters] == ["Mo"] and team.raters[0].person_id is not None
    assert status(study_id)["raters"] == [{"name": "Mo", "submitted": False}]
