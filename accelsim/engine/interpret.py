"""The one interpreter of a workload graph.

:func:`interpret` walks ``graph.nodes`` in their topological order; for each node
it gathers the inputs (a graph value computed earlier, else a tensor of
``graph.tensors``), calls the node's op on them and stores the output under the
node's output name. What a value *is* is up to the ops: a batch of activations
(the SNN and ANN passes), a list of per-step batches (the layer-major
calibration), or the ids of the neurons that produced each element (the cost
model's routing). The hooks:

* ``ops[node.name](inputs) -> output``: the node's evaluation; an executor of
  :mod:`accelsim.engine.execute`, or an override (a neuron replaced by ReLU);
* ``cache``: outputs known in advance; such a node is not evaluated, its cached
  value is used (static values of the SNN, computed once and reused every step);
* ``keep``: outputs to store into ``cache`` once computed;
* ``observe(node, inputs, output)``: called after each evaluated node (capture);
* ``delayed``: in a recurrent graph, the values its delayed inputs read (``graph.delayed``:
  a synaptic node reading a neuron's output around a cycle gets that neuron's output of the
  *previous* step), by value name (``graph.delayed_values``); required when the graph has
  cycles. The caller keeps them from step to step (zeros before step 0).

The loop is the per-step inner loop of the functional simulation: it adds no
work per node beyond the gathering and a dictionary store.
"""
from __future__ import annotations

from typing import Any, Callable, Collection, Mapping, Optional

from accelsim.workload.graph import Graph, Node

# a node's evaluation: its gathered inputs (values or tensors, in ``node.inputs`` order) -> its output
Op = Callable[[list], Any]
# observe(node, inputs, output): sees every evaluated node
Observer = Callable[[Node, list, Any], None]


def interpret(graph: Graph, inputs: Mapping[str, Any], ops: Mapping[str, Op],
              cache: Optional[dict[str, Any]] = None, keep: Collection[str] = (),
              observe: Optional[Observer] = None, delayed: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Every graph value, evaluated from ``inputs`` (the graph input, by name) in topological order.

    A node whose output is in ``cache`` is skipped and takes the cached value; a computed
    output named in ``keep`` is stored into ``cache`` (``keep`` is ignored without a ``cache``).
    ``delayed``: the previous step's values read by the delayed inputs of a recurrent graph."""
    vals = dict(inputs)
    tensors = graph.tensors
    cached = cache if cache is not None else {}
    keep = keep if cache is not None else ()
    late = _late_inputs(graph)
    if late and delayed is None:
        raise ValueError(f"graph {graph.name!r} is recurrent: interpret needs the previous step's values of "
                         f"{', '.join(graph.delayed_values)} (delayed=...)")
    for node in graph.nodes:
        out = node.output
        if out in cached:
            vals[out] = cached[out]
            continue
        js = late.get(node.name) if late else None
        if js:
            ins = [delayed[i] if j in js else vals[i] if i in vals else tensors[i] for j, i in enumerate(node.inputs)]
        else:
            ins = [vals[i] if i in vals else tensors[i] for i in node.inputs]
        y = ops[node.name](ins)
        vals[out] = y
        if out in keep:
            cached[out] = y
        if observe is not None:
            observe(node, ins, y)
    return vals


def _late_inputs(graph: Graph) -> dict[str, tuple[int, ...]]:
    """Node name -> indices of its delayed inputs (empty for a feed-forward graph)."""
    late: dict[str, tuple[int, ...]] = {}
    for name, j in graph.delayed:   # a few edges: not a scan of every node (this runs every step)
        late[name] = late.get(name, ()) + (j,)
    return late
