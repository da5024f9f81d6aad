#!/usr/bin/env python
"""Make an Aydin-shaped hybrid ANN-SNN workload: layer shapes whose dense MOps at 256x256
input are exactly those of Aydin et al. 2023's ANN (their public code, uzh-rpg/hybrid_ann_snn):
104.86, 838.86 x3, 603.98 x2, 6710.89 x3 (sum 23,962 MOps). Random weights (seeded): the
workload exists to reproduce their power accounting (docs/hybrid.md), not their accuracy.

ANN (ReLU between layers): Conv 2->32 5x5 @256; Conv 32->64, 64->128, 128->256 5x5 stride 2
(@128, 64, 32); two Conv 256->256 3x3 @32; decoder Conv 256->256 @64, 256->64 @128, 64->64
@256, all 5x5. The paper upsamples by 2 with bilinear interpolation before each decoder
conv; accelsim has no resize operator, so each decoder conv is given the padding that makes
its output the upsampled size (its dense MACs are the paper's; its values are not).
State initialiser: a 1x1 Conv 256->1325 on the first decoder output (64x64), 1389.4 MOps,
which their 2.155 mJ state-initialisation energy implies at their 1.5514 pJ per MAC
(2.155 mJ / 1.5514 pJ = 1389.1 MOps). It initialises the membrane of the SNN's one LIF
layer (Conv 2->1325 4x4 stride 4, 1325x64x64 neurons), read out by average pooling, a
Gemm and a leaky integrator (y = 0.8 y + out). T = 10 steps of 10 ms (SNN 100 Hz), K = 10
(ANN 10 Hz). No samples: run it with --inputs (it is large: 24 GMAC per ANN run).

    python scripts/make_aydin_shaped.py --out DIR
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

# (name, in, out, kernel, stride, pad, output size): dense MACs = out_size^2 * out * in * k^2
ANN_CONVS = [
    ("enc1", 2, 32, 5, 1, 2, 256),
    ("enc2", 32, 64, 5, 2, 2, 128),
    ("enc3", 64, 128, 5, 2, 2, 64),
    ("enc4", 128, 256, 5, 2, 2, 32),
    ("res1", 256, 256, 3, 1, 1, 32),
    ("res2", 256, 256, 3, 1, 1, 32),
    ("dec1", 256, 256, 5, 1, 18, 64),    # 32 -> 64: stands for bilinear x2 + conv
    ("dec2", 256, 64, 5, 1, 34, 128),    # 64 -> 128
    ("dec3", 64, 64, 5, 1, 66, 256),     # 128 -> 256
]
INIT_CHANNELS = 1325


def conv(name, x, w, out, k, s, p):
    return {"name": name, "op": "Conv", "inputs": [x, w], "outputs": [out],
            "attrs": {"kernel_shape": [k, k], "strides": [s, s], "pads": [p, p, p, p]}}


def build(out: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, np.ndarray] = {}
    nodes, x = [], "events"
    for name, cin, cout, k, s, p, _ in ANN_CONVS:
        tensors[f"W_{name}"] = (rng.standard_normal((cout, cin, k, k)) / np.sqrt(cin * k * k)).astype(np.float32)
        nodes.append(conv(name, x, f"W_{name}", f"a_{name}", k, s, p))
        nodes.append({"name": f"relu_{name}", "op": "Relu", "inputs": [f"a_{name}"], "outputs": [f"h_{name}"]})
        x = f"h_{name}"
    tensors["W_init"] = (rng.standard_normal((INIT_CHANNELS, 256, 1, 1)) / 16).astype(np.float32)
    nodes.append(conv("init", "h_dec1", "W_init", "v_init", 1, 1, 0))
    tensors["W_snn"] = (rng.standard_normal((INIT_CHANNELS, 2, 4, 4)) / 4).astype(np.float32)
    tensors["W_out"] = (rng.standard_normal((2, INIT_CHANNELS)) / 36).astype(np.float32)
    np.savez(out / "tensors.npz", **tensors)
    wl = {
        "format": "accelsim-workload", "version": 1, "name": "aydin_shaped", "timesteps": 10, "step_s": 0.01,
        "description": "Aydin et al. 2023-shaped hybrid ANN-SNN for their power accounting (random weights)",
        "inputs": [{"name": "events", "shape": [2, 256, 256], "encoding": "sequence"}],
        "nodes": [
            conv("snn1", "events", "W_snn", "i1", 4, 4, 0),
            {"name": "lif1", "op": "LIF", "inputs": ["i1"], "outputs": ["s1"],
             "attrs": {"leak": 2.0 / 3.0, "threshold": 1.0}},
            {"name": "pool", "op": "AveragePool", "inputs": ["s1"], "outputs": ["p1"],
             "attrs": {"kernel_shape": [64, 64], "strides": [64, 64]}},
            {"name": "flat", "op": "Flatten", "inputs": ["p1"], "outputs": ["f1"]},
            {"name": "fc", "op": "Gemm", "inputs": ["f1", "W_out"], "outputs": ["o"], "attrs": {"transB": 1}},
            {"name": "out", "op": "LI", "inputs": ["o"], "outputs": ["y"], "attrs": {"leak": 0.8}},
        ],
        "outputs": ["y"], "readout": {"output": "y"},
        "ann": {"every": 10, "accumulate": "sum", "nodes": nodes,
                "bindings": [{"value": "v_init", "neuron": "lif1", "state": "v"}], "initialisers": ["init"]},
        "metadata": {"source": "scripts/make_aydin_shaped.py", "mops_per_layer_at_256": "104.86, 838.86 x3, "
                     "603.98 x2, 6710.89 x3 (Aydin et al. 2023, uzh-rpg/hybrid_ann_snn)"},
    }
    path = out / "workload.json"
    path.write_text(json.dumps(wl, indent=1) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    print(build(ap.parse_args().out))


if __name__ == "__main__":
    main()
