"""`selfstudy cohort --from-db` over a whole network's stored self-studies, end to end.

Issue 12's target: 100,000 stored self-studies (about 8 million answers) compared
in under 15 s with a peak memory under 1.5 GB, on SQLite and on PostgreSQL. Each
run is the real command in a fresh process, started as a person starts it, with
its table written to a file; its wall time and its peak resident memory (the
child's own `ru_maxrss`, from `os.wait4`) are what is reported. The first run
is a warm-up (the database in the page cache, as on a server in use) and is not
counted (none when the database was just built: it is in the page cache then).

The database is built once and kept outside the checkout, in
`$SELFSTUDY_BENCH_CACHE`, else `$XDG_CACHE_HOME/selfstudy-bench`, else
`~/.cache/selfstudy-bench`; it is built again when the schema's migrations, the
rubric or this module's rows change (a stamp beside it, or the PostgreSQL
database's comment, records what it was built from). Building 100,000 studies
through `Storage.create_study` would take an hour, so the schema is made by the
project's own code (`Storage(url)` migrates) and 1,000 sampled self-studies
(`core.samples`, 500 programs, baseline and follow-up) are stored through
`Storage.create_study` in a scratch database: their rows (program, study,
answers, history) are then copied in bulk under new ids, programs, cohorts and
times, so every row is one the app itself wrote, and each study's answers are
packed on it by the project's `pack_answer_values`. Nine sampled studies in ten are
finished and one is still in progress (see `finished`), so the default completeness
threshold counts 90% of them, as in a network whose teams mostly finished. Copies are spread
over eight cohorts, and every program has both rounds (baseline and follow-up).

Sizes: 10,000 studies by default (so `make bench` stays short);
`SELFSTUDY_BENCH_LARGE=1` times 100,000 instead. PostgreSQL too when
`SELFSTUDY_BENCH_POSTGRES_URL` names a server on which its user may create
databases (they are named `selfstudy_bench_network_<count>`).
`SELFSTUDY_BENCH_NETWORK_RUNS` sets the timed runs (default 5).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from benchmarks.timing import cache_folder, load
from selfstudy.core.access import normal_name, program_key
from selfstudy.core.rubric import Rubric
from selfstudy.core.samples import sample_studies
from selfstudy.core.study import Program, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.schema import MIGRATIONS, new_id, pack_answer_values, studies_table

DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"
SAMPLES = PROJECT_ROOT / "selfstudy" / "core" / "samples.py"  # a change to it changes the rows
ROWS_VERSION = 3  # raise when the rows this module writes change: kept databases are rebuilt
BASE_PROGRAMS = 500  # sampled programs (two studies each) whose stored rows are copied
COHORTS = 8
UNFINISHED = 10  # one sampled study in ten is still in progress
CHUNK = 2_000  # studies per transaction
TARGET_SECONDS = 15.0
TARGET_BYTES = 1.5e9
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: the copies' times count on from here


# --- the rows the app stored for the sampled studies ---------------------------------------


@dataclass
class Stored:
    """One sampled study as the app stored it: its rows, less the ids and times to replace."""

    program: Program
    study: dict  # the `studies` row
    answers: list[tuple]  # `answers` rows, study_id and updated_at first
    changes: list[tuple]  # `changes` rows without `id`, study_id and changed_at first
    program_row: dict  # its `programs` row


ANSWER_COLUMNS = (
    "study_id",
    "updated_at",
    "item_id",
    "value",
    "evidence",
    "notes",
    "answered",
    "revision",
    "value_changed",
    "evidence_changed",
    "notes_changed",
)
CHANGE_COLUMNS = (
    "study_id",
    "changed_at",
    "item_id",
    "field",
    "old",
    "new",
    "revision",
    "accepted",
    "changed_by",
)
STUDY_COLUMNS = (
    "id",
    "name",
    "rubric_id",
    "rubric_version",
    "program",
    "created_at",
    "updated_at",
    "deleted_at",
    "creation_key",
    "program_ref",
)
PROGRAM_COLUMNS = ("id", "key", "name", "organization", "origin", "created_at", "created_by")
COHORT_COLUMNS = ("program_id", "cohort_key", "cohort")


def stored_samples(folder: Path) -> list[Stored]:
    """Store 1,000 sampled studies with `Storage.create_study` in a scratch SQLite file and
    read back every row the app wrote for them, oldest first."""
    rubric = load_rubric(DEFAULT_RUBRIC)
    path = folder / "samples.db"
    storage = Storage(f"sqlite:///{path}")
    for study in finished(rubric, sample_studies(rubric, programs=BASE_PROGRAMS, seed=7)):
        storage.create_study(study)
    storage.engine.dispose()
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    programs = {row["id"]: dict(row) for row in db.execute("SELECT * FROM programs")}
    answers: dict[str, list[tuple]] = {}
    for row in db.execute(f"SELECT {', '.join(ANSWER_COLUMNS)} FROM answers ORDER BY rowid"):
        answers.setdefault(row[0], []).append(tuple(row))
    changes: dict[str, list[tuple]] = {}
    for row in db.execute(f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes ORDER BY id"):
        changes.setdefault(row[0], []).append(tuple(row))
    found = [
        Stored(
            program=Program.model_validate_json(row["program"]),
            study=dict(row),
            answers=answers.get(row["id"], []),
            changes=changes.get(row["id"], []),
            program_row=programs[row["program_ref"]],
        )
        for row in db.execute(f"SELECT {', '.join(STUDY_COLUMNS)} FROM studies ORDER BY created_at")
    ]
    db.close()
    return found


def finished(rubric: Rubric, studies: list[SelfStudy]) -> list[SelfStudy]:
    """The samples, nine in ten of them finished and the tenth still in progress, whatever
    the samples leave unanswered: a network's database holds mostly finished self-studies
    and some under way, and the default completeness threshold leaves out only those.

    A finished one gets, for each required item it left unanswered, the answer another
    sampled study gave it; one in progress has its last five required answers taken out.
    """
    given = {}
    for study in studies:
        for item_id, answer in study.answers.items():
            given.setdefault(item_id, answer)
    required = [item.id for item in rubric.items() if item.is_required]
    done = []
    for n, study in enumerate(studies):
        if n % UNFINISHED == UNFINISHED - 1:
            taken = [i for i in required if i in study.answers][-5:]
            answers = {i: a for i, a in study.answers.items() if i not in taken}
        else:
            missing = {i: given[i] for i in required if i not in study.answers and i in given}
            answers = {**study.answers, **missing}
        done.append(study.model_copy(update={"answers": answers}))
    return done


@dataclass
class Chunk:
    programs: list[tuple]
    cohorts: list[tuple]
    studies: list[tuple]
    answers: list[tuple]
    changes: list[tuple]


def copies(base: list[Stored], count: int) -> Iterator[Chunk]:
    """`count` studies' rows, `CHUNK` studies at a time: the sampled rows under new study and
    program ids, program ids and names, cohorts and times."""
    chunk = Chunk([], [], [], [], [])
    made = 0
    programs: dict[tuple[int, str], str] = {}  # (copy, sampled program's row id) -> new id
    while made < count:
        copy = made // len(base)
        cohort = f"{2019 + copy % COHORTS} Network cohort"
        for stored in base[: count - made]:
            stamp = _stamp(made)
            program = stored.program.model_copy(
                update={
                    "id": f"{stored.program.id}-{copy + 1}",
                    "name": f"{stored.program.name}, site {copy + 1}",
                    "cohort": cohort,
                }
            )
            key = (copy, stored.study["program_ref"])
            if (program_id := programs.get(key)) is None:
                program_id = programs[key] = new_id()
                row = stored.program_row
                chunk.programs.append(
                    (
                        program_id,
                        program_key(program.id, program.name),
                        " ".join(program.name.split()),
                        row["organization"],
                        row["origin"],
                        stamp,
                        row["created_by"],
                    )
                )
                chunk.cohorts.append((program_id, normal_name(cohort), cohort))
            study_id = new_id()
            chunk.studies.append(
                (
                    study_id,
                    program.name,
                    stored.study["rubric_id"],
                    stored.study["rubric_version"],
                    program.model_dump_json(),
                    stamp,
                    stamp,
                    None,
                    None,
                    program_id,
                )
            )
            chunk.answers += [(study_id, stamp, *row[2:]) for row in stored.answers]
            chunk.changes += [(study_id, stamp, *row[2:]) for row in stored.changes]
            made += 1
            if len(chunk.studies) == CHUNK:
                yield chunk
                chunk = Chunk([], [], [], [], [])
    if chunk.studies:
        yield chunk


def _stamp(n: int) -> str:
    """The n-th study's creation time, as `schema.now()` writes one: 20 ms apart."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(EPOCH + n * 0.02, UTC).isoformat(timespec="microseconds")


def stamp_of(count: int) -> dict:
    """What a kept database was built from: rebuilt when any of it changes."""
    rubric = load_rubric(DEFAULT_RUBRIC)
    return {
        "rows": ROWS_VERSION,
        "count": count,
        "migrations": [name for name, _ in MIGRATIONS],
        "rubric": f"{rubric.id} {rubric.version}",
        "samples": hashlib.sha256(SAMPLES.read_bytes()).hexdigest(),
    }


# --- SQLite ----------------------------------------------------------------------------------


def sqlite_database(count: int) -> tuple[str, str, bool]:
    """The kept SQLite file of `count` studies (built when missing or stale): its path, how
    and when it was built, and whether it was built now."""
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"network-{count}.db"
    stamp_file = path.with_suffix(".json")
    wanted = stamp_of(count)
    if path.exists() and stamp_file.exists():
        kept = json.loads(stamp_file.read_text())
        if {k: kept.get(k) for k in wanted} == wanted:
            return (
                str(path),
                f"kept from {kept['built_at']} (built in {kept['seconds']:.0f} s)",
                False,
            )
    building = path.with_name(path.name + ".building")
    for old in (path, building):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{old}{suffix}").unlink(missing_ok=True)
    stamp_file.unlink(missing_ok=True)
    print(f"building {count:,} studies in {path} ...", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        base = stored_samples(Path(scratch))
    Storage(f"sqlite:///{building}").engine.dispose()  # the schema, by the project's migrations
    db = sqlite3.connect(building, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-400000")  # 400 MB: the primary key index stays in memory
    for chunk in copies(base, count):
        db.execute("BEGIN")
        _insert(db, "programs", PROGRAM_COLUMNS, chunk.programs)
        _insert(db, "program_cohorts", COHORT_COLUMNS, chunk.cohorts)
        _insert(db, "studies", STUDY_COLUMNS, chunk.studies)
        _insert(db, "answers", ANSWER_COLUMNS, chunk.answers)
        _insert(db, "changes", CHANGE_COLUMNS, chunk.changes)
        db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")  # as the app leaves its file
    db.close()
    _pack(f"sqlite:///{building}")
    building.rename(path)
    seconds = time.perf_counter() - start
    built_at = time.strftime("%Y-%m-%d %H:%M")
    stamp_file.write_text(json.dumps({**wanted, "built_at": built_at, "seconds": seconds}))
    return str(path), f"built now in {seconds:.0f} s ({load()})", True


def _pack(url: str) -> None:
    """Each study's answers packed on it by the project's own code, as the migration that
    introduced them packs a database stored before (the rows copied in bulk do not pack)."""
    storage = Storage(url)
    with storage.engine.begin() as conn:
        pack_answer_values(conn, conn.scalars(select(studies_table.c.id)).all())
    storage.engine.dispose()


def _insert(db: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list) -> None:
    if rows:
        marks = ", ".join("?" * len(columns))
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_database(server: str, count: int) -> tuple[str, str, bool]:
    """The kept database of `count` studies on the server at `server` (built when missing or
    stale): its URL, how and when it was built, and whether it was built now."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"selfstudy_bench_network_{count}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    wanted = stamp_of(count)
    admin_url = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        comment = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        if comment is not None and comment[0]:
            kept = json.loads(comment[0])
            if {k: kept.get(k) for k in wanted} == wanted:
                return (
                    url,
                    f"kept from {kept['built_at']} (built in {kept['seconds']:.0f} s)",
                    False,
                )
        print(f"building {count:,} studies in PostgreSQL database {name} ...", flush=True)
        start = time.perf_counter()
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    with tempfile.TemporaryDirectory() as scratch:
        base = stored_samples(Path(scratch))
    Storage(url).engine.dispose()  # the schema, by the project's migrations
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as db, db.cursor() as cursor:
        for chunk in copies(base, count):
            for table, columns, rows in (
                ("programs", PROGRAM_COLUMNS, chunk.programs),
                ("program_cohorts", COHORT_COLUMNS, chunk.cohorts),
                ("studies", STUDY_COLUMNS, chunk.studies),
                ("answers", ANSWER_COLUMNS, chunk.answers),
                ("changes", CHANGE_COLUMNS, chunk.changes),
            ):
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            db.commit()
    _pack(url)
    with psycopg.connect(plain, autocommit=True) as db:
        # what autovacuum would have done on a database in use: statistics, visibility map
        db.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - start
    built_at = time.strftime("%Y-%m-%d %H:%M")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        stamp = json.dumps({**wanted, "built_at": built_at, "seconds": seconds})
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(stamp))
        )
    return url, f"built now in {seconds:.0f} s ({load()})", True


# --- timing the command ----------------------------------------------------------------------


def console_script() -> str:
    beside = Path(sys.executable).with_name("selfstudy")
    return str(beside) if beside.exists() else shutil.which("selfstudy") or "selfstudy"


def run_once(env: dict[str, str], out: Path) -> tuple[float, float, str]:
    """One `selfstudy cohort --from-db` in a fresh process: wall seconds, its peak resident
    bytes, and the first line it wrote. A failed command stops the benchmark."""
    out.unlink(missing_ok=True)
    command = [console_script(), "cohort", "--from-db", "--out", str(out)]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{said}")
    first = out.read_text(encoding="utf-8").splitlines()[0]
    return seconds, usage.ru_maxrss * 1024, first  # ru_maxrss is in KiB on Linux


def measure(where: str, count: int, env: dict[str, str], built: str, warm: bool) -> None:
    """Time the command `SELFSTUDY_BENCH_NETWORK_RUNS` times, after a warm-up run unless the
    database is `warm` (just built: in the page cache already)."""
    runs = int(os.environ.get("SELFSTUDY_BENCH_NETWORK_RUNS", "5"))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cohort.txt"
        if not warm:
            run_once(env, out)  # warm-up: the database in the page cache, as on a server in use
        results = []
        for _ in range(runs):
            results.append(run_once(env, out))
            print(f"  run {len(results)}: {results[-1][0]:.2f} s ({load()})", flush=True)
    times = [seconds for seconds, _, _ in results]
    peaks = [peak for _, peak, _ in results]
    median = statistics.median(times)
    peak = max(peaks)
    print(f"{where}, {count:,} studies, database {built}")
    print(f"  the command wrote: {results[0][2]}")
    print(
        f"  selfstudy cohort --from-db: median {median:.2f} s, min {min(times):.2f} s "
        f"({runs} runs{'' if warm else ' after a warm-up'}; {load()}) — "
        f"target < {TARGET_SECONDS:.0f} s at 100,000: {_verdict(median < TARGET_SECONDS, count)}"
    )
    print(
        f"  peak resident memory: max {peak / 1e9:.2f} GB, median "
        f"{statistics.median(peaks) / 1e9:.2f} GB — target < {TARGET_BYTES / 1e9} GB at "
        f"100,000: {_verdict(peak < TARGET_BYTES, count)}",
        flush=True,
    )


def _verdict(met: bool, count: int) -> str:
    if count < 100_000:
        return f"{'met' if met else 'NOT met'} at this size (SELFSTUDY_BENCH_LARGE=1 for 100,000)"
    return "met" if met else "NOT MET"


def main() -> None:
    large = os.environ.get("SELFSTUDY_BENCH_LARGE") == "1"
    count = 100_000 if large else 10_000
    if not large:
        print("10,000 studies (about 800,000 answers); SELFSTUDY_BENCH_LARGE=1 for 100,000")
    print(f"databases kept in {cache_folder()}", flush=True)
    base_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SELFSTUDY_DATABASE_URL", "SELFSTUDY_DB", "SELFSTUDY_PSEUDONYM_SECRET")
    }
    print("command: selfstudy cohort --from-db --out FILE (a table)", flush=True)
    path, built, warm = sqlite_database(count)
    size = sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )
    measure(
        "SQLite", count, {**base_env, "SELFSTUDY_DB": path}, f"{size / 1e9:.2f} GB, {built}", warm
    )
    if server := os.environ.get("SELFSTUDY_BENCH_POSTGRES_URL"):
        url, built, warm = postgres_database(server, count)
        measure("PostgreSQL", count, {**base_env, "SELFSTUDY_DATABASE_URL": url}, built, warm)
    else:
        print("PostgreSQL: not timed (SELFSTUDY_BENCH_POSTGRES_URL is not set)")
