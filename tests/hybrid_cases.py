"""The hand-worked hybrid ANN-SNN workload of tests/test_hybrid_handworked.py (and the
validation tests): a 2-layer SNN (Gemm 2->3, LIF; Gemm 3->2, LI readout) whose LIF
membrane is initialised by a 1-layer ANN (Gemm 2->3) every K = 3 steps, T = 7."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

K, T = 3, 7
W1 = np.array([[0.6, -0.2, 0.3], [0.1, 0.5, 0.4]])        # [in, out] (Gemm without transB)
W2 = np.array([[1.0, -0.5], [0.25, 0.75], [-0.5, 1.0]])
A = np.array([[0.4, 0.1, -0.3], [0.2, 0.3, 0.5]])         # the ANN initialiser
B_A = np.array([0.05, -0.1, 0.2])
LEAK, LEAK_OUT = 0.5, 0.8
X = np.array([                                            # [N=2, T=7, 2]: event counts per step
    [[1, 0], [2, 1], [0, 3], [1, 1], [0, 0], [2, 2], [1, 0]],
    [[0, 2], [1, 1], [3, 0], [0, 1], [2, 1], [0, 0], [1, 3]],
], dtype=np.float64)
Y = np.array([0, 1])


def workload(folder: Path, every: int = K, accumulate: str = "sum", window=None, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "tensors.npz", W1=W1, W2=W2, A=A, bA=B_A)
    np.savez(folder / "samples.npz", x=X, y=Y)
    wl = {
        "format": "accelsim-workload", "version": 1, "name": "hybrid_handworked", "timesteps": T,
        "inputs": [{"name": "x", "shape": [2], "encoding": "sequence"}],
        "nodes": [
            {"name": "fc1", "op": "Gemm", "inputs": ["x", "W1"], "outputs": ["i1"]},
            {"name": "lif1", "op": "LIF", "inputs": ["i1"], "outputs": ["s1"],
             "attrs": {"leak": LEAK, "threshold": 1.0, "reset": "subtract"}},
            {"name": "fc2", "op": "Gemm", "inputs": ["s1", "W2"], "outputs": ["i2"]},
            {"name": "out", "op": "LI", "inputs": ["i2"], "outputs": ["y"], "attrs": {"leak": LEAK_OUT}},
        ],
        "outputs": ["y"], "readout": {"output": "y"}, "samples": "samples.npz",
        "ann": {"every": every, "accumulate": accumulate,
                "nodes": [{"name": "init1", "op": "Gemm", "inputs": ["x", "A", "bA"], "outputs": ["v1_init"]}],
                "bindings": [{"value": "v1_init", "neuron": "lif1", "state": "v"}],
                "initialisers": ["init1"]},
    }
    if window is not None:
        wl["ann"]["window"] = window
    wl.update(extra)
    path = folder / "workload.json"
    path.write_text(json.dumps(wl, indent=1))
    return path


def reference(every: int = K, accumulate: str = "sum", window=None):
    """Numpy reference: membranes of lif1 and out after every step, spikes, ANN run steps."""
    N = X.shape[0]
    v1, v2 = np.zeros((N, 3)), np.zeros((N, 2))
    v1_steps, v2_steps, spikes, runs = [], [], [], []
    for t in range(T):
        if t % every == 0:
            lo = max(0, t - (window or every) + 1)
            frames = X[:, lo:t + 1]
            xin = {"sum": frames.sum(axis=1), "mean": frames.mean(axis=1), "last": X[:, t]}[accumulate]
            v1 = xin @ A + B_A          # overwrite before this step's SNN update
            runs.append(t)
        v1 = LEAK * v1 + X[:, t] @ W1
        s = (v1 >= 1.0).astype(float)
        v1 = v1 - s
        v2 = LEAK_OUT * v2 + s @ W2
        v1_steps.append(v1.copy())
        v2_steps.append(v2.copy())
        spikes.append(s)
    return np.array(v1_steps), np.array(v2_steps), np.array(spikes), runs
