"""ONNX layers translated into workload ops while reading an ONNX graph: Conv,
Gemm and MatMul (as a Gemm with ``[out, in]`` weights), the activations Relu and
Clip, MaxPool, AveragePool, GlobalAveragePool and ReduceMean over the spatial axes,
Flatten and Reshape (a Reshape to [batch, features] is written as a Flatten, so the
two exporters' ways of flattening give one workload); ONNX's
``auto_pad`` SAME_UPPER/SAME_LOWER become explicit pads.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from accelsim.convert.onnx_reader import GraphValue
from accelsim.util.mathx import cdiv


class LayerTranslation:
    """The reader's handlers of ONNX layers (mixed into the ONNX reader)."""

    def op_Conv(self, nd, idx):
        x = self.value(nd, idx, 0)
        w = self.const(nd, idx, 1).astype(np.float64)
        b = self.const(nd, idx, 2).astype(np.float64) if len(nd.input) > 2 and nd.input[2] else None
        at = self.attrs(nd)
        attrs = {"group": int(at.get("group", 1))}
        for key in ("strides", "pads", "dilations"):
            if key in at:
                attrs[key] = [int(v) for v in at[key]]
        pad = at.get("auto_pad", b"NOTSET")
        pad = pad.decode() if isinstance(pad, bytes) else pad
        if pad in ("SAME_UPPER", "SAME_LOWER"):
            attrs["pads"] = _same_pads(x.shape[1:], w.shape[2:], attrs.get("strides"), attrs.get("dilations"), pad)
        elif pad not in ("NOTSET", "VALID"):
            raise self.bad(nd, idx, "auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER", pad)
        name = self.unique(nd.name or nd.output[0] or f"conv{idx}")
        ins = [x.name, self.b.tensor(f"{name}.weight", w)]
        if b is not None:
            ins.append(self.b.tensor(f"{name}.bias", b))
        out = self.emit(nd, idx, "Conv", name, ins, attrs)
        self.synaptic[out.name] = self.b.doc["nodes"][-1]
        self.env[nd.output[0]] = out

    def _dense(self, nd, idx, w: np.ndarray, bias: Optional[np.ndarray]) -> None:
        x = self.value(nd, idx, 0)
        if len(x.shape) != 1:
            raise self.bad(nd, idx, f"the input must be [batch, features] (flatten first); its per-sample shape is "
                                    f"{list(x.shape)}")
        name = self.unique(nd.name or nd.output[0] or f"fc{idx}")
        ins = [x.name, self.b.tensor(f"{name}.weight", w)]
        if bias is not None:
            ins.append(self.b.tensor(f"{name}.bias", bias))
        out = self.emit(nd, idx, "Gemm", name, ins, {"transB": 1})
        self.synaptic[out.name] = self.b.doc["nodes"][-1]
        self.env[nd.output[0]] = out

    def op_Gemm(self, nd, idx):
        at = self.attrs(nd)
        if at.get("transA", 0):
            raise self.bad(nd, idx, "transA = 1 is not supported (the input must be [batch, features])", 1)
        w = self.const(nd, idx, 1).astype(np.float64)
        if w.ndim != 2:
            raise self.bad(nd, idx, f"the weight must be 2-D, got shape {list(w.shape)}")
        w = (w if at.get("transB", 0) else w.T) * float(at.get("alpha", 1.0))  # -> [out, in]
        bias = None
        if len(nd.input) > 2 and nd.input[2]:
            c = self.const(nd, idx, 2).astype(np.float64) * float(at.get("beta", 1.0))
            try:
                bias = np.broadcast_to(c.reshape(-1) if c.ndim == 2 and c.shape[0] == 1 else c, (w.shape[0],)).copy()
            except ValueError:
                raise self.bad(nd, idx, f"bias of shape {list(c.shape)} does not broadcast to [{w.shape[0]}]") from None
        self._dense(nd, idx, np.ascontiguousarray(w), bias)

    def op_MatMul(self, nd, idx):
        w = self.const(nd, idx, 1).astype(np.float64)
        if w.ndim != 2:
            raise self.bad(nd, idx, f"MatMul needs a 2-D constant right operand [K, M], got shape {list(w.shape)}")
        self._dense(nd, idx, np.ascontiguousarray(w.T), None)

    def op_Relu(self, nd, idx):
        x = self.value(nd, idx, 0)
        self.env[nd.output[0]] = self.emit(nd, idx, "Relu", self.unique(nd.name or nd.output[0]), [x.name], {})

    def op_Clip(self, nd, idx):
        x = self.value(nd, idx, 0)
        at = self.attrs(nd)
        lo = self.const(nd, idx, 1) if len(nd.input) > 1 and nd.input[1] else at.get("min", None)
        hi = self.const(nd, idx, 2) if len(nd.input) > 2 and nd.input[2] else at.get("max", None)
        if lo is None or float(np.asarray(lo)) != 0.0 or hi is None:
            raise self.bad(nd, idx, "Clip is converted as a ReLU with a ceiling: it needs min = 0 and a constant max",
                           [None if lo is None else float(np.asarray(lo)), None if hi is None else float(np.asarray(hi))])
        name = self.unique(nd.name or nd.output[0])
        self.env[nd.output[0]] = self.emit(nd, idx, "Clip", name, [x.name], {"min": 0.0, "max": float(np.asarray(hi))})

    def _pool(self, nd, idx, op: str):
        x = self.value(nd, idx, 0)
        at = self.attrs(nd)
        if at.get("ceil_mode", 0):
            raise self.bad(nd, idx, "ceil_mode = 1 is not supported; export with ceil_mode=False", 1)
        if any(d != 1 for d in at.get("dilations", [])):
            raise self.bad(nd, idx, "pooling dilations other than 1 are not supported", list(at["dilations"]))
        if len(nd.output) > 1 and nd.output[1] and self.uses.get(nd.output[1]):
            raise self.bad(nd, idx, "the MaxPool indices output is not supported")
        attrs: dict[str, Any] = {"kernel_shape": [int(k) for k in at["kernel_shape"]]}
        for key in ("strides", "pads"):
            if key in at:
                attrs[key] = [int(v) for v in at[key]]
        pad = at.get("auto_pad", b"NOTSET")
        pad = pad.decode() if isinstance(pad, bytes) else pad
        if pad in ("SAME_UPPER", "SAME_LOWER"):
            attrs["pads"] = _same_pads(x.shape[1:], attrs["kernel_shape"], attrs.get("strides"), None, pad)
        elif pad not in ("NOTSET", "VALID"):
            raise self.bad(nd, idx, "auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER", pad)
        if op == "AveragePool":
            attrs["count_include_pad"] = int(at.get("count_include_pad", 0))
        self.env[nd.output[0]] = self.emit(nd, idx, op, self.unique(nd.name or nd.output[0]), [x.name], attrs)

    def op_MaxPool(self, nd, idx):
        self._pool(nd, idx, "MaxPool")

    def op_AveragePool(self, nd, idx):
        self._pool(nd, idx, "AveragePool")

    def op_GlobalAveragePool(self, nd, idx):
        x = self.value(nd, idx, 0)
        if len(x.shape) < 2:
            raise self.bad(nd, idx, f"needs [C, *spatial] input, got {list(x.shape)}")
        self.env[nd.output[0]] = self._global_average(nd, idx, x)

    def _global_average(self, nd, idx, x: GraphValue) -> GraphValue:
        """An AveragePool of ``x`` over its whole spatial extent (global average pooling)."""
        attrs = {"kernel_shape": [int(d) for d in x.shape[1:]]}
        return self.emit(nd, idx, "AveragePool", self.unique(nd.name or nd.output[0]), [x.name], attrs)

    def op_ReduceMean(self, nd, idx):
        """A mean over all spatial axes (global average pooling, as torch's dynamo exporter writes
        ``AdaptiveAvgPool2d(1)``): an AveragePool over the whole extent (then a Flatten if
        ``keepdims = 0``). Axes come from the attribute (opset < 18) or the second input."""
        x = self.value(nd, idx, 0)
        at = self.attrs(nd)
        axes = self.const(nd, idx, 1) if len(nd.input) > 1 and nd.input[1] else at.get("axes", None)
        rank = len(x.shape) + 1
        spatial = set(range(2, rank))
        given = None if axes is None else [int(a) for a in np.asarray(axes).reshape(-1)]
        if given is None or {a % rank for a in given} != spatial or not spatial:
            raise self.bad(nd, idx, f"only a mean over all spatial axes {sorted(spatial)} (global average pooling) is "
                                    "supported", given)
        out = self._global_average(nd, idx, x)
        if not int(at.get("keepdims", 1)):
            out = self.emit(nd, idx, "Flatten", self.unique(f"{out.name}.flatten"), [out.name], {"axis": 1})
        self.env[nd.output[0]] = out

    def op_Flatten(self, nd, idx):
        x = self.value(nd, idx, 0)
        axis = int(self.attrs(nd).get("axis", 1))
        if axis < 0:
            axis += len(x.shape) + 1
        if axis != 1:
            raise self.bad(nd, idx, "only Flatten with axis = 1 (keep the batch, flatten the rest) is supported", axis)
        self.env[nd.output[0]] = self.emit(nd, idx, "Flatten", self.unique(nd.name or nd.output[0]), [x.name], {"axis": 1})

    def op_Reshape(self, nd, idx):
        x = self.value(nd, idx, 0)
        tgt = self.env[nd.input[1]] if len(nd.input) > 1 else None
        if tgt is None or isinstance(tgt, GraphValue):
            raise self.bad(nd, idx, "dynamic shapes are not supported: the Reshape target must be constant "
                                    "(an initializer or a foldable Shape/Gather/Concat chain)")
        tgt = [int(v) for v in np.asarray(tgt).reshape(-1)]
        if self.attrs(nd).get("allowzero", 0) and 0 in tgt:
            # allowzero only changes what a 0 in the target means (an empty dimension, not a copy)
            raise self.bad(nd, idx, "allowzero = 1 with a 0 in the target shape (an empty dimension) is not supported; "
                                    "allowzero = 1 is accepted when the target has no zeros", tgt)
        # to [batch, features] it is a Flatten however it was written (nothing at all if already flat)
        flat = len(self.infer(nd, idx, "Reshape", [x.name], {"shape": tgt})) == 1
        if flat and len(x.shape) == 1:
            self.env[nd.output[0]] = x
            return
        op, attrs = ("Flatten", {"axis": 1}) if flat else ("Reshape", {"shape": tgt})
        self.env[nd.output[0]] = self.emit(nd, idx, op, self.unique(nd.name or nd.output[0]), [x.name], attrs)


def _same_pads(spatial, kernel, strides, dilations, mode: str) -> list[int]:
    nd = len(spatial)
    strides = strides or [1] * nd
    dilations = dilations or [1] * nd
    begin, end = [], []
    for i in range(nd):
        out = cdiv(spatial[i], strides[i])
        total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i])
        small, big = total // 2, total - total // 2
        begin.append(small if mode == "SAME_UPPER" else big)
        end.append(big if mode == "SAME_UPPER" else small)
    return begin + end
