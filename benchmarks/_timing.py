"""Helpers the benchmark scripts share: a best-of-N wall timer and a one-line machine description.

The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they
import it as ``from _timing import best, machine``.
"""
from __future__ import annotations

import compileall
import os
import platform
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def best(fn, repeat: int = 3, warm: bool = False, clock=time.perf_counter) -> float:
    """The shortest time of ``repeat`` calls of ``fn()`` by ``clock`` (default: wall time);
    ``warm``: one untimed call first."""
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def machine() -> str:
    """CPU model, CPU count, architecture and Python version, for a benchmark's header line."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        name = next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name"))
    except (OSError, StopIteration):
        name = platform.processor() or "?"
    return f"{name}, {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"


def warm_bytecode() -> bool:
    """Compile accelsim's modules to bytecode (``__pycache__``, ignored by git), as a package install
    does: a warm CLI run then imports them instead of compiling ~120 modules from source, which it
    does at every start when ``PYTHONDONTWRITEBYTECODE`` is set (as on the project machine; +0.1-0.15 s
    per run measured there). Returns whether every module compiled."""
    return bool(compileall.compile_dir(str(ROOT / "accelsim"), quiet=1))
