#!/usr/bin/env python
"""Accuracy and energy vs the spike cores' weight and membrane precision (core.numerics: fixed).

Sweeps core.weight_bits (at core.vmem_bits = 24) and core.vmem_bits (at core.weight_bits = 6) on
an architecture and workload, plus the float64 cores (core.numerics: float) as the ceiling; runs the
whole SNN (functional trace + cost) per point. Prints a Markdown table per workload and writes a
figure: accuracy, and energy per inference relative to the float cores', against bits.

    python benchmarks/numerics_accuracy.py [--arch arch_configs/digital_only.yaml] \
        [--workload workloads/digits/workload.json ...] [--out docs/img/numerics_accuracy.png]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from accelsim.simulate import cost_and_report, functional_trace, prepare

ROOT = Path(__file__).resolve().parent.parent
WEIGHT_BITS = (2, 3, 4, 5, 6, 7, 8, 16)
VMEM_BITS = (6, 7, 8, 10, 12, 16, 20, 24)
FIXED_VMEM, FIXED_WEIGHTS = 24, 6   # the other key while one is swept (membranes wide enough for any weight)


def run(arch: str, workload: str, sets: list[str]) -> dict:
    job = prepare(arch, workload, sets=sets + ["core.on_overflow=dram"])
    report = cost_and_report(job, functional_trace(job))
    return {"accuracy": report["accuracy"], "energy_nj": report["per_inference"]["energy_pj"] / 1e3,
            "overflows": sum(l["overflow_events"] or 0.0 for l in report["layers"])}


def sweep(arch: str, workload: str) -> dict:
    fixed = ["core.numerics=fixed"]
    out = {"float": run(arch, workload, ["core.numerics=float", f"core.weight_bits={FIXED_WEIGHTS}",
                                         f"core.vmem_bits={FIXED_VMEM}"])}
    out["weight"] = {b: run(arch, workload, fixed + [f"core.weight_bits={b}", f"core.vmem_bits={FIXED_VMEM}"])
                     for b in WEIGHT_BITS}
    out["vmem"] = {b: run(arch, workload, fixed + [f"core.weight_bits={FIXED_WEIGHTS}", f"core.vmem_bits={b}"])
                   for b in VMEM_BITS}
    return out


def table(name: str, res: dict) -> str:
    rows = [f"**{name}** (float cores: accuracy {res['float']['accuracy']:.4f}, "
            f"energy {res['float']['energy_nj']:.1f} nJ)", "",
            "| swept | bits | accuracy | energy (nJ/inference) | overflow events/inference |", "|---|---|---|---|---|"]
    for key, label in (("weight", f"core.weight_bits (vmem {FIXED_VMEM})"),
                       ("vmem", f"core.vmem_bits (weights {FIXED_WEIGHTS})")):
        for b, r in res[key].items():
            rows.append(f"| {label} | {b} | {r['accuracy']:.4f} | {r['energy_nj']:.1f} | {r['overflows']:.1f} |")
    return "\n".join(rows)


def plot(results: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex="col")
    for name, res in results.items():
        for col, key, xlabel in ((0, "weight", "core.weight_bits"), (1, "vmem", "core.vmem_bits")):
            bits = list(res[key])
            line, = axes[0, col].plot(bits, [res[key][b]["accuracy"] for b in bits], "o-", label=name)
            axes[0, col].axhline(res["float"]["accuracy"], color=line.get_color(), ls="--", lw=1)
            ref = res["float"]["energy_nj"]
            axes[1, col].plot(bits, [res[key][b]["energy_nj"] / ref for b in bits], "o-", color=line.get_color())
            axes[1, col].set_xlabel(xlabel)
    axes[0, 0].set_ylabel("accuracy (dashed: float cores)")
    axes[1, 0].set_ylabel("energy per inference / float cores")
    for ax in axes[1]:
        ax.axhline(1.0, color="grey", ls="--", lw=1)
    axes[0, 0].set_title(f"weights (membranes {FIXED_VMEM} bit)")
    axes[0, 1].set_title(f"membranes (weights {FIXED_WEIGHTS} bit)")
    axes[0, 0].legend(fontsize=8)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default=str(ROOT / "arch_configs" / "digital_only.yaml"))
    ap.add_argument("--workload", nargs="+", default=[str(ROOT / "workloads" / "digits" / "workload.json")])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "numerics_accuracy.png"))
    args = ap.parse_args(argv)
    results = {}
    for wl in args.workload:
        t0 = time.perf_counter()
        name = Path(wl).parent.name
        results[name] = sweep(args.arch, wl)
        print(table(name, results[name]))
        print(f"\n({time.perf_counter() - t0:.0f} s)\n")
    plot(results, Path(args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
