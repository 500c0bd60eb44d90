"""Server time of one rerun of the Self-study page when one answer changes (AppTest timing).

The page draws the open dimension's items in an `st.fragment`, so in a browser
a click reruns only that fragment. AppTest itself always reruns the whole
script, so the fragment case here hands AppTest's script runner the fragment's
id, as the browser does for a click inside a fragment (the `RerunData` the
real server receives). Each timed run includes the autosave to a real SQLite
file. Target: median under 100 ms for the fragment rerun.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib import parse

from benchmarks.timing import describe
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT, rubric_by_id
from selfstudy.edges.storage import Storage

APP = str(PROJECT_ROOT / "app.py")
QUESTIONNAIRE = "selfstudy/app/pages/questionnaire.py"
RUNS = 40


@contextmanager
def fragment_reruns(fragment_ids: list[str]):
    """Make AppTest's script runner rerun only these fragments, as a click inside one does."""
    from streamlit.runtime.scriptrunner import RerunData
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
    from streamlit.testing.v1 import local_script_runner as lsr

    original = lsr.LocalScriptRunner.run

    def run(self: Any, widget_state=None, query_params=None, timeout=3, page_hash="", **kw):
        request = RerunData(
            widget_states=widget_state,
            query_string=parse.urlencode(query_params or {}, doseq=True),
            page_script_hash=page_hash,
            context_info=kw.get("context_info"),
            fragment_id_queue=list(fragment_ids),
            is_fragment_scoped_rerun=True,
        )
        # A new runner already holds a full-app request, which would absorb this
        # fragment request when coalesced; replace it, as the server's queue would
        # hold only the browser's fragment request.
        with self._requests._lock:
            self._requests._state = ScriptRequestType.RERUN
            self._requests._rerun_data = request
        try:
            if not self._script_thread:
                self.start()
            lsr.require_widgets_deltas(self, timeout)
        finally:
            self.join()
        return lsr.parse_tree_from_messages(self.forward_msgs())

    lsr.LocalScriptRunner.run = run
    try:
        yield
    finally:
        lsr.LocalScriptRunner.run = original


def open_study(study_id: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["study"] = study_id
    at.run()
    return at.switch_page(QUESTIONNAIRE).run()


def fragment_of_first_item(at: Any) -> str:
    """The id of the fragment (a standard's block) that holds the page's first rating."""
    first = at.segmented_control[0].label
    for fragment_id in list(at._fragment_storage._fragments):
        with fragment_reruns([fragment_id]):
            at.run()
        only_fragment_ran = len(at.title) == 0
        if only_fragment_ran and at.segmented_control and at.segmented_control[0].label == first:
            return fragment_id
    raise RuntimeError("no fragment holds the first item")


def timed_changes(at: Any, values: list[Any], runs: int) -> list[float]:
    """Seconds per rerun, each after the first item's answer changes to the next value."""
    times = []
    for i in range(runs + 3):
        control = at.segmented_control[0]
        control.set_value(values[i % len(values)])
        start = time.perf_counter()
        at.run()
        if i >= 3:  # warm-up runs are not counted
            times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(at.exception[0].message)
    return times


def measure(label: str, fn: Callable[[], list[float]]) -> list[float]:
    times = fn()
    print(f"{label}:", describe(times))
    return times


def main() -> None:
    saved = {k: os.environ.get(k) for k in ("SELFSTUDY_DB", "SELFSTUDY_DATABASE_URL")}
    try:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["SELFSTUDY_DB"] = str(Path(folder) / "bench.db")
            os.environ.pop("SELFSTUDY_DATABASE_URL", None)
            run_benchmarks()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_benchmarks() -> None:
    rubric = rubric_by_id("stem-equity-self-study")
    storage = Storage()
    study_id = storage.create_study(SelfStudy.new(rubric, "Benchmark program"))

    at = open_study(study_id)
    full = measure(
        "full-page rerun, one answer changed (what a page without fragments pays)",
        lambda: timed_changes(at, [3, 4], RUNS),
    )
    with fragment_reruns([fragment_of_first_item(at)]):
        fragment = measure(
            "fragment rerun, one answer changed (what a click costs)",
            lambda: timed_changes(at, [3, 4], RUNS),
        )
    at = open_study(study_id)
    with fragment_reruns([fragment_of_first_item(at)]):
        measure(
            "fragment + page rerun, an item answered or cleared (progress bars move)",
            lambda: timed_changes(at, [None, 2], RUNS // 2),
        )
    full_median = statistics.median(full)
    fragment_median = statistics.median(fragment)
    print(
        f"fragment median {fragment_median * 1e3:.1f} ms vs full {full_median * 1e3:.1f} ms "
        f"(target < 100 ms): {'met' if fragment_median < 0.1 else 'NOT met'}"
    )
