#!/usr/bin/env python
"""Make workloads/hybrid_events: a small hybrid ANN-SNN on a synthetic event stream.

The data are synthetic (made here, seeded): a dot moves one pixel per step in one of
four directions (the class: right, left, down, up) on an 8x8 torus; at every step it
emits an ON event (polarity 0) where it is, with probability 0.5, and an OFF event
(polarity 1) where it was, with probability 0.5; every pixel and polarity also fires
a noise event with probability 0.01. Input: [2, 8, 8] event counts per step, T = 20
steps of 10 ms (SNN 100 Hz). The direction is in the ON/OFF pairs: a single frame
rarely holds one, a window of frames does.

Networks (trained with scikit-learn, fixed seeds):

* ANN: MLP 128-64-4 (ReLU) on frames summed over windows of 1..10 steps;
* SNN: MLP 128-64-4 trained on single frames, converted: Gemm + LIF hidden layer
  (leak 0.9, threshold from the 99th percentile of the hidden activations), Gemm +
  leaky-integrator readout y = 0.8 y + out (Aydin et al.);
* hybrid (workload.json): the ANN every K = 10 steps (10 Hz) on the frames since its
  last run; its logits overwrite the readout state (y starts from the ANN's
  prediction and decays) and a state initialiser (Gemm 64 -> 64, ridge regression of
  the SNN's hidden membrane on the ANN's hidden features) overwrites the hidden LIF
  membranes;
* snn_only.json: the SNN alone; ann_only.json: the ANN at every step (K = 1) on the
  last 10 frames, its logits held by the readout (the SNN reduced to a zero-weight
  stub layer and a readout with gain 0: compare its ANN energy, not its total).

The class is the argmax of the readout summed over the T steps.

    python scripts/make_hybrid_events.py [--out workloads/hybrid_events]

Needs scikit-learn.
"""
from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np

T, K, SIDE = 20, 10, 8
DIRS = np.array([[0, 1], [0, -1], [1, 0], [-1, 0]])  # (dy, dx): right, left, down, up
P_EVENT, P_NOISE = 0.5, 0.01
LEAK, LEAK_OUT = 0.9, 0.8
ANN_HIDDEN = 64


def make_events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = (rng.random((n, T, 2, SIDE, SIDE)) < P_NOISE).astype(np.uint8)
    pos = rng.integers(0, SIDE, (n, 2))
    idx = np.arange(n)
    for t in range(T):
        prev = pos
        pos = (pos + DIRS[y]) % SIDE
        on = rng.random(n) < P_EVENT
        off = rng.random(n) < P_EVENT
        x[idx[on], t, 0, pos[on, 0], pos[on, 1]] = 1
        x[idx[off], t, 1, prev[off, 0], prev[off, 1]] = 1
    return x, y


def windows(x: np.ndarray, rng) -> np.ndarray:
    """Frames summed over a random window of 1..K steps ending at a random step, per sample."""
    n = x.shape[0]
    end = rng.integers(0, T, n)
    length = rng.integers(1, K + 1, n)
    out = np.zeros((n,) + x.shape[2:])
    for i in range(n):
        lo = max(0, end[i] - length[i] + 1)
        out[i] = x[i, lo:end[i] + 1].sum(axis=0)
    return out.reshape(n, -1)


def mlp(inputs, labels, seed, hidden=64):
    from sklearn.neural_network import MLPClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier((hidden,), alpha=1e-3, max_iter=60, random_state=seed).fit(inputs, labels)


def snn_hidden(x: np.ndarray, w1, b1, thr) -> tuple[np.ndarray, np.ndarray]:
    """The SNN's hidden LIF layer (reference): membranes after every step and spikes, [N, T, 64]."""
    n = x.shape[0]
    v = np.zeros((n, w1.shape[1]))
    vs, ss = np.zeros((n, T, w1.shape[1])), np.zeros((n, T, w1.shape[1]))
    for t in range(T):
        v = LEAK * v + x[:, t].reshape(n, -1) @ w1 + b1
        s = (v >= thr).astype(float)
        v = v - thr * s
        vs[:, t], ss[:, t] = v, s
    return vs, ss


def build(out: Path) -> dict:
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(1)
    x_tr, y_tr = make_events(2000, seed=2)
    x_te, y_te = make_events(300, seed=3)
    ann = mlp(np.concatenate([windows(x_tr, rng) for _ in range(3)]), np.tile(y_tr, 3), seed=0, hidden=ANN_HIDDEN)
    frames = x_tr[:, ::4].reshape(-1, 2 * SIDE * SIDE).astype(float)   # every 4th frame: 10,000 frames
    snn = mlp(frames, np.repeat(y_tr, T // 4), seed=0)
    w1, b1 = snn.coefs_[0], snn.intercepts_[0]
    thr = np.maximum(np.percentile(np.maximum(frames @ w1 + b1, 0), 99, axis=0), 1e-3)
    # state initialiser: the SNN's hidden membrane at the end of step K-1 from the ANN's hidden features
    # of the frames 0..K-1 (what the ANN at step K sees, up to one frame)
    vs, _ = snn_hidden(x_tr, w1, b1, thr)
    feats = np.maximum(x_tr[:, 1:K + 1].sum(axis=1).reshape(len(x_tr), -1) @ ann.coefs_[0] + ann.intercepts_[0], 0)
    ridge = Ridge(alpha=1.0).fit(feats, vs[:, K - 1])
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "tensors.npz",
             A1=ann.coefs_[0], a1=ann.intercepts_[0], A2=ann.coefs_[1], a2=ann.intercepts_[1],
             I1=ridge.coef_.T.copy(), c1=ridge.intercept_,
             W1=w1, b1=b1, thr1=thr, W2=snn.coefs_[1], b2=snn.intercepts_[1],
             Z=np.zeros((2 * SIDE * SIDE, 4)), gain0=np.zeros(4))
    np.savez_compressed(out / "samples.npz", x=x_te, y=y_te.astype(np.int64))
    for name, wl in variants().items():
        (out / name).write_text(json.dumps(wl, indent=1) + "\n")
    return {"ann_window_train_acc": float(ann.score(windows(x_tr, rng), y_tr)),
            "snn_frame_train_acc": float(snn.score(frames, np.repeat(y_tr, T // 4)))}


def base(name: str, description: str) -> dict:
    return {
        "format": "accelsim-workload", "version": 1, "name": name, "timesteps": T, "step_s": 0.01,
        "description": description, "weight_bits": None,
        "inputs": [{"name": "events", "shape": [2, SIDE, SIDE], "encoding": "sequence"}],
        "outputs": ["y"], "readout": {"output": "y"}, "samples": "samples.npz",
        "metadata": {"source": "scripts/make_hybrid_events.py", "data": "synthetic moving-dot event stream"},
    }


ANN_NODES = [
    {"name": "ann_flat", "op": "Flatten", "inputs": ["events"], "outputs": ["af"]},
    {"name": "ann_fc1", "op": "Gemm", "inputs": ["af", "A1", "a1"], "outputs": ["ah"]},
    {"name": "ann_relu", "op": "Relu", "inputs": ["ah"], "outputs": ["ar"]},
    {"name": "ann_fc2", "op": "Gemm", "inputs": ["ar", "A2", "a2"], "outputs": ["logits"]},
]
SNN_NODES = [
    {"name": "flat", "op": "Flatten", "inputs": ["events"], "outputs": ["f"]},
    {"name": "fc1", "op": "Gemm", "inputs": ["f", "W1", "b1"], "outputs": ["i1"]},
    {"name": "lif1", "op": "LIF", "inputs": ["i1"], "outputs": ["s1"],
     "attrs": {"leak": LEAK, "threshold": "thr1", "reset": "subtract"}},
    {"name": "fc2", "op": "Gemm", "inputs": ["s1", "W2", "b2"], "outputs": ["o"]},
    {"name": "out", "op": "LI", "inputs": ["o"], "outputs": ["y"], "attrs": {"leak": LEAK_OUT}},
]


def variants() -> dict[str, dict]:
    hybrid = base("hybrid_events", "hybrid ANN-SNN (K = 10) on a synthetic event stream")
    hybrid["nodes"] = SNN_NODES
    hybrid["ann"] = {"every": K, "accumulate": "sum",
                     "nodes": ANN_NODES + [{"name": "init1", "op": "Gemm", "inputs": ["ar", "I1", "c1"],
                                            "outputs": ["v1"]}],
                     "bindings": [{"value": "logits", "neuron": "out", "state": "v"},
                                  {"value": "v1", "neuron": "lif1", "state": "v"}],
                     "initialisers": ["init1"]}
    snn = base("hybrid_events_snn_only", "the SNN of hybrid_events alone")
    snn["nodes"] = SNN_NODES
    ann = base("hybrid_events_ann_only", "the ANN of hybrid_events at every step on the last 10 frames")
    ann["nodes"] = [
        {"name": "flat", "op": "Flatten", "inputs": ["events"], "outputs": ["f"]},
        {"name": "stub", "op": "Gemm", "inputs": ["f", "Z"], "outputs": ["o"]},
        {"name": "out", "op": "LI", "inputs": ["o"], "outputs": ["y"], "attrs": {"leak": 1.0, "gain": "gain0"}},
    ]
    ann["ann"] = {"every": 1, "window": K, "accumulate": "sum", "nodes": ANN_NODES,
                  "bindings": [{"value": "logits", "neuron": "out", "state": "v"}]}
    for wl in (hybrid, snn, ann):
        wl.pop("weight_bits")
    return {"workload.json": hybrid, "snn_only.json": snn, "ann_only.json": ann}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "workloads" / "hybrid_events")
    args = ap.parse_args()
    print(json.dumps(build(args.out), indent=1))
    from accelsim.engine.functional import simulate
    from accelsim.workload.loader import load_workload
    for name in ("ann_only.json", "workload.json", "snn_only.json"):
        g = load_workload(args.out / name)
        print(f"{name}: accuracy {simulate(g, g.samples).accuracy:.3f} (exact float64)")


if __name__ == "__main__":
    main()
