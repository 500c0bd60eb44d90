"""Command-line start-up: how long a person waits for `selfstudy --help`, `score`, `validate`.

Each run is a fresh process started the way a person starts it (the `selfstudy` console
script next to this Python), so the figure holds Python's own start-up, click, and every
module the command imports. Targets (issue 12): `--help` under 0.4 s and `score` under
0.7 s; `validate` has none of its own and is shown beside them as a command of the same
weight as `score`. `SELFSTUDY_BENCH_CLI_RUNS` sets the number of runs (default 15).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from selfstudy.edges.rubric_files import PROJECT_ROOT

STUDY = PROJECT_ROOT / "sample_responses" / "p01-baseline.json"
RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"

COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("selfstudy --help", ["--help"], 0.4),
    ("selfstudy score <a sample study>", ["score", str(STUDY)], 0.7),
    ("selfstudy validate <the default rubric>", ["validate", str(RUBRIC)], None),
]


def console_script() -> list[str]:
    """The installed `selfstudy` script of this environment, else the same entry point via -c."""
    beside = Path(sys.executable).with_name("selfstudy")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("selfstudy")
    if found:
        return [found]
    return [sys.executable, "-c", "from selfstudy.cli import main; main()"]


def wall_seconds(command: list[str]) -> float:
    """Seconds from starting the process to its end; a failed command stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def main() -> None:
    runs = int(os.environ.get("SELFSTUDY_BENCH_CLI_RUNS", "15"))
    script = console_script()
    print(f"{runs} fresh processes each, started as {script[0]}")
    for label, arguments, target in COMMANDS:
        wall_seconds(script + arguments)  # warm-up: the files are in the page cache after it
        times = [wall_seconds(script + arguments) for _ in range(runs)]
        median, fastest = statistics.median(times), min(times)
        verdict = ""
        if target is not None:
            met = "met" if median < target else "NOT MET"
            verdict = f" — target < {target} s: {met}"
        print(f"{label}: median {median:.3f} s, min {fastest:.3f} s{verdict}")
