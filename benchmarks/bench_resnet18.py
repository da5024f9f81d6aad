#!/usr/bin/env python
"""A ResNet-18-sized SNN at ImageNet resolution, T = 4, one sample (target, docs/performance.md:
under 60 s and 4 GB on a 2-core machine), through the whole pipeline.

    python benchmarks/bench_resnet18.py [--timesteps 4] [--arch arch_configs/ace_snn_pim.yaml] [--set KEY=VALUE ...]

Applies ``--set core.on_overflow=dram --set pim.macros=8`` by default (the shipped
cores' SRAM does not hold ResNet-18's weights, nor 4 macros conv1); further --set
options are appended to these.

The network has ResNet-18's shape (conv 7x7/2 64, max-pool, 4 stages of 2 basic
blocks with 1x1 projection shortcuts, global average pool, FC 1000) and random
He-normal weights; IF neurons with a unit threshold. Its accuracy means nothing;
it is here for its size (1.8 G dense MACs). Prints the time of each stage, the
synaptic events per second of the functional pass, the spike rates and the peak
resident memory of the process.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def build(timesteps: int, seed: int = 0):
    from accelsim.workload.builder import WorkloadBuilder

    rng = np.random.default_rng(seed)

    def he(shape):
        fan_in = int(np.prod(shape[1:]))
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)

    b = WorkloadBuilder("resnet18_snn", (3, 224, 224), timesteps=timesteps)
    h = b.neuron("lif0", b.conv("conv1", b.input, he((64, 3, 7, 7)), strides=[2, 2], pads=[3, 3, 3, 3]), "IF")
    h = b.pool("maxpool", h, "max", [3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c_in = 64
    for stage, c_out in enumerate((64, 128, 256, 512), start=1):
        for blk in range(2):
            s = 2 if (blk == 0 and stage > 1) else 1
            name = f"l{stage}b{blk}"
            y = b.neuron(f"{name}_lif1", b.conv(f"{name}_conv1", h, he((c_out, c_in, 3, 3)), strides=[s, s],
                                                pads=[1, 1, 1, 1]), "IF")
            y = b.conv(f"{name}_conv2", y, he((c_out, c_out, 3, 3)), pads=[1, 1, 1, 1])
            short = h if (s == 1 and c_in == c_out) else b.conv(f"{name}_down", h, he((c_out, c_in, 1, 1)),
                                                                 strides=[s, s])
            h = b.neuron(f"{name}_lif2", b.node(f"{name}_add", "Add", [y, short]), "IF")
            c_in = c_out
    h = b.flatten("flatten", b.pool("avgpool", h, "avg", [7, 7]))
    b.readout(b.gemm("fc", h, he((1000, 512)), np.zeros(1000)))
    return b.graph()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timesteps", type=int, default=4)
    ap.add_argument("--arch", default=str(ROOT / "arch_configs" / "ace_snn_pim.yaml"))
    # ResNet-18's 11 M weights do not fit the shipped cores' SRAM, nor conv1 its 4 macros
    ap.add_argument("--set", dest="sets", action="append",
                    default=["core.on_overflow=dram", "pim.macros=8"], metavar="KEY=VALUE")
    args = ap.parse_args()

    from accelsim.config.loader import load_arch
    from accelsim.simulate import Job, cost_and_report, functional_trace
    from accelsim.workload.graph import Samples

    t0 = time.perf_counter()
    graph = build(args.timesteps)
    x = np.random.default_rng(1).uniform(0.0, 1.0, size=(1, 3, 224, 224))
    job = Job(load_arch(args.arch, args.sets), graph, Samples(x, None, "random image"), args.arch, "<resnet18>", "random")
    t1 = time.perf_counter()
    trace = functional_trace(job)
    t2 = time.perf_counter()
    report = cost_and_report(job, trace)
    t3 = time.perf_counter()
    syn = sum(int(c.synaptic_ops.sum()) for l, c in zip(trace.layers, trace.counts) if not l.first_layer)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    rates = [l["spike_rate"] for l in report["layers"] if l["spike_rate"] is not None]
    print(f"arch {args.arch} with {' '.join(args.sets)}")
    print(f"layers {len(trace.layers)}, dense MACs {sum(l.macs for l in trace.layers) / 1e9:.2f} G, T {args.timesteps}")
    print(f"build+load {t1 - t0:.2f} s, functional {t2 - t1:.2f} s, cost+report {t3 - t2:.2f} s, "
          f"total {t3 - t0:.2f} s")
    print(f"spike-core synaptic events {syn / 1e6:.1f} M -> {syn / (t2 - t1) / 1e6:.0f} M events/s in the functional pass")
    print(f"spike rates: min {min(rates):.3f}, mean {np.mean(rates):.3f}, max {max(rates):.3f}")
    print(f"energy {report['per_inference']['energy_pj'] / 1e6:.1f} uJ, latency "
          f"{report['per_inference']['latency_ns'] / 1e6:.2f} ms, peak RSS {peak_gib:.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
