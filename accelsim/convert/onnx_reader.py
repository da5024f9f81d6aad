"""What a reader of one ONNX graph keeps while it reads: each ONNX value bound to
a constant (an initializer or a folded computation) or to a :class:`GraphValue`
computed from the model input, how often each value is used, the names taken,
and the workload builder it fills, with the checked emission of a node that
every operator translation (:mod:`accelsim.convert.onnx_layers`,
:mod:`accelsim.convert.onnx_folding`) goes through.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pydantic

from accelsim.errors import InputError, fail
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.ops import OPS, ShapeError


@dataclass
class GraphValue:
    """A graph value in the builder: its name there and its per-sample shape."""

    name: str
    shape: tuple[int, ...]


class ReaderBase:
    """The reader's state and helpers; the reader in :mod:`accelsim.convert.onnx_graph` adds the input checks and the reading order."""

    b: WorkloadBuilder  # set when reading starts

    def __init__(self, model, file: str, name: str, timesteps: int):
        from onnx import numpy_helper

        self.file = file
        self.g = model.graph
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in self.g.initializer}
        self.env: dict[str, Any] = {}  # ONNX value -> np.ndarray (constant) or GraphValue
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

    def value(self, nd, idx, j: int) -> GraphValue:
        v = self.env[nd.input[j]]
        if not isinstance(v, GraphValue):
            raise self.bad(nd, idx, f"input {j} ({nd.input[j]!r}) must be a graph value computed from the model input, "
                                    "not a constant")
        return v

    def const(self, nd, idx, j: int) -> np.ndarray:
        v = self.env[nd.input[j]]
        if isinstance(v, GraphValue):
            raise self.bad(nd, idx, f"input {j} ({nd.input[j]!r}) must be a constant (an initializer); "
                                    "inputs computed at run time are not supported here")
        return v

    def infer(self, nd, idx, op: str, inputs: list[str], attrs: dict) -> tuple[int, ...]:
        """The per-sample output shape of a builder node ``op`` on ``inputs``, after checking its attributes."""
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
            return tuple(int(d) for d in spec.infer(a, shapes, consts))
        except ShapeError as exc:
            raise self.bad(nd, idx, f"{exc}" + (f" ({exc.path})" if exc.path else "")) from None

    def emit(self, nd, idx, op: str, name: str, inputs: list[str], attrs: dict) -> GraphValue:
        """Add a builder node after checking its attributes and inferring its shape."""
        shape = self.infer(nd, idx, op, inputs, attrs)
        out = self.b.node(name, op, inputs, attrs)
        self.shapes[out] = shape
        return GraphValue(out, shape)
