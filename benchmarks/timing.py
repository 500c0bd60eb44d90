"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


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
