"""The Results page: scores against targets in words, priorities, reflections, change, downloads."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from selfstudy.core.rounds import round_label
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer
from selfstudy.core.wording import STATUS_LABELS, gap_text
from selfstudy.edges.rubric_files import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
RESULTS = "selfstudy/app/pages/results.py"


def open_results(study_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = study_id
    at.run()
    return at.switch_page(RESULTS).run()


def test_results_show_overall_and_dimension_scores_with_status_in_words(
    db, sample_set, default_rubric
):
    study = sample_set[0]
    study_id = db.create_study(study)
    result = score(default_rubric, study)
    at = open_results(study_id)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Overall mean level"].startswith(f"{result.overall.mean_level:.2f}")
    assert STATUS_LABELS[result.overall.status] in metrics["Overall status"]
    assert metrics["Complete"] == f"{result.completeness:.0%}"
    table = at.dataframe[0].value
    assert list(table["Dimension"]) == [d.title for d in default_rubric.dimensions]
    for (_, row), dimension in zip(table.iterrows(), result.dimensions, strict=True):
        assert STATUS_LABELS[dimension.score.status] in row["Status"]
        words = gap_text(dimension.score.gap)
        assert row["Gap to target"] == words
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # the dimensions, and the standards of the open tab
    first = default_rubric.dimensions[0]
    assert first.standards[0].title in charts[1].proto.spec
    last = default_rubric.dimensions[-1]
    at.session_state["standards-tab"] = last.title  # the user opens the last tab
    at.run()
    assert last.standards[0].title in at.get("vega_lite_chart")[1].proto.spec


def test_results_list_priorities_with_resources_and_the_teams_reflections(
    db, sample_set, default_rubric
):
    study = sample_set[0]
    result = score(default_rubric, study)
    at = open_results(db.create_study(study))
    first = default_rubric.standard_by_id[result.priorities[0]]
    labels = [e.label for e in at.expander]
    assert any(first.id in label and first.title in label for label in labels)
    shown = "\n".join(m.value for m in at.markdown)
    assert first.resources[0].title in shown
    reflection = next(
        a.value for i, a in study.answers.items() if default_rubric.item_by_id[i].type == "text"
    )
    assert reflection.splitlines()[0] in shown


def test_a_later_round_shows_the_change_since_the_earlier_one(db, sample_set, default_rubric):
    baseline, follow_up = sample_set[0], sample_set[1]
    assert follow_up.program.round != baseline.program.round
    db.create_study(baseline)
    at = open_results(db.create_study(follow_up))
    assert f"Change since {round_label(baseline)}" in [s.value for s in at.subheader]
    before, after = score(default_rubric, baseline), score(default_rubric, follow_up)
    delta = after.overall.mean_level - before.overall.mean_level
    assert at.metric[0].proto.delta.startswith(f"{delta:+.2f}")
    change = at.dataframe[1].value
    assert change.iloc[0][""] == "Overall"
    assert change.iloc[0]["Change"] == f"{delta:+.2f}"


def test_the_study_json_scores_and_report_can_be_downloaded(db, sample_set):
    at = open_results(db.create_study(sample_set[0]))
    assert [b.label for b in at.download_button] == [
        "Self-study (JSON)",
        "Self-study with its history (JSON)",
        "Scores (CSV)",
        "Report (HTML)",
    ]


def test_results_of_an_empty_study_say_not_rated_instead_of_failing(db, default_rubric):
    from selfstudy.core.study import SelfStudy

    at = open_results(db.create_study(SelfStudy.new(default_rubric, "Fresh start")))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert "Not rated" in metrics["Overall status"]
    assert metrics["Complete"] == "0%"


def test_results_without_an_open_study_point_to_the_start_page(db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(RESULTS).run()
    assert "No self-study is open" in at.info[0].value


def test_what_a_team_wrote_never_becomes_a_link_or_image(db, sample_set, default_rubric):
    """A program name or reflection with Markdown link syntax is shown as written, not clicked."""
    study = sample_set[0].model_copy(deep=True)
    study.program.name = "[Open me](data:text/html,<script>alert(1)</script>)"
    text_item = next(i for i in default_rubric.items() if i.type == "text")
    study.answers[text_item.id] = Answer(
        value="See ![x](file:///etc/passwd) and [here](javascript:x)"
    )
    at = open_results(db.create_study(study))
    assert not at.exception
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    written = "\n".join(shown)
    assert "Open me" in written and "file:///etc/passwd" in written
    unescaped_link = re.compile(r"(?<!\\)\]\((?:data|file|javascript):")
    assert not [text for text in shown if unescaped_link.search(text)]
