"""Validate and build the ANN part of a hybrid ANN-SNN workload (``ann`` in workload.json).

The ANN is a graph of its own: stateless nodes (no neuron nodes) that read the
workload's input and the ``.npz`` tensors. It is checked with the same rules as
the SNN graph (operators, attributes, inputs, shapes; problems named
``ann.nodes[i]...``), then its bindings: each names an ANN value, an SNN neuron
node and one of that kind's state arrays, with the same number of elements as
the neuron node's output; a state is bound at most once. ``ann.every`` (K) is at
least 1 (the JSON Schema says so).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from accelsim.errors import InputError, Problem, ProblemList
from accelsim.workload.graph import AnnPart, Binding, Graph
from accelsim.workload.ops import OPS
from accelsim.workload.spec import AnnSpec, ReadoutSpec, WorkloadSpec


def _prefixed(exc: InputError) -> InputError:
    """The ANN graph's problems, their paths under ``ann.`` (``nodes[2].attrs`` -> ``ann.nodes[2].attrs``)."""
    return InputError([replace(p, path=f"ann.{p.path}" if p.path else "ann") for p in exc.problems])


def _check_names(spec: WorkloadSpec, ann: AnnSpec, snn: Graph, pl: ProblemList) -> None:
    snn_names = {n.name for n in snn.nodes} | set(snn.shapes)
    for i, nd in enumerate(ann.nodes):
        op = OPS.get(nd.op)
        if op is not None and op.kind == "neuron":
            pl.add(f"ann.nodes[{i}].op", "the ANN part is stateless: neuron nodes belong to the SNN (use Relu or Clip)",
                   nd.op)
        if nd.name in snn_names:
            pl.add(f"ann.nodes[{i}].name", "also the name of an SNN node or value; names must be unique", nd.name)
        if nd.outputs and nd.outputs[0] in snn_names:
            pl.add(f"ann.nodes[{i}].outputs[0]", "also the name of an SNN node or value; names must be unique",
                   nd.outputs[0])


def _check_bindings(ann: AnnSpec, snn: Graph, sub: Graph, pl: ProblemList) -> tuple[Binding, ...]:
    neurons = {n.name: n for n in snn.nodes if n.kind == "neuron"}
    seen: dict[tuple[str, str], int] = {}
    out = []
    for j, b in enumerate(ann.bindings):
        p = f"ann.bindings[{j}]"
        ok = True
        if b.value not in sub.shapes or b.value == sub.input.name:
            pl.add(f"{p}.value", "not the output of an ann.nodes node", b.value)
            ok = False
        node = neurons.get(b.neuron)
        if node is None:
            pl.add(f"{p}.neuron", f"not an SNN neuron node; neuron nodes: {', '.join(sorted(neurons)) or 'none'}",
                   b.neuron)
            continue
        states = list(node.spec.neuron.state)
        if b.state not in states:
            pl.add(f"{p}.state", f"{node.op} has no state {b.state!r}; its states: {', '.join(states)}", b.state)
            ok = False
        key = (b.neuron, b.state)
        if key in seen:
            pl.add(f"{p}", f"state {b.state} of {b.neuron} is already bound by ann.bindings[{seen[key]}]",
                   f"{b.neuron}.{b.state}")
            ok = False
        seen.setdefault(key, j)
        if ok:
            have, want = sub.shapes[b.value], snn.shapes[node.output]
            if math.prod(have) != math.prod(want):
                pl.add(f"{p}.value", f"shape mismatch: the ANN value has shape {list(have)} "
                       f"({math.prod(have)} elements) but {b.neuron} has {list(want)} ({math.prod(want)} neurons)",
                       b.value)
                continue
            out.append(Binding(b.value, b.neuron, b.state, j))
    return tuple(out)


def build_ann(spec: WorkloadSpec, snn: Graph, tensors: dict[str, np.ndarray], file: str) -> AnnPart:
    """The validated ANN part of ``spec`` (which has one) against the built SNN graph ``snn``."""
    from accelsim.workload.loader import build_graph  # the one graph builder (loader imports this module)

    ann = spec.ann
    pl = ProblemList(file)
    _check_names(spec, ann, snn, pl)
    pl.raise_if_any()
    last = ann.nodes[-1].outputs[0]
    sub_spec = spec.model_copy(update={"name": f"{spec.name}.ann", "nodes": ann.nodes, "outputs": [last],
                                       "readout": ReadoutSpec(output=last), "ann": None})
    try:
        sub = build_graph(sub_spec, tensors, file)
    except InputError as exc:
        raise _prefixed(exc) from None
    names = {n.name for n in sub.nodes}
    for k, name in enumerate(ann.initialisers):
        if name not in names:
            pl.add(f"ann.initialisers[{k}]", "not the name of an ann.nodes node", name)
        elif sub.node(name).kind != "synaptic":
            pl.add(f"ann.initialisers[{k}]", "a state initialiser must be a synaptic node (Conv, Gemm, MatMul)", name)
    bindings = _check_bindings(ann, snn, sub, pl)
    pl.raise_if_any()
    return AnnPart(sub, ann.every, ann.accumulate, bindings, frozenset(ann.initialisers), ann.window or 0)
