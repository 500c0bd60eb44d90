"""`selfstudy delete`, `restore`, `deleted`, `history`, `restore-value` and `purge-deleted`.

Each runs as a user would, on the app's database (SQLite, and PostgreSQL too
when `SELFSTUDY_TEST_POSTGRES_URL` is set).
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from selfstudy.cli import history as history_cli
from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.storage import StaleEdit, Storage
from selfstudy.edges.study_files import load_study
from selfstudy.workflows import history
from tests.conftest import SAMPLES_DIR

P01 = SAMPLES_DIR / "p01-baseline.json"
P02 = SAMPLES_DIR / "p02-baseline.json"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The app's database, which the commands open through SELFSTUDY_DATABASE_URL."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", db_url)
    store = Storage(db_url)
    yield store
    store.engine.dispose()


def programs_in_cohort_from_db() -> int:
    # every stored study, however unfinished (the samples leave a few items unanswered)
    result = invoke(
        "cohort", "--from-db", "--by", "round", "--format", "json", "--min-complete", "0"
    )
    assert result.exit_code == 0, result.output
    return sum(group["programs"] for group in json.loads(result.stdout)["groups"])


def table_rows(output: str) -> list[list[str]]:
    """The cells of a terminal table's rows (after its header and rule), split on 2+ spaces."""
    lines = output.strip().splitlines()[2:]
    return [[cell.strip() for cell in line.strip().split("  ") if cell.strip()] for line in lines]


# --- deleting and restoring ---------------------------------------------------------------------


def test_a_deleted_study_leaves_the_list_and_the_cohort_and_comes_back_whole(database):
    kept = database.create_study(load_study(P02))
    study_id = database.create_study(load_study(P01))
    database.save_field(study_id, "PG.1.a", "notes", "before deleting", 1, by="Ana")
    before = database.get_study(study_id).study
    changes_before = database.history(study_id)
    assert programs_in_cohort_from_db() == 2

    deleted = invoke("delete", study_id, "--by", "Ben")
    assert deleted.exit_code == 0, deleted.output
    assert f"selfstudy restore {study_id}" in deleted.stdout
    assert [s.id for s in database.list_studies()] == [kept]
    assert programs_in_cohort_from_db() == 1
    listed = invoke("deleted")
    assert [row[:2] for row in table_rows(listed.stdout)] == [
        [study_id, before.program.name],
    ]

    restored = invoke("restore", study_id, "--by", "Ben")
    assert restored.exit_code == 0, restored.output
    assert database.get_study(study_id).study == before
    assert programs_in_cohort_from_db() == 2
    assert invoke("deleted").stdout.strip() == "no recently deleted self-studies"
    changes = database.history(study_id)
    assert changes[2:] == changes_before
    assert [(c.item_id, c.new, c.changed_by) for c in changes[:2]] == [
        ("@study", False, "Ben"),
        ("@study", True, "Ben"),
    ]


def test_who_did_it_is_the_user_name_unless_by_names_someone(database, monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "ana")
    study_id = database.create_study(load_study(P01))
    assert invoke("delete", study_id).exit_code == 0
    assert invoke("restore", study_id, "--by", "Ben Ortiz").exit_code == 0
    assert [c.changed_by for c in database.history(study_id, "@study")] == ["Ben Ortiz", "ana"]


# --- the history ----------------------------------------------------------------------------------


@pytest.fixture
def edited(database) -> str:
    """A study whose PG.1.a Ana re-rated, Ben gave new evidence and Cy's evidence was refused."""
    study_id = database.create_study(load_study(P01))
    seen = database.get_study(study_id).revisions["PG.1.a"]
    database.save_field(study_id, "PG.1.a", "value", 4, seen, by="Ana")
    database.save_field(study_id, "PG.1.a", "evidence", "Board minutes,\nMarch", seen, by="Ben")
    with pytest.raises(StaleEdit):
        database.save_field(study_id, "PG.1.a", "evidence", "Cy's survey", seen, by="Cy")
    return study_id


def test_the_history_table_shows_old_new_and_who_and_marks_the_refused_edit(database, edited):
    result = invoke("history", edited, "--item", "PG.1.a")
    assert result.exit_code == 0, result.output
    ids = [c.id for c in reversed(database.history(edited, "PG.1.a"))]
    rows = [row[:1] + row[2:] for row in table_rows(result.stdout)]  # without the time
    assert rows == [
        [str(ids[0]), "—", "PG.1.a", "value", "no answer → Established (3)"],
        [str(ids[1]), "—", "PG.1.a", "evidence", "no evidence → Staff meeting minutes, October"],
        [str(ids[2]), "Ana", "PG.1.a", "value", "Established (3) → Sustaining (4)"],
        [
            str(ids[3]),
            "Ben",
            "PG.1.a",
            "evidence",
            "Staff meeting minutes, October → Board minutes, March",
        ],
        [str(ids[4]), "Cy", "PG.1.a", "evidence", "Board minutes, March → Cy's survey", "refused"],
    ]


def test_the_history_table_words_program_changes_and_the_deletion(database, edited):
    stored = database.get_study(edited).study
    database.update_program(edited, stored.program.model_copy(update={"round": "mid"}), by="Ana")
    database.delete_study(edited, by="Ben")
    result = invoke("history", edited)
    assert result.exit_code == 0, result.output
    last_two = [row[2:] for row in table_rows(result.stdout)[-2:]]
    assert last_two == [
        ["Ana", "program details", "round", "baseline → mid"],
        ["Ben", "self-study", "deleted", "listed → deleted"],
    ]


def test_the_json_history_is_the_study_with_every_change_oldest_first(database, edited, tmp_path):
    result = invoke("history", edited, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    expected_changes = [c.to_dict() for c in reversed(database.history(edited))]
    assert document == {**database.get_study(edited).study.to_dict(), "history": expected_changes}
    refused = [c for c in document["history"] if not c["accepted"]]
    assert [(c["item"], c["old"], c["new"], c["by"]) for c in refused] == [
        ("PG.1.a", "Board minutes,\nMarch", "Cy's survey", "Cy")
    ]

    out = tmp_path / "history.json"
    written = invoke("history", edited, "--item", "PG.1.a", "--format", "json", "--out", out)
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert [c["by"] for c in saved["history"]] == ["", "", "Ana", "Ben", "Cy"]
    assert saved["answers"] == document["answers"]


# --- putting back a value -----------------------------------------------------------------------


def test_restore_value_puts_back_earlier_evidence_and_the_restore_is_in_the_history(
    database, edited
):
    first_evidence = next(
        c for c in reversed(database.history(edited, "PG.1.a")) if c.field == "evidence"
    )
    result = invoke("restore-value", edited, first_evidence.id, "--by", "Dee")
    assert result.exit_code == 0, result.output
    assert "put back the evidence of PG.1.a" in result.stdout
    stored = database.get_study(edited).study.answers["PG.1.a"]
    assert (stored.value, stored.evidence) == (4, "Staff meeting minutes, October")
    latest = database.history(edited, "PG.1.a")[0]
    assert (latest.field, latest.old, latest.new, latest.changed_by) == (
        "evidence",
        "Board minutes,\nMarch",
        "Staff meeting minutes, October",
        "Dee",
    )
    again = invoke("restore-value", edited, first_evidence.id)
    assert "nothing changed" in again.stdout
    assert database.history(edited, "PG.1.a")[0] == latest


def test_a_refused_edit_can_be_put_back(database, edited):
    refused = next(c for c in database.history(edited, "PG.1.a") if not c.accepted)
    assert invoke("restore-value", edited, refused.id, "--by", "Cy").exit_code == 0
    assert database.get_study(edited).study.answers["PG.1.a"].evidence == "Cy's survey"


# --- mistakes are one problem line ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["delete", "no-such-id"],
        ["restore", "no-such-id"],
        ["history", "no-such-id"],
        ["history", "no-such-id", "--format", "json"],
        ["restore-value", "no-such-id", "1"],
        ["restore-value", "{study}", "99999"],
        ["restore-value", "{study}", "{program change}"],
        ["restore", "{study}"],
        ["history", "{deleted}", "--format", "json"],
        ["delete", "{deleted}"],
    ],
)
def test_an_unknown_study_or_change_is_one_problem_line_with_exit_1(database, args):
    study_id = database.create_study(load_study(P01))
    program = database.get_study(study_id).study.program
    database.update_program(study_id, program.model_copy(update={"round": "mid"}))
    program_change = database.history(study_id, "@program")[0].id
    deleted_id = database.create_study(load_study(P02))
    database.delete_study(deleted_id)
    names = {"{study}": study_id, "{program change}": program_change, "{deleted}": deleted_id}
    result = invoke(*[names.get(a, a) for a in args])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not a traceback
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(names.get(args[1], args[1]) + ":")


def test_the_workflow_names_the_study_or_change_that_is_not_there(database):
    study_id = database.create_study(load_study(P01))
    with pytest.raises(ProblemsFound) as unknown_study:
        history.restore_value(database, "no-such-id", 1)
    with pytest.raises(ProblemsFound) as unknown_change:
        history.restore_value(database, study_id, 99999)
    assert unknown_study.value.problems.flatten(["code", "location"]) == [
        ["study-not-found", "no-such-id"]
    ]
    assert unknown_change.value.problems.flatten(["code", "location"]) == [
        ["change-not-found", f"{study_id}: change 99999"]
    ]


# --- purging --------------------------------------------------------------------------------------


def deleted_days_ago(storage: Storage, study_id: str, days: int) -> None:
    storage.delete_study(study_id)
    when = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
    with storage.engine.begin() as conn:
        conn.execute(
            text("UPDATE studies SET deleted_at = :when WHERE id = :id"),
            {"when": when, "id": study_id},
        )


def test_purge_removes_only_what_was_deleted_before_the_grace_period(database):
    old = database.create_study(load_study(P01))
    recent = database.create_study(load_study(P02))
    deleted_days_ago(database, old, 40)
    deleted_days_ago(database, recent, 3)

    result = invoke("purge-deleted")
    assert result.exit_code == 0, result.output
    assert f"removed for good: {old}" in result.stdout
    assert recent not in result.stdout
    assert [s.id for s in database.deleted_studies()] == [recent]
    assert database.history(recent) != []


def test_purging_within_the_grace_period_needs_yes(database):
    recent = database.create_study(load_study(P02))
    deleted_days_ago(database, recent, 3)

    refused = invoke("purge-deleted", "--older-than", "0")
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert [s.id for s in database.deleted_studies()] == [recent]

    result = invoke("purge-deleted", "--older-than", "0", "--yes")
    assert result.exit_code == 0, result.output
    assert f"removed for good: {recent}" in result.stdout
    assert database.deleted_studies() == []


def test_the_command_and_the_workflow_keep_the_same_grace_period():
    assert timedelta(days=history_cli.GRACE_DAYS) == history.GRACE_PERIOD
