#!/usr/bin/env python
"""Accuracy and first-layer energy vs ADC resolution on the digits example.

For pim.adc_bits in 2..10 (the shipped macro's NeuRRAM neuron converts 1-10 bits) and
each signed-weight encoding / ADC range, runs the whole SNN (functional trace + cost)
with the first layer on the PIM macro, and once with the first layer on the digital
core (digital_only.yaml). Offset encoding has no differential pair to subtract in
analog, so it runs with ``macro.differential_subtract=false`` when the macro has the
key. Prints a Markdown table and writes the plot docs/img/pim_adc_accuracy.png.

    python benchmarks/pim_adc_sweep.py [--workload workloads/digits/workload.json] [--out docs/img/pim_adc_accuracy.png]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.simulate import cost_and_report, functional_trace, prepare

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = (
    ("differential, full scale", ["pim.signed_weights=differential", "pim.adc_range=full_scale"]),
    ("offset, full scale", ["pim.signed_weights=offset", "pim.adc_range=full_scale", "macro.differential_subtract=false"]),
    ("differential, calibrated", ["pim.signed_weights=differential", "pim.adc_range=calibrated"]),
)


def first_layer(report: dict) -> dict:
    return report["layers"][0]


def engine_pj(report: dict) -> float:
    """Energy of the first layer's synaptic part on its engine: the PIM macros (``pim.*``) or
    the dense MACs on the digital core (``core.mac``, ``core.weight_sram``, ``core.buffer``);
    the layer's total also holds its LIF neurons on the spike cores."""
    bd = first_layer(report)["energy_breakdown_pj"]
    if first_layer(report)["engine"] == "pim":
        return sum(v for k, v in bd.items() if k.startswith("pim."))
    return sum(bd.get(k, 0.0) for k in ("core.mac", "core.weight_sram", "core.buffer"))


def adc_pj(report: dict) -> float:
    """The first layer's conversion energy: ``pim.adc`` (technology-table macro) or the macro's
    converter block (``pim.neuron_convert``, NeuRRAM's bit-by-bit neuron)."""
    bd = report["energy_breakdown_pj"]
    return bd["pim.adc"] if "pim.adc" in bd else bd["pim.neuron_convert"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default=str(ROOT / "workloads" / "digits" / "workload.json"))
    ap.add_argument("--arch", default=str(ROOT / "arch_configs" / "ace_snn_pim.yaml"))
    ap.add_argument("--digital", default=str(ROOT / "arch_configs" / "digital_only.yaml"))
    ap.add_argument("--bits", default="2,3,4,5,6,7,8,9,10")
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "pim_adc_accuracy.png"))
    args = ap.parse_args(argv)
    bits = [int(b) for b in args.bits.split(",")]

    job = prepare(args.digital, args.workload)
    digital = cost_and_report(job, functional_trace(job))
    rows = {}
    for label, sets in VARIANTS:
        for b in bits:
            job = prepare(args.arch, args.workload, sets + [f"pim.adc_bits={b}"])
            rep = cost_and_report(job, functional_trace(job))
            rows[(label, b)] = rep
    lossless = first_layer(rows[(VARIANTS[0][0], bits[0])])["cost_details"]["adc_lossless_bits"]

    print(f"workload {digital['workload']} ({digital['samples']} samples, T={digital['timesteps']}), "
          f"arch {Path(args.arch).name}; lossless ADC bound {lossless} bits")
    print(f"digital first layer (digital_only.yaml): accuracy {digital['accuracy']:.4f}, first-layer energy "
          f"{first_layer(digital)['energy_pj'] / 1e3:.3f} nJ (with its LIF neurons), "
          f"{engine_pj(digital) / 1e3:.3f} nJ on the engine (MACs, weight SRAM, buffers)")
    print()
    print("| adc_bits | " + " | ".join(f"accuracy ({label})" for label, _ in VARIANTS)
          + " | first layer nJ, with LIF neurons (differential) | PIM engine nJ (differential) "
          "| conversions nJ (differential) |")
    print("|---:|" + "---:|" * len(VARIANTS) + "---:|---:|---:|")
    for b in bits:
        accs = " | ".join(f"{rows[(label, b)]['accuracy']:.4f}" for label, _ in VARIANTS)
        rep = rows[(VARIANTS[0][0], b)]
        print(f"| {b} | {accs} | {first_layer(rep)['energy_pj'] / 1e3:.3f} | {engine_pj(rep) / 1e3:.3f} | "
              f"{adc_pj(rep) / 1e3:.3f} |")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for (label, _), marker in zip(VARIANTS, "osd"):
        ax.plot(bits, [100 * rows[(label, b)]["accuracy"] for b in bits], marker=marker, label=f"PIM, {label}")
    ax.axhline(100 * digital["accuracy"], color="k", ls="--", lw=1, label="digital first layer")
    if lossless <= max(bits):
        ax.axvline(lossless, color="grey", ls=":", lw=1)
        ax.text(lossless, 50, " lossless", color="grey", fontsize=8, rotation=90)
    ax.set_xlabel("pim.adc_bits")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{digital['workload']}: accuracy vs ADC bits", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_ylim(0, 100)
    for (label, _), marker in zip(VARIANTS[:2], "os"):
        ax2.plot(bits, [engine_pj(rows[(label, b)]) / 1e3 for b in bits], marker=marker,
                 label=f"PIM, {label}")
    ax2.axhline(engine_pj(digital) / 1e3, color="k", ls="--", lw=1, label="digital first layer (MACs)")
    ax2.set_xlabel("pim.adc_bits")
    ax2.set_ylabel("first layer on its engine, nJ/inference")
    ax2.set_title(f"first-layer engine energy ({Path(args.arch).stem})", fontsize=10)
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
