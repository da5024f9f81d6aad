"""Lower a workload graph to hardware layers.

A hardware layer is one synaptic node (Conv/Gemm/MatMul: weights, fan-out) plus
the neuron node it drives (found downstream through element-wise, shape and
pooling nodes), or none for a non-spiking readout layer. A layer whose data
input comes straight from the graph input (through stateless nodes only) is the
*first layer*: it receives analog values and is a dense multiply layer, run on
the PIM macro when the architecture has one. Which hardware engine runs each
layer is decided by :func:`accelsim.hw.engines.assign` (the ``engine`` field).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from accelsim.kernels.window import Window
from accelsim.workload.graph import Graph, Node
from accelsim.workload.ops.window import window_params


@dataclass(frozen=True)
class Layer:
    index: int
    name: str
    synapse: Node
    neuron: Optional[Node]
    data_input: str           # the graph value the synaptic node reads
    first_layer: bool         # fed by the analog graph input (receives analog values: a dense layer)
    kind: str                 # "conv" or "dense"
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    fan_in: int               # weights per output neuron
    macs: int                 # dense MACs per sample per evaluation
    weights: int              # weight parameters
    window: Optional[Window]  # conv geometry
    group: int
    fanout: np.ndarray        # per input element (flattened [C*D*H*W]): outputs it reaches
    neuron_shape: tuple[int, ...]  # shape of the neuron node (= out_shape for a readout layer)
    aux: tuple[Node, ...] = ()     # pooling/shape/element-wise nodes done by this layer's engine
    merges_into: Optional[str] = None  # another layer whose neurons this layer's output also feeds
                                       # (e.g. a residual shortcut conv summed into a block's membrane)
    engine: str = ""                   # the hardware engine that runs it (accelsim.hw.engines.assign)
    aux_state: int = 0                 # state words per sample of its stateful aux nodes (a SpikeMaxPool:
                                       # one counter per input element and one maximum per window)
    recurrent: bool = False            # its synaptic node reads a neuron's output around a cycle
                                       # (graph.delayed): the events of step t are that neuron's spikes of t-1
    delay: int = 0                     # steps between the spikes it reads and their use (1 if recurrent)

    @property
    def spiking(self) -> bool:
        """Its neurons emit binary spikes (a non-spiking neuron such as LI outputs its state)."""
        return self.neuron is not None and self.neuron.spec.spiking

    @property
    def phases(self) -> int:
        """Updates of each of its neurons per time step (K for a few-spikes node; 0 without neurons)."""
        return self.neuron.spec.neuron.phases_of(self.neuron.attrs) if self.neuron is not None else 0

    @property
    def neurons(self) -> int:
        """Neurons per sample (output units for a non-spiking readout layer)."""
        return int(np.prod(self.neuron_shape))


def conv_window(graph: Graph, node: Node) -> Window:
    x = graph.shapes[node.inputs[0]]
    w = graph.tensors[node.inputs[1]].shape
    strides, pads, dil = window_params(node.attrs, len(x) - 1)
    return Window.make(tuple(x[1:]), tuple(w[2:]), strides, pads, dil)


def pool_window(graph: Graph, node: Node) -> Window:
    x = graph.shapes[node.inputs[0]]
    strides, pads, _ = window_params(node.attrs, len(x) - 1)
    return Window.make(tuple(x[1:]), tuple(node.attrs.kernel_shape), strides, pads, None)


def static_values(graph: Graph) -> set[str]:
    """Values that do not change over time steps: derived from a direct-encoded
    input through stateless nodes only."""
    static: set[str] = set()
    if graph.input.encoding == "direct":
        static.add(graph.input.name)
    for n in graph.nodes:
        if n.kind == "neuron":
            continue
        vins = graph.value_inputs(n)
        if vins and all(v in static for v in vins):
            static.add(n.output)
    return static


def _input_fed(graph: Graph) -> set[str]:
    """Values computed from the graph input without crossing a synaptic or neuron node."""
    fed = {graph.input.name}
    for n in graph.nodes:
        if n.kind in ("synaptic", "neuron"):
            continue
        if any(v in fed for v in graph.value_inputs(n)):
            fed.add(n.output)
    return fed


def _find_neuron(graph: Graph, node: Node) -> Optional[Node]:
    frontier, seen = [node.output], set()
    while frontier:
        v = frontier.pop(0)
        for c in graph.consumers(v):
            if c.name in seen:
                continue
            seen.add(c.name)
            if c.kind == "neuron":
                return c
            if c.kind != "synaptic":
                frontier.append(c.output)
    return None


def _aux_nodes(graph: Graph, node: Node, neuron: Optional[Node]) -> tuple[Node, ...]:
    """Stateless nodes between the previous neurons and this synapse, and between
    this synapse and its neuron: the work the layer's engine does besides MACs."""
    out: list[Node] = []
    stack = [node.inputs[0]]
    while stack:
        p = graph.producer(stack.pop())
        if p is None or p.kind in ("synaptic", "neuron") or p in out:
            continue
        out.append(p)
        stack.extend(graph.value_inputs(p))
    if neuron is not None:
        frontier = [node.output]
        while frontier:
            for c in graph.consumers(frontier.pop()):
                if c.kind in ("synaptic", "neuron") or c in out:
                    continue
                out.append(c)
                frontier.append(c.output)
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    return tuple(sorted(out, key=lambda n: order[n.name]))


def aux_state_words(graph: Graph, aux: tuple[Node, ...]) -> int:
    """State words per sample of the stateful nodes among ``aux``: a SpikeMaxPool keeps a counter per
    input element and a maximum per window."""
    return sum(int(np.prod(graph.shapes[n.inputs[0]])) + int(np.prod(graph.shapes[n.output]))
               for n in aux if n.op == "SpikeMaxPool")


def _owners(graph: Graph) -> dict[str, str]:
    """Neuron node -> the synaptic node whose layer owns it: the first feed-forward synaptic node
    feeding it in topological order, else (a neuron fed only around a cycle) the first recurrent one."""
    owner: dict[str, str] = {}
    for recurrent in (False, True):
        for node in graph.nodes:
            if node.kind == "synaptic" and ((node.name, 0) in graph.delayed) == recurrent:
                neuron = _find_neuron(graph, node)
                if neuron is not None:
                    owner.setdefault(neuron.name, node.name)
    return owner


def lower(graph: Graph) -> list[Layer]:
    """Hardware layers in topological order. A neuron node belongs to exactly one layer:
    when several synaptic nodes feed it (through an ``Add``), the first in topological
    order owns it (a feed-forward one before a recurrent one) and the others are
    non-spiking layers that ``merges_into`` it. A synaptic node whose data input is
    delayed (a recurrent weight, ``graph.delayed``) is a layer like any other, marked
    ``recurrent`` with ``delay = 1``."""
    fed = _input_fed(graph)
    layers: list[Layer] = []
    owner = _owners(graph)  # neuron node -> the layer that owns it
    for node in graph.nodes:
        if node.kind != "synaptic":
            continue
        data = node.inputs[0]
        in_shape = graph.shapes[data]
        out_shape = graph.shapes[node.output]
        w = graph.tensors[node.inputs[1]]
        if node.op == "Conv":
            win = conv_window(graph, node)
            group = node.attrs.group
            out_ch = w.shape[0]
            fan_in = int(np.prod(w.shape[1:]))
            spatial = win.spatial_fanout().reshape(-1)
            fanout = np.tile(spatial * (out_ch // group), in_shape[0])
            macs = win.out_positions * out_ch * fan_in
            kind = "conv"
        else:
            win, group = None, 1
            m = out_shape[0]
            fan_in = in_shape[0]
            fanout = np.full(in_shape[0], m, dtype=np.int64)
            macs = fan_in * m
            kind = "dense"
        neuron = _find_neuron(graph, node)
        merges_into = None
        if neuron is not None and owner[neuron.name] != node.name:
            merges_into, neuron = owner[neuron.name], None
        recurrent = (node.name, 0) in graph.delayed
        aux = _aux_nodes(graph, node, neuron)
        layer = Layer(
            index=len(layers), name=node.name, synapse=node, neuron=neuron, data_input=data,
            first_layer=data in fed, kind=kind, in_shape=in_shape, out_shape=out_shape, fan_in=fan_in,
            macs=int(macs), weights=int(w.size), window=win, group=group, fanout=fanout.astype(np.int64),
            neuron_shape=graph.shapes[neuron.output] if neuron is not None else out_shape,
            aux=aux, merges_into=merges_into, aux_state=aux_state_words(graph, aux),
            recurrent=recurrent, delay=int(recurrent),
        )
        layers.append(layer)
    return layers
