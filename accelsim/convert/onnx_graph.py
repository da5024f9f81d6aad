"""Read an ONNX model into an accelsim ANN graph (step 1 of ``accelsim convert``).

The result is a :class:`~accelsim.workload.builder.WorkloadBuilder` holding the
same network in the workload format, activations kept as ``Relu``/``Clip``
nodes, so it runs in accelsim's engine and can be compared with
``onnx.reference.ReferenceEvaluator``. :mod:`accelsim.convert.onnx_import` then
turns it into an SNN.

What happens to each ONNX operator:

* ``Conv`` (1-D/2-D/3-D), ``Gemm``, ``MatMul`` (constant right operand, written
  as a Gemm), ``AveragePool``, ``MaxPool``, ``Flatten``, ``Add``: kept;
* ``GlobalAveragePool``: an ``AveragePool`` over the whole spatial extent;
* ``Relu``, ``Clip`` (lower bound 0, constant upper bound): kept as activations;
* ``BatchNormalization``: folded into the Conv/Gemm before it
  (W' = W * g / sqrt(var + eps) per output channel, b' = (b - mean) * g / sqrt(var + eps) + beta);
* ``Add`` of a constant right after a Conv/Gemm (``MatMul`` + ``Add``): folded into its bias;
* ``Dropout``, ``Identity``: dropped (inference);
* ``Reshape``: its target shape must be constant; PyTorch's
  ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chain is folded, with
  ``Constant``, ``Shape``, ``Gather``, ``Unsqueeze``, ``Squeeze``, ``Concat``,
  ``Cast`` and ``Slice`` evaluated on constants (the batch dimension reads as 1);
* anything else: an :class:`InputError` naming the node and its op.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pydantic

from accelsim.errors import InputError, fail
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.ops import OPS, ShapeError

SUPPORTED = ("Conv", "Gemm", "MatMul", "Add", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
             "Flatten", "Reshape", "BatchNormalization", "Dropout", "Identity")
FOLDED = ("Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice")


def require_onnx():
    """The ``onnx`` module, or an InputError saying how to install it."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise fail("onnx", "", "the 'onnx' package is needed to read ONNX models: pip install 'accelsim[onnx]'") from None
    return onnx


@dataclass
class _Val:
    """A graph value in the builder: its name there and its per-sample shape."""

    name: str
    shape: tuple[int, ...]


@dataclass
class AnnGraph:
    """An ONNX model read into the workload format (activations still ANN ``Relu``/``Clip``)."""

    builder: WorkloadBuilder
    input_shape: tuple[int, ...]
    output: str
    source: str
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


class _Reader:
    def __init__(self, model, file: str, name: str, timesteps: int):
        from onnx import numpy_helper

        self.onnx_model = model
        self.file = file
        self.g = model.graph
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in self.g.initializer}
        self.env: dict[str, Any] = {}  # ONNX value -> np.ndarray (constant) or _Val
        self.uses: dict[str, int] = {}
        for nd in self.g.node:
            for i in nd.input:
                self.uses[i] = self.uses.get(i, 0) + 1
        for o in self.g.output:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1
        self.synaptic: dict[str, dict] = {}  # builder value -> builder node dict (Conv/Gemm), for folding
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.names: set[str] = set()
        self.timesteps = timesteps
        self.model_name = name

    # -- helpers ---------------------------------------------------------
    def where(self, nd, idx: int) -> str:
        return f"graph.node[{idx}] ({nd.name or '<unnamed>'}, {nd.op_type})"

    def bad(self, nd, idx: int, message: str, value: Any = ...) -> InputError:
        if value is ...:
            return fail(self.file, self.where(nd, idx), message)
        return fail(self.file, self.where(nd, idx), message, value)

    def unique(self, base: str) -> str:
        base = base.strip("/").replace("/", ".") or "node"
        name, k = base, 1
        while name in self.names or name in self.b.tensors:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def attrs(self, nd) -> dict[str, Any]:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in nd.attribute}

    def value(self, nd, idx, j: int) -> _Val:
        v = self.env[nd.input[j]]
        if not isinstance(v, _Val):
            raise self.bad(nd, idx, f"input {j} ({nd.input[j]!r}) must be a graph value computed from the model input, "
                                    "not a constant")
        return v

    def const(self, nd, idx, j: int) -> np.ndarray:
        v = self.env[nd.input[j]]
        if isinstance(v, _Val):
            raise self.bad(nd, idx, f"input {j} ({nd.input[j]!r}) must be a constant (an initializer); "
                                    "inputs computed at run time are not supported here")
        return v

    def emit(self, nd, idx, op: str, name: str, inputs: list[str], attrs: dict) -> _Val:
        """Add a builder node after checking its attributes and inferring its shape."""
        spec = OPS[op]
        try:
            a = spec.Attrs.model_validate(attrs)
        except pydantic.ValidationError as exc:
            raise self.bad(nd, idx, f"attributes not supported by accelsim's {op}: "
                                    + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
                           attrs) from None
        shapes = [self.shapes.get(i) or tuple(self.b.tensors[i].shape) for i in inputs]
        consts = [None if i in self.shapes else self.b.tensors[i] for i in inputs]
        try:
            shape = tuple(int(d) for d in spec.infer(a, shapes, consts))
        except ShapeError as exc:
            raise self.bad(nd, idx, f"{exc}" + (f" ({exc.path})" if exc.path else "")) from None
        out = self.b.node(name, op, inputs, attrs)
        self.shapes[out] = shape
        return _Val(out, shape)

    # -- reading ---------------------------------------------------------
    def input_spec(self) -> tuple[str, tuple[int, ...]]:
        data = [i for i in self.g.input if i.name not in self.consts]
        if len(data) != 1:
            raise fail(self.file, "graph.input", f"expected exactly one data input (not an initializer), found {len(data)}",
                       [i.name for i in data])
        inp = data[0]
        tt = inp.type.tensor_type
        if not tt.HasField("shape"):
            raise fail(self.file, f"graph.input ({inp.name})", "the input has no shape; export with a fixed input shape")
        dims = list(tt.shape.dim)
        if len(dims) < 2:
            raise fail(self.file, f"graph.input ({inp.name})", "the input must be [batch, *features]", len(dims))
        shape = []
        for k, d in enumerate(dims[1:], 1):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            else:
                raise fail(self.file, f"graph.input ({inp.name}).shape[{k}]",
                           "dynamic shapes are not supported: every dimension but the batch must be a fixed number; "
                           "export with a fixed input shape", d.dim_param or "?")
        return inp.name, tuple(shape)

    def order(self) -> list[int]:
        """Topological order of the ONNX nodes; a cycle is an error naming its nodes."""
        nodes = list(self.g.node)
        producer = {o: i for i, nd in enumerate(nodes) for o in nd.output if o}
        deps = [{producer[x] for x in nd.input if x in producer} for nd in nodes]
        placed: set[int] = set()
        done: list[int] = []
        remaining = list(range(len(nodes)))
        while remaining:
            ready = [i for i in remaining if deps[i] <= placed]
            if not ready:
                cyc = set(remaining)
                while True:  # drop nodes merely downstream of the cycle (nothing in it depends on them)
                    sinks = {i for i in cyc if not any(i in deps[j] for j in cyc)}
                    if not sinks:
                        break
                    cyc -= sinks
                names = ", ".join(f"{nodes[i].name or '<unnamed>'} ({nodes[i].op_type})" for i in sorted(cyc))
                raise fail(self.file, "graph.node", f"the graph has a cycle through: {names}")
            for i in ready:
                done.append(i)
                placed.add(i)
                remaining.remove(i)
        return done

    def read(self) -> AnnGraph:
        in_name, in_shape = self.input_spec()
        self.b = WorkloadBuilder(self.model_name, input_shape=in_shape, timesteps=self.timesteps, input_name="input",
                                 description=f"converted from {Path(self.file).name}")
        self.names.add("input")
        self.shapes["input"] = in_shape
        self.env.update(self.consts)
        self.env[in_name] = _Val("input", in_shape)
        for idx in self.order():
            nd = self.g.node[idx]
            for j, i in enumerate(nd.input):
                if i and i not in self.env:
                    raise self.bad(nd, idx, f"input {j} ({i!r}) is not produced by any node, not a graph input and not "
                                            "an initializer (missing initializer?)", i)
            handler = getattr(self, f"op_{nd.op_type}", None)
            if nd.domain not in ("", "ai.onnx") or handler is None:
                raise self.bad(nd, idx, f"unsupported operator {nd.op_type!r}"
                                        f"{' (domain ' + nd.domain + ')' if nd.domain else ''}; supported: "
                                        f"{', '.join(SUPPORTED)} (and constant {', '.join(FOLDED)})", nd.op_type)
            handler(nd, idx)
        outs = [o.name for o in self.g.output]
        res = self.env.get(outs[0]) if outs else None
        if not isinstance(res, _Val):
            raise fail(self.file, "graph.output", "the first graph output must be computed from the input", outs)
        self.b.readout(res.name, mode="membrane")
        return AnnGraph(self.b, in_shape, res.name, self.file, dict(self.shapes))

    # -- constant folding ------------------------------------------------
    def fold(self, nd, idx, fn) -> None:
        ins = [self.env[i] if i else None for i in nd.input]
        if any(isinstance(v, _Val) for v in ins):
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
        shape = (1,) + v.shape if isinstance(v, _Val) else np.shape(v)  # the batch reads as 1
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

    # -- dropped ---------------------------------------------------------
    def op_Identity(self, nd, idx):
        self.env[nd.output[0]] = self.env[nd.input[0]]

    def op_Dropout(self, nd, idx):
        if len(nd.output) > 1 and nd.output[1] and self.uses.get(nd.output[1]):
            raise self.bad(nd, idx, "the Dropout mask output is used; only inference (no mask) is supported")
        self.env[nd.output[0]] = self.env[nd.input[0]]

    # -- synaptic --------------------------------------------------------
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

    # -- element-wise and activations -----------------------------------
    def op_Add(self, nd, idx):
        a, c = self.env[nd.input[0]], self.env[nd.input[1]]
        if isinstance(c, _Val) and not isinstance(a, _Val):
            a, c = c, a
        if not isinstance(a, _Val):
            self.fold(nd, idx, lambda ins, at: ins[0] + ins[1])
            return
        if isinstance(c, _Val):
            name = self.unique(nd.name or nd.output[0])
            self.env[nd.output[0]] = self.emit(nd, idx, "Add", name, [a.name, c.name], {})
            return
        c = np.asarray(c, dtype=np.float64)
        node = self.synaptic.get(a.name)
        src = nd.input[0] if isinstance(self.env[nd.input[0]], _Val) else nd.input[1]
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

    # -- pooling and shapes ---------------------------------------------
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
        attrs = {"kernel_shape": [int(d) for d in x.shape[1:]]}
        self.env[nd.output[0]] = self.emit(nd, idx, "AveragePool", self.unique(nd.name or nd.output[0]), [x.name], attrs)

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
        if tgt is None or isinstance(tgt, _Val):
            raise self.bad(nd, idx, "dynamic shapes are not supported: the Reshape target must be constant "
                                    "(an initializer or a foldable Shape/Gather/Concat chain)")
        tgt = [int(v) for v in np.asarray(tgt).reshape(-1)]
        if self.attrs(nd).get("allowzero", 0):
            raise self.bad(nd, idx, "allowzero = 1 is not supported", 1)
        self.env[nd.output[0]] = self.emit(nd, idx, "Reshape", self.unique(nd.name or nd.output[0]), [x.name], {"shape": tgt})


def _same_pads(spatial, kernel, strides, dilations, mode: str) -> list[int]:
    nd = len(spatial)
    strides = strides or [1] * nd
    dilations = dilations or [1] * nd
    begin, end = [], []
    for i in range(nd):
        out = -(-spatial[i] // strides[i])
        total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i])
        small, big = total // 2, total - total // 2
        begin.append(small if mode == "SAME_UPPER" else big)
        end.append(big if mode == "SAME_UPPER" else small)
    return begin + end


def load_onnx_model(path: str | Path):
    """Parse an ``.onnx`` file (with a clear error if it is missing or not ONNX)."""
    onnx = require_onnx()
    path = Path(path)
    if not path.is_file():
        raise fail(str(path), "", "file not found")
    try:
        return onnx.load(str(path))
    except Exception as exc:  # protobuf DecodeError and friends
        raise fail(str(path), "", f"not a valid ONNX model: {exc}") from None


def read_onnx(model, file: str = "<onnx>", name: str = "model", timesteps: int = 1) -> AnnGraph:
    """Read an ``onnx.ModelProto`` (or a path) into an :class:`AnnGraph`."""
    require_onnx()
    if isinstance(model, (str, Path)):
        file = str(model)
        model = load_onnx_model(model)
    return _Reader(model, file, name, timesteps).read()
