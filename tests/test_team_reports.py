"""Reports of a team self-study say how sure the team was, from only what the reader may see.

Ana leads and rates, Bo rates: PG.1.a 3 and 1, PG.1.b 2 and 2, PG.2.a 4 and 3. By hand:
standard PG.1 has two items compared, one pair of levels the same of two (50%) and one
within one level (50%); PG.2 has one item, its pair one level apart (0% and 100%); the
dimension and the whole study have three pairs, one the same (33.3%) and two within one
level (66.7%). The reports (HTML, scores CSV, xlsx sheet copy) are read the way a person
reads them: the HTML's table cells, the CSV's columns, the workbook's cells.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from selfstudy.core.access import Actor
from selfstudy.core.scoring import score
from selfstudy.core.sheetcopy import parse_sheet_copy
from selfstudy.core.study import Answer
from selfstudy.core.team import Reveal
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.reports.scores_csv import CSV_COLUMNS, scores_csv
from selfstudy.edges.reports.team_figures import PENDING, TEAM_AGREEMENT_TAB
from selfstudy.edges.storage import Storage
from selfstudy.edges.workbooks import read_xlsx, xlsx_bytes
from selfstudy.workflows import reports
from selfstudy.workflows.teams import consensus, record_consensus, start_team
from tests.completion import finish_sheet

ANA = {
    "PG.1.a": Answer(value=3, evidence="ANA-EVIDENCE-7", notes="ana-note"),
    "PG.1.b": Answer(value=2),
    "PG.2.a": Answer(value=4),
}
BO = {
    "PG.1.a": Answer(value=1, evidence="BO-EVIDENCE-9", notes="bo-note"),
    "PG.1.b": Answer(value=2),
    "PG.2.a": Answer(value=3),
}
AGREED = {"PG.1.a": 2, "PG.1.b": 2, "PG.2.a": 3}


def as_(storage: Storage, name: str) -> Storage:
    return storage.acting_as(Actor.local(name))


def rated_team(storage, new_study, reveal=Reveal.CONSENSUS) -> str:
    """A team study Ana leads, with Ana's and Bo's ratings on their own sheets."""
    study_id = storage.create_study(new_study)
    start_team(as_(storage, "Ana"), study_id, reveal=reveal)
    as_(storage, "Bo").add_rater(study_id, "Bo")
    for rater in storage.team(study_id).raters:
        me = as_(storage, rater.name)
        me.save_answers(rater.sheet_id, ANA if rater.name == "Ana" else BO, dict.fromkeys(ANA))
    return study_id


@pytest.fixture
def agreed_team(storage, new_study, default_rubric):
    """The team study once Ana opened the consensus step and recorded the team's ratings."""
    study_id = rated_team(storage, new_study)
    ana = as_(storage, "Ana")
    ana.open_consensus(study_id)
    view = consensus(ana, default_rubric, study_id)
    for item_id, value in AGREED.items():
        seen = storage.get_study(study_id).revisions.get(item_id)
        record_consensus(ana, study_id, item_id, value, "agreed", view.answers_by_rater, seen)
    return storage, study_id


def downloads(storage: Storage, rubric, study_id: str) -> tuple[str, str, bytes]:
    """The HTML report, the scores CSV and the .xlsx copy of a stored study, as a download
    of it is made for the storage's actor."""
    study = storage.get_study(study_id).study
    result = score(rubric, study)
    figures = reports.team_figures(storage, rubric, study_id)
    return (
        html_report(rubric, study, result, agreement=figures.agreement, team=figures.team),
        scores_csv(rubric, study, result, figures.agreement),
        xlsx_bytes(study, rubric, figures.agreement),
    )


def table_rows(page: str, section: str) -> list[list[str]]:
    """The text of each body row's cells in the first table of a section of the report."""
    part = re.search(rf'<section id="{section}">(.*?)</section>', page, re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", part, re.S).group(1)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_html_report_shows_the_consensus_and_how_much_the_raters_agreed(
    agreed_team, default_rubric
):
    storage, study_id = agreed_team
    page, _, _ = downloads(as_(storage, "Bo"), default_rubric, study_id)
    rows = table_rows(page, "team")
    assert rows[0][:6] == ["", "The whole self-study", "2", "3", "33%", "67%"]
    pg1 = next(r for r in rows if r[0] == "PG.1")
    assert pg1[2:6] == ["2", "2", "50%", "50%"]
    pg2 = next(r for r in rows if r[0] == "PG.2")
    assert pg2[2:6] == ["2", "1", "0%", "100%"]
    library = consensus(storage, default_rubric, study_id).agreement
    assert pg1[6] == f"{library.standards['PG.1'].alpha:.2f}"
    # a standard nobody rated says why it has no alpha
    assert next(r for r in rows if r[0] == "PG.3")[6] == library.standards["PG.3"].alpha_missing
    disagreed = re.search(r"disagreed on most</h3>(.*?)</table>", page, re.S).group(1)
    items = re.findall(r'<td class="id">([^<]+)</td>', disagreed)
    assert items == ["PG.1.a", "PG.2.a"]  # widest range first; PG.1.b had no disagreement
    assert "1–3 (2 steps apart)" in disagreed
    first = re.search(r"<tbody><tr>(.*?)</tr>", disagreed).group(1)
    assert re.findall(r'<td class="num">([^<]+)</td>', first) == ["3", "1", "2"]  # Ana, Bo, team
    # the scores beside it are the consensus's, as any single study's would be
    standards = table_rows(page, "standards")
    assert next(r for r in standards if r[0] == "PG.1")[2] == "2.00"


def test_the_scores_csv_adds_the_agreement_beside_each_score(agreed_team, default_rubric):
    storage, study_id = agreed_team
    _, text, _ = downloads(storage, default_rubric, study_id)
    rows = list(csv.DictReader(io.StringIO(text)))
    by_id = {row["id"]: row for row in rows}
    assert (
        by_id["overall"]["exact_agreement_percent"],
        by_id["overall"]["within_one_percent"],
    ) == (
        "33.3",
        "66.7",
    )
    pg1 = by_id["PG.1"]
    assert (pg1["raters"], pg1["items_compared"], pg1["mean_level"]) == ("2", "2", "2.00")
    assert (pg1["exact_agreement_percent"], pg1["within_one_percent"]) == ("50.0", "50.0")
    library = consensus(storage, default_rubric, study_id).agreement
    assert pg1["krippendorff_alpha"] == f"{library.standards['PG.1'].alpha:.3f}"
    assert by_id["PG.3"]["krippendorff_alpha"] == ""
    assert by_id["PG.3"]["alpha_missing"] == library.standards["PG.3"].alpha_missing
    # the score columns are exactly a single study's
    study = storage.get_study(study_id).study
    plain = list(
        csv.reader(io.StringIO(scores_csv(default_rubric, study, score(default_rubric, study))))
    )
    assert [row[: len(CSV_COLUMNS)] for row in csv.reader(io.StringIO(text))] == plain


def test_the_xlsx_copy_has_a_team_agreement_tab_that_import_skips(agreed_team, default_rubric):
    storage, study_id = agreed_team
    _, _, data = downloads(storage, default_rubric, study_id)
    sheets = read_xlsx(data)
    tab = sheets[TEAM_AGREEMENT_TAB]
    heading = next(n for n, row in enumerate(tab) if row and row[0] == "Scope")
    figures = {
        row[1]: row
        for row in tab[heading + 1 :]
        if len(row) > 1 and row[0] in ("overall", "dimension", "standard")
    }
    assert figures["PG.1"][3:7] == [2, 2, 50, 50]
    assert figures["overall"][5:7] == [33.3, 66.7]
    assert any(row and row[0] == "PG.1.a" and "1–3" in row[2] for row in tab)
    # the copy reads back to the team's answers; the tab is skipped without a word
    imported = parse_sheet_copy(sheets, default_rubric)
    assert imported.study is not None
    assert {k: a.value for k, a in imported.study.answers.items()} == AGREED
    assert list(imported.problems) == []


def test_a_single_studys_reports_are_unchanged(storage, new_study, default_rubric):
    study = new_study.model_copy(update={"answers": {"PG.1.a": Answer(value=3, evidence="e")}})
    study_id = storage.create_study(study)
    figures = reports.team_figures(storage, default_rubric, study_id)
    assert figures == reports.TeamFigures(team=False, agreement=None)
    stored = storage.get_study(study_id).study
    result = score(default_rubric, stored)
    page, text, data = downloads(storage, default_rubric, study_id)
    assert page == html_report(default_rubric, stored, result)
    assert text == scores_csv(default_rubric, stored, result)
    assert read_xlsx(data) == read_xlsx(xlsx_bytes(stored, default_rubric))
    assert 'id="team"' not in page and TEAM_AGREEMENT_TAB not in read_xlsx(data)


@pytest.mark.parametrize("reveal", list(Reveal))
def test_before_the_consensus_step_no_rating_reaches_a_report(
    storage, new_study, default_rubric, reveal
):
    study_id = rated_team(storage, new_study, reveal)
    sheet = {r.name: r.sheet_id for r in storage.team(study_id).raters}
    finish_sheet(as_(storage, "Bo"), sheet["Bo"], default_rubric)
    as_(storage, "Bo").submit_ratings(sheet["Bo"])  # with `submitted`, Bo may see Ana's now
    for reader in (as_(storage, "Ana"), as_(storage, "Bo"), as_(storage, "Cy"), storage):
        assert reports.team_figures(reader, default_rubric, study_id) == reports.TeamFigures(
            team=True
        )
        page, text, data = downloads(reader, default_rubric, study_id)
        assert PENDING in html.unescape(page)
        assert "disagreed" not in page and "Same level" not in page
        assert text.splitlines()[0].split(",") == CSV_COLUMNS
        sheets = read_xlsx(data)
        assert TEAM_AGREEMENT_TAB not in sheets
        everything = page + text + repr(sheets)
        for secret in ("ANA-EVIDENCE-7", "BO-EVIDENCE-9", "ana-note", "bo-note"):
            assert secret not in everything
        rated = [r for r in csv.DictReader(io.StringIO(text)) if r["mean_level"]]
        assert rated == []  # no rater's level is the study's score either
