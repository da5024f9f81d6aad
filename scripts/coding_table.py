#!/usr/bin/env python
"""Few-spikes (FS) coding against rate coding on the digits MLP: the comparison of docs/coding.md.

1. The shipped ``workloads/digits`` network's ANN is exported to ONNX (as in
   ``scripts/digits_balance_table.py``) and converted by ``accelsim convert``,
   calibrated on the training split (1,437 digits):
   * ``--coding fs --phases K --balance max`` for K = 4, 6, 8, 10;
   * ``--coding rate --balance ratenorm --ratenorm-p auto`` (IF, reset by
     subtraction; Ding et al.) for T = 2 ... 128.
2. Each workload runs on ``arch_configs/ace_snn_pim.yaml`` (or ``--arch``) over the 360 test
   digits (``accelsim.simulate.run_simulation``): accuracy, spikes per spiking
   neuron, energy and latency per inference, pipelined throughput.
3. Prints a markdown table (and, per K, the smallest rate T that reaches the FS
   accuracy) and writes a figure of accuracy against latency and energy.

    python scripts/coding_table.py [--arch arch_configs/digital_only.yaml] [--plot docs/img/coding_fs_vs_rate.png]

Needs onnx and scikit-learn (pip install -e .[onnx,examples]).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from digits_balance_table import digits_split  # noqa: E402

KS = (4, 6, 8, 10)
TS = (2, 4, 8, 16, 32, 64, 128)
ARCH = ROOT / "arch_configs" / "ace_snn_pim.yaml"


def convert(onnx_path: Path, tmp: Path, out: Path, extra: list[str]) -> Path:
    cmd = [sys.executable, "-m", "accelsim", "convert", str(onnx_path), "--calib", str(tmp / "calib.npz"),
           "--samples", str(tmp / "test.npz"), *extra, "-o", str(out)]
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if res.returncode:
        raise SystemExit(f"accelsim convert failed:\n{res.stderr}")
    return out / "workload.json"


def figures(report: dict) -> dict:
    return {
        "accuracy": report["accuracy"],
        "spikes_per_neuron": report["coding"]["spikes_per_neuron"],
        "per_layer": [round(l["spikes_per_neuron"], 3) for l in report["layers"] if l["spiking"]],
        "energy_nj": report["per_inference"]["energy_pj"] / 1e3,
        "latency_us": report["per_inference"]["latency_ns"] / 1e3,
        "throughput_k_per_s": report["pipeline"]["throughput_inputs_per_s"] / 1e3,
        "timesteps": report["timesteps"],
    }


def run_all(arch: Path = ARCH) -> tuple[float, dict, dict]:
    import onnx

    from accelsim.convert.mlp_onnx import mlp_from_workload, mlp_to_onnx
    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.engine.ann import run_ann
    from accelsim.simulate import run_simulation
    from accelsim.workload import load_workload

    shipped = load_workload(ROOT / "workloads" / "digits" / "workload.json")
    model = mlp_to_onnx(*mlp_from_workload(shipped), input_shape=(1, 8, 8))
    x_tr, x_te, _, y_te = digits_split()
    ann_acc = float(np.mean(run_ann(read_onnx(model).builder.graph(), x_te).argmax(1) == y_te))
    fs, rate = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        onnx.save(model, tmp / "digits.onnx")
        np.savez(tmp / "calib.npz", x=x_tr)
        np.savez(tmp / "test.npz", x=x_te, y=y_te)
        for K in KS:
            wl = convert(tmp / "digits.onnx", tmp, tmp / f"fs{K}", ["--coding", "fs", "--phases", str(K)])
            fs[K] = figures(run_simulation(str(arch), str(wl)))
        for T in TS:
            wl = convert(tmp / "digits.onnx", tmp, tmp / f"rate{T}",
                         ["--timesteps", str(T), "--balance", "ratenorm", "--ratenorm-p", "auto"])
            rate[T] = figures(run_simulation(str(arch), str(wl)))
    return ann_acc, fs, rate


def table(ann_acc: float, fs: dict, rate: dict) -> str:
    lines = [f"ANN (ReLU) test accuracy: {100 * ann_acc:.1f} % (digits MLP 64-64-32-10, 360 test digits)", "",
             "| coding | steps | accuracy % | spikes/neuron (per layer) | energy nJ | latency us | throughput k/s |",
             "|---|---|---|---|---|---|---|"]
    for name, rows, unit in (("FS", fs, "K"), ("rate (ratenorm)", rate, "T")):
        for key, f in rows.items():
            per = ", ".join(f"{v:.2f}" for v in f["per_layer"])
            lines.append(f"| {name} | {unit}={key} | {100 * f['accuracy']:.1f} | {f['spikes_per_neuron']:.2f} ({per}) | "
                         f"{f['energy_nj']:.1f} | {f['latency_us']:.2f} | {f['throughput_k_per_s']:.1f} |")
    lines.append("")
    for K, f in fs.items():
        match = next((T for T in TS if rate[T]["accuracy"] >= f["accuracy"] - 1e-12), None)
        if match is None:
            lines.append(f"FS K={K} ({100 * f['accuracy']:.1f} %): no rate T <= {TS[-1]} reaches it")
        else:
            r = rate[match]
            lines.append(f"FS K={K} ({100 * f['accuracy']:.1f} %) vs rate T={match} ({100 * r['accuracy']:.1f} %): "
                         f"spikes/neuron {f['spikes_per_neuron']:.2f} vs {r['spikes_per_neuron']:.2f}, energy "
                         f"{f['energy_nj'] / r['energy_nj']:.2f}x, latency {f['latency_us'] / r['latency_us']:.2f}x, "
                         f"throughput {f['throughput_k_per_s'] / r['throughput_k_per_s']:.2f}x")
    return "\n".join(lines)


def plot(path: str, ann_acc: float, fs: dict, rate: dict, arch: str = ARCH.stem) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), dpi=100)
    for ax, key, label in ((axes[0], "latency_us", "latency per inference (us)"),
                           (axes[1], "energy_nj", "energy per inference (nJ)")):
        for rows, name, marker, unit in ((fs, "FS", "o", "K"), (rate, "rate (ratenorm)", "s", "T")):
            xs = [f[key] for f in rows.values()]
            ys = [100 * f["accuracy"] for f in rows.values()]
            ax.plot(xs, ys, marker=marker, ms=4, label=name)
            for k, x, y in zip(rows, xs, ys):
                ax.annotate(f"{unit}={k}", (x, y), fontsize=6, xytext=(3, -8), textcoords="offset points")
        ax.axhline(100 * ann_acc, color="grey", ls="--", lw=1, label="ANN")
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"digits MLP on {arch}: few-spikes (K phases) vs rate coding (T steps)", fontsize=9)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default=str(ARCH))
    ap.add_argument("--plot", default=str(ROOT / "docs" / "img" / "coding_fs_vs_rate.png"))
    args = ap.parse_args(argv)
    ann_acc, fs, rate = run_all(Path(args.arch))
    print(table(ann_acc, fs, rate))
    print("\n" + json.dumps({"ann": ann_acc, "fs": fs, "rate": rate}))
    plot(args.plot, ann_acc, fs, rate, Path(args.arch).stem)
    print(f"wrote {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
