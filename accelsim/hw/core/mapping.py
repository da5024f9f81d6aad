"""Mapping of spike-core layers onto cores: which core owns which neuron.

Every layer is spread over all ``core.count`` cores (layers time-share the
cores; each core holds a slice of every layer's weights and membranes), unless
``core.min_neurons_per_core`` limits a small layer to ``ceil(neurons / min)``
consecutive cores (rotated from layer to layer, see :func:`layer_cores`). Items
are dealt in contiguous, balanced blocks: item ``i`` of ``n`` goes to core
``floor(i * k / n)`` for ``k`` cores.

Policies (``core.partition``):

* ``channel`` (default): a conv layer's output channels are split into blocks;
  a core owns all positions of its channels. Weights are split between cores
  (each holds the kernels of its channels); an input spike is multicast to every
  core owning a channel of its group.
* ``spatial``: a conv layer's output positions (flattened D*H*W) are split into
  blocks; a core owns all channels at its positions. Every core holds all of the
  layer's weights (replicated); an input spike goes only to the cores whose
  positions its receptive field reaches (neighbours), so traffic stays local.

Dense layers have no positions: both policies split their outputs into blocks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from accelsim.config.arch import PARTITIONS
from accelsim.engine.execute import make_executor
from accelsim.engine.interpret import Op, interpret
from accelsim.engine.lower import Layer, pool_window
from accelsim.kernels.pool import max_pool
from accelsim.workload.graph import Graph, Node
from accelsim.util.mathx import cdiv

def blocks(n: int, k: int) -> np.ndarray:
    """Owner core of each of ``n`` items dealt in contiguous balanced blocks over ``k`` cores."""
    return (np.arange(n, dtype=np.int64) * k) // max(n, 1)


@dataclass(frozen=True)
class LayerMap:
    """Where one layer's neurons live. ``positions`` = 1 for dense layers."""

    policy: str                 # the policy actually applied ("channel" for dense layers)
    cores: int
    channels: int               # output channels (outputs of a dense layer)
    positions: int              # output positions per channel
    owner: np.ndarray           # [channels * positions]: owning core of each synapse output (C-major)
    neuron_owner: np.ndarray    # [neurons]: owning core of each neuron (== owner for same-shape neurons)

    @property
    def neurons_per_core(self) -> np.ndarray:
        return np.bincount(self.neuron_owner, minlength=self.cores).astype(np.int64)


def _owners(policy: str, channels: int, positions: int, k: int) -> np.ndarray:
    if policy == "spatial":
        return np.tile(blocks(positions, k), channels)
    return np.repeat(blocks(channels, k), positions)


def layer_cores(layer: Layer, k: int, min_neurons: int = 1) -> tuple[int, int]:
    """(cores used, first core) of ``layer`` on ``k`` cores: ``ceil(neurons / min_neurons)`` cores at
    most, starting at core ``(index * used) mod k`` so that small consecutive layers use different cores."""
    used = int(min(k, max(1, cdiv(layer.neurons, max(min_neurons, 1)))))
    return used, (layer.index * used) % k if used < k else 0


def map_layer(layer: Layer, k: int, policy: str, min_neurons: int = 1) -> LayerMap:
    """Owners of ``layer``'s outputs and neurons on ``k`` cores under ``policy``; a small layer
    uses only ``layer_cores`` of them (``core.min_neurons_per_core``)."""
    if policy not in PARTITIONS:
        raise ValueError(f"unknown partition policy {policy!r}; known: {', '.join(PARTITIONS)}")
    used, first = layer_cores(layer, k, min_neurons)
    channels = layer.out_shape[0]
    positions = int(np.prod(layer.out_shape[1:])) if layer.kind == "conv" else 1
    if layer.kind != "conv":
        channels, policy = int(np.prod(layer.out_shape)), "channel"
    owner = (_owners(policy, channels, positions, used) + first) % k
    if layer.neurons == owner.size:
        neuron_owner = owner
    else:  # a pool between synapse and neuron: split the neuron tensor the same way
        nc = layer.neuron_shape[0]
        npos = layer.neurons // nc
        neuron_owner = (_owners(policy, nc, npos, used) + first) % k
    return LayerMap(policy, k, channels, positions, owner, neuron_owner)


def map_layers(layers: list[Layer], k: int, policy: str, min_neurons: int = 1) -> dict[str, LayerMap]:
    """Every layer's :func:`map_layer`, except that a recurrent layer merging into another layer's
    neurons (``Layer.recurrent``, ``merges_into``) has its outputs on the cores that own those
    neurons: its recurrent spikes are routed to the cores holding the membranes they update, and
    its weights are placed there."""
    maps = {l.name: map_layer(l, k, policy, min_neurons) for l in layers}
    for l in layers:
        target = maps.get(l.merges_into) if l.recurrent and l.merges_into else None
        if target is not None and target.neuron_owner.size == maps[l.name].owner.size:
            m = maps[l.name]
            maps[l.name] = LayerMap(m.policy, k, m.channels, m.positions, target.neuron_owner, target.neuron_owner)
    return maps


def _id_op(graph: Graph, node: Node, neuron_ids: Optional[np.ndarray]) -> Op:
    """``node``'s executor on ids (see :func:`producers`): a spiking layer's neuron node outputs the ids of
    its neurons, shape nodes move ids, a pool or ``Add`` keeps the largest, any other node outputs -1."""
    shape = (1,) + graph.shapes[node.output]
    values = [k for k, i in enumerate(node.inputs) if i in graph.shapes]
    if neuron_ids is not None:
        return lambda ins: neuron_ids.reshape(shape)
    if node.kind not in ("synaptic", "neuron") and values:
        if node.op in ("AveragePool", "MaxPool", "SpikeMaxPool"):
            win = pool_window(graph, node)
            return lambda ins: max_pool(ins[values[0]], win)
        if node.op == "Add":
            return lambda ins: np.maximum(ins[values[0]], ins[values[1]]) if len(values) > 1 else ins[values[0]]
        if node.op in ("Flatten", "Reshape", "Concat"):  # the node's own executor, on its graph values
            ex = make_executor(graph, node, "numpy")
            return lambda ins: ex([ins[k] for k in values])
    return lambda ins: np.full(shape, -1.0)


def producers(graph: Graph, layers: list[Layer]) -> tuple[list[np.ndarray], np.ndarray]:
    """For each layer, the producing neuron of each input element, as a global id.

    Global ids number the neurons of all spiking layers one after another; the
    second result holds each layer's offset. ``-1`` marks an element not made by
    a neuron (the graph input). A recurrent layer's input elements are the
    neurons it reads one step late (their ids are the same at every step). Ids
    are pushed through the stateless nodes between layers by interpreting the
    graph on ids (a batch of one, as floats):
    shape nodes move them, a pool takes the largest id of its window (one of the
    neurons pooled, all of one channel), an ``Add`` of two spike streams charges
    the element to one of its producers (the larger id), a ``Concat`` joins them.
    """
    offsets = np.zeros(len(layers) + 1, dtype=np.int64)
    by_neuron = {}
    for layer in layers:
        offsets[layer.index + 1] = offsets[layer.index] + (layer.neurons if layer.spiking else 0)
        if layer.spiking:
            by_neuron[layer.neuron.output] = offsets[layer.index] + np.arange(layer.neurons, dtype=np.float64)
    ops = {n.name: _id_op(graph, n, by_neuron.get(n.output)) for n in graph.nodes}
    # a recurrent synapse reads its neurons' spikes of the previous step: the same neurons' ids
    delayed = {v: by_neuron[v].reshape((1,) + graph.shapes[v]) if v in by_neuron
               else np.full((1,) + graph.shapes[v], -1.0) for v in graph.delayed_values}
    ids = interpret(graph, {graph.input.name: np.full((1,) + graph.shapes[graph.input.name], -1.0)}, ops,
                    delayed=delayed)
    out = [ids[layer.data_input].reshape(-1).astype(np.int64) for layer in layers]
    return out, offsets


def source_cores(gids: np.ndarray, global_owner: np.ndarray) -> np.ndarray:
    """Core that sends each input element's events: the owner of its producing neuron
    (core 0 for elements not produced by a neuron)."""
    src = np.zeros(gids.size, dtype=np.int64)
    ok = gids >= 0
    src[ok] = global_owner[gids[ok]]
    return src


def global_owner(maps: list[Optional[LayerMap]], layers: list[Layer]) -> np.ndarray:
    """Owners of all spiking neurons, in global-id order (see :func:`producers`)."""
    parts = [m.neuron_owner for m, l in zip(maps, layers) if l.spiking and m is not None]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
