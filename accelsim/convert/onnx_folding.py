"""Constant folding and pattern rewriting while reading an ONNX graph.

* Shape computations are evaluated on constants (the batch dimension reads
  as 1): ``Constant``, ``Shape``, ``Gather``, ``Unsqueeze``, ``Squeeze``,
  ``Concat``, ``Cast``, ``Slice``, so PyTorch's
  ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chain leaves a constant
  Reshape target;
* ``BatchNormalization`` is folded into the Conv/Gemm before it:
  W' = W * g / sqrt(var + eps) per output channel,
  b' = (b - mean) * g / sqrt(var + eps) + beta;
* ``Add`` of a constant right after a Conv/Gemm (``MatMul`` + ``Add``) is folded
  into its bias (other Adds are kept);
* ``Dropout`` and ``Identity`` are dropped (inference).
"""
from __future__ import annotations

import numpy as np

from accelsim.convert.onnx_reader import GraphValue


class ConstantFolding:
    """The reader's handlers of folded and dropped operators (mixed into the ONNX reader)."""

    def fold(self, nd, idx, fn) -> None:
        ins = [self.env[i] if i else None for i in nd.input]
        if any(isinstance(v, GraphValue) for v in ins):
            raise self.bad(nd, idx, f"{nd.op_type} on values computed at run time is not supported "
                                    "(only on constants, as in a folded shape computation)")
        self.env[nd.output[0]] = np.asarray(fn(ins, self.attrs(nd)))

    def op_Constant(self, nd, idx):
        from onnx import numpy_helper

        a = {x.name: x for x in nd.attribute}
        if "value" not in a:
            raise self.bad(nd, idx, "only Constant with a 'value' tensor is supported", sorted(a))
        self.env[nd.output[0]] = numpy_helper.to_array(a["value"].t)

    def op_Shape(self, nd, idx):
        v = self.env[nd.input[0]]
        shape = (1,) + v.shape if isinstance(v, GraphValue) else np.shape(v)  # the batch reads as 1
        at = self.attrs(nd)
        self.env[nd.output[0]] = np.asarray(shape, dtype=np.int64)[at.get("start", 0):at.get("end", None)]

    def op_Gather(self, nd, idx):
        self.fold(nd, idx, lambda ins, at: np.take(ins[0], ins[1].astype(np.int64), axis=at.get("axis", 0)))

    def op_Unsqueeze(self, nd, idx):
        def f(ins, at):
            axes = at.get("axes", None) if len(ins) < 2 or ins[1] is None else ins[1]
            x = ins[0]
            for ax in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
                x = np.expand_dims(x, ax)
            return x
        self.fold(nd, idx, f)

    def op_Squeeze(self, nd, idx):
        def f(ins, at):
            axes = at.get("axes", None) if len(ins) < 2 or ins[1] is None else ins[1]
            return np.squeeze(ins[0], axis=None if axes is None else tuple(int(a) for a in axes))
        self.fold(nd, idx, f)

    def op_Concat(self, nd, idx):
        self.fold(nd, idx, lambda ins, at: np.concatenate([np.atleast_1d(x) for x in ins], axis=at["axis"]))

    def op_Cast(self, nd, idx):
        from onnx import helper

        self.fold(nd, idx, lambda ins, at: ins[0].astype(helper.tensor_dtype_to_np_dtype(at["to"])))

    def op_Slice(self, nd, idx):
        def f(ins, at):
            x = ins[0]
            starts, ends = ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
            sl = [slice(None)] * x.ndim
            for s, e, a, st in zip(starts, ends, axes, steps):
                sl[int(a)] = slice(int(s), int(e), int(st))
            return x[tuple(sl)]
        self.fold(nd, idx, f)

    def op_Identity(self, nd, idx):
        self.env[nd.output[0]] = self.env[nd.input[0]]

    def op_Dropout(self, nd, idx):
        if len(nd.output) > 1 and nd.output[1] and self.uses.get(nd.output[1]):
            raise self.bad(nd, idx, "the Dropout mask output is used; only inference (no mask) is supported")
        self.env[nd.output[0]] = self.env[nd.input[0]]

    def op_BatchNormalization(self, nd, idx):
        x = self.value(nd, idx, 0)
        node = self.synaptic.get(x.name)
        if node is None or self.uses.get(nd.input[0], 0) != 1:
            raise self.bad(nd, idx, "BatchNormalization must directly follow a Conv or Gemm whose output only it uses "
                                    "(it is folded into that layer's weights)")
        at = self.attrs(nd)
        if at.get("training_mode", 0):
            raise self.bad(nd, idx, "training_mode = 1 is not supported", 1)
        gamma, beta, mean, var = (self.const(nd, idx, j).astype(np.float64).reshape(-1) for j in range(1, 5))
        k = gamma / np.sqrt(var + float(at.get("epsilon", 1e-5)))
        wname = node["inputs"][1]
        w = self.b.tensors[wname]
        if k.shape[0] != w.shape[0]:
            raise self.bad(nd, idx, f"{k.shape[0]} channels, but the layer before has {w.shape[0]} outputs")
        self.b.tensors[wname] = w * k.reshape((-1,) + (1,) * (w.ndim - 1))
        self._set_bias(node, (self._bias(node) - mean) * k + beta)
        self.env[nd.output[0]] = x

    def _bias(self, node: dict) -> np.ndarray:
        if len(node["inputs"]) > 2:
            return self.b.tensors[node["inputs"][2]]
        return np.zeros(self.b.tensors[node["inputs"][1]].shape[0])

    def _set_bias(self, node: dict, bias: np.ndarray) -> None:
        if len(node["inputs"]) > 2:
            self.b.tensors[node["inputs"][2]] = bias
        else:
            node["inputs"].append(self.b.tensor(f"{node['name']}.bias", bias))

    def op_Add(self, nd, idx):
        a, c = self.env[nd.input[0]], self.env[nd.input[1]]
        if isinstance(c, GraphValue) and not isinstance(a, GraphValue):
            a, c = c, a
        if not isinstance(a, GraphValue):
            self.fold(nd, idx, lambda ins, at: ins[0] + ins[1])
            return
        if isinstance(c, GraphValue):
            name = self.unique(nd.name or nd.output[0])
            self.env[nd.output[0]] = self.emit(nd, idx, "Add", name, [a.name, c.name], {})
            return
        c = np.asarray(c, dtype=np.float64)
        node = self.synaptic.get(a.name)
        src = nd.input[0] if isinstance(self.env[nd.input[0]], GraphValue) else nd.input[1]
        m = a.shape[0]
        per_channel = c.size == 1 or (c.size == m and (c.ndim == 1 and len(a.shape) == 1
                                                       or c.shape[-len(a.shape):] == (m,) + (1,) * (len(a.shape) - 1)))
        if node is not None and self.uses.get(src, 0) == 1 and per_channel:
            self._set_bias(node, self._bias(node) + np.broadcast_to(c.reshape(-1), (m,)))  # MatMul + Add -> Gemm
            self.env[nd.output[0]] = a
            return
        if c.ndim > len(a.shape):  # drop a leading batch axis of size 1
            c = c.reshape(c.shape[c.ndim - len(a.shape):]) if all(d == 1 for d in c.shape[:c.ndim - len(a.shape)]) else c
        name = self.unique(nd.name or nd.output[0])
        self.env[nd.output[0]] = self.emit(nd, idx, "Add", name, [a.name, self.b.tensor(f"{name}.addend", c)], {})
