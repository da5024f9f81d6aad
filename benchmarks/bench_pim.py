#!/usr/bin/env python
"""Speed of the functional PIM model on a workload's first layer (default: hsi_hybrid).

Runs only the first layer's synaptic node through the crossbar model
(:class:`accelsim.hw.pim.numerics.PimExec`) for ``--samples`` samples (the
workload's samples repeated to that count), after one warm-up call that
compiles/loads the numba kernels, and prints the time and throughput.

    python benchmarks/bench_pim.py [WORKLOAD] [--arch arch_configs/ace_snn_pim.yaml] [--samples 100] [--set KEY=V]
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from accelsim.engine.lower import lower
from accelsim.hw.builtin import HardwareNumerics, assign
from accelsim.simulate import prepare

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "hsi_hybrid" / "workload.json"))
    ap.add_argument("--arch", default=str(ROOT / "arch_configs" / "ace_snn_pim.yaml"))
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    job = prepare(args.arch, args.workload, args.sets)
    layers = assign(lower(job.graph), job.spec.arch)
    layer = next(l for l in layers if l.first_layer)
    x = job.data.x
    x = np.concatenate([x] * (-(-args.samples // len(x))))[:args.samples].astype(np.float64)
    model = HardwareNumerics(job.spec.arch, layers)
    ex = model(job.graph, layer.synapse, "numba")
    ex.reset(2)
    ex([x[:2]])                                           # warm-up: numba compile / cache load
    times = []
    for _ in range(args.repeat):
        ex.reset(len(x))
        t0 = time.perf_counter()
        ex([x])
        times.append(time.perf_counter() - t0)
    a = ex.activity
    conv_per = a.conversions / a.evaluations
    best = min(times)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"workload {job.graph.name}, layer {layer.name} {layer.synapse.op} {list(layer.in_shape)} -> "
          f"{list(layer.out_shape)}, arch {job.spec.arch.name} {' '.join(args.sets)}")
    print(f"{args.samples} samples: best {best:.3f} s of {args.repeat} (all: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"  {args.samples / best:.1f} samples/s, {conv_per * args.samples / best / 1e6:.1f} M ADC conversions/s, "
          f"{layer.macs * args.samples / best / 1e9:.2f} G dense MACs/s equivalent")
    print(f"machine: {cpu}, {len(__import__('os').sched_getaffinity(0))} CPUs, python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
