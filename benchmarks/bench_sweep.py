#!/usr/bin/env python
"""Sweep throughput: design points per second with trace reuse and without.

    python benchmarks/bench_sweep.py [--workers 2] [--points 2000] [--samples 20]

Workload: workloads/digits (first --samples samples) on arch_configs/ace_snn_pim.yaml.
With reuse: 2 numerics values (pim.adc_bits) x a cost-only grid (clock, lanes,
NoC link length, weight SRAM size), i.e. 2 functional traces, one per worker.
Without reuse: the same kind of grid, a functional trace per point (fewer points).
Each figure is end to end (validation, worker start-up, journal, CSV); the
marginal rate subtracts a 4-point sweep with the same traces (start-up and
traces only); the in-worker rate (cost_and_report + row, one process) is printed too.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _timing import machine

ROOT = Path(__file__).resolve().parent.parent
ARCH = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
WORKLOAD = str(ROOT / "workloads" / "digits" / "workload.json")


def cost_grid(n: int) -> list[str]:
    """Four cost-only axes with about n points in total."""
    k = max(2, round(n ** 0.25))
    lin = lambda lo, hi: ",".join(f"{lo + (hi - lo) * i / (k - 1):.6g}" for i in range(k))  # noqa: E731
    return [f"tech.clock_mhz={lin(100, 800)}", f"noc.link_mm={lin(0.5, 2)}",
            f"core.weight_sram_kib={lin(32, 256)}", f"core.lanes={','.join(str(2 ** i) for i in range(k))}"]


def cpu_s() -> float:
    """CPU seconds of this process and its reaped children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(grid: list[str], workers: int, samples: int, reuse: bool) -> tuple[int, int, float, float]:
    """(points, traces, wall s, CPU s over all processes)."""
    from accelsim.sweep import SweepSpec, parse_grid, run_sweep

    out = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        spec = SweepSpec(ARCH, WORKLOAD, parse_grid(grid), samples=samples)
        t, c = time.perf_counter(), cpu_s()
        res = run_sweep(spec, out, workers=workers, reuse_traces=reuse)
        dt, dc = time.perf_counter() - t, cpu_s() - c
        if res.failed:
            raise SystemExit(f"{res.failed} points failed: {res.rows[0]}")
        return res.points, res.traces, dt, dc
    finally:
        shutil.rmtree(out, ignore_errors=True)


def in_worker_rate(samples: int, n: int) -> float:
    """Per point in one process, trace prepared: build the arch spec, cost_and_report, metrics row."""
    from accelsim.simulate import cost_and_report, functional_trace, prepare
    from accelsim.sweep.evaluate import metrics_row
    from accelsim.sweep.grid import grid_points, parse_grid
    from accelsim.sweep.validate import PointValidator

    job = prepare(ARCH, WORKLOAD, [], samples)
    trace = functional_trace(job)
    axes = parse_grid(cost_grid(n))
    validator = PointValidator(ARCH, WORKLOAD, ())
    points = grid_points(axes)
    t = time.perf_counter()
    for p in points:
        metrics_row(cost_and_report(replace(job, spec=validator.arch_spec(p.values), pipeline=False), trace))
    return len(points) / (time.perf_counter() - t)


def overheads(points: int, axes: int, futures: int) -> None:
    """Bookkeeping with no simulation: classifying the swept keys (trace_reuse) over a synthetic
    grid, and the Dask executor's completion order (_completed) over a stream of futures that
    finish one per poll (Dask's ``wait`` replaced by a stand-in; no cluster)."""
    import dask.distributed

    from accelsim.sweep import executors
    from accelsim.sweep.grid import grid_points, parse_grid
    from accelsim.sweep.runner import trace_reuse

    k = max(2, round(points ** (1 / axes)))
    grid = parse_grid([f"a{j}.x={','.join(str(i) for i in range(k))}" for j in range(axes)])
    pts = grid_points(grid)
    ids = [p.values[0] for p in pts]        # the first key re-runs, the others reuse
    t = time.perf_counter()
    trace_reuse(grid, pts, ids)
    print(f"trace_reuse: {len(pts)} points x {axes} axes: {time.perf_counter() - t:.3f} s")

    class Client:
        def nthreads(self):
            return {"w": 1}

    finishing = iter(range(futures - 1, -1, -1))   # the last submitted finishes first, and so on

    def one_done(pending, timeout, return_when):     # O(1): one future finishes per poll
        f = next(finishing)
        pending.discard(f)
        return {f}, pending

    real, dask.distributed.wait = dask.distributed.wait, one_done
    try:
        t = time.perf_counter()
        n = sum(1 for _ in executors._completed(Client(), list(range(futures))))
        print(f"dask completion order: {n} futures finishing one per poll: {time.perf_counter() - t:.3f} s")
    finally:
        dask.distributed.wait = real


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--points", type=int, default=2000, help="points of the trace-reuse sweep")
    ap.add_argument("--no-reuse-points", type=int, default=16, help="points of the sweep without reuse")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--overheads-only", action="store_true", help="only the bookkeeping timings (no simulation)")
    args = ap.parse_args()
    overheads(20_000, 6, 5_000)
    if args.overheads_only:
        return
    print(f"machine: {machine()}; load average now {os.getloadavg()[0]:.1f}")
    print(f"workload: digits, {args.samples} samples; arch: ace_snn_pim; workers: {args.workers}")
    # warm numba's cache and the imports once, outside the timings
    run(["pim.adc_bits=6"], 1, args.samples, True)

    rate = in_worker_rate(args.samples, 256)
    print(f"in-worker cost-only evaluation: {rate:.0f} points/s per process")

    grid = ["pim.adc_bits=4,6"] + cost_grid(args.points // 2)
    n, traces, dt, dc = run(grid, args.workers, args.samples, True)
    print(f"with trace reuse:    {n} points, {traces} traces, {dt:.2f} s -> {n / dt:.0f} points/s end to end "
          f"({dc:.2f} CPU s in all processes)")
    # the same sweep with 2 points per trace: start-up, validation and traces only
    n0, _, dt0, dc0 = run(["pim.adc_bits=4,6", "tech.clock_mhz=100,200"], args.workers, args.samples, True)
    print(f"  fixed part (worker start-up, 2 traces, {n0} points): {dt0:.2f} s, {dc0:.2f} CPU s; marginal "
          f"{(n - n0) / max(dt - dt0, 1e-9):.0f} points/s wall, {(n - n0) / max(dc - dc0, 1e-9):.0f} points per "
          f"CPU second (x{args.workers} cores = {args.workers * (n - n0) / max(dc - dc0, 1e-9):.0f}/s when idle)")

    k = max(1, round(math.sqrt(args.no_reuse_points / 2)))
    grid = ["pim.adc_bits=4,6", f"tech.clock_mhz={','.join(str(100 * (i + 1)) for i in range(k))}",
            f"core.lanes={','.join(str(2 ** (i + 1)) for i in range(k))}"]
    n, traces, dt, dc = run(grid, args.workers, args.samples, False)
    print(f"without trace reuse: {n} points, {traces} traces, {dt:.2f} s -> {n / dt:.1f} points/s")


if __name__ == "__main__":
    main()
