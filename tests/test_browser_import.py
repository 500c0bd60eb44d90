# ruff: noqa: F811  (the browser fixtures are imported from tests/test_browser.py)
"""Importing several sheet copies in a real browser (see tests/test_browser.py): the plan
and the report link each stored self-study, and the link opens it, as a person clicks it.

The tables are drawn on a canvas: the test moves the mouse along a row until the table
shows the hand of a link, as a person sees it, and clicks there.
"""

from __future__ import annotations

import pytest

from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.storage import Storage
from selfstudy.edges.workbooks import xlsx_bytes
from tests.test_browser import CHROMIUM, TIMEOUT_MS, app_url, browser, database  # noqa: F401

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(),
    reason="chromium is not installed; `make test` installs it",
)
ROW = 35  # the height of a table's row, and of its header, in pixels


def link_in_row(page, table, row: int) -> tuple[float, float] | None:
    """Move the mouse along the `row`th row (from 1) of a table until it is over a link
    (the table's canvas shows a hand): where it is; None when no place in the row is."""
    box = table.bounding_box()
    y = box["y"] + ROW * row + ROW / 2
    canvas = table.get_by_test_id("data-grid-canvas")
    for x in range(int(box["x"]) + 2, int(box["x"] + box["width"]), 3):
        page.mouse.move(x, y)
        if canvas.evaluate("c => getComputedStyle(c).cursor") == "pointer":
            return x, y
    return None


def open_link_in_row(page, table, row: int):
    """Click the link in the `row`th row of a table; the tab it opens."""
    place = link_in_row(page, table, row)
    assert place is not None, f"row {row} of the table holds no link"
    with page.context.expect_page() as opened:
        page.mouse.click(*place)
    tab = opened.value
    tab.set_default_timeout(TIMEOUT_MS)
    return tab


def test_the_plan_and_the_report_open_each_stored_self_study_in_a_new_tab(
    app_url, browser, database, sample_set, tmp_path
):
    storage = Storage(f"sqlite:///{database}")
    stored_id = storage.create_study(sample_set[0])
    rubric = rubric_by_id(sample_set[0].rubric.id, sample_set[0].rubric.version)
    files = []
    for name, study in (("p01.xlsx", sample_set[0]), ("p02.xlsx", sample_set[2])):
        files.append(tmp_path / name)
        files[-1].write_bytes(xlsx_bytes(study, rubric))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/import-sync")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    page.get_by_text("Read 2 copies: 1 can be saved, 1 is left out").wait_for()
    plan = page.get_by_test_id("stDataFrame").last
    plan.get_by_test_id("data-grid-canvas").wait_for()

    stored = open_link_in_row(page, plan, 1)  # p01.xlsx: its program and round are stored
    opened_as(stored, stored_id, sample_set[0])
    stored.close()
    # p02.xlsx is new: its row has no link (not even one to a blank tab at a cell's edge)
    assert link_in_row(page, plan, 2) is None

    page.get_by_role("button", name="Save 1 copy").click()
    page.get_by_text("Imported 2 copies: 1 saved, 1 skipped.").wait_for()
    [new_id] = {s.id for s in storage.list_studies()} - {stored_id}
    report = page.get_by_test_id("stDataFrame").first
    report.get_by_test_id("data-grid-canvas").wait_for()
    saved = open_link_in_row(page, report, 2)  # p02.xlsx: saved
    opened_as(saved, new_id, sample_set[2])
    saved.close()
    opened_as(open_link_in_row(page, report, 1), stored_id, sample_set[0])  # p01.xlsx: skipped
    storage.engine.dispose()


def opened_as(tab, study_id: str, study: SelfStudy) -> None:
    """The tab shows this self-study on the Self-study page."""
    tab.get_by_role("heading", name="1. Program Goals").wait_for()
    assert f"/self-study?study={study_id}" in tab.url
    tab.get_by_text(study.program.name).first.wait_for()
