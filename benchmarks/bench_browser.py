"""The app in a real browser: from a click to the drawn page, and an answer click's server time.

Issue 12's targets: from click to drawn page for "Next: …" (the next dimension of a
self-study), the Results page and the Cohorts page, each under 1 s median with the
sample data; a single answer click under 100 ms of server time.

`streamlit run app.py` is started on a free loopback port with a new SQLite file
holding the 16 sample self-studies (stored by `workflows.studies.load_samples`, what
the Start page's button does), its file watcher off (others' edits in the checkout
must not disturb it), and Debian's chromium is driven through Playwright.

A page counts as drawn in the browser's own clock: the click is the time of the
`click` event (a listener on the window), and the page is drawn at the animation
frame after the one in which the heading wanted is shown, Streamlit's script has
finished (`data-test-script-state="notRunning"` on the app, the sign Streamlit's
own tests wait for), no element is stale, and every chart and table in view has
its canvas or SVG. The first click of each kind (for a page, its first visit: the
server's cold caches and imports) is shown apart and not counted in the median.
Beside each page's figure is the server's part of it: from the click's rerun
request to the last script finished, on the websocket (below).

An answer click's server time is read on the websocket, by a relay on the loopback
between chromium and the app (`Relay`) that notes when each message passes it: from
the `rerun_script` BackMsg the click sends to the last `script_finished` ForwardMsg
before the next click. That is the server's time plus two loopback hops. (The
browser's own timestamps of websocket frames, through the DevTools Protocol, are taken
on its page thread once it has drawn the messages before them: they added 40 to 150 ms
of the browser's drawing to each answer click on a 2-core machine.) The answer toggles
between two levels of an item already answered, so progress does not move (a fragment
rerun).

`SELFSTUDY_BENCH_BROWSER_RUNS` sets the repetitions (default 12; 20 for answers at
least). Skipped, with the reason, when chromium is not installed.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from benchmarks.timing import load
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric
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
DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"
SAMPLE = "Girls Who Build Robots"  # its follow-up: Results shows the change since baseline
ITEM = "PG.1.a"  # the answer clicked, between two levels
LEVELS = ("Established", "Emerging")
TIMEOUT_MS = 60_000
PAGE_TARGET = 1.0  # seconds, median
ANSWER_TARGET = 0.1  # seconds of server time, median

RUN_NAMES = {
    "FINISHED_FRAGMENT_RUN_SUCCESSFULLY": "fragment",
    "FINISHED_SUCCESSFULLY": "whole page",
    "FINISHED_EARLY_FOR_RERUN": "stopped for a rerun",
}

# Records when the person clicked, in the page's clock.
CLICK_LISTENER = """
window.addEventListener('click', () => { window.__clickedAt = performance.now(); }, true);
"""

# Resolves with the page's clock at the frame after the page is drawn: `pattern` (a regular
# expression) matches a level-one heading, the script has finished, nothing is stale, and
# every chart and table in view is drawn.
DRAWN = """
async ([pattern, timeout]) => {
  const heading = new RegExp(pattern);
  const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
  const inView = element => element.checkVisibility();  // not in a closed tab or expander
  const drawn = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const titles = [...document.querySelectorAll('h1')].filter(inView);
    if (!titles.some(h => heading.test(h.textContent.trim()))) return false;
    for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
      if (inView(chart) && !chart.querySelector('canvas, svg')) return false;
    }
    for (const table of document.querySelectorAll('[data-testid="stDataFrame"]')) {
      if (inView(table) && !table.querySelector('canvas')) return false;
    }
    return true;
  };
  const start = performance.now();
  while (!drawn()) {
    if (performance.now() - start > timeout) throw new Error('not drawn: ' + pattern);
    await frame();
  }
  await frame();
  return performance.now();
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(database: Path, folder: Path) -> Iterator[str]:
    """`streamlit run app.py` on a loopback port with its own SQLite file; its URL."""
    env = {k: v for k, v in os.environ.items() if k != "SELFSTUDY_DATABASE_URL"}
    env["SELFSTUDY_DB"] = str(database)
    port = free_port()
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
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with status {process.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the app did not start at {url}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Clicks:
    """Clicks timed from the click event to the drawn page, in the page's own clock, and
    the server's part of each: from the first rerun request to the last script finished,
    on the websocket."""

    def __init__(self, page, frames: Frames) -> None:
        self.page = page
        self.frames = frames
        self.server: list[float] = []  # seconds, one per timed click

    def drawn(self, pattern: str) -> float:
        return self.page.evaluate(DRAWN, [pattern, TIMEOUT_MS])

    def time(self, locator, pattern: str) -> float:
        """Seconds from clicking `locator` to the page drawn with a heading matching `pattern`."""
        self.page.evaluate("window.__clickedAt = null")
        self.frames.start()
        locator.click()
        drawn = self.drawn(pattern)
        clicked = self.page.evaluate("window.__clickedAt")
        if clicked is None:
            raise RuntimeError(f"the click on {locator} was not seen by the page")
        self.frames.wait_for_finished(self.page)
        self.server.append(self.frames.span())
        self.frames.recording = False
        return (drawn - clicked) / 1e3

    def take_server(self) -> list[float]:
        taken, self.server = self.server, []
        return taken


class Relay:
    """A loopback relay between chromium and the app that notes, in `time.monotonic()`, when
    each complete websocket message passes it: what the server's socket sees, give or take
    the relay's own hop.

    The browser's own timestamps of websocket frames (DevTools Protocol) are taken on its
    page thread, after it has drawn the messages before them: up to 150 ms late with
    Streamlit's many small messages on this machine, which is no part of the server's time.
    The relay asks for uncompressed messages (it drops the browser's
    `Sec-WebSocket-Extensions`) so that it can read them.
    """

    def __init__(self, target_port: int, keep) -> None:
        self.target_port = target_port
        self.keep = keep  # keep(sent: bool, seconds, payload)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                browser, _ = self.listener.accept()
            except OSError:
                return  # closed
            app = socket.create_connection(("127.0.0.1", self.target_port))
            for sock in (browser, app):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(browser, app, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(app, browser, False), daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _pump(self, source: socket.socket, sink: socket.socket, sent: bool) -> None:
        """Copy bytes from `source` to `sink`; after an upgrade to a websocket, note each
        binary message as it completes."""
        head, buffer, websocket = b"", bytearray(), None
        kind, message = 0, b""
        try:
            while chunk := source.recv(1 << 16):
                now = time.monotonic()
                if websocket is None:
                    head += chunk
                    if b"\r\n\r\n" not in head:
                        continue
                    head, _, rest = head.partition(b"\r\n\r\n")
                    lines = head.split(b"\r\n")
                    websocket = any(
                        line.lower().startswith(b"upgrade: websocket") for line in lines
                    )
                    if websocket and sent:
                        lines = [
                            line
                            for line in lines
                            if not line.lower().startswith(b"sec-websocket-extensions")
                        ]
                    if websocket and not sent and b"sec-websocket-extensions" in head.lower():
                        raise RuntimeError("the app compressed its websocket: cannot read it")
                    sink.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
                    if not websocket:  # plain HTTP: copied as it is
                        continue
                    chunk, buffer = b"", bytearray(rest)
                else:
                    sink.sendall(chunk)
                if not websocket:
                    continue
                buffer += chunk
                while (frame := _frame(buffer)) is not None:
                    size, final, opcode, payload = frame
                    del buffer[:size]
                    if opcode >= 8:
                        continue  # ping, pong or close: between the messages' frames
                    if opcode:  # a message's first frame: 1 text, 2 binary
                        kind, message = opcode, b""
                    message += payload
                    if final and kind == 2:
                        self.keep(sent, now, message)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _frame(data: bytearray) -> tuple[int, bool, int, bytes] | None:
    """The first complete websocket frame in `data` (RFC 6455, section 5.2): its size in
    bytes, whether it ends its message, its opcode and its unmasked payload; else None."""
    if len(data) < 2:
        return None
    final, opcode = bool(data[0] & 0x80), data[0] & 0x0F
    masked, length, at = bool(data[1] & 0x80), data[1] & 0x7F, 2
    if length in (126, 127):
        width = 2 if length == 126 else 8
        if len(data) < at + width:
            return None
        length, at = int.from_bytes(data[at : at + width], "big"), at + width
    mask = b""
    if masked:
        if len(data) < at + 4:
            return None
        mask, at = data[at : at + 4], at + 4
    if len(data) < at + length:
        return None
    payload = bytes(data[at : at + length])
    if masked:
        key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
        payload = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big")
    return at + length, final, opcode, payload


class Frames:
    """The websocket's binary messages as the relay saw them pass, with its timestamps."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, bytes]] = []
        self.received: list[tuple[float, bytes]] = []
        self.recording = False

    def keep(self, sent: bool, seconds: float, payload: bytes) -> None:
        if self.recording:
            (self.sent if sent else self.received).append((seconds, payload))

    def start(self) -> None:
        self.sent.clear()
        self.received.clear()
        self.recording = True

    def wait_for_finished(self, page, count: int = 1) -> None:
        """Until `count` scripts have finished since `start` (events arrive while Playwright
        waits)."""
        deadline = time.monotonic() + TIMEOUT_MS / 1e3
        while self.finished_count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError("no script finished on the websocket")
            page.wait_for_timeout(10)

    def span(self) -> float:
        """Seconds from the first rerun request to the last script finished."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        requests = self._requests()
        finished = [
            t
            for t, data in self.received
            if ForwardMsg.FromString(data).WhichOneof("type") == "script_finished"
        ]
        return finished[-1] - requests[0] if requests and finished else float("nan")

    def _requests(self) -> list[float]:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        return [
            t
            for t, data in self.sent
            if BackMsg.FromString(data).WhichOneof("type") == "rerun_script"
        ]

    def finished_count(self) -> int:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        return sum(
            ForwardMsg.FromString(data).WhichOneof("type") == "script_finished"
            for _, data in self.received
        )

    def server_times(self) -> tuple[list[float], list[str]]:
        """Per rerun request sent: seconds to the last `script_finished` before the next
        request, and which runs (fragment or whole page) finished in between."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        requests = self._requests()
        finished = []
        for t, data in self.received:
            message = ForwardMsg.FromString(data)
            if message.WhichOneof("type") == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                finished.append((t, RUN_NAMES.get(status, status)))
        times, runs = [], []
        for n, start in enumerate(requests):
            end = requests[n + 1] if n + 1 < len(requests) else float("inf")
            mine = [(t, name) for t, name in finished if start <= t < end]
            if mine:
                times.append(mine[-1][0] - start)
                runs.append(" + ".join(name for _, name in mine))
        return times, runs


def summary(
    label: str,
    times: list[float],
    target: float,
    unit_ms: bool = False,
    server: list[float] | None = None,
) -> str:
    first, rest = times[0], times[1:]
    median = statistics.median(rest)
    scale, unit = (1e3, "ms") if unit_ms else (1, "s")
    verdict = "met" if median < target else "NOT met"
    line = (
        f"{label}: median {median * scale:.3f} {unit}, min {min(rest) * scale:.3f} {unit} "
        f"({len(rest)} clicks after the first, {first * scale:.3f} {unit}) — target < "
        f"{target * scale:g} {unit} median: {verdict} ({load()})"
    )
    if server:
        line += (
            f"\n  of which the server (rerun request to script finished, on the websocket): "
            f"median {statistics.median(server[1:]):.3f} s, first {server[0]:.3f} s"
        )
    return line


def main() -> None:
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} is not installed (`make test` installs it)")
        return
    from playwright.sync_api import sync_playwright

    from selfstudy.workflows.studies import load_samples

    runs = max(2, int(os.environ.get("SELFSTUDY_BENCH_BROWSER_RUNS", "12")))
    rubric = load_rubric(DEFAULT_RUBRIC)
    titles = [dimension.title for dimension in rubric.dimensions]
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "browser.db"
        storage = Storage(f"sqlite:///{database}")
        loaded = load_samples(storage)
        study = next(
            s for s in storage.list_studies() if s.name == SAMPLE and s.round == "follow-up"
        )
        storage.engine.dispose()
        print(f"{loaded} sample self-studies; {SAMPLE}'s follow-up open ({load()})", flush=True)
        with running_app(database, Path(folder)) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.add_init_script(CLICK_LISTENER)
            frames = Frames()
            relay = Relay(int(url.rsplit(":", 1)[1]), frames.keep)
            clicks = Clicks(page, frames)
            page.goto(f"http://127.0.0.1:{relay.port}/self-study?study={study.id}")
            first_heading = rf"^1\. {re.escape(titles[0])}"
            clicks.drawn(first_heading)

            nexts: list[float] = []
            while len(nexts) < runs:
                for index in range(1, len(titles)):
                    button = page.get_by_role("button", name=f"Next: {titles[index]}")
                    nexts.append(clicks.time(button, rf"^{index + 1}\. {re.escape(titles[index])}"))
                page.get_by_role("radiogroup", name="Dimension").get_by_text(titles[0]).click()
                clicks.drawn(first_heading)
            server = clicks.take_server()
            label = '"Next: …" to the next dimension drawn'
            print(summary(label, nexts, PAGE_TARGET, server=server), flush=True)

            for name in ("Results", "Cohorts"):
                times = []
                for _ in range(runs):
                    link = page.get_by_role("link", name=name, exact=True)
                    times.append(clicks.time(link, f"^{name}$"))
                    page.get_by_role("link", name="Self-study", exact=True).click()
                    clicks.drawn(first_heading)
                server = clicks.take_server()
                label = f"{name} page drawn from its link"
                print(summary(label, times, PAGE_TARGET, server=server), flush=True)

            answer_clicks(page, frames, max(runs, 20))
            browser.close()
            relay.close()


def answer_clicks(page, frames: Frames, runs: int) -> None:
    group = page.get_by_role("radiogroup", name=f"{ITEM} — ")
    # Clicking the level already chosen would clear the answer: start with the other one.
    shift = int(group.get_by_role("radio", name=LEVELS[0], checked=True).count() > 0)
    frames.start()
    for n in range(shift, runs + 1 + shift):
        before = frames.finished_count()
        group.get_by_role("radio", name=LEVELS[n % 2]).click()
        group.get_by_role("radio", name=LEVELS[n % 2], checked=True).wait_for()
        deadline = time.monotonic() + TIMEOUT_MS / 1e3
        while frames.finished_count() == before:  # events arrive while Playwright waits
            if time.monotonic() > deadline:
                raise TimeoutError("the answer's rerun did not finish")
            page.wait_for_timeout(20)
        page.wait_for_timeout(300)  # any rerun the first one asks for finishes too
    frames.recording = False
    times, reruns = frames.server_times()
    print(
        summary(
            f"an answer click ({ITEM}, {' / '.join(LEVELS)}), rerun request to script finished "
            "on the websocket",
            times,
            ANSWER_TARGET,
            unit_ms=True,
        )
    )
    kinds = ", ".join(f"{kind} ×{reruns.count(kind)}" for kind in sorted(set(reruns)))
    print(f"  what each click ran: {kinds}", flush=True)
