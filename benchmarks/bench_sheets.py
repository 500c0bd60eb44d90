"""Sheet copies: import speed (calamine vs openpyxl), export speed, Google Sheets request counts.

Targets: importing a filled-in copy of the default rubric takes well under
50 ms with calamine, so a facilitator's folder of a few hundred copies imports
in seconds; push, pull and sync cost 2, 2 and 3 API requests whatever the
rubric's size (Google allows about 60 requests a minute per user).
"""

from __future__ import annotations

import statistics
import time

from benchmarks.timing import describe, repeat
from selfstudy.core.samples import sample_studies
from selfstudy.core.sheetcopy import SHEETS_TITLE_LIMIT, layout, parse_sheet_copy
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric
from selfstudy.edges.workbooks import csv_text, read_csv_files, read_xlsx, xlsx_bytes

DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"


def copies_per_second(copies: list[bytes], read) -> tuple[float, list[float]]:
    times = []
    for data in copies:
        start = time.perf_counter()
        read(data)
        times.append(time.perf_counter() - start)
    return len(copies) / sum(times), times


def main() -> None:
    rubric = load_rubric(DEFAULT_RUBRIC)
    studies = sample_studies(rubric, programs=8)
    copies = [xlsx_bytes(study, rubric) for study in studies]
    print(
        f"{len(copies)} filled-in .xlsx copies of the default rubric, {len(copies[0]):,} bytes each"
    )
    for engine in ("calamine", "openpyxl"):

        def read(data: bytes, engine: str = engine) -> None:
            parse_sheet_copy(read_xlsx(data, engine=engine), rubric)

        for data in copies[:3]:
            read(data)  # warm up
        rate, times = copies_per_second(copies * 5, read)
        print(
            f"import xlsx with {engine:<8}: {rate:6.1f} copies/s "
            f"(median {statistics.median(times) * 1e3:.1f} ms per copy)"
        )
    folders = [
        {t.title: csv_text(t.rows).encode() for t in layout(rubric, s, SHEETS_TITLE_LIMIT)}
        for s in studies
    ]
    rate, times = copies_per_second(
        folders * 5, lambda files: parse_sheet_copy(read_csv_files(files), rubric)
    )
    print(
        f"import CSV folder       : {rate:6.1f} copies/s "
        f"(median {statistics.median(times) * 1e3:.1f} ms)"
    )
    print("export xlsx (openpyxl):", describe(repeat(lambda: xlsx_bytes(studies[0], rubric), 20)))
    print("layout only:", describe(repeat(lambda: layout(rubric, studies[0]), 50)))
    request_counts(rubric, studies[0])


def request_counts(rubric, study) -> None:
    """Requests per push, pull and sync, counted at a local Sheets API stand-in."""
    try:
        from google.oauth2.credentials import Credentials

        from selfstudy.edges import gsheets
        from tests.sheets_standin import SheetsStandIn
    except ImportError as exc:  # the stand-in lives with the tests
        print(f"request counts: skipped ({exc})")
        return
    standin = SheetsStandIn().start()
    try:
        key = "b" * 30
        standin.create(key)
        client = gsheets.connect(Credentials(token="test-token"), endpoint=standin.url)
        counts = {}
        for name, action in [
            ("push", lambda: gsheets.push(client, key, study, rubric)),
            ("pull", lambda: gsheets.pull(client, key, rubric)),
            ("sync (one change each way)", lambda: sync_once(standin, client, key, study, rubric)),
        ]:
            standin.requests.clear()
            start = time.perf_counter()
            action()
            elapsed = (time.perf_counter() - start) * 1e3
            counts[name] = len(standin.api_requests())
            print(
                f"{name}: {counts[name]} API requests ({elapsed:.0f} ms against the local stand-in)"
            )
    finally:
        standin.stop()


def sync_once(standin, client, key, study, rubric) -> None:
    from selfstudy.core.merge import snapshot
    from selfstudy.core.study import Answer
    from selfstudy.edges import gsheets

    base = snapshot(study)
    standin.set_cell(key, "1. Program Goals", 6, 5, "edited in the sheet")
    answers = dict(study.answers)
    answers["PG.1.b"] = Answer(value=4, evidence="edited in the app")
    gsheets.sync(client, key, study.model_copy(update={"answers": answers}), rubric, base)


if __name__ == "__main__":
    main()
