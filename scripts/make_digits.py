#!/usr/bin/env python
"""Make workloads/digits: a small SNN converted from an ANN trained on scikit-learn's
bundled 8x8 digits.

1. Train an MLP (ReLU, 64-64-32-10) with scikit-learn on 80 % of the 1,797
   digits (pixels scaled to [0, 1]); stratified split, fixed seeds.
2. Convert: weights copied; IF neurons with reset by subtraction; thresholds
   balanced from the ANN's activations on the training set (99.9th percentile,
   accelsim.convert.balance); direct (analog) input at every time step; the
   output layer accumulates its membrane, class = argmax.
3. Write workload.json + tensors.npz + samples.npz (the 20 % test split, labelled)
   and print ANN and SNN test accuracy vs time steps.

    python scripts/make_digits.py [--out workloads/digits] [--timesteps 32]

Needs scikit-learn (pip install -e .[examples]).
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from accelsim.convert.balance import compute_balance
from accelsim.engine.ann import run_ann
from accelsim.engine.functional import simulate
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples


def load_split(seed: int = 0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float64)[:, None, :, :]  # [N, 1, 8, 8] in [0, 1]
    return train_test_split(x, d.target.astype(np.int64), test_size=0.2, stratify=d.target, random_state=seed)


def train_ann(x_tr, y_tr, hidden=(64, 32), seed: int = 0):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", alpha=1e-3, max_iter=600,
                        random_state=seed, tol=1e-6, n_iter_no_change=50)
    with warnings.catch_warnings():  # a fixed iteration budget is intended
        warnings.simplefilter("ignore")
        clf.fit(x_tr.reshape(len(x_tr), -1), y_tr)
    return clf


def build(clf, timesteps: int, name: str = "digits") -> WorkloadBuilder:
    b = WorkloadBuilder(name, input_shape=(1, 8, 8), timesteps=timesteps, encoding="direct",
                        description="IF-neuron SNN converted from an MLP trained on scikit-learn's 8x8 digits")
    h = b.flatten("flatten", b.input)
    n_layers = len(clf.coefs_)
    for i, (w, bias) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        fc = b.gemm(f"fc{i + 1}", h, w.T.copy(), bias.copy(), trans_b=True)  # Gemm weight [out, in]
        if i < n_layers - 1:
            h = b.neuron(f"if{i + 1}", fc, "IF", threshold=1.0, reset="subtract")
        else:
            b.readout(fc, mode="membrane")
    return b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "workloads" / "digits"))
    ap.add_argument("--timesteps", type=int, default=16)
    ap.add_argument("--percentile", type=float, default=99.9)
    args = ap.parse_args(argv)

    x_tr, x_te, y_tr, y_te = load_split()
    clf = train_ann(x_tr, y_tr)
    b = build(clf, args.timesteps)
    ann_acc = float(np.mean(run_ann(b.graph(), x_te).argmax(1) == y_te))
    bal = compute_balance(b.graph(), x_tr, method="percentile", percentile=args.percentile)
    b.apply_balance(bal)
    g = b.graph()
    trace = simulate(g, Samples(x_te, y_te, "test split"))
    snn_by_t = trace.accuracy_by_step
    meta = {
        "generator": "scripts/make_digits.py",
        "dataset": "sklearn.datasets.load_digits, 8x8, pixels / 16; stratified 80/20 split, random_state=0",
        "ann": "MLPClassifier(64-32 hidden, ReLU, alpha=1e-3, random_state=0)",
        "conversion": f"IF, reset by subtraction, thresholds balanced at the {args.percentile}th percentile "
                      "of ANN pre-activations on the training split (accelsim.convert.balance)",
        "ann_test_accuracy": ann_acc,
        "snn_test_accuracy": trace.accuracy,
        "activation_scale": bal.scale,
    }
    out = b.write(args.out, samples=(x_te, y_te), metadata=meta)
    print(json.dumps({"ann_test_accuracy": ann_acc, "snn_test_accuracy": trace.accuracy,
                      "snn_accuracy_by_timestep": {t + 1: round(a, 4) for t, a in enumerate(snn_by_t)
                                                   if (t + 1) in (1, 2, 4, 8, 16, 32, 64, 128, 256)}}, indent=1))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
