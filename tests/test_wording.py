"""How numbers and statuses read: one rule for every screen, and the screens keep to it."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from selfstudy.cli import main
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.scoring import STATUSES, score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.core.wording import (
    STATUS_LABELS,
    STATUS_SYMBOLS,
    gap_text,
    level_text,
    percent_text,
    sentence,
    signed_text,
    status_text,
)
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.rubric_files import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
RESULTS = "selfstudy/app/pages/results.py"

# Weights 4 and 996 on levels 2 and 3 give a mean of 2.996: it shows as 3.00,
# yet it is below the target of 3.
NEARLY_THERE = """
id: nearly-there
version: "1"
title: Nearly there
scale:
  levels:
    - {value: 1, label: Not yet}
    - {value: 2, label: Emerging}
    - {value: 3, label: Established}
    - {value: 4, label: Sustaining}
target: 3
dimensions:
  - id: goals
    title: Program goals
    standards:
      - id: G.1
        title: Written goals
        items:
          - {id: G.1.a, text: We have written goals., weight: 4}
          - {id: G.1.b, text: We review them., weight: 996}
"""


@pytest.mark.parametrize(
    ("gap", "words"),
    [
        (0, "on target"),
        (0.0, "on target"),
        (0.004, "just below"),
        (-0.004, "just above"),
        # 0.125 is exact in binary; Python rounds the tie to even, as the screens show it.
        (0.125, "0.12 below"),
        (0.126, "0.13 below"),
        (-0.5, "0.50 above"),
        (1.0, "1.00 below"),
        (None, "—"),
    ],
)
def test_a_gap_reads_on_target_only_when_it_is_exactly_zero(gap, words):
    """An unrated standard has no gap; it reads `—`, like its level."""
    assert gap_text(gap) == words


def test_a_level_shows_two_decimals_or_a_dash_when_unrated():
    assert level_text(2.996) == "3.00"
    assert level_text(1) == "1.00"
    assert level_text(None) == "—"


def test_a_change_keeps_its_sign_and_a_share_reads_as_a_whole_percent():
    assert (signed_text(0.12), signed_text(-0.5), signed_text(None)) == ("+0.12", "-0.50", "—")
    assert (percent_text(0.75), percent_text(0), percent_text(None)) == ("75%", "0%", "—")


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("meets", "● Meets"),
        ("approaching", "◐ Approaching"),
        ("not_yet", "○ Not yet"),
        ("not_rated", "– Not rated"),
    ],
)
def test_a_status_reads_as_a_symbol_and_words(status, text):
    assert status_text(status) == text


def test_every_status_has_its_own_words_and_symbol():
    assert set(STATUS_LABELS) == set(STATUS_SYMBOLS) == set(STATUSES)
    assert len(set(STATUS_LABELS.values())) == len(set(STATUS_SYMBOLS.values())) == len(STATUSES)


@pytest.fixture
def nearly_there(tmp_path, monkeypatch):
    """A rubric folder holding only `NEARLY_THERE`, and a study scoring 2.996 against 3."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    path = folder / "nearly-there.yaml"
    path.write_text(textwrap.dedent(NEARLY_THERE))
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    rubric = parse_rubric(path.read_text(), str(path))
    study = SelfStudy.new(rubric, "Nearly there program")
    study.answers = {"G.1.a": Answer(value=2), "G.1.b": Answer(value=3)}
    assert score(rubric, study).overall.mean_level == pytest.approx(2.996)
    return path, rubric, study


def test_a_tiny_gap_reads_the_same_in_the_app_the_report_and_the_terminal(
    db, tmp_path, nearly_there
):
    path, rubric, study = nearly_there
    result = score(rubric, study)
    assert level_text(result.overall.mean_level) == "3.00"
    assert gap_text(result.overall.gap) == "just below"

    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = db.create_study(study)
    at.run()
    at.switch_page(RESULTS).run()
    assert not at.exception
    row = at.dataframe[0].value.iloc[0]
    assert (row["Mean level"], row["Gap to target"]) == ("3.00", "just below")

    page = html_report(rubric, study, result)
    dimensions = page[page.index('id="dimensions"') : page.index('id="standards"')]
    assert '<td class="num">3.00</td>' in dimensions
    assert '<td class="nowrap">just below</td>' in dimensions

    study_file = tmp_path / "study.json"
    study_file.write_text(study.to_json())
    printed = CliRunner().invoke(main, ["score", str(study_file), "--rubric", str(path)])
    assert printed.exit_code == 0, printed.output
    line = next(x for x in printed.output.splitlines() if x.startswith("Program goals"))
    assert line.split()[2:6] == ["3.00", "3", "just", "below"]


def test_a_problem_message_reads_as_a_sentence_on_a_page():
    assert sentence("give the program a name") == "Give the program a name."
    assert sentence("is it there?") == "Is it there?"
    assert sentence("") == ""
