"""The Cohorts page over a real SQLite database of the sample network (8 programs, 2 rounds)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.cohorts import compare, pseudonym, score_studies
from selfstudy.core.study import Answer
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage

PAGE = str(PROJECT_ROOT / "selfstudy" / "app" / "pages" / "cohorts.py")


@pytest.fixture(autouse=True)
def no_pseudonym_secret(monkeypatch) -> None:
    monkeypatch.delenv("SELFSTUDY_PSEUDONYM_SECRET", raising=False)


@pytest.fixture
def network(db, sample_set) -> Storage:
    for study in sample_set:
        db.create_study(study)
    return db


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_shows_each_cohort_and_round_with_the_numbers_of_the_scoring_rules(
    network, sample_set, default_rubric
):
    at = open_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Self-studies": "16", "Programs": "8", "Rounds": "2"}
    expected = compare(score_studies(default_rubric, sample_set), by="cohort").dimensions
    table = at.dataframe[0].value
    assert len(table) == len(expected) == 2 * 2 * 6
    first = table.iloc[0]
    assert first["cohort"] == expected["cohort"].iloc[0]
    assert first["round"] == "baseline"
    assert first["dimension"] == "Program Goals"
    assert first["mean_level"] == round(expected["mean_level"].iloc[0], 2)
    assert first["share_meets"] == round(expected["share_meets"].iloc[0], 2)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 4  # heatmap, distributions, dumbbell, one program


def test_choosing_one_cohort_and_a_dimension_narrows_every_view(network, sample_set):
    at = open_page()
    cohort = sorted({s.program.cohort for s in sample_set})[0]
    at.multiselect[0].set_value([cohort])
    at.selectbox[1].set_value("Student Recruitment")
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Programs"] == "4"
    table = at.dataframe[0].value
    assert set(table["cohort"]) == {cohort}
    assert set(table["standard"]) == {"SR.1", "SR.2", "SR.3", "SR.4"}


def test_changes_compare_baseline_and_follow_up_per_cohort(network, sample_set, default_rubric):
    at = open_page()
    expected = compare(score_studies(default_rubric, sample_set), by="cohort").change_summary
    overall = expected[expected["dimension"].isna()]
    change_table = next(d.value for d in at.dataframe if "mean_change" in d.value.columns)
    assert list(change_table["mean_change"]) == [round(v, 2) for v in overall["mean_change"]]
    assert any("baseline → follow-up" in m.value for m in at.markdown)


def test_needs_and_assets_list_standards_with_how_many_programs_meet_them(
    network, sample_set, default_rubric
):
    at = open_page()
    expected = compare(score_studies(default_rubric, sample_set)).needs
    needs = next(d.value for d in at.dataframe if "Meets" in d.value.columns)
    assert list(needs["Standard"]) == list(expected["standard"].astype(str))
    first = expected.iloc[0]
    assert needs["Meets"].iloc[0] == f"{first['meets']} of {first['rated']}"


def test_pseudonyms_replace_every_program_name_on_the_page(network, sample_set):
    at = open_page()
    at.toggle[0].set_value(True)
    at.run()
    assert not at.exception
    names = {s.program.name for s in sample_set}
    options = at.selectbox[-1].options
    assert not names & {o.split(" (")[0] for o in options}
    # made with the database's own secret
    assert pseudonym(sample_set[0].program.id, network.pseudonym_secret()) in " ".join(options)
    for frame in at.dataframe:
        text = frame.value.to_string()
        assert not any(name in text for name in names)


def test_an_empty_database_explains_what_to_do(db):
    at = open_page()
    assert "no self-studies yet" in at.info[0].value


def test_a_self_study_with_answers_the_rubric_does_not_allow_is_left_out_with_a_warning(
    network, sample_set
):
    broken = sample_set[0].model_copy(deep=True)
    broken.program.id = "broken"
    broken.answers["PG.1.a"] = Answer(value=9)
    network.create_study(broken)
    at = open_page()
    assert "1 self-study left out" in at.warning[0].value
    assert {m.label: m.value for m in at.metric}["Self-studies"] == "16"
