"""`selfstudy import FOLDER --save` of 1,000 sheet copies, end to end, and where its time goes.

Issue 12's target: bulk import of 1,000 sheet copies with `--save` at least 3× the rate
measured before the writes were batched (`BEFORE`, measured on the development machine
with this module, under the load it printed). Each timed run is the real command in a
fresh process, started as a person starts it, saving into a new empty database: a
SQLite file, and a new PostgreSQL database when `SELFSTUDY_BENCH_POSTGRES_URL` names a
server on which its user may create databases (named `selfstudy_bench_import_<n>`,
dropped after the run).

The copies are the 1,000 sampled self-studies of `core.samples` (500 programs, a
baseline and a follow-up each) written as .xlsx sheet copies by the project's own
export (`workbooks.xlsx_bytes`). Writing them takes minutes, so they are made once and
kept outside the checkout, in `$SELFSTUDY_BENCH_CACHE`, else
`$XDG_CACHE_HOME/selfstudy-bench`, else `~/.cache/selfstudy-bench`, in a folder named
for what they were made from (the rubric, the samples and the code that writes them,
`MADE_FROM`: not the code that reads them, which is what is timed).

Besides the end-to-end figure, one import is run in this process, stage by stage, as
the command runs them: reading and checking every copy, then saving them
(`imports.save_copies`) into a new SQLite file; `SELFSTUDY_BENCH_IMPORT_PROFILE=1`
also prints cProfile's heaviest functions of each stage.
`SELFSTUDY_BENCH_IMPORT_RUNS` sets the timed runs (default 3). The machine is often busy
with other work: `SELFSTUDY_BENCH_IMPORT_BEFORE`, a checkout of the code before batching
(`git worktree add --detach DIR 847d75f`), times that code too, run for run in turn with
this code, so the two meet the same load, and the target is then judged by that ratio,
not by `BEFORE` (measured under another load); each run's processor time (the command's
and its reading processes') is printed beside its wall time.
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.timing import cache_folder, load, new_postgres_database
from selfstudy.core.samples import sample_studies
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric

DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"
_CORE = PROJECT_ROOT / "selfstudy" / "core"
# What writes the copies, and only that: a change to reading them (parse.py, the reading half
# of workbooks.py, workbook_limits, workbook_xml) leaves the copies as they were, so it must
# not make 1,000 new ones (minutes). `workbooks.xlsx_bytes` lays a study out
# (`sheetcopy.layout`, with the values, vocabulary, scores, links and wording it shows) and
# writes it with openpyxl, from the `# --- writing` line of workbooks.py on; the samples
# and the rubric are what it writes.
MADE_FROM = [  # a change to any of these makes other copies
    DEFAULT_RUBRIC,
    _CORE / "samples.py",
    *(_CORE / "sheetcopy" / name for name in ("layout.py", "values.py", "vocabulary.py")),
    *(_CORE / name for name in ("study.py", "scoring.py", "links.py", "wording.py")),
    *sorted((_CORE / "rubric").glob("*.py")),
]
WRITING = PROJECT_ROOT / "selfstudy" / "edges" / "workbooks.py"  # from this line on:
WRITING_FROM = "# --- writing"
PROGRAMS = 500  # sampled programs, a baseline and a follow-up each: 1,000 copies
SEED = 12
TARGET_FACTOR = 3.0
# Copies per second of `selfstudy import FOLDER --save` before the writes were batched, at
# the median of 3 runs (commit b39428c; 2 cores, load average 4 to 7 from other work):
# SQLite 46.7 s (min 45.2 s), PostgreSQL 87.3 s (min 58.8 s).
BEFORE = {"SQLite": 21.4, "PostgreSQL": 11.5}


# --- the copies ------------------------------------------------------------------------------


def copies_folder() -> Path:
    """The folder of 1,000 .xlsx sheet copies, made now when they are missing or stale."""
    from openpyxl import __version__ as openpyxl_version

    digest = hashlib.sha256(f"{PROGRAMS}:{SEED}:{openpyxl_version}".encode())
    for path in MADE_FROM:
        digest.update(path.read_bytes())
    writing = WRITING.read_text(encoding="utf-8")
    digest.update(writing[writing.index(WRITING_FROM) :].encode())
    folder = cache_folder() / f"import-copies-{digest.hexdigest()[:16]}"
    if (folder / "done").exists():
        return folder
    print(f"writing {PROGRAMS * 2:,} sheet copies to {folder} (once) ...", flush=True)
    start = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = len(sample_studies(load_rubric(DEFAULT_RUBRIC), programs=PROGRAMS, seed=SEED))
    with ProcessPoolExecutor() as pool:
        written = list(pool.map(_write_copies, [(folder, n) for n in range(0, count, 50)]))
    (folder / "done").write_text(f"{sum(written)} copies in {time.perf_counter() - start:.0f} s\n")
    return folder


def _write_copies(task: tuple[Path, int]) -> int:
    """Write the 50 copies from the `start`th sample on (one process's share)."""
    from selfstudy.edges.workbooks import xlsx_bytes

    folder, start = task
    rubric = load_rubric(DEFAULT_RUBRIC)
    studies = sample_studies(rubric, programs=PROGRAMS, seed=SEED)[start : start + 50]
    for study in studies:
        name = f"{study.program.id}-{study.program.round}.xlsx"
        (folder / name).write_bytes(xlsx_bytes(study, rubric))
    return len(studies)


# --- the command, end to end -----------------------------------------------------------------


@dataclass
class Timed:
    wall: float  # seconds from start to end
    cpu: float  # processor seconds of the command and the processes it started


def command(checkout: Path | None) -> list[str]:
    """`selfstudy`, as installed beside this Python, or as the code of another checkout."""
    if checkout is None:
        beside = Path(sys.executable).with_name("selfstudy")
        return [str(beside) if beside.exists() else shutil.which("selfstudy") or "selfstudy"]
    start = (
        f"import sys; sys.path.insert(0, {str(checkout)!r}); from selfstudy.cli import main; main()"
    )
    return [sys.executable, "-c", start]


def base_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("SELFSTUDY_DATABASE_URL", "SELFSTUDY_DB", "SELFSTUDY_ADMINS")
    }


def run_once(folder: Path, env: dict[str, str], checkout: Path | None) -> Timed:
    """One `selfstudy import FOLDER --save`; a failure stops the benchmark."""
    arguments = [*command(checkout), "import", str(folder), "--save"]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            arguments,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            # in its own folder, where the rubrics folder found from the working folder is its
            # own: this checkout's rubric has fields the code before cannot read
            cwd=checkout,
        )
        _, status, usage = os.wait4(process.pid, 0)  # the usage of its own processes too
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            tail = "\n".join(errors.read().decode(errors="replace").splitlines()[-20:])
            raise SystemExit(f"{' '.join(arguments)} failed:\n{tail}")
    return Timed(wall, usage.ru_utime + usage.ru_stime)


def sqlite_run(folder: Path, checkout: Path | None) -> Timed:
    with tempfile.TemporaryDirectory() as scratch:
        env = {**base_env(), "SELFSTUDY_DB": str(Path(scratch) / "new.db")}
        return run_once(folder, env, checkout)


def postgres_run(server: str) -> Callable[[Path, Path | None], Timed]:
    def run(folder: Path, checkout: Path | None) -> Timed:
        with new_postgres_database(server, "import") as url:
            return run_once(folder, {**base_env(), "SELFSTUDY_DATABASE_URL": url}, checkout)

    return run


def measure(
    where: str, folder: Path, count: int, run: Callable[[Path, Path | None], Timed]
) -> None:
    """Time the command `runs` times; with `SELFSTUDY_BENCH_IMPORT_BEFORE` (a checkout of
    the code before batching), that code too, run for run in turn, so both meet the same
    load."""
    runs = int(os.environ.get("SELFSTUDY_BENCH_IMPORT_RUNS", "3"))
    before = os.environ.get("SELFSTUDY_BENCH_IMPORT_BEFORE")
    checkouts: list[Path | None] = [None] + ([Path(before)] if before else [])
    times: dict[Path | None, list[Timed]] = {checkout: [] for checkout in checkouts}
    for n in range(runs):
        for checkout in checkouts:
            timed = run(folder, checkout)
            times[checkout].append(timed)
            print(
                f"  run {n + 1}{' (the code before)' if checkout else ''}: {timed.wall:.2f} s, "
                f"{count / timed.wall:.1f} copies/s, {timed.cpu:.1f} processor s ({load()})",
                flush=True,
            )
    rate = report(where, "", count, times[None])
    if before:
        then = report(where, f" (the code in {before})", count, times[Path(before)])
        verdict = "met" if rate >= TARGET_FACTOR * then else "NOT MET"
        print(
            f"  {rate / then:.1f}× the code before, measured in turn under the same load: "
            f"target ≥ {TARGET_FACTOR:.0f}× — {verdict}",
            flush=True,
        )
        return  # the figure below was measured under another load: this one is the fair one
    if known := BEFORE.get(where):
        verdict = "met" if rate >= TARGET_FACTOR * known else "NOT MET"
        print(
            f"  target ≥ {TARGET_FACTOR:.0f}× the {known:.1f} copies/s measured before "
            f"batching ({TARGET_FACTOR * known:.1f} copies/s): {rate / known:.1f}× — {verdict}",
            flush=True,
        )


def report(where: str, what: str, count: int, times: list[Timed]) -> float:
    """Print the median and least times; the rate at the median, in copies a second."""
    walls = [t.wall for t in times]
    median = statistics.median(walls)
    print(
        f"{where}{what}: selfstudy import FOLDER --save of {count:,} copies into a new "
        f"database: median {median:.2f} s, min {min(walls):.2f} s ({count / median:.1f} "
        f"copies/s at the median; processor time median "
        f"{statistics.median(t.cpu for t in times):.1f} s; {len(times)} runs)",
        flush=True,
    )
    return count / median


# --- where the time goes ---------------------------------------------------------------------


def stages(folder: Path) -> None:
    """One import in this process as the command runs it, each stage timed (and profiled)."""
    from selfstudy.edges.storage import Storage
    from selfstudy.workflows import imports

    profile = os.environ.get("SELFSTUDY_BENCH_IMPORT_PROFILE") == "1"
    found = imports.file_sources([folder])
    read = _stage("read and check every copy", profile, lambda: [s.read() for s in found])
    good = [(s, r.study) for s, r in zip(found, read, strict=True) if r.study is not None]
    with tempfile.TemporaryDirectory() as scratch:
        storage = Storage(f"sqlite:///{Path(scratch) / 'new.db'}")
        _stage("save them (save_copies)", profile, lambda: imports.save_copies(storage, good))
        storage.engine.dispose()


def _stage(label: str, profile: bool, fn: Callable[[], object]):
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = fn()
    if profiler:
        profiler.disable()
    print(f"  {label}: {time.perf_counter() - start:.2f} s", flush=True)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print("\n".join("    " + line for line in out.getvalue().splitlines()[6:]), flush=True)
    return result


def main() -> None:
    folder = copies_folder()
    count = len(list(folder.glob("*.xlsx")))
    print(f"{count:,} .xlsx sheet copies in {folder}", flush=True)
    print("where the time goes (one import in this process, SQLite):", flush=True)
    stages(folder)
    measure("SQLite", folder, count, sqlite_run)
    if server := os.environ.get("SELFSTUDY_BENCH_POSTGRES_URL"):
        measure("PostgreSQL", folder, count, postgres_run(server))
    else:
        print("PostgreSQL: not timed (SELFSTUDY_BENCH_POSTGRES_URL is not set)")


if __name__ == "__main__":
    main()
