"""The Cohorts page over a real SQLite database of the sample network (8 programs, 2 rounds).

The bundled samples are finished but for the last program's follow-up, a round under way;
here each is finished (`tests.completion`), so that all 16 count by default, except where a
test leaves one part way to see how the page leaves it out.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.cohorts import compare, pseudonym, score_studies
from selfstudy.core.samples import sample_studies
from selfstudy.core.study import Answer
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from tests.completion import bridge_part_way, finished

PAGE = str(PROJECT_ROOT / "selfstudy" / "app" / "pages" / "cohorts.py")


@pytest.fixture(autouse=True)
def no_pseudonym_secret(monkeypatch) -> None:
    monkeypatch.delenv("SELFSTUDY_PSEUDONYM_SECRET", raising=False)


@pytest.fixture
def finished_set(sample_set, default_rubric) -> list:
    return [finished(study, default_rubric) for study in sample_set]


@pytest.fixture
def network(db, finished_set) -> Storage:
    for study in finished_set:
        db.create_study(study)
    return db


@pytest.fixture
def part_way(db, sample_set, default_rubric) -> Storage:
    """The network finished but for Bridge to STEM Summer Academy's follow-up: 47 of 76."""
    for study in bridge_part_way(sample_set, default_rubric):
        db.create_study(study)
    return db


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Click a tab: only the open tab's view is built."""
    at.session_state["cohort_view"] = label
    at.run()
    assert not at.exception, at.exception
    return at


VIEWS = [
    "Groups",
    "Heatmap",
    "Distributions",
    "Change",
    "Needs and assets",
    "One program",
    "Team ratings",
]


def charts(at: AppTest) -> list:
    return at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_page_shows_each_cohort_and_round_with_the_numbers_of_the_scoring_rules(
    network, finished_set, default_rubric
):
    at = open_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Self-studies": "16", "Programs": "8", "Rounds": "2"}
    expected = compare(score_studies(default_rubric, finished_set), by="cohort").dimensions
    table = at.dataframe[0].value
    assert len(table) == len(expected) == 2 * 2 * 6
    first = table.iloc[0]
    assert first["cohort"] == expected["cohort"].iloc[0]
    assert first["round"] == "baseline"
    assert first["dimension"] == "Program Goals"
    assert first["mean_level"] == round(expected["mean_level"].iloc[0], 2)
    assert first["share_meets"] == round(expected["share_meets"].iloc[0], 2)
    assert not charts(at)  # the other tabs are built only when opened
    for tab in ["Heatmap", "Distributions", "Change", "One program"]:
        assert len(charts(open_tab(at, tab))) == 1, tab
    assert not open_tab(at, "Needs and assets").get("arrow_vega_lite_chart")


def test_the_heatmap_prints_every_programs_level_and_says_what_it_shows(network, finished_set):
    at = open_tab(open_page(), "Heatmap")
    assert any(c.value.startswith("Each cell is a program's mean level") for c in at.caption)


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


def test_changes_compare_baseline_and_follow_up_per_cohort(network, finished_set, default_rubric):
    at = open_tab(open_page(), "Change")
    expected = compare(score_studies(default_rubric, finished_set), by="cohort").change_summary
    overall = expected[expected["dimension"].isna()]
    change_table = next(d.value for d in at.dataframe if "mean_change" in d.value.columns)
    assert list(change_table["mean_change"]) == [round(v, 2) for v in overall["mean_change"]]
    assert any("baseline → follow-up" in m.value for m in at.markdown)


def test_a_network_too_large_to_draw_shows_its_largest_changes_and_says_so(db, default_rubric):
    """One row per program would make the chart of 70 programs' changes too tall to read."""
    studies = sample_studies(default_rubric, programs=70, seed=3)
    for study in studies:
        db.create_study(finished(study, default_rubric))
    at = open_tab(open_page(), "Change")
    change_table = next(d.value for d in at.dataframe if "mean_change" in d.value.columns)
    assert change_table["programs"].sum() == 70  # the table counts every program
    assert len(charts(at)) == 1
    assert any(
        "60 of the 70 programs, to keep the chart readable: the 30 with the largest gains "
        "and the 30 with the largest falls" in c.value
        for c in at.caption
    )


def test_needs_and_assets_list_standards_with_how_many_programs_meet_them(
    network, finished_set, default_rubric
):
    at = open_tab(open_page(), "Needs and assets")
    expected = compare(score_studies(default_rubric, finished_set)).needs
    needs = next(d.value for d in at.dataframe if "Meets" in d.value.columns)
    assert list(needs["Standard"]) == list(expected["standard"].astype(str))
    first = expected.iloc[0]
    assert needs["Meets"].iloc[0] == f"{first['meets']} of {first['rated']}"


def test_pseudonyms_replace_every_program_name_on_the_page(part_way, sample_set):
    at = open_tab(open_page(), "One program")
    at.toggle[0].set_value(True)
    at.session_state["left_out_list"] = True
    at.run()
    assert not at.exception
    names = {s.program.name for s in sample_set}
    options = at.selectbox[-1].options
    assert not names & {o.split(" (")[0] for o in options}
    # made with the database's own secret
    assert pseudonym(sample_set[0].program.id, part_way.pseudonym_secret()) in " ".join(options)
    assert any(o.endswith(" — unfinished, 61% complete") for o in options)
    for tab in VIEWS:
        for frame in open_tab(at, tab).dataframe:
            text = frame.value.to_string()
            assert not any(name in text for name in names), tab


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


# --- which self-studies count: the completeness threshold -------------------------------------

LEFT_OUT = "1 self-study left out: not yet 100% complete."


def notices(at: AppTest) -> list[str]:
    return [box.value for box in at.info]


def test_an_unfinished_self_study_is_left_out_and_listed_with_why(part_way):
    at = open_page()
    assert (
        f"{LEFT_OUT} It is in no figure or download here; the One program tab still "
        in notices(at)[0]
    )
    assert {m.label: m.value for m in at.metric}["Self-studies"] == "15"
    [expander] = [e for e in at.expander if e.label == "The 1 left out, and why"]
    assert not expander.dataframe  # listed when opened
    at.session_state["left_out_list"] = True
    at.run()
    [expander] = [e for e in at.expander if e.label == "The 1 left out, and why"]
    listed = expander.dataframe[0].value
    assert listed.to_dict("records") == [
        {
            "label": "Bridge to STEM Summer Academy (2025 Network cohort, follow-up)",
            "reason": "61% of required items answered (47 of 76); the threshold is 100%",
        }
    ]
    groups = next(d.value for d in at.dataframe if "dimension" in d.value.columns)
    chosen = (groups["cohort"] == "2025 Network cohort") & (groups["round"] == "follow-up")
    follow_up = groups[chosen]
    assert set(follow_up["rated"]) == {3}, "three programs count in that round, not four"


def test_the_threshold_slider_changes_which_self_studies_count(part_way):
    at = open_page()
    [slider] = [s for s in at.slider if s.label == "Count self-studies at least this complete"]
    assert slider.value == 100
    slider.set_value(0).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Self-studies"] == "16"
    assert not any(n.startswith(LEFT_OUT) for n in notices(at))
    assert "Every chosen self-study counts, however unfinished." in [c.value for c in at.caption]
    at.slider[0].set_value(61).run()
    assert {m.label: m.value for m in at.metric}["Self-studies"] == "16"  # 47 of 76 is 61.8%
    at.slider[0].set_value(62).run()
    assert {m.label: m.value for m in at.metric}["Self-studies"] == "15"
    assert any(n.startswith("1 self-study left out: not yet 62% complete.") for n in notices(at))


def test_one_program_still_offers_the_unfinished_study_marked_as_such(part_way):
    at = open_tab(open_page(), "One program")
    program = at.selectbox[-1]
    label = "Bridge to STEM Summer Academy (follow-up) — unfinished, 61% complete"
    assert program.options[-1] == label
    assert "Bridge to STEM Summer Academy (follow-up)" not in program.options
    program.set_value(len(program.options) - 1).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert (
        "The tick is the median of the 3 programs that count with the same cohort and round."
        in captions
    )
    unfinished = "Unfinished: 61% of required items answered (47 of 76); the threshold is 100%."
    assert any(c.startswith(unfinished) for c in captions)


def test_when_no_self_study_is_complete_enough_the_page_says_to_lower_the_threshold(
    db, sample_set, default_rubric
):
    [bridge] = [s for s in bridge_part_way(sample_set, default_rubric) if s.program.id == "p01"][1:]
    db.create_study(bridge)
    at = open_page()
    assert not at.metric
    assert notices(at)[-1] == (
        "The one self-study chosen is not yet 100% complete. Lower “Count self-studies at "
        "least this complete” to count unfinished self-studies."
    )
    assert [e.label for e in at.expander] == ["The 1 left out, and why"]
    at.slider[0].set_value(50).run()
    assert {m.label: m.value for m in at.metric}["Self-studies"] == "1"
