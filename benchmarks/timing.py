"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
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
