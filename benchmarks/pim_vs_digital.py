#!/usr/bin/env python
"""First layer on PIM vs on the digital core: energy, delay, EDP (ACE-SNN's comparison).

Runs the workload with arch_configs/digital_only.yaml, with ace_snn_pim.yaml (its
macro: the validated NeuRRAM blocks moved to 45 nm, docs/validation.md) under a few
settings, and with ace_snn_pim_legacy.yaml (the technology-table macro it shipped
with before), and prints two Markdown tables (per inference; changes relative to the
digital first layer, negative = PIM better):

* **first layer on its engine** -- the synaptic part of the first layer only: the
  PIM macros (``pim.*`` energy keys) or the dense MACs on the spike cores
  (``core.mac``, ``core.weight_sram``, ``core.buffer``); its compute part leaves out
  the input and hold buffers (``pim.buffer``, ``core.buffer``: the same model on both
  engines). Its delay is the engine's
  busy time: the wall time covered by the layer's ``pim``/``input`` tasks in the
  schedule (the macros, or the cores, work in parallel, so this is one task's
  duration, not the sum over resources). For PIM it equals
  ``cost_details.evaluation_ns x evaluations`` (checked). The layer's *span* in the
  report (``layers[0].latency_ns``, first task to last task of the layer including
  its LIF neurons at every step, interleaved with the other layers) is printed
  separately; it is not the layer's compute time.
* **whole network** -- ``per_inference`` energy, delay (makespan of the schedule)
  and EDP.

    python benchmarks/pim_vs_digital.py [WORKLOAD] [--samples N]
"""
from __future__ import annotations

import argparse
import csv
import math
import tempfile
from pathlib import Path

from accelsim.simulate import run_simulation

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = (   # (label, architecture file, --set keys)
    ("PIM as shipped (NeuRRAM blocks at 45 nm, 10-b neuron)", "ace_snn_pim.yaml", []),
    ("same, full-scale ADC range", "ace_snn_pim.yaml", ["pim.adc_range=full_scale"]),
    ("same, 100x faster integration (level 2.7 ns)", "ace_snn_pim.yaml", ["macro.level_ns=2.7"]),
    ("same, 64 macros", "ace_snn_pim.yaml", ["pim.macros=64"]),
    ("technology-table macro (ace_snn_pim_legacy.yaml: 6-b survey ADC)", "ace_snn_pim_legacy.yaml", []),
    ("table macro, lossless SAR, 4-bit DAC, 4-bit cells", "ace_snn_pim_legacy.yaml",
     ["pim.adc_bits=15", "pim.adc_model=sar", "pim.dac_bits=4", "pim.cell_bits=4"]),
)
ENGINE_KEYS = ("core.mac", "core.weight_sram", "core.buffer")   # digital first layer; PIM: every "pim.*" key


def busy_ns(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of [start, end) intervals."""
    total, end = 0.0, -math.inf
    for s, e in sorted(intervals):
        if s > end:
            total, end = total + (e - s), e
        elif e > end:
            total, end = total + (e - end), e
    return total


def run(arch: str, workload: str, sets: list[str], samples: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tl = str(Path(tmp) / "timeline.csv")
        rep = run_simulation(str(ROOT / "arch_configs" / arch) if "/" not in arch else arch, workload, sets, samples=samples, timeline=tl)
        with open(tl, newline="") as fh:
            tasks = list(csv.DictReader(fh))
    first = rep["layers"][0]
    mine = [(float(t["start_ns"]), float(t["end_ns"])) for t in tasks
            if t["layer"] == first["name"] and t["kind"] in ("pim", "input", "first_layer")]
    d1 = busy_ns(mine)
    det = first["cost_details"]
    if first["engine"] == "pim":
        e1 = sum(v for k, v in first["energy_breakdown_pj"].items() if k.startswith("pim."))
        c1 = e1 - first["energy_breakdown_pj"].get("pim.buffer", 0.0)
        expect = det["evaluation_ns"] * det["evaluations"]
        assert math.isclose(d1, expect, rel_tol=1e-9), (d1, expect)
    else:
        e1 = sum(first["energy_breakdown_pj"].get(k, 0.0) for k in ENGINE_KEYS)
        c1 = e1 - first["energy_breakdown_pj"].get("core.buffer", 0.0)
    pi = rep["per_inference"]
    return {"acc": rep["accuracy"], "e1": e1, "c1": c1, "d1": d1, "span1": first["latency_ns"],
            "first_layer_pj": first["energy_pj"], "e": pi["energy_pj"], "d": pi["latency_ns"],
            "policy": det["static_input"], "resources": len({t["resource"] for t in tasks
                                                              if t["layer"] == first["name"]
                                                              and t["kind"] in ("pim", "input", "first_layer")})}


def pct(a: float, b: float) -> str:
    return f"{100 * (a / b - 1):+.1f} %"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "hsi_hybrid" / "workload.json"))
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args(argv)
    rows = [("digital core (digital_only.yaml)", run("digital_only.yaml", args.workload, [], args.samples))]
    for label, arch, sets in VARIANTS:
        rows.append((label, run(arch, args.workload, sets, args.samples)))
    dig = rows[0][1]

    def deltas(f, e, d):
        if f is dig:
            return "-"
        return f"{pct(f[e], dig[e])} / {pct(f[d], dig[d])} / {pct(f[e] * f[d], dig[e] * dig[d])}"

    print("First layer on its engine (synaptic part only; delay = engine busy time):\n")
    print("| first layer on | accuracy | engine energy (uJ) | of which compute (uJ) | engine time (us) "
          "| dE / dD / dEDP (engine) | dE / dD / dEDP (compute) | (with its LIF neurons, uJ) | (span, ms) |")
    print("|---|---:|---:|---:|---:|---|---|---:|---:|")
    for label, f in rows:
        print(f"| {label} | {f['acc']:.3f} | {f['e1'] / 1e6:.2f} | {f['c1'] / 1e6:.2f} | {f['d1'] / 1e3:.1f} | "
              f"{deltas(f, 'e1', 'd1')} | {deltas(f, 'c1', 'd1')} | {f['first_layer_pj'] / 1e6:.2f} | "
              f"{f['span1'] / 1e6:.2f} |")
    print("\nWhole network (per inference; delay = makespan):\n")
    print("| first layer on | energy (mJ) | delay (ms) | EDP (mJ*ms) | dE / dD / dEDP |")
    print("|---|---:|---:|---:|---|")
    for label, f in rows:
        print(f"| {label} | {f['e'] / 1e9:.4f} | {f['d'] / 1e6:.3f} | {f['e'] * f['d'] / 1e15:.1f} | "
              f"{deltas(f, 'e', 'd')} |")
    print(f"\nstatic input policy: {', '.join(sorted({f['policy'] for _, f in rows}))}; "
          f"engine resources in parallel: " + ", ".join(str(f["resources"]) for _, f in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
