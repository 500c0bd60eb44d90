# ruff: noqa: F811  (the browser fixtures are imported from tests/test_browser.py)
"""A real browser draws a plan's run chart: a plan made from a priority, with a cycle and a
measure of eight weekly points, opened on the Improvement page, shows its chart with the
median and the points a rule counted, and the signal in words under it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect

from selfstudy.edges.storage import Storage
from selfstudy.edges.study_files import load_study
from selfstudy.workflows import improvement as plans
from tests.conftest import SAMPLES_DIR
from tests.signin import choose
from tests.test_browser import (  # noqa: F401 (fixtures)
    OUTPUT,
    TIMEOUT_MS,
    app_url,
    browser,
    database,
)

VALUES = [10, 11, 10, 12, 14, 15, 16, 17]  # median 13; a rise after the cycle began: a trend


def test_an_open_plan_draws_its_measure_as_a_run_chart(app_url, browser, database):
    db = Storage(f"sqlite:///{database}")
    study_id = db.create_study(load_study(sorted(SAMPLES_DIR.glob("*.json"))[0]))
    plan_id = plans.plan_from_priority(db, study_id, ["PG.1"], {"aim": "Girls attend weekly"})
    idea_id = plans.add_idea(db, plan_id, "Student-chosen mentors")
    db.add_record("cycle", idea_id, {"objective": "Re-match", "starts_on": "2026-03-23"})
    measure_id = db.add_record("measure", plan_id, {"name": "Girls attending", "unit": "girls"})
    start = date(2026, 3, 2)
    db.add_records(
        "point",
        measure_id,
        [
            {"on": (start + timedelta(weeks=i)).isoformat(), "value": v}
            for i, v in enumerate(VALUES)
        ],
    )

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/improvement?study={study_id}")
    expect(page.get_by_role("heading", name="Improvement")).to_be_visible()
    choose(page, "Open a plan", "Girls attend weekly (PG.1)")
    page.get_by_text("Girls attending · outcome measure").click()
    chart = page.locator(".vega-embed").first
    expect(chart.locator("svg, canvas").first).to_be_visible()
    expect(page.get_by_text("Trend: 6 points in a row going up")).to_be_visible()
    expect(chart.locator("text", has_text="Median 13 girls").first).to_be_visible()
    expect(chart.locator("text", has_text="Trend").first).to_be_visible()  # the legend
    assert chart.bounding_box()["height"] > 200  # drawn at its size, not a flat strip
    page.screenshot(path=str(OUTPUT / "improvement-run-chart.png"), full_page=True)

    # words typed and left in the box, then the page reloaded: saved after the pause in
    # typing, and the plan, whose aim (its name in the picker) changed, is still open
    aim = page.get_by_role("textbox", name="Aim")
    expect(aim).to_have_value("Girls attend weekly")  # never an empty box to type over
    aim.click()
    aim.press("End")
    aim.type(" by June")
    page.wait_for_timeout(1500)  # the pause after which a text area is saved
    expect(page.get_by_text("Girls attend weekly by June (PG.1)")).to_be_visible()
    expect(page.get_by_role("textbox", name="Aim")).to_have_value("Girls attend weekly by June")
    page.reload()
    choose(page, "Open a plan", "Girls attend weekly by June (PG.1)")
    expect(page.get_by_role("textbox", name="Aim")).to_have_value("Girls attend weekly by June")

    page.get_by_text("Download this plan").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Printable plan (HTML)").click()
    printable = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".html")
    assert "Girls attend weekly by June" in printable and "Student-chosen mentors" in printable
    assert "<svg" in printable  # the run chart, drawn into the page


def test_a_form_sent_right_after_typing_is_sent_at_once(app_url, browser, database):
    """A click on a form's button while its box still has the focus is not held back for
    a save that leaving the box never makes (a form sends its boxes with its button): it
    was held for the ten seconds the page waits at most, and looked like nothing happened.
    The waits below are shorter than that hold, not a measure of speed."""
    db = Storage(f"sqlite:///{database}")
    study_id = db.create_study(load_study(sorted(SAMPLES_DIR.glob("*.json"))[0]))
    plan_id = plans.plan_from_priority(db, study_id, ["PG.1"], {"aim": "Girls attend weekly"})
    db.add_record("measure", plan_id, {"name": "Girls attending", "unit": "girls"})
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/improvement?study={study_id}")
    choose(page, "Open a plan", "Girls attend weekly (PG.1)")

    title = page.get_by_label("Title of the idea")
    title.fill("Peer mentors")  # the focus stays in the box
    page.get_by_role("button", name="Add our idea").click()
    expect(page.get_by_text("Peer mentors").first).to_be_visible(timeout=HELD_MS)

    page.get_by_text("Girls attending · outcome measure").click()
    page.get_by_role("spinbutton", name="Value").fill("12")
    page.get_by_label("Note (optional)").fill("first week")  # the focus stays in the box
    page.get_by_role("button", name="Add the data point").click()
    expect(page.get_by_text("Data points (1)")).to_be_visible(timeout=HELD_MS)
    expect(page.get_by_text("— first week")).to_be_visible()


HELD_MS = 8_000  # under the 10 s a held click waits at most, well over a rerun
