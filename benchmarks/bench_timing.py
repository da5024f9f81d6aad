"""Benchmark of the schedule (accelsim/schedule/): the numba scheduler vs its simpy specification.

Prints figures; asserts nothing. For each workload and each scheduler (``fast``, ``simpy``):

* ``schedule``: one schedule of the cost model's task arrays (uncached, best of N);
* ``cost + report``: the spike-core cost model and report on the trace, nothing memoised;
* ``full``: functional trace + cost + report, as a ratio to the bare forward pass (target <= 1.5x,
  docs/performance.md) and to the functional trace;
* timing points per second reusing the trace: ``core.task_overhead_cycles`` = 0, 1, 2, ... so every
  point needs a new schedule; one process, and two worker processes (fork) splitting the points.

    python benchmarks/bench_timing.py [--arch A.yaml] [--workload W.json ...] [--samples N]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time

from _timing import best, machine
from bench_core import bare_forward, spec_for

from accelsim.config.loader import read_yaml
from accelsim.cost import model
from accelsim.schedule import SCHEDULERS
from accelsim.schedule.dispatch import clear_cache
from accelsim.simulate import cost_and_report, functional_trace, prepare

_REAL = model.schedule
_STATE: dict = {}


def use_scheduler(scheduler: str) -> None:
    """Make the cost model schedule with ``scheduler`` (uncached, so every evaluation schedules)."""
    model.schedule = lambda *a, **k: _REAL(*a, **{**k, "cache": False, "scheduler": scheduler})


def forget(trace) -> None:
    """Drop every memo, so the next evaluation maps, routes and schedules from scratch."""
    trace.forget()
    clear_cache()


def _points(ks: list[int]) -> int:
    s = _STATE
    for k in ks:
        model.evaluate(s["trace"], spec_for(s["raw"], s["arch"], [("core.task_overhead_cycles", k)]), s["graph"])
    return len(ks)


def sweep_rate(n: int, workers: int) -> float:
    """Timing points per second: ``n`` points, each a new schedule, over ``workers`` processes."""
    ks = list(range(n))
    t0 = time.perf_counter()
    if workers == 1:
        _points(ks)
    else:
        with mp.get_context("fork").Pool(workers) as pool:
            pool.map(_points, [ks[w::workers] for w in range(workers)])
    return n / (time.perf_counter() - t0)


def bench(arch: str, workload: str, samples: int | None) -> None:
    job = prepare(arch, workload, samples=samples)
    warm = prepare(arch, workload, samples=2)
    for scheduler in SCHEDULERS:  # numba kernels load from the cache (or compile) here
        use_scheduler(scheduler)
        cost_and_report(warm, functional_trace(warm))
    # best of several: the bare pass is a few ms on digits, and a shared machine's other jobs can stall it
    bare = best(lambda: bare_forward(job.graph, job.data), repeat=7)
    traces = []
    t_func = best(lambda: traces.append(functional_trace(job)), repeat=3)
    trace = traces[-1]

    calls = []
    model.schedule = lambda *a, **k: calls.append(a) or _REAL(*a, **k)
    forget(trace)
    model.evaluate(trace, job.spec, job.graph)
    args = calls[0]
    sched = _REAL(*args, cache=False)
    _STATE.update(trace=trace, graph=job.graph, raw=read_yaml(arch), arch=arch)

    print(f"\n== {job.graph.name}: {len(job.data)} samples, T={trace.timesteps}, arch {job.spec.arch.name} "
          f"({job.spec.arch.core.count} cores), {len(sched.rows)} scheduled tasks")
    print(f"bare forward pass      {bare:8.4f} s")
    print(f"functional trace       {t_func:8.4f} s")
    rows = {}
    for scheduler in SCHEDULERS:
        use_scheduler(scheduler)
        t_sched = best(lambda: _REAL(*args, cache=False, scheduler=scheduler), repeat=5 if scheduler == "simpy" else 50)

        def fresh():
            forget(trace)
            cost_and_report(job, trace)
        t_cost = best(fresh, repeat=3)
        full = t_func + t_cost
        n = 40 if scheduler == "simpy" else 400
        _points([0])  # routing memoised in this process before the workers fork
        rows[scheduler] = (t_sched, t_cost, full, sweep_rate(n, 1), sweep_rate(n, 2))
    for scheduler, (t_sched, t_cost, full, one, two) in rows.items():
        print(f"[{scheduler:5s}] schedule {t_sched * 1e3:8.3f} ms | cost + report {t_cost * 1e3:7.1f} ms | full "
              f"{full:7.4f} s = {full / bare:5.2f}x bare, {full / t_func:4.2f}x functional trace | timing points/s "
              f"{one:7.1f} (1 process), {two:7.1f} (2 processes)")
    f, s = rows["fast"], rows["simpy"]
    print(f"speed-up of the schedule: {s[0] / f[0]:.0f}x; of a timing point: {f[3] / s[3]:.1f}x")
    model.schedule = _REAL


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="arch_configs/ace_snn_pim.yaml")
    ap.add_argument("--workload", action="append", default=None)
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args()
    wls = args.workload or [p for p in ("workloads/digits/workload.json", "workloads/hsi_hybrid/workload.json")
                            if os.path.exists(p)]
    print(machine())
    for wl in wls:
        bench(args.arch, wl, args.samples)


if __name__ == "__main__":
    main()
