"""NIR export: a workload graph as a NIR graph.

``accelsim export WORKLOAD -o GRAPH.nir --dt DT`` writes the graph back, each op
translated by :mod:`accelsim.convert.nir_layers` or
:mod:`accelsim.convert.nir_neurons` (which inverts the import's discretisation);
an ``Add`` of two values becomes two edges into one node (NIR sums them). The
time steps, encoding, readout, name, dt and discretisation go into the graph's
``metadata`` (``accelsim_*`` keys), from which ``accelsim import`` restores them.

A recurrent graph is written with its cycles: a delayed input (a synaptic node
reading a neuron around a cycle, ``graph.delayed``) becomes the edge from that
neuron's NIR node, which NIR's simulators step as the previous step's spikes;
the import finds the same edge delayed (:mod:`accelsim.workload.cycles`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.convert.nir_files import require_nir
from accelsim.convert.nir_layers import LayerExport
from accelsim.convert.nir_neurons import NeuronExport
from accelsim.errors import fail
from accelsim.workload.graph import Graph


class _Exporter(LayerExport, NeuronExport):
    """Writes one workload graph as a NIR graph; ``layer`` and ``neuron`` come from the mixins."""

    def __init__(self, graph: Graph, dt: float, discretisation: str):
        self.g, self.dt, self.disc = graph, dt, discretisation
        self.lossy: list[str] = []

    def bad(self, node, message: str):
        return fail(self.g.source, f"nodes.{node.name}", f"{node.op} cannot be expressed in NIR: {message}")

    def param(self, ref, shape) -> np.ndarray:
        arr = np.asarray(self.g.tensors[ref] if isinstance(ref, str) else ref, dtype=np.float64)
        if arr.ndim == 1 and arr.shape[0] == shape[0] and len(shape) > 1:
            arr = arr.reshape((shape[0],) + (1,) * (len(shape) - 1))
        return np.ascontiguousarray(np.broadcast_to(arr, shape))

    def convert(self, node):
        return self.neuron(node) if node.kind == "neuron" else self.layer(node)

    def export(self):
        import nir

        g = self.g
        nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array(g.input.shape)})}
        edges: list[tuple[str, str]] = []
        sources: dict[str, list[str]] = {g.input.name: ["input"]}
        nir_name = lambda n: n.name if n.name not in ("input", "output") else f"{n.name}_"  # noqa: E731
        for n, j in g.delayed:  # read around a cycle: the neuron's node, placed later in the order
            src = g.producer(g.node(n).inputs[j])
            sources[src.output] = [nir_name(src)]
        for node in g.nodes:
            vins = g.value_inputs(node)
            if node.op == "Add":
                if len(vins) != 2:
                    raise self.bad(node, "adding a constant tensor")
                sources[node.output] = sources[vins[0]] + sources[vins[1]]  # NIR sums a node's incoming edges
                continue
            name = nir_name(node)
            nodes[name] = self.convert(node)
            edges += [(s, name) for s in sources[vins[0]]]
            sources[node.output] = [name]
        nodes["output"] = nir.Output(output_type={"output": np.array(g.shapes[g.readout.output])})
        edges += [(s, "output") for s in sources[g.readout.output]]
        meta = {"accelsim_timesteps": int(g.timesteps), "accelsim_encoding": g.input.encoding,
                "accelsim_readout": g.readout.mode, "accelsim_name": g.name, "accelsim_dt": float(self.dt),
                "accelsim_discretisation": self.disc}
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


def export_nir(graph: Graph, dt: float = 1.0, discretisation: str = "euler"):
    """(NIR graph, names of nodes whose reset NIR cannot express) for a workload graph."""
    require_nir()
    if discretisation not in ("euler", "exact"):
        raise fail("--discretisation", "", "must be euler or exact", discretisation)
    if not (dt > 0 and np.isfinite(dt)):
        raise fail("--dt", "", "must be a positive number", dt)
    ex = _Exporter(graph, dt, discretisation)
    return ex.export(), ex.lossy
