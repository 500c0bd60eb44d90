"""Scoring and comparing a network's self-studies at once (`selfstudy.core.cohorts`).

10,000 self-studies of the default rubric (about 700,000 answers), already in
memory as `SelfStudy` objects: the time to score and aggregate them all, where
the time goes, the peak memory it allocates, and, side by side, calling the
single-study `scoring.score` in a loop over the same studies.

`SELFSTUDY_BENCH_LARGE=1` also runs 100,000 self-studies (skipped by default
to keep `make bench` short). `SELFSTUDY_BENCH_PAGE=0` skips timing the
Cohorts page.

The studies are 1,000 sampled programs (baseline and follow-up) repeated under
new program ids, each study with answer objects of its own.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from benchmarks.timing import describe, new_postgres_database, repeat
from selfstudy.core.cohorts import (
    collect_answers,
    compare,
    programs_table,
    rubric_arrays,
    score_answers,
    score_studies,
)
from selfstudy.core.rubric import Rubric
from selfstudy.core.samples import sample_studies
from selfstudy.core.scoring import score
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric

DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"
PAGE = PROJECT_ROOT / "selfstudy" / "app" / "pages" / "cohorts.py"


def network(rubric: Rubric, count: int, distinct_programs: int = 1000) -> list[SelfStudy]:
    """`count` self-studies: sampled programs repeated under new ids, every answer its own object.

    Copies get their own `Answer` objects (as studies loaded from files or the
    database have), so memory and cache behaviour are those of `count` real studies.
    """
    base = sample_studies(rubric, programs=distinct_programs, seed=7)
    construct = Answer.model_construct
    studies = []
    for copy in range(-(-count // len(base))):
        for study in base[: count - len(studies)]:
            program = study.program.model_copy(
                update={"id": f"{study.program.id}-{copy}", "name": f"{study.program.name} {copy}"}
            )
            answers = {
                item: construct(value=a.value, evidence=a.evidence, notes=a.notes)
                for item, a in study.answers.items()
            }
            studies.append(study.model_copy(update={"program": program, "answers": answers}))
    return studies


def score_and_compare(rubric: Rubric, studies: list[SelfStudy]) -> None:
    compare(score_studies(rubric, studies), by="cohort")


def peak_memory(fn: Callable[[], object]) -> float:
    """Peak bytes allocated by Python while `fn` runs (tracemalloc), in MB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def stages(rubric: Rubric, studies: list[SelfStudy]) -> str:
    arrays = rubric_arrays(rubric)
    start = time.perf_counter()
    answers = collect_answers(arrays, [s.answers for s in studies])
    collected = time.perf_counter()
    programs = programs_table(studies)
    described = time.perf_counter()
    scores = score_answers(arrays, answers, programs)
    scored = time.perf_counter()
    compare(scores, by="cohort")
    compared = time.perf_counter()
    return (
        f"long table from the objects {collected - start:.3f} s, "
        f"program table {described - collected:.3f} s, "
        f"scoring {scored - described:.3f} s, "
        f"grouping and comparisons {compared - scored:.3f} s "
        f"({len(answers.item):,} answers)"
    )


def resident_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def run(rubric: Rubric, count: int, runs: int, single_loop: bool) -> None:
    before = resident_mb()
    studies = network(rubric, count)
    print(
        f"{count:,} self-studies in memory as SelfStudy objects: "
        f"process peak resident memory {before:.0f} MB -> {resident_mb():.0f} MB"
    )
    times = repeat(lambda: score_and_compare(rubric, studies), runs, warmup=1)
    print(f"{count:,} self-studies, score and compare (by cohort):", describe(times, "s"))
    print("  where the time goes:", stages(rubric, studies))
    peak = peak_memory(lambda: score_and_compare(rubric, studies))
    print(f"  peak memory allocated while scoring and comparing (tracemalloc): {peak:.0f} MB")
    if single_loop:
        start = time.perf_counter()
        for study in studies:
            score(rubric, study)
        loop = time.perf_counter() - start
        print(f"  scoring.score in a loop over the same studies: {loop:.2f} s (score only)")


def page(programs: int = 500, server: str | None = None) -> None:
    """The Cohorts page over a database of `programs` programs, two rounds each: its first
    load (caches cleared, as after a start or a change) and its reruns. The database is a
    new SQLite file, or a new database on the PostgreSQL `server`."""
    if server is None:
        _page(programs, None)
        return
    with new_postgres_database(server, "page") as url:
        _page(programs, url)


def _page(programs: int, url: str | None) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from selfstudy.edges.storage import Storage

    rubric = load_rubric(DEFAULT_RUBRIC)
    studies = sample_studies(rubric, programs=programs, seed=11)
    with tempfile.TemporaryDirectory() as folder:
        if url is None:
            database = Path(folder) / "bench.db"
            os.environ.pop("SELFSTUDY_DATABASE_URL", None)
            os.environ["SELFSTUDY_DB"] = str(database)
            url = f"sqlite:///{database}"
        else:
            os.environ["SELFSTUDY_DATABASE_URL"] = url
        storage = Storage(url)
        for start in range(0, len(studies), 500):  # as a bulk import stores them
            storage.create_studies(studies[start : start + 500])
        # AppTest looks for installed components on an instance's first run (0.4 s here),
        # which a server does once when it starts: that run is not timed
        app = AppTest.from_file(str(PAGE), default_timeout=120)
        app.run()
        firsts = []
        for _ in range(3):
            st.cache_resource.clear()  # as after a start, or any change to a study
            start = time.perf_counter()
            app.run()
            firsts.append(time.perf_counter() - start)
            if app.exception:
                print("Cohorts page failed:", app.exception)
                return
        reruns = repeat(lambda: app.run(), 5, warmup=0)
        app.toggle[0].set_value(True)
        start = time.perf_counter()
        app.run()
        pseudonyms = time.perf_counter() - start
        storage.engine.dispose()
    where = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(
        f"Cohorts page, {programs} programs ({len(studies)} self-studies in {where}, AppTest): "
        f"first load {describe(firsts, 's')} (target < {1 if programs <= 2000 else 2.5} s), "
        f"reruns {describe(reruns, 's')} (target < 0.3 s), switching pseudonyms on "
        f"{pseudonyms:.2f} s"
    )


def main() -> None:
    rubric = load_rubric(DEFAULT_RUBRIC)
    run(rubric, 10_000, runs=5, single_loop=True)
    if os.environ.get("SELFSTUDY_BENCH_LARGE") == "1":
        run(rubric, 100_000, runs=1, single_loop=False)
    if os.environ.get("SELFSTUDY_BENCH_PAGE", "1") != "0":
        page(2000)  # 4,000 self-studies
        if postgres := os.environ.get("SELFSTUDY_BENCH_POSTGRES_URL"):
            page(2000, postgres)
        if os.environ.get("SELFSTUDY_BENCH_LARGE") == "1":
            page(5000)  # 10,000 self-studies
    print(f"process peak resident memory: {resident_mb():.0f} MB")
