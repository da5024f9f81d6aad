#!/usr/bin/env python
"""First layer on PIM vs on the digital core: energy, delay, EDP (ACE-SNN's comparison).

Runs the workload with arch_configs/digital_only.yaml and with ace_snn_pim.yaml
under a few PIM settings, and prints a Markdown table of the first layer's and
the whole network's energy, latency and EDP per inference, with the change
relative to the digital first layer (negative = PIM better).

    python benchmarks/pim_vs_digital.py [WORKLOAD] [--samples N]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.simulate import run_simulation

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = (
    ("PIM as shipped (6-bit survey ADC, calibrated range)", []),
    ("PIM 6-bit, full-scale range", ["pim.adc_range=full_scale"]),
    ("PIM lossless (9-bit survey ADC)", ["pim.adc_bits=9"]),
    ("PIM lossless, SAR ADC (NeuroSim)", ["pim.adc_bits=9", "pim.adc_model=sar"]),
    ("PIM lossless, SAR, 4-bit DAC, 4-bit cells", ["pim.adc_bits=15", "pim.adc_model=sar", "pim.dac_bits=4",
                                                   "pim.cell_bits=4"]),
)


def figures(rep: dict) -> dict:
    first = rep["layers"][0]
    return {"acc": rep["accuracy"], "e1": first["energy_pj"], "d1": first["latency_ns"],
            "e": rep["per_inference"]["energy_pj"], "d": rep["per_inference"]["latency_ns"]}


def pct(a: float, b: float) -> str:
    return f"{100 * (a / b - 1):+.1f} %"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "hsi_hybrid" / "workload.json"))
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args(argv)
    dig = figures(run_simulation(str(ROOT / "arch_configs" / "digital_only.yaml"), args.workload,
                                 samples=args.samples))
    print("| first layer on | accuracy | L1 energy (uJ) | L1 delay (us) | L1 EDP (uJ*us) | L1 dE / dD / dEDP "
          "| network energy (uJ) | network delay (us) | network dE / dD / dEDP |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---|")

    def row(label, f):
        if f is dig:
            d1 = dn = "-"
        else:
            d1 = f"{pct(f['e1'], dig['e1'])} / {pct(f['d1'], dig['d1'])} / {pct(f['e1'] * f['d1'], dig['e1'] * dig['d1'])}"
            dn = f"{pct(f['e'], dig['e'])} / {pct(f['d'], dig['d'])} / {pct(f['e'] * f['d'], dig['e'] * dig['d'])}"
        print(f"| {label} | {f['acc']:.3f} | {f['e1'] / 1e6:.2f} | {f['d1'] / 1e3:.1f} | "
              f"{f['e1'] * f['d1'] / 1e9:.1f} | {d1} | {f['e'] / 1e6:.1f} | {f['d'] / 1e3:.0f} | {dn} |")

    row("digital core (digital_only.yaml)", dig)
    for label, sets in VARIANTS:
        row(label, figures(run_simulation(str(ROOT / "arch_configs" / "ace_snn_pim.yaml"), args.workload, sets,
                                          samples=args.samples)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
