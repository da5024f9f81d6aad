#!/usr/bin/env python
"""Make workloads/hsi_hybrid: a 3-D/2-D hybrid SNN shaped like ACE-SNN's HybridSN
variant, on hyperspectral patches.

SYNTHETIC by default: the real hyperspectral datasets cannot be downloaded here,
so the scene comes from accelsim.datasets.hsi.synthetic_scene (smooth class
spectra, regions, illumination, noise; 30 bands). Users who have the real files
can pass ``--mat Indian_pines_corrected.mat --gt Indian_pines_gt.mat`` (PCA to
``--bands`` bands, as ACE-SNN does).

Network (input [1, bands, 25, 25], ACE-SNN/HybridSN layer shapes):
  Conv3d 8@7x3x3 -> LIF -> Conv3d 16@5x3x3 -> LIF -> Conv3d 32@3x3x3 -> LIF
  -> Reshape to 2-D [32*(bands-12), 19, 19] -> Conv2d 64@3x3 -> LIF
  -> AvgPool 2x2 (ours: keeps the FC weights small enough to ship)
  -> Flatten -> FC 256 -> LIF -> FC 128 -> LIF -> FC classes (membrane readout)

Weights: the convolutions and the two hidden FC layers are random (He-normal,
fixed seed): a random-feature network, NOT trained end to end. Only the readout
layer is fitted (ridge regression on the ANN's FC-128 features of the training
patches). All weights are quantised to 6 bits (ACE-SNN's precision). Thresholds
are balanced from ANN activations (accelsim.convert.balance) at a percentile
chosen so that spike rates are realistic (5-30 %).

    python scripts/make_hsi_hybrid.py [--out workloads/hsi_hybrid]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from accelsim.convert.balance import Balance
from accelsim.convert.calibrate import calibrate_rates
from accelsim.datasets import hsi
from accelsim.engine.ann import run_ann
from accelsim.engine.functional import simulate
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples


def quantise(w: np.ndarray, bits: int) -> np.ndarray:
    """Symmetric per-tensor uniform quantisation to ``bits`` (incl. sign)."""
    levels = 2 ** (bits - 1) - 1
    scale = np.max(np.abs(w)) / levels if np.any(w) else 1.0
    return np.round(w / scale) * scale


def he(rng, shape, fan_in):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def build(bands: int, classes: int, timesteps: int, leak: float, bits: int, seed: int, w_out=None, b_out=None):
    rng = np.random.default_rng(seed)
    b = WorkloadBuilder("hsi_hybrid", input_shape=(1, bands, 25, 25), timesteps=timesteps, encoding="direct",
                        description="3-D/2-D hybrid SNN shaped like ACE-SNN's HybridSN network; SYNTHETIC data and "
                                    "random-feature weights (readout fitted), see README.md")
    h = b.input
    c_in = 1
    for i, (c_out, k) in enumerate(((8, (7, 3, 3)), (16, (5, 3, 3)), (32, (3, 3, 3))), start=1):
        w = quantise(he(rng, (c_out, c_in) + k, c_in * int(np.prod(k))), bits)
        h = b.neuron(f"lif{i}", b.conv(f"conv3d_{i}", h, w, np.zeros(c_out)), "LIF", leak=leak)
        c_in = c_out
    d = bands - 12
    h = b.reshape("to2d", h, [0, 32 * d, 19, 19])
    w = quantise(he(rng, (64, 32 * d, 3, 3), 32 * d * 9), bits)
    h = b.neuron("lif4", b.conv("conv2d_4", h, w, np.zeros(64)), "LIF", leak=leak)
    h = b.flatten("flatten", b.pool("pool", h, "avg", [2, 2], [2, 2]))
    for i, n_out, n_in in ((5, 256, 64 * 8 * 8), (6, 128, 256)):
        w = quantise(he(rng, (n_out, n_in), n_in), bits)
        h = b.neuron(f"lif{i}", b.gemm(f"fc{i}", h, w, np.zeros(n_out)), "LIF", leak=leak)
    if w_out is None:
        w_out, b_out = np.zeros((classes, 128)), np.zeros(classes)
    b.readout(b.gemm("fc7", h, quantise(w_out, bits), b_out))
    return b


def snn_features(b: WorkloadBuilder, x: np.ndarray) -> np.ndarray:
    """Spike counts of the last hidden layer (the readout layer's input) per sample, over T."""
    g = b.graph()
    feats = np.zeros((len(x), 128))

    def probe(layer, t, start, xin, yout):
        if layer.name == "fc7":
            feats[start:start + len(xin)] += xin.reshape(len(xin), -1)

    simulate(g, Samples(x, None, "train"), probes=[probe])
    return feats / g.timesteps


def fit_readout(f: np.ndarray, y: np.ndarray, classes: int, ridge: float = 1e-3):
    """Ridge regression from features (SNN firing rates) to one-hot labels."""
    f1 = np.hstack([f, np.ones((len(f), 1))])
    onehot = np.eye(classes)[y]
    sol = np.linalg.solve(f1.T @ f1 + ridge * len(f) * np.eye(f1.shape[1]), f1.T @ onehot)
    return sol[:-1].T.copy(), sol[-1].copy()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "workloads" / "hsi_hybrid"))
    ap.add_argument("--mat", help="real HSI cube .mat (optional)")
    ap.add_argument("--gt", help="its ground-truth .mat (with --mat)")
    ap.add_argument("--bands", type=int, default=30)
    ap.add_argument("--timesteps", type=int, default=5)
    ap.add_argument("--leak", type=float, default=0.95)
    ap.add_argument("--weight-bits", type=int, default=6)
    ap.add_argument("--rate", type=float, default=0.15, help="target spike rate per layer for calibration")
    ap.add_argument("--train-per-class", type=int, default=60)
    ap.add_argument("--test", type=int, default=24, help="labelled test patches shipped as samples")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if args.mat:
        cube, gt = hsi.load_mat_scene(args.mat, args.gt)
        cube = hsi.pca_reduce(cube, args.bands)
        source = f"{Path(args.mat).name} (PCA to {args.bands} bands)"
    else:
        cube, gt = hsi.synthetic_scene(bands=args.bands, seed=args.seed)
        source = "synthetic scene (accelsim.datasets.hsi.synthetic_scene, seed %d)" % args.seed
    labels = np.unique(gt[gt > 0])
    classes = int(labels.max())
    tr_idx, te_idx = hsi.split(gt, args.train_per_class, args.test, seed=args.seed)
    x_tr, y_tr = hsi.patches(cube, gt, 25, tr_idx), gt[tr_idx[:, 0], tr_idx[:, 1]] - 1
    x_te, y_te = hsi.patches(cube, gt, 25, te_idx), gt[te_idx[:, 0], te_idx[:, 1]] - 1

    b = build(args.bands, classes, args.timesteps, args.leak, args.weight_bits, args.seed)
    thresholds = calibrate_rates(b.graph(), x_tr[::4], args.rate)
    b.apply_balance(Balance(scale={}, thresholds=thresholds, bias_scale={}))
    w_out, b_out = fit_readout(snn_features(b, x_tr), y_tr, classes)
    b = build(args.bands, classes, args.timesteps, args.leak, args.weight_bits, args.seed, w_out, b_out)
    b.apply_balance(Balance(scale={}, thresholds=thresholds, bias_scale={}))
    ann_acc = float(np.mean(run_ann(b.graph(), x_te, mode="rate").argmax(1) == y_te))
    trace = simulate(b.graph(), Samples(x_te, y_te.astype(np.int64), "test"))
    rates = {l.name: float(c.spikes_out.sum() / (l.neurons * trace.timesteps * trace.samples))
             for l, c in zip(trace.layers, trace.counts) if l.spiking}
    meta = {
        "generator": "scripts/make_hsi_hybrid.py",
        "data": source,
        "synthetic": not bool(args.mat),
        "weights": "random He-normal features (seeded), readout fitted by ridge regression; all quantised to "
                   f"{args.weight_bits} bits",
        "conversion": f"LIF leak {args.leak}, reset by subtraction; per-layer thresholds calibrated in the SNN "
                      f"for a {args.rate:.0%} spike rate on training patches (accelsim.convert.calibrate)",
        "rate_model_test_accuracy": ann_acc,
        "snn_test_accuracy": trace.accuracy,
        "spike_rates": rates,
    }
    out = b.write(args.out, samples=(x_te.astype(np.float32), y_te.astype(np.int64)), compressed=True,
                  weight_bits=args.weight_bits, metadata=meta)
    print(json.dumps({"rate_model_test_accuracy": ann_acc, "snn_test_accuracy": trace.accuracy,
                      "snn_accuracy_by_timestep": trace.accuracy_by_step, "spike_rates": rates}, indent=1))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
