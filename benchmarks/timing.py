"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def repeat(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    """Wall-clock seconds of `runs` calls of `fn`, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def describe(times: list[float], unit: str = "ms") -> str:
    scale = {"s": 1, "ms": 1e3, "us": 1e6}[unit]
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(times) * scale:.3f} {unit}, "
        f"p95 {p95 * scale:.3f} {unit}, min {ordered[0] * scale:.3f} {unit} "
        f"({len(times)} runs)"
    )


def load() -> str:
    """The host's load average, printed beside figures measured on a shared machine."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def cache_folder() -> Path:
    """Where benchmarks keep what takes minutes to make (databases, sheet copies), outside
    the checkout: `$SELFSTUDY_BENCH_CACHE`, else `$XDG_CACHE_HOME/selfstudy-bench`, else
    `~/.cache/selfstudy-bench`."""
    if folder := os.environ.get("SELFSTUDY_BENCH_CACHE"):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "selfstudy-bench"


@contextlib.contextmanager
def new_postgres_database(server: str, purpose: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on `server` (whose user may create
    databases), named `selfstudy_bench_<purpose>_<process id>` and dropped afterwards: a
    benchmark never measures what an earlier one left in the server's own database."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"selfstudy_bench_{purpose}_{os.getpid()}"
    quoted = sql.Identifier(name)
    admin = make_url(server).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(quoted))
        db.execute(sql.SQL("CREATE DATABASE {}").format(quoted))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:  # the connections still open to it (an app's cached storage) closed first
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            db.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(quoted))
