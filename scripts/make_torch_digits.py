#!/usr/bin/env python
"""Make tests/data/torch_digits: two small CNNs trained in PyTorch on scikit-learn's
bundled 8x8 digits, exported to ONNX by both of PyTorch's exporters, with their
calibration and test samples. CI converts these files without torch.

Models (input [1, 8, 8], pixels / 16 in [0, 1]):

* ``cnn``: Conv(1->8, 3x3) - BatchNorm - ReLU - MaxPool(2) - Conv(8->16, 3x3) -
  BatchNorm - ReLU - AvgPool(2) - Flatten - Dropout(0.2) - Linear(64->32) - ReLU -
  Linear(32->10);
* ``resnet``: Conv(1->8) - BatchNorm - ReLU; a residual block (Conv-BN-ReLU-Conv-BN,
  + identity, ReLU); MaxPool(2); a residual block to 16 channels (1x1 Conv-BN
  shortcut); global average pooling - Flatten - Dropout(0.2) - Linear(16->10).

Training: the stratified 80/20 split of ``sklearn.datasets.load_digits``
(``random_state=0``: 1,437 training and 360 test digits, the split of
``workloads/digits``), Adam (lr 3e-3, weight decay 1e-4), batch 64, 60 epochs,
``torch.manual_seed(0)``, one CPU thread.

Written (each model ``M``):

* ``M_classic.onnx``: ``torch.onnx.export(..., dynamo=False, opset_version=17)``
  (TorchScript exporter; constant folding on, so BatchNorm is folded by torch);
* ``M_dynamo.onnx`` + ``M_dynamo.onnx.data``: ``torch.onnx.export(..., dynamo=True,
  opset_version=18)`` (torch's default exporter, at the opset of its function library
  (torch 2.13 writes opset 20 when none is given); the weights in an external data file,
  ``Reshape`` with ``allowzero = 1``, BatchNormalization kept);
* ``calib.npz``: the training digits ``x`` [1437, 1, 8, 8] float32 with labels ``y``;
* ``test.npz``: the test digits ``x`` [360, 1, 8, 8] float32 with labels ``y``;
* ``models.json``: per model the torch test accuracy, the ONNX op types of each
  export, and the versions used.

    python scripts/make_torch_digits.py [--out tests/data/torch_digits] [--epochs 60]

Needs torch 2.13.0 (CPU), onnxscript (the dynamo exporter), onnx and scikit-learn,
in a private venv: ``python -m venv --system-site-packages V && V/bin/pip install
torch==2.13.0 onnxscript``.
"""
from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def digits_split():
    """(x_tr, x_te, y_tr, y_te): the digits scaled to [0, 1] as [N, 1, 8, 8] float32, stratified 80/20."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    return train_test_split(x, d.target.astype(np.int64), test_size=0.2, stratify=d.target, random_state=0)


def make_models(torch):
    nn = torch.nn

    def cbr(cin, cout, k=3):
        return [nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU()]

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*cbr(1, 8), nn.MaxPool2d(2), *cbr(8, 16), nn.AvgPool2d(2))
            self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

        def forward(self, x):
            x = self.features(x)
            return self.head(x.reshape(x.size(0), -1))

    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout)
            self.c2, self.b2 = nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout)
            self.short = None if cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
            return torch.relu(y + (x if self.short is None else self.short(x)))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(*cbr(1, 8))
            self.block1, self.pool, self.block2 = Block(8, 8), nn.MaxPool2d(2), Block(8, 16)
            self.gap, self.drop, self.fc = nn.AdaptiveAvgPool2d(1), nn.Dropout(0.2), nn.Linear(16, 10)

        def forward(self, x):
            x = self.block2(self.pool(self.block1(self.stem(x))))
            return self.fc(self.drop(torch.flatten(self.gap(x), 1)))

    return {"cnn": CNN, "resnet": ResNet}


def train(torch, net, x_tr, y_tr, epochs: int, seed: int = 0):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    x, y = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(x), generator=gen).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    net.eval()
    return net


def export(torch, net, out: Path, name: str) -> dict[str, list[str]]:
    import onnx

    x = torch.rand(1, 1, 8, 8)
    classic, dynamo = out / f"{name}_classic.onnx", out / f"{name}_dynamo.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), str(classic), dynamo=False, opset_version=17, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        for old in (dynamo, dynamo.with_name(dynamo.name + ".data")):
            old.unlink(missing_ok=True)
        torch.onnx.export(net, (x,), str(dynamo), dynamo=True, opset_version=18, external_data=True, input_names=["x"],
                          output_names=["y"], dynamic_shapes=({0: torch.export.Dim("N")},))
    ops = {}
    for path in (classic, dynamo):
        m = onnx.load(str(path))
        onnx.checker.check_model(str(path))
        ops[path.name] = {"opset": int(next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))),
                          "ops": sorted({n.op_type for n in m.graph.node})}
    return ops


def main(argv=None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "torch_digits"))
    ap.add_argument("--epochs", type=int, default=60)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    x_tr, x_te, y_tr, y_te = digits_split()
    np.savez_compressed(out / "calib.npz", x=x_tr, y=y_tr)
    np.savez_compressed(out / "test.npz", x=x_te, y=y_te)
    info = {"torch": torch.__version__, "split": "load_digits, test_size=0.2, stratified, random_state=0",
            "epochs": args.epochs, "models": {}}
    for name, cls in make_models(torch).items():
        torch.manual_seed(0)
        net = train(torch, cls(), x_tr, y_tr, args.epochs)
        with torch.no_grad():
            acc = float((net(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean())
        info["models"][name] = {"torch_test_accuracy": acc, "parameters": sum(p.numel() for p in net.parameters()),
                                "exports": export(torch, net, out, name)}
        print(f"{name}: test accuracy {acc:.4f}")
    import onnx
    import onnxscript

    info["onnx"], info["onnxscript"] = onnx.__version__, onnxscript.__version__
    (out / "models.json").write_text(json.dumps(info, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
