"""Build workloads in Python and write them as a folder (workload.json + .npz).

Used by the example generators, the tests and the importers::

    b = WorkloadBuilder("tiny", input_shape=(1, 8, 8), timesteps=4)
    h = b.conv("c1", b.input, w, bias, strides=[1, 1], pads=[1, 1, 1, 1])
    s = b.neuron("n1", h, "LIF", threshold=1.0, leak=0.9)
    y = b.gemm("fc", b.flatten("f", s), w2, trans_b=True)
    b.readout(y)
    b.write("workloads/tiny", samples=(x, labels))
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from accelsim.util.io import atomic_save_npz, atomic_write_text
from accelsim.workload.spec import FORMAT_NAME, FORMAT_VERSION


class WorkloadBuilder:
    def __init__(self, name: str, input_shape, timesteps: int, encoding: str = "direct", input_name: str = "input",
                 description: str = ""):
        self.doc: dict[str, Any] = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "name": name, "description": description,
            "timesteps": int(timesteps), "tensors": "tensors.npz",
            "inputs": [{"name": input_name, "shape": [int(d) for d in input_shape], "encoding": encoding}],
            "nodes": [], "outputs": [], "readout": None,
        }
        self.tensors: dict[str, np.ndarray] = {}
        self.input = input_name

    # -- generic ---------------------------------------------------------
    def tensor(self, name: str, value) -> str:
        self.tensors[name] = np.asarray(value)
        return name

    def node(self, name: str, op: str, inputs: list[str], attrs: Optional[dict] = None, output: Optional[str] = None) -> str:
        out = output or name
        self.doc["nodes"].append({"name": name, "op": op, "inputs": list(inputs), "outputs": [out], "attrs": dict(attrs or {})})
        return out

    # -- operators -------------------------------------------------------
    def conv(self, name, x, w, b=None, strides=None, pads=None, dilations=None, group=1) -> str:
        ins = [x, self.tensor(f"{name}.weight", w)]
        if b is not None:
            ins.append(self.tensor(f"{name}.bias", b))
        attrs: dict[str, Any] = {"group": int(group)}
        for key, val in (("strides", strides), ("pads", pads), ("dilations", dilations)):
            if val is not None:
                attrs[key] = [int(v) for v in val]
        return self.node(name, "Conv", ins, attrs)

    def gemm(self, name, x, w, b=None, trans_b=True) -> str:
        ins = [x, self.tensor(f"{name}.weight", w)]
        if b is not None:
            ins.append(self.tensor(f"{name}.bias", b))
        return self.node(name, "Gemm", ins, {"transB": int(trans_b)})

    def pool(self, name, x, kind: str, kernel, strides=None, pads=None) -> str:
        """A pooling node: ``kind`` ``avg`` (AveragePool), ``max`` (MaxPool) or ``spike`` (SpikeMaxPool)."""
        op = {"avg": "AveragePool", "max": "MaxPool", "spike": "SpikeMaxPool"}[kind]
        attrs: dict[str, Any] = {"kernel_shape": [int(k) for k in kernel]}
        if strides is not None:
            attrs["strides"] = [int(s) for s in strides]
        if pads is not None:
            attrs["pads"] = [int(p) for p in pads]
        return self.node(name, op, [x], attrs)

    def flatten(self, name, x) -> str:
        return self.node(name, "Flatten", [x], {"axis": 1})

    def reshape(self, name, x, shape) -> str:
        return self.node(name, "Reshape", [x], {"shape": [int(s) for s in shape]})

    def neuron(self, name, x, kind: str = "LIF", threshold=1.0, leak=1.0, reset: str = "subtract") -> str:
        attrs: dict[str, Any] = {"reset": reset}
        attrs["threshold"] = self._param(f"{name}.threshold", threshold)
        if kind == "LIF":
            attrs["leak"] = self._param(f"{name}.leak", leak)
        return self.node(name, kind, [x], attrs)

    def _param(self, name: str, value):
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 0:
            return float(arr)
        return self.tensor(name, arr)

    def readout(self, value: str, mode: str = "membrane") -> None:
        self.doc["outputs"] = [value]
        self.doc["readout"] = {"output": value, "mode": mode}

    # -- output ----------------------------------------------------------
    def spec(self) -> dict:
        return json.loads(json.dumps(self.doc))

    def graph(self):
        """The validated in-memory :class:`~accelsim.workload.graph.Graph` (no files written)."""
        from accelsim.workload.loader import build_graph
        from accelsim.workload.spec import WorkloadSpec

        tensors = {k: (v.astype(np.float64) if v.dtype.kind == "f" else v) for k, v in self.tensors.items()}
        return build_graph(WorkloadSpec.model_validate(self.spec()), tensors, f"<{self.doc['name']}>")

    def apply_balance(self, balance) -> None:
        """Write thresholds and bias scales of a :class:`accelsim.convert.balance.Balance`."""
        for nd in self.doc["nodes"]:
            if nd["name"] in balance.thresholds:
                thr = balance.thresholds[nd["name"]]
                ref = nd["attrs"].get("threshold")
                if isinstance(ref, str):
                    self.tensors[ref] = np.full_like(self.tensors[ref], thr, dtype=np.float64)
                else:
                    nd["attrs"]["threshold"] = float(thr)
            if nd["name"] in balance.bias_scale and len(nd["inputs"]) > 2:
                bname = nd["inputs"][2]
                self.tensors[bname] = self.tensors[bname] * balance.bias_scale[nd["name"]]

    def write(self, folder, samples: Optional[tuple[np.ndarray, Optional[np.ndarray]]] = None,
              compressed: bool = False, **extra) -> Path:
        """Write ``workload.json``, ``tensors.npz`` (and ``samples.npz``) into ``folder``."""
        folder = Path(folder)
        doc = dict(self.doc)
        doc.update(extra)
        if samples is not None:
            doc["samples"] = "samples.npz"
            x, y = samples
            arrays = {"x": np.asarray(x)}
            if y is not None:
                arrays["y"] = np.asarray(y, dtype=np.int64)
            atomic_save_npz(folder / "samples.npz", compressed=compressed, **arrays)
        atomic_save_npz(folder / "tensors.npz", compressed=compressed, **self.tensors)
        atomic_write_text(folder / "workload.json", json.dumps(doc, indent=2) + "\n")
        return folder / "workload.json"
