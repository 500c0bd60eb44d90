"""Raters who work in spreadsheets: each fills in a sheet copy, and `selfstudy import …
--team` saves the copies as the raters of one new team self-study (on a SQLite file, and
PostgreSQL too when it runs). Copies of another program or round, or with errors, are
each reported at their own copy, and nothing is saved."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.access import Actor
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.edges.workbooks import export_xlsx


@pytest.fixture
def database(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Storage:
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", storage.engine.url.render_as_string(False))
    for name in ("SELFSTUDY_AS", "SELFSTUDY_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    return storage


def copy_of(tmp_path, default_rubric, stem: str, answers: dict, **program) -> str:
    details = {"round": "baseline", **program}
    study = SelfStudy.new(default_rubric, "Bridge to STEM", **details)
    path = tmp_path / f"{stem}.xlsx"
    export_xlsx(study.model_copy(update={"answers": answers}), default_rubric, path)
    return str(path)


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_three_rater_copies_become_one_team_study_with_a_sheet_each(
    database, tmp_path, default_rubric
):
    copies = [
        copy_of(tmp_path, default_rubric, "ana", {"PG.1.a": Answer(value=3)}, completed_by="Ana"),
        copy_of(tmp_path, default_rubric, "bo-copy", {"PG.1.a": Answer(value=1, evidence="x")}),
        copy_of(tmp_path, default_rubric, "cy", {"PG.1.a": Answer(value="N/A")}, completed_by="Cy"),
    ]
    result = invoke("import", *copies, "--team", "--lead", "Ana")
    assert result.exit_code == 0, result.output
    [summary] = database.list_studies()
    assert "saved a team self-study of 'Bridge to STEM' as " + summary.id in result.stdout
    team = database.team(summary.id)
    assert [r.name for r in team.raters] == ["Ana", "bo-copy", "Cy"]
    assert team.lead == "Ana" and not team.is_open
    assert database.get_study(summary.id).study.answers == {}  # the consensus is to come
    bo = database.acting_as(Actor.local("bo-copy")).get_study(team.raters[1].sheet_id)
    assert bo.study.answers == {"PG.1.a": Answer(value=1, evidence="x")}
    assert bo.study.program.round == "baseline"
    # and the lead goes on in the app, or here
    assert invoke("team", "open", summary.id, "--by", "Ana").exit_code == 0


def test_a_copy_of_another_round_is_located_and_nothing_is_saved(
    database, tmp_path, default_rubric
):
    copies = [
        copy_of(tmp_path, default_rubric, "ana", {"PG.1.a": Answer(value=3)}),
        copy_of(tmp_path, default_rubric, "bo", {"PG.1.a": Answer(value=2)}, round="follow-up"),
        copy_of(tmp_path, default_rubric, "cy", {"PG.1.a": Answer(value=2)}),
    ]
    result = invoke("import", *copies, "--team")
    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if "team" in line]
    assert line.startswith(f"{copies[1]}: it is of the round 'follow-up'")
    assert database.list_studies() == []


def test_a_copy_with_an_error_stops_the_team_and_is_located(database, tmp_path, default_rubric):
    good = copy_of(tmp_path, default_rubric, "ana", {"PG.1.a": Answer(value=3)})
    bad = tmp_path / "bo.xlsx"
    bad.write_bytes(b"not a workbook")
    result = invoke("import", good, str(bad), "--team")
    assert result.exit_code == 1
    assert str(bad) in result.stderr and "no team self-study was saved" in result.stderr
    assert database.list_studies() == []


def test_one_copy_is_not_a_team(database, tmp_path, default_rubric):
    only = copy_of(tmp_path, default_rubric, "ana", {"PG.1.a": Answer(value=3)})
    result = invoke("import", only, "--team")
    assert result.exit_code == 1 and "two or more raters' copies" in result.stderr
    assert database.list_studies() == []
