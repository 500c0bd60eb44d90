"""A real browser against the real app: answer, reload, reopen the link elsewhere, see results.

Starts `streamlit run app.py` on a free loopback port with a fresh SQLite file
and drives Debian's chromium through Playwright (`make test` installs chromium;
Playwright's own browser download is never used). Screenshots go to
`test-output/`; `test-output/screenshot.png` is the README's picture
(copied to `docs/screenshot.png`).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = PROJECT_ROOT / "test-output"
TIMEOUT_MS = 30_000
SAMPLE = "Girls Who Build Robots"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed; `make test` installs it"
)


def wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the app did not start at {url} within {seconds} s")


@pytest.fixture
def database(tmp_path) -> Path:
    return tmp_path / "browser.db"


@contextmanager
def running_app(database: Path, folder: Path, port: int) -> Iterator[str]:
    """`streamlit run app.py` on a loopback port with its own SQLite file; its URL."""
    env = {k: v for k, v in os.environ.items() if k != "SELFSTUDY_DATABASE_URL"}
    env["SELFSTUDY_DB"] = str(database)
    log = (folder / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "streamlit"),
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            # A deployed app's code never changes under it; a checkout being edited does,
            # and a module reloaded mid-session leaves it holding objects of old classes.
            "--server.fileWatcherType",
            "none",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def app_url(tmp_path, database, free_port) -> Iterator[str]:
    with running_app(database, tmp_path, free_port) as url:
        yield url


@pytest.fixture
def browser():

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def after_a_run(page, act) -> None:
    """Do `act`, then wait until the run of the app's script it starts has finished."""
    page.evaluate(
        """() => {
          window.__ranSince = false;
          const app = document.querySelector('[data-testid="stApp"]');
          new MutationObserver(() => {
            if (app.getAttribute('data-test-script-state') === 'running') window.__ranSince = true;
          }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
        }"""
    )
    act()
    page.wait_for_function(
        """() => window.__ranSince && document.querySelector('[data-testid="stApp"]')
          .getAttribute('data-test-script-state') === 'notRunning'"""
    )


def rating(page, item_id: str):
    return page.get_by_role("radiogroup", name=f"{item_id} — ")


def choose_dimension(page, title: str) -> None:
    page.get_by_role("radiogroup", name="Dimension").get_by_text(title).click()
    page.get_by_role("heading", name=title).wait_for()


def wait_for_checked(page, item_id: str, label: str) -> None:
    rating(page, item_id).get_by_role("radio", name=label, checked=True).wait_for()


def test_answers_survive_a_reload_and_open_from_the_link_with_results_drawn(
    app_url, browser, database
):
    OUTPUT.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.get_by_role("button", name="Load the 16 sample self-studies").click()
    page.get_by_text("Loaded 16 sample self-studies").wait_for()
    name = page.get_by_label("Program name *", exact=True)
    expect(name).to_have_count(1)  # the page has settled after its rerun
    name.fill("Bridge to STEM")
    # going on to the round leaves the name's box, which sends it: a run, during which the
    # page briefly holds the button twice (its old and new drawing); wait for it to end
    after_a_run(page, lambda: page.get_by_label("Round", exact=True).fill("baseline"))
    page.get_by_role("button", name="Begin the self-study").click()
    page.get_by_role("heading", name="1. Program Goals").wait_for()
    assert "study=" in page.url

    rating(page, "PG.1.a").get_by_role("radio", name="Established").click()
    page.get_by_text("11 required left here").wait_for()
    rating(page, "PG.1.b").get_by_role("radio", name="Emerging").click()
    page.get_by_text("10 required left here").wait_for()
    page.get_by_text("Evidence and notes").first.click()  # PG.1.a's, drawn when opened
    evidence = page.get_by_label("Evidence (how do you know?)")
    evidence.fill("Minutes of the October staff meeting")
    evidence.blur()
    page.get_by_text("Evidence and notes ✓").wait_for()
    reflection = page.get_by_label("PG.R — What would most help")
    reflection.fill("Time to meet families")
    reflection.blur()
    page.get_by_role("button", name="Next: Student Recruitment").click()
    page.get_by_role("heading", name="2. Student Recruitment").wait_for()
    rating(page, "SR.1.a").get_by_role("radio", name="Sustaining").click()
    page.get_by_text("12 required left here").wait_for()
    page.screenshot(path=str(OUTPUT / "self-study.png"))

    link = page.url
    page.reload()
    choose_dimension(page, "Program Goals")
    wait_for_checked(page, "PG.1.a", "Established")
    wait_for_checked(page, "PG.1.b", "Emerging")
    expect(page.get_by_label("Evidence (how do you know?)")).to_have_value(
        "Minutes of the October staff meeting"
    )
    expect(page.get_by_label("PG.R — What would most help")).to_have_value("Time to meet families")

    elsewhere = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    elsewhere.set_default_timeout(TIMEOUT_MS)
    elsewhere.goto(link)
    choose_dimension(elsewhere, "Student Recruitment")
    wait_for_checked(elsewhere, "SR.1.a", "Sustaining")

    elsewhere.get_by_role("link", name="Results").click()
    elsewhere.get_by_role("heading", name="Results").wait_for()
    chart = elsewhere.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for()
    assert chart.bounding_box()["height"] > 100
    elsewhere.screenshot(path=str(OUTPUT / "results.png"), full_page=True)

    with elsewhere.expect_download() as download:
        elsewhere.get_by_role("button", name="Report (HTML)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Bridge to STEM" in report
    assert download.value.suggested_filename.endswith(".html")

    readme_screenshot(elsewhere, app_url, database)


def readme_screenshot(page, app_url: str, database: Path) -> None:
    """Results of a sample program's follow-up round, with the change since its baseline."""
    summaries = Storage(f"sqlite:///{database}").list_studies()
    follow_up = next(s for s in summaries if s.name == SAMPLE and s.round == "follow-up")
    page.goto(f"{app_url}/results?study={follow_up.id}")
    page.get_by_role("heading", name="Change since baseline").wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.locator("canvas, svg").first.wait_for()
    page.wait_for_timeout(500)  # let the chart finish its first paint
    page.screenshot(path=str(OUTPUT / "screenshot.png"))
