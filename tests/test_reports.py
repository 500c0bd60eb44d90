"""Report files: the scores as CSV and the self-contained HTML report."""

from __future__ import annotations

import csv
import html
import io
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfstudy.core.rounds import previous_round
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.reports.scores_csv import scores_csv

SMALL_RUBRIC = """
id: tiny
version: "1"
title: Tiny rubric
scale:
  levels:
    - {value: 1, label: Not yet}
    - {value: 2, label: Emerging}
    - {value: 3, label: Established}
    - {value: 4, label: Sustaining}
target: 3
dimensions:
  - id: goals
    title: Goals & <aims>
    standards:
      - id: G.1
        title: Written goals
        resources:
          - title: Federal student aid
            url: https://studentaid.gov/
          - title: A sneaky link
            url: "javascript:alert(1)"
          - title: A guide with no address
        items:
          - id: G.1.a
            text: We have written goals.
          - id: G.1.b
            text: We review them.
          - id: G.R
            type: text
            text: What would most help?
  - id: reach
    title: Reach
    standards:
      - id: R.1
        title: Recruiting widely
        items:
          - id: R.1.a
            text: We recruit in the communities we serve.
"""


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class _Page(HTMLParser):
    """The tags and attributes of a page, to check what a browser would fetch."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def links(self) -> list[str]:
        return [a["href"] for tag, a in self.tags if tag == "a" and a.get("href")]


@pytest.fixture
def tiny(rubric_from_yaml):
    return rubric_from_yaml(SMALL_RUBRIC)


def _tiny_study(rubric, name="Tiny program", **values):
    study = SelfStudy.new(rubric, name, round="baseline")
    study.answers = {k: v if isinstance(v, Answer) else Answer(value=v) for k, v in values.items()}
    return study


# --- CSV -----------------------------------------------------------------------------


def test_csv_numbers_equal_the_score_json(default_rubric, sample_set):
    study = sample_set[3]
    result = score(default_rubric, study)
    expected = result.to_dict()
    rows = _csv_rows(scores_csv(default_rubric, study, result))
    assert [r["scope"] for r in rows] == ["overall"] + ["dimension"] * 6 + ["standard"] * 24
    wanted = [expected["overall"], *expected["dimensions"], *expected["standards"]]
    for row, numbers in zip(rows, wanted, strict=True):
        for key in ("mean_level", "percent", "gap"):
            assert (float(row[key]) if row[key] else None) == numbers[key], (row["id"], key)
        assert row["status"] == numbers["status"]
        assert float(row["target"]) == numbers["target"]
    assert [r["id"] for r in rows[7:]] == [s["id"] for s in expected["standards"]]
    assert rows[0]["answered"] == str(result.answered)
    assert rows[0]["required"] == str(result.required)
    by_id = {r["id"]: r for r in rows}
    for dimension in result.dimensions:
        assert by_id[dimension.id]["answered"] == str(dimension.answered)
        assert by_id[dimension.id]["required"] == str(dimension.required)


def test_csv_levels_have_two_decimals_and_percents_one(default_rubric, sample_set):
    result = score(default_rubric, sample_set[0])
    row = _csv_rows(scores_csv(default_rubric, sample_set[0], result))[0]
    assert len(row["mean_level"].split(".")[1]) == 2
    assert len(row["percent"].split(".")[1]) == 1


def test_csv_text_that_looks_like_a_formula_is_prefixed(tiny):
    study = _tiny_study(tiny, name='=HYPERLINK("http://x")', **{"G.1.a": 4, "G.1.b": 4})
    study.program.round = "@round"
    rows = _csv_rows(scores_csv(tiny, study, score(tiny, study)))
    assert {r["program"] for r in rows} == {'\'=HYPERLINK("http://x")'}
    assert {r["round"] for r in rows} == {"'@round"}


# any character a person can type and a model keeps (a NUL is refused: tests/test_study.py)
TYPABLE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
names = st.text(TYPABLE, min_size=1, max_size=40).filter(lambda t: t.strip())
FIXTURES_OK = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FIXTURES_OK
@given(name=names)
def test_csv_program_name_reads_back_exactly_or_with_the_formula_guard(tiny, name):
    study = _tiny_study(tiny, name=name, **{"G.1.a": 2})
    rows = list(csv.reader(io.StringIO(scores_csv(tiny, study, score(tiny, study)))))
    cells = {row[0] for row in rows[1:]}
    stored = study.program.name  # as typed, but for line breaks, which come in as LF
    guarded = "'" + stored if stored[0] in "=+-@\t\r" else stored
    assert cells == {guarded}


def test_csv_negative_gaps_stay_numbers(tiny):
    study = _tiny_study(tiny, **{"G.1.a": 4, "G.1.b": 4})
    rows = _csv_rows(scores_csv(tiny, study, score(tiny, study)))
    gap = next(r for r in rows if r["id"] == "G.1")["gap"]
    assert gap == "-1.00"


def test_csv_unrated_scores_are_blank_with_status_not_rated(tiny):
    study = _tiny_study(tiny, **{"G.1.a": 2})
    row = next(
        r for r in _csv_rows(scores_csv(tiny, study, score(tiny, study))) if r["id"] == "R.1"
    )
    assert (row["mean_level"], row["percent"], row["gap"]) == ("", "", "")
    assert (row["status"], row["status_label"]) == ("not_rated", "Not rated")
    assert (row["answered"], row["required"]) == ("0", "1")


# --- HTML ----------------------------------------------------------------------------


def test_html_report_fetches_nothing_from_the_network(default_rubric, sample_set):
    study = sample_set[1]
    before = previous_round(study, sample_set)
    page = html_report(
        default_rubric,
        study,
        score(default_rubric, study),
        (before, score(default_rubric, before)),
    )
    tags = _Page(page).tags
    assert not [t for t, _ in tags if t in ("script", "link", "iframe", "img", "object")]
    for tag, attrs in tags:
        for name, value in attrs.items():
            if tag == "a" and name == "href":
                continue
            assert not (value or "").lower().startswith(("http:", "https:", "//")), (tag, name)
    assert "@import" not in page
    assert "url(" not in page
    hrefs = "".join(f'href="{html.escape(link)}"' for link in _Page(page).links())
    assert page.count("http") == hrefs.count("http")


def test_html_report_embeds_the_dimension_chart_as_svg(default_rubric, sample_set):
    study = sample_set[0]
    result = score(default_rubric, study)
    page = html_report(default_rubric, study, result)
    assert page.count("<svg") == 1
    svg = page[page.index("<svg") : page.index("</svg>")]
    for dimension in result.dimensions:
        assert f">{html.escape(dimension.title)}<" in svg


def test_html_report_lists_every_priority_with_its_resources(default_rubric, sample_set):
    study = sample_set[0]
    result = score(default_rubric, study)
    assert result.priorities
    page = html_report(default_rubric, study, result)
    priorities = page[page.index('id="priorities"') : page.index('id="reflections"')]
    positions = []
    for standard_id in result.priorities:
        standard = default_rubric.standard_by_id[standard_id]
        positions.append(priorities.index(f">{standard_id}<"))
        for resource in standard.resources:
            assert html.escape(resource.title) in priorities
    assert positions == sorted(positions), "priorities keep their order"


def test_html_report_links_web_resources_but_never_other_schemes(tiny):
    study = _tiny_study(tiny, **{"G.1.a": 1, "G.1.b": 2, "R.1.a": 4})
    page = html_report(tiny, study, score(tiny, study))
    assert _Page(page).links() == ["https://studentaid.gov/"]
    assert "A sneaky link" in page and "A guide with no address" in page


def test_html_report_shows_the_teams_reflections_and_evidence(tiny):
    study = _tiny_study(
        tiny,
        **{
            "G.1.a": Answer(value=3, evidence="Board minutes, May", notes="Ask the board again"),
            "G.R": "Time to look at data & <plan> together.",
        },
    )
    page = html_report(tiny, study, score(tiny, study))
    assert "Time to look at data &amp; &lt;plan&gt; together." in page
    assert "What would most help?" in page
    assert "Board minutes, May" in page and "Ask the board again" in page
    assert "3 Established" in page


def test_html_report_escapes_user_text(tiny):
    study = _tiny_study(tiny, name="<script>alert('x')</script>", **{"G.1.a": 2})
    study.answers["G.1.a"].evidence = '<img src="http://evil.example/x.png">'
    page = html_report(tiny, study, score(tiny, study))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "Goals &amp; &lt;aims&gt;" in page


def shown_in_html(text: str) -> str:
    """The text as a reader sees it: escaped, each control character HTML forbids as �."""
    return re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]", "\ufffd", html.escape(text))


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names, reflection=names)
def test_html_report_never_lets_user_text_become_markup(tiny, name, reflection):
    study = _tiny_study(tiny, name=name, **{"G.1.a": 3, "G.R": reflection})
    page = html_report(tiny, study, score(tiny, study))
    # As typed, but for line breaks, which come in as LF.
    assert shown_in_html(study.program.name) in page
    assert shown_in_html(str(study.answers["G.R"].value)) in page
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", page)  # HTML forbids them
    if "<" in name:
        assert name not in page
    assert not [t for t, _ in _Page(page).tags if t in ("script", "img", "iframe")]


def test_html_report_lists_unanswered_required_items(tiny):
    study = _tiny_study(tiny, **{"G.1.a": 2})
    page = html_report(tiny, study, score(tiny, study))
    completeness = page[page.index('id="completeness"') :]
    assert "1 of 3 required items answered" in completeness
    assert "We review them." in completeness
    assert "We recruit in the communities we serve." in completeness
    assert "We have written goals." not in completeness


def test_html_report_shows_change_since_the_previous_round(tiny):
    baseline = _tiny_study(tiny, **{"G.1.a": 2, "G.1.b": 2, "R.1.a": 3})
    follow_up = _tiny_study(tiny, **{"G.1.a": 3, "G.1.b": 4, "R.1.a": 3})
    follow_up.program.round = "follow-up"
    page = html_report(tiny, follow_up, score(tiny, follow_up), (baseline, score(tiny, baseline)))
    change = page[page.index('id="change"') : page.index('id="standards"')]
    assert "baseline" in change
    assert "+1.50" in change  # Goals: 2.00 -> 3.50
    assert "no change" in change  # Reach stays at 3.00
    assert 'id="change"' not in html_report(tiny, follow_up, score(tiny, follow_up))
