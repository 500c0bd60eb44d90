"""Run every `benchmarks/bench_*.py` module's `main()` in turn, or the ones named.

python -m benchmarks            # all
python -m benchmarks scoring    # only bench_scoring.py
"""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys
from pathlib import Path


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(names: list[str]) -> None:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if m.removeprefix("bench_") in names]
    if len(modules) > 1:
        # One process per benchmark, so none pays for the memory another left behind.
        for name in modules:
            short = name.removeprefix("bench_")
            subprocess.run([sys.executable, "-m", "benchmarks", "--quiet", short], check=True)
        return
    for name in modules:
        print(f"== {name.removeprefix('bench_')} ==", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
        print(flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--quiet" in arguments:
        arguments.remove("--quiet")
    else:
        print(f"machine: {machine()}\n", flush=True)
    main(arguments)
