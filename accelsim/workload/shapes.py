"""Shapes through a workload graph, also through its cycles; checks of constant tensors and
neuron parameters.

In an acyclic graph every node's shape follows from its inputs in topological
order. In a recurrent graph a synaptic node reads a neuron's output of the
previous step (a *delayed* input, :mod:`accelsim.workload.cycles`), whose shape
is only known once the neuron, later in the order, has one. The shapes are
found in two stages:

1. provisional passes: a delayed input takes its source's shape from the
   previous pass (unknown in the first); a node with an unknown input is
   skipped, except an ``Add`` with one known value input, which provisionally
   takes that input's shape (the usual recurrent join: a forward current plus
   the recurrent one into the same neurons); repeated until nothing changes;
2. the checking pass: every node in order, each delayed input with its
   source's provisional shape; every problem is reported as for an acyclic
   graph, and a delayed source whose shape comes out different from the one its
   readers were checked with is a problem too (the shape changes around the cycle).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from accelsim.errors import ProblemList
from accelsim.neurons import Range
from accelsim.workload.graph import Node
from accelsim.workload.ops import OPS, ShapeError
from accelsim.workload.spec import WorkloadSpec

Shapes = dict[str, tuple[int, ...]]


def _shape_problem(pl: ProblemList, exc: ShapeError, nd, p: str, ins: list[str]) -> None:
    sub = f"{p}.{exc.path}" if exc.path else p
    msg = f"{nd.op} '{nd.name}': {exc}"
    value, j = exc.value, exc.path[len("inputs["):-1] if exc.path.startswith("inputs[") else ""
    if value is None and j.isdigit() and int(j) < len(ins):
        value = ins[int(j)]  # name the offending tensor or value
    if value is None:
        pl.add(sub, msg)
    else:
        pl.add(sub, msg, value)


def _pass(spec: WorkloadSpec, order: list[int], tensors: dict[str, np.ndarray], values: set[str],
          attrs_of: dict[int, Any], pl: Optional[ProblemList], delayed: frozenset[tuple[int, int]],
          back: Shapes) -> tuple[Shapes, list[Node]]:
    """One pass in ``order``: delayed inputs read ``back``; ``pl`` None is a provisional pass
    (problems ignored, an Add with one known value input takes that input's shape)."""
    inp = spec.inputs[0]
    shapes: Shapes = {inp.name: tuple(inp.shape)}
    nodes: list[Node] = []
    for i in order:
        nd = spec.nodes[i]
        op = OPS[nd.op]
        ins = list(nd.inputs)
        known = {j: back[n] if (i, j) in delayed else shapes[n] for j, n in enumerate(ins)
                 if n in values and ((i, j) in delayed and n in back or (i, j) not in delayed and n in shapes)}
        missing = [j for j, n in enumerate(ins) if n in values and j not in known]
        if missing:
            if pl is None and nd.op == "Add" and known:
                shapes[nd.outputs[0]] = next(iter(known.values()))
            continue  # an upstream node failed (its problem is listed), or a provisional pass
        in_shapes = [known[j] if j in known else tuple(tensors[n].shape) for j, n in enumerate(ins)]
        consts = [None if n in values else tensors[n] for n in ins]
        try:
            out_shape = op.infer(attrs_of[i], in_shapes, consts)
            if op.kind == "neuron":
                check_neuron_params(attrs_of[i], out_shape, tensors, op.params)
            check_numeric(consts)  # every constant: a synaptic weight, a Mul factor, a Reshape shape
        except ShapeError as exc:
            if pl is not None:
                _shape_problem(pl, exc, nd, f"nodes[{i}]", ins)
            continue
        shapes[nd.outputs[0]] = tuple(int(d) for d in out_shape)
        nodes.append(Node(nd.name, nd.op, op, tuple(ins), nd.outputs[0], attrs_of[i], i))
    return shapes, nodes


def infer_shapes(spec: WorkloadSpec, order: list[int], tensors: dict[str, np.ndarray], values: set[str],
                 attrs_of: dict[int, Any], pl: ProblemList,
                 delayed: frozenset[tuple[int, int]] = frozenset()) -> tuple[Shapes, list[Node]]:
    """Shapes through the graph and the typed nodes, in ``order``; ``delayed``: the (node index,
    input index) pairs that read the previous step's value (see the module docstring)."""
    back: Shapes = {}
    if delayed:
        sources = {spec.nodes[i].inputs[j] for i, j in delayed}
        while True:  # each pass may find more sources; a found shape is kept (the passes end)
            shapes, _nodes = _pass(spec, order, tensors, values, attrs_of, None, delayed, back)
            found = {v: shapes[v] for v in sources if v in shapes and v not in back}
            if not found:
                break
            back.update(found)
    before = len(pl.items)
    shapes, nodes = _pass(spec, order, tensors, values, attrs_of, pl, delayed, back)
    for i, j in sorted(delayed):
        nd = spec.nodes[i]
        v = nd.inputs[j]
        if v not in back and len(pl.items) == before:
            pl.add(f"nodes[{i}].inputs[{j}]", f"{nd.op} '{nd.name}': the shape of this recurrent input (the previous "
                   "step's value) cannot be inferred around its cycle; sum the recurrent current with a forward "
                   "input (Add) into the neuron", v)
        elif v in back and v in shapes and shapes[v] != back[v]:
            pl.add(f"nodes[{i}].inputs[{j}]", f"{nd.op} '{nd.name}': the recurrent input was checked with shape "
                   f"{list(back[v])}, but its source has shape {list(shapes[v])} (the shape changes around the "
                   "cycle)", v)
    return shapes, nodes


def check_numeric(consts: list[Optional[np.ndarray]]) -> None:
    for j, c in enumerate(consts):
        if c is not None:
            if c.dtype.kind not in "fiu":
                raise ShapeError(f"tensor must be numeric, got dtype {c.dtype}", f"inputs[{j}]")
            if c.dtype.kind == "f" and not np.all(np.isfinite(c)):
                raise ShapeError("tensor contains NaN or infinite values", f"inputs[{j}]")


def check_neuron_params(attrs: Any, shape: tuple[int, ...], tensors: dict[str, np.ndarray],
                        params: Mapping[str, Range]) -> None:
    """Each neuron parameter (a number or a tensor name): numeric, a scalar, per channel or per
    neuron, inside its kind's allowed range (``params``: name -> :class:`~accelsim.neurons.Range`)."""
    for name, allowed in params.items():
        for key, ref in param_refs(name, getattr(attrs, name, None)):
            arr = np.asarray(tensors[ref] if isinstance(ref, str) else ref)
            if arr.dtype.kind not in "fiu":
                raise ShapeError(f"{key} tensor must be numeric, got dtype {arr.dtype}", f"attrs.{key}", ref)
            arr = arr.astype(np.float64)
            if arr.ndim and tuple(arr.shape) not in ((shape[0],), tuple(shape), (1,)):
                raise ShapeError(f"{key} tensor of shape {list(arr.shape)} must be a scalar, per channel [{shape[0]}] "
                                 f"or per neuron {list(shape)}", f"attrs.{key}", ref)
            if not allowed.contains(arr):
                raise ShapeError(f"{key} must be {allowed}", f"attrs.{key}", ref if isinstance(ref, str) else float(arr))
            if not np.all(np.isfinite(arr)):
                raise ShapeError(f"{key} must be finite", f"attrs.{key}", ref if isinstance(ref, str) else float(arr))


def param_refs(path: str, ref: Any) -> list[tuple[str, Any]]:
    """A parameter's values with their paths: none (unset), one, or one per phase (a list, ``path[k]``)."""
    if ref is None:
        return []
    if isinstance(ref, (list, tuple)):
        return [(f"{path}[{k}]", r) for k, r in enumerate(ref)]
    return [(path, ref)]


