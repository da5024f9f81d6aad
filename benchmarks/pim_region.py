#!/usr/bin/env python
"""Where does a PIM first layer win? Region of advantage of the validated RRAM macro vs the digital one.

Sweeps two macro parameters of arch_configs/ace_snn_pim_rram.yaml (the PIM macro
re-derived from the validated NeuRRAM blocks at 45 nm, docs/validation.md): the
analog integration time per input level (``macro.level_ns``, NeuRRAM: 270 ns) and
the number of macros holding weight copies (``pim.macros``), on the workload (default
hsi_hybrid), and compares every point's whole-network energy, delay and EDP per
inference with the first layer on the digital cores (arch_configs/digital_only.yaml).
ACE-SNN (Datta et al., Frontiers in Neuroscience 2022) reports -30 % energy, -7 %
delay, -38 % EDP for its PIM first layer. Prints a Markdown table and writes a figure
(three panels: change of energy, delay, EDP; points meeting ACE-SNN's figure marked).

    python benchmarks/pim_region.py [WORKLOAD] [-o docs/img/pim_region.png] [--samples N]

The sweep reuses one functional trace for all points (the parameters are cost-only).
"""
from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from accelsim.cli import main as accelsim_main
from accelsim.simulate import run_simulation

ROOT = Path(__file__).resolve().parent.parent
LEVEL_NS = (0.027, 0.27, 2.7, 27.0, 270.0)
MACROS = (4, 16, 64, 256)
ACE_SNN = {"energy": -0.30, "delay": -0.07, "edp": -0.38}


def sweep(workload: str, samples: int | None, out: Path) -> list[dict]:
    args = ["sweep", str(ROOT / "arch_configs" / "ace_snn_pim_rram.yaml"), workload,
            "--grid", "macro.level_ns=" + ",".join(str(v) for v in LEVEL_NS),
            "--grid", "pim.macros=" + ",".join(str(v) for v in MACROS), "-o", str(out), "-q", "--workers", "1"]
    if samples:
        args += ["--samples", str(samples)]
    assert accelsim_main(args) == 0
    with open(out / "results.csv", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["status"] == "ok"]


def changes(rows: list[dict], dig: dict) -> dict[tuple[float, int], dict[str, float]]:
    e0, d0 = dig["energy_pj"], dig["latency_ns"]
    out = {}
    for r in rows:
        e, d = float(r["energy_pj"]), float(r["latency_ns"])
        out[(float(r["macro.level_ns"]), int(r["pim.macros"]))] = {
            "energy": e / e0 - 1, "delay": d / d0 - 1, "edp": e * d / (e0 * d0) - 1, "accuracy": float(r["accuracy"])}
    return out


def plot(ch: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    for ax, key, title in zip(axes, ("energy", "delay", "edp"), ("energy", "delay", "EDP")):
        z = np.array([[100 * ch[(lv, m)][key] for m in MACROS] for lv in LEVEL_NS])
        im = ax.imshow(np.sign(z) * np.log10(1 + np.abs(z)), cmap="RdYlGn_r", vmin=-3, vmax=3, origin="lower",
                       aspect="auto")
        for i, lv in enumerate(LEVEL_NS):
            for j, m in enumerate(MACROS):
                meets = ch[(lv, m)][key] <= ACE_SNN[key]
                ax.text(j, i, f"{z[i, j]:+.0f} %" + (" *" if meets else ""), ha="center", va="center", fontsize=8,
                        fontweight="bold" if meets else "normal")
        ax.set_xticks(range(len(MACROS)), [str(m) for m in MACROS])
        ax.set_yticks(range(len(LEVEL_NS)), [f"{v:g}" for v in LEVEL_NS])
        ax.set_xlabel("PIM macros (weight copies)")
        ax.set_ylabel("integration time per input level (ns)")
        ax.set_title(f"whole-network {title} vs digital first layer\n(* = meets ACE-SNN's {100 * ACE_SNN[key]:+.0f} %)")
    cbar = fig.colorbar(im, ax=axes, shrink=0.8)
    cbar.set_label("sign(x) log10(1 + |x| %)")
    fig.suptitle("PIM first layer from validated NeuRRAM blocks at 45 nm (ace_snn_pim_rram.yaml), hsi_hybrid")
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "hsi_hybrid" / "workload.json"))
    ap.add_argument("-o", "--out", default=str(ROOT / "docs" / "img" / "pim_region.png"))
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args(argv)
    dig = run_simulation(str(ROOT / "arch_configs" / "digital_only.yaml"), args.workload, samples=args.samples)
    with tempfile.TemporaryDirectory() as tmp:
        ch = changes(sweep(args.workload, args.samples, Path(tmp) / "sweep"), dig["per_inference"])
    print("| level (ns) | macros | dE | dD | dEDP | accuracy |")
    print("|---:|---:|---:|---:|---:|---:|")
    for (lv, m), c in sorted(ch.items()):
        print(f"| {lv:g} | {m} | {100 * c['energy']:+.1f} % | {100 * c['delay']:+.1f} % | {100 * c['edp']:+.1f} % | "
              f"{c['accuracy']:.3f} |")
    print(f"\ndigital first layer: accuracy {dig['accuracy']:.3f}, {dig['per_inference']['energy_pj'] / 1e9:.4f} mJ, "
          f"{dig['per_inference']['latency_ns'] / 1e6:.3f} ms per inference")
    plot(ch, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
