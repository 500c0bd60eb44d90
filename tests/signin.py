"""Sign-in for browser tests: a real OpenID Connect provider, the app set up to use it,
and the clicks a person makes to sign in and out.

`signin_site` starts, on loopback ports, the test provider (tests/oidc_provider, Node,
with the people a test chooses) and one `streamlit run app.py` from the checkout whose
secrets file holds an `[auth]` for that provider. The secrets file lives in the test's
folder and is named with Streamlit's `secrets.files` option, so the repository's own
`.streamlit/` is neither written nor read for secrets (its config.toml still applies),
and tests can run side by side. The app is opened at `localhost`, the host of its
`redirect_uri`: the cookie that holds the sign-in's state is kept per host name.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from selfstudy.edges.rubric_files import PROJECT_ROOT
from tests.test_browser import TIMEOUT_MS, wait_until_healthy

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "selfstudy-test"
NODE = shutil.which("node")
SIGNED_IN = "Signed in as"


@dataclass(frozen=True)
class Person:
    """Someone the provider knows: what they type on its form, and the claims it sends.

    A claim left None is not sent at all (a provider that says nothing of it).
    """

    username: str
    password: str
    sub: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None

    def provider_entry(self) -> dict[str, object]:
        claims = {"email": self.email, "email_verified": self.email_verified, "name": self.name}
        entry = {"password": self.password, "sub": self.sub}
        return entry | {key: value for key, value in claims.items() if value is not None}


def person(username: str, **claims: object) -> Person:
    """A person with a password of their own and a verified email at example.test."""
    defaults = {
        "password": f"{username}-password-{secrets.token_hex(4)}",
        "sub": f"sub-{username}",
        "email": f"{username}@example.test",
        "email_verified": True,
        "name": username.title(),
    }
    return Person(username=username, **(defaults | claims))


@dataclass(frozen=True)
class SignInSite:
    url: str  # the app, at http://localhost:<port>
    issuer: str  # the provider, at http://localhost:<port>
    people: dict[str, Person]
    folder: Path  # the secrets file and both servers' logs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def provider_installed() -> None:
    """`npm ci` in tests/oidc_provider unless node_modules already matches the lock file.

    `make test` does this too; here it covers a plain `pytest` in a fresh clone. A lock
    file keeps two test processes from installing at once.
    """
    lock, installed = PROVIDER_DIR / "package-lock.json", PROVIDER_DIR / "node_modules"
    marker = installed / ".package-lock.json"  # npm ci writes it last
    with (PROVIDER_DIR / ".npm-ci.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PROVIDER_DIR,
            check=True,
            timeout=300,
        )


def stop(*processes: subprocess.Popen) -> None:
    """TERM to each, ten seconds for them to end (they end side by side), then KILL."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def started(command: list[str], log: Path, **options) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **options)
    try:
        yield process
    finally:
        stop(process)


def wait_for_issuer(process: subprocess.Popen, log: Path, seconds: float = 30) -> str:
    """The issuer the provider prints once it listens (`OP_READY <issuer>`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("OP_READY "):
                return line.split(" ", 1)[1].strip()
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited with status {process.returncode}: {log}")
        time.sleep(0.05)
    raise TimeoutError(f"the provider did not start within {seconds} s: {log}")


def secrets_toml(app_url: str, issuer: str, client_secret: str) -> str:
    settings = {
        "redirect_uri": f"{app_url}/oauth2callback",
        "cookie_secret": secrets.token_urlsafe(48),
        "client_id": CLIENT_ID,
        "client_secret": client_secret,
        "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
    }
    return "[auth]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())


def app_environment(database: Path, database_url: str | None, admins: str) -> dict[str, str]:
    names = ("SELFSTUDY_DATABASE_URL", "SELFSTUDY_DB", "SELFSTUDY_ADMINS")
    env = {k: v for k, v in os.environ.items() if k not in names}
    env["SELFSTUDY_DB"] = str(database)
    env["SELFSTUDY_ADMINS"] = admins
    if database_url:
        env["SELFSTUDY_DATABASE_URL"] = database_url
    return env


@contextmanager
def app_started(
    folder: Path,
    secrets_text: str,
    port: int,
    *,
    database: Path,
    database_url: str | None = None,
    admins: str = "",
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` from the checkout with `secrets_text` as its only secrets file,
    started and not yet waited for (`wait_until_healthy`), so that it starts while something
    else does; its URL, at `localhost` (the host its sign-in settings name), and process."""
    with socket.socket() as probe:  # a server left from an earlier run would answer for us
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"something already listens on port {port}")
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(secrets_text, encoding="utf-8")
    secrets_file.chmod(0o600)
    command = streamlit_command(secrets_file, port)
    env = app_environment(database, database_url, admins)
    with started(command, folder / "streamlit.log", cwd=PROJECT_ROOT, env=env) as app:
        yield f"http://localhost:{port}", app


@contextmanager
def app_server(
    folder: Path,
    secrets_text: str,
    port: int,
    *,
    database: Path,
    database_url: str | None = None,
    admins: str = "",
) -> Iterator[str]:
    """`app_started`, once it answers: its URL."""
    with app_started(
        folder, secrets_text, port, database=database, database_url=database_url, admins=admins
    ) as (url, app):
        wait_until_healthy(url, app)
        if app.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {app.returncode}")
        yield url


def streamlit_command(secrets_file: Path, port: int) -> list[str]:
    """`streamlit run app.py` from the checkout, on a loopback port, with one secrets file.

    The server runs the code it started with: Streamlit's file watcher, on any change to a
    file of the checkout, drops every module of it and the next run imports them afresh,
    so objects kept from before (the cached storage, a session's study) are of classes the
    new code no longer knows (`isinstance` fails, every page errors). Someone editing the
    checkout while the tests run would break them so."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app.py"),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        f"--secrets.files={secrets_file}",
    ]


@contextmanager
def app_servers(
    folders: list[Path], secrets_text: str, *, database_url: str, admins: str = ""
) -> Iterator[list[str]]:
    """One app server per folder, all on the database at `database_url`, started at once
    (as app instances behind a load balancer start); their URLs, in the folders' order.

    Each server has a free port, its own secrets file (`secrets_text`) and its own log in
    its folder.
    """
    with ExitStack() as stack:
        running = []
        for folder in folders:
            port = free_port()
            secrets_file = folder / "secrets.toml"
            secrets_file.write_text(secrets_text, encoding="utf-8")
            secrets_file.chmod(0o600)
            env = app_environment(folder / "unused.db", database_url, admins)
            command = streamlit_command(secrets_file, port)
            log = folder / "streamlit.log"
            app = stack.enter_context(started(command, log, cwd=PROJECT_ROOT, env=env))
            running.append((f"http://localhost:{port}", app))
        for url, app in running:
            wait_until_healthy(url, app)
        yield [url for url, _ in running]


@contextmanager
def signin_site(
    folder: Path,
    people: Iterable[Person],
    *,
    database: Path,
    database_url: str | None = None,
    admins: str = "",
) -> Iterator[SignInSite]:
    """The provider with `people`, and the app signing in through it; both stopped after.

    The app's data is the SQLite file `database`, or `database_url` when given.
    `admins` is SELFSTUDY_ADMINS, the emails of the first network admins.
    """
    if NODE is None:
        raise RuntimeError("node is not installed; `make test` installs it")
    provider_installed()
    people = {p.username: p for p in people}
    client_secret = secrets.token_urlsafe(32)
    port, provider_port = free_port(), free_port()
    app_url = f"http://localhost:{port}"
    issuer = f"http://localhost:{provider_port}"  # as the provider names itself
    provider_env = os.environ | {
        "OP_PORT": str(provider_port),
        "APP_ORIGIN": app_url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": client_secret,
        "OP_USERS": json.dumps({name: p.provider_entry() for name, p in people.items()}),
    }
    provider_log = folder / "provider.log"
    # Both start at once (the app asks the provider for its settings only when someone
    # signs in), and both are stopped at once.
    with (
        started([NODE, "provider.mjs"], provider_log, cwd=PROVIDER_DIR, env=provider_env) as op,
        app_started(
            folder,
            secrets_toml(app_url, issuer, client_secret),
            port,
            database=database,
            database_url=database_url,
            admins=admins,
        ) as (url, app),
    ):
        try:
            if (said := wait_for_issuer(op, provider_log)) != issuer:
                raise RuntimeError(f"the provider says its issuer is {said}, not {issuer}")
            wait_until_healthy(url, app)
            if app.poll() is not None:
                raise RuntimeError(f"streamlit exited with status {app.returncode}")
            yield SignInSite(url=url, issuer=issuer, people=people, folder=folder)
        finally:
            stop(app, op)


# --- what a person does in the browser --------------------------------------------------


def signed_in_line(page: Page, label: str = ""):
    """The sidebar's "Signed in as <label>" line."""
    sidebar = page.get_by_test_id("stSidebarUserContent")
    return sidebar.get_by_text(f"{SIGNED_IN} {label}".strip())


def sign_in_button(page: Page, provider: str = "Sign in"):
    return page.get_by_role("button", name=provider, exact=True)


def fill_provider_form(page: Page, username: str, password: str) -> None:
    """On the provider's page: type the username and password and send them."""
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#submit").click()


def leave_for_provider(page: Page, provider: str = "Sign in") -> None:
    """On the app's sign-in page: press the sign-in button and wait for the provider's form."""
    app_origin = page.url.split("/", 3)[:3]
    sign_in_button(page, provider).click()
    page.wait_for_url(lambda url: url.split("/", 3)[:3] != app_origin)
    page.locator("#username").wait_for()


def sign_in(page: Page, username: str, password: str, provider: str = "Sign in") -> None:
    """From the app's sign-in page, through the provider's form, back to the app signed in."""
    leave_for_provider(page, provider)
    fill_provider_form(page, username, password)
    expect(signed_in_line(page)).to_be_visible(timeout=TIMEOUT_MS)


def sign_out(page: Page) -> None:
    """Press Sign out in the sidebar and wait for the sign-in page."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name=re.compile("^Sign in")).first).to_be_visible(
        timeout=TIMEOUT_MS
    )


def settled(page: Page) -> None:
    """Wait until the app's script has finished its run, so that what a page does not show
    is really absent and not merely not drawn yet. Call it after waiting for something the
    run draws: right after a click the run may not have begun."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def open_start(page: Page, app_url: str) -> None:
    """Open the Start page and wait until its first run has finished: on a busy host the
    first run of a new session takes seconds, and its lists are drawn last."""
    page.goto(app_url)
    page.get_by_role("heading", name="STEM equity self-study").wait_for()
    settled(page)


def open_expander(
    page: Page, label: str, drawn_inside: str | None = None, *, within: Locator | None = None
) -> Locator:
    """Open the expander labelled `label` (the first, if several, in `within` or the page)
    and wait until it is open and still, as a person does before clicking in it;
    `drawn_inside` is the label of a widget the run its opening starts draws in it (an
    expander that reruns when opened).

    Streamlit slides an expander open (half a second, more on a busy host), clipping what is
    inside meanwhile, and moving down whatever is below it. Playwright, to show a button in
    it, then scrolls the clipped box itself; once open the box no longer clips, that scroll
    is undone and the button jumps back down under the pointer, so a click pressed before
    the jump and released after it is no click at all: nothing is sent and the app never
    hears of it. A click on something below a box still opening misses it the same way."""
    expanders = (within or page).locator('[data-testid="stExpander"]')
    expander = expanders.filter(has=page.locator("summary", has_text=label)).first
    expander.locator("summary").click()
    if drawn_inside is not None:
        expander.get_by_label(drawn_inside).wait_for()
        settled(page)
    details = expander.locator("details")
    expect(details).to_have_attribute("open", "")
    page.wait_for_function("box => box.getAnimations().length === 0", arg=details.element_handle())
    return expander


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the drop-down list labelled `label` (a Streamlit selectbox)."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_role("combobox", name=label, exact=True)).to_have_value(option)


def options_of(page: Page, label: str) -> list[str]:
    """What the drop-down list labelled `label` offers, as a person opening it reads them."""
    page.get_by_role("combobox", name=label, exact=True).click()
    listbox = page.get_by_role("listbox")  # the one open list
    listbox.get_by_role("option").first.wait_for()
    offered = listbox.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    expect(listbox).to_have_count(0)
    return offered
