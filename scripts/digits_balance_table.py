#!/usr/bin/env python
"""Accuracy vs time steps of the digits MLP exported to ONNX and converted with
``max``, ``percentile`` and ``ratenorm`` threshold balancing (the shape of Ding
et al.'s Table: methods x T).

1. The shipped ``workloads/digits`` network's ANN (weights as stored, biases
   multiplied back by the activation scales) is exported to ONNX with
   ``onnx.helper`` (``Flatten -> (MatMul + Add -> Relu)* -> MatMul + Add``).
2. ``accelsim convert`` converts it: IF neurons, reset by subtraction, membranes
   starting at 0 (``--v-init 0``: the table predates the default 1/2), direct
   input, calibration on the training split (1,437 digits), for each balancing
   method; the SNN runs on the 360-digit test split.
3. Prints a markdown table (test accuracy at T = 1 ... 256, agreement with the
   ANN's predictions at T = 256, spikes per inference at T = 32) and writes a
   plot.

    python scripts/digits_balance_table.py [--plot docs/img/digits_balance_vs_t.png] [--onnx out/digits.onnx]

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
TS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
METHODS = (("max", []), ("percentile", ["--percentile", "99.9"]), ("ratenorm", ["--ratenorm-p", "auto"]))


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0)[:, None, :, :]
    return train_test_split(x, d.target.astype(np.int64), test_size=0.2, stratify=d.target, random_state=0)


def convert(onnx_path: Path, calib: Path, test: Path, out: Path, T: int, method: str, extra: list[str]) -> Path:
    cmd = [sys.executable, "-m", "accelsim", "convert", str(onnx_path), "--calib", str(calib), "--samples", str(test),
           "--timesteps", str(T), "--neuron", "IF", "--reset", "subtract", "--v-init", "0", "--balance", method, *extra,
           "--check-samples", "0", "-o", str(out)]
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if res.returncode:
        raise SystemExit(f"accelsim convert failed:\n{res.stderr}")
    return out / "workload.json"


def main(argv=None) -> int:
    import onnx

    from accelsim.convert.mlp_onnx import mlp_from_workload, mlp_to_onnx
    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.engine.ann import run_ann
    from accelsim.engine.functional import simulate
    from accelsim.workload import load_workload

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=str(ROOT / "docs" / "img" / "digits_balance_vs_t.png"))
    ap.add_argument("--onnx", default=None, help="also keep the exported ONNX model here")
    args = ap.parse_args(argv)

    shipped = load_workload(ROOT / "workloads" / "digits" / "workload.json")
    model = mlp_to_onnx(*mlp_from_workload(shipped), input_shape=(1, 8, 8))
    x_tr, x_te, y_tr, y_te = digits_split()
    ann_pred = run_ann(read_onnx(model).builder.graph(), x_te).argmax(1)
    ann_acc = float(np.mean(ann_pred == y_te))

    acc: dict[str, dict[int, float]] = {}
    agree: dict[str, float] = {}
    spikes: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        onnx_path = Path(args.onnx) if args.onnx else tmp / "digits.onnx"
        onnx_path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(model, onnx_path)
        np.savez(tmp / "calib.npz", x=x_tr)
        np.savez(tmp / "test.npz", x=x_te, y=y_te)
        for method, extra in METHODS:
            acc[method] = {}
            # max and percentile do not depend on T: one run at T = 256 gives every T (steps are causal);
            # ratenorm "auto" chooses p for the T it is converted for, so it is converted once per T
            for T in (TS if method == "ratenorm" else (TS[-1],)):
                g = load_workload(convert(onnx_path, tmp / "calib.npz", tmp / "test.npz", tmp / f"{method}{T}", T,
                                          method, extra))
                tr = simulate(g, g.samples)
                by_t = tr.accuracy_by_step
                if method == "ratenorm":
                    acc[method][T] = by_t[-1]
                else:
                    acc[method] = {t: by_t[t - 1] for t in TS}
                if T == TS[-1]:
                    agree[method] = float(np.mean(tr.predictions == ann_pred))
                if T == 32 or (method != "ratenorm" and T == TS[-1]):
                    per_t = np.sum([c.spikes_out for c in tr.counts], axis=0) / tr.samples
                    spikes[method] = float(np.sum(per_t[:32]))

    head = "| balancing | " + " | ".join(f"T={t}" for t in TS) + " | agree@256 | spikes@32 |"
    print(f"ANN (ReLU) test accuracy: {100 * ann_acc:.1f} %  (digits MLP 64-64-32-10, 360 test digits)\n")
    print(head)
    print("|" + "---|" * (len(TS) + 3))
    names = {"max": "max", "percentile": "percentile 99.9", "ratenorm": "ratenorm (p auto)"}
    for method, _ in METHODS:
        row = " | ".join(f"{100 * acc[method][t]:.1f}" for t in TS)
        print(f"| {names[method]} | {row} | {100 * agree[method]:.1f} | {spikes[method]:.0f} |")
    print("\n" + json.dumps({"ann": ann_acc, "accuracy": acc, "agreement_at_256": agree, "spikes_32": spikes}))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.2), dpi=100)
    for method, _ in METHODS:
        ax.plot(TS, [100 * acc[method][t] for t in TS], marker="o", ms=3, label=names[method])
    ax.axhline(100 * ann_acc, color="grey", ls="--", lw=1, label="ANN")
    ax.set_xscale("log", base=2)
    ax.set_xticks(TS, [str(t) for t in TS])
    ax.set_xlabel("time steps T")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("digits MLP: ONNX -> SNN (IF, reset by subtraction)", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot)
    print(f"wrote {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
