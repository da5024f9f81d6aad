"""Benchmark of the spike-core path (targets: docs/performance.md). Prints figures; asserts nothing.

For each workload:

* ``bare``: the bare functional SNN forward pass (executors only: no counts, no trace);
* ``functional``: the functional trace (counts + per-address spike records);
* ``cost``: the spike-core cost model on that trace, first evaluation (mapping, routing,
  schedule; nothing memoised);
* ``full``: functional + cost + report = what ``accelsim run`` does after loading;
* spike-core path throughput: synaptic events of the core layers (summed over samples)
  per second of the routing + pricing step (one host core);
* design points per second reusing the trace: an energy-only sweep (``tech.overrides``)
  and a timing sweep (``core.lanes``, new schedules).

    python benchmarks/bench_core.py [--workload workloads/digits/workload.json ...] [--samples N]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _timing import best, machine

from accelsim.config.loader import ArchSpec, apply_sets, load_arch, read_yaml, validate_arch_dict
from accelsim.tech.table import load_tech
from accelsim.cost import model
from accelsim.hw.core.engine import core_activities
from accelsim.engine.execute import make_executor
from accelsim.simulate import cost_and_report, functional_trace, prepare


def bare_forward(graph, samples) -> float:
    """The SNN forward pass alone, the same batches and executors as the engine; returns seconds."""
    from accelsim.engine.functional import _batch_size
    from accelsim.engine.interpret import interpret
    from accelsim.engine.lower import static_values

    t0 = time.perf_counter()
    N, T = len(samples), graph.timesteps
    static = static_values(graph)
    execs = {n.name: make_executor(graph, n, "numba") for n in graph.nodes}
    B = _batch_size(graph, N)
    for start in range(0, N, B):
        xb = samples.x[start:start + B]
        for e in execs.values():
            e.reset(xb.shape[0])
        cache = {}
        for _ in range(T):
            interpret(graph, {graph.input.name: xb}, execs, cache, static)
    return time.perf_counter() - t0


def spec_for(raw: dict, file: str, sets) -> ArchSpec:
    """A design point as a sweep builds it: the arch file parsed once, the point's keys set, validated."""
    arch = validate_arch_dict(apply_sets(raw, sets, file), file)
    return ArchSpec(arch, load_tech(arch.tech.node, arch.tech.overrides, file=file), file)


def bench(arch: str, workload: str, samples: int | None) -> None:
    job = prepare(arch, workload, samples=samples)
    warm = prepare(arch, workload, samples=2)
    cost_and_report(warm, functional_trace(warm))  # numba warm-up (kernels load from the cache)
    bare = best(lambda: bare_forward(job.graph, job.data))
    t0 = time.perf_counter()
    trace = functional_trace(job)
    t_func = time.perf_counter() - t0
    t0 = time.perf_counter()
    cost_and_report(job, trace)
    t_cost = time.perf_counter() - t0
    full = t_func + t_cost

    core_layers = [i for i, l in enumerate(trace.layers) if not l.first_layer]
    events = int(sum(trace.counts[i].synaptic_ops.sum() for i in core_layers))
    # routing + pricing alone, nothing memoised: a fresh mapping key each time (partition alternates)
    spec_c = load_arch(arch, [("core.partition", "channel")])
    spec_s = load_arch(arch, [("core.partition", "spatial")])
    t_route = []
    for spec in (spec_c, spec_s):
        trace.forget()
        t0 = time.perf_counter()
        core_activities(trace, job.graph, spec.arch.core, spec.arch.noc)
        t_route.append(time.perf_counter() - t0)

    raw = read_yaml(arch)
    n_pts = 500
    t0 = time.perf_counter()
    for i in range(n_pts):
        spec = spec_for(raw, arch, [("tech.overrides", {"arith_pj": {"int8_add": 0.03 + 1e-5 * i}})])
        model.evaluate(trace, spec, job.graph)
    energy_pps = n_pts / (time.perf_counter() - t0)
    lanes = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
    t0 = time.perf_counter()
    for ln in lanes:
        model.evaluate(trace, spec_for(raw, arch, [("core.lanes", ln)]), job.graph)
    timing_pps = len(lanes) / (time.perf_counter() - t0)

    print(f"\n== {job.graph.name}: {len(job.data)} samples, T={trace.timesteps}, arch {job.spec.arch.name} "
          f"({job.spec.arch.core.count} cores)")
    print(f"bare forward pass      {bare:8.3f} s")
    print(f"functional trace       {t_func:8.3f} s   ({t_func / bare:.2f}x bare)")
    print(f"cost model + report    {t_cost:8.3f} s")
    print(f"full simulation        {full:8.3f} s   ({full / bare:.2f}x bare; target <= 1.5x)")
    print(f"spike-core synaptic events (all samples): {events:.3e}")
    for name, t in zip(("channel", "spatial"), t_route):
        print(f"routing, {name:8s} policy {t:8.4f} s   -> {events / t:.3e} synaptic events/s on one host core")
    print(f"design points/s reusing the trace: energy-only {energy_pps:8.1f}, timing (core.lanes) {timing_pps:6.1f}")


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
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()
