#!/usr/bin/env python
"""Wall time of `accelsim run` on the shipped examples (target, docs/performance.md:
< 2 s with a warm numba cache), and how the time splits into loading, the functional trace and cost+report.

    python benchmarks/bench_run.py [--repeat 3]

Prints one line per (example, arch). accelsim's modules are compiled to bytecode first and the
first subprocess run warms numba's on-disk cache; the figure reported is the best of --repeat
warm runs.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import best, machine, warm_bytecode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [("digits", "workloads/digits/workload.json"), ("hsi_hybrid", "workloads/hsi_hybrid/workload.json"),
            ("srnn_events", "workloads/srnn_events/workload.json")]
ARCHS = ["arch_configs/ace_snn_pim.yaml", "arch_configs/digital_only.yaml"]


def cli_seconds(arch: str, workload: str, repeat: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "accelsim", "run", arch, workload, "-o", out, "-q"]
        # the untimed first run warms numba's cache
        return best(lambda: subprocess.run(cmd, cwd=ROOT, check=True), repeat, warm=True)


def stages(arch: str, workload: str) -> tuple[float, float, float, int]:
    from accelsim.simulate import cost_and_report, functional_trace, prepare

    t0 = time.perf_counter()
    job = prepare(str(ROOT / arch), str(ROOT / workload))
    t1 = time.perf_counter()
    trace = functional_trace(job)
    t2 = time.perf_counter()
    cost_and_report(job, trace)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, len(job.data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warm_bytecode()   # a warm run: numba's cache and Python's bytecode of accelsim
    print(f"machine: {machine()}")
    print(f"{'example':<12}{'arch':<18}{'samples':>8}{'cli run (s)':>13}{'load':>8}{'trace':>8}{'cost':>8}")
    for name, wl in EXAMPLES:
        if not (ROOT / wl).is_file():
            print(f"{name:<12}(missing; make it with scripts/make_{name}.py)")
            continue
        for arch in ARCHS:
            cli = cli_seconds(arch, wl, args.repeat)
            stages(arch, wl)  # warm in-process (numba loads its cache once per process)
            load, trace, cost, n = stages(arch, wl)
            print(f"{name:<12}{Path(arch).stem:<18}{n:>8}{cli:>13.2f}{load:>8.3f}{trace:>8.3f}{cost:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
