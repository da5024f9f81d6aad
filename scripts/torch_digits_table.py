#!/usr/bin/env python
"""Accuracy vs time steps of the PyTorch digits CNNs (tests/data/torch_digits) converted
with every balancing and max-pooling mode, against the ANN.

For each model (``cnn``, ``resnet``; their dynamo exports), balancing (``max``,
``percentile`` 99.9, ``ratenorm`` with p ``auto``) and ``--maxpool`` mode (``spike``,
``or``, ``avg``): convert with IF neurons, reset by subtraction, ``v_init`` 1/2 (the
defaults) and calibration on the 1,437 training digits; run the SNN (functional
simulation, exact float64) on the 360 test digits and record the accuracy at
T = 8 ... 256. ``max`` and ``percentile`` do not depend on T, so one run at T = 256
gives every column (the simulation is causal); ``ratenorm auto`` picks p for its T
and is converted once per column. One more row per model shows the default with
``v_init`` 0. Then the default conversion on both shipped architectures (their
first-layer numerics: the PIM macro, or quantised MACs on the core).

Prints markdown tables and a JSON line, writes a figure.

    python scripts/torch_digits_table.py [--plot docs/img/torch_digits_vs_t.png]

Needs onnx (pip install -e .[onnx]); no torch.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "torch_digits"
TS = (8, 16, 32, 64, 128, 256)
BALANCES = ("max", "percentile", "ratenorm")
POOLS = ("spike", "or", "avg")
ARCHS = ("ace_snn_pim", "digital_only")


def accuracy_by_t(ann, calib, test, balance: str, maxpool: str, v_init: float = 0.5) -> dict[int, float]:
    from accelsim.convert.onnx_import import ConvertOptions, to_snn
    from accelsim.engine.functional import simulate
    from accelsim.workload.graph import Samples

    out = {}
    for T in (TS if balance == "ratenorm" else (TS[-1],)):
        b, _ = to_snn(ann, calib, ConvertOptions(timesteps=T, balance=balance, maxpool=maxpool, v_init=v_init))
        by_t = simulate(b.graph(), Samples(test[0], test[1], "test")).accuracy_by_step
        out.update({T: by_t[-1]} if balance == "ratenorm" else {t: by_t[t - 1] for t in TS})
    return out


def on_architectures(ann, calib, test) -> dict[str, dict[int, float]]:
    from accelsim.convert.onnx_import import ConvertOptions, to_snn
    from accelsim.simulate import functional_trace, prepare

    b, _ = to_snn(ann, calib, ConvertOptions(timesteps=TS[-1]))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        wl = b.write(Path(tmp) / "wl", samples=test)
        for arch in ARCHS:
            by_t = functional_trace(prepare(str(ROOT / "arch_configs" / f"{arch}.yaml"), str(wl))).accuracy_by_step
            out[arch] = {t: by_t[t - 1] for t in TS}
    return out


def plot(results: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(9.0, 3.4), dpi=100, sharey=True)
    colours = {"spike": "C0", "or": "C1", "avg": "C3"}
    styles = {"max": "-", "percentile": "--", "ratenorm": ":"}
    for ax, (name, res) in zip(axes, results.items()):
        for key, acc in res["modes"].items():
            bal, pool = key.split("/")
            ax.plot(TS, [100 * acc[t] for t in TS], color=colours[pool], ls=styles[bal], marker="o", ms=2.5,
                    label=f"{bal}, --maxpool {pool}")
        ax.axhline(100 * res["ann"], color="grey", ls="--", lw=1, label="ANN")
        ax.set_xscale("log", base=2)
        ax.set_xticks(TS, [str(t) for t in TS])
        ax.set_xlabel("time steps T")
        ax.set_title(f"{name} (ANN {100 * res['ann']:.1f} %)", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy (%)")
    axes[-1].legend(fontsize=6.5, loc="lower right", ncol=1)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def table(name: str, res: dict) -> str:
    lines = [f"{name}: ANN {100 * res['ann']:.1f} %", "",
             "| balancing | --maxpool | " + " | ".join(f"T={t}" for t in TS) + " |", "|" + "---|" * (len(TS) + 2)]
    for key, acc in {**res["modes"], "max/spike, v_init 0": res["v_init0"]}.items():
        bal, pool = key.split("/")
        lines.append(f"| {bal} | {pool} | " + " | ".join(f"{100 * acc[t]:.1f}" for t in TS) + " |")
    lines += ["", "| architecture (default conversion) | " + " | ".join(f"T={t}" for t in TS) + " |",
              "|" + "---|" * (len(TS) + 1)]
    for arch, acc in res["archs"].items():
        lines.append(f"| {arch} | " + " | ".join(f"{100 * acc[t]:.1f}" for t in TS) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.convert.onnx_import import load_xy
    from accelsim.engine.ann import run_ann

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=str(ROOT / "docs" / "img" / "torch_digits_vs_t.png"))
    args = ap.parse_args(argv)
    calib, _ = load_xy(DATA / "calib.npz", "calibration", (1, 8, 8))
    test = load_xy(DATA / "test.npz", "samples", (1, 8, 8))
    results = {}
    for name in ("cnn", "resnet"):
        ann = read_onnx(DATA / f"{name}_dynamo.onnx", name=name)
        res = {"ann": float(np.mean(run_ann(ann.builder.graph(), test[0]).argmax(1) == test[1])), "modes": {}}
        for bal in BALANCES:
            for pool in POOLS:
                res["modes"][f"{bal}/{pool}"] = accuracy_by_t(ann, calib, test, bal, pool)
                print(f"{name} {bal} {pool} done", file=sys.stderr, flush=True)
        res["v_init0"] = accuracy_by_t(ann, calib, test, "max", "spike", v_init=0.0)
        res["archs"] = on_architectures(ann, calib, test)
        results[name] = res
        print(table(name, res) + "\n")
    print(json.dumps(results))
    plot(results, args.plot)
    print(f"wrote {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
