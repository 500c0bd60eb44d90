"""Cohort figures choose their self-studies by how they were rated: a team self-study
still rating holds no consensus, so a facilitator can count only single-rater studies
and teams that reached consensus, or only the latter (`selfstudy cohort --teams`, the
Cohorts page's "Which self-studies count"), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.access import Actor
from selfstudy.core.study import SelfStudy
from selfstudy.edges.storage import Storage
from selfstudy.workflows.cohorts import stored_columns
from selfstudy.workflows.teams import agree, consensus, record_proposals, start_team
from tests.completion import finished


@pytest.fixture
def network(storage: Storage, default_rubric, monkeypatch) -> dict[str, str]:
    """Three finished programs: one rated alone, one team that agreed, one still rating
    (whose answers moved to its lead's sheet: the study holds none until the team agrees)."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", storage.engine.url.render_as_string(False))
    for name in ("SELFSTUDY_AS", "SELFSTUDY_ADMINS"):
        monkeypatch.delenv(name, raising=False)

    def study(name: str) -> str:
        made = SelfStudy.new(default_rubric, name, cohort="2025", round="baseline")
        return storage.create_study(finished(made, default_rubric))

    ids = {name: study(name) for name in ("Alone", "Agreed", "Rating")}
    lead = storage.acting_as(Actor.local("Ana"))
    for name in ("Agreed", "Rating"):
        start_team(lead, ids[name])  # Ana's sheet holds the study's answers
    lead.open_consensus(ids["Agreed"])
    view = consensus(lead, default_rubric, ids["Agreed"])
    record_proposals(lead, view, view.missing())  # one rater: every answer is unanimous
    agree(lead, default_rubric, ids["Agreed"])
    return ids


def compared(*options: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["cohort", "--from-db", "--min-complete", "0", "--format", "json", *options]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["self_studies"], result.stderr


def test_the_team_choice_keeps_the_studies_it_names(network, storage, default_rubric):
    columns, left = stored_columns(storage, default_rubric.id, "agreed-or-single")
    assert (sorted(columns.labels), left) == (sorted([network["Alone"], network["Agreed"]]), 1)
    columns, left = stored_columns(storage, default_rubric.id, "agreed")
    assert (columns.labels, left) == ([network["Agreed"]], 2)
    assert len(stored_columns(storage, default_rubric.id)[0]) == 3

    assert compared()[0] == 3
    counted, said = compared("--teams", "agreed-or-single")
    assert counted == 2 and "1 self-studies left out: not single-rater" in said
    assert compared("--teams", "agreed")[0] == 1


def test_teams_is_a_choice_among_stored_studies(network, tmp_path):
    result = CliRunner().invoke(main, ["cohort", str(tmp_path), "--teams", "agreed"])
    assert result.exit_code == 2 and "add --from-db" in result.output
