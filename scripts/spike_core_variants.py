#!/usr/bin/env python
"""Spike-core design variants of a workload: energy, delay, Vmem share, energy per synaptic op.

The tables of docs/spike-core.md §7 and §13. Each variant is a list of ``--set`` keys on
the architecture (default ``arch_configs/digital_only.yaml``: the shipped spike cores with
a first layer of 125 us, so the cores' delay is not hidden behind the 228.5 ms of
ace_snn_pim's PIM first layer; docs/pim.md §5), or another architecture file; the
functional trace is shared by the variants with the same numerics.

    python scripts/spike_core_variants.py [WORKLOAD] [--arch ARCH] [--samples N]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from per_synop_energy import per_synop  # noqa: E402

from accelsim.errors import InputError  # noqa: E402
from accelsim.hw.builtin import numerics_identity  # noqa: E402
from accelsim.simulate import cost_and_report, functional_trace, hardware_layers, prepare  # noqa: E402

VARIANTS = (   # (label, architecture file or None for --arch, --set keys)
    ("shipped", None, []),
    ("core.sram_ports=2", None, ["core.sram_ports=2"]),
    ("core.vmem_word_bits=16", None, ["core.vmem_word_bits=16"]),
    ("core.vmem_word_bits=16 core.sram_ports=2", None, ["core.vmem_word_bits=16", "core.sram_ports=2"]),
    ("core.vmem_word_bits=16 core.vmem_sram_kib=2", None, ["core.vmem_word_bits=16", "core.vmem_sram_kib=2"]),
    ("core.count=4 noc.mesh_x=2 noc.mesh_y=2 core.weight_sram_kib=512", None,
     ["core.count=4", "noc.mesh_x=2", "noc.mesh_y=2", "core.weight_sram_kib=512"]),
    ("core.partition=spatial", None, ["core.partition=spatial"]),
    ("core.partition=spatial core.on_overflow=dram", None, ["core.partition=spatial", "core.on_overflow=dram"]),
    ("core.min_neurons_per_core=1", None, ["core.min_neurons_per_core=1"]),
    ("core.cost_model=per_event (Loihi Table 2)", None, ["core.cost_model=per_event"]),
    ("loihi.yaml (128 cores, Loihi Table 2)", ROOT / "arch_configs" / "validation" / "loihi.yaml", []),
    ("ace_snn_pim.yaml (shipped PIM first layer)", ROOT / "arch_configs" / "ace_snn_pim.yaml", []),
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "hsi_hybrid" / "workload.json"))
    ap.add_argument("--arch", default=str(ROOT / "arch_configs" / "digital_only.yaml"))
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args(argv)
    traces: dict = {}
    print(f"workload {args.workload}, base {Path(args.arch).name}\n")
    print("| variant | energy (mJ) | delay (ms) | core.vmem share | pJ per synaptic op (cores + NoC + leakage) "
          "| Vmem pJ/op | dram.weights (mJ) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, arch, sets in VARIANTS:
        try:
            job = dataclasses.replace(prepare(str(arch or args.arch), args.workload, sets, args.samples),
                                      pipeline=False)
            layers = hardware_layers(job)
            key = (str(arch or args.arch), numerics_identity(layers, job.spec.arch))
            if key not in traces:
                traces[key] = functional_trace(job, layers=layers)
            rep = cost_and_report(job, traces[key])
        except InputError as exc:
            print(f"| `{label}` | — | — | — | error: {exc.problems[0].message[:100]} | | |")
            continue
        pi, bd = rep["per_inference"], rep["energy_breakdown_pj"]
        vmem = bd.get("core.vmem", 0.0)
        _, parts = per_synop(rep)
        print(f"| `{label}` | {pi['energy_pj'] / 1e9:.2f} | {pi['latency_ns'] / 1e6:.1f} | "
              f"{100 * vmem / pi['energy_pj']:.0f} % | {sum(parts.values()):.1f} | {parts.get('core.vmem', 0.0):.1f} | "
              f"{bd.get('dram.weights', 0.0) / 1e9:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
